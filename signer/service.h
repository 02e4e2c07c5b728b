/*
 * service.h - what the signer service's files share (server.c, unlock.c, work.c); not installed.
 */
#ifndef TC_SIGNER_SERVICE_H
#define TC_SIGNER_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "issuer.h"
#include "keys.h"
#include "signer.h"

/* What an unlocked signer holds; all zero when locked. */
struct held {
    bool unlocked;
    uint64_t until, last_use; /* by the real clock, never a demo store's */
    char custodian[TC_ACCOUNT_NAME_MAX];
    struct tc_store *s;
    struct tc_signer *issuer, *publication;
    struct tc_trust_list *tl;
    uint8_t *trust;
    size_t trust_len;
};

/* One request being answered. */
struct ctx {
    const struct tc_signer_config *cfg;
    struct held *h;
    const struct tc_signer_request *r;
    char client[48];      /* "uid 1000 pid 4242", for the log and the audit */
    struct tc_account by; /* the account, once its password was checked */
    uint64_t now;         /* the real clock */
};

/* A line on the log: the time, then fmt. */
void sv_log(const struct tc_signer_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* {"ok":false,"error":code,"message":msg} */
json_t *sv_refused(const char *code, const char *msg);
/* The request on the log and, when the store is open, in its audit chain. */
void sv_record(struct ctx *x, const char *object, const char *outcome);
/* Checks the request's account and password and that it holds the custodian's role; NULL when
 * it does, else the refusal (recorded). */
json_t *sv_custodian(struct ctx *x);
/* Closes and wipes everything held, with an audit event saying why. */
void sv_drop(const struct tc_signer_config *cfg, struct held *h, const char *why);

json_t *sv_unlock(struct ctx *x);  /* unlock.c */
json_t *sv_sign(struct ctx *x);    /* work.c: sign-batch and sign-revocation */
json_t *sv_publish(struct ctx *x); /* work.c */

#endif
