/*
 * workflow.c - a batch's life as departments run it (ISSUANCE.md "A batch's life"): results are
 * prepared by a clerk, publicised (公示) for the profile's working days, objections recorded and
 * resolved, approved by an approver who did not prepare them, bound to the SHA-256 of the exact
 * rows, and only then signed, by the signer, which checks it all again from the store. A
 * revocation is proposed, approved and signed the same way, without a 公示.
 *
 * Rows are kept as canonical JSON (sorted keys, no spaces) without the full ID number: the
 * holder is its keyed hash and mask. The rows' hash is SHA-256 over "line\trow\n" of every row
 * still in the batch, in line order; an objection upheld drops a row and so changes it. Any edit
 * after the 公示 voids the 公示 and the approval. Every transition is an audit event naming the
 * account, its role and the batch; the 公示 and the signing are register entries.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "register.h"

#define WHY(...) (snprintf(why, why_size, __VA_ARGS__), TC_ERR_REFUSED)

/* ---- the store's settings ------------------------------------------------------------------- */

static bool meta_flag(struct tc_store *s, const char *key)
{
    void *v = NULL;
    size_t n = 0;
    bool on = tc_store_meta_get(s, key, &v, &n) == TC_OK && n == 1 && *(char *)v == '1';
    free(v);
    return on;
}

bool tc_store_workflow(struct tc_store *s)
{
    return meta_flag(s, "workflow");
}

bool tc_store_demo(struct tc_store *s)
{
    return meta_flag(s, "demo");
}

/* TITLECERT_DEMO_TODAY: the day a demo store takes for today (Beijing time), at the time of day
 * it is; a way to run a demonstration inside the years the working-day calendar holds. The
 * offset in seconds to add to now; 0 when unset or not a date from 2000 to 2099. */
static int64_t demo_today(uint64_t now)
{
    const char *d = getenv("TITLECERT_DEMO_TODAY");
    int32_t day, lo, hi;
    if (!d || !tc_day_parse(&day, d) || !tc_day_index(&lo, 2000, 1, 1) ||
        !tc_day_index(&hi, 2099, 12, 31) || day < lo || day > hi)
        return 0;
    return ((int64_t)day - tc_beijing_day(now)) * 86400;
}

uint64_t tc_store_clock(struct tc_store *s, uint64_t now)
{
    /* a demo store runs on a clock set back or forward by TITLECERT_DEMO_CLOCK days (from
     * TITLECERT_DEMO_TODAY when that is set), so that a 公示 period can be shown passing; a real
     * store never honours either */
    if (!tc_store_demo(s))
        return now;
    now = (uint64_t)((int64_t)now + demo_today(now));
    const char *shift = getenv("TITLECERT_DEMO_CLOCK");
    if (!shift || !*shift)
        return now;
    char buf[16] = "";
    if (*shift == '@') { /* "@FILE": the days in a file, read each time, so that a running
                          * console and signer follow a demonstration day by day */
        FILE *f = fopen(shift + 1, "r");
        if (!f)
            return now;
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        shift = buf;
    }
    char *end;
    long days = strtol(shift, &end, 10);
    if (*end || days < -400 || days > 400)
        return now;
    return (uint64_t)((int64_t)now + (int64_t)days * 86400);
}

/* ---- rows ----------------------------------------------------------------------------------- */

/* A row's canonical text (members sorted, no spaces): what the rows' hash is taken over. Takes
 * the reference to o. */
static char *canonical(json_t *o)
{
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return t;
}

/* A request as a canonical JSON row (without the ID number: its keyed hash and mask). */
static char *row_encode(const struct tc_issue_request *q, const uint8_t holder[32])
{
    const struct tc_claims *c = &q->claims;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, holder, 32);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:i,s:s,s:I}",
                          "line", (json_int_t)q->line, "name", c->name, "mask", c->id_mask,
                          "holder", hex, "series", c->series, "specialty", c->specialty, "level",
                          c->level, "variant", c->title_variant, "track", c->track, "method",
                          c->method, "eval_year", c->eval_year, "obtained", c->obtained_day,
                          "tenure", c->tenure_month, "employer", c->employer, "committee",
                          c->committee, "approval", q->approval, "achievement",
                          (json_int_t)q->achievement);
    if (o && q->scope_given)
        json_object_set_new(o, "scope", json_pack("{s:I,s:i,s:s}", "region",
                                                  (json_int_t)c->scope.region, "tier",
                                                  c->scope.tier, "unit",
                                                  c->scope.has_unit ? c->scope.unit : ""));
    return canonical(o);
}

static bool text_into(json_t *o, const char *key, char *dst, size_t size)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v || strlen(v) >= size)
        return false;
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

static int64_t int_of(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The request a row stands for; false when the row is not one this module wrote. */
static bool row_decode(const char *text, struct tc_issue_request *q)
{
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    struct tc_claims *c = &q->claims;
    char hex[65];
    size_t got = 0;
    memset(q, 0, sizeof *q);
    bool ok = o && text_into(o, "name", c->name, sizeof c->name) &&
              text_into(o, "mask", c->id_mask, sizeof c->id_mask) &&
              text_into(o, "holder", hex, sizeof hex) &&
              sodium_hex2bin(q->holder, 32, hex, 64, NULL, &got, NULL) == 0 && got == 32 &&
              text_into(o, "specialty", c->specialty, sizeof c->specialty) &&
              text_into(o, "employer", c->employer, sizeof c->employer) &&
              text_into(o, "approval", q->approval, sizeof q->approval);
    if (ok) {
        q->hashed = true;
        q->line = (size_t)int_of(o, "line");
        c->series = (uint16_t)int_of(o, "series"), c->level = (uint8_t)int_of(o, "level");
        c->title_variant = (uint8_t)int_of(o, "variant"), c->track = (uint8_t)int_of(o, "track");
        c->method = (uint8_t)int_of(o, "method"), c->eval_year = (uint16_t)int_of(o, "eval_year");
        c->obtained_day = (int32_t)int_of(o, "obtained");
        c->tenure_month = (int32_t)int_of(o, "tenure");
        c->committee = (uint16_t)int_of(o, "committee");
        q->achievement = (uint64_t)int_of(o, "achievement");
        json_t *sc = json_object_get(o, "scope");
        if ((q->scope_given = sc != NULL)) {
            c->scope.region = (uint32_t)int_of(sc, "region");
            c->scope.tier = (uint8_t)int_of(sc, "tier");
            ok = text_into(sc, "unit", c->scope.unit, sizeof c->scope.unit);
            c->scope.has_unit = ok && c->scope.unit[0];
        }
    }
    json_decref(o);
    return ok;
}

/* One row into the rows' hash: "line\trow\n", from a statement whose columns 0 and 1 are the
 * line and the row. */
static void hash_row(crypto_hash_sha256_state *h, sqlite3_stmt *q)
{
    char line[24];
    snprintf(line, sizeof line, "%lld\t", (long long)sqlite3_column_int64(q, 0));
    crypto_hash_sha256_update(h, (const uint8_t *)line, strlen(line));
    crypto_hash_sha256_update(h, sqlite3_column_text(q, 1),
                              (unsigned long long)sqlite3_column_bytes(q, 1));
    crypto_hash_sha256_update(h, (const uint8_t *)"\n", 1);
}

/* SHA-256 of "line\trow\n" for the rows still in the batch (all: every row, dropped or not: the
 * rows as they were prepared), in line order. */
static enum tc_err rows_hash_of(struct tc_store *s, int64_t batch, bool all, uint8_t out[32],
                                size_t *n)
{
    sqlite3_stmt *q;
    crypto_hash_sha256_state h;
    *n = 0;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT line, row FROM wf_rows WHERE batch = ? AND "
                                   "(dropped = 0 OR ?) ORDER BY line",
                                   "ii", batch, (int64_t)all);
    if (e != TC_OK)
        return e;
    crypto_hash_sha256_init(&h);
    while (sqlite3_step(q) == SQLITE_ROW) {
        hash_row(&h, q);
        (*n)++;
    }
    sqlite3_finalize(q);
    crypto_hash_sha256_final(&h, out);
    return TC_OK;
}

static enum tc_err rows_hash(struct tc_store *s, int64_t batch, uint8_t out[32], size_t *n)
{
    return rows_hash_of(s, batch, false, out, n);
}

/* The requests of a batch's rows still in it (malloc'd, holders as hashes). */
static enum tc_err rows_requests(struct tc_store *s, int64_t batch, struct tc_issue_request **out,
                                 size_t *n, uint8_t read_hash[32])
{
    sqlite3_stmt *q;
    size_t cap = 0;
    crypto_hash_sha256_state h;
    *out = NULL, *n = 0;
    crypto_hash_sha256_init(&h);
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT line, row FROM wf_rows WHERE batch = ? AND "
                                   "dropped = 0 ORDER BY line",
                                   "i", batch);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        hash_row(&h, q); /* the rows exactly as read, to compare with the approval */
        if (*n == cap) {
            struct tc_issue_request *g = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof *g);
            if (!g) {
                e = TC_ERR_NOMEM;
                break;
            }
            *out = g;
        }
        if (!row_decode((const char *)sqlite3_column_text(q, 1), &(*out)[*n]))
            e = TC_ERR_INCONSISTENT;
        else
            (*n)++;
    }
    sqlite3_finalize(q);
    if (read_hash)
        crypto_hash_sha256_final(&h, read_hash);
    return e;
}

/* ---- reading a batch ------------------------------------------------------------------------ */

static int64_t open_objections(struct tc_store *s, int64_t batch)
{
    return tc_store_int(s, -1, "SELECT count(*) FROM objections WHERE batch = ? AND state = 'open'",
                        "i", batch);
}

static void text_col(sqlite3_stmt *q, int col, char *dst, size_t size)
{
    snprintf(dst, size, "%s", sqlite3_column_text(q, col) ? (const char *)sqlite3_column_text(q, col)
                                                          : "");
}

enum tc_err tc_wf_get(struct tc_store *s, int64_t id, uint64_t now, struct tc_wf_batch *b)
{
    sqlite3_stmt *q;
    memset(b, 0, sizeof *b);
    enum tc_err e = tc_store_query(
        s, &q,
        "SELECT w.kind, w.state, w.title, w.source, w.prepared_by, p.name, w.rows_hash, "
        "coalesce(w.gongshi_from, 0), coalesce(w.gongshi_to, 0), coalesce(w.approved_by, 0), "
        "coalesce(a.name, ''), coalesce(w.decision, ''), w.approved_hash, "
        "coalesce(w.issue_batch, 0), coalesce(w.signed_at, 0), coalesce(w.published_at, 0), "
        "coalesce(w.signed_by, 0), w.gongshi_sha256, coalesce(w.gongshi_idx, -1) "
        "FROM wf_batches w JOIN accounts p ON p.id = w.prepared_by "
        "LEFT JOIN accounts a ON a.id = w.approved_by WHERE w.id = ?",
        "i", id);
    if (e != TC_OK)
        return e;
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return TC_ERR_NOT_FOUND;
    }
    b->id = id;
    text_col(q, 0, b->kind, sizeof b->kind), text_col(q, 1, b->state, sizeof b->state);
    text_col(q, 2, b->title, sizeof b->title), text_col(q, 3, b->source, sizeof b->source);
    b->prepared_by = sqlite3_column_int64(q, 4);
    text_col(q, 5, b->prepared_by_name, sizeof b->prepared_by_name);
    b->gongshi_from = sqlite3_column_int(q, 7), b->gongshi_to = sqlite3_column_int(q, 8);
    b->approved_by = sqlite3_column_int64(q, 9);
    text_col(q, 10, b->approved_by_name, sizeof b->approved_by_name);
    text_col(q, 11, b->decision, sizeof b->decision);
    if (sqlite3_column_bytes(q, 12) == 32)
        memcpy(b->approved_hash, sqlite3_column_blob(q, 12), 32);
    b->issue_batch = sqlite3_column_int64(q, 13);
    b->signed_at = (uint64_t)sqlite3_column_int64(q, 14);
    b->published_at = (uint64_t)sqlite3_column_int64(q, 15);
    b->signed_by = sqlite3_column_int64(q, 16);
    if (sqlite3_column_bytes(q, 17) == 32)
        memcpy(b->gongshi_sha256, sqlite3_column_blob(q, 17), 32);
    b->gongshi_idx = sqlite3_column_int64(q, 18);
    sqlite3_finalize(q);
    if ((e = rows_hash(s, id, b->rows_hash, &b->rows)) != TC_OK)
        return e;
    b->open_objections = (int)open_objections(s, id);
    int32_t today = tc_beijing_day(now);
    b->publicity_closed = strcmp(b->state, "publicised") == 0 && today > b->gongshi_to &&
                          b->open_objections == 0;
    if (strcmp(b->state, "publicised") == 0 && today <= b->gongshi_to)
        tc_store_working_days(s, today, b->gongshi_to, &b->working_days_left);
    return TC_OK;
}

/* ---- transitions ---------------------------------------------------------------------------- */

/* Results and conversions are publicised (公示) before approval; revocations are not. */
static bool publicised_kind(const char *kind)
{
    return strcmp(kind, "issue") == 0 || strcmp(kind, "convert") == 0;
}

static enum tc_err event(struct tc_store *s, uint64_t now, const char *kind,
                         const struct tc_account *by, unsigned role, int64_t batch,
                         const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static enum tc_err event(struct tc_store *s, uint64_t now, const char *kind,
                         const struct tc_account *by, unsigned role, int64_t batch,
                         const char *fmt, ...)
{
    char more[384], detail[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(more, sizeof more, fmt, ap);
    va_end(ap);
    snprintf(detail, sizeof detail, "{\"account\":\"%s\",\"role\":\"%s\",\"batch\":%lld%s%s}",
             by ? by->name : "(host)", tc_role_name(role, false), (long long)batch,
             more[0] ? "," : "", more);
    sqlite3_stmt *ev = NULL;
    enum tc_err e = tc_store_event(s, &ev, (int64_t)now, kind, 0, detail);
    sqlite3_finalize(ev);
    return e;
}

/* The account acting must hold the role and the store must run the workflow. */
static enum tc_err may(struct tc_store *s, const struct tc_account *a, unsigned role, char *why,
                       size_t why_size)
{
    struct tc_account now;
    if (!tc_store_workflow(s))
        return WHY("这个证书库未启用审批流程 / this store does not run the workflow");
    /* the account as the store has it now, not the caller's copy: disabled or stripped of the
     * role since it signed in, it acts no more */
    enum tc_err found = a ? tc_account_find(s, a->name, &now) : TC_ERR_NOT_FOUND;
    if (found == TC_ERR_INCONSISTENT)
        return WHY("%s", TC_ACCOUNT_SEAL_BROKEN);
    a = found == TC_OK && now.id == a->id ? &now : NULL;
    if (!a || a->disabled || !(a->roles & role))
        return WHY("须由%s操作 / this takes the %s role", tc_role_name(role, true),
                   tc_role_name(role, false));
    return TC_OK;
}

struct prepare {
    const struct tc_account *by;
    struct tc_issue_request *reqs;
    size_t n;
    const char *title, *source;
    uint64_t now;
    int64_t batch; /* 0: a new one; else the draft it replaces */
};

static enum tc_err prepare_tx(struct tc_store *s, void *ctx)
{
    struct prepare *p = ctx;
    enum tc_err e = TC_OK;
    if (p->batch) /* new rows: the old ones go, and objections to them lapse with their 公示 */
        e = tc_store_run(s, "DELETE FROM wf_rows WHERE batch = ?", "i", p->batch) != TC_OK
                ? TC_ERR_STORE
                : tc_store_run(s,
                               "UPDATE objections SET state = 'lapsed', resolved_at = ?, outcome = "
                               "'批次内容已替换，异议随原公示失效 / the rows were replaced: the "
                               "objection lapsed with their 公示' WHERE batch = ? AND state = "
                               "'open'",
                               "ii", (int64_t)p->now, p->batch);
    else
        e = tc_store_insert(s, &p->batch,
                            "INSERT INTO wf_batches(kind, state, title, source, prepared_by, "
                            "prepared_at, rows_hash) VALUES('issue', 'draft', ?, ?, ?, ?, "
                            "zeroblob(32))",
                            "ttii", p->title, p->source, p->by->id, (int64_t)p->now);
    /* one statement for all the rows, not one compiled and freed for each */
    sqlite3_stmt *ins = NULL;
    if (e == TC_OK)
        e = tc_store_prepare(s, "INSERT INTO wf_rows(batch, line, row) VALUES(?, ?, ?)", &ins);
    for (size_t i = 0; e == TC_OK && i < p->n; i++) {
        uint8_t h[32];
        char *row = NULL;
        if ((e = tc_issue_holder(s, &p->reqs[i], h)) == TC_OK &&
            !(row = row_encode(&p->reqs[i], h)))
            e = TC_ERR_NOMEM;
        if (e == TC_OK &&
            (e = tc_store_bind(s, ins, "iit", p->batch, (int64_t)p->reqs[i].line, row)) == TC_OK) {
            e = tc_store_step_done(s, ins);
            sqlite3_clear_bindings(ins); /* row is freed next */
        }
        free(row);
        sodium_memzero(h, sizeof h);
    }
    sqlite3_finalize(ins);
    uint8_t sum[32];
    size_t n;
    char hex[65];
    if (e == TC_OK && (e = rows_hash(s, p->batch, sum, &n)) == TC_OK &&
        /* new rows in a batch are the rows of the clerk who put them in: the preparer, whom
         * approval and signing keep apart from the approver and the custodian, is that clerk */
        (e = tc_store_run(s,
                          "UPDATE wf_batches SET rows_hash = ?, state = 'draft', gongshi_from = "
                          "NULL, gongshi_to = NULL, gongshi_sha256 = NULL, gongshi_idx = NULL, "
                          "approved_by = NULL, "
                          "approved_hash = NULL, approved_at = NULL, decision = NULL, title = ?, "
                          "source = ?, prepared_by = ?, prepared_at = ? WHERE id = ?",
                          "httiii", sum, p->title, p->source, p->by->id, (int64_t)p->now,
                          p->batch)) == TC_OK) {
        sodium_bin2hex(hex, sizeof hex, sum, 32);
        e = event(s, p->now, "wf_prepare", p->by, TC_ROLE_CLERK, p->batch,
                  "\"rows\":%zu,\"rows_sha256\":\"%s\"", n, hex);
    }
    return e;
}

enum tc_err tc_wf_prepare(struct tc_store *s, const struct tc_account *by, const char *path,
                          const char *title, int64_t replace, const struct tc_trust_list *tl,
                          const struct tc_pubkey *issuer, uint64_t now, int64_t *batch,
                          struct tc_refusals *ref, char *why, size_t why_size)
{
    enum tc_err e = may(s, by, TC_ROLE_CLERK, why, why_size);
    struct tc_issue_request *reqs = NULL;
    size_t n = 0;
    struct tc_wf_batch old;
    if (e != TC_OK)
        return e;
    if (replace && ((e = tc_wf_get(s, replace, now, &old)) != TC_OK ||
                    strcmp(old.kind, "issue") != 0 || strcmp(old.state, "signed") == 0 ||
                    strcmp(old.state, "published") == 0))
        return e != TC_OK ? e : WHY("只能修改尚未签发的批次 / only a batch not signed yet can "
                                    "be changed");
    if ((e = tc_issue_read_csv(s, path, &reqs, &n, ref)) == TC_OK && !ref->total && n == 0)
        e = WHY("文件中没有数据行 / the file has no rows");
    /* one pass: the rows that read are checked against the rules even when others did not */
    if (e == TC_OK && n)
        e = tc_issue_check(s, reqs, n, tl, issuer, now, ref);
    if (e == TC_OK && ref->total) {
        tc_refusals_sort(ref);
        e = TC_ERR_REFUSED;
    }
    struct prepare p = {by, reqs, n, title, path, now, replace};
    if (e == TC_OK && (e = tc_store_tx(s, prepare_tx, &p)) == TC_OK)
        *batch = p.batch;
    if (reqs)
        sodium_memzero(reqs, n * sizeof *reqs);
    free(reqs);
    return e;
}

/* ---- the 公示 ------------------------------------------------------------------------------- */

struct publicise {
    const struct tc_account *by;
    int64_t batch;
    int32_t from, to;
    uint8_t sum[32];
    size_t n;
    uint64_t now;
};

static enum tc_err publicise_tx(struct tc_store *s, void *ctx)
{
    struct publicise *p = ctx;
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_PUBLICATION, l.id = (uint64_t)p->batch, l.day = p->from;
    memcpy(l.hash, p->sum, 32);
    char from[11], to[11], hex[65];
    tc_day_format(from, p->from), tc_day_format(to, p->to);
    sodium_bin2hex(hex, sizeof hex, p->sum, 32);
    enum tc_err e = tc_store_run_one(s, TC_ERR_INCONSISTENT, /* changed meanwhile */
                                     "UPDATE wf_batches SET state = 'publicised', gongshi_from = "
                                     "?, gongshi_to = ?, gongshi_sha256 = ?, publicised_by = ? "
                                     "WHERE id = ? AND state = 'draft'",
                                     "iihii", (int64_t)p->from, (int64_t)p->to, p->sum, p->by->id,
                                     p->batch);
    uint64_t idx = 0;
    if (e == TC_OK) /* A3: the 公示 is dated by its register entry: it starts the day it is logged */
        e = tc_store_register(s, &l, &idx);
    if (e == TC_OK)
        e = tc_store_run(s, "UPDATE wf_batches SET gongshi_idx = ? WHERE id = ?", "ii",
                         (int64_t)idx, p->batch);
    if (e == TC_OK)
        e = event(s, p->now, "wf_publicise", p->by, TC_ROLE_CLERK, p->batch,
                  "\"persons\":%zu,\"from\":\"%s\",\"to\":\"%s\",\"gongshi_sha256\":\"%s\"", p->n,
                  from, to, hex);
    return e;
}

static bool conversion_decode(const char *text, struct tc_wf_conversion *c);

/* The persons a batch's 公示 lists, in line order: the rows' claims (for a conversion, the
 * successor's) and their lines; malloc'd. */
static enum tc_err gongshi_rows(struct tc_store *s, const struct tc_wf_batch *b,
                                struct tc_claims **claims, uint64_t **lines, size_t *n)
{
    sqlite3_stmt *q;
    size_t cap = 0;
    *claims = NULL, *lines = NULL, *n = 0;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT line, row FROM wf_rows WHERE batch = ? AND "
                                   "dropped = 0 ORDER BY line",
                                   "i", b->id);
    if (e != TC_OK)
        return e;
    bool conversion = strcmp(b->kind, "convert") == 0;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct tc_claims *c2 = realloc(*claims, cap * sizeof **claims);
            uint64_t *l2 = c2 ? realloc(*lines, cap * sizeof **lines) : NULL;
            if (c2)
                *claims = c2;
            if (!c2 || !l2) {
                e = TC_ERR_NOMEM;
                break;
            }
            *lines = l2;
        }
        const char *text = (const char *)sqlite3_column_text(q, 1);
        struct tc_issue_request r;
        struct tc_wf_conversion c;
        if (conversion)
            e = conversion_decode(text, &c) ? tc_conversion_claims(s, c.id, c.at, c.committee,
                                                                   c.reevaluation, &(*claims)[*n])
                                            : TC_ERR_INCONSISTENT;
        else if (row_decode(text, &r))
            (*claims)[*n] = r.claims;
        else
            e = TC_ERR_INCONSISTENT;
        (*lines)[(*n)++] = (uint64_t)sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return e;
}

enum tc_err tc_wf_publicise(struct tc_store *s, const struct tc_account *by, int64_t batch,
                            const char *dir, uint64_t now, int *err, char *why, size_t why_size)
{
    struct tc_wf_batch b;
    struct tc_claims *claims = NULL;
    uint64_t *lines = NULL;
    size_t n = 0;
    enum tc_err e = may(s, by, TC_ROLE_CLERK, why, why_size);
    *err = 0;
    if (e == TC_OK && (e = tc_wf_get(s, batch, now, &b)) == TC_OK &&
        (!publicised_kind(b.kind) || strcmp(b.state, "draft") != 0))
        e = WHY("只有草稿状态的结果或换发可以公示（现为 %s）/ only a draft of results or "
                "conversions is publicised (it is %s)", b.state, b.state);
    int days = tc_store_profile(s)->gongshi_working_days;
    struct publicise p = {by, batch, tc_beijing_day(now), 0, {0}, 0, now};
    if (e == TC_OK)
        e = tc_store_period(s, p.from, days, &p.to, why, why_size);
    if (e == TC_OK)
        e = gongshi_rows(s, &b, &claims, &lines, &n);
    if (e == TC_OK)
        e = tc_gongshi_write(s, batch, claims, lines, n, p.from, p.to, days, dir, p.sum, err);
    p.n = n;
    if (e == TC_OK)
        e = tc_store_tx(s, publicise_tx, &p);
    if (claims)
        sodium_memzero(claims, n * sizeof *claims);
    free(claims), free(lines);
    return e;
}

/* ---- objections (异议) ------------------------------------------------------------------------ */

struct objection {
    const struct tc_account *by;
    int64_t batch, id;
    size_t line;
    const char *objector, *contact, *text, *outcome;
    int32_t received;
    bool upheld;
    uint64_t now;
};

static enum tc_err object_tx(struct tc_store *s, void *ctx)
{
    struct objection *o = ctx;
    /* the objection's text, its author and contact stay in the store: the audit names none */
    enum tc_err e = tc_store_insert(s, &o->id,
                                    "INSERT INTO objections(batch, line, objector, contact, "
                                    "received, text, recorded_by, recorded_at, state) VALUES(?, "
                                    "?, ?, ?, ?, ?, ?, ?, 'open')",
                                    "iittitii", o->batch, (int64_t)o->line, o->objector,
                                    o->contact, (int64_t)o->received, o->text, o->by->id,
                                    (int64_t)o->now);
    return e != TC_OK ? e
                      : event(s, o->now, "wf_objection", o->by, TC_ROLE_CLERK, o->batch,
                              "\"objection\":%lld,\"line\":%zu", (long long)o->id, o->line);
}

static bool line_in(struct tc_store *s, int64_t batch, size_t line)
{
    return tc_store_int(s, 0, "SELECT 1 FROM wf_rows WHERE batch = ? AND line = ? AND dropped = 0",
                        "ii", batch, (int64_t)line) == 1;
}

/* A text a person typed: not empty, at most max bytes, printable (tc_text_safe). */
static bool field_ok(const char *v, size_t max)
{
    return v && *v && strlen(v) <= max && tc_text_safe((const uint8_t *)v, strlen(v));
}

enum tc_err tc_wf_object(struct tc_store *s, const struct tc_account *by, int64_t batch,
                         size_t line, const char *objector, const char *contact, int32_t received,
                         const char *text, uint64_t now, int64_t *id, char *why, size_t why_size)
{
    struct tc_wf_batch b;
    enum tc_err e = may(s, by, TC_ROLE_CLERK, why, why_size);
    if (e == TC_OK && (e = tc_wf_get(s, batch, now, &b)) == TC_OK &&
        strcmp(b.state, "publicised") != 0)
        e = WHY("只有公示中的批次可以登记异议 / objections are recorded during the 公示");
    if (e == TC_OK && (received < b.gongshi_from || received > b.gongshi_to))
        e = WHY("异议须在公示期内提出 / an objection must be received within the 公示 period");
    if (e == TC_OK && received > tc_beijing_day(now))
        e = WHY("收到日期不能晚于今天 / the day received cannot be after today");
    if (e == TC_OK && !line_in(s, batch, line))
        e = WHY("批次中没有第 %zu 行 / the batch has no line %zu", line, line);
    if (e == TC_OK && (!field_ok(objector, TC_ACCOUNT_DISPLAY_MAX - 1) ||
                       !field_ok(contact, sizeof ((struct tc_wf_objection *)0)->contact - 1) ||
                       !field_ok(text, TC_OBJECTION_TEXT_MAX)))
        e = WHY("异议须以真实姓名、联系方式和书面内容提出 / an objection carries the objector's "
                "real name, a contact and its text");
    struct objection o = {by, batch, 0, line, objector, contact, text, NULL, received, false, now};
    if (e == TC_OK && (e = tc_store_tx(s, object_tx, &o)) == TC_OK && id)
        *id = o.id;
    return e;
}

static enum tc_err resolve_tx(struct tc_store *s, void *ctx)
{
    struct objection *o = ctx;
    enum tc_err e = tc_store_run_one(s, TC_ERR_INCONSISTENT,
                                     "UPDATE objections SET state = ?, resolved_by = ?, "
                                     "resolved_at = ?, outcome = ? WHERE id = ? AND state = 'open'",
                                     "tiiti", o->upheld ? "upheld" : "dismissed", o->by->id,
                                     (int64_t)o->now, o->outcome, o->id);
    /* upheld: the row leaves the batch, which changes its hash */
    if (e == TC_OK && o->upheld)
        e = tc_store_run(s, "UPDATE wf_rows SET dropped = 1 WHERE batch = ? AND line = ?", "ii",
                         o->batch, (int64_t)o->line);
    return e != TC_OK ? e
                      : event(s, o->now, "wf_objection_resolved", o->by, TC_ROLE_APPROVER,
                              o->batch, "\"objection\":%lld,\"line\":%zu,\"outcome\":\"%s\"",
                              (long long)o->id, o->line, o->upheld ? "upheld" : "dismissed");
}

enum tc_err tc_wf_resolve(struct tc_store *s, const struct tc_account *by, int64_t objection,
                          bool upheld, const char *outcome, uint64_t now, char *why,
                          size_t why_size)
{
    enum tc_err e = may(s, by, TC_ROLE_APPROVER, why, why_size);
    sqlite3_stmt *q = NULL;
    struct objection o = {by, 0, objection, 0, NULL, NULL, NULL, outcome, 0, upheld, now};
    if (e == TC_OK && !field_ok(outcome, sizeof ((struct tc_wf_objection *)0)->outcome - 1))
        e = WHY("须写明处理结果 / the outcome is written down");
    if (e == TC_OK && (e = tc_store_query(s, &q,
                                          "SELECT batch, line FROM objections WHERE id = ? "
                                          "AND state = 'open'",
                                          "i", objection)) == TC_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            o.batch = sqlite3_column_int64(q, 0), o.line = (size_t)sqlite3_column_int64(q, 1);
        else
            e = WHY("没有待处理的这项异议 / no such open objection");
    }
    sqlite3_finalize(q);
    return e == TC_OK ? tc_store_tx(s, resolve_tx, &o) : e;
}

/* ---- approval ------------------------------------------------------------------------------- */

struct approve {
    const struct tc_account *by;
    int64_t batch;
    const char *decision;
    uint8_t hash[32];
    uint64_t now;
    bool reject;
};

static enum tc_err approve_tx(struct tc_store *s, void *ctx)
{
    struct approve *a = ctx;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, a->hash, 32);
    enum tc_err e =
        a->reject
            ? tc_store_run(s,
                           "UPDATE wf_batches SET state = 'draft', gongshi_from = NULL, "
                           "gongshi_to = NULL, gongshi_sha256 = NULL, gongshi_idx = NULL, "
                           "approved_by = NULL, "
                           "approved_hash = NULL, approved_at = NULL, decision = NULL WHERE "
                           "id = ?",
                           "i", a->batch)
            : tc_store_run(s,
                           "UPDATE wf_batches SET state = 'approved', approved_by = ?, "
                           "approved_at = ?, approved_hash = ?, decision = ? WHERE id = ?",
                           "iihti", a->by->id, (int64_t)a->now, a->hash, a->decision, a->batch);
    /* the decision reference is the approver's text: escaped as JSON, so that no quote in it
     * can add a member to the event */
    json_t *d = json_string(a->reject ? "" : a->decision);
    char *quoted = d ? json_dumps(d, JSON_ENCODE_ANY) : NULL;
    json_decref(d);
    if (e == TC_OK && !quoted)
        e = TC_ERR_NOMEM;
    if (e == TC_OK)
        e = event(s, a->now, a->reject ? "wf_reject" : "wf_approve", a->by, TC_ROLE_APPROVER,
                  a->batch, "\"rows_sha256\":\"%s\"%s%s", hex,
                  a->reject ? "" : ",\"decision\":", a->reject ? "" : quoted);
    free(quoted);
    return e;
}

/* What approval needs of the batch as it stands (issue: the 公示 over, no open objection). */
static enum tc_err approvable(const struct tc_wf_batch *b, const struct tc_account *by,
                              const uint8_t expected[32], uint64_t now, char *why, size_t why_size)
{
    bool issue = publicised_kind(b->kind);
    if (strcmp(b->state, issue ? "publicised" : "draft") != 0)
        return WHY("此批次现为 %s，不能审批 / the batch is %s: it cannot be approved", b->state,
                   b->state);
    if (b->prepared_by == by->id)
        return WHY("审核员不能审批自己录入的批次 / an approver does not approve what the same "
                   "account prepared");
    if (issue && tc_beijing_day(now) <= b->gongshi_to)
        return WHY("公示期尚未结束（至 %d 个工作日后）/ the 公示 period has not ended",
                   b->working_days_left);
    if (b->open_objections)
        return WHY("尚有 %d 项异议未处理 / %d objection(s) are still open", b->open_objections,
                   b->open_objections);
    if (b->rows == 0)
        return WHY("批次中已没有人员 / the batch holds nobody any more");
    if (sodium_memcmp(expected, b->rows_hash, 32) != 0)
        return WHY("所见内容已变更，请重新核对后再审批 / the rows changed since they were shown: "
                   "look at them again");
    return TC_OK;
}

enum tc_err tc_wf_approve(struct tc_store *s, const struct tc_account *by, int64_t batch,
                          const char *decision, const uint8_t expected[32], uint64_t now,
                          char *why, size_t why_size)
{
    struct tc_wf_batch b;
    enum tc_err e = may(s, by, TC_ROLE_APPROVER, why, why_size);
    if (e == TC_OK && (!decision || !*decision || strlen(decision) > TC_APPROVAL_MAX ||
                       !tc_text_visible((const uint8_t *)decision, strlen(decision))))
        e = WHY("须填写批准文号 / the decision reference (文号) is required");
    if (e == TC_OK && (e = tc_wf_get(s, batch, now, &b)) == TC_OK)
        e = approvable(&b, by, expected, now, why, why_size);
    struct approve a = {by, batch, decision, {0}, now, false};
    memcpy(a.hash, b.rows_hash, 32);
    return e == TC_OK ? tc_store_tx(s, approve_tx, &a) : e;
}

enum tc_err tc_wf_reject(struct tc_store *s, const struct tc_account *by, int64_t batch,
                         uint64_t now, char *why, size_t why_size)
{
    struct tc_wf_batch b;
    enum tc_err e = may(s, by, TC_ROLE_APPROVER, why, why_size);
    if (e == TC_OK && (e = tc_wf_get(s, batch, now, &b)) == TC_OK &&
        strcmp(b.state, "publicised") != 0 && strcmp(b.state, "approved") != 0 &&
        strcmp(b.state, "draft") != 0)
        e = WHY("已签发的批次不能退回 / a signed batch cannot be sent back");
    struct approve a = {by, batch, NULL, {0}, now, true};
    memcpy(a.hash, b.rows_hash, 32);
    return e == TC_OK ? tc_store_tx(s, approve_tx, &a) : e;
}

/* ---- revocations: proposed, approved, signed ----------------------------------------------- */

static char *revocation_row(const struct tc_wf_revocation *r, size_t line)
{
    json_t *o = json_pack("{s:I,s:I,s:s,s:i,s:b,s:s,s:i}", "line", (json_int_t)line, "id",
                          (json_int_t)r->id, "reason", r->reason, "day", r->day, "blacklist",
                          r->blacklist, "bl_reason", r->bl_reason, "until", r->until);
    return canonical(o);
}

static bool revocation_decode(const char *text, struct tc_wf_revocation *r)
{
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    memset(r, 0, sizeof *r);
    bool ok = o && text_into(o, "reason", r->reason, sizeof r->reason) &&
              text_into(o, "bl_reason", r->bl_reason, sizeof r->bl_reason);
    if (ok) {
        r->id = (uint64_t)int_of(o, "id");
        r->day = (int32_t)int_of(o, "day");
        r->until = (int32_t)int_of(o, "until");
        r->blacklist = json_is_true(json_object_get(o, "blacklist"));
    }
    json_decref(o);
    return ok;
}

struct propose {
    const struct tc_account *by;
    const char *kind;   /* revoke, convert */
    char **rows;        /* canonical JSON, one per line */
    size_t n;
    const char *title;
    uint64_t now;
    int64_t batch;
};

static enum tc_err propose_tx(struct tc_store *s, void *ctx)
{
    struct propose *p = ctx;
    enum tc_err e = tc_store_insert(s, &p->batch,
                                    "INSERT INTO wf_batches(kind, state, title, source, "
                                    "prepared_by, prepared_at, rows_hash) VALUES(?, 'draft', ?, "
                                    "'propose', ?, ?, zeroblob(32))",
                                    "ttii", p->kind, p->title, p->by->id, (int64_t)p->now);
    for (size_t i = 0; e == TC_OK && i < p->n; i++)
        e = tc_store_run(s, "INSERT INTO wf_rows(batch, line, row) VALUES(?, ?, ?)", "iit",
                         p->batch, (int64_t)(i + 1), p->rows[i]);
    uint8_t sum[32];
    size_t n;
    char hex[65];
    if (e == TC_OK && (e = rows_hash(s, p->batch, sum, &n)) == TC_OK &&
        (e = tc_store_run(s, "UPDATE wf_batches SET rows_hash = ? WHERE id = ?", "hi", sum,
                          p->batch)) == TC_OK) {
        sodium_bin2hex(hex, sizeof hex, sum, 32);
        e = event(s, p->now, strcmp(p->kind, "revoke") == 0 ? "wf_revocation_proposed"
                                                            : "wf_conversion_proposed",
                  p->by, TC_ROLE_CLERK, p->batch, "\"certificates\":%zu,\"rows_sha256\":\"%s\"", n,
                  hex);
    }
    return e;
}

/* Stores rows (freed here) as a new draft batch of kind. */
static enum tc_err propose(struct tc_store *s, struct propose *p, int64_t *batch)
{
    enum tc_err e = TC_OK;
    for (size_t i = 0; i < p->n; i++)
        if (!p->rows[i])
            e = TC_ERR_NOMEM;
    if (e == TC_OK && (e = tc_store_tx(s, propose_tx, p)) == TC_OK)
        *batch = p->batch;
    for (size_t i = 0; i < p->n; i++)
        free(p->rows[i]);
    free(p->rows);
    return e;
}

enum tc_err tc_wf_propose_revocations(struct tc_store *s, const struct tc_account *by,
                                      const struct tc_wf_revocation *v, size_t n,
                                      const char *title, uint64_t now, int64_t *batch, char *why,
                                      size_t why_size)
{
    enum tc_err e = may(s, by, TC_ROLE_CLERK, why, why_size);
    for (size_t i = 0; e == TC_OK && i < n; i++) {
        struct tc_cert_row row;
        if (strcmp(v[i].reason, "fraud") && strcmp(v[i].reason, "error") &&
            strcmp(v[i].reason, "other"))
            e = WHY("第 %zu 项：撤销原因为 fraud、error 或 other / item %zu: the reason is fraud, "
                    "error or other", i + 1, i + 1);
        else if (tc_cert_get(s, v[i].id, &row) != TC_OK)
            e = WHY("第 %zu 项：没有证书 %llu / item %zu: no certificate %llu", i + 1,
                    (unsigned long long)v[i].id, i + 1, (unsigned long long)v[i].id);
        else if (strcmp(row.status, "revoked") == 0)
            e = WHY("证书 %llu 已撤销 / certificate %llu is already revoked",
                    (unsigned long long)v[i].id, (unsigned long long)v[i].id);
        else if (v[i].day > tc_beijing_day(now)) { /* a date ahead would leave it valid till then */
            char d[11];
            tc_day_format(d, v[i].day);
            e = WHY("证书 %llu：撤销日期 %s 晚于今天 / certificate %llu: the revocation date %s is "
                    "after today", (unsigned long long)v[i].id, d, (unsigned long long)v[i].id, d);
        }
    }
    if (e == TC_OK && n == 0)
        e = WHY("没有要撤销的证书 / no certificate to revoke");
    char **rows = e == TC_OK ? calloc(n, sizeof *rows) : NULL;
    if (e == TC_OK && !rows)
        e = TC_ERR_NOMEM;
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < n; i++)
        rows[i] = revocation_row(&v[i], i + 1);
    struct propose p = {by, "revoke", rows, n, title, now, 0};
    return propose(s, &p, batch);
}

/* ---- conversions: proposed, approved, signed ------------------------------------------------ */

static char *conversion_row(const struct tc_wf_conversion *c, size_t line)
{
    json_t *o = json_pack("{s:I,s:I,s:i,s:i,s:b}", "line", (json_int_t)line, "id",
                          (json_int_t)c->id, "at", c->at, "committee", (int)c->committee,
                          "reevaluation", c->reevaluation);
    return canonical(o);
}

static bool conversion_decode(const char *text, struct tc_wf_conversion *c)
{
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    memset(c, 0, sizeof *c);
    bool ok = o && json_is_integer(json_object_get(o, "id")) &&
              json_is_integer(json_object_get(o, "committee"));
    if (ok) {
        c->id = (uint64_t)int_of(o, "id");
        c->at = (int32_t)int_of(o, "at");
        c->committee = (uint16_t)int_of(o, "committee");
        c->reevaluation = json_is_true(json_object_get(o, "reevaluation"));
    }
    json_decref(o);
    return ok;
}

/* Whether the certificate may be converted now (C1) or re-evaluated (C5): the clerk hears at
 * once; the signer checks again. */
static enum tc_err convertible(struct tc_store *s, const struct tc_wf_conversion *c, size_t i,
                               char *why, size_t why_size)
{
    struct tc_eligibility el;
    struct tc_c5 st;
    enum tc_err e = c->reevaluation ? tc_basic_status(s, c->id, c->at, &st)
                                    : tc_convert_check(s, c->id, c->at, &el);
    if (e == TC_ERR_NOT_FOUND)
        return WHY("第 %zu 项：没有证书 %llu / item %zu: no certificate %llu", i + 1,
                   (unsigned long long)c->id, i + 1, (unsigned long long)c->id);
    if (e != TC_OK)
        return e;
    if (c->committee == 0)
        return WHY("第 %zu 项：须给出评审委员会 / item %zu: the committee is required", i + 1,
                   i + 1);
    if (c->reevaluation && st.state != TC_C5_LEFT)
        return WHY("证书 %llu 不符合转评条件（C5）/ certificate %llu may not be re-evaluated (C5)",
                   (unsigned long long)c->id, (unsigned long long)c->id);
    if (!c->reevaluation && !el.eligible)
        return WHY("证书 %llu 不符合换发条件（C1）：%s / certificate %llu may not be converted (C1)",
                   (unsigned long long)c->id, el.n_shortfalls ? el.shortfalls[0] : "",
                   (unsigned long long)c->id);
    return TC_OK;
}

enum tc_err tc_wf_propose_conversions(struct tc_store *s, const struct tc_account *by,
                                      const struct tc_wf_conversion *v, size_t n,
                                      const char *title, uint64_t now, int64_t *batch, char *why,
                                      size_t why_size)
{
    enum tc_err e = may(s, by, TC_ROLE_CLERK, why, why_size);
    if (e == TC_OK && n == 0)
        e = WHY("没有要换发的证书 / no certificate to convert");
    for (size_t i = 0; e == TC_OK && i < n; i++)
        e = convertible(s, &v[i], i, why, why_size);
    char **rows = e == TC_OK ? calloc(n, sizeof *rows) : NULL;
    if (e == TC_OK && !rows)
        e = TC_ERR_NOMEM;
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < n; i++)
        rows[i] = conversion_row(&v[i], i + 1);
    struct propose p = {by, "convert", rows, n, title, now, 0};
    return propose(s, &p, batch);
}

/* ---- signing (the signer's) ----------------------------------------------------------------- */

/* The batch's latest audit event of one of `kinds` (an SQL list of quoted kinds): its sequence
 * number (0 when there is none), kind and detail (json_decref it). Events are read newest first
 * and the reading stops at the batch's, so this costs what happened since. */
static enum tc_err latest_event(struct tc_store *s, int64_t batch, const char *kinds, int64_t *seq,
                                char kind[32], json_t **detail)
{
    sqlite3_stmt *q;
    char sql[256];
    *seq = 0, *detail = NULL, kind[0] = '\0';
    snprintf(sql, sizeof sql, "SELECT seq, kind, detail FROM events WHERE kind IN (%s) ORDER BY "
                              "seq DESC", kinds);
    enum tc_err e = tc_store_prepare(s, sql, &q);
    if (e != TC_OK)
        return e;
    while (!*seq && sqlite3_step(q) == SQLITE_ROW) {
        json_error_t err;
        json_t *o = json_loads((const char *)sqlite3_column_text(q, 2), 0, &err);
        if (o && json_integer_value(json_object_get(o, "batch")) == batch) {
            *seq = sqlite3_column_int64(q, 0);
            snprintf(kind, 32, "%s", (const char *)sqlite3_column_text(q, 1));
            *detail = o;
        } else {
            json_decref(o);
        }
    }
    sqlite3_finalize(q);
    return TC_OK;
}

static bool member_is(json_t *o, const char *key, const char *value)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && strcmp(v, value) == 0;
}

/* Refuses a batch's audit event that does not say what the batch's row says (match false:
 * `differs`) or whose MAC is not the chain's (`forged`). */
static enum tc_err event_verdict(struct tc_store *s, bool match, int64_t seq, const char *differs,
                                 const char *forged, char *why, size_t why_size)
{
    if (!match)
        return WHY("%s", differs);
    if (tc_store_event_genuine(s, seq) != TC_OK)
        return WHY("%s", forged);
    return TC_OK;
}

/* The approval as the audit chain has it, not as the batch's row says: the batch's last approval
 * event names the approver, the rows' hash and the decision the row holds, no rejection or new
 * rows came after it, and its MAC is the chain's (a row or an event put in the table by someone
 * without the hash key does not pass). */
static enum tc_err approval_genuine(struct tc_store *s, const struct tc_wf_batch *b, char *why,
                                    size_t why_size)
{
    int64_t seq;
    char kind[32], hex[65];
    json_t *o = NULL;
    /* a signing after the approval spends it: the batch row set back to "approved" does not
     * bring it back */
    enum tc_err e = latest_event(s, b->id, "'wf_approve', 'wf_reject', 'wf_prepare', 'wf_sign'",
                                 &seq, kind, &o);
    if (e != TC_OK)
        return e;
    sodium_bin2hex(hex, sizeof hex, b->approved_hash, 32);
    bool match = o && strcmp(kind, "wf_approve") == 0 &&
                 member_is(o, "account", b->approved_by_name) &&
                 member_is(o, "rows_sha256", hex) && member_is(o, "decision", b->decision);
    json_decref(o);
    return event_verdict(s, match, seq,
                         "批准与审计记录不符，不能签发 / the approval is not the one the audit log "
                         "recorded: nothing is signed",
                         "批准的审计记录未通过校验，不能签发 / the approval's audit event fails its "
                         "check: nothing is signed",
                         why, why_size);
}

/* The rows are the ones prepared, by the account the batch row names: the batch's last new rows
 * or proposal in the audit log is a genuine event of that account with the hash of every row,
 * dropped or not (an upheld objection drops a row; nothing changes one). A row changed in the
 * table after the 公示, or another preparer named there so that the preparer could approve, is
 * refused here, whatever the approval bound itself to. */
static enum tc_err prepared_genuine(struct tc_store *s, const struct tc_wf_batch *b, char *why,
                                    size_t why_size)
{
    int64_t seq;
    size_t n;
    char kind[32], hex[65];
    uint8_t all[32];
    json_t *o = NULL;
    enum tc_err e = rows_hash_of(s, b->id, true, all, &n);
    if (e == TC_OK)
        e = latest_event(s, b->id, "'wf_prepare', 'wf_revocation_proposed', "
                                   "'wf_conversion_proposed'", &seq, kind, &o);
    if (e != TC_OK)
        return e;
    sodium_bin2hex(hex, sizeof hex, all, 32);
    /* the kind the rows were prepared as: a kind changed in the table would skip the 公示 */
    const char *as = strcmp(kind, "wf_prepare") == 0               ? "issue"
                     : strcmp(kind, "wf_revocation_proposed") == 0 ? "revoke"
                                                                   : "convert";
    bool match = o && strcmp(as, b->kind) == 0 && member_is(o, "account", b->prepared_by_name) &&
                 member_is(o, "rows_sha256", hex);
    json_decref(o);
    return event_verdict(s, match, seq,
                         "批次内容或录入人与审计记录不符，不能签发 / the rows or their preparer are "
                         "not the ones the audit log recorded as prepared: nothing is signed",
                         "录入的审计记录未通过校验，不能签发 / the audit event of the rows' "
                         "preparation fails its check: nothing is signed",
                         why, why_size);
}

/* The 公示 the batch row names is the batch's current one: the last 公示, rejection or new rows
 * the audit log has for the batch is a genuine 公示 event with the row's days and hash. A 公示
 * voided by a rejection or by new rows, put back in the row with its own register entry, is not
 * (its entry is the batch's and its period may long be over). */
static enum tc_err gongshi_current(struct tc_store *s, const struct tc_wf_batch *b, char *why,
                                   size_t why_size)
{
    int64_t seq;
    char kind[32], from[11], to[11], hex[65];
    json_t *o = NULL;
    enum tc_err e = latest_event(s, b->id, "'wf_publicise', 'wf_reject', 'wf_prepare'", &seq,
                                 kind, &o);
    if (e != TC_OK)
        return e;
    tc_day_format(from, b->gongshi_from), tc_day_format(to, b->gongshi_to);
    sodium_bin2hex(hex, sizeof hex, b->gongshi_sha256, 32);
    bool match = o && strcmp(kind, "wf_publicise") == 0 && member_is(o, "from", from) &&
                 member_is(o, "to", to) && member_is(o, "gongshi_sha256", hex);
    json_decref(o);
    return event_verdict(s, match, seq,
                         "公示不是审计记录中此批次现行的公示，不能签发 / the 公示 is not the "
                         "batch's current one in the audit log: nothing is signed",
                         "公示的审计记录未通过校验，不能签发 / the 公示's audit event fails its "
                         "check: nothing is signed",
                         why, why_size);
}

/* Every objection the audit log recorded against the batch's current 公示 was resolved, as the
 * log says too: an objection deleted from its table, or set resolved there, is still open here. */
static enum tc_err objections_genuine(struct tc_store *s, const struct tc_wf_batch *b, char *why,
                                      size_t why_size)
{
    int64_t since;
    char kind[32];
    json_t *o = NULL;
    enum tc_err e = latest_event(s, b->id, "'wf_publicise'", &since, kind, &o);
    json_decref(o);
    sqlite3_stmt *q;
    if (e != TC_OK ||
        (e = tc_store_query(s, &q,
                            "SELECT kind, detail FROM events WHERE kind IN ('wf_objection', "
                            "'wf_objection_resolved') AND seq > ? ORDER BY seq",
                            "i", since)) != TC_OK)
        return e;
    int64_t *open = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_error_t err;
        json_t *d = json_loads((const char *)sqlite3_column_text(q, 1), 0, &err);
        int64_t id = d ? json_integer_value(json_object_get(d, "objection")) : 0;
        bool mine = d && json_integer_value(json_object_get(d, "batch")) == b->id;
        json_decref(d);
        if (!mine)
            continue;
        if (strcmp((const char *)sqlite3_column_text(q, 0), "wf_objection") == 0) {
            int64_t *g = n < cap ? open : realloc(open, (cap = cap ? 2 * cap : 16) * sizeof *g);
            if (!g) {
                e = TC_ERR_NOMEM;
                break;
            }
            open = g;
            open[n++] = id;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (open[i] == id)
                open[i] = open[--n];
    }
    sqlite3_finalize(q);
    free(open);
    if (e != TC_OK)
        return e;
    if (n)
        return WHY("审计记录中有未处理的异议，不能签发 / the audit log holds an objection that was "
                   "never resolved: nothing is signed");
    return TC_OK;
}

/* The 公示 as the register logged it: its entry is this batch's, with the hash and first day the
 * batch row holds, and its period, counted again from that day, is over. */
static enum tc_err gongshi_registered(struct tc_store *s, const struct tc_wf_batch *b,
                                      uint64_t now, char *why, size_t why_size)
{
    struct tc_reg_leaf l;
    int32_t last = 0;
    if (b->gongshi_idx < 0 || tc_store_leaf_at(s, (uint64_t)b->gongshi_idx, &l) != TC_OK ||
        l.kind != TC_REG_PUBLICATION || l.id != (uint64_t)b->id || l.day != b->gongshi_from ||
        sodium_memcmp(l.hash, b->gongshi_sha256, 32) != 0)
        return WHY("公示与登记簿记载不符，不能签发 / the 公示 is not the one the register logged: "
                   "nothing is signed");
    enum tc_err e = tc_store_period(s, l.day, tc_store_profile(s)->gongshi_working_days, &last,
                                    why, why_size);
    if (e != TC_OK)
        return TC_ERR_REFUSED;
    if (last != b->gongshi_to || tc_beijing_day(now) <= last)
        return WHY("按登记簿记载的公示日期，公示期尚未结束 / by the day the register logged, the 公示 "
                   "period has not ended");
    return TC_OK;
}

/* The roles account `name` was last given, as the audit chain has them: the host's first two
 * admins (account_add by "(host)") and every confirmed change (role_change_confirmed, which
 * takes two admins). The account_roles table is what the programs read to let someone act; a
 * role written into it, or an account inserted with one, by someone without the hash key is not
 * in the chain, so the signing does not count it. A grant that is not genuine is refused too. */
static enum tc_err role_granted(struct tc_store *s, const char *name, unsigned role,
                                const char *what, char *why, size_t why_size)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s,
                                     "SELECT seq, kind, detail FROM events WHERE kind IN "
                                     "('account_add', 'role_change_confirmed') ORDER BY seq DESC",
                                     &q);
    int64_t seq = 0;
    unsigned roles = 0;
    while (e == TC_OK && !seq && sqlite3_step(q) == SQLITE_ROW) {
        json_t *o = json_loads((const char *)sqlite3_column_text(q, 2), 0, NULL);
        bool host = strcmp((const char *)sqlite3_column_text(q, 1), "account_add") == 0;
        /* an admin's account_add only proposes: its roles wait for the confirmation */
        if (o && member_is(o, "account", name) && (!host || member_is(o, "by", "(host)")) &&
            tc_roles_parse(json_string_value(json_object_get(o, "roles")), &roles))
            seq = sqlite3_column_int64(q, 0);
        json_decref(o);
    }
    sqlite3_finalize(q);
    if (e != TC_OK)
        return e;
    if (!seq || !(roles & role))
        return WHY("审计记录从未授予账号 %s %s角色，不能签发 / the audit log never gave %s the %s "
                   "role (the table alone says so): nothing is signed",
                   name, what, name, what);
    return event_verdict(s, true, seq, "",
                         "授予角色的审计记录未通过校验，不能签发 / the audit event that gave the "
                         "role fails its check: nothing is signed",
                         why, why_size);
}

/* Everything approval needed, checked again from the store at the moment of signing, and that
 * the custodian is a third person. */
static enum tc_err signable(struct tc_store *s, const struct tc_wf_batch *b,
                            const struct tc_account *by, uint64_t now, char *why, size_t why_size)
{
    struct tc_account approver;
    if (strcmp(b->state, "approved") != 0)
        return WHY("此批次现为 %s，未经批准不能签发 / the batch is %s: only approved work is "
                   "signed", b->state, b->state);
    if (sodium_memcmp(b->rows_hash, b->approved_hash, 32) != 0)
        return WHY("批准后内容已变更，批准失效 / the rows changed after the approval: it no "
                   "longer holds");
    if (b->approved_by == b->prepared_by)
        return WHY("录入与审批是同一账号 / the same account prepared and approved it");
    if (by->id == b->prepared_by || by->id == b->approved_by)
        return WHY("签发人须不同于录入人和审核人 / the custodian who signs is neither the one "
                   "who prepared nor the one who approved");
    enum tc_err found = tc_account_find(s, b->approved_by_name, &approver);
    if (found == TC_ERR_INCONSISTENT)
        return WHY("批准人的账号记录与其封印不符：存储文件被改动过 / the approver's account record "
                   "does not match its seal: the store's file was changed");
    if (found != TC_OK || approver.disabled || !(approver.roles & TC_ROLE_APPROVER))
        return WHY("批准人已不再担任审核员 / the approver no longer holds the approver role");
    if (publicised_kind(b->kind) && tc_beijing_day(now) <= b->gongshi_to)
        return WHY("公示期尚未结束 / the 公示 period has not ended");
    if (b->open_objections)
        return WHY("尚有异议未处理 / objections are still open");
    enum tc_err e = approval_genuine(s, b, why, why_size);
    if (e == TC_OK)
        e = role_granted(s, b->approved_by_name, TC_ROLE_APPROVER, "approver", why, why_size);
    if (e == TC_OK)
        e = role_granted(s, by->name, TC_ROLE_CUSTODIAN, "custodian", why, why_size);
    if (e == TC_OK)
        e = prepared_genuine(s, b, why, why_size);
    if (e == TC_OK && publicised_kind(b->kind))
        e = gongshi_registered(s, b, now, why, why_size);
    if (e == TC_OK && publicised_kind(b->kind))
        e = gongshi_current(s, b, why, why_size);
    if (e == TC_OK && publicised_kind(b->kind))
        e = objections_genuine(s, b, why, why_size);
    return e;
}

struct signing {
    const struct tc_account *by;
    int64_t batch;
    uint64_t now;
    size_t n;
    int64_t issue_batch;
    const char *decision;      /* conversions: the approval's */
    struct tc_signer *key;     /* conversions */
    const struct tc_trust_list *tl; /* conversions: the predecessors' signatures checked */
    char *why;
    size_t why_size;
    uint8_t approved[32];      /* the rows' hash the approval bound */
    uint8_t read[32];          /* the hash of the rows this signing read and used */
    uint64_t reg_from, reg_to; /* the register entries the signing appended */
};

/* In the issuance's own transaction: the batch is signed, or nothing is (a crash leaves it
 * approved). */
static enum tc_err signed_hook(struct tc_store *s, int64_t issue_batch, void *ctx)
{
    struct signing *g = ctx;
    g->issue_batch = issue_batch;
    /* inside the transaction: the rows used are the rows approved, and the batch holds them
     * still (nothing changed them between the checks and here) */
    uint8_t now_hash[32];
    size_t n_rows = 0;
    enum tc_err e = rows_hash(s, g->batch, now_hash, &n_rows);
    if (e == TC_OK && (sodium_memcmp(g->read, g->approved, 32) != 0 ||
                       sodium_memcmp(now_hash, g->approved, 32) != 0)) {
        snprintf(g->why, g->why_size, "签署时批次内容被改动，未签发 / the rows changed while "
                                      "being signed: nothing is signed");
        return TC_ERR_REFUSED;
    }
    if (e != TC_OK)
        return e;
    g->reg_to = tc_store_register_size(s);
    e = tc_store_run_one(s, TC_ERR_INCONSISTENT,
                         "UPDATE wf_batches SET state = 'signed', signed_by = ?, signed_at = ?, "
                         "issue_batch = nullif(?, 0) WHERE id = ? AND signed_at IS NULL AND "
                         "issue_batch IS NULL AND state = 'approved'",
                         "iiii", g->by->id, (int64_t)g->now,
                         issue_batch ? issue_batch : (int64_t)0, g->batch);
    return e != TC_OK ? e
                      : event(s, g->now, "wf_sign", g->by, TC_ROLE_CUSTODIAN, g->batch,
                              "\"certificates\":%zu,\"register_from\":%llu,\"register_to\":%llu",
                              g->n, (unsigned long long)g->reg_from,
                              (unsigned long long)g->reg_to);
}

static enum tc_err sign_issue(struct tc_store *s, struct signing *g, struct tc_signer *key,
                              const struct tc_trust_list *tl, struct tc_refusals *ref)
{
    struct tc_issue_request *reqs = NULL;
    enum tc_err e = rows_requests(s, g->batch, &reqs, &g->n, g->read);
    /* the rules again: a blacklist entry or a key revoked since approval stops it here */
    if (e == TC_OK)
        e = tc_issue_check(s, reqs, g->n, tl, tc_signer_pub(key), g->now, ref);
    struct tc_commit_hook hook = {signed_hook, g, &g->reg_from};
    char source[64];
    snprintf(source, sizeof source, "workflow batch %lld", (long long)g->batch);
    if (e == TC_OK)
        e = tc_issue_commit_with(s, reqs, g->n, key, g->now, source, NULL, NULL, &hook);
    if (reqs)
        sodium_memzero(reqs, g->n * sizeof *reqs);
    free(reqs);
    return e;
}

/* The batch's rows not dropped, in order: each hashed into g->read, counted in g->n and carried
 * out by row (its text) until one fails; then the signing is recorded (signed_hook). */
static enum tc_err rows_tx(struct tc_store *s, struct signing *g,
                           enum tc_err (*row)(struct tc_store *, struct signing *, const char *))
{
    g->reg_from = tc_store_register_size(s);
    sqlite3_stmt *q;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT line, row FROM wf_rows WHERE batch = ? AND "
                                   "dropped = 0 ORDER BY line",
                                   "i", g->batch);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        hash_row(&h, q);
        e = row(s, g, (const char *)sqlite3_column_text(q, 1));
        g->n++;
    }
    sqlite3_finalize(q);
    crypto_hash_sha256_final(&h, g->read);
    return e == TC_OK ? signed_hook(s, 0, g) : e;
}

/* A3: what the audit chain says happened to certificate id, not its row's status: a revocation or
 * supersession already logged (each is logged with its register entry, in one transaction) is
 * refused, so a row set back to 'valid' in the table does not get a revoked certificate
 * converted, or revoked again, into a register that then holds both. */
static enum tc_err still_in_force(struct tc_store *s, uint64_t id, char *why, size_t why_size)
{
    /* -1 when the count fails: refused as well */
    if (tc_store_int(s, -1,
                     "SELECT count(*) FROM events WHERE cert = ? AND kind IN ('revoke', "
                     "'supersede')",
                     "i", (int64_t)id) != 0)
        return WHY("审计记录显示证书 %llu 已被撤销或换发，不能再签 / the audit log has "
                   "certificate %llu revoked or superseded already (whatever its row says): "
                   "nothing is signed",
                   (unsigned long long)id, (unsigned long long)id);
    return TC_OK;
}

static enum tc_err revoke_row(struct tc_store *s, struct signing *g, const char *text)
{
    struct tc_wf_revocation r;
    if (!revocation_decode(text, &r))
        return TC_ERR_INCONSISTENT;
    enum tc_err e = still_in_force(s, r.id, g->why, g->why_size);
    if (e != TC_OK)
        return e;
    return tc_revoke_in(s, r.id, r.reason, r.day, r.blacklist, r.bl_reason, r.until, g->now);
}

/* C1/C5: the certificate a conversion replaces is the one this register issued: its stored
 * bytes name its id, carry a signature by a key the trust list endorses, and hash to the issue
 * entry the register holds for it (A3: the register is append-only and what publications are
 * checked against; a genuine payload of the same id from a staging copy or another issuer is not
 * this one). The successor copies its claims (name, series, level), and neither the approval nor
 * the 公示 covers those bytes, so a payload replaced in the table after approval would otherwise
 * be signed anew as a province-wide title. */
static enum tc_err predecessor_genuine(struct tc_store *s, const struct tc_trust_list *tl,
                                       uint64_t id, char *why, size_t why_size)
{
    struct tc_cert_row row;
    struct tc_cert cert;
    const struct tc_endorsement *en = NULL;
    enum tc_err e = tc_cert_get(s, id, &row);
    if (e != TC_OK)
        return e;
    struct tc_reg_leaf l;
    uint8_t h[32];
    int64_t at = tc_store_int(s, -1, "SELECT reg_leaf FROM certificates WHERE id = ?", "i",
                              (int64_t)id);
    crypto_hash_sha256(h, row.payload, row.payload_len);
    if (tc_cert_decode(row.payload, row.payload_len, &cert, NULL) == TC_OK &&
        cert.claims.id == id && (en = tc_trust_find(tl, cert.kid)) != NULL &&
        tc_cert_verify_sig(&cert, en->pk) == TC_OK && at >= 0 &&
        tc_store_leaf_at(s, (uint64_t)at, &l) == TC_OK && l.kind == TC_REG_ISSUE && l.id == id &&
        sodium_memcmp(l.hash, h, 32) == 0)
        return TC_OK;
    return WHY("证书 %llu 的存储内容不是签发时签名的证书，不能换发 / certificate %llu as stored "
               "is not the one its committee signed: it is not converted",
               (unsigned long long)id, (unsigned long long)id);
}

static enum tc_err convert_row(struct tc_store *s, struct signing *g, const char *text)
{
    struct tc_wf_conversion c;
    uint64_t new_id = 0;
    if (!conversion_decode(text, &c))
        return TC_ERR_INCONSISTENT;
    char *why = g->why;
    size_t why_size = g->why_size;
    enum tc_err e = predecessor_genuine(s, g->tl, c.id, why, why_size);
    if (e == TC_OK)
        e = still_in_force(s, c.id, why, why_size);
    if (e != TC_OK)
        return e;
    return tc_conversion_in(s, c.id, c.at, c.reevaluation, g->decision, c.committee, g->key,
                            g->now, &new_id, g->why, g->why_size);
}

static enum tc_err revoke_tx(struct tc_store *s, void *ctx)
{
    return rows_tx(s, ctx, revoke_row);
}

static enum tc_err convert_tx(struct tc_store *s, void *ctx)
{
    return rows_tx(s, ctx, convert_row);
}

/* A1 for conversions: the key may sign province-wide titles. */
static bool province_key(const struct tc_trust_list *tl, struct tc_signer *key)
{
    const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(key)->kid);
    return en && (en->authz.tracks & TC_AUTHZ_TRACK(TC_TRACK_PROVINCE));
}

enum tc_err tc_wf_sign(struct tc_store *s, const struct tc_account *by, int64_t batch,
                       struct tc_signer *key, const struct tc_trust_list *tl, uint64_t now,
                       struct tc_refusals *ref, size_t *signed_n, char *why, size_t why_size)
{
    uint64_t from, to;
    return tc_wf_sign_range(s, by, batch, key, tl, now, ref, signed_n, &from, &to, why, why_size);
}

enum tc_err tc_wf_sign_range(struct tc_store *s, const struct tc_account *by, int64_t batch,
                             struct tc_signer *key, const struct tc_trust_list *tl, uint64_t now,
                             struct tc_refusals *ref, size_t *signed_n, uint64_t *reg_from,
                             uint64_t *reg_to, char *why, size_t why_size)
{
    struct tc_wf_batch b;
    enum tc_err e = may(s, by, TC_ROLE_CUSTODIAN, why, why_size);
    struct signing g = {by, batch, now, 0, 0, NULL, key, tl, why, why_size, {0}, {0}, 0, 0};
    if (e == TC_OK && (e = tc_wf_get(s, batch, now, &b)) == TC_OK)
        e = signable(s, &b, by, now, why, why_size);
    g.decision = b.decision;
    memcpy(g.approved, b.approved_hash, 32);
    if (e == TC_OK && strcmp(b.kind, "issue") == 0)
        e = sign_issue(s, &g, key, tl, ref);
    else if (e == TC_OK && strcmp(b.kind, "revoke") == 0)
        e = tc_store_tx(s, revoke_tx, &g);
    else if (e == TC_OK && strcmp(b.kind, "convert") != 0)
        e = WHY("批次类型“%s”未知，不能签发 / the batch's kind '%s' is none this issuer knows: "
                "nothing is signed", b.kind, b.kind);
    else if (e == TC_OK && !province_key(tl, key))
        e = WHY("此密钥未获授权签发全省统一职称（A1）/ the key is not endorsed for province-wide "
                "titles (A1)");
    else if (e == TC_OK)
        e = tc_store_tx(s, convert_tx, &g);
    if (e == TC_ERR_REFUSED && ref && ref->total && !why[0])
        snprintf(why, why_size, "规则检查未通过（%zu 项）/ the rules refused %zu row(s)",
                 ref->total, ref->total);
    if (signed_n)
        *signed_n = e == TC_OK ? g.n : 0;
    *reg_from = e == TC_OK ? g.reg_from : 0;
    *reg_to = e == TC_OK ? g.reg_to : 0;
    return e;
}

struct published {
    uint64_t now;
};

static enum tc_err published_tx(struct tc_store *s, void *ctx)
{
    struct published *p = ctx;
    enum tc_err e = tc_store_run(s,
                                 "UPDATE wf_batches SET state = 'published', published_at = ? "
                                 "WHERE state = 'signed'",
                                 "i", (int64_t)p->now);
    int n = sqlite3_changes(tc_store_db(s));
    return e != TC_OK || n == 0 ? e
                                : event(s, p->now, "wf_published", NULL, 0, 0, "\"batches\":%d",
                                        n);
}

enum tc_err tc_wf_published(struct tc_store *s, uint64_t now)
{
    struct published p = {now};
    return tc_store_tx(s, published_tx, &p);
}

/* ---- lists ----------------------------------------------------------------------------------- */

static enum tc_err list_where(struct tc_store *s, const char *sql, uint64_t now,
                              void (*fn)(void *ctx, const struct tc_wf_batch *b), void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, sql, &q);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tc_wf_batch b;
        if ((e = tc_wf_get(s, sqlite3_column_int64(q, 0), now, &b)) == TC_OK)
            fn(ctx, &b);
    }
    sqlite3_finalize(q);
    return e;
}

enum tc_err tc_wf_list(struct tc_store *s, uint64_t now,
                       void (*fn)(void *ctx, const struct tc_wf_batch *b), void *ctx)
{
    return list_where(s, "SELECT id FROM wf_batches ORDER BY id", now, fn, ctx);
}

/* Each batch read costs a hash of its rows: a published batch (no step left, no objection open:
 * objections are taken during the 公示 and approval needs them all resolved) is not read. */
enum tc_err tc_wf_pending(struct tc_store *s, uint64_t now,
                          void (*fn)(void *ctx, const struct tc_wf_batch *b), void *ctx)
{
    return list_where(s, "SELECT id FROM wf_batches WHERE state <> 'published' ORDER BY id", now,
                      fn, ctx);
}

enum tc_err tc_wf_rows(struct tc_store *s, int64_t batch,
                       void (*fn)(void *ctx, size_t line, bool dropped, const char *row),
                       void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT line, dropped, row FROM wf_rows WHERE batch = ? "
                                   "ORDER BY line",
                                   "i", batch);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW)
        fn(ctx, (size_t)sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1) != 0,
           (const char *)sqlite3_column_text(q, 2));
    sqlite3_finalize(q);
    return TC_OK;
}

enum tc_err tc_wf_objections(struct tc_store *s, int64_t batch,
                             void (*fn)(void *ctx, const struct tc_wf_objection *o), void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(
        s, &q,
        "SELECT o.id, o.line, o.objector, o.contact, o.received, o.text, o.state, "
        "coalesce(o.outcome, ''), r.name, coalesce(v.name, '') FROM objections o JOIN "
        "accounts r ON r.id = o.recorded_by LEFT JOIN accounts v ON v.id = o.resolved_by "
        "WHERE o.batch = ? ORDER BY o.id",
        "i", batch);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct tc_wf_objection o;
        memset(&o, 0, sizeof o);
        o.id = sqlite3_column_int64(q, 0), o.batch = batch;
        o.line = (size_t)sqlite3_column_int64(q, 1);
        text_col(q, 2, o.objector, sizeof o.objector), text_col(q, 3, o.contact, sizeof o.contact);
        o.received = sqlite3_column_int(q, 4);
        text_col(q, 5, o.text, sizeof o.text), text_col(q, 6, o.state, sizeof o.state);
        text_col(q, 7, o.outcome, sizeof o.outcome);
        text_col(q, 8, o.recorded_by, sizeof o.recorded_by);
        text_col(q, 9, o.resolved_by, sizeof o.resolved_by);
        fn(ctx, &o);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

/* ---- what the signer checks against its own record (signer/) --------------------------------- */

enum tc_err tc_audit_head(struct tc_store *s, int64_t *seq, uint8_t mac[32])
{
    sqlite3_stmt *q;
    *seq = 0;
    memset(mac, 0, 32);
    enum tc_err e = tc_store_prepare(s, "SELECT seq, mac FROM events ORDER BY seq DESC LIMIT 1", &q);
    if (e != TC_OK)
        return e;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 1) == 32) {
        *seq = sqlite3_column_int64(q, 0);
        memcpy(mac, sqlite3_column_blob(q, 1), 32);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

bool tc_audit_holds(struct tc_store *s, int64_t seq, const uint8_t mac[32])
{
    sqlite3_stmt *q;
    bool held = false;
    if (seq == 0)
        return true; /* an empty chain is in every chain */
    if (tc_store_query(s, &q, "SELECT mac FROM events WHERE seq = ?", "i", seq) != TC_OK)
        return false;
    held = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32 &&
           sodium_memcmp(sqlite3_column_blob(q, 0), mac, 32) == 0;
    sqlite3_finalize(q);
    return held && tc_store_event_genuine(s, seq) == TC_OK;
}

enum tc_err tc_register_publications(struct tc_store *s, uint64_t from,
                                     void (*fn)(void *ctx, uint64_t idx), void *ctx,
                                     uint64_t *next)
{
    sqlite3_stmt *q;
    *next = from;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT idx, leaf FROM register WHERE idx >= ? ORDER BY "
                                   "idx",
                                   "i", (int64_t)from);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct tc_reg_leaf l;
        uint64_t idx = (uint64_t)sqlite3_column_int64(q, 0);
        if (tc_reg_leaf_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
                               &l) == TC_OK &&
            l.kind == TC_REG_PUBLICATION)
            fn(ctx, idx);
        *next = idx + 1;
    }
    sqlite3_finalize(q);
    return TC_OK;
}

/* How many genuine audit events of KIND name HASH under KEY (and BATCH when >= 0): each vouches
 * for one register entry, so a copied entry is not vouched for by its original's event. */
static int64_t vouched(struct tc_store *s, const char *kind, const char *key, const uint8_t hash[32],
                       int64_t batch)
{
    sqlite3_stmt *q;
    char hex[65];
    int64_t found = 0;
    sodium_bin2hex(hex, sizeof hex, hash, 32);
    if (tc_store_query(s, &q, "SELECT seq, detail FROM events WHERE kind = ? ORDER BY seq DESC",
                       "t", kind) != TC_OK)
        return 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_error_t err;
        json_t *d = json_loads((const char *)sqlite3_column_text(q, 1), 0, &err);
        found += d && member_is(d, key, hex) &&
                 (batch < 0 || json_integer_value(json_object_get(d, "batch")) == batch) &&
                 tc_store_event_genuine(s, sqlite3_column_int64(q, 0)) == TC_OK;
        json_decref(d);
    }
    sqlite3_finalize(q);
    return found;
}

/* How many entries up to IDX hold the same bytes as entry IDX (the first copy counts as one). */
static int64_t copies(struct tc_store *s, uint64_t idx)
{
    return tc_store_int(s, INT64_MAX,
                        "SELECT count(*) FROM register WHERE idx <= ?1 AND hash = (SELECT hash "
                        "FROM register WHERE idx = ?1)",
                        "i", (int64_t)idx);
}

static bool owned(uint64_t idx, const struct tc_range *own, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (idx >= own[i].from && idx < own[i].to)
            return true;
    return false;
}

enum tc_err tc_register_vouch(struct tc_store *s, uint64_t from, uint64_t to,
                              const struct tc_range *own, size_t n_own, char *why, size_t why_size)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT idx, leaf FROM register WHERE idx >= ? AND idx < ? "
                                   "ORDER BY idx",
                                   "ii", (int64_t)from, (int64_t)to);
    if (e != TC_OK)
        return e;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tc_reg_leaf l;
        uint64_t idx = (uint64_t)sqlite3_column_int64(q, 0);
        bool ok = tc_reg_leaf_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
                                     &l) == TC_OK;
        if (ok && !owned(idx, own, n_own)) /* not the signer's own: the audit chain vouches */
            ok = (l.kind == TC_REG_PUBLICATION &&
                  vouched(s, "wf_publicise", "gongshi_sha256", l.hash, (int64_t)l.id) >=
                      copies(s, idx)) ||
                 (l.kind == TC_REG_DATA && l.id == TC_REG_DATA_UNITS &&
                  vouched(s, "units_import", "digest", l.hash, -1) >= copies(s, idx));
        if (!ok)
            e = WHY("登记簿第 %llu 条既非签名服务所写，也无审计记录为证，不予发布 / register entry "
                    "%llu was neither written by the signer nor vouched for by the audit log: "
                    "nothing is published", (unsigned long long)idx, (unsigned long long)idx);
    }
    sqlite3_finalize(q);
    return e;
}

bool tc_wf_signed_range(struct tc_store *s, uint64_t from, struct tc_range *r)
{
    sqlite3_stmt *q;
    bool found = false;
    if (tc_store_prepare(s, "SELECT seq, detail FROM events WHERE kind = 'wf_sign' ORDER BY seq "
                            "DESC", &q) != TC_OK)
        return false;
    while (!found && sqlite3_step(q) == SQLITE_ROW) {
        json_error_t err;
        json_t *d = json_loads((const char *)sqlite3_column_text(q, 1), 0, &err);
        json_t *a = json_object_get(d, "register_from"), *z = json_object_get(d, "register_to");
        found = json_is_integer(a) && json_is_integer(z) && json_integer_value(a) >= 0 &&
                (uint64_t)json_integer_value(a) == from &&
                json_integer_value(z) >= json_integer_value(a) &&
                tc_store_event_genuine(s, sqlite3_column_int64(q, 0)) == TC_OK;
        if (found)
            *r = (struct tc_range){from, (uint64_t)json_integer_value(z)};
        json_decref(d);
    }
    sqlite3_finalize(q);
    return found;
}

uint64_t tc_register_size_now(struct tc_store *s)
{
    return (uint64_t)tc_store_int(s, 0, "SELECT coalesce(max(idx) + 1, 0) FROM register", "");
}
