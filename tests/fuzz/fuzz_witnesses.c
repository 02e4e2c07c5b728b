/*
 * fuzz_witnesses.c - libFuzzer target for the witnesses file publishers and readers share and
 * the quorum count over it (register/witnesses.c). The first byte picks a mode:
 *   0  the rest is a witnesses file: one that parses holds 1..TC_COSIGNERS_MAX witnesses, none
 *      twice by name or key, each name a key name, each URL "" or http(s);
 *   1  the rest is a signed note counted against two fixed witnesses (quorum 1, and quorum 2 with
 *      a time floor): the count never exceeds the witnesses, TC_OK exactly when it reaches the
 *      quorum, and the floor never counts more;
 *   2  the rest is a note text that the first fixed witness co-signs (a fuzzer cannot forge
 *      Ed25519): a text that parses as a note with the line is counted once, with its time.
 * A broken invariant aborts, which libFuzzer reports.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tc_cosigner_set fixed;
static uint8_t sk[64];

static int setup(void)
{
    uint8_t seed[32] = {9}, pk[32], sk2[64];
    char vkey[TC_COSIG_VKEY_MAX];
    struct tc_cosigner c;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    tc_cosigner_init(&c, "witness.example.cn/w1", TC_COSIG_ED25519, pk, 32);
    tc_cosigner_vkey(&c, vkey, sizeof vkey);
    if (tc_cosigner_set_add(&fixed, vkey, "http://127.0.0.1:1/") != TC_OK)
        return -1;
    seed[0] = 10;
    crypto_sign_seed_keypair(pk, sk2, seed);
    tc_cosigner_init(&c, "witness.example.cn/w2", TC_COSIG_ED25519, pk, 32);
    tc_cosigner_vkey(&c, vkey, sizeof vkey);
    return tc_cosigner_set_add(&fixed, vkey, NULL) == TC_OK ? 0 : -1;
}

static void file(const char *text, size_t len)
{
    static struct tc_cosigner_set set;
    size_t line;
    memset(&set, 0, sizeof set);
    if (tc_cosigner_set_parse(text, len, &set, &line) != TC_OK)
        return;
    if (set.n == 0 || set.n > TC_COSIGNERS_MAX)
        abort();
    for (size_t i = 0; i < set.n; i++) {
        if (!tc_note_name_ok(set.w[i].name, strlen(set.w[i].name)) ||
            (set.url[i][0] && strncmp(set.url[i], "http", 4) != 0))
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(set.w[i].name, set.w[j].name) == 0 ||
                memcmp(set.w[i].pk, set.w[j].pk, set.w[i].type->pk_len) == 0)
                abort();
    }
}

static void count(const char *note, size_t len)
{
    struct tc_cosig_tally t, floored;
    uint64_t floor[TC_COSIGNERS_MAX] = {UINT64_C(1) << 40, 0};
    char why[1024];
    fixed.quorum = 1;
    enum tc_err e = tc_cosigner_set_check(&fixed, note, len, NULL, &t);
    if (t.count > fixed.n || (e == TC_OK && t.count < 1) || (e == TC_ERR_REFUSED && t.count))
        abort();
    fixed.quorum = 2;
    enum tc_err f = tc_cosigner_set_check(&fixed, note, len, floor, &floored);
    if ((f == TC_OK && floored.count < 2) ||
        ((e == TC_OK || e == TC_ERR_REFUSED) && (f == TC_OK || f == TC_ERR_REFUSED) &&
         floored.count > t.count))
        abort();
    tc_cosig_tally_explain(&fixed, &t, why, sizeof why);
}

static void cosigned(const char *text, size_t len)
{
    static uint8_t msg[TC_COSIG_MSG_MAX];
    static char note[TC_REG_NOTE_MAX + TC_COSIG_LINE_MAX + 2];
    uint8_t sig[64];
    char line[TC_COSIG_LINE_MAX];
    size_t mlen, llen;
    uint64_t t = 1700000000;
    if (len == 0 || text[len - 1] != '\n' ||
        tc_cosig_message(&fixed.w[0], t, text, len, msg, sizeof msg, &mlen) != TC_OK)
        return;
    crypto_sign_detached(sig, NULL, msg, mlen, sk);
    if (tc_cosig_line(&fixed.w[0], t, sig, 64, line, sizeof line, &llen) != TC_OK)
        abort();
    memcpy(note, text, len);
    note[len] = '\n';
    memcpy(note + len + 1, line, llen);
    struct tc_note n;
    if (tc_note_parse(note, len + 1 + llen, &n) != TC_OK || n.text_len != len)
        return; /* not note text, or a text with a blank line of its own */
    struct tc_cosig_tally tally;
    fixed.quorum = 1;
    if (tc_cosigner_set_check(&fixed, note, len + 1 + llen, NULL, &tally) != TC_OK ||
        tally.count != 1 || tally.time[0] != t || tally.result[1] != TC_ERR_NOT_FOUND)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready && setup() == 0)
        ready = 1;
    if (!ready || size < 1 || size > TC_COSIGNERS_FILE_MAX + 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0:
        file(text, len);
        break;
    case 1:
        count(text, len);
        break;
    default:
        cosigned(text, len);
        break;
    }
    return 0;
}
