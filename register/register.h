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
 *     leaf), plus the checkpoint.
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

struct tc_checkpoint {
    char origin[TC_REG_ORIGIN_MAX + 1];
    uint64_t size;
    uint8_t root[TC_REG_HASH];
};
/* The signed-note key id of an Ed25519 key called name. */
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
/* Opens a signed note: splits body and signature lines (at most TC_REG_NOTE_SIGS, the rest
 * refused), and verifies the line that names `name` with the key hash of pk. TC_OK with *body,
 * *body_len pointing into note; TC_ERR_BAD_SIGNATURE when that line is absent or does not
 * verify; TC_ERR_TYPE/TEXT/SIZE_LIMIT when the note is malformed. Other signers' lines are
 * ignored, as the signed-note spec says (witness cosignatures). */
enum tc_err tc_note_open(const char *note, size_t len, const char *name, const uint8_t pk[32],
                         const char **body, size_t *body_len);

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
