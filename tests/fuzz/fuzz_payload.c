/*
 * fuzz_payload.c - libFuzzer target for everything a scanned QR code reaches: payload text and
 * links (tc_text_decode_any), the COSE_Sign1 envelope (tc_cert_decode) and the claims map
 * (tc_claims_decode), with signature verification against a fixed key. The first byte picks the
 * entry point so one corpus covers all three.
 */
#include <stdint.h>
#include <string.h>

#include "../fixtures.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fx_key key;
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            return 0;
        fx_key(&key, 1);
        ready = 1;
    }
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    uint8_t bytes[TC_CERT_MAX_BYTES];
    size_t n = 0;
    struct tc_cert cert;
    struct tc_claims claims;
    const char *field;
    switch (mode % 3) {
    case 0: /* text or link */
        if (tc_text_decode_any(bytes, sizeof bytes, &n, (const char *)data, size) == TC_OK &&
            tc_cert_decode(bytes, n, &cert, &field) == TC_OK)
            (void)tc_cert_verify_sig(&cert, key.pk);
        break;
    case 1: /* raw COSE_Sign1 */
        if (tc_cert_decode(data, size, &cert, &field) == TC_OK) {
            (void)tc_cert_verify_sig(&cert, key.pk);
            /* whatever decodes must re-encode to the very same claims bytes */
            uint8_t again[TC_CLAIMS_MAX_BYTES];
            size_t an;
            if (tc_claims_encode(&cert.claims, again, sizeof again, &an) != TC_OK ||
                an != cert.payload_len || memcmp(again, cert.payload, an) != 0)
                __builtin_trap();
        }
        break;
    default: /* claims map */
        if (tc_claims_decode(data, size, &claims, &field) == TC_OK) {
            uint8_t again[TC_CLAIMS_MAX_BYTES];
            size_t an;
            if (tc_claims_encode(&claims, again, sizeof again, &an) != TC_OK || an != size ||
                memcmp(again, data, an) != 0)
                __builtin_trap();
        }
        break;
    }
    return 0;
}
