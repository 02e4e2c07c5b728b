/*
 * secret.c - encrypted secret-key files, passphrases, and signing with root and issuer keys.
 *
 * File layout (all integers big-endian), version 1:
 *
 *   0  "TCSK"        magic
 *   4  1             version
 *   5  kind          enum tc_key_kind
 *   6  1             KDF: Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13)
 *   7  name_len      0..TC_KEY_NAME_MAX
 *   8  opslimit      8 bytes
 *  16  memlimit      8 bytes
 *  24  salt          16 bytes
 *  40  nonce         24 bytes (XChaCha20-Poly1305)
 *  64  public key    32 bytes (zero for TC_KEY_HASH)
 *  96  name          name_len bytes of UTF-8
 *   .  ciphertext    32-byte secret (Ed25519 seed or hash key) + 16-byte tag
 *
 * Everything before the ciphertext is the AEAD's associated data, so a changed kind, name, KDF
 * cost or public key fails exactly like a wrong passphrase does. On open, the Ed25519 key pair is
 * re-derived from the seed and its public key must equal the stored one.
 *
 * Secrets (passphrase, derived key, seed, secret key) only ever sit in sodium_malloc'd memory,
 * which libsodium guards with canaries and guard pages and zeroes on sodium_free.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "keys.h"
#include "keys_internal.h"

#define MAGIC "TCSK"
#define FILE_VERSION 1
#define KDF_ARGON2ID13 1
#define SEED_BYTES 32
#define HDR_FIXED 96
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
/* Bounds on the KDF cost a file may ask for: a crafted file must not make us allocate more than
 * libsodium's SENSITIVE level or spin for minutes. */
#define OPS_MAX 16ULL
#define MEM_MAX ((size_t)crypto_pwhash_MEMLIMIT_SENSITIVE)

struct tc_secret {
    uint8_t kind;
    struct tc_pubkey pub;
    uint8_t bytes[crypto_sign_SECRETKEYBYTES]; /* Ed25519 seed||pk, or the 32-byte hash key */
};

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static enum tc_err derive(uint8_t *key, const char *pass, size_t pass_len, const uint8_t *salt,
                          unsigned long long ops, size_t mem)
{
    if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, pass_len, salt, ops,
                      mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return TC_ERR_NOMEM;
    return TC_OK;
}

enum tc_err tc_keys_secret_create(const char *path, enum tc_key_kind kind, const char *name,
                                  enum tc_kdf_level kdf, const char *pass, size_t pass_len,
                                  struct tc_pubkey *pub)
{
    if (sodium_init() < 0)
        return TC_ERR_CRYPTO_INIT;
    if (kind < TC_KEY_ROOT || kind > TC_KEY_HASH || !name || !pass)
        return TC_ERR_ARG;
    size_t nl = strlen(name);
    if (nl == 0 || nl > TC_KEY_NAME_MAX || !tc_text_safe((const uint8_t *)name, nl))
        return TC_ERR_TEXT;
    if (pass_len < TC_PASSPHRASE_MIN || pass_len > TC_PASSPHRASE_MAX)
        return TC_ERR_ARG;
    unsigned long long ops;
    size_t mem;
    switch (kdf) {
    case TC_KDF_INTERACTIVE:
        ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    case TC_KDF_MODERATE:
        ops = crypto_pwhash_OPSLIMIT_MODERATE, mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    case TC_KDF_SENSITIVE:
        ops = crypto_pwhash_OPSLIMIT_SENSITIVE, mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
        break;
    default:
        return TC_ERR_ARG;
    }

    uint8_t file[HDR_FIXED + TC_KEY_NAME_MAX + SEED_BYTES + TAG_BYTES];
    size_t hdr_len = HDR_FIXED + nl;
    uint8_t *seed = sodium_malloc(SEED_BYTES);
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    uint8_t *key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    enum tc_err e = TC_ERR_NOMEM;
    struct tc_pubkey p;
    memset(&p, 0, sizeof p);
    if (!seed || !sk || !key)
        goto out;

    memset(file, 0, sizeof file);
    memcpy(file, MAGIC, 4);
    file[4] = FILE_VERSION;
    file[5] = (uint8_t)kind;
    file[6] = KDF_ARGON2ID13;
    file[7] = (uint8_t)nl;
    put_be64(file + 8, ops);
    put_be64(file + 16, mem);
    randombytes_buf(file + 24, 16);
    randombytes_buf(file + 40, 24);
    randombytes_buf(seed, SEED_BYTES);
    p.kind = (uint8_t)kind;
    memcpy(p.name, name, nl + 1);
    if (kind != TC_KEY_HASH) {
        crypto_sign_seed_keypair(p.pk, sk, seed);
        tc_kid(p.kid, p.pk);
        memcpy(file + 64, p.pk, TC_PK_BYTES);
    }
    memcpy(file + HDR_FIXED, name, nl);
    if ((e = derive(key, pass, pass_len, file + 24, ops, mem)) != TC_OK)
        goto out;
    crypto_aead_xchacha20poly1305_ietf_encrypt(file + hdr_len, NULL, seed, SEED_BYTES, file,
                                               hdr_len, NULL, file + 40, key);
    size_t total = hdr_len + SEED_BYTES + TAG_BYTES;

    /* 0600 whatever the umask said; created beside and linked into place, so an existing file
     * is never overwritten and a crash leaves no half-written key */
    if ((e = tc_file_write(path, file, total, 0600, 0)) == TC_OK && pub)
        *pub = p;
out:
    sodium_memzero(file, sizeof file);
    sodium_free(seed);
    sodium_free(sk);
    sodium_free(key);
    return e;
}

/* Reads and checks the header of a key file; buf receives the whole file. */
static enum tc_err read_keyfile(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TC_ERR_NOT_FOUND : errno == ELOOP ? TC_ERR_KEYFILE : TC_ERR_IO;
    struct stat st;
    enum tc_err e = TC_ERR_IO;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        e = TC_ERR_KEYFILE;
        goto out;
    }
    if (st.st_mode & 077) {
        e = TC_ERR_PERMS;
        goto out;
    }
    size_t got;
    if (tc_fd_read(fd, buf, cap, &got) != TC_OK)
        goto out;
    if (got == cap) {
        e = TC_ERR_SIZE_LIMIT;
        goto out;
    }
    if (got < HDR_FIXED || memcmp(buf, MAGIC, 4) != 0 || buf[4] != FILE_VERSION ||
        buf[6] != KDF_ARGON2ID13 || buf[5] < TC_KEY_ROOT || buf[5] > TC_KEY_HASH ||
        buf[7] == 0 || buf[7] > TC_KEY_NAME_MAX ||
        got != HDR_FIXED + buf[7] + SEED_BYTES + TAG_BYTES) {
        e = TC_ERR_KEYFILE;
        goto out;
    }
    *len = got;
    e = TC_OK;
out:
    close(fd);
    return e;
}

static enum tc_err header_info(const uint8_t *buf, struct tc_keyfile_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = buf[5];
    info->opslimit = get_be64(buf + 8);
    uint64_t mem = get_be64(buf + 16);
    if (info->opslimit < crypto_pwhash_OPSLIMIT_MIN || info->opslimit > OPS_MAX ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > MEM_MAX)
        return TC_ERR_KEYFILE;
    info->memlimit = (size_t)mem;
    memcpy(info->name, buf + HDR_FIXED, buf[7]);
    info->name[buf[7]] = '\0';
    if (!tc_text_safe((const uint8_t *)info->name, buf[7]))
        return TC_ERR_KEYFILE;
    info->pub.kind = info->kind;
    memcpy(info->pub.name, info->name, sizeof info->name);
    if (info->kind != TC_KEY_HASH) {
        memcpy(info->pub.pk, buf + 64, TC_PK_BYTES);
        tc_kid(info->pub.kid, info->pub.pk);
    }
    return TC_OK;
}

enum tc_err tc_keys_secret_info(const char *path, struct tc_keyfile_info *info)
{
    uint8_t buf[TC_KEYFILE_MAX_BYTES];
    size_t len;
    enum tc_err e = read_keyfile(path, buf, sizeof buf, &len);
    return e == TC_OK ? header_info(buf, info) : e;
}

enum tc_err tc_keys_secret_open(struct tc_secret **out, const char *path, const char *pass,
                                size_t pass_len)
{
    *out = NULL;
    if (sodium_init() < 0)
        return TC_ERR_CRYPTO_INIT;
    uint8_t buf[TC_KEYFILE_MAX_BYTES];
    size_t len;
    struct tc_keyfile_info info;
    enum tc_err e = read_keyfile(path, buf, sizeof buf, &len);
    if (e != TC_OK)
        return e;
    if ((e = header_info(buf, &info)) != TC_OK)
        return e;
    size_t hdr_len = HDR_FIXED + buf[7];
    uint8_t *key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    uint8_t *seed = sodium_malloc(SEED_BYTES);
    struct tc_secret *s = sodium_malloc(sizeof *s);
    e = TC_ERR_NOMEM;
    if (!key || !seed || !s)
        goto out;
    if ((e = derive(key, pass, pass_len, buf + 24, info.opslimit, info.memlimit)) != TC_OK)
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, buf + hdr_len,
                                                   SEED_BYTES + TAG_BYTES, buf, hdr_len, buf + 40,
                                                   key) != 0) {
        e = TC_ERR_PASSPHRASE;
        goto out;
    }
    memset(s, 0, sizeof *s);
    s->kind = info.kind;
    s->pub = info.pub;
    if (s->kind == TC_KEY_HASH) {
        memcpy(s->bytes, seed, SEED_BYTES);
    } else {
        uint8_t pk[TC_PK_BYTES];
        crypto_sign_seed_keypair(pk, s->bytes, seed);
        if (sodium_memcmp(pk, info.pub.pk, TC_PK_BYTES) != 0) {
            e = TC_ERR_KEYFILE;
            goto out;
        }
    }
    *out = s;
    s = NULL;
    e = TC_OK;
out:
    sodium_free(key);
    sodium_free(seed);
    sodium_free(s);
    return e;
}

void tc_keys_secret_close(struct tc_secret *s)
{
    if (s) {
        sodium_mprotect_readwrite(s);
        sodium_free(s); /* zeroes before freeing */
    }
}

enum tc_err tc_keys_secret_lock(struct tc_secret *s)
{
    return sodium_mprotect_readonly(s) == 0 ? TC_OK : TC_ERR_INTERNAL;
}

uint8_t tc_keys_secret_kind(const struct tc_secret *s)
{
    return s->kind;
}

const struct tc_pubkey *tc_keys_secret_pub(const struct tc_secret *s)
{
    return &s->pub;
}

/* ---- passphrases ------------------------------------------------------------------------- */

static enum tc_err prompt_tty(char *buf, size_t cap, size_t *len, const char *prompt,
                              const char **why)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *why = "no terminal to ask on; use --passphrase-env VAR or --passphrase-file FILE";
        return TC_ERR_ARG;
    }
    struct termios old, quiet;
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    enum tc_err e = TC_OK;
    if (write(fd, prompt, strlen(prompt)) < 0)
        e = TC_ERR_IO;
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap) {
            e = TC_ERR_ARG;
            *why = "passphrase too long";
            break;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0)
        e = e == TC_OK ? TC_ERR_IO : e;
    close(fd);
    *len = n;
    return e;
}

static enum tc_err read_pass_file(char *buf, size_t cap, size_t *len, const char *path,
                                  const char **why)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *why = "cannot open the passphrase file";
        return TC_ERR_IO;
    }
    struct stat st;
    enum tc_err e = TC_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = "the passphrase file is not a regular file";
        e = TC_ERR_IO;
    } else if (st.st_mode & 077) {
        *why = "the passphrase file is accessible by group or others (chmod 600)";
        e = TC_ERR_PERMS;
    }
    size_t n = 0;
    if (e == TC_OK)
        e = tc_fd_read(fd, buf, cap - 1, &n);
    close(fd);
    if (e != TC_OK)
        return e;
    char *nl = memchr(buf, '\n', n);
    if (nl)
        n = (size_t)(nl - buf);
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    sodium_memzero(buf + n, cap - n);
    *len = n;
    return TC_OK;
}

/* A passphrase given in the environment is moved out of it at its first reading: the value is
 * copied into sodium_malloc'd memory (locked, left out of core dumps), the environment's copy is
 * overwritten and the variable removed, so neither /proc/PID/environ nor a dump of the process
 * holds it; later readings of the same variable (a command that opens two keys) use the copy,
 * which is wiped at exit. */
#define ENV_KEPT 4
static struct {
    char name[64];
    char *value; /* sodium_malloc'd */
    size_t len;
} env_kept[ENV_KEPT];

static void env_wipe(void)
{
    for (size_t i = 0; i < ENV_KEPT; i++)
        if (env_kept[i].value) {
            sodium_free(env_kept[i].value);
            memset(&env_kept[i], 0, sizeof env_kept[i]);
        }
}

/* The value of env_name, taken out of the environment; NULL when it was never set. */
static const char *env_take(const char *env_name, size_t *len)
{
    for (size_t i = 0; i < ENV_KEPT; i++)
        if (env_kept[i].value && strcmp(env_kept[i].name, env_name) == 0)
            return *len = env_kept[i].len, env_kept[i].value;
    char *v = getenv(env_name);
    size_t i = 0;
    while (i < ENV_KEPT && env_kept[i].value)
        i++;
    if (!v || i == ENV_KEPT || strlen(env_name) >= sizeof env_kept[i].name)
        return v ? (*len = strlen(v), v) : NULL;
    size_t n = strlen(v);
    if (!(env_kept[i].value = sodium_malloc(n + 1)))
        return *len = n, v;
    static bool registered;
    if (!registered)
        registered = atexit(env_wipe) == 0;
    memcpy(env_kept[i].value, v, n + 1);
    sodium_memzero(v, n); /* the environment block's own bytes */
    unsetenv(env_name);
    snprintf(env_kept[i].name, sizeof env_kept[i].name, "%s", env_name);
    env_kept[i].len = n;
    return *len = n, env_kept[i].value;
}

enum tc_err tc_keys_passphrase(char **pass, size_t *len, const char *env_name, const char *file,
                               const char *prompt, bool confirm, const char **why)
{
    static const char *none = "";
    *why = none;
    *pass = NULL;
    *len = 0;
    if (sodium_init() < 0)
        return TC_ERR_CRYPTO_INIT;
    char *buf = sodium_malloc(TC_PASSPHRASE_MAX + 1);
    char *again = NULL;
    size_t n = 0, n2 = 0;
    enum tc_err e = TC_OK;
    if (!buf)
        return TC_ERR_NOMEM;
    memset(buf, 0, TC_PASSPHRASE_MAX + 1);
    if (env_name) {
        const char *v = env_take(env_name, &n);
        if (!v) {
            *why = "the passphrase environment variable is not set";
            e = TC_ERR_ARG;
            goto out;
        }
        if (n > TC_PASSPHRASE_MAX) {
            *why = "passphrase too long";
            e = TC_ERR_ARG;
            goto out;
        }
        memcpy(buf, v, n);
    } else if (file) {
        if ((e = read_pass_file(buf, TC_PASSPHRASE_MAX + 1, &n, file, why)) != TC_OK)
            goto out;
    } else {
        if ((e = prompt_tty(buf, TC_PASSPHRASE_MAX + 1, &n, prompt, why)) != TC_OK)
            goto out;
        if (confirm) {
            again = sodium_malloc(TC_PASSPHRASE_MAX + 1);
            if (!again) {
                e = TC_ERR_NOMEM;
                goto out;
            }
            if ((e = prompt_tty(again, TC_PASSPHRASE_MAX + 1, &n2, "Repeat the passphrase: ",
                                why)) != TC_OK)
                goto out;
            if (n != n2 || sodium_memcmp(buf, again, n) != 0) {
                *why = "the passphrases differ";
                e = TC_ERR_ARG;
                goto out;
            }
        }
    }
    if (n == 0) {
        *why = "empty passphrase";
        e = TC_ERR_ARG;
        goto out;
    }
    *pass = buf;
    *len = n;
    buf = NULL;
out:
    sodium_free(buf);
    sodium_free(again);
    return e;
}

void tc_keys_passphrase_free(char *pass, size_t len)
{
    (void)len; /* sodium_free zeroes the whole allocation */
    sodium_free(pass);
}

const uint8_t *tc_keys_internal_secret_bytes(const struct tc_secret *s)
{
    return s->bytes;
}

enum tc_err tc_keys_secret_derive(const struct tc_secret *s, uint64_t subkey, const char ctx[8],
                                  uint8_t *out, size_t len)
{
    if (s->kind != TC_KEY_HASH || len < crypto_kdf_BYTES_MIN || len > crypto_kdf_BYTES_MAX)
        return TC_ERR_ARG;
    return crypto_kdf_derive_from_key(out, len, subkey, ctx, s->bytes) == 0 ? TC_OK
                                                                           : TC_ERR_INTERNAL;
}
