/*
 * admin.c - the rest of the console's API: certificate search, the signer's state and its
 * unlocking, accounts and roles (one admin proposes, another confirms), the working-day calendar,
 * and the audit view (the auditor's, with CSV export).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "signer.h"

/* ---- certificates --------------------------------------------------------------------------- */

static void hit_one(void *ctx, const struct tc_cert_hit *h)
{
    char day[11];
    tc_day_format(day, h->claims.obtained_day);
    json_array_append_new(
        ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)h->id, "status",
                       h->status, "name", h->claims.name, "id_mask", h->claims.id_mask, "employer",
                       h->claims.employer, "specialty", h->claims.specialty, "track",
                       tc_track_name_zh(h->claims.track), "obtained", day));
}

void cs_certificates(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    if (!cs_allowed(c, r, TC_ROLE_CLERK | TC_ROLE_APPROVER | TC_ROLE_AUDITOR, CS_READ, NULL, &w))
        return;
    const char *q = tc_http_query(r, "q");
    json_t *a = json_array();
    size_t found = 0;
    if (tc_cert_search(c->s, q, 50, hit_one, a, &found) != TC_OK) {
        json_decref(a);
        cs_error(r, 400, "bad_query",
                 "请输入证书编号、姓名或单位代码 / a certificate number, a "
                 "name or a unit's code");
        return;
    }
    cs_audit(c, r, &w, "console_search", "certificates", found ? "found" : "none");
    tc_http_reply_json(r, 200, json_pack("{s:o,s:b}", "certificates", a, "more", found == 50));
}

/* ---- the signer --------------------------------------------------------------------------- */

void cs_signer(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    if (tc_http_method(r) != TC_HTTP_POST) {
        if (cs_allowed(c, r, 0, CS_READ, NULL, &w)) {
            char *reply = NULL;
            json_error_t err;
            json_t *a =
                tc_signer_call(c->cfg.signer_socket, "{\"op\":\"status\"}", 5000, &reply) == TC_OK
                    ? json_loads(reply, 0, &err)
                    : NULL;
            free(reply);
            tc_http_reply_json(r, 200,
                               a ? a : json_pack("{s:b,s:s}", "ok", 0, "state", "unreachable"));
        }
        return;
    }
    json_t *b = cs_body(r);
    const char *op = b ? cs_text(b, "op", 16) : NULL;
    bool lock = op && strcmp(op, "lock") == 0;
    bool unlock = op && strcmp(op, "unlock") == 0, publish = op && strcmp(op, "publish") == 0;
    if (!b ||
        !cs_allowed(c, r, lock ? 0 : TC_ROLE_CUSTODIAN, unlock ? CS_REAUTH : CS_WRITE, b, &w)) {
        json_decref(b);
        return;
    }
    if (!lock && !unlock && !publish) {
        json_decref(b);
        cs_error(r, 400, "bad_request", "操作为 unlock、lock 或 publish / unlock, lock or publish");
        return;
    }
    json_t *req = json_pack("{s:s}", "op", op);
    if (!lock) {
        json_object_set_new(req, "account", json_string(w.a.name));
        json_object_set(req, "password", json_object_get(b, "password"));
    }
    if (unlock) {
        json_object_set(req, "passphrase", json_object_get(b, "passphrase"));
        json_object_set(req, "minutes", json_object_get(b, "minutes"));
        if (json_object_get(b, "pin"))
            json_object_set(req, "pin", json_object_get(b, "pin"));
        if (json_object_get(b, "key_passphrase"))
            json_object_set(req, "key_passphrase", json_object_get(b, "key_passphrase"));
    }
    cs_signer_call(c, r, &w, req, "signer");
    json_decref(b);
}

/* ---- accounts -------------------------------------------------------------------------------- */

struct listing {
    struct tc_store *s;
    json_t *users;
};

/* An account, and while its code's second half waits, the admin who holds the first (who may not
 * give the second). */
static void account_one(void *ctx, const struct tc_account *a)
{
    struct listing *l = ctx;
    json_t *j = cs_account_json(a);
    struct tc_account first;
    if (a->awaiting_half && tc_account_by_id(l->s, a->half_by, &first) == TC_OK)
        json_object_set_new(j, "first_half_by", json_string(first.name));
    json_array_append_new(l->users, j);
}

static void change_one(void *ctx, const struct tc_role_change *ch)
{
    char roles[96];
    tc_roles_format(ch->roles, roles, sizeof roles);
    json_array_append_new(ctx,
                          json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)ch->id, "account",
                                    ch->account, "roles", roles, "proposed_by", ch->proposed_by));
}

static void add_user(struct console *c, struct tc_http_req *r, const struct who *w, json_t *b)
{
    unsigned roles = 0;
    const char *name = cs_text(b, "name", TC_ACCOUNT_NAME_MAX - 1);
    const char *display = cs_text(b, "display", TC_ACCOUNT_DISPLAY_MAX - 1);
    const char *list = cs_text(b, "roles", 95);
    char code[TC_ENROL_CODE_LEN + 1];
    const char *why = NULL;
    if (!name || !display || !list || !tc_roles_parse(list, &roles)) {
        cs_error(r, 400, "bad_request",
                 "须给出账号名、姓名和角色 / a name, the person's name and "
                 "roles");
        return;
    }
    enum tc_err e =
        tc_account_add(c->s, name, display, roles, NULL, &w->a, w->now, code, NULL, &why);
    if (e != TC_OK)
        cs_error(r, e == TC_ERR_EXISTS ? 409 : 422, "refused", why ? why : tc_strerror(e));
    else /* the first half: the admin who confirms the roles gives the second */
        tc_http_reply_json(r, 201, json_pack("{s:s,s:s}", "name", name, "enrolment_first_half",
                                             code));
    sodium_memzero(code, sizeof code);
}

void cs_users(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    bool post = tc_http_method(r) == TC_HTTP_POST;
    json_t *b = post ? cs_body(r) : NULL;
    if ((post && !b) || !cs_allowed(c, r, TC_ROLE_ADMIN | (post ? 0 : TC_ROLE_AUDITOR),
                                    post ? CS_REAUTH : CS_READ, b, &w)) {
        json_decref(b);
        return;
    }
    if (post)
        add_user(c, r, &w, b);
    else {
        json_t *changes = json_array();
        struct listing l = {c->s, json_array()};
        tc_account_list(c->s, account_one, &l);
        tc_role_changes_pending(c->s, change_one, changes);
        tc_http_reply_json(r, 200, json_pack("{s:o,s:o}", "users", l.users, "pending", changes));
    }
    json_decref(b);
}

/* A half of name's enrolment code the admin w makes, answered (or why not): the first
 * of a new code by a reset (tc_account_reset: its password, TOTP and sessions gone, 404 for no
 * such account), or the second of the code another admin holds the first of
 * (tc_account_enrol_half: 409 when no code waits for one). */
static void code_half(struct console *c, struct tc_http_req *r, const struct who *w,
                      const char *name, bool reset)
{
    char half[TC_ENROL_CODE_LEN + 1];
    const char *why = NULL;
    enum tc_err e = (reset ? tc_account_reset : tc_account_enrol_half)(c->s, &w->a, name, w->now,
                                                                        half, &why);
    if (e == TC_OK)
        tc_http_reply_json(r, 200,
                           json_pack("{s:s,s:s}", "name", name,
                                     reset ? "enrolment_first_half" : "enrolment_second_half",
                                     half));
    else
        cs_error(r, e != TC_ERR_NOT_FOUND ? 422 : reset ? 404 : 409, "refused",
                 why ? why : tc_strerror(e));
    sodium_memzero(half, sizeof half);
}

/* /api/users/{name}/roles (propose), /api/users/{name}/disable, /api/users/{name}/reset and
 * /api/users/{name}/half (the second half of its enrolment code) */
void cs_user(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    char name[TC_ACCOUNT_NAME_MAX];
    const char *p = tc_http_param(r), *slash = strchr(p, '/');
    json_t *b = NULL;
    if (!slash || (size_t)(slash - p) >= sizeof name ||
        (strcmp(slash, "/roles") != 0 && strcmp(slash, "/disable") != 0 &&
         strcmp(slash, "/half") != 0 && strcmp(slash, "/reset") != 0)) {
        cs_error(r, 404, "not_found", "没有这个操作 / no such action");
        return;
    }
    snprintf(name, sizeof name, "%.*s", (int)(slash - p), p);
    if (!(b = cs_body(r)) || !cs_allowed(c, r, TC_ROLE_ADMIN, CS_REAUTH, b, &w)) {
        json_decref(b);
        return;
    }
    if (strcmp(slash, "/half") == 0 || strcmp(slash, "/reset") == 0) {
        code_half(c, r, &w, name, strcmp(slash, "/reset") == 0);
        json_decref(b);
        return;
    }
    unsigned roles = 0;
    int64_t id = 0;
    const char *why = NULL, *list = cs_text(b, "roles", 95);
    enum tc_err e;
    if (strcmp(slash, "/roles") == 0)
        e = list && tc_roles_parse(list, &roles)
                ? tc_role_change_propose(c->s, &w.a, name, roles, w.now, &id, &why)
                : TC_ERR_ARG;
    else if ((e = tc_account_disable(c->s, &w.a, name, w.now, &why)) == TC_OK) {
        struct tc_account gone;
        if (tc_account_find(c->s, name, &gone) == TC_OK)
            tc_session_end_account(c->s, gone.id); /* signed out at once */
    }
    if (e != TC_OK)
        cs_error(r, e == TC_ERR_ARG ? 400 : 422, "refused", why ? why : tc_strerror(e));
    else
        tc_http_reply_json(r, 200, json_pack("{s:b,s:I}", "ok", 1, "change", (json_int_t)id));
    json_decref(b);
}

void cs_changes(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    const char *p = tc_http_param(r), *why = NULL;
    const char *action;
    int64_t id;
    json_t *b = NULL;
    if (!cs_id_action(p, &id, &action) || strcmp(action, "confirm") != 0) {
        cs_error(r, 404, "not_found", "没有这个操作 / no such action");
        return;
    }
    if (!(b = cs_body(r)) || !cs_allowed(c, r, TC_ROLE_ADMIN, CS_REAUTH, b, &w)) {
        json_decref(b);
        return;
    }
    char account[TC_ACCOUNT_NAME_MAX], half[TC_ENROL_HALF_LEN + 1];
    enum tc_err e = tc_role_change_confirm_enrol(c->s, &w.a, id, w.now, account, half, &why);
    if (e != TC_OK) {
        cs_error(r, 422, "refused", why ? why : tc_strerror(e));
    } else { /* for a new account, the second half of its code: this admin hands it over */
        json_t *j = json_pack("{s:b,s:s}", "ok", 1, "account", account);
        if (half[0])
            json_object_set_new(j, "enrolment_second_half", json_string(half));
        tc_http_reply_json(r, 200, j);
    }
    sodium_memzero(half, sizeof half);
    json_decref(b);
}

/* ---- the calendar -----------------------------------------------------------------------------
 */

void cs_calendar(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    bool post = tc_http_method(r) == TC_HTTP_POST;
    if (!cs_allowed(c, r, post ? TC_ROLE_ADMIN : 0, post ? CS_WRITE : CS_READ, NULL, &w))
        return;
    if (!post) {
        int years[64];
        size_t n = 0;
        json_t *a = json_array();
        tc_store_calendar_years(c->s, years, 64, &n);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_integer(years[i]));
        tc_http_reply_json(r, 200,
                           json_pack("{s:o,s:i}", "years", a, "gongshi_working_days",
                                     tc_store_profile(c->s)->gongshi_working_days));
        return;
    }
    size_t len = 0;
    const char *body = tc_http_body(r, &len);
    int year = 0;
    char why[256] = "";
    enum tc_err e = tc_calendar_admin_load(c->s, &w.a, body, len, w.now, &year, why, sizeof why);
    if (e != TC_OK)
        cs_error(r, 422, "refused", why[0] ? why : tc_strerror(e));
    else
        tc_http_reply_json(r, 200, json_pack("{s:i}", "year", year));
}

/* ---- the audit view ---------------------------------------------------------------------------
 */

struct rows {
    json_t *a;
    FILE *csv;
};

/* A CSV field: quoted, its quotes doubled, a leading = + - @ neutralised for spreadsheets. */
static void csv_field(FILE *f, const char *v)
{
    fputc('"', f);
    if (*v == '=' || *v == '+' || *v == '-' || *v == '@')
        fputc('\'', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void audit_one(void *ctx, const struct tc_audit_row *row)
{
    struct rows *x = ctx;
    char when[32];
    time_t t = (time_t)row->at + 8 * 3600; /* Beijing time, as the department reads it */
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
    if (x->csv) {
        fprintf(x->csv, "%lld,%s,", (long long)row->seq, when);
        csv_field(x->csv, row->kind);
        fprintf(x->csv, ",%llu,", (unsigned long long)row->cert);
        csv_field(x->csv, row->detail);
        fputc('\n', x->csv);
        return;
    }
    json_error_t err;
    json_t *d = json_loads(row->detail, 0, &err);
    json_array_append_new(x->a,
                          json_pack("{s:I,s:s,s:s,s:I,s:o}", "seq", (json_int_t)row->seq, "at",
                                    when, "action", row->kind, "certificate", (json_int_t)row->cert,
                                    "detail", d ? d : json_string(row->detail)));
}

void cs_audit_view(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    const char *fmt = tc_http_param(r);
    if (*fmt && strcmp(fmt, ".csv") != 0) {
        cs_error(r, 404, "not_found", "没有这个页面 / no such page");
        return;
    }
    if (!cs_allowed(c, r, TC_ROLE_AUDITOR, CS_READ, NULL, &w))
        return;
    struct tc_audit_filter f = {tc_http_query(r, "account"), tc_http_query(r, "action"), 0, 0,
                                *fmt ? 100000 : 500};
    int32_t day;
    const char *d = tc_http_query(r, "day");
    if (d && tc_day_parse(&day, d)) { /* a Beijing day */
        f.from = (uint64_t)day * 86400 - 8 * 3600;
        f.to = f.from + 86400;
    }
    cs_audit(c, r, &w, "console_read_audit", *fmt ? "audit.csv" : "audit", "ok");
    struct rows x = {NULL, NULL};
    char *buf = NULL;
    size_t len = 0;
    if (*fmt) {
        x.csv = open_memstream(&buf, &len);
        if (x.csv)
            fputs("seq,at,action,certificate,detail\n", x.csv);
    } else {
        x.a = json_array();
    }
    tc_audit_list(c->s, &f, audit_one, &x);
    if (*fmt) {
        if (x.csv)
            fclose(x.csv);
        tc_http_add_header(r, "Content-Disposition", "attachment; filename=\"audit.csv\"");
        tc_http_reply(r, 200, "text/csv; charset=utf-8", buf ? buf : "", buf ? len : 0);
        free(buf);
    } else {
        tc_http_reply_json(r, 200, json_pack("{s:o}", "events", x.a));
    }
}
