/*
 * test_cert_codes.c - identifiers and calendars: the USCC (GB 32100) and resident ID (GB 11643)
 * vectors from data/check_vectors.csv, ID masking, USCC packing, division-code regions (S3), day
 * and month arithmetic (C4), and the series x level -> title table (T1).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"

static void test_check_vectors(void)
{
    const char *dir = getenv("TC_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/check_vectors.csv", dir ? dir : "data");
    FILE *f = fopen(path, "r");
    if (!f) {
        tap_skip("data/check_vectors.csv not found (TC_DATA_DIR)");
        return;
    }
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char kind[16], value[128], expected[16];
        if (sscanf(line, "%15[^,],%127[^,],%15[^,]", kind, value, expected) != 3)
            continue;
        bool want = strcmp(expected, "valid") == 0;
        if (strcmp(kind, "uscc") == 0) {
            ok(tc_uscc_valid(value) == want, "GB 32100 %s is %s", value, expected);
            n++;
        } else if (strcmp(kind, "idcard") == 0) {
            ok(tc_idno_valid(value) == want, "GB 11643 %s is %s", value, expected);
            n++;
        }
    }
    fclose(f);
    ok(n >= 17, "%d check vectors read", n);
    ok(tc_uscc_well_formed("91350211M00013FA1N") && !tc_uscc_valid("91350211M00013FA1N"),
       "an early-pilot USCC is well formed but fails the check character");
}

static void test_masks_and_packing(void)
{
    char mask[TC_ID_MASK_LEN + 1], shown[TC_IDNO_LEN + 1];
    is_err(tc_idno_mask(mask, "11010519491231002X"), TC_OK, "mask of a valid ID number");
    ok(strcmp(mask, "002X") == 0, "mask keeps the last four characters: %s", mask);
    tc_idno_mask_display(shown, mask);
    ok(strcmp(shown, "**************002X") == 0, "shown as %s", shown);
    is_err(tc_idno_mask(mask, "110105194912310021"), TC_ERR_CODE, "no mask of an invalid number");
    uint8_t packed[TC_USCC_PACKED];
    char back[TC_USCC_LEN + 1];
    const char *codes[] = {"000000000000000000", "YYYYYYYYYYYYYYYYYY", "12620102438000123H"};
    for (size_t i = 0; i < 3; i++) {
        is_err(tc_uscc_pack(packed, codes[i]), TC_OK, "pack %s", codes[i]);
        is_err(tc_uscc_unpack(back, packed), TC_OK, "unpack");
        ok(strcmp(back, codes[i]) == 0, "USCC %s survives packing", codes[i]);
    }
    is_err(tc_uscc_pack(packed, "1262010243800012IH"), TC_ERR_CODE, "I is not in the alphabet");
}

static void test_regions(void)
{
    ok(tc_region_valid(62) && tc_region_valid(6229) && tc_region_valid(620102), "2/4/6 digits");
    ok(!tc_region_valid(620) && !tc_region_valid(6200) && !tc_region_valid(99) &&
           !tc_region_valid(0) && !tc_region_valid(620100),
       "3 digits, trailing 00 pairs and province 99 are not region prefixes");
    ok(tc_region_code6(6229) == 622900, "6229 is 622900");
    ok(tc_region_contains(62, 622921) && tc_region_contains(6229, 622921) &&
           !tc_region_contains(6230, 622921) && !tc_region_contains(50, 622921),
       "S3: 临夏县 622921 lies in 62 and 6229, not in 6230 or 50");
}

static void test_calendar(void)
{
    int32_t d;
    ok(tc_day_parse(&d, "1970-01-01") && d == 0, "epoch is day 0");
    ok(tc_day_parse(&d, "2000-03-01") && d == 11017, "2000-03-01 is day 11017");
    ok(!tc_day_parse(&d, "2023-02-29"), "2023-02-29 does not exist");
    ok(tc_day_parse(&d, "2024-02-29"), "2024-02-29 exists");
    ok(!tc_day_parse(&d, "2024-2-29") && !tc_day_parse(&d, "2024-02-29x"), "strict format");
    int bad = 0;
    for (int32_t day = -62000; day < 80000; day += 7) {
        char s[11];
        int32_t back;
        tc_day_format(s, day);
        if (!tc_day_parse(&back, s) || back != day)
            bad++;
    }
    ok(bad == 0, "days from 1800 to 2189 format and parse back");
    int ey, emo, ed, ly, lmo, ld;
    tc_day_split(INT32_MAX, &ey, &emo, &ed);
    tc_day_split(INT32_MIN, &ly, &lmo, &ld);
    ok(ey > 5000000 && emo >= 1 && emo <= 12 && ed >= 1 && ed <= 31 && ly < -5000000 && lmo >= 1 &&
           lmo <= 12,
       "the extreme day indexes split into real dates (year %d, %d), without overflow", ey, ly);
    int32_t m;
    ok(tc_month_parse(&m, "2026-12") && m == 2026 * 12 + 11, "C4: month index of 2026-12");
    char ms[8];
    tc_month_format(ms, m + 60);
    ok(strcmp(ms, "2031-12") == 0, "C1: 60 months after 2026-12 is %s", ms);
    ok(!tc_month_parse(&m, "2026-13"), "month 13");
}

static void test_titles(void)
{
    uint16_t ws = tc_series_id("WS-YL");
    const struct tc_title *t = tc_title_lookup(ws, TC_LEVEL_FUGAO, 0);
    ok(t && strcmp(t->title, "副主任医师") == 0, "T1: 卫生(医疗) x 副高级 = 副主任医师");
    t = tc_title_lookup(tc_series_id("ZXXJS"), TC_LEVEL_ZHONGJI, 0);
    ok(t && strcmp(t->title, "一级教师") == 0, "T1: 中小学教师 x 中级 = 一级教师");
    ok(tc_title_lookup(tc_series_id("KJ"), TC_LEVEL_YUAN, 0) == NULL,
       "T1: 会计 has no 员级 title (初级只设助理级)");
    ok(tc_series_id("NOPE") == 0, "unknown series code");
    size_t n;
    tc_title_table(&n);
    ok(n == 58, "the whole table (58 rows) is compiled in");
}

int main(void)
{
    test_check_vectors();
    test_masks_and_packing();
    test_regions();
    test_calendar();
    test_titles();
    return tap_done();
}
