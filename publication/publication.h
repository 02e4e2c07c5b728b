/*
 * publication.h - what a province publishes for verifiers, in one place: the signed status
 * bundle, the signed delta from one bundle to the next, and the head that says which of them is
 * current (docs/FORMAT.md "Publication"). The issuer writes them with this module and the
 * verifier, titlecert-register and the tests read them with it; nothing else encodes or decodes
 * them.
 *
 * Bundle: a profile COSE_Sign1 (cert/) with external AAD TC_AAD_BUNDLE over a CBOR map of 14
 * members, in this order and canonical (shortest heads, sorted lists, one encoding per bundle):
 *   0 type (4), 1 version, 2 issued_at, 3 the root-signed trust list (bytes), 4 revoked
 *   [[id, day, reason]], 5 superseded [[id, successor, day]], 6 units [[uscc (12 packed bytes),
 *   division, township, tier, basic_flag, from, to, name]], 7 the profile (JSON text), 8 title
 *   table [[series, code, series name, level, variant, title]], 9 audit head [seq, mac], 10
 *   province, 11 the register checkpoint (a C2SP signed note), 12 index of registered
 *   certificates, 13 consistency proofs to the checkpoint from earlier published sizes
 *   [[size, [hash...]]].
 * The index entries are [id, leaf, h'first 16 bytes of SHA-256 of the certificate'], ascending.
 * Version 2 (type 8, AAD TC_AAD_BUNDLE) writes member 12 as [[h'SHA-256 of a chunk file'...],
 * [entry...]]: the complete chunks of TC_INDEX_CHUNK entries are files of their own, each a CBOR
 * array of its entries, and only the rest is in the bundle. Ids are issued in ascending order and
 * never leave the index, so a chunk once complete does not change (an id out of order makes its
 * chunk and the later ones new): a publication writes and hashes only what is new, and a replica
 * fetches only the chunks it lacks. Version 1 (type 4, AAD
 * TC_AAD_BUNDLE_V1: the whole index in member 12) is still read.
 * It is signed by a key the embedded trust list endorses for status publication; its checkpoint
 * by a key endorsed for register checkpoints.
 *
 * Delta: {0: 7, 1: from version, 2: h'SHA-256 of the from bundle', 3: to version, 4: issued_at,
 * 5: checkpoint, 6: [frontier hashes of the from bundle's register], 7: [the register entries
 * added since, as leaf bytes], 8: consistency proofs, 9: audit head, 10: h'SHA-256 of the to
 * bundle', 11: h'the to bundle's signature'}, AAD TC_AAD_DELTA, same key: written when only
 * register events changed since the previous bundle. It carries no list: a replica derives the
 * additions from the entries, checks that they extend the register it holds, assembles the full
 * bundle and checks its hash and signature (tc_bundle_apply_delta).
 *
 * Head: text, "titlecert-head 1", version, sha256 and bytes of the bundle, an optional delta
 * line, a blank line and the checkpoint note (tc_head_format). It is not signed: it only says what
 * to fetch, and everything fetched is verified.
 *
 * Reading checks trust before it allocates: the first four members are read in place, the trust
 * list is verified against the pinned root, the bundle's signature over its raw bytes against
 * the key that list endorses, and only then are the lists parsed. This module links cert/,
 * policy/, register/ and the public half of keys/; it signs only through a signer handle.
 */
#ifndef TC_PUBLICATION_H
#define TC_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "keys.h"
#include "register.h"

#define TC_AAD_BUNDLE "titlecert/status-bundle/v2"
#define TC_AAD_BUNDLE_V1 "titlecert/status-bundle/v1" /* read, no longer written */
#define TC_AAD_DELTA "titlecert/status-delta/v2"
#define TC_BUNDLE_MAX_BYTES (128u << 20)
#define TC_DELTA_MAX_BYTES (16u << 20)
#define TC_HEAD_MAX_BYTES (TC_REG_NOTE_MAX + 512)
#define TC_BUNDLE_INDEX_HASH 16 /* bytes of SHA-256 per certificate in the index */
#define TC_BUNDLE_PROOFS 8      /* written: proofs from the last 8 published sizes */
#define TC_BUNDLE_MAX_PROOFS 16 /* read */
#define TC_BUNDLE_REASON_MAX 16 /* bytes of a revocation reason code */
/* The index in chunk files (v2): every complete run of TC_INDEX_CHUNK entries is a file named by
 * its SHA-256 (tc_chunk_name), the rest is in the bundle. */
#define TC_INDEX_CHUNK 65536u
#define TC_INDEX_CHUNK_MAX_BYTES (TC_INDEX_CHUNK * 40u) /* 37 bytes an entry at most, encoded */
#define TC_BUNDLE_MAX_CHUNKS 256u /* 16.7 million certificates */
#define TC_CHUNK_NAME_MAX 80

struct tc_bundle_unit {
    char uscc[TC_USCC_LEN + 1];
    uint32_t division, township;
    int32_t from, to;   /* to: INT32_MAX while in force */
    uint8_t tier;
    int8_t flag;        /* -1 unknown, 0 no, 1 yes */
    uint32_t name_off;  /* into the names buffer */
};
/* Lists are sorted by id; the id comes first in each, so one search serves them all. */
struct tc_bundle_revoked {
    uint64_t id;
    int32_t day;
    char reason[TC_BUNDLE_REASON_MAX];
};
struct tc_bundle_superseded {
    uint64_t id, successor;
    int32_t day;
};
/* 12: a registered certificate: id, its issue leaf, the first bytes of SHA-256 of its bytes */
struct tc_bundle_registered {
    uint64_t id;
    uint64_t leaf;
    uint8_t hash[TC_BUNDLE_INDEX_HASH];
};
/* 13: a consistency proof from an earlier checkpoint size to the bundle's */
struct tc_bundle_proof {
    uint64_t size;
    size_t len;
    uint8_t hashes[TC_REG_PROOF_MAX][TC_REG_HASH];
};

/* ---- reading ------------------------------------------------------------------------------- */

struct tc_bundle {
    uint64_t version, issued_at;
    uint32_t province;
    uint8_t signer[TC_KID_BYTES];
    struct tc_trust_list *tl;
    struct tc_profile profile;
    struct tc_bundle_revoked *revoked;
    size_t n_revoked;
    struct tc_bundle_superseded *superseded;
    size_t n_superseded;
    struct tc_bundle_unit *units; /* sorted by USCC, then from */
    size_t n_units;
    char *names;
    uint64_t audit_seq;
    uint8_t audit_head[32];
    /* the register (A3): the checkpoint, verified with a key endorsed for TC_AUTHZ_REGISTER */
    struct tc_checkpoint checkpoint;
    char *note; /* the signed note, NUL-terminated */
    size_t note_len;
    const struct tc_endorsement *register_key;
    struct tc_bundle_registered *index; /* sorted by id: the chunks' entries, then the rest */
    size_t n_index;
    uint8_t (*chunk_sha)[32]; /* SHA-256 of each chunk file (v2), verified against its bytes */
    size_t n_chunks;
    struct tc_bundle_proof *proofs; /* ascending sizes, all below checkpoint.size */
    size_t n_proofs;
    uint8_t file_sha256[32]; /* of the bundle file */
    uint8_t sig[TC_SIG_BYTES];
    /* raw members, so that the bundle can be encoded again (a delta's result) */
    uint8_t *trust_raw; /* the embedded trust list's bytes */
    size_t trust_raw_len;
    char *profile_json;
    size_t profile_json_len;
    uint8_t *titles_raw; /* member 8 as it was encoded */
    size_t titles_raw_len;
};

/* Parses and verifies a bundle: its trust list must be signed by root_pk, the bundle by a key
 * that list endorses for status publication (TC_AUTHZ_STATUS) and in term on the day it claims;
 * lists must be well formed and sorted; the checkpoint signed by a register key. A key the list
 * revokes is refused from its revocation day counted by the later of the bundle's own day and
 * `now`, the reader's clock (seconds; 0 for offline tools that judge a bundle by its own date):
 * a revoked key cannot date a bundle back to before its revocation. With a clock, a bundle dated
 * more than TC_CLOCK_SKEW_SECONDS ahead of it is TC_ERR_FUTURE (it would outlast the maximum age
 * by as much). */
enum tc_err tc_bundle_parse_at(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                               uint64_t now, struct tc_bundle **out);
enum tc_err tc_bundle_parse(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                            struct tc_bundle **out);
/* Where a reader finds the index's chunk files: get() gives the file named by sha256
 * (malloc'd; at most TC_INDEX_CHUNK_MAX_BYTES), TC_ERR_NOT_FOUND when it has none. The reader
 * checks each file's hash against the one the verified bundle names before reading it. */
struct tc_chunk_source {
    enum tc_err (*get)(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len);
    void *ctx;
    char failed[TC_CHUNK_NAME_MAX]; /* set by the reader: the chunk it could not take, or "" */
};
/* tc_bundle_parse_at with the chunks from src (NULL: a bundle that names a chunk is refused with
 * TC_ERR_NOT_FOUND). A chunk src does not have is TC_ERR_NOT_FOUND (or get's error), one whose
 * hash differs TC_ERR_INCONSISTENT; src->failed then names it. */
enum tc_err tc_bundle_parse_from(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                                 uint64_t now, struct tc_chunk_source *src,
                                 struct tc_bundle **out);
/* The bundle file at path, with its chunk files from the same directory (tc_bundle_parse_from);
 * *len its size. When a chunk file is missing (TC_ERR_NOT_FOUND) or not the one the bundle names
 * (TC_ERR_INCONSISTENT), failed (may be NULL) receives its path, else "". */
enum tc_err tc_bundle_read_file(const char *path, const uint8_t root_pk[TC_PK_BYTES], uint64_t now,
                                struct tc_bundle **out, size_t *len, char *failed, size_t size);
/* A chunk file's entries into v (room for TC_INDEX_CHUNK): the CBOR array of exactly that many,
 * canonical, ascending ids, nothing after it. Its hash is the caller's to check. */
enum tc_err tc_index_chunk_read(const uint8_t *in, size_t len, struct tc_bundle_registered *v);
/* What went wrong with a chunk file tc_bundle_read_file names, for people: missing, or not the
 * file the bundle names. */
const char *tc_chunk_why(enum tc_err e);
/* "index-<64 hex digits>.cbor": a chunk file's name. */
void tc_chunk_name(const uint8_t sha256[32], char out[TC_CHUNK_NAME_MAX]);
/* A tc_chunk_source.get reading the files of the directory ctx (a NUL-terminated path). */
enum tc_err tc_chunk_dir_get(void *ctx, const uint8_t sha256[32], uint8_t **bytes, size_t *len);
void tc_bundle_free(struct tc_bundle *b);
/* The directory entry for uscc valid on day, or NULL; the latest entry for uscc (any day). */
const struct tc_bundle_unit *tc_bundle_unit_at(const struct tc_bundle *b, const char *uscc,
                                               int32_t day);
const struct tc_bundle_unit *tc_bundle_unit_latest(const struct tc_bundle *b, const char *uscc);
const struct tc_bundle_revoked *tc_bundle_revoked(const struct tc_bundle *b, uint64_t id);
const struct tc_bundle_superseded *tc_bundle_superseded(const struct tc_bundle *b, uint64_t id);
const struct tc_bundle_registered *tc_bundle_registered(const struct tc_bundle *b, uint64_t id);

/* Opens a register checkpoint (a C2SP signed note) with the keys trust list tl endorses for
 * register checkpoints: in term and not revoked on `day`, or on any day for INT32_MIN.
 * TC_ERR_TYPE when it is no checkpoint, TC_ERR_BAD_SIGNATURE when no such key signed it. */
enum tc_err tc_checkpoint_open(const struct tc_trust_list *tl, const char *note, size_t len,
                               int32_t day, struct tc_checkpoint *cp,
                               const struct tc_endorsement **key);

/* A delta, opened: its signature checked (by a key tl endorses for status publication, as for a
 * bundle, with `now` the reader's clock: TC_ERR_FUTURE as there), its checkpoint opened with a
 * register key of tl, its members read (leaves point into the delta's bytes, which must outlive
 * it). The frontier's size is the checkpoint's size less the entries it carries. */
struct tc_delta {
    uint8_t kid[TC_KID_BYTES];
    uint64_t from_version, version, issued_at;
    uint8_t from_sha256[32], to_sha256[32], bundle_sig[TC_SIG_BYTES];
    const char *note;
    size_t note_len;
    struct tc_checkpoint checkpoint;
    struct tc_reg_frontier frontier;
    const uint8_t **leaf;
    size_t *leaf_len, n_leaves;
    struct tc_bundle more; /* its proofs and audit head */
};
enum tc_err tc_delta_open(const uint8_t *in, size_t len, const struct tc_trust_list *tl,
                          uint64_t now, struct tc_delta *d);
void tc_delta_close(struct tc_delta *d);

/* Applies a signed delta to bundle `from` and returns the full bundle it stands for, parsed
 * (*out) and as its file (*bytes, malloc'd: what a replica caches). The delta proves itself:
 *  - it is signed by a key from's trust list endorses for status publication, not revoked by
 *    `now` (as tc_bundle_parse_at), and names from's version and file hash;
 *  - its frontier gives from's register root, and its entries appended to it give the root of
 *    its checkpoint (signed by a register key): they extend the register from holds;
 *  - the index, revocation and supersession additions are derived from those entries (nothing
 *    issued, revoked or superseded twice), never read from the delta;
 *  - the bundle assembled from from and the additions, under the signature the delta carries,
 *    has the file hash the delta names and verifies as any bundle.
 * TC_ERR_INCONSISTENT when any of that does not hold. The caller still checks the result
 * against its state (versions, register consistency). chunks (may be NULL) receives the index's
 * chunk files the result names and from does not, for the caller to keep beside the bundle. */
struct tc_index_chunks;
enum tc_err tc_bundle_apply_delta(const struct tc_bundle *from, const uint8_t *in, size_t len,
                                  const uint8_t root_pk[TC_PK_BYTES], uint64_t now,
                                  struct tc_bundle **out, uint8_t **bytes, size_t *bytes_len,
                                  struct tc_index_chunks *chunks);

/* ---- what the register says (status.c) ------------------------------------------------------ */

/* The certificates' status as the register's entries give it (A3): the index (issue entries),
 * revocations and supersessions, each sorted by id once finished. Publication derives its lists
 * from it; an auditor compares a publication with it. */
struct tc_reg_status {
    struct tc_bundle_registered *index;
    size_t n_index;
    struct tc_bundle_revoked *revoked;
    size_t n_revoked;
    struct tc_bundle_superseded *superseded;
    size_t n_superseded;
    size_t cap[3];
};
/* Where differences are told: fn(ctx, sentence) for each, at most max (0: all). */
struct tc_reg_report {
    void (*fn)(void *ctx, const char *line);
    void *ctx;
    size_t max;
};
void tc_reg_status_init(struct tc_reg_status *st);
/* The position of the first entry of st's index (sorted: tc_reg_status_finish) whose id is not
 * below id; n_index if none. */
size_t tc_reg_status_at(const struct tc_reg_status *st, uint64_t id);
void tc_reg_status_free(struct tc_reg_status *st);
/* Folds register entry number `entry` in: an issue adds to the index, a revocation or a
 * supersession to its list; trust and 公示 entries change nothing. Entries in register order. */
enum tc_err tc_reg_status_add(struct tc_reg_status *st, uint64_t entry,
                              const struct tc_reg_leaf *l);
/* Sorts the lists and checks them, on top of base (the bundle the entries follow, or NULL for a
 * register from its first entry): no certificate issued, revoked or superseded twice, nothing
 * revoked or superseded that was never issued. Returns the number of faults (each reported). */
size_t tc_reg_status_finish(struct tc_reg_status *st, const struct tc_bundle *base,
                            const struct tc_reg_report *rep);
/* Compares bundle b's index, revoked and superseded lists with a finished status of the whole
 * register up to b's checkpoint: every difference is reported; returns their number. */
size_t tc_reg_status_compare(const struct tc_reg_status *st, const struct tc_bundle *b,
                             const struct tc_reg_report *rep);

/* ---- writing ------------------------------------------------------------------------------- */

/* What a bundle holds, for the writer. Lists sorted as the reader demands; names: the buffer the
 * units' name_off point into. */
struct tc_bundle_content {
    uint64_t version, issued_at;
    const uint8_t *trust;
    size_t trust_len;
    const struct tc_bundle_revoked *revoked;
    size_t n_revoked;
    const struct tc_bundle_superseded *superseded;
    size_t n_superseded;
    const struct tc_bundle_unit *units;
    size_t n_units;
    const char *names;
    const char *profile_json;
    const uint8_t *titles_raw; /* member 8 as a bundle had it; NULL: policy/'s table */
    size_t titles_raw_len;
    uint64_t audit_seq;
    uint8_t audit_head[32];
    uint32_t province;
    const char *note;
    const struct tc_bundle_registered *index;
    size_t n_index;
    /* SHA-256 of the first n_chunk_known complete chunks of index, as a verified bundle or the
     * store's MACed state names them: not encoded nor hashed again. NULL: none. */
    const uint8_t (*chunk_known)[32];
    size_t n_chunk_known;
    /* index[0] is entry index_from of the n_index (0: index holds them all). Entries before it are
     * in known chunks only, which the writer never reads, so a delta's result need not copy them:
     * a multiple of TC_INDEX_CHUNK, at most n_chunk_known chunks (else TC_ERR_INTERNAL). */
    size_t index_from;
    const struct tc_bundle_proof *proofs;
    size_t n_proofs;
};
/* The index's chunk files a writer made: the hashes of all complete chunks (n), and the bytes of
 * those from `first_new` on (the ones not known), which the caller writes as files named by
 * tc_chunk_name before the bundle that names them. */
struct tc_index_chunks {
    size_t n, first_new;
    uint8_t (*sha)[32];
    uint8_t **bytes; /* [n - first_new] */
    size_t *len;
};
void tc_index_chunks_free(struct tc_index_chunks *ch);
/* Chunk k of an index (entries k * TC_INDEX_CHUNK on, which must exist) as its file: the CBOR
 * array of its entries (malloc'd). */
enum tc_err tc_index_chunk_encode(const struct tc_bundle_registered *index, size_t k,
                                  uint8_t **out, size_t *len);
/* Encodes and signs a bundle with key (out malloc'd). static_sha256 (may be NULL) receives the
 * SHA-256 of the members that do not come from the register (trust list, units, profile, title
 * table, province): equal between two bundles exactly when a delta can stand for the second.
 * TC_ERR_SIZE_LIMIT over TC_BUNDLE_MAX_BYTES. */
enum tc_err tc_bundle_write(struct tc_signer *key, const struct tc_bundle_content *c,
                            uint8_t **out, size_t *len, uint8_t static_sha256[32],
                            struct tc_index_chunks *chunks);

/* SHA-256 of a unit directory as the bundle encodes it (member 6): what the register logs
 * (TC_REG_DATA_UNITS) when the directory changes, and what publication checks it against. */
enum tc_err tc_bundle_units_digest(const struct tc_bundle_unit *u, size_t n, const char *names,
                                   uint8_t out[32]);

/* The same, assembled around a signature sign() makes (a delta's result carries the one the
 * publisher made): kid names the signing key. */
enum tc_err tc_bundle_encode_signed(const struct tc_bundle_content *c,
                                    const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx,
                                    uint8_t **out, size_t *len, struct tc_index_chunks *chunks);

/* A delta from the previous bundle to this one: the register entries added since (leaf bytes),
 * the frontier of the register the previous bundle holds, the new checkpoint, proofs and audit
 * head, and the hash and signature of the new full bundle. */
struct tc_delta_content {
    uint64_t from_version;
    uint8_t from_sha256[32];
    uint64_t to_version, issued_at;
    const char *note;
    const struct tc_reg_frontier *frontier; /* of the previous bundle's register size */
    const uint8_t *const *leaf;             /* entries frontier->size .. */
    const size_t *leaf_len;
    size_t n_leaves;
    const struct tc_bundle_proof *proofs;
    size_t n_proofs;
    uint64_t audit_seq;
    uint8_t audit_head[32];
    uint8_t to_sha256[32];
    uint8_t bundle_sig[TC_SIG_BYTES];
};
enum tc_err tc_delta_write(struct tc_signer *key, const struct tc_delta_content *c, uint8_t **out,
                           size_t *len);

/* ---- the head ------------------------------------------------------------------------------ */

struct tc_head {
    uint64_t version;
    uint8_t sha256[32];
    uint64_t bytes;
    bool has_delta;
    uint64_t delta_from;
    uint8_t delta_sha256[32];
    uint64_t delta_bytes;
    const char *checkpoint; /* the note, pointing into the parsed text (or the caller's) */
    size_t checkpoint_len;
};
/* Writes the head into out; *len its length. TC_ERR_BUFFER when it does not fit. */
enum tc_err tc_head_format(const struct tc_head *h, char *out, size_t size, size_t *len);
/* Parses a head strictly: exactly the lines tc_head_format writes, decimal numbers without
 * signs or leading zeros, 64 lower-case hex digits, at most TC_HEAD_MAX_BYTES; the checkpoint is
 * the rest (not verified here). TC_ERR_TYPE when it is not a head. */
enum tc_err tc_head_parse(const char *in, size_t len, struct tc_head *h);

#endif
