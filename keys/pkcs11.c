/*
 * pkcs11.c - the PKCS#11 backend of the signer handle: an Ed25519 key on a token.
 *
 * The module is the one the custodian names by path, loaded with dlopen (RTLD_NOW|RTLD_LOCAL)
 * and entered through C_GetFunctionList; the declarations are the standard pkcs11.h as Debian's
 * p11-kit ships it, but p11-kit itself is neither linked nor asked which modules exist. See
 * docs/DECISIONS.md for why.
 *
 * PKCS#11 state is per process, not per handle: a module is initialised once, and logging in to
 * a token logs in every session of the process on it, so C_Logout or C_Finalize by one handle
 * would pull the token from under another. A small registry, under one mutex, therefore counts
 * the handles per module (the last one finalises and unloads it) and per logged-in token (the
 * last one logs out). A second handle on a logged-in token is not checked by the token (it
 * answers CKR_USER_ALREADY_LOGGED_IN to any PIN), so the registry keeps a keyed BLAKE2b of the
 * PIN that logged in, in sodium_malloc'd memory, and a second handle must present the same PIN.
 *
 * The token is not trusted to sign correctly: open signs a random self-test message and every
 * signature is verified against the token's public key with libsodium before it leaves sign().
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <p11-kit/pkcs11.h>

#include "keys.h"
#include "keys_internal.h"

/* Under AddressSanitizer the module stays mapped after dlclose (RTLD_NODELETE): a module's own
 * leaks are then reported under its name, which tests/lsan.supp can name, instead of as
 * anonymous frames. Nothing else differs. */
#if defined(__SANITIZE_ADDRESS__)
#define KEEP_MAPPED RTLD_NODELETE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_MAPPED RTLD_NODELETE
#endif
#endif
#ifndef KEEP_MAPPED
#define KEEP_MAPPED 0
#endif

#define SIG_BUF 128 /* room for any signature a misbehaving token returns, so C_Sign completes */
#define SELFTEST_PREFIX "titlecert/pkcs11-self-test/v1" /* never a COSE Sig_structure or note */
#define SELFTEST_NONCE 32
#define PIN_DIGEST 32

/* A token of a module logged in by one or more handles. */
struct login {
    CK_SLOT_ID slot;
    unsigned refs;
    uint8_t *secret; /* sodium_malloc'd: a random key, then BLAKE2b(key, PIN) */
};

struct module {
    void *dl;
    CK_FUNCTION_LIST_PTR fl;
    bool finalize; /* this registry initialised the module, so it finalises it */
    unsigned refs;
    struct login logins[TC_PKCS11_LOGINS_MAX];
};

static struct module modules[TC_PKCS11_MODULES_MAX];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

struct p11 {
    pthread_mutex_t lock; /* one operation at a time on the session */
    struct module *mod;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    bool has_session, logged_in;
    CK_OBJECT_HANDLE key;
    uint8_t pk[TC_PK_BYTES];
    struct tc_pkcs11_diag last;
};

/* ---- diagnostics -------------------------------------------------------------------------- */

static enum tc_err say(struct tc_pkcs11_diag *d, enum tc_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum tc_err say(struct tc_pkcs11_diag *d, enum tc_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->detail, sizeof d->detail, fmt, ap);
    va_end(ap);
    return e;
}

/* Maps a failed call to an error code, recording which call and what it returned. */
static enum tc_err ckr(struct tc_pkcs11_diag *d, const char *call, CK_RV rv)
{
    d->call = call;
    d->rv = rv;
    switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
        return TC_ERR_PASSPHRASE;
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
        return say(d, TC_ERR_PASSPHRASE, "the PIN cannot be used");
    case CKR_HOST_MEMORY:
        return TC_ERR_NOMEM;
    case CKR_SLOT_ID_INVALID:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
        return TC_ERR_NOT_FOUND;
    default:
        return TC_ERR_IO;
    }
}

static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
/* clang-format off */
#define RV(x) {x, #x}
    RV(CKR_OK), RV(CKR_CANCEL), RV(CKR_HOST_MEMORY), RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR), RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD),
    RV(CKR_ATTRIBUTE_TYPE_INVALID), RV(CKR_ATTRIBUTE_VALUE_INVALID), RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY), RV(CKR_DEVICE_REMOVED), RV(CKR_DATA_LEN_RANGE),
    RV(CKR_FUNCTION_CANCELED), RV(CKR_FUNCTION_NOT_SUPPORTED), RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_KEY_TYPE_INCONSISTENT), RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
    RV(CKR_MECHANISM_INVALID), RV(CKR_MECHANISM_PARAM_INVALID), RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE), RV(CKR_OPERATION_NOT_INITIALIZED), RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID), RV(CKR_PIN_LEN_RANGE), RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED), RV(CKR_SESSION_COUNT), RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_TOKEN_NOT_PRESENT), RV(CKR_TOKEN_NOT_RECOGNIZED), RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN), RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID),
    RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), RV(CKR_USER_TOO_MANY_TYPES),
    RV(CKR_BUFFER_TOO_SMALL), RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED), RV(CKR_CANT_LOCK), RV(CKR_NEED_TO_CREATE_THREADS),
#undef RV
    /* clang-format on */
};

const char *tc_keys_pkcs11_rv_name(unsigned long rv)
{
    for (size_t i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    return rv >= CKR_VENDOR_DEFINED ? "CKR_VENDOR_DEFINED" : "CKR_UNKNOWN";
}

void tc_keys_pkcs11_why(char *out, size_t cap, enum tc_err e, const struct tc_pkcs11_diag *d)
{
    if (cap == 0)
        return;
    const char *text = d && d->detail[0]        ? d->detail
                       : e == TC_ERR_PASSPHRASE ? "wrong PIN"
                                                : tc_strerror(e);
    if (d && d->call)
        snprintf(out, cap, "%s (%s: %s)", text, d->call, tc_keys_pkcs11_rv_name(d->rv));
    else
        snprintf(out, cap, "%s", text);
}

/* ---- attribute encodings ------------------------------------------------------------------ */

enum tc_err tc_keys_pkcs11_ec_point(uint8_t pk[TC_PK_BYTES], const uint8_t *in, size_t len)
{
    /* DER OCTET STRING, short-form length: 04 20 || point. Modules before PKCS#11 3.0 differ,
     * and some hand over the bare point; the length tells the two apart. */
    if (len == TC_PK_BYTES) {
        memcpy(pk, in, TC_PK_BYTES);
        return TC_OK;
    }
    if (len == 2 + TC_PK_BYTES && in[0] == 0x04 && in[1] == TC_PK_BYTES) {
        memcpy(pk, in + 2, TC_PK_BYTES);
        return TC_OK;
    }
    return TC_ERR_KEYFILE;
}

enum tc_err tc_keys_pkcs11_ec_params(const uint8_t *in, size_t len)
{
    /* RFC 8410 id-Ed25519 as a DER OID, and the PKCS#11 3.0 curve name as a DER
     * PrintableString (SoftHSM2's choice). Exact bytes: anything else is another curve or not
     * DER. */
    static const uint8_t oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    static const uint8_t name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                   'd',  's',  '2', '5', '5', '1', '9'};
    if ((len == sizeof oid && memcmp(in, oid, len) == 0) ||
        (len == sizeof name && memcmp(in, name, len) == 0))
        return TC_OK;
    return TC_ERR_KEYFILE;
}

/* ---- the registry of loaded modules and logged-in tokens (under registry_lock) ------------- */

static enum tc_err module_init(struct module *m, void *dl, struct tc_pkcs11_diag *d)
{
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
    if (!get)
        return say(d, TC_ERR_IO, "not a PKCS#11 module (no C_GetFunctionList)");
    CK_FUNCTION_LIST_PTR fl = NULL;
    CK_RV rv = get(&fl);
    if (rv != CKR_OK)
        return ckr(d, "C_GetFunctionList", rv);
    if (!fl || fl->version.major < 2)
        return say(d, TC_ERR_IO, "not a PKCS#11 module of version 2 or later");
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = fl->C_Initialize(&args);
    /* Initialised already by other code in the process: use it, and leave finalising to it. */
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return ckr(d, "C_Initialize", rv);
    memset(m, 0, sizeof *m);
    m->dl = dl, m->fl = fl, m->finalize = rv == CKR_OK, m->refs = 1;
    return TC_OK;
}

static enum tc_err module_get(struct module **out, const char *path, struct tc_pkcs11_diag *d)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | KEEP_MAPPED);
    if (!dl) {
        const char *why = dlerror();
        return say(d, TC_ERR_IO, "cannot load the module: %s", why ? why : "dlopen failed");
    }
    /* dlopen hands back the same handle for the same file under any path. */
    struct module *free_slot = NULL;
    for (size_t i = 0; i < TC_PKCS11_MODULES_MAX; i++) {
        if (modules[i].refs && modules[i].dl == dl) {
            dlclose(dl);
            modules[i].refs++;
            *out = &modules[i];
            return TC_OK;
        }
        if (!modules[i].refs && !free_slot)
            free_slot = &modules[i];
    }
    enum tc_err e = free_slot ? module_init(free_slot, dl, d)
                              : say(d, TC_ERR_BUSY, "too many PKCS#11 modules are loaded");
    if (e != TC_OK) {
        dlclose(dl);
        return e;
    }
    *out = free_slot;
    return TC_OK;
}

static void module_put(struct module *m)
{
    if (--m->refs)
        return;
    if (m->finalize)
        m->fl->C_Finalize(NULL);
    dlclose(m->dl);
    memset(m, 0, sizeof *m);
}

static struct login *login_find(struct module *m, CK_SLOT_ID slot)
{
    for (size_t i = 0; i < TC_PKCS11_LOGINS_MAX; i++)
        if (m->logins[i].refs && m->logins[i].slot == slot)
            return &m->logins[i];
    return NULL;
}

/* The PIN's keyed digest into digest (under the login's random key). */
static void pin_digest(uint8_t digest[PIN_DIGEST], const struct login *l, const char *pin,
                       size_t pin_len)
{
    crypto_generichash(digest, PIN_DIGEST, (const uint8_t *)pin, pin_len, l->secret,
                       crypto_generichash_KEYBYTES);
}

/* C_Login with a copy of the PIN in sodium_malloc'd memory, wiped as soon as the call returns. */
static enum tc_err login_call(struct p11 *p, const char *pin, size_t pin_len,
                              struct tc_pkcs11_diag *d)
{
    CK_UTF8CHAR *copy = sodium_malloc(pin_len);
    if (!copy)
        return TC_ERR_NOMEM;
    memcpy(copy, pin, pin_len);
    CK_RV rv = p->mod->fl->C_Login(p->session, CKU_USER, copy, pin_len);
    sodium_free(copy);
    if (rv == CKR_USER_ALREADY_LOGGED_IN)
        return say(d, TC_ERR_BUSY, "the token is logged in by other code in this process");
    if (rv == CKR_PIN_INCORRECT)
        say(d, TC_ERR_PASSPHRASE, "wrong PIN");
    return rv == CKR_OK ? TC_OK : ckr(d, "C_Login", rv);
}

static enum tc_err login(struct p11 *p, const char *pin, size_t pin_len, struct tc_pkcs11_diag *d)
{
    uint8_t digest[PIN_DIGEST];
    struct login *l = login_find(p->mod, p->slot);
    if (l) {
        pin_digest(digest, l, pin, pin_len);
        bool same = sodium_memcmp(digest, l->secret + crypto_generichash_KEYBYTES, PIN_DIGEST) == 0;
        sodium_memzero(digest, sizeof digest);
        if (!same)
            return say(d, TC_ERR_PASSPHRASE, "wrong PIN (not the one this process logged in with)");
        l->refs++;
        p->logged_in = true;
        return TC_OK;
    }
    for (size_t i = 0; i < TC_PKCS11_LOGINS_MAX && !l; i++)
        if (!p->mod->logins[i].refs)
            l = &p->mod->logins[i];
    if (!l)
        return say(d, TC_ERR_BUSY, "too many tokens of this module are logged in");
    uint8_t *secret = sodium_malloc(crypto_generichash_KEYBYTES + PIN_DIGEST);
    if (!secret)
        return TC_ERR_NOMEM;
    enum tc_err e = login_call(p, pin, pin_len, d);
    if (e != TC_OK) {
        sodium_free(secret);
        return e;
    }
    randombytes_buf(secret, crypto_generichash_KEYBYTES);
    l->slot = p->slot, l->refs = 1, l->secret = secret;
    pin_digest(secret + crypto_generichash_KEYBYTES, l, pin, pin_len);
    sodium_mprotect_readonly(secret);
    p->logged_in = true;
    return TC_OK;
}

static void logout(struct p11 *p)
{
    struct login *l = login_find(p->mod, p->slot);
    if (!l || --l->refs)
        return;
    p->mod->fl->C_Logout(p->session);
    sodium_mprotect_readwrite(l->secret);
    sodium_free(l->secret);
    memset(l, 0, sizeof *l);
}

/* ---- finding the token and the key -------------------------------------------------------- */

static enum tc_err find_slot(struct p11 *p, const struct tc_pkcs11_key *w, struct tc_pkcs11_diag *d)
{
    CK_FUNCTION_LIST_PTR fl = p->mod->fl;
    CK_TOKEN_INFO info;
    CK_RV rv;
    if (!w->token) {
        p->slot = w->slot;
        if ((rv = fl->C_GetTokenInfo(p->slot, &info)) != CKR_OK) {
            say(d, TC_ERR_NOT_FOUND, "no token in slot %lu", w->slot);
            return ckr(d, "C_GetTokenInfo", rv);
        }
        return TC_OK;
    }
    char want[TC_PKCS11_TOKEN_LABEL_MAX];
    size_t n = strlen(w->token);
    memset(want, ' ', sizeof want);
    memcpy(want, w->token, n);
    CK_SLOT_ID slots[TC_PKCS11_SLOTS_MAX];
    CK_ULONG count = TC_PKCS11_SLOTS_MAX;
    if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &count)) == CKR_BUFFER_TOO_SMALL)
        return say(d, TC_ERR_SIZE_LIMIT, "more than %d slots hold a token", TC_PKCS11_SLOTS_MAX);
    if (rv != CKR_OK)
        return ckr(d, "C_GetSlotList", rv);
    unsigned found = 0;
    for (CK_ULONG i = 0; i < count; i++) {
        if (fl->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
            memcmp(info.label, want, sizeof want) != 0)
            continue;
        p->slot = slots[i];
        found++;
    }
    if (found == 0)
        return say(d, TC_ERR_NOT_FOUND, "no token labelled '%s'", w->token);
    if (found > 1)
        return say(d, TC_ERR_ARG, "%u tokens are labelled '%s': name the slot", found, w->token);
    return TC_OK;
}

/* The objects of class cls with the label and/or id given: at most 2 (*count says how many). */
static enum tc_err find_objects(struct p11 *p, CK_OBJECT_CLASS cls, const char *label,
                                const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE objs[2],
                                CK_ULONG *count, struct tc_pkcs11_diag *d)
{
    CK_FUNCTION_LIST_PTR fl = p->mod->fl;
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG n = 0;
    tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (label)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    if (id_len)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
    CK_RV rv = fl->C_FindObjectsInit(p->session, tmpl, n);
    if (rv != CKR_OK)
        return ckr(d, "C_FindObjectsInit", rv);
    rv = fl->C_FindObjects(p->session, objs, 2, count);
    CK_RV rv2 = fl->C_FindObjectsFinal(p->session);
    if (rv != CKR_OK)
        return ckr(d, "C_FindObjects", rv);
    return rv2 == CKR_OK ? TC_OK : ckr(d, "C_FindObjectsFinal", rv2);
}

/* One attribute of at most cap bytes; TC_ERR_KEYFILE when it is longer or absent. */
static enum tc_err get_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, void *buf,
                            size_t cap, size_t *len, struct tc_pkcs11_diag *d)
{
    CK_ATTRIBUTE a = {type, buf, cap};
    CK_RV rv = p->mod->fl->C_GetAttributeValue(p->session, obj, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL ||
        rv == CKR_ATTRIBUTE_SENSITIVE || a.ulValueLen > cap)
        return say(d, TC_ERR_KEYFILE, "the key has no usable attribute 0x%lx", type);
    if (rv != CKR_OK)
        return ckr(d, "C_GetAttributeValue", rv);
    *len = a.ulValueLen;
    return TC_OK;
}

/* How a program names the key in a message: its label, or its id in hex. */
static void key_name(char *out, size_t cap, const struct tc_pkcs11_key *w)
{
    char hex[TC_PKCS11_ID_MAX * 2 + 1];
    if (w->key_label)
        snprintf(out, cap, "labelled '%s'", w->key_label);
    else
        snprintf(out, cap, "with id %s", sodium_bin2hex(hex, sizeof hex, w->id, w->id_len));
}

static enum tc_err find_private(struct p11 *p, const struct tc_pkcs11_key *w, uint8_t *id,
                                size_t *id_len, struct tc_pkcs11_diag *d)
{
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    char which[TC_PKCS11_KEY_LABEL_MAX + 16];
    key_name(which, sizeof which, w);
    enum tc_err e = find_objects(p, CKO_PRIVATE_KEY, w->key_label, w->id, w->id_len, objs, &n, d);
    if (e != TC_OK)
        return e;
    if (n == 0)
        return say(d, TC_ERR_NOT_FOUND, "no private key %s on the token", which);
    if (n > 1)
        return say(d, TC_ERR_ARG, "more than one private key %s: give its id too", which);
    p->key = objs[0];
    CK_KEY_TYPE type = 0;
    size_t len = 0;
    if ((e = get_attr(p, p->key, CKA_KEY_TYPE, &type, sizeof type, &len, d)) != TC_OK)
        return e;
    if (len != sizeof type || type != CKK_EC_EDWARDS)
        return say(d, TC_ERR_KEYFILE, "the private key %s is not an Ed25519 key (key type 0x%lx)",
                   which, type);
    return get_attr(p, p->key, CKA_ID, id, TC_PKCS11_ID_MAX, id_len, d);
}

/* The public key paired with the private one (same CKA_ID; same label when it has none), which
 * must be on edwards25519. */
static enum tc_err find_public(struct p11 *p, const struct tc_pkcs11_key *w, const uint8_t *id,
                               size_t id_len, struct tc_pkcs11_diag *d)
{
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    const char *label = id_len ? NULL : w->key_label;
    if (!id_len && !label)
        return say(d, TC_ERR_NOT_FOUND, "the private key has no id to find its public key by");
    enum tc_err e = find_objects(p, CKO_PUBLIC_KEY, label, id, id_len, objs, &n, d);
    if (e != TC_OK)
        return e;
    if (n != 1)
        return say(d, n ? TC_ERR_ARG : TC_ERR_NOT_FOUND, "%s public key with the key's %s",
                   n ? "more than one" : "no", id_len ? "id" : "label");
    uint8_t buf[TC_PKCS11_EC_ATTR_MAX];
    size_t len = 0;
    if ((e = get_attr(p, objs[0], CKA_EC_PARAMS, buf, sizeof buf, &len, d)) != TC_OK)
        return e;
    if (tc_keys_pkcs11_ec_params(buf, len) != TC_OK)
        return say(d, TC_ERR_KEYFILE, "the key is not on edwards25519 (another curve: Ed448?)");
    if ((e = get_attr(p, objs[0], CKA_EC_POINT, buf, sizeof buf, &len, d)) != TC_OK)
        return e;
    if (tc_keys_pkcs11_ec_point(p->pk, buf, len) != TC_OK)
        return say(d, TC_ERR_KEYFILE, "the public key is not a 32-byte Ed25519 point");
    return TC_OK;
}

/* ---- signing ------------------------------------------------------------------------------ */

/* CKM_EDDSA without parameters is pure Ed25519 for an edwards25519 key. The signature is
 * checked here, so a token that signs wrongly or with another key never gets one out. */
static enum tc_err token_sign(struct p11 *p, const uint8_t *msg, size_t len, uint8_t *sig,
                              size_t cap, size_t *sig_len)
{
    CK_FUNCTION_LIST_PTR fl = p->mod->fl;
    CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
    uint8_t buf[SIG_BUF];
    CK_ULONG n = sizeof buf;
    struct tc_pkcs11_diag *d = &p->last;
    enum tc_err e = TC_OK;
    if (cap < TC_SIG_BYTES)
        return TC_ERR_BUFFER;
    pthread_mutex_lock(&p->lock);
    memset(d, 0, sizeof *d);
    CK_RV rv = fl->C_SignInit(p->session, &mech, p->key);
    if (rv != CKR_OK)
        e = ckr(d, "C_SignInit", rv);
    else if ((rv = fl->C_Sign(p->session, (CK_BYTE_PTR)msg, len, buf, &n)) != CKR_OK)
        e = ckr(d, "C_Sign", rv);
    else if (n != TC_SIG_BYTES || crypto_sign_verify_detached(buf, msg, len, p->pk) != 0)
        e = say(d, TC_ERR_BAD_SIGNATURE, "the token's signature does not verify");
    pthread_mutex_unlock(&p->lock);
    if (e == TC_OK) {
        memcpy(sig, buf, TC_SIG_BYTES);
        *sig_len = TC_SIG_BYTES;
    }
    sodium_memzero(buf, sizeof buf);
    return e;
}

static enum tc_err p11_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                            size_t *sig_len)
{
    return token_sign(ctx, msg, len, sig, cap, sig_len);
}

static void p11_close(void *ctx)
{
    struct p11 *p = ctx;
    if (!p)
        return;
    pthread_mutex_lock(&registry_lock);
    if (p->logged_in)
        logout(p);
    if (p->has_session)
        p->mod->fl->C_CloseSession(p->session);
    if (p->mod)
        module_put(p->mod);
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_destroy(&p->lock);
    sodium_memzero(p, sizeof *p);
    free(p);
}

static const struct tc_signer_backend pkcs11_backend = {"pkcs11", p11_sign, p11_close};

const struct tc_pkcs11_diag *tc_keys_pkcs11_last(const struct tc_signer *s)
{
    const struct p11 *p = tc_keys_internal_signer_ctx(s, &pkcs11_backend);
    return p ? &p->last : NULL;
}

/* ---- opening ------------------------------------------------------------------------------ */

static enum tc_err check_where(const struct tc_pkcs11_key *w, const char *pin, size_t pin_len,
                               struct tc_pkcs11_diag *d)
{
    if (!w || !w->module || !w->name)
        return say(d, TC_ERR_ARG, "the module and the key's name are required");
    if (w->kind != TC_KEY_ISSUER && w->kind != TC_KEY_ROOT)
        return say(d, TC_ERR_ARG, "a token key signs as an issuer or a root key");
    size_t nl = strlen(w->name);
    if (nl == 0 || nl > TC_KEY_NAME_MAX || !tc_text_safe((const uint8_t *)w->name, nl))
        return say(d, TC_ERR_ARG, "the key's name must be 1..%d bytes of printable UTF-8",
                   TC_KEY_NAME_MAX);
    if (w->token && (!w->token[0] || strlen(w->token) > TC_PKCS11_TOKEN_LABEL_MAX))
        return say(d, TC_ERR_ARG, "a token label is 1..%d bytes", TC_PKCS11_TOKEN_LABEL_MAX);
    if (!w->key_label && !w->id_len)
        return say(d, TC_ERR_ARG, "give the key's label or id");
    if (w->key_label && (!w->key_label[0] || strlen(w->key_label) > TC_PKCS11_KEY_LABEL_MAX))
        return say(d, TC_ERR_ARG, "a key label is 1..%d bytes", TC_PKCS11_KEY_LABEL_MAX);
    if (w->id_len > TC_PKCS11_ID_MAX || (w->id_len && !w->id))
        return say(d, TC_ERR_ARG, "a key id is at most %d bytes", TC_PKCS11_ID_MAX);
    if (!pin || pin_len == 0 || pin_len > TC_PKCS11_PIN_MAX)
        return say(d, TC_ERR_ARG, "the PIN must be 1..%d bytes", TC_PKCS11_PIN_MAX);
    return TC_OK;
}

/* The module runs in this process and a software token holds its keys in this process's
 * memory: no core file may carry them off. */
static enum tc_err no_core_dumps(struct tc_pkcs11_diag *d)
{
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return say(d, TC_ERR_INTERNAL, "cannot turn core dumps off");
    return TC_OK;
}

static enum tc_err self_test(struct p11 *p, struct tc_pkcs11_diag *d)
{
    uint8_t msg[sizeof SELFTEST_PREFIX + SELFTEST_NONCE], sig[TC_SIG_BYTES];
    size_t n = 0;
    memcpy(msg, SELFTEST_PREFIX, sizeof SELFTEST_PREFIX); /* with its NUL */
    randombytes_buf(msg + sizeof SELFTEST_PREFIX, SELFTEST_NONCE);
    enum tc_err e = token_sign(p, msg, sizeof msg, sig, sizeof sig, &n);
    *d = p->last;
    return e;
}

/* Module, token, session, login, key: each step records what the handle must undo. */
static enum tc_err open_steps(struct p11 *p, const struct tc_pkcs11_key *w, const char *pin,
                              size_t pin_len, struct tc_pkcs11_diag *d)
{
    uint8_t id[TC_PKCS11_ID_MAX];
    size_t id_len = 0;
    enum tc_err e = module_get(&p->mod, w->module, d);
    if (e != TC_OK)
        return e;
    if ((e = find_slot(p, w, d)) != TC_OK)
        return e;
    CK_RV rv = p->mod->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->session);
    if (rv != CKR_OK)
        return ckr(d, "C_OpenSession", rv);
    p->has_session = true;
    if ((e = login(p, pin, pin_len, d)) != TC_OK)
        return e;
    if ((e = find_private(p, w, id, &id_len, d)) != TC_OK)
        return e;
    return find_public(p, w, id, id_len, d);
}

enum tc_err tc_keys_pkcs11_open(struct tc_signer **out, struct tc_pkcs11_diag *diag,
                                const struct tc_pkcs11_key *where, const char *pin, size_t pin_len)
{
    struct tc_pkcs11_diag scratch;
    struct tc_pkcs11_diag *d = diag ? diag : &scratch;
    memset(d, 0, sizeof *d);
    *out = NULL;
    enum tc_err e = check_where(where, pin, pin_len, d);
    if (e != TC_OK)
        return e;
    if (sodium_init() < 0)
        return TC_ERR_CRYPTO_INIT;
    if ((e = no_core_dumps(d)) != TC_OK)
        return e;
    struct p11 *p = calloc(1, sizeof *p);
    if (!p)
        return TC_ERR_NOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_lock(&registry_lock);
    e = open_steps(p, where, pin, pin_len, d);
    pthread_mutex_unlock(&registry_lock);
    if (e == TC_OK)
        e = self_test(p, d);
    struct tc_pubkey pub;
    memset(&pub, 0, sizeof pub);
    if (e == TC_OK) {
        pub.kind = where->kind;
        memcpy(pub.name, where->name, strlen(where->name) + 1);
        memcpy(pub.pk, p->pk, TC_PK_BYTES);
        tc_kid(pub.kid, pub.pk);
        e = tc_signer_new(out, &pkcs11_backend, p, TC_ALG_ED25519, &pub);
    }
    if (e != TC_OK)
        p11_close(p);
    return e;
}
