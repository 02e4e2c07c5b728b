/*
 * reg_gen.c - registers for the publication test and benchmark (reg_gen.h). Rows go in through the
 * store's own writers (tc_store_register, tc_store_event) with prepared statements, 50,000
 * entries a transaction; a certificate's payload is 173 random bytes (a certificate's size), not
 * a signature, since a publication reads a payload only to hash it.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer_internal.h"
#include "reg_gen.h"
#include "register.h"

#define PAYLOAD 173
#define PER_TX 50000
#define REVOKE_EVERY 20
#define SUPERSEDE_EVERY 50 /* at step 25 of each 50, never one that is revoked */

static const char pass[] = "register generator passphrase";

static enum tc_err key(const char *dir, const char *name, enum tc_key_kind kind,
                       struct tc_signer **out, struct tc_secret **secret)
{
    char path[600];
    struct tc_pubkey pub;
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    enum tc_err e =
        tc_keys_secret_create(path, kind, name, TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    if (e == TC_OK && out)
        e = tc_keys_signer_open(out, path, pass, strlen(pass), kind);
    if (e == TC_OK && secret)
        e = tc_keys_secret_open(secret, path, pass, strlen(pass));
    return e;
}

static enum tc_err trust_list(struct reg_gen_keys *k, uint64_t now)
{
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    memcpy(en.pk, tc_signer_pub(k->pub_key)->pk, 32);
    memcpy(en.kid, tc_signer_pub(k->pub_key)->kid, 8);
    memcpy(en.name, "publication", 12);
    en.not_before = tc_beijing_day(now) - 1;
    en.not_after = en.not_before + 365;
    en.authz.tracks = TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER | 6;
    en.authz.levels = 0x3E, en.authz.region = 62, en.endorsed_at = now;
    uint8_t *end = NULL;
    size_t end_len = 0;
    enum tc_err e = tc_keys_endorse(&end, &end_len, &en, k->root);
    const uint8_t *ends[] = {end};
    if (e == TC_OK)
        e = tc_keys_trust_list_build(&k->list, &k->list_len, 1, now, ends, &end_len, 1, NULL, 0,
                                     k->root);
    if (e == TC_OK)
        e = tc_trust_list_parse(k->list, k->list_len, tc_signer_pub(k->root)->pk, &k->tl);
    free(end);
    return e;
}

enum tc_err reg_gen_keys(struct reg_gen_keys *k, const char *dir)
{
    memset(k, 0, sizeof *k);
    struct tc_secret *hk = NULL;
    enum tc_err e;
    if ((e = key(dir, "root", TC_KEY_ROOT, &k->root, NULL)) != TC_OK ||
        (e = key(dir, "publication", TC_KEY_ISSUER, &k->pub_key, NULL)) != TC_OK ||
        (e = key(dir, "hash", TC_KEY_HASH, NULL, &hk)) != TC_OK ||
        (e = tc_store_keys_derive(&k->store_keys, hk)) != TC_OK ||
        (e = trust_list(k, (uint64_t)time(NULL))) != TC_OK) {
        tc_keys_secret_close(hk);
        return e;
    }
    tc_keys_secret_close(hk);
    const char *pp = getenv("TC_PROFILE_GS");
    FILE *f = fopen(pp ? pp : "data/profiles/GS.json", "r");
    if (!f)
        return TC_ERR_IO;
    k->profile_len = fread(k->profile, 1, sizeof k->profile - 1, f);
    fclose(f);
    return TC_OK;
}

void reg_gen_keys_free(struct reg_gen_keys *k)
{
    tc_signer_close(k->root);
    tc_signer_close(k->pub_key);
    tc_store_keys_free(k->store_keys);
    tc_trust_list_free(k->tl);
    free(k->list);
    memset(k, 0, sizeof *k);
}

enum tc_err reg_gen_store(const struct reg_gen_keys *k, const char *path, struct tc_store **s)
{
    const char *why = NULL;
    enum tc_err e = tc_store_init(path, k->profile, k->profile_len, k->store_keys, &why);
    if (e != TC_OK) {
        fprintf(stderr, "reg_gen: %s: %s\n", path, why ? why : tc_strerror(e));
        return e;
    }
    return tc_store_open(s, path, k->store_keys);
}

struct gen {
    struct tc_store *s;
    sqlite3_stmt *cert, *revoke, *supersede, *ev_issue, *ev_revoke, *ev_supersede;
    uint64_t next_id;
    int32_t day;
    int64_t now;
};

static enum tc_err issue_one(struct gen *g)
{
    uint8_t payload[PAYLOAD], fp[32];
    char hex[65], detail[200];
    randombytes_buf(payload, sizeof payload);
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_ISSUE, l.id = g->next_id++, l.day = g->day;
    crypto_hash_sha256(l.hash, payload, sizeof payload);
    memset(l.kid, 0x5a, sizeof l.kid);
    sqlite3_stmt *q = g->cert;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, (int64_t)l.id);
    sqlite3_bind_blob(q, 2, payload, sizeof payload, SQLITE_STATIC);
    sqlite3_bind_blob(q, 3, l.kid, sizeof l.kid, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, g->now);
    sqlite3_bind_int64(q, 5, (int64_t)tc_store_register_size(g->s));
    enum tc_err e = tc_store_step_done(g->s, q);
    if (e == TC_OK)
        e = tc_store_register(g->s, &l, NULL);
    crypto_generichash(fp, sizeof fp, payload, sizeof payload, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, fp, sizeof fp);
    snprintf(detail, sizeof detail, "{\"batch\":0,\"payload_blake2b\":\"%s\"}", hex);
    return e == TC_OK ? tc_store_event(g->s, &g->ev_issue, g->now, "issue", l.id, detail) : e;
}

static enum tc_err revoke_one(struct gen *g, uint64_t id)
{
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_REVOKE, l.id = id, l.day = g->day;
    snprintf(l.reason, sizeof l.reason, "error");
    sqlite3_reset(g->revoke);
    sqlite3_bind_int(g->revoke, 1, g->day);
    sqlite3_bind_int64(g->revoke, 2, (int64_t)id);
    enum tc_err e = tc_store_step_done(g->s, g->revoke);
    if (e == TC_OK)
        e = tc_store_event(g->s, &g->ev_revoke, g->now, "revoke", id,
                           "{\"reason\":\"error\",\"day\":\"2026-01-01\",\"blacklist\":false}");
    return e == TC_OK ? tc_store_register(g->s, &l, NULL) : e;
}

static enum tc_err supersede_one(struct gen *g, uint64_t id, uint64_t successor)
{
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_SUPERSEDE, l.id = id, l.other = successor, l.day = g->day;
    sqlite3_reset(g->supersede);
    sqlite3_bind_int64(g->supersede, 1, (int64_t)successor);
    sqlite3_bind_int(g->supersede, 2, g->day);
    sqlite3_bind_int64(g->supersede, 3, (int64_t)id);
    enum tc_err e = tc_store_step_done(g->s, g->supersede);
    if (e == TC_OK)
        e = tc_store_event(g->s, &g->ev_supersede, g->now, "supersede", id, "{}");
    return e == TC_OK ? tc_store_register(g->s, &l, NULL) : e;
}

static enum tc_err prepare(struct gen *g)
{
    enum tc_err e;
    sqlite3_stmt *q = NULL;
    if ((e = tc_store_prepare(g->s, "SELECT coalesce(max(id), 262000000) + 1 FROM certificates",
                              &q)) != TC_OK)
        return e;
    g->next_id = sqlite3_step(q) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(q, 0) : 1;
    sqlite3_finalize(q);
    if ((e = tc_store_exec(g->s, "INSERT OR IGNORE INTO holders(id, id_hash, id_mask, name) "
                                 "VALUES(1, zeroblob(32), '6201**********0000', '测试')")) !=
            TC_OK ||
        (e = tc_store_prepare(g->s, "INSERT INTO certificates(id, holder, track, level, series, "
                                    "eval_year, obtained, payload, kid, issued_at, reg_leaf) "
                                    "VALUES(?, 1, 1, 3, 2, 2026, 20000, ?, ?, ?, ?)",
                              &g->cert)) != TC_OK)
        return e;
    if ((e = tc_store_prepare(g->s, "UPDATE certificates SET status = 'superseded', successor = ?, "
                                    "status_day = ? WHERE id = ?",
                              &g->supersede)) != TC_OK)
        return e;
    return tc_store_prepare(g->s, "UPDATE certificates SET status = 'revoked', reason = 'error', "
                                  "status_day = ? WHERE id = ?",
                            &g->revoke);
}

enum tc_err reg_gen_append(struct tc_store *s, size_t n)
{
    return reg_gen_append_from(s, n, 0);
}

enum tc_err reg_gen_append_from(struct tc_store *s, size_t n, uint64_t first_id)
{
    struct gen g = {.s = s};
    g.now = (int64_t)time(NULL), g.day = tc_beijing_day((uint64_t)g.now);
    enum tc_err e = prepare(&g);
    if (first_id)
        g.next_id = first_id;
    uint64_t target = tc_store_register_size(s) + n, issued = 0;
    while (e == TC_OK && tc_store_register_size(s) < target) {
        if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
            break;
        for (size_t k = 0; e == TC_OK && k < PER_TX && tc_store_register_size(s) < target; k++) {
            if (++issued % REVOKE_EVERY == 0 && issued > 10)
                e = revoke_one(&g, g.next_id - 10);
            else if (issued % SUPERSEDE_EVERY == SUPERSEDE_EVERY / 2)
                e = supersede_one(&g, g.next_id - 3, g.next_id - 1);
            else
                e = issue_one(&g);
        }
        if (e == TC_OK)
            e = tc_store_exec(s, "COMMIT");
        if (e != TC_OK) {
            tc_store_exec(s, "ROLLBACK");
            tc_store_reload_head(s);
        }
    }
    sqlite3_finalize(g.cert), sqlite3_finalize(g.revoke), sqlite3_finalize(g.supersede);
    sqlite3_finalize(g.ev_issue), sqlite3_finalize(g.ev_revoke), sqlite3_finalize(g.ev_supersede);
    if (e != TC_OK)
        fprintf(stderr, "reg_gen: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
    return e;
}
