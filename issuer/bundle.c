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
 *   title]], 9 audit head [seq, mac], 10 province.
 * Lists are in ascending order (ids; USCC then valid_from), so a verifier can binary-search.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"

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

enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, const struct tc_secret *key,
                             uint64_t now, uint8_t **out, size_t *len, uint64_t *version)
{
    *out = NULL;
    const struct tc_endorsement *en = tc_trust_find(tl, tc_keys_secret_pub(key)->kid);
    int32_t today = tc_beijing_day(now);
    if (!en || !(en->authz.tracks & TC_AUTHZ_STATUS) || today < en->not_before ||
        today > en->not_after || tc_trust_find_revocation(tl, en->kid))
        return TC_ERR_NOT_AUTHORISED;
    int64_t n_rev = count(s, "SELECT count(*) FROM certificates WHERE status = 'revoked'");
    int64_t n_sup = count(s, "SELECT count(*) FROM certificates WHERE status = 'superseded'");
    int64_t n_units = count(s, "SELECT count(*) FROM units");
    if (n_rev < 0 || n_sup < 0 || n_units < 0)
        return TC_ERR_STORE;
    size_t titles;
    tc_title_table(&titles);
    const char *profile = tc_store_profile_json(s);
    size_t cap = 4096 + trust_len + strlen(profile) + (size_t)n_rev * (TC_REASON_MAX + 32) +
                 (size_t)n_sup * 32 + (size_t)n_units * 280 + titles * 200;
    uint8_t *buf = malloc(cap), *msg = NULL;
    sqlite3_stmt *q = NULL, *ev = NULL;
    enum tc_err e = TC_OK;
    if (!buf)
        return TC_ERR_NOMEM;
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        goto out;
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
    tc_cw_map(&w, 11);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, BUNDLE_TYPE);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, v);
    tc_cw_uint(&w, 2), tc_cw_uint(&w, now);
    tc_cw_uint(&w, 3), tc_cw_bytes(&w, trust_list, trust_len);
    tc_cw_uint(&w, 4), tc_cw_array(&w, (size_t)n_rev);
    if ((e = write_revoked(s, &w)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 5), tc_cw_array(&w, (size_t)n_sup);
    if ((e = write_superseded(s, &w)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 6), tc_cw_array(&w, (size_t)n_units);
    if ((e = write_units(s, &w)) != TC_OK)
        goto rollback;
    tc_cw_uint(&w, 7), tc_cw_text(&w, profile);
    tc_cw_uint(&w, 8);
    write_titles(&w);
    tc_cw_uint(&w, 9), tc_cw_array(&w, 2), tc_cw_uint(&w, (uint64_t)seq),
        tc_cw_bytes(&w, head, 32);
    tc_cw_uint(&w, 10), tc_cw_uint(&w, tc_store_profile(s)->province);
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
    if ((e = tc_cose_sign1_sign(msg, mcap, &mlen, buf, w.len, TC_AAD_BUNDLE,
                                tc_keys_secret_pub(key)->kid, tc_keys_secret_bytes(key))) != TC_OK)
        goto rollback;
    char vs[24], detail[96];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)v);
    snprintf(detail, sizeof detail, "{\"version\":%llu,\"bytes\":%zu}", (unsigned long long)v, mlen);
    if ((e = tc_store_meta_set(s, "bundle_version", vs, strlen(vs))) != TC_OK ||
        (e = tc_store_event(s, &ev, (int64_t)now, "bundle_export", 0, detail)) != TC_OK ||
        (e = tc_store_exec(s, "COMMIT")) != TC_OK)
        goto rollback;
    *out = msg;
    *len = mlen;
    *version = v;
    msg = NULL;
    goto out;
rollback:
    sqlite3_finalize(q);
    tc_store_exec(s, "ROLLBACK");
    tc_store_reload_head(s);
out:
    sqlite3_finalize(ev);
    free(buf);
    free(msg);
    return e;
}
