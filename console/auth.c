/*
 * auth.c - signing in (password and TOTP), enrolment, sessions and what each request may do.
 *
 * Signing in takes the account's password (Argon2id) and a TOTP code. An account without a
 * second factor yet (its first sign-in) gets, once its password is right, a new seed to add to
 * its authenticator app (as text and as a QR code the page draws) and signs in with a code from
 * it. Five failures of either factor lock the account for 15 minutes. The session's id goes to
 * the browser in a __Host- cookie (Secure, HttpOnly, SameSite=Strict) and is stored hashed; a
 * session the browser brought before signing in is ended, never kept (no fixation).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "internal.h"

json_t *cs_account_json(const struct tc_account *a)
{
    json_t *roles = json_array();
    for (unsigned bit = 1; bit <= TC_ROLE_ADMIN; bit <<= 1)
        if (a->roles & bit)
            json_array_append_new(roles, json_string(tc_role_name(bit, false)));
    return json_pack("{s:s,s:s,s:o,s:b,s:b,s:b,s:b,s:b}", "name", a->name, "display", a->display,
                     "roles", roles, "disabled", a->disabled, "enrolled", a->has_password,
                     "awaiting_half", a->awaiting_half, "code_withdrawn", a->code_withdrawn,
                     "altered", a->altered);
}

/* ---- what a request may do ------------------------------------------------------------------ */

/* The browser's own word on where a write comes from, where it gives it. */
static bool same_origin(struct console *c, struct tc_http_req *r)
{
    const char *site = tc_http_header(r, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0)
        return false;
    const char *origin = tc_http_header(r, "Origin");
    if (!origin)
        return true;
    if (c->cfg.origin)
        return strcmp(origin, c->cfg.origin) == 0;
    const char *host = tc_http_header(r, "Host");
    char want[300];
    if (!host)
        return false;
    snprintf(want, sizeof want, "http://%s", host);
    if (strcmp(origin, want) == 0)
        return true;
    snprintf(want, sizeof want, "https://%s", host);
    return strcmp(origin, want) == 0;
}

/* The session of the cookie, its account as the store has it now. */
static bool session(struct console *c, struct tc_http_req *r, struct who *w)
{
    const char *sid = tc_http_cookie(r, TC_CONSOLE_COOKIE);
    w->real = (uint64_t)time(NULL);
    w->now = tc_store_clock(c->s, w->real);
    if (!sid || strlen(sid) != 64 ||
        tc_session_get(c->s, sid, w->real, c->cfg.idle, c->cfg.max, &w->sess) != TC_OK)
        return false;
    memcpy(w->sid, sid, 65);
    if (tc_account_by_id(c->s, w->sess.account, &w->a) != TC_OK || w->a.disabled) {
        tc_session_end_account(c->s, w->sess.account);
        return false;
    }
    return true;
}

/* CS_REAUTH: a TOTP code within the window, or one given now in the body. */
static bool reauthenticated(struct console *c, struct tc_http_req *r, json_t *body, struct who *w)
{
    if (w->real < w->sess.reauth_at + c->cfg.reauth)
        return true;
    const char *code = body ? cs_text(body, "totp", 6) : NULL;
    bool ok = false;
    if (code && w->a.locked_until > w->real) { /* no guessing past the lock, as at sign-in */
        cs_error(r, 403, "locked",
                 "连续输错，账号已锁定 15 分钟 / too many wrong codes: the account is locked for 15 "
                 "minutes");
        return false;
    }
    if (code && tc_totp_check(c->s, w->a.id, code, w->real, &ok) == TC_OK && ok) {
        tc_session_reauth(c->s, w->sid, w->real);
        return true;
    }
    if (code) {
        tc_account_failed(c->s, &w->a, "console-reauth", w->real);
        cs_error(r, 403, "reauth_failed", "动态验证码不对 / the TOTP code is wrong");
    } else {
        cs_error(r, 403, "reauth_required",
                 "此操作须再次输入动态验证码 / this needs your TOTP "
                 "code again");
    }
    return false;
}

bool cs_allowed(struct console *c, struct tc_http_req *r, unsigned roles, unsigned how,
                json_t *body, struct who *w)
{
    memset(w, 0, sizeof *w);
    if (!session(c, r, w)) {
        cs_error(r, 401, "not_signed_in", "请先登录 / sign in first");
        return false;
    }
    if (how & (CS_WRITE | CS_REAUTH)) {
        const char *token = tc_http_header(r, "X-TC-CSRF");
        if (!token || strlen(token) != 64 || sodium_memcmp(token, w->sess.csrf, 64) != 0 ||
            !same_origin(c, r)) {
            cs_audit(c, r, w, "console_csrf_refused", tc_http_param(r), "refused");
            cs_error(r, 403, "csrf", "请求来源未通过校验 / the request's origin did not check out");
            return false;
        }
    }
    if (roles && !(w->a.roles & roles)) {
        cs_error(r, 403, "forbidden", "您的角色不能做此操作 / your role may not do this");
        return false;
    }
    return !(how & CS_REAUTH) || reauthenticated(c, r, body, w);
}

/* ---- signing in ------------------------------------------------------------------------------ */

/* The seed for the person's app: as text, as an otpauth URI and as the QR code's rows. */
static json_t *totp_offer(const struct tc_account *a, const char *b32)
{
    char uri[400];
    snprintf(uri, sizeof uri,
             "otpauth://totp/titlecert:%s?secret=%s&issuer=titlecert&digits=6"
             "&period=30",
             a->name, b32);
    struct tc_qr qr;
    json_t *rows = json_array();
    if (tc_qr_encode_text(&qr, uri, TC_QR_M) == TC_OK) {
        char *line = malloc((size_t)qr.width + 1);
        for (int y = 0; line && y < qr.width; y++) {
            for (int x = 0; x < qr.width; x++)
                line[x] = qr.data[y * qr.width + x] ? '1' : '0';
            line[qr.width] = '\0';
            json_array_append_new(rows, json_string(line));
        }
        free(line);
        tc_qr_free(&qr);
    }
    return json_pack("{s:b,s:s,s:s,s:o}", "totp_enrol", 1, "secret", b32, "otpauth", uri, "qr",
                     rows);
}

/* A new session: the cookie set, the old one (if the browser brought one) ended. */
static void signed_in(struct console *c, struct tc_http_req *r, struct who *w)
{
    const char *old = tc_http_cookie(r, TC_CONSOLE_COOKIE);
    if (old)
        tc_session_end(c->s, old);
    char sid[65], csrf[65], cookie[160];
    if (tc_session_create(c->s, w->a.id, tc_http_client(r), w->real, sid, csrf) != TC_OK) {
        cs_error(r, 500, "store", "无法建立会话 / the session could not be made");
        return;
    }
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
             TC_CONSOLE_COOKIE, sid);
    tc_http_add_header(r, "Set-Cookie", cookie);
    sodium_memzero(sid, sizeof sid);
    tc_metric_add(c->logins, 0, 1);
    cs_audit(c, r, w, "console_sign_in", w->a.name, "ok");
    tc_http_reply_json(r, 200,
                       json_pack("{s:o,s:s,s:I}", "account", cs_account_json(&w->a), "csrf", csrf,
                                 "idle_seconds", (json_int_t)c->cfg.idle));
}

/* The second factor of a sign-in whose password was right. */
static void second_factor(struct console *c, struct tc_http_req *r, json_t *b, struct who *w)
{
    bool on = false, ok = false;
    char b32[TC_TOTP_B32_MAX];
    const char *code = cs_text(b, "totp", 6);
    if (tc_totp_state(c->s, w->a.id, &on) != TC_OK) { /* never read as "no factor yet" */
        cs_error(r, 500, "store", "无法读取动态验证码设置 / the TOTP setting could not be read");
        return;
    }
    if (!on && !code) { /* the first sign-in: a seed to add to the app, then a code from it */
        if (tc_totp_begin(c->s, w->a.id, b32) != TC_OK) {
            cs_error(r, 500, "store", "无法生成动态验证码 / no TOTP seed could be made");
            return;
        }
        cs_audit(c, r, w, "console_totp_offered", w->a.name, "ok");
        tc_http_reply_json(r, 200, totp_offer(&w->a, b32));
        sodium_memzero(b32, sizeof b32);
        return;
    }
    if (code && tc_totp_check(c->s, w->a.id, code, w->real, &ok) == TC_OK && ok) {
        tc_account_signed_in(c->s, &w->a, "console", w->real); /* both factors: failures cleared */
        signed_in(c, r, w);
        return;
    }
    tc_account_failed(c->s, &w->a, "console-totp", w->real);
    tc_metric_add(c->logins, 1, 1);
    cs_error(r, 401, code ? "totp_wrong" : "totp_required",
             code ? "动态验证码不对 / the TOTP code is wrong"
                  : "请输入动态验证码 / enter the TOTP code from your app");
}

/* The first factor of a request made before there is a session: whether the account the body b
 * names and its password (pw, pw_len bytes; NULL when absent) are right, with w->a the account;
 * false once the refusal is answered (or, for want of the account, with no answer). */
typedef bool first_factor(struct console *c, struct tc_http_req *r, json_t *b, const char *pw,
                          size_t pw_len, struct who *w);

/* Signing in and enrolling: w with no one in it and the times, the body, its password judged by
 * `first` and wiped as soon as it is, then the second factor. */
static void before_session(struct tc_http_req *r, struct console *c, first_factor *first)
{
    struct who w;
    memset(&w, 0, sizeof w);
    w.real = (uint64_t)time(NULL);
    w.now = tc_store_clock(c->s, w.real);
    json_t *b = cs_body(r);
    if (!b)
        return;
    json_t *pv = json_object_get(b, "password");
    const char *pw = json_string_value(pv);
    size_t pw_len = json_string_length(pv);
    bool right = first(c, r, b, pw, pw_len, &w);
    if (pw)
        sodium_memzero((char *)pw, pw_len);
    if (right)
        second_factor(c, r, b, &w);
    json_decref(b);
}

/* Signing in: the account's password */
static bool password_right(struct console *c, struct tc_http_req *r, json_t *b, const char *pw,
                           size_t pw_len, struct who *w)
{
    const char *name = cs_text(b, "account", TC_ACCOUNT_NAME_MAX - 1);
    const char *why = NULL;
    enum tc_err e = name && pw && pw_len <= 1024
                        ? tc_account_password(c->s, name, pw, pw_len, "console", w->real, &w->a,
                                              &why)
                        : TC_ERR_PASSPHRASE;
    if (e == TC_OK)
        return true;
    tc_metric_add(c->logins, 1, 1);
    /* a record that does not match its seal is the store's fault, not the person's */
    cs_error(r, e == TC_ERR_REFUSED ? 403 : e == TC_ERR_INCONSISTENT ? 500 : 401,
             e == TC_ERR_REFUSED ? "locked" : e == TC_ERR_INCONSISTENT ? "altered" : "wrong",
             why ? why : "账号或口令不对 / wrong account or password");
    return false;
}

void cs_login(struct tc_http_req *r, void *ctx)
{
    before_session(r, ctx, password_right);
}

void cs_logout(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    if (!cs_allowed(c, r, 0, CS_WRITE, NULL, &w))
        return;
    tc_session_end(c->s, w.sid);
    cs_audit(c, r, &w, "console_sign_out", w.a.name, "ok");
    char cookie[120];
    snprintf(cookie, sizeof cookie, "%s=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
             TC_CONSOLE_COOKIE);
    tc_http_add_header(r, "Set-Cookie", cookie);
    tc_http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void cs_me(struct tc_http_req *r, void *ctx)
{
    struct console *c = ctx;
    struct who w;
    if (!cs_allowed(c, r, 0, CS_READ, NULL, &w))
        return;
    char today[11]; /* the store's day: a demo store's clock, which the page shows */
    tc_day_format(today, tc_beijing_day(w.now));
    tc_http_reply_json(r, 200,
                       json_pack("{s:o,s:s,s:b,s:s,s:I,s:I}", "account", cs_account_json(&w.a), "csrf",
                                 w.sess.csrf, "demo", tc_store_demo(c->s), "today", today,
                                 "reauth_seconds_left",
                                 (json_int_t)(w.sess.reauth_at + c->cfg.reauth > w.real
                                                  ? w.sess.reauth_at + c->cfg.reauth - w.real
                                                  : 0),
                                 "idle_seconds", (json_int_t)c->cfg.idle));
}

/* The first sign-in of an account added by an admin: its enrolment code and a new password set,
 * then (no code yet) a TOTP seed to add to the app; signing in follows. */
static bool enrolled(struct console *c, struct tc_http_req *r, json_t *b, const char *pw,
                     size_t pw_len, struct who *w)
{
    const char *name = cs_text(b, "account", TC_ACCOUNT_NAME_MAX - 1);
    /* the two halves may come apart, with spaces or hyphens (the library drops them) */
    const char *code = cs_text(b, "code", TC_ENROL_CODE_LEN + 8);
    const char *why = NULL;
    enum tc_err e = name && code && pw
                        ? tc_account_enrol(c->s, name, code, pw, pw_len, w->real, &why)
                        : TC_ERR_ARG;
    if (e != TC_OK) {
        cs_error(r, e == TC_ERR_ARG ? 400 : 403, "enrol_refused",
                 why ? why
                     : "须给出账号、登记码和新口令 / the account, its code and a new password");
        return false;
    }
    return tc_account_find(c->s, name, &w->a) == TC_OK;
}

void cs_enrol(struct tc_http_req *r, void *ctx)
{
    before_session(r, ctx, enrolled);
}
