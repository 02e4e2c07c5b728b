/*
 * export.c - the issuer's side of a status bundle: a function of the register (A3). The index
 * of registered certificates, the revocations and the supersessions are derived from the
 * register's entries (publication/'s tc_reg_status), never read from a mutable table. Before
 * anything is signed the store is checked, so that one edited file cannot turn into a signed
 * publication:
 *   - every entry's stored hash is its leaf's hash, and the entries give the root of the last
 *     checkpoint this store signed (no entry was changed, dropped or inserted before it);
 *   - the audit chain's MACs hold (no event was edited);
 *   - the certificates table says what the register says (an edited or inserted row is refused,
 *     naming it), and so do the unit directory and the profile (their digests are entries).
 * When only register entries changed since the previous export, it also writes the delta from
 * that export: the entries themselves, which a replica checks and derives the lists from.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

/* The state an export works in, inside its transaction. */
struct export {
    struct tc_store *s;
    struct tc_signer *key;
    uint64_t now, version;
    struct tc_reg_tree tree;
    struct tc_reg_status st;
    uint8_t data[3][32]; /* the last logged digest of TC_REG_DATA_UNITS, _PROFILE */
    bool logged[3];
    uint64_t prev_size;  /* the register size of the previous export, for its delta */
    uint8_t **leaf;      /* the entries from prev_size on, for the delta */
    size_t *leaf_len, n_leaves, cap_leaves;
    char note[TC_REG_NOTE_MAX];
    size_t note_len;
    int64_t audit_seq;
    uint8_t audit_head[32];
    uint8_t bundle_sum[32], static_sum[32];
    struct tc_bundle_unit *units;
    size_t n_units;
    char *names;
    struct tc_bundle_proof *proofs;
    size_t n_proofs;
    char why[320];
    const struct tc_cosigning *cosign; /* the witnesses asked, or NULL */
};

static enum tc_err refuse(struct export *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum tc_err refuse(struct export *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, sizeof x->why, fmt, ap);
    va_end(ap);
    tc_store_set_msg(x->s, "%s", x->why);
    return TC_ERR_INCONSISTENT;
}

static void export_free(struct export *x)
{
    tc_reg_tree_free(&x->tree);
    tc_reg_status_free(&x->st);
    for (size_t i = 0; i < x->n_leaves; i++)
        free(x->leaf[i]);
    free(x->leaf);
    free(x->leaf_len);
    free(x->units);
    free(x->names);
    free(x->proofs);
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

/* Keeps entry i's bytes when the delta carries it. */
static enum tc_err keep_leaf(struct export *x, const uint8_t *leaf, size_t len)
{
    if (x->n_leaves == x->cap_leaves) {
        size_t c = x->cap_leaves ? x->cap_leaves * 2 : 64;
        uint8_t **l = realloc(x->leaf, c * sizeof *l);
        size_t *n = l ? realloc(x->leaf_len, c * sizeof *n) : NULL;
        if (l)
            x->leaf = l;
        if (!n)
            return TC_ERR_NOMEM;
        x->leaf_len = n, x->cap_leaves = c;
    }
    if (!(x->leaf[x->n_leaves] = malloc(len ? len : 1)))
        return TC_ERR_NOMEM;
    memcpy(x->leaf[x->n_leaves], leaf, len);
    x->leaf_len[x->n_leaves++] = len;
    return TC_OK;
}

/* One pass over the register: each entry's hash recomputed from its bytes, the tree built, the
 * status and the data digests folded, the entries a delta carries kept. */
static enum tc_err read_register(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, "SELECT idx, leaf, hash FROM register ORDER BY idx", &q);
    int rc = SQLITE_DONE;
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t i = x->tree.n;
        const uint8_t *leaf = sqlite3_column_blob(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        uint8_t h[TC_REG_HASH];
        struct tc_reg_leaf l;
        if ((uint64_t)sqlite3_column_int64(q, 0) != i || len > TC_REG_LEAF_MAX)
            return sqlite3_finalize(q), refuse(x, "register entry %llu is missing",
                                               (unsigned long long)i);
        tc_reg_leaf_hash(h, leaf, len);
        if (sqlite3_column_bytes(q, 2) != TC_REG_HASH ||
            memcmp(h, sqlite3_column_blob(q, 2), TC_REG_HASH) != 0 ||
            tc_reg_leaf_decode(leaf, len, &l) != TC_OK)
            return sqlite3_finalize(q), refuse(x, "register entry %llu was altered: its bytes do "
                                               "not give its hash", (unsigned long long)i);
        if ((e = tc_reg_tree_append(&x->tree, h)) == TC_OK)
            e = tc_reg_status_add(&x->st, i, &l);
        if (e == TC_OK && l.kind == TC_REG_DATA && l.id < 3)
            memcpy(x->data[l.id], l.hash, 32), x->logged[l.id] = true;
        if (e == TC_OK && i >= x->prev_size)
            e = keep_leaf(x, leaf, len);
    }
    sqlite3_finalize(q);
    return e == TC_OK && rc != SQLITE_DONE ? TC_ERR_STORE : e;
}

/* The entries up to the last checkpoint this store signed give that checkpoint's root. */
static enum tc_err check_checkpoint(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, "SELECT size, root, datetime(at, 'unixepoch', "
                                           "'+8 hours') FROM checkpoints ORDER BY size DESC LIMIT 1",
                                     &q);
    if (e != TC_OK || sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return e;
    }
    uint64_t size = (uint64_t)sqlite3_column_int64(q, 0);
    uint8_t root[TC_REG_HASH];
    struct tc_reg_source src = tc_reg_tree_source(&x->tree);
    char when[32];
    snprintf(when, sizeof when, "%s", (const char *)sqlite3_column_text(q, 2));
    if (size > x->tree.n)
        e = refuse(x, "the register holds %llu entries, fewer than the %llu of the checkpoint "
                   "signed at %s: entries were removed", (unsigned long long)x->tree.n,
                   (unsigned long long)size, when);
    else if (tc_reg_root(&src, size, root) != TC_OK || sqlite3_column_bytes(q, 1) != TC_REG_HASH ||
             memcmp(root, sqlite3_column_blob(q, 1), TC_REG_HASH) != 0)
        e = refuse(x, "the register's first %llu entries do not give the checkpoint signed at %s: "
                   "the register was rewritten", (unsigned long long)size, when);
    sqlite3_finalize(q);
    return e;
}

/* The audit chain (A3): every event's MAC. */
static enum tc_err check_audit(struct export *x)
{
    uint64_t count = 0, bad = 0;
    uint8_t head[32];
    enum tc_err e = tc_audit_verify(x->s, &count, &bad, head);
    if (e == TC_OK && bad)
        e = refuse(x, "audit event %llu was altered, inserted or removed (the chain breaks there)",
                   (unsigned long long)bad);
    return e;
}

static const struct tc_bundle_revoked *find_revoked(const struct tc_reg_status *st, uint64_t id)
{
    for (size_t lo = 0, hi = st->n_revoked; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->revoked[mid].id == id)
            return &st->revoked[mid];
        if (st->revoked[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const struct tc_bundle_superseded *find_superseded(const struct tc_reg_status *st,
                                                          uint64_t id)
{
    for (size_t lo = 0, hi = st->n_superseded; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->superseded[mid].id == id)
            return &st->superseded[mid];
        if (st->superseded[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* One row of the certificates table against the register's status. */
static enum tc_err check_row(struct export *x, sqlite3_stmt *q, size_t *k)
{
    uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
    const char *status = (const char *)sqlite3_column_text(q, 1);
    const struct tc_reg_status *st = &x->st;
    if (*k < st->n_index && st->index[*k].id < id)
        return refuse(x, "certificate %llu is in the register (entry %llu) but its row was "
                      "removed from the store", (unsigned long long)st->index[*k].id,
                      (unsigned long long)st->index[*k].leaf);
    uint8_t h[32];
    crypto_hash_sha256(h, sqlite3_column_blob(q, 2), (unsigned long long)sqlite3_column_bytes(q, 2));
    if (*k >= st->n_index || st->index[*k].id != id ||
        memcmp(h, st->index[*k].hash, TC_BUNDLE_INDEX_HASH) != 0)
        return refuse(x, "certificate %llu: its row is not what the register issued (a row "
                      "inserted or changed outside the issuer)", (unsigned long long)id);
    (*k)++;
    const struct tc_bundle_revoked *rv = find_revoked(st, id);
    const struct tc_bundle_superseded *sp = find_superseded(st, id);
    bool revoked = strcmp(status, "revoked") == 0, superseded = strcmp(status, "superseded") == 0;
    if (revoked != (rv != NULL) || (superseded && (!sp || rv)) ||
        (!revoked && !superseded && (rv || sp)))
        return refuse(x, "certificate %llu: its row says '%s', the register says %s",
                      (unsigned long long)id, status,
                      rv ? "revoked" : sp ? "superseded" : "in force");
    if (rv && (sqlite3_column_int(q, 3) != rv->day ||
               strcmp((const char *)sqlite3_column_text(q, 4), rv->reason) != 0))
        return refuse(x, "certificate %llu: its revocation's day or reason differs from the "
                      "register's", (unsigned long long)id);
    return TC_OK;
}

/* Every table a verdict depends on says what the register says. */
static enum tc_err check_tables(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, "SELECT id, status, payload, coalesce(status_day, 0), "
                                           "coalesce(reason, '') FROM certificates ORDER BY id",
                                     &q);
    size_t k = 0;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW)
        e = check_row(x, q, &k);
    sqlite3_finalize(q);
    if (e == TC_OK && k < x->st.n_index)
        e = refuse(x, "certificate %llu is in the register (entry %llu) but its row was removed "
                   "from the store", (unsigned long long)x->st.index[k].id,
                   (unsigned long long)x->st.index[k].leaf);
    uint8_t h[32];
    const char *profile = tc_store_profile_json(x->s);
    crypto_hash_sha256(h, (const uint8_t *)profile, strlen(profile));
    if (e == TC_OK && (!x->logged[TC_REG_DATA_PROFILE] || memcmp(h, x->data[TC_REG_DATA_PROFILE], 32)))
        e = refuse(x, "the profile differs from the one the register logged");
    if (e == TC_OK &&
        (e = tc_store_units(x->s, &x->units, &x->n_units, &x->names)) == TC_OK &&
        (e = tc_bundle_units_digest(x->units, x->n_units, x->names ? x->names : "", h)) == TC_OK &&
        (x->logged[TC_REG_DATA_UNITS] ? memcmp(h, x->data[TC_REG_DATA_UNITS], 32) != 0
                                      : x->n_units != 0))
        e = refuse(x, "the unit directory differs from the one the register logged (it was "
                   "changed outside 'units import')");
    return e;
}

/* The delta from the previous export, when only the register changed since (same static sum). */
static enum tc_err write_delta(struct export *x, const struct tc_export *out, uint8_t **delta,
                               size_t *delta_len)
{
    uint8_t prev_sum[32], prev_static[32], sig[TC_SIG_BYTES], kid[TC_KID_BYTES];
    const uint8_t *prot, *payload;
    size_t plen, paylen;
    struct tc_reg_frontier f;
    struct tc_reg_source src = tc_reg_tree_source(&x->tree);
    if (x->version < 2 || !meta_sum(x->s, "bundle_sha256", prev_sum) ||
        !meta_sum(x->s, "bundle_static_sha256", prev_static) ||
        memcmp(prev_static, x->static_sum, 32) != 0 || x->prev_size > x->tree.n ||
        x->n_leaves != x->tree.n - x->prev_size ||
        tc_reg_frontier_of(&src, x->prev_size, &f) != TC_OK ||
        tc_cose_sign1_parse(out->bundle, out->len, kid, &prot, &plen, &payload, &paylen, sig) !=
            TC_OK)
        return TC_OK;
    struct tc_delta_content d = {
        .from_version = x->version - 1, .to_version = x->version, .issued_at = x->now,
        .note = x->note, .frontier = &f, .leaf = (const uint8_t *const *)x->leaf,
        .leaf_len = x->leaf_len, .n_leaves = x->n_leaves, .proofs = x->proofs,
        .n_proofs = x->n_proofs, .audit_seq = (uint64_t)x->audit_seq};
    memcpy(d.from_sha256, prev_sum, 32);
    memcpy(d.audit_head, x->audit_head, 32);
    memcpy(d.to_sha256, x->bundle_sum, 32);
    memcpy(d.bundle_sig, sig, TC_SIG_BYTES);
    return tc_delta_write(x->key, &d, delta, delta_len);
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

/* The register's side (A3): a newer trust list logged, the store checked against the register
 * and the register against its last checkpoint, then a new checkpoint signed and its proofs. */
static enum tc_err sign_register(struct export *x, const uint8_t *trust, size_t trust_len,
                                 const struct tc_trust_list *tl, const char *origin)
{
    char org[TC_REG_ORIGIN_MAX + 1];
    uint64_t last = 0;
    enum tc_err e;
    x->version = meta_u64(x->s, "bundle_version", &last) == TC_OK ? last + 1 : 1;
    if (meta_u64(x->s, "bundle_register_size", &x->prev_size) != TC_OK)
        x->prev_size = UINT64_MAX; /* no previous export: no delta */
    if ((e = tc_register_log_trust(x->s, trust, trust_len, tl->version,
                                   tc_beijing_day(x->now))) != TC_OK ||
        (e = tc_register_origin(x->s, origin, org)) != TC_OK ||
        (e = check_audit(x)) != TC_OK || (e = read_register(x)) != TC_OK ||
        (e = check_checkpoint(x)) != TC_OK)
        return e;
    struct tc_reg_report rep = {NULL, NULL, 0};
    if (tc_reg_status_finish(&x->st, NULL, &rep))
        return refuse(x, "the register issues, revokes or supersedes a certificate twice");
    if ((e = check_tables(x)) != TC_OK ||
        (e = tc_register_sign(x->s, &x->tree, org, x->key, x->now, x->note, sizeof x->note,
                              &x->note_len)) != TC_OK)
        return e;
    /* co-signed before the bundle is signed: the bundle, delta and head carry the witnesses */
    if (x->cosign && (e = tc_register_cosign(x->s, x->cosign, &x->tree, x->note, sizeof x->note,
                                             &x->note_len, x->why, sizeof x->why)) != TC_OK)
        return e;
    tc_store_head(x->s, &x->audit_seq, x->audit_head);
    return tc_register_proofs(x->s, &x->tree, &x->proofs, &x->n_proofs);
}

static bool key_may_publish(const struct tc_trust_list *tl, struct tc_signer *key, int32_t today)
{
    const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(key)->kid);
    return en && (en->authz.tracks & TC_AUTHZ_STATUS) && (en->authz.tracks & TC_AUTHZ_REGISTER) &&
           today >= en->not_before && today <= en->not_after &&
           !tc_trust_find_revocation(tl, en->kid);
}

/* Checks, then writes the bundle and its delta, inside the open transaction. */
static enum tc_err build(struct export *x, const uint8_t *trust, size_t trust_len,
                         const struct tc_trust_list *tl, const char *origin, struct tc_export *out)
{
    enum tc_err e = sign_register(x, trust, trust_len, tl, origin);
    if (e != TC_OK)
        return e;
    struct tc_bundle_content c = {
        .version = x->version, .issued_at = x->now, .trust = trust, .trust_len = trust_len,
        .revoked = x->st.revoked, .n_revoked = x->st.n_revoked,
        .superseded = x->st.superseded, .n_superseded = x->st.n_superseded,
        .units = x->units, .n_units = x->n_units, .names = x->names ? x->names : "",
        .profile_json = tc_store_profile_json(x->s), .audit_seq = (uint64_t)x->audit_seq,
        .province = tc_store_profile(x->s)->province, .note = x->note, .index = x->st.index,
        .n_index = x->st.n_index, .proofs = x->proofs, .n_proofs = x->n_proofs};
    memcpy(c.audit_head, x->audit_head, 32);
    if ((e = tc_bundle_write(x->key, &c, &out->bundle, &out->len, x->static_sum)) != TC_OK)
        return e;
    crypto_hash_sha256(x->bundle_sum, out->bundle, out->len);
    if ((e = write_delta(x, out, &out->delta, &out->delta_len)) != TC_OK)
        return e;
    return record(x, out->len);
}

enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, struct tc_signer *key,
                             const char *origin, uint64_t now, struct tc_export *out)
{
    return tc_bundle_export_witnessed(s, trust_list, trust_len, tl, key, origin, now, NULL, out);
}

enum tc_err tc_bundle_export_witnessed(struct tc_store *s, const uint8_t *trust_list,
                                       size_t trust_len, const struct tc_trust_list *tl,
                                       struct tc_signer *key, const char *origin, uint64_t now,
                                       const struct tc_cosigning *w, struct tc_export *out)
{
    memset(out, 0, sizeof *out);
    if (!key_may_publish(tl, key, tc_beijing_day(now)))
        return TC_ERR_NOT_AUTHORISED;
    struct export x;
    memset(&x, 0, sizeof x);
    x.s = s, x.key = key, x.now = now, x.cosign = w;
    tc_reg_tree_init(&x.tree);
    tc_reg_status_init(&x.st);
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
        if (x.why[0]) /* rolled back, so the message is set again */
            tc_store_set_msg(s, "%s", x.why);
    }
    export_free(&x);
    return e;
}
