/*
 * image.c - finds the QR code in an uploaded image, as a phone camera would, with Debian's
 * libzbar. PNG is read with libpng's simplified API and JPEG with libjpeg, both straight into
 * 8-bit gray, with byte and pixel limits checked from the header before any pixel buffer is
 * allocated.
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include <jpeglib.h>

#include "verifier.h"

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

/* libjpeg reports errors by calling error_exit, which must not return: jump back instead. */
struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
    longjmp(((struct jerr *)cinfo->err)->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo, (void)level;
}

static enum tc_err decode_jpeg(const uint8_t *data, size_t len, char **text)
{
    struct jpeg_decompress_struct cinfo;
    struct jerr err;
    uint8_t *volatile gray = NULL;
    volatile enum tc_err e = TC_ERR_TYPE;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.emit_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(gray);
        return e;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK)
        longjmp(err.jump, 1);
    if ((uint64_t)cinfo.image_width * cinfo.image_height > TC_IMAGE_MAX_PIXELS) {
        e = TC_ERR_SIZE_LIMIT;
        longjmp(err.jump, 1);
    }
    cinfo.out_color_space = JCS_GRAYSCALE;
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
    e = scan_gray(gray, (unsigned)w, (unsigned)h, text);
    free(gray);
    return e;
}

enum tc_err tc_image_decode_qr(const uint8_t *data, size_t len, char **text)
{
    *text = NULL;
    if (len > TC_IMAGE_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return decode_jpeg(data, len, text);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 8 || memcmp(data, png_sig, 8) != 0)
        return TC_ERR_TYPE;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return TC_ERR_TYPE;
    if (img.width == 0 || img.height == 0 ||
        (uint64_t)img.width * img.height > TC_IMAGE_MAX_PIXELS) {
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
    if (!png_image_finish_read(&img, NULL, gray, 0, NULL))
        e = TC_ERR_TYPE;
    else
        e = scan_gray(gray, img.width, img.height, text);
    free(gray);
    png_image_free(&img);
    return e;
}
