/*
 * lifecycle.c - the bundle a verifier serves, from its first load to each reload, download and
 * delta (see service.h). One install step serves them all: the new bundle must verify by this
 * verifier's clock, be newer than the one in use and be admitted by the state (versions, trust
 * list, issued_at, register consistency) and, with witnesses configured, its checkpoint must
 * carry their quorum of co-signatures, none older than the one accepted from its witness; the
 * state is written before the bundle is put in use; anything else is refused and the old bundle
 * kept.
 *
 * Following a publication, the bundle file is the cache of what was installed, and only this
 * file writes it: a download or a delta's result is written there once it has verified and the
 * state admits it, and before the state moves on, so the cache is never older than the state
 * (a restart with the publication unreachable starts from it) and never holds what was refused
 * (a hostile host cannot replace it). Written after the state instead, a crash between the two
 * would leave a cache the state refuses as a rollback.
 *
 * The bundle in use is reference counted: a request takes it, and a swap only drops the
 * lifecycle's own reference, so the old bundle is freed by whoever releases it last. `lock`
 * guards only that pointer and its counts (requests take it), while `install` serialises the
 * installers and guards the state, so that writing a large cache or fsyncing the state never
 * holds a request.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"
#include "service.h"

struct tc_held {
    struct tc_bundle *b;
    int refs;
};

struct tc_lifecycle {
    struct tc_lifecycle_config cfg;
    pthread_mutex_t lock;    /* cur and the counts of every tc_held; seen */
    pthread_mutex_t install; /* one installer at a time; st */
    struct tc_held *cur;
    struct stat seen;   /* of the bundle file, for change detection */
    struct tc_state st; /* accepted so far */
    struct tc_lifecycle_stats stats;
    char dir[4096];     /* bundle_path's directory: the index's chunk files */
    time_t retry_at;    /* a bundle file refused for a chunk is read again from then, */
    unsigned retries;   /* after 5 s doubled for each refusal in a row (at most 5 min) */
    char said_chunk[TC_CHUNK_NAME_MAX]; /* the chunk last said to be missing: said once */
};

const struct tc_bundle *tc_lifecycle_take(struct tc_lifecycle *l, struct tc_held **ref)
{
    pthread_mutex_lock(&l->lock);
    struct tc_held *h = l->cur;
    h->refs++;
    pthread_mutex_unlock(&l->lock);
    *ref = h;
    return h->b;
}

void tc_lifecycle_release(struct tc_lifecycle *l, struct tc_held *h)
{
    pthread_mutex_lock(&l->lock);
    bool last = --h->refs == 0;
    pthread_mutex_unlock(&l->lock);
    if (last) {
        tc_bundle_free(h->b);
        free(h);
    }
}

uint64_t tc_lifecycle_version(struct tc_lifecycle *l)
{
    struct tc_held *h;
    uint64_t v = tc_lifecycle_take(l, &h)->version;
    tc_lifecycle_release(l, h);
    return v;
}

const struct tc_lifecycle_stats *tc_lifecycle_stats(const struct tc_lifecycle *l)
{
    return &l->stats;
}

/* "2026-12-01T09:30:00Z", or "-" for 0 (a state from before issued_at was kept) */
static void when(char out[24], uint64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 24, "-");
}

_Static_assert(TC_CLOCK_SKEW_SECONDS == 600, "unverified() says 10 minutes");

/* Why a bundle did not verify, in words an operator can act on */
static const char *unverified(enum tc_err e)
{
    if (e == TC_ERR_NOT_AUTHORISED)
        return "its signing key is not endorsed for status publication, out of its term, or "
               "revoked (a revocation counts from this verifier's clock, not from the day the "
               "bundle claims)";
    if (e == TC_ERR_FUTURE)
        return "it is dated more than 10 minutes ahead of this verifier's clock: one of the two "
               "clocks is wrong (check time synchronisation on both); taken, it would stay "
               "fresh past the maximum age by as much";
    return tc_strerror(e);
}

/* The witnesses, when there are: b's checkpoint needs their quorum of co-signatures that verify
 * and are not older than those accepted from the same witnesses (the state). TC_ERR_REFUSED
 * (or TC_ERR_BAD_SIGNATURE for a forged line) and why; t receives the count. */
static enum tc_err witnessed(struct tc_lifecycle *l, const struct tc_bundle *b,
                             struct tc_cosig_tally *t, char *why, size_t size)
{
    const struct tc_cosigner_set *w = l->cfg.witnesses;
    uint64_t floor[TC_COSIGNERS_MAX];
    memset(t, 0, sizeof *t);
    if (!w || !w->n)
        return TC_OK;
    tc_state_cosig_floor(&l->st, w, floor);
    enum tc_err e = tc_cosigner_set_check(w, b->note, b->note_len, floor, t);
    if (e == TC_OK)
        return TC_OK;
    int n = snprintf(why, size, "its register checkpoint (%llu entries) lacks the witnesses' "
                     "quorum: ", (unsigned long long)b->checkpoint.size);
    if (n > 0 && (size_t)n < size)
        tc_cosig_tally_explain(w, t, why + n, size - (size_t)n);
    l->stats.witness_refused++;
    return e == TC_ERR_BAD_SIGNATURE ? e : TC_ERR_REFUSED;
}

/* Rollback protection, before anything is written: b must not be older than what was accepted
 * (also before a restart), in version, trust list or issued_at, and its register must follow the
 * one accepted and be co-signed by the witnesses' quorum. Caller holds l->install or is opening.
 * TC_ERR_ROLLBACK (TC_ERR_REFUSED, TC_ERR_BAD_SIGNATURE: the witnesses) and why; t receives
 * the co-signatures counted. */
static enum tc_err check(struct tc_lifecycle *l, const struct tc_bundle *b,
                         struct tc_cosig_tally *tally, char *why, size_t size)
{
    const char *no = tc_state_admits(&l->st, b, l->cfg.min_trust_list);
    if (no) {
        char t[24], t0[24];
        when(t, b->issued_at), when(t0, l->st.bundle_issued_at);
        snprintf(why, size,
                 "%s: bundle %llu with trust list %llu issued %s, accepted before: bundle %llu, "
                 "trust list %llu issued %s",
                 no, (unsigned long long)b->version, (unsigned long long)b->tl->version, t,
                 (unsigned long long)l->st.bundle_version,
                 (unsigned long long)l->st.trust_list_version, t0);
        l->stats.rollbacks++;
        return TC_ERR_ROLLBACK;
    }
    struct tc_reg_source tiles;
    struct tc_tile_reader *tr = NULL;
    if (l->cfg.register_dir &&
        tc_tile_reader_open(l->cfg.register_dir, b->checkpoint.size, &tr) == TC_OK)
        tiles = tc_tile_reader_source(tr);
    no = tc_state_admits_register(&l->st, b, tr ? &tiles : NULL, why, size);
    tc_tile_reader_close(tr);
    if (no) {
        l->stats.rollbacks++;
        l->stats.register_refused++;
        return TC_ERR_ROLLBACK;
    }
    return witnessed(l, b, tally, why, size);
}

/* The state moves on to b (checked) and is written before b is used. TC_ERR_IO and why. */
static enum tc_err commit(struct tc_lifecycle *l, const struct tc_bundle *b,
                          const struct tc_cosig_tally *t, char *why, size_t size)
{
    struct tc_state next = l->st;
    tc_state_advance(&next, b);
    if (l->cfg.witnesses)
        tc_state_cosig_advance(&next, l->cfg.witnesses, t);
    int err = 0;
    if (memcmp(&next, &l->st, sizeof next) != 0 &&
        tc_state_save(l->cfg.state_dir, b->tl->root_kid, b->profile.code, &next, &err) != TC_OK) {
        snprintf(why, size, "the state in %s could not be written: %s", l->cfg.state_dir,
                 strerror(err));
        return TC_ERR_IO;
    }
    l->st = next;
    return TC_OK;
}

/* Writes a verified, admitted bundle's bytes to the cache (atomically: a reader or a restart
 * sees the old file or the new). A failure is said and the bundle still used: revocations must
 * reach verdicts; the old cache then stays, and a restart needs the publication. */
static void write_cache(struct tc_lifecycle *l, const uint8_t *bytes, size_t len)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", l->cfg.bundle_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int err = slash ? tc_state_make_dir(dir) : 0;
    if (!err && tc_file_write(l->cfg.bundle_path, bytes, len, 0600, TC_FILE_REPLACE) != TC_OK)
        err = errno ? errno : EIO;
    struct stat st;
    if (err) {
        tc_http_say(l->cfg.log, l->cfg.log_ctx,
                       "the cache %s could not be written (%s): a restart while the publication "
                       "is unreachable would find an older bundle there",
                       l->cfg.bundle_path, strerror(err));
    } else if (stat(l->cfg.bundle_path, &st) == 0) {
        pthread_mutex_lock(&l->lock);
        l->seen = st; /* written here: nothing to reload */
        pthread_mutex_unlock(&l->lock);
    }
}

/* Puts b in use if it was had (had: TC_OK), is newer than the bundle in use and the state admits
 * it; bytes (NULL: b came from the bundle file) are its file, written to the cache first. Else
 * frees b. why (of size) says why not. */
static enum tc_err install(struct tc_lifecycle *l, enum tc_err had, struct tc_bundle *b,
                           const uint8_t *bytes, size_t len, char *why, size_t size)
{
    if (had != TC_OK) {
        snprintf(why, size, "%s", unverified(had));
        tc_bundle_free(b);
        return had;
    }
    enum tc_err e = TC_OK;
    struct tc_held *h = NULL, *old = NULL;
    struct tc_cosig_tally t;
    pthread_mutex_lock(&l->install);
    if (b->version <= l->cur->b->version) { /* cur changes only under install */
        snprintf(why, size, "not newer than the one in use");
        e = TC_ERR_ROLLBACK;
    } else if ((e = check(l, b, &t, why, size)) == TC_OK) {
        if (bytes)
            write_cache(l, bytes, len);
        if (!(h = calloc(1, sizeof *h))) {
            snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
            e = TC_ERR_NOMEM;
        } else if ((e = commit(l, b, &t, why, size)) != TC_OK) {
            free(h);
        } else {
            h->b = b, h->refs = 1;
            b = NULL;
            pthread_mutex_lock(&l->lock);
            old = l->cur;
            l->cur = h;
            pthread_mutex_unlock(&l->lock);
        }
    }
    pthread_mutex_unlock(&l->install);
    if (old)
        tc_lifecycle_release(l, old);
    tc_bundle_free(b);
    return e;
}

/* Keeps a chunk file beside the bundle (a download or a delta's result): its name is its hash, so
 * a file already there is the same. A failure is said: the chunk is fetched again when needed. */
static void keep_chunk(struct tc_lifecycle *l, const uint8_t sha256[32], const uint8_t *bytes,
                       size_t len)
{
    char name[TC_CHUNK_NAME_MAX], path[4200];
    tc_chunk_name(sha256, name);
    snprintf(path, sizeof path, "%s/%s", l->dir, name);
    int err = tc_state_make_dir(l->dir);
    if (!err && tc_file_write(path, bytes, len, 0600, TC_FILE_REPLACE) != TC_OK)
        err = errno ? errno : EIO;
    if (err)
        tc_http_say(l->cfg.log, l->cfg.log_ctx, "the index chunk %s could not be kept (%s)",
                       path, strerror(err));
}

/* The chunk source of this verifier's bundles: the file beside the bundle when its hash is the
 * one asked for, else (following a publication) the source's, kept once its hash is right. A
 * chunk that cannot be had that way is TC_ERR_NOT_FOUND: tried again later, never a verdict. */
static enum tc_err chunk_get(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len)
{
    struct tc_lifecycle *l = ctx;
    uint8_t h[32];
    enum tc_err e = tc_chunk_dir_get(l->dir, sha256, bytes, len);
    if (e == TC_OK) {
        crypto_hash_sha256(h, *bytes, *len);
        if (sodium_memcmp(h, sha256, 32) == 0 || !l->cfg.fetch.get)
            return TC_OK; /* a damaged file without a source: the reader refuses it */
        free(*bytes), *bytes = NULL, *len = 0; /* damaged: fetched again and replaced */
    } else if (e == TC_ERR_NOMEM || !l->cfg.fetch.get) {
        return e;
    } /* missing, too large, unreadable: fetched again */
    if (l->cfg.fetch.get(l->cfg.fetch.ctx, sha256, bytes, len) != TC_OK)
        return TC_ERR_NOT_FOUND;
    crypto_hash_sha256(h, *bytes, *len);
    if (sodium_memcmp(h, sha256, 32) != 0) {
        free(*bytes), *bytes = NULL, *len = 0;
        return TC_ERR_NOT_FOUND;
    }
    keep_chunk(l, sha256, *bytes, *len);
    return TC_OK;
}

/* Reads the bundle file into *buf; *st is what the file was before it was read (a file that
 * changes while it is read is read again at the next poll). */
static enum tc_err read_file(struct tc_lifecycle *l, uint8_t **buf, size_t *len, struct stat *st)
{
    if (stat(l->cfg.bundle_path, st) != 0)
        memset(st, 0, sizeof *st);
    return tc_file_read(l->cfg.bundle_path, TC_BUNDLE_MAX_BYTES, buf, len);
}

/* Verifies a bundle by this verifier's own clock: a key revoked by now signs nothing, whatever
 * day the bundle claims. */
static enum tc_err parse(struct tc_lifecycle *l, const uint8_t *in, size_t len,
                         struct tc_bundle **out)
{
    struct tc_chunk_source src = {chunk_get, l, ""};
    enum tc_err e = tc_bundle_parse_from(in, len, l->cfg.root_pk, (uint64_t)time(NULL), &src, out);
    /* said once for each chunk in a row, not at every retry */
    if (e != TC_OK && src.failed[0] && strcmp(src.failed, l->said_chunk) != 0)
        tc_http_say(
            l->cfg.log, l->cfg.log_ctx, "the index chunk %s: %s", src.failed,
            e != TC_ERR_NOT_FOUND ? "not the one the bundle names (altered or damaged)"
            : l->cfg.fetch.get    ? "neither in the cache nor at the source yet (tried again later)"
                                  : "not found beside the bundle (tried again later)");
    snprintf(l->said_chunk, sizeof l->said_chunk, "%s", e != TC_OK ? src.failed : "");
    return e;
}

/* Logs what an install did; counts it as a reload. */
static void said(struct tc_lifecycle *l, enum tc_err e, const char *what, uint64_t have,
                 uint64_t version, const char *why)
{
    if (e == TC_OK) {
        l->stats.reloads_ok++;
        tc_http_say(l->cfg.log, l->cfg.log_ctx, "%s: version %llu", what,
                       (unsigned long long)version);
    } else {
        l->stats.reloads_refused++;
        tc_http_say(l->cfg.log, l->cfg.log_ctx, "bundle refused, keeping version %llu: %s",
                       (unsigned long long)have, why);
    }
}

enum tc_err tc_lifecycle_reload(struct tc_lifecycle *l)
{
    struct tc_bundle *b = NULL;
    struct stat st;
    char why[1024];
    uint8_t *buf = NULL;
    size_t len = 0;
    enum tc_err e = read_file(l, &buf, &len, &st);
    if (e == TC_OK)
        e = parse(l, buf, len, &b);
    free(buf);
    pthread_mutex_lock(&l->lock);
    l->seen = st; /* a bad file is not retried until it changes again, */
    /* but one that names a chunk not there yet (files may arrive in any order), or is dated ahead
     * of this clock (the same bytes are good once the clocks agree), is, in 5 s */
    if ((l->said_chunk[0] || e == TC_ERR_FUTURE) && st.st_size) {
        time_t wait = (time_t)5 << l->retries;
        l->retry_at = time(NULL) + (wait < 300 ? wait : 300);
        l->retries += l->retries < 6; /* 5 s, 10 s, ... 160 s, then 5 min */
    } else {
        l->retry_at = 0, l->retries = 0;
    }
    pthread_mutex_unlock(&l->lock);
    uint64_t have = tc_lifecycle_version(l), version = b ? b->version : 0;
    e = install(l, e, b, NULL, 0, why, sizeof why);
    said(l, e, "bundle reloaded", have, version, why);
    return e;
}

enum tc_err tc_lifecycle_install(struct tc_lifecycle *l, const uint8_t *bundle, size_t len)
{
    struct tc_bundle *b = NULL;
    char why[1024];
    enum tc_err e = parse(l, bundle, len, &b);
    uint64_t have = tc_lifecycle_version(l), version = b ? b->version : 0;
    e = install(l, e, b, bundle, len, why, sizeof why);
    said(l, e, "bundle installed", have, version, why);
    return e;
}

enum tc_err tc_lifecycle_apply_delta(struct tc_lifecycle *l, const uint8_t *d, size_t len)
{
    struct tc_held *cur;
    struct tc_bundle *b = NULL;
    char why[1024];
    const struct tc_bundle *in_use = tc_lifecycle_take(l, &cur);
    uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    struct tc_index_chunks ch;
    enum tc_err e = tc_bundle_apply_delta(in_use, d, len, l->cfg.root_pk, (uint64_t)time(NULL), &b,
                                          &bytes, &bytes_len, &ch);
    uint64_t have = in_use->version, version = b ? b->version : 0;
    tc_lifecycle_release(l, cur);
    /* the chunks the result adds, beside the cache before the bundle that names them */
    for (size_t k = ch.first_new; e == TC_OK && k < ch.n; k++)
        keep_chunk(l, ch.sha[k], ch.bytes[k - ch.first_new], ch.len[k - ch.first_new]);
    tc_index_chunks_free(&ch);
    /* the full bundle's bytes go to the cache: it holds the bundle in use, not the last one
     * downloaded whole */
    if ((e = install(l, e, b, bytes, bytes_len, why, sizeof why)) == TC_OK) {
        l->stats.reloads_ok++;
        l->stats.deltas++;
        tc_http_say(l->cfg.log, l->cfg.log_ctx,
                       "bundle updated by a delta: version %llu -> %llu (%zu bytes)",
                       (unsigned long long)have, (unsigned long long)version, len);
    } else {
        tc_http_say(l->cfg.log, l->cfg.log_ctx, "delta refused, keeping version %llu: %s (%s)",
                       (unsigned long long)have, why,
                       e == TC_ERR_FUTURE ? "asked for again later" : "the full bundle is fetched");
    }
    free(bytes);
    return e;
}

void tc_lifecycle_poll_file(struct tc_lifecycle *l)
{
    struct stat st;
    if (stat(l->cfg.bundle_path, &st) != 0)
        return;
    pthread_mutex_lock(&l->lock);
    bool changed = st.st_mtim.tv_sec != l->seen.st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != l->seen.st_mtim.tv_nsec || st.st_size != l->seen.st_size ||
                   st.st_ino != l->seen.st_ino || (l->retry_at && time(NULL) >= l->retry_at);
    pthread_mutex_unlock(&l->lock);
    if (changed)
        tc_lifecycle_reload(l);
}

/* The first bundle: given (a download, written to the cache once admitted) or read from the
 * file, verified and admitted by the state; why says what failed. */
static enum tc_err first_bundle(struct tc_lifecycle *l, const uint8_t *given, size_t given_len,
                                struct tc_bundle **out, char *why, size_t size)
{
    struct tc_bundle *b = NULL;
    uint8_t *buf = NULL;
    size_t len = given_len;
    int err = 0;
    char no[1024];
    struct tc_cosig_tally t;
    const char *what = given ? "the downloaded status bundle" : "the status bundle";
    enum tc_err e = given ? TC_OK : read_file(l, &buf, &len, &l->seen);
    if (e != TC_OK || (e = parse(l, given ? given : buf, len, &b)) != TC_OK) {
        snprintf(why, size, "%s: %s", what, unverified(e));
    } else if ((e = tc_state_load(l->cfg.state_dir, b->tl->root_kid, b->profile.code, &l->st,
                                  &err)) != TC_OK) {
        snprintf(why, size, "the state in %s (%s): %s", l->cfg.state_dir,
                 e == TC_ERR_IO ? strerror(err) : "not a titlecert-verifier state file",
                 tc_strerror(e));
    } else if ((e = check(l, b, &t, no, sizeof no)) != TC_OK) {
        snprintf(why, size, "%s: %s (state in %s): %s", what, no, l->cfg.state_dir, tc_strerror(e));
    } else {
        if (given)
            write_cache(l, given, given_len);
        if ((e = commit(l, b, &t, no, sizeof no)) != TC_OK)
            snprintf(why, size, "%s", no);
    }
    free(buf);
    if (e != TC_OK) {
        tc_bundle_free(b);
        b = NULL;
    }
    *out = b;
    return e;
}

enum tc_err tc_lifecycle_open(struct tc_lifecycle **out, const struct tc_lifecycle_config *cfg,
                              const uint8_t *bundle, size_t len, char *why, size_t size)
{
    *out = NULL;
    struct tc_lifecycle *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
        return TC_ERR_NOMEM;
    }
    l->cfg = *cfg;
    tc_path_dir(cfg->bundle_path, l->dir, sizeof l->dir);
    pthread_mutex_init(&l->lock, NULL);
    pthread_mutex_init(&l->install, NULL);
    struct tc_bundle *b = NULL;
    enum tc_err e = first_bundle(l, bundle, len, &b, why, size);
    if (e == TC_OK && !(l->cur = calloc(1, sizeof *l->cur))) {
        snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
        tc_bundle_free(b);
        e = TC_ERR_NOMEM;
    }
    if (e != TC_OK) {
        tc_lifecycle_close(l);
        return e;
    }
    l->cur->b = b, l->cur->refs = 1;
    *out = l;
    return TC_OK;
}

void tc_lifecycle_close(struct tc_lifecycle *l)
{
    if (!l)
        return;
    if (l->cur)
        tc_lifecycle_release(l, l->cur);
    pthread_mutex_destroy(&l->install);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
