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
    "Usage: " PROG " verify --root ROOT.pub --trust-list FILE (PAYLOAD | LINK | --image FILE | -)\n"
    "Verifies a certificate offline: format, signature, issuer key endorsed in the trust list,\n"
    "inside its term and authorised scope (A1), not revoked (A2). Prints the verdict as JSON.\n\n"
    "  PAYLOAD | LINK          TC1:... or https://.../v#TC1:... ('-' reads it from standard input)\n"
    "  --image FILE            a PNG holding the certificate's QR code\n"
    "  --root ROOT.pub         the provincial root public key the trust list must be signed by\n"
    "  --trust-list FILE       the signed trust list (titlecert-keys trust-list)\n\n"
    "Exit status: 0 valid, 1 any other verdict, 2 usage or I/O error.\n";

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, 0, 'r'},  {"trust-list", required_argument, 0, 't'},
        {"image", required_argument, 0, 'i'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *root = NULL, *trust = NULL, *image = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': root = optarg; break;
        case 't': trust = optarg; break;
        case 'i': image = optarg; break;
        case 'h': fputs(verify_help, stdout); return 0;
        default: return usage_error("verify", "unknown option");
        }
    }
    if (!root || !trust)
        return usage_error("verify", "--root and --trust-list are required");
    if ((image != NULL) == (optind < argc) || argc - optind > 1)
        return usage_error("verify", "give one PAYLOAD, LINK or '-', or --image FILE");

    struct tc_pubkey rpub;
    enum tc_err e = tc_keys_pub_read(root, &rpub);
    if (e != TC_OK)
        return fail(root, e);
    uint8_t *list = NULL, *img = NULL;
    size_t list_len, img_len;
    if ((e = tc_keys_read_file(trust, TC_TRUST_LIST_MAX_BYTES, &list, &list_len)) != TC_OK)
        return fail(trust, e);
    struct tc_trust_list *tl = NULL;
    e = tc_trust_list_parse(list, list_len, rpub.pk, &tl);
    free(list);
    if (e != TC_OK)
        return fail(trust, e);

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
    tc_verify_text(tl, input, strlen(input), buf, &v);
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
