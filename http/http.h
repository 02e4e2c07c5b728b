/*
 * http.h - the HTTP layer every titlecert service shares (the public verifier, the HR console):
 * libmicrohttpd started with an explicit address and limits, a route table, per-address limits
 * that believe the trusted proxy and no one else, an access log that names routes (never the
 * requested path, a payload, a unit or an address), the security headers, a service's page
 * served from memory, JSON replies and errors, Prometheus metrics, suspension for work done on
 * other threads, and the signal loop that reloads and stops a service.
 *
 * A handler is a thin adapter: it reads the request through the accessors below, calls its
 * service, and answers with one tc_http_reply* call (or suspends). The layer answers on the
 * second callback of a request, after its body was read: with libmicrohttpd 0.9.75 an answer
 * queued on the first callback makes every response "Connection: close" and keep-alive is lost.
 * Refusals made on the headers alone (429, 413, 503) are answered at once, and the body they
 * refuse is never read.
 *
 * This module knows nothing of certificates, bundles or verdicts; it links base/, libmicrohttpd,
 * jansson and pthreads.
 */
#ifndef TC_HTTP_H
#define TC_HTTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"

struct json_t;

/* ---- metrics (metrics.c) ------------------------------------------------------------------ */
/* A registry of metric families, rendered in the Prometheus text format (version 0.0.4) in the
 * order they were registered. Values are atomics: any thread may count. Every tc_metric_* call
 * accepts NULL (a family that could not be registered) and does nothing with it. */
struct tc_metrics;
struct tc_metric;

#define TC_METRIC_MAX_VALUES 16  /* label values of one family */
#define TC_METRIC_MAX_BUCKETS 16 /* histogram bounds */

enum tc_err tc_metrics_new(struct tc_metrics **out);
/* Frees the registry and every family registered in it. NULL is ignored. */
void tc_metrics_free(struct tc_metrics *m);
/* A counter (`name` must end in _total by convention) or a gauge. With label (e.g. "verdict")
 * the family has one value per entry of values[0..n-1], rendered name{label="value"} in that
 * order; without (label NULL, n 0) one value. name, help, label and values are kept by
 * reference: static strings. NULL when the registry is full or out of memory. */
struct tc_metric *tc_metrics_counter(struct tc_metrics *m, const char *name, const char *help,
                                     const char *label, const char *const *values, size_t n);
struct tc_metric *tc_metrics_gauge(struct tc_metrics *m, const char *name, const char *help);
/* A histogram of seconds with bounds[0..n-1] ascending (rendered with %g), plus +Inf; its sum is
 * kept in microseconds. */
struct tc_metric *tc_metrics_histogram(struct tc_metrics *m, const char *name, const char *help,
                                       const double *bounds, size_t n);
/* Runs collect(ctx) before each rendering: the place to set gauges (and counters kept
 * elsewhere) from the service's state. */
void tc_metrics_on_collect(struct tc_metrics *m, void (*collect)(void *ctx), void *ctx);
/* Adds n to value i of a counter (i: the index of its label value; 0 without a label). */
void tc_metric_add(struct tc_metric *c, size_t i, uint64_t n);
/* Sets value i of a counter to a total counted elsewhere (from a collect hook). */
void tc_metric_set_total(struct tc_metric *c, size_t i, uint64_t total);
void tc_metric_set(struct tc_metric *g, int64_t value);
void tc_metric_observe(struct tc_metric *h, double seconds);
/* The text format, malloc'd in *out (the caller frees it). */
enum tc_err tc_metrics_render(struct tc_metrics *m, char **out, size_t *len);

/* ---- a page (page.c) ---------------------------------------------------------------------- */
/* A service's page: its files (the HTML first, then its script, its style...) read once at start
 * from a directory, kept in memory and served with the page headers by tc_http_serve_page. A
 * file's Content-Type follows the end of its name: .html, .js or .css (UTF-8 text). */
struct tc_http_pages;

/* Reads names[0..n-1] (kept by reference: static strings) from dir, each of at most max bytes.
 * path (size bytes; may be NULL) receives the file read last: on failure, the one that failed,
 * with errno as tc_file_read left it (TC_ERR_IO). TC_ERR_ARG: a name of no known type. */
enum tc_err tc_http_pages_read(struct tc_http_pages **out, const char *dir,
                               const char *const *names, size_t n, size_t max, char *path,
                               size_t size);
/* NULL is ignored. */
void tc_http_pages_free(struct tc_http_pages *p);
/* The file a route's pattern names ("/app.js": app.js); for a pattern whose last segment names
 * no file (no dot: "/", "/v"), the first, the page itself: its Content-Type and bytes. false
 * when p is NULL or empty, or the pattern names a file p does not hold ("/app.mjs"). */
bool tc_http_pages_file(const struct tc_http_pages *p, const char *pattern, const char **type,
                        const void **body, size_t *len);

/* ---- routes ------------------------------------------------------------------------------- */
struct tc_http;     /* a running server */
struct tc_http_req; /* one request; valid from its first handler call until it completes */

#define TC_HTTP_GET 1u    /* GET, and HEAD (libmicrohttpd sends no body for HEAD) */
#define TC_HTTP_POST 2u
#define TC_HTTP_PUT 4u
#define TC_HTTP_DELETE 8u
#define TC_HTTP_PATCH 16u

/* Route flags */
#define TC_HTTP_BUDGET 1u /* the body counts against cfg.body_memory while the request lives */

/* Called with the whole request (headers and body read). It answers with exactly one
 * tc_http_reply* call, or calls tc_http_suspend and is called again after tc_http_resume. A
 * handler that does neither has the connection closed without an answer (what a failed
 * allocation leads to). ctx is cfg.ctx. */
typedef void tc_http_handler(struct tc_http_req *r, void *ctx);

/* A path is matched against each route in table order; the first match wins, whatever the
 * method. pattern is a path ("/healthz") or ends in a "{name}" segment ("/api/v1/units/{uscc}",
 * "{path}") that matches whatever follows the text before it, possibly nothing, possibly holding
 * '/': the handler checks it (tc_http_param). A request whose method is not in `methods` is
 * answered 405 {"error": "method_not_allowed", "message": "use GET"}. A path no route matches is
 * answered 404 {"error": "not_found", ...} and logged as "(unknown)". */
struct tc_http_route {
    unsigned methods;          /* TC_HTTP_GET | ... */
    const char *pattern;
    tc_http_handler *handle;
    const char *name;          /* in the access log; NULL: the pattern. Never the path itself */
    size_t body_max;           /* bytes; 0: cfg.body_max. Larger: 413 too_large */
    unsigned flags;            /* TC_HTTP_BUDGET */
    const char *busy;          /* TC_HTTP_BUDGET: the message of the 503 "busy" when the budget
                                * is spent (NULL: "the server is busy: try again shortly") */
};

/* ---- the server --------------------------------------------------------------------------- */
struct tc_http_config {
    struct sockaddr_in addr;   /* where to listen (port 0: any free one, tc_http_port); all zero:
                                * 127.0.0.1:8080 */
    const struct tc_http_route *routes; /* kept by reference: static */
    size_t n_routes;
    void *ctx;                 /* handed to handlers, tick and reload */
    int threads;               /* 0: 2 */
    int connection_limit;      /* connections in all; 0: 1024 */
    int per_address_limit;     /* requests in progress per client address, 429 past it; 0: 64 */
    int timeout;               /* idle connection timeout, seconds; 0: 15 */
    /* the front proxy (nginx): requests from this address are counted by the client it names
     * in X-Real-IP (else the last X-Forwarded-For entry); no header is believed from anyone
     * else. With it, libmicrohttpd's own per-address connection limit is off (every connection
     * is the proxy's). NULL: none. */
    const char *trusted_proxy;
    size_t body_max;           /* default body limit; 0: TC_HTTP_BODY_MAX */
    uint64_t body_memory;      /* bytes of TC_HTTP_BUDGET bodies held at once; 0: no budget */
    /* One line per request: "<time> <route name> <status> <word> <number> <ms>ms" (the word and
     * number of tc_http_log_note, else "-" and 0). Fully buffered: tc_http_flush_log (and
     * tc_http_run, every tick) writes it out. NULL: no access log. The caller closes it after
     * tc_http_stop. */
    FILE *access_log;
    struct tc_metrics *metrics; /* served by tc_http_serve_metrics; the caller frees it */
    struct tc_metric *errors;   /* a counter: requests answered 4xx/5xx or never completed */
    const struct tc_http_pages *pages; /* served by tc_http_serve_page; the caller frees them */
    /* security headers: every answer has X-Content-Type-Options: nosniff, Referrer-Policy:
     * no-referrer and Cache-Control: no-store (pages: no-cache); pages add this CSP (NULL:
     * TC_HTTP_PAGE_CSP), Permissions-Policy (NULL: none) and X-Frame-Options: DENY. hsts: the
     * Strict-Transport-Security value on every answer; NULL (the default): none, as for a
     * service behind a TLS proxy that sets it. */
    const char *page_csp;
    const char *page_permissions;
    const char *hsts;
    /* tc_http_run: tick(ctx) every TC_HTTP_TICK_MS, reload(ctx) on SIGHUP (either may be NULL) */
    void (*tick)(void *ctx);
    void (*reload)(void *ctx);
    /* libmicrohttpd's own error messages, one line each without the newline. NULL: its default
     * (standard error). */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};
/* Formats a message (printf, at most 1,199 bytes) and hands it to log(ctx, msg), the way every
 * service here reports: nothing when log is NULL. */
void tc_http_say(void (*log)(void *ctx, const char *msg), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TC_HTTP_BODY_MAX (16u << 10)
/* Retry-After (seconds) on 429 too_many_requests and 503 busy: the per-address limit counts
 * requests in progress and the body budget bodies held, both freed within a moment */
#define TC_HTTP_RETRY_AFTER "2"
#define TC_HTTP_TICK_MS 250
#define TC_HTTP_PAGE_CSP                                                                           \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* Blocks SIGHUP, SIGINT and SIGTERM in the calling thread and ignores SIGPIPE. A program that
 * will call tc_http_run calls it before it starts any thread (threads inherit the mask, and the
 * signals must reach only tc_http_run). */
void tc_http_block_signals(void);
/* Listens. On failure *why names what failed (the listening socket, memory). */
enum tc_err tc_http_start(struct tc_http **out, const struct tc_http_config *cfg, const char **why);
/* The port listened on (useful when cfg.addr asked for port 0). */
uint16_t tc_http_port(const struct tc_http *h);
/* Waits for signals (tc_http_block_signals) until SIGINT or SIGTERM: on SIGHUP runs cfg.reload,
 * else cfg.tick every TC_HTTP_TICK_MS; after each, flushes the access log. */
void tc_http_run(struct tc_http *h);
/* Writes the buffered access-log lines. */
void tc_http_flush_log(struct tc_http *h);
/* Stops listening and finishes the connections (none may still be suspended: resume them
 * first), flushes the access log. NULL is ignored. */
void tc_http_stop(struct tc_http *h);

/* ---- a request ---------------------------------------------------------------------------- */
unsigned tc_http_method(const struct tc_http_req *r); /* TC_HTTP_GET..., 0 for another */
/* What the route's trailing {name} matched ("" when it has none). Client text: check it. */
const char *tc_http_param(const struct tc_http_req *r);
/* A query argument (URL-decoded), a request header (case-insensitive name: "Origin",
 * "Sec-Fetch-Site", "X-TC-CSRF"...) or a cookie; NULL when absent. Client text: check it. */
const char *tc_http_query(const struct tc_http_req *r, const char *name);
const char *tc_http_header(const struct tc_http_req *r, const char *name);
const char *tc_http_cookie(const struct tc_http_req *r, const char *name);
/* The body read so far (all of it in a handler); *len 0 and "" when none. NUL-terminated. */
const char *tc_http_body(const struct tc_http_req *r, size_t *len);
/* The client's address, as the limits count it (the trusted proxy's X-Real-IP...): for an audit
 * record, never for the access log. */
const char *tc_http_client(const struct tc_http_req *r);
/* Per-request state of `size` zeroed bytes, the same block on every call for this request (size
 * must not change), freed when the request completes after cleanup(state) has run (cleanup may
 * be NULL). NULL when out of memory. */
void *tc_http_state(struct tc_http_req *r, size_t size, void (*cleanup)(void *state));
/* The word and number the access log gives this request (e.g. a verdict and a certificate
 * number): word must be a static string of the service's own vocabulary, never client text. */
void tc_http_log_note(struct tc_http_req *r, const char *word, uint64_t number);
/* When the request completes, its duration (from its headers to its end) is observed in h. */
void tc_http_time(struct tc_http_req *r, struct tc_metric *h);
/* Adds a header to the answer (e.g. Set-Cookie). Copied; call before the reply. TC_ERR_NOMEM. */
enum tc_err tc_http_add_header(struct tc_http_req *r, const char *name, const char *value);

/* ---- answers: one per request -------------------------------------------------------------- */
/* An answer of len bytes (copied) with this Content-Type, and the headers above. */
void tc_http_reply(struct tc_http_req *r, unsigned status, const char *type, const void *body,
                   size_t len);
/* A page, its script or its style (200): with the page headers (CSP, frame options). */
void tc_http_reply_page(struct tc_http_req *r, const char *type, const void *body, size_t len);
/* JSON, compact, members in insertion order, "application/json; charset=utf-8". Takes the
 * reference to j (NULL: the connection is closed without an answer). */
void tc_http_reply_json(struct tc_http_req *r, unsigned status, struct json_t *j);
/* {"error": code, "message": message}: code a stable identifier, message a sentence. The layer's
 * own 429 and 503 busy carry Retry-After: TC_HTTP_RETRY_AFTER. */
void tc_http_reply_error(struct tc_http_req *r, unsigned status, const char *code,
                         const char *message);
/* The handler for GET /metrics: runs the collect hook and answers with cfg.metrics. */
void tc_http_serve_metrics(struct tc_http_req *r, void *ctx);
/* The handler for GET /healthz of a service whose health is that it answers: 200 "ok\n". */
void tc_http_serve_alive(struct tc_http_req *r, void *ctx);
/* The handler of a page's routes: answers with the file of cfg.pages that the route's pattern
 * names (tc_http_pages_file), 404 not_found when there is none. */
void tc_http_serve_page(struct tc_http_req *r, void *ctx);

/* No answer now: the connection waits (its idle timeout does not run) until tc_http_resume(r),
 * which any thread may call once; the route's handler is then called again for the same request
 * (tc_http_state keeps what the first call left). */
void tc_http_suspend(struct tc_http_req *r);
void tc_http_resume(struct tc_http_req *r);

#endif
