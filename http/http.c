/*
 * http.c - the HTTP layer on libmicrohttpd (see http.h).
 *
 * A request's state is a struct allocated on the first callback (the headers) and freed in the
 * completion callback. The first callback finds the route, counts the client address and makes
 * the checks that need no body (429, 413 on the declared length, the body budget); a refusal is
 * answered at once and the body is never read. Later callbacks append the body, bounded by the
 * route's limit (a body that grows past it without a Content-Length closes the connection). The
 * callback after the upload is complete runs the handler: answering there, and not on the first
 * callback, keeps HTTP/1.1 keep-alive working with libmicrohttpd 0.9.75.
 *
 * The access log names the route and the server's own words and numbers; the requested path is
 * the client's text (it can hold a line break, a name or an ID number) and is never written.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#define ADDR_SLOTS 4096 /* counters of requests in progress, by client address hash */
/* The pool holds a request's line and headers and the read buffer (bodies come to the handlers
 * in pieces). 64 KiB accepts about 32 KB of headers, what the shipped nginx configuration passes
 * on (4 buffers of 8k); libmicrohttpd's default 32 KiB answered 431 above about 16 KB, though it
 * zeroes half as much after every kept-alive request (docs/DECISIONS.md "The connection pool"). */
#define CONNECTION_MEMORY (64u << 10)
#define DEFAULT_BUSY "the server is busy: try again shortly"

struct tc_http {
    struct MHD_Daemon *d;
    struct tc_http_config cfg;
    atomic_uint per_addr[ADDR_SLOTS]; /* requests in progress per client address (hashed) */
    atomic_ullong budget_held;        /* bytes of TC_HTTP_BUDGET bodies held now */
    pthread_mutex_t log_lock;
};

struct header {
    struct header *next;
    char *name, *value;
};

struct tc_http_req {
    struct tc_http *h;
    struct MHD_Connection *conn;
    const struct tc_http_route *route; /* NULL: no route matched */
    const char *name;                  /* the route's name, as logged */
    size_t param_at;                   /* where the trailing {name} starts in the path */
    const char *param;
    unsigned method;
    char *body;
    size_t len, cap, limit;
    size_t reserved; /* bytes of the body budget this request holds */
    bool too_big, replied, suspended;
    enum MHD_Result result; /* of queueing the answer */
    unsigned status;
    struct timespec start;
    const char *word;
    uint64_t number;
    struct tc_metric *timed;
    int slot; /* in-progress counter of the client address, or -1 */
    char client[INET6_ADDRSTRLEN];
    void *state;
    void (*cleanup)(void *state);
    struct header *headers;
};

/* ---- routes -------------------------------------------------------------------------------- */

/* Whether path falls under pattern; *param_at: where a trailing {name} starts. */
static bool matches(const char *pattern, const char *path, size_t *param_at)
{
    const char *brace = strchr(pattern, '{');
    if (!brace)
        return strcmp(pattern, path) == 0;
    size_t n = (size_t)(brace - pattern);
    if (strncmp(pattern, path, n) != 0)
        return false;
    *param_at = n;
    return true;
}

static const struct tc_http_route *route_of(const struct tc_http *h, const char *path,
                                            size_t *param_at)
{
    *param_at = strlen(path);
    for (size_t i = 0; i < h->cfg.n_routes; i++)
        if (matches(h->cfg.routes[i].pattern, path, param_at))
            return &h->cfg.routes[i];
    return NULL;
}

static unsigned method_of(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", TC_HTTP_GET}, {"HEAD", TC_HTTP_GET},      {"POST", TC_HTTP_POST},
                   {"PUT", TC_HTTP_PUT}, {"DELETE", TC_HTTP_DELETE}, {"PATCH", TC_HTTP_PATCH}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

/* "use GET", "use GET or POST" */
static void allowed_words(unsigned methods, char *out, size_t size)
{
    static const char *const names[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    size_t n = (size_t)snprintf(out, size, "use");
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < size; i++)
        if (methods & (1u << i))
            n += (size_t)snprintf(out + n, size - n, "%s%s", n > 3 ? " or " : " ", names[i]);
}

/* ---- answers ------------------------------------------------------------------------------- */

static void answer(struct tc_http_req *r, unsigned status, const char *type, const void *body,
                   size_t len, bool page)
{
    if (r->replied)
        return; /* one answer per request */
    r->replied = true;
    r->result = MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return;
    const struct tc_http_config *cfg = &r->h->cfg;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", page ? "no-cache" : "no-store");
    if (page) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                cfg->page_csp ? cfg->page_csp : TC_HTTP_PAGE_CSP);
        if (cfg->page_permissions)
            MHD_add_response_header(resp, "Permissions-Policy", cfg->page_permissions);
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    if (cfg->hsts)
        MHD_add_response_header(resp, "Strict-Transport-Security", cfg->hsts);
    for (const struct header *x = r->headers; x; x = x->next)
        MHD_add_response_header(resp, x->name, x->value);
    r->status = status;
    r->result = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
}

void tc_http_reply(struct tc_http_req *r, unsigned status, const char *type, const void *body,
                   size_t len)
{
    answer(r, status, type, body, len, false);
}

void tc_http_reply_page(struct tc_http_req *r, const char *type, const void *body, size_t len)
{
    answer(r, 200, type, body, len, true);
}

void tc_http_reply_json(struct tc_http_req *r, unsigned status, json_t *j)
{
    /* most answers fit on the stack; larger ones (unit searches) take the heap */
    char local[4096];
    size_t n = j ? json_dumpb(j, local, sizeof local, JSON_COMPACT | JSON_PRESERVE_ORDER) : 0;
    char *heap = NULL;
    if (n > sizeof local) {
        heap = malloc(n);
        if (heap)
            n = json_dumpb(j, heap, n, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(j);
    if (n == 0 || (n > sizeof local && !heap)) {
        r->replied = true; /* nothing to send: the connection is closed */
        r->result = MHD_NO;
    } else {
        answer(r, status, "application/json; charset=utf-8", heap ? heap : local, n, false);
    }
    free(heap);
}

void tc_http_reply_error(struct tc_http_req *r, unsigned status, const char *code,
                         const char *message)
{
    tc_http_reply_json(r, status, json_pack("{s:s,s:s}", "error", code, "message", message));
}

void tc_http_serve_metrics(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    char *text = NULL;
    size_t len = 0;
    if (tc_metrics_render(r->h->cfg.metrics, &text, &len) == TC_OK)
        tc_http_reply(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
}

void tc_http_serve_alive(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_http_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

void tc_http_serve_page(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    const char *type;
    const void *body;
    size_t len;
    if (tc_http_pages_file(r->h->cfg.pages, r->route->pattern, &type, &body, &len))
        tc_http_reply_page(r, type, body, len);
    else
        tc_http_reply_error(r, 404, "not_found", "no such path");
}

/* ---- request accessors --------------------------------------------------------------------- */

unsigned tc_http_method(const struct tc_http_req *r)
{
    return r->method;
}

const char *tc_http_param(const struct tc_http_req *r)
{
    return r->param ? r->param : "";
}

const char *tc_http_query(const struct tc_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *tc_http_header(const struct tc_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *tc_http_cookie(const struct tc_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *tc_http_body(const struct tc_http_req *r, size_t *len)
{
    *len = r->len;
    return r->body ? r->body : "";
}

const char *tc_http_client(const struct tc_http_req *r)
{
    return r->client;
}

void *tc_http_state(struct tc_http_req *r, size_t size, void (*cleanup)(void *state))
{
    if (!r->state) {
        r->state = calloc(1, size);
        r->cleanup = cleanup;
    }
    return r->state;
}

void tc_http_log_note(struct tc_http_req *r, const char *word, uint64_t number)
{
    r->word = word;
    r->number = number;
}

void tc_http_time(struct tc_http_req *r, struct tc_metric *h)
{
    r->timed = h;
}

enum tc_err tc_http_add_header(struct tc_http_req *r, const char *name, const char *value)
{
    struct header *x = calloc(1, sizeof *x);
    if (!x || !(x->name = strdup(name)) || !(x->value = strdup(value))) {
        if (x)
            free(x->name);
        free(x);
        return TC_ERR_NOMEM;
    }
    struct header **tail = &r->headers; /* in the order added */
    while (*tail)
        tail = &(*tail)->next;
    *tail = x;
    return TC_OK;
}

void tc_http_suspend(struct tc_http_req *r)
{
    r->suspended = true;
    MHD_suspend_connection(r->conn);
}

void tc_http_resume(struct tc_http_req *r)
{
    /* only the connection, which does not change: r belongs to the connection's thread */
    MHD_resume_connection(r->conn);
}

/* ---- limits -------------------------------------------------------------------------------- */

/* The client's address: the peer's, or for connections from the trusted proxy the address it
 * passes on (X-Real-IP, else the last X-Forwarded-For entry), when that is an address. */
static void client_address(const struct tc_http *h, struct MHD_Connection *c,
                           char out[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
    if (!h->cfg.trusted_proxy || strcmp(out, h->cfg.trusted_proxy) != 0)
        return;
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    if (!v) {
        const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
        const char *last = x ? strrchr(x, ',') : NULL;
        v = last ? last + 1 : x;
    }
    if (!v)
        return;
    while (*v == ' ')
        v++;
    char cand[INET6_ADDRSTRLEN];
    size_t n = strcspn(v, " ,");
    unsigned char bin[sizeof(struct in6_addr)];
    if (n == 0 || n >= sizeof cand)
        return;
    memcpy(cand, v, n);
    cand[n] = '\0';
    if (inet_pton(AF_INET, cand, bin) == 1 || inet_pton(AF_INET6, cand, bin) == 1)
        memcpy(out, cand, n + 1);
}

static int addr_slot(const char *addr)
{
    uint32_t x = 2166136261u; /* FNV-1a */
    for (; *addr; addr++)
        x = (x ^ (uint8_t)*addr) * 16777619u;
    return (int)(x % ADDR_SLOTS);
}

/* Bodies of budgeted routes are held in memory until the request ends: they count against
 * cfg.body_memory. */
static bool reserve(struct tc_http *h, struct tc_http_req *r, size_t total)
{
    if (!r->route || !(r->route->flags & TC_HTTP_BUDGET) || !h->cfg.body_memory ||
        total <= r->reserved)
        return true;
    size_t more = total - r->reserved;
    unsigned long long was = atomic_fetch_add(&h->budget_held, more);
    if (was + more > h->cfg.body_memory) {
        atomic_fetch_sub(&h->budget_held, more);
        return false;
    }
    r->reserved = total;
    return true;
}

/* The checks made on the headers, before any body is read; a refusal is answered at once and the
 * connection closed (libmicrohttpd does not read a body it was not asked for). */
static enum MHD_Result first_call(struct tc_http *h, struct tc_http_req *r)
{
    client_address(h, r->conn, r->client);
    r->slot = addr_slot(r->client);
    if (atomic_fetch_add(&h->per_addr[r->slot], 1) + 1 > (unsigned)h->cfg.per_address_limit) {
        tc_http_add_header(r, "Retry-After", TC_HTTP_RETRY_AFTER);
        tc_http_reply_error(r, 429, "too_many_requests",
                            "too many requests in progress from this address");
        return r->result;
    }
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > r->limit) {
        tc_http_reply_error(r, 413, "too_large", "the request body is too large");
        return r->result;
    }
    if (!reserve(h, r, (size_t)declared)) {
        tc_http_add_header(r, "Retry-After", TC_HTTP_RETRY_AFTER);
        tc_http_reply_error(r, 503, "busy", r->route->busy ? r->route->busy : DEFAULT_BUSY);
        return r->result;
    }
    return MHD_YES;
}

static struct tc_http_req *request_new(struct tc_http *h, struct MHD_Connection *c, const char *url,
                                       const char *method)
{
    struct tc_http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->h = h, r->conn = c, r->slot = -1;
    r->route = route_of(h, url, &r->param_at);
    r->name = !r->route ? "(unknown)" : r->route->name ? r->route->name : r->route->pattern;
    r->method = method_of(method);
    r->limit = r->route && r->route->body_max ? r->route->body_max : h->cfg.body_max;
    return r;
}

/* A piece of the body: appended, within the route's limit and the budget. */
static enum MHD_Result take_body(struct tc_http *h, struct tc_http_req *r, const char *data,
                                 size_t n)
{
    if (r->len + n > r->limit || !reserve(h, r, r->len + n)) {
        /* a body without Content-Length that grows past its limit: the connection is closed */
        r->too_big = true;
        return MHD_NO;
    }
    size_t need = r->len + n + 1 < 4096 ? 4096 : r->len + n + 1; /* 4 KiB, then doubled */
    if (tc_reserve((void **)&r->body, &r->cap, need, 1) != TC_OK)
        return MHD_NO;
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return MHD_YES;
}

/* The upload is complete: the route's handler answers, or suspends. */
static enum MHD_Result dispatch(struct tc_http *h, struct tc_http_req *r, const char *url)
{
    if (r->too_big) {
        tc_http_reply_error(r, 413, "too_large", "the request body is too large");
    } else if (!r->route) {
        tc_http_reply_error(r, 404, "not_found", "no such path");
    } else if (!(r->method & r->route->methods)) {
        char words[64];
        allowed_words(r->route->methods, words, sizeof words);
        tc_http_reply_error(r, 405, "method_not_allowed", words);
    } else {
        r->param = url + r->param_at;
        r->route->handle(r, h->cfg.ctx);
    }
    if (r->suspended) {
        r->suspended = false; /* called again after tc_http_resume */
        return MHD_YES;
    }
    return r->replied ? r->result : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    struct tc_http *h = cls;
    struct tc_http_req *r = *state;
    if (!r) { /* first call: headers only */
        if (!(r = request_new(h, c, url, method)))
            return MHD_NO;
        *state = r;
        return first_call(h, r);
    }
    if (r->replied) /* answered on the headers: nothing more is read */
        return MHD_YES;
    if (*upload_size) {
        enum MHD_Result ret = take_body(h, r, upload, *upload_size);
        *upload_size = 0;
        return ret;
    }
    return dispatch(h, r, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why)
{
    (void)c;
    struct tc_http *h = cls;
    struct tc_http_req *r = *state;
    if (!r)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double secs =
        (double)(end.tv_sec - r->start.tv_sec) + (double)(end.tv_nsec - r->start.tv_nsec) / 1e9;
    if (r->timed)
        tc_metric_observe(r->timed, secs);
    if (r->status >= 400 || why != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        tc_metric_add(h->cfg.errors, 0, 1);
    if (h->cfg.access_log) {
        char when[24];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        /* the route, the status and the service's word and number: all of them the server's own
         * words and numbers; no path, payload, unit or address */
        pthread_mutex_lock(&h->log_lock);
        fprintf(h->cfg.access_log, "%s %s %u %s %llu %.2fms\n", when, r->name, r->status,
                r->word ? r->word : "-", (unsigned long long)r->number, secs * 1e3);
        pthread_mutex_unlock(&h->log_lock);
    }
    if (r->reserved)
        atomic_fetch_sub(&h->budget_held, r->reserved);
    if (r->slot >= 0)
        atomic_fetch_sub(&h->per_addr[r->slot], 1);
    if (r->state && r->cleanup)
        r->cleanup(r->state);
    while (r->headers) {
        struct header *x = r->headers;
        r->headers = x->next;
        free(x->name);
        free(x->value);
        free(x);
    }
    free(r->state);
    free(r->body);
    free(r);
    *state = NULL;
}

/* ---- the daemon ---------------------------------------------------------------------------- */

void tc_http_say(void (*log)(void *ctx, const char *msg), void *ctx, const char *fmt, ...)
{
    if (!log)
        return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(ctx, msg);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct tc_http *h = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    h->cfg.log(h->cfg.log_ctx, line);
}

static void defaults(struct tc_http_config *cfg)
{
    if (cfg->addr.sin_family == 0) {
        cfg->addr.sin_family = AF_INET;
        cfg->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cfg->addr.sin_port = htons(8080);
    }
    if (!cfg->threads)
        cfg->threads = 2;
    if (!cfg->connection_limit)
        cfg->connection_limit = 1024;
    if (!cfg->per_address_limit)
        cfg->per_address_limit = 64;
    if (!cfg->timeout)
        cfg->timeout = 15;
    if (!cfg->body_max)
        cfg->body_max = TC_HTTP_BODY_MAX;
}

enum tc_err tc_http_start(struct tc_http **out, const struct tc_http_config *cfg, const char **why)
{
    *out = NULL;
    *why = NULL;
    struct tc_http *h = calloc(1, sizeof *h);
    if (!h) {
        *why = "memory";
        return TC_ERR_NOMEM;
    }
    h->cfg = *cfg;
    defaults(&h->cfg);
    pthread_mutex_init(&h->log_lock, NULL);
    if (h->cfg.access_log)
        setvbuf(h->cfg.access_log, NULL, _IOFBF, 64 << 10);
    const struct tc_http_config *k = &h->cfg;
    struct MHD_OptionItem ops[10];
    size_t n = 0;
    if (k->log) /* first, so that libmicrohttpd says nothing through its own logger */
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, h};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)&k->addr};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, k->threads, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, k->connection_limit, NULL};
    /* behind the trusted proxy every connection is the proxy's: count per client instead */
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                       k->trusted_proxy ? 0 : k->per_address_limit, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, k->timeout, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                       (intptr_t)CONNECTION_MEMORY, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    h->d = MHD_start_daemon(flags, ntohs(k->addr.sin_port), NULL, NULL, handle, h, MHD_OPTION_ARRAY,
                            ops, MHD_OPTION_END);
    if (!h->d) {
        *why = "the listening socket (address in use?)";
        tc_http_stop(h);
        return TC_ERR_IO;
    }
    *out = h;
    return TC_OK;
}

uint16_t tc_http_port(const struct tc_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

/* SIGHUP reloads; SIGINT and SIGTERM stop */
static void service_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void tc_http_block_signals(void)
{
    sigset_t set;
    service_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void tc_http_run(struct tc_http *h)
{
    sigset_t set;
    service_signals(&set);
    for (;;) {
        struct timespec tick = {0, TC_HTTP_TICK_MS * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig == SIGHUP && h->cfg.reload)
            h->cfg.reload(h->cfg.ctx);
        else if (sig != SIGHUP && h->cfg.tick)
            h->cfg.tick(h->cfg.ctx);
        tc_http_flush_log(h);
    }
}

void tc_http_flush_log(struct tc_http *h)
{
    if (!h->cfg.access_log)
        return;
    pthread_mutex_lock(&h->log_lock);
    fflush(h->cfg.access_log);
    pthread_mutex_unlock(&h->log_lock);
}

void tc_http_stop(struct tc_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    tc_http_flush_log(h);
    pthread_mutex_destroy(&h->log_lock);
    free(h);
}
