/*
 * cli.h - what the commands of titlecert-issuer share (cli.c): their options, opening the store,
 * keys and trust list with the passphrase from where the options say, and printing refusals,
 * progress and the output files. Only the program uses it; what the commands do is the issuer
 * library's (issuer.h).
 */
#ifndef TC_ISSUER_CLI_H
#define TC_ISSUER_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "issuer.h"

#define PROG "titlecert-issuer"
#define EXIT_REFUSED TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE

struct opts {
    const char *db, *hash_key, *key, *root, *trust, *out_dir, *base, *penv, *pfile, *out;
    const char *profile, *reason, *date, *until, *bl_reason, *decision, *at, *claims, *origin;
    const char *organiser, *image, *kid;
    long committee, days, threads;
    long long batch;
    bool strict_uscc, blacklist, dry_run, quiet, qr, read_only, reevaluation, pdf, force;
    bool workflow, demo;
    bool reseal; /* migrate --reseal-accounts */
    bool status_stamp;
    const char *witnesses; /* publish: the witnesses file */
    long witness_quorum;   /* publish: how many must co-sign (0: not given) */
    const char *as, *password_file; /* units and records import in a workflow store */
    int argc; /* the operands after the options (and after the verb of "units import") */
    char **argv;
};

/* "titlecert-issuer: what: why" (errno's sentence for an I/O error); returns EXIT_USAGE. */
int cli_fail(const char *what, enum tc_err e);
/* "titlecert-issuer cmd: msg" and a --help hint; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *msg);
/* The program's parser (struct tc_cli_program): a store command's options into opts, a struct
 * opts, after its verb for those that take one ("units import", "audit verify"). */
int cli_parse(int argc, char **argv, const struct tc_cli_command *cmd, void *opts);
/* A certificate id: digits, not 0. */
bool cli_parse_id(const char *s, uint64_t *id);

/* The store of --db, with the hash key (--hash-key, its passphrase from --passphrase-env,
 * --passphrase-file or a prompt) when given, which need_keys requires; read-only with
 * o->read_only. NULL after saying why. Closed with tc_store_close. */
struct tc_store *cli_open_store(const struct opts *o, bool need_keys);

/* For a demo store, says on standard error that it is one and what its clock reads. */
void cli_demo_banner(struct tc_store *s);
/* The subkeys of --hash-key (for a store not created yet); NULL after saying why. */
struct tc_store_keys *cli_store_keys(const struct opts *o);
/* The key file at path, of kind want, as a signer handle; NULL after saying why. */
struct tc_signer *cli_signer(const char *path, const char *penv, const char *pfile,
                             enum tc_key_kind want);
/* true for a single-operator store; for a store set up for the workflow says the command is
 * refused there and what to use instead (before any key or passphrase is asked for). */
bool cli_single_operator(struct tc_store *s, const char *cmd, const char *instead);
/* --root and --trust-list, both required; raw (may be NULL) receives the list's bytes. */
struct tc_trust_list *cli_trust(const struct opts *o, uint8_t **raw, size_t *raw_len);

void cli_print_refusals(const struct tc_refusals *r, const char *file);
/* A progress bar on a terminal (ctx: a struct cli_progress). */
struct cli_progress {
    bool tty;
    long last;
    const char *verb;
};
void cli_progress(void *ctx, size_t done, size_t total);

/* Writes the files of certificates in the store (--out-dir, --base-url; with --pdf the
 * e-certificates too), or says which were not written and the command that writes the rest:
 * the certificates themselves are issued either way. 0, EXIT_REFUSED or EXIT_USAGE. */
int cli_render(struct tc_store *s, const uint64_t *ids, size_t n, const struct opts *o,
               int64_t batch, bool show_qr);

#endif
