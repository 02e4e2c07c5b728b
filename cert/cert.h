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
 * Also here, because every module needs them: the project's error enum (enum tc_err),
 * check-character routines for the Unified Social Credit Code (GB 32100) and the resident ID
 * number (GB 11643), the series x level -> title table (rule T1) and calendar helpers.
 */
#ifndef TC_CERT_H
#define TC_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors. One enum for the whole project, numbered in ranges:                                 */
/*   1xx usage, 2xx malformed input, 3xx cryptographic / trust, 4xx storage and I/O,           */
/*   5xx system, 6xx rule refusals (issuer), 7xx verification outcomes.                        */
/* ------------------------------------------------------------------------------------------ */
enum tc_err {
    TC_OK = 0,

    TC_ERR_ARG = 100,         /* a caller passed an impossible argument */
    TC_ERR_BUFFER = 101,      /* the output buffer is too small */

    TC_ERR_SIZE_LIMIT = 200,  /* input larger than the named limit for its kind */
    TC_ERR_PREFIX = 201,      /* text lacks the "TC1:" prefix or names another version */
    TC_ERR_DIGITS = 202,      /* the decimal body is not a valid encoding of bytes */
    TC_ERR_CBOR = 203,        /* not well-formed CBOR */
    TC_ERR_TRAILING = 204,    /* bytes left after the top-level item */
    TC_ERR_TYPE = 205,        /* an item has the wrong CBOR type */
    TC_ERR_DUP_KEY = 206,     /* a map key appears twice */
    TC_ERR_UNKNOWN_KEY = 207, /* a map key this version does not define */
    TC_ERR_MISSING_KEY = 208, /* a required key is absent */
    TC_ERR_NONCANONICAL = 209,/* well-formed, but not the deterministic encoding */
    TC_ERR_RANGE = 210,       /* a value is outside its allowed range */
    TC_ERR_TEXT = 211,        /* text is not valid UTF-8, or holds control/bidi characters */
    TC_ERR_TAG = 212,         /* missing or unexpected CBOR tag */
    TC_ERR_HEADER = 213,      /* COSE headers are not the ones this profile allows */
    TC_ERR_ALG = 214,         /* COSE algorithm other than EdDSA */
    TC_ERR_INCONSISTENT = 215,/* fields contradict each other (e.g. a scope on a province-wide title) */
    TC_ERR_CODE = 216,        /* a USCC, ID number, division code or date is not valid */
    TC_ERR_LINK = 217,        /* a link that does not carry a payload in its fragment */

    TC_ERR_BAD_SIGNATURE = 300,  /* the signature does not verify */
    TC_ERR_UNKNOWN_KEY_ID = 301, /* no trusted key has this key id */
    TC_ERR_KEY_REVOKED = 302,    /* the signing key is revoked (A2) */
    TC_ERR_KEY_OUT_OF_TERM = 303,/* outside the key's endorsed validity window (A1) */
    TC_ERR_NOT_AUTHORISED = 304, /* outside the key's authorised scope (A1) */
    TC_ERR_PASSPHRASE = 305,     /* wrong passphrase, or the key file was altered */
    TC_ERR_ENDORSEMENT = 306,    /* an endorsement is invalid (term over 3 years, bad signer...) */
    TC_ERR_TRUST_LIST = 307,     /* a trust list is older than the one held, or inconsistent */

    TC_ERR_IO = 400,          /* read/write failed; errno is preserved */
    TC_ERR_PERMS = 401,       /* a secret-key file is readable by group or others */
    TC_ERR_EXISTS = 402,      /* refusing to overwrite an existing file */
    TC_ERR_KEYFILE = 403,     /* not a titlecert secret-key file, or truncated */
    TC_ERR_NOT_FOUND = 404,   /* a named file or record does not exist */

    TC_ERR_REFUSED = 600,     /* a rule refused the request (the refusal names the rule) */
    TC_ERR_STORE = 601,       /* the store failed (SQLite's message is on the handle) */
    TC_ERR_SCHEMA = 602,      /* the store's schema is newer than this program */
    TC_ERR_SCHEMA_OLD = 603,  /* the store's schema is older: titlecert-issuer migrate upgrades it */

    TC_ERR_NOMEM = 500,
    TC_ERR_CRYPTO_INIT = 501, /* sodium_init failed */
    TC_ERR_QR = 502,          /* the QR encoder failed (data too large for any version) */
    TC_ERR_INTERNAL = 503,
    TC_ERR_TIMEOUT = 504,     /* work passed its time limit (an image that takes too long) */
    TC_ERR_BUSY = 505,        /* a bounded pool or budget is full: try again later */
};

/* A stable English sentence for an error code; never NULL. */
const char *tc_strerror(enum tc_err err);
/* The symbolic name, e.g. "TC_ERR_BAD_SIGNATURE"; never NULL. */
const char *tc_errname(enum tc_err err);

/* ------------------------------------------------------------------------------------------ */
/* Limits                                                                                      */
/* ------------------------------------------------------------------------------------------ */
#define TC_KID_BYTES 8            /* key id: first 8 bytes of BLAKE2b-256(public key) */
#define TC_PK_BYTES 32
#define TC_SIG_BYTES 64
#define TC_SK_BYTES 64            /* libsodium's seed||pk secret key */
#define TC_CERT_MAX_BYTES 512     /* a signed certificate (COSE_Sign1) */
#define TC_CLAIMS_MAX_BYTES 384   /* the claims map alone */
#define TC_TEXT_PREFIX "TC1:"
#define TC_TEXT_MAX 1280          /* "TC1:" + digits of TC_CERT_MAX_BYTES bytes, rounded up */
#define TC_LINK_MAX 2048          /* a whole link */
#define TC_BASE_URL_MAX 200       /* the verify base URL */
#define TC_NAME_MAX 48            /* holder name, bytes of UTF-8 (16 CJK characters) */
#define TC_SPECIALTY_MAX 60       /* specialty, bytes of UTF-8 (20 CJK characters) */
#define TC_USCC_LEN 18
#define TC_IDNO_LEN 18
#define TC_ID_MASK_LEN 4          /* last 4 characters of the resident ID number */

/* ------------------------------------------------------------------------------------------ */
/* Claims                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* T1: levels, numbered as in data/title_levels.csv. */
enum tc_level {
    TC_LEVEL_ZHENGGAO = 1, /* 正高级 */
    TC_LEVEL_FUGAO = 2,    /* 副高级 */
    TC_LEVEL_ZHONGJI = 3,  /* 中级 */
    TC_LEVEL_ZHULI = 4,    /* 助理级 */
    TC_LEVEL_YUAN = 5,     /* 员级 */
};

/* T2: the two tracks. */
enum tc_track {
    TC_TRACK_BASIC = 1,    /* 基层职称: valid only at basic-level units (S1) */
    TC_TRACK_PROVINCE = 2, /* 全省统一职称: valid at any unit (S4) */
};

/* T3: how the title was obtained. */
enum tc_method {
    TC_METHOD_REVIEW = 1,      /* 评审 */
    TC_METHOD_ASSESSMENT = 2,  /* 考核认定 */
    TC_METHOD_EXAM = 3,        /* 以考代评 / 考评结合 */
    TC_METHOD_EXCEPTIONAL = 4, /* 破格 */
    TC_METHOD_DIRECT = 5,      /* 直接认定 */
    TC_METHOD_CONVERSION = 6,  /* 换发: basic-level title exchanged under C1 */
    TC_METHOD_REEVALUATION = 7,/* 转评: re-evaluated to the same-level general title on leaving
                                  basic level (C5, CQ §4(十二)); names its predecessor as 换发 does */
};

/* S3: administrative tiers. A scope's tier is the highest tier at which the certificate is
 * valid: TC_TIER_COUNTY admits county and township units, TC_TIER_TOWNSHIP township units only.
 * TC_TIER_BASIC, in a scope only, admits exactly the units the province's profile calls
 * basic-level (GS §3(二) 全省基层范围有效: county level and below, and the 临夏/甘南 prefecture
 * units), whatever their tier. */
enum tc_tier {
    TC_TIER_PROVINCE = 1,
    TC_TIER_PREFECTURE = 2,
    TC_TIER_COUNTY = 3,
    TC_TIER_TOWNSHIP = 4,
    TC_TIER_BASIC = 5,
};

/* S3: where a basic-level certificate is valid. Present on basic-level certificates only.
 * region is a GB/T 2260 division code prefix written with its significant digits only:
 * 62 (甘肃省), 6229 (临夏州), 620102 (城关区). */
struct tc_scope {
    uint32_t region;
    uint8_t tier;               /* enum tc_tier */
    bool has_unit;              /* JL §2.6: one employing unit only */
    char unit[TC_USCC_LEN + 1]; /* that unit's USCC when has_unit */
};

/* C1 conversion-path requirement flags (struct tc_conversion.flags). */
#define TC_CONV_NEEDS_ASSESSMENTS 0x01u /* annual assessments passed (考核合格) */
#define TC_CONV_NEEDS_COMMITTEE 0x02u   /* review by the province's unified committee */
#define TC_CONV_FLAGS_ALL 0x03u

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

/* Signs claims c with secret key sk (libsodium 64-byte form) whose key id is kid, writing the
 * (untagged) COSE_Sign1 bytes into out. Checks c first (tc_claims_check). */
enum tc_err tc_cert_sign(uint8_t *out, size_t cap, size_t *outlen, const struct tc_claims *c,
                         const uint8_t kid[TC_KID_BYTES], const uint8_t sk[TC_SK_BYTES]);

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

/* Builds an untagged COSE_Sign1 over payload with headers {1:-8, 4:kid} / {}. external_aad
 * (RFC 9052 §4.3) separates the kinds of signed object: certificates use none, each key-hierarchy
 * object its own string (TC_AAD_*), so a signature made for one kind never verifies as another. */
enum tc_err tc_cose_sign1_sign(uint8_t *out, size_t cap, size_t *outlen, const uint8_t *payload,
                               size_t payload_len, const char *external_aad,
                               const uint8_t kid[TC_KID_BYTES], const uint8_t sk[TC_SK_BYTES]);

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
void tc_qr_free(struct tc_qr *qr);

/* Writes a 1-bit PNG with `scale` pixels per module and a 4-module quiet zone to path
 * (created 0644, replaced atomically). */
enum tc_err tc_qr_write_png(const struct tc_qr *qr, const char *path, int scale);
/* Writes an SVG with a 4-module quiet zone to path (replaced atomically). */
enum tc_err tc_qr_write_svg(const struct tc_qr *qr, const char *path);
/* Renders the QR with Unicode half blocks and ANSI colours into a malloc'd string. */
char *tc_qr_to_terminal(const struct tc_qr *qr);

/* ------------------------------------------------------------------------------------------ */
/* Codes, text and calendar helpers                                                            */
/* ------------------------------------------------------------------------------------------ */

/* GB 32100-2015: 18 characters from 0-9A-HJ-NP-RTUWXY with a mod-31 check character. */
bool tc_uscc_valid(const char *uscc);
/* Only the alphabet and length, not the check character (early pilot codes fail the check). */
bool tc_uscc_well_formed(const char *uscc);
/* GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character, with a real birth date. */
bool tc_idno_valid(const char *idno);
/* Writes the mask (the last 4 characters) of a valid ID number. */
enum tc_err tc_idno_mask(char mask[TC_ID_MASK_LEN + 1], const char *idno);
/* Renders a mask for display: "**************002X". out needs 19 bytes. */
void tc_idno_mask_display(char out[TC_IDNO_LEN + 1], const char *mask);

/* Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF) without C0/C1 controls,
 * DEL, bidirectional overrides/isolates, or the BOM. */
bool tc_text_safe(const uint8_t *s, size_t len);
/* tc_text_safe and no Unicode default-ignorable code point (zero-width spaces and joiners, soft
 * hyphen, variation selectors, tags ...): what holder names and specialties must be, so that two
 * names that look the same are the same bytes. */
bool tc_text_visible(const uint8_t *s, size_t len);

/* A region prefix (2, 4 or 6 significant digits of a GB/T 2260 code) is well formed. */
bool tc_region_valid(uint32_t region);
/* "62", "6229", "620102" -> 62, 6229, 620102; 0 when not a valid region prefix. */
uint32_t tc_region_parse(const char *s);
/* The 6-digit code of a region prefix (62 -> 620000) and its number of significant digits. */
uint32_t tc_region_code6(uint32_t region);
/* Whether a 6-digit division code lies inside a region prefix. */
bool tc_region_contains(uint32_t region, uint32_t code6);

/* Days since 1970-01-01 for a valid proleptic Gregorian date; false when the date is invalid. */
bool tc_day_index(int32_t *day, int year, int month, int mday);
void tc_day_split(int32_t day, int *year, int *month, int *mday);
/* "YYYY-MM-DD" (exactly) -> day index. */
bool tc_day_parse(int32_t *day, const char *s);
/* day index -> "YYYY-MM-DD"; out needs 11 bytes. */
void tc_day_format(char out[11], int32_t day);
/* The same calendar date `years` years on (29 February -> 1 March when the year has none). */
int32_t tc_day_add_years(int32_t day, int years);
/* The calendar day, in Beijing time (UTC+8), of a Unix time: certificates, terms and revocations
 * are dated the way the documents behind them are. */
int32_t tc_beijing_day(uint64_t unix_time);
/* Month index year*12 + month - 1; "YYYY-MM" parse and format (out needs 8 bytes). */
int32_t tc_month_index(int year, int month);
bool tc_month_parse(int32_t *month, const char *s);
void tc_month_format(char out[8], int32_t month);

/* ------------------------------------------------------------------------------------------ */
/* T1: series x level -> title (data/title_levels.csv, compiled in)                            */
/* ------------------------------------------------------------------------------------------ */
struct tc_title {
    uint16_t series;       /* stable numeric series id (data/series_ids.csv) */
    const char *series_code;  /* e.g. "WS-YL" */
    const char *series_name;  /* e.g. "卫生(医疗)" */
    uint8_t level;
    uint8_t variant;
    const char *level_name;   /* e.g. "副高级" */
    const char *title;        /* e.g. "副主任医师" */
};
/* The title for (series, level, variant), or NULL when the table has none. */
const struct tc_title *tc_title_lookup(uint16_t series, uint8_t level, uint8_t variant);
/* The series id for a series code ("WS-YL"), or 0 when unknown. */
uint16_t tc_series_id(const char *series_code);
/* The whole table, for listings and the status bundle. */
const struct tc_title *tc_title_table(size_t *count);

/* Names for display. */
const char *tc_level_name_zh(uint8_t level);
const char *tc_track_name_zh(uint8_t track);
const char *tc_track_name_en(uint8_t track);
const char *tc_method_name_zh(uint8_t method);
const char *tc_tier_name_zh(uint8_t tier);

/* ------------------------------------------------------------------------------------------ */
/* Province policy profiles (data/profiles/XX.json): S2, S3, C1, C2, D2, A1 as data            */
/* ------------------------------------------------------------------------------------------ */
#define TC_PROFILE_MAX_BYTES (64u << 10)
#define TC_PROFILE_MAX_REGIONS 64
#define TC_PROFILE_MAX_ALSO 8

struct tc_profile_extra {
    uint32_t region; /* region prefix */
    uint8_t max_tier;
};

struct tc_profile {
    char code[8];             /* "GS" */
    int version;
    uint32_t province;        /* 2-digit region prefix, e.g. 62 */
    char name[64];
    char name_en[64];         /* English name ("Gansu Province"); optional, default the code */
    bool directory_rule;      /* S2: only units flagged in the directory are basic-level (SD) */
    uint8_t max_tier;         /* S2 tier rule: units at this tier and below ... */
    uint32_t regions[TC_PROFILE_MAX_REGIONS]; /* ... inside these region prefixes */
    size_t nregions;
    struct tc_profile_extra also[TC_PROFILE_MAX_ALSO]; /* plus these (GS: 甘南, 临夏 prefecture units) */
    size_t nalso;
    uint8_t default_tier;     /* S3: default scope of a basic-level certificate */
    bool default_region_county; /* default scope region: the employer's county, else the province */
    uint16_t conv_months;     /* C1: cumulative months at basic-level units */
    uint16_t ce_hours;        /* C2: continuing-education hours per year */
    uint8_t conv_flags;       /* C1: TC_CONV_* requirements */
    int exclusivity_years;    /* D2 */
    int max_key_term_years;   /* A1 */
    uint32_t status_max_age;  /* seconds a status bundle stays fresh (status_max_age_days, default 7) */
    bool basic_title_achievement; /* C5: a basic-level title counts as one quantified achievement
                                     of a province-wide application (GS §3(二)) */
    int commitment_years;     /* C6: years a holder who obtained a basic-level title at a township
                                 unit must serve there (SD §5(二): 5); 0 when the province has none */
};

/* Parses and validates a profile; on failure *why names the member at fault. */
enum tc_err tc_profile_parse(struct tc_profile *p, const char *json, size_t len, const char **why);

/* S2: whether a unit is basic-level under the profile. code6 is the unit's county-level (or
 * prefecture/province) GB/T 2260 code, tier its tier, flag the directory's explicit basic-level
 * flag (-1 when the directory says nothing). The directory flag, when given, decides. */
bool tc_profile_unit_basic(const struct tc_profile *p, uint32_t code6, uint8_t tier, int flag);

/* S1-S3: whether a basic-level scope admits a unit (division code, tier, directory flag, USCC)
 * under the profile. Returns 0 when it does, else the TC_SCOPE_* conditions it fails. The issuer
 * (for the employer, on the day obtained) and the verifier (for the unit asked about) both ask
 * this one function. */
#define TC_SCOPE_NOT_BASIC 0x01u    /* S1/S2: not a basic-level unit under the profile */
#define TC_SCOPE_OUTSIDE 0x02u      /* S3: outside the scope's region */
#define TC_SCOPE_TIER 0x04u         /* S3: above the scope's tier */
#define TC_SCOPE_NOT_EMPLOYER 0x08u /* S3: a single-unit scope, another unit */
unsigned tc_scope_check(const struct tc_profile *p, const struct tc_scope *s, uint32_t division,
                        uint8_t tier, int flag, const char *uscc);

/* S3 in words, one wording everywhere (page, verifier JSON, issuer show, PDF): zh
 * "限甘肃省基层单位使用", "限甘肃省行政区划6229县级及以下基层单位使用", en "basic-level units of Gansu
 * only", ... province_zh/en name the province (NULL: the region code is used). */
void tc_scope_words(const struct tc_scope *s, const char *province_zh, const char *province_en,
                    char *zh, size_t zh_size, char *en, size_t en_size);

/* ------------------------------------------------------------------------------------------ */
/* Command-line programs                                                                       */
/* ------------------------------------------------------------------------------------------ */
#define TC_EXIT_OK 0
#define TC_EXIT_NOT_VALID 1 /* a verification failed or a rule refused */
#define TC_EXIT_USAGE 2     /* usage or I/O error */

struct tc_cli_command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *description;
};
/* Initialises libsodium, then runs the command named by argv[1] or prints usage (--help). */
int tc_cli_dispatch(const char *prog, const char *about, const struct tc_cli_command *cmds,
                    size_t n, int argc, char **argv);
/* "prog: what: why" on stderr; returns TC_EXIT_USAGE. */
int tc_cli_fail(const char *prog, const char *what, enum tc_err e);
/* "prog cmd: msg" and a --help hint on stderr; returns TC_EXIT_USAGE. */
int tc_cli_usage_error(const char *prog, const char *cmd, const char *msg);

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
