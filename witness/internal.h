/*
 * internal.h - what the witness's own files share and nobody else uses.
 */
#ifndef TC_WITNESS_INTERNAL_H
#define TC_WITNESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An ASCII decimal of n bytes with no sign and no leading zero (but "0"), at most max. The
 * protocol's sizes and timestamps are written that way, and only one way, so that a number
 * always has one spelling. */
bool tc_witness_decimal(const char *s, size_t n, uint64_t max, uint64_t *out);

#endif
