/*
 * export.c - the issuer's side of a status bundle: a function of the register (A3). The index
 * of registered certificates, the revocations and the supersessions are derived from the
 * register's entries (publication/'s tc_reg_status), never read from a mutable table. Before
 * anything is signed the store is checked, so that one edited file cannot turn into a signed
 * publication:
 *   - the entries and the tree against the last checkpoint this store signed, and the audit
 *     chain's MACs (export_reg.c: every entry and event at a first export, those added since at
 *     the next ones, with what the last one kept and a rolling re-check of the rest);
 *   - the certificates table says what the register says (an edited or inserted row is refused,
 *     naming it): every row at a first export; at the next ones the rows the new entries name,
 *     the number of rows, and a rolling window of the others; the unit directory and the
 *     profile each time (their digests are entries).
 * When only register entries changed since the previous export, it also writes the delta from
 * that export: the entries themselves, which a replica checks and derives the lists from.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export.h"
#include "issuer.h"

enum tc_err tc_export_refuse(struct export *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, sizeof x->why, fmt, ap);
    va_end(ap);
    tc_store_set_msg(x->s, "%s", x->why);
    return TC_ERR_INCONSISTENT;
}

#define refuse tc_export_refuse

static void export_free(struct export *x)
{
    tc_reg_tree_free(&x->tree);
    tc_reg_edge_free(&x->edge);
    tc_regstate_status_free(&x->rst);
    tc_regstate_writer_free(&x->w);
    for (size_t i = 0; i < x->n_leaves; i++)
        free(x->leaf[i]);
    free(x->leaf);
    free(x->leaf_len);
    free(x->named);
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

/* One row of the certificates table against the register's status. */
static enum tc_err check_row(struct export *x, sqlite3_stmt *q, size_t *k)
{
    uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
    const char *status = (const char *)sqlite3_column_text(q, 1);
    const struct tc_reg_status *st = &x->rst.st;
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
    /* sorted by id, each id once (tc_reg_status_finish found no twice-revoked or -superseded) */
    const struct tc_bundle_revoked *rv =
        tc_find_id(st->revoked, st->n_revoked, sizeof *st->revoked, id);
    const struct tc_bundle_superseded *sp =
        tc_find_id(st->superseded, st->n_superseded, sizeof *st->superseded, id);
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

/* The profile and the unit directory are the ones the register logged last. */
static enum tc_err check_data(struct export *x)
{
    uint8_t h[32];
    const char *profile = tc_store_profile_json(x->s);
    enum tc_err e = TC_OK;
    crypto_hash_sha256(h, (const uint8_t *)profile, strlen(profile));
    if (!x->rst.logged[TC_REG_DATA_PROFILE] || memcmp(h, x->rst.data[TC_REG_DATA_PROFILE], 32))
        e = refuse(x, "the profile differs from the one the register logged");
    if (e == TC_OK &&
        (e = tc_store_units(x->s, &x->units, &x->n_units, &x->names)) == TC_OK &&
        (e = tc_bundle_units_digest(x->units, x->n_units, x->names ? x->names : "", h)) == TC_OK &&
        (x->rst.logged[TC_REG_DATA_UNITS] ? memcmp(h, x->rst.data[TC_REG_DATA_UNITS], 32) != 0
                                          : x->n_units != 0))
        e = refuse(x, "the unit directory differs from the one the register logged (it was "
                      "changed outside 'units import')");
    return e;
}

#define ROW_SQL "SELECT id, status, payload, coalesce(status_day, 0), coalesce(reason, '') FROM " \
                "certificates "

/* Rows from id `from` on, at most limit (-1: all), against the index from its entry for `from`
 * on. *last: the last id read; *end whether the table ended. */
static enum tc_err check_rows(struct export *x, uint64_t from, int64_t limit, uint64_t *last,
                              bool *end)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, ROW_SQL "WHERE id >= ? ORDER BY id LIMIT ?", &q);
    const struct tc_reg_status *st = &x->rst.st;
    size_t k = tc_reg_status_at(st, from);
    int64_t rows = 0;
    sqlite3_bind_int64(q, 1, (int64_t)from);
    sqlite3_bind_int64(q, 2, limit);
    *last = from;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        e = check_row(x, q, &k);
        *last = (uint64_t)sqlite3_column_int64(q, 0), rows++;
    }
    sqlite3_finalize(q);
    *end = limit < 0 || rows < limit;
    if (e == TC_OK && *end && k < st->n_index)
        e = refuse(x, "certificate %llu is in the register (entry %llu) but its row was removed "
                      "from the store", (unsigned long long)st->index[k].id,
                   (unsigned long long)st->index[k].leaf);
    return e;
}

/* Appending: the rows the new entries name, the number of rows, and the next window of the
 * others (round and round, as the entries). */
static enum tc_err check_rows_since(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, ROW_SQL "WHERE id = ?", &q);
    for (size_t i = 0; e == TC_OK && i < x->n_named; i++) {
        uint64_t id = x->named[i];
        const struct tc_reg_status *st = &x->rst.st;
        size_t k = tc_reg_status_at(st, id);
        sqlite3_bind_int64(q, 1, (int64_t)id);
        if (sqlite3_step(q) == SQLITE_ROW)
            e = check_row(x, q, &k);
        else if (k < st->n_index && st->index[k].id == id)
            e = refuse(x, "certificate %llu is in the register (entry %llu) but its row was "
                          "removed from the store", (unsigned long long)id,
                       (unsigned long long)st->index[k].leaf);
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    int64_t rows = -1;
    if (e == TC_OK && (e = tc_store_row(x->s, &q, "SELECT count(*) FROM certificates", "")) == TC_OK) {
        rows = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    uint64_t last;
    bool end;
    /* rows inserted or removed: every row is looked at, to name one */
    if (e == TC_OK && rows != (int64_t)x->rst.st.n_index &&
        (e = check_rows(x, 0, -1, &last, &end)) == TC_OK)
        e = refuse(x, "the store holds %lld certificate rows, the register %zu certificates: rows "
                      "were inserted or removed outside the issuer", (long long)rows,
                   x->rst.st.n_index);
    if (e == TC_OK &&
        (e = check_rows(x, x->state.sweep_cert, (int64_t)x->recheck, &last, &end)) == TC_OK)
        x->state.sweep_cert = end ? 0 : last + 1;
    return e;
}

/* Every table a verdict depends on says what the register says. */
static enum tc_err check_tables(struct export *x)
{
    uint64_t last;
    bool end;
    enum tc_err e = x->full ? check_rows(x, 0, -1, &last, &end) : check_rows_since(x);
    return e == TC_OK ? check_data(x) : e;
}

/* The delta from the previous export, when only the register changed since (same static sum). */
static enum tc_err write_delta(struct export *x, const struct tc_export *out, uint8_t **delta,
                               size_t *delta_len)
{
    uint8_t prev_sum[32], prev_static[32], sig[TC_SIG_BYTES], kid[TC_KID_BYTES];
    const uint8_t *prot, *payload;
    size_t plen, paylen;
    struct tc_reg_frontier f;
    if (x->version < 2 || !meta_sum(x->s, "bundle_sha256", prev_sum) ||
        !meta_sum(x->s, "bundle_static_sha256", prev_static) ||
        memcmp(prev_static, x->static_sum, 32) != 0 || x->prev_size > x->n ||
        x->n_leaves != x->n - x->prev_size ||
        tc_reg_frontier_of(&x->src, x->prev_size, &f) != TC_OK ||
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

/* ---- the index's chunk files (publication.h: a bundle of version 2) -------------------------- */

/* Whether the file at path has SHA-256 sha. */
static bool file_hash_is(const char *path, const uint8_t sha[32])
{
    uint8_t *p = NULL, h[32];
    size_t len = 0;
    bool same = tc_file_read(path, TC_INDEX_CHUNK_MAX_BYTES, &p, &len) == TC_OK &&
                (crypto_hash_sha256(h, p, len), sodium_memcmp(h, sha, 32) == 0);
    free(p);
    return same;
}

/* How many leading chunks of the index the kept list names and may be used again, their hashes
 * in *known (malloc'd): only a list kept with the last checkpoint this store signed (which the
 * export has just verified against the register: a list from another store with the same hash
 * key, or put back from an earlier publication, is not used), only while each chunk's first and
 * last ids are still the index's (an index that changed under a chunk stops there), and only
 * where its file is in dir with the size it was written with; one of them in turn (the version
 * modulo their number) is read and hashed again, so that a file altered in place is written again
 * within as many publications as there are chunks. A full check uses none: every chunk is
 * encoded, hashed and written again. A list whose MAC fails is refused. */
static enum tc_err known_chunks(struct export *x, const char *dir, uint8_t (**known)[32],
                                size_t *n)
{
    *known = NULL, *n = 0;
    struct tc_regstate_chunk *kept = NULL;
    size_t count = 0;
    uint64_t size = 0;
    uint8_t root[32];
    enum tc_err e = dir ? tc_regstate_chunks_load(x->s, &size, root, &kept, &count) : TC_OK;
    if (e == TC_ERR_INCONSISTENT)
        return refuse(x, "%s", tc_store_errmsg(x->s));
    if (e == TC_OK && !(*known = calloc(count ? count : 1, 32)))
        e = TC_ERR_NOMEM;
    if (x->full || !x->has_last || size != x->last_size ||
        sodium_memcmp(root, x->last_root, 32) != 0)
        count = 0;
    const struct tc_reg_status *st = &x->rst.st;
    for (size_t k = 0; e == TC_OK && k < count && (k + 1) * TC_INDEX_CHUNK <= st->n_index; k++) {
        char name[TC_CHUNK_NAME_MAX], path[4096];
        struct stat sb;
        tc_chunk_name(kept[k].sha, name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (kept[k].first != st->index[k * TC_INDEX_CHUNK].id ||
            kept[k].last != st->index[(k + 1) * TC_INDEX_CHUNK - 1].id ||
            stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != kept[k].bytes ||
            (k == x->version % count && !file_hash_is(path, kept[k].sha)))
            break;
        memcpy((*known)[k], kept[k].sha, 32);
        *n = k + 1;
    }
    free(kept);
    return e;
}

/* Keeps the list of the bundle's chunks for the next export, bound to this export's checkpoint;
 * known: the kept list (sizes of the chunks reused). */
static enum tc_err keep_chunks(struct export *x, const struct tc_index_chunks *ch)
{
    struct tc_regstate_chunk *kept = calloc(ch->n ? ch->n : 1, sizeof *kept), *old = NULL;
    size_t n_old = 0;
    uint64_t size;
    uint8_t root[32];
    enum tc_err e = kept ? TC_OK : TC_ERR_NOMEM;
    if (e == TC_OK && ch->first_new && (e = tc_regstate_chunks_load(x->s, &size, root, &old,
                                                                    &n_old)) == TC_OK &&
        n_old < ch->first_new)
        e = TC_ERR_INTERNAL; /* reused chunks come from the kept list */
    for (size_t k = 0; e == TC_OK && k < ch->n; k++) {
        memcpy(kept[k].sha, ch->sha[k], 32);
        kept[k].first = x->rst.st.index[k * TC_INDEX_CHUNK].id;
        kept[k].last = x->rst.st.index[(k + 1) * TC_INDEX_CHUNK - 1].id;
        kept[k].bytes = k < ch->first_new ? old[k].bytes : ch->len[k - ch->first_new];
    }
    if (e == TC_OK)
        e = tc_regstate_chunks_save(x->s, x->n, x->root, kept, ch->n);
    free(kept), free(old);
    return e;
}

/* Records what the next export compares with, and the export event. */
static enum tc_err record(struct export *x, size_t bytes)
{
    char vs[24], rs[24], detail[128];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)x->version);
    snprintf(rs, sizeof rs, "%llu", (unsigned long long)x->n);
    snprintf(detail, sizeof detail, "{\"version\":%llu,\"bytes\":%zu,\"register_size\":%llu}",
             (unsigned long long)x->version, bytes, (unsigned long long)x->n);
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

/* The register's side (A3): a newer trust list logged, the register and the audit chain checked
 * against the last checkpoint (export_reg.c), the store's tables against the register, then a
 * new checkpoint signed and its proofs. */
static enum tc_err sign_register(struct export *x, const uint8_t *trust, size_t trust_len,
                                 const struct tc_trust_list *tl, const char *origin)
{
    char org[TC_REG_ORIGIN_MAX + 1];
    uint64_t last = 0;
    enum tc_err e;
    bool had = meta_u64(x->s, "bundle_version", &last) == TC_OK;
    if (had && last == UINT64_MAX)
        return refuse(x, "证书库记载的状态包版本已到上限，被改动 / the store's bundle version is "
                         "at its limit (it was altered): no next version");
    x->version = had ? last + 1 : 1;
    if (x->anchor && (x->anchor->version == UINT64_MAX || x->version != x->anchor->version + 1))
        return refuse(x, "证书库记载的状态包版本与签名服务上次发布的不符 / the store says the "
                         "last bundle was version %llu, the signer last published version %llu: "
                         "the store was altered or restored",
                      (unsigned long long)(had ? last : 0),
                      (unsigned long long)x->anchor->version);
    if (meta_u64(x->s, "bundle_register_size", &x->prev_size) != TC_OK)
        x->prev_size = UINT64_MAX; /* no previous export: no delta */
    if ((e = tc_register_log_trust(x->s, trust, trust_len, tl->version,
                                   tc_beijing_day(x->now))) != TC_OK ||
        (e = tc_register_origin(x->s, origin, org)) != TC_OK ||
        (e = tc_export_register(x)) != TC_OK)
        return e;
    struct tc_reg_report rep = {NULL, NULL, 0};
    if (tc_reg_status_finish(&x->rst.st, NULL, &rep))
        return refuse(x, "the register issues, revokes or supersedes a certificate twice");
    if ((e = check_tables(x)) != TC_OK ||
        (e = tc_register_sign(x->s, x->n, x->root, org, x->key, x->now, x->note, sizeof x->note,
                              &x->note_len)) != TC_OK)
        return e;
    /* co-signed before the bundle is signed: the bundle, delta and head carry the witnesses */
    if (x->cosign && (e = tc_register_cosign(x->s, x->cosign, &x->src, x->n, x->note,
                                             sizeof x->note, &x->note_len, x->why,
                                             sizeof x->why)) != TC_OK)
        return e;
    tc_store_head(x->s, &x->audit_seq, x->audit_head);
    e = tc_register_proofs(x->s, &x->src, x->n, x->root, &x->proofs, &x->n_proofs);
    if (e == TC_ERR_INCONSISTENT)
        return refuse(x, "%s", tc_store_errmsg(x->s));
    return e == TC_OK ? tc_export_keep(x) : e;
}

/* What the publication adds is vouched for, seen from inside its transaction. */
static enum tc_err vouch_in(struct export *x, const struct tc_publish_vouch *v)
{
    char why[400] = "";
    enum tc_err e = tc_register_vouch(x->s, v->from, tc_register_size_now(x->s), v->own, v->n_own,
                                      why, sizeof why);
    return e == TC_ERR_REFUSED ? refuse(x, "%s", why) : e;
}

static bool key_may_publish(const struct tc_trust_list *tl, struct tc_signer *key, int32_t today)
{
    const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(key)->kid);
    return en && (en->authz.tracks & TC_AUTHZ_STATUS) && (en->authz.tracks & TC_AUTHZ_REGISTER) &&
           today >= en->not_before && today <= en->not_after &&
           !tc_trust_find_revocation(tl, en->kid);
}

/* Checks, then writes the bundle and its delta, inside the open transaction. */
static enum tc_err build(struct export *x, const struct tc_export_opts *o, struct tc_export *out)
{
    const uint8_t *trust = o->trust;
    size_t trust_len = o->trust_len;
    uint8_t(*known)[32] = NULL;
    size_t n_known = 0;
    enum tc_err e = sign_register(x, trust, trust_len, o->tl, o->origin);
    if (e != TC_OK || (e = known_chunks(x, o->chunk_dir, &known, &n_known)) != TC_OK)
        return e;
    struct tc_bundle_content c = {
        .version = x->version, .issued_at = x->now, .trust = trust, .trust_len = trust_len,
        .revoked = x->rst.st.revoked, .n_revoked = x->rst.st.n_revoked,
        .superseded = x->rst.st.superseded, .n_superseded = x->rst.st.n_superseded,
        .units = x->units, .n_units = x->n_units, .names = x->names ? x->names : "",
        .profile_json = tc_store_profile_json(x->s), .audit_seq = (uint64_t)x->audit_seq,
        .province = tc_store_profile(x->s)->province, .note = x->note, .index = x->rst.st.index,
        .n_index = x->rst.st.n_index, .chunk_known = (const uint8_t(*)[32])known,
        .n_chunk_known = n_known, .proofs = x->proofs, .n_proofs = x->n_proofs};
    memcpy(c.audit_head, x->audit_head, 32);
    e = tc_bundle_write(x->key, &c, &out->bundle, &out->len, x->static_sum, &out->chunks);
    free(known);
    if (e != TC_OK || (e = keep_chunks(x, &out->chunks)) != TC_OK)
        return e;
    crypto_hash_sha256(x->bundle_sum, out->bundle, out->len);
    memcpy(out->sha256, x->bundle_sum, 32);
    if ((e = write_delta(x, out, &out->delta, &out->delta_len)) != TC_OK)
        return e;
    return record(x, out->len);
}

enum tc_err tc_bundle_export_with(struct tc_store *s, const struct tc_export_opts *o,
                                  struct tc_export *out)
{
    memset(out, 0, sizeof *out);
    if (!key_may_publish(o->tl, o->key, tc_beijing_day(o->now)))
        return TC_ERR_NOT_AUTHORISED;
    struct export x;
    memset(&x, 0, sizeof x);
    x.s = s, x.key = o->key, x.now = o->now, x.full = o->full_check, x.cosign = o->cosign;
    x.anchor = o->anchor;
    tc_reg_tree_init(&x.tree);
    tc_reg_edge_init(&x.edge);
    tc_reg_status_init(&x.rst.st);
    enum tc_err e = tc_store_exec(s, "BEGIN IMMEDIATE");
    if (e == TC_OK && o->vouch)
        e = vouch_in(&x, o->vouch);
    if (e == TC_OK && (e = build(&x, o, out)) == TC_OK)
        e = tc_store_exec(s, "COMMIT");
    if (e == TC_OK && !(out->checkpoint = strdup(x.note)))
        e = TC_ERR_NOMEM; /* committed: the next export is one version higher, nothing lost */
    if (e == TC_OK) {
        out->version = x.version;
        out->register_size = x.n;
        out->delta_from = out->delta ? x.version - 1 : 0;
        out->full_check = x.full;
        memcpy(out->root, x.root, 32);
        /* the edge goes with the export: publish writes the tiles that changed from it */
        if ((out->edge = malloc(sizeof *out->edge)) != NULL) {
            *out->edge = x.edge;
            tc_reg_edge_init(&x.edge);
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

enum tc_err tc_bundle_export_witnessed(struct tc_store *s, const uint8_t *trust_list,
                                       size_t trust_len, const struct tc_trust_list *tl,
                                       struct tc_signer *key, const char *origin, uint64_t now,
                                       const struct tc_cosigning *w, struct tc_export *out)
{
    struct tc_export_opts o = {trust_list, trust_len, tl, key, origin, now, false, w, NULL, NULL,
                               NULL};
    return tc_bundle_export_with(s, &o, out);
}

enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, struct tc_signer *key,
                             const char *origin, uint64_t now, struct tc_export *out)
{
    return tc_bundle_export_witnessed(s, trust_list, trust_len, tl, key, origin, now, NULL, out);
}
