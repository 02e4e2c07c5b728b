/*
 * claims.c - struct tc_claims <-> deterministic CBOR map.
 *
 * The map uses small unsigned integer keys (one byte each) and packs values tightly because the
 * whole signed certificate has to fit a version-10 QR code with a link around it: dates are day
 * and month counts, the ID-number mask and USCCs are packed into integers and byte strings, the
 * title is a (series, level, variant) triple resolved through the T1 table. docs/FORMAT.md lists
 * every key.
 *
 * Decoding is two passes over one libcbor tree: the first reads each key into the struct,
 * rejecting unknown, duplicate and mistyped entries; then tc_claims_check applies the format's
 * value rules; last, the struct is encoded again and must reproduce the input byte for byte.
 * That last step is the canonical-encoding check: any non-shortest head, indefinite length or
 * out-of-order key changes the bytes, so no separate rule for each case is needed.
 */
#include <cbor.h>
#include <string.h>

#include "cert.h"

enum {
    K_ID = 1,
    K_NAME = 2,
    K_IDMASK = 3,
    K_SERIES = 4,
    K_SPECIALTY = 5,
    K_LEVEL = 6,
    K_VARIANT = 7,
    K_TRACK = 8,
    K_METHOD = 9,
    K_EVAL_YEAR = 10,
    K_OBTAINED = 11,
    K_TENURE = 12,
    K_SCOPE = 13,
    K_EMPLOYER = 14,
    K_CONV = 15,
    K_COMMITTEE = 16,
    K_ISSUED_AT = 17,
    K_MAX = 17,
};

static const char *const key_names[K_MAX + 1] = {
    "?",           "id",       "name",       "id_mask",       "series",     "specialty",
    "level",       "variant",  "track",      "method",        "eval_year",  "obtained",
    "tenure_start", "scope",   "employer",   "conversion",    "committee",  "issued_at",
};

/* Bounds on dates: titles from 1950 on, nothing past 2200. */
#define YEAR_MIN 1950
#define YEAR_MAX 2200

static int32_t day_min(void)
{
    int32_t d = 0;
    tc_day_index(&d, YEAR_MIN, 1, 1);
    return d;
}

static int32_t day_max(void)
{
    int32_t d = 0;
    tc_day_index(&d, YEAR_MAX, 12, 31);
    return d;
}

static bool month_ok(int32_t m)
{
    return m >= tc_month_index(YEAR_MIN, 1) && m <= tc_month_index(YEAR_MAX, 12);
}

/* The mask "002X" packs as digits*11 + check (X = 10): at most 10999, a 3-byte integer. */
#define MASK_MAX (999u * 11u + 10u)

static uint32_t mask_pack(const char *m)
{
    uint32_t digits = 0;
    for (int i = 0; i < 3; i++)
        digits = digits * 10 + (uint32_t)(m[i] - '0');
    return digits * 11u + (m[3] == 'X' ? 10u : (uint32_t)(m[3] - '0'));
}

static void mask_unpack(char *m, uint32_t v)
{
    uint32_t check = v % 11, digits = v / 11;
    for (int i = 2; i >= 0; i--, digits /= 10)
        m[i] = (char)('0' + digits % 10);
    m[3] = check == 10 ? 'X' : (char)('0' + check);
    m[4] = '\0';
}

static bool mask_ok(const char *m)
{
    if (strlen(m) != TC_ID_MASK_LEN)
        return false;
    for (int i = 0; i < 3; i++)
        if (m[i] < '0' || m[i] > '9')
            return false;
    return (m[3] >= '0' && m[3] <= '9') || m[3] == 'X';
}

static bool text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && tc_text_safe((const uint8_t *)s, n);
}

#define FAIL(e, f)                                                                                 \
    do {                                                                                           \
        if (field)                                                                                 \
            *field = (f);                                                                          \
        return (e);                                                                                \
    } while (0)

enum tc_err tc_claims_check(const struct tc_claims *c, const char **field)
{
    if (field)
        *field = NULL;
    if (c->id == 0)
        FAIL(TC_ERR_RANGE, "id");
    if (!text_ok(c->name, TC_NAME_MAX))
        FAIL(TC_ERR_TEXT, "name");
    if (!mask_ok(c->id_mask))
        FAIL(TC_ERR_CODE, "id_mask");
    if (c->level < TC_LEVEL_ZHENGGAO || c->level > TC_LEVEL_YUAN)
        FAIL(TC_ERR_RANGE, "level");
    if (!tc_title_lookup(c->series, c->level, c->title_variant)) /* T1 */
        FAIL(TC_ERR_RANGE, "series");
    if (!text_ok(c->specialty, TC_SPECIALTY_MAX))
        FAIL(TC_ERR_TEXT, "specialty");
    if (c->track != TC_TRACK_BASIC && c->track != TC_TRACK_PROVINCE) /* T2 */
        FAIL(TC_ERR_RANGE, "track");
    if (c->method < TC_METHOD_REVIEW || c->method > TC_METHOD_CONVERSION) /* T3 */
        FAIL(TC_ERR_RANGE, "method");
    if (c->eval_year < YEAR_MIN || c->eval_year > YEAR_MAX) /* D1 */
        FAIL(TC_ERR_RANGE, "eval_year");
    if (c->obtained_day < day_min() || c->obtained_day > day_max())
        FAIL(TC_ERR_RANGE, "obtained");
    if (!month_ok(c->tenure_month)) /* C4 */
        FAIL(TC_ERR_RANGE, "tenure_start");
    if (!tc_uscc_well_formed(c->employer))
        FAIL(TC_ERR_CODE, "employer");
    if (c->committee == 0)
        FAIL(TC_ERR_RANGE, "committee");
    if (c->issued_at == 0 || c->issued_at > 0xFFFFFFFFull)
        FAIL(TC_ERR_RANGE, "issued_at");

    if (c->track == TC_TRACK_BASIC) {
        /* S3: a basic-level certificate always says where it is valid. */
        if (!tc_region_valid(c->scope.region))
            FAIL(TC_ERR_CODE, "scope");
        if (c->scope.tier < TC_TIER_PROVINCE || c->scope.tier > TC_TIER_TOWNSHIP)
            FAIL(TC_ERR_RANGE, "scope");
        if (c->scope.has_unit && !tc_uscc_well_formed(c->scope.unit))
            FAIL(TC_ERR_CODE, "scope");
        /* C1: and when it can be converted. */
        if (c->conv.kind != TC_CONV_PATH)
            FAIL(TC_ERR_INCONSISTENT, "conversion");
        if (!month_ok(c->conv.earliest_month) || c->conv.earliest_month < c->tenure_month ||
            c->conv.earliest_month - c->tenure_month > 1200 || c->conv.months_required == 0 ||
            c->conv.months_required > 600 || c->conv.ce_hours > 1000 ||
            (c->conv.flags & ~TC_CONV_FLAGS_ALL) != 0)
            FAIL(TC_ERR_RANGE, "conversion");
        if (c->method == TC_METHOD_CONVERSION)
            FAIL(TC_ERR_INCONSISTENT, "method");
    } else {
        /* S4: province-wide titles carry no scope. */
        if (c->scope.region != 0 || c->scope.tier != 0 || c->scope.has_unit)
            FAIL(TC_ERR_INCONSISTENT, "scope");
        if (c->conv.kind == TC_CONV_PATH)
            FAIL(TC_ERR_INCONSISTENT, "conversion");
        /* C1/C3: a converted title names its predecessor; only a converted title does. */
        if ((c->conv.kind == TC_CONV_FROM) != (c->method == TC_METHOD_CONVERSION))
            FAIL(TC_ERR_INCONSISTENT, "method");
        if (c->conv.kind == TC_CONV_FROM &&
            (c->conv.predecessor == 0 || c->conv.predecessor == c->id ||
             !month_ok(c->conv.carried_tenure_month)))
            FAIL(TC_ERR_RANGE, "conversion");
    }
    return TC_OK;
}

enum tc_err tc_claims_encode(const struct tc_claims *c, uint8_t *out, size_t cap, size_t *outlen)
{
    enum tc_err e = tc_claims_check(c, NULL);
    if (e != TC_OK)
        return e;
    bool basic = c->track == TC_TRACK_BASIC;
    size_t n = 14 + (c->title_variant ? 1 : 0) + (basic ? 1 : 0) + (c->conv.kind ? 1 : 0);
    uint8_t packed[TC_USCC_PACKED];
    struct tc_cw w;
    tc_cw_init(&w, out, cap);
    tc_cw_map(&w, n);
    tc_cw_uint(&w, K_ID), tc_cw_uint(&w, c->id);
    tc_cw_uint(&w, K_NAME), tc_cw_text(&w, c->name);
    tc_cw_uint(&w, K_IDMASK), tc_cw_uint(&w, mask_pack(c->id_mask));
    tc_cw_uint(&w, K_SERIES), tc_cw_uint(&w, c->series);
    tc_cw_uint(&w, K_SPECIALTY), tc_cw_text(&w, c->specialty);
    tc_cw_uint(&w, K_LEVEL), tc_cw_uint(&w, c->level);
    if (c->title_variant)
        tc_cw_uint(&w, K_VARIANT), tc_cw_uint(&w, c->title_variant);
    tc_cw_uint(&w, K_TRACK), tc_cw_uint(&w, c->track);
    tc_cw_uint(&w, K_METHOD), tc_cw_uint(&w, c->method);
    tc_cw_uint(&w, K_EVAL_YEAR), tc_cw_uint(&w, c->eval_year);
    tc_cw_uint(&w, K_OBTAINED), tc_cw_int(&w, c->obtained_day);
    tc_cw_uint(&w, K_TENURE), tc_cw_uint(&w, (uint64_t)c->tenure_month);
    if (basic) {
        tc_cw_uint(&w, K_SCOPE);
        tc_cw_array(&w, c->scope.has_unit ? 3 : 2);
        tc_cw_uint(&w, c->scope.region);
        tc_cw_uint(&w, c->scope.tier);
        if (c->scope.has_unit) {
            tc_uscc_pack(packed, c->scope.unit);
            tc_cw_bytes(&w, packed, sizeof packed);
        }
    }
    tc_uscc_pack(packed, c->employer);
    tc_cw_uint(&w, K_EMPLOYER), tc_cw_bytes(&w, packed, sizeof packed);
    if (c->conv.kind == TC_CONV_PATH) {
        tc_cw_uint(&w, K_CONV), tc_cw_array(&w, 4);
        /* stored as months after the tenure start: two bytes instead of three */
        tc_cw_uint(&w, (uint64_t)(c->conv.earliest_month - c->tenure_month));
        tc_cw_uint(&w, c->conv.months_required);
        tc_cw_uint(&w, c->conv.ce_hours);
        tc_cw_uint(&w, c->conv.flags);
    } else if (c->conv.kind == TC_CONV_FROM) {
        tc_cw_uint(&w, K_CONV), tc_cw_array(&w, 2);
        tc_cw_uint(&w, c->conv.predecessor);
        tc_cw_uint(&w, (uint64_t)c->conv.carried_tenure_month);
    }
    tc_cw_uint(&w, K_COMMITTEE), tc_cw_uint(&w, c->committee);
    tc_cw_uint(&w, K_ISSUED_AT), tc_cw_uint(&w, c->issued_at);
    if (w.overflow)
        return TC_ERR_BUFFER;
    *outlen = w.len;
    return TC_OK;
}

static enum tc_err read_scope(const cbor_item_t *v, struct tc_scope *s)
{
    if (!cbor_isa_array(v))
        return TC_ERR_TYPE;
    size_t n = cbor_array_size(v);
    if (n != 2 && n != 3)
        return TC_ERR_RANGE;
    cbor_item_t **a = cbor_array_handle(v);
    uint64_t region, tier;
    enum tc_err e;
    if ((e = tc_cbor_get_uint(a[0], 999999, &region)) != TC_OK ||
        (e = tc_cbor_get_uint(a[1], TC_TIER_TOWNSHIP, &tier)) != TC_OK)
        return e;
    s->region = (uint32_t)region;
    s->tier = (uint8_t)tier;
    if (n == 3) {
        uint8_t packed[TC_USCC_PACKED];
        if ((e = tc_cbor_get_bytes(a[2], packed, sizeof packed, true, NULL)) != TC_OK)
            return e;
        if ((e = tc_uscc_unpack(s->unit, packed)) != TC_OK)
            return e;
        s->has_unit = true;
    }
    return TC_OK;
}

static enum tc_err read_conv(const cbor_item_t *v, struct tc_conversion *c)
{
    if (!cbor_isa_array(v))
        return TC_ERR_TYPE;
    size_t n = cbor_array_size(v);
    cbor_item_t **a = cbor_array_handle(v);
    uint64_t x[4];
    enum tc_err e;
    if (n == 4) {
        static const uint64_t max[4] = {1200, 0xFFFF, 0xFFFF, 0xFF};
        for (size_t i = 0; i < 4; i++)
            if ((e = tc_cbor_get_uint(a[i], max[i], &x[i])) != TC_OK)
                return e;
        c->kind = TC_CONV_PATH;
        c->earliest_month = (int32_t)x[0]; /* an offset until the tenure start is known */
        c->months_required = (uint16_t)x[1];
        c->ce_hours = (uint16_t)x[2];
        c->flags = (uint8_t)x[3];
        return TC_OK;
    }
    if (n == 2) {
        if ((e = tc_cbor_get_uint(a[0], UINT64_MAX, &x[0])) != TC_OK ||
            (e = tc_cbor_get_uint(a[1], 0x7FFFFFFF, &x[1])) != TC_OK)
            return e;
        c->kind = TC_CONV_FROM;
        c->predecessor = x[0];
        c->carried_tenure_month = (int32_t)x[1];
        return TC_OK;
    }
    return TC_ERR_RANGE;
}

static enum tc_err read_entry(int key, const cbor_item_t *v, struct tc_claims *c)
{
    uint64_t u;
    int64_t i;
    enum tc_err e;
    uint8_t packed[TC_USCC_PACKED];
    switch (key) {
    case K_ID:
        if ((e = tc_cbor_get_uint(v, UINT64_MAX, &u)) == TC_OK)
            c->id = u;
        return e;
    case K_NAME:
        return tc_cbor_get_text(v, c->name, TC_NAME_MAX);
    case K_IDMASK:
        if ((e = tc_cbor_get_uint(v, MASK_MAX, &u)) == TC_OK)
            mask_unpack(c->id_mask, (uint32_t)u);
        return e;
    case K_SERIES:
        if ((e = tc_cbor_get_uint(v, 0xFFFF, &u)) == TC_OK)
            c->series = (uint16_t)u;
        return e;
    case K_SPECIALTY:
        return tc_cbor_get_text(v, c->specialty, TC_SPECIALTY_MAX);
    case K_LEVEL:
        if ((e = tc_cbor_get_uint(v, 0xFF, &u)) == TC_OK)
            c->level = (uint8_t)u;
        return e;
    case K_VARIANT:
        /* Absent means 0; an explicit 0 is not the canonical form. */
        if ((e = tc_cbor_get_uint(v, 0xFF, &u)) == TC_OK)
            c->title_variant = (uint8_t)u;
        return e == TC_OK && u == 0 ? TC_ERR_NONCANONICAL : e;
    case K_TRACK:
        if ((e = tc_cbor_get_uint(v, 0xFF, &u)) == TC_OK)
            c->track = (uint8_t)u;
        return e;
    case K_METHOD:
        if ((e = tc_cbor_get_uint(v, 0xFF, &u)) == TC_OK)
            c->method = (uint8_t)u;
        return e;
    case K_EVAL_YEAR:
        if ((e = tc_cbor_get_uint(v, 0xFFFF, &u)) == TC_OK)
            c->eval_year = (uint16_t)u;
        return e;
    case K_OBTAINED:
        if ((e = tc_cbor_get_int(v, INT32_MIN, INT32_MAX, &i)) == TC_OK)
            c->obtained_day = (int32_t)i;
        return e;
    case K_TENURE:
        if ((e = tc_cbor_get_uint(v, 0x7FFFFFFF, &u)) == TC_OK)
            c->tenure_month = (int32_t)u;
        return e;
    case K_SCOPE:
        return read_scope(v, &c->scope);
    case K_EMPLOYER:
        if ((e = tc_cbor_get_bytes(v, packed, sizeof packed, true, NULL)) != TC_OK)
            return e;
        return tc_uscc_unpack(c->employer, packed);
    case K_CONV:
        return read_conv(v, &c->conv);
    case K_COMMITTEE:
        if ((e = tc_cbor_get_uint(v, 0xFFFF, &u)) == TC_OK)
            c->committee = (uint16_t)u;
        return e;
    case K_ISSUED_AT:
        if ((e = tc_cbor_get_uint(v, 0xFFFFFFFF, &u)) == TC_OK)
            c->issued_at = u;
        return e;
    default:
        return TC_ERR_UNKNOWN_KEY;
    }
}

/* Keys every certificate has; scope and conversion are required by track in tc_claims_check. */
static const uint32_t required_keys = (1u << K_ID) | (1u << K_NAME) | (1u << K_IDMASK) |
                                      (1u << K_SERIES) | (1u << K_SPECIALTY) | (1u << K_LEVEL) |
                                      (1u << K_TRACK) | (1u << K_METHOD) | (1u << K_EVAL_YEAR) |
                                      (1u << K_OBTAINED) | (1u << K_TENURE) | (1u << K_EMPLOYER) |
                                      (1u << K_COMMITTEE) | (1u << K_ISSUED_AT);

enum tc_err tc_claims_decode(const uint8_t *in, size_t len, struct tc_claims *out,
                             const char **field)
{
    cbor_item_t *root = NULL;
    struct tc_claims c;
    const char *where = NULL;
    uint8_t again[TC_CLAIMS_MAX_BYTES];
    size_t again_len = 0;
    enum tc_err e;

    memset(&c, 0, sizeof c);
    if (len > TC_CLAIMS_MAX_BYTES) {
        e = TC_ERR_SIZE_LIMIT;
        goto out;
    }
    if ((e = tc_cbor_load(in, len, &root)) != TC_OK)
        goto out;
    if (!cbor_isa_map(root)) {
        e = TC_ERR_TYPE;
        goto out;
    }
    size_t n = cbor_map_size(root);
    struct cbor_pair *pairs = cbor_map_handle(root);
    uint32_t seen = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t key;
        if (!cbor_isa_uint(pairs[k].key)) {
            e = TC_ERR_UNKNOWN_KEY;
            goto out;
        }
        key = cbor_get_int(pairs[k].key);
        if (key == 0 || key > K_MAX) {
            e = TC_ERR_UNKNOWN_KEY;
            goto out;
        }
        where = key_names[key];
        if (seen & (1u << key)) {
            e = TC_ERR_DUP_KEY;
            goto out;
        }
        seen |= 1u << key;
        if ((e = read_entry((int)key, pairs[k].value, &c)) != TC_OK)
            goto out;
    }
    where = NULL;
    if ((seen & required_keys) != required_keys) {
        for (int k = 1; k <= K_MAX; k++)
            if ((required_keys & (1u << k)) && !(seen & (1u << k))) {
                where = key_names[k];
                break;
            }
        e = TC_ERR_MISSING_KEY;
        goto out;
    }
    if (c.conv.kind == TC_CONV_PATH)
        c.conv.earliest_month += c.tenure_month;
    if ((e = tc_claims_check(&c, &where)) != TC_OK) {
        /* A track that needs scope/conversion and lacks the key is a missing key. */
        if (e == TC_ERR_INCONSISTENT && c.track == TC_TRACK_BASIC &&
            !(seen & (1u << K_CONV)) && where && strcmp(where, "conversion") == 0)
            e = TC_ERR_MISSING_KEY;
        if (c.track == TC_TRACK_BASIC && !(seen & (1u << K_SCOPE))) {
            e = TC_ERR_MISSING_KEY;
            where = "scope";
        }
        goto out;
    }
    if ((e = tc_claims_encode(&c, again, sizeof again, &again_len)) != TC_OK)
        goto out;
    if (again_len != len || memcmp(again, in, len) != 0) {
        e = TC_ERR_NONCANONICAL;
        goto out;
    }
    *out = c;
out:
    if (root)
        cbor_decref(&root);
    if (field)
        *field = e == TC_OK ? NULL : where;
    return e;
}
