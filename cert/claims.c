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
    return n > 0 && n <= max && tc_text_visible((const uint8_t *)s, n);
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
    if (c->method < TC_METHOD_REVIEW || c->method > TC_METHOD_REEVALUATION) /* T3 */
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
        if (c->scope.tier < TC_TIER_PROVINCE || c->scope.tier > TC_TIER_BASIC)
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
        if (c->method == TC_METHOD_CONVERSION || c->method == TC_METHOD_REEVALUATION)
            FAIL(TC_ERR_INCONSISTENT, "method");
    } else {
        /* S4: province-wide titles carry no scope. */
        if (c->scope.region != 0 || c->scope.tier != 0 || c->scope.has_unit)
            FAIL(TC_ERR_INCONSISTENT, "scope");
        if (c->conv.kind == TC_CONV_PATH)
            FAIL(TC_ERR_INCONSISTENT, "conversion");
        /* C1/C3: a converted title names its predecessor; only a converted title does. */
        if ((c->conv.kind == TC_CONV_FROM) !=
            (c->method == TC_METHOD_CONVERSION || c->method == TC_METHOD_REEVALUATION))
            FAIL(TC_ERR_INCONSISTENT, "method");
        if (c->conv.kind == TC_CONV_FROM &&
            (c->conv.predecessor == 0 || c->conv.predecessor == c->id ||
             !month_ok(c->conv.carried_tenure_month)))
            FAIL(TC_ERR_RANGE, "conversion");
    }
    return TC_OK;
}

/* Encodes claims that already passed tc_claims_check. */
static enum tc_err encode_checked(const struct tc_claims *c, uint8_t *out, size_t cap,
                                  size_t *outlen)
{
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

enum tc_err tc_claims_encode(const struct tc_claims *c, uint8_t *out, size_t cap, size_t *outlen)
{
    enum tc_err e = tc_claims_check(c, NULL);
    return e != TC_OK ? e : encode_checked(c, out, cap, outlen);
}

/* A cursor over the tokens of the claims map. */
struct rd {
    const struct tc_tok *t;
    size_t n, i;
};

static const struct tc_tok *next(struct rd *r)
{
    return r->i < r->n ? &r->t[r->i++] : NULL;
}

static enum tc_err kind_error(const struct tc_tok *t)
{
    return !t ? TC_ERR_CBOR : t->kind == TC_TOK_INDEF ? TC_ERR_NONCANONICAL : TC_ERR_TYPE;
}

static enum tc_err rd_uint(struct rd *r, uint64_t max, uint64_t *v)
{
    const struct tc_tok *t = next(r);
    if (!t || t->kind != TC_TOK_UINT)
        return kind_error(t);
    if (t->value > max)
        return TC_ERR_RANGE;
    *v = t->value;
    return TC_OK;
}

/* rd_uint into an 8- or 16-bit field, bounded by its width (0 when the read fails) */
static enum tc_err rd_u8(struct rd *r, uint8_t *v)
{
    uint64_t u = 0;
    enum tc_err e = rd_uint(r, 0xFF, &u);
    *v = (uint8_t)u;
    return e;
}

static enum tc_err rd_u16(struct rd *r, uint16_t *v)
{
    uint64_t u = 0;
    enum tc_err e = rd_uint(r, 0xFFFF, &u);
    *v = (uint16_t)u;
    return e;
}

static enum tc_err rd_int32(struct rd *r, int32_t *v)
{
    const struct tc_tok *t = next(r);
    if (t && t->kind == TC_TOK_UINT && t->value <= INT32_MAX)
        *v = (int32_t)t->value;
    else if (t && t->kind == TC_TOK_NEGINT && t->value <= INT32_MAX)
        *v = -1 - (int32_t)t->value;
    else if (t && (t->kind == TC_TOK_UINT || t->kind == TC_TOK_NEGINT))
        return TC_ERR_RANGE;
    else
        return kind_error(t);
    return TC_OK;
}

static enum tc_err rd_text(struct rd *r, char *out, size_t max)
{
    const struct tc_tok *t = next(r);
    if (!t || t->kind != TC_TOK_TEXT)
        return kind_error(t);
    if (t->len > max)
        return TC_ERR_RANGE;
    if (!tc_text_visible(t->p, t->len)) /* names and specialties: no invisible characters */
        return TC_ERR_TEXT;
    memcpy(out, t->p, t->len);
    out[t->len] = '\0';
    return TC_OK;
}

static enum tc_err rd_uscc(struct rd *r, char *out)
{
    const struct tc_tok *t = next(r);
    if (!t || t->kind != TC_TOK_BYTES)
        return kind_error(t);
    if (t->len != TC_USCC_PACKED)
        return TC_ERR_RANGE;
    return tc_uscc_unpack(out, t->p);
}

static enum tc_err rd_array(struct rd *r, size_t *n)
{
    const struct tc_tok *t = next(r);
    if (!t || t->kind != TC_TOK_ARRAY)
        return kind_error(t);
    *n = (size_t)t->value;
    return TC_OK;
}

static enum tc_err read_scope(struct rd *r, struct tc_scope *s)
{
    size_t n;
    uint64_t region, tier;
    enum tc_err e;
    if ((e = rd_array(r, &n)) != TC_OK)
        return e;
    if (n != 2 && n != 3)
        return TC_ERR_RANGE;
    if ((e = rd_uint(r, 999999, &region)) != TC_OK || (e = rd_uint(r, TC_TIER_BASIC, &tier)) != TC_OK)
        return e;
    s->region = (uint32_t)region;
    s->tier = (uint8_t)tier;
    if (n == 3) {
        if ((e = rd_uscc(r, s->unit)) != TC_OK)
            return e;
        s->has_unit = true;
    }
    return TC_OK;
}

static enum tc_err read_conv(struct rd *r, struct tc_conversion *c)
{
    size_t n;
    uint64_t x[4];
    enum tc_err e;
    if ((e = rd_array(r, &n)) != TC_OK)
        return e;
    if (n == 4) {
        static const uint64_t max[4] = {1200, 0xFFFF, 0xFFFF, 0xFF};
        for (size_t i = 0; i < 4; i++)
            if ((e = rd_uint(r, max[i], &x[i])) != TC_OK)
                return e;
        c->kind = TC_CONV_PATH;
        c->earliest_month = (int32_t)x[0]; /* an offset until the tenure start is known */
        c->months_required = (uint16_t)x[1];
        c->ce_hours = (uint16_t)x[2];
        c->flags = (uint8_t)x[3];
        return TC_OK;
    }
    if (n == 2) {
        if ((e = rd_uint(r, UINT64_MAX, &x[0])) != TC_OK || (e = rd_uint(r, 0x7FFFFFFF, &x[1])) != TC_OK)
            return e;
        c->kind = TC_CONV_FROM;
        c->predecessor = x[0];
        c->carried_tenure_month = (int32_t)x[1];
        return TC_OK;
    }
    return TC_ERR_RANGE;
}

static enum tc_err read_entry(int key, struct rd *r, struct tc_claims *c)
{
    uint64_t u = 0;
    enum tc_err e;
    switch (key) {
    case K_ID:
        e = rd_uint(r, UINT64_MAX, &c->id);
        return e;
    case K_NAME:
        return rd_text(r, c->name, TC_NAME_MAX);
    case K_IDMASK:
        if ((e = rd_uint(r, MASK_MAX, &u)) == TC_OK)
            mask_unpack(c->id_mask, (uint32_t)u);
        return e;
    case K_SERIES:
        return rd_u16(r, &c->series);
    case K_SPECIALTY:
        return rd_text(r, c->specialty, TC_SPECIALTY_MAX);
    case K_LEVEL:
        return rd_u8(r, &c->level);
    case K_VARIANT:
        /* Absent means 0; an explicit 0 is not the canonical form. */
        e = rd_u8(r, &c->title_variant);
        return e == TC_OK && c->title_variant == 0 ? TC_ERR_NONCANONICAL : e;
    case K_TRACK:
        return rd_u8(r, &c->track);
    case K_METHOD:
        return rd_u8(r, &c->method);
    case K_EVAL_YEAR:
        return rd_u16(r, &c->eval_year);
    case K_OBTAINED:
        return rd_int32(r, &c->obtained_day);
    case K_TENURE:
        e = rd_uint(r, 0x7FFFFFFF, &u);
        c->tenure_month = (int32_t)u;
        return e;
    case K_SCOPE:
        return read_scope(r, &c->scope);
    case K_EMPLOYER:
        return rd_uscc(r, c->employer);
    case K_CONV:
        return read_conv(r, &c->conv);
    case K_COMMITTEE:
        return rd_u16(r, &c->committee);
    case K_ISSUED_AT:
        e = rd_uint(r, 0xFFFFFFFF, &c->issued_at);
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
    /* 17 keys, the largest value (scope) 4 tokens: 1 + 17 + 17 * 4 tokens at most */
    struct tc_tok toks[96];
    struct rd r = {toks, 0, 0};
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
    if ((e = tc_cbor_tokens(in, len, toks, sizeof toks / sizeof toks[0], &r.n)) != TC_OK) {
        if (e == TC_ERR_SIZE_LIMIT)
            e = TC_ERR_UNKNOWN_KEY; /* more entries than any certificate has */
        goto out;
    }
    const struct tc_tok *m = next(&r);
    if (!m || m->kind != TC_TOK_MAP) {
        e = kind_error(m);
        goto out;
    }
    uint32_t seen = 0;
    for (uint64_t k = 0; k < m->value; k++) {
        const struct tc_tok *kt = next(&r);
        if (!kt || kt->kind != TC_TOK_UINT || kt->value == 0 || kt->value > K_MAX) {
            e = TC_ERR_UNKNOWN_KEY;
            goto out;
        }
        int key = (int)kt->value;
        where = key_names[key];
        if (seen & (1u << key)) {
            e = TC_ERR_DUP_KEY;
            goto out;
        }
        seen |= 1u << key;
        if ((e = read_entry(key, &r, &c)) != TC_OK)
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
    if ((e = encode_checked(&c, again, sizeof again, &again_len)) != TC_OK)
        goto out;
    if (again_len != len || memcmp(again, in, len) != 0) {
        e = TC_ERR_NONCANONICAL;
        goto out;
    }
    *out = c;
out:
    if (field)
        *field = e == TC_OK ? NULL : where;
    return e;
}
