/*
 * cli.c - what every titlecert program's main() shares: the subcommand table dispatch, top-level
 * usage, and the "program: what: why" error lines with their exit statuses.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
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

static void usage(FILE *f, const char *prog, const char *about, const struct tc_cli_command *cmds,
                  size_t n)
{
    fprintf(f, "Usage: %s COMMAND [options]\n\n%s\n\nCommands:\n", prog, about);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-16s %s\n", cmds[i].name, cmds[i].description);
    fprintf(f, "\n'%s COMMAND --help' describes a command's options; '%s --version' prints the\n"
               "version; 'man %s' has the whole manual.\n", prog, prog, prog);
}

int tc_cli_dispatch(const char *prog, const char *about, const struct tc_cli_command *cmds,
                    size_t n, int argc, char **argv)
{
    if (sodium_init() < 0)
        return tc_cli_fail(prog, "libsodium", TC_ERR_CRYPTO_INIT);
    if (argc < 2) {
        usage(stderr, prog, about, cmds, n);
        return TC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout, prog, about, cmds, n);
        return TC_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", prog, TITLECERT_VERSION);
        return TC_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
    usage(stderr, prog, about, cmds, n);
    return TC_EXIT_USAGE;
}
