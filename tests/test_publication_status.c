/*
 * test_publication_status.c - what a register's entries say about certificates
 * (publication/status.c, A3): tc_reg_status_finish finds what the lists must not hold (an id
 * issued twice, a revocation or supersession of an id never issued, one made twice) wherever it
 * falls in the index: before its first id, in a gap, on its last, after it, and after a long
 * run of ids it does hold (the search goes on from the last one), with and without a base
 * bundle. Each case is counted against sentences worked out by hand.
 */
#include <stdio.h>
#include <string.h>

#include "publication.h"
#include "tap.h"

struct said {
    char lines[16][256];
    size_t n;
};

static void collect(void *ctx, const char *line)
{
    struct said *s = ctx;
    if (s->n < 16)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s", line);
}

static bool said(const struct said *s, const char *text)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->lines[i], text))
            return true;
    return false;
}

static void add(struct tc_reg_status *st, uint8_t kind, uint64_t id, uint64_t entry)
{
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = kind, l.id = id, l.day = 20000;
    if (kind == TC_REG_REVOKE)
        snprintf(l.reason, sizeof l.reason, "error");
    if (kind == TC_REG_SUPERSEDE)
        l.other = id + 1;
    tc_reg_status_add(st, entry, &l);
}

/* The index: ids 100, 110, ..., 100 + 10 * (n - 1), in entry order. */
static void index_of(struct tc_reg_status *st, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add(st, TC_REG_ISSUE, 100 + 10 * i, i);
}

int main(void)
{
    const size_t n = 5000; /* ids 100 .. 50090 */
    struct {
        const char *what;
        uint64_t revoked[6], superseded[3];
        size_t n_revoked, n_superseded, bad;
        const char *says[3];
    } cases[] = {
        {"every revocation of an issued id, first, inner and last", {100, 25000, 50090}, {110}, 3,
         1, 0, {NULL}},
        {"a revocation below every id", {99, 100}, {0}, 2, 0, 1,
         {"a revocation of certificate 99, which the register never issued"}},
        {"a revocation in a gap, after a long run it holds", {100, 110, 120, 49995}, {0}, 4, 0, 1,
         {"certificate 49995, which the register never issued"}},
        {"a revocation above every id", {50090, 50100}, {0}, 2, 0, 1,
         {"certificate 50100, which the register never issued"}},
        {"a certificate revoked twice", {300, 300, 400}, {0}, 3, 0, 1,
         {"certificate 300: revoked twice"}},
        {"a supersession of an id never issued, and one twice", {0}, {105, 200, 200}, 0, 3, 2,
         {"a supersession of certificate 105", "certificate 200: superseded twice"}},
        {"revocations entered out of order", {40000, 100, 99999}, {0}, 3, 0, 1,
         {"certificate 99999, which the register never issued"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct tc_reg_status st;
        struct said s = {.n = 0};
        struct tc_reg_report rep = {collect, &s, 0};
        tc_reg_status_init(&st);
        index_of(&st, n);
        for (size_t i = 0; i < cases[c].n_revoked; i++)
            add(&st, TC_REG_REVOKE, cases[c].revoked[i], n + i);
        for (size_t i = 0; i < cases[c].n_superseded; i++)
            add(&st, TC_REG_SUPERSEDE, cases[c].superseded[i], 2 * n + i);
        size_t bad = tc_reg_status_finish(&st, NULL, &rep);
        bool all = true;
        for (size_t k = 0; k < 3 && cases[c].says[k]; k++)
            all = all && said(&s, cases[c].says[k]);
        if (!ok(bad == cases[c].bad && all, "%s: %zu found (%zu expected), each named",
                cases[c].what, bad, cases[c].bad))
            for (size_t i = 0; i < s.n; i++)
                printf("# said: %s\n", s.lines[i]);
        tc_reg_status_free(&st);
    }
    /* an id issued twice, the second time far from the first */
    struct tc_reg_status st;
    struct said s = {.n = 0};
    struct tc_reg_report rep = {collect, &s, 0};
    tc_reg_status_init(&st);
    index_of(&st, n);
    add(&st, TC_REG_ISSUE, 2000, n);
    add(&st, TC_REG_REVOKE, 2000, n + 1);
    ok(tc_reg_status_finish(&st, NULL, &rep) == 1 && said(&s, "certificate 2000: issued twice"),
       "an id issued again later: found once, named");
    tc_reg_status_free(&st);
    return tap_done();
}
