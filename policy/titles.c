/*
 * titles.c - rule T1: the series x level -> title table, generated at build time from
 * data/title_levels.csv (see scripts/gen_titles.py). A linear scan is enough: the table has a few
 * dozen rows and lookups happen once per certificate shown.
 */
#include <string.h>

#include "policy.h"

extern const struct tc_title tc_titles_generated[];
extern const size_t tc_titles_generated_count;

const struct tc_title *tc_title_lookup(uint16_t series, uint8_t level, uint8_t variant)
{
    for (size_t i = 0; i < tc_titles_generated_count; i++) {
        const struct tc_title *t = &tc_titles_generated[i];
        if (t->series == series && t->level == level && t->variant == variant)
            return t;
    }
    return NULL;
}

uint16_t tc_series_id(const char *series_code)
{
    for (size_t i = 0; i < tc_titles_generated_count; i++)
        if (strcmp(tc_titles_generated[i].series_code, series_code) == 0)
            return tc_titles_generated[i].series;
    return 0;
}

const struct tc_title *tc_title_table(size_t *count)
{
    *count = tc_titles_generated_count;
    return tc_titles_generated;
}
