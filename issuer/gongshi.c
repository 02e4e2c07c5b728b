/*
 * gongshi.c - the 公示 of a batch (A3, GS §9(三)6-7): the announcement of a committee's results,
 * review-passed and assessment-recognised persons listed apart, as DIR/gongshi-<batch>.json (the
 * canonical document: its SHA-256 is the register's publication leaf), .csv (for spreadsheets,
 * with a BOM so they read UTF-8) and .html (to post on the department's site).
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

struct announcement {
    int64_t batch;
    const char *province;
    char from[11], to[11];
    int days;
    const struct row *rows;
    size_t n;
};

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

static void write_html_group(FILE *f, const struct announcement *a, int g)
{
    size_t count = 0;
    for (size_t i = 0; i < a->n; i++)
        count += group_of(a->rows[i].c.method) == g;
    if (!count)
        return;
    fprintf(f, "<table><caption>%s（%zu 人）</caption><thead><tr>", group_zh[g], count);
    for (int k = 0; k < COLUMNS; k++)
        fprintf(f, "<th>%s</th>", columns_zh[k]);
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
    fputs("</tbody></table>\n", f);
}

static void write_html(FILE *f, const struct announcement *a)
{
    fprintf(f, "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>职称评审结果公示（批次 %lld）</title><style>body{font-family:sans-serif;"
               "margin:2em;max-width:72em}table{border-collapse:collapse;width:100%%}"
               "th,td{border:1px solid #999;padding:.3em .5em;text-align:left}"
               "caption{font-weight:bold;text-align:left;margin:1em 0 .3em}</style></head>"
               "<body><h1>",
            (long long)a->batch);
    html_text(f, a->province);
    fprintf(f, "职称评审结果公示</h1>\n<p>批次 %lld。公示期：%s 至 %s（%d 个工作日）。"
               "对公示结果有异议的，请在公示期内向组建评审委员会的单位反映。</p>\n",
            (long long)a->batch, a->from, a->to, a->days);
    for (int g = 0; g < 3; g++)
        write_html_group(f, a, g);
    fprintf(f, "<p>每张证书均登记于公共登记册（透明日志）；登记册的本次公示条目记录本文件"
               "JSON 版本（gongshi-%lld.json）的 SHA-256 摘要。</p></body></html>\n",
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
        (e = tc_store_prepare(s, "SELECT 1 FROM register WHERE leaf = ?", &q)) != TC_OK)
        return e;
    sqlite3_bind_blob(q, 1, enc, (int)enc_len, SQLITE_STATIC);
    logged = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (logged || (e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        return e;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"batch\":%llu,\"persons\":%zu}", (unsigned long long)l->id,
             persons);
    if ((e = tc_store_register(s, l, NULL)) == TC_OK &&
        (e = tc_store_event(s, &ev, (int64_t)now, "gongshi", 0, detail)) == TC_OK)
        e = tc_store_exec(s, "COMMIT");
    sqlite3_finalize(ev);
    if (e != TC_OK) {
        tc_store_exec(s, "ROLLBACK");
        tc_store_reload_head(s);
    }
    return e;
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
