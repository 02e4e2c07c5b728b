/* issuer_internal.h - helpers shared by the issuer's source files (not part of issuer.h). */
#ifndef TC_ISSUER_INTERNAL_H
#define TC_ISSUER_INTERNAL_H

#include <sqlite3.h>

#include "issuer.h"

enum tc_err tc_store_exec(struct tc_store *s, const char *sql);
enum tc_err tc_store_prepare(struct tc_store *s, const char *sql, sqlite3_stmt **st);
enum tc_err tc_store_step_done(struct tc_store *s, sqlite3_stmt *st);
/* A statement prepared with its parameters bound, so that a query is one call and not a prepare
 * and a bind per value. types has one letter a parameter, ?1 first, and names what the arguments
 * after it are; they are read with va_arg, which does not convert, so each must have exactly the
 * type named (cast a uint64_t, an int or a bool to int64_t, a length to size_t):
 *   'i'  int64_t                  an integer
 *   't'  const char *             text up to its NUL; a NULL pointer binds SQL NULL
 *   's'  const char *, size_t     text of that many bytes (no NUL needed); NULL binds SQL NULL
 *   'h'  const uint8_t *          a 32-byte blob (a hash, a MAC); NULL binds SQL NULL
 *   'b'  const void *, size_t     a blob of that many bytes; a NULL pointer binds SQL NULL
 * Values are bound SQLITE_STATIC, not copied, as the issuer's statements always bound them: they
 * must outlive the statement's last step. A type string that does not fit the statement (another
 * letter, more or fewer letters than it has parameters) is TC_ERR_INTERNAL with a message.
 * tc_store_query: *st for the caller to step and finalize (NULL when it fails);
 * tc_store_run: steps the statement to its end (as tc_store_step_done) and finalizes it;
 * tc_store_insert: the same for an INSERT of one row, its rowid into *rowid (untouched on failure);
 * tc_store_run_one: the same for a statement that must change exactly one row: none (the caller's
 *   word for "not as it was": changed meanwhile, already done) when it changed another number;
 * tc_store_bind: binds new values to a statement prepared once and run again after a reset;
 * tc_store_int: the first column of the first row as an integer (a count, a flag, a maximum), or
 *   dflt when there is no row or the query fails;
 * tc_store_row: a query of one row, stepped to it: TC_OK with *st on the row for the caller to
 *   read and finalize, TC_ERR_NOT_FOUND when there is none (*st NULL), else the error. */
enum tc_err tc_store_query(struct tc_store *s, sqlite3_stmt **st, const char *sql,
                           const char *types, ...);
enum tc_err tc_store_run(struct tc_store *s, const char *sql, const char *types, ...);
enum tc_err tc_store_insert(struct tc_store *s, int64_t *rowid, const char *sql,
                            const char *types, ...);
enum tc_err tc_store_run_one(struct tc_store *s, enum tc_err none, const char *sql,
                             const char *types, ...);
int64_t tc_store_int(struct tc_store *s, int64_t dflt, const char *sql, const char *types, ...);
enum tc_err tc_store_row(struct tc_store *s, sqlite3_stmt **st, const char *sql, const char *types,
                         ...);
enum tc_err tc_store_bind(struct tc_store *s, sqlite3_stmt *st, const char *types, ...);
enum tc_err tc_store_meta_set(struct tc_store *s, const char *key, const void *val, size_t len);
/* Appends an audit event inside the caller's transaction; *cache holds a prepared statement the
 * caller finalizes. */
enum tc_err tc_store_event(struct tc_store *s, sqlite3_stmt **cache, int64_t at, const char *kind,
                           uint64_t cert, const char *detail);
/* Ends the caller's transaction: COMMIT when e is TC_OK, else (or when the commit fails)
 * ROLLBACK and the chain head reloaded; the outcome. */
enum tc_err tc_store_end(struct tc_store *s, enum tc_err e);
/* Runs fn inside a transaction (BEGIN IMMEDIATE) with its audit events; rolls back and reloads
 * the chain head on any failure. */
enum tc_err tc_store_tx(struct tc_store *s, enum tc_err (*fn)(struct tc_store *, void *),
                        void *ctx);
/* TC_OK when audit event seq carries the MAC the chain key gives it after its predecessor: it
 * was written by a holder of the hash key, not put in the table by someone without it;
 * TC_ERR_INCONSISTENT otherwise. */
enum tc_err tc_store_event_genuine(struct tc_store *s, int64_t seq);
/* Checks audit events from seq `from` on, at most limit of them (0: to the end): each one's MAC
 * over its content and the MAC before it, prev for the first (the MAC of event from - 1 as the
 * caller knows it). out: how many were read, the first bad one (0: none), and the last good one
 * (from - 1 and prev when there is none). TC_ERR_ARG without the store's keys. */
struct tc_audit_span {
    uint64_t count, bad;
    int64_t last;
    uint8_t mac[32];
};
enum tc_err tc_audit_verify_from(struct tc_store *s, int64_t from, uint64_t limit,
                                 const uint8_t prev[32], struct tc_audit_span *out);
/* The MAC stored with event seq (32 zero bytes for seq 0); TC_ERR_NOT_FOUND without one. */
enum tc_err tc_store_event_mac(struct tc_store *s, int64_t seq, uint8_t mac[32]);
/* A MAC (keyed BLAKE2b-256) over the concatenation of parts, with a key derived from the store's
 * audit key for what publications keep between them (regstate.c). TC_ERR_ARG without keys. */
enum tc_err tc_store_state_mac(const struct tc_store *s, const void *const *parts,
                               const size_t *lens, size_t n, uint8_t out[32]);
/* A MAC (keyed BLAKE2b-256, a key derived from the store's audit key) over columns 0 to n - 1 of
 * q's current row, each with its type, and extra, under domain ("account", "session"): the seal
 * of a record (accounts.c, sessions.c). TC_ERR_ARG without keys. */
enum tc_err tc_store_seal_row(const struct tc_store *s, const char *domain, sqlite3_stmt *q,
                              int n, uint64_t extra, uint8_t out[32]);
/* An account's record (credentials, lock, roles) sealed anew: only inside a transaction that
 * first found it sealed (tc_account_sealed), or that made it. */
enum tc_err tc_account_reseal(struct tc_store *s, int64_t id);
/* TC_OK when the account's record matches its seal (or the store has no keys to tell),
 * TC_ERR_INCONSISTENT when it does not (written outside titlecert), TC_ERR_NOT_FOUND. */
enum tc_err tc_account_sealed(struct tc_store *s, int64_t id);
/* Account id's second factor from its record, read with the check of its seal
 * (TC_ERR_INCONSISTENT when it does not match): the sealed secret into secret (when it fits cap;
 * *len its size, 0 for none), whether it is on, the last step accepted. */
enum tc_err tc_account_factor(struct tc_store *s, int64_t id, uint8_t *secret, size_t cap,
                              size_t *len, bool *on, int64_t *step);
/* The parts of an account's record a change may write (tc_account_sealed_tx). */
#define TC_ACCT_PW (1u << 3)
#define TC_ACCT_ENROL (1u << 4)
#define TC_ACCT_HALF_BY (1u << 5)
#define TC_ACCT_TOTP (1u << 6)
#define TC_ACCT_TOTP_ON (1u << 7)
#define TC_ACCT_TOTP_STEP (1u << 8)
#define TC_ACCT_DISABLED (1u << 9)
#define TC_ACCT_FAILURES (1u << 10)
#define TC_ACCT_LOCKED (1u << 11)
#define TC_ACCT_ROLES (1u << 14)
/* fn(s, ctx) in a transaction that first finds account id's record sealed, then finds that fn
 * changed nothing of it but the parts in writes (TC_ACCT_*), and seals it anew: every change to
 * an account's record or roles goes through it. Anything else that changed (a column the file's
 * schema computes from another, say) is TC_ERR_INCONSISTENT, nothing written. */
enum tc_err tc_account_sealed_tx(struct tc_store *s, int64_t id, unsigned writes,
                                 enum tc_err (*fn)(struct tc_store *, void *), void *ctx);
/* The register leaf at idx, decoded. */
struct tc_reg_leaf;
enum tc_err tc_store_leaf_at(struct tc_store *s, uint64_t idx, struct tc_reg_leaf *l);
/* The key that encrypts secrets kept in the store (TOTP seeds), NULL without the hash key. */
const uint8_t *tc_store_secrets_key(const struct tc_store *s);
/* After a rollback: the chain head as the database has it. */
void tc_store_reload_head(struct tc_store *s);
/* Appends a register leaf (A3); the caller holds the transaction of the event it records, and
 * reloads the head on rollback. *idx (may be NULL) receives its index. */
struct tc_reg_leaf;
enum tc_err tc_store_register(struct tc_store *s, const struct tc_reg_leaf *l, uint64_t *idx);
uint64_t tc_store_register_size(const struct tc_store *s);
enum tc_err tc_store_meta_get(struct tc_store *s, const char *key, void **val, size_t *len);
void tc_store_set_msg(struct tc_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* publish.c: the register's side of a bundle export, inside its transaction */
struct tc_reg_tree;
struct tc_cw;
/* the tree of the first min(n, size) leaves, each leaf's bytes checked against its stored hash
 * (TC_ERR_INCONSISTENT, the store's message naming it) */
enum tc_err tc_register_tree(struct tc_store *s, uint64_t n, struct tc_reg_tree *t);
/* the origin: given (must match the store's once set), the store's, or the default; saved */
enum tc_err tc_register_origin(struct tc_store *s, const char *given, char out[129]);
/* logs a trust leaf when version is newer than the last logged */
enum tc_err tc_register_log_trust(struct tc_store *s, const uint8_t *list, size_t len,
                                  uint64_t version, int32_t day);
/* signs a checkpoint of the tree of n leaves with this root as a note into out and records it
 * in the checkpoints table */
enum tc_err tc_register_sign(struct tc_store *s, uint64_t n, const uint8_t root[32],
                             const char *origin, struct tc_signer *key, uint64_t now, char *out,
                             size_t size, size_t *len);
/* cosign.c: the witnesses of w asked to co-sign note (the checkpoint of the tree of n leaves
 * whose hashes src gives, signed, *len bytes in a buffer of cap), inside the export's
 * transaction; their verified lines are appended to note. TC_ERR_REFUSED, with why, below w's
 * quorum. Each witness's size is kept in the store's meta. */
struct tc_cosigning;
struct tc_reg_source;
enum tc_err tc_register_cosign(struct tc_store *s, const struct tc_cosigning *w,
                               const struct tc_reg_source *src, uint64_t n, char *note, size_t cap,
                               size_t *len, char *why, size_t why_size);
/* bundle member 13: consistency proofs to the tree of n leaves (root) from up to
 * TC_BUNDLE_PROOFS earlier checkpoints, ascending sizes (malloc'd), made from src and each
 * verified against both signed roots (TC_ERR_INCONSISTENT, the store's message saying which,
 * when one does not: src gave an altered hash) */
struct tc_bundle_proof;
struct tc_reg_source;
enum tc_err tc_register_proofs(struct tc_store *s, const struct tc_reg_source *src, uint64_t n,
                               const uint8_t root[32], struct tc_bundle_proof **out, size_t *len);
/* The publication's register files, in two steps: the tiles of the tree the checkpoint names
 * (those that changed since x's edge began, when dir holds that checkpoint's; else all of them,
 * from the store, the existing full ones kept), synced to the disk; then the checkpoint. */
struct tc_export;
enum tc_err tc_register_tiles(struct tc_store *s, const char *dir, const char *checkpoint,
                              const struct tc_export *x, uint64_t *files, int *err);
enum tc_err tc_register_checkpoint_write(const char *dir, const char *checkpoint, uint64_t *files,
                                         int *err);
/* ---- regstate.c: what an export keeps of the register for the next one (schema 8) ---- */
#define TC_REGSTATE_CHUNK 4096 /* entries a chunk of register_status covers */
/* The state under the store's MAC: the last checkpoint's size and root, the last audit event
 * checked and its MAC, and where the rolling re-check of old entries, rows and events goes on. */
struct tc_regstate {
    bool present;
    uint64_t size;
    uint8_t root[32];
    int64_t audit_seq;
    uint8_t audit_mac[32];
    uint64_t sweep_block; /* a block of 256 entries */
    uint64_t sweep_cert;  /* a certificate id */
    int64_t sweep_event;  /* an audit event */
};
/* TC_OK with present false when nothing is kept (a store before schema 8, or never exported);
 * TC_ERR_INCONSISTENT when its MAC does not hold. */
enum tc_err tc_regstate_load(struct tc_store *s, struct tc_regstate *st);
enum tc_err tc_regstate_save(struct tc_store *s, const struct tc_regstate *st);
/* What the entries say: the status and the last data digests (TC_REG_DATA_UNITS, _PROFILE). */
struct tc_regstate_status {
    struct tc_reg_status st;
    uint8_t data[3][32];
    bool logged[3];
};
/* The status of the first `size` entries, from the chunks kept: each chunk's MAC must hold for
 * its number and the entries it covers, and none may be missing (TC_ERR_INCONSISTENT). Unsorted:
 * tc_reg_status_finish. */
enum tc_err tc_regstate_status_load(struct tc_store *s, uint64_t size,
                                    struct tc_regstate_status *out);
void tc_regstate_status_free(struct tc_regstate_status *out);
/* The status bundle's index chunks an export named (publication.h), under the same MAC and
 * bound to the checkpoint (size, root) that export signed: each chunk's SHA-256, first and last
 * id and file size. None kept: *n 0. TC_ERR_INCONSISTENT (the store's message says so) when the
 * MAC does not hold. */
struct tc_regstate_chunk {
    uint8_t sha[32];
    uint64_t first, last, bytes;
};
enum tc_err tc_regstate_chunks_load(struct tc_store *s, uint64_t *size, uint8_t root[32],
                                    struct tc_regstate_chunk **out, size_t *n);
enum tc_err tc_regstate_chunks_save(struct tc_store *s, uint64_t size, const uint8_t root[32],
                                    const struct tc_regstate_chunk *c, size_t n);
/* Collects the records of entries from..., in order, and writes them into their chunks (the one
 * holding `from` completed, the next ones new). */
struct tc_regstate_writer {
    uint64_t from, next;
    uint8_t *buf;
    size_t len, cap;
    size_t *starts; /* where the records of chunk from / CHUNK + k + 1 start in buf */
    size_t n_starts, cap_starts;
};
void tc_regstate_writer_init(struct tc_regstate_writer *w, uint64_t from);
void tc_regstate_writer_free(struct tc_regstate_writer *w);
enum tc_err tc_regstate_writer_add(struct tc_regstate_writer *w, uint64_t i,
                                   const struct tc_reg_leaf *l);
enum tc_err tc_regstate_writer_flush(struct tc_store *s, struct tc_regstate_writer *w);
/* Drops every chunk (a full check writes them all again). */
enum tc_err tc_regstate_status_clear(struct tc_store *s);
/* count hashes of tree level `level` from index first as the store keeps them: the entries'
 * hashes (level 0) or register_nodes (8, 16, ...); TC_ERR_INCONSISTENT when one is missing. */
enum tc_err tc_regstate_rows(struct tc_store *s, unsigned level, uint64_t first, size_t count,
                             uint8_t *out);
/* A source of every subtree hash of the tree: the edge's, else the store's. What the store gives
 * is not checked: a proof made from it is verified against signed roots by its user. */
struct tc_regsource {
    struct tc_store *s;
    struct tc_reg_edge *edge;
};
struct tc_reg_source tc_regsource(struct tc_regsource *r);
/* Keeps the subtree hashes (levels 8, 16, ...) the edge completed past e->from. */
enum tc_err tc_regstate_nodes_append(struct tc_store *s, const struct tc_reg_edge *e);
/* Compares every kept subtree hash with the tree's (TC_ERR_INCONSISTENT for one that differs)
 * and keeps those missing. */
enum tc_err tc_regstate_nodes_full(struct tc_store *s, const struct tc_reg_tree *tree);
/* Reads the entries of blocks [b0, b1) of 256 again (complete, before e->from): their bytes give
 * their stored hashes and decode, their hashes give the kept subtree hashes, and those give
 * their parents up to the edge (TC_ERR_INCONSISTENT, the store's message naming what, else). */
enum tc_err tc_regstate_recheck(struct tc_store *s, const struct tc_reg_edge *e, uint64_t b0,
                                uint64_t b1);

/* The unit directory as the bundle carries it, by USCC then valid_from (malloc'd), and its
 * digest (tc_bundle_units_digest). */
struct tc_bundle_unit;
enum tc_err tc_store_units(struct tc_store *s, struct tc_bundle_unit **units, size_t *n,
                           char **names);
enum tc_err tc_store_units_digest(struct tc_store *s, uint8_t out[32]);
/* Logs what a verdict depends on besides certificates (TC_REG_DATA_UNITS, TC_REG_DATA_PROFILE)
 * as a register entry, inside the caller's transaction. */
enum tc_err tc_store_log_data(struct tc_store *s, uint64_t what, const uint8_t hash[32],
                              int32_t day);
/* The store's cached statement for tc_units_find. */
sqlite3_stmt **tc_store_unit_find_stmt(struct tc_store *s);
void tc_store_head(const struct tc_store *s, int64_t *seq, uint8_t head[32]);

/* Puts the shipped working-day years (tc_calendar_dir) into a new or migrated store. */
enum tc_err tc_store_calendar_shipped(struct tc_store *s, uint64_t now);

/* A conversion (C1 换发, or C5 转评 with reevaluation) checked and committed inside the caller's
 * transaction (a workflow signs several in one); TC_ERR_REFUSED with why when it is not allowed. */
enum tc_err tc_conversion_in(struct tc_store *s, uint64_t id, int32_t at, bool reevaluation,
                             const char *decision, uint16_t committee, struct tc_signer *issuer,
                             uint64_t now, uint64_t *new_id, char *why, size_t why_size);
/* The claims a conversion would give the successor (the 公示 of a conversion batch lists them). */
enum tc_err tc_conversion_claims(struct tc_store *s, uint64_t id, int32_t at, uint16_t committee,
                                 bool reevaluation, struct tc_claims *c);
/* tc_revoke inside the caller's transaction (a workflow signs several in one). */
enum tc_err tc_revoke_in(struct tc_store *s, uint64_t id, const char *reason, int32_t day,
                         bool blacklist, const char *bl_reason, int32_t until, uint64_t now);

/* ---- CSV cells as spreadsheets write them (csv.c, docs/CSV.md) ---- */
/* A cell as a refusal shows it: at most TC_CSV_SHOWN - 1 bytes, cut between characters and
 * ended with "…" when longer. Returns out. */
#define TC_CSV_SHOWN 64
const char *tc_csv_shown(char out[TC_CSV_SHOWN], const char *cell);
/* A day: YYYY-MM-DD, YYYY/M/D (or YYYY/MM/DD) or YYYY年M月D日, and a real calendar day. A month:
 * YYYY-MM, YYYY/M (or YYYY/MM) or YYYY年M月. Nothing else. On failure why holds the refusal
 * ("中文 / English", the cell shown): an Excel serial number (46315) is said to be a cell
 * formatted as a number, a day where a month is wanted is said to be one. */
bool tc_csv_day(int32_t *day, const char *cell, char *why, size_t why_size);
bool tc_csv_month(int32_t *month, const char *cell, char *why, size_t why_size);
/* A resident ID number (tc_idno_valid). On failure why holds the refusal; a cell Excel turned
 * into a number (6.20102E+17, 620102199001011000) is shown, with what to do. */
bool tc_csv_idno(const char *cell, char *why, size_t why_size);

/* Holder row id for an ID hash, creating the holder when create is set. 0 when absent. */
enum tc_err tc_holder_id(struct tc_store *s, const uint8_t hash[32], const char *mask,
                         const char *name, bool create, int64_t *id);

/* ---- batch threads (outputs.c; used by pdfbatch.c too) ---- */
#define TC_BATCH_THREADS_MAX 16 /* as --threads allows */
/* The workers a batch of n items starts: `asked` (0: one for each processor the process may
 * use, tc_cpus_usable), at most TC_BATCH_THREADS_MAX and no more than the items, at least 1. */
int tc_batch_threads(int asked, size_t n);

/* ---- cairo's zlib streams (pdfdeflate.c; used by pdf.c) ---- */
/* An engine's memo: the streams it compressed, kept to hand out again for the same input (the
 * seal's, on every page). */
struct tc_deflate_memo;
struct tc_deflate_memo *tc_deflate_memo_new(void);
void tc_deflate_memo_free(struct tc_deflate_memo *m);
/* Input bytes whose compression was handed out again rather than done again. */
uint64_t tc_deflate_memo_reused(const struct tc_deflate_memo *m);
/* From begin to end (one tc_pdf_write on this thread), streams started through deflateInit()
 * are at the PDF level and, with m, gathered and compressed once per content. */
void tc_pdf_streams_begin(struct tc_deflate_memo *m);
void tc_pdf_streams_end(void);

#endif
