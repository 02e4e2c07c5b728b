/*
 * service.h - the verifier as a service (library tc_verifier_service): the HTTP API and page on
 * the shared HTTP layer (server.c), the bundle in use and its reloads (lifecycle.c), what was
 * accepted across restarts (state.c), following a publication over HTTP (source.c, libcurl),
 * QR codes in uploaded images (image.c, imagepool.c: libpng, libjpeg, zbar) and the checks of
 * what a client asks (request.c). The verdicts themselves are the engine's (verifier.h).
 *
 * Paths (ARCHITECTURE.md): POST /api/v1/verify, POST /api/v1/verify-image,
 * GET /api/v1/units/{uscc}, GET /api/v1/units?q=..., GET /api/v1/register/checkpoint,
 * GET /api/v1/register/proof/{id}, GET /healthz, GET /metrics, GET / and /v (the page).
 *
 * Below the program nothing prints: what the service has to say goes to the log callback the
 * program gives (one sentence a call, no newline).
 */
#ifndef TC_SERVICE_H
#define TC_SERVICE_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>

#include "verifier.h"

/* What the service has to say, a message a call (tc_http_say formats one). */
typedef void tc_service_log(void *ctx, const char *msg);

/* ---- what a client asks (request.c) ---------------------------------------------------------- */
/* The body of POST /api/v1/verify: {"payload": "...", "unit": "USCC", "at": "YYYY-MM-DD"}, unit
 * and at optional, nothing else (a "lang" member is tolerated and ignored). */
#define TC_VERIFY_BODY_MAX (8u << 10)
struct tc_verify_request {
    char payload[TC_LINK_MAX + 1];
    char unit[TC_USCC_LEN + 1]; /* "" when absent */
    bool has_at;
    int32_t at;
};
/* Request inputs, checked the same way on every path (JSON body, query string, command line):
 * a unit code is trimmed (ASCII and full-width spaces) and upper-cased, then must be 18 characters
 * of the USCC alphabet; a day is trimmed and must be YYYY-MM-DD. Each returns NULL when the input
 * is good, else a stable error code ("bad_unit", "bad_date") and *msg a sentence. */
const char *tc_unit_normalise(const char *in, char out[TC_USCC_LEN + 1], const char **msg);
const char *tc_day_input(const char *in, int32_t *day, const char **msg);
/* GB 32100: a unit code whose check character is wrong and which the directory does not hold is a
 * typing error (the directory keeps early pilot codes that fail the check), never a unit a title
 * is not valid at. Returns "unit_code_invalid" (and *msg) or NULL. */
const char *tc_unit_code_check(const struct tc_bundle *b, const char *uscc, const char **msg);
/* Parses a request body strictly. On failure *code is a stable error code ("bad_json",
 * "bad_request", "bad_unit", "bad_date", "too_large") and *msg a sentence. A body of the common
 * shape (the known members, each once, plain strings without escapes) is read without building
 * a tree; any other body goes to tc_verify_request_parse_tree, which refuses what it must: the
 * answer is the tree reader's in every case (fuzz_http_json checks that the two agree). On
 * failure out may hold part of what was read. */
enum tc_err tc_verify_request_parse(const char *body, size_t len, struct tc_verify_request *out,
                                    const char **code, const char **msg);
/* The same with jansson (duplicate keys refused, nothing but the known members): the reference. */
enum tc_err tc_verify_request_parse_tree(const char *body, size_t len,
                                         struct tc_verify_request *out, const char **code,
                                         const char **msg);

/* ---- QR codes in images (image.c) ------------------------------------------------------------ */
/* Finds a QR code in a PNG or JPEG image and returns its text (malloc'd) in *text. TC_ERR_TYPE for
 * other formats, TC_ERR_NOT_FOUND when the image holds none; TC_ERR_SIZE_LIMIT over
 * TC_IMAGE_MAX_BYTES, the pixel limit or (JPEG) the scan limit; TC_ERR_TIMEOUT past the
 * deadline. The pixel limit is sized for phone photos of a QR code (12 Mpx is common, 16 Mpx
 * the most a phone writes by default); images over TC_IMAGE_SCAN_PIXELS are scaled down before
 * the QR is looked for (JPEG by libjpeg's DCT scaling, PNG by averaging). */
#define TC_IMAGE_MAX_BYTES (8u << 20)
#define TC_IMAGE_MAX_PIXELS (16u << 20)
#define TC_IMAGE_MAX_SCANS 64 /* a progressive JPEG has about 10 scans */
#define TC_IMAGE_SCAN_PIXELS (4u << 20)
struct tc_image_limits {
    uint64_t max_pixels;  /* default TC_IMAGE_MAX_PIXELS */
    int max_scans;        /* default TC_IMAGE_MAX_SCANS */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC nanoseconds; 0: none */
};
enum tc_err tc_image_decode_qr_limited(const uint8_t *img, size_t len,
                                       const struct tc_image_limits *lim, char **text);
enum tc_err tc_image_decode_qr(const uint8_t *img, size_t len, char **text);
/* CLOCK_MONOTONIC now, in nanoseconds */
uint64_t tc_monotonic_ns(void);

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

/* ---- what this verifier has accepted, across restarts (state.c) ----------------------------- */
#define TC_STATE_COSIGS 32 /* witnesses whose latest co-signature time is kept */
struct tc_state {
    uint64_t bundle_version;     /* the highest bundle version accepted */
    uint64_t trust_list_version; /* the highest trust-list version seen in an accepted bundle */
    uint64_t bundle_issued_at;   /* the latest issued_at accepted (0: none known) */
    /* the register checkpoint accepted (A3): a newer one must be proved consistent with it */
    char origin[TC_REG_ORIGIN_MAX + 1];
    uint64_t register_size;
    uint8_t register_root[TC_REG_HASH];
    /* the latest co-signature accepted from each witness (its name and key id): a checkpoint's
     * co-signature older than it does not count (times never go back). Written only once there
     * is one, so that a verifier without witnesses writes the file it always wrote. */
    struct tc_state_cosig {
        char name[TC_REG_ORIGIN_MAX + 1];
        uint32_t key_id;
        uint64_t time;
    } cosig[TC_STATE_COSIGS];
    size_t n_cosig;
};
/* The default state directory: $STATE_DIRECTORY (systemd), else /var/lib/titlecert-verifier for
 * root, else $XDG_STATE_HOME or ~/.local/state, /titlecert-verifier. NULL when none applies. */
const char *tc_state_default_dir(char *buf, size_t size);
/* mkdir -p: dir and its missing parents, mode 0700. 0 or errno. */
int tc_state_make_dir(const char *dir);
/* Reads the state for a root key and province from dir (no file: all zero; a file written before
 * bundle_issued_at was kept: that field 0). *err is errno on TC_ERR_IO; TC_ERR_INCONSISTENT for a
 * file that is not a state file. */
enum tc_err tc_state_load(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, struct tc_state *st, int *err);
/* Writes it atomically (temporary file, fsync, rename, directory fsync), mode 0600. */
enum tc_err tc_state_save(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, const struct tc_state *st, int *err);
/* NULL when bundle b may be accepted after st (and the --min-trust-list floor), else why not: a
 * lower bundle or trust-list version, or an issued_at before the one accepted. */
const char *tc_state_admits(const struct tc_state *st, const struct tc_bundle *b,
                            uint64_t min_trust_list);
/* NULL when b's register checkpoint may follow the one in st: same origin, not smaller, the same
 * root at the same size, or an RFC 9162 consistency proof from st's size, taken from the bundle
 * or, when tiles is not NULL, computed from the published tiles (and checked against both
 * roots, so tiles need no trust). Else why not, in why (a buffer of size). */
const char *tc_state_admits_register(const struct tc_state *st, const struct tc_bundle *b,
                                     const struct tc_reg_source *tiles, char *why, size_t size);
/* st updated to what b brings (versions, issued_at and checkpoint). */
void tc_state_advance(struct tc_state *st, const struct tc_bundle *b);
/* The time accepted from each witness of set (0: none yet), for tc_cosigner_set_check. */
void tc_state_cosig_floor(const struct tc_state *st, const struct tc_cosigner_set *set,
                          uint64_t floor[TC_COSIGNERS_MAX]);
/* st updated to the co-signatures t counted (their times; a witness new to st is added while
 * there is room). */
void tc_state_cosig_advance(struct tc_state *st, const struct tc_cosigner_set *set,
                            const struct tc_cosig_tally *t);

/* ---- the bundle in use (lifecycle.c) --------------------------------------------------------- */
/* The bundle in use is reference counted. A reload (SIGHUP, the file changing), a download or a
 * delta verifies the new bundle off the request path and swaps the pointer under a lock; requests
 * already running finish on the bundle they took, and no request ever sees none. Every bundle is
 * verified by this verifier's clock (tc_bundle_parse_at with the time now: a publication key
 * revoked by now signs nothing, whatever day its bundle claims). A bundle that does not verify,
 * is not newer, or that the state does not admit (an older bundle, trust list or issued_at, a
 * register that does not follow) is refused and the old one kept; the state is written before a
 * bundle is used.
 *
 * Following a publication, bundle_path is the cache: downloads and the full bundles deltas stand
 * for are written there (atomically, 0600) once verified and admitted and before the state moves
 * on, so it always holds the bundle in use (or, after a failed write, which is logged, the one
 * before), never one that was refused. The lifecycle writes nothing else. */
struct tc_lifecycle_config {
    const char *bundle_path;    /* serve --bundle FILE, or the cache of serve --source */
    uint8_t root_pk[TC_PK_BYTES];
    const char *state_dir;      /* where the accepted versions are kept (tc_state_*) */
    const char *register_dir;   /* the published tiles, for consistency proofs; NULL: none */
    uint64_t min_trust_list;    /* refuse bundles embedding an older trust list */
    tc_service_log *log;        /* reloads and refusals; may be NULL */
    void *log_ctx;
    /* the witnesses whose co-signatures a checkpoint needs, with the quorum (register.h): a
     * bundle (a file, a download, a delta's result, the cache) whose checkpoint has fewer than
     * the quorum of valid co-signatures, not older than those accepted, is refused. NULL or
     * none: no co-signature is required (as before witnesses). */
    const struct tc_cosigner_set *witnesses;
    /* the index's chunk files (publication.h) are read beside bundle_path; when one is not
     * there, following a publication, fetch.get has it (tc_source_chunk), and once its hash is
     * the one the verified bundle names it is kept there. get NULL: nothing is fetched. */
    struct tc_chunk_source fetch;
};
struct tc_lifecycle_stats {
    atomic_ulong reloads_ok, reloads_refused;
    atomic_ulong rollbacks;        /* bundles the state refused (older, or a register that does
                                    * not follow) */
    atomic_ulong register_refused; /* of which: the register checkpoint did not follow (A3) */
    atomic_ulong deltas;           /* updates made by a delta */
    atomic_ulong witness_refused;  /* bundles whose checkpoint lacked the witnesses' quorum */
};
struct tc_lifecycle;
struct tc_held; /* a reference to a bundle, from tc_lifecycle_take */
/* Starts with bundle[0..len) when bundle is not NULL (a download: written to bundle_path once
 * verified and admitted), else with the file at bundle_path; verified and checked against the
 * state (no rollback). On failure why (a buffer of size) says what failed and why. */
enum tc_err tc_lifecycle_open(struct tc_lifecycle **out, const struct tc_lifecycle_config *cfg,
                              const uint8_t *bundle, size_t len, char *why, size_t size);
void tc_lifecycle_close(struct tc_lifecycle *l);
/* The bundle in use; it stays valid until tc_lifecycle_release(l, *ref). */
const struct tc_bundle *tc_lifecycle_take(struct tc_lifecycle *l, struct tc_held **ref);
void tc_lifecycle_release(struct tc_lifecycle *l, struct tc_held *ref);
uint64_t tc_lifecycle_version(struct tc_lifecycle *l);
/* Reloads the bundle file now; refused (old kept, logged) unless it verifies and is newer:
 * TC_ERR_ROLLBACK when the state does not admit it or it is not newer. */
enum tc_err tc_lifecycle_reload(struct tc_lifecycle *l);
/* Reloads when the bundle file changed since it was last read (not for a cache: the lifecycle
 * writes it). */
void tc_lifecycle_poll_file(struct tc_lifecycle *l);
/* Installs a downloaded bundle (bundle[0..len), the caller's) as a reload does, and writes it to
 * the cache before it is used; refused (logged, cache untouched) otherwise. */
enum tc_err tc_lifecycle_install(struct tc_lifecycle *l, const uint8_t *bundle, size_t len);
/* Applies a delta to the bundle in use (tc_bundle_apply_delta), then installs the full bundle it
 * stands for as tc_lifecycle_install does (the cache receives the full bundle's bytes). */
enum tc_err tc_lifecycle_apply_delta(struct tc_lifecycle *l, const uint8_t *d, size_t len);
const struct tc_lifecycle_stats *tc_lifecycle_stats(const struct tc_lifecycle *l);

/* ---- following a publication over HTTP (source.c, libcurl) ---------------------------------- */
/* A tc_chunk_source.get over the source ctx: URL/index-<hex>.cbor, at most
 * TC_INDEX_CHUNK_MAX_BYTES, its SHA-256 the one named. */
enum tc_err tc_source_chunk(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len);
/* Every transfer is bounded: a connection within TC_SOURCE_CONNECT_MS, at least
 * TC_SOURCE_LOW_SPEED bytes a second over any TC_SOURCE_LOW_SPEED_S seconds, and in all
 * TC_SOURCE_BASE_MS plus the time the named size takes at TC_SOURCE_MIN_RATE bytes a second. A
 * source that drips is abandoned, never waited for; tc_source_abort ends a transfer at once. */
#define TC_SOURCE_CONNECT_MS 2000L
#define TC_SOURCE_LOW_SPEED 1024L
#define TC_SOURCE_LOW_SPEED_S 10L
#define TC_SOURCE_BASE_MS 10000L
#define TC_SOURCE_MIN_RATE (128u << 10)
struct tc_source_stats {
    atomic_ulong polls, unchanged, failures, fetched, older;
    atomic_ullong bytes;
};
struct tc_source;
/* Whether url can be followed: http:// or https://, under 1000 bytes. */
bool tc_source_url_ok(const char *url);
/* url: the publication's base (tc_source_url_ok); interval: seconds between polls of its head. */
enum tc_err tc_source_new(struct tc_source **out, const char *url, double interval);
void tc_source_free(struct tc_source *s);
const struct tc_source_stats *tc_source_stats(const struct tc_source *s);
enum tc_source_result {
    TC_SOURCE_UNCHANGED, /* nothing newer, or not due yet */
    TC_SOURCE_BUNDLE,    /* *data holds the newer bundle the head names (malloc'd; its size and
                          * SHA-256 matched the head's): tc_lifecycle_install */
    TC_SOURCE_DELTA,     /* *data holds a delta from version `have` to the head's (malloc'd; its
                          * size and SHA-256 matched the head's): tc_lifecycle_apply_delta */
    TC_SOURCE_FAILED,    /* msg says what; the next poll tries again */
    TC_SOURCE_OLDER,     /* the head offers an older bundle: refused (a rollback), not fetched */
};
/* Polls the head when due (or now, with force) and, when it names a bundle newer than version
 * `have`, fetches the delta from `have` when the head names one (and have is not 0), else the
 * bundle. Nothing is written: what is fetched is only checked against the head, which is not
 * signed, and must be verified before it is used. msg (of size) says what happened, "" when
 * nothing did. One thread at a time polls a source. */
enum tc_source_result tc_source_poll(struct tc_source *s, uint64_t have, bool force, char *msg,
                                     size_t size, uint8_t **data, size_t *data_len);
/* The next poll fetches the full bundle, even for a head already seen (after a delta or a
 * download failed to install). */
void tc_source_no_delta(struct tc_source *s);
/* A bundle that could not be installed for want of an index chunk the source did not have (yet):
 * the same head is fetched again, not at once but after the poll interval doubled for each such
 * failure in a row (at most 64 ×, and at most 60 s unless the interval is longer);
 * tc_source_installed ends the run. */
void tc_source_retry_later(struct tc_source *s);
void tc_source_installed(struct tc_source *s);
/* Ends the transfer in progress and every later one (TC_SOURCE_FAILED); any thread may call it,
 * e.g. to stop the thread that polls. */
void tc_source_abort(struct tc_source *s);

/* ---- the service (server.c) ----------------------------------------------------------------- */
struct tc_service_config {
    struct sockaddr_in addr;  /* 127.0.0.1 by default */
    const char *bundle_path;  /* with source_url: the cache of the bundle in use */
    uint8_t root_pk[TC_PK_BYTES];
    const char *web_dir;      /* index.html, app.js, style.css */
    uint64_t max_age;         /* seconds a bundle stays fresh (0: its profile's, e.g. 7 days) */
    bool stale_ok;            /* past it, answer with a status_stale note instead of 503 */
    const char *state_dir;    /* where the accepted versions are kept (tc_state_*) */
    const char *register_dir; /* the published register (tiles), for proofs; NULL: none */
    const char *source_url;   /* serve --source: the publication followed over HTTP, or NULL */
    double poll_interval;     /* seconds between polls of its head (0: 2) */
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
    FILE *access_log;         /* NULL: none (the caller opens and closes it) */
    tc_service_log *log;      /* what the service has to say; may be NULL */
    void *log_ctx;
    const struct tc_cosigner_set *witnesses; /* as in tc_lifecycle_config; NULL: none */
};

/* The checks a person can act on, made before the service starts: the page files are readable
 * in web_dir and the listening address is free. NULL, or why not (a sentence in why). */
const char *tc_service_preflight(const struct tc_service_config *cfg, char *why, size_t size);
struct tc_service;
/* Blocks the signals tc_service_run waits for (before any thread starts), loads and verifies the
 * bundle and checks it against the state (no rollback), reads the page, starts the image threads
 * and listens. Following a publication, the bundle is the cache when it verifies and the state
 * admits it (a replica restarted with the publication down serves it, up to its maximum age),
 * and the publication is polled at once on a thread of its own; without a usable cache the
 * current bundle is fetched first. On failure why (a buffer of size) says what failed and why. */
enum tc_err tc_service_start(struct tc_service **s, const struct tc_service_config *cfg,
                             char *why, size_t size);
uint64_t tc_service_bundle_version(struct tc_service *s);
/* Serves until SIGINT or SIGTERM: reloads the bundle on SIGHUP and when its file changes (or,
 * following a publication, polls it now on SIGHUP), writes the access log every tick. The
 * publication is followed on its own thread, so that a slow source never delays a signal. */
void tc_service_run(struct tc_service *s);
/* Stops following the publication (a transfer in progress is aborted), the image threads, then
 * the listener, whose access log is flushed. NULL is ignored. */
void tc_service_stop(struct tc_service *s);

#endif
