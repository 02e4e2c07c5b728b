/*
 * sessions.c - the console's second factor and sessions, kept in the store beside the accounts
 * (ISSUANCE.md "The HR console"):
 *   - TOTP (RFC 6238: 30 s steps, 6 digits, one step either side; liboath): a 20-byte seed per
 *     account, encrypted in the store with a key derived from the store's hash key
 *     (XChaCha20-Poly1305, the account's id as associated data); a code is accepted once (the
 *     last step used is kept), and the first accepted code turns the factor on;
 *   - sessions: a 256-bit random id given to the browser, only its BLAKE2b hash stored, with a
 *     CSRF token, the times it was made, last seen and last re-authenticated, and the client's
 *     address; idle and absolute limits are the caller's.
 */
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"

#define SEED_BYTES 20
#define SEALED_BYTES                                                                               \
    (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + SEED_BYTES +                                   \
     crypto_aead_xchacha20poly1305_ietf_ABYTES)

static void account_ad(uint8_t ad[16], int64_t account)
{
    memcpy(ad, "tc-totp:", 8);
    for (int i = 0; i < 8; i++)
        ad[8 + i] = (uint8_t)((uint64_t)account >> (56 - 8 * i));
}

/* ---- TOTP ---------------------------------------------------------------------------------- */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ready;
static void oath_start(void)
{
    oath_ready = oath_init() == OATH_OK;
}
/* liboath is initialised once, before its first use */
static bool oath_ok(void)
{
    pthread_once(&oath_once, oath_start);
    return oath_ready;
}

static enum tc_err seed_of(struct tc_store *s, int64_t account, uint8_t seed[SEED_BYTES], bool *on,
                           int64_t *step)
{
    const uint8_t *key = tc_store_secrets_key(s);
    if (!key)
        return TC_ERR_ARG;
    uint8_t b[SEALED_BYTES];
    size_t bytes = 0;
    bool marked = false;
    int64_t last = 0;
    /* the factor as the account's sealed record has it, read with its seal's check: one set off
     * by hand is not "none yet" */
    enum tc_err e = tc_account_factor(s, account, b, sizeof b, &bytes, &marked, &last);
    if (e != TC_OK)
        return e;
    /* none yet only when no secret is there and the factor is off: one marked on without its
     * secret, or a secret of another size, is a store that was changed */
    e = bytes == 0 && !marked ? TC_ERR_NOT_FOUND : TC_ERR_INCONSISTENT;
    if (bytes == SEALED_BYTES) {
        uint8_t ad[16];
        unsigned long long n = 0;
        account_ad(ad, account);
        e = crypto_aead_xchacha20poly1305_ietf_decrypt(
                seed, &n, NULL, b + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                SEALED_BYTES - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, sizeof ad, b,
                key) == 0 &&
                    n == SEED_BYTES
                ? TC_OK
                : TC_ERR_INCONSISTENT;
        *on = marked;
        *step = last;
    }
    sodium_memzero(b, sizeof b);
    return e;
}

/* A change to the factor, in the account's sealed record (tc_account_sealed_tx). */
struct factor_set {
    int64_t account;
    const uint8_t *sealed; /* a new seed, sealed */
    int64_t step;          /* the step of a code accepted */
    bool done;
};

static enum tc_err seed_set_tx(struct tc_store *s, void *ctx)
{
    struct factor_set *x = ctx;
    /* only over a factor that is off: one marked on without a secret stays as it is */
    return tc_store_run_one(s, TC_ERR_EXISTS,
                            "UPDATE accounts SET totp_secret = ?, totp_on = 0, totp_step = 0 "
                            "WHERE id = ? AND totp_on = 0",
                            "bi", x->sealed, (size_t)SEALED_BYTES, x->account);
}

static enum tc_err step_set_tx(struct tc_store *s, void *ctx)
{
    struct factor_set *x = ctx;
    enum tc_err e = tc_store_run_one(s, TC_ERR_EXISTS,
                                     "UPDATE accounts SET totp_on = 1, totp_step = ? WHERE id = ? "
                                     "AND totp_step < ?",
                                     "iii", x->step, x->account, x->step);
    x->done = e == TC_OK;
    return e == TC_ERR_EXISTS ? TC_OK : e; /* a replayed code: not accepted, nothing changed */
}

enum tc_err tc_totp_begin(struct tc_store *s, int64_t account, char b32[TC_TOTP_B32_MAX])
{
    const uint8_t *key = tc_store_secrets_key(s);
    uint8_t seed[SEED_BYTES], sealed[SEALED_BYTES], ad[16];
    bool on = false;
    int64_t step = 0;
    if (!key || !oath_ok())
        return TC_ERR_ARG;
    bool pending = false;
    enum tc_err e = seed_of(s, account, seed, &on, &step);
    if (e == TC_OK) {
        if (on) {
            sodium_memzero(seed, sizeof seed);
            return TC_ERR_EXISTS; /* a factor in use is replaced only by a reset on the host */
        }
        /* begun and not yet confirmed (shown at the last sign-in, or by 'account totp' on the
         * host): the same seed again, so the app it went into keeps working */
        pending = true;
    } else if (e == TC_ERR_NOT_FOUND) {
        randombytes_buf(seed, sizeof seed);
    } else {
        /* a sealed secret that does not open, or the store failing: the factor is left as it
         * is, never replaced by a new one (that would let a password alone enrol an app) */
        sodium_memzero(seed, sizeof seed);
        return e;
    }
    randombytes_buf(sealed, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    account_ad(ad, account);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, seed, sizeof seed, ad,
        sizeof ad, NULL, sealed, key);
    char *out = NULL;
    size_t len = 0;
    e = oath_base32_encode((const char *)seed, sizeof seed, &out, &len) == OATH_OK &&
                len < TC_TOTP_B32_MAX
            ? TC_OK
            : TC_ERR_INTERNAL;
    if (e == TC_OK)
        memcpy(b32, out, len + 1);
    struct factor_set x = {account, sealed, 0, false};
    if (e == TC_OK && !pending)
        e = tc_account_sealed_tx(s, account, TC_ACCT_TOTP | TC_ACCT_TOTP_ON | TC_ACCT_TOTP_STEP,
                                 seed_set_tx, &x);
    if (out)
        sodium_memzero(out, len), free(out);
    sodium_memzero(seed, sizeof seed);
    return e;
}

enum tc_err tc_totp_check(struct tc_store *s, int64_t account, const char *code, uint64_t now,
                          bool *ok)
{
    uint8_t seed[SEED_BYTES];
    bool on = false;
    int64_t last = 0;
    *ok = false;
    if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6 || !oath_ok())
        return TC_OK;
    enum tc_err e = seed_of(s, account, seed, &on, &last);
    if (e != TC_OK)
        return e;
    int pos = 0;
    int rc = oath_totp_validate2((const char *)seed, sizeof seed, (time_t)now,
                                 OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 1, &pos, code);
    sodium_memzero(seed, sizeof seed);
    int64_t step = (int64_t)(now / OATH_TOTP_DEFAULT_TIME_STEP_SIZE) + pos;
    if (rc < 0 || step <= last) /* a code is good once: a replayed one is refused */
        return TC_OK;
    struct factor_set x = {account, NULL, step, false};
    e = tc_account_sealed_tx(s, account, TC_ACCT_TOTP_ON | TC_ACCT_TOTP_STEP, step_set_tx, &x);
    *ok = e == TC_OK && x.done;
    return e;
}

enum tc_err tc_totp_state(struct tc_store *s, int64_t account, bool *on)
{
    uint8_t seed[SEED_BYTES];
    int64_t step;
    *on = false;
    enum tc_err e = seed_of(s, account, seed, on, &step);
    sodium_memzero(seed, sizeof seed);
    return e == TC_ERR_NOT_FOUND ? TC_OK : e;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static bool hex_id(const char *hex, uint8_t out[32])
{
    size_t got = 0;
    return hex && strlen(hex) == 64 && sodium_hex2bin(out, 32, hex, 64, NULL, &got, NULL) == 0 &&
           got == 32;
}

static void id_hash(uint8_t h[32], const uint8_t id[32])
{
    crypto_generichash(h, 32, id, 32, (const uint8_t *)"tc-session-id", 13);
}

/* The hash a session is kept under, from the id the browser holds; false for a malformed id. */
static bool hex_id_hash(const char *id_hex, uint8_t h[32])
{
    uint8_t id[32];
    if (!hex_id(id_hex, id))
        return false;
    id_hash(h, id);
    sodium_memzero(id, sizeof id);
    return true;
}

/* A session's row under a MAC with the store's key (schema 11): the account it acts for, its
 * CSRF token, when it was made and last re-authenticated, and the account as it was when the
 * session was made (its name, when it was made, its password hash). Whoever can write the store's
 * file can neither point a session of their own at another account, nor make one, nor move its
 * times, nor keep one across a reset or a new password, nor hand one to an account made later
 * with the id of one deleted; the last time it was seen (the idle limit) is not covered. */
static const char SESSION_ROW[] =
    "SELECT s.id_hash, s.account, s.csrf, s.created_at, s.reauth_at, s.client, a.name, "
    "a.created_at, a.pw_hash, s.mac, s.seen_at FROM sessions s LEFT JOIN accounts a ON a.id = "
    "s.account WHERE s.id_hash = ?";
#define SESSION_COLUMNS 9

/* The row of h into *q (stepped) when it matches its MAC; else TC_ERR_INCONSISTENT (the row is
 * gone: deleted here) or TC_ERR_NOT_FOUND. */
static enum tc_err session_row(struct tc_store *s, const uint8_t h[32], sqlite3_stmt **q)
{
    uint8_t mac[32];
    enum tc_err e = tc_store_row(s, q, SESSION_ROW, "h", h);
    if (e != TC_OK || (e = tc_store_seal_row(s, "session", *q, SESSION_COLUMNS, 0, mac)) != TC_OK)
        goto out;
    if (sqlite3_column_bytes(*q, SESSION_COLUMNS) == 32 &&
        sodium_memcmp(sqlite3_column_blob(*q, SESSION_COLUMNS), mac, 32) == 0)
        return TC_OK;
    e = TC_ERR_INCONSISTENT;
out:
    sqlite3_finalize(*q);
    *q = NULL;
    if (e == TC_ERR_INCONSISTENT)
        tc_store_run(s, "DELETE FROM sessions WHERE id_hash = ?1", "h", h);
    return e;
}

struct session_write {
    const uint8_t *h;
    int64_t account;
    const char *csrf, *client;
    uint64_t now;
};

/* the row of x->h sealed as it now stands */
static enum tc_err session_seal(struct tc_store *s, const uint8_t h[32])
{
    sqlite3_stmt *q;
    uint8_t mac[32];
    enum tc_err e = tc_store_row(s, &q, SESSION_ROW, "h", h);
    if (e != TC_OK)
        return e;
    e = tc_store_seal_row(s, "session", q, SESSION_COLUMNS, 0, mac);
    sqlite3_finalize(q);
    return e != TC_OK ? e
                      : tc_store_run(s, "UPDATE sessions SET mac = ?1 WHERE id_hash = ?2", "hh",
                                     mac, h);
}

static enum tc_err create_tx(struct tc_store *s, void *ctx)
{
    struct session_write *x = ctx;
    /* signing in is the first authentication: made, seen and re-authenticated now */
    enum tc_err e = tc_store_run(s,
                                 "INSERT INTO sessions(id_hash, account, csrf, created_at, "
                                 "seen_at, reauth_at, client) VALUES(?, ?, ?, ?, ?, ?, ?)",
                                 "hitiiit", x->h, x->account, x->csrf, (int64_t)x->now,
                                 (int64_t)x->now, (int64_t)x->now, x->client);
    return e != TC_OK ? e : session_seal(s, x->h);
}

enum tc_err tc_session_create(struct tc_store *s, int64_t account, const char *client, uint64_t now,
                              char id_hex[65], char csrf[65])
{
    uint8_t id[32], h[32], token[32];
    randombytes_buf(id, sizeof id);
    randombytes_buf(token, sizeof token);
    id_hash(h, id);
    sodium_bin2hex(id_hex, 65, id, 32);
    sodium_bin2hex(csrf, 65, token, 32);
    sodium_memzero(id, sizeof id);
    struct session_write x = {h, account, csrf, client ? client : "", now};
    return tc_store_tx(s, create_tx, &x);
}

enum tc_err tc_session_get(struct tc_store *s, const char *id_hex, uint64_t now, uint64_t idle,
                           uint64_t max, struct tc_session *out)
{
    uint8_t h[32];
    memset(out, 0, sizeof *out);
    if (!hex_id_hash(id_hex, h))
        return TC_ERR_NOT_FOUND;
    sqlite3_stmt *q;
    enum tc_err e = session_row(s, h, &q);
    if (e != TC_OK)
        return e;
    out->account = sqlite3_column_int64(q, 1);
    snprintf(out->csrf, sizeof out->csrf, "%s", (const char *)sqlite3_column_text(q, 2));
    out->created_at = (uint64_t)sqlite3_column_int64(q, 3);
    out->reauth_at = (uint64_t)sqlite3_column_int64(q, 4);
    out->seen_at = (uint64_t)sqlite3_column_int64(q, SESSION_COLUMNS + 1);
    sqlite3_finalize(q);
    if (now >= out->seen_at + idle || now >= out->created_at + max) {
        tc_session_end(s, id_hex); /* timed out: gone, as if it never was */
        return TC_ERR_NOT_FOUND;
    }
    return tc_store_run(s, "UPDATE sessions SET seen_at = ? WHERE id_hash = ?", "ih",
                        (int64_t)now, h);
}

static enum tc_err reauth_tx(struct tc_store *s, void *ctx)
{
    struct session_write *x = ctx;
    sqlite3_stmt *q;
    enum tc_err e = session_row(s, x->h, &q); /* re-authenticated as it was made */
    if (e != TC_OK)
        return e;
    sqlite3_finalize(q);
    e = tc_store_run(s, "UPDATE sessions SET reauth_at = ?2 WHERE id_hash = ?1", "hi", x->h,
                     (int64_t)x->now);
    return e != TC_OK ? e : session_seal(s, x->h);
}

enum tc_err tc_session_reauth(struct tc_store *s, const char *id_hex, uint64_t now)
{
    uint8_t h[32];
    if (!hex_id_hash(id_hex, h))
        return TC_ERR_NOT_FOUND;
    struct session_write x = {h, 0, NULL, NULL, now};
    return tc_store_tx(s, reauth_tx, &x);
}

enum tc_err tc_session_end(struct tc_store *s, const char *id_hex)
{
    uint8_t h[32];
    if (!hex_id_hash(id_hex, h))
        return TC_ERR_NOT_FOUND;
    return tc_store_run(s, "DELETE FROM sessions WHERE id_hash = ?1", "h", h);
}

enum tc_err tc_session_end_account(struct tc_store *s, int64_t account)
{
    return tc_store_run(s, "DELETE FROM sessions WHERE account = ?", "i", account);
}
