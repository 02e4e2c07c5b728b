/*
 * test_policy_calendar.c - the working-day calendar (policy/calendar.c) and the 公示 period rule.
 * The shipped year files load and say what the State Council's notices say; periods over the
 * 2026 春节 week, 调休 weekends, National Day and the turn of the year end on the days worked out
 * by hand below from the notices; a period that needs a year not held is refused naming it; every
 * malformed year file of a table is refused with its reason; and for random publication days and
 * lengths the period holds exactly its number of working days.
 *
 * The notices (data/calendar/README.md has the sources), in their words:
 *   2026, 国办发明电〔2025〕7号:
 *     元旦 1月1日（周四）至3日（周六）放假，1月4日（周日）上班；
 *     春节 2月15日（周日）至23日（周一）放假，2月14日（周六）、2月28日（周六）上班；
 *     清明节 4月4日至6日；劳动节 5月1日至5日，5月9日（周六）上班；端午节 6月19日至21日；
 *     中秋节 9月25日（周五）至27日（周日）；
 *     国庆节 10月1日（周四）至7日（周三）放假，9月20日（周日）、10月10日（周六）上班。
 *   2025, 国办发明电〔2024〕12号:
 *     元旦 1月1日；春节 1月28日至2月4日，1月26日、2月8日上班；清明节 4月4日至6日；
 *     劳动节 5月1日至5日，4月27日上班；端午节 5月31日至6月2日；
 *     国庆节、中秋节 10月1日至8日，9月28日、10月11日上班。
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "tap.h"

static int32_t D(const char *s)
{
    int32_t d = 0;
    if (!tc_day_parse(&d, s))
        abort(); /* a typo in this file, not a finding */
    return d;
}

static struct tc_calendar *shipped(void)
{
    struct tc_calendar *cal = NULL;
    char why[TC_CALENDAR_WHY_MAX] = "";
    if (tc_calendar_new(&cal) != TC_OK)
        abort();
    enum tc_err e = tc_calendar_load_dir(cal, tc_calendar_dir(), 0, why, sizeof why);
    is_err(e, TC_OK, "the shipped year files load from %s %s", tc_calendar_dir(), why);
    return cal;
}

/* ------------------------------------------------------------------------------------------ */

static void shipped_files(void)
{
    struct tc_calendar *cal = shipped();
    int years[8];
    size_t n = tc_calendar_years(cal, years, 8);
    ok(n == 2 && years[0] == 2025 && years[1] == 2026, "2025 and 2026 are shipped (%zu years)", n);
    const struct tc_calendar_year *y = tc_calendar_get(cal, 2026);
    ok(y && strcmp(y->number, "国办发明电〔2025〕7号") == 0 && y->published == D("2025-11-04") &&
           strcmp(y->url, "https://www.gov.cn/zhengce/content/202511/content_7047090.htm") == 0,
       "2026 names its notice: 国办发明电〔2025〕7号 of 2025-11-04 on www.gov.cn");
    y = tc_calendar_get(cal, 2025);
    ok(y && strcmp(y->number, "国办发明电〔2024〕12号") == 0 && y->published == D("2024-11-12"),
       "2025 names its notice: 国办发明电〔2024〕12号 of 2024-11-12");
    ok(tc_calendar_get(cal, 2027) == NULL, "2027 is not held (its notice was not found)");

    /* without TITLECERT_CALENDAR, the installed directory */
    char *env = strdup(getenv("TITLECERT_CALENDAR") ? getenv("TITLECERT_CALENDAR") : "");
    unsetenv("TITLECERT_CALENDAR");
    const char *d = tc_calendar_dir();
    size_t dl = strlen(d);
    ok(dl > 19 && strcmp(d + dl - 19, "/titlecert/calendar") == 0,
       "unset, TITLECERT_CALENDAR gives way to the datadir (%s)", d);
    setenv("TITLECERT_CALENDAR", env, 1);
    free(env);

    /* counted from the notices by hand: days off, 调休 days, and working days of the year
     * (2026: 261 weekdays - 19 weekday holidays + 6 调休 = 248; 2025: 261 - 18 + 5 = 248) */
    static const struct {
        int year;
        unsigned off, worked, working;
    } want[] = {{2025, 28, 5, 248}, {2026, 33, 6, 248}};
    for (size_t i = 0; i < 2; i++) {
        y = tc_calendar_get(cal, want[i].year);
        unsigned off = 0, working = 0;
        for (size_t k = 0; y && k < y->nholidays; k++)
            off += (unsigned)(y->holidays[k].to - y->holidays[k].from + 1);
        char a[16], b[16];
        snprintf(a, sizeof a, "%d-01-01", want[i].year);
        snprintf(b, sizeof b, "%d-12-31", want[i].year);
        is_err(tc_calendar_count(cal, D(a), D(b), &working, NULL), TC_OK, "%d counts",
               want[i].year);
        ok(y && off == want[i].off && y->nworkdays == want[i].worked && working == want[i].working,
           "%d: %u days off, %zu 调休 workdays, %u working days (want %u, %u, %u)", want[i].year,
           off, y ? y->nworkdays : 0, working, want[i].off, want[i].worked, want[i].working);
    }
    tc_calendar_free(cal);
}

static void working_days(void)
{
    struct tc_calendar *cal = shipped();
    static const struct {
        const char *day;
        bool working;
        const char *why;
    } days[] = {
        {"2026-02-13", true, "Friday before 春节"},
        {"2026-02-14", true, "Saturday, 调休 for 春节"},
        {"2026-02-15", false, "Sunday, first day of 春节"},
        {"2026-02-16", false, "Monday in 春节"},
        {"2026-02-21", false, "Saturday in 春节"},
        {"2026-02-23", false, "Monday, last day of 春节"},
        {"2026-02-24", true, "Tuesday after 春节"},
        {"2026-02-28", true, "Saturday, 调休 for 春节"},
        {"2026-03-01", false, "an ordinary Sunday"},
        {"2026-03-07", false, "an ordinary Saturday"},
        {"2026-01-04", true, "Sunday, 调休 for 元旦"},
        {"2026-09-20", true, "Sunday, 调休 for 国庆节"},
        {"2026-09-25", false, "Friday, 中秋节"},
        {"2026-10-07", false, "Wednesday, last day of 国庆节"},
        {"2026-10-10", true, "Saturday, 调休 for 国庆节"},
        {"2025-10-08", false, "Wednesday, last day of 国庆节、中秋节 2025"},
        {"2025-10-11", true, "Saturday, 调休 2025"},
        {"2025-12-31", true, "Wednesday, the last day of 2025"},
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        bool w = !days[i].working;
        int missing = -1;
        enum tc_err e = tc_calendar_working(cal, D(days[i].day), &w, &missing);
        ok(e == TC_OK && missing == 0 && w == days[i].working, "%s (%s) is %s", days[i].day,
           days[i].why, days[i].working ? "a working day" : "a rest day");
    }
    bool w;
    int missing = 0;
    is_err(tc_calendar_working(cal, D("2027-01-04"), &w, &missing), TC_ERR_RANGE,
           "a Monday of 2027 is not guessed");
    ok(missing == 2027, "and the missing year is named (%d)", missing);
    is_err(tc_calendar_working(cal, D("2024-12-31"), &w, &missing), TC_ERR_RANGE,
           "nor a day of 2024");
    ok(missing == 2024, "naming 2024 (%d)", missing);
    tc_calendar_free(cal);
}

/* The periods, each worked out by hand from the notices (day by day; "1" is the first working
 * day counted, rest days in brackets). */
static const struct {
    const char *published;
    unsigned n;
    const char *first, *last;
    int missing; /* 0, or the year a refusal names */
    const char *how;
} periods[] = {
    /* 2026 春节 week: 2/12 Thu 1, 2/13 Fri 2, 2/14 Sat (调休) 3, [2/15 Sun - 2/23 Mon: 春节],
     * 2/24 Tue 4, 2/25 Wed 5 */
    {"2026-02-12", 5, "2026-02-12", "2026-02-25", 0, "over the 春节 week and its 调休 Saturday"},
    /* 2/13 Fri 1, 2/14 Sat (调休) 2, [春节], 2/24 3, 2/25 4, 2/26 Thu 5 */
    {"2026-02-13", 5, "2026-02-13", "2026-02-26", 0, "published on the Friday before 春节"},
    /* published in 春节: [2/18 - 2/23], 2/24 Tue 1, 2/25 2, 2/26 3, 2/27 Fri 4,
     * 2/28 Sat (调休) 5 */
    {"2026-02-18", 5, "2026-02-24", "2026-02-28", 0, "published in 春节, ends on a 调休 Saturday"},
    /* published on the 调休 Saturday itself: 2/28 Sat 1, [3/1 Sun], 3/2 Mon 2 ... 3/5 Thu 5 */
    {"2026-02-28", 5, "2026-02-28", "2026-03-05", 0, "published on a 调休 Saturday, which counts"},
    /* an ordinary Saturday does not count: [3/7 Sat, 3/8 Sun], 3/9 Mon 1 ... 3/13 Fri 5 */
    {"2026-03-07", 5, "2026-03-09", "2026-03-13", 0, "published on an ordinary Saturday"},
    /* 9/18 Fri 1, [9/19 Sat], 9/20 Sun (调休) 2, 9/21 Mon 3, 9/22 Tue 4, 9/23 Wed 5 */
    {"2026-09-18", 5, "2026-09-18", "2026-09-23", 0, "across the 调休 Sunday before 国庆节"},
    /* 9/23 Wed 1, 9/24 Thu 2, [9/25 - 9/27 中秋节], 9/28 Mon 3, 9/29 Tue 4, 9/30 Wed 5 */
    {"2026-09-23", 5, "2026-09-23", "2026-09-30", 0, "over 中秋节"},
    /* National Day: 9/29 Tue 1, 9/30 Wed 2, [10/1 - 10/7 国庆节], 10/8 Thu 3, 10/9 Fri 4,
     * 10/10 Sat (调休) 5 */
    {"2026-09-29", 5, "2026-09-29", "2026-10-10", 0, "over 国庆节 to its 调休 Saturday"},
    /* published on 国庆节: [10/1 - 10/7], 10/8 1, 10/9 2, 10/10 Sat (调休) 3, [10/11 Sun],
     * 10/12 Mon 4, 10/13 Tue 5 */
    {"2026-10-01", 5, "2026-10-08", "2026-10-13", 0, "published on 国庆节"},
    /* the turn of 2025: 12/29 Mon 1, 12/30 2, 12/31 Wed 3, [1/1 - 1/3 元旦], 1/4 Sun (调休) 4,
     * 1/5 Mon 5 */
    {"2025-12-29", 5, "2025-12-29", "2026-01-05", 0, "from 2025 into 2026 over 元旦"},
    /* 2025 国庆节、中秋节: 9/26 Fri 1, [9/27 Sat], 9/28 Sun (调休) 2, 9/29 3, 9/30 4,
     * [10/1 - 10/8], 10/9 Thu 5 */
    {"2025-09-26", 5, "2025-09-26", "2025-10-09", 0, "over 国庆节、中秋节 2025"},
    /* the end of 2026 needs nothing of 2027: 12/24 Thu 1, 12/25 Fri 2, [12/26, 12/27],
     * 12/28 Mon 3, 12/29 4, 12/30 Wed 5 */
    {"2026-12-24", 5, "2026-12-24", "2026-12-30", 0, "ending before the year 2027"},
    {"2026-12-24", 6, "2026-12-24", "2026-12-31", 0, "ending on the last day of 2026"},
    /* 12/28 Mon 1, 12/29 2, 12/30 3, 12/31 Thu 4, 2027-01-01: not known */
    {"2026-12-28", 5, NULL, NULL, 2027, "reaching into 2027, which is not held"},
    {"2026-12-24", 7, NULL, NULL, 2027, "one day longer than the year allows"},
    /* a rest day published on, followed by a year not held */
    {"2024-12-30", 5, NULL, NULL, 2024, "published in 2024, which is not held"},
    {"2026-06-01", 1, "2026-06-01", "2026-06-01", 0, "one working day"},
    /* [6/19 Fri - 6/21 Sun 端午节], 6/22 Mon 1 */
    {"2026-06-19", 1, "2026-06-22", "2026-06-22", 0, "one working day, published on 端午节"},
};

static void period_table(void)
{
    struct tc_calendar *cal = shipped();
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++) {
        int32_t first = -1, last = -1;
        int missing = -1;
        enum tc_err e =
            tc_calendar_period(cal, D(periods[i].published), periods[i].n, &first, &last, &missing);
        char f[11] = "", l[11] = "";
        if (e == TC_OK) {
            tc_day_format(f, first);
            tc_day_format(l, last);
        }
        if (periods[i].missing) {
            ok(e == TC_ERR_RANGE && missing == periods[i].missing,
               "%u working days from %s: refused, no year %d (%s)", periods[i].n,
               periods[i].published, periods[i].missing, periods[i].how);
            continue;
        }
        ok(e == TC_OK && missing == 0 && first == D(periods[i].first) && last == D(periods[i].last),
           "%u working days from %s: %s to %s (%s; got %s to %s)", periods[i].n,
           periods[i].published, periods[i].first, periods[i].last, periods[i].how, f, l);
    }
    int32_t first, last;
    is_err(tc_calendar_period(cal, D("2026-03-02"), 0, &first, &last, NULL), TC_ERR_ARG,
           "a period of 0 working days is refused");
    is_err(
        tc_calendar_period(cal, D("2026-03-02"), TC_CALENDAR_MAX_PERIOD + 1, &first, &last, NULL),
        TC_ERR_ARG, "a period longer than TC_CALENDAR_MAX_PERIOD is refused");

    /* with 2026 alone, the turn of 2025 is refused naming 2025 */
    struct tc_calendar *only = NULL;
    tc_calendar_new(&only);
    tc_calendar_add(only, tc_calendar_get(cal, 2026), 0);
    int missing = 0;
    is_err(tc_calendar_period(only, D("2025-12-29"), 5, &first, &last, &missing), TC_ERR_RANGE,
           "with 2026 alone, a period published in December 2025 is refused");
    ok(missing == 2025, "naming 2025 (%d)", missing);
    tc_calendar_free(only);
    tc_calendar_free(cal);
}

static void counting(void)
{
    struct tc_calendar *cal = shipped();
    unsigned c = 99;
    int missing = -1;
    /* February 2026: 20 weekdays, 6 of them in 春节 (2/16-2/20, 2/23), plus 2/14 and 2/28 */
    is_err(tc_calendar_count(cal, D("2026-02-01"), D("2026-02-28"), &c, &missing), TC_OK,
           "February 2026 counts");
    ok(c == 16 && missing == 0, "16 working days in February 2026 (%u)", c);
    tc_calendar_count(cal, D("2026-02-12"), D("2026-02-25"), &c, NULL);
    ok(c == 5, "2026-02-12 to 2026-02-25 holds the 5 working days of the period (%u)", c);
    tc_calendar_count(cal, D("2026-02-15"), D("2026-02-23"), &c, NULL);
    ok(c == 0, "春节 holds none (%u)", c);
    tc_calendar_count(cal, D("2026-03-02"), D("2026-03-01"), &c, NULL);
    ok(c == 0, "from after to counts 0 (%u)", c);
    is_err(tc_calendar_count(cal, D("2026-12-30"), D("2027-01-05"), &c, &missing), TC_ERR_RANGE,
           "a count into 2027 is refused");
    ok(missing == 2027, "naming 2027 (%d)", missing);
    is_err(tc_calendar_count(cal, D("2026-12-30"), INT32_MAX, &c, &missing), TC_ERR_RANGE,
           "a count to the end of time stops at the first year not held");

    /* what remains of the period 2026-02-12 .. 2026-02-25 on a given day */
    static const struct {
        const char *today;
        unsigned left;
    } left[] = {{"2026-02-01", 5}, {"2026-02-12", 5}, {"2026-02-14", 3}, {"2026-02-20", 2},
                {"2026-02-25", 1}, {"2026-02-26", 0}, {"2027-03-01", 0}};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        unsigned n = 99;
        enum tc_err e =
            tc_calendar_left(cal, D("2026-02-12"), D("2026-02-25"), D(left[i].today), &n, NULL);
        ok(e == TC_OK && n == left[i].left, "on %s, %u working days of the period are left (%u)",
           left[i].today, left[i].left, n);
    }
    tc_calendar_free(cal);
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed year files                                                                        */
/* ------------------------------------------------------------------------------------------ */

static const char good[] =
    "{\"year\": 2026,\n"
    " \"source\": {\"title\": \"国务院办公厅关于2026年部分节假日安排的通知\", "
    "\"number\": \"国办发明电〔2025〕7号\", \"published\": \"2025-11-04\",\n"
    "   \"url\": \"https://www.gov.cn/zhengce/content/202511/content_7047090.htm\"},\n"
    " \"holidays\": [{\"name\": \"元旦\", \"from\": \"2026-01-01\", \"to\": \"2026-01-03\"},\n"
    "   {\"name\": \"春节\", \"from\": \"2026-02-15\", \"to\": \"2026-02-23\", \"text\": "
    "\"二、春节\"},\n"
    "   {\"name\": \"国庆节\", \"from\": \"2026-10-01\", \"to\": \"2026-10-07\"}],\n"
    " \"workdays\": [{\"day\": \"2026-01-04\", \"for\": \"元旦\"}, "
    "{\"day\": \"2026-02-14\", \"for\": \"春节\"},\n"
    "   {\"day\": \"2026-02-28\", \"for\": \"春节\"}]}\n";

/* good with the first occurrence of from replaced by to */
static char *edit(const char *from, const char *to)
{
    const char *at = strstr(good, from);
    if (!at)
        abort();
    size_t head = (size_t)(at - good), fl = strlen(from), tl = strlen(to);
    char *s = malloc(sizeof good + tl);
    memcpy(s, good, head);
    memcpy(s + head, to, tl);
    memcpy(s + head + tl, at + fl, sizeof good - head - fl);
    return s;
}

/* the good file with one edit each */
static void malformed(void)
{
    struct tc_calendar_year y;
    char why[TC_CALENDAR_WHY_MAX];
    is_err(tc_calendar_year_parse(&y, good, strlen(good), why, sizeof why), TC_OK,
           "the table's good file parses %s", why);
    ok(y.year == 2026 && y.nholidays == 3 && y.nworkdays == 3 && y.workdays[1].holiday == 1 &&
           strcmp(y.holidays[1].text, "二、春节") == 0 && y.holidays[0].text[0] == '\0',
       "with its holidays, workdays and text");
    static const struct {
        const char *what, *from, *to;
        enum tc_err want;
        const char *why;
    } cases[] = {
        {"a date that does not exist", "2026-02-23", "2026-02-30", TC_ERR_CODE,
         "holidays[1].to: not a real date"},
        {"a date without leading zeros", "2026-02-15", "2026-2-15", TC_ERR_CODE,
         "holidays[1].from: not a real date"},
        {"a date as a number", "\"2026-02-28\"", "20260228", TC_ERR_TYPE,
         "workdays[2].day: not a string"},
        {"a workday on a Tuesday", "2026-02-28", "2026-03-03", TC_ERR_INCONSISTENT,
         "workdays[2].day: 2026-03-03 is not a Saturday or Sunday"},
        {"a workday on a holiday's Saturday", "2026-02-28", "2026-02-21", TC_ERR_INCONSISTENT,
         "workdays[2].day: 2026-02-21 falls in holidays[1]"},
        {"workdays out of order", "2026-02-14", "2026-03-07", TC_ERR_INCONSISTENT,
         "workdays[2].day: 2026-02-28 is not after workdays[1]"},
        {"a workday for no holiday of the file", "\"for\": \"元旦\"", "\"for\": \"除夕\"",
         TC_ERR_INCONSISTENT, "workdays[0].for: names no holiday of the file"},
        {"overlapping holidays", "\"from\": \"2026-01-01\", \"to\": \"2026-01-03\"",
         "\"from\": \"2026-02-10\", \"to\": \"2026-02-16\"", TC_ERR_INCONSISTENT,
         "holidays[1]: 2026-02-15 overlaps holidays[0]"},
        {"holidays out of order", "\"from\": \"2026-10-01\", \"to\": \"2026-10-07\"",
         "\"from\": \"2026-01-10\", \"to\": \"2026-01-12\"", TC_ERR_INCONSISTENT,
         "holidays[2]: 2026-01-10 comes before holidays[1]"},
        {"a holiday that ends before it starts", "\"to\": \"2026-10-07\"", "\"to\": \"2026-09-30\"",
         TC_ERR_INCONSISTENT, "holidays[2]: ends (2026-09-30) before it starts (2026-10-01)"},
        {"a holiday of 11 days", "2026-02-23", "2026-02-25", TC_ERR_RANGE,
         "holidays[1]: 2026-02-15 to 2026-02-25 is longer than 10 days"},
        {"a holiday in another year", "2026-01-01", "2025-12-31", TC_ERR_RANGE,
         "holidays[0]: 2025-12-31 to 2026-01-03 is not inside 2026"},
        {"a workday in another year", "2026-01-04", "2027-01-02", TC_ERR_RANGE,
         "workdays[0].day: 2027-01-02 is not inside 2026"},
        {"two holidays of one name", "\"name\": \"国庆节\"", "\"name\": \"春节\"",
         TC_ERR_INCONSISTENT, "holidays[2].name: the same as holidays[1]"},
        {"a duplicate member", "{\"year\": 2026,", "{\"year\": 2026, \"year\": 2026,",
         TC_ERR_DUP_KEY, "a member appears twice"},
        {"a duplicate member inside", "\"name\": \"元旦\",",
         "\"name\": \"元旦\", \"name\": \"元旦\",", TC_ERR_DUP_KEY, "a member appears twice"},
        {"trailing garbage", "}]}\n", "}]}\nx", TC_ERR_TRAILING, "bytes after the object"},
        {"a second object", "}]}\n", "}]}\n{}", TC_ERR_TRAILING, "bytes after the object"},
        {"an unknown member", "{\"year\": 2026,", "{\"year\": 2026, \"note\": 1,",
         TC_ERR_UNKNOWN_KEY, "a member other than year, source, holidays, workdays"},
        {"an unknown member of a holiday", "\"text\": \"二、春节\"", "\"texts\": \"二、春节\"",
         TC_ERR_UNKNOWN_KEY, "holidays[1]: a member other than name, from, to, text"},
        {"a misspelt member", ",\n \"workdays\"", ",\n \"workday\"", TC_ERR_UNKNOWN_KEY,
         "a member other than"},
        {"a year as a string", "\"year\": 2026", "\"year\": \"2026\"", TC_ERR_TYPE,
         "year: not an integer"},
        {"a year as a real", "\"year\": 2026", "\"year\": 2026.0", TC_ERR_TYPE,
         "year: not an integer"},
        {"a year out of range", "\"year\": 2026", "\"year\": 1999", TC_ERR_RANGE,
         "year: not from 2000 to 2199"},
        {"a title of another year", "关于2026年", "关于2025年", TC_ERR_INCONSISTENT,
         "source.title: does not name the year 2026"},
        {"a notice published two years before", "2025-11-04", "2024-11-04", TC_ERR_RANGE,
         "source.published: not in 2025 or 2026"},
        {"a plain http address", "https://www.gov.cn", "http://www.gov.cn", TC_ERR_TEXT,
         "source.url: not an https:// address"},
        {"no 文号", "\"国办发明电〔2025〕7号\"", "\"\"", TC_ERR_TEXT, "source.number: empty"},
        {"a control character in a name", "\"name\": \"元旦\"", "\"name\": \"元\\u0007旦\"",
         TC_ERR_TEXT, "holidays[0].name: empty, too long or not plain text"},
        {"a zero-width space in a name", "\"name\": \"元旦\"", "\"name\": \"元\\u200b旦\"",
         TC_ERR_TEXT, "holidays[0].name: empty, too long or not plain text"},
        {"a NUL escape", "\"name\": \"元旦\"", "\"name\": \"元\\u0000旦\"", TC_ERR_TYPE,
         "not JSON"},
        {"a holiday that is not an object",
         "{\"name\": \"国庆节\", \"from\": \"2026-10-01\", "
         "\"to\": \"2026-10-07\"}",
         "7", TC_ERR_TYPE, "holidays[2]: not an object"},
        {"not JSON", "{\"year\"", "{year", TC_ERR_TYPE, "not JSON"},
        {"an unclosed array around the object", "{\"year\": 2026,", "[{\"year\": 2026,",
         TC_ERR_TYPE, "not JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = edit(cases[i].from, cases[i].to);
        why[0] = '\0';
        enum tc_err e = tc_calendar_year_parse(&y, s, strlen(s), why, sizeof why);
        ok(e == cases[i].want && strstr(why, cases[i].why) != NULL && y.year == 0,
           "refused: %s (%s: \"%s\")", cases[i].what, tc_errname(e), why);
        free(s);
    }
}

/* whole files, each missing or mistyping a part */
static void malformed_whole(void)
{
    struct tc_calendar_year y;
    char why[TC_CALENDAR_WHY_MAX];
#define SRC                                                                                        \
    "\"source\": {\"title\": \"国务院办公厅关于2026年部分节假日安排的通知\", "  \
    "\"number\": \"N\", \"published\": \"2025-11-04\", \"url\": \"https://www.gov.cn/x\"}"
#define HOL "\"holidays\": [{\"name\": \"春节\", \"from\": \"2026-02-15\", \"to\": \"2026-02-23\"}]"
    static const struct {
        const char *what, *text;
        enum tc_err want;
        const char *why;
    } whole[] = {
        {"the smallest good file", "{\"year\": 2026, " SRC ", " HOL ", \"workdays\": []}", TC_OK,
         ""},
        {"no holidays", "{\"year\": 2026, " SRC ", \"holidays\": [], \"workdays\": []}",
         TC_ERR_RANGE, "holidays: none"},
        {"no workdays member", "{\"year\": 2026, " SRC ", " HOL "}", TC_ERR_MISSING_KEY,
         "workdays: missing"},
        {"no year", "{" SRC ", " HOL ", \"workdays\": []}", TC_ERR_MISSING_KEY, "year: missing"},
        {"no source", "{\"year\": 2026, " HOL ", \"workdays\": []}", TC_ERR_MISSING_KEY,
         "source: missing"},
        {"a source that is a string",
         "{\"year\": 2026, \"source\": \"x\", " HOL ", \"workdays\": []}", TC_ERR_TYPE,
         "source: not an object"},
        {"workdays that are an object", "{\"year\": 2026, " SRC ", " HOL ", \"workdays\": {}}",
         TC_ERR_TYPE, "workdays: not an array"},
        {"a holiday without its end",
         "{\"year\": 2026, " SRC
         ", \"holidays\": [{\"name\": \"春节\", \"from\": \"2026-02-15\"}], \"workdays\": []}",
         TC_ERR_MISSING_KEY, "holidays[0].to: missing"},
        {"an array, not an object", "[]", TC_ERR_TYPE, "not a JSON object"},
        {"nothing", "", TC_ERR_TYPE, "not JSON"},
    };
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        why[0] = '\0';
        enum tc_err e =
            tc_calendar_year_parse(&y, whole[i].text, strlen(whole[i].text), why, sizeof why);
        ok(e == whole[i].want && strstr(why, whole[i].why) != NULL, "%s: %s (%s: \"%s\")",
           e == TC_OK ? "read" : "refused", whole[i].what, tc_errname(e), why);
    }
}

/* sizes and bytes: over the limit, invalid UTF-8, a NUL, every prefix */
static void malformed_bytes(void)
{
    struct tc_calendar_year y;
    char why[TC_CALENDAR_WHY_MAX];
    char *s;

    /* oversize: the good file padded with spaces past the limit */
    size_t big = TC_CALENDAR_MAX_BYTES + 1;
    char *pad = malloc(big);
    memset(pad, ' ', big);
    memcpy(pad, good, strlen(good));
    is_err(tc_calendar_year_parse(&y, pad, big, why, sizeof why), TC_ERR_SIZE_LIMIT,
           "a file over %u bytes is refused (%s)", TC_CALENDAR_MAX_BYTES, why);
    is_err(tc_calendar_year_parse(&y, pad, big - 1, why, sizeof why), TC_OK,
           "and one of exactly %u bytes is read", TC_CALENDAR_MAX_BYTES);
    free(pad);

    /* a raw NUL and invalid UTF-8 inside a string */
    s = edit("元旦\"", "元\xff旦\"");
    is_err(tc_calendar_year_parse(&y, s, strlen(s), why, sizeof why), TC_ERR_TYPE,
           "invalid UTF-8 is refused (%s)", why);
    free(s);
    char nul[sizeof good];
    memcpy(nul, good, sizeof good);
    nul[30] = '\0';
    is_err(tc_calendar_year_parse(&y, nul, sizeof good - 1, why, sizeof why), TC_ERR_TYPE,
           "a NUL byte is refused (%s)", why);

    /* a truncation ladder: every proper prefix of the object is refused */
    size_t end = (size_t)(strrchr(good, '}') - good) + 1, refused = 0;
    for (size_t n = 0; n < end; n++)
        refused += tc_calendar_year_parse(&y, good, n, why, sizeof why) != TC_OK;
    ok(refused == end, "every one of the %zu prefixes is refused (%zu)", end, refused);
    ok(tc_calendar_year_parse(&y, good, end, why, sizeof why) == TC_OK,
       "the object without its final newline is read");
}

/* ------------------------------------------------------------------------------------------ */
/* Adding years and loading directories                                                        */
/* ------------------------------------------------------------------------------------------ */

static char dir[] = "/tmp/tc_calendar_XXXXXX";

static void put_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static void drop_file(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void adding(void)
{
    struct tc_calendar *cal = NULL;
    struct tc_calendar_year y, *bad = malloc(sizeof *bad);
    char why[TC_CALENDAR_WHY_MAX];
    int year = 0;
    tc_calendar_new(&cal);
    is_err(tc_calendar_load(cal, good, strlen(good), 0, &year, why, sizeof why), TC_OK,
           "an administrator's file loads from a buffer");
    ok(year == 2026 && tc_calendar_get(cal, 2026) != NULL, "as the year 2026");
    is_err(tc_calendar_load(cal, good, strlen(good), 0, &year, why, sizeof why), TC_ERR_EXISTS,
           "a second 2026 is refused without a flag (%s)", why);
    tc_calendar_year_parse(&y, good, strlen(good), why, sizeof why);
    y.workdays[2].day = D("2026-03-07"); /* still a Saturday after 2/14, but not the notice's */
    is_err(tc_calendar_add(cal, &y, TC_CALENDAR_KEEP), TC_OK, "KEEP leaves the year held");
    bool w = false;
    tc_calendar_working(cal, D("2026-03-07"), &w, NULL);
    ok(!w, "(2026-03-07 is still a rest day)");
    is_err(tc_calendar_add(cal, &y, TC_CALENDAR_REPLACE), TC_OK, "REPLACE puts the new one");
    tc_calendar_working(cal, D("2026-03-07"), &w, NULL);
    ok(w, "(2026-03-07 is now a working day)");

    /* a struct that did not come from the parser is checked as if it had */
    *bad = y;
    bad->workdays[0].day = D("2026-03-03");
    is_err(tc_calendar_add(cal, bad, TC_CALENDAR_REPLACE), TC_ERR_ARG, "a workday on a Tuesday");
    *bad = y;
    bad->holidays[0].to = D("2027-01-03");
    is_err(tc_calendar_add(cal, bad, TC_CALENDAR_REPLACE), TC_ERR_ARG, "a holiday past the year");
    *bad = y;
    memset(bad->holidays[0].name, 'x', sizeof bad->holidays[0].name);
    is_err(tc_calendar_add(cal, bad, TC_CALENDAR_REPLACE), TC_ERR_ARG, "a name without its NUL");
    *bad = y;
    bad->workdays[1].holiday = 7;
    is_err(tc_calendar_add(cal, bad, TC_CALENDAR_REPLACE), TC_ERR_ARG, "a workday for no holiday");
    free(bad);
    tc_calendar_free(cal);
}

static void directories(void)
{
    struct tc_calendar *cal = NULL;
    char why[TC_CALENDAR_WHY_MAX];
    int years[4];
    if (!mkdtemp(dir))
        abort();
    tc_calendar_new(&cal);
    is_err(tc_calendar_load_dir(cal, "/nonexistent/calendar", 0, why, sizeof why), TC_ERR_NOT_FOUND,
           "a directory that does not exist (%s)", why);
    put_file("2026.json", good);
    put_file("README.md", "not a year file");
    put_file("2026.json~", "an editor's backup");
    is_err(tc_calendar_load_dir(cal, dir, 0, why, sizeof why), TC_OK,
           "a directory loads, other names ignored");
    ok(tc_calendar_years(cal, years, 4) == 1 && years[0] == 2026, "one year, 2026");

    /* all or nothing: a bad file beside a good one leaves the calendar as it was */
    struct tc_calendar *empty = NULL;
    tc_calendar_new(&empty);
    char *bad = edit("2026-02-28", "2026-03-03");
    char *y27 = edit("\"year\": 2026", "\"year\": 2027");
    put_file("2027.json", bad);
    is_err(tc_calendar_load_dir(empty, dir, 0, why, sizeof why), TC_ERR_INCONSISTENT,
           "a directory with a bad file is refused");
    ok(strncmp(why, "2027.json: ", 11) == 0, "naming the file (%s)", why);
    ok(tc_calendar_years(empty, years, 4) == 0, "and nothing of it is loaded, not even 2026");
    put_file("2027.json", good);
    is_err(tc_calendar_load_dir(empty, dir, 0, why, sizeof why), TC_ERR_INCONSISTENT,
           "a file named 2027.json that holds 2026 is refused");
    ok(strcmp(why, "2027.json: holds the year 2026") == 0, "saying so (%s)", why);
    put_file("2027.json", y27);
    is_err(tc_calendar_load_dir(empty, dir, 0, why, sizeof why), TC_ERR_INCONSISTENT,
           "a 2027 whose title names 2026 is refused (%s)", why);
    drop_file("2027.json");

    is_err(tc_calendar_load_dir(cal, dir, 0, why, sizeof why), TC_ERR_EXISTS,
           "a year already held is refused without a flag (%s)", why);
    is_err(tc_calendar_load_dir(cal, dir, TC_CALENDAR_KEEP, why, sizeof why), TC_OK,
           "and kept with TC_CALENDAR_KEEP");
    is_err(tc_calendar_load_dir(cal, dir, TC_CALENDAR_REPLACE, why, sizeof why), TC_OK,
           "or replaced with TC_CALENDAR_REPLACE");

    /* a file over the limit is refused before it is parsed */
    char *big = malloc(TC_CALENDAR_MAX_BYTES + 2);
    memset(big, ' ', TC_CALENDAR_MAX_BYTES + 1);
    big[TC_CALENDAR_MAX_BYTES + 1] = '\0';
    put_file("2030.json", big);
    is_err(tc_calendar_load_dir(empty, dir, 0, why, sizeof why), TC_ERR_SIZE_LIMIT,
           "a file over the limit (%s)", why);
    drop_file("2030.json");
    drop_file("2026.json");
    drop_file("README.md");
    drop_file("2026.json~");
    rmdir(dir);
    free(big);
    free(bad);
    free(y27);
    tc_calendar_free(empty);
    tc_calendar_free(cal);
}

/* ------------------------------------------------------------------------------------------ */
/* Property: a period holds exactly its number of working days                                 */
/* ------------------------------------------------------------------------------------------ */

static uint64_t rng = 0x2026020120261001u;

static uint32_t next(uint32_t bound)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % bound);
}

static void property(void)
{
    struct tc_calendar *cal = shipped();
    int32_t lo = D("2025-01-01"), hi = D("2026-12-31");
    unsigned bad = 0, refused = 0, runs = 3000;
    for (unsigned i = 0; i < runs; i++) {
        int32_t published = lo + (int32_t)next((uint32_t)(hi - lo + 1));
        unsigned n = 1 + next(i % 10 == 0 ? TC_CALENDAR_MAX_PERIOD : 30);
        int32_t first, last;
        unsigned c = 0, before = 1, upto = 0;
        int missing = 0;
        bool wf = false, wl = false;
        enum tc_err e = tc_calendar_period(cal, published, n, &first, &last, &missing);
        if (e == TC_ERR_RANGE) {
            /* refused only when 2026 runs out first */
            tc_calendar_count(cal, published, hi, &upto, NULL);
            refused++;
            bad += missing != 2027 || upto >= n;
            continue;
        }
        tc_calendar_count(cal, first, last, &c, NULL);
        tc_calendar_count(cal, published, first - 1, &before, NULL);
        tc_calendar_count(cal, published, last, &upto, NULL);
        tc_calendar_working(cal, first, &wf, NULL);
        tc_calendar_working(cal, last, &wl, NULL);
        if (e != TC_OK || c != n || upto != n || before != 0 || !wf || !wl || first < published) {
            bad++;
            printf("# published %d n %u: first %d last %d count %u\n", published, n, first, last,
                   c);
        }
    }
    ok(bad == 0,
       "%u random periods: each holds exactly n working days from its first to its "
       "last day, both working days, none before it (%u refused for want of 2027)",
       runs, refused);
    tc_calendar_free(cal);
}

int main(void)
{
    shipped_files();
    working_days();
    period_table();
    counting();
    malformed();
    malformed_whole();
    malformed_bytes();
    adding();
    directories();
    property();
    return tap_done();
}
