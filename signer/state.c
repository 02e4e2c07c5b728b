/*
 * state.c - what the signer remembers of the store, in a file of its own (0600, its user's): a
 * store file can be edited by anyone who can write it, the signer's record only by the signer.
 *   base N         the register's size when the signer first saw the store (trusted on first use)
 *   audit S MAC    the audit chain's head after the signer's last operation: the chain must still
 *                  hold it (events cut from its tail are seen)
 *   own A B        register entries [A, B) the signer appended itself
 *   seen I T       the 公示 at register entry I, first seen by the signer at time T: its period
 *                  runs from then, whatever day its entry names
 *   scanned N      how far the register was scanned for 公示 entries
 *   published N    the register's size at the signer's last publication
 *   checkpoint N V R  the checkpoint of that publication (size N, root R in hex) and its bundle
 *                  version V: the next publication must start from it (A3); absent in a record
 *                  from before it was kept, then taken from the store once
 *   pending N      a signing began at register size N and its end is not yet recorded: after a
 *                  stop between its commit and this file, its genuine audit event says what it
 *                  appended (only that signing's, found by N)
 * Written whole (temporary file, fsync, rename) after every change; read strictly (no line it
 * does not write, numbers without sign or leading zero, each list in register order).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

#define STATE_MAX (4u << 20)
#define HEADER "titlecert-signer state 1\n"

void sv_state_free(struct sv_state *st)
{
    free(st->own);
    free(st->seen);
    memset(st, 0, sizeof *st);
}

bool sv_state_own(struct sv_state *st, uint64_t from, uint64_t to)
{
    if (from >= to)
        return true;
    if (st->n_own && st->own[st->n_own - 1].to == from) { /* contiguous: one range */
        st->own[st->n_own - 1].to = to;
        return true;
    }
    if (tc_reserve((void **)&st->own, &st->cap_own, st->n_own + 1, sizeof *st->own) != TC_OK)
        return false;
    st->own[st->n_own++] = (struct tc_range){from, to};
    return true;
}

/* seen is kept in register order (the scan goes forward), each entry once: a search, not a
 * walk, by its leading idx */
_Static_assert(offsetof(struct sv_seen, idx) == 0, "idx first");

static const struct sv_seen *find_seen(const struct sv_state *st, uint64_t idx)
{
    return tc_find_id(st->seen, st->n_seen, sizeof *st->seen, idx);
}

bool sv_state_seen(struct sv_state *st, uint64_t idx, uint64_t at)
{
    if (find_seen(st, idx))
        return true; /* the first sighting counts */
    if (st->n_seen && st->seen[st->n_seen - 1].idx > idx)
        return false; /* out of register order: not a record this file keeps */
    if (tc_reserve((void **)&st->seen, &st->cap_seen, st->n_seen + 1, sizeof *st->seen) != TC_OK)
        return false;
    st->seen[st->n_seen++] = (struct sv_seen){idx, at};
    return true;
}

bool sv_state_seen_at(const struct sv_state *st, uint64_t idx, uint64_t *at)
{
    const struct sv_seen *x = find_seen(st, idx);
    if (x)
        *at = x->at;
    return x != NULL;
}

/* A decimal number (no sign, no leading zero, no overflow) followed by a space, or by the end
 * when last. */
static bool num(const char **p, uint64_t *v, bool last)
{
    const char *c = *p;
    uint64_t x = 0;
    if (*c < '0' || *c > '9' || (c[0] == '0' && c[1] >= '0' && c[1] <= '9'))
        return false;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
            return false;
        x = 10 * x + (uint64_t)(*c - '0');
    }
    if (last ? *c != '\0' : *c != ' ')
        return false;
    *v = x, *p = last ? c : c + 1;
    return true;
}

/* One line, strictly as sv_state_save writes it: a keyword, one space, its numbers. */
static bool line(struct sv_state *st, const char *l)
{
    static const char *const words[] = {"base", "scanned", "published", "pending", "own",
                                        "seen", "checkpoint", "audit"};
    size_t w = 0, k;
    for (; w < sizeof words / sizeof *words; w++)
        if (strncmp(l, words[w], k = strlen(words[w])) == 0 && l[k] == ' ')
            break;
    if (w == sizeof words / sizeof *words)
        return false;
    const char *p = l + strlen(words[w]) + 1;
    uint64_t a = 0, b = 0;
    size_t got = 0;
    switch (w) {
    case 0: return num(&p, &st->base, true) && (st->has_base = true);
    case 1: return num(&p, &st->scanned, true);
    case 2: return num(&p, &st->published, true);
    case 3: return num(&p, &st->pending, true) && (st->has_pending = true);
    case 4: /* in register order, not overlapping */
        return num(&p, &a, false) && num(&p, &b, true) && a < b &&
               (st->n_own == 0 || st->own[st->n_own - 1].to <= a) && sv_state_own(st, a, b);
    case 5: /* in register order, each once */
        return num(&p, &a, false) && num(&p, &b, true) &&
               (st->n_seen == 0 || st->seen[st->n_seen - 1].idx < a) && sv_state_seen(st, a, b);
    case 6: /* once */
        return !st->has_checkpoint && num(&p, &st->checkpoint.size, false) &&
               num(&p, &st->checkpoint.version, false) && strlen(p) == 64 &&
               sodium_hex2bin(st->checkpoint.root, 32, p, 64, NULL, &got, NULL) == 0 &&
               got == 32 && (st->has_checkpoint = true);
    default:
        return num(&p, &a, false) && a <= INT64_MAX && strlen(p) == 64 &&
               sodium_hex2bin(st->audit_mac, 32, p, 64, NULL, &got, NULL) == 0 && got == 32 &&
               (st->audit_seq = (int64_t)a, true);
    }
}

enum tc_err sv_state_parse(const char *text, size_t len, struct sv_state *st)
{
    memset(st, 0, sizeof *st);
    if (len > STATE_MAX)
        return TC_ERR_SIZE_LIMIT;
    /* written whole by sv_state_text: the header, then lines each ending in a newline, the base
     * and the audit head together or neither, and no NUL */
    if (len <= strlen(HEADER) || strncmp(text, HEADER, strlen(HEADER)) != 0 ||
        memchr(text, '\0', len) != NULL || text[len - 1] != '\n')
        return TC_ERR_INCONSISTENT;
    char *copy = malloc(len + 1);
    if (!copy)
        return TC_ERR_NOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    enum tc_err e = TC_OK;
    bool audit = false;
    for (char *l = copy + strlen(HEADER); e == TC_OK && *l;) {
        char *nl = strchr(l, '\n');
        *nl = '\0';
        audit |= strncmp(l, "audit ", 6) == 0;
        if (!line(st, l))
            e = TC_ERR_INCONSISTENT;
        l = nl + 1;
    }
    free(copy);
    if (e == TC_OK && st->has_base != audit)
        e = TC_ERR_INCONSISTENT;
    if (e != TC_OK)
        sv_state_free(st);
    return e;
}

enum tc_err sv_state_load(const char *path, struct sv_state *st, char *why, size_t why_size)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    memset(st, 0, sizeof *st);
    enum tc_err e = tc_file_read(path, STATE_MAX, &buf, &len);
    if (e == TC_ERR_NOT_FOUND || (e == TC_ERR_IO && errno == ENOENT))
        return TC_OK; /* none yet: the first unlock starts one */
    if (e != TC_OK) {
        snprintf(why, why_size, "%s: %s", path, tc_strerror(e));
        return e;
    }
    e = sv_state_parse((const char *)buf, len, st);
    if (e != TC_OK)
        snprintf(why, why_size, "%s: 不是签名服务的记录文件，或已损坏 / not a signer state file, "
                                "or damaged", path);
    free(buf);
    return e;
}

enum tc_err sv_state_text(const struct sv_state *st, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    if (!f)
        return TC_ERR_NOMEM;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, st->audit_mac, 32);
    fputs(HEADER, f);
    if (st->has_base) /* from the first unlock on */
        fprintf(f, "base %llu\naudit %lld %s\n", (unsigned long long)st->base,
                (long long)st->audit_seq, hex);
    fprintf(f, "scanned %llu\npublished %llu\n", (unsigned long long)st->scanned,
            (unsigned long long)st->published);
    if (st->has_pending)
        fprintf(f, "pending %llu\n", (unsigned long long)st->pending);
    if (st->has_checkpoint) {
        char root[65];
        sodium_bin2hex(root, sizeof root, st->checkpoint.root, 32);
        fprintf(f, "checkpoint %llu %llu %s\n", (unsigned long long)st->checkpoint.size,
                (unsigned long long)st->checkpoint.version, root);
    }
    for (size_t i = 0; i < st->n_own; i++)
        fprintf(f, "own %llu %llu\n", (unsigned long long)st->own[i].from,
                (unsigned long long)st->own[i].to);
    for (size_t i = 0; i < st->n_seen; i++)
        fprintf(f, "seen %llu %llu\n", (unsigned long long)st->seen[i].idx,
                (unsigned long long)st->seen[i].at);
    if (fclose(f) != 0) {
        free(*text);
        *text = NULL;
        return TC_ERR_NOMEM;
    }
    return TC_OK;
}

enum tc_err sv_state_save(const char *path, const struct sv_state *st)
{
    char *text = NULL;
    size_t len = 0;
    enum tc_err e = sv_state_text(st, &text, &len);
    if (e == TC_OK)
        e = tc_file_write(path, text, len, 0600, TC_FILE_REPLACE);
    free(text);
    return e;
}
