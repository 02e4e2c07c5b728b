/*
 * request.c - what a person or a client asks the verifier, checked the same way on every path
 * (the JSON body of POST /api/v1/verify, the query of verify-image, the command line): a unit code
 * trimmed and upper-cased, a day, and the strict request body. Each refusal has a stable code
 * and a sentence, which the HTTP service answers with 400 (or 413) and the CLI prints.
 */
#include <jansson.h>
#include <string.h>

#include "jsonw.h"
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

/* What both readers found, checked the same way: the payload's length, then the unit, then the
 * day (each given as NUL-terminated text). */
static enum tc_err check_members(struct tc_verify_request *out, const char *payload, size_t plen,
                                 const char *unit, const char *at, const char **code,
                                 const char **msg)
{
    if (plen > TC_LINK_MAX) {
        *code = "too_large", *msg = "the payload is too long";
        return TC_ERR_SIZE_LIMIT;
    }
    if (unit && *unit && (*code = tc_unit_normalise(unit, out->unit, msg)) != NULL)
        return TC_ERR_CODE;
    if (at && *at && (*code = tc_day_input(at, &out->at, msg)) != NULL)
        return TC_ERR_CODE;
    memcpy(out->payload, payload, plen);
    out->payload[plen] = '\0';
    out->has_at = at && *at;
    return TC_OK;
}

enum tc_err tc_verify_request_parse_tree(const char *body, size_t len,
                                         struct tc_verify_request *out, const char **code,
                                         const char **msg)
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
    } else {
        e = check_members(out, payload, strlen(payload), unit, at, code, msg);
    }
    json_decref(j);
    return e;
}

/* ---- the common request, read without a tree ------------------------------------------------ */
/* Nearly every body is {"payload":"TC1:...","unit":"...","at":"..."} with plain strings. The
 * reader below takes exactly that shape: an object whose members are the four known keys, each
 * once, written without escapes, with string values holding no escape, no control character and
 * only well-formed UTF-8, between JSON white space. Such a body is valid JSON that jansson reads
 * into the same strings, so the answer is the tree's. Anything else (an escape, a number, a
 * nested value, an unknown or repeated key, bad UTF-8, a syntax error) is left to the tree, which
 * decides and words every refusal: this reader only ever accepts. */
struct reader {
    const unsigned char *p, *end;
};

static void skip_ws(struct reader *rd)
{
    while (rd->p < rd->end && (*rd->p == ' ' || *rd->p == '\t' || *rd->p == '\n' || *rd->p == '\r'))
        rd->p++;
}

static bool take(struct reader *rd, char c)
{
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == (unsigned char)c) {
        rd->p++;
        return true;
    }
    return false;
}

/* A plain string: its bytes in [*s, *s + *n); false for anything the tree must read. */
static bool plain_string(struct reader *rd, const char **s, size_t *n)
{
    if (!take(rd, '"'))
        return false;
    const unsigned char *start = rd->p;
    while (rd->p < rd->end && *rd->p != '"') {
        unsigned char c = *rd->p;
        if (c < 0x20 || c == '\\')
            return false;
        if (c < 0x80) {
            rd->p++;
            continue;
        }
        size_t k = (size_t)(rd->end - rd->p);
        size_t seq = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!seq || seq > k || !tc_jsonw_utf8_ok((const char *)rd->p, seq))
            return false;
        rd->p += seq;
    }
    if (rd->p == rd->end)
        return false;
    *s = (const char *)start, *n = (size_t)(rd->p - start);
    rd->p++;
    return true;
}

enum { K_PAYLOAD, K_UNIT, K_AT, K_LANG, K_COUNT };

/* The four members into v[]; false when the body is not of the plain shape. */
static bool plain_body(const char *body, size_t len, const char *v[K_COUNT], size_t vn[K_COUNT])
{
    static const char *const keys[K_COUNT] = {"payload", "unit", "at", "lang"};
    struct reader rd = {(const unsigned char *)body, (const unsigned char *)body + len};
    unsigned seen = 0;
    if (!take(&rd, '{'))
        return false;
    for (;;) {
        const char *k, *val;
        size_t kn, n;
        int which = -1;
        if (!plain_string(&rd, &k, &kn) || !take(&rd, ':') || !plain_string(&rd, &val, &n))
            return false;
        for (int i = 0; i < K_COUNT; i++)
            if (strlen(keys[i]) == kn && memcmp(keys[i], k, kn) == 0)
                which = i;
        if (which < 0 || (seen & (1u << which)))
            return false;
        seen |= 1u << which;
        v[which] = val, vn[which] = n;
        if (take(&rd, '}'))
            break;
        if (!take(&rd, ','))
            return false;
    }
    skip_ws(&rd);
    return rd.p == rd.end && (seen & (1u << K_PAYLOAD));
}

enum tc_err tc_verify_request_parse(const char *body, size_t len, struct tc_verify_request *out,
                                    const char **code, const char **msg)
{
    const char *v[K_COUNT] = {NULL};
    size_t vn[K_COUNT] = {0};
    char unit[64], at[64];
    if (!body || len > TC_VERIFY_BODY_MAX || !plain_body(body, len, v, vn) ||
        vn[K_UNIT] >= sizeof unit || vn[K_AT] >= sizeof at)
        return tc_verify_request_parse_tree(body, len, out, code, msg);
    /* only what is read is set: the payload (at most TC_LINK_MAX + 1 bytes) and the fields */
    out->unit[0] = '\0', out->has_at = false, out->at = 0;
    *code = *msg = NULL;
    if (v[K_UNIT])
        memcpy(unit, v[K_UNIT], vn[K_UNIT]);
    unit[vn[K_UNIT]] = '\0';
    if (v[K_AT])
        memcpy(at, v[K_AT], vn[K_AT]);
    at[vn[K_AT]] = '\0';
    return check_members(out, v[K_PAYLOAD], vn[K_PAYLOAD], v[K_UNIT] ? unit : NULL,
                         v[K_AT] ? at : NULL, code, msg);
}
