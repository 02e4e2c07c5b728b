/*
 * vectors.h - loads the external conformance vectors (JSON, via jansson) from the directory named
 * by TC_VECTORS_DIR, which meson sets to ../shared/vectors beside the source tree. Where the
 * directory or a file is absent the tests say so with a TAP SKIP rather than pass silently.
 */
#ifndef TC_VECTORS_H
#define TC_VECTORS_H

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the parsed file, or NULL when the directory or file is absent (the caller SKIPs).
 * A file that is present but does not parse is a test failure, never a skip: *broken is set. */
static inline json_t *vec_load_flags(const char *file, size_t flags, bool *broken)
{
    *broken = false;
    const char *dir = getenv("TC_VECTORS_DIR");
    if (!dir || !*dir)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fclose(f);
    json_error_t err;
    json_t *j = json_load_file(path, flags, &err);
    if (!j) {
        printf("# %s: line %d: %s\n", path, err.line, err.text);
        *broken = true;
    }
    return j;
}

/* Hex string -> malloc'd bytes (never NULL on success, even for ""). */
static inline uint8_t *vec_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n + 1);
    if (!b || sodium_hex2bin(b, n + 1, hex, strlen(hex), NULL, len, NULL) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

static inline const char *vec_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

#endif
