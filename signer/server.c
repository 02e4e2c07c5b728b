/*
 * server.c - titlecert-signer's service (signer.h): the socket, the peer check, the window, the
 * log, and status and lock. It is one thread answering one connection at a time: signing a batch
 * is one SQLite transaction anyway, and nothing here has to be fair between callers, only correct.
 *
 * Locked, it holds no secret and has the store closed. `unlock` (unlock.c) opens, with what the
 * custodian gives, the store (its hash key), the issuing key and the publication key, and keeps
 * them until the window ends, no signing happened for the idle time, or `lock`; then everything
 * is closed and wiped (the keys live in sodium_malloc'd memory inside their handles).
 */
#include "service.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_TIMEOUT_MS 1000 /* a caller has this long, in all, to send its request */
#define DRAIN_MS 200         /* a refused peer's bytes are read and dropped this long, in all */

/* ---- the log: every request, never a secret ----------------------------------------------------
 */

void sv_log(const struct tc_signer_config *cfg, const char *fmt, ...)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    FILE *f = cfg->log ? cfg->log : stderr;
    fprintf(f, "%s titlecert-signer: ", when);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

json_t *sv_refused(const char *code, const char *msg)
{
    return json_pack("{s:b,s:s,s:s}", "ok", 0, "error", code, "message", msg);
}

void sv_record(struct ctx *x, const char *object, const char *outcome)
{
    const char *op = tc_signer_op_name(x->r->op);
    sv_log(x->cfg, "%s %s account=%s%s%s: %s", x->client, op,
           x->r->account[0] ? x->r->account : "-", object ? " " : "", object ? object : "",
           outcome);
    if (!x->h->s)
        return;
    char action[48];
    snprintf(action, sizeof action, "signer_%s", op);
    for (char *p = action; *p; p++)
        if (*p == '-')
            *p = '_';
    struct tc_audit_note n = {action, x->by.id ? &x->by : NULL, object, outcome, x->client};
    if (tc_audit_note(x->h->s, x->now, &n) != TC_OK)
        sv_log(x->cfg, "audit event not written: %s", tc_store_errmsg(x->h->s));
}

json_t *sv_custodian(struct ctx *x)
{
    const char *why = NULL;
    enum tc_err e = tc_account_auth(x->h->s, x->r->account, x->r->password, x->r->password_len,
                                    "signer", x->now, &x->by, &why);
    if (e != TC_OK) {
        memset(&x->by, 0, sizeof x->by);
        why = why ? why : tc_strerror(e);
        sv_record(x, NULL, why);
        return sv_refused("not_authenticated", why);
    }
    if (!(x->by.roles & TC_ROLE_CUSTODIAN)) {
        const char *m = "只有密钥保管员可以使用签名服务 / only a key custodian uses the signer";
        sv_record(x, NULL, m);
        return sv_refused("not_custodian", m);
    }
    return NULL;
}

void sv_drop(const struct tc_signer_config *cfg, struct held *h, const char *why)
{
    if (h->s && h->unlocked) {
        struct tc_account by;
        bool known = tc_account_find(h->s, h->custodian, &by) == TC_OK;
        struct tc_audit_note n = {"signer_lock", known ? &by : NULL, "signer", why, "signer"};
        tc_audit_note(h->s, (uint64_t)time(NULL), &n);
    }
    tc_signer_close(h->issuer);
    tc_signer_close(h->publication);
    tc_store_close(h->s);
    tc_trust_list_free(h->tl);
    free(h->trust);
    if (h->unlocked)
        sv_log(cfg, "locked: %s", why);
    sodium_memzero(h, sizeof *h);
}

/* The window's end or the idle time passed: lock. */
static void expire(const struct tc_signer_config *cfg, struct held *h, uint64_t now)
{
    if (!h->unlocked)
        return;
    if (now >= h->until)
        sv_drop(cfg, h, "窗口结束 / the window ended");
    else if (now >= h->last_use + (uint64_t)cfg->idle)
        sv_drop(cfg, h, "空闲超时 / idle too long");
}

/* ---- status and lock ---------------------------------------------------------------------------
 */

static json_t *do_status(struct ctx *x)
{
    struct held *h = x->h;
    sv_log(x->cfg, "%s status: %s", x->client, h->unlocked ? "unlocked" : "locked");
    if (!h->unlocked)
        return json_pack("{s:b,s:s}", "ok", 1, "state", "locked");
    char until[32];
    time_t t = (time_t)h->until;
    struct tm tm;
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    uint64_t idle_end = h->last_use + (uint64_t)x->cfg->idle;
    uint64_t ends = idle_end < h->until ? idle_end : h->until;
    return json_pack("{s:b,s:s,s:s,s:s,s:I,s:s,s:b}", "ok", 1, "state", "unlocked", "custodian",
                     h->custodian, "until", until, "seconds_left",
                     (json_int_t)(ends > x->now ? ends - x->now : 0), "backend",
                     x->cfg->token ? "pkcs11" : "file", "demo", tc_store_demo(h->s));
}

/* Anyone the peer check let in may lock: locking is always safe. */
static json_t *do_lock(struct ctx *x)
{
    bool was = x->h->unlocked;
    char why[96];
    snprintf(why, sizeof why, "应请求 / on request (%s)", x->client);
    if (was)
        sv_drop(x->cfg, x->h, why);
    else
        sv_log(x->cfg, "%s lock: already locked", x->client);
    return json_pack("{s:b,s:s,s:b}", "ok", 1, "state", "locked", "was_unlocked", was);
}

static json_t *dispatch(struct ctx *x)
{
    switch (x->r->op) {
    case TC_SIGNER_STATUS:
        return do_status(x);
    case TC_SIGNER_LOCK:
        return do_lock(x);
    case TC_SIGNER_UNLOCK:
        return sv_unlock(x);
    case TC_SIGNER_SIGN_BATCH:
    case TC_SIGNER_SIGN_REVOCATION:
        return sv_sign(x);
    case TC_SIGNER_PUBLISH:
        return sv_publish(x);
    }
    return sv_refused("unknown_op", "不受理的操作 / an operation the signer does not do");
}

/* ---- one connection ----------------------------------------------------------------------------
 */

static void send_reply(int fd, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    size_t len = text ? strlen(text) : 0, off = 0;
    while (off < len) {
        ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (text)
        send(fd, "\n", 1, MSG_NOSIGNAL);
    free(text);
    json_decref(o);
}

/* Reads one line (the request) into buf within READ_TIMEOUT_MS; its length, or -1. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (len < cap) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        struct pollfd p = {fd, POLLIN, 0};
        if (spent >= READ_TIMEOUT_MS || poll(&p, 1, (int)(READ_TIMEOUT_MS - spent)) <= 0)
            return -1;
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        char *nl = memchr(buf + len, '\n', (size_t)r);
        len += (size_t)r;
        if (nl)
            return nl - buf;
    }
    return len < cap ? (ssize_t)len : -1;
}

/* What a refused peer sent, read and dropped briefly, so that closing does not reset the
 * connection before it read the answer. */
static void drain(int fd)
{
    char sink[4096];
    struct timespec t0, t;
    shutdown(fd, SHUT_WR);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t total = 0; total < TC_SIGNER_REQUEST_MAX;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        struct pollfd p = {fd, POLLIN, 0};
        if (spent >= DRAIN_MS || poll(&p, 1, (int)(DRAIN_MS - spent)) <= 0)
            break; /* a deadline in all, not per byte: a trickling peer holds nothing up */
        ssize_t r = recv(fd, sink, sizeof sink, 0);
        if (r <= 0)
            break;
        total += (size_t)r;
    }
}

static bool peer_allowed(const struct tc_signer_config *cfg, uid_t uid)
{
    if (uid == geteuid())
        return true;
    for (size_t i = 0; i < cfg->n_allow; i++)
        if (cfg->allow[i] == uid)
            return true;
    return false;
}

static void serve_one(const struct tc_signer_config *cfg, struct held *h, struct sv_state *st,
                      int fd)
{
    struct ucred peer;
    socklen_t pl = sizeof peer;
    struct ctx x = {cfg, h, st, NULL, "", {0}, (uint64_t)time(NULL)};
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &pl) != 0) {
        sv_log(cfg, "a caller whose credentials cannot be read: refused");
        return;
    }
    snprintf(x.client, sizeof x.client, "uid %u pid %d", (unsigned)peer.uid, (int)peer.pid);
    if (!peer_allowed(cfg, peer.uid)) {
        sv_log(cfg, "%s: refused: not the signer's user nor one --allow-uid names", x.client);
        send_reply(fd, sv_refused("peer_refused", "此用户无权连接签名服务 / this user may not "
                                                  "use the signer"));
        drain(fd);
        return;
    }
    char *buf = sodium_malloc(TC_SIGNER_REQUEST_MAX + 1);
    ssize_t n = buf ? read_request(fd, buf, TC_SIGNER_REQUEST_MAX + 1) : -1;
    struct tc_signer_request r;
    const char *code, *msg;
    json_t *answer;
    if (n < 0) {
        sv_log(cfg, "%s: no request within %d ms, or too large", x.client, READ_TIMEOUT_MS);
        answer = sv_refused("bad_request", "请求不完整或过大 / the request is incomplete or "
                                           "too large");
    } else if (tc_signer_request_parse(buf, (size_t)n, &r, &code, &msg) != TC_OK) {
        sv_log(cfg, "%s: refused: %s", x.client, code);
        answer = sv_refused(code, msg);
    } else {
        x.r = &r;
        x.now = (uint64_t)time(NULL); /* after the request was read: the window is judged now */
        expire(cfg, h, x.now);
        sv_scan(cfg, st, h->s, x.now); /* a 公示 just published is seen before anything else */
        answer = dispatch(&x);
        tc_signer_request_free(&r);
    }
    sodium_free(buf); /* wipes the request, passwords and all */
    send_reply(fd, answer);
}

/* ---- the socket --------------------------------------------------------------------------------
 */

/* A socket file left by a signer that is gone is removed; one a signer answers on is not. */
static int listen_on(const struct tc_signer_config *cfg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    if (strlen(cfg->socket_path) >= sizeof sa.sun_path) {
        sv_log(cfg, "%s: the socket path is too long", cfg->socket_path);
        return -1;
    }
    memcpy(sa.sun_path, cfg->socket_path, strlen(cfg->socket_path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && lstat(cfg->socket_path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode) || connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            sv_log(cfg, "%s: %s", cfg->socket_path,
                   S_ISSOCK(st.st_mode) ? "another signer answers there" : "exists, not a socket");
            close(fd);
            return -1;
        }
        unlink(cfg->socket_path);
    }
    mode_t old = umask(0177); /* never a moment with the socket open to others */
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              chmod(cfg->socket_path, cfg->socket_mode) == 0 && listen(fd, 16) == 0;
    umask(old);
    if (!ok) {
        sv_log(cfg, "%s: %s", cfg->socket_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int tc_signer_serve(const struct tc_signer_config *cfg, volatile sig_atomic_t *stop)
{
    int fd = listen_on(cfg);
    if (fd < 0)
        return 2;
    struct held h;
    struct sv_state st;
    char why[300] = "";
    memset(&h, 0, sizeof h);
    if (sv_state_load(cfg->state_path, &st, why, sizeof why) != TC_OK) {
        sv_log(cfg, "%s", why);
        close(fd);
        unlink(cfg->socket_path);
        return 2;
    }
    sv_log(cfg, "listening on %s (mode %04o), locked", cfg->socket_path, cfg->socket_mode);
    while (!*stop) {
        struct pollfd p = {fd, POLLIN, 0};
        int rc = poll(&p, 1, 1000);
        expire(cfg, &h, (uint64_t)time(NULL));
        sv_scan(cfg, &st, h.s, (uint64_t)time(NULL));
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve_one(cfg, &h, &st, c);
        close(c);
    }
    sv_drop(cfg, &h, "签名服务停止 / the signer stopped");
    sv_state_free(&st);
    close(fd);
    unlink(cfg->socket_path);
    sv_log(cfg, "stopped");
    return 0;
}
