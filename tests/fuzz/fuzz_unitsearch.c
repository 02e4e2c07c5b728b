/*
 * fuzz_unitsearch.c - libFuzzer target for the unit search: the input's first byte says where the
 * rest splits into a query and a name; the query is parsed, matched against the name and a code,
 * and the name's initials are taken. Property: a query that parses matches its own text as a name
 * (a query is a piece of itself), unless it is all spaces folded away.
 */
#include <stdlib.h>
#include <string.h>

#include "unitsearch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    size_t split = data[0] % (size < 80 ? size : 80);
    char q[81], name[4097];
    size_t qn = split, nn = size - 1 - split; /* split < size */
    memcpy(q, data + 1, qn);
    q[qn] = '\0';
    memcpy(name, data + 1 + qn, nn);
    name[nn] = '\0';
    struct tc_unitsearch_query query;
    if (tc_unitsearch_query_parse(&query, q, strlen(q)) == TC_OK) {
        enum tc_unitsearch_how how;
        tc_unitsearch_score(&query, name, "12620000438000456W", &how);
        if (query.n <= TC_UNITSEARCH_NAME_MAX && tc_unitsearch_score(&query, q, "", NULL) == 0)
            abort(); /* a query is always a piece of itself */
    }
    char out[64];
    tc_unitsearch_initials(name, out, sizeof out);
    return 0;
}
