/*
 * keys.h - the key hierarchy (rule A1).
 *
 * A root key (the provincial HR department) endorses issuer keys (committees, HR offices): an
 * endorsement signs the issuer's public key, key id and name, a validity window of at most three
 * years and an authorised scope (tracks, series, levels, region prefix). The root also signs key
 * revocations and a trust list: every current endorsement, the revocations with their dates, a
 * version and an issued-at time. Verifiers pin the root public key and accept a certificate only
 * when its signing key is endorsed in the trust list, inside its term and scope, and not revoked.
 *
 * Every signed object is a COSE_Sign1 in cert/'s profile with its own external_aad, so a
 * signature for one kind of object never verifies as another.
 *
 * The module is built as three libraries. The public half (trust.c: endorsements, revocations,
 * trust lists, public-key files; signer.c: the signer handle, through which everything is
 * signed, and what the key hierarchy signs with one) is what verifiers link. The secret half
 * (secret.c: encrypted secret-key files, passphrases, the file backend of the signer handle) and
 * the token backend (pkcs11.c: keys on PKCS#11 tokens) are linked only by the programs that open
 * keys, so the verifier binary contains no code that can read a secret key or use a token.
 *
 * Secret-key files: Argon2id (crypto_pwhash) derives a key from the passphrase that seals the
 * secret with XChaCha20-Poly1305; the header (kind, name, public key, KDF parameters) is the
 * associated data, so altering any of it is detected like a wrong passphrase. Files are created
 * O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600 and refused when group or others can access them.
 * Secrets live only in sodium_malloc'd memory and are zeroed on every path.
 */
#ifndef TC_KEYS_H
#define TC_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"

#define TC_AAD_ENDORSEMENT "titlecert/endorsement/v1"
#define TC_AAD_REVOCATION "titlecert/revocation/v1"
#define TC_AAD_TRUST_LIST "titlecert/trust-list/v1"

#define TC_KEY_NAME_MAX 96             /* bytes of UTF-8 (32 CJK characters) */
#define TC_KEY_TERM_MAX_DAYS 1096      /* A1: committees are approved for 3 years (SX §3(二)) */
#define TC_KEYFILE_MAX_BYTES 1024
#define TC_PUBFILE_MAX_BYTES 1024
#define TC_ENDORSEMENT_MAX_BYTES 1024
#define TC_REVOCATION_MAX_BYTES 1024
#define TC_TRUST_LIST_MAX_BYTES (1u << 20)
#define TC_TRUST_MAX_ENDORSEMENTS 2048
#define TC_TRUST_MAX_REVOCATIONS 2048
#define TC_AUTHZ_MAX_SERIES 32
#define TC_REASON_MAX 240              /* revocation reason, bytes of UTF-8 */
#define TC_PASSPHRASE_MIN 8
#define TC_PASSPHRASE_MAX 1024

enum tc_key_kind {
    TC_KEY_ROOT = 1,   /* provincial HR department: endorses and revokes issuer keys */
    TC_KEY_ISSUER = 2, /* committee / HR office: signs certificates */
    TC_KEY_HASH = 3,   /* a 32-byte secret for keyed hashing of ID numbers (issuer store) */
};

/* Argon2id cost when creating a file; opening uses the parameters stored in the file. */
enum tc_kdf_level {
    TC_KDF_INTERACTIVE = 1, /* 64 MiB: tests and demos */
    TC_KDF_MODERATE = 2,    /* 256 MiB: the default */
    TC_KDF_SENSITIVE = 3,   /* 1 GiB: root keys on an offline machine */
};

const char *tc_key_kind_name(uint8_t kind);

/* ------------------------------------------------------------------------------------------ */
/* Public half (linked by verifiers)                                                           */
/* ------------------------------------------------------------------------------------------ */

struct tc_pubkey {
    uint8_t kind;
    char name[TC_KEY_NAME_MAX + 1];
    uint8_t pk[TC_PK_BYTES];
    uint8_t kid[TC_KID_BYTES];
};

/* Public-key files: CBOR ["titlecert-pubkey", 1, kind, name, pk], created 0644, never replaced. */
enum tc_err tc_keys_pub_write(const char *path, const struct tc_pubkey *pub);
enum tc_err tc_keys_pub_read(const char *path, struct tc_pubkey *pub);
enum tc_err tc_keys_pub_decode(const uint8_t *in, size_t len, struct tc_pubkey *pub);

/* Bits of struct tc_authz.tracks and .levels. */
#define TC_AUTHZ_TRACK(t) (1u << (t))   /* t: enum tc_track */
#define TC_AUTHZ_LEVEL(l) (1u << (l))   /* l: enum tc_level */
#define TC_AUTHZ_STATUS (1u << 3)       /* in .tracks: may sign status bundles */
#define TC_AUTHZ_REGISTER (1u << 4)     /* in .tracks: may sign register checkpoints (A3) */

/* A1: what an endorsed key may sign. nseries == 0 means every series. */
struct tc_authz {
    uint8_t tracks;
    uint8_t levels;
    uint16_t series[TC_AUTHZ_MAX_SERIES];
    size_t nseries;
    uint32_t region; /* region prefix as in struct tc_scope */
};

struct tc_endorsement {
    uint8_t pk[TC_PK_BYTES];
    uint8_t kid[TC_KID_BYTES];
    char name[TC_KEY_NAME_MAX + 1];
    int32_t not_before; /* first valid day (day index) */
    int32_t not_after;  /* last valid day, inclusive; at most TC_KEY_TERM_MAX_DAYS after */
    struct tc_authz authz;
    uint64_t endorsed_at; /* seconds since the epoch */
    uint8_t root_kid[TC_KID_BYTES];
};

struct tc_revocation {
    uint8_t kid[TC_KID_BYTES];
    int32_t day; /* certificates issued on or after this day by the key are rejected */
    char reason[TC_REASON_MAX + 1];
    uint64_t revoked_at;
};

/* Checks an endorsement's own rules (A1): term within 3 years, scope well formed. */
enum tc_err tc_keys_endorsement_check(const struct tc_endorsement *e);

/* Parses and verifies a root-signed endorsement or revocation. */
enum tc_err tc_keys_endorsement_parse(const uint8_t *in, size_t len,
                                      const uint8_t root_pk[TC_PK_BYTES],
                                      struct tc_endorsement *out);
enum tc_err tc_keys_revocation_parse(const uint8_t *in, size_t len,
                                     const uint8_t root_pk[TC_PK_BYTES], struct tc_revocation *out);

/* A parsed, verified trust list. The endorsement bytes are kept so the list can be re-signed or
 * embedded unchanged. */
struct tc_trust_list {
    uint64_t version;
    uint64_t issued_at;
    uint8_t root_kid[TC_KID_BYTES];
    struct tc_endorsement *endorsements;
    size_t n_endorsements;
    struct tc_revocation *revocations;
    size_t n_revocations;
};

/* Parses and verifies a trust list signed by root_pk: the list's signature, every endorsement's
 * signature, unique key ids, and well-formed revocations. */
enum tc_err tc_trust_list_parse(const uint8_t *in, size_t len, const uint8_t root_pk[TC_PK_BYTES],
                                struct tc_trust_list **out);
void tc_trust_list_free(struct tc_trust_list *tl);

/* Reads the root's public-key file and the trust list file, and parses the list against that
 * root. raw (may be NULL) receives the list's bytes (malloc'd). On failure *which names the file
 * that is wrong. */
enum tc_err tc_trust_list_load(const char *root_pub, const char *path, struct tc_trust_list **tl,
                               uint8_t **raw, size_t *raw_len, const char **which);

const struct tc_endorsement *tc_trust_find(const struct tc_trust_list *tl,
                                           const uint8_t kid[TC_KID_BYTES]);
const struct tc_revocation *tc_trust_find_revocation(const struct tc_trust_list *tl,
                                                     const uint8_t kid[TC_KID_BYTES]);

/* A1/A2 for one certificate: the signing key is endorsed (TC_ERR_UNKNOWN_KEY_ID), the signature
 * verifies (TC_ERR_BAD_SIGNATURE), the certificate was issued inside the key's term
 * (TC_ERR_KEY_OUT_OF_TERM) and before any revocation of the key (TC_ERR_KEY_REVOKED), and the
 * key's authorised scope covers its track, series, level and region (TC_ERR_NOT_AUTHORISED).
 * *which receives the endorsement when the key was found. */
enum tc_err tc_trust_check_cert(const struct tc_trust_list *tl, const struct tc_cert *cert,
                                const struct tc_endorsement **which);

/* Whether an authorised scope covers a certificate's claims (A1), without the signature. */
bool tc_authz_covers(const struct tc_authz *a, const struct tc_claims *c);

/* ------------------------------------------------------------------------------------------ */
/* The signer handle (signer.c): the only way anything is signed                               */
/* ------------------------------------------------------------------------------------------ */

/* What holds a secret: an encrypted key file (secret.c), a PKCS#11 token (pkcs11.c).
 * sign() writes a signature of the handle's algorithm over msg; close() releases and wipes
 * whatever the backend holds. */
struct tc_signer_backend {
    const char *name;
    enum tc_err (*sign)(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                        size_t *sig_len);
    void (*close)(void *ctx);
};
struct tc_signer;
/* Wraps a backend's ctx (the handle owns it: tc_signer_close calls backend->close). pub is the
 * key's public half, kind and name; alg a row of cert/'s table. */
enum tc_err tc_signer_new(struct tc_signer **out, const struct tc_signer_backend *b, void *ctx,
                          enum tc_alg alg, const struct tc_pubkey *pub);
/* Closes the backend (its secret is wiped) and frees the handle. NULL is allowed. */
void tc_signer_close(struct tc_signer *s);
const struct tc_pubkey *tc_signer_pub(const struct tc_signer *s);
enum tc_alg tc_signer_alg(const struct tc_signer *s);
const char *tc_signer_backend_name(const struct tc_signer *s); /* "file", "pkcs11" */
/* A raw signature over msg (signed notes: the register's checkpoints). */
enum tc_err tc_signer_sign(struct tc_signer *s, const uint8_t *msg, size_t len, uint8_t *sig,
                           size_t cap, size_t *sig_len);
/* A profile COSE_Sign1 (cert/) over payload with external AAD aad (NULL for certificates),
 * into out; the _alloc form returns a malloc'd buffer. */
enum tc_err tc_signer_cose_sign1(struct tc_signer *s, const char *aad, const uint8_t *payload,
                                 size_t len, uint8_t *out, size_t cap, size_t *outlen);
enum tc_err tc_signer_cose_sign1_alloc(struct tc_signer *s, const char *aad,
                                       const uint8_t *payload, size_t len, uint8_t **out,
                                       size_t *outlen);

/* What the key hierarchy signs. The root's objects need a handle of kind TC_KEY_ROOT, a
 * certificate one of kind TC_KEY_ISSUER (TC_ERR_ARG otherwise); out is malloc'd. */
enum tc_err tc_keys_endorse(uint8_t **out, size_t *len, const struct tc_endorsement *e,
                            struct tc_signer *root);
enum tc_err tc_keys_revoke(uint8_t **out, size_t *len, const struct tc_revocation *r,
                           struct tc_signer *root);
/* Builds a trust list from signed endorsements (each verified against the root first) and
 * revocations; the list is read back before it is returned. */
enum tc_err tc_keys_trust_list_build(uint8_t **out, size_t *len, uint64_t version,
                                     uint64_t issued_at, const uint8_t *const *endorsements,
                                     const size_t *endorsement_lens, size_t n_endorsements,
                                     const struct tc_revocation *revocations,
                                     size_t n_revocations, struct tc_signer *root);
enum tc_err tc_keys_sign_cert(uint8_t *out, size_t cap, size_t *len, const struct tc_claims *c,
                              struct tc_signer *issuer);

/* ------------------------------------------------------------------------------------------ */
/* Secret half (titlecert-keys and titlecert-issuer only)                                      */
/* ------------------------------------------------------------------------------------------ */

/* An unlocked secret key in sodium_malloc'd memory. Signing keys are used through a signer
 * handle (tc_keys_signer_open); a hash key (TC_KEY_HASH) only yields derived subkeys. */
struct tc_secret;

/* Generates a key of the given kind and writes it encrypted under passphrase to path (0600,
 * never over an existing file). For signing kinds *pub receives the public key (the caller
 * writes the .pub file). */
enum tc_err tc_keys_secret_create(const char *path, enum tc_key_kind kind, const char *name,
                                  enum tc_kdf_level kdf, const char *pass, size_t pass_len,
                                  struct tc_pubkey *pub);

/* Opens and decrypts a secret-key file. TC_ERR_PERMS when group/others can access it,
 * TC_ERR_KEYFILE when it is not one or truncated, TC_ERR_PASSPHRASE when the passphrase is wrong
 * or the file was altered. */
enum tc_err tc_keys_secret_open(struct tc_secret **out, const char *path, const char *pass,
                                size_t pass_len);
/* Zeroes and frees. NULL is allowed. */
void tc_keys_secret_close(struct tc_secret *s);
/* Makes the key memory read-only (sodium_mprotect_readonly) while it is in use. */
enum tc_err tc_keys_secret_lock(struct tc_secret *s);
uint8_t tc_keys_secret_kind(const struct tc_secret *s);
const struct tc_pubkey *tc_keys_secret_pub(const struct tc_secret *s);
/* A subkey of a hash key (crypto_kdf_derive_from_key: subkey number, 8-character context); the
 * hash key's own bytes never leave this module. TC_ERR_ARG for another kind of key. */
enum tc_err tc_keys_secret_derive(const struct tc_secret *s, uint64_t subkey, const char ctx[8],
                                  uint8_t *out, size_t len);

/* Opens a signing key file as a signer handle (the file backend): the key is decrypted into
 * sodium_malloc'd memory, read-only while the handle lives and wiped by tc_signer_close. want:
 * the kind required (TC_KEY_ROOT, TC_KEY_ISSUER), 0 for either; TC_ERR_ARG for another kind or a
 * hash key. Errors as tc_keys_secret_open. */
enum tc_err tc_keys_signer_open(struct tc_signer **out, const char *path, const char *pass,
                                size_t pass_len, enum tc_key_kind want);

/* What a secret-key file says about itself without a passphrase. */
struct tc_keyfile_info {
    uint8_t kind;
    char name[TC_KEY_NAME_MAX + 1];
    struct tc_pubkey pub;
    unsigned long long opslimit;
    size_t memlimit;
};
enum tc_err tc_keys_secret_info(const char *path, struct tc_keyfile_info *info);

/* Obtains a passphrase: from the environment variable env_name when set, else from file (first
 * line), else from a no-echo prompt on the terminal (asked twice when confirm). The result is in
 * sodium_malloc'd memory; release it with tc_keys_passphrase_free. On failure *why (static text)
 * says what went wrong. */
enum tc_err tc_keys_passphrase(char **pass, size_t *len, const char *env_name, const char *file,
                               const char *prompt, bool confirm, const char **why);
void tc_keys_passphrase_free(char *pass, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* PKCS#11 tokens (pkcs11.c, its own library: never linked by verifiers)                       */
/* ------------------------------------------------------------------------------------------ */

/* An Ed25519 key on a PKCS#11 token as a signer handle (backend "pkcs11"): every caller of the
 * handle (certificates, trust lists, bundles, checkpoints) signs with it unchanged. The module
 * (the HSM vendor's .so; SoftHSM2 in tests) is loaded with dlopen from the path given, so the
 * program uses exactly the module the custodian names. titlecert never generates token keys:
 * departments make them with their HSM's tools, and titlecert-keys token-pub exports the public
 * half as a public-key file for the root to endorse.
 *
 * Only Ed25519: the private key must be CKK_EC_EDWARDS, its public key's CKA_EC_PARAMS must name
 * edwards25519 (tc_keys_pkcs11_ec_params), and signatures are CKM_EDDSA without parameters
 * (pure Ed25519, RFC 8032, 64 bytes). Every signature the token returns is verified against the
 * public key before it is handed out, and opening signs a self-test message first, so a module
 * that answers with another key or with garbage is refused rather than trusted.
 *
 * The module runs inside this process and a software token (SoftHSM2) decrypts its keys in this
 * process's memory, which titlecert cannot wipe; opening therefore turns core dumps off for the
 * process (RLIMIT_CORE 0, PR_SET_DUMPABLE 0) for good. The PIN is copied into sodium_malloc'd
 * (locked, guarded) memory only for C_Login and wiped after it. */
#define TC_PKCS11_TOKEN_LABEL_MAX 32 /* CK_TOKEN_INFO.label: 32 bytes, blank padded */
#define TC_PKCS11_KEY_LABEL_MAX 128  /* bytes of a key's CKA_LABEL given to find it */
#define TC_PKCS11_ID_MAX 64          /* bytes of a key's CKA_ID */
#define TC_PKCS11_PIN_MAX 256        /* bytes of a user PIN */
#define TC_PKCS11_SLOTS_MAX 64       /* slots with a token searched for a label */
#define TC_PKCS11_MODULES_MAX 4      /* distinct modules loaded at once in one process */
#define TC_PKCS11_LOGINS_MAX 8       /* tokens of one module logged in at once */
#define TC_PKCS11_EC_ATTR_MAX 64     /* bytes of CKA_EC_POINT or CKA_EC_PARAMS accepted */
#define TC_PKCS11_DETAIL_MAX 200     /* bytes of struct tc_pkcs11_diag.detail */

/* Which key: a token found by label (or, with token NULL, the slot id) in the module, and on it
 * the private key with this CKA_LABEL and/or CKA_ID (at least one; both must match when both
 * are given). kind and name are what the handle signs as (struct tc_pubkey): TC_KEY_ISSUER or
 * TC_KEY_ROOT, and the holder's name, as in a key file. */
struct tc_pkcs11_key {
    const char *module;    /* path of the PKCS#11 module (.so) */
    const char *token;     /* token label, at most TC_PKCS11_TOKEN_LABEL_MAX bytes; or NULL */
    unsigned long slot;    /* CK_SLOT_ID, used when token is NULL */
    const char *key_label; /* the private key's CKA_LABEL, or NULL */
    const uint8_t *id;     /* the private key's CKA_ID (id_len bytes), or NULL */
    size_t id_len;
    uint8_t kind;          /* enum tc_key_kind: TC_KEY_ISSUER or TC_KEY_ROOT */
    const char *name;      /* 1..TC_KEY_NAME_MAX bytes of printable UTF-8 */
};

/* What went wrong below an error code, for the program to print (library code prints nothing).
 * call is the PKCS#11 function that failed ("C_Login") and rv its return value, or call is NULL;
 * detail is a sentence (dlerror's text, which token or key was not found, why a key is not
 * Ed25519), or empty. Never holds a PIN. */
struct tc_pkcs11_diag {
    const char *call;
    unsigned long rv;
    char detail[TC_PKCS11_DETAIL_MAX];
};

/* Opens the key as a signer handle: loads the module (dlopen RTLD_NOW|RTLD_LOCAL,
 * C_GetFunctionList, C_Initialize with CKF_OS_LOCKING_OK; a module already loaded by another
 * handle is shared), finds the token, opens a read-only session, logs in as the user with pin,
 * finds the private key and its public key (same CKA_ID, or the same CKA_LABEL when the key has
 * no id), checks both are Ed25519, and signs and verifies a self-test message. The handle owns
 * the session: tc_signer_close logs out (when it is the last handle logged in to that token),
 * closes the session, and finalises and unloads the module when it is the last handle using it.
 *
 * Errors: TC_ERR_ARG for a missing or oversized field, an empty PIN, or a label or id that
 * matches more than one token or key; TC_ERR_IO when the module does not load or is not a
 * PKCS#11 module, or the token fails; TC_ERR_NOT_FOUND for a token, private key or public key
 * that is not there; TC_ERR_PASSPHRASE for a wrong PIN (CKR_PIN_INCORRECT and its kin);
 * TC_ERR_KEYFILE for a key that is not Ed25519; TC_ERR_BAD_SIGNATURE when the self-test
 * signature does not verify; TC_ERR_BUSY when more than TC_PKCS11_MODULES_MAX modules or
 * TC_PKCS11_LOGINS_MAX tokens of one module are open. A second handle on a token this process
 * is already logged in to must present the same PIN (TC_ERR_PASSPHRASE otherwise), since the
 * token itself no longer checks it. diag (may be NULL) says more. The handle's sign() may be
 * called from several threads: calls are serialised. A handle does not survive fork(). */
enum tc_err tc_keys_pkcs11_open(struct tc_signer **out, struct tc_pkcs11_diag *diag,
                                const struct tc_pkcs11_key *where, const char *pin,
                                size_t pin_len);

/* The diagnostic of the last failed signature of a "pkcs11" handle (errors as above, plus
 * TC_ERR_BAD_SIGNATURE for a signature that does not verify, which is wiped), or NULL for a
 * handle of another backend. Valid until the next signature or tc_signer_close. */
const struct tc_pkcs11_diag *tc_keys_pkcs11_last(const struct tc_signer *s);

/* The symbolic name of a CK_RV, e.g. "CKR_PIN_INCORRECT"; "CKR_VENDOR_DEFINED" or "CKR_UNKNOWN"
 * for one this table does not list. Never NULL. */
const char *tc_keys_pkcs11_rv_name(unsigned long rv);

/* One line saying why for a program's error message: diag's detail (or tc_strerror(e), or
 * "wrong PIN" for TC_ERR_PASSPHRASE), then "(C_Login: CKR_PIN_INCORRECT)" when a call failed.
 * Truncated to cap bytes, always terminated. */
void tc_keys_pkcs11_why(char *out, size_t cap, enum tc_err e, const struct tc_pkcs11_diag *diag);

/* The key with the user PIN a program's options name (pin.c): from the environment variable
 * pin_env when set, else the file pin_file, else a no-echo prompt "User PIN for token LABEL: "
 * (where->token must be set); then tc_keys_pkcs11_open, and the PIN wiped. On failure why (cap
 * bytes) says what failed for the program's error line: "PIN: ..." or "token LABEL: ..." (the
 * latter as tc_keys_pkcs11_why). Needs the secret-key library for the passphrase. */
enum tc_err tc_keys_pkcs11_open_pin(struct tc_signer **out, const struct tc_pkcs11_key *where,
                                    const char *pin_env, const char *pin_file, char *why,
                                    size_t cap);

/* The public key from a token's CKA_EC_POINT for an Ed25519 key: the DER OCTET STRING holding
 * the 32-byte point (PKCS#11 3.0; SoftHSM2 writes 04 20 ...), or the 32 bytes themselves (some
 * modules). TC_ERR_KEYFILE for anything else: another length, a long-form or indefinite length,
 * another type, trailing bytes. */
enum tc_err tc_keys_pkcs11_ec_point(uint8_t pk[TC_PK_BYTES], const uint8_t *in, size_t len);

/* Whether a CKA_EC_PARAMS names edwards25519: the DER OID 1.3.101.112 (RFC 8410 id-Ed25519) or
 * the DER PrintableString "edwards25519" (the PKCS#11 3.0 curve name, what SoftHSM2 writes).
 * TC_OK, or TC_ERR_KEYFILE for anything else (edwards448, Ed448's OID, NIST curves, explicit
 * parameters, non-DER lengths, trailing bytes). */
enum tc_err tc_keys_pkcs11_ec_params(const uint8_t *in, size_t len);

#endif
