/*
 * test_issuer_rules.c - the issuer's rules, each test named after its rule, with the boundaries:
 * T1 (title table), C4 (tenure start), S2 (what a basic-level unit is, by profile and date), S3
 * (scope against the employer), D1 (same year), D2 (5 years minus a day / exactly 5 years), A1
 * (key scope), A2 (blacklist, revocation), C1 (exactly 60 months / 59), C2 (90 / 89 hours), C3
 * (tenure carried over), A3 (audit chain detects edits and deletions), CSV import errors with
 * line numbers and nothing half-written, and the signed status bundle.
 */
#include <cbor.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "issuer.h"
#include "keys.h"
#include "scratch.h"
#include "tap.h"

static struct tc_signer *root, *issuer, *narrow;
static struct tc_secret *hashk;
static struct tc_store_keys *keys;
static struct tc_trust_list *tl;
static uint8_t *trust_bytes;
static size_t trust_len;
static struct tc_store *store;
static uint64_t now;

static uint8_t *endorse(struct tc_signer *k, uint8_t tracks, size_t *len, bool health_only)
{
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    const struct tc_pubkey *p = tc_signer_pub(k);
    memcpy(en.pk, p->pk, TC_PK_BYTES);
    memcpy(en.kid, p->kid, TC_KID_BYTES);
    memcpy(en.name, p->name, strlen(p->name) + 1);
    en.not_before = tc_beijing_day(now) - 10;
    en.not_after = en.not_before + 700;
    en.authz.tracks = tracks;
    en.authz.levels = 0x3E;
    if (health_only) {
        en.authz.series[0] = tc_series_id("KJ");
        en.authz.nseries = 1;
    }
    en.authz.region = 62;
    en.endorsed_at = now;
    uint8_t *out = NULL;
    tc_keys_endorse(&out, len, &en, root);
    return out;
}

static void setup(void)
{
    now = (uint64_t)time(NULL);
    root = make_signer("root.key", TC_KEY_ROOT);
    issuer = make_signer("issuer.key", TC_KEY_ISSUER);
    narrow = make_signer("narrow.key", TC_KEY_ISSUER);
    hashk = make_key("hash.key", TC_KEY_HASH);
    tc_store_keys_derive(&keys, hashk);
    size_t l1, l2;
    uint8_t *e1 = endorse(issuer, TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2) | TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER, &l1, false);
    uint8_t *e2 = endorse(narrow, TC_AUTHZ_TRACK(1), &l2, true);
    const uint8_t *ends[] = {e1, e2};
    size_t lens[] = {l1, l2};
    tc_keys_trust_list_build(&trust_bytes, &trust_len, 1, now, ends, lens, 2, NULL, 0, root);
    tc_trust_list_parse(trust_bytes, trust_len, tc_signer_pub(root)->pk, &tl);
    free(e1);
    free(e2);
}

static bool has_refusal(const struct tc_refusals *r, const char *rule, size_t line)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].rule, rule) == 0 && (line == (size_t)-1 || r->v[i].line == line))
            return true;
    return false;
}

static void dump(const struct tc_refusals *r)
{
    for (size_t i = 0; i < r->n; i++)
        printf("#   line %zu rule '%s' %s: %s\n", r->v[i].line, r->v[i].rule, r->v[i].field,
               r->v[i].msg);
}

/* A request like the committee CSV gives; dates as text. */
static struct tc_issue_request req(const char *name, const char *idno, const char *series, int level,
                                   int track, int year, const char *obtained, const char *tenure,
                                   const char *employer)
{
    struct tc_issue_request q;
    memset(&q, 0, sizeof q);
    snprintf(q.claims.name, sizeof q.claims.name, "%s", name);
    snprintf(q.idno, sizeof q.idno, "%s", idno);
    tc_idno_mask(q.claims.id_mask, idno);
    q.claims.series = tc_series_id(series);
    snprintf(q.claims.specialty, sizeof q.claims.specialty, "内科学");
    q.claims.level = (uint8_t)level;
    q.claims.track = (uint8_t)track;
    q.claims.method = TC_METHOD_REVIEW;
    q.claims.eval_year = (uint16_t)year;
    tc_day_parse(&q.claims.obtained_day, obtained);
    tc_month_parse(&q.claims.tenure_month, tenure);
    snprintf(q.claims.employer, sizeof q.claims.employer, "%s", employer);
    q.claims.committee = 101;
    snprintf(q.approval, sizeof q.approval, "测试〔2026〕1号");
    q.line = 2;
    return q;
}

/* Checks one request; returns whether it passed, leaving refusals in *r. */
static bool check1(struct tc_issue_request *q, struct tc_refusals *r, struct tc_signer *k)
{
    memset(r, 0, sizeof *r);
    return tc_issue_check(store, q, 1, tl, tc_signer_pub(k), now, r) == TC_OK;
}

static bool issue1(struct tc_issue_request *q)
{
    struct tc_refusals r;
    bool ok = check1(q, &r, issuer) && tc_issue_commit(store, q, 1, issuer, now, "test", NULL,
                                                       NULL) == TC_OK;
    if (!ok)
        dump(&r);
    tc_refusals_free(&r);
    return ok;
}

#define COUNTY "12620102438000123H"  /* county-level health centre in 城关区: basic */
#define PROVINCIAL "12620000438000456W" /* provincial hospital: not basic */
#define LINXIA "12622901438000777Q"  /* 临夏州 prefecture hospital: basic in GS (GS §3(一)) */
#define TOWNSHIP "126201234380010119" /* township health centre */
#define YONGDENG "12620121438000888F" /* county hospital, no longer basic from 2025 */

static void test_store_and_directory(void)
{
    char gs[65536];
    FILE *f = fopen(getenv("TC_PROFILE_GS"), "r");
    size_t n = f ? fread(gs, 1, sizeof gs - 1, f) : 0;
    if (f)
        fclose(f);
    gs[n] = '\0';
    const char *why = NULL;
    is_err(tc_store_init(path_in("gs.db"), gs, n, keys, &why), TC_OK, "store created for GS");
    is_err(tc_store_init(path_in("gs.db"), gs, n, keys, &why), TC_ERR_EXISTS, "never over a store");
    is_err(tc_store_init(path_in("bad.db"), "{\"profile\":\"XX\"}", 16, keys, &why), TC_ERR_RANGE,
           "an invalid profile is refused at init (%s)", why ? why : "");
    is_err(tc_store_open(&store, path_in("gs.db"), keys), TC_OK, "store opens with its hash key");
    struct tc_store_keys *other = NULL;
    struct tc_secret *h2 = make_key("hash2.key", TC_KEY_HASH);
    tc_store_keys_derive(&other, h2);
    struct tc_store *s2 = NULL;
    is_err(tc_store_open(&s2, path_in("gs.db"), other), TC_ERR_PASSPHRASE,
           "another hash key does not open it for writing");
    tc_store_keys_free(other);
    tc_keys_secret_close(h2);

    /* units: one bad file first, every problem by line, nothing written */
    write_file("bad-units.csv",
               "uscc,name,division,tier,basic_level,valid_from,valid_to\n"
               "12620102438000123H,好单位,620102,county,,2015-01-01,\n"
               "1262010243800012,短代码,620102,county,,2015-01-01,\n"
               "12620102438000124H,错地区,999999,county,,2015-01-01,\n"
               "12620102438000125H,外省,500101,county,,2015-01-01,\n"
               "12620102438000126H,坏层级,620102,city,,2015-01-01,\n"
               "12620102438000127H,坏日期,620102,county,,2015-02-30,\n"
               "12620102438000123H,重叠,620102,county,,2016-01-01,\n");
    struct tc_refusals r = {0};
    size_t imported = 0, warnings = 0;
    is_err(tc_units_import(store, path_in("bad-units.csv"), false, &r, &imported, &warnings),
           TC_ERR_REFUSED, "a units file with bad lines is refused whole");
    ok(has_refusal(&r, "", 3) && has_refusal(&r, "", 4) && has_refusal(&r, "", 5) &&
           has_refusal(&r, "", 6) && has_refusal(&r, "", 7) && has_refusal(&r, "S2", 8),
       "each bad line is reported with its line number (USCC, GB/T 2260 code, province, tier, "
       "date, overlap)");
    ok(has_refusal(&r, "warn", 4), "a USCC failing its check character is a warning, not an error");
    tc_refusals_free(&r);
    struct tc_unit u;
    is_err(tc_units_find(store, COUNTY, 20000, &u), TC_ERR_NOT_FOUND, "and nothing was written");
    write_file("missing.csv", "uscc,name,division,valid_from\n");
    is_err(tc_units_import(store, path_in("missing.csv"), false, &r, &imported, &warnings),
           TC_ERR_REFUSED, "a header without required columns");
    ok(r.n >= 1 && strstr(r.v[0].msg, "required column"), "names the missing column");
    tc_refusals_free(&r);

    write_file("units.csv",
               "uscc,name,division,tier,basic_level,valid_from,valid_to\n"
               COUNTY ",城关区社区卫生服务中心,620102,county,,2015-01-01,\n"
               PROVINCIAL ",甘肃省人民医院,620102,province,,2010-01-01,\n"
               LINXIA ",临夏州人民医院,622901,prefecture,,2012-01-01,\n"
               TOWNSHIP ",高崖镇卫生院,620123102,township,,2012-01-01,\n"
               YONGDENG ",永登县人民医院,620121,county,,2010-01-01,2024-12-31\n"
               YONGDENG ",永登县人民医院,620121,county,no,2025-01-01,\n");
    is_err(tc_units_import(store, path_in("units.csv"), false, &r, &imported, &warnings), TC_OK,
           "the sample directory imports");
    ok(imported == 6, "six entries");
    tc_refusals_free(&r);
}

static void test_rules(void)
{
    struct tc_refusals r;
    struct tc_issue_request q;

    q = req("张一", "620102198503121534", "KJ", 5, 2, 2026, "2026-10-01", "2026-10", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "T1", 2), "T1: 会计 has no 员级 title");
    tc_refusals_free(&r);

    q = req("张一", "620102198503121534", "WS-YL", 3, 2, 2026, "2026-10-01", "2026-09", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "C4", 2), "C4: tenure cannot start before the title");
    tc_refusals_free(&r);

    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2026, "2026-10-01", "2026-10", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S2", 2),
       "S1/S2: a basic-level title at a provincial hospital is refused");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2026, "2026-10-01", "2026-10", LINXIA);
    ok(check1(&q, &r, issuer), "S2: a 临夏州 prefecture unit is basic-level in GS (GS §3(一))");
    ok(q.claims.scope.region == 62 && q.claims.scope.tier == TC_TIER_BASIC,
       "S3: the GS default scope is the province's whole basic level (62, as the profile defines it)");
    ok(q.claims.conv.kind == TC_CONV_PATH && q.claims.conv.months_required == 60 &&
           q.claims.conv.ce_hours == 90 && q.claims.conv.earliest_month == q.claims.tenure_month + 60,
       "C1/C2: the conversion path comes from the profile");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2026, "2026-10-01", "2026-10", LINXIA);
    q.scope_given = true;
    q.claims.scope.region = 62;
    q.claims.scope.tier = TC_TIER_COUNTY;
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S3", 2),
       "S3: a scope that does not admit the holder's own employer is refused (county and below, "
       "employer a 临夏州 prefecture unit), naming rule and line");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2024, "2024-12-31", "2024-12", YONGDENG);
    ok(check1(&q, &r, issuer), "S2: the county hospital was basic-level on 2024-12-31");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2025, "2025-01-01", "2025-01", YONGDENG);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S2", 2),
       "S2: not from 2025-01-01, when the directory says no");
    tc_refusals_free(&r);

    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2026, "2026-10-01", "2026-10", COUNTY);
    q.scope_given = true;
    q.claims.scope.region = 62;
    q.claims.scope.tier = TC_TIER_TOWNSHIP;
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S3", 2),
       "S3: a township-only scope for a county-level employer");
    tc_refusals_free(&r);
    q.claims.scope.region = 6229;
    q.claims.scope.tier = TC_TIER_COUNTY;
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S3", 2), "S3: the employer outside the scope region");
    tc_refusals_free(&r);
    q.claims.scope.region = 620102;
    q.claims.scope.has_unit = true;
    memcpy(q.claims.scope.unit, TOWNSHIP, 19);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "S3", 2), "S3: a single-unit scope naming another unit");
    tc_refusals_free(&r);
    memcpy(q.claims.scope.unit, COUNTY, 19);
    ok(check1(&q, &r, issuer), "S3: a single-unit scope naming the employer (JL §2.6)");
    tc_refusals_free(&r);

    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2026, "2026-10-01", "2026-10", COUNTY);
    ok(!check1(&q, &r, narrow) && has_refusal(&r, "A1", 2),
       "A1: a key endorsed for 会计 only may not sign a 卫生 title");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 2, 2026, "2026-10-01", "2026-10", PROVINCIAL);
    ok(!check1(&q, &r, narrow) && has_refusal(&r, "A1", 2),
       "A1: a basic-level-only key may not sign a province-wide title");
    tc_refusals_free(&r);

    /* D1 and D2 against the store */
    q = req("张一", "620102198503121534", "WS-YL", 3, 1, 2021, "2021-11-21", "2021-12", COUNTY);
    ok(issue1(&q), "a basic-level 主治医师 obtained 2021-11-21 is issued");
    q = req("张一", "620102198503121534", "WS-YL", 3, 2, 2021, "2021-12-01", "2021-12", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "D1", 2),
       "D1: the other track in the same evaluation year");
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 3, 2, 2026, "2026-11-20", "2026-11", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "D2", 2),
       "D2: the other track, same level, 5 years minus a day later (2026-11-20)");
    tc_refusals_free(&r);
    now = now < 1795305600 ? 1795305600 + 3600 : now; /* "today" at least 2026-11-21 */
    q = req("张一", "620102198503121534", "WS-YL", 3, 2, 2026, "2026-11-21", "2026-11", PROVINCIAL);
    ok(check1(&q, &r, issuer), "D2: exactly 5 years later (2026-11-21) is allowed");
    if (r.total)
        dump(&r);
    tc_refusals_free(&r);
    q = req("张一", "620102198503121534", "WS-YL", 2, 2, 2026, "2026-06-01", "2026-06", PROVINCIAL);
    ok(check1(&q, &r, issuer), "D2: another level on the other track is not barred");
    tc_refusals_free(&r);

    /* D1 within one batch */
    struct tc_issue_request two[2];
    two[0] = req("钱二", "622921199001010024", "WS-HL", 3, 1, 2026, "2026-10-01", "2026-10", LINXIA);
    two[1] = req("钱二", "622921199001010024", "WS-HL", 4, 2, 2026, "2026-10-01", "2026-10", PROVINCIAL);
    two[1].line = 3;
    memset(&r, 0, sizeof r);
    ok(tc_issue_check(store, two, 2, tl, tc_signer_pub(issuer), now, &r) == TC_ERR_REFUSED &&
           has_refusal(&r, "D1", 3),
       "D1: both tracks in one year within one batch, reported on the later line");
    tc_refusals_free(&r);
}

static void test_key_term_A1(void)
{
    /* the same endorsement (about two years) under a profile that allows one year */
    char gs[65536];
    FILE *f = fopen(getenv("TC_PROFILE_GS"), "r");
    size_t n = f ? fread(gs, 1, sizeof gs - 1, f) : 0;
    if (f)
        fclose(f);
    gs[n] = '\0';
    char *at = strstr(gs, "\"max_key_term_years\": 3");
    ok(at != NULL, "the GS profile names its maximum key term");
    if (!at)
        return;
    at[strlen("\"max_key_term_years\": ")] = '1';
    const char *why;
    struct tc_store *s1 = NULL;
    if (tc_store_init(path_in("one-year.db"), gs, n, keys, &why) != TC_OK ||
        tc_store_open(&s1, path_in("one-year.db"), keys) != TC_OK) {
        ok(0, "a store for a one-year profile");
        return;
    }
    struct tc_issue_request q =
        req("张一", "620102198503121534", "WS-YL", 3, 2, 2026, "2026-10-01", "2026-10", PROVINCIAL);
    struct tc_refusals r = {0};
    ok(tc_issue_check(s1, &q, 1, tl, tc_signer_pub(issuer), now, &r) == TC_ERR_REFUSED &&
           has_refusal(&r, "A1", 0),
       "A1: a key endorsed for longer than the profile's maximum term signs nothing");
    tc_refusals_free(&r);
    tc_store_close(s1);
}

static void test_revocation_A2(void)
{
    struct tc_issue_request q =
        req("孙三", "620123199205050025", "WS-HL", 3, 1, 2026, "2026-10-20", "2026-11", TOWNSHIP);
    ok(issue1(&q), "a township nurse's basic-level title is issued");
    uint64_t id = q.claims.id;
    is_err(tc_revoke(store, id, "fraud", tc_beijing_day(now), true, "论文造假", 0, now),
           TC_OK, "A2: revoked for fraud, holder blacklisted");
    is_err(tc_revoke(store, id, "fraud", 0, false, NULL, 0, now), TC_ERR_EXISTS, "only once");
    is_err(tc_revoke(store, id, "because", 0, false, NULL, 0, now), TC_ERR_ARG, "a reason outside the list");
    struct tc_cert_row row;
    ok(tc_cert_get(store, id, &row) == TC_OK && strcmp(row.status, "revoked") == 0 &&
           strcmp(row.reason, "fraud") == 0,
       "A2: the revoked certificate stays, with its reason");
    struct tc_refusals r;
    q = req("孙三", "620123199205050025", "WS-HL", 2, 2, 2026, "2026-10-20", "2026-11", PROVINCIAL);
    ok(!check1(&q, &r, issuer) && has_refusal(&r, "A2", 2), "A2: a blacklisted holder gets nothing new");
    tc_refusals_free(&r);
}

/* Employment from `from` and per-year records for the C1 boundary tests. */
static uint64_t conversion_case(const char *idno, const char *name, const char *tenure,
                                const char *from, const char *to, int hours_2023)
{
    char obtained[11];
    snprintf(obtained, sizeof obtained, "%.7s-01", tenure);
    struct tc_issue_request q =
        req(name, idno, "WS-YX", 2, 1, atoi(tenure), obtained, tenure, COUNTY);
    if (!issue1(&q))
        return 0;
    char csv[2048];
    snprintf(csv, sizeof csv, "id_number,name,unit,from,to\n%s,%s," COUNTY ",%s,%s\n", idno, name,
             from, to);
    write_file("emp.csv", csv);
    struct tc_refusals r = {0};
    size_t n;
    tc_records_import(store, "employment", path_in("emp.csv"), &r, &n);
    char a[4096] = "id_number,name,year,result\n", c[4096] = "id_number,name,year,hours\n";
    for (int y = atoi(tenure); y <= 2025; y++) {
        char line[160];
        snprintf(line, sizeof line, "%s,%s,%d,合格\n", idno, name, y);
        strcat(a, line);
        snprintf(line, sizeof line, "%s,%s,%d,%d\n", idno, name, y, y == 2023 ? hours_2023 : 90);
        strcat(c, line);
    }
    write_file("ass.csv", a);
    write_file("ce.csv", c);
    tc_records_import(store, "assessments", path_in("ass.csv"), &r, &n);
    tc_records_import(store, "ce", path_in("ce.csv"), &r, &n);
    if (r.total)
        dump(&r);
    tc_refusals_free(&r);
    return q.claims.id;
}

static void test_conversion_C1(void)
{
    struct tc_eligibility el;
    int32_t at;
    tc_day_parse(&at, "2026-06-30");
    /* employed 2021-07-01 .. 2026-06-30: July 2021 to June 2026 is exactly 60 months */
    uint64_t a = conversion_case("620102198001010017", "周四", "2021-07", "2021-07-01", "2026-06-30", 90);
    ok(a != 0, "a basic-level 副主任药师 from 2021-07");
    is_err(tc_convert_check(store, a, at, &el), TC_OK, "eligibility computed");
    ok(el.months == 60 && el.eligible, "C1: exactly 60 months at a basic-level unit is eligible (%d)",
       el.months);
    tc_day_parse(&at, "2026-05-31");
    tc_convert_check(store, a, at, &el);
    ok(el.months == 59 && !el.eligible, "C1: 59 months is not (%d)", el.months);
    ok(el.n_shortfalls == 1 && strstr(el.shortfalls[0], "59"), "and the shortfall says so: %s",
       el.n_shortfalls ? el.shortfalls[0] : "");

    uint64_t b = conversion_case("620102198002020014", "吴五", "2021-07", "2021-07-01", "", 89);
    tc_day_parse(&at, "2026-07-01");
    tc_convert_check(store, b, at, &el);
    ok(!el.eligible && el.n_shortfalls == 1 && strstr(el.shortfalls[0], "2023年89学时"),
       "C2: 89 hours in 2023 is a shortfall: %s", el.n_shortfalls ? el.shortfalls[0] : "");
    tc_day_parse(&at, "2026-07-01");
    tc_convert_check(store, a, at, &el);
    ok(el.eligible, "C2: 90 hours every year is enough");

    uint64_t new_id = 0;
    is_err(tc_convert_commit(store, b, at, "甘职改〔2026〕1号", 100, issuer, now, &new_id),
           TC_ERR_REFUSED, "C1: no conversion while a shortfall remains");
    is_err(tc_convert_commit(store, a, at, "甘职改〔2026〕1号", 100, issuer, now, &new_id), TC_OK,
           "C1: conversion with the unified committee's decision");
    struct tc_cert_row oldr, newr;
    struct tc_cert nc;
    ok(tc_cert_get(store, a, &oldr) == TC_OK && strcmp(oldr.status, "superseded") == 0 &&
           oldr.successor == new_id,
       "C1: the old certificate is superseded (not revoked) and names its successor");
    ok(tc_cert_get(store, new_id, &newr) == TC_OK &&
           tc_cert_decode(newr.payload, newr.payload_len, &nc, NULL) == TC_OK &&
           nc.claims.track == TC_TRACK_PROVINCE && nc.claims.level == 2 &&
           nc.claims.conv.kind == TC_CONV_FROM && nc.claims.conv.predecessor == a,
       "C1: the new one is province-wide, the same level, and names its predecessor");
    int32_t tenure;
    tc_month_parse(&tenure, "2021-07");
    ok(nc.claims.conv.carried_tenure_month == tenure && nc.claims.tenure_month == tenure,
       "C3: tenure from 2021-07 carries over");
    is_err(tc_convert_commit(store, a, at, "x", 100, issuer, now, &new_id), TC_ERR_REFUSED,
           "C1: a superseded certificate cannot be converted again");
}

static void test_audit_A3(void)
{
    uint64_t count, bad;
    uint8_t head[32];
    is_err(tc_audit_verify(store, &count, &bad, head), TC_OK, "audit chain read");
    ok(bad == 0 && count >= 10, "A3: every change has its event and the chain is intact (%llu events)",
       (unsigned long long)count);
    /* the file as another program opens it (the sqlite3 shell): titlecert's own connection runs
     * no trigger at all, so that none written into the file runs inside its writes */
    sqlite3 *db = NULL;
    sqlite3_open_v2(path_in("gs.db"), &db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_busy_timeout(db, 5000);
    ok(sqlite3_exec(db, "UPDATE events SET detail = 'x' WHERE seq = 3", NULL, NULL, NULL) != SQLITE_OK,
       "A3: the store refuses to update an event");
    ok(sqlite3_exec(db, "DELETE FROM events WHERE seq = 3", NULL, NULL, NULL) != SQLITE_OK,
       "A3: and to delete one");
    /* someone with the file drops the trigger and edits anyway */
    sqlite3_exec(db, "DROP TRIGGER events_no_update; UPDATE events SET at = at + 1 WHERE seq = 4",
                 NULL, NULL, NULL);
    tc_audit_verify(store, &count, &bad, head);
    ok(bad == 4, "A3: an edited event is found (event %llu)", (unsigned long long)bad);
    sqlite3_exec(db, "UPDATE events SET at = at - 1 WHERE seq = 4; "
                     "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 6",
                 NULL, NULL, NULL);
    tc_audit_verify(store, &count, &bad, head);
    ok(bad == 6, "A3: a deleted event is found (event %llu)", (unsigned long long)bad);
    sqlite3_close(db);
}

/* tc_bundle_export with the bundle bytes only */
static enum tc_err export_bytes(struct tc_store *s, const uint8_t *list, size_t list_len,
                                const struct tc_trust_list *tlist, struct tc_signer *key,
                                uint64_t at, uint8_t **b, size_t *len, uint64_t *version)
{
    struct tc_export x;
    enum tc_err e = tc_bundle_export(s, list, list_len, tlist, key, NULL, at, &x);
    *b = x.bundle, *len = x.len, *version = x.version;
    x.bundle = NULL; /* the caller's now */
    tc_export_free(&x);
    return e;
}

static void test_bundle(void)
{
    uint8_t *b = NULL;
    size_t len = 0;
    uint64_t version = 0;
    is_err(export_bytes(store, trust_bytes, trust_len, tl, narrow, now, &b, &len, &version),
           TC_ERR_NOT_AUTHORISED, "A1: a key without status authorisation cannot sign a bundle");
    is_err(export_bytes(store, trust_bytes, trust_len, tl, issuer, now, &b, &len, &version),
           TC_OK, "bundle exported");
    ok(version == 1, "version 1");
    uint8_t *payload = NULL;
    size_t plen = 0;
    is_err(tc_cose_sign1_verify(b, len, (const uint8_t *)TC_AAD_BUNDLE, strlen(TC_AAD_BUNDLE),
                                tc_signer_pub(issuer)->pk, &payload, &plen),
           TC_OK, "its signature verifies with the status key and the bundle AAD");
    struct cbor_item_t *it = NULL;
    is_err(tc_cbor_load(payload, plen, &it), TC_OK, "its payload is well-formed CBOR");
    if (it)
        cbor_decref(&it);
    free(payload);
    free(b);
    b = NULL;
    export_bytes(store, trust_bytes, trust_len, tl, issuer, now, &b, &len, &version);
    ok(version == 2, "the next export is version 2");
    free(b);
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init())
        return 2;
    setup();
    test_store_and_directory();
    if (store) {
        test_rules();
        test_key_term_A1();
        test_revocation_A2();
        test_conversion_C1();
        test_bundle();
        test_audit_A3();
    }
    tc_store_close(store);
    tc_store_keys_free(keys);
    tc_signer_close(root);
    tc_signer_close(issuer);
    tc_signer_close(narrow);
    tc_keys_secret_close(hashk);
    tc_trust_list_free(tl);
    free(trust_bytes);
    scratch_remove();
    return tap_done();
}
