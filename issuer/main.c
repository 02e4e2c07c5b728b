/*
 * main.c - titlecert-issuer: issues certificates.
 *
 * `sign` issues one certificate from claims in JSON: it unlocks the issuer key once, keeps it
 * read-only while signing, checks the result against the key's endorsement in the trust list
 * (rule A1: term and authorised scope) before anything is written, and writes the payload text,
 * the link, the QR code as PNG and SVG, and shows the QR on the terminal.
 *
 * Exit status: 0 issued, 1 refused by a rule, 2 usage or I/O error.
 */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"

#define PROG "titlecert-issuer"
#define EXIT_REFUSED TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE
#define CLAIMS_JSON_MAX (64u << 10)

static int fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

static const char sign_help[] =
    "Usage: " PROG " sign --key ISSUER.key --claims FILE.json --out-dir DIR --base-url URL\n"
    "                      [--root ROOT.pub --trust-list FILE] [--qr] [passphrase options]\n"
    "Issues one certificate. Writes DIR/<id>.txt (payload), DIR/<id>.link, DIR/<id>.png and\n"
    "DIR/<id>.svg (QR code), and prints the link.\n\n"
    "  --claims FILE.json      the claims (see docs/FORMAT.md); \"id_number\" is reduced to its\n"
    "                          mask and never stored; \"issued_at\" defaults to now\n"
    "  --base-url URL          where the public verification page is, e.g. https://zc.example.cn\n"
    "  --root, --trust-list    check the key's endorsement (term and scope, rule A1) first\n"
    "  --qr                    show the QR code on the terminal (default when it is one)\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the issuer key (default: prompt)\n\n"
    "Exit status: 0 issued, 1 refused by a rule, 2 usage or I/O error.\n";

static const char *rule_of(enum tc_err e)
{
    switch (e) {
    case TC_ERR_UNKNOWN_KEY_ID:
        return "A1: the key is not endorsed in the trust list";
    case TC_ERR_KEY_OUT_OF_TERM:
        return "A1: the key's endorsed term does not cover the issue date";
    case TC_ERR_NOT_AUTHORISED:
        return "A1: the key is not authorised for this track, series, level or region";
    case TC_ERR_KEY_REVOKED:
        return "A2: the key is revoked";
    default:
        return tc_strerror(e);
    }
}

static int write_text(const char *dir, uint64_t id, const char *ext, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%llu.%s", dir, (unsigned long long)id, ext);
    char line[TC_LINK_MAX + 2];
    size_t n = strlen(text);
    memcpy(line, text, n);
    line[n] = '\n';
    enum tc_err e = tc_keys_write_file(path, (const uint8_t *)line, n + 1, 0644, true);
    return e == TC_OK ? 0 : fail(path, e);
}

static int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'},        {"claims", required_argument, 0, 'c'},
        {"out-dir", required_argument, 0, 'o'},    {"base-url", required_argument, 0, 'b'},
        {"root", required_argument, 0, 'r'},       {"trust-list", required_argument, 0, 't'},
        {"qr", no_argument, 0, 'q'},               {"passphrase-env", required_argument, 0, 'e'},
        {"passphrase-file", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *key = NULL, *claims_path = NULL, *dir = NULL, *base = NULL, *root = NULL,
               *trust = NULL, *penv = NULL, *pfile = NULL;
    bool show_qr = isatty(STDOUT_FILENO);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'c': claims_path = optarg; break;
        case 'o': dir = optarg; break;
        case 'b': base = optarg; break;
        case 'r': root = optarg; break;
        case 't': trust = optarg; break;
        case 'q': show_qr = true; break;
        case 'e': penv = optarg; break;
        case 'f': pfile = optarg; break;
        case 'h': fputs(sign_help, stdout); return 0;
        default: return usage_error("sign", "unknown option");
        }
    }
    if (!key || !claims_path || !dir || !base)
        return usage_error("sign", "--key, --claims, --out-dir and --base-url are required");
    if ((root == NULL) != (trust == NULL))
        return usage_error("sign", "--root and --trust-list go together");
    if (tc_base_url_check(base) != TC_OK)
        return usage_error("sign", "--base-url must be http(s)://host[:port][/path] without a "
                                   "trailing slash, query or fragment");

    /* Claims first: nothing is unlocked for input that cannot be signed. */
    uint8_t *raw;
    size_t raw_len;
    enum tc_err e = tc_keys_read_file(claims_path, CLAIMS_JSON_MAX, &raw, &raw_len);
    if (e != TC_OK)
        return fail(claims_path, e);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (!j) {
        fprintf(stderr, PROG ": %s: line %d: %s\n", claims_path, jerr.line, jerr.text);
        return EXIT_USAGE;
    }
    struct tc_claims claims;
    const char *field = NULL;
    e = tc_claims_from_json(j, &claims, &field);
    json_decref(j);
    if (e == TC_OK && claims.issued_at == 0) {
        claims.issued_at = (uint64_t)time(NULL);
        e = tc_claims_check(&claims, &field);
    }
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: claim '%s': %s\n", claims_path, field ? field : "?",
                tc_strerror(e));
        return EXIT_USAGE;
    }

    struct tc_trust_list *tl = NULL;
    if (trust) {
        struct tc_pubkey rpub;
        uint8_t *list;
        size_t list_len;
        if ((e = tc_keys_pub_read(root, &rpub)) != TC_OK)
            return fail(root, e);
        if ((e = tc_keys_read_file(trust, TC_TRUST_LIST_MAX_BYTES, &list, &list_len)) != TC_OK)
            return fail(trust, e);
        e = tc_trust_list_parse(list, list_len, rpub.pk, &tl);
        free(list);
        if (e != TC_OK)
            return fail(trust, e);
    }

    char *pass = NULL;
    size_t pass_len = 0;
    const char *why;
    char prompt[300];
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", key);
    if ((e = tc_keys_passphrase(&pass, &pass_len, penv, pfile, prompt, false, &why)) != TC_OK) {
        tc_trust_list_free(tl);
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return EXIT_USAGE;
    }
    struct tc_secret *sk = NULL;
    e = tc_keys_secret_open(&sk, key, pass, pass_len);
    tc_keys_passphrase_free(pass, pass_len);
    if (e != TC_OK) {
        tc_trust_list_free(tl);
        return fail(key, e);
    }
    int rc = EXIT_USAGE;
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t msg_len = 0;
    if (tc_keys_secret_kind(sk) != TC_KEY_ISSUER) {
        fprintf(stderr, PROG ": %s: not an issuer key\n", key);
        goto out;
    }
    tc_keys_secret_lock(sk); /* read-only while signing */
    if ((e = tc_keys_sign_cert(msg, sizeof msg, &msg_len, &claims, sk)) != TC_OK) {
        fail("sign", e);
        goto out;
    }
    if (tl) {
        struct tc_cert cert;
        if ((e = tc_cert_decode(msg, msg_len, &cert, NULL)) == TC_OK)
            e = tc_trust_check_cert(tl, &cert, NULL);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": sign: refused: %s\n", rule_of(e));
            rc = EXIT_REFUSED;
            goto out;
        }
    }
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1], path[4096];
    struct tc_qr qr = {0};
    if ((e = tc_text_encode(text, sizeof text, msg, msg_len)) != TC_OK ||
        (e = tc_link_make(link, sizeof link, base, text)) != TC_OK ||
        (e = tc_qr_encode(&qr, link, TC_QR_M)) != TC_OK) {
        fail("encode", e);
        goto out;
    }
    if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0) {
        fail(dir, TC_ERR_IO);
        tc_qr_free(&qr);
        goto out;
    }
    rc = write_text(dir, claims.id, "txt", text);
    if (rc == 0)
        rc = write_text(dir, claims.id, "link", link);
    snprintf(path, sizeof path, "%s/%llu.png", dir, (unsigned long long)claims.id);
    if (rc == 0 && (e = tc_qr_write_png(&qr, path, 4)) != TC_OK)
        rc = fail(path, e);
    snprintf(path, sizeof path, "%s/%llu.svg", dir, (unsigned long long)claims.id);
    if (rc == 0 && (e = tc_qr_write_svg(&qr, path)) != TC_OK)
        rc = fail(path, e);
    if (rc == 0) {
        if (show_qr) {
            char *t = tc_qr_to_terminal(&qr);
            if (t)
                fputs(t, stdout);
            free(t);
        }
        const struct tc_title *t = tc_title_lookup(claims.series, claims.level, claims.title_variant);
        printf("issued certificate %llu: %s, %s %s (%s), QR version %d at ECC M\n",
               (unsigned long long)claims.id, claims.name, t ? t->series_name : "?",
               t ? t->title : "?", tc_track_name_zh(claims.track), qr.version);
        printf("  link:    %s\n  files:   %s/%llu.{txt,link,png,svg}\n", link, dir,
               (unsigned long long)claims.id);
    }
    tc_qr_free(&qr);
out:
    tc_keys_secret_close(sk);
    tc_trust_list_free(tl);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"sign", cmd_sign, "issue one certificate from claims in JSON (payload, link, PNG, SVG)"},
};

int main(int argc, char **argv)
{
    return tc_cli_dispatch(PROG, "Issues titlecert electronic title certificates.", commands,
                           sizeof commands / sizeof commands[0], argc, argv);
}
