/*
 * cli.c - what every titlecert program's main() shares: the subcommand table dispatch, top-level
 * usage, the options loop and the arguments several programs take alike, and the
 * "program: what: why" error lines with their exit statuses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "titlecert_config.h"

int tc_cli_fail(const char *prog, const char *what, enum tc_err e)
{
    /* an I/O error keeps the system's reason ("No space left on device"), which says what to do */
    int saved = errno;
    if (e == TC_ERR_IO && saved != 0)
        fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(saved));
    else
        fprintf(stderr, "%s: %s: %s\n", prog, what, tc_strerror(e));
    return TC_EXIT_USAGE;
}

int tc_cli_harden(const char *who)
{
    if (tc_proc_harden() == TC_OK)
        return TC_EXIT_OK;
    fprintf(stderr, "%s: cannot turn core dumps off\n", who);
    return TC_EXIT_USAGE;
}

int tc_cli_usage_error(const char *prog, const char *cmd, const char *msg)
{
    fprintf(stderr, "%s %s: %s\nTry '%s %s --help'.\n", prog, cmd, msg, prog, cmd);
    return TC_EXIT_USAGE;
}

static void usage(FILE *f, const struct tc_cli_program *p)
{
    fprintf(f, "Usage: %s COMMAND [options]\n\n%s\n\nCommands:\n", p->prog, p->about);
    for (size_t i = 0; i < p->n; i++)
        fprintf(f, "  %-16s %s\n", p->cmds[i].name, p->cmds[i].description);
    fprintf(f, "\n'%s COMMAND --help' describes a command's options; '%s --version' prints the\n"
               "version; 'man %s' has the whole manual.\n", p->prog, p->prog, p->prog);
}

/* A command: its own argv, or the program's parser and then the command on what it read. */
static int run(const struct tc_cli_program *p, const struct tc_cli_command *c, int argc,
               char **argv)
{
    if (!c->run)
        return c->fn(argc, argv);
    int rc = p->parse(argc, argv, c, p->opts);
    if (rc)
        return rc == TC_CLI_HELP ? TC_EXIT_OK : rc;
    return c->run(p->opts);
}

int tc_cli_dispatch(const struct tc_cli_program *p, int argc, char **argv)
{
    if (sodium_init() < 0)
        return tc_cli_fail(p->prog, "libsodium", TC_ERR_CRYPTO_INIT);
    if (argc < 2) {
        usage(stderr, p);
        return TC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout, p);
        return TC_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", p->prog, TITLECERT_VERSION);
        return TC_EXIT_OK;
    }
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(argv[1], p->cmds[i].name) == 0)
            return run(p, &p->cmds[i], argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", p->prog, argv[1]);
    usage(stderr, p);
    return TC_EXIT_USAGE;
}

int tc_cli_getopt(const char *prog, const char *cmd, const char *help, const struct option *table,
                  int argc, char **argv, void *opts,
                  int (*set)(void *opts, int opt, const char *arg, const char *cmd))
{
    int c, at = -1, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", table, &at)) != -1) {
        if (c == '?') /* getopt_long said which */
            return tc_cli_usage_error(prog, cmd, "unknown option");
        if (strcmp(table[at].name, "help") == 0) {
            fputs(help, stdout);
            return TC_CLI_HELP;
        }
        if (c < TC_CLI_STORE) {
            if ((rc = set(opts, c, optarg, cmd)) != 0)
                return rc;
        } else if (table[at].has_arg == no_argument) {
            *(bool *)(void *)((char *)opts + (c - TC_CLI_STORE)) = true;
        } else {
            *(const char **)(void *)((char *)opts + (c - TC_CLI_STORE)) = optarg;
        }
    }
    return 0;
}

int tc_cli_number(const char *prog, const char *cmd, const char *name, const char *arg, long max,
                  long *v)
{
    char *end;
    *v = strtol(arg, &end, 10);
    if (!*end && *arg && *v >= 1 && *v <= max)
        return 0;
    char msg[96];
    snprintf(msg, sizeof msg, "%s takes a number from 1 to %ld", name, max);
    return tc_cli_usage_error(prog, cmd, msg);
}

const char *tc_cli_listen(const char *arg, struct sockaddr_in *addr, const char *bad_form)
{
    char host[64], *end;
    const char *colon = strrchr(arg, ':');
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || *end || port < 1 || port > 65535 || (size_t)(colon - arg) >= sizeof host)
        return bad_form;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    addr->sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return "--listen takes an IPv4 address";
    addr->sin_port = htons((uint16_t)port);
    return NULL;
}
