/*
 * bench_cert.c - throughput of the certificate format against its own ceiling, measured in the
 * same run: raw libsodium Ed25519 sign and verify per second next to titlecert's sign+encode
 * (claims -> CBOR -> COSE_Sign1 -> "TC1:" text) and decode+verify (text -> bytes -> strict decode
 * -> signature). Figures drift between runs on a shared machine, the ratios much less; each
 * figure is the median of several interleaved rounds. Also prints the size of a typical
 * certificate and its QR version at ECC M and Q, and the cost of the register check a verifier
 * adds to every verdict with a bundle (A3): SHA-256 of the certificate and a search of an index of
 * 10^6 registered certificates.
 *
 * usage: bench_cert [--rounds N] [--ms MILLISECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/fixtures.h"
#include "verifier.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct fx_key key;
static struct tc_claims claims;
static uint8_t msg[TC_CERT_MAX_BYTES], tbs[TC_CERT_MAX_BYTES], sig[64];
static size_t msg_len, tbs_len;
static char text[TC_TEXT_MAX + 1];
static volatile int sink;

static void raw_sign(void)
{
    crypto_sign_detached(sig, NULL, tbs, tbs_len, key.sk);
}

static void raw_verify(void)
{
    sink += crypto_sign_verify_detached(sig, tbs, tbs_len, key.pk);
}

static void sign_encode(void)
{
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    char t[TC_TEXT_MAX + 1];
    if (fx_cert_sign(m, sizeof m, &n, &claims, key.kid, key.sk) != TC_OK ||
        tc_text_encode(t, sizeof t, m, n) != TC_OK)
        abort();
    sink += t[10];
}

static void decode_verify(void)
{
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    struct tc_cert c;
    if (tc_text_decode(m, sizeof m, &n, text, strlen(text)) != TC_OK ||
        tc_cert_decode(m, n, &c, NULL) != TC_OK || tc_cert_verify_sig(&c, key.pk) != TC_OK)
        abort();
}

static void decode_only(void)
{
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    struct tc_cert c;
    if (tc_text_decode(m, sizeof m, &n, text, strlen(text)) != TC_OK ||
        tc_cert_decode(m, n, &c, NULL) != TC_OK)
        abort();
    sink += c.claims.level;
}

static void text_only(void)
{
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    if (tc_text_decode(m, sizeof m, &n, text, strlen(text)) != TC_OK)
        abort();
    sink += m[3];
}

/* the register check of engine.c, on an index of 10^6 certificates */
#define INDEXED 1000000
static struct tc_bundle reg_bundle;
static uint64_t probe_ids[4096];
static unsigned probe;

static void registered_check(void)
{
    uint64_t id = probe_ids[probe++ & 4095];
    const struct tc_bundle_registered *r = tc_bundle_registered(&reg_bundle, id);
    uint8_t h[32];
    crypto_hash_sha256(h, msg, msg_len);
    if (!r || memcmp(r->hash, h, TC_BUNDLE_INDEX_HASH) != 0)
        abort();
    sink += (int)r->leaf;
}

/* Operations per second of fn over about `ms` milliseconds. */
static double rate(void (*fn)(void), int ms)
{
    long n = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 64; i++)
            fn();
        n += 64;
        t = now();
    } while (t - t0 < ms / 1000.0);
    return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
    int rounds = 7, ms = 300;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc)
            ms = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_cert [--rounds N] [--ms MILLISECONDS]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99 || ms < 10 || sodium_init() < 0)
        return 2;
    fx_key(&key, 1);
    fx_basic(&claims);
    fx_cert_sign(msg, sizeof msg, &msg_len, &claims, key.kid, key.sk);
    tc_text_encode(text, sizeof text, msg, msg_len);
    /* the raw baseline signs the same number of bytes as the Sig_structure of a certificate */
    struct tc_cert c;
    tc_cert_decode(msg, msg_len, &c, NULL);
    tbs_len = c.payload_len + 32;
    memset(tbs, 0x5a, tbs_len);
    raw_sign();

    double r_sign[99], r_verify[99], r_enc[99], r_dec[99];
    for (int r = 0; r < rounds; r++) {
        r_sign[r] = rate(raw_sign, ms);
        r_enc[r] = rate(sign_encode, ms);
        r_verify[r] = rate(raw_verify, ms);
        r_dec[r] = rate(decode_verify, ms);
    }
    /* an index of 10^6 certificates; the probes hit random entries that hold this one's hash */
    reg_bundle.index = malloc(INDEXED * sizeof *reg_bundle.index);
    reg_bundle.n_index = INDEXED;
    uint8_t h[32];
    crypto_hash_sha256(h, msg, msg_len);
    for (size_t i = 0; i < INDEXED; i++) {
        reg_bundle.index[i].id = 260000000 + 2 * i;
        reg_bundle.index[i].leaf = i;
        memcpy(reg_bundle.index[i].hash, h, TC_BUNDLE_INDEX_HASH);
    }
    for (int i = 0; i < 4096; i++)
        probe_ids[i] = 260000000 + 2 * (randombytes_uniform(INDEXED));
    double r_reg[99];
    for (int r = 0; r < rounds; r++)
        r_reg[r] = rate(registered_check, ms / 3 + 1);
    qsort(r_reg, (size_t)rounds, sizeof(double), cmp_double);
    double r_donly[99], r_tonly[99];
    for (int r = 0; r < rounds; r++) {
        r_donly[r] = rate(decode_only, ms / 3 + 1);
        r_tonly[r] = rate(text_only, ms / 3 + 1);
    }
    qsort(r_donly, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r_tonly, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r_sign, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r_verify, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r_enc, (size_t)rounds, sizeof(double), cmp_double);
    qsort(r_dec, (size_t)rounds, sizeof(double), cmp_double);
    double s = r_sign[rounds / 2], v = r_verify[rounds / 2], e = r_enc[rounds / 2],
           d = r_dec[rounds / 2];

    printf("titlecert certificate benchmark (1 thread, median of %d rounds of %d ms)\n", rounds, ms);
    printf("  raw Ed25519 sign        %10.0f /s\n", s);
    printf("  sign+encode             %10.0f /s   ratio %.3f of raw sign\n", e, e / s);
    printf("  raw Ed25519 verify      %10.0f /s\n", v);
    printf("  decode+verify           %10.0f /s   ratio %.3f of raw verify (goal >= 0.9)\n", d,
           d / v);

    printf("  of which: text->bytes   %10.2f us, strict decode %.2f us, verify %.2f us\n",
           1e6 / r_tonly[rounds / 2], 1e6 / r_donly[rounds / 2] - 1e6 / r_tonly[rounds / 2],
           1e6 / v);
    double reg_us = 1e6 / r_reg[rounds / 2];
    printf("  register check (A3)     %10.2f us at 10^6 indexed certificates (goal <= 1 us): "
           "SHA-256 of %zu bytes and a binary search; %.1f%% of decode+verify\n", reg_us, msg_len,
           100.0 * reg_us / (1e6 / d));
    free(reg_bundle.index);

    const char *base = "https://zcyz.hrss.gansu.gov.cn";
    char link[TC_LINK_MAX];
    tc_link_make(link, sizeof link, base, text);
    printf("typical basic-level certificate (3-character name, all claims):\n");
    printf("  claims %zu bytes, COSE_Sign1 %zu bytes, text %zu characters\n", c.payload_len,
           msg_len, strlen(text));
    printf("  link with a %zu-character base URL: %zu characters\n", strlen(base), strlen(link));
    const struct {
        enum tc_qr_ecc ecc;
        const char *name;
    } levels[] = {{TC_QR_L, "L"}, {TC_QR_M, "M"}, {TC_QR_Q, "Q"}, {TC_QR_H, "H"}};
    for (size_t i = 0; i < 4; i++) {
        struct tc_qr qr;
        if (tc_qr_encode(&qr, link, levels[i].ecc) == TC_OK) {
            printf("  QR version at ECC %s: %d (%dx%d modules)\n", levels[i].name, qr.version,
                   qr.width, qr.width);
            tc_qr_free(&qr);
        }
    }
    return sink == 12345 ? 1 : 0;
}
