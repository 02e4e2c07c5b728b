/*
 * test_verifier_scenarios.c - the verification engine against real status bundles exported by
 * the issuer for three provinces, one test per verdict and per reason code, and the scenarios
 * named after their rules:
 *   S1  a GS basic-level title at a county health centre (valid) and at the provincial hospital
 *       (not_valid_here);
 *   S2  a unit whose basic-level status ended before the day asked; a unit outside CQ's 16
 *       districts; a unit not in the directory;
 *   S3  a CQ township-only title at a county-level unit; a JL single-unit title at another unit;
 *   S4  a province-wide title at the provincial hospital;
 *   C1  the old QR after conversion (superseded, names the successor);
 *   A2  a revoked certificate; a certificate signed after its key's revocation;
 *   A1  a key used outside its term; a basic-level-only key signing a province-wide title; an
 *       unknown key; plus malformed, bad_signature and status_stale.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "issuer.h"
#include <sqlite3.h>

#include "scratch.h"
#include "tap.h"
#include "jsonw.h"
#include "verifier.h"

static uint64_t now;
static int32_t today;
static struct tc_signer *root, *gs, *cq, *jl, *revoked_key;
static struct tc_secret *hashk;
static struct tc_store_keys *keys;
static uint8_t *trust;
static size_t trust_len;
static struct tc_trust_list *tl;
struct tc_export;
static void malicious_deltas(struct tc_store *s, const struct tc_bundle *b1,
                             const struct tc_bundle *full, const struct tc_export *x2,
                             uint64_t revoked_id);

static uint8_t *endorse(struct tc_signer *k, uint8_t tracks, uint32_t region, size_t *len)
{
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    const struct tc_pubkey *p = tc_signer_pub(k);
    memcpy(en.pk, p->pk, TC_PK_BYTES);
    memcpy(en.kid, p->kid, TC_KID_BYTES);
    memcpy(en.name, p->name, strlen(p->name) + 1);
    en.not_before = today - 10;
    en.not_after = today + 700;
    en.authz.tracks = tracks;
    en.authz.levels = 0x3E;
    en.authz.region = region;
    en.endorsed_at = now;
    uint8_t *out = NULL;
    tc_keys_endorse(&out, len, &en, root);
    return out;
}

static void setup_keys(void)
{
    root = make_signer("root.key", TC_KEY_ROOT);
    gs = make_signer("gs.key", TC_KEY_ISSUER);
    cq = make_signer("cq.key", TC_KEY_ISSUER);
    jl = make_signer("jl.key", TC_KEY_ISSUER);
    revoked_key = make_signer("revoked.key", TC_KEY_ISSUER);
    hashk = make_key("hash.key", TC_KEY_HASH);
    tc_store_keys_derive(&keys, hashk);
    size_t l[4];
    uint8_t *e[4];
    e[0] = endorse(gs, TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2) | TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER, 62, &l[0]);
    e[1] = endorse(cq, TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2) | TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER, 50, &l[1]);
    e[2] = endorse(jl, TC_AUTHZ_TRACK(1) | TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER, 22, &l[2]); /* basic-level only */
    e[3] = endorse(revoked_key, TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2), 62, &l[3]);
    struct tc_revocation rv;
    memset(&rv, 0, sizeof rv);
    memcpy(rv.kid, tc_signer_pub(revoked_key)->kid, TC_KID_BYTES);
    rv.day = today - 2;
    memcpy(rv.reason, "密钥泄露", sizeof "密钥泄露");
    rv.revoked_at = now;
    const uint8_t *ends[] = {e[0], e[1], e[2], e[3]};
    tc_keys_trust_list_build(&trust, &trust_len, 1, now, ends, l, 4, &rv, 1, root);
    tc_trust_list_parse(trust, trust_len, tc_signer_pub(root)->pk, &tl);
    for (int i = 0; i < 4; i++)
        free(e[i]);
}

static char *slurp(const char *path, size_t *n)
{
    uint8_t *b = NULL;
    if (tc_file_read(path, 1 << 20, &b, n) != TC_OK)
        return NULL;
    b[*n] = '\0';
    return (char *)b;
}

/* A store for a profile with a units file; returns the store (kept open). */
static struct tc_store *province_as(const char *code, const char *name, const char *units_csv);

static struct tc_store *province(const char *code, const char *units_csv)
{
    return province_as(code, code, units_csv);
}

/* a store of profile `code` in the file <name>.db */
static struct tc_store *province_as(const char *code, const char *name, const char *units_csv)
{
    char profile_path[1024], db[64], units[64];
    snprintf(profile_path, sizeof profile_path, "%s/profiles/%s.json", getenv("TC_DATA_DIR"), code);
    size_t n;
    char *profile = slurp(profile_path, &n);
    const char *why;
    struct tc_store *s = NULL;
    snprintf(db, sizeof db, "%s.db", name);
    if (!profile || tc_store_init(path_in(db), profile, n, keys, &why) != TC_OK ||
        tc_store_open(&s, path_in(db), keys) != TC_OK) {
        free(profile);
        return NULL;
    }
    free(profile);
    snprintf(units, sizeof units, "%s-units.csv", code);
    if (units_csv[0] == '/') {
        struct tc_refusals r = {0};
        size_t k, w;
        tc_units_import(s, units_csv, false, &r, &k, &w);
        tc_refusals_free(&r);
    } else {
        write_file(units, units_csv);
        struct tc_refusals r = {0};
        size_t k, w;
        tc_units_import(s, path_in(units), false, &r, &k, &w);
        tc_refusals_free(&r);
    }
    return s;
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

static struct tc_bundle *export(struct tc_store *s, struct tc_signer *key)
{
    uint8_t *b = NULL;
    size_t len = 0;
    uint64_t version;
    struct tc_bundle *bundle = NULL;
    if (export_bytes(s, trust, trust_len, tl, key, now, &b, &len, &version) == TC_OK)
        tc_bundle_parse(b, len, tc_signer_pub(root)->pk, &bundle);
    free(b);
    return bundle;
}

static struct tc_verdict v;
static uint8_t cert[TC_CERT_MAX_BYTES];
static size_t cert_len;

static void sign(const struct tc_claims *c, struct tc_signer *k)
{
    tc_keys_sign_cert(cert, sizeof cert, &cert_len, c, k);
}

/* Registers the certificate at hand in bundle b's index, as if the province had logged it: the
 * scope and key checks below are about certificates the register holds (A3 has its own tests). */
static void admit(struct tc_bundle *b)
{
    struct tc_cert dc;
    if (tc_cert_decode(cert, cert_len, &dc, NULL) != TC_OK)
        return;
    uint8_t h[32];
    crypto_hash_sha256(h, cert, cert_len);
    struct tc_bundle_registered *grown = realloc(b->index, (b->n_index + 1) * sizeof *grown);
    if (!grown)
        return;
    b->index = grown;
    size_t i = 0;
    while (i < b->n_index && b->index[i].id < dc.claims.id)
        i++;
    if (i < b->n_index && b->index[i].id == dc.claims.id) {
        memcpy(b->index[i].hash, h, TC_BUNDLE_INDEX_HASH);
        return;
    }
    memmove(&b->index[i + 1], &b->index[i], (b->n_index - i) * sizeof *grown);
    b->index[i].id = dc.claims.id;
    b->index[i].leaf = 0;
    memcpy(b->index[i].hash, h, TC_BUNDLE_INDEX_HASH);
    b->n_index++;
}

/* Every verdict made here is written twice, by the writer (tc_verdict_write_json) and as the
 * jansson tree dumped the way the HTTP layer dumps it: the bytes must be the same. */
static size_t json_checked, json_differ;
static void json_same(void)
{
    char local[512];
    struct tc_jsonw w;
    const char *out;
    size_t len;
    tc_jsonw_init(&w, local, sizeof local, 1u << 16);
    tc_jsonw_object(&w);
    tc_verdict_write_json(&w, &v);
    tc_jsonw_end(&w);
    json_t *tree = tc_verdict_to_json(&v);
    char *ref = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_checked++;
    if (tc_jsonw_finish(&w, &out, &len) != TC_OK || !ref || strlen(ref) != len ||
        memcmp(ref, out, len) != 0) {
        json_differ++;
        printf("#   writer: %s\n#   tree:   %s\n", out ? out : "(error)", ref ? ref : "(none)");
    }
    free(ref);
    json_decref(tree);
    tc_jsonw_free(&w);
}

static enum tc_verdict_kind check(const struct tc_bundle *b, const char *unit, int32_t at)
{
    struct tc_verify_opts o = {unit, at, now, 0};
    tc_verify_with_bundle(b, cert, cert_len, &o, &v);
    json_same();
    return v.kind;
}

static bool has_reason(const char *code, const char *rule)
{
    for (size_t i = 0; i < v.n_reasons; i++)
        if (strcmp(v.reasons[i].code, code) == 0)
            return !rule || strcmp(v.reasons[i].rule, rule) == 0;
    return false;
}

static void reasons(void)
{
    printf("#   verdict %s:", tc_verdict_name(v.kind));
    for (size_t i = 0; i < v.n_reasons; i++)
        printf(" %s", v.reasons[i].code);
    printf("\n");
}

#define COUNTY "12620102438000123H"
#define PROVINCIAL "12620000438000456W"
#define YONGDENG "12620121438000888F" /* basic until 2024-12-31, then not */
#define LINXIA "12622901438000777Q"   /* 临夏州人民医院: a prefecture unit, basic-level in GS */
#define LANZHOU_FIRST "126201034380005550" /* 兰州市第一人民医院: prefecture, not basic-level */
#define TOWNSHIP "126201234380010119"  /* 榆中县高崖镇卫生院 */

static void gs_scenarios(void)
{
    char units[1024];
    snprintf(units, sizeof units, "%s/samples/gs-units.csv", getenv("TC_DATA_DIR"));
    struct tc_store *s = province("GS", units);
    ok(s != NULL, "GS store with the sample directory");
    if (!s)
        return;
    /* the sample committee results, a conversion and a revocation, through the issuer */
    char path[1024];
    struct tc_refusals r = {0};
    size_t n;
    const char *kinds[] = {"employment", "assessments", "ce"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/samples/gs-%s.csv", getenv("TC_DATA_DIR"), kinds[i]);
        tc_records_import(s, kinds[i], path, &r, &n);
    }
    struct tc_issue_request *reqs = NULL;
    snprintf(path, sizeof path, "%s/samples/gs-results.csv", getenv("TC_DATA_DIR"));
    tc_issue_read_csv(s, path, &reqs, &n, &r);
    bool issued = n == 4 && tc_issue_check(s, reqs, n, tl, tc_signer_pub(gs), now, &r) == TC_OK &&
                  tc_issue_commit(s, reqs, n, gs, now, "t", NULL, NULL) == TC_OK;
    ok(issued, "the four sample certificates are issued");
    if (!issued) {
        free(reqs);
        tc_store_close(s);
        return;
    }
    uint64_t wang = reqs[0].claims.id, ma = reqs[1].claims.id, zhao = reqs[2].claims.id,
             li = reqs[3].claims.id, successor = 0;
    is_err(tc_convert_commit(s, wang, today, "甘职改〔2026〕8号", 100, gs, now, &successor), TC_OK,
           "the first is converted");
    is_err(tc_revoke(s, zhao, "fraud", today, false, NULL, 0, now), TC_OK, "the third revoked");
    struct tc_bundle *b = export(s, gs);
    ok(b != NULL, "GS bundle exported and loaded");
    if (!b)
        goto out;
    ok(b->n_units == 7 && b->n_revoked == 1 && b->n_superseded == 1, "bundle holds 7 unit entries, "
       "1 revocation, 1 supersession");

    struct tc_cert_row row;
    tc_cert_get(s, ma, &row); /* 马明: basic-level, GS default scope */
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, NULL, today) == TC_VERDICT_VALID && has_reason("scope_not_checked", "S1"),
       "valid without a unit, with a note that the scope was not checked");
    ok(check(b, COUNTY, today) == TC_VERDICT_VALID && v.n_reasons == 0,
       "S1: a GS basic-level title at a county health centre is valid");
    ok(check(b, PROVINCIAL, today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_not_basic_level", "S1"),
       "S1: at the provincial hospital it is not valid here (unit_not_basic_level)");
    ok(check(b, LINXIA, today) == TC_VERDICT_VALID && v.n_reasons == 0,
       "S3 (GS §3(二) 全省基层范围有效): the title of an employee of 临夏州人民医院, a prefecture unit "
       "GS counts as basic-level, is valid at that hospital");
    ok(check(b, LANZHOU_FIRST, today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_not_basic_level", "S1") && !has_reason("unit_tier_not_allowed", NULL),
       "S1: at a 兰州 prefecture hospital, not basic-level in GS, it is not valid here");
    int32_t d2024, d2025;
    tc_day_parse(&d2024, "2024-12-31");
    tc_day_parse(&d2025, "2025-01-01");
    /* 王芳's title, held since 2020 (converted only today), at a unit whose status changed */
    tc_cert_get(s, wang, &row);
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, YONGDENG, d2024) == TC_VERDICT_VALID, "S2: at 永登县人民医院 on 2024-12-31: valid");
    ok(check(b, YONGDENG, d2025) == TC_VERDICT_NOT_VALID_HERE && has_reason("unit_not_basic_level", "S1"),
       "S2: from 2025-01-01, when its basic-level status ended, not valid here");
    tc_cert_get(s, ma, &row);
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, "12620102438000999Q", today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_unknown", "S2"),
       "S2: a unit not in the directory (unit_unknown)");
    ok(v.unit_checked && !v.unit, "and the verdict says the unit is unknown");

    /* the day asked (at) follows the dated facts */
    int32_t d2019;
    tc_day_parse(&d2019, "2019-01-01");
    ok(check(b, COUNTY, d2019) == TC_VERDICT_NOT_VALID_HERE && has_reason("not_yet_obtained", NULL),
       "not_yet_obtained: a title obtained 2026-10-20, checked at 2019-01-01, is not valid then");
    ok(check(b, NULL, d2019) == TC_VERDICT_NOT_VALID_HERE && has_reason("not_yet_obtained", NULL),
       "not_yet_obtained: also without a unit");
    ok(check(b, COUNTY, reqs[1].claims.obtained_day) == TC_VERDICT_VALID,
       "on the day obtained it is valid");

    tc_cert_get(s, li, &row); /* province-wide */
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, PROVINCIAL, today) == TC_VERDICT_VALID, "S4: a province-wide title is valid at the "
                                                        "provincial hospital");

    tc_cert_get(s, wang, &row); /* the old QR after conversion */
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, COUNTY, today) == TC_VERDICT_SUPERSEDED && has_reason("superseded", "C1") &&
           v.successor == successor,
       "C1: the old QR after conversion is superseded and names its successor (%llu)",
       (unsigned long long)v.successor);
    ok(v.successor_status && strcmp(v.successor_status, "in_force") == 0,
       "C1: and says the successor is in force (%s)", v.successor_status ? v.successor_status : "-");
    ok(v.successor_verdict && strcmp(v.successor_verdict, "valid") == 0,
       "C1: the successor's own verdict at the unit asked is valid (province-wide) (%s)",
       v.successor_verdict ? v.successor_verdict : "-");
    tc_cert_get(s, successor, &row);
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, PROVINCIAL, today) == TC_VERDICT_VALID, "C1: the successor is valid anywhere");
    tc_cert_get(s, wang, &row);
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, COUNTY, today - 1) == TC_VERDICT_VALID && has_reason("superseded_later", "C1"),
       "C1 (superseded from its date): the day before the conversion the old title was valid, "
       "with a note that it was exchanged later");

    tc_cert_get(s, zhao, &row);
    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    ok(check(b, COUNTY, today) == TC_VERDICT_REVOKED && has_reason("revoked", "A2") &&
           strcmp(v.revoked_reason, "fraud") == 0,
       "A2: a revoked certificate is revoked, with its reason");
    ok(check(b, TOWNSHIP, today - 30) == TC_VERDICT_VALID && has_reason("revoked_later", "A2"),
       "A2 (revoked from its date): a month before the revocation it was valid, with a note that "
       "it was revoked later");
    ok(check(b, TOWNSHIP, today + 30) == TC_VERDICT_REVOKED, "A2: and revoked on every day after");

    /* A1 and signature failures, on a certificate otherwise like 马明's */
    struct tc_claims c;
    struct tc_cert dc;
    tc_cert_get(s, ma, &row);
    tc_cert_decode(row.payload, row.payload_len, &dc, NULL);
    c = dc.claims;
    c.issued_at = (uint64_t)(today - 30) * 86400;
    sign(&c, gs);
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("issuer_key_out_of_term", "A1"),
       "A1: a key used outside its term gives invalid");
    c = dc.claims;
    sign(&c, revoked_key);
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("issuer_key_revoked", "A2"),
       "A2: a certificate signed after its key's revocation is invalid");
    c.issued_at = (uint64_t)(today - 5) * 86400;
    c.id += 500; /* its own number: admit() below must not replace 马明's entry */
    sign(&c, revoked_key);
    check(b, COUNTY, today);
    json_t *unreg = tc_verdict_to_json(&v);
    ok(v.kind == TC_VERDICT_INVALID && has_reason("not_registered", "A3") && v.n_reasons == 1 &&
           !json_object_get(unreg, "certificate"),
       "A3 (back-dating): signed today with the revoked key but dated before its revocation, "
       "outside the register: invalid, not_registered, no claims shown");
    json_decref(unreg);
    ok(strstr(v.reasons[0].zh, "未在") && strstr(v.reasons[0].en, "not in the province's public register"),
       "A3: the reason says, in Chinese and English, that the register does not hold it");
    admit(b);
    ok(check(b, COUNTY, today) == TC_VERDICT_VALID,
       "A2: one the register holds, signed before the revocation day, stays valid");
    c = dc.claims;
    c.issued_at = now - 60;
    sign(&c, gs);
    check(b, COUNTY, today);
    ok(v.kind == TC_VERDICT_INVALID && has_reason("not_registered", "A3"),
       "A3: a genuine key signing outside the store (titlecert-issuer sign): not_registered");
    c.id += 1000;
    c.issued_at = now + 30; /* after the bundle was issued (now) */
    sign(&c, gs);
    check(b, COUNTY, today);
    ok(v.kind == TC_VERDICT_INVALID && strstr(v.reasons[0].zh, "最后更新于") &&
           strstr(v.reasons[0].en, "last updated at"),
       "A3: a certificate issued after the bundle: the message says when the register here was "
       "last updated (%s)", v.reasons[0].en);
    c = dc.claims;
    c.issued_at = now + 3600;
    sign(&c, gs);
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("issued_in_future", NULL),
       "issued_in_future: a certificate saying it was issued an hour from now is invalid");
    c = dc.claims;
    c.issued_at = now + 60;
    c.id += 501;
    sign(&c, gs);
    admit(b);
    ok(check(b, COUNTY, today) == TC_VERDICT_VALID,
       "issued_in_future: a minute ahead is within the allowed clock skew (%u s)",
       TC_CLOCK_SKEW_SECONDS);
    c = dc.claims;
    struct fx_key stranger;
    fx_key(&stranger, 42);
    fx_cert_sign(cert, sizeof cert, &cert_len, &c, stranger.kid, stranger.sk);
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("unknown_issuer", "A1"),
       "A1: a key not in the trust list gives invalid (unknown_issuer)");
    fx_cert_sign(cert, sizeof cert, &cert_len, &c, tc_signer_pub(gs)->kid, stranger.sk);
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("bad_signature", NULL),
       "a forgery naming the GS key gives invalid (bad_signature)");
    json_t *forged = tc_verdict_to_json(&v);
    json_t *fiss = json_object_get(forged, "issuer");
    ok(!json_object_get(forged, "certificate") && !json_object_get(forged, "scope_text") &&
           json_is_string(json_object_get(fiss, "key_id")) && !json_object_get(fiss, "name") &&
           !json_object_get(fiss, "term_from"),
       "bad_signature: the answer carries no forged claims and no genuine issuer's name, only "
       "the key id");
    json_decref(forged);
    memcpy(cert, "\x84\x01", 2), cert_len = 2;
    ok(check(b, COUNTY, today) == TC_VERDICT_INVALID && has_reason("malformed", NULL),
       "garbage gives invalid (malformed)");

    memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
    struct tc_verify_opts stale = {COUNTY, today, now + 8 * 86400, 7 * 86400};
    tc_verify_with_bundle(b, cert, cert_len, &stale, &v);
    json_same();
    ok(v.kind == TC_VERDICT_VALID && has_reason("status_stale", NULL),
       "a bundle older than the maximum age marks the verdict status_stale");
    uint8_t text_buf[TC_CERT_MAX_BYTES];
    struct tc_verify_opts o = {NULL, today, now, 0};
    tc_verify_text_with_bundle(b, "TC1:256", 7, text_buf, &o, &v);
    json_same();
    ok(v.kind == TC_VERDICT_INVALID && has_reason("malformed", NULL), "a bad payload text is malformed");
    tc_bundle_free(b);
    /* the successor revoked: the old QR says so as the successor's own verdict */
    is_err(tc_revoke(s, successor, "fraud", today, false, NULL, 0, now), TC_OK,
           "the successor revoked");
    if ((b = export(s, gs)) != NULL) {
        tc_cert_get(s, wang, &row);
        memcpy(cert, row.payload, row.payload_len), cert_len = row.payload_len;
        ok(check(b, PROVINCIAL, today) == TC_VERDICT_SUPERSEDED && v.successor_verdict &&
               strcmp(v.successor_verdict, "revoked") == 0 && v.successor_since == today &&
               strcmp(v.successor_reason, "fraud") == 0,
           "C1: a successor revoked since is the successor's verdict, with its day and reason");
        tc_bundle_free(b);
    }
out:
    tc_refusals_free(&r);
    free(reqs);
    tc_store_close(s);
}

static void cq_scenarios(void)
{
    struct tc_store *s = province("CQ", "uscc,name,division,tier,valid_from\n"
                                        "12500101438000101U,万州区人民医院,500101,county,2015-01-01\n"
                                        "12500101438000102Y,太白街道社区卫生服务中心,500101017,township,2015-01-01\n"
                                        "12500103438000103Y,七星岗街道社区卫生服务中心,500103001,township,2015-01-01\n");
    struct tc_bundle *b = s ? export(s, cq) : NULL;
    ok(b != NULL, "CQ bundle with three units");
    if (!b) {
        tc_store_close(s);
        return;
    }
    struct tc_claims c;
    fx_basic(&c);
    c.scope.region = 50;
    c.scope.tier = TC_TIER_TOWNSHIP; /* CQ §2(三): 限定在乡镇基层单位使用有效 */
    memcpy(c.employer, "12500101438000102Y", 19);
    c.issued_at = now - 3600;
    sign(&c, cq);
    admit(b);
    ok(check(b, "12500101438000102Y", today) == TC_VERDICT_VALID,
       "S3: a CQ township-only title at a township unit in 万州区 is valid");
    ok(check(b, "12500101438000101U", today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_tier_not_allowed", "S3") && !has_reason("unit_not_basic_level", NULL),
       "S3: at a county-level unit it is not valid here (unit_tier_not_allowed), although that "
       "unit is basic-level");
    ok(check(b, "12500103438000103Y", today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_not_basic_level", "S1"),
       "S2: a township unit in 渝中区, outside CQ's 16 districts, is not basic-level");
    c.scope.region = 500101;
    c.scope.tier = TC_TIER_COUNTY;
    sign(&c, cq);
    admit(b);
    ok(check(b, "12500103438000103Y", today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_outside_region", "S3"),
       "S3: a title limited to 万州区 at a unit elsewhere (unit_outside_region)");
    tc_bundle_free(b);
    tc_store_close(s);
}

static void jl_scenarios(void)
{
    struct tc_store *s = province("JL", "uscc,name,division,tier,valid_from\n"
                                        "122201024380002014,南关区医院,220102,county,2015-01-01\n"
                                        "122201044380002024,朝阳区医院,220104,county,2015-01-01\n");
    struct tc_bundle *b = s ? export(s, jl) : NULL;
    ok(b != NULL, "JL bundle with two units");
    if (!b) {
        tc_store_close(s);
        return;
    }
    struct tc_claims c;
    fx_basic(&c);
    c.scope.region = 22;
    c.scope.tier = TC_TIER_COUNTY;
    c.scope.has_unit = true; /* JL §2.6: 由用人单位内部管理和使用 */
    memcpy(c.scope.unit, "122201024380002014", 19);
    memcpy(c.employer, "122201024380002014", 19);
    c.issued_at = now - 3600;
    sign(&c, jl);
    admit(b);
    ok(check(b, "122201024380002014", today) == TC_VERDICT_VALID,
       "S3: a JL single-unit title at its own unit is valid");
    ok(check(b, "122201044380002024", today) == TC_VERDICT_NOT_VALID_HERE &&
           has_reason("unit_not_the_employer", "S3"),
       "S3: at another unit it is not valid here (unit_not_the_employer)");
    fx_converted(&c);
    memcpy(c.employer, "122201024380002014", 19);
    c.issued_at = now - 3600;
    sign(&c, jl);
    ok(check(b, "122201024380002014", today) == TC_VERDICT_INVALID &&
           has_reason("issuer_not_authorised", "A1"),
       "A1: a key endorsed for basic-level titles signing a province-wide one gives invalid");
    if (v.kind != TC_VERDICT_INVALID)
        reasons();
    tc_bundle_free(b);
    tc_store_close(s);
}

/* Bundle checked before it is parsed: the lists of a bundle are read only once its signature
 * verifies, and only in their one canonical encoding. */
static void bundle_before_parse(const uint8_t *bundle, size_t len)
{
    uint8_t kid[TC_KID_BYTES], sig[TC_SIG_BYTES];
    const uint8_t *prot, *payload;
    size_t prot_len, payload_len;
    if (tc_cose_sign1_parse(bundle, len, kid, &prot, &prot_len, &payload, &payload_len, sig) != TC_OK)
        return;
    struct tc_tok_reader tr;
    struct tc_tok t;
    const uint8_t *emb = NULL; /* the embedded trust list */
    size_t emb_len = 0;
    tc_tok_reader_init(&tr, payload, payload_len);
    for (int i = 0; i < 12 && !emb && tc_tok_next(&tr, &t); i++)
        if (t.kind == TC_TOK_BYTES)
            emb = t.p, emb_len = t.len;
    size_t cap = payload_len + 65536;
    uint8_t *p = malloc(cap), *msg = malloc(cap + 256);
    struct tc_cw w;
    size_t mlen;
    struct tc_bundle *bb = NULL;
    /* well-formed CBOR whose lists are not a bundle's (1000 integers where revocations go),
     * signed by a key the trust list does not know: refused for its signer, not its lists */
    tc_cw_init(&w, p, cap);
    tc_cw_map(&w, 14), tc_cw_uint(&w, 0), tc_cw_uint(&w, 4), tc_cw_uint(&w, 1), tc_cw_uint(&w, 99);
    tc_cw_uint(&w, 2), tc_cw_uint(&w, now), tc_cw_uint(&w, 3), tc_cw_bytes(&w, emb, emb_len);
    tc_cw_uint(&w, 4), tc_cw_array(&w, 1000);
    for (int i = 0; i < 1000; i++)
        tc_cw_uint(&w, 7);
    for (uint64_t k = 5; k <= 13; k++)
        tc_cw_uint(&w, k), tc_cw_uint(&w, 0);
    struct fx_key stranger;
    fx_key(&stranger, 91);
    fx_cose_sign1(msg, cap + 256, &mlen, p, w.len, TC_AAD_BUNDLE, stranger.kid, stranger.sk);
    is_err(tc_bundle_parse(msg, mlen, tc_signer_pub(root)->pk, &bb), TC_ERR_NOT_AUTHORISED,
           "bundle checked before parsing: lists signed by an unknown key are never read (the "
           "signer is refused, not the lists)");
    tc_bundle_free(bb);
    bb = NULL;
    /* the genuine payload with its version written in a longer head, re-signed by the status
     * key: the same values, another encoding */
    ok(payload[0] == 0xae && payload[1] == 0 && payload[3] == 1 && payload[4] < 24,
       "the bundle starts {0: type, 1: version (one byte)}");
    size_t n = 0;
    memcpy(p, payload, 4), n = 4;
    p[n++] = 0x1b;
    memset(p + n, 0, 7), n += 7;
    p[n++] = payload[4];
    memcpy(p + n, payload + 5, payload_len - 5), n += payload_len - 5;
    tc_signer_cose_sign1(cq, TC_AAD_BUNDLE, p, n, msg, cap + 256, &mlen);
    ok(tc_bundle_parse(msg, mlen, tc_signer_pub(root)->pk, &bb) != TC_OK,
       "a validly signed bundle in a non-canonical encoding (a 9-byte head for a 1-byte version) "
       "is refused");
    tc_bundle_free(bb);
    free(p);
    free(msg);
}

/* A2: x (dated now + 1) read by a verifier whose clock is behind: within the skew allowed it
 * holds; beyond it the bundle and the delta are refused (they would stay fresh past the maximum
 * age by as much), and nothing is applied. */
static void future_dated(const struct tc_bundle *b1, const struct tc_export *x)
{
    const uint8_t *rpk = tc_signer_pub(root)->pk;
    uint64_t behind = now + 1 - TC_CLOCK_SKEW_SECONDS; /* the bundle is just within the skew */
    struct tc_bundle *got = NULL;
    uint8_t *bytes = NULL;
    size_t bl = 0;
    is_err(tc_bundle_parse_at(x->bundle, x->len, rpk, behind - 1, &got), TC_ERR_FUTURE,
           "A2: a bundle dated more than %u s ahead of the verifier's clock is refused",
           TC_CLOCK_SKEW_SECONDS);
    ok(!got, "and nothing is returned");
    is_err(tc_bundle_apply_delta(b1, x->delta, x->delta_len, rpk, behind - 1, &got, &bytes, &bl,
                                 NULL),
           TC_ERR_FUTURE, "A2: so is a delta dated so");
    ok(!got && !bytes, "and nothing is applied");
    is_err(tc_bundle_parse_at(x->bundle, x->len, rpk, behind, &got), TC_OK,
           "(the check can fail: %u s ahead, the skew allowed, the bundle is taken)",
           TC_CLOCK_SKEW_SECONDS);
    tc_bundle_free(got), got = NULL;
    is_err(tc_bundle_apply_delta(b1, x->delta, x->delta_len, rpk, behind, &got, &bytes, &bl, NULL),
           TC_OK, "(and the delta applies)");
    tc_bundle_free(got), got = NULL, free(bytes), bytes = NULL;
    is_err(tc_bundle_parse_at(x->bundle, x->len, rpk, 0, &got), TC_OK,
           "(an auditor with no clock reads it by its own date)");
    tc_bundle_free(got);
}

/* Deltas (serve --source): a revocation published as a delta applies to the bundle it names and
 * to no other; an altered delta is refused. */
static void deltas(void)
{
    char units[1024];
    snprintf(units, sizeof units, "%s/samples/gs-units.csv", getenv("TC_DATA_DIR"));
    struct tc_store *s = province_as("GS", "GS-deltas", units);
    char path[1024];
    struct tc_refusals r = {0};
    size_t n;
    struct tc_issue_request *reqs = NULL;
    const char *kinds[] = {"employment", "assessments", "ce"};
    for (int i = 0; s && i < 3; i++) {
        snprintf(path, sizeof path, "%s/samples/gs-%s.csv", getenv("TC_DATA_DIR"), kinds[i]);
        tc_records_import(s, kinds[i], path, &r, &n);
    }
    snprintf(path, sizeof path, "%s/samples/gs-results.csv", getenv("TC_DATA_DIR"));
    if (!s || tc_issue_read_csv(s, path, &reqs, &n, &r) != TC_OK ||
        tc_issue_check(s, reqs, n, tl, tc_signer_pub(gs), now, &r) != TC_OK ||
        tc_issue_commit(s, reqs, n, gs, now, "t", NULL, NULL) != TC_OK) {
        ok(0, "deltas: the sample batch is issued");
        goto done;
    }
    struct tc_export x1, x2, x3;
    struct tc_bundle *b1 = NULL, *b2 = NULL, *full = NULL;
    is_err(tc_bundle_export(s, trust, trust_len, tl, gs, NULL, now, &x1), TC_OK, "deltas: bundle v1");
    ok(x1.delta == NULL, "the first export has no delta (nothing to apply it to)");
    tc_revoke(s, reqs[2].claims.id, "fraud", today, false, NULL, 0, now);
    is_err(tc_bundle_export(s, trust, trust_len, tl, gs, NULL, now + 1, &x2), TC_OK, "a revocation, exported as v2");
    ok(x2.delta && x2.delta_from == 1 && x2.delta_len < 2048, "with a delta from v1 of %zu bytes (the bundle is %zu)",
       x2.delta_len, x2.len);
    tc_bundle_parse(x1.bundle, x1.len, tc_signer_pub(root)->pk, &b1);
    tc_bundle_parse(x2.bundle, x2.len, tc_signer_pub(root)->pk, &full);
    uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    is_err(b1 && x2.delta ? tc_bundle_apply_delta(b1, x2.delta, x2.delta_len, tc_signer_pub(root)->pk,
                                                  now + 1, &b2, &bytes, &bytes_len, NULL)
                          : TC_ERR_INTERNAL,
           TC_OK, "the delta applies to v1");
    ok(bytes && bytes_len == x2.len && memcmp(bytes, x2.bundle, x2.len) == 0,
       "17.1: and gives the full v2 byte for byte (%zu bytes), under the signature it carries",
       bytes_len);
    free(bytes), bytes = NULL;
    ok(b2 && full && b2->version == 2 && b2->n_revoked == full->n_revoked && b2->n_index == full->n_index &&
           tc_bundle_revoked(b2, reqs[2].claims.id) && b2->checkpoint.size == full->checkpoint.size &&
           memcmp(b2->checkpoint.root, full->checkpoint.root, 32) == 0 &&
           memcmp(b2->file_sha256, full->file_sha256, 32) == 0 && b2->n_units == full->n_units,
       "and gives what the full v2 says: the revocation, the index, the checkpoint, its file hash");
    struct tc_bundle *again = NULL;
    is_err(b2 && x2.delta ? tc_bundle_apply_delta(b2, x2.delta, x2.delta_len, tc_signer_pub(root)->pk,
                                                  now + 1, &again, &bytes, &bytes_len, NULL)
                          : TC_ERR_INTERNAL,
           TC_ERR_INCONSISTENT, "it does not apply to another version (v2)");
    tc_bundle_free(again), again = NULL;
    if (x2.delta) {
        x2.delta[x2.delta_len - 1] ^= 1;
        is_err(tc_bundle_apply_delta(b1, x2.delta, x2.delta_len, tc_signer_pub(root)->pk, now + 1,
                                     &again, &bytes, &bytes_len, NULL),
               TC_ERR_BAD_SIGNATURE, "an altered delta is refused");
        is_err(tc_bundle_apply_delta(b1, x2.delta, x2.delta_len, tc_signer_pub(root)->pk,
                                     now - TC_CLOCK_SKEW_SECONDS, &again, &bytes, &bytes_len, NULL),
               TC_ERR_BAD_SIGNATURE,
               "an altered delta dated ahead of the reader's clock is refused as altered");
        x2.delta[x2.delta_len - 1] ^= 1;
        future_dated(b1, &x2);
    }
    /* a unit directory change: no delta, the bundle is fetched */
    tc_bundle_free(again), again = NULL;
    snprintf(path, sizeof path, "%s/u2.csv", scratch_dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("uscc,name,division,tier,valid_from\n126201024380009994,新增单位,620102,county,2026-01-01\n", f);
        fclose(f);
    }
    struct tc_refusals r2 = {0};
    size_t nu = 0, nw = 0;
    tc_units_import(s, path, false, &r2, &nu, &nw);
    tc_refusals_free(&r2);
    is_err(tc_bundle_export(s, trust, trust_len, tl, gs, NULL, now + 2, &x3), TC_OK, "after a unit import, v3");
    ok(nu == 1 && x3.delta == NULL, "has no delta: the units changed (%zu imported)", nu);
    if (b1 && full)
        malicious_deltas(s, b1, full, &x2, reqs[2].claims.id);
    tc_export_free(&x1);
    tc_export_free(&x2);
    tc_export_free(&x3);
    tc_bundle_free(b1);
    tc_bundle_free(b2);
    tc_bundle_free(full);
done:
    tc_refusals_free(&r);
    free(reqs);
    tc_store_close(s);
}

/* ---- issue 17: what the holder of the publication key can no longer do ----------------------- */

/* A bundle like b, signed with key, with revocation `drop` left out or certificate `add` put into
 * the index (0: neither): what the publication key's holder can sign outside the issuer. */
static enum tc_err forged_bundle(const struct tc_bundle *b, struct tc_signer *key, uint64_t drop,
                                 uint64_t add, uint8_t **out, size_t *len)
{
    struct tc_bundle_registered *ix = calloc(b->n_index + 1, sizeof *ix);
    struct tc_bundle_revoked *rv = calloc(b->n_revoked + 1, sizeof *rv);
    size_t n_ix = 0, n_rv = 0;
    for (size_t i = 0; i < b->n_index; i++) {
        if (add && b->index[i].id > add && (!n_ix || ix[n_ix - 1].id < add))
            ix[n_ix] = b->index[0], ix[n_ix++].id = add;
        ix[n_ix++] = b->index[i];
    }
    if (add && (!n_ix || ix[n_ix - 1].id < add))
        ix[n_ix] = b->index[0], ix[n_ix++].id = add;
    for (size_t i = 0; i < b->n_revoked; i++)
        if (b->revoked[i].id != drop)
            rv[n_rv++] = b->revoked[i];
    struct tc_bundle_content c = {
        .version = b->version, .issued_at = b->issued_at, .trust = b->trust_raw,
        .trust_len = b->trust_raw_len, .revoked = rv, .n_revoked = n_rv,
        .superseded = b->superseded, .n_superseded = b->n_superseded, .units = b->units,
        .n_units = b->n_units, .names = b->names ? b->names : "", .profile_json = b->profile_json,
        .titles_raw = b->titles_raw, .titles_raw_len = b->titles_raw_len, .audit_seq = b->audit_seq,
        .province = b->province, .note = b->note, .index = ix, .n_index = n_ix,
        .proofs = b->proofs, .n_proofs = b->n_proofs};
    memcpy(c.audit_head, b->audit_head, 32);
    enum tc_err e = tc_bundle_write(key, &c, out, len, NULL, NULL);
    free(ix), free(rv);
    return e;
}

/* The tree of the store's register entries (their stored hashes). */
static enum tc_err store_tree(struct tc_store *s, struct tc_reg_tree *t)
{
    sqlite3_stmt *q = NULL;
    enum tc_err e = TC_OK;
    tc_reg_tree_init(t);
    if (sqlite3_prepare_v2(tc_store_db(s), "SELECT hash FROM register ORDER BY idx", -1, &q,
                           NULL) != SQLITE_OK)
        return TC_ERR_STORE;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW)
        e = tc_reg_tree_append(t, sqlite3_column_blob(q, 0));
    sqlite3_finalize(q);
    return e;
}

/* A delta from `from` carrying the store's register entries since from's checkpoint (without
 * the last when drop_last), naming bundle `to`. */
static enum tc_err forged_delta(struct tc_store *s, const struct tc_bundle *from,
                                const struct tc_export *x, const uint8_t *to, size_t to_len,
                                bool drop_last, uint8_t **out, size_t *len)
{
    struct tc_bundle *tb = NULL;
    struct tc_reg_frontier f;
    struct tc_reg_tree tree;
    struct tc_reg_source src = tc_reg_tree_source(&tree);
    enum tc_err e = store_tree(s, &tree);
    if (e == TC_OK)
        e = tc_bundle_parse(to, to_len, tc_signer_pub(root)->pk, &tb);
    if (e == TC_OK)
        e = tc_reg_frontier_of(&src, from->checkpoint.size, &f);
    tc_reg_tree_free(&tree);
    sqlite3_stmt *q = NULL;
    if (e == TC_OK && sqlite3_prepare_v2(tc_store_db(s), "SELECT leaf FROM register WHERE idx >= ? "
                                         "AND idx < ? ORDER BY idx", -1, &q, NULL) != SQLITE_OK)
        e = TC_ERR_STORE;
    uint8_t *leaf[64];
    size_t leaf_len[64], n = 0;
    if (e == TC_OK) {
        sqlite3_bind_int64(q, 1, (int64_t)from->checkpoint.size);
        sqlite3_bind_int64(q, 2, (int64_t)x->register_size - (drop_last ? 1 : 0));
        while (n < 64 && sqlite3_step(q) == SQLITE_ROW) {
            leaf_len[n] = (size_t)sqlite3_column_bytes(q, 0);
            leaf[n] = malloc(leaf_len[n]);
            memcpy(leaf[n], sqlite3_column_blob(q, 0), leaf_len[n]);
            n++;
        }
    }
    sqlite3_finalize(q);
    if (e == TC_OK) {
        struct tc_delta_content d = {
            .from_version = from->version, .to_version = tb->version, .issued_at = tb->issued_at,
            .note = tb->note, .frontier = &f, .leaf = (const uint8_t *const *)leaf,
            .leaf_len = leaf_len, .n_leaves = n, .proofs = tb->proofs, .n_proofs = tb->n_proofs,
            .audit_seq = tb->audit_seq};
        memcpy(d.from_sha256, from->file_sha256, 32);
        memcpy(d.audit_head, tb->audit_head, 32);
        memcpy(d.to_sha256, tb->file_sha256, 32);
        memcpy(d.bundle_sig, tb->sig, TC_SIG_BYTES);
        e = tc_delta_write(gs, &d, out, len);
    }
    for (size_t i = 0; i < n; i++)
        free(leaf[i]);
    tc_bundle_free(tb);
    return e;
}

/* 17.1: a validly signed delta that does not say what the register says is refused by a replica,
 * whichever way it differs (each test failed on the release before: the delta's lists were
 * applied as they came). */
static void malicious_deltas(struct tc_store *s, const struct tc_bundle *b1,
                             const struct tc_bundle *full, const struct tc_export *x2,
                             uint64_t revoked_id)
{
    uint8_t *fb = NULL, *fd = NULL, *bytes = NULL;
    size_t fbl = 0, fdl = 0, bl = 0;
    struct tc_bundle *out = NULL;
    const uint8_t *rpk = tc_signer_pub(root)->pk;
    ok(forged_bundle(full, gs, revoked_id, 0, &fb, &fbl) == TC_OK &&
           forged_delta(s, b1, x2, fb, fbl, false, &fd, &fdl) == TC_OK,
       "17.1: the publication key signs a v2 without the revocation, and a delta to it");
    is_err(fd ? tc_bundle_apply_delta(b1, fd, fdl, rpk, now + 1, &out, &bytes, &bl, NULL) : TC_OK,
           TC_ERR_INCONSISTENT, "17.1: a replica refuses the delta that drops a revocation");
    ok(!out && !bytes, "and keeps nothing of it");
    free(fb), free(fd), fb = NULL, fd = NULL;
    ok(forged_bundle(full, gs, 0, 269999999, &fb, &fbl) == TC_OK &&
           forged_delta(s, b1, x2, fb, fbl, false, &fd, &fdl) == TC_OK,
       "17.1: and a v2 whose index lists a certificate the register never issued, and a delta");
    is_err(fd ? tc_bundle_apply_delta(b1, fd, fdl, rpk, now + 1, &out, &bytes, &bl, NULL) : TC_OK,
           TC_ERR_INCONSISTENT, "17.1: a replica refuses the delta that adds to the index");
    free(fb), free(fd), fd = NULL;
    ok(forged_delta(s, b1, x2, x2->bundle, x2->len, true, &fd, &fdl) == TC_OK,
       "17.1: a delta to the genuine v2 without its last register entry");
    is_err(fd ? tc_bundle_apply_delta(b1, fd, fdl, rpk, now + 1, &out, &bytes, &bl, NULL) : TC_OK,
           TC_ERR_INCONSISTENT, "17.1: is refused: its entries do not give the checkpoint's root");
    free(fd), fd = NULL;
    ok(forged_delta(s, b1, x2, x2->bundle, x2->len, false, &fd, &fdl) == TC_OK &&
           tc_bundle_apply_delta(b1, fd, fdl, rpk, now + 1, &out, &bytes, &bl, NULL) == TC_OK,
       "(the check can fail: the same delta made honestly applies)");
    free(fd), free(bytes);
    tc_bundle_free(out);
}

/* ---- the index in chunk files (issue 22) ----------------------------------------------------- */

/* A chunk source over chunk files a writer made, in memory; `swap` serves chunk 0's bytes under
 * chunk 1's name (a hostile mirror), `only` serves no more than that many chunks. */
struct mem_chunks {
    const struct tc_index_chunks *ch;
    bool swap;
    size_t only;
};

static enum tc_err mem_chunk_get(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len)
{
    const struct mem_chunks *m = ctx;
    for (size_t k = m->ch->first_new; k < m->ch->n && k < m->only; k++)
        if (!memcmp(m->ch->sha[k], sha256, 32)) {
            size_t i = (m->swap && k == 1 ? 0 : k) - m->ch->first_new;
            if (!(*bytes = malloc(m->ch->len[i])))
                return TC_ERR_NOMEM;
            memcpy(*bytes, m->ch->bytes[i], *len = m->ch->len[i]);
            return TC_OK;
        }
    return TC_ERR_NOT_FOUND;
}

/* A bundle like b with index ix (n entries, ix[0] being entry `from` of them), its first `known`
 * chunks named by the hashes given (as a publisher reusing kept hashes names them), signed with
 * key; the chunk files it made. */
static enum tc_err chunked_bundle_from(const struct tc_bundle *b, struct tc_signer *key,
                                       const struct tc_bundle_registered *ix, size_t n,
                                       size_t from, const uint8_t (*known)[32], size_t n_known,
                                       uint8_t **out, size_t *len, struct tc_index_chunks *ch)
{
    struct tc_bundle_content c = {
        .version = b->version + 1, .issued_at = b->issued_at, .trust = b->trust_raw,
        .trust_len = b->trust_raw_len, .units = b->units, .n_units = b->n_units,
        .names = b->names ? b->names : "", .profile_json = b->profile_json,
        .titles_raw = b->titles_raw, .titles_raw_len = b->titles_raw_len,
        .province = b->province, .note = b->note, .index = ix, .n_index = n,
        .chunk_known = known, .n_chunk_known = n_known, .index_from = from};
    return tc_bundle_write(key, &c, out, len, NULL, ch);
}

static enum tc_err chunked_bundle(const struct tc_bundle *b, struct tc_signer *key,
                                  const struct tc_bundle_registered *ix, size_t n,
                                  const uint8_t (*known)[32], size_t n_known, uint8_t **out,
                                  size_t *len, struct tc_index_chunks *ch)
{
    return chunked_bundle_from(b, key, ix, n, 0, known, n_known, out, len, ch);
}

/* What a delta's result hands the writer: only the entries after the chunks it names as known.
 * The bundle is the same to the byte; entries it would need and was not handed: refused. */
static void index_from(const struct tc_bundle *genuine, const struct tc_bundle_registered *ix,
                       size_t n, const struct tc_index_chunks *ch, const uint8_t *whole,
                       size_t whole_len)
{
    uint8_t *part = NULL;
    size_t plen = 0;
    struct tc_index_chunks ch3;
    const uint8_t(*known)[32] = (const uint8_t(*)[32])ch->sha;
    enum tc_err e = chunked_bundle_from(genuine, gs, ix + TC_INDEX_CHUNK, n, TC_INDEX_CHUNK,
                                        known, 1, &part, &plen, &ch3);
    ok(e == TC_OK && plen == whole_len && !memcmp(part, whole, whole_len) && ch3.n == 2 &&
           ch3.first_new == 1 && !memcmp(ch3.sha[1], ch->sha[1], 32),
       "chunks: written from the entries after its one known chunk, the bundle and its new chunk "
       "are the same to the byte");
    free(part), part = NULL, tc_index_chunks_free(&ch3);
    is_err(chunked_bundle_from(genuine, gs, ix + 2 * TC_INDEX_CHUNK, n, 2 * TC_INDEX_CHUNK, known,
                               1, &part, &plen, &ch3),
           TC_ERR_INTERNAL, "chunks: handed no entries of a chunk it must encode: refused");
    is_err(chunked_bundle_from(genuine, gs, ix + 100, n, 100, known, 1, &part, &plen, &ch3),
           TC_ERR_INTERNAL, "chunks: handed entries from inside a chunk: refused");
    free(part);
}

/* Two chunks and a rest, read back through a chunk source; a chunk missing, served with other
 * bytes, named out of order or twice, or a rest that does not follow the last chunk: refused. */
static void index_chunks(void)
{
    struct tc_store *s = province_as("SX", "SX-chunks", "uscc,name,division,valid_from,tier\n");
    uint8_t *b = NULL, *out = NULL;
    size_t len = 0, olen = 0, n = 2 * TC_INDEX_CHUNK + 7;
    uint64_t version;
    struct tc_bundle *genuine = NULL, *got = NULL;
    struct tc_index_chunks ch, ch2;
    memset(&ch, 0, sizeof ch), memset(&ch2, 0, sizeof ch2);
    struct tc_bundle_registered *ix = calloc(n, sizeof *ix);
    const uint8_t *rpk = tc_signer_pub(root)->pk;
    bool made = s && ix && export_bytes(s, trust, trust_len, tl, gs, now, &b, &len, &version) == TC_OK &&
                tc_bundle_parse(b, len, rpk, &genuine) == TC_OK;
    for (size_t i = 0; made && i < n; i++) {
        ix[i].id = 300000000 + 3 * i, ix[i].leaf = 0;
        memcpy(ix[i].hash, &ix[i].id, sizeof ix[i].id);
    }
    made = made && chunked_bundle(genuine, gs, ix, n, NULL, 0, &out, &olen, &ch) == TC_OK;
    ok(made && ch.n == 2 && ch.first_new == 0 && olen < 16384,
       "chunks: an index of %zu entries is written as 2 chunk files and a bundle of %zu bytes", n,
       olen);
    if (!made || ch.n != 2)
        goto done;
    struct mem_chunks m = {&ch, false, 2};
    struct tc_chunk_source src = {mem_chunk_get, &m, ""};
    is_err(tc_bundle_parse_from(out, olen, rpk, now, &src, &got), TC_OK,
           "chunks: the bundle reads with its chunk files");
    ok(got && got->n_index == n && got->n_chunks == 2 && !memcmp(got->index, ix, n * sizeof *ix),
       "chunks: the index read is the one written, entry for entry");
    const struct tc_bundle_registered *r = got ? tc_bundle_registered(got, ix[70000].id) : NULL;
    ok(r && r->id == ix[70000].id, "chunks: an entry of the second chunk is found by its id");
    tc_bundle_free(got), got = NULL;
    index_from(genuine, ix, n, &ch, out, olen);
    char name[TC_CHUNK_NAME_MAX];
    tc_chunk_name(ch.sha[1], name);
    m.only = 1;
    is_err(tc_bundle_parse_from(out, olen, rpk, now, &src, &got), TC_ERR_NOT_FOUND,
           "chunks: a bundle whose second chunk the source lacks is refused");
    ok(!got && !strcmp(src.failed, name), "chunks: naming that chunk (%s)", src.failed);
    m.only = 2, m.swap = true;
    is_err(tc_bundle_parse_from(out, olen, rpk, now, &src, &got), TC_ERR_INCONSISTENT,
           "chunks: one whose source serves the first chunk's bytes under the second's name");
    m.swap = false;
    free(out), out = NULL;
    /* a publisher's kept hashes, misused: the same chunks named out of order, or one twice */
    const uint8_t swapped[2][32], twice[2][32];
    memcpy((void *)swapped[0], ch.sha[1], 32), memcpy((void *)swapped[1], ch.sha[0], 32);
    memcpy((void *)twice[0], ch.sha[0], 32), memcpy((void *)twice[1], ch.sha[0], 32);
    ok(chunked_bundle(genuine, gs, ix, n, swapped, 2, &out, &olen, &ch2) == TC_OK,
       "chunks: a bundle naming the two chunks in the wrong order is signed");
    is_err(out ? tc_bundle_parse_from(out, olen, rpk, now, &src, &got) : TC_ERR_INTERNAL,
           TC_ERR_NONCANONICAL, "chunks: and refused: ids must ascend from chunk to chunk");
    tc_index_chunks_free(&ch2), free(out), out = NULL;
    ok(chunked_bundle(genuine, gs, ix, n, twice, 2, &out, &olen, &ch2) == TC_OK,
       "chunks: one naming the first chunk twice is signed");
    is_err(out ? tc_bundle_parse_from(out, olen, rpk, now, &src, &got) : TC_ERR_INTERNAL,
           TC_ERR_NONCANONICAL, "chunks: and refused");
    tc_index_chunks_free(&ch2), free(out), out = NULL;
    /* the rest inline, ascending itself, but below the last chunk's last id */
    for (size_t i = 2 * TC_INDEX_CHUNK; i < n; i++)
        ix[i].id = 100000000 + i;
    ok(chunked_bundle(genuine, gs, ix, n, (const uint8_t(*)[32])ch.sha, 2, &out, &olen, &ch2) ==
           TC_OK,
       "chunks: one whose inline rest sorts before its chunks is signed");
    is_err(out ? tc_bundle_parse_from(out, olen, rpk, now, &src, &got) : TC_ERR_INTERNAL,
           TC_ERR_NONCANONICAL, "chunks: and refused: the rest must follow the last chunk");
    ok(ch2.n == 2 && ch2.first_new == 2,
       "(the publisher's kept hashes were taken as given: no chunk encoded again)");
    tc_index_chunks_free(&ch2);
    is_err(tc_bundle_parse(b, len, rpk, &got), TC_OK,
           "(the check can fail: the genuine bundle, no chunk, reads without a source)");
done:
    tc_bundle_free(got);
    tc_bundle_free(genuine);
    tc_index_chunks_free(&ch);
    free(ix), free(b), free(out);
    tc_store_close(s);
}

/* 17.4: a revoked publication key dates its bundle before its revocation and embeds the trust
 * list that revokes it: refused from the revocation day of the verifier's own clock (this failed
 * on the release before: the revocation was judged by the date the bundle claims). */
static void backdated_bundle(void)
{
    struct tc_store *s = province_as("SX", "SX-backdated", "uscc,name,division,valid_from,tier\n");
    size_t l1 = 0, lr = 0, len = 0, fl = 0;
    uint8_t *e1 = endorse(cq, TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2) | TC_AUTHZ_STATUS |
                                  TC_AUTHZ_REGISTER, 14, &l1);
    struct tc_revocation rv;
    memset(&rv, 0, sizeof rv);
    memcpy(rv.kid, tc_signer_pub(cq)->kid, TC_KID_BYTES);
    rv.day = today - 1; /* the key was compromised and revoked yesterday */
    snprintf(rv.reason, sizeof rv.reason, "密钥泄露");
    rv.revoked_at = now;
    uint8_t *list = NULL, *b = NULL, *forged = NULL;
    const uint8_t *ends[] = {e1};
    struct tc_bundle *bb = NULL, *genuine = NULL;
    uint64_t version;
    /* a genuine bundle first, then the same signed again dated three days back, embedding the
     * list that revokes its key */
    bool made = s && e1 && export_bytes(s, trust, trust_len, tl, cq, now, &b, &len, &version) == TC_OK &&
                tc_bundle_parse(b, len, tc_signer_pub(root)->pk, &genuine) == TC_OK &&
                tc_keys_trust_list_build(&list, &lr, 9, now, ends, &l1, 1, &rv, 1, root) == TC_OK;
    if (made) {
        struct tc_bundle_content c = {
            .version = genuine->version + 1, .issued_at = now - 3 * 86400, .trust = list,
            .trust_len = lr, .units = genuine->units, .n_units = genuine->n_units,
            .names = genuine->names ? genuine->names : "", .profile_json = genuine->profile_json,
            .province = genuine->province, .note = genuine->note, .index = genuine->index,
            .n_index = genuine->n_index};
        made = tc_bundle_write(cq, &c, &forged, &fl, NULL, NULL) == TC_OK;
    }
    ok(made, "17.4: a revoked publication key signs a bundle dated before its revocation");
    is_err(made ? tc_bundle_parse_at(forged, fl, tc_signer_pub(root)->pk, now, &bb) : TC_OK,
           TC_ERR_NOT_AUTHORISED, "17.4: a verifier whose clock is past the revocation refuses it");
    tc_bundle_free(bb), bb = NULL;
    is_err(made ? tc_bundle_parse_at(forged, fl, tc_signer_pub(root)->pk, 0, &bb) : TC_ERR_INTERNAL,
           TC_OK, "(the check can fail: judged by its own date alone it passes)");
    tc_bundle_free(bb);
    tc_bundle_free(genuine);
    free(e1), free(list), free(b), free(forged);
    tc_store_close(s);
}

static void bundle_tampering(void)
{
    struct tc_store *s = province("SX", "uscc,name,division,valid_from,tier\n");
    uint8_t *b = NULL;
    size_t len = 0;
    uint64_t version;
    is_err(s ? export_bytes(s, trust, trust_len, tl, revoked_key, now, &b, &len, &version)
             : TC_ERR_STORE,
           TC_ERR_NOT_AUTHORISED, "A1: a key without status authorisation cannot sign a bundle");
    /* any key the root endorses for status may sign; tamper with what it signed */
    if (s && export_bytes(s, trust, trust_len, tl, cq, now, &b, &len, &version) == TC_OK) {
        struct tc_bundle *bb = NULL;
        is_err(tc_bundle_parse(b, len, tc_signer_pub(root)->pk, &bb), TC_OK, "an SX bundle loads");
        tc_bundle_free(bb);
        bb = NULL;
        b[len - 1] ^= 1;
        is_err(tc_bundle_parse(b, len, tc_signer_pub(root)->pk, &bb), TC_ERR_BAD_SIGNATURE,
               "a bundle with a flipped bit is refused");
        b[len - 1] ^= 1;
        struct fx_key other;
        fx_key(&other, 77);
        is_err(tc_bundle_parse(b, len, other.pk, &bb), TC_ERR_UNKNOWN_KEY_ID,
               "a bundle whose trust list is not the pinned root's is refused");
        int refused = 0;
        for (size_t k = 0; k < len; k += len / 97 + 1)
            if (tc_bundle_parse(b, k, tc_signer_pub(root)->pk, &bb) != TC_OK)
                refused++;
            else
                tc_bundle_free(bb);
        ok(refused == (int)((len + len / 97) / (len / 97 + 1)), "truncated bundles are refused");
        bundle_before_parse(b, len);
    }
    free(b);
    tc_store_close(s);
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init() || !getenv("TC_DATA_DIR"))
        return 2;
    now = (uint64_t)time(NULL);
    today = tc_beijing_day(now);
    setup_keys();
    gs_scenarios();
    cq_scenarios();
    jl_scenarios();
    bundle_tampering();
    deltas();
    backdated_bundle();
    index_chunks();
    ok(json_checked > 20 && json_differ == 0,
       "every verdict written by the JSON writer is the bytes of jansson's dump of its tree (%zu "
       "verdicts, %zu differ)", json_checked, json_differ);
    tc_trust_list_free(tl);
    free(trust);
    tc_store_keys_free(keys);
    tc_signer_close(root), tc_signer_close(gs), tc_signer_close(cq);
    tc_signer_close(jl), tc_signer_close(revoked_key), tc_keys_secret_close(hashk);
    scratch_remove();
    return tap_done();
}
