/*
 * test_cert_text.c - "TC1:<digits>" text, links, base URLs, and QR symbols. The QR test renders
 * the PNG a holder gets, reads it back with libpng and decodes it with libzbar, as a phone camera
 * would, and checks the link it reads still verifies.
 */
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zbar.h>

#include "fixtures.h"
#include "tap.h"

static void test_text_roundtrip(void)
{
    uint8_t in[TC_CERT_MAX_BYTES], out[TC_CERT_MAX_BYTES];
    char text[TC_TEXT_MAX + 1];
    int bad = 0;
    for (size_t len = 1; len <= 64; len++) {
        for (int pattern = 0; pattern < 3; pattern++) {
            for (size_t i = 0; i < len; i++)
                in[i] = pattern == 0 ? 0x00 : pattern == 1 ? 0xff : (uint8_t)randombytes_uniform(256);
            size_t n = 0;
            if (tc_text_encode(text, sizeof text, in, len) != TC_OK ||
                tc_text_decode(out, sizeof out, &n, text, strlen(text)) != TC_OK || n != len ||
                memcmp(in, out, len) != 0)
                bad++;
        }
    }
    ok(bad == 0, "lengths 1..64 with zero, 0xff and random bytes round-trip");
    memset(in, 0xff, TC_CERT_MAX_BYTES);
    is_err(tc_text_encode(text, sizeof text, in, TC_CERT_MAX_BYTES), TC_OK,
           "the largest certificate fits TC_TEXT_MAX");
    ok(strlen(text) <= TC_TEXT_MAX, "its text is %zu characters", strlen(text));
    uint8_t seven[7] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    tc_text_encode(text, sizeof text, seven, 7);
    ok(strcmp(text, "TC1:72057594037927935") == 0, "7 bytes of 0xff are 2^56-1: %s", text);
}

static void test_text_errors(void)
{
    uint8_t out[TC_CERT_MAX_BYTES];
    size_t n;
    static const struct {
        const char *text;
        enum tc_err want;
        const char *why;
    } cases[] = {
        {"", TC_ERR_PREFIX, "empty"},
        {"TC2:123", TC_ERR_PREFIX, "another version"},
        {"tc1:255", TC_ERR_PREFIX, "lower-case prefix"},
        {"TC1:", TC_ERR_DIGITS, "no digits"},
        {"TC1:25", TC_ERR_DIGITS, "2 digits is no byte count"},
        {"TC1:256", TC_ERR_DIGITS, "256 does not fit one byte"},
        {"TC1:999", TC_ERR_DIGITS, "999 does not fit one byte"},
        {"TC1:2a5", TC_ERR_DIGITS, "a letter"},
        {"TC1:25 5", TC_ERR_DIGITS, "an inner space"},
        {"TC1:72057594037927936", TC_ERR_DIGITS, "2^56 does not fit seven bytes"},
        {"TC1:-25", TC_ERR_DIGITS, "a sign"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_err(tc_text_decode(out, sizeof out, &n, cases[i].text, strlen(cases[i].text)),
               cases[i].want, "text refused: %s", cases[i].why);
    is_err(tc_text_decode(out, sizeof out, &n, "TC1:255", 7), TC_OK, "TC1:255 is one byte");
    ok(n == 1 && out[0] == 255, "0xff");
    char big[TC_TEXT_MAX + 2];
    memset(big, '1', sizeof big);
    memcpy(big, "TC1:", 4);
    is_err(tc_text_decode(out, sizeof out, &n, big, sizeof big), TC_ERR_SIZE_LIMIT, "too long");
}

static void test_links(void)
{
    static const struct {
        const char *base;
        enum tc_err want;
    } bases[] = {
        {"https://zcyz.hrss.gansu.gov.cn", TC_OK},
        {"http://127.0.0.1:8080", TC_OK},
        {"https://hrss.example.cn/titlecert", TC_OK},
        {"https://hrss.example.cn/", TC_ERR_LINK},
        {"ftp://hrss.example.cn", TC_ERR_LINK},
        {"https://", TC_ERR_LINK},
        {"https://a.cn?x=1", TC_ERR_LINK},
        {"https://user@a.cn", TC_ERR_LINK},
        {"https://a.cn:123456", TC_ERR_LINK},
        {"https://a.cn/p#f", TC_ERR_LINK},
        {"https://a.cn/<script>", TC_ERR_LINK},
    };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        is_err(tc_base_url_check(bases[i].base), bases[i].want, "base URL %s", bases[i].base);

    uint8_t out[TC_CERT_MAX_BYTES];
    size_t n;
    char link[TC_LINK_MAX];
    is_err(tc_link_make(link, sizeof link, "http://127.0.0.1:8080", "TC1:255"), TC_OK, "link");
    ok(strcmp(link, "http://127.0.0.1:8080/v#TC1:255") == 0, "link is <base>/v#<text>");
    static const struct {
        const char *in;
        enum tc_err want;
    } anys[] = {
        {"http://127.0.0.1:8080/v#TC1:255", TC_OK},
        {"HTTP://127.0.0.1:8080/V#TC1:255", TC_OK},
        {"  TC1:255\n", TC_OK},
        {"http://127.0.0.1:8080/x#TC1:255", TC_ERR_LINK},
        {"http://127.0.0.1:8080/v", TC_ERR_LINK},
        {"javascript:alert(1)#TC1:255", TC_ERR_LINK},
        {"http://127.0.0.1:8080/v#TC1:256", TC_ERR_DIGITS},
    };
    for (size_t i = 0; i < sizeof anys / sizeof anys[0]; i++)
        is_err(tc_text_decode_any(out, sizeof out, &n, anys[i].in, strlen(anys[i].in)),
               anys[i].want, "payload or link: %s", anys[i].in);
}

/* Reads a grayscale PNG into an 8-bit buffer for zbar. */
static uint8_t *read_png(const char *path, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return NULL;
    img.format = PNG_FORMAT_GRAY;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        free(buf);
        png_image_free(&img);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return buf;
}

static char *zbar_decode(const uint8_t *gray, int w, int h)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_t *img = zbar_image_create();
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)w, (unsigned)h);
    zbar_image_set_data(img, gray, (unsigned long)w * (unsigned long)h, NULL);
    char *text = NULL;
    if (zbar_scan_image(sc, img) > 0) {
        const zbar_symbol_t *sym = zbar_image_first_symbol(img);
        text = strdup(zbar_symbol_get_data(sym));
    }
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(sc);
    return text;
}

static void test_qr(void)
{
    struct fx_key key;
    fx_key(&key, 1);
    struct tc_claims c;
    fx_basic(&c);
    uint8_t m[TC_CERT_MAX_BYTES];
    size_t n;
    fx_cert_sign(m, sizeof m, &n, &c, key.kid, key.sk);
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX];
    tc_text_encode(text, sizeof text, m, n);
    tc_link_make(link, sizeof link, "https://zcyz.hrss.gansu.gov.cn", text);
    ok(strlen("https://zcyz.hrss.gansu.gov.cn") == 30, "a 30-character base URL");
    struct tc_qr qr;
    is_err(tc_qr_encode(&qr, link, TC_QR_M), TC_OK, "QR at ECC M");
    ok(qr.version <= 10, "a typical basic-level certificate fits version 10 at M: version %d",
       qr.version);

    char dir[] = "/tmp/tc_qr_XXXXXX", png[256], svg[256];
    ok(mkdtemp(dir) != NULL, "temporary directory");
    snprintf(png, sizeof png, "%s/cert.png", dir);
    snprintf(svg, sizeof svg, "%s/cert.svg", dir);
    is_err(tc_qr_write_png(&qr, png, 4), TC_OK, "PNG written");
    is_err(tc_qr_write_svg(&qr, svg), TC_OK, "SVG written");
    int w = 0, h = 0;
    uint8_t *gray = read_png(png, &w, &h);
    ok(gray && w == (qr.width + 8) * 4, "PNG reads back at 4 px per module with quiet zone");
    char *read = gray ? zbar_decode(gray, w, h) : NULL;
    ok(read != NULL, "libzbar finds the QR code in the PNG");
    if (read) {
        ok(strncmp(read, "HTTPS://ZCYZ.HRSS.GANSU.GOV.CN/V#TC1:", 37) == 0,
           "scheme and host read back in upper case (alphanumeric mode)");
        uint8_t back[TC_CERT_MAX_BYTES];
        size_t bn;
        struct tc_cert d;
        is_err(tc_text_decode_any(back, sizeof back, &bn, read, strlen(read)), TC_OK,
               "the scanned link yields the payload");
        ok(bn == n && memcmp(back, m, n) == 0, "byte for byte");
        is_err(tc_cert_decode(back, bn, &d, NULL), TC_OK, "and decodes");
        is_err(tc_cert_verify_sig(&d, key.pk), TC_OK, "and verifies");
    }
    free(read);
    free(gray);
    char *term = tc_qr_to_terminal(&qr);
    ok(term && strstr(term, "\u2580") && strstr(term, "\033[0m"), "terminal rendering");
    free(term);
    tc_qr_free(&qr);

    /* a base URL with a path stays in byte mode, exactly as written */
    tc_link_make(link, sizeof link, "https://hrss.example.cn/titlecert", text);
    is_err(tc_qr_encode(&qr, link, TC_QR_M), TC_OK, "QR with a path in the base URL");
    tc_qr_write_png(&qr, png, 3);
    gray = read_png(png, &w, &h);
    read = gray ? zbar_decode(gray, w, h) : NULL;
    ok(read && strcmp(read, link) == 0, "a base URL with a path reads back unchanged");
    free(read);
    free(gray);
    tc_qr_free(&qr);
    is_err(tc_qr_encode(&qr, "https://a.cn/v", TC_QR_M), TC_ERR_LINK, "a link without payload");
    unlink(png);
    unlink(svg);
    rmdir(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    test_text_roundtrip();
    test_text_errors();
    test_links();
    test_qr();
    return tap_done();
}
