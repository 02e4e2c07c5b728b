/*
 * test_cert_qr.c - the QR mask pattern chosen on bit sets (cert/qrmask.c) against libqrencode's
 * own choice: every symbol tc_qr_encode_input makes must be the one QRcode_encodeInput makes from
 * the same input, to the byte, on every version 1..40 at every error-correction level, with
 * numeric, alphanumeric and byte segments of random content. The mask patterns these symbols use
 * are counted too, so that a run in which one pattern always won (a scoring that never tells
 * them apart) cannot pass. The content comes from a seed printed first; TC_QR_SEED=N runs the
 * same symbols again. Where libqrencode does not export its fixed-mask entry point the fast way
 * is off and the comparison (the library with itself) is skipped, saying so.
 */
#include <inttypes.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_internal.h"
#include "tap.h"

static const char AN[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
static uint64_t state;

/* xorshift64*: the same content for the same seed */
static uint32_t uniform(uint32_t n)
{
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return (uint32_t)((state * UINT64_C(2685821657736338717)) >> 32) % n;
}

/* n characters of random content in mode m into buf (NUL-terminated). */
static void fill(char *buf, size_t n, QRencodeMode m)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = m == QR_MODE_NUM  ? (char)('0' + uniform(10))
                 : m == QR_MODE_AN ? AN[uniform(sizeof AN - 1)]
                                   : (char)(1 + uniform(255));
    buf[n] = 0;
}

/* Two inputs of the same content, about n characters at level lv: one numeric segment, or
 * three of different modes. false when it does not fit a symbol. */
static bool inputs(size_t n, QRecLevel lv, bool mixed, QRinput *in[2])
{
    static char buf[3][8000];
    QRencodeMode modes[3] = {QR_MODE_AN, QR_MODE_8, QR_MODE_NUM};
    size_t len[3] = {0, 0, n};
    if (mixed)
        len[0] = len[1] = n / 4, len[2] = n - 2 * (n / 4);
    else
        modes[2] = QR_MODE_NUM;
    for (int k = 0; k < 3; k++)
        fill(buf[k], len[k], modes[k]);
    bool fits = true;
    for (int j = 0; j < 2; j++) {
        in[j] = QRinput_new2(0, lv);
        for (int k = 0; in[j] && k < 3; k++)
            if (len[k] &&
                QRinput_append(in[j], modes[k], (int)len[k], (const unsigned char *)buf[k]) != 0)
                fits = false;
        fits = fits && in[j];
    }
    return fits;
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const char *seed_env = getenv("TC_QR_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 0;
    while (!seed)
        randombytes_buf(&seed, sizeof seed);
    state = seed;
    printf("# seed %" PRIu64 " (TC_QR_SEED=%" PRIu64 " makes the same symbols)\n", seed, seed);
    if (!tc_qr_mask_fast()) {
        tap_skip("libqrencode does not export QRcode_encodeMask here (or it disagreed with "
                 "QRcode_encodeInput on the known input): every symbol is QRcode_encodeInput's");
        return tap_done();
    }
    int masks[8] = {0}, differ = 0, symbols = 0;
    for (int lv = QR_ECLEVEL_L; lv <= QR_ECLEVEL_H; lv++) {
        bool version_seen[41] = {false};
        for (int mixed = 0; mixed < 2; mixed++)
            for (size_t n = 1;; n = n + n / 40 + 1) {
                QRinput *in[2];
                bool fits = inputs(n, (QRecLevel)lv, mixed, in);
                QRcode *want = fits ? QRcode_encodeInput(in[1]) : NULL;
                if (!want) { /* past version 40 at this level */
                    QRinput_free(in[0]), QRinput_free(in[1]);
                    break;
                }
                QRcode *got = tc_qr_encode_input(in[0]);
                symbols++;
                if (!got || got->version != want->version || got->width != want->width ||
                    memcmp(got->data, want->data, (size_t)want->width * (size_t)want->width)) {
                    if (differ++ < 5)
                        printf(
                            "# level %d, %zu characters (%s), version %d: not libqrencode's symbol "
                            "(mask %d, libqrencode's %d)\n",
                            lv, n, mixed ? "mixed" : "numeric", want->version, tc_qr_mask_of(got),
                            tc_qr_mask_of(want));
                }
                version_seen[want->version] = true;
                int m = tc_qr_mask_of(want);
                if (m >= 0)
                    masks[m]++;
                QRcode_free(got), QRcode_free(want);
                QRinput_free(in[0]), QRinput_free(in[1]);
            }
        int seen = 0;
        for (int v = 1; v <= 40; v++)
            seen += version_seen[v];
        ok(seen == 40, "level %c: symbols of every version 1..40 compared (%d)", "LMQH"[lv], seen);
    }
    ok(differ == 0, "every one of %d symbols is libqrencode's to the byte (%d differ)", symbols,
       differ);
    int used = 0;
    for (int m = 0; m < 8; m++)
        used += masks[m] > 0;
    ok(used == 8, "they use all 8 mask patterns (%d %d %d %d %d %d %d %d)", masks[0], masks[1],
       masks[2], masks[3], masks[4], masks[5], masks[6], masks[7]);
    return tap_done();
}
