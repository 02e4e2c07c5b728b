/*
 * unitsearch.c - matching directory units against what an HR officer types (see unitsearch.h).
 *
 * A name is read once into code points (full-width ASCII folded, ASCII letters lower-cased,
 * spaces dropped) with a bit mask of pinyin initials per character; the query is read the same
 * way. The tests run from the strongest kind of match to the weakest and the first that holds
 * gives the score: nothing is ranked on a weaker match when a stronger one exists. Everything is
 * bounded: a query by TC_UNITSEARCH_QUERY_MAX, a name by TC_UNITSEARCH_NAME_MAX code points, a
 * match by one pass over the name per kind, so a scan of n units costs O(n * name length).
 */
#include <string.h>

#include "unitsearch.h"
#include "initials_table.h"

/* Second readings the GB 2312 order does not give, as unit and place names use them: 重庆 (c),
 * 长春 and 县长 (z beside c), 厦门 (x beside s), 银行 (h), 乐清 (y), 单县 (s), 会计 (k), 西藏
 * (z), 朝阳 (z beside c), 查 and 曾 as surnames, 盛京 (c), 解放 (x beside j), 番禺 (p),
 * 尉犁 (y), 铅山 (y), 调研 (t). Sorted by code point. */
static const struct {
    uint16_t cp;
    char letter;
} extra[] = {
    {0x4E50, 'y'}, {0x4F1A, 'k'}, {0x5355, 's'}, {0x53A6, 's'}, {0x5C09, 'y'}, {0x66FE, 'c'},
    {0x671D, 'z'}, {0x67E5, 'z'}, {0x756A, 'p'}, {0x76DB, 'c'}, {0x85CF, 'z'}, {0x884C, 'h'},
    {0x89E3, 'x'}, {0x8C03, 't'}, {0x91CD, 'c'}, {0x94C5, 'y'}, {0x957F, 'z'},
};

static uint32_t bit(char letter)
{
    return 1u << (letter - 'a');
}

/* The initials a character can stand for, as a mask of letters; 0 for none. */
static uint32_t initials_of(uint32_t cp)
{
    if (cp >= 'a' && cp <= 'z')
        return bit((char)cp);
    if (cp < tc_initials_cp[0] || cp > tc_initials_cp[TC_INITIALS_N - 1])
        return 0;
    uint32_t mask = 0;
    size_t lo = 0, hi = TC_INITIALS_N;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tc_initials_cp[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < TC_INITIALS_N && tc_initials_cp[lo] == cp)
        mask = bit(tc_initials_letter[lo]);
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (extra[i].cp == cp)
            mask |= bit(extra[i].letter);
    return mask;
}

/* One code point from s (at most n bytes) into *cp; returns the bytes it took (at least 1: a
 * byte that does not begin a well-formed sequence stands for U+FFFD). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    *cp = 0xFFFD;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t k = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (k == 0 || k > n || s[0] > 0xF4)
        return 1;
    uint32_t v = s[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = v << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && v < 0x800) || (k == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *cp = v;
    return k;
}

/* Folds a code point as queries and names are compared; 0 for one that is dropped (a space). */
static uint32_t fold(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
        cp -= 0xFEE0;
    if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000)
        return 0;
    if (cp >= 'A' && cp <= 'Z')
        cp += 'a' - 'A';
    return cp;
}

/* Reads up to cap folded code points of s; returns how many. */
static size_t read_folded(const char *s, size_t len, uint32_t *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len && n < cap) {
        uint32_t cp;
        i += utf8_next((const unsigned char *)s + i, len - i, &cp);
        if ((cp = fold(cp)) != 0)
            out[n++] = cp;
    }
    return n;
}

enum tc_err tc_unitsearch_query_parse(struct tc_unitsearch_query *out, const char *q, size_t len)
{
    memset(out, 0, sizeof *out);
    if (len > TC_UNITSEARCH_QUERY_MAX)
        return TC_ERR_SIZE_LIMIT;
    if (!tc_text_safe((const uint8_t *)q, len))
        return TC_ERR_TEXT;
    out->n = read_folded(q, len, out->cp, TC_UNITSEARCH_QUERY_MAX);
    size_t bytes = 0;
    out->letters = out->code = out->n > 0;
    for (size_t i = 0; i < out->n; i++) {
        uint32_t c = out->cp[i];
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        bool letter = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
        out->letters = out->letters && letter;
        out->code = out->code && (letter || digit);
    }
    if (bytes < TC_UNITSEARCH_QUERY_MIN) {
        memset(out, 0, sizeof *out);
        return TC_ERR_ARG;
    }
    return TC_OK;
}

/* 0..99: a match at the start first, then the one that leaves least over */
static unsigned bonus(bool at_start, size_t over)
{
    return (at_start ? 50u : 0u) + 49u - (unsigned)(over < 49 ? over : 49);
}

static unsigned scored(enum tc_unitsearch_how h, unsigned b, enum tc_unitsearch_how *how)
{
    if (how)
        *how = h;
    return (unsigned)h * 100u + b;
}

/* The first run of q in s (q->n code points compared by eq), or -1. */
static long find_run(const uint32_t *s, size_t n, const struct tc_unitsearch_query *q, bool masks)
{
    for (size_t i = 0; i + q->n <= n; i++) {
        size_t k = 0;
        while (k < q->n && (masks ? (s[i + k] & bit((char)q->cp[k])) != 0 : s[i + k] == q->cp[k]))
            k++;
        if (k == q->n)
            return (long)i;
    }
    return -1;
}

/* q in s in order with gaps (the earliest such placing); the span it covers, or 0 for none. */
static size_t find_in_order(const uint32_t *s, size_t n, const struct tc_unitsearch_query *q,
                            bool masks, size_t *first)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i < n && k < q->n; i++) {
        if (masks ? (s[i] & bit((char)q->cp[k])) != 0 : s[i] == q->cp[k]) {
            if (k == 0)
                start = i;
            if (++k == q->n) {
                *first = start;
                return i - start + 1;
            }
        }
    }
    return 0;
}

unsigned tc_unitsearch_score(const struct tc_unitsearch_query *q, const char *name,
                             const char *uscc, enum tc_unitsearch_how *how)
{
    if (how)
        *how = TC_UNITSEARCH_NONE;
    if (!q->n)
        return 0;
    /* the code: an exact prefix, letters compared without case */
    size_t ulen = uscc ? strlen(uscc) : 0;
    if (q->code && q->n <= ulen) {
        size_t k = 0;
        while (k < q->n && fold((unsigned char)uscc[k]) == q->cp[k])
            k++;
        if (k == q->n)
            return scored(TC_UNITSEARCH_CODE, q->n == ulen ? 99u : (unsigned)(q->n * 4), how);
    }
    if (!name)
        return 0;
    uint32_t cps[TC_UNITSEARCH_NAME_MAX], masks[TC_UNITSEARCH_NAME_MAX];
    size_t n = read_folded(name, strlen(name), cps, TC_UNITSEARCH_NAME_MAX), m = 0;
    long at = find_run(cps, n, q, false);
    if (at >= 0)
        return scored(TC_UNITSEARCH_NAME, bonus(at == 0, n - q->n), how);
    /* the initials of the characters that have one (brackets and digits have none) */
    for (size_t i = 0; i < n; i++) {
        uint32_t b = initials_of(cps[i]);
        if (b)
            masks[m++] = b;
    }
    if (q->letters && q->n >= 2 && (at = find_run(masks, m, q, true)) >= 0)
        return scored(TC_UNITSEARCH_INITIALS, bonus(at == 0, m - q->n), how);
    size_t first = 0, span;
    bool wide = false; /* a query with a hanzi (or other non-ASCII) may be characters in order */
    for (size_t i = 0; i < q->n; i++)
        wide = wide || q->cp[i] >= 0x80;
    if (wide && q->n >= 2 && (span = find_in_order(cps, n, q, false, &first)) != 0)
        return scored(TC_UNITSEARCH_PARTS, bonus(first == 0, span - q->n), how);
    if (q->letters && q->n >= 2 && (span = find_in_order(masks, m, q, true, &first)) != 0)
        return scored(TC_UNITSEARCH_INITIALS_IN_ORDER, bonus(first == 0, span - q->n), how);
    return 0;
}

size_t tc_unitsearch_initials(const char *name, char *out, size_t cap)
{
    uint32_t cps[TC_UNITSEARCH_NAME_MAX];
    size_t n = read_folded(name, strlen(name), cps, TC_UNITSEARCH_NAME_MAX), k = 0;
    if (!cap)
        return 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        uint32_t b = initials_of(cps[i]);
        if (!b)
            continue;
        /* the first reading: the table's own letter, which extra[] never replaces */
        char letter = 'a';
        if (cps[i] >= 'a' && cps[i] <= 'z') {
            letter = (char)cps[i];
        } else {
            uint32_t own = b;
            for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++)
                if (extra[e].cp == cps[i])
                    own &= ~bit(extra[e].letter);
            while (!(own & 1u) && own)
                own >>= 1, letter++;
        }
        out[k++] = letter;
    }
    out[k] = '\0';
    return k;
}

void tc_unitsearch_top_init(struct tc_unitsearch_top *t)
{
    memset(t, 0, sizeof *t);
}

/* whether a comes before b: higher score, then name, then index */
static bool before(unsigned sa, const char *na, size_t ia, unsigned sb, const char *nb, size_t ib)
{
    if (sa != sb)
        return sa > sb;
    int c = strcmp(na ? na : "", nb ? nb : "");
    return c != 0 ? c < 0 : ia < ib;
}

void tc_unitsearch_top_add(struct tc_unitsearch_top *t, size_t index, unsigned score,
                           const char *name)
{
    if (!score)
        return;
    t->total++;
    size_t at = t->n;
    while (at > 0 && before(score, name, index, t->e[at - 1].score, t->e[at - 1].name,
                            t->e[at - 1].index))
        at--;
    if (at >= TC_UNITSEARCH_RESULTS_MAX)
        return;
    size_t keep = t->n < TC_UNITSEARCH_RESULTS_MAX ? t->n : TC_UNITSEARCH_RESULTS_MAX - 1;
    memmove(&t->e[at + 1], &t->e[at], (keep - at) * sizeof t->e[0]);
    t->e[at].index = index, t->e[at].score = score, t->e[at].name = name;
    if (t->n < TC_UNITSEARCH_RESULTS_MAX)
        t->n++;
}
