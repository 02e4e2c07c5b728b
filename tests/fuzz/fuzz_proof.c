/*
 * fuzz_proof.c - libFuzzer target for RFC 9162 proof verification, and a property: the input
 * picks sizes, indexes and hashes; arbitrary proofs must be judged without a crash, and for a
 * tree built from the input, every proof the tree gives must verify (abort otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16 + 64 || size > 16 + 64 + TC_REG_PROOF_MAX * TC_REG_HASH)
        return 0;
    /* arbitrary: sizes (any 64-bit values), two roots, a proof of what is left */
    uint64_t a = u64(data), b = u64(data + 8);
    const uint8_t *r1 = data + 16, *r2 = data + 48;
    size_t n = (size - 80) / TC_REG_HASH;
    const uint8_t(*proof)[TC_REG_HASH] = (const uint8_t(*)[TC_REG_HASH])(data + 80);
    (void)tc_reg_verify_inclusion(a, b, r1, proof, n, r2);
    (void)tc_reg_verify_consistency(a, b, r1, r2, proof, n);
    /* property: a small tree of the input's leaves; its proofs verify */
    struct tc_reg_tree t;
    tc_reg_tree_init(&t);
    uint64_t leaves = 1 + (a % 300);
    for (uint64_t i = 0; i < leaves; i++) {
        uint8_t h[TC_REG_HASH];
        tc_reg_leaf_hash(h, data + (i % size), 1 + (i % 7 < size - (i % size) ? i % 7 : 0));
        if (tc_reg_tree_append(&t, h) != TC_OK)
            abort();
    }
    struct tc_reg_source s = tc_reg_tree_source(&t);
    uint64_t m = 1 + b % leaves, idx = (a >> 9) % leaves;
    uint8_t rm[TC_REG_HASH], rn[TC_REG_HASH], p[TC_REG_PROOF_MAX][TC_REG_HASH];
    size_t len;
    if (tc_reg_root(&s, m, rm) != TC_OK || tc_reg_root(&s, leaves, rn) != TC_OK ||
        tc_reg_prove_consistency(&s, m, leaves, p, &len) != TC_OK ||
        !tc_reg_verify_consistency(m, leaves, rm, rn, (const uint8_t(*)[TC_REG_HASH])p, len))
        abort();
    if (tc_reg_prove_inclusion(&s, idx, leaves, p, &len) != TC_OK ||
        !tc_reg_verify_inclusion(idx, leaves, t.level[0] + idx * TC_REG_HASH,
                                 (const uint8_t(*)[TC_REG_HASH])p, len, rn))
        abort();
    tc_reg_tree_free(&t);
    return 0;
}
