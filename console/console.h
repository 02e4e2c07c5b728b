/*
 * console.h - titlecert-console: the HR department's web application (ISSUANCE.md "The HR
 * console") over the issuer's workflow. It serves a static front end (console/web/) and a JSON
 * API under /api/ on the shared HTTP layer, keeps accounts' second factor (TOTP) and sessions in
 * the store, and asks titlecert-signer (over its socket) for everything that signs. It opens the
 * store with its hash key (the audit chain's MAC, holder look-ups) and links no code that can
 * sign with an issuing or publication key.
 *
 * Every state-changing request needs a session (cookie __Host-tc_console), its CSRF token in
 * X-TC-CSRF, and, when the browser sends them, Sec-Fetch-Site: same-origin and the configured
 * Origin; approving, signing, revoking, unlocking and role changes also need a TOTP code within
 * the re-authentication window. Every sign-in, state change, read of personal data and signer
 * request is an audit event naming the account, its roles, the object, the outcome and the
 * client's address.
 */
#ifndef TC_CONSOLE_H
#define TC_CONSOLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"

#define TC_CONSOLE_IDLE (15 * 60)         /* seconds a session may be idle */
#define TC_CONSOLE_MAX (8 * 3600)         /* seconds a session may live */
#define TC_CONSOLE_REAUTH (5 * 60)        /* seconds a TOTP re-authentication holds */
#define TC_CONSOLE_UPLOAD_MAX (64u << 20) /* bytes of a results CSV */
#define TC_CONSOLE_COOKIE "__Host-tc_console"

struct tc_console_config {
    struct sockaddr_in addr;    /* all zero: 127.0.0.1:8081 */
    const char *db, *hash_key;  /* the workflow store and its hash key */
    const char *web_dir;        /* index.html, console.js, console.css */
    const char *publish_dir;    /* where a 公示 is written */
    const char *signer_socket;  /* titlecert-signer's socket */
    const char *root, *trust;   /* the trust list (A1 is checked when results are prepared) */
    const char *issuer_pub;     /* the committee's issuing key, public half */
    const char *base_url; /* the public page the e-certificates' QR codes link to */
    const char *origin;         /* the Origin browsers send, e.g. https://hr.example.gov.cn */
    const char *trusted_proxy;  /* nginx's address, or NULL */
    const char *hsts;           /* Strict-Transport-Security value, or NULL (nginx sets it) */
    uint64_t idle, max, reauth; /* seconds; 0: the defaults above */
    FILE *access_log;           /* NULL: none */
};

/* Opens the store with its hash key (pass: the key's passphrase, wiped by the caller after),
 * reads the trust list and the page, listens, serves until SIGTERM or SIGINT. 0, or 2 when it
 * could not start (said on standard error with why). */
int tc_console_serve(const struct tc_console_config *cfg, const char *pass, size_t pass_len);

#endif
