/*
 * fuzz_http_json.c - libFuzzer target for the body of POST /api/v1/verify: the strict request
 * parser, and for what it accepts, the payload text decoder it feeds. The parser reads the
 * common shape without a tree and leaves everything else to the jansson reader: the two must
 * give the same answer for every body (the same error and code, or the same request).
 */
#include <stdlib.h>
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_verify_request q, t;
    const char *code, *msg, *tcode, *tmsg;
    enum tc_err e = tc_verify_request_parse((const char *)data, size, &q, &code, &msg);
    enum tc_err te = tc_verify_request_parse_tree((const char *)data, size, &t, &tcode, &tmsg);
    if (e != te || (e != TC_OK && (!code || !tcode || strcmp(code, tcode) != 0)))
        abort(); /* the plain reader answers as the tree does */
    if (e == TC_OK && (strcmp(q.payload, t.payload) != 0 || strcmp(q.unit, t.unit) != 0 ||
                       q.has_at != t.has_at || (q.has_at && q.at != t.at)))
        abort();
    if (e == TC_OK) {
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
