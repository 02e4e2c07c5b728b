/*
 * pdf.c - the holder's e-certificate (A4: SX §2(四) 电子证书, 省人社厅统一监制, 组建单位用印): one A4
 * page per certificate, with cairo's PDF surface and pango for text layout and font fallback. The
 * CJK font is embedded as a subset by cairo; text stays selectable (cairo writes ToUnicode maps).
 * The QR code is drawn as vector squares. The organiser's seal (PNG with transparency, or SVG by
 * librsvg) is drawn over the organiser's name.
 *
 * Every text is laid out in a box: it wraps at characters, and shrinks (down to a floor) when
 * wrapping is not enough; what still does not fit is an error, never cut off. Each box and the
 * ink extents of its text go into a report, which the layout tests check.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"
#include "titlecert_config.h"

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 54.0
#define MIN_PT 7.0

struct ctx {
    cairo_t *cr;
    PangoContext *pc;
    const char *font;
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
    PangoLayout *l = pango_layout_new(x->pc);
    PangoFontDescription *fd = pango_font_description_from_string(x->font);
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
            snprintf(x->why, x->why_size, "%s does not fit its box (%.0f x %.0f pt) even at %.1f pt: "
                     "\"%s\"", field, bw, bh, MIN_PT, text);
            x->failed = true;
            pango_font_description_free(fd);
            g_object_unref(l);
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
    note(x, field, bx, by, bw, bh, bx + (double)ink.x / PANGO_SCALE, by + (double)ink.y / PANGO_SCALE,
         (double)ink.width / PANGO_SCALE, (double)ink.height / PANGO_SCALE, s,
         pango_layout_get_line_count(l));
    pango_font_description_free(fd);
    g_object_unref(l);
    return used;
}

/* The QR code as squares (vectors), side `side` pt with a 4-module quiet zone included. */
static void draw_qr(cairo_t *cr, const struct tc_qr *qr, double x0, double y0, double side)
{
    double m = side / (qr->width + 8);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x0, y0, side, side);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    /* one rectangle per horizontal run of dark modules: fewer path operators, a smaller file */
    for (int r = 0; r < qr->width; r++)
        for (int c = 0; c < qr->width;) {
            if (!(qr->data[r * qr->width + c] & 1)) {
                c++;
                continue;
            }
            int run = c;
            while (run < qr->width && (qr->data[r * qr->width + run] & 1))
                run++;
            cairo_rectangle(cr, x0 + (c + 4) * m, y0 + (r + 4) * m, (run - c) * m, m);
            c = run;
        }
    cairo_fill(cr);
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
            snprintf(why, why_size, "the seal PNG does not load, or has no transparency (an alpha "
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

/* The seal, as large as `side` pt, centred at (cx, cy). */
static bool draw_seal(struct ctx *x, const struct tc_pdf_cert *in, double cx, double cy, double side)
{
    cairo_t *cr = x->cr;
    if (in->seal_svg) {
        GError *err = NULL;
        RsvgHandle *h = rsvg_handle_new_from_data(in->seal, in->seal_len, &err);
        if (!h) {
            g_clear_error(&err);
            return false;
        }
        RsvgRectangle vp = {cx - side / 2, cy - side / 2, side, side};
        bool ok = rsvg_handle_render_document(h, cr, &vp, &err);
        g_clear_error(&err);
        g_object_unref(h);
        return ok;
    }
    struct png_src src = {in->seal, in->seal_len, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &src);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return false;
    }
    double w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    double k = side / (w > h ? w : h);
    cairo_save(cr);
    cairo_translate(cr, cx - w * k / 2, cy - h * k / 2);
    cairo_scale(cr, k, k);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(s);
    return true;
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

struct tc_pdf_engine {
    PangoFontMap *fm;
    PangoContext *pc;
};

struct tc_pdf_engine *tc_pdf_engine_new(void)
{
    struct tc_pdf_engine *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
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
    free(g);
}

enum tc_err tc_pdf_write(struct tc_pdf_engine *g, const struct tc_pdf_cert *in, const char *path,
                         struct tc_pdf_report *rep, char *why, size_t why_size)
{
    struct tc_pdf_engine *own = NULL;
    if (!g && !(g = own = tc_pdf_engine_new()))
        return TC_ERR_NOMEM;
    const struct tc_claims *c = in->c;
    const struct tc_profile *p = in->profile;
    why[0] = '\0';
    if (rep)
        rep->n = 0;
    struct tc_qr qr = {0};
    enum tc_err e = tc_qr_encode(&qr, in->link, TC_QR_M);
    if (e != TC_OK) {
        snprintf(why, why_size, "the QR code: %s", tc_strerror(e));
        tc_pdf_engine_free(own);
        return e;
    }
    cairo_surface_t *surf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        snprintf(why, why_size, "%s: %s", path, cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
        tc_qr_free(&qr);
        tc_pdf_engine_free(own);
        return TC_ERR_IO;
    }
    const struct tc_title *t;
    const char *title = level_title(c, &t);
    char meta[512], day[11], issued[32], id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)c->id);
    const char *doc_title = p->certificate_title[0] ? p->certificate_title : "专业技术职务任职资格电子证书";
    snprintf(meta, sizeof meta, "%s %s", doc_title, id);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, meta);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_AUTHOR, in->organiser);
    snprintf(meta, sizeof meta, "%s %s（%s）%s", p->name, title, tc_level_name_zh(c->level),
             tc_track_name_zh(c->track));
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_SUBJECT, meta);
    snprintf(meta, sizeof meta, "证书编号 %s, certificate %s", id, id);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_KEYWORDS, meta);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "titlecert " TITLECERT_VERSION);
    iso_time(issued, c->issued_at);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE, issued);

    struct ctx x = {0};
    x.cr = cairo_create(surf);
    x.pc = g->pc;
    pango_cairo_update_context(x.cr, x.pc);
    x.font = in->font && *in->font ? in->font
             : p->certificate_font[0] ? p->certificate_font
                                      : "AR PL UMing CN, Noto Serif CJK SC, serif";
    x.rep = rep, x.why = why, x.why_size = why_size;
    cairo_t *cr = x.cr;

    /* frame: a double border in the certificate's red */
    cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
    cairo_set_line_width(cr, 2.2);
    cairo_rectangle(cr, MARGIN - 22, MARGIN - 22, PAGE_W - 2 * (MARGIN - 22), PAGE_H - 2 * (MARGIN - 22));
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.7);
    cairo_rectangle(cr, MARGIN - 16, MARGIN - 16, PAGE_W - 2 * (MARGIN - 16), PAGE_H - 2 * (MARGIN - 16));
    cairo_stroke(cr);

    double W = PAGE_W - 2 * MARGIN, y = MARGIN + 6;
    cairo_set_source_rgb(cr, 0.55, 0.08, 0.08);
    y += text_box(&x, "document_title", doc_title, MARGIN, y, W, 40, 24, PANGO_ALIGN_CENTER, true) + 4;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    char line[768];
    snprintf(line, sizeof line, "%s统一监制", p->operator_zh[0] ? p->operator_zh : p->name);
    y += text_box(&x, "supervised_by", line, MARGIN, y, W, 20, 10.5, PANGO_ALIGN_CENTER, true) + 18;

    /* the fields, label and value */
    const double LW = 92, VW = W - LW - 8, ROW_H = 44;
    char scope_zh[256] = "", scope_en[256], m1[8], m2[8];
    struct field {
        const char *key, *label;
        char value[640];
        double size;
    } f[20];
    int nf = 0;
#define FIELD(k, lab, sz, ...)                                                                     \
    do {                                                                                           \
        f[nf].key = k, f[nf].label = lab, f[nf].size = sz;                                         \
        if (snprintf(f[nf].value, sizeof f[nf].value, __VA_ARGS__) >= (int)sizeof f[nf].value &&   \
            !x.failed) { /* never cut: too long is refused */                                      \
            snprintf(why, why_size, "%s is longer than the %zu bytes a field holds", k,            \
                     sizeof f[nf].value - 1);                                                      \
            x.failed = true;                                                                       \
        }                                                                                          \
        nf++;                                                                                      \
    } while (0)
    FIELD("name", "姓　　名", 16, "%s", c->name);
    FIELD("id_number", "身份证号", 12, "**************%s", c->id_mask);
    FIELD("series", "系　　列", 12, "%s", t ? t->series_name : "");
    FIELD("specialty", "专　　业", 12, "%s", c->specialty);
    FIELD("title", "职称（级别）", 13, "%s（%s）", title, tc_level_name_zh(c->level));
    FIELD("track", "类　　别", 12, "%s", tc_track_name_zh(c->track));
    tc_day_format(day, c->obtained_day);
    tc_month_format(m1, c->tenure_month);
    FIELD("method", "取得方式", 12, "%s，评审年度 %u", tc_method_name_zh(c->method), c->eval_year);
    FIELD("obtained", "取得日期", 12, "%s，任职起始 %s", day, m1);
    if (c->track == TC_TRACK_PROVINCE && c->conv.kind == TC_CONV_FROM) {
        tc_month_format(m2, c->conv.carried_tenure_month);
        FIELD("predecessor", c->method == TC_METHOD_REEVALUATION ? "转评自" : "换发自", 12,
              "基层职称证书 %llu，任职年限自 %s 起连续计算", (unsigned long long)c->conv.predecessor, m2);
    }
    if (in->employer_name && *in->employer_name)
        FIELD("employer", "工作单位", 12, "%s", in->employer_name);
    FIELD("committee", "评审委员会", 12, "%s（备案号 %u）", in->committee, c->committee);
    FIELD("cert_id", "证书编号", 12, "%s", id);
    tc_day_format(day, tc_beijing_day(c->issued_at));
    FIELD("issued", "发证日期", 12, "%s", day);
#undef FIELD
    for (int i = 0; i < nf && !x.failed; i++) {
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        double hl = text_box(&x, "label", f[i].label, MARGIN, y + 2, LW, ROW_H, 11,
                             PANGO_ALIGN_LEFT, true);
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        double hv = text_box(&x, f[i].key, f[i].value, MARGIN + LW + 8, y, VW, ROW_H, f[i].size,
                             PANGO_ALIGN_LEFT, true);
        y += (hv > hl ? hv : hl) + 7;
    }

    /* the scope, prominently, for a basic-level title; with its conversion path */
    if (!x.failed && c->track == TC_TRACK_BASIC) {
        tc_scope_words(&c->scope, p->name, p->name_en, scope_zh, sizeof scope_zh, scope_en,
                       sizeof scope_en);
        char big[320], path_text[512];
        /* 限…基层单位使用 -> 限…基层单位使用有效 */
        snprintf(big, sizeof big, "%s有效", scope_zh);
        tc_month_format(m2, c->conv.earliest_month);
        snprintf(path_text, sizeof path_text,
                 "定向评价、定向使用：离开基层单位后不再有效。最早 %s 可申请换发全省统一职称：基层单位"
                 "累计聘满 %u 个月，每年继续教育 %u 学时%s%s。",
                 m2, c->conv.months_required, c->conv.ce_hours,
                 c->conv.flags & TC_CONV_NEEDS_ASSESSMENTS ? "，年度考核合格" : "",
                 c->conv.flags & TC_CONV_NEEDS_COMMITTEE ? "，经全省统一评审委员会评审" : "");
        double top = y + 6, pad = 10;
        cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
        double h1 = text_box(&x, "scope", big, MARGIN + pad, top + pad, W - 2 * pad, 60, 17,
                             PANGO_ALIGN_CENTER, true);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        double h2 = h1 < 0 ? -1 : text_box(&x, "conversion_path", path_text, MARGIN + pad,
                                           top + pad + h1 + 4, W - 2 * pad, 60, 10.5,
                                           PANGO_ALIGN_LEFT, true);
        if (h2 >= 0) {
            cairo_set_source_rgb(cr, 0.62, 0.1, 0.1);
            cairo_set_line_width(cr, 1.4);
            cairo_rectangle(cr, MARGIN, top, W, h1 + h2 + 2 * pad + 4);
            cairo_stroke(cr);
            y = top + h1 + h2 + 2 * pad + 4;
        }
    } else if (!x.failed) {
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        y += text_box(&x, "scope", "全省范围有效", MARGIN, y + 6, W, 30, 14, PANGO_ALIGN_CENTER, true) + 6;
    }

    /* the lower band: QR code (left) and the organiser with its seal (right) */
    const double QR_SIDE = 150, BAND = PAGE_H - MARGIN - 8 - QR_SIDE - 60;
    if (!x.failed && y > BAND - 6) {
        snprintf(why, why_size, "the fields need %.0f pt, more than the page leaves above the QR "
                 "code and the seal", y - MARGIN);
        x.failed = true;
    }
    if (!x.failed) {
        double qx = MARGIN, qy = BAND;
        draw_qr(cr, &qr, qx, qy, QR_SIDE);
        note(&x, "qr", qx, qy, QR_SIDE, QR_SIDE, qx, qy, QR_SIDE, QR_SIDE, 0, 0);
        char url[TC_LINK_MAX + 8];
        snprintf(url, sizeof url, "%s/v", in->base_url);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        double h = text_box(&x, "qr_url", url, qx, qy + QR_SIDE + 2, QR_SIDE + 40, 24, 8,
                            PANGO_ALIGN_LEFT, true);
        snprintf(line, sizeof line, "证书编号 %s", id);
        if (h >= 0)
            text_box(&x, "qr_id", line, qx, qy + QR_SIDE + 2 + h, QR_SIDE + 40, 16, 9,
                     PANGO_ALIGN_LEFT, true);
        /* organiser, date, then the seal over them */
        double ox = MARGIN + W - 220, oy = BAND + 48;
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        double ho = text_box(&x, "organiser", in->organiser, ox, oy, 220, 44, 13,
                             PANGO_ALIGN_CENTER, true);
        int yy, mm, dd;
        tc_day_split(tc_beijing_day(c->issued_at), &yy, &mm, &dd);
        snprintf(line, sizeof line, "%d年%d月%d日", yy, mm, dd);
        if (ho >= 0)
            text_box(&x, "issue_date", line, ox, oy + ho + 4, 220, 20, 12, PANGO_ALIGN_CENTER, true);
        if (!x.failed && !draw_seal(&x, in, ox + 110, oy + 14, 128)) {
            snprintf(why, why_size, "the seal image could not be drawn");
            x.failed = true;
        }
        note(&x, "seal", ox + 110 - 64, oy + 14 - 64, 128, 128, ox + 110 - 64, oy + 14 - 64, 128, 128, 0, 0);
        /* how to verify */
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        snprintf(line, sizeof line, "核验方式：用手机相机扫描二维码，或访问 %s/ 上传二维码图片，查看本证书的真伪、"
                 "状态及在所在单位是否适用。电子证书与纸质证书具有同等效力。", in->base_url);
        if (!x.failed)
            text_box(&x, "how_to_verify", line, MARGIN, PAGE_H - MARGIN - 26, W, 30, 8.5,
                     PANGO_ALIGN_LEFT, true);
    }
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    cairo_status_t st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    tc_qr_free(&qr);
    tc_pdf_engine_free(own);
    if (x.failed) {
        unlink(path);
        return TC_ERR_RANGE;
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(why, why_size, "%s: %s", path, cairo_status_to_string(st));
        unlink(path);
        return TC_ERR_IO;
    }
    return TC_OK;
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
    ok = ok && fseek(f, 0, SEEK_SET) == 0 && fread(head, 1, 4, f) == 4 && memcmp(head, "%PDF", 4) == 0;
    fclose(f);
    return ok;
}
