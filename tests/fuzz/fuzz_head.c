/*
 * fuzz_head.c - libFuzzer target for the publication head (publication/head.c), the text every
 * replica polls from a server it does not trust. Property: whatever the parser accepts, the
 * writer writes back byte for byte (the parser takes exactly the one form the writer makes), and
 * no input makes it read past its end or accept more than TC_HEAD_MAX_BYTES.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "publication.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TC_HEAD_MAX_BYTES + 16)
        return 0;
    /* a copy of exactly size bytes, so that an over-read is ASan's to see */
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    struct tc_head h;
    if (tc_head_parse(in, size, &h) == TC_OK) {
        char out[TC_HEAD_MAX_BYTES + 1];
        size_t len = 0;
        if (size > TC_HEAD_MAX_BYTES || tc_head_format(&h, out, sizeof out, &len) != TC_OK ||
            len != size || memcmp(out, in, size) != 0)
            abort();
    }
    free(in);
    return 0;
}
