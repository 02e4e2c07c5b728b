/*
 * fuzz_signer_state.c - libFuzzer target for the signer's own record (signer/state.c), the file
 * it trusts over the store. Properties: the reader accepts only what the writer writes, so
 * whatever it accepted, written again, is byte for byte the input (one text per state), and it
 * never reads past what it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sv_state st;
    char *copy = malloc(size ? size : 1); /* exactly the input: ASan sees a read past it */
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (sv_state_parse(copy, size, &st) == TC_OK) {
        char *text = NULL;
        size_t len = 0;
        if (sv_state_text(&st, &text, &len) != TC_OK)
            abort();
        /* the writer puts the lines in one order; the reader takes them in any: same state,
         * then, and the text read again is the text */
        struct sv_state again;
        if (sv_state_parse(text, len, &again) != TC_OK)
            abort();
        char *text2 = NULL;
        size_t len2 = 0;
        if (sv_state_text(&again, &text2, &len2) != TC_OK || len2 != len ||
            memcmp(text, text2, len) != 0)
            abort();
        if (again.n_own != st.n_own || again.n_seen != st.n_seen || again.base != st.base)
            abort();
        free(text2);
        free(text);
        sv_state_free(&again);
        sv_state_free(&st);
    }
    free(copy);
    return 0;
}
