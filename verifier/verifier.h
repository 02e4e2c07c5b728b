/*
 * verifier.h - the verification engine: payload -> strict decode -> Ed25519 signature -> issuer
 * key endorsed in the trust list, inside its term at issuance, not revoked -> the key's
 * authorised scope covers the certificate (A1) -> a verdict with reasons.
 *
 * Verdicts and reason codes are the external contract of ../shared/design/ARCHITECTURE.md: a
 * reason has a stable code, the rule it comes from, and a Chinese and an English sentence.
 * Status (revoked, superseded) and the scope at a unit (S1-S3) come with the status bundle.
 *
 * This module links cert/ and the public half of keys/ only: nothing here can open a secret key.
 */
#ifndef TC_VERIFIER_H
#define TC_VERIFIER_H

#include "cert.h"
#include "keys.h"
#include "publication.h"
#include "register.h"

enum tc_verdict_kind {
    TC_VERDICT_VALID = 0,
    TC_VERDICT_NOT_VALID_HERE = 1,
    TC_VERDICT_SUPERSEDED = 2,
    TC_VERDICT_REVOKED = 3,
    TC_VERDICT_INVALID = 4,
};

/* One reason: stable code, rule ID (may be ""), and messages. All static strings. */
struct tc_reason {
    const char *code;
    const char *rule;
    const char *zh;
    const char *en;
};

#define TC_VERDICT_MAX_REASONS 8

struct tc_verdict {
    enum tc_verdict_kind kind;
    struct tc_reason reasons[TC_VERDICT_MAX_REASONS];
    size_t n_reasons;
    enum tc_err err;        /* the underlying error for invalid payloads */
    const char *err_field;  /* the claim or part it concerns, or NULL */
    bool decoded;           /* cert holds the decoded claims */
    struct tc_cert cert;    /* points into the caller's payload buffer */
    const struct tc_endorsement *endorsement; /* the signing key's endorsement, if found */
    /* with a bundle */
    uint64_t successor;        /* superseded: the new certificate */
    const char *successor_status; /* superseded: "in_force", "revoked" or "superseded" (bundle) */
    int32_t status_day;        /* revoked / superseded: since */
    char revoked_reason[16];
    /* valid, basic-level, and no unit checked: the verdict carries the reason
     * scope_not_checked (S1), a basic-level title being valid only at basic-level units */
    bool scope_unchecked;
    bool unit_checked;
    const struct tc_bundle_unit *unit; /* the unit asked about, if known */
    const char *unit_name;
    int32_t at;
    const char *province_name; /* from the bundle's profile, for the scope in words */
    const struct tc_profile *profile; /* the bundle's profile, or NULL without a bundle */
    /* with a bundle: the certificate's entry in the register (A3) */
    bool registered;
    uint64_t reg_entry, reg_size;
    char reg_zh[200], reg_en[240]; /* not_registered: the message, with the register's time */
};

const char *tc_verdict_name(enum tc_verdict_kind k);

/* How far a certificate's own issued_at may lie ahead of the verifier's clock before it is
 * invalid (issued_in_future): clocks of signing machines and verifiers drift by seconds to
 * minutes, never by ten. */
#define TC_CLOCK_SKEW_SECONDS 600u

/* Verifies payload bytes (already taken out of text or link form) against a trust list, at
 * time now (seconds since the epoch). Never fails: every outcome is a verdict. bytes must
 * outlive v. */
void tc_verify_bytes(const struct tc_trust_list *tl, const uint8_t *bytes, size_t len, uint64_t now,
                     struct tc_verdict *v);

/* Verifies a payload text or link. buf (TC_CERT_MAX_BYTES) receives the bytes and must outlive v. */
void tc_verify_text(const struct tc_trust_list *tl, const char *input, size_t len, uint64_t now,
                    uint8_t *buf, struct tc_verdict *v);

/* The verdict as JSON: verdict, reasons, certificate claims, issuer. An invalid verdict carries
 * no claims and no issuer name (only the reasons and the key id the payload names): what failed
 * to verify is not shown as if it were genuine. Caller owns the reference. */
struct json_t *tc_verdict_to_json(const struct tc_verdict *v);

/* Verifies against a bundle: trust, status (A2, C1) and, when unit is given, the scope at that
 * unit on day `at` (S1-S4). `now` is for staleness: past max_age seconds (0: never) the verdict
 * carries status_stale. bytes must outlive v. */
struct tc_verify_opts {
    const char *unit;  /* USCC, or NULL */
    int32_t at;        /* day the unit is asked about */
    uint64_t now;
    uint64_t max_age;
};
void tc_verify_with_bundle(const struct tc_bundle *b, const uint8_t *bytes, size_t len,
                           const struct tc_verify_opts *o, struct tc_verdict *v);
void tc_verify_text_with_bundle(const struct tc_bundle *b, const char *input, size_t len,
                                uint8_t *buf, const struct tc_verify_opts *o, struct tc_verdict *v);

/* ---- what this verifier has accepted, across restarts (state.c) ----------------------------- */
struct tc_state {
    uint64_t bundle_version;     /* the highest bundle version accepted */
    uint64_t trust_list_version; /* the highest trust-list version seen in an accepted bundle */
    /* the register checkpoint accepted (A3): a newer one must be proved consistent with it */
    char origin[TC_REG_ORIGIN_MAX + 1];
    uint64_t register_size;
    uint8_t register_root[TC_REG_HASH];
};
/* The default state directory: $STATE_DIRECTORY (systemd), else /var/lib/titlecert-verifier for
 * root, else $XDG_STATE_HOME or ~/.local/state, /titlecert-verifier. NULL when none applies. */
const char *tc_state_default_dir(char *buf, size_t size);
/* Reads the state for a root key and province from dir (no file: all zero). *err is errno on
 * TC_ERR_IO; TC_ERR_INCONSISTENT for a file that is not a state file. */
enum tc_err tc_state_load(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, struct tc_state *st, int *err);
/* Writes it atomically (temporary file, fsync, rename, directory fsync), mode 0600. */
enum tc_err tc_state_save(const char *dir, const uint8_t root_kid[TC_KID_BYTES],
                          const char *province, const struct tc_state *st, int *err);
/* NULL when bundle b may be accepted after st (and the --min-trust-list floor), else why not. */
const char *tc_state_admits(const struct tc_state *st, const struct tc_bundle *b,
                            uint64_t min_trust_list);
/* NULL when b's register checkpoint may follow the one in st: same origin, not smaller, the same
 * root at the same size, or an RFC 9162 consistency proof from st's size, taken from the bundle
 * or, when tiles is not NULL, computed from the published tiles (and checked against both
 * roots, so tiles need no trust). Else why not, in why (a buffer of size). */
const char *tc_state_admits_register(const struct tc_state *st, const struct tc_bundle *b,
                                     const struct tc_reg_source *tiles, char *why, size_t size);
/* st updated to what b brings (versions and checkpoint). */
void tc_state_advance(struct tc_state *st, const struct tc_bundle *b);

/* The body of POST /api/v1/verify: {"payload": "...", "unit": "USCC", "at": "YYYY-MM-DD"}, unit
 * and at optional, nothing else (a "lang" member is tolerated and ignored). */
#define TC_VERIFY_BODY_MAX (8u << 10)
struct tc_verify_request {
    char payload[TC_LINK_MAX + 1];
    char unit[TC_USCC_LEN + 1]; /* "" when absent */
    bool has_at;
    int32_t at;
};
/* Request inputs, checked the same way on every path (JSON body, query string, command line):
 * a unit code is trimmed (ASCII and full-width spaces) and upper-cased, then must be 18 characters
 * of the USCC alphabet; a day is trimmed and must be YYYY-MM-DD. Each returns NULL when the input
 * is good, else a stable error code ("bad_unit", "bad_date") and *msg a sentence. */
const char *tc_unit_normalise(const char *in, char out[TC_USCC_LEN + 1], const char **msg);
const char *tc_day_input(const char *in, int32_t *day, const char **msg);
/* GB 32100: a unit code whose check character is wrong and which the directory does not hold is a
 * typing error (the directory keeps early pilot codes that fail the check), never a unit a title
 * is not valid at. Returns "unit_code_invalid" (and *msg) or NULL. */
const char *tc_unit_code_check(const struct tc_bundle *b, const char *uscc, const char **msg);

/* Parses a request body strictly (jansson, duplicate keys refused). On failure *code is a stable
 * error code ("bad_json", "bad_request", "bad_unit", "bad_date", "too_large") and *msg a sentence. */
enum tc_err tc_verify_request_parse(const char *body, size_t len, struct tc_verify_request *out,
                                    const char **code, const char **msg);

/* Finds a QR code in a PNG or JPEG image and returns its text (malloc'd) in *text. TC_ERR_TYPE for
 * other formats, TC_ERR_NOT_FOUND when the image holds none; TC_ERR_SIZE_LIMIT over
 * TC_IMAGE_MAX_BYTES, the pixel limit or (JPEG) the scan limit; TC_ERR_TIMEOUT past the
 * deadline. The pixel limit is sized for phone photos of a QR code (12 Mpx is common, 16 Mpx
 * the most a phone writes by default); images over TC_IMAGE_SCAN_PIXELS are scaled down before
 * the QR is looked for (JPEG by libjpeg's DCT scaling, PNG by averaging). */
#define TC_IMAGE_MAX_BYTES (8u << 20)
#define TC_IMAGE_MAX_PIXELS (16u << 20)
#define TC_IMAGE_MAX_SCANS 64 /* a progressive JPEG has about 10 scans */
#define TC_IMAGE_SCAN_PIXELS (4u << 20)
struct tc_image_limits {
    uint64_t max_pixels;  /* default TC_IMAGE_MAX_PIXELS */
    int max_scans;        /* default TC_IMAGE_MAX_SCANS */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC nanoseconds; 0: none */
};
enum tc_err tc_image_decode_qr_limited(const uint8_t *img, size_t len,
                                       const struct tc_image_limits *lim, char **text);
enum tc_err tc_image_decode_qr(const uint8_t *img, size_t len, char **text);
/* CLOCK_MONOTONIC now, in nanoseconds */
uint64_t tc_monotonic_ns(void);

#endif
