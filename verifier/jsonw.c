/*
 * jsonw.c - the JSON writer (see jsonw.h).
 *
 * The writer appends to one buffer: the caller's (on its stack, sized for the usual reply), then
 * a heap copy that doubles up to the cap. Commas come from a bit per open container saying
 * whether anything was written in it yet; a key leaves after_key set so that its value takes no
 * comma. Strings are copied in runs of bytes that need no escape, checked as UTF-8 as they go:
 * a reply is mostly such runs, so the cost is close to a memcpy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void tc_jsonw_init(struct tc_jsonw *w, char *buf, size_t size, size_t max)
{
    memset(w, 0, sizeof *w);
    w->buf = buf, w->cap = buf ? size : 0, w->max = max;
}

void tc_jsonw_free(struct tc_jsonw *w)
{
    if (w->heap)
        free(w->buf);
    w->buf = NULL, w->heap = false, w->len = w->cap = 0;
}

/* Room for n more bytes and a NUL, growing onto the heap; false (and the error kept) when the
 * cap or memory does not allow it. */
static bool room(struct tc_jsonw *w, size_t n)
{
    if (w->err != TC_OK)
        return false;
    if (n > w->max || w->len + n + 1 > w->max) {
        w->err = TC_ERR_SIZE_LIMIT;
        return false;
    }
    if (w->len + n + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n + 1)
        cap *= 2;
    if (cap > w->max)
        cap = w->max;
    char *grown = w->heap ? realloc(w->buf, cap) : malloc(cap);
    if (!grown) {
        w->err = TC_ERR_NOMEM;
        return false;
    }
    if (!w->heap && w->len)
        memcpy(grown, w->buf, w->len);
    w->buf = grown, w->cap = cap, w->heap = true;
    return true;
}

static void put(struct tc_jsonw *w, const char *s, size_t n)
{
    if (room(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = '\0';
    }
}

static void put_char(struct tc_jsonw *w, char c)
{
    if (room(w, 1)) {
        w->buf[w->len++] = c;
        w->buf[w->len] = '\0';
    }
}

/* Before a value: a comma unless it is the first in its container or follows its key. A value
 * at the top level comes once. */
static bool before_value(struct tc_jsonw *w)
{
    if (w->err != TC_OK)
        return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->depth == 0)
        return w->len == 0 || (w->err = TC_ERR_ARG, false);
    uint32_t bit = 1u << (w->depth - 1);
    if (w->object & bit) { /* a value in an object needs its key */
        w->err = TC_ERR_ARG;
        return false;
    }
    if (!(w->empty & bit))
        put_char(w, ',');
    w->empty &= ~bit;
    return true;
}

static void open_container(struct tc_jsonw *w, bool object)
{
    if (!before_value(w))
        return;
    if (w->depth == TC_JSONW_MAX_DEPTH) {
        w->err = TC_ERR_ARG;
        return;
    }
    uint32_t bit = 1u << w->depth++;
    w->object = object ? w->object | bit : w->object & ~bit;
    w->empty |= bit;
    put_char(w, object ? '{' : '[');
}

void tc_jsonw_object(struct tc_jsonw *w)
{
    open_container(w, true);
}

void tc_jsonw_array(struct tc_jsonw *w)
{
    open_container(w, false);
}

void tc_jsonw_end(struct tc_jsonw *w)
{
    if (w->err != TC_OK)
        return;
    if (w->depth == 0 || w->after_key) {
        w->err = TC_ERR_ARG;
        return;
    }
    uint32_t bit = 1u << --w->depth;
    put_char(w, (w->object & bit) ? '}' : ']');
}

/* The length of the well-formed UTF-8 sequence at s (n bytes left), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k = c < 0x80                 ? 1
               : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (k == 0 || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* overlong three- and four-byte forms, surrogates, past U+10FFFF */
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return k;
}

bool tc_jsonw_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = utf8_seq(p + i, n - i)))
            return false;
    return true;
}

/* The escape of a byte below 0x20, '"' or '\' as jansson writes it. */
static size_t escape_of(unsigned char c, char out[7])
{
    static const char hex[] = "0123456789ABCDEF";
    const char *two = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                                  : NULL;
    if (two) {
        memcpy(out, two, 2);
        return 2;
    }
    memcpy(out, "\\u00", 4);
    out[4] = hex[c >> 4], out[5] = hex[c & 15];
    return 6;
}

static void string_body(struct tc_jsonw *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* start of the bytes not yet copied */
    char esc[7];
    put_char(w, '"');
    for (size_t i = 0; i < n && w->err == TC_OK;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t k = c < 0x80 ? 1 : utf8_seq(p + i, n - i);
        if (k == 0) {
            w->err = TC_ERR_TEXT;
            return;
        }
        /* U+2028 and U+2029 (E2 80 A8/A9): line ends to JavaScript, escaped */
        bool sep =
            k == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9);
        if (k > 1 && !sep) {
            i += k;
            continue;
        }
        put(w, s + run, i - run);
        if (sep)
            put(w, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
        else
            put(w, esc, escape_of(c, esc));
        i += k;
        run = i;
    }
    put(w, s + run, n - run);
    put_char(w, '"');
}

void tc_jsonw_string_n(struct tc_jsonw *w, const char *s, size_t n)
{
    if (!s) {
        if (w->err == TC_OK)
            w->err = TC_ERR_ARG;
        return;
    }
    if (before_value(w))
        string_body(w, s, n);
}

void tc_jsonw_string(struct tc_jsonw *w, const char *s)
{
    tc_jsonw_string_n(w, s, s ? strlen(s) : 0);
}

void tc_jsonw_int(struct tc_jsonw *w, long long v)
{
    /* digits from the end, as %lld writes them (the most negative value included) */
    char num[24];
    size_t at = sizeof num;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        num[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        num[--at] = '-';
    if (before_value(w))
        put(w, num + at, sizeof num - at);
}

void tc_jsonw_bool(struct tc_jsonw *w, bool v)
{
    if (before_value(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void tc_jsonw_key(struct tc_jsonw *w, const char *key)
{
    tc_jsonw_key_n(w, key, strlen(key));
}

void tc_jsonw_key_n(struct tc_jsonw *w, const char *key, size_t n)
{
    if (w->err != TC_OK)
        return;
    uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
    if (!(w->object & bit) || w->after_key) {
        w->err = TC_ERR_ARG;
        return;
    }
    if (!(w->empty & bit))
        put_char(w, ',');
    w->empty &= ~bit;
    string_body(w, key, n);
    put_char(w, ':');
    w->after_key = true;
}

void tc_jsonw_kstring(struct tc_jsonw *w, const char *key, const char *s)
{
    if (!s)
        return;
    tc_jsonw_key(w, key);
    tc_jsonw_string(w, s);
}

void tc_jsonw_kint(struct tc_jsonw *w, const char *key, long long v)
{
    tc_jsonw_key(w, key);
    tc_jsonw_int(w, v);
}

void tc_jsonw_kbool(struct tc_jsonw *w, const char *key, bool v)
{
    tc_jsonw_key(w, key);
    tc_jsonw_bool(w, v);
}

void tc_jsonw_kobject(struct tc_jsonw *w, const char *key)
{
    tc_jsonw_key(w, key);
    tc_jsonw_object(w);
}

void tc_jsonw_karray(struct tc_jsonw *w, const char *key)
{
    tc_jsonw_key(w, key);
    tc_jsonw_array(w);
}

enum tc_err tc_jsonw_finish(struct tc_jsonw *w, const char **out, size_t *len)
{
    *out = NULL, *len = 0;
    if (w->err == TC_OK && (w->depth != 0 || w->after_key || w->len == 0))
        w->err = TC_ERR_ARG;
    if (w->err != TC_OK)
        return w->err;
    *out = w->buf, *len = w->len;
    return TC_OK;
}
