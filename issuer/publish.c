/*
 * publish.c - the issuer's side of the public register (A3: 公示, 全程记录): the tree of its
 * leaves, signed checkpoints, consistency proofs for the bundle, the static publication in the
 * C2SP tlog-tiles layout, and the 公示 of a batch.
 *
 * Every leaf is appended in the transaction of the event it records (store.c, issue.c); this
 * file only reads them. A checkpoint is signed with the publication key (endorsed for status and
 * register) over the C2SP checkpoint text; its key name is the register's origin.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

void tc_export_free(struct tc_export *x)
{
    free(x->bundle);
    free(x->checkpoint);
    free(x->delta);
    tc_index_chunks_free(&x->chunks);
    if (x->edge)
        tc_reg_edge_free(x->edge);
    free(x->edge);
    memset(x, 0, sizeof *x);
}

enum tc_err tc_register_tree(struct tc_store *s, uint64_t n, struct tc_reg_tree *t)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT idx, leaf, hash FROM register WHERE idx < ? "
                                   "ORDER BY idx",
                                   "i", n > INT64_MAX ? INT64_MAX : (int64_t)n);
    if (e != TC_OK)
        return e;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        uint8_t h[TC_REG_HASH];
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        if (len <= TC_REG_LEAF_MAX)
            tc_reg_leaf_hash(h, len ? sqlite3_column_blob(q, 1) : (const uint8_t *)"", len);
        if ((uint64_t)sqlite3_column_int64(q, 0) != t->n || len > TC_REG_LEAF_MAX ||
            sqlite3_column_bytes(q, 2) != TC_REG_HASH ||
            memcmp(h, sqlite3_column_blob(q, 2), TC_REG_HASH) != 0) {
            tc_store_set_msg(s, "register entry %llu is missing or damaged", (unsigned long long)t->n);
            e = TC_ERR_INCONSISTENT;
            break;
        }
        if ((e = tc_reg_tree_append(t, h)) != TC_OK)
            break;
    }
    if (e == TC_OK && rc != SQLITE_DONE)
        e = TC_ERR_STORE;
    sqlite3_finalize(q);
    return e;
}

static bool origin_ok(const char *o)
{
    size_t n = strlen(o);
    if (n == 0 || n > TC_REG_ORIGIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)o[i] <= 0x20 || o[i] == '+' || (unsigned char)o[i] >= 0x7f)
            return false;
    return true;
}

enum tc_err tc_register_origin(struct tc_store *s, const char *given, char out[129])
{
    void *val = NULL;
    size_t len = 0;
    enum tc_err e = tc_store_meta_get(s, "register_origin", &val, &len);
    if (e == TC_OK) {
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "%s", (const char *)val);
        free(val);
        if (given && strcmp(given, out) != 0) {
            tc_store_set_msg(s, "the register is called %s: its origin never changes", out);
            return TC_ERR_INCONSISTENT;
        }
        return TC_OK;
    }
    if (e != TC_ERR_NOT_FOUND)
        return e;
    if (given)
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "%s", given);
    else
        snprintf(out, TC_REG_ORIGIN_MAX + 1, "titlecert.invalid/register/%s",
                 tc_store_profile(s)->code);
    if (!origin_ok(out)) {
        tc_store_set_msg(s, "an origin is printable ASCII without spaces or '+', at most %d bytes",
                         TC_REG_ORIGIN_MAX);
        return TC_ERR_ARG;
    }
    return tc_store_meta_set(s, "register_origin", out, strlen(out));
}

enum tc_err tc_register_log_trust(struct tc_store *s, const uint8_t *list, size_t len,
                                  uint64_t version, int32_t day)
{
    void *val = NULL;
    size_t vlen = 0;
    uint64_t logged = 0;
    enum tc_err e = tc_store_meta_get(s, "register_trust_version", &val, &vlen);
    if (e == TC_OK) {
        logged = strtoull(val, NULL, 10);
        free(val);
    } else if (e != TC_ERR_NOT_FOUND) {
        return e;
    }
    if (version <= logged)
        return TC_OK;
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_TRUST, l.id = version, l.day = day;
    crypto_hash_sha256(l.hash, list, len);
    char vs[24];
    snprintf(vs, sizeof vs, "%llu", (unsigned long long)version);
    if ((e = tc_store_register(s, &l, NULL)) != TC_OK)
        return e;
    return tc_store_meta_set(s, "register_trust_version", vs, strlen(vs));
}

enum tc_err tc_register_sign(struct tc_store *s, uint64_t n, const uint8_t root[32],
                             const char *origin, struct tc_signer *key, uint64_t now, char *out,
                             size_t size, size_t *len)
{
    struct tc_checkpoint c;
    enum tc_err e;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    c.size = n;
    memcpy(c.root, root, TC_REG_HASH);
    char body[TC_REG_NOTE_MAX];
    size_t blen = tc_checkpoint_format(&c, body, sizeof body);
    uint8_t sig[TC_SIG_MAX_BYTES];
    size_t sig_len = 0;
    if (!blen)
        return TC_ERR_BUFFER;
    /* a C2SP signed note of type 0x01 is Ed25519 */
    if (tc_signer_alg(key) != TC_ALG_ED25519)
        return TC_ERR_ALG;
    if ((e = tc_signer_sign(key, (const uint8_t *)body, blen, sig, sizeof sig, &sig_len)) != TC_OK)
        return e;
    *len = tc_note_format(body, blen, origin, tc_signer_pub(key)->pk, sig, out, size);
    if (!*len)
        return TC_ERR_BUFFER;
    return tc_store_run(s,
                        "INSERT OR IGNORE INTO checkpoints(size, root, at, note) "
                        "VALUES(?, ?, ?, ?)",
                        "ihis", (int64_t)c.size, c.root, (int64_t)now, out, *len);
}

enum tc_err tc_register_proofs(struct tc_store *s, const struct tc_reg_source *src, uint64_t n,
                               const uint8_t root[32], struct tc_bundle_proof **out, size_t *len)
{
    sqlite3_stmt *q;
    uint64_t sizes[TC_BUNDLE_PROOFS];
    uint8_t roots[TC_BUNDLE_PROOFS][TC_REG_HASH];
    size_t k = 0;
    *out = NULL, *len = 0;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT size, root FROM checkpoints WHERE size > 0 AND "
                                   "size < ? ORDER BY size DESC LIMIT ?",
                                   "ii", (int64_t)n, (int64_t)TC_BUNDLE_PROOFS);
    if (e != TC_OK)
        return e;
    while (k < TC_BUNDLE_PROOFS && sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_bytes(q, 1) != TC_REG_HASH)
            continue; /* its proof could not be checked: left out */
        sizes[k] = (uint64_t)sqlite3_column_int64(q, 0);
        memcpy(roots[k++], sqlite3_column_blob(q, 1), TC_REG_HASH);
    }
    sqlite3_finalize(q);
    struct tc_bundle_proof *p = calloc(k ? k : 1, sizeof *p);
    if (!p)
        return TC_ERR_NOMEM;
    for (size_t i = 0; i < k && e == TC_OK; i++) { /* ascending sizes */
        struct tc_bundle_proof *pr = &p[i];
        pr->size = sizes[k - 1 - i];
        e = tc_reg_prove_consistency(src, pr->size, n, pr->hashes, &pr->len);
        /* every hash of it came from the tree checked or from the store: it must hold */
        if (e == TC_OK && !tc_reg_verify_consistency(pr->size, n, roots[k - 1 - i], root,
                                                     (const uint8_t(*)[TC_REG_HASH])pr->hashes,
                                                     pr->len)) {
            tc_store_set_msg(s, "登记簿与先前检查点的一致性证明不成立 / the register's consistency from the "
                                "checkpoint of %llu entries "
                                "does not hold: a kept subtree hash was altered",
                             (unsigned long long)pr->size);
            e = TC_ERR_INCONSISTENT;
        }
    }
    if (e != TC_OK) {
        free(p);
        return e == TC_ERR_NOT_FOUND ? TC_ERR_INCONSISTENT : e;
    }
    *out = p, *len = k;
    return TC_OK;
}

/* ---- the static publication ----------------------------------------------------------------- */

struct leaves {
    sqlite3_stmt *q;
    uint64_t next;
    uint8_t buf[TC_REG_LEAF_MAX];
    const struct tc_reg_edge *edge; /* the leaves must give its hashes, */
    const struct tc_reg_tree *tree; /* or this tree's */
};

/* leaf i, read in order (the tile writer asks for ascending indexes, skipping full bundles);
 * its hash must be the one the export checked (the edge) or the tree rebuilt has */
static enum tc_err next_leaf(void *ctx, uint64_t i, const uint8_t **p, size_t *len)
{
    struct leaves *l = ctx;
    if (i != l->next) {
        sqlite3_reset(l->q);
        sqlite3_bind_int64(l->q, 1, (int64_t)i);
        l->next = i;
    }
    if (sqlite3_step(l->q) != SQLITE_ROW || (uint64_t)sqlite3_column_int64(l->q, 0) != i)
        return TC_ERR_INCONSISTENT;
    int n = sqlite3_column_bytes(l->q, 1);
    if (n < 0 || n > TC_REG_LEAF_MAX)
        return TC_ERR_SIZE_LIMIT;
    memcpy(l->buf, sqlite3_column_blob(l->q, 1), (size_t)n);
    const uint8_t *want = l->edge                 ? tc_reg_edge_row(l->edge, 0, i, 1)
                          : l->tree && i < l->tree->n ? l->tree->level[0] + (size_t)i * TC_REG_HASH
                                                      : NULL;
    uint8_t h[TC_REG_HASH];
    tc_reg_leaf_hash(h, l->buf, (size_t)n);
    if (!want || memcmp(h, want, TC_REG_HASH) != 0)
        return TC_ERR_INCONSISTENT;
    *p = l->buf, *len = (size_t)n;
    l->next++;
    return TC_OK;
}

/* The size of the checkpoint dir holds when it is one this store signed (its root is the one
 * recorded for its size), else 0: what the tiles in dir are the tiles of. */
static uint64_t dir_size(struct tc_store *s, const char *dir)
{
    char path[PATH_MAX];
    uint8_t *note = NULL;
    size_t len = 0;
    struct tc_note parsed;
    struct tc_checkpoint c;
    sqlite3_stmt *q = NULL;
    uint64_t size = 0;
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if (tc_file_read(path, TC_REG_NOTE_MAX, &note, &len) == TC_OK &&
        tc_note_parse((const char *)note, len, &parsed) == TC_OK &&
        tc_checkpoint_parse(parsed.text, parsed.text_len, &c) == TC_OK &&
        tc_store_query(s, &q, "SELECT root FROM checkpoints WHERE size = ?", "i",
                       (int64_t)c.size) == TC_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == TC_REG_HASH &&
            memcmp(sqlite3_column_blob(q, 0), c.root, TC_REG_HASH) == 0)
            size = c.size;
    }
    sqlite3_finalize(q);
    free(note);
    return size;
}

/* Every tile, from the tree rebuilt from the store and checked against the checkpoint's root;
 * full ones already there kept. */
static enum tc_err tiles_all(struct tc_store *s, const char *dir, uint64_t n,
                             const uint8_t root[TC_REG_HASH], struct leaves *l, uint64_t *files,
                             int *err)
{
    struct tc_reg_tree t;
    uint8_t got[TC_REG_HASH];
    tc_reg_tree_init(&t);
    enum tc_err e = tc_register_tree(s, n, &t);
    struct tc_reg_source src = tc_reg_tree_source(&t);
    if (e == TC_OK && t.n != n)
        e = TC_ERR_INCONSISTENT;
    if (e == TC_OK && (e = tc_reg_root(&src, n, got)) == TC_OK && memcmp(got, root, TC_REG_HASH)) {
        tc_store_set_msg(s, "登记簿条目与检查点的根哈希不符 / the register's %llu entries do not give "
                            "the checkpoint's root",
                         (unsigned long long)n);
        e = TC_ERR_INCONSISTENT;
    }
    l->tree = &t;
    if (e == TC_OK)
        e = tc_tiles_write(dir, &t, next_leaf, l, files, err);
    l->tree = NULL;
    tc_reg_tree_free(&t);
    return e;
}

enum tc_err tc_register_tiles(struct tc_store *s, const char *dir, const char *checkpoint,
                              const struct tc_export *x, uint64_t *files, int *err)
{
    *files = 0, *err = 0;
    /* the size the checkpoint names: the leaves after it (another export since) wait for theirs */
    struct tc_checkpoint c;
    struct tc_note note;
    enum tc_err e = tc_note_parse(checkpoint, strlen(checkpoint), &note);
    if (e == TC_OK)
        e = tc_checkpoint_parse(note.text, note.text_len, &c);
    if (e != TC_OK)
        return e;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *err = errno;
        return TC_ERR_IO;
    }
    const struct tc_reg_edge *edge = x ? x->edge : NULL;
    struct leaves l;
    memset(&l, 0, sizeof l);
    if ((e = tc_store_query(s, &l.q, "SELECT idx, leaf FROM register WHERE idx >= ? ORDER BY idx",
                            "i", (int64_t)0)) != TC_OK)
        return e;
    /* the usual case: dir holds the previous checkpoint, whose tiles the edge begins at */
    if (edge && edge->n == c.size && dir_size(s, dir) == edge->from) {
        l.edge = edge;
        e = tc_tiles_append(dir, edge, next_leaf, &l, files, err);
    } else {
        e = tiles_all(s, dir, c.size, c.root, &l, files, err);
    }
    sqlite3_finalize(l.q);
    if (e != TC_OK)
        return e;
    /* the tiles reach the disk before the checkpoint that names them */
    if (tc_file_sync_fs(dir) != TC_OK) {
        *err = errno;
        return TC_ERR_IO;
    }
    return TC_OK;
}

enum tc_err tc_register_checkpoint_write(const char *dir, const char *checkpoint, uint64_t *files,
                                         int *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    enum tc_err e = tc_file_write(path, checkpoint, strlen(checkpoint), 0644, TC_FILE_REPLACE);
    if (e == TC_OK)
        (*files)++;
    else
        *err = errno;
    return e;
}

enum tc_err tc_register_publish(struct tc_store *s, const char *dir, const char *checkpoint,
                                const struct tc_export *x, uint64_t *files, int *err)
{
    enum tc_err e = tc_register_tiles(s, dir, checkpoint, x, files, err);
    return e == TC_OK ? tc_register_checkpoint_write(dir, checkpoint, files, err) : e;
}

/* ---- the publication sequence --------------------------------------------------------------- */

/* A file of the publication, written whole; on failure r says which. */
static enum tc_err put(struct tc_publish_result *r, const char *dir, const char *name,
                       const void *p, size_t len)
{
    snprintf(r->failed, sizeof r->failed, "%s/%s", dir, name);
    enum tc_err e = tc_file_write(r->failed, p, len, 0644, TC_FILE_REPLACE);
    r->err = e == TC_OK ? 0 : errno;
    if (e == TC_OK)
        r->failed[0] = '\0';
    return e;
}

/* The head replicas poll: version, hash and size of the bundle, the delta when there is one,
 * and the checkpoint. Written last, so a replica that sees it finds everything it names. */
static enum tc_err write_head(const char *dir, struct tc_publish_result *r)
{
    const struct tc_export *x = &r->x;
    struct tc_head h = {.version = x->version, .bytes = x->len, .checkpoint = x->checkpoint,
                        .checkpoint_len = strlen(x->checkpoint)};
    char head[TC_HEAD_MAX_BYTES + 1];
    size_t len = 0;
    memcpy(h.sha256, x->sha256, 32); /* the export hashed it */
    if (x->delta) {
        h.has_delta = true, h.delta_from = x->delta_from, h.delta_bytes = x->delta_len;
        crypto_hash_sha256(h.delta_sha256, x->delta, x->delta_len);
    }
    enum tc_err e = tc_head_format(&h, head, sizeof head, &len);
    if (e != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "%s/head", dir);
        return e;
    }
    return put(r, dir, "head", head, len);
}

/* The 公示 of a batch (when one is named), its files and its register entry. */
static enum tc_err publish_gongshi(struct tc_store *s, const struct tc_publish_opts *o,
                                   struct tc_publish_result *r)
{
    char why[320] = "";
    enum tc_err e = tc_gongshi_publish(s, o->batch, o->dir, o->days, o->now, &r->err, why,
                                       sizeof why);
    if (e != TC_OK)
        snprintf(r->failed, sizeof r->failed, "the 公示 of batch %lld%s%s", (long long)o->batch,
                 why[0] ? ": " : "", why);
    return e;
}

enum tc_err tc_export_write_chunks(const struct tc_export *out, const char *dir, char *failed,
                                   size_t size)
{
    const struct tc_index_chunks *ch = &out->chunks;
    for (size_t k = ch->first_new; k < ch->n; k++) {
        char name[TC_CHUNK_NAME_MAX];
        tc_chunk_name(ch->sha[k], name);
        snprintf(failed, size, "%s/%s", dir, name);
        size_t i = k - ch->first_new;
        enum tc_err e = tc_file_write(failed, ch->bytes[i], ch->len[i], 0644, TC_FILE_REPLACE);
        if (e != TC_OK)
            return e;
    }
    failed[0] = '\0';
    return TC_OK;
}

/* The status bundle (after the index's new chunk files) and its delta from the previous one. */
static enum tc_err publish_bundle(const struct tc_publish_opts *o, struct tc_publish_result *r)
{
    char name[64];
    snprintf(name, sizeof name, "delta-%llu.cbor", (unsigned long long)r->x.delta_from);
    enum tc_err e = tc_export_write_chunks(&r->x, o->dir, r->failed, sizeof r->failed);
    if (e != TC_OK) {
        r->err = errno;
        return e;
    }
    e = put(r, o->dir, "bundle.cbor", r->x.bundle, r->x.len);
    if (e == TC_OK && r->x.delta)
        e = put(r, o->dir, name, r->x.delta, r->x.delta_len);
    return e;
}

static enum tc_err publish(struct tc_store *s, const struct tc_publish_opts *o, bool full,
                           struct tc_publish_result *r)
{
    memset(r, 0, sizeof *r);
    enum tc_err e = TC_OK;
    if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
        r->err = errno;
        snprintf(r->failed, sizeof r->failed, "%s", o->dir);
        return TC_ERR_IO;
    }
    if (o->batch && (e = publish_gongshi(s, o, r)) != TC_OK)
        return e;
    /* the store checked against its register, the register's checkpoint signed and co-signed
     * by the witnesses, the bundle derived from the register and signed (export.c), before
     * anything is written */
    struct tc_cosigning w = {o->witnesses, o->witness_replies};
    struct tc_export_opts xo = {o->trust, o->trust_len, o->tl, o->key, o->origin, o->now, full,
                                o->witnesses && o->witnesses->n ? &w : NULL, o->dir, o->anchor, o->vouch};
    if ((e = tc_bundle_export_with(s, &xo, &r->x)) != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "the status bundle");
        return e;
    }
    if ((e = publish_bundle(o, r)) != TC_OK)
        return e;
    /* the register's tiles, on the disk before the checkpoint that names them */
    if ((e = tc_register_tiles(s, o->dir, r->x.checkpoint, &r->x, &r->files, &r->err)) != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "the register's tiles in %s", o->dir);
        return e;
    }
    /* the checkpoint */
    if ((e = tc_register_checkpoint_write(o->dir, r->x.checkpoint, &r->files, &r->err)) != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "%s/checkpoint", o->dir);
        return e;
    }
    /* last, the head that names them all */
    return write_head(o->dir, r);
}

enum tc_err tc_publish(struct tc_store *s, const struct tc_publish_opts *o,
                       struct tc_publish_result *r)
{
    return publish(s, o, false, r);
}

enum tc_err tc_publish_full(struct tc_store *s, const struct tc_publish_opts *o,
                            struct tc_publish_result *r)
{
    return publish(s, o, true, r);
}
