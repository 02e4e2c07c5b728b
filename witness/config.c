/*
 * config.c - the logs a witness follows, from a small text file:
 *
 *     # the province's register, and its next key
 *     log zc.rst.gansu.gov.cn/register zc.rst.gansu.gov.cn/register+1a2b3c4d+AX...
 *
 * One line per log key, so a log's key rotation is one more line. The parser is strict and says
 * which line is wrong: a witness that silently skipped a line would stop witnessing a log.
 */
#include <stdlib.h>
#include <string.h>

#include "witness.h"

#define TOKEN_MAX 256 /* bytes of one word of a line: a verifier key is at most 183 */

/* Adds a key to the log of that origin, or a new log. */
static enum tc_err add_key(struct tc_witness_config *cfg, const char *origin, const char *vkey)
{
    char name[TC_REG_ORIGIN_MAX + 1];
    uint8_t pk[32];
    if (!tc_note_name_ok(origin, strlen(origin)))
        return TC_ERR_TYPE;
    if (tc_note_vkey_parse(vkey, name, sizeof name, pk) != TC_OK)
        return TC_ERR_CODE;
    size_t i;
    struct tc_witness_log *l =
        (struct tc_witness_log *)tc_witness_config_find(cfg, origin, strlen(origin), &i);
    if (!l) {
        if (cfg->n == TC_WITNESS_LOGS_MAX)
            return TC_ERR_SIZE_LIMIT;
        struct tc_witness_log *g = realloc(cfg->log, (cfg->n + 1) * sizeof *g);
        if (!g)
            return TC_ERR_NOMEM;
        cfg->log = g;
        l = &cfg->log[cfg->n++];
        memset(l, 0, sizeof *l);
        memcpy(l->origin, origin, strlen(origin) + 1);
    }
    for (size_t k = 0; k < l->n_keys; k++)
        if (strcmp(l->key[k].name, name) == 0 && memcmp(l->key[k].pk, pk, 32) == 0)
            return TC_ERR_DUP_KEY;
    if (l->n_keys == TC_WITNESS_LOG_KEYS)
        return TC_ERR_SIZE_LIMIT;
    memcpy(l->key[l->n_keys].name, name, sizeof name);
    memcpy(l->key[l->n_keys].pk, pk, 32);
    l->key[l->n_keys].key_id = tc_note_key_id(name, pk);
    l->n_keys++;
    return TC_OK;
}

/* One line (without its newline) */
static enum tc_err config_line(void *ctx, const char *s, size_t len)
{
    struct tc_witness_config *cfg = ctx;
    size_t n;                /* words on the line: 0 for a blank line or a comment */
    char w[3][TOKEN_MAX];    /* "log", the key's name, its base64 */
    enum tc_err e = tc_text_directive(s, len, "log", 3, 3, &w[0][0], TOKEN_MAX, &n);
    return e != TC_OK || n == 0 ? e : add_key(cfg, w[1], w[2]);
}

enum tc_err tc_witness_config_parse(const char *text, size_t len, struct tc_witness_config *cfg,
                                    size_t *line)
{
    memset(cfg, 0, sizeof *cfg);
    *line = 0;
    if (len > TC_WITNESS_CONFIG_MAX)
        return TC_ERR_SIZE_LIMIT;
    enum tc_err e = tc_text_lines(text, len, config_line, cfg, line);
    if (e == TC_OK && cfg->n == 0)
        e = TC_ERR_MISSING_KEY, *line = 0;
    if (e != TC_OK)
        tc_witness_config_free(cfg);
    return e;
}

enum tc_err tc_witness_config_load(const char *path, struct tc_witness_config *cfg, size_t *line)
{
    uint8_t *buf = NULL;
    size_t len;
    *line = 0;
    memset(cfg, 0, sizeof *cfg);
    enum tc_err e = tc_file_read(path, TC_WITNESS_CONFIG_MAX, &buf, &len);
    if (e == TC_OK)
        e = tc_witness_config_parse((const char *)buf, len, cfg, line);
    free(buf);
    return e;
}

void tc_witness_config_free(struct tc_witness_config *cfg)
{
    free(cfg->log);
    cfg->log = NULL, cfg->n = 0;
}

const struct tc_witness_log *tc_witness_config_find(const struct tc_witness_config *cfg,
                                                    const char *origin, size_t n, size_t *index)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strlen(cfg->log[i].origin) == n && memcmp(cfg->log[i].origin, origin, n) == 0) {
            *index = i;
            return &cfg->log[i];
        }
    return NULL;
}
