/*
 * leaf.c - register leaves: small deterministic CBOR arrays that hold no personal data (event
 * kind, certificate id, hash of its signed bytes, key id, day, reason code, hashes of published
 * documents). Decoding accepts only the encoding the encoder writes.
 */
#include <string.h>

#include "cert.h"
#include "register.h"

const char *tc_reg_kind_name(uint8_t kind)
{
    switch (kind) {
    case TC_REG_ISSUE: return "issue";
    case TC_REG_SUPERSEDE: return "supersede";
    case TC_REG_REVOKE: return "revoke";
    case TC_REG_TRUST: return "trust";
    case TC_REG_PUBLICATION: return "publication";
    case TC_REG_DATA: return "data";
    }
    return "unknown";
}

static bool reason_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n >= 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '_'))
            return false;
    return true;
}

/* A data entry logs the unit directory's digest or the profile's: no other. */
static bool data_id_ok(const struct tc_reg_leaf *l)
{
    return l->kind != TC_REG_DATA || l->id == TC_REG_DATA_UNITS || l->id == TC_REG_DATA_PROFILE;
}

enum tc_err tc_reg_leaf_encode(const struct tc_reg_leaf *l, uint8_t *out, size_t *len)
{
    struct tc_cw w;
    tc_cw_init(&w, out, TC_REG_LEAF_MAX);
    if (!data_id_ok(l))
        return TC_ERR_RANGE;
    switch (l->kind) {
    case TC_REG_ISSUE:
        tc_cw_array(&w, 6), tc_cw_uint(&w, l->kind), tc_cw_uint(&w, l->id);
        tc_cw_bytes(&w, l->hash, TC_REG_HASH), tc_cw_bytes(&w, l->kid, 8);
        tc_cw_int(&w, l->day), tc_cw_uint(&w, l->other);
        break;
    case TC_REG_SUPERSEDE:
        tc_cw_array(&w, 4), tc_cw_uint(&w, l->kind), tc_cw_uint(&w, l->id);
        tc_cw_uint(&w, l->other), tc_cw_int(&w, l->day);
        break;
    case TC_REG_REVOKE:
        if (!reason_ok(l->reason))
            return TC_ERR_TEXT;
        tc_cw_array(&w, 4), tc_cw_uint(&w, l->kind), tc_cw_uint(&w, l->id);
        tc_cw_int(&w, l->day), tc_cw_text(&w, l->reason);
        break;
    case TC_REG_DATA: /* the same shape */
    case TC_REG_TRUST:
    case TC_REG_PUBLICATION:
        tc_cw_array(&w, 4), tc_cw_uint(&w, l->kind), tc_cw_uint(&w, l->id);
        tc_cw_bytes(&w, l->hash, TC_REG_HASH), tc_cw_int(&w, l->day);
        break;
    default:
        return TC_ERR_ARG;
    }
    if (w.overflow)
        return TC_ERR_BUFFER;
    *len = w.len;
    return TC_OK;
}

struct rd {
    struct tc_tok_reader tr;
    struct tc_tok t;
};

static bool want(struct rd *r, uint8_t kind)
{
    return tc_tok_next(&r->tr, &r->t) && r->t.kind == kind;
}

static bool rd_day(struct rd *r, int32_t *day)
{
    if (!tc_tok_next(&r->tr, &r->t))
        return false;
    if (r->t.kind == TC_TOK_UINT && r->t.value <= INT32_MAX)
        *day = (int32_t)r->t.value;
    else if (r->t.kind == TC_TOK_NEGINT && r->t.value < INT32_MAX)
        *day = (int32_t)(-1 - (int64_t)r->t.value);
    else
        return false;
    return true;
}

static bool rd_bytes(struct rd *r, uint8_t *out, size_t n)
{
    if (!want(r, TC_TOK_BYTES) || r->t.len != n)
        return false;
    memcpy(out, r->t.p, n);
    return true;
}

enum tc_err tc_reg_leaf_decode(const uint8_t *in, size_t len, struct tc_reg_leaf *l)
{
    memset(l, 0, sizeof *l);
    if (len > TC_REG_LEAF_MAX)
        return TC_ERR_SIZE_LIMIT;
    struct rd r;
    enum tc_err e = tc_tok_reader_init(&r.tr, in, len);
    if (e != TC_OK)
        return e;
    r.tr.canonical = true;
    if (!want(&r, TC_TOK_ARRAY))
        return TC_ERR_TYPE;
    uint64_t items = r.t.value;
    if (!want(&r, TC_TOK_UINT) || r.t.value > 255)
        return TC_ERR_TYPE;
    l->kind = (uint8_t)r.t.value;
    if (!want(&r, TC_TOK_UINT))
        return TC_ERR_TYPE;
    l->id = r.t.value;
    if (!data_id_ok(l))
        return TC_ERR_RANGE;
    bool ok;
    switch (l->kind) {
    case TC_REG_ISSUE:
        ok = items == 6 && rd_bytes(&r, l->hash, TC_REG_HASH) && rd_bytes(&r, l->kid, 8) &&
             rd_day(&r, &l->day) && want(&r, TC_TOK_UINT);
        l->other = r.t.value;
        break;
    case TC_REG_SUPERSEDE:
        ok = items == 4 && want(&r, TC_TOK_UINT);
        l->other = r.t.value;
        ok = ok && rd_day(&r, &l->day);
        break;
    case TC_REG_REVOKE:
        ok = items == 4 && rd_day(&r, &l->day) && want(&r, TC_TOK_TEXT) &&
             r.t.len < sizeof l->reason;
        if (ok) {
            memcpy(l->reason, r.t.p, r.t.len);
            ok = reason_ok(l->reason);
        }
        break;
    case TC_REG_DATA: /* the same shape */
    case TC_REG_TRUST:
    case TC_REG_PUBLICATION:
        ok = items == 4 && rd_bytes(&r, l->hash, TC_REG_HASH) && rd_day(&r, &l->day);
        break;
    default:
        return TC_ERR_RANGE;
    }
    if (!ok)
        return TC_ERR_TYPE;
    struct tc_tok extra;
    return tc_tok_next(&r.tr, &extra) ? TC_ERR_TRAILING : TC_OK;
}
