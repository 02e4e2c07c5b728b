/*
 * err.c - names and messages for enum tc_err, and the growth and search of the dynamic arrays
 * the modules keep (tc_reserve, tc_push, tc_find_id).
 *
 * One table keeps the code, its symbolic name and its sentence together so that adding a code
 * without a message is impossible to miss in review.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

struct err_row {
    enum tc_err code;
    const char *name;
    const char *msg;
};

/* TC_ERR_FUTURE's text names the allowed skew in words */
_Static_assert(TC_CLOCK_SKEW_SECONDS == 600, "TC_ERR_FUTURE's text says 10 minutes");

static const struct err_row rows[] = {
    {TC_OK, "TC_OK", "success"},
    {TC_ERR_ARG, "TC_ERR_ARG", "invalid argument"},
    {TC_ERR_BUFFER, "TC_ERR_BUFFER", "output buffer too small"},
    {TC_ERR_SIZE_LIMIT, "TC_ERR_SIZE_LIMIT", "input exceeds the size limit for its kind"},
    {TC_ERR_PREFIX, "TC_ERR_PREFIX", "payload text does not start with TC1:"},
    {TC_ERR_DIGITS, "TC_ERR_DIGITS", "payload digits are not a valid encoding"},
    {TC_ERR_CBOR, "TC_ERR_CBOR", "not well-formed CBOR"},
    {TC_ERR_TRAILING, "TC_ERR_TRAILING", "trailing bytes after the encoded item"},
    {TC_ERR_TYPE, "TC_ERR_TYPE", "an item has the wrong type"},
    {TC_ERR_DUP_KEY, "TC_ERR_DUP_KEY", "duplicate map key"},
    {TC_ERR_UNKNOWN_KEY, "TC_ERR_UNKNOWN_KEY", "unknown map key"},
    {TC_ERR_MISSING_KEY, "TC_ERR_MISSING_KEY", "required key missing"},
    {TC_ERR_NONCANONICAL, "TC_ERR_NONCANONICAL", "encoding is not deterministic (canonical) CBOR"},
    {TC_ERR_RANGE, "TC_ERR_RANGE", "value out of range"},
    {TC_ERR_TEXT, "TC_ERR_TEXT", "text is not valid UTF-8 or contains control characters"},
    {TC_ERR_TAG, "TC_ERR_TAG", "missing or unexpected CBOR tag"},
    {TC_ERR_HEADER, "TC_ERR_HEADER", "COSE header parameters not allowed"},
    {TC_ERR_ALG, "TC_ERR_ALG", "signature algorithm is not EdDSA"},
    {TC_ERR_INCONSISTENT, "TC_ERR_INCONSISTENT", "claims contradict each other"},
    {TC_ERR_CODE, "TC_ERR_CODE", "invalid code (USCC, ID number, division code or date)"},
    {TC_ERR_LINK, "TC_ERR_LINK", "link does not carry a certificate payload"},
    {TC_ERR_BAD_SIGNATURE, "TC_ERR_BAD_SIGNATURE", "signature does not verify"},
    {TC_ERR_UNKNOWN_KEY_ID, "TC_ERR_UNKNOWN_KEY_ID", "signing key is not in the trust list"},
    {TC_ERR_KEY_REVOKED, "TC_ERR_KEY_REVOKED", "signing key is revoked"},
    {TC_ERR_KEY_OUT_OF_TERM, "TC_ERR_KEY_OUT_OF_TERM", "outside the signing key's endorsed term"},
    {TC_ERR_NOT_AUTHORISED, "TC_ERR_NOT_AUTHORISED", "outside the signing key's authorised scope"},
    {TC_ERR_PASSPHRASE, "TC_ERR_PASSPHRASE", "wrong passphrase or altered key file"},
    {TC_ERR_ENDORSEMENT, "TC_ERR_ENDORSEMENT", "invalid endorsement"},
    {TC_ERR_TRUST_LIST, "TC_ERR_TRUST_LIST", "trust list rejected"},
    {TC_ERR_ROLLBACK, "TC_ERR_ROLLBACK", "not newer than, or not consistent with, what was accepted before (a rollback)"},
    {TC_ERR_FUTURE, "TC_ERR_FUTURE", "dated more than 10 minutes ahead of this machine's clock (one of the two clocks is wrong)"},
    {TC_ERR_IO, "TC_ERR_IO", "input/output error"},
    {TC_ERR_PERMS, "TC_ERR_PERMS", "secret-key file is accessible by group or others (chmod 600)"},
    {TC_ERR_EXISTS, "TC_ERR_EXISTS", "file exists; refusing to overwrite"},
    {TC_ERR_KEYFILE, "TC_ERR_KEYFILE", "not a titlecert secret-key file, or truncated"},
    {TC_ERR_NOT_FOUND, "TC_ERR_NOT_FOUND", "not found"},
    {TC_ERR_REFUSED, "TC_ERR_REFUSED", "refused by a rule"},
    {TC_ERR_STORE, "TC_ERR_STORE", "the store failed"},
    {TC_ERR_SCHEMA, "TC_ERR_SCHEMA", "the store was written by a newer version"},
    {TC_ERR_SCHEMA_OLD, "TC_ERR_SCHEMA_OLD", "the store's schema is older than this program's: run 'titlecert-issuer migrate --db FILE' (it backs the store up first)"},
    {TC_ERR_NOMEM, "TC_ERR_NOMEM", "out of memory"},
    {TC_ERR_CRYPTO_INIT, "TC_ERR_CRYPTO_INIT", "libsodium failed to initialise"},
    {TC_ERR_QR, "TC_ERR_QR", "QR encoding failed"},
    {TC_ERR_INTERNAL, "TC_ERR_INTERNAL", "internal error"},
    {TC_ERR_TIMEOUT, "TC_ERR_TIMEOUT", "took longer than its time limit"},
    {TC_ERR_BUSY, "TC_ERR_BUSY", "busy: try again later"},
};

static const struct err_row *find(enum tc_err err)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == err)
            return &rows[i];
    return NULL;
}

const char *tc_strerror(enum tc_err err)
{
    const struct err_row *r = find(err);
    return r ? r->msg : "unknown error";
}

const char *tc_errname(enum tc_err err)
{
    const struct err_row *r = find(err);
    return r ? r->name : "TC_ERR_UNKNOWN";
}

enum tc_err tc_reserve(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return TC_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return TC_ERR_NOMEM;
        c *= 2;
    }
    if (size && c > SIZE_MAX / size)
        return TC_ERR_NOMEM;
    void *g = realloc(*v, c * size);
    if (!g)
        return TC_ERR_NOMEM;
    *v = g, *cap = c;
    return TC_OK;
}

void *tc_push(void **v, size_t *n, size_t *cap, size_t size)
{
    if (tc_reserve(v, cap, *n + 1, size) != TC_OK)
        return NULL;
    return (uint8_t *)*v + (*n)++ * size;
}

const void *tc_find_id(const void *v, size_t n, size_t size, uint64_t id)
{
    const uint8_t *p = v;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t at;
        memcpy(&at, p + mid * size, sizeof at); /* the element may be any struct: no alignment */
        if (at == id)
            return p + mid * size;
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
