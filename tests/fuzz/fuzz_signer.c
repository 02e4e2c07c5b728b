/*
 * fuzz_signer.c - libFuzzer target for titlecert-signer's request parser (signer/proto.c), the
 * one thing the signer reads from whoever reaches its socket. Properties: a request is accepted
 * only in one of the six shapes (the op's members, each of its type and within its limit), and
 * what was accepted, written back as JSON, is read again to the same request; a refusal carries
 * a code and a message and holds no secret.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct tc_signer_request *a, const struct tc_signer_request *b)
{
    if (a->op != b->op || strcmp(a->account, b->account) != 0 || a->batch != b->batch ||
        a->minutes != b->minutes || a->password_len != b->password_len ||
        a->passphrase_len != b->passphrase_len || a->pin_len != b->pin_len ||
        (a->password && memcmp(a->password, b->password, a->password_len) != 0) ||
        (a->passphrase && memcmp(a->passphrase, b->passphrase, a->passphrase_len) != 0) ||
        (a->pin && memcmp(a->pin, b->pin, a->pin_len) != 0) ||
        a->key_passphrase_len != b->key_passphrase_len ||
        (a->key_passphrase &&
         memcmp(a->key_passphrase, b->key_passphrase, a->key_passphrase_len) != 0))
        abort();
}

/* The accepted request written back as the client writes one. */
static char *again(const struct tc_signer_request *r)
{
    json_t *o = json_pack("{s:s}", "op", tc_signer_op_name(r->op));
    if (r->account[0])
        json_object_set_new(o, "account", json_string(r->account));
    if (r->password)
        json_object_set_new(o, "password", json_stringn(r->password, r->password_len));
    if (r->passphrase)
        json_object_set_new(o, "passphrase", json_stringn(r->passphrase, r->passphrase_len));
    if (r->pin)
        json_object_set_new(o, "pin", json_stringn(r->pin, r->pin_len));
    if (r->key_passphrase)
        json_object_set_new(o, "key_passphrase",
                            json_stringn(r->key_passphrase, r->key_passphrase_len));
    if (r->batch)
        json_object_set_new(o, "batch", json_integer(r->batch));
    if (r->minutes)
        json_object_set_new(o, "minutes", json_integer(r->minutes));
    char *t = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready)
        ready = sodium_init() >= 0 ? 1 : (abort(), 0);
    if (size > TC_SIGNER_REQUEST_MAX + 64)
        return 0;
    char *in = malloc(size ? size : 1); /* exactly size bytes: an over-read is ASan's to see */
    if (!in)
        return 0;
    memcpy(in, data, size);
    struct tc_signer_request r, back;
    const char *code, *msg;
    if (tc_signer_request_parse(in, size, &r, &code, &msg) != TC_OK) {
        if (!code || !msg || r.password || r.passphrase || r.pin || r.key_passphrase)
            abort();
        free(in);
        return 0;
    }
    bool takes_account = r.op != TC_SIGNER_STATUS && r.op != TC_SIGNER_LOCK;
    if ((takes_account &&
         (!r.account[0] || !r.password || strlen(r.account) >= TC_SIGNER_ACCOUNT_MAX)) ||
        (!takes_account && (r.account[0] || r.password)) ||
        ((r.op == TC_SIGNER_SIGN_BATCH || r.op == TC_SIGNER_SIGN_REVOCATION) != (r.batch > 0)) ||
        (r.op == TC_SIGNER_UNLOCK) != (r.passphrase != NULL) ||
        (r.op == TC_SIGNER_UNLOCK && (r.minutes < 1 || r.minutes > TC_SIGNER_WINDOW_MAX)) ||
        (r.password && (r.password_len == 0 || r.password_len > TC_SIGNER_SECRET_MAX)))
        abort();
    char *t = again(&r);
    if (!t || tc_signer_request_parse(t, strlen(t), &back, &code, &msg) != TC_OK)
        abort();
    same(&r, &back);
    tc_signer_request_free(&back);
    tc_signer_request_free(&r);
    free(t);
    free(in);
    return 0;
}
