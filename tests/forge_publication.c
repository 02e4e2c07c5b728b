/*
 * forge_publication.c - a malicious publisher for the tests: whoever holds the publication key can
 * sign any bundle or delta without going through the issuer. The tests use it to show what the
 * verifier, the replicas and `titlecert-register audit` do with such validly signed files.
 *
 *   forge_publication bundle ROOT.pub KEY IN OUT (--add-index ID | --drop-revoked ID)
 *       IN with a certificate the register never issued in its index, or a revocation dropped,
 *       signed again with KEY (passphrase in $PW)
 *   forge_publication delta ROOT.pub KEY DIR FROM TO OUT [--drop-entry N]
 *       a delta from bundle FROM to bundle TO carrying DIR's register entries since FROM (the
 *       tiles of DIR), naming TO's hash and signature; --drop-entry leaves entry N out
 *   forge_publication redate ROOT.pub KEY IN OUT VERSION ISSUED_AT [TRUST_LIST]
 *       IN signed again with KEY as bundle VERSION issued at ISSUED_AT (Unix seconds), embedding
 *       TRUST_LIST's bytes when given (e.g. the list that revokes KEY, dated before it)
 *   forge_publication renote ROOT.pub KEY IN OUT VERSION NOTE
 *       IN signed again with KEY as bundle VERSION whose register checkpoint is the file NOTE (the
 *       same checkpoint with a witness's line forged, dropped, or from an earlier co-signing)
 * Exit 0 when the file was written, 2 otherwise.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publication.h"

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
    uint8_t *b = NULL;
    return tc_file_read(path, max, &b, len) == TC_OK ? b : NULL;
}

static struct tc_bundle *load(const uint8_t root[32], const char *path, uint8_t **raw, size_t *len)
{
    struct tc_bundle *b = NULL;
    *raw = slurp(path, TC_BUNDLE_MAX_BYTES, len);
    if (!*raw || tc_bundle_parse(*raw, *len, root, &b) != TC_OK)
        fprintf(stderr, "forge: %s: not a bundle\n", path);
    return b;
}

static struct tc_signer *signer(const char *path)
{
    struct tc_signer *s = NULL;
    const char *pw = getenv("PW");
    if (!pw || tc_keys_signer_open(&s, path, pw, strlen(pw), 0) != TC_OK)
        fprintf(stderr, "forge: %s: cannot open the key (passphrase in $PW)\n", path);
    return s;
}

static int by_id(const void *a, const void *b)
{
    const struct tc_bundle_registered *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int forge_bundle(const uint8_t root[32], struct tc_signer *key, char **argv)
{
    size_t len;
    uint8_t *raw;
    struct tc_bundle *b = load(root, argv[0], &raw, &len);
    if (!b)
        return 2;
    uint64_t id = strtoull(argv[3], NULL, 10);
    struct tc_bundle_registered *ix = calloc(b->n_index + 1, sizeof *ix);
    size_t n_ix = 0, n_rv = 0;
    struct tc_bundle_revoked *rv = calloc(b->n_revoked + 1, sizeof *rv);
    bool add = strcmp(argv[2], "--add-index") == 0;
    memcpy(ix, b->index, b->n_index * sizeof *ix);
    n_ix = b->n_index;
    if (add) { /* the extra one, sorted into its place, with another certificate's entry */
        ix[n_ix] = b->n_index ? b->index[0] : ix[n_ix];
        ix[n_ix++].id = id;
        qsort(ix, n_ix, sizeof *ix, by_id);
    }
    for (size_t i = 0; i < b->n_revoked; i++)
        if (add || b->revoked[i].id != id)
            rv[n_rv++] = b->revoked[i];
    struct tc_bundle_content c = {
        .version = b->version, .issued_at = b->issued_at, .trust = b->trust_raw,
        .trust_len = b->trust_raw_len, .revoked = rv, .n_revoked = n_rv,
        .superseded = b->superseded, .n_superseded = b->n_superseded, .units = b->units,
        .n_units = b->n_units, .names = b->names ? b->names : "", .profile_json = b->profile_json,
        .titles_raw = b->titles_raw, .titles_raw_len = b->titles_raw_len,
        .audit_seq = b->audit_seq, .province = b->province, .note = b->note, .index = ix,
        .n_index = n_ix, .proofs = b->proofs, .n_proofs = b->n_proofs};
    memcpy(c.audit_head, b->audit_head, 32);
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = tc_bundle_write(key, &c, &out, &out_len, NULL, NULL) == TC_OK &&
                     tc_file_write(argv[1], out, out_len, 0644, TC_FILE_REPLACE) == TC_OK
                 ? 0
                 : 2;
    free(out), free(ix), free(rv), free(raw);
    tc_bundle_free(b);
    return rc;
}

static int forge_delta(const uint8_t root[32], struct tc_signer *key, char **argv, int argc)
{
    size_t fl, tl;
    uint8_t *fraw, *traw, kid[TC_KID_BYTES], sig[TC_SIG_BYTES];
    struct tc_bundle *from = load(root, argv[1], &fraw, &fl), *to = load(root, argv[2], &traw, &tl);
    long long drop = argc > 5 && strcmp(argv[4], "--drop-entry") == 0 ? atoll(argv[5]) : -1;
    struct tc_tile_reader *tr = NULL;
    struct tc_reg_frontier f;
    const uint8_t *prot, *payload;
    size_t plen, paylen;
    if (!from || !to || tc_tile_reader_open(argv[0], to->checkpoint.size, &tr) != TC_OK)
        return 2;
    struct tc_reg_source src = tc_tile_reader_source(tr);
    uint64_t m = from->checkpoint.size, n = to->checkpoint.size, k = 0;
    uint8_t **leaf = calloc(n - m + 1, sizeof *leaf);
    size_t *leaf_len = calloc(n - m + 1, sizeof *leaf_len);
    int rc = 2;
    if (tc_reg_frontier_of(&src, m, &f) != TC_OK ||
        tc_cose_sign1_parse(traw, tl, kid, &prot, &plen, &payload, &paylen, sig) != TC_OK)
        goto out;
    for (uint64_t i = m; i < n; i++) {
        const uint8_t *p;
        size_t len;
        if (tc_tile_reader_leaf(tr, i, &p, &len) != TC_OK)
            goto out;
        if ((long long)i == drop)
            continue;
        leaf[k] = malloc(len), memcpy(leaf[k], p, len), leaf_len[k++] = len;
    }
    struct tc_delta_content d = {
        .from_version = from->version, .to_version = to->version, .issued_at = to->issued_at,
        .note = to->note, .frontier = &f, .leaf = (const uint8_t *const *)leaf,
        .leaf_len = leaf_len, .n_leaves = k, .proofs = to->proofs, .n_proofs = to->n_proofs,
        .audit_seq = to->audit_seq};
    memcpy(d.from_sha256, from->file_sha256, 32);
    memcpy(d.audit_head, to->audit_head, 32);
    memcpy(d.to_sha256, to->file_sha256, 32);
    memcpy(d.bundle_sig, sig, TC_SIG_BYTES);
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (tc_delta_write(key, &d, &out, &out_len) == TC_OK &&
        tc_file_write(argv[3], out, out_len, 0644, TC_FILE_REPLACE) == TC_OK)
        rc = 0;
    free(out);
out:
    for (uint64_t i = 0; i < k; i++)
        free(leaf[i]);
    free(leaf), free(leaf_len), free(fraw), free(traw);
    tc_tile_reader_close(tr);
    tc_bundle_free(from), tc_bundle_free(to);
    return rc;
}

/* IN as another version, issued at another time, with another trust list: what a holder of the
 * publication key whose clock (or intent) goes back can sign */
static int forge_redate(const uint8_t root[32], struct tc_signer *key, char **argv, int argc)
{
    size_t len, tl_len = 0;
    uint8_t *raw, *tl = NULL, *out = NULL;
    struct tc_bundle *b = load(root, argv[0], &raw, &len);
    if (!b || (argc > 4 && !(tl = slurp(argv[4], TC_TRUST_LIST_MAX_BYTES, &tl_len)))) {
        tc_bundle_free(b), free(raw);
        return 2;
    }
    struct tc_bundle_content c = {
        .version = strtoull(argv[2], NULL, 10), .issued_at = strtoull(argv[3], NULL, 10),
        .trust = tl ? tl : b->trust_raw, .trust_len = tl ? tl_len : b->trust_raw_len,
        .revoked = b->revoked, .n_revoked = b->n_revoked, .superseded = b->superseded,
        .n_superseded = b->n_superseded, .units = b->units, .n_units = b->n_units,
        .names = b->names ? b->names : "", .profile_json = b->profile_json,
        .titles_raw = b->titles_raw, .titles_raw_len = b->titles_raw_len,
        .audit_seq = b->audit_seq, .province = b->province, .note = b->note, .index = b->index,
        .n_index = b->n_index, .proofs = b->proofs, .n_proofs = b->n_proofs};
    memcpy(c.audit_head, b->audit_head, 32);
    size_t out_len = 0;
    int rc = tc_bundle_write(key, &c, &out, &out_len, NULL, NULL) == TC_OK &&
                     tc_file_write(argv[1], out, out_len, 0644, TC_FILE_REPLACE) == TC_OK
                 ? 0
                 : 2;
    free(out), free(tl), free(raw);
    tc_bundle_free(b);
    return rc;
}

/* IN with another checkpoint note (its co-signature lines are not covered by the log's
 * signature, only by the bundle's, which KEY makes) */
static int forge_renote(const uint8_t root[32], struct tc_signer *key, char **argv)
{
    size_t len, note_len = 0;
    uint8_t *raw, *note = slurp(argv[3], TC_REG_NOTE_MAX, &note_len), *out = NULL;
    struct tc_bundle *b = load(root, argv[0], &raw, &len);
    char *text = note ? calloc(1, note_len + 1) : NULL;
    if (!b || !text) {
        tc_bundle_free(b), free(raw), free(note), free(text);
        return 2;
    }
    memcpy(text, note, note_len);
    struct tc_bundle_content c = {
        .version = strtoull(argv[2], NULL, 10), .issued_at = b->issued_at,
        .trust = b->trust_raw, .trust_len = b->trust_raw_len,
        .revoked = b->revoked, .n_revoked = b->n_revoked, .superseded = b->superseded,
        .n_superseded = b->n_superseded, .units = b->units, .n_units = b->n_units,
        .names = b->names ? b->names : "", .profile_json = b->profile_json,
        .titles_raw = b->titles_raw, .titles_raw_len = b->titles_raw_len,
        .audit_seq = b->audit_seq, .province = b->province, .note = text, .index = b->index,
        .n_index = b->n_index, .proofs = b->proofs, .n_proofs = b->n_proofs};
    memcpy(c.audit_head, b->audit_head, 32);
    size_t out_len = 0;
    int rc = tc_bundle_write(key, &c, &out, &out_len, NULL, NULL) == TC_OK &&
                     tc_file_write(argv[1], out, out_len, 0644, TC_FILE_REPLACE) == TC_OK
                 ? 0
                 : 2;
    free(out), free(text), free(note), free(raw);
    tc_bundle_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    struct tc_pubkey root;
    if (sodium_init() < 0 || argc < 7 || tc_keys_pub_read(argv[2], &root) != TC_OK) {
        fprintf(stderr, "usage: forge_publication bundle|delta|redate|renote ROOT.pub KEY ...\n");
        return 2;
    }
    struct tc_signer *key = signer(argv[3]);
    int rc = !key                           ? 2
             : strcmp(argv[1], "bundle") == 0 ? forge_bundle(root.pk, key, argv + 4)
             : strcmp(argv[1], "redate") == 0 ? forge_redate(root.pk, key, argv + 4, argc - 4)
             : strcmp(argv[1], "renote") == 0 && argc >= 8 ? forge_renote(root.pk, key, argv + 4)
                                              : forge_delta(root.pk, key, argv + 4, argc - 4);
    tc_signer_close(key);
    return rc;
}
