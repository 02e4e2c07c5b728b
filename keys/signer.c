/*
 * signer.c - the signer handle: every signature titlecert makes (certificates, endorsements,
 * revocations, trust lists, bundles, deltas, register checkpoints) is made through one. The
 * handle carries its algorithm (a row of cert/'s table) and its public key; what holds the secret
 * is a backend behind two functions (sign, close), so callers never see secret bytes and a
 * token or another algorithm is a new backend, not a change to them.
 *
 * This file is part of the public half of keys/: it reads no key file and holds no secret. The
 * backends live with the secrets (secret.c for encrypted key files; pkcs11.c for keys on PKCS#11
 * tokens).
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "keys_internal.h"

struct tc_signer {
    const struct tc_signer_backend *backend;
    void *ctx;
    enum tc_alg alg;
    struct tc_pubkey pub;
};

enum tc_err tc_signer_new(struct tc_signer **out, const struct tc_signer_backend *b, void *ctx,
                          enum tc_alg alg, const struct tc_pubkey *pub)
{
    *out = NULL;
    if (!b || !b->sign || !tc_alg_info(alg) || !pub)
        return TC_ERR_ARG;
    struct tc_signer *s = calloc(1, sizeof *s);
    if (!s)
        return TC_ERR_NOMEM;
    s->backend = b, s->ctx = ctx, s->alg = alg, s->pub = *pub;
    *out = s;
    return TC_OK;
}

void tc_signer_close(struct tc_signer *s)
{
    if (!s)
        return;
    if (s->backend->close)
        s->backend->close(s->ctx);
    free(s);
}

const struct tc_pubkey *tc_signer_pub(const struct tc_signer *s)
{
    return &s->pub;
}

void *tc_keys_internal_signer_ctx(const struct tc_signer *s, const struct tc_signer_backend *b)
{
    return s && s->backend == b ? s->ctx : NULL;
}

enum tc_alg tc_signer_alg(const struct tc_signer *s)
{
    return s->alg;
}

const char *tc_signer_backend_name(const struct tc_signer *s)
{
    return s->backend->name;
}

enum tc_err tc_signer_sign(struct tc_signer *s, const uint8_t *msg, size_t len, uint8_t *sig,
                           size_t cap, size_t *sig_len)
{
    return s->backend->sign(s->ctx, msg, len, sig, cap, sig_len);
}

static enum tc_err sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                           size_t *sig_len)
{
    return tc_signer_sign(ctx, msg, len, sig, cap, sig_len);
}

enum tc_err tc_signer_cose_sign1(struct tc_signer *s, const char *aad, const uint8_t *payload,
                                 size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    return tc_cose_sign1_build(out, cap, outlen, payload, len, aad, s->alg, s->pub.kid, sign_cb, s);
}

enum tc_err tc_signer_cose_sign1_alloc(struct tc_signer *s, const char *aad,
                                       const uint8_t *payload, size_t len, uint8_t **out,
                                       size_t *outlen)
{
    size_t cap = len + 128 + TC_SIG_MAX_BYTES;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return TC_ERR_NOMEM;
    enum tc_err e = tc_signer_cose_sign1(s, aad, payload, len, buf, cap, outlen);
    if (e != TC_OK) {
        free(buf);
        return e;
    }
    *out = buf;
    return TC_OK;
}

/* ---- what the key hierarchy signs --------------------------------------------------------- */

static enum tc_err sign_root_object(uint8_t **out, size_t *len, const uint8_t *payload,
                                    size_t payload_len, const char *aad, struct tc_signer *root)
{
    if (root->pub.kind != TC_KEY_ROOT)
        return TC_ERR_ARG;
    return tc_signer_cose_sign1_alloc(root, aad, payload, payload_len, out, len);
}

enum tc_err tc_keys_endorse(uint8_t **out, size_t *len, const struct tc_endorsement *en,
                            struct tc_signer *root)
{
    enum tc_err e = tc_keys_endorsement_check(en);
    if (e != TC_OK)
        return e;
    uint8_t payload[TC_ENDORSEMENT_MAX_BYTES];
    size_t n;
    if ((e = tc_keys_internal_endorsement_bytes(en, payload, sizeof payload, &n)) != TC_OK)
        return e;
    return sign_root_object(out, len, payload, n, TC_AAD_ENDORSEMENT, root);
}

enum tc_err tc_keys_revoke(uint8_t **out, size_t *len, const struct tc_revocation *r,
                           struct tc_signer *root)
{
    uint8_t payload[TC_REVOCATION_MAX_BYTES];
    size_t n;
    enum tc_err e = tc_keys_internal_revocation_bytes(r, payload, sizeof payload, &n);
    if (e != TC_OK)
        return e;
    return sign_root_object(out, len, payload, n, TC_AAD_REVOCATION, root);
}

enum tc_err tc_keys_trust_list_build(uint8_t **out, size_t *len, uint64_t version,
                                     uint64_t issued_at, const uint8_t *const *endorsements,
                                     const size_t *endorsement_lens, size_t n_endorsements,
                                     const struct tc_revocation *revocations,
                                     size_t n_revocations, struct tc_signer *root)
{
    if (root->pub.kind != TC_KEY_ROOT)
        return TC_ERR_ARG;
    if (n_endorsements > TC_TRUST_MAX_ENDORSEMENTS || n_revocations > TC_TRUST_MAX_REVOCATIONS)
        return TC_ERR_SIZE_LIMIT;
    /* Build the list the way a verifier will read it, and read it back before handing it out:
     * a list this function signs always parses. */
    uint8_t *payload = NULL, *signed_list = NULL;
    size_t payload_len = 0, signed_len = 0;
    enum tc_err e = tc_keys_internal_trust_payload(&payload, &payload_len, version, issued_at,
                                                   endorsements, endorsement_lens, n_endorsements,
                                                   revocations, n_revocations);
    if (e != TC_OK)
        return e;
    e = sign_root_object(&signed_list, &signed_len, payload, payload_len, TC_AAD_TRUST_LIST, root);
    free(payload);
    if (e != TC_OK)
        return e;
    struct tc_trust_list *check = NULL;
    if ((e = tc_trust_list_parse(signed_list, signed_len, root->pub.pk, &check)) != TC_OK) {
        free(signed_list);
        return e;
    }
    tc_trust_list_free(check);
    *out = signed_list;
    *len = signed_len;
    return TC_OK;
}

enum tc_err tc_keys_sign_cert(uint8_t *out, size_t cap, size_t *len, const struct tc_claims *c,
                              struct tc_signer *issuer)
{
    if (issuer->pub.kind != TC_KEY_ISSUER)
        return TC_ERR_ARG;
    uint8_t claims[TC_CLAIMS_MAX_BYTES];
    size_t n = 0;
    enum tc_err e = tc_claims_encode(c, claims, sizeof claims, &n);
    if (e != TC_OK)
        return e;
    return tc_signer_cose_sign1(issuer, NULL, claims, n, out, cap, len);
}
