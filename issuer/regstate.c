/*
 * regstate.c - what an export keeps of the register so that the next one appends to it instead
 * of reading it all again (A3; docs/DECISIONS.md "Re-publishing and batch outputs").
 *
 * Three things, written in the export's transaction, all derived from entries that export
 * verified (their bytes hashed again, decoded, and the tree they make compared with a signed
 * checkpoint):
 *   - register_nodes: the hashes of the complete subtrees of 2^8, 2^16, ... entries (what the hash
 *     tiles of level 1 and up hold). With the entries' own hashes they give any subtree of the
 *     tree in at most 128 reads, and the right edge (tc_reg_edge) a publication appends to;
 *   - register_status: what the entries say about certificates (issued with the hash of their
 *     bytes, revoked, superseded) and the data digests, as records in chunks of 4,096 entries, each
 *     under a MAC keyed by the store's hash key and bound to its chunk number and the entries it
 *     covers, so an edited, dropped or replayed chunk is refused;
 *   - the state (a meta row under the same MAC): the size and root of the last checkpoint, the
 *     last audit event checked and its MAC, and where the rolling re-check goes on;
 *   - the status bundle's index chunks (another meta row under the MAC): each complete chunk's
 *     SHA-256 with its first and last id, so that the next export need not hash it again.
 * The hashes are not MACed: every one a publication uses is checked against a signed root (the
 * edge against the last checkpoint, proofs against theirs), and the rolling re-check compares
 * the others with the entries and their parents.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

#define STATE_MAGIC "TCRS"
#define STATE_VERSION 1
#define STATE_BYTES (4 + 1 + 8 + 32 + 8 + 32 + 8 + 8 + 8)
#define CHUNK TC_REGSTATE_CHUNK
#define RECORD_MAX (1 + 2 + 8 + 8 + 4 + 1 + 32)
#define ISSUE_RECORD (1 + 2 + 8 + TC_BUNDLE_INDEX_HASH) /* kind, offset, id, hash */

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put32(uint8_t *p, int32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)((uint32_t)v >> (8 * i));
}

static int32_t get32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)v;
}

/* ---- the state ---------------------------------------------------------------------------- */

static void state_encode(const struct tc_regstate *st, uint8_t out[STATE_BYTES])
{
    uint8_t *p = out;
    memcpy(p, STATE_MAGIC, 4), p += 4;
    *p++ = STATE_VERSION;
    put64(p, st->size), p += 8;
    memcpy(p, st->root, 32), p += 32;
    put64(p, (uint64_t)st->audit_seq), p += 8;
    memcpy(p, st->audit_mac, 32), p += 32;
    put64(p, st->sweep_block), p += 8;
    put64(p, st->sweep_cert), p += 8;
    put64(p, (uint64_t)st->sweep_event);
}

enum tc_err tc_regstate_load(struct tc_store *s, struct tc_regstate *st)
{
    memset(st, 0, sizeof *st);
    void *val = NULL;
    size_t len = 0;
    enum tc_err e = tc_store_meta_get(s, "register_state", &val, &len);
    if (e == TC_ERR_NOT_FOUND)
        return TC_OK; /* none kept yet: the export checks everything and keeps it */
    if (e != TC_OK)
        return e;
    const uint8_t *p = val;
    uint8_t mac[32];
    const void *parts[] = {p};
    size_t lens[] = {STATE_BYTES};
    e = TC_ERR_INCONSISTENT;
    if (len == STATE_BYTES + 32 && memcmp(p, STATE_MAGIC, 4) == 0 && p[4] == STATE_VERSION &&
        tc_store_state_mac(s, parts, lens, 1, mac) == TC_OK &&
        sodium_memcmp(mac, p + STATE_BYTES, 32) == 0) {
        st->present = true;
        st->size = get64(p + 5);
        memcpy(st->root, p + 13, 32);
        st->audit_seq = (int64_t)get64(p + 45);
        memcpy(st->audit_mac, p + 53, 32);
        st->sweep_block = get64(p + 85);
        st->sweep_cert = get64(p + 93);
        st->sweep_event = (int64_t)get64(p + 101);
        e = TC_OK;
    } else {
        tc_store_set_msg(s, "上次发布保存的登记簿状态被改动（校验码不符）/ the register state the "
                            "last publication kept was altered (its MAC "
                            "does not hold)");
    }
    free(val);
    return e;
}

enum tc_err tc_regstate_save(struct tc_store *s, const struct tc_regstate *st)
{
    uint8_t buf[STATE_BYTES + 32];
    state_encode(st, buf);
    const void *parts[] = {buf};
    size_t lens[] = {STATE_BYTES};
    enum tc_err e = tc_store_state_mac(s, parts, lens, 1, buf + STATE_BYTES);
    return e == TC_OK ? tc_store_meta_set(s, "register_state", buf, sizeof buf) : e;
}

/* ---- what the entries say about certificates, in chunks ------------------------------------- */

/* A chunk's MAC: its number, the entries it covers and its records. */
static enum tc_err chunk_mac(struct tc_store *s, uint64_t chunk, uint64_t covered,
                             const uint8_t *rec, size_t len, uint8_t out[32])
{
    static const char domain[] = "register status chunk";
    uint8_t head[16];
    put64(head, chunk), put64(head + 8, covered);
    const void *parts[] = {domain, head, rec};
    size_t lens[] = {sizeof domain, sizeof head, len};
    return tc_store_state_mac(s, parts, lens, 3, out);
}

/* The record of entry i (offset within its chunk) when the entry says something about a
 * certificate or logs data; its length, 0 for none. */
static size_t record_encode(uint64_t i, const struct tc_reg_leaf *l, uint8_t out[RECORD_MAX])
{
    size_t n = 0;
    out[n++] = l->kind;
    out[n++] = (uint8_t)(i % CHUNK), out[n++] = (uint8_t)((i % CHUNK) >> 8);
    switch (l->kind) {
    case TC_REG_ISSUE:
        put64(out + n, l->id), n += 8;
        memcpy(out + n, l->hash, TC_BUNDLE_INDEX_HASH), n += TC_BUNDLE_INDEX_HASH;
        return n;
    case TC_REG_REVOKE: {
        size_t r = strlen(l->reason);
        put64(out + n, l->id), n += 8;
        put32(out + n, l->day), n += 4;
        out[n++] = (uint8_t)r;
        memcpy(out + n, l->reason, r);
        return n + r;
    }
    case TC_REG_SUPERSEDE:
        put64(out + n, l->id), n += 8;
        put64(out + n, l->other), n += 8;
        put32(out + n, l->day), n += 4;
        return n;
    case TC_REG_DATA:
        out[n++] = (uint8_t)l->id;
        memcpy(out + n, l->hash, 32);
        return n + 32;
    }
    return 0;
}

/* One record at *p (len bytes left) into l and its entry's offset; its length, 0 when it is not
 * one this file writes. */
static size_t record_decode(const uint8_t *p, size_t len, struct tc_reg_leaf *l, unsigned *off)
{
    memset(l, 0, sizeof *l);
    if (len < 3)
        return 0;
    l->kind = p[0], *off = (unsigned)(p[1] | p[2] << 8);
    size_t need = l->kind == TC_REG_ISSUE       ? ISSUE_RECORD
                  : l->kind == TC_REG_REVOKE    ? 3 + 8 + 4 + 1
                  : l->kind == TC_REG_SUPERSEDE ? 3 + 8 + 8 + 4
                  : l->kind == TC_REG_DATA      ? 3 + 1 + 32
                                                : SIZE_MAX;
    if (need > len || *off >= CHUNK)
        return 0;
    if (l->kind == TC_REG_DATA) {
        l->id = p[3];
        memcpy(l->hash, p + 4, 32);
        return l->id == TC_REG_DATA_UNITS || l->id == TC_REG_DATA_PROFILE ? need : 0;
    }
    l->id = get64(p + 3);
    if (l->kind == TC_REG_ISSUE) {
        memcpy(l->hash, p + 11, TC_BUNDLE_INDEX_HASH);
        return need;
    }
    if (l->kind == TC_REG_SUPERSEDE) {
        l->other = get64(p + 11);
        l->day = get32(p + 19);
        return need;
    }
    l->day = get32(p + 11);
    size_t r = p[15];
    if (r == 0 || r >= sizeof l->reason || need + r > len)
        return 0;
    memcpy(l->reason, p + 16, r);
    return need + r;
}

/* ---- the status bundle's index chunks -------------------------------------------------------- */

/* "TCIC", 2, the checkpoint's size (8) and root (32), the count (8), then per chunk sha (32),
 * first (8), last (8), bytes (8); the MAC last. */
#define CHUNKS_MAGIC "TCIC"
#define CHUNKS_HEAD (4 + 1 + 8 + 32 + 8)
#define CHUNK_REC (32 + 8 + 8 + 8)

enum tc_err tc_regstate_chunks_load(struct tc_store *s, uint64_t *size, uint8_t root[32],
                                    struct tc_regstate_chunk **out, size_t *n)
{
    *out = NULL, *n = 0, *size = 0;
    void *val = NULL;
    size_t len = 0;
    enum tc_err e = tc_store_meta_get(s, "index_chunks", &val, &len);
    if (e == TC_ERR_NOT_FOUND)
        return TC_OK;
    if (e != TC_OK)
        return e;
    const uint8_t *p = val;
    uint8_t mac[32];
    uint64_t count = len >= CHUNKS_HEAD ? get64(p + CHUNKS_HEAD - 8) : 0;
    const void *parts[] = {p};
    size_t lens[] = {len >= 32 ? len - 32 : 0};
    if (len < CHUNKS_HEAD + 32 || memcmp(p, CHUNKS_MAGIC, 4) != 0 || p[4] != 2 ||
        count > TC_BUNDLE_MAX_CHUNKS || len != CHUNKS_HEAD + count * CHUNK_REC + 32 ||
        tc_store_state_mac(s, parts, lens, 1, mac) != TC_OK ||
        sodium_memcmp(mac, p + len - 32, 32) != 0) {
        tc_store_set_msg(s, "上次发布保存的索引分块清单被改动（校验码不符）/ the list of index "
                            "chunks the last publication kept was altered (its MAC does not "
                            "hold)");
        e = TC_ERR_INCONSISTENT;
    } else if (!(*out = calloc(count ? count : 1, sizeof **out))) {
        e = TC_ERR_NOMEM;
    } else {
        *size = get64(p + 5);
        memcpy(root, p + 13, 32);
        for (size_t k = 0; k < count; k++) {
            const uint8_t *rec = p + CHUNKS_HEAD + k * CHUNK_REC;
            memcpy((*out)[k].sha, rec, 32);
            (*out)[k].first = get64(rec + 32), (*out)[k].last = get64(rec + 40);
            (*out)[k].bytes = get64(rec + 48);
        }
        *n = (size_t)count;
    }
    free(val);
    return e;
}

enum tc_err tc_regstate_chunks_save(struct tc_store *s, uint64_t size, const uint8_t root[32],
                                    const struct tc_regstate_chunk *c, size_t n)
{
    size_t len = CHUNKS_HEAD + n * CHUNK_REC + 32;
    uint8_t *p = malloc(len);
    if (!p)
        return TC_ERR_NOMEM;
    memcpy(p, CHUNKS_MAGIC, 4);
    p[4] = 2;
    put64(p + 5, size);
    memcpy(p + 13, root, 32);
    put64(p + CHUNKS_HEAD - 8, n);
    for (size_t k = 0; k < n; k++) {
        uint8_t *rec = p + CHUNKS_HEAD + k * CHUNK_REC;
        memcpy(rec, c[k].sha, 32);
        put64(rec + 32, c[k].first), put64(rec + 40, c[k].last), put64(rec + 48, c[k].bytes);
    }
    const void *parts[] = {p};
    size_t lens[] = {len - 32};
    enum tc_err e = tc_store_state_mac(s, parts, lens, 1, p + len - 32);
    if (e == TC_OK)
        e = tc_store_meta_set(s, "index_chunks", p, len);
    free(p);
    return e;
}

/* Folds a chunk's records into the status and the data digests. */
static enum tc_err chunk_fold(uint64_t chunk, const uint8_t *p, size_t len, uint64_t covered,
                              struct tc_regstate_status *out)
{
    long last = -1;
    struct tc_reg_status *st = &out->st;
    /* room for a record an entry at most: an issue record is then written in place */
    if (tc_reserve((void **)&st->index, &st->cap[0], st->n_index + covered, sizeof *st->index) !=
        TC_OK)
        return TC_ERR_NOMEM;
    for (size_t off = 0; off < len;) {
        struct tc_reg_leaf l;
        unsigned at;
        if (p[off] == TC_REG_ISSUE && len - off >= ISSUE_RECORD) { /* most records */
            at = (unsigned)(p[off + 1] | p[off + 2] << 8);
            if ((long)at <= last || at >= covered)
                return TC_ERR_INCONSISTENT;
            struct tc_bundle_registered *r = &st->index[st->n_index++];
            r->id = get64(p + off + 3), r->leaf = chunk * CHUNK + at;
            memcpy(r->hash, p + off + 11, TC_BUNDLE_INDEX_HASH);
            last = (long)at, off += ISSUE_RECORD;
            continue;
        }
        size_t k = record_decode(p + off, len - off, &l, &at);
        if (k == 0 || (long)at <= last || at >= covered)
            return TC_ERR_INCONSISTENT;
        last = (long)at, off += k;
        if (l.kind == TC_REG_DATA) {
            memcpy(out->data[l.id], l.hash, 32), out->logged[l.id] = true;
            continue;
        }
        enum tc_err e = tc_reg_status_add(&out->st, chunk * CHUNK + at, &l);
        if (e != TC_OK)
            return e;
    }
    return TC_OK;
}

enum tc_err tc_regstate_status_load(struct tc_store *s, uint64_t size,
                                    struct tc_regstate_status *out)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s,
                                     "SELECT chunk, records, mac FROM register_status "
                                     "ORDER BY chunk",
                                     &q);
    uint64_t want = 0, chunks = (size + CHUNK - 1) / CHUNK;
    int rc = SQLITE_DONE;
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t c = (uint64_t)sqlite3_column_int64(q, 0);
        const uint8_t *rec = sqlite3_column_blob(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        uint64_t covered = size - c * CHUNK < CHUNK ? size - c * CHUNK : CHUNK;
        uint8_t mac[32];
        if (c != want++ || c >= chunks || sqlite3_column_bytes(q, 2) != 32 ||
            (e = chunk_mac(s, c, covered, rec ? rec : (const uint8_t *)"", len, mac)) != TC_OK ||
            sodium_memcmp(mac, sqlite3_column_blob(q, 2), 32) != 0 ||
            (e = chunk_fold(c, rec ? rec : (const uint8_t *)"", len, covered, out)) != TC_OK) {
            if (e == TC_OK || e == TC_ERR_INCONSISTENT)
                tc_store_set_msg(s,
                                 "上次发布保存的登记簿状态块被改动、删除或替换 / the register "
                                 "status the last publication kept (chunk %llu) "
                                 "was altered, dropped or replaced",
                                 (unsigned long long)c);
            e = e == TC_OK ? TC_ERR_INCONSISTENT : e;
        }
    }
    sqlite3_finalize(q);
    if (e == TC_OK && rc != SQLITE_DONE)
        e = TC_ERR_STORE;
    if (e == TC_OK && want != chunks) {
        tc_store_set_msg(s,
                         "上次发布保存的登记簿状态缺块 / the register status the last publication "
                         "kept lacks chunks "
                         "(%llu of %llu)",
                         (unsigned long long)want, (unsigned long long)chunks);
        e = TC_ERR_INCONSISTENT;
    }
    return e;
}

void tc_regstate_status_free(struct tc_regstate_status *out)
{
    tc_reg_status_free(&out->st);
    memset(out, 0, sizeof *out);
}

void tc_regstate_writer_init(struct tc_regstate_writer *w, uint64_t from)
{
    memset(w, 0, sizeof *w);
    w->from = w->next = from;
    w->n_starts = 1; /* the records of the chunk holding `from` start the buffer */
}

void tc_regstate_writer_free(struct tc_regstate_writer *w)
{
    free(w->buf);
    free(w->starts);
    memset(w, 0, sizeof *w);
}

enum tc_err tc_regstate_writer_add(struct tc_regstate_writer *w, uint64_t i,
                                   const struct tc_reg_leaf *l)
{
    uint8_t rec[RECORD_MAX];
    if (i != w->next)
        return TC_ERR_INTERNAL;
    if (i % CHUNK == 0 && i != w->from) { /* a new chunk's records start here */
        if (tc_reserve((void **)&w->starts, &w->cap_starts, w->n_starts, sizeof *w->starts) != TC_OK)
            return TC_ERR_NOMEM;
        w->starts[w->n_starts - 1] = w->len;
        w->n_starts++;
    }
    size_t n = record_encode(i, l, rec);
    if (n) { /* an entry that changes no status keeps no record */
        if (tc_reserve((void **)&w->buf, &w->cap, w->len + n, 1) != TC_OK)
            return TC_ERR_NOMEM;
        memcpy(w->buf + w->len, rec, n);
        w->len += n;
    }
    w->next++;
    return TC_OK;
}

/* The records already kept in the chunk holding entry `from` (for entries before it). */
static enum tc_err chunk_head(struct tc_store *s, uint64_t from, uint8_t **p, size_t *len)
{
    *p = NULL, *len = 0;
    if (from % CHUNK == 0)
        return TC_OK;
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q, "SELECT records FROM register_status WHERE chunk = ?",
                                   "i", (int64_t)(from / CHUNK));
    if (e != TC_OK)
        return e;
    e = TC_ERR_INCONSISTENT; /* tc_regstate_status_load read it in this transaction */
    if (sqlite3_step(q) == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(q, 0);
        if ((*p = malloc(*len ? *len : 1)) != NULL) {
            memcpy(*p, sqlite3_column_blob(q, 0), *len);
            e = TC_OK;
        } else {
            e = TC_ERR_NOMEM;
        }
    }
    sqlite3_finalize(q);
    return e;
}

/* Writes one chunk (its records rec[0..len)) covering `covered` entries. */
static enum tc_err chunk_put(struct tc_store *s, sqlite3_stmt *q, uint64_t c, uint64_t covered,
                             const uint8_t *rec, size_t len)
{
    uint8_t mac[32];
    enum tc_err e = chunk_mac(s, c, covered, rec ? rec : (const uint8_t *)"", len, mac);
    if (e != TC_OK)
        return e;
    /* an empty chunk is an empty blob, not NULL */
    if ((e = tc_store_bind(s, q, "ibh", (int64_t)c, rec ? rec : (const uint8_t *)"", len, mac)) !=
        TC_OK)
        return e;
    return tc_store_step_done(s, q);
}

enum tc_err tc_regstate_writer_flush(struct tc_store *s, struct tc_regstate_writer *w)
{
    if (w->next == w->from)
        return TC_OK;
    uint8_t *head = NULL, *chunk = NULL;
    size_t head_len = 0;
    sqlite3_stmt *q = NULL;
    enum tc_err e = chunk_head(s, w->from, &head, &head_len);
    if (e == TC_OK)
        e = tc_store_prepare(s,
                             "INSERT OR REPLACE INTO register_status(chunk, records, mac) "
                             "VALUES(?, ?, ?)",
                             &q);
    if (e == TC_OK && !(chunk = malloc(head_len + w->len + 1)))
        e = TC_ERR_NOMEM;
    for (size_t k = 0; e == TC_OK && k < w->n_starts; k++) {
        uint64_t c = w->from / CHUNK + k;
        /* starts[k - 1] is where chunk k's records begin, starts[k] where they end */
        size_t begin = k ? w->starts[k - 1] : 0, end = k + 1 < w->n_starts ? w->starts[k] : w->len;
        size_t len = k == 0 ? head_len : 0;
        if (len)
            memcpy(chunk, head, len);
        if (end > begin) /* w->buf is NULL while no entry kept a record */
            memcpy(chunk + len, w->buf + begin, end - begin);
        len += end - begin;
        uint64_t covered = w->next - c * CHUNK < CHUNK ? w->next - c * CHUNK : CHUNK;
        e = chunk_put(s, q, c, covered, chunk, len);
    }
    sqlite3_finalize(q);
    free(head), free(chunk);
    return e;
}

enum tc_err tc_regstate_status_clear(struct tc_store *s)
{
    return tc_store_exec(s, "DELETE FROM register_status");
}

/* ---- the tree's hashes in the store ---------------------------------------------------------- */

enum tc_err tc_regstate_rows(struct tc_store *s, unsigned level, uint64_t first, size_t count,
                             uint8_t *out)
{
    sqlite3_stmt *q;
    enum tc_err e =
        level == 0
            ? tc_store_query(s, &q,
                             "SELECT idx, hash FROM register WHERE idx >= ?1 "
                             "AND idx < ?2 ORDER BY idx",
                             "ii", (int64_t)first, (int64_t)(first + count))
            : tc_store_query(s, &q,
                             "SELECT idx, hash FROM register_nodes WHERE "
                             "level = ?3 AND idx >= ?1 AND idx < ?2 ORDER BY idx",
                             "iii", (int64_t)first, (int64_t)(first + count), (int64_t)level);
    if (e != TC_OK)
        return e;
    size_t k = 0;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(q, 0) != first + k ||
            sqlite3_column_bytes(q, 1) != TC_REG_HASH) {
            e = TC_ERR_INCONSISTENT;
            break;
        }
        memcpy(out + k++ * TC_REG_HASH, sqlite3_column_blob(q, 1), TC_REG_HASH);
    }
    sqlite3_finalize(q);
    if (e == TC_OK && k != count)
        e = TC_ERR_INCONSISTENT;
    if (e == TC_ERR_INCONSISTENT)
        tc_store_set_msg(
            s, "登记簿数据缺失或损坏 / the register's %s %llu..%llu are missing or damaged",
            level ? "kept subtree hashes at level" : "entries", (unsigned long long)first,
            (unsigned long long)(first + count - 1));
    return e;
}

/* A subtree hash: from the edge when it holds it, else from the store (a run of at most 128
 * hashes of the tile level below it). */
static enum tc_err source_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[TC_REG_HASH])
{
    struct tc_regsource *r = ctx;
    struct tc_reg_source edge = tc_reg_edge_source(r->edge);
    enum tc_err e = edge.hash(edge.ctx, level, index, out);
    if (e != TC_ERR_NOT_FOUND)
        return e;
    unsigned rest = level % TC_REG_TILE_HEIGHT;
    uint8_t buf[TC_REG_TILE_WIDTH / 2 * TC_REG_HASH];
    if (level >= 64 || index > (UINT64_MAX >> rest))
        return TC_ERR_RANGE;
    if ((e = tc_regstate_rows(r->s, level - rest, index << rest, (size_t)1 << rest, buf)) != TC_OK)
        return e;
    tc_reg_hash_run(buf, UINT64_C(1) << rest, out);
    return TC_OK;
}

struct tc_reg_source tc_regsource(struct tc_regsource *r)
{
    struct tc_reg_source src = {source_hash, r};
    return src;
}

static uint64_t level_count(unsigned t, uint64_t n)
{
    return t * TC_REG_TILE_HEIGHT >= 64 ? 0 : n >> (t * TC_REG_TILE_HEIGHT);
}

static enum tc_err node_put(struct tc_store *s, sqlite3_stmt *q, unsigned t, uint64_t idx,
                            const uint8_t *h)
{
    enum tc_err e = tc_store_bind(s, q, "iih", (int64_t)(t * TC_REG_TILE_HEIGHT), (int64_t)idx, h);
    return e != TC_OK ? e : tc_store_step_done(s, q);
}

enum tc_err tc_regstate_nodes_append(struct tc_store *s, const struct tc_reg_edge *e)
{
    sqlite3_stmt *q;
    enum tc_err err = tc_store_prepare(s,
                                       "INSERT INTO register_nodes(level, idx, hash) "
                                       "VALUES(?, ?, ?)",
                                       &q);
    for (unsigned t = 1; err == TC_OK && t < TC_REG_TILE_LEVELS; t++)
        for (uint64_t i = level_count(t, e->from); err == TC_OK && i < level_count(t, e->n); i++)
            err = node_put(s, q, t, i, tc_reg_edge_row(e, t * TC_REG_TILE_HEIGHT, i, 1));
    sqlite3_finalize(q);
    return err;
}

enum tc_err tc_regstate_nodes_full(struct tc_store *s, const struct tc_reg_tree *tree)
{
    sqlite3_stmt *q, *put = NULL;
    enum tc_err e = tc_store_prepare(s, "SELECT level, idx, hash FROM register_nodes", &q);
    int rc = SQLITE_DONE;
    /* hashes kept before must be the tree's: a full check finds an altered one too */
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int level = sqlite3_column_int(q, 0);
        uint64_t idx = (uint64_t)sqlite3_column_int64(q, 1);
        if (level <= 0 || level >= 64 || level % TC_REG_TILE_HEIGHT || idx >= (tree->n >> level) ||
            sqlite3_column_bytes(q, 2) != TC_REG_HASH ||
            memcmp(sqlite3_column_blob(q, 2), tree->level[level] + (size_t)idx * TC_REG_HASH,
                   TC_REG_HASH) != 0) {
            tc_store_set_msg(s,
                             "保存的子树哈希被改动 / the register's kept subtree hash (level %d, "
                             "%llu) is not the "
                             "tree's: it was altered",
                             level, (unsigned long long)idx);
            e = TC_ERR_INCONSISTENT;
        }
    }
    sqlite3_finalize(q);
    if (e == TC_OK && rc != SQLITE_DONE)
        e = TC_ERR_STORE;
    if (e == TC_OK)
        e = tc_store_prepare(s,
                             "INSERT OR IGNORE INTO register_nodes(level, idx, hash) "
                             "VALUES(?, ?, ?)",
                             &put);
    for (unsigned t = 1; e == TC_OK && t < TC_REG_TILE_LEVELS; t++)
        for (uint64_t i = 0; e == TC_OK && i < level_count(t, tree->n); i++)
            e = node_put(s, put, t, i,
                         tree->level[t * TC_REG_TILE_HEIGHT] + (size_t)i * TC_REG_HASH);
    sqlite3_finalize(put);
    return e;
}

/* ---- the rolling re-check ----------------------------------------------------------------- */

/* The kept hash (level 8t, idx) as the edge has it (checked against the signed root) or as the
 * store has it, into out. */
static enum tc_err kept(struct tc_store *s, const struct tc_reg_edge *e, unsigned t, uint64_t idx,
                        uint8_t out[TC_REG_HASH])
{
    const uint8_t *h = tc_reg_edge_row(e, t * TC_REG_TILE_HEIGHT, idx, 1);
    if (h) {
        memcpy(out, h, TC_REG_HASH);
        return TC_OK;
    }
    return tc_regstate_rows(s, t * TC_REG_TILE_HEIGHT, idx, 1, out);
}

/* The kept hashes of level 8t, [lo, hi) (below the edge), give their parents, and so on up to
 * the edge, whose hashes the last checkpoint's root holds. */
static enum tc_err chain(struct tc_store *s, const struct tc_reg_edge *e, unsigned t, uint64_t lo,
                         uint64_t hi)
{
    uint8_t kids[TC_REG_TILE_WIDTH * TC_REG_HASH], h[TC_REG_HASH], want[TC_REG_HASH];
    for (; t + 1 < TC_REG_TILE_LEVELS && lo < hi; t++) {
        for (uint64_t p = lo / TC_REG_TILE_WIDTH; p <= (hi - 1) / TC_REG_TILE_WIDTH; p++) {
            enum tc_err err = tc_regstate_rows(s, t * TC_REG_TILE_HEIGHT, p * TC_REG_TILE_WIDTH,
                                               TC_REG_TILE_WIDTH, kids);
            if (err == TC_OK)
                err = kept(s, e, t + 1, p, want);
            if (err != TC_OK)
                return err;
            tc_reg_hash_run(kids, TC_REG_TILE_WIDTH, h);
            if (memcmp(h, want, TC_REG_HASH) != 0) {
                tc_store_set_msg(s,
                                 "保存的子树哈希被改动 / the register's kept subtree hash (level "
                                 "%u, %llu) is not "
                                 "what the ones under it give: it was altered",
                                 (t + 1) * TC_REG_TILE_HEIGHT, (unsigned long long)p);
                return TC_ERR_INCONSISTENT;
            }
        }
        uint64_t edge = e->first[t + 1];
        lo /= TC_REG_TILE_WIDTH;
        hi = (hi - 1) / TC_REG_TILE_WIDTH + 1;
        if (hi > edge)
            hi = edge;
    }
    return TC_OK;
}

/* One block of 256 entries read again: each one's bytes give its stored hash and decode, and
 * together they give the block's kept hash. */
static enum tc_err recheck_block(struct tc_store *s, const struct tc_reg_edge *e, sqlite3_stmt *q,
                                 uint64_t b)
{
    uint8_t h[TC_REG_TILE_WIDTH * TC_REG_HASH], got[TC_REG_HASH], want[TC_REG_HASH];
    sqlite3_reset(q);
    enum tc_err err = tc_store_bind(s, q, "ii", (int64_t)(b * TC_REG_TILE_WIDTH),
                                    (int64_t)((b + 1) * TC_REG_TILE_WIDTH));
    if (err != TC_OK)
        return err;
    for (unsigned k = 0; k < TC_REG_TILE_WIDTH; k++) {
        uint64_t i = b * TC_REG_TILE_WIDTH + k;
        struct tc_reg_leaf l;
        const uint8_t *leaf = NULL;
        size_t len = 0;
        bool ok = sqlite3_step(q) == SQLITE_ROW && (uint64_t)sqlite3_column_int64(q, 0) == i;
        if (ok)
            leaf = sqlite3_column_blob(q, 1), len = (size_t)sqlite3_column_bytes(q, 1);
        ok = ok && len <= TC_REG_LEAF_MAX && sqlite3_column_bytes(q, 2) == TC_REG_HASH;
        if (ok)
            tc_reg_leaf_hash(h + k * TC_REG_HASH, leaf ? leaf : (const uint8_t *)"", len);
        if (!ok || memcmp(h + k * TC_REG_HASH, sqlite3_column_blob(q, 2), TC_REG_HASH) != 0 ||
            tc_reg_leaf_decode(leaf ? leaf : (const uint8_t *)"", len, &l) != TC_OK) {
            tc_store_set_msg(s,
                             "登记簿第 %llu 条被改动：内容与其哈希不符 / register entry %llu was "
                             "altered: its bytes do not give its hash",
                             (unsigned long long)i, (unsigned long long)i);
            return TC_ERR_INCONSISTENT;
        }
    }
    tc_reg_hash_run(h, TC_REG_TILE_WIDTH, got);
    err = kept(s, e, 1, b, want);
    if (err == TC_OK && memcmp(got, want, TC_REG_HASH) != 0) {
        tc_store_set_msg(s,
                         "登记簿条目与保存的树哈希不符 / register entries %llu..%llu do not give "
                         "the tree's hash kept for "
                         "them: they or it were altered",
                         (unsigned long long)(b * TC_REG_TILE_WIDTH),
                         (unsigned long long)((b + 1) * TC_REG_TILE_WIDTH - 1));
        err = TC_ERR_INCONSISTENT;
    }
    return err;
}

enum tc_err tc_regstate_recheck(struct tc_store *s, const struct tc_reg_edge *e, uint64_t b0,
                                uint64_t b1)
{
    sqlite3_stmt *q;
    enum tc_err err = tc_store_prepare(s,
                                       "SELECT idx, leaf, hash FROM register WHERE idx >= ? "
                                       "AND idx < ? ORDER BY idx",
                                       &q);
    for (uint64_t b = b0; err == TC_OK && b < b1; b++)
        err = recheck_block(s, e, q, b);
    sqlite3_finalize(q);
    uint64_t hi = b1 < e->first[1] ? b1 : e->first[1];
    return err == TC_OK && b0 < hi ? chain(s, e, 1, b0, hi) : err;
}
