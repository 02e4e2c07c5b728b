/*
 * status.c - what the register's entries say about certificates (A3): the index of registered
 * certificates (each with its issue entry and the hash of its bytes), the revocations and the
 * supersessions. It is folded from the entries in order, so the issuer's bundle, a replica
 * applying a delta and an auditor all derive the same lists from the same entries, and compare
 * what a publication claims with what the register holds.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publication.h"

void tc_reg_status_init(struct tc_reg_status *st)
{
    memset(st, 0, sizeof *st);
}

void tc_reg_status_free(struct tc_reg_status *st)
{
    free(st->index);
    free(st->revoked);
    free(st->superseded);
    memset(st, 0, sizeof *st);
}

enum tc_err tc_reg_status_add(struct tc_reg_status *st, uint64_t entry,
                              const struct tc_reg_leaf *l)
{
    switch (l->kind) {
    case TC_REG_ISSUE: {
        struct tc_bundle_registered *r =
            tc_push((void **)&st->index, &st->n_index, &st->cap[0], sizeof *r);
        if (!r)
            return TC_ERR_NOMEM;
        r->id = l->id, r->leaf = entry;
        memcpy(r->hash, l->hash, TC_BUNDLE_INDEX_HASH);
        break;
    }
    case TC_REG_REVOKE: {
        struct tc_bundle_revoked *r =
            tc_push((void **)&st->revoked, &st->n_revoked, &st->cap[1], sizeof *r);
        if (!r)
            return TC_ERR_NOMEM;
        memset(r, 0, sizeof *r);
        r->id = l->id, r->day = l->day;
        snprintf(r->reason, sizeof r->reason, "%s", l->reason);
        break;
    }
    case TC_REG_SUPERSEDE: {
        struct tc_bundle_superseded *r =
            tc_push((void **)&st->superseded, &st->n_superseded, &st->cap[2], sizeof *r);
        if (!r)
            return TC_ERR_NOMEM;
        r->id = l->id, r->successor = l->other, r->day = l->day;
        break;
    }
    default: /* trust lists and 公示 change no certificate's status */
        break;
    }
    return TC_OK;
}

/* Lists sorted by id, the first element of each; equal ids keep their entry order. */
static int cmp_id(const void *a, const void *b)
{
    uint64_t x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}

/* How many elements from the start are in order already. */
static size_t sorted_prefix(const uint8_t *v, size_t n, size_t size)
{
    size_t k = 1;
    while (k < n && cmp_id(v + (k - 1) * size, v + k * size) <= 0)
        k++;
    return k;
}

/* Sorts by id, stably (glibc's qsort is a merge sort). The lists come in entry order, which is
 * mostly id order (ids grow with issuance): the sorted start is kept, only the rest is sorted,
 * then merged into it from the back; a list already in order costs one pass. */
static void sort(void *v, size_t n, size_t size)
{
    uint8_t *p = v, *tail;
    size_t k = n > 1 ? sorted_prefix(p, n, size) : n;
    if (k == n)
        return;
    size_t m = n - k;
    qsort(p + k * size, m, size, cmp_id);
    if (cmp_id(p + (k - 1) * size, p + k * size) <= 0)
        return;
    if (!(tail = malloc(m * size))) {
        qsort(p, n, size, cmp_id); /* no room to merge: sort it all */
        return;
    }
    memcpy(tail, p + k * size, m * size);
    size_t i = k, j = m, w = n; /* one past the next element of each */
    while (j > 0) {
        /* on equal ids the tail's goes last: it came later */
        if (i > 0 && cmp_id(p + (i - 1) * size, tail + (j - 1) * size) > 0)
            memcpy(p + --w * size, p + --i * size, size);
        else
            memcpy(p + --w * size, tail + --j * size, size);
    }
    free(tail);
}

static void say(const struct tc_reg_report *rep, size_t *bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const struct tc_reg_report *rep, size_t *bad, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    (*bad)++;
    if (rep && rep->fn && *bad <= (rep->max ? rep->max : SIZE_MAX))
        rep->fn(rep->ctx, line);
}

/* The first position in [lo, hi) of index (sorted by id) whose id is not below id; hi if none. */
static size_t lower_bound(const struct tc_bundle_registered *index, size_t lo, size_t hi,
                          uint64_t id)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t tc_reg_status_at(const struct tc_reg_status *st, uint64_t id)
{
    return lower_bound(st->index, 0, st->n_index, id);
}

/* The entry of st's index (sorted) for id, else base's, else NULL. *at: where the search starts
 * and is left (the first entry not below id): ids asked in increasing order are found by
 * doubling steps from the last one, about log(gap) reads each instead of log(size), most of them
 * in memory just read. An id below the last one asked starts again from 0. */
static const struct tc_bundle_registered *in_index(const struct tc_reg_status *st,
                                                   const struct tc_bundle *base, uint64_t id,
                                                   size_t *at)
{
    size_t n = st->n_index, lo = *at < n ? *at : n, hi, step = 1;
    if (lo > 0 && st->index[lo - 1].id >= id)
        lo = 0;
    for (hi = lo; hi < n && st->index[hi].id < id; step *= 2) /* every entry below hi: < id */
        lo = hi + 1, hi = step < n - hi ? hi + step : n;
    *at = lo = lower_bound(st->index, lo, hi, id);
    if (lo < n && st->index[lo].id == id)
        return &st->index[lo];
    return base ? tc_bundle_registered(base, id) : NULL;
}

size_t tc_reg_status_finish(struct tc_reg_status *st, const struct tc_bundle *base,
                            const struct tc_reg_report *rep)
{
    size_t bad = 0;
    sort(st->index, st->n_index, sizeof *st->index);
    sort(st->revoked, st->n_revoked, sizeof *st->revoked);
    sort(st->superseded, st->n_superseded, sizeof *st->superseded);
    for (size_t i = 0; i < st->n_index; i++)
        if ((i && st->index[i].id == st->index[i - 1].id) ||
            (base && tc_bundle_registered(base, st->index[i].id)))
            say(rep, &bad, "certificate %" PRIu64 ": issued twice in the register (entry %" PRIu64
                ")", st->index[i].id, st->index[i].leaf);
    size_t at = 0;
    for (size_t i = 0; i < st->n_revoked; i++) {
        uint64_t id = st->revoked[i].id;
        if (!in_index(st, base, id, &at))
            say(rep, &bad, "a revocation of certificate %" PRIu64 ", which the register never "
                "issued", id);
        else if ((i && st->revoked[i - 1].id == id) || (base && tc_bundle_revoked(base, id)))
            say(rep, &bad, "certificate %" PRIu64 ": revoked twice in the register", id);
    }
    at = 0;
    for (size_t i = 0; i < st->n_superseded; i++) {
        uint64_t id = st->superseded[i].id;
        if (!in_index(st, base, id, &at))
            say(rep, &bad, "a supersession of certificate %" PRIu64 ", which the register never "
                "issued", id);
        else if ((i && st->superseded[i - 1].id == id) || (base && tc_bundle_superseded(base, id)))
            say(rep, &bad, "certificate %" PRIu64 ": superseded twice in the register", id);
    }
    return bad;
}

/* The index of bundle b against the register's. */
static void compare_index(const struct tc_reg_status *st, const struct tc_bundle *b,
                          const struct tc_reg_report *rep, size_t *bad)
{
    size_t at = 0;
    for (size_t i = 0; i < b->n_index; i++) {
        const struct tc_bundle_registered *r = &b->index[i], *e = in_index(st, NULL, r->id, &at);
        if (!e)
            say(rep, bad, "certificate %" PRIu64 ": in the bundle's index, but the register "
                "never issued it", r->id);
        else if (e->leaf != r->leaf || memcmp(e->hash, r->hash, TC_BUNDLE_INDEX_HASH) != 0)
            say(rep, bad, "certificate %" PRIu64 ": the bundle's index says entry %" PRIu64 " and "
                "another hash; the register's issue entry is %" PRIu64, r->id, r->leaf, e->leaf);
    }
    for (size_t i = 0; i < st->n_index; i++)
        if (!tc_bundle_registered(b, st->index[i].id))
            say(rep, bad, "certificate %" PRIu64 ": issued in register entry %" PRIu64 ", missing "
                "from the bundle's index", st->index[i].id, st->index[i].leaf);
}

/* Says each element of the bundle's list (bn elements) whose id the register's (sn, sorted by
 * id, the same layout of `size` bytes) does not hold: a `what` the register never made. */
static void not_held(const void *bv, size_t bn, const void *sv, size_t sn, size_t size,
                     const char *what, const struct tc_reg_report *rep, size_t *bad)
{
    for (size_t i = 0; i < bn; i++) {
        uint64_t id;
        memcpy(&id, (const uint8_t *)bv + i * size, sizeof id);
        if (!tc_find_id(sv, sn, size, id))
            say(rep, bad, "certificate %" PRIu64 ": the bundle lists a %s the register does not "
                "hold", id, what);
    }
}

static void compare_revoked(const struct tc_reg_status *st, const struct tc_bundle *b,
                            const struct tc_reg_report *rep, size_t *bad)
{
    for (size_t i = 0; i < st->n_revoked; i++) {
        const struct tc_bundle_revoked *e = &st->revoked[i], *r = tc_bundle_revoked(b, e->id);
        char d[11];
        tc_day_format(d, e->day);
        if (!r)
            say(rep, bad, "certificate %" PRIu64 ": revoked in the register (%s, %s), but the "
                "bundle does not list the revocation", e->id, e->reason, d);
        else if (r->day != e->day || strcmp(r->reason, e->reason) != 0)
            say(rep, bad, "certificate %" PRIu64 ": the bundle's revocation differs from the "
                "register's (day or reason)", e->id);
    }
    not_held(b->revoked, b->n_revoked, st->revoked, st->n_revoked, sizeof *st->revoked,
             "revocation", rep, bad);
}

static void compare_superseded(const struct tc_reg_status *st, const struct tc_bundle *b,
                               const struct tc_reg_report *rep, size_t *bad)
{
    for (size_t i = 0; i < st->n_superseded; i++) {
        const struct tc_bundle_superseded *e = &st->superseded[i];
        const struct tc_bundle_superseded *r = tc_bundle_superseded(b, e->id);
        if (!r || r->successor != e->successor || r->day != e->day)
            say(rep, bad, "certificate %" PRIu64 ": the bundle's supersession differs from the "
                "register's", e->id);
    }
    not_held(b->superseded, b->n_superseded, st->superseded, st->n_superseded,
             sizeof *st->superseded, "supersession", rep, bad);
}

size_t tc_reg_status_compare(const struct tc_reg_status *st, const struct tc_bundle *b,
                             const struct tc_reg_report *rep)
{
    size_t bad = 0;
    compare_index(st, b, rep, &bad);
    compare_revoked(st, b, rep, &bad);
    compare_superseded(st, b, rep, &bad);
    return bad;
}
