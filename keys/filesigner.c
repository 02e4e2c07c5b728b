/*
 * filesigner.c - the file backend of the signer handle (keys.h, tc_keys_signer_open): a key file
 * decrypted into sodium_malloc'd memory that only the handle's sign() reads. A library of its
 * own (tc_keys_filesign) so that programs that open only a hash key (the HR console) link no
 * code that signs with a key from a file.
 */
#include <sodium.h>

#include "keys.h"
#include "keys_internal.h"

/* The key stays in sodium_malloc'd memory, read-only while the handle lives; the handle's
 * sign() is the only thing that reads it. */
static enum tc_err file_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                             size_t *sig_len)
{
    const struct tc_secret *k = ctx;
    if (cap < crypto_sign_BYTES)
        return TC_ERR_BUFFER;
    crypto_sign_detached(sig, NULL, msg, len, tc_keys_internal_secret_bytes(k));
    *sig_len = crypto_sign_BYTES;
    return TC_OK;
}

static void file_close(void *ctx)
{
    tc_keys_secret_close(ctx);
}

static const struct tc_signer_backend file_backend = {"file", file_sign, file_close};

enum tc_err tc_keys_signer_open(struct tc_signer **out, const char *path, const char *pass,
                                size_t pass_len, enum tc_key_kind want)
{
    *out = NULL;
    struct tc_secret *k = NULL;
    enum tc_err e = tc_keys_secret_open(&k, path, pass, pass_len);
    if (e != TC_OK)
        return e;
    uint8_t kind = tc_keys_secret_kind(k);
    if (kind == TC_KEY_HASH || (want && kind != want)) {
        tc_keys_secret_close(k);
        return TC_ERR_ARG;
    }
    if (tc_keys_secret_lock(k) != TC_OK) {
        tc_keys_secret_close(k);
        return TC_ERR_INTERNAL;
    }
    if ((e = tc_signer_new(out, &file_backend, k, TC_ALG_ED25519, tc_keys_secret_pub(k))) != TC_OK)
        tc_keys_secret_close(k);
    return e;
}
