/*
 * test_register_tree.c - the register's tree, proofs, tiles, leaves and signed notes (A3).
 *
 * External vectors:
 *   - RFC 6962 reference leaves, tree heads and proofs as published by transparency-dev/merkle
 *     (proof/verify_test.go; the same values as the certificate-transparency reference tests):
 *     roots of sizes 0..8, inclusion proofs (leaf 0, 5 of 8; 2 of 3; 1 of 5) and consistency
 *     proofs (1→8, 6→8, 2→5, 6→7), with that file's corruption probes.
 *   - The Ed25519 signed note of golang.org/x/mod/sumdb/note (note_test.go, TestOpen): the
 *     PeterNeumann key and its signature over the two-line text.
 * Property: 1,000 random appends, consistency checked between every pair of sizes and every
 * leaf's inclusion in every 37th size; tiles written and read back give the same roots, and a
 * flipped byte in a tile makes proofs fail.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "register.h"
#include "tap.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)

static void unhex(uint8_t *out, const char *hex)
{
    size_t n = strlen(hex) / 2;
    sodium_hex2bin(out, n, hex, strlen(hex), NULL, NULL, NULL);
}

static const char *const leaves_hex[8] = {"", "00", "10", "2021", "3031", "40414243",
                                          "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f"};
static const char *const roots_hex[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec {
    uint64_t a, b; /* inclusion: leaf index, size; consistency: size1, size2 */
    size_t n;
    const char *h[3];
};
static const struct vec inclusion[] = {
    {0, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8, 3, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1, 5, 3, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};
static const struct vec consistency[] = {
    {1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5, 2, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void reference_tree(struct tc_reg_tree *t)
{
    tc_reg_tree_init(t);
    for (int i = 0; i < 8; i++) {
        uint8_t leaf[16], h[32];
        size_t n = strlen(leaves_hex[i]) / 2;
        unhex(leaf, leaves_hex[i]);
        tc_reg_leaf_hash(h, leaf, n);
        tc_reg_tree_append(t, h);
    }
}

static void test_vectors(void)
{
    struct tc_reg_tree t;
    reference_tree(&t);
    struct tc_reg_source s = tc_reg_tree_source(&t);
    uint8_t roots[9][32], got[32];
    int good = 1;
    for (int n = 0; n <= 8; n++) {
        unhex(roots[n], roots_hex[n]);
        good &= tc_reg_root(&s, (uint64_t)n, got) == TC_OK && memcmp(got, roots[n], 32) == 0;
    }
    OK(good, "RFC 6962 reference roots of sizes 0..8 (transparency-dev/merkle vectors)");

    uint8_t proof[TC_REG_PROOF_MAX][32], want[3][32];
    size_t len = 0;
    for (size_t v = 0; v < sizeof inclusion / sizeof inclusion[0]; v++) {
        const struct vec *x = &inclusion[v];
        for (size_t k = 0; k < x->n; k++)
            unhex(want[k], x->h[k]);
        enum tc_err e = tc_reg_prove_inclusion(&s, x->a, x->b, proof, &len);
        OK(e == TC_OK && len == x->n && memcmp(proof, want, len * 32) == 0,
           "inclusion proof of leaf %llu in %llu is the reference proof", (unsigned long long)x->a,
           (unsigned long long)x->b);
        uint8_t lh[32], leaf[16];
        unhex(leaf, leaves_hex[x->a]);
        tc_reg_leaf_hash(lh, leaf, strlen(leaves_hex[x->a]) / 2);
        OK(tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]),
           "the reference inclusion proof of leaf %llu in %llu verifies", (unsigned long long)x->a,
           (unsigned long long)x->b);
        /* transparency-dev's corruption probes */
        int wrong = 0;
        uint8_t bad[TC_REG_PROOF_MAX][32];
        wrong += x->a > 0 && tc_reg_verify_inclusion(x->a - 1, x->b, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a + 1, x->b, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a ^ 2, x->b, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a, x->b * 2, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a, x->b / 2, lh, (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a, x->b, roots[0], (const uint8_t(*)[32])want, x->n, roots[x->b]);
        wrong += tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])want, x->n, roots[0]);
        memcpy(bad, want, x->n * 32);
        memcpy(bad[x->n], roots[x->b], 32);
        wrong += tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])bad, x->n + 1, roots[x->b]);
        memcpy(bad[0], roots[x->b], 32);
        memcpy(bad[1], want, x->n * 32);
        wrong += tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])bad, x->n + 1, roots[x->b]);
        for (size_t k = 0; k < x->n; k++) {
            memcpy(bad, want, x->n * 32);
            bad[k][0] ^= 8;
            wrong += tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])bad, x->n, roots[x->b]);
        }
        wrong += tc_reg_verify_inclusion(x->a, x->b, lh, (const uint8_t(*)[32])want, x->n - 1, roots[x->b]);
        OK(wrong == 0, "no corrupted variant of that proof verifies (%d did)", wrong);
    }
    for (size_t v = 0; v < sizeof consistency / sizeof consistency[0]; v++) {
        const struct vec *x = &consistency[v];
        for (size_t k = 0; k < x->n; k++)
            unhex(want[k], x->h[k]);
        enum tc_err e = tc_reg_prove_consistency(&s, x->a, x->b, proof, &len);
        OK(e == TC_OK && len == x->n && memcmp(proof, want, len * 32) == 0,
           "consistency proof %llu -> %llu is the reference proof", (unsigned long long)x->a,
           (unsigned long long)x->b);
        const uint8_t(*w)[32] = (const uint8_t(*)[32])want;
        OK(tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], w, x->n),
           "the reference consistency proof %llu -> %llu verifies", (unsigned long long)x->a,
           (unsigned long long)x->b);
        int wrong = 0;
        uint8_t bad[TC_REG_PROOF_MAX][32];
        wrong += tc_reg_verify_consistency(x->a - 1, x->b, roots[x->a], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a + 1, x->b, roots[x->a], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a ^ 2, x->b, roots[x->a], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a, x->b * 2, roots[x->a], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a, x->b / 2, roots[x->a], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->b], roots[x->a], w, x->n);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[0], roots[x->b], w, x->n);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], w, 0);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], w, x->n - 1);
        memcpy(bad, want, x->n * 32);
        memcpy(bad[x->n], roots[x->a], 32);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], (const uint8_t(*)[32])bad, x->n + 1);
        memcpy(bad[0], want[0], 32);
        memcpy(bad[1], want, x->n * 32);
        wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], (const uint8_t(*)[32])bad, x->n + 1);
        for (size_t k = 0; k < x->n; k++) {
            memcpy(bad, want, x->n * 32);
            bad[k][0] ^= 16;
            wrong += tc_reg_verify_consistency(x->a, x->b, roots[x->a], roots[x->b], (const uint8_t(*)[32])bad, x->n);
        }
        OK(wrong == 0, "no corrupted variant of that proof verifies (%d did)", wrong);
    }
    OK(tc_reg_verify_consistency(0, 5, roots[0], roots[5], NULL, 0) &&
           tc_reg_verify_consistency(4, 4, roots[4], roots[4], NULL, 0) &&
           !tc_reg_verify_consistency(4, 4, roots[4], roots[5], NULL, 0) &&
           !tc_reg_verify_consistency(5, 4, roots[5], roots[4], NULL, 0),
       "consistency: from 0 always, equal sizes only with equal roots, never backwards");
    IS(tc_reg_prove_inclusion(&s, 8, 8, proof, &len), TC_ERR_RANGE, "no inclusion proof past the tree");
    IS(tc_reg_prove_consistency(&s, 9, 8, proof, &len), TC_ERR_RANGE, "no consistency proof to a smaller tree");
    tc_reg_tree_free(&t);
}

/* 1,000 random appends; consistency between every pair of sizes */
static void test_property(void)
{
    enum { N = 1000 };
    struct tc_reg_tree t;
    tc_reg_tree_init(&t);
    uint8_t (*roots)[32] = malloc((N + 1) * 32);
    for (int i = 0; i < N; i++) {
        uint8_t leaf[24], h[32];
        randombytes_buf(leaf, sizeof leaf);
        tc_reg_leaf_hash(h, leaf, 1 + (size_t)(leaf[0] % 23));
        tc_reg_tree_append(&t, h);
    }
    struct tc_reg_source s = tc_reg_tree_source(&t);
    int bad = 0;
    for (uint64_t n = 0; n <= N; n++)
        bad += tc_reg_root(&s, n, roots[n]) != TC_OK;
    /* the incremental tree agrees with a tree built from scratch at a few sizes */
    for (uint64_t n = 1; n <= N; n += 111) {
        struct tc_reg_tree u;
        tc_reg_tree_init(&u);
        for (uint64_t i = 0; i < n; i++)
            tc_reg_tree_append(&u, t.level[0] + i * 32);
        struct tc_reg_source us = tc_reg_tree_source(&u);
        uint8_t r[32];
        bad += tc_reg_root(&us, n, r) != TC_OK || memcmp(r, roots[n], 32) != 0;
        tc_reg_tree_free(&u);
    }
    OK(bad == 0, "roots of every size of a 1,000-leaf tree, and rebuilt trees agree");
    uint8_t proof[TC_REG_PROOF_MAX][32];
    size_t len = 0;
    uint64_t pairs = 0, failed = 0, cross = 0;
    for (uint64_t m = 1; m <= N; m++)
        for (uint64_t n = m; n <= N; n++) {
            pairs++;
            if (tc_reg_prove_consistency(&s, m, n, proof, &len) != TC_OK ||
                !tc_reg_verify_consistency(m, n, roots[m], roots[n], (const uint8_t(*)[32])proof, len))
                failed++;
            /* the same proof against a wrong old root fails (every 97th pair) */
            else if (m != n && (m * 31 + n) % 97 == 0 &&
                     tc_reg_verify_consistency(m, n, roots[m - 1], roots[n], (const uint8_t(*)[32])proof, len))
                cross++;
        }
    OK(failed == 0 && cross == 0, "consistency proofs between all %llu pairs of sizes verify (%llu "
       "failed), and none against a wrong root (%llu did)", (unsigned long long)pairs,
       (unsigned long long)failed, (unsigned long long)cross);
    failed = 0;
    uint64_t proofs = 0;
    for (uint64_t n = 1; n <= N; n += 37)
        for (uint64_t i = 0; i < n; i++) {
            proofs++;
            if (tc_reg_prove_inclusion(&s, i, n, proof, &len) != TC_OK ||
                !tc_reg_verify_inclusion(i, n, t.level[0] + i * 32, (const uint8_t(*)[32])proof, len, roots[n]))
                failed++;
        }
    OK(failed == 0, "%llu inclusion proofs (every leaf, every 37th size) verify", (unsigned long long)proofs);
    free(roots);
    tc_reg_tree_free(&t);
}

static char dir[] = "/tmp/tc_register_XXXXXX";

static enum tc_err leaf_bytes(void *ctx, uint64_t i, const uint8_t **p, size_t *len)
{
    static uint8_t buf[8];
    (void)ctx;
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)(i >> (8 * k));
    *p = buf, *len = 1 + i % 8;
    return TC_OK;
}

static void test_tiles(void)
{
    char path[128];
    OK(tc_tile_path(path, sizeof path, 0, 1234067, UINT64_C(1) << 40) == 256 &&
           strcmp(path, "tile/0/x001/x234/067") == 0,
       "tile path of index 1234067 is tile/0/x001/x234/067 (C2SP tlog-tiles)");
    OK(tc_tile_path(path, sizeof path, 1, 0, 256 * 3 + 5) == 3 && strcmp(path, "tile/1/000.p/3") == 0,
       "a partial level-1 tile is tile/1/000.p/3");
    OK(tc_tile_path(path, sizeof path, -1, 2, 600) == 88 && strcmp(path, "tile/entries/002.p/88") == 0,
       "a partial entry bundle is tile/entries/002.p/88");

    if (!mkdtemp(dir)) {
        OK(0, "mkdtemp");
        return;
    }
    struct tc_reg_tree t;
    tc_reg_tree_init(&t);
    enum { N = 66000 }; /* three tile levels: 66000 > 256 * 256 */
    for (uint64_t i = 0; i < N; i++) {
        const uint8_t *p;
        size_t len = 0;
        uint8_t h[32];
        leaf_bytes(NULL, i, &p, &len);
        tc_reg_leaf_hash(h, p, len);
        tc_reg_tree_append(&t, h);
        if (i + 1 == 1000) { /* a first publication at 1,000 leaves */
            uint64_t written;
            int err;
            OK(tc_tiles_write(dir, &t, leaf_bytes, NULL, &written, &err) == TC_OK && written == 9,
               "tiles of 1,000 leaves: 9 files written (%llu)", (unsigned long long)written);
        }
    }
    uint64_t written;
    int err;
    OK(tc_tiles_write(dir, &t, leaf_bytes, NULL, &written, &err) == TC_OK,
       "tiles of %d leaves written (%llu files; full tiles from the first run kept)", N,
       (unsigned long long)written);
    struct tc_reg_source ms = tc_reg_tree_source(&t);
    struct tc_tile_reader *r;
    OK(tc_tile_reader_open(dir, N, &r) == TC_OK, "tile reader opens");
    struct tc_reg_source ts = tc_tile_reader_source(r);
    int bad = 0;
    for (uint64_t n = 1; n <= N; n += 997) {
        uint8_t a[32], b[32];
        bad += tc_reg_root(&ms, n, a) != TC_OK || tc_reg_root(&ts, n, b) != TC_OK || memcmp(a, b, 32);
    }
    uint8_t root[32], lh[32], proof[TC_REG_PROOF_MAX][32];
    tc_reg_root(&ms, N, root);
    size_t len = 0;
    for (uint64_t i = 0; i < N; i += 331) {
        const uint8_t *p;
        size_t n;
        bad += tc_tile_reader_leaf(r, i, &p, &n) != TC_OK || n != 1 + i % 8 || p[0] != (uint8_t)i;
        tc_reg_leaf_hash(lh, p, n);
        bad += tc_reg_prove_inclusion(&ts, i, N, proof, &len) != TC_OK ||
               !tc_reg_verify_inclusion(i, N, lh, (const uint8_t(*)[32])proof, len, root);
    }
    OK(bad == 0, "roots, leaves and inclusion proofs read from the tiles agree with the tree");
    tc_tile_reader_close(r);

    /* flip one byte of a level-0 tile and of the level-1 tile: proofs through them fail */
    const char *victims[] = {"tile/0/007", "tile/1/000", "tile/2/000.p/1"};
    for (int v = 0; v < 3; v++) {
        snprintf(path, sizeof path, "%s/%s", dir, victims[v]);
        FILE *f = fopen(path, "r+b");
        int c = f ? fgetc(f) : EOF;
        if (f) {
            fseek(f, 0, SEEK_SET);
            fputc(c ^ 1, f);
            fclose(f);
        }
        tc_tile_reader_open(dir, N, &r);
        ts = tc_tile_reader_source(r);
        uint64_t leaf = v == 0 ? 7 * 256 + 3 : v == 1 ? 65000 : 65999;
        uint8_t rr[32];
        bool fails = tc_reg_prove_inclusion(&ts, leaf, N, proof, &len) != TC_OK ||
                     !tc_reg_verify_inclusion(leaf, N, t.level[0] + leaf * 32, (const uint8_t(*)[32])proof, len, root);
        bool root_differs = tc_reg_root(&ts, N, rr) != TC_OK || memcmp(rr, root, 32) != 0;
        /* the root of 66,000 leaves reads level 16 from tile/2 only */
        OK(f && fails && root_differs == (v == 2), "a flipped byte in %s: the proof of leaf %llu "
           "fails%s", victims[v], (unsigned long long)leaf, v == 2 ? " and the root differs" : "");
        tc_tile_reader_close(r);
        if (f) { /* restore */
            f = fopen(path, "r+b");
            fputc(c, f);
            fclose(f);
        }
    }
    snprintf(path, sizeof path, "%s/tile/0/003", dir);
    if (truncate(path, 100) != 0)
        printf("# truncate failed\n");
    tc_tile_reader_open(dir, N, &r);
    ts = tc_tile_reader_source(r);
    IS(tc_reg_prove_inclusion(&ts, 3 * 256, N, proof, &len), TC_ERR_TYPE, "a truncated tile is refused");
    tc_tile_reader_close(r);
    tc_reg_tree_free(&t);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

static void test_leaves(void)
{
    struct tc_reg_leaf l = {0}, back;
    uint8_t buf[TC_REG_LEAF_MAX];
    size_t len = 0;
    l.kind = TC_REG_ISSUE, l.id = 260000001, l.other = 3, l.day = 20400;
    memset(l.hash, 0xab, 32);
    memset(l.kid, 0x11, 8);
    OK(tc_reg_leaf_encode(&l, buf, &len) == TC_OK && tc_reg_leaf_decode(buf, len, &back) == TC_OK &&
           back.kind == l.kind && back.id == l.id && back.other == 3 && back.day == 20400 &&
           memcmp(back.hash, l.hash, 32) == 0 && memcmp(back.kid, l.kid, 8) == 0,
       "an issue leaf round-trips (%zu bytes)", len);
    uint8_t longer[TC_REG_LEAF_MAX + 1];
    memcpy(longer, buf, len);
    longer[len] = 0;
    OK(tc_reg_leaf_decode(longer, len + 1, &back) != TC_OK, "a leaf with a trailing byte is refused");
    struct tc_reg_leaf rv = {0};
    rv.kind = TC_REG_REVOKE, rv.id = 7, rv.day = -3;
    snprintf(rv.reason, sizeof rv.reason, "fraud");
    OK(tc_reg_leaf_encode(&rv, buf, &len) == TC_OK && tc_reg_leaf_decode(buf, len, &back) == TC_OK &&
           strcmp(back.reason, "fraud") == 0 && back.day == -3,
       "a revoke leaf round-trips with its reason code");
    snprintf(rv.reason, sizeof rv.reason, "张三");
    IS(tc_reg_leaf_encode(&rv, buf, &len), TC_ERR_TEXT, "a reason that is not a code (a name) is refused");
    static const uint8_t noncanon[] = {0x84, 0x18, 0x02, 0x07, 0x08, 0x01}; /* kind 2 in a 2-byte head */
    OK(tc_reg_leaf_decode(noncanon, sizeof noncanon, &back) != TC_OK, "a non-shortest head is refused");
}

static void test_notes(void)
{
    /* golang.org/x/mod/sumdb/note note_test.go TestOpen */
    static const char vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static const char go_note[] =
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    char name[64], again[160];
    uint8_t pk[32];
    IS(tc_note_vkey_parse(vkey, name, sizeof name, pk), TC_OK, "Go's note verifier key parses");
    tc_note_vkey(again, sizeof again, name, pk);
    OK(strcmp(again, vkey) == 0 && tc_note_key_id(name, pk) == 0xc74f20a3u,
       "its key id is c74f20a3 and it formats back to the same text");
    const char *body;
    size_t body_len;
    IS(tc_note_open(go_note, strlen(go_note), "PeterNeumann", pk, &body, &body_len), TC_OK,
       "Go's signed note verifies");
    OK(body_len == strlen(go_note) - strlen(strstr(go_note, "\n\n\xe2")) + 1, "the body is the text up to the blank line");
    char tampered[sizeof go_note];
    memcpy(tampered, go_note, sizeof go_note);
    tampered[3] = 'X';
    IS(tc_note_open(tampered, strlen(tampered), "PeterNeumann", pk, &body, &body_len),
       TC_ERR_BAD_SIGNATURE, "a changed text does not verify");
    IS(tc_note_open(go_note, strlen(go_note), "PeterNeumannX", pk, &body, &body_len),
       TC_ERR_BAD_SIGNATURE, "another key name does not verify");
    IS(tc_note_vkey_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                          sizeof name, pk), TC_ERR_CODE, "a verifier key with a wrong key hash is refused");

    /* our own: a checkpoint signed, a witness line added, malformed notes */
    uint8_t spk[32], ssk[64], sig[64];
    crypto_sign_keypair(spk, ssk);
    struct tc_checkpoint c = {0}, back;
    snprintf(c.origin, sizeof c.origin, "titlecert.example/GS/register");
    c.size = 12345;
    memset(c.root, 0x5a, 32);
    char cp[256], note[1024];
    size_t blen = tc_checkpoint_format(&c, cp, sizeof cp);
    crypto_sign_detached(sig, NULL, (const uint8_t *)cp, blen, ssk);
    size_t nlen = tc_note_format(cp, blen, c.origin, spk, sig, note, sizeof note);
    IS(tc_note_open(note, nlen, c.origin, spk, &body, &body_len), TC_OK, "our signed checkpoint opens");
    OK(tc_checkpoint_parse(body, body_len, &back) == TC_OK && back.size == 12345 &&
           strcmp(back.origin, c.origin) == 0 && memcmp(back.root, c.root, 32) == 0,
       "and parses back to origin, size and root");
    char witnessed[1200];
    snprintf(witnessed, sizeof witnessed, "%s\xe2\x80\x94 witness.example AAAAAAAAAAAAAAAAAAAAAAAAAA==\n", note);
    IS(tc_note_open(witnessed, strlen(witnessed), c.origin, spk, &body, &body_len), TC_OK,
       "another signer's line (a witness) is ignored");
    char bad[1200];
    snprintf(bad, sizeof bad, "%s- dash AAAA\n", note);
    IS(tc_note_open(bad, strlen(bad), c.origin, spk, &body, &body_len), TC_ERR_TYPE,
       "a signature line without the em dash is refused");
    snprintf(bad, sizeof bad, "%.*s", (int)nlen - 1, note);
    IS(tc_note_open(bad, strlen(bad), c.origin, spk, &body, &body_len), TC_ERR_TEXT,
       "a note without its final newline is refused");
    IS(tc_checkpoint_parse("o\n012\nAAAA\n", 11, &back), TC_ERR_TYPE, "a size with a leading zero is refused");
    IS(tc_checkpoint_parse("has space\n1\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n", 55, &back),
       TC_ERR_TYPE, "an origin with a space is refused");
    IS(tc_checkpoint_parse("o\n1\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n", 49, &back), TC_OK,
       "a minimal checkpoint parses");
}

/* The frontier: at every size, its root is the tree's (RFC 9162 reference vectors and a random
 * tree), and appending the next leaves to the frontier of size m gives the root of size n. */
static void test_frontier(void)
{
    struct tc_reg_tree t;
    reference_tree(&t);
    struct tc_reg_source s = tc_reg_tree_source(&t);
    int bad = 0;
    for (uint64_t n = 0; n <= 8; n++) {
        struct tc_reg_frontier f;
        uint8_t r[32], want[32];
        unhex(want, roots_hex[n]);
        bad += tc_reg_frontier_of(&s, n, &f) != TC_OK || !tc_reg_frontier_valid(&f);
        tc_reg_frontier_root(&f, r);
        bad += memcmp(r, want, 32) != 0;
    }
    OK(bad == 0, "frontier roots of the RFC 9162 reference tree at every size 0..8");
    tc_reg_tree_free(&t);
    enum { N = 300 };
    tc_reg_tree_init(&t);
    for (int i = 0; i < N; i++) {
        uint8_t leaf[8], h[32];
        randombytes_buf(leaf, sizeof leaf);
        tc_reg_leaf_hash(h, leaf, sizeof leaf);
        tc_reg_tree_append(&t, h);
    }
    s = tc_reg_tree_source(&t);
    uint64_t pairs = 0, failed = 0;
    for (uint64_t m = 0; m <= N; m += 7)
        for (uint64_t n = m; n <= N; n += 13) {
            struct tc_reg_frontier f;
            uint8_t got[32], want[32];
            pairs++;
            if (tc_reg_frontier_of(&s, m, &f) != TC_OK) {
                failed++;
                continue;
            }
            for (uint64_t i = m; i < n; i++)
                tc_reg_frontier_append(&f, t.level[0] + i * 32);
            tc_reg_frontier_root(&f, got);
            failed += tc_reg_root(&s, n, want) != TC_OK || memcmp(got, want, 32) != 0 ||
                      f.size != n || !tc_reg_frontier_valid(&f);
        }
    OK(failed == 0, "appending leaves m..n to the frontier of m gives the root of n (%llu pairs)",
       (unsigned long long)pairs);
    struct tc_reg_frontier f;
    tc_reg_frontier_of(&s, 100, &f);
    uint8_t other[32], root[32], r2[32];
    tc_reg_frontier_root(&f, root);
    memcpy(other, f.hash[1], 32);
    other[0] ^= 1;
    memcpy(f.hash[1], other, 32);
    tc_reg_frontier_root(&f, r2);
    OK(memcmp(root, r2, 32) != 0, "a changed frontier hash gives another root");
    f.len--;
    OK(!tc_reg_frontier_valid(&f), "a frontier with a hash missing for its size is not valid");
    tc_reg_tree_free(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_vectors();
    test_property();
    test_frontier();
    test_tiles();
    test_leaves();
    test_notes();
    return tap_done();
}
