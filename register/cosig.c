/*
 * cosig.c - C2SP tlog-cosignature: witnesses' co-signatures on checkpoints.
 *
 * A co-signature is a signed-note signature line whose bytes are a key id, an 8-byte big-endian
 * timestamp and a signature over a message the co-signature type defines. Everything that
 * differs between types (key id type byte, key and signature lengths, the message, the
 * verification) is a row of one table, so a post-quantum type (ML-DSA-44, type 0x06, whose
 * message is a binary structure naming the cosigner) is one more row and one more verify
 * function; the line format, the verifier keys and the quorum count are shared.
 *
 * The note layout comes from tc_note_parse (note.c), the same reader tc_note_open uses for the
 * log's own signature, so the witness and the log are always read over the same text.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "register.h"

#define DASH "\xe2\x80\x94" /* — */
#define STAMP 8             /* bytes of the timestamp before the signature */
#define VKEY_KEY_MAX 2048   /* bytes of type || key decoded from a verifier key (ML-DSA-44: 1313) */

/* cosignature/v1: the header line, the time line, then the text. The name is not in it: the
 * spec requires a distinct key per cosigner instead. */
static enum tc_err v1_message(const char *name, uint64_t time, const char *text, size_t text_len,
                              uint8_t *out, size_t cap, size_t *len)
{
    (void)name;
    if (time > TC_COSIG_TIME_MAX)
        return TC_ERR_RANGE;
    char head[48];
    int n = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n", (unsigned long long)time);
    if (n < 0 || (size_t)n >= sizeof head)
        return TC_ERR_INTERNAL;
    if ((size_t)n > cap || text_len > cap - (size_t)n)
        return TC_ERR_BUFFER;
    memcpy(out, head, (size_t)n);
    memcpy(out + n, text, text_len);
    *len = (size_t)n + text_len;
    return TC_OK;
}

static bool ed25519_verify(const uint8_t *sig, const uint8_t *msg, size_t len, const uint8_t *pk)
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

static const struct tc_cosig_type types[] = {
    {"cosignature/v1", TC_COSIG_ED25519, 32, 64, v1_message, ed25519_verify},
};

const struct tc_cosig_type *tc_cosig_type_of(uint8_t type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].type == type)
            return &types[i];
    return NULL;
}

enum tc_err tc_cosigner_init(struct tc_cosigner *c, const char *name, uint8_t type,
                             const uint8_t *pk, size_t pk_len)
{
    memset(c, 0, sizeof *c);
    size_t n = strlen(name);
    if (!tc_note_name_ok(name, n))
        return TC_ERR_CODE;
    const struct tc_cosig_type *t = tc_cosig_type_of(type);
    if (!t)
        return TC_ERR_ALG;
    if (pk_len != t->pk_len || pk_len > TC_COSIG_PK_MAX)
        return TC_ERR_ARG;
    memcpy(c->name, name, n + 1);
    c->type = t;
    memcpy(c->pk, pk, pk_len);
    c->key_id = tc_note_key_id_typed(name, type, pk, pk_len);
    return TC_OK;
}

enum tc_err tc_cosigner_parse(struct tc_cosigner *c, const char *vkey)
{
    memset(c, 0, sizeof *c);
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p1 || !p2 || p2 - p1 != 9 || (size_t)(p1 - vkey) > TC_REG_ORIGIN_MAX)
        return TC_ERR_CODE;
    static const char hexdigits[] = "0123456789abcdef";
    for (const char *h = p1 + 1; h < p2; h++)
        if (!*h || !strchr(hexdigits, *h))
            return TC_ERR_CODE;
    char name[TC_REG_ORIGIN_MAX + 1];
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = '\0';
    uint8_t k[VKEY_KEY_MAX];
    size_t klen;
    if (!tc_base64_decode(k, sizeof k, p2 + 1, strlen(p2 + 1), &klen) || klen < 1)
        return TC_ERR_CODE;
    const struct tc_cosig_type *t = tc_cosig_type_of(k[0]);
    if (!t)
        return TC_ERR_ALG;
    enum tc_err e = tc_cosigner_init(c, name, k[0], k + 1, klen - 1);
    if (e != TC_OK)
        return e == TC_ERR_ALG ? e : TC_ERR_CODE;
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", (unsigned)c->key_id);
    if (memcmp(hex, p1 + 1, 8) != 0) {
        memset(c, 0, sizeof *c);
        return TC_ERR_CODE;
    }
    return TC_OK;
}

size_t tc_cosigner_vkey(const struct tc_cosigner *c, char *out, size_t size)
{
    uint8_t k[1 + TC_COSIG_PK_MAX];
    char b64[4 * ((sizeof k + 2) / 3) + 1];
    if (!c->type)
        return 0;
    k[0] = c->type->type;
    memcpy(k + 1, c->pk, c->type->pk_len);
    sodium_bin2base64(b64, sizeof b64, k, 1 + c->type->pk_len, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, size, "%s+%08x+%s", c->name, (unsigned)c->key_id, b64);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

enum tc_err tc_cosig_message(const struct tc_cosigner *c, uint64_t time, const char *text,
                             size_t text_len, uint8_t *out, size_t cap, size_t *len)
{
    if (!c->type)
        return TC_ERR_ARG;
    return c->type->message(c->name, time, text, text_len, out, cap, len);
}

enum tc_err tc_cosig_line(const struct tc_cosigner *c, uint64_t time, const uint8_t *sig,
                          size_t sig_len, char *out, size_t size, size_t *len)
{
    if (!c->type || sig_len != c->type->sig_len || sig_len > TC_COSIG_SIG_MAX)
        return TC_ERR_ARG;
    if (time > TC_COSIG_TIME_MAX)
        return TC_ERR_RANGE;
    uint8_t blob[4 + STAMP + TC_COSIG_SIG_MAX];
    for (int i = 0; i < 4; i++)
        blob[i] = (uint8_t)(c->key_id >> (24 - 8 * i));
    for (int i = 0; i < STAMP; i++)
        blob[4 + i] = (uint8_t)(time >> (56 - 8 * i));
    memcpy(blob + 4 + STAMP, sig, sig_len);
    char b64[4 * ((sizeof blob + 2) / 3) + 1];
    sodium_bin2base64(b64, sizeof b64, blob, 4 + STAMP + sig_len, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, size, DASH " %s %s\n", c->name, b64);
    if (n <= 0 || (size_t)n >= size)
        return TC_ERR_BUFFER;
    *len = (size_t)n;
    return TC_OK;
}

/* Whether one line of c's verifies; *time its timestamp. */
static bool line_verifies(const struct tc_note *note, const struct tc_note_sig *s,
                          const struct tc_cosigner *c, uint64_t *time)
{
    uint8_t msg[TC_COSIG_MSG_MAX];
    size_t len;
    if (s->sig_len != STAMP + c->type->sig_len)
        return false;
    uint64_t t = 0;
    for (int i = 0; i < STAMP; i++)
        t = t << 8 | s->sig[i];
    if (t > TC_COSIG_TIME_MAX ||
        c->type->message(c->name, t, note->text, note->text_len, msg, sizeof msg, &len) != TC_OK)
        return false;
    *time = t;
    return c->type->verify(s->sig + STAMP, msg, len, c->pk);
}

enum tc_err tc_cosig_verify(const struct tc_note *note, const struct tc_cosigner *c, uint64_t *time)
{
    if (!c->type)
        return TC_ERR_ARG;
    size_t name_len = strlen(c->name);
    bool found = false;
    uint64_t latest = 0;
    for (size_t i = 0; i < note->n_sigs; i++) {
        const struct tc_note_sig *s = &note->sig[i];
        if (s->name_len != name_len || memcmp(s->name, c->name, name_len) != 0 ||
            s->key_id != c->key_id)
            continue; /* another key: the log's, another witness's, one this reader ignores */
        uint64_t t;
        if (!line_verifies(note, s, c, &t))
            return TC_ERR_BAD_SIGNATURE;
        found = true;
        latest = t > latest ? t : latest;
    }
    if (!found)
        return TC_ERR_NOT_FOUND;
    if (time)
        *time = latest;
    return TC_OK;
}

static bool same_cosigner(const struct tc_cosigner *a, const struct tc_cosigner *b)
{
    return a->type == b->type && a->key_id == b->key_id && strcmp(a->name, b->name) == 0 &&
           (!a->type || memcmp(a->pk, b->pk, a->type->pk_len) == 0);
}

enum tc_err tc_cosig_verify_note(const char *note, size_t len, const struct tc_cosigner *w,
                                 size_t n, size_t quorum, size_t *count)
{
    struct tc_note parsed;
    bool forged = false;
    *count = 0;
    enum tc_err e = tc_note_parse(note, len, &parsed);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < n; i++) {
        bool listed_before = false;
        for (size_t j = 0; j < i && !listed_before; j++)
            listed_before = same_cosigner(&w[i], &w[j]);
        if (listed_before)
            continue;
        e = tc_cosig_verify(&parsed, &w[i], NULL);
        if (e == TC_OK)
            (*count)++;
        else if (e == TC_ERR_BAD_SIGNATURE)
            forged = true;
        else if (e != TC_ERR_NOT_FOUND)
            return e;
    }
    if (forged)
        return TC_ERR_BAD_SIGNATURE;
    return *count >= quorum ? TC_OK : TC_ERR_REFUSED;
}
