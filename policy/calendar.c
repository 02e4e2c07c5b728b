/*
 * calendar.c - the working-day calendar: which days count towards a 公示 period. The State
 * Council decides the public holidays and the weekend days worked in their place (调休) year by
 * year, in a notice published a few weeks before the year starts, so they cannot be computed and
 * are not compiled in: each year is a file (data/calendar/<year>.json) transcribing one notice and
 * naming it. A year file is read in two kinds of step: the JSON is taken apart member by member
 * (parse_*), and what was taken is checked as a struct (check_*), the same checks that
 * tc_calendar_add repeats for a struct built any other way. A calendar keeps, per year held, a
 * table of its 366 days; a day of a year not held is never guessed, the query is refused naming
 * the year.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "titlecert_config.h"

#define NYEARS (TC_CALENDAR_MAX_YEAR - TC_CALENDAR_MIN_YEAR + 1)

enum { DAY_PLAIN = 0, DAY_HOLIDAY = 1, DAY_WORKDAY = 2 };

/* a year held: the file as parsed, and what each of its days is */
struct held {
    struct tc_calendar_year y;
    int32_t jan1;
    uint8_t kind[366];
};

struct tc_calendar {
    struct held *years[NYEARS]; /* by year - TC_CALENDAR_MIN_YEAR; NULL when not held */
};

__attribute__((format(printf, 4, 5))) static enum tc_err fail(char *why, size_t size, enum tc_err e,
                                                              const char *fmt, ...)
{
    if (why && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return e;
}

/* Monday 0 ... Sunday 6; day 0 (1970-01-01) was a Thursday */
static int weekday(int32_t day)
{
    return (int)(((int64_t)day % 7 + 7 + 3) % 7);
}

static bool in_year(int32_t day, int year)
{
    int y, m, d;
    tc_day_split(day, &y, &m, &d);
    return y == year;
}

/* ------------------------------------------------------------------------------------------ */
/* Checking a parsed year as a whole                                                           */
/* ------------------------------------------------------------------------------------------ */

/* a NUL-terminated string inside its array, not empty, safe (visible: no invisible characters) */
static bool good_text(const char *s, size_t size, bool visible, bool may_be_empty)
{
    const char *end = memchr(s, '\0', size);
    if (!end || (end == s && !may_be_empty))
        return false;
    size_t len = (size_t)(end - s);
    return visible ? tc_text_visible((const uint8_t *)s, len)
                   : tc_text_safe((const uint8_t *)s, len);
}

/* https:// and printable ASCII without spaces, quotes or angle brackets */
static bool good_url(const char *s, size_t size)
{
    const char *end = memchr(s, '\0', size);
    if (!end || strncmp(s, "https://", 8) != 0 || end - s <= 8)
        return false;
    for (const char *p = s; p < end; p++)
        if (*p <= ' ' || *p > '~' || *p == '"' || *p == '<' || *p == '>')
            return false;
    return true;
}

static enum tc_err check_source(const struct tc_calendar_year *y, char *why, size_t size)
{
    char year_zh[16];
    int32_t lo, hi;
    if (!good_text(y->title, sizeof y->title, true, false))
        return fail(why, size, TC_ERR_TEXT, "source.title: empty, too long or not plain text");
    snprintf(year_zh, sizeof year_zh, "%d年", y->year);
    if (!strstr(y->title, year_zh))
        return fail(why, size, TC_ERR_INCONSISTENT, "source.title: does not name the year %d",
                    y->year);
    if (!good_text(y->number, sizeof y->number, true, false))
        return fail(why, size, TC_ERR_TEXT, "source.number: empty, too long or not plain text");
    if (!good_url(y->url, sizeof y->url))
        return fail(why, size, TC_ERR_TEXT, "source.url: not an https:// address");
    /* a notice for a year comes out in the year before it, or (an amendment) during it */
    if (!tc_day_index(&lo, y->year - 1, 1, 1) || !tc_day_index(&hi, y->year, 12, 31) ||
        y->published < lo || y->published > hi)
        return fail(why, size, TC_ERR_RANGE, "source.published: not in %d or %d", y->year - 1,
                    y->year);
    return TC_OK;
}

static enum tc_err check_holidays(const struct tc_calendar_year *y, char *why, size_t size)
{
    char a[11], b[11];
    if (y->nholidays < 1 || y->nholidays > TC_CALENDAR_MAX_HOLIDAYS)
        return fail(why, size, TC_ERR_RANGE, "holidays: none, or more than %d",
                    TC_CALENDAR_MAX_HOLIDAYS);
    for (size_t i = 0; i < y->nholidays; i++) {
        const struct tc_calendar_holiday *h = &y->holidays[i];
        if (!good_text(h->name, sizeof h->name, true, false))
            return fail(why, size, TC_ERR_TEXT,
                        "holidays[%zu].name: empty, too long or not plain text", i);
        if (!good_text(h->text, sizeof h->text, false, true))
            return fail(why, size, TC_ERR_TEXT, "holidays[%zu].text: too long or not plain text",
                        i);
        tc_day_format(a, h->from);
        tc_day_format(b, h->to);
        if (!in_year(h->from, y->year) || !in_year(h->to, y->year))
            return fail(why, size, TC_ERR_RANGE, "holidays[%zu]: %s to %s is not inside %d", i, a,
                        b, y->year);
        if (h->to < h->from)
            return fail(why, size, TC_ERR_INCONSISTENT,
                        "holidays[%zu]: ends (%s) before it starts (%s)", i, b, a);
        if (h->to - h->from >= TC_CALENDAR_MAX_RANGE)
            return fail(why, size, TC_ERR_RANGE, "holidays[%zu]: %s to %s is longer than %d days",
                        i, a, b, TC_CALENDAR_MAX_RANGE);
        for (size_t k = 0; k < i; k++)
            if (strcmp(y->holidays[k].name, h->name) == 0)
                return fail(why, size, TC_ERR_INCONSISTENT,
                            "holidays[%zu].name: the same as holidays[%zu]", i, k);
        if (i > 0 && h->from <= y->holidays[i - 1].to)
            return fail(why, size, TC_ERR_INCONSISTENT, "holidays[%zu]: %s %s holidays[%zu]", i, a,
                        h->from >= y->holidays[i - 1].from ? "overlaps" : "comes before", i - 1);
    }
    return TC_OK;
}

static enum tc_err check_workdays(const struct tc_calendar_year *y, char *why, size_t size)
{
    char a[11];
    if (y->nworkdays > TC_CALENDAR_MAX_WORKDAYS)
        return fail(why, size, TC_ERR_RANGE, "workdays: more than %d", TC_CALENDAR_MAX_WORKDAYS);
    for (size_t i = 0; i < y->nworkdays; i++) {
        const struct tc_calendar_workday *w = &y->workdays[i];
        tc_day_format(a, w->day);
        if (!in_year(w->day, y->year))
            return fail(why, size, TC_ERR_RANGE, "workdays[%zu].day: %s is not inside %d", i, a,
                        y->year);
        if (weekday(w->day) < 5)
            return fail(why, size, TC_ERR_INCONSISTENT,
                        "workdays[%zu].day: %s is not a Saturday or Sunday", i, a);
        if (i > 0 && w->day <= y->workdays[i - 1].day)
            return fail(why, size, TC_ERR_INCONSISTENT,
                        "workdays[%zu].day: %s is not after workdays[%zu]", i, a, i - 1);
        if (w->holiday >= y->nholidays)
            return fail(why, size, TC_ERR_INCONSISTENT,
                        "workdays[%zu].for: names no holiday of the file", i);
        for (size_t k = 0; k < y->nholidays; k++)
            if (w->day >= y->holidays[k].from && w->day <= y->holidays[k].to)
                return fail(why, size, TC_ERR_INCONSISTENT,
                            "workdays[%zu].day: %s falls in holidays[%zu]", i, a, k);
    }
    return TC_OK;
}

static enum tc_err check_year(const struct tc_calendar_year *y, char *why, size_t size)
{
    enum tc_err e;
    if (y->year < TC_CALENDAR_MIN_YEAR || y->year > TC_CALENDAR_MAX_YEAR)
        return fail(why, size, TC_ERR_RANGE, "year: not from %d to %d", TC_CALENDAR_MIN_YEAR,
                    TC_CALENDAR_MAX_YEAR);
    if ((e = check_source(y, why, size)) != TC_OK || (e = check_holidays(y, why, size)) != TC_OK)
        return e;
    return check_workdays(y, why, size);
}

/* ------------------------------------------------------------------------------------------ */
/* Taking the JSON apart                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Every member of o is one of keys; else TC_ERR_UNKNOWN_KEY, the refusal naming the object `at`
 * ("" for the file's, "source", "holidays[2]") and the members it may have (the member found is
 * not repeated in the message: it is input). */
static enum tc_err only(json_t *o, const char *const *keys, size_t n, const char *at, char *why,
                        size_t size)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t i = 0;
        while (i < n && strcmp(k, keys[i]) != 0)
            i++;
        if (i == n) {
            char list[128] = "";
            for (i = 0; i < n; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         keys[i]);
            return fail(why, size, TC_ERR_UNKNOWN_KEY, "%s%sa member other than %s", at,
                        *at ? ": " : "", list);
        }
    }
    return TC_OK;
}

/* A string member copied into dst (optional ones may be absent: dst is then ""). The copy is
 * checked for text safety by check_year; here only presence, type and length. */
static enum tc_err text_member(json_t *o, const char *key, bool required, char *dst, size_t size,
                               const char *path, char *why, size_t why_size)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v && !required)
        return TC_OK;
    if (!v)
        return fail(why, why_size, TC_ERR_MISSING_KEY, "%s%s: missing", path, key);
    if (!json_is_string(v))
        return fail(why, why_size, TC_ERR_TYPE, "%s%s: not a string", path, key);
    if (json_string_length(v) >= size)
        return fail(why, why_size, TC_ERR_RANGE, "%s%s: longer than %zu bytes", path, key,
                    size - 1);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return TC_OK;
}

/* A required "YYYY-MM-DD" member: a real date (whether it is in the year is check_year's) */
static enum tc_err day_member(json_t *o, const char *key, int32_t *day, const char *path, char *why,
                              size_t why_size)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return fail(why, why_size, TC_ERR_MISSING_KEY, "%s%s: missing", path, key);
    if (!json_is_string(v))
        return fail(why, why_size, TC_ERR_TYPE, "%s%s: not a string", path, key);
    if (!tc_day_parse(day, json_string_value(v)))
        return fail(why, why_size, TC_ERR_CODE, "%s%s: not a real date written YYYY-MM-DD", path,
                    key);
    return TC_OK;
}

static enum tc_err parse_source(struct tc_calendar_year *y, json_t *s, char *why, size_t size)
{
    static const char *const keys[] = {"title", "number", "published", "url"};
    enum tc_err e;
    if (!json_is_object(s))
        return fail(why, size, s ? TC_ERR_TYPE : TC_ERR_MISSING_KEY, "source: %s",
                    s ? "not an object" : "missing");
    if ((e = only(s, keys, 4, "source", why, size)) ||
        (e = text_member(s, "title", true, y->title, sizeof y->title, "source.", why, size)) ||
        (e = text_member(s, "number", true, y->number, sizeof y->number, "source.", why, size)) ||
        (e = day_member(s, "published", &y->published, "source.", why, size)))
        return e;
    return text_member(s, "url", true, y->url, sizeof y->url, "source.", why, size);
}

/* One of the year's arrays of objects (holidays, workdays): its name, its most elements, the
 * members of an element, and what takes element i apart (path "holidays[2]." for messages). */
struct array_form {
    const char *name;
    size_t max;
    const char *const *keys;
    size_t n_keys;
    enum tc_err (*element)(struct tc_calendar_year *y, size_t i, json_t *o, const char *path,
                           char *why, size_t size);
};

static enum tc_err parse_array(struct tc_calendar_year *y, json_t *a, const struct array_form *f,
                               char *why, size_t size)
{
    char at[32], path[40];
    size_t i;
    json_t *o;
    enum tc_err e;
    if (!json_is_array(a))
        return fail(why, size, a ? TC_ERR_TYPE : TC_ERR_MISSING_KEY, "%s: %s", f->name,
                    a ? "not an array" : "missing");
    if (json_array_size(a) > f->max)
        return fail(why, size, TC_ERR_RANGE, "%s: more than %zu", f->name, f->max);
    json_array_foreach(a, i, o)
    {
        snprintf(at, sizeof at, "%s[%zu]", f->name, i);
        snprintf(path, sizeof path, "%s.", at);
        if (!json_is_object(o))
            return fail(why, size, TC_ERR_TYPE, "%s: not an object", at);
        if ((e = only(o, f->keys, f->n_keys, at, why, size)) ||
            (e = f->element(y, i, o, path, why, size)))
            return e;
    }
    return TC_OK;
}

static enum tc_err holiday(struct tc_calendar_year *y, size_t i, json_t *h, const char *path,
                           char *why, size_t size)
{
    struct tc_calendar_holiday *d = &y->holidays[i];
    enum tc_err e;
    if ((e = text_member(h, "name", true, d->name, sizeof d->name, path, why, size)) ||
        (e = day_member(h, "from", &d->from, path, why, size)) ||
        (e = day_member(h, "to", &d->to, path, why, size)) ||
        (e = text_member(h, "text", false, d->text, sizeof d->text, path, why, size)))
        return e;
    y->nholidays = i + 1;
    return TC_OK;
}

static enum tc_err workday(struct tc_calendar_year *y, size_t i, json_t *w, const char *path,
                           char *why, size_t size)
{
    struct tc_calendar_workday *d = &y->workdays[i];
    char name[TC_CALENDAR_NAME_MAX];
    enum tc_err e;
    if ((e = day_member(w, "day", &d->day, path, why, size)) ||
        (e = text_member(w, "for", true, name, sizeof name, path, why, size)))
        return e;
    size_t k = 0;
    while (k < y->nholidays && strcmp(y->holidays[k].name, name) != 0)
        k++;
    if (k == y->nholidays)
        return fail(why, size, TC_ERR_INCONSISTENT, "%sfor: names no holiday of the file", path);
    d->holiday = (uint8_t)k;
    y->nworkdays = i + 1;
    return TC_OK;
}

static const char *const holiday_keys[] = {"name", "from", "to", "text"};
static const char *const workday_keys[] = {"day", "for"};
static const struct array_form holidays = {"holidays", TC_CALENDAR_MAX_HOLIDAYS, holiday_keys, 4,
                                           holiday};
static const struct array_form workdays = {"workdays", TC_CALENDAR_MAX_WORKDAYS, workday_keys, 2,
                                           workday};

/* jansson's refusal as one of ours: a repeated key and bytes after the object have their own */
static enum tc_err json_refusal(const json_error_t *jerr, char *why, size_t size)
{
    switch (json_error_code(jerr)) {
    case json_error_duplicate_key:
        return fail(why, size, TC_ERR_DUP_KEY, "a member appears twice (line %d)", jerr->line);
    case json_error_end_of_input_expected:
        return fail(why, size, TC_ERR_TRAILING, "bytes after the object (line %d)", jerr->line);
    default:
        return fail(why, size, TC_ERR_TYPE, "not JSON (line %d, column %d)", jerr->line,
                    jerr->column);
    }
}

enum tc_err tc_calendar_year_parse(struct tc_calendar_year *y, const char *json, size_t len,
                                   char *why, size_t why_size)
{
    static const char *const keys[] = {"year", "source", "holidays", "workdays"};
    json_error_t jerr;
    json_t *o = NULL, *v;
    enum tc_err e;
    memset(y, 0, sizeof *y);
    if (why && why_size)
        why[0] = '\0';
    if (len > TC_CALENDAR_MAX_BYTES)
        return fail(why, why_size, TC_ERR_SIZE_LIMIT, "larger than %u bytes",
                    TC_CALENDAR_MAX_BYTES);
    if (!(o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
        return json_refusal(&jerr, why, why_size);
    if (!json_is_object(o)) {
        e = fail(why, why_size, TC_ERR_TYPE, "not a JSON object");
        goto out;
    }
    if ((e = only(o, keys, 4, "", why, why_size)) != TC_OK)
        goto out;
    v = json_object_get(o, "year");
    if (!json_is_integer(v)) {
        e = fail(why, why_size, v ? TC_ERR_TYPE : TC_ERR_MISSING_KEY, "year: %s",
                 v ? "not an integer" : "missing");
        goto out;
    }
    if (json_integer_value(v) < TC_CALENDAR_MIN_YEAR ||
        json_integer_value(v) > TC_CALENDAR_MAX_YEAR) {
        e = fail(why, why_size, TC_ERR_RANGE, "year: not from %d to %d", TC_CALENDAR_MIN_YEAR,
                 TC_CALENDAR_MAX_YEAR);
        goto out;
    }
    y->year = (int)json_integer_value(v);
    /* each part checked before the next is read: workdays name holidays already checked */
    if ((e = parse_source(y, json_object_get(o, "source"), why, why_size)) == TC_OK &&
        (e = check_source(y, why, why_size)) == TC_OK &&
        (e = parse_array(y, json_object_get(o, "holidays"), &holidays, why, why_size)) == TC_OK &&
        (e = check_holidays(y, why, why_size)) == TC_OK &&
        (e = parse_array(y, json_object_get(o, "workdays"), &workdays, why, why_size)) == TC_OK)
        e = check_workdays(y, why, why_size);
out:
    json_decref(o);
    if (e != TC_OK)
        memset(y, 0, sizeof *y);
    return e;
}

/* ------------------------------------------------------------------------------------------ */
/* The calendar                                                                                */
/* ------------------------------------------------------------------------------------------ */

enum tc_err tc_calendar_new(struct tc_calendar **cal)
{
    *cal = calloc(1, sizeof **cal);
    return *cal ? TC_OK : TC_ERR_NOMEM;
}

void tc_calendar_free(struct tc_calendar *cal)
{
    if (!cal)
        return;
    for (size_t i = 0; i < NYEARS; i++)
        free(cal->years[i]);
    free(cal);
}

/* Puts h in the calendar by the flags; h is the calendar's or freed on return. */
static enum tc_err put(struct tc_calendar *cal, struct held *h, unsigned flags)
{
    struct held **slot = &cal->years[h->y.year - TC_CALENDAR_MIN_YEAR];
    if (*slot && !(flags & (TC_CALENDAR_REPLACE | TC_CALENDAR_KEEP))) {
        free(h);
        return TC_ERR_EXISTS;
    }
    if (*slot && (flags & TC_CALENDAR_KEEP) && !(flags & TC_CALENDAR_REPLACE)) {
        free(h);
        return TC_OK;
    }
    free(*slot);
    *slot = h;
    return TC_OK;
}

static enum tc_err hold(const struct tc_calendar_year *y, struct held **out)
{
    struct held *h = calloc(1, sizeof *h);
    if (!(*out = h))
        return TC_ERR_NOMEM;
    h->y = *y;
    tc_day_index(&h->jan1, y->year, 1, 1);
    for (size_t i = 0; i < y->nholidays; i++)
        for (int32_t d = y->holidays[i].from; d <= y->holidays[i].to; d++)
            h->kind[d - h->jan1] = DAY_HOLIDAY;
    for (size_t i = 0; i < y->nworkdays; i++)
        h->kind[y->workdays[i].day - h->jan1] = DAY_WORKDAY;
    return TC_OK;
}

enum tc_err tc_calendar_add(struct tc_calendar *cal, const struct tc_calendar_year *y,
                            unsigned flags)
{
    struct held *h;
    enum tc_err e;
    /* only a year that passes every check may index the day tables */
    if (check_year(y, NULL, 0) != TC_OK)
        return TC_ERR_ARG;
    if ((e = hold(y, &h)) != TC_OK)
        return e;
    return put(cal, h, flags);
}

enum tc_err tc_calendar_load(struct tc_calendar *cal, const char *json, size_t len, unsigned flags,
                             int *year, char *why, size_t why_size)
{
    struct tc_calendar_year *y = malloc(sizeof *y);
    enum tc_err e;
    if (!y)
        return TC_ERR_NOMEM;
    if ((e = tc_calendar_year_parse(y, json, len, why, why_size)) == TC_OK) {
        if (year)
            *year = y->year;
        if ((e = tc_calendar_add(cal, y, flags)) == TC_ERR_EXISTS)
            fail(why, why_size, e, "the calendar already holds %d", y->year);
    }
    free(y);
    return e;
}

/* the year a file name gives: four digits and ".json", else 0 */
static int name_year(const char *n)
{
    int year = 0;
    for (int i = 0; i < 4; i++) {
        if (n[i] < '0' || n[i] > '9')
            return 0;
        year = year * 10 + (n[i] - '0');
    }
    return strcmp(n + 4, ".json") == 0 ? year : 0;
}

static int year_file(const struct dirent *d)
{
    return name_year(d->d_name) != 0;
}

/* Reads dir/name into stage; the name's year and the file's must agree. */
static enum tc_err load_file(struct tc_calendar *stage, const char *dir, const char *name,
                             char *why, size_t why_size)
{
    char path[TC_PATH_MAX], inner[TC_CALENDAR_WHY_MAX - 16] = "";
    struct tc_calendar_year *y = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    enum tc_err e;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return fail(why, why_size, TC_ERR_ARG, "%s: the path is too long", name);
    if ((e = tc_file_read(path, TC_CALENDAR_MAX_BYTES, &buf, &len)) != TC_OK)
        return fail(why, why_size, e, "%s: %s", name,
                    e == TC_ERR_SIZE_LIMIT ? "larger than the limit for a year file"
                                           : "cannot be read");
    if (!(y = malloc(sizeof *y)))
        e = TC_ERR_NOMEM;
    else if ((e = tc_calendar_year_parse(y, (const char *)buf, len, inner, sizeof inner)) ==
                 TC_OK &&
             y->year != name_year(name)) {
        /* the name is what a directory listing shows: it must be the year inside */
        e = TC_ERR_INCONSISTENT;
        snprintf(inner, sizeof inner, "holds the year %d", y->year);
    } else if (e == TC_OK) {
        e = tc_calendar_add(stage, y, 0); /* names are unique: the year is not held yet */
    }
    free(buf);
    free(y);
    return e == TC_OK ? TC_OK : fail(why, why_size, e, "%s: %s", name, inner);
}

enum tc_err tc_calendar_load_dir(struct tc_calendar *cal, const char *dir, unsigned flags,
                                 char *why, size_t why_size)
{
    struct tc_calendar *stage = NULL;
    struct dirent **names = NULL;
    enum tc_err e = TC_OK;
    int n = scandir(dir, &names, year_file, alphasort);
    if (n < 0)
        return fail(why, why_size,
                    errno == ENOENT || errno == ENOTDIR ? TC_ERR_NOT_FOUND : TC_ERR_IO,
                    "%s: cannot be read", dir);
    /* everything is read into a calendar of its own first: a bad file changes nothing */
    if ((e = tc_calendar_new(&stage)) == TC_OK)
        for (int i = 0; i < n && e == TC_OK; i++)
            e = load_file(stage, dir, names[i]->d_name, why, why_size);
    for (size_t i = 0; e == TC_OK && i < NYEARS; i++)
        if (stage->years[i] && cal->years[i] && !(flags & (TC_CALENDAR_REPLACE | TC_CALENDAR_KEEP)))
            e = fail(why, why_size, TC_ERR_EXISTS,
                     "%04zu.json: the calendar already holds that year", i + TC_CALENDAR_MIN_YEAR);
    for (size_t i = 0; e == TC_OK && i < NYEARS; i++)
        if (stage->years[i]) {
            put(cal, stage->years[i], flags); /* cannot fail now: the flags were checked */
            stage->years[i] = NULL;
        }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    tc_calendar_free(stage);
    return e;
}

const char *tc_calendar_dir(void)
{
    const char *d = getenv("TITLECERT_CALENDAR");
    return d && *d ? d : TITLECERT_DATADIR "/calendar";
}

const struct tc_calendar_year *tc_calendar_get(const struct tc_calendar *cal, int year)
{
    if (year < TC_CALENDAR_MIN_YEAR || year > TC_CALENDAR_MAX_YEAR)
        return NULL;
    const struct held *h = cal->years[year - TC_CALENDAR_MIN_YEAR];
    return h ? &h->y : NULL;
}

size_t tc_calendar_years(const struct tc_calendar *cal, int *years, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NYEARS; i++)
        if (cal->years[i]) {
            if (n < max)
                years[n] = (int)i + TC_CALENDAR_MIN_YEAR;
            n++;
        }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Working days                                                                                */
/* ------------------------------------------------------------------------------------------ */

enum tc_err tc_calendar_working(const struct tc_calendar *cal, int32_t day, bool *working,
                                int *missing_year)
{
    int y, m, d;
    tc_day_split(day, &y, &m, &d);
    const struct held *h = y >= TC_CALENDAR_MIN_YEAR && y <= TC_CALENDAR_MAX_YEAR
                               ? cal->years[y - TC_CALENDAR_MIN_YEAR]
                               : NULL;
    if (missing_year)
        *missing_year = h ? 0 : y;
    if (!h)
        return TC_ERR_RANGE;
    uint8_t k = h->kind[day - h->jan1];
    *working = k == DAY_WORKDAY || (k == DAY_PLAIN && weekday(day) < 5);
    return TC_OK;
}

enum tc_err tc_calendar_period(const struct tc_calendar *cal, int32_t published, unsigned n,
                               int32_t *first, int32_t *last, int *missing_year)
{
    int32_t start = 0;
    unsigned seen = 0;
    bool working;
    enum tc_err e;
    if (missing_year)
        *missing_year = 0;
    if (n < 1 || n > TC_CALENDAR_MAX_PERIOD)
        return TC_ERR_ARG;
    /* ends: a held day is at most 2199-12-31, and the day after it is not held */
    for (int32_t d = published;; d++) {
        if ((e = tc_calendar_working(cal, d, &working, missing_year)) != TC_OK)
            return e;
        if (working && seen++ == 0)
            start = d;
        if (working && seen == n) {
            *first = start;
            *last = d;
            return TC_OK;
        }
    }
}

enum tc_err tc_calendar_count(const struct tc_calendar *cal, int32_t from, int32_t to,
                              unsigned *count, int *missing_year)
{
    unsigned c = 0;
    bool working;
    enum tc_err e;
    if (missing_year)
        *missing_year = 0;
    /* d never passes to, so to = INT32_MAX cannot overflow it */
    for (int32_t d = from; from <= to; d++) {
        if ((e = tc_calendar_working(cal, d, &working, missing_year)) != TC_OK)
            return e;
        c += working;
        if (d == to)
            break;
    }
    *count = c;
    return TC_OK;
}

enum tc_err tc_calendar_left(const struct tc_calendar *cal, int32_t first, int32_t last,
                             int32_t today, unsigned *left, int *missing_year)
{
    return tc_calendar_count(cal, today > first ? today : first, last, left, missing_year);
}
