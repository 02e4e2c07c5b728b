/*
 * server.h - the verifier's HTTP service (libmicrohttpd); part of the verifier module, kept in its
 * own header because only titlecert-verifier serve and its tests start a server.
 *
 * Paths (ARCHITECTURE.md): POST /api/v1/verify, POST /api/v1/verify-image, GET /api/v1/units/{uscc},
 * GET /api/v1/units?q=..., GET /healthz, GET /metrics, GET / and /v (the page).
 */
#ifndef TC_SERVER_H
#define TC_SERVER_H

#include <netinet/in.h>
#include <stdio.h>

#include "verifier.h"

struct tc_server_config {
    struct sockaddr_in addr;  /* 127.0.0.1 by default */
    const char *bundle_path;
    uint8_t root_pk[TC_PK_BYTES];
    const char *web_dir;      /* index.html, app.js, style.css */
    uint64_t max_age;         /* seconds a bundle stays fresh (0: the bundle profile's, e.g. 7 days) */
    bool stale_ok;            /* past it, answer with a status_stale note instead of 503 */
    const char *state_dir;    /* where the accepted versions are kept (tc_state_*) */
    uint64_t min_trust_list;  /* refuse bundles embedding an older trust list */
    int threads;              /* worker threads (default 2) */
    int per_ip_limit;         /* connections per client address (default 256) */
    int timeout;              /* idle connection timeout, seconds (default 15) */
    FILE *access_log;         /* default stderr */
};

struct tc_server;
/* Loads and verifies the bundle, checks it against the state (no rollback), reads the page,
 * listens. *why names what failed. */
enum tc_err tc_server_start(struct tc_server **s, const struct tc_server_config *cfg,
                            const char **why);
/* Reloads the bundle now (SIGHUP); refused (old kept) unless it verifies and is newer. */
enum tc_err tc_server_reload(struct tc_server *s);
/* Reloads when the bundle file changed since it was last read. */
void tc_server_poll_file(struct tc_server *s);
uint64_t tc_server_bundle_version(struct tc_server *s);
/* Writes buffered access-log lines (the serve loop calls it every second). */
void tc_server_flush_log(struct tc_server *s);
void tc_server_stop(struct tc_server *s);

#endif
