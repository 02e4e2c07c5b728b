/*
 * server.c - the verifier's HTTP service on libmicrohttpd.
 *
 * Handlers are thin adapters: method check, bounded body, call the engine, map the verdict to a
 * status and JSON. A request's state lives in a struct allocated on the first callback and freed
 * in the completion callback; the response is queued on the second callback, after the upload
 * was consumed, which keeps HTTP/1.1 keep-alive working with libmicrohttpd 0.9.75.
 *
 * The bundle in use is reference counted. A reload (SIGHUP, or the file changing) loads and
 * verifies the new bundle off the request path and swaps the pointer under a mutex; requests
 * already running finish on the bundle they took, and no request ever sees none. A bundle that
 * does not verify, or whose version is not newer, is refused and the old one kept.
 *
 * Nothing here can read a secret key; access-log lines name the certificate id, never a person.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define ADDR_SLOTS 4096 /* counters of requests in progress, by client address hash */
#define METHOD_GET 1
#define METHOD_POST 2
#define N_BUCKETS 10
static const double buckets[N_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,  0.1,    0.25,  1.0};

struct held {
    struct tc_bundle *b;
    int refs;
    time_t loaded;
};

struct tc_server {
    struct MHD_Daemon *d;
    struct tc_server_config cfg;
    uint8_t root_pk[TC_PK_BYTES];
    pthread_mutex_t lock;
    struct held *cur;
    struct stat seen; /* of the bundle file, for change detection */
    atomic_ulong by_verdict[5], errors, reloads_ok, reloads_refused;
    atomic_ulong hist[N_BUCKETS + 1], hist_count;
    atomic_ullong hist_sum_us;
    struct tc_state st; /* accepted so far; under lock */
    atomic_ulong refused_rollback, stale_refusals, images_busy, images_timeout, too_many;
    atomic_ulong refused_register; /* bundles whose register checkpoint did not follow (A3) */
    struct tc_source_stats source; /* serve --source */
    struct tc_image_pool *images;
    atomic_ullong image_bytes; /* image bodies held now, against cfg.image_memory */
    atomic_uint per_addr[ADDR_SLOTS]; /* requests in progress per client address (hashed) */
    FILE *log;
    pthread_mutex_t log_lock;
    char *web_index, *web_js, *web_css;
    size_t web_index_len, web_js_len, web_css_len;
};

struct req {
    int method;
    char *body;
    size_t len, cap, limit;
    bool too_big;
    struct timespec start;
    const char *verdict;
    uint64_t cert_id;
    unsigned status;
    const char *route; /* a fixed route name for the log, never the requested path */
    /* the image path (verify_image) */
    int image_state;
    struct tc_image_job job;
    struct MHD_Connection *conn;
    size_t reserved;   /* bytes of the image memory budget this body holds */
    struct tc_verify_opts opts; /* the image's query, checked before it was queued */
    char uscc[TC_USCC_LEN + 1];
    int slot;          /* in-progress counter of the client address, or -1 */
};
enum { IMAGE_NONE, IMAGE_QUEUED, IMAGE_DONE };

/* The route a request's path falls under, as logged: the raw path is the client's text (it can
 * hold a line break, a name or an ID number) and is never written anywhere. */
static const char *route_of(const char *url)
{
    static const char *const fixed[] = {"/api/v1/verify", "/api/v1/verify-image", "/api/v1/units",
                                        "/healthz", "/metrics", "/app.js", "/style.css",
                                        "/favicon.ico"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(url, fixed[i]) == 0)
            return fixed[i];
    if (strncmp(url, "/api/v1/units/", 14) == 0)
        return "/api/v1/units/{uscc}";
    if (strcmp(url, "/api/v1/register/checkpoint") == 0)
        return "/api/v1/register/checkpoint";
    if (strncmp(url, "/api/v1/register/proof/", 23) == 0)
        return "/api/v1/register/proof/{id}";
    if (!strcmp(url, "/") || !strcmp(url, "/v") || !strcmp(url, "/V") || !strcmp(url, "/index.html"))
        return "/ (page)";
    return strncmp(url, "/api/", 5) == 0 ? "/api/(unknown)" : "(unknown)";
}

/* ---- bundles ------------------------------------------------------------------------------- */

static struct held *take(struct tc_server *s)
{
    pthread_mutex_lock(&s->lock);
    struct held *h = s->cur;
    h->refs++;
    pthread_mutex_unlock(&s->lock);
    return h;
}

static void release(struct tc_server *s, struct held *h)
{
    pthread_mutex_lock(&s->lock);
    bool last = --h->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (last) {
        tc_bundle_free(h->b);
        free(h);
    }
}

/* Writes a line to the access log (to_access) or to stderr (operational messages). */
static void logf_(struct tc_server *s, bool to_access, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct tc_server *s, bool to_access, const char *fmt, ...)
{
    FILE *f = to_access ? s->log : stderr;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&s->log_lock);
    fputs(to_access ? "" : "titlecert-verifier: ", f);
    vfprintf(f, fmt, ap);
    if (!to_access) /* access lines are buffered; tc_server_flush_log writes them every second */
        fflush(f);
    pthread_mutex_unlock(&s->log_lock);
    va_end(ap);
}

/* "2026-12-01T09:30:00Z": the one time format of the API and the access log */
#define ISO_UTC_LEN 21
static void iso_utc(char out[ISO_UTC_LEN], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, ISO_UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The bundle's freshness bound: --max-age, else its profile's. */
static uint64_t max_age_of(const struct tc_server *s, const struct tc_bundle *b)
{
    return s->cfg.max_age ? s->cfg.max_age : b->profile.status_max_age;
}

static bool stale(const struct tc_server *s, const struct tc_bundle *b, time_t now)
{
    return (uint64_t)now > b->issued_at + max_age_of(s, b);
}

/* Rollback protection: b must not be older than what was accepted (also before a restart);
 * the state is written before b is used. Caller holds s->lock or is starting up. NULL or why. */
static const char *accept_state(struct tc_server *s, const struct tc_bundle *b)
{
    static __thread char why[256];
    const char *no = tc_state_admits(&s->st, b, s->cfg.min_trust_list);
    if (no) {
        snprintf(why, sizeof why, "%s: bundle %llu with trust list %llu, accepted before: bundle "
                 "%llu, trust list %llu", no, (unsigned long long)b->version,
                 (unsigned long long)b->tl->version, (unsigned long long)s->st.bundle_version,
                 (unsigned long long)s->st.trust_list_version);
        return why;
    }
    struct tc_reg_source tiles;
    struct tc_tile_reader *tr = NULL;
    if (s->cfg.register_dir &&
        tc_tile_reader_open(s->cfg.register_dir, b->checkpoint.size, &tr) == TC_OK)
        tiles = tc_tile_reader_source(tr);
    no = tc_state_admits_register(&s->st, b, tr ? &tiles : NULL, why, sizeof why);
    tc_tile_reader_close(tr);
    if (no) {
        s->refused_register++;
        return why;
    }
    struct tc_state next = s->st;
    tc_state_advance(&next, b);
    int err = 0;
    if (memcmp(&next, &s->st, sizeof next) != 0 &&
        tc_state_save(s->cfg.state_dir, b->tl->root_kid, b->profile.code, &next, &err) != TC_OK) {
        snprintf(why, sizeof why, "the state in %s could not be written: %s", s->cfg.state_dir,
                 strerror(err));
        return why;
    }
    s->st = next;
    return NULL;
}

static enum tc_err load(struct tc_server *s, struct tc_bundle **out, struct stat *st)
{
    uint8_t *buf;
    size_t len;
    enum tc_err e = tc_file_read(s->cfg.bundle_path, TC_BUNDLE_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return e;
    if (st && stat(s->cfg.bundle_path, st) != 0)
        memset(st, 0, sizeof *st);
    e = tc_bundle_parse(buf, len, s->root_pk, out);
    free(buf);
    return e;
}

/* Puts b in use if it is newer than the bundle in use and the state admits it (versions, trust
 * list, register consistency); else frees it. *why says why not. Takes s->lock. */
static enum tc_err install(struct tc_server *s, struct tc_bundle *b, const char **why)
{
    enum tc_err e = TC_OK;
    struct held *old = NULL;
    *why = NULL;
    pthread_mutex_lock(&s->lock);
    if (b->version <= s->cur->b->version)
        e = TC_ERR_TRUST_LIST, *why = "not newer than the one in use";
    if (e == TC_OK && (*why = accept_state(s, b)) != NULL)
        e = TC_ERR_TRUST_LIST, s->refused_rollback++;
    if (e == TC_OK) {
        struct held *h = calloc(1, sizeof *h);
        if (!h) {
            e = TC_ERR_NOMEM;
        } else {
            h->b = b, h->refs = 1, h->loaded = time(NULL);
            old = s->cur;
            s->cur = h;
            b = NULL;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (old)
        release(s, old);
    tc_bundle_free(b);
    return e;
}

enum tc_err tc_server_reload(struct tc_server *s)
{
    struct tc_bundle *b = NULL;
    struct stat st;
    enum tc_err e = load(s, &b, &st);
    pthread_mutex_lock(&s->lock);
    s->seen = st; /* a bad file is not retried until it changes again */
    uint64_t have = s->cur->b->version;
    pthread_mutex_unlock(&s->lock);
    const char *why = NULL;
    if (e == TC_OK)
        e = install(s, b, &why);
    if (e == TC_OK) {
        s->reloads_ok++;
        logf_(s, false, "bundle reloaded: version %llu\n", (unsigned long long)s->cur->b->version);
    } else {
        s->reloads_refused++;
        logf_(s, false, "bundle refused, keeping version %llu: %s\n", (unsigned long long)have,
              why ? why : tc_strerror(e));
    }
    return e;
}

enum tc_err tc_server_apply_delta(struct tc_server *s, const uint8_t *d, size_t len)
{
    struct held *cur = take(s);
    struct tc_bundle *b = NULL;
    uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    enum tc_err e = tc_bundle_apply_delta(cur->b, d, len, s->root_pk, (uint64_t)time(NULL), &b,
                                          &bytes, &bytes_len);
    free(bytes);
    uint64_t have = cur->b->version;
    release(s, cur);
    const char *why = NULL;
    if (e == TC_OK)
        e = install(s, b, &why);
    if (e == TC_OK) {
        s->reloads_ok++;
        s->source.deltas++;
        logf_(s, false, "bundle updated by a delta: version %llu -> %llu (%zu bytes)\n",
              (unsigned long long)have, (unsigned long long)s->cur->b->version, len);
    } else {
        logf_(s, false, "delta refused, keeping version %llu: %s (the full bundle is fetched)\n",
              (unsigned long long)have, why ? why : tc_strerror(e));
    }
    return e;
}

struct tc_source_stats *tc_server_source_stats(struct tc_server *s)
{
    return &s->source;
}

void tc_server_source_note(struct tc_server *s, bool rollback, const char *msg)
{
    if (rollback)
        s->refused_rollback++;
    logf_(s, false, "source: %s\n", msg);
}

void tc_server_poll_file(struct tc_server *s)
{
    struct stat st;
    if (stat(s->cfg.bundle_path, &st) != 0)
        return;
    pthread_mutex_lock(&s->lock);
    bool changed = st.st_mtim.tv_sec != s->seen.st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != s->seen.st_mtim.tv_nsec || st.st_size != s->seen.st_size ||
                   st.st_ino != s->seen.st_ino;
    pthread_mutex_unlock(&s->lock);
    if (changed)
        tc_server_reload(s);
}

/* ---- responses ----------------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, struct req *r, unsigned status,
                            const char *type, const void *body, size_t len, bool page)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", page ? "no-cache" : "no-store");
    if (page) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' blob: data:; media-src 'self' blob:; "
                                "connect-src 'self'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'");
        MHD_add_response_header(resp, "Permissions-Policy", "camera=(self)");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *r, unsigned status, json_t *j)
{
    /* most answers fit on the stack; larger ones (unit searches) take the heap */
    char local[4096];
    size_t n = json_dumpb(j, local, sizeof local, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *heap = NULL;
    if (n > sizeof local) {
        heap = malloc(n);
        if (heap)
            n = json_dumpb(j, heap, n, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(j);
    if (n == 0 || (n > sizeof local && !heap))
        return MHD_NO;
    enum MHD_Result ret =
        respond(c, r, status, "application/json; charset=utf-8", heap ? heap : local, n, false);
    free(heap);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *r, unsigned status,
                                  const char *code, const char *msg)
{
    return send_json(c, r, status, json_pack("{s:s,s:s}", "error", code, "message", msg));
}

/* ---- handlers ------------------------------------------------------------------------------ */

/* Stale status fails closed: past the bundle's maximum age, verification answers 503 with
 * status_stale and when the status was last updated, unless --stale-ok. Returns true (and has
 * answered) when the request must not be verified; sets o->max_age for the note otherwise. */
static bool refuse_stale(struct tc_server *s, struct MHD_Connection *c, struct req *r,
                         const struct held *h, struct tc_verify_opts *o, enum MHD_Result *ret)
{
    o->max_age = max_age_of(s, h->b);
    if (s->cfg.stale_ok || !stale(s, h->b, (time_t)o->now))
        return false;
    char when[ISO_UTC_LEN];
    iso_utc(when, (time_t)h->b->issued_at);
    s->stale_refusals++;
    *ret = send_json(c, r, 503,
                     json_pack("{s:s,s:s,s:s,s:I}", "error", "status_stale", "message",
                               "the service's status information is out of date; it cannot verify "
                               "until it is updated",
                               "status_updated_at", when, "bundle_version",
                               (json_int_t)h->b->version));
    return true;
}

/* What a verification record needs besides the verdict: when it was made, who runs the
 * service (the profile's operator), and how current the status information is. */
static void add_record(json_t *out, const struct tc_bundle *b)
{
    char when[ISO_UTC_LEN], updated[ISO_UTC_LEN];
    iso_utc(when, time(NULL));
    iso_utc(updated, (time_t)b->issued_at);
    json_object_set_new(out, "checked_at", json_string(when));
    json_object_set_new(out, "status_updated_at", json_string(updated));
    if (b->profile.operator_zh[0])
        json_object_set_new(out, "operator", json_pack("{s:s,s:s}", "zh", b->profile.operator_zh,
                                                       "en", b->profile.operator_en));
}

static void count_verdict(struct tc_server *s, struct req *r, const struct tc_verdict *v)
{
    s->by_verdict[v->kind]++;
    r->verdict = tc_verdict_name(v->kind);
    /* an invalid certificate's number is whatever its author wrote: not logged */
    r->cert_id = v->decoded && v->kind != TC_VERDICT_INVALID ? v->cert.claims.id : 0;
}

static enum MHD_Result verify_json(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    struct tc_verify_request q;
    const char *code, *msg;
    if (tc_verify_request_parse(r->body, r->len, &q, &code, &msg) != TC_OK)
        return send_error(c, r, strcmp(code, "too_large") == 0 ? 413 : 400, code, msg);
    struct tc_verify_opts o = {q.unit[0] ? q.unit : NULL,
                               q.has_at ? q.at : tc_beijing_day((uint64_t)time(NULL)),
                               (uint64_t)time(NULL), s->cfg.max_age};
    struct held *h = take(s);
    enum MHD_Result ret;
    if (refuse_stale(s, c, r, h, &o, &ret)) {
        release(s, h);
        return ret;
    }
    if (o.unit && (code = tc_unit_code_check(h->b, o.unit, &msg)) != NULL) {
        release(s, h);
        return send_error(c, r, 400, code, msg);
    }
    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_verdict v;
    tc_verify_text_with_bundle(h->b, q.payload, strlen(q.payload), buf, &o, &v);
    json_t *out = tc_verdict_to_json(&v);
    json_object_set_new(out, "bundle_version", json_integer((json_int_t)h->b->version));
    json_object_set_new(out, "province", json_string(h->b->profile.name));
    add_record(out, h->b);
    count_verdict(s, r, &v);
    release(s, h);
    return send_json(c, r, 200, out);
}

/* The image path answers in two steps: the upload is complete, the query is checked and the
 * image is queued for the decoding pool while the connection is suspended (503 busy when the
 * pool's queue is full); the pool's worker resumes it, and the second step verifies what it
 * found. Verify, health and page requests never wait behind an image. */
static void image_done(struct tc_image_job *j)
{
    struct req *r = j->owner;
    r->image_state = IMAGE_DONE;
    MHD_resume_connection(r->conn);
}

static enum MHD_Result verify_image(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    const char *code, *msg;
    struct tc_verify_opts *o = &r->opts;
    if (r->image_state == IMAGE_NONE) {
        /* the query is checked as the JSON body is, before the image is looked at */
        const char *unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
        const char *at = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "at");
        *o = (struct tc_verify_opts){NULL, tc_beijing_day((uint64_t)time(NULL)), 0, s->cfg.max_age};
        if (unit && *unit) {
            if ((code = tc_unit_normalise(unit, r->uscc, &msg)) != NULL)
                return send_error(c, r, 400, code, msg);
            o->unit = r->uscc;
        }
        if (at && *at && (code = tc_day_input(at, &o->at, &msg)) != NULL)
            return send_error(c, r, 400, code, msg);
        r->job.data = (const uint8_t *)r->body, r->job.len = r->len;
        r->job.done = image_done, r->job.owner = r;
        r->conn = c;
        if (tc_image_pool_submit(s->images, &r->job) != TC_OK) {
            s->images_busy++;
            return send_error(c, r, 503, "busy", "image checks are busy: try again shortly");
        }
        r->image_state = IMAGE_QUEUED;
        MHD_suspend_connection(c);
        return MHD_YES;
    }
    o->now = (uint64_t)time(NULL); /* staleness as of the answer */
    char *text = r->job.text;
    r->job.text = NULL;
    enum tc_err e = r->job.err;
    if (e == TC_ERR_TYPE)
        return send_error(c, r, 415, "unsupported_image", "send a PNG or JPEG image");
    if (e == TC_ERR_SIZE_LIMIT)
        return send_error(c, r, 413, "too_large",
                          "the image is too large (at most 16 megapixels, 8 MiB and 64 JPEG scans)");
    if (e == TC_ERR_TIMEOUT) {
        s->images_timeout++;
        return send_error(c, r, 422, "image_too_slow", "the image took too long to read");
    }
    if (e == TC_ERR_BUSY)
        return send_error(c, r, 503, "busy", "image checks are busy: try again shortly");
    if (e == TC_ERR_NOT_FOUND)
        return send_error(c, r, 422, "no_qr_code", "no QR code found in the image");
    if (e != TC_OK)
        return send_error(c, r, 500, "internal", tc_strerror(e));
    struct held *h = take(s);
    enum MHD_Result ret;
    if (refuse_stale(s, c, r, h, o, &ret)) {
        release(s, h);
        free(text);
        return ret;
    }
    if (o->unit && (code = tc_unit_code_check(h->b, o->unit, &msg)) != NULL) {
        release(s, h);
        free(text);
        return send_error(c, r, 400, code, msg);
    }
    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_verdict v;
    tc_verify_text_with_bundle(h->b, text, strlen(text), buf, o, &v);
    json_t *out = tc_verdict_to_json(&v);
    json_object_set_new(out, "payload", json_string(text));
    json_object_set_new(out, "bundle_version", json_integer((json_int_t)h->b->version));
    json_object_set_new(out, "province", json_string(h->b->profile.name));
    add_record(out, h->b);
    count_verdict(s, r, &v);
    release(s, h);
    free(text);
    return send_json(c, r, 200, out);
}

static json_t *unit_json(const struct tc_bundle *b, const struct tc_bundle_unit *u, int32_t day)
{
    char div[8], from[11], to[11];
    snprintf(div, sizeof div, "%06u", u->division);
    tc_day_format(from, u->from);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "uscc", u->uscc, "name",
                          b->names + u->name_off, "division", div, "tier",
                          tc_tier_name_zh(u->tier), "basic_level",
                          day >= u->from && day <= u->to &&
                              tc_profile_unit_basic(&b->profile, u->division, u->tier, u->flag),
                          "valid_from", from);
    if (u->to != INT32_MAX) { /* INT32_MAX: still valid, no end date */
        tc_day_format(to, u->to);
        json_object_set_new(o, "valid_to", json_string(to));
    }
    return o;
}

static enum MHD_Result units(struct tc_server *s, struct MHD_Connection *c, struct req *r,
                             const char *rest)
{
    struct held *h = take(s);
    int32_t today = tc_beijing_day((uint64_t)time(NULL));
    enum MHD_Result ret;
    if (*rest) { /* /api/v1/units/{uscc} */
        char uscc[TC_USCC_LEN + 1];
        const char *code, *msg;
        const struct tc_bundle_unit *u = NULL;
        if ((code = tc_unit_normalise(rest, uscc, &msg)) == NULL &&
            (code = tc_unit_code_check(h->b, uscc, &msg)) == NULL &&
            !(u = tc_bundle_unit_at(h->b, uscc, today)))
            u = tc_bundle_unit_latest(h->b, uscc);
        ret = code ? send_error(c, r, 400, code, msg)
              : u  ? send_json(c, r, 200, unit_json(h->b, u, today))
                   : send_error(c, r, 404, "unit_unknown", "no such unit in the directory");
    } else { /* /api/v1/units?q=name: for the page's employer field */
        const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
        if (!q || strlen(q) < 2 || strlen(q) > 64 || !tc_text_safe((const uint8_t *)q, strlen(q))) {
            ret = send_error(c, r, 400, "bad_query", "q must be 2 to 64 bytes of text");
        } else {
            json_t *list = json_array();
            for (size_t i = 0; i < h->b->n_units && json_array_size(list) < 20; i++) {
                const struct tc_bundle_unit *u = &h->b->units[i];
                if (u->from <= today && today <= u->to &&
                    (strstr(h->b->names + u->name_off, q) || strncmp(u->uscc, q, strlen(q)) == 0))
                    json_array_append_new(list, unit_json(h->b, u, today));
            }
            ret = send_json(c, r, 200, json_pack("{s:o}", "units", list));
        }
    }
    release(s, h);
    return ret;
}

/* GET /api/v1/register/checkpoint: the signed checkpoint of the bundle in use (A3) */
static enum MHD_Result checkpoint(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    struct held *h = take(s);
    enum MHD_Result ret = respond(c, r, 200, "text/plain; charset=utf-8", h->b->note,
                                  h->b->note_len, false);
    release(s, h);
    return ret;
}

/* GET /api/v1/register/proof/{id}: the certificate's issue leaf and its inclusion proof in the
 * checkpoint in use, computed from the published tiles (--register) and checked before it is
 * served. Anyone can check it again with titlecert-register or any RFC 9162 implementation. */
static enum MHD_Result proof(struct tc_server *s, struct MHD_Connection *c, struct req *r,
                             const char *rest)
{
    char *end;
    errno = 0;
    unsigned long long id = strtoull(rest, &end, 10);
    if (!*rest || *end || errno || rest[0] == '-' || rest[0] == '+' || strlen(rest) > 19)
        return send_error(c, r, 400, "bad_id", "the id is a certificate number (digits)");
    struct held *h = take(s);
    const struct tc_bundle *b = h->b;
    const struct tc_bundle_registered *reg = tc_bundle_registered(b, id);
    enum MHD_Result ret;
    struct tc_tile_reader *tr = NULL;
    const uint8_t *leaf;
    size_t leaf_len, len = 0;
    struct tc_reg_leaf l;
    uint8_t lh[TC_REG_HASH], p[TC_REG_PROOF_MAX][TC_REG_HASH];
    if (!reg) {
        ret = send_error(c, r, 404, "not_registered", "no such certificate in the register");
    } else if (!s->cfg.register_dir) {
        ret = send_error(c, r, 503, "register_unavailable",
                         "this verifier serves no copy of the register's tiles (--register DIR)");
    } else if (tc_tile_reader_open(s->cfg.register_dir, b->checkpoint.size, &tr) != TC_OK ||
               tc_tile_reader_leaf(tr, reg->leaf, &leaf, &leaf_len) != TC_OK ||
               tc_reg_leaf_decode(leaf, leaf_len, &l) != TC_OK || l.kind != TC_REG_ISSUE ||
               l.id != id || memcmp(l.hash, reg->hash, TC_BUNDLE_INDEX_HASH) != 0) {
        ret = send_error(c, r, 503, "register_unavailable",
                         "the register's tiles here do not match the checkpoint in use");
    } else {
        struct tc_reg_source src = tc_tile_reader_source(tr);
        tc_reg_leaf_hash(lh, leaf, leaf_len);
        if (tc_reg_prove_inclusion(&src, reg->leaf, b->checkpoint.size, p, &len) != TC_OK ||
            !tc_reg_verify_inclusion(reg->leaf, b->checkpoint.size, lh,
                                     (const uint8_t(*)[TC_REG_HASH])p, len, b->checkpoint.root)) {
            ret = send_error(c, r, 503, "register_unavailable",
                             "the register's tiles here do not match the checkpoint in use");
        } else {
            char b64[TC_REG_LEAF_MAX * 2], hex[TC_REG_HASH * 2 + 1];
            json_t *arr = json_array();
            for (size_t i = 0; i < len; i++) {
                sodium_bin2base64(b64, sizeof b64, p[i], TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
                json_array_append_new(arr, json_string(b64));
            }
            sodium_bin2base64(b64, sizeof b64, leaf, leaf_len, sodium_base64_VARIANT_ORIGINAL);
            sodium_bin2hex(hex, sizeof hex, l.hash, TC_REG_HASH);
            ret = send_json(c, r, 200,
                            json_pack("{s:I,s:I,s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)id,
                                      "entry", (json_int_t)reg->leaf, "tree_size",
                                      (json_int_t)b->checkpoint.size, "leaf", b64,
                                      "certificate_sha256", hex, "proof", arr, "checkpoint", b->note));
        }
    }
    tc_tile_reader_close(tr);
    release(s, h);
    return ret;
}

static enum MHD_Result metrics(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    struct held *h = take(s);
    char *buf = malloc(16384);
    if (!buf) {
        release(s, h);
        return MHD_NO;
    }
    size_t n = 0;
#define P(...) n += (size_t)snprintf(buf + n, 16384 - n, __VA_ARGS__)
    P("# HELP titlecert_requests_total Verification requests by verdict.\n"
      "# TYPE titlecert_requests_total counter\n");
    for (int k = 0; k <= TC_VERDICT_INVALID; k++)
        P("titlecert_requests_total{verdict=\"%s\"} %lu\n", tc_verdict_name((enum tc_verdict_kind)k),
          (unsigned long)s->by_verdict[k]);
    P("# HELP titlecert_request_errors_total Requests answered with 4xx/5xx.\n"
      "# TYPE titlecert_request_errors_total counter\ntitlecert_request_errors_total %lu\n",
      (unsigned long)s->errors);
    P("# HELP titlecert_request_duration_seconds Time to answer verification requests.\n"
      "# TYPE titlecert_request_duration_seconds histogram\n");
    unsigned long cum = 0;
    for (int i = 0; i < N_BUCKETS; i++) {
        cum += s->hist[i];
        P("titlecert_request_duration_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum);
    }
    cum += s->hist[N_BUCKETS];
    P("titlecert_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    P("titlecert_request_duration_seconds_sum %.6f\ntitlecert_request_duration_seconds_count %lu\n",
      (double)s->hist_sum_us / 1e6, (unsigned long)s->hist_count);
    P("# HELP titlecert_bundle_version Version of the status bundle in use.\n"
      "# TYPE titlecert_bundle_version gauge\ntitlecert_bundle_version %llu\n",
      (unsigned long long)h->b->version);
    P("# HELP titlecert_bundle_age_seconds Seconds since the bundle in use was issued.\n"
      "# TYPE titlecert_bundle_age_seconds gauge\ntitlecert_bundle_age_seconds %lld\n",
      (long long)time(NULL) - (long long)h->b->issued_at);
    P("# HELP titlecert_bundle_reloads_total Bundle reloads by result.\n"
      "# TYPE titlecert_bundle_reloads_total counter\n"
      "titlecert_bundle_reloads_total{result=\"ok\"} %lu\n"
      "titlecert_bundle_reloads_total{result=\"refused\"} %lu\n",
      (unsigned long)s->reloads_ok, (unsigned long)s->reloads_refused);
    P("# HELP titlecert_bundle_rollbacks_refused_total Bundles refused as older than one accepted.\n"
      "# TYPE titlecert_bundle_rollbacks_refused_total counter\n"
      "titlecert_bundle_rollbacks_refused_total %lu\n", (unsigned long)s->refused_rollback);
    if (s->cfg.source_url)
        P("# HELP titlecert_source_polls_total Polls of the publication's head.\n"
          "# TYPE titlecert_source_polls_total counter\ntitlecert_source_polls_total %lu\n"
          "# HELP titlecert_source_unchanged_total Polls answered 304 Not Modified.\n"
          "# TYPE titlecert_source_unchanged_total counter\ntitlecert_source_unchanged_total %lu\n"
          "# HELP titlecert_source_fetches_total Bundles fetched from the publication.\n"
          "# TYPE titlecert_source_fetches_total counter\ntitlecert_source_fetches_total %lu\n"
          "# HELP titlecert_source_failures_total Failed polls or fetches (the bundle in use is kept).\n"
          "# TYPE titlecert_source_failures_total counter\ntitlecert_source_failures_total %lu\n"
          "# HELP titlecert_source_older_refused_total Heads offering an older bundle, refused.\n"
          "# TYPE titlecert_source_older_refused_total counter\ntitlecert_source_older_refused_total %lu\n"
          "# HELP titlecert_source_bytes_total Bytes fetched from the publication.\n"
          "# TYPE titlecert_source_bytes_total counter\ntitlecert_source_bytes_total %llu\n"
          "# HELP titlecert_source_deltas_total Bundles updated by a delta instead of a fetch.\n"
          "# TYPE titlecert_source_deltas_total counter\ntitlecert_source_deltas_total %lu\n",
          (unsigned long)s->source.polls, (unsigned long)s->source.unchanged,
          (unsigned long)s->source.fetched, (unsigned long)s->source.failures,
          (unsigned long)s->source.older, (unsigned long long)s->source.bytes,
          (unsigned long)s->source.deltas);
    P("# HELP titlecert_register_refused_total Bundles refused: register not consistent with the "
      "one accepted (rollback, split view, no proof).\n"
      "# TYPE titlecert_register_refused_total counter\ntitlecert_register_refused_total %lu\n"
      "# HELP titlecert_register_size Entries in the register checkpoint in use.\n"
      "# TYPE titlecert_register_size gauge\ntitlecert_register_size %llu\n",
      (unsigned long)s->refused_register, (unsigned long long)h->b->checkpoint.size);
    P("# HELP titlecert_bundle_stale 1 while the bundle is past its maximum age.\n"
      "# TYPE titlecert_bundle_stale gauge\ntitlecert_bundle_stale %d\n"
      "# HELP titlecert_stale_refusals_total Verifications refused (503) for stale status.\n"
      "# TYPE titlecert_stale_refusals_total counter\ntitlecert_stale_refusals_total %lu\n",
      stale(s, h->b, time(NULL)) ? 1 : 0, (unsigned long)s->stale_refusals);
#undef P
    release(s, h);
    enum MHD_Result ret = respond(c, r, 200, "text/plain; version=0.0.4", buf, n, false);
    free(buf);
    return ret;
}

static enum MHD_Result healthz(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    struct held *h = take(s);
    time_t now = time(NULL);
    long long age = (long long)now - (long long)h->b->issued_at;
    bool old = stale(s, h->b, now);
    json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:s,s:I,s:I}", "status", old ? "stale" : "ok",
                          "bundle_version", (json_int_t)h->b->version, "bundle_age_seconds",
                          (json_int_t)age, "max_age_seconds", (json_int_t)max_age_of(s, h->b),
                          "province", h->b->profile.code, "units",
                          (json_int_t)h->b->n_units, "revoked", (json_int_t)h->b->n_revoked);
    release(s, h);
    return send_json(c, r, old ? 503 : 200, j);
}

static enum MHD_Result page(struct tc_server *s, struct MHD_Connection *c, struct req *r,
                            const char *url)
{
    if (!strcmp(url, "/") || !strcmp(url, "/v") || !strcmp(url, "/V") || !strcmp(url, "/index.html"))
        return respond(c, r, 200, "text/html; charset=utf-8", s->web_index, s->web_index_len, true);
    if (!strcmp(url, "/app.js"))
        return respond(c, r, 200, "text/javascript; charset=utf-8", s->web_js, s->web_js_len, true);
    if (!strcmp(url, "/style.css"))
        return respond(c, r, 200, "text/css; charset=utf-8", s->web_css, s->web_css_len, true);
    return send_error(c, r, 404, "not_found", "no such page");
}

/* The client's address: the peer's, or for connections from the trusted proxy the address it
 * passes on (X-Real-IP, else the last X-Forwarded-For entry), when that is an address. */
static void client_address(const struct tc_server *s, struct MHD_Connection *c,
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
    if (!s->cfg.trusted_proxy || strcmp(out, s->cfg.trusted_proxy) != 0)
        return;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    if (!h) {
        const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
        const char *last = x ? strrchr(x, ',') : NULL;
        h = last ? last + 1 : x;
    }
    if (!h)
        return;
    while (*h == ' ')
        h++;
    char cand[INET6_ADDRSTRLEN];
    size_t n = strcspn(h, " ,");
    unsigned char bin[sizeof(struct in6_addr)];
    if (n == 0 || n >= sizeof cand)
        return;
    memcpy(cand, h, n);
    cand[n] = '\0';
    if (inet_pton(AF_INET, cand, bin) == 1 || inet_pton(AF_INET6, cand, bin) == 1)
        memcpy(out, cand, n + 1);
}

static int addr_slot(const char *addr)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *addr; addr++)
        h = (h ^ (uint8_t)*addr) * 16777619u;
    return (int)(h % ADDR_SLOTS);
}

/* Image bodies are held in memory until decoded: they count against a budget. */
static bool reserve_image(struct tc_server *s, struct req *r, size_t total)
{
    if (total <= r->reserved)
        return true;
    size_t more = total - r->reserved;
    unsigned long long was = atomic_fetch_add(&s->image_bytes, more);
    if (was + more > s->cfg.image_memory) {
        atomic_fetch_sub(&s->image_bytes, more);
        return false;
    }
    r->reserved = total;
    return true;
}

/* The checks made on the headers, before any body is read; a refusal is answered at once and the
 * connection closed (MHD does not read a body it was not asked for). */
static enum MHD_Result first_call(struct tc_server *s, struct MHD_Connection *c, struct req *r)
{
    char addr[INET6_ADDRSTRLEN];
    client_address(s, c, addr);
    r->slot = addr_slot(addr);
    if (atomic_fetch_add(&s->per_addr[r->slot], 1) + 1 > (unsigned)s->cfg.per_ip_limit) {
        s->too_many++;
        return send_error(c, r, 429, "too_many_requests",
                          "too many requests in progress from this address");
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > r->limit)
        return send_error(c, r, 413, "too_large", "the request body is too large");
    if (r->limit == TC_IMAGE_MAX_BYTES && !reserve_image(s, r, (size_t)declared)) {
        s->images_busy++;
        return send_error(c, r, 503, "busy", "image checks are busy: try again shortly");
    }
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    struct tc_server *s = cls;
    struct req *r = *state;
    if (!r) { /* first call: headers only */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        r->route = route_of(url);
        r->slot = -1;
        r->method = !strcmp(method, "GET") || !strcmp(method, "HEAD") ? METHOD_GET
                    : !strcmp(method, "POST")                          ? METHOD_POST
                                                                       : 0;
        r->limit = !strcmp(url, "/api/v1/verify-image") ? TC_IMAGE_MAX_BYTES : TC_VERIFY_BODY_MAX;
        *state = r;
        return first_call(s, c, r);
    }
    if (r->status) /* answered on the headers: nothing more is read */
        return MHD_YES;
    if (*upload_size) { /* body, bounded */
        if (r->len + *upload_size > r->limit ||
            (r->limit == TC_IMAGE_MAX_BYTES && !reserve_image(s, r, r->len + *upload_size))) {
            /* a body without Content-Length that grows past its limit: the connection is closed */
            r->too_big = true;
            return MHD_NO;
        } else {
            if (r->len + *upload_size > r->cap) {
                size_t cap = r->cap ? r->cap : 4096;
                while (cap < r->len + *upload_size)
                    cap *= 2;
                char *grown = realloc(r->body, cap);
                if (!grown)
                    return MHD_NO;
                r->body = grown, r->cap = cap;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* the upload is complete: answer */
    if (r->too_big)
        return send_error(c, r, 413, "too_large", "the request body is too large");
    bool api = strncmp(url, "/api/", 5) == 0;
    if (!strcmp(url, "/api/v1/verify") || !strcmp(url, "/api/v1/verify-image")) {
        if (r->method != METHOD_POST)
            return send_error(c, r, 405, "method_not_allowed", "use POST");
        return url[14] == '\0' ? verify_json(s, c, r) : verify_image(s, c, r);
    }
    if (r->method != METHOD_GET)
        return send_error(c, r, 405, "method_not_allowed", "use GET");
    if (!strncmp(url, "/api/v1/units", 13) && (url[13] == '\0' || url[13] == '/'))
        return units(s, c, r, url[13] ? url + 14 : "");
    if (!strcmp(url, "/api/v1/register/checkpoint"))
        return checkpoint(s, c, r);
    if (!strncmp(url, "/api/v1/register/proof/", 23))
        return proof(s, c, r, url + 23);
    if (!strcmp(url, "/healthz"))
        return healthz(s, c, r);
    if (!strcmp(url, "/metrics"))
        return metrics(s, c, r);
    if (api)
        return send_error(c, r, 404, "not_found", "no such API path");
    return page(s, c, r, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why)
{
    (void)c;
    struct tc_server *s = cls;
    struct req *r = *state;
    if (!r)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double secs = (double)(end.tv_sec - r->start.tv_sec) + (double)(end.tv_nsec - r->start.tv_nsec) / 1e9;
    if (r->verdict) {
        int i = 0;
        while (i < N_BUCKETS && secs > buckets[i])
            i++;
        s->hist[i]++;
        s->hist_count++;
        s->hist_sum_us += (unsigned long long)(secs * 1e6);
    }
    if (r->status >= 400 || why != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        s->errors++;
    if (s->cfg.access_log) {
        char when[ISO_UTC_LEN];
        iso_utc(when, time(NULL));
        /* the route, the status, the verdict and the certificate id: all of them the server's
         * own words and numbers; no path, payload, unit or address */
        logf_(s, true, "%s %s %u %s %llu %.2fms\n", when, r->route, r->status,
              r->verdict ? r->verdict : "-", (unsigned long long)r->cert_id, secs * 1e3);
    }
    if (r->reserved)
        atomic_fetch_sub(&s->image_bytes, r->reserved);
    if (r->slot >= 0)
        atomic_fetch_sub(&s->per_addr[r->slot], 1);
    free(r->job.text);
    free(r->body);
    free(r);
    *state = NULL;
}

static char *read_web(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    uint8_t *buf = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tc_file_read(path, 1u << 20, &buf, len) != TC_OK)
        return NULL;
    return (char *)buf;
}

enum tc_err tc_server_start(struct tc_server **out, const struct tc_server_config *cfg,
                            const char **why)
{
    *out = NULL;
    *why = NULL;
    struct tc_server *s = calloc(1, sizeof *s);
    if (!s)
        return TC_ERR_NOMEM;
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->log_lock, NULL);
    s->log = cfg->access_log ? cfg->access_log : stderr;
    if (cfg->access_log)
        setvbuf(s->log, NULL, _IOFBF, 64 << 10);
    memcpy(s->root_pk, cfg->root_pk, TC_PK_BYTES);
    enum tc_err e;
    struct tc_bundle *b = NULL;
    if ((e = load(s, &b, &s->seen)) != TC_OK) {
        *why = "the status bundle";
        goto fail;
    }
    static __thread char state_why[512];
    int err = 0;
    const char *no = NULL;
    if ((e = tc_state_load(cfg->state_dir, b->tl->root_kid, b->profile.code, &s->st, &err)) != TC_OK) {
        snprintf(state_why, sizeof state_why, "the state in %s (%s)", cfg->state_dir,
                 e == TC_ERR_IO ? strerror(err) : "not a titlecert-verifier state file");
        *why = state_why;
    } else if ((no = accept_state(s, b)) != NULL) {
        snprintf(state_why, sizeof state_why, "%s (state in %s)", no, cfg->state_dir);
        *why = state_why;
        e = TC_ERR_TRUST_LIST;
    }
    if (e != TC_OK) {
        tc_bundle_free(b);
        goto fail;
    }
    s->cur = calloc(1, sizeof *s->cur);
    if (!s->cur) {
        tc_bundle_free(b);
        e = TC_ERR_NOMEM;
        goto fail;
    }
    s->cur->b = b, s->cur->refs = 1, s->cur->loaded = time(NULL);
    s->web_index = read_web(cfg->web_dir, "index.html", &s->web_index_len);
    s->web_js = read_web(cfg->web_dir, "app.js", &s->web_js_len);
    s->web_css = read_web(cfg->web_dir, "style.css", &s->web_css_len);
    if (!s->web_index || !s->web_js || !s->web_css) {
        *why = "the web page files (index.html, app.js, style.css)";
        e = TC_ERR_NOT_FOUND;
        goto fail;
    }
    /* defaults for what the caller left unset */
    if (!s->cfg.connection_limit)
        s->cfg.connection_limit = 1024;
    if (!s->cfg.per_ip_limit)
        s->cfg.per_ip_limit = 64;
    if (!s->cfg.image_threads)
        s->cfg.image_threads = 2;
    if (!s->cfg.image_queue)
        s->cfg.image_queue = 8;
    if (!s->cfg.image_memory)
        s->cfg.image_memory = 64u << 20;
    if (!s->cfg.image_timeout_ms)
        s->cfg.image_timeout_ms = 2000;
    if ((e = tc_image_pool_start(&s->images, (size_t)s->cfg.image_threads, (size_t)s->cfg.image_queue,
                                 (uint64_t)s->cfg.image_timeout_ms * 1000000u)) != TC_OK) {
        *why = "the image decoding threads";
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    s->d = MHD_start_daemon(
        flags, cfg->addr.sin_port ? ntohs(cfg->addr.sin_port) : 8080, NULL, NULL, handle, s,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cfg->threads ? cfg->threads : 2), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->cfg.connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        /* behind the trusted proxy every connection is the proxy's: count per client instead */
        (unsigned)(s->cfg.trusted_proxy ? 0 : s->cfg.per_ip_limit), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(cfg->timeout ? cfg->timeout : 15), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64u << 10), MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    if (!s->d) {
        *why = "the listening socket (address in use?)";
        e = TC_ERR_IO;
        goto fail;
    }
    *out = s;
    return TC_OK;
fail:
    tc_server_stop(s);
    return e;
}

void tc_server_flush_log(struct tc_server *s)
{
    pthread_mutex_lock(&s->log_lock);
    fflush(s->log);
    pthread_mutex_unlock(&s->log_lock);
}

uint64_t tc_server_bundle_version(struct tc_server *s)
{
    struct held *h = take(s);
    uint64_t v = h->b->version;
    release(s, h);
    return v;
}

void tc_server_stop(struct tc_server *s)
{
    if (!s)
        return;
    /* the pool first: it resumes every connection it suspended, which MHD needs before it stops */
    tc_image_pool_stop(s->images);
    if (s->d)
        MHD_stop_daemon(s->d);
    if (s->log)
        fflush(s->log);
    if (s->cur)
        release(s, s->cur);
    free(s->web_index);
    free(s->web_js);
    free(s->web_css);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->log_lock);
    free(s);
}
