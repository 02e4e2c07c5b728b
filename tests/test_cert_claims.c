/*
 * test_cert_claims.c - claims <-> CBOR: round trips of every claim, and every decoding error path
 * (unknown, duplicate and missing keys, wrong types, non-canonical encodings, unsafe text, range
 * and consistency rules T1-T3, S3, C1, C3, C4), each with its distinct error code.
 */
#include <cbor.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

static bool claims_equal(const struct tc_claims *a, const struct tc_claims *b)
{
    return a->id == b->id && strcmp(a->name, b->name) == 0 && strcmp(a->id_mask, b->id_mask) == 0 &&
           a->series == b->series && strcmp(a->specialty, b->specialty) == 0 &&
           a->level == b->level && a->title_variant == b->title_variant && a->track == b->track &&
           a->method == b->method && a->eval_year == b->eval_year &&
           a->obtained_day == b->obtained_day && a->tenure_month == b->tenure_month &&
           a->scope.region == b->scope.region && a->scope.tier == b->scope.tier &&
           a->scope.has_unit == b->scope.has_unit && strcmp(a->scope.unit, b->scope.unit) == 0 &&
           strcmp(a->employer, b->employer) == 0 && a->conv.kind == b->conv.kind &&
           a->conv.earliest_month == b->conv.earliest_month &&
           a->conv.months_required == b->conv.months_required &&
           a->conv.ce_hours == b->conv.ce_hours && a->conv.flags == b->conv.flags &&
           a->conv.predecessor == b->conv.predecessor &&
           a->conv.carried_tenure_month == b->conv.carried_tenure_month &&
           a->committee == b->committee && a->issued_at == b->issued_at;
}

static void roundtrip(const struct tc_claims *c, const char *what)
{
    uint8_t buf[TC_CLAIMS_MAX_BYTES];
    size_t n = 0;
    struct tc_claims d;
    is_err(tc_claims_encode(c, buf, sizeof buf, &n), TC_OK, "%s: encodes", what);
    is_err(tc_claims_decode(buf, n, &d, NULL), TC_OK, "%s: decodes", what);
    ok(claims_equal(c, &d), "%s: every claim survives the round trip", what);
}

/* Writes the claims of fx_basic by hand so single entries can be altered. `skip` omits a key,
 * `dup` repeats one, and `over` (when over_key != 0) replaces a value writer. */
struct edit {
    int skip;
    int dup;
    int extra_key; /* adds an entry with this key and value 0 */
    int over_key;
    void (*over)(struct tc_cw *w);
};

static void write_basic(struct tc_cw *w, const struct edit *ed)
{
    struct tc_claims c;
    fx_basic(&c);
    uint8_t packed[TC_USCC_PACKED];
    size_t n = 16 - (ed->skip ? 1 : 0) + (ed->dup ? 1 : 0) + (ed->extra_key ? 1 : 0);
    tc_cw_map(w, n);
    for (int k = 1; k <= 17; k++) {
        int reps = (k == ed->dup) ? 2 : 1;
        if (k == ed->skip || k == 7)
            continue;
        for (int r = 0; r < reps; r++) {
            tc_cw_uint(w, (uint64_t)k);
            if (k == ed->over_key) {
                ed->over(w);
                continue;
            }
            switch (k) {
            case 1: tc_cw_uint(w, c.id); break;
            case 2: tc_cw_text(w, c.name); break;
            case 3: tc_cw_uint(w, 2 * 11 + 10); break; /* "002X" */
            case 4: tc_cw_uint(w, c.series); break;
            case 5: tc_cw_text(w, c.specialty); break;
            case 6: tc_cw_uint(w, c.level); break;
            case 8: tc_cw_uint(w, c.track); break;
            case 9: tc_cw_uint(w, c.method); break;
            case 10: tc_cw_uint(w, c.eval_year); break;
            case 11: tc_cw_int(w, c.obtained_day); break;
            case 12: tc_cw_uint(w, (uint64_t)c.tenure_month); break;
            case 13:
                tc_cw_array(w, 2), tc_cw_uint(w, 62), tc_cw_uint(w, 3);
                break;
            case 14:
                tc_uscc_pack(packed, c.employer);
                tc_cw_bytes(w, packed, sizeof packed);
                break;
            case 15:
                tc_cw_array(w, 4), tc_cw_uint(w, 60), tc_cw_uint(w, 60), tc_cw_uint(w, 90),
                    tc_cw_uint(w, 3);
                break;
            case 16: tc_cw_uint(w, c.committee); break;
            case 17: tc_cw_uint(w, c.issued_at); break;
            }
        }
    }
    if (ed->extra_key)
        tc_cw_uint(w, (uint64_t)ed->extra_key), tc_cw_uint(w, 0);
}

static enum tc_err decode_edit(const struct edit *ed, const char **field)
{
    uint8_t buf[600];
    struct tc_cw w;
    tc_cw_init(&w, buf, sizeof buf);
    write_basic(&w, ed);
    struct tc_claims d;
    return tc_claims_decode(buf, w.len, &d, field);
}

static void w_text_name(struct tc_cw *w) { tc_cw_uint(w, 7); }
static void w_bad_utf8(struct tc_cw *w) { tc_cw_bytes(w, (const uint8_t *)"x", 1); }
static void w_level9(struct tc_cw *w) { tc_cw_uint(w, 9); }
static void w_track3(struct tc_cw *w) { tc_cw_uint(w, 3); }
static void w_tier6(struct tc_cw *w) { tc_cw_array(w, 2), tc_cw_uint(w, 62), tc_cw_uint(w, 6); }
static void w_region_bad(struct tc_cw *w) { tc_cw_array(w, 2), tc_cw_uint(w, 620), tc_cw_uint(w, 3); }
static void w_series_unknown(struct tc_cw *w) { tc_cw_uint(w, 999); }
static void w_year_old(struct tc_cw *w) { tc_cw_uint(w, 1900); }
static void w_conv_from(struct tc_cw *w) { tc_cw_array(w, 2), tc_cw_uint(w, 5), tc_cw_uint(w, 24000); }
static void w_mask_big(struct tc_cw *w) { tc_cw_uint(w, 20000); }
static void w_employer_short(struct tc_cw *w) { tc_cw_bytes(w, (const uint8_t *)"abc", 3); }
static void w_employer_overflow(struct tc_cw *w)
{
    uint8_t ff[TC_USCC_PACKED];
    memset(ff, 0xff, sizeof ff);
    tc_cw_bytes(w, ff, sizeof ff);
}
static void w_conv_flags(struct tc_cw *w)
{
    tc_cw_array(w, 4), tc_cw_uint(w, 60), tc_cw_uint(w, 60), tc_cw_uint(w, 90), tc_cw_uint(w, 8);
}
static void w_committee0(struct tc_cw *w) { tc_cw_uint(w, 0); }
static void w_negative_tenure(struct tc_cw *w) { tc_cw_int(w, -5); }

/* Raw name texts that must be refused as unsafe (TC_ERR_TEXT). */
static const char *const bad_texts[] = {
    "\xe5\xbc",             /* truncated 3-byte sequence */
    "\xc0\xaf",             /* overlong '/' */
    "\xed\xa0\x80",         /* UTF-16 surrogate */
    "\xf4\x90\x80\x80",     /* above U+10FFFF */
    "\xe5\xbc\xa0\x07",     /* BEL */
    "\xe5\xbc\xa0\xc2\x85", /* NEL (C1) */
    "\xe2\x80\xae\xe5\xbc\xa0", /* RIGHT-TO-LEFT OVERRIDE */
    "\xe2\x81\xa6x",        /* LEFT-TO-RIGHT ISOLATE */
    "\xef\xbb\xbfx",        /* BOM */
    "a\x7f",                /* DEL */
};

static const char *bad_text_now;
static void w_bad_text(struct tc_cw *w) { tc_cw_text(w, bad_text_now); }

static void test_error_paths(void)
{
    const char *f = NULL;
    struct edit none = {0};
    is_err(decode_edit(&none, &f), TC_OK, "the hand-written map is the canonical encoding");

    struct edit e_missing = {.skip = 2};
    is_err(decode_edit(&e_missing, &f), TC_ERR_MISSING_KEY, "missing name");
    ok(f && strcmp(f, "name") == 0, "missing key is named: %s", f ? f : "(null)");
    struct edit e_missing_scope = {.skip = 13};
    is_err(decode_edit(&e_missing_scope, &f), TC_ERR_MISSING_KEY, "S3: basic-level without scope");
    ok(f && strcmp(f, "scope") == 0, "field is scope");
    struct edit e_missing_conv = {.skip = 15};
    is_err(decode_edit(&e_missing_conv, &f), TC_ERR_MISSING_KEY,
           "C1: basic-level without a conversion path");
    struct edit e_dup = {.dup = 5};
    is_err(decode_edit(&e_dup, &f), TC_ERR_DUP_KEY, "duplicate key");
    ok(f && strcmp(f, "specialty") == 0, "duplicate key is named");
    struct edit e_unknown = {.extra_key = 18};
    is_err(decode_edit(&e_unknown, &f), TC_ERR_UNKNOWN_KEY, "unknown key 18");
    struct edit e_zero = {.extra_key = 0};
    (void)e_zero;

    struct edit e_type = {.over_key = 2, .over = w_text_name};
    is_err(decode_edit(&e_type, &f), TC_ERR_TYPE, "name as an integer");
    struct edit e_type2 = {.over_key = 2, .over = w_bad_utf8};
    is_err(decode_edit(&e_type2, &f), TC_ERR_TYPE, "name as a byte string");
    struct edit e_level = {.over_key = 6, .over = w_level9};
    is_err(decode_edit(&e_level, &f), TC_ERR_RANGE, "T1: level 9");
    struct edit e_track = {.over_key = 8, .over = w_track3};
    is_err(decode_edit(&e_track, &f), TC_ERR_RANGE, "T2: track 3");
    struct edit e_series = {.over_key = 4, .over = w_series_unknown};
    is_err(decode_edit(&e_series, &f), TC_ERR_RANGE, "T1: series without a title table entry");
    struct edit e_tier = {.over_key = 13, .over = w_tier6};
    is_err(decode_edit(&e_tier, &f), TC_ERR_RANGE, "S3: tier 6 (5 is the profile's basic level)");
    struct edit e_region = {.over_key = 13, .over = w_region_bad};
    is_err(decode_edit(&e_region, &f), TC_ERR_CODE, "S3: a 3-digit region");
    struct edit e_year = {.over_key = 10, .over = w_year_old};
    is_err(decode_edit(&e_year, &f), TC_ERR_RANGE, "D1: evaluation year 1900");
    struct edit e_conv = {.over_key = 15, .over = w_conv_from};
    is_err(decode_edit(&e_conv, &f), TC_ERR_INCONSISTENT,
           "C1: a basic-level title cannot name a predecessor");
    struct edit e_flags = {.over_key = 15, .over = w_conv_flags};
    is_err(decode_edit(&e_flags, &f), TC_ERR_RANGE, "C1: unknown requirement flag");
    struct edit e_mask = {.over_key = 3, .over = w_mask_big};
    is_err(decode_edit(&e_mask, &f), TC_ERR_RANGE, "ID mask out of range");
    struct edit e_emp = {.over_key = 14, .over = w_employer_short};
    is_err(decode_edit(&e_emp, &f), TC_ERR_RANGE, "employer USCC of 3 bytes");
    struct edit e_emp2 = {.over_key = 14, .over = w_employer_overflow};
    is_err(decode_edit(&e_emp2, &f), TC_ERR_RANGE, "employer USCC value beyond 31^18");
    struct edit e_comm = {.over_key = 16, .over = w_committee0};
    is_err(decode_edit(&e_comm, &f), TC_ERR_RANGE, "committee 0");
    struct edit e_ten = {.over_key = 12, .over = w_negative_tenure};
    is_err(decode_edit(&e_ten, &f), TC_ERR_TYPE, "C4: negative tenure month");

    /* The first four are not UTF-8 at all, the rest valid UTF-8 that is unsafe to display; the
     * claims reader validates text itself, so both get TC_ERR_TEXT. */
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
        bad_text_now = bad_texts[i];
        struct edit e_text = {.over_key = 2, .over = w_bad_text};
        is_err(decode_edit(&e_text, &f), TC_ERR_TEXT, "unsafe name text #%zu refused", i);
        ok(f && strcmp(f, "name") == 0, "and the field is named");
        ok(!tc_text_safe((const uint8_t *)bad_texts[i], strlen(bad_texts[i])),
           "tc_text_safe refuses text #%zu itself", i);
    }
    /* names that look like 张三 but are not: default-ignorable code points (look-alike names) */
    static const char *const invisible[] = {
        "\xe5\xbc\xa0\xe2\x80\x8b\xe4\xb8\x89", /* ZERO WIDTH SPACE */
        "\xe5\xbc\xa0\xe2\x80\x8d\xe4\xb8\x89", /* ZERO WIDTH JOINER */
        "\xe5\xbc\xa0\xe2\x81\xa0\xe4\xb8\x89", /* WORD JOINER */
        "\xe5\xbc\xa0\xc2\xad\xe4\xb8\x89",     /* SOFT HYPHEN */
        "\xe5\xbc\xa0\xef\xb8\x8f\xe4\xb8\x89", /* VARIATION SELECTOR-16 */
        "\xe5\xbc\xa0\xe3\x85\xa4\xe4\xb8\x89", /* HANGUL FILLER */
        "\xe5\xbc\xa0\xf3\xa0\x80\x81\xe4\xb8\x89", /* TAG (U+E0001) */
    };
    for (size_t i = 0; i < sizeof invisible / sizeof invisible[0]; i++) {
        bad_text_now = invisible[i];
        struct edit e_inv = {.over_key = 2, .over = w_bad_text};
        is_err(decode_edit(&e_inv, &f), TC_ERR_TEXT,
               "a name with a default-ignorable code point (#%zu) is refused at decoding", i);
        struct tc_claims ci;
        fx_basic(&ci);
        snprintf(ci.name, sizeof ci.name, "%s", invisible[i]);
        is_err(tc_claims_check(&ci, &f), TC_ERR_TEXT, "and at issuance (#%zu)", i);
        fx_basic(&ci);
        snprintf(ci.specialty, sizeof ci.specialty, "内科%s", invisible[i]);
        is_err(tc_claims_check(&ci, &f), TC_ERR_TEXT, "and in a specialty (#%zu)", i);
    }
    ok(tc_text_visible((const uint8_t *)"阿卜杜热合曼·买买提", strlen("阿卜杜热合曼·买买提")),
       "a compound name with its middle dot stays visible text");
    ok(tc_text_safe((const uint8_t *)"张三·Li 𠀀", strlen("张三·Li 𠀀")),
       "tc_text_safe accepts CJK, a middle dot, Latin and a supplementary-plane character");
}

/* Non-canonical encodings of an otherwise valid map. */
static void test_noncanonical(void)
{
    uint8_t buf[600];
    struct tc_claims c, d;
    size_t n;
    fx_basic(&c);
    tc_claims_encode(&c, buf, sizeof buf, &n);

    /* id 260001234 is written 1a xx xx xx xx; rewrite it as a 64-bit head 1b 00 00 00 00 xx.. */
    uint8_t wide[600];
    ok(buf[1] == 0x01 && buf[2] == 0x1a, "id is encoded as a 32-bit head");
    memcpy(wide, buf, 2);
    wide[2] = 0x1b;
    memset(wide + 3, 0, 4);
    memcpy(wide + 7, buf + 3, n - 3);
    is_err(tc_claims_decode(wide, n + 4, &d, NULL), TC_ERR_NONCANONICAL, "over-long integer head");

    /* swap the order of keys 1 and 2 */
    struct tc_cw w;
    tc_cw_init(&w, wide, sizeof wide);
    tc_cw_map(&w, 16);
    tc_cw_uint(&w, 2), tc_cw_text(&w, c.name);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, c.id);
    size_t head = 1 + 1 + 5 + 1 + 1 + strlen(c.name);
    tc_cw_raw(&w, buf + head, n - head);
    is_err(tc_claims_decode(wide, w.len, &d, NULL), TC_ERR_NONCANONICAL, "keys out of order");

    /* indefinite-length map */
    memcpy(wide, buf, n);
    wide[0] = 0xbf;
    wide[n] = 0xff;
    is_err(tc_claims_decode(wide, n + 1, &d, NULL), TC_ERR_NONCANONICAL, "indefinite-length map");

    /* explicit title variant 0 */
    struct tc_claims v;
    fx_basic(&v);
    v.series = tc_series_id("NY-NY");
    v.level = 1;
    v.title_variant = 1;
    roundtrip(&v, "title variant 1 (农业技术推广研究员)");
    const struct tc_title *t = tc_title_lookup(v.series, 1, 1);
    ok(t && strcmp(t->title, "农业技术推广研究员") == 0, "T1: variant 1 resolves to its title");

    /* trailing byte, truncation ladder, size limit */
    memcpy(wide, buf, n);
    wide[n] = 0x00;
    is_err(tc_claims_decode(wide, n + 1, &d, NULL), TC_ERR_TRAILING, "a trailing byte");
    int bad = 0;
    for (size_t k = 0; k < n; k++)
        if (tc_claims_decode(buf, k, &d, NULL) == TC_OK)
            bad++;
    ok(bad == 0, "every truncation of the map (%zu lengths) is refused", n);
    uint8_t big[TC_CLAIMS_MAX_BYTES + 1];
    memset(big, 0, sizeof big);
    is_err(tc_claims_decode(big, sizeof big, &d, NULL), TC_ERR_SIZE_LIMIT, "over the size limit");
    is_err(tc_claims_decode(buf, 0, &d, NULL), TC_ERR_CBOR, "empty input");
    uint8_t arr[] = {0x80};
    is_err(tc_claims_decode(arr, 1, &d, NULL), TC_ERR_TYPE, "an array instead of a map");
}

static void test_roundtrips(void)
{
    struct tc_claims c;
    fx_basic(&c);
    roundtrip(&c, "basic-level, province scope");
    c.scope.region = 500101; /* 万州区 */
    c.scope.tier = TC_TIER_TOWNSHIP;
    roundtrip(&c, "S3: CQ township-only scope");
    c.scope.region = 2201;
    c.scope.tier = TC_TIER_COUNTY;
    c.scope.has_unit = true;
    memcpy(c.scope.unit, "12220101438000222T", 19);
    roundtrip(&c, "S3: JL single-unit scope");
    fx_converted(&c);
    roundtrip(&c, "C1/C3: converted province-wide title");
    fx_converted(&c);
    c.method = TC_METHOD_REVIEW;
    memset(&c.conv, 0, sizeof c.conv);
    roundtrip(&c, "T2: province-wide title without conversion");
    fx_basic(&c);
    c.obtained_day = -3000; /* 1961 */
    c.eval_year = 1961;
    roundtrip(&c, "a date before 1970 (negative day index)");
    fx_basic(&c);
    memcpy(c.name, "阿依古丽·买买提", sizeof "阿依古丽·买买提");
    roundtrip(&c, "a long name with a middle dot");
}

static void test_consistency(void)
{
    struct tc_claims c;
    const char *f;
    fx_converted(&c);
    c.scope.region = 62;
    c.scope.tier = 3;
    is_err(tc_claims_check(&c, &f), TC_ERR_INCONSISTENT, "S4: a province-wide title has no scope");
    fx_converted(&c);
    c.method = TC_METHOD_REVIEW;
    is_err(tc_claims_check(&c, &f), TC_ERR_INCONSISTENT,
           "C1: a title with a predecessor must be obtained by conversion");
    fx_converted(&c);
    c.conv.predecessor = c.id;
    is_err(tc_claims_check(&c, &f), TC_ERR_RANGE, "C1: a certificate cannot succeed itself");
    fx_basic(&c);
    c.method = TC_METHOD_CONVERSION;
    is_err(tc_claims_check(&c, &f), TC_ERR_INCONSISTENT, "T3: a basic-level title is not a conversion");
    fx_basic(&c);
    c.conv.earliest_month = c.tenure_month - 1;
    is_err(tc_claims_check(&c, &f), TC_ERR_RANGE,
           "C1: the earliest conversion month cannot precede the tenure start");
    fx_basic(&c);
    memcpy(c.employer, "11100000000O13338W", 19);
    is_err(tc_claims_check(&c, &f), TC_ERR_CODE, "employer with a letter outside the USCC alphabet");
    fx_basic(&c);
    c.specialty[0] = '\0';
    is_err(tc_claims_check(&c, &f), TC_ERR_TEXT, "empty specialty");
    uint8_t buf[TC_CLAIMS_MAX_BYTES];
    size_t n;
    fx_basic(&c);
    is_err(tc_claims_encode(&c, buf, 20, &n), TC_ERR_BUFFER, "encoding into a small buffer");
}

/* The CBOR layer's own guards: declared sizes must fit the input, nesting is bounded. */
static void test_cbor_guards(void)
{
    struct cbor_item_t *it = NULL;
    const uint8_t huge_array[] = {0x9a, 0xff, 0xff, 0xff, 0xff, 0x00};
    is_err(tc_cbor_load(huge_array, sizeof huge_array, &it), TC_ERR_CBOR,
           "an array head claiming 2^32 elements is refused before libcbor allocates for it");
    const uint8_t huge_map[] = {0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0x00};
    is_err(tc_cbor_load(huge_map, sizeof huge_map, &it), TC_ERR_CBOR, "a map head claiming 2^32 pairs");
    const uint8_t owed[] = {0x83, 0x82, 0x00, 0x00, 0x00}; /* [[0,0],0] owes one more */
    is_err(tc_cbor_load(owed, sizeof owed, &it), TC_ERR_CBOR, "one item short");
    uint8_t deep[64];
    memset(deep, 0x81, sizeof deep);
    deep[63] = 0x00;
    is_err(tc_cbor_load(deep, sizeof deep, &it), TC_ERR_CBOR, "63 nested arrays exceed the depth limit");
    is_err(tc_cbor_load(deep + 40, 24, &it), TC_OK, "23 nested arrays load");
    if (it)
        cbor_decref(&it);
    const uint8_t indef[] = {0x9f, 0x01, 0x9f, 0xff, 0xff};
    is_err(tc_cbor_load(indef, sizeof indef, &it), TC_OK, "indefinite arrays load");
    if (it)
        cbor_decref(&it);
    const uint8_t in_indef[] = {0xbf, 0x01, 0x9a, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff};
    is_err(tc_cbor_load(in_indef, sizeof in_indef, &it), TC_ERR_CBOR,
           "a huge array head inside an indefinite map (found by fuzz_trustlist)");
    const uint8_t indef_member_then_huge[] = {0xa1, 0x00, 0x9f, 0x01, 0x02, 0x03, 0x9a, 0xff, 0xff,
                                              0xff, 0xff, 0xff};
    is_err(tc_cbor_load(indef_member_then_huge, sizeof indef_member_then_huge, &it), TC_ERR_CBOR,
           "members of an indefinite array do not pay for the enclosing map");
    const uint8_t stray_break[] = {0x82, 0x01, 0xff};
    is_err(tc_cbor_load(stray_break, sizeof stray_break, &it), TC_ERR_CBOR, "a break in a definite array");
}

int main(void)
{
    test_cbor_guards();
    if (sodium_init() < 0)
        return 2;
    test_roundtrips();
    test_error_paths();
    test_noncanonical();
    test_consistency();
    return tap_done();
}
