/*
 * main.c - titlecert-signer: `serve` runs the signer (signer.h) on a Unix socket. The custodian
 * unlocks it and the workflow's commands reach it through `titlecert-issuer signer|batch sign|
 * revocation sign`, or the HR console.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuer.h"
#include "keys.h"
#include "signer.h"
#include "witness.h"

#define PROG "titlecert-signer"

static const char serve_help[] =
    "Usage: " PROG " serve --socket PATH --db FILE --hash-key HASH.key\n"
    "         (--key ISSUER.key | --pkcs11-module SO --token LABEL --key-label LABEL)\n"
    "         (--publication-key PUBLICATION.key | --publication-label LABEL)\n"
    "         --root ROOT.pub --trust-list FILE --publish-dir DIR [options]\n"
    "The only process that opens the keys that issue certificates and sign publications\n"
    "(ISSUANCE.md). It starts locked, holding no secret; a key custodian unlocks it for a\n"
    "window with the store's passphrase (and the token's PIN) and their own password\n"
    "('titlecert-issuer signer unlock'). Unlocked, it signs only batches that were approved,\n"
    "after checking the approval again from the store, and publishes. It returns no signature\n"
    "and no key; every request is on its log and, unlocked, in the store's audit chain.\n\n"
    "  --socket PATH           the Unix socket (default $TITLECERT_SIGNER_SOCKET or\n"
    "                          /run/titlecert/signer.sock)\n"
    "  --socket-mode MODE      0600 (default: this user only) or 0660 (its group may connect)\n"
    "  --allow-uid UID         a user besides this one whose connections are answered\n"
    "                          (repeatable, at most 8); others are refused by their uid\n"
    "  --db, --hash-key        the store set up with 'init --workflow', and its hash key\n"
    "  --key ISSUER.key        the issuing key file (opened with the passphrase at unlock)\n"
    "  --pkcs11-module SO, --token LABEL, --key-label LABEL\n"
    "                          or the issuing key on a PKCS#11 token (opened with the PIN)\n"
    "  --publication-key FILE  the publication key file (endorsed for status,register)\n"
    "  --publication-label L   or the publication key on the same token\n"
    "  --root, --trust-list    the root key and the trust list (read again at each unlock)\n"
    "  --publish-dir DIR       where 'publish' writes the bundle, register and head\n"
    "  --origin O              the register's name, as 'titlecert-issuer publish' takes it\n"
    "  --window-max DURATION   the longest window a custodian may ask for (default 8h;\n"
    "                          60s, 30m, 8h)\n"
    "  --idle DURATION         locks after this long without signing (default 15m)\n"
    "  --log FILE              append the request log there (default: standard error)\n"
    "  --state FILE            the signer's own record of the store (0600, its user's): the\n"
    "                          audit chain's head it last saw, the register entries it wrote,\n"
    "                          when it first saw each 公示 (its period runs from then); made at\n"
    "                          the first unlock, trusting the store as it is then\n"
    "  --demo                  follow a demo store's clock (TITLECERT_DEMO_CLOCK); never for a\n"
    "                          real store: without it the signer judges by its own clock\n"
    "  --witnesses FILE        witnesses that co-sign each publication's checkpoint (C2SP\n"
    "                          tlog-witness), one line 'witness NAME VERIFIER-KEY URL' each,\n"
    "                          asked after the checkpoint is signed and before anything is\n"
    "                          written\n"
    "  --witness-quorum K      how many must co-sign; with fewer, publish is refused (nothing\n"
    "                          written) and the answer names each witness and why\n\n"
    "Stops on SIGTERM or SIGINT, locking first. Exit status: 0 stopped, 2 could not start.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* "90s", "30m", "8h" or minutes; 0 on a malformed or out-of-range duration */
static int duration(const char *s, int max)
{
    char *end;
    long v = strtol(s, &end, 10);
    long unit = *end == 's' ? 1 : *end == 'h' ? 3600 : 60;
    if (end == s || v < 1 || (*end && end[1]) || (*end && !strchr("smh", *end)) || v > max / unit)
        return 0;
    return (int)(v * unit);
}

/* The options whose value is checked or kept outside the configuration (codes for option); the
 * others are stored in it as they are */
enum {
    O_MODE = 1000,
    O_ALLOW,
    O_MODULE,
    O_TOKEN,
    O_LABEL,
    O_WINDOW,
    O_IDLE,
    O_LOG,
    O_WITNESSES,
    O_QUORUM,
    O_HELP
};

static struct tc_pkcs11_key token;
static struct tc_cosigner_set witnesses;
static const char *witnesses_file;
static long witness_quorum;
static const char *log_path; /* --log */

/* One option whose value is checked, or kept outside c, into c (a struct tc_signer_config) or
 * the statics above; 0, else the exit status after saying why. */
static int option(void *config, int opt, const char *arg, const char *cmd)
{
    struct tc_signer_config *c = config;
    char *end;
    switch (opt) {
    case O_MODE:
        c->socket_mode = (unsigned)strtoul(arg, &end, 8);
        if (*end || (c->socket_mode != 0600 && c->socket_mode != 0660))
            return tc_cli_usage_error(PROG, cmd, "--socket-mode is 0600 or 0660");
        break;
    case O_ALLOW: {
        uint64_t u; /* a uid; (uid_t)-1 is no one */
        if (!tc_parse_u64(arg, &u) || u >= 0xffffffffULL || c->n_allow == TC_SIGNER_ALLOW_MAX)
            return tc_cli_usage_error(PROG, cmd, "--allow-uid takes a uid, at most 8 times");
        c->allow[c->n_allow++] = (uid_t)u;
        break;
    }
    case O_MODULE:
        token.module = arg;
        c->token = &token;
        break;
    case O_TOKEN:
        token.token = arg;
        break;
    case O_LABEL:
        token.key_label = arg;
        break;
    case O_WINDOW:
        if (!(c->window_max = duration(arg, 24 * 3600)))
            return tc_cli_usage_error(PROG, cmd, "--window-max takes 1s..24h (60s, 30m, 8h)");
        break;
    case O_IDLE:
        if (!(c->idle = duration(arg, 24 * 3600)))
            return tc_cli_usage_error(PROG, cmd, "--idle takes 1s..24h (60s, 15m)");
        break;
    case O_LOG:
        log_path = arg;
        break;
    case O_WITNESSES:
        witnesses_file = arg;
        break;
    default: /* O_QUORUM */
        witness_quorum = strtol(arg, &end, 10);
        if (*end || witness_quorum < 1 || witness_quorum > TC_COSIGNERS_MAX)
            return tc_cli_usage_error(PROG, cmd, "--witness-quorum takes 1 to 15");
        break;
    }
    return 0;
}

/* The witnesses file, read at start: a line that is wrong stops the start, naming it. */
static int witnesses_read(struct tc_signer_config *c)
{
    char why[600];
    if (!witnesses_file) {
        if (witness_quorum)
            return tc_cli_usage_error(PROG, "serve", "--witness-quorum goes with --witnesses FILE");
        return 0;
    }
    if (tc_witness_publisher_load(witnesses_file, witness_quorum, &witnesses, why, sizeof why))
        return tc_cli_usage_error(PROG, "serve", why);
    c->witnesses = &witnesses;
    return 0;
}

/* What serve needs, given together or not at all. */
static int complete(struct tc_signer_config *c)
{
    if (!c->db || !c->hash_key || !c->root || !c->trust || !c->publish_dir || !c->state_path)
        return tc_cli_usage_error(PROG, "serve",
                                  "--db, --hash-key, --root, --trust-list, --publish-dir and "
                                  "--state are required");
    if ((c->issuer_key != NULL) == (c->token != NULL))
        return tc_cli_usage_error(PROG, "serve",
                                  "give --key, or --pkcs11-module with --token "
                                  "and --key-label");
    if (c->token && (!token.token || !token.key_label))
        return tc_cli_usage_error(PROG, "serve", "--pkcs11-module needs --token and --key-label");
    if ((c->publication_key != NULL) == (c->publication_label != NULL) ||
        (c->publication_label && !c->token))
        return tc_cli_usage_error(PROG, "serve",
                                  "give --publication-key, or "
                                  "--publication-label with a token");
    return witnesses_read(c);
}

/* serve's options into c (a struct tc_signer_config): 0, TC_CLI_HELP after --help, else the exit
 * status of a usage error. */
static int options(int argc, char **argv, const struct tc_cli_command *cmd, void *config)
{
    struct tc_signer_config *c = config;
#define AT(field) TC_CLI_AT(struct tc_signer_config, field)
    static const struct option table[] = {
        {"socket", required_argument, 0, AT(socket_path)},
        {"socket-mode", required_argument, 0, O_MODE},
        {"allow-uid", required_argument, 0, O_ALLOW},
        {"db", required_argument, 0, AT(db)},
        {"hash-key", required_argument, 0, AT(hash_key)},
        {"key", required_argument, 0, AT(issuer_key)},
        {"pkcs11-module", required_argument, 0, O_MODULE},
        {"token", required_argument, 0, O_TOKEN},
        {"key-label", required_argument, 0, O_LABEL},
        {"publication-key", required_argument, 0, AT(publication_key)},
        {"publication-label", required_argument, 0, AT(publication_label)},
        {"root", required_argument, 0, AT(root)},
        {"trust-list", required_argument, 0, AT(trust)},
        {"publish-dir", required_argument, 0, AT(publish_dir)},
        {"origin", required_argument, 0, AT(origin)},
        {"window-max", required_argument, 0, O_WINDOW},
        {"idle", required_argument, 0, O_IDLE},
        {"log", required_argument, 0, O_LOG},
        {"witnesses", required_argument, 0, O_WITNESSES},
        {"witness-quorum", required_argument, 0, O_QUORUM},
        {"state", required_argument, 0, AT(state_path)},
        {"demo", no_argument, 0, AT(demo)},
        {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
#undef AT
    const char *env = getenv("TITLECERT_SIGNER_SOCKET");
    memset(c, 0, sizeof *c);
    c->socket_path = env && *env ? env : "/run/titlecert/signer.sock";
    c->socket_mode = 0600, c->window_max = TC_SIGNER_WINDOW_MAX * 60, c->idle = TC_SIGNER_IDLE;
    int rc = tc_cli_getopt(PROG, cmd->name, cmd->help, table, argc, argv, c, option);
    if (rc)
        return rc;
    if (optind < argc)
        return tc_cli_usage_error(PROG, "serve", "unexpected argument");
    return complete(c);
}

/* The store must be one set up for the workflow: the signer signs nothing else. */
static int check_store(const struct tc_signer_config *c)
{
    struct tc_store *s = NULL;
    enum tc_err e = tc_store_open_ro(&s, c->db, NULL);
    if (e != TC_OK)
        return tc_cli_fail(PROG, c->db, e);
    bool wf = tc_store_workflow(s);
    tc_store_close(s);
    if (!wf) {
        fprintf(stderr,
                PROG ": %s: 这个库不是按审批流程建立的（init --workflow）/ not a store set "
                     "up for the workflow (init --workflow)\n",
                c->db);
        return TC_EXIT_USAGE;
    }
    struct tc_keyfile_info info;
    const char *files[] = {c->hash_key, c->issuer_key, c->publication_key};
    for (size_t i = 0; i < 3; i++)
        if (files[i] && (e = tc_keys_secret_info(files[i], &info)) != TC_OK)
            return tc_cli_fail(PROG, files[i], e);
    return 0;
}

static int cmd_serve(void *config)
{
    struct tc_signer_config *c = config;
    int rc = check_store(c);
    if (rc != 0)
        return rc;
    if (log_path) {
        int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || !(c->log = fdopen(fd, "a")))
            return tc_cli_fail(PROG, log_path, TC_ERR_IO);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = tc_signer_serve(c, &stop);
    if (c->log)
        fclose(c->log);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"serve", NULL, "run the signer on its Unix socket, locked until a custodian unlocks it",
     serve_help, cmd_serve},
};

int main(int argc, char **argv)
{
    /* the keys are opened here: no core dump, no ptrace may reach them */
    if (tc_cli_harden(PROG))
        return TC_EXIT_USAGE;
    tc_signer_json_hygiene(); /* requests carry passwords and passphrases */
    static struct tc_signer_config config;
    static const struct tc_cli_program program = {
        PROG,
        "Signs approved titlecert batches and publications; the only process that opens the "
        "issuing keys.",
        commands, sizeof commands / sizeof commands[0], options, &config};
    return tc_cli_dispatch(&program, argc, argv);
}
