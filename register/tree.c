/*
 * tree.c - RFC 9162 §2.1 Merkle trees: hashes, roots, inclusion and consistency proofs and their
 * verification, over any source of complete-subtree hashes (memory or tiles).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

void tc_reg_leaf_hash(uint8_t out[TC_REG_HASH], const uint8_t *leaf, size_t len)
{
    crypto_hash_sha256_state h;
    static const uint8_t zero = 0x00;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, &zero, 1);
    crypto_hash_sha256_update(&h, leaf, len);
    crypto_hash_sha256_final(&h, out);
}

void tc_reg_node_hash(uint8_t out[TC_REG_HASH], const uint8_t l[TC_REG_HASH],
                      const uint8_t r[TC_REG_HASH])
{
    uint8_t buf[1 + 2 * TC_REG_HASH];
    buf[0] = 0x01;
    memcpy(buf + 1, l, TC_REG_HASH);
    memcpy(buf + 1 + TC_REG_HASH, r, TC_REG_HASH);
    crypto_hash_sha256(out, buf, sizeof buf);
}

/* the largest power of two smaller than n (n >= 2) */
static uint64_t split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static unsigned log2_exact(uint64_t n)
{
    unsigned l = 0;
    while ((UINT64_C(1) << l) < n)
        l++;
    return l;
}

/* MTH(D[lo:hi]); in every range RFC 9162's recursions visit, lo is a multiple of the largest
 * power of two not above hi - lo, so complete subtrees are aligned and come from the source. */
static enum tc_err subtree(const struct tc_reg_source *s, uint64_t lo, uint64_t hi,
                           uint8_t out[TC_REG_HASH])
{
    uint64_t n = hi - lo;
    if ((n & (n - 1)) == 0) {
        unsigned l = log2_exact(n);
        if (lo & (n - 1))
            return TC_ERR_INTERNAL;
        return s->hash(s->ctx, l, lo >> l, out);
    }
    uint64_t k = split(n);
    uint8_t a[TC_REG_HASH], b[TC_REG_HASH];
    enum tc_err e = subtree(s, lo, lo + k, a);
    if (e == TC_OK)
        e = subtree(s, lo + k, hi, b);
    if (e == TC_OK)
        tc_reg_node_hash(out, a, b);
    return e;
}

enum tc_err tc_reg_root(const struct tc_reg_source *s, uint64_t n, uint8_t out[TC_REG_HASH])
{
    if (n == 0) {
        crypto_hash_sha256(out, (const uint8_t *)"", 0);
        return TC_OK;
    }
    if (n > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    return subtree(s, 0, n, out);
}

/* Proof hashes are produced deepest first, as RFC 9162 lists them; recursion appends on return. */
static enum tc_err path(const struct tc_reg_source *s, uint64_t m, uint64_t lo, uint64_t hi,
                        uint8_t (*proof)[TC_REG_HASH], size_t *len)
{
    if (hi - lo == 1)
        return TC_OK;
    uint64_t k = split(hi - lo);
    enum tc_err e;
    if (m - lo < k) {
        if ((e = path(s, m, lo, lo + k, proof, len)) != TC_OK)
            return e;
        return *len < TC_REG_PROOF_MAX ? subtree(s, lo + k, hi, proof[(*len)++]) : TC_ERR_RANGE;
    }
    if ((e = path(s, m, lo + k, hi, proof, len)) != TC_OK)
        return e;
    return *len < TC_REG_PROOF_MAX ? subtree(s, lo, lo + k, proof[(*len)++]) : TC_ERR_RANGE;
}

enum tc_err tc_reg_prove_inclusion(const struct tc_reg_source *s, uint64_t index, uint64_t n,
                                   uint8_t (*proof)[TC_REG_HASH], size_t *len)
{
    *len = 0;
    if (index >= n || n > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    return path(s, index, 0, n, proof, len);
}

static enum tc_err subproof(const struct tc_reg_source *s, uint64_t m, uint64_t lo, uint64_t hi,
                            bool b, uint8_t (*proof)[TC_REG_HASH], size_t *len)
{
    uint64_t n = hi - lo;
    enum tc_err e;
    if (m == n) {
        if (b)
            return TC_OK;
        return *len < TC_REG_PROOF_MAX ? subtree(s, lo, hi, proof[(*len)++]) : TC_ERR_RANGE;
    }
    uint64_t k = split(n);
    if (m <= k) {
        if ((e = subproof(s, m, lo, lo + k, b, proof, len)) != TC_OK)
            return e;
        return *len < TC_REG_PROOF_MAX ? subtree(s, lo + k, hi, proof[(*len)++]) : TC_ERR_RANGE;
    }
    if ((e = subproof(s, m - k, lo + k, hi, false, proof, len)) != TC_OK)
        return e;
    return *len < TC_REG_PROOF_MAX ? subtree(s, lo, lo + k, proof[(*len)++]) : TC_ERR_RANGE;
}

enum tc_err tc_reg_prove_consistency(const struct tc_reg_source *s, uint64_t m, uint64_t n,
                                     uint8_t (*proof)[TC_REG_HASH], size_t *len)
{
    *len = 0;
    if (m == 0 || m > n || n > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    if (m == n)
        return TC_OK;
    return subproof(s, m, 0, n, true, proof, len);
}

/* The walk up a proof of RFC 9162 (2.1.3.2 and 2.1.4.2) from node fn of a tree whose last node is
 * sn, with proof[i..len): sr takes every sibling, fr (NULL for an inclusion proof) only those on
 * its left. False when the proof does not end at the root. */
static bool walk(uint64_t fn, uint64_t sn, const uint8_t (*proof)[TC_REG_HASH], size_t i,
                 size_t len, uint8_t *fr, uint8_t sr[TC_REG_HASH])
{
    for (; i < len; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            if (fr)
                tc_reg_node_hash(fr, proof[i], fr);
            tc_reg_node_hash(sr, proof[i], sr);
            while (!(fn & 1) && fn != 0)
                fn >>= 1, sn >>= 1;
        } else {
            tc_reg_node_hash(sr, sr, proof[i]);
        }
        fn >>= 1, sn >>= 1;
    }
    return sn == 0;
}

bool tc_reg_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf_hash[TC_REG_HASH],
                             const uint8_t (*proof)[TC_REG_HASH], size_t len,
                             const uint8_t root[TC_REG_HASH])
{
    if (index >= n || len > TC_REG_PROOF_MAX)
        return false;
    uint8_t r[TC_REG_HASH];
    memcpy(r, leaf_hash, TC_REG_HASH);
    return walk(index, n - 1, proof, 0, len, NULL, r) &&
           sodium_memcmp(r, root, TC_REG_HASH) == 0;
}

bool tc_reg_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[TC_REG_HASH],
                               const uint8_t root_n[TC_REG_HASH],
                               const uint8_t (*proof)[TC_REG_HASH], size_t len)
{
    if (m > n || len > TC_REG_PROOF_MAX)
        return false;
    if (m == 0)
        return len == 0;
    if (m == n)
        return len == 0 && sodium_memcmp(root_m, root_n, TC_REG_HASH) == 0;
    if (len == 0)
        return false;
    /* when m is a power of two, the old root itself starts the path */
    const uint8_t *first = proof[0];
    size_t i = 1;
    if ((m & (m - 1)) == 0)
        first = root_m, i = 0;
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1)
        fn >>= 1, sn >>= 1;
    uint8_t fr[TC_REG_HASH], sr[TC_REG_HASH];
    memcpy(fr, first, TC_REG_HASH);
    memcpy(sr, first, TC_REG_HASH);
    return walk(fn, sn, proof, i, len, fr, sr) && sodium_memcmp(fr, root_m, TC_REG_HASH) == 0 &&
           sodium_memcmp(sr, root_n, TC_REG_HASH) == 0;
}

/* ---- the in-memory tree ---------------------------------------------------------------------- */

void tc_reg_tree_init(struct tc_reg_tree *t)
{
    memset(t, 0, sizeof *t);
}

void tc_reg_tree_free(struct tc_reg_tree *t)
{
    for (int i = 0; i < 64; i++)
        free(t->level[i]);
    memset(t, 0, sizeof *t);
}

static enum tc_err level_push(struct tc_reg_tree *t, unsigned l, uint64_t count,
                              const uint8_t h[TC_REG_HASH])
{
    if (count == t->cap[l]) {
        uint64_t cap = t->cap[l] ? t->cap[l] * 2 : 64;
        uint8_t *g = realloc(t->level[l], (size_t)cap * TC_REG_HASH);
        if (!g)
            return TC_ERR_NOMEM;
        t->level[l] = g, t->cap[l] = cap;
    }
    memcpy(t->level[l] + (size_t)count * TC_REG_HASH, h, TC_REG_HASH);
    return TC_OK;
}

enum tc_err tc_reg_tree_append(struct tc_reg_tree *t, const uint8_t leaf_hash[TC_REG_HASH])
{
    if (t->n >= TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    /* level l gains an entry when n becomes a multiple of 2^l. Entries past a level's count are
     * invisible (counts follow from n), so a failed allocation leaves the tree as it was. */
    uint64_t n = t->n + 1;
    uint8_t h[TC_REG_HASH];
    memcpy(h, leaf_hash, TC_REG_HASH);
    if (level_push(t, 0, n - 1, h) != TC_OK)
        return TC_ERR_NOMEM;
    for (unsigned l = 0; l < 62 && ((n >> l) & 1) == 0; l++) {
        uint64_t c = n >> l;
        const uint8_t *lv = t->level[l];
        tc_reg_node_hash(h, lv + (size_t)(c - 2) * TC_REG_HASH, lv + (size_t)(c - 1) * TC_REG_HASH);
        if (level_push(t, l + 1, (c >> 1) - 1, h) != TC_OK)
            return TC_ERR_NOMEM;
    }
    t->n = n;
    return TC_OK;
}

static enum tc_err tree_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[TC_REG_HASH])
{
    const struct tc_reg_tree *t = ctx;
    if (level >= 64 || index >= (t->n >> level))
        return TC_ERR_RANGE;
    memcpy(out, t->level[level] + (size_t)index * TC_REG_HASH, TC_REG_HASH);
    return TC_OK;
}

struct tc_reg_source tc_reg_tree_source(struct tc_reg_tree *t)
{
    struct tc_reg_source s = {tree_hash, t};
    return s;
}

/* ---- the frontier of a tree: its right edge, to append to -------------------------------------- */

static unsigned popcount64(uint64_t n)
{
    unsigned c = 0;
    for (; n; n &= n - 1)
        c++;
    return c;
}

enum tc_err tc_reg_frontier_of(const struct tc_reg_source *s, uint64_t n,
                               struct tc_reg_frontier *f)
{
    memset(f, 0, sizeof *f);
    if (n > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    uint64_t lo = 0;
    for (int bit = 63; bit >= 0; bit--) {
        uint64_t k = UINT64_C(1) << bit;
        if (!(n & k))
            continue;
        enum tc_err e = s->hash(s->ctx, (unsigned)bit, lo >> bit, f->hash[f->len]);
        if (e != TC_OK)
            return e;
        f->len++;
        lo += k;
    }
    f->size = n;
    return TC_OK;
}

bool tc_reg_frontier_valid(const struct tc_reg_frontier *f)
{
    return f->size <= TC_REG_SIZE_MAX && popcount64(f->size) == f->len;
}

void tc_reg_frontier_append(struct tc_reg_frontier *f, const uint8_t leaf_hash[TC_REG_HASH])
{
    /* a binary counter: the new leaf merges with every complete subtree of its size to its left */
    uint8_t h[TC_REG_HASH];
    memcpy(h, leaf_hash, TC_REG_HASH);
    for (uint64_t bit = 1; f->size & bit; bit <<= 1) {
        tc_reg_node_hash(h, f->hash[f->len - 1], h);
        f->len--;
    }
    memcpy(f->hash[f->len++], h, TC_REG_HASH);
    f->size++;
}

void tc_reg_frontier_root(const struct tc_reg_frontier *f, uint8_t out[TC_REG_HASH])
{
    if (f->len == 0) {
        crypto_hash_sha256(out, (const uint8_t *)"", 0);
        return;
    }
    /* RFC 9162 MTH: the largest complete subtree on the left, the rest hashed to its right */
    uint8_t h[TC_REG_HASH];
    memcpy(h, f->hash[f->len - 1], TC_REG_HASH);
    for (size_t i = f->len - 1; i-- > 0;)
        tc_reg_node_hash(h, f->hash[i], h);
    memcpy(out, h, TC_REG_HASH);
}
