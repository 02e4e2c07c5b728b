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

/* The signer's own record of the store (state.c). */
struct sv_seen {
    uint64_t idx, at; /* a 公示's register entry, and when the signer first saw it */
};
struct sv_state {
    bool has_base, has_pending, has_checkpoint;
    struct tc_publish_anchor checkpoint; /* what the signer last published */
    uint64_t base, scanned, published, pending;
    int64_t audit_seq;
    uint8_t audit_mac[32];
    struct tc_range *own;
    size_t n_own, cap_own;
    struct sv_seen *seen;
    size_t n_seen, cap_seen;
};
enum tc_err sv_state_load(const char *path, struct sv_state *st, char *why, size_t why_size);
enum tc_err sv_state_save(const char *path, const struct sv_state *st);
/* The file's text, and its strict reader (TC_ERR_INCONSISTENT for anything sv_state_text would
 * not write; TC_ERR_SIZE_LIMIT past 4 MiB). */
enum tc_err sv_state_text(const struct sv_state *st, char **text, size_t *len);
enum tc_err sv_state_parse(const char *text, size_t len, struct sv_state *st);
void sv_state_free(struct sv_state *st);
bool sv_state_own(struct sv_state *st, uint64_t from, uint64_t to);
bool sv_state_seen(struct sv_state *st, uint64_t idx, uint64_t at);
bool sv_state_seen_at(const struct sv_state *st, uint64_t idx, uint64_t *at);

/* One request being answered. */
struct ctx {
    const struct tc_signer_config *cfg;
    struct held *h;
    struct sv_state *st;
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

/* The time the workflow is judged by: the real clock, or a demo store's with --demo. */
uint64_t sv_clock(const struct tc_signer_config *cfg, struct tc_store *s, uint64_t now);
/* Notes the 公示 entries the register gained since the last scan, as seen now (s: an open store,
 * or NULL to open it read-only); saves the state when it changed. */
void sv_scan(const struct tc_signer_config *cfg, struct sv_state *st, struct tc_store *s,
             uint64_t now);
/* The audit chain still holds the head the signer last recorded; else the refusal. First use: the
 * register's size and the chain's head are recorded as they are. */
json_t *sv_anchor(struct ctx *x);
/* After an operation: the chain's head recorded, the state saved. */
void sv_anchor_update(struct ctx *x);

json_t *sv_unlock(struct ctx *x);  /* unlock.c */
json_t *sv_sign(struct ctx *x);    /* work.c: sign-batch and sign-revocation */
json_t *sv_publish(struct ctx *x); /* work.c */

#endif
