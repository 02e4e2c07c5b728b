/*
 * cbor.c - the project's thin layer over libcbor.
 *
 * Writing goes through libcbor's low-level encoders, which always pick the shortest head, so the
 * output is the deterministic encoding of RFC 8949 §4.2.1 as long as callers write map keys in
 * ascending order (all keys here are small unsigned integers, whose encodings sort numerically).
 *
 * Reading uses cbor_load and then insists the item spans the whole input: libcbor 0.8 stops after
 * the first item and reports how much it read, so trailing bytes would otherwise go unnoticed.
 *
 * Before cbor_load sees any input, a pre-scan walks the item heads with libcbor's streaming
 * decoder and keeps count of how many items the open arrays and maps still owe. cbor_load
 * allocates a container's whole element table as soon as it reads the head, so a 5-byte head
 * claiming 2^32 elements would otherwise cost gigabytes and most of a minute; since every item
 * takes at least one byte, a head that owes more items than bytes remain is refused up front, and
 * with it every allocation stays proportional to the input. Nesting deeper than TC_CBOR_MAX_DEPTH
 * is refused too.
 * libcbor 0.8 also refuses tag heads 0xc6..0xd4 (tags 6..20, libcbor issue #307), COSE_Sign1's
 * tag 18 among them, which is why tc_cbor_peel_tag exists.
 */
#include <cbor.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

void tc_cw_init(struct tc_cw *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
}

enum tc_err tc_cw_alloc(struct tc_cw *w, size_t cap)
{
    uint8_t *buf = malloc(cap);
    if (!buf)
        return TC_ERR_NOMEM;
    tc_cw_init(w, buf, cap);
    return TC_OK;
}

enum tc_err tc_cw_take(struct tc_cw *w, uint8_t **out, size_t *len)
{
    if (w->overflow) {
        free(w->buf);
        return TC_ERR_INTERNAL;
    }
    *out = w->buf;
    *len = w->len;
    return TC_OK;
}

static void advance(struct tc_cw *w, size_t n)
{
    if (n == 0)
        w->overflow = true;
    else
        w->len += n;
}

#define CW_ROOM(w) ((w)->overflow ? 0 : (w)->cap - (w)->len)
#define CW_PTR(w) ((w)->buf + (w)->len)

void tc_cw_uint(struct tc_cw *w, uint64_t v)
{
    if (!w->overflow)
        advance(w, cbor_encode_uint(v, CW_PTR(w), CW_ROOM(w)));
}

void tc_cw_int(struct tc_cw *w, int64_t v)
{
    if (w->overflow)
        return;
    if (v >= 0)
        advance(w, cbor_encode_uint((uint64_t)v, CW_PTR(w), CW_ROOM(w)));
    else
        advance(w, cbor_encode_negint((uint64_t)(-(v + 1)), CW_PTR(w), CW_ROOM(w)));
}

void tc_cw_raw(struct tc_cw *w, const uint8_t *p, size_t n)
{
    if (w->overflow)
        return;
    if (n > CW_ROOM(w)) {
        w->overflow = true;
        return;
    }
    if (n)
        memcpy(CW_PTR(w), p, n);
    w->len += n;
}

void tc_cw_bytes(struct tc_cw *w, const uint8_t *p, size_t n)
{
    if (!w->overflow)
        advance(w, cbor_encode_bytestring_start(n, CW_PTR(w), CW_ROOM(w)));
    tc_cw_raw(w, p, n);
}

void tc_cw_text(struct tc_cw *w, const char *s)
{
    size_t n = strlen(s);
    if (!w->overflow)
        advance(w, cbor_encode_string_start(n, CW_PTR(w), CW_ROOM(w)));
    tc_cw_raw(w, (const uint8_t *)s, n);
}

void tc_cw_array(struct tc_cw *w, size_t n)
{
    if (!w->overflow)
        advance(w, cbor_encode_array_start(n, CW_PTR(w), CW_ROOM(w)));
}

void tc_cw_map(struct tc_cw *w, size_t n)
{
    if (!w->overflow)
        advance(w, cbor_encode_map_start(n, CW_PTR(w), CW_ROOM(w)));
}

void tc_cw_tag(struct tc_cw *w, uint64_t tag)
{
    if (!w->overflow)
        advance(w, cbor_encode_tag(tag, CW_PTR(w), CW_ROOM(w)));
}

#define TC_CBOR_MAX_DEPTH 32
#define INDEFINITE SIZE_MAX

enum head_kind { HEAD_LEAF, HEAD_CONTAINER, HEAD_INDEF, HEAD_BREAK };

struct scan {
    enum head_kind kind;
    size_t count; /* items a definite container owes */
    struct tc_tok tok;
};

static void leaf_uint(struct scan *s, uint64_t v)
{
    s->tok.kind = TC_TOK_UINT, s->tok.value = v;
}
static void on_u8(void *c, uint8_t v) { leaf_uint(c, v); }
static void on_u16(void *c, uint16_t v) { leaf_uint(c, v); }
static void on_u32(void *c, uint32_t v) { leaf_uint(c, v); }
static void on_u64(void *c, uint64_t v) { leaf_uint(c, v); }
static void leaf_neg(struct scan *s, uint64_t v)
{
    s->tok.kind = TC_TOK_NEGINT, s->tok.value = v;
}
static void on_n8(void *c, uint8_t v) { leaf_neg(c, v); }
static void on_n16(void *c, uint16_t v) { leaf_neg(c, v); }
static void on_n32(void *c, uint32_t v) { leaf_neg(c, v); }
static void on_n64(void *c, uint64_t v) { leaf_neg(c, v); }
static void on_bytes(void *c, cbor_data p, size_t n)
{
    struct scan *s = c;
    s->tok.kind = TC_TOK_BYTES, s->tok.p = p, s->tok.len = n;
}
static void on_text(void *c, cbor_data p, size_t n)
{
    struct scan *s = c;
    s->tok.kind = TC_TOK_TEXT, s->tok.p = p, s->tok.len = n;
}

static void on_array(void *ctx, size_t n)
{
    struct scan *s = ctx;
    s->kind = HEAD_CONTAINER, s->count = n;
    s->tok.kind = TC_TOK_ARRAY, s->tok.value = n;
}

static void on_map(void *ctx, size_t n)
{
    struct scan *s = ctx;
    s->kind = HEAD_CONTAINER;
    s->count = n > SIZE_MAX / 2 ? SIZE_MAX : 2 * n;
    s->tok.kind = TC_TOK_MAP, s->tok.value = n;
}

static void on_tag(void *ctx, uint64_t v)
{
    struct scan *s = ctx;
    s->kind = HEAD_CONTAINER, s->count = 1;
    s->tok.kind = TC_TOK_TAG, s->tok.value = v;
}

static void on_indef(void *ctx)
{
    ((struct scan *)ctx)->kind = HEAD_INDEF;
    ((struct scan *)ctx)->tok.kind = TC_TOK_INDEF;
}

static void on_break(void *ctx)
{
    ((struct scan *)ctx)->kind = HEAD_BREAK;
}

/* The streaming decoder's callbacks: each records the head it saw into a struct scan. */
static struct cbor_callbacks head_callbacks(void)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    cb.uint8 = on_u8;
    cb.uint16 = on_u16;
    cb.uint32 = on_u32;
    cb.uint64 = on_u64;
    cb.negint8 = on_n8;
    cb.negint16 = on_n16;
    cb.negint32 = on_n32;
    cb.negint64 = on_n64;
    cb.byte_string = on_bytes;
    cb.string = on_text;
    cb.array_start = on_array;
    cb.map_start = on_map;
    cb.tag = on_tag;
    cb.indef_array_start = on_indef;
    cb.indef_map_start = on_indef;
    cb.byte_string_start = on_indef;
    cb.string_start = on_indef;
    cb.indef_break = on_break;
    return cb;
}

/* Checks that the heads in in[0..len) can describe one item whose declared sizes fit the input.
 * With toks, also records each head as a token (at most max); *ntok and *used say how many tokens
 * and bytes the item took. */
static enum tc_err scan_item(const uint8_t *in, size_t len, struct tc_tok *toks, size_t max,
                             size_t *ntok, size_t *used)
{
    const struct cbor_callbacks cb = head_callbacks();
    size_t owed[TC_CBOR_MAX_DEPTH + 1]; /* per open container; INDEFINITE until its break */
    size_t depth = 0, off = 0, outstanding = 1, nt = 0; /* the top-level item is owed */
    while (off < len) {
        struct scan s = {HEAD_LEAF, 0, {TC_TOK_OTHER, 0, NULL, 0}};
        struct cbor_decoder_result r = cbor_stream_decode(in + off, len - off, &cb, &s);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            return TC_ERR_CBOR;
        off += r.read;
        if (toks) {
            if (nt == max)
                return TC_ERR_SIZE_LIMIT;
            toks[nt] = s.tok;
        }
        nt++;
        if (s.kind == HEAD_BREAK) {
            if (depth == 0 || owed[depth - 1] != INDEFINITE)
                return TC_ERR_CBOR;
            depth--;
            outstanding--;
        } else {
            /* Only the top-level item and members of definite containers were counted as owed;
             * members of an indefinite container are paid for by its closing break. */
            if (depth == 0 || owed[depth - 1] != INDEFINITE) {
                if (depth > 0)
                    owed[depth - 1]--;
                outstanding--;
            }
            if (s.kind != HEAD_LEAF) {
                if (depth == TC_CBOR_MAX_DEPTH)
                    return TC_ERR_CBOR;
                size_t n = s.kind == HEAD_INDEF ? 1 : s.count; /* an open indefinite owes a break */
                if (n > len - off || outstanding > len - off - n)
                    return TC_ERR_CBOR; /* claims more items than bytes remain */
                owed[depth++] = s.kind == HEAD_INDEF ? INDEFINITE : s.count;
                outstanding += n;
            }
        }
        while (depth > 0 && owed[depth - 1] == 0)
            depth--;
        if (outstanding == 0) { /* one complete item; what follows is trailing */
            if (ntok)
                *ntok = nt;
            *used = off;
            return TC_OK;
        }
    }
    return TC_ERR_CBOR;
}

static enum tc_err prescan(const uint8_t *in, size_t len)
{
    size_t used, n;
    return scan_item(in, len, NULL, 0, &n, &used);
}

enum tc_err tc_cbor_tokens(const uint8_t *in, size_t len, struct tc_tok *toks, size_t max,
                           size_t *n)
{
    size_t used = 0;
    if (len == 0)
        return TC_ERR_CBOR;
    enum tc_err e = scan_item(in, len, toks, max, n, &used);
    if (e == TC_OK && used != len)
        return TC_ERR_TRAILING;
    return e;
}

enum tc_err tc_cbor_load(const uint8_t *in, size_t len, struct cbor_item_t **item)
{
    struct cbor_load_result res;
    *item = NULL;
    if (len == 0)
        return TC_ERR_CBOR;
    enum tc_err e = prescan(in, len);
    if (e != TC_OK)
        return e;
    cbor_item_t *it = cbor_load(in, len, &res);
    if (!it)
        return res.error.code == CBOR_ERR_MEMERROR ? TC_ERR_NOMEM : TC_ERR_CBOR;
    if (res.read != len) {
        cbor_decref(&it);
        return TC_ERR_TRAILING;
    }
    *item = it;
    return TC_OK;
}

bool tc_cbor_peel_tag(const uint8_t **in, size_t *len, uint64_t *tag)
{
    const uint8_t *p = *in;
    size_t n = *len;
    if (n == 0 || (p[0] >> 5) != 6)
        return false;
    uint8_t ai = p[0] & 0x1f;
    size_t extra = ai < 24 ? 0 : ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 99;
    if (extra == 99 || n < 1 + extra)
        return false;
    uint64_t v = ai < 24 ? ai : 0;
    for (size_t i = 0; i < extra; i++)
        v = (v << 8) | p[1 + i];
    *tag = v;
    *in = p + 1 + extra;
    *len = n - 1 - extra;
    return true;
}

enum tc_err tc_cbor_get_uint(const struct cbor_item_t *it, uint64_t max, uint64_t *v)
{
    if (!cbor_isa_uint(it))
        return TC_ERR_TYPE;
    uint64_t x = cbor_get_int(it);
    if (x > max)
        return TC_ERR_RANGE;
    *v = x;
    return TC_OK;
}

enum tc_err tc_cbor_get_int(const struct cbor_item_t *it, int64_t min, int64_t max, int64_t *v)
{
    int64_t x;
    if (cbor_isa_uint(it)) {
        uint64_t u = cbor_get_int(it);
        if (u > (uint64_t)INT64_MAX)
            return TC_ERR_RANGE;
        x = (int64_t)u;
    } else if (cbor_isa_negint(it)) {
        uint64_t u = cbor_get_int(it);
        if (u > (uint64_t)INT64_MAX)
            return TC_ERR_RANGE;
        x = -1 - (int64_t)u;
    } else {
        return TC_ERR_TYPE;
    }
    if (x < min || x > max)
        return TC_ERR_RANGE;
    *v = x;
    return TC_OK;
}

enum tc_err tc_cbor_get_text(const struct cbor_item_t *it, char *out, size_t max)
{
    if (!cbor_isa_string(it))
        return TC_ERR_TYPE;
    if (!cbor_string_is_definite(it))
        return TC_ERR_NONCANONICAL;
    size_t n = cbor_string_length(it);
    if (n > max)
        return TC_ERR_RANGE;
    const uint8_t *p = cbor_string_handle(it);
    if (n && !p)
        return TC_ERR_CBOR;
    if (!tc_text_safe(p, n))
        return TC_ERR_TEXT;
    if (n)
        memcpy(out, p, n);
    out[n] = '\0';
    return TC_OK;
}

enum tc_err tc_cbor_get_bytes(const struct cbor_item_t *it, uint8_t *out, size_t n, bool exact,
                              size_t *got)
{
    if (!cbor_isa_bytestring(it))
        return TC_ERR_TYPE;
    if (!cbor_bytestring_is_definite(it))
        return TC_ERR_NONCANONICAL;
    size_t len = cbor_bytestring_length(it);
    if (exact ? len != n : len > n)
        return TC_ERR_RANGE;
    const uint8_t *p = cbor_bytestring_handle(it);
    if (len && !p)
        return TC_ERR_CBOR;
    if (len)
        memcpy(out, p, len);
    if (got)
        *got = len;
    return TC_OK;
}

static const char uscc_alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

enum tc_err tc_uscc_pack(uint8_t out[TC_USCC_PACKED], const char *uscc)
{
    if (!tc_uscc_well_formed(uscc))
        return TC_ERR_CODE;
    unsigned __int128 v = 0;
    for (size_t i = 0; i < TC_USCC_LEN; i++)
        v = v * 31 + (unsigned)(strchr(uscc_alpha, uscc[i]) - uscc_alpha);
    for (int i = TC_USCC_PACKED - 1; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    return TC_OK;
}

enum tc_err tc_uscc_unpack(char out[TC_USCC_LEN + 1], const uint8_t in[TC_USCC_PACKED])
{
    unsigned __int128 v = 0, max = 1;
    for (size_t i = 0; i < TC_USCC_PACKED; i++)
        v = (v << 8) | in[i];
    for (size_t i = 0; i < TC_USCC_LEN; i++)
        max *= 31;
    if (v >= max)
        return TC_ERR_RANGE;
    for (int i = TC_USCC_LEN - 1; i >= 0; i--) {
        out[i] = uscc_alpha[(unsigned)(v % 31)];
        v /= 31;
    }
    out[TC_USCC_LEN] = '\0';
    return TC_OK;
}

enum tc_err tc_tok_reader_init(struct tc_tok_reader *r, const uint8_t *in, size_t len)
{
    size_t used = 0, n = 0;
    r->in = in, r->len = len, r->off = 0, r->canonical = false;
    if (len == 0)
        return TC_ERR_CBOR;
    enum tc_err e = scan_item(in, len, NULL, 0, &n, &used);
    if (e == TC_OK && used != len)
        return TC_ERR_TRAILING;
    return e;
}

bool tc_tok_next(struct tc_tok_reader *r, struct tc_tok *t)
{
    if (r->off >= r->len)
        return false;
    const struct cbor_callbacks cb = head_callbacks();
    struct scan s = {HEAD_LEAF, 0, {TC_TOK_OTHER, 0, NULL, 0}};
    struct cbor_decoder_result res = cbor_stream_decode(r->in + r->off, r->len - r->off, &cb, &s);
    if (res.status != CBOR_DECODER_FINISHED || res.read == 0)
        return false;
    if (r->canonical) {
        uint64_t v;
        size_t head = res.read;
        switch (s.tok.kind) {
        case TC_TOK_UINT: case TC_TOK_NEGINT: case TC_TOK_ARRAY: case TC_TOK_MAP:
            v = s.tok.value;
            break;
        case TC_TOK_BYTES: case TC_TOK_TEXT:
            v = s.tok.len;
            head -= s.tok.len;
            break;
        default:
            return false;
        }
        size_t shortest = v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
        if (head != shortest)
            return false;
    }
    r->off += res.read;
    *t = s.tok;
    return true;
}
