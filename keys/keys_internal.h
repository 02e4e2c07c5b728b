/* keys_internal.h - encoders shared by the two halves of keys/ (not part of its public API). */
#ifndef TC_KEYS_INTERNAL_H
#define TC_KEYS_INTERNAL_H

#include "keys.h"

enum tc_err tc_keys_internal_endorsement_bytes(const struct tc_endorsement *e, uint8_t *out,
                                               size_t cap, size_t *len);
enum tc_err tc_keys_internal_revocation_bytes(const struct tc_revocation *r, uint8_t *out,
                                              size_t cap, size_t *len);
enum tc_err tc_keys_internal_trust_payload(uint8_t **out, size_t *len, uint64_t version,
                                           uint64_t issued_at, const uint8_t *const *end,
                                           const size_t *end_lens, size_t n_end,
                                           const struct tc_revocation *rev, size_t n_rev);

/* The ctx of a signer handle of backend b, or NULL for a handle of another backend: how a
 * backend reaches its own state from a handle (tc_keys_pkcs11_last). */
void *tc_keys_internal_signer_ctx(const struct tc_signer *s, const struct tc_signer_backend *b);

/* The bytes of an opened secret key (secret.c), for the file backend (filesigner.c) only. */
struct tc_secret;
const uint8_t *tc_keys_internal_secret_bytes(const struct tc_secret *s);

#endif
