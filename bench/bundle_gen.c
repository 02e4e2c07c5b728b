/*
 * bundle_gen.c - writes a large status bundle through the real export path for the memory
 * benchmark: a GS store filled directly with UNITS directory entries and CERTS certificates, every
 * one of them revoked or superseded (so the bundle lists them all: the most a verifier can be asked
 * to hold for that many certificates), exported and signed by a status key.
 * usage: bundle_gen DIR CERTS UNITS   (writes DIR/root.pub and DIR/big.bundle)
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer.h"

static const char pass[] = "bundle generator passphrase";

static struct tc_secret *key(const char *dir, const char *name, enum tc_key_kind kind)
{
    char path[512];
    struct tc_pubkey pub;
    struct tc_secret *s = NULL;
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    tc_keys_secret_create(path, kind, name, TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    tc_keys_secret_open(&s, path, pass, strlen(pass));
    if (s && kind == TC_KEY_ROOT) {
        snprintf(path, sizeof path, "%s/%s.pub", dir, name);
        tc_keys_pub_write(path, &pub);
    }
    return s;
}

/* tc_bundle_export with the bundle bytes only */
static enum tc_err export_bytes(struct tc_store *s, const uint8_t *list, size_t list_len,
                                const struct tc_trust_list *tlist, const struct tc_secret *key,
                                uint64_t at, uint8_t **b, size_t *len, uint64_t *version)
{
    struct tc_export x;
    enum tc_err e = tc_bundle_export(s, list, list_len, tlist, key, NULL, at, &x);
    *b = x.bundle, *len = x.len, *version = x.version;
    free(x.checkpoint);
    return e;
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
    struct tc_secret *root = key(dir, "root", TC_KEY_ROOT), *st = key(dir, "status", TC_KEY_ISSUER),
                     *hk = key(dir, "hash", TC_KEY_HASH);
    struct tc_store_keys *keys = NULL;
    if (!root || !st || !hk || tc_store_keys_derive(&keys, hk) != TC_OK)
        return 1;
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    memcpy(en.pk, tc_keys_secret_pub(st)->pk, 32);
    memcpy(en.kid, tc_keys_secret_pub(st)->kid, 8);
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
    tc_trust_list_parse(list, list_len, tc_keys_secret_pub(root)->pk, &tl);

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
    char sql[2048];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous=OFF; BEGIN;"
             "INSERT INTO holders(id_hash, id_mask, name) VALUES(randomblob(32), '0000', 'x');"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
             "INSERT INTO units(uscc, name, division, tier, basic_flag, valid_from, valid_to) "
             "SELECT printf('126201024%%09d', i), '示例单位第' || i || '号', 620102, 3, -1, 16000, "
             "2147483647 FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
             "INSERT INTO certificates(id, holder, track, level, series, eval_year, obtained, status, "
             "successor, reason, status_day, payload, kid, issued_at) SELECT 260000000 + i, 1, 1, 3, "
             "2, 2026, 20000, CASE WHEN i %% 2 THEN 'revoked' ELSE 'superseded' END, CASE WHEN i %% 2 "
             "= 0 THEN 270000000 + i END, CASE WHEN i %% 2 THEN 'fraud' END, 20500, x'00', "
             "zeroblob(8), 1 FROM n;"
             "COMMIT;",
             units, certs);
    char *err = NULL;
    if (sqlite3_exec(tc_store_db(s), sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bundle_gen: %s\n", err);
        return 1;
    }
    uint8_t *b = NULL;
    size_t blen = 0;
    uint64_t version = 0;
    enum tc_err e = export_bytes(s, list, list_len, tl, st, now, &b, &blen, &version);
    if (e != TC_OK) {
        fprintf(stderr, "bundle_gen: export: %s\n", tc_strerror(e));
        return 1;
    }
    snprintf(path, sizeof path, "%s/big.bundle", dir);
    f = fopen(path, "wb");
    if (!f || fwrite(b, 1, blen, f) != blen)
        return 1;
    fclose(f);
    printf("%zu\n", blen);
    return 0;
}
