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
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "publication.h"

#define BUNDLE_TYPE 4
#define BUNDLE_MEMBERS 14

/* Reads the payload head by head (tc_tok_next): a bundle of a million entries never becomes a
 * million tokens in memory. Each call keeps its token in `cur`; a mismatch ends the read. */
struct rd {
    struct tc_tok_reader tr;
    struct tc_tok cur;
    size_t budget; /* a bound on list lengths: no list has more entries than the input has bytes */
};

static const struct tc_tok *next(struct rd *r, uint8_t kind)
{
    if (!tc_tok_next(&r->tr, &r->cur) || r->cur.kind != kind)
        return NULL;
    return &r->cur;
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
    free(b->proofs);
    free(b->trust_raw);
    free(b);
}

static int unit_cmp(const char *uscc, int32_t from, const struct tc_bundle_unit *u)
{
    int c = strcmp(uscc, u->uscc);
    return c ? c : (from > u->from) - (from < u->from);
}

/* A list's head: its length (no more than the input has bytes) and an array that long. */
static enum tc_err read_list(struct rd *r, size_t elem, void **v, size_t *n)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x || x->value > r->budget)
        return TC_ERR_TYPE;
    *n = (size_t)x->value;
    return (*v = calloc(*n ? *n : 1, elem)) ? TC_OK : TC_ERR_NOMEM;
}

/* 4: [[id, day, reason]], ascending ids */
static enum tc_err read_revoked(struct rd *r, struct tc_bundle *b)
{
    int64_t v;
    enum tc_err e = read_list(r, sizeof *b->revoked, (void **)&b->revoked, &b->n_revoked);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_revoked; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        if (!a || a->value != 3 || !(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        b->revoked[i].id = t->value;
        if (!rd_int(r, &v) || !(t = next(r, TC_TOK_TEXT)) ||
            t->len >= sizeof b->revoked[i].reason || !tc_text_safe(t->p, t->len))
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
    enum tc_err e = read_list(r, sizeof *b->superseded, (void **)&b->superseded, &b->n_superseded);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_superseded; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        uint64_t id;
        if (!a || a->value != 3 || !(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        id = t->value;
        if (!(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        b->superseded[i].id = id;
        b->superseded[i].successor = t->value;
        if (!rd_int(r, &v))
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
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x || x->value > r->budget)
        return TC_ERR_TYPE;
    b->n_units = (size_t)x->value;
    b->units = calloc(b->n_units ? b->n_units : 1, sizeof *b->units);
    size_t names_cap = 1024, names_len = 0;
    b->names = malloc(names_cap);
    if (!b->units || !b->names)
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
        if (names_len + name->len + 1 > names_cap) {
            names_cap = (names_cap + name->len + 1) * 2;
            char *grown = realloc(b->names, names_cap);
            if (!grown)
                return TC_ERR_NOMEM;
            b->names = grown;
        }
        u->name_off = (uint32_t)names_len;
        memcpy(b->names + names_len, name->p, name->len);
        names_len += name->len;
        b->names[names_len++] = '\0';
        if (i && unit_cmp(u->uscc, u->from, &b->units[i - 1]) <= 0)
            return TC_ERR_NONCANONICAL; /* sorted by USCC, then from */
    }
    return TC_OK;
}

/* 12: [[id, leaf, h'16']], ascending ids */
static enum tc_err read_index(struct rd *r, struct tc_bundle *b)
{
    enum tc_err e = read_list(r, sizeof *b->index, (void **)&b->index, &b->n_index);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < b->n_index; i++) {
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        struct tc_bundle_registered *en = &b->index[i];
        if (!a || a->value != 3 || !(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        en->id = t->value;
        if (!(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        en->leaf = t->value;
        if (!(t = next(r, TC_TOK_BYTES)) || t->len != TC_BUNDLE_INDEX_HASH)
            return TC_ERR_TYPE;
        memcpy(en->hash, t->p, TC_BUNDLE_INDEX_HASH);
        if (i && en->id <= b->index[i - 1].id)
            return TC_ERR_NONCANONICAL;
    }
    return TC_OK;
}

/* 13: [[size, [hash...]]], ascending sizes */
static enum tc_err read_proofs(struct rd *r, struct tc_bundle *b)
{
    const struct tc_tok *x = next(r, TC_TOK_ARRAY);
    if (!x || x->value > TC_BUNDLE_MAX_PROOFS)
        return TC_ERR_TYPE;
    b->n_proofs = (size_t)x->value;
    b->proofs = calloc(b->n_proofs ? b->n_proofs : 1, sizeof *b->proofs);
    if (!b->proofs)
        return TC_ERR_NOMEM;
    for (size_t i = 0; i < b->n_proofs; i++) {
        struct tc_bundle_proof *p = &b->proofs[i];
        const struct tc_tok *a = next(r, TC_TOK_ARRAY), *t;
        if (!a || a->value != 2 || !(t = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        p->size = t->value;
        if (!(t = next(r, TC_TOK_ARRAY)) || t->value > TC_REG_PROOF_MAX)
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
    if (!a || a->value != 2 || !(t = next(r, TC_TOK_UINT)))
        return TC_ERR_TYPE;
    b->audit_seq = t->value;
    if (!(t = next(r, TC_TOK_BYTES)) || t->len != 32)
        return TC_ERR_TYPE;
    memcpy(b->audit_head, t->p, 32);
    return TC_OK;
}

/* Reads the list at the cursor; TC_ERR_TYPE/RANGE/NONCANONICAL on any deviation. */
static enum tc_err read_lists(struct rd *r, struct tc_bundle *b, const uint8_t **trust,
                              size_t *trust_len, const char **profile, size_t *profile_len,
                              const char **note, size_t *note_len)
{
    const struct tc_tok *x = next(r, TC_TOK_MAP);
    enum tc_err e;
    if (!x || x->value != BUNDLE_MEMBERS)
        return TC_ERR_TYPE;
    for (uint64_t key = 0; key < BUNDLE_MEMBERS; key++) {
        if (!(x = next(r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        switch (key) {
        case 0:
            if (!(x = next(r, TC_TOK_UINT)) || x->value != BUNDLE_TYPE)
                return TC_ERR_TYPE;
            break;
        case 1:
        case 2:
            if (!(x = next(r, TC_TOK_UINT)))
                return TC_ERR_TYPE;
            *(key == 1 ? &b->version : &b->issued_at) = x->value;
            break;
        case 3:
            if (!(x = next(r, TC_TOK_BYTES)))
                return TC_ERR_TYPE;
            *trust = x->p, *trust_len = x->len;
            break;
        case 4:
            if ((e = read_revoked(r, b)) != TC_OK)
                return e;
            break;
        case 5:
            if ((e = read_superseded(r, b)) != TC_OK)
                return e;
            break;
        case 6:
            if ((e = read_units(r, b)) != TC_OK)
                return e;
            break;
        case 7:
            if (!(x = next(r, TC_TOK_TEXT)))
                return TC_ERR_TYPE;
            *profile = (const char *)x->p, *profile_len = x->len;
            break;
        case 8:
            if ((e = read_titles(r)) != TC_OK)
                return e;
            break;
        case 9:
            if ((e = read_audit_head(r, b)) != TC_OK)
                return e;
            break;
        case 10:
            if (!(x = next(r, TC_TOK_UINT)) || x->value >= 100)
                return TC_ERR_TYPE;
            b->province = (uint32_t)x->value;
            break;
        case 11:
            if (!(x = next(r, TC_TOK_TEXT)) || x->len > TC_REG_NOTE_MAX)
                return TC_ERR_TYPE;
            *note = (const char *)x->p, *note_len = x->len;
            break;
        case 12:
            if ((e = read_index(r, b)) != TC_OK)
                return e;
            break;
        case 13:
            if ((e = read_proofs(r, b)) != TC_OK)
                return e;
            break;
        }
    }
    struct tc_tok extra;
    return tc_tok_next(&r->tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}

/* The members before the lists: type, version, issued_at and the embedded trust list. Nothing
 * is allocated: this runs on bytes whose signature is not checked yet. */
static enum tc_err read_head(const uint8_t *payload, size_t len, struct tc_bundle *b,
                             const uint8_t **trust, size_t *trust_len)
{
    struct rd r;
    memset(&r, 0, sizeof r);
    enum tc_err e = tc_tok_reader_init(&r.tr, payload, len);
    if (e != TC_OK)
        return e;
    r.tr.canonical = true;
    const struct tc_tok *x = next(&r, TC_TOK_MAP);
    if (!x || x->value != BUNDLE_MEMBERS)
        return TC_ERR_TYPE;
    for (uint64_t key = 0; key <= 3; key++) {
        if (!(x = next(&r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        if (key == 3) {
            if (!(x = next(&r, TC_TOK_BYTES)))
                return TC_ERR_TYPE;
            *trust = x->p, *trust_len = x->len;
        } else {
            if (!(x = next(&r, TC_TOK_UINT)) || (key == 0 && x->value != BUNDLE_TYPE))
                return TC_ERR_TYPE;
            if (key)
                *(key == 1 ? &b->version : &b->issued_at) = x->value;
        }
    }
    return TC_OK;
}

/* The signer must be endorsed for status publication, in term and not revoked when it signed. */
static enum tc_err check_signer(const struct tc_bundle *b, const struct tc_endorsement **out)
{
    const struct tc_endorsement *en = tc_trust_find(b->tl, b->signer);
    int32_t day = tc_beijing_day(b->issued_at);
    const struct tc_revocation *rv = tc_trust_find_revocation(b->tl, b->signer);
    if (!en || !(en->authz.tracks & TC_AUTHZ_STATUS) || day < en->not_before ||
        day > en->not_after || (rv && day >= rv->day))
        return TC_ERR_NOT_AUTHORISED;
    *out = en;
    return TC_OK;
}

enum tc_err tc_checkpoint_open(const struct tc_trust_list *tl, const char *note, size_t len,
                               int32_t day, struct tc_checkpoint *cp,
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
        const struct tc_revocation *rv = tc_trust_find_revocation(tl, en->kid);
        const char *body;
        size_t blen;
        if (!(en->authz.tracks & TC_AUTHZ_REGISTER) ||
            (day != INT32_MIN &&
             (day < en->not_before || day > en->not_after || (rv && day >= rv->day))))
            continue;
        if (tc_note_open(note, len, cp->origin, en->pk, &body, &blen) == TC_OK) {
            *key = en;
            return TC_OK;
        }
    }
    return TC_ERR_BAD_SIGNATURE;
}

/* The register checkpoint (A3): a signed note whose key is endorsed for register checkpoints,
 * in term and not revoked on the bundle's day; the index and proofs must fit inside it. */
static enum tc_err check_register(struct tc_bundle *b, const char *note, size_t len)
{
    enum tc_err e = tc_checkpoint_open(b->tl, note, len, tc_beijing_day(b->issued_at),
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

enum tc_err tc_bundle_parse(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                            struct tc_bundle **out)
{
    *out = NULL;
    if (len > TC_BUNDLE_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    const uint8_t *prot, *payload, *trust = NULL;
    const char *profile = NULL;
    size_t prot_len, payload_len, trust_len = 0, profile_len = 0;
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
    if ((e = read_head(payload, payload_len, b, &trust, &trust_len)) != TC_OK ||
        (e = tc_trust_list_parse(trust, trust_len, root_pk, &b->tl)) != TC_OK ||
        (e = check_signer(b, &en)) != TC_OK ||
        (e = tc_cose_sign1_check(prot, prot_len, payload, payload_len, TC_AAD_BUNDLE, sig,
                                 en->pk)) != TC_OK)
        goto out;
    /* then the lists, of authenticated bytes */
    struct rd r;
    memset(&r, 0, sizeof r);
    r.budget = payload_len;
    if ((e = tc_tok_reader_init(&r.tr, payload, payload_len)) != TC_OK)
        goto out;
    r.tr.canonical = true;
    const char *note = NULL;
    size_t note_len = 0;
    if ((e = read_lists(&r, b, &trust, &trust_len, &profile, &profile_len, &note, &note_len)) != TC_OK ||
        (e = check_register(b, note, note_len)) != TC_OK)
        goto out;
    const char *why;
    if ((e = tc_profile_parse(&b->profile, profile, profile_len, &why)) != TC_OK)
        goto out;
    if (b->profile.province != b->province) {
        e = TC_ERR_INCONSISTENT;
        goto out;
    }
    crypto_hash_sha256(b->file_sha256, in, len);
    if (!(b->trust_raw = malloc(trust_len ? trust_len : 1))) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    memcpy(b->trust_raw, trust, trust_len);
    b->trust_raw_len = trust_len;
    *out = b;
    b = NULL;
out:
    tc_bundle_free(b);
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
    memset(&r, 0, sizeof r);
    r.budget = len;
    const uint8_t *trust;
    const char *profile, *note;
    size_t trust_len, profile_len, note_len;
    enum tc_err e = tc_tok_reader_init(&r.tr, payload, len);
    if (e == TC_OK) {
        r.tr.canonical = true;
        e = read_lists(&r, b, &trust, &trust_len, &profile, &profile_len, &note, &note_len);
    }
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

/* The element of a sorted array whose leading uint64_t id is `id`, or NULL: the index, the
 * revoked and the superseded lists all start with the certificate id. */
_Static_assert(offsetof(struct tc_bundle_revoked, id) == 0, "id first");
_Static_assert(offsetof(struct tc_bundle_superseded, id) == 0, "id first");
_Static_assert(offsetof(struct tc_bundle_registered, id) == 0, "id first");

static const void *find_id(const void *base, size_t n, size_t size, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t at;
        memcpy(&at, (const uint8_t *)base + mid * size, sizeof at);
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n)
        return NULL;
    uint64_t at;
    memcpy(&at, (const uint8_t *)base + lo * size, sizeof at);
    return at == id ? (const uint8_t *)base + lo * size : NULL;
}

const struct tc_bundle_revoked *tc_bundle_revoked(const struct tc_bundle *b, uint64_t id)
{
    return find_id(b->revoked, b->n_revoked, sizeof *b->revoked, id);
}

const struct tc_bundle_registered *tc_bundle_registered(const struct tc_bundle *b, uint64_t id)
{
    return find_id(b->index, b->n_index, sizeof *b->index, id);
}

const struct tc_bundle_superseded *tc_bundle_superseded(const struct tc_bundle *b, uint64_t id)
{
    return find_id(b->superseded, b->n_superseded, sizeof *b->superseded, id);
}

/* ---- deltas ----------------------------------------------------------------------------------- */

/* merges sorted additions into a sorted array of n elements of `size` bytes keyed by a leading
 * uint64_t id; an id present in both is an inconsistency */
static enum tc_err merge(const void *old, size_t n, const void *add, size_t m, size_t size,
                         void **out, size_t *outn)
{
    uint8_t *r = malloc((n + m ? n + m : 1) * size);
    if (!r)
        return TC_ERR_NOMEM;
    size_t i = 0, j = 0, k = 0;
    while (i < n || j < m) {
        uint64_t a = i < n ? *(const uint64_t *)((const uint8_t *)old + i * size) : UINT64_MAX;
        uint64_t b = j < m ? *(const uint64_t *)((const uint8_t *)add + j * size) : UINT64_MAX;
        if (i < n && j < m && a == b) {
            free(r);
            return TC_ERR_INCONSISTENT;
        }
        if (j >= m || (i < n && a < b))
            memcpy(r + k++ * size, (const uint8_t *)old + i++ * size, size);
        else
            memcpy(r + k++ * size, (const uint8_t *)add + j++ * size, size);
    }
    *out = r, *outn = k;
    return TC_OK;
}

/* A delta's members, read into `add` (its index, revoked, superseded and proofs lists are the
 * additions; version, issued_at and the audit head the new bundle's). */
struct delta {
    struct tc_bundle add;
    const char *note;
    size_t note_len;
    uint8_t to_sum[32];
};

static enum tc_err read_delta_member(struct rd *r, uint64_t key, const struct tc_bundle *from,
                                     struct delta *d)
{
    const struct tc_tok *x;
    switch (key) {
    case 0:
        return (x = next(r, TC_TOK_UINT)) && x->value == 6 ? TC_OK : TC_ERR_TYPE;
    case 1:
        return (x = next(r, TC_TOK_UINT)) && x->value == from->version ? TC_OK
                                                                      : TC_ERR_INCONSISTENT;
    case 2:
        return (x = next(r, TC_TOK_BYTES)) && x->len == 32 &&
                       memcmp(x->p, from->file_sha256, 32) == 0
                   ? TC_OK
                   : TC_ERR_INCONSISTENT;
    case 3:
    case 4:
        if (!(x = next(r, TC_TOK_UINT)))
            return TC_ERR_TYPE;
        *(key == 3 ? &d->add.version : &d->add.issued_at) = x->value;
        return TC_OK;
    case 5:
        if (!(x = next(r, TC_TOK_TEXT)) || x->len > TC_REG_NOTE_MAX)
            return TC_ERR_TYPE;
        d->note = (const char *)x->p, d->note_len = x->len;
        return TC_OK;
    case 6:
        return read_index(r, &d->add);
    case 7:
        return read_revoked(r, &d->add);
    case 8:
        return read_superseded(r, &d->add);
    case 9:
        return read_proofs(r, &d->add);
    case 10:
        return read_audit_head(r, &d->add);
    default: /* 11 */
        if (!(x = next(r, TC_TOK_BYTES)) || x->len != 32)
            return TC_ERR_TYPE;
        memcpy(d->to_sum, x->p, 32);
        return TC_OK;
    }
}

static enum tc_err read_delta(const uint8_t *payload, size_t len, const struct tc_bundle *from,
                              struct delta *d)
{
    struct rd r;
    memset(&r, 0, sizeof r);
    r.budget = len;
    enum tc_err e = tc_tok_reader_init(&r.tr, payload, len);
    if (e != TC_OK)
        return e;
    r.tr.canonical = true;
    const struct tc_tok *x = next(&r, TC_TOK_MAP);
    if (!x || x->value != 12)
        return TC_ERR_TYPE;
    for (uint64_t key = 0; key < 12; key++) {
        if (!(x = next(&r, TC_TOK_UINT)) || x->value != key)
            return TC_ERR_MISSING_KEY;
        if ((e = read_delta_member(&r, key, from, d)) != TC_OK)
            return e;
    }
    struct tc_tok extra;
    return tc_tok_next(&r.tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}

/* What a delta does not carry is the old bundle's: the trust list (read again from its bytes),
 * profile, units and their names, province. */
static enum tc_err copy_static(const struct tc_bundle *from, const uint8_t root_pk[TC_PK_BYTES],
                               struct tc_bundle *b)
{
    b->province = from->province;
    b->profile = from->profile;
    enum tc_err e = tc_trust_list_parse(from->trust_raw, from->trust_raw_len, root_pk, &b->tl);
    if (e != TC_OK)
        return e;
    if (!(b->trust_raw = malloc(from->trust_raw_len ? from->trust_raw_len : 1)) ||
        !(b->units = malloc((from->n_units ? from->n_units : 1) * sizeof *b->units)))
        return TC_ERR_NOMEM;
    memcpy(b->trust_raw, from->trust_raw, from->trust_raw_len);
    b->trust_raw_len = from->trust_raw_len;
    memcpy(b->units, from->units, from->n_units * sizeof *b->units);
    b->n_units = from->n_units;
    size_t names_len = 0; /* the names buffer ends after the last name's NUL */
    for (size_t i = 0; i < from->n_units; i++) {
        size_t end = from->units[i].name_off + strlen(from->names + from->units[i].name_off) + 1;
        if (end > names_len)
            names_len = end;
    }
    if (!(b->names = malloc(names_len ? names_len : 1)))
        return TC_ERR_NOMEM;
    memcpy(b->names, from->names, names_len);
    return TC_OK;
}

/* The lists of the old bundle with the delta's additions merged in. */
static enum tc_err merge_lists(const struct tc_bundle *from, struct tc_bundle *add,
                               struct tc_bundle *b)
{
    void *m;
    size_t mn;
    enum tc_err e;
    if ((e = merge(from->index, from->n_index, add->index, add->n_index, sizeof *add->index, &m,
                   &mn)) != TC_OK)
        return e;
    b->index = m, b->n_index = mn;
    if ((e = merge(from->revoked, from->n_revoked, add->revoked, add->n_revoked,
                   sizeof *add->revoked, &m, &mn)) != TC_OK)
        return e;
    b->revoked = m, b->n_revoked = mn;
    if ((e = merge(from->superseded, from->n_superseded, add->superseded, add->n_superseded,
                   sizeof *add->superseded, &m, &mn)) != TC_OK)
        return e;
    b->superseded = m, b->n_superseded = mn;
    return TC_OK;
}

enum tc_err tc_bundle_apply_delta(const struct tc_bundle *from, const uint8_t *in, size_t len,
                                  const uint8_t root_pk[TC_PK_BYTES], struct tc_bundle **out)
{
    *out = NULL;
    if (len > TC_DELTA_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    const uint8_t *prot, *payload;
    size_t prot_len, payload_len;
    uint8_t kid[TC_KID_BYTES], sig[TC_SIG_BYTES];
    enum tc_err e = tc_cose_sign1_parse(in, len, kid, &prot, &prot_len, &payload, &payload_len, sig);
    if (e != TC_OK)
        return e;
    /* the signer: endorsed for status in the trust list the bundle already holds */
    const struct tc_endorsement *en = tc_trust_find(from->tl, kid);
    const struct tc_revocation *rv = tc_trust_find_revocation(from->tl, kid);
    if (!en || !(en->authz.tracks & TC_AUTHZ_STATUS))
        return TC_ERR_NOT_AUTHORISED;
    if ((e = tc_cose_sign1_check(prot, prot_len, payload, payload_len, TC_AAD_DELTA, sig,
                                 en->pk)) != TC_OK)
        return e;
    struct delta d;
    memset(&d, 0, sizeof d);
    struct tc_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return TC_ERR_NOMEM;
    if ((e = read_delta(payload, payload_len, from, &d)) != TC_OK)
        goto out;
    e = TC_ERR_INCONSISTENT;
    if (d.add.version <= from->version)
        goto out;
    int32_t day = tc_beijing_day(d.add.issued_at); /* the signer in term, not revoked, that day */
    if (day < en->not_before || day > en->not_after || (rv && day >= rv->day)) {
        e = TC_ERR_NOT_AUTHORISED;
        goto out;
    }
    b->version = d.add.version, b->issued_at = d.add.issued_at;
    b->audit_seq = d.add.audit_seq;
    memcpy(b->audit_head, d.add.audit_head, 32);
    b->proofs = d.add.proofs, b->n_proofs = d.add.n_proofs, d.add.proofs = NULL;
    memcpy(b->signer, kid, TC_KID_BYTES);
    if ((e = copy_static(from, root_pk, b)) != TC_OK || (e = merge_lists(from, &d.add, b)) != TC_OK ||
        (e = check_register(b, d.note, d.note_len)) != TC_OK)
        goto out;
    memcpy(b->file_sha256, d.to_sum, 32);
    *out = b;
    b = NULL;
out:
    free(d.add.index);
    free(d.add.revoked);
    free(d.add.superseded);
    free(d.add.proofs);
    tc_bundle_free(b);
    return e;
}
