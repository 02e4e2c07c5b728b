/*
 * main.c - titlecert-console serve: the HR console (console.h). Reads its options, the store's
 * hash-key passphrase (a file or a prompt, never the environment of a long-lived service), and
 * serves.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "keys.h"
#include "signer.h"
#include "titlecert_config.h"

#define PROG "titlecert-console"

static const char serve_help[] =
    "Usage: " PROG " serve --db FILE --hash-key HASH.key --root ROOT.pub --trust-list FILE\n"
    "                        --issuer-pub ISSUER.pub --publish-dir DIR [options]\n"
    "The HR console: the department's web application for the workflow of a store set up with\n"
    "'titlecert-issuer init --workflow' (ISSUANCE.md): results uploaded and checked, the 公示,\n"
    "objections, approval, signing by titlecert-signer, revocations, accounts and roles, the\n"
    "working-day calendar, the audit view. Staff sign in with a password and a TOTP code.\n\n"
    "  --listen ADDR:PORT      where to listen (default 127.0.0.1:8081; an intranet address\n"
    "                          behind the nginx site, docs/deploy/)\n"
    "  --origin URL            the Origin browsers send (https://hr.example.gov.cn); default:\n"
    "                          http(s):// and the Host header\n"
    "  --signer-socket PATH    titlecert-signer's socket (default $TITLECERT_SIGNER_SOCKET or\n"
    "                          /run/titlecert/signer.sock)\n"
    "  --web DIR               the front end (default $TITLECERT_CONSOLE_WEB_DIR or\n"
    "                          " TITLECERT_DATADIR "/console)\n"
    "  --passphrase-file FILE  the hash key's passphrase (default: a prompt)\n"
    "  --idle SECONDS, --session-max SECONDS, --reauth SECONDS\n"
    "                          session limits (defaults 900, 28800, 300)\n"
    "  --trusted-proxy ADDR    the nginx in front: its X-Real-IP is the client's address\n"
    "  --hsts VALUE            a Strict-Transport-Security header (when nginx does not set it)\n"
    "  --access-log FILE       one line per request: route, status, time; no personal data\n"
    "  --base-url URL          the public verification page the e-certificates' QR codes\n"
    "                          link to (default http://127.0.0.1:8080)\n";

/* The options whose value is checked (codes for option); the others are stored as they are */
enum { O_LISTEN = 1000, O_IDLE, O_MAX, O_REAUTH, O_BASE, O_HELP };

static bool seconds(const char *s, uint64_t *out)
{
    uint64_t v;
    if (!tc_parse_u64(s, &v) || v < 1 || v > 7 * 86400)
        return false;
    *out = v;
    return true;
}

/* serve's options: the console's configuration and the files serve opens itself */
struct serve_args {
    struct tc_console_config c;
    const char *pfile, *log;
};

/* One option whose value is checked into sa (a struct serve_args); 0, else the exit status
 * after saying why. */
static int option(void *sa, int opt, const char *arg, const char *cmd)
{
    struct tc_console_config *c = &((struct serve_args *)sa)->c;
    switch (opt) {
    case O_BASE:
        if (tc_base_url_check(arg) != TC_OK)
            return tc_cli_usage_error(PROG, cmd, "--base-url is http(s)://host[:port][/path]");
        c->base_url = arg;
        break;
    case O_LISTEN: {
        char host[64];
        const char *colon = strrchr(arg, ':');
        long port = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (!colon || (size_t)(colon - arg) >= sizeof host || port < 1 || port > 65535)
            return tc_cli_usage_error(PROG, cmd, "--listen takes IPV4-ADDRESS:PORT");
        snprintf(host, sizeof host, "%.*s", (int)(colon - arg), arg);
        c->addr.sin_family = AF_INET;
        c->addr.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &c->addr.sin_addr) != 1)
            return tc_cli_usage_error(PROG, cmd, "--listen takes IPV4-ADDRESS:PORT");
        break;
    }
    default: /* O_IDLE, O_MAX, O_REAUTH */
        if (!seconds(arg, opt == O_IDLE ? &c->idle : opt == O_MAX ? &c->max : &c->reauth))
            return tc_cli_usage_error(PROG, cmd, "a number of seconds, 1 to 604800");
        break;
    }
    return 0;
}

/* serve's options into a struct serve_args: 0, TC_CLI_HELP after --help, else the exit status
 * of a usage error. */
static int options(int argc, char **argv, const struct tc_cli_command *cmd, void *args)
{
    struct serve_args *a = args;
#define AT(field) TC_CLI_AT(struct serve_args, field)
    static const struct option table[] = {{"db", 1, 0, AT(c.db)},
                                          {"hash-key", 1, 0, AT(c.hash_key)},
                                          {"root", 1, 0, AT(c.root)},
                                          {"trust-list", 1, 0, AT(c.trust)},
                                          {"issuer-pub", 1, 0, AT(c.issuer_pub)},
                                          {"publish-dir", 1, 0, AT(c.publish_dir)},
                                          {"listen", 1, 0, O_LISTEN},
                                          {"origin", 1, 0, AT(c.origin)},
                                          {"signer-socket", 1, 0, AT(c.signer_socket)},
                                          {"web", 1, 0, AT(c.web_dir)},
                                          {"passphrase-file", 1, 0, AT(pfile)},
                                          {"idle", 1, 0, O_IDLE},
                                          {"session-max", 1, 0, O_MAX},
                                          {"reauth", 1, 0, O_REAUTH},
                                          {"trusted-proxy", 1, 0, AT(c.trusted_proxy)},
                                          {"hsts", 1, 0, AT(c.hsts)},
                                          {"access-log", 1, 0, AT(log)}, {"base-url", 1, 0, O_BASE},
                                          {"help", 0, 0, O_HELP},
                                          {0, 0, 0, 0}};
#undef AT
    const char *sock = getenv("TITLECERT_SIGNER_SOCKET"),
               *web = getenv("TITLECERT_CONSOLE_WEB_DIR");
    struct tc_console_config *c = &a->c;
    memset(a, 0, sizeof *a);
    c->signer_socket = sock && *sock ? sock : "/run/titlecert/signer.sock";
    c->web_dir = web && *web ? web : TITLECERT_DATADIR "/console";
    c->base_url = "http://127.0.0.1:8080";
    int rc = tc_cli_getopt(PROG, cmd->name, cmd->help, table, argc, argv, a, option);
    if (rc)
        return rc;
    if (!c->db || !c->hash_key || !c->root || !c->trust || !c->issuer_pub || !c->publish_dir)
        return tc_cli_usage_error(PROG, "serve",
                                  "--db, --hash-key, --root, --trust-list, "
                                  "--issuer-pub and --publish-dir are required");
    return 0;
}

static int cmd_serve(void *args)
{
    struct serve_args *a = args;
    struct tc_console_config *c = &a->c;
    const char *why = NULL;
    char *pass = NULL;
    size_t len = 0;
    if (tc_keys_passphrase(&pass, &len, NULL, a->pfile, "Passphrase of the store's hash key: ",
                           false, &why) != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", why && *why ? why : "none given");
        return TC_EXIT_USAGE;
    }
    if (a->log && !(c->access_log = fopen(a->log, "a"))) {
        tc_keys_passphrase_free(pass, len);
        return tc_cli_fail(PROG, a->log, TC_ERR_IO);
    }
    int rc = tc_console_serve(c, pass, len);
    tc_keys_passphrase_free(pass, len);
    if (c->access_log)
        fclose(c->access_log);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"serve", NULL, "serve the HR console (the department's web application)", serve_help,
     cmd_serve},
};

int main(int argc, char **argv)
{
    if (tc_cli_harden(PROG)) /* it holds the store's hash key and passes passwords on */
        return TC_EXIT_USAGE;
    tc_signer_json_hygiene();
    static struct serve_args args;
    static const struct tc_cli_program program = {
        PROG, "The HR console of titlecert.", commands, sizeof commands / sizeof commands[0],
        options, &args};
    return tc_cli_dispatch(&program, argc, argv);
}
