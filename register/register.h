/*
 * register.h - the public register (A3: 公示, 全程记录): an append-only Merkle tree log of every
 * issuance, conversion, revocation, key and publication event of a province.
 *
 * Conventions are the ones existing transparency tooling speaks, so that anyone can mirror,
 * audit and witness the register with tools titlecert did not write:
 *   - the tree is RFC 9162 §2.1: SHA-256, leaf hash SHA-256(0x00 || leaf), node hash
 *     SHA-256(0x01 || left || right); inclusion and consistency proofs as in §2.1.3 and §2.1.4;
 *   - the checkpoint is C2SP tlog-checkpoint text (origin, size, base64 root) signed as a C2SP
 *     signed note with an Ed25519 key (key id = SHA-256(name || 0x0A || 0x01 || pk)[:4]);
 *   - the published files are the C2SP tlog-tiles layout: tile/<L>/<N>[.p/<W>] hash tiles of
 *     height 8 and tile/entries/<N>[.p/<W>] entry bundles (a 2-byte big-endian length before each
 *     leaf), plus the checkpoint;
 *   - witnesses co-sign checkpoints with C2SP tlog-cosignature lines (cosignature/v1: Ed25519
 *     over "cosignature/v1\ntime <t>\n" and the checkpoint, key id type 0x04), which the
 *     register makes and checks from a table of co-signature types.
 * Leaves hold no personal data (docs/FORMAT.md "Register"). This module links cert/ for CBOR and
 * libsodium for SHA-256 and Ed25519 verification; it holds no code that can read a secret key.
 */
#ifndef TC_REGISTER_H
#define TC_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#define TC_REG_HASH 32
#define TC_REG_TILE_HEIGHT 8
#define TC_REG_TILE_WIDTH 256
#define TC_REG_LEAF_MAX 512       /* bytes of one leaf; an entry bundle holds 256 of them */
#define TC_REG_PROOF_MAX 64       /* hashes in one proof (a tree of 2^63 leaves needs 63) */
#define TC_REG_NOTE_MAX 8192      /* bytes of a signed note */
#define TC_REG_NOTE_SIGS 16       /* signature lines read from a note */
#define TC_REG_ORIGIN_MAX 128
#define TC_REG_SIZE_MAX (UINT64_C(1) << 40) /* leaves: far beyond any province's events */

void tc_reg_leaf_hash(uint8_t out[TC_REG_HASH], const uint8_t *leaf, size_t len);
void tc_reg_node_hash(uint8_t out[TC_REG_HASH], const uint8_t l[TC_REG_HASH],
                      const uint8_t r[TC_REG_HASH]);

/* ---- trees and proofs (tree.c) ---------------------------------------------------------------- */

/* Where stored hashes come from: hash() gives the hash of the complete subtree at (level,
 * index), the leaves [index << level, (index + 1) << level). An in-memory tree and a directory
 * of tiles both provide one; proofs and roots are computed the same way from either. */
struct tc_reg_source {
    enum tc_err (*hash)(void *ctx, unsigned level, uint64_t index, uint8_t out[TC_REG_HASH]);
    void *ctx;
};

/* The root of the first n leaves (RFC 9162 MTH). The empty tree's root is SHA-256(""). */
enum tc_err tc_reg_root(const struct tc_reg_source *s, uint64_t n, uint8_t out[TC_REG_HASH]);
/* RFC 9162 §2.1.3.1 PATH(index, D[n]) and §2.1.4.1 PROOF(m, D[n]) into proof (TC_REG_PROOF_MAX
 * hashes); *len receives the count. TC_ERR_RANGE for index >= n, or unless 0 < m <= n. */
enum tc_err tc_reg_prove_inclusion(const struct tc_reg_source *s, uint64_t index, uint64_t n,
                                   uint8_t (*proof)[TC_REG_HASH], size_t *len);
enum tc_err tc_reg_prove_consistency(const struct tc_reg_source *s, uint64_t m, uint64_t n,
                                     uint8_t (*proof)[TC_REG_HASH], size_t *len);
/* RFC 9162 §2.1.3.2 and §2.1.4.2. Consistency from size 0 holds with an empty proof; from m = n
 * it holds with an empty proof and equal roots. */
bool tc_reg_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf_hash[TC_REG_HASH],
                             const uint8_t (*proof)[TC_REG_HASH], size_t len,
                             const uint8_t root[TC_REG_HASH]);
bool tc_reg_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[TC_REG_HASH],
                               const uint8_t root_n[TC_REG_HASH],
                               const uint8_t (*proof)[TC_REG_HASH], size_t len);

/* A tree in memory: level k holds the hashes of the n >> k complete subtrees of 2^k leaves. */
struct tc_reg_tree {
    uint64_t n;
    uint8_t *level[64];
    uint64_t cap[64];
};
void tc_reg_tree_init(struct tc_reg_tree *t);
void tc_reg_tree_free(struct tc_reg_tree *t);
/* Appends a leaf hash; TC_ERR_NOMEM leaves the tree as it was. */
enum tc_err tc_reg_tree_append(struct tc_reg_tree *t, const uint8_t leaf_hash[TC_REG_HASH]);
struct tc_reg_source tc_reg_tree_source(struct tc_reg_tree *t);

/* The frontier of a tree of `size` leaves: the hashes of its complete subtrees from the left,
 * largest first (one per bit of size). It gives the tree's root, and leaves appended to it give
 * the root of the longer tree: what a replica needs to check that new entries extend the
 * register it holds, without the entries before them. */
struct tc_reg_frontier {
    uint64_t size;
    size_t len;
    uint8_t hash[64][TC_REG_HASH];
};
enum tc_err tc_reg_frontier_of(const struct tc_reg_source *s, uint64_t n,
                               struct tc_reg_frontier *f);
/* Whether f has one hash per bit of its size (one read from outside must be checked first). */
bool tc_reg_frontier_valid(const struct tc_reg_frontier *f);
void tc_reg_frontier_append(struct tc_reg_frontier *f, const uint8_t leaf_hash[TC_REG_HASH]);
void tc_reg_frontier_root(const struct tc_reg_frontier *f, uint8_t out[TC_REG_HASH]);

/* ---- leaves (leaf.c) -------------------------------------------------------------------------- */

enum tc_reg_kind {
    TC_REG_ISSUE = 1,       /* [1, id, h'SHA-256 of the certificate bytes', h'kid', day, batch] */
    TC_REG_SUPERSEDE = 2,   /* [2, id, successor, day] */
    TC_REG_REVOKE = 3,      /* [3, id, day, reason code] */
    TC_REG_TRUST = 4,       /* [4, trust-list version, h'SHA-256 of the trust list', day] */
    TC_REG_PUBLICATION = 5, /* [5, batch, h'SHA-256 of the 公示 JSON', day] */
    TC_REG_DATA = 6,        /* [6, what, h'SHA-256 of it', day]: what a verdict also depends on */
};
#define TC_REG_DATA_UNITS 1   /* the unit directory, as the bundle carries it (member 6) */
#define TC_REG_DATA_PROFILE 2 /* the province profile's JSON text (member 7) */
struct tc_reg_leaf {
    uint8_t kind;  /* enum tc_reg_kind */
    uint64_t id;   /* certificate id; trust-list version; batch */
    uint64_t other; /* successor (supersede), batch (issue) */
    uint8_t hash[TC_REG_HASH]; /* issue, trust, publication */
    uint8_t kid[8];            /* issue */
    int32_t day;               /* Beijing day the event was recorded */
    char reason[16];           /* revoke */
};
/* Encodes a leaf (deterministic CBOR) into out (TC_REG_LEAF_MAX); *len the size. */
enum tc_err tc_reg_leaf_encode(const struct tc_reg_leaf *l, uint8_t *out, size_t *len);
/* Decodes strictly: exactly the encoding tc_reg_leaf_encode writes, else an error. */
enum tc_err tc_reg_leaf_decode(const uint8_t *in, size_t len, struct tc_reg_leaf *l);
const char *tc_reg_kind_name(uint8_t kind);

/* ---- checkpoints and signed notes (note.c) ---------------------------------------------------- */

#define TC_NOTE_SIG_MAX 128 /* bytes of one signature after its key id (cosignature/v1: 72) */

struct tc_checkpoint {
    char origin[TC_REG_ORIGIN_MAX + 1];
    uint64_t size;
    uint8_t root[TC_REG_HASH];
};
/* Whether n bytes at p are a signed-note key name (also a checkpoint origin): 1 to
 * TC_REG_ORIGIN_MAX bytes with no space, control character or plus sign. */
bool tc_note_name_ok(const char *p, size_t n);
/* The signed-note key id SHA-256(name || 0x0A || type || public key)[:4], big-endian: type 0x01
 * for a log's Ed25519 key, 0x04 for a witness's cosignature/v1 key. */
uint32_t tc_note_key_id_typed(const char *name, uint8_t type, const uint8_t *pk, size_t pk_len);
/* The signed-note key id of an Ed25519 key called name (type 0x01). */
uint32_t tc_note_key_id(const char *name, const uint8_t pk[32]);
/* The verifier key in the signed-note text form: name+hex8+base64(0x01 || pk). */
void tc_note_vkey(char *out, size_t size, const char *name, const uint8_t pk[32]);
/* Parses a verifier key (the form above); TC_ERR_CODE when it is not one. */
enum tc_err tc_note_vkey_parse(const char *vkey, char *name, size_t name_size, uint8_t pk[32]);
/* The checkpoint body "origin\nsize\nbase64(root)\n" into out; its length, 0 if it does not fit. */
size_t tc_checkpoint_format(const struct tc_checkpoint *c, char *out, size_t size);
/* Parses a checkpoint body (extension lines after the root are allowed and ignored). */
enum tc_err tc_checkpoint_parse(const char *body, size_t len, struct tc_checkpoint *c);
/* A signed note: body + "\n" + "— name base64(keyid || sig)\n". sig is Ed25519 over the body. */
size_t tc_note_format(const char *body, size_t body_len, const char *name, const uint8_t pk[32],
                      const uint8_t sig[64], char *out, size_t size);
/* One signature line of a note: "— <name> base64(key id || sig)\n". */
struct tc_note_sig {
    const char *name;   /* into the note, not terminated */
    size_t name_len;
    uint32_t key_id;
    uint8_t sig[TC_NOTE_SIG_MAX]; /* the bytes after the key id */
    size_t sig_len;               /* at least 1 */
    const char *line;             /* the whole line in the note, with its newline */
    size_t line_len;
};
/* A note split into its text and its signature lines, nothing verified. */
struct tc_note {
    const char *text; /* the note's start: its text, with the final newline */
    size_t text_len;
    struct tc_note_sig sig[TC_REG_NOTE_SIGS];
    size_t n_sigs; /* 0 for a note that ends at its blank line: it verifies for nobody */
};
/* Splits a signed note (C2SP signed-note) at its last blank line and parses each signature line;
 * pointers in out point into note. TC_ERR_SIZE_LIMIT for a note over TC_REG_NOTE_MAX bytes or
 * with more than TC_REG_NOTE_SIGS signature lines; TC_ERR_TEXT when it is not UTF-8, holds a
 * control character other than newline or does not end in a newline; TC_ERR_TYPE without a blank
 * line, or for a signature line that is not the form above (em dash, space, name, space,
 * standard padded base64 of at least 5 and at most 4 + TC_NOTE_SIG_MAX bytes). */
enum tc_err tc_note_parse(const char *note, size_t len, struct tc_note *out);
/* Opens a signed note: splits body and signature lines (at most TC_REG_NOTE_SIGS, the rest
 * refused), and verifies the line that names `name` with the key hash of pk. TC_OK with *body,
 * *body_len pointing into note; TC_ERR_BAD_SIGNATURE when that line is absent or does not
 * verify; TC_ERR_TYPE/TEXT/SIZE_LIMIT when the note is malformed. Other signers' lines are
 * ignored, as the signed-note spec says (witness cosignatures). */
enum tc_err tc_note_open(const char *note, size_t len, const char *name, const uint8_t pk[32],
                         const char **body, size_t *body_len);

/* ---- co-signatures (cosig.c) ----------------------------------------------------------------- */

/* C2SP tlog-cosignature. A witness's co-signature on a checkpoint is one more signature line of
 * the checkpoint's note, "— <witness name> base64(key id || timestamp || signature)", where the
 * timestamp is 8 bytes big-endian (POSIX seconds, at most 2^63 - 1) and the signature is over a
 * message its type defines. Types are rows of a table: cosignature/v1 (Ed25519, signed-note type
 * 0x04) is the one row today; ML-DSA-44 (type 0x06, docs/DECISIONS.md) would be one more, with
 * its own message builder and verifier, and no caller would change.
 *
 * Signing is the caller's: tc_cosig_message builds the bytes, a signer handle (keys/) signs
 * them, tc_cosig_line formats the line. So this module still holds no code that reads a secret
 * key. A verifier of a register (publish collecting co-signatures, a verifier requiring a
 * quorum) opens the log's signature with tc_note_open and then counts witnesses with
 * tc_cosig_verify_note. */
#define TC_COSIG_ED25519 0x04 /* signed-note signature type of cosignature/v1 */
#define TC_COSIG_PK_MAX 32    /* bytes of the largest public key in the table */
#define TC_COSIG_SIG_MAX 64   /* bytes of the largest signature in the table */
#define TC_COSIG_TIME_MAX ((uint64_t)INT64_MAX) /* the spec's bound on a timestamp */
/* the signed message: a header line, a time line and a note's text */
#define TC_COSIG_MSG_MAX (TC_REG_NOTE_MAX + 64)
/* a signature line: em dash (3 bytes), space, name, space, base64 of key id, timestamp and
 * signature, newline and NUL */
#define TC_COSIG_LINE_MAX (4 + TC_REG_ORIGIN_MAX + 1 + 4 * ((4 + 8 + TC_COSIG_SIG_MAX + 2) / 3) + 2)
/* a verifier key: name, '+', 8 hex digits, '+', base64 of type and public key, NUL */
#define TC_COSIG_VKEY_MAX (TC_REG_ORIGIN_MAX + 10 + 4 * ((1 + TC_COSIG_PK_MAX + 2) / 3) + 1)

/* A row of the table of co-signature types. */
struct tc_cosig_type {
    const char *name; /* "cosignature/v1" */
    uint8_t type;     /* the signed-note signature type of its key id and verifier key */
    size_t pk_len;    /* bytes of a public key */
    size_t sig_len;   /* bytes of a signature (after the key id and timestamp) */
    /* The message signed for a note's text at time, by the cosigner called name (a type may
     * commit to it; cosignature/v1 does not). TC_ERR_BUFFER when it does not fit in cap,
     * TC_ERR_RANGE for a time above TC_COSIG_TIME_MAX. */
    enum tc_err (*message)(const char *name, uint64_t time, const char *text, size_t text_len,
                           uint8_t *out, size_t cap, size_t *len);
    /* Whether sig (sig_len bytes) is pk's signature over msg. */
    bool (*verify)(const uint8_t *sig, const uint8_t *msg, size_t len, const uint8_t *pk);
};
/* The row of a signed-note signature type, or NULL when the table has none. */
const struct tc_cosig_type *tc_cosig_type_of(uint8_t type);

/* A witness as its users know it: its name, type and public key (and so its key id). */
struct tc_cosigner {
    char name[TC_REG_ORIGIN_MAX + 1];
    const struct tc_cosig_type *type;
    uint8_t pk[TC_COSIG_PK_MAX];
    uint32_t key_id;
};
/* From a name, a signed-note type and a public key. TC_ERR_CODE for a name that is not a key
 * name (tc_note_name_ok), TC_ERR_ALG for a type the table does not have, TC_ERR_ARG for a
 * public key of another length. */
enum tc_err tc_cosigner_init(struct tc_cosigner *c, const char *name, uint8_t type,
                             const uint8_t *pk, size_t pk_len);
/* From a verifier key in the signed-note text form name+hex8+base64(type || public key), where
 * hex8 must be the key id (lower case). TC_ERR_CODE when it is not one, TC_ERR_ALG when its type
 * is not a co-signature type of the table (a log's 0x01 key, say). */
enum tc_err tc_cosigner_parse(struct tc_cosigner *c, const char *vkey);
/* The verifier key of c into out; its length, 0 if it does not fit. */
size_t tc_cosigner_vkey(const struct tc_cosigner *c, char *out, size_t size);

/* The message c signs to co-sign a note's text (a checkpoint: origin, size, root and any
 * extension lines, with the final newline) at time. Errors as the type's message(). */
enum tc_err tc_cosig_message(const struct tc_cosigner *c, uint64_t time, const char *text,
                             size_t text_len, uint8_t *out, size_t cap, size_t *len);
/* The signature line of c's signature sig (sig_len bytes, the type's length, else TC_ERR_ARG)
 * made at time: "— <name> base64(key id || time || sig)\n", terminated, its length in *len.
 * TC_ERR_RANGE for a time above TC_COSIG_TIME_MAX, TC_ERR_BUFFER when it does not fit. */
enum tc_err tc_cosig_line(const struct tc_cosigner *c, uint64_t time, const uint8_t *sig,
                          size_t sig_len, char *out, size_t size, size_t *len);
/* Verifies c's co-signature in a parsed note: every line with c's name and key id must be a
 * timestamped signature of c's type that verifies over the note's text. TC_OK with *time the
 * latest of their timestamps (time may be NULL); TC_ERR_NOT_FOUND when the note has no line of
 * c; TC_ERR_BAD_SIGNATURE when one of c's lines does not verify, has the wrong length or a
 * timestamp above TC_COSIG_TIME_MAX (the signed-note spec: a known key's bad signature makes
 * the whole note suspect). Lines of other keys are ignored. */
enum tc_err tc_cosig_verify(const struct tc_note *note, const struct tc_cosigner *c,
                            uint64_t *time);
/* Counts the witnesses of w[0..n-1] (each counted once, however often it is listed or signed)
 * whose co-signature verifies in a signed note, into *count. TC_OK when *count >= quorum;
 * TC_ERR_REFUSED when fewer verify; TC_ERR_BAD_SIGNATURE when any listed witness's line does not
 * verify (a forged line is refused, not skipped); the errors of tc_note_parse for a malformed
 * note. The log's own signature is not checked here: open the note with tc_note_open first. */
enum tc_err tc_cosig_verify_note(const char *note, size_t len, const struct tc_cosigner *w,
                                 size_t n, size_t quorum, size_t *count);

/* ---- the witnesses a reader or a publisher trusts (witnesses.c) ------------------------------ */

/* A publisher asks them to co-sign each checkpoint and publishes only with a quorum of their
 * lines; a verifier accepts a checkpoint only with a quorum of their lines. Both read the same
 * file:
 *
 *     # the province's witnesses
 *     witness <name> <verifier key> [<submission URL>]
 *
 * where the verifier key is the witness's (name+hex8+base64(type || key), as `titlecert-witness
 * vkey` prints it) and <name> must be the key's name, so that the line says which witness it is
 * without decoding the key. The URL (http:// or https://, the prefix the publisher appends
 * "add-checkpoint" to) is the publisher's; readers ignore it. */
#define TC_COSIGNERS_MAX (TC_REG_NOTE_SIGS - 1) /* a note holds the log's line and theirs */
#define TC_COSIGNER_URL_MAX 512
#define TC_COSIGNERS_FILE_MAX (64u << 10)
struct tc_cosigner_set {
    struct tc_cosigner w[TC_COSIGNERS_MAX];
    char url[TC_COSIGNERS_MAX][TC_COSIGNER_URL_MAX + 1]; /* "" when none was given */
    size_t n;
    size_t quorum; /* how many must co-sign; 0 while none are required */
};
/* Adds a witness from its verifier key, with a submission URL or NULL. TC_ERR_CODE or
 * TC_ERR_ALG for a key that is not a co-signature verifier key (tc_cosigner_parse), TC_ERR_LINK
 * for a URL that is not http:// or https:// printable ASCII of at most TC_COSIGNER_URL_MAX
 * bytes, TC_ERR_DUP_KEY for a witness whose name or public key is already in the set (two names
 * for one key would count one witness twice), TC_ERR_SIZE_LIMIT past TC_COSIGNERS_MAX. */
enum tc_err tc_cosigner_set_add(struct tc_cosigner_set *set, const char *vkey, const char *url);
/* Parses a witnesses file (above) into an empty set: '#' comments and blank lines ignored,
 * strict otherwise. TC_OK with at least one witness; else the error and *line (1-based): the
 * errors of tc_cosigner_set_add, TC_ERR_TEXT for a line that is not UTF-8 or holds a control
 * character, TC_ERR_TYPE for a line that is not a witness line, TC_ERR_INCONSISTENT for a name
 * that is not its key's, TC_ERR_SIZE_LIMIT past TC_COSIGNERS_FILE_MAX bytes, TC_ERR_MISSING_KEY
 * (line 0) for a file without witnesses. The quorum is left as it was. */
enum tc_err tc_cosigner_set_parse(const char *text, size_t len, struct tc_cosigner_set *set,
                                  size_t *line);
/* Reads and parses a file (errors as above, and those of tc_file_read). */
enum tc_err tc_cosigner_set_load(const char *path, struct tc_cosigner_set *set, size_t *line);

/* A sentence for an error of tc_cosigner_set_add, _parse or _load (a line to fix). */
const char *tc_cosigner_set_strerror(enum tc_err e);
/* Sets the quorum a command line gave (0: none given). With witnesses it must be given, and be
 * 1 to their number; without, none may be. NULL, else why not (a sentence naming the options
 * --witness-quorum, --witness and --witnesses). */
const char *tc_cosigner_set_quorum(struct tc_cosigner_set *set, long quorum);

/* What a note's co-signatures are worth to a set: per witness of the set, TC_OK (counted),
 * TC_ERR_NOT_FOUND (no line of it), TC_ERR_BAD_SIGNATURE (a line of its name and key id that
 * does not verify) or TC_ERR_ROLLBACK (its latest co-signature is older than the one accepted
 * before, min_time), and the latest timestamp of its lines. */
struct tc_cosig_tally {
    size_t count;
    enum tc_err result[TC_COSIGNERS_MAX];
    uint64_t time[TC_COSIGNERS_MAX];
};
/* Counts the witnesses of set whose co-signature verifies in a signed note (each once) and is
 * not older than min_time[i] (NULL: no floor). TC_OK when at least set->quorum count;
 * TC_ERR_BAD_SIGNATURE when a line of a witness of the set does not verify (a forged line is
 * refused, not skipped, as signed-note says of a known key); TC_ERR_REFUSED below the quorum;
 * the errors of tc_note_parse for a malformed note. The log's own signature is not checked here:
 * it was, when the checkpoint was opened. */
enum tc_err tc_cosigner_set_check(const struct tc_cosigner_set *set, const char *note,
                                  size_t len, const uint64_t *min_time, struct tc_cosig_tally *t);
/* One sentence on a tally: "2 of 3 witnesses co-signed (quorum 2): a.example/w ok; b.example/w
 * no co-signature; ...". Its length (as snprintf). */
size_t tc_cosig_tally_explain(const struct tc_cosigner_set *set, const struct tc_cosig_tally *t,
                              char *out, size_t size);

/* ---- tiles (tiles.c) -------------------------------------------------------------------------- */

/* The path of a hash tile (level >= 0) or, with level -1, an entry bundle, for a tree of size n
 * in which it is tile number index: "tile/L/x001/x234/067[.p/W]". Returns the width. */
unsigned tc_tile_path(char *out, size_t size, int level, uint64_t index, uint64_t n);
/* Writes the hash tiles and entry bundles of tree t (n = t->n) under dir: full tiles that exist
 * are kept (a full tile never changes), partial ones rewritten; each file goes to a temporary
 * name and is renamed. leaf() gives leaf i's bytes for the entry bundles. *written counts the
 * files written. */
enum tc_err tc_tiles_write(const char *dir, struct tc_reg_tree *t,
                           enum tc_err (*leaf)(void *ctx, uint64_t i, const uint8_t **p,
                                               size_t *len),
                           void *ctx, uint64_t *written, int *err);
/* A source that reads hash tiles from dir for a tree of size n; a small cache keeps the last
 * tiles read. Hashes read are not trusted by themselves: every root or proof computed from them
 * is checked against a signed checkpoint by the caller. */
struct tc_tile_reader;
enum tc_err tc_tile_reader_open(const char *dir, uint64_t n, struct tc_tile_reader **out);
void tc_tile_reader_close(struct tc_tile_reader *r);
struct tc_reg_source tc_tile_reader_source(struct tc_tile_reader *r);
/* Leaf i (i < n) from the entry bundles; *p is valid until the next call. */
enum tc_err tc_tile_reader_leaf(struct tc_tile_reader *r, uint64_t i, const uint8_t **p,
                                size_t *len);
/* The file that failed last (for messages), or "". */
const char *tc_tile_reader_last(const struct tc_tile_reader *r);
/* Splits an entry bundle into its leaves; TC_ERR_TYPE when it is not width entries exactly. */
enum tc_err tc_entry_bundle_split(const uint8_t *in, size_t len, unsigned width,
                                  const uint8_t **leaf, size_t *leaf_len);

#endif
