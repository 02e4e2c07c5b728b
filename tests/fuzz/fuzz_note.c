/*
 * fuzz_note.c - libFuzzer target for the register's signed notes, checkpoints and verifier keys.
 * Mode 0 opens the bytes as a signed note with a fixed key; mode 1 signs them as a note body with
 * that key first (a fuzzer cannot forge Ed25519), so the checkpoint parser behind the signature
 * is explored; mode 2 parses them as a checkpoint body; mode 3 as a verifier key.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pk[32], sk[64];
    static const char name[] = "titlecert.invalid/register/GS";
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            return 0;
        uint8_t seed[32] = {7};
        crypto_sign_seed_keypair(pk, sk, seed);
        ready = 1;
    }
    if (size < 1 || size > TC_REG_NOTE_MAX + 1)
        return 0;
    uint8_t mode = data[0] % 4;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *body;
    size_t blen;
    struct tc_checkpoint c;
    if (mode == 0) {
        if (tc_note_open(text, len, name, pk, &body, &blen) == TC_OK)
            (void)tc_checkpoint_parse(body, blen, &c);
    } else if (mode == 1) {
        char *note = malloc(len + 256);
        uint8_t sig[64];
        if (!note)
            return 0;
        crypto_sign_detached(sig, NULL, (const uint8_t *)text, len, sk);
        size_t n = tc_note_format(text, len, name, pk, sig, note, len + 256);
        if (n && tc_note_open(note, n, name, pk, &body, &blen) == TC_OK)
            (void)tc_checkpoint_parse(body, blen, &c);
        free(note);
    } else if (mode == 2) {
        (void)tc_checkpoint_parse(text, len, &c);
    } else {
        char *v = malloc(len + 1), out[TC_REG_ORIGIN_MAX + 1];
        uint8_t k[32];
        if (!v)
            return 0;
        memcpy(v, text, len);
        v[len] = '\0';
        (void)tc_note_vkey_parse(v, out, sizeof out, k);
        free(v);
    }
    return 0;
}
