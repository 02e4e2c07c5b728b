/*
 * export.c - the issuer's side of a status bundle: it gathers what the store holds (the trust
 * list it is given, revocations, supersessions, the unit directory, the profile, the audit head,
 * the register's checkpoint, index and consistency proofs) into a struct tc_bundle_content, and
 * publication/ encodes and signs it. When only register events changed since the previous
 * export (the members that do not come from the register hash the same), it also writes the
 * delta from that export: the register entries since then, a few hundred bytes per revocation
 * instead of the whole bundle. `titlecert-register audit` checks that the lists agree with the
 * register.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

/* The lists of a bundle (or of a delta's additions), malloc'd. */
struct lists {
    struct tc_bundle_revoked *revoked;
    size_t n_revoked;
    struct tc_bundle_superseded *superseded;
    size_t n_superseded;
    struct tc_bundle_registered *index;
    size_t n_index;
    struct tc_bundle_unit *units;
    size_t n_units;
    char *names;
    struct tc_bundle_proof *proofs;
    size_t n_proofs;
};

static void lists_free(struct lists *l)
{
    free(l->revoked);
    free(l->superseded);
    free(l->index);
    free(l->units);
    free(l->names);
    free(l->proofs);
    memset(l, 0, sizeof *l);
}

/* Grows *v (n elements of size bytes, capacity *cap) by one; NULL when out of memory. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *g = realloc(*v, c * size);
        if (!g)
            return NULL;
        *v = g, *cap = c;
    }
    return (uint8_t *)*v + (*n)++ * size;
}

/* 4 and 5: revoked [[id, day, reason]] and superseded [[id, successor, day]], by id */
static enum tc_err read_status(struct tc_store *s, struct lists *l)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT id, status, status_day, reason, successor FROM "
                                        "certificates WHERE status != 'valid' ORDER BY id", &q);
    size_t cr = 0, cs = 0;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        int32_t day = sqlite3_column_int(q, 2);
        if (strcmp((const char *)sqlite3_column_text(q, 1), "revoked") == 0) {
            struct tc_bundle_revoked *r = grow((void **)&l->revoked, &l->n_revoked, &cr, sizeof *r);
            if (!r) {
                e = TC_ERR_NOMEM;
                break;
            }
            memset(r, 0, sizeof *r);
            r->id = id, r->day = day;
            snprintf(r->reason, sizeof r->reason, "%s", (const char *)sqlite3_column_text(q, 3));
        } else {
            struct tc_bundle_superseded *u =
                grow((void **)&l->superseded, &l->n_superseded, &cs, sizeof *u);
            if (!u) {
                e = TC_ERR_NOMEM;
                break;
            }
            u->id = id, u->day = day, u->successor = (uint64_t)sqlite3_column_int64(q, 4);
        }
    }
    sqlite3_finalize(q);
    return e;
}

/* 12: the index [[id, leaf, h'16']], by id; every certificate must have its register entry */
static enum tc_err read_index(struct tc_store *s, struct lists *l, uint64_t reg_size)
{
    sqlite3_stmt *q;
    enum tc_err e =
        tc_store_prepare(s, "SELECT id, reg_leaf, payload FROM certificates ORDER BY id", &q);
    size_t cap = 0;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_type(q, 1) != SQLITE_INTEGER ||
            (uint64_t)sqlite3_column_int64(q, 1) >= reg_size) {
            tc_store_set_msg(s, "certificate %lld has no register entry",
                             (long long)sqlite3_column_int64(q, 0));
            e = TC_ERR_INCONSISTENT;
            break;
        }
        struct tc_bundle_registered *r = grow((void **)&l->index, &l->n_index, &cap, sizeof *r);
        uint8_t h[32];
        if (!r) {
            e = TC_ERR_NOMEM;
            break;
        }
        r->id = (uint64_t)sqlite3_column_int64(q, 0);
        r->leaf = (uint64_t)sqlite3_column_int64(q, 1);
        crypto_hash_sha256(h, sqlite3_column_blob(q, 2),
                           (unsigned long long)sqlite3_column_bytes(q, 2));
        memcpy(r->hash, h, TC_BUNDLE_INDEX_HASH);
    }
    sqlite3_finalize(q);
    return e;
}

static int leaf_cmp(const void *a, const void *b)
{
    const struct tc_reg_leaf *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* A delta's additions: the register leaves [from, end) as index, revoked and superseded lists. */
static enum tc_err read_additions(struct tc_store *s, uint64_t from, struct lists *l)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT idx, leaf FROM register WHERE idx >= ? ORDER BY idx", &q);
    struct tc_reg_leaf *v = NULL;
    size_t n = 0, cap = 0, ci = 0, cr = 0, cs = 0;
    if (e == TC_OK)
        sqlite3_bind_int64(q, 1, (int64_t)from);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tc_reg_leaf *x = grow((void **)&v, &n, &cap, sizeof *v);
        if (!x) {
            e = TC_ERR_NOMEM;
            break;
        }
        e = tc_reg_leaf_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), x);
        if (x->kind == TC_REG_ISSUE)
            x->other = (uint64_t)sqlite3_column_int64(q, 0); /* an issue's own entry number */
    }
    sqlite3_finalize(q);
    if (e == TC_OK && n)
        qsort(v, n, sizeof *v, leaf_cmp);
    for (size_t i = 0; e == TC_OK && i < n; i++) {
        if (v[i].kind == TC_REG_ISSUE) {
            struct tc_bundle_registered *r = grow((void **)&l->index, &l->n_index, &ci, sizeof *r);
            if (!r)
                e = TC_ERR_NOMEM;
            else
                r->id = v[i].id, r->leaf = v[i].other,
                memcpy(r->hash, v[i].hash, TC_BUNDLE_INDEX_HASH);
        } else if (v[i].kind == TC_REG_REVOKE) {
            struct tc_bundle_revoked *r = grow((void **)&l->revoked, &l->n_revoked, &cr, sizeof *r);
            if (!r)
                e = TC_ERR_NOMEM;
            else
                memset(r, 0, sizeof *r), r->id = v[i].id, r->day = v[i].day,
                    snprintf(r->reason, sizeof r->reason, "%s", v[i].reason);
        } else if (v[i].kind == TC_REG_SUPERSEDE) {
            struct tc_bundle_superseded *u =
                grow((void **)&l->superseded, &l->n_superseded, &cs, sizeof *u);
            if (!u)
                e = TC_ERR_NOMEM;
            else
                u->id = v[i].id, u->successor = v[i].other, u->day = v[i].day;
        }
    }
    free(v);
    return e;
}

static enum tc_err meta_u64(struct tc_store *s, const char *key, uint64_t *v)
{
    void *p = NULL;
    size_t n = 0;
    enum tc_err e = tc_store_meta_get(s, key, &p, &n);
    if (e == TC_OK)
        *v = strtoull(p, NULL, 10);
    free(p);
    return e;
}

static bool meta_sum(struct tc_store *s, const char *key, uint8_t out[32])
{
    void *p = NULL;
    size_t n = 0;
    bool ok = tc_store_meta_get(s, key, &p, &n) == TC_OK && n == 32;
    if (ok)
        memcpy(out, p, 32);
    free(p);
    return ok;
}

/* The state an export works in, inside its transaction. */
struct export {
    struct tc_store *s;
    struct tc_signer *key;
    uint64_t now, version;
    struct tc_reg_tree tree;
    char note[TC_REG_NOTE_MAX];
    size_t note_len;
    int64_t audit_seq;
    uint8_t audit_head[32];
    uint8_t bundle_sum[32], static_sum[32];
    struct lists all;
};

/* The delta from the previous export, when only the register changed since (same static sum);
 * *delta stays NULL otherwise. */
static enum tc_err write_delta(struct export *x, uint8_t **delta, size_t *delta_len)
{
    uint8_t prev_sum[32], prev_static[32];
    uint64_t prev_size = 0;
    if (x->version < 2 || !meta_sum(x->s, "bundle_sha256", prev_sum) ||
        !meta_sum(x->s, "bundle_static_sha256", prev_static) ||
        memcmp(prev_static, x->static_sum, 32) != 0 ||
        meta_u64(x->s, "bundle_register_size", &prev_size) != TC_OK || prev_size > x->tree.n)
        return TC_OK;
    struct lists add;
    memset(&add, 0, sizeof add);
    enum tc_err e = read_additions(x->s, prev_size, &add);
    struct tc_delta_content d = {
        .from_version = x->version - 1, .to_version = x->version, .issued_at = x->now,
        .note = x->note, .index = add.index, .n_index = add.n_index, .revoked = add.revoked,
        .n_revoked = add.n_revoked, .superseded = add.superseded, .n_superseded = add.n_superseded,
        .proofs = x->all.proofs, .n_proofs = x->all.n_proofs, .audit_seq = (uint64_t)x->audit_seq};
    memcpy(d.from_sha256, prev_sum, 32);
    memcpy(d.audit_head, x->audit_head, 32);
    memcpy(d.to_sha256, x->bundle_sum, 32);
    if (e == TC_OK)
        e = tc_delta_write(x->key, &d, delta, delta_len);
    lists_free(&add);
    return e;
}

/* Records what the next export compares with, and the export event. */
static enum tc_err record(struct export *x, size_t bytes)
{
    char vs[24], rs[24], detail[128];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)x->version);
    snprintf(rs, sizeof rs, "%llu", (unsigned long long)x->tree.n);
    snprintf(detail, sizeof detail, "{\"version\":%llu,\"bytes\":%zu,\"register_size\":%llu}",
             (unsigned long long)x->version, bytes, (unsigned long long)x->tree.n);
    sqlite3_stmt *ev = NULL;
    enum tc_err e;
    if ((e = tc_store_meta_set(x->s, "bundle_sha256", x->bundle_sum, 32)) == TC_OK &&
        (e = tc_store_meta_set(x->s, "bundle_static_sha256", x->static_sum, 32)) == TC_OK &&
        (e = tc_store_meta_set(x->s, "bundle_register_size", rs, strlen(rs))) == TC_OK &&
        (e = tc_store_meta_set(x->s, "bundle_version", vs, strlen(vs))) == TC_OK)
        e = tc_store_event(x->s, &ev, (int64_t)x->now, "bundle_export", 0, detail);
    sqlite3_finalize(ev);
    return e;
}

/* The register's side (A3): a newer trust list logged, the tree, a signed checkpoint, proofs. */
static enum tc_err sign_register(struct export *x, const uint8_t *trust, size_t trust_len,
                                 const struct tc_trust_list *tl, const char *origin)
{
    char org[TC_REG_ORIGIN_MAX + 1];
    enum tc_err e;
    if ((e = tc_register_log_trust(x->s, trust, trust_len, tl->version,
                                   tc_beijing_day(x->now))) != TC_OK ||
        (e = tc_register_origin(x->s, origin, org)) != TC_OK ||
        (e = tc_register_tree(x->s, UINT64_MAX, &x->tree)) != TC_OK ||
        (e = tc_register_sign(x->s, &x->tree, org, x->key, x->now, x->note, sizeof x->note,
                              &x->note_len)) != TC_OK)
        return e;
    tc_store_head(x->s, &x->audit_seq, x->audit_head);
    uint64_t last = 0;
    x->version = meta_u64(x->s, "bundle_version", &last) == TC_OK ? last + 1 : 1;
    return tc_register_proofs(x->s, &x->tree, &x->all.proofs, &x->all.n_proofs);
}

static bool key_may_publish(const struct tc_trust_list *tl, struct tc_signer *key, int32_t today)
{
    const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(key)->kid);
    return en && (en->authz.tracks & TC_AUTHZ_STATUS) && (en->authz.tracks & TC_AUTHZ_REGISTER) &&
           today >= en->not_before && today <= en->not_after &&
           !tc_trust_find_revocation(tl, en->kid);
}

/* Gathers and writes the bundle and its delta inside the open transaction. */
static enum tc_err build(struct export *x, const uint8_t *trust, size_t trust_len,
                         const struct tc_trust_list *tl, const char *origin, struct tc_export *out)
{
    enum tc_err e;
    if ((e = sign_register(x, trust, trust_len, tl, origin)) != TC_OK ||
        (e = read_status(x->s, &x->all)) != TC_OK || (e = tc_store_units(x->s, &x->all.units, &x->all.n_units, &x->all.names)) != TC_OK ||
        (e = read_index(x->s, &x->all, x->tree.n)) != TC_OK)
        return e;
    struct tc_bundle_content c = {
        .version = x->version, .issued_at = x->now, .trust = trust, .trust_len = trust_len,
        .revoked = x->all.revoked, .n_revoked = x->all.n_revoked,
        .superseded = x->all.superseded, .n_superseded = x->all.n_superseded,
        .units = x->all.units, .n_units = x->all.n_units, .names = x->all.names,
        .profile_json = tc_store_profile_json(x->s), .audit_seq = (uint64_t)x->audit_seq,
        .province = tc_store_profile(x->s)->province, .note = x->note, .index = x->all.index,
        .n_index = x->all.n_index, .proofs = x->all.proofs, .n_proofs = x->all.n_proofs};
    memcpy(c.audit_head, x->audit_head, 32);
    if ((e = tc_bundle_write(x->key, &c, &out->bundle, &out->len, x->static_sum)) != TC_OK)
        return e;
    crypto_hash_sha256(x->bundle_sum, out->bundle, out->len);
    if ((e = write_delta(x, &out->delta, &out->delta_len)) != TC_OK)
        return e;
    return record(x, out->len);
}

enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, struct tc_signer *key,
                             const char *origin, uint64_t now, struct tc_export *out)
{
    memset(out, 0, sizeof *out);
    if (!key_may_publish(tl, key, tc_beijing_day(now)))
        return TC_ERR_NOT_AUTHORISED;
    struct export x;
    memset(&x, 0, sizeof x);
    x.s = s, x.key = key, x.now = now;
    tc_reg_tree_init(&x.tree);
    enum tc_err e = tc_store_exec(s, "BEGIN IMMEDIATE");
    if (e == TC_OK && (e = build(&x, trust_list, trust_len, tl, origin, out)) == TC_OK)
        e = tc_store_exec(s, "COMMIT");
    if (e == TC_OK && !(out->checkpoint = strdup(x.note)))
        e = TC_ERR_NOMEM; /* committed: the next export is one version higher, nothing lost */
    if (e == TC_OK) {
        out->version = x.version;
        out->register_size = x.tree.n;
        out->delta_from = out->delta ? x.version - 1 : 0;
        /* the tree goes with the export: publish writes its tiles without rebuilding it */
        if ((out->tree = malloc(sizeof *out->tree)) != NULL) {
            *out->tree = x.tree;
            tc_reg_tree_init(&x.tree);
        }
    } else {
        tc_store_exec(s, "ROLLBACK");
        tc_store_reload_head(s);
        tc_export_free(out);
    }
    tc_reg_tree_free(&x.tree);
    lists_free(&x.all);
    return e;
}
