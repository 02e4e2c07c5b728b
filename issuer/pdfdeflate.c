/*
 * pdfdeflate.c - zlib for the e-certificate's streams. cairo compresses every stream of a PDF
 * through zlib's deflateInit() and deflate() and has no setting for either. An executable's
 * definitions come before libz's in the dynamic linker's lookup, so cairo's calls land here
 * (docs/DECISIONS.md: "The e-certificate's cost" for the level, "The seal compressed once per
 * engine" for the rest):
 *
 * - deflateInit_ starts a stream inside tc_pdf_write at TC_PDF_DEFLATE_LEVEL, or at the level
 *   the thread set with tc_pdf_deflate_level; anywhere else exactly as zlib's own deflateInit_
 *   starts it (the same deflateInit2_ call, with the caller's level) unless the thread set one.
 * - Inside tc_pdf_write a stream's input is gathered and compressed in one call when cairo
 *   finishes it. When the engine compressed the same bytes at the same level before (the seal's
 *   image, mask and outlines, on every page) the output kept from then is handed out instead:
 *   deflate's output is a function of the input, the level and the zlib build, so the bytes are
 *   the same (tests/test_issuer_pdf.c re-compresses every stream and compares).
 * - Every other stream, and every deflate() outside tc_pdf_write, is zlib's own, untouched.
 *
 * A gathered stream takes Z_NO_FLUSH and Z_FINISH, all cairo asks for; a partial flush would
 * need output before the input is whole, and is refused with Z_STREAM_ERROR. deflateParams and
 * deflateSetDictionary are not seen here: nothing inside tc_pdf_write calls them.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "issuer.h"
#include "issuer_internal.h"

#define MEMO_KEPT 12            /* streams an engine keeps compressed */
#define MEMO_BYTES (16u << 20)  /* and at most this much of them, input and output */
#define MEMO_MIN (16u << 10)    /* smaller ones cost less to compress than to look up */
#define GATHER_MAX (256u << 20) /* a stream's input, held until it is finished */
#define OPEN_MAX 8              /* streams a thread gathers at once (cairo: one or two) */

struct memo_entry {
    uint8_t *in, *out; /* NULL: free */
    size_t in_len, out_len;
    uLong adler;
    int level;
    uint64_t used; /* the memo's clock when last handed out */
    uint64_t hits;
};

struct tc_deflate_memo {
    struct memo_entry e[MEMO_KEPT];
    uint64_t clock;
    size_t bytes;
    uint64_t reused; /* input bytes not compressed again */
};

struct gathered {
    z_streamp strm; /* NULL: the slot is free */
    int level;
    uint8_t *in;
    size_t len, cap;
    bool finishing;     /* the output is known; it is being handed out */
    const uint8_t *out; /* a memo entry's, or own_out */
    uint8_t *own_out;
    size_t out_len, pos;
};

static _Thread_local int thread_level = TC_PDF_DEFLATE_AUTO; /* what the thread asked for */
static _Thread_local int pdf_level = TC_PDF_DEFLATE_AUTO;    /* what applies now */
static _Thread_local struct tc_deflate_memo *cur_memo;       /* inside tc_pdf_write */
static _Thread_local struct gathered open_streams[OPEN_MAX];

typedef int (*deflate_fn)(z_streamp, int);
typedef int (*deflate_end_fn)(z_streamp);
typedef int (*deflate_reset_fn)(z_streamp);
static deflate_fn zlib_deflate;
static deflate_end_fn zlib_deflate_end;
static deflate_reset_fn zlib_deflate_reset;
static pthread_once_t found = PTHREAD_ONCE_INIT;

static void find_zlib(void)
{
    zlib_deflate = (deflate_fn)dlsym(RTLD_NEXT, "deflate");
    zlib_deflate_end = (deflate_end_fn)dlsym(RTLD_NEXT, "deflateEnd");
    zlib_deflate_reset = (deflate_reset_fn)dlsym(RTLD_NEXT, "deflateReset");
    if (!zlib_deflate || !zlib_deflate_end || !zlib_deflate_reset) {
        /* cannot happen while this file's callers link libz; nothing could compress anything */
        fputs("titlecert: zlib's deflate not found after the executable's\n", stderr);
        abort();
    }
}

int tc_pdf_deflate_level(int level)
{
    int was = thread_level;
    thread_level = level >= -1 && level <= 9 ? level : TC_PDF_DEFLATE_AUTO;
    pdf_level = thread_level;
    return was;
}

struct tc_deflate_memo *tc_deflate_memo_new(void)
{
    return calloc(1, sizeof(struct tc_deflate_memo));
}

static void drop_entry(struct tc_deflate_memo *m, struct memo_entry *e)
{
    m->bytes -= e->in_len + e->out_len;
    free(e->in), free(e->out);
    memset(e, 0, sizeof *e);
}

void tc_deflate_memo_free(struct tc_deflate_memo *m)
{
    if (!m)
        return;
    for (int i = 0; i < MEMO_KEPT; i++)
        drop_entry(m, &m->e[i]);
    free(m);
}

uint64_t tc_deflate_memo_reused(const struct tc_deflate_memo *m)
{
    return m ? m->reused : 0;
}

static void release(struct gathered *s)
{
    free(s->in), free(s->own_out);
    memset(s, 0, sizeof *s);
}

void tc_pdf_streams_begin(struct tc_deflate_memo *m)
{
    pdf_level = thread_level == TC_PDF_DEFLATE_AUTO ? TC_PDF_DEFLATE_LEVEL : thread_level;
    cur_memo = m;
}

void tc_pdf_streams_end(void)
{
    pdf_level = thread_level;
    cur_memo = NULL;
    /* cairo ends its streams before the surface is gone; a slot left is a stream never ended */
    for (int i = 0; i < OPEN_MAX; i++)
        if (open_streams[i].strm)
            release(&open_streams[i]);
}

static struct gathered *find(z_streamp strm)
{
    if (!strm)
        return NULL;
    for (int i = 0; i < OPEN_MAX; i++)
        if (open_streams[i].strm == strm)
            return &open_streams[i];
    return NULL;
}

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
    if (pdf_level != TC_PDF_DEFLATE_AUTO)
        level = pdf_level;
    /* zlib's deflateInit_: the largest window, memLevel 8 (DEF_MEM_LEVEL), default strategy */
    int r = deflateInit2_(strm, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY, version,
                          stream_size);
    if (r != Z_OK || !cur_memo)
        return r;
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm); /* a z_stream used again without deflateEnd */
    if (s)
        release(s);
    for (int i = 0; !s && i < OPEN_MAX; i++)
        if (!open_streams[i].strm)
            s = &open_streams[i];
    if (s) { /* otherwise more streams are open than cairo ever has: this one is zlib's */
        s->strm = strm;
        s->level = level;
    }
    return r;
}

static bool take(struct gathered *s, const uint8_t *p, size_t n)
{
    if (n > GATHER_MAX - s->len)
        return false;
    size_t need = s->len + n < 64u << 10 ? 64u << 10 : s->len + n; /* 64 KiB, then doubled */
    if (tc_reserve((void **)&s->in, &s->cap, need, 1) != TC_OK)
        return false;
    memcpy(s->in + s->len, p, n);
    s->len += n;
    return true;
}

static struct memo_entry *lookup(struct tc_deflate_memo *m, const struct gathered *s)
{
    for (int i = 0; m && i < MEMO_KEPT; i++) {
        struct memo_entry *e = &m->e[i];
        if (e->in && e->in_len == s->len && e->level == s->level && !memcmp(e->in, s->in, s->len))
            return e;
    }
    return NULL;
}

static bool handed_out(const struct memo_entry *e)
{
    for (int i = 0; i < OPEN_MAX; i++)
        if (open_streams[i].strm && open_streams[i].out == e->out)
            return true;
    return false;
}

/* keeps s's input and out, which the memo then owns; false when it does not keep them */
static bool keep(struct tc_deflate_memo *m, struct gathered *s, uint8_t *out, size_t out_len,
                 uLong adler)
{
    size_t bytes = s->len + out_len;
    if (!m || s->len < MEMO_MIN || bytes > MEMO_BYTES / 2)
        return false;
    /* room: a free entry, else the one never reused and oldest, else the oldest; until the bytes
     * fit. An entry being handed out stays. */
    struct memo_entry *slot = NULL;
    for (;;) {
        struct memo_entry *victim = NULL;
        for (int i = 0; i < MEMO_KEPT; i++) {
            struct memo_entry *e = &m->e[i];
            if (!e->in) {
                if (!slot)
                    slot = e;
                continue;
            }
            if (handed_out(e))
                continue;
            if (!victim || (e->hits == 0) > (victim->hits == 0) ||
                ((e->hits == 0) == (victim->hits == 0) && e->used < victim->used))
                victim = e;
        }
        if (slot && m->bytes + bytes <= MEMO_BYTES)
            break;
        if (!victim)
            return false;
        drop_entry(m, victim);
    }
    *slot = (struct memo_entry){.in = s->in,
                                .out = out,
                                .in_len = s->len,
                                .out_len = out_len,
                                .adler = adler,
                                .level = s->level,
                                .used = ++m->clock};
    m->bytes += bytes;
    s->in = NULL, s->len = s->cap = 0;
    return true;
}

/* the whole input known: find or make its output */
static int finish(struct gathered *s, z_streamp strm)
{
    struct memo_entry *e = lookup(cur_memo, s);
    if (e) {
        e->used = ++cur_memo->clock;
        e->hits++;
        cur_memo->reused += e->in_len;
        strm->adler = e->adler;
        s->out = e->out, s->out_len = e->out_len;
    } else {
        uLong bound = deflateBound(strm, (uLong)s->len);
        uint8_t *out = malloc(bound ? bound : 1);
        if (!out)
            return Z_MEM_ERROR;
        z_stream keep_fields = *strm; /* the caller's buffers and counts, put back below */
        strm->next_in = s->in ? s->in : (Bytef *)"", strm->avail_in = (uInt)s->len;
        strm->next_out = out, strm->avail_out = (uInt)bound;
        int r = zlib_deflate(strm, Z_FINISH);
        size_t out_len = bound - strm->avail_out;
        uLong adler = strm->adler;
        strm->next_in = keep_fields.next_in, strm->avail_in = keep_fields.avail_in;
        strm->next_out = keep_fields.next_out, strm->avail_out = keep_fields.avail_out;
        strm->total_in = keep_fields.total_in, strm->total_out = keep_fields.total_out;
        if (r != Z_STREAM_END) {
            free(out);
            return r == Z_OK ? Z_BUF_ERROR : r;
        }
        strm->adler = adler;
        if (!keep(cur_memo, s, out, out_len, adler))
            s->own_out = out;
        s->out = out, s->out_len = out_len;
    }
    s->finishing = true;
    s->pos = 0;
    return Z_OK;
}

static int hand_out(struct gathered *s, z_streamp strm)
{
    size_t n = s->out_len - s->pos;
    if (n > strm->avail_out)
        n = strm->avail_out;
    if (n) {
        memcpy(strm->next_out, s->out + s->pos, n);
        strm->next_out += n, strm->avail_out -= (uInt)n, strm->total_out += n;
        s->pos += n;
    }
    if (s->pos == s->out_len)
        return Z_STREAM_END;
    return n ? Z_OK : Z_BUF_ERROR;
}

int deflate(z_streamp strm, int flush)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (!s)
        return zlib_deflate(strm, flush);
    if (flush != Z_NO_FLUSH && flush != Z_FINISH)
        return Z_STREAM_ERROR;
    if (s->finishing) /* as zlib answers once a stream is finishing */
        return flush != Z_FINISH ? Z_STREAM_ERROR
               : strm->avail_in  ? Z_BUF_ERROR
                                 : hand_out(s, strm);
    if (strm->avail_in) {
        if (!strm->next_in)
            return Z_STREAM_ERROR;
        if (!take(s, strm->next_in, strm->avail_in))
            return Z_MEM_ERROR;
        strm->next_in += strm->avail_in, strm->total_in += strm->avail_in, strm->avail_in = 0;
    } else if (flush == Z_NO_FLUSH) {
        return Z_BUF_ERROR;
    }
    if (flush == Z_NO_FLUSH)
        return Z_OK;
    int r = finish(s, strm);
    return r == Z_OK ? hand_out(s, strm) : r;
}

int deflateReset(z_streamp strm)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (s) {
        z_streamp p = strm;
        int level = s->level;
        release(s);
        s->strm = p, s->level = level;
    }
    return zlib_deflate_reset(strm);
}

int deflateEnd(z_streamp strm)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (s)
        release(s);
    return zlib_deflate_end(strm);
}
