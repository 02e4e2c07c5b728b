/*
 * query.c - what the console looks up: certificates by number, name or employer, and the audit
 * log filtered by account, action and day. Both read only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"

enum tc_err tc_cert_search(struct tc_store *s, const char *q, size_t max,
                           void (*fn)(void *ctx, const struct tc_cert_hit *h), void *ctx,
                           size_t *found)
{
    sqlite3_stmt *st;
    *found = 0;
    if (!q || !*q || strlen(q) > 64 || !tc_text_safe((const uint8_t *)q, strlen(q)))
        return TC_ERR_ARG;
    uint64_t id = 0;
    bool by_id = tc_parse_u64(q, &id) && id <= INT64_MAX; /* digits only */
    enum tc_err e =
        by_id ? tc_store_query(s, &st, "SELECT id, status, payload FROM certificates WHERE id = ?",
                               "i", (int64_t)id)
              : tc_store_query(s, &st, "SELECT id, status, payload FROM certificates ORDER BY id",
                               "");
    if (e != TC_OK)
        return e;
    while (*found < max && sqlite3_step(st) == SQLITE_ROW) {
        struct tc_cert cert;
        if (tc_cert_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &cert,
                           NULL) != TC_OK)
            continue;
        const struct tc_claims *c = &cert.claims;
        if (!by_id && !strstr(c->name, q) && strcmp(c->employer, q) != 0)
            continue;
        struct tc_cert_hit h;
        memset(&h, 0, sizeof h);
        h.id = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(h.status, sizeof h.status, "%s", (const char *)sqlite3_column_text(st, 1));
        h.claims = *c;
        fn(ctx, &h);
        (*found)++;
    }
    sqlite3_finalize(st);
    return TC_OK;
}

enum tc_err tc_audit_list(struct tc_store *s, const struct tc_audit_filter *f,
                          void (*fn)(void *ctx, const struct tc_audit_row *r), void *ctx)
{
    sqlite3_stmt *st;
    char account[2 * TC_ACCOUNT_NAME_MAX + 16] = "";
    if (f->account && *f->account) { /* the name's '_' is LIKE's wildcard: escaped */
        size_t n = 0;
        n += (size_t)snprintf(account, sizeof account, "%%\"account\":\"");
        for (const char *p = f->account; *p && n + 8 < sizeof account; p++) {
            if (*p == '_' || *p == '%' || *p == '\\')
                account[n++] = '\\';
            account[n++] = *p;
        }
        snprintf(account + n, sizeof account - n, "\"%%");
    }
    enum tc_err e = tc_store_query(
        s, &st,
        "SELECT seq, at, kind, cert, detail FROM events WHERE (?1 = '' OR kind = ?1) AND "
        "(?2 = '' OR detail LIKE ?2 ESCAPE '\\') AND at >= ?3 AND at < ?4 ORDER BY seq DESC LIMIT "
        "?5",
        "ttiii", f->action ? f->action : "", account, (int64_t)f->from,
        f->to ? (int64_t)f->to : INT64_MAX, f->max ? (int64_t)f->max : 1000);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct tc_audit_row r;
        r.seq = sqlite3_column_int64(st, 0);
        r.at = (uint64_t)sqlite3_column_int64(st, 1);
        r.kind = (const char *)sqlite3_column_text(st, 2);
        r.cert = (uint64_t)sqlite3_column_int64(st, 3);
        r.detail = (const char *)sqlite3_column_text(st, 4);
        fn(ctx, &r);
    }
    sqlite3_finalize(st);
    return TC_OK;
}
