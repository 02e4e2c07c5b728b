/*
 * tap.h - a minimal TAP producer for the test programs (meson runs them with protocol 'tap').
 * Each check is one numbered test line; failures say where and, for error codes, what came back.
 */
#ifndef TC_TAP_H
#define TC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cert.h"

static int tap_count, tap_failed;

__attribute__((format(printf, 4, 0))) static void tap_line(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    tap_count++;
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("# failed at %s:%d\n", file, line);
    }
    fflush(stdout);
}

__attribute__((format(printf, 4, 5))) static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_line(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

__attribute__((format(printf, 5, 6))) static inline int tap_is_err(int got, int want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_line(got == want, file, line, fmt, ap);
    va_end(ap);
    if (got != want)
        printf("# got %s (%d), want %s (%d)\n", tc_errname((enum tc_err)got), got,
               tc_errname((enum tc_err)want), want);
    return got == want;
}

static inline void tap_skip(const char *why)
{
    tap_count++;
    printf("ok %d # SKIP %s\n", tap_count, why);
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_err(got, want, ...) tap_is_err((int)(got), (int)(want), __FILE__, __LINE__, __VA_ARGS__)

#endif
