/*
 * issue.c - issuance: reading committee results, checking them against the rules, and issuing
 * them in one transaction.
 *
 * Checking comes first and is complete: every request is checked against the store and against
 * the other requests of the batch, and every problem is reported with its line and rule, so a
 * committee office fixes its file once. Only a batch without refusals is issued, and it is issued
 * whole: one SQLite transaction holds every holder, certificate and audit event, so a crash leaves
 * either the whole batch or none of it.
 *
 * Certificate ids are yy * 10^7 + a sequence number within the year (Beijing time), so they stay
 * 5-byte integers in the QR code.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "register.h"

int tc_tier_parse(const char *s);

/* ---- reading committee results --------------------------------------------------------------- */

/* A level as a number, its name, or the table's health-series name (员级(士级), 士级 ...), with
 * ASCII or full-width brackets. */
static int parse_level(const char *s)
{
    static const char *const zh[][4] = {
        {NULL}, {"正高级"}, {"副高级"}, {"中级"},
        {"助理级", "助理级(师级)", "助理级（师级）", "师级"},
        {"员级", "员级(士级)", "员级（士级）", "士级"}};
    if (s[0] >= '1' && s[0] <= '5' && s[1] == '\0')
        return s[0] - '0';
    for (int i = 1; i <= 5; i++)
        for (int k = 0; k < 4 && zh[i][k]; k++)
            if (strcmp(s, zh[i][k]) == 0)
                return i;
    return 0;
}

static int parse_track(const char *s)
{
    static const char *const basic[] = {"basic", "基层", "基层职称"};
    static const char *const province[] = {"province", "全省", "全省统一", "全省统一职称"};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(s, basic[i]))
            return TC_TRACK_BASIC;
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(s, province[i]))
            return TC_TRACK_PROVINCE;
    return 0;
}

static int parse_method(const char *s)
{
    static const char *const en[] = {NULL, "review", "assessment", "exam", "exceptional", "direct"};
    static const char *const zh[] = {NULL, "评审", "考核认定", "以考代评", "破格", "直接认定"};
    for (int i = 1; i <= 5; i++)
        if (!strcmp(s, en[i]) || !strcmp(s, zh[i]))
            return i;
    if (!strcmp(s, "考评结合"))
        return TC_METHOD_EXAM;
    return 0;
}

/* T1: a series code (WS-YL) or the table's name for it, 卫生(医疗) or 卫生（医疗）. */
static uint16_t parse_series(const char *s)
{
    uint16_t id = tc_series_id(s);
    if (id || strlen(s) > 64)
        return id;
    char ascii[72]; /* full-width brackets as the table writes them, ASCII */
    size_t n = 0;
    for (const char *p = s; *p;)
        if (!strncmp(p, "（", 3))
            ascii[n++] = '(', p += 3;
        else if (!strncmp(p, "）", 3))
            ascii[n++] = ')', p += 3;
        else
            ascii[n++] = *p++;
    ascii[n] = '\0';
    size_t count;
    const struct tc_title *t = tc_title_table(&count);
    for (size_t i = 0; i < count; i++)
        if (strcmp(t[i].series_name, ascii) == 0)
            return t[i].series;
    return 0;
}

struct req_rows {
    struct tc_store *s;
    struct tc_issue_request *v;
    size_t n, cap;
    struct tc_refusals *ref;
};

enum {
    C_NAME, C_IDNO, C_SERIES, C_SPECIALTY, C_LEVEL, C_TRACK, C_METHOD, C_YEAR, C_OBTAINED,
    C_TENURE, C_EMPLOYER, C_SREGION, C_STIER, C_SUNIT, C_COMMITTEE, C_APPROVAL, C_VARIANT,
    C_ACHIEVE, C_N
};

/* One row being read: its refusals go to ref under its line; ok until one is added. */
struct row {
    struct tc_refusals *ref;
    size_t line;
    bool ok;
    char shown[TC_CSV_SHOWN];
    char why[400];
};

static void bad(struct row *w, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(struct row *w, const char *field, const char *fmt, ...)
{
    char msg[sizeof ((struct tc_refusal *)0)->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tc_refusals_add(w->ref, w->line, "", field, "%s", msg);
    w->ok = false;
}

/* the cell as a refusal shows it (one at a time: the buffer is the row's) */
static const char *shown(struct row *w, const char *cell)
{
    return tc_csv_shown(w->shown, cell);
}

/* refuses a cell, shown in both languages: "“cell”zh / 'cell' en" */
static void bad_cell(struct row *w, const char *field, const char *cell, const char *zh,
                     const char *en)
{
    const char *s = shown(w, cell);
    bad(w, field, "“%s”%s / '%s' %s", s, zh, s, en);
}

/* copies text of 1..max bytes into out, or refuses it as field */
static void text_cell(struct row *w, const char *field, const char *zh, const char *cell,
                      size_t max, char *out)
{
    if (!*cell || strlen(cell) > max)
        bad(w, field, "%s为空或超过 %zu 字节 / empty or longer than %zu bytes", zh, max, max);
    else
        memcpy(out, cell, strlen(cell) + 1);
}

/* a whole number in [lo, hi] (0 <= lo), digits only, or refused with the sentence given */
static long int_cell(struct row *w, const char *field, const char *cell, long lo, long hi,
                     const char *zh, const char *en)
{
    uint64_t v;
    if (!tc_parse_u64(cell, &v) || v < (uint64_t)lo || v > (uint64_t)hi) {
        const char *s = shown(w, cell);
        bad(w, field, "“%s”不是%s / '%s' is not %s", s, zh, s, en);
        return lo;
    }
    return (long)v;
}

/* S3: the scope columns, when any is given (otherwise the profile's default applies) */
static void parse_scope_columns(struct row *w, const char *const *f, struct tc_issue_request *q)
{
    struct tc_claims *c = &q->claims;
    if (!*f[C_SREGION] && !*f[C_STIER] && !*f[C_SUNIT])
        return;
    q->scope_given = true;
    if (!(c->scope.region = tc_region_parse(f[C_SREGION])))
        bad_cell(w, "scope_region", f[C_SREGION], "不是 2、4 或 6 位的地区代码前缀",
                 "is not a 2, 4 or 6 digit region prefix");
    if (strcmp(f[C_STIER], "basic") == 0 || strcmp(f[C_STIER], "基层") == 0)
        c->scope.tier = TC_TIER_BASIC; /* S3: the profile's whole basic level */
    else if (!(c->scope.tier = (uint8_t)tc_tier_parse(f[C_STIER])))
        bad_cell(w, "scope_tier", f[C_STIER], "不是适用层级（基层、省级、市级、县级、乡镇）",
                 "is not basic, province, prefecture, county or township");
    if (!*f[C_SUNIT])
        return;
    if (!tc_uscc_well_formed(f[C_SUNIT]))
        bad_cell(w, "scope_unit", f[C_SUNIT], "不是 18 位统一社会信用代码",
                 "is not an 18-character USCC");
    else
        c->scope.has_unit = true, memcpy(c->scope.unit, f[C_SUNIT], TC_USCC_LEN + 1);
}

/* who holds it and which title (T1) */
static void read_title(struct row *w, const char *const *f, struct tc_issue_request *q)
{
    struct tc_claims *c = &q->claims;
    text_cell(w, "name", "姓名", f[C_NAME], TC_NAME_MAX, c->name);
    if (!tc_csv_idno(f[C_IDNO], w->why, sizeof w->why))
        bad(w, "id_number", "%s", w->why);
    else
        memcpy(q->idno, f[C_IDNO], TC_IDNO_LEN + 1), tc_idno_mask(c->id_mask, f[C_IDNO]);
    if (!(c->series = parse_series(f[C_SERIES])))
        bad_cell(w, "series", f[C_SERIES], "不是职称表中的系列代码或名称（T1）",
                 "is not a series code or name of the title table (T1)");
    text_cell(w, "specialty", "专业", f[C_SPECIALTY], TC_SPECIALTY_MAX, c->specialty);
    if (!(c->level = (uint8_t)parse_level(f[C_LEVEL])))
        bad_cell(w, "level", f[C_LEVEL], "不是级别（正高级、副高级、中级、助理级、员级 或 1..5）",
                 "is not a level 1..5 or 正高级..员级");
    if (*f[C_VARIANT])
        c->title_variant = (uint8_t)int_cell(w, "title_variant", f[C_VARIANT], 0, 9, "0..9",
                                             "0..9");
    if (*f[C_ACHIEVE]) { /* C5, GS §3(二): a basic-level title counted as one achievement */
        uint64_t v = 0;
        if (!tc_parse_u64(f[C_ACHIEVE], &v) || v == 0)
            bad_cell(w, "basic_title_achievement", f[C_ACHIEVE], "不是证书编号",
                     "is not a certificate number");
        q->achievement = v;
    }
}

/* how and when it was obtained, where, and by whose decision */
static void read_award(struct row *w, const char *const *f, struct tc_issue_request *q)
{
    struct tc_claims *c = &q->claims;
    if (!(c->track = (uint8_t)parse_track(f[C_TRACK])))
        bad_cell(w, "track", f[C_TRACK], "不是类别（基层职称 或 全省统一职称）",
                 "is not basic or province");
    if (!(c->method = (uint8_t)parse_method(f[C_METHOD])))
        bad_cell(w, "method", f[C_METHOD],
                 "不是取得方式（评审、考核认定、以考代评、考评结合、破格、直接认定）",
                 "is not review, assessment, exam, exceptional or direct");
    c->eval_year = (uint16_t)int_cell(w, "eval_year", f[C_YEAR], 1950, 2200, "年份", "a year");
    if (!tc_csv_day(&c->obtained_day, f[C_OBTAINED], w->why, sizeof w->why))
        bad(w, "obtained", "%s", w->why);
    if (!tc_csv_month(&c->tenure_month, f[C_TENURE], w->why, sizeof w->why))
        bad(w, "tenure_start", "%s", w->why);
    if (!tc_uscc_well_formed(f[C_EMPLOYER]))
        bad_cell(w, "employer", f[C_EMPLOYER], "不是 18 位统一社会信用代码",
                 "is not an 18-character USCC");
    else
        memcpy(c->employer, f[C_EMPLOYER], TC_USCC_LEN + 1);
    parse_scope_columns(w, f, q);
    c->committee = (uint16_t)int_cell(w, "committee", f[C_COMMITTEE], 1, 65535,
                                      "评审委员会备案号 1..65535", "a committee number 1..65535");
    text_cell(w, "approval", "批准文号", f[C_APPROVAL], TC_APPROVAL_MAX, q->approval);
}

/* One results row: a request when every field reads, else its refusals only (the rules are not
 * checked on a row that did not read: no refusal follows from another). */
static void req_row(void *ctx, size_t line, const char *const *f)
{
    struct req_rows *r = ctx;
    if (r->n == TC_BATCH_MAX) {
        if (r->ref->total == 0 || r->v)
            tc_refusals_add(r->ref, line, "", "", "一批超过 %d 行 / more than %d rows in one batch",
                            TC_BATCH_MAX, TC_BATCH_MAX);
        return;
    }
    struct tc_issue_request q;
    memset(&q, 0, sizeof q);
    q.line = line;
    struct row w = {r->ref, line, true, "", ""};
    read_title(&w, f, &q);
    read_award(&w, f, &q);
    if (w.ok && tc_reserve((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v) != TC_OK)
        bad(&w, "", "内存不足 / out of memory");
    if (w.ok)
        r->v[r->n++] = q;
    sodium_memzero(&q, sizeof q);
}

enum tc_err tc_issue_read_csv(struct tc_store *s, const char *path, struct tc_issue_request **reqs,
                              size_t *n, struct tc_refusals *ref)
{
    static const char *const cols[C_N] = {
        "name|姓名",
        "id_number|身份证号码|身份证号|公民身份号码",
        "series|系列|职称系列",
        "specialty|专业",
        "level|级别|职称级别",
        "track|类别|职称类别",
        "method|取得方式",
        "eval_year|评审年度",
        "obtained|取得日期|取得时间",
        "tenure_start|任职起始|聘任时间|任职起始时间",
        "employer|工作单位|用人单位",
        "scope_region|适用地区?",
        "scope_tier|适用层级?",
        "scope_unit|适用单位?",
        "committee|评审委员会|评委会备案号",
        "approval|批准文号|文号",
        "title_variant|职称序号?",
        "basic_title_achievement|基层职称业绩证书?"};
    struct req_rows r = {.s = s, .ref = ref};
    enum tc_err e = tc_csv_read(path, cols, C_N, req_row, &r, ref);
    *reqs = r.v;
    *n = r.n;
    return e;
}

/* ---- checking ------------------------------------------------------------------------------ */

struct held {
    uint64_t id;
    uint8_t track, level;
    uint16_t series;
    uint16_t eval_year;
    int32_t obtained;
    size_t line; /* 0 for certificates in the store */
};

/* D1, D2 and duplicates between a request and one certificate the holder holds. */
static void check_pair(const struct tc_profile *p, const struct tc_issue_request *q,
                       const struct held *h, struct tc_refusals *ref)
{
    const struct tc_claims *c = &q->claims;
    char where[64], zh[64];
    if (h->line) {
        snprintf(where, sizeof where, "line %zu of this batch", h->line);
        snprintf(zh, sizeof zh, "本批第 %zu 行", h->line);
    } else {
        snprintf(where, sizeof where, "certificate %llu", (unsigned long long)h->id);
        snprintf(zh, sizeof zh, "证书 %llu", (unsigned long long)h->id);
    }
    if (h->track != c->track && h->eval_year == c->eval_year) /* D1 */
        tc_refusals_add(ref, q->line, "D1", "track",
                        "同年度不得同时申报两类职称：%s是 %u 年度的另一类职称 / not both tracks in "
                        "one year: %s is of the other track in evaluation year %u",
                        zh, c->eval_year, where, c->eval_year);
    if (h->track != c->track && h->level == c->level) { /* D2 */
        int32_t first = h->obtained < c->obtained_day ? h->obtained : c->obtained_day;
        int32_t second = h->obtained < c->obtained_day ? c->obtained_day : h->obtained;
        if (second < tc_day_add_years(first, p->exclusivity_years)) {
            char d[11];
            tc_day_format(d, tc_day_add_years(first, p->exclusivity_years));
            tc_refusals_add(ref, q->line, "D2", "track",
                            "取得一类职称%d年内不得申报另一类同级别职称：%s级别相同、类别不同；"
                            "%s 起方可（或经 C1 换发） / not the other track at the same level "
                            "within %d years: %s, same level, other track; possible from %s (or "
                            "by conversion, C1)",
                            p->exclusivity_years, zh, d, p->exclusivity_years, where, d);
        }
    }
    if (h->track == c->track && h->level == c->level && h->series == c->series)
        tc_refusals_add(ref, q->line, "", "level", "持证人已有此职称（%s） / the holder already "
                        "holds this title (%s)", zh, where);
}

static int cmp_hash_idx(const void *a, const void *b, void *hashes)
{
    const uint8_t(*h)[32] = hashes;
    return memcmp(h[*(const size_t *)a], h[*(const size_t *)b], 32);
}

static enum tc_err check_scope(struct tc_store *s, struct tc_issue_request *q,
                               struct tc_refusals *ref)
{
    const struct tc_profile *p = tc_store_profile(s);
    struct tc_claims *c = &q->claims;
    struct tc_unit u;
    char d[11];
    tc_day_format(d, c->obtained_day);
    enum tc_err e = tc_units_find(s, c->employer, c->obtained_day, &u);
    if (e == TC_ERR_NOT_FOUND) {
        tc_refusals_add(ref, q->line, "S2", "employer",
                        "%s 在 %s 不在单位目录中：基层职称须由基层单位聘用 / %s is not in the unit "
                        "directory on %s: a basic-level title needs a basic-level employer",
                        c->employer, d, c->employer, d);
        return TC_OK;
    }
    if (e != TC_OK)
        return e;
    if (!tc_profile_unit_basic(p, u.division, u.tier, u.basic_flag)) { /* S1, S2 */
        tc_refusals_add(ref, q->line, "S2", "employer",
                        "%s（%s）在 %s 不是%s规定的基层单位 / %s is not a basic-level unit under "
                        "the %s profile on %s",
                        c->employer, u.name, d, p->name, c->employer, p->code, d);
        return TC_OK;
    }
    if (!q->scope_given) { /* S3: the profile's default */
        c->scope.tier = p->default_tier;
        c->scope.region = p->default_region_county ? u.division : p->province;
    } else if (c->scope.region < 100
                   ? c->scope.region != p->province
                   : !tc_region_contains(p->province, tc_region_code6(c->scope.region))) {
        tc_refusals_add(ref, q->line, "S3", "scope_region", "适用地区 %u 不在本省 / scope region "
                        "%u is outside the province", c->scope.region, c->scope.region);
        return TC_OK;
    }
    /* C6 (SD §5(二)): a title obtained at a township unit binds its holder to serve there */
    q->commitment_end = p->commitment_years && u.tier == TC_TIER_TOWNSHIP
                            ? tc_day_add_years(c->obtained_day, p->commitment_years) - 1
                            : 0;
    /* S3: the scope, given or the default, must admit the holder's own employer on the day
     * obtained: a title that is not valid where it was earned is a wrong certificate */
    unsigned fails = tc_scope_check(p, &c->scope, u.division, u.tier, u.basic_flag, c->employer);
    if (fails & TC_SCOPE_OUTSIDE)
        tc_refusals_add(ref, q->line, "S3", "scope_region",
                        "适用范围不含用人单位：%s（%06u）在适用地区 %u 之外 / the scope does not "
                        "admit the employer: %s (%06u) lies outside the scope region %u",
                        u.name, u.division, c->scope.region, c->employer, u.division,
                        c->scope.region);
    if (fails & TC_SCOPE_TIER)
        tc_refusals_add(ref, q->line, "S3", "scope_tier",
                        "适用范围不含用人单位：%s 是%s单位，适用范围只到%s及以下 / the scope does "
                        "not admit the employer: %s is a %s unit but the scope admits %s units "
                        "and below only",
                        u.name, tc_tier_name_zh(u.tier), tc_tier_name_zh(c->scope.tier),
                        c->employer, tc_tier_name_zh(u.tier), tc_tier_name_zh(c->scope.tier));
    if (fails & TC_SCOPE_NOT_EMPLOYER)
        tc_refusals_add(ref, q->line, "S3", "scope_unit",
                        "限一个单位使用的，须是用人单位本身（JL §2.6） / a single-unit scope "
                        "must name the employer (JL §2.6)");
    return TC_OK;
}

/* T1 and C4, on the claims alone: a title the table has, obtained in the past, tenure from the
 * month obtained and not more than a year ahead. */
static void check_title_and_dates(const struct tc_issue_request *q, int32_t today,
                                  struct tc_refusals *ref)
{
    const struct tc_claims *c = &q->claims;
    if (!tc_title_lookup(c->series, c->level, c->title_variant)) /* T1 */
        tc_refusals_add(ref, q->line, "T1", "level",
                        "职称表中此系列没有%s（%u 级）的职称 / the title table has no title for "
                        "this series at level %u (%s)",
                        tc_level_name_zh(c->level), c->level, c->level,
                        tc_level_name_zh(c->level));
    if (c->obtained_day > today)
        tc_refusals_add(ref, q->line, "", "obtained", "取得日期在今天之后 / the date obtained "
                        "is in the future");
    int y, m, d;
    tc_day_split(c->obtained_day, &y, &m, &d);
    if (c->tenure_month < tc_month_index(y, m)) /* C4 */
        tc_refusals_add(ref, q->line, "C4", "tenure_start",
                        "任职年限从聘用或取得职称的当月起算，不能早于取得日期 / tenure counts "
                        "from the month of employment or of obtaining the title, not before it "
                        "was obtained");
    tc_day_split(today, &y, &m, &d);
    if (c->tenure_month > tc_month_index(y + 1, m))
        tc_refusals_add(ref, q->line, "C4", "tenure_start", "任职起始比今天晚一年以上 / tenure "
                        "start more than a year ahead");
}

/* D1, D2 within the batch: the same person twice (sorted by holder hash, each group compared,
 * reported on the later line). */
static void check_within_batch(const struct tc_profile *p, const struct tc_issue_request *reqs,
                               size_t n, uint8_t (*hashes)[32], size_t *order,
                               struct tc_refusals *ref)
{
    qsort_r(order, n, sizeof *order, cmp_hash_idx, hashes);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && memcmp(hashes[order[a]], hashes[order[b]], 32) == 0)
            b++;
        for (size_t i = a; i < b; i++)
            for (size_t j = a; j < i; j++) {
                const struct tc_issue_request *x = &reqs[order[i]], *y = &reqs[order[j]];
                const struct tc_issue_request *later = x->line > y->line ? x : y;
                const struct tc_issue_request *earlier = later == x ? y : x;
                struct held h = {0, earlier->claims.track, earlier->claims.level,
                                 earlier->claims.series, earlier->claims.eval_year,
                                 earlier->claims.obtained_day, earlier->line ? earlier->line : 1};
                check_pair(p, later, &h, ref);
            }
        a = b;
    }
}

/* C5 (GS §3(二)): a province-wide application may count the holder's own basic-level title as
 * one quantified achievement, where the profile says so; the title must be in the store, the
 * holder's, basic-level and not revoked. */
static enum tc_err check_achievement(struct tc_store *s, const struct tc_issue_request *q,
                                     const uint8_t hash[32], struct tc_refusals *ref)
{
    const struct tc_profile *p = tc_store_profile(s);
    if (!p->basic_title_achievement) {
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement",
                        "%s不把基层职称计为业绩成果 / the %s profile does not count a basic-level "
                        "title as an achievement", p->name, p->code);
        return TC_OK;
    }
    if (q->claims.track != TC_TRACK_PROVINCE) {
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement",
                        "只有全省统一职称的申报才把基层职称计为业绩成果 / only a province-wide "
                        "application counts a basic-level title as an achievement");
        return TC_OK;
    }
    sqlite3_stmt *st;
    enum tc_err e = tc_store_query(s, &st,
                                   "SELECT c.track, c.status, h.id_hash FROM certificates c "
                                   "JOIN holders h ON h.id = c.holder WHERE c.id = ?",
                                   "i", (int64_t)q->achievement);
    if (e != TC_OK)
        return e;
    if (sqlite3_step(st) != SQLITE_ROW)
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement", "库中没有证书 %llu / no "
                        "certificate %llu in the store", (unsigned long long)q->achievement,
                        (unsigned long long)q->achievement);
    else if (sqlite3_column_int(st, 0) != TC_TRACK_BASIC)
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement",
                        "证书 %llu 不是基层职称 / certificate %llu is not a basic-level title",
                        (unsigned long long)q->achievement, (unsigned long long)q->achievement);
    else if (strcmp((const char *)sqlite3_column_text(st, 1), "revoked") == 0)
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement", "证书 %llu 已撤销 / "
                        "certificate %llu is revoked", (unsigned long long)q->achievement,
                        (unsigned long long)q->achievement);
    else if (sqlite3_column_bytes(st, 2) != 32 || sodium_memcmp(sqlite3_column_blob(st, 2), hash, 32) != 0)
        tc_refusals_add(ref, q->line, "C5", "basic_title_achievement",
                        "证书 %llu 属于他人 / certificate %llu belongs to another person",
                        (unsigned long long)q->achievement, (unsigned long long)q->achievement);
    sqlite3_finalize(st);
    return TC_OK;
}

/* D1, D2 against the certificates the holder already has, and the integrity blacklist (A2) */
static void check_history(const struct tc_profile *p, const struct tc_issue_request *q,
                          const uint8_t hash[32], int32_t today, sqlite3_stmt *held_q,
                          sqlite3_stmt *bl_q, sqlite3_stmt *holder_q, struct tc_refusals *ref)
{
    sqlite3_bind_blob(holder_q, 1, hash, 32, SQLITE_STATIC);
    int64_t holder = sqlite3_step(holder_q) == SQLITE_ROW ? sqlite3_column_int64(holder_q, 0) : 0;
    sqlite3_reset(holder_q);
    if (!holder)
        return;
    sqlite3_bind_int64(held_q, 1, holder);
    while (sqlite3_step(held_q) == SQLITE_ROW) {
        struct held h = {(uint64_t)sqlite3_column_int64(held_q, 0),
                         (uint8_t)sqlite3_column_int(held_q, 1),
                         (uint8_t)sqlite3_column_int(held_q, 2),
                         (uint16_t)sqlite3_column_int(held_q, 3),
                         (uint16_t)sqlite3_column_int(held_q, 4),
                         sqlite3_column_int(held_q, 5), 0};
        check_pair(p, q, &h, ref);
    }
    sqlite3_reset(held_q);
    sqlite3_bind_int64(bl_q, 1, holder);
    sqlite3_bind_int(bl_q, 2, today);
    sqlite3_bind_int(bl_q, 3, today);
    if (sqlite3_step(bl_q) == SQLITE_ROW)
        tc_refusals_add(ref, q->line, "A2", "id_number",
                        "持证人在诚信黑名单上（%s） / the holder is on the integrity blacklist",
                        (const char *)sqlite3_column_text(bl_q, 0));
    sqlite3_reset(bl_q);
}

enum tc_err tc_issue_check(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                           const struct tc_trust_list *tl, const struct tc_pubkey *issuer,
                           uint64_t now, struct tc_refusals *ref)
{
    const struct tc_profile *p = tc_store_profile(s);
    const struct tc_endorsement *en = tl ? tc_trust_find(tl, issuer->kid) : NULL;
    const struct tc_revocation *rv = tl ? tc_trust_find_revocation(tl, issuer->kid) : NULL;
    int32_t today = tc_beijing_day(now);
    size_t before = ref->total;
    enum tc_err e = TC_OK;
    if (tl && !en) {
        tc_refusals_add(ref, 0, "A1", "key", "签发密钥未在信任列表中备案 / the signing key is not "
                        "endorsed in the trust list");
        return TC_ERR_REFUSED;
    }
    if (en && (today < en->not_before || today > en->not_after)) {
        tc_refusals_add(ref, 0, "A1", "key", "签发密钥的备案期限不含今天 / the signing key's "
                        "endorsed term does not cover today");
        return TC_ERR_REFUSED;
    }
    if (rv && today >= rv->day) {
        tc_refusals_add(ref, 0, "A2", "key", "签发密钥已被撤销 / the signing key is revoked");
        return TC_ERR_REFUSED;
    }
    if (en && en->not_after >= tc_day_add_years(en->not_before, p->max_key_term_years)) { /* A1 */
        tc_refusals_add(ref, 0, "A1", "key",
                        "签发密钥的备案期限超过%s允许的 %d 年 / the signing key's endorsed term "
                        "is longer than the %d years the %s profile allows",
                        p->name, p->max_key_term_years, p->max_key_term_years, p->code);
        return TC_ERR_REFUSED;
    }
    uint8_t(*hashes)[32] = malloc((n ? n : 1) * 32);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    sqlite3_stmt *held_q = NULL, *bl_q = NULL, *holder_q = NULL;
    if (!hashes || !order) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    if ((e = tc_store_prepare(s, "SELECT id, track, level, series, eval_year, obtained FROM "
                                 "certificates WHERE holder = ? AND status <> 'revoked'",
                              &held_q)) != TC_OK ||
        (e = tc_store_prepare(s, "SELECT reason FROM blacklist WHERE holder = ? AND from_day <= ? "
                                 "AND to_day >= ?",
                              &bl_q)) != TC_OK ||
        (e = tc_store_prepare(s, "SELECT id FROM holders WHERE id_hash = ?", &holder_q)) != TC_OK)
        goto out;

    for (size_t i = 0; i < n; i++) {
        struct tc_issue_request *q = &reqs[i];
        struct tc_claims *c = &q->claims;
        order[i] = i;
        if ((e = tc_issue_holder(s, q, hashes[i])) != TC_OK) {
            tc_refusals_add(ref, q->line, "", "id_number", "不是有效的身份证号码 / not a valid "
                            "resident ID number");
            memset(hashes[i], 0, 32);
            e = TC_OK;
            continue;
        }
        check_title_and_dates(q, today, ref);
        if (q->achievement && (e = check_achievement(s, q, hashes[i], ref)) != TC_OK)
            goto out;
        if (c->track == TC_TRACK_BASIC) {
            if ((e = check_scope(s, q, ref)) != TC_OK)
                goto out;
            c->conv.kind = TC_CONV_PATH; /* C1, C2 from the profile */
            c->conv.months_required = p->conv_months;
            c->conv.earliest_month = c->tenure_month + p->conv_months;
            c->conv.ce_hours = p->ce_hours;
            c->conv.flags = p->conv_flags;
        } else if (q->scope_given) {
            tc_refusals_add(ref, q->line, "S4", "scope_region",
                            "全省统一职称在任何单位有效，不填适用范围 / a province-wide title is "
                            "valid at any unit and takes no scope");
        }
        if (en && !tc_authz_covers(&en->authz, c)) /* A1 */
            tc_refusals_add(ref, q->line, "A1", "track",
                            "签发密钥无权签发此类别、系列、级别或地区的职称 / the signing key is "
                            "not authorised for this track, series, level or region");
        /* the store: D1, D2, duplicates, blacklist (A2) */
        check_history(p, q, hashes[i], today, held_q, bl_q, holder_q, ref);
    }
    check_within_batch(p, reqs, n, hashes, order, ref);
out:
    sqlite3_finalize(held_q);
    sqlite3_finalize(bl_q);
    sqlite3_finalize(holder_q);
    if (hashes)
        sodium_memzero(hashes, (n ? n : 1) * 32);
    free(hashes);
    free(order);
    if (e == TC_OK && ref->total > before)
        e = TC_ERR_REFUSED;
    return e;
}

/* ---- issuing ------------------------------------------------------------------------------- */

struct stmts {
    sqlite3_stmt *holder_find, *holder_add, *cert_add, *event, *max_id;
};

static void stmts_free(struct stmts *st)
{
    sqlite3_finalize(st->holder_find);
    sqlite3_finalize(st->holder_add);
    sqlite3_finalize(st->cert_add);
    sqlite3_finalize(st->event);
    sqlite3_finalize(st->max_id);
}

static enum tc_err next_id_base(struct stmts *st, uint64_t now, uint64_t *next)
{
    int y, m, d;
    tc_day_split(tc_beijing_day(now), &y, &m, &d);
    uint64_t base = (uint64_t)(y % 100) * 10000000ull;
    if (!base)
        base = 100ull * 10000000ull; /* year 2100 */
    sqlite3_bind_int64(st->max_id, 1, (int64_t)base);
    sqlite3_bind_int64(st->max_id, 2, (int64_t)(base + 9999999));
    uint64_t last = base;
    if (sqlite3_step(st->max_id) == SQLITE_ROW && sqlite3_column_type(st->max_id, 0) != SQLITE_NULL)
        last = (uint64_t)sqlite3_column_int64(st->max_id, 0);
    sqlite3_reset(st->max_id);
    *next = last + 1;
    return TC_OK;
}

/* Stores one signed certificate and its event; holder_id is looked up or created. */
static enum tc_err store_one(struct tc_store *s, struct stmts *st, const struct tc_claims *c,
                             const uint8_t *hash, const uint8_t *msg, size_t len,
                             const uint8_t kid[TC_KID_BYTES], const char *approval, int64_t batch,
                             const char *status, uint64_t predecessor, uint64_t now,
                             const char *kind)
{
    enum tc_err e = tc_store_bind(s, st->holder_find, "h", hash);
    if (e != TC_OK)
        return e;
    int64_t holder =
        sqlite3_step(st->holder_find) == SQLITE_ROW ? sqlite3_column_int64(st->holder_find, 0) : 0;
    sqlite3_reset(st->holder_find);
    if (!holder) {
        if ((e = tc_store_bind(s, st->holder_add, "htt", hash, c->id_mask, c->name)) != TC_OK ||
            (e = tc_store_step_done(s, st->holder_add)) != TC_OK)
            return e;
        holder = sqlite3_last_insert_rowid(tc_store_db(s));
    }
    sqlite3_stmt *q = st->cert_add;
    if ((e = tc_store_bind(s, q, "iiiiiiititibbii", (int64_t)c->id, holder, (int64_t)c->track,
                           (int64_t)c->level, (int64_t)c->series, (int64_t)c->eval_year,
                           (int64_t)c->obtained_day, status, (int64_t)predecessor, approval, batch,
                           msg, len, kid, (size_t)TC_KID_BYTES, (int64_t)c->issued_at,
                           (int64_t)tc_store_register_size(s))) != TC_OK)
        return e;
    /* no predecessor, no batch: NULL, not 0 */
    if (!predecessor)
        sqlite3_bind_null(q, 9);
    if (!batch)
        sqlite3_bind_null(q, 11);
    /* A3: the issue leaf of the register, in this transaction: hash of the signed bytes, key id,
     * the day it was recorded (the store's clock, not the issued_at the signer wrote) */
    struct tc_reg_leaf leaf;
    memset(&leaf, 0, sizeof leaf);
    leaf.kind = TC_REG_ISSUE;
    leaf.id = c->id;
    crypto_hash_sha256(leaf.hash, msg, len);
    memcpy(leaf.kid, kid, 8);
    leaf.day = tc_beijing_day(now);
    leaf.other = (uint64_t)(batch > 0 ? batch : 0);
    if ((e = tc_store_step_done(s, q)) != TC_OK || (e = tc_store_register(s, &leaf, NULL)) != TC_OK)
        return e;
    /* A3: the event names the certificate and fingerprints what was signed, nothing personal */
    uint8_t fp[32];
    char hex[65], detail[200];
    crypto_generichash(fp, sizeof fp, msg, len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, fp, sizeof fp);
    snprintf(detail, sizeof detail, "{\"batch\":%lld,\"payload_blake2b\":\"%s\"}", (long long)batch,
             hex);
    return tc_store_event(s, &st->event, (int64_t)now, kind, c->id, detail);
}

static enum tc_err prepare_stmts(struct tc_store *s, struct stmts *st)
{
    memset(st, 0, sizeof *st);
    enum tc_err e;
    if ((e = tc_store_prepare(s, "SELECT id FROM holders WHERE id_hash = ?", &st->holder_find)) ||
        (e = tc_store_prepare(s, "INSERT INTO holders(id_hash, id_mask, name) VALUES(?,?,?)",
                              &st->holder_add)) ||
        (e = tc_store_prepare(s, "INSERT INTO certificates(id, holder, track, level, series, "
                                 "eval_year, obtained, status, predecessor, approval, batch, "
                                 "payload, kid, issued_at, reg_leaf) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                              &st->cert_add)) ||
        (e = tc_store_prepare(s, "SELECT max(id) FROM certificates WHERE id BETWEEN ? AND ?",
                              &st->max_id)))
        return e;
    return TC_OK;
}

/* C5: records the basic-level title a certificate's application counted as an achievement */
static enum tc_err store_achievement(struct tc_store *s, uint64_t id, uint64_t basic)
{
    return tc_store_run(s, "UPDATE certificates SET achievement_cert = ? WHERE id = ?", "ii",
                        (int64_t)basic, (int64_t)id);
}

/* C6: records the service commitment of a certificate, in the issuing transaction */
static enum tc_err store_commitment(struct tc_store *s, uint64_t id, const char *unit, int32_t end)
{
    return tc_store_run(s,
                        "UPDATE certificates SET commit_unit = ?, commitment_end = ? "
                        "WHERE id = ?",
                        "tii", unit, (int64_t)end, (int64_t)id);
}

enum tc_err tc_issue_holder(struct tc_store *s, const struct tc_issue_request *q, uint8_t out[32])
{
    if (q->hashed) {
        memcpy(out, q->holder, 32);
        return TC_OK;
    }
    return tc_store_holder_hash(s, q->idno, out);
}

/* A store set up for the workflow issues, revokes and converts only through it (ISSUANCE.md):
 * nobody signs alone there, whatever key they hold. */
static bool workflow_only(struct tc_store *s)
{
    if (!tc_store_workflow(s))
        return false;
    tc_store_set_msg(s, "这个证书库按审批流程签发：须经公示、审核，由签名服务签署 / this store issues "
                        "through the workflow: 公示, approval, then the signer");
    return true;
}

enum tc_err tc_issue_commit(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                            struct tc_signer *issuer, uint64_t now, const char *source,
                            tc_progress_fn progress, void *ctx)
{
    if (workflow_only(s))
        return TC_ERR_REFUSED;
    return tc_issue_commit_with(s, reqs, n, issuer, now, source, progress, ctx, NULL);
}

enum tc_err tc_issue_commit_with(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                                 struct tc_signer *issuer, uint64_t now, const char *source,
                                 tc_progress_fn progress, void *ctx,
                                 const struct tc_commit_hook *hook)
{
    struct stmts st;
    enum tc_err e = prepare_stmts(s, &st);
    if (e != TC_OK)
        goto out;
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
    if (hook && hook->reg_start)
        *hook->reg_start = tc_store_register_size(s);
    int64_t batch = 0;
    e = tc_store_insert(s, &batch, "INSERT INTO batches(source, rows, at) VALUES(?,?,?)", "tii",
                        source, (int64_t)n, (int64_t)now);
    uint64_t next = 0;
    if (e == TC_OK)
        e = next_id_base(&st, now, &next);
    for (size_t i = 0; e == TC_OK && i < n; i++) {
        struct tc_claims *c = &reqs[i].claims;
        uint8_t hash[32], msg[TC_CERT_MAX_BYTES];
        size_t len;
        if (next % 10000000ull == 0) {
            e = TC_ERR_RANGE; /* ten million certificates in one year */
            break;
        }
        c->id = next++;
        c->issued_at = now;
        if ((e = tc_issue_holder(s, &reqs[i], hash)) != TC_OK ||
            (e = tc_keys_sign_cert(msg, sizeof msg, &len, c, issuer)) != TC_OK)
            break;
        e = store_one(s, &st, c, hash, msg, len, tc_signer_pub(issuer)->kid, reqs[i].approval,
                      batch, "valid", 0, now, "issue");
        if (e == TC_OK && reqs[i].commitment_end)
            e = store_commitment(s, c->id, c->employer, reqs[i].commitment_end);
        if (e == TC_OK && reqs[i].achievement)
            e = store_achievement(s, c->id, reqs[i].achievement);
        sodium_memzero(hash, sizeof hash);
        if (progress && (i % 1000 == 999 || i + 1 == n))
            progress(ctx, i + 1, n);
    }
    if (e == TC_OK && hook) /* what the caller records in the same transaction */
        e = hook->fn(s, batch, hook->ctx);
    e = tc_store_end(s, e);
out:
    stmts_free(&st);
    return e;
}

/* ---- certificates, revocation, conversion -------------------------------------------------- */

enum tc_err tc_cert_get(struct tc_store *s, uint64_t id, struct tc_cert_row *row)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_row(s, &q,
                                 "SELECT status, successor, predecessor, reason, "
                                 "status_day, payload, commitment_end, achievement_cert "
                                 "FROM certificates WHERE id = ?",
                                 "i", (int64_t)id);
    if (e != TC_OK)
        return e;
    memset(row, 0, sizeof *row);
    row->id = id;
    snprintf(row->status, sizeof row->status, "%s", (const char *)sqlite3_column_text(q, 0));
    row->successor = (uint64_t)sqlite3_column_int64(q, 1);
    row->predecessor = (uint64_t)sqlite3_column_int64(q, 2);
    if (sqlite3_column_text(q, 3))
        snprintf(row->reason, sizeof row->reason, "%s", (const char *)sqlite3_column_text(q, 3));
    row->status_day = sqlite3_column_int(q, 4);
    row->commitment_end = sqlite3_column_int(q, 6);
    row->achievement = (uint64_t)sqlite3_column_int64(q, 7);
    int n = sqlite3_column_bytes(q, 5);
    if (n > 0 && (size_t)n <= sizeof row->payload) {
        memcpy(row->payload, sqlite3_column_blob(q, 5), (size_t)n);
        row->payload_len = (size_t)n;
    } else {
        e = TC_ERR_STORE; /* a row without its payload */
    }
    sqlite3_finalize(q);
    return e;
}

/* A2 inside the caller's transaction: the row, the blacklist, the event, the register entry. */
enum tc_err tc_revoke_in(struct tc_store *s, uint64_t id, const char *reason, int32_t day,
                         bool blacklist, const char *bl_reason, int32_t until, uint64_t now)
{
    static const char *const reasons[] = {"fraud", "error", "other"};
    bool known = false;
    for (size_t i = 0; i < 3; i++)
        known |= strcmp(reason, reasons[i]) == 0;
    if (!known)
        return TC_ERR_ARG;
    struct tc_cert_row row;
    enum tc_err e = tc_cert_get(s, id, &row);
    if (e != TC_OK)
        return e;
    if (strcmp(row.status, "revoked") == 0)
        return TC_ERR_EXISTS;
    sqlite3_stmt *ev = NULL;
    e = tc_store_run(s,
                     "UPDATE certificates SET status = 'revoked', reason = ?, "
                     "status_day = ? WHERE id = ?",
                     "tii", reason, (int64_t)day, (int64_t)id);
    if (e == TC_OK && blacklist)
        e = tc_store_run(s,
                         "INSERT INTO blacklist(holder, reason, from_day, to_day) SELECT "
                         "holder, ?, ?, ? FROM certificates WHERE id = ?",
                         "tiii", bl_reason && *bl_reason ? bl_reason : reason, (int64_t)day,
                         (int64_t)(until ? until : INT32_MAX), (int64_t)id);
    char detail[128], d[11];
    tc_day_format(d, day);
    snprintf(detail, sizeof detail, "{\"reason\":\"%s\",\"day\":\"%s\",\"blacklist\":%s}", reason,
             d, blacklist ? "true" : "false");
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "revoke", id, detail);
    if (e == TC_OK) { /* A3: the revocation in the register, same transaction */
        struct tc_reg_leaf leaf;
        memset(&leaf, 0, sizeof leaf);
        leaf.kind = TC_REG_REVOKE, leaf.id = id, leaf.day = day;
        snprintf(leaf.reason, sizeof leaf.reason, "%s", reason);
        e = tc_store_register(s, &leaf, NULL);
    }
    sqlite3_finalize(ev);
    return e;
}

enum tc_err tc_revoke(struct tc_store *s, uint64_t id, const char *reason, int32_t day,
                      bool blacklist, const char *bl_reason, int32_t until, uint64_t now)
{
    if (workflow_only(s))
        return TC_ERR_REFUSED;
    enum tc_err e = tc_store_exec(s, "BEGIN IMMEDIATE");
    if (e != TC_OK)
        return e;
    return tc_store_end(s, tc_revoke_in(s, id, reason, day, blacklist, bl_reason, until, now));
}

/* Loads and decodes a stored certificate's claims and its holder. */
static enum tc_err load_claims(struct tc_store *s, uint64_t id, struct tc_claims *c,
                               struct tc_cert_row *row, int64_t *holder)
{
    enum tc_err e = tc_cert_get(s, id, row);
    if (e != TC_OK)
        return e;
    struct tc_cert cert;
    if ((e = tc_cert_decode(row->payload, row->payload_len, &cert, NULL)) != TC_OK)
        return e;
    *c = cert.claims;
    sqlite3_stmt *q;
    if ((e = tc_store_query(s, &q, "SELECT holder FROM certificates WHERE id = ?", "i",
                            (int64_t)id)) != TC_OK)
        return e;
    *holder = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return TC_OK;
}

#define MONTH_SPAN 1200 /* 100 years of months from the tenure start */

/* C1: cumulative months, from the tenure start to `at`, employed at a unit that was basic-level
 * at the time. A calendar month counts when the holder was so employed on at least one of its
 * days (tenure counts from the month of employment, C4). */
static enum tc_err count_basic_months(struct tc_store *s, int64_t holder, const struct tc_claims *cl,
                                      int32_t at, int *count)
{
    const struct tc_profile *p = tc_store_profile(s);
    const struct tc_claims c = *cl;
    enum tc_err e;
    *count = 0;
    uint8_t *months = calloc(MONTH_SPAN, 1);
    sqlite3_stmt *emp = NULL, *units = NULL;
    if (!months)
        return TC_ERR_NOMEM;
    int32_t start;
    tc_day_index(&start, c.tenure_month / 12, c.tenure_month % 12 + 1, 1);
    if ((e = tc_store_query(s, &emp,
                            "SELECT unit, from_day, to_day FROM employment WHERE holder = ?", "i",
                            holder)) != TC_OK ||
        (e = tc_store_prepare(s,
                              "SELECT division, tier, basic_flag, valid_from, valid_to FROM "
                              "units WHERE uscc = ? AND valid_from <= ? AND valid_to >= ?",
                              &units)) != TC_OK)
        goto out;
    while (sqlite3_step(emp) == SQLITE_ROW) {
        int32_t a = sqlite3_column_int(emp, 1), b = sqlite3_column_int(emp, 2);
        if (a < start)
            a = start;
        if (b > at)
            b = at;
        if (a > b)
            continue;
        sqlite3_bind_text(units, 1, (const char *)sqlite3_column_text(emp, 0), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(units, 2, b);
        sqlite3_bind_int(units, 3, a);
        while (sqlite3_step(units) == SQLITE_ROW) {
            if (!tc_profile_unit_basic(p, (uint32_t)sqlite3_column_int(units, 0),
                                       (uint8_t)sqlite3_column_int(units, 1),
                                       sqlite3_column_int(units, 2)))
                continue;
            int32_t x = a > sqlite3_column_int(units, 3) ? a : sqlite3_column_int(units, 3);
            int32_t z = b < sqlite3_column_int(units, 4) ? b : sqlite3_column_int(units, 4);
            if (x > z)
                continue;
            int y1, m1, d1, y2, m2, d2;
            tc_day_split(x, &y1, &m1, &d1);
            tc_day_split(z, &y2, &m2, &d2);
            for (int32_t m = tc_month_index(y1, m1); m <= tc_month_index(y2, m2); m++)
                if (m - c.tenure_month >= 0 && m - c.tenure_month < MONTH_SPAN)
                    months[m - c.tenure_month] = 1;
        }
        sqlite3_reset(units);
    }
    for (int i = 0; i < MONTH_SPAN; i++)
        *count += months[i];
out:
    sqlite3_finalize(emp);
    sqlite3_finalize(units);
    free(months);
    return e;
}

enum tc_err tc_convert_check(struct tc_store *s, uint64_t id, int32_t at, struct tc_eligibility *el)
{
    const struct tc_profile *p = tc_store_profile(s);
    struct tc_claims c;
    struct tc_cert_row row;
    int64_t holder;
    memset(el, 0, sizeof *el);
    enum tc_err e = load_claims(s, id, &c, &row, &holder);
    if (e != TC_OK)
        return e;
#define SHORT(...)                                                                                 \
    do {                                                                                           \
        if (el->n_shortfalls < 8)                                                                  \
            snprintf(el->shortfalls[el->n_shortfalls++], sizeof el->shortfalls[0], __VA_ARGS__);   \
    } while (0)
    if (c.track != TC_TRACK_BASIC) {
        SHORT("证书 %llu 不是基层职称，无需转换", (unsigned long long)id);
        return TC_OK;
    }
    if (strcmp(row.status, "valid") != 0) {
        SHORT("证书 %llu 状态为 %s，不能转换", (unsigned long long)id, row.status);
        return TC_OK;
    }
    el->months_required = c.conv.months_required ? c.conv.months_required : p->conv_months;

    /* C1: cumulative months, from the tenure start to `at`, employed at a unit that was
     * basic-level at the time. A calendar month counts when the holder was so employed on at
     * least one of its days (tenure counts from the month of employment, C4). */
    sqlite3_stmt *yr = NULL;
    if ((e = count_basic_months(s, holder, &c, at, &el->months)) != TC_OK)
        return e;
    if (el->months < el->months_required)
        SHORT("基层单位累计聘用 %d 个月，不足 %d 个月（C1）", el->months, el->months_required);

    /* C1: assessments passed and C2: continuing education, each year of the tenure so far */
    int y0 = c.tenure_month / 12, y_at, m_at, d_at;
    tc_day_split(at, &y_at, &m_at, &d_at);
    if ((e = tc_store_prepare(s, "SELECT (SELECT passed FROM assessments WHERE holder = ?1 AND "
                                 "year = ?2), (SELECT hours FROM ce_hours WHERE holder = ?1 AND "
                                 "year = ?2)",
                              &yr)) != TC_OK)
        goto out;
    char missing_a[160] = "", failed_a[160] = "", short_ce[160] = "";
    for (int y = y0; e == TC_OK && y < y_at; y++) { /* complete years only */
        if ((e = tc_store_bind(s, yr, "ii", holder, (int64_t)y)) == TC_OK &&
            sqlite3_step(yr) == SQLITE_ROW) {
            char buf[32];
            if (c.conv.flags & TC_CONV_NEEDS_ASSESSMENTS) {
                if (sqlite3_column_type(yr, 0) == SQLITE_NULL) {
                    snprintf(buf, sizeof buf, " %d", y);
                    strncat(missing_a, buf, sizeof missing_a - strlen(missing_a) - 1);
                } else if (sqlite3_column_int(yr, 0) == 0) {
                    snprintf(buf, sizeof buf, " %d", y);
                    strncat(failed_a, buf, sizeof failed_a - strlen(failed_a) - 1);
                }
            }
            int hours = sqlite3_column_type(yr, 1) == SQLITE_NULL ? 0 : sqlite3_column_int(yr, 1);
            if (hours < c.conv.ce_hours) {
                snprintf(buf, sizeof buf, " %d年%d学时", y, hours);
                strncat(short_ce, buf, sizeof short_ce - strlen(short_ce) - 1);
            }
        }
        sqlite3_reset(yr);
    }
    if (*missing_a)
        SHORT("缺少年度考核结果:%s", missing_a);
    if (*failed_a)
        SHORT("年度考核不合格:%s", failed_a);
    if (*short_ce)
        SHORT("继续教育不足每年 %u 学时（C2）:%s", c.conv.ce_hours, short_ce);
    el->eligible = el->n_shortfalls == 0;
out:
#undef SHORT
    sqlite3_finalize(yr);
    return e;
}

static enum tc_err supersede_with(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                                  uint16_t committee, struct tc_signer *issuer, uint64_t now,
                                  uint8_t method, bool own_tx, uint64_t *new_id);

enum tc_err tc_convert_commit(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                              uint16_t committee, struct tc_signer *issuer, uint64_t now,
                              uint64_t *new_id)
{
    if (workflow_only(s))
        return TC_ERR_REFUSED;
    struct tc_eligibility el;
    enum tc_err e = tc_convert_check(s, id, at, &el);
    if (e != TC_OK)
        return e;
    if (!el.eligible)
        return TC_ERR_REFUSED;
    return supersede_with(s, id, at, decision, committee, issuer, now, TC_METHOD_CONVERSION, true,
                          new_id);
}

enum tc_err tc_reevaluate_commit(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                                 uint16_t committee, struct tc_signer *issuer, uint64_t now,
                                 uint64_t *new_id)
{
    struct tc_c5 st;
    struct tc_cert_row row;
    if (workflow_only(s))
        return TC_ERR_REFUSED;
    enum tc_err e = tc_basic_status(s, id, at, &st);
    if (e != TC_OK)
        return e;
    if ((e = tc_cert_get(s, id, &row)) != TC_OK)
        return e;
    /* C5: only a valid basic-level title whose holder the records show outside basic level */
    if (st.state != TC_C5_LEFT || strcmp(row.status, "valid") != 0)
        return TC_ERR_REFUSED;
    return supersede_with(s, id, at, decision, committee, issuer, now, TC_METHOD_REEVALUATION,
                          true, new_id);
}

enum tc_err tc_conversion_in(struct tc_store *s, uint64_t id, int32_t at, bool reevaluation,
                             const char *decision, uint16_t committee, struct tc_signer *issuer,
                             uint64_t now, uint64_t *new_id, char *why, size_t why_size)
{
    enum tc_err e;
    struct tc_cert_row row;
    if (reevaluation) {
        struct tc_c5 st;
        if ((e = tc_basic_status(s, id, at, &st)) != TC_OK || (e = tc_cert_get(s, id, &row)) != TC_OK)
            return e;
        if (st.state != TC_C5_LEFT || strcmp(row.status, "valid") != 0) {
            snprintf(why, why_size, "证书 %llu 不符合转评条件（C5）/ certificate %llu may not be "
                     "re-evaluated (C5)", (unsigned long long)id, (unsigned long long)id);
            return TC_ERR_REFUSED;
        }
    } else {
        struct tc_eligibility el;
        if ((e = tc_convert_check(s, id, at, &el)) != TC_OK)
            return e;
        if (!el.eligible) {
            snprintf(why, why_size, "证书 %llu 不符合换发条件（C1）：%s / certificate %llu may not "
                     "be converted (C1)", (unsigned long long)id,
                     el.n_shortfalls ? el.shortfalls[0] : "", (unsigned long long)id);
            return TC_ERR_REFUSED;
        }
    }
    return supersede_with(s, id, at, decision, committee, issuer, now,
                          reevaluation ? TC_METHOD_REEVALUATION : TC_METHOD_CONVERSION, false,
                          new_id);
}

/* C1/C5: the successor of a basic-level certificate: same series, specialty and level,
 * province-wide; C3: tenure carried over. */
static void successor_claims(const struct tc_claims *old, uint64_t id, int32_t at,
                             uint16_t committee, uint8_t method, struct tc_claims *c)
{
    *c = *old;
    c->track = TC_TRACK_PROVINCE;
    c->method = method;
    memset(&c->scope, 0, sizeof c->scope);
    memset(&c->conv, 0, sizeof c->conv);
    c->conv.kind = TC_CONV_FROM;
    c->conv.predecessor = id;
    c->conv.carried_tenure_month = old->tenure_month;
    c->obtained_day = at;
    int y, m, d;
    tc_day_split(at, &y, &m, &d);
    c->eval_year = (uint16_t)y;
    c->committee = committee;
}

enum tc_err tc_conversion_claims(struct tc_store *s, uint64_t id, int32_t at, uint16_t committee,
                                 bool reevaluation, struct tc_claims *c)
{
    struct tc_claims old;
    struct tc_cert_row row;
    int64_t holder;
    enum tc_err e = load_claims(s, id, &old, &row, &holder);
    if (e == TC_OK)
        successor_claims(&old, id, at, committee,
                         reevaluation ? TC_METHOD_REEVALUATION : TC_METHOD_CONVERSION, c);
    return e;
}

/* Issues the province-wide certificate of the same level that replaces a basic-level one (C1
 * 换发 or C5 转评) and marks the old one superseded, in one transaction. */
static enum tc_err supersede_with(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                                  uint16_t committee, struct tc_signer *issuer, uint64_t now,
                                  uint8_t method, bool own_tx, uint64_t *new_id)
{
    if (!decision || !*decision || strlen(decision) > TC_APPROVAL_MAX)
        return TC_ERR_ARG;
    enum tc_err e;
    struct tc_claims old, c;
    struct tc_cert_row row;
    int64_t holder;
    if ((e = load_claims(s, id, &old, &row, &holder)) != TC_OK)
        return e;
    successor_claims(&old, id, at, committee, method, &c);
    c.issued_at = now;
    struct stmts st;
    sqlite3_stmt *ev = NULL, *hq = NULL;
    if ((e = prepare_stmts(s, &st)) != TC_OK)
        goto out;
    uint8_t hash[32];
    if ((e = tc_store_query(s, &hq, "SELECT id_hash FROM holders WHERE id = ?", "i", holder)) !=
        TC_OK)
        goto out;
    if (sqlite3_step(hq) != SQLITE_ROW || sqlite3_column_bytes(hq, 0) != 32) {
        e = TC_ERR_STORE;
        goto out;
    }
    memcpy(hash, sqlite3_column_blob(hq, 0), 32);
    if (own_tx && (e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
    uint64_t next;
    next_id_base(&st, now, &next);
    c.id = next;
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t len;
    if ((e = tc_keys_sign_cert(msg, sizeof msg, &len, &c, issuer)) == TC_OK)
        e = store_one(s, &st, &c, hash, msg, len, tc_signer_pub(issuer)->kid, decision, 0,
                      "valid", id, now,
                      method == TC_METHOD_REEVALUATION ? "reevaluate_issue" : "convert_issue");
    if (e == TC_OK)
        e = tc_store_run_one(s, TC_ERR_STORE,
                             "UPDATE certificates SET status = 'superseded', successor = ?, "
                             "status_day = ? WHERE id = ? AND status = 'valid'",
                             "iii", (int64_t)c.id, (int64_t)at, (int64_t)id);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"successor\":%llu}", (unsigned long long)c.id);
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "supersede", id, detail);
    if (e == TC_OK) { /* A3: the supersession in the register, after the successor's issue leaf */
        struct tc_reg_leaf leaf;
        memset(&leaf, 0, sizeof leaf);
        leaf.kind = TC_REG_SUPERSEDE, leaf.id = id, leaf.other = c.id, leaf.day = at;
        e = tc_store_register(s, &leaf, NULL);
    }
    if (own_tx)
        e = tc_store_end(s, e);
    if (e == TC_OK)
        *new_id = c.id;
out:
    sqlite3_finalize(ev);
    sqlite3_finalize(hq);
    stmts_free(&st);
    return e;
}

enum tc_err tc_basic_status(struct tc_store *s, uint64_t id, int32_t day, struct tc_c5 *out)
{
    memset(out, 0, sizeof *out);
    const struct tc_profile *p = tc_store_profile(s);
    struct tc_claims c;
    struct tc_cert_row row; /* the certificate's row: its claims are what is judged */
    int64_t holder;
    enum tc_err e = load_claims(s, id, &c, &row, &holder);
    if (e != TC_OK || c.track != TC_TRACK_BASIC)
        return e;
    /* the employment periods covering the day, each judged by the directory on that day */
    sqlite3_stmt *q;
    if ((e = tc_store_query(s, &q,
                            "SELECT unit, from_day FROM employment WHERE holder = ? AND "
                            "from_day <= ? AND to_day >= ? ORDER BY from_day DESC",
                            "iii", holder, (int64_t)day, (int64_t)day)) != TC_OK)
        return e;
    out->state = TC_C5_UNKNOWN;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(q, 0);
        struct tc_unit u;
        bool basic = tc_units_find(s, unit, day, &u) == TC_OK &&
                     tc_profile_unit_basic(p, u.division, u.tier, u.basic_flag);
        if (basic) {
            out->state = TC_C5_AT_BASIC;
            break;
        }
        if (out->state == TC_C5_UNKNOWN) { /* the latest period at a unit that is not basic */
            out->state = TC_C5_LEFT;
            out->since = sqlite3_column_int(q, 1);
            snprintf(out->unit, sizeof out->unit, "%s", unit);
            snprintf(out->unit_name, sizeof out->unit_name, "%s",
                     tc_units_find(s, unit, day, &u) == TC_OK ? u.name : unit);
        }
    }
    sqlite3_finalize(q);
    return TC_OK;
}

enum tc_err tc_issue_request_from_json(const char *text, size_t len, struct tc_issue_request *q,
                                       const char **field, int *line)
{
    json_t *j;
    memset(q, 0, sizeof *q);
    *field = NULL;
    enum tc_err e = tc_claims_json_load(text, len, &j, line);
    if (e != TC_OK)
        return e;
    const char *idno = json_string_value(json_object_get(j, "id_number"));
    const char *approval = json_string_value(json_object_get(j, "approval"));
    e = tc_claims_from_json(j, &q->claims, field);
    if (e == TC_OK && (!idno || strlen(idno) != TC_IDNO_LEN))
        e = TC_ERR_CODE, *field = "id_number";
    if (e == TC_OK && (!approval || !*approval || strlen(approval) > TC_APPROVAL_MAX))
        e = TC_ERR_RANGE, *field = "approval";
    if (e == TC_OK) {
        memcpy(q->idno, idno, TC_IDNO_LEN + 1);
        memcpy(q->approval, approval, strlen(approval) + 1);
        q->scope_given = json_object_get(j, "scope") != NULL;
    }
    json_decref(j);
    if (e != TC_OK)
        sodium_memzero(q, sizeof *q);
    return e;
}
