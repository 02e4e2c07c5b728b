/*
 * export_reg.c - the register's side of an export (A3): before a checkpoint is signed, the
 * entries are checked against the last checkpoint this store signed, and the audit chain against
 * its MACs, so that no edit of the store turns into a signed publication.
 *
 * A first export (or one asked to check in full, or one after an older release exported) reads
 * every entry: its bytes give its stored hash and decode, the tree they make gives the last
 * checkpoint's root, and every audit event's MAC is checked. It keeps what the next needs
 * (regstate.c). Every later export reads only what was added since, plus O(log n) kept hashes:
 *   - the entries from the last checkpoint's last tile on are read and checked as above; the
 *     last checkpoint's right edge (the kept hashes of its partial tiles and those entries) must
 *     give its signed root, and the new entries are appended to that edge, which gives the new
 *     root, tiles and frontier;
 *   - what the entries before say about certificates comes from the chunks the last export kept
 *     under the store's MAC, the new entries' records are added;
 *   - the audit events after the last one checked are checked, chained from the MAC the last
 *     export verified (kept in its state);
 *   - a window of the older entries (at least TC_RECHECK_MIN, as many as were added when more)
 *     is read again, going round: bytes against hashes, hashes against the kept subtree hashes,
 *     those against their parents up to the signed edge; so is a window of audit events.
 * What is not read again at each export, and why, is in docs/DECISIONS.md.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* The last checkpoint this store signed, if any. */
static enum tc_err last_checkpoint(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_row(x->s, &q,
                                 "SELECT size, root, datetime(at, 'unixepoch', '+8 hours') FROM "
                                 "checkpoints ORDER BY size DESC LIMIT 1",
                                 "");
    if (e != TC_OK)
        return e == TC_ERR_NOT_FOUND ? TC_OK : e; /* none yet */
    if (sqlite3_column_bytes(q, 1) != TC_REG_HASH) {
        sqlite3_finalize(q);
        return tc_export_refuse(x, "证书库中上一个检查点的根哈希已损坏 / the last checkpoint's "
                                   "root in the store is damaged");
    }
    x->has_last = true;
    x->last_size = (uint64_t)sqlite3_column_int64(q, 0);
    memcpy(x->last_root, sqlite3_column_blob(q, 1), TC_REG_HASH);
    snprintf(x->last_when, sizeof x->last_when, "%s", (const char *)sqlite3_column_text(q, 2));
    sqlite3_finalize(q);
    return TC_OK;
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

/* A certificate a new entry names: its row is checked (export.c). */
static enum tc_err name(struct export *x, uint64_t id)
{
    uint64_t *slot = tc_push((void **)&x->named, &x->n_named, &x->cap_named, sizeof *x->named);
    if (!slot)
        return TC_ERR_NOMEM;
    *slot = id;
    return TC_OK;
}

/* Entry i, checked, added to what the export derives and keeps. */
static enum tc_err fold(struct export *x, uint64_t i, const struct tc_reg_leaf *l,
                        const uint8_t *leaf, size_t len)
{
    enum tc_err e = tc_reg_status_add(&x->rst.st, i, l);
    if (e == TC_OK && l->kind == TC_REG_DATA && l->id < 3)
        memcpy(x->rst.data[l->id], l->hash, 32), x->rst.logged[l->id] = true;
    if (e == TC_OK)
        e = tc_regstate_writer_add(&x->w, i, l);
    if (e == TC_OK && i >= x->prev_size)
        e = keep_leaf(x, leaf, len);
    if (e == TC_OK && !x->full &&
        (l->kind == TC_REG_ISSUE || l->kind == TC_REG_REVOKE || l->kind == TC_REG_SUPERSEDE))
        e = name(x, l->id);
    return e;
}

/* One entry read from the store: its index, its bytes giving its stored hash, its decoding. */
static enum tc_err entry(struct export *x, sqlite3_stmt *q, uint64_t i, uint8_t h[TC_REG_HASH],
                         struct tc_reg_leaf *l)
{
    const uint8_t *leaf = sqlite3_column_blob(q, 1);
    size_t len = (size_t)sqlite3_column_bytes(q, 1);
    if ((uint64_t)sqlite3_column_int64(q, 0) != i || len > TC_REG_LEAF_MAX)
        return tc_export_refuse(x, "登记簿第 %llu 条缺失 / register entry %llu is missing",
                                (unsigned long long)i, (unsigned long long)i);
    tc_reg_leaf_hash(h, leaf ? leaf : (const uint8_t *)"", len);
    if (sqlite3_column_bytes(q, 2) != TC_REG_HASH ||
        memcmp(h, sqlite3_column_blob(q, 2), TC_REG_HASH) != 0 ||
        tc_reg_leaf_decode(leaf ? leaf : (const uint8_t *)"", len, l) != TC_OK)
        return tc_export_refuse(x,
                                "登记簿第 %llu 条被改动：内容与其哈希不符 / register entry %llu "
                                "was altered: its bytes do not give its hash",
                                (unsigned long long)i, (unsigned long long)i);
    return TC_OK;
}

/* ---- in full ----------------------------------------------------------------------------------
 */

/* One pass over the register: each entry checked, the tree built, the status folded. */
static enum tc_err read_all(struct export *x)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(x->s, "SELECT idx, leaf, hash FROM register ORDER BY idx", &q);
    int rc = SQLITE_DONE;
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t i = x->tree.n;
        uint8_t h[TC_REG_HASH];
        struct tc_reg_leaf l;
        if ((e = entry(x, q, i, h, &l)) == TC_OK && (e = tc_reg_tree_append(&x->tree, h)) == TC_OK)
            e = fold(x, i, &l, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
    }
    sqlite3_finalize(q);
    return e == TC_OK && rc != SQLITE_DONE ? TC_ERR_STORE : e;
}

static enum tc_err tree_rows(void *ctx, unsigned level, uint64_t first, size_t n, uint8_t *out)
{
    const struct tc_reg_tree *t = ctx;
    if (level >= 64 || first + n > (t->n >> level))
        return TC_ERR_RANGE;
    memcpy(out, t->level[level] + (size_t)first * TC_REG_HASH, n * TC_REG_HASH);
    return TC_OK;
}

/* The entries give the root of the last checkpoint this store signed; the edge from it. */
static enum tc_err check_full(struct export *x)
{
    struct tc_reg_source src = tc_reg_tree_source(&x->tree);
    uint8_t root[TC_REG_HASH];
    uint64_t from = x->has_last ? x->last_size : 0;
    if (x->has_last && x->last_size > x->tree.n)
        return tc_export_refuse(x,
                                "登记簿条目少于已签检查点，有条目被删除 / the register holds %llu "
                                "entries, fewer than the %llu of the "
                                "checkpoint signed at %s: entries were removed",
                                (unsigned long long)x->tree.n, (unsigned long long)x->last_size,
                                x->last_when);
    if (x->has_last && (tc_reg_root(&src, x->last_size, root) != TC_OK ||
                        memcmp(root, x->last_root, TC_REG_HASH) != 0))
        return tc_export_refuse(x,
                                "登记簿被改写：前 %llu 条与已签检查点不符 / the register's first "
                                "%llu entries do not give the "
                                "checkpoint signed at %s: the register was rewritten",
                                (unsigned long long)x->last_size, (unsigned long long)x->last_size,
                                x->last_when);
    enum tc_err e = tc_reg_edge_start(&x->edge, from, tree_rows, &x->tree);
    for (uint64_t i = from; e == TC_OK && i < x->tree.n; i++)
        e = tc_reg_edge_append(&x->edge, x->tree.level[0] + (size_t)i * TC_REG_HASH);
    x->n = x->tree.n;
    x->src = tc_reg_tree_source(&x->tree);
    return e;
}

/* The refusal for an audit chain that breaks at event seq. */
static enum tc_err audit_broken(struct export *x, uint64_t seq)
{
    return tc_export_refuse(x,
                            "审计事件 %llu 被改动、插入或删除 / audit event %llu was altered, "
                            "inserted or removed (the chain breaks there)",
                            (unsigned long long)seq, (unsigned long long)seq);
}

/* The audit chain (A3): every event's MAC. */
static enum tc_err audit_full(struct export *x)
{
    static const uint8_t none[32];
    struct tc_audit_span sp;
    enum tc_err e = tc_audit_verify_from(x->s, 1, 0, none, &sp);
    if (e == TC_OK && sp.bad)
        e = audit_broken(x, sp.bad);
    x->state.audit_seq = sp.last;
    memcpy(x->state.audit_mac, sp.mac, 32);
    return e;
}

/* ---- appending --------------------------------------------------------------------------------
 */

struct old_rows {
    struct tc_store *s;
    const uint8_t *hashes; /* the entries' hashes from first on, just checked */
    uint64_t first;
    size_t count;
};

/* The last tiles of the last checkpoint: its entries' hashes (level 0, checked from their bytes)
 * and the kept subtree hashes above. */
static enum tc_err old_rows(void *ctx, unsigned level, uint64_t first, size_t n, uint8_t *out)
{
    const struct old_rows *r = ctx;
    if (level > 0)
        return tc_regstate_rows(r->s, level, first, n, out);
    if (first != r->first || n != r->count)
        return TC_ERR_INTERNAL;
    memcpy(out, r->hashes, n * TC_REG_HASH);
    return TC_OK;
}

/* The edge of the last checkpoint from what was kept and the entries of its last tile; it must
 * give the checkpoint's signed root. */
static enum tc_err open_edge(struct export *x, const uint8_t *hashes, size_t count)
{
    struct old_rows r = {x->s, hashes, x->state.size / TC_REG_TILE_WIDTH * TC_REG_TILE_WIDTH,
                         count};
    uint8_t root[TC_REG_HASH];
    enum tc_err e = tc_reg_edge_start(&x->edge, x->state.size, old_rows, &r);
    struct tc_reg_source src = tc_reg_edge_source(&x->edge);
    if (e == TC_ERR_INCONSISTENT)
        return tc_export_refuse(x, "%s", tc_store_errmsg(x->s));
    if (e == TC_OK && (tc_reg_root(&src, x->state.size, root) != TC_OK ||
                       memcmp(root, x->state.root, TC_REG_HASH) != 0))
        return tc_export_refuse(x,
                                "登记簿被改写：末尾 %zu 条及保存的子树哈希与已签检查点不符 / the "
                                "register's last %zu entries and kept subtree hashes do "
                                "not give the checkpoint signed at %s: the register was "
                                "rewritten",
                                count, count, x->last_when);
    return e;
}

/* The entries from the last checkpoint's last tile on, checked; the new ones appended. */
static enum tc_err read_since(struct export *x)
{
    uint64_t first = x->state.size / TC_REG_TILE_WIDTH * TC_REG_TILE_WIDTH, i = first;
    uint8_t old[TC_REG_TILE_WIDTH * TC_REG_HASH];
    bool open = false;
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(x->s, &q,
                                   "SELECT idx, leaf, hash FROM register WHERE idx >= ? "
                                   "ORDER BY idx",
                                   "i", (int64_t)first);
    int rc = SQLITE_DONE;
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        uint8_t h[TC_REG_HASH];
        struct tc_reg_leaf l;
        if ((e = entry(x, q, i, h, &l)) != TC_OK)
            break;
        if (i < x->state.size) {
            memcpy(old + (i++ - first) * TC_REG_HASH, h, TC_REG_HASH);
            continue;
        }
        if (!open && (e = open_edge(x, old, (size_t)(i - first))) != TC_OK)
            break;
        open = true;
        if ((e = tc_reg_edge_append(&x->edge, h)) == TC_OK)
            e = fold(x, i, &l, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
        i++;
    }
    sqlite3_finalize(q);
    if (e == TC_OK && rc != SQLITE_DONE)
        e = TC_ERR_STORE;
    if (e == TC_OK && i < x->state.size)
        e = tc_export_refuse(x,
                             "登记簿条目少于已签检查点，有条目被删除 / the register holds %llu "
                             "entries, fewer than the %llu of the "
                             "checkpoint signed at %s: entries were removed",
                             (unsigned long long)i, (unsigned long long)x->state.size,
                             x->last_when);
    if (e == TC_OK && !open)
        e = open_edge(x, old, (size_t)(i - first));
    x->n = i;
    return e;
}

/* The audit events since the last one checked, chained from the MAC verified then. */
static enum tc_err audit_since(struct export *x)
{
    uint8_t stored[32];
    struct tc_audit_span sp;
    enum tc_err e = tc_store_event_mac(x->s, x->state.audit_seq, stored);
    if (e == TC_ERR_NOT_FOUND || (e == TC_OK && sodium_memcmp(stored, x->state.audit_mac, 32)))
        return tc_export_refuse(x,
                                "审计事件 %lld 在上次发布核验后被改动或删除 / audit event %lld was "
                                "altered or removed since the last "
                                "publication checked it",
                                (long long)x->state.audit_seq, (long long)x->state.audit_seq);
    if (e == TC_OK)
        e = tc_audit_verify_from(x->s, x->state.audit_seq + 1, 0, x->state.audit_mac, &sp);
    if (e == TC_OK && sp.bad)
        e = audit_broken(x, sp.bad);
    if (e == TC_OK)
        x->state.audit_seq = sp.last, memcpy(x->state.audit_mac, sp.mac, 32);
    return e;
}

/* The rolling re-check of entries: the next blocks of 256 complete entries before the last
 * checkpoint, round and round. */
static enum tc_err recheck_entries(struct export *x)
{
    uint64_t blocks = x->state.size / TC_REG_TILE_WIDTH, b0 = x->state.sweep_block;
    uint64_t want = (x->recheck + TC_REG_TILE_WIDTH - 1) / TC_REG_TILE_WIDTH;
    if (b0 >= blocks)
        b0 = 0;
    uint64_t b1 = blocks - b0 > want ? b0 + want : blocks;
    enum tc_err e = b0 < b1 ? tc_regstate_recheck(x->s, &x->edge, b0, b1) : TC_OK;
    if (e == TC_ERR_INCONSISTENT)
        return tc_export_refuse(x, "%s", tc_store_errmsg(x->s));
    x->state.sweep_block = b1 >= blocks ? 0 : b1;
    return e;
}

/* The rolling re-check of audit events: the next ones up to the last one checked before. */
static enum tc_err recheck_events(struct export *x, int64_t checked)
{
    int64_t from = x->state.sweep_event;
    if (from < 1 || from > checked)
        from = 1;
    uint64_t count = (uint64_t)(checked - from + 1);
    uint8_t prev[32];
    struct tc_audit_span sp;
    if (checked < 1)
        return TC_OK;
    enum tc_err e = tc_store_event_mac(x->s, from - 1, prev);
    if (e == TC_OK)
        e = tc_audit_verify_from(x->s, from, count < x->recheck ? count : x->recheck, prev, &sp);
    if (e == TC_ERR_NOT_FOUND || (e == TC_OK && sp.bad))
        return audit_broken(x, e == TC_OK ? sp.bad : (uint64_t)from - 1);
    if (e == TC_OK)
        x->state.sweep_event = sp.last >= checked ? 1 : sp.last + 1;
    return e;
}

/* ---- both -------------------------------------------------------------------------------------
 */

/* Whether what the last export kept can be appended to: it must be of the last checkpoint and
 * the last export (else it is from before an older release exported, and everything is read). */
static enum tc_err choose(struct export *x)
{
    enum tc_err e = tc_regstate_load(x->s, &x->state);
    if (e == TC_ERR_INCONSISTENT)
        return tc_export_refuse(x, "%s", tc_store_errmsg(x->s));
    if (e != TC_OK || x->full)
        return e;
    if (!x->state.present || !x->has_last || x->state.size != x->last_size ||
        x->prev_size != x->state.size)
        x->full = true;
    else if (memcmp(x->state.root, x->last_root, TC_REG_HASH) != 0)
        return tc_export_refuse(x,
                                "上次发布保存的登记簿状态与已签检查点不符 / the register state the "
                                "last publication kept is not of the "
                                "checkpoint signed at %s",
                                x->last_when);
    return TC_OK;
}

/* The store's last checkpoint is the one the signer last published (its own record): a
 * checkpoints table emptied or rewritten together with the register is not taken for the truth,
 * nor is a store put back from an older copy. */
static enum tc_err anchored(struct export *x)
{
    const struct tc_publish_anchor *a = x->anchor;
    if (!a || (x->has_last && x->last_size == a->size &&
               sodium_memcmp(x->last_root, a->root, TC_REG_HASH) == 0))
        return TC_OK;
    return tc_export_refuse(x,
                            "证书库中最后的检查点不是签名服务上次发布的检查点（%llu 条），证书库被"
                            "改动或回退 / the store's last checkpoint (%llu entries) is not the "
                            "one the signer last published (%llu entries, its own record): the "
                            "store was altered or restored from an older copy",
                            (unsigned long long)a->size,
                            (unsigned long long)(x->has_last ? x->last_size : 0),
                            (unsigned long long)a->size);
}

enum tc_err tc_export_register(struct export *x)
{
    enum tc_err e;
    if ((e = last_checkpoint(x)) != TC_OK || (e = anchored(x)) != TC_OK || (e = choose(x)) != TC_OK)
        return e;
    if (x->full) {
        tc_regstate_writer_init(&x->w, 0);
        x->state.sweep_block = x->state.sweep_cert = 0, x->state.sweep_event = 1;
        if ((e = audit_full(x)) != TC_OK || (e = read_all(x)) != TC_OK ||
            (e = check_full(x)) != TC_OK)
            return e;
    } else {
        int64_t checked = x->state.audit_seq;
        tc_regstate_writer_init(&x->w, x->state.size);
        if ((e = tc_regstate_status_load(x->s, x->state.size, &x->rst)) == TC_ERR_INCONSISTENT)
            return tc_export_refuse(x, "%s", tc_store_errmsg(x->s));
        if (e != TC_OK || (e = audit_since(x)) != TC_OK || (e = read_since(x)) != TC_OK)
            return e;
        x->recheck = x->n - x->state.size > TC_RECHECK_MIN ? x->n - x->state.size : TC_RECHECK_MIN;
        if ((e = recheck_entries(x)) != TC_OK || (e = recheck_events(x, checked)) != TC_OK)
            return e;
        x->rs = (struct tc_regsource){x->s, &x->edge};
        x->src = tc_regsource(&x->rs);
    }
    return tc_reg_root(&x->src, x->n, x->root);
}

enum tc_err tc_export_keep(struct export *x)
{
    enum tc_err e =
        x->full ? tc_regstate_nodes_full(x->s, &x->tree) : tc_regstate_nodes_append(x->s, &x->edge);
    if (e == TC_OK && x->full)
        e = tc_regstate_status_clear(x->s);
    if (e == TC_OK)
        e = tc_regstate_writer_flush(x->s, &x->w);
    if (e == TC_ERR_INCONSISTENT)
        return tc_export_refuse(x, "%s", tc_store_errmsg(x->s));
    x->state.present = true;
    x->state.size = x->n;
    memcpy(x->state.root, x->root, TC_REG_HASH);
    return e == TC_OK ? tc_regstate_save(x->s, &x->state) : e;
}
