/*
 * fuzz_witness.c - libFuzzer target for the witness's parsers and add-checkpoint checks
 * (witness/). The log is tests/witness_log.c's (its origin and key), so the bodies that program
 * writes are seeds that reach past the signature. The first byte picks a mode:
 *   0  the rest is an add-checkpoint body: opened, and decided against a state held at size 5
 *      of witness_log's tree a and against the never-co-signed state;
 *   1  the rest is an add-checkpoint body whose checkpoint text (after the first empty line) the
 *      target signs with the log's key first (a fuzzer cannot forge Ed25519): the checkpoint and
 *      proof checks behind the signature are explored;
 *   2  the rest is a state file of that log;
 *   3  the rest is a configuration file.
 * Invariants (a failure aborts): whatever is co-signed extends the state held (its size is not
 * smaller, and at the size held its root is the root held), and a state that parses formats
 * back to the same bytes.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witness.h"

#define ORIGIN "titlecert.invalid/register/witness-test"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tc_witness_config cfg;
static struct tc_witness_state held5, never;
static uint8_t pk[32], sk[64];

/* witness_log's tree a: leaf i is "leaf a <i>" */
static int setup(void)
{
    uint8_t seed[32];
    char vkey[256], text[512];
    size_t line;
    if (sodium_init() < 0)
        return -1;
    memset(seed, 0x2a, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    tc_note_vkey(vkey, sizeof vkey, ORIGIN, pk);
    int n = snprintf(text, sizeof text, "log %s %s\n", ORIGIN, vkey);
    if (tc_witness_config_parse(text, (size_t)n, &cfg, &line) != TC_OK)
        return -1;
    struct tc_reg_tree t;
    tc_reg_tree_init(&t);
    for (int i = 0; i < 5; i++) {
        char leaf[32];
        uint8_t h[32];
        int len = snprintf(leaf, sizeof leaf, "leaf a %d", i);
        tc_reg_leaf_hash(h, (const uint8_t *)leaf, (size_t)len);
        tc_reg_tree_append(&t, h);
    }
    struct tc_reg_source s = tc_reg_tree_source(&t);
    tc_witness_state_init(&never);
    tc_witness_state_init(&held5);
    held5.size = 5;
    tc_reg_root(&s, 5, held5.root);
    tc_reg_tree_free(&t);
    return 0;
}

static void decide(const char *body, size_t len)
{
    static struct tc_witness_submission sub;
    static struct tc_witness_state next;
    struct tc_witness_verdict v;
    if (tc_witness_open(&cfg, body, len, &sub, &v) != TC_WITNESS_COSIGN)
        return;
    const struct tc_witness_state *held[2] = {&held5, &never};
    for (int i = 0; i < 2; i++) {
        if (tc_witness_decide(&sub, held[i], &next, &v) != TC_WITNESS_COSIGN)
            continue;
        if (next.size < held[i]->size ||
            (next.size == held[i]->size && memcmp(next.root, held[i]->root, 32) != 0))
            abort();
    }
}

/* The body with its checkpoint text signed by the log (the text: after the first empty line). */
static void signed_body(const char *in, size_t len)
{
    static char body[TC_WITNESS_BODY_MAX + 256];
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len && !blank; i++)
        if (in[i] == '\n' && in[i + 1] == '\n')
            blank = in + i + 2;
    if (!blank || len > TC_WITNESS_BODY_MAX)
        return;
    size_t head = (size_t)(blank - in), tlen = len - head;
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)blank, tlen, sk);
    memcpy(body, in, head);
    size_t n = tc_note_format(blank, tlen, ORIGIN, pk, sig, body + head, sizeof body - head);
    if (n)
        decide(body, head + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static struct tc_witness_state st;
    static char again[TC_WITNESS_STATE_MAX];
    if (!ready && setup() == 0)
        ready = 1;
    if (!ready || size < 1 || size > TC_WITNESS_BODY_MAX + 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, line;
    struct tc_witness_config c;
    switch (data[0] % 4) {
    case 0: decide(text, len); break;
    case 1: signed_body(text, len); break;
    case 2:
        if (tc_witness_state_parse(text, len, ORIGIN, &st) == TC_OK &&
            (tc_witness_state_format(&st, again, sizeof again) != len ||
             memcmp(again, text, len) != 0))
            abort();
        break;
    default:
        if (tc_witness_config_parse(text, len, &c, &line) == TC_OK)
            tc_witness_config_free(&c);
    }
    return 0;
}
