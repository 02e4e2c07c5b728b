/*
 * test_http.c - the shared HTTP layer (http/http.h) on 127.0.0.1 with raw sockets: route matching
 * (exact paths, a trailing {param}, first match wins, 404 and 405), the security headers of an
 * answer and of a page (and HSTS only when configured), JSON errors, the request accessors the
 * console needs (query, headers, cookies, a Set-Cookie answer), body limits and the body budget,
 * suspension and resumption from another thread, a handler that does not answer, per-address
 * limits through the trusted proxy, the access log (route names, never the path), metrics in the
 * Prometheus text format, and the signal loop (SIGHUP reloads, ticks, SIGTERM stops).
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"

static struct tc_metrics *metrics;
static struct tc_metric *m_errors, *m_hits, *m_gauge, *m_time;
static atomic_int reloads, ticks, collects;
static _Atomic(struct tc_http_req *) held; /* a suspended request */

static void hello(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_metric_add(m_hits, 1, 1);
    tc_http_log_note(r, "greeted", 42);
    tc_http_time(r, m_time);
    tc_http_reply(r, 200, "text/plain", "hello", 5);
}

static void echo(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    size_t len;
    const char *body = tc_http_body(r, &len);
    const char *q = tc_http_query(r, "x"), *origin = tc_http_header(r, "origin");
    const char *site = tc_http_header(r, "Sec-Fetch-Site"), *sid = tc_http_cookie(r, "sid");
    tc_http_reply_json(r, 200,
                       json_pack("{s:s%,s:s?,s:s?,s:s?,s:s?,s:s,s:i}", "body", body, len, "x", q,
                                 "origin", origin, "site", site, "sid", sid, "client",
                                 tc_http_client(r), "method", (int)tc_http_method(r)));
}

static void param(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    const char *p = tc_http_param(r);
    tc_http_reply(r, 200, "text/plain", p, strlen(p));
}

static void page(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_http_reply_page(r, "text/html; charset=utf-8", "<p>page</p>", 11);
}

static void cookie(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_http_add_header(r, "Set-Cookie", "__Host-tc=abc; Secure; HttpOnly; SameSite=Strict; Path=/");
    tc_http_reply_error(r, 401, "login", "log in first");
}

static void nothing(struct tc_http_req *r, void *ctx)
{
    (void)r, (void)ctx;
}

struct slow_state {
    int calls;
};

static void *resume_later(void *arg)
{
    usleep(100 * 1000);
    tc_http_resume(arg);
    return NULL;
}

static void slow(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    struct slow_state *st = tc_http_state(r, sizeof *st, NULL);
    if (st->calls++ == 0) {
        tc_http_suspend(r);
        if (tc_http_query(r, "hold")) { /* resumed by the test */
            held = r;
            return;
        }
        pthread_t t;
        pthread_create(&t, NULL, resume_later, r);
        pthread_detach(t);
        return;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "calls %d", st->calls);
    tc_http_reply(r, 200, "text/plain", text, (size_t)n);
}

static const struct tc_http_route routes[] = {
    {TC_HTTP_GET, "/hello", hello, NULL, 0, 0, NULL},
    {TC_HTTP_POST | TC_HTTP_PUT, "/echo", echo, NULL, 16, 0, NULL},
    {TC_HTTP_GET, "/items/{id}", param, "/items/{id}", 0, 0, NULL},
    {TC_HTTP_GET, "/items/special", hello, NULL, 0, 0, NULL}, /* never reached: first match wins */
    {TC_HTTP_GET, "/page", page, "/(page)", 0, 0, NULL},
    {TC_HTTP_GET, "/cookie", cookie, NULL, 0, 0, NULL},
    {TC_HTTP_GET, "/nothing", nothing, NULL, 0, 0, NULL},
    {TC_HTTP_GET, "/slow", slow, NULL, 0, 0, NULL},
    {TC_HTTP_POST, "/upload", echo, NULL, 64, TC_HTTP_BUDGET, "uploads are busy"},
    {TC_HTTP_GET, "/metrics", tc_http_serve_metrics, NULL, 0, 0, NULL},
    {TC_HTTP_GET, "/healthz", tc_http_serve_alive, NULL, 0, 0, NULL},
};

/* ---- a raw client --------------------------------------------------------------------------- */
static char reply[16384];
static int status;
static const char *body;

/* Sends raw (a whole request) to 127.0.0.1:port and reads the answer until the server closes;
 * the number of bytes read. */
static size_t exchange(uint16_t port, const char *raw)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t n = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        write(fd, raw, strlen(raw)) == (ssize_t)strlen(raw)) {
        ssize_t k;
        while (n < sizeof reply - 1 && (k = read(fd, reply + n, sizeof reply - 1 - n)) > 0)
            n += (size_t)k;
    }
    close(fd);
    reply[n] = '\0';
    status = n > 12 ? atoi(reply + 9) : 0;
    const char *end = strstr(reply, "\r\n\r\n");
    body = end ? end + 4 : "";
    return n;
}

static size_t get(uint16_t port, const char *target, const char *headers)
{
    char raw[2048];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", target,
             headers ? headers : "");
    return exchange(port, raw);
}

/* the value of a header of the last answer, or NULL */
static const char *header(const char *name)
{
    static char value[512];
    char key[128];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *h = strcasestr(reply, key), *end = strstr(reply, "\r\n\r\n");
    if (!h || (end && h > end))
        return NULL;
    h += strlen(key);
    size_t n = strcspn(h, "\r");
    snprintf(value, sizeof value, "%.*s", (int)n, h);
    return value;
}

static bool body_is(const char *want)
{
    return strcmp(body, want) == 0;
}

/* ---- the tests ------------------------------------------------------------------------------ */

static struct tc_http *start(struct tc_http_config *cfg, FILE *log)
{
    cfg->addr.sin_family = AF_INET;
    cfg->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg->addr.sin_port = 0; /* any free port */
    cfg->routes = routes, cfg->n_routes = sizeof routes / sizeof routes[0];
    cfg->access_log = log;
    cfg->metrics = metrics, cfg->errors = m_errors;
    struct tc_http *h = NULL;
    const char *why;
    enum tc_err e = tc_http_start(&h, cfg, &why);
    is_err(e, TC_OK, "the server starts on a free port%s%s", why ? ": " : "", why ? why : "");
    return h;
}

static void routing_and_headers(uint16_t port)
{
    get(port, "/hello", NULL);
    ok(status == 200 && body_is("hello"), "GET /hello: 200 and the body (%d)", status);
    ok(header("X-Content-Type-Options") && !strcmp(header("X-Content-Type-Options"), "nosniff") &&
           !strcmp(header("Referrer-Policy"), "no-referrer") &&
           !strcmp(header("Cache-Control"), "no-store") &&
           !strcmp(header("Content-Type"), "text/plain"),
       "every answer: nosniff, no-referrer, no-store, its content type");
    ok(!header("Content-Security-Policy") && !header("X-Frame-Options") &&
           !header("Strict-Transport-Security"),
       "an API answer has no page headers, and no HSTS unless configured");
    get(port, "/healthz", NULL);
    ok(status == 200 && body_is("ok\n") &&
           !strcmp(header("Content-Type"), "text/plain; charset=utf-8"),
       "GET /healthz of a service alive when it answers: 200 \"ok\" (%d)", status);
    get(port, "/page", NULL);
    ok(status == 200 && !strcmp(header("Content-Security-Policy"), TC_HTTP_PAGE_CSP) &&
           !strcmp(header("X-Frame-Options"), "DENY") &&
           !strcmp(header("Cache-Control"), "no-cache"),
       "a page: the default CSP (frame-ancestors 'none'), X-Frame-Options DENY, no-cache");
    ok(strstr(TC_HTTP_PAGE_CSP, "frame-ancestors 'none'") != NULL,
       "the default CSP forbids framing");
    ok(!header("Permissions-Policy"), "no Permissions-Policy unless configured");
    get(port, "/items/a/b%20c", NULL);
    ok(status == 200 && body_is("a/b c"), "a trailing {param} takes the rest of the path (%s)",
       body);
    get(port, "/items/", NULL);
    ok(status == 200 && body_is(""), "and may be empty");
    get(port, "/items/special", NULL);
    ok(status == 200 && body_is("special"), "the first route that matches wins");
    get(port, "/items", NULL);
    ok(status == 404 && body_is("{\"error\":\"not_found\",\"message\":\"no such path\"}"),
       "a path no route matches: 404 JSON (%s)", body);
    exchange(port,
             "POST /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    ok(status == 405 && body_is("{\"error\":\"method_not_allowed\",\"message\":\"use GET\"}"),
       "POST on a GET route: 405 use GET (%s)", body);
    get(port, "/echo", NULL);
    ok(status == 405 &&
           body_is("{\"error\":\"method_not_allowed\",\"message\":\"use POST or PUT\"}"),
       "GET on a POST|PUT route: 405 use POST or PUT (%s)", body);
    exchange(port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ok(status == 200 && body_is(""), "HEAD is GET without a body");
}

static void accessors(uint16_t port)
{
    exchange(port, "POST /echo?x=%E4%B8%AD HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   "Origin: https://hr.example\r\nSec-Fetch-Site: same-origin\r\n"
                   "Cookie: a=1; sid=s3cr3t\r\nContent-Length: 5\r\n\r\nhello");
    json_t *j = json_loads(body, 0, NULL);
    ok(status == 200 && j && !strcmp(json_string_value(json_object_get(j, "body")), "hello") &&
           !strcmp(json_string_value(json_object_get(j, "x")), "中") &&
           !strcmp(json_string_value(json_object_get(j, "origin")), "https://hr.example") &&
           !strcmp(json_string_value(json_object_get(j, "site")), "same-origin") &&
           !strcmp(json_string_value(json_object_get(j, "sid")), "s3cr3t") &&
           !strcmp(json_string_value(json_object_get(j, "client")), "127.0.0.1") &&
           json_integer_value(json_object_get(j, "method")) == TC_HTTP_POST,
       "body, query (decoded), Origin, Sec-Fetch-Site, a cookie, the client, the method: %s", body);
    json_decref(j);
    get(port, "/cookie", NULL);
    ok(status == 401 && header("Set-Cookie") &&
           !strcmp(header("Set-Cookie"),
                   "__Host-tc=abc; Secure; HttpOnly; SameSite=Strict; Path=/"),
       "an added header (Set-Cookie) goes out with the answer");
    ok(body_is("{\"error\":\"login\",\"message\":\"log in first\"}"),
       "errors are {\"error\": code, \"message\": ...}");
}

static void limits(uint16_t port)
{
    exchange(port,
             "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 17\r\n\r\n"
             "0123456789abcdefg");
    ok(status == 413 &&
           body_is("{\"error\":\"too_large\",\"message\":\"the request body is too large\"}"),
       "a declared body over the route's limit: 413 before it is read");
    size_t n =
        exchange(port, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n11\r\n0123456789abcdefg\r\n0\r\n\r\n");
    ok(n == 0, "a chunked body growing past it: the connection is closed (%zu bytes)", n);
    exchange(port,
             "POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 20\r\n\r\n"
             "01234567890123456789");
    ok(status == 503 && body_is("{\"error\":\"busy\",\"message\":\"uploads are busy\"}"),
       "a budgeted body over the memory budget: 503 busy with the route's message (%s)", body);
    exchange(port,
             "POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 8\r\n\r\n"
             "01234567");
    ok(status == 200, "within the budget: served");
    n = get(port, "/nothing", NULL);
    ok(n == 0, "a handler that does not answer: the connection is closed");
    get(port, "/slow", NULL);
    ok(status == 200 && body_is("calls 2"), "suspended, resumed from another thread, called again");
}

static void per_address(void)
{
    struct tc_http_config cfg = {0};
    cfg.per_address_limit = 1;
    cfg.trusted_proxy = "127.0.0.1";
    struct tc_http *h = start(&cfg, NULL);
    if (!h)
        return;
    uint16_t port = tc_http_port(h);
    /* one request of 192.0.2.7 in progress (suspended until the test resumes it) */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *raw = "GET /slow?hold=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "X-Real-IP: 192.0.2.7\r\n\r\n";
    held = NULL;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || write(fd, raw, strlen(raw)) < 0)
        ok(0, "connect");
    for (int i = 0; i < 100 && !held; i++)
        usleep(10 * 1000);
    get(port, "/hello", "X-Real-IP: 192.0.2.7\r\n");
    ok(status == 429 && body_is("{\"error\":\"too_many_requests\",\"message\":\"too many requests "
                                "in progress from this address\"}"),
       "--trusted-proxy: a second request of the client the proxy names is 429");
    get(port, "/hello", "X-Real-IP: 192.0.2.8\r\n");
    ok(status == 200, "another client behind the proxy is served");
    get(port, "/hello", "X-Forwarded-For: 198.51.100.1, 192.0.2.7\r\n");
    ok(status == 429, "X-Forwarded-For's last entry counts when X-Real-IP is absent");
    get(port, "/echo", "X-Real-IP: 192.0.2.9\r\n");
    ok(status == 405, "(a refused method still counts and uncounts its client)");
    if (held)
        tc_http_resume(held);
    char buf[512];
    ssize_t k = read(fd, buf, sizeof buf - 1);
    ok(k > 12 && atoi(buf + 9) == 200, "the held request is answered once resumed");
    close(fd);
    tc_http_stop(h);
}

static void access_log_and_metrics(uint16_t port, FILE *log, struct tc_http *h)
{
    get(port, "/items/622921199001010024%0aforged", NULL);
    get(port, "/metrics", NULL);
    ok(status == 200 && !strcmp(header("Content-Type"), "text/plain; version=0.0.4"),
       "GET /metrics: the Prometheus text format");
    ok(collects > 0, "the collect hook ran before rendering");
    ok(strstr(body, "# HELP t_hits_total Hits by kind.\n# TYPE t_hits_total counter\n"
                    "t_hits_total{kind=\"a\"} 0\nt_hits_total{kind=\"b\"} 2\n") != NULL,
       "a labelled counter, values in the order of its labels");
    /* 404, 405 twice, 401, 413, 503 and the two closed connections */
    ok(strstr(body, "# HELP t_errors_total Errors.\n# TYPE t_errors_total counter\nt_errors_total "
                    "8\n") != NULL,
       "the layer counts answers >= 400 and closed connections into cfg.errors");
    ok(strstr(body, "# TYPE t_gauge gauge\nt_gauge -7\n") != NULL, "a gauge, set by the hook");
    ok(strstr(body, "t_seconds_bucket{le=\"0.5\"} 2\nt_seconds_bucket{le=\"+Inf\"} 2\n"
                    "t_seconds_sum ") &&
           strstr(body, "t_seconds_count 2\n"),
       "a histogram with its buckets, sum and count");
    tc_http_flush_log(h);
    fflush(log);
    rewind(log);
    char line[512];
    int lines = 0, bad = 0, greeted = 0;
    while (fgets(line, sizeof line, log)) {
        char when[32], route[64], word[32], ms[32];
        unsigned st;
        unsigned long long num;
        lines++;
        if (sscanf(line, "%31s %63s %u %31s %llu %31s", when, route, &st, word, &num, ms) != 6 ||
            strlen(when) != 20 || when[19] != 'Z' || strstr(line, "6229") || strstr(line, "forged"))
            bad++;
        if (!strcmp(route, "/hello") && !strcmp(word, "greeted") && num == 42)
            greeted++;
    }
    ok(lines > 10 && bad == 0,
       "access log: %d lines, every one \"time route status word number "
       "ms\", no path text (%d others)",
       lines, bad);
    ok(greeted > 0, "the service's word and number are on its request's line");
}

static void on_collect(void *ctx)
{
    (void)ctx;
    collects++;
    tc_metric_set(m_gauge, -7);
}

static void on_reload(void *ctx)
{
    (void)ctx;
    reloads++;
}

static void on_tick(void *ctx)
{
    (void)ctx;
    ticks++;
}

static void *signal_later(void *arg)
{
    (void)arg;
    usleep(600 * 1000);
    kill(getpid(), SIGHUP);
    usleep(600 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void signal_loop(void)
{
    struct tc_http_config cfg = {0};
    cfg.tick = on_tick, cfg.reload = on_reload;
    struct tc_http *h = start(&cfg, NULL);
    if (!h)
        return;
    pthread_t t;
    pthread_create(&t, NULL, signal_later, NULL);
    tc_http_run(h); /* returns on SIGTERM */
    pthread_join(t, NULL);
    ok(reloads == 1 && ticks >= 2,
       "the signal loop: SIGHUP reloads once (%d), ticks run (%d), "
       "SIGTERM stops",
       (int)reloads, (int)ticks);
    tc_http_stop(h);
}

/* A service's page files: which file a route's pattern gets, and 404 for a file it lacks. */
static void pages(void)
{
    char dir[] = "/tmp/tc_http_pages_XXXXXX", path[600];
    if (!mkdtemp(dir))
        return;
    static const char *const names[] = {"index.html", "app.js", "style.css"};
    static const char *const bodies[] = {"<p>page</p>", "let a = 1;", "p{}"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        if (f)
            fputs(bodies[i], f), fclose(f);
    }
    struct tc_http_pages *p = NULL;
    ok(tc_http_pages_read(&p, dir, names, 3, 1024, path, sizeof path) == TC_OK, "pages read");
    const char *type = NULL;
    const void *file = NULL;
    size_t len = 0;
    /* found before ok() is called: the order in which its arguments are evaluated is unspecified,
     * and `type` is one of them */
    bool found = p && tc_http_pages_file(p, "/app.js", &type, &file, &len);
    ok(found && !strcmp(type, "text/javascript; charset=utf-8") && len == 10 &&
           !memcmp(file, "let", 3),
       "/app.js: the script, as JavaScript (%s)", type ? type : "-");
    ok(p && tc_http_pages_file(p, "/", &type, &file, &len) && len == 11 &&
           !memcmp(file, "<p>", 3) && !strcmp(type, "text/html; charset=utf-8"),
       "/: the page itself");
    ok(p && tc_http_pages_file(p, "/v", &type, &file, &len) && !memcmp(file, "<p>", 3),
       "/v (a path naming no file): the page itself");
    ok(p && tc_http_pages_file(p, "/index.html", &type, &file, &len) && !memcmp(file, "<p>", 3),
       "/index.html: the page");
    ok(p && !tc_http_pages_file(p, "/app.mjs", &type, &file, &len),
       "/app.mjs, a file the service does not have: none (404), not the page in its place");
    tc_http_pages_free(p);
    static const char *const odd[] = {"index.html", "logo.png"};
    snprintf(path, sizeof path, "%s/logo.png", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fputs("x", f), fclose(f);
    p = NULL;
    ok(tc_http_pages_read(&p, dir, odd, 2, 1024, path, sizeof path) == TC_ERR_ARG && !p,
       "a file of no known type is refused");
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/logo.png", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    tc_http_block_signals(); /* before any thread */
    static const char *const kinds[] = {"a", "b"};
    static const double bounds[] = {0.5};
    tc_metrics_new(&metrics);
    m_hits = tc_metrics_counter(metrics, "t_hits_total", "Hits by kind.", "kind", kinds, 2);
    m_errors = tc_metrics_counter(metrics, "t_errors_total", "Errors.", NULL, NULL, 0);
    m_gauge = tc_metrics_gauge(metrics, "t_gauge", "A gauge.");
    m_time = tc_metrics_histogram(metrics, "t_seconds", "Durations.", bounds, 1);
    tc_metrics_on_collect(metrics, on_collect, NULL);
    ok(m_hits && m_errors && m_gauge && m_time, "metrics register");
    ok(!tc_metrics_counter(metrics, "x", "x", "l", kinds, 0), "a label without values is refused");

    FILE *log = tmpfile();
    struct tc_http_config cfg = {0};
    cfg.body_memory = 10;
    struct tc_http *h = start(&cfg, log);
    if (h) {
        uint16_t port = tc_http_port(h);
        ok(port != 0, "it says its port (%u)", port);
        routing_and_headers(port);
        accessors(port);
        limits(port);
        access_log_and_metrics(port, log, h);
        tc_http_stop(h);
    }
    struct tc_http_config hsts = {0};
    hsts.hsts = "max-age=31536000";
    hsts.page_csp = "default-src 'self'";
    hsts.page_permissions = "camera=(self)";
    if ((h = start(&hsts, NULL)) != NULL) {
        get(tc_http_port(h), "/page", NULL);
        ok(header("Strict-Transport-Security") &&
               !strcmp(header("Strict-Transport-Security"), "max-age=31536000") &&
               !strcmp(header("Content-Security-Policy"), "default-src 'self'") &&
               !strcmp(header("Permissions-Policy"), "camera=(self)"),
           "configured: HSTS on every answer, the page's own CSP and Permissions-Policy");
        tc_http_stop(h);
    }
    per_address();
    pages();
    signal_loop();
    fclose(log);
    tc_metrics_free(metrics);
    return tap_done();
}
