/*
 * pdf.c - the holder's e-certificate (A4: SX §2(四) 电子证书, 省人社厅统一监制, 组建单位用印): one
 * A4 page per certificate, with cairo's PDF surface and pango for text layout and font fallback.
 * The CJK font is embedded as a subset by cairo; text stays selectable (cairo writes ToUnicode
 * maps). The QR code is a 1-bit image mask, sharp at any resolution. The organiser's seal (PNG
 * with transparency, or SVG by librsvg) is drawn over the organiser's name; each engine (one a
 * thread) records a seal once and replays the recording on every page.
 *
 * Every text is laid out in a box: it wraps at characters, and shrinks (down to a floor) when
 * wrapping is not enough; what still does not fit is an error, never cut off. Each box and the
 * ink extents of its text go into a report, which the layout tests check.
 *
 * A revoked or superseded certificate, rendered at all, says so across the whole page (a stamp
 * drawn last, over everything), in its metadata, and by leaving out the conversion path it no
 * longer has; the QR code under the stamp still scans, and the verifier shows the live status.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "titlecert_config.h"

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 54.0
#define MIN_PT 7.0
#define TEXT_W (PAGE_W - 2 * MARGIN)
#define QR_SIDE 150.0
#define SEAL_SIDE 128.0

struct ctx {
    struct tc_pdf_engine *g;
    cairo_t *cr;
    PangoContext *pc;
    const char *font;
    PangoLayout *layout;      /* the page's text boxes, one after another (text_box) */
    PangoFontDescription *fd; /* x->font, parsed once a page */
    struct tc_pdf_report *rep;
    char *why;
    size_t why_size;
    bool failed;
};

static void note(struct ctx *x, const char *field, double bx, double by, double bw, double bh,
                 double ix, double iy, double iw, double ih, double size, int lines)
{
    struct tc_pdf_report *r = x->rep;
    if (!r || r->n >= TC_PDF_REPORT_MAX)
        return;
    struct tc_pdf_box *b = &r->box[r->n++];
    snprintf(b->field, sizeof b->field, "%s", field);
    b->x = bx, b->y = by, b->w = bw, b->h = bh;
    b->ix = ix, b->iy = iy, b->iw = iw, b->ih = ih;
    b->size = size, b->lines = lines;
}

/* Lays text out in the box (x, y, w, h) at size pt, bold or not, aligned; wraps, then shrinks
 * towards MIN_PT until it fits. Returns the height used, or -1 (and x->why) when it cannot fit. */
static double text_box(struct ctx *x, const char *field, const char *text, double bx, double by,
                       double bw, double bh, double size, PangoAlignment align, bool draw)
{
    /* one layout and font description a page, every property text_box uses set again here */
    PangoLayout *l = x->layout;
    PangoFontDescription *fd = x->fd;
    /* one weight: a synthesised bold would be embedded as a second, outline font (and the
     * certificate typeface has none); emphasis is by size and colour */
    pango_font_description_set_weight(fd, PANGO_WEIGHT_NORMAL);
    pango_layout_set_text(l, text, -1);
    pango_layout_set_width(l, (int)(bw * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    PangoRectangle ink, logical;
    double s = size;
    for (;;) {
        pango_font_description_set_absolute_size(fd, s * PANGO_SCALE);
        pango_layout_set_font_description(l, fd);
        pango_layout_get_extents(l, &ink, &logical);
        double lw = (double)logical.width / PANGO_SCALE, lh = (double)logical.height / PANGO_SCALE;
        /* a single unbreakable run wider than the box also shrinks */
        if (lh <= bh + 0.01 && lw <= bw + 0.01 && !pango_layout_is_ellipsized(l))
            break;
        if (s - 0.5 < MIN_PT) {
            snprintf(x->why, x->why_size,
                     "%s does not fit its box (%.0f x %.0f pt) even at %.1f pt: "
                     "\"%s\"",
                     field, bw, bh, MIN_PT, text);
            x->failed = true;
            return -1;
        }
        s -= 0.5;
    }
    double used = (double)logical.height / PANGO_SCALE;
    if (draw) {
        cairo_move_to(x->cr, bx, by);
        pango_cairo_show_layout(x->cr, l);
    }
    /* ink extents are relative to the layout's origin; x of a centred line can be inside bw */
    note(x, field, bx, by, bw, bh, bx + (double)ink.x / PANGO_SCALE,
         by + (double)ink.y / PANGO_SCALE, (double)ink.width / PANGO_SCALE,
         (double)ink.height / PANGO_SCALE, s, pango_layout_get_line_count(l));
    return used;
}

/* The QR code, side `side` pt with its 4-module quiet zone, as a 1-bit image of one pixel a
 * module drawn black through nearest-neighbour filtering: cairo writes a PDF /ImageMask of a few
 * hundred bytes with /Interpolate false, which viewers and printers scale to whole device pixels,
 * so its edges stay sharp at any resolution. Drawn as rectangles it was about 840 sub-paths,
 * 50 KB of numbers to print and compress on every page. False when out of memory. */
static bool draw_qr(cairo_t *cr, const struct tc_qr *qr, double x0, double y0, double side)
{
    int n = qr->width + 8;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_A1, n, n);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return false;
    }
    /* A1 packs pixels in 32-bit words, the first pixel in the word's low bit on a little-endian
     * machine and in its high bit on a big-endian one */
    uint32_t *bits = (uint32_t *)(void *)cairo_image_surface_get_data(img);
    int words = cairo_image_surface_get_stride(img) / 4;
    for (int r = 0; r < qr->width; r++)
        for (int c = 0; c < qr->width; c++)
            if (qr->data[r * qr->width + c] & 1) {
                int px = c + 4;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                bits[(r + 4) * words + px / 32] |= 0x80000000u >> (px % 32);
#else
                bits[(r + 4) * words + px / 32] |= 1u << (px % 32);
#endif
            }
    cairo_surface_mark_dirty(img);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x0, y0, side, side);
    cairo_fill(cr);
    cairo_save(cr);
    cairo_translate(cr, x0, y0);
    cairo_scale(cr, side / n, side / n);
    cairo_pattern_t *mask = cairo_pattern_create_for_surface(img);
    cairo_pattern_set_filter(mask, CAIRO_FILTER_NEAREST);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_mask(cr, mask);
    cairo_pattern_destroy(mask);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return true;
}

struct png_src {
    const uint8_t *p;
    size_t len, off;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int length)
{
    struct png_src *s = closure;
    if (s->len - s->off < length)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, s->p + s->off, length);
    s->off += length;
    return CAIRO_STATUS_SUCCESS;
}

enum tc_err tc_pdf_seal_check(const uint8_t *img, size_t len, bool *svg, char *why, size_t why_size)
{
    if (len > TC_PDF_SEAL_MAX) {
        snprintf(why, why_size, "the seal image is larger than %u KiB", TC_PDF_SEAL_MAX >> 10);
        return TC_ERR_SIZE_LIMIT;
    }
    *svg = len > 8 && memcmp(img, "\x89PNG\r\n\x1a\n", 8) != 0;
    if (!*svg) {
        struct png_src src = {img, len, 0};
        cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &src);
        bool ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS &&
                  cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32;
        int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
        cairo_surface_destroy(s);
        if (!ok) {
            snprintf(why, why_size,
                     "the seal PNG does not load, or has no transparency (an alpha "
                     "channel lets the name show through the seal)");
            return TC_ERR_TYPE;
        }
        if (w < 64 || h < 64 || w > 4096 || h > 4096) {
            snprintf(why, why_size, "the seal PNG is %dx%d pixels; 64 to 4096 on each side", w, h);
            return TC_ERR_RANGE;
        }
        return TC_OK;
    }
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(img, len, &err);
    if (!h) {
        snprintf(why, why_size, "the seal is neither a PNG nor an SVG librsvg can read: %s",
                 err ? err->message : "unknown error");
        g_clear_error(&err);
        return TC_ERR_TYPE;
    }
    g_object_unref(h);
    return TC_OK;
}

static const char *level_title(const struct tc_claims *c, const struct tc_title **t)
{
    *t = tc_title_lookup(c->series, c->level, c->title_variant);
    return *t ? (*t)->title : "";
}

static void iso_time(char out[32], uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* a seal recorded as SEAL_SIDE pt of cairo operations, with a copy of its image to know it by */
struct recorded_seal {
    uint8_t *img;
    size_t len;
    bool svg;
    cairo_surface_t *rec;
};
/* seals an engine keeps: a batch mixing committees' keys alternates between a few */
#define SEALS_KEPT 8

struct tc_pdf_engine {
    PangoFontMap *fm;
    PangoContext *pc;
    struct recorded_seal seals[SEALS_KEPT];
    unsigned next_seal;           /* the one replaced next, round robin */
    struct tc_deflate_memo *memo; /* streams compressed once (pdfdeflate.c) */
};

static bool record_svg_seal(cairo_t *cr, const uint8_t *img, size_t len)
{
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(img, len, &err);
    if (!h) {
        g_clear_error(&err);
        return false;
    }
    RsvgRectangle vp = {0, 0, SEAL_SIDE, SEAL_SIDE};
    bool ok = rsvg_handle_render_document(h, cr, &vp, &err);
    g_clear_error(&err);
    g_object_unref(h);
    return ok;
}

/* pixel (x, y) of an ARGB32 image: alpha in the high byte, whatever the byte order */
static uint32_t argb(const uint8_t *px, int stride, int x, int y)
{
    uint32_t v;
    memcpy(&v, px + (size_t)y * (size_t)stride + 4 * (size_t)x, sizeof v);
    return v;
}

/* a seal image in one ink: the colour, and the alpha channel of the part that is not fully
 * transparent, whose top left corner is (x, y) in the image */
struct ink {
    double rgb[3];
    cairo_surface_t *alpha;
    int x, y;
};

/* Whether the seal image is one ink: every pixel opaque enough to tell its colour (alpha >= 32;
 * below that 8-bit premultiplication blurs it) within INK_SPREAD of the others on each channel.
 * If so, *ink has their alpha-weighted mean and the alpha channel (the caller's), cut to the
 * pixels that are not fully transparent and a 2-pixel border: uploads come with margins, which
 * would be compressed into every file. */
#define INK_SPREAD 24
static bool one_ink(cairo_surface_t *img, struct ink *ink)
{
    cairo_surface_flush(img);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    const uint8_t *px = cairo_image_surface_get_data(img);
    int lo[3] = {255, 255, 255}, hi[3] = {0, 0, 0}, x0 = w, y0 = h, x1 = -1, y1 = -1;
    double sum[3] = {0, 0, 0}, weight = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v = argb(px, stride, x, y), a = v >> 24;
            if (a > 0) {
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y;
            }
            if (a < 32)
                continue;
            for (int k = 0; k < 3; k++) {
                /* premultiplied: the colour is the channel times 255 / alpha */
                uint32_t p = (v >> (16 - 8 * k)) & 0xff;
                int c = (int)((p * 255 + a / 2) / a);
                lo[k] = c < lo[k] ? c : lo[k], hi[k] = c > hi[k] ? c : hi[k];
                sum[k] += p;
            }
            weight += a;
        }
    for (int k = 0; k < 3; k++)
        if (weight == 0 || hi[k] - lo[k] > INK_SPREAD)
            return false;
    /* two transparent pixels kept around: viewers interpolate the edge against them */
    x0 = x0 > 2 ? x0 - 2 : 0, y0 = y0 > 2 ? y0 - 2 : 0;
    x1 = x1 < w - 3 ? x1 + 2 : w - 1, y1 = y1 < h - 3 ? y1 + 2 : h - 1;
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A8, x1 - x0 + 1, y1 - y0 + 1);
    if (cairo_surface_status(m) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(m);
        return false;
    }
    uint8_t *d = cairo_image_surface_get_data(m);
    int ds = cairo_image_surface_get_stride(m);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            d[(size_t)(y - y0) * (size_t)ds + (size_t)(x - x0)] =
                (uint8_t)(argb(px, stride, x, y) >> 24);
    cairo_surface_mark_dirty(m);
    /* the sums are of premultiplied channels: divided by the alpha, they are 0..1 */
    for (int k = 0; k < 3; k++)
        ink->rgb[k] = sum[k] / weight;
    ink->alpha = m, ink->x = x0, ink->y = y0;
    return true;
}

/* A PNG seal, scaled to fit SEAL_SIDE and centred. A seal in one ink (as seals are) is drawn as
 * that colour through its alpha channel: cairo then writes the 8-bit alpha alone (a soft mask),
 * not an RGB image beside it whose edge pixels, un-premultiplied, vary enough to double the
 * compressed size (a 512 px seal: 51 KB, where its mask alone is 24 KB). Other seals as they
 * are. */
static bool record_png_seal(cairo_t *cr, const uint8_t *img, size_t len)
{
    struct png_src src = {img, len, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &src);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
        cairo_image_surface_get_format(s) != CAIRO_FORMAT_ARGB32) {
        cairo_surface_destroy(s);
        return false;
    }
    double w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    double k = SEAL_SIDE / (w > h ? w : h);
    struct ink ink;
    cairo_translate(cr, (SEAL_SIDE - w * k) / 2, (SEAL_SIDE - h * k) / 2);
    cairo_scale(cr, k, k);
    if (one_ink(s, &ink)) {
        cairo_set_source_rgb(cr, ink.rgb[0], ink.rgb[1], ink.rgb[2]);
        cairo_mask_surface(cr, ink.alpha, ink.x, ink.y);
        cairo_surface_destroy(ink.alpha);
    } else {
        cairo_set_source_surface(cr, s, 0, 0);
        cairo_paint(cr);
    }
    cairo_surface_destroy(s);
    return true;
}

static void forget_seal(struct recorded_seal *r)
{
    cairo_surface_destroy(r->rec);
    free(r->img);
    memset(r, 0, sizeof *r);
}

/* The seal of `in` as a recording of SEAL_SIDE pt, made the first time the engine meets it:
 * an SVG is parsed (or a PNG decoded) once per thread, not once per page. NULL when the image
 * cannot be drawn. */
static cairo_surface_t *seal_recording(struct tc_pdf_engine *g, const struct tc_pdf_cert *in)
{
    if (!in->seal || !in->seal_len)
        return NULL;
    for (int i = 0; i < SEALS_KEPT; i++) {
        const struct recorded_seal *r = &g->seals[i];
        if (r->rec && r->len == in->seal_len && r->svg == in->seal_svg &&
            memcmp(r->img, in->seal, in->seal_len) == 0)
            return r->rec;
    }
    cairo_rectangle_t extents = {0, 0, SEAL_SIDE, SEAL_SIDE};
    cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &extents);
    cairo_t *cr = cairo_create(rec);
    bool ok = in->seal_svg ? record_svg_seal(cr, in->seal, in->seal_len)
                           : record_png_seal(cr, in->seal, in->seal_len);
    ok = ok && cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    uint8_t *copy = ok ? malloc(in->seal_len) : NULL;
    if (!copy) {
        cairo_surface_destroy(rec);
        return NULL;
    }
    memcpy(copy, in->seal, in->seal_len);
    struct recorded_seal *r = &g->seals[g->next_seal++ % SEALS_KEPT];
    forget_seal(r);
    r->img = copy, r->len = in->seal_len, r->svg = in->seal_svg, r->rec = rec;
    return rec;
}

/* The seal, SEAL_SIDE pt square, centred at (cx, cy). */
static bool draw_seal(struct ctx *x, const struct tc_pdf_cert *in, double cx, double cy)
{
    cairo_surface_t *rec = seal_recording(x->g, in);
    if (!rec)
        return false;
    cairo_set_source_surface(x->cr, rec, cx - SEAL_SIDE / 2, cy - SEAL_SIDE / 2);
    cairo_paint(x->cr);
    return true;
}

struct tc_pdf_engine *tc_pdf_engine_new(void)
{
    struct tc_pdf_engine *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (!(g->memo = tc_deflate_memo_new())) {
        free(g);
        return NULL;
    }
    g->fm = pango_cairo_font_map_new();
    g->pc = pango_font_map_create_context(g->fm);
    return g;
}

void tc_pdf_engine_free(struct tc_pdf_engine *g)
{
    if (!g)
        return;
    g_object_unref(g->pc);
    g_object_unref(g->fm);
    for (int i = 0; i < SEALS_KEPT; i++)
        forget_seal(&g->seals[i]);
    tc_deflate_memo_free(g->memo);
    free(g);
}

uint64_t tc_pdf_engine_reused(const struct tc_pdf_engine *g)
{
    return g ? tc_deflate_memo_reused(g->memo) : 0;
}

/* The document's metadata: title and number, the organiser, what it certifies. */
static void set_metadata(cairo_surface_t *surf, const struct tc_pdf_cert *in, const char *doc_title,
                         const char *title, const char *id)
{
    const struct tc_claims *c = in->c;
    const struct tc_profile *p = in->profile;
    char meta[512], issued[32];
    snprintf(meta, sizeof meta, "%s %s", doc_title, id);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, meta);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_AUTHOR, in->organiser);
    char status[160] = "", day[11];
    tc_day_format(day, in->status_day);
    if (in->status == TC_PDF_REVOKED)
        snprintf(status, sizeof status, "已撤销 REVOKED %s: ", day);
    else if (in->status == TC_PDF_SUPERSEDED)
        snprintf(status, sizeof status, "已换发 SUPERSEDED %s → 新证书 %llu: ", day,
                 (unsigned long long)in->successor);
    snprintf(meta, sizeof meta, "%s%s %s（%s）%s", status, p->name, title,
             tc_level_name_zh(c->level), tc_track_name_zh(c->track));
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_SUBJECT, meta);
    snprintf(meta, sizeof meta, "证书编号 %s, certificate %s%s", id, id,
             in->status == TC_PDF_REVOKED      ? ", 已撤销, revoked"
             : in->status == TC_PDF_SUPERSEDED ? ", 已换发, superseded"
                                               : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_KEYWORDS, meta);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR,
                                   "titlecert " TITLECERT_VERSION);
    iso_time(issued, c->issued_at);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE, issued);
}

/* The frame (a double border in the certificate's red), the title and who supervises the
 * form; returns where the fields start. */
static double draw_heading(struct ctx *x, const struct tc_profile *p, const char *doc_title)
{
    cairo_t *cr = x->cr;
    cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
    cairo_set_line_width(cr, 2.2);
    cairo_rectangle(cr, MARGIN - 22, MARGIN - 22, PAGE_W - 2 * (MARGIN - 22),
                    PAGE_H - 2 * (MARGIN - 22));
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.7);
    cairo_rectangle(cr, MARGIN - 16, MARGIN - 16, PAGE_W - 2 * (MARGIN - 16),
                    PAGE_H - 2 * (MARGIN - 16));
    cairo_stroke(cr);

    double y = MARGIN + 6;
    cairo_set_source_rgb(cr, 0.55, 0.08, 0.08);
    y += text_box(x, "document_title", doc_title, MARGIN, y, TEXT_W, 40, 24, PANGO_ALIGN_CENTER,
                  true) +
         4;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    char line[768];
    snprintf(line, sizeof line, "%s统一监制", p->operator_zh[0] ? p->operator_zh : p->name);
    return y +
           text_box(x, "supervised_by", line, MARGIN, y, TEXT_W, 20, 10.5, PANGO_ALIGN_CENTER,
                    true) +
           18;
}

/* one row of the certificate: a label and its value */
struct field {
    const char *key, *label;
    char value[640];
    double size;
};
#define FIELDS_MAX 20

/* Formats the value of the next field; a value too long for it is refused, never cut. */
static void add_field(struct ctx *x, struct field *f, int *nf, const char *key, const char *label,
                      double size, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add_field(struct ctx *x, struct field *f, int *nf, const char *key, const char *label,
                      double size, const char *fmt, ...)
{
    struct field *d = &f[(*nf)++];
    d->key = key, d->label = label, d->size = size;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->value, sizeof d->value, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof d->value && !x->failed) {
        snprintf(x->why, x->why_size, "%s is longer than the %zu bytes a field holds", key,
                 sizeof d->value - 1);
        x->failed = true;
    }
}

/* The certificate's fields, label and value, in the order the page shows them. */
static int make_fields(struct ctx *x, const struct tc_pdf_cert *in, const struct tc_title *t,
                       const char *title, const char *id, struct field f[FIELDS_MAX])
{
    const struct tc_claims *c = in->c;
    char day[11], m1[8], m2[8];
    int n = 0;
    add_field(x, f, &n, "name", "姓　　名", 16, "%s", c->name);
    add_field(x, f, &n, "id_number", "身份证号", 12, "**************%s", c->id_mask);
    add_field(x, f, &n, "series", "系　　列", 12, "%s", t ? t->series_name : "");
    add_field(x, f, &n, "specialty", "专　　业", 12, "%s", c->specialty);
    add_field(x, f, &n, "title", "职称（级别）", 13, "%s（%s）", title, tc_level_name_zh(c->level));
    add_field(x, f, &n, "track", "类　　别", 12, "%s", tc_track_name_zh(c->track));
    tc_day_format(day, c->obtained_day);
    tc_month_format(m1, c->tenure_month);
    add_field(x, f, &n, "method", "取得方式", 12, "%s，评审年度 %u", tc_method_name_zh(c->method),
              c->eval_year);
    add_field(x, f, &n, "obtained", "取得日期", 12, "%s，任职起始 %s", day, m1);
    if (c->track == TC_TRACK_PROVINCE && c->conv.kind == TC_CONV_FROM) {
        tc_month_format(m2, c->conv.carried_tenure_month);
        add_field(x, f, &n, "predecessor",
                  c->method == TC_METHOD_REEVALUATION ? "转评自" : "换发自", 12,
                  "基层职称证书 %llu，任职年限自 %s 起连续计算",
                  (unsigned long long)c->conv.predecessor, m2);
    }
    if (in->employer_name && *in->employer_name)
        add_field(x, f, &n, "employer", "工作单位", 12, "%s", in->employer_name);
    add_field(x, f, &n, "committee", "评审委员会", 12, "%s（备案号 %u）", in->committee,
              c->committee);
    add_field(x, f, &n, "cert_id", "证书编号", 12, "%s", id);
    tc_day_format(day, tc_beijing_day(c->issued_at));
    add_field(x, f, &n, "issued", "发证日期", 12, "%s", day);
    return n;
}

/* The fields, label left and value right, row under row; returns where they end. */
static double draw_fields(struct ctx *x, const struct field *f, int nf, double y)
{
    const double LW = 92, VW = TEXT_W - LW - 8, ROW_H = 44;
    for (int i = 0; i < nf && !x->failed; i++) {
        cairo_set_source_rgb(x->cr, 0.35, 0.35, 0.35);
        double hl =
            text_box(x, "label", f[i].label, MARGIN, y + 2, LW, ROW_H, 11, PANGO_ALIGN_LEFT, true);
        cairo_set_source_rgb(x->cr, 0.05, 0.05, 0.05);
        double hv = text_box(x, f[i].key, f[i].value, MARGIN + LW + 8, y, VW, ROW_H, f[i].size,
                             PANGO_ALIGN_LEFT, true);
        y += (hv > hl ? hv : hl) + 7;
    }
    return y;
}

/* The scope, prominently, for a basic-level title, boxed with its conversion path (C1), which
 * a revoked or superseded (converted) title no longer offers; a province-wide title says so,
 * and offers none, converted or not. Returns where it ends. */
static double draw_scope(struct ctx *x, const struct tc_pdf_cert *in, double y)
{
    const struct tc_claims *c = in->c;
    const struct tc_profile *p = in->profile;
    cairo_t *cr = x->cr;
    if (c->track != TC_TRACK_BASIC) {
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        return y +
               text_box(x, "scope", "全省范围有效", MARGIN, y + 6, TEXT_W, 30, 14,
                        PANGO_ALIGN_CENTER, true) +
               6;
    }
    char scope_zh[256] = "", scope_en[256], big[320], path_text[512], m2[8];
    tc_scope_words(&c->scope, p->name, p->name_en, scope_zh, sizeof scope_zh, scope_en,
                   sizeof scope_en);
    /* 限…基层单位使用 -> 限…基层单位使用有效 */
    snprintf(big, sizeof big, "%s有效", scope_zh);
    tc_month_format(m2, c->conv.earliest_month);
    bool path = in->status == TC_PDF_VALID;
    snprintf(path_text, sizeof path_text,
             "定向评价、定向使用：离开基层单位后不再有效。最早 %s 可申请换发全省统一职称：基层单位"
             "累计聘满 %u 个月，每年继续教育 %u 学时%s%s。",
             m2, c->conv.months_required, c->conv.ce_hours,
             c->conv.flags & TC_CONV_NEEDS_ASSESSMENTS ? "，年度考核合格" : "",
             c->conv.flags & TC_CONV_NEEDS_COMMITTEE ? "，经全省统一评审委员会评审" : "");
    if (!path)
        snprintf(path_text, sizeof path_text, "定向评价、定向使用：离开基层单位后不再有效。");
    double top = y + 6, pad = 10;
    cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
    double h1 = text_box(x, "scope", big, MARGIN + pad, top + pad, TEXT_W - 2 * pad, 60, 17,
                         PANGO_ALIGN_CENTER, true);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    double h2 = h1 < 0 ? -1
                       : text_box(x, path ? "conversion_path" : "scope_note", path_text,
                                  MARGIN + pad, top + pad + h1 + 4, TEXT_W - 2 * pad, 60, 10.5,
                                  PANGO_ALIGN_LEFT, true);
    if (h2 < 0)
        return y;
    cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
    cairo_set_line_width(cr, 1.4);
    cairo_rectangle(cr, MARGIN, top, TEXT_W, h1 + h2 + 2 * pad + 4);
    cairo_stroke(cr);
    return top + h1 + h2 + 2 * pad + 4;
}

/* The QR code at (qx, qy), the verification page's address and the number under it. */
static void draw_qr_block(struct ctx *x, const struct tc_pdf_cert *in, const struct tc_qr *qr,
                          const char *id, double qx, double qy)
{
    if (!draw_qr(x->cr, qr, qx, qy, QR_SIDE)) {
        snprintf(x->why, x->why_size, "the QR code could not be drawn: out of memory");
        x->failed = true;
        return;
    }
    note(x, "qr", qx, qy, QR_SIDE, QR_SIDE, qx, qy, QR_SIDE, QR_SIDE, 0, 0);
    char url[TC_LINK_MAX + 8], line[64];
    snprintf(url, sizeof url, "%s/v", in->base_url);
    cairo_set_source_rgb(x->cr, 0.15, 0.15, 0.15);
    double h = text_box(x, "qr_url", url, qx, qy + QR_SIDE + 2, QR_SIDE + 40, 24, 8,
                        PANGO_ALIGN_LEFT, true);
    snprintf(line, sizeof line, "证书编号 %s", id);
    if (h >= 0)
        text_box(x, "qr_id", line, qx, qy + QR_SIDE + 2 + h, QR_SIDE + 40, 16, 9, PANGO_ALIGN_LEFT,
                 true);
}

/* The organiser and the date of issue, then the seal over them (A4: 组建单位用印). */
static void draw_organiser(struct ctx *x, const struct tc_pdf_cert *in, double ox, double oy)
{
    cairo_set_source_rgb(x->cr, 0.05, 0.05, 0.05);
    double ho =
        text_box(x, "organiser", in->organiser, ox, oy, 220, 44, 13, PANGO_ALIGN_CENTER, true);
    int yy, mm, dd;
    char line[64];
    tc_day_split(tc_beijing_day(in->c->issued_at), &yy, &mm, &dd);
    snprintf(line, sizeof line, "%d年%d月%d日", yy, mm, dd);
    if (ho >= 0)
        text_box(x, "issue_date", line, ox, oy + ho + 4, 220, 20, 12, PANGO_ALIGN_CENTER, true);
    if (!x->failed && !draw_seal(x, in, ox + 110, oy + 14)) {
        snprintf(x->why, x->why_size, "the seal image could not be drawn");
        x->failed = true;
    }
    double sx = ox + 110 - SEAL_SIDE / 2, sy = oy + 14 - SEAL_SIDE / 2;
    note(x, "seal", sx, sy, SEAL_SIDE, SEAL_SIDE, sx, sy, SEAL_SIDE, SEAL_SIDE, 0, 0);
}

/* The lower band, below the fields ending at y: the QR code (left), the organiser with its seal
 * (right), and how to verify at the foot. */
static void draw_lower_band(struct ctx *x, const struct tc_pdf_cert *in, const struct tc_qr *qr,
                            const char *id, double y)
{
    const double BAND = PAGE_H - MARGIN - 8 - QR_SIDE - 60;
    if (y > BAND - 6) {
        snprintf(x->why, x->why_size,
                 "the fields need %.0f pt, more than the page leaves above the QR code and the "
                 "seal",
                 y - MARGIN);
        x->failed = true;
        return;
    }
    draw_qr_block(x, in, qr, id, MARGIN, BAND);
    draw_organiser(x, in, MARGIN + TEXT_W - 220, BAND + 48);
    cairo_set_source_rgb(x->cr, 0.25, 0.25, 0.25);
    char line[768];
    snprintf(line, sizeof line,
             "核验方式：用手机相机扫描二维码，或访问 %s/ 上传二维码图片，查看本证书的真伪、"
             "状态及在所在单位是否适用。电子证书与纸质证书具有同等效力。",
             in->base_url);
    if (!x->failed)
        text_box(x, "how_to_verify", line, MARGIN, PAGE_H - MARGIN - 26, TEXT_W, 30, 8.5,
                 PANGO_ALIGN_LEFT, true);
}

/* One line of the stamp, size pt, its width at most w (shrunk to fit); caller unrefs it. */
static PangoLayout *stamp_line(struct ctx *x, const char *text, double size, double w)
{
    PangoLayout *l = pango_layout_new(x->pc);
    PangoFontDescription *fd = pango_font_description_from_string(x->font);
    pango_font_description_set_weight(fd, PANGO_WEIGHT_NORMAL);
    pango_layout_set_text(l, text, -1);
    PangoRectangle ink, logical;
    for (;; size -= 1) {
        pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
        pango_layout_set_font_description(l, fd);
        pango_layout_get_extents(l, &ink, &logical);
        if ((double)logical.width / PANGO_SCALE <= w || size <= MIN_PT)
            break;
    }
    pango_font_description_free(fd);
    return l;
}

#define STAMP_ANGLE 0.5235987755982988 /* radians (30 degrees), rising to the right */
#define STAMP_COS 0.8660254037844386
#define STAMP_SIN 0.5
#define STAMP_W 430.0    /* the longest line, pt */

/* The status in words, big (the stamp's first line) and small (its day, the successor). */
static void status_words(const struct tc_pdf_cert *in, char *big, size_t bsize, char *small,
                         size_t ssize)
{
    char day[11];
    tc_day_format(day, in->status_day);
    bool revoked = in->status == TC_PDF_REVOKED;
    snprintf(big, bsize, "%s", revoked ? "已撤销  REVOKED" : "已换发  SUPERSEDED");
    if (revoked)
        snprintf(small, ssize, "%s", day);
    else
        snprintf(small, ssize, "%s  →  新证书 %llu", day, (unsigned long long)in->successor);
}

/* A line of the stamp at (-w/2, y), as text (so it can be found and read aloud) and as an
 * outline over it: the certificate's Ming face is thin, and a stamp must read at a glance. */
static void stamp_text(cairo_t *cr, PangoLayout *l, double w, double y)
{
    cairo_move_to(cr, -w / 2, y);
    pango_cairo_show_layout(cr, l);
    cairo_move_to(cr, -w / 2, y);
    pango_cairo_layout_path(cr, l);
    cairo_set_line_width(cr, 0.9);
    cairo_stroke(cr);
}

/* A revoked or superseded certificate's status across the page, like a rubber stamp: large,
 * red, translucent (the page stays readable under it: it was issued, and is no longer so),
 * rotated through the middle of the fields, clear of the QR code, which still scans and shows
 * the live status. Drawn as one group made translucent as a whole, so strokes that cross do not
 * darken. */
static void draw_stamp(struct ctx *x, const struct tc_pdf_cert *in)
{
    char big[64], small[96];
    status_words(in, big, sizeof big, small, sizeof small);
    PangoLayout *l1 = stamp_line(x, big, 60, STAMP_W), *l2 = stamp_line(x, small, 28, STAMP_W);
    PangoRectangle r1, r2;
    pango_layout_get_extents(l1, NULL, &r1);
    pango_layout_get_extents(l2, NULL, &r2);
    double w1 = (double)r1.width / PANGO_SCALE, h1 = (double)r1.height / PANGO_SCALE;
    double w2 = (double)r2.width / PANGO_SCALE, h2 = (double)r2.height / PANGO_SCALE;
    double bw = (w1 > w2 ? w1 : w2) + 48, bh = h1 + h2 + 30, cx = PAGE_W / 2, cy = PAGE_H * 0.42;
    cairo_t *cr = x->cr;
    cairo_save(cr);
    cairo_push_group(cr);
    cairo_translate(cr, cx, cy);
    cairo_rotate(cr, -STAMP_ANGLE);
    cairo_set_source_rgb(cr, 0.80, 0.05, 0.05);
    cairo_set_line_width(cr, 4);
    cairo_rectangle(cr, -bw / 2, -bh / 2, bw, bh);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, -bw / 2 + 6, -bh / 2 + 6, bw - 12, bh - 12);
    cairo_stroke(cr);
    stamp_text(cr, l1, w1, -bh / 2 + 12);
    stamp_text(cr, l2, w2, -bh / 2 + 14 + h1);
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, 0.45);
    cairo_restore(cr);
    g_object_unref(l1);
    g_object_unref(l2);
    /* the box the rotated stamp covers, for the layout report */
    double ex = (bw * STAMP_COS + bh * STAMP_SIN) / 2, ey = (bw * STAMP_SIN + bh * STAMP_COS) / 2;
    note(x, "stamp", cx - ex, cy - ey, 2 * ex, 2 * ey, cx - ex, cy - ey, 2 * ex, 2 * ey, 60, 2);
}

/* The status once more, level, in the gap under the heading (y: where the fields start): text
 * that text extraction and screen readers find, which a diagonal stamp is not for all of them. */
static void draw_status_line(struct ctx *x, const struct tc_pdf_cert *in, double y)
{
    char line[200], day[11];
    tc_day_format(day, in->status_day);
    if (in->status == TC_PDF_REVOKED)
        snprintf(line, sizeof line, "已撤销 REVOKED %s（以扫码核验结果为准）", day);
    else
        snprintf(line, sizeof line, "已换发 SUPERSEDED %s → 新证书 %llu（以扫码核验结果为准）", day,
                 (unsigned long long)in->successor);
    cairo_set_source_rgb(x->cr, 0.75, 0.05, 0.05);
    text_box(x, "status", line, MARGIN, y - 16, TEXT_W, 14, 9.5, PANGO_ALIGN_CENTER, true);
}

/* Draws the page on x->cr; false (x->why set) when something does not fit. */
static bool draw_page(struct ctx *x, const struct tc_pdf_cert *in, const struct tc_qr *qr,
                      const char *doc_title, const char *id)
{
    const struct tc_title *t;
    const char *title = level_title(in->c, &t);
    struct field f[FIELDS_MAX];
    int nf = make_fields(x, in, t, title, id, f);
    double y = draw_heading(x, in->profile, doc_title);
    bool stamped = in->status == TC_PDF_REVOKED || in->status == TC_PDF_SUPERSEDED;
    if (stamped)
        draw_status_line(x, in, y);
    y = draw_fields(x, f, nf, y);
    if (!x->failed)
        y = draw_scope(x, in, y);
    if (!x->failed)
        draw_lower_band(x, in, qr, id, y);
    if (!x->failed && stamped)
        draw_stamp(x, in);
    return !x->failed;
}

enum tc_err tc_pdf_write(struct tc_pdf_engine *g, const struct tc_pdf_cert *in, const char *path,
                         struct tc_pdf_report *rep, char *why, size_t why_size)
{
    struct tc_pdf_engine *own = NULL;
    if (!g && !(g = own = tc_pdf_engine_new()))
        return TC_ERR_NOMEM;
    const struct tc_profile *p = in->profile;
    why[0] = '\0';
    if (rep)
        rep->n = 0;
    struct tc_qr qr = {0};
    cairo_surface_t *surf = NULL;
    tc_pdf_streams_begin(g->memo);
    enum tc_err e = tc_qr_encode(&qr, in->link, TC_QR_M);
    if (e != TC_OK) {
        snprintf(why, why_size, "the QR code: %s", tc_strerror(e));
        goto out;
    }
    surf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        snprintf(why, why_size, "%s: %s", path, cairo_status_to_string(cairo_surface_status(surf)));
        e = TC_ERR_IO;
        goto out;
    }
    const struct tc_title *t;
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)in->c->id);
    const char *doc_title =
        p->certificate_title[0] ? p->certificate_title : "专业技术职务任职资格电子证书";
    set_metadata(surf, in, doc_title, level_title(in->c, &t), id);

    struct ctx x = {0};
    x.g = g;
    x.cr = cairo_create(surf);
    x.pc = g->pc;
    pango_cairo_update_context(x.cr, x.pc);
    x.font = in->font && *in->font    ? in->font
             : p->certificate_font[0] ? p->certificate_font
                                      : "AR PL UMing CN, Noto Serif CJK SC, serif";
    x.rep = rep, x.why = why, x.why_size = why_size;
    x.layout = pango_layout_new(x.pc);
    x.fd = pango_font_description_from_string(x.font);
    bool drawn = draw_page(&x, in, &qr, doc_title, id);
    pango_font_description_free(x.fd);
    g_object_unref(x.layout);
    cairo_show_page(x.cr);
    cairo_destroy(x.cr);
    cairo_surface_finish(surf);
    cairo_status_t st = cairo_surface_status(surf);
    if (!drawn) {
        e = TC_ERR_RANGE;
        unlink(path);
    } else if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(why, why_size, "%s: %s", path, cairo_status_to_string(st));
        e = TC_ERR_IO;
        unlink(path);
    }
out:
    cairo_surface_destroy(surf);
    tc_pdf_streams_end();
    tc_qr_free(&qr);
    tc_pdf_engine_free(own);
    return e;
}

bool tc_pdf_complete(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char tail[32] = {0};
    bool ok = fseek(f, -(long)(sizeof tail - 1), SEEK_END) == 0 &&
              fread(tail, 1, sizeof tail - 1, f) == sizeof tail - 1 &&
              strstr(tail, "%%EOF") != NULL;
    char head[5] = {0};
    ok = ok && fseek(f, 0, SEEK_SET) == 0 && fread(head, 1, 4, f) == 4 &&
         memcmp(head, "%PDF", 4) == 0;
    fclose(f);
    return ok;
}
