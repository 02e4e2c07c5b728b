/*
 * note.c - C2SP tlog-checkpoint bodies and C2SP signed notes with Ed25519 (signature type 0x01).
 *
 * A note is its text (UTF-8, no control characters but newline, ending in a newline), a blank
 * line, and signature lines "— <name> <base64(key id || signature)>\n" (U+2014 EM DASH). The key
 * id is the first four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key); the
 * signature is Ed25519 over the text. Lines of unknown signers are ignored: a witness may add
 * cosignatures without breaking anyone.
 *
 * tc_note_parse is the one reader of the note layout: tc_note_open checks a log's signature over
 * what it returns, and cosig.c a witness's, so the two never disagree on where the text ends.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "register.h"

#define DASH "\xe2\x80\x94" /* — */

bool tc_note_name_ok(const char *p, size_t n)
{
    if (n == 0 || n > TC_REG_ORIGIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == 0x7f || c == '+')
            return false;
    }
    return true;
}

uint32_t tc_note_key_id_typed(const char *name, uint8_t type, const uint8_t *pk, size_t pk_len)
{
    crypto_hash_sha256_state h;
    uint8_t d[32];
    const uint8_t sep[2] = {0x0a, type};
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&h, sep, 2);
    crypto_hash_sha256_update(&h, pk, pk_len);
    crypto_hash_sha256_final(&h, d);
    return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

uint32_t tc_note_key_id(const char *name, const uint8_t pk[32])
{
    return tc_note_key_id_typed(name, 0x01, pk, 32);
}

void tc_note_vkey(char *out, size_t size, const char *name, const uint8_t pk[32])
{
    uint8_t k[33];
    char b64[64];
    k[0] = 0x01;
    memcpy(k + 1, pk, 32);
    sodium_bin2base64(b64, sizeof b64, k, sizeof k, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, size, "%s+%08x+%s", name, (unsigned)tc_note_key_id(name, pk), b64);
}

enum tc_err tc_note_vkey_parse(const char *vkey, char *name, size_t name_size, uint8_t pk[32])
{
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p1 || !p2 || p2 - p1 != 9 || !tc_note_name_ok(vkey, (size_t)(p1 - vkey)) ||
        (size_t)(p1 - vkey) >= name_size)
        return TC_ERR_CODE;
    uint8_t k[33];
    size_t klen;
    if (!tc_base64_decode(k, sizeof k, p2 + 1, strlen(p2 + 1), &klen) || klen != 33 ||
        k[0] != 0x01)
        return TC_ERR_CODE;
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = '\0';
    memcpy(pk, k + 1, 32);
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", (unsigned)tc_note_key_id(name, pk));
    return memcmp(hex, p1 + 1, 8) == 0 ? TC_OK : TC_ERR_CODE;
}

size_t tc_checkpoint_format(const struct tc_checkpoint *c, char *out, size_t size)
{
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, c->root, TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, size, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, b64);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

enum tc_err tc_checkpoint_parse(const char *body, size_t len, struct tc_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    const char *p = body, *end = body + len, *s;
    size_t n;
    if (len > TC_REG_NOTE_MAX)
        return TC_ERR_SIZE_LIMIT;
    /* origin: non-empty, no spaces or plus signs (the C2SP checkpoint spec's SHOULD, kept) */
    if (!tc_line_next(&p, end, &s, &n) || !tc_note_name_ok(s, n))
        return TC_ERR_TYPE;
    memcpy(c->origin, s, n);
    /* size: decimal, no leading zeros, no sign */
    if (!tc_line_next(&p, end, &s, &n) || n == 0 || n > 19 || (s[0] == '0' && n > 1))
        return TC_ERR_TYPE;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TC_ERR_TYPE;
        c->size = c->size * 10 + (uint64_t)(s[i] - '0');
    }
    if (c->size > TC_REG_SIZE_MAX)
        return TC_ERR_RANGE;
    /* root: standard base64 of 32 bytes, padded */
    size_t got;
    if (!tc_line_next(&p, end, &s, &n) || n != 44 ||
        !tc_base64_decode(c->root, TC_REG_HASH, s, n, &got) || got != TC_REG_HASH)
        return TC_ERR_TYPE;
    /* extension lines: non-empty, each ending in a newline */
    while (p < end) {
        if (!tc_line_next(&p, end, &s, &n) || n == 0)
            return TC_ERR_TYPE;
    }
    return TC_OK;
}

size_t tc_note_format(const char *body, size_t body_len, const char *name, const uint8_t pk[32],
                      const uint8_t sig[64], char *out, size_t size)
{
    uint8_t blob[68];
    uint32_t id = tc_note_key_id(name, pk);
    char b64[128];
    blob[0] = (uint8_t)(id >> 24), blob[1] = (uint8_t)(id >> 16), blob[2] = (uint8_t)(id >> 8),
    blob[3] = (uint8_t)id;
    memcpy(blob + 4, sig, 64);
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, size, "%.*s\n" DASH " %s %s\n", (int)body_len, body, name, b64);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* UTF-8 with no control characters other than newline (the signed-note spec) */
static bool text_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n') || c == 0x7f)
                return false;
            i++;
            continue;
        }
        size_t k = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (!k || i + k > n)
            return false;
        uint32_t cp = c & (0xff >> (k + 1));
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += k;
    }
    return true;
}

/* One signature line s[0..n) (without its newline) into sig. */
static enum tc_err sig_line(const char *s, size_t n, struct tc_note_sig *sig)
{
    if (n < 4 + 2 || memcmp(s, DASH " ", 4) != 0)
        return TC_ERR_TYPE;
    const char *nm = s + 4, *sp = memchr(nm, ' ', n - 4);
    if (!sp || !tc_note_name_ok(nm, (size_t)(sp - nm)))
        return TC_ERR_TYPE;
    const char *b = sp + 1;
    size_t got;
    uint8_t blob[4 + TC_NOTE_SIG_MAX];
    if (!tc_base64_decode(blob, sizeof blob, b, (size_t)(s + n - b), &got) || got < 5)
        return TC_ERR_TYPE;
    sig->name = nm, sig->name_len = (size_t)(sp - nm);
    sig->key_id =
        (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
    sig->sig_len = got - 4;
    memcpy(sig->sig, blob + 4, sig->sig_len);
    return TC_OK;
}

enum tc_err tc_note_parse(const char *note, size_t len, struct tc_note *out)
{
    out->text = note, out->text_len = 0, out->n_sigs = 0;
    if (len > TC_REG_NOTE_MAX)
        return TC_ERR_SIZE_LIMIT;
    if (len == 0 || note[len - 1] != '\n' || !text_ok((const uint8_t *)note, len))
        return TC_ERR_TEXT;
    /* the text ends at the last blank line: "\n\n" */
    size_t split = 0;
    for (size_t i = len - 1; i > 0 && !split; i--)
        if (note[i] == '\n' && note[i - 1] == '\n')
            split = i; /* note[0..split) is the text, ending in its own newline */
    if (!split)
        return TC_ERR_TYPE;
    const char *p = note + split + 1, *end = note + len, *s;
    size_t n;
    while (p < end) {
        if (out->n_sigs == TC_REG_NOTE_SIGS)
            return TC_ERR_SIZE_LIMIT;
        struct tc_note_sig *sig = &out->sig[out->n_sigs];
        const char *start = p;
        enum tc_err e = tc_line_next(&p, end, &s, &n) ? sig_line(s, n, sig) : TC_ERR_TYPE;
        if (e != TC_OK)
            return e;
        sig->line = start, sig->line_len = (size_t)(p - start);
        out->n_sigs++;
    }
    out->text_len = split;
    return TC_OK;
}

enum tc_err tc_note_open(const char *note, size_t len, const char *name, const uint8_t pk[32],
                         const char **body, size_t *body_len)
{
    struct tc_note n;
    enum tc_err e = tc_note_parse(note, len, &n);
    if (e != TC_OK)
        return e;
    uint32_t want_id = tc_note_key_id(name, pk);
    size_t name_len = strlen(name);
    bool verified = false;
    for (size_t i = 0; i < n.n_sigs; i++) {
        const struct tc_note_sig *s = &n.sig[i];
        if (s->name_len != name_len || memcmp(s->name, name, name_len) != 0 || s->key_id != want_id)
            continue; /* another signer: a witness, or a key this verifier does not know */
        if (s->sig_len == 64 &&
            crypto_sign_verify_detached(s->sig, (const uint8_t *)n.text, n.text_len, pk) == 0)
            verified = true;
    }
    if (!verified)
        return TC_ERR_BAD_SIGNATURE;
    *body = n.text, *body_len = n.text_len;
    return TC_OK;
}
