/*
 * server.h - the verifier's HTTP service (libmicrohttpd); part of the verifier module, kept in its
 * own header because only titlecert-verifier serve and its tests start a server.
 *
 * Paths (ARCHITECTURE.md): POST /api/v1/verify, POST /api/v1/verify-image, GET /api/v1/units/{uscc},
 * GET /api/v1/units?q=..., GET /healthz, GET /metrics, GET / and /v (the page).
 */
#ifndef TC_SERVER_H
#define TC_SERVER_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>

#include "verifier.h"

struct tc_server_config {
    struct sockaddr_in addr;  /* 127.0.0.1 by default */
    const char *bundle_path;
    uint8_t root_pk[TC_PK_BYTES];
    const char *web_dir;      /* index.html, app.js, style.css */
    uint64_t max_age;         /* seconds a bundle stays fresh (0: the bundle profile's, e.g. 7 days) */
    bool stale_ok;            /* past it, answer with a status_stale note instead of 503 */
    const char *state_dir;    /* where the accepted versions are kept (tc_state_*) */
    const char *register_dir; /* the published register (tiles), for proofs; NULL: none */
    const char *source_url;   /* serve --source: the publication followed over HTTP, or NULL */
    uint64_t min_trust_list;  /* refuse bundles embedding an older trust list */
    int threads;              /* worker threads (default 2) */
    int connection_limit;     /* connections in all (default 1024) */
    int per_ip_limit;         /* requests in progress per client address (default 64) */
    int timeout;              /* idle connection timeout, seconds (default 15) */
    /* the front proxy (nginx): connections from this address are counted per address by its
     * X-Real-IP (else the last X-Forwarded-For) header; no header is trusted from anyone else */
    const char *trusted_proxy;
    int image_threads;        /* image decoding threads (default 2) */
    int image_queue;          /* images waiting for one (default 8); more: 503 busy */
    uint64_t image_memory;    /* bytes of image bodies in memory at once (default 64 MiB) */
    unsigned image_timeout_ms;/* per-image decoding time limit (default 2000 ms) */
    FILE *access_log;         /* default stderr */
};

/* The image decoding pool (imagepool.c). done() runs on the worker thread with err and text set
 * (text malloc'd, the callee's). */
struct tc_image_job {
    const uint8_t *data;
    size_t len;
    enum tc_err err;
    char *text;
    void (*done)(struct tc_image_job *j);
    void *owner;
    struct tc_image_job *next;
};
struct tc_image_pool;
enum tc_err tc_image_pool_start(struct tc_image_pool **p, size_t threads, size_t capacity,
                                uint64_t timeout_ns);
/* Queues a job, or TC_ERR_BUSY at once when capacity jobs already wait. */
enum tc_err tc_image_pool_submit(struct tc_image_pool *p, struct tc_image_job *j);
/* Finishes the jobs being decoded, answers those waiting with TC_ERR_BUSY, joins the threads. */
void tc_image_pool_stop(struct tc_image_pool *p);

struct tc_server;
/* Loads and verifies the bundle, checks it against the state (no rollback), reads the page,
 * listens. *why names what failed. */
enum tc_err tc_server_start(struct tc_server **s, const struct tc_server_config *cfg,
                            const char **why);
/* Reloads the bundle now (SIGHUP); refused (old kept) unless it verifies and is newer. */
enum tc_err tc_server_reload(struct tc_server *s);
/* Reloads when the bundle file changed since it was last read. */
void tc_server_poll_file(struct tc_server *s);
uint64_t tc_server_bundle_version(struct tc_server *s);
/* Writes buffered access-log lines (the serve loop calls it every second). */
void tc_server_flush_log(struct tc_server *s);
void tc_server_stop(struct tc_server *s);

/* ---- following a publication over HTTP (source.c, libcurl) ------------------------------------ */
struct tc_source_stats {
    atomic_ulong polls, unchanged, failures, fetched, older, deltas;
    atomic_ullong bytes;
};
struct tc_source;
/* url: the publication's base (http or https); interval: seconds between polls of its head. */
enum tc_err tc_source_new(struct tc_source **out, const char *url, double interval,
                          struct tc_source_stats *stats);
void tc_source_free(struct tc_source *s);
void tc_source_set_stats(struct tc_source *s, struct tc_source_stats *stats);
/* Polls the head when due (or now, with force) and, when it names a bundle newer than version
 * `have`, fetches it, checks its size and SHA-256 against the head and writes it to cache.
 * Returns 1 when cache holds a new bundle to reload, 0 when nothing changed, -1 on a failure
 * (msg says what), -2 when the head offers an older bundle (msg says so; not fetched), 2 when
 * *delta holds a delta from version `have` to the head's (malloc'd; the head names it, and its
 * size and SHA-256 matched), to apply with tc_server_apply_delta. */
int tc_source_poll(struct tc_source *s, const char *cache, uint64_t have, bool force, char *msg,
                   size_t size, uint8_t **delta, size_t *delta_len);
/* After a delta failed to apply: the next poll fetches the full bundle. */
void tc_source_no_delta(struct tc_source *s);
/* Applies a delta to the bundle in use (tc_bundle_apply_delta), then as a reload does. */
enum tc_err tc_server_apply_delta(struct tc_server *s, const uint8_t *d, size_t len);
/* The server's counters for /metrics (polls, fetches, failures...). */
struct tc_source_stats *tc_server_source_stats(struct tc_server *s);
/* Logs a line about the source, and counts a refused rollback. */
void tc_server_source_note(struct tc_server *s, bool rollback, const char *msg);

#endif
