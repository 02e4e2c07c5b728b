/*
 * test_register_append.c - publishing appends (A3, docs/DECISIONS.md "Re-publishing and batch
 * outputs"): a register published again and again with random numbers of new entries (none, one, hundreds,
 * and once across 65,536, where the level-2 tiles begin) is, after every publication, what a
 * rebuild from scratch gives: the checkpoint's size and root, every tile file byte for byte, the
 * bundle's consistency proofs and its index, revocations and supersessions. Also a publication
 * that checks in full, one after an export that wrote no tiles (the directory fell behind), and
 * one into a new directory. Then what publications keep is tampered with on copies of the store:
 * a kept subtree hash on the edge, a status chunk altered or dropped, the state altered or put
 * back from an earlier publication (read in full then), the last checkpoint's recorded root,
 * and, found by the
 * rolling re-check within the publications it takes to go round, an old entry rewritten with its
 * hash, an old audit event and an old certificate row.
 */
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issuer_internal.h"
#include "reg_gen.h"
#include "register.h"
#include "tap.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)

static struct reg_gen_keys keys;
static char dir[] = "/tmp/tc_test_append_XXXXXX";
static uint64_t clock_now;

/* ---- the rebuild from scratch ------------------------------------------------------------------ */

struct rebuild {
    struct tc_reg_tree tree;
    uint8_t **leaf;
    size_t *len, n;
};

static void rebuild_free(struct rebuild *r)
{
    tc_reg_tree_free(&r->tree);
    for (size_t i = 0; i < r->n; i++)
        free(r->leaf[i]);
    free(r->leaf), free(r->len);
    memset(r, 0, sizeof *r);
}

/* Every entry's bytes from the store, hashed into a tree of their own. */
static int rebuild(struct tc_store *s, struct rebuild *r)
{
    sqlite3_stmt *q;
    memset(r, 0, sizeof *r);
    tc_reg_tree_init(&r->tree);
    if (sqlite3_prepare_v2(tc_store_db(s), "SELECT leaf FROM register ORDER BY idx", -1, &q,
                           NULL) != SQLITE_OK)
        return -1;
    size_t cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (r->n == cap) {
            cap = cap ? cap * 2 : 1024;
            r->leaf = realloc(r->leaf, cap * sizeof *r->leaf);
            r->len = realloc(r->len, cap * sizeof *r->len);
        }
        size_t len = (size_t)sqlite3_column_bytes(q, 0);
        uint8_t h[TC_REG_HASH];
        r->leaf[r->n] = malloc(len);
        memcpy(r->leaf[r->n], sqlite3_column_blob(q, 0), len);
        r->len[r->n] = len;
        tc_reg_leaf_hash(h, r->leaf[r->n], len);
        tc_reg_tree_append(&r->tree, h);
        r->n++;
    }
    sqlite3_finalize(q);
    return 0;
}

static enum tc_err rebuild_leaf(void *ctx, uint64_t i, const uint8_t **p, size_t *len)
{
    struct rebuild *r = ctx;
    if (i >= r->n)
        return TC_ERR_RANGE;
    *p = r->leaf[i], *len = r->len[i];
    return TC_OK;
}

/* ---- comparing directories ---------------------------------------------------------------------- */

static char walk_root[600];
static char **walk_list;
static size_t walk_n;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st, (void)f;
    if (type == FTW_F && strstr(path, "/tile/")) {
        walk_list = realloc(walk_list, (walk_n + 1) * sizeof *walk_list);
        walk_list[walk_n++] = strdup(path + strlen(walk_root));
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tile files under d, sorted, relative to d. */
static char **tile_files(const char *d, size_t *n)
{
    snprintf(walk_root, sizeof walk_root, "%s", d);
    walk_list = NULL, walk_n = 0;
    nftw(d, walk_one, 16, FTW_PHYS);
    qsort(walk_list, walk_n, sizeof *walk_list, cmp_str);
    *n = walk_n;
    return walk_list;
}

static bool same_file(const char *a, const char *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    bool same = tc_file_read(a, 1u << 20, &x, &xl) == TC_OK &&
                tc_file_read(b, 1u << 20, &y, &yl) == TC_OK && xl == yl && !memcmp(x, y, xl);
    free(x), free(y);
    return same;
}

/* Every tile file of a is in b, byte for byte, and b has no other; *why says the first that is
 * not. */
static bool same_tiles(const char *a, const char *b, char *why, size_t size)
{
    size_t na, nb;
    char **la = tile_files(a, &na), **lb = tile_files(b, &nb);
    bool same = na == nb && na > 0;
    snprintf(why, size, "%zu files against %zu", na, nb);
    for (size_t i = 0; same && i < na; i++) {
        char pa[1200], pb[1200];
        snprintf(pa, sizeof pa, "%s%s", a, la[i]);
        snprintf(pb, sizeof pb, "%s%s", b, lb[i]);
        if (strcmp(la[i], lb[i]) != 0 || !same_file(pa, pb))
            same = false, snprintf(why, size, "%s differs", la[i]);
    }
    for (size_t i = 0; i < na; i++)
        free(la[i]);
    for (size_t i = 0; i < nb; i++)
        free(lb[i]);
    free(la), free(lb);
    return same;
}

/* ---- a publication checked against the rebuild --------------------------------------------------- */

/* What every publication here takes: the directory, the keys, the next second. */
static struct tc_publish_opts opts_for(const char *pub)
{
    return (struct tc_publish_opts){.dir = pub, .trust = keys.list, .trust_len = keys.list_len,
                                    .tl = keys.tl, .key = keys.pub_key, .days = 5,
                                    .now = ++clock_now};
}

/* The index's chunks the last publication named, and how many of them it wrote. */
static size_t last_chunks, last_chunks_written;

static enum tc_err publish(struct tc_store *s, const char *pub, bool full)
{
    struct tc_publish_opts o = opts_for(pub);
    struct tc_publish_result r;
    enum tc_err e = full ? tc_publish_full(s, &o, &r) : tc_publish(s, &o, &r);
    if (e != TC_OK)
        printf("# publish: %s: %s %s\n", r.failed, tc_strerror(e), tc_store_errmsg(s));
    last_chunks = r.x.chunks.n, last_chunks_written = r.x.chunks.n - r.x.chunks.first_new;
    tc_export_free(&r.x);
    return e;
}

/* The same, saying whether the export read and checked everything (*full). */
static enum tc_err publish_full_flag(struct tc_store *s, const char *pub, bool *full)
{
    struct tc_publish_opts o = opts_for(pub);
    struct tc_publish_result r;
    enum tc_err e = tc_publish(s, &o, &r);
    if (e != TC_OK)
        printf("# publish: %s: %s %s\n", r.failed, tc_strerror(e), tc_store_errmsg(s));
    *full = r.x.full_check;
    tc_export_free(&r.x);
    return e;
}

/* The checkpoint in pub names the rebuild's size and root. */
static bool checkpoint_is(const char *pub, const struct rebuild *r)
{
    char path[700];
    uint8_t *note = NULL, root[TC_REG_HASH];
    size_t len = 0;
    struct tc_note nt;
    struct tc_checkpoint c;
    struct tc_reg_source src = tc_reg_tree_source((struct tc_reg_tree *)&r->tree);
    snprintf(path, sizeof path, "%s/checkpoint", pub);
    bool ok = tc_file_read(path, TC_REG_NOTE_MAX, &note, &len) == TC_OK &&
              tc_note_parse((const char *)note, len, &nt) == TC_OK &&
              tc_checkpoint_parse(nt.text, nt.text_len, &c) == TC_OK && c.size == r->tree.n &&
              tc_reg_root(&src, r->tree.n, root) == TC_OK && !memcmp(root, c.root, TC_REG_HASH);
    free(note);
    return ok;
}

/* The bundle's proofs are the rebuild's, and its lists what the rebuild's entries say. */
static bool bundle_is(const char *pub, const struct rebuild *r)
{
    char path[700];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct tc_bundle *b = NULL;
    struct tc_reg_status st;
    struct tc_reg_source src = tc_reg_tree_source((struct tc_reg_tree *)&r->tree);
    snprintf(path, sizeof path, "%s/bundle.cbor", pub);
    tc_reg_status_init(&st);
    /* with its index's chunk files from the same directory */
    bool ok = tc_bundle_read_file(path, tc_signer_pub(keys.root)->pk, 0, &b, &len, NULL, 0) == TC_OK;
    for (size_t i = 0; ok && i < b->n_proofs; i++) {
        uint8_t proof[TC_REG_PROOF_MAX][TC_REG_HASH];
        size_t n = 0;
        ok = tc_reg_prove_consistency(&src, b->proofs[i].size, r->tree.n, proof, &n) == TC_OK &&
             n == b->proofs[i].len && !memcmp(proof, b->proofs[i].hashes, n * TC_REG_HASH);
    }
    for (size_t i = 0; ok && i < r->n; i++) {
        struct tc_reg_leaf l;
        ok = tc_reg_leaf_decode(r->leaf[i], r->len[i], &l) == TC_OK &&
             tc_reg_status_add(&st, i, &l) == TC_OK;
    }
    ok = ok && tc_reg_status_finish(&st, NULL, NULL) == 0 && st.n_index == b->n_index &&
         st.n_revoked == b->n_revoked && st.n_superseded == b->n_superseded &&
         !memcmp(st.index, b->index, st.n_index * sizeof *st.index);
    for (size_t i = 0; ok && i < st.n_superseded; i++)
        ok = st.superseded[i].id == b->superseded[i].id &&
             st.superseded[i].successor == b->superseded[i].successor &&
             st.superseded[i].day == b->superseded[i].day;
    for (size_t i = 0; ok && i < st.n_revoked; i++)
        ok = st.revoked[i].id == b->revoked[i].id && st.revoked[i].day == b->revoked[i].day &&
             !strcmp(st.revoked[i].reason, b->revoked[i].reason);
    tc_reg_status_free(&st);
    tc_bundle_free(b);
    free(buf);
    return ok;
}

/* pub against a rebuild whose tiles are written into ref at every size published there. */
static void check_against(struct tc_store *s, const char *pub, const char *ref, const char *what)
{
    struct rebuild r;
    uint64_t files = 0;
    int err = 0;
    char why[300];
    rebuild(s, &r);
    OK(tc_tiles_write(ref, &r.tree, rebuild_leaf, &r, &files, &err) == TC_OK,
       "%s: the rebuild's tiles written", what);
    OK(checkpoint_is(pub, &r), "%s: the checkpoint is the rebuild's (%zu entries)", what, r.n);
    bool same = same_tiles(pub, ref, why, sizeof why);
    OK(same, "%s: every tile is the rebuild's, byte for byte%s%s", what, same ? "" : ": ",
       same ? "" : why);
    OK(bundle_is(pub, &r), "%s: the bundle's proofs and lists are the rebuild's", what);
    rebuild_free(&r);
}

/* ---- publishing again and again ----------------------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_random(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* What a step appends: often a few hundred, sometimes none or one, once across 65,536 (entries,
 * where the level-2 tiles begin, and certificates, where the index's first chunk file does). */
static size_t batch_size(int step)
{
    uint64_t r = next_random();
    if (step == 10)
        return 70000;
    return r % 10 == 0 ? 0 : r % 10 == 1 ? 1 : (size_t)(1 + r % 700);
}

/* ---- a replica that follows the publication by its deltas ---------------------------------------- */

struct replica {
    struct tc_bundle *b; /* what it holds */
    int deltas, chunks;  /* deltas applied, chunk files they made */
};

/* The replica follows pub one publication on: by the delta the head names when it applies to
 * what it holds, else by the bundle. It must then hold the very bundle published, byte for
 * byte, and every chunk file a delta made must be the published one. */
static bool follow(struct replica *rp, const char *pub)
{
    char path[700], name[64];
    uint8_t *head = NULL, *d = NULL, *bytes = NULL, *want = NULL;
    size_t head_len = 0, d_len = 0, bytes_len = 0, want_len = 0;
    struct tc_head h;
    struct tc_bundle *next = NULL;
    struct tc_index_chunks ch;
    memset(&ch, 0, sizeof ch);
    snprintf(path, sizeof path, "%s/head", pub);
    bool ok = tc_file_read(path, TC_HEAD_MAX_BYTES, &head, &head_len) == TC_OK &&
              tc_head_parse((const char *)head, head_len, &h) == TC_OK;
    snprintf(path, sizeof path, "%s/bundle.cbor", pub);
    ok = ok && tc_file_read(path, TC_BUNDLE_MAX_BYTES, &want, &want_len) == TC_OK;
    if (ok && rp->b && h.has_delta && h.delta_from == rp->b->version) {
        snprintf(name, sizeof name, "delta-%llu.cbor", (unsigned long long)h.delta_from);
        snprintf(path, sizeof path, "%s/%s", pub, name);
        ok = tc_file_read(path, TC_DELTA_MAX_BYTES, &d, &d_len) == TC_OK &&
             tc_bundle_apply_delta(rp->b, d, d_len, tc_signer_pub(keys.root)->pk, 0, &next,
                                   &bytes, &bytes_len, &ch) == TC_OK &&
             bytes_len == want_len && !memcmp(bytes, want, want_len);
        /* the entries of the chunks it names as from does were taken from from, not read
         * again: they must be the ones the published chunk files hold */
        struct tc_bundle *files = NULL;
        size_t blen = 0;
        char bpath[700];
        snprintf(bpath, sizeof bpath, "%s/bundle.cbor", pub);
        ok = ok && tc_bundle_read_file(bpath, tc_signer_pub(keys.root)->pk, 0, &files, &blen, NULL,
                                       0) == TC_OK &&
             files->n_index == next->n_index &&
             !memcmp(files->index, next->index, next->n_index * sizeof *next->index);
        tc_bundle_free(files);
        for (size_t k = ch.first_new; ok && k < ch.n; k++) {
            uint8_t *f = NULL;
            size_t flen = 0;
            ok = tc_chunk_dir_get((void *)pub, ch.sha[k], &f, &flen) == TC_OK &&
                 flen == ch.len[k - ch.first_new] && !memcmp(f, ch.bytes[k - ch.first_new], flen);
            free(f);
            rp->chunks++;
        }
        rp->deltas += ok;
    } else if (ok) {
        ok = tc_bundle_read_file(path, tc_signer_pub(keys.root)->pk, 0, &next, &bytes_len, NULL,
                                 0) == TC_OK;
    }
    if (ok) {
        tc_bundle_free(rp->b);
        rp->b = next;
        next = NULL;
    }
    tc_bundle_free(next);
    tc_index_chunks_free(&ch);
    free(head), free(d), free(bytes), free(want);
    return ok;
}

static struct tc_store *copy_store(struct tc_store *s, const char *name);

/* One publication of c into pub3 with first_id's n entries, then the replica by its delta. The
 * issuer must write the chunks from `rewritten` on again and only those, the replica make the
 * same ones (the others it takes from the bundle it holds), and its index be the files'. */
static void ooo_step(struct tc_store *c, struct replica *rp, const char *pub3, size_t n,
                     uint64_t first_id, size_t rewritten, const char *what)
{
    int deltas = rp->deltas, chunks = rp->chunks;
    IS(c ? reg_gen_append_from(c, n, first_id) : TC_ERR_IO, TC_OK, "%s: %zu entries generated",
       what, n);
    IS(c ? publish(c, pub3, false) : TC_ERR_IO, TC_OK, "%s: published", what);
    size_t n_chunks = last_chunks, written = last_chunks_written;
    OK(n_chunks > 0 && n_chunks >= rewritten && written == n_chunks - rewritten,
       "%s: the issuer wrote the index's chunks from chunk %zu on (%zu of %zu)", what, rewritten,
       written, n_chunks);
    bool followed = follow(rp, pub3);
    OK(followed && rp->deltas == deltas + 1 && rp->chunks == chunks + (int)written,
       "%s: the replica takes it by its delta, holds the very bundle published, its index entry "
       "for entry the files', and made the same %d chunk files", what, rp->chunks - chunks);
}

/* Ids issued out of order. An id below a chunk's last sorts into it: that chunk and every one
 * after it change, so neither the issuer nor a replica may use their earlier hashes of them
 * again, while the chunks before stay as they were (the replica's entries for them come from the
 * bundle it holds). On copies of the store and its publication, so that what the later tests
 * find is unchanged. */
static void test_out_of_order(struct tc_store *s, struct replica *rp, const char *pub)
{
    char pub3[600], cmd[1300];
    path_in(pub3, sizeof pub3, "pub-ooo");
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", pub, pub3);
    struct tc_store *c = system(cmd) == 0 ? copy_store(s, "ooo.db") : NULL;
    size_t had = rp->b ? rp->b->n_chunks : 0;
    OK(had == 1, "out of order: the replica holds a bundle of one chunk (%zu)", had);
    /* ids from 263,000,000: a gap after the first ones, and three chunks */
    ooo_step(c, rp, pub3, 150000, 263000000, 1, "three chunks");
    ooo_step(c, rp, pub3, 100, 0, 3, "100 more, every chunk kept");
    OK(rp->b && rp->b->n_chunks == 3, "out of order: the replica's bundle names three chunks");
    /* 262,500,000 sorts into the gap, in the second chunk */
    ooo_step(c, rp, pub3, 1, 262500000, 1, "an id into the second chunk");
    const struct tc_bundle_registered *r = rp->b ? tc_bundle_registered(rp->b, 262500000) : NULL;
    OK(r && r->id == 262500000 && rp->b->index[TC_INDEX_CHUNK].id < 262500000 &&
           rp->b->index[2 * TC_INDEX_CHUNK - 1].id > 262500000,
       "out of order: the replica finds certificate 262500000, inside its second chunk");
    ooo_step(c, rp, pub3, 1, 1000, 0, "an id below every other");
    r = rp->b ? tc_bundle_registered(rp->b, 1000) : NULL;
    OK(r && r->id == 1000 && rp->b->index[0].id == 1000,
       "out of order: certificate 1000 is the first entry of the replica's index");
    tc_store_close(c);
}

static void test_publications(struct tc_store *s)
{
    struct replica rp = {0};
    bool across = false;
    char pub[600], ref[600], pub2[600], ref2[600], what[64];
    path_in(pub, sizeof pub, "pub"), path_in(ref, sizeof ref, "ref");
    path_in(pub2, sizeof pub2, "pub2"), path_in(ref2, sizeof ref2, "ref2");
    IS(reg_gen_append(s, 300), TC_OK, "300 entries generated");
    IS(publish(s, pub, false), TC_OK, "the first publication (every entry read)");
    check_against(s, pub, ref, "first");
    OK(follow(&rp, pub), "first: a replica takes the bundle");
    for (int step = 1; step <= 20; step++) {
        size_t k = batch_size(step);
        snprintf(what, sizeof what, "step %d, %zu new", step, k);
        IS(reg_gen_append(s, k), TC_OK, "%s: generated", what);
        if (step == 5) {
            IS(publish(s, pub, true), TC_OK, "%s: a publication that checks in full", what);
        } else if (step == 8) {
            struct tc_export x;
            IS(tc_bundle_export(s, keys.list, keys.list_len, keys.tl, keys.pub_key, NULL,
                                ++clock_now, &x), TC_OK, "%s: an export that writes no tiles", what);
            tc_export_free(&x);
            IS(reg_gen_append(s, 50), TC_OK, "%s: 50 more", what);
            IS(publish(s, pub, false), TC_OK, "%s: published into the directory left behind", what);
        } else if (step == 12) {
            IS(publish(s, pub2, false), TC_OK, "%s: published into a new directory", what);
            check_against(s, pub2, ref2, what);
            continue;
        } else {
            size_t had = rp.b ? rp.b->n_chunks : 0;
            IS(publish(s, pub, false), TC_OK, "%s: published", what);
            OK(last_chunks_written == last_chunks - had,
               "%s: only the index's new chunk files written (%zu of %zu)", what,
               last_chunks_written, last_chunks);
            across = across || (had == 0 && last_chunks > 0);
        }
        check_against(s, pub, ref, what);
        OK(follow(&rp, pub), "%s: a replica that follows by deltas holds the very bundle (its index, entry for entry, the one the files give) "
           "published, and the chunk files the delta made are the published ones", what);
    }
    OK(across && rp.deltas >= 10 && rp.chunks >= 1,
       "the replica applied %d deltas, one across the index's first chunk (%d chunk files made)",
       rp.deltas, rp.chunks);
    test_out_of_order(s, &rp, pub);
    tc_bundle_free(rp.b);
}

/* ---- the index's chunk files ---------------------------------------------------------------------- */

static bool sql(struct tc_store *s, const char *text);

static bool same_chunk(const char *a, const char *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    bool same = tc_file_read(a, TC_INDEX_CHUNK_MAX_BYTES, &x, &xl) == TC_OK &&
                tc_file_read(b, TC_INDEX_CHUNK_MAX_BYTES, &y, &yl) == TC_OK && xl == yl &&
                !memcmp(x, y, xl);
    free(x), free(y);
    return same;
}

/* The chunk file at `to`: the good copy at `from` with one bit of its back-th last byte flipped,
 * the same size. */
static void alter_in_place(const char *from, const char *to, size_t back)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (tc_file_read(from, TC_INDEX_CHUNK_MAX_BYTES, &bytes, &len) == TC_OK && len > 40) {
        bytes[len - back] ^= 1;
        tc_file_write(to, bytes, len, 0644, TC_FILE_REPLACE);
    }
    free(bytes);
}

static void test_chunks(struct tc_store *s)
{
    char pub[600], path[800], moved[900], name[TC_CHUNK_NAME_MAX];
    struct tc_bundle *b = NULL;
    size_t len = 0;
    path_in(pub, sizeof pub, "pub");
    snprintf(path, sizeof path, "%s/bundle.cbor", pub);
    const uint8_t *rpk = tc_signer_pub(keys.root)->pk;
    IS(tc_bundle_read_file(path, rpk, 0, &b, &len, NULL, 0), TC_OK, "chunks: the bundle reads with them");
    if (!b || !b->n_chunks) {
        OK(false, "chunks: the bundle names a chunk file");
        tc_bundle_free(b);
        return;
    }
    OK(len < (size_t)b->n_index * 4,
       "chunks: the bundle of %zu certificates is %zu bytes (%zu in its chunk files)", b->n_index,
       len, (size_t)b->n_chunks * TC_INDEX_CHUNK);
    tc_chunk_name(b->chunk_sha[0], name);
    char chunk[820];
    snprintf(chunk, sizeof chunk, "%s/%s", pub, name);
    snprintf(moved, sizeof moved, "%s.moved", chunk);
    struct tc_bundle *x = NULL;
    OK(rename(chunk, moved) == 0, "chunks: the first chunk file moved away");
    IS(tc_bundle_read_file(path, rpk, 0, &x, &len, NULL, 0), TC_ERR_NOT_FOUND,
       "chunks: a bundle whose chunk file is missing is refused");
    alter_in_place(moved, chunk, 1); /* the last entry's hash */
    tc_bundle_free(x), x = NULL;
    IS(tc_bundle_read_file(path, rpk, 0, &x, &len, NULL, 0), TC_ERR_INCONSISTENT,
       "chunks: one whose chunk file was altered (one bit) is refused");
    tc_bundle_free(x), x = NULL;
    OK(unlink(chunk) == 0, "chunks: the altered file removed");
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published with the chunk file gone");
    OK(last_chunks_written == 1, "chunks: the missing chunk file is written again (%zu written)",
       last_chunks_written);
    IS(tc_bundle_read_file(path, rpk, 0, &x, &len, NULL, 0), TC_OK, "chunks: the bundle reads again");
    OK(same_chunk(chunk, moved), "chunks: the file written again is the first one, byte for byte");
    tc_bundle_free(x), x = NULL;
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published again");
    OK(last_chunks == b->n_chunks && last_chunks_written == 0,
       "chunks: a publication that completes no chunk writes no chunk file (%zu of %zu)",
       last_chunks_written, last_chunks);
    /* a chunk file cut short in the directory: written again */
    OK(truncate(chunk, 1000) == 0, "chunks: the chunk file cut short");
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published");
    OK(last_chunks_written == 1 && same_chunk(chunk, moved),
       "chunks: a chunk file of another size than it was written with is written again");
    /* one altered in place, same size: a full check writes every chunk again */
    alter_in_place(moved, chunk, 1);
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, true), TC_OK, "chunks: a publication that checks in full");
    OK(last_chunks_written == last_chunks && same_chunk(chunk, moved),
       "chunks: writes every chunk file again, so one altered in place is mended (%zu of %zu)",
       last_chunks_written, last_chunks);
    /* altered in place again: each publication hashes one reused chunk in turn (here the only) */
    alter_in_place(moved, chunk, 2);
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published (not a full check)");
    OK(last_chunks_written == 1 && same_chunk(chunk, moved),
       "chunks: the chunk whose turn it was to be hashed again is found altered and written "
       "again (%zu of %zu)", last_chunks_written, last_chunks);
    /* the list kept by an earlier publication put back: not used */
    OK(sql(s, "CREATE TABLE saved_chunks AS SELECT value FROM meta WHERE key = 'index_chunks'"),
       "chunks: the kept list saved");
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published");
    OK(last_chunks_written == 0, "chunks: (the list kept then is used: nothing written)");
    OK(sql(s, "UPDATE meta SET value = (SELECT value FROM saved_chunks) WHERE key = "
              "'index_chunks'; DROP TABLE saved_chunks"),
       "chunks: the earlier list put back (its MAC holds)");
    IS(reg_gen_append(s, 10), TC_OK, "chunks: 10 more entries");
    IS(publish(s, pub, false), TC_OK, "chunks: published");
    OK(last_chunks_written == last_chunks,
       "chunks: a list kept with another checkpoint than the last signed is not used: every "
       "chunk encoded and hashed again (%zu of %zu)", last_chunks_written, last_chunks);
    unlink(moved);
    tc_bundle_free(b);
}

/* ---- what publications keep, tampered with -------------------------------------------------------- */

/* A copy of the store, opened. */
static struct tc_store *copy_store(struct tc_store *s, const char *name)
{
    char path[600], sql[700];
    struct tc_store *c = NULL;
    path_in(path, sizeof path, name);
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", path);
    if (sqlite3_exec(tc_store_db(s), sql, NULL, NULL, NULL) != SQLITE_OK ||
        tc_store_open(&c, path, keys.store_keys) != TC_OK)
        return NULL;
    return c;
}

static bool sql(struct tc_store *s, const char *text)
{
    return sqlite3_exec(tc_store_db(s), text, NULL, NULL, NULL) == SQLITE_OK;
}

/* Publications of one new entry each until one is refused; how many it took (0: none of max). */
static int refused_within(struct tc_store *c, const char *pub, int max, const char *says)
{
    for (int i = 1; i <= max; i++) {
        if (reg_gen_append(c, 1) != TC_OK)
            return 0;
        enum tc_err e = publish(c, pub, false);
        if (e != TC_OK)
            return e == TC_ERR_INCONSISTENT && strstr(tc_store_errmsg(c), says) ? i : 0;
    }
    return 0;
}

/* An entry rewritten with a hash that fits its new bytes (the day moved by one). */
static bool rewrite_entry(struct tc_store *c, uint64_t idx)
{
    struct tc_reg_leaf l;
    uint8_t buf[TC_REG_LEAF_MAX], h[TC_REG_HASH];
    size_t len;
    sqlite3_stmt *q = NULL;
    bool ok = tc_store_leaf_at(c, idx, &l) == TC_OK;
    l.day++;
    ok = ok && tc_reg_leaf_encode(&l, buf, &len) == TC_OK &&
         sql(c, "DROP TRIGGER register_no_update") &&
         sqlite3_prepare_v2(tc_store_db(c), "UPDATE register SET leaf = ?, hash = ? WHERE idx = ?",
                            -1, &q, NULL) == SQLITE_OK;
    if (ok) {
        tc_reg_leaf_hash(h, buf, len);
        sqlite3_bind_blob(q, 1, buf, (int)len, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, h, TC_REG_HASH, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, (int64_t)idx);
        ok = sqlite3_step(q) == SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return ok;
}

struct tamper {
    const char *name, *sql, *says;
    int within; /* publications it may take (the rolling re-check goes round) */
};

static void test_tampering(struct tc_store *s)
{
    uint64_t n = tc_store_register_size(s), edge_block = n / 256 - 1;
    char edge_sql[300];
    snprintf(edge_sql, sizeof edge_sql, "DROP TRIGGER register_nodes_no_update; UPDATE "
             "register_nodes SET hash = zeroblob(32) WHERE level = 8 AND idx = %llu",
             (unsigned long long)edge_block);
    /* the window is 16,384 entries, rows and events a publication: round in n / 16384 + 1 */
    int round = (int)(n / 16384) + 2;
    const struct tamper t[] = {
        {"a kept subtree hash of the last checkpoint's edge", edge_sql, "do not give the checkpoint", 1},
        {"a status chunk altered", "UPDATE register_status SET records = zeroblob(length(records)) "
         "WHERE chunk = 1", "chunk 1) was altered", 1},
        {"the last status chunk dropped", "DELETE FROM register_status WHERE chunk = (SELECT "
         "max(chunk) FROM register_status)", "lacks chunks", 1},
        {"the state altered", "UPDATE meta SET value = zeroblob(length(value)) WHERE key = "
         "'register_state'", "its MAC does not hold", 1},
        {"a kept subtree hash deep in the tree", "DROP TRIGGER register_nodes_no_update; UPDATE "
         "register_nodes SET hash = zeroblob(32) WHERE level = 8 AND idx = 3", "altered", round},
        {"an old audit event", "DROP TRIGGER events_no_update; UPDATE events SET detail = '{}' "
         "WHERE seq = 1000", "audit event 1000 was altered", round},
        {"an old certificate row", "UPDATE certificates SET payload = zeroblob(173) WHERE rid = "
         "2000", "its row is not what the register issued", round},
        {"the last checkpoint's recorded root", "UPDATE checkpoints SET root = zeroblob(32) WHERE "
         "size = (SELECT max(size) FROM checkpoints)", "is not of the checkpoint", 1},
        {"an old entry rewritten with its hash", NULL, "do not give the tree's hash kept", round},
        {"one bit of a hash in the kept list of the index's chunks", "UPDATE meta SET value = "
         "CAST(substr(value, 1, 59) || CASE WHEN substr(value, 60, 1) = x'00' THEN x'01' ELSE "
         "x'00' END || substr(value, 61) AS BLOB) WHERE key = 'index_chunks'",
         "list of index chunks", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char name[32], pub[600];
        snprintf(name, sizeof name, "tamper%zu.db", i);
        path_in(pub, sizeof pub, name);
        strcat(pub, ".pub");
        struct tc_store *c = copy_store(s, name);
        bool done = c && (t[i].sql ? sql(c, t[i].sql) : rewrite_entry(c, 777));
        OK(done, "%s: done on a copy", t[i].name);
        int took = done ? refused_within(c, pub, t[i].within, t[i].says) : 0;
        OK(took > 0, "%s: a publication refuses it, saying so (%s), within %d (took %d)",
           t[i].name, t[i].says, t[i].within, took);
        tc_store_close(c);
    }
}

/* The state row of an earlier publication put back (its MAC holds: it is genuine, but not of the
 * last checkpoint): the next publication does not append to it but reads and checks everything,
 * as a first one, and what it writes is what a rebuild gives; the one after appends again. */
static bool meta_blob(struct tc_store *c, const char *key, uint8_t **v, int *len, bool put)
{
    sqlite3_stmt *q = NULL;
    bool ok;
    if (put) {
        ok = sqlite3_prepare_v2(tc_store_db(c), "UPDATE meta SET value = ? WHERE key = ?", -1, &q,
                                NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_blob(q, 1, *v, *len, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_DONE && sqlite3_changes(tc_store_db(c)) == 1;
        }
    } else {
        ok = sqlite3_prepare_v2(tc_store_db(c), "SELECT value FROM meta WHERE key = ?", -1, &q,
                                NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_ROW && (*len = sqlite3_column_bytes(q, 0)) > 0 &&
                 (*v = malloc((size_t)*len)) != NULL;
            if (ok)
                memcpy(*v, sqlite3_column_blob(q, 0), (size_t)*len);
        }
    }
    sqlite3_finalize(q);
    return ok;
}

static void test_state_replayed(struct tc_store *s)
{
    char pub[600], ref[600];
    uint8_t *old = NULL;
    int len = 0;
    bool full = false;
    path_in(pub, sizeof pub, "replay.pub"), path_in(ref, sizeof ref, "replay.ref");
    struct tc_store *c = copy_store(s, "replay.db");
    OK(c != NULL, "replayed state: a copy of the store");
    if (!c)
        return;
    IS(publish_full_flag(c, pub, &full), TC_OK, "replayed state: published");
    check_against(c, pub, ref, "replayed state, before");
    OK(meta_blob(c, "register_state", &old, &len, false), "replayed state: the state kept");
    IS(reg_gen_append(c, 300), TC_OK, "replayed state: 300 more entries");
    IS(publish_full_flag(c, pub, &full), TC_OK, "replayed state: published again");
    OK(!full, "replayed state: that publication appended");
    check_against(c, pub, ref, "replayed state, appended");
    OK(old && meta_blob(c, "register_state", &old, &len, true),
       "replayed state: the earlier state put back");
    IS(reg_gen_append(c, 200), TC_OK, "replayed state: 200 more entries");
    IS(publish_full_flag(c, pub, &full), TC_OK,
       "replayed state: the publication after it succeeds");
    OK(full, "replayed state: it read and checked everything instead of appending to the "
             "earlier state");
    check_against(c, pub, ref, "replayed state");
    IS(reg_gen_append(c, 10), TC_OK, "replayed state: 10 more entries");
    IS(publish_full_flag(c, pub, &full), TC_OK, "replayed state: the next publication");
    OK(!full, "replayed state: the next publication appends again");
    check_against(c, pub, ref, "replayed state, the next");
    free(old);
    tc_store_close(c);
}

/* A publication that starts from what the signer last published (a): refused unless the store's
 * last checkpoint and bundle version are that; *a becomes this one's. */
static enum tc_err publish_anchored(struct tc_store *c, const char *pub,
                                    struct tc_publish_anchor *a, bool use)
{
    struct tc_publish_opts o = opts_for(pub);
    o.anchor = use ? a : NULL;
    struct tc_publish_result r;
    enum tc_err e = tc_publish(c, &o, &r);
    if (e == TC_OK)
        a->size = r.x.register_size, a->version = r.x.version, memcpy(a->root, r.x.root, 32);
    else
        printf("# publish: %s %s\n", tc_strerror(e), tc_store_errmsg(c));
    tc_export_free(&r.x);
    return e;
}

struct unanchored {
    const char *name, *sql, *says;
    bool rewrite;     /* entry 777 rewritten with its hash first */
    bool without_too; /* refused without the signer's record as well */
};

/* A3: someone who can write the store's file but holds no key rewrites history and removes what
 * would show it (the checkpoints table, the kept state), or moves the bundle version: the
 * signer's own record of what it last published refuses the store. Without that record (the
 * CLI) the rewrite is published after a full check against nothing: what the record stops. */
static void test_anchor(struct tc_store *s)
{
    char pub[600];
    struct tc_publish_anchor a;
    path_in(pub, sizeof pub, "anchor.pub");
    struct tc_store *c = copy_store(s, "anchor.db");
    OK(c != NULL, "anchor: a copy of the store");
    if (!c)
        return;
    IS(publish_anchored(c, pub, &a, false), TC_OK, "anchor: published (the signer's first: none)");
    IS(reg_gen_append(c, 50), TC_OK, "anchor: 50 more entries");
    IS(publish_anchored(c, pub, &a, true), TC_OK, "anchor: published from its own last one");
    OK(a.size == tc_store_register_size(c) && a.version >= 2, "anchor: it names size %llu, "
       "version %llu", (unsigned long long)a.size, (unsigned long long)a.version);
    IS(reg_gen_append(c, 20), TC_OK, "anchor: 20 more entries");
    const struct unanchored t[] = {
        {"entry 777 rewritten, the checkpoints, kept state and hashes removed",
         "DELETE FROM checkpoints; DELETE FROM meta WHERE key IN ('register_state', "
         "'index_chunks'); DROP TRIGGER register_nodes_no_delete; DELETE FROM register_nodes",
         "not the one the signer last published", true, false},
        {"the checkpoints removed", "DELETE FROM checkpoints",
         "not the one the signer last published", false, false},
        {"the last checkpoint removed", "DELETE FROM checkpoints WHERE size = (SELECT max(size) "
         "FROM checkpoints)", "not the one the signer last published", false, false},
        {"the bundle version moved on", "UPDATE meta SET value = CAST(value + 5 AS TEXT) WHERE "
         "key = 'bundle_version'", "the signer last published version", false, false},
        {"the bundle version set to its limit", "UPDATE meta SET value = '18446744073709551615' "
         "WHERE key = 'bundle_version'", "at its limit", false, true},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int use = 1; use >= 0; use--) {
            char name[40], p2[600];
            snprintf(name, sizeof name, "anchor%zu%d.db", i, use);
            path_in(p2, sizeof p2, name);
            strcat(p2, ".pub");
            struct tc_store *d = copy_store(c, name);
            struct tc_publish_anchor b = a;
            bool done = d && (!t[i].rewrite || rewrite_entry(d, 777)) && sql(d, t[i].sql);
            OK(done, "anchor: %s, on a copy", t[i].name);
            enum tc_err e = done ? publish_anchored(d, p2, &b, use) : TC_ERR_INTERNAL;
            if (use || t[i].without_too)
                OK(e == TC_ERR_INCONSISTENT && strstr(tc_store_errmsg(d), t[i].says),
                   "anchor: %s: refused %s the signer's record, saying so (%s)", t[i].name,
                   use ? "with" : "without", t[i].says);
            else
                OK(e == TC_OK, "anchor: %s: without the signer's record, published (what the "
                   "record stops)", t[i].name);
            tc_store_close(d);
        }
    }
    /* the store put back from a copy made before the last publication */
    struct tc_store *old = copy_store(c, "anchor_old.db");
    IS(publish_anchored(c, pub, &a, true), TC_OK, "anchor: the next publication");
    struct tc_publish_anchor b = a;
    enum tc_err e = old ? publish_anchored(old, pub, &b, true) : TC_ERR_INTERNAL;
    OK(e == TC_ERR_INCONSISTENT && strstr(tc_store_errmsg(old), "the signer last published"),
       "anchor: a store put back from before the last publication is refused");
    tc_store_close(old);
    tc_store_close(c);
}

/* A publication that checks inside its transaction that what it adds from `from` on is the
 * signer's own (own[0..n_own)) or vouched for by the audit chain. */
static enum tc_err publish_vouched(struct tc_store *c, const char *pub, uint64_t from,
                                   const struct tc_range *own, size_t n_own)
{
    struct tc_publish_vouch v = {from, own, n_own};
    struct tc_publish_opts o = opts_for(pub);
    o.vouch = &v;
    struct tc_publish_result r;
    enum tc_err e = tc_publish(c, &o, &r);
    tc_export_free(&r.x);
    return e;
}

/* The signer checks what a publication adds before it starts; the export checks it again inside
 * its own transaction, so that an entry written into the register between the two is not
 * published. Here the entries come from the generator, as someone writing the table would add
 * them: no signer wrote them, no audit event vouches for them. */
static void test_vouch(struct tc_store *s)
{
    char pub[600];
    path_in(pub, sizeof pub, "vouch.pub");
    struct tc_store *c = copy_store(s, "vouch.db");
    OK(c != NULL, "vouch: a copy of the store");
    if (!c)
        return;
    IS(publish_vouched(c, pub, tc_store_register_size(c), NULL, 0), TC_OK,
       "vouch: a publication that adds nothing");
    uint64_t from = tc_store_register_size(c);
    IS(reg_gen_append(c, 10), TC_OK, "vouch: 10 entries written into the register");
    char says[64];
    snprintf(says, sizeof says, "register entry %llu was neither", (unsigned long long)from);
    enum tc_err e = publish_vouched(c, pub, from, NULL, 0);
    OK(e == TC_ERR_INCONSISTENT && strstr(tc_store_errmsg(c), says),
       "vouch: inside the export's transaction they are refused, the first named (%s)", says);
    struct tc_range own = {from, tc_store_register_size(c)};
    IS(publish_vouched(c, pub, from, &own, 1), TC_OK,
       "vouch: the same entries as the signer's own are published");
    tc_store_close(c);
}

int main(void)
{
    if (sodium_init() < 0 || !mkdtemp(dir) || reg_gen_keys(&keys, dir) != TC_OK) {
        printf("Bail out! cannot set up in %s\n", dir);
        return 1;
    }
    clock_now = (uint64_t)time(NULL);
    char db[600];
    struct tc_store *s = NULL;
    path_in(db, sizeof db, "gs.db");
    IS(reg_gen_store(&keys, db, &s), TC_OK, "a store");
    if (s) {
        test_publications(s);
        test_state_replayed(s);
        test_anchor(s);
        test_vouch(s);
        test_tampering(s);
        test_chunks(s);
    }
    tc_store_close(s);
    reg_gen_keys_free(&keys);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
