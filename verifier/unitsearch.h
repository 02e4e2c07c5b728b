/*
 * unitsearch.h - finding a unit in the directory by what an HR officer types: a piece of its name
 * ("人民医院"), its characters in order ("省医院" for 甘肃省人民医院), the pinyin initials of its
 * name ("rmyy", "gssrmyy", "gsrmyy") or the start of its unified social credit code ("1262").
 *
 * Pure functions over UTF-8 text: no bundle, no HTTP, no allocation. GET /api/v1/units?q=
 * (server.c) calls them over the directory entries valid today.
 *
 * Pinyin initials come from a table generated at build time (scripts/gen_initials.py) from the
 * GB 2312 level-1 ordering: its 3755 common hanzi are sorted by pinyin, so where each initial
 * letter begins gives every character's initial. Characters read otherwise in unit and place
 * names (重庆, 厦门, 银行, 六安, 乐清, 单县 ...) carry both initials. Level-2 hanzi (sorted by
 * radical) have none: a name holding one is still found by its characters.
 */
#ifndef TC_UNITSEARCH_H
#define TC_UNITSEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#define TC_UNITSEARCH_QUERY_MAX 64   /* bytes of a query (the server's bound on q) */
#define TC_UNITSEARCH_QUERY_MIN 2    /* bytes: one hanzi, or two letters or digits */
#define TC_UNITSEARCH_RESULTS_MAX 20 /* units in one answer */
#define TC_UNITSEARCH_NAME_MAX 128   /* code points of a name that are looked at */

/* How a unit matched, strongest last. */
enum tc_unitsearch_how {
    TC_UNITSEARCH_NONE = 0,
    TC_UNITSEARCH_INITIALS_IN_ORDER, /* "gsrmyy": the initials in order, with gaps */
    TC_UNITSEARCH_PARTS,             /* "省医院": the characters in order, with gaps */
    TC_UNITSEARCH_INITIALS,          /* "rmyy": a run of the name's initials */
    TC_UNITSEARCH_NAME,              /* "人民医院": a piece of the name */
    TC_UNITSEARCH_CODE,              /* "1262": the start of the code */
};

/* A query, normalised: full-width ASCII folded to ASCII, ASCII letters to lower case, spaces
 * (ASCII and U+3000) removed. */
struct tc_unitsearch_query {
    uint32_t cp[TC_UNITSEARCH_QUERY_MAX];
    size_t n;
    bool letters; /* only ASCII letters: may be pinyin initials */
    bool code;    /* only ASCII letters and digits: may be the start of a code */
};

/* Reads q (len bytes). TC_ERR_SIZE_LIMIT above TC_UNITSEARCH_QUERY_MAX bytes, TC_ERR_TEXT when it
 * is not safe text (tc_text_safe), TC_ERR_ARG when less than TC_UNITSEARCH_QUERY_MIN bytes are
 * left once spaces are removed. */
enum tc_err tc_unitsearch_query_parse(struct tc_unitsearch_query *out, const char *q, size_t len);

/* How well a unit (its name and 18-character code) matches: 0 for not at all, else a score whose
 * hundreds follow enum tc_unitsearch_how (a code above a piece of the name above initials above
 * characters in order above initials in order) and whose rest prefers a match at the start and
 * a tighter one. *how (may be NULL) says by what. */
unsigned tc_unitsearch_score(const struct tc_unitsearch_query *q, const char *name,
                             const char *uscc, enum tc_unitsearch_how *how);

/* The pinyin initials of a name, lower case, one per hanzi the table knows (its first reading)
 * and per ASCII letter; other characters are skipped. Writes at most cap-1 letters and a NUL;
 * returns how many letters were written. */
size_t tc_unitsearch_initials(const char *name, char *out, size_t cap);

/* The best TC_UNITSEARCH_RESULTS_MAX of a scan, in the order to answer them: score, then name
 * (bytes), then index. total counts every match offered, for "more". */
struct tc_unitsearch_top {
    size_t n, total;
    struct {
        size_t index;
        unsigned score;
        const char *name;
    } e[TC_UNITSEARCH_RESULTS_MAX];
};
void tc_unitsearch_top_init(struct tc_unitsearch_top *t);
/* Offers the unit at index (name must outlive t) with its score; a score of 0 is ignored. */
void tc_unitsearch_top_add(struct tc_unitsearch_top *t, size_t index, unsigned score,
                           const char *name);

#endif
