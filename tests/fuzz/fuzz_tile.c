/*
 * fuzz_tile.c - libFuzzer target for what the register reads from published files: entry
 * bundles (2-byte lengths and leaves) of a width given by the first byte, each leaf decoded
 * strictly; and a hash tile of arbitrary bytes, read through the tile reader from a scratch
 * directory and used to compute a root and a proof.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > TC_REG_TILE_WIDTH * (2 + TC_REG_LEAF_MAX))
        return 0;
    unsigned width = 1 + data[0] % TC_REG_TILE_WIDTH;
    const uint8_t *leaf[TC_REG_TILE_WIDTH];
    size_t len[TC_REG_TILE_WIDTH];
    if (data[1] & 1) {
        if (tc_entry_bundle_split(data + 2, size - 2, width, leaf, len) == TC_OK)
            for (unsigned k = 0; k < width; k++) {
                struct tc_reg_leaf l;
                uint8_t h[TC_REG_HASH];
                if (tc_reg_leaf_decode(leaf[k], len[k], &l) == TC_OK)
                    tc_reg_leaf_hash(h, leaf[k], len[k]);
            }
        return 0;
    }
    /* a level-0 tile of `width` hashes for a tree of that size */
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/tc_fuzz_tile_%ld", (long)getpid());
        char sub[96];
        mkdir(dir, 0700);
        snprintf(sub, sizeof sub, "%s/tile", dir);
        mkdir(sub, 0700);
        snprintf(sub, sizeof sub, "%s/tile/0", dir);
        mkdir(sub, 0700);
    }
    char rel[64], path[160];
    tc_tile_path(rel, sizeof rel, 0, 0, width);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (width < TC_REG_TILE_WIDTH) {
        char d[160];
        snprintf(d, sizeof d, "%s/tile/0/000.p", dir);
        mkdir(d, 0700);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 2, 1, size - 2, f);
    fclose(f);
    struct tc_tile_reader *r;
    if (tc_tile_reader_open(dir, width, &r) == TC_OK) {
        struct tc_reg_source s = tc_tile_reader_source(r);
        uint8_t root[TC_REG_HASH], proof[TC_REG_PROOF_MAX][TC_REG_HASH];
        size_t n;
        if (tc_reg_root(&s, width, root) == TC_OK)
            (void)tc_reg_prove_inclusion(&s, data[1] % width, width, proof, &n);
        tc_tile_reader_close(r);
    }
    unlink(path);
    char d[160];
    snprintf(d, sizeof d, "%s/tile/0/000.p", dir);
    rmdir(d);
    snprintf(d, sizeof d, "%s/tile/0", dir);
    rmdir(d);
    snprintf(d, sizeof d, "%s/tile", dir);
    rmdir(d);
    rmdir(dir);
    dir[0] = '\0'; /* made again next time: nothing stays behind */
    return 0;
}
