/*
 * fuzz_calendar.c - libFuzzer target for the working-day calendar's year files
 * (policy/calendar.c), which an administrator uploads. Properties: no input makes the parser read
 * past its end or accept more than TC_CALENDAR_MAX_BYTES; every refusal says why, in safe text;
 * whatever the parser accepts, tc_calendar_add accepts too (the two share their checks), and the
 * calendar built from it answers for every day of the year and for no other: a period of all the
 * year's working days from 1 January ends inside the year holding exactly that many, and one day
 * longer is refused naming the next year.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_year(const struct tc_calendar_year *y, size_t size)
{
    struct tc_calendar *cal = NULL;
    int32_t jan1, dec31, first, last;
    unsigned total = 0, n = 0;
    int missing = 0;
    if (size > TC_CALENDAR_MAX_BYTES || tc_calendar_new(&cal) != TC_OK)
        abort();
    if (tc_calendar_add(cal, y, 0) != TC_OK || !tc_day_index(&jan1, y->year, 1, 1) ||
        !tc_day_index(&dec31, y->year, 12, 31) ||
        tc_calendar_count(cal, jan1, dec31, &total, NULL) != TC_OK || total == 0)
        abort();
    if (total <= TC_CALENDAR_MAX_PERIOD) {
        if (tc_calendar_period(cal, jan1, total, &first, &last, NULL) != TC_OK || last > dec31 ||
            tc_calendar_count(cal, first, last, &n, NULL) != TC_OK || n != total)
            abort();
    }
    if (total < TC_CALENDAR_MAX_PERIOD &&
        (tc_calendar_period(cal, jan1, total + 1, &first, &last, &missing) != TC_ERR_RANGE ||
         missing != y->year + 1))
        abort();
    tc_calendar_free(cal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TC_CALENDAR_MAX_BYTES + 16)
        return 0;
    /* a copy of exactly size bytes, so that an over-read is ASan's to see */
    char *in = malloc(size ? size : 1);
    struct tc_calendar_year *y = malloc(sizeof *y);
    char why[TC_CALENDAR_WHY_MAX];
    if (!in || !y)
        abort();
    memcpy(in, data, size);
    why[0] = '\0';
    if (tc_calendar_year_parse(y, in, size, why, sizeof why) == TC_OK)
        check_year(y, size);
    else if (!why[0] || !tc_text_safe((const uint8_t *)why, strlen(why)))
        abort();
    free(y);
    free(in);
    return 0;
}
