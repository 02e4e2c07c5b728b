/*
 * qr.c - QR symbols for certificate links, via libqrencode; PNG via libpng; SVG and terminal
 * output by hand (both are a few lines of text).
 *
 * Segmenting is the point of this file. A link is "<base>/v#TC1:<digits>". The digits go in
 * numeric mode (3.33 bits each). '#' is not in the alphanumeric set, so "#TC1:" is one byte-mode
 * segment. The base and "/v" go in alphanumeric mode (5.5 bits per character) when that is
 * lossless: scheme and host are case-insensitive (RFC 3986 §3.1, §3.2.2), so when the base URL has
 * no path, "HTTPS://HOST/V" means the same thing and the verifier serves "/V" as well as "/v".
 * With a path (case-sensitive) the prefix stays in byte mode as written.
 *
 * PNG and SVG images are made in memory (tc_qr_png, tc_qr_svg: a batch writes them its own
 * way) or written whole by base's atomic writer, so a reader never sees half an image (not
 * fsync'd: see write_image).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "qr_internal.h"

#define QUIET 4

static bool base_has_path(const char *link, const char *hash)
{
    const char *p = strstr(link, "://");
    if (!p)
        return true;
    p = strchr(p + 3, '/');
    /* the first '/' after the host must be the one of "/v#" */
    return !p || p != hash - 2;
}

enum tc_err tc_qr_encode(struct tc_qr *qr, const char *link, enum tc_qr_ecc ecc)
{
    static const QRecLevel levels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
    memset(qr, 0, sizeof *qr);
    if (!link || (unsigned)ecc > TC_QR_H)
        return TC_ERR_ARG;
    size_t n = strlen(link);
    if (n > TC_LINK_MAX)
        return TC_ERR_SIZE_LIMIT;
    const char *hash = strchr(link, '#');
    const char *digits = hash ? strstr(hash, TC_TEXT_PREFIX) : NULL;
    if (!hash || !digits || digits != hash + 1)
        return TC_ERR_LINK;
    digits += strlen(TC_TEXT_PREFIX);
    for (const char *d = digits; *d; d++)
        if (*d < '0' || *d > '9')
            return TC_ERR_LINK;

    QRinput *in = QRinput_new2(0, levels[ecc]);
    if (!in)
        return TC_ERR_NOMEM;
    enum tc_err e = TC_ERR_QR;
    int rc;
    size_t base_len = (size_t)(hash - link);
    char upper[TC_LINK_MAX + 1];
    if (!base_has_path(link, hash)) {
        for (size_t i = 0; i < base_len; i++)
            upper[i] = (char)toupper((unsigned char)link[i]);
        rc = QRinput_append(in, QR_MODE_AN, (int)base_len, (const unsigned char *)upper);
    } else {
        rc = QRinput_append(in, QR_MODE_8, (int)base_len, (const unsigned char *)link);
    }
    if (rc == 0)
        rc = QRinput_append(in, QR_MODE_8, (int)(digits - hash), (const unsigned char *)hash);
    if (rc == 0 && *digits)
        rc = QRinput_append(in, QR_MODE_NUM, (int)strlen(digits), (const unsigned char *)digits);
    if (rc != 0)
        goto out;
    QRcode *code = tc_qr_encode_input(in);
    if (!code)
        goto out;
    qr->version = code->version;
    qr->width = code->width;
    qr->data = malloc((size_t)code->width * (size_t)code->width);
    if (!qr->data) {
        QRcode_free(code);
        e = TC_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < code->width * code->width; i++)
        qr->data[i] = code->data[i] & 1;
    QRcode_free(code);
    e = TC_OK;
out:
    QRinput_free(in);
    return e;
}

enum tc_err tc_qr_encode_text(struct tc_qr *qr, const char *text, enum tc_qr_ecc ecc)
{
    static const QRecLevel levels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
    memset(qr, 0, sizeof *qr);
    if (!text || (unsigned)ecc > TC_QR_H)
        return TC_ERR_ARG;
    if (strlen(text) > TC_LINK_MAX)
        return TC_ERR_SIZE_LIMIT;
    QRcode *code = QRcode_encodeString8bit(text, 0, levels[ecc]);
    if (!code)
        return TC_ERR_QR;
    qr->version = code->version;
    qr->width = code->width;
    qr->data = malloc((size_t)code->width * (size_t)code->width);
    for (int i = 0; qr->data && i < code->width * code->width; i++)
        qr->data[i] = code->data[i] & 1;
    QRcode_free(code);
    return qr->data ? TC_OK : TC_ERR_NOMEM;
}

void tc_qr_free(struct tc_qr *qr)
{
    free(qr->data);
    qr->data = NULL;
}

static bool dark(const struct tc_qr *qr, int x, int y)
{
    x -= QUIET, y -= QUIET;
    return x >= 0 && y >= 0 && x < qr->width && y < qr->width && qr->data[y * qr->width + x];
}

/* A growing buffer an image is made in. */
struct mem {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
};

static void mem_put(struct mem *m, const void *p, size_t n)
{
    if (m->failed)
        return;
    size_t need = m->len + n < 4096 ? 4096 : m->len + n; /* 4 KiB, then doubled */
    if (tc_reserve((void **)&m->buf, &m->cap, need, 1) != TC_OK) {
        m->failed = true;
        return;
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
}

static void png_out(png_structp png, png_bytep p, size_t n)
{
    mem_put(png_get_io_ptr(png), p, n);
}

static void png_flush(png_structp png)
{
    (void)png;
}

/* The 1-bit pixel row of module row y, `scale` pixels a module (1 = white in grayscale). */
static void png_row(const struct tc_qr *qr, int y, int scale, png_bytep row, size_t bytes)
{
    int side = qr->width + 2 * QUIET;
    memset(row, 0xff, bytes);
    for (int x = 0; x < side; x++) {
        if (!dark(qr, x, y))
            continue;
        for (int p = x * scale; p < (x + 1) * scale; p++)
            row[p / 8] &= (png_byte) ~(0x80u >> (p % 8));
    }
}

/* A small deflate window and hash (the image is a few KB, its rows repeat `scale` times): less
 * to allocate and clear per image than zlib's defaults (a quarter MiB, which glibc's malloc also
 * hands back to the kernel after each image), for a file a few bytes larger. zlib's fastest level:
 * the repeated rows are found all the same, and the lazy matching of the default level cost a
 * quarter of a certificate's image time for 200 bytes of a 1 KB file. */
static void png_setup(png_structp png, png_infop info, int side)
{
    png_set_compression_window_bits(png, 10);
    png_set_compression_mem_level(png, 2);
    png_set_compression_level(png, 1);
    /* 1-bit images gain nothing from row filters, and trying them costs most of the time */
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
}

enum tc_err tc_qr_png(const struct tc_qr *qr, int scale, uint8_t **out, size_t *len)
{
    *out = NULL, *len = 0;
    if (!qr || !qr->data || scale < 1 || scale > 64)
        return TC_ERR_ARG;
    struct mem m = {0};
    int side = (qr->width + 2 * QUIET) * scale;
    size_t bytes = (size_t)(side + 7) / 8;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = malloc(bytes);
    bool ok = false;
    if (!png || !info || !row)
        goto done;
    if (setjmp(png_jmpbuf(png)))
        goto done;
    png_set_write_fn(png, &m, png_out, png_flush);
    png_setup(png, info, side);
    png_write_info(png, info);
    for (int y = 0; y < qr->width + 2 * QUIET; y++) {
        png_row(qr, y, scale, row, bytes);
        for (int k = 0; k < scale; k++)
            png_write_row(png, row);
    }
    png_write_end(png, NULL);
    ok = !m.failed;
done:
    png_destroy_write_struct(&png, &info);
    free(row);
    if (!ok) {
        free(m.buf);
        return TC_ERR_NOMEM;
    }
    *out = m.buf, *len = m.len;
    return TC_OK;
}

/* a decimal number into p; its length */
static size_t put_num(char *p, int v)
{
    char t[12];
    size_t n = 0, k = 0;
    unsigned u = (unsigned)v;
    do
        t[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    while (n)
        p[k++] = t[--n];
    return k;
}

enum tc_err tc_qr_svg(const struct tc_qr *qr, uint8_t **out, size_t *len)
{
    *out = NULL, *len = 0;
    if (!qr || !qr->data)
        return TC_ERR_ARG;
    struct mem m = {0};
    char head[256], run[64];
    int side = qr->width + 2 * QUIET;
    int n = snprintf(head, sizeof head,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                     "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                     "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                     side, side, side, side);
    mem_put(&m, head, (size_t)n);
    /* one rectangle per run of dark modules in a row */
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width;) {
            if (!qr->data[y * qr->width + x]) {
                x++;
                continue;
            }
            int w = 1;
            while (x + w < qr->width && qr->data[y * qr->width + x + w])
                w++;
            size_t k = 0;
            run[k++] = 'M', k += put_num(run + k, x + QUIET), run[k++] = ' ';
            k += put_num(run + k, y + QUIET), run[k++] = 'h', k += put_num(run + k, w);
            memcpy(run + k, "v1h-", 4), k += 4, k += put_num(run + k, w), run[k++] = 'z';
            mem_put(&m, run, k);
            x += w;
        }
    mem_put(&m, "\"/></svg>\n", 10);
    if (m.failed) {
        free(m.buf);
        return TC_ERR_NOMEM;
    }
    *out = m.buf, *len = m.len;
    return TC_OK;
}

/* No fsync: a QR image can always be rendered again from the store, and one fsync per image
 * would cap batch rendering at the disk's sync rate. The rename still means a reader sees the
 * old file or the whole new one, never half an image. */
static enum tc_err write_image(const char *path, uint8_t *p, size_t len)
{
    enum tc_err e = tc_file_write(path, p, len, 0644, TC_FILE_REPLACE | TC_FILE_NOSYNC);
    free(p);
    return e;
}

enum tc_err tc_qr_write_png(const struct tc_qr *qr, const char *path, int scale)
{
    uint8_t *p = NULL;
    size_t len = 0;
    enum tc_err e = tc_qr_png(qr, scale, &p, &len);
    return e == TC_OK ? write_image(path, p, len) : e;
}

enum tc_err tc_qr_write_svg(const struct tc_qr *qr, const char *path)
{
    uint8_t *p = NULL;
    size_t len = 0;
    enum tc_err e = tc_qr_svg(qr, &p, &len);
    return e == TC_OK ? write_image(path, p, len) : e;
}

#define APPEND(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) += sizeof(lit) - 1)

char *tc_qr_to_terminal(const struct tc_qr *qr)
{
    if (!qr || !qr->data)
        return NULL;
    int side = qr->width + 2 * QUIET;
    /* per cell at most 3 bytes of UTF-8; per line the colour codes and a newline */
    size_t cap = (size_t)((side + 1) / 2) * ((size_t)side * 3 + 32) + 1;
    char *s = malloc(cap), *o = s;
    if (!s)
        return NULL;
    for (int y = 0; y < side; y += 2) {
        APPEND(o, "\033[30;47m"); /* black on white, whatever the terminal's theme */
        for (int x = 0; x < side; x++) {
            bool top = dark(qr, x, y), bottom = y + 1 < side && dark(qr, x, y + 1);
            const char *c = top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
            size_t l = strlen(c);
            memcpy(o, c, l);
            o += l;
        }
        APPEND(o, "\033[0m\n");
    }
    *o = '\0';
    return s;
}
