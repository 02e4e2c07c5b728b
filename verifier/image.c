/*
 * image.c - finds the QR code in an uploaded image, as a phone camera would, with Debian's
 * libzbar. PNG is read with libpng's simplified API and JPEG with libjpeg, both straight into
 * 8-bit gray, with byte and pixel limits checked from the header before any pixel buffer is
 * allocated. A hostile image cannot hold a worker for long: a JPEG's scans are counted and the
 * deadline is checked by libjpeg's progress monitor (a progressive JPEG with its AC scan
 * repeated thousands of times took seconds); large images are scaled down before zbar looks at
 * them, so its cost is bounded too.
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zbar.h>

#include <jpeglib.h>

#include "service.h"

uint64_t tc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum tc_err scan_gray(const uint8_t *gray, unsigned w, unsigned h, char **text)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    enum tc_err e = TC_ERR_NOT_FOUND;
    if (!sc || !img) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, gray, (unsigned long)w * h, NULL);
    if (zbar_scan_image(sc, img) > 0) {
        const zbar_symbol_t *sym = zbar_image_first_symbol(img);
        const char *d = sym ? zbar_symbol_get_data(sym) : NULL;
        if (d && strlen(d) <= TC_LINK_MAX) {
            *text = strdup(d);
            e = *text ? TC_OK : TC_ERR_NOMEM;
        } else if (d) {
            e = TC_ERR_SIZE_LIMIT;
        }
    }
out:
    if (img)
        zbar_image_destroy(img);
    if (sc)
        zbar_image_scanner_destroy(sc);
    return e;
}

/* Averages f x f blocks: an image of at most TC_IMAGE_SCAN_PIXELS for zbar. */
static enum tc_err scan_scaled(const uint8_t *gray, unsigned w, unsigned h, char **text)
{
    unsigned f = 1;
    while ((uint64_t)(w / f) * (h / f) > TC_IMAGE_SCAN_PIXELS)
        f++;
    if (f == 1)
        return scan_gray(gray, w, h, text);
    unsigned sw = w / f, sh = h / f;
    uint8_t *small = malloc((size_t)sw * sh);
    if (!small)
        return TC_ERR_NOMEM;
    for (unsigned y = 0; y < sh; y++)
        for (unsigned x = 0; x < sw; x++) {
            unsigned sum = 0;
            for (unsigned dy = 0; dy < f; dy++)
                for (unsigned dx = 0; dx < f; dx++)
                    sum += gray[(size_t)(y * f + dy) * w + x * f + dx];
            small[(size_t)y * sw + x] = (uint8_t)(sum / (f * f));
        }
    enum tc_err e = scan_gray(small, sw, sh, text);
    free(small);
    return e;
}

/* libjpeg reports errors by calling error_exit, which must not return: jump back instead. The
 * progress monitor enforces the scan limit and the deadline the same way. */
struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    struct jpeg_progress_mgr progress;
    const struct tc_image_limits *lim;
    volatile enum tc_err *e;
};

static void jpeg_fail(j_common_ptr cinfo)
{
    longjmp(((struct jerr *)cinfo->err)->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo, (void)level;
}

static void jpeg_progress(j_common_ptr cinfo)
{
    struct jerr *err = (struct jerr *)cinfo->err;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > err->lim->max_scans) {
        *err->e = TC_ERR_SIZE_LIMIT;
        longjmp(err->jump, 1);
    }
    if (err->lim->deadline_ns && tc_monotonic_ns() > err->lim->deadline_ns) {
        *err->e = TC_ERR_TIMEOUT;
        longjmp(err->jump, 1);
    }
}

static enum tc_err decode_jpeg(const uint8_t *data, size_t len, const struct tc_image_limits *lim,
                               char **text)
{
    struct jpeg_decompress_struct cinfo;
    struct jerr err;
    uint8_t *volatile gray = NULL;
    volatile enum tc_err e = TC_ERR_TYPE;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.emit_message = jpeg_quiet;
    err.lim = lim, err.e = &e;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(gray);
        return e;
    }
    jpeg_create_decompress(&cinfo);
    err.progress.progress_monitor = jpeg_progress;
    cinfo.progress = &err.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK)
        longjmp(err.jump, 1);
    if ((uint64_t)cinfo.image_width * cinfo.image_height > lim->max_pixels) {
        e = TC_ERR_SIZE_LIMIT;
        longjmp(err.jump, 1);
    }
    cinfo.out_color_space = JCS_GRAYSCALE;
    /* DCT scaling: decode large photos at 1/2, 1/4 or 1/8 size, at a fraction of the cost */
    cinfo.scale_num = 1, cinfo.scale_denom = 1;
    while (cinfo.scale_denom < 8 &&
           (uint64_t)(cinfo.image_width / cinfo.scale_denom) * (cinfo.image_height / cinfo.scale_denom) >
               TC_IMAGE_SCAN_PIXELS)
        cinfo.scale_denom *= 2;
    e = TC_ERR_TYPE;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height;
    gray = malloc(w * h);
    if (!gray) {
        e = TC_ERR_NOMEM;
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < h) {
        JSAMPROW row = gray + (size_t)cinfo.output_scanline * w;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    e = scan_scaled(gray, (unsigned)w, (unsigned)h, text);
    free(gray);
    return e;
}

static enum tc_err decode_png(const uint8_t *data, size_t len, const struct tc_image_limits *lim,
                              char **text)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return TC_ERR_TYPE;
    if (img.width == 0 || img.height == 0 || (uint64_t)img.width * img.height > lim->max_pixels) {
        png_image_free(&img);
        return TC_ERR_SIZE_LIMIT;
    }
    img.format = PNG_FORMAT_GRAY;
    uint8_t *gray = malloc(PNG_IMAGE_SIZE(img));
    if (!gray) {
        png_image_free(&img);
        return TC_ERR_NOMEM;
    }
    enum tc_err e;
    /* libpng's simplified reader has no progress hook: the pixel limit bounds its time, and the
     * deadline is checked once it is done */
    if (!png_image_finish_read(&img, NULL, gray, 0, NULL))
        e = TC_ERR_TYPE;
    else if (lim->deadline_ns && tc_monotonic_ns() > lim->deadline_ns)
        e = TC_ERR_TIMEOUT;
    else
        e = scan_scaled(gray, img.width, img.height, text);
    free(gray);
    png_image_free(&img);
    return e;
}

enum tc_err tc_image_decode_qr_limited(const uint8_t *data, size_t len,
                                       const struct tc_image_limits *lim, char **text)
{
    *text = NULL;
    if (len > TC_IMAGE_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return decode_jpeg(data, len, lim, text);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 8 || memcmp(data, png_sig, 8) != 0)
        return TC_ERR_TYPE;
    return decode_png(data, len, lim, text);
}

enum tc_err tc_image_decode_qr(const uint8_t *data, size_t len, char **text)
{
    const struct tc_image_limits lim = {TC_IMAGE_MAX_PIXELS, TC_IMAGE_MAX_SCANS, 0};
    return tc_image_decode_qr_limited(data, len, &lim, text);
}
