/*
 * calendar.c - the store's working-day calendar (policy/'s tc_calendar over the store's table):
 * a store gets the years shipped with titlecert when it is made (or migrated), and an admin loads
 * each new year's file from the State Council's notice. A 公示 period is counted with it, and a
 * period that reaches a year the store lacks is refused naming the year: nothing is guessed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"

/* The calendar of the years the store holds. */
static enum tc_err store_calendar(struct tc_store *s, struct tc_calendar **out, char *why,
                                  size_t why_size)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_calendar_new(out);
    if (e == TC_OK)
        e = tc_store_prepare(s, "SELECT year, json FROM calendar ORDER BY year", &q);
    if (e != TC_OK)
        return e;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW)
        e = tc_calendar_load(*out, (const char *)sqlite3_column_text(q, 1),
                             (size_t)sqlite3_column_bytes(q, 1), TC_CALENDAR_REPLACE, NULL, why,
                             why_size);
    sqlite3_finalize(q);
    if (e != TC_OK) {
        tc_calendar_free(*out);
        *out = NULL;
    }
    return e;
}

static enum tc_err missing(int year, char *why, size_t why_size)
{
    snprintf(why, why_size, "工作日历中没有 %d 年：请系统管理员导入国务院办公厅 %d 年节假日安排 "
             "(calendar load) / the working-day calendar has no year %d: an admin loads that "
             "year's file", year, year, year);
    return TC_ERR_RANGE;
}

enum tc_err tc_store_period(struct tc_store *s, int32_t first, int n, int32_t *last, char *why,
                            size_t why_size)
{
    struct tc_calendar *cal = NULL;
    int32_t start = 0;
    int year = 0;
    enum tc_err e = store_calendar(s, &cal, why, why_size);
    if (e == TC_OK)
        e = tc_calendar_period(cal, first, (unsigned)n, &start, last, &year);
    tc_calendar_free(cal);
    return e == TC_ERR_RANGE && year ? missing(year, why, why_size) : e;
}

enum tc_err tc_store_working_days(struct tc_store *s, int32_t from, int32_t to, int *n)
{
    struct tc_calendar *cal = NULL;
    unsigned count = 0;
    char why[TC_CALENDAR_WHY_MAX];
    *n = 0;
    enum tc_err e = store_calendar(s, &cal, why, sizeof why);
    if (e == TC_OK && (e = tc_calendar_count(cal, from, to, &count, NULL)) == TC_OK)
        *n = (int)count;
    tc_calendar_free(cal);
    return e;
}

static enum tc_err put_year(struct tc_store *s, int year, const char *json, size_t len,
                            uint64_t now)
{
    return tc_store_run(s,
                        "INSERT OR REPLACE INTO calendar(year, json, loaded_at) "
                        "VALUES(?, ?, ?)",
                        "isi", (int64_t)year, json, len, (int64_t)now);
}

enum tc_err tc_store_calendar_shipped(struct tc_store *s, uint64_t now)
{
    const char *dir = tc_calendar_dir();
    DIR *d = opendir(dir);
    struct dirent *de;
    enum tc_err e = TC_OK;
    if (!d)
        return TC_OK; /* none shipped here: an admin loads the years */
    while (e == TC_OK && (de = readdir(d)) != NULL) {
        char path[4096], why[TC_CALENDAR_WHY_MAX];
        uint8_t *buf = NULL;
        size_t len = 0;
        struct tc_calendar_year y;
        if (strlen(de->d_name) != 9 || strcmp(de->d_name + 4, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (tc_file_read(path, TC_CALENDAR_MAX_BYTES, &buf, &len) == TC_OK &&
            tc_calendar_year_parse(&y, (const char *)buf, len, why, sizeof why) == TC_OK)
            e = put_year(s, y.year, (const char *)buf, len, now);
        free(buf);
    }
    closedir(d);
    return e;
}

enum tc_err tc_calendar_admin_load(struct tc_store *s, const struct tc_account *by,
                                   const char *json, size_t len, uint64_t now, int *year,
                                   char *why, size_t why_size)
{
    struct tc_calendar_year y;
    *year = 0;
    /* a disabled admin keeps the role in the table: it loads nothing */
    if (!by || by->disabled || !(by->roles & TC_ROLE_ADMIN)) {
        snprintf(why, why_size, "只有系统管理员可以导入工作日历 / only an admin loads the calendar");
        return TC_ERR_REFUSED;
    }
    enum tc_err e = tc_calendar_year_parse(&y, json, len, why, why_size);
    if (e != TC_OK)
        return e;
    *year = y.year;
    char detail[256];
    snprintf(detail, sizeof detail, "{\"account\":\"%s\",\"role\":\"admin\",\"year\":%d,"
             "\"source\":\"%s\"}", by->name, y.year, y.number);
    sqlite3_stmt *ev = NULL;
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        return e;
    if ((e = put_year(s, y.year, json, len, now)) == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "calendar_load", 0, detail);
    sqlite3_finalize(ev);
    return tc_store_end(s, e);
}

enum tc_err tc_store_calendar_years(struct tc_store *s, int *years, size_t max, size_t *n)
{
    sqlite3_stmt *q;
    *n = 0;
    enum tc_err e = tc_store_prepare(s, "SELECT year FROM calendar ORDER BY year", &q);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW)
        if (*n < max)
            years[(*n)++] = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return e;
}
