/*
 * test_keys_pkcs11.c - the PKCS#11 backend of the signer handle.
 *
 * First the two attribute parsers, with tables of good and malformed DER and truncation ladders
 * (CKA_EC_POINT, CKA_EC_PARAMS). Then a SoftHSM2 token this program makes itself, through the
 * module (C_InitToken, C_InitPIN, C_GenerateKeyPair), with keys a department's tools could make
 * and some they should not: Ed25519 with the curve named by PrintableString and by OID, Ed448,
 * P-256, a private key without its public key, two keys under one label. Arguments: the
 * SoftHSM2 module and the corrupting module (tests/p11_corrupt.c).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <p11-kit/pkcs11.h>

#include "keys.h"
#include "scratch.h"
#include "tap.h"

#define PIN "4711-0815-pin"
#define SO_PIN "so-pin-1234"
#define TOKEN "tc-unit"

static const char *module, *corrupt;

/* ---- attribute parsers -------------------------------------------------------------------- */

struct vec {
    const char *what;
    uint8_t bytes[48];
    size_t len;
    enum tc_err want;
};

/* The byte tables read best as written. */
/* clang-format off */
#define PT32 0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d, 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, \
             0x0d, 0x73, 0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6, 0x3a, 0xc0, 0x48, 0xa1, \
             0x8b, 0x59, 0xda, 0x29

static const uint8_t point[TC_PK_BYTES] = {PT32};

static const struct vec ec_points[] = {
    {"DER OCTET STRING of 32 bytes (PKCS#11 3.0, SoftHSM2)", {0x04, 0x20, PT32}, 34, TC_OK},
    {"the bare 32 bytes (some modules)", {PT32}, 32, TC_OK},
    {"long-form length 81 20 (not DER)", {0x04, 0x81, 0x20, PT32}, 35, TC_ERR_KEYFILE},
    {"indefinite length", {0x04, 0x80, PT32, 0x00, 0x00}, 36, TC_ERR_KEYFILE},
    {"a BIT STRING", {0x03, 0x21, 0x00, PT32}, 35, TC_ERR_KEYFILE},
    {"a trailing byte", {0x04, 0x20, PT32, 0x00}, 35, TC_ERR_KEYFILE},
    {"length 33 for 32 bytes", {0x04, 0x21, PT32}, 34, TC_ERR_KEYFILE},
    {"length 31 and 32 bytes", {0x04, 0x1f, PT32}, 34, TC_ERR_KEYFILE},
    {"33 bare bytes", {PT32, 0x00}, 33, TC_ERR_KEYFILE},
    {"31 bare bytes", {PT32}, 31, TC_ERR_KEYFILE},
    {"an uncompressed NIST point's prefix", {0x04, 0x41, 0x04, PT32}, 35, TC_ERR_KEYFILE},
    {"empty", {0}, 0, TC_ERR_KEYFILE},
};

static const struct vec ec_params[] = {
    {"OID 1.3.101.112 (id-Ed25519)", {0x06, 0x03, 0x2b, 0x65, 0x70}, 5, TC_OK},
    {"PrintableString edwards25519 (SoftHSM2)",
     {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'}, 14, TC_OK},
    {"OID 1.3.101.113 (id-Ed448)", {0x06, 0x03, 0x2b, 0x65, 0x71}, 5, TC_ERR_KEYFILE},
    {"OID 1.3.101.110 (X25519)", {0x06, 0x03, 0x2b, 0x65, 0x6e}, 5, TC_ERR_KEYFILE},
    {"PrintableString edwards448",
     {0x13, 0x0a, 'e', 'd', 'w', 'a', 'r', 'd', 's', '4', '4', '8'}, 12, TC_ERR_KEYFILE},
    {"PrintableString curve25519",
     {0x13, 0x0a, 'c', 'u', 'r', 'v', 'e', '2', '5', '5', '1', '9'}, 12, TC_ERR_KEYFILE},
    {"OID 1.2.840.10045.3.1.7 (P-256)",
     {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, 10, TC_ERR_KEYFILE},
    {"GnuPG's Ed25519 OID 1.3.6.1.4.1.11591.15.1",
     {0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01}, 11, TC_ERR_KEYFILE},
    {"UTF8String edwards25519",
     {0x0c, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'}, 14, TC_ERR_KEYFILE},
    {"PrintableString Edwards25519 (case)",
     {0x13, 0x0c, 'E', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'}, 14, TC_ERR_KEYFILE},
    {"long-form length",
     {0x13, 0x81, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'}, 15,
     TC_ERR_KEYFILE},
    {"OID with a trailing byte", {0x06, 0x03, 0x2b, 0x65, 0x70, 0x00}, 6, TC_ERR_KEYFILE},
    {"OID 1.3.101.112.0", {0x06, 0x04, 0x2b, 0x65, 0x70, 0x00}, 6, TC_ERR_KEYFILE},
    {"NULL (implicitlyCA)", {0x05, 0x00}, 2, TC_ERR_KEYFILE},
    {"explicit parameters (a SEQUENCE)", {0x30, 0x03, 0x02, 0x01, 0x01}, 5, TC_ERR_KEYFILE},
    {"empty", {0}, 0, TC_ERR_KEYFILE},
};
/* clang-format on */

static void test_parsers(void)
{
    uint8_t pk[TC_PK_BYTES];
    for (size_t i = 0; i < sizeof ec_points / sizeof ec_points[0]; i++) {
        const struct vec *v = &ec_points[i];
        memset(pk, 0, sizeof pk);
        enum tc_err e = tc_keys_pkcs11_ec_point(pk, v->bytes, v->len);
        is_err(e, v->want, "EC_POINT: %s", v->what);
        if (v->want == TC_OK)
            ok(memcmp(pk, point, sizeof pk) == 0, "EC_POINT: %s: the point", v->what);
    }
    for (size_t i = 0; i < sizeof ec_params / sizeof ec_params[0]; i++)
        is_err(tc_keys_pkcs11_ec_params(ec_params[i].bytes, ec_params[i].len), ec_params[i].want,
               "EC_PARAMS: %s", ec_params[i].what);

    /* truncation ladders: every proper prefix of a good encoding is refused, except that 32
     * bytes of a DER point read as a bare point (which the self-test signature then refuses) */
    int bad = 0, bare = 0;
    for (size_t n = 0; n < ec_points[0].len; n++) {
        enum tc_err e = tc_keys_pkcs11_ec_point(pk, ec_points[0].bytes, n);
        if (n == TC_PK_BYTES)
            bare = e == TC_OK && memcmp(pk, point, sizeof pk) != 0;
        else
            bad += e != TC_ERR_KEYFILE;
    }
    ok(bad == 0, "EC_POINT: every truncation is refused");
    ok(bare, "EC_POINT: 32 bytes of a DER point are a bare point, another one");
    bad = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t n = 0; n < ec_params[k].len; n++)
            bad += tc_keys_pkcs11_ec_params(ec_params[k].bytes, n) != TC_ERR_KEYFILE;
    ok(bad == 0, "EC_PARAMS: every truncation of both encodings is refused");
}

static void test_names(void)
{
    ok(strcmp(tc_keys_pkcs11_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT") == 0,
       "rv name: CKR_PIN_INCORRECT");
    ok(strcmp(tc_keys_pkcs11_rv_name(CKR_VENDOR_DEFINED | 7), "CKR_VENDOR_DEFINED") == 0,
       "rv name: a vendor's code");
    ok(strcmp(tc_keys_pkcs11_rv_name(0x7777), "CKR_UNKNOWN") == 0, "rv name: an unknown code");
    struct tc_pkcs11_diag d = {"C_Login", CKR_PIN_INCORRECT, ""};
    char why[64];
    tc_keys_pkcs11_why(why, sizeof why, TC_ERR_PASSPHRASE, &d);
    ok(strcmp(why, "wrong PIN (C_Login: CKR_PIN_INCORRECT)") == 0, "why: %s", why);
    tc_keys_pkcs11_why(why, 10, TC_ERR_PASSPHRASE, &d);
    ok(strlen(why) == 9, "why: truncated to its buffer");
}

/* ---- a token of our own ------------------------------------------------------------------- */

struct gen {
    const char *label;
    uint8_t id;
    CK_MECHANISM_TYPE mech;
    const uint8_t *params;
    size_t params_len;
};

/* clang-format off */
static const uint8_t p_name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd',
                                 's',  '2',  '5', '5', '1', '9'};
static const uint8_t p_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t p_448[] = {0x13, 0x0a, 'e', 'd', 'w', 'a', 'r', 'd', 's', '4', '4', '8'};
static const uint8_t p_256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
/* clang-format on */

static CK_RV generate(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE h, const struct gen *g,
                      CK_OBJECT_HANDLE *pub)
{
    CK_BBOOL yes = CK_TRUE;
    CK_MECHANISM mech = {g->mech, NULL, 0};
    CK_ATTRIBUTE pt[] = {{CKA_TOKEN, &yes, sizeof yes},
                         {CKA_VERIFY, &yes, sizeof yes},
                         {CKA_EC_PARAMS, (void *)g->params, g->params_len},
                         {CKA_LABEL, (void *)g->label, strlen(g->label)},
                         {CKA_ID, (void *)&g->id, 1}};
    CK_ATTRIBUTE kt[] = {{CKA_TOKEN, &yes, sizeof yes},
                         {CKA_SIGN, &yes, sizeof yes},
                         {CKA_SENSITIVE, &yes, sizeof yes},
                         {CKA_PRIVATE, &yes, sizeof yes},
                         {CKA_LABEL, (void *)g->label, strlen(g->label)},
                         {CKA_ID, (void *)&g->id, 1}};
    CK_OBJECT_HANDLE priv;
    return fl->C_GenerateKeyPair(h, &mech, pt, sizeof pt / sizeof pt[0], kt,
                                 sizeof kt / sizeof kt[0], pub, &priv);
}

/* The first slot without an initialised token, and after C_InitToken the token's (SoftHSM2
 * moves a new token to a slot of its own). */
static CK_RV find_token_slot(CK_FUNCTION_LIST_PTR fl, bool initialised, CK_SLOT_ID *slot)
{
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_TOKEN_INFO info;
    CK_RV rv = fl->C_GetSlotList(CK_TRUE, slots, &n);
    for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
        if (fl->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
            !!(info.flags & CKF_TOKEN_INITIALIZED) == initialised) {
            *slot = slots[i];
            return CKR_OK;
        }
    return rv == CKR_OK ? CKR_TOKEN_NOT_PRESENT : rv;
}

static bool ed448_made;

/* Makes the token and its keys; the module is finalised and unloaded again afterwards, so the
 * backend finds the process as a program would. */
static bool make_token(void)
{
    char conf[600];
    snprintf(conf, sizeof conf,
             "directories.tokendir = %s\nobjectstore.backend = file\n"
             "log.level = ERROR\n",
             scratch_dir);
    write_file("softhsm2.conf", conf);
    setenv("SOFTHSM2_CONF", path_in("softhsm2.conf"), 1);
    void *dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = dl ? (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList") : NULL;
    CK_FUNCTION_LIST_PTR fl = NULL;
    if (!get || get(&fl) != CKR_OK || fl->C_Initialize(NULL) != CKR_OK) {
        printf("# cannot load %s: %s\n", module, dl ? "no function list" : dlerror());
        return false;
    }
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE h;
    CK_UTF8CHAR label[32];
    memset(label, ' ', sizeof label);
    memcpy(label, TOKEN, strlen(TOKEN));
    CK_FLAGS rw = CKF_SERIAL_SESSION | CKF_RW_SESSION;
    CK_RV rv = find_token_slot(fl, false, &slot);
    if (rv == CKR_OK)
        rv = fl->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label);
    if (rv == CKR_OK && (rv = find_token_slot(fl, true, &slot)) == CKR_OK &&
        (rv = fl->C_OpenSession(slot, rw, NULL, NULL, &h)) == CKR_OK &&
        (rv = fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN))) == CKR_OK &&
        (rv = fl->C_InitPIN(h, (CK_UTF8CHAR_PTR)PIN, strlen(PIN))) == CKR_OK &&
        (rv = fl->C_Logout(h)) == CKR_OK)
        rv = fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, strlen(PIN));
    static const struct gen gens[] = {
        {"ed25519-name", 1, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_name, sizeof p_name},
        {"ed25519-oid", 2, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_oid, sizeof p_oid},
        {"p256", 3, CKM_EC_KEY_PAIR_GEN, p_256, sizeof p_256},
        {"no-public", 4, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_name, sizeof p_name},
        {"twice", 5, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_name, sizeof p_name},
        {"twice", 6, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_name, sizeof p_name},
    };
    CK_OBJECT_HANDLE pub;
    for (size_t i = 0; rv == CKR_OK && i < sizeof gens / sizeof gens[0]; i++)
        if ((rv = generate(fl, h, &gens[i], &pub)) == CKR_OK && gens[i].id == 4)
            rv = fl->C_DestroyObject(h, pub);
    static const struct gen ed448 = {"ed448", 7, CKM_EC_EDWARDS_KEY_PAIR_GEN, p_448, sizeof p_448};
    ed448_made = rv == CKR_OK && generate(fl, h, &ed448, &pub) == CKR_OK;
    if (rv != CKR_OK)
        printf("# making the token: %s\n", tc_keys_pkcs11_rv_name(rv));
    fl->C_Finalize(NULL); /* logs out and closes the session */
    dlclose(dl);
    return rv == CKR_OK;
}

static struct tc_pkcs11_key where(const char *key_label)
{
    struct tc_pkcs11_key w = {.module = module,
                              .token = TOKEN,
                              .key_label = key_label,
                              .kind = TC_KEY_ISSUER,
                              .name = "甘肃省卫生高级评委会"};
    return w;
}

static enum tc_err open_key(struct tc_signer **s, struct tc_pkcs11_diag *d, const char *label,
                            const char *pin)
{
    struct tc_pkcs11_key w = where(label);
    return tc_keys_pkcs11_open(s, d, &w, pin, strlen(pin));
}

/* A signature through the handle verifies with libsodium, and a COSE_Sign1 with cert/'s. */
static bool signs(struct tc_signer *s)
{
    static const uint8_t msg[] = "a message";
    uint8_t sig[TC_SIG_MAX_BYTES], *cose = NULL, *payload = NULL;
    size_t n = 0, cose_len = 0, payload_len = 0;
    const uint8_t *pk = tc_signer_pub(s)->pk;
    bool good =
        tc_signer_sign(s, msg, sizeof msg, sig, sizeof sig, &n) == TC_OK && n == TC_SIG_BYTES &&
        crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0 &&
        tc_signer_cose_sign1_alloc(s, TC_AAD_TRUST_LIST, msg, sizeof msg, &cose, &cose_len) ==
            TC_OK &&
        tc_cose_sign1_verify(cose, cose_len, (const uint8_t *)TC_AAD_TRUST_LIST,
                             strlen(TC_AAD_TRUST_LIST), pk, &payload, &payload_len) == TC_OK &&
        payload_len == sizeof msg;
    free(cose);
    free(payload);
    return good;
}

static void *sign_many(void *s)
{
    bool *good = malloc(sizeof *good);
    *good = true;
    for (int i = 0; i < 16 && *good; i++)
        *good = signs(s);
    return good;
}

/* One handle signing from two threads at once: its calls are serialised on the session. */
static bool signs_from_two_threads(struct tc_signer *s)
{
    pthread_t t[2];
    bool all = true;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, sign_many, s) != 0)
            return false;
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        all = all && r && *(bool *)r;
        free(r);
    }
    return all;
}

static void test_token_open(void)
{
    struct tc_signer *a = NULL, *b = NULL;
    struct tc_pkcs11_diag d;
    is_err(open_key(&a, &d, "ed25519-name", PIN), TC_OK, "open a key whose curve is named");
    if (!a)
        return;
    ok(strcmp(tc_signer_backend_name(a), "pkcs11") == 0, "backend pkcs11");
    ok(tc_signer_pub(a)->kind == TC_KEY_ISSUER, "signs as an issuer key");
    ok(strcmp(tc_signer_pub(a)->name, "甘肃省卫生高级评委会") == 0, "under its name");
    uint8_t kid[TC_KID_BYTES];
    tc_kid(kid, tc_signer_pub(a)->pk);
    ok(memcmp(kid, tc_signer_pub(a)->kid, TC_KID_BYTES) == 0, "its key id is its public key's");
    ok(signs(a), "signatures and COSE_Sign1 through the token verify");
    ok(signs_from_two_threads(a), "from two threads at once too");
    struct rlimit core;
    ok(getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur == 0 && core.rlim_max == 0,
       "core dumps are off (RLIMIT_CORE 0)");
    ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "and the process is not dumpable");
    const struct tc_pkcs11_diag *last = tc_keys_pkcs11_last(a);
    ok(last && !last->call && !last->detail[0], "no diagnostic after good signatures");

    is_err(open_key(&b, &d, "ed25519-oid", "not-the-pin"), TC_ERR_PASSPHRASE,
           "a second key on the logged-in token with a wrong PIN is refused");
    ok(!b, "and no handle");
    is_err(open_key(&b, &d, "ed25519-oid", PIN), TC_OK,
           "a second key whose curve is an OID, with the PIN");
    ok(b && memcmp(tc_signer_pub(a)->pk, tc_signer_pub(b)->pk, TC_PK_BYTES) != 0, "is another key");
    tc_signer_close(a);
    ok(b && signs(b), "which signs after the first handle is closed");
    tc_signer_close(b);
    is_err(open_key(&a, &d, "ed25519-name", "not-the-pin"), TC_ERR_PASSPHRASE,
           "after the last handle, a wrong PIN goes to the token");
    ok(d.call && strcmp(d.call, "C_Login") == 0 && d.rv == CKR_PIN_INCORRECT,
       "which answers CKR_PIN_INCORRECT");
}

static void test_token_refusals(void)
{
    struct tc_signer *s = NULL;
    struct tc_pkcs11_diag d;
    is_err(open_key(&s, &d, "p256", PIN), TC_ERR_KEYFILE, "a P-256 key is refused");
    if (ed448_made) {
        is_err(open_key(&s, &d, "ed448", PIN), TC_ERR_KEYFILE,
               "an Ed448 key (also CKK_EC_EDWARDS) is refused");
        ok(strstr(d.detail, "not on edwards25519") != NULL, "by its EC_PARAMS: %s", d.detail);
    } else
        tap_skip("this SoftHSM2 makes no Ed448 keys");
    is_err(open_key(&s, &d, "no-public", PIN), TC_ERR_NOT_FOUND,
           "a private key without its public key is refused");
    is_err(open_key(&s, &d, "twice", PIN), TC_ERR_ARG, "a label on two keys is refused");
    ok(strstr(d.detail, "more than one") != NULL, "saying so: %s", d.detail);
    is_err(open_key(&s, &d, "absent", PIN), TC_ERR_NOT_FOUND, "a missing key is refused");
    ok(strstr(d.detail, "'absent'") != NULL, "naming it: %s", d.detail);
    struct tc_pkcs11_key w = where("ed25519-name");
    uint8_t id = 1;
    w.key_label = NULL, w.id = &id, w.id_len = 1;
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_OK, "a key found by its id");
    tc_signer_close(s);
    w.token = "no-such-token";
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_NOT_FOUND,
           "a missing token is refused");
    w.token = NULL, w.slot = 424242;
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_NOT_FOUND,
           "an empty slot is refused");
    w = where("ed25519-name");
    w.kind = TC_KEY_HASH;
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_ARG, "a hash kind is refused");
    w = where("ed25519-name");
    w.token = "a label longer than thirty-two bytes";
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_ARG,
           "a token label over 32 bytes is refused");
    w = where("ed25519-name");
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, 0), TC_ERR_ARG, "an empty PIN is refused");
    w.module = path_in("none.so");
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_IO,
           "a module that does not load is refused");
    w.module = corrupt;
    setenv("TC_P11_REAL_MODULE", module, 1);
    is_err(tc_keys_pkcs11_open(&s, &d, &w, PIN, strlen(PIN)), TC_ERR_BAD_SIGNATURE,
           "a module whose signatures do not verify is refused");
    ok(!s, "no handle came out of any refusal");
    struct tc_signer *f = make_signer("file.key", TC_KEY_ISSUER);
    ok(f && tc_keys_pkcs11_last(f) == NULL, "a file handle has no PKCS#11 diagnostic");
    tc_signer_close(f);
}

int main(int argc, char **argv)
{
    if (argc != 3 || sodium_init() < 0 || !scratch_init()) {
        fprintf(stderr, "usage: test_keys_pkcs11 SOFTHSM2-MODULE CORRUPT-MODULE\n");
        return 2;
    }
    module = argv[1], corrupt = argv[2];
    test_parsers();
    test_names();
    ok(make_token(), "a SoftHSM2 token with its keys");
    test_token_open();
    test_token_refusals();
    scratch_remove();
    return tap_done();
}
