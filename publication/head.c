/*
 * head.c - the publication's head: the small text file replicas poll (publication.h).
 *
 *   titlecert-head 1
 *   version V
 *   sha256 HEX
 *   bytes N
 *   [delta F HEX N]
 *   <blank line>
 *   <the register checkpoint, a signed note>
 *
 * The parser accepts exactly what tc_head_format writes: no sscanf (which would skip white
 * space, take signs and leading zeros, and stop silently at the first mismatch), every line
 * checked to its end.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "publication.h"

enum tc_err tc_head_format(const struct tc_head *h, char *out, size_t size, size_t *len)
{
    char hex[65], dline[128] = "";
    if (h->has_delta) {
        char dhex[65];
        sodium_bin2hex(dhex, sizeof dhex, h->delta_sha256, 32);
        snprintf(dline, sizeof dline, "delta %" PRIu64 " %s %" PRIu64 "\n", h->delta_from, dhex,
                 h->delta_bytes);
    }
    sodium_bin2hex(hex, sizeof hex, h->sha256, 32);
    int n = snprintf(out, size, "titlecert-head 1\nversion %" PRIu64 "\nsha256 %s\nbytes %" PRIu64
                     "\n%s\n%.*s", h->version, hex, h->bytes, dline, (int)h->checkpoint_len,
                     h->checkpoint);
    if (n < 0 || (size_t)n >= size || (size_t)n > TC_HEAD_MAX_BYTES)
        return TC_ERR_BUFFER;
    *len = (size_t)n;
    return TC_OK;
}

/* A line "<word> " at *p, advancing past the word and the space. */
static bool word(const char **p, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - *p) < n + 1 || memcmp(*p, w, n) != 0 || (*p)[n] != ' ')
        return false;
    *p += n + 1;
    return true;
}

/* A decimal number without sign or leading zero, at most 19 digits, then `stop`. */
static bool number(const char **p, const char *end, char stop, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    size_t k = 0;
    while (s + k < end && s[k] >= '0' && s[k] <= '9' && k < 20)
        x = x * 10 + (uint64_t)(s[k++] - '0');
    if (k == 0 || k > 19 || (k > 1 && s[0] == '0') || s + k >= end || s[k] != stop)
        return false;
    *v = x;
    *p = s + k + 1;
    return true;
}

/* 64 lower-case hex digits, then `stop`. */
static bool hex32(const char **p, const char *end, char stop, uint8_t out[32])
{
    const char *s = *p;
    if (end - s < 65 || s[64] != stop)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    size_t got = 0;
    if (sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) != 0 || got != 32)
        return false;
    *p = s + 65;
    return true;
}

enum tc_err tc_head_parse(const char *in, size_t len, struct tc_head *h)
{
    static const char magic[] = "titlecert-head 1\n";
    memset(h, 0, sizeof *h);
    if (len > TC_HEAD_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    const char *p = in, *end = in + len;
    if (len < sizeof magic - 1 || memcmp(p, magic, sizeof magic - 1) != 0)
        return TC_ERR_TYPE;
    p += sizeof magic - 1;
    if (!word(&p, end, "version") || !number(&p, end, '\n', &h->version) ||
        !word(&p, end, "sha256") || !hex32(&p, end, '\n', h->sha256) ||
        !word(&p, end, "bytes") || !number(&p, end, '\n', &h->bytes))
        return TC_ERR_TYPE;
    if (word(&p, end, "delta")) {
        if (!number(&p, end, ' ', &h->delta_from) || !hex32(&p, end, ' ', h->delta_sha256) ||
            !number(&p, end, '\n', &h->delta_bytes))
            return TC_ERR_TYPE;
        h->has_delta = true;
    }
    if (p >= end || *p != '\n')
        return TC_ERR_TYPE;
    p++;
    h->checkpoint = p;
    h->checkpoint_len = (size_t)(end - p);
    if (h->checkpoint_len == 0 || memchr(p, '\0', h->checkpoint_len))
        return TC_ERR_TYPE;
    return TC_OK;
}
