/*
 * tiles.c - the register as static files, in the C2SP tlog-tiles layout: hash tiles
 * tile/<L>/<N>[.p/<W>] (height 8: a level-L tile holds up to 256 hashes of tree level 8L) and
 * entry bundles tile/entries/<N>[.p/<W>] (up to 256 leaves, each after its 2-byte big-endian
 * length). <N> is written in 3-digit groups, all but the last prefixed with "x".
 *
 * Writing: a full tile never changes, so one that exists is kept; every file goes to a temporary
 * name and is renamed, so a reader sees a whole tile or none. A tree written again after it grew
 * (tc_tiles_append) looks only at the tiles from the last one of its old size on, at each level. Reading: tiles are checked for
 * their exact size and cached a few at a time; a hash read from a tile is only as good as the
 * signed checkpoint it is checked against, which every caller does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "register.h"

#define TILE_BYTES (TC_REG_TILE_WIDTH * TC_REG_HASH)
#define BUNDLE_MAX (TC_REG_TILE_WIDTH * (2 + TC_REG_LEAF_MAX))

static uint64_t level_count(int level, uint64_t n)
{
    return level < 0 ? n : (level * TC_REG_TILE_HEIGHT >= 64 ? 0 : n >> (level * TC_REG_TILE_HEIGHT));
}

unsigned tc_tile_path(char *out, size_t size, int level, uint64_t index, uint64_t n)
{
    uint64_t count = level_count(level, n), start = index * TC_REG_TILE_WIDTH;
    unsigned w = count > start ? (unsigned)(count - start < TC_REG_TILE_WIDTH ? count - start
                                                                                : TC_REG_TILE_WIDTH)
                               : 0;
    char num[64];
    size_t len = 0;
    /* groups of three digits, most significant first */
    uint64_t groups[8];
    int ng = 0;
    uint64_t x = index;
    do {
        groups[ng++] = x % 1000;
        x /= 1000;
    } while (x && ng < 8);
    for (int g = ng - 1; g >= 0; g--)
        len += (size_t)snprintf(num + len, sizeof num - len, g ? "x%03llu/" : "%03llu",
                                (unsigned long long)groups[g]);
    if (level < 0)
        snprintf(out, size, "tile/entries/%s", num);
    else
        snprintf(out, size, "tile/%d/%s", level, num);
    if (w && w < TC_REG_TILE_WIDTH) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, ".p/%u", w);
    }
    return w;
}

/* mkdir -p of the directory part of path */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return errno;
    }
    return 0;
}

/* Tiles are written whole (temporary file, rename) without a sync each: the publisher syncs the
 * file system once (tc_file_sync_fs) before it writes the checkpoint that names them. */
static enum tc_err write_file(const char *path, const uint8_t *p, size_t len, int *err)
{
    enum tc_err e = tc_file_write(path, p, len, 0644, TC_FILE_REPLACE | TC_FILE_NOSYNC);
    *err = e == TC_OK ? 0 : errno;
    return e;
}

static bool exists_with_size(const char *path, off_t size)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size;
}

/* What a writing pass takes its hashes from, and where it starts at each level. */
struct tile_src {
    uint64_t n;
    uint64_t start[TC_REG_TILE_LEVELS + 1]; /* first tile written: [0] entry bundles, [1 + T] */
    const uint8_t *(*hashes)(const void *ctx, unsigned level, uint64_t first, unsigned w);
    const void *ctx;
};

/* The entry bundle of w leaves from first into buf (BUNDLE_MAX bytes); its length in *len. */
static enum tc_err bundle_of(uint8_t *buf, uint64_t first, unsigned w,
                             enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                                 size_t *len),
                             void *ctx, size_t *len)
{
    *len = 0;
    for (unsigned k = 0; k < w; k++) {
        const uint8_t *p;
        size_t n;
        enum tc_err e = leaf(ctx, first + k, &p, &n);
        if (e != TC_OK)
            return e;
        if (n > TC_REG_LEAF_MAX)
            return TC_ERR_SIZE_LIMIT;
        buf[*len] = (uint8_t)(n >> 8), buf[*len + 1] = (uint8_t)n;
        memcpy(buf + *len + 2, p, n);
        *len += 2 + n;
    }
    return TC_OK;
}

/* One tile (level -1: an entry bundle) unless it is there already: a full hash tile never
 * changes, a partial one of this width neither, and an entry bundle of a width is written once. */
static enum tc_err write_tile(const char *dir, const struct tile_src *src, int level,
                              uint64_t idx, uint8_t *buf,
                              enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                                  size_t *len),
                              void *ctx, uint64_t *written, int *err)
{
    char rel[128], path[PATH_MAX];
    unsigned w = tc_tile_path(rel, sizeof rel, level, idx, src->n);
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path) {
        *err = ENAMETOOLONG;
        return TC_ERR_IO;
    }
    size_t len = 0;
    uint64_t first = idx * TC_REG_TILE_WIDTH;
    enum tc_err e = TC_OK;
    if (level >= 0) {
        if (exists_with_size(path, (off_t)w * TC_REG_HASH))
            return TC_OK;
        const uint8_t *h = src->hashes(src->ctx, (unsigned)level, first, w);
        if (!h)
            return TC_ERR_INTERNAL;
        memcpy(buf, h, (size_t)w * TC_REG_HASH);
        len = (size_t)w * TC_REG_HASH;
    } else {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return TC_OK;
        if ((e = bundle_of(buf, first, w, leaf, ctx, &len)) != TC_OK)
            return e;
    }
    if ((*err = make_parents(path)) != 0)
        return TC_ERR_IO;
    if ((e = write_file(path, buf, len, err)) == TC_OK)
        (*written)++;
    return e;
}

static enum tc_err write_tiles(const char *dir, const struct tile_src *src,
                               enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                                   size_t *len),
                               void *ctx, uint64_t *written, int *err)
{
    uint8_t *buf = malloc(BUNDLE_MAX);
    enum tc_err e = TC_OK;
    *written = 0, *err = 0;
    if (!buf)
        return TC_ERR_NOMEM;
    for (int level = -1; e == TC_OK && level < TC_REG_TILE_LEVELS; level++) {
        uint64_t count = level_count(level, src->n);
        if (count == 0)
            break;
        for (uint64_t idx = src->start[level + 1];
             e == TC_OK && idx * TC_REG_TILE_WIDTH < count; idx++)
            e = write_tile(dir, src, level, idx, buf, leaf, ctx, written, err);
    }
    free(buf);
    return e;
}

static const uint8_t *tree_hashes(const void *ctx, unsigned level, uint64_t first, unsigned w)
{
    const struct tc_reg_tree *t = ctx;
    (void)w;
    return t->level[level * TC_REG_TILE_HEIGHT] + (size_t)first * TC_REG_HASH;
}

enum tc_err tc_tiles_write(const char *dir, struct tc_reg_tree *t,
                           enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                               size_t *len),
                           void *ctx, uint64_t *written, int *err)
{
    struct tile_src src = {.n = t->n, .hashes = tree_hashes, .ctx = t};
    return write_tiles(dir, &src, leaf, ctx, written, err);
}

static const uint8_t *edge_hashes(const void *ctx, unsigned level, uint64_t first, unsigned w)
{
    return tc_reg_edge_row(ctx, level * TC_REG_TILE_HEIGHT, first, w);
}

enum tc_err tc_tiles_append(const char *dir, const struct tc_reg_edge *e,
                            enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                                size_t *len),
                            void *ctx, uint64_t *written, int *err)
{
    struct tile_src src = {.n = e->n, .hashes = edge_hashes, .ctx = e};
    src.start[0] = e->first[0] / TC_REG_TILE_WIDTH;
    for (int t = 0; t < TC_REG_TILE_LEVELS; t++)
        src.start[t + 1] = e->first[t] / TC_REG_TILE_WIDTH;
    return write_tiles(dir, &src, leaf, ctx, written, err);
}

enum tc_err tc_entry_bundle_split(const uint8_t *in, size_t len, unsigned width,
                                  const uint8_t **leaf, size_t *leaf_len)
{
    size_t off = 0;
    for (unsigned k = 0; k < width; k++) {
        if (len - off < 2)
            return TC_ERR_TYPE;
        size_t n = (size_t)in[off] << 8 | in[off + 1];
        off += 2;
        if (n > TC_REG_LEAF_MAX || len - off < n)
            return TC_ERR_TYPE;
        leaf[k] = in + off, leaf_len[k] = n;
        off += n;
    }
    return off == len ? TC_OK : TC_ERR_TRAILING;
}

/* ---- reading --------------------------------------------------------------------------------- */

#define CACHE 8

struct cached {
    int level; /* -2: empty */
    uint64_t index;
    unsigned width;
    size_t len;
    uint8_t *data;
};

struct tc_tile_reader {
    char dir[PATH_MAX];
    uint64_t n;
    struct cached c[CACHE];
    unsigned next;
    char last[160];
    const uint8_t *leaf[TC_REG_TILE_WIDTH];
    size_t leaf_len[TC_REG_TILE_WIDTH];
};

enum tc_err tc_tile_reader_open(const char *dir, uint64_t n, struct tc_tile_reader **out)
{
    *out = NULL;
    if (n > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    struct tc_tile_reader *r = calloc(1, sizeof *r);
    if (!r)
        return TC_ERR_NOMEM;
    if (snprintf(r->dir, sizeof r->dir, "%s", dir) >= (int)sizeof r->dir) {
        free(r);
        return TC_ERR_ARG;
    }
    r->n = n;
    for (int i = 0; i < CACHE; i++)
        r->c[i].level = -2;
    *out = r;
    return TC_OK;
}

void tc_tile_reader_close(struct tc_tile_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < CACHE; i++)
        free(r->c[i].data);
    free(r);
}

const char *tc_tile_reader_last(const struct tc_tile_reader *r)
{
    return r->last;
}

/* the tile (level, index) of this tree, read and size-checked, from the cache or the disk */
static enum tc_err get_tile(struct tc_tile_reader *r, int level, uint64_t index,
                            const struct cached **out)
{
    char rel[128], path[PATH_MAX];
    unsigned w = tc_tile_path(rel, sizeof rel, level, index, r->n);
    if (w == 0)
        return TC_ERR_RANGE;
    for (int i = 0; i < CACHE; i++)
        if (r->c[i].level == level && r->c[i].index == index && r->c[i].width == w) {
            *out = &r->c[i];
            return TC_OK;
        }
    snprintf(r->last, sizeof r->last, "%s", rel);
    if (snprintf(path, sizeof path, "%s/%s", r->dir, rel) >= (int)sizeof path)
        return TC_ERR_ARG;
    size_t max = level >= 0 ? (size_t)w * TC_REG_HASH : (size_t)w * (2 + TC_REG_LEAF_MAX);
    struct cached *c = &r->c[r->next];
    r->next = (r->next + 1) % CACHE;
    if (!c->data && !(c->data = malloc(BUNDLE_MAX)))
        return TC_ERR_NOMEM;
    c->level = -2;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TC_ERR_NOT_FOUND : TC_ERR_IO;
    /* one byte over the tile's most is enough to refuse it */
    size_t len, cap = max < BUNDLE_MAX ? max + 1 : BUNDLE_MAX;
    enum tc_err e = tc_fd_read(fd, c->data, cap, &len);
    close(fd);
    if (e != TC_OK)
        return e;
    if (len == cap)
        return TC_ERR_SIZE_LIMIT;
    if (level >= 0 && len != max)
        return TC_ERR_TYPE;
    c->level = level, c->index = index, c->width = w, c->len = len;
    *out = c;
    return TC_OK;
}

static enum tc_err tile_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[TC_REG_HASH])
{
    struct tc_tile_reader *r = ctx;
    unsigned tl = level / TC_REG_TILE_HEIGHT, rest = level % TC_REG_TILE_HEIGHT;
    if (level >= 64 || index >= (r->n >> level))
        return TC_ERR_RANGE;
    uint64_t first = index << rest, count = UINT64_C(1) << rest;
    const struct cached *c;
    enum tc_err e = get_tile(r, (int)tl, first / TC_REG_TILE_WIDTH, &c);
    if (e != TC_OK)
        return e;
    size_t off = (size_t)(first % TC_REG_TILE_WIDTH);
    if (off + count > c->width)
        return TC_ERR_RANGE;
    /* combine the 2^rest hashes of tree level 8*tl into one */
    uint8_t buf[128][TC_REG_HASH];
    const uint8_t *h = c->data + off * TC_REG_HASH;
    if (count == 1) {
        memcpy(out, h, TC_REG_HASH);
        return TC_OK;
    }
    for (uint64_t k = 0; k < count / 2; k++)
        tc_reg_node_hash(buf[k], h + (2 * k) * TC_REG_HASH, h + (2 * k + 1) * TC_REG_HASH);
    for (uint64_t m = count / 2; m > 1; m /= 2)
        for (uint64_t k = 0; k < m / 2; k++)
            tc_reg_node_hash(buf[k], buf[2 * k], buf[2 * k + 1]);
    memcpy(out, buf[0], TC_REG_HASH);
    return TC_OK;
}

struct tc_reg_source tc_tile_reader_source(struct tc_tile_reader *r)
{
    struct tc_reg_source s = {tile_hash, r};
    return s;
}

enum tc_err tc_tile_reader_leaf(struct tc_tile_reader *r, uint64_t i, const uint8_t **p,
                                size_t *len)
{
    if (i >= r->n)
        return TC_ERR_RANGE;
    uint64_t b = i / TC_REG_TILE_WIDTH;
    const struct cached *c;
    enum tc_err e = get_tile(r, -1, b, &c);
    if (e != TC_OK)
        return e;
    /* split every time: the cached bundle may have been evicted and re-read since */
    if ((e = tc_entry_bundle_split(c->data, c->len, c->width, r->leaf, r->leaf_len)) != TC_OK)
        return e;
    *p = r->leaf[i % TC_REG_TILE_WIDTH];
    *len = r->leaf_len[i % TC_REG_TILE_WIDTH];
    return TC_OK;
}
