/*
 * server.c - the verifier's HTTP service on the shared HTTP layer (http/http.h).
 *
 * Handlers are thin adapters: the layer has checked the method, bounded the body and counted the
 * client; a handler takes the bundle in use (lifecycle.c), calls the engine and maps the verdict
 * to a status and JSON. Uploaded images are decoded in their own pool (imagepool.c) while their
 * connection is suspended, so that verify, health and page requests never wait behind one.
 *
 * A bundle file is reloaded from the layer's signal loop (on SIGHUP and when the file changes). A
 * publication is followed (source.c) on a thread of its own, which installs what it fetches: a
 * slow or hostile source then never holds the signal loop, which keeps flushing the access log
 * and stops the service at once on SIGTERM (the transfer in progress is aborted and the thread
 * joined).
 *
 * Nothing here can read a secret key; access-log lines name the certificate id, never a person.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "jsonw.h"
#include "service.h"
#include "unitsearch.h"

/* The metrics, in the order /metrics shows them. Their names and labels are an interface
 * (dashboards and alerts read them): change none. */
enum {
    M_REQUESTS, M_ERRORS, M_DURATION, M_VERSION, M_AGE, M_RELOADS, M_ROLLBACKS,
    M_POLLS, M_UNCHANGED, M_FETCHES, M_FAILURES, M_OLDER, M_BYTES, M_DELTAS, /* --source only */
    M_REG_REFUSED, M_REG_SIZE, M_STALE, M_STALE_REFUSALS, M_WIT_REFUSED, M_COUNT
};
enum { COUNTER, GAUGE, HISTOGRAM };
static const char *const verdict_names[] = {"valid", "not_valid_here", "superseded", "revoked",
                                            "invalid"};
static const char *const reload_results[] = {"ok", "refused"};
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
static const struct {
    int kind;
    const char *name, *help, *label;
    const char *const *values;
    size_t n;
} metric_rows[M_COUNT] = {
#define ONE(kind, name, help) {kind, name, help, NULL, NULL, 0}
    [M_REQUESTS] = {COUNTER, "titlecert_requests_total", "Verification requests by verdict.",
                    "verdict", verdict_names, 5},
    [M_ERRORS] = ONE(COUNTER, "titlecert_request_errors_total", "Requests answered with 4xx/5xx."),
    [M_DURATION] = ONE(HISTOGRAM, "titlecert_request_duration_seconds",
                       "Time to answer verification requests."),
    [M_VERSION] = ONE(GAUGE, "titlecert_bundle_version", "Version of the status bundle in use."),
    [M_AGE] = ONE(GAUGE, "titlecert_bundle_age_seconds",
                  "Seconds since the bundle in use was issued."),
    [M_RELOADS] = {COUNTER, "titlecert_bundle_reloads_total", "Bundle reloads by result.", "result",
                   reload_results, 2},
    [M_ROLLBACKS] = ONE(COUNTER, "titlecert_bundle_rollbacks_refused_total",
                        "Bundles refused as older than one accepted."),
    [M_POLLS] = ONE(COUNTER, "titlecert_source_polls_total", "Polls of the publication's head."),
    [M_UNCHANGED] = ONE(COUNTER, "titlecert_source_unchanged_total",
                        "Polls answered 304 Not Modified."),
    [M_FETCHES] = ONE(COUNTER, "titlecert_source_fetches_total",
                      "Bundles fetched from the publication."),
    [M_FAILURES] = ONE(COUNTER, "titlecert_source_failures_total",
                       "Failed polls or fetches (the bundle in use is kept)."),
    [M_OLDER] = ONE(COUNTER, "titlecert_source_older_refused_total",
                    "Heads offering an older bundle, refused."),
    [M_BYTES] = ONE(COUNTER, "titlecert_source_bytes_total", "Bytes fetched from the publication."),
    [M_DELTAS] = ONE(COUNTER, "titlecert_source_deltas_total",
                     "Bundles updated by a delta instead of a fetch."),
    [M_REG_REFUSED] = ONE(COUNTER, "titlecert_register_refused_total",
                          "Bundles refused: register not consistent with the one accepted "
                          "(rollback, split view, no proof)."),
    [M_REG_SIZE] = ONE(GAUGE, "titlecert_register_size",
                       "Entries in the register checkpoint in use."),
    [M_STALE] = ONE(GAUGE, "titlecert_bundle_stale", "1 while the bundle is past its maximum age."),
    [M_STALE_REFUSALS] = ONE(COUNTER, "titlecert_stale_refusals_total",
                             "Verifications refused (503) for stale status."),
    [M_WIT_REFUSED] = ONE(COUNTER, "titlecert_witness_refused_total",
                          "Bundles refused: their register checkpoint lacks the quorum of valid "
                          "co-signatures from the configured witnesses."),
#undef ONE
};

/* The page, read once at start and served by the HTTP layer (the page itself first) */
static const char *const web_files[] = {"index.html", "app.js", "style.css"};
#define WEB_COUNT (sizeof web_files / sizeof web_files[0])

#define PAGE_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "        \
    "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "            \
    "frame-ancestors 'none'"
#define IMAGES_BUSY "image checks are busy: try again shortly"
/* a verdict reply is about 1.5 KB: on the stack, the heap past it, never past the cap */
#define VERDICT_REPLY_STACK 4096
#define VERDICT_REPLY_MAX (64u << 10)

struct tc_service {
    struct tc_service_config cfg;
    struct tc_lifecycle *bundles;
    struct tc_source *source;
    struct tc_image_pool *images;
    struct tc_metrics *metrics;
    struct tc_metric *m[M_COUNT];
    struct tc_http *http;
    struct tc_http_pages *page;
    /* the thread following the publication: woken to poll now (SIGHUP) or to stop */
    pthread_t poller;
    bool polling;
    pthread_mutex_t poll_lock;
    pthread_cond_t poll_cond;
    bool poll_now, poll_stop;
};

/* "2026-12-01T09:30:00Z": the one time format of the API and the access log */
#define ISO_UTC_LEN 21
static void iso_utc(char out[ISO_UTC_LEN], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, ISO_UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The bundle's freshness bound: --max-age, else its profile's. */
static uint64_t max_age_of(const struct tc_service *s, const struct tc_bundle *b)
{
    return s->cfg.max_age ? s->cfg.max_age : b->profile.status_max_age;
}

static bool stale(const struct tc_service *s, const struct tc_bundle *b, time_t now)
{
    return (uint64_t)now > b->issued_at + max_age_of(s, b);
}

/* ---- verification -------------------------------------------------------------------------- */

/* Stale status fails closed: past the bundle's maximum age, verification answers 503 with
 * status_stale and when the status was last updated, unless --stale-ok. Returns true (and has
 * answered) when the request must not be verified; sets o->max_age for the note otherwise. */
static bool refuse_stale(struct tc_service *s, struct tc_http_req *r, const struct tc_bundle *b,
                         struct tc_verify_opts *o)
{
    o->max_age = max_age_of(s, b);
    if (s->cfg.stale_ok || !stale(s, b, (time_t)o->now))
        return false;
    char when[ISO_UTC_LEN];
    iso_utc(when, (time_t)b->issued_at);
    tc_metric_add(s->m[M_STALE_REFUSALS], 0, 1);
    tc_http_reply_json(r, 503,
                       json_pack("{s:s,s:s,s:s,s:I}", "error", "status_stale", "message",
                                 "the service's status information is out of date; it cannot "
                                 "verify until it is updated",
                                 "status_updated_at", when, "bundle_version",
                                 (json_int_t)b->version));
    return true;
}

/* What a verification record needs besides the verdict: when it was made, who runs the
 * service (the profile's operator) and how to reach it, and how current the status
 * information is. As members of the reply object w has open. */
static void write_record(struct tc_jsonw *w, const struct tc_bundle *b)
{
    char when[ISO_UTC_LEN], updated[ISO_UTC_LEN];
    iso_utc(when, time(NULL));
    iso_utc(updated, (time_t)b->issued_at);
    tc_jsonw_kstring(w, "checked_at", when);
    tc_jsonw_kstring(w, "status_updated_at", updated);
    const struct tc_profile *p = &b->profile;
    if (p->operator_zh[0]) {
        tc_jsonw_kobject(w, "operator");
        tc_jsonw_kstring(w, "zh", p->operator_zh);
        tc_jsonw_kstring(w, "en", p->operator_en);
        tc_jsonw_end(w);
    }
    if (p->contact_zh[0]) {
        tc_jsonw_kobject(w, "contact");
        tc_jsonw_kstring(w, "zh", p->contact_zh);
        tc_jsonw_kstring(w, "en", p->contact_en);
        tc_jsonw_end(w);
    }
}

/* The verdict reply as a jansson tree, dumped: what the reply was before it was written
 * straight into a buffer, kept as the reference the writer is checked against. */
static char *reply_by_tree(const struct tc_verdict *v, const struct tc_bundle *b,
                           const char *echo, const char *checked_at, size_t *len)
{
    char updated[ISO_UTC_LEN];
    iso_utc(updated, (time_t)b->issued_at);
    json_t *out = tc_verdict_to_json(v);
    if (echo)
        json_object_set_new(out, "payload", json_string(echo));
    json_object_set_new(out, "bundle_version", json_integer((json_int_t)b->version));
    json_object_set_new(out, "province", json_string(b->profile.name));
    json_object_set_new(out, "checked_at", json_string(checked_at));
    json_object_set_new(out, "status_updated_at", json_string(updated));
    const struct tc_profile *p = &b->profile;
    if (p->operator_zh[0])
        json_object_set_new(out, "operator",
                            json_pack("{s:s,s:s}", "zh", p->operator_zh, "en", p->operator_en));
    if (p->contact_zh[0])
        json_object_set_new(out, "contact",
                            json_pack("{s:s,s:s}", "zh", p->contact_zh, "en", p->contact_en));
    char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    *len = text ? strlen(text) : 0;
    return text;
}

/* TITLECERT_CHECK_JSON set (the tests set it): every verdict reply is compared with the tree's
 * dump, and a difference is answered 500 and logged instead of sent. */
static bool check_json(void)
{
    static atomic_int on = -1;
    int v = atomic_load(&on);
    if (v < 0) {
        const char *e = getenv("TITLECERT_CHECK_JSON");
        atomic_store(&on, v = e && *e && strcmp(e, "0") != 0);
    }
    return v;
}

static bool same_as_tree(struct tc_service *s, const struct tc_verdict *v,
                         const struct tc_bundle *b, const char *echo, const char *reply,
                         size_t len)
{
    /* checked_at is the one member the two writings may differ in (the second may turn) */
    const char *at = strstr(reply, "\"checked_at\":\"");
    char when[ISO_UTC_LEN] = "";
    if (at)
        snprintf(when, sizeof when, "%.20s", at + 14);
    size_t n;
    char *ref = reply_by_tree(v, b, echo, when, &n);
    bool same = ref && n == len && memcmp(ref, reply, len) == 0;
    if (!same)
        tc_http_say(s->cfg.log, s->cfg.log_ctx, "verdict JSON differs from the tree's:\n  "
                       "writer %.*s\n  tree   %s", (int)len, reply, ref ? ref : "(none)");
    free(ref);
    return same;
}

/* The reply to a verification, written into a buffer: the verdict's members, the text read from
 * an image (echo, or NULL), the bundle and the record. */
static void reply_verdict(struct tc_service *s, struct tc_http_req *r, const struct tc_verdict *v,
                          const struct tc_bundle *b, const char *echo)
{
    char local[VERDICT_REPLY_STACK];
    struct tc_jsonw w;
    const char *out;
    size_t len;
    tc_jsonw_init(&w, local, sizeof local, VERDICT_REPLY_MAX);
    tc_jsonw_object(&w);
    tc_verdict_write_json(&w, v);
    if (echo)
        tc_jsonw_kstring(&w, "payload", echo);
    tc_jsonw_kint(&w, "bundle_version", (long long)b->version);
    tc_jsonw_kstring(&w, "province", b->profile.name);
    write_record(&w, b);
    tc_jsonw_end(&w);
    enum tc_err e = tc_jsonw_finish(&w, &out, &len);
    if (e != TC_OK)
        tc_http_reply_error(r, 500, "internal", tc_strerror(e));
    else if (check_json() && !same_as_tree(s, v, b, echo, out, len))
        tc_http_reply_error(r, 500, "internal", "the verdict reply differs from its reference");
    else
        tc_http_reply(r, 200, "application/json; charset=utf-8", out, len);
    tc_jsonw_free(&w);
}

/* Verifies text (a payload or link) with the bundle in use and answers with the verdict; echo:
 * the answer repeats the text (it was read from an image). */
static void answer_verdict(struct tc_service *s, struct tc_http_req *r, struct tc_verify_opts *o,
                           const char *text, bool echo)
{
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    const char *code, *msg;
    if (refuse_stale(s, r, b, o)) {
        /* answered */
    } else if (o->unit && (code = tc_unit_code_check(b, o->unit, &msg)) != NULL) {
        tc_http_reply_error(r, 400, code, msg);
    } else {
        uint8_t buf[TC_CERT_MAX_BYTES];
        struct tc_verdict v;
        tc_verify_text_with_bundle(b, text, strlen(text), buf, o, &v);
        tc_metric_add(s->m[M_REQUESTS], v.kind, 1);
        /* an invalid certificate's number is whatever its author wrote: not logged */
        tc_http_log_note(r, tc_verdict_name(v.kind),
                         v.decoded && v.kind != TC_VERDICT_INVALID ? v.cert.claims.id : 0);
        tc_http_time(r, s->m[M_DURATION]);
        reply_verdict(s, r, &v, b, echo ? text : NULL);
    }
    tc_lifecycle_release(s->bundles, h);
}

/* POST /api/v1/verify */
static void verify_json(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_verify_request q;
    const char *code, *msg;
    size_t len;
    const char *body = tc_http_body(r, &len);
    if (tc_verify_request_parse(body, len, &q, &code, &msg) != TC_OK) {
        tc_http_reply_error(r, strcmp(code, "too_large") == 0 ? 413 : 400, code, msg);
        return;
    }
    uint64_t now = (uint64_t)time(NULL);
    struct tc_verify_opts o = {q.unit[0] ? q.unit : NULL, q.has_at ? q.at : tc_beijing_day(now),
                               now, s->cfg.max_age};
    answer_verdict(s, r, &o, q.payload, false);
}

/* POST /api/v1/verify-image answers in two steps: the upload is complete, the query is checked
 * and the image is queued for the decoding pool while the connection is suspended (503 busy when
 * the pool's queue is full); the pool's worker resumes it, and the second step verifies what it
 * found. */
struct image_req {
    bool queued;
    struct tc_image_job job;
    struct tc_http_req *r;
    struct tc_verify_opts opts; /* the query, checked before the image was queued */
    char uscc[TC_USCC_LEN + 1];
};

static void image_cleanup(void *state)
{
    free(((struct image_req *)state)->job.text);
}

static void image_done(struct tc_image_job *j)
{
    tc_http_resume(((struct image_req *)j->owner)->r);
}

static void image_queue(struct tc_service *s, struct tc_http_req *r, struct image_req *q)
{
    const char *code, *msg;
    /* the query is checked as the JSON body is, before the image is looked at */
    const char *unit = tc_http_query(r, "unit"), *at = tc_http_query(r, "at");
    q->opts = (struct tc_verify_opts){NULL, tc_beijing_day((uint64_t)time(NULL)), 0,
                                      s->cfg.max_age};
    if (unit && *unit) {
        if ((code = tc_unit_normalise(unit, q->uscc, &msg)) != NULL) {
            tc_http_reply_error(r, 400, code, msg);
            return;
        }
        q->opts.unit = q->uscc;
    }
    if (at && *at && (code = tc_day_input(at, &q->opts.at, &msg)) != NULL) {
        tc_http_reply_error(r, 400, code, msg);
        return;
    }
    size_t len;
    q->job.data = (const uint8_t *)tc_http_body(r, &len);
    q->job.len = len;
    q->job.done = image_done, q->job.owner = q, q->r = r;
    q->queued = true;
    if (tc_image_pool_submit(s->images, &q->job) != TC_OK) {
        q->queued = false;
        tc_http_add_header(r, "Retry-After", TC_HTTP_RETRY_AFTER);
        tc_http_reply_error(r, 503, "busy", IMAGES_BUSY);
        return;
    }
    tc_http_suspend(r);
}

/* What a decoding failure is answered with */
static const struct {
    enum tc_err e;
    unsigned status;
    const char *code, *msg;
} image_errors[] = {
    {TC_ERR_TYPE, 415, "unsupported_image", "send a PNG or JPEG image"},
    {TC_ERR_SIZE_LIMIT, 413, "too_large",
     "the image is too large (at most 16 megapixels, 8 MiB and 64 JPEG scans)"},
    {TC_ERR_TIMEOUT, 422, "image_too_slow", "the image took too long to read"},
    {TC_ERR_BUSY, 503, "busy", IMAGES_BUSY},
    {TC_ERR_NOT_FOUND, 422, "no_qr_code", "no QR code found in the image"},
};

static void verify_image(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct image_req *q = tc_http_state(r, sizeof *q, image_cleanup);
    if (!q)
        return;
    if (!q->queued) {
        image_queue(s, r, q);
        return;
    }
    q->opts.now = (uint64_t)time(NULL); /* staleness as of the answer */
    enum tc_err e = q->job.err;
    for (size_t i = 0; i < sizeof image_errors / sizeof image_errors[0]; i++)
        if (e == image_errors[i].e) {
            if (e == TC_ERR_BUSY) /* the pool stopping: another replica, or this one shortly */
                tc_http_add_header(r, "Retry-After", TC_HTTP_RETRY_AFTER);
            tc_http_reply_error(r, image_errors[i].status, image_errors[i].code,
                                image_errors[i].msg);
            return;
        }
    if (e != TC_OK)
        tc_http_reply_error(r, 500, "internal", tc_strerror(e));
    else
        answer_verdict(s, r, &q->opts, q->job.text, true);
}

/* ---- the unit directory and the register --------------------------------------------------- */

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

/* GET /api/v1/units/{uscc}: a unit, on today's entry or its latest */
static void unit_one(struct tc_http_req *r, const struct tc_bundle *b, const char *rest,
                     int32_t today)
{
    char uscc[TC_USCC_LEN + 1];
    const char *code, *msg;
    const struct tc_bundle_unit *u = NULL;
    if ((code = tc_unit_normalise(rest, uscc, &msg)) == NULL &&
        (code = tc_unit_code_check(b, uscc, &msg)) == NULL &&
        !(u = tc_bundle_unit_at(b, uscc, today)))
        u = tc_bundle_unit_latest(b, uscc);
    if (code)
        tc_http_reply_error(r, 400, code, msg);
    else if (u)
        tc_http_reply_json(r, 200, unit_json(b, u, today));
    else
        tc_http_reply_error(r, 404, "unit_unknown", "no such unit in the directory");
}

static const char *how_name(enum tc_unitsearch_how how)
{
    switch (how) {
    case TC_UNITSEARCH_CODE: return "code";
    case TC_UNITSEARCH_NAME: return "name";
    case TC_UNITSEARCH_INITIALS: return "initials";
    case TC_UNITSEARCH_PARTS: return "parts";
    case TC_UNITSEARCH_INITIALS_IN_ORDER: return "initials_in_order";
    default: return "none";
    }
}

/* GET /api/v1/units?q=...: for the page's employer field. Units on their entry valid today are
 * matched as HR staff type (unitsearch.h: the start of the code, a piece of the name, pinyin
 * initials, the characters in order), the best TC_UNITSEARCH_RESULTS_MAX answered with how each
 * matched, total counting every match and more saying there were others. */
static void unit_search(struct tc_http_req *r, const struct tc_bundle *b, int32_t today)
{
    const char *q = tc_http_query(r, "q");
    struct tc_unitsearch_query uq;
    if (!q || strlen(q) < TC_UNITSEARCH_QUERY_MIN ||
        tc_unitsearch_query_parse(&uq, q, strlen(q)) != TC_OK) {
        tc_http_reply_error(r, 400, "bad_query", "q must be 2 to 64 bytes of text");
        return;
    }
    struct tc_unitsearch_top top;
    tc_unitsearch_top_init(&top);
    for (size_t i = 0; i < b->n_units; i++) {
        const struct tc_bundle_unit *u = &b->units[i];
        const char *name = b->names + u->name_off;
        if (u->from <= today && today <= u->to) /* the entry valid today: one per code */
            tc_unitsearch_top_add(&top, i, tc_unitsearch_score(&uq, name, u->uscc, NULL), name);
    }
    json_t *list = json_array();
    for (size_t k = 0; k < top.n; k++) {
        const struct tc_bundle_unit *u = &b->units[top.e[k].index];
        enum tc_unitsearch_how how;
        tc_unitsearch_score(&uq, b->names + u->name_off, u->uscc, &how);
        json_t *o = unit_json(b, u, today);
        json_object_set_new(o, "match", json_string(how_name(how)));
        json_array_append_new(list, o);
    }
    tc_http_reply_json(r, 200, json_pack("{s:o,s:I,s:b}", "units", list, "total",
                                         (json_int_t)top.total, "more", top.total > top.n));
}

static void units(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    int32_t today = tc_beijing_day((uint64_t)time(NULL));
    if (*tc_http_param(r))
        unit_one(r, b, tc_http_param(r), today);
    else /* /api/v1/units, and /api/v1/units/ with nothing after it */
        unit_search(r, b, today);
    tc_lifecycle_release(s->bundles, h);
}

/* GET /api/v1/register/checkpoint: the signed checkpoint of the bundle in use (A3) */
static void checkpoint(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    tc_http_reply(r, 200, "text/plain; charset=utf-8", b->note, b->note_len);
    tc_lifecycle_release(s->bundles, h);
}

/* The inclusion proof of a registered certificate's issue leaf in the checkpoint of b, from the
 * published tiles, checked before it is served; NULL when the tiles do not give it. */
static json_t *proof_json(const char *register_dir, const struct tc_bundle *b, uint64_t id,
                          const struct tc_bundle_registered *reg)
{
    struct tc_tile_reader *tr = NULL;
    const uint8_t *leaf;
    size_t leaf_len, len = 0;
    struct tc_reg_leaf l;
    uint8_t lh[TC_REG_HASH], p[TC_REG_PROOF_MAX][TC_REG_HASH];
    json_t *out = NULL;
    if (tc_tile_reader_open(register_dir, b->checkpoint.size, &tr) != TC_OK ||
        tc_tile_reader_leaf(tr, reg->leaf, &leaf, &leaf_len) != TC_OK ||
        tc_reg_leaf_decode(leaf, leaf_len, &l) != TC_OK || l.kind != TC_REG_ISSUE || l.id != id ||
        memcmp(l.hash, reg->hash, TC_BUNDLE_INDEX_HASH) != 0)
        goto out;
    struct tc_reg_source src = tc_tile_reader_source(tr);
    tc_reg_leaf_hash(lh, leaf, leaf_len);
    if (tc_reg_prove_inclusion(&src, reg->leaf, b->checkpoint.size, p, &len) != TC_OK ||
        !tc_reg_verify_inclusion(reg->leaf, b->checkpoint.size, lh,
                                 (const uint8_t(*)[TC_REG_HASH])p, len, b->checkpoint.root))
        goto out;
    char b64[TC_REG_LEAF_MAX * 2], hex[TC_REG_HASH * 2 + 1];
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++) {
        sodium_bin2base64(b64, sizeof b64, p[i], TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
        json_array_append_new(arr, json_string(b64));
    }
    sodium_bin2base64(b64, sizeof b64, leaf, leaf_len, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2hex(hex, sizeof hex, l.hash, TC_REG_HASH);
    out = json_pack("{s:I,s:I,s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)id, "entry",
                    (json_int_t)reg->leaf, "tree_size", (json_int_t)b->checkpoint.size, "leaf",
                    b64, "certificate_sha256", hex, "proof", arr, "checkpoint", b->note);
out:
    tc_tile_reader_close(tr);
    return out;
}

/* GET /api/v1/register/proof/{id}: the certificate's issue leaf and its inclusion proof in the
 * checkpoint in use, computed from the published tiles (--register). Anyone can check it again
 * with titlecert-register or any RFC 9162 implementation. */
static void proof(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    const char *rest = tc_http_param(r);
    uint64_t id;
    if (strlen(rest) > 19 || !tc_parse_u64(rest, &id)) {
        tc_http_reply_error(r, 400, "bad_id", "the id is a certificate number (digits)");
        return;
    }
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    const struct tc_bundle_registered *reg = tc_bundle_registered(b, id);
    json_t *j;
    if (!reg)
        tc_http_reply_error(r, 404, "not_registered", "no such certificate in the register");
    else if (!s->cfg.register_dir)
        tc_http_reply_error(
            r, 503, "register_unavailable",
            "this verifier serves no copy of the register's tiles (--register DIR)");
    else if (!(j = proof_json(s->cfg.register_dir, b, id, reg)))
        tc_http_reply_error(r, 503, "register_unavailable",
                            "the register's tiles here do not match the checkpoint in use");
    else
        tc_http_reply_json(r, 200, j);
    tc_lifecycle_release(s->bundles, h);
}

/* ---- health, metrics, the page ------------------------------------------------------------- */

static void healthz(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    time_t now = time(NULL);
    long long age = (long long)now - (long long)b->issued_at;
    bool old = stale(s, b, now);
    json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:s,s:I,s:I}", "status", old ? "stale" : "ok",
                          "bundle_version", (json_int_t)b->version, "bundle_age_seconds",
                          (json_int_t)age, "max_age_seconds", (json_int_t)max_age_of(s, b),
                          "province", b->profile.code, "units", (json_int_t)b->n_units,
                          "revoked", (json_int_t)b->n_revoked);
    tc_lifecycle_release(s->bundles, h);
    tc_http_reply_json(r, old ? 503 : 200, j);
}

/* GET /api/v1/service: what the page shows before any check, from the bundle in use: who runs
 * the service and how to reach it, the province, how current the status information is, and
 * how units can be searched. All of it public (the profile and the bundle are published);
 * nothing of the machine, its paths or its limits. */
static void service(struct tc_http_req *r, void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    const struct tc_profile *p = &b->profile;
    time_t now = time(NULL);
    char updated[ISO_UTC_LEN];
    iso_utc(updated, (time_t)b->issued_at);
    json_t *j = json_object();
    if (p->operator_zh[0])
        json_object_set_new(j, "operator",
                            json_pack("{s:s,s:s}", "zh", p->operator_zh, "en", p->operator_en));
    if (p->contact_zh[0])
        json_object_set_new(j, "contact",
                            json_pack("{s:s,s:s}", "zh", p->contact_zh, "en", p->contact_en));
    json_object_set_new(j, "province", json_string(p->name));
    json_object_set_new(j, "province_en", json_string(p->name_en));
    json_object_set_new(j, "bundle_version", json_integer((json_int_t)b->version));
    json_object_set_new(j, "status_updated_at", json_string(updated));
    json_object_set_new(j, "bundle_age_seconds",
                        json_integer((json_int_t)((long long)now - (long long)b->issued_at)));
    json_object_set_new(j, "stale", json_boolean(stale(s, b, now)));
    json_object_set_new(j, "unit_search", json_pack("[s,s,s,s,s]", "code", "name", "initials",
                                                    "parts", "initials_in_order"));
    tc_lifecycle_release(s->bundles, h);
    tc_http_reply_json(r, 200, j);
}

/* Before /metrics is rendered: the gauges of the bundle in use, and the counters kept by the
 * lifecycle and the source. A head offering an older bundle is a refused rollback too. */
static void collect(void *ctx)
{
    struct tc_service *s = ctx;
    struct tc_held *h;
    const struct tc_bundle *b = tc_lifecycle_take(s->bundles, &h);
    const struct tc_lifecycle_stats *ls = tc_lifecycle_stats(s->bundles);
    const struct tc_source_stats *ss = s->source ? tc_source_stats(s->source) : NULL;
    tc_metric_set(s->m[M_VERSION], (int64_t)b->version);
    tc_metric_set(s->m[M_AGE], (int64_t)time(NULL) - (int64_t)b->issued_at);
    tc_metric_set_total(s->m[M_RELOADS], 0, ls->reloads_ok);
    tc_metric_set_total(s->m[M_RELOADS], 1, ls->reloads_refused);
    tc_metric_set_total(s->m[M_ROLLBACKS], 0, ls->rollbacks + (ss ? ss->older : 0));
    if (ss) {
        tc_metric_set_total(s->m[M_POLLS], 0, ss->polls);
        tc_metric_set_total(s->m[M_UNCHANGED], 0, ss->unchanged);
        tc_metric_set_total(s->m[M_FETCHES], 0, ss->fetched);
        tc_metric_set_total(s->m[M_FAILURES], 0, ss->failures);
        tc_metric_set_total(s->m[M_OLDER], 0, ss->older);
        tc_metric_set_total(s->m[M_BYTES], 0, ss->bytes);
        tc_metric_set_total(s->m[M_DELTAS], 0, ls->deltas);
    }
    tc_metric_set_total(s->m[M_REG_REFUSED], 0, ls->register_refused);
    tc_metric_set_total(s->m[M_WIT_REFUSED], 0, ls->witness_refused);
    tc_metric_set(s->m[M_REG_SIZE], (int64_t)b->checkpoint.size);
    tc_metric_set(s->m[M_STALE], stale(s, b, time(NULL)) ? 1 : 0);
    tc_lifecycle_release(s->bundles, h);
}

static void no_page(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_http_reply_error(r, 404, "not_found", "no such page");
}

static void no_api(struct tc_http_req *r, void *ctx)
{
    (void)ctx;
    tc_http_reply_error(r, 404, "not_found", "no such API path");
}

#define PAGE "/ (page)"
/* a GET route with the defaults: logged by its pattern, cfg.body_max, no budget */
#define GET(pattern, handler) {TC_HTTP_GET, pattern, handler, NULL, 0, 0, NULL}
static const struct tc_http_route routes[] = {
    {TC_HTTP_POST, "/api/v1/verify", verify_json, NULL, TC_VERIFY_BODY_MAX, 0, NULL},
    {TC_HTTP_POST, "/api/v1/verify-image", verify_image, NULL, TC_IMAGE_MAX_BYTES, TC_HTTP_BUDGET,
     IMAGES_BUSY},
    GET("/api/v1/units", units),
    GET("/api/v1/units/{uscc}", units),
    GET("/api/v1/service", service),
    GET("/api/v1/register/checkpoint", checkpoint),
    GET("/api/v1/register/proof/{id}", proof),
    GET("/healthz", healthz),
    GET("/metrics", tc_http_serve_metrics),
    {TC_HTTP_GET, "/", tc_http_serve_page, PAGE, 0, 0, NULL},
    {TC_HTTP_GET, "/v", tc_http_serve_page, PAGE, 0, 0, NULL}, /* a QR link opens /v#TC1:... */
    /* QR alphanumeric mode is upper case */
    {TC_HTTP_GET, "/V", tc_http_serve_page, PAGE, 0, 0, NULL},
    {TC_HTTP_GET, "/index.html", tc_http_serve_page, PAGE, 0, 0, NULL},
    GET("/app.js", tc_http_serve_page),
    GET("/style.css", tc_http_serve_page),
    GET("/favicon.ico", no_page),
    {TC_HTTP_GET, "/api/{path}", no_api, "/api/(unknown)", 0, 0, NULL},
    {TC_HTTP_GET, "{path}", no_page, "(unknown)", 0, 0, NULL},
};
#undef GET
#undef PAGE

/* ---- following the publication, reloading ---------------------------------------------------- */

/* One poll of the publication (the head, and a delta or the bundle when it names a newer one),
 * installed through the lifecycle, which verifies it and only then writes the cache. */
static void follow(struct tc_service *s, bool force)
{
    char msg[1024];
    uint8_t *data;
    size_t len;
    enum tc_source_result r = tc_source_poll(s->source, tc_lifecycle_version(s->bundles), force,
                                             msg, sizeof msg, &data, &len);
    if (r != TC_SOURCE_UNCHANGED)
        tc_http_say(s->cfg.log, s->cfg.log_ctx, "source: %s", msg);
    enum tc_err e = TC_OK;
    if (r == TC_SOURCE_DELTA)
        e = tc_lifecycle_apply_delta(s->bundles, data, len);
    else if (r == TC_SOURCE_BUNDLE)
        e = tc_lifecycle_install(s->bundles, data, len);
    /* a delta that did not apply, or a download refused here for want of memory or disk, is
     * fetched whole at the next poll; one that lacked an index chunk the source did not have
     * (yet: files reach a mirror in any order), or was dated ahead of this clock (good once the
     * clocks agree), later and later: a delta dated ahead too, as its whole bundle bears the same
     * date; a bundle that does not verify waits for a new head */
    if ((r == TC_SOURCE_BUNDLE && e == TC_ERR_NOT_FOUND) || e == TC_ERR_FUTURE)
        tc_source_retry_later(s->source);
    else if ((r == TC_SOURCE_DELTA && e != TC_OK) || e == TC_ERR_IO || e == TC_ERR_NOMEM)
        tc_source_no_delta(s->source);
    else if (e == TC_OK && r != TC_SOURCE_UNCHANGED)
        tc_source_installed(s->source);
    free(data);
}

/* The polling thread: a poll every tick (tc_source_poll knows when one is due), at once when
 * woken by SIGHUP, until told to stop. Signals stay blocked here (tc_service_start). */
static void *poll_loop(void *ctx)
{
    struct tc_service *s = ctx;
    pthread_mutex_lock(&s->poll_lock);
    while (!s->poll_stop) {
        bool now = s->poll_now;
        s->poll_now = false;
        pthread_mutex_unlock(&s->poll_lock);
        follow(s, now);
        pthread_mutex_lock(&s->poll_lock);
        if (s->poll_stop || s->poll_now)
            continue;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += TC_HTTP_TICK_MS * 1000L * 1000L;
        t.tv_sec += t.tv_nsec / 1000000000L, t.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->poll_cond, &s->poll_lock, &t);
    }
    pthread_mutex_unlock(&s->poll_lock);
    return NULL;
}

static void wake_poller(struct tc_service *s, bool stop)
{
    pthread_mutex_lock(&s->poll_lock);
    if (stop)
        s->poll_stop = true;
    else
        s->poll_now = true;
    pthread_cond_signal(&s->poll_cond);
    pthread_mutex_unlock(&s->poll_lock);
}

static enum tc_err start_polling(struct tc_service *s, bool now, char *why, size_t size)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->poll_lock, NULL);
    pthread_cond_init(&s->poll_cond, &ca);
    pthread_condattr_destroy(&ca);
    s->poll_now = now;
    int err = pthread_create(&s->poller, NULL, poll_loop, s);
    if (err) {
        snprintf(why, size, "the thread following the publication: %s", strerror(err));
        pthread_cond_destroy(&s->poll_cond);
        pthread_mutex_destroy(&s->poll_lock);
        return TC_ERR_INTERNAL;
    }
    s->polling = true;
    return TC_OK;
}

/* Aborts the transfer in progress, if any, and joins the thread: within about a second (libcurl
 * calls the progress callback at least that often). */
static void stop_polling(struct tc_service *s)
{
    if (!s->polling)
        return;
    tc_source_abort(s->source);
    wake_poller(s, true);
    pthread_join(s->poller, NULL);
    pthread_cond_destroy(&s->poll_cond);
    pthread_mutex_destroy(&s->poll_lock);
    s->polling = false;
}

/* every tick of the signal loop: the bundle file (a publication's cache is the lifecycle's) */
static void tick(void *ctx)
{
    struct tc_service *s = ctx;
    if (!s->source)
        tc_lifecycle_poll_file(s->bundles);
}

/* SIGHUP: the bundle file again, or the publication's head now */
static void reload(void *ctx)
{
    struct tc_service *s = ctx;
    if (s->source)
        wake_poller(s, false);
    else
        tc_lifecycle_reload(s->bundles);
}

/* Following a publication: the cache when it verifies and the state admits it (the publication
 * is then polled at once, on its thread: *poll_now); else the current bundle, fetched now, and
 * installed only once verified. */
static enum tc_err first_bundle(struct tc_service *s, const struct tc_lifecycle_config *lc,
                                bool *poll_now, char *why, size_t size)
{
    char cached[1024], msg[1024];
    uint8_t *data = NULL;
    size_t len = 0;
    enum tc_err e = tc_source_new(&s->source, s->cfg.source_url, s->cfg.poll_interval);
    if (e != TC_OK) {
        snprintf(why, size, "--source %s: %s", s->cfg.source_url, tc_strerror(e));
        return e;
    }
    struct tc_lifecycle_config with_fetch = *lc;
    with_fetch.fetch = (struct tc_chunk_source){tc_source_chunk, s->source, ""};
    lc = &with_fetch;
    *poll_now = true;
    if (access(lc->bundle_path, F_OK) != 0) {
        snprintf(cached, sizeof cached, "no bundle is cached in %s", s->cfg.state_dir);
    } else if (tc_lifecycle_open(&s->bundles, lc, NULL, 0, cached, sizeof cached) == TC_OK) {
        tc_http_say(s->cfg.log, s->cfg.log_ctx,
                       "serve: the cached bundle, version %llu, verified; polling %s",
                       (unsigned long long)tc_lifecycle_version(s->bundles), s->cfg.source_url);
        return TC_OK;
    } else {
        tc_http_say(s->cfg.log, s->cfg.log_ctx, "serve: the cache is not used: %s", cached);
    }
    *poll_now = false;
    if (tc_source_poll(s->source, 0, true, msg, sizeof msg, &data, &len) != TC_SOURCE_BUNDLE) {
        snprintf(why, size, "the publication at %s cannot be had (%s), and %s",
                 s->cfg.source_url, msg, cached);
        return TC_ERR_NOT_FOUND;
    }
    tc_http_say(s->cfg.log, s->cfg.log_ctx, "serve: %s", msg);
    e = tc_lifecycle_open(&s->bundles, lc, data, len, why, size);
    free(data);
    return e;
}

/* ---- start and stop ------------------------------------------------------------------------- */

const char *tc_service_preflight(const struct tc_service_config *cfg, char *why, size_t size)
{
    for (size_t i = 0; i < WEB_COUNT; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", cfg->web_dir, web_files[i]);
        if (access(path, R_OK) != 0) {
            snprintf(why, size,
                     "the page file %s: %s\n  (install titlecert with 'meson install', or give "
                     "--web DIR or TITLECERT_WEB_DIR=DIR, DIR holding index.html, app.js and "
                     "style.css)", path, strerror(errno));
            return why;
        }
    }
    int one = 1, rc = -1, err = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
    } else {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        rc = bind(fd, (const struct sockaddr *)&cfg->addr, sizeof cfg->addr);
        err = errno;
        close(fd);
    }
    if (rc != 0) {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &cfg->addr.sin_addr, addr, sizeof addr);
        snprintf(why, size, "cannot listen on %s:%u: %s (choose another with --listen)", addr,
                 ntohs(cfg->addr.sin_port), strerror(err));
        return why;
    }
    return NULL;
}

/* The image pool's defaults (the listener's are the HTTP layer's: 0 leaves them to it) */
static void defaults(struct tc_service_config *c)
{
    if (!c->image_threads)
        c->image_threads = 2;
    if (!c->image_queue)
        c->image_queue = 8;
    if (!c->image_memory)
        c->image_memory = 64u << 20;
    if (!c->image_timeout_ms)
        c->image_timeout_ms = 2000;
}

static enum tc_err register_metrics(struct tc_service *s)
{
    enum tc_err e = tc_metrics_new(&s->metrics);
    for (int i = 0; e == TC_OK && i < M_COUNT; i++) {
        if (i >= M_POLLS && i <= M_DELTAS && !s->cfg.source_url)
            continue;
        const char *name = metric_rows[i].name, *help = metric_rows[i].help;
        s->m[i] = metric_rows[i].kind == GAUGE ? tc_metrics_gauge(s->metrics, name, help)
                  : metric_rows[i].kind == HISTOGRAM
                      ? tc_metrics_histogram(s->metrics, name, help, buckets,
                                             sizeof buckets / sizeof buckets[0])
                      : tc_metrics_counter(s->metrics, name, help, metric_rows[i].label,
                                           metric_rows[i].values, metric_rows[i].n);
        if (!s->m[i])
            e = TC_ERR_NOMEM;
    }
    if (e == TC_OK)
        tc_metrics_on_collect(s->metrics, collect, s);
    return e;
}

/* A page file missing or unreadable once preflight found it is "not found" all the same */
static enum tc_err read_page(struct tc_service *s)
{
    enum tc_err e =
        tc_http_pages_read(&s->page, s->cfg.web_dir, web_files, WEB_COUNT, 1u << 20, NULL, 0);
    return e == TC_OK ? TC_OK : TC_ERR_NOT_FOUND;
}

static enum tc_err listen_http(struct tc_service *s, char *why, size_t size)
{
    const struct tc_service_config *c = &s->cfg;
    struct tc_http_config h = {
        .addr = c->addr, .routes = routes, .n_routes = sizeof routes / sizeof routes[0],
        .ctx = s, .threads = c->threads, .connection_limit = c->connection_limit,
        .per_address_limit = c->per_ip_limit, .timeout = c->timeout,
        .trusted_proxy = c->trusted_proxy, .body_max = TC_VERIFY_BODY_MAX,
        .body_memory = c->image_memory, .access_log = c->access_log, .metrics = s->metrics,
        .errors = s->m[M_ERRORS], .pages = s->page, .page_csp = PAGE_CSP,
        .page_permissions = "camera=(self)", .tick = tick, .reload = reload, .log = c->log,
        .log_ctx = c->log_ctx,
    };
    const char *what;
    enum tc_err e = tc_http_start(&s->http, &h, &what);
    if (e != TC_OK)
        snprintf(why, size, "%s: %s", what, tc_strerror(e));
    return e;
}

enum tc_err tc_service_start(struct tc_service **out, const struct tc_service_config *cfg,
                             char *why, size_t size)
{
    *out = NULL;
    tc_http_block_signals(); /* before any thread: the image pool's, curl's, the listener's */
    struct tc_service *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
        return TC_ERR_NOMEM;
    }
    s->cfg = *cfg;
    defaults(&s->cfg);
    struct tc_lifecycle_config lc = {
        .bundle_path = cfg->bundle_path, .state_dir = cfg->state_dir,
        .register_dir = cfg->register_dir, .min_trust_list = cfg->min_trust_list,
        .log = cfg->log, .log_ctx = cfg->log_ctx, .witnesses = cfg->witnesses,
    };
    memcpy(lc.root_pk, cfg->root_pk, TC_PK_BYTES);
    enum tc_err e;
    bool poll_now = false;
    if ((e = register_metrics(s)) != TC_OK)
        snprintf(why, size, "the metrics: %s", tc_strerror(e));
    else if ((e = cfg->source_url ? first_bundle(s, &lc, &poll_now, why, size)
                                  : tc_lifecycle_open(&s->bundles, &lc, NULL, 0, why, size)) !=
             TC_OK)
        ;
    else if ((e = read_page(s)) != TC_OK)
        snprintf(why, size, "the web page files (index.html, app.js, style.css): %s",
                 tc_strerror(e));
    else if ((e = tc_image_pool_start(&s->images, (size_t)s->cfg.image_threads,
                                      (size_t)s->cfg.image_queue,
                                      (uint64_t)s->cfg.image_timeout_ms * 1000000u)) != TC_OK)
        snprintf(why, size, "the image decoding threads: %s", tc_strerror(e));
    else if ((e = listen_http(s, why, size)) == TC_OK && s->source)
        e = start_polling(s, poll_now, why, size);
    if (e != TC_OK) {
        tc_service_stop(s);
        return e;
    }
    *out = s;
    return TC_OK;
}

uint64_t tc_service_bundle_version(struct tc_service *s)
{
    return tc_lifecycle_version(s->bundles);
}

void tc_service_run(struct tc_service *s)
{
    tc_http_run(s->http);
}

void tc_service_stop(struct tc_service *s)
{
    if (!s)
        return;
    /* the publication first: the bundles it would install are going away */
    stop_polling(s);
    /* then the pool: it resumes every connection it suspended, which the listener needs before
     * it stops */
    tc_image_pool_stop(s->images);
    tc_http_stop(s->http);
    tc_lifecycle_close(s->bundles);
    tc_source_free(s->source);
    tc_metrics_free(s->metrics);
    tc_http_pages_free(s->page);
    free(s);
}
