/*
 * service.c - titlecert-witness's HTTP service on the shared HTTP layer (http.h).
 *
 * POST /add-checkpoint is a thin adapter around check.c: tc_witness_open judges the body, then,
 * under the log's lock, tc_witness_decide judges it against the state held, the new state is
 * written durably (state.c), and only then is the co-signature made, checked and returned. So a
 * co-signature leaves the process only for a tree whose state is already on disk, and a crash at
 * any instant (kill -9, power) leaves a state that every co-signature returned agrees with: the
 * next tree co-signed must extend it. The lock makes check-and-write atomic per log (the race the
 * spec describes: two requests checked against one state, the smaller written last).
 *
 * A state write that fails leaves the log refused (503) until the witness is restarted and reads
 * its file again: after a failed directory sync the file may hold the new tree or the old one, and
 * the service will not guess which while it runs.
 *
 * A checkpoint the log signed at the size held with another root is the one refusal that proves
 * something against the log (a split view): it is kept beside the state as evidence.
 */
#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "keys.h"
#include "witness.h"

/* The metrics, in the order /metrics shows them: names and labels are an interface. */
enum { M_REQUESTS, M_ERRORS, M_DURATION, M_LOGS, M_SPLIT, M_COUNT };
static const char *const results[] = {"cosigned", "malformed", "bad_signature", "unknown_log",
                                      "conflict", "bad_proof", "failed"};
enum { R_COSIGNED, R_MALFORMED, R_BAD_SIGNATURE, R_UNKNOWN_LOG, R_CONFLICT, R_BAD_PROOF, R_FAILED };
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
#define EVIDENCE_MAX 64 /* conflicting checkpoints kept per log while the witness runs */

struct log_slot {
    pthread_mutex_t lock; /* one add-checkpoint at a time per log */
    struct tc_witness_state state;
    bool broken;     /* a state write failed: refused until restart */
    size_t evidence; /* conflicting checkpoints kept since the start */
};

struct tc_witness_service {
    struct tc_witness_service_config cfg;
    struct tc_cosigner self;
    struct log_slot *slots;
    size_t n_slots;
    int lock_fd;
    struct tc_metrics *metrics;
    struct tc_metric *m[M_COUNT];
    struct tc_http *http;
};

/* What a request keeps between its checks: too large for a handler's stack. */
struct work {
    struct tc_witness_submission sub;
    struct tc_witness_state next;
};

#define say(s, ...) tc_http_say((s)->cfg.log, (s)->cfg.log_ctx, __VA_ARGS__)

static size_t result_of(enum tc_witness_status st)
{
    switch (st) {
    case TC_WITNESS_COSIGN:
        return R_COSIGNED;
    case TC_WITNESS_MALFORMED:
        return R_MALFORMED;
    case TC_WITNESS_BAD_SIGNATURE:
        return R_BAD_SIGNATURE;
    case TC_WITNESS_UNKNOWN_LOG:
        return R_UNKNOWN_LOG;
    case TC_WITNESS_CONFLICT:
        return R_CONFLICT;
    default:
        return R_BAD_PROOF;
    }
}

/* A refusal as tlog-witness answers it: 409 carries the size held as text/x.tlog.size; the
 * others a sentence. */
static void refuse(struct tc_witness_service *s, struct tc_http_req *r,
                   const struct tc_witness_verdict *v, uint64_t size)
{
    char text[256];
    tc_metric_add(s->m[M_REQUESTS], result_of(v->status), 1);
    tc_http_log_note(r, v->word, size);
    if (v->status == TC_WITNESS_CONFLICT) {
        int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)v->held);
        tc_http_reply(r, 409, "text/x.tlog.size", text, (size_t)n);
        return;
    }
    int n = snprintf(text, sizeof text, "%s\n", v->why);
    tc_http_reply(r, (unsigned)v->status, "text/plain; charset=utf-8", text, (size_t)n);
}

static void fail(struct tc_witness_service *s, struct tc_http_req *r, unsigned status,
                 const char *why, uint64_t size)
{
    char text[256];
    tc_metric_add(s->m[M_REQUESTS], R_FAILED, 1);
    tc_http_log_note(r, "failed", size);
    int n = snprintf(text, sizeof text, "%s\n", why);
    tc_http_reply(r, status, "text/plain; charset=utf-8", text, (size_t)n);
}

/* Signs next's checkpoint at next->time into line, and checks the signature before it is
 * handed out (a token or a key file that answers with something else is not trusted). */
static const char *sign_line(struct tc_witness_service *s, const struct tc_witness_state *next,
                             char *line, size_t *line_len)
{
    struct tc_note n;
    uint8_t msg[TC_COSIG_MSG_MAX], sig[TC_SIG_MAX_BYTES];
    size_t mlen, sig_len;
    if (tc_note_parse(next->note, next->note_len, &n) != TC_OK ||
        tc_cosig_message(&s->self, next->time, n.text, n.text_len, msg, sizeof msg, &mlen) != TC_OK)
        return "the checkpoint kept cannot be read back";
    if (tc_signer_sign(s->cfg.signer, msg, mlen, sig, sizeof sig, &sig_len) != TC_OK)
        return "the witness key did not sign";
    if (sig_len != s->self.type->sig_len || !s->self.type->verify(sig, msg, mlen, s->self.pk))
        return "the witness key's signature does not verify";
    if (tc_cosig_line(&s->self, next->time, sig, sig_len, line, TC_COSIG_LINE_MAX, line_len) !=
        TC_OK)
        return "the co-signature line does not fit";
    return NULL;
}

/* The co-signature of an accepted request, with the log's lock held: the state first, durably,
 * then the signature. NULL, else why it failed (and nothing was signed). */
static const char *cosign(struct tc_witness_service *s, size_t log, struct tc_witness_state *next,
                          char *line, size_t *line_len)
{
    struct log_slot *slot = &s->slots[log];
    uint64_t now = (uint64_t)time(NULL);
    /* a clock set back never makes a later co-signature look older than an earlier one */
    next->time = now > slot->state.time ? now : slot->state.time;
    enum tc_err e = tc_witness_state_save(s->cfg.state_dir, s->cfg.logs->log[log].origin, next);
    if (e != TC_OK) {
        slot->broken = true;
        say(s, "%s: the state file cannot be written (%s); the log is refused until restart",
            s->cfg.logs->log[log].origin, tc_strerror(e));
        return "the witness could not record the checkpoint";
    }
    slot->state = *next;
    return sign_line(s, next, line, line_len);
}

/* A checkpoint the log signed at the size held with another root than the one co-signed is
 * proof that the log showed two trees of one size: the state file holds the other, signed by the
 * log too. It is kept beside the state, once per size and root, for the department to act on
 * (the refusal alone would leave it nothing to show). With the log's lock held. */
static void keep_evidence(struct tc_witness_service *s, size_t log,
                          const struct tc_witness_submission *sub)
{
    struct log_slot *slot = &s->slots[log];
    const struct tc_checkpoint *c = &sub->checkpoint;
    if (slot->state.note_len == 0 || c->size != slot->state.size ||
        sodium_memcmp(c->root, slot->state.root, TC_REG_HASH) == 0)
        return;
    tc_metric_add(s->m[M_SPLIT], 0, 1);
    if (slot->evidence >= EVIDENCE_MAX)
        return;
    char path[TC_PATH_MAX], state[TC_PATH_MAX], root[17];
    sodium_bin2hex(root, sizeof root, c->root, 8);
    tc_witness_state_path(state, sizeof state, s->cfg.state_dir, c->origin);
    /* "<dir>/log-<hex>.state" -> "<dir>/log-<hex>.split-<size>-<root>.note" */
    snprintf(path, sizeof path, "%.*s.split-%llu-%s.note", (int)(strlen(state) - 6), state,
             (unsigned long long)c->size, root);
    if (tc_file_write(path, sub->kept, sub->kept_len, 0600, 0) == TC_OK) {
        slot->evidence++;
        say(s, "%s: the log signed another tree of size %llu than the one co-signed: kept in %s",
            c->origin, (unsigned long long)c->size, path);
    }
}

static void add_checkpoint(struct tc_http_req *r, void *ctx)
{
    struct tc_witness_service *s = ctx;
    struct work *w = tc_http_state(r, sizeof *w, NULL);
    struct tc_witness_verdict v;
    size_t len, line_len = 0;
    const char *body = tc_http_body(r, &len), *failed = NULL;
    char line[TC_COSIG_LINE_MAX];
    if (!w)
        return; /* out of memory: the connection is closed */
    tc_http_time(r, s->m[M_DURATION]);
    if (tc_witness_open(s->cfg.logs, body, len, &w->sub, &v) != TC_WITNESS_COSIGN) {
        refuse(s, r, &v, w->sub.checkpoint.size);
        return;
    }
    struct log_slot *slot = &s->slots[w->sub.log];
    bool broken;
    pthread_mutex_lock(&slot->lock);
    if (!(broken = slot->broken) &&
        tc_witness_decide(&w->sub, &slot->state, &w->next, &v) == TC_WITNESS_COSIGN)
        failed = cosign(s, w->sub.log, &w->next, line, &line_len);
    else if (!broken)
        keep_evidence(s, w->sub.log, &w->sub);
    pthread_mutex_unlock(&slot->lock);
    if (broken)
        fail(s, r, 503, "the witness cannot record checkpoints of this log until it is restarted",
             w->sub.checkpoint.size);
    else if (failed)
        fail(s, r, 500, failed, w->sub.checkpoint.size);
    else if (v.status != TC_WITNESS_COSIGN)
        refuse(s, r, &v, w->sub.checkpoint.size);
    else {
        tc_metric_add(s->m[M_REQUESTS], R_COSIGNED, 1);
        tc_http_log_note(r, "cosigned", w->sub.checkpoint.size);
        tc_http_reply(r, 200, "text/plain; charset=utf-8", line, line_len);
    }
}

static const struct tc_http_route routes[] = {
    {TC_HTTP_POST, "/add-checkpoint", add_checkpoint, "add-checkpoint", TC_WITNESS_BODY_MAX, 0,
     NULL},
    {TC_HTTP_GET, "/healthz", tc_http_serve_alive, "healthz", 0, 0, NULL},
    {TC_HTTP_GET, "/metrics", tc_http_serve_metrics, "metrics", 0, 0, NULL},
};

static enum tc_err register_metrics(struct tc_witness_service *s)
{
    enum tc_err e = tc_metrics_new(&s->metrics);
    if (e != TC_OK)
        return e;
    s->m[M_REQUESTS] = tc_metrics_counter(s->metrics, "titlecert_witness_requests_total",
                                          "add-checkpoint requests by result.", "result", results,
                                          sizeof results / sizeof results[0]);
    s->m[M_ERRORS] = tc_metrics_counter(s->metrics, "titlecert_witness_request_errors_total",
                                        "Requests answered with 4xx/5xx.", NULL, NULL, 0);
    s->m[M_DURATION] = tc_metrics_histogram(
        s->metrics, "titlecert_witness_request_duration_seconds",
        "Time to answer add-checkpoint requests.", buckets, sizeof buckets / sizeof buckets[0]);
    s->m[M_LOGS] = tc_metrics_gauge(s->metrics, "titlecert_witness_logs", "Logs witnessed.");
    s->m[M_SPLIT] = tc_metrics_counter(
        s->metrics, "titlecert_witness_split_views_total",
        "Checkpoints signed by a log at the size co-signed with another root (kept as evidence).",
        NULL, NULL, 0);
    for (int i = 0; i < M_COUNT; i++)
        if (!s->m[i])
            return TC_ERR_NOMEM;
    tc_metric_set(s->m[M_LOGS], (int64_t)s->cfg.logs->n);
    return TC_OK;
}

/* Temporary files a crash left beside the state files (the lock is held: nobody is writing). */
static void sweep(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "log-", 4) == 0 && strstr(de->d_name, ".tmp.")) {
            char path[TC_PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
}

/* The lock, every log's state and its mutex. */
static enum tc_err open_state(struct tc_witness_service *s, char *why, size_t size)
{
    enum tc_err e = tc_witness_state_lock(s->cfg.state_dir, &s->lock_fd);
    if (e != TC_OK) {
        snprintf(why, size, "%s: %s", s->cfg.state_dir,
                 e == TC_ERR_BUSY ? "another witness is using this state directory"
                                  : tc_strerror(e));
        return e;
    }
    sweep(s->cfg.state_dir);
    s->slots = calloc(s->cfg.logs->n, sizeof *s->slots);
    if (!s->slots)
        return TC_ERR_NOMEM;
    for (; s->n_slots < s->cfg.logs->n; s->n_slots++) {
        struct log_slot *slot = &s->slots[s->n_slots];
        const char *origin = s->cfg.logs->log[s->n_slots].origin;
        pthread_mutex_init(&slot->lock, NULL);
        if ((e = tc_witness_state_load(s->cfg.state_dir, origin, &slot->state)) != TC_OK) {
            char path[TC_PATH_MAX];
            tc_witness_state_path(path, sizeof path, s->cfg.state_dir, origin);
            snprintf(why, size, "%s (the state of %s): %s", path, origin, tc_strerror(e));
            s->n_slots++; /* its mutex is initialised */
            return e;
        }
    }
    return TC_OK;
}

static enum tc_err listen_http(struct tc_witness_service *s, char *why, size_t size)
{
    const struct tc_witness_service_config *c = &s->cfg;
    struct tc_http_config h = {
        .addr = c->addr,
        .routes = routes,
        .n_routes = sizeof routes / sizeof routes[0],
        .ctx = s,
        .threads = c->threads,
        .connection_limit = c->connection_limit,
        .per_address_limit = c->per_address_limit,
        .timeout = c->timeout,
        .trusted_proxy = c->trusted_proxy,
        .body_max = TC_WITNESS_BODY_MAX,
        .access_log = c->access_log,
        .metrics = s->metrics,
        .errors = s->m[M_ERRORS],
        .log = c->log,
        .log_ctx = c->log_ctx,
    };
    if (h.addr.sin_family == 0) {
        h.addr.sin_family = AF_INET;
        h.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        h.addr.sin_port = htons(8090);
    }
    const char *what;
    enum tc_err e = tc_http_start(&s->http, &h, &what);
    if (e != TC_OK)
        snprintf(why, size, "%s: %s", what, tc_strerror(e));
    return e;
}

/* The witness's own key as a cosigner: an Ed25519 signer handle and a key name. */
static enum tc_err self_of(struct tc_witness_service *s, char *why, size_t size)
{
    if (tc_signer_alg(s->cfg.signer) != TC_ALG_ED25519) {
        snprintf(why, size, "the witness key is not an Ed25519 key");
        return TC_ERR_ALG;
    }
    enum tc_err e = tc_cosigner_init(&s->self, s->cfg.name, TC_COSIG_ED25519,
                                     tc_signer_pub(s->cfg.signer)->pk, TC_PK_BYTES);
    if (e != TC_OK)
        snprintf(why, size,
                 "the witness name \"%s\" is not a signed-note key name (no spaces "
                 "or plus signs, at most %d bytes)",
                 s->cfg.name, TC_REG_ORIGIN_MAX);
    return e;
}

enum tc_err tc_witness_service_start(struct tc_witness_service **out,
                                     const struct tc_witness_service_config *cfg, char *why,
                                     size_t why_size)
{
    *out = NULL;
    snprintf(why, why_size, "%s", tc_strerror(TC_ERR_NOMEM));
    struct tc_witness_service *s = calloc(1, sizeof *s);
    if (!s)
        return TC_ERR_NOMEM;
    s->cfg = *cfg;
    s->lock_fd = -1;
    enum tc_err e;
    if ((e = self_of(s, why, why_size)) != TC_OK || (e = open_state(s, why, why_size)) != TC_OK)
        ;
    else if ((e = register_metrics(s)) != TC_OK)
        snprintf(why, why_size, "the metrics: %s", tc_strerror(e));
    else
        e = listen_http(s, why, why_size);
    if (e != TC_OK) {
        tc_witness_service_stop(s);
        return e;
    }
    *out = s;
    return TC_OK;
}

void tc_witness_service_stop(struct tc_witness_service *s)
{
    if (!s)
        return;
    tc_http_stop(s->http);
    for (size_t i = 0; i < s->n_slots; i++)
        pthread_mutex_destroy(&s->slots[i].lock);
    free(s->slots);
    tc_metrics_free(s->metrics);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s);
}

void tc_witness_service_run(struct tc_witness_service *s)
{
    tc_http_run(s->http);
}

uint16_t tc_witness_service_port(const struct tc_witness_service *s)
{
    return tc_http_port(s->http);
}
