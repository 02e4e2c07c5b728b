/*
 * store.c - the issuer's SQLite store: schema and migrations, the keys bound to a store, the
 * keyed holder hash, the audit chain (A3) and refusal lists.
 *
 * Schema changes are numbered migrations applied in order under PRAGMA user_version, each in its
 * own transaction. The audit table refuses UPDATE and DELETE by trigger; beyond that, every event
 * carries a MAC (keyed BLAKE2b-256) over the previous event's MAC and its own content, so an
 * edited, deleted or inserted event breaks the chain and cannot be re-chained without the store's
 * key. The chain head goes into every status bundle, which anchors truncation of the tail too.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "register.h"

struct tc_store_keys {
    uint8_t holder[32];
    uint8_t audit[32];
    uint8_t check[32]; /* binds keys to a store: BLAKE2b(holder key, "titlecert store check") */
    uint8_t secrets[32]; /* encrypts secrets kept in the store (TOTP seeds) */
    uint8_t state[32]; /* MACs what a publication keeps: BLAKE2b(audit key, "... register state") */
    uint8_t seal[32]; /* seals account records and sessions: BLAKE2b(audit key, "... record seal") */
};

enum tc_err tc_store_keys_derive(struct tc_store_keys **out, const struct tc_secret *hash_key)
{
    *out = NULL;
    if (tc_keys_secret_kind(hash_key) != TC_KEY_HASH)
        return TC_ERR_ARG;
    struct tc_store_keys *k = sodium_malloc(sizeof *k);
    if (!k)
        return TC_ERR_NOMEM;
    if (tc_keys_secret_derive(hash_key, 1, "tcissuer", k->holder, 32) != TC_OK ||
        tc_keys_secret_derive(hash_key, 2, "tcissuer", k->audit, 32) != TC_OK ||
        tc_keys_secret_derive(hash_key, 3, "tcissuer", k->secrets, 32) != TC_OK) {
        sodium_free(k);
        return TC_ERR_INTERNAL;
    }
    static const char check[] = "titlecert store check", state[] = "titlecert register state",
                      seal[] = "titlecert record seal";
    crypto_generichash(k->check, 32, (const uint8_t *)check, sizeof check - 1, k->holder, 32);
    crypto_generichash(k->state, 32, (const uint8_t *)state, sizeof state - 1, k->audit, 32);
    crypto_generichash(k->seal, 32, (const uint8_t *)seal, sizeof seal - 1, k->audit, 32);
    sodium_mprotect_readonly(k);
    *out = k;
    return TC_OK;
}

void tc_store_keys_free(struct tc_store_keys *k)
{
    if (k) {
        sodium_mprotect_readwrite(k);
        sodium_free(k);
    }
}

/* ---- schema ------------------------------------------------------------------------------- */

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE holders(id INTEGER PRIMARY KEY, id_hash BLOB NOT NULL UNIQUE,"
    "  id_mask TEXT NOT NULL, name TEXT NOT NULL);"
    "CREATE TABLE units(id INTEGER PRIMARY KEY, uscc TEXT NOT NULL, name TEXT NOT NULL,"
    "  division INTEGER NOT NULL, township INTEGER NOT NULL DEFAULT 0, tier INTEGER NOT NULL,"
    "  basic_flag INTEGER NOT NULL DEFAULT -1, valid_from INTEGER NOT NULL,"
    "  valid_to INTEGER NOT NULL, UNIQUE(uscc, valid_from));"
    "CREATE TABLE employment(id INTEGER PRIMARY KEY, holder INTEGER NOT NULL REFERENCES holders,"
    "  unit TEXT NOT NULL, from_day INTEGER NOT NULL, to_day INTEGER NOT NULL);"
    "CREATE INDEX employment_holder ON employment(holder);"
    "CREATE TABLE assessments(holder INTEGER NOT NULL REFERENCES holders, year INTEGER NOT NULL,"
    "  passed INTEGER NOT NULL, PRIMARY KEY(holder, year));"
    "CREATE TABLE ce_hours(holder INTEGER NOT NULL REFERENCES holders, year INTEGER NOT NULL,"
    "  hours INTEGER NOT NULL, PRIMARY KEY(holder, year));"
    "CREATE TABLE batches(id INTEGER PRIMARY KEY, source TEXT NOT NULL, rows INTEGER NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE certificates(rid INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE,"
    "  holder INTEGER NOT NULL REFERENCES holders, track INTEGER NOT NULL,"
    "  level INTEGER NOT NULL, series INTEGER NOT NULL, eval_year INTEGER NOT NULL,"
    "  obtained INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'valid'"
    "  CHECK(status IN ('valid','revoked','superseded')), successor INTEGER, predecessor INTEGER,"
    "  reason TEXT, status_day INTEGER, approval TEXT, batch INTEGER REFERENCES batches,"
    "  payload BLOB NOT NULL, kid BLOB NOT NULL, issued_at INTEGER NOT NULL);"
    "CREATE INDEX certificates_holder ON certificates(holder);"
    "CREATE TABLE blacklist(id INTEGER PRIMARY KEY, holder INTEGER NOT NULL REFERENCES holders,"
    "  reason TEXT NOT NULL, from_day INTEGER NOT NULL, to_day INTEGER NOT NULL);"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  cert INTEGER NOT NULL, detail TEXT NOT NULL, mac BLOB NOT NULL);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    /* 2: a certificate's history (show) and audit checks look events up by certificate */
    "CREATE INDEX events_cert ON events(cert);",
    /* 3: C6 service commitment (the unit and its last day); C5 the basic-level title an
     * application counted as an achievement */
    "ALTER TABLE certificates ADD COLUMN commit_unit TEXT;"
    "ALTER TABLE certificates ADD COLUMN commitment_end INTEGER;"
    "ALTER TABLE certificates ADD COLUMN achievement_cert INTEGER;",
    /* 4: the public register (A3): its leaves, append-only like the events and written in the
     * same transaction as the event each records; the checkpoints published; each certificate's
     * issue leaf. Existing certificates are registered by register_backfill. */
    "CREATE TABLE register(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TRIGGER register_no_update BEFORE UPDATE ON register"
    "  BEGIN SELECT RAISE(ABORT, 'the register is append-only'); END;"
    "CREATE TRIGGER register_no_delete BEFORE DELETE ON register"
    "  BEGIN SELECT RAISE(ABORT, 'the register is append-only'); END;"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, at INTEGER NOT NULL,"
    "  note TEXT NOT NULL);"
    "ALTER TABLE certificates ADD COLUMN reg_leaf INTEGER;",
    /* 5: A4 the organiser's seal per issuer key, for the e-certificate */
    ("CREATE TABLE seals(kid BLOB PRIMARY KEY, organiser TEXT NOT NULL, image BLOB NOT NULL,"
     "  svg INTEGER NOT NULL, at INTEGER NOT NULL);"),
    /* 6: A3 the unit directory and the profile, which verdicts depend on, are register entries
     * (their digests, logged by data_backfill for a store made before) */
    "SELECT 1;",
    /* 7: issuance as departments run it (ISSUANCE.md): accounts and roles, batches from draft
     * to published with their 公示 and objections, revocations proposed and approved, the
     * working-day calendar; the rows hold no full ID number (only the keyed holder hash) */
    ("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
     "  display TEXT NOT NULL, pw_hash TEXT, enrol_hash BLOB, totp_secret BLOB,"
     "  disabled INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
     "  locked_until INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
     "CREATE TABLE account_roles(account INTEGER NOT NULL REFERENCES accounts, role TEXT NOT NULL"
     "  CHECK(role IN ('clerk','approver','custodian','auditor','admin')),"
     "  granted_at INTEGER NOT NULL, PRIMARY KEY(account, role));"
     "CREATE TABLE role_changes(id INTEGER PRIMARY KEY, account INTEGER NOT NULL REFERENCES"
     "  accounts, roles TEXT NOT NULL, proposed_by INTEGER NOT NULL REFERENCES accounts,"
     "  proposed_at INTEGER NOT NULL, confirmed_by INTEGER REFERENCES accounts, confirmed_at"
     "  INTEGER, state TEXT NOT NULL CHECK(state IN ('pending','confirmed','cancelled')));"
     "CREATE TABLE wf_batches(id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK(kind IN"
     "  ('issue','revoke','convert')), state TEXT NOT NULL CHECK(state IN ('draft','publicised',"
     "  'approved','signed','published')), title TEXT NOT NULL, source TEXT NOT NULL,"
     "  prepared_by INTEGER NOT NULL REFERENCES accounts, prepared_at INTEGER NOT NULL,"
     "  rows_hash BLOB NOT NULL, gongshi_from INTEGER, gongshi_to INTEGER, gongshi_sha256 BLOB,"
     "  gongshi_idx INTEGER,"
     "  publicised_by INTEGER REFERENCES accounts, approved_by INTEGER REFERENCES accounts,"
     "  approved_at INTEGER, approved_hash BLOB, decision TEXT, signed_by INTEGER REFERENCES"
     "  accounts, signed_at INTEGER, issue_batch INTEGER REFERENCES batches, published_at"
     "  INTEGER);"
     "CREATE TABLE wf_rows(batch INTEGER NOT NULL REFERENCES wf_batches, line INTEGER NOT NULL,"
     "  row TEXT NOT NULL, dropped INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(batch, line));"
     "CREATE TABLE objections(id INTEGER PRIMARY KEY, batch INTEGER NOT NULL REFERENCES"
     "  wf_batches, line INTEGER NOT NULL, objector TEXT NOT NULL, contact TEXT NOT NULL,"
     "  received INTEGER NOT NULL, text TEXT NOT NULL, recorded_by INTEGER NOT NULL REFERENCES"
     "  accounts, recorded_at INTEGER NOT NULL, state TEXT NOT NULL CHECK(state IN ('open',"
     "  'upheld','dismissed','lapsed')), resolved_by INTEGER REFERENCES accounts, resolved_at INTEGER,"
     "  outcome TEXT);"
     "CREATE TABLE calendar(year INTEGER PRIMARY KEY, json TEXT NOT NULL, loaded_at INTEGER"
     "  NOT NULL);"
     "ALTER TABLE accounts ADD COLUMN totp_on INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE accounts ADD COLUMN totp_step INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE sessions(id_hash BLOB PRIMARY KEY, account INTEGER NOT NULL REFERENCES"
     "  accounts, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,"
     "  reauth_at INTEGER NOT NULL, client TEXT NOT NULL);"),
    /* 8: A3 what a publication keeps of the register so the next one appends to it: the hashes
     * of its complete subtrees of 2^8, 2^16, ... leaves (what its hash tiles of level 1 and up
     * hold), append-only like the register; and what its entries say about certificates, in
     * chunks of 4,096 entries under the store's MAC (regstate.c). The state tying them to the
     * last checkpoint is a meta row. */
    ("CREATE TABLE register_nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
     "  hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
     "CREATE TRIGGER register_nodes_no_update BEFORE UPDATE ON register_nodes"
     "  BEGIN SELECT RAISE(ABORT, 'the register is append-only'); END;"
     "CREATE TRIGGER register_nodes_no_delete BEFORE DELETE ON register_nodes"
     "  BEGIN SELECT RAISE(ABORT, 'the register is append-only'); END;"
     "CREATE TABLE register_status(chunk INTEGER PRIMARY KEY, records BLOB NOT NULL,"
     "  mac BLOB NOT NULL);"),
    /* 9: enrolment in two halves (ISSUANCE.md, accounts): the admin who adds or resets an account
     * is shown the first half of its code and another admin gives the second, so that no admin
     * alone can enrol an account as someone else; enrol_half_by names the first half's admin
     * while the second is not yet given (enrol_hash then holds the first half's hash). */
    ("ALTER TABLE accounts ADD COLUMN enrol_half_by INTEGER REFERENCES accounts;"),
    /* 10: whole codes admins made before 9 withdrawn (withdraw_codes) */
    (""),
    /* 11: each account's record under a seal (a MAC with the store's key: accounts.c), so that
     * a password hash, a second factor, a lock or a role written into the file by hand is
     * refused rather than signed in with; every account is sealed as it stands now
     * (seal_accounts), which needs the hash key. Sessions likewise (sessions.c): those of
     * before are ended, as they have no MAC. */
    ("ALTER TABLE accounts ADD COLUMN seal BLOB;"
     "DELETE FROM sessions;"
     "ALTER TABLE sessions ADD COLUMN mac BLOB;"),
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

struct tc_store {
    sqlite3 *db;
    struct tc_profile profile;
    char *profile_json;
    const struct tc_store_keys *keys;
    struct tc_store_keys *own_keys; /* tc_store_open_keyed's, freed with the store */
    uint8_t head[32]; /* MAC of the last event */
    int64_t last_seq;
    uint64_t reg_size; /* leaves in the register */
    sqlite3_stmt *unit_find; /* prepared once: issuance looks a unit up per certificate */
    sqlite3_stmt *reg_add;
    char msg[512];
    char notice[1536]; /* what a migration did that its operator should know */
    bool reseal; /* tc_store_migrate: accounts sealed before may be sealed again as they stand */
};

static enum tc_err db_error(struct tc_store *s)
{
    snprintf(s->msg, sizeof s->msg, "%s", sqlite3_errmsg(s->db));
    return TC_ERR_STORE;
}

const uint8_t *tc_store_secrets_key(const struct tc_store *s)
{
    return s->keys ? s->keys->secrets : NULL;
}

const char *tc_store_errmsg(const struct tc_store *s)
{
    return s->msg;
}

const struct tc_profile *tc_store_profile(const struct tc_store *s)
{
    return &s->profile;
}

const char *tc_store_profile_json(const struct tc_store *s)
{
    return s->profile_json;
}

sqlite3 *tc_store_db(struct tc_store *s)
{
    return s->db;
}

enum tc_err tc_store_exec(struct tc_store *s, const char *sql)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s);
    /* Another process (a CLI command beside the signer or the console) may have appended events
     * and register entries since this handle last wrote: a write transaction starts from the
     * chain head and register size the database has now, never from a cached one. */
    if (strcmp(sql, "BEGIN IMMEDIATE") == 0 && s->keys)
        tc_store_reload_head(s);
    return TC_OK;
}

enum tc_err tc_store_prepare(struct tc_store *s, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK ? TC_OK : db_error(s);
}

enum tc_err tc_store_step_done(struct tc_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TC_OK : db_error(s);
}

/* The binding of tc_store_query, tc_store_run and tc_store_bind (the letters: issuer_internal.h).
 * The type string is checked against the statement before any value is read: a letter too many
 * would read an argument that is not there, one too few would leave a parameter NULL. */
static enum tc_err bind_values(struct tc_store *s, sqlite3_stmt *st, const char *types, va_list ap)
{
    int n = (int)strlen(types);
    if (n != sqlite3_bind_parameter_count(st)) {
        tc_store_set_msg(s, "%d values for %d parameters: %s", n, sqlite3_bind_parameter_count(st),
                         sqlite3_sql(st));
        return TC_ERR_INTERNAL;
    }
    for (int i = 0; i < n; i++) {
        int rc;
        const void *p;
        switch (types[i]) {
        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
            break;
        case 't':
            rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
            break;
        case 's':
            p = va_arg(ap, const char *);
            rc = sqlite3_bind_text64(st, i + 1, p, (sqlite3_uint64)va_arg(ap, size_t),
                                     SQLITE_STATIC, SQLITE_UTF8);
            break;
        case 'h':
            rc = sqlite3_bind_blob(st, i + 1, va_arg(ap, const uint8_t *), 32, SQLITE_STATIC);
            break;
        case 'b':
            p = va_arg(ap, const void *);
            rc = sqlite3_bind_blob64(st, i + 1, p, (sqlite3_uint64)va_arg(ap, size_t),
                                     SQLITE_STATIC);
            break;
        default:
            tc_store_set_msg(s, "no binding '%c': %s", types[i], sqlite3_sql(st));
            return TC_ERR_INTERNAL;
        }
        if (rc != SQLITE_OK)
            return db_error(s);
    }
    return TC_OK;
}

enum tc_err tc_store_bind(struct tc_store *s, sqlite3_stmt *st, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = bind_values(s, st, types, ap);
    va_end(ap);
    return e;
}

static enum tc_err query_va(struct tc_store *s, sqlite3_stmt **st, const char *sql,
                            const char *types, va_list ap)
{
    enum tc_err e = tc_store_prepare(s, sql, st);
    if (e == TC_OK && (e = bind_values(s, *st, types, ap)) != TC_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    return e;
}

enum tc_err tc_store_query(struct tc_store *s, sqlite3_stmt **st, const char *sql,
                           const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = query_va(s, st, sql, types, ap);
    va_end(ap);
    return e;
}

static enum tc_err run_va(struct tc_store *s, const char *sql, const char *types, va_list ap)
{
    sqlite3_stmt *st;
    enum tc_err e = query_va(s, &st, sql, types, ap);
    if (e == TC_OK) {
        e = tc_store_step_done(s, st);
        sqlite3_finalize(st);
    }
    return e;
}

enum tc_err tc_store_run(struct tc_store *s, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = run_va(s, sql, types, ap);
    va_end(ap);
    return e;
}

enum tc_err tc_store_insert(struct tc_store *s, int64_t *rowid, const char *sql,
                            const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = run_va(s, sql, types, ap);
    va_end(ap);
    if (e == TC_OK)
        *rowid = sqlite3_last_insert_rowid(s->db);
    return e;
}

enum tc_err tc_store_run_one(struct tc_store *s, enum tc_err none, const char *sql,
                             const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = run_va(s, sql, types, ap);
    va_end(ap);
    return e == TC_OK && sqlite3_changes(s->db) != 1 ? none : e;
}

int64_t tc_store_int(struct tc_store *s, int64_t dflt, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    va_list ap;
    va_start(ap, types);
    enum tc_err e = query_va(s, &st, sql, types, ap);
    va_end(ap);
    if (e == TC_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

enum tc_err tc_store_row(struct tc_store *s, sqlite3_stmt **st, const char *sql, const char *types,
                         ...)
{
    va_list ap;
    va_start(ap, types);
    enum tc_err e = query_va(s, st, sql, types, ap);
    va_end(ap);
    if (e != TC_OK)
        return e;
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_ROW)
        return TC_OK;
    e = rc == SQLITE_DONE ? TC_ERR_NOT_FOUND : db_error(s);
    sqlite3_finalize(*st);
    *st = NULL;
    return e;
}

static int schema_version(struct tc_store *s)
{
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

/* A store's schema must be this program's: a newer one is refused, an older one is upgraded only
 * by tc_store_migrate (titlecert-issuer migrate), after a backup, never on the way to another
 * command. A new, empty file (version 0) gets the schema. */
static enum tc_err check_schema(struct tc_store *s, bool create)
{
    int version = schema_version(s);
    if (version < 0)
        return db_error(s);
    if (version > SCHEMA_VERSION) {
        snprintf(s->msg, sizeof s->msg, "(schema %d, newer than this program's %d)", version,
                 SCHEMA_VERSION);
        return TC_ERR_SCHEMA;
    }
    if (version < SCHEMA_VERSION && !(create && version == 0)) {
        snprintf(s->msg, sizeof s->msg,
                 "(schema %d, older than this program's %d: run 'titlecert-issuer migrate --db "
                 "FILE', which backs the store up first)", version, SCHEMA_VERSION);
        return TC_ERR_SCHEMA_OLD;
    }
    return TC_OK;
}

static enum tc_err register_backfill(struct tc_store *s);
static enum tc_err seal_accounts(struct tc_store *s);
static enum tc_err data_backfill(struct tc_store *s);
static void load_reg_size(struct tc_store *s);

/* Migration 10: a whole enrolment code an admin made before codes came in halves (9) would still
 * let that admin alone enrol the account as someone else: withdrawn, so that only a reset enrols
 * it. Kept: codes whose account's last code event is the host's (its bootstrap) or a second half
 * given (two halves already). An admin account withdrawn where fewer than two other admins are
 * enabled and enrolled could be reset by no two admins: the host may reset it once (meta
 * "host_reset:ID", tc_account_reset), judged now, so that disabling an admin later opens
 * nothing. The accounts are named in s->notice. */
static enum tc_err withdraw_codes(struct tc_store *s)
{
    static const char pick[] =
        "SELECT name FROM accounts WHERE pw_hash IS NULL AND enrol_half_by IS NULL AND"
        "  enrol_hash IS NOT NULL AND coalesce((SELECT CASE e.kind WHEN 'account_enrol_half'"
        "    THEN '(halves)' ELSE json_extract(e.detail, '$.by') END FROM events e"
        "    WHERE e.kind IN ('account_add', 'account_reset', 'account_enrol_half') AND"
        "    json_valid(e.detail) AND json_extract(e.detail, '$.account') = accounts.name"
        "    ORDER BY e.seq DESC LIMIT 1), '') NOT IN ('(host)', '(halves)') ORDER BY name";
    sqlite3_stmt *q, *w;
    if (sqlite3_prepare_v2(s->db, pick, -1, &q, NULL) != SQLITE_OK)
        return db_error(s);
    if (sqlite3_prepare_v2(s->db, "UPDATE accounts SET enrol_hash = NULL WHERE name = ?", -1, &w,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return db_error(s);
    }
    enum tc_err e = TC_OK;
    char names[208] = ""; /* under 200 bytes of names, then ", ..." if more */
    size_t n = 0, at = 0;
    int rc;
    while (e == TC_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        sqlite3_bind_text(w, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(w) != SQLITE_DONE)
            e = db_error(s);
        sqlite3_reset(w);
        size_t len = strlen(name) + (n ? 2 : 0);
        if (e == TC_OK && at + len < 200)
            at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", n ? ", " : "", name);
        else if (e == TC_OK && at < 200) {
            snprintf(names + at, sizeof names - at, ", ...");
            at = 200;
        }
        n++;
    }
    if (e == TC_OK && rc != SQLITE_DONE)
        e = db_error(s);
    sqlite3_finalize(q);
    sqlite3_finalize(w);
    static const char host[] =
        "INSERT INTO meta(key, value) SELECT 'host_reset:' || a.id, '1' FROM accounts a JOIN"
        "  account_roles r ON r.account = a.id AND r.role = 'admin' WHERE a.pw_hash IS NULL AND"
        "  a.enrol_hash IS NULL AND (SELECT count(*) FROM accounts c JOIN account_roles k ON"
        "  k.account = c.id AND k.role = 'admin' WHERE c.disabled = 0 AND c.pw_hash IS NOT NULL"
        "  AND c.id != a.id) < 2";
    if (e == TC_OK && n && sqlite3_exec(s->db, host, NULL, NULL, NULL) != SQLITE_OK)
        e = db_error(s);
    if (e == TC_OK && n)
        snprintf(s->notice, sizeof s->notice,
                 "登记码已作废（升级前由一名管理员单独生成），须重置 / enrolment codes withdrawn "
                 "(made by one admin alone before the upgrade), to be reset: %zu: %s ('account "
                 "reset NAME --as ADMIN', another admin 'account half'; an admin account no two "
                 "admins can reset: 'account reset NAME' on the host, now)",
                 n, names);
    return e;
}

static enum tc_err migrate(struct tc_store *s)
{
    int version = schema_version(s);
    if (version < 0)
        return db_error(s);
    if (version > SCHEMA_VERSION)
        return TC_ERR_SCHEMA;
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char set[64];
        snprintf(set, sizeof set, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return db_error(s);
        enum tc_err e = TC_OK;
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, set, NULL, NULL, NULL) != SQLITE_OK)
            e = db_error(s);
        else if (v == 3)
            e = register_backfill(s);
        else if (v == 5)
            e = data_backfill(s);
        else if (v == 6) /* the working-day years shipped with this release */
            e = tc_store_calendar_shipped(s, (uint64_t)time(NULL));
        else if (v == 9)
            e = withdraw_codes(s);
        else if (v == 10)
            e = seal_accounts(s);
        if (e != TC_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return e;
        }
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return db_error(s);
    }
    return TC_OK;
}

static const char SEALS_NEED_KEY[] =
    "升级到第 11 版要用存储的散列密钥为每个账号的记录加封：请加 --hash-key / the upgrade to "
    "schema 11 seals each account's record with the store's hash key: give --hash-key";

/* The accounts may be sealed as they stand: over an audit chain that holds, and (unless
 * s->reseal) never sealed before. */
static enum tc_err seal_allowed(struct tc_store *s)
{
    uint64_t count = 0, bad = 0;
    /* a store made sealed (tc_store_init), sealed by an upgrade, or with an account added sealed */
    int64_t before = tc_store_int(s, 0,
                                  "SELECT seq FROM events WHERE kind = 'records_sealed' OR (kind = "
                                  "'account_add' AND json_valid(detail) AND "
                                  "json_extract(detail, '$.sealed') = 1) ORDER BY seq LIMIT 1",
                                  "");
    if (before > 0 && !s->reseal) {
        snprintf(s->msg, sizeof s->msg,
                 "账号记录已在第 %lld 号审计事件加封过：存储的版本被人为调低，请从备份恢复 / the "
                 "accounts were sealed before (audit event %lld): the store's schema version was "
                 "set back by hand; restore a backup (or, only once every account's record and "
                 "roles are checked, --reseal-accounts)",
                 (long long)before, (long long)before);
        return TC_ERR_INCONSISTENT;
    }
    if (tc_audit_verify(s, &count, &bad, NULL) != TC_OK || bad) {
        snprintf(s->msg, sizeof s->msg,
                 "审计日志不完整，账号记录不予加封 / the audit chain does not hold: the accounts "
                 "are not sealed over it ('audit verify' says where)");
        return TC_ERR_INCONSISTENT;
    }
    return TC_OK;
}

/* Migration 11: every account sealed as it stands. The upgrade, run by the operator with the
 * store's hash key, is where each record is taken as genuine, as the host's bootstrap is; after
 * it a record without its seal, or with one that does not match, is refused. A store with
 * accounts is upgraded only with the key, over an audit chain that holds, and once: the sealing
 * is an audit event, and a store whose version was set back by hand (its seal columns dropped,
 * to have edited records sealed again) is refused. The accounts sealed are named in s->notice
 * with their roles, for the operator to check. */
static enum tc_err seal_accounts(struct tc_store *s)
{
    int64_t n = tc_store_int(s, -1, "SELECT count(*) FROM accounts", "");
    if (n < 0)
        return db_error(s);
    if (!s->keys && n == 0) /* nothing to seal; with the key the sealing is recorded all the same */
        return TC_OK;
    if (!s->keys) {
        snprintf(s->msg, sizeof s->msg, "%s", SEALS_NEED_KEY);
        return TC_ERR_ARG;
    }
    enum tc_err e = seal_allowed(s);
    if (e != TC_OK)
        return e;
    sqlite3_stmt *q;
    char names[400] = "";
    size_t at = 0;
    e = tc_store_prepare(s,
                                     "SELECT id, name, coalesce((SELECT group_concat(role) FROM "
                                     "account_roles WHERE account = accounts.id), '-') FROM "
                                     "accounts ORDER BY id",
                                     &q);
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        e = tc_account_reseal(s, sqlite3_column_int64(q, 0));
        if (at < sizeof names - 1)
            at += (size_t)snprintf(names + at, sizeof names - at, "%s%s (%s)", at ? ", " : "",
                                   (const char *)sqlite3_column_text(q, 1),
                                   (const char *)sqlite3_column_text(q, 2));
    }
    sqlite3_finalize(q);
    if (at >= sizeof names - 1)
        memcpy(names + sizeof names - 5, "...", 4);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"accounts\":%lld}", (long long)n);
    sqlite3_stmt *ev = NULL;
    tc_store_reload_head(s);
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)time(NULL), "records_sealed", 0, detail);
    sqlite3_finalize(ev);
    size_t had = strlen(s->notice);
    snprintf(s->notice + had, sizeof s->notice - had,
             "%s已为 %lld 个账号的记录按现状加封 / %lld account records sealed as they stand: %s "
             "(check them: 'account list', 'audit verify')",
             had ? "; " : "", (long long)n, (long long)n, names);
    return e;
}

/* The store holds names, masked ID numbers and employment records: owner only, whatever the
 * umask. SQLite gives its -wal, -shm and -journal files the database's mode; files left by an
 * older release are narrowed too. */
static enum tc_err private_files(const char *path, bool create)
{
    if (create) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return errno == EEXIST ? TC_ERR_EXISTS : TC_ERR_IO;
        int rc = fchmod(fd, 0600);
        close(fd);
        if (rc != 0)
            return TC_ERR_IO;
    }
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) && chmod(p, 0600) != 0)
            return TC_ERR_IO;
    }
    return TC_OK;
}

/* Whoever can write the store's file can also write triggers into it, and a trigger runs inside
 * the statement that fires it: one that rewrote a session's account or an account's password hash
 * just as titlecert writes the row would have it sealed by titlecert. On titlecert's own
 * connection no trigger runs (its own are guards for other tools: the register and the audit log
 * are append-only by MAC and chain, not by trigger), the schema cannot be written through
 * PRAGMAs, and functions in the schema do nothing with side effects. */
static void harden(sqlite3 *db)
{
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
}

static enum tc_err open_db(struct tc_store *s, const char *path, int flags)
{
    if (!(flags & SQLITE_OPEN_READONLY)) {
        enum tc_err e = private_files(path, flags & SQLITE_OPEN_CREATE);
        if (e != TC_OK)
            return e;
    }
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
        return s->db ? db_error(s) : TC_ERR_NOMEM;
    sqlite3_busy_timeout(s->db, 5000);
    harden(s->db);
    if (flags & SQLITE_OPEN_READONLY) {
        /* a WAL store on read-only media has no -shm to map: then read it as immutable */
        if (schema_version(s) < 0) {
            sqlite3_close(s->db);
            s->db = NULL;
            char *uri = sqlite3_mprintf("file:%s?immutable=1", path);
            if (!uri)
                return TC_ERR_NOMEM;
            int rc = sqlite3_open_v2(uri, &s->db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL);
            sqlite3_free(uri);
            if (rc != SQLITE_OK)
                return s->db ? db_error(s) : TC_ERR_NOMEM;
            harden(s->db);
        }
        return check_schema(s, false);
    }
    /* no foreign-key actions either: a table rebuilt in the file with ON DELETE ... SET DEFAULT
     * would otherwise rewrite a record inside titlecert's transaction (titlecert's own writes keep
     * the references, and declares no action) */
    if (tc_store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=OFF; "
                         "PRAGMA synchronous=FULL") != TC_OK)
        return TC_ERR_STORE;
    enum tc_err e = check_schema(s, flags & SQLITE_OPEN_CREATE);
    return e == TC_OK ? migrate(s) : e;
}

void tc_store_set_msg(struct tc_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof s->msg, fmt, ap);
    va_end(ap);
}

static enum tc_err meta_get(struct tc_store *s, const char *key, void **val, size_t *len);

enum tc_err tc_store_meta_get(struct tc_store *s, const char *key, void **val, size_t *len)
{
    return meta_get(s, key, val, len);
}

static enum tc_err meta_get(struct tc_store *s, const char *key, void **val, size_t *len)
{
    sqlite3_stmt *st;
    enum tc_err e = tc_store_query(s, &st, "SELECT value FROM meta WHERE key = ?", "t", key);
    if (e != TC_OK)
        return e;
    e = TC_ERR_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        *val = malloc((size_t)n + 1);
        if (*val) {
            memcpy(*val, sqlite3_column_blob(st, 0), (size_t)n);
            ((char *)*val)[n] = '\0';
            *len = (size_t)n;
            e = TC_OK;
        } else {
            e = TC_ERR_NOMEM;
        }
    }
    sqlite3_finalize(st);
    return e;
}

enum tc_err tc_store_meta_set(struct tc_store *s, const char *key, const void *val, size_t len)
{
    return tc_store_run(s, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", "tb", key, val,
                        len);
}

enum tc_err tc_store_init(const char *path, const char *profile_json, size_t len,
                          const struct tc_store_keys *keys, const char **why)
{
    return tc_store_init_mode(path, profile_json, len, keys, 0, why);
}

enum tc_err tc_store_init_mode(const char *path, const char *profile_json, size_t len,
                               const struct tc_store_keys *keys, unsigned mode, const char **why)
{
    if (mode & ~(TC_STORE_WORKFLOW | TC_STORE_DEMO) ||
        ((mode & TC_STORE_DEMO) && !(mode & TC_STORE_WORKFLOW)))
        return TC_ERR_ARG;
    struct tc_profile p;
    enum tc_err e = tc_profile_parse(&p, profile_json, len, why);
    if (e != TC_OK)
        return e;
    if (access(path, F_OK) == 0)
        return TC_ERR_EXISTS;
    struct tc_store s;
    memset(&s, 0, sizeof s);
    sqlite3_stmt *ev = NULL;
    if ((e = open_db(&s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) == TC_OK &&
        (e = tc_store_exec(&s, "BEGIN IMMEDIATE")) == TC_OK) {
        uint8_t h[32];
        s.keys = keys;
        crypto_hash_sha256(h, (const uint8_t *)profile_json, len);
        load_reg_size(&s);
        if ((e = tc_store_meta_set(&s, "profile", profile_json, len)) == TC_OK &&
            (e = tc_store_meta_set(&s, "key_check", keys->check, 32)) == TC_OK &&
            (!(mode & TC_STORE_WORKFLOW) ||
             (e = tc_store_meta_set(&s, "workflow", "1", 1)) == TC_OK) &&
            (!(mode & TC_STORE_DEMO) || (e = tc_store_meta_set(&s, "demo", "1", 1)) == TC_OK) &&
            (e = tc_store_log_data(&s, TC_REG_DATA_PROFILE, h,
                                   tc_beijing_day((uint64_t)time(NULL)))) == TC_OK &&
            /* made with sealed records: an upgrade never seals its accounts as they stand */
            (e = tc_store_event(&s, &ev, (int64_t)time(NULL), "records_sealed", 0,
                                "{\"accounts\":0}")) == TC_OK)
            e = tc_store_exec(&s, "COMMIT");
        else
            tc_store_exec(&s, "ROLLBACK");
        sqlite3_finalize(s.reg_add);
    }
    sqlite3_finalize(ev);
    if (e != TC_OK && why)
        *why = "could not create the store";
    sqlite3_close(s.db);
    if (e != TC_OK)
        unlink(path);
    return e;
}

static enum tc_err workflow_on(struct tc_store *s, void *ctx)
{
    uint64_t now = *(const uint64_t *)ctx;
    sqlite3_stmt *ev = NULL;
    enum tc_err e = tc_store_meta_set(s, "workflow", "1", 1);
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "workflow_enabled", 0, "{\"by\":\"(host)\"}");
    sqlite3_finalize(ev);
    return e;
}

enum tc_err tc_store_workflow_enable(struct tc_store *s, uint64_t now)
{
    if (!s->keys)
        return TC_ERR_ARG;
    if (tc_store_workflow(s))
        return TC_ERR_EXISTS;
    return tc_store_tx(s, workflow_on, &now);
}

/* keys are the store's (its key_check): then the store holds them */
static enum tc_err keys_match(struct tc_store *s, const struct tc_store_keys *keys)
{
    void *check = NULL;
    size_t clen = 0;
    enum tc_err e = meta_get(s, "key_check", &check, &clen);
    if (e != TC_OK)
        return e;
    bool same = clen == 32 && sodium_memcmp(check, keys->check, 32) == 0;
    free(check);
    if (!same) {
        snprintf(s->msg, sizeof s->msg, "this hash key is not the store's");
        return TC_ERR_PASSPHRASE;
    }
    s->keys = keys;
    return TC_OK;
}

enum tc_err tc_store_migrate(const char *path, const struct tc_store_keys *keys, bool reseal,
                             char *backup, size_t backup_size, int *from, int *to, char *why,
                             size_t why_size)
{
    *from = *to = SCHEMA_VERSION;
    backup[0] = '\0';
    if (why && why_size)
        why[0] = '\0'; /* every early return says nothing more than its code */
    if (access(path, F_OK) != 0)
        return TC_ERR_NOT_FOUND;
    struct tc_store s;
    memset(&s, 0, sizeof s);
    s.reseal = reseal;
    enum tc_err e = TC_OK;
    if (sqlite3_open_v2(path, &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        e = s.db ? db_error(&s) : TC_ERR_NOMEM;
        goto out;
    }
    sqlite3_busy_timeout(s.db, 5000);
    harden(s.db);
    if ((*from = schema_version(&s)) < 0) {
        e = db_error(&s);
        goto out;
    }
    if (*from > SCHEMA_VERSION) {
        e = TC_ERR_SCHEMA;
        goto out;
    }
    if (*from == SCHEMA_VERSION)
        goto out; /* nothing to do */
    if (keys && (e = keys_match(&s, keys)) != TC_OK)
        goto out;
    /* refused before any step: not left half way, at 10 */
    if (*from < 11 && !keys && tc_store_int(&s, 0, "SELECT count(*) FROM accounts", "") > 0) {
        snprintf(s.msg, sizeof s.msg, "%s", SEALS_NEED_KEY);
        e = TC_ERR_ARG;
        goto out;
    }
    if (*from < 11 && keys && *from >= 1 && (e = seal_allowed(&s)) != TC_OK)
        goto out;
    /* the backup first, with SQLite's online backup API: a consistent copy, mode 0600 */
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(backup, backup_size, "%s.schema%d-%s.bak", path, *from, when);
    int fd = open(backup, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = TC_ERR_IO;
        goto out;
    }
    close(fd);
    sqlite3 *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = sqlite3_open_v2(backup, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK && (b = sqlite3_backup_init(dst, "main", s.db, "main")) != NULL) {
        rc = sqlite3_backup_step(b, -1);
        rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    } else {
        rc = SQLITE_ERROR;
    }
    if (rc != SQLITE_OK) {
        snprintf(s.msg, sizeof s.msg, "(backup to %s: %s)", backup, dst ? sqlite3_errmsg(dst) : "open");
        sqlite3_close(dst);
        unlink(backup);
        e = TC_ERR_STORE;
        goto out;
    }
    sqlite3_close(dst);
    if ((e = tc_store_exec(&s, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=OFF; "
                               "PRAGMA synchronous=FULL")) == TC_OK &&
        (e = migrate(&s)) == TC_OK)
        *to = schema_version(&s);
out:
    if (why)
        snprintf(why, why_size, "%s", e != TC_OK ? s.msg : s.notice);
    sqlite3_close(s.db);
    return e;
}

static enum tc_err store_open(struct tc_store **out, const char *path,
                              const struct tc_store_keys *keys, int flags);

enum tc_err tc_store_open(struct tc_store **out, const char *path, const struct tc_store_keys *keys)
{
    return store_open(out, path, keys, SQLITE_OPEN_READWRITE);
}

enum tc_err tc_store_open_ro(struct tc_store **out, const char *path, const struct tc_store_keys *keys)
{
    return store_open(out, path, keys, SQLITE_OPEN_READONLY);
}

static enum tc_err store_open(struct tc_store **out, const char *path,
                              const struct tc_store_keys *keys, int flags)
{
    *out = NULL;
    if (access(path, F_OK) != 0)
        return TC_ERR_NOT_FOUND;
    struct tc_store *s = calloc(1, sizeof *s);
    if (!s)
        return TC_ERR_NOMEM;
    enum tc_err e = open_db(s, path, flags);
    void *val = NULL;
    size_t len = 0;
    const char *why;
    if (e != TC_OK)
        goto fail;
    if ((e = meta_get(s, "profile", &val, &len)) != TC_OK)
        goto fail;
    s->profile_json = val;
    if ((e = tc_profile_parse(&s->profile, s->profile_json, len, &why)) != TC_OK)
        goto fail;
    if (keys && (e = keys_match(s, keys)) != TC_OK)
        goto fail;
    /* the chain head */
    sqlite3_stmt *st;
    if ((e = tc_store_prepare(s, "SELECT seq, mac FROM events ORDER BY seq DESC LIMIT 1", &st)) !=
        TC_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
        s->last_seq = sqlite3_column_int64(st, 0);
        memcpy(s->head, sqlite3_column_blob(st, 1), 32);
    }
    sqlite3_finalize(st);
    load_reg_size(s);
    *out = s;
    return TC_OK;
fail:
    tc_store_close(s);
    return e;
}

void tc_store_close(struct tc_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->unit_find);
    sqlite3_finalize(s->reg_add);
    sqlite3_close(s->db);
    free(s->profile_json);
    tc_store_keys_free(s->own_keys);
    free(s);
}

enum tc_err tc_store_keys_load(struct tc_store_keys **out, const char *hash_key, const char *pass,
                               size_t pass_len)
{
    struct tc_secret *hk = NULL;
    *out = NULL;
    enum tc_err e = tc_keys_secret_open(&hk, hash_key, pass, pass_len);
    if (e == TC_OK)
        e = tc_store_keys_derive(out, hk);
    tc_keys_secret_close(hk); /* only the derived subkeys stay */
    return e;
}

enum tc_err tc_store_open_keyed(struct tc_store **out, const char *db, const char *hash_key,
                                const char *pass, size_t pass_len, bool read_only,
                                const char **which)
{
    *out = NULL;
    *which = hash_key;
    struct tc_store_keys *keys = NULL;
    enum tc_err e = tc_store_keys_load(&keys, hash_key, pass, pass_len);
    if (e == TC_OK) {
        *which = db;
        e = read_only ? tc_store_open_ro(out, db, keys) : tc_store_open(out, db, keys);
    }
    if (e != TC_OK) {
        tc_store_keys_free(keys);
        return e;
    }
    (*out)->own_keys = keys;
    return TC_OK;
}

enum tc_err tc_store_holder_hash(const struct tc_store *s, const char *idno, uint8_t out[32])
{
    if (!s->keys)
        return TC_ERR_ARG;
    if (!tc_idno_valid(idno))
        return TC_ERR_CODE;
    crypto_generichash(out, 32, (const uint8_t *)idno, TC_IDNO_LEN, s->keys->holder, 32);
    return TC_OK;
}

/* ---- audit chain --------------------------------------------------------------------------- */

/* v into h as 8 bytes, least significant first */
static void update_u64(crypto_generichash_state *h, uint64_t v)
{
    uint8_t num[8];
    for (int i = 0; i < 8; i++)
        num[i] = (uint8_t)(v >> (8 * i));
    crypto_generichash_update(h, num, 8);
}

static void event_mac(uint8_t out[32], const uint8_t key[32], const uint8_t prev[32], int64_t seq,
                      int64_t at, const char *kind, uint64_t cert, const char *detail)
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, 32);
    crypto_generichash_update(&h, prev, 32);
    update_u64(&h, (uint64_t)seq);
    update_u64(&h, (uint64_t)at);
    crypto_generichash_update(&h, (const uint8_t *)kind, strlen(kind) + 1);
    update_u64(&h, cert);
    crypto_generichash_update(&h, (const uint8_t *)detail, strlen(detail));
    crypto_generichash_final(&h, out, 32);
}

/* The events as event_row_mac reads them: seq, at, kind, cert, detail, mac. */
#define EVENT_ROWS "SELECT seq, at, kind, cert, detail, mac FROM events "

/* The MAC an event row of EVENT_ROWS should carry after prev (a NULL kind or detail as ""). */
static void event_row_mac(const struct tc_store *s, sqlite3_stmt *st, const uint8_t prev[32],
                          uint8_t out[32])
{
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    const char *detail = (const char *)sqlite3_column_text(st, 4);
    event_mac(out, s->keys->audit, prev, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
              kind ? kind : "", (uint64_t)sqlite3_column_int64(st, 3), detail ? detail : "");
}

/* Appends an event; the caller holds the transaction. On rollback the caller must reload the
 * head (tc_store_reload_head). */
enum tc_err tc_store_event(struct tc_store *s, sqlite3_stmt **cache, int64_t at, const char *kind,
                           uint64_t cert, const char *detail)
{
    if (!s->keys)
        return TC_ERR_ARG;
    enum tc_err e;
    if (!*cache && (e = tc_store_prepare(s, "INSERT INTO events(seq, at, kind, cert, detail, mac) "
                                            "VALUES(?, ?, ?, ?, ?, ?)",
                                         cache)) != TC_OK)
        return e;
    uint8_t mac[32];
    int64_t seq = s->last_seq + 1;
    event_mac(mac, s->keys->audit, s->head, seq, at, kind, cert, detail);
    if ((e = tc_store_bind(s, *cache, "iitith", seq, at, kind, (int64_t)cert, detail, mac)) !=
            TC_OK ||
        (e = tc_store_step_done(s, *cache)) != TC_OK)
        return e;
    s->last_seq = seq;
    memcpy(s->head, mac, 32);
    return TC_OK;
}

static enum tc_err reg_insert(struct tc_store *s, const struct tc_reg_leaf *l, uint64_t *idx);

enum tc_err tc_store_log_data(struct tc_store *s, uint64_t what, const uint8_t hash[32],
                              int32_t day)
{
    struct tc_reg_leaf l;
    memset(&l, 0, sizeof l);
    l.kind = TC_REG_DATA, l.id = what, l.day = day;
    memcpy(l.hash, hash, TC_REG_HASH);
    return reg_insert(s, &l, NULL);
}

/* Schema 6: the profile and the unit directory as they are, logged; a new store (no profile yet)
 * logs its profile when it is created (tc_store_init). */
static enum tc_err data_backfill(struct tc_store *s)
{
    void *profile = NULL;
    size_t len = 0;
    uint8_t h[32];
    load_reg_size(s);
    enum tc_err e = meta_get(s, "profile", &profile, &len);
    int32_t today = tc_beijing_day((uint64_t)time(NULL));
    if (e == TC_ERR_NOT_FOUND)
        return TC_OK;
    if (e == TC_OK) {
        crypto_hash_sha256(h, profile, len);
        e = tc_store_log_data(s, TC_REG_DATA_PROFILE, h, today);
    }
    free(profile);
    if (e == TC_OK && (e = tc_store_units_digest(s, h)) == TC_OK)
        e = tc_store_log_data(s, TC_REG_DATA_UNITS, h, today);
    sqlite3_finalize(s->reg_add);
    s->reg_add = NULL;
    return e;
}

static void load_reg_size(struct tc_store *s)
{
    sqlite3_stmt *st;
    s->reg_size = 0;
    if (tc_store_prepare(s, "SELECT coalesce(max(idx) + 1, 0) FROM register", &st) != TC_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        s->reg_size = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
}

enum tc_err tc_store_tx(struct tc_store *s, enum tc_err (*fn)(struct tc_store *, void *),
                        void *ctx)
{
    enum tc_err e = tc_store_exec(s, "BEGIN IMMEDIATE");
    if (e != TC_OK)
        return e;
    return tc_store_end(s, fn(s, ctx));
}

enum tc_err tc_store_end(struct tc_store *s, enum tc_err e)
{
    if (e == TC_OK)
        e = tc_store_exec(s, "COMMIT");
    if (e != TC_OK) {
        tc_store_exec(s, "ROLLBACK");
        tc_store_reload_head(s);
    }
    return e;
}

void tc_store_reload_head(struct tc_store *s)
{
    sqlite3_stmt *st;
    load_reg_size(s);
    s->last_seq = 0;
    memset(s->head, 0, 32);
    if (tc_store_prepare(s, "SELECT seq, mac FROM events ORDER BY seq DESC LIMIT 1", &st) != TC_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
        s->last_seq = sqlite3_column_int64(st, 0);
        memcpy(s->head, sqlite3_column_blob(st, 1), 32);
    }
    sqlite3_finalize(st);
}

enum tc_err tc_audit_verify_from(struct tc_store *s, int64_t from, uint64_t limit,
                                 const uint8_t prev[32], struct tc_audit_span *out)
{
    memset(out, 0, sizeof *out);
    out->last = from - 1;
    if (!s->keys || from < 1)
        return TC_ERR_ARG;
    sqlite3_stmt *st;
    enum tc_err e = tc_store_query(s, &st, EVENT_ROWS "WHERE seq >= ? ORDER BY seq LIMIT ?", "ii",
                                   from, limit ? (int64_t)limit : -1);
    if (e != TC_OK)
        return e;
    uint8_t mac[32];
    memcpy(out->mac, prev, 32);
    int64_t expect = from;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        event_row_mac(s, st, out->mac, mac);
        out->count++;
        if (seq != expect || sqlite3_column_bytes(st, 5) != 32 ||
            sodium_memcmp(mac, sqlite3_column_blob(st, 5), 32) != 0) {
            out->bad = (uint64_t)(seq != expect ? expect : seq);
            break;
        }
        memcpy(out->mac, mac, 32);
        out->last = seq;
        expect++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(s);
    return TC_OK;
}

enum tc_err tc_audit_verify(struct tc_store *s, uint64_t *count, uint64_t *bad, uint8_t head[32])
{
    static const uint8_t none[32];
    struct tc_audit_span sp;
    enum tc_err e = tc_audit_verify_from(s, 1, 0, none, &sp);
    *count = sp.count, *bad = sp.bad;
    if (e == TC_OK && head)
        memcpy(head, sp.mac, 32);
    return e;
}

enum tc_err tc_store_event_mac(struct tc_store *s, int64_t seq, uint8_t mac[32])
{
    static const uint8_t none[32];
    if (seq == 0) {
        memcpy(mac, none, 32);
        return TC_OK;
    }
    sqlite3_stmt *st;
    enum tc_err e = tc_store_query(s, &st, "SELECT mac FROM events WHERE seq = ?", "i", seq);
    if (e != TC_OK)
        return e;
    e = TC_ERR_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(mac, sqlite3_column_blob(st, 0), 32);
        e = TC_OK;
    }
    sqlite3_finalize(st);
    return e;
}

enum tc_err tc_store_state_mac(const struct tc_store *s, const void *const *parts,
                               const size_t *lens, size_t n, uint8_t out[32])
{
    if (!s->keys)
        return TC_ERR_ARG;
    crypto_generichash_state h;
    crypto_generichash_init(&h, s->keys->state, 32, 32);
    for (size_t i = 0; i < n; i++)
        crypto_generichash_update(&h, parts[i], lens[i]);
    crypto_generichash_final(&h, out, 32);
    return TC_OK;
}

enum tc_err tc_store_seal_row(const struct tc_store *s, const char *domain, sqlite3_stmt *q, int n,
                              uint64_t extra, uint8_t out[32])
{
    if (!s->keys)
        return TC_ERR_ARG;
    crypto_generichash_state h;
    crypto_generichash_init(&h, s->keys->seal, 32, 32);
    crypto_generichash_update(&h, (const uint8_t *)domain, strlen(domain) + 1);
    /* each column as its type, then its length and bytes, or its integer: a NULL, an empty
     * text, a 0 and a blob cannot be taken for one another, nor two columns' bytes moved */
    for (int i = 0; i < n; i++) {
        int type = sqlite3_column_type(q, i);
        uint8_t t = (uint8_t)type;
        crypto_generichash_update(&h, &t, 1);
        if (type == SQLITE_INTEGER) {
            update_u64(&h, (uint64_t)sqlite3_column_int64(q, i));
        } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
            const uint8_t *b = type == SQLITE_TEXT ? sqlite3_column_text(q, i)
                                                   : sqlite3_column_blob(q, i);
            int len = sqlite3_column_bytes(q, i);
            update_u64(&h, (uint64_t)len);
            if (len > 0)
                crypto_generichash_update(&h, b, (size_t)len);
        } else if (type == SQLITE_FLOAT) {
            double d = sqlite3_column_double(q, i);
            crypto_generichash_update(&h, (const uint8_t *)&d, sizeof d);
        }
    }
    update_u64(&h, extra);
    crypto_generichash_final(&h, out, 32);
    return TC_OK;
}

enum tc_err tc_store_event_genuine(struct tc_store *s, int64_t seq)
{
    if (!s->keys || seq < 1)
        return TC_ERR_ARG;
    sqlite3_stmt *st;
    enum tc_err e =
        tc_store_query(s, &st, EVENT_ROWS "WHERE seq IN (?, ?) ORDER BY seq", "ii", seq - 1, seq);
    if (e != TC_OK)
        return e;
    uint8_t prev[32] = {0}, mac[32];
    e = TC_ERR_INCONSISTENT;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 5) != 32)
            break;
        if (sqlite3_column_int64(st, 0) == seq - 1) {
            memcpy(prev, sqlite3_column_blob(st, 5), 32);
            continue;
        }
        event_row_mac(s, st, prev, mac); /* the row of seq: seq - 1's was the one before */
        if (sodium_memcmp(mac, sqlite3_column_blob(st, 5), 32) == 0)
            e = TC_OK;
    }
    sqlite3_finalize(st);
    return e;
}

enum tc_err tc_store_leaf_at(struct tc_store *s, uint64_t idx, struct tc_reg_leaf *l)
{
    sqlite3_stmt *st;
    enum tc_err e =
        tc_store_query(s, &st, "SELECT leaf FROM register WHERE idx = ?", "i", (int64_t)idx);
    if (e != TC_OK)
        return e;
    e = TC_ERR_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW)
        e = tc_reg_leaf_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), l);
    sqlite3_finalize(st);
    return e;
}

sqlite3_stmt **tc_store_unit_find_stmt(struct tc_store *s)
{
    return &s->unit_find;
}

void tc_store_head(const struct tc_store *s, int64_t *seq, uint8_t head[32])
{
    *seq = s->last_seq;
    memcpy(head, s->head, 32);
}

/* ---- the register (A3) ---------------------------------------------------------------------- */

static enum tc_err reg_insert(struct tc_store *s, const struct tc_reg_leaf *l, uint64_t *idx)
{
    uint8_t buf[TC_REG_LEAF_MAX], h[TC_REG_HASH];
    size_t len;
    enum tc_err e = tc_reg_leaf_encode(l, buf, &len);
    if (e != TC_OK)
        return e;
    tc_reg_leaf_hash(h, buf, len);
    if (!s->reg_add &&
        (e = tc_store_prepare(s, "INSERT INTO register(idx, leaf, hash) VALUES(?, ?, ?)",
                              &s->reg_add)) != TC_OK)
        return e;
    /* buf and h are bound in place: the statement is stepped before they go */
    if ((e = tc_store_bind(s, s->reg_add, "ibh", (int64_t)s->reg_size, buf, len, h)) != TC_OK ||
        (e = tc_store_step_done(s, s->reg_add)) != TC_OK)
        return e;
    if (idx)
        *idx = s->reg_size;
    s->reg_size++;
    return TC_OK;
}

enum tc_err tc_store_register(struct tc_store *s, const struct tc_reg_leaf *l, uint64_t *idx)
{
    return reg_insert(s, l, idx);
}

uint64_t tc_store_register_size(const struct tc_store *s)
{
    return s->reg_size;
}

/* Schema 4 registers what a store already holds, in the order it was issued: an issue leaf per
 * certificate (its day the day of its issued_at, the only date known), then the supersessions
 * and revocations of its present status. */
static enum tc_err register_backfill(struct tc_store *s)
{
    sqlite3_stmt *q, *up;
    load_reg_size(s);
    enum tc_err e = tc_store_prepare(s, "SELECT id, payload, kid, issued_at, coalesce(batch, 0) "
                                        "FROM certificates ORDER BY rid", &q);
    if (e != TC_OK)
        return e;
    if ((e = tc_store_prepare(s, "UPDATE certificates SET reg_leaf = ? WHERE id = ?", &up)) != TC_OK) {
        sqlite3_finalize(q);
        return e;
    }
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tc_reg_leaf l;
        memset(&l, 0, sizeof l);
        l.kind = TC_REG_ISSUE;
        l.id = (uint64_t)sqlite3_column_int64(q, 0);
        crypto_hash_sha256(l.hash, sqlite3_column_blob(q, 1), (unsigned long long)sqlite3_column_bytes(q, 1));
        if (sqlite3_column_bytes(q, 2) == 8)
            memcpy(l.kid, sqlite3_column_blob(q, 2), 8);
        l.day = tc_beijing_day((uint64_t)sqlite3_column_int64(q, 3));
        l.other = (uint64_t)sqlite3_column_int64(q, 4);
        uint64_t idx;
        if ((e = reg_insert(s, &l, &idx)) == TC_OK &&
            (e = tc_store_bind(s, up, "ii", (int64_t)idx, (int64_t)l.id)) == TC_OK)
            e = tc_store_step_done(s, up);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(up);
    if (e != TC_OK)
        return e;
    if ((e = tc_store_prepare(s, "SELECT id, status, coalesce(successor, 0), coalesce(status_day, 0), "
                                 "coalesce(reason, 'other') FROM certificates WHERE status != 'valid' "
                                 "ORDER BY rid", &q)) != TC_OK)
        return e;
    while (e == TC_OK && sqlite3_step(q) == SQLITE_ROW) {
        struct tc_reg_leaf l;
        memset(&l, 0, sizeof l);
        const char *status = (const char *)sqlite3_column_text(q, 1);
        l.id = (uint64_t)sqlite3_column_int64(q, 0);
        l.day = sqlite3_column_int(q, 3);
        if (strcmp(status, "superseded") == 0) {
            l.kind = TC_REG_SUPERSEDE;
            l.other = (uint64_t)sqlite3_column_int64(q, 2);
        } else {
            l.kind = TC_REG_REVOKE;
            snprintf(l.reason, sizeof l.reason, "%s", (const char *)sqlite3_column_text(q, 4));
        }
        e = reg_insert(s, &l, NULL);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(s->reg_add);
    s->reg_add = NULL;
    return e;
}

/* ---- seals (A4) ----------------------------------------------------------------------------- */

enum tc_err tc_seal_set(struct tc_store *s, const uint8_t kid[TC_KID_BYTES], const char *organiser,
                        const uint8_t *image, size_t len, uint64_t now, char *why, size_t why_size)
{
    bool svg;
    enum tc_err e;
    size_t olen = strlen(organiser);
    if (olen == 0 || olen > 180 || !tc_text_visible((const uint8_t *)organiser, olen)) {
        snprintf(why, why_size, "the organiser's name must be 1 to 180 bytes of visible text");
        return TC_ERR_TEXT;
    }
    if ((e = tc_pdf_seal_check(image, len, &svg, why, why_size)) != TC_OK)
        return e;
    sqlite3_stmt *ev = NULL;
    if ((e = tc_store_exec(s, "BEGIN IMMEDIATE")) != TC_OK)
        return e;
    e = tc_store_run(s,
                     "INSERT OR REPLACE INTO seals(kid, organiser, image, svg, at) "
                     "VALUES(?, ?, ?, ?, ?)",
                     "btbii", kid, (size_t)TC_KID_BYTES, organiser, image, len, (int64_t)svg,
                     (int64_t)now);
    char hex[TC_KID_BYTES * 2 + 1], hh[65], detail[200];
    uint8_t h[32];
    sodium_bin2hex(hex, sizeof hex, kid, TC_KID_BYTES);
    crypto_hash_sha256(h, image, len);
    sodium_bin2hex(hh, sizeof hh, h, 32);
    snprintf(detail, sizeof detail, "{\"kid\":\"%s\",\"%s_sha256\":\"%s\"}", hex, svg ? "svg" : "png", hh);
    if (e == TC_OK)
        e = tc_store_event(s, &ev, (int64_t)now, "seal_set", 0, detail);
    e = tc_store_end(s, e);
    sqlite3_finalize(ev);
    return e;
}

enum tc_err tc_seal_get(struct tc_store *s, const uint8_t kid[TC_KID_BYTES], char *organiser,
                        size_t organiser_size, uint8_t **image, size_t *len, bool *svg)
{
    sqlite3_stmt *q;
    *image = NULL, *len = 0;
    enum tc_err e = tc_store_row(s, &q, "SELECT organiser, image, svg FROM seals WHERE kid = ?",
                                 "b", kid, (size_t)TC_KID_BYTES);
    if (e != TC_OK)
        return e;
    snprintf(organiser, organiser_size, "%s", (const char *)sqlite3_column_text(q, 0));
    int n = sqlite3_column_bytes(q, 1);
    if ((*image = malloc(n > 0 ? (size_t)n : 1)) != NULL) {
        memcpy(*image, sqlite3_column_blob(q, 1), (size_t)n);
        *len = (size_t)n;
        *svg = sqlite3_column_int(q, 2) != 0;
    }
    sqlite3_finalize(q);
    return *image ? TC_OK : TC_ERR_NOMEM;
}

/* ---- refusals ------------------------------------------------------------------------------ */

#define REFUSALS_KEPT 1000

void tc_refusals_add(struct tc_refusals *r, size_t line, const char *rule, const char *field,
                     const char *fmt, ...)
{
    r->total++;
    if (r->n == REFUSALS_KEPT)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct tc_refusal *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return;
        r->v = v;
        r->cap = cap;
    }
    struct tc_refusal *x = &r->v[r->n++];
    x->line = line;
    snprintf(x->rule, sizeof x->rule, "%s", rule ? rule : "");
    snprintf(x->field, sizeof x->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
}

void tc_refusals_free(struct tc_refusals *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

enum tc_err tc_cert_batch_of(struct tc_store *s, uint64_t id, int64_t *batch)
{
    sqlite3_stmt *st;
    enum tc_err e = tc_store_query(
        s, &st, "SELECT coalesce(batch, 0) FROM certificates WHERE id = ?", "i", (int64_t)id);
    if (e != TC_OK)
        return e;
    e = TC_ERR_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *batch = sqlite3_column_int64(st, 0);
        e = TC_OK;
    }
    sqlite3_finalize(st);
    return e;
}

enum tc_err tc_batch_certs(struct tc_store *s, int64_t batch, uint64_t **ids, size_t *n)
{
    sqlite3_stmt *st;
    *ids = NULL, *n = 0;
    enum tc_err e = tc_store_query(
        s, &st, "SELECT id FROM certificates WHERE batch = ? ORDER BY id", "i", batch);
    if (e != TC_OK)
        return e;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *grown = realloc(*ids, cap * sizeof **ids);
            if (!grown) {
                e = TC_ERR_NOMEM;
                break;
            }
            *ids = grown;
        }
        (*ids)[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
    if (e == TC_OK && rc != SQLITE_DONE)
        e = db_error(s);
    sqlite3_finalize(st);
    if (e == TC_OK && *n == 0)
        e = TC_ERR_NOT_FOUND;
    if (e != TC_OK) {
        free(*ids);
        *ids = NULL, *n = 0;
    }
    return e;
}

enum tc_err tc_cert_events(struct tc_store *s, uint64_t id,
                           void (*fn)(void *ctx, int64_t seq, const char *when, const char *kind,
                                      const char *detail),
                           void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT seq, datetime(at, 'unixepoch', '+8 hours'), kind, "
                                   "detail FROM events WHERE cert = ? ORDER BY seq",
                                   "i", (int64_t)id);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW)
        fn(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
           (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3));
    sqlite3_finalize(q);
    return TC_OK;
}
