/*
 * verifier.h - the verification engine: payload -> strict decode -> Ed25519 signature -> issuer
 * key endorsed in the trust list, inside its term at issuance, not revoked -> the key's
 * authorised scope covers the certificate (A1) -> a verdict with reasons.
 *
 * Verdicts and reason codes are the external contract of ../shared/design/ARCHITECTURE.md: a
 * reason has a stable code, the rule it comes from, and a Chinese and an English sentence.
 * Status (revoked, superseded) and the scope at a unit (S1-S3) come with the status bundle.
 *
 * The engine (library tc_verifier, engine.c) does no I/O: it judges the bytes, trust list and
 * bundle it is handed. The service around it (HTTP, following a publication, image decoding, the
 * bundle in use and the state kept across restarts) is service.h. It links cert/, publication/
 * and the public half of keys/ only: nothing here can open a secret key.
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
    /* superseded: the successor's own verdict at the day asked. The successor of a conversion
     * (C1) or a 转评 (C5) is a province-wide title, valid at any unit while in force, so the
     * bundle's status of it is its whole verdict: "valid", "revoked", "superseded", or
     * "unknown" when the bundle does not register it. */
    const char *successor_verdict;
    int32_t successor_since;         /* successor revoked or superseded: since */
    char successor_reason[16];       /* successor revoked: the reason */
    uint64_t successor_successor;    /* successor superseded: its own successor */
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
/* The same members, in the same order and bytes as json_dumpb(tc_verdict_to_json(v),
 * JSON_COMPACT | JSON_PRESERVE_ORDER) writes them between its braces, written by w (jsonw.h)
 * into the object the caller has opened, which the caller may add to and closes: the reply on
 * the request path, without a tree to build, dump and free (verdict_json.c). */
struct tc_jsonw;
void tc_verdict_write_json(struct tc_jsonw *w, const struct tc_verdict *v);

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

#endif
