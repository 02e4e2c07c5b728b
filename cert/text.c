/*
 * text.c - bytes <-> "TC1:<digits>", links and base URLs.
 *
 * Why decimal: a QR code stores digits at 10 bits per 3 digits, so writing each 7-byte group as
 * 17 digits costs 8.1 bits per byte, about what byte mode costs, while the result stays plain
 * text that survives a URL fragment, a phone camera, copy and paste, and an SMS. Base45 (RFC 9285)
 * packs as well but its alphabet includes space and '%', which a URL cannot carry unescaped.
 *
 * Decoding accepts exactly what encoding produces: the digit count must be a multiple of 17 plus
 * one of the final-group lengths, and no group may hold a value its byte count cannot, so every
 * byte string has one text form.
 */
#include <string.h>

#include "cert.h"

#define GROUP_BYTES 7
#define GROUP_DIGITS 17
#define PREFIX_LEN 4

/* digits for a final group of k bytes: ceil(8k * log10 2) */
static const size_t tail_digits[GROUP_BYTES] = {0, 3, 5, 8, 10, 13, 15};

static size_t digits_for(size_t nbytes)
{
    return nbytes / GROUP_BYTES * GROUP_DIGITS + tail_digits[nbytes % GROUP_BYTES];
}

enum tc_err tc_text_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
    if (len > TC_CERT_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    size_t need = PREFIX_LEN + digits_for(len) + 1;
    if (cap < need)
        return TC_ERR_BUFFER;
    memcpy(out, TC_TEXT_PREFIX, PREFIX_LEN);
    char *o = out + PREFIX_LEN;
    for (size_t i = 0; i < len; i += GROUP_BYTES) {
        size_t k = len - i < GROUP_BYTES ? len - i : GROUP_BYTES;
        uint64_t v = 0;
        for (size_t j = 0; j < k; j++)
            v = (v << 8) | in[i + j];
        size_t nd = k == GROUP_BYTES ? GROUP_DIGITS : tail_digits[k];
        for (size_t d = nd; d-- > 0;) {
            o[d] = (char)('0' + v % 10);
            v /= 10;
        }
        o += nd;
    }
    *o = '\0';
    return TC_OK;
}

enum tc_err tc_text_decode(uint8_t *out, size_t cap, size_t *outlen, const char *text,
                           size_t text_len)
{
    if (text_len > TC_TEXT_MAX)
        return TC_ERR_SIZE_LIMIT;
    if (text_len < PREFIX_LEN || memcmp(text, TC_TEXT_PREFIX, PREFIX_LEN) != 0)
        return TC_ERR_PREFIX;
    const char *d = text + PREFIX_LEN;
    size_t nd = text_len - PREFIX_LEN;
    size_t rem = nd % GROUP_DIGITS, tail = 0;
    if (rem != 0) {
        for (tail = 1; tail < GROUP_BYTES; tail++)
            if (tail_digits[tail] == rem)
                break;
        if (tail == GROUP_BYTES)
            return TC_ERR_DIGITS;
    }
    size_t nbytes = nd / GROUP_DIGITS * GROUP_BYTES + tail;
    if (nbytes == 0)
        return TC_ERR_DIGITS;
    if (nbytes > cap)
        return TC_ERR_BUFFER;
    size_t o = 0;
    while (nd > 0) {
        size_t k = nd >= GROUP_DIGITS ? GROUP_BYTES : tail;
        size_t gd = k == GROUP_BYTES ? GROUP_DIGITS : tail_digits[k];
        uint64_t v = 0;
        for (size_t i = 0; i < gd; i++) {
            if (d[i] < '0' || d[i] > '9')
                return TC_ERR_DIGITS;
            v = v * 10 + (uint64_t)(d[i] - '0');
        }
        if (k < 8 && v >> (8 * k) != 0)
            return TC_ERR_DIGITS; /* the group holds more than k bytes */
        for (size_t j = k; j-- > 0;) {
            out[o + j] = (uint8_t)(v & 0xff);
            v >>= 8;
        }
        o += k;
        d += gd;
        nd -= gd;
    }
    *outlen = o;
    return TC_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum tc_err tc_text_decode_any(uint8_t *out, size_t cap, size_t *outlen, const char *input,
                               size_t input_len)
{
    if (input_len > TC_LINK_MAX)
        return TC_ERR_SIZE_LIMIT;
    while (input_len && is_space(*input))
        input++, input_len--;
    while (input_len && is_space(input[input_len - 1]))
        input_len--;
    const char *hash = memchr(input, '#', input_len);
    if (hash) {
        /* A link: http(s)://host/...v#TC1:... (the page path may be /v or /V). */
        if (!(input_len > 7 && (strncasecmp(input, "http://", 7) == 0 ||
                                strncasecmp(input, "https://", 8) == 0)))
            return TC_ERR_LINK;
        if (hash - input < 2 || (hash[-1] != 'v' && hash[-1] != 'V') || hash[-2] != '/')
            return TC_ERR_LINK;
        size_t rest = input_len - (size_t)(hash + 1 - input);
        return tc_text_decode(out, cap, outlen, hash + 1, rest);
    }
    if (input_len > 7 && (strncasecmp(input, "http://", 7) == 0 ||
                          strncasecmp(input, "https://", 8) == 0))
        return TC_ERR_LINK;
    return tc_text_decode(out, cap, outlen, input, input_len);
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

static bool path_char(char c)
{
    return host_char(c) || c == '_' || c == '~' || c == '/';
}

enum tc_err tc_base_url_check(const char *base)
{
    if (!base)
        return TC_ERR_ARG;
    size_t n = strlen(base);
    if (n > TC_BASE_URL_MAX)
        return TC_ERR_SIZE_LIMIT;
    const char *p;
    if (strncmp(base, "https://", 8) == 0)
        p = base + 8;
    else if (strncmp(base, "http://", 7) == 0)
        p = base + 7;
    else
        return TC_ERR_LINK;
    const char *host = p;
    while (*p && host_char(*p))
        p++;
    if (p == host)
        return TC_ERR_LINK;
    if (*p == ':') {
        const char *port = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == port || p - port > 5)
            return TC_ERR_LINK;
    }
    if (*p == '/') {
        while (*p && path_char(*p))
            p++;
        if (p[-1] == '/')
            return TC_ERR_LINK; /* "<base>/v" would get a double slash */
    }
    return *p == '\0' ? TC_OK : TC_ERR_LINK;
}

enum tc_err tc_link_make(char *out, size_t cap, const char *base, const char *text)
{
    enum tc_err e = tc_base_url_check(base);
    if (e != TC_OK)
        return e;
    size_t bl = strlen(base), tl = strlen(text);
    if (bl + 3 + tl + 1 > cap || bl + 3 + tl > TC_LINK_MAX)
        return TC_ERR_BUFFER;
    memcpy(out, base, bl);
    memcpy(out + bl, "/v#", 3);
    memcpy(out + bl + 3, text, tl + 1);
    return TC_OK;
}
