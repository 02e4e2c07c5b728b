/*
 * request.c - what a person or a client asks the verifier, checked the same way on every path
 * (the JSON body of POST /api/v1/verify, the query of verify-image, the command line): a unit code
 * trimmed and upper-cased, a day, and the strict request body. Each refusal has a stable code
 * and a sentence, which the HTTP service answers with 400 (or 413) and the CLI prints.
 */
#include <jansson.h>
#include <string.h>

#include "service.h"

const char *tc_unit_normalise(const char *in, char out[TC_USCC_LEN + 1], const char **msg)
{
    size_t n = in ? strlen(in) : 0, a = 0, k = 0;
    /* trim ASCII white space and U+3000 (a full-width space typed on a Chinese keyboard) */
    for (;;) {
        if (a < n && (in[a] == ' ' || (in[a] >= '\t' && in[a] <= '\r')))
            a++;
        else if (a + 3 <= n && memcmp(in + a, "\xe3\x80\x80", 3) == 0)
            a += 3;
        else
            break;
    }
    for (;;) {
        if (n > a && (in[n - 1] == ' ' || (in[n - 1] >= '\t' && in[n - 1] <= '\r')))
            n--;
        else if (n >= a + 3 && memcmp(in + n - 3, "\xe3\x80\x80", 3) == 0)
            n -= 3;
        else
            break;
    }
    if (n - a == TC_USCC_LEN) {
        for (size_t i = a; i < n; i++)
            out[k++] = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 'a' + 'A') : in[i];
        out[k] = '\0';
        if (tc_uscc_well_formed(out))
            return NULL;
    }
    out[0] = '\0';
    *msg = "unit must be an 18-character unified social credit code (USCC)";
    return "bad_unit";
}

const char *tc_day_input(const char *in, int32_t *day, const char **msg)
{
    char buf[16];
    size_t n = in ? strlen(in) : 0, a = 0;
    while (a < n && (in[a] == ' ' || in[a] == '\t'))
        a++;
    while (n > a && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n - a < sizeof buf) {
        memcpy(buf, in + a, n - a);
        buf[n - a] = '\0';
        if (tc_day_parse(day, buf))
            return NULL;
    }
    *msg = "at must be a date YYYY-MM-DD";
    return "bad_date";
}

const char *tc_unit_code_check(const struct tc_bundle *b, const char *uscc, const char **msg)
{
    if (tc_uscc_valid(uscc) || (b && tc_bundle_unit_latest(b, uscc)))
        return NULL;
    *msg = "the unit code's check character is wrong: check the unit code";
    return "unit_code_invalid";
}

enum tc_err tc_verify_request_parse(const char *body, size_t len, struct tc_verify_request *out,
                                    const char **code, const char **msg)
{
    memset(out, 0, sizeof *out);
    *code = *msg = NULL;
    if (len > TC_VERIFY_BODY_MAX) {
        *code = "too_large", *msg = "the request body is too large";
        return TC_ERR_SIZE_LIMIT;
    }
    json_error_t jerr;
    json_t *j = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    enum tc_err e = TC_OK;
    const char *payload = NULL, *unit = NULL, *at = NULL;
    json_t *lang = NULL;
    if (!j || !json_is_object(j)) {
        *code = "bad_json", *msg = "the body must be a JSON object";
        e = TC_ERR_TYPE;
    } else if (json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s,s?s,s?s,s?o}", "payload", &payload,
                              "unit", &unit, "at", &at, "lang", &lang) != 0) {
        *code = "bad_request";
        *msg = "expected {\"payload\": string, \"unit\": USCC, \"at\": YYYY-MM-DD}";
        e = TC_ERR_TYPE;
    } else if (strlen(payload) > TC_LINK_MAX) {
        *code = "too_large", *msg = "the payload is too long";
        e = TC_ERR_SIZE_LIMIT;
    } else if (unit && *unit && (*code = tc_unit_normalise(unit, out->unit, msg)) != NULL) {
        e = TC_ERR_CODE;
    } else if (at && *at && (*code = tc_day_input(at, &out->at, msg)) != NULL) {
        e = TC_ERR_CODE;
    } else {
        memcpy(out->payload, payload, strlen(payload) + 1);
        out->has_at = at && *at;
    }
    json_decref(j);
    return e;
}
