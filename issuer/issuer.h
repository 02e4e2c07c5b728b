/*
 * issuer.h - the issuer: a SQLite store for one province profile, the basic-level unit
 * directory and the records behind the conversion path, issuance under the rules of RULES.md,
 * conversion (C1-C3, C5), revocation (A2), an append-only hash-chained audit log (A3), and the
 * signed status bundle verifiers load.
 *
 * Store: schema versioned with PRAGMA user_version, WAL, foreign keys on, every change in one
 * transaction together with its audit event. Holders are found by a keyed BLAKE2b hash of their
 * resident ID number; the number itself is never stored, only its mask.
 *
 * Secrets: the store's hash key (a titlecert-keys hash-key file) yields two subkeys, one keying
 * the holder hash, one keying the audit chain's MAC, so the chain cannot be recomputed after an
 * edit without that key.
 *
 * Refusals name their rule: struct tc_refusal carries the rule ID, the field and a sentence.
 */
#ifndef TC_ISSUER_H
#define TC_ISSUER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "keys.h"
#include "publication.h"

#define TC_CSV_MAX_BYTES (256u << 20)
#define TC_CSV_MAX_ROWS 2000000
#define TC_CSV_MAX_FIELD 512
#define TC_BATCH_MAX 1000000
#define TC_APPROVAL_MAX 64

struct sqlite3;
struct tc_store;

/* The two keys derived from the store's hash-key file, in sodium_malloc'd memory. */
struct tc_store_keys;
enum tc_err tc_store_keys_derive(struct tc_store_keys **out, const struct tc_secret *hash_key);
void tc_store_keys_free(struct tc_store_keys *k);
/* The same from the hash-key file (hash_key), decrypted with pass; the key itself is closed at
 * once. Errors as tc_keys_secret_open; TC_ERR_ARG for a key that is not a hash key. */
enum tc_err tc_store_keys_load(struct tc_store_keys **out, const char *hash_key, const char *pass,
                               size_t pass_len);

/* Creates a store for profile_json (validated) at path; refuses an existing file. The hash keys
 * are bound to the store: opening it for writing with another hash key fails. */
enum tc_err tc_store_init(const char *path, const char *profile_json, size_t len,
                          const struct tc_store_keys *keys, const char **why);
/* The same, for a mode fixed at creation: TC_STORE_WORKFLOW issues and revokes only through the
 * workflow (ISSUANCE.md); TC_STORE_DEMO (with it) is a demo store, whose clock
 * TITLECERT_DEMO_CLOCK may move, and which says so on everything it makes. */
#define TC_STORE_WORKFLOW 1u
#define TC_STORE_DEMO 2u
enum tc_err tc_store_init_mode(const char *path, const char *profile_json, size_t len,
                               const struct tc_store_keys *keys, unsigned mode, const char **why);
/* Sets a single-operator store to issue through the workflow from now on (an audit event); one
 * way: nothing turns it back. TC_ERR_EXISTS when it already does. */
enum tc_err tc_store_workflow_enable(struct tc_store *s, uint64_t now);
/* Opens a store, migrating its schema forward. keys may be NULL for read-only use. */
enum tc_err tc_store_open(struct tc_store **out, const char *path, const struct tc_store_keys *keys);
/* The same, read-only (show, audit verify): works on a store on read-only media or a copy. */
enum tc_err tc_store_open_ro(struct tc_store **out, const char *path, const struct tc_store_keys *keys);
/* Upgrades an older store's schema after a backup (SQLite's online backup API) to
 * "<path>.schema<N>-<time>.bak" (0600), named in backup. *from and *to are the versions; nothing
 * is done (backup empty) when the schema is current. keys (the store's, or NULL) are needed to
 * upgrade a store with accounts to schema 11, which seals each account's record as it stands
 * (TC_ERR_ARG without them; TC_ERR_PASSPHRASE for keys of another store), over an audit chain
 * that holds, and once: a store whose records were sealed before (its version set back by hand)
 * is refused (TC_ERR_INCONSISTENT) unless reseal. On failure why (may be
 * NULL) says what SQLite, the backup or the upgrade said; on success, what the upgrade did that
 * someone must act on (the accounts whose enrolment codes schema 10 withdrew), or "". */
enum tc_err tc_store_migrate(const char *path, const struct tc_store_keys *keys, bool reseal,
                             char *backup, size_t backup_size, int *from, int *to, char *why,
                             size_t why_size);
/* Opens a store with its hash-key file (hash_key), decrypted with pass: the two subkeys are
 * derived and kept in sodium_malloc'd memory until tc_store_close, the hash key itself is closed
 * at once. On failure *which is the file the error is about: hash_key (errors as
 * tc_keys_secret_open; TC_ERR_ARG for a key that is not a hash key) or db (as tc_store_open;
 * TC_ERR_PASSPHRASE there: the hash key is not the store's). */
enum tc_err tc_store_open_keyed(struct tc_store **out, const char *db, const char *hash_key,
                                const char *pass, size_t pass_len, bool read_only,
                                const char **which);
void tc_store_close(struct tc_store *s);
/* SQLite's last message for the handle (never holds secrets). */
const char *tc_store_errmsg(const struct tc_store *s);
const struct tc_profile *tc_store_profile(const struct tc_store *s);
const char *tc_store_profile_json(const struct tc_store *s);
struct sqlite3 *tc_store_db(struct tc_store *s);

/* The keyed hash of a resident ID number (after GB 11643 validation). */
enum tc_err tc_store_holder_hash(const struct tc_store *s, const char *idno, uint8_t out[32]);

/* ---- refusals ----------------------------------------------------------------------------- */
struct tc_refusal {
    size_t line;      /* CSV line, 0 when not from a file */
    char rule[8];     /* "D1", "S3", ... or "" for format errors */
    char field[32];
    char msg[512];    /* "中文 / English" */
};
struct tc_refusals {
    struct tc_refusal *v;
    size_t n, cap;
    size_t total; /* how many there were, even past the ones kept */
};
void tc_refusals_add(struct tc_refusals *r, size_t line, const char *rule, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tc_refusals_free(struct tc_refusals *r);
/* Orders the refusals kept by line, stably (a line's own keep their order): a file's field
 * refusals and the rule refusals of its rows, added in two passes, read as one list. */
void tc_refusals_sort(struct tc_refusals *r);

/* ---- CSV (libcsv) ------------------------------------------------------------------------- */
/* Reads a UTF-8 CSV file with a header row; calls row() for each data row with its line number
 * and the fields in the order of `columns` (a missing optional column gives ""). A column is
 * named "english|中文|..." and a header cell may give either name (the English one in any ASCII
 * case), trimmed of spaces; a trailing '?' makes a column optional. Field text must be safe
 * UTF-8 of at most TC_CSV_MAX_FIELD bytes. A leading UTF-8 byte-order mark is dropped; a file in
 * GBK/GB18030 or UTF-16 gets one refusal (line 0) saying how to save it as UTF-8, and no rows.
 * Rows whose every cell is empty are skipped. Rows with a problem are not passed to row().
 * Problems go to refusals; returns TC_ERR_IO/TC_ERR_SIZE_LIMIT for the file itself. */
typedef void (*tc_csv_row_fn)(void *ctx, size_t line, const char *const *fields);
enum tc_err tc_csv_read(const char *path, const char *const *columns, size_t ncolumns,
                        tc_csv_row_fn row, void *ctx, struct tc_refusals *refusals);
enum tc_err tc_csv_read_mem(const char *data, size_t len, const char *const *columns,
                            size_t ncolumns, tc_csv_row_fn row, void *ctx,
                            struct tc_refusals *refusals);

/* ---- directory and records ---------------------------------------------------------------- */
/* Imports units: uscc,name,division,tier,basic_level?,valid_from,valid_to? (docs/CSV.md). The
 * whole file is checked first; nothing is written unless every line is good. */
enum tc_err tc_units_import(struct tc_store *s, const char *path, bool strict_uscc,
                            struct tc_refusals *ref, size_t *imported, size_t *warnings);
/* Employment periods, annual assessments and continuing-education hours (docs/CSV.md). */
enum tc_err tc_records_import(struct tc_store *s, const char *kind, const char *path,
                              struct tc_refusals *ref, size_t *imported);
struct tc_account;
/* The same, by an account: in a store set up for the workflow with an admin, the unit directory
 * takes an admin and the records a clerk (by NULL is refused there, with the store's message);
 * the audit event names the account. */
enum tc_err tc_units_import_as(struct tc_store *s, const struct tc_account *by, const char *path,
                               bool strict_uscc, struct tc_refusals *ref, size_t *imported,
                               size_t *warnings);
enum tc_err tc_records_import_as(struct tc_store *s, const struct tc_account *by,
                                 const char *kind, const char *path, struct tc_refusals *ref,
                                 size_t *imported);

/* A unit as the directory knows it on a day. */
struct tc_unit {
    char uscc[TC_USCC_LEN + 1];
    char name[192];
    uint32_t division; /* 6-digit code of the county (or higher) it belongs to */
    uint32_t township; /* 9-digit township code, or 0 */
    uint8_t tier;
    int basic_flag;    /* -1 unknown, 0 no, 1 yes */
    int32_t valid_from, valid_to; /* valid_to INT32_MAX when open */
};
/* TC_ERR_NOT_FOUND when the directory has no entry for uscc valid on day. */
enum tc_err tc_units_find(struct tc_store *s, const char *uscc, int32_t day, struct tc_unit *u);

/* ---- issuance ----------------------------------------------------------------------------- */
/* Long work reports progress through this: done of total, now and then. */
typedef void (*tc_progress_fn)(void *ctx, size_t done, size_t total);

struct tc_issue_request {
    struct tc_claims claims;  /* id, issued_at, scope (if !scope_given) and conversion filled in */
    char idno[TC_IDNO_LEN + 1];
    bool hashed;              /* the holder is given by its keyed hash, not the ID number */
    uint8_t holder[32];
    bool scope_given;
    char approval[TC_APPROVAL_MAX + 1];
    size_t line;              /* CSV line, for refusals */
    int32_t commitment_end;   /* C6: last day of the township service commitment, 0 for none */
    uint64_t achievement;     /* C5 (GS): the holder's basic-level title counted as an achievement */
};

/* Checks every request against the rules (T1, D1, D2, S3, C4, A1, A2 blacklist) and against the
 * other requests; fills in defaults (scope from the profile, conversion path). Adds a refusal per
 * problem; TC_OK only when there is none. */
enum tc_err tc_issue_check(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                           const struct tc_trust_list *tl, const struct tc_pubkey *issuer,
                           uint64_t now, struct tc_refusals *ref);

/* Issues checked requests in one transaction: ids allocated, each certificate signed, stored
 * and logged. progress(ctx, done, total) is called now and then. All or nothing. */
enum tc_err tc_issue_commit(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                            struct tc_signer *issuer, uint64_t now, const char *source,
                            tc_progress_fn progress, void *ctx);

/* One request from JSON text (at most TC_CLAIMS_JSON_MAX bytes): the claims as
 * tc_claims_from_json reads them, "id_number" (the full resident ID number; only its keyed hash
 * and mask are kept) and "approval" (the decision reference, at most TC_APPROVAL_MAX bytes);
 * scope_given when the JSON names a scope. On failure *field names the member, or is NULL for
 * text that is not JSON and *line the line. */
enum tc_err tc_issue_request_from_json(const char *text, size_t len, struct tc_issue_request *q,
                                       const char **field, int *line);

/* The keyed hash of a request's holder (from the ID number, or as given). */
enum tc_err tc_issue_holder(struct tc_store *s, const struct tc_issue_request *q, uint8_t out[32]);
/* What a caller records in the issuance's own transaction, after the certificates and before
 * COMMIT (the workflow's state): issue_batch is the batch the certificates were stored under. */
struct tc_commit_hook {
    enum tc_err (*fn)(struct tc_store *s, int64_t issue_batch, void *ctx);
    void *ctx;
    uint64_t *reg_start; /* may be NULL: receives the register's size when the transaction began */
};
enum tc_err tc_issue_commit_with(struct tc_store *s, struct tc_issue_request *reqs, size_t n,
                                 struct tc_signer *issuer, uint64_t now, const char *source,
                                 tc_progress_fn progress, void *ctx,
                                 const struct tc_commit_hook *hook);

/* Parses a committee results CSV (docs/CSV.md) into requests (malloc'd): *reqs holds the rows
 * that read well, each with its line; every other row has its refusals (one per bad field) in
 * ref and is left out, so tc_issue_check on *reqs adds the rule refusals of the good rows only,
 * none caused by a bad one. TC_OK even when some rows are refused: a caller issues nothing
 * unless ref is empty after both. Errors are for the file itself (TC_ERR_IO, size). */
enum tc_err tc_issue_read_csv(struct tc_store *s, const char *path, struct tc_issue_request **reqs,
                              size_t *n, struct tc_refusals *ref);

/* ---- certificates ------------------------------------------------------------------------- */
struct tc_cert_row {
    uint64_t id;
    char status[12];     /* valid, revoked, superseded */
    uint64_t successor;
    uint64_t predecessor;
    char reason[TC_REASON_MAX + 1];
    int32_t status_day;
    int32_t commitment_end;   /* C6: last day of the township service commitment, 0 for none */
    uint64_t achievement;     /* C5: the basic-level title its application counted, 0 for none */
    uint8_t payload[TC_CERT_MAX_BYTES];
    size_t payload_len;
};
enum tc_err tc_cert_get(struct tc_store *s, uint64_t id, struct tc_cert_row *row);
/* C5 (CQ §4(十二), GS §3(二)): whether the employment records show the holder of a basic-level
 * title at a basic-level unit on a day, or gone to a unit that is not one. */
enum tc_c5_state { TC_C5_NONE = 0, TC_C5_UNKNOWN, TC_C5_AT_BASIC, TC_C5_LEFT };
struct tc_c5 {
    int state;             /* enum tc_c5_state; NONE for a province-wide title */
    int32_t since;         /* LEFT: the start of the period at the other unit */
    char unit[TC_USCC_LEN + 1];
    char unit_name[192];
};
enum tc_err tc_basic_status(struct tc_store *s, uint64_t id, int32_t day, struct tc_c5 *out);
/* C5 转评: issues the same-level province-wide certificate (method reevaluation, predecessor and
 * tenure carried as for C1) for a valid basic-level title whose holder the records show outside
 * basic level on day at, and supersedes the old one. TC_ERR_REFUSED when they do not. */
enum tc_err tc_reevaluate_commit(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                                 uint16_t committee, struct tc_signer *issuer, uint64_t now,
                                 uint64_t *new_id);

/* ---- output files (outputs.c) ---------------------------------------------------------------- */
/* DIR/<id>.txt (payload), .link, .png (QR code, 4 px a module) and .svg of one certificate, each
 * written whole to a temporary name, fsync'd, renamed, then the directory fsync'd. out receives
 * the link and the QR version; on failure out->failed names the file (or the step) and errno is
 * kept for an I/O error. */
struct tc_cert_files {
    int qr_version;
    char link[TC_LINK_MAX + 1];
    char failed[TC_PATH_MAX + 64];
};
enum tc_err tc_cert_files_write(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                                size_t len, struct tc_cert_files *out);
/* The files of certificates in the store, DIR/<id>.{txt,link,png,svg}, made on `threads`
 * worker threads (0: one for each processor the process may use, tc_cpus_usable, at most 16;
 * r->threads says how many ran at the most) in groups of up to 4,096 certificates: each file is
 * written to a temporary name beside its own, the file system is synced once per group before
 * the files are renamed into place, and the directory once at the end, so a file under its final
 * name is always whole, even after a crash. A certificate whose four files are already there,
 * complete and for the same link, is kept: an interrupted run is resumed by running it again.
 * Stops at the first failure: r->done certificates are written or kept (r->kept of them kept),
 * r->failed_id and r->files.failed say what failed, r->err (and errno) the system's reason for
 * an I/O error. progress (may be NULL) is called from the caller's thread after each group. */
struct tc_render_opts {
    const char *dir, *base;
    int threads;
    tc_progress_fn progress;
    void *ctx;
};
struct tc_render_result {
    size_t done, kept;
    int threads;
    uint64_t failed_id;
    int err;
    struct tc_cert_files files; /* what failed */
};
enum tc_err tc_render_files(struct tc_store *s, const uint64_t *ids, size_t n,
                            const struct tc_render_opts *o, struct tc_render_result *r);

/* A certificate's events from the audit log, oldest first (A3): fn gets each one's sequence
 * number, its time in Beijing ("YYYY-MM-DD HH:MM:SS"), kind and detail (JSON). */
enum tc_err tc_cert_events(struct tc_store *s, uint64_t id,
                           void (*fn)(void *ctx, int64_t seq, const char *when, const char *kind,
                                      const char *detail),
                           void *ctx);

/* The batch a certificate was issued in (0 for one issued alone or by conversion). */
enum tc_err tc_cert_batch_of(struct tc_store *s, uint64_t id, int64_t *batch);
/* The certificate ids of a batch, ascending (malloc'd); TC_ERR_NOT_FOUND for an empty one. */
enum tc_err tc_batch_certs(struct tc_store *s, int64_t batch, uint64_t **ids, size_t *n);

/* A2: revokes a certificate (reason: fraud, error, other; day), optionally blacklisting its
 * holder from that day until `until` (0: open). The record stays. */
enum tc_err tc_revoke(struct tc_store *s, uint64_t id, const char *reason, int32_t day,
                      bool blacklist, const char *bl_reason, int32_t until, uint64_t now);

/* C1: the eligibility of a basic-level certificate for conversion at day `at`. */
struct tc_eligibility {
    int months;            /* cumulative months at basic-level units since the tenure start */
    int months_required;
    bool eligible;
    char shortfalls[8][160]; /* each a sentence in Chinese */
    size_t n_shortfalls;
};
enum tc_err tc_convert_check(struct tc_store *s, uint64_t id, int32_t at, struct tc_eligibility *el);
/* C1/C3: issues the province-wide certificate (same level, tenure carried over) for the unified
 * committee's decision `decision`, and marks the old one superseded, in one transaction.
 * Refuses (TC_ERR_REFUSED) when not eligible. */
enum tc_err tc_convert_commit(struct tc_store *s, uint64_t id, int32_t at, const char *decision,
                              uint16_t committee, struct tc_signer *issuer, uint64_t now,
                              uint64_t *new_id);

/* ---- audit (A3) --------------------------------------------------------------------------- */
/* Walks the chain: every event's MAC and link. *bad is the first bad event's sequence number (0 if
 * none), *count the events, *head the last MAC. */
enum tc_err tc_audit_verify(struct tc_store *s, uint64_t *count, uint64_t *bad, uint8_t head[32]);

/* ---- status bundle ------------------------------------------------------------------------ */
/* Signs a bundle: trust list, revoked and superseded ids, unit directory, profile, title table,
 * version (one more than the last export), issued_at, audit head, and the register: a signed
 * checkpoint of all its leaves, the index of registered certificates and consistency proofs from
 * earlier checkpoints (A3). The key must be endorsed in the trust list for status publication and
 * for register checkpoints (TC_AUTHZ_STATUS | TC_AUTHZ_REGISTER). A trust list newer than the
 * last one logged is logged first. origin: the register's name, fixed by the first export (NULL:
 * the store's, or register.titlecert.invalid/<province>). */
struct tc_reg_edge;
struct tc_export {
    uint8_t *bundle; /* malloc'd */
    size_t len;
    uint64_t version;
    char *checkpoint; /* the signed note, malloc'd */
    uint64_t register_size;
    /* the signed delta from the previous export, when only register events changed since (the
     * trust list, units, profile and title table are the same): malloc'd, or NULL */
    uint8_t *delta;
    size_t delta_len;
    uint64_t delta_from;
    uint8_t sha256[32];       /* the bundle's */
    bool full_check;          /* the whole register and audit chain were read and checked */
    uint8_t root[32];         /* the register's root at register_size, as the checkpoint signs */
    /* the register's right edge from the previous checkpoint to this one, what the tiles that
     * change are written from (tc_register_publish); malloc'd, or NULL */
    struct tc_reg_edge *edge;
    /* the index's chunk files the bundle names that were not known to be in chunk_dir: written
     * (tc_export_write_chunks) before the bundle */
    struct tc_index_chunks chunks;
};
enum tc_err tc_bundle_export(struct tc_store *s, const uint8_t *trust_list, size_t trust_len,
                             const struct tc_trust_list *tl, struct tc_signer *key,
                             const char *origin, uint64_t now, struct tc_export *out);
/* The same with its options. The first export of a store reads the whole register and audit
 * chain and every certificate row, and keeps what the next needs (schema 8); the next ones read
 * what was added since, a rolling window of the rest and O(log n) kept hashes, so the
 * register's part of their time follows what was added (docs/DECISIONS.md "Re-publishing and
 * batch outputs": what is checked each time and what is not). full_check reads and checks
 * everything again, as a first export. */
struct tc_cosigning;
/* What the signer last published, kept in its own record out of the store's reach (A3): the
 * next publication must start from exactly that checkpoint (the store's last one, of that size
 * and root) and take the next bundle version. Without it the store's own checkpoints table and
 * version are trusted, and whoever can write the store's file can delete them. */
struct tc_publish_anchor {
    uint64_t size, version;
    uint8_t root[32];
};
struct tc_publish_vouch; /* below, with tc_register_vouch */
struct tc_export_opts {
    const uint8_t *trust; /* the trust list's bytes, and parsed */
    size_t trust_len;
    const struct tc_trust_list *tl;
    struct tc_signer *key;
    const char *origin;
    uint64_t now;
    bool full_check;
    const struct tc_cosigning *cosign; /* the witnesses to co-sign the checkpoint, or NULL */
    /* where the chunk files of earlier publications are: a complete chunk the store's MACed state
     * names and whose file is there is neither encoded nor hashed again (NULL: every chunk is) */
    const char *chunk_dir;
    const struct tc_publish_anchor *anchor; /* NULL: none (the CLI, a signer's first) */
    const struct tc_publish_vouch *vouch;   /* NULL: what is added is not checked so */
};
enum tc_err tc_bundle_export_with(struct tc_store *s, const struct tc_export_opts *o,
                                  struct tc_export *out);
/* Writes out's new chunk files into dir (named by tc_chunk_name, each whole, synced). On failure
 * *failed names the file. */
enum tc_err tc_export_write_chunks(const struct tc_export *out, const char *dir, char *failed,
                                   size_t size);
void tc_export_free(struct tc_export *x);
/* The witnesses an export asks to co-sign its checkpoint (cosign.c, C2SP tlog-witness): after
 * the checkpoint is signed and before the bundle is, so that the bundle, its delta, the head and
 * the checkpoint file all carry the co-signed note. */
struct tc_witness_reply;
struct tc_cosigning {
    const struct tc_cosigner_set *set; /* each witness with its URL; set->quorum at least 1 */
    struct tc_witness_reply *reply;    /* set->n replies, what each witness did; NULL: not kept */
};
/* tc_bundle_export with the checkpoint co-signed by the witnesses of w (NULL: as
 * tc_bundle_export). With fewer than w's quorum of verified co-signatures the export is refused,
 * TC_ERR_REFUSED, and rolled back: no version, checkpoint or size is kept, and the store's
 * message says how many co-signed and why the first that did not. The size each witness holds
 * is kept in the store with the export, for its next consistency proof. */
enum tc_err tc_bundle_export_witnessed(struct tc_store *s, const uint8_t *trust_list,
                                       size_t trust_len, const struct tc_trust_list *tl,
                                       struct tc_signer *key, const char *origin, uint64_t now,
                                       const struct tc_cosigning *w, struct tc_export *out);

/* ---- accounts and roles (accounts.c; ISSUANCE.md "Roles") ----------------------------------- */
#define TC_ROLE_CLERK 1u     /* 录入员: prepares batches, starts 公示, records objections, proposes */
#define TC_ROLE_APPROVER 2u  /* 审核员: approves or rejects, resolves objections */
#define TC_ROLE_CUSTODIAN 4u /* 密钥保管员: unlocks the signer, starts signing */
#define TC_ROLE_AUDITOR 8u   /* 审计员: reads everything, changes nothing */
#define TC_ROLE_ADMIN 16u    /* 系统管理员: accounts, roles (with a second admin), calendar */
#define TC_ACCOUNT_NAME_MAX 64
#define TC_ACCOUNT_DISPLAY_MAX 96
#define TC_PASSWORD_MIN 12
#define TC_ENROL_CODE_LEN 20
#define TC_ENROL_HALF_LEN 10 /* an admin-made code: one half from each of two admins */
#define TC_LOGIN_FAILURES_MAX 5
#define TC_LOGIN_LOCK_SECONDS (15 * 60)

struct tc_account {
    int64_t id;
    char name[TC_ACCOUNT_NAME_MAX];
    char display[TC_ACCOUNT_DISPLAY_MAX];
    unsigned roles; /* TC_ROLE_* */
    bool disabled, has_password;
    uint64_t locked_until;
    /* an admin added or reset it and its code's second half is not yet given (by another admin
     * than half_by, the one who holds the first: tc_account_enrol_half) */
    bool awaiting_half;
    int64_t half_by;
    /* no password and no code: a whole code an admin made before codes came in halves, withdrawn
     * by migration 10; only a reset (two halves) lets it enrol */
    bool code_withdrawn;
    /* the record does not match its seal (written outside titlecert): tc_account_find refuses
     * it, tc_account_list shows it so */
    bool altered;
};
/* Each account's record (credentials, lock, roles) is sealed with the store's key (schema 11):
 * tc_account_find and everything that signs in refuse a record that does not match its seal
 * (TC_ERR_INCONSISTENT), and this is what they say (zh / en). */
extern const char TC_ACCOUNT_SEAL_BROKEN[];
/* "clerk" ... "admin" (or in Chinese) for one role bit; "?" for anything else. */
const char *tc_role_name(unsigned role, bool zh);
/* "clerk,custodian" -> bits; false for an unknown name or none. */
bool tc_roles_parse(const char *list, unsigned *roles);
void tc_roles_format(unsigned roles, char *out, size_t size);
/* NULL when an account may hold these roles together, else why not (zh / en): an admin or an
 * auditor holds no other role, and nobody is clerk and approver. */
const char *tc_roles_check(unsigned roles);

/* Adds an account: name (2-63 of a-z 0-9 - _ .), the person's name, roles, a password (at least
 * TC_PASSWORD_MIN characters; NULL: set at the first sign-in with the enrolment code). by is the
 * admin adding it, whose roles for it then wait for a second admin (tc_role_change_confirm); by
 * NULL is the host's bootstrap, allowed only for the first two admins. code receives the one-time
 * enrolment code (kept hashed): the host's whole code (TC_ENROL_CODE_LEN characters); an admin's
 * only its first half (TC_ENROL_HALF_LEN), the second coming from another admin
 * (tc_account_enrol_half), and an admin sets no password, so that no admin alone can enrol the
 * account as someone else. TC_ERR_REFUSED with *why (zh / en) for a rule. Audited. */
enum tc_err tc_account_add(struct tc_store *s, const char *name, const char *display,
                           unsigned roles, const char *password, const struct tc_account *by,
                           uint64_t now, char code[TC_ENROL_CODE_LEN + 1], int64_t *id,
                           const char **why);
enum tc_err tc_account_find(struct tc_store *s, const char *name, struct tc_account *a);
/* Checks a password (Argon2id); `how` names the way in for the audit ("cli", "console",
 * "signer"). Five failures lock the account for TC_LOGIN_LOCK_SECONDS. TC_ERR_PASSPHRASE for a
 * wrong account or password (one answer for both), TC_ERR_REFUSED for a disabled or locked one. */
enum tc_err tc_account_auth(struct tc_store *s, const char *name, const char *password,
                            size_t len, const char *how, uint64_t now, struct tc_account *a,
                            const char **why);
/* The person sets their own password with the one-time enrolment code tc_account_add printed
 * (an account added without one): the whole code, or the two halves one after the other (spaces
 * and hyphens between are ignored). A wrong code counts as a failed sign-in; TC_ERR_PASSPHRASE
 * for a wrong account or code (one answer), TC_ERR_REFUSED for an account that has a password,
 * is disabled or locked. Audited. */
enum tc_err tc_account_enrol(struct tc_store *s, const char *name, const char *code,
                             const char *password, size_t len, uint64_t now, const char **why);
/* Recovery, by an admin for another account (a lost password or authenticator): its password,
 * TOTP seed, failures and sessions are cleared and a new one-time enrolment code is made, of
 * which code receives the first half; another enrolled admin gives the second
 * (tc_account_enrol_half), so one must be there; the person enrols again, then sets up TOTP at
 * their next sign-in. Its roles stay. by NULL is the host, once, only for an admin account whose
 * code migration 10 withdrew when no two admins could reset it (fewer than two other admins
 * enabled and enrolled then; the migration marks it): code receives a whole code, as at the
 * bootstrap. An audit event names both. */
enum tc_err tc_account_reset(struct tc_store *s, const struct tc_account *by, const char *name,
                             uint64_t now, char code[TC_ENROL_CODE_LEN + 1], const char **why);
/* The second half of the enrolment code of an account an admin added or reset, into half: by is
 * an admin other than the one who was shown the first half, and not the account itself. Each
 * admin hands their half to the person, who enters both (tc_account_enrol). TC_ERR_REFUSED with
 * *why for a rule, TC_ERR_NOT_FOUND for an account with no code waiting for its second half.
 * Audited. */
enum tc_err tc_account_enrol_half(struct tc_store *s, const struct tc_account *by,
                                  const char *name, uint64_t now,
                                  char half[TC_ENROL_HALF_LEN + 1], const char **why);
/* Two factors: the password first (a failure counted as above, a success not yet: the failures
 * are cleared and the sign-in audited only by tc_account_signed_in, after the second factor). */
enum tc_err tc_account_password(struct tc_store *s, const char *name, const char *password,
                                size_t len, const char *how, uint64_t now, struct tc_account *a,
                                const char **why);
enum tc_err tc_account_signed_in(struct tc_store *s, const struct tc_account *a, const char *how,
                                 uint64_t now);
/* A failed second factor counts as a failed sign-in (five lock the account). Audited. */
enum tc_err tc_account_failed(struct tc_store *s, const struct tc_account *a, const char *how,
                              uint64_t now);
enum tc_err tc_account_by_id(struct tc_store *s, int64_t id, struct tc_account *a);
/* How many accounts ever held the admin role (disabled ones too); -1 on error. */
int64_t tc_account_admins(struct tc_store *s);
/* Role changes: one admin proposes, another confirms (never their own roles). */
enum tc_err tc_role_change_propose(struct tc_store *s, const struct tc_account *by,
                                   const char *name, unsigned roles, uint64_t now, int64_t *id,
                                   const char **why);
enum tc_err tc_role_change_confirm(struct tc_store *s, const struct tc_account *by, int64_t change,
                                   uint64_t now, const char **why);
/* tc_role_change_confirm, then, for an account whose enrolment code waits for its second half
 * that `by` may give (it does not hold the first), that half (tc_account_enrol_half) in half, ""
 * when none; account receives the change's account name. */
enum tc_err tc_role_change_confirm_enrol(struct tc_store *s, const struct tc_account *by,
                                         int64_t change, uint64_t now,
                                         char account[TC_ACCOUNT_NAME_MAX],
                                         char half[TC_ENROL_HALF_LEN + 1], const char **why);
/* The role changes waiting for a second admin. */
struct tc_role_change {
    int64_t id;
    char account[TC_ACCOUNT_NAME_MAX], proposed_by[TC_ACCOUNT_NAME_MAX];
    unsigned roles;
    uint64_t proposed_at;
};
enum tc_err tc_role_changes_pending(struct tc_store *s,
                                    void (*fn)(void *ctx, const struct tc_role_change *c),
                                    void *ctx);
enum tc_err tc_account_disable(struct tc_store *s, const struct tc_account *by, const char *name,
                               uint64_t now, const char **why);
enum tc_err tc_account_list(struct tc_store *s,
                            void (*fn)(void *ctx, const struct tc_account *a), void *ctx);

/* An audit event of its own (accounts.c): who (by, NULL for nobody signed in), what (action, a
 * short ASCII word such as "signer_unlock"), on what (object), the outcome and the client
 * ("uid 1000", an address); the texts are escaped into the event's JSON. */
struct tc_audit_note {
    const char *action;
    const struct tc_account *by;
    const char *object, *outcome, *client;
};
enum tc_err tc_audit_note(struct tc_store *s, uint64_t now, const struct tc_audit_note *n);

/* ---- what the console looks up (query.c) ------------------------------------------------------ */
struct tc_cert_hit {
    uint64_t id;
    char status[12];
    struct tc_claims claims;
};
/* Certificates whose number is q (digits), or whose holder's name holds q, or whose employer's
 * code is q; at most max, in number order. TC_ERR_ARG for an empty, long or unsafe q. */
enum tc_err tc_cert_search(struct tc_store *s, const char *q, size_t max,
                           void (*fn)(void *ctx, const struct tc_cert_hit *h), void *ctx,
                           size_t *found);
struct tc_audit_filter {
    const char *account, *action; /* NULL or "": any */
    uint64_t from, to;            /* [from, to); to 0: no end */
    size_t max;                   /* 0: 1000 */
};
struct tc_audit_row {
    int64_t seq;
    uint64_t at, cert;
    const char *kind, *detail;
};
/* The audit log's events matching f, newest first. */
enum tc_err tc_audit_list(struct tc_store *s, const struct tc_audit_filter *f,
                          void (*fn)(void *ctx, const struct tc_audit_row *r), void *ctx);

/* ---- the console's second factor and sessions (sessions.c) ---------------------------------- */
#define TC_TOTP_B32_MAX 48
/* A new TOTP seed for the account (encrypted in the store; off until a code from it is
 * accepted), its base32 form in b32 for the person's authenticator app. TC_ERR_EXISTS when the
 * account's factor is on (only a reset on the host replaces it). */
enum tc_err tc_totp_begin(struct tc_store *s, int64_t account, char b32[TC_TOTP_B32_MAX]);
/* *ok when code is the account's 6-digit code at now (one step either side) and was not used
 * before; the first accepted code turns the factor on. */
enum tc_err tc_totp_check(struct tc_store *s, int64_t account, const char *code, uint64_t now,
                          bool *ok);
/* Whether the account's factor is on. */
enum tc_err tc_totp_state(struct tc_store *s, int64_t account, bool *on);

struct tc_session {
    int64_t account;
    char csrf[65];
    uint64_t created_at, seen_at, reauth_at;
};
/* A session for the account: id_hex (64 hex digits, for the cookie; only its hash is stored)
 * and its CSRF token. */
enum tc_err tc_session_create(struct tc_store *s, int64_t account, const char *client,
                              uint64_t now, char id_hex[65], char csrf[65]);
/* The session of id_hex, unless idle for `idle` seconds or older than `max` (then it is ended):
 * TC_ERR_NOT_FOUND. Marks it seen at now. */
enum tc_err tc_session_get(struct tc_store *s, const char *id_hex, uint64_t now, uint64_t idle,
                           uint64_t max, struct tc_session *out);
enum tc_err tc_session_reauth(struct tc_store *s, const char *id_hex, uint64_t now);
enum tc_err tc_session_end(struct tc_store *s, const char *id_hex);
/* Every session of the account (it was disabled, reset, or its roles changed). */
enum tc_err tc_session_end_account(struct tc_store *s, int64_t account);

/* ---- the workflow (workflow.c; ISSUANCE.md "A batch's life") ------------------------------- */
/* A store set up for the workflow (init --workflow) issues and revokes only through it: direct
 * import, issue, revoke and convert are refused there. A demo store (init --demo) honours
 * TITLECERT_DEMO_CLOCK (a number of days) so a 公示 can be shown passing; no other store does. */
bool tc_store_workflow(struct tc_store *s);
bool tc_store_demo(struct tc_store *s);
/* now, or for a demo store the demo clock's time: TITLECERT_DEMO_CLOCK is a number of days
 * (-400..400), or "@FILE", a file holding that number, read on every call; they count from
 * TITLECERT_DEMO_TODAY (YYYY-MM-DD, Beijing time) when that is set, else from today */
uint64_t tc_store_clock(struct tc_store *s, uint64_t now);
/* The last day of a period of n working days whose first candidate day is `first` (it counts when
 * it is a working day), by the store's working-day calendar; TC_ERR_RANGE with why naming the
 * year the calendar lacks. */
enum tc_err tc_store_period(struct tc_store *s, int32_t first, int n, int32_t *last, char *why,
                            size_t why_size);
/* Working days from `from` to `to`, both counted (0 when the calendar lacks a year). */
enum tc_err tc_store_working_days(struct tc_store *s, int32_t from, int32_t to, int *n);
/* admin: a new year's file of the working-day calendar (policy/'s format), replacing the year if
 * the store holds it; *year is the file's. Audited. */
enum tc_err tc_calendar_admin_load(struct tc_store *s, const struct tc_account *by,
                                   const char *json, size_t len, uint64_t now, int *year,
                                   char *why, size_t why_size);
enum tc_err tc_store_calendar_years(struct tc_store *s, int *years, size_t max, size_t *n);

struct tc_wf_batch {
    int64_t id;
    char kind[8];   /* issue, revoke, convert */
    char state[16]; /* draft, publicised, approved, signed, published */
    char title[128], source[256];
    int64_t prepared_by, approved_by, signed_by, issue_batch;
    char prepared_by_name[TC_ACCOUNT_NAME_MAX], approved_by_name[TC_ACCOUNT_NAME_MAX];
    size_t rows;                   /* rows still in the batch */
    uint8_t rows_hash[32];         /* SHA-256 of them, what approval binds to */
    int32_t gongshi_from, gongshi_to;
    uint8_t gongshi_sha256[32];    /* the 公示 JSON's hash, as the register logged it */
    int64_t gongshi_idx;           /* its register entry, -1 before the 公示 */
    bool publicity_closed;         /* the last day passed and no objection is open */
    int working_days_left;         /* of the 公示, today counted */
    int open_objections;
    char decision[TC_APPROVAL_MAX + 1];
    uint8_t approved_hash[32];
    uint64_t signed_at, published_at;
};
enum tc_err tc_wf_get(struct tc_store *s, int64_t id, uint64_t now, struct tc_wf_batch *b);

/* Each transition names the account acting, which must hold the role (TC_ERR_REFUSED, why in
 * zh / en, otherwise) and is an audit event. */
/* clerk: the results CSV checked against every rule (refusals by line, nothing stored when there
 * is one), stored as a draft; replace (a batch id) puts new rows in a batch not signed yet,
 * which voids its 公示 and approval. tl and issuer: the trust list and the issuing key's public
 * half (A1 is checked now and again when signing). */
enum tc_err tc_wf_prepare(struct tc_store *s, const struct tc_account *by, const char *path,
                          const char *title, int64_t replace, const struct tc_trust_list *tl,
                          const struct tc_pubkey *issuer, uint64_t now, int64_t *batch,
                          struct tc_refusals *ref, char *why, size_t why_size);
/* clerk: draft -> publicised: the 公示 files in dir, a period of the profile's working days from
 * today, its JSON's hash a register entry dated today. */
enum tc_err tc_wf_publicise(struct tc_store *s, const struct tc_account *by, int64_t batch,
                            const char *dir, uint64_t now, int *err, char *why, size_t why_size);
/* clerk: an objection against a row, received within the period, from a named objector with a
 * contact (kept, never published or logged). */
enum tc_err tc_wf_object(struct tc_store *s, const struct tc_account *by, int64_t batch,
                         size_t line, const char *objector, const char *contact, int32_t received,
                         const char *text, uint64_t now, int64_t *id, char *why, size_t why_size);
/* approver: upheld (the row leaves the batch) or dismissed, with a written outcome. */
enum tc_err tc_wf_resolve(struct tc_store *s, const struct tc_account *by, int64_t objection,
                          bool upheld, const char *outcome, uint64_t now, char *why,
                          size_t why_size);
/* approver, not the one who prepared it: the 公示 over with no open objection (issue batches),
 * expected the rows' hash the approver was shown; with the decision reference (文号). */
enum tc_err tc_wf_approve(struct tc_store *s, const struct tc_account *by, int64_t batch,
                          const char *decision, const uint8_t expected[32], uint64_t now,
                          char *why, size_t why_size);
/* approver: back to draft (the 公示 and any approval void). */
enum tc_err tc_wf_reject(struct tc_store *s, const struct tc_account *by, int64_t batch,
                         uint64_t now, char *why, size_t why_size);
/* clerk: a revocation batch (draft until approved) */
struct tc_wf_revocation {
    uint64_t id;
    int32_t day;         /* revoked from this day */
    char reason[16];     /* fraud, error, other */
    bool blacklist;
    char bl_reason[TC_REASON_MAX + 1];
    int32_t until;       /* 0: open */
};
enum tc_err tc_wf_propose_revocations(struct tc_store *s, const struct tc_account *by,
                                      const struct tc_wf_revocation *v, size_t n,
                                      const char *title, uint64_t now, int64_t *batch, char *why,
                                      size_t why_size);
/* clerk: a conversion batch (C1 换发, or C5 转评), draft until approved; the decision (文号) is
 * the approval's */
struct tc_wf_conversion {
    uint64_t id;        /* the basic-level certificate */
    int32_t at;         /* the day of the conversion */
    uint16_t committee; /* the unified committee that decided */
    bool reevaluation;  /* C5 转评 instead of C1 换发 */
};
enum tc_err tc_wf_propose_conversions(struct tc_store *s, const struct tc_account *by,
                                      const struct tc_wf_conversion *v, size_t n,
                                      const char *title, uint64_t now, int64_t *batch, char *why,
                                      size_t why_size);
/* custodian, neither preparer nor approver (the signer): everything approval needed is checked
 * again from the store, then the rules, then the rows are issued (or revoked) with their register
 * entries and the batch marked signed in one transaction: a crash leaves it approved or signed,
 * never half. *signed_n: the certificates. */
enum tc_err tc_wf_sign(struct tc_store *s, const struct tc_account *by, int64_t batch,
                       struct tc_signer *key, const struct tc_trust_list *tl, uint64_t now,
                       struct tc_refusals *ref, size_t *signed_n, char *why, size_t why_size);
/* ---- what the signer checks against its own record (workflow.c; signer/) ---- */
/* The audit chain's head as the database holds it (0 and zeros for an empty chain). */
enum tc_err tc_audit_head(struct tc_store *s, int64_t *seq, uint8_t mac[32]);
/* Whether the chain still holds event seq with this MAC, and the MAC is the chain's. */
bool tc_audit_holds(struct tc_store *s, int64_t seq, const uint8_t mac[32]);
/* The 公示 entries of the register from index `from` on: fn(ctx, idx) for each; *next receives
 * the size scanned to. Needs no key. */
enum tc_err tc_register_publications(struct tc_store *s, uint64_t from,
                                     void (*fn)(void *ctx, uint64_t idx), void *ctx,
                                     uint64_t *next);
struct tc_range {
    uint64_t from, to; /* [from, to) */
};
/* Every register entry in [from, to) is one the signer appended itself (in own) or one the audit
 * chain vouches for with a genuine event: a 公示 (wf_publicise, its batch and hash) or the unit
 * directory (units_import, its digest). TC_ERR_REFUSED naming the first that is neither. */
enum tc_err tc_register_vouch(struct tc_store *s, uint64_t from, uint64_t to,
                              const struct tc_range *own, size_t n_own, char *why, size_t why_size);
/* The same inside the export's transaction (tc_export_opts.vouch): the entries from `from` to the
 * register's end as the transaction sees it, so that none is added or changed between a check
 * made before and the export that publishes it. */
struct tc_publish_vouch {
    uint64_t from;
    const struct tc_range *own;
    size_t n_own;
};
/* The register's size as the database holds it. */
uint64_t tc_register_size_now(struct tc_store *s);
/* The entries [from, r->to) a signing appended, as its genuine wf_sign audit event says: for a
 * signer that stopped between the signing's commit and its own record of it. */
bool tc_wf_signed_range(struct tc_store *s, uint64_t from, struct tc_range *r);
/* tc_wf_sign, saying which register entries it appended: [*reg_from, *reg_to). */
enum tc_err tc_wf_sign_range(struct tc_store *s, const struct tc_account *by, int64_t batch,
                             struct tc_signer *key, const struct tc_trust_list *tl, uint64_t now,
                             struct tc_refusals *ref, size_t *signed_n, uint64_t *reg_from,
                             uint64_t *reg_to, char *why, size_t why_size);

/* After a publication: the signed batches are published. */
enum tc_err tc_wf_published(struct tc_store *s, uint64_t now);

/* Every batch, oldest first, as tc_wf_get reads it. */
enum tc_err tc_wf_list(struct tc_store *s, uint64_t now,
                       void (*fn)(void *ctx, const struct tc_wf_batch *b), void *ctx);
/* The batches not published yet, oldest first, as tc_wf_get reads it: the only ones anybody
 * still acts on (work lists), without hashing the rows of every batch ever signed. */
enum tc_err tc_wf_pending(struct tc_store *s, uint64_t now,
                          void (*fn)(void *ctx, const struct tc_wf_batch *b), void *ctx);
/* A batch's rows in line order: canonical JSON (an issue row holds the name, the ID number's
 * mask and the holder's keyed hash, never the number), dropped when an objection was upheld. */
enum tc_err tc_wf_rows(struct tc_store *s, int64_t batch,
                       void (*fn)(void *ctx, size_t line, bool dropped, const char *row),
                       void *ctx);
#define TC_OBJECTION_TEXT_MAX 4000
struct tc_wf_objection {
    int64_t id, batch;
    size_t line;
    char objector[TC_ACCOUNT_DISPLAY_MAX], contact[128];
    int32_t received;
    char text[TC_OBJECTION_TEXT_MAX + 1];
    char state[12]; /* open, upheld, dismissed, lapsed (the rows were replaced) */
    char outcome[1024];
    char recorded_by[TC_ACCOUNT_NAME_MAX], resolved_by[TC_ACCOUNT_NAME_MAX];
};
/* A batch's objections (personal data: the objector and the contact). */
enum tc_err tc_wf_objections(struct tc_store *s, int64_t batch,
                             void (*fn)(void *ctx, const struct tc_wf_objection *o), void *ctx);

/* ---- the holder's e-certificate (pdf.c, rule A4) ------------------------------------------- */
#define TC_PDF_SEAL_MAX (1u << 20) /* bytes of a seal image */
#define TC_PDF_REPORT_MAX 64
/* A certificate's status as its page shows it (tc_pdf_cert.status). */
enum tc_pdf_status { TC_PDF_VALID = 0, TC_PDF_REVOKED, TC_PDF_SUPERSEDED };
struct tc_pdf_cert {
    const struct tc_claims *c;
    const char *link;        /* the verification link the QR code holds */
    const char *base_url;
    const struct tc_profile *profile;
    const char *committee;   /* the signing key's endorsed name */
    const char *organiser;   /* 组建单位: the organiser whose seal it bears */
    const uint8_t *seal;     /* PNG with transparency, or SVG */
    size_t seal_len;
    bool seal_svg;
    const char *employer_name; /* the employing unit's name, or NULL */
    const char *font;        /* NULL: the profile's, else Noto Serif CJK SC */
    /* Its status in the store (enum tc_pdf_status; 0, valid, draws none). A revoked or
     * superseded certificate's page carries a translucent red stamp across it, 已撤销 REVOKED
     * <day> or 已换发 SUPERSEDED <day> → 新证书 <successor> (the QR code under it still scans and
     * shows the live status), the status in its subject and keywords, and no conversion path. */
    int status;
    int32_t status_day;
    uint64_t successor;      /* SUPERSEDED: the certificate that replaced it */
};
/* Where each text went: its box and the ink extents of what was drawn in it, in pt. */
struct tc_pdf_box {
    char field[24];
    double x, y, w, h;
    double ix, iy, iw, ih;
    double size; /* font size used, pt */
    int lines;
};
struct tc_pdf_report {
    struct tc_pdf_box box[TC_PDF_REPORT_MAX];
    size_t n;
};
/* A font map and layout context for one thread: fonts are loaded once, not per document, and
 * each seal is drawn once and replayed on every page. */
struct tc_pdf_engine;
struct tc_pdf_engine *tc_pdf_engine_new(void);
void tc_pdf_engine_free(struct tc_pdf_engine *g);
/* Input bytes of PDF streams the engine handed out as it compressed them for an earlier page,
 * rather than compressing them again (the seal's: docs/DECISIONS.md, "The seal compressed once
 * per engine"). */
uint64_t tc_pdf_engine_reused(const struct tc_pdf_engine *g);
/* The zlib level of the e-certificate's streams. cairo compresses at zlib's default (6) and has
 * no setting; pdfdeflate.c supplies zlib's deflateInit_, which starts streams at
 * TC_PDF_DEFLATE_LEVEL inside tc_pdf_write and as zlib would elsewhere (docs/DECISIONS.md: the
 * level and why).
 * tc_pdf_deflate_level() sets another level (0..9, -1: zlib's default) for the PDF streams cairo
 * starts on the calling thread, inside tc_pdf_write or not (a benchmark drawing its own PDFs);
 * TC_PDF_DEFLATE_AUTO returns to the above. Returns the thread's previous setting. */
#define TC_PDF_DEFLATE_LEVEL 4
#define TC_PDF_DEFLATE_AUTO (-2)
int tc_pdf_deflate_level(int level);
/* Writes the one-page A4 PDF of a certificate to path (the caller renames it into place), with
 * engine g (NULL: a temporary one). TC_ERR_RANGE when some text does not fit even shrunk (why
 * says which); rep may be NULL. */
enum tc_err tc_pdf_write(struct tc_pdf_engine *g, const struct tc_pdf_cert *in, const char *path,
                         struct tc_pdf_report *rep, char *why, size_t why_size);
/* A seal image must be a PNG with an alpha channel (64..4096 px a side) or an SVG. */
enum tc_err tc_pdf_seal_check(const uint8_t *img, size_t len, bool *svg, char *why, size_t why_size);
/* true for a file that starts as a PDF and ends with %%EOF (a finished write) */
bool tc_pdf_complete(const char *path);
/* The e-certificates of certificates in the store, DIR/<id>.pdf, on `threads` threads (0: one
 * for each processor the process may use, at most 16; res->threads says how many started, 0
 * when every file was complete). Each certificate's signature is checked against the trust
 * list, whose endorsement names the committee; its key must have a seal (tc_seal_set). Complete
 * files are kept unless force; progress() (may be NULL) is called from the caller's thread about
 * five times a second.
 * A revoked or superseded certificate is refused (TC_ERR_REFUSED before anything is written;
 * res->why names the first, its status and day, and how many more there are) unless
 * status_stamp: then its page carries its status (tc_pdf_cert.status), and it is rendered even
 * when its file is complete, since that file may be from before the status changed. */
struct tc_pdf_batch_opts {
    const char *dir, *base;
    int threads;
    bool force;
    void (*progress)(void *ctx, size_t done, size_t total, double seconds);
    void *progress_ctx;
    bool status_stamp;
};
struct tc_pdf_batch_result {
    size_t written, kept;
    int threads;
    double seconds;
    uint64_t failed_id;
    char why[640];
};
enum tc_err tc_pdf_batch(struct tc_store *s, const uint64_t *ids, size_t n,
                         const struct tc_trust_list *tl, const struct tc_pdf_batch_opts *o,
                         struct tc_pdf_batch_result *res);
/* The seal configured for an issuer key (seal set), malloc'd image. TC_ERR_NOT_FOUND without. */
enum tc_err tc_seal_get(struct tc_store *s, const uint8_t kid[TC_KID_BYTES], char *organiser,
                        size_t organiser_size, uint8_t **image, size_t *len, bool *svg);
enum tc_err tc_seal_set(struct tc_store *s, const uint8_t kid[TC_KID_BYTES], const char *organiser,
                        const uint8_t *image, size_t len, uint64_t now, char *why, size_t why_size);

/* ---- publication (publish.c) ---------------------------------------------------------------- */
/* Writes the register's tiles and entry bundles up to the size the checkpoint note names, then
 * the checkpoint, under dir (C2SP tlog-tiles). x: the export that signed the checkpoint, whose
 * edge gives the tiles that changed when dir holds the previous checkpoint (the usual case);
 * otherwise, or with x NULL, every tile is written from the store (the entries checked against
 * their hashes and the checkpoint's root; full tiles already there kept). *files counts the
 * files written. */
enum tc_err tc_register_publish(struct tc_store *s, const char *dir, const char *checkpoint,
                                const struct tc_export *x, uint64_t *files, int *err);
/* The 公示 of a batch of issued certificates (A3, GS §9(三)7), for a single-operator store:
 * dir/gongshi-<batch>.{html,csv,json}, review-passed and assessment-recognised persons listed
 * separately, with the announcement period: `days` working days from the day of `now`, counted
 * with the store's working-day calendar (TC_ERR_RANGE, why naming the year, where it lacks one).
 * The JSON's SHA-256 is logged as a publication leaf unless that very hash is logged already. */
enum tc_err tc_gongshi_publish(struct tc_store *s, int64_t batch, const char *dir, int days,
                               uint64_t now, int *err, char *why, size_t why_size);
/* The same files for n persons given by their claims and numbers (their certificates', or
 * before issuance their lines), for a period from..to of `days` working days; json_sha256
 * receives the hash the register logs. Logs nothing itself. */
enum tc_err tc_gongshi_write(struct tc_store *s, int64_t batch, const struct tc_claims *claims,
                             const uint64_t *numbers, size_t n, int32_t from, int32_t to,
                             int days, const char *dir, uint8_t json_sha256[32], int *err);

/* Publishes into dir what verifiers and the public read: the 公示 of a batch (when batch is not
 * 0), the status bundle (exported as tc_bundle_export does), the delta from the previous bundle
 * when there is one, the register's tiles and checkpoint, and last the head that names them.
 * On failure r->failed says what (a file, or a step) and r->err holds errno for an I/O error;
 * what was written before stays (each file is whole) and the next publication writes it again.
 * r->x is the export (tc_export_free it, also on failure). */
struct tc_publish_opts {
    const char *dir;
    const uint8_t *trust; /* the trust list's bytes, and parsed */
    size_t trust_len;
    const struct tc_trust_list *tl;
    struct tc_signer *key; /* the publication key */
    const char *origin;    /* NULL: the register's own */
    int64_t batch;         /* the batch whose 公示 is published, or 0 */
    int days;              /* its period in working days */
    uint64_t now;
    /* the witnesses that co-sign the checkpoint before anything is written (tc_cosigning;
     * TC_ERR_REFUSED below their quorum); NULL or an empty set: none are asked */
    const struct tc_cosigner_set *witnesses;
    struct tc_witness_reply *witness_replies; /* NULL, or witnesses->n: what each did */
    const struct tc_publish_anchor *anchor;   /* NULL, or what the signer last published */
    const struct tc_publish_vouch *vouch;     /* NULL, or what the signer vouches for */
};
struct tc_publish_result {
    struct tc_export x;
    uint64_t files;        /* register files written */
    char failed[TC_PATH_MAX + 64];
    int err;
};
enum tc_err tc_publish(struct tc_store *s, const struct tc_publish_opts *o,
                       struct tc_publish_result *r);
/* The same, the whole register, audit chain and certificates table read and checked again as at
 * a first publication (tc_export_opts.full_check). */
enum tc_err tc_publish_full(struct tc_store *s, const struct tc_publish_opts *o,
                            struct tc_publish_result *r);

#endif
