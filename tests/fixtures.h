/*
 * fixtures.h - sample certificates and keys shared by the tests and the benchmark. Keys come
 * from fixed seeds so that signatures (Ed25519 is deterministic) and corpora are reproducible.
 */
#ifndef TC_FIXTURES_H
#define TC_FIXTURES_H

#include <sodium.h>
#include <string.h>

#include "cert.h"

struct fx_key {
    uint8_t pk[TC_PK_BYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t kid[TC_KID_BYTES];
};

/* Test-only signing with a raw Ed25519 key (forgeries, vectors, corpora): production signs only
 * through a keys/ signer handle. */
static inline enum tc_err fx_raw_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig,
                                      size_t cap, size_t *sig_len)
{
    if (cap < crypto_sign_BYTES)
        return TC_ERR_BUFFER;
    crypto_sign_detached(sig, NULL, msg, len, ctx);
    *sig_len = crypto_sign_BYTES;
    return TC_OK;
}

static inline enum tc_err fx_cose_sign1(uint8_t *out, size_t cap, size_t *outlen,
                                        const uint8_t *payload, size_t payload_len,
                                        const char *aad, const uint8_t kid[TC_KID_BYTES],
                                        const uint8_t *sk)
{
    return tc_cose_sign1_build(out, cap, outlen, payload, payload_len, aad, TC_ALG_ED25519, kid,
                               fx_raw_sign, (void *)sk);
}

static inline enum tc_err fx_cert_sign(uint8_t *out, size_t cap, size_t *outlen,
                                       const struct tc_claims *c, const uint8_t kid[TC_KID_BYTES],
                                       const uint8_t *sk)
{
    uint8_t claims[TC_CLAIMS_MAX_BYTES];
    size_t n = 0;
    enum tc_err e = tc_claims_encode(c, claims, sizeof claims, &n);
    return e != TC_OK ? e : fx_cose_sign1(out, cap, outlen, claims, n, NULL, kid, sk);
}

/* A key pair from a seed whose bytes are all `n`. */
static inline void fx_key(struct fx_key *k, uint8_t n)
{
    uint8_t seed[32];
    memset(seed, n, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    tc_kid(k->kid, k->pk);
}

/* A typical basic-level certificate: 甘肃, county level and below, 副主任医师. */
static inline void fx_basic(struct tc_claims *c)
{
    memset(c, 0, sizeof *c);
    c->id = 260001234;
    memcpy(c->name, "张三丰", sizeof "张三丰");
    tc_idno_mask(c->id_mask, "11010519491231002X");
    c->series = tc_series_id("WS-YL");
    memcpy(c->specialty, "内科学", sizeof "内科学");
    c->level = TC_LEVEL_FUGAO;
    c->track = TC_TRACK_BASIC;
    c->method = TC_METHOD_REVIEW;
    c->eval_year = 2026;
    tc_day_parse(&c->obtained_day, "2026-11-20");
    c->tenure_month = tc_month_index(2026, 12);
    c->scope.region = 62;
    c->scope.tier = TC_TIER_COUNTY;
    memcpy(c->employer, "12620102438000123H", 19); /* a county hospital in 兰州 */
    c->conv.kind = TC_CONV_PATH;
    c->conv.earliest_month = c->tenure_month + 60;
    c->conv.months_required = 60;
    c->conv.ce_hours = 90;
    c->conv.flags = TC_CONV_NEEDS_ASSESSMENTS | TC_CONV_NEEDS_COMMITTEE;
    c->committee = 101;
    c->issued_at = 1795000000; /* 2026-11-18 */
}

/* A province-wide certificate obtained by converting fx_basic (C1, C3). */
static inline void fx_converted(struct tc_claims *c)
{
    fx_basic(c);
    c->id = 310000077;
    c->track = TC_TRACK_PROVINCE;
    c->method = TC_METHOD_CONVERSION;
    memset(&c->scope, 0, sizeof c->scope);
    memset(&c->conv, 0, sizeof c->conv);
    c->conv.kind = TC_CONV_FROM;
    c->conv.predecessor = 260001234;
    c->conv.carried_tenure_month = tc_month_index(2026, 12);
    c->eval_year = 2031;
    tc_day_parse(&c->obtained_day, "2031-12-20");
    c->issued_at = 1955000000;
}

#endif
