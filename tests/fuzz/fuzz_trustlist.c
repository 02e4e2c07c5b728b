/*
 * fuzz_trustlist.c - libFuzzer target for trust lists, endorsements and revocations.
 *
 * A fuzzer cannot forge the root's signature, so mode 1 signs whatever payload it is given with a
 * fixed root key and then parses the signed list: that is how the payload parser behind the
 * signature check gets explored. Mode 0 feeds raw bytes (the envelope), modes 2 and 3 signed
 * endorsement and revocation payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fixtures.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fx_key root;
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            return 0;
        fx_key(&root, 7);
        ready = 1;
    }
    if (size < 1 || size > 65536)
        return 0;
    uint8_t mode = data[0] % 4;
    data++, size--;
    struct tc_trust_list *tl = NULL;
    if (mode == 0) {
        if (tc_trust_list_parse(data, size, root.pk, &tl) == TC_OK)
            tc_trust_list_free(tl);
        return 0;
    }
    static const char *const aads[] = {NULL, TC_AAD_TRUST_LIST, TC_AAD_ENDORSEMENT,
                                       TC_AAD_REVOCATION};
    size_t cap = size + 128, len = 0;
    uint8_t *msg = malloc(cap);
    if (!msg)
        return 0;
    if (fx_cose_sign1(msg, cap, &len, data, size, aads[mode], root.kid, root.sk) == TC_OK) {
        struct tc_endorsement en;
        struct tc_revocation rv;
        if (mode == 1 && tc_trust_list_parse(msg, len, root.pk, &tl) == TC_OK)
            tc_trust_list_free(tl);
        else if (mode == 2)
            (void)tc_keys_endorsement_parse(msg, len, root.pk, &en);
        else if (mode == 3)
            (void)tc_keys_revocation_parse(msg, len, root.pk, &rv);
    }
    free(msg);
    return 0;
}
