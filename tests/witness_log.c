/*
 * witness_log.c - a transparency log for the witness tests: two fixed trees ("a", and "b" which
 * agrees with a on its first 7 leaves and differs after: a log showing a split view), a fixed log
 * key, and the requests a log sends a witness, built with the register's own code.
 *
 *   witness_log vkey                      the log's verifier key (name+hex8+base64(0x01 || key))
 *   witness_log body [opts] OLD NEW       an add-checkpoint body: "old OLD", the consistency proof
 *                                         OLD -> NEW of the tree, an empty line, the checkpoint
 *                                         of size NEW signed by the log
 *       --tree a|b        which tree (default a)
 *       --origin O        another origin in the checkpoint (signed by the same key)
 *       --key-seed N      sign with another key (a forged log signature)
 *       --say-old M       say "old M" but prove from OLD
 *       --flip-proof      change one bit of the first proof hash
 *       --extension       add an extension line to the checkpoint
 *   witness_log note [--tree a|b] N       the signed checkpoint of size N
 *   witness_log root [--tree a|b] N       its root, base64
 *   witness_log check WVKEY [--tree a|b] N FILE
 *                                         FILE holds a witness's answer (co-signature lines):
 *                                         prints "<time> <root>" when WVKEY's line verifies on
 *                                         the checkpoint of size N, exit 1 otherwise
 * Trees hold up to 4096 leaves. Not titlecert code: a test fixture.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

#define ORIGIN "titlecert.invalid/register/witness-test"
#define LEAVES 4096
#define SPLIT_AT 7 /* trees a and b share leaves 0..6 */

struct opts {
    char tree;
    const char *origin;
    int key_seed;
    long say_old;
    int flip, extension;
};

static void log_key(int seed, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t s[32];
    memset(s, 0x2a + seed, sizeof s);
    crypto_sign_seed_keypair(pk, sk, s);
}

static void build(struct tc_reg_tree *t, char tree, uint64_t n)
{
    tc_reg_tree_init(t);
    for (uint64_t i = 0; i < n; i++) {
        char leaf[64];
        int len = snprintf(leaf, sizeof leaf, "leaf %c %llu", i < SPLIT_AT ? 'a' : tree,
                           (unsigned long long)i);
        uint8_t h[32];
        tc_reg_leaf_hash(h, (const uint8_t *)leaf, (size_t)len);
        if (tc_reg_tree_append(t, h) != TC_OK)
            exit(2);
    }
}

/* The signed checkpoint of tree's first n leaves, into out. */
static size_t note(const struct opts *o, uint64_t n, char *out, size_t size)
{
    struct tc_reg_tree t;
    struct tc_checkpoint c = {0};
    uint8_t pk[32], sk[64], sig[64];
    char body[1024];
    build(&t, o->tree, n);
    struct tc_reg_source s = tc_reg_tree_source(&t);
    snprintf(c.origin, sizeof c.origin, "%s", o->origin);
    c.size = n;
    if (tc_reg_root(&s, n, c.root) != TC_OK)
        exit(2);
    size_t blen = tc_checkpoint_format(&c, body, sizeof body);
    if (o->extension)
        blen += (size_t)snprintf(body + blen, sizeof body - blen, "extension line\n");
    log_key(o->key_seed, pk, sk);
    crypto_sign_detached(sig, NULL, (const uint8_t *)body, blen, sk);
    uint8_t real_pk[32], real_sk[64];
    log_key(0, real_pk, real_sk);
    /* a forged signature still claims the log's key name and key id */
    size_t len = tc_note_format(body, blen, ORIGIN, real_pk, sig, out, size);
    tc_reg_tree_free(&t);
    return len;
}

static int body(const struct opts *o, uint64_t old, uint64_t n)
{
    struct tc_reg_tree t;
    uint8_t proof[TC_REG_PROOF_MAX][32];
    size_t len = 0;
    char b64[64], cp[TC_REG_NOTE_MAX];
    build(&t, o->tree, n);
    struct tc_reg_source s = tc_reg_tree_source(&t);
    if (old > 0 && old < n && tc_reg_prove_consistency(&s, old, n, proof, &len) != TC_OK)
        return 2;
    tc_reg_tree_free(&t);
    if (o->flip && len)
        proof[0][0] ^= 1;
    printf("old %llu\n", (unsigned long long)(o->say_old >= 0 ? (uint64_t)o->say_old : old));
    for (size_t i = 0; i < len; i++) {
        sodium_bin2base64(b64, sizeof b64, proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
        printf("%s\n", b64);
    }
    size_t nlen = note(o, n, cp, sizeof cp);
    printf("\n%.*s", (int)nlen, cp);
    return 0;
}

/* the witness's answer in file, appended to the checkpoint, verified with its key */
static int check(const struct opts *o, const char *wvkey, uint64_t n, const char *file)
{
    struct tc_cosigner w;
    char cp[TC_REG_NOTE_MAX * 2], answer[TC_REG_NOTE_MAX];
    FILE *f = fopen(file, "rb");
    size_t alen = f ? fread(answer, 1, sizeof answer - 1, f) : 0;
    if (f)
        fclose(f);
    if (tc_cosigner_parse(&w, wvkey) != TC_OK || alen == 0)
        return 2;
    size_t len = note(o, n, cp, sizeof cp);
    memcpy(cp + len, answer, alen);
    struct tc_note parsed;
    uint64_t t;
    if (tc_note_parse(cp, len + alen, &parsed) != TC_OK ||
        tc_cosig_verify(&parsed, &w, &t) != TC_OK)
        return 1;
    struct tc_checkpoint c;
    char b64[64];
    if (tc_checkpoint_parse(parsed.text, parsed.text_len, &c) != TC_OK)
        return 1;
    sodium_bin2base64(b64, sizeof b64, c.root, 32, sodium_base64_VARIANT_ORIGINAL);
    printf("%llu %s\n", (unsigned long long)t, b64);
    return 0;
}

static int options(int argc, char **argv, struct opts *o)
{
    static const struct option opts[] = {{"tree", required_argument, 0, 't'},
                                         {"origin", required_argument, 0, 'o'},
                                         {"key-seed", required_argument, 0, 'k'},
                                         {"say-old", required_argument, 0, 's'},
                                         {"flip-proof", no_argument, 0, 'f'},
                                         {"extension", no_argument, 0, 'e'},
                                         {0, 0, 0, 0}};
    int c;
    *o = (struct opts){.tree = 'a', .origin = ORIGIN, .say_old = -1};
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            o->tree = optarg[0];
            break;
        case 'o':
            o->origin = optarg;
            break;
        case 'k':
            o->key_seed = atoi(optarg);
            break;
        case 's':
            o->say_old = atol(optarg);
            break;
        case 'f':
            o->flip = 1;
            break;
        case 'e':
            o->extension = 1;
            break;
        default:
            return -1;
        }
    }
    return o->tree == 'a' || o->tree == 'b' ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (sodium_init() < 0 || argc < 2)
        return 2;
    const char *cmd = argv[1];
    argv++, argc--;
    if (options(argc, argv, &o) != 0)
        return 2;
    int rest = argc - optind;
    char **a = argv + optind;
    if (strcmp(cmd, "vkey") == 0) {
        uint8_t pk[32], sk[64];
        char vk[256];
        log_key(0, pk, sk);
        tc_note_vkey(vk, sizeof vk, ORIGIN, pk);
        printf("%s\n", vk);
        return 0;
    }
    if (strcmp(cmd, "body") == 0 && rest == 2) {
        uint64_t old = strtoull(a[0], NULL, 10), n = strtoull(a[1], NULL, 10);
        return n <= LEAVES && old <= n ? body(&o, old, n) : 2;
    }
    if ((strcmp(cmd, "note") == 0 || strcmp(cmd, "root") == 0) && rest == 1) {
        char cp[TC_REG_NOTE_MAX];
        uint64_t n = strtoull(a[0], NULL, 10);
        size_t len = n <= LEAVES ? note(&o, n, cp, sizeof cp) : 0;
        if (!len)
            return 2;
        if (cmd[0] == 'n')
            fwrite(cp, 1, len, stdout);
        else
            printf("%.44s\n", strchr(strchr(cp, '\n') + 1, '\n') + 1);
        return 0;
    }
    if (strcmp(cmd, "check") == 0 && rest == 3)
        return check(&o, a[0], strtoull(a[1], NULL, 10), a[2]);
    fprintf(stderr, "usage: witness_log vkey | body [opts] OLD NEW | note N | root N | check "
                    "WVKEY N FILE\n");
    return 2;
}
