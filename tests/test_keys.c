/*
 * test_keys.c - the key hierarchy (A1, A2): encrypted secret-key files and their failure modes,
 * endorsements and their three-year term, trust lists, and the check of a certificate against a
 * trust list (unknown key, bad signature, term, revocation date, authorised scope).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "keys.h"
#include "scratch.h"
#include "tap.h"

static const char pass[] = "correct horse battery";

static uint8_t *slurp(const char *p, size_t *n)
{
    uint8_t *b;
    return tc_file_read(p, 1 << 20, &b, n) == TC_OK ? b : NULL;
}

static void spit(const char *p, const uint8_t *b, size_t n, mode_t mode)
{
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        if (write(fd, b, n) != (ssize_t)n)
            perror("write");
        fchmod(fd, mode);
        close(fd);
    }
}

static void test_keyfiles(void)
{
    struct tc_pubkey pub;
    const char *root = path_in("root.key");
    mode_t old = umask(0);
    is_err(tc_keys_secret_create(root, TC_KEY_ROOT, "甘肃省人社厅", TC_KDF_INTERACTIVE, pass,
                                 strlen(pass), &pub),
           TC_OK, "root key created");
    umask(old);
    struct stat st;
    ok(stat(root, &st) == 0 && (st.st_mode & 0777) == 0600, "created 0600 even with umask 0");
    is_err(tc_keys_secret_create(root, TC_KEY_ROOT, "x", TC_KDF_INTERACTIVE, pass, strlen(pass),
                                 &pub),
           TC_ERR_EXISTS, "an existing key file is never replaced");
    is_err(tc_keys_secret_create(path_in("short.key"), TC_KEY_ROOT, "x", TC_KDF_INTERACTIVE, "short",
                                 5, &pub),
           TC_ERR_ARG, "a passphrase under 8 characters is refused");

    struct tc_secret *s = NULL;
    is_err(tc_keys_secret_open(&s, root, pass, strlen(pass)), TC_OK, "opens with the passphrase");
    ok(s && tc_keys_secret_kind(s) == TC_KEY_ROOT, "kind root");
    ok(s && memcmp(tc_keys_secret_pub(s)->pk, pub.pk, TC_PK_BYTES) == 0, "same public key");
    /* the key signs, and the signature verifies under the stored public key */
    uint8_t sig[64];
    size_t sig_len = 0;
    if (s) {
        is_err(tc_keys_secret_lock(s), TC_OK, "the key memory can be made read-only");
    }
    tc_keys_secret_close(s);
    struct tc_signer *sg = NULL;
    if (tc_keys_signer_open(&sg, root, pass, strlen(pass), TC_KEY_ROOT) == TC_OK &&
        tc_signer_sign(sg, (const uint8_t *)"m", 1, sig, sizeof sig, &sig_len) == TC_OK)
        ok(sig_len == 64 && crypto_sign_verify_detached(sig, (const uint8_t *)"m", 1, pub.pk) == 0,
           "the decrypted secret key matches the public key");
    else
        ok(false, "the decrypted secret key matches the public key");
    tc_signer_close(sg);

    is_err(tc_keys_secret_open(&s, root, "wrong horse battery", 19), TC_ERR_PASSPHRASE,
           "a wrong passphrase is a clear error");
    ok(s == NULL, "and yields no key");

    chmod(root, 0640);
    is_err(tc_keys_secret_open(&s, root, pass, strlen(pass)), TC_ERR_PERMS,
           "refused when the group can read it");
    chmod(root, 0604);
    is_err(tc_keys_secret_open(&s, root, pass, strlen(pass)), TC_ERR_PERMS,
           "refused when others can read it");
    chmod(root, 0600);

    const char *link = path_in("link.key");
    ok(symlink(root, link) == 0, "symlink made");
    is_err(tc_keys_secret_open(&s, link, pass, strlen(pass)), TC_ERR_KEYFILE,
           "a symlink is not followed (O_NOFOLLOW)");
    is_err(tc_keys_secret_create(link, TC_KEY_ROOT, "x", TC_KDF_INTERACTIVE, pass, strlen(pass),
                                 &pub),
           TC_ERR_EXISTS, "nor written through");

    size_t n;
    uint8_t *file = slurp(root, &n);
    ok(file != NULL, "key file read (%zu bytes)", n);
    if (!file)
        return;
    const char *cut = path_in("cut.key");
    int refused = 0;
    for (size_t k = 0; k < n; k++) {
        spit(cut, file, k, 0600);
        enum tc_err e = tc_keys_secret_open(&s, cut, pass, strlen(pass));
        if (e == TC_ERR_KEYFILE)
            refused++;
        tc_keys_secret_close(s);
        s = NULL;
    }
    ok(refused == (int)n, "every truncation (%zu lengths) is refused as not a key file", n);

    /* alter the name in the header: authenticated data, so it fails like a wrong passphrase */
    file[96] ^= 0x01;
    spit(cut, file, n, 0600);
    is_err(tc_keys_secret_open(&s, cut, pass, strlen(pass)), TC_ERR_PASSPHRASE,
           "an altered header (name) is detected");
    file[96] ^= 0x01;
    file[5] = TC_KEY_ISSUER;
    spit(cut, file, n, 0600);
    is_err(tc_keys_secret_open(&s, cut, pass, strlen(pass)), TC_ERR_PASSPHRASE,
           "an altered kind is detected");
    file[5] = TC_KEY_ROOT;
    file[16] = 0x7f; /* memlimit of 2^62 bytes */
    spit(cut, file, n, 0600);
    is_err(tc_keys_secret_open(&s, cut, pass, strlen(pass)), TC_ERR_KEYFILE,
           "an absurd Argon2 memory limit is refused before deriving");
    free(file);

    struct tc_keyfile_info info;
    is_err(tc_keys_secret_info(root, &info), TC_OK, "header readable without the passphrase");
    ok(strcmp(info.name, "甘肃省人社厅") == 0 && info.kind == TC_KEY_ROOT, "name and kind");

    /* passphrases from a file and from the environment */
    char *p = NULL;
    size_t pl;
    const char *why;
    const char *pf = path_in("pass.txt");
    spit(pf, (const uint8_t *)"file passphrase\r\nsecond line", 28, 0600);
    is_err(tc_keys_passphrase(&p, &pl, NULL, pf, "", false, &why), TC_OK, "passphrase file");
    ok(p && pl == 15 && memcmp(p, "file passphrase", 15) == 0, "first line, CR LF stripped");
    tc_keys_passphrase_free(p, pl);
    chmod(pf, 0644);
    is_err(tc_keys_passphrase(&p, &pl, NULL, pf, "", false, &why), TC_ERR_PERMS,
           "a world-readable passphrase file is refused");
    setenv("TC_TEST_PASS", "env passphrase", 1);
    char *env_copy = getenv("TC_TEST_PASS");
    is_err(tc_keys_passphrase(&p, &pl, "TC_TEST_PASS", NULL, "", false, &why), TC_OK,
           "passphrase from the environment");
    ok(p && pl == 14 && memcmp(p, "env passphrase", 14) == 0, "with its value");
    tc_keys_passphrase_free(p, pl);
    /* 17.10: it leaves the environment, and the environment's bytes are overwritten */
    ok(getenv("TC_TEST_PASS") == NULL, "17.10: the variable is removed once read");
    ok(env_copy && memchr(env_copy, 'e', 14) == NULL, "17.10: and its bytes in the environment are wiped");
    is_err(tc_keys_passphrase(&p, &pl, "TC_TEST_PASS", NULL, "", false, &why), TC_OK,
           "a second key opened with the same variable still gets the passphrase");
    ok(p && pl == 14 && memcmp(p, "env passphrase", 14) == 0, "the same one");
    tc_keys_passphrase_free(p, pl);
    is_err(tc_keys_passphrase(&p, &pl, "TC_TEST_UNSET_VAR", NULL, "", false, &why), TC_ERR_ARG,
           "an unset variable is an error");
}

static struct tc_signer *root_key, *issuer_key;
static struct fx_key other;

static void make_keys(void)
{
    struct tc_pubkey pub;
    tc_keys_secret_create(path_in("r.key"), TC_KEY_ROOT, "root", TC_KDF_INTERACTIVE, pass,
                          strlen(pass), &pub);
    tc_keys_secret_create(path_in("i.key"), TC_KEY_ISSUER, "甘肃省卫生高级评委会",
                          TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    tc_keys_signer_open(&root_key, path_in("r.key"), pass, strlen(pass), TC_KEY_ROOT);
    tc_keys_signer_open(&issuer_key, path_in("i.key"), pass, strlen(pass), TC_KEY_ISSUER);
    fx_key(&other, 9);
}

static void endorsement_for(struct tc_endorsement *en, const struct tc_pubkey *pub)
{
    memset(en, 0, sizeof *en);
    memcpy(en->pk, pub->pk, TC_PK_BYTES);
    memcpy(en->kid, pub->kid, TC_KID_BYTES);
    memcpy(en->name, pub->name, sizeof en->name);
    tc_day_parse(&en->not_before, "2026-01-01");
    tc_day_parse(&en->not_after, "2028-12-31");
    en->authz.tracks = TC_AUTHZ_TRACK(TC_TRACK_BASIC) | TC_AUTHZ_TRACK(TC_TRACK_PROVINCE);
    en->authz.levels = TC_AUTHZ_LEVEL(1) | TC_AUTHZ_LEVEL(2) | TC_AUTHZ_LEVEL(3);
    en->authz.series[0] = tc_series_id("WS-YL");
    en->authz.nseries = 1;
    en->authz.region = 62;
    en->endorsed_at = 1767225600;
}

static void test_endorsement_term_A1(void)
{
    struct tc_endorsement en;
    endorsement_for(&en, tc_signer_pub(issuer_key));
    is_err(tc_keys_endorsement_check(&en), TC_OK, "A1: a term of exactly 3 years (2026-01-01..2028-12-31)");
    tc_day_parse(&en.not_after, "2029-01-01");
    is_err(tc_keys_endorsement_check(&en), TC_ERR_ENDORSEMENT, "A1: 3 years and a day is refused");
    tc_day_parse(&en.not_before, "2024-02-29");
    tc_day_parse(&en.not_after, "2027-02-28");
    is_err(tc_keys_endorsement_check(&en), TC_OK, "A1: from 29 February, the term ends 28 February");
    tc_day_parse(&en.not_after, "2027-03-01");
    is_err(tc_keys_endorsement_check(&en), TC_ERR_ENDORSEMENT, "A1: not 1 March");
    endorsement_for(&en, tc_signer_pub(issuer_key));
    en.kid[0] ^= 1;
    is_err(tc_keys_endorsement_check(&en), TC_ERR_ENDORSEMENT, "a key id that is not the key's");
    endorsement_for(&en, tc_signer_pub(issuer_key));
    en.authz.series[1] = en.authz.series[0];
    en.authz.nseries = 2;
    is_err(tc_keys_endorsement_check(&en), TC_ERR_NONCANONICAL, "repeated series");

    uint8_t *buf = NULL;
    size_t n;
    endorsement_for(&en, tc_signer_pub(issuer_key));
    is_err(tc_keys_endorse(&buf, &n, &en, issuer_key), TC_ERR_ARG,
           "only the root key endorses");
    is_err(tc_keys_endorse(&buf, &n, &en, root_key), TC_OK, "root endorses");
    struct tc_endorsement back;
    const uint8_t *rpk = tc_signer_pub(root_key)->pk;
    is_err(tc_keys_endorsement_parse(buf, n, rpk, &back), TC_OK, "endorsement verifies");
    ok(back.not_after == en.not_after && back.authz.region == 62 && back.authz.nseries == 1,
       "endorsement round trip");
    is_err(tc_keys_endorsement_parse(buf, n, other.pk, &back), TC_ERR_UNKNOWN_KEY_ID,
           "not signed by another root");
    struct tc_revocation rv;
    is_err(tc_keys_revocation_parse(buf, n, rpk, &rv), TC_ERR_BAD_SIGNATURE,
           "an endorsement never verifies as a revocation (external_aad)");
    buf[n - 1] ^= 1;
    is_err(tc_keys_endorsement_parse(buf, n, rpk, &back), TC_ERR_BAD_SIGNATURE, "tampered endorsement");
    free(buf);
}

/* Signs fx_basic (or a variant) with the issuer key at the given date. */
static void cert_at(struct tc_cert *cert, uint8_t *buf, struct tc_claims *c, const char *day)
{
    int32_t d;
    tc_day_parse(&d, day);
    c->issued_at = (uint64_t)d * 86400 + 3 * 3600; /* 11:00 in Beijing */
    size_t n;
    tc_keys_sign_cert(buf, TC_CERT_MAX_BYTES, &n, c, issuer_key);
    tc_cert_decode(buf, n, cert, NULL);
}

static void test_trust_list(void)
{
    struct tc_endorsement en;
    endorsement_for(&en, tc_signer_pub(issuer_key));
    uint8_t *end = NULL, *list = NULL;
    size_t end_len, list_len;
    tc_keys_endorse(&end, &end_len, &en, root_key);
    struct tc_revocation rv;
    memset(&rv, 0, sizeof rv);
    memcpy(rv.kid, en.kid, TC_KID_BYTES);
    tc_day_parse(&rv.day, "2027-06-01");
    memcpy(rv.reason, "密钥泄露", sizeof "密钥泄露");
    rv.revoked_at = 1780000000;
    const uint8_t *ends[] = {end, end};
    size_t lens[] = {end_len, end_len};
    is_err(tc_keys_trust_list_build(&list, &list_len, 1, 1780000000, ends, lens, 2, NULL, 0, root_key),
           TC_ERR_TRUST_LIST, "a key endorsed twice is refused");
    is_err(tc_keys_trust_list_build(&list, &list_len, 3, 1780000000, ends, lens, 1, &rv, 1, root_key),
           TC_OK, "trust list built");
    const uint8_t *rpk = tc_signer_pub(root_key)->pk;
    struct tc_trust_list *tl = NULL;
    is_err(tc_trust_list_parse(list, list_len, rpk, &tl), TC_OK, "trust list verifies");
    ok(tl && tl->version == 3 && tl->n_endorsements == 1 && tl->n_revocations == 1,
       "version, endorsements and revocations");
    int refused = 0;
    for (size_t bit = 0; bit < list_len * 8; bit += 3) {
        list[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct tc_trust_list *t2 = NULL;
        if (tc_trust_list_parse(list, list_len, rpk, &t2) != TC_OK)
            refused++;
        tc_trust_list_free(t2);
        list[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ok(refused == (int)((list_len * 8 + 2) / 3), "every third single-bit flip of the list is refused");
    is_err(tc_trust_list_parse(list, list_len, other.pk, &(struct tc_trust_list *){NULL}),
           TC_ERR_UNKNOWN_KEY_ID, "a list for another root is refused");
    if (!tl)
        return;

    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_cert cert;
    struct tc_claims c;
    const struct tc_endorsement *which;
    fx_basic(&c);
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, &which), TC_OK, "A1: endorsed key, in term and scope");
    ok(which && memcmp(which->kid, en.kid, TC_KID_BYTES) == 0, "the endorsement is returned");

    fx_basic(&c);
    cert_at(&cert, buf, &c, "2025-12-31");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_KEY_OUT_OF_TERM, "A1: a day before the term");
    fx_basic(&c);
    cert_at(&cert, buf, &c, "2026-01-01");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_OK, "A1: the first day of the term");
    fx_basic(&c);
    cert_at(&cert, buf, &c, "2027-05-31");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_OK, "A2: the day before the key's revocation");
    fx_basic(&c);
    cert_at(&cert, buf, &c, "2027-06-01");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_KEY_REVOKED, "A2: from the revocation day");

    fx_basic(&c);
    c.level = TC_LEVEL_ZHULI;
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_NOT_AUTHORISED, "A1: a level outside the scope");
    fx_basic(&c);
    c.series = tc_series_id("WS-HL");
    c.level = TC_LEVEL_FUGAO;
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_NOT_AUTHORISED, "A1: a series outside the scope");
    fx_basic(&c);
    c.scope.region = 500101;
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_NOT_AUTHORISED, "A1: a region outside the scope");
    fx_converted(&c);
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_OK,
           "A1: a province-wide title for an employer registered in 62");
    fx_converted(&c);
    memcpy(c.employer, "12500101438000111W", 19);
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_NOT_AUTHORISED,
           "A1: a province-wide title for an employer registered in 50");

    /* a certificate signed by a key the list does not know, and a forged one naming our key */
    fx_basic(&c);
    size_t n;
    fx_cert_sign(buf, sizeof buf, &n, &c, other.kid, other.sk);
    tc_cert_decode(buf, n, &cert, NULL);
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_UNKNOWN_KEY_ID, "A1: an unknown key");
    fx_cert_sign(buf, sizeof buf, &n, &c, en.kid, other.sk);
    tc_cert_decode(buf, n, &cert, NULL);
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_BAD_SIGNATURE,
           "a forgery naming the endorsed key id");

    /* a key endorsed for basic-level titles only cannot sign a province-wide one */
    tl->endorsements[0].authz.tracks = TC_AUTHZ_TRACK(TC_TRACK_BASIC);
    fx_converted(&c);
    cert_at(&cert, buf, &c, "2026-11-18");
    is_err(tc_trust_check_cert(tl, &cert, NULL), TC_ERR_NOT_AUTHORISED,
           "A1: a basic-level-only key signing a province-wide title");
    tc_trust_list_free(tl);
    free(end);
    free(list);
}

static void test_pubfiles(void)
{
    const struct tc_pubkey *pub = tc_signer_pub(issuer_key);
    const char *p = path_in("i.pub");
    is_err(tc_keys_pub_write(p, pub), TC_OK, "public key written");
    struct tc_pubkey back;
    is_err(tc_keys_pub_read(p, &back), TC_OK, "public key read");
    ok(memcmp(back.pk, pub->pk, TC_PK_BYTES) == 0 && strcmp(back.name, pub->name) == 0 &&
           memcmp(back.kid, pub->kid, TC_KID_BYTES) == 0,
       "public key round trip");
    is_err(tc_keys_pub_write(p, pub), TC_ERR_EXISTS, "never replaced");
    is_err(tc_keys_pub_read(path_in("nope.pub"), &back), TC_ERR_NOT_FOUND, "missing file");
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init())
        return 2;
    test_keyfiles();
    make_keys();
    test_endorsement_term_A1();
    test_trust_list();
    test_pubfiles();
    tc_signer_close(root_key);
    tc_signer_close(issuer_key);
    scratch_remove();
    return tap_done();
}
