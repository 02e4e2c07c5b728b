/*
 * internal.h - what the console's files share (server.c, auth.c, batches.c, admin.c).
 */
#ifndef TC_CONSOLE_INTERNAL_H
#define TC_CONSOLE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "console.h"
#include "http.h"
#include "issuer.h"
#include "keys.h"

struct console {
    struct tc_console_config cfg;
    struct tc_store *s;
    pthread_mutex_t lock; /* one request at a time touches the store */
    struct tc_trust_list *tl;
    struct tc_pubkey issuer;
    struct tc_http_pages *web; /* the front end, read at start */
    struct tc_http *http;
    struct tc_metrics *metrics;
    struct tc_metric *errors, *logins;
};

/* Who is asking: the session's account, as the store has it now. Sessions, TOTP codes, lockouts
 * and the console's audit notes go by the real time (real); the workflow goes by the store's clock
 * (now), which a demo store sets back or forward (TITLECERT_DEMO_CLOCK) to show a 公示 passing,
 * as the signer does: an authenticator app's codes and a signed-in session must not follow it. */
struct who {
    struct tc_account a;
    struct tc_session sess;
    char sid[65];
    uint64_t now;  /* the store's clock (a demo store's may be moved): for the workflow */
    uint64_t real; /* the time: for sessions, TOTP codes and lockouts, never moved */
};

/* ---- replies and bodies (server.c) ---- */
/* {"error": code, "message": "中文 / English"} */
void cs_error(struct tc_http_req *r, unsigned status, const char *code, const char *message);
/* The body as a JSON object (duplicate members refused), or NULL after answering 400. */
json_t *cs_body(struct tc_http_req *r);
/* A string member of at most max bytes, printable (tc_text_safe); NULL when absent or not. */
const char *cs_text(json_t *o, const char *key, size_t max);
/* "{id}" or "{id}/{action}" (parse.c): a positive id, *action "" when none. */
bool cs_id_action(const char *p, int64_t *id, const char **action);
/* {"ids": [...], "reason", "day"?, "until"?, "blacklist"?, "blacklist_reason"?} as revocations
 * dated today unless "day" says otherwise; *v malloc'd (also on failure: free it). */
bool cs_revocation_items(json_t *b, struct tc_wf_revocation **v, size_t *n, int32_t today);
/* An audit event for the request (the store's lock held). */
void cs_audit(struct console *c, struct tc_http_req *r, const struct who *w, const char *action,
              const char *object, const char *outcome);

/* ---- sessions and permissions (auth.c) ---- */
#define CS_READ 0u   /* a read: no CSRF token needed */
#define CS_WRITE 1u  /* a state change: the CSRF token, Sec-Fetch-Site and Origin checked */
#define CS_REAUTH 2u /* and a TOTP code within the re-authentication window (body "totp") */
/* Checks the session, the CSRF rules for a write and the roles (any of `roles`; 0: any signed-in
 * account); for CS_REAUTH the body's "totp" (body may be NULL when there is none). Answers
 * 401/403 itself and returns false; true with *w filled. Call with the store's lock held. */
bool cs_allowed(struct console *c, struct tc_http_req *r, unsigned roles, unsigned how,
                json_t *body, struct who *w);
void cs_login(struct tc_http_req *r, void *ctx);
void cs_logout(struct tc_http_req *r, void *ctx);
void cs_me(struct tc_http_req *r, void *ctx);
void cs_enrol(struct tc_http_req *r, void *ctx);
/* The account as JSON (name, display, roles). */
json_t *cs_account_json(const struct tc_account *a);

/* ---- the workflow (batches.c) ---- */
void cs_batches(struct tc_http_req *r, void *ctx);     /* GET list, POST upload */
void cs_batch(struct tc_http_req *r, void *ctx);       /* /api/batches/{id}[/action] */
void cs_objection(struct tc_http_req *r, void *ctx);   /* /api/objections/{id}/resolve */
void cs_revocations(struct tc_http_req *r, void *ctx); /* GET list, POST propose */
void cs_revocation(struct tc_http_req *r, void *ctx);  /* /api/revocations/{id}/action */
void cs_work(struct tc_http_req *r, void *ctx);        /* GET /api/work */
/* GET /api/batches/{id}/ecerts.zip (ecerts.c) */
void cs_ecerts(struct console *c, struct tc_http_req *r, const struct who *w, int64_t id);
/* Asks the signer for op (JSON members in req, which is consumed), answering the request. */
void cs_signer_call(struct console *c, struct tc_http_req *r, const struct who *w, json_t *req,
                    const char *object);

/* ---- the rest (admin.c) ---- */
void cs_certificates(struct tc_http_req *r, void *ctx); /* GET ?q= */
void cs_signer(struct tc_http_req *r, void *ctx);       /* GET status, POST unlock|lock|publish */
void cs_users(struct tc_http_req *r, void *ctx);        /* GET list, POST add */
void cs_user(struct tc_http_req *r, void *ctx);         /* /api/users/{name}/roles|disable */
void cs_changes(struct tc_http_req *r, void *ctx);      /* /api/changes/{id}/confirm */
void cs_calendar(struct tc_http_req *r, void *ctx);     /* GET years, POST a year's file */
void cs_audit_view(struct tc_http_req *r, void *ctx);   /* GET /api/audit, /api/audit.csv */

#endif
