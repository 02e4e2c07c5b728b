/*
 * source.c - a verifier following a static publication over HTTP (serve --source URL): it polls
 * URL/head (the bundle's version, SHA-256 and size, and the register checkpoint) with a
 * conditional request (If-None-Match on the ETag any static server or CDN sends) every few
 * seconds; only when the head names a newer bundle does it fetch URL/delta-<V>.cbor or
 * URL/bundle.cbor, check its size and hash against the head, and hand it in memory to the
 * lifecycle, which verifies it (signature, trust, rollback state, register consistency) and only
 * then writes it to the cache. A head that offers an older bundle is refused without fetching it.
 * Failures keep the bundle in use and count.
 *
 * The head is not signed: it only says what to fetch; everything fetched is verified as a file
 * bundle is. A lying head costs a download, never a verdict, and never the cache.
 *
 * A source may be slow or hostile: every transfer has a connection timeout, a low-speed limit
 * and an overall limit from the size the head names, and tc_source_abort ends one at once (the
 * progress callback sees the flag), so the thread that polls can always be stopped.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "service.h"

struct tc_source {
    char url[1024];
    CURL *curl;
    char etag[256];
    double interval, next;
    struct tc_source_stats stats;
    bool no_delta;
    unsigned missed; /* bundles in a row that lacked a chunk */
    atomic_bool stop;
};

void tc_source_abort(struct tc_source *s)
{
    s->stop = true;
}

/* Called by libcurl at least once a second while a transfer runs: non-zero aborts it. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return ((struct tc_source *)ctx)->stop ? 1 : 0;
}

void tc_source_no_delta(struct tc_source *s)
{
    s->no_delta = true;
    s->etag[0] = '\0';
    s->next = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tc_source_retry_later(struct tc_source *s)
{
    s->etag[0] = '\0'; /* the same head is not "unchanged" */
    if (s->missed < 6)
        s->missed++;
    double wait = s->interval * (double)(1u << s->missed);
    double most = s->interval > 60 ? s->interval : 60;
    s->next = now_s() + (wait < most ? wait : most);
}

void tc_source_installed(struct tc_source *s)
{
    s->missed = 0;
}

const struct tc_source_stats *tc_source_stats(const struct tc_source *s)
{
    return &s->stats;
}

struct buf {
    uint8_t *p;
    size_t len, cap, max;
    bool over;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    size_t k = size * n;
    if (b->len + k > b->max) {
        b->over = true;
        return 0; /* aborts the transfer */
    }
    if (b->len + k > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + k)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        uint8_t *g = realloc(b->p, cap);
        if (!g)
            return 0;
        b->p = g, b->cap = cap;
    }
    memcpy(b->p + b->len, data, k);
    b->len += k;
    return k;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    char *etag = ctx;
    size_t k = size * n;
    if (k > 5 && strncasecmp(data, "etag:", 5) == 0) {
        size_t a = 5, e = k;
        while (a < e && (data[a] == ' ' || data[a] == '\t'))
            a++;
        while (e > a && (data[e - 1] == '\r' || data[e - 1] == '\n' || data[e - 1] == ' '))
            e--;
        if (e - a < 255) {
            memcpy(etag, data + a, e - a);
            etag[e - a] = '\0';
        }
    }
    return k;
}


bool tc_source_url_ok(const char *url)
{
    size_t n = strlen(url);
    return n > 0 && n < 1000 &&
           (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

enum tc_err tc_source_new(struct tc_source **out, const char *url, double interval)
{
    *out = NULL;
    if (!tc_source_url_ok(url))
        return TC_ERR_ARG;
    static bool once;
    if (!once) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
            return TC_ERR_INTERNAL;
        once = true;
    }
    struct tc_source *s = calloc(1, sizeof *s);
    if (!s)
        return TC_ERR_NOMEM;
    size_t n = strlen(url);
    snprintf(s->url, sizeof s->url, "%.*s", (int)(url[n - 1] == '/' ? n - 1 : n), url);
    s->curl = curl_easy_init();
    s->interval = interval > 0 ? interval : 2;
    if (!s->curl) {
        free(s);
        return TC_ERR_NOMEM;
    }
    *out = s;
    return TC_OK;
}

void tc_source_free(struct tc_source *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    free(s);
}

/* The overall limit of a transfer of `bytes` (the head's word; it is bounded by the caller) */
static long limit_ms(uint64_t bytes)
{
    return TC_SOURCE_BASE_MS + (long)(bytes * 1000 / TC_SOURCE_MIN_RATE);
}

/* GET url into b; *status the HTTP status (0 when the transfer failed). etag_in: sent as
 * If-None-Match; etag_out receives the response's ETag. */
static CURLcode get(struct tc_source *s, const char *url, const char *etag_in, char *etag_out,
                    struct buf *b, long *status, long timeout_ms)
{
    CURL *c = s->curl;
    struct curl_slist *hdrs = NULL;
    char h[300];
    *status = 0;
    if (s->stop)
        return CURLE_ABORTED_BY_CALLBACK;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    if (etag_out) {
        etag_out[0] = '\0';
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, etag_out);
    }
    if (etag_in && *etag_in) {
        snprintf(h, sizeof h, "If-None-Match: %s", etag_in);
        hdrs = curl_slist_append(hdrs, h);
    }
    hdrs = curl_slist_append(hdrs, "Cache-Control: no-cache");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, TC_SOURCE_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, TC_SOURCE_LOW_SPEED);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, TC_SOURCE_LOW_SPEED_S);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "titlecert-verifier");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    return rc;
}

/* What a failed transfer is called in the log */
static const char *failure(const struct tc_source *s, CURLcode rc)
{
    return rc == CURLE_ABORTED_BY_CALLBACK && s->stop ? "stopped" : curl_easy_strerror(rc);
}

/* GET URL/head, conditional on the ETag last seen unless force. false when there is nothing more
 * to do (*r says why: unchanged, or failed with msg); else head holds it and etag its ETag. */
static bool get_head(struct tc_source *s, bool force, struct tc_head *head, char etag[256],
                     enum tc_source_result *r, char *msg, size_t size)
{
    char url[1100];
    struct buf b = {0};
    b.max = TC_HEAD_MAX_BYTES;
    long status;
    snprintf(url, sizeof url, "%s/head", s->url);
    s->stats.polls++;
    CURLcode rc = get(s, url, force ? NULL : s->etag, etag, &b, &status, 5000);
    bool ok = false;
    *r = TC_SOURCE_FAILED;
    if (rc != CURLE_OK || (status != 200 && status != 304)) {
        s->stats.failures++;
        snprintf(msg, size, "%s: %s", url, rc != CURLE_OK ? failure(s, rc) : "HTTP error");
        if (rc == CURLE_OK)
            snprintf(msg + strlen(msg), size - strlen(msg), " %ld", status);
    } else {
        s->stats.bytes += b.len;
        if (status == 304) {
            s->stats.unchanged++;
            *r = TC_SOURCE_UNCHANGED;
        } else if (tc_head_parse((const char *)b.p, b.len, head) != TC_OK) {
            s->stats.failures++;
            snprintf(msg, size, "%s: not a titlecert head", url);
        } else {
            head->checkpoint = NULL; /* it pointed into b */
            ok = true;
        }
    }
    free(b.p);
    return ok;
}

/* url, a file the head names (the bundle or a delta): exactly `bytes` long with this SHA-256,
 * which the head gives. NULL with *data (malloc'd) when had; else why not, with *transfer true
 * when the transfer itself failed (too slow, stopped, cut) rather than the host answering with
 * something other than the file named (an error status, a longer or another file). */
static const char *get_named(struct tc_source *s, const char *url, uint64_t bytes,
                             const uint8_t sha256[32], uint8_t **data, bool *transfer)
{
    struct buf b = {0};
    b.max = (size_t)bytes;
    long status;
    uint8_t h[32];
    CURLcode rc = get(s, url, NULL, NULL, &b, &status, limit_ms(bytes));
    const char *why = NULL;
    *transfer = rc != CURLE_OK && !b.over;
    if (rc != CURLE_OK)
        why = failure(s, rc);
    else if (status != 200)
        why = "HTTP error";
    else if (b.len != bytes ||
             (crypto_hash_sha256(h, b.p, b.len), sodium_memcmp(h, sha256, 32) != 0))
        why = "its size or SHA-256 is not the head's";
    if (why)
        free(b.p);
    else
        *data = b.p;
    return why;
}

enum tc_err tc_source_chunk(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len)
{
    struct tc_source *s = ctx;
    char url[1200], name[TC_CHUNK_NAME_MAX];
    tc_chunk_name(sha256, name);
    snprintf(url, sizeof url, "%s/%s", s->url, name);
    struct buf b = {0};
    b.max = TC_INDEX_CHUNK_MAX_BYTES;
    long status;
    uint8_t h[32];
    CURLcode rc = get(s, url, NULL, NULL, &b, &status, limit_ms(TC_INDEX_CHUNK_MAX_BYTES));
    enum tc_err e = TC_OK;
    if (rc != CURLE_OK || status != 200)
        e = b.over ? TC_ERR_SIZE_LIMIT : TC_ERR_NOT_FOUND;
    else if (crypto_hash_sha256(h, b.p, b.len), sodium_memcmp(h, sha256, 32) != 0)
        e = TC_ERR_INCONSISTENT;
    if (e != TC_OK) {
        s->stats.failures++;
        free(b.p);
        return e;
    }
    s->stats.bytes += b.len;
    *bytes = b.p, *len = b.len;
    return TC_OK;
}

/* The delta the head names from the version in use, its size and SHA-256 checked: a few hundred
 * bytes instead of the bundle. TC_SOURCE_DELTA when had; TC_SOURCE_BUNDLE when the host answers
 * without it (missing, or not what the head names: the full bundle is fetched then);
 * TC_SOURCE_FAILED, with msg, when the transfer failed (too slow, stopped...): the same host would
 * not serve the bundle better, and the next poll tries again. */
static enum tc_source_result get_delta(struct tc_source *s, const struct tc_head *head,
                                       uint8_t **delta, size_t *delta_len, char *msg, size_t size)
{
    char url[1100];
    bool transfer;
    snprintf(url, sizeof url, "%s/delta-%" PRIu64 ".cbor", s->url, head->delta_from);
    const char *why = get_named(s, url, head->delta_bytes, head->delta_sha256, delta, &transfer);
    if (why && transfer) {
        s->stats.failures++;
        snprintf(msg, size, "%s: %s (fetched again at the next poll)", url, why);
        return TC_SOURCE_FAILED;
    }
    if (why)
        return TC_SOURCE_BUNDLE;
    *delta_len = (size_t)head->delta_bytes;
    s->stats.bytes += *delta_len;
    snprintf(msg, size, "fetched the delta %" PRIu64 " -> %" PRIu64 " (%zu bytes) from %s",
             head->delta_from, head->version, *delta_len, s->url);
    return TC_SOURCE_DELTA;
}

/* The bundle the head names, its size and SHA-256 checked, in *data: nothing is written until
 * the lifecycle has verified it. */
static enum tc_source_result get_bundle(struct tc_source *s, const struct tc_head *head,
                                        uint8_t **data, size_t *data_len, char *msg, size_t size)
{
    char url[1100];
    bool transfer;
    snprintf(url, sizeof url, "%s/bundle.cbor", s->url);
    const char *why = get_named(s, url, head->bytes, head->sha256, data, &transfer);
    if (why) {
        s->stats.failures++;
        snprintf(msg, size, "%s: %s (the head names version %" PRIu64 ", %" PRIu64 " bytes; a "
                 "publication in progress is fetched again at the next poll)", url, why,
                 head->version, head->bytes);
        return TC_SOURCE_FAILED;
    }
    *data_len = (size_t)head->bytes;
    s->stats.fetched++;
    s->stats.bytes += *data_len;
    snprintf(msg, size, "fetched bundle version %" PRIu64 " (%" PRIu64 " bytes) from %s",
             head->version, head->bytes, s->url);
    return TC_SOURCE_BUNDLE;
}

enum tc_source_result tc_source_poll(struct tc_source *s, uint64_t have, bool force, char *msg,
                                     size_t size, uint8_t **data, size_t *data_len)
{
    msg[0] = '\0';
    *data = NULL, *data_len = 0;
    double t = now_s();
    if (!force && t < s->next)
        return TC_SOURCE_UNCHANGED;
    s->next = t + s->interval;
    struct tc_head head;
    char etag[256];
    enum tc_source_result r;
    if (!get_head(s, force, &head, etag, &r, msg, size))
        return r;
    if (head.version < have) {
        s->stats.older++;
        snprintf(msg, size, "%s/head offers bundle version %" PRIu64 ", older than version %" PRIu64
                 " in use: refused (a rollback), not fetched", s->url, head.version, have);
        r = TC_SOURCE_OLDER; /* said once per head */
    } else if (head.version == have) {
        r = TC_SOURCE_UNCHANGED;
    } else if (head.bytes > TC_BUNDLE_MAX_BYTES) {
        s->stats.failures++;
        snprintf(msg, size, "%s/head names a bundle of %" PRIu64 " bytes, over the limit", s->url,
                 head.bytes);
        return TC_SOURCE_FAILED;
    } else if (head.has_delta && head.delta_from == have && have > 0 && !s->no_delta &&
               head.delta_bytes <= TC_DELTA_MAX_BYTES &&
               (r = get_delta(s, &head, data, data_len, msg, size)) != TC_SOURCE_BUNDLE) {
        if (r == TC_SOURCE_FAILED)
            return r;
    } else {
        s->no_delta = false;
        if ((r = get_bundle(s, &head, data, data_len, msg, size)) != TC_SOURCE_BUNDLE)
            return r;
    }
    snprintf(s->etag, sizeof s->etag, "%s", etag);
    return r;
}
