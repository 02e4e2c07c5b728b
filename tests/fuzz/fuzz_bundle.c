/*
 * fuzz_bundle.c - libFuzzer target for the status bundle loader. Mode 0 feeds raw bytes; mode 1
 * wraps the input as the payload of a COSE_Sign1 signed by a fixed key, so the list reader (which
 * runs before the trust checks) sees arbitrary payloads rather than failing at the envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "../fixtures.h"
#include "verifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fx_key root, status;
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            return 0;
        fx_key(&root, 7);
        fx_key(&status, 8);
        ready = 1;
    }
    if (size < 1 || size > (1u << 20))
        return 0;
    struct tc_bundle *b = NULL;
    if (data[0] % 2 == 0) {
        if (tc_bundle_parse(data + 1, size - 1, root.pk, &b) == TC_OK)
            tc_bundle_free(b);
        return 0;
    }
    size_t cap = size + 128, len = 0;
    uint8_t *msg = malloc(cap);
    if (msg && tc_cose_sign1_sign(msg, cap, &len, data + 1, size - 1, TC_AAD_BUNDLE_V, status.kid,
                                  status.sk) == TC_OK &&
        tc_bundle_parse(msg, len, root.pk, &b) == TC_OK)
        tc_bundle_free(b);
    free(msg);
    return 0;
}
