/*
 * server.c - titlecert-console's service (console.h): the store opened with its hash key, the
 * trust list and the front end read at start, the route table, and the helpers every handler
 * shares. Each API handler runs with the store's lock held: the store handle caches statements
 * and the audit chain's head, and one department's staff never need two requests at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The front end, read once at start and served by the HTTP layer (the page first) */
static const char *const web_files[] = {"index.html", "console.js", "console.css"};

/* ---- replies and bodies -------------------------------------------------------------------- */

void cs_error(struct tc_http_req *r, unsigned status, const char *code, const char *message)
{
    tc_http_reply_error(r, status, code, message);
}

json_t *cs_body(struct tc_http_req *r)
{
    size_t len = 0;
    const char *b = tc_http_body(r, &len);
    json_error_t err;
    json_t *o = len ? json_loadb(b, len, JSON_REJECT_DUPLICATES, &err) : json_object();
    if (!o || !json_is_object(o)) {
        json_decref(o);
        cs_error(r, 400, "bad_request", "请求须为 JSON 对象 / the request body is a JSON object");
        return NULL;
    }
    return o;
}

void cs_audit(struct console *c, struct tc_http_req *r, const struct who *w, const char *action,
              const char *object, const char *outcome)
{
    struct tc_audit_note n = {action, w && w->a.id ? &w->a : NULL, object, outcome,
                              tc_http_client(r)};
    tc_audit_note(c->s, w ? w->now : (uint64_t)time(NULL), &n);
}

/* ---- health -------------------------------------------------------------------------------- */

/* Every API handler, with the store's lock held. */
#define LOCKED(fn)                                                                                 \
    static void fn##_locked(struct tc_http_req *r, void *ctx)                                      \
    {                                                                                              \
        struct console *c = ctx;                                                                   \
        pthread_mutex_lock(&c->lock);                                                              \
        fn(r, ctx);                                                                                \
        pthread_mutex_unlock(&c->lock);                                                            \
    }
LOCKED(cs_login)
LOCKED(cs_logout)
LOCKED(cs_me)
LOCKED(cs_enrol)
LOCKED(cs_work)
LOCKED(cs_batches)
LOCKED(cs_batch)
LOCKED(cs_objection)
LOCKED(cs_revocations)
LOCKED(cs_revocation)
LOCKED(cs_certificates)
LOCKED(cs_signer)
LOCKED(cs_users)
LOCKED(cs_user)
LOCKED(cs_changes)
LOCKED(cs_calendar)
LOCKED(cs_audit_view)

#define G TC_HTTP_GET
#define P TC_HTTP_POST
static const struct tc_http_route routes[] = {
    {G, "/", tc_http_serve_page, "page", 0, 0, NULL},
    {G, "/console.js", tc_http_serve_page, "page", 0, 0, NULL},
    {G, "/console.css", tc_http_serve_page, "page", 0, 0, NULL},
    {G, "/healthz", tc_http_serve_alive, NULL, 0, 0, NULL},
    {G, "/metrics", tc_http_serve_metrics, NULL, 0, 0, NULL},
    {P, "/api/login", cs_login_locked, NULL, 0, 0, NULL},
    {P, "/api/logout", cs_logout_locked, NULL, 0, 0, NULL},
    {G, "/api/me", cs_me_locked, NULL, 0, 0, NULL},
    {P, "/api/enrol", cs_enrol_locked, NULL, 0, 0, NULL},
    {G, "/api/work", cs_work_locked, NULL, 0, 0, NULL},
    {G | P, "/api/batches", cs_batches_locked, NULL, TC_CONSOLE_UPLOAD_MAX, TC_HTTP_BUDGET,
     "正在处理其他上传，请稍后再试 / another upload is being read: try again shortly"},
    {G | P, "/api/batches/{id}", cs_batch_locked, "/api/batches/{id}", 0, 0, NULL},
    {P, "/api/objections/{id}", cs_objection_locked, "/api/objections/{id}", 0, 0, NULL},
    {G | P, "/api/revocations", cs_revocations_locked, NULL, 0, 0, NULL},
    {P, "/api/revocations/{id}", cs_revocation_locked, "/api/revocations/{id}", 0, 0, NULL},
    {G, "/api/certificates", cs_certificates_locked, NULL, 0, 0, NULL},
    {G | P, "/api/signer", cs_signer_locked, NULL, 0, 0, NULL},
    {G | P, "/api/users", cs_users_locked, NULL, 0, 0, NULL},
    {P, "/api/users/{name}", cs_user_locked, "/api/users/{name}", 0, 0, NULL},
    {P, "/api/changes/{id}", cs_changes_locked, "/api/changes/{id}", 0, 0, NULL},
    {G | P, "/api/calendar", cs_calendar_locked, NULL, 32u << 10, 0, NULL},
    {G, "/api/audit{fmt}", cs_audit_view_locked, "/api/audit", 0, 0, NULL},
};
#undef G
#undef P

/* ---- start and stop ------------------------------------------------------------------------ */

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "titlecert-console: %s: %s\n", what, why);
    return 2;
}

static int load_web(struct console *c)
{
    char path[4096];
    enum tc_err e = tc_http_pages_read(&c->web, c->cfg.web_dir, web_files,
                                       sizeof web_files / sizeof web_files[0], 4u << 20, path,
                                       sizeof path);
    if (e != TC_OK)
        return fail(path, e == TC_ERR_IO ? strerror(errno) : tc_strerror(e));
    return 0;
}

static int open_all(struct console *c, const char *pass, size_t pass_len)
{
    const char *which = NULL;
    enum tc_err e =
        tc_store_open_keyed(&c->s, c->cfg.db, c->cfg.hash_key, pass, pass_len, false, &which);
    if (e != TC_OK)
        return fail(which ? which : c->cfg.db, e == TC_ERR_PASSPHRASE && which == c->cfg.db
                                                   ? "this hash key is not the store's"
                                                   : tc_strerror(e));
    if (!tc_store_workflow(c->s))
        return fail(c->cfg.db, "这个库不是按审批流程建立的（init --workflow）/ not a store set up "
                               "for the workflow (init --workflow)");
    if ((e = tc_trust_list_load(c->cfg.root, c->cfg.trust, &c->tl, NULL, NULL, &which)) != TC_OK)
        return fail(which, tc_strerror(e));
    if ((e = tc_keys_pub_read(c->cfg.issuer_pub, &c->issuer)) != TC_OK)
        return fail(c->cfg.issuer_pub, tc_strerror(e));
    return load_web(c);
}

static int listen_on(struct console *c)
{
    static const char *const kinds[] = {"ok", "failed"};
    if (tc_metrics_new(&c->metrics) != TC_OK)
        return fail("metrics", "out of memory");
    c->errors = tc_metrics_counter(c->metrics, "titlecert_console_errors_total",
                                   "Requests answered 4xx or 5xx.", NULL, NULL, 0);
    c->logins = tc_metrics_counter(c->metrics, "titlecert_console_logins_total",
                                   "Sign-ins, by outcome.", "outcome", kinds, 2);
    struct tc_http_config h = {0};
    h.addr = c->cfg.addr;
    if (!h.addr.sin_port && !h.addr.sin_addr.s_addr) {
        h.addr.sin_family = AF_INET;
        h.addr.sin_port = htons(8081);
        h.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    h.routes = routes, h.n_routes = sizeof routes / sizeof routes[0], h.ctx = c;
    h.trusted_proxy = c->cfg.trusted_proxy, h.access_log = c->cfg.access_log;
    h.metrics = c->metrics, h.errors = c->errors, h.pages = c->web, h.hsts = c->cfg.hsts;
    h.body_memory = 2 * (uint64_t)TC_CONSOLE_UPLOAD_MAX;
    h.page_csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    const char *why = NULL;
    tc_http_block_signals();
    if (tc_http_start(&c->http, &h, &why) != TC_OK)
        return fail("listen", why ? why : "cannot listen");
    fprintf(stderr, "titlecert-console: serving on http://%s:%u/ (store %s)\n",
            inet_ntoa(h.addr.sin_addr), (unsigned)tc_http_port(c->http), c->cfg.db);
    return 0;
}

static void close_all(struct console *c)
{
    tc_http_stop(c->http);
    tc_metrics_free(c->metrics);
    tc_http_pages_free(c->web);
    tc_trust_list_free(c->tl);
    tc_store_close(c->s);
    pthread_mutex_destroy(&c->lock);
}

int tc_console_serve(const struct tc_console_config *cfg, const char *pass, size_t pass_len)
{
    static struct console c; /* the handlers' ctx for the life of the process */
    memset(&c, 0, sizeof c);
    c.cfg = *cfg;
    if (!c.cfg.idle)
        c.cfg.idle = TC_CONSOLE_IDLE;
    if (!c.cfg.max)
        c.cfg.max = TC_CONSOLE_MAX;
    if (!c.cfg.reauth)
        c.cfg.reauth = TC_CONSOLE_REAUTH;
    pthread_mutex_init(&c.lock, NULL);
    int rc = open_all(&c, pass, pass_len);
    if (rc == 0 && (rc = listen_on(&c)) == 0)
        tc_http_run(c.http);
    close_all(&c);
    return rc;
}
