/*
 * cose.c - COSE_Sign1 (RFC 9052 §4.2, §4.4) with EdDSA over Ed25519.
 *
 * Two readers live here. tc_cose_sign1_verify is the general one: tag optional, any protected
 * header map as long as alg is -8 and nothing is marked critical; it exists for the cose-wg
 * conformance examples. tc_cose_sign1_parse is the profile every titlecert-signed object uses:
 * no tag (the "TC1:" text prefix and each file's magic say what the bytes are), protected
 * header exactly {1: -8, 4: kid}, empty unprotected header, and an envelope that
 * re-encodes to the same bytes, so that one certificate has exactly one valid encoding and a
 * signature cannot be carried over to a re-framed copy.
 *
 * The Sig_structure ["Signature1", protected, external_aad, payload] is built with the same
 * deterministic writer and handed to the signer's function (keys/ owns every secret); the
 * protected header comes from the algorithm table (tc_alg_info).
 */
#include <cbor.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define COSE_TAG_SIGN1 18
#define COSE_ALG_EDDSA (-8)
#define COSE_HDR_ALG 1
#define COSE_HDR_CRIT 2
#define COSE_HDR_KID 4
#define PROTECTED_LEN (5 + TC_KID_BYTES) /* a2 01 27 04 48 <kid> */

void tc_kid(uint8_t kid[TC_KID_BYTES], const uint8_t pk[TC_PK_BYTES])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, pk, TC_PK_BYTES, NULL, 0);
    memcpy(kid, h, TC_KID_BYTES);
}

static const struct tc_alg_info algs[] = {
    {TC_ALG_ED25519, "Ed25519", COSE_ALG_EDDSA, TC_PK_BYTES, TC_SIG_BYTES},
};

const struct tc_alg_info *tc_alg_info(enum tc_alg alg)
{
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (algs[i].id == alg)
            return &algs[i];
    return NULL;
}

/* {1: alg, 4: kid}; *len its length (at most PROTECTED_MAX) */
#define PROTECTED_MAX (16 + TC_KID_BYTES)
static size_t write_protected(uint8_t out[PROTECTED_MAX], const struct tc_alg_info *alg,
                              const uint8_t kid[TC_KID_BYTES])
{
    struct tc_cw w;
    tc_cw_init(&w, out, PROTECTED_MAX);
    tc_cw_map(&w, 2);
    tc_cw_uint(&w, COSE_HDR_ALG), tc_cw_int(&w, alg->cose_alg);
    tc_cw_uint(&w, COSE_HDR_KID), tc_cw_bytes(&w, kid, TC_KID_BYTES);
    return w.overflow ? 0 : w.len;
}

/* The Sig_structure ["Signature1", protected, aad, payload]: 32 bytes of heads at the most. */
static void write_sig_structure(struct tc_cw *w, const uint8_t *prot, size_t plen,
                                const uint8_t *aad, size_t alen, const uint8_t *payload,
                                size_t paylen)
{
    tc_cw_array(w, 4);
    tc_cw_text(w, "Signature1");
    tc_cw_bytes(w, prot, plen);
    tc_cw_bytes(w, aad, alen);
    tc_cw_bytes(w, payload, paylen);
}

/* Builds the Sig_structure in a malloc'd buffer (payloads can be up to a trust list's size). */
static enum tc_err sig_structure(uint8_t **out, size_t *outlen, const uint8_t *prot, size_t plen,
                                 const uint8_t *aad, size_t alen, const uint8_t *payload,
                                 size_t paylen)
{
    struct tc_cw w;
    if (tc_cw_alloc(&w, 32 + plen + alen + paylen) != TC_OK)
        return TC_ERR_NOMEM;
    write_sig_structure(&w, prot, plen, aad, alen, payload, paylen);
    return tc_cw_take(&w, out, outlen);
}

static size_t aad_len(const char *aad)
{
    return aad ? strlen(aad) : 0;
}

static enum tc_err check_sig(const uint8_t *prot, size_t plen, const uint8_t *aad, size_t alen,
                             const uint8_t *payload, size_t paylen, const uint8_t sig[TC_SIG_BYTES],
                             const uint8_t pk[TC_PK_BYTES])
{
    /* Certificates are small: build their Sig_structure on the stack, not the heap. */
    uint8_t local[1024];
    struct tc_cw w;
    if (32 + plen + alen + paylen <= sizeof local) {
        tc_cw_init(&w, local, sizeof local);
        write_sig_structure(&w, prot, plen, aad, alen, payload, paylen);
        if (w.overflow)
            return TC_ERR_INTERNAL;
        return crypto_sign_verify_detached(sig, local, w.len, pk) == 0 ? TC_OK
                                                                       : TC_ERR_BAD_SIGNATURE;
    }
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    enum tc_err e = sig_structure(&tbs, &tbs_len, prot, plen, aad, alen, payload, paylen);
    if (e != TC_OK)
        return e;
    e = crypto_sign_verify_detached(sig, tbs, tbs_len, pk) == 0 ? TC_OK : TC_ERR_BAD_SIGNATURE;
    free(tbs);
    return e;
}

enum tc_err tc_cose_sign1_build(uint8_t *out, size_t cap, size_t *outlen, const uint8_t *payload,
                                size_t payload_len, const char *external_aad, enum tc_alg alg,
                                const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx)
{
    const struct tc_alg_info *ai = tc_alg_info(alg);
    uint8_t prot[PROTECTED_MAX], sig[TC_SIG_MAX_BYTES];
    uint8_t *tbs = NULL;
    size_t tbs_len = 0, sig_len = 0, plen;
    if (!ai || !sign || (plen = write_protected(prot, ai, kid)) == 0)
        return TC_ERR_ALG;
    enum tc_err e = sig_structure(&tbs, &tbs_len, prot, plen, (const uint8_t *)external_aad,
                                  aad_len(external_aad), payload, payload_len);
    if (e != TC_OK)
        return e;
    e = sign(ctx, tbs, tbs_len, sig, sizeof sig, &sig_len);
    free(tbs);
    if (e == TC_OK && sig_len != ai->sig_bytes)
        e = TC_ERR_INTERNAL; /* a backend that answers with another algorithm's signature */
    if (e != TC_OK)
        return e;
    struct tc_cw w;
    tc_cw_init(&w, out, cap);
    tc_cw_array(&w, 4);
    tc_cw_bytes(&w, prot, plen);
    tc_cw_map(&w, 0);
    tc_cw_bytes(&w, payload, payload_len);
    tc_cw_bytes(&w, sig, sig_len);
    if (w.overflow)
        return TC_ERR_BUFFER;
    *outlen = w.len;
    return TC_OK;
}

/* A COSE_Sign1 loaded with libcbor and split into its parts, which point into arr. */
struct sign1 {
    cbor_item_t *arr;
    const uint8_t *prot, *pay;
    size_t plen, paylen;
    const cbor_item_t *unprot;
};

/* Splits a loaded COSE_Sign1 array into its parts. */
static enum tc_err split(const cbor_item_t *arr, struct sign1 *s, uint8_t sig[TC_SIG_BYTES])
{
    if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr))
        return TC_ERR_TYPE;
    if (cbor_array_size(arr) != 4)
        return TC_ERR_TYPE;
    cbor_item_t **a = cbor_array_handle(arr);
    if (!cbor_isa_bytestring(a[0]) || !cbor_bytestring_is_definite(a[0]) || !cbor_isa_map(a[1]) ||
        !cbor_isa_bytestring(a[2]) || !cbor_bytestring_is_definite(a[2]))
        return TC_ERR_TYPE;
    enum tc_err e = tc_cbor_get_bytes(a[3], sig, TC_SIG_BYTES, true, NULL);
    if (e != TC_OK)
        return e == TC_ERR_RANGE ? TC_ERR_BAD_SIGNATURE : e;
    s->prot = cbor_bytestring_handle(a[0]);
    s->plen = cbor_bytestring_length(a[0]);
    s->unprot = a[1];
    s->pay = cbor_bytestring_handle(a[2]);
    s->paylen = cbor_bytestring_length(a[2]);
    return TC_OK;
}

/* Loads msg with libcbor and splits it; the caller decrefs s->arr (on failure it is released
 * already). */
static enum tc_err load_split(const uint8_t *msg, size_t len, struct sign1 *s,
                              uint8_t sig[TC_SIG_BYTES])
{
    enum tc_err e = tc_cbor_load(msg, len, &s->arr);
    if (e == TC_OK && (e = split(s->arr, s, sig)) != TC_OK)
        cbor_decref(&s->arr);
    return e;
}

/* Reads the protected header map: alg must be EdDSA, no critical parameters, no duplicates. */
static enum tc_err check_protected_generic(const uint8_t *prot, size_t plen)
{
    if (plen == 0)
        return TC_ERR_ALG; /* no protected alg at all */
    cbor_item_t *m = NULL;
    enum tc_err e = tc_cbor_load(prot, plen, &m);
    if (e != TC_OK)
        return e;
    bool have_alg = false;
    e = TC_OK;
    if (!cbor_isa_map(m)) {
        e = TC_ERR_TYPE;
        goto out;
    }
    size_t n = cbor_map_size(m);
    struct cbor_pair *p = cbor_map_handle(m);
    for (size_t i = 0; i < n && e == TC_OK; i++) {
        for (size_t j = 0; j < i; j++)
            if (cbor_isa_uint(p[i].key) && cbor_isa_uint(p[j].key) &&
                cbor_get_int(p[i].key) == cbor_get_int(p[j].key))
                e = TC_ERR_DUP_KEY;
        if (e != TC_OK || !cbor_isa_uint(p[i].key))
            continue;
        uint64_t label = cbor_get_int(p[i].key);
        if (label == COSE_HDR_ALG) {
            int64_t alg;
            if (tc_cbor_get_int(p[i].value, INT64_MIN, INT64_MAX, &alg) != TC_OK ||
                alg != COSE_ALG_EDDSA)
                e = TC_ERR_ALG;
            have_alg = true;
        } else if (label == COSE_HDR_CRIT) {
            e = TC_ERR_HEADER; /* we implement no critical extension */
        }
    }
    if (e == TC_OK && !have_alg)
        e = TC_ERR_ALG;
out:
    cbor_decref(&m);
    return e;
}

enum tc_err tc_cose_sign1_verify(const uint8_t *msg, size_t len, const uint8_t *external_aad,
                                 size_t aad_len, const uint8_t pk[TC_PK_BYTES],
                                 uint8_t **payload, size_t *payload_len)
{
    const uint8_t *p = msg;
    size_t n = len;
    uint64_t tag;
    if (tc_cbor_peel_tag(&p, &n, &tag) && tag != COSE_TAG_SIGN1)
        return TC_ERR_TAG;
    struct sign1 s;
    uint8_t sig[TC_SIG_BYTES];
    enum tc_err e = load_split(p, n, &s, sig);
    if (e != TC_OK)
        return e;
    if ((e = check_protected_generic(s.prot, s.plen)) != TC_OK)
        goto out;
    if ((e = check_sig(s.prot, s.plen, external_aad, aad_len, s.pay, s.paylen, sig, pk)) != TC_OK)
        goto out;
    /* libcbor holds its own copy of byte strings; hand the caller one that outlives the tree. */
    if (payload) {
        *payload = malloc(s.paylen ? s.paylen : 1);
        if (!*payload) {
            e = TC_ERR_NOMEM;
            goto out;
        }
        if (s.paylen)
            memcpy(*payload, s.pay, s.paylen);
        *payload_len = s.paylen;
    }
out:
    cbor_decref(&s.arr);
    return e;
}

/* The profile's envelope has one layout: 84, 4d + the 13-byte protected header, a0, the payload
 * byte string with its shortest head, 58 40 + the signature. When msg is exactly that, split it
 * without building a libcbor tree; anything else goes the slow way and is classified there. */
static bool fast_split(const uint8_t *msg, size_t len, uint8_t kid[TC_KID_BYTES],
                       const uint8_t **protected_hdr, size_t *protected_len,
                       const uint8_t **payload, size_t *payload_len, uint8_t sig[TC_SIG_BYTES])
{
    static const uint8_t head[] = {0x84, 0x40 + PROTECTED_LEN, 0xa2, 0x01, 0x27, 0x04,
                                   0x40 + TC_KID_BYTES};
    const size_t off = sizeof head + TC_KID_BYTES + 1; /* ... kid, a0 */
    if (len < off + 1 + 2 + TC_SIG_BYTES || memcmp(msg, head, sizeof head) != 0 ||
        msg[off - 1] != 0xa0)
        return false;
    size_t n, hl;
    uint8_t b = msg[off];
    if (b >= 0x40 && b < 0x58)
        n = b - 0x40u, hl = 1;
    else if (b == 0x58 && msg[off + 1] >= 24)
        n = msg[off + 1], hl = 2;
    else if (b == 0x59 && len > off + 2 && ((size_t)msg[off + 1] << 8 | msg[off + 2]) >= 256)
        n = (size_t)msg[off + 1] << 8 | msg[off + 2], hl = 3;
    else
        return false;
    if (len != off + hl + n + 2 + TC_SIG_BYTES || msg[off + hl + n] != 0x58 ||
        msg[off + hl + n + 1] != TC_SIG_BYTES)
        return false;
    memcpy(kid, msg + sizeof head, TC_KID_BYTES);
    memcpy(sig, msg + len - TC_SIG_BYTES, TC_SIG_BYTES);
    *protected_hdr = msg + 2;
    *protected_len = PROTECTED_LEN;
    *payload = msg + off + hl;
    *payload_len = n;
    return true;
}

enum tc_err tc_cose_sign1_parse(const uint8_t *msg, size_t len, uint8_t kid[TC_KID_BYTES],
                                const uint8_t **protected_hdr, size_t *protected_len,
                                const uint8_t **payload, size_t *payload_len,
                                uint8_t sig[TC_SIG_BYTES])
{
    if (len > 0 && (msg[0] >> 5) == 6)
        return TC_ERR_TAG; /* the profile is untagged */
    if (fast_split(msg, len, kid, protected_hdr, protected_len, payload, payload_len, sig))
        return TC_OK;
    /* Not the exact profile layout: load it with libcbor to say precisely what is wrong. */
    struct sign1 s;
    enum tc_err e = load_split(msg, len, &s, sig);
    if (e != TC_OK)
        return e;
    const uint8_t *prot = s.prot;
    if (s.plen != PROTECTED_LEN || prot[0] != 0xa2 || prot[1] != 0x01 || prot[3] != 0x04 ||
        prot[4] != 0x40 + TC_KID_BYTES) {
        /* Not our exact header: say whether the algorithm is the problem. */
        e = check_protected_generic(prot, s.plen);
        if (e == TC_OK)
            e = TC_ERR_HEADER;
        goto out;
    }
    if (prot[2] != 0x27) {
        e = TC_ERR_ALG;
        goto out;
    }
    if (cbor_map_size(s.unprot) != 0) {
        e = TC_ERR_HEADER;
        goto out;
    }
    memcpy(kid, prot + 5, TC_KID_BYTES);

    /* Canonical envelope: rebuilding its fixed head and the payload's head must give the input
     * back, which also pins down where the protected header and payload sit in msg. */
    {
        uint8_t prot_again[PROTECTED_MAX], head[48], payhead[9];
        size_t again = write_protected(prot_again, tc_alg_info(TC_ALG_ED25519), kid);
        struct tc_cw w;
        tc_cw_init(&w, head, sizeof head);
        tc_cw_array(&w, 4);
        tc_cw_bytes(&w, prot_again, again);
        tc_cw_map(&w, 0);
        size_t off = w.len;
        size_t hl = cbor_encode_bytestring_start(s.paylen, payhead, sizeof payhead);
        if (w.overflow || hl == 0 || len != off + hl + s.paylen + 2 + TC_SIG_BYTES ||
            memcmp(msg, head, off) != 0 || memcmp(msg + off, payhead, hl) != 0 ||
            msg[off + hl + s.paylen] != 0x58 || msg[off + hl + s.paylen + 1] != TC_SIG_BYTES) {
            e = TC_ERR_NONCANONICAL;
            goto out;
        }
        *protected_hdr = msg + off - 1 - PROTECTED_LEN; /* before the empty map */
        *protected_len = PROTECTED_LEN;
        *payload = msg + off + hl;
        *payload_len = s.paylen;
    }
out:
    cbor_decref(&s.arr);
    return e;
}

enum tc_err tc_cose_sign1_check(const uint8_t *protected_hdr, size_t protected_len,
                                const uint8_t *payload, size_t payload_len,
                                const char *external_aad, const uint8_t sig[TC_SIG_BYTES],
                                const uint8_t pk[TC_PK_BYTES])
{
    return check_sig(protected_hdr, protected_len, (const uint8_t *)external_aad,
                     aad_len(external_aad), payload, payload_len, sig, pk);
}

enum tc_err tc_cert_decode(const uint8_t *in, size_t len, struct tc_cert *out, const char **field)
{
    if (field)
        *field = NULL;
    if (len > TC_CERT_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    struct tc_cert c;
    memset(&c, 0, sizeof c);
    enum tc_err e = tc_cose_sign1_parse(in, len, c.kid, &c.protected_hdr, &c.protected_len,
                                        &c.payload, &c.payload_len, c.sig);
    if (e != TC_OK) {
        if (field)
            *field = "envelope";
        return e;
    }
    if ((e = tc_claims_decode(c.payload, c.payload_len, &c.claims, field)) != TC_OK)
        return e;
    *out = c;
    return TC_OK;
}

enum tc_err tc_cert_verify_sig(const struct tc_cert *cert, const uint8_t pk[TC_PK_BYTES])
{
    return tc_cose_sign1_check(cert->protected_hdr, cert->protected_len, cert->payload,
                               cert->payload_len, NULL, cert->sig, pk);
}
