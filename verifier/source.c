/*
 * source.c - a verifier following a static publication over HTTP (serve --source URL): it polls
 * URL/head (the bundle's version, SHA-256 and size, and the register checkpoint) with a
 * conditional request (If-None-Match on the ETag any static server or CDN sends) every few
 * seconds; only when the head names a newer bundle does it fetch URL/bundle.cbor, check its
 * size and hash against the head, and hand it to the ordinary reload (signature, trust, rollback
 * state, register consistency) through a cache file in the state directory. A head that offers
 * an older bundle is refused without fetching it. Failures keep the bundle in use and count.
 *
 * The head is not signed: it only says what to fetch; everything fetched is verified as a file
 * bundle is. A lying head costs a download, never a verdict.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server.h"


struct tc_source {
    char url[1024];
    CURL *curl;
    char etag[256];
    double interval, next;
    struct tc_source_stats *stats;
    bool no_delta;
};

void tc_source_no_delta(struct tc_source *s)
{
    s->no_delta = true;
    s->etag[0] = '\0';
    s->next = 0;
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum tc_err tc_source_new(struct tc_source **out, const char *url, double interval,
                          struct tc_source_stats *stats)
{
    *out = NULL;
    size_t n = strlen(url);
    if (n == 0 || n >= 1000 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
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
    snprintf(s->url, sizeof s->url, "%.*s", (int)(n && url[n - 1] == '/' ? n - 1 : n), url);
    s->curl = curl_easy_init();
    s->interval = interval > 0 ? interval : 2;
    s->stats = stats;
    if (!s->curl) {
        free(s);
        return TC_ERR_NOMEM;
    }
    *out = s;
    return TC_OK;
}

void tc_source_set_stats(struct tc_source *s, struct tc_source_stats *stats)
{
    s->stats = stats;
}

void tc_source_free(struct tc_source *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    free(s);
}

/* GET url into b; *status the HTTP status (0 when the transfer failed). etag_in: sent as
 * If-None-Match; etag_out receives the response's ETag. */
static CURLcode get(struct tc_source *s, const char *url, const char *etag_in, char *etag_out,
                    struct buf *b, long *status, double timeout)
{
    CURL *c = s->curl;
    struct curl_slist *hdrs = NULL;
    char h[300];
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
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "titlecert-verifier");
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    return rc;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return 0;
}

int tc_source_poll(struct tc_source *s, const char *cache, uint64_t have, bool force, char *msg,
                   size_t size, uint8_t **delta, size_t *delta_len)
{
    msg[0] = '\0';
    if (delta)
        *delta = NULL, *delta_len = 0;
    double t = now_s();
    if (!force && t < s->next)
        return 0;
    s->next = t + s->interval;
    char url[1100], etag[256];
    struct buf b = {0};
    b.max = TC_HEAD_MAX_BYTES;
    long status;
    snprintf(url, sizeof url, "%s/head", s->url);
    s->stats->polls++;
    CURLcode rc = get(s, url, force ? NULL : s->etag, etag, &b, &status, 5);
    if (rc != CURLE_OK || (status != 200 && status != 304)) {
        s->stats->failures++;
        snprintf(msg, size, "%s: %s", url, rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP error");
        if (rc == CURLE_OK)
            snprintf(msg + strlen(msg), size - strlen(msg), " %ld", status);
        free(b.p);
        return -1;
    }
    s->stats->bytes += b.len;
    if (status == 304) {
        s->stats->unchanged++;
        free(b.p);
        return 0;
    }
    struct tc_head head;
    bool ok = tc_head_parse((const char *)b.p, b.len, &head) == TC_OK;
    free(b.p);
    uint64_t version = head.version, bytes = head.bytes, dfrom = head.delta_from;
    uint64_t dbytes = head.delta_bytes;
    bool has_delta = head.has_delta;
    const uint8_t *sha = head.sha256, *dsha = head.delta_sha256;
    if (!ok) {
        s->stats->failures++;
        snprintf(msg, size, "%s: not a titlecert head", url);
        return -1;
    }
    if (version == have) {
        snprintf(s->etag, sizeof s->etag, "%s", etag);
        return 0;
    }
    if (version < have) {
        snprintf(s->etag, sizeof s->etag, "%s", etag); /* said once per head */
        s->stats->older++;
        snprintf(msg, size, "%s offers bundle version %" PRIu64 ", older than version %" PRIu64
                 " in use: refused (a rollback), not fetched", url, version, have);
        return -2;
    }
    if (bytes > TC_BUNDLE_MAX_BYTES) {
        s->stats->failures++;
        snprintf(msg, size, "%s names a bundle of %" PRIu64 " bytes, over the limit", url, bytes);
        return -1;
    }
    /* a delta from the version in use: a few hundred bytes instead of the bundle */
    if (delta && has_delta && dfrom == have && have > 0 && !s->no_delta && dbytes <= TC_DELTA_MAX_BYTES) {
        struct buf db = {0};
        db.max = (size_t)dbytes;
        uint8_t dh[32];
        snprintf(url, sizeof url, "%s/delta-%" PRIu64 ".cbor", s->url, dfrom);
        rc = get(s, url, NULL, NULL, &db, &status, 30);
        if (rc == CURLE_OK && status == 200 && db.len == dbytes &&
            (crypto_hash_sha256(dh, db.p, db.len), sodium_memcmp(dh, dsha, 32) == 0)) {
            s->stats->bytes += db.len;
            snprintf(s->etag, sizeof s->etag, "%s", etag);
            *delta = db.p, *delta_len = db.len;
            snprintf(msg, size, "fetched the delta %" PRIu64 " -> %" PRIu64 " (%zu bytes) from %s",
                     dfrom, version, db.len, s->url);
            return 2;
        }
        free(db.p); /* the full bundle, then */
    }
    s->no_delta = false;
    struct buf body = {0};
    body.max = (size_t)bytes;
    snprintf(url, sizeof url, "%s/bundle.cbor", s->url);
    rc = get(s, url, NULL, NULL, &body, &status, 120);
    uint8_t h[32];
    if (rc != CURLE_OK || status != 200 || body.len != bytes ||
        (crypto_hash_sha256(h, body.p, body.len), sodium_memcmp(h, sha, 32) != 0)) {
        s->stats->failures++;
        snprintf(msg, size, "%s: %s (the head names version %" PRIu64 ", %" PRIu64 " bytes; a "
                 "publication in progress is fetched again at the next poll)", url,
                 rc != CURLE_OK ? curl_easy_strerror(rc)
                 : status != 200 ? "HTTP error"
                                 : "its size or SHA-256 is not the head's",
                 version, bytes);
        free(body.p);
        return -1;
    }
    s->stats->fetched++;
    s->stats->bytes += body.len;
    enum tc_err e = mkdirs(cache) == 0 ? tc_file_write(cache, body.p, body.len, 0600, TC_FILE_REPLACE)
                                       : TC_ERR_IO;
    free(body.p);
    if (e != TC_OK) {
        s->stats->failures++;
        snprintf(msg, size, "%s: %s", cache, strerror(errno));
        return -1;
    }
    snprintf(s->etag, sizeof s->etag, "%s", etag);
    snprintf(msg, size, "fetched bundle version %" PRIu64 " (%" PRIu64 " bytes) from %s", version,
             bytes, s->url);
    return 1;
}
