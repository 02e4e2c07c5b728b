/*
 * unlock.c - the custodian opens the signer for a window: the store's passphrase opens the store's
 * hash key (so the store and its audit chain), the account's password proves the custodian, then
 * the trust list is read again and the issuing and publication keys are opened (from their files
 * with the passphrase, or from the token with the PIN). Anything that fails closes what was
 * opened; nothing is held unless everything is.
 */
#include "service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A key of the configuration: the file with the passphrase, or the token's label with the PIN. */
static enum tc_err open_key(const struct tc_signer_config *cfg, const struct tc_signer_request *r,
                            const char *file, const char *label, struct tc_signer **out, char *why,
                            size_t why_size)
{
    if (file) {
        bool own = r->key_passphrase != NULL; /* the key files' own, or the store's */
        enum tc_err e = tc_keys_signer_open(out, file, own ? r->key_passphrase : r->passphrase,
                                            own ? r->key_passphrase_len : r->passphrase_len,
                                            TC_KEY_ISSUER);
        /* which passphrase was tried: with none of their own given, the store's (right, it
         * opened the store) does not open key files that have their own */
        if (e == TC_ERR_PASSPHRASE && !own)
            snprintf(why, why_size,
                     "%s：业务库口令打不开这个密钥文件，它另设了口令：请填写密钥文件口令 / %s: the "
                     "store's passphrase does not open this key file, which has its own: give the "
                     "key files' passphrase",
                     file, file);
        else if (e == TC_ERR_PASSPHRASE)
            snprintf(why, why_size, "%s：密钥文件口令不对 / %s: wrong passphrase for the key file",
                     file, file);
        else if (e != TC_OK)
            snprintf(why, why_size, "%s：打不开 / %s: %s", file, file, tc_strerror(e));
        return e;
    }
    struct tc_pkcs11_key where = *cfg->token;
    where.key_label = label, where.name = label, where.kind = TC_KEY_ISSUER;
    struct tc_pkcs11_diag diag;
    enum tc_err e = tc_keys_pkcs11_open(out, &diag, &where, r->pin, r->pin_len);
    if (e != TC_OK) {
        char d[TC_PKCS11_DETAIL_MAX + 64];
        tc_keys_pkcs11_why(d, sizeof d, e, &diag);
        snprintf(why, why_size, "令牌密钥 %s：%s / token key %s: %s", label,
                 e == TC_ERR_PASSPHRASE ? "PIN 不对" : "打不开", label, d);
    }
    return e;
}

/* The store with its hash key; a wrong passphrase and a foreign hash key say the same. */
static json_t *open_store(struct ctx *x)
{
    const char *which = NULL;
    enum tc_err e = tc_store_open_keyed(&x->h->s, x->cfg->db, x->cfg->hash_key, x->r->passphrase,
                                        x->r->passphrase_len, false, &which);
    if (e == TC_OK)
        return NULL;
    x->h->s = NULL;
    const char *m = e == TC_ERR_PASSPHRASE ? "业务库口令不对 / wrong passphrase for the store"
                                           : "打不开业务库或其哈希密钥 / cannot open the store or its "
                                             "hash key";
    sv_record(x, which, e == TC_ERR_PASSPHRASE ? m : tc_strerror(e));
    return sv_refused(e == TC_ERR_PASSPHRASE ? "bad_passphrase" : "store", m);
}

/* Everything after the custodian is known: the trust list and the two keys. */
static json_t *open_keys(struct ctx *x)
{
    const struct tc_signer_config *cfg = x->cfg;
    struct held *h = x->h;
    char why[512] = "";
    const char *which = NULL;
    enum tc_err e = TC_OK;
    if ((cfg->token != NULL) != (x->r->pin != NULL)) {
        const char *m = cfg->token ? "此签名服务的密钥在令牌上：须给出 PIN / the keys are on a "
                                     "token: a PIN is required"
                                   : "此签名服务不用令牌：不收 PIN / no token here: no PIN";
        sv_record(x, NULL, m);
        return sv_refused("bad_pin", m);
    }
    if ((e = tc_trust_list_load(cfg->root, cfg->trust, &h->tl, &h->trust, &h->trust_len, &which)) !=
        TC_OK)
        snprintf(why, sizeof why, "信任列表 %s：%s / trust list %s: %s", which, tc_strerror(e),
                 which, tc_strerror(e));
    if (e == TC_OK)
        e = open_key(cfg, x->r, cfg->issuer_key, cfg->token ? cfg->token->key_label : NULL,
                     &h->issuer, why, sizeof why);
    if (e == TC_OK)
        e = open_key(cfg, x->r, cfg->publication_key, cfg->publication_label, &h->publication, why,
                     sizeof why);
    if (e == TC_OK)
        return NULL;
    sv_record(x, NULL, why);
    return sv_refused(e == TC_ERR_PASSPHRASE ? "bad_passphrase" : "keys", why);
}

json_t *sv_unlock(struct ctx *x)
{
    struct held *h = x->h;
    if (h->unlocked) {
        sv_record(x, NULL, "已经解锁 / already unlocked");
        return sv_refused("already_unlocked",
                          "签名服务已解锁；先锁定再重新解锁 / already unlocked: "
                          "lock it first");
    }
    json_t *no = open_store(x);
    if (!no && !(no = sv_custodian(x)) && !(no = sv_anchor(x)))
        no = open_keys(x);
    if (no) {
        sv_drop(x->cfg, h, "解锁未成 / the unlock failed");
        return no;
    }
    uint64_t window = (uint64_t)x->r->minutes * 60;
    if (window > (uint64_t)x->cfg->window_max)
        window = (uint64_t)x->cfg->window_max;
    h->unlocked = true;
    h->until = x->now + window;
    h->last_use = x->now;
    snprintf(h->custodian, sizeof h->custodian, "%s", x->by.name);
    char outcome[96];
    snprintf(outcome, sizeof outcome, "解锁 %llu 秒 / unlocked for %llu s",
             (unsigned long long)window, (unsigned long long)window);
    sv_record(x, "signer", outcome);
    char until[32];
    time_t t = (time_t)h->until;
    struct tm tm;
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    return json_pack("{s:b,s:s,s:s,s:I,s:I}", "ok", 1, "state", "unlocked", "until", until,
                     "seconds", (json_int_t)window, "idle_seconds", (json_int_t)x->cfg->idle);
}
