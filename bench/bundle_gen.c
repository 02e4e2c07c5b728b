/*
 * bundle_gen.c - writes a large status bundle through the real export path for the memory
 * benchmark: a GS store filled directly with UNITS directory entries, CERTS certificates in force
 * and CERTS more revoked or superseded, each with its register entries (an issue leaf, and a
 * revoke or supersede leaf), so the bundle's index holds 2 x CERTS certificates and its status
 * lists CERTS; exported and signed by a publication key. Also writes the register's tiles
 * (DIR/pub) and prints how long that took, and how long appending 10^4 leaves and publishing
 * again took.
 * usage: bundle_gen DIR CERTS UNITS   (writes DIR/root.pub, DIR/big.bundle and DIR/pub; prints
 *        the bundle's size, then "publish SECONDS LEAVES FILES", "delta BYTES BUNDLE_BYTES" for
 *        one revocation published, and "append SECONDS LEAVES FILES")
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer.h"
#include "register.h"

static const char pass[] = "bundle generator passphrase";

static void make(const char *dir, const char *name, enum tc_key_kind kind, char *path, size_t size)
{
    struct tc_pubkey pub;
    snprintf(path, size, "%s/%s.key", dir, name);
    tc_keys_secret_create(path, kind, name, TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    if (kind == TC_KEY_ROOT) {
        char pubpath[512];
        snprintf(pubpath, sizeof pubpath, "%s/%s.pub", dir, name);
        tc_keys_pub_write(pubpath, &pub);
    }
}

static struct tc_signer *signer(const char *dir, const char *name, enum tc_key_kind kind)
{
    char path[512];
    struct tc_signer *s = NULL;
    make(dir, name, kind, path, sizeof path);
    tc_keys_signer_open(&s, path, pass, strlen(pass), kind);
    return s;
}

static struct tc_secret *hash_key(const char *dir, const char *name)
{
    char path[512];
    struct tc_secret *s = NULL;
    make(dir, name, TC_KEY_HASH, path, sizeof path);
    tc_keys_secret_open(&s, path, pass, strlen(pass));
    return s;
}

/* SQL functions for the generated rows: a leaf of the register and its RFC 9162 hash */
static uint8_t payload_hash[32];

static void fn_leaf(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    (void)argc;
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = (uint8_t)sqlite3_value_int(v[0]);
    l.id = (uint64_t)sqlite3_value_int64(v[1]);
    l.other = (uint64_t)sqlite3_value_int64(v[2]);
    l.day = 20500;
    memcpy(l.hash, payload_hash, 32);
    snprintf(l.reason, sizeof l.reason, "fraud");
    uint8_t buf[TC_REG_LEAF_MAX];
    size_t len;
    if (tc_reg_leaf_encode(&l, buf, &len) != TC_OK) {
        sqlite3_result_error(ctx, "leaf", -1);
        return;
    }
    sqlite3_result_blob(ctx, buf, (int)len, SQLITE_TRANSIENT);
}

static void fn_hash(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    (void)argc;
    uint8_t h[32];
    tc_reg_leaf_hash(h, sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]));
    sqlite3_result_blob(ctx, h, 32, SQLITE_TRANSIENT);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: bundle_gen DIR CERTS UNITS\n");
        return 2;
    }
    const char *dir = argv[1];
    long certs = atol(argv[2]), units = atol(argv[3]);
    uint64_t now = (uint64_t)time(NULL);
    struct tc_signer *root = signer(dir, "root", TC_KEY_ROOT),
                     *st = signer(dir, "status", TC_KEY_ISSUER);
    struct tc_secret *hk = hash_key(dir, "hash");
    struct tc_store_keys *keys = NULL;
    if (!root || !st || !hk || tc_store_keys_derive(&keys, hk) != TC_OK)
        return 1;
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    memcpy(en.pk, tc_signer_pub(st)->pk, 32);
    memcpy(en.kid, tc_signer_pub(st)->kid, 8);
    memcpy(en.name, "status", 7);
    en.not_before = tc_beijing_day(now) - 1;
    en.not_after = en.not_before + 365;
    en.authz.tracks = TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER | 6, en.authz.levels = 0x3E, en.authz.region = 62;
    en.endorsed_at = now;
    uint8_t *end = NULL, *list = NULL;
    size_t end_len, list_len;
    tc_keys_endorse(&end, &end_len, &en, root);
    const uint8_t *ends[] = {end};
    tc_keys_trust_list_build(&list, &list_len, 1, now, ends, &end_len, 1, NULL, 0, root);
    struct tc_trust_list *tl = NULL;
    tc_trust_list_parse(list, list_len, tc_signer_pub(root)->pk, &tl);

    char path[512], profile[65536];
    const char *pp = getenv("TC_PROFILE_GS");
    FILE *f = fopen(pp ? pp : "data/profiles/GS.json", "r");
    size_t plen = f ? fread(profile, 1, sizeof profile - 1, f) : 0;
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/big.db", dir);
    const char *why;
    struct tc_store *s = NULL;
    if (tc_store_init(path, profile, plen, keys, &why) != TC_OK || tc_store_open(&s, path, keys) != TC_OK)
        return 1;
    static const uint8_t payload[1] = {0};
    crypto_hash_sha256(payload_hash, payload, 1);
    sqlite3_create_function(tc_store_db(s), "tc_leaf", 3, SQLITE_UTF8, NULL, fn_leaf, NULL, NULL);
    sqlite3_create_function(tc_store_db(s), "tc_leaf_hash", 1, SQLITE_UTF8, NULL, fn_hash, NULL, NULL);
    char sql[4096];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous=OFF; BEGIN;"
             "INSERT INTO holders(id_hash, id_mask, name) VALUES(randomblob(32), '0000', 'x');"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
             "INSERT INTO units(uscc, name, division, tier, basic_flag, valid_from, valid_to) "
             "SELECT printf('126201024%%09d', i), '示例单位第' || i || '号', 620102, 3, -1, 16000, "
             "2147483647 FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2 * %ld) "
             "INSERT INTO certificates(id, holder, track, level, series, eval_year, obtained, status, "
             "successor, reason, status_day, payload, kid, issued_at, reg_leaf) SELECT 260000000 + i, "
             "1, 1, 3, 2, 2026, 20000, CASE WHEN i <= %ld THEN 'valid' WHEN i %% 2 THEN 'revoked' "
             "ELSE 'superseded' END, CASE WHEN i > %ld AND i %% 2 = 0 THEN 270000000 + i END, "
             "CASE WHEN i > %ld AND i %% 2 THEN 'fraud' END, 20500, x'00', zeroblob(8), 1, i - 1 "
             "FROM n;"
             "INSERT INTO register(idx, leaf, hash) SELECT reg_leaf, tc_leaf(1, id, 0), "
             "tc_leaf_hash(tc_leaf(1, id, 0)) FROM certificates ORDER BY reg_leaf;"
             "INSERT INTO register(idx, leaf, hash) SELECT 2 * %ld + row_number() OVER (ORDER BY id) - 1, "
             "tc_leaf(CASE status WHEN 'revoked' THEN 3 ELSE 2 END, id, coalesce(successor, 0)), "
             "tc_leaf_hash(tc_leaf(CASE status WHEN 'revoked' THEN 3 ELSE 2 END, id, "
             "coalesce(successor, 0))) FROM certificates WHERE status != 'valid';"
             "COMMIT;",
             units, certs, certs, certs, certs, certs);
    char *err_msg = NULL;
    if (sqlite3_exec(tc_store_db(s), sql, NULL, NULL, &err_msg) != SQLITE_OK) {
        fprintf(stderr, "bundle_gen: %s\n", err_msg);
        return 1;
    }
    /* reopened: the store reads its register size when it opens */
    tc_store_close(s);
    s = NULL;
    if (tc_store_open(&s, path, keys) != TC_OK)
        return 1;
    sqlite3_create_function(tc_store_db(s), "tc_leaf", 3, SQLITE_UTF8, NULL, fn_leaf, NULL, NULL);
    sqlite3_create_function(tc_store_db(s), "tc_leaf_hash", 1, SQLITE_UTF8, NULL, fn_hash, NULL, NULL);
    struct tc_export x;
    enum tc_err e = tc_bundle_export(s, list, list_len, tl, st, NULL, now, &x);
    if (e != TC_OK) {
        fprintf(stderr, "bundle_gen: export: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
        return 1;
    }
    char failed[700];
    if ((e = tc_export_write_chunks(&x, dir, failed, sizeof failed)) != TC_OK) {
        fprintf(stderr, "bundle_gen: %s: %s\n", failed, tc_strerror(e));
        return 1;
    }
    snprintf(path, sizeof path, "%s/big.bundle", dir);
    f = fopen(path, "wb");
    if (!f || fwrite(x.bundle, 1, x.len, f) != x.len)
        return 1;
    fclose(f);
    printf("%zu\n", x.len);
    /* the register's files: all of them, then again after 10^4 more leaves */
    char pub[512];
    snprintf(pub, sizeof pub, "%s/pub", dir);
    uint64_t files = 0;
    int err = 0;
    double t0 = seconds();
    if (tc_register_publish(s, pub, x.checkpoint, NULL, &files, &err) != TC_OK)
        return 1;
    double t1 = seconds();
    printf("publish %.3f %llu %llu\n", t1 - t0, (unsigned long long)x.register_size,
           (unsigned long long)files);
    tc_export_free(&x);
    /* one revocation, published: the delta a replica fetches instead of the bundle */
    if ((e = tc_revoke(s, 260000001, "fraud", tc_beijing_day(now), false, NULL, 0, now)) != TC_OK ||
        (e = tc_bundle_export(s, list, list_len, tl, st, NULL, now + 1, &x)) != TC_OK) {
        fprintf(stderr, "bundle_gen: revoke and export: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
        return 1;
    }
    printf("delta %zu %zu\n", x.delta_len, x.len);
    tc_export_free(&x);
    snprintf(sql, sizeof sql,
             "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
             "INSERT INTO register(idx, leaf, hash) SELECT (SELECT max(idx) FROM register) + i, "
             "tc_leaf(1, 280000000 + i, 0), tc_leaf_hash(tc_leaf(1, 280000000 + i, 0)) FROM n; COMMIT;");
    if (sqlite3_exec(tc_store_db(s), sql, NULL, NULL, &err_msg) != SQLITE_OK) {
        fprintf(stderr, "bundle_gen: %s\n", err_msg);
        return 1;
    }
    /* a checkpoint of the new size (signing is not what is measured here) */
    uint64_t n2 = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(tc_store_db(s), "SELECT count(*) FROM register", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n2 = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    char note[256];
    snprintf(note, sizeof note, "bench\n%llu\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
             (unsigned long long)n2);
    t0 = seconds();
    if (tc_register_publish(s, pub, note, NULL, &files, &err) != TC_OK)
        return 1;
    t1 = seconds();
    printf("append %.3f %llu %llu\n", t1 - t0, (unsigned long long)n2, (unsigned long long)files);
    tc_store_close(s);
    return 0;
}
