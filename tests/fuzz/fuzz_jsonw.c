/*
 * fuzz_jsonw.c - libFuzzer target for the JSON writer's escaping (verifier/jsonw.c). The input is
 * cut at 0xFF bytes into pieces, written as an object of keys and string values, with a piece left
 * without a partner as the one element of an array under the last key "~". Properties: when every
 * piece is well-formed UTF-8 the writer succeeds, its bytes hold no raw control character, and
 * jansson reads them back into exactly the pieces; without U+2028 or U+2029 in any piece (the one
 * escape jansson does not make) they are byte for byte jansson's compact dump of that object.
 * When a piece is not UTF-8 the writer refuses it with TC_ERR_TEXT and jansson refuses it too.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIECES 64

static bool has_separator(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if ((uint8_t)s[i] == 0xE2 && (uint8_t)s[i + 1] == 0x80 &&
            ((uint8_t)s[i + 2] == 0xA8 || (uint8_t)s[i + 2] == 0xA9))
            return true;
    return false;
}

static void write_pieces(struct tc_jsonw *w, const char *const *p, const size_t *len, size_t n)
{
    tc_jsonw_object(w);
    for (size_t i = 0; i + 1 < n; i += 2) {
        tc_jsonw_key_n(w, p[i], len[i]);
        tc_jsonw_string_n(w, p[i + 1], len[i + 1]);
    }
    if (n % 2) {
        tc_jsonw_karray(w, "~");
        tc_jsonw_string_n(w, p[n - 1], len[n - 1]);
        tc_jsonw_end(w);
    }
    tc_jsonw_end(w);
}

/* The pieces as jansson's tree; NULL when a key is one jansson cannot hold as written (a NUL in
 * it, or a key seen before: an object keeps one value per key). */
static json_t *tree_of(const char *const *p, const size_t *len, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i + 1 < n; i += 2) {
        if (memchr(p[i], 0, len[i]) || json_object_getn(o, p[i], len[i]) ||
            (len[i] == 1 && p[i][0] == '~')) {
            json_decref(o);
            return NULL;
        }
        json_object_setn_new(o, p[i], len[i], json_stringn(p[i + 1], len[i + 1]));
    }
    if (n % 2)
        json_object_set_new(o, "~", json_pack("[s%]", p[n - 1], len[n - 1]));
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const char *p[MAX_PIECES];
    size_t len[MAX_PIECES], n = 0, start = 0;
    for (size_t i = 0; i <= size && n < MAX_PIECES; i++)
        if (i == size || data[i] == 0xFF) {
            p[n] = (const char *)data + start, len[n++] = i - start;
            start = i + 1;
        }
    bool utf8 = true, sep = false;
    for (size_t i = 0; i < n; i++) {
        utf8 = utf8 && tc_jsonw_utf8_ok(p[i], len[i]);
        sep = sep || has_separator(p[i], len[i]);
        /* the writer's UTF-8 check agrees with jansson's */
        json_t *one = json_stringn(p[i], len[i]);
        if ((one != NULL) != tc_jsonw_utf8_ok(p[i], len[i]))
            abort();
        json_decref(one);
    }
    char local[64];
    struct tc_jsonw w;
    const char *out;
    size_t outlen;
    tc_jsonw_init(&w, local, sizeof local, 1u << 20);
    write_pieces(&w, p, len, n);
    enum tc_err e = tc_jsonw_finish(&w, &out, &outlen);
    if (!utf8) {
        if (e != TC_ERR_TEXT)
            abort();
        tc_jsonw_free(&w);
        return 0;
    }
    if (e != TC_OK || strlen(out) != outlen)
        abort();
    for (size_t i = 0; i < outlen; i++)
        if ((uint8_t)out[i] < 0x20)
            abort();
    json_t *tree = tree_of(p, len, n);
    if (tree) {
        json_error_t err;
        json_t *back = json_loadb(out, outlen, JSON_ALLOW_NUL, &err);
        if (!back || !json_equal(back, tree))
            abort();
        json_decref(back);
        char *dump = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        if (!sep && (!dump || strcmp(dump, out) != 0))
            abort();
        free(dump);
        json_decref(tree);
    }
    tc_jsonw_free(&w);
    return 0;
}
