/*
 * signer.h - titlecert-signer: the one process that opens the keys that issue certificates and
 * sign publications (ISSUANCE.md "The signer"), and what talks to it.
 *
 * It listens on a Unix socket (mode 0600 unless a group is meant to reach it; the peer's uid is
 * checked with SO_PEERCRED), starts locked, and is unlocked by a custodian for a window (a
 * passphrase for key files, a PIN for a PKCS#11 token; at most TC_SIGNER_WINDOW_MAX, locked again
 * at its end, after TC_SIGNER_IDLE of no signing, and on `lock`). Unlocked, it holds the store
 * (opened with its hash key), the issuing key and the publication key, and accepts only:
 *   status, unlock, lock, sign-batch, sign-revocation, publish.
 * Before it signs a batch it reads it again from the store and checks everything approval needed
 * (tc_wf_sign); it returns no signature and no key, only what was done. Every request is logged,
 * and once the store is open it is an audit event naming the account.
 *
 * The protocol: one request per connection, one JSON object on one line (at most
 * TC_SIGNER_REQUEST_MAX bytes), answered by one JSON object on one line:
 *   {"op":"status"}
 *   {"op":"unlock","account":A,"password":P,"passphrase":K,"minutes":M}   (+ "pin" for a token,
 *                                        "key_passphrase" for key files with their own)
 *   {"op":"lock"}
 *   {"op":"sign-batch","account":A,"password":P,"batch":N}
 *   {"op":"sign-revocation","account":A,"password":P,"batch":N}
 *   {"op":"publish","account":A,"password":P}
 * Answers: {"ok":true,...} or {"ok":false,"error":CODE,"message":"中文 / English"}.
 * Unknown members, duplicate members and wrong types are refused (a forged request gets nothing).
 */
#ifndef TC_SIGNER_H
#define TC_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#define TC_SIGNER_REQUEST_MAX (16u << 10)
#define TC_SIGNER_REPLY_MAX (64u << 10)
#define TC_SIGNER_WINDOW_MAX (8 * 60) /* minutes a window may last (a setting; the default) */
#define TC_SIGNER_IDLE (15 * 60)      /* seconds without signing before it locks itself */
#define TC_SIGNER_SECRET_MAX 1024     /* bytes of a password, passphrase or PIN */
#define TC_SIGNER_ACCOUNT_MAX 64

enum tc_signer_op {
    TC_SIGNER_STATUS = 1,
    TC_SIGNER_UNLOCK,
    TC_SIGNER_LOCK,
    TC_SIGNER_SIGN_BATCH,
    TC_SIGNER_SIGN_REVOCATION,
    TC_SIGNER_PUBLISH,
};

/* A parsed request. Secrets are in sodium_malloc'd memory, wiped by tc_signer_request_free. */
struct tc_signer_request {
    enum tc_signer_op op;
    char account[TC_SIGNER_ACCOUNT_MAX];
    char *password, *passphrase, *pin; /* NULL when not given */
    size_t password_len, passphrase_len, pin_len;
    /* unlock: the key files' own passphrase, when it is not the store's (the store's passphrase
     * is known to everyone who runs the workflow's commands; the keys' can be the custodians'
     * alone); NULL: the key files take passphrase too */
    char *key_passphrase;
    size_t key_passphrase_len;
    int64_t batch;
    int minutes;
};
/* Parses one request strictly: the members its op takes and no other, each of its type, text
 * safe and within its limit. On failure *code and *msg (static) say what is wrong. */
enum tc_err tc_signer_request_parse(const char *line, size_t len, struct tc_signer_request *r,
                                    const char **code, const char **msg);
void tc_signer_request_free(struct tc_signer_request *r);
const char *tc_signer_op_name(enum tc_signer_op op);

/* The client: sends one request (a JSON object's text) to the signer at socket_path and returns
 * its answer (malloc'd, NUL-terminated). TC_ERR_IO (errno kept) when it cannot be reached,
 * TC_ERR_TIMEOUT past timeout_ms. */
enum tc_err tc_signer_call(const char *socket_path, const char *request, int timeout_ms,
                           char **reply);

/* Makes jansson wipe every block it frees (json_set_alloc_funcs): called first by each program
 * that puts a secret in a JSON value (the signer, the issuer's signer commands, the console). */
void tc_signer_json_hygiene(void);

/* ---- the service (server.c, unlock.c, work.c; the library tc_signer_service) ---------------- */
#define TC_SIGNER_ALLOW_MAX 8

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

struct tc_pkcs11_key;
struct tc_cosigner_set;

struct tc_signer_config {
    const char *socket_path;
    unsigned socket_mode;             /* 0600; 0660 lets the socket's group connect */
    uid_t allow[TC_SIGNER_ALLOW_MAX]; /* peers allowed besides the signer's own uid */
    size_t n_allow;
    const char *db, *hash_key;         /* the store and its hash-key file */
    const char *issuer_key;            /* the issuing key file, or NULL for token.key_label */
    const char *publication_key;       /* the publication key file, or NULL for publication_label */
    const struct tc_pkcs11_key *token; /* the issuing key on a token (keys.h), or NULL */
    const char *publication_label;     /* the publication key's label on the token */
    const char *root, *trust;          /* read again at each unlock */
    const char *publish_dir, *origin;  /* where publish writes (tc_publish) */
    int window_max;                    /* seconds a window may last */
    int idle;                          /* seconds without signing before it locks */
    FILE *log;                         /* NULL: stderr */
    const char *state_path;            /* the signer's own record of the store (state.c) */
    bool demo;                         /* a demo: a demo store's clock is followed */
    /* the witnesses that co-sign each publication's checkpoint (register.h; each with its URL,
     * the quorum set), or NULL: publish refuses below their quorum (issuer.h, tc_cosigning) */
    const struct tc_cosigner_set *witnesses;
};
/* Serves until *stop is set (by a signal) or the socket fails: 0, or 2 when it could not start
 * (said on the log). Locks and wipes everything before returning. */
int tc_signer_serve(const struct tc_signer_config *c, volatile sig_atomic_t *stop);

#endif
