/*
 * fuzz_http_json.c - libFuzzer target for the body of POST /api/v1/verify: the strict request
 * parser, and for what it accepts, the payload text decoder it feeds.
 */
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_verify_request q;
    const char *code, *msg;
    if (tc_verify_request_parse((const char *)data, size, &q, &code, &msg) == TC_OK) {
        uint8_t buf[TC_CERT_MAX_BYTES];
        size_t n;
        struct tc_cert cert;
        if (tc_text_decode_any(buf, sizeof buf, &n, q.payload, strlen(q.payload)) == TC_OK)
            (void)tc_cert_decode(buf, n, &cert, NULL);
    } else if (!code || !msg) {
        __builtin_trap(); /* every refusal has a code and a message */
    }
    return 0;
}
