/*
 * edge.c - the right edge of a tree as its tiles hold it, to append to without the rest of the
 * tree. A tile of level T holds 256 hashes of tree level 8T; when a tree of `from` leaves grows,
 * only the tiles from the one holding position from >> 8T change at each level. Those rows (the
 * last partial tile of each level, then everything new) are all a publication needs: the
 * frontier of the old size and of the new one lie in them (a complete subtree of level 8T + r,
 * r < 8, at the right of a tree is 2^r hashes of the last tile of level T), so do the root, the
 * new tiles and the hashes the next level's new entries are made of.
 *
 * Appending works like a 256-ary counter: the 256th hash of a tile row completes a hash of the
 * level above, which goes into that level's row.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

void tc_reg_edge_init(struct tc_reg_edge *e)
{
    memset(e, 0, sizeof *e);
}

void tc_reg_edge_free(struct tc_reg_edge *e)
{
    for (int t = 0; t < TC_REG_TILE_LEVELS; t++)
        free(e->row[t]);
    memset(e, 0, sizeof *e);
}

static uint64_t level_count(unsigned t, uint64_t n)
{
    return t * TC_REG_TILE_HEIGHT >= 64 ? 0 : n >> (t * TC_REG_TILE_HEIGHT);
}

static enum tc_err row_push(struct tc_reg_edge *e, unsigned t, const uint8_t h[TC_REG_HASH])
{
    if (e->count[t] == e->cap[t]) {
        uint64_t cap = e->cap[t] ? e->cap[t] * 2 : TC_REG_TILE_WIDTH;
        uint8_t *g = realloc(e->row[t], (size_t)cap * TC_REG_HASH);
        if (!g)
            return TC_ERR_NOMEM;
        e->row[t] = g, e->cap[t] = cap;
    }
    memcpy(e->row[t] + (size_t)e->count[t]++ * TC_REG_HASH, h, TC_REG_HASH);
    return TC_OK;
}

enum tc_err tc_reg_edge_start(struct tc_reg_edge *e, uint64_t size, tc_reg_rows_fn rows,
                              void *ctx)
{
    tc_reg_edge_free(e);
    if (size > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    e->from = e->n = size;
    enum tc_err err = TC_OK;
    for (unsigned t = 0; t < TC_REG_TILE_LEVELS && err == TC_OK; t++) {
        uint64_t count = level_count(t, size), first = count / TC_REG_TILE_WIDTH;
        first *= TC_REG_TILE_WIDTH;
        e->first[t] = first;
        size_t w = (size_t)(count - first);
        if (w == 0)
            continue;
        uint8_t buf[TC_REG_TILE_WIDTH * TC_REG_HASH];
        if ((err = rows(ctx, t * TC_REG_TILE_HEIGHT, first, w, buf)) != TC_OK)
            break;
        for (size_t k = 0; k < w && err == TC_OK; k++)
            err = row_push(e, t, buf + k * TC_REG_HASH);
    }
    if (err != TC_OK)
        tc_reg_edge_free(e);
    return err;
}

void tc_reg_hash_run(const uint8_t *h, uint64_t count, uint8_t out[TC_REG_HASH])
{
    uint8_t buf[TC_REG_TILE_WIDTH / 2][TC_REG_HASH];
    if (count == 1) {
        memcpy(out, h, TC_REG_HASH);
        return;
    }
    for (uint64_t k = 0; k < count / 2; k++)
        tc_reg_node_hash(buf[k], h + 2 * k * TC_REG_HASH, h + (2 * k + 1) * TC_REG_HASH);
    for (uint64_t m = count / 2; m > 1; m /= 2)
        for (uint64_t k = 0; k < m / 2; k++)
            tc_reg_node_hash(buf[k], buf[2 * k], buf[2 * k + 1]);
    memcpy(out, buf[0], TC_REG_HASH);
}

enum tc_err tc_reg_edge_append(struct tc_reg_edge *e, const uint8_t leaf_hash[TC_REG_HASH])
{
    if (e->n >= TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    uint8_t h[TC_REG_HASH];
    uint64_t saved[TC_REG_TILE_LEVELS];
    memcpy(h, leaf_hash, TC_REG_HASH);
    memcpy(saved, e->count, sizeof saved);
    /* the hashes a new leaf completes, level by level; a failed allocation puts the rows back */
    for (unsigned t = 0; t < TC_REG_TILE_LEVELS; t++) {
        if (row_push(e, t, h) != TC_OK) {
            memcpy(e->count, saved, sizeof saved);
            return TC_ERR_NOMEM;
        }
        uint64_t count = e->first[t] + e->count[t];
        if (count % TC_REG_TILE_WIDTH != 0 || t + 1 == TC_REG_TILE_LEVELS)
            break;
        tc_reg_hash_run(e->row[t] + (size_t)(e->count[t] - TC_REG_TILE_WIDTH) * TC_REG_HASH,
                TC_REG_TILE_WIDTH, h);
    }
    e->n++;
    return TC_OK;
}

static uint64_t row_len(const struct tc_reg_edge *e, unsigned t)
{
    uint64_t count = level_count(t, e->n);
    return count > e->first[t] ? count - e->first[t] : 0;
}

const uint8_t *tc_reg_edge_row(const struct tc_reg_edge *e, unsigned level, uint64_t first,
                               uint64_t count)
{
    if (level % TC_REG_TILE_HEIGHT || level / TC_REG_TILE_HEIGHT >= TC_REG_TILE_LEVELS)
        return NULL;
    unsigned t = level / TC_REG_TILE_HEIGHT;
    if (first < e->first[t] || count > row_len(e, t) || first - e->first[t] > row_len(e, t) - count)
        return NULL;
    return e->row[t] + (size_t)(first - e->first[t]) * TC_REG_HASH;
}

static enum tc_err edge_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[TC_REG_HASH])
{
    const struct tc_reg_edge *e = ctx;
    if (level >= 64)
        return TC_ERR_RANGE;
    unsigned t = level / TC_REG_TILE_HEIGHT, rest = level % TC_REG_TILE_HEIGHT;
    uint64_t count = UINT64_C(1) << rest;
    if (index > (UINT64_MAX >> rest))
        return TC_ERR_RANGE;
    const uint8_t *h = tc_reg_edge_row(e, t * TC_REG_TILE_HEIGHT, index << rest, count);
    if (!h)
        return TC_ERR_NOT_FOUND;
    tc_reg_hash_run(h, count, out);
    return TC_OK;
}

struct tc_reg_source tc_reg_edge_source(struct tc_reg_edge *e)
{
    struct tc_reg_source s = {edge_hash, e};
    return s;
}
