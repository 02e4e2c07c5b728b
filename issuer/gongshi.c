/*
 * gongshi.c - the 公示 of a batch (A3, GS §9(三)6-7): the announcement of a committee's results,
 * review-passed and assessment-recognised persons listed apart, as DIR/gongshi-<batch>.json (the
 * canonical document: its SHA-256 is the register's publication leaf), .csv (for spreadsheets,
 * with a BOM so they read UTF-8) and .html (to post on the department's site).
 *
 * The HTML is one self-contained page (its style in the file): who publishes it and how to reach
 * them (the profile's operator and contact), the day of publication, the period in working days,
 * the committees and their decision references, then each group as a table on a desk and as
 * cards on a phone. It carries more than the JSON, whose bytes are what the register logs and
 * do not change with the page.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "register.h"

/* A CSV cell. One that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
 * carriage return: OWASP's CSV-injection rule) gets a leading apostrophe, so a name such as
 * "=HYPERLINK(...)" shows as text; the HTML and JSON keep the data exactly as it is. */
static void csv_field(FILE *f, const char *s, bool last)
{
    fputc('"', f);
    if (*s && strchr("=+-@\t\r", *s))
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputs(last ? "\"\r\n" : "\",", f);
}

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

static void json_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* GS §9(三)7: review-passed and assessment-recognised persons are announced separately */
static int group_of(uint8_t method)
{
    switch (method) {
    case TC_METHOD_ASSESSMENT:
    case TC_METHOD_DIRECT:
        return 1; /* 考核认定 */
    case TC_METHOD_CONVERSION:
    case TC_METHOD_REEVALUATION:
        return 2; /* 换发, 转评 */
    default:
        return 0; /* 评审 (incl. 以考代评, 破格) */
    }
}
static const char *const group_zh[3] = {"评审通过人员", "考核认定人员", "换发、转评人员"};
#define COLUMNS 10
static const char *const columns_zh[COLUMNS] = {"证书编号", "姓名", "单位", "系列", "专业",
                                                "级别", "职称", "类型", "适用范围", "取得方式"};
static const char *const columns_json[COLUMNS] = {"id", "name", "unit", "series", "specialty",
                                                  "level", "title", "track", "scope", "method"};

struct row {
    struct tc_claims c;
    char id[24], unit[192], title[96], scope[192];
    const char *f[COLUMNS]; /* the columns, in the order above */
};

/* A person of the batch as a row of the announcement: number is the certificate's, or before
 * issuance the line of the results. */
static void fill_row(struct tc_store *s, sqlite3_stmt *unit, const struct tc_claims *claims,
                     uint64_t number, struct row *r)
{
    const struct tc_profile *p = tc_store_profile(s);
    const struct tc_claims *c = &r->c;
    r->c = *claims;
    sqlite3_bind_text(unit, 1, c->employer, -1, SQLITE_STATIC);
    snprintf(r->unit, sizeof r->unit, "%s",
             sqlite3_step(unit) == SQLITE_ROW ? (const char *)sqlite3_column_text(unit, 0)
                                              : c->employer);
    sqlite3_reset(unit);
    const struct tc_title *t = tc_title_lookup(c->series, c->level, c->title_variant);
    snprintf(r->title, sizeof r->title, "%s", t ? t->title : "");
    if (c->track == TC_TRACK_BASIC) {
        char en[192];
        tc_scope_words(&c->scope, p->name, p->name_en, r->scope, sizeof r->scope, en, sizeof en);
    } else {
        snprintf(r->scope, sizeof r->scope, "全省范围有效");
    }
    snprintf(r->id, sizeof r->id, "%llu", (unsigned long long)number);
    const char *f[COLUMNS] = {r->id, c->name, r->unit, t ? t->series_name : "", c->specialty,
                              tc_level_name_zh(c->level), r->title, tc_track_name_zh(c->track),
                              r->scope, tc_method_name_zh(c->method)};
    memcpy(r->f, f, sizeof f);
}

/* A certificate of the batch as a row of the announcement. */
static enum tc_err read_row(struct tc_store *s, sqlite3_stmt *unit, uint64_t id, struct row *r)
{
    struct tc_cert_row cr;
    struct tc_cert cert;
    enum tc_err e;
    if ((e = tc_cert_get(s, id, &cr)) != TC_OK ||
        (e = tc_cert_decode(cr.payload, cr.payload_len, &cert, NULL)) != TC_OK)
        return e;
    fill_row(s, unit, &cert.claims, cert.claims.id, r);
    return TC_OK;
}

static enum tc_err read_rows(struct tc_store *s, int64_t batch, struct row **rows, size_t *n)
{
    uint64_t *ids;
    enum tc_err e = tc_batch_certs(s, batch, &ids, n);
    if (e != TC_OK)
        return e;
    sqlite3_stmt *unit = NULL;
    if (!(*rows = calloc(*n, sizeof **rows)))
        e = TC_ERR_NOMEM;
    else
        e = tc_store_prepare(s, "SELECT name FROM units WHERE uscc = ? ORDER BY valid_from DESC "
                                "LIMIT 1", &unit);
    for (size_t i = 0; e == TC_OK && i < *n; i++)
        e = read_row(s, unit, ids[i], &(*rows)[i]);
    sqlite3_finalize(unit);
    free(ids);
    return e;
}

#define DECISIONS_MAX 16 /* decision references (文号) named on the page; more are "等" */

struct announcement {
    int64_t batch;
    const char *province;
    char from[11], to[11];
    int days;
    const struct row *rows;
    size_t n;
    /* for the HTML only: who publishes, how to reach them, and the committees' decisions */
    const char *publisher, *contact;
    char decisions[DECISIONS_MAX][TC_APPROVAL_MAX + 1];
    size_t n_decisions;
    bool more_decisions;
};

/* The committees' decision references (文号) of the batch, distinct and in order: from the
 * certificates of an issued batch (workflow false), or from the rows of a workflow batch before
 * issuance. What the store cannot give leaves the list empty; the page then names none. */
static void read_decisions(struct tc_store *s, int64_t batch, bool workflow,
                           struct announcement *a)
{
    sqlite3_stmt *q = NULL;
    const char *sql = workflow ? "SELECT DISTINCT json_extract(row, '$.approval') AS d FROM "
                                 "wf_rows WHERE batch = ? AND dropped = 0 AND d IS NOT NULL "
                                 "ORDER BY d"
                               : "SELECT DISTINCT approval FROM certificates WHERE batch = ? "
                                 "AND approval IS NOT NULL ORDER BY approval";
    if (tc_store_query(s, &q, sql, "i", batch) != TC_OK)
        return;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(q, 0);
        if (!d || !*d || strlen(d) > TC_APPROVAL_MAX)
            continue;
        if (a->n_decisions == DECISIONS_MAX) {
            a->more_decisions = true;
            break;
        }
        memcpy(a->decisions[a->n_decisions++], d, strlen(d) + 1);
    }
    sqlite3_finalize(q);
}

/* Publisher and contact from the profile: its operator (the provincial HR department), else
 * the province's name. */
static void who_publishes(struct tc_store *s, struct announcement *a)
{
    const struct tc_profile *p = tc_store_profile(s);
    a->publisher = p->operator_zh[0] ? p->operator_zh : p->name;
    a->contact = p->contact_zh;
}

/* JSON: the canonical document; its hash is the register's publication leaf */
static void write_json(FILE *f, const struct announcement *a)
{
    fprintf(f, "{\"batch\":%lld,\"province\":", (long long)a->batch);
    json_text(f, a->province);
    fprintf(f, ",\"from\":\"%s\",\"to\":\"%s\",\"groups\":[", a->from, a->to);
    for (int g = 0; g < 3; g++) {
        fprintf(f, "%s{\"group\":", g ? "," : "");
        json_text(f, group_zh[g]);
        fprintf(f, ",\"persons\":[");
        bool first = true;
        for (size_t i = 0; i < a->n; i++) {
            if (group_of(a->rows[i].c.method) != g)
                continue;
            fprintf(f, "%s{", first ? "" : ",");
            first = false;
            for (int k = 0; k < COLUMNS; k++) {
                fprintf(f, "%s\"%s\":", k ? "," : "", columns_json[k]);
                if (k == 0)
                    fputs(a->rows[i].f[k], f);
                else
                    json_text(f, a->rows[i].f[k]);
            }
            fputs("}", f);
        }
        fputs("]}", f);
    }
    fputs("]}\n", f);
}

static void write_csv(FILE *f, const struct announcement *a)
{
    fprintf(f, "\xef\xbb\xbf"); /* a BOM: spreadsheet programs then read the CSV as UTF-8 */
    csv_field(f, "类别", false);
    for (int k = 0; k < COLUMNS; k++)
        csv_field(f, columns_zh[k], k == COLUMNS - 1);
    for (int g = 0; g < 3; g++)
        for (size_t i = 0; i < a->n; i++) {
            if (group_of(a->rows[i].c.method) != g)
                continue;
            csv_field(f, group_zh[g], false);
            for (int k = 0; k < COLUMNS; k++)
                csv_field(f, a->rows[i].f[k], k == COLUMNS - 1);
        }
}

/* The page's style: a table on a desk, cards on a phone (one list per group, the same rows), in
 * the file itself: the page is posted as it is, with nothing beside it. */
static const char html_style[] =
    "body{font-family:system-ui,\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:0;"
    "color:#1a1a1a;background:#fff;line-height:1.6}"
    "header,main,footer{max-width:72em;margin:0 auto;padding:0 1em}"
    "header{border-bottom:3px solid #b00;padding-top:1em}h1{font-size:1.5em;margin:.3em 0}"
    "h2{font-size:1.15em;margin:1.4em 0 .4em}"
    ".meta{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:1em 0}"
    ".meta dt{font-weight:bold}.meta dd{margin:0}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #888;padding:.3em .5em;"
    "text-align:left;vertical-align:top}thead th{background:#eee}"
    ".cards{list-style:none;margin:0;padding:0}.card{border:1px solid #888;border-radius:.4em;"
    "padding:.6em .8em;margin:0 0 .8em}.card h3{font-size:1.05em;margin:0 0 .3em}"
    ".card dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:0}"
    ".card dt{color:#444}.card dd{margin:0;overflow-wrap:anywhere}"
    "td:nth-child(-n+2){white-space:nowrap}caption{position:absolute;width:1px;height:1px;"
    "overflow:hidden;clip:rect(0 0 0 0)}"
    "footer{border-top:1px solid #888;margin-top:2em;padding-bottom:2em}footer p{font-size:.95em}"
    "@media (min-width:48em){.cards{display:none}}"
    "@media (max-width:47.99em){.table-wrap{display:none}.meta{grid-template-columns:1fr}"
    ".meta dd{margin-bottom:.4em}}"
    "@media print{.cards{display:none}.table-wrap{display:block}}";

static size_t group_count(const struct announcement *a, int g)
{
    size_t count = 0;
    for (size_t i = 0; i < a->n; i++)
        count += group_of(a->rows[i].c.method) == g;
    return count;
}

static void html_table(FILE *f, const struct announcement *a, int g, size_t count)
{
    fprintf(f, "<div class=\"table-wrap\"><table><caption>%s（%zu 人）</caption><thead><tr>",
            group_zh[g], count);
    for (int k = 0; k < COLUMNS; k++)
        fprintf(f, "<th scope=\"col\">%s</th>", columns_zh[k]);
    fputs("</tr></thead><tbody>\n", f);
    for (size_t i = 0; i < a->n; i++) {
        if (group_of(a->rows[i].c.method) != g)
            continue;
        fputs("<tr>", f);
        for (int k = 0; k < COLUMNS; k++) {
            fputs("<td>", f);
            html_text(f, a->rows[i].f[k]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

/* the same rows as cards: the name as each card's heading, the other columns as a list */
static void html_cards(FILE *f, const struct announcement *a, int g)
{
    fputs("<ul class=\"cards\">\n", f);
    for (size_t i = 0; i < a->n; i++) {
        if (group_of(a->rows[i].c.method) != g)
            continue;
        fputs("<li class=\"card\"><h3>", f);
        html_text(f, a->rows[i].f[1]);
        fputs("</h3><dl>", f);
        for (int k = 0; k < COLUMNS; k++) {
            if (k == 1)
                continue;
            fprintf(f, "<dt>%s</dt><dd>", columns_zh[k]);
            html_text(f, a->rows[i].f[k]);
            fputs("</dd>", f);
        }
        fputs("</dl></li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void write_html_group(FILE *f, const struct announcement *a, int g)
{
    size_t count = group_count(a, g);
    if (!count)
        return;
    fprintf(f, "<section aria-labelledby=\"g%d\"><h2 id=\"g%d\">%s（%zu 人）</h2>\n", g, g,
            group_zh[g], count);
    html_table(f, a, g, count);
    html_cards(f, a, g);
    fputs("</section>\n", f);
}

/* 发布单位, 发布日期, 公示期, 评审委员会, 评审决定文号, 联系方式 */
static void html_meta(FILE *f, const struct announcement *a)
{
    fputs("<dl class=\"meta\"><dt>发布单位</dt><dd>", f);
    html_text(f, a->publisher);
    fprintf(f, "</dd><dt>发布日期</dt><dd>%s</dd><dt>公示期</dt><dd>%s 至 %s（%d 个工作日）</dd>"
               "<dt>评审委员会</dt><dd>",
            a->from, a->from, a->to, a->days);
    uint16_t seen[64];
    size_t n_seen = 0;
    for (size_t i = 0; i < a->n && n_seen < sizeof seen / sizeof seen[0]; i++) {
        uint16_t c = a->rows[i].c.committee;
        bool dup = false;
        for (size_t k = 0; k < n_seen; k++)
            dup = dup || seen[k] == c;
        if (!dup)
            fprintf(f, "%s备案号 %u", n_seen ? "；" : "", c), seen[n_seen++] = c;
    }
    fputs(n_seen ? "</dd>" : "—</dd>", f);
    fputs("<dt>评审决定文号</dt><dd>", f);
    for (size_t i = 0; i < a->n_decisions; i++) {
        fputs(i ? "；" : "", f);
        html_text(f, a->decisions[i]);
    }
    fputs(a->more_decisions ? "等</dd>" : a->n_decisions ? "</dd>" : "—</dd>", f);
    if (a->contact && *a->contact) {
        fputs("<dt>联系方式</dt><dd>", f);
        html_text(f, a->contact);
        fputs("</dd>", f);
    }
    fputs("</dl>\n", f);
}

static void write_html(FILE *f, const struct announcement *a)
{
    fprintf(f, "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>职称评审结果公示（批次 %lld）</title><style>%s</style></head><body>\n"
               "<header><h1>",
            (long long)a->batch, html_style);
    html_text(f, a->province);
    fprintf(f, "职称评审结果公示</h1><p>批次 %lld</p></header>\n<main>\n", (long long)a->batch);
    html_meta(f, a);
    fprintf(f, "<p>公示期：%s 至 %s（%d 个工作日）。对公示结果有异议的，请在公示期内向组建评审"
               "委员会的单位反映。",
            a->from, a->to, a->days);
    if (a->contact && *a->contact) {
        fputs("联系方式：", f);
        html_text(f, a->contact);
    }
    fputs("</p>\n", f);
    for (int g = 0; g < 3; g++)
        write_html_group(f, a, g);
    fputs("</main>\n<footer><p>发布单位：", f);
    html_text(f, a->publisher);
    if (a->contact && *a->contact) {
        fputs("　联系方式：", f);
        html_text(f, a->contact);
    }
    fprintf(f, "</p><p>每张证书均登记于公共登记册（透明日志）；登记册的本次公示条目记录本文件"
               "JSON 版本（gongshi-%lld.json）的 SHA-256 摘要。</p></footer></body></html>\n",
            (long long)a->batch);
}

/* One of the three files, made in memory by write() and written whole. */
static enum tc_err write_file(const char *dir, int64_t batch, const char *ext,
                              void (*write)(FILE *, const struct announcement *),
                              const struct announcement *a, uint8_t json_sum[32], int *err)
{
    char *buf = NULL, path[PATH_MAX];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return TC_ERR_NOMEM;
    write(f, a);
    if (fclose(f) != 0) {
        free(buf);
        return TC_ERR_NOMEM;
    }
    if (json_sum)
        crypto_hash_sha256(json_sum, (const uint8_t *)buf, len);
    snprintf(path, sizeof path, "%s/gongshi-%lld.%s", dir, (long long)batch, ext);
    enum tc_err e = tc_file_write(path, buf, len, 0644, TC_FILE_REPLACE);
    *err = e == TC_OK ? 0 : errno;
    free(buf);
    return e;
}

/* The publication leaf and its event, unless this very document is logged already. */
static enum tc_err log_leaf(struct tc_store *s, const struct tc_reg_leaf *l, size_t persons,
                            uint64_t now)
{
    uint8_t enc[TC_REG_LEAF_MAX];
    size_t enc_len;
    sqlite3_stmt *q = NULL, *ev = NULL;
    bool logged = false;
    enum tc_err e;
    if ((e = tc_reg_leaf_encode(l, enc, &enc_len)) != TC_OK ||
        (e = tc_store_query(s, &q, "SELECT 1 FROM register WHERE leaf = ?", "b", enc, enc_len)) !=
            TC_OK)
        return e;
    logged = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (logged || (e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        return e;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"batch\":%llu,\"persons\":%zu}", (unsigned long long)l->id,
             persons);
    if ((e = tc_store_register(s, l, NULL)) == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "gongshi", 0, detail);
    sqlite3_finalize(ev);
    return tc_store_end(s, e);
}

static enum tc_err write_files(const char *dir, const struct announcement *a, uint8_t sum[32],
                               int *err)
{
    enum tc_err e = TC_OK;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *err = errno;
        return TC_ERR_IO;
    }
    if ((e = write_file(dir, a->batch, "json", write_json, a, sum, err)) == TC_OK &&
        (e = write_file(dir, a->batch, "csv", write_csv, a, NULL, err)) == TC_OK)
        e = write_file(dir, a->batch, "html", write_html, a, NULL, err);
    return e;
}

enum tc_err tc_gongshi_write(struct tc_store *s, int64_t batch, const struct tc_claims *claims,
                             const uint64_t *numbers, size_t n, int32_t from, int32_t to,
                             int days, const char *dir, uint8_t json_sha256[32], int *err)
{
    *err = 0;
    struct announcement a = {.batch = batch, .province = tc_store_profile(s)->name, .days = days,
                             .n = n};
    who_publishes(s, &a);
    read_decisions(s, batch, true, &a);
    struct row *rows = calloc(n ? n : 1, sizeof *rows);
    sqlite3_stmt *unit = NULL;
    enum tc_err e = rows ? tc_store_prepare(s, "SELECT name FROM units WHERE uscc = ? ORDER BY "
                                               "valid_from DESC LIMIT 1", &unit)
                         : TC_ERR_NOMEM;
    for (size_t i = 0; e == TC_OK && i < n; i++)
        fill_row(s, unit, &claims[i], numbers[i], &rows[i]);
    sqlite3_finalize(unit);
    a.rows = rows;
    tc_day_format(a.from, from);
    tc_day_format(a.to, to);
    if (e == TC_OK)
        e = write_files(dir, &a, json_sha256, err);
    free(rows);
    return e;
}

enum tc_err tc_gongshi_publish(struct tc_store *s, int64_t batch, const char *dir, int days,
                               uint64_t now, int *err, char *why, size_t why_size)
{
    *err = 0;
    struct row *rows = NULL;
    struct announcement a = {.batch = batch, .province = tc_store_profile(s)->name, .days = days};
    who_publishes(s, &a);
    read_decisions(s, batch, false, &a);
    int32_t today = tc_beijing_day(now), to = 0;
    enum tc_err e = tc_store_period(s, today, days, &to, why, why_size);
    if (e == TC_OK)
        e = read_rows(s, batch, &rows, &a.n);
    a.rows = rows;
    tc_day_format(a.from, today);
    tc_day_format(a.to, to);
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_PUBLICATION, l.id = (uint64_t)batch, l.day = today;
    if (e == TC_OK && (e = write_files(dir, &a, l.hash, err)) == TC_OK)
        e = log_leaf(s, &l, a.n, now);
    free(rows);
    return e;
}
