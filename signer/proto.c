/*
 * proto.c - the signer's request format (signer.h) and its client. A request is read with
 * jansson, duplicate members refused, then checked member by member against what its op takes:
 * nothing more is accepted, so what reaches the signer's logic is exactly one of six shapes.
 * Secrets are copied into sodium_malloc'd memory at once and the parser's copies wiped.
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "signer.h"

static const struct {
    const char *name;
    enum tc_signer_op op;
    const char *members; /* what it takes besides "op": a = account+password, b = batch,
                            k = passphrase (and a PIN for a token), m = minutes */
} ops[] = {
    {"status", TC_SIGNER_STATUS, ""},
    {"unlock", TC_SIGNER_UNLOCK, "akm"},
    {"lock", TC_SIGNER_LOCK, ""},
    {"sign-batch", TC_SIGNER_SIGN_BATCH, "ab"},
    {"sign-revocation", TC_SIGNER_SIGN_REVOCATION, "ab"},
    {"publish", TC_SIGNER_PUBLISH, "a"},
};

const char *tc_signer_op_name(enum tc_signer_op op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return ops[i].name;
    return "?";
}

/* A secret member into sodium_malloc'd memory, the parser's copy wiped. */
static bool secret(json_t *v, char **out, size_t *len)
{
    const char *t = json_string_value(v);
    size_t n = t ? json_string_length(v) : 0;
    if (!t || n == 0 || n > TC_SIGNER_SECRET_MAX || memchr(t, '\0', n))
        return false;
    if (!(*out = sodium_malloc(n + 1)))
        return false;
    memcpy(*out, t, n + 1);
    *len = n;
    sodium_memzero((char *)t, n);
    return true;
}

/* Whether member `key` is one op `o` takes. */
static bool takes(const char *members, const char *key)
{
    if (strcmp(key, "op") == 0)
        return true;
    if (strcmp(key, "account") == 0 || strcmp(key, "password") == 0)
        return strchr(members, 'a') != NULL;
    if (strcmp(key, "batch") == 0)
        return strchr(members, 'b') != NULL;
    if (strcmp(key, "passphrase") == 0 || strcmp(key, "pin") == 0 ||
        strcmp(key, "key_passphrase") == 0)
        return strchr(members, 'k') != NULL;
    if (strcmp(key, "minutes") == 0)
        return strchr(members, 'm') != NULL;
    return false;
}

#define REFUSE(c, m)                                                                               \
    do {                                                                                           \
        *code = (c), *msg = (m);                                                                   \
        e = TC_ERR_TYPE;                                                                           \
        goto out;                                                                                  \
    } while (0)

/* The members of an op that takes an account: the account and its password. */
static enum tc_err account(json_t *o, struct tc_signer_request *r, const char **code,
                           const char **msg)
{
    enum tc_err e = TC_OK;
    json_t *av = json_object_get(o, "account");
    const char *a = json_string_value(av);
    if (!a || !*a || strlen(a) >= sizeof r->account || strlen(a) != json_string_length(av) || !tc_text_safe((const uint8_t *)a, strlen(a)))
        REFUSE("bad_account", "须给出账号 / an account is required");
    memcpy(r->account, a, strlen(a) + 1);
    if (!secret(json_object_get(o, "password"), &r->password, &r->password_len))
        REFUSE("bad_password", "须给出口令 / a password is required");
out:
    return e;
}

static enum tc_err members(json_t *o, const char *m, struct tc_signer_request *r, const char **code,
                           const char **msg)
{
    enum tc_err e = TC_OK;
    if (strchr(m, 'a') && (e = account(o, r, code, msg)) != TC_OK)
        return e;
    json_t *b = json_object_get(o, "batch");
    if (strchr(m, 'b') && (!json_is_integer(b) || json_integer_value(b) < 1))
        REFUSE("bad_batch", "批次须为正整数 / the batch is a positive number");
    r->batch = b ? json_integer_value(b) : 0;
    if (strchr(m, 'k')) {
        json_t *k = json_object_get(o, "passphrase"), *p = json_object_get(o, "pin");
        if (!secret(k, &r->passphrase, &r->passphrase_len))
            REFUSE("bad_passphrase", "须给出业务库口令 / the store's passphrase is required");
        if (p && !secret(p, &r->pin, &r->pin_len))
            REFUSE("bad_pin", "PIN 须为非空文本 / a PIN is non-empty text");
        json_t *kp = json_object_get(o, "key_passphrase");
        if (kp && !secret(kp, &r->key_passphrase, &r->key_passphrase_len))
            REFUSE("bad_passphrase", "密钥文件口令须为非空文本 / the key files' passphrase is "
                                     "non-empty text");
        json_t *mi = json_object_get(o, "minutes");
        if (!json_is_integer(mi) || json_integer_value(mi) < 1 ||
            json_integer_value(mi) > TC_SIGNER_WINDOW_MAX)
            REFUSE("bad_minutes", "解锁时长为 1 至 480 分钟 / a window of 1 to 480 minutes");
        r->minutes = (int)json_integer_value(mi);
    }
out:
    return e;
}

enum tc_err tc_signer_request_parse(const char *line, size_t len, struct tc_signer_request *r,
                                    const char **code, const char **msg)
{
    memset(r, 0, sizeof *r);
    enum tc_err e = TC_OK;
    json_error_t err;
    json_t *o = NULL;
    *code = NULL, *msg = NULL;
    if (len > TC_SIGNER_REQUEST_MAX)
        REFUSE("too_large", "请求过大 / the request is too large");
    if (!(o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err)) || !json_is_object(o))
        REFUSE("bad_request", "不是 JSON 对象 / not a JSON object");
    const char *name = json_string_value(json_object_get(o, "op"));
    size_t i = 0;
    while (name && i < sizeof ops / sizeof ops[0] && strcmp(name, ops[i].name) != 0)
        i++;
    if (!name || i == sizeof ops / sizeof ops[0])
        REFUSE("unknown_op", "不受理的操作 / an operation the signer does not do");
    r->op = ops[i].op;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (!takes(ops[i].members, key))
            REFUSE("bad_request", "请求含有多余的项 / the request has a member it may not have");
    }
    e = members(o, ops[i].members, r, code, msg);
out:
    if (o)
        json_decref(o);
    if (e != TC_OK)
        tc_signer_request_free(r);
    return e;
}

void tc_signer_request_free(struct tc_signer_request *r)
{
    sodium_free(r->password);
    sodium_free(r->passphrase);
    sodium_free(r->pin);
    sodium_free(r->key_passphrase);
    r->password = r->passphrase = r->pin = r->key_passphrase = NULL;
}

/* ---- the client ------------------------------------------------------------------------------ */

static enum tc_err wait_for(int fd, short events, int timeout_ms)
{
    struct pollfd p = {fd, events, 0};
    int rc = poll(&p, 1, timeout_ms);
    return rc > 0 ? TC_OK : rc == 0 ? TC_ERR_TIMEOUT : TC_ERR_IO;
}

static enum tc_err send_all(int fd, const char *p, size_t len, int timeout_ms)
{
    for (size_t off = 0; off < len;) {
        enum tc_err e = wait_for(fd, POLLOUT, timeout_ms);
        if (e != TC_OK)
            return e;
        ssize_t w = send(fd, p + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return TC_ERR_IO;
        off += (size_t)w;
    }
    return TC_OK;
}

static enum tc_err receive(int fd, int timeout_ms, char **reply)
{
    size_t len = 0;
    char *buf = malloc(TC_SIGNER_REPLY_MAX + 1);
    enum tc_err e = buf ? TC_OK : TC_ERR_NOMEM;
    while (e == TC_OK && (e = wait_for(fd, POLLIN, timeout_ms)) == TC_OK) {
        ssize_t r = recv(fd, buf + len, TC_SIGNER_REPLY_MAX - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = TC_ERR_IO;
        else if (r == 0)
            break;
        else if ((len += (size_t)r) == TC_SIGNER_REPLY_MAX)
            e = TC_ERR_SIZE_LIMIT;
    }
    if (e != TC_OK) {
        free(buf);
        return e;
    }
    buf[len] = '\0';
    *reply = buf;
    return TC_OK;
}

enum tc_err tc_signer_call(const char *socket_path, const char *request, int timeout_ms,
                           char **reply)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    *reply = NULL;
    if (strlen(socket_path) >= sizeof sa.sun_path)
        return TC_ERR_ARG;
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return TC_ERR_IO;
    enum tc_err e = TC_ERR_IO;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        /* a signer that refuses the peer answers without reading: its answer is still read */
        enum tc_err sent = send_all(fd, request, strlen(request), timeout_ms);
        if (sent == TC_OK)
            sent = send_all(fd, "\n", 1, timeout_ms);
        shutdown(fd, SHUT_WR);
        e = receive(fd, timeout_ms, reply);
        if (e == TC_OK && !**reply) { /* nothing came back */
            free(*reply);
            *reply = NULL;
            e = sent != TC_OK ? sent : TC_ERR_IO;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return e;
}

/* ---- jansson's memory, wiped when freed ------------------------------------------------------ */

/* Blocks come from malloc, so that what jansson returns (json_dumps) may still be released with
 * free(); freeing through jansson wipes the whole block first: a password or passphrase that
 * passed through a JSON value does not stay in freed memory. */
static void wiping_free(void *v)
{
    if (!v)
        return;
    sodium_memzero(v, malloc_usable_size(v));
    free(v);
}

void tc_signer_json_hygiene(void)
{
    json_set_alloc_funcs(malloc, wiping_free);
}
