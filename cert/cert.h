/*
 * cert.h - the titlecert certificate and its wire format.
 *
 * A certificate is a set of claims (struct tc_claims) encoded as a deterministic CBOR map
 * (RFC 8949 §4.2.1) and signed as a COSE_Sign1 message (RFC 9052) with alg EdDSA (-8) over
 * Ed25519. The protected header is exactly {1: -8, 4: kid}; the unprotected header is empty.
 * The message is untagged (RFC 9052 §2: the "TC1:" prefix already says what it is, and the tag
 * byte is one the QR budget cannot spare). The signed bytes are carried as text "TC1:" followed
 * by decimal digits (see docs/FORMAT.md),
 * which a QR code stores in numeric mode, and inside a link "<base>/v#TC1:<digits>" that a phone
 * camera opens. Both the text alone and the link verify offline.
 *
 * Decoding is strict: every input has a named size limit, the whole input must be consumed,
 * unknown, duplicate or missing keys, wrong types, out-of-range values, invalid or unsafe text
 * and any encoding that is not the one this module would write are each rejected with a
 * distinct error code. Nothing in this module prints, exits or touches a secret-key file.
 *
 * The error enum, codes and calendar are base/ (base.h); the vocabulary of the rules (levels,
 * tracks, methods, tiers, scopes), the title table and the province profiles are policy/
 * (policy.h). This header is the wire format only.
 */
#ifndef TC_CERT_H
#define TC_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ------------------------------------------------------------------------------------------ */
/* Limits                                                                                      */
/* ------------------------------------------------------------------------------------------ */
#define TC_KID_BYTES 8            /* key id: first 8 bytes of BLAKE2b-256(public key) */
#define TC_PK_BYTES 32
#define TC_SIG_BYTES 64
#define TC_CERT_MAX_BYTES 512     /* a signed certificate (COSE_Sign1) */
#define TC_CLAIMS_MAX_BYTES 384   /* the claims map alone */
#define TC_TEXT_PREFIX "TC1:"
#define TC_TEXT_MAX 1280          /* "TC1:" + digits of TC_CERT_MAX_BYTES bytes, rounded up */
#define TC_LINK_MAX 2048          /* a whole link */
#define TC_BASE_URL_MAX 200       /* the verify base URL */
#define TC_NAME_MAX 48            /* holder name, bytes of UTF-8 (16 CJK characters) */
#define TC_SPECIALTY_MAX 60       /* specialty, bytes of UTF-8 (20 CJK characters) */

/* ------------------------------------------------------------------------------------------ */
/* Claims                                                                                      */
/* ------------------------------------------------------------------------------------------ */


/* C1/C3: the conversion path. A basic-level certificate records when the cumulative 5 years can
 * be reached at the earliest and what else is required; a certificate issued by conversion
 * records its predecessor and the carried-over tenure start. */
enum tc_conv_kind { TC_CONV_NONE = 0, TC_CONV_PATH = 1, TC_CONV_FROM = 2 };
struct tc_conversion {
    uint8_t kind;             /* enum tc_conv_kind */
    /* TC_CONV_PATH */
    int32_t earliest_month;   /* month index (tc_month_index) */
    uint16_t months_required; /* cumulative months at basic-level units, e.g. 60 */
    uint16_t ce_hours;        /* continuing-education hours required per year (C2), e.g. 90 */
    uint8_t flags;            /* TC_CONV_* */
    /* TC_CONV_FROM */
    uint64_t predecessor;     /* id of the superseded basic-level certificate */
    int32_t carried_tenure_month; /* tenure start carried over (C3), month index */
};

/* The claims of one certificate. Dates are days since 1970-01-01 (tc_day_index), months are
 * year*12 + month-1 (tc_month_index). Text fields are NUL-terminated UTF-8. */
struct tc_claims {
    uint64_t id;                       /* certificate id, unique within a province */
    char name[TC_NAME_MAX + 1];        /* holder name */
    char id_mask[TC_ID_MASK_LEN + 1];  /* "002X": never the full ID number */
    uint16_t series;                   /* series id (tc_title_lookup) */
    char specialty[TC_SPECIALTY_MAX + 1];
    uint8_t level;                     /* enum tc_level */
    uint8_t title_variant;             /* 0 = the series' usual title at this level */
    uint8_t track;                     /* enum tc_track */
    uint8_t method;                    /* enum tc_method */
    uint16_t eval_year;                /* D1: evaluation year */
    int32_t obtained_day;              /* date the title was obtained */
    int32_t tenure_month;              /* C4: tenure start month */
    struct tc_scope scope;             /* S3: basic-level certificates only */
    char employer[TC_USCC_LEN + 1];    /* employing unit's USCC at issuance */
    struct tc_conversion conv;         /* C1 */
    uint16_t committee;                /* committee registry number within the province */
    uint64_t issued_at;                /* seconds since the Unix epoch */
};

/* Checks a claims struct against the format's own constraints (types, ranges, text, codes and
 * track-dependent presence). Returns TC_OK or the first violation; *field names the claim. */
enum tc_err tc_claims_check(const struct tc_claims *c, const char **field);

/* Writes the deterministic CBOR encoding of c into out. */
enum tc_err tc_claims_encode(const struct tc_claims *c, uint8_t *out, size_t cap, size_t *outlen);

/* Strictly decodes a claims map that must occupy all of in[0..len). On failure *field (when not
 * NULL) names the offending claim or NULL. out is fully written on success only. */
enum tc_err tc_claims_decode(const uint8_t *in, size_t len, struct tc_claims *out,
                             const char **field);

/* ------------------------------------------------------------------------------------------ */
/* Signed certificates (COSE_Sign1)                                                            */
/* ------------------------------------------------------------------------------------------ */

/* The key id of a public key: the first TC_KID_BYTES of BLAKE2b-256(pk). */
void tc_kid(uint8_t kid[TC_KID_BYTES], const uint8_t pk[TC_PK_BYTES]);

/* ---- signature algorithms ------------------------------------------------------------------ */
/* One row per algorithm (cose.c): its COSE id, sizes and verification. The COSE protected
 * header is written from this table, and a signer handle (keys/) names its row, so a second
 * algorithm is a row here and a backend in keys/, not a change to the callers. */
enum tc_alg {
    TC_ALG_ED25519 = 1, /* EdDSA over Ed25519 (RFC 8032), COSE alg -8 */
};
#define TC_SIG_MAX_BYTES 64 /* the longest signature of any algorithm in the table */
struct tc_alg_info {
    enum tc_alg id;
    const char *name;   /* "Ed25519" */
    int64_t cose_alg;   /* RFC 9053 */
    size_t pk_bytes, sig_bytes;
};
/* The row of an algorithm, or NULL when it is not one this build knows. */
const struct tc_alg_info *tc_alg_info(enum tc_alg alg);

/* Signs msg into sig (cap bytes), *sig_len the length: what a signer handle provides. */
typedef enum tc_err (*tc_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig,
                                  size_t cap, size_t *sig_len);

/* Builds an untagged COSE_Sign1 over payload with the protected header {1: alg, 4: kid} (the
 * algorithm's COSE id from the table) and an empty unprotected header; sign() signs the
 * Sig_structure. external_aad (RFC 9052 §4.3) separates the kinds of signed object:
 * certificates use none, each other kind its own string (TC_AAD_*), so a signature made for one
 * kind never verifies as another. Only keys/ calls this: everyone else signs with a handle. */
enum tc_err tc_cose_sign1_build(uint8_t *out, size_t cap, size_t *outlen, const uint8_t *payload,
                                size_t payload_len, const char *external_aad, enum tc_alg alg,
                                const uint8_t kid[TC_KID_BYTES], tc_sign_fn sign, void *ctx);

/* A decoded, not yet verified certificate. The pointers refer into the caller's input buffer,
 * which must outlive this struct. */
struct tc_cert {
    struct tc_claims claims;
    uint8_t kid[TC_KID_BYTES];
    const uint8_t *protected_hdr; /* serialized protected header (bstr content) */
    size_t protected_len;
    const uint8_t *payload; /* the claims bytes */
    size_t payload_len;
    uint8_t sig[TC_SIG_BYTES];
};

/* Strictly decodes a titlecert COSE_Sign1 message (structure only, signature not checked).
 * *field names the offending part on failure when not NULL. */
enum tc_err tc_cert_decode(const uint8_t *in, size_t len, struct tc_cert *out, const char **field);

/* Verifies the Ed25519 signature of a decoded certificate against pk. */
enum tc_err tc_cert_verify_sig(const struct tc_cert *cert, const uint8_t pk[TC_PK_BYTES]);

/* Generic COSE_Sign1 verification (RFC 9052 §4.4) for EdDSA/Ed25519: the tag is optional (18
 * when present), the protected header must be a map holding alg -8, any other header parameters
 * are allowed. On success, when payload is not NULL, *payload is a malloc'd copy of the payload
 * (the caller frees it). Used for the external cose-wg conformance vectors. */
enum tc_err tc_cose_sign1_verify(const uint8_t *msg, size_t len, const uint8_t *external_aad,
                                 size_t aad_len, const uint8_t pk[TC_PK_BYTES],
                                 uint8_t **payload, size_t *payload_len);

/* Parses a COSE_Sign1 in this project's own profile (untagged, protected {1:-8,4:kid},
 * unprotected {}), without verifying. Pointers refer into msg. */
enum tc_err tc_cose_sign1_parse(const uint8_t *msg, size_t len, uint8_t kid[TC_KID_BYTES],
                                const uint8_t **protected_hdr, size_t *protected_len,
                                const uint8_t **payload, size_t *payload_len,
                                uint8_t sig[TC_SIG_BYTES]);

/* Verifies sig over the Sig_structure of a profile message parsed by tc_cose_sign1_parse, with the
 * same external_aad (NULL for none) it was signed with. */
enum tc_err tc_cose_sign1_check(const uint8_t *protected_hdr, size_t protected_len,
                                const uint8_t *payload, size_t payload_len,
                                const char *external_aad, const uint8_t sig[TC_SIG_BYTES],
                                const uint8_t pk[TC_PK_BYTES]);

/* ------------------------------------------------------------------------------------------ */
/* Text, links and QR codes                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Bytes -> "TC1:<digits>" (NUL-terminated). Each 7-byte group becomes 17 digits, a final group of
 * k bytes ceil(8k*log10(2)) digits; see docs/FORMAT.md. */
enum tc_err tc_text_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/* "TC1:<digits>" -> bytes; rejects any other length, digit or value than tc_text_encode makes. */
enum tc_err tc_text_decode(uint8_t *out, size_t cap, size_t *outlen, const char *text,
                           size_t text_len);

/* Accepts a payload text, or a link whose fragment is one ("https://h/v#TC1:..."), and decodes
 * it to bytes. Surrounding ASCII white space is ignored. */
enum tc_err tc_text_decode_any(uint8_t *out, size_t cap, size_t *outlen, const char *input,
                               size_t input_len);

/* Checks a verify base URL: http(s)://host[:port][/path], printable ASCII, no query, fragment,
 * user info or trailing slash. */
enum tc_err tc_base_url_check(const char *base);

/* Builds "<base>/v#<text>". */
enum tc_err tc_link_make(char *out, size_t cap, const char *base, const char *text);

/* A QR code as a square of modules (1 = dark), quiet zone not included. */
struct tc_qr {
    int version;   /* 1..40 */
    int width;     /* modules per side */
    uint8_t *data; /* width*width bytes */
};

/* QR error-correction levels as in ISO/IEC 18004. */
enum tc_qr_ecc { TC_QR_L = 0, TC_QR_M = 1, TC_QR_Q = 2, TC_QR_H = 3 };

/* Encodes a link made by tc_link_make, choosing segments that keep the symbol small: the part
 * before the digits in alphanumeric mode (in upper case, when the base URL has no path and so
 * nothing case-sensitive) or byte mode, the digits in numeric mode. */
enum tc_err tc_qr_encode(struct tc_qr *qr, const char *link, enum tc_qr_ecc ecc);
/* Encodes any text (at most TC_LINK_MAX bytes) in byte mode: e.g. an otpauth:// URI. */
enum tc_err tc_qr_encode_text(struct tc_qr *qr, const char *text, enum tc_qr_ecc ecc);
void tc_qr_free(struct tc_qr *qr);

/* Writes a 1-bit PNG with `scale` pixels per module and a 4-module quiet zone to path
 * (created 0644, replaced atomically). */
enum tc_err tc_qr_write_png(const struct tc_qr *qr, const char *path, int scale);
/* Writes an SVG with a 4-module quiet zone to path (replaced atomically). */
enum tc_err tc_qr_write_svg(const struct tc_qr *qr, const char *path);
/* The same images in memory: malloc'd bytes in *out, their length in *len. */
enum tc_err tc_qr_png(const struct tc_qr *qr, int scale, uint8_t **out, size_t *len);
enum tc_err tc_qr_svg(const struct tc_qr *qr, uint8_t **out, size_t *len);
/* Renders the QR with Unicode half blocks and ANSI colours into a malloc'd string. */
char *tc_qr_to_terminal(const struct tc_qr *qr);

/* ------------------------------------------------------------------------------------------ */
/* JSON (jansson)                                                                              */
/* ------------------------------------------------------------------------------------------ */
struct json_t;
/* The claims as a JSON object with display names added; the caller owns the reference. */
struct json_t *tc_claims_to_json(const struct tc_claims *c);
/* Claims from a JSON object as tc_claims_to_json writes it; "id_number" (the full resident ID
 * number, validated and reduced to its mask) may stand for "id_mask". When "issued_at" is absent
 * it is left 0 for the caller to stamp and the claims are not yet checked. On failure *field
 * names the offending member. */
enum tc_err tc_claims_from_json(struct json_t *o, struct tc_claims *c, const char **field);
#define TC_CLAIMS_JSON_MAX (64u << 10)
/* The JSON text of a claims document (at most TC_CLAIMS_JSON_MAX bytes, duplicate keys refused)
 * as a new reference in *o; TC_ERR_SIZE_LIMIT, or TC_ERR_TEXT with *line the line where it stops
 * being JSON (0 otherwise). */
enum tc_err tc_claims_json_load(const char *text, size_t len, struct json_t **o, int *line);
/* Claims from JSON text (at most TC_CLAIMS_JSON_MAX bytes, duplicate keys refused), stamped with
 * now when they carry no "issued_at", and checked. On failure *field names the claim, or is NULL
 * for text that is not JSON and *line the line where it stops being JSON. */
enum tc_err tc_claims_parse_json(const char *text, size_t len, uint64_t now, struct tc_claims *c,
                                 const char **field, int *line);

/* ------------------------------------------------------------------------------------------ */
/* CBOR helpers shared with keys/ (deterministic writer over libcbor's encoders, strict reads)  */
/* ------------------------------------------------------------------------------------------ */
struct cbor_item_t;

/* A bounded output buffer; the first failed write sets overflow and later writes do nothing. */
struct tc_cw {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
};
void tc_cw_init(struct tc_cw *w, uint8_t *buf, size_t cap);
/* A writer over a malloc'd buffer of cap bytes, which the caller frees (w->buf) or takes with
 * tc_cw_take: TC_ERR_NOMEM when there is none. */
enum tc_err tc_cw_alloc(struct tc_cw *w, size_t cap);
/* Hands the malloc'd buffer of w over in *out and *len; when w overflowed, frees it instead and
 * returns TC_ERR_INTERNAL (the caller sized it wrong). */
enum tc_err tc_cw_take(struct tc_cw *w, uint8_t **out, size_t *len);
void tc_cw_uint(struct tc_cw *w, uint64_t v);
void tc_cw_int(struct tc_cw *w, int64_t v);
void tc_cw_bytes(struct tc_cw *w, const uint8_t *p, size_t n);
void tc_cw_text(struct tc_cw *w, const char *s);
void tc_cw_array(struct tc_cw *w, size_t n);
void tc_cw_map(struct tc_cw *w, size_t n);
void tc_cw_tag(struct tc_cw *w, uint64_t tag);
/* Appends raw, already-encoded bytes. */
void tc_cw_raw(struct tc_cw *w, const uint8_t *p, size_t n);

/* Loads exactly one CBOR item spanning all of in[0..len) with libcbor. Tag heads of tags 6..20,
 * which libcbor 0.8 cannot load, are not accepted here; callers peel a leading tag themselves
 * (tc_cbor_peel_tag). Returns TC_ERR_CBOR or TC_ERR_TRAILING on failure. The caller owns *item
 * (cbor_decref). */
enum tc_err tc_cbor_load(const uint8_t *in, size_t len, struct cbor_item_t **item);
/* If in starts with a tag head, returns its number in *tag and the bytes after it. */
bool tc_cbor_peel_tag(const uint8_t **in, size_t *len, uint64_t *tag);
/* Typed reads; TC_ERR_TYPE for another type, TC_ERR_RANGE out of [min, max]. */
enum tc_err tc_cbor_get_uint(const struct cbor_item_t *it, uint64_t max, uint64_t *v);
enum tc_err tc_cbor_get_int(const struct cbor_item_t *it, int64_t min, int64_t max, int64_t *v);
/* A definite text string of at most max bytes that passes tc_text_safe, copied NUL-terminated
 * into out (max + 1 bytes). */
enum tc_err tc_cbor_get_text(const struct cbor_item_t *it, char *out, size_t max);
/* A definite byte string of exactly n bytes (or at most n when exact is false). */
enum tc_err tc_cbor_get_bytes(const struct cbor_item_t *it, uint8_t *out, size_t n, bool exact,
                              size_t *got);

/* A flat token view of one CBOR item, read with libcbor's streaming decoder into a caller's
 * array: no allocation, pointers into the input. The same size and depth guards as
 * tc_cbor_load apply. Used where decoding speed matters (certificates). */
enum tc_tok_kind {
    TC_TOK_UINT, TC_TOK_NEGINT, TC_TOK_BYTES, TC_TOK_TEXT, TC_TOK_ARRAY, TC_TOK_MAP,
    TC_TOK_TAG, TC_TOK_INDEF, /* the start of an indefinite-length string, array or map */
    TC_TOK_OTHER,             /* floats, simple values, breaks */
};
struct tc_tok {
    uint8_t kind;     /* enum tc_tok_kind */
    uint64_t value;   /* integer value, or the element / pair count of an array / map */
    const uint8_t *p; /* byte and text strings: the bytes, inside the input */
    size_t len;
};
/* Reads one item spanning all of in[0..len) into at most max tokens. TC_ERR_CBOR when not well
 * formed, TC_ERR_TRAILING for bytes after it, TC_ERR_SIZE_LIMIT when it needs more tokens. With
 * toks NULL it only counts them into *n. */
enum tc_err tc_cbor_tokens(const uint8_t *in, size_t len, struct tc_tok *toks, size_t max,
                           size_t *n);

/* A pull reader over one CBOR item, for large inputs: tc_tok_reader_init checks the whole item
 * with the same guards as tc_cbor_tokens (well formed, sizes fit, depth, no trailing bytes); then
 * each tc_tok_next yields the next head without storing the others. */
struct tc_tok_reader {
    const uint8_t *in;
    size_t len, off;
    /* set after init: only shortest-form definite heads of integers, strings, arrays and maps
     * are read (tags, floats, simple values and indefinite lengths end the read), so a reader
     * that also fixes key order and sorting accepts exactly one encoding of each value */
    bool canonical;
};
enum tc_err tc_tok_reader_init(struct tc_tok_reader *r, const uint8_t *in, size_t len);
/* false at the end of the item or on a head the pre-check would not have let through */
bool tc_tok_next(struct tc_tok_reader *r, struct tc_tok *t);

/* Packs an 18-character USCC (alphabet only checked) into 12 bytes and back. */
#define TC_USCC_PACKED 12
enum tc_err tc_uscc_pack(uint8_t out[TC_USCC_PACKED], const char *uscc);
enum tc_err tc_uscc_unpack(char out[TC_USCC_LEN + 1], const uint8_t in[TC_USCC_PACKED]);

#endif
