/*
 * pdfdeflate.c - zlib for the e-certificate's streams. cairo compresses every stream of a PDF
 * through zlib's deflateInit() and deflate() and has no setting for either. An executable's
 * definitions come before libz's in the dynamic linker's lookup, so cairo's calls land here
 * (docs/DECISIONS.md: "The e-certificate's cost" for the level, "The seal compressed once per
 * engine" for the rest), and so do libz's own calls from compress() and any other library's:
 *
 * - deflateInit_ starts a stream inside tc_pdf_write at TC_PDF_DEFLATE_LEVEL, or at the level
 *   the thread set with tc_pdf_deflate_level; anywhere else exactly as zlib's own deflateInit_
 *   starts it (the same deflateInit2_ call, with the caller's level) unless the thread set one.
 * - A stream started so inside tc_pdf_write is gathered: its input is held, and compressed in
 *   one call when it is finished. When the engine compressed the same bytes at the same level
 *   before (the seal's image, mask and outlines, on every page) the output kept from then is
 *   handed out instead: zlib's output for one input, level and build is always the same, so the
 *   bytes are the first compression's (tests/test_issuer_pdf.c re-compresses every stream and
 *   compares).
 * - A gathered stream that cannot go on so (more than GATHER_MAX bytes, memory short, a flush
 *   other than Z_FINISH, a change of parameters, dictionary or bits) spills: what it holds goes
 *   to zlib through the caller's output room, and the stream is zlib's own from then on. So a
 *   deflate() here never fails where zlib's would not: cairo repeats a call until its input is
 *   taken, whatever it returns.
 * - Every other stream, and every deflate() outside tc_pdf_write, is zlib's own, untouched.
 *
 * While gathering, adler and msg are not kept up to date (they are at the end) and
 * deflatePending() does not count what is held; a call that could not progress here answers
 * Z_BUF_ERROR where zlib, writing its header, would answer Z_OK (a first call with no input),
 * and deflateTune, deflateParams and deflatePrime on a gathered stream need output room, as
 * deflateParams does in zlib; a deflateCopy with every slot in use is Z_MEM_ERROR. Nothing that
 * draws a page depends on any of these.
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

#define MEMO_KEPT 12           /* streams an engine keeps compressed */
#define MEMO_BYTES (16u << 20) /* and at most this much of them, input and output */
#define MEMO_MIN (16u << 10)   /* smaller ones cost less to compress than to look up */
#define GATHER_MAX (4u << 20)  /* larger streams could not be kept: they spill to zlib */
#define OPEN_MAX 8             /* streams a thread gathers at once (cairo: one or two) */

struct memo_entry {
    uint8_t *in, *out; /* NULL: free */
    size_t in_len, out_len;
    uLong adler;
    int level, data_type;
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
    z_streamp strm;               /* NULL: the slot is free */
    const void *state;            /* strm->state when it was started: another is a new stream */
    struct tc_deflate_memo *memo; /* where it is looked up and kept; NULL after the page */
    int level;
    uint8_t *in;
    size_t len, cap;
    bool spilling; /* in[spilled..len) goes to zlib, then the stream is zlib's own */
    size_t spilled;
    bool finishing;     /* the output is known; it is being handed out */
    const uint8_t *out; /* a memo entry's, or own_out */
    uint8_t *own_out;
    size_t out_len, pos;
};

static _Thread_local int thread_level = TC_PDF_DEFLATE_AUTO; /* what the thread asked for */
static _Thread_local int pdf_level = TC_PDF_DEFLATE_AUTO;    /* what applies now */
static _Thread_local struct tc_deflate_memo *cur_memo;       /* inside tc_pdf_write */
static _Thread_local struct gathered open_streams[OPEN_MAX];

static int (*zlib_deflate)(z_streamp, int);
static int (*zlib_deflate_end)(z_streamp);
static int (*zlib_deflate_reset)(z_streamp);
static int (*zlib_set_dictionary)(z_streamp, const Bytef *, uInt);
static int (*zlib_params)(z_streamp, int, int);
static int (*zlib_prime)(z_streamp, int, int);
static int (*zlib_tune)(z_streamp, int, int, int, int);
static int (*zlib_copy)(z_streamp, z_streamp);
static pthread_once_t found = PTHREAD_ONCE_INIT;

static void *next_symbol(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) { /* cannot happen while this file's callers link libz: nothing could compress */
        fprintf(stderr, "titlecert: zlib's %s not found after the executable's\n", name);
        abort();
    }
    return f;
}

static void find_zlib(void)
{
    *(void **)&zlib_deflate = next_symbol("deflate");
    *(void **)&zlib_deflate_end = next_symbol("deflateEnd");
    *(void **)&zlib_deflate_reset = next_symbol("deflateReset");
    *(void **)&zlib_set_dictionary = next_symbol("deflateSetDictionary");
    *(void **)&zlib_params = next_symbol("deflateParams");
    *(void **)&zlib_prime = next_symbol("deflatePrime");
    *(void **)&zlib_tune = next_symbol("deflateTune");
    *(void **)&zlib_copy = next_symbol("deflateCopy");
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
    /* cairo ends its streams before the surface is gone. One started here by anything else and
     * still open goes on gathering, but is no longer kept; one still handing out a memo entry's
     * bytes takes a copy, since the engine (and its memo) may be freed next. */
    for (int i = 0; i < OPEN_MAX; i++) {
        struct gathered *s = &open_streams[i];
        if (!s->strm)
            continue;
        if (s->finishing && !s->own_out) /* the memo entry's output becomes the stream's */
            for (int k = 0; s->memo && k < MEMO_KEPT; k++) {
                struct memo_entry *e = &s->memo->e[k];
                if (e->out != s->out)
                    continue;
                s->own_out = e->out; /* counted out of the memo by drop_entry, not freed */
                e->out = NULL;
                drop_entry(s->memo, e);
            }
        s->memo = NULL;
    }
}

static struct gathered *find(z_streamp strm)
{
    if (!strm)
        return NULL;
    for (int i = 0; i < OPEN_MAX; i++) {
        struct gathered *s = &open_streams[i];
        if (s->strm != strm)
            continue;
        if (s->state == strm->state)
            return s;
        release(s); /* the z_stream started again (deflateInit2_) without deflateEnd */
        return NULL;
    }
    return NULL;
}

static struct gathered *free_slot(void)
{
    for (int i = 0; i < OPEN_MAX; i++)
        if (!open_streams[i].strm)
            return &open_streams[i];
    return NULL;
}

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
    bool valid = level >= -1 && level <= 9; /* zlib refuses the others: so must this */
    if (pdf_level != TC_PDF_DEFLATE_AUTO && valid)
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
    else
        s = free_slot();
    if (s) { /* otherwise more streams are open than cairo ever has: this one is zlib's */
        s->strm = strm;
        s->state = strm->state;
        s->memo = cur_memo;
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

/* Keeps s's input and out, which the memo then owns (both cut to their length); false when it
 * does not keep them. */
static bool keep(struct tc_deflate_memo *m, struct gathered *s, uint8_t **out, size_t out_len,
                 z_streamp strm)
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
    uint8_t *in = realloc(s->in, s->len), *o = realloc(*out, out_len ? out_len : 1);
    if (in)
        s->in = in, s->cap = s->len;
    if (o)
        *out = o;
    *slot = (struct memo_entry){.in = s->in,
                                .out = *out,
                                .in_len = s->len,
                                .out_len = out_len,
                                .adler = strm->adler,
                                .level = s->level,
                                .data_type = strm->data_type,
                                .used = ++m->clock};
    m->bytes += bytes;
    s->in = NULL, s->len = s->cap = 0;
    return true;
}

/* The whole input known: its output found or made. Z_MEM_ERROR when it could not be made. */
static int finish(struct gathered *s, z_streamp strm)
{
    struct memo_entry *e = lookup(s->memo, s);
    if (e) {
        e->used = ++s->memo->clock;
        e->hits++;
        s->memo->reused += e->in_len;
        strm->adler = e->adler, strm->data_type = e->data_type;
        s->out = e->out, s->out_len = e->out_len;
    } else {
        uLong bound = deflateBound(strm, (uLong)s->len);
        uint8_t *out = malloc(bound ? bound : 1);
        if (!out)
            return Z_MEM_ERROR;
        z_stream caller = *strm; /* the caller's buffers and counts, put back below */
        strm->next_in = s->in ? s->in : (Bytef *)"", strm->avail_in = (uInt)s->len;
        strm->next_out = out, strm->avail_out = (uInt)bound;
        int r = zlib_deflate(strm, Z_FINISH);
        size_t out_len = bound - strm->avail_out;
        strm->next_in = caller.next_in, strm->avail_in = caller.avail_in;
        strm->next_out = caller.next_out, strm->avail_out = caller.avail_out;
        strm->total_in = caller.total_in, strm->total_out = caller.total_out;
        if (r != Z_STREAM_END) { /* with deflateBound's room zlib always ends; if not, the
                                  * stream starts again, to be spilled */
            free(out);
            zlib_deflate_reset(strm);
            strm->total_in = caller.total_in, strm->total_out = caller.total_out;
            return Z_MEM_ERROR;
        }
        if (!keep(s->memo, s, &out, out_len, strm))
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

/* What s holds goes to zlib at Z_NO_FLUSH, through the caller's output room (the caller's own
 * input waits); once it all has, the stream is zlib's own. Z_OK while some is left (the room ran
 * out: the caller writes and calls again), else zlib's answer to the caller's own call when
 * `flush` is not -1, else Z_OK. */
static int spill(struct gathered *s, z_streamp strm, int flush)
{
    s->spilling = true;
    if (s->spilled < s->len) {
        const Bytef *next_in = strm->next_in;
        uInt avail_in = strm->avail_in;
        uLong total_in = strm->total_in; /* counted when it was gathered */
        strm->next_in = s->in + s->spilled, strm->avail_in = (uInt)(s->len - s->spilled);
        int r = zlib_deflate(strm, Z_NO_FLUSH);
        s->spilled = s->len - strm->avail_in;
        strm->next_in = (Bytef *)next_in, strm->avail_in = avail_in, strm->total_in = total_in;
        if (r != Z_OK && r != Z_BUF_ERROR)
            return r;
        if (s->spilled < s->len)
            return Z_OK;
    }
    release(s);
    /* with no room left, the caller's call goes to zlib next time (cairo writes, calls again) */
    return flush == -1 || !strm->avail_out ? Z_OK : zlib_deflate(strm, flush);
}

int deflate(z_streamp strm, int flush)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (!s)
        return zlib_deflate(strm, flush);
    /* zlib's own checks first, in its order */
    if (flush > Z_BLOCK || flush < 0 || !strm->next_out || (strm->avail_in && !strm->next_in))
        return Z_STREAM_ERROR;
    if (s->spilling)
        return strm->avail_out ? spill(s, strm, flush) : Z_BUF_ERROR;
    if (s->finishing) /* as zlib answers once a stream is finishing */
        return flush != Z_FINISH ? Z_STREAM_ERROR
               : strm->avail_in  ? Z_BUF_ERROR
                                 : hand_out(s, strm);
    if (strm->avail_out == 0)
        return Z_BUF_ERROR;
    if (flush != Z_NO_FLUSH && flush != Z_FINISH) /* output needed before the input is whole */
        return spill(s, strm, flush);
    if (strm->avail_in) {
        if (!take(s, strm->next_in, strm->avail_in))
            return spill(s, strm, flush);
        strm->next_in += strm->avail_in, strm->total_in += strm->avail_in, strm->avail_in = 0;
    } else if (flush == Z_NO_FLUSH) {
        return Z_BUF_ERROR;
    }
    if (flush == Z_NO_FLUSH)
        return Z_OK;
    if (finish(s, strm) != Z_OK)
        return spill(s, strm, flush);
    return hand_out(s, strm);
}

int deflateReset(z_streamp strm)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (s) { /* gathered afresh: what was held is dropped, as zlib drops it */
        struct gathered keep_slot = {.strm = strm, .memo = s->memo, .level = s->level};
        release(s);
        *s = keep_slot;
    }
    return zlib_deflate_reset(strm);
}

int deflateEnd(z_streamp strm)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    bool early = s && (s->finishing ? s->pos < s->out_len : s->len > s->spilled);
    if (s)
        release(s);
    int r = zlib_deflate_end(strm);
    /* zlib's answer for a stream freed before its output was all taken */
    return early && r == Z_OK ? Z_DATA_ERROR : r;
}

/* Before a call that changes what the stream's bytes would be (a dictionary, other parameters,
 * bits primed): a gathered stream is given to zlib first (spill, through the caller's output
 * room). Z_OK when the stream is zlib's own now, Z_BUF_ERROR when the room ran out first (as
 * zlib answers deflateParams then), Z_STREAM_ERROR for a stream already finishing. */
static int to_zlib(z_streamp strm)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (!s)
        return Z_OK;
    if (s->finishing)
        return Z_STREAM_ERROR;
    if (s->len == s->spilled) {
        release(s);
        return Z_OK;
    }
    if (!strm->next_out)
        return Z_STREAM_ERROR;
    if (!strm->avail_out)
        return Z_BUF_ERROR;
    int r = spill(s, strm, -1);
    return r == Z_OK && !find(strm) ? Z_OK : r == Z_OK ? Z_BUF_ERROR : r;
}

int deflateSetDictionary(z_streamp strm, const Bytef *dictionary, uInt dict_length)
{
    pthread_once(&found, find_zlib);
    struct gathered *s = find(strm);
    if (s && (s->len || s->finishing))
        return Z_STREAM_ERROR; /* zlib's answer once input has been given */
    int r = to_zlib(strm);
    return r == Z_OK ? zlib_set_dictionary(strm, dictionary, dict_length) : r;
}

int deflateParams(z_streamp strm, int level, int strategy)
{
    int r = to_zlib(strm);
    return r == Z_OK ? zlib_params(strm, level, strategy) : r;
}

int deflatePrime(z_streamp strm, int bits, int value)
{
    int r = to_zlib(strm);
    return r == Z_OK ? zlib_prime(strm, bits, value) : r;
}

int deflateTune(z_streamp strm, int good_length, int max_lazy, int nice_length, int max_chain)
{
    int r = to_zlib(strm);
    return r == Z_OK ? zlib_tune(strm, good_length, max_lazy, nice_length, max_chain) : r;
}

/* A copy of a gathered stream is gathered too, holding a copy of the same input or output. */
int deflateCopy(z_streamp dest, z_streamp source)
{
    pthread_once(&found, find_zlib);
    int r = zlib_copy(dest, source);
    struct gathered *s = find(source), *d = find(dest); /* dest used again without deflateEnd */
    if (r != Z_OK || !s) {
        if (r == Z_OK && d)
            release(d);
        return r;
    }
    if (d)
        release(d);
    else
        d = free_slot();
    struct gathered c = *s;
    c.strm = dest, c.state = dest->state, c.in = NULL, c.cap = 0, c.own_out = NULL;
    bool ok = d && (!s->len || (c.in = malloc(s->len)) != NULL);
    if (ok && s->len)
        memcpy(c.in, s->in, s->len), c.cap = s->len;
    if (ok && s->finishing) {
        ok = (c.own_out = malloc(s->out_len ? s->out_len : 1)) != NULL;
        if (ok)
            memcpy(c.own_out, s->out, s->out_len), c.out = c.own_out;
    }
    if (!ok) {
        free(c.in), free(c.own_out);
        zlib_deflate_end(dest);
        return Z_MEM_ERROR;
    }
    *d = c;
    return Z_OK;
}
