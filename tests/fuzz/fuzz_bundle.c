/*
 * fuzz_bundle.c - libFuzzer target for the status bundle loader. Mode 0 feeds raw bytes; mode 1
 * wraps the input as the payload of a COSE_Sign1 signed by a fixed key (refused at the trust
 * checks, which run before any list is read); mode 2 feeds the input to the list reader as if it
 * were authenticated, so the reader itself sees arbitrary payloads; mode 3 does the same for the
 * delta's members (leaves, frontier, proofs), which only a valid signature lets through.
 */
#include <stdlib.h>
#include <string.h>

#include "../fixtures.h"
#include "publication.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
enum tc_err tc_bundle_fuzz_lists(const uint8_t *payload, size_t len);  /* publication/read.c */
enum tc_err tc_delta_fuzz_members(const uint8_t *payload, size_t len); /* publication/read.c */

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
    if (data[0] % 4 == 3) {
        tc_delta_fuzz_members(data + 1, size - 1);
        return 0;
    }
    if (data[0] % 4 == 2) {
        tc_bundle_fuzz_lists(data + 1, size - 1);
        return 0;
    }
    if (data[0] % 4 == 0) {
        if (tc_bundle_parse(data + 1, size - 1, root.pk, &b) == TC_OK)
            tc_bundle_free(b);
        return 0;
    }
    size_t cap = size + 128, len = 0;
    uint8_t *msg = malloc(cap);
    if (msg && fx_cose_sign1(msg, cap, &len, data + 1, size - 1, TC_AAD_BUNDLE, status.kid,
                                  status.sk) == TC_OK &&
        tc_bundle_parse(msg, len, root.pk, &b) == TC_OK)
        tc_bundle_free(b);
    free(msg);
    return 0;
}
