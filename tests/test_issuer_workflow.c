/*
 * test_issuer_workflow.c - ISSUANCE.md's roles and a batch's life through the issuer library,
 * table by table:
 *   roles      which roles one account may hold (三员分立), the host's bootstrap of the first two
 *              admins, a second admin confirming every role, five wrong passwords locking an
 *              account for 15 minutes, the one-time enrolment code, disabled accounts (an admin's
 *              too);
 *   matrix     every transition refused to every role that does not hold it, changing nothing;
 *   life       draft -> publicised -> approved -> signed -> published; approval refused on each
 *              day of the 公示 to its last, with an objection open, to the account that prepared
 *              the rows, against rows other than those shown; voided by new rows, by a rejection
 *              and by an upheld objection, and not by a dismissed one;
 *   signing    refused before approval, to a custodian who prepared or approved the rows, once
 *              the approver is disabled or no longer one, and against a store edited behind the
 *              signer's back (approval, 公示 period, preparer, rows); done once only, and the
 *              certificates verify;
 *   revocations and conversions through the same propose -> approve -> sign path;
 *   calendar   the 公示 period over the 2026 working-day calendar (元旦, 春节, 国庆, 调休 days, the
 *              year's end and the 2027 the store lacks), each row worked out by hand from
 *              data/calendar/;
 *   demo       TITLECERT_DEMO_CLOCK moves a demo store's clock and no other.
 * Time is never read: every call is given its `now`, a Beijing day at a set hour.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "keys.h"
#include "scratch.h"
#include "tap.h"

#define COUNTY "12620102438000123H"     /* 城关区 community health centre: basic level */
#define PROVINCIAL "12620000438000456W" /* the provincial hospital: not basic level */
#define LINXIA "12622901438000777Q"     /* 临夏州 prefecture hospital: basic level in GS */
#define PASSWORD "correct horse battery staple"
#define DECISION "甘人社〔2026〕12号"

static struct tc_signer *root, *issuer;
static struct tc_secret *hashk;
static struct tc_store_keys *keys;
static uint8_t *trust_bytes;
static size_t trust_len;
static struct tc_trust_list *tl;
static struct tc_store *W; /* a store set up for the workflow */
static char why[1024];

/* TC_ERR_REFUSED, and why says `text` */
#define refused(call, text, ...)                                                                   \
    do {                                                                                           \
        enum tc_err e_ = (call);                                                                   \
        if (!ok(e_ == TC_ERR_REFUSED && strstr(why, (text)) != NULL, __VA_ARGS__))                 \
            printf("# got %s: %s\n", tc_errname(e_), why);                                         \
    } while (0)

/* ---- days, times and the store's tables ----------------------------------------------------- */

static int32_t day(const char *ymd)
{
    int32_t d = 0;
    if (!tc_day_parse(&d, ymd))
        printf("# not a day: %s\n", ymd);
    return d;
}

/* hh o'clock Beijing time (UTC+8) on day d */
static uint64_t at_day(int32_t d, int hh)
{
    return (uint64_t)((int64_t)d * 86400 + (int64_t)(hh - 8) * 3600);
}

static uint64_t at(const char *ymd, int hh)
{
    return at_day(day(ymd), hh);
}

static const char *day_text(int32_t d)
{
    static char buf[4][11];
    static int slot;
    slot = (slot + 1) % 4;
    tc_day_format(buf[slot], d);
    return buf[slot];
}

/* One 32-byte blob from the store (?1 is arg) into out; false without one. */
static bool blob(const char *sql, int64_t arg, uint8_t out[32])
{
    sqlite3_stmt *q;
    bool got = false;
    if (sqlite3_prepare_v2(tc_store_db(W), sql, -1, &q, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(q, 1, arg);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32) {
        memcpy(out, sqlite3_column_blob(q, 0), 32);
        got = true;
    }
    sqlite3_finalize(q);
    return got;
}

/* One number from the store (?1 is arg). */
static int64_t number(const char *sql, int64_t arg)
{
    sqlite3_stmt *q;
    int64_t n = -1;
    if (sqlite3_prepare_v2(tc_store_db(W), sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(q))
        sqlite3_bind_int64(q, 1, arg);
    if (sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

static int64_t certificates(void)
{
    return number("SELECT count(*) FROM certificates", 0);
}

static int64_t events(void)
{
    return number("SELECT count(*) FROM events", 0);
}

/* A change made to the store's file with SQLite, behind the library's back: ?1 the batch, ?2 a
 * 32-byte blob (NULL without), ?3 a number. True when it changed a row. */
static bool edit(const char *sql, int64_t batch, const uint8_t *blob, int64_t num)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(tc_store_db(W), sql, -1, &q, NULL) != SQLITE_OK) {
        printf("# %s: %s\n", sql, sqlite3_errmsg(tc_store_db(W)));
        return false;
    }
    int params = sqlite3_bind_parameter_count(q);
    sqlite3_bind_int64(q, 1, batch);
    if (params >= 2 && blob)
        sqlite3_bind_blob(q, 2, blob, 32, SQLITE_TRANSIENT);
    if (params >= 3)
        sqlite3_bind_int64(q, 3, num);
    bool done = sqlite3_step(q) == SQLITE_DONE && sqlite3_changes(tc_store_db(W)) > 0;
    sqlite3_finalize(q);
    return done;
}

/* An edit of account id's record, then the record sealed again as titlecert itself would: a
 * state the library can reach (a factor turned on by its first code), set up without the steps,
 * or what an attacker who held the store's key could make. */
static bool edit_sealed(const char *sql, int64_t id)
{
    return edit(sql, id, NULL, 0) && tc_account_reseal(W, id) == TC_OK;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(1u << 17) : NULL;
    *len = buf ? fread(buf, 1, (1u << 17) - 1, f) : 0;
    if (buf)
        buf[*len] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static const char *data_path(const char *rel)
{
    static char buf[2][1024];
    static int slot;
    slot = (slot + 1) % 2;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", getenv("TC_DATA_DIR"), rel);
    return buf[slot];
}

static void dump(const struct tc_refusals *r)
{
    for (size_t i = 0; i < r->n; i++)
        printf("#   line %zu rule '%s' %s: %s\n", r->v[i].line, r->v[i].rule, r->v[i].field,
               r->v[i].msg);
}

/* ---- the people: staff accounts and the persons in the results ------------------------------ */

enum who {
    ADMIN1,
    ADMIN2,
    ADMIN3,
    CLERK,
    CLERK2,
    APPROVER,
    CUSTODIAN,
    AUDITOR,
    CLERK_CUST,
    APPR_CUST,
    TURNCOAT,
    FORGER,
    DOOMED,
    DEMOTED,
    GONE,
    LOCKED,
    ENROL,
    ENROL2,
    N_WHO
};
static const struct staff {
    const char *name, *display;
    unsigned roles;
    bool enrols; /* left to enrol in test_enrol (the others enrol as they are added) */
} staff[N_WHO] = {
    [ADMIN1] = {"admin1", "管理员甲", TC_ROLE_ADMIN, false},
    [ADMIN2] = {"admin2", "管理员乙", TC_ROLE_ADMIN, false},
    [ADMIN3] = {"admin3", "管理员丙", TC_ROLE_ADMIN, false},
    [CLERK] = {"clerk", "录入员甲", TC_ROLE_CLERK, false},
    [CLERK2] = {"clerk2", "录入员乙", TC_ROLE_CLERK, false},
    [APPROVER] = {"approver", "审核员甲", TC_ROLE_APPROVER, false},
    [CUSTODIAN] = {"custodian", "保管员甲", TC_ROLE_CUSTODIAN, false},
    [AUDITOR] = {"auditor", "审计员甲", TC_ROLE_AUDITOR, false},
    [CLERK_CUST] = {"clerk.cust", "录入兼保管", TC_ROLE_CLERK | TC_ROLE_CUSTODIAN, false},
    [APPR_CUST] = {"approver.cust", "审核兼保管", TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN, false},
    [TURNCOAT] = {"turncoat", "先录后审", TC_ROLE_CLERK, false},
    [FORGER] = {"forger", "改表人", TC_ROLE_CLERK, false},
    [DOOMED] = {"doomed", "将停用", TC_ROLE_APPROVER, false},
    [DEMOTED] = {"demoted", "将调岗", TC_ROLE_APPROVER, false},
    [GONE] = {"gone", "已离职", TC_ROLE_CLERK, false},
    [LOCKED] = {"locked", "输错口令", TC_ROLE_CLERK, false},
    [ENROL] = {"enrol", "首次登录", TC_ROLE_CLERK, true},
    [ENROL2] = {"enrol2", "猜登记码", TC_ROLE_CLERK, true},
};
static struct tc_account acct[N_WHO];
static char codes[N_WHO][TC_ENROL_CODE_LEN + 1];

/* The account as the store has it now. */
static const struct tc_account *as(enum who w)
{
    if (tc_account_find(W, staff[w].name, &acct[w]) != TC_OK)
        printf("# no account %s\n", staff[w].name);
    return &acct[w];
}

struct person {
    const char *name, *series, *specialty, *level, *track, *method, *year, *obtained, *tenure,
        *employer;
};
/* Persons 0 and 1 hold basic-level titles (0 long enough to convert, 1 not); every other one
 * is a province-wide 主管护师 (level 3) at the provincial hospital. */
#define WANG 0u
#define MA 1u
static const struct person basic_holders[] = {
    {"王芳", "WS-YL", "内科学", "副高级", "basic", "review", "2020", "2020-06-15", "2020-07",
     COUNTY},
    {"马明", "WS-YL", "外科学", "中级", "basic", "review", "2025", "2025-10-20", "2025-11", LINXIA},
};
static const char *const names[] = {
    "李四", "赵丽", "周一", "吴二", "郑三", "冯四", "陈五", "褚六", "卫七", "蒋八", "沈九", "韩十",
    "杨一", "朱二", "秦三", "尤四", "许五", "何六", "吕七", "施八", "张九", "孔十", "曹一", "严二",
    "华三", "金四", "魏五", "陶六", "姜七", "戚八", "谢九", "邹十", "喻一", "柏二", "水三", "窦四",
    "章五", "云六", "苏七", "潘八", "葛九", "奚十", "范一", "彭二", "郎三", "鲁四", "韦五", "昌六"};

static struct person person(unsigned k)
{
    if (k < 2)
        return basic_holders[k];
    struct person p = {names[(k - 2) % (sizeof names / sizeof names[0])],
                       "WS-HL",
                       "护理学",
                       "中级",
                       "province",
                       "exam",
                       "2025",
                       "2025-10-15",
                       "2025-11",
                       PROVINCIAL};
    return p;
}

/* Person k's resident ID number: born 1980, a serial of 100 + k, and its GB 11643 check. */
static void idno(char out[TC_IDNO_LEN + 1], unsigned k)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    snprintf(out, TC_IDNO_LEN + 1, "6201021980%02u%02u%03u", 1 + k % 12, 1 + k % 28, 100 + k);
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* A committee results CSV of the persons `who` (the first on line 2). */
static const char *results(const unsigned *who, size_t n)
{
    static int seq;
    char file[32];
    snprintf(file, sizeof file, "results-%d.csv", ++seq);
    const char *path = path_in(file);
    FILE *f = fopen(path, "w");
    if (!f)
        return path;
    fputs("name,id_number,series,specialty,level,track,method,eval_year,obtained,tenure_start,"
          "employer,scope_region,scope_tier,scope_unit,committee,approval\n",
          f);
    for (size_t i = 0; i < n; i++) {
        struct person p = person(who[i]);
        char id[TC_IDNO_LEN + 1];
        idno(id, who[i]);
        fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,,,,101,甘卫高评〔2026〕3号\n", p.name, id,
                p.series, p.specialty, p.level, p.track, p.method, p.year, p.obtained, p.tenure,
                p.employer);
    }
    fclose(f);
    return path;
}

/* The newest certificate of a person, 0 for none. */
static uint64_t cert_of(unsigned k)
{
    sqlite3_stmt *q;
    uint64_t id = 0;
    if (sqlite3_prepare_v2(tc_store_db(W),
                           "SELECT c.id FROM certificates c JOIN holders h ON "
                           "h.id = c.holder WHERE h.name = ? ORDER BY c.id DESC",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(q, 1, person(k).name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        id = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return id;
}

/* ---- the workflow's calls, as a console would make them ------------------------------------ */

static enum tc_err prepare_e(enum who by, const unsigned *who, size_t n, int64_t replace,
                             uint64_t now, int64_t *batch)
{
    struct tc_refusals ref = {0};
    why[0] = '\0';
    enum tc_err e = tc_wf_prepare(W, as(by), results(who, n), "2026年卫生系列职称评审结果", replace,
                                  tl, tc_signer_pub(issuer), now, batch, &ref, why, sizeof why);
    dump(&ref);
    tc_refusals_free(&ref);
    return e;
}

static int64_t prepare(enum who by, const unsigned *who, size_t n, uint64_t now)
{
    int64_t b = 0;
    enum tc_err e = prepare_e(by, who, n, 0, now, &b);
    if (e != TC_OK)
        printf("# prepare: %s %s\n", tc_errname(e), why);
    return e == TC_OK ? b : 0;
}

static enum tc_err publicise(enum who by, int64_t b, uint64_t now)
{
    int err = 0;
    why[0] = '\0';
    return tc_wf_publicise(W, as(by), b, path_in("gongshi"), now, &err, why, sizeof why);
}

static struct tc_wf_batch get(int64_t b, uint64_t now)
{
    struct tc_wf_batch x;
    if (tc_wf_get(W, b, now, &x) != TC_OK)
        memset(&x, 0, sizeof x);
    return x;
}

static enum tc_err approve_shown(enum who by, int64_t b, const uint8_t shown[32], uint64_t now)
{
    why[0] = '\0';
    return tc_wf_approve(W, as(by), b, DECISION, shown, now, why, sizeof why);
}

/* Approval of the rows as tc_wf_get shows them now. */
static enum tc_err approve(enum who by, int64_t b, uint64_t now)
{
    struct tc_wf_batch x = get(b, now);
    return approve_shown(by, b, x.rows_hash, now);
}

static enum tc_err reject(enum who by, int64_t b, uint64_t now)
{
    why[0] = '\0';
    return tc_wf_reject(W, as(by), b, now, why, sizeof why);
}

static enum tc_err object(enum who by, int64_t b, size_t line, const char *objector,
                          const char *contact, int32_t received, uint64_t now, int64_t *id)
{
    why[0] = '\0';
    return tc_wf_object(W, as(by), b, line, objector, contact, received,
                        "其业绩材料与事实不符 / the achievements claimed are not true", now, id,
                        why, sizeof why);
}

static enum tc_err resolve(enum who by, int64_t objection, bool upheld, const char *outcome,
                           uint64_t now)
{
    why[0] = '\0';
    return tc_wf_resolve(W, as(by), objection, upheld, outcome, now, why, sizeof why);
}

static enum tc_err sign(enum who by, int64_t b, uint64_t now, size_t *n)
{
    struct tc_refusals ref = {0};
    size_t got = 0;
    why[0] = '\0';
    enum tc_err e = tc_wf_sign(W, as(by), b, issuer, tl, now, &ref, &got, why, sizeof why);
    dump(&ref);
    tc_refusals_free(&ref);
    if (n)
        *n = got;
    return e;
}

static enum tc_err propose_revocation(enum who by, uint64_t id, const char *reason, uint64_t now,
                                      int64_t *batch)
{
    struct tc_wf_revocation v;
    memset(&v, 0, sizeof v);
    v.id = id;
    snprintf(v.reason, sizeof v.reason, "%s", reason);
    v.day = tc_beijing_day(now);
    v.blacklist = true;
    snprintf(v.bl_reason, sizeof v.bl_reason, "论文造假");
    why[0] = '\0';
    return tc_wf_propose_revocations(W, as(by), &v, 1, "撤销决定", now, batch, why, sizeof why);
}

static enum tc_err propose_conversion(enum who by, uint64_t id, uint16_t committee, uint64_t now,
                                      int64_t *batch)
{
    struct tc_wf_conversion v = {id, tc_beijing_day(now), committee, false};
    why[0] = '\0';
    return tc_wf_propose_conversions(W, as(by), &v, 1, "换发全省统一职称", now, batch, why,
                                     sizeof why);
}

/* Role changes as two admins make them: one proposes, another confirms. */
static bool change_roles(enum who w, unsigned roles, uint64_t now)
{
    const char *w_why = NULL;
    int64_t id = 0;
    bool done =
        tc_role_change_propose(W, as(ADMIN1), staff[w].name, roles, now, &id, &w_why) == TC_OK &&
        tc_role_change_confirm(W, as(ADMIN2), id, now + 60, &w_why) == TC_OK;
    if (!done)
        printf("# role change for %s: %s\n", staff[w].name, w_why ? w_why : "?");
    return done && as(w)->roles == roles;
}

/* The certificates of an issue batch that verify with the issuing key and name the persons. */
static size_t verified(int64_t issue_batch, const unsigned *who, size_t n)
{
    uint64_t *ids = NULL;
    size_t count = 0, good = 0;
    if (tc_batch_certs(W, issue_batch, &ids, &count) != TC_OK)
        return 0;
    for (size_t i = 0; i < count; i++) {
        static struct tc_cert_row row;
        struct tc_cert c;
        bool named = false;
        if (tc_cert_get(W, ids[i], &row) != TC_OK ||
            tc_cert_decode(row.payload, row.payload_len, &c, NULL) != TC_OK ||
            tc_cert_verify_sig(&c, tc_signer_pub(issuer)->pk) != TC_OK)
            continue;
        for (size_t j = 0; j < n; j++)
            named = named || strcmp(c.claims.name, person(who[j]).name) == 0;
        good += named && c.claims.id == ids[i];
    }
    free(ids);
    return count == n ? good : 0;
}

/* ---- the keys and the store ----------------------------------------------------------------- */

static uint8_t *endorse(struct tc_signer *k, size_t *len)
{
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    const struct tc_pubkey *p = tc_signer_pub(k);
    memcpy(en.pk, p->pk, TC_PK_BYTES);
    memcpy(en.kid, p->kid, TC_KID_BYTES);
    memcpy(en.name, p->name, strlen(p->name) + 1);
    /* a term covering every day this test acts on, within the GS profile's three years */
    en.not_before = day("2025-12-01");
    en.not_after = day("2027-11-30");
    en.authz.tracks = TC_AUTHZ_TRACK(TC_TRACK_BASIC) | TC_AUTHZ_TRACK(TC_TRACK_PROVINCE);
    en.authz.levels = 0x3E;
    en.authz.region = 62;
    en.endorsed_at = at("2025-11-20", 9);
    uint8_t *out = NULL;
    tc_keys_endorse(&out, len, &en, root);
    return out;
}

static struct tc_store *new_store(const char *file, unsigned mode)
{
    size_t len = 0;
    char *profile = slurp(getenv("TC_PROFILE_GS"), &len);
    const char *w = NULL;
    struct tc_store *s = NULL;
    enum tc_err e =
        profile ? tc_store_init_mode(path_in(file), profile, len, keys, mode, &w) : TC_ERR_IO;
    if (e == TC_OK)
        e = tc_store_open(&s, path_in(file), keys);
    if (e != TC_OK)
        printf("# store %s: %s %s\n", file, tc_errname(e), w ? w : "");
    free(profile);
    return s;
}

static void test_setup(void)
{
    root = make_signer("root.key", TC_KEY_ROOT);
    issuer = make_signer("issuer.key", TC_KEY_ISSUER);
    hashk = make_key("hash.key", TC_KEY_HASH);
    tc_store_keys_derive(&keys, hashk);
    size_t len = 0;
    uint8_t *en = endorse(issuer, &len);
    const uint8_t *ends[] = {en};
    tc_keys_trust_list_build(&trust_bytes, &trust_len, 1, at("2025-11-20", 10), ends, &len, 1, NULL,
                             0, root);
    tc_trust_list_parse(trust_bytes, trust_len, tc_signer_pub(root)->pk, &tl);
    free(en);
    ok(tl != NULL, "a trust list endorsing the issuing key from 2025-12-01 to 2027-11-30");
    W = new_store("workflow.db", TC_STORE_WORKFLOW);
    ok(W && tc_store_workflow(W) && !tc_store_demo(W), "a store set up for the workflow");
    if (!W)
        return;
    int years[8];
    size_t n = 0;
    tc_store_calendar_years(W, years, 8, &n);
    ok(n == 2 && years[0] == 2025 && years[1] == 2026,
       "it holds the shipped working-day years, 2025 and 2026, and not 2027 (%zu years)", n);
    struct tc_refusals ref = {0};
    size_t imported = 0, warnings = 0;
    enum tc_err e =
        tc_units_import(W, data_path("samples/gs-units.csv"), false, &ref, &imported, &warnings);
    ok(e == TC_OK && imported == 7, "the sample unit directory is imported (%zu units)", imported);
    dump(&ref);
    tc_refusals_free(&ref);
}

/* ---- 1. roles and accounts ------------------------------------------------------------------ */

/* The host makes the first two admins (no admin is there to confirm them), nothing else. */
static void test_bootstrap(void)
{
    static const struct {
        const char *name;
        unsigned roles;
        enum tc_err want;
        const char *what;
    } steps[] = {
        {"clerk0", TC_ROLE_CLERK, TC_ERR_REFUSED,
         "the host makes no account but an admin, not even the first"},
        {"admin1", TC_ROLE_ADMIN, TC_OK, "the host makes the first admin (bootstrap)"},
        {"admin2", TC_ROLE_ADMIN, TC_OK, "and the second"},
        {"admin9", TC_ROLE_ADMIN, TC_ERR_REFUSED,
         "but not a third: after two, an admin adds accounts and a second admin confirms"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *w = NULL;
        char code[TC_ENROL_CODE_LEN + 1];
        is_err(tc_account_add(W, steps[i].name, "管理员", steps[i].roles, PASSWORD, NULL,
                              at("2025-12-01", 9), code, NULL, &w),
               steps[i].want, "bootstrap: %s", steps[i].what);
    }
    ok(as(ADMIN1)->roles == TC_ROLE_ADMIN && as(ADMIN2)->roles == TC_ROLE_ADMIN,
       "bootstrap: the two admins hold their role at once");
}

struct pending {
    const char *account;
    int64_t id;
};

static void find_pending(void *ctx, const struct tc_role_change *c)
{
    struct pending *p = ctx;
    if (strcmp(c->account, p->account) == 0)
        p->id = c->id;
}

static int64_t pending_for(const char *account)
{
    struct pending p = {account, 0};
    tc_role_changes_pending(W, find_pending, &p);
    return p.id;
}

/* Every other account: added by admin1, without a role until admin2 confirms; admin1 is shown
 * the first half of its enrolment code, admin2 the second, and the person enters both. */
static void test_staff(void)
{
    const char *w = NULL;
    char code[TC_ENROL_CODE_LEN + 1], half[TC_ENROL_HALF_LEN + 1];
    for (int i = ADMIN3; i < N_WHO; i++) {
        uint64_t now = at("2025-12-02", 9) + (uint64_t)i * 60;
        enum tc_err e = tc_account_add(W, staff[i].name, staff[i].display, staff[i].roles, NULL,
                                       as(ADMIN1), now, codes[i], NULL, &w);
        unsigned before = as((enum who)i)->roles;
        bool first = strlen(codes[i]) == TC_ENROL_HALF_LEN && as((enum who)i)->awaiting_half;
        /* admin1 may not give the second half of a code whose first it holds */
        enum tc_err own = tc_account_enrol_half(W, as(ADMIN1), staff[i].name, now + 10, half, &w);
        int64_t change = pending_for(staff[i].name);
        enum tc_err c = tc_role_change_confirm(W, as(ADMIN2), change, now + 30, &w);
        enum tc_err h = tc_account_enrol_half(W, as(ADMIN2), staff[i].name, now + 40, half, &w);
        enum tc_err again = tc_account_enrol_half(W, as(ADMIN3 == i ? ADMIN2 : ADMIN3),
                                                  staff[i].name, now + 50, code, &w);
        strcat(codes[i], half); /* the person types the two halves one after the other */
        enum tc_err en = staff[i].enrols ? TC_OK
                                         : tc_account_enrol(W, staff[i].name, codes[i], PASSWORD,
                                                            strlen(PASSWORD), now + 60, &w);
        char roles[96];
        tc_roles_format(staff[i].roles, roles, sizeof roles);
        ok(e == TC_OK && before == 0 && change > 0 && c == TC_OK &&
               as((enum who)i)->roles == staff[i].roles,
           "accounts: %s is added by admin1 with no role until admin2 confirms %s", staff[i].name,
           roles);
        ok(first && own == TC_ERR_REFUSED && h == TC_OK && strlen(half) == TC_ENROL_HALF_LEN &&
               again == TC_ERR_NOT_FOUND && en == TC_OK,
           "accounts: admin1 holds the first half of %s's code and may not give the second; "
           "admin2 gives it once, and the two halves enrol (%s %s %s %s)",
           staff[i].name, tc_errname(own), tc_errname(h), tc_errname(again), tc_errname(en));
    }
    is_err(tc_account_add(W, "sneaky", "无权添加", TC_ROLE_CLERK, NULL, as(CLERK), 0, code, NULL,
                          &w),
           TC_ERR_REFUSED, "accounts: only an admin adds accounts");
    is_err(tc_account_add(W, "preset", "设好口令", TC_ROLE_CLERK, PASSWORD, as(ADMIN1), 0, code,
                          NULL, &w),
           TC_ERR_REFUSED, "accounts: an admin sets no password for the account it adds");
}

/* Which roles one account may hold, and the same refusal when an admin asks for them. */
static void test_role_sets(void)
{
    static const struct {
        unsigned roles;
        bool allowed;
        const char *what;
    } sets[] = {
        {TC_ROLE_CLERK, true, "clerk"},
        {TC_ROLE_APPROVER, true, "approver"},
        {TC_ROLE_CUSTODIAN, true, "custodian"},
        {TC_ROLE_AUDITOR, true, "auditor"},
        {TC_ROLE_ADMIN, true, "admin"},
        {TC_ROLE_CLERK | TC_ROLE_CUSTODIAN, true, "clerk and custodian"},
        {TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN, true, "approver and custodian"},
        {TC_ROLE_CLERK | TC_ROLE_APPROVER, false, "clerk and approver"},
        {TC_ROLE_CLERK | TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN, false,
         "clerk, approver and custodian"},
        {TC_ROLE_ADMIN | TC_ROLE_CLERK, false, "admin and clerk"},
        {TC_ROLE_ADMIN | TC_ROLE_APPROVER, false, "admin and approver"},
        {TC_ROLE_ADMIN | TC_ROLE_CUSTODIAN, false, "admin and custodian"},
        {TC_ROLE_ADMIN | TC_ROLE_AUDITOR, false, "admin and auditor"},
        {TC_ROLE_AUDITOR | TC_ROLE_CLERK, false, "auditor and clerk"},
        {TC_ROLE_AUDITOR | TC_ROLE_APPROVER, false, "auditor and approver"},
        {TC_ROLE_AUDITOR | TC_ROLE_CUSTODIAN, false, "auditor and custodian"},
        {0, false, "no role at all"},
        {32, false, "a role bit that names no role"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        const char *no = tc_roles_check(sets[i].roles);
        ok((no == NULL) == sets[i].allowed, "roles: %s %s%s%s", sets[i].what,
           sets[i].allowed ? "may be held together" : "refused: ", no ? no : "",
           sets[i].allowed && no ? " (refused!)" : "");
        if (sets[i].allowed || !sets[i].roles)
            continue;
        const char *w = NULL;
        char code[TC_ENROL_CODE_LEN + 1], name[32];
        int64_t id = 0;
        snprintf(name, sizeof name, "mixed%zu", i);
        enum tc_err added = tc_account_add(W, name, "兼任", sets[i].roles, NULL, as(ADMIN1),
                                           at("2025-12-03", 9), code, NULL, &w);
        enum tc_err proposed = tc_role_change_propose(W, as(ADMIN1), staff[CLERK2].name,
                                                      sets[i].roles, at("2025-12-03", 9), &id, &w);
        ok(added == TC_ERR_REFUSED && proposed == TC_ERR_REFUSED,
           "roles: an admin can neither add an account as %s nor propose it", sets[i].what);
    }
}

/* One admin proposes, another confirms, never their own roles. */
static void test_role_changes(void)
{
    static const struct {
        enum who proposer, subject;
        unsigned roles;
        enum tc_err proposed;
        enum who tries;    /* confirms first, refused (N_WHO: nobody) */
        enum who confirms; /* then confirms it */
        const char *what;
    } changes[] = {
        {ADMIN1, CLERK2, TC_ROLE_CLERK, TC_OK, ADMIN1, ADMIN2,
         "the admin who proposed a change does not confirm it; a second admin does"},
        {ADMIN2, ADMIN1, TC_ROLE_ADMIN, TC_OK, ADMIN1, ADMIN3,
         "an admin does not confirm a change of their own roles; another admin does"},
        {ADMIN1, CLERK2, TC_ROLE_CLERK, TC_OK, CLERK, ADMIN2, "a clerk confirms no role change"},
        {ADMIN1, CLERK2, TC_ROLE_CLERK, TC_OK, AUDITOR, ADMIN2, "nor does an auditor"},
        {CLERK, CLERK2, TC_ROLE_APPROVER, TC_ERR_REFUSED, N_WHO, N_WHO,
         "a clerk proposes no role change"},
        {APPROVER, APPROVER, TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN, TC_ERR_REFUSED, N_WHO, N_WHO,
         "an approver does not give themselves a role"},
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        const char *w = NULL;
        int64_t id = 0;
        uint64_t now = at("2025-12-04", 9) + i * 600;
        unsigned before = as(changes[i].subject)->roles;
        enum tc_err e =
            tc_role_change_propose(W, as(changes[i].proposer), staff[changes[i].subject].name,
                                   changes[i].roles, now, &id, &w);
        if (changes[i].tries == N_WHO) {
            ok(e == changes[i].proposed && as(changes[i].subject)->roles == before,
               "role change: %s", changes[i].what);
            continue;
        }
        enum tc_err first = tc_role_change_confirm(W, as(changes[i].tries), id, now + 60, &w);
        unsigned between = as(changes[i].subject)->roles;
        enum tc_err second = tc_role_change_confirm(W, as(changes[i].confirms), id, now + 120, &w);
        enum tc_err again = tc_role_change_confirm(W, as(changes[i].confirms), id, now + 180, &w);
        ok(e == TC_OK && first == TC_ERR_REFUSED && between == before && second == TC_OK &&
               again == TC_ERR_NOT_FOUND && as(changes[i].subject)->roles == changes[i].roles,
           "role change: %s (and only once)", changes[i].what);
    }
}

/* Five wrong passwords lock an account for 15 minutes; a sign-in sets the count back. */
static void test_lockout(void)
{
    static const struct {
        int t; /* seconds after the first try */
        bool right;
        enum tc_err want;
        const char *what;
    } steps[] = {
        {0, false, TC_ERR_PASSPHRASE, "a wrong password (1)"},
        {10, false, TC_ERR_PASSPHRASE, "a wrong password (2)"},
        {20, false, TC_ERR_PASSPHRASE, "a wrong password (3)"},
        {30, false, TC_ERR_PASSPHRASE, "a wrong password (4)"},
        {40, false, TC_ERR_PASSPHRASE, "a wrong password (5)"},
        {41, true, TC_ERR_REFUSED, "locks the account: the right password is refused"},
        {40 + 899, true, TC_ERR_REFUSED, "still 14 min 59 s after the fifth failure"},
        {40 + 900, true, TC_OK, "and signs in 15 minutes after it"},
        {2000, false, TC_ERR_PASSPHRASE, "again a wrong password (1)"},
        {2010, false, TC_ERR_PASSPHRASE, "a wrong password (2)"},
        {2020, false, TC_ERR_PASSPHRASE, "a wrong password (3)"},
        {2030, false, TC_ERR_PASSPHRASE, "a wrong password (4)"},
        {2040, true, TC_OK, "four failures do not lock: the right password signs in"},
        {2050, false, TC_ERR_PASSPHRASE, "a wrong password (1)"},
        {2060, false, TC_ERR_PASSPHRASE, "a wrong password (2)"},
        {2070, false, TC_ERR_PASSPHRASE, "a wrong password (3)"},
        {2080, false, TC_ERR_PASSPHRASE, "a wrong password (4)"},
        {2090, true, TC_OK, "a sign-in set the count back to zero: no lock after eight in all"},
    };
    uint64_t t0 = at("2025-12-05", 9);
    const char *w = NULL, *wrong_why = NULL;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *pw = steps[i].right ? PASSWORD : "correct horse battery stapler";
        struct tc_account a;
        enum tc_err e = tc_account_auth(W, staff[LOCKED].name, pw, strlen(pw), "console",
                                        t0 + (uint64_t)steps[i].t, &a, &w);
        is_err(e, steps[i].want, "sign-in: %s", steps[i].what);
        if (i == 4) {
            wrong_why = w;
            ok(as(LOCKED)->locked_until == t0 + 40 + TC_LOGIN_LOCK_SECONDS,
               "sign-in: the fifth failure locks it until 15 minutes later");
        }
    }
    struct tc_account a;
    is_err(tc_account_auth(W, "nobody", PASSWORD, strlen(PASSWORD), "console", t0, &a, &w),
           TC_ERR_PASSPHRASE, "sign-in: an unknown account ...");
    ok(w && wrong_why && strcmp(w, wrong_why) == 0,
       "sign-in: ... gets the answer a wrong password gets (%s)", w ? w : "");
}

/* The enrolment code sets the password once; a wrong code is a failed sign-in. */
static void test_enrol(void)
{
    static const struct {
        enum who w;
        const char *code; /* NULL: the account's own */
        const char *password;
        enum tc_err want;
        int64_t failures; /* the account's count afterwards */
        const char *what;
    } steps[] = {
        {ENROL, "WRONGCODEWRONGCODE22", "a new password of mine", TC_ERR_PASSPHRASE, 1,
         "a wrong code is refused and counts as a failed sign-in"},
        {ENROL, NULL, "too short", TC_ERR_ARG, 1, "a password under 12 characters is refused"},
        {ENROL, NULL, "a new password of mine", TC_OK, 0, "the code sets the password"},
        {ENROL, NULL, "another password of mine", TC_ERR_REFUSED, 0,
         "once: the code does not set it again"},
        {ENROL2, "WRONGCODEWRONGCODE23", "a new password of mine", TC_ERR_PASSPHRASE, 1,
         "a wrong code (1)"},
        {ENROL2, "WRONGCODEWRONGCODE24", "a new password of mine", TC_ERR_PASSPHRASE, 2, "(2)"},
        {ENROL2, "WRONGCODEWRONGCODE25", "a new password of mine", TC_ERR_PASSPHRASE, 3, "(3)"},
        {ENROL2, "WRONGCODEWRONGCODE26", "a new password of mine", TC_ERR_PASSPHRASE, 4, "(4)"},
        {ENROL2, "SHORT", "a new password of mine", TC_ERR_PASSPHRASE, 5, "(5)"},
        {ENROL2, NULL, "a new password of mine", TC_ERR_REFUSED, 5,
         "five wrong codes lock the account: the right one is refused"},
    };
    uint64_t t0 = at("2025-12-06", 9);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *w = NULL;
        const char *code = steps[i].code ? steps[i].code : codes[steps[i].w];
        enum tc_err e = tc_account_enrol(W, staff[steps[i].w].name, code, steps[i].password,
                                         strlen(steps[i].password), t0 + i, &w);
        int64_t failures = number("SELECT failures FROM accounts WHERE id = ?", as(steps[i].w)->id);
        ok(e == steps[i].want && failures == steps[i].failures, "enrolment: %s (%s, %lld)",
           steps[i].what, tc_errname(e), (long long)failures);
    }
    const char *w = NULL;
    struct tc_account a;
    is_err(tc_account_auth(W, staff[ENROL].name, "a new password of mine", 22, "console", t0 + 60,
                           &a, &w),
           TC_OK, "enrolment: the password set signs in");
    is_err(tc_account_enrol(W, staff[ENROL2].name, codes[ENROL2], "a new password of mine", 22,
                            t0 + 9 + TC_LOGIN_LOCK_SECONDS, &w),
           TC_OK, "enrolment: the right code works once the lock has passed");
    is_err(tc_account_enrol(W, "nobody", codes[ENROL], "a new password of mine", 22, t0, &w),
           TC_ERR_PASSPHRASE, "enrolment: an unknown account gets the answer a wrong code gets");
}

/* What an admin does, for the table of a disabled admin's acts. */
static enum tc_err admin_confirm(const struct tc_account *by, const char **w)
{
    return tc_role_change_confirm(W, by, pending_for(staff[CLERK2].name), at("2025-12-08", 10), w);
}

static enum tc_err admin_propose(const struct tc_account *by, const char **w)
{
    int64_t id = 0;
    return tc_role_change_propose(W, by, staff[LOCKED].name, TC_ROLE_CLERK | TC_ROLE_CUSTODIAN,
                                  at("2025-12-08", 10), &id, w);
}

static enum tc_err admin_disable(const struct tc_account *by, const char **w)
{
    return tc_account_disable(W, by, staff[CLERK2].name, at("2025-12-08", 10), w);
}

static enum tc_err admin_add(const struct tc_account *by, const char **w)
{
    char code[TC_ENROL_CODE_LEN + 1];
    return tc_account_add(W, "newcomer", "新同事", TC_ROLE_CLERK, NULL, by, at("2025-12-08", 10),
                          code, NULL, w);
}

static enum tc_err admin_calendar(const struct tc_account *by, const char **w)
{
    size_t len = 0;
    int year = 0;
    char *json = slurp(data_path("calendar/2026.json"), &len);
    enum tc_err e = json ? tc_calendar_admin_load(W, by, json, len, at("2025-12-08", 10), &year,
                                                  why, sizeof why)
                         : TC_ERR_IO;
    *w = why;
    free(json);
    return e;
}

/* A disabled account does nothing: sign in, prepare, propose, and an admin's acts. */
static void test_disabled(void)
{
    const char *w = NULL;
    uint64_t now = at("2025-12-08", 9);
    int64_t b = 0, id = 0;
    is_err(tc_account_disable(W, as(ADMIN1), staff[ADMIN1].name, now, &w), TC_ERR_REFUSED,
           "disabled: an admin does not disable their own account");
    is_err(tc_account_disable(W, as(CLERK), staff[CLERK2].name, now, &w), TC_ERR_REFUSED,
           "disabled: a clerk disables nobody");
    is_err(tc_account_disable(W, as(ADMIN1), staff[GONE].name, now, &w), TC_OK,
           "disabled: admin1 disables a clerk who left");
    struct tc_account a;
    refused(tc_account_auth(W, staff[GONE].name, PASSWORD, strlen(PASSWORD), "console", now + 60,
                            &a, &w),
            "", "disabled: the account does not sign in");
    ok(w && strstr(w, "disabled"), "disabled: and is told so (%s)", w ? w : "");
    unsigned k = 2;
    refused(prepare_e(GONE, &k, 1, 0, now + 60, &b), "this takes the clerk role",
            "disabled: its clerk role prepares nothing");
    refused(propose_revocation(GONE, 1, "fraud", now + 60, &b), "this takes the clerk role",
            "disabled: nor proposes a revocation");

    /* a disabled admin keeps the admin role in the table; it must not act on it */
    static const struct {
        enum tc_err (*act)(const struct tc_account *by, const char **w);
        const char *what;
    } acts[] = {
        {admin_confirm, "confirm a role change another admin proposed"},
        {admin_propose, "propose a role change"},
        {admin_disable, "disable an account"},
        {admin_add, "add an account"},
        {admin_calendar, "load a year of the working-day calendar"},
    };
    tc_role_change_propose(W, as(ADMIN1), staff[CLERK2].name, TC_ROLE_CLERK, now, &id, &w);
    is_err(tc_account_disable(W, as(ADMIN1), staff[ADMIN3].name, now + 30, &w), TC_OK,
           "disabled: admin1 disables admin3");
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        int64_t before = events();
        w = "";
        is_err(acts[i].act(as(ADMIN3), &w), TC_ERR_REFUSED,
               "disabled: a disabled admin does not %s", acts[i].what);
        ok(events() == before, "disabled: and nothing was recorded as done (%s)", w ? w : "");
    }
    is_err(admin_confirm(as(ADMIN2), &w), TC_OK,
           "disabled: the change admin3 could not confirm, admin2 does");
    ok(as(CLERK2)->roles == TC_ROLE_CLERK && !as(CLERK2)->disabled, "disabled: clerk2 as it was");
}

/* ---- 2. every transition refused to every role that does not hold it ------------------------ */

static int64_t mx_draft, mx_publicised, mx_objection;
static uint64_t mx_now; /* after the 公示 */

static enum tc_err mx_prepare(enum who w)
{
    unsigned k = 2;
    int64_t b = 0;
    return prepare_e(w, &k, 1, 0, mx_now, &b);
}

static enum tc_err mx_publicise(enum who w)
{
    return publicise(w, mx_draft, mx_now);
}

static enum tc_err mx_object(enum who w)
{
    int64_t id = 0;
    return object(w, mx_publicised, 2, "张三", "13900000000", day("2026-01-07"), mx_now, &id);
}

static enum tc_err mx_resolve(enum who w)
{
    return resolve(w, mx_objection, true, "经核查属实 / found true", mx_now);
}

static enum tc_err mx_approve(enum who w)
{
    return approve(w, mx_publicised, mx_now);
}

static enum tc_err mx_reject(enum who w)
{
    return reject(w, mx_publicised, mx_now);
}

static enum tc_err mx_revoke(enum who w)
{
    int64_t b = 0;
    return propose_revocation(w, 1, "fraud", mx_now, &b);
}

static enum tc_err mx_convert(enum who w)
{
    int64_t b = 0;
    return propose_conversion(w, 1, 100, mx_now, &b);
}

static enum tc_err mx_sign(enum who w)
{
    return sign(w, mx_publicised, mx_now, NULL);
}

static void test_matrix(void)
{
    static const struct {
        const char *name;
        unsigned role;
        enum tc_err (*act)(enum who w);
    } transitions[] = {
        {"prepare", TC_ROLE_CLERK, mx_prepare},
        {"publicise", TC_ROLE_CLERK, mx_publicise},
        {"record an objection", TC_ROLE_CLERK, mx_object},
        {"resolve an objection", TC_ROLE_APPROVER, mx_resolve},
        {"approve", TC_ROLE_APPROVER, mx_approve},
        {"reject", TC_ROLE_APPROVER, mx_reject},
        {"propose a revocation", TC_ROLE_CLERK, mx_revoke},
        {"propose a conversion", TC_ROLE_CLERK, mx_convert},
        {"sign", TC_ROLE_CUSTODIAN, mx_sign},
    };
    static const enum who actors[] = {CLERK,  APPROVER,   CUSTODIAN, AUDITOR,
                                      ADMIN1, CLERK_CUST, APPR_CUST};
    unsigned k[2] = {2, 3};
    uint64_t after = mx_now = at("2026-01-12", 10);
    mx_draft = prepare(CLERK, &k[0], 1, at("2026-01-05", 9));
    mx_publicised = prepare(CLERK, &k[1], 1, at("2026-01-05", 9));
    publicise(CLERK, mx_publicised, at("2026-01-05", 10));
    object(CLERK, mx_publicised, 2, "张三", "13900000000", day("2026-01-06"), at("2026-01-06", 9),
           &mx_objection);
    ok(mx_draft && mx_objection && strcmp(get(mx_publicised, after).state, "publicised") == 0,
       "matrix: a draft, and a publicised batch with an open objection");
    int64_t ev = events(), batches = number("SELECT count(*) FROM wf_batches", 0);
    int cells = 0;
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        for (size_t j = 0; j < sizeof actors / sizeof actors[0]; j++) {
            if (staff[actors[j]].roles & transitions[i].role)
                continue;
            char text[64];
            snprintf(text, sizeof text, "this takes the %s role",
                     tc_role_name(transitions[i].role, false));
            char roles[96];
            tc_roles_format(staff[actors[j]].roles, roles, sizeof roles);
            refused(transitions[i].act(actors[j]), text, "matrix: %s (%s) may not %s",
                    staff[actors[j]].name, roles, transitions[i].name);
            cells++;
        }
    struct tc_wf_batch d = get(mx_draft, after), p = get(mx_publicised, after);
    ok(cells == 44 && events() == ev && number("SELECT count(*) FROM wf_batches", 0) == batches &&
           strcmp(d.state, "draft") == 0 && strcmp(p.state, "publicised") == 0 &&
           p.open_objections == 1 && p.rows == 1,
       "matrix: %d refusals, and not one of them changed or recorded anything", cells);
}

/* ---- 3. a batch's life ---------------------------------------------------------------------- */

static const unsigned life_who[] = {WANG, MA, 2, 3};
static int64_t life, life_objection;

/* Prepared, publicised, and not approved on any day of the 公示. */
static void test_life_publicity(void)
{
    life = prepare(CLERK, life_who, 4, at("2026-02-09", 9));
    struct tc_wf_batch b = get(life, at("2026-02-09", 9));
    ok(life && strcmp(b.kind, "issue") == 0 && strcmp(b.state, "draft") == 0 && b.rows == 4 &&
           b.prepared_by == as(CLERK)->id && b.gongshi_idx == -1,
       "life: the clerk prepares the results, a draft of 4 rows");
    refused(approve(APPROVER, life, at("2026-02-09", 11)), "cannot be approved",
            "life: a draft is not approved");
    refused(sign(CUSTODIAN, life, at("2026-02-09", 12), NULL), "only approved work",
            "life: nor signed");
    is_err(publicise(CLERK, life, at("2026-02-10", 10)), TC_OK,
           "life: the clerk publicises it on Tuesday 10 February");
    b = get(life, at("2026-02-10", 10));
    /* Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 (4), Saturday 14 a 调休 workday (5) */
    ok(strcmp(b.state, "publicised") == 0 && b.gongshi_from == day("2026-02-10") &&
           b.gongshi_to == day("2026-02-14") && b.working_days_left == 5 && b.gongshi_idx >= 0,
       "life: its 公示 runs from 2026-02-10 to Saturday 2026-02-14 (%s to %s), 5 working days",
       day_text(b.gongshi_from), day_text(b.gongshi_to));
    char files[64];
    snprintf(files, sizeof files, "gongshi/gongshi-%lld.json", (long long)life);
    FILE *f = fopen(path_in(files), "r");
    ok(f != NULL, "life: the 公示 is written (%s)", files);
    if (f)
        fclose(f);
    refused(publicise(CLERK, life, at("2026-02-10", 11)), "only a draft",
            "life: a batch is publicised once");
    for (int32_t d = day("2026-02-10"); d <= day("2026-02-14"); d++)
        refused(approve(APPROVER, life, at_day(d, 17)), "has not ended",
                "life: approval on %s, within the 公示, is refused", day_text(d));
}

/* Objections: within the period, from a named objector with a contact, against a row. */
static void test_life_objections(void)
{
    static const struct {
        size_t line;
        const char *objector, *contact, *received, *now;
        const char *said; /* NULL: recorded */
        const char *what;
    } objections[] = {
        {3, "张三", "13900000000", "2026-02-09", "2026-02-11", "within the 公示 period",
         "received the day before the 公示"},
        {3, "张三", "13900000000", "2026-02-15", "2026-02-16", "within the 公示 period",
         "received the day after its last day"},
        {3, "张三", "13900000000", "2026-02-13", "2026-02-12", "cannot be after today",
         "received tomorrow"},
        {9, "张三", "13900000000", "2026-02-11", "2026-02-11", "has no line 9",
         "against a line the batch does not have"},
        {3, "张三", "", "2026-02-11", "2026-02-11", "real name, a contact", "without a contact"},
        {3, "", "13900000000", "2026-02-11", "2026-02-11", "real name, a contact",
         "without the objector's name"},
        {3, "张三", "13900000000", "2026-02-11", "2026-02-11", NULL,
         "received within the period, against line 3 (马明): recorded, open"},
    };
    for (size_t i = 0; i < sizeof objections / sizeof objections[0]; i++) {
        int64_t id = 0;
        enum tc_err e =
            object(CLERK, life, objections[i].line, objections[i].objector, objections[i].contact,
                   day(objections[i].received), at(objections[i].now, 10), &id);
        if (objections[i].said)
            refused(e, objections[i].said, "objection: %s is refused", objections[i].what);
        else if (is_err(e, TC_OK, "objection: %s", objections[i].what))
            life_objection = id;
    }
    ok(get(life, at("2026-02-12", 9)).open_objections == 1, "objection: one is open");
}

/* Approved the next working day after the 公示, once the objection is resolved, bound to the
 * rows the approver was shown. */
static void test_life_approval(void)
{
    uint64_t next = at("2026-02-24", 9); /* 15-23 February are the 春节 holiday */
    refused(approve(APPROVER, life, next), "still open",
            "life: approval with an objection open is refused");
    struct tc_wf_batch before = get(life, next);
    refused(resolve(APPROVER, life_objection, false, "", next), "outcome",
            "life: an objection is not resolved without a written outcome");
    is_err(resolve(APPROVER, life_objection, false, "经核查材料属实，异议不成立 / unfounded", next),
           TC_OK, "life: the approver dismisses it");
    refused(resolve(APPROVER, life_objection, true, "改判 / upheld after all", next),
            "no such open objection", "life: an objection is resolved once");
    struct tc_wf_batch b = get(life, next);
    ok(b.rows == 4 && memcmp(b.rows_hash, before.rows_hash, 32) == 0 && b.open_objections == 0,
       "life: a dismissed objection keeps every row and the rows' hash");
    uint8_t other[32];
    memcpy(other, b.rows_hash, 32);
    other[31] ^= 1;
    refused(approve_shown(APPROVER, life, other, next), "rows changed since they were shown",
            "life: approval of rows other than the ones there (expected hash wrong) is refused");
    why[0] = '\0';
    refused(tc_wf_approve(W, as(APPROVER), life, "", b.rows_hash, next, why, sizeof why), "文号",
            "life: approval without the decision reference is refused");
    is_err(approve(APPROVER, life, next + 3600), TC_OK,
           "life: approved on 2026-02-24, the first working day after the 公示");
    b = get(life, next + 3600);
    ok(strcmp(b.state, "approved") == 0 && b.approved_by == as(APPROVER)->id &&
           memcmp(b.approved_hash, b.rows_hash, 32) == 0 && strcmp(b.decision, DECISION) == 0,
       "life: approved by the approver, with the 文号, bound to the rows' hash");
    refused(approve(APPROVER, life, next + 7200), "cannot be approved",
            "life: a batch is approved once");
}

struct seen {
    int64_t id;
    bool found;
    int64_t n;
};

static void seen_one(void *ctx, const struct tc_wf_batch *b)
{
    struct seen *s = ctx;
    s->n++;
    s->found = s->found || b->id == s->id;
}

/* Signed once, the certificates verify, then published. */
static void test_life_signing(void)
{
    uint64_t t = at("2026-02-24", 14);
    int64_t before = certificates();
    size_t n = 0;
    is_err(sign(CUSTODIAN, life, t, &n), TC_OK, "life: the custodian signs it");
    struct tc_wf_batch b = get(life, t);
    ok(n == 4 && certificates() == before + 4 && strcmp(b.state, "signed") == 0 &&
           b.signed_by == as(CUSTODIAN)->id && b.signed_at == t && b.issue_batch > 0,
       "life: signed: 4 certificates issued in one issue batch");
    ok(verified(b.issue_batch, life_who, 4) == 4,
       "life: each verifies with the issuing key and names one of the four persons");
    refused(sign(CUSTODIAN, life, t + 60, &n), "only approved work",
            "life: a second signing of the same batch is refused");
    ok(n == 0 && certificates() == before + 4, "life: and issues nothing");
    is_err(tc_wf_published(W, t + 3600), TC_OK, "life: the publication is recorded");
    b = get(life, t + 3600);
    ok(strcmp(b.state, "published") == 0 && b.published_at == t + 3600 &&
           number("SELECT count(*) FROM wf_batches WHERE state = 'published'", 0) == 1 &&
           strcmp(get(mx_publicised, t).state, "publicised") == 0,
       "life: the batch is published, and no batch that was not signed");
    struct seen all = {life, false, 0}, pending = {life, false, 0};
    tc_wf_list(W, t + 3600, seen_one, &all);
    tc_wf_pending(W, t + 3600, seen_one, &pending);
    ok(all.found && !pending.found && all.n == number("SELECT count(*) FROM wf_batches", 0) &&
           pending.n == all.n - 1,
       "life: the work lists' reading (tc_wf_pending) leaves the published batch out, and only it");
    refused(sign(CUSTODIAN, life, t + 7200, &n), "only approved work",
            "life: a published batch is not signed again");
    refused(reject(APPROVER, life, t + 7200), "cannot be sent back",
            "life: nor sent back to draft");
    int64_t same = 0;
    refused(prepare_e(CLERK, life_who, 1, life, t + 7200, &same), "not signed yet",
            "life: nor given new rows");
    ok(certificates() == before + 4, "life: 4 certificates, issued once");
}

/* A clerk made an approver does not approve what the clerk prepared or proposed. */
static void test_turncoat(void)
{
    unsigned k = 4;
    int64_t t = prepare(TURNCOAT, &k, 1, at("2026-02-09", 9)), rv = 0;
    publicise(TURNCOAT, t, at("2026-02-10", 10));
    is_err(propose_revocation(TURNCOAT, cert_of(3), "error", at("2026-02-24", 15), &rv), TC_OK,
           "turncoat: as a clerk, it prepares a batch and proposes a revocation");
    ok(change_roles(TURNCOAT, TC_ROLE_APPROVER, at("2026-02-24", 15) + 1800),
       "turncoat: two admins make the clerk an approver");
    refused(approve(TURNCOAT, t, at("2026-02-24", 16)), "same account prepared",
            "turncoat: it does not approve the batch it prepared");
    refused(approve(TURNCOAT, rv, at("2026-02-24", 16)), "same account prepared",
            "turncoat: nor the revocation it proposed");
    size_t n = 0;
    ok(approve(APPROVER, t, at("2026-02-24", 16)) == TC_OK &&
           sign(CUSTODIAN, t, at("2026-02-24", 17), &n) == TC_OK && n == 1,
       "turncoat: another approver approves the batch, and it is signed");
    is_err(reject(APPROVER, rv, at("2026-02-24", 17)), TC_OK,
           "turncoat: the approver sends the revocation back");
}

/* ---- approval voided ------------------------------------------------------------------------ */

/* New rows put in an approved batch: back to draft, the 公示 and approval void, and the clerk
 * who put them in is their preparer. */
static void test_replace(void)
{
    static const unsigned first[] = {5, 6}, second[] = {5, 7};
    static const uint8_t zero[32];
    int64_t r = prepare(CLERK, first, 2, at("2026-02-09", 9)), same = 0;
    publicise(CLERK, r, at("2026-02-10", 10));
    is_err(approve(APPROVER, r, at("2026-02-24", 10)), TC_OK, "replace: a batch is approved");
    struct tc_wf_batch before = get(r, at("2026-02-24", 11));
    is_err(prepare_e(CLERK_CUST, second, 2, r, at("2026-02-24", 11), &same), TC_OK,
           "replace: a clerk (also a custodian) puts new rows in it");
    struct tc_wf_batch b = get(r, at("2026-02-24", 11));
    ok(same == r && strcmp(b.state, "draft") == 0 && b.approved_by == 0 &&
           memcmp(b.approved_hash, zero, 32) == 0 && !b.decision[0] && b.gongshi_from == 0 &&
           b.gongshi_to == 0 && b.gongshi_idx == -1 && b.rows == 2 &&
           memcmp(b.rows_hash, before.rows_hash, 32) != 0,
       "replace: a draft again, its 公示 and approval void, another rows' hash");
    ok(b.prepared_by == as(CLERK_CUST)->id,
       "replace: the new rows' preparer is the clerk who put them in (%s)", b.prepared_by_name);
    refused(sign(CUSTODIAN, r, at("2026-02-24", 14), NULL), "only approved work",
            "replace: the approval given before does not sign the new rows");
    refused(approve(APPROVER, r, at("2026-02-24", 14)), "cannot be approved",
            "replace: nor are they approved before their own 公示");
    /* Wed 25 (1), Thu 26 (2), Fri 27 (3), Saturday 28 a 调休 workday (4), Monday 2 March (5) */
    is_err(publicise(CLERK, r, at("2026-02-25", 10)), TC_OK, "replace: publicised again");
    ok(get(r, at("2026-02-25", 10)).gongshi_to == day("2026-03-02"),
       "replace: the new 公示 ends on 2026-03-02");
    is_err(approve(APPROVER, r, at("2026-03-03", 10)), TC_OK, "replace: and approved");
    refused(sign(CLERK_CUST, r, at("2026-03-03", 14), NULL), "neither the one who prepared",
            "replace: the custodian who put the rows in does not sign them");
    size_t n = 0;
    ok(sign(CUSTODIAN, r, at("2026-03-03", 15), &n) == TC_OK && n == 2 &&
           verified(get(r, at("2026-03-03", 15)).issue_batch, second, 2) == 2 && !cert_of(6),
       "replace: another custodian signs the new rows; the replaced person gets nothing");
}

static void count_dropped(void *ctx, size_t line, bool dropped, const char *row)
{
    (void)row;
    if (dropped)
        *(size_t *)ctx += line;
}

/* An upheld objection takes the row out: the hash changes and approval binds to the new one. */
static void test_upheld(void)
{
    static const unsigned who[] = {8, 9, 10}, kept[] = {8, 10};
    int64_t v = prepare(CLERK, who, 3, at("2026-02-09", 9)), obj = 0;
    publicise(CLERK, v, at("2026-02-10", 10));
    struct tc_wf_batch shown = get(v, at("2026-02-11", 9));
    is_err(
        object(CLERK, v, 3, "李某", "13800000000", day("2026-02-11"), at("2026-02-11", 10), &obj),
        TC_OK, "upheld: an objection against line 3 (%s)", person(9).name);
    is_err(resolve(APPROVER, obj, true, "经核查属实，撤回其评审结果 / found true: withdrawn",
                   at("2026-02-24", 9)),
           TC_OK, "upheld: the approver upholds it");
    struct tc_wf_batch b = get(v, at("2026-02-24", 9));
    size_t dropped = 0;
    tc_wf_rows(W, v, count_dropped, &dropped);
    ok(b.rows == 2 && dropped == 3 && memcmp(b.rows_hash, shown.rows_hash, 32) != 0,
       "upheld: line 3 leaves the batch and the rows' hash changes");
    refused(approve_shown(APPROVER, v, shown.rows_hash, at("2026-02-24", 10)), "rows changed",
            "upheld: approval of the rows as shown before is refused");
    is_err(approve_shown(APPROVER, v, b.rows_hash, at("2026-02-24", 10)), TC_OK,
           "upheld: approval of the rows as they are");
    size_t n = 0;
    ok(sign(CUSTODIAN, v, at("2026-02-24", 14), &n) == TC_OK && n == 2 &&
           verified(get(v, at("2026-02-24", 14)).issue_batch, kept, 2) == 2 && !cert_of(9),
       "upheld: the two others are issued, the person objected to is not");
}

/* Sent back after approval: the approval is void. */
static void test_reject(void)
{
    unsigned k = 11;
    int64_t j = prepare(CLERK, &k, 1, at("2026-02-09", 9));
    publicise(CLERK, j, at("2026-02-10", 10));
    is_err(approve(APPROVER, j, at("2026-02-24", 10)), TC_OK, "reject: a batch is approved");
    is_err(reject(APPROVER, j, at("2026-02-24", 11)), TC_OK, "reject: and sent back");
    struct tc_wf_batch b = get(j, at("2026-02-24", 11));
    ok(strcmp(b.state, "draft") == 0 && b.approved_by == 0 && !b.decision[0] && b.gongshi_from == 0,
       "reject: a draft again, the 公示 and the approval void");
    refused(sign(CUSTODIAN, j, at("2026-02-24", 14), NULL), "only approved work",
            "reject: the approval given before signs nothing");
}

/* ---- 4. the signer's checks, against what a store can be made to say ------------------------ */

static uint64_t sign_now;

/* Prepared on day d at 9, publicised at 10. */
static int64_t publicised_batch(enum who clerk, const unsigned *who, size_t n, const char *d)
{
    int64_t b = prepare(clerk, who, n, at(d, 9));
    if (b && publicise(clerk, b, at(d, 10)) != TC_OK) {
        printf("# publicise: %s\n", why);
        return 0;
    }
    return b;
}

/* 公示 Monday 2 to Friday 6 March, approved Monday 9 March. */
static int64_t approved_batch(enum who clerk, enum who approver, const unsigned *who, size_t n)
{
    int64_t b = publicised_batch(clerk, who, n, "2026-03-02");
    if (b && approve(approver, b, at("2026-03-09", 10)) != TC_OK) {
        printf("# approve: %s\n", why);
        return 0;
    }
    return b;
}

static int64_t sc_not_approved(unsigned k)
{
    return publicised_batch(CLERK, &k, 1, "2026-03-02");
}

static int64_t sc_custodian_prepared(unsigned k)
{
    return approved_batch(CLERK_CUST, APPROVER, &k, 1);
}

static int64_t sc_custodian_approved(unsigned k)
{
    return approved_batch(CLERK, APPR_CUST, &k, 1);
}

static int64_t sc_approver_disabled(unsigned k)
{
    const char *w = NULL;
    int64_t b = approved_batch(CLERK, DOOMED, &k, 1);
    return b && tc_account_disable(W, as(ADMIN1), staff[DOOMED].name, at("2026-03-09", 11), &w) ==
                       TC_OK
               ? b
               : 0;
}

static int64_t sc_approver_demoted(unsigned k)
{
    int64_t b = approved_batch(CLERK, DEMOTED, &k, 1);
    return b && change_roles(DEMOTED, TC_ROLE_CUSTODIAN, at("2026-03-09", 11)) ? b : 0;
}

static int64_t sc_row_dropped(unsigned k)
{
    unsigned who[2] = {k, k + 1};
    int64_t b = approved_batch(CLERK, APPROVER, who, 2);
    return b && edit("UPDATE wf_rows SET dropped = 1 WHERE batch = ?1 AND line = 3", b, NULL, 0)
               ? b
               : 0;
}

/* a 主管护师 (level 3) made a 副主任护师 (level 4) */
#define PROMOTE                                                                                    \
    "UPDATE wf_rows SET row = replace(row, '\"level\":3', '\"level\":4') WHERE batch = ?1"

static int64_t sc_hash_matched(unsigned k)
{
    int64_t b = approved_batch(CLERK, APPROVER, &k, 1);
    if (!b || !edit(PROMOTE, b, NULL, 0))
        return 0;
    struct tc_wf_batch x = get(b, sign_now);
    return edit("UPDATE wf_batches SET approved_hash = ?2 WHERE id = ?1", b, x.rows_hash, 0) ? b
                                                                                             : 0;
}

static int64_t sc_approval_forged(unsigned k)
{
    int64_t b = publicised_batch(CLERK, &k, 1, "2026-03-02");
    struct tc_wf_batch x = get(b, sign_now);
    return b && edit("UPDATE wf_batches SET state = 'approved', approved_by = ?3, approved_at = 1, "
                     "approved_hash = ?2, decision = '" DECISION "' WHERE id = ?1",
                     b, x.rows_hash, as(APPROVER)->id)
               ? b
               : 0;
}

/* Published Monday 2 March, its last day Friday 6 March, moved to the 2nd; the approver, shown
 * a period over, approves on the 3rd, and the signer is asked the same day. */
static int64_t sc_period_forged(unsigned k)
{
    int64_t b = publicised_batch(CLERK, &k, 1, "2026-03-02");
    sign_now = at("2026-03-03", 14);
    if (!b || !edit("UPDATE wf_batches SET gongshi_to = gongshi_from WHERE id = ?1", b, NULL, 0))
        return 0;
    return approve(APPROVER, b, at("2026-03-03", 10)) == TC_OK ? b : 0;
}

/* Publicised on 10 February (over on the 14th), sent back, publicised again on Monday 2 March;
 * the first, voided 公示 (its days, hash and register entry) is put back on the 3rd. */
static int64_t sc_gongshi_replayed(unsigned k)
{
    int64_t b = publicised_batch(CLERK, &k, 1, "2026-02-10");
    struct tc_wf_batch first = get(b, at("2026-02-10", 10));
    sign_now = at("2026-03-03", 14);
    if (!b || reject(APPROVER, b, at("2026-02-24", 9)) != TC_OK ||
        publicise(CLERK, b, at("2026-03-02", 10)) != TC_OK)
        return 0;
    bool put =
        edit("UPDATE wf_batches SET gongshi_sha256 = ?2, gongshi_idx = ?3 WHERE id = ?1", b,
             first.gongshi_sha256, first.gongshi_idx) &&
        edit("UPDATE wf_batches SET gongshi_from = ?3 WHERE id = ?1", b, NULL,
             first.gongshi_from) &&
        edit("UPDATE wf_batches SET gongshi_to = ?3 WHERE id = ?1", b, NULL, first.gongshi_to);
    return put && approve(APPROVER, b, at("2026-03-03", 10)) == TC_OK ? b : 0;
}

/* A clerk prepares, is made an approver, and the batch row is made to name another preparer. */
static int64_t sc_preparer_forged(unsigned k)
{
    int64_t b = publicised_batch(FORGER, &k, 1, "2026-03-02");
    if (!b || !change_roles(FORGER, TC_ROLE_APPROVER, at("2026-03-03", 9)) ||
        !edit("UPDATE wf_batches SET prepared_by = ?3 WHERE id = ?1", b, NULL, as(CLERK)->id))
        return 0;
    return approve(FORGER, b, at("2026-03-09", 10)) == TC_OK ? b : 0;
}

/* A row changed after the 公示; the approver approves what is shown. */
static int64_t sc_rows_edited(unsigned k)
{
    int64_t b = publicised_batch(CLERK, &k, 1, "2026-03-02");
    if (!b || !edit(PROMOTE, b, NULL, 0))
        return 0;
    return approve(APPROVER, b, at("2026-03-09", 10)) == TC_OK ? b : 0;
}

static const struct scenario {
    const char *what;
    int64_t (*setup)(unsigned k);
    enum who custodian;
    const char *said;
    enum who then; /* then signs it (N_WHO: nobody may) */
} scenarios[] = {
    {"before approval", sc_not_approved, CUSTODIAN, "only approved work", N_WHO},
    {"by a custodian who prepared it", sc_custodian_prepared, CLERK_CUST,
     "neither the one who prepared", CUSTODIAN},
    {"by a custodian who approved it", sc_custodian_approved, APPR_CUST,
     "neither the one who prepared", CUSTODIAN},
    {"once its approver is disabled", sc_approver_disabled, CUSTODIAN,
     "no longer holds the approver role", N_WHO},
    {"once its approver is no longer one", sc_approver_demoted, CUSTODIAN,
     "no longer holds the approver role", N_WHO},
    {"after a row was dropped in SQLite", sc_row_dropped, CUSTODIAN, "changed after the approval",
     N_WHO},
    {"(a) with a row changed and the approved hash set to match in SQLite", sc_hash_matched,
     CUSTODIAN, "not the one the audit log recorded", N_WHO},
    {"(b) approved in SQLite, without an audit event", sc_approval_forged, CUSTODIAN,
     "not the one the audit log recorded", N_WHO},
    {"(c) with the 公示's last day moved earlier in SQLite", sc_period_forged, CUSTODIAN,
     "has not ended", N_WHO},
    {"(d) with an earlier, voided 公示 of the batch put back in SQLite", sc_gongshi_replayed,
     CUSTODIAN, "not the batch's current one", N_WHO},
    {"(e) with another preparer named in SQLite, so that the preparer approved", sc_preparer_forged,
     CUSTODIAN, "recorded as prepared", N_WHO},
    {"(f) with a row changed in SQLite after the 公示, before approval", sc_rows_edited, CUSTODIAN,
     "recorded as prepared", N_WHO},
};

static void test_sign_refusals(void)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const struct scenario *sc = &scenarios[i];
        sign_now = at("2026-03-09", 14);
        int64_t b = sc->setup(12 + 2 * (unsigned)i);
        if (!ok(b != 0, "signing %s: set up", sc->what))
            continue;
        struct tc_wf_batch before, after;
        tc_wf_get(W, b, sign_now, &before);
        int64_t issued = certificates();
        size_t n = 9;
        refused(sign(sc->custodian, b, sign_now, &n), sc->said, "signing %s: refused", sc->what);
        tc_wf_get(W, b, sign_now, &after);
        ok(n == 0 && certificates() == issued && memcmp(&before, &after, sizeof before) == 0,
           "signing %s: nothing issued, the batch as it was (%s)", sc->what, after.state);
        if (sc->then != N_WHO)
            ok(sign(sc->then, b, sign_now, &n) == TC_OK && n == before.rows &&
                   certificates() == issued + (int64_t)n,
               "signing %s: the %s signs it", sc->what, staff[sc->then].name);
    }
}

/* ---- 6. revocations: proposed, approved without a 公示, signed ------------------------------- */

static void test_revocations(void)
{
    uint64_t now = at("2026-03-10", 10), target = cert_of(2);
    int64_t rv = 0, again = 0;
    static const struct {
        uint64_t id; /* 0: the certificate revoked below */
        const char *reason, *said, *what;
    } bad[] = {
        {999999999, "fraud", "no certificate 999999999", "a certificate the store does not hold"},
        {0, "because", "fraud, error or other", "a reason other than fraud, error or other"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(propose_revocation(CLERK, bad[i].id ? bad[i].id : target, bad[i].reason, now, &rv),
                bad[i].said, "revocation: %s is refused", bad[i].what);
    why[0] = '\0';
    refused(tc_wf_propose_revocations(W, as(CLERK), NULL, 0, "撤销", now, &rv, why, sizeof why),
            "no certificate to revoke", "revocation: a proposal of nothing is refused");
    is_err(propose_revocation(CLERK, target, "fraud", now, &rv), TC_OK,
           "revocation: a clerk proposes revoking %s's certificate for fraud", person(2).name);
    struct tc_wf_batch b = get(rv, now);
    ok(strcmp(b.kind, "revoke") == 0 && strcmp(b.state, "draft") == 0 && b.rows == 1,
       "revocation: a revocation batch, a draft");
    refused(publicise(CLERK, rv, now), "only a draft", "revocation: it has no 公示");
    refused(sign(CUSTODIAN, rv, now + 300, NULL), "only approved work",
            "revocation: it is not signed before approval");
    is_err(approve(APPROVER, rv, now + 600), TC_OK,
           "revocation: an approver other than the proposer approves it, the same day");
    size_t n = 0;
    is_err(sign(CUSTODIAN, rv, now + 1200, &n), TC_OK, "revocation: the custodian signs it");
    static struct tc_cert_row row;
    ok(n == 1 && tc_cert_get(W, target, &row) == TC_OK && strcmp(row.status, "revoked") == 0 &&
           strcmp(row.reason, "fraud") == 0 && row.status_day == day("2026-03-10"),
       "revocation: the certificate is revoked, for fraud, on 2026-03-10 (%s)", row.status);
    b = get(rv, now + 1200);
    ok(strcmp(b.state, "signed") == 0 && b.gongshi_from == 0 && b.gongshi_idx == -1,
       "revocation: signed without ever having a 公示");
    refused(propose_revocation(CLERK, target, "error", now + 1800, &again), "already revoked",
            "revocation: a revoked certificate is not proposed again");
    refused(sign(CUSTODIAN, rv, now + 1800, &n), "only approved work",
            "revocation: the batch is not signed twice");
}

/* ---- 7. conversions: C1 with its eligibility --------------------------------------------------
 */

/* 王芳's records of one kind for the years y0 to y1: employment from July (open), an assessment
 * passed, 90 hours of continuing education. */
static bool records(const char *kind, const char *header, int y0, int y1)
{
    char id[TC_IDNO_LEN + 1], text[2048], file[32], cell[64];
    size_t used = (size_t)snprintf(text, sizeof text, "%s\n", header), imported = 0;
    idno(id, WANG);
    for (int y = y0; y <= y1 && used < sizeof text; y++) {
        if (strcmp(kind, "employment") == 0)
            snprintf(cell, sizeof cell, COUNTY ",%d-07-01,", y);
        else
            snprintf(cell, sizeof cell, "%d,%s", y, strcmp(kind, "ce") == 0 ? "90" : "合格");
        used += (size_t)snprintf(text + used, sizeof text - used, "%s,%s,%s\n", id,
                                 person(WANG).name, cell);
    }
    snprintf(file, sizeof file, "%s.csv", kind);
    write_file(file, text);
    struct tc_refusals ref = {0};
    enum tc_err e = tc_records_import_as(W, as(CLERK), kind, path_in(file), &ref, &imported);
    dump(&ref);
    tc_refusals_free(&ref);
    return e == TC_OK && imported == (size_t)(y1 - y0 + 1);
}

/* A workflow store with an admin: the records are a clerk's to import, the unit directory an
 * admin's; nobody else's, and not the host's any more */
static void test_import_roles(void)
{
    struct tc_refusals ref = {0};
    size_t n = 0, w = 0;
    ok(tc_records_import(W, "ce", data_path("samples/gs-ce.csv"), &ref, &n) == TC_ERR_REFUSED,
       "records: the host alone is refused once the store has an admin");
    ok(tc_records_import_as(W, as(APPROVER), "ce", data_path("samples/gs-ce.csv"), &ref, &n) ==
           TC_ERR_REFUSED,
       "records: an approver is refused");
    ok(tc_units_import_as(W, as(CLERK), data_path("samples/gs-units.csv"), false, &ref, &n, &w) ==
           TC_ERR_REFUSED,
       "units: a clerk is refused (the directory decides where basic-level titles are valid)");
    ok(tc_units_import_as(W, as(ADMIN1), data_path("samples/gs-units.csv"), false, &ref, &n, &w) ==
           TC_OK,
       "units: an admin imports them");
    tc_refusals_free(&ref);
}

/* Sets certificate id's stored bytes, behind the library's back. */
static bool set_payload(uint64_t id, const uint8_t *p, size_t len)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(tc_store_db(W), "UPDATE certificates SET payload = ?1 WHERE id = ?2", -1,
                           &q, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_blob(q, 1, p, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (int64_t)id);
    bool done = sqlite3_step(q) == SQLITE_DONE && sqlite3_changes(tc_store_db(W)) == 1;
    sqlite3_finalize(q);
    return done;
}

/* An approved conversion of certificate id, changed in the store's file before it is signed:
 * each change is refused, and undone. */
static void tampered_after_approval(int64_t cv, uint64_t id, uint64_t now)
{
    /* C1: the successor copies the predecessor's claims, which neither the approval nor the 公示
     * covers. The host replaces them: its own claims (another name, a higher level) under a key
     * the trust list does not endorse; the genuine bytes with a signature bit flipped; another
     * certificate's genuine bytes */
    static struct tc_cert_row orig, other;
    struct tc_cert oc;
    uint8_t claims[TC_CERT_MAX_BYTES], *forged = NULL;
    size_t claims_len = 0, forged_len = 0, n = 0;
    ok(tc_cert_get(W, id, &orig) == TC_OK && tc_cert_get(W, cert_of(MA), &other) == TC_OK &&
           tc_cert_decode(orig.payload, orig.payload_len, &oc, NULL) == TC_OK,
       "conversion: the predecessor's and another certificate's stored bytes are read");
    snprintf(oc.claims.name, sizeof oc.claims.name, "%s", "冒名者");
    oc.claims.level = TC_LEVEL_ZHENGGAO;
    ok(tc_claims_encode(&oc.claims, claims, sizeof claims, &claims_len) == TC_OK &&
           tc_signer_cose_sign1_alloc(root, NULL, claims, claims_len, &forged, &forged_len) ==
               TC_OK,
       "conversion: forged claims (another name, 正高级) signed by a key not endorsed for them");
    /* the same forged claims signed by the committee's own key: a genuine certificate of that
     * id, as a staging copy or another issuer under the same trust list could make, but not the
     * one the register issued */
    static uint8_t genuine[TC_CERT_MAX_BYTES];
    size_t genuine_len = 0;
    ok(tc_keys_sign_cert(genuine, sizeof genuine, &genuine_len, &oc.claims, issuer) == TC_OK,
       "conversion: the forged claims signed by the committee's own key");
    static uint8_t flipped[TC_CERT_MAX_BYTES];
    memcpy(flipped, orig.payload, orig.payload_len);
    flipped[orig.payload_len - 1] ^= 1; /* the signature is the message's last bytes */
    const struct {
        const char *what;
        const uint8_t *p;
        size_t len;
    } swaps[] = {
        {"forged claims under another key", forged, forged_len},
        {"a genuine certificate of its id the register did not issue", genuine, genuine_len},
        {"its genuine bytes with one signature bit flipped", flipped, orig.payload_len},
        {"another certificate's genuine bytes", other.payload, other.payload_len},
    };
    for (size_t i = 0; i < sizeof swaps / sizeof *swaps; i++) {
        ok(set_payload(id, swaps[i].p, swaps[i].len), "conversion: after approval, the host "
           "puts %s in the predecessor's row", swaps[i].what);
        refused(sign(CUSTODIAN, cv, now, &n), "is not the one its committee signed",
                "conversion: %s in the predecessor's row: not signed", swaps[i].what);
    }
    free(forged);
    ok(set_payload(id, orig.payload, orig.payload_len) && strcmp(get(cv, now).state, "approved") == 0,
       "conversion: the genuine bytes are put back; nothing was signed");
    /* the batch's kind: another would skip or change the checks (a conversion made a
     * revocation, or a kind the schema's CHECK forbids, written with the CHECK ignored) */
    static const char *const kinds[] = {"x", "revoke", "issue"};
    sqlite3_exec(tc_store_db(W), "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE wf_batches SET kind = '%s' WHERE id = ?1", kinds[i]);
        ok(edit(sql, cv, NULL, 0), "conversion: after approval, its kind is set to '%s'",
           kinds[i]);
        refused(sign(CUSTODIAN, cv, now, &n), "nothing is signed",
                "conversion: made '%s' in the table, it is not signed", kinds[i]);
    }
    ok(edit("UPDATE wf_batches SET kind = 'convert' WHERE id = ?1", cv, NULL, 0),
       "conversion: its kind is put back");
    sqlite3_exec(tc_store_db(W), "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
    /* roles as the audit chain gave them, not as the table says: the approver's role taken away
     * by two admins and written back into the table; a clerk made custodian in the table alone.
     * Each breaks the account's seal; put back with the seal of a record that held the role (a
     * copy from before the change), or sealed by whatever holds the key, the audit chain still
     * refuses it */
    int64_t approver = as(APPROVER)->id, clerk2 = as(CLERK2)->id;
    uint8_t seal[32] = {0};
    ok(blob("SELECT seal FROM accounts WHERE id = ?1", approver, seal) &&
           change_roles(APPROVER, TC_ROLE_CLERK, now) &&
           edit("UPDATE account_roles SET role = 'approver' WHERE account = ?1", approver, NULL,
                0),
       "conversion: the approver made a clerk by two admins, then approver again in the table");
    refused(sign(CUSTODIAN, cv, now, &n), "does not match its seal",
            "conversion: an approver by the table only: the record's seal refuses it");
    ok(edit("UPDATE accounts SET seal = ?2 WHERE id = ?1", approver, seal, 0) &&
           tc_account_sealed(W, approver) == TC_OK && as(APPROVER)->roles == TC_ROLE_APPROVER,
       "conversion: the seal of the record from when it held the role put back: it matches");
    refused(sign(CUSTODIAN, cv, now, &n), "the approver role (the table alone says so)",
            "conversion: an approver by the table only: not signed");
    ok(change_roles(APPROVER, TC_ROLE_APPROVER, now + 120),
       "conversion: two admins make the approver an approver again");
    ok(edit("INSERT INTO account_roles(account, role, granted_at) VALUES(?1, 'custodian', 0)",
            clerk2, NULL, 0) && tc_account_sealed(W, clerk2) == TC_ERR_INCONSISTENT,
       "conversion: a second clerk made custodian in the table: the record's seal fails");
    refused(sign(CLERK2, cv, now, &n), "does not match its seal",
            "conversion: a custodian by the table only does not sign (the seal)");
    ok(tc_account_reseal(W, clerk2) == TC_OK && (as(CLERK2)->roles & TC_ROLE_CUSTODIAN),
       "conversion: the record sealed again with the role (as a holder of the key could)");
    refused(sign(CLERK2, cv, now, &n), "custodian role",
            "conversion: a custodian by the table only does not sign");
    ok(edit_sealed("DELETE FROM account_roles WHERE account = ?1 AND role = 'custodian'", clerk2),
       "conversion: the table's custodian role removed");
}

static void test_conversions(void)
{
    uint64_t now = at("2026-03-10", 11), wang = cert_of(WANG);
    int64_t cv = 0, again = 0;
    /* 王芳 (tenure from July 2020) at the 城关区 centre, basic level, since then; assessed and
     * trained (90 hours) each complete year */
    ok(records("employment", "id_number,name,unit,from,to", 2020, 2020) &&
           records("assessments", "id_number,name,year,result", 2020, 2025) &&
           records("ce", "id_number,name,year,hours", 2020, 2025),
       "conversion: 王芳's employment, assessments and continuing education are imported");
    refused(propose_conversion(CLERK, cert_of(MA), 100, now, &cv), "不足 60 个月",
            "conversion: 马明's basic-level title, not yet eligible, is refused with the "
            "shortfall");
    printf("# %s\n", why);
    refused(propose_conversion(CLERK, cert_of(3), 100, now, &cv), "不是基层职称",
            "conversion: a province-wide title is not converted");
    refused(propose_conversion(CLERK, wang, 0, now, &cv), "committee",
            "conversion: not without the unified committee");
    is_err(propose_conversion(CLERK, wang, 100, now, &cv), TC_OK,
           "conversion: 王芳's, eligible, is proposed");
    /* ISSUANCE.md: a conversion batch is publicised like any result. Published Tuesday
     * 2026-03-10, five working days run to Monday 03-16; approval opens on 03-17 */
    refused(approve(APPROVER, cv, now + 600), "cannot be approved",
            "conversion: not approved before its 公示");
    is_err(publicise(CLERK, cv, now + 300), TC_OK, "conversion: publicised (公示) by the clerk");
    struct tc_wf_batch pb = get(cv, now + 300);
    ok(pb.gongshi_from == day("2026-03-10") && pb.gongshi_to == day("2026-03-16"),
       "conversion: its 公示 runs 2026-03-10 to 2026-03-16");
    refused(approve(APPROVER, cv, at("2026-03-16", 17)), "has not ended",
            "conversion: approval on the 公示's last day is refused");
    uint64_t later = at("2026-03-17", 9);
    is_err(approve(APPROVER, cv, later), TC_OK, "conversion: approved by an approver");
    tampered_after_approval(cv, wang, later + 300);
    size_t n = 0;
    is_err(sign(CUSTODIAN, cv, later + 600, &n), TC_OK, "conversion: signed by the custodian");
    static struct tc_cert_row old, successor;
    struct tc_cert c;
    ok(n == 1 && tc_cert_get(W, wang, &old) == TC_OK && strcmp(old.status, "superseded") == 0 &&
           old.successor != 0,
       "conversion: the old certificate is superseded (not revoked) and names its successor");
    ok(tc_cert_get(W, old.successor, &successor) == TC_OK &&
           tc_cert_decode(successor.payload, successor.payload_len, &c, NULL) == TC_OK &&
           tc_cert_verify_sig(&c, tc_signer_pub(issuer)->pk) == TC_OK &&
           c.claims.track == TC_TRACK_PROVINCE && c.claims.method == TC_METHOD_CONVERSION &&
           c.claims.level == TC_LEVEL_FUGAO && c.claims.conv.predecessor == wang,
       "conversion: the successor verifies: province-wide, the same level, naming the old one");
    refused(propose_conversion(CLERK, wang, 100, later + 1800, &again), "superseded",
            "conversion: a certificate is converted once");
    /* A3: its row set back to 'valid' in the store's file, a second conversion is proposed,
     * publicised and approved; the audit log has it superseded, so it is not signed (the
     * register would hold it superseded twice, and so revoked ones converted) */
    ok(edit("UPDATE certificates SET status = 'valid', successor = NULL WHERE id = ?1",
            (int64_t)wang, NULL, 0),
       "conversion: the superseded certificate's row set back to 'valid' in the table");
    uint64_t t2 = at("2026-03-18", 9);
    is_err(propose_conversion(CLERK, wang, 100, t2, &again), TC_OK,
           "conversion: by the table, it may be converted again: proposed");
    is_err(publicise(CLERK, again, t2 + 300), TC_OK, "conversion: publicised again");
    uint64_t t3 = at("2026-03-25", 9); /* 18 (1), 19, 20, 23, 24 (5) */
    is_err(approve(APPROVER, again, t3), TC_OK, "conversion: approved again");
    refused(sign(CUSTODIAN, again, t3 + 600, &n), "revoked or superseded already",
            "conversion: the audit log has it superseded: not signed a second time");
    ok(edit("UPDATE certificates SET status = 'superseded', successor = ?3 WHERE id = ?1",
            (int64_t)wang, NULL, (int64_t)old.successor),
       "conversion: its row put back");
}

/* ---- 8. the 公示 period on the working-day calendar ----------------------------------------- */

/* Each row worked out by hand from data/calendar/2025.json and 2026.json (国办发明电〔2025〕7号):
 * a working day is a listed 调休 workday, or a Monday to Friday outside every listed holiday; the
 * period's first working day is the day of publication when it is one, else the next one; the
 * last day is the fifth working day (GS's gongshi_working_days). gongshi_from is the day of
 * publication, the day its register entry carries, even a rest day: the working days are
 * counted from the first working day on or after it. */
static const struct period {
    const char *published, *to; /* to NULL: refused, naming the year the calendar lacks */
} periods[] = {
    /* Wednesday 31 Dec 2025 (2025.json lists nothing at the year's end) (1); 1-3 Jan 元旦;
     * Sunday 4 Jan, a 调休 workday for 元旦 (2); Mon 5 (3), Tue 6 (4), Wed 7 (5) */
    {"2025-12-31", "2026-01-07"},
    /* Saturday 7 Feb, an ordinary weekend: Mon 9 (1), 10, 11, 12, Fri 13 (5) */
    {"2026-02-07", "2026-02-13"},
    /* Monday 9 Feb: Mon 9 (1) to Fri 13 (5), an ordinary week */
    {"2026-02-09", "2026-02-13"},
    /* Tue 10 (1), Wed 11, Thu 12, Fri 13 (4), Saturday 14 a 调休 workday for 春节 (5) */
    {"2026-02-10", "2026-02-14"},
    /* Thu 12 (1), Fri 13 (2), Saturday 14 调休 (3); 15-23 春节; Tue 24 (4), Wed 25 (5) */
    {"2026-02-12", "2026-02-25"},
    /* on the 调休 Saturday 14 Feb, a working day (1); 15-23 春节; 24 (2), 25, 26, Fri 27 (5) */
    {"2026-02-14", "2026-02-27"},
    /* on Sunday 15 Feb, the first day of 春节 (15-23): the first working day after it, Tue 24,
     * counts (1); 25 (2), 26 (3), Fri 27 (4), Saturday 28 a 调休 workday for 春节 (5) */
    {"2026-02-15", "2026-02-28"},
    /* on Friday 20 Feb, within 春节: the same five days, 24 to 28 */
    {"2026-02-20", "2026-02-28"},
    /* on Monday 23 Feb, the last day of 春节 (正月初七): the same five days */
    {"2026-02-23", "2026-02-28"},
    /* Wed 25 (1), Thu 26, Fri 27 (3), Saturday 28 调休 (4), Sunday 1 March rest, Mon 2 (5) */
    {"2026-02-25", "2026-03-02"},
    /* Wed 30 Sep (1); 1-7 Oct 国庆; Thu 8 (2), Fri 9 (3), Saturday 10 a 调休 workday (4),
     * Sunday 11 rest, Mon 12 (5) */
    {"2026-09-30", "2026-10-12"},
    /* Friday 25 Dec (1), Mon 28 (2), Tue 29, Wed 30, Thu 31 (5): all in 2026, no 2027 needed */
    {"2026-12-25", "2026-12-31"},
    /* Saturday 26 Dec: Mon 28 to Thu 31 are four working days; the fifth is in 2027 */
    {"2026-12-26", NULL},
    /* Monday 28 Dec: 28, 29, 30, 31, and the fifth in 2027, which the store's calendar lacks */
    {"2026-12-28", NULL},
};

static void test_calendar(void)
{
    unsigned k = 40;
    int64_t c = prepare(CLERK, &k, 1, at("2025-12-29", 9));
    ok(c != 0, "calendar: a batch to publicise, prepared on 2025-12-29");
    for (size_t i = 0; c && i < sizeof periods / sizeof periods[0]; i++) {
        const struct period *p = &periods[i];
        int32_t pub = day(p->published);
        int64_t ev = events();
        enum tc_err e = publicise(CLERK, c, at_day(pub, 10));
        if (!p->to) {
            ok(e == TC_ERR_RANGE && strstr(why, "2027") &&
                   strcmp(get(c, at_day(pub, 10)).state, "draft") == 0 && events() == ev,
               "calendar: published %s: refused, naming the year 2027 (%s)", p->published, why);
            continue;
        }
        struct tc_wf_batch b = get(c, at_day(pub, 10));
        int32_t to = day(p->to);
        ok(e == TC_OK && b.gongshi_from == pub && b.gongshi_to == to,
           "calendar: published %s: 公示 to %s (%s to %s)", p->published, p->to,
           day_text(b.gongshi_from), day_text(b.gongshi_to));
        struct tc_wf_batch last = get(c, at_day(to, 10)), next = get(c, at_day(to + 1, 10));
        ok(b.working_days_left == 5 && last.working_days_left == 1 && !last.publicity_closed &&
               next.working_days_left == 0 && next.publicity_closed,
           "calendar: published %s: 5 working days left that day, 1 on %s, over the day after "
           "(%d, %d, %d)",
           p->published, p->to, b.working_days_left, last.working_days_left,
           next.working_days_left);
        if (reject(APPROVER, c, at_day(to + 1, 10)) != TC_OK)
            printf("# reject: %s\n", why);
    }
}

/* ---- 9. the demo clock ---------------------------------------------------------------------- */

static void test_demo_clock(void)
{
    struct tc_store *demo = new_store("demo.db", TC_STORE_WORKFLOW | TC_STORE_DEMO);
    struct tc_store *plain = new_store("plain.db", 0);
    size_t len = 0;
    const char *w = NULL;
    char *profile = slurp(getenv("TC_PROFILE_GS"), &len);
    is_err(tc_store_init_mode(path_in("demo-only.db"), profile, len, keys, TC_STORE_DEMO, &w),
           TC_ERR_ARG, "demo: a demo store runs the workflow (demo alone is refused)");
    free(profile);
    ok(demo && tc_store_demo(demo) && tc_store_workflow(demo) && plain && !tc_store_demo(plain) &&
           !tc_store_workflow(plain),
       "demo: a demo store says it is one; a single-operator store is neither");
    static const struct {
        const char *value; /* NULL: unset */
        int64_t days;
    } clocks[] = {
        {"10", 10},  {"-14", -14}, {"400", 400}, {"-400", -400}, {"401", 0},
        {"-401", 0}, {"3days", 0}, {"", 0},      {NULL, 0},
    };
    uint64_t t = at("2026-03-10", 10);
    for (size_t i = 0; demo && plain && i < sizeof clocks / sizeof clocks[0]; i++) {
        if (clocks[i].value)
            setenv("TITLECERT_DEMO_CLOCK", clocks[i].value, 1);
        else
            unsetenv("TITLECERT_DEMO_CLOCK");
        ok(tc_store_clock(demo, t) == (uint64_t)((int64_t)t + clocks[i].days * 86400) &&
               tc_store_clock(W, t) == t && tc_store_clock(plain, t) == t,
           "demo: TITLECERT_DEMO_CLOCK=%s moves the demo store's clock by %lld days, and no "
           "other store's",
           clocks[i].value ? clocks[i].value : "(unset)", (long long)clocks[i].days);
    }
    /* "@FILE": the days read from a file on every call, so a running console follows them */
    char clockenv[600];
    snprintf(clockenv, sizeof clockenv, "@%s", path_in("clock"));
    setenv("TITLECERT_DEMO_CLOCK", clockenv, 1);
    write_file("clock", "-7\n");
    bool first = tc_store_clock(demo, t) == t - 7 * 86400 && tc_store_clock(plain, t) == t;
    write_file("clock", "3\n");
    ok(first && tc_store_clock(demo, t) == t + 3 * 86400 && tc_store_clock(plain, t) == t,
       "demo: TITLECERT_DEMO_CLOCK=@FILE follows the file as it changes, and moves no other store");
    remove(path_in("clock"));
    ok(tc_store_clock(demo, t) == t, "demo: without the file the demo store's clock is the time");
    /* TITLECERT_DEMO_TODAY: the day counted from, at the same time of day */
    int32_t d1 = 0;
    setenv("TITLECERT_DEMO_TODAY", "2026-03-01", 1);
    unsetenv("TITLECERT_DEMO_CLOCK");
    uint64_t moved = demo ? tc_store_clock(demo, t) : 0;
    ok(tc_day_parse(&d1, "2026-03-01") && tc_beijing_day(moved) == d1 && moved % 86400 == t % 86400 &&
           tc_store_clock(plain, t) == t && tc_store_clock(W, t) == t,
       "demo: TITLECERT_DEMO_TODAY=2026-03-01 makes that day the demo store's today, at the same "
       "time of day, and moves no other store");
    setenv("TITLECERT_DEMO_CLOCK", "-14", 1);
    ok(demo && tc_store_clock(demo, t) == moved - 14 * 86400,
       "demo: TITLECERT_DEMO_CLOCK counts its days from TITLECERT_DEMO_TODAY");
    static const char *const bad_days[] = {"2026-13-01", "1999-12-31", "2100-01-01", "20260301",
                                           "2026-03-01x", ""};
    for (size_t i = 0; demo && i < sizeof bad_days / sizeof bad_days[0]; i++) {
        setenv("TITLECERT_DEMO_TODAY", bad_days[i], 1);
        ok(tc_store_clock(demo, t) == t - 14 * 86400,
           "demo: TITLECERT_DEMO_TODAY=\"%s\" is not a day from 2000 to 2099: today counts",
           bad_days[i]);
    }
    unsetenv("TITLECERT_DEMO_TODAY");
    unsetenv("TITLECERT_DEMO_CLOCK");
    struct tc_refusals ref = {0};
    int64_t b = 0;
    uint64_t id = 0;
    unsigned k = 41;
    why[0] = '\0';
    refused(tc_wf_prepare(plain, as(CLERK), results(&k, 1), "单人库", 0, tl, tc_signer_pub(issuer),
                          t, &b, &ref, why, sizeof why),
            "does not run the workflow", "demo: a single-operator store runs no workflow");
    tc_refusals_free(&ref);
    ok(tc_revoke(W, cert_of(3), "fraud", day("2026-03-10"), false, NULL, 0, t) == TC_ERR_REFUSED &&
           tc_issue_commit(W, NULL, 0, issuer, t, "direct", NULL, NULL) == TC_ERR_REFUSED &&
           tc_convert_commit(W, cert_of(MA), day("2026-03-10"), DECISION, 100, issuer, t, &id) ==
               TC_ERR_REFUSED,
       "demo: the workflow store refuses direct revocation, issuance and conversion");
    tc_store_close(demo);
    tc_store_close(plain);
}

/* The second factor (ISSUANCE.md, login: password and TOTP) is never replaced because it could
 * not be read: a sealed secret that does not open, or one marked on without its secret, is left
 * as it is, and reads as an error rather than as "no factor yet" (which would offer a new seed to
 * whoever holds the password). */
static void test_totp_kept(void)
{
    int64_t id = as(AUDITOR)->id;
    char b32[TC_TOTP_B32_MAX], again[TC_TOTP_B32_MAX];
    bool on = true;
    is_err(tc_totp_begin(W, id, b32), TC_OK, "totp: a seed is offered at the first sign-in");
    ok(tc_totp_state(W, id, &on) == TC_OK && !on, "totp: off until a code from it is accepted");
    ok(edit_sealed("UPDATE accounts SET totp_on = 1 WHERE id = ?1", id),
       "totp: (its first code accepted: on)");
    is_err(tc_totp_begin(W, id, again), TC_ERR_EXISTS, "totp: a factor that is on is not offered again");
    static const struct {
        const char *edit, *left, *what;
    } edits[] = {
        {"UPDATE accounts SET totp_secret = zeroblob(length(totp_secret)) WHERE id = ?1",
         "totp_secret = zeroblob(length(totp_secret))", "its sealed secret altered"},
        {"UPDATE accounts SET totp_secret = NULL WHERE id = ?1", "totp_secret IS NULL",
         "its secret removed"},
    };
    /* each edit twice: as it is (the record's seal no longer matches), then sealed again (as if
     * the key were held: the factor's own checks are what is left) */
    sqlite3_exec(tc_store_db(W), "CREATE TEMP TABLE kept AS SELECT * FROM accounts", NULL, NULL,
                 NULL);
    for (size_t i = 0; i < 2 * sizeof edits / sizeof edits[0]; i++) {
        char left[200];
        size_t k = i / 2;
        const char *how = i % 2 ? "sealed again" : "its seal left";
        snprintf(left, sizeof left,
                 "SELECT count(*) FROM accounts WHERE id = ?1 AND totp_on = 1 AND %s",
                 edits[k].left);
        ok(i % 2 ? edit_sealed(edits[k].edit, id) : edit(edits[k].edit, id, NULL, 0),
           "totp: %s in the store's file (%s), the factor on", edits[k].what, how);
        is_err(tc_totp_state(W, id, &on), TC_ERR_INCONSISTENT,
               "totp: %s (%s): the state reads as an error, not as 'no factor yet' (the console "
               "answers 500)", edits[k].what, how);
        is_err(tc_totp_begin(W, id, again), TC_ERR_INCONSISTENT,
               "totp: %s (%s): no new seed replaces the factor", edits[k].what, how);
        ok(number(left, id) == 1,
           "totp: %s (%s): the factor is still on, its secret as the edit left it", edits[k].what,
           how);
        ok(edit("UPDATE accounts SET (totp_secret, totp_on, seal) = (SELECT totp_secret, totp_on, "
                "seal FROM kept WHERE kept.id = ?1) WHERE id = ?1",
                id, NULL, 0) &&
               tc_totp_state(W, id, &on) == TC_OK && on,
           "totp: the record put back as it was, the factor reads on again");
    }
    sqlite3_exec(tc_store_db(W), "DROP TABLE temp.kept", NULL, NULL, NULL);
    /* a password alone (the signer, the CLI) does not clear the failures that TOTP codes ran
     * up at the console: a guesser cannot reset the count between tries */
    const char *said = NULL;
    struct tc_account a;
    uint64_t t = at("2025-12-09", 10);
    ok(edit_sealed("UPDATE accounts SET totp_secret = NULL, totp_on = 0 WHERE id = ?1", id) &&
           tc_totp_begin(W, id, b32) == TC_OK &&
           edit_sealed("UPDATE accounts SET totp_on = 1 WHERE id = ?1", id),
       "totp: a factor set up again, on");
    for (int i = 0; i < 4; i++)
        tc_account_failed(W, as(AUDITOR), "console-totp", t);
    is_err(tc_account_auth(W, staff[AUDITOR].name, PASSWORD, strlen(PASSWORD), "signer", t, &a,
                           &said),
           TC_OK, "totp: after four wrong codes at the console, the password alone opens the signer");
    ok(number("SELECT failures FROM accounts WHERE id = ?1", id) == 4,
       "totp: and leaves the four failures counted (%lld)",
       (long long)number("SELECT failures FROM accounts WHERE id = ?1", id));
    tc_account_failed(W, as(AUDITOR), "console-totp", t);
    is_err(tc_account_auth(W, staff[AUDITOR].name, PASSWORD, strlen(PASSWORD), "signer", t, &a,
                           &said),
           TC_ERR_REFUSED, "totp: so the fifth wrong code locks the account, for the password too");
    edit_sealed("UPDATE accounts SET totp_on = 0, totp_secret = NULL, failures = 0, "
                "locked_until = 0 WHERE id = ?1",
                id); /* as it was */
}

struct listed {
    const char *name;
    bool seen, altered;
};

static void listed_one(void *ctx, const struct tc_account *a)
{
    struct listed *l = ctx;
    if (strcmp(a->name, l->name) == 0)
        l->seen = true, l->altered = a->altered;
}

/* Each account's record and each session under a seal with the store's key (schema 11): whoever
 * can write the store's file but holds no key cannot sign in as an approver by writing a password
 * hash of their own into its record, setting its second factor off, lifting its lock, copying
 * another account's record over it, giving it a role; nor act as another account through a
 * session of their own. */
static void test_sealed_records(void)
{
    static const char other[] = "a password of the attacker's own";
    int64_t id = as(APPROVER)->id, clerk = as(CLERK)->id;
    char hash[crypto_pwhash_STRBYTES];
    const char *said = NULL;
    struct tc_account a;
    uint64_t t = at("2025-12-10", 10);
    if (!ok(crypto_pwhash_str(hash, other, strlen(other), crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN) == 0,
            "seal: a password hash made outside titlecert"))
        return;
    is_err(tc_account_auth(W, staff[APPROVER].name, PASSWORD, strlen(PASSWORD), "signer", t, &a,
                           &said),
           TC_OK, "seal: the approver signs in with the password");
    char b32[TC_TOTP_B32_MAX];
    bool on = false;
    ok(tc_totp_begin(W, id, b32) == TC_OK &&
           edit_sealed("UPDATE accounts SET totp_on = 1 WHERE id = ?1", id) &&
           tc_totp_state(W, id, &on) == TC_OK && on,
       "seal: the approver has a second factor, on");
    sqlite3_exec(tc_store_db(W),
                 "CREATE TEMP TABLE kept AS SELECT * FROM accounts;"
                 "CREATE TEMP TABLE kept_roles AS SELECT * FROM account_roles",
                 NULL, NULL, NULL);
    char pw_edit[400];
    snprintf(pw_edit, sizeof pw_edit, "UPDATE accounts SET pw_hash = '%s' WHERE id = ?1", hash);
    const struct {
        const char *edit, *what;
    } edits[] = {
        {pw_edit, "a password hash written in"},
        {"UPDATE accounts SET totp_on = 0, totp_secret = NULL, totp_step = 0 WHERE id = ?1",
         "the second factor set off"},
        {"UPDATE accounts SET failures = 5, locked_until = 0 WHERE id = ?1", "a lock lifted"},
        {"UPDATE accounts SET (pw_hash, seal) = (SELECT pw_hash, seal FROM accounts WHERE id = ?3) "
         "WHERE id = ?1",
         "the clerk's password hash and seal copied over it"},
        {"UPDATE accounts SET name = name || '.x' WHERE id = ?3", "the clerk renamed"},
        {"INSERT INTO account_roles(account, role, granted_at) VALUES(?1, 'custodian', 0)",
         "a role written in"},
        {"UPDATE accounts SET seal = NULL WHERE id = ?1", "its seal removed"},
        {"UPDATE accounts SET seal = zeroblob(32) WHERE id = ?1", "its seal zeroed"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        bool clerk_side = strstr(edits[i].what, "renamed") != NULL;
        int64_t whose = clerk_side ? clerk : id;
        const char *name = clerk_side ? "clerk.x" : staff[APPROVER].name;
        ok(edit(edits[i].edit, id, NULL, clerk), "seal: %s", edits[i].what);
        said = NULL;
        is_err(tc_account_auth(W, name, clerk_side ? PASSWORD : other,
                               strlen(clerk_side ? PASSWORD : other), "signer", t, &a, &said),
               TC_ERR_INCONSISTENT, "seal: %s: signing in is refused", edits[i].what);
        ok(said && strstr(said, "does not match its seal"), "seal: %s: and says why (%s)",
           edits[i].what, said ? said : "nothing");
        is_err(tc_account_sealed(W, whose), TC_ERR_INCONSISTENT,
               "seal: %s: the record does not match its seal", edits[i].what);
        struct listed l = {name, false, false};
        ok(tc_account_list(W, listed_one, &l) == TC_OK && l.seen && l.altered,
           "seal: %s: the list of accounts shows it altered", edits[i].what);
        ok(edit("DELETE FROM account_roles WHERE account IN (?1, ?3)", id, NULL, clerk) &&
               edit("INSERT INTO account_roles SELECT * FROM kept_roles WHERE account IN (?1, ?3)",
                    id, NULL, clerk) &&
               edit("UPDATE accounts SET (name, pw_hash, totp_secret, totp_on, totp_step, failures, "
                    "locked_until, seal) = (SELECT name, pw_hash, totp_secret, totp_on, totp_step, "
                    "failures, locked_until, seal FROM kept WHERE kept.id = accounts.id) WHERE id "
                    "IN (?1, ?3)",
                    id, NULL, clerk) &&
               tc_account_auth(W, staff[APPROVER].name, PASSWORD, strlen(PASSWORD), "signer", t,
                               &a, &said) == TC_OK,
           "seal: %s: the record put back as it was, the approver signs in again", edits[i].what);
    }
    sqlite3_exec(tc_store_db(W), "DROP TABLE temp.kept; DROP TABLE temp.kept_roles", NULL, NULL,
                 NULL);
    edit_sealed("UPDATE accounts SET totp_on = 0, totp_secret = NULL WHERE id = ?1", id);

    /* sessions: one of the clerk's own pointed at the approver, one made by hand, one whose
     * times were moved */
    char sid[65], csrf[65];
    struct tc_session got;
    uint64_t idle = 1800, max = 8 * 3600;
    ok(tc_session_create(W, clerk, "127.0.0.1", t, sid, csrf) == TC_OK &&
           tc_session_get(W, sid, t + 1, idle, max, &got) == TC_OK && got.account == clerk,
       "session: the clerk's session reads as the clerk's");
    ok(tc_session_reauth(W, sid, t + 2) == TC_OK &&
           tc_session_get(W, sid, t + 3, idle, max, &got) == TC_OK && got.reauth_at == t + 2,
       "session: re-authenticated, it reads so");
    ok(edit("UPDATE sessions SET account = ?1 WHERE account = ?3", id, NULL, clerk),
       "session: the clerk's session pointed at the approver in the store's file");
    is_err(tc_session_get(W, sid, t + 4, idle, max, &got), TC_ERR_INCONSISTENT,
           "session: it is refused, not taken as the approver's");
    ok(number("SELECT count(*) FROM sessions WHERE account IN (?1, 0)", id) == 0,
       "session: and it is gone");
    uint8_t made[32], h[32];
    char made_hex[65];
    randombytes_buf(made, sizeof made);
    sodium_bin2hex(made_hex, sizeof made_hex, made, sizeof made);
    crypto_generichash(h, 32, made, 32, (const uint8_t *)"tc-session-id", 13);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(tc_store_db(W),
                       "INSERT INTO sessions(id_hash, account, csrf, created_at, seen_at, "
                       "reauth_at, client, mac) VALUES(?1, ?2, 'x', ?3, ?3, ?3, '', zeroblob(32))",
                       -1, &q, NULL);
    sqlite3_bind_blob(q, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, id);
    sqlite3_bind_int64(q, 3, (int64_t)t);
    ok(sqlite3_step(q) == SQLITE_DONE, "session: one for the approver made by hand in the file");
    sqlite3_finalize(q);
    is_err(tc_session_get(W, made_hex, t + 1, idle, max, &got), TC_ERR_INCONSISTENT,
           "session: the session made by hand is refused");
    ok(tc_session_create(W, clerk, "127.0.0.1", t, sid, csrf) == TC_OK &&
           edit("UPDATE sessions SET created_at = created_at + 86400 WHERE account = ?1", clerk,
                NULL, 0),
       "session: a new one of the clerk's, its start moved a day on (past its 8 hours)");
    is_err(tc_session_get(W, sid, t + 9 * 3600, 9 * 3600, max, &got), TC_ERR_INCONSISTENT,
           "session: the session whose time was moved is refused");
    tc_session_end_account(W, clerk);
}

/* ---- someone who can write the store's file, with a connection of their own ---------------- */

static sqlite3 *X; /* the insider's own connection to the store's file (as the sqlite3 shell) */

static bool x_exec(const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(X, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        printf("# insider's SQL failed: %s\n", err ? err : "?");
    sqlite3_free(err);
    return rc == SQLITE_OK;
}

/* a write of the insider's landing as titlecert starts to read an account's record */
static const char *race_sql;
static int race_armed;
static int race_cb(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx, (void)p;
    if (type == SQLITE_TRACE_STMT && race_armed &&
        strncmp(x, "SELECT id, name, display, pw_hash", 33) == 0) {
        race_armed = 0;
        x_exec(race_sql);
    }
    return 0;
}

/* Each of these made titlecert seal, sign in or confirm what the insider wrote (a review of the
 * sealed records found them): a trigger rewriting a session or a record inside titlecert's own
 * write, a role change written into the table "by" another admin, roles planted for the next
 * account id, a write between the check of a record and its use, the schema version set back to
 * have everything sealed again, a session kept across a reset. */
static void test_insider(void)
{
    static const char other[] = "a password of the attacker's own";
    char hash[crypto_pwhash_STRBYTES], sql[2048], sid[65], csrf[65];
    const char *w = NULL;
    struct tc_account a;
    struct tc_session got;
    uint64_t t = at("2026-03-09", 9);
    if (crypto_pwhash_str(hash, other, strlen(other), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0 ||
        !ok(sqlite3_open_v2(path_in("workflow.db"), &X, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
            "insider: opens the store's file with sqlite3 (no key)"))
        return;
    sqlite3_busy_timeout(X, 5000);
    int64_t clerk = as(CLERK)->id, approver = as(APPROVER)->id;

    /* a trigger that points the clerk's new session at the approver as titlecert writes it */
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER r1 AFTER INSERT ON sessions BEGIN UPDATE sessions SET account = %lld "
             "WHERE id_hash = NEW.id_hash; END;",
             (long long)approver);
    ok(x_exec(sql) && tc_session_create(W, clerk, "127.0.0.1", t, sid, csrf) == TC_OK,
       "insider: a trigger on sessions written in, then the clerk signs in");
    x_exec("DROP TRIGGER r1");
    ok(tc_session_get(W, sid, t + 60, 900, 8 * 3600, &got) == TC_OK && got.account == clerk,
       "insider: the trigger did not run in titlecert's write: the session is the clerk's");
    tc_session_end_account(W, clerk);

    /* a trigger that writes the insider's password hash into the approver's record, set off by
     * titlecert counting a wrong password */
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER r2 AFTER UPDATE OF failures ON accounts WHEN NEW.id = %lld BEGIN "
             "UPDATE accounts SET pw_hash = '%s', totp_secret = NULL, totp_on = 0 WHERE id = "
             "NEW.id; END;",
             (long long)approver, hash);
    ok(x_exec(sql), "insider: a trigger on the approver's failure count written in");
    is_err(tc_account_password(W, staff[APPROVER].name, "wrong wrong wrong", 17, "console", t, &a,
                               &w),
           TC_ERR_PASSPHRASE, "insider: a wrong password typed for the approver is counted");
    x_exec("DROP TRIGGER r2");
    is_err(tc_account_auth(W, staff[APPROVER].name, other, strlen(other), "console", t + 5, &a, &w),
           TC_ERR_PASSPHRASE, "insider: the insider's password does not open the approver");
    is_err(tc_account_sealed(W, approver), TC_OK, "insider: and the approver's record is intact");

    /* a role change written into the table "by admin2", confirmed by admin1, who wrote it */
    int64_t clerk2 = as(CLERK2)->id;
    unsigned before = as(CLERK2)->roles;
    snprintf(sql, sizeof sql,
             "INSERT INTO role_changes(account, roles, proposed_by, proposed_at, state) "
             "VALUES(%lld, 'clerk,custodian', %lld, %llu, 'pending')",
             (long long)clerk2, (long long)as(ADMIN2)->id, (unsigned long long)t);
    ok(x_exec(sql), "insider: a pending change 'by admin2' written into role_changes");
    int64_t cid = sqlite3_last_insert_rowid(X);
    w = NULL;
    is_err(tc_role_change_confirm(W, as(ADMIN1), cid, t + 60, &w), TC_ERR_REFUSED,
           "insider: admin1 cannot confirm it (%s)", w ? w : "");
    ok(w && strstr(w, "no genuine proposal"), "insider: it has no genuine proposal in the audit log");
    snprintf(sql, sizeof sql, "UPDATE role_changes SET proposed_by = %lld WHERE id = %lld",
             (long long)as(ADMIN1)->id, (long long)cid);
    w = NULL;
    ok(x_exec(sql) && tc_role_change_confirm(W, as(ADMIN2), cid, t + 60, &w) == TC_ERR_REFUSED &&
           as(CLERK2)->roles == before,
       "insider: nor admin2, in good faith, with it 'by admin1': clerk2's roles are unchanged");
    snprintf(sql, sizeof sql, "DELETE FROM role_changes WHERE id = %lld", (long long)cid);
    x_exec(sql);

    /* roles planted for the next account id */
    char code[TC_ENROL_CODE_LEN + 1];
    int64_t nid = 0;
    struct tc_account nb;
    ok(x_exec("INSERT INTO account_roles(account, role, granted_at) VALUES((SELECT max(id) + 1 "
              "FROM accounts), 'admin', 0)"),
       "insider: an admin role planted for the next account id");
    ok(tc_account_add(W, "newbie", "新人", TC_ROLE_CLERK, NULL, as(ADMIN1), t, code, &nid, &w) ==
               TC_OK &&
           tc_account_find(W, "newbie", &nb) == TC_OK && nb.roles == 0,
       "insider: the account admin1 adds next has no role until a second admin confirms");

    /* the insider's password hash written as titlecert starts to read the auditor's record */
    int64_t aud = as(AUDITOR)->id;
    char put[600], back[600];
    snprintf(put, sizeof put, "UPDATE accounts SET pw_hash = '%s' WHERE id = %lld", hash,
             (long long)aud);
    snprintf(back, sizeof back,
             "UPDATE accounts SET pw_hash = (SELECT pw_hash FROM kept_pw) WHERE id = %lld",
             (long long)aud);
    snprintf(sql, sizeof sql,
             "CREATE TABLE kept_pw AS SELECT pw_hash FROM accounts WHERE id = %lld", (long long)aud);
    x_exec(sql);
    race_sql = put, race_armed = 1;
    sqlite3_trace_v2(tc_store_db(W), SQLITE_TRACE_STMT, race_cb, NULL);
    enum tc_err e = tc_account_auth(W, staff[AUDITOR].name, other, strlen(other), "signer", t, &a,
                                    &w);
    sqlite3_trace_v2(tc_store_db(W), 0, NULL, NULL);
    ok(race_armed == 0 && e == TC_ERR_INCONSISTENT,
       "insider: a password hash written as the record is read is seen by its seal's check (%s)",
       tc_errname(e));
    ok(x_exec(back) && x_exec("DROP TABLE kept_pw") && tc_account_sealed(W, aud) == TC_OK,
       "insider: the auditor's record put back");

    /* a session of the auditor's kept, the account reset, the session put back */
    ok(tc_session_create(W, aud, "127.0.0.1", t, sid, csrf) == TC_OK &&
           x_exec("CREATE TABLE kept_s AS SELECT * FROM sessions"),
       "insider: the auditor signs in; the insider copies the session's row");
    ok(tc_account_reset(W, as(ADMIN1), staff[AUDITOR].name, t + 10, code, &w) == TC_OK &&
           number("SELECT count(*) FROM sessions WHERE account = ?1", aud) == 0,
       "insider: admin1 resets the auditor: the session is gone");
    ok(x_exec("INSERT INTO sessions SELECT * FROM kept_s; DROP TABLE kept_s"),
       "insider: the copied session put back");
    is_err(tc_session_get(W, sid, t + 20, 900, 8 * 3600, &got), TC_ERR_INCONSISTENT,
           "insider: a session kept across its account's reset is refused");

    sqlite3_close(X);

    /* the schema version set back, the seal columns dropped: migrate does not seal again */
    char copy[512], bak[512], msg[1600];
    int from = 0, to = 0;
    snprintf(copy, sizeof copy, "VACUUM INTO '%s'", path_in("insider.db"));
    sqlite3_exec(tc_store_db(W), copy, NULL, NULL, NULL);
    sqlite3_open_v2(path_in("insider.db"), &X, SQLITE_OPEN_READWRITE, NULL);
    snprintf(sql, sizeof sql,
             "UPDATE accounts SET pw_hash = '%s', totp_secret = NULL, totp_on = 0 WHERE id = "
             "%lld; INSERT INTO account_roles VALUES(%lld, 'approver', 0);"
             "ALTER TABLE accounts DROP COLUMN seal; ALTER TABLE sessions DROP COLUMN mac;"
             "PRAGMA user_version = 10;",
             hash, (long long)as(CUSTODIAN)->id, (long long)clerk);
    ok(x_exec(sql), "insider: on a copy, records edited, seal columns dropped, schema set to 10");
    sqlite3_close(X);
    e = tc_store_migrate(path_in("insider.db"), keys, false, bak, sizeof bak, &from, &to, msg,
                         sizeof msg);
    ok(e == TC_ERR_INCONSISTENT && strstr(msg, "sealed before"),
       "insider: migrate refuses to seal it again (%s: %s)", tc_errname(e), msg);

    sqlite3_open_v2(path_in("workflow.db"), &X, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_busy_timeout(X, 5000);
    /* the accounts table rebuilt in the file with the password hash a column computed from the
     * failure count: the approver's own until titlecert counts the next failure, then the
     * insider's */
    int64_t fails = 0;
    sqlite3_stmt *fq;
    sqlite3_prepare_v2(X, "SELECT failures FROM accounts WHERE id = ?", -1, &fq, NULL);
    sqlite3_bind_int64(fq, 1, approver);
    if (sqlite3_step(fq) == SQLITE_ROW)
        fails = sqlite3_column_int64(fq, 0);
    sqlite3_finalize(fq);
    snprintf(sql, sizeof sql,
             "PRAGMA foreign_keys = OFF; BEGIN;"
             "CREATE TABLE acc2(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, display TEXT NOT "
             "NULL, real_pw TEXT, pw_hash TEXT GENERATED ALWAYS AS (CASE WHEN id = %lld AND "
             "failures = %lld THEN '%s' ELSE real_pw END) VIRTUAL, enrol_hash BLOB, totp_secret "
             "BLOB, disabled INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, "
             "locked_until INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, totp_on "
             "INTEGER NOT NULL DEFAULT 0, totp_step INTEGER NOT NULL DEFAULT 0, enrol_half_by "
             "INTEGER, seal BLOB);"
             "INSERT INTO acc2(id, name, display, real_pw, enrol_hash, totp_secret, disabled, "
             "failures, locked_until, created_at, totp_on, totp_step, enrol_half_by, seal) SELECT "
             "id, name, display, pw_hash, enrol_hash, totp_secret, disabled, failures, "
             "locked_until, created_at, totp_on, totp_step, enrol_half_by, seal FROM accounts;"
             "DROP TABLE accounts; ALTER TABLE acc2 RENAME TO accounts; COMMIT;",
             (long long)approver, (long long)fails + 1, hash);
    ok(x_exec(sql) && tc_account_sealed(W, approver) == TC_OK,
       "insider: accounts rebuilt with the password hash computed from the failure count (the "
       "approver's record still matches its seal)");
    e = tc_account_password(W, staff[APPROVER].name, "wrong wrong wrong", 17, "console", t + 30,
                            &a, &w);
    ok(e == TC_ERR_INCONSISTENT,
       "insider: titlecert counting a wrong password finds the hash changed with it, and seals "
       "nothing (%s)", tc_errname(e));
    e = tc_account_auth(W, staff[APPROVER].name, other, strlen(other), "console", t + 40, &a, &w);
    ok(e != TC_OK, "insider: the insider's password does not open the approver (%s)",
       tc_errname(e));
    sqlite3_close(X);
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init())
        return 2;
    unsetenv("TITLECERT_DEMO_CLOCK");
    test_setup();
    if (W) {
        test_bootstrap();
        test_staff();
        test_role_sets();
        test_role_changes();
        test_lockout();
        test_totp_kept();
        test_sealed_records();
        test_enrol();
        test_disabled();
        test_matrix();
        test_life_publicity();
        test_life_objections();
        test_life_approval();
        test_life_signing();
        test_turncoat();
        test_replace();
        test_upheld();
        test_reject();
        test_sign_refusals();
        test_revocations();
        test_import_roles();
        test_conversions();
        test_calendar();
        test_demo_clock();
        test_insider();
        uint64_t count = 0, bad = 0;
        uint8_t head[32];
        enum tc_err e = tc_audit_verify(W, &count, &bad, head);
        ok(e == TC_OK && bad == 0 && count > 100,
           "every step above is an event of an intact audit chain (%llu events)",
           (unsigned long long)count);
    }
    tc_store_close(W);
    tc_store_keys_free(keys);
    tc_signer_close(root);
    tc_signer_close(issuer);
    tc_keys_secret_close(hashk);
    tc_trust_list_free(tl);
    free(trust_bytes);
    scratch_remove();
    return tap_done();
}
