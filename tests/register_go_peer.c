/*
 * register_go_peer.c - titlecert's half of the cross-check with Go's golang.org/x/mod/sumdb
 * (tests/go/tlogpeer): it writes a register of N realistic leaves in the C2SP tiles layout, a
 * checkpoint signed as a signed note, its verifier key and titlecert's own proofs (inclusion of
 * every leaf, consistency between random sizes) for Go to check; and it checks what Go wrote
 * (a Go-signed note and Go's proofs) with titlecert's verifier functions.
 *
 *   register_go_peer write DIR N     register_go_peer check DIR
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "register.h"

static struct tc_reg_tree tree;
static uint8_t (*leaves)[TC_REG_LEAF_MAX];
static size_t *leaf_len;

static enum tc_err leaf_at(void *ctx, uint64_t i, const uint8_t **p, size_t *len)
{
    (void)ctx;
    *p = leaves[i], *len = leaf_len[i];
    return TC_OK;
}

static void b64(char *out, const uint8_t *h)
{
    sodium_bin2base64(out, 64, h, TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
}

static int write_log(const char *dir, uint64_t n)
{
    leaves = calloc(n, sizeof *leaves);
    leaf_len = calloc(n, sizeof *leaf_len);
    if (!leaves || !leaf_len)
        return 1;
    tc_reg_tree_init(&tree);
    for (uint64_t i = 0; i < n; i++) {
        struct tc_reg_leaf l;
        memset(&l, 0, sizeof l);
        /* issue, supersede and revoke leaves as the issuer writes them */
        l.kind = i % 10 == 9 ? TC_REG_REVOKE : i % 10 == 8 ? TC_REG_SUPERSEDE : TC_REG_ISSUE;
        l.id = 260000000 + i, l.other = i / 100, l.day = 20788 + (int32_t)(i / 500);
        crypto_hash_sha256(l.hash, (const uint8_t *)&i, sizeof i);
        memcpy(l.kid, "\x1d\x94\xa6\xc1\xd3\xe7\xb3\xb6", 8);
        snprintf(l.reason, sizeof l.reason, "fraud");
        uint8_t h[TC_REG_HASH];
        if (tc_reg_leaf_encode(&l, leaves[i], &leaf_len[i]) != TC_OK)
            return 1;
        tc_reg_leaf_hash(h, leaves[i], leaf_len[i]);
        if (tc_reg_tree_append(&tree, h) != TC_OK)
            return 1;
    }
    mkdir(dir, 0755);
    uint64_t files;
    int err;
    if (tc_tiles_write(dir, &tree, leaf_at, NULL, &files, &err) != TC_OK)
        return 1;
    struct tc_reg_source s = tc_reg_tree_source(&tree);
    struct tc_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "titlecert.invalid/register/go-peer");
    c.size = n;
    tc_reg_root(&s, n, c.root);
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    char body[512], note[1024], vkey[256], path[4096];
    size_t blen = tc_checkpoint_format(&c, body, sizeof body);
    crypto_sign_detached(sig, NULL, (const uint8_t *)body, blen, sk);
    size_t nlen = tc_note_format(body, blen, c.origin, pk, sig, note, sizeof note);
    tc_note_vkey(vkey, sizeof vkey, c.origin, pk);
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    FILE *f = fopen(path, "w");
    if (!f || fwrite(note, 1, nlen, f) != nlen || fclose(f) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/vkey", dir);
    if (!(f = fopen(path, "w")) || fprintf(f, "%s\n", vkey) < 0 || fclose(f) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/proofs", dir);
    if (!(f = fopen(path, "w")))
        return 1;
    uint8_t proof[TC_REG_PROOF_MAX][TC_REG_HASH], rm[TC_REG_HASH], rn[TC_REG_HASH];
    size_t len;
    char a[64], b[64];
    b64(b, c.root);
    for (uint64_t i = 0; i < n; i++) { /* every leaf, in the whole tree */
        tc_reg_prove_inclusion(&s, i, n, proof, &len);
        b64(a, tree.level[0] + i * TC_REG_HASH);
        fprintf(f, "inclusion %llu %llu %s %s", (unsigned long long)i, (unsigned long long)n, a, b);
        for (size_t k = 0; k < len; k++) {
            b64(a, proof[k]);
            fprintf(f, " %s", a);
        }
        fputc('\n', f);
    }
    uint32_t seed = 7;
    for (int k = 0; k < 300; k++) { /* consistency between random sizes */
        seed = seed * 1103515245u + 12345u;
        uint64_t y = 1 + (seed >> 8) % n;
        seed = seed * 1103515245u + 12345u;
        uint64_t x = 1 + (seed >> 8) % y;
        tc_reg_prove_consistency(&s, x, y, proof, &len);
        tc_reg_root(&s, x, rm);
        tc_reg_root(&s, y, rn);
        b64(a, rm), b64(b, rn);
        fprintf(f, "consistency %llu %llu %s %s", (unsigned long long)x, (unsigned long long)y, a, b);
        for (size_t q = 0; q < len; q++) {
            b64(a, proof[q]);
            fprintf(f, " %s", a);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        return 1;
    printf("wrote a register of %llu leaves (%llu files), its signed checkpoint, and %llu inclusion "
           "and 300 consistency proofs\n", (unsigned long long)n, (unsigned long long)files,
           (unsigned long long)n);
    tc_reg_tree_free(&tree);
    free(leaves);
    free(leaf_len);
    return 0;
}

static size_t read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static bool hash_of(const char *s, uint8_t out[TC_REG_HASH])
{
    size_t got;
    return sodium_base642bin(out, TC_REG_HASH, s, strlen(s), NULL, &got, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 && got == TC_REG_HASH;
}

static int check_go(const char *dir)
{
    char path[4096], vkey[512], note[4096], name[160];
    uint8_t pk[32];
    snprintf(path, sizeof path, "%s/vkey", dir);
    size_t n = read_all(path, vkey, sizeof vkey);
    while (n && vkey[n - 1] == '\n')
        vkey[--n] = '\0';
    if (tc_note_vkey_parse(vkey, name, sizeof name, pk) != TC_OK) {
        fprintf(stderr, "Go's verifier key does not parse: %s\n", vkey);
        return 1;
    }
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    size_t nlen = read_all(path, note, sizeof note);
    const char *body;
    size_t blen;
    struct tc_checkpoint c;
    if (tc_note_open(note, nlen, name, pk, &body, &blen) != TC_OK ||
        tc_checkpoint_parse(body, blen, &c) != TC_OK) {
        fprintf(stderr, "Go's signed checkpoint does not open with its key\n");
        return 1;
    }
    printf("tc_note_open: Go's note of %s, %llu leaves, verifies with key %s\n", c.origin,
           (unsigned long long)c.size, name);
    snprintf(path, sizeof path, "%s/proofs", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    static char line[1 << 16];
    unsigned inc = 0, con = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char *w[80];
        int k = 0;
        for (char *save = NULL, *t = strtok_r(line, " \n", &save); t && k < 80;
             t = strtok_r(NULL, " \n", &save))
            w[k++] = t;
        if (k < 4)
            continue;
        uint64_t a = strtoull(w[1], NULL, 10), b = strtoull(w[2], NULL, 10);
        uint8_t h1[32], h2[32], proof[TC_REG_PROOF_MAX][32];
        size_t len = 0;
        bool is_inc = strcmp(w[0], "inclusion") == 0;
        if (!hash_of(w[3], h1) || !hash_of(w[4], h2)) {
            bad++;
            continue;
        }
        for (int q = 5; q < k && len < TC_REG_PROOF_MAX; q++)
            if (!hash_of(w[q], proof[len++]))
                bad++;
        if (is_inc) {
            inc++;
            bad += !tc_reg_verify_inclusion(a, b, h1, (const uint8_t(*)[32])proof, len, h2);
            /* and a changed proof fails */
            if (len) {
                proof[0][0] ^= 1;
                bad += tc_reg_verify_inclusion(a, b, h1, (const uint8_t(*)[32])proof, len, h2);
            }
        } else {
            con++;
            bad += !tc_reg_verify_consistency(a, b, h1, h2, (const uint8_t(*)[32])proof, len);
            if (len) {
                proof[len - 1][0] ^= 1;
                bad += tc_reg_verify_consistency(a, b, h1, h2, (const uint8_t(*)[32])proof, len);
            }
        }
    }
    fclose(f);
    printf("tc_reg_verify_*: Go's %u inclusion and %u consistency proofs verify, and altered ones do "
           "not (%u failures)\n", inc, con, bad);
    return bad || !inc || !con ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 2;
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return write_log(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check_go(argv[2]);
    fprintf(stderr, "usage: register_go_peer write DIR N | check DIR\n");
    return 2;
}
