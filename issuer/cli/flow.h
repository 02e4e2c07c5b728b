/*
 * flow.h - the workflow's commands of titlecert-issuer (flow.c: options, acting as an account,
 * accounts, the calendar, the signer; batch.c: batches, revocations, conversions).
 */
#ifndef TC_ISSUER_FLOW_H
#define TC_ISSUER_FLOW_H

#include <jansson.h>

#include "cli.h"

/* The options of the workflow's commands; o holds those the store commands share. */
struct flow {
    struct opts o;
    const char *as, *password_file, *title, *issuer_pub, *objector, *contact, *received, *text;
    const char *outcome, *rows_hash, *socket, *name, *roles, *code_file, *pin_file, *line;
    const char *replace, *minutes, *committee, *key_passphrase_file;
    bool upheld, dismissed, rows, objections, reevaluation, workflow, demo;
    const char *cmd; /* the command, for messages */
    int argc;        /* the arguments left after the options */
    char **argv;
};

/* Parses argv (argv[0] the verb) into *f: 0, -1 after printing help, or a usage status. */
int flow_options(int argc, char **argv, const char *cmd, const char *help, struct flow *f);
/* The store of --db with its hash key (NULL after saying why). */
struct tc_store *flow_store(struct flow *f);
/* Proves --as with its password (--password-file or a prompt): false after saying why. */
bool flow_acting(struct flow *f, struct tc_store *s, uint64_t now, struct tc_account *a);
/* A batch, objection or change number: digits, not 0. */
bool flow_number(const char *s, int64_t *n);
/* Asks the signer (--socket, $TITLECERT_SIGNER_SOCKET or the default) for op with the members
 * in extra (a JSON object, may be NULL) as --as with its password; prints the answer. 0, or
 * EXIT_REFUSED when the signer refused, EXIT_USAGE when it could not be reached. */
int flow_signer(struct flow *f, const char *op, json_t *extra, bool as_account);

/* Asks the signer for its status, so that it scans the register now: a 公示 just written is
 * seen (and its period dated) at once. Says so when the signer is not reached. */
void flow_signer_sees(struct flow *f);

int cmd_account(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_signer(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_revocation(int argc, char **argv);
int cmd_conversion(int argc, char **argv);

#endif
