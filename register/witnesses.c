/*
 * witnesses.c - the witnesses a publisher asks and a reader requires (register.h): their file,
 *
 *     # the province's witnesses
 *     witness witness.rst.example.gov.cn/w1 witness.rst.example.gov.cn/w1+5c1f0a3e+BNR3...
 *         https://witness.rst.example.gov.cn/
 *
 * (one line each), and the count of a checkpoint's co-signatures against them. The publisher
 * (titlecert-issuer publish, titlecert-signer) and the readers (titlecert-verifier,
 * titlecert-register) share this code, so that a quorum means the same to both.
 *
 * A set never holds one witness twice, by name or by key: a quorum of K must be K witnesses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

#define WORD_MAX (TC_COSIGNER_URL_MAX + 1) /* bytes of one word of a line, with its NUL */

static bool url_ok(const char *u)
{
    size_t n = strlen(u);
    if (n > TC_COSIGNER_URL_MAX ||
        !((n > 7 && strncmp(u, "http://", 7) == 0) || (n > 8 && strncmp(u, "https://", 8) == 0)))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            return false;
    return true;
}

enum tc_err tc_cosigner_set_add(struct tc_cosigner_set *set, const char *vkey, const char *url)
{
    struct tc_cosigner c;
    enum tc_err e = tc_cosigner_parse(&c, vkey);
    if (e != TC_OK)
        return e;
    if (url && !url_ok(url))
        return TC_ERR_LINK;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->w[i].name, c.name) == 0 ||
            (set->w[i].type == c.type && memcmp(set->w[i].pk, c.pk, c.type->pk_len) == 0))
            return TC_ERR_DUP_KEY;
    if (set->n == TC_COSIGNERS_MAX)
        return TC_ERR_SIZE_LIMIT;
    set->w[set->n] = c;
    snprintf(set->url[set->n], sizeof set->url[set->n], "%s", url ? url : "");
    set->n++;
    return TC_OK;
}

/* One line, without its newline. */
static enum tc_err set_line(void *ctx, const char *s, size_t len)
{
    struct tc_cosigner_set *set = ctx;
    char w[4][WORD_MAX];
    size_t n;
    enum tc_err e = tc_text_directive(s, len, "witness", 3, 4, &w[0][0], WORD_MAX, &n);
    if (e != TC_OK || n == 0)
        return e;
    size_t before = set->n;
    e = tc_cosigner_set_add(set, w[2], n == 4 ? w[3] : NULL);
    if (e == TC_OK && strcmp(set->w[before].name, w[1]) != 0) {
        set->n = before; /* the name on the line is not the key's: which one was meant? */
        e = TC_ERR_INCONSISTENT;
    }
    return e;
}

enum tc_err tc_cosigner_set_parse(const char *text, size_t len, struct tc_cosigner_set *set,
                                  size_t *line)
{
    *line = 0;
    if (len > TC_COSIGNERS_FILE_MAX)
        return TC_ERR_SIZE_LIMIT;
    enum tc_err e = tc_text_lines(text, len, set_line, set, line);
    if (e == TC_OK && set->n == 0)
        e = TC_ERR_MISSING_KEY, *line = 0;
    return e;
}

enum tc_err tc_cosigner_set_load(const char *path, struct tc_cosigner_set *set, size_t *line)
{
    uint8_t *buf = NULL;
    size_t len;
    *line = 0;
    enum tc_err e = tc_file_read(path, TC_COSIGNERS_FILE_MAX, &buf, &len);
    if (e == TC_OK)
        e = tc_cosigner_set_parse((const char *)buf, len, set, line);
    free(buf);
    return e;
}

const char *tc_cosigner_set_strerror(enum tc_err e)
{
    switch (e) {
    case TC_ERR_CODE:
        return "not a witness's verifier key (name+hex8+base64, as titlecert-witness vkey prints "
               "it)";
    case TC_ERR_ALG:
        return "a verifier key of a type witnesses do not co-sign with (a log's key?)";
    case TC_ERR_LINK:
        return "the URL is not http:// or https:// without spaces";
    case TC_ERR_DUP_KEY:
        return "a witness given twice (by its name or its key)";
    case TC_ERR_SIZE_LIMIT:
        return "too many witnesses (at most 15), or a file over 64 KiB";
    case TC_ERR_TEXT:
        return "not UTF-8 text without control characters";
    case TC_ERR_TYPE:
        return "not a line 'witness NAME VERIFIER-KEY [URL]'";
    case TC_ERR_INCONSISTENT:
        return "the name is not the verifier key's name";
    case TC_ERR_MISSING_KEY:
        return "no witness in the file";
    default:
        return tc_strerror(e);
    }
}

const char *tc_cosigner_set_quorum(struct tc_cosigner_set *set, long quorum)
{
    if (set->n == 0 && quorum)
        return "--witness-quorum needs the witnesses (--witness or --witnesses)";
    if (set->n && !quorum)
        return "--witness-quorum K is required with witnesses: how many of them must co-sign";
    if (quorum < 0 || (size_t)quorum > set->n)
        return "--witness-quorum is more than the witnesses given";
    set->quorum = (size_t)quorum;
    return NULL;
}

enum tc_err tc_cosigner_set_check(const struct tc_cosigner_set *set, const char *note, size_t len,
                                  const uint64_t *min_time, struct tc_cosig_tally *t)
{
    struct tc_note parsed;
    bool forged = false;
    memset(t, 0, sizeof *t);
    enum tc_err e = tc_note_parse(note, len, &parsed);
    if (e != TC_OK)
        return e;
    for (size_t i = 0; i < set->n; i++) {
        /* the set holds each witness once (tc_cosigner_set_add), so each is counted once */
        e = tc_cosig_verify(&parsed, &set->w[i], &t->time[i]);
        if (e == TC_OK && min_time && t->time[i] < min_time[i])
            e = TC_ERR_ROLLBACK;
        t->result[i] = e;
        if (e == TC_OK)
            t->count++;
        else if (e == TC_ERR_BAD_SIGNATURE)
            forged = true;
        else if (e != TC_ERR_NOT_FOUND && e != TC_ERR_ROLLBACK)
            return e;
    }
    if (forged)
        return TC_ERR_BAD_SIGNATURE;
    return t->count >= set->quorum ? TC_OK : TC_ERR_REFUSED;
}

static const char *result_words(enum tc_err e)
{
    switch (e) {
    case TC_OK:
        return "co-signed";
    case TC_ERR_NOT_FOUND:
        return "no co-signature";
    case TC_ERR_BAD_SIGNATURE:
        return "a co-signature that does not verify (forged or altered)";
    case TC_ERR_ROLLBACK:
        return "a co-signature older than one accepted before";
    default:
        return tc_strerror(e);
    }
}

size_t tc_cosig_tally_explain(const struct tc_cosigner_set *set, const struct tc_cosig_tally *t,
                              char *out, size_t size)
{
    size_t used = 0;
    int n = snprintf(out, size, "%zu of %zu witnesses co-signed (quorum %zu)", t->count, set->n,
                     set->quorum);
    for (size_t i = 0; n >= 0 && i < set->n; i++) {
        used += (size_t)n;
        n = snprintf(used < size ? out + used : NULL, used < size ? size - used : 0, "%s %s %s",
                     i ? ";" : ":", set->w[i].name, result_words(t->result[i]));
    }
    return n >= 0 ? used + (size_t)n : used;
}
