/*
 * main.c - titlecert-verifier: offline verification of a certificate payload, link or QR image
 * against a root-signed trust list. Prints the verdict as JSON. Exit status: 0 valid, 1 any other
 * verdict, 2 usage or I/O error.
 */
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verifier.h"

#define PROG "titlecert-verifier"
#define EXIT_NOT_VALID TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE

static int fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

static const char verify_help[] =
    "Usage: " PROG " verify --root ROOT.pub (--bundle FILE | --trust-list FILE) [--unit USCC]\n"
    "                         [--at YYYY-MM-DD] (PAYLOAD | LINK | --image FILE | -)\n"
    "Verifies a certificate offline and prints the verdict as JSON: format, signature, issuer key\n"
    "endorsed, in term and authorised (A1); with a status bundle also revoked (A2), superseded (C1)\n"
    "and, given a unit, whether the title is valid at that unit on that day (S1-S4).\n\n"
    "  PAYLOAD | LINK          TC1:... or https://.../v#TC1:... ('-' reads it from standard input)\n"
    "  --image FILE            a PNG holding the certificate's QR code\n"
    "  --root ROOT.pub         the provincial root public key everything must chain to\n"
    "  --bundle FILE           the signed status bundle (titlecert-issuer bundle export)\n"
    "  --trust-list FILE       only a trust list: signature and key checks, no status or scope\n"
    "  --unit USCC             the employing unit to check the scope at\n"
    "  --at YYYY-MM-DD         the day to check (default: today, Beijing time)\n\n"
    "Verdicts: valid, not_valid_here, superseded, revoked, invalid.\n"
    "Exit status: 0 valid, 1 any other verdict, 2 usage or I/O error.\n";

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, 0, 'r'},  {"trust-list", required_argument, 0, 't'},
        {"image", required_argument, 0, 'i'}, {"bundle", required_argument, 0, 'b'},
        {"unit", required_argument, 0, 'u'},  {"at", required_argument, 0, 'a'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *root = NULL, *trust = NULL, *image = NULL, *bundle = NULL, *unit = NULL;
    int32_t at = (int32_t)(((uint64_t)time(NULL) + 8 * 3600) / 86400);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': root = optarg; break;
        case 't': trust = optarg; break;
        case 'i': image = optarg; break;
        case 'b': bundle = optarg; break;
        case 'u':
            if (!tc_uscc_well_formed(optarg))
                return usage_error("verify", "--unit takes an 18-character USCC");
            unit = optarg;
            break;
        case 'a':
            if (!tc_day_parse(&at, optarg))
                return usage_error("verify", "--at takes a date YYYY-MM-DD");
            break;
        case 'h': fputs(verify_help, stdout); return 0;
        default: return usage_error("verify", "unknown option");
        }
    }
    if (!root || (!trust == !bundle))
        return usage_error("verify", "--root and one of --bundle or --trust-list are required");
    if (unit && !bundle)
        return usage_error("verify", "--unit needs --bundle (the unit directory is in it)");
    if ((image != NULL) == (optind < argc) || argc - optind > 1)
        return usage_error("verify", "give one PAYLOAD, LINK or '-', or --image FILE");

    struct tc_pubkey rpub;
    enum tc_err e = tc_keys_pub_read(root, &rpub);
    if (e != TC_OK)
        return fail(root, e);
    uint8_t *list = NULL, *img = NULL;
    size_t list_len, img_len;
    struct tc_trust_list *tl = NULL;
    struct tc_bundle *b = NULL;
    const char *src = bundle ? bundle : trust;
    if ((e = tc_keys_read_file(src, bundle ? TC_BUNDLE_MAX_BYTES_V : TC_TRUST_LIST_MAX_BYTES, &list,
                               &list_len)) != TC_OK)
        return fail(src, e);
    e = bundle ? tc_bundle_parse(list, list_len, rpub.pk, &b)
               : tc_trust_list_parse(list, list_len, rpub.pk, &tl);
    free(list);
    if (e != TC_OK)
        return fail(src, e);

    char *input = NULL;
    int rc = EXIT_USAGE;
    if (image) {
        if ((e = tc_keys_read_file(image, TC_IMAGE_MAX_BYTES, &img, &img_len)) != TC_OK) {
            fail(image, e);
            goto out;
        }
        e = tc_image_decode_qr(img, img_len, &input);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": %s: %s\n", image,
                    e == TC_ERR_NOT_FOUND ? "no QR code found in the image"
                    : e == TC_ERR_TYPE    ? "not a PNG image"
                                          : tc_strerror(e));
            goto out;
        }
    } else if (strcmp(argv[optind], "-") == 0) {
        input = calloc(1, TC_LINK_MAX + 2);
        size_t n = input ? fread(input, 1, TC_LINK_MAX + 1, stdin) : 0;
        if (!input || n > TC_LINK_MAX) {
            fail("standard input", TC_ERR_SIZE_LIMIT);
            goto out;
        }
    } else {
        input = strdup(argv[optind]);
    }
    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_verdict v;
    if (b) {
        struct tc_verify_opts vo = {unit, at, (uint64_t)time(NULL), 0};
        tc_verify_text_with_bundle(b, input, strlen(input), buf, &vo, &v);
    } else {
        tc_verify_text(tl, input, strlen(input), buf, &v);
    }
    json_t *j = tc_verdict_to_json(&v);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
    rc = v.kind == TC_VERDICT_VALID ? 0 : EXIT_NOT_VALID;
out:
    free(input);
    free(img);
    tc_trust_list_free(tl);
    tc_bundle_free(b);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"verify", cmd_verify, "verify a payload, link or QR image offline; print the verdict as JSON"},
};

int main(int argc, char **argv)
{
    return tc_cli_dispatch(PROG, "Verifies titlecert electronic title certificates.", commands,
                           sizeof commands / sizeof commands[0], argc, argv);
}
