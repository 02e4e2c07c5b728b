/*
 * batches.c - the workflow through the console's API: results uploaded and checked, the 公示,
 * objections, approval bound to the rows shown, signing by the signer, revocations; and the
 * work list of what waits for each role. The issuer library checks every rule and role again
 * (tc_wf_*); this file reads requests, says who may ask, and answers in JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "signer.h"

#define ROWS_ROLES (TC_ROLE_CLERK | TC_ROLE_APPROVER | TC_ROLE_AUDITOR) /* who sees names */
#define ANY_STAFF (TC_ROLE_CLERK | TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN | TC_ROLE_AUDITOR)

static json_t *day_json(int32_t d)
{
    char s[11];
    if (!d)
        return json_null();
    tc_day_format(s, d);
    return json_string(s);
}

static json_t *batch_json(const struct tc_wf_batch *b)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, b->rows_hash, 32);
    return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:i,s:b,s:i,s:s,s:s,s:s,s:I}", "id",
                     (json_int_t)b->id, "kind", b->kind, "state", b->state, "title", b->title,
                     "rows", (json_int_t)b->rows, "rows_hash", hex, "gongshi_from",
                     day_json(b->gongshi_from), "gongshi_to", day_json(b->gongshi_to),
                     "working_days_left", b->working_days_left, "publicity_closed",
                     b->publicity_closed, "open_objections", b->open_objections, "prepared_by",
                     b->prepared_by_name, "approved_by", b->approved_by_name, "decision",
                     b->decision, "issue_batch", (json_int_t)b->issue_batch);
}

static void list_one(void *ctx, const struct tc_wf_batch *b)
{
    json_array_append_new(ctx, batch_json(b));
}

static void refused(struct tc_http_req *r, enum tc_err e, const char *why,
                    const struct tc_refusals *ref)
{
    json_t *o =
        json_pack("{s:s,s:s}", "error", e == TC_ERR_NOT_FOUND ? "not_found" : "refused", "message",
                  why && *why             ? why
                  : e == TC_ERR_NOT_FOUND ? "没有这个批次 / no such batch"
                                          : tc_strerror(e));
    if (ref && ref->n) {
        json_t *a = json_array();
        for (size_t i = 0; i < ref->n; i++)
            json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s}", "line",
                                               (json_int_t)ref->v[i].line, "rule", ref->v[i].rule,
                                               "field", ref->v[i].field, "message", ref->v[i].msg));
        json_object_set_new(o, "refusals", a);
        json_object_set_new(o, "total", json_integer((json_int_t)ref->total));
    }
    tc_http_reply_json(r, e == TC_ERR_NOT_FOUND ? 404 : e == TC_ERR_REFUSED ? 422 : 500, o);
}

/* ---- the list and uploads -------------------------------------------------------------------- */

/* The upload into a private temporary file (the library reads results from a path). */
static bool upload_file(struct tc_http_req *r, char path[64])
{
    size_t len = 0;
    const char *body = tc_http_body(r, &len);
    snprintf(path, 64, "/tmp/tc-console-XXXXXX");
    int fd = mkstemp(path);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, body + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    if (fd >= 0)
        close(fd);
    if (!ok && fd >= 0)
        unlink(path);
    return ok;
}

static void upload(struct console *c, struct tc_http_req *r, const struct who *w)
{
    const char *title = tc_http_query(r, "title"), *rep = tc_http_query(r, "replace");
    uint64_t replace = 0;
    char path[64], why[512] = "";
    if (!title || !*title || strlen(title) > 120 ||
        !tc_text_safe((const uint8_t *)title, strlen(title))) {
        cs_error(r, 400, "bad_request", "须给出批次名称（title）/ a title is required");
        return;
    }
    if (rep && (!tc_parse_u64(rep, &replace) || replace > INT64_MAX)) {
        cs_error(r, 400, "bad_request",
                 "replace 须为被替换批次的编号 / replace takes the number of the batch it replaces");
        return;
    }
    if (!upload_file(r, path)) {
        cs_error(r, 500, "io", "上传的文件无法暂存 / the upload could not be kept");
        return;
    }
    struct tc_refusals ref = {0};
    int64_t batch = 0;
    enum tc_err e = tc_wf_prepare(c->s, &w->a, path, title, (int64_t)replace, c->tl, &c->issuer,
                                  w->now, &batch, &ref, why, sizeof why);
    unlink(path);
    struct tc_wf_batch b;
    if (e == TC_OK && tc_wf_get(c->s, batch, w->now, &b) == TC_OK)
        tc_http_reply_json(r, 201, batch_json(&b));
    else
        refused(r, e == TC_OK ? TC_ERR_STORE : e,
                ref.total ? "文件未通过检查，未存入任何数据 / the file was refused: nothing stored"
                          : why,
                &ref);
    tc_refusals_free(&ref);
}

void cs_batches(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    bool post = tc_http_method(r) == TC_HTTP_POST;
    if (!cs_allowed(c, r, post ? TC_ROLE_CLERK : ANY_STAFF, post ? CS_WRITE : CS_READ, NULL, &w))
        return;
    if (post) {
        upload(c, r, &w);
        return;
    }
    json_t *a = json_array();
    tc_wf_list(c->s, w.now, list_one, a);
    tc_http_reply_json(r, 200, json_pack("{s:o}", "batches", a));
}

/* ---- one batch ------------------------------------------------------------------------------ */

struct rows_ctx {
    struct tc_store *s;
    json_t *a;
};

static int32_t int_member(json_t *o, const char *key)
{
    return (int32_t)json_integer_value(json_object_get(o, key));
}

/* A basic-level row's scope in words (tc_scope_words: the wording of the verifier and the
 * e-certificate): the scope the row gives, else the profile's default for its employer, as
 * signing will make it; a province-wide title is valid at any unit. */
static void scope_words(struct tc_store *s, json_t *row, const struct tc_unit *u, bool found,
                        json_t *w)
{
    const struct tc_profile *p = tc_store_profile(s);
    char zh[256] = "全省范围有效（任何单位）", en[256] = "valid at any unit in the province";
    json_t *given = json_object_get(row, "scope");
    struct tc_scope sc;
    memset(&sc, 0, sizeof sc);
    if (int_member(row, "track") == TC_TRACK_BASIC) {
        const char *unit = json_string_value(json_object_get(given, "unit"));
        sc.region = given                               ? (uint32_t)int_member(given, "region")
                    : p->default_region_county && found ? u->division
                                                        : p->province;
        sc.tier = (uint8_t)(given ? int_member(given, "tier") : p->default_tier);
        sc.has_unit = unit && *unit && strlen(unit) < sizeof sc.unit;
        if (sc.has_unit)
            memcpy(sc.unit, unit, strlen(unit) + 1);
        tc_scope_words(&sc, p->name, p->name_en, zh, sizeof zh, en, sizeof en);
    }
    json_object_set_new(w, "scope_zh", json_string(zh));
    json_object_set_new(w, "scope_en", json_string(en));
}

/* What an issue row says, in words for the page: the title, the track and how it was obtained,
 * its days, the employer's name in the unit directory and the scope. */
static json_t *issue_words(struct tc_store *s, json_t *row)
{
    const struct tc_title *t =
        tc_title_lookup((uint16_t)int_member(row, "series"), (uint8_t)int_member(row, "level"),
                        (uint8_t)int_member(row, "variant"));
    uint8_t track = (uint8_t)int_member(row, "track"), method = (uint8_t)int_member(row, "method");
    char day[11], month[8];
    tc_day_format(day, int_member(row, "obtained"));
    tc_month_format(month, int_member(row, "tenure"));
    json_t *w = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "series_zh",
                          t ? t->series_name : "?", "series_en", t ? t->series_en : "?", "title_zh",
                          t ? t->title : "?", "title_en", t ? t->title_en : "?", "level_zh",
                          tc_level_name_zh((uint8_t)int_member(row, "level")), "level_en",
                          tc_level_name_en((uint8_t)int_member(row, "level")), "track_zh",
                          tc_track_name_zh(track), "track_en", tc_track_name_en(track), "method_zh",
                          tc_method_name_zh(method), "method_en", tc_method_name_en(method),
                          "obtained", day, "tenure", month);
    const char *employer = json_string_value(json_object_get(row, "employer"));
    struct tc_unit u;
    bool found = employer && tc_units_find(s, employer, int_member(row, "obtained"), &u) == TC_OK;
    if (w && found)
        json_object_set_new(w, "employer_name", json_string(u.name));
    if (w)
        scope_words(s, row, &u, found, w);
    return w;
}

static void row_one(void *ctx, size_t line, bool dropped, const char *row)
{
    struct rows_ctx *x = ctx;
    json_error_t err;
    json_t *o = json_loads(row, 0, &err);
    if (!o)
        return;
    json_object_del(o, "holder");
    json_object_set_new(o, "line", json_integer((json_int_t)line));
    json_object_set_new(o, "dropped", json_boolean(dropped));
    json_t *words = json_object();
    if (json_object_get(o, "series"))
        json_object_update_new(words, issue_words(x->s, o));
    static const char *const days[] = {"day", "until", "at"}; /* revocations, conversions */
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        char d[11];
        int32_t v = int_member(o, days[i]);
        if (v && !json_object_get(o, "series")) {
            tc_day_format(d, v);
            json_object_set_new(words, days[i], json_string(d));
        }
    }
    json_object_set_new(o, "words", words);
    json_array_append_new(x->a, o);
}

static void objection_one(void *ctx, const struct tc_wf_objection *o)
{
    json_array_append_new(ctx, json_pack("{s:I,s:I,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "id",
                                         (json_int_t)o->id, "line", (json_int_t)o->line, "objector",
                                         o->objector, "contact", o->contact, "received",
                                         day_json(o->received), "text", o->text, "state", o->state,
                                         "outcome", o->outcome, "recorded_by", o->recorded_by,
                                         "resolved_by", o->resolved_by));
}

static void show(struct console *c, struct tc_http_req *r, const struct who *w, int64_t id)
{
    struct tc_wf_batch b;
    enum tc_err e = tc_wf_get(c->s, id, w->now, &b);
    if (e != TC_OK) {
        refused(r, e, NULL, NULL);
        return;
    }
    json_t *o = batch_json(&b);
    if (w->a.roles & ROWS_ROLES) { /* names and objectors: personal data, each read audited */
        json_t *rows = json_array(), *obj = json_array();
        struct rows_ctx x = {c->s, rows};
        tc_wf_rows(c->s, id, row_one, &x);
        tc_wf_objections(c->s, id, objection_one, obj);
        json_object_set_new(o, "rows_detail", rows);
        json_object_set_new(o, "objections", obj);
        char what[32];
        snprintf(what, sizeof what, "batch %lld", (long long)id);
        cs_audit(c, r, w, "console_read_rows", what, "ok");
    }
    tc_http_reply_json(r, 200, o);
}

static void objection(struct console *c, struct tc_http_req *r, const struct who *w, json_t *b,
                      int64_t id)
{
    json_t *line = json_object_get(b, "line");
    const char *day = cs_text(b, "received", 10);
    int32_t received = 0;
    char why[512] = "";
    int64_t oid = 0;
    if (!json_is_integer(line) || json_integer_value(line) < 1 || !day ||
        !tc_day_parse(&received, day)) {
        cs_error(r, 400, "bad_request", "须给出行号和收到日期 / the line and the day received");
        return;
    }
    enum tc_err e =
        tc_wf_object(c->s, &w->a, id, (size_t)json_integer_value(line), cs_text(b, "objector", 95),
                     cs_text(b, "contact", 127), received,
                     cs_text(b, "text", TC_OBJECTION_TEXT_MAX), w->now, &oid, why, sizeof why);
    if (e != TC_OK)
        refused(r, e, why, NULL);
    else
        tc_http_reply_json(r, 201, json_pack("{s:I}", "objection", (json_int_t)oid));
}

static void decide(struct console *c, struct tc_http_req *r, const struct who *w, json_t *b,
                   int64_t id, bool approve)
{
    uint8_t expected[32];
    size_t got = 0;
    const char *hex = cs_text(b, "rows_hash", 64), *decision = cs_text(b, "decision", 64);
    char why[512] = "";
    if (approve && (!hex || strlen(hex) != 64 ||
                    sodium_hex2bin(expected, 32, hex, 64, NULL, &got, NULL) != 0 || got != 32)) {
        cs_error(r, 400, "bad_request", "须给出所见内容的哈希 / the rows hash you were shown");
        return;
    }
    enum tc_err e =
        approve ? tc_wf_approve(c->s, &w->a, id, decision, expected, w->now, why, sizeof why)
                : tc_wf_reject(c->s, &w->a, id, w->now, why, sizeof why);
    struct tc_wf_batch x;
    if (e == TC_OK && tc_wf_get(c->s, id, w->now, &x) == TC_OK)
        tc_http_reply_json(r, 200, batch_json(&x));
    else
        refused(r, e, why, NULL);
}

/* sign: the signer signs, asked as the custodian with their password */
static void sign(struct console *c, struct tc_http_req *r, const struct who *w, json_t *b,
                 int64_t id, bool revocation)
{
    json_t *pv = json_object_get(b, "password");
    if (!json_is_string(pv)) {
        cs_error(r, 400, "bad_request",
                 "须输入您的口令，签名服务核对 / your password, for the signer");
        return;
    }
    json_t *req =
        json_pack("{s:s,s:s,s:O,s:I}", "op", revocation ? "sign-revocation" : "sign-batch",
                  "account", w->a.name, "password", pv, "batch", (json_int_t)id);
    char what[32];
    snprintf(what, sizeof what, "batch %lld", (long long)id);
    cs_signer_call(c, r, w, req, what);
}

/* The batch id and the action after it in the path, or false after answering 404. */
static bool batch_path(struct tc_http_req *r, int64_t *id, const char **action)
{
    if (cs_id_action(tc_http_param(r), id, action))
        return true;
    cs_error(r, 404, "not_found", "没有这个批次 / no such batch");
    return false;
}

/* POST /api/batches/{id}/{action} and /api/revocations/{id}/{action} */
static void act(struct console *c, struct tc_http_req *r, bool revocation)
{
    static const struct {
        const char *name;
        unsigned role, how;
    } acts[] = {
        {"publicise", TC_ROLE_CLERK, CS_WRITE},   {"objections", TC_ROLE_CLERK, CS_WRITE},
        {"approve", TC_ROLE_APPROVER, CS_REAUTH}, {"reject", TC_ROLE_APPROVER, CS_WRITE},
        {"sign", TC_ROLE_CUSTODIAN, CS_REAUTH},
    };
    int64_t id;
    const char *action;
    if (!batch_path(r, &id, &action))
        return;
    size_t i = 0;
    while (i < 5 && strcmp(action, acts[i].name) != 0)
        i++;
    if (i == 5 || (revocation && i < 2)) {
        cs_error(r, 404, "not_found", "没有这个操作 / no such action");
        return;
    }
    json_t *b = cs_body(r);
    struct who w;
    if (!b || !cs_allowed(c, r, acts[i].role, acts[i].how, b, &w)) {
        json_decref(b);
        return;
    }
    char why[512] = "";
    int err = 0;
    enum tc_err e;
    if (i == 0 && (e = tc_wf_publicise(c->s, &w.a, id, c->cfg.publish_dir, w.now, &err, why,
                                       sizeof why)) != TC_OK)
        refused(r, e, why[0] ? why : err ? strerror(err) : "", NULL);
    else if (i == 0) { /* the signer scans the register now: it dates the 公示 from today */
        char *reply = NULL;
        tc_signer_call(c->cfg.signer_socket, "{\"op\":\"status\"}", 2000, &reply);
        free(reply);
        show(c, r, &w, id);
    }
    else if (i == 1)
        objection(c, r, &w, b, id);
    else if (i == 2 || i == 3)
        decide(c, r, &w, b, id, i == 2);
    else
        sign(c, r, &w, b, id, revocation);
    json_decref(b);
}

void cs_batch(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    if (tc_http_method(r) == TC_HTTP_POST) {
        act(c, r, false);
        return;
    }
    int64_t id;
    const char *action;
    if (!batch_path(r, &id, &action))
        return;
    struct who w;
    bool zip = strcmp(action, "ecerts.zip") == 0;
    if (*action && !zip) {
        cs_error(r, 405, "method_not_allowed", "use POST");
        return;
    }
    if (!cs_allowed(c, r, zip ? TC_ROLE_CLERK | TC_ROLE_APPROVER : ANY_STAFF, CS_READ, NULL, &w))
        return;
    if (zip)
        cs_ecerts(c, r, &w, id);
    else
        show(c, r, &w, id);
}

void cs_objection(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    int64_t id;
    const char *action;
    struct who w;
    json_t *b = NULL;
    char why[512] = "";
    if (!cs_id_action(tc_http_param(r), &id, &action) || strcmp(action, "resolve") != 0) {
        cs_error(r, 404, "not_found", "没有这个操作 / no such action");
        return;
    }
    if (!(b = cs_body(r)) || !cs_allowed(c, r, TC_ROLE_APPROVER, CS_WRITE, b, &w)) {
        json_decref(b);
        return;
    }
    enum tc_err e = tc_wf_resolve(c->s, &w.a, id, json_is_true(json_object_get(b, "upheld")),
                                  cs_text(b, "outcome", 1000), w.now, why, sizeof why);
    if (e != TC_OK)
        refused(r, e, why, NULL);
    else
        tc_http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
    json_decref(b);
}

/* ---- revocations ---------------------------------------------------------------------------- */

static void list_revocations(void *ctx, const struct tc_wf_batch *b)
{
    if (strcmp(b->kind, "revoke") == 0)
        json_array_append_new(ctx, batch_json(b));
}

void cs_revocations(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    bool post = tc_http_method(r) == TC_HTTP_POST;
    json_t *b = post ? cs_body(r) : NULL;
    if ((post && !b) ||
        !cs_allowed(c, r, post ? TC_ROLE_CLERK : ANY_STAFF, post ? CS_REAUTH : CS_READ, b, &w)) {
        json_decref(b);
        return;
    }
    if (!post) {
        json_t *a = json_array();
        tc_wf_list(c->s, w.now, list_revocations, a);
        tc_http_reply_json(r, 200, json_pack("{s:o}", "revocations", a));
        return;
    }
    struct tc_wf_revocation *v = NULL;
    size_t n = 0;
    int64_t batch = 0;
    char why[512] = "";
    const char *title = cs_text(b, "title", 120);
    if (!title || !cs_revocation_items(b, &v, &n, tc_beijing_day(w.now)))
        cs_error(r, 400, "bad_request",
                 "须给出证书编号、撤销原因和名称 / certificate ids, a reason "
                 "and a title");
    else {
        enum tc_err e =
            tc_wf_propose_revocations(c->s, &w.a, v, n, title, w.now, &batch, why, sizeof why);
        struct tc_wf_batch x;
        if (e == TC_OK && tc_wf_get(c->s, batch, w.now, &x) == TC_OK)
            tc_http_reply_json(r, 201, batch_json(&x));
        else
            refused(r, e, why, NULL);
    }
    free(v);
    json_decref(b);
}

void cs_revocation(struct tc_http_req *r, void *ctx)
{
    act(ctx, r, true);
}

/* ---- the signer ------------------------------------------------------------------------------ */

void cs_signer_call(struct console *c, struct tc_http_req *r, const struct who *w, json_t *req,
                    const char *object)
{
    char *text = json_dumps(req, JSON_COMPACT), *reply = NULL;
    const char *op = json_string_value(json_object_get(req, "op"));
    char opname[32];
    snprintf(opname, sizeof opname, "%s", op ? op : "?");
    json_decref(req);
    enum tc_err e =
        text ? tc_signer_call(c->cfg.signer_socket, text, 10 * 60 * 1000, &reply) : TC_ERR_NOMEM;
    if (text)
        sodium_memzero(text, strlen(text)), free(text);
    json_error_t err;
    json_t *a = e == TC_OK ? json_loads(reply, 0, &err) : NULL;
    free(reply);
    bool ok = a && json_is_true(json_object_get(a, "ok"));
    char outcome[64];
    snprintf(outcome, sizeof outcome, "%s: %s", opname,
             ok  ? "ok"
             : a ? json_string_value(json_object_get(a, "error"))
                 : "unreachable");
    cs_audit(c, r, w, "console_signer_request", object, outcome);
    if (!a) {
        cs_error(r, 502, "signer_unreachable", "签名服务无法连接 / the signer cannot be reached");
        return;
    }
    tc_http_reply_json(r, ok ? 200 : 422, a);
}

/* ---- what waits for me ------------------------------------------------------------------------
 */

struct work {
    const struct tc_account *a;
    json_t *items;
};

static void work_one(void *ctx, const struct tc_wf_batch *b)
{
    struct work *k = ctx;
    const char *what = NULL;
    unsigned role = k->a->roles;
    bool pub = strcmp(b->kind, "revoke") != 0;
    if ((role & TC_ROLE_CLERK) && strcmp(b->state, "draft") == 0 && pub)
        what = "publicise";
    else if ((role & TC_ROLE_APPROVER) && b->open_objections)
        what = "resolve";
    else if ((role & TC_ROLE_APPROVER) && b->prepared_by != k->a->id &&
             ((pub && b->publicity_closed) || (!pub && strcmp(b->state, "draft") == 0)))
        what = "approve";
    else if ((role & TC_ROLE_CUSTODIAN) && strcmp(b->state, "approved") == 0 &&
             b->prepared_by != k->a->id && b->approved_by != k->a->id)
        what = "sign";
    else if ((role & TC_ROLE_CUSTODIAN) && strcmp(b->state, "signed") == 0)
        what = "publish";
    if (what)
        json_array_append_new(k->items,
                              json_pack("{s:s,s:o}", "action", what, "batch", batch_json(b)));
}

static void change_one(void *ctx, const struct tc_role_change *ch)
{
    struct work *k = ctx;
    char roles[96];
    tc_roles_format(ch->roles, roles, sizeof roles);
    if (strcmp(ch->proposed_by, k->a->name) != 0 && strcmp(ch->account, k->a->name) != 0)
        json_array_append_new(k->items,
                              json_pack("{s:s,s:I,s:s,s:s,s:s}", "action", "confirm", "change",
                                        (json_int_t)ch->id, "account", ch->account, "roles", roles,
                                        "proposed_by", ch->proposed_by));
}

void cs_work(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    if (!cs_allowed(c, r, 0, CS_READ, NULL, &w))
        return;
    struct work k = {&w.a, json_array()};
    if (w.a.roles & (TC_ROLE_CLERK | TC_ROLE_APPROVER | TC_ROLE_CUSTODIAN))
        tc_wf_pending(c->s, w.now, work_one, &k); /* a published batch asks nothing of anyone */
    if (w.a.roles & TC_ROLE_ADMIN)
        tc_role_changes_pending(c->s, change_one, &k);
    tc_http_reply_json(r, 200, json_pack("{s:o}", "work", k.items));
}
