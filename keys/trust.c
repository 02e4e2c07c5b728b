/*
 * trust.c - the public half of the key hierarchy: public-key files, root-signed endorsements and
 * revocations, trust lists, and the A1/A2 check of a certificate against a trust list.
 *
 * Every payload is a CBOR map with small integer keys; key 0 is the object's type so that `show`
 * can tell files apart and a payload of one type never parses as another. Parsing follows the
 * same pattern as cert/claims.c: collect entries (unknown, duplicate, missing keys rejected),
 * read typed values, apply the object's rules, then re-encode and require the same bytes.
 *
 * Calendar days are Beijing time (UTC+8): certificates, terms and revocations are dated the way
 * the documents behind them are dated.
 */
#include <cbor.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "keys_internal.h"

#define TYPE_ENDORSEMENT 1
#define TYPE_REVOCATION 2
#define TYPE_TRUST_LIST 3
#define PUB_MAGIC "titlecert-pubkey"
#define PUB_VERSION 1
#define TERM_YEARS 3

const char *tc_key_kind_name(uint8_t kind)
{
    switch (kind) {
    case TC_KEY_ROOT:
        return "root";
    case TC_KEY_ISSUER:
        return "issuer";
    case TC_KEY_HASH:
        return "hash";
    default:
        return "unknown";
    }
}

/* ---- small strict-map helper ------------------------------------------------------------- */

#define MAX_KEYS 8

/* Collects the values of a map whose keys are small unsigned integers 0..nkeys-1. Every key in
 * required must be present; keys outside 0..nkeys-1, or repeated, are errors. */
static enum tc_err collect(const cbor_item_t *map, size_t nkeys, uint32_t required,
                           cbor_item_t *vals[MAX_KEYS])
{
    if (!cbor_isa_map(map))
        return TC_ERR_TYPE;
    memset(vals, 0, sizeof(cbor_item_t *) * MAX_KEYS);
    size_t n = cbor_map_size(map);
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < n; i++) {
        if (!cbor_isa_uint(p[i].key) || cbor_get_int(p[i].key) >= nkeys)
            return TC_ERR_UNKNOWN_KEY;
        size_t k = (size_t)cbor_get_int(p[i].key);
        if (vals[k])
            return TC_ERR_DUP_KEY;
        vals[k] = p[i].value;
    }
    for (size_t k = 0; k < nkeys; k++)
        if ((required & (1u << k)) && !vals[k])
            return TC_ERR_MISSING_KEY;
    return TC_OK;
}

static enum tc_err expect_type(const cbor_item_t *v, uint64_t type)
{
    uint64_t t;
    enum tc_err e = tc_cbor_get_uint(v, 255, &t);
    if (e != TC_OK)
        return e;
    return t == type ? TC_OK : TC_ERR_TYPE;
}

/* Loads a signed object's payload: a map of keys below nkeys (those in `required` present) whose
 * key 0 is `type`, its values in v. The caller decrefs *root; on failure it is NULL already. */
static enum tc_err load_object(const uint8_t *p, size_t n, size_t nkeys, uint32_t required,
                               uint64_t type, cbor_item_t **root, cbor_item_t *v[MAX_KEYS])
{
    enum tc_err e = tc_cbor_load(p, n, root);
    if (e == TC_OK && ((e = collect(*root, nkeys, required, v)) != TC_OK ||
                       (e = expect_type(v[0], type)) != TC_OK))
        cbor_decref(root);
    return e;
}

static enum tc_err get_day(const cbor_item_t *v, int32_t *day)
{
    int64_t d;
    enum tc_err e = tc_cbor_get_int(v, -70000, 2932896, &d); /* 1800-01-01 .. 9999-12-31 */
    if (e == TC_OK)
        *day = (int32_t)d;
    return e;
}

static bool buf_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* What w wrote again from the parsed object is the input p: one encoding per object. */
static enum tc_err canonical(const struct tc_cw *w, const uint8_t *p, size_t n)
{
    return w->overflow || !buf_equal(w->buf, w->len, p, n) ? TC_ERR_NONCANONICAL : TC_OK;
}

/* ---- public-key files -------------------------------------------------------------------- */

static enum tc_err pub_encode(const struct tc_pubkey *pub, uint8_t *out, size_t cap, size_t *len)
{
    struct tc_cw w;
    tc_cw_init(&w, out, cap);
    tc_cw_array(&w, 5);
    tc_cw_text(&w, PUB_MAGIC);
    tc_cw_uint(&w, PUB_VERSION);
    tc_cw_uint(&w, pub->kind);
    tc_cw_text(&w, pub->name);
    tc_cw_bytes(&w, pub->pk, TC_PK_BYTES);
    if (w.overflow)
        return TC_ERR_BUFFER;
    *len = w.len;
    return TC_OK;
}

enum tc_err tc_keys_pub_decode(const uint8_t *in, size_t len, struct tc_pubkey *pub)
{
    if (len > TC_PUBFILE_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    cbor_item_t *root = NULL;
    enum tc_err e = tc_cbor_load(in, len, &root);
    if (e != TC_OK)
        return e;
    struct tc_pubkey p;
    memset(&p, 0, sizeof p);
    char magic[sizeof PUB_MAGIC];
    uint64_t version, kind;
    uint8_t again[TC_PUBFILE_MAX_BYTES];
    size_t again_len;
    if (!cbor_isa_array(root) || cbor_array_size(root) != 5) {
        e = TC_ERR_TYPE;
        goto out;
    }
    cbor_item_t **a = cbor_array_handle(root);
    if ((e = tc_cbor_get_text(a[0], magic, sizeof magic - 1)) != TC_OK ||
        strcmp(magic, PUB_MAGIC) != 0) {
        e = TC_ERR_KEYFILE;
        goto out;
    }
    if ((e = tc_cbor_get_uint(a[1], PUB_VERSION, &version)) != TC_OK ||
        (e = tc_cbor_get_uint(a[2], TC_KEY_ISSUER, &kind)) != TC_OK ||
        (e = tc_cbor_get_text(a[3], p.name, TC_KEY_NAME_MAX)) != TC_OK ||
        (e = tc_cbor_get_bytes(a[4], p.pk, TC_PK_BYTES, true, NULL)) != TC_OK)
        goto out;
    if (version != PUB_VERSION || kind == 0) {
        e = TC_ERR_RANGE;
        goto out;
    }
    p.kind = (uint8_t)kind;
    tc_kid(p.kid, p.pk);
    if ((e = pub_encode(&p, again, sizeof again, &again_len)) != TC_OK)
        goto out;
    if (!buf_equal(again, again_len, in, len)) {
        e = TC_ERR_NONCANONICAL;
        goto out;
    }
    *pub = p;
out:
    cbor_decref(&root);
    return e;
}

enum tc_err tc_keys_pub_write(const char *path, const struct tc_pubkey *pub)
{
    uint8_t buf[TC_PUBFILE_MAX_BYTES];
    size_t len;
    enum tc_err e = pub_encode(pub, buf, sizeof buf, &len);
    if (e != TC_OK)
        return e;
    return tc_file_write(path, buf, len, 0644, 0);
}

enum tc_err tc_keys_pub_read(const char *path, struct tc_pubkey *pub)
{
    uint8_t *buf;
    size_t len;
    enum tc_err e = tc_file_read(path, TC_PUBFILE_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return e;
    e = tc_keys_pub_decode(buf, len, pub);
    free(buf);
    return e;
}

/* ---- endorsements ------------------------------------------------------------------------ */

static bool series_known(uint16_t s)
{
    size_t n;
    const struct tc_title *t = tc_title_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].series == s)
            return true;
    return false;
}

enum tc_err tc_keys_endorsement_check(const struct tc_endorsement *e)
{
    uint8_t kid[TC_KID_BYTES];
    tc_kid(kid, e->pk);
    if (memcmp(kid, e->kid, TC_KID_BYTES) != 0)
        return TC_ERR_ENDORSEMENT;
    size_t nl = strlen(e->name);
    if (nl == 0 || nl > TC_KEY_NAME_MAX || !tc_text_safe((const uint8_t *)e->name, nl))
        return TC_ERR_TEXT;
    if (e->not_after < e->not_before)
        return TC_ERR_RANGE;
    if (e->not_after >= tc_day_add_years(e->not_before, TERM_YEARS)) /* A1: at most 3 years */
        return TC_ERR_ENDORSEMENT;
    const struct tc_authz *a = &e->authz;
    if (a->tracks == 0 || (a->tracks & ~(TC_AUTHZ_TRACK(TC_TRACK_BASIC) |
                                         TC_AUTHZ_TRACK(TC_TRACK_PROVINCE) | TC_AUTHZ_STATUS |
                                         TC_AUTHZ_REGISTER)) != 0)
        return TC_ERR_RANGE;
    if (a->levels == 0 || (a->levels & ~0x3Eu) != 0)
        return TC_ERR_RANGE;
    if (a->nseries > TC_AUTHZ_MAX_SERIES)
        return TC_ERR_RANGE;
    for (size_t i = 0; i < a->nseries; i++) {
        if (!series_known(a->series[i]))
            return TC_ERR_RANGE;
        if (i > 0 && a->series[i] <= a->series[i - 1])
            return TC_ERR_NONCANONICAL; /* sorted, no repeats */
    }
    if (!tc_region_valid(a->region))
        return TC_ERR_CODE;
    if (e->endorsed_at == 0)
        return TC_ERR_RANGE;
    return TC_OK;
}

static void endorsement_write(struct tc_cw *w, const struct tc_endorsement *e)
{
    tc_cw_map(w, 8);
    tc_cw_uint(w, 0), tc_cw_uint(w, TYPE_ENDORSEMENT);
    tc_cw_uint(w, 1), tc_cw_bytes(w, e->pk, TC_PK_BYTES);
    tc_cw_uint(w, 2), tc_cw_bytes(w, e->kid, TC_KID_BYTES);
    tc_cw_uint(w, 3), tc_cw_text(w, e->name);
    tc_cw_uint(w, 4), tc_cw_int(w, e->not_before);
    tc_cw_uint(w, 5), tc_cw_int(w, e->not_after);
    tc_cw_uint(w, 6), tc_cw_array(w, 4);
    tc_cw_uint(w, e->authz.tracks);
    tc_cw_uint(w, e->authz.levels);
    tc_cw_array(w, e->authz.nseries);
    for (size_t i = 0; i < e->authz.nseries; i++)
        tc_cw_uint(w, e->authz.series[i]);
    tc_cw_uint(w, e->authz.region);
    tc_cw_uint(w, 7), tc_cw_uint(w, e->endorsed_at);
}

static enum tc_err read_authz(const cbor_item_t *v, struct tc_authz *a)
{
    if (!cbor_isa_array(v) || cbor_array_size(v) != 4)
        return TC_ERR_TYPE;
    cbor_item_t **x = cbor_array_handle(v);
    uint64_t tracks, levels, region;
    enum tc_err e;
    if ((e = tc_cbor_get_uint(x[0], 0xFF, &tracks)) != TC_OK ||
        (e = tc_cbor_get_uint(x[1], 0xFF, &levels)) != TC_OK ||
        (e = tc_cbor_get_uint(x[3], 999999, &region)) != TC_OK)
        return e;
    if (!cbor_isa_array(x[2]))
        return TC_ERR_TYPE;
    size_t n = cbor_array_size(x[2]);
    if (n > TC_AUTHZ_MAX_SERIES)
        return TC_ERR_RANGE;
    cbor_item_t **s = cbor_array_handle(x[2]);
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        if ((e = tc_cbor_get_uint(s[i], 0xFFFF, &id)) != TC_OK)
            return e;
        a->series[i] = (uint16_t)id;
    }
    a->nseries = n;
    a->tracks = (uint8_t)tracks;
    a->levels = (uint8_t)levels;
    a->region = (uint32_t)region;
    return TC_OK;
}

/* Parses the payload of an endorsement (already signature-checked or not, as the caller needs). */
static enum tc_err endorsement_payload(const uint8_t *p, size_t n, struct tc_endorsement *out)
{
    cbor_item_t *root, *v[MAX_KEYS];
    enum tc_err e = load_object(p, n, 8, 0xFF, TYPE_ENDORSEMENT, &root, v);
    if (e != TC_OK)
        return e;
    struct tc_endorsement d;
    memset(&d, 0, sizeof d);
    uint8_t again[TC_ENDORSEMENT_MAX_BYTES];
    struct tc_cw w;
    if ((e = tc_cbor_get_bytes(v[1], d.pk, TC_PK_BYTES, true, NULL)) != TC_OK ||
        (e = tc_cbor_get_bytes(v[2], d.kid, TC_KID_BYTES, true, NULL)) != TC_OK ||
        (e = tc_cbor_get_text(v[3], d.name, TC_KEY_NAME_MAX)) != TC_OK ||
        (e = get_day(v[4], &d.not_before)) != TC_OK || (e = get_day(v[5], &d.not_after)) != TC_OK ||
        (e = read_authz(v[6], &d.authz)) != TC_OK ||
        (e = tc_cbor_get_uint(v[7], UINT64_MAX, &d.endorsed_at)) != TC_OK)
        goto out;
    if ((e = tc_keys_endorsement_check(&d)) != TC_OK)
        goto out;
    tc_cw_init(&w, again, sizeof again);
    endorsement_write(&w, &d);
    if ((e = canonical(&w, p, n)) == TC_OK)
        *out = d;
out:
    cbor_decref(&root);
    return e;
}

/* Parses a root-signed object: profile COSE_Sign1 by the key whose id is tc_kid(root_pk). */
/* A COSE_Sign1 of the root key: its payload (inside in) and the key id it names. */
struct root_payload {
    const uint8_t *p;
    size_t n;
    uint8_t kid[TC_KID_BYTES];
};

static enum tc_err root_signed(const uint8_t *in, size_t len, size_t max, const char *aad,
                               const uint8_t root_pk[TC_PK_BYTES], struct root_payload *out)
{
    if (len > max)
        return TC_ERR_SIZE_LIMIT;
    const uint8_t *prot;
    size_t prot_len;
    uint8_t sig[TC_SIG_BYTES], root_kid[TC_KID_BYTES];
    enum tc_err e =
        tc_cose_sign1_parse(in, len, out->kid, &prot, &prot_len, &out->p, &out->n, sig);
    if (e != TC_OK)
        return e;
    tc_kid(root_kid, root_pk);
    if (memcmp(root_kid, out->kid, TC_KID_BYTES) != 0)
        return TC_ERR_UNKNOWN_KEY_ID;
    return tc_cose_sign1_check(prot, prot_len, out->p, out->n, aad, sig, root_pk);
}

enum tc_err tc_keys_endorsement_parse(const uint8_t *in, size_t len,
                                      const uint8_t root_pk[TC_PK_BYTES],
                                      struct tc_endorsement *out)
{
    struct root_payload sp;
    enum tc_err e =
        root_signed(in, len, TC_ENDORSEMENT_MAX_BYTES, TC_AAD_ENDORSEMENT, root_pk, &sp);
    if (e != TC_OK)
        return e;
    if ((e = endorsement_payload(sp.p, sp.n, out)) != TC_OK)
        return e;
    memcpy(out->root_kid, sp.kid, TC_KID_BYTES);
    return TC_OK;
}

/* ---- revocations ------------------------------------------------------------------------- */

static enum tc_err revocation_check(const struct tc_revocation *r)
{
    size_t n = strlen(r->reason);
    if (n == 0 || n > TC_REASON_MAX || !tc_text_safe((const uint8_t *)r->reason, n))
        return TC_ERR_TEXT;
    return r->revoked_at ? TC_OK : TC_ERR_RANGE;
}

static void revocation_write(struct tc_cw *w, const struct tc_revocation *r, bool standalone)
{
    if (standalone) {
        tc_cw_map(w, 5);
        tc_cw_uint(w, 0), tc_cw_uint(w, TYPE_REVOCATION);
        tc_cw_uint(w, 1), tc_cw_bytes(w, r->kid, TC_KID_BYTES);
        tc_cw_uint(w, 2), tc_cw_int(w, r->day);
        tc_cw_uint(w, 3), tc_cw_text(w, r->reason);
        tc_cw_uint(w, 4), tc_cw_uint(w, r->revoked_at);
    } else {
        tc_cw_array(w, 4);
        tc_cw_bytes(w, r->kid, TC_KID_BYTES);
        tc_cw_int(w, r->day);
        tc_cw_text(w, r->reason);
        tc_cw_uint(w, r->revoked_at);
    }
}

enum tc_err tc_keys_revocation_parse(const uint8_t *in, size_t len,
                                     const uint8_t root_pk[TC_PK_BYTES], struct tc_revocation *out)
{
    struct root_payload sp;
    enum tc_err e = root_signed(in, len, TC_REVOCATION_MAX_BYTES, TC_AAD_REVOCATION, root_pk, &sp);
    if (e != TC_OK)
        return e;
    cbor_item_t *root, *v[MAX_KEYS];
    if ((e = load_object(sp.p, sp.n, 5, 0x1F, TYPE_REVOCATION, &root, v)) != TC_OK)
        return e;
    struct tc_revocation r;
    memset(&r, 0, sizeof r);
    uint8_t again[TC_REVOCATION_MAX_BYTES];
    struct tc_cw w;
    if ((e = tc_cbor_get_bytes(v[1], r.kid, TC_KID_BYTES, true, NULL)) != TC_OK ||
        (e = get_day(v[2], &r.day)) != TC_OK ||
        (e = tc_cbor_get_text(v[3], r.reason, TC_REASON_MAX)) != TC_OK ||
        (e = tc_cbor_get_uint(v[4], UINT64_MAX, &r.revoked_at)) != TC_OK ||
        (e = revocation_check(&r)) != TC_OK)
        goto out;
    tc_cw_init(&w, again, sizeof again);
    revocation_write(&w, &r, true);
    if ((e = canonical(&w, sp.p, sp.n)) == TC_OK)
        *out = r;
out:
    cbor_decref(&root);
    return e;
}

/* ---- trust lists ------------------------------------------------------------------------- */

void tc_trust_list_free(struct tc_trust_list *tl)
{
    if (!tl)
        return;
    free(tl->endorsements);
    free(tl->revocations);
    free(tl);
}

static enum tc_err read_revocation_entry(const cbor_item_t *v, struct tc_revocation *r)
{
    if (!cbor_isa_array(v) || cbor_array_size(v) != 4)
        return TC_ERR_TYPE;
    cbor_item_t **a = cbor_array_handle(v);
    enum tc_err e;
    memset(r, 0, sizeof *r);
    if ((e = tc_cbor_get_bytes(a[0], r->kid, TC_KID_BYTES, true, NULL)) != TC_OK ||
        (e = get_day(a[1], &r->day)) != TC_OK ||
        (e = tc_cbor_get_text(a[2], r->reason, TC_REASON_MAX)) != TC_OK ||
        (e = tc_cbor_get_uint(a[3], UINT64_MAX, &r->revoked_at)) != TC_OK)
        return e;
    return revocation_check(r);
}

/* Re-encodes a parsed list's payload (with the original endorsement bytes) for the canonical
 * check. */
static enum tc_err trust_payload_write(uint8_t **out, size_t *len, uint64_t version,
                                       uint64_t issued_at, const uint8_t *const *end,
                                       const size_t *end_lens, size_t n_end,
                                       const struct tc_revocation *rev, size_t n_rev)
{
    size_t cap = 64 + n_rev * (TC_REASON_MAX + 48);
    for (size_t i = 0; i < n_end; i++)
        cap += end_lens[i] + 9;
    struct tc_cw w;
    if (tc_cw_alloc(&w, cap) != TC_OK)
        return TC_ERR_NOMEM;
    tc_cw_map(&w, 5);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, TYPE_TRUST_LIST);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, version);
    tc_cw_uint(&w, 2), tc_cw_uint(&w, issued_at);
    tc_cw_uint(&w, 3), tc_cw_array(&w, n_end);
    for (size_t i = 0; i < n_end; i++)
        tc_cw_bytes(&w, end[i], end_lens[i]);
    tc_cw_uint(&w, 4), tc_cw_array(&w, n_rev);
    for (size_t i = 0; i < n_rev; i++)
        revocation_write(&w, &rev[i], false);
    return tc_cw_take(&w, out, len);
}

enum tc_err tc_trust_list_parse(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                                struct tc_trust_list **out)
{
    *out = NULL;
    struct root_payload sp;
    enum tc_err e = root_signed(in, len, TC_TRUST_LIST_MAX_BYTES, TC_AAD_TRUST_LIST, root_pk, &sp);
    if (e != TC_OK)
        return e;
    cbor_item_t *root = NULL, *v[MAX_KEYS];
    struct tc_trust_list *tl = calloc(1, sizeof *tl);
    const uint8_t **end_bytes = NULL;
    size_t *end_lens = NULL;
    uint8_t *again = NULL;
    size_t again_len = 0;
    if (!tl)
        return TC_ERR_NOMEM;
    memcpy(tl->root_kid, sp.kid, TC_KID_BYTES);
    if ((e = load_object(sp.p, sp.n, 5, 0x1F, TYPE_TRUST_LIST, &root, v)) != TC_OK)
        goto out;
    if ((e = tc_cbor_get_uint(v[1], UINT64_MAX, &tl->version)) != TC_OK ||
        (e = tc_cbor_get_uint(v[2], UINT64_MAX, &tl->issued_at)) != TC_OK)
        goto out;
    if (!cbor_isa_array(v[3]) || !cbor_isa_array(v[4])) {
        e = TC_ERR_TYPE;
        goto out;
    }
    size_t ne = cbor_array_size(v[3]), nr = cbor_array_size(v[4]);
    if (ne > TC_TRUST_MAX_ENDORSEMENTS || nr > TC_TRUST_MAX_REVOCATIONS) {
        e = TC_ERR_SIZE_LIMIT;
        goto out;
    }
    tl->endorsements = calloc(ne ? ne : 1, sizeof *tl->endorsements);
    tl->revocations = calloc(nr ? nr : 1, sizeof *tl->revocations);
    end_bytes = calloc(ne ? ne : 1, sizeof *end_bytes);
    end_lens = calloc(ne ? ne : 1, sizeof *end_lens);
    if (!tl->endorsements || !tl->revocations || !end_bytes || !end_lens) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    cbor_item_t **ea = cbor_array_handle(v[3]);
    for (size_t i = 0; i < ne; i++) {
        if (!cbor_isa_bytestring(ea[i]) || !cbor_bytestring_is_definite(ea[i])) {
            e = TC_ERR_TYPE;
            goto out;
        }
        end_bytes[i] = cbor_bytestring_handle(ea[i]);
        end_lens[i] = cbor_bytestring_length(ea[i]);
        if ((e = tc_keys_endorsement_parse(end_bytes[i], end_lens[i], root_pk,
                                           &tl->endorsements[i])) != TC_OK) {
            if (e == TC_ERR_BAD_SIGNATURE || e == TC_ERR_UNKNOWN_KEY_ID)
                e = TC_ERR_ENDORSEMENT;
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (memcmp(tl->endorsements[j].kid, tl->endorsements[i].kid, TC_KID_BYTES) == 0) {
                e = TC_ERR_TRUST_LIST; /* one endorsement per key */
                goto out;
            }
    }
    tl->n_endorsements = ne;
    cbor_item_t **ra = cbor_array_handle(v[4]);
    for (size_t i = 0; i < nr; i++) {
        if ((e = read_revocation_entry(ra[i], &tl->revocations[i])) != TC_OK)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (memcmp(tl->revocations[j].kid, tl->revocations[i].kid, TC_KID_BYTES) == 0) {
                e = TC_ERR_TRUST_LIST;
                goto out;
            }
    }
    tl->n_revocations = nr;
    if ((e = trust_payload_write(&again, &again_len, tl->version, tl->issued_at, end_bytes,
                                 end_lens, ne, tl->revocations, nr)) != TC_OK)
        goto out;
    if (!buf_equal(again, again_len, sp.p, sp.n)) {
        e = TC_ERR_NONCANONICAL;
        goto out;
    }
    *out = tl;
    tl = NULL;
out:
    free(again);
    free(end_bytes);
    free(end_lens);
    if (root)
        cbor_decref(&root);
    tc_trust_list_free(tl);
    return e;
}

/* The first of n elements of `size` bytes whose key id (at byte `off` of each) is kid, or NULL:
 * endorsements and revocations are both found by the key they are about. */
static const void *find_kid(const void *v, size_t n, size_t size, size_t off,
                            const uint8_t kid[TC_KID_BYTES])
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *)v + i * size;
        if (memcmp(p + off, kid, TC_KID_BYTES) == 0)
            return p;
    }
    return NULL;
}

const struct tc_endorsement *tc_trust_find(const struct tc_trust_list *tl,
                                           const uint8_t kid[TC_KID_BYTES])
{
    return find_kid(tl->endorsements, tl->n_endorsements, sizeof *tl->endorsements,
                    offsetof(struct tc_endorsement, kid), kid);
}

const struct tc_revocation *tc_trust_find_revocation(const struct tc_trust_list *tl,
                                                     const uint8_t kid[TC_KID_BYTES])
{
    return find_kid(tl->revocations, tl->n_revocations, sizeof *tl->revocations,
                    offsetof(struct tc_revocation, kid), kid);
}

static int region_digits(uint32_t region)
{
    return region < 100 ? 2 : region < 10000 ? 4 : 6;
}

/* The 6-digit registration division inside a USCC (characters 3..8), or 0. */
static uint32_t uscc_division(const char *uscc)
{
    uint32_t v = 0;
    for (int i = 2; i < 8; i++) {
        if (uscc[i] < '0' || uscc[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(uscc[i] - '0');
    }
    return v;
}

bool tc_authz_covers(const struct tc_authz *a, const struct tc_claims *c)
{
    if (!(a->tracks & TC_AUTHZ_TRACK(c->track)) || !(a->levels & TC_AUTHZ_LEVEL(c->level)))
        return false;
    if (a->nseries) {
        bool found = false;
        for (size_t i = 0; i < a->nseries && !found; i++)
            found = a->series[i] == c->series;
        if (!found)
            return false;
    }
    /* Region: a basic-level certificate's scope must lie inside the key's region; a
     * province-wide one is placed by its employer's registration division. */
    if (c->track == TC_TRACK_BASIC)
        return region_digits(c->scope.region) >= region_digits(a->region) &&
               tc_region_contains(a->region, tc_region_code6(c->scope.region));
    return tc_region_contains(a->region, uscc_division(c->employer));
}

enum tc_err tc_trust_check_cert(const struct tc_trust_list *tl, const struct tc_cert *cert,
                                const struct tc_endorsement **which)
{
    if (which)
        *which = NULL;
    const struct tc_endorsement *en = tc_trust_find(tl, cert->kid);
    if (!en)
        return TC_ERR_UNKNOWN_KEY_ID;
    if (which)
        *which = en;
    enum tc_err e = tc_cert_verify_sig(cert, en->pk);
    if (e != TC_OK)
        return e;
    int32_t day = tc_beijing_day(cert->claims.issued_at);
    const struct tc_revocation *r = tc_trust_find_revocation(tl, cert->kid);
    if (r && day >= r->day) /* A2: from the revocation day on, nothing the key signs counts */
        return TC_ERR_KEY_REVOKED;
    if (day < en->not_before || day > en->not_after) /* A1: term */
        return TC_ERR_KEY_OUT_OF_TERM;
    if (!tc_authz_covers(&en->authz, &cert->claims)) /* A1: authorised scope */
        return TC_ERR_NOT_AUTHORISED;
    return TC_OK;
}

/* ---- encoders for secret.c, which signs what this file parses (keys_internal.h) ---------- */

enum tc_err tc_keys_internal_endorsement_bytes(const struct tc_endorsement *e, uint8_t *out,
                                               size_t cap, size_t *len)
{
    struct tc_cw w;
    tc_cw_init(&w, out, cap);
    endorsement_write(&w, e);
    if (w.overflow)
        return TC_ERR_BUFFER;
    *len = w.len;
    return TC_OK;
}

enum tc_err tc_keys_internal_revocation_bytes(const struct tc_revocation *r, uint8_t *out,
                                              size_t cap, size_t *len)
{
    enum tc_err e = revocation_check(r);
    if (e != TC_OK)
        return e;
    struct tc_cw w;
    tc_cw_init(&w, out, cap);
    revocation_write(&w, r, true);
    if (w.overflow)
        return TC_ERR_BUFFER;
    *len = w.len;
    return TC_OK;
}

enum tc_err tc_keys_internal_trust_payload(uint8_t **out, size_t *len, uint64_t version,
                                           uint64_t issued_at, const uint8_t *const *end,
                                           const size_t *end_lens, size_t n_end,
                                           const struct tc_revocation *rev, size_t n_rev)
{
    return trust_payload_write(out, len, version, issued_at, end, end_lens, n_end, rev, n_rev);
}

enum tc_err tc_trust_list_load(const char *root_pub, const char *path, struct tc_trust_list **tl,
                               uint8_t **raw, size_t *raw_len, const char **which)
{
    struct tc_pubkey root;
    uint8_t *buf = NULL;
    size_t len = 0;
    *tl = NULL;
    *which = root_pub;
    enum tc_err e = tc_keys_pub_read(root_pub, &root);
    if (e != TC_OK)
        return e;
    *which = path;
    if ((e = tc_file_read(path, TC_TRUST_LIST_MAX_BYTES, &buf, &len)) != TC_OK)
        return e;
    if ((e = tc_trust_list_parse(buf, len, root.pk, tl)) == TC_OK && raw) {
        *raw = buf, *raw_len = len;
        buf = NULL;
    }
    free(buf);
    return e;
}
