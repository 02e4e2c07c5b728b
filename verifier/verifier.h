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
};

const char *tc_verdict_name(enum tc_verdict_kind k);

/* Verifies payload bytes (already taken out of text or link form) against a trust list.
 * Never fails: every outcome is a verdict. bytes must outlive v. */
void tc_verify_bytes(const struct tc_trust_list *tl, const uint8_t *bytes, size_t len,
                     struct tc_verdict *v);

/* Verifies a payload text or link. buf (TC_CERT_MAX_BYTES) receives the bytes and must outlive v. */
void tc_verify_text(const struct tc_trust_list *tl, const char *input, size_t len, uint8_t *buf,
                    struct tc_verdict *v);

/* The verdict as JSON: verdict, reasons, certificate claims, issuer. Caller owns the reference. */
struct json_t *tc_verdict_to_json(const struct tc_verdict *v);

/* Finds a QR code in a PNG image and returns its text (malloc'd) in *text. TC_ERR_NOT_FOUND when
 * the image holds none; TC_ERR_SIZE_LIMIT over TC_IMAGE_MAX_BYTES or TC_IMAGE_MAX_PIXELS. */
#define TC_IMAGE_MAX_BYTES (8u << 20)
#define TC_IMAGE_MAX_PIXELS (24u << 20)
enum tc_err tc_image_decode_qr(const uint8_t *img, size_t len, char **text);

#endif
