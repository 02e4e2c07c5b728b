/*
 * state.c - what a witness holds for each log: the latest checkpoint it co-signed, one small
 * text file per log.
 *
 *     titlecert-witness state 1
 *     time 1767225600
 *
 *     <origin>
 *     <size>
 *     <root>
 *
 *     — <log key name> <the log's signature>
 *
 * The file is replaced whole (a temporary file, fsync, rename, directory fsync), so a crash at
 * any instant leaves the old state or the new, never a mixture; the service writes it before it
 * signs, so no co-signature ever exists for a tree the file does not hold or extend. Only the
 * log's verified signature lines are kept: the file is evidence of what the log signed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"
#include "witness.h"

bool tc_witness_decimal(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

void tc_witness_state_init(struct tc_witness_state *s)
{
    memset(s, 0, sizeof *s);
    crypto_hash_sha256(s->root, (const uint8_t *)"", 0);
}

size_t tc_witness_state_format(const struct tc_witness_state *s, char *out, size_t size)
{
    if (s->note_len == 0 || s->note_len > TC_REG_NOTE_MAX)
        return 0; /* nothing co-signed: no file */
    int n = snprintf(out, size, TC_WITNESS_STATE_MAGIC "\ntime %llu\n\n%.*s",
                     (unsigned long long)s->time, (int)s->note_len, s->note);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* The checkpoint a note's text holds, if the text is exactly its canonical form: origin, size
 * and root lines and nothing else. */
static enum tc_err canonical_checkpoint(const struct tc_note *n, struct tc_checkpoint *c)
{
    char again[TC_REG_NOTE_MAX];
    enum tc_err e = tc_checkpoint_parse(n->text, n->text_len, c);
    if (e != TC_OK)
        return e;
    size_t len = tc_checkpoint_format(c, again, sizeof again);
    return len == n->text_len && memcmp(again, n->text, len) == 0 ? TC_OK : TC_ERR_NONCANONICAL;
}

enum tc_err tc_witness_state_parse(const char *text, size_t len, const char *origin,
                                   struct tc_witness_state *s)
{
    tc_witness_state_init(s);
    const char *p = text, *end = text + len, *l;
    size_t n;
    uint64_t t;
    static const char magic[] = TC_WITNESS_STATE_MAGIC;
    if (len > TC_WITNESS_STATE_MAX)
        return TC_ERR_SIZE_LIMIT;
    if (!tc_line_next(&p, end, &l, &n) || n != sizeof magic - 1 || memcmp(l, magic, n) != 0 ||
        !tc_line_next(&p, end, &l, &n) || n < 5 || memcmp(l, "time ", 5) != 0 ||
        !tc_witness_decimal(l + 5, n - 5, TC_COSIG_TIME_MAX, &t) ||
        !tc_line_next(&p, end, &l, &n) || n != 0)
        return TC_ERR_TYPE;
    struct tc_note note;
    struct tc_checkpoint c;
    enum tc_err e = tc_note_parse(p, (size_t)(end - p), &note);
    if (e == TC_OK)
        e = note.n_sigs ? canonical_checkpoint(&note, &c) : TC_ERR_TYPE;
    if (e != TC_OK)
        return e;
    if (strcmp(c.origin, origin) != 0)
        return TC_ERR_INCONSISTENT;
    s->size = c.size;
    memcpy(s->root, c.root, TC_REG_HASH);
    s->time = t;
    s->note_len = (size_t)(end - p);
    memcpy(s->note, p, s->note_len);
    s->note[s->note_len] = '\0';
    return TC_OK;
}

void tc_witness_state_path(char *out, size_t size, const char *dir, const char *origin)
{
    uint8_t h[32];
    char hex[65];
    crypto_hash_sha256(h, (const uint8_t *)origin, strlen(origin));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, size, "%s/log-%s.state", dir, hex);
}

enum tc_err tc_witness_state_load(const char *dir, const char *origin, struct tc_witness_state *s)
{
    char path[TC_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len;
    tc_witness_state_init(s);
    tc_witness_state_path(path, sizeof path, dir, origin);
    enum tc_err e = tc_file_read(path, TC_WITNESS_STATE_MAX, &buf, &len);
    if (e == TC_ERR_NOT_FOUND)
        return TC_OK; /* never co-signed */
    if (e == TC_OK)
        e = tc_witness_state_parse((const char *)buf, len, origin, s);
    free(buf);
    return e;
}

enum tc_err tc_witness_state_save(const char *dir, const char *origin,
                                  const struct tc_witness_state *s)
{
    char path[TC_PATH_MAX];
    char *buf = malloc(TC_WITNESS_STATE_MAX);
    if (!buf)
        return TC_ERR_NOMEM;
    size_t len = tc_witness_state_format(s, buf, TC_WITNESS_STATE_MAX);
    tc_witness_state_path(path, sizeof path, dir, origin);
    enum tc_err e = len ? tc_file_write(path, buf, len, 0600, TC_FILE_REPLACE) : TC_ERR_ARG;
    free(buf);
    return e;
}

enum tc_err tc_witness_state_lock(const char *dir, int *fd)
{
    char path[TC_PATH_MAX];
    snprintf(path, sizeof path, "%s/witness.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0)
        return TC_ERR_IO;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(*fd);
        *fd = -1;
        errno = err;
        return err == EWOULDBLOCK ? TC_ERR_BUSY : TC_ERR_IO;
    }
    return TC_OK;
}
