/*
 * jsonw.h - a small JSON writer: compact JSON written straight into a buffer, members in the order
 * they are written, for replies on the request path where building a jansson tree, dumping it and
 * freeing it cost more than the answer's own work.
 *
 * The output is what jansson's json_dumpb(JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the same
 * tree (no spaces, "," and ":" as separators, integers in decimal, the same string escapes), with
 * one deliberate difference: U+2028 and U+2029 are escaped as \u2028 and \u2029, so that a reply
 * can be embedded in a script. Strings must be well-formed UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF); control characters are escaped (\b \f \n \r \t, else \u00XX), as
 * are '"' and '\'.
 *
 * Errors are sticky: the first one (TC_ERR_SIZE_LIMIT past the cap, TC_ERR_NOMEM, TC_ERR_TEXT for
 * a string that is not UTF-8, TC_ERR_ARG for unbalanced or too deep nesting, or a key outside an
 * object) is kept, the writer writes nothing more, and tc_jsonw_finish returns it. Callers write a
 * whole document and check once.
 */
#ifndef TC_JSONW_H
#define TC_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#define TC_JSONW_MAX_DEPTH 32

struct tc_jsonw {
    char *buf; /* the bytes so far: the caller's first buffer, then the heap */
    size_t len, cap, max;
    bool heap;       /* buf was allocated here (tc_jsonw_free frees it) */
    bool after_key;  /* a key was written: its value comes next, without a comma */
    enum tc_err err; /* the first error, or TC_OK */
    unsigned depth;
    uint32_t object; /* bit d: the container at depth d is an object (else an array) */
    uint32_t empty;  /* bit d: nothing written yet in the container at depth d */
};

/* A writer that starts in buf (size bytes, may be NULL with size 0: the heap from the start) and
 * grows on the heap up to max bytes in all. */
void tc_jsonw_init(struct tc_jsonw *w, char *buf, size_t size, size_t max);
/* Frees what the writer allocated; the writer may be initialised again. */
void tc_jsonw_free(struct tc_jsonw *w);

void tc_jsonw_object(struct tc_jsonw *w); /* { */
void tc_jsonw_array(struct tc_jsonw *w);  /* [ */
void tc_jsonw_end(struct tc_jsonw *w);    /* } or ], whichever is open */
/* A member's key, in an object; its value is the next thing written. */
void tc_jsonw_key(struct tc_jsonw *w, const char *key);
void tc_jsonw_key_n(struct tc_jsonw *w, const char *key, size_t n);
/* Values (a NULL string is TC_ERR_ARG). */
void tc_jsonw_string(struct tc_jsonw *w, const char *s);
void tc_jsonw_string_n(struct tc_jsonw *w, const char *s, size_t n);
void tc_jsonw_int(struct tc_jsonw *w, long long v);
void tc_jsonw_bool(struct tc_jsonw *w, bool v);
/* Members: key and value in one call. tc_jsonw_kstring(w, key, NULL) leaves the member out, as
 * jansson leaves out a member set to json_string(NULL). */
void tc_jsonw_kstring(struct tc_jsonw *w, const char *key, const char *s);
void tc_jsonw_kint(struct tc_jsonw *w, const char *key, long long v);
void tc_jsonw_kbool(struct tc_jsonw *w, const char *key, bool v);
void tc_jsonw_kobject(struct tc_jsonw *w, const char *key); /* "key":{ */
void tc_jsonw_karray(struct tc_jsonw *w, const char *key);  /* "key":[ */

/* The document: TC_OK with *out (the writer's buffer, NUL-terminated, valid until tc_jsonw_free)
 * and *len, when everything written was balanced and no error happened; else the first error. */
enum tc_err tc_jsonw_finish(struct tc_jsonw *w, const char **out, size_t *len);

/* Whether s[0..n) is well-formed UTF-8 as the writer requires it. */
bool tc_jsonw_utf8_ok(const char *s, size_t n);

#endif
