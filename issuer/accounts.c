/*
 * accounts.c - the people of a department's issuance (ISSUANCE.md "Roles"): accounts with
 * Argon2id password hashes, roles, and the invariants that keep one person from doing what the
 * policy gives to several (三员分立 plus four eyes):
 *   - an admin holds no other role; an auditor holds no other role; nobody is clerk and approver;
 *     a custodian may also be a clerk or an approver (the per-item rules in workflow.c stop the
 *     same person preparing, approving and signing one batch);
 *   - roles are given by one admin and take effect when a second admin confirms; only the first
 *     two admins are made on the host without one (the bootstrap, said in DECISIONS.md);
 *   - five failed passwords lock an account for fifteen minutes.
 * Every change and every sign-in, failed or not, is an audit event naming the account.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"

static const char *const role_names[] = {"clerk", "approver", "custodian", "auditor", "admin"};
static const char *const role_names_zh[] = {"录入员", "审核员", "密钥保管员", "审计员",
                                            "系统管理员"};
#define N_ROLES 5

const char *tc_role_name(unsigned role, bool zh)
{
    for (unsigned i = 0; i < N_ROLES; i++)
        if (role == 1u << i)
            return zh ? role_names_zh[i] : role_names[i];
    return "?";
}

bool tc_roles_parse(const char *list, unsigned *roles)
{
    *roles = 0;
    char buf[128];
    if (!list || strlen(list) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned i = 0;
        while (i < N_ROLES && strcmp(t, role_names[i]) != 0)
            i++;
        if (i == N_ROLES)
            return false;
        *roles |= 1u << i;
    }
    return *roles != 0;
}

void tc_roles_format(unsigned roles, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < N_ROLES; i++)
        if (roles & (1u << i))
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
                                  role_names[i]);
}

const char *tc_roles_check(unsigned roles)
{
    if (!roles || roles >= (1u << N_ROLES))
        return "没有可用的角色 / no known role";
    if ((roles & TC_ROLE_ADMIN) && roles != TC_ROLE_ADMIN)
        return "系统管理员不兼任其他角色 / an admin holds no other role";
    if ((roles & TC_ROLE_AUDITOR) && roles != TC_ROLE_AUDITOR)
        return "审计员不兼任其他角色 / an auditor holds no other role";
    if ((roles & TC_ROLE_CLERK) && (roles & TC_ROLE_APPROVER))
        return "录入员与审核员不能是同一人 / a clerk may not also be an approver";
    return NULL;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || n >= TC_ACCOUNT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-' || name[i] == '_' || name[i] == '.'))
            return false;
    return true;
}

/* NULL when `by` acts as an admin, else why not (refused): disabling an account leaves its roles
 * in place, so a disabled admin still holds the role and must be stopped here. */
static const char *not_admin(const struct tc_account *by, const char *refusal)
{
    if (by->disabled)
        return "账号已停用 / the account is disabled";
    return by->roles & TC_ROLE_ADMIN ? NULL : refusal;
}

static enum tc_err event(struct tc_store *s, uint64_t now, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum tc_err event(struct tc_store *s, uint64_t now, const char *kind, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    sqlite3_stmt *ev = NULL;
    enum tc_err e = tc_store_event(s, &ev, (int64_t)now, kind, 0, detail);
    sqlite3_finalize(ev);
    return e;
}

/* ---- the seal over each account's record (schema 11) ---------------------------------------- */

/* What the seal covers: every column that signing in, a lock, an enrolment or the second factor
 * reads (columns 0 to 12), and (as extra) the roles (column 14). The MAC's key is derived from the
 * hash key, which whoever can write the store's file does not hold: a password hash, a factor set
 * off, a lock lifted or a role written in by hand is refused. A record put back whole from an
 * earlier copy is not (the seal has no counter): signing checks roles against the audit chain for
 * that (workflow.c). One statement reads it all: what is checked is what is used, not a second
 * read that a write between the two could change. */
#define ACCOUNT_ROW                                                                               \
    "SELECT id, name, display, pw_hash, enrol_hash, enrol_half_by, totp_secret, totp_on, "        \
    "totp_step, disabled, failures, locked_until, created_at, seal, (SELECT group_concat(role) " \
    "FROM account_roles WHERE account = accounts.id) FROM accounts WHERE "
enum { A_ID, A_NAME, A_DISPLAY, A_PW, A_ENROL, A_HALF_BY, A_TOTP, A_TOTP_ON, A_TOTP_STEP,
       A_DISABLED, A_FAILURES, A_LOCKED, A_CREATED, A_SEAL, A_ROLES };
#define SEALED_COLUMNS A_SEAL

/* The record of the account named name (or, name NULL, of id), stepped to its row in *q for the
 * caller to read and finalize; *sealed whether it matches its seal (true without the hash key:
 * then nothing acts, it is read only), *roles its roles, mac (may be NULL) the seal it should
 * carry. TC_ERR_NOT_FOUND without one. */
static enum tc_err account_row(struct tc_store *s, const char *name, int64_t id, sqlite3_stmt **q,
                               bool *sealed, unsigned *roles, uint8_t mac[32])
{
    uint8_t m[32];
    enum tc_err e = name ? tc_store_row(s, q, ACCOUNT_ROW "name = ?", "t", name)
                         : tc_store_row(s, q, ACCOUNT_ROW "id = ?", "i", id);
    if (e != TC_OK)
        return e;
    const char *list = (const char *)sqlite3_column_text(*q, A_ROLES);
    bool parsed = tc_roles_parse(list, roles) || !list; /* no role yet: 0 */
    if (!tc_store_secrets_key(s)) {
        *sealed = true;
        return TC_OK;
    }
    if ((e = tc_store_seal_row(s, "account", *q, SEALED_COLUMNS, *roles, m)) != TC_OK) {
        sqlite3_finalize(*q);
        *q = NULL;
        return e;
    }
    *sealed = parsed && sqlite3_column_bytes(*q, A_SEAL) == 32 &&
              sodium_memcmp(sqlite3_column_blob(*q, A_SEAL), m, 32) == 0;
    if (mac)
        memcpy(mac, m, 32);
    return TC_OK;
}

static enum tc_err seal_of(struct tc_store *s, int64_t id, uint8_t mac[32], bool *matches)
{
    sqlite3_stmt *q;
    unsigned roles;
    enum tc_err e = account_row(s, NULL, id, &q, matches, &roles, mac);
    if (e == TC_OK)
        sqlite3_finalize(q);
    return e;
}

enum tc_err tc_account_sealed(struct tc_store *s, int64_t id)
{
    uint8_t mac[32];
    bool matches;
    enum tc_err e = seal_of(s, id, mac, &matches);
    return e != TC_OK ? e : matches ? TC_OK : TC_ERR_INCONSISTENT;
}

enum tc_err tc_account_reseal(struct tc_store *s, int64_t id)
{
    uint8_t mac[32];
    bool matches;
    enum tc_err e = seal_of(s, id, mac, &matches);
    return e != TC_OK ? e
                      : tc_store_run(s, "UPDATE accounts SET seal = ? WHERE id = ?", "hi", mac, id);
}

_Static_assert(TC_ACCT_PW == 1u << A_PW && TC_ACCT_LOCKED == 1u << A_LOCKED &&
                   TC_ACCT_TOTP == 1u << A_TOTP && TC_ACCT_ROLES == 1u << A_ROLES,
               "TC_ACCT_* are the columns of ACCOUNT_ROW");

/* Each sealed column of the record as a short digest of its type and value, the roles, and the
 * seal the record as it stands should carry. */
struct snapshot {
    uint8_t col[SEALED_COLUMNS][16];
    unsigned roles;
    uint8_t mac[32];
};

static enum tc_err snapshot(struct tc_store *s, int64_t id, struct snapshot *x, bool *sealed)
{
    sqlite3_stmt *q;
    enum tc_err e = account_row(s, NULL, id, &q, sealed, &x->roles, x->mac);
    if (e != TC_OK)
        return e;
    for (int i = 0; i < SEALED_COLUMNS; i++) {
        uint8_t t = (uint8_t)sqlite3_column_type(q, i);
        int64_t v = sqlite3_column_int64(q, i);
        const void *b = sqlite3_column_blob(q, i);
        crypto_generichash_state h;
        crypto_generichash_init(&h, NULL, 0, 16);
        crypto_generichash_update(&h, &t, 1);
        if (t == SQLITE_INTEGER)
            crypto_generichash_update(&h, (const uint8_t *)&v, sizeof v);
        else if (b)
            crypto_generichash_update(&h, b, (size_t)sqlite3_column_bytes(q, i));
        crypto_generichash_final(&h, x->col[i], 16);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

struct sealed {
    int64_t id;
    unsigned writes;
    enum tc_err (*fn)(struct tc_store *, void *);
    void *ctx;
};

static enum tc_err sealed_run(struct tc_store *s, void *ctx)
{
    struct sealed *x = ctx;
    struct snapshot before, after;
    bool sealed;
    if (!tc_store_secrets_key(s)) /* nothing is sealed, nor changed, without the hash key */
        return TC_ERR_ARG;
    enum tc_err e = snapshot(s, x->id, &before, &sealed);
    if (e == TC_OK && !sealed)
        e = TC_ERR_INCONSISTENT;
    if (e == TC_OK)
        e = x->fn(s, x->ctx);
    if (e != TC_OK || (e = snapshot(s, x->id, &after, &sealed)) != TC_OK)
        return e;
    /* what titlecert did not write is as it was: no column the file's schema makes change with
     * another (generated, defaulted, rewritten) gets sealed */
    for (int i = 0; i < SEALED_COLUMNS; i++)
        if (!(x->writes & (1u << i)) && memcmp(before.col[i], after.col[i], 16) != 0)
            return TC_ERR_INCONSISTENT;
    if (!(x->writes & TC_ACCT_ROLES) && before.roles != after.roles)
        return TC_ERR_INCONSISTENT;
    /* sealed as read just now, not read a third time */
    return tc_store_run(s, "UPDATE accounts SET seal = ? WHERE id = ?", "hi", after.mac, x->id);
}

enum tc_err tc_account_sealed_tx(struct tc_store *s, int64_t id, unsigned writes,
                                 enum tc_err (*fn)(struct tc_store *, void *), void *ctx)
{
    struct sealed x = {id, writes, fn, ctx};
    return tc_store_tx(s, sealed_run, &x);
}

const char TC_ACCOUNT_SEAL_BROKEN[] =
    "账号记录与其封印不符：存储文件在 titlecert 之外被改动过，请联系系统管理员 / the account's "
    "record does not match its seal: the store's file was changed outside titlecert";

/* The account (by name, or by id when name is NULL) as its sealed record has it, and (pw may be
 * NULL) its password hash ("" for none) from the same row: TC_ERR_INCONSISTENT, a->altered set,
 * when the record does not match its seal. */
static enum tc_err account_get(struct tc_store *s, const char *name, int64_t id,
                               struct tc_account *a, char pw[crypto_pwhash_STRBYTES])
{
    sqlite3_stmt *q;
    bool sealed;
    memset(a, 0, sizeof *a);
    enum tc_err e = account_row(s, name, id, &q, &sealed, &a->roles, NULL);
    if (e != TC_OK)
        return e;
    a->id = sqlite3_column_int64(q, A_ID);
    snprintf(a->name, sizeof a->name, "%s", (const char *)sqlite3_column_text(q, A_NAME));
    snprintf(a->display, sizeof a->display, "%s", (const char *)sqlite3_column_text(q, A_DISPLAY));
    a->disabled = sqlite3_column_int(q, A_DISABLED) != 0;
    a->has_password = sqlite3_column_type(q, A_PW) != SQLITE_NULL;
    a->locked_until = (uint64_t)sqlite3_column_int64(q, A_LOCKED);
    a->half_by = sqlite3_column_int64(q, A_HALF_BY);
    a->awaiting_half = a->half_by != 0 && !a->has_password;
    a->code_withdrawn = !a->has_password && sqlite3_column_type(q, A_ENROL) == SQLITE_NULL;
    if (pw)
        snprintf(pw, crypto_pwhash_STRBYTES, "%s",
                 a->has_password ? (const char *)sqlite3_column_text(q, A_PW) : "");
    sqlite3_finalize(q);
    /* what the record says counts only under its seal */
    a->altered = !sealed;
    return sealed ? TC_OK : TC_ERR_INCONSISTENT;
}

enum tc_err tc_account_find(struct tc_store *s, const char *name, struct tc_account *a)
{
    return account_get(s, name, 0, a, NULL);
}

enum tc_err tc_account_factor(struct tc_store *s, int64_t id, uint8_t *secret, size_t cap,
                              size_t *len, bool *on, int64_t *step)
{
    sqlite3_stmt *q;
    bool sealed;
    unsigned roles;
    enum tc_err e = account_row(s, NULL, id, &q, &sealed, &roles, NULL);
    if (e != TC_OK)
        return e;
    int n = sqlite3_column_bytes(q, A_TOTP);
    *len = (size_t)n;
    if ((size_t)n <= cap && n > 0)
        memcpy(secret, sqlite3_column_blob(q, A_TOTP), (size_t)n);
    *on = sqlite3_column_int(q, A_TOTP_ON) != 0;
    *step = sqlite3_column_int64(q, A_TOTP_STEP);
    sqlite3_finalize(q);
    return sealed ? TC_OK : TC_ERR_INCONSISTENT;
}

static int64_t count_admins(struct tc_store *s)
{
    /* every admin there ever was, disabled too: disabling one does not reopen the bootstrap */
    return tc_store_int(s, -1, "SELECT count(*) FROM account_roles WHERE role = 'admin'", "");
}

int64_t tc_account_admins(struct tc_store *s)
{
    return count_admins(s);
}

struct add {
    const char *name, *display, *password;
    unsigned roles;
    const struct tc_account *by;
    uint64_t now;
    char code[TC_ENROL_CODE_LEN + 1];
    int64_t id;
    const char **why;
};

static enum tc_err set_roles(struct tc_store *s, int64_t id, unsigned roles, uint64_t now)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_run(s, "DELETE FROM account_roles WHERE account = ?", "i", id);
    if (e != TC_OK ||
        (e = tc_store_prepare(s,
                              "INSERT INTO account_roles(account, role, granted_at) VALUES(?, "
                              "?, ?)",
                              &q)) != TC_OK)
        return e;
    for (unsigned i = 0; e == TC_OK && i < N_ROLES; i++)
        if (roles & (1u << i) &&
            (e = tc_store_bind(s, q, "iti", id, role_names[i], (int64_t)now)) == TC_OK)
            e = tc_store_step_done(s, q);
    sqlite3_finalize(q);
    return e;
}

static enum tc_err propose(struct tc_store *s, const struct tc_account *by, const char *name,
                           unsigned roles, uint64_t now, int64_t *id, const char **why);

/* An enrolment code, or half of one: n characters a person can read aloud, shown once, kept as a
 * hash. The host's code is whole, hash H(code); an admin's is made in two halves by two admins,
 * H(first) when added or reset, H(H(first) || second) once the second is given. */
static void enrol_code(char *out, size_t n, uint8_t hash[32])
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[n] = '\0';
    crypto_generichash(hash, 32, (const uint8_t *)out, n, NULL, 0);
}

/* The hash a whole code has once its second half follows the first (whose hash is first). */
static void enrol_joined(uint8_t out[32], const uint8_t first[32], const char *second)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, first, 32);
    crypto_generichash_update(&st, (const uint8_t *)second, TC_ENROL_HALF_LEN);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
}

static const char FIRST_TWO_ADMINS[] =
    "除最初两名系统管理员外，账号须由系统管理员添加、另一名系统管理员确认 / after the first two "
    "admins, an admin adds accounts and a second admin confirms their roles";

static enum tc_err add_tx(struct tc_store *s, void *ctx)
{
    struct add *x = ctx;
    char pw[crypto_pwhash_STRBYTES], roles[96];
    uint8_t code_hash[32];
    /* the bootstrap's two admins counted again inside the transaction: two hosts adding at
     * once cannot make three */
    int64_t admins = x->by ? 0 : count_admins(s);
    if (admins < 0 || admins >= 2) {
        *x->why = FIRST_TWO_ADMINS;
        return TC_ERR_REFUSED;
    }
    if (x->password &&
        crypto_pwhash_str(pw, x->password, strlen(x->password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return TC_ERR_NOMEM;
    /* an admin's account: the first half, the second from another admin */
    enrol_code(x->code, x->by ? TC_ENROL_HALF_LEN : TC_ENROL_CODE_LEN, code_hash);
    /* without a password, pw_hash is NULL: the person sets one with the enrolment code */
    /* every column given: none takes a default the file's schema may have been given */
    enum tc_err e = tc_store_insert(s, &x->id,
                                    "INSERT INTO accounts(name, display, pw_hash, enrol_hash, "
                                    "created_at, enrol_half_by, totp_secret, totp_on, totp_step, "
                                    "disabled, failures, locked_until) VALUES(?, ?, ?, ?, ?, "
                                    "nullif(?, 0), NULL, 0, 0, 0, 0, 0)",
                                    "tttbii", x->name, x->display, x->password ? pw : NULL,
                                    code_hash, sizeof code_hash, (int64_t)x->now,
                                    x->by ? x->by->id : 0);
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(code_hash, sizeof code_hash);
    tc_roles_format(x->roles, roles, sizeof roles);
    /* nothing left waiting for the new id (roles or sessions written in for the next id before
     * it was made) is sealed with it: the bootstrap's roles, or none until a second admin */
    if (e == TC_OK)
        e = set_roles(s, x->id, x->by ? 0 : x->roles, x->now);
    if (e == TC_OK)
        e = tc_session_end_account(s, x->id);
    if (e == TC_OK) /* sealed as made */
        e = tc_account_reseal(s, x->id);
    if (e == TC_OK && x->by) /* anyone else: roles wait for a second admin */
        e = propose(s, x->by, x->name, x->roles, x->now, NULL, x->why);
    if (e == TC_OK)
        e = event(s, x->now, "account_add",
                  "{\"account\":\"%s\",\"roles\":\"%s\",\"by\":\"%s\",\"sealed\":1}", x->name,
                  roles, x->by ? x->by->name : "(host)");
    return e;
}

enum tc_err tc_account_add(struct tc_store *s, const char *name, const char *display,
                           unsigned roles, const char *password, const struct tc_account *by,
                           uint64_t now, char code[TC_ENROL_CODE_LEN + 1], int64_t *id,
                           const char **why)
{
    struct tc_account old;
    *why = NULL;
    if (!name_ok(name))
        return *why = "账号名为 2 至 63 个小写字母、数字或 - _ . / an account name is 2 to 63 "
                      "lower-case letters, digits or - _ .",
               TC_ERR_ARG;
    if (!display || !*display || strlen(display) >= TC_ACCOUNT_DISPLAY_MAX ||
        !tc_text_visible((const uint8_t *)display, strlen(display)))
        return *why = "姓名不可为空 / the person's name is required", TC_ERR_ARG;
    if ((*why = tc_roles_check(roles)) != NULL)
        return TC_ERR_REFUSED;
    if (password && strlen(password) < TC_PASSWORD_MIN)
        return *why = "口令至少 12 个字符 / a password has at least 12 characters", TC_ERR_ARG;
    if (tc_account_find(s, name, &old) == TC_OK)
        return *why = "账号已存在 / the account exists", TC_ERR_EXISTS;
    if (!by && roles != TC_ROLE_ADMIN) /* the host's first two admins: counted in add_tx */
        return *why = FIRST_TWO_ADMINS, TC_ERR_REFUSED;
    if (by && (*why = not_admin(by, "只有系统管理员可以添加账号 / only an admin adds accounts")))
        return TC_ERR_REFUSED;
    if (by && password)
        return *why = "系统管理员添加的账号由本人用登记码设置口令 / the person sets the password of "
                      "an account an admin adds, with its enrolment code",
               TC_ERR_REFUSED;
    struct add x = {name, display, password, roles, by, now, {0}, 0, why};
    enum tc_err e = tc_store_tx(s, add_tx, &x);
    if (e == TC_OK) {
        memcpy(code, x.code, sizeof x.code);
        if (id)
            *id = x.id;
    }
    sodium_memzero(x.code, sizeof x.code);
    return e;
}

struct change {
    const struct tc_account *by;
    int64_t id;
    uint64_t now;
    const char **why;
};

static enum tc_err propose(struct tc_store *s, const struct tc_account *by, const char *name,
                           unsigned roles, uint64_t now, int64_t *id, const char **why)
{
    struct tc_account a;
    char list[96];
    *why = NULL;
    if ((*why = not_admin(by, "只有系统管理员可以更改角色 / only an admin changes roles")))
        return TC_ERR_REFUSED;
    if ((*why = tc_roles_check(roles)) != NULL)
        return TC_ERR_REFUSED;
    if (tc_account_find(s, name, &a) != TC_OK)
        return *why = "没有这个账号 / no such account", TC_ERR_NOT_FOUND;
    tc_roles_format(roles, list, sizeof list);
    int64_t cid = 0;
    enum tc_err e = tc_store_insert(s, &cid,
                                    "INSERT INTO role_changes(account, roles, proposed_by, "
                                    "proposed_at, state) VALUES(?, ?, ?, ?, 'pending')",
                                    "itii", a.id, list, by->id, (int64_t)now);
    if (e != TC_OK)
        return e; /* *id untouched: no change was recorded */
    if (id)
        *id = cid;
    return event(s, now, "role_change_proposed",
                 "{\"change\":%lld,\"account\":\"%s\",\"roles\":\"%s\",\"by\":\"%s\"}",
                 (long long)cid, name, list, by->name);
}

struct proposal {
    const struct tc_account *by;
    const char *name;
    unsigned roles;
    uint64_t now;
    int64_t *id;
    const char **why;
};

static enum tc_err propose_tx(struct tc_store *s, void *ctx)
{
    struct proposal *p = ctx;
    return propose(s, p->by, p->name, p->roles, p->now, p->id, p->why);
}

enum tc_err tc_role_change_propose(struct tc_store *s, const struct tc_account *by,
                                   const char *name, unsigned roles, uint64_t now, int64_t *id,
                                   const char **why)
{
    struct proposal p = {by, name, roles, now, id, why};
    return tc_store_tx(s, propose_tx, &p);
}

struct new_roles {
    int64_t id;
    unsigned roles;
    uint64_t now;
};

static enum tc_err new_roles_run(struct tc_store *s, void *ctx)
{
    struct new_roles *r = ctx;
    return set_roles(s, r->id, r->roles, r->now);
}

/* The account's roles set, inside the caller's transaction, as tc_account_sealed_tx does: the
 * record found sealed, nothing but its roles changed, sealed anew. */
static enum tc_err roles_sealed(struct tc_store *s, int64_t id, unsigned roles, uint64_t now)
{
    struct new_roles r = {id, roles, now};
    struct sealed x = {id, TC_ACCT_ROLES, new_roles_run, &r};
    return sealed_run(s, &x);
}

/* The last role_change_proposed event for change id names this account, these roles and this
 * proposer, and is genuine (its MAC in the chain). */
static bool proposal_genuine(struct tc_store *s, int64_t id, const char *account, const char *roles,
                             const char *by)
{
    int64_t seq = tc_store_int(s, 0,
                               "SELECT seq FROM events WHERE kind = 'role_change_proposed' AND "
                               "json_valid(detail) AND json_extract(detail, '$.change') = ?1 "
                               "ORDER BY seq DESC LIMIT 1",
                               "i", id);
    return seq > 0 &&
           tc_store_int(s, 0,
                        "SELECT 1 FROM events WHERE seq = ?1 AND json_extract(detail, '$.account') "
                        "= ?2 AND json_extract(detail, '$.roles') = ?3 AND "
                        "json_extract(detail, '$.by') = ?4",
                        "ittt", seq, account, roles, by) == 1 &&
           tc_store_event_genuine(s, seq) == TC_OK;
}

static enum tc_err confirm_tx(struct tc_store *s, void *ctx)
{
    struct change *c = ctx;
    sqlite3_stmt *q;
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT r.account, r.roles, r.proposed_by, a.name, p.name FROM "
                                   "role_changes r JOIN accounts a ON a.id = r.account JOIN "
                                   "accounts p ON p.id = r.proposed_by "
                                   "WHERE r.id = ? AND r.state = 'pending'",
                                   "i", c->id);
    if (e != TC_OK)
        return e;
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return *c->why = "没有待确认的这项变更 / no such pending change", TC_ERR_NOT_FOUND;
    }
    int64_t account = sqlite3_column_int64(q, 0), proposer = sqlite3_column_int64(q, 2);
    unsigned roles = 0;
    char name[TC_ACCOUNT_NAME_MAX], list[96], by[TC_ACCOUNT_NAME_MAX];
    bool parsed = tc_roles_parse((const char *)sqlite3_column_text(q, 1), &roles);
    snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(q, 3));
    snprintf(list, sizeof list, "%s", (const char *)sqlite3_column_text(q, 1));
    snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(q, 4));
    sqlite3_finalize(q);
    if (proposer == c->by->id || strcmp(by, c->by->name) == 0)
        return *c->why = "须由另一名系统管理员确认 / a second admin confirms", TC_ERR_REFUSED;
    const char *unfit = parsed ? tc_roles_check(roles) : "角色不明 / unknown roles";
    if (unfit)
        return *c->why = unfit, TC_ERR_REFUSED;
    /* the change as an admin proposed it: the row against its genuine audit event (a change
     * written into role_changes, "by" another admin, would otherwise be confirmed in good faith,
     * or by the admin who wrote it) */
    if (!proposal_genuine(s, c->id, name, list, by))
        return *c->why = "这项角色变更在审计日志中没有真实的提议，存储被改动过 / this role change "
                         "has no genuine proposal in the audit log: the store was changed",
               TC_ERR_REFUSED;
    if (account == c->by->id)
        return *c->why = "不能确认自己的角色 / an admin does not confirm their own roles",
               TC_ERR_REFUSED;
    if ((e = roles_sealed(s, account, roles, c->now)) == TC_OK)
        e = tc_store_run(s,
                         "UPDATE role_changes SET state = 'confirmed', confirmed_by = ?, "
                         "confirmed_at = ? WHERE id = ?",
                         "iii", c->by->id, (int64_t)c->now, c->id);
    return e != TC_OK ? e
                      : event(s, c->now, "role_change_confirmed",
                              "{\"change\":%lld,\"account\":"
                              "\"%s\",\"roles\":\"%s\",\"by\":\"%s\"}",
                              (long long)c->id, name, list, c->by->name);
}

enum tc_err tc_role_change_confirm_enrol(struct tc_store *s, const struct tc_account *by,
                                         int64_t change, uint64_t now,
                                         char account[TC_ACCOUNT_NAME_MAX],
                                         char half[TC_ENROL_HALF_LEN + 1], const char **why)
{
    sqlite3_stmt *q;
    account[0] = half[0] = '\0';
    if (tc_store_query(s, &q,
                       "SELECT a.name FROM role_changes c JOIN accounts a ON a.id = c.account "
                       "WHERE c.id = ?",
                       "i", change) == TC_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(account, TC_ACCOUNT_NAME_MAX, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    enum tc_err e = tc_role_change_confirm(s, by, change, now, why);
    /* the admin who confirms a new account's roles gives its code's second half; where none
     * waits, or this admin holds the first, tc_account_enrol_half refuses and half stays "" */
    const char *ignored = NULL;
    if (e == TC_OK && account[0])
        tc_account_enrol_half(s, by, account, now, half, &ignored);
    return e;
}

enum tc_err tc_role_change_confirm(struct tc_store *s, const struct tc_account *by, int64_t change,
                                   uint64_t now, const char **why)
{
    *why = NULL;
    if ((*why = not_admin(by, "只有系统管理员可以确认 / only an admin confirms")))
        return TC_ERR_REFUSED;
    struct change c = {by, change, now, why};
    return tc_store_tx(s, confirm_tx, &c);
}

/* ---- signing in ----------------------------------------------------------------------------- */

struct auth {
    const char *name;
    int64_t id;
    bool ok;
    uint64_t now;
    const char *how;
    bool every_factor; /* ok: the password and, when the account has one on, its TOTP code */
};

/* what counting a sign-in writes */
#define AUTH_WRITES (TC_ACCT_FAILURES | TC_ACCT_LOCKED)

static enum tc_err auth_tx(struct tc_store *s, void *ctx)
{
    struct auth *x = ctx;
    /* failures (of passwords and of TOTP codes alike) are cleared only by a sign-in that gave
     * every factor the account has: a password alone at the signer or the CLI does not reset
     * the count a TOTP guesser at the console runs up */
    enum tc_err e =
        x->ok ? tc_store_run(s, "UPDATE accounts SET failures = 0 WHERE id = ? AND (? OR totp_on = 0)",
                             "ii", x->id, (int64_t)x->every_factor)
              /* a lock that ran out starts the count again */
              : tc_store_run(s,
                             "UPDATE accounts SET failures = CASE WHEN "
                             "failures >= ?2 THEN 1 ELSE failures + 1 END, "
                             "locked_until = CASE WHEN failures + 1 >= ?2 AND "
                             "failures < ?2 THEN ?3 ELSE locked_until END "
                             "WHERE id = ?1",
                             "iii", x->id, (int64_t)TC_LOGIN_FAILURES_MAX,
                             (int64_t)(x->now + TC_LOGIN_LOCK_SECONDS));
    return e != TC_OK ? e
                      : event(s, x->now, x->ok ? "sign_in" : "sign_in_failed",
                              "{\"account\":\"%s\",\"how\":\"%s\"}", x->name, x->how);
}

/* The password alone: a failure is counted (and audited), a success changes nothing yet. */
static enum tc_err password_ok(struct tc_store *s, const char *name, const char *password,
                               size_t len, const char *how, uint64_t now, struct tc_account *a,
                               const char **why)
{
    char hash[crypto_pwhash_STRBYTES] = "";
    *why = NULL;
    /* the hash from the row whose seal was checked, not from a second read */
    enum tc_err e = account_get(s, name, 0, a, hash);
    if (e == TC_ERR_NOT_FOUND)
        return *why = "账号或口令不对 / wrong account or password", TC_ERR_PASSPHRASE;
    if (e == TC_ERR_INCONSISTENT)
        *why = TC_ACCOUNT_SEAL_BROKEN;
    if (e != TC_OK)
        return e;
    if (a->disabled)
        return *why = "账号已停用 / the account is disabled", TC_ERR_REFUSED;
    if (a->locked_until > now)
        return *why = "连续输错口令，账号已锁定 15 分钟 / too many wrong passwords: the account is "
                      "locked for 15 minutes",
               TC_ERR_REFUSED;
    if (hash[0] && crypto_pwhash_str_verify(hash, password, len) == 0)
        return TC_OK;
    struct auth x = {name, a->id, false, now, how, false};
    if ((e = tc_account_sealed_tx(s, a->id, AUTH_WRITES, auth_tx, &x)) != TC_OK)
        return e;
    return *why = "账号或口令不对 / wrong account or password", TC_ERR_PASSPHRASE;
}

enum tc_err tc_account_password(struct tc_store *s, const char *name, const char *password,
                                size_t len, const char *how, uint64_t now, struct tc_account *a,
                                const char **why)
{
    return password_ok(s, name, password, len, how, now, a, why);
}

enum tc_err tc_account_signed_in(struct tc_store *s, const struct tc_account *a, const char *how,
                                 uint64_t now)
{
    struct auth x = {a->name, a->id, true, now, how, true};
    return tc_account_sealed_tx(s, a->id, AUTH_WRITES, auth_tx, &x);
}

enum tc_err tc_account_auth(struct tc_store *s, const char *name, const char *password, size_t len,
                            const char *how, uint64_t now, struct tc_account *a, const char **why)
{
    enum tc_err e = password_ok(s, name, password, len, how, now, a, why);
    struct auth x = {name, a->id, true, now, how, false}; /* the password alone */
    return e == TC_OK ? tc_account_sealed_tx(s, a->id, AUTH_WRITES, auth_tx, &x) : e;
}

struct disable {
    const struct tc_account *by;
    const char *name;
    uint64_t now;
};

static enum tc_err disable_tx(struct tc_store *s, void *ctx)
{
    struct disable *d = ctx;
    enum tc_err e =
        tc_store_run(s, "UPDATE accounts SET disabled = 1 WHERE name = ?", "t", d->name);
    return e != TC_OK ? e
                      : event(s, d->now, "account_disable", "{\"account\":\"%s\",\"by\":\"%s\"}",
                              d->name, d->by->name);
}

enum tc_err tc_account_disable(struct tc_store *s, const struct tc_account *by, const char *name,
                               uint64_t now, const char **why)
{
    struct tc_account a;
    *why = NULL;
    if ((*why = not_admin(by, "只有系统管理员可以停用账号 / only an admin disables accounts")))
        return TC_ERR_REFUSED;
    if (tc_account_find(s, name, &a) != TC_OK)
        return *why = "没有这个账号 / no such account", TC_ERR_NOT_FOUND;
    if (a.id == by->id)
        return *why = "不能停用自己的账号 / an admin does not disable their own account",
               TC_ERR_REFUSED;
    struct disable d = {by, name, now};
    return tc_account_sealed_tx(s, a.id, TC_ACCT_DISABLED, disable_tx, &d);
}

enum tc_err tc_account_list(struct tc_store *s, void (*fn)(void *ctx, const struct tc_account *a),
                            void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s, "SELECT name FROM accounts ORDER BY id", &q);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct tc_account a;
        enum tc_err found = tc_account_find(s, (const char *)sqlite3_column_text(q, 0), &a);
        if (found == TC_OK || a.altered) /* an altered one shown as such, for admins to see */
            fn(ctx, &a);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

/* ---- what the signer and the console record of a request ------------------------------------ */

struct note {
    const struct tc_audit_note *n;
    uint64_t now;
};

static enum tc_err note_tx(struct tc_store *s, void *ctx)
{
    const struct note *x = ctx;
    const struct tc_audit_note *n = x->n;
    char roles[128];
    tc_roles_format(n->by ? n->by->roles : 0, roles, sizeof roles);
    /* jansson escapes what a caller passes (an object's name, a refusal's text) */
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "account", n->by ? n->by->name : "(none)",
                          "roles", roles, "object", n->object ? n->object : "", "outcome",
                          n->outcome ? n->outcome : "", "client", n->client ? n->client : "");
    char *detail = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!detail)
        return TC_ERR_NOMEM;
    sqlite3_stmt *ev = NULL;
    enum tc_err e = tc_store_event(s, &ev, (int64_t)x->now, n->action, 0, detail);
    sqlite3_finalize(ev);
    free(detail);
    return e;
}

enum tc_err tc_audit_note(struct tc_store *s, uint64_t now, const struct tc_audit_note *n)
{
    if (!n->action || !*n->action || strlen(n->action) > 48)
        return TC_ERR_ARG;
    struct note x = {n, now};
    return tc_store_tx(s, note_tx, &x);
}

/* ---- enrolment: the person sets their own password with the one-time code ------------------- */

struct enrol {
    int64_t id;
    const char *name;
    char pw[crypto_pwhash_STRBYTES];
    uint64_t now;
    uint8_t checked[32]; /* the code's hash the code was checked against */
};

static enum tc_err enrol_tx(struct tc_store *s, void *ctx)
{
    struct enrol *x = ctx;
    /* a reset or a half given since the check changed the code: this one no longer holds */
    enum tc_err e = tc_store_run_one(s, TC_ERR_INCONSISTENT,
                                     "UPDATE accounts SET pw_hash = ?, enrol_hash = NULL, "
                                     "enrol_half_by = NULL, failures = 0 WHERE id = ? AND pw_hash "
                                     "IS NULL AND enrol_half_by IS NULL AND enrol_hash = ?",
                                     "tih", x->pw, x->id, x->checked);
    return e != TC_OK ? e : event(s, x->now, "account_enrol", "{\"account\":\"%s\"}", x->name);
}

enum tc_err tc_account_enrol(struct tc_store *s, const char *name, const char *code,
                             const char *password, size_t len, uint64_t now, const char **why)
{
    struct tc_account a;
    *why = "账号或登记码不对 / wrong account or enrolment code";
    enum tc_err e = tc_account_find(s, name, &a);
    if (e == TC_ERR_INCONSISTENT)
        *why = TC_ACCOUNT_SEAL_BROKEN;
    if (e != TC_OK)
        return e == TC_ERR_NOT_FOUND ? TC_ERR_PASSPHRASE : e;
    if (a.disabled || a.has_password || a.locked_until > now)
        return *why = a.has_password ? "账号已设置口令 / the account already has a password"
                                     : "账号已停用或锁定 / the account is disabled or locked",
               TC_ERR_REFUSED;
    if (a.code_withdrawn)
        return *why = "此账号的登记码已作废（升级前由一名管理员单独生成）：须重置账号后再登记 / the "
                      "account's enrolment code was withdrawn (made by one admin alone before the "
                      "upgrade): it enrols after a reset",
               TC_ERR_REFUSED;
    if (len < TC_PASSWORD_MIN || len > 1024)
        return *why = "口令为 12 至 1024 个字符 / a password has 12 to 1024 characters", TC_ERR_ARG;
    sqlite3_stmt *q;
    uint8_t stored[32] = {0}, given[32];
    if ((e = tc_store_query(s, &q, "SELECT enrol_hash FROM accounts WHERE id = ?", "i", a.id)) !=
        TC_OK)
        return e;
    bool have = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32;
    if (have)
        memcpy(stored, sqlite3_column_blob(q, 0), 32);
    sqlite3_finalize(q);
    /* the code as typed, without the spaces or hyphens a person puts between its halves */
    char whole[TC_ENROL_CODE_LEN + 1];
    size_t n = 0;
    bool fits = code != NULL;
    for (const char *c = code; fits && *c; c++)
        if (*c != ' ' && *c != '-' && *c != '\t')
            fits = n < TC_ENROL_CODE_LEN ? (whole[n++] = *c, true) : false;
    whole[n] = '\0';
    bool ok = false;
    if (have && fits && n == TC_ENROL_CODE_LEN) {
        uint8_t first[32];
        /* the host's whole code, or an admin's two halves (the first only, before the second is
         * given, matches neither) */
        crypto_generichash(given, 32, (const uint8_t *)whole, n, NULL, 0);
        ok = sodium_memcmp(stored, given, 32) == 0;
        crypto_generichash(first, 32, (const uint8_t *)whole, TC_ENROL_HALF_LEN, NULL, 0);
        enrol_joined(given, first, whole + TC_ENROL_HALF_LEN);
        ok |= !a.awaiting_half && sodium_memcmp(stored, given, 32) == 0;
        sodium_memzero(first, sizeof first);
    }
    sodium_memzero(whole, sizeof whole);
    sodium_memzero(given, sizeof given);
    if (!ok) { /* a wrong code counts as a failed sign-in */
        sodium_memzero(stored, sizeof stored);
        struct auth x = {name, a.id, false, now, "enrol", false};
        tc_account_sealed_tx(s, a.id, AUTH_WRITES, auth_tx, &x);
        return TC_ERR_PASSPHRASE;
    }
    struct enrol x = {a.id, name, "", now, {0}};
    memcpy(x.checked, stored, 32);
    sodium_memzero(stored, sizeof stored);
    if (crypto_pwhash_str(x.pw, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return TC_ERR_NOMEM;
    e = tc_account_sealed_tx(s, a.id, TC_ACCT_PW | TC_ACCT_ENROL | TC_ACCT_HALF_BY | TC_ACCT_FAILURES,
                             enrol_tx, &x);
    sodium_memzero(&x, sizeof x);
    *why = e == TC_ERR_INCONSISTENT ? "登记码已失效（账号刚被重置）/ the enrolment code no longer "
                                      "holds (the account was just reset)"
                                    : NULL;
    return e;
}

/* An act on an account that makes (half) an enrolment code: a reset (by an admin, or by the host
 * when no admin can), a second half */
struct coded {
    const struct tc_account *by; /* NULL: the host */
    int64_t id;
    const char *name;
    uint64_t now;
    char code[TC_ENROL_CODE_LEN + 1];
    const char *why;
};

/* Enrolled, enabled admins other than the accounts a and b. */
static int64_t other_admins(struct tc_store *s, int64_t a, int64_t b)
{
    return tc_store_int(s, -1,
                        "SELECT count(*) FROM accounts c JOIN account_roles r ON r.account = c.id "
                        "AND r.role = 'admin' WHERE c.disabled = 0 AND c.pw_hash IS NOT NULL AND "
                        "c.id != ? AND c.id != ?",
                        "ii", a, b);
}

/* An admin account with neither a password nor a code, which migration 10 marked as one no two
 * admins could reset: the mark is taken (once) */
static bool host_may_reset(struct tc_store *s, int64_t id)
{
    bool yes = tc_store_int(s, 0,
                            "SELECT 1 FROM accounts a JOIN account_roles r ON r.account = a.id AND "
                            "r.role = 'admin' JOIN meta m ON m.key = 'host_reset:' || a.id WHERE "
                            "a.id = ? AND a.pw_hash IS NULL AND a.enrol_hash IS NULL",
                            "i", id) == 1;
    char key[40];
    snprintf(key, sizeof key, "host_reset:%lld", (long long)id);
    return yes && tc_store_run(s, "DELETE FROM meta WHERE key = ?", "t", key) == TC_OK;
}

static enum tc_err reset_tx(struct tc_store *s, void *ctx)
{
    struct coded *x = ctx;
    /* counted here, in the transaction that writes: two resets at once cannot both find the
     * admin the other takes away. An admin's reset needs another enrolled admin to give the
     * second half. The host's (a whole code, as at the bootstrap) is only for an admin whose code
     * migration 10 withdrew where, at the migration, no two admins could reset it (withdraw_codes
     * marked it), and once: disabling an admin afterwards opens nothing */
    if (x->by && other_admins(s, x->by->id, x->id) < 1)
        return x->why = "重置后须由另一名已登记的系统管理员给出登记码后半部分，目前没有：请先增设"
                        "一名系统管理员 / after a reset another enrolled admin gives the second "
                        "half of the code, and there is none: add an admin first",
               TC_ERR_REFUSED;
    if (!x->by && !host_may_reset(s, x->id))
        return x->why = "主机只能重置升级时登记码被作废、且当时没有两名系统管理员可以重置的系统管理员"
                        "账号；其他账号由两名系统管理员重置 / the host resets only an admin account "
                        "whose code the upgrade withdrew when no two admins could reset it; two "
                        "admins reset any other",
               TC_ERR_REFUSED;
    uint8_t code_hash[32];
    enrol_code(x->code, x->by ? TC_ENROL_HALF_LEN : TC_ENROL_CODE_LEN, code_hash);
    enum tc_err e = tc_store_run_one(s, TC_ERR_INCONSISTENT,
                                     "UPDATE accounts SET pw_hash = NULL, enrol_hash = ?, "
                                     "enrol_half_by = nullif(?, 0), totp_secret = NULL, "
                                     "totp_on = 0, totp_step = 0, failures = 0, locked_until = 0 "
                                     "WHERE id = ?",
                                     "hii", code_hash, x->by ? x->by->id : 0, x->id);
    sodium_memzero(code_hash, sizeof code_hash);
    if (e == TC_OK)
        e = tc_session_end_account(s, x->id);
    return e != TC_OK ? e
                      : event(s, x->now, "account_reset", "{\"account\":\"%s\",\"by\":\"%s\"}",
                              x->name, x->by ? x->by->name : "(host)");
}

/* An admin's act on the account `name`: `by` an admin as the store has it now (into *me) and the
 * account (into *a); else the refusal, *why set. */
static enum tc_err admin_and_account(struct tc_store *s, const struct tc_account *by,
                                     const char *name, const char *only_admins,
                                     struct tc_account *me, struct tc_account *a, const char **why)
{
    *why = NULL;
    if (tc_account_by_id(s, by->id, me) != TC_OK || (*why = not_admin(me, only_admins)))
        return *why ? TC_ERR_REFUSED : TC_ERR_NOT_FOUND;
    enum tc_err e = tc_account_find(s, name, a);
    if (e != TC_OK)
        *why = "没有这个账号 / no such account";
    return e;
}

/* Runs fn (reset_tx, half_tx) for me (NULL: the host) on a; the code it made into out (n bytes
 * with its NUL), or its refusal in *why. */
/* a reset writes the credentials anew, a second half the code alone */
#define RESET_WRITES                                                                              \
    (TC_ACCT_PW | TC_ACCT_ENROL | TC_ACCT_HALF_BY | TC_ACCT_TOTP | TC_ACCT_TOTP_ON |             \
     TC_ACCT_TOTP_STEP | TC_ACCT_FAILURES | TC_ACCT_LOCKED)
#define HALF_WRITES (TC_ACCT_ENROL | TC_ACCT_HALF_BY)

static enum tc_err run_coded(struct tc_store *s, enum tc_err (*fn)(struct tc_store *, void *),
                              unsigned writes, const struct tc_account *me,
                              const struct tc_account *a, uint64_t now, char *out, size_t n,
                              const char **why)
{
    struct coded x = {me, a->id, a->name, now, "", NULL};
    enum tc_err e = tc_account_sealed_tx(s, a->id, writes, fn, &x);
    if (e == TC_OK)
        memcpy(out, x.code, n);
    else if (x.why)
        *why = x.why;
    sodium_memzero(x.code, sizeof x.code);
    return e;
}

enum tc_err tc_account_reset(struct tc_store *s, const struct tc_account *by, const char *name,
                             uint64_t now, char code[TC_ENROL_CODE_LEN + 1], const char **why)
{
    struct tc_account a, me;
    enum tc_err e;
    *why = NULL;
    if (!by) { /* the host: a whole code, only where no two admins can reset (reset_tx) */
        if ((e = tc_account_find(s, name, &a)) != TC_OK)
            *why = "没有这个账号 / no such account";
        return e != TC_OK ? e
                          : run_coded(s, reset_tx, RESET_WRITES, NULL, &a, now, code, TC_ENROL_CODE_LEN + 1, why);
    }
    e = admin_and_account(s, by, name, "只有系统管理员可以重置账号 / only an admin resets an account",
                          &me, &a, why);
    if (e != TC_OK)
        return e;
    if (a.id == me.id)
        return *why = "系统管理员不能重置自己的账号：请另一名系统管理员重置 / an admin does not "
                      "reset their own account: another admin does",
               TC_ERR_REFUSED;
    /* the second half needs an admin who is neither this one nor the account (reset_tx): without
     * one the account could never enrol again (and, an admin's, no role change be confirmed) */
    return run_coded(s, reset_tx, RESET_WRITES, &me, &a, now, code, TC_ENROL_HALF_LEN + 1, why);
}

static enum tc_err half_tx(struct tc_store *s, void *ctx)
{
    struct coded *x = ctx;
    sqlite3_stmt *q;
    uint8_t first[32], joined[32];
    /* the first half's holder read here, in the transaction: a reset by the same admin between
     * the caller's check and now would otherwise give it both halves */
    enum tc_err e = tc_store_query(s, &q,
                                   "SELECT enrol_hash, enrol_half_by FROM accounts WHERE id = ? "
                                   "AND pw_hash IS NULL AND enrol_half_by IS NOT NULL",
                                   "i", x->id);
    if (e != TC_OK)
        return e;
    bool have = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32;
    int64_t holder = have ? sqlite3_column_int64(q, 1) : 0;
    if (have)
        memcpy(first, sqlite3_column_blob(q, 0), 32);
    sqlite3_finalize(q);
    if (!have || holder == x->by->id)
        return TC_ERR_INCONSISTENT;
    uint8_t unused[32];
    enrol_code(x->code, TC_ENROL_HALF_LEN, unused);
    enrol_joined(joined, first, x->code);
    e = tc_store_run_one(s, TC_ERR_INCONSISTENT,
                         "UPDATE accounts SET enrol_hash = ?, enrol_half_by = NULL WHERE id = ? "
                         "AND pw_hash IS NULL AND enrol_half_by = ?",
                         "hii", joined, x->id, holder);
    sodium_memzero(first, sizeof first);
    sodium_memzero(joined, sizeof joined);
    sodium_memzero(unused, sizeof unused);
    return e != TC_OK ? e
                      : event(s, x->now, "account_enrol_half",
                              "{\"account\":\"%s\",\"by\":\"%s\"}", x->name, x->by->name);
}

enum tc_err tc_account_enrol_half(struct tc_store *s, const struct tc_account *by,
                                  const char *name, uint64_t now,
                                  char half[TC_ENROL_HALF_LEN + 1], const char **why)
{
    struct tc_account a, me;
    half[0] = '\0';
    enum tc_err e = admin_and_account(
        s, by, name, "只有系统管理员可以给出登记码 / only an admin gives an enrolment code", &me, &a,
        why);
    if (e != TC_OK)
        return e;
    if (!a.awaiting_half)
        return *why = "这个账号没有等待后半部分的登记码 / this account has no enrolment code "
                      "waiting for its second half",
               TC_ERR_NOT_FOUND;
    if (a.half_by == me.id || a.id == me.id)
        return *why = "登记码的两半须由两名系统管理员分别给出：前半部分已由您给出 / two admins give "
                      "the two halves of an enrolment code: you gave the first",
               TC_ERR_REFUSED;
    return run_coded(s, half_tx, HALF_WRITES, &me, &a, now, half, TC_ENROL_HALF_LEN + 1, why);
}

enum tc_err tc_role_changes_pending(struct tc_store *s,
                                    void (*fn)(void *ctx, const struct tc_role_change *c),
                                    void *ctx)
{
    sqlite3_stmt *q;
    enum tc_err e = tc_store_prepare(s,
                                     "SELECT c.id, a.name, c.roles, p.name, c.proposed_at FROM "
                                     "role_changes c JOIN accounts a ON a.id = c.account JOIN "
                                     "accounts p ON p.id = c.proposed_by WHERE c.state = "
                                     "'pending' ORDER BY c.id",
                                     &q);
    if (e != TC_OK)
        return e;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct tc_role_change c;
        memset(&c, 0, sizeof c);
        c.id = sqlite3_column_int64(q, 0);
        snprintf(c.account, sizeof c.account, "%s", (const char *)sqlite3_column_text(q, 1));
        tc_roles_parse((const char *)sqlite3_column_text(q, 2), &c.roles);
        snprintf(c.proposed_by, sizeof c.proposed_by, "%s",
                 (const char *)sqlite3_column_text(q, 3));
        c.proposed_at = (uint64_t)sqlite3_column_int64(q, 4);
        fn(ctx, &c);
    }
    sqlite3_finalize(q);
    return TC_OK;
}

enum tc_err tc_account_failed(struct tc_store *s, const struct tc_account *a, const char *how,
                              uint64_t now)
{
    struct auth x = {a->name, a->id, false, now, how, false};
    return tc_account_sealed_tx(s, a->id, AUTH_WRITES, auth_tx, &x);
}

enum tc_err tc_account_by_id(struct tc_store *s, int64_t id, struct tc_account *a)
{
    return account_get(s, NULL, id, a, NULL);
}
