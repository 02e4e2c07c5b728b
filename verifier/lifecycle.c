/*
 * lifecycle.c - the bundle a verifier serves, from its first load to each reload and delta (see
 * service.h). One install step serves them all: the new bundle must be newer than the one in use
 * and admitted by the state (versions, trust list, register consistency), and the state is
 * written before the bundle is put in use; anything else is refused and the old bundle kept.
 *
 * The bundle in use is reference counted: a request takes it, and a swap only drops the
 * lifecycle's own reference, so the old bundle is freed by whoever releases it last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "service.h"

struct tc_held {
    struct tc_bundle *b;
    int refs;
};

struct tc_lifecycle {
    struct tc_lifecycle_config cfg;
    pthread_mutex_t lock;
    struct tc_held *cur;
    struct stat seen;   /* of the bundle file, for change detection; under lock */
    struct tc_state st; /* accepted so far; under lock */
    struct tc_lifecycle_stats stats;
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

/* Rollback protection: b must not be older than what was accepted (also before a restart); the
 * state is written before b is used. Caller holds l->lock or is opening. TC_ERR_ROLLBACK (or
 * TC_ERR_IO: the state could not be written) and why. */
static enum tc_err admit(struct tc_lifecycle *l, const struct tc_bundle *b, char *why, size_t size)
{
    const char *no = tc_state_admits(&l->st, b, l->cfg.min_trust_list);
    if (no) {
        snprintf(why, size,
                 "%s: bundle %llu with trust list %llu, accepted before: bundle %llu, "
                 "trust list %llu",
                 no, (unsigned long long)b->version, (unsigned long long)b->tl->version,
                 (unsigned long long)l->st.bundle_version,
                 (unsigned long long)l->st.trust_list_version);
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
        l->stats.register_refused++;
        return TC_ERR_ROLLBACK;
    }
    struct tc_state next = l->st;
    tc_state_advance(&next, b);
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

/* Reads and verifies the bundle file; *st is what the file was before it was read (a file that
 * changes while it is read is read again at the next poll). */
static enum tc_err load(struct tc_lifecycle *l, struct tc_bundle **out, struct stat *st)
{
    uint8_t *buf;
    size_t len;
    if (stat(l->cfg.bundle_path, st) != 0)
        memset(st, 0, sizeof *st);
    enum tc_err e = tc_file_read(l->cfg.bundle_path, TC_BUNDLE_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return e;
    e = tc_bundle_parse_at(buf, len, l->cfg.root_pk, (uint64_t)time(NULL), out);
    free(buf);
    return e;
}

/* Puts b in use if it was had (had: TC_OK), is newer than the bundle in use and the state admits
 * it; else frees it. why (of size) says why not. Takes l->lock. */
static enum tc_err install(struct tc_lifecycle *l, enum tc_err had, struct tc_bundle *b, char *why,
                           size_t size)
{
    enum tc_err e = had;
    struct tc_held *old = NULL;
    if (had != TC_OK) {
        snprintf(why, size, "%s", tc_strerror(had));
        tc_bundle_free(b);
        return had;
    }
    pthread_mutex_lock(&l->lock);
    if (b->version <= l->cur->b->version) {
        snprintf(why, size, "not newer than the one in use");
        e = TC_ERR_ROLLBACK;
    } else if ((e = admit(l, b, why, size)) != TC_OK) {
        l->stats.rollbacks++;
    } else {
        struct tc_held *h = calloc(1, sizeof *h);
        if (!h) {
            snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
            e = TC_ERR_NOMEM;
        } else {
            h->b = b, h->refs = 1;
            old = l->cur;
            l->cur = h;
            b = NULL;
        }
    }
    pthread_mutex_unlock(&l->lock);
    if (old)
        tc_lifecycle_release(l, old);
    tc_bundle_free(b);
    return e;
}

enum tc_err tc_lifecycle_reload(struct tc_lifecycle *l)
{
    struct tc_bundle *b = NULL;
    struct stat st;
    char why[512];
    enum tc_err e = load(l, &b, &st);
    pthread_mutex_lock(&l->lock);
    l->seen = st; /* a bad file is not retried until it changes again */
    uint64_t have = l->cur->b->version;
    pthread_mutex_unlock(&l->lock);
    uint64_t version = b ? b->version : 0;
    if ((e = install(l, e, b, why, sizeof why)) == TC_OK) {
        l->stats.reloads_ok++;
        tc_service_say(l->cfg.log, l->cfg.log_ctx, "bundle reloaded: version %llu",
                       (unsigned long long)version);
    } else {
        l->stats.reloads_refused++;
        tc_service_say(l->cfg.log, l->cfg.log_ctx, "bundle refused, keeping version %llu: %s",
                       (unsigned long long)have, why);
    }
    return e;
}

enum tc_err tc_lifecycle_apply_delta(struct tc_lifecycle *l, const uint8_t *d, size_t len)
{
    struct tc_held *cur;
    struct tc_bundle *b = NULL;
    char why[512];
    const struct tc_bundle *in_use = tc_lifecycle_take(l, &cur);
    uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    enum tc_err e = tc_bundle_apply_delta(in_use, d, len, l->cfg.root_pk, (uint64_t)time(NULL), &b,
                                          &bytes, &bytes_len);
    free(bytes);
    uint64_t have = in_use->version, version = b ? b->version : 0;
    tc_lifecycle_release(l, cur);
    if ((e = install(l, e, b, why, sizeof why)) == TC_OK) {
        l->stats.reloads_ok++;
        l->stats.deltas++;
        tc_service_say(l->cfg.log, l->cfg.log_ctx,
                       "bundle updated by a delta: version %llu -> %llu (%zu bytes)",
                       (unsigned long long)have, (unsigned long long)version, len);
    } else {
        tc_service_say(l->cfg.log, l->cfg.log_ctx,
                       "delta refused, keeping version %llu: %s (the full bundle is fetched)",
                       (unsigned long long)have, why);
    }
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
                   st.st_ino != l->seen.st_ino;
    pthread_mutex_unlock(&l->lock);
    if (changed)
        tc_lifecycle_reload(l);
}

/* The first bundle: read, verified and admitted by the state; why says what failed. */
static enum tc_err first_bundle(struct tc_lifecycle *l, struct tc_bundle **out, char *why,
                                size_t size)
{
    struct tc_bundle *b = NULL;
    enum tc_err e = load(l, &b, &l->seen);
    int err = 0;
    char no[512];
    if (e != TC_OK) {
        snprintf(why, size, "the status bundle: %s", tc_strerror(e));
    } else if ((e = tc_state_load(l->cfg.state_dir, b->tl->root_kid, b->profile.code, &l->st,
                                  &err)) != TC_OK) {
        snprintf(why, size, "the state in %s (%s): %s", l->cfg.state_dir,
                 e == TC_ERR_IO ? strerror(err) : "not a titlecert-verifier state file",
                 tc_strerror(e));
    } else if ((e = admit(l, b, no, sizeof no)) != TC_OK) {
        snprintf(why, size, "%s (state in %s): %s", no, l->cfg.state_dir, tc_strerror(e));
    }
    if (e != TC_OK) {
        tc_bundle_free(b);
        b = NULL;
    }
    *out = b;
    return e;
}

enum tc_err tc_lifecycle_open(struct tc_lifecycle **out, const struct tc_lifecycle_config *cfg,
                              char *why, size_t size)
{
    *out = NULL;
    struct tc_lifecycle *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(why, size, "%s", tc_strerror(TC_ERR_NOMEM));
        return TC_ERR_NOMEM;
    }
    l->cfg = *cfg;
    pthread_mutex_init(&l->lock, NULL);
    struct tc_bundle *b = NULL;
    enum tc_err e = first_bundle(l, &b, why, size);
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
    pthread_mutex_destroy(&l->lock);
    free(l);
}
