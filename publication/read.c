/*
 * read.c - reads the status bundle and applies deltas (the layouts are in publication.h). Order
 * of trust: the first four members (type, version, time, embedded trust list) are
 * read without allocating; the trust list is verified against the pinned root key; the bundle's
 * signature over its raw bytes against the key that list endorses for status publication; only
 * then are the lists parsed and allocated, so unauthenticated bytes cost no memory. Reading
 * pulls one head at a time from cert/'s token reader after its guarding pre-scan, in canonical
 * mode (shortest heads, fixed key order, sorted lists): one encoding per bundle, as for
 * certificates. A bundle describing a million certificates costs only its compact arrays.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "publication.h"

#define BUNDLE_TYPE_V1 4 /* the whole index in member 12 */
#define BUNDLE_TYPE 8    /* version 2: the index's complete chunks in files of their own */
#define BUNDLE_MEMBERS 14

/* Reads the payload head by head (tc_tok_next): a bundle of a million entries never becomes a
 * million tokens in memory. Each call keeps its token in `cur`; a mismatch ends the read. */
struct rd {
    struct tc_tok_reader tr;
    struct tc_tok cur;
    size_t budget; /* a bound on list lengths: no list has more entries than the input has bytes */
    uint64_t type; /* the bundle's, once member 0 is read */
    struct tc_chunk_source *src; /* the index's chunk files */
    /* a delta's result only: the bundle it applies to, verified, whose chunks' entries stand for
     * the chunks of the result with the same hash (read from bytes with that hash) */
    const struct tc_bundle *from;
};

static const struct tc_tok *next(struct rd *r, uint8_t kind)
{
    if (!tc_tok_next(&r->tr, &r->cur) || r->cur.kind != kind)
        return NULL;
    return &r->cur;
}

/* Starts r on a payload in canonical mode, `budget` bounding its lists, and reads the head of its
 * map, which must have `members` members. */
static enum tc_err rd_open(struct rd *r, const uint8_t *payload, size_t len, size_t budget,
                           uint64_t members)
{
    memset(r, 0, sizeof *r);
    r->budget = budget;
    enum tc_err e = tc_tok_reader_init(&r->tr, payload, len);
    if (e != TC_OK)
        return e;
    r->tr.canonical = true;
    const struct tc_tok *x = next(r, TC_TOK_MAP);
    return x && x->value == members ? TC_OK : TC_ERR_TYPE;
}

static bool rd_uint(struct rd *r, uint64_t *v)
{
    const struct tc_tok *t = next(r, TC_TOK_UINT);
    if (t)
        *v = t->value;
    return t != NULL;
}

static bool rd_int(struct rd *r, int64_t *v)
{
    if (!tc_tok_next(&r->tr, &r->cur))
        return false;
    if (r->cur.kind == TC_TOK_UINT && r->cur.value <= INT64_MAX) {
        *v = (int64_t)r->cur.value;
        return true;
    }
    if (r->cur.kind == TC_TOK_NEGINT && r->cur.value < INT64_MAX) {
        *v = -1 - (int64_t)r->cur.value;
        return true;
    }
    return false;
}

void tc_bundle_free(struct tc_bundle *b)
{
    if (!b)
        return;
    tc_trust_list_free(b->tl);
    free(b->revoked);
    free(b->superseded);
    free(b->units);
    free(b->names);
    free(b->note);
    free(b->index);
    free(b->chunk_sha);
    free(b->proofs);
    free(b->trust_raw);
    free(b->profile_json);
    free(b->titles_raw);
    free(b);
}

static int unit_cmp(const char *uscc, int32_t from, const struct tc_bundle_unit *u)
{
    int c = strcmp(uscc, u->uscc);
    return c ? c : (from > u->from) - (from < u->from);
}

/* A list's head: its length (no more than `most`, which the input's size bounds where nothing
 * else does) and an array that long. */
static enum tc_err read_list(struct rd *r, uint64_t most, size_t elem, void **v, size_t *n)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x || x->value > most)
        return TC_ERR_TYPE;
    *n = (size_t)x->value;
    return (*v = calloc(*n ? *n : 1, elem)) ? TC_OK : TC_ERR_NOMEM;
}

/* 4: [[id, day, reason]], ascending ids */
static enum tc_err read_revoked(struct rd *r, struct tc_bundle *b)
{
    int64_t v;
    enum tc_err e =
        read_list(r, r->budget, sizeof *b->revoked, (void **)&b->revoked, &b->n_revoked);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_revoked; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        if (!a || a->value != 3 || !rd_uint(r, &b->revoked[i].id) || !rd_int(r, &v) ||
            !(t = next(r, TC_TOK_TEXT)) || t->len >= sizeof b->revoked[i].reason ||
            !tc_text_safe(t->p, t->len))
            return TC_ERR_TYPE;
        b->revoked[i].day = (int32_t)v;
        memcpy(b->revoked[i].reason, t->p, t->len);
        if (i && b->revoked[i].id <= b->revoked[i - 1].id)
            return TC_ERR_NONCANONICAL;
    }
    return TC_OK;
}

/* 5: [[id, successor, day]], ascending ids */
static enum tc_err read_superseded(struct rd *r, struct tc_bundle *b)
{
    int64_t v;
    enum tc_err e = read_list(r, r->budget, sizeof *b->superseded, (void **)&b->superseded,
                              &b->n_superseded);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_superseded; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY);
        if (!a || a->value != 3 || !rd_uint(r, &b->superseded[i].id) ||
            !rd_uint(r, &b->superseded[i].successor) || !rd_int(r, &v))
            return TC_ERR_TYPE;
        b->superseded[i].day = (int32_t)v;
        if (i && b->superseded[i].id <= b->superseded[i - 1].id)
            return TC_ERR_NONCANONICAL;
    }
    return TC_OK;
}

/* 6: [[uscc, division, township, tier, flag, from, to, name]], sorted by USCC, then from */
static enum tc_err read_units(struct rd *r, struct tc_bundle *b)
{
    enum tc_err e = read_list(r, r->budget, sizeof *b->units, (void **)&b->units, &b->n_units);
    if (e != TC_OK)
        return e;
    size_t names_cap = 1024, names_len = 0;
    if (!(b->names = malloc(names_cap)))
        return TC_ERR_NOMEM;
    for (size_t i = 0; i < b->n_units; i++) {
        struct tc_bundle_unit *u = &b->units[i];
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *uscc, *name;
        int64_t f[6];
        if (!a || a->value != 8)
            return TC_ERR_TYPE;
        if (!(uscc = next(r, TC_TOK_BYTES)) || uscc->len != TC_USCC_PACKED ||
            tc_uscc_unpack(u->uscc, uscc->p) != TC_OK)
            return TC_ERR_TYPE;
        for (int k = 0; k < 6; k++)
            if (!rd_int(r, &f[k]))
                return TC_ERR_TYPE;
        if (!(name = next(r, TC_TOK_TEXT)) || name->len > 512 || !tc_text_safe(name->p, name->len))
            return TC_ERR_TEXT;
        if (f[0] < 0 || f[0] > 999999 || f[1] < 0 || f[1] > 999999999 || f[2] < 1 || f[2] > 4 ||
            f[3] < -1 || f[3] > 1 || f[4] < INT32_MIN || f[4] > INT32_MAX || f[5] < f[4] ||
            f[5] > INT32_MAX)
            return TC_ERR_RANGE;
        u->division = (uint32_t)f[0], u->township = (uint32_t)f[1];
        u->tier = (uint8_t)f[2], u->flag = (int8_t)f[3];
        u->from = (int32_t)f[4], u->to = (int32_t)f[5];
        if (tc_reserve((void **)&b->names, &names_cap, names_len + name->len + 1, 1) != TC_OK)
            return TC_ERR_NOMEM;
        u->name_off = (uint32_t)names_len;
        memcpy(b->names + names_len, name->p, name->len);
        names_len += name->len;
        b->names[names_len++] = '\0';
        if (i && unit_cmp(u->uscc, u->from, &b->units[i - 1]) <= 0)
            return TC_ERR_NONCANONICAL; /* sorted by USCC, then from */
    }
    return TC_OK;
}

/* n index entries [id, leaf, h'16'] into v, ascending ids */
static enum tc_err read_entries(struct rd *r, struct tc_bundle_registered *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        struct tc_bundle_registered *en = &v[i];
        if (!a || a->value != 3 || !rd_uint(r, &en->id) || !rd_uint(r, &en->leaf) ||
            !(t = next(r, TC_TOK_BYTES)) || t->len != TC_BUNDLE_INDEX_HASH)
            return TC_ERR_TYPE;
        memcpy(en->hash, t->p, TC_BUNDLE_INDEX_HASH);
        if (i && en->id <= v[i - 1].id)
            return TC_ERR_NONCANONICAL;
    }
    return TC_OK;
}

/* 12 of version 1: [[id, leaf, h'16']], ascending ids */
static enum tc_err read_index_v1(struct rd *r, struct tc_bundle *b)
{
    enum tc_err e = read_list(r, r->budget, sizeof *b->index, (void **)&b->index, &b->n_index);
    return e == TC_OK ? read_entries(r, b->index, b->n_index) : e;
}

/* A chunk file's array of entries, canonical, nothing after it: exactly `want` entries into v, or
 * (want 0, for the fuzz target) as many as it says up to TC_INDEX_CHUNK into a new *grown. */
static enum tc_err read_chunk(const uint8_t *in, size_t len, size_t want,
                              struct tc_bundle_registered *v, struct tc_bundle_registered **grown)
{
    struct rd r;
    memset(&r, 0, sizeof r);
    if (len > TC_INDEX_CHUNK_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    enum tc_err e = tc_tok_reader_init(&r.tr, in, len);
    if (e != TC_OK)
        return e;
    r.tr.canonical = true;
    const struct tc_tok *x = next(&r, TC_TOK_ARRAY);
    if (!x || (want ? x->value != want : x->value > TC_INDEX_CHUNK || x->value > len))
        return TC_ERR_TYPE;
    if (!want && !(v = *grown = calloc(x->value ? (size_t)x->value : 1, sizeof *v)))
        return TC_ERR_NOMEM;
    if ((e = read_entries(&r, v, (size_t)x->value)) != TC_OK)
        return e;
    struct tc_tok extra;
    return tc_tok_next(&r.tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}

enum tc_err tc_index_chunk_read(const uint8_t *in, size_t len, struct tc_bundle_registered *v)
{
    return read_chunk(in, len, TC_INDEX_CHUNK, v, NULL);
}

/* The chunk reader on any number of entries, for the fuzz target only (its prototype is in
 * tests/fuzz/fuzz_chunk.c): a real chunk has exactly TC_INDEX_CHUNK. */
enum tc_err tc_index_chunk_fuzz(const uint8_t *in, size_t len);
enum tc_err tc_index_chunk_fuzz(const uint8_t *in, size_t len)
{
    struct tc_bundle_registered *v = NULL;
    enum tc_err e = read_chunk(in, len, 0, NULL, &v);
    free(v);
    return e;
}

/* The chunk named by sha into v: the entries from read from the chunk with that hash when it has
 * one, else the file from src, its hash checked before it is read. */
static enum tc_err load_chunk(struct tc_chunk_source *src, const struct tc_bundle *from,
                              const uint8_t sha[32], struct tc_bundle_registered *v)
{
    uint8_t *p = NULL, h[32];
    size_t len = 0;
    for (size_t k = 0; from && k < from->n_chunks; k++)
        if (memcmp(from->chunk_sha[k], sha, 32) == 0) {
            memcpy(v, from->index + k * TC_INDEX_CHUNK, TC_INDEX_CHUNK * sizeof *v);
            return TC_OK;
        }
    if (!src)
        return TC_ERR_NOT_FOUND;
    enum tc_err e = src->get(src->ctx, sha, &p, &len);
    if (e == TC_OK && len > TC_INDEX_CHUNK_MAX_BYTES)
        e = TC_ERR_SIZE_LIMIT;
    if (e == TC_OK) {
        crypto_hash_sha256(h, p, len);
        e = sodium_memcmp(h, sha, 32) == 0 ? tc_index_chunk_read(p, len, v) : TC_ERR_INCONSISTENT;
    }
    if (e != TC_OK)
        tc_chunk_name(sha, src->failed);
    free(p);
    return e;
}

/* 12 of version 2: [[h'SHA-256 of a chunk file'...], [entry...]]: the chunks' entries, then the
 * rest (fewer than a chunk), ascending ids across them all */
static enum tc_err read_index_v2(struct rd *r, struct tc_bundle *b)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY), *t;
    if (!x || x->value != 2 || !(x = next(r, TC_TOK_ARRAY)) || x->value > TC_BUNDLE_MAX_CHUNKS)
        return TC_ERR_TYPE;
    size_t n = (size_t)x->value;
    if (!(b->chunk_sha = calloc(n ? n : 1, sizeof *b->chunk_sha)))
        return TC_ERR_NOMEM;
    b->n_chunks = n;
    for (size_t k = 0; k < n; k++) {
        if (!(t = next(r, TC_TOK_BYTES)) || t->len != 32)
            return TC_ERR_TYPE;
        memcpy(b->chunk_sha[k], t->p, 32);
    }
    if (!(x = next(r, TC_TOK_ARRAY)) || x->value >= TC_INDEX_CHUNK || x->value > r->budget)
        return TC_ERR_TYPE;
    size_t done = n * TC_INDEX_CHUNK;
    b->n_index = done + (size_t)x->value;
    if (!(b->index = calloc(b->n_index ? b->n_index : 1, sizeof *b->index)))
        return TC_ERR_NOMEM;
    enum tc_err e = read_entries(r, b->index + done, b->n_index - done);
    for (size_t k = 0; e == TC_OK && k < n; k++)
        e = load_chunk(r->src, r->from, b->chunk_sha[k], b->index + k * TC_INDEX_CHUNK);
    for (size_t k = 1; e == TC_OK && k <= n && k * TC_INDEX_CHUNK < b->n_index; k++)
        if (b->index[k * TC_INDEX_CHUNK].id <= b->index[k * TC_INDEX_CHUNK - 1].id)
            e = TC_ERR_NONCANONICAL; /* one chunk to the next, the last to the rest */
    return e;
}

/* 13: [[size, [hash...]]], ascending sizes */
static enum tc_err read_proofs(struct rd *r, struct tc_bundle *b)
{
    enum tc_err e = read_list(r, TC_BUNDLE_MAX_PROOFS, sizeof *b->proofs, (void **)&b->proofs,
                              &b->n_proofs);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_proofs; i++) {
        struct tc_bundle_proof *p = &b->proofs[i];
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        if (!a || a->value != 2 || !rd_uint(r, &p->size) || !(t = next(r, TC_TOK_ARRAY)) ||
            t->value > TC_REG_PROOF_MAX)
            return TC_ERR_TYPE;
        p->len = (size_t)t->value;
        for (size_t k = 0; k < p->len; k++) {
            if (!(t = next(r, TC_TOK_BYTES)) || t->len != TC_REG_HASH)
                return TC_ERR_TYPE;
            memcpy(p->hashes[k], t->p, TC_REG_HASH);
        }
        if (i && p->size <= b->proofs[i - 1].size)
            return TC_ERR_NONCANONICAL;
    }
    return TC_OK;
}

/* 8: the title table, read and checked for shape; the compiled-in table is used */
static enum tc_err read_titles(struct rd *r)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x)
        return TC_ERR_TYPE;
    for (uint64_t i = 0, n = x->value; i < n; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY);
        if (!a || a->value != 6 || !next(r, TC_TOK_UINT) || !next(r, TC_TOK_TEXT) ||
            !next(r, TC_TOK_TEXT) || !next(r, TC_TOK_UINT) || !next(r, TC_TOK_UINT) ||
            !next(r, TC_TOK_TEXT))
            return TC_ERR_TYPE;
    }
    return TC_OK;
}

/* 9: [seq, mac] of the audit chain */
static enum tc_err read_audit_head(struct rd *r, struct tc_bundle *b)
{
    const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
    if (!a || a->value != 2 || !rd_uint(r, &b->audit_seq) || !(t = next(r, TC_TOK_BYTES)) ||
        t->len != 32)
        return TC_ERR_TYPE;
    memcpy(b->audit_head, t->p, 32);
    return TC_OK;
}

/* The register checkpoint's signed note, a member of both bundle (11) and delta (5), in place */
static enum tc_err read_note(struct rd *r, const char **note, size_t *len)
{
    const struct tc_tok *x = next(r, TC_TOK_TEXT);
    if (!x || x->len > TC_REG_NOTE_MAX)
        return TC_ERR_TYPE;
    *note = (const char *)x->p, *len = x->len;
    return TC_OK;
}

/* Members read in place (pointers into the payload), kept by the caller after the read. */
struct spans {
    const uint8_t *trust, *titles;
    size_t trust_len, titles_len;
    const char *profile, *note;
    size_t profile_len, note_len;
};

/* One member of a bundle at the cursor. */
static enum tc_err read_member(struct rd *r, uint64_t key, struct tc_bundle *b, struct spans *sp)
{
    const struct tc_tok *x;
    size_t at = r->tr.off;
    enum tc_err e;
    switch (key) {
    case 0:
        if (!(x = next(r, TC_TOK_UINT)) || (x->value != BUNDLE_TYPE && x->value != BUNDLE_TYPE_V1))
            return TC_ERR_TYPE;
        r->type = x->value;
        return TC_OK;
    case 1:
    case 2:
        return rd_uint(r, key == 1 ? &b->version : &b->issued_at) ? TC_OK : TC_ERR_TYPE;
    case 3:
        if (!(x = next(r, TC_TOK_BYTES)))
            return TC_ERR_TYPE;
        sp->trust = x->p, sp->trust_len = x->len;
        return TC_OK;
    case 4:
        return read_revoked(r, b);
    case 5:
        return read_superseded(r, b);
    case 6:
        return read_units(r, b);
    case 7:
        if (!(x = next(r, TC_TOK_TEXT)))
            return TC_ERR_TYPE;
        sp->profile = (const char *)x->p, sp->profile_len = x->len;
        return TC_OK;
    case 8:
        if ((e = read_titles(r)) == TC_OK) /* kept as it is: a delta re-encodes the bundle */
            sp->titles = r->tr.in + at, sp->titles_len = r->tr.off - at;
        return e;
    case 9:
        return read_audit_head(r, b);
    case 10:
        if (!(x = next(r, TC_TOK_UINT)) || x->value >= 100)
            return TC_ERR_TYPE;
        b->province = (uint32_t)x->value;
        return TC_OK;
    case 11:
        return read_note(r, &sp->note, &sp->note_len);
    case 12:
        return r->type == BUNDLE_TYPE ? read_index_v2(r, b) : read_index_v1(r, b);
    default: /* 13 */
        return read_proofs(r, b);
    }
}

/* Reads the members after the map's head (rd_open); TC_ERR_TYPE/RANGE/NONCANONICAL on any
 * deviation. */
static enum tc_err read_lists(struct rd *r, struct tc_bundle *b, struct spans *sp)
{
    const struct tc_tok *x;
    enum tc_err e;
    for (uint64_t key = 0; key < BUNDLE_MEMBERS; key++) {
        if (!(x = next(r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        if ((e = read_member(r, key, b, sp)) != TC_OK)
            return e;
    }
    struct tc_tok extra;
    return tc_tok_next(&r->tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}

/* The members before the lists: type, version, issued_at and the embedded trust list. Nothing
 * is allocated: this runs on bytes whose signature is not checked yet. */
static enum tc_err read_head(const uint8_t *payload, size_t len, struct tc_bundle *b,
                             const uint8_t **trust, size_t *trust_len, uint64_t *type)
{
    struct rd r;
    const struct tc_tok *x;
    enum tc_err e = rd_open(&r, payload, len, 0, BUNDLE_MEMBERS);
    if (e != TC_OK)
        return e;
    for (uint64_t key = 0; key <= 3; key++) {
        if (!(x = next(&r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        if (key == 3) {
            if (!(x = next(&r, TC_TOK_BYTES)))
                return TC_ERR_TYPE;
            *trust = x->p, *trust_len = x->len;
        } else {
            if (!(x = next(&r, TC_TOK_UINT)) ||
                (key == 0 && x->value != BUNDLE_TYPE && x->value != BUNDLE_TYPE_V1))
                return TC_ERR_TYPE;
            if (key == 0)
                *type = x->value;
            else
                *(key == 1 ? &b->version : &b->issued_at) = x->value;
        }
    }
    return TC_OK;
}

/* A publication key revoked in tl is refused from its revocation day on, counted by the later of
 * the day the object claims and the reader's own day (0: the claim alone, for offline tools):
 * a revoked key that dates its bundle before its revocation is refused all the same. */
static bool revoked_for(const struct tc_trust_list *tl, const uint8_t kid[TC_KID_BYTES],
                        int32_t day, uint64_t now)
{
    const struct tc_revocation *rv = tc_trust_find_revocation(tl, kid);
    return rv && (day >= rv->day || (now && tc_beijing_day(now) >= rv->day));
}

/* A bundle or delta dated ahead of the reader's clock (now; 0: no clock, as an auditor reads
 * history) would stay fresh past the maximum age by as much: a freeze made longer. Checked once
 * its signature holds, so a forgery is refused as one. */
static enum tc_err dated_ahead(uint64_t issued_at, uint64_t now)
{
    return now && issued_at > now + TC_CLOCK_SKEW_SECONDS ? TC_ERR_FUTURE : TC_OK;
}

/* The signer must be endorsed for status publication, in term when it signed, and not revoked. */
static enum tc_err check_signer(const struct tc_trust_list *tl, const uint8_t kid[TC_KID_BYTES],
                                uint64_t issued_at, uint64_t now,
                                const struct tc_endorsement **out)
{
    const struct tc_endorsement *en = tc_trust_find(tl, kid);
    int32_t day = tc_beijing_day(issued_at);
    if (!en || !(en->authz.tracks & TC_AUTHZ_STATUS) || day < en->not_before ||
        day > en->not_after || revoked_for(tl, kid, day, now))
        return TC_ERR_NOT_AUTHORISED;
    *out = en;
    return TC_OK;
}

static enum tc_err open_checkpoint(const struct tc_trust_list *tl, const char *note, size_t len,
                                   int32_t day, uint64_t now, struct tc_checkpoint *cp,
                                   const struct tc_endorsement **key)
{
    /* the body comes before the last blank line; its origin names the key that signs */
    const char *split = NULL;
    for (size_t i = len; i-- > 1;)
        if (note[i] == '\n' && note[i - 1] == '\n') {
            split = note + i;
            break;
        }
    if (!split || tc_checkpoint_parse(note, (size_t)(split - note), cp) != TC_OK)
        return TC_ERR_TYPE;
    for (size_t i = 0; i < tl->n_endorsements; i++) {
        const struct tc_endorsement *en = &tl->endorsements[i];
        const char *body;
        size_t blen;
        if (!(en->authz.tracks & TC_AUTHZ_REGISTER) ||
            (day != INT32_MIN && (day < en->not_before || day > en->not_after ||
                                  revoked_for(tl, en->kid, day, now))))
            continue;
        if (tc_note_open(note, len, cp->origin, en->pk, &body, &blen) == TC_OK) {
            *key = en;
            return TC_OK;
        }
    }
    return TC_ERR_BAD_SIGNATURE;
}

enum tc_err tc_checkpoint_open(const struct tc_trust_list *tl, const char *note, size_t len,
                               int32_t day, struct tc_checkpoint *cp,
                               const struct tc_endorsement **key)
{
    return open_checkpoint(tl, note, len, day, 0, cp, key);
}

/* The register checkpoint (A3): a signed note whose key is endorsed for register checkpoints,
 * in term and not revoked on the bundle's day; the index and proofs must fit inside it. */
static enum tc_err check_register(struct tc_bundle *b, const char *note, size_t len, uint64_t now)
{
    enum tc_err e = open_checkpoint(b->tl, note, len, tc_beijing_day(b->issued_at), now,
                                    &b->checkpoint, &b->register_key);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_index; i++)
        if (b->index[i].leaf >= b->checkpoint.size)
            return TC_ERR_INCONSISTENT;
    for (size_t i = 0; i < b->n_proofs; i++)
        if (b->proofs[i].size >= b->checkpoint.size)
            return TC_ERR_INCONSISTENT;
    if (!(b->note = malloc(len + 1)))
        return TC_ERR_NOMEM;
    memcpy(b->note, note, len);
    b->note[len] = '\0';
    b->note_len = len;
    return TC_OK;
}

static char *dup_bytes(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

/* What a verified bundle keeps of its raw members: the trust list, the profile and the title
 * table (a delta's result is encoded again from them), and its file hash and signature. */
static enum tc_err keep(struct tc_bundle *b, const struct spans *sp, const uint8_t *in,
                        size_t len, const uint8_t *sig)
{
    crypto_hash_sha256(b->file_sha256, in, len);
    memcpy(b->sig, sig, TC_SIG_BYTES);
    b->trust_raw_len = sp->trust_len;
    b->profile_json_len = sp->profile_len;
    b->titles_raw_len = sp->titles_len;
    if (!(b->trust_raw = (uint8_t *)dup_bytes(sp->trust, sp->trust_len)) ||
        !(b->profile_json = dup_bytes(sp->profile, sp->profile_len)) ||
        !(b->titles_raw = (uint8_t *)dup_bytes(sp->titles, sp->titles_len)))
        return TC_ERR_NOMEM;
    return TC_OK;
}

static enum tc_err parse_bundle(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                                uint64_t now, struct tc_chunk_source *src,
                                const struct tc_bundle *from, struct tc_bundle **out)
{
    *out = NULL;
    if (src)
        src->failed[0] = '\0';
    uint64_t type = 0;
    if (len > TC_BUNDLE_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    const uint8_t *prot, *payload, *trust = NULL;
    size_t prot_len, payload_len, trust_len = 0;
    uint8_t sig[TC_SIG_BYTES];
    struct tc_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return TC_ERR_NOMEM;
    enum tc_err e = tc_cose_sign1_parse(in, len, b->signer, &prot, &prot_len, &payload,
                                        &payload_len, sig);
    if (e != TC_OK)
        goto out;
    /* trust first: the root's list, the signer in it, the signature over the raw bytes */
    const struct tc_endorsement *en;
    if ((e = read_head(payload, payload_len, b, &trust, &trust_len, &type)) != TC_OK ||
        (e = tc_trust_list_parse(trust, trust_len, root_pk, &b->tl)) != TC_OK ||
        (e = check_signer(b->tl, b->signer, b->issued_at, now, &en)) != TC_OK ||
        (e = tc_cose_sign1_check(prot, prot_len, payload, payload_len,
                                 type == BUNDLE_TYPE ? TC_AAD_BUNDLE : TC_AAD_BUNDLE_V1, sig,
                                 en->pk)) != TC_OK ||
        (e = dated_ahead(b->issued_at, now)) != TC_OK)
        goto out;
    /* then the lists, of authenticated bytes */
    struct rd r;
    struct spans sp;
    memset(&sp, 0, sizeof sp);
    const char *why;
    e = rd_open(&r, payload, payload_len, payload_len, BUNDLE_MEMBERS);
    r.src = src, r.from = from;
    if (e != TC_OK || (e = read_lists(&r, b, &sp)) != TC_OK ||
        (e = check_register(b, sp.note, sp.note_len, now)) != TC_OK ||
        (e = tc_profile_parse(&b->profile, sp.profile, sp.profile_len, &why)) != TC_OK)
        goto out;
    if (b->profile.province != b->province) {
        e = TC_ERR_INCONSISTENT;
        goto out;
    }
    if ((e = keep(b, &sp, in, len, sig)) != TC_OK)
        goto out;
    *out = b;
    b = NULL;
out:
    tc_bundle_free(b);
    return e;
}

enum tc_err tc_bundle_parse_from(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                                 uint64_t now, struct tc_chunk_source *src,
                                 struct tc_bundle **out)
{
    return parse_bundle(in, len, root_pk, now, src, NULL, out);
}

enum tc_err tc_bundle_parse_at(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                               uint64_t now, struct tc_bundle **out)
{
    return tc_bundle_parse_from(in, len, root_pk, now, NULL, out);
}

enum tc_err tc_bundle_parse(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                            struct tc_bundle **out)
{
    return tc_bundle_parse_at(in, len, root_pk, 0, out);
}

const char *tc_chunk_why(enum tc_err e)
{
    return e == TC_ERR_NOT_FOUND
               ? "状态包索引的分块文件缺失 / a chunk file of the status bundle's index is missing "
                 "(it belongs beside the bundle)"
               : "状态包索引的分块文件与状态包所记哈希不符（被改动或损坏）/ a chunk file of the "
                 "status bundle's index is not the one the bundle names (altered or damaged)";
}

void tc_chunk_name(const uint8_t sha256[32], char out[TC_CHUNK_NAME_MAX])
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, sha256, 32);
    snprintf(out, TC_CHUNK_NAME_MAX, "index-%s.cbor", hex);
}

enum tc_err tc_chunk_dir_get(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len)
{
    char name[TC_CHUNK_NAME_MAX], path[4096];
    tc_chunk_name(sha256, name);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", (const char *)ctx, name) >= sizeof path)
        return TC_ERR_ARG;
    return tc_file_read(path, TC_INDEX_CHUNK_MAX_BYTES, bytes, len);
}

enum tc_err tc_bundle_read_file(const char *path, const uint8_t root_pk[TC_PK_BYTES], uint64_t now,
                                struct tc_bundle **out, size_t *len, char *failed, size_t size)
{
    char dir[4096];
    uint8_t *buf = NULL;
    *out = NULL, *len = 0;
    if (failed && size)
        failed[0] = '\0';
    tc_path_dir(path, dir, sizeof dir);
    struct tc_chunk_source src = {tc_chunk_dir_get, dir, ""};
    enum tc_err e = tc_file_read(path, TC_BUNDLE_MAX_BYTES, &buf, len);
    if (e == TC_OK)
        e = tc_bundle_parse_from(buf, *len, root_pk, now, &src, out);
    if (e != TC_OK && src.failed[0] && failed && size)
        snprintf(failed, size, "%s/%s", dir, src.failed);
    free(buf);
    return e;
}

/* The list reader on a payload as if it were authenticated, for the fuzz target only (its
 * prototype is in tests/fuzz/fuzz_bundle.c, not in publication.h): random bytes never get past the
 * signature check in tc_bundle_parse, and the reader must still be fuzzed. */
enum tc_err tc_bundle_fuzz_lists(const uint8_t *payload, size_t len);
enum tc_err tc_bundle_fuzz_lists(const uint8_t *payload, size_t len)
{
    struct tc_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return TC_ERR_NOMEM;
    struct rd r;
    struct spans sp;
    enum tc_err e = rd_open(&r, payload, len, len, BUNDLE_MEMBERS);
    if (e == TC_OK)
        e = read_lists(&r, b, &sp);
    tc_bundle_free(b);
    return e;
}

/* Index one past the last entry that sorts at or before (uscc, day). */
static size_t upper(const struct tc_bundle *b, const char *uscc, int32_t day)
{
    size_t lo = 0, hi = b->n_units;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (unit_cmp(uscc, day, &b->units[mid]) >= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct tc_bundle_unit *tc_bundle_unit_at(const struct tc_bundle *b, const char *uscc,
                                               int32_t day)
{
    size_t i = upper(b, uscc, day);
    const struct tc_bundle_unit *u = i ? &b->units[i - 1] : NULL;
    return u && strcmp(u->uscc, uscc) == 0 && u->from <= day && day <= u->to ? u : NULL;
}

const struct tc_bundle_unit *tc_bundle_unit_latest(const struct tc_bundle *b, const char *uscc)
{
    size_t i = upper(b, uscc, INT32_MAX);
    const struct tc_bundle_unit *u = i ? &b->units[i - 1] : NULL;
    return u && strcmp(u->uscc, uscc) == 0 ? u : NULL;
}

/* The index, the revoked and the superseded lists all start with the certificate id, ascending
 * (each id once: the readers refuse any other order): tc_find_id's layout. */
_Static_assert(offsetof(struct tc_bundle_revoked, id) == 0, "id first");
_Static_assert(offsetof(struct tc_bundle_superseded, id) == 0, "id first");
_Static_assert(offsetof(struct tc_bundle_registered, id) == 0, "id first");

const struct tc_bundle_revoked *tc_bundle_revoked(const struct tc_bundle *b, uint64_t id)
{
    return tc_find_id(b->revoked, b->n_revoked, sizeof *b->revoked, id);
}

const struct tc_bundle_registered *tc_bundle_registered(const struct tc_bundle *b, uint64_t id)
{
    return tc_find_id(b->index, b->n_index, sizeof *b->index, id);
}

const struct tc_bundle_superseded *tc_bundle_superseded(const struct tc_bundle *b, uint64_t id)
{
    return tc_find_id(b->superseded, b->n_superseded, sizeof *b->superseded, id);
}

/* ---- deltas ----------------------------------------------------------------------------------- */

/* merges sorted additions into a sorted array of n elements of `size` bytes keyed by a leading
 * uint64_t id; an id present in both is an inconsistency */
static enum tc_err merge(const void *old, size_t n, const void *add, size_t m, size_t size,
                         void **out, size_t *outn)
{
    const uint8_t *o = old, *d = add;
    uint8_t *r = malloc((n + m ? n + m : 1) * size);
    if (!r)
        return TC_ERR_NOMEM;
    size_t i = 0, j = 0, k = 0;
    while (i < n && j < m) {
        uint64_t a, b;
        memcpy(&a, o + i * size, sizeof a);
        memcpy(&b, d + j * size, sizeof b);
        if (a == b) {
            free(r);
            return TC_ERR_INCONSISTENT;
        }
        memcpy(r + k++ * size, a < b ? o + i++ * size : d + j++ * size, size);
    }
    /* what is left of one side goes in one copy */
    if (i < n)
        memcpy(r + k * size, o + i * size, (n - i) * size), k += n - i;
    else if (j < m)
        memcpy(r + k * size, d + j * size, (m - j) * size), k += m - j;
    *out = r, *outn = k;
    return TC_OK;
}

/* ---- deltas ----------------------------------------------------------------------------------- */

#define DELTA_TYPE 7
#define DELTA_MEMBERS 12

static enum tc_err read_frontier(struct rd *r, struct tc_delta *d)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x || x->value > 64)
        return TC_ERR_TYPE;
    d->frontier.len = (size_t)x->value;
    for (size_t i = 0; i < d->frontier.len; i++) {
        if (!(x = next(r, TC_TOK_BYTES)) || x->len != TC_REG_HASH)
            return TC_ERR_TYPE;
        memcpy(d->frontier.hash[i], x->p, TC_REG_HASH);
    }
    return TC_OK;
}

static enum tc_err read_leaves(struct rd *r, struct tc_delta *d)
{
    enum tc_err e = read_list(r, r->budget, sizeof *d->leaf, (void **)&d->leaf, &d->n_leaves);
    if (e != TC_OK)
        return e;
    if (!(d->leaf_len = calloc(d->n_leaves ? d->n_leaves : 1, sizeof *d->leaf_len)))
        return TC_ERR_NOMEM;
    const struct tc_tok *x;
    for (size_t i = 0; i < d->n_leaves; i++) {
        if (!(x = next(r, TC_TOK_BYTES)) || x->len > TC_REG_LEAF_MAX)
            return TC_ERR_TYPE;
        d->leaf[i] = x->p, d->leaf_len[i] = x->len;
    }
    return TC_OK;
}

static enum tc_err read_fixed(struct rd *r, uint8_t *out, size_t n)
{
    const struct tc_tok *x = next(r, TC_TOK_BYTES);
    if (!x || x->len != n)
        return TC_ERR_TYPE;
    memcpy(out, x->p, n);
    return TC_OK;
}

static enum tc_err read_delta_member(struct rd *r, uint64_t key, struct tc_delta *d)
{
    const struct tc_tok *x;
    switch (key) {
    case 0:
        return (x = next(r, TC_TOK_UINT)) && x->value == DELTA_TYPE ? TC_OK : TC_ERR_TYPE;
    case 1:
    case 3:
    case 4:
        return rd_uint(r, key == 1 ? &d->from_version : key == 3 ? &d->version : &d->issued_at)
                   ? TC_OK
                   : TC_ERR_TYPE;
    case 2:
        return read_fixed(r, d->from_sha256, 32);
    case 5:
        return read_note(r, &d->note, &d->note_len);
    case 6:
        return read_frontier(r, d);
    case 7:
        return read_leaves(r, d);
    case 8:
        return read_proofs(r, &d->more);
    case 9:
        return read_audit_head(r, &d->more);
    case 10:
        return read_fixed(r, d->to_sha256, 32);
    default: /* 11 */
        return read_fixed(r, d->bundle_sig, TC_SIG_BYTES);
    }
}

static enum tc_err read_delta(const uint8_t *payload, size_t len, struct tc_delta *d)
{
    struct rd r;
    const struct tc_tok *x;
    enum tc_err e = rd_open(&r, payload, len, len, DELTA_MEMBERS);
    if (e != TC_OK)
        return e;
    for (uint64_t key = 0; key < DELTA_MEMBERS; key++) {
        if (!(x = next(&r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        if ((e = read_delta_member(&r, key, d)) != TC_OK)
            return e;
    }
    struct tc_tok extra;
    return tc_tok_next(&r.tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}

/* The delta reader on a payload as if it were authenticated, for the fuzz target only (as
 * tc_bundle_fuzz_lists). */
enum tc_err tc_delta_fuzz_members(const uint8_t *payload, size_t len);
enum tc_err tc_delta_fuzz_members(const uint8_t *payload, size_t len)
{
    struct tc_delta d;
    memset(&d, 0, sizeof d);
    enum tc_err e = read_delta(payload, len, &d);
    tc_delta_close(&d);
    return e;
}

void tc_delta_close(struct tc_delta *d)
{
    free(d->leaf);
    free(d->leaf_len);
    free(d->more.proofs);
    memset(d, 0, sizeof *d);
}

enum tc_err tc_delta_open(const uint8_t *in, size_t len, const struct tc_trust_list *tl,
                          uint64_t now, struct tc_delta *d)
{
    memset(d, 0, sizeof *d);
    if (len > TC_DELTA_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    const uint8_t *prot, *payload;
    size_t prot_len, payload_len;
    uint8_t sig[TC_SIG_BYTES];
    const struct tc_endorsement *en;
    enum tc_err e = tc_cose_sign1_parse(in, len, d->kid, &prot, &prot_len, &payload, &payload_len,
                                        sig);
    if (e != TC_OK)
        return e;
    /* the signature first, then the members, then the signer's standing on the day it claims */
    if (!(en = tc_trust_find(tl, d->kid)))
        return TC_ERR_NOT_AUTHORISED;
    if ((e = tc_cose_sign1_check(prot, prot_len, payload, payload_len, TC_AAD_DELTA, sig,
                                 en->pk)) != TC_OK ||
        (e = read_delta(payload, payload_len, d)) != TC_OK ||
        (e = check_signer(tl, d->kid, d->issued_at, now, &en)) != TC_OK ||
        (e = dated_ahead(d->issued_at, now)) != TC_OK ||
        (e = open_checkpoint(tl, d->note, d->note_len, tc_beijing_day(d->issued_at), now,
                             &d->checkpoint, &en)) != TC_OK) {
        tc_delta_close(d);
        return e;
    }
    /* the entries end at the checkpoint; the frontier is of the register before them */
    d->frontier.size = d->checkpoint.size - d->n_leaves;
    if (d->n_leaves > d->checkpoint.size || !tc_reg_frontier_valid(&d->frontier) ||
        d->version <= d->from_version) {
        tc_delta_close(d);
        return TC_ERR_INCONSISTENT;
    }
    return TC_OK;
}

/* The entries extend the register `from` holds: the frontier gives from's root, and with the
 * entries appended, the delta's checkpoint's root. Then what they say about certificates, on top
 * of from's lists, with nothing issued, revoked or superseded twice. */
static enum tc_err check_entries(const struct tc_bundle *from, const struct tc_delta *d,
                                 struct tc_reg_status *st)
{
    uint8_t root[TC_REG_HASH], h[TC_REG_HASH];
    struct tc_reg_frontier f = d->frontier;
    tc_reg_frontier_root(&f, root);
    if (d->from_version != from->version || memcmp(d->from_sha256, from->file_sha256, 32) != 0 ||
        f.size != from->checkpoint.size || memcmp(root, from->checkpoint.root, TC_REG_HASH) != 0 ||
        strcmp(d->checkpoint.origin, from->checkpoint.origin) != 0)
        return TC_ERR_INCONSISTENT;
    for (size_t i = 0; i < d->n_leaves; i++) {
        struct tc_reg_leaf l;
        enum tc_err e;
        if ((e = tc_reg_leaf_decode(d->leaf[i], d->leaf_len[i], &l)) != TC_OK ||
            (e = tc_reg_status_add(st, f.size, &l)) != TC_OK)
            return e;
        tc_reg_leaf_hash(h, d->leaf[i], d->leaf_len[i]);
        tc_reg_frontier_append(&f, h);
    }
    tc_reg_frontier_root(&f, root);
    if (memcmp(root, d->checkpoint.root, TC_REG_HASH) != 0)
        return TC_ERR_INCONSISTENT;
    return tc_reg_status_finish(st, from, NULL) ? TC_ERR_INCONSISTENT : TC_OK;
}

/* returns the signature the delta carries: the full bundle is assembled around it */
static enum tc_err carried_sig(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                               size_t *sig_len)
{
    (void)msg, (void)len;
    if (cap < TC_SIG_BYTES)
        return TC_ERR_BUFFER;
    memcpy(sig, ctx, TC_SIG_BYTES);
    *sig_len = TC_SIG_BYTES;
    return TC_OK;
}

/* The full bundle the delta stands for: from's members that no entry changes, its lists with
 * the entries' additions, the delta's version, time, checkpoint, proofs and audit head, under the
 * signature the delta carries. */
static enum tc_err assemble(const struct tc_bundle *from, const struct tc_delta *d,
                            const struct tc_reg_status *st, uint8_t **out, size_t *len,
                            struct tc_index_chunks *chunks)
{
    struct tc_bundle_content c = {
        .version = d->version, .issued_at = d->issued_at, .trust = from->trust_raw,
        .trust_len = from->trust_raw_len, .units = from->units, .n_units = from->n_units,
        .names = from->names ? from->names : "", .profile_json = from->profile_json,
        .titles_raw = from->titles_raw, .titles_raw_len = from->titles_raw_len,
        .audit_seq = d->more.audit_seq, .province = from->province, .proofs = d->more.proofs,
        .n_proofs = d->more.n_proofs, .chunk_known = (const uint8_t(*)[32])from->chunk_sha};
    memcpy(c.audit_head, d->more.audit_head, 32);
    /* from's chunks stand as they are up to the first that an added id sorts into (ids are
     * issued in ascending order, but one issued out of order rewrites the chunks from its
     * place on, as the publisher does) */
    while (c.n_chunk_known < from->n_chunks &&
           (!st->n_index ||
            from->index[(c.n_chunk_known + 1) * TC_INDEX_CHUNK - 1].id < st->index[0].id))
        c.n_chunk_known++;
    /* the writer reads no entry of a known chunk: only the entries after them are merged */
    c.index_from = c.n_chunk_known * TC_INDEX_CHUNK;
    char *note = dup_bytes(d->note, d->note_len);
    void *ix = NULL, *rv = NULL, *sp = NULL;
    size_t n_tail = 0;
    enum tc_err e = note ? TC_OK : TC_ERR_NOMEM;
    if (e == TC_OK &&
        (e = merge(from->index + c.index_from, from->n_index - c.index_from, st->index,
                   st->n_index, sizeof *st->index, &ix, &n_tail)) == TC_OK &&
        (e = merge(from->revoked, from->n_revoked, st->revoked, st->n_revoked,
                   sizeof *st->revoked, &rv, &c.n_revoked)) == TC_OK &&
        (e = merge(from->superseded, from->n_superseded, st->superseded, st->n_superseded,
                   sizeof *st->superseded, &sp, &c.n_superseded)) == TC_OK) {
        c.note = note, c.index = ix, c.n_index = c.index_from + n_tail;
        c.revoked = rv, c.superseded = sp;
        e = tc_bundle_encode_signed(&c, d->kid, carried_sig, (void *)d->bundle_sig, out, len,
                                    chunks);
    }
    free(note), free(ix), free(rv), free(sp);
    return e;
}

/* The chunk files a delta's result adds, as the writer made them (read and hashed as any chunk
 * file). Those it shares with the bundle it applies to are that bundle's (parse_bundle's from). */
static enum tc_err made_get(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len)
{
    const struct tc_index_chunks *made = ctx;
    for (size_t k = made->first_new; k < made->n; k++)
        if (memcmp(made->sha[k], sha256, 32) == 0) {
            size_t i = k - made->first_new;
            if (!(*bytes = malloc(made->len[i])))
                return TC_ERR_NOMEM;
            memcpy(*bytes, made->bytes[i], *len = made->len[i]);
            return TC_OK;
        }
    return TC_ERR_NOT_FOUND;
}

enum tc_err tc_bundle_apply_delta(const struct tc_bundle *from, const uint8_t *in, size_t len,
                                  const uint8_t root_pk[TC_PK_BYTES], uint64_t now,
                                  struct tc_bundle **out, uint8_t **bytes, size_t *bytes_len,
                                  struct tc_index_chunks *chunks)
{
    *out = NULL, *bytes = NULL, *bytes_len = 0;
    struct tc_index_chunks own, *ch = chunks ? chunks : &own;
    memset(ch, 0, sizeof *ch);
    struct tc_chunk_source src = {made_get, ch, ""};
    struct tc_delta d;
    uint8_t sum[32];
    struct tc_reg_status st;
    tc_reg_status_init(&st);
    /* signed by a key the bundle in use endorses for status, not revoked by now */
    enum tc_err e = tc_delta_open(in, len, from->tl, now, &d);
    if (e != TC_OK)
        return e;
    if ((e = check_entries(from, &d, &st)) == TC_OK &&
        (e = assemble(from, &d, &st, bytes, bytes_len, ch)) == TC_OK) {
        /* the result must be the very bundle the delta names, and verify as any bundle does */
        crypto_hash_sha256(sum, *bytes, *bytes_len);
        e = memcmp(sum, d.to_sha256, 32) == 0
                ? parse_bundle(*bytes, *bytes_len, root_pk, now, &src, from, out)
                : TC_ERR_INCONSISTENT;
    }
    if (e != TC_OK) {
        free(*bytes);
        *bytes = NULL, *bytes_len = 0;
    }
    if (e != TC_OK || !chunks)
        tc_index_chunks_free(ch);
    tc_reg_status_free(&st);
    tc_delta_close(&d);
    return e;
}
