/*
 * fuzz_chunk.c - libFuzzer target for the status bundle's index chunk files (publication/read.c).
 * Mode 0 feeds the input to the chunk reader as it reads a file (exactly 65,536 entries, so
 * mostly the shape checks); mode 1 to the same reader taking the number of entries the input
 * says, so that entries, ordering and the trailing check all see arbitrary bytes. The hash a
 * reader checks first is not what is fuzzed here: a chunk whose hash matches is publisher's
 * bytes, and this reader must still be safe on any.
 */
#include <stdlib.h>

#include "publication.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
enum tc_err tc_index_chunk_fuzz(const uint8_t *in, size_t len); /* publication/read.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tc_bundle_registered *v;
    if (!v && !(v = calloc(TC_INDEX_CHUNK, sizeof *v)))
        return 0;
    if (size < 1 || size > TC_INDEX_CHUNK_MAX_BYTES + 1)
        return 0;
    if (data[0] % 2 == 0)
        tc_index_chunk_read(data + 1, size - 1, v);
    else
        tc_index_chunk_fuzz(data + 1, size - 1);
    return 0;
}
