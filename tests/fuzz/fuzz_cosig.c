/*
 * fuzz_cosig.c - libFuzzer target for witnesses' co-signatures (register/cosig.c) and the note
 * parser under them. The first byte picks a mode:
 *   0  the rest is a note: parsed, a fixed witness's line verified, a quorum of two counted;
 *   1  the rest is a note text: a fixed witness co-signs it (a fuzzer cannot forge Ed25519) and
 *      the co-signed note must parse and verify with the time signed, or the text was refused;
 *   2  the rest is a verifier key: one that parses must format back to the same text;
 *   3  the rest is a signature line appended to a fixed checkpoint, verified.
 * A broken invariant aborts, which libFuzzer reports.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tc_cosigner w[2];
static uint8_t sk[64];

static int setup(void)
{
    uint8_t seed[32] = {9}, pk[32], sk2[64];
    if (sodium_init() < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    tc_cosigner_init(&w[0], "witness.example.cn/w1", TC_COSIG_ED25519, pk, 32);
    seed[0] = 10;
    crypto_sign_seed_keypair(pk, sk2, seed);
    tc_cosigner_init(&w[1], "witness.example.cn/w2", TC_COSIG_ED25519, pk, 32);
    return 0;
}

static void sign_and_check(const char *text, size_t len, uint64_t t)
{
    static uint8_t msg[TC_COSIG_MSG_MAX];
    static char note[TC_REG_NOTE_MAX + TC_COSIG_LINE_MAX + 2];
    uint8_t sig[64];
    char line[TC_COSIG_LINE_MAX];
    size_t mlen, llen;
    /* a note's text ends in a newline: without one, the blank line is not where it is put */
    if (len == 0 || text[len - 1] != '\n' ||
        tc_cosig_message(&w[0], t, text, len, msg, sizeof msg, &mlen) != TC_OK)
        return;
    crypto_sign_detached(sig, NULL, msg, mlen, sk);
    if (tc_cosig_line(&w[0], t, sig, 64, line, sizeof line, &llen) != TC_OK)
        abort(); /* a signature of the right length at a valid time always formats */
    memcpy(note, text, len);
    note[len] = '\n';
    memcpy(note + len + 1, line, llen);
    struct tc_note n;
    uint64_t back = 0;
    if (tc_note_parse(note, len + 1 + llen, &n) != TC_OK)
        return; /* the text itself is not note text */
    if (n.text_len != len || tc_cosig_verify(&n, &w[0], &back) != TC_OK || back != t)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready && setup() == 0)
        ready = 1;
    if (!ready || size < 1 || size > TC_REG_NOTE_MAX + 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, count;
    struct tc_note n;
    uint64_t t;
    switch (data[0] % 4) {
    case 0:
        if (tc_note_parse(text, len, &n) == TC_OK)
            (void)tc_cosig_verify(&n, &w[0], &t);
        (void)tc_cosig_verify_note(text, len, w, 2, 1, &count);
        break;
    case 1:
        t = 0;
        for (size_t i = 0; i < 8 && i < len; i++)
            t = t << 8 | data[1 + i];
        sign_and_check(text, len, t & TC_COSIG_TIME_MAX);
        break;
    case 2: {
        char *v = malloc(len + 1), again[TC_COSIG_VKEY_MAX];
        struct tc_cosigner c;
        if (!v)
            return 0;
        memcpy(v, text, len);
        v[len] = '\0';
        size_t vlen = strlen(v); /* what the parser sees: up to a NUL in the input */
        if (tc_cosigner_parse(&c, v) == TC_OK &&
            (tc_cosigner_vkey(&c, again, sizeof again) != vlen || memcmp(again, v, vlen) != 0))
            abort();
        free(v);
        break;
    }
    default: {
        static const char cp[] = "titlecert.invalid/register/GS\n9\n"
                                 "a12L6KURQ9bXYeaM2AVebP9J3JP5MX+V9gnVjtOl4Qk=\n\n";
        char *note = malloc(sizeof cp + len);
        if (!note)
            return 0;
        memcpy(note, cp, sizeof cp - 1);
        memcpy(note + sizeof cp - 1, text, len);
        (void)tc_cosig_verify_note(note, sizeof cp - 1 + len, w, 2, 2, &count);
        free(note);
    }
    }
    return 0;
}
