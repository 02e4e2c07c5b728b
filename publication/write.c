/*
 * write.c - encodes and signs the status bundle and the delta (layouts in publication.h), in the
 * canonical form read.c demands: members in key order, shortest heads, lists as given (the
 * caller sorts them). Both are built in one buffer sized from the content, then signed through
 * the caller's signer handle.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "publication.h"

#define BUNDLE_TYPE 8 /* version 2: the index in chunk files (4 was version 1) */
#define DELTA_TYPE 7

/* A list of records, each an array of `arity` members that one() writes: n elements of `size`
 * bytes from v. The bundle's and the delta's lists are all of this form. */
static void write_list(struct tc_cw *w, const void *v, size_t n, size_t size, size_t arity,
                       void (*one)(struct tc_cw *w, const void *rec))
{
    tc_cw_array(w, n);
    for (size_t i = 0; i < n; i++) {
        tc_cw_array(w, arity);
        one(w, (const uint8_t *)v + i * size);
    }
}

/* 4: [id, day, reason] */
static void write_revoked(struct tc_cw *w, const void *rec)
{
    const struct tc_bundle_revoked *r = rec;
    tc_cw_uint(w, r->id);
    tc_cw_int(w, r->day);
    tc_cw_text(w, r->reason);
}

/* 5: [id, successor, day] */
static void write_superseded(struct tc_cw *w, const void *rec)
{
    const struct tc_bundle_superseded *s = rec;
    tc_cw_uint(w, s->id);
    tc_cw_uint(w, s->successor);
    tc_cw_int(w, s->day);
}

/* 12: [id, leaf, hash] */
static void write_registered(struct tc_cw *w, const void *rec)
{
    const struct tc_bundle_registered *r = rec;
    tc_cw_uint(w, r->id);
    tc_cw_uint(w, r->leaf);
    tc_cw_bytes(w, r->hash, TC_BUNDLE_INDEX_HASH);
}

/* 13 (a delta's 8): [size, [hash...]] */
static void write_proof(struct tc_cw *w, const void *rec)
{
    const struct tc_bundle_proof *p = rec;
    tc_cw_uint(w, p->size);
    tc_cw_array(w, p->len);
    for (size_t k = 0; k < p->len; k++)
        tc_cw_bytes(w, p->hashes[k], TC_REG_HASH);
}

static void write_proofs(struct tc_cw *w, const struct tc_bundle_proof *v, size_t n)
{
    write_list(w, v, n, sizeof *v, 2, write_proof);
}

/* 6: [[uscc, division, township, tier, flag, from, to, name]] */
static enum tc_err write_units(struct tc_cw *w, const struct tc_bundle_unit *u, size_t n,
                               const char *names)
{
    tc_cw_array(w, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t packed[TC_USCC_PACKED];
        if (tc_uscc_pack(packed, u[i].uscc) != TC_OK)
            return TC_ERR_CODE;
        tc_cw_array(w, 8);
        tc_cw_bytes(w, packed, sizeof packed);
        tc_cw_int(w, u[i].division);
        tc_cw_int(w, u[i].township);
        tc_cw_int(w, u[i].tier);
        tc_cw_int(w, u[i].flag);
        tc_cw_int(w, u[i].from);
        tc_cw_int(w, u[i].to);
        tc_cw_text(w, names + u[i].name_off);
    }
    return TC_OK;
}

enum tc_err tc_bundle_units_digest(const struct tc_bundle_unit *u, size_t n, const char *names,
                                   uint8_t out[32])
{
    size_t cap = 64 + n * 64;
    for (size_t i = 0; i < n; i++)
        cap += strlen(names + u[i].name_off) + 9;
    struct tc_cw w;
    if (tc_cw_alloc(&w, cap) != TC_OK)
        return TC_ERR_NOMEM;
    enum tc_err e = write_units(&w, u, n, names);
    if (e == TC_OK && w.overflow)
        e = TC_ERR_INTERNAL;
    if (e == TC_OK)
        crypto_hash_sha256(out, w.buf, w.len);
    free(w.buf);
    return e;
}

/* 8: the title table [[series, code, name, level, variant, title]] (policy/'s, compiled in) */
static void write_title(struct tc_cw *w, const void *rec)
{
    const struct tc_title *t = rec;
    tc_cw_uint(w, t->series);
    tc_cw_text(w, t->series_code);
    tc_cw_text(w, t->series_name);
    tc_cw_uint(w, t->level);
    tc_cw_uint(w, t->variant);
    tc_cw_text(w, t->title);
}

static void write_titles(struct tc_cw *w)
{
    size_t n;
    const struct tc_title *tt = tc_title_table(&n);
    write_list(w, tt, n, sizeof *tt, 6, write_title);
}

static void write_audit(struct tc_cw *w, uint64_t seq, const uint8_t head[32])
{
    tc_cw_array(w, 2), tc_cw_uint(w, seq), tc_cw_bytes(w, head, 32);
}

static size_t proofs_bytes(size_t n)
{
    return n * (16 + TC_REG_PROOF_MAX * (TC_REG_HASH + 2));
}

static size_t bundle_cap(const struct tc_bundle_content *c)
{
    size_t titles, names = 0;
    tc_title_table(&titles);
    for (size_t i = 0; i < c->n_units; i++)
        names += strlen(c->names + c->units[i].name_off) + 9;
    return 4096 + c->trust_len + strlen(c->profile_json) + strlen(c->note) + c->titles_raw_len +
           c->n_revoked * (TC_BUNDLE_REASON_MAX + 32) + c->n_superseded * 32 +
           c->n_units * 64 + names + titles * 200 +
           (c->n_index % TC_INDEX_CHUNK) * (24 + TC_BUNDLE_INDEX_HASH) +
           (c->n_index / TC_INDEX_CHUNK) * 40 + proofs_bytes(c->n_proofs);
}

void tc_index_chunks_free(struct tc_index_chunks *ch)
{
    if (!ch)
        return;
    for (size_t i = 0; ch->bytes && i + ch->first_new < ch->n; i++)
        free(ch->bytes[i]);
    free(ch->bytes);
    free(ch->len);
    free(ch->sha);
    memset(ch, 0, sizeof *ch);
}

enum tc_err tc_index_chunk_encode(const struct tc_bundle_registered *index, size_t k,
                                  uint8_t **out, size_t *len)
{
    struct tc_cw w;
    if (tc_cw_alloc(&w, TC_INDEX_CHUNK_MAX_BYTES) != TC_OK)
        return TC_ERR_NOMEM;
    write_list(&w, index + k * TC_INDEX_CHUNK, TC_INDEX_CHUNK, sizeof *index, 3, write_registered);
    enum tc_err e = tc_cw_take(&w, out, len);
    uint8_t *fit = e == TC_OK ? realloc(*out, *len) : NULL; /* held until written: no slack */
    if (fit)
        *out = fit;
    return e;
}

/* The index's complete chunks: the known ones' hashes as given, the others encoded and hashed. */
static enum tc_err make_chunks(const struct tc_bundle_content *c, struct tc_index_chunks *ch)
{
    size_t n = c->n_index / TC_INDEX_CHUNK, known = c->chunk_known ? c->n_chunk_known : 0;
    size_t skipped = c->index_from / TC_INDEX_CHUNK; /* chunks of which index holds nothing */
    memset(ch, 0, sizeof *ch);
    if (n > TC_BUNDLE_MAX_CHUNKS)
        return TC_ERR_SIZE_LIMIT;
    if (c->index_from % TC_INDEX_CHUNK || skipped > known || skipped > n)
        return TC_ERR_INTERNAL; /* an entry the bundle needs would not be there */
    ch->n = n, ch->first_new = known < n ? known : n;
    size_t fresh = n - ch->first_new;
    if (!(ch->sha = calloc(n ? n : 1, sizeof *ch->sha)) ||
        !(ch->bytes = calloc(fresh ? fresh : 1, sizeof *ch->bytes)) ||
        !(ch->len = calloc(fresh ? fresh : 1, sizeof *ch->len)))
        return TC_ERR_NOMEM;
    for (size_t k = 0; k < ch->first_new; k++)
        memcpy(ch->sha[k], c->chunk_known[k], 32);
    for (size_t k = ch->first_new; k < n; k++) {
        size_t i = k - ch->first_new;
        enum tc_err e = tc_index_chunk_encode(c->index, k - skipped, &ch->bytes[i], &ch->len[i]);
        if (e != TC_OK)
            return e;
        crypto_hash_sha256(ch->sha[k], ch->bytes[i], ch->len[i]);
    }
    return TC_OK;
}

/* 12 (version 2): [[chunk hashes], [the entries after the last complete chunk]] */
static void write_index(struct tc_cw *w, const struct tc_bundle_content *c,
                        const struct tc_index_chunks *ch)
{
    size_t done = ch->n * TC_INDEX_CHUNK;
    tc_cw_array(w, 2);
    tc_cw_array(w, ch->n);
    for (size_t k = 0; k < ch->n; k++)
        tc_cw_bytes(w, ch->sha[k], 32);
    if (c->n_index > done)
        write_list(w, c->index + (done - c->index_from), c->n_index - done, sizeof *c->index, 3,
                   write_registered);
    else
        tc_cw_array(w, 0);
}

/* The payload; *static_sum the SHA-256 of the members not from the register (3, 6, 7, 8, 10). */
static enum tc_err encode_bundle(const struct tc_bundle_content *c,
                                 const struct tc_index_chunks *ch, struct tc_cw *w,
                                 uint8_t static_sum[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    tc_cw_map(w, 14);
    tc_cw_uint(w, 0), tc_cw_uint(w, BUNDLE_TYPE);
    tc_cw_uint(w, 1), tc_cw_uint(w, c->version);
    tc_cw_uint(w, 2), tc_cw_uint(w, c->issued_at);
    size_t mark = w->len;
    tc_cw_uint(w, 3), tc_cw_bytes(w, c->trust, c->trust_len);
    if (!w->overflow)
        crypto_hash_sha256_update(&st, w->buf + mark, w->len - mark);
    tc_cw_uint(w, 4);
    write_list(w, c->revoked, c->n_revoked, sizeof *c->revoked, 3, write_revoked);
    tc_cw_uint(w, 5);
    write_list(w, c->superseded, c->n_superseded, sizeof *c->superseded, 3, write_superseded);
    mark = w->len;
    tc_cw_uint(w, 6);
    enum tc_err e = write_units(w, c->units, c->n_units, c->names);
    if (e != TC_OK)
        return e;
    tc_cw_uint(w, 7), tc_cw_text(w, c->profile_json);
    tc_cw_uint(w, 8);
    if (c->titles_raw)
        tc_cw_raw(w, c->titles_raw, c->titles_raw_len);
    else
        write_titles(w);
    if (!w->overflow)
        crypto_hash_sha256_update(&st, w->buf + mark, w->len - mark);
    tc_cw_uint(w, 9), write_audit(w, c->audit_seq, c->audit_head);
    mark = w->len;
    tc_cw_uint(w, 10), tc_cw_uint(w, c->province);
    if (!w->overflow)
        crypto_hash_sha256_update(&st, w->buf + mark, w->len - mark);
    crypto_hash_sha256_final(&st, static_sum);
    tc_cw_uint(w, 11), tc_cw_text(w, c->note);
    tc_cw_uint(w, 12), write_index(w, c, ch);
    tc_cw_uint(w, 13), write_proofs(w, c->proofs, c->n_proofs);
    return w->overflow ? TC_ERR_INTERNAL : TC_OK;
}

static enum tc_err sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                           size_t *sig_len)
{
    return tc_signer_sign(ctx, msg, len, sig, cap, sig_len);
}

/* The payload in w under a COSE_Sign1 made with sign(), malloc'd; limit: the most the reader
 * takes. */
static enum tc_err envelope(const struct tc_cw *w, const char *aad, size_t limit,
                            const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx,
                            uint8_t **out, size_t *len)
{
    size_t cap = w->len + 128 + TC_SIG_MAX_BYTES;
    if (cap > limit)
        return TC_ERR_SIZE_LIMIT;
    if (!(*out = malloc(cap)))
        return TC_ERR_NOMEM;
    enum tc_err e = tc_cose_sign1_build(*out, cap, len, w->buf, w->len, aad, TC_ALG_ED25519, kid,
                                        sign, ctx);
    if (e != TC_OK) {
        free(*out);
        *out = NULL;
    }
    return e;
}

/* The bundle of c signed with sign(), malloc'd; static_sum as encode_bundle's; the chunk files
 * in *chunks (freed here when NULL or on failure). */
static enum tc_err bundle_signed(const struct tc_bundle_content *c,
                                 const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx,
                                 uint8_t **out, size_t *len, uint8_t static_sum[32],
                                 struct tc_index_chunks *chunks)
{
    *out = NULL, *len = 0;
    struct tc_index_chunks own, *ch = chunks ? chunks : &own;
    struct tc_cw w = {0};
    enum tc_err e = make_chunks(c, ch);
    if (e == TC_OK && tc_cw_alloc(&w, bundle_cap(c)) != TC_OK)
        e = TC_ERR_NOMEM;
    if (e == TC_OK)
        e = encode_bundle(c, ch, &w, static_sum);
    if (e == TC_OK)
        e = envelope(&w, TC_AAD_BUNDLE, TC_BUNDLE_MAX_BYTES, kid, sign, ctx, out, len);
    free(w.buf);
    if (e != TC_OK || !chunks)
        tc_index_chunks_free(ch);
    return e;
}

enum tc_err tc_bundle_encode_signed(const struct tc_bundle_content *c,
                                    const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx,
                                    uint8_t **out, size_t *len, struct tc_index_chunks *chunks)
{
    uint8_t sum[32];
    return bundle_signed(c, kid, sign, ctx, out, len, sum, chunks);
}

enum tc_err tc_bundle_write(struct tc_signer *key, const struct tc_bundle_content *c,
                            uint8_t **out, size_t *len, uint8_t static_sha256[32],
                            struct tc_index_chunks *chunks)
{
    uint8_t sum[32];
    *out = NULL, *len = 0;
    if (chunks)
        memset(chunks, 0, sizeof *chunks);
    if (tc_signer_alg(key) != TC_ALG_ED25519)
        return TC_ERR_ALG; /* the bundle's profile is EdDSA, as certificates' */
    enum tc_err e = bundle_signed(c, tc_signer_pub(key)->kid, sign_cb, key, out, len, sum, chunks);
    if (e == TC_OK && static_sha256)
        memcpy(static_sha256, sum, 32);
    return e;
}

enum tc_err tc_delta_write(struct tc_signer *key, const struct tc_delta_content *c, uint8_t **out,
                           size_t *len)
{
    *out = NULL, *len = 0;
    size_t cap = 8192 + strlen(c->note) + c->n_leaves * (TC_REG_LEAF_MAX + 4) +
                 proofs_bytes(c->n_proofs);
    struct tc_cw w;
    if (tc_cw_alloc(&w, cap) != TC_OK)
        return TC_ERR_NOMEM;
    tc_cw_map(&w, 12);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, DELTA_TYPE);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, c->from_version);
    tc_cw_uint(&w, 2), tc_cw_bytes(&w, c->from_sha256, 32);
    tc_cw_uint(&w, 3), tc_cw_uint(&w, c->to_version);
    tc_cw_uint(&w, 4), tc_cw_uint(&w, c->issued_at);
    tc_cw_uint(&w, 5), tc_cw_text(&w, c->note);
    tc_cw_uint(&w, 6), tc_cw_array(&w, c->frontier->len);
    for (size_t i = 0; i < c->frontier->len; i++)
        tc_cw_bytes(&w, c->frontier->hash[i], TC_REG_HASH);
    tc_cw_uint(&w, 7), tc_cw_array(&w, c->n_leaves);
    for (size_t i = 0; i < c->n_leaves; i++)
        tc_cw_bytes(&w, c->leaf[i], c->leaf_len[i]);
    tc_cw_uint(&w, 8), write_proofs(&w, c->proofs, c->n_proofs);
    tc_cw_uint(&w, 9), write_audit(&w, c->audit_seq, c->audit_head);
    tc_cw_uint(&w, 10), tc_cw_bytes(&w, c->to_sha256, 32);
    tc_cw_uint(&w, 11), tc_cw_bytes(&w, c->bundle_sig, TC_SIG_BYTES);
    enum tc_err e = w.overflow ? TC_ERR_INTERNAL
                               : envelope(&w, TC_AAD_DELTA, TC_DELTA_MAX_BYTES,
                                          tc_signer_pub(key)->kid, sign_cb, key, out, len);
    free(w.buf);
    return e;
}
