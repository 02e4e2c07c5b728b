/*
 * bundle.c - the signed status bundle verifiers load: everything a verifier needs to answer
 * "is this certificate valid at this unit on this day" without asking the issuer.
 *
 * Payload (CBOR map, key 0 the type 4), signed as a profile COSE_Sign1 with external AAD
 * "titlecert/status-bundle/v1" by a key whose endorsement carries TC_AUTHZ_STATUS:
 *   1 version (one more than the store's last export), 2 issued_at, 3 the root-signed trust list
 *   (bytes), 4 revoked [[id, day, reason]], 5 superseded [[id, successor, day]],
 *   6 units [[uscc (12 packed bytes), division, township, tier, basic_flag, from, to, name]],
 *   7 the profile (JSON text), 8 title table [[series, code, series name, level, variant,
 *   title]], 9 audit head [seq, mac], 10 province, 11 the register checkpoint (a signed note,
 *   text), 12 index of registered certificates [[id, leaf index, h'first 16 bytes of SHA-256 of
 *   the certificate']], 13 consistency proofs to the checkpoint from earlier published sizes
 *   [[size, [hash...]]].
 * Lists are in ascending order (ids; USCC then valid_from; sizes), so a verifier can
 * binary-search.
 *
 * Delta (external AAD "titlecert/status-delta/v1", same key), written when the members that do
 * not come from the register (trust list, units, profile, titles, province) are byte for byte
 * those of the previous export: {0: 6, 1: from version, 2: h'SHA-256 of the from bundle', 3: to
 * version, 4: issued_at, 5: checkpoint, 6: index additions, 7: revoked additions, 8: superseded
 * additions, 9: consistency proofs, 10: audit head, 11: h'SHA-256 of the to bundle'}: the register
 * entries since the previous export, a few hundred bytes per revocation instead of the bundle. The index and the status lists come from the certificates table and the
 * checkpoint from the register: `titlecert-register audit` checks that they agree.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "register.h"

#define BUNDLE_TYPE 4

static int64_t count(struct tc_store *s, const char *sql)
{
    sqlite3_stmt *q;
    int64_t n = 0;
    if (tc_store_prepare(s, sql, &q) != TC_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* 4: revoked certificates [[id, day, reason]], by id */
static enum tc_err write_revoked(struct tc_store *s, struct tc_cw *w)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT id, status_day, reason FROM certificates WHERE "
                                        "status = 'revoked' ORDER BY id", &q);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        tc_cw_array(w, 3);
        tc_cw_uint(w, (uint64_t)sqlite3_column_int64(q, 0));
        tc_cw_int(w, sqlite3_column_int(q, 1));
        tc_cw_text(w, (const char *)sqlite3_column_text(q, 2));
    }
    sqlite3_finalize(q);
    return TC_OK;
}

/* 5: superseded certificates [[id, successor, day]], by id */
static enum tc_err write_superseded(struct tc_store *s, struct tc_cw *w)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT id, successor, status_day FROM certificates WHERE "
                                        "status = 'superseded' ORDER BY id", &q);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        tc_cw_array(w, 3);
        tc_cw_uint(w, (uint64_t)sqlite3_column_int64(q, 0));
        tc_cw_uint(w, (uint64_t)sqlite3_column_int64(q, 1));
        tc_cw_int(w, sqlite3_column_int(q, 2));
    }
    sqlite3_finalize(q);
    return TC_OK;
}

/* 6: the unit directory [[uscc, division, township, tier, flag, from, to, name]], by USCC, from */
static enum tc_err write_units(struct tc_store *s, struct tc_cw *w)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT uscc, division, township, tier, basic_flag, "
                                        "valid_from, valid_to, name FROM units ORDER BY uscc, "
                                        "valid_from", &q);
    if (e != TC_OK)
        return e;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        uint8_t packed[TC_USCC_PACKED];
        if (tc_uscc_pack(packed, (const char *)sqlite3_column_text(q, 0)) != TC_OK) {
            e = TC_ERR_STORE;
            break;
        }
        tc_cw_array(w, 8);
        tc_cw_bytes(w, packed, sizeof packed);
        for (int col = 1; col <= 6; col++)
            tc_cw_int(w, sqlite3_column_int64(q, col));
        tc_cw_text(w, (const char *)sqlite3_column_text(q, 7));
    }
    sqlite3_finalize(q);
    return e;
}

/* 12: the index [[id, leaf, h'16']], by id */
static enum tc_err write_index(struct tc_store *s, struct tc_cw *w, uint64_t reg_size)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT id, reg_leaf, payload FROM certificates ORDER BY id", &q);
    if (e != TC_OK)
        return e;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        uint8_t h[32];
        if (sqlite3_column_type(q, 1) != SQLITE_INTEGER ||
            (uint64_t)sqlite3_column_int64(q, 1) >= reg_size) {
            tc_store_set_msg(s, "certificate %lld has no register entry",
                             (long long)sqlite3_column_int64(q, 0));
            e = TC_ERR_INCONSISTENT;
            break;
        }
        crypto_hash_sha256(h, sqlite3_column_blob(q, 2), (unsigned long long)sqlite3_column_bytes(q, 2));
        tc_cw_array(w, 3);
        tc_cw_uint(w, (uint64_t)sqlite3_column_int64(q, 0));
        tc_cw_uint(w, (uint64_t)sqlite3_column_int64(q, 1));
        tc_cw_bytes(w, h, TC_BUNDLE_INDEX_HASH);
    }
    sqlite3_finalize(q);
    return e;
}

/* 8: the title table [[series, code, name, level, variant, title]] */
static void write_titles(struct tc_cw *w)
{
    size_t titles;
    const struct tc_title *tt = tc_title_table(&titles);
    tc_cw_array(w, titles);
    for (size_t i = 0; i < titles; i++) {
        tc_cw_array(w, 6);
        tc_cw_uint(w, tt[i].series);
        tc_cw_text(w, tt[i].series_code);
        tc_cw_text(w, tt[i].series_name);
        tc_cw_uint(w, tt[i].level);
        tc_cw_uint(w, tt[i].variant);
        tc_cw_text(w, tt[i].title);
    }
}

static int add_cmp(const void *a, const void *b)
{
    const struct tc_reg_leaf *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The delta's register part: the leaves [from, to) as index, revoked and superseded additions. */
static enum tc_err write_delta_lists(struct tc_store *s, uint64_t from, struct tc_cw *w)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT leaf FROM register WHERE idx >= ? ORDER BY idx", &q);
    if (e != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, (int64_t)from);
    struct tc_reg_leaf *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t idx = from;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct tc_reg_leaf *g = realloc(v, cap * sizeof *v);
            if (!g) {
                e = TC_ERR_NOMEM;
                break;
            }
            v = g;
        }
        if ((e = tc_reg_leaf_decode(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
                                    &v[n])) != TC_OK)
            break;
        v[n].other = v[n].kind == TC_REG_ISSUE ? idx : v[n].other; /* issue: its entry number */
        n++, idx++;
    }
    sqlite3_finalize(q);
    if (e == TC_OK) {
        if (n)
            qsort(v, n, sizeof *v, add_cmp);
        size_t ni = 0, nr = 0, ns = 0;
        for (size_t i = 0; i < n; i++)
            ni += v[i].kind == TC_REG_ISSUE, nr += v[i].kind == TC_REG_REVOKE,
                ns += v[i].kind == TC_REG_SUPERSEDE;
        tc_cw_uint(w, 6), tc_cw_array(w, ni);
        for (size_t i = 0; i < n; i++)
            if (v[i].kind == TC_REG_ISSUE) {
                tc_cw_array(w, 3), tc_cw_uint(w, v[i].id), tc_cw_uint(w, v[i].other);
                tc_cw_bytes(w, v[i].hash, TC_BUNDLE_INDEX_HASH);
            }
        tc_cw_uint(w, 7), tc_cw_array(w, nr);
        for (size_t i = 0; i < n; i++)
            if (v[i].kind == TC_REG_REVOKE) {
                tc_cw_array(w, 3), tc_cw_uint(w, v[i].id), tc_cw_int(w, v[i].day);
                tc_cw_text(w, v[i].reason);
            }
        tc_cw_uint(w, 8), tc_cw_array(w, ns);
        for (size_t i = 0; i < n; i++)
            if (v[i].kind == TC_REG_SUPERSEDE) {
                tc_cw_array(w, 3), tc_cw_uint(w, v[i].id), tc_cw_uint(w, v[i].other);
                tc_cw_int(w, v[i].day);
            }
    }
    free(v);
    return e;
}

enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, struct tc_signer *key,
                             const char *origin, uint64_t now, struct tc_export *out)
{
    memset(out, 0, sizeof *out);
    const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(key)->kid);
    int32_t today = tc_beijing_day(now);
    if (!en || !(en->authz.tracks & TC_AUTHZ_STATUS) || !(en->authz.tracks & TC_AUTHZ_REGISTER) ||
        today < en->not_before || today > en->not_after || tc_trust_find_revocation(tl, en->kid))
        return TC_ERR_NOT_AUTHORISED;
    int64_t n_rev = count(s, "SELECT count(*) FROM certificates WHERE status = 'revoked'");
    int64_t n_sup = count(s, "SELECT count(*) FROM certificates WHERE status = 'superseded'");
    int64_t n_units = count(s, "SELECT count(*) FROM units");
    int64_t n_certs = count(s, "SELECT count(*) FROM certificates");
    if (n_rev < 0 || n_sup < 0 || n_units < 0 || n_certs < 0)
        return TC_ERR_STORE;
    size_t titles;
    tc_title_table(&titles);
    const char *profile = tc_store_profile_json(s);
    size_t cap = 4096 + trust_len + strlen(profile) + (size_t)n_rev * (TC_REASON_MAX + 32) +
                 (size_t)n_sup * 32 + (size_t)n_units * 280 + titles * 200 +
                 (size_t)n_certs * (20 + TC_BUNDLE_INDEX_HASH) + TC_REG_NOTE_MAX +
                 TC_BUNDLE_PROOFS * (16 + TC_REG_PROOF_MAX * 34);
    uint8_t *buf = malloc(cap), *msg = NULL;
    sqlite3_stmt *q = NULL, *ev = NULL;
    struct tc_reg_tree tree;
    tc_reg_tree_init(&tree);
    char note[TC_REG_NOTE_MAX];
    size_t note_len = 0;
    enum tc_err e = TC_OK;
    if (!buf)
        return TC_ERR_NOMEM;
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
    /* A3: a newer trust list (key endorsements and revocations) is an event of the register */
    if ((e = tc_register_log_trust(s, trust_list, trust_len, tl->version, today)) != TC_OK)
        goto rollback;
    char org[TC_REG_ORIGIN_MAX + 1];
    if ((e = tc_register_origin(s, origin, org)) != TC_OK ||
        (e = tc_register_tree(s, UINT64_MAX, &tree)) != TC_OK ||
        (e = tc_register_sign(s, &tree, org, key, now, note, sizeof note, &note_len)) != TC_OK)
        goto rollback;
    int64_t seq;
    uint8_t head[32];
    tc_store_head(s, &seq, head);
    uint64_t v = 1;
    if ((e = tc_store_prepare(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
                                 "'bundle_version'",
                              &q)) != TC_OK)
        goto rollback;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    sqlite3_finalize(q);
    q = NULL;

    struct tc_cw w;
    tc_cw_init(&w, buf, cap);
    tc_cw_map(&w, 14);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, BUNDLE_TYPE);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, v);
    tc_cw_uint(&w, 2), tc_cw_uint(&w, now);
    crypto_hash_sha256_state stat_h; /* the members that do not come from the register */
    crypto_hash_sha256_init(&stat_h);
    size_t mark = w.len;
    tc_cw_uint(&w, 3), tc_cw_bytes(&w, trust_list, trust_len);
    crypto_hash_sha256_update(&stat_h, buf + mark, w.len - mark);
    tc_cw_uint(&w, 4), tc_cw_array(&w, (size_t)n_rev);
    if ((e = write_revoked(s, &w)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 5), tc_cw_array(&w, (size_t)n_sup);
    if ((e = write_superseded(s, &w)) != TC_OK)
        goto rollback;
    mark = w.len;
    tc_cw_uint(&w, 6), tc_cw_array(&w, (size_t)n_units);
    if ((e = write_units(s, &w)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 7), tc_cw_text(&w, profile);
    tc_cw_uint(&w, 8);
    write_titles(&w);
    if (!w.overflow)
        crypto_hash_sha256_update(&stat_h, buf + mark, w.len - mark);
    tc_cw_uint(&w, 9), tc_cw_array(&w, 2), tc_cw_uint(&w, (uint64_t)seq),
        tc_cw_bytes(&w, head, 32);
    mark = w.len;
    tc_cw_uint(&w, 10), tc_cw_uint(&w, tc_store_profile(s)->province);
    if (!w.overflow)
        crypto_hash_sha256_update(&stat_h, buf + mark, w.len - mark);
    uint8_t stat_sum[32];
    crypto_hash_sha256_final(&stat_h, stat_sum);
    tc_cw_uint(&w, 11), tc_cw_text(&w, note);
    tc_cw_uint(&w, 12), tc_cw_array(&w, (size_t)n_certs);
    if ((e = write_index(s, &w, tree.n)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 13);
    if ((e = tc_register_write_proofs(s, &tree, &w)) != TC_OK)
        goto rollback;
    if (w.overflow) {
        e = TC_ERR_INTERNAL;
        goto rollback;
    }
    if (w.len + 128 > TC_BUNDLE_MAX_BYTES) {
        e = TC_ERR_SIZE_LIMIT;
        goto rollback;
    }
    size_t mcap = w.len + 128, mlen;
    if (!(msg = malloc(mcap))) {
        e = TC_ERR_NOMEM;
        goto rollback;
    }
    if ((e = tc_signer_cose_sign1(key, TC_AAD_BUNDLE, buf, w.len, msg, mcap, &mlen)) != TC_OK)
        goto rollback;
    /* the delta from the previous export, when only the register changed since */
    uint8_t bundle_sum[32], prev_sum[32], prev_stat[32];
    crypto_hash_sha256(bundle_sum, msg, mlen);
    void *pv = NULL;
    size_t pl = 0;
    uint64_t prev_size = 0;
    bool delta_ok = v > 1;
    if (delta_ok && tc_store_meta_get(s, "bundle_sha256", &pv, &pl) == TC_OK && pl == 32)
        memcpy(prev_sum, pv, 32);
    else
        delta_ok = false;
    free(pv), pv = NULL;
    if (delta_ok && tc_store_meta_get(s, "bundle_static_sha256", &pv, &pl) == TC_OK && pl == 32)
        memcpy(prev_stat, pv, 32), delta_ok = memcmp(prev_stat, stat_sum, 32) == 0;
    else
        delta_ok = false;
    free(pv), pv = NULL;
    if (delta_ok && tc_store_meta_get(s, "bundle_register_size", &pv, &pl) == TC_OK)
        prev_size = strtoull(pv, NULL, 10);
    else
        delta_ok = false;
    free(pv), pv = NULL;
    uint8_t *delta = NULL;
    size_t delta_len = 0;
    if (delta_ok && prev_size <= tree.n) {
        size_t dcap = 8192 + (tree.n - prev_size) * 96 + TC_REG_NOTE_MAX +
                      TC_BUNDLE_PROOFS * (16 + TC_REG_PROOF_MAX * 34);
        uint8_t *dbuf = malloc(dcap);
        if (!dbuf || !(delta = malloc(dcap + 128))) {
            free(dbuf);
            e = TC_ERR_NOMEM;
            goto rollback;
        }
        struct tc_cw d;
        tc_cw_init(&d, dbuf, dcap);
        tc_cw_map(&d, 12);
        tc_cw_uint(&d, 0), tc_cw_uint(&d, 6);
        tc_cw_uint(&d, 1), tc_cw_uint(&d, v - 1);
        tc_cw_uint(&d, 2), tc_cw_bytes(&d, prev_sum, 32);
        tc_cw_uint(&d, 3), tc_cw_uint(&d, v);
        tc_cw_uint(&d, 4), tc_cw_uint(&d, now);
        tc_cw_uint(&d, 5), tc_cw_text(&d, note);
        if ((e = write_delta_lists(s, prev_size, &d)) != TC_OK) {
            free(dbuf);
            goto rollback;
        }
        tc_cw_uint(&d, 9);
        if ((e = tc_register_write_proofs(s, &tree, &d)) != TC_OK) {
            free(dbuf);
            goto rollback;
        }
        tc_cw_uint(&d, 10), tc_cw_array(&d, 2), tc_cw_uint(&d, (uint64_t)seq), tc_cw_bytes(&d, head, 32);
        tc_cw_uint(&d, 11), tc_cw_bytes(&d, bundle_sum, 32);
        e = d.overflow ? TC_ERR_INTERNAL
                       : tc_signer_cose_sign1(key, TC_AAD_DELTA, dbuf, d.len, delta, dcap + 128,
                                              &delta_len);
        free(dbuf);
        if (e != TC_OK)
            goto rollback_delta;
    }
    char vs[24], detail[128], rs[24];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)v);
    snprintf(rs, sizeof rs, "%llu", (unsigned long long)tree.n);
    if ((e = tc_store_meta_set(s, "bundle_sha256", bundle_sum, 32)) != TC_OK ||
        (e = tc_store_meta_set(s, "bundle_static_sha256", stat_sum, 32)) != TC_OK ||
        (e = tc_store_meta_set(s, "bundle_register_size", rs, strlen(rs))) != TC_OK)
        goto rollback_delta;
    snprintf(detail, sizeof detail, "{\"version\":%llu,\"bytes\":%zu,\"register_size\":%llu}",
             (unsigned long long)v, mlen, (unsigned long long)tree.n);
    if ((e = tc_store_meta_set(s, "bundle_version", vs, strlen(vs))) != TC_OK ||
        (e = tc_store_event(s, &ev, (int64_t)now, "bundle_export", 0, detail)) != TC_OK ||
        (e = tc_store_exec(s, "COMMIT")) != TC_OK)
        goto rollback;
    if (!(out->checkpoint = malloc(note_len + 1))) {
        e = TC_ERR_NOMEM; /* committed: the next export is one version higher, nothing lost */
        free(delta);
        goto out;
    }
    memcpy(out->checkpoint, note, note_len + 1);
    out->bundle = msg;
    out->len = mlen;
    out->version = v;
    out->register_size = tree.n;
    out->delta = delta, out->delta_len = delta_len, out->delta_from = delta ? v - 1 : 0;
    /* the tree goes with the export: publish writes its tiles without rebuilding it */
    if ((out->tree = malloc(sizeof *out->tree)) != NULL) {
        *out->tree = tree;
        tc_reg_tree_init(&tree);
    }
    msg = NULL;
    goto out;
rollback_delta:
    free(delta);
rollback:
    sqlite3_finalize(q);
    tc_store_exec(s, "ROLLBACK");
    tc_store_reload_head(s);
out:
    tc_reg_tree_free(&tree);
    sqlite3_finalize(ev);
    free(buf);
    free(msg);
    return e;
}
