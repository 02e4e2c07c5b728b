/*
 * directory.c - the basic-level unit directory (S2) and the records behind the conversion path
 * (C1, C2): employment periods, annual assessments, continuing-education hours.
 *
 * Every import reads and checks the whole file first and writes nothing unless every line is
 * good; then it writes all rows and one audit event in a single transaction. Division codes are
 * checked against the GB/T 2260 / GB/T 10114 tables compiled in from data/.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer.h"
#include "issuer_internal.h"

extern const uint32_t tc_divisions[][2];
extern const size_t tc_divisions_count;
extern const uint32_t tc_townships[];
extern const size_t tc_townships_count;

/* The level (1 province, 2 prefecture, 3 county) of a 6-digit code, 0 when not in the table. */
static int division_level(uint32_t code)
{
    size_t lo = 0, hi = tc_divisions_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tc_divisions[mid][0] < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tc_divisions_count && tc_divisions[lo][0] == code ? (int)tc_divisions[lo][1] : 0;
}

static bool township_known(uint32_t code)
{
    size_t lo = 0, hi = tc_townships_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tc_townships[mid] < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tc_townships_count && tc_townships[lo] == code;
}

static bool parse_digits(const char *s, size_t n, uint32_t *v)
{
    if (strlen(s) != n)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (uint32_t)(s[i] - '0');
    }
    return true;
}

int tc_tier_parse(const char *s)
{
    static const char *const en[] = {NULL, "province", "prefecture", "county", "township"};
    static const char *const zh[] = {NULL, "省级", "市级", "县级", "乡镇"};
    for (int i = 1; i <= 4; i++)
        if (strcmp(s, en[i]) == 0 || strcmp(s, zh[i]) == 0)
            return i;
    return 0;
}

/* "", yes/no, 1/0, 是/否 -> -1, 1, 0; -2 when unreadable. */
static int parse_flag(const char *s)
{
    if (!*s)
        return -1;
    if (!strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "是") || !strcmp(s, "true"))
        return 1;
    if (!strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "否") || !strcmp(s, "false"))
        return 0;
    return -2;
}

/* Appends the import's audit event and commits; on any failure rolls back (and re-reads the chain
 * head). The caller began the transaction. */
static enum tc_err commit_with_event(struct tc_store *s, enum tc_err e, const char *kind,
                                     const char *detail)
{
    sqlite3_stmt *ev = NULL;
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)time(NULL), kind, 0, detail);
    sqlite3_finalize(ev);
    return tc_store_end(s, e);
}

/* ---- units --------------------------------------------------------------------------------- */

/* 6: the unit directory, by USCC then valid_from, with a buffer of their names */
enum tc_err tc_store_units(struct tc_store *s, struct tc_bundle_unit **units, size_t *n,
                           char **names)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT uscc, division, township, tier, basic_flag, "
                                        "valid_from, valid_to, name FROM units ORDER BY uscc, "
                                        "valid_from", &q);
    size_t cap = 0, names_len = 0, names_cap = 0;
    *units = NULL, *n = 0, *names = NULL;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 7);
        size_t nl = strlen(name) + 1;
        struct tc_bundle_unit *u = tc_push((void **)units, n, &cap, sizeof *u);
        if (!u || tc_reserve((void **)names, &names_cap, names_len + nl, 1) != TC_OK) {
            e = TC_ERR_NOMEM;
            break;
        }
        memset(u, 0, sizeof *u);
        snprintf(u->uscc, sizeof u->uscc, "%s", (const char *)sqlite3_column_text(q, 0));
        u->division = (uint32_t)sqlite3_column_int64(q, 1);
        u->township = (uint32_t)sqlite3_column_int64(q, 2);
        u->tier = (uint8_t)sqlite3_column_int(q, 3);
        u->flag = (int8_t)sqlite3_column_int(q, 4);
        u->from = sqlite3_column_int(q, 5), u->to = sqlite3_column_int(q, 6);
        u->name_off = (uint32_t)names_len;
        memcpy(*names + names_len, name, nl);
        names_len += nl;
    }
    sqlite3_finalize(q);
    if (e != TC_OK) {
        free(*units), free(*names);
        *units = NULL, *n = 0, *names = NULL;
    }
    return e;
}

enum tc_err tc_store_units_digest(struct tc_store *s, uint8_t out[32])
{
    struct tc_bundle_unit *u = NULL;
    size_t n = 0;
    char *names = NULL;
    enum tc_err e = tc_store_units(s, &u, &n, &names);
    if (e == TC_OK)
        e = tc_bundle_units_digest(u, n, names ? names : "", out);
    free(u);
    free(names);
    return e;
}


struct unit_rows {
    struct tc_store *s;
    bool strict;
    struct tc_unit *v;
    size_t *lines;
    size_t n, cap;
    size_t warnings;
    struct tc_refusals *ref;
};

/* a refusal of a directory or records row (the row is then left out) */
static bool refuse(struct tc_refusals *ref, size_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool refuse(struct tc_refusals *ref, size_t line, const char *field, const char *fmt, ...)
{
    char msg[sizeof ((struct tc_refusal *)0)->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tc_refusals_add(ref, line, "", field, "%s", msg);
    return false;
}

/* uscc, name and division of a directory row; false after refusing one */
static bool unit_codes(struct unit_rows *u, size_t line, const char *const *f, struct tc_unit *x)
{
    const struct tc_profile *p = tc_store_profile(u->s);
    char s[TC_CSV_SHOWN];
    bool ok = true;
    tc_csv_shown(s, f[0]);
    if (!tc_uscc_well_formed(f[0]))
        ok = refuse(u->ref, line, "uscc", "“%s”不是 18 位统一社会信用代码 / '%s' is not an "
                    "18-character USCC", s, s);
    else if (!tc_uscc_valid(f[0]) && u->strict)
        ok = refuse(u->ref, line, "uscc", "%s 的校验位不符（GB 32100） / %s fails the GB 32100 "
                    "check character", s, s);
    else if (!tc_uscc_valid(f[0])) {
        u->warnings++;
        tc_refusals_add(u->ref, line, "warn", "uscc", "%s 的校验位不符（GB 32100），已保留：早期试"
                        "点代码有此情况 / %s fails the GB 32100 check character (kept: early "
                        "pilot codes do)", s, s);
    }
    memcpy(x->uscc, f[0], strlen(f[0]) < sizeof x->uscc ? strlen(f[0]) + 1 : 1);
    if (!*f[1] || strlen(f[1]) >= sizeof x->name)
        ok = refuse(u->ref, line, "name", "单位名称为空或超过 191 字节 / empty or longer than "
                    "191 bytes");
    else
        memcpy(x->name, f[1], strlen(f[1]) + 1);
    uint32_t code = 0;
    tc_csv_shown(s, f[2]);
    if (parse_digits(f[2], 9, &code)) {
        x->township = code, x->division = code / 1000;
        if (!township_known(code))
            ok = refuse(u->ref, line, "division", "%s 不是 GB/T 10114 表中的乡镇代码 / %s is not "
                        "a township code of the GB/T 10114 table", s, s);
    } else if (parse_digits(f[2], 6, &code)) {
        x->division = code;
        if (!division_level(code))
            ok = refuse(u->ref, line, "division", "%s 不是 GB/T 2260 行政区划代码（统计用区不是）"
                        " / %s is not a GB/T 2260 division code (statistical zones are not)", s,
                        s);
    } else {
        ok = refuse(u->ref, line, "division", "“%s”不是 6 位或 9 位代码 / '%s' is not a 6- or "
                    "9-digit code", s, s);
    }
    if (ok && !tc_region_contains(p->province, x->division))
        ok = refuse(u->ref, line, "division", "%s 不在本省（%u） / %s is outside the province "
                    "(%u)", s, p->province, s, p->province);
    return ok;
}

static void unit_row(void *ctx, size_t line, const char *const *f)
{
    struct unit_rows *u = ctx;
    struct tc_unit x;
    memset(&x, 0, sizeof x);
    /* uscc,name,division,tier,basic_level?,valid_from,valid_to? */
    bool ok = unit_codes(u, line, f, &x);
    char s[TC_CSV_SHOWN], why[400];
    int tier = tc_tier_parse(f[3]);
    if (!tier)
        ok = refuse(u->ref, line, "tier", "“%s”不是层级（省级、市级、县级、乡镇） / '%s' is not "
                    "province, prefecture, county or township", tc_csv_shown(s, f[3]), s);
    x.tier = (uint8_t)tier;
    x.basic_flag = parse_flag(f[4]);
    if (x.basic_flag == -2)
        ok = refuse(u->ref, line, "basic_level", "“%s”不是 是、否 或空 / '%s' is not yes, no or "
                    "empty", tc_csv_shown(s, f[4]), s);
    if (!tc_csv_day(&x.valid_from, f[5], why, sizeof why))
        ok = refuse(u->ref, line, "valid_from", "%s", why);
    x.valid_to = INT32_MAX;
    if (*f[6] && !tc_csv_day(&x.valid_to, f[6], why, sizeof why))
        ok = refuse(u->ref, line, "valid_to", "%s", why);
    else if (ok && x.valid_to < x.valid_from)
        ok = refuse(u->ref, line, "valid_to", "失效日期早于生效日期 / before valid_from");
    if (!ok)
        return;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 256;
        struct tc_unit *v = realloc(u->v, cap * sizeof *v);
        size_t *l = realloc(u->lines, cap * sizeof *l);
        if (v)
            u->v = v;
        if (l)
            u->lines = l;
        if (!v || !l) {
            refuse(u->ref, line, "", "内存不足 / out of memory");
            return;
        }
        u->cap = cap;
    }
    u->lines[u->n] = line;
    u->v[u->n++] = x;
}

static int cmp_unit(const void *a, const void *b)
{
    const struct tc_unit *x = a, *y = b;
    int c = strcmp(x->uscc, y->uscc);
    return c ? c : (x->valid_from > y->valid_from) - (x->valid_from < y->valid_from);
}

/* Line numbers travel with their rows through the sort. */
struct unit_line {
    struct tc_unit u;
    size_t line;
};

static int cmp_unit_line(const void *a, const void *b)
{
    return cmp_unit(&((const struct unit_line *)a)->u, &((const struct unit_line *)b)->u);
}

static size_t errors_in(const struct tc_refusals *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].rule, "warn") != 0)
            n++;
    return n + (r->total - r->n);
}

/* In a store set up for the workflow, once it has an admin, the directory and the records are
 * changed by an account that holds the role (admin for the unit directory, which decides where a
 * basic-level title is valid; clerk for the records behind conversions), named in the audit
 * event; before that, the host sets the store up. TC_ERR_REFUSED with the store's message. */
static enum tc_err import_allowed(struct tc_store *s, const struct tc_account *by, unsigned role,
                                  char *who, size_t who_size)
{
    snprintf(who, who_size, "(host)");
    if (!tc_store_workflow(s) || (!by && tc_account_admins(s) == 0))
        return TC_OK;
    struct tc_account now;
    if (!by || tc_account_by_id(s, by->id, &now) != TC_OK || now.disabled || !(now.roles & role)) {
        tc_store_set_msg(s, role == TC_ROLE_ADMIN
                                ? "这个证书库按审批流程管理：基层单位目录由系统管理员导入（--as） / "
                                  "this store runs the workflow: an admin imports the unit "
                                  "directory (--as)"
                                : "这个证书库按审批流程管理：人事记录由录入员导入（--as） / this "
                                  "store runs the workflow: a clerk imports the records (--as)");
        return TC_ERR_REFUSED;
    }
    snprintf(who, who_size, "%s", now.name);
    return TC_OK;
}

enum tc_err tc_units_import(struct tc_store *s, const char *path, bool strict_uscc,
                            struct tc_refusals *ref, size_t *imported, size_t *warnings)
{
    return tc_units_import_as(s, NULL, path, strict_uscc, ref, imported, warnings);
}

enum tc_err tc_units_import_as(struct tc_store *s, const struct tc_account *by, const char *path,
                               bool strict_uscc, struct tc_refusals *ref, size_t *imported,
                               size_t *warnings)
{
    static const char *const cols[] = {"uscc|统一社会信用代码",
                                       "name|单位名称|名称",
                                       "division|行政区划代码|区划代码",
                                       "tier|层级|单位层级",
                                       "basic_level|是否基层单位|基层单位?",
                                       "valid_from|生效日期|起始日期",
                                       "valid_to|失效日期|截止日期?"};
    struct unit_rows u = {.s = s, .strict = strict_uscc, .ref = ref};
    *imported = 0;
    *warnings = 0;
    char who[TC_ACCOUNT_NAME_MAX];
    enum tc_err e = import_allowed(s, by, TC_ROLE_ADMIN, who, sizeof who);
    if (e != TC_OK)
        return e;
    e = tc_csv_read(path, cols, 7, unit_row, &u, ref);
    struct unit_line *ul = NULL;
    sqlite3_stmt *ins = NULL, *overlap = NULL;
    if (e != TC_OK)
        goto out;
    /* S2: one unit's entries may not overlap in time, in the file or with the store */
    ul = malloc((u.n ? u.n : 1) * sizeof *ul);
    if (!ul) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < u.n; i++)
        ul[i].u = u.v[i], ul[i].line = u.lines[i];
    qsort(ul, u.n, sizeof *ul, cmp_unit_line);
    for (size_t i = 1; i < u.n; i++)
        if (strcmp(ul[i].u.uscc, ul[i - 1].u.uscc) == 0 && ul[i].u.valid_from <= ul[i - 1].u.valid_to)
            tc_refusals_add(ref, ul[i].line, "S2", "valid_from", "%s 与第 %zu 行的条目时间重叠 / "
                            "%s: overlaps the entry on line %zu", ul[i].u.uscc, ul[i - 1].line,
                            ul[i].u.uscc, ul[i - 1].line);
    if ((e = tc_store_prepare(s, "SELECT count(*) FROM units WHERE uscc = ?1 AND valid_from <> ?2 "
                                 "AND valid_from <= ?3 AND valid_to >= ?2",
                              &overlap)) != TC_OK)
        goto out;
    for (size_t i = 0; i < u.n; i++) {
        sqlite3_bind_text(overlap, 1, ul[i].u.uscc, -1, SQLITE_STATIC);
        sqlite3_bind_int(overlap, 2, ul[i].u.valid_from);
        sqlite3_bind_int(overlap, 3, ul[i].u.valid_to);
        if (sqlite3_step(overlap) == SQLITE_ROW && sqlite3_column_int(overlap, 0) > 0)
            tc_refusals_add(ref, ul[i].line, "S2", "valid_from", "%s 与目录中已有的条目时间重叠 / "
                            "%s: overlaps an entry already in the directory", ul[i].u.uscc,
                            ul[i].u.uscc);
        sqlite3_reset(overlap);
    }
    *warnings = u.warnings;
    if (errors_in(ref) > 0) {
        e = TC_ERR_REFUSED;
        goto out;
    }
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
    e = tc_store_prepare(s, "INSERT INTO units(uscc, name, division, township, tier, basic_flag, "
                            "valid_from, valid_to) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(uscc, "
                            "valid_from) DO UPDATE SET name=excluded.name, "
                            "division=excluded.division, township=excluded.township, "
                            "tier=excluded.tier, basic_flag=excluded.basic_flag, "
                            "valid_to=excluded.valid_to",
                         &ins);
    for (size_t i = 0; e == TC_OK && i < u.n; i++) {
        const struct tc_unit *x = &ul[i].u;
        sqlite3_bind_text(ins, 1, x->uscc, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, x->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 3, (int)x->division);
        sqlite3_bind_int(ins, 4, (int)x->township);
        sqlite3_bind_int(ins, 5, x->tier);
        sqlite3_bind_int(ins, 6, x->basic_flag);
        sqlite3_bind_int(ins, 7, x->valid_from);
        sqlite3_bind_int(ins, 8, x->valid_to);
        e = tc_store_step_done(s, ins);
    }
    /* A3: the directory a verdict depends on is logged as it now is */
    uint8_t digest[32] = {0};
    if (e == TC_OK && (e = tc_store_units_digest(s, digest)) == TC_OK)
        e = tc_store_log_data(s, TC_REG_DATA_UNITS, digest, tc_beijing_day((uint64_t)time(NULL)));
    char detail[300], hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, 32);
    /* the digest its register entry logs: what vouches for that entry (the signer checks it) */
    snprintf(detail, sizeof detail, "{\"account\":\"%s\",\"units\":%zu,\"digest\":\"%s\"}", who,
             u.n, hex);
    if ((e = commit_with_event(s, e, "units_import", detail)) != TC_OK)
        goto out;
    *imported = u.n;
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(overlap);
    free(ul);
    free(u.v);
    free(u.lines);
    return e;
}

enum tc_err tc_units_find(struct tc_store *s, const char *uscc, int32_t day, struct tc_unit *u)
{
    sqlite3_stmt **cached = tc_store_unit_find_stmt(s), *st;
    enum tc_err e;
    if (!*cached &&
        (e = tc_store_prepare(s, "SELECT name, division, township, tier, basic_flag, valid_from, "
                                 "valid_to FROM units WHERE uscc = ? AND valid_from <= ? AND "
                                 "valid_to >= ? LIMIT 1",
                              cached)) != TC_OK)
        return e;
    st = *cached;
    sqlite3_bind_text(st, 1, uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, day);
    sqlite3_bind_int(st, 3, day);
    e = TC_ERR_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        memset(u, 0, sizeof *u);
        snprintf(u->uscc, sizeof u->uscc, "%s", uscc);
        snprintf(u->name, sizeof u->name, "%s", (const char *)sqlite3_column_text(st, 0));
        u->division = (uint32_t)sqlite3_column_int(st, 1);
        u->township = (uint32_t)sqlite3_column_int(st, 2);
        u->tier = (uint8_t)sqlite3_column_int(st, 3);
        u->basic_flag = sqlite3_column_int(st, 4);
        u->valid_from = sqlite3_column_int(st, 5);
        u->valid_to = sqlite3_column_int(st, 6);
        e = TC_OK;
    }
    sqlite3_reset(st);
    return e;
}

/* ---- holders ------------------------------------------------------------------------------- */

enum tc_err tc_holder_id(struct tc_store *s, const uint8_t hash[32], const char *mask,
                         const char *name, bool create, int64_t *id)
{
    sqlite3_stmt *st;
    enum tc_err e = tc_store_prepare(s, "SELECT id FROM holders WHERE id_hash = ?", &st);
    if (e != TC_OK)
        return e;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    *id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (*id || !create)
        return TC_OK;
    return tc_store_insert(s, id, "INSERT INTO holders(id_hash, id_mask, name) VALUES(?,?,?)",
                           "htt", hash, mask, name);
}

/* ---- records ------------------------------------------------------------------------------- */

struct record {
    uint8_t hash[32];
    char mask[TC_ID_MASK_LEN + 1];
    char name[TC_NAME_MAX + 1];
    char unit[TC_USCC_LEN + 1];
    int32_t a, b; /* employment: from, to; assessments: year, passed; ce: year, hours */
    size_t line;
};

struct record_rows {
    struct tc_store *s;
    int kind; /* 0 employment, 1 assessments, 2 ce */
    struct record *v;
    size_t n, cap;
    struct tc_refusals *ref;
};

/* employment: unit, from, to? (C1) */
static bool employment_cells(struct record_rows *r, size_t line, const char *const *f,
                             struct record *x)
{
    char s[TC_CSV_SHOWN], why[400];
    bool ok = true;
    if (!tc_uscc_well_formed(f[2]))
        ok = refuse(r->ref, line, "unit", "“%s”不是 18 位统一社会信用代码 / '%s' is not an "
                    "18-character USCC", tc_csv_shown(s, f[2]), s);
    else
        memcpy(x->unit, f[2], TC_USCC_LEN + 1);
    x->b = INT32_MAX;
    if (!tc_csv_day(&x->a, f[3], why, sizeof why))
        ok = refuse(r->ref, line, "from", "%s", why);
    if (*f[4] && !tc_csv_day(&x->b, f[4], why, sizeof why))
        ok = refuse(r->ref, line, "to", "%s", why);
    else if (ok && x->b < x->a)
        ok = refuse(r->ref, line, "to", "截止日期早于起始日期 / to is before from");
    return ok;
}

/* assessments: year, result; ce: year, hours (C1, C2) */
static bool yearly_cells(struct record_rows *r, size_t line, const char *const *f,
                         struct record *x)
{
    char s[TC_CSV_SHOWN], *end;
    bool ok = true;
    long year = strtol(f[2], &end, 10);
    if (*end || !*f[2] || year < 1950 || year > 2200)
        ok = refuse(r->ref, line, "year", "“%s”不是年份 / '%s' is not a year",
                    tc_csv_shown(s, f[2]), s);
    x->a = (int32_t)year;
    const char *res = f[3];
    tc_csv_shown(s, res);
    if (r->kind == 1) { /* result: 合格/基本合格 pass; 不合格 fail; or passed/failed */
        if (!strcmp(res, "合格") || !strcmp(res, "优秀") || !strcmp(res, "基本合格") ||
            !strcmp(res, "passed") || !strcmp(res, "excellent"))
            x->b = 1;
        else if (!strcmp(res, "不合格") || !strcmp(res, "failed"))
            x->b = 0;
        else
            ok = refuse(r->ref, line, "result", "“%s”不是考核结果（优秀、合格、基本合格、不合格）"
                        " / '%s' is not 优秀, 合格, 基本合格, 不合格 (or passed/failed)", s, s);
        return ok;
    }
    long h = strtol(f[3], &end, 10);
    if (*end || !*f[3] || h < 0 || h > 2000)
        ok = refuse(r->ref, line, "hours", "“%s”不是学时数 / '%s' is not a number of hours", s,
                    s);
    x->b = (int32_t)h;
    return ok;
}

static void record_row(void *ctx, size_t line, const char *const *f)
{
    struct record_rows *r = ctx;
    struct record x;
    memset(&x, 0, sizeof x);
    bool ok = true;
    char why[400] = "不是有效的身份证号码 / not a valid resident ID number";
    if (!tc_csv_idno(f[0], why, sizeof why) || tc_store_holder_hash(r->s, f[0], x.hash) != TC_OK)
        ok = refuse(r->ref, line, "id_number", "%s", why);
    else
        tc_idno_mask(x.mask, f[0]);
    if (!*f[1] || strlen(f[1]) > TC_NAME_MAX)
        ok = refuse(r->ref, line, "name", "姓名为空或超过 %d 字节 / empty or longer than %d bytes",
                    TC_NAME_MAX, TC_NAME_MAX);
    else
        memcpy(x.name, f[1], strlen(f[1]) + 1);
    /* id_number,name,unit,from,to? or id_number,name,year,result|hours */
    if (!(r->kind == 0 ? employment_cells(r, line, f, &x) : yearly_cells(r, line, f, &x)))
        ok = false;
    if (!ok)
        return;
    x.line = line;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct record *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            refuse(r->ref, line, "", "内存不足 / out of memory");
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = x;
}

/* C6 (SD §5(二)): an employment period that ends at the unit of a holder's service commitment
 * before the commitment ends is reported as a warning with its line (the records are kept: they
 * are facts; what follows from them is the department's decision). */
static enum tc_err warn_commitments(struct tc_store *s, struct record_rows *r)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(
        s, "SELECT c.id, c.commitment_end, h.name FROM certificates c JOIN holders h ON h.id = "
           "c.holder WHERE h.id_hash = ? AND c.commit_unit = ? AND c.commitment_end > ? AND "
           "c.status = 'valid'", &q);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < r->n; i++) {
        const struct record *x = &r->v[i];
        if (x->b == INT32_MAX)
            continue; /* still there */
        sqlite3_bind_blob(q, 1, x->hash, 32, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, x->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 3, x->b);
        while (sqlite3_step(q) == SQLITE_ROW) {
            char left[11], end[11];
            tc_day_format(left, x->b);
            tc_day_format(end, sqlite3_column_int(q, 1));
            const char *name = (const char *)sqlite3_column_text(q, 2);
            long long id = (long long)sqlite3_column_int64(q, 0);
            tc_refusals_add(r->ref, x->line, "C6", "to",
                            "warning: %s 于 %s 离开 %s，早于证书 %lld 的服务期满日 %s（SD §5(二)：在"
                            "取得职称的乡镇单位至少服务 5 年） / %s leaves %s on %s, before the "
                            "service commitment of certificate %lld ends on %s (SD §5(二): at "
                            "least 5 years at the township unit where the title was obtained)",
                            name, left, x->unit, id, end, name, x->unit, left, id, end);
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

enum tc_err tc_records_import(struct tc_store *s, const char *kind, const char *path,
                              struct tc_refusals *ref, size_t *imported)
{
    return tc_records_import_as(s, NULL, kind, path, ref, imported);
}

enum tc_err tc_records_import_as(struct tc_store *s, const struct tc_account *by,
                                 const char *kind, const char *path, struct tc_refusals *ref,
                                 size_t *imported)
{
#define ID_NUMBER "id_number|身份证号码|身份证号|公民身份号码"
    static const char *const emp[] = {ID_NUMBER, "name|姓名", "unit|工作单位|用人单位|单位",
                                      "from|起始日期|开始日期|聘用起始", "to|截止日期|结束日期?"};
    static const char *const ass[] = {ID_NUMBER, "name|姓名", "year|年度|考核年度",
                                      "result|考核结果|结果"};
    static const char *const ce[] = {ID_NUMBER, "name|姓名", "year|年度",
                                     "hours|学时|继续教育学时"};
#undef ID_NUMBER
    struct record_rows r = {.s = s, .ref = ref};
    const char *const *cols;
    size_t ncols;
    const char *sql;
    *imported = 0;
    if (strcmp(kind, "employment") == 0) {
        r.kind = 0, cols = emp, ncols = 5;
        sql = "INSERT INTO employment(holder, unit, from_day, to_day) VALUES(?,?,?,?)";
    } else if (strcmp(kind, "assessments") == 0) {
        r.kind = 1, cols = ass, ncols = 4;
        sql = "INSERT OR REPLACE INTO assessments(holder, year, passed) VALUES(?,?,?)";
    } else if (strcmp(kind, "ce") == 0) {
        r.kind = 2, cols = ce, ncols = 4;
        sql = "INSERT OR REPLACE INTO ce_hours(holder, year, hours) VALUES(?,?,?)";
    } else {
        return TC_ERR_ARG;
    }
    char who[TC_ACCOUNT_NAME_MAX];
    enum tc_err e = import_allowed(s, by, TC_ROLE_CLERK, who, sizeof who);
    if (e != TC_OK)
        return e;
    e = tc_csv_read(path, cols, ncols, record_row, &r, ref);
    sqlite3_stmt *ins = NULL;
    if (e != TC_OK)
        goto out;
    if (ref->total > 0) {
        e = TC_ERR_REFUSED;
        goto out;
    }
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
    e = tc_store_prepare(s, sql, &ins);
    for (size_t i = 0; e == TC_OK && i < r.n; i++) {
        int64_t holder;
        if ((e = tc_holder_id(s, r.v[i].hash, r.v[i].mask, r.v[i].name, true, &holder)) != TC_OK)
            break;
        sqlite3_bind_int64(ins, 1, holder);
        if (r.kind == 0) {
            sqlite3_bind_text(ins, 2, r.v[i].unit, -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, r.v[i].a);
            sqlite3_bind_int(ins, 4, r.v[i].b);
        } else {
            sqlite3_bind_int(ins, 2, r.v[i].a);
            sqlite3_bind_int(ins, 3, r.v[i].b);
        }
        e = tc_store_step_done(s, ins);
    }
    char detail[200];
    snprintf(detail, sizeof detail, "{\"account\":\"%s\",\"records\":\"%s\",\"rows\":%zu}", who,
             kind, r.n);
    if ((e = commit_with_event(s, e, "records_import", detail)) != TC_OK)
        goto out;
    *imported = r.n;
    if (r.kind == 0)
        e = warn_commitments(s, &r);
out:
    sqlite3_finalize(ins);
    if (r.v)
        sodium_memzero(r.v, r.cap * sizeof *r.v);
    free(r.v);
    return e;
}
