/*
 * state.c - what a verifier has accepted, kept across restarts: the highest status-bundle and
 * trust-list versions, per root key and province. A verifier that has seen bundle v3 refuses v1
 * after a restart; one that has seen trust list v2 refuses a bundle embedding v1 (a status key
 * that v2 revoked could otherwise sign it). State that lived only in memory could be rolled back
 * by a restart.
 *
 * It also keeps the accepted bundle's issued_at: time only moves forward, so a bundle dated
 * before the one accepted is refused even when its version is higher (a publisher's clock set
 * back, or a key that dates a bundle to before its own revocation). Files written before that
 * line existed have none and read as 0; a file written with it is still read by a program that
 * does not know it (the line comes last and is the only optional one).
 *
 * With witnesses, it keeps the latest co-signature time accepted from each of them ("cosigned
 * <name>+<key id> <time>" lines after bundle_issued_at): a checkpoint's co-signature older than
 * that does not count. A verifier without witnesses writes none, so its file is the one it always
 * wrote; a file with them is refused by a release before witnesses (it would forget them).
 *
 * The file is a few lines of text, written to a temporary name, fsync'd, renamed over the old
 * one and the directory fsync'd: a crash leaves the old state or the new, never a torn one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service.h"

#define STATE_MAGIC "titlecert-verifier state 2"
#define STATE_MAGIC_1 "titlecert-verifier state 1" /* before the register: read, then rewritten */

const char *tc_state_default_dir(char *buf, size_t size)
{
    const char *sd = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory=, maybe a list */
    if (sd && *sd) {
        size_t n = strcspn(sd, ":");
        snprintf(buf, size, "%.*s", (int)n, sd);
        return buf;
    }
    if (geteuid() == 0) {
        snprintf(buf, size, "/var/lib/titlecert-verifier");
        return buf;
    }
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, size, "%s/titlecert-verifier", xdg);
    else if (home && *home)
        snprintf(buf, size, "%s/.local/state/titlecert-verifier", home);
    else
        return NULL;
    return buf;
}

static void state_path(char *out, size_t size, const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                       const char *province)
{
    char kid[TC_KID_BYTES * 2 + 1];
    sodium_bin2hex(kid, sizeof kid, root_kid, TC_KID_BYTES);
    snprintf(out, size, "%s/%s-%s.state", dir, province, kid);
}

int tc_state_make_dir(const char *dir)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

/* The optional "cosigned <name>+<key id> <time>" lines that end a state file: false for anything
 * else after bundle_issued_at. */
static bool read_cosigs(FILE *f, struct tc_state *st)
{
    char name[TC_REG_ORIGIN_MAX + 16];
    unsigned long long t;
    int c;
    while ((c = fgetc(f)) != EOF) {
        ungetc(c, f);
        struct tc_state_cosig *k = &st->cosig[st->n_cosig];
        char *plus;
        if (st->n_cosig == TC_STATE_COSIGS ||
            fscanf(f, "cosigned %140s %llu", name, &t) != 2 || fgetc(f) != '\n' ||
            !(plus = strrchr(name, '+')) || (size_t)(plus - name) > TC_REG_ORIGIN_MAX ||
            strlen(plus + 1) != 8 || sscanf(plus + 1, "%8" SCNx32, &k->key_id) != 1)
            return false;
        memcpy(k->name, name, (size_t)(plus - name));
        k->name[plus - name] = '\0';
        k->time = t;
        st->n_cosig++;
    }
    return true;
}

/* The lines after the magic: the versions, then (state 2) the checkpoint and the optional
 * bundle_issued_at; nothing may follow. false when the file is not a state file. */
static bool read_lines(FILE *f, bool v1, struct tc_state *st)
{
    char origin[TC_REG_ORIGIN_MAX + 2], root[TC_REG_HASH * 2 + 2];
    unsigned long long bv = 0, tv = 0, rs = 0, ia = 0;
    if (fscanf(f, "bundle_version %llu\ntrust_list_version %llu\n", &bv, &tv) != 2)
        return false;
    st->bundle_version = bv, st->trust_list_version = tv;
    if (v1)
        return true;
    if (fscanf(f, "register_origin %129s\nregister_size %llu\nregister_root %65s\n", origin, &rs,
               root) != 3 ||
        strlen(origin) > TC_REG_ORIGIN_MAX)
        return false;
    size_t got = 0;
    if (strcmp(origin, "-") != 0) {
        if (sodium_hex2bin(st->register_root, TC_REG_HASH, root, strlen(root), NULL, &got, NULL) !=
                0 ||
            got != TC_REG_HASH)
            return false;
        snprintf(st->origin, sizeof st->origin, "%s", origin);
    }
    st->register_size = rs;
    int c = fgetc(f);
    if (c == EOF)
        return true; /* written before bundle_issued_at was kept: 0, nothing known */
    ungetc(c, f);
    if (fscanf(f, "bundle_issued_at %llu\n", &ia) != 1)
        return false;
    st->bundle_issued_at = ia;
    return read_cosigs(f, st);
}

enum tc_err tc_state_load(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, struct tc_state *st, int *err)
{
    char path[PATH_MAX];
    memset(st, 0, sizeof *st);
    *err = 0;
    state_path(path, sizeof path, dir, root_kid, province);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return TC_OK; /* nothing accepted yet */
        *err = errno;
        return TC_ERR_IO;
    }
    char magic[64];
    bool v1 = false, ok = fgets(magic, sizeof magic, f) != NULL;
    if (ok && strcmp(magic, STATE_MAGIC_1 "\n") == 0)
        v1 = true;
    else if (!ok || strcmp(magic, STATE_MAGIC "\n") != 0)
        ok = false;
    ok = ok && read_lines(f, v1, st);
    fclose(f);
    if (!ok) {
        memset(st, 0, sizeof *st);
        return TC_ERR_INCONSISTENT; /* a state file that is not one: refuse rather than forget */
    }
    return TC_OK;
}

enum tc_err tc_state_save(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, const struct tc_state *st, int *err)
{
    char path[PATH_MAX];
    *err = tc_state_make_dir(dir);
    if (*err)
        return TC_ERR_IO;
    state_path(path, sizeof path, dir, root_kid, province);
    char text[512 + TC_STATE_COSIGS * (TC_REG_ORIGIN_MAX + 40)], root[TC_REG_HASH * 2 + 1];
    sodium_bin2hex(root, sizeof root, st->register_root, TC_REG_HASH);
    int n = snprintf(text, sizeof text, STATE_MAGIC "\nbundle_version %" PRIu64
                     "\ntrust_list_version %" PRIu64 "\nregister_origin %s\nregister_size %" PRIu64
                     "\nregister_root %s\nbundle_issued_at %" PRIu64 "\n", st->bundle_version,
                     st->trust_list_version, st->origin[0] ? st->origin : "-", st->register_size,
                     root, st->bundle_issued_at);
    for (size_t i = 0; i < st->n_cosig && n > 0 && (size_t)n < sizeof text; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "cosigned %s+%08" PRIx32 " %" PRIu64 "\n",
                      st->cosig[i].name, st->cosig[i].key_id, st->cosig[i].time);
    enum tc_err e = tc_file_write(path, text, (size_t)n, 0600, TC_FILE_REPLACE);
    *err = e == TC_OK ? 0 : errno;
    return e;
}

const char *tc_state_admits(const struct tc_state *st, const struct tc_bundle *b,
                            uint64_t min_trust_list)
{
    if (b->version < st->bundle_version)
        return "the bundle is older than one this verifier has accepted (a rollback)";
    if (b->tl->version < st->trust_list_version)
        return "the bundle embeds a trust list older than one this verifier has accepted";
    if (b->tl->version < min_trust_list)
        return "the bundle embeds a trust list older than --min-trust-list";
    if (b->issued_at < st->bundle_issued_at)
        return "the bundle was issued before the one this verifier has accepted (time only moves "
               "forward)";
    return NULL;
}

const char *tc_state_admits_register(const struct tc_state *st, const struct tc_bundle *b,
                                     const struct tc_reg_source *tiles, char *why, size_t size)
{
    const struct tc_checkpoint *c = &b->checkpoint;
    if (!st->origin[0])
        return NULL; /* the first checkpoint this verifier sees */
    if (strcmp(st->origin, c->origin) != 0) {
        snprintf(why, size, "the bundle's register is %s, not %s, which this verifier follows",
                 c->origin, st->origin);
        return why;
    }
    if (c->size < st->register_size) {
        snprintf(why, size, "the bundle's register has %" PRIu64 " entries, fewer than the %" PRIu64
                 " this verifier has accepted (a rollback)", c->size, st->register_size);
        return why;
    }
    if (c->size == st->register_size) {
        if (sodium_memcmp(c->root, st->register_root, TC_REG_HASH) != 0) {
            snprintf(why, size, "the bundle's register of %" PRIu64 " entries has another root than "
                     "the one accepted at that size (a split view)", c->size);
            return why;
        }
        return NULL;
    }
    for (size_t i = 0; i < b->n_proofs; i++)
        if (b->proofs[i].size == st->register_size) {
            if (tc_reg_verify_consistency(st->register_size, c->size, st->register_root, c->root,
                                          (const uint8_t(*)[TC_REG_HASH])b->proofs[i].hashes,
                                          b->proofs[i].len))
                return NULL;
            snprintf(why, size, "the bundle's consistency proof from %" PRIu64 " to %" PRIu64
                     " entries does not verify: the register was rewritten (a split view)",
                     st->register_size, c->size);
            return why;
        }
    if (tiles) {
        uint8_t proof[TC_REG_PROOF_MAX][TC_REG_HASH], root[TC_REG_HASH];
        size_t len;
        if (tc_reg_root(tiles, c->size, root) == TC_OK &&
            sodium_memcmp(root, c->root, TC_REG_HASH) == 0 &&
            tc_reg_prove_consistency(tiles, st->register_size, c->size, proof, &len) == TC_OK &&
            tc_reg_verify_consistency(st->register_size, c->size, st->register_root, c->root,
                                      (const uint8_t(*)[TC_REG_HASH])proof, len))
            return NULL;
        snprintf(why, size, "no consistency proof from %" PRIu64 " to %" PRIu64 " entries: the "
                 "bundle has none and the published tiles do not give one that verifies",
                 st->register_size, c->size);
        return why;
    }
    snprintf(why, size, "the bundle has no consistency proof from the %" PRIu64 " register entries "
             "this verifier accepted to its %" PRIu64 " (give --register DIR, the published tiles, "
             "to compute one)", st->register_size, c->size);
    return why;
}

void tc_state_advance(struct tc_state *st, const struct tc_bundle *b)
{
    if (b->version > st->bundle_version)
        st->bundle_version = b->version;
    if (b->tl->version > st->trust_list_version)
        st->trust_list_version = b->tl->version;
    if (b->issued_at > st->bundle_issued_at)
        st->bundle_issued_at = b->issued_at;
    snprintf(st->origin, sizeof st->origin, "%s", b->checkpoint.origin);
    st->register_size = b->checkpoint.size;
    memcpy(st->register_root, b->checkpoint.root, TC_REG_HASH);
}

/* The entry of st for witness w, or NULL. */
static const struct tc_state_cosig *cosig_of(const struct tc_state *st, const struct tc_cosigner *w)
{
    for (size_t i = 0; i < st->n_cosig; i++)
        if (st->cosig[i].key_id == w->key_id && strcmp(st->cosig[i].name, w->name) == 0)
            return &st->cosig[i];
    return NULL;
}

void tc_state_cosig_floor(const struct tc_state *st, const struct tc_cosigner_set *set,
                          uint64_t floor[TC_COSIGNERS_MAX])
{
    for (size_t i = 0; i < TC_COSIGNERS_MAX; i++) {
        const struct tc_state_cosig *k = i < set->n ? cosig_of(st, &set->w[i]) : NULL;
        floor[i] = k ? k->time : 0;
    }
}

void tc_state_cosig_advance(struct tc_state *st, const struct tc_cosigner_set *set,
                            const struct tc_cosig_tally *t)
{
    for (size_t i = 0; i < set->n; i++) {
        if (t->result[i] != TC_OK)
            continue;
        struct tc_state_cosig *k = (struct tc_state_cosig *)cosig_of(st, &set->w[i]);
        if (!k && st->n_cosig < TC_STATE_COSIGS) {
            k = &st->cosig[st->n_cosig++];
            memset(k, 0, sizeof *k);
            snprintf(k->name, sizeof k->name, "%s", set->w[i].name);
            k->key_id = set->w[i].key_id;
        }
        if (k && t->time[i] > k->time)
            k->time = t->time[i];
    }
}
