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
    if (x->tree)
        tc_reg_tree_free(x->tree);
    free(x->tree);
    memset(x, 0, sizeof *x);
}

enum tc_err tc_register_tree(struct tc_store *s, uint64_t n, struct tc_reg_tree *t)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT idx, hash FROM register WHERE idx < ? ORDER BY idx", &q);
    if (e != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, n > INT64_MAX ? INT64_MAX : (int64_t)n);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(q, 0) != t->n || sqlite3_column_bytes(q, 1) != TC_REG_HASH) {
            tc_store_set_msg(s, "register entry %llu is missing or damaged", (unsigned long long)t->n);
            e = TC_ERR_INCONSISTENT;
            break;
        }
        if ((e = tc_reg_tree_append(t, sqlite3_column_blob(q, 1))) != TC_OK)
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

enum tc_err tc_register_sign(struct tc_store *s, const struct tc_reg_tree *t, const char *origin,
                             struct tc_signer *key, uint64_t now, char *out, size_t size,
                             size_t *len)
{
    struct tc_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    c.size = t->n;
    struct tc_reg_source src = tc_reg_tree_source((struct tc_reg_tree *)t);
    enum tc_err e = tc_reg_root(&src, t->n, c.root);
    if (e != TC_OK)
        return e;
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
    sqlite3_stmt *q;
    if ((e = tc_store_prepare(s, "INSERT OR IGNORE INTO checkpoints(size, root, at, note) "
                                 "VALUES(?, ?, ?, ?)", &q)) != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, (int64_t)c.size);
    sqlite3_bind_blob(q, 2, c.root, TC_REG_HASH, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (int64_t)now);
    sqlite3_bind_text(q, 4, out, (int)*len, SQLITE_STATIC);
    e = tc_store_step_done(s, q);
    sqlite3_finalize(q);
    return e;
}

enum tc_err tc_register_proofs(struct tc_store *s, struct tc_reg_tree *t,
                               struct tc_bundle_proof **out, size_t *n_out)
{
    sqlite3_stmt *q;
    uint64_t sizes[TC_BUNDLE_PROOFS];
    size_t n = 0;
    *out = NULL, *n_out = 0;
    enum tc_err e = tc_store_prepare(s, "SELECT size FROM checkpoints WHERE size > 0 AND size < ? "
                                        "ORDER BY size DESC LIMIT ?", &q);
    if (e != TC_OK)
        return e;
    sqlite3_bind_int64(q, 1, (int64_t)t->n);
    sqlite3_bind_int(q, 2, TC_BUNDLE_PROOFS);
    while (n < TC_BUNDLE_PROOFS && sqlite3_step(q) == SQLITE_ROW)
        sizes[n++] = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    struct tc_bundle_proof *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        return TC_ERR_NOMEM;
    struct tc_reg_source src = tc_reg_tree_source(t);
    for (size_t i = 0; i < n && e == TC_OK; i++) { /* ascending sizes */
        p[i].size = sizes[n - 1 - i];
        e = tc_reg_prove_consistency(&src, p[i].size, t->n, p[i].hashes, &p[i].len);
    }
    if (e != TC_OK) {
        free(p);
        return e;
    }
    *out = p, *n_out = n;
    return TC_OK;
}

/* ---- the static publication ----------------------------------------------------------------- */

struct leaves {
    sqlite3_stmt *q;
    uint64_t next;
    uint8_t buf[TC_REG_LEAF_MAX];
};

/* leaf i, read in order (the tile writer asks for ascending indexes, skipping full bundles) */
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
    *p = l->buf, *len = (size_t)n;
    l->next++;
    return TC_OK;
}

enum tc_err tc_register_publish(struct tc_store *s, const char *dir, const char *checkpoint,
                                struct tc_reg_tree *tree, uint64_t *files, int *err)
{
    *files = 0, *err = 0;
    /* the size the checkpoint names: the leaves after it (another export since) wait for theirs */
    const char *nl1 = strchr(checkpoint, '\n');
    uint64_t n = nl1 ? strtoull(nl1 + 1, NULL, 10) : 0;
    struct tc_reg_tree own, *t = &own;
    tc_reg_tree_init(&own);
    enum tc_err e = TC_OK;
    if (tree && tree->n == n)
        t = tree; /* the export's */
    else
        e = tc_register_tree(s, n, &own);
    if (e == TC_OK && t->n != n)
        e = TC_ERR_INCONSISTENT;
    if (e == TC_OK && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *err = errno;
        e = TC_ERR_IO;
    }
    struct leaves l;
    memset(&l, 0, sizeof l);
    if (e == TC_OK &&
        (e = tc_store_prepare(s, "SELECT idx, leaf FROM register WHERE idx >= ? ORDER BY idx",
                              &l.q)) == TC_OK) {
        sqlite3_bind_int64(l.q, 1, 0);
        e = tc_tiles_write(dir, t, next_leaf, &l, files, err);
        sqlite3_finalize(l.q);
    }
    tc_reg_tree_free(&own);
    if (e != TC_OK)
        return e;
    /* the tiles reach the disk before the checkpoint that names them */
    if (tc_file_sync_fs(dir) != TC_OK) {
        *err = errno;
        return TC_ERR_IO;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if ((e = tc_file_write(path, checkpoint, strlen(checkpoint), 0644, TC_FILE_REPLACE)) == TC_OK)
        (*files)++;
    else
        *err = errno;
    return e;
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
    crypto_hash_sha256(h.sha256, x->bundle, x->len);
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

enum tc_err tc_publish(struct tc_store *s, const struct tc_publish_opts *o,
                       struct tc_publish_result *r)
{
    memset(r, 0, sizeof *r);
    enum tc_err e = TC_OK;
    if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
        r->err = errno;
        snprintf(r->failed, sizeof r->failed, "%s", o->dir);
        return TC_ERR_IO;
    }
    char why[320] = "";
    if (o->batch && (e = tc_gongshi_publish(s, o->batch, o->dir, o->days, o->now, &r->err, why,
                                            sizeof why)) != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "the 公示 of batch %lld%s%s", (long long)o->batch,
                 why[0] ? ": " : "", why);
        return e;
    }
    /* the witnesses co-sign the checkpoint inside the export, before anything is written */
    struct tc_cosigning w = {o->witnesses, o->witness_replies};
    if ((e = tc_bundle_export_witnessed(s, o->trust, o->trust_len, o->tl, o->key, o->origin,
                                        o->now, o->witnesses && o->witnesses->n ? &w : NULL,
                                        &r->x)) != TC_OK) {
        snprintf(r->failed, sizeof r->failed, "the status bundle");
        return e;
    }
    char name[64];
    snprintf(name, sizeof name, "delta-%llu.cbor", (unsigned long long)r->x.delta_from);
    if ((e = put(r, o->dir, "bundle.cbor", r->x.bundle, r->x.len)) != TC_OK ||
        (r->x.delta && (e = put(r, o->dir, name, r->x.delta, r->x.delta_len)) != TC_OK))
        return e;
    if ((e = tc_register_publish(s, o->dir, r->x.checkpoint, r->x.tree, &r->files, &r->err)) !=
        TC_OK) {
        snprintf(r->failed, sizeof r->failed, "the register's files in %s", o->dir);
        return e;
    }
    return write_head(o->dir, r);
}
