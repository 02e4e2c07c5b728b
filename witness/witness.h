/*
 * witness.h - a transparency-log witness (C2SP tlog-witness): another department follows a
 * province's register, or any C2SP log it is configured with, and co-signs each checkpoint
 * (C2SP tlog-cosignature, register.h) only after checking that it extends the last one it
 * co-signed. A log that showed two different trees of one size to two readers would need a
 * witness to co-sign both; a witness never does, so readers that require co-signatures cannot be
 * shown a split view without a witness being dishonest too.
 *
 * The library has three parts:
 *   - the configuration: which logs (origin and the log's verifier keys) are witnessed;
 *   - the state of each log: the size, root and checkpoint last co-signed, kept in a file per
 *     log written atomically (tc_file_write: fsync, rename, directory fsync) before any
 *     co-signature of it leaves the process;
 *   - add-checkpoint as pure functions: tc_witness_open checks everything a request can be
 *     judged on alone (framing, the log, its signature, the checkpoint), tc_witness_decide
 *     judges it against the state held for the log and gives the state to keep. Neither does
 *     I/O, signs or locks: the service (below) holds the log's lock from before decide until the
 *     new state is written, and signs after that.
 * The service puts this on the shared HTTP layer (http.h) and signs through a signer handle
 * (keys.h), so the key may be a key file or on a PKCS#11 token.
 */
#ifndef TC_WITNESS_H
#define TC_WITNESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "register.h"

#define TC_WITNESS_PROOF_MAX 63    /* consistency proof lines a request may carry (the spec) */
#define TC_WITNESS_OLD_LINE_MAX 24 /* "old " and 19 digits and the newline */
/* a request body: the old size line, 63 proof lines of 44 base64 characters and a newline, the
 * blank line, and a signed note */
#define TC_WITNESS_BODY_MAX                                                                        \
    (TC_WITNESS_OLD_LINE_MAX + TC_WITNESS_PROOF_MAX * 45 + 1 + TC_REG_NOTE_MAX)
#define TC_WITNESS_LOGS_MAX 256 /* logs one witness follows */
#define TC_WITNESS_LOG_KEYS 4   /* verifier keys of one log (a key rotation) */
#define TC_WITNESS_CONFIG_MAX (64u << 10)
#define TC_WITNESS_STATE_MAX (TC_REG_NOTE_MAX + 128) /* bytes of one state file */
#define TC_WITNESS_STATE_MAGIC "titlecert-witness state 1"

/* ---- configuration (config.c) ---------------------------------------------------------------- */

/* A log the witness follows: its origin (the checkpoint's first line) and the Ed25519 keys
 * (signed-note type 0x01) whose signature it accepts on the log's checkpoints. */
struct tc_witness_log {
    char origin[TC_REG_ORIGIN_MAX + 1];
    struct {
        char name[TC_REG_ORIGIN_MAX + 1];
        uint8_t pk[32];
        uint32_t key_id;
    } key[TC_WITNESS_LOG_KEYS];
    size_t n_keys;
};
struct tc_witness_config {
    struct tc_witness_log *log; /* malloc'd */
    size_t n;
};
/* Parses a configuration file's text: UTF-8 lines, '#' comments and blank lines ignored, and
 *     log <origin> <verifier key>
 * once per key of a log (a second line for the same origin adds a key). The verifier key is the
 * signed-note form name+hex8+base64(0x01 || key), e.g. from titlecert-register vkey. TC_OK with
 * at least one log; else the error and *line (1-based) where it was found: TC_ERR_TEXT for a line
 * that is not UTF-8 or holds a control character, TC_ERR_TYPE for a line that is not a log line
 * or an origin that is not one, TC_ERR_CODE for a verifier key that does not parse,
 * TC_ERR_DUP_KEY for a key given twice for one log, TC_ERR_SIZE_LIMIT past TC_WITNESS_CONFIG_MAX
 * bytes, TC_WITNESS_LOGS_MAX logs or TC_WITNESS_LOG_KEYS keys of a log, TC_ERR_MISSING_KEY (line
 * 0) for a configuration without logs, TC_ERR_NOMEM. */
enum tc_err tc_witness_config_parse(const char *text, size_t len, struct tc_witness_config *cfg,
                                    size_t *line);
/* Reads and parses a file (errors as above, and those of tc_file_read). */
enum tc_err tc_witness_config_load(const char *path, struct tc_witness_config *cfg, size_t *line);
void tc_witness_config_free(struct tc_witness_config *cfg);
/* The log with this origin (n bytes), its index in *index; NULL when the witness has none. */
const struct tc_witness_log *tc_witness_config_find(const struct tc_witness_config *cfg,
                                                    const char *origin, size_t n, size_t *index);

/* ---- state (state.c) ------------------------------------------------------------------------- */

/* What the witness holds for one log: the latest checkpoint it co-signed. A log never co-signed
 * is held at size 0 with the empty tree's root (SHA-256 of nothing), which is what the protocol
 * treats it as: the first request says old size 0. */
struct tc_witness_state {
    uint64_t size;
    uint8_t root[TC_REG_HASH];
    uint64_t time; /* the timestamp of the last co-signature made; 0 for none */
    /* the checkpoint co-signed: its text and the log signature lines that verified (never
     * unverified lines, which could have been made to look like anything); empty for none */
    char note[TC_REG_NOTE_MAX + 1];
    size_t note_len;
};
/* The state of a log never co-signed. */
void tc_witness_state_init(struct tc_witness_state *s);
/* The state file's text: TC_WITNESS_STATE_MAGIC, "time <t>", a blank line, the note. Its
 * length, 0 when it does not fit. */
size_t tc_witness_state_format(const struct tc_witness_state *s, char *out, size_t size);
/* Parses a state file's text for the log with this origin: strict (the format above, a note
 * with at least one signature line whose text is a checkpoint of that origin). TC_ERR_TYPE for
 * the layout, TC_ERR_NONCANONICAL for a checkpoint not in its canonical spelling or with
 * extension lines, TC_ERR_INCONSISTENT for a checkpoint of another origin, TC_ERR_SIZE_LIMIT
 * past TC_WITNESS_STATE_MAX, the errors of tc_note_parse and tc_checkpoint_parse. */
enum tc_err tc_witness_state_parse(const char *text, size_t len, const char *origin,
                                   struct tc_witness_state *s);
/* The file of a log in dir: "<dir>/log-<hex of SHA-256(origin)>.state" (origins hold '/'). */
void tc_witness_state_path(char *out, size_t size, const char *dir, const char *origin);
/* Reads a log's state; a log without a file is held as never co-signed (TC_OK). Errors of
 * tc_file_read and tc_witness_state_parse. */
enum tc_err tc_witness_state_load(const char *dir, const char *origin, struct tc_witness_state *s);
/* Writes a log's state durably: a temporary file, fsync, rename over the old file, fsync of the
 * directory; on failure the old file is as it was, or (a failed directory sync) the new one is
 * in place but perhaps not durable. Mode 0600. */
enum tc_err tc_witness_state_save(const char *dir, const char *origin,
                                  const struct tc_witness_state *s);
/* Takes an exclusive lock on dir (flock of "<dir>/witness.lock"), held until fd is closed: two
 * witnesses on one state directory could each co-sign a different tree of one size.
 * TC_ERR_BUSY when another process holds it, TC_ERR_IO (errno kept) when it cannot be made. */
enum tc_err tc_witness_state_lock(const char *dir, int *fd);

/* ---- add-checkpoint (check.c) ---------------------------------------------------------------- */

/* The answer to a request, as tlog-witness gives it: the HTTP status is the enum's value. */
enum tc_witness_status {
    TC_WITNESS_COSIGN = 200,        /* co-sign it: the state to keep is in *next */
    TC_WITNESS_MALFORMED = 400,     /* the body, the note or the checkpoint is malformed, or the
                                     * old size is above the checkpoint's */
    TC_WITNESS_BAD_SIGNATURE = 403, /* no signature of the log's keys verifies (or one fails) */
    TC_WITNESS_UNKNOWN_LOG = 404,   /* the checkpoint's origin is not a log of the witness */
    TC_WITNESS_CONFLICT = 409,      /* the old size is not the size held (the answer's body is
                                     * the size held), or the same size with another root */
    TC_WITNESS_BAD_PROOF = 422,     /* the consistency proof does not verify */
};
struct tc_witness_verdict {
    enum tc_witness_status status;
    const char *why;  /* a sentence for the answer's body (static text) */
    const char *word; /* the access log's word for it: cosigned, malformed, bad_signature,
                       * unknown_log, conflict, bad_proof (static text) */
    uint64_t held;    /* TC_WITNESS_CONFLICT: the size held, the 409 answer's body */
};

/* A request body read and checked on its own (what needs no state). */
struct tc_witness_submission {
    uint64_t old_size;
    uint8_t proof[TC_WITNESS_PROOF_MAX][TC_REG_HASH];
    size_t proof_len;
    const char *note; /* the signed checkpoint, into the body */
    size_t note_len;
    size_t log; /* the log's index in the configuration */
    struct tc_checkpoint checkpoint;
    /* the checkpoint's text and the log's lines that verified, as the state keeps them */
    char kept[TC_REG_NOTE_MAX + 1];
    size_t kept_len;
};

/* Reads an add-checkpoint body: "old <size>\n", at most TC_WITNESS_PROOF_MAX lines of a base64
 * hash each, an empty line, a signed checkpoint. Then, in the spec's order: the origin must be a
 * log of cfg (404), a signature of one of its keys must verify and none may fail (403), the text
 * must be a canonical checkpoint without extension lines (400), the old size at most its size
 * (400). Returns the status: TC_WITNESS_COSIGN when the request may go on to tc_witness_decide
 * (with *sub filled in), else the refusal, with *v saying why. body need not be terminated. */
enum tc_witness_status tc_witness_open(const struct tc_witness_config *cfg, const char *body,
                                       size_t len, struct tc_witness_submission *sub,
                                       struct tc_witness_verdict *v);
/* Judges a submission against the state held for its log: the old size must be the size held
 * (409 with the size), the proof must be empty from size 0 and prove consistency from the held
 * root to the checkpoint's otherwise (422), and a checkpoint of the size held must have the root
 * held (409). On TC_WITNESS_COSIGN, *next is the state to keep (its time is held->time: the
 * caller sets the co-signature's). Pure: the same inputs give the same answer. Every tree it
 * co-signs extends the tree held, so the trees co-signed for a log form one chain of growing
 * sizes, and no size ever gets two roots. */
enum tc_witness_status tc_witness_decide(const struct tc_witness_submission *sub,
                                         const struct tc_witness_state *held,
                                         struct tc_witness_state *next,
                                         struct tc_witness_verdict *v);

/* ---- the publisher's side (client.c) ------------------------------------------------------- */

/* A publisher (titlecert-issuer publish, titlecert-signer) asks each witness of a set
 * (register.h: struct tc_cosigner_set, each with its submission URL) to co-sign a checkpoint the
 * log signed: POST <URL>add-checkpoint with "old <size>", the consistency proof from that size
 * and the signed checkpoint. A 409 names the size the witness holds: the request is made once
 * more from there. Every request is bounded (TC_WITNESS_CONNECT_MS to connect,
 * TC_WITNESS_REQUEST_MS in all, an answer of at most TC_WITNESS_ANSWER_MAX bytes, no redirect),
 * and the witnesses are asked in parallel, so a publication waits at most about twice
 * TC_WITNESS_REQUEST_MS however many witnesses there are. Nothing is written: the caller keeps
 * the sizes and appends the lines. */
#define TC_WITNESS_CONNECT_MS 2000L
#define TC_WITNESS_REQUEST_MS 5000L
#define TC_WITNESS_ANSWER_MAX 4096

struct tc_witness_ask {
    const char *note; /* the checkpoint, signed by the log (a C2SP signed note) */
    size_t note_len;
    uint64_t size;                    /* its size */
    const struct tc_reg_source *tree; /* the log's hashes (read by one thread at a time) */
    long request_ms;                  /* 0: TC_WITNESS_REQUEST_MS */
};
/* What one witness did. */
struct tc_witness_reply {
    /* in: the size the witness co-signed last, as the publisher knows it (0: none known);
     * out: the size it holds now as far as its answers say (the checkpoint's when it co-signed) */
    uint64_t old;
    /* TC_OK: line is its co-signature, verified with its key over the checkpoint; else
     * TC_ERR_IO (unreachable, too slow), TC_ERR_REFUSED (it refused: status and why say how),
     * TC_ERR_BAD_SIGNATURE (it answered 200 with no line of its key that verifies),
     * TC_ERR_INCONSISTENT (it holds a larger tree than the checkpoint's) */
    enum tc_err result;
    char line[TC_COSIG_LINE_MAX];
    size_t line_len;
    uint64_t time;    /* the co-signature's timestamp */
    long status;      /* the last HTTP status (0: none) */
    unsigned asked;   /* requests made (1 or 2) */
    double seconds;   /* how long it took, all requests */
    char why[320];    /* on failure, a sentence for the operator */
};
/* Asks every witness of set that has a URL, in parallel; reply[i] is set->w[i]'s (the caller
 * sets each reply[i].old first). Returns how many co-signed. */
size_t tc_witness_collect(const struct tc_cosigner_set *set, const struct tc_witness_ask *a,
                          struct tc_witness_reply *reply);
/* The checkpoint with the co-signature lines of the replies that have one appended, into out
 * (of cap bytes, NUL-terminated); *len its length. TC_ERR_BUFFER when it does not fit. */
enum tc_err tc_witness_cosigned_note(const char *note, size_t note_len,
                                     const struct tc_witness_reply *reply, size_t n, char *out,
                                     size_t cap, size_t *len);
/* A publisher's witnesses: the file at path, each witness with its URL, and the quorum given
 * (1 to their number). NULL, else why not, in why (naming the file and line). */
const char *tc_witness_publisher_load(const char *path, long quorum, struct tc_cosigner_set *set,
                                      char *why, size_t size);
/* What each witness of set did, one "<name>: co-signed (0.01 s)" or "<name>: not co-signed:
 * <why>" per witness, separated by sep, into out (truncated to size); its length. */
size_t tc_witness_explain(const struct tc_cosigner_set *set, const struct tc_witness_reply *reply,
                          const char *sep, char *out, size_t size);

/* ---- the service (service.c) ----------------------------------------------------------------- */

struct tc_signer;
struct tc_witness_service;

struct tc_witness_service_config {
    struct sockaddr_in addr;              /* all zero: 127.0.0.1:8090 */
    const struct tc_witness_config *logs; /* kept by reference */
    const char *state_dir;                /* locked while the service runs */
    struct tc_signer *signer;             /* an Ed25519 key; kept by reference */
    const char *name;                     /* the witness's key name (tc_note_name_ok) */
    int threads, connection_limit, per_address_limit, timeout; /* 0: the HTTP layer's */
    const char *trusted_proxy;               /* as in struct tc_http_config; NULL: none */
    FILE *access_log;                        /* NULL: none; the caller closes it */
    void (*log)(void *ctx, const char *msg); /* what the service has to say; NULL: nothing */
    void *log_ctx;
};
/* Locks the state directory, reads every log's state, and listens. A checkpoint signed by a log
 * at the size held with another root (a split view) is refused and kept as evidence in the state
 * directory, "log-<hex>.split-<size>-<root hex>.note" (at most 64 per log while it runs).
 *
 *   POST /add-checkpoint   tlog-witness add-checkpoint (answers 200 with the co-signature line,
 *                          409 text/x.tlog.size, 400, 403, 404, 422 text; 413 past
 *                          TC_WITNESS_BODY_MAX; 500 when the state cannot be written or the key
 *                          does not sign, 503 for a log whose state write failed, until restart)
 *   GET /healthz, GET /metrics
 * On failure why says what failed (a state file, the lock, the socket). */
enum tc_err tc_witness_service_start(struct tc_witness_service **out,
                                     const struct tc_witness_service_config *cfg, char *why,
                                     size_t why_size);
uint16_t tc_witness_service_port(const struct tc_witness_service *s);
/* Serves until SIGINT or SIGTERM (tc_http_block_signals must have been called first). */
void tc_witness_service_run(struct tc_witness_service *s);
/* Stops listening, releases the state lock and frees the service. NULL is ignored. */
void tc_witness_service_stop(struct tc_witness_service *s);

#endif
