/*
 * test_issuer_pdf.c - the e-certificate's layout (rule A4): long and unusual content lays out
 * inside its boxes without overflow or clipping: 4-character and compound names (欧阳娜娜,
 * 阿卜杜热合曼·买买提), the longest specialty the format allows, every title of the table, a
 * converted certificate, every scope wording; text is shrunk or wrapped, never cut, and what
 * cannot fit is refused naming the field. Seal images are checked. Checks the extents pango
 * reports for every text against its box. A revoked and a superseded certificate carry their
 * status across the page, clear of the QR code, and no conversion path; a valid one no stamp.
 *
 * Then how the page is written: every stream at TC_PDF_DEFLATE_LEVEL (re-compressed here with
 * zlib and compared byte for byte) while a deflate stream started anywhere else keeps its own
 * level; a 512 px PNG seal (rasterised here from the demo's SVG, as a province would upload
 * one) drawn as its ink through its alpha within 80 KB, a two-ink one as it is; a seal replayed
 * from the engine's recording writes the same bytes as one drawn afresh.
 */
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fixtures.h"
#include "issuer.h"
#include "issuer_internal.h"
#include "tap.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)

static struct tc_profile profile;
static uint8_t *seal;
static size_t seal_len;
static char dir[] = "/tmp/tc_pdf_XXXXXX";
static struct tc_pdf_engine *engine;

/* every text inside its box (0.5 pt of slack for antialiasing), at a legible size */
static bool inside(const struct tc_pdf_report *r, char *bad, size_t size)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tc_pdf_box *b = &r->box[i];
        bool ok = b->ix >= b->x - 0.5 && b->iy >= b->y - 0.5 &&
                  b->ix + b->iw <= b->x + b->w + 0.5 && b->iy + b->ih <= b->y + b->h + 0.5 &&
                  (b->size == 0 || b->size >= 7.0);
        /* no two boxes of the page overlap, but the seal, which lies over the organiser, and a
         * status stamp, which lies across the page */
        for (size_t k = 0; ok && k < i; k++) {
            const struct tc_pdf_box *o = &r->box[k];
            if (!strcmp(b->field, "seal") || !strcmp(o->field, "seal") ||
                !strcmp(b->field, "label") || !strcmp(o->field, "label") ||
                !strcmp(b->field, "stamp") || !strcmp(o->field, "stamp"))
                continue;
            bool apart = b->ix >= o->ix + o->iw || o->ix >= b->ix + b->iw ||
                         b->iy >= o->iy + o->ih || o->iy >= b->iy + b->ih;
            if (!apart) {
                snprintf(bad, size, "%s overlaps %s", b->field, o->field);
                return false;
            }
        }
        if (!ok) {
            snprintf(bad, size,
                     "%s: ink %.1f,%.1f %.1fx%.1f outside box %.1f,%.1f %.1fx%.1f (%.1f pt)",
                     b->field, b->ix, b->iy, b->iw, b->ih, b->x, b->y, b->w, b->h, b->size);
            return false;
        }
    }
    return true;
}

static const struct tc_pdf_box *box(const struct tc_pdf_report *r, const char *field)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->box[i].field, field))
            return &r->box[i];
    return NULL;
}

/* the status the pages below are drawn with (valid unless a test says otherwise) */
static struct {
    int status;
    int32_t day;
    uint64_t successor;
} page_status;

static enum tc_err render_to(const char *path, const struct tc_claims *c, const char *committee,
                             const char *link, const uint8_t *img, size_t img_len, bool svg,
                             struct tc_pdf_report *r, char *why, size_t why_size)
{
    struct tc_pdf_cert in = {c,
                             link,
                             "http://127.0.0.1:8080",
                             &profile,
                             committee,
                             "甘肃省卫生健康委员会",
                             img,
                             img_len,
                             svg,
                             "临夏回族自治州人民医院（示例）",
                             NULL,
                             page_status.status,
                             page_status.day,
                             page_status.successor};
    return tc_pdf_write(engine, &in, path, r, why, why_size);
}

static enum tc_err render(const struct tc_claims *c, const char *committee, struct tc_pdf_report *r,
                          char *why, size_t why_size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/c.pdf", dir);
    return render_to(path, c, committee, "http://127.0.0.1:8080/v#TC1:12345678901234567", seal,
                     seal_len, true, r, why, why_size);
}

struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static bool append(struct bytes *b, const void *data, size_t n)
{
    if (!n)
        return true;
    if (b->cap - b->len < n) {
        size_t cap = (b->len + n) * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return true;
}

static cairo_status_t png_out(void *closure, const unsigned char *data, unsigned int n)
{
    return append(closure, data, n) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

/* The demo's SVG seal rasterised at px pixels with its transparency, as a province uploads a
 * seal; with second_ink, a blue bar across it. */
static bool png_seal(struct bytes *out, int px, bool second_ink)
{
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(seal, seal_len, &err);
    if (!h) {
        g_clear_error(&err);
        return false;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, px, px);
    cairo_t *cr = cairo_create(s);
    RsvgRectangle vp = {0, 0, px, px};
    bool ok = rsvg_handle_render_document(h, cr, &vp, &err);
    if (second_ink) {
        cairo_set_source_rgb(cr, 0.1, 0.2, 0.8);
        cairo_rectangle(cr, 0, px * 0.45, px, px * 0.1);
        cairo_fill(cr);
    }
    g_clear_error(&err);
    cairo_destroy(cr);
    out->len = 0;
    ok = ok && cairo_surface_write_to_png_stream(s, png_out, out) == CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(s);
    g_object_unref(h);
    return ok;
}

static bool read_all(const char *path, struct bytes *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    b->len = 0;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!append(b, chunk, n))
            break;
    bool ok = f && !ferror(f);
    if (f)
        fclose(f);
    return ok;
}

static bool contains(const struct bytes *b, const char *s)
{
    return memmem(b->p, b->len, s, strlen(s)) != NULL;
}

/* zlib's deflate of in at level, as deflateInit2_ (called directly, so never through
 * pdfdeflate.c's deflateInit_) writes it */
static bool deflate_at(const struct bytes *in, int level, struct bytes *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    out->len = 0;
    uLong bound = deflateBound(&z, in->len);
    uint8_t *p = malloc(bound);
    z.next_in = in->p, z.avail_in = (uInt)in->len, z.next_out = p, z.avail_out = (uInt)bound;
    bool ok = p && deflate(&z, Z_FINISH) == Z_STREAM_END && append(out, p, z.total_out);
    deflateEnd(&z);
    free(p);
    return ok;
}

/* Whether every deflated stream of the PDF at path is byte for byte what zlib writes at level
 * (deflate's output is a function of the input, the level and the zlib build); *n counts them. */
static bool streams_at(const char *path, int level, int *n)
{
    struct bytes pdf = {0}, plain = {0}, again = {0};
    bool same = read_all(path, &pdf);
    const char tag[] = ">>\nstream\n";
    *n = 0;
    for (size_t off = 0; same;) {
        uint8_t *hit = memmem(pdf.p + off, pdf.len - off, tag, sizeof tag - 1);
        if (!hit)
            break;
        size_t start = (size_t)(hit - pdf.p) + sizeof tag - 1;
        z_stream z;
        memset(&z, 0, sizeof z);
        uint8_t chunk[65536];
        int st = inflateInit(&z);
        z.next_in = pdf.p + start, z.avail_in = (uInt)(pdf.len - start);
        plain.len = 0;
        do {
            z.next_out = chunk, z.avail_out = sizeof chunk;
            st = inflate(&z, Z_NO_FLUSH);
            append(&plain, chunk, sizeof chunk - z.avail_out);
        } while (st == Z_OK);
        size_t used = z.total_in;
        inflateEnd(&z);
        off = start + used;
        if (st != Z_STREAM_END)
            continue; /* not deflated */
        (*n)++;
        same = deflate_at(&plain, level, &again) && again.len == used &&
               memcmp(again.p, pdf.p + start, used) == 0;
    }
    free(pdf.p), free(plain.p), free(again.p);
    return same;
}

/* deflate(z, flush) as cairo calls it: again until the input is taken (at Z_FINISH until the
 * stream ends; at another flush until output room is left over), collecting the output `room`
 * bytes at a time. False on an error, or after 10^6 calls: a stream that never takes its input
 * would spin cairo forever. */
static bool pump(z_stream *z, int flush, size_t room, struct bytes *out)
{
    uint8_t buf[4096];
    for (long calls = 0; calls < 1000000; calls++) {
        z->next_out = buf, z->avail_out = (uInt)room;
        int r = deflate(z, flush);
        if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
            return false;
        append(out, buf, room - z->avail_out);
        if (z->avail_in == 0 && (flush == Z_FINISH ? r == Z_STREAM_END
                                 : flush == Z_NO_FLUSH ? true
                                                       : z->avail_out != 0))
            return true;
    }
    return false;
}

/* zlib's inflate of a whole stream; false when it is not one (or needs a dictionary) */
static bool unz(const struct bytes *in, struct bytes *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    uint8_t chunk[65536];
    out->len = 0;
    if (inflateInit(&z) != Z_OK)
        return false;
    z.next_in = in->p, z.avail_in = (uInt)in->len;
    int st;
    do {
        z.next_out = chunk, z.avail_out = sizeof chunk;
        st = inflate(&z, Z_NO_FLUSH);
        append(out, chunk, sizeof chunk - z.avail_out);
    } while (st == Z_OK);
    inflateEnd(&z);
    return st == Z_STREAM_END;
}

/* One stream through pdfdeflate.c as cairo drives one inside tc_pdf_write: deflateInit(), the
 * input in pieces of `chunk` at Z_NO_FLUSH, then Z_FINISH into an output buffer of `room` bytes
 * at a time. *early counts output handed out before Z_FINISH (a gathered stream has none). */
static bool through(struct tc_deflate_memo *m, const struct bytes *in, size_t chunk, size_t room,
                    struct bytes *out, size_t *early, uLong *adler, uLong *total_in)
{
    uint8_t buf[4096];
    z_stream z;
    memset(&z, 0, sizeof z);
    out->len = 0, *early = 0;
    tc_pdf_streams_begin(m);
    bool ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    for (size_t off = 0; ok && off < in->len; off += chunk) {
        size_t n = in->len - off < chunk ? in->len - off : chunk;
        z.next_in = in->p + off, z.avail_in = (uInt)n;
        z.next_out = buf, z.avail_out = (uInt)room;
        ok = deflate(&z, Z_NO_FLUSH) == Z_OK && z.avail_in == 0;
        *early += room - z.avail_out;
        ok = ok && append(out, buf, room - z.avail_out);
    }
    int st = Z_OK;
    while (ok && st == Z_OK) {
        z.next_out = buf, z.avail_out = (uInt)room;
        st = deflate(&z, Z_FINISH);
        ok = (st == Z_OK || st == Z_STREAM_END) && append(out, buf, room - z.avail_out);
    }
    *adler = z.adler, *total_in = z.total_in;
    ok = ok && st == Z_STREAM_END && z.total_out == out->len;
    deflateEnd(&z);
    tc_pdf_streams_end();
    return ok;
}

/* pdfdeflate.c: inside tc_pdf_write a stream is compressed when whole, and an engine hands out
 * again what it compressed for the same input (the seal's, every page). Its output must be
 * zlib's at the PDF level, byte for byte, whether compressed or handed out, and nothing may be
 * handed out for input that differs in one byte. */
static void test_memo(void)
{
    struct tc_deflate_memo *m = tc_deflate_memo_new();
    struct bytes a = {0}, b = {0}, want = {0}, got = {0}, small = {0};
    char line[96];
    for (int i = 0; i < 6000; i++) { /* about 100 KB, compressible like a PDF's streams */
        int n = snprintf(line, sizeof line, "%d.%03d %d.%03d l\n", i * 7 % 595, i % 1000,
                         i * 13 % 842, (i * 31) % 1000);
        append(&a, line, (size_t)n);
    }
    append(&b, a.p, a.len);
    b.p[b.len - 2] ^= 1; /* the same length, one bit apart, near the end */
    size_t early;
    uLong adler, total_in;
    bool ok = through(m, &a, 16384, 1000, &got, &early, &adler, &total_in) &&
              deflate_at(&a, TC_PDF_DEFLATE_LEVEL, &want);
    OK(ok && got.len == want.len && !memcmp(got.p, want.p, got.len),
       "a gathered stream of %zu bytes is zlib's at level %d, byte for byte (%zu bytes)", a.len,
       TC_PDF_DEFLATE_LEVEL, got.len);
    OK(early == 0, "and nothing is written before Z_FINISH");
    OK(adler == adler32(adler32(0, NULL, 0), a.p, (uInt)a.len) && total_in == a.len,
       "adler32 and total_in as zlib's");
    IS(tc_deflate_memo_reused(m), 0, "the first time, nothing is handed out again");
    ok = through(m, &a, 4096, 333, &got, &early, &adler, &total_in);
    OK(ok && got.len == want.len && !memcmp(got.p, want.p, got.len),
       "the same input again, in other pieces into other room: the same bytes");
    OK(tc_deflate_memo_reused(m) == a.len, "handed out from the memo (%llu bytes reused)",
       (unsigned long long)tc_deflate_memo_reused(m));
    OK(adler == adler32(adler32(0, NULL, 0), a.p, (uInt)a.len), "with its adler32");
    ok = through(m, &b, 16384, 4096, &got, &early, &adler, &total_in) &&
         deflate_at(&b, TC_PDF_DEFLATE_LEVEL, &want);
    OK(ok && got.len == want.len && !memcmp(got.p, want.p, got.len) &&
           tc_deflate_memo_reused(m) == a.len,
       "input of the same length one bit apart is compressed, not handed out");
    /* a small stream is not kept: compressing it costs less than looking it up */
    append(&small, a.p, 2000);
    uint64_t was = tc_deflate_memo_reused(m);
    ok = through(m, &small, 512, 100, &got, &early, &adler, &total_in) &&
         through(m, &small, 512, 100, &got, &early, &adler, &total_in) &&
         deflate_at(&small, TC_PDF_DEFLATE_LEVEL, &want);
    OK(ok && got.len == want.len && !memcmp(got.p, want.p, got.len) &&
           tc_deflate_memo_reused(m) == was,
       "a 2,000-byte stream twice: zlib's bytes, compressed each time");
    /* an empty stream */
    struct bytes none = {0};
    ok = through(m, &none, 1, 64, &got, &early, &adler, &total_in) &&
         deflate_at(&none, TC_PDF_DEFLATE_LEVEL, &want);
    OK(ok && got.len == want.len && !memcmp(got.p, want.p, got.len), "an empty stream: zlib's");
    /* what has been handed out stays while streams never seen again come and go */
    for (int k = 0; k < 30; k++) {
        struct bytes c = {0};
        append(&c, a.p, 40000);
        snprintf((char *)c.p, 16, "%015d", k);
        through(m, &c, 16384, 4096, &got, &early, &adler, &total_in);
        free(c.p);
    }
    was = tc_deflate_memo_reused(m);
    ok = through(m, &a, 16384, 4096, &got, &early, &adler, &total_in);
    OK(ok && tc_deflate_memo_reused(m) == was + a.len,
       "after 30 streams of 40 KB seen once, the one reused before is still handed out");
    /* what a gathered stream cannot do as such it hands to zlib (spills), never failing where
     * zlib would not: cairo calls again until its input is taken, whatever deflate() says */
    struct bytes big = {0}, out = {0}, plain = {0};
    while (big.len <= (9u << 20)) { /* past the 8 MiB gathered at the most */
        snprintf(line, sizeof line, "%zu ", big.len);
        append(&big, a.p, 4000);
        append(&big, line, strlen(line));
    }
    z_stream z;
    tc_pdf_streams_begin(m);
    memset(&z, 0, sizeof z);
    ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    for (size_t off = 0; ok && off < big.len; off += 16384) {
        z.next_in = big.p + off, z.avail_in = (uInt)(big.len - off < 16384 ? big.len - off : 16384);
        ok = pump(&z, Z_NO_FLUSH, 4096, &out);
    }
    ok = ok && pump(&z, Z_FINISH, 4096, &out);
    IS(ok ? deflateEnd(&z) : -100, Z_OK, "a stream of %zu bytes spills to zlib and ends", big.len);
    OK(ok && unz(&out, &plain) && plain.len == big.len && !memcmp(plain.p, big.p, big.len),
       "its %zu bytes inflate to the input", out.len);
    /* a flush before the input is whole */
    memset(&z, 0, sizeof z);
    out.len = 0;
    ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    z.next_in = a.p, z.avail_in = 30000;
    ok = ok && pump(&z, Z_NO_FLUSH, 100, &out) && out.len == 0 && pump(&z, Z_SYNC_FLUSH, 100, &out);
    size_t flushed = out.len;
    z.next_in = a.p + 30000, z.avail_in = (uInt)(a.len - 30000);
    ok = ok && flushed > 0 && pump(&z, Z_FINISH, 100, &out) && deflateEnd(&z) == Z_OK;
    OK(ok && unz(&out, &plain) && plain.len == a.len && !memcmp(plain.p, a.p, a.len),
       "Z_SYNC_FLUSH after 30,000 gathered bytes: %zu bytes out at once, the whole inflates to "
       "the input",
       flushed);
    /* new parameters halfway, a copy halfway */
    memset(&z, 0, sizeof z);
    out.len = 0;
    ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    z.next_in = a.p, z.avail_in = 30000;
    ok = ok && pump(&z, Z_NO_FLUSH, 100, &out);
    uint8_t buf[256];
    int r = Z_BUF_ERROR;
    for (int k = 0; ok && r == Z_BUF_ERROR && k < 100000; k++) {
        z.next_out = buf, z.avail_out = sizeof buf;
        r = deflateParams(&z, 9, Z_FILTERED);
        append(&out, buf, sizeof buf - z.avail_out);
    }
    z_stream copy;
    struct bytes out2 = {0};
    ok = ok && r == Z_OK && deflateCopy(&copy, &z) == Z_OK;
    append(&out2, out.p, out.len);
    z.next_in = a.p + 30000, z.avail_in = (uInt)(a.len - 30000);
    copy.next_in = a.p + 30000, copy.avail_in = (uInt)(a.len - 30000);
    ok = ok && pump(&z, Z_FINISH, 100, &out) && pump(&copy, Z_FINISH, 333, &out2) &&
         deflateEnd(&z) == Z_OK && deflateEnd(&copy) == Z_OK;
    OK(ok && unz(&out, &plain) && plain.len == a.len && !memcmp(plain.p, a.p, a.len),
       "deflateParams after 30,000 gathered bytes: the whole inflates to the input");
    OK(ok && unz(&out2, &plain) && plain.len == a.len && !memcmp(plain.p, a.p, a.len),
       "and a deflateCopy made then, finished on its own, too");
    /* a dictionary: what is compressed with one is never handed out for a stream without */
    memset(&z, 0, sizeof z);
    out.len = 0;
    ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK &&
         deflateSetDictionary(&z, a.p, 4000) == Z_OK;
    z.next_in = a.p, z.avail_in = (uInt)a.len;
    ok = ok && pump(&z, Z_FINISH, 4096, &out) && deflateEnd(&z) == Z_OK;
    OK(ok && !unz(&out, &plain), "a stream with a dictionary: %zu bytes that need it", out.len);
    ok = through(m, &a, 16384, 1000, &got, &early, &adler, &total_in);
    OK(ok && unz(&got, &plain) && plain.len == a.len && !memcmp(plain.p, a.p, a.len),
       "the same input without: bytes that inflate without it");
    /* zlib's answers where zlib would give them */
    memset(&z, 0, sizeof z);
    ok = deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    z.next_in = a.p, z.avail_in = 100, z.next_out = buf, z.avail_out = 0;
    IS(ok ? deflate(&z, Z_NO_FLUSH) : -100, Z_BUF_ERROR, "no output room: Z_BUF_ERROR");
    IS(z.avail_in, 100, "and no input taken");
    z.avail_out = sizeof buf;
    IS(deflate(&z, Z_NO_FLUSH), Z_OK, "with room, the input is taken");
    IS(deflateEnd(&z), Z_DATA_ERROR, "deflateEnd before the end: Z_DATA_ERROR");
    memset(&z, 0, sizeof z);
    IS(deflateInit(&z, 42), Z_STREAM_ERROR, "deflateInit at level 42: Z_STREAM_ERROR");
    tc_pdf_streams_end();
    /* a stream still handing out a memo's bytes when the page ends and its engine is freed */
    struct tc_deflate_memo *m2 = tc_deflate_memo_new();
    ok = m2 && through(m2, &a, 16384, 4096, &got, &early, &adler, &total_in);
    tc_pdf_streams_begin(m2);
    memset(&z, 0, sizeof z);
    out.len = 0;
    ok = ok && deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    z.next_in = a.p, z.avail_in = (uInt)a.len;
    ok = ok && pump(&z, Z_NO_FLUSH, 100, &out);
    z.next_out = buf, z.avail_out = 100;
    ok = ok && deflate(&z, Z_FINISH) == Z_OK && append(&out, buf, 100);
    ok = ok && tc_deflate_memo_reused(m2) == a.len;
    tc_pdf_streams_end();
    tc_deflate_memo_free(m2);
    ok = ok && pump(&z, Z_FINISH, 100, &out) && deflateEnd(&z) == Z_OK;
    OK(ok && out.len == got.len && !memcmp(out.p, got.p, got.len),
       "a stream handing out a memo's bytes goes on after its page and its engine are gone");
    free(big.p), free(out.p), free(out2.p), free(plain.p);
    /* outside tc_pdf_write nothing is gathered: zlib writes output before Z_FINISH */
    memset(&z, 0, sizeof z);
    ok = deflateInit(&z, 1) == Z_OK;
    size_t produced = 0;
    for (size_t off = 0; ok && off < a.len; off += 16384) {
        z.next_in = a.p + off, z.avail_in = (uInt)(a.len - off < 16384 ? a.len - off : 16384);
        while (ok && z.avail_in) {
            z.next_out = buf, z.avail_out = sizeof buf;
            ok = deflate(&z, Z_NO_FLUSH) == Z_OK;
            produced += sizeof buf - z.avail_out;
        }
    }
    deflateEnd(&z);
    OK(ok && produced > 0,
       "a stream started outside tc_pdf_write is zlib's own (%zu bytes "
       "out before Z_FINISH)",
       produced);
    tc_deflate_memo_free(m);
    free(a.p), free(b.p), free(want.p), free(got.p), free(small.p);
}

/* The QR link of a signed certificate, as long as those issued (the short one above is not). */
static void real_link(const struct tc_claims *c, char link[TC_LINK_MAX + 1])
{
    struct fx_key key;
    fx_key(&key, 3);
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t len;
    char text[TC_TEXT_MAX + 1];
    link[0] = '\0';
    if (fx_cert_sign(msg, sizeof msg, &len, c, key.kid, key.sk) == TC_OK &&
        tc_text_encode(text, sizeof text, msg, len) == TC_OK)
        tc_link_make(link, TC_LINK_MAX + 1, "http://127.0.0.1:8080", text);
}

/* A revoked and a superseded certificate's pages: the status stamped across (clear of the QR
 * code, inside the page), said once more level under the heading, and no conversion path. */
static void test_status(void)
{
    static const struct {
        int status;
        const char *what;
    } cases[] = {{TC_PDF_REVOKED, "revoked"}, {TC_PDF_SUPERSEDED, "superseded"}};
    struct tc_pdf_report rep;
    struct tc_claims c;
    char why[640] = "", bad[256] = "";
    for (size_t i = 0; i < 2; i++) {
        fx_basic(&c);
        page_status.status = cases[i].status;
        tc_day_parse(&page_status.day, "2031-12-20");
        page_status.successor = cases[i].status == TC_PDF_SUPERSEDED ? 310000077 : 0;
        IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK,
           "a %s basic-level certificate renders (%s)", cases[i].what, why);
        const struct tc_pdf_box *st = box(&rep, "stamp"), *qr = box(&rep, "qr");
        OK(inside(&rep, bad, sizeof bad) && box(&rep, "status"),
           "%s: every text inside its box, the status line under the heading (%s)", cases[i].what,
           bad);
        OK(st && st->x >= 0 && st->y >= 0 && st->x + st->w <= 595.28 && st->y + st->h <= 841.89,
           "%s: the stamp lies across the page, inside it", cases[i].what);
        OK(st && qr && st->y + st->h < qr->y, "%s: clear of the QR code", cases[i].what);
        OK(!box(&rep, "conversion_path") && box(&rep, "scope_note"),
           "%s: the scope without the conversion path", cases[i].what);
    }
    memset(&page_status, 0, sizeof page_status);
}

static void test_compression(void)
{
    char path[128], why[640];
    struct tc_claims c;
    fx_basic(&c);
    snprintf(path, sizeof path, "%s/z.pdf", dir);
    int n = 0, m = 0;
    IS(render_to(path, &c, "甘肃省卫生系列高级职称评审委员会", "http://127.0.0.1:8080/v#TC1:1",
                 seal, seal_len, true, NULL, why, sizeof why),
       TC_OK, "a page renders");
    bool at = streams_at(path, TC_PDF_DEFLATE_LEVEL, &n);
    OK(at && n >= 5, "its %d streams are deflated at zlib level %d, byte for byte", n,
       TC_PDF_DEFLATE_LEVEL);
    /* the engine has this seal's streams compressed from the page before: handed out again,
     * they must still be zlib's bytes */
    uint64_t before = tc_pdf_engine_reused(engine);
    IS(render_to(path, &c, "甘肃省卫生系列高级职称评审委员会", "http://127.0.0.1:8080/v#TC1:1",
                 seal, seal_len, true, NULL, why, sizeof why),
       TC_OK, "the page again, by the same engine");
    at = streams_at(path, TC_PDF_DEFLATE_LEVEL, &n);
    OK(tc_pdf_engine_reused(engine) - before >= 16384 && at && n >= 5,
       "%llu bytes of its streams handed out as compressed before; all %d still zlib's at level "
       "%d, byte for byte",
       (unsigned long long)(tc_pdf_engine_reused(engine) - before), n, TC_PDF_DEFLATE_LEVEL);
    OK(!streams_at(path, 6, &m), "not at zlib's default level 6, which cairo asks for");
    /* deflateInit() below goes through pdfdeflate.c's deflateInit_ like cairo's calls do: after a
     * PDF is written, a stream started elsewhere must be exactly zlib's at the caller's level */
    struct bytes text = {0}, want = {0}, got = {0};
    read_all(path, &text);
    z_stream z;
    memset(&z, 0, sizeof z);
    uint8_t *out = malloc(text.len * 2 + 1024);
    bool ok = out && deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    z.next_in = text.p, z.avail_in = (uInt)text.len;
    z.next_out = out, z.avail_out = (uInt)(text.len * 2 + 1024);
    ok = ok && deflate(&z, Z_FINISH) == Z_STREAM_END && append(&got, out, z.total_out);
    deflateEnd(&z);
    ok =
        ok && deflate_at(&text, 6, &want) && want.len == got.len && !memcmp(want.p, got.p, got.len);
    OK(ok, "outside tc_pdf_write, deflateInit() is zlib's at the caller's level (%zu bytes)",
       got.len);
    free(out), free(text.p), free(want.p), free(got.p);
    int was = tc_pdf_deflate_level(9);
    IS(render_to(path, &c, "甘肃省卫生系列高级职称评审委员会", "http://127.0.0.1:8080/v#TC1:1",
                 seal, seal_len, true, NULL, why, sizeof why),
       TC_OK, "with tc_pdf_deflate_level(9) it renders");
    at = streams_at(path, 9, &n);
    OK(at && n >= 5, "its %d streams at level 9", n);
    IS(tc_pdf_deflate_level(was), 9, "the setting is the thread's until it is put back");
    IS(was, TC_PDF_DEFLATE_AUTO, "which was TC_PDF_DEFLATE_AUTO");
}

static void test_png_seals(void)
{
    char path[128], why[640], link[TC_LINK_MAX + 1];
    struct bytes png = {0}, pdf = {0};
    struct tc_claims c;
    struct tc_pdf_report rep;
    bool svg = true;
    fx_basic(&c);
    snprintf(c.name, sizeof c.name, "%s", "阿卜杜热合曼·买买提");
    real_link(&c, link);
    snprintf(path, sizeof path, "%s/png.pdf", dir);
    bool made = png_seal(&png, 512, false);
    OK(made, "a 512 px PNG seal is made from the demo's SVG (%zu bytes)", png.len);
    IS(tc_pdf_seal_check(png.p, png.len, &svg, why, sizeof why), TC_OK, "it is accepted as a seal");
    OK(!svg, "as a PNG");
    IS(render_to(path, &c, "甘肃省卫生系列高级职称评审委员会", link, png.p, png.len, false, &rep,
                 why, sizeof why),
       TC_OK, "a page with it and a full-length link renders");
    const struct tc_pdf_box *b = box(&rep, "seal");
    OK(b && b->w == 128 && b->h == 128, "the seal's box is 128 pt square");
    bool read = read_all(path, &pdf);
    OK(read && pdf.len <= 80 * 1024, "the file is %.1f KB (goal <= 80 KB)", (double)pdf.len / 1024);
    OK(contains(&pdf, "/S /Alpha") && !contains(&pdf, "/ColorSpace /DeviceRGB"),
       "a seal in one ink is written as its colour through its alpha, with no RGB image");
    OK(png_seal(&png, 512, true), "a seal in two inks");
    IS(render_to(path, &c, "甘肃省卫生系列高级职称评审委员会", link, png.p, png.len, false, NULL,
                 why, sizeof why),
       TC_OK, "renders");
    read = read_all(path, &pdf);
    OK(read && contains(&pdf, "/ColorSpace /DeviceRGB"), "as it is, an RGB image (%.1f KB)",
       (double)pdf.len / 1024);
    free(png.p), free(pdf.p);
}

/* the engine records each seal once; what it replays must be what a fresh engine draws */
static void test_replay(void)
{
    char a[128], b[128], why[640];
    struct bytes png = {0}, x = {0}, y = {0};
    struct tc_claims c;
    fx_basic(&c);
    snprintf(a, sizeof a, "%s/a.pdf", dir);
    snprintf(b, sizeof b, "%s/b.pdf", dir);
    const char *link = "http://127.0.0.1:8080/v#TC1:1";
    const char *cm = "甘肃省卫生系列高级职称评审委员会";
    bool ok = png_seal(&png, 256, false);
    struct tc_pdf_engine *fresh = tc_pdf_engine_new(), *kept = engine;
    for (int i = 0; ok && i < 2; i++) {
        const uint8_t *img = i ? png.p : seal;
        size_t len = i ? png.len : seal_len;
        engine = fresh;
        ok = render_to(a, &c, cm, link, img, len, !i, NULL, why, sizeof why) == TC_OK;
        /* the kept engine has drawn the other seal since: it must find this one again */
        engine = kept;
        ok = ok &&
             render_to(b, &c, cm, link, seal, seal_len, true, NULL, why, sizeof why) == TC_OK &&
             render_to(b, &c, cm, link, png.p, png.len, false, NULL, why, sizeof why) == TC_OK;
        uint64_t was = tc_pdf_engine_reused(kept);
        ok = ok && render_to(b, &c, cm, link, img, len, !i, NULL, why, sizeof why) == TC_OK;
        /* and its streams handed out compressed from before (pdfdeflate.c), so the comparison
         * covers them too */
        ok = ok && tc_pdf_engine_reused(kept) > was;
        ok = ok && read_all(a, &x) && read_all(b, &y) && x.len == y.len && !memcmp(x.p, y.p, x.len);
        OK(ok,
           "%s seal replayed by an engine that has drawn others, its streams compressed before, "
           "writes the same bytes as a fresh engine",
           i ? "a PNG" : "an SVG");
        tc_pdf_engine_free(fresh);
        fresh = tc_pdf_engine_new();
    }
    tc_pdf_engine_free(fresh);
    engine = kept;
    free(png.p), free(x.p), free(y.p);
}

int main(void)
{
    char path[1024] = "", why[640] = "", bad[256] = "";
    if (!mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/profiles/GS.json", getenv("TC_DATA_DIR"));
    FILE *f = fopen(path, "r");
    char json[65536];
    size_t jlen = f ? fread(json, 1, sizeof json, f) : 0;
    if (f)
        fclose(f);
    const char *w;
    if (tc_profile_parse(&profile, json, jlen, &w) != TC_OK)
        return 2;
    snprintf(path, sizeof path, "%s/samples/demo-seal.svg", getenv("TC_DATA_DIR"));
    if (tc_file_read(path, TC_PDF_SEAL_MAX, &seal, &seal_len) != TC_OK)
        return 2;
    engine = tc_pdf_engine_new();
    struct tc_pdf_report rep;
    struct tc_claims c;

    fx_basic(&c);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK,
       "a basic-level certificate renders");
    OK(inside(&rep, bad, sizeof bad), "every text is inside its box (%s)",
       rep.n ? bad : "no boxes");
    OK(box(&rep, "scope") && box(&rep, "conversion_path") && box(&rep, "qr") && box(&rep, "seal"),
       "it has the scope, the conversion path, the QR code and the seal");
    OK(box(&rep, "scope")->size >= 14, "the scope is prominent (%.1f pt)",
       box(&rep, "scope")->size);

    const char *names[] = {"欧阳娜娜", "阿卜杜热合曼·买买提", "司马相如", "王"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        fx_basic(&c);
        snprintf(c.name, sizeof c.name, "%s", names[i]);
        enum tc_err e = render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why);
        OK(e == TC_OK && inside(&rep, bad, sizeof bad) && box(&rep, "name")->lines == 1,
           "the name %s lays out inside its box, on one line (%s)", names[i],
           e == TC_OK ? "" : why);
    }
    /* the longest specialty the format allows: 60 bytes, 20 CJK characters */
    fx_basic(&c);
    snprintf(c.specialty, sizeof c.specialty, "%s", "中西医结合临床医学心血管内科介入治疗方向");
    OK(strlen(c.specialty) <= TC_SPECIALTY_MAX, "a specialty of %zu bytes (the limit is %d)",
       strlen(c.specialty), TC_SPECIALTY_MAX);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK, "it renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "specialty")->size >= 10,
       "inside its box at %.1f pt (%s)", box(&rep, "specialty")->size, bad);
    /* a committee name long enough to wrap: wrapped, not cut */
    IS(render(&c,
              "甘肃省卫生健康委员会卫生系列高级专业技术职务任职资格评审委员会（中西医结合与康复医学"
              "专业组）",
              &rep, why, sizeof why),
       TC_OK, "a long committee name renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "committee")->lines >= 2,
       "wrapped onto %d lines inside its box", box(&rep, "committee")->lines);

    /* every title of the table, at every level */
    size_t nt, fails = 0, rendered = 0;
    const struct tc_title *tt = tc_title_table(&nt);
    for (size_t i = 0; i < nt; i++) {
        fx_basic(&c);
        c.series = tt[i].series, c.level = tt[i].level, c.title_variant = tt[i].variant;
        if (render(&c, "甘肃省职称评审委员会", &rep, why, sizeof why) != TC_OK ||
            !inside(&rep, bad, sizeof bad)) {
            if (!fails)
                printf("# %s %s: %s %s\n", tt[i].series_code, tt[i].title, why, bad);
            fails++;
        }
        rendered++;
    }
    OK(fails == 0 && rendered == nt,
       "all %zu titles of the table lay out inside their boxes (%zu did not)", nt, fails);

    /* every scope wording, and a single-unit scope */
    uint8_t tiers[] = {TC_TIER_PROVINCE, TC_TIER_PREFECTURE, TC_TIER_COUNTY, TC_TIER_TOWNSHIP,
                       TC_TIER_BASIC};
    fails = 0;
    for (size_t i = 0; i < sizeof tiers; i++) {
        fx_basic(&c);
        c.scope.tier = tiers[i];
        c.scope.region = 622901;
        if (render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why) != TC_OK ||
            !inside(&rep, bad, sizeof bad))
            fails++;
    }
    fx_basic(&c);
    c.scope.has_unit = true;
    memcpy(c.scope.unit, "12622901438000777Q", 19);
    if (render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why) != TC_OK ||
        !inside(&rep, bad, sizeof bad))
        fails++;
    OK(fails == 0, "every scope tier and a single-unit scope lay out inside their boxes");

    fx_converted(&c);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK,
       "a converted certificate renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "predecessor") && !box(&rep, "conversion_path"),
       "with its predecessor and carried tenure, without a conversion path");
    OK(!box(&rep, "stamp") && !box(&rep, "status"), "a valid certificate has no status stamp");

    test_status();

    /* what cannot fit is refused, naming the field; nothing is left behind */
    fx_basic(&c);
    char huge[4096] = "";
    for (int i = 0; i < 60; i++)
        strcat(huge, "甘肃省卫生系列高级职称评审委员会");
    IS(render(&c, huge, &rep, why, sizeof why), TC_ERR_RANGE,
       "a committee name that cannot fit is refused");
    OK(strstr(why, "committee") != NULL, "naming the field (%.60s...)", why);
    snprintf(path, sizeof path, "%s/c.pdf", dir);
    OK(access(path, F_OK) != 0, "and no file is left");

    /* seals */
    bool svg;
    IS(tc_pdf_seal_check(seal, seal_len, &svg, why, sizeof why), TC_OK,
       "the demo's SVG seal is accepted");
    OK(svg, "as an SVG");
    static const uint8_t rgb_png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
        0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
        0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08,
        0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d,
        0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    IS(tc_pdf_seal_check(rgb_png, sizeof rgb_png, &svg, why, sizeof why), TC_ERR_TYPE,
       "a PNG without transparency is refused (%s)", why);
    IS(tc_pdf_seal_check((const uint8_t *)"not an image at all", 19, &svg, why, sizeof why),
       TC_ERR_TYPE, "bytes that are no image are refused");

    test_compression();
    test_memo();
    test_png_seals();
    test_replay();
    tc_pdf_engine_free(engine);
    free(seal);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    if (system(path) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
