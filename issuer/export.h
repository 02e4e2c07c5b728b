/*
 * export.h - the state an export works in, shared by export.c (the bundle, the store's tables
 * against the register, the delta) and export_reg.c (the register: its entries and the tree
 * checked, in full or from what the last export kept, and the audit chain). Not part of issuer.h.
 */
#ifndef TC_ISSUER_EXPORT_H
#define TC_ISSUER_EXPORT_H

#include "issuer_internal.h"
#include "publication.h"
#include "register.h"

/* Each export also reads again at least this many of the entries, certificate rows and audit
 * events it did not add (more when it adds more), going round, so every one of them is checked
 * again within a bounded number of publications (docs/DECISIONS.md "Re-publishing and batch
 * outputs"). */
#define TC_RECHECK_MIN 16384

struct export {
    struct tc_store *s;
    struct tc_signer *key;
    uint64_t now, version;
    bool full;                  /* the whole register read and checked, as a first export */
    struct tc_regstate state;   /* what the last export kept; updated to what this one keeps */
    struct tc_reg_tree tree;    /* full: the whole tree, built from the entries */
    struct tc_reg_edge edge;    /* the tree's right edge since the last checkpoint */
    struct tc_regsource rs;
    struct tc_reg_source src;   /* the tree's hashes: the tree, or the edge and the store */
    uint64_t n;                 /* entries */
    uint8_t root[TC_REG_HASH];  /* of the n entries */
    struct tc_regstate_status rst; /* what the entries say: status, data digests */
    struct tc_regstate_writer w;   /* the records of the entries this export keeps */
    bool has_last;                 /* the last checkpoint this store signed: */
    uint64_t last_size;
    uint8_t last_root[TC_REG_HASH];
    char last_when[32];
    uint64_t prev_size;  /* the register size of the previous export, for its delta */
    uint8_t **leaf;      /* the entries from prev_size on, for the delta */
    size_t *leaf_len, n_leaves, cap_leaves;
    uint64_t *named;     /* certificates the new entries name (their rows are checked) */
    size_t n_named, cap_named;
    uint64_t recheck;    /* how many old entries, rows and events are read again */
    char note[TC_REG_NOTE_MAX];
    size_t note_len;
    int64_t audit_seq;
    uint8_t audit_head[32];
    uint8_t bundle_sum[32], static_sum[32];
    struct tc_bundle_unit *units;
    size_t n_units;
    char *names;
    struct tc_bundle_proof *proofs;
    size_t n_proofs;
    char why[512];
    const struct tc_cosigning *cosign; /* the witnesses asked, or NULL */
    const struct tc_publish_anchor *anchor; /* what the signer last published, or NULL */
};

/* Sets why and the store's message; TC_ERR_INCONSISTENT. */
enum tc_err tc_export_refuse(struct export *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* export_reg.c: the register's side, inside the export's transaction. The last checkpoint this
 * store signed, the state the last export kept, then the entries and the audit chain checked
 * (all of them when x->full, or when nothing usable is kept; else those since the last export,
 * the rest through what it kept and the rolling re-check of entries and events), giving x->n,
 * x->root, x->src, x->edge and the status (unsorted). */
enum tc_err tc_export_register(struct export *x);
/* After the checks: what this export keeps for the next (subtree hashes, status chunks, the
 * state under the store's MAC). */
enum tc_err tc_export_keep(struct export *x);

#endif
