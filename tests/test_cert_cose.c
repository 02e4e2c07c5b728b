/*
 * test_cert_cose.c - signed certificates: sign, strict decode, verify; every truncation and every
 * single-bit flip of a signed certificate is refused; a copy re-signed with another key decodes but
 * does not verify under the original key; envelopes that differ from the profile (tag, headers,
 * algorithm, non-canonical heads) each get their own error.
 */
#include <string.h>

#include "fixtures.h"
#include "tap.h"

static uint8_t msg[TC_CERT_MAX_BYTES];
static size_t msg_len;
static struct fx_key key, other;

static enum tc_err decode_verify(const uint8_t *m, size_t n, const uint8_t *pk)
{
    struct tc_cert c;
    enum tc_err e = tc_cert_decode(m, n, &c, NULL);
    return e != TC_OK ? e : tc_cert_verify_sig(&c, pk);
}

static void test_sign_verify(void)
{
    struct tc_claims c;
    fx_basic(&c);
    is_err(fx_cert_sign(msg, sizeof msg, &msg_len, &c, key.kid, key.sk), TC_OK, "signs");
    ok(msg[0] == 0x84, "the profile is an untagged COSE_Sign1 array");
    struct tc_cert d;
    is_err(tc_cert_decode(msg, msg_len, &d, NULL), TC_OK, "decodes");
    ok(memcmp(d.kid, key.kid, TC_KID_BYTES) == 0, "key id in the protected header");
    ok(d.claims.id == c.id && strcmp(d.claims.name, c.name) == 0, "claims come back");
    is_err(tc_cert_verify_sig(&d, key.pk), TC_OK, "verifies with the signer's key");
    is_err(tc_cert_verify_sig(&d, other.pk), TC_ERR_BAD_SIGNATURE, "fails with another key");

    /* the same claims through the generic COSE verifier (what a third party would run) */
    uint8_t *payload = NULL;
    size_t plen = 0;
    is_err(tc_cose_sign1_verify(msg, msg_len, NULL, 0, key.pk, &payload, &plen), TC_OK,
           "a generic RFC 9052 verifier accepts the certificate");
    ok(payload && plen == d.payload_len && memcmp(payload, d.payload, plen) == 0,
       "and sees the same payload");
    free(payload);
    uint8_t signed_ok[TC_CERT_MAX_BYTES];
    size_t n2;
    fx_cert_sign(signed_ok, sizeof signed_ok, &n2, &c, key.kid, key.sk);
    ok(n2 == msg_len && memcmp(signed_ok, msg, n2) == 0, "signing is deterministic (Ed25519)");
}

static void test_tampering(void)
{
    int accepted = 0;
    for (size_t k = 0; k < msg_len; k++)
        if (decode_verify(msg, k, key.pk) == TC_OK)
            accepted++;
    ok(accepted == 0, "all %zu truncations refused", msg_len);

    uint8_t m[TC_CERT_MAX_BYTES];
    accepted = 0;
    int bad_sig = 0;
    for (size_t bit = 0; bit < msg_len * 8; bit++) {
        memcpy(m, msg, msg_len);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        enum tc_err e = decode_verify(m, msg_len, key.pk);
        if (e == TC_OK)
            accepted++;
        if (e == TC_ERR_BAD_SIGNATURE)
            bad_sig++;
    }
    ok(accepted == 0, "all %zu single-bit flips refused (%d of them as bad signatures)",
       msg_len * 8, bad_sig);

    memcpy(m, msg, msg_len);
    m[msg_len] = 0;
    is_err(decode_verify(m, msg_len + 1, key.pk), TC_ERR_TRAILING, "a trailing byte");
    uint8_t big[TC_CERT_MAX_BYTES + 1] = {0};
    is_err(decode_verify(big, sizeof big, key.pk), TC_ERR_SIZE_LIMIT, "over the size limit");
}

static void test_resigned(void)
{
    struct tc_claims c;
    fx_basic(&c);
    c.level = TC_LEVEL_ZHENGGAO; /* a forger's upgrade, signed with the forger's key */
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    fx_cert_sign(m, sizeof m, &n, &c, key.kid, other.sk); /* claims the real key id */
    struct tc_cert d;
    is_err(tc_cert_decode(m, n, &d, NULL), TC_OK, "a re-signed copy is well formed");
    is_err(tc_cert_verify_sig(&d, key.pk), TC_ERR_BAD_SIGNATURE,
           "but does not verify under the key it names");
}

/* Builds an envelope by hand: protected bytes, unprotected map writer, payload, signature. */
static size_t envelope(uint8_t *out, bool tag, const uint8_t *prot, size_t plen, int unprot_kid,
                       int sig_len)
{
    struct tc_cert d;
    tc_cert_decode(msg, msg_len, &d, NULL);
    struct tc_cw w;
    tc_cw_init(&w, out, TC_CERT_MAX_BYTES * 2);
    if (tag)
        tc_cw_tag(&w, 18);
    tc_cw_array(&w, 4);
    tc_cw_bytes(&w, prot, plen);
    if (unprot_kid) {
        tc_cw_map(&w, 1), tc_cw_uint(&w, 4), tc_cw_bytes(&w, key.kid, TC_KID_BYTES);
    } else {
        tc_cw_map(&w, 0);
    }
    tc_cw_bytes(&w, d.payload, d.payload_len);
    uint8_t sig[80] = {0};
    tc_cw_bytes(&w, sig, (size_t)sig_len);
    return w.len;
}

static void test_envelopes(void)
{
    uint8_t m[TC_CERT_MAX_BYTES * 2], prot[32];
    struct tc_cert d;
    size_t n;
    /* the exact protected header of the profile */
    struct tc_cw w;
    tc_cw_init(&w, prot, sizeof prot);
    tc_cw_map(&w, 2), tc_cw_uint(&w, 1), tc_cw_int(&w, -8), tc_cw_uint(&w, 4),
        tc_cw_bytes(&w, key.kid, TC_KID_BYTES);
    n = envelope(m, true, prot, w.len, 0, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_TAG, "tagged: the profile is untagged");
    n = envelope(m, false, prot, w.len, 1, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_HEADER, "a non-empty unprotected header");
    n = envelope(m, false, prot, w.len, 0, 63);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_BAD_SIGNATURE, "a 63-byte signature");

    tc_cw_init(&w, prot, sizeof prot);
    tc_cw_map(&w, 2), tc_cw_uint(&w, 1), tc_cw_int(&w, -7), tc_cw_uint(&w, 4),
        tc_cw_bytes(&w, key.kid, TC_KID_BYTES);
    n = envelope(m, false, prot, w.len, 0, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_ALG, "alg ES256 (-7)");

    tc_cw_init(&w, prot, sizeof prot);
    tc_cw_map(&w, 1), tc_cw_uint(&w, 4), tc_cw_bytes(&w, key.kid, TC_KID_BYTES);
    n = envelope(m, false, prot, w.len, 0, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_ALG, "no algorithm in the protected header");

    tc_cw_init(&w, prot, sizeof prot);
    tc_cw_map(&w, 2), tc_cw_uint(&w, 1), tc_cw_int(&w, -8), tc_cw_uint(&w, 4),
        tc_cw_bytes(&w, key.kid, 4);
    n = envelope(m, false, prot, w.len, 0, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_HEADER, "a 4-byte key id");

    tc_cw_init(&w, prot, sizeof prot);
    tc_cw_map(&w, 3), tc_cw_uint(&w, 1), tc_cw_int(&w, -8), tc_cw_uint(&w, 2),
        tc_cw_array(&w, 1), tc_cw_uint(&w, 99), tc_cw_uint(&w, 4),
        tc_cw_bytes(&w, key.kid, TC_KID_BYTES);
    n = envelope(m, false, prot, w.len, 0, 64);
    is_err(tc_cert_decode(m, n, &d, NULL), TC_ERR_HEADER, "a critical header parameter");

    /* the payload length written with a 2-byte head instead of 1 */
    struct tc_cert ok_cert;
    tc_cert_decode(msg, msg_len, &ok_cert, NULL);
    size_t off = (size_t)(ok_cert.payload - msg) - 2; /* 0x58 nn */
    memcpy(m, msg, off);
    m[off] = 0x59;
    m[off + 1] = 0x00;
    memcpy(m + off + 2, msg + off + 1, msg_len - off - 1);
    is_err(tc_cert_decode(m, msg_len + 1, &d, NULL), TC_ERR_NONCANONICAL,
           "a payload length with a wider head than needed");
    uint8_t four[] = {0x83, 0x40, 0xa0, 0x40};
    is_err(tc_cert_decode(four, sizeof four, &d, NULL), TC_ERR_TYPE, "a 3-element array");
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    fx_key(&key, 1);
    fx_key(&other, 2);
    test_sign_verify();
    test_tampering();
    test_resigned();
    test_envelopes();
    return tap_done();
}
