/*
 * publish.c - the issuer's side of the public register (A3: 公示, 全程记录): the tree of its
 * leaves, signed checkpoints, consistency proofs for the bundle, the static publication in the
 * C2SP tlog-tiles layout, and the 公示 of a batch.
 *
 * Every leaf is appended in the transaction of the event it records (store.c, issue.c); this
 * file only reads them. A checkpoint is signed with the publication key (endorsed for status and
 * register) over the C2SP checkpoint text; its key name is the register's origin.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

void tc_export_free(struct tc_export *x)
{
    free(x->bundle);
    free(x->checkpoint);
    free(x->delta);
    if (x->tree)
        tc_reg_tree_free(x->tree);
    free(x->tree);
    memset(x, 0, sizeof *x);
}

enum tc_err tc_register_tree(struct tc_store *s, uint64_t n, struct tc_reg_tree *t)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT idx, hash FROM register WHERE idx < ? ORDER BY idx", &q);
    if (e != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, n > INT64_MAX ? INT64_MAX : (int64_t)n);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(q, 0) != t->n || sqlite3_column_bytes(q, 1) != TC_REG_HASH) {
            tc_store_set_msg(s, "register entry %llu is missing or damaged", (unsigned long long)t->n);
            e = TC_ERR_INCONSISTENT;
            break;
        }
        if ((e = tc_reg_tree_append(t, sqlite3_column_blob(q, 1))) != TC_OK)
            break;
    }
    if (e == TC_OK && rc != SQLITE_DONE)
        e = TC_ERR_STORE;
    sqlite3_finalize(q);
    return e;
}

static bool origin_ok(const char *o)
{
    size_t n = strlen(o);
    if (n == 0 || n > TC_REG_ORIGIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)o[i] <= 0x20 || o[i] == '+' || (unsigned char)o[i] >= 0x7f)
            return false;
    return true;
}

enum tc_err tc_register_origin(struct tc_store *s, const char *given, char out[129])
{
    void *val = NULL;
    size_t len = 0;
    enum tc_err e = tc_store_meta_get(s, "register_origin", &val, &len);
    if (e == TC_OK) {
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "%s", (const char *)val);
        free(val);
        if (given && strcmp(given, out) != 0) {
            tc_store_set_msg(s, "the register is called %s: its origin never changes", out);
            return TC_ERR_INCONSISTENT;
        }
        return TC_OK;
    }
    if (e != TC_ERR_NOT_FOUND)
        return e;
    if (given)
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "%s", given);
    else
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "titlecert.invalid/register/%s",
                 tc_store_profile(s)->code);
    if (!origin_ok(out)) {
        tc_store_set_msg(s, "an origin is printable ASCII without spaces or '+', at most %d bytes",
                         TC_REG_ORIGIN_MAX);
        return TC_ERR_ARG;
    }
    return tc_store_meta_set(s, "register_origin", out, strlen(out));
}

enum tc_err tc_register_log_trust(struct tc_store *s, const uint8_t *list, size_t len,
                                  uint64_t version, int32_t day)
{
    void *val = NULL;
    size_t vlen = 0;
    uint64_t logged = 0;
    enum tc_err e = tc_store_meta_get(s, "register_trust_version", &val, &vlen);
    if (e == TC_OK) {
        logged = strtoull(val, NULL, 10);
        free(val);
    } else if (e != TC_ERR_NOT_FOUND) {
        return e;
    }
    if (version <= logged)
        return TC_OK;
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_TRUST, l.id = version, l.day = day;
    crypto_hash_sha256(l.hash, list, len);
    char vs[24];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)version);
    if ((e = tc_store_register(s, &l, NULL)) != TC_OK)
        return e;
    return tc_store_meta_set(s, "register_trust_version", vs, strlen(vs));
}

enum tc_err tc_register_sign(struct tc_store *s, const struct tc_reg_tree *t, const char *origin,
                             struct tc_signer *key, uint64_t now, char *out, size_t size,
                             size_t *len)
{
    struct tc_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    c.size = t->n;
    struct tc_reg_source src = tc_reg_tree_source((struct tc_reg_tree *)t);
    enum tc_err e = tc_reg_root(&src, t->n, c.root);
    if (e != TC_OK)
        return e;
    char body[TC_REG_NOTE_MAX];
    size_t blen = tc_checkpoint_format(&c, body, sizeof body);
    uint8_t sig[TC_SIG_MAX_BYTES];
    size_t sig_len = 0;
    if (!blen)
        return TC_ERR_BUFFER;
    /* a C2SP signed note of type 0x01 is Ed25519 */
    if (tc_signer_alg(key) != TC_ALG_ED25519)
        return TC_ERR_ALG;
    if ((e = tc_signer_sign(key, (const uint8_t *)body, blen, sig, sizeof sig, &sig_len)) != TC_OK)
        return e;
    *len = tc_note_format(body, blen, origin, tc_signer_pub(key)->pk, sig, out, size);
    if (!*len)
        return TC_ERR_BUFFER;
    sqlite3_stmt *q;
    if ((e = tc_store_prepare(s, "INSERT OR IGNORE INTO checkpoints(size, root, at, note) "
                                 "VALUES(?, ?, ?, ?)", &q)) != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, (int64_t)c.size);
    sqlite3_bind_blob(q, 2, c.root, TC_REG_HASH, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (int64_t)now);
    sqlite3_bind_text(q, 4, out, (int)*len, SQLITE_STATIC);
    e = tc_store_step_done(s, q);
    sqlite3_finalize(q);
    return e;
}

enum tc_err tc_register_proofs(struct tc_store *s, struct tc_reg_tree *t,
                               struct tc_bundle_proof **out, size_t *n_out)
{
    sqlite3_stmt *q;
    uint64_t sizes[TC_BUNDLE_PROOFS];
    size_t n = 0;
    *out = NULL, *n_out = 0;
    enum tc_err e = tc_store_prepare(s, "SELECT size FROM checkpoints WHERE size > 0 AND size < ? "
                                        "ORDER BY size DESC LIMIT ?", &q);
    if (e != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, (int64_t)t->n);
    sqlite3_bind_int(q, 2, TC_BUNDLE_PROOFS);
    while (n < TC_BUNDLE_PROOFS && sqlite3_step(q) == SQLITE_ROW)
        sizes[n++] = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    struct tc_bundle_proof *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        return TC_ERR_NOMEM;
    struct tc_reg_source src = tc_reg_tree_source(t);
    for (size_t i = 0; i < n && e == TC_OK; i++) { /* ascending sizes */
        p[i].size = sizes[n - 1 - i];
        e = tc_reg_prove_consistency(&src, p[i].size, t->n, p[i].hashes, &p[i].len);
    }
    if (e != TC_OK) {
        free(p);
        return e;
    }
    *out = p, *n_out = n;
    return TC_OK;
}

/* ---- the static publication ----------------------------------------------------------------- */

struct leaves {
    sqlite3_stmt *q;
    uint64_t next;
    uint8_t buf[TC_REG_LEAF_MAX];
};

/* leaf i, read in order (the tile writer asks for ascending indexes, skipping full bundles) */
static enum tc_err next_leaf(void *ctx, uint64_t i, const uint8_t **p, size_t *len)
{
    struct leaves *l = ctx;
    if (i != l->next) {
        sqlite3_reset(l->q);
        sqlite3_bind_int64(l->q, 1, (int64_t)i);
        l->next = i;
    }
    if (sqlite3_step(l->q) != SQLITE_ROW || (uint64_t)sqlite3_column_int64(l->q, 0) != i)
        return TC_ERR_INCONSISTENT;
    int n = sqlite3_column_bytes(l->q, 1);
    if (n < 0 || n > TC_REG_LEAF_MAX)
        return TC_ERR_SIZE_LIMIT;
    memcpy(l->buf, sqlite3_column_blob(l->q, 1), (size_t)n);
    *p = l->buf, *len = (size_t)n;
    l->next++;
    return TC_OK;
}

/* a published file: written whole (temporary name, fsync, rename), readable by the web server */
static enum tc_err write_atomic(const char *path, const void *p, size_t len, int *err)
{
    enum tc_err e = tc_file_write(path, p, len, 0644, TC_FILE_REPLACE);
    *err = e == TC_OK ? 0 : errno;
    return e;
}

enum tc_err tc_register_publish(struct tc_store *s, const char *dir, const char *checkpoint,
                                struct tc_reg_tree *tree, uint64_t *files, int *err)
{
    *files = 0, *err = 0;
    /* the size the checkpoint names: the leaves after it (another export since) wait for theirs */
    const char *nl1 = strchr(checkpoint, '\n');
    uint64_t n = nl1 ? strtoull(nl1 + 1, NULL, 10) : 0;
    struct tc_reg_tree own, *t = &own;
    tc_reg_tree_init(&own);
    enum tc_err e = TC_OK;
    if (tree && tree->n == n)
        t = tree; /* the export's */
    else
        e = tc_register_tree(s, n, &own);
    if (e == TC_OK && t->n != n)
        e = TC_ERR_INCONSISTENT;
    if (e == TC_OK && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *err = errno;
        e = TC_ERR_IO;
    }
    struct leaves l;
    memset(&l, 0, sizeof l);
    if (e == TC_OK &&
        (e = tc_store_prepare(s, "SELECT idx, leaf FROM register WHERE idx >= ? ORDER BY idx",
                              &l.q)) == TC_OK) {
        sqlite3_bind_int64(l.q, 1, 0);
        e = tc_tiles_write(dir, t, next_leaf, &l, files, err);
        sqlite3_finalize(l.q);
    }
    tc_reg_tree_free(&own);
    if (e != TC_OK)
        return e;
    /* the tiles reach the disk before the checkpoint that names them */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        syncfs(dfd);
        close(dfd);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if ((e = write_atomic(path, checkpoint, strlen(checkpoint), err)) == TC_OK)
        (*files)++;
    return e;
}

/* ---- 公示 ---------------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s, bool last)
{
    fputc('"', f);
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

struct row {
    struct tc_claims c;
    char unit[192], title[96], scope[192];
};

/* the day `days` working days (Monday to Friday; public holidays are not known here) after day */
static int32_t working_days_after(int32_t day, int days)
{
    while (days > 0) {
        day++;
        int wd = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
        if (wd < 5)
            days--;
    }
    return day;
}

enum tc_err tc_gongshi_publish(struct tc_store *s, int64_t batch, const char *dir, int days,
                               uint64_t now, int *err)
{
    *err = 0;
    uint64_t *ids;
    size_t n;
    enum tc_err e = tc_batch_certs(s, batch, &ids, &n);
    if (e != TC_OK)
        return e;
    struct row *rows = calloc(n, sizeof *rows);
    sqlite3_stmt *unit = NULL;
    if (!rows) {
        free(ids);
        return TC_ERR_NOMEM;
    }
    const struct tc_profile *p = tc_store_profile(s);
    e = tc_store_prepare(s, "SELECT name FROM units WHERE uscc = ? ORDER BY valid_from DESC LIMIT 1", &unit);
    for (size_t i = 0; e == TC_OK && i < n; i++) {
        struct tc_cert_row cr;
        struct tc_cert cert;
        if ((e = tc_cert_get(s, ids[i], &cr)) != TC_OK ||
            (e = tc_cert_decode(cr.payload, cr.payload_len, &cert, NULL)) != TC_OK)
            break;
        rows[i].c = cert.claims;
        sqlite3_bind_text(unit, 1, cert.claims.employer, -1, SQLITE_STATIC);
        snprintf(rows[i].unit, sizeof rows[i].unit, "%s",
                 sqlite3_step(unit) == SQLITE_ROW ? (const char *)sqlite3_column_text(unit, 0)
                                                  : cert.claims.employer);
        sqlite3_reset(unit);
        const struct tc_title *t = tc_title_lookup(cert.claims.series, cert.claims.level,
                                                   cert.claims.title_variant);
        snprintf(rows[i].title, sizeof rows[i].title, "%s", t ? t->title : "");
        if (cert.claims.track == TC_TRACK_BASIC) {
            char en[192];
            tc_scope_words(&cert.claims.scope, p->name, p->name_en, rows[i].scope,
                           sizeof rows[i].scope, en, sizeof en);
        } else {
            snprintf(rows[i].scope, sizeof rows[i].scope, "全省范围有效");
        }
    }
    sqlite3_finalize(unit);
    free(ids);
    char base[PATH_MAX], path[PATH_MAX + 8], from[11], to[11];
    int32_t today = tc_beijing_day(now);
    tc_day_format(from, today);
    tc_day_format(to, working_days_after(today, days));
    snprintf(base, sizeof base, "%s/gongshi-%lld", dir, (long long)batch);
    char *json = NULL, *csv = NULL, *html = NULL;
    size_t json_len = 0, csv_len = 0, html_len = 0;
    FILE *fj = NULL, *fc = NULL, *fh = NULL;
    if (e == TC_OK && (!(fj = open_memstream(&json, &json_len)) ||
                       !(fc = open_memstream(&csv, &csv_len)) ||
                       !(fh = open_memstream(&html, &html_len))))
        e = TC_ERR_NOMEM;
    if (e == TC_OK) {
        /* JSON: the canonical document; its hash is the register's publication leaf */
        fprintf(fj, "{\"batch\":%lld,\"province\":", (long long)batch);
        json_text(fj, p->name);
        fprintf(fj, ",\"from\":\"%s\",\"to\":\"%s\",\"groups\":[", from, to);
        fprintf(fc, "\xef\xbb\xbf"); /* a BOM: spreadsheet programs then read the CSV as UTF-8 */
        csv_field(fc, "类别", false), csv_field(fc, "证书编号", false), csv_field(fc, "姓名", false);
        csv_field(fc, "单位", false), csv_field(fc, "系列", false), csv_field(fc, "专业", false);
        csv_field(fc, "级别", false), csv_field(fc, "职称", false), csv_field(fc, "类型", false);
        csv_field(fc, "适用范围", false), csv_field(fc, "取得方式", true);
        fprintf(fh, "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>职称评审结果公示（批次 %lld）</title><style>body{font-family:sans-serif;"
                    "margin:2em;max-width:72em}table{border-collapse:collapse;width:100%%}"
                    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left}"
                    "caption{font-weight:bold;text-align:left;margin:1em 0 .3em}</style></head>"
                    "<body><h1>",
                (long long)batch);
        html_text(fh, p->name);
        fprintf(fh, "职称评审结果公示</h1>\n<p>批次 %lld。公示期：%s 至 %s（%d 个工作日）。"
                    "对公示结果有异议的，请在公示期内向组建评审委员会的单位反映。</p>\n",
                (long long)batch, from, to, days);
        for (int g = 0; g < 3; g++) {
            size_t count = 0;
            for (size_t i = 0; i < n; i++)
                count += group_of(rows[i].c.method) == g;
            fprintf(fj, "%s{\"group\":", g ? "," : "");
            json_text(fj, group_zh[g]);
            fprintf(fj, ",\"persons\":[");
            if (count)
                fprintf(fh, "<table><caption>%s（%zu 人）</caption><thead><tr><th>证书编号</th>"
                            "<th>姓名</th><th>单位</th><th>系列</th><th>专业</th><th>级别</th>"
                            "<th>职称</th><th>类型</th><th>适用范围</th><th>取得方式</th></tr>"
                            "</thead><tbody>\n", group_zh[g], count);
            bool first = true;
            for (size_t i = 0; i < n; i++) {
                const struct row *r = &rows[i];
                if (group_of(r->c.method) != g)
                    continue;
                const struct tc_title *t = tc_title_lookup(r->c.series, r->c.level, r->c.title_variant);
                const char *series = t ? t->series_name : "";
                char idbuf[24];
                snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)r->c.id);
                const char *f[10] = {idbuf, r->c.name, r->unit, series, r->c.specialty,
                                     tc_level_name_zh(r->c.level), r->title,
                                     tc_track_name_zh(r->c.track), r->scope,
                                     tc_method_name_zh(r->c.method)};
                static const char *const keys[10] = {"id", "name", "unit", "series", "specialty",
                                                     "level", "title", "track", "scope", "method"};
                fprintf(fj, "%s{", first ? "" : ",");
                first = false;
                csv_field(fc, group_zh[g], false);
                fputs("<tr>", fh);
                for (int k = 0; k < 10; k++) {
                    fprintf(fj, "%s\"%s\":", k ? "," : "", keys[k]);
                    if (k == 0)
                        fputs(idbuf, fj);
                    else
                        json_text(fj, f[k]);
                    csv_field(fc, f[k], k == 9);
                    fputs("<td>", fh);
                    html_text(fh, f[k]);
                    fputs("</td>", fh);
                }
                fputs("}", fj);
                fputs("</tr>\n", fh);
            }
            fputs("]}", fj);
            if (count)
                fputs("</tbody></table>\n", fh);
        }
        fputs("]}\n", fj);
        fprintf(fh, "<p>每张证书均登记于公共登记册（透明日志）；登记册的本次公示条目记录本文件"
                    "JSON 版本（gongshi-%lld.json）的 SHA-256 摘要。</p></body></html>\n",
                (long long)batch);
    }
    if (fj)
        fclose(fj);
    if (fc)
        fclose(fc);
    if (fh)
        fclose(fh);
    if (e == TC_OK && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *err = errno;
        e = TC_ERR_IO;
    }
    if (e == TC_OK) {
        snprintf(path, sizeof path, "%s.json", base);
        e = write_atomic(path, json, json_len, err);
    }
    if (e == TC_OK) {
        snprintf(path, sizeof path, "%s.csv", base);
        e = write_atomic(path, csv, csv_len, err);
    }
    if (e == TC_OK) {
        snprintf(path, sizeof path, "%s.html", base);
        e = write_atomic(path, html, html_len, err);
    }
    /* the publication leaf, unless this very document is logged already */
    if (e == TC_OK) {
        struct tc_reg_leaf l;
        memset(&l, 0, sizeof l);
        l.kind = TC_REG_PUBLICATION, l.id = (uint64_t)batch, l.day = today;
        crypto_hash_sha256(l.hash, (const uint8_t *)json, json_len);
        uint8_t enc[TC_REG_LEAF_MAX];
        size_t enc_len;
        sqlite3_stmt *q = NULL;
        bool logged = false;
        if ((e = tc_reg_leaf_encode(&l, enc, &enc_len)) == TC_OK &&
            (e = tc_store_prepare(s, "SELECT 1 FROM register WHERE leaf = ?", &q)) == TC_OK) {
            sqlite3_bind_blob(q, 1, enc, (int)enc_len, SQLITE_STATIC);
            logged = sqlite3_step(q) == SQLITE_ROW;
            sqlite3_finalize(q);
        }
        if (e == TC_OK && !logged) {
            if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) == TC_OK) {
                char detail[96];
                sqlite3_stmt *ev = NULL;
                snprintf(detail, sizeof detail, "{\"batch\":%lld,\"persons\":%zu}", (long long)batch, n);
                if ((e = tc_store_register(s, &l, NULL)) == TC_OK &&
                    (e = tc_store_event(s, &ev, (int64_t)now, "gongshi", 0, detail)) == TC_OK)
                    e = tc_store_exec(s, "COMMIT");
                sqlite3_finalize(ev);
                if (e != TC_OK) {
                    tc_store_exec(s, "ROLLBACK");
                    tc_store_reload_head(s);
                }
            }
        }
    }
    free(json);
    free(csv);
    free(html);
    free(rows);
    return e;
}
