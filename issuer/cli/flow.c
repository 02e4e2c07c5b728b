/*
 * flow.c - the workflow's shared options and the commands around batches: accounts (added,
 * enrolled, disabled, roles changed by one admin and confirmed by another), the working-day
 * calendar, and the signer (status, unlock, lock, publish through its socket). Each command that
 * changes something acts as a named account (--as) that proves itself with its password, from a
 * prompt or --password-file, never the environment.
 */
#include <getopt.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"
#include "signer.h"

#define SIGNER_TIMEOUT_MS (10 * 60 * 1000) /* signing a large batch takes a while */

/* ---- options --------------------------------------------------------------------------------- */

#define S(field) 's', offsetof(struct flow, field)
#define B(field) 'b', offsetof(struct flow, field)
static const struct {
    const char *name;
    char kind;
    size_t off;
} table[] = {
    {"db", S(o.db)},
    {"hash-key", S(o.hash_key)},
    {"passphrase-env", S(o.penv)},
    {"passphrase-file", S(o.pfile)},
    {"root", S(o.root)},
    {"trust-list", S(o.trust)},
    {"out", S(o.out)},
    {"decision", S(o.decision)},
    {"reason", S(o.reason)},
    {"date", S(o.date)},
    {"until", S(o.until)},
    {"blacklist-reason", S(o.bl_reason)},
    {"at", S(o.at)},
    {"profile", S(o.profile)},
    {"as", S(as)},
    {"password-file", S(password_file)},
    {"title", S(title)},
    {"issuer-pub", S(issuer_pub)},
    {"objector", S(objector)},
    {"contact", S(contact)},
    {"received", S(received)},
    {"text", S(text)},
    {"outcome", S(outcome)},
    {"rows-hash", S(rows_hash)},
    {"socket", S(socket)},
    {"name", S(name)},
    {"roles", S(roles)},
    {"code-file", S(code_file)},
    {"pin-file", S(pin_file)},
    {"key-passphrase-file", S(key_passphrase_file)},
    {"line", S(line)},
    {"replace", S(replace)},
    {"minutes", S(minutes)},
    {"committee", S(committee)},
    {"upheld", B(upheld)},
    {"dismissed", B(dismissed)},
    {"rows", B(rows)},
    {"objections", B(objections)},
    {"reevaluation", B(reevaluation)},
    {"blacklist", B(o.blacklist)},
    {"workflow", B(workflow)},
    {"demo", B(demo)},
    {"read-only", B(o.read_only)},
};
#undef S
#undef B
#define N_OPTS (sizeof table / sizeof table[0])

int flow_options(int argc, char **argv, const char *cmd, const char *help, struct flow *f)
{
    static struct option longs[N_OPTS + 2];
    for (size_t i = 0; i < N_OPTS; i++) /* each stored where table says */
        longs[i] =
            (struct option){table[i].name, table[i].kind == 's' ? required_argument : no_argument,
                            0, TC_CLI_STORE + (int)table[i].off};
    longs[N_OPTS] = (struct option){"help", no_argument, 0, 'h'};
    memset(f, 0, sizeof *f);
    f->cmd = cmd;
    int rc = tc_cli_getopt(PROG, cmd, help, longs, argc, argv, f, NULL);
    f->argc = argc - optind, f->argv = argv + optind;
    return rc;
}

/* What account, calendar and signer open with: argv[1] is the verb, one of verbs (NULL-ended),
 * and the options after it go into *f. -1 to go on with argv[1]; else the exit status, after the
 * help or after saying what is wrong. The verb is judged after the options, so a bad option is
 * reported before a bad verb, and both messages name the same subcommands from one list. */
static int subcommand(int argc, char **argv, const char *cmd, const char *help,
                      const char *const *verbs, struct flow *f)
{
    char list[128] = "", msg[160];
    for (size_t i = 0; verbs[i]; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", verbs[i]);
    }
    if (argc < 2) {
        snprintf(msg, sizeof msg, "give a subcommand: %s", list);
        return cli_usage(cmd, msg);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, stdout); /* the command's own help, before any subcommand */
        return 0;
    }
    int rc = flow_options(argc - 1, argv + 1, cmd, help, f);
    if (rc)
        return rc < 0 ? 0 : rc;
    for (size_t i = 0; verbs[i]; i++)
        if (strcmp(argv[1], verbs[i]) == 0)
            return -1;
    snprintf(msg, sizeof msg, "the subcommands are %s", list);
    return cli_usage(cmd, msg);
}

/* subcommand(), then the store open in *s and its clock in *now (when now is not NULL): -1 to go
 * on with argv[1] (the caller closes *s), else the exit status */
static int store_subcommand(int argc, char **argv, const char *cmd, const char *help,
                            const char *const *verbs, struct flow *f, struct tc_store **s,
                            uint64_t *now)
{
    int rc = subcommand(argc, argv, cmd, help, verbs, f);
    if (rc >= 0)
        return rc;
    if (!(*s = flow_store(f)))
        return EXIT_USAGE;
    if (now)
        *now = tc_store_clock(*s, (uint64_t)time(NULL));
    return -1;
}

bool flow_number(const char *s, int64_t *n)
{
    uint64_t v;
    if (!s || !cli_parse_id(s, &v) || v > INT64_MAX)
        return false;
    *n = (int64_t)v;
    return true;
}

struct tc_store *flow_store(struct flow *f)
{
    if (!f->o.db) {
        cli_usage(f->cmd, "--db is required"); /* its --help names the store's options */
        return NULL;
    }
    return cli_open_store(&f->o, true);
}

/* A secret from file (its first line) or a no-echo prompt; NULL after saying why. */
static char *secret(const char *file, const char *prompt, size_t *len)
{
    char *p = NULL;
    const char *why;
    enum tc_err e = tc_keys_passphrase(&p, len, NULL, file, prompt, false, &why);
    if (e != TC_OK)
        fprintf(stderr, PROG ": %s: %s\n", file ? file : "prompt", *why ? why : tc_strerror(e));
    return e == TC_OK ? p : NULL;
}

bool flow_acting(struct flow *f, struct tc_store *s, uint64_t now, struct tc_account *a)
{
    if (!f->as) {
        cli_usage("workflow", "--as NAME is required: the account that does this");
        return false;
    }
    char prompt[TC_ACCOUNT_NAME_MAX + 40];
    snprintf(prompt, sizeof prompt, "Password of account %s: ", f->as);
    size_t len = 0;
    char *pw = secret(f->password_file, prompt, &len);
    if (!pw)
        return false;
    const char *why = NULL;
    enum tc_err e = tc_account_auth(s, f->as, pw, len, "cli", now, a, &why);
    tc_keys_passphrase_free(pw, len);
    if (e != TC_OK)
        fprintf(stderr, PROG ": %s: %s\n", f->as, why ? why : tc_strerror(e));
    return e == TC_OK;
}

/* ---- accounts -------------------------------------------------------------------------------- */

static const char account_help[] =
    "Usage: " PROG " account add NAME --name PERSON --roles LIST [--as ADMIN] --db ... \n"
    "       " PROG " account enrol NAME [--code-file F] [--password-file F] --db ...\n"
    "       " PROG " account list --db ...\n"
    "       " PROG " account roles NAME --roles LIST --as ADMIN --db ...\n"
    "       " PROG " account confirm CHANGE --as ADMIN --db ...\n"
    "       " PROG " account half NAME --as ADMIN --db ...\n"
    "       " PROG " account disable NAME --as ADMIN --db ...\n"
    "       " PROG " account reset NAME [--as ADMIN] --db ...\n"
    "       " PROG " account totp NAME [--password-file F] --db ...\n"
    "Accounts of a store set up for the workflow (ISSUANCE.md \"Roles\"). Roles: clerk (录入员),\n"
    "approver (审核员), custodian (密钥保管员), auditor (审计员), admin (系统管理员); an admin or\n"
    "an auditor holds no other role, and nobody is both clerk and approver.\n"
    "  add        without --as: the host's bootstrap, only for the first two admins, printing\n"
    "             a one-time enrolment code (with --password-file the password is set at once\n"
    "             instead); with --as ADMIN the roles wait for a second admin's 'confirm', and\n"
    "             ADMIN is shown only the first half of the code: the admin who confirms the\n"
    "             roles is shown the second, so no admin alone can enrol the account as someone\n"
    "             else. Each hands their half to the person\n"
    "  enrol      the person sets their own password with the code, both halves one after the\n"
    "             other (12 characters or more)\n"
    "  roles      proposes new roles for NAME (pending until 'confirm' by another admin)\n"
    "  half       another admin than the first half's gives the second half of NAME's code (after\n"
    "             'reset', or when the roles were confirmed before)\n"
    "  disable    the account can no longer sign in; its history stays\n"
    "  reset      recovery (a lost password or authenticator): another admin clears NAME's\n"
    "             password, TOTP seed and sessions and gets the first half of a new enrolment\n"
    "             code ('half' by a third admin gives the second); the roles stay. Without --as,\n"
    "             the host, once, with a whole code: only an admin whose code 'migrate' withdrew\n"
    "             when no two other admins were enabled and enrolled ('migrate' said so)\n"
    "  totp       the person, with their password, sees their TOTP seed for an authenticator\n"
    "             app (text and otpauth:// link); the console's first sign-in shows the same one\n"
    "Every change is an audit event. --db FILE --hash-key HASH.key and the passphrase options\n"
    "open the store; --as NAME acts as that account, its password from --password-file or a\n"
    "prompt.\n";

static void print_account(void *ctx, const struct tc_account *a)
{
    (void)ctx;
    char roles[96];
    tc_roles_format(a->roles, roles, sizeof roles);
    printf("%-16s %-16s %-28s %s%s\n", a->name, a->display, roles[0] ? roles : "(pending)",
           a->altered          ? "RECORD ALTERED: does not match its seal (restore a backup)"
           : a->disabled       ? "disabled"
           : a->has_password   ? "active"
           : a->code_withdrawn ? "not enrolled, code withdrawn: reset it"
                               : "not enrolled",
           a->locked_until > (uint64_t)time(NULL) ? ", locked" : "");
}

static void print_change(void *ctx, const struct tc_role_change *c)
{
    bool *first = ctx;
    char roles[96];
    tc_roles_format(c->roles, roles, sizeof roles);
    if (*first)
        printf("waiting for a second admin ('account confirm N'):\n");
    *first = false;
    printf("  change %lld: %s -> %s, proposed by %s\n", (long long)c->id, c->account, roles,
           c->proposed_by);
}

static int account_add(struct flow *f, struct tc_store *s, uint64_t now)
{
    unsigned roles = 0;
    if (f->argc != 1 || !f->name || !f->roles || !tc_roles_parse(f->roles, &roles))
        return cli_usage("account add", "give NAME, --name PERSON and --roles (clerk, approver, "
                                        "custodian, auditor, admin)");
    struct tc_account by;
    if (f->as && !flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    size_t len = 0;
    char *pw = f->password_file && !f->as ? secret(f->password_file, "Password: ", &len) : NULL;
    if (f->password_file && !f->as && !pw)
        return EXIT_USAGE;
    char code[TC_ENROL_CODE_LEN + 1];
    const char *why = NULL;
    enum tc_err e = tc_account_add(s, f->argv[0], f->name, roles, pw, f->as ? &by : NULL, now, code,
                                   NULL, &why);
    tc_keys_passphrase_free(pw, len);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": account add: %s\n", why ? why : tc_strerror(e));
        return e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
    }
    printf("account %s added (%s)%s\n", f->argv[0], f->roles,
           f->as ? "; its roles wait for a second admin's 'account confirm'" : "");
    if (!pw && f->as)
        printf("enrolment code, first half (shown once; the admin who confirms the roles is shown "
               "the second, and the person enters both with 'account enrol'): %s\n",
               code);
    else if (!pw)
        printf("enrolment code (shown once; the person sets a password with 'account enrol'): "
               "%s\n",
               code);
    sodium_memzero(code, sizeof code);
    return 0;
}

static int account_enrol(struct flow *f, struct tc_store *s, uint64_t now)
{
    if (f->argc != 1)
        return cli_usage("account enrol", "give the account's NAME");
    size_t clen = 0, plen = 0;
    char *code = secret(f->code_file, "Enrolment code: ", &clen);
    char *pw =
        code ? secret(f->password_file, "New password (12 characters or more): ", &plen) : NULL;
    const char *why = NULL;
    enum tc_err e = pw ? tc_account_enrol(s, f->argv[0], code, pw, plen, now, &why) : TC_ERR_ARG;
    tc_keys_passphrase_free(code, clen);
    tc_keys_passphrase_free(pw, plen);
    if (pw && e != TC_OK)
        fprintf(stderr, PROG ": account enrol: %s\n", why ? why : tc_strerror(e));
    else if (pw)
        printf("account %s: password set\n", f->argv[0]);
    return e == TC_OK ? 0 : e == TC_ERR_ARG ? EXIT_USAGE : EXIT_REFUSED;
}

static int account_reset(struct flow *f, struct tc_store *s, uint64_t now)
{
    if (f->argc != 1)
        return cli_usage("account reset", "give the NAME of the account to reset");
    /* without --as, the host: only where no two admins could (tc_account_reset) */
    struct tc_account by;
    if (f->as && !flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    char code[TC_ENROL_CODE_LEN + 1];
    const char *why = NULL;
    enum tc_err e = tc_account_reset(s, f->as ? &by : NULL, f->argv[0], now, code, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": account reset: %s\n", why ? why : tc_strerror(e));
        return e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
    }
    if (!f->as)
        printf("account %s reset by the host: password, TOTP and sessions cleared; the person\n"
               "enters this code with 'account enrol', then sets up a new TOTP seed.\n"
               "enrolment code (shown once): %s\n",
               f->argv[0], code);
    else
        printf("account %s reset: password, TOTP and sessions cleared. Another admin gives the "
               "second\nhalf of its new enrolment code ('account half %s'); the person enters both "
               "halves with\n'account enrol', then sets up a new TOTP seed at their next sign-in.\n"
               "enrolment code, first half (shown once): %s\n",
               f->argv[0], f->argv[0], code);
    sodium_memzero(code, sizeof code);
    return 0;
}

/* The person's own TOTP seed, shown on the host after their password */
static int account_totp(struct flow *f, struct tc_store *s)
{
    if (f->argc != 1)
        return cli_usage("account totp", "give the account's NAME");
    struct tc_account a;
    f->as = f->argv[0];
    if (!flow_acting(f, s, (uint64_t)time(NULL), &a))
        return EXIT_REFUSED;
    char b32[TC_TOTP_B32_MAX];
    enum tc_err e = tc_totp_begin(s, a.id, b32);
    if (e == TC_ERR_EXISTS) {
        fprintf(stderr, PROG ": account totp: 此账号的动态口令已启用；丢失时请另一名系统管理员重置"
                        "（account reset） / %s already uses its authenticator; if it is lost, "
                        "another admin resets the account ('account reset')\n",
                a.name);
        return EXIT_REFUSED;
    }
    if (e != TC_OK)
        return cli_fail("account totp", e);
    printf("TOTP seed of %s: %s\n  otpauth://totp/titlecert:%s?secret=%s&issuer=titlecert\n"
           "  (into an authenticator app; the first code accepted at sign-in turns it on)\n",
           a.name, b32, a.name, b32);
    sodium_memzero(b32, sizeof b32);
    return 0;
}

static void print_half(const char *name, const char *half)
{
    printf("enrolment code of %s, second half (shown once; give it to the person, who enters the "
           "first half and then this one with 'account enrol'): %s\n",
           name, half);
}

/* The second half of NAME's enrolment code, given by `by` and printed. */
static int give_half(struct tc_store *s, const struct tc_account *by, const char *name,
                     uint64_t now)
{
    char half[TC_ENROL_HALF_LEN + 1];
    const char *why = NULL;
    enum tc_err e = tc_account_enrol_half(s, by, name, now, half, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": account half: %s\n", why ? why : tc_strerror(e));
        return e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
    }
    print_half(name, half);
    sodium_memzero(half, sizeof half);
    return 0;
}

/* roles, confirm, disable, half: an admin's changes */
static int account_change(struct flow *f, struct tc_store *s, uint64_t now, const char *verb)
{
    unsigned roles = 0;
    int64_t change = 0, id = 0;
    bool is_roles = strcmp(verb, "roles") == 0, is_confirm = strcmp(verb, "confirm") == 0;
    if (f->argc != 1 || (is_roles && (!f->roles || !tc_roles_parse(f->roles, &roles))) ||
        (is_confirm && !flow_number(f->argv[0], &change)))
        return cli_usage(verb, is_confirm ? "give the change number 'account roles' printed"
                                          : "give NAME (and --roles LIST)");
    struct tc_account by;
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    if (strcmp(verb, "half") == 0)
        return give_half(s, &by, f->argv[0], now);
    char account[TC_ACCOUNT_NAME_MAX], half[TC_ENROL_HALF_LEN + 1] = "";
    const char *why = NULL;
    enum tc_err e = is_roles ? tc_role_change_propose(s, &by, f->argv[0], roles, now, &id, &why)
                    : is_confirm
                        ? tc_role_change_confirm_enrol(s, &by, change, now, account, half, &why)
                        : tc_account_disable(s, &by, f->argv[0], now, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": account %s: %s\n", verb, why ? why : tc_strerror(e));
        return e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
    }
    if (is_roles)
        printf("change %lld: %s -> %s, waiting for a second admin's 'account confirm %lld'\n",
               (long long)id, f->argv[0], f->roles, (long long)id);
    else
        printf("%s %s\n", is_confirm ? "confirmed change" : "disabled account", f->argv[0]);
    if (half[0]) /* the admin who confirms a new account's roles gives its code's second half */
        print_half(account, half);
    sodium_memzero(half, sizeof half);
    return 0;
}

int cmd_account(int argc, char **argv)
{
    static const char *const verbs[] = {"add",     "enrol", "list", "roles", "confirm", "half",
                                        "disable", "reset", "totp", NULL};
    struct flow f;
    struct tc_store *s;
    uint64_t now;
    int rc = store_subcommand(argc, argv, "account", account_help, verbs, &f, &s, &now);
    if (rc >= 0)
        return rc;
    const char *verb = argv[1];
    bool first = true;
    if (strcmp(verb, "list") == 0)
        rc = tc_account_list(s, print_account, NULL) == TC_OK &&
                     tc_role_changes_pending(s, print_change, &first) == TC_OK
                 ? 0
                 : EXIT_USAGE;
    else if (strcmp(verb, "add") == 0)
        rc = account_add(&f, s, now);
    else if (strcmp(verb, "enrol") == 0)
        rc = account_enrol(&f, s, now);
    else if (strcmp(verb, "reset") == 0)
        rc = account_reset(&f, s, now);
    else if (strcmp(verb, "totp") == 0)
        rc = account_totp(&f, s);
    else
        rc = account_change(&f, s, now, verb);
    tc_store_close(s);
    return rc;
}

/* ---- the working-day calendar -----------------------------------------------------------------
 */

static const char calendar_help[] =
    "Usage: " PROG " calendar show --db ...\n"
    "       " PROG " calendar period FIRST-DAY DAYS --db ...\n"
    "       " PROG " calendar load YEAR.json --as ADMIN --db ...\n"
    "The working-day calendar a 公示 period is counted on: a file per year of public holidays and\n"
    "调休 workdays with the State Council notice it comes from (data/calendar/, "
    "docs/CALENDAR.md).\n"
    "  show     the years the store holds\n"
    "  period   the last day of a period of DAYS working days from FIRST-DAY (YYYY-MM-DD)\n"
    "  load     an admin loads a new year's file (audited); a period that reaches a year the\n"
    "           store lacks is refused, naming it\n";

static int calendar_period(struct flow *f, struct tc_store *s)
{
    int32_t first, last;
    char *end;
    long days = f->argc == 2 ? strtol(f->argv[1], &end, 10) : 0;
    if (f->argc != 2 || !tc_day_parse(&first, f->argv[0]) || *end || days < 1 ||
        days > TC_CALENDAR_MAX_PERIOD)
        return cli_usage("calendar period", "give FIRST-DAY (YYYY-MM-DD) and a number of days");
    char why[256] = "", a[11], b[11];
    enum tc_err e = tc_store_period(s, first, (int)days, &last, why, sizeof why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": calendar period: %s\n", why[0] ? why : tc_strerror(e));
        return EXIT_REFUSED;
    }
    tc_day_format(a, first), tc_day_format(b, last);
    printf("%ld 个工作日：%s 至 %s / %ld working days: %s to %s\n", days, a, b, days, a, b);
    return 0;
}

static int calendar_load(struct flow *f, struct tc_store *s, uint64_t now)
{
    if (f->argc != 1)
        return cli_usage("calendar load", "give one YEAR.json");
    uint8_t *json = NULL;
    size_t len = 0;
    enum tc_err e = tc_file_read(f->argv[0], TC_CALENDAR_MAX_BYTES, &json, &len);
    if (e != TC_OK)
        return cli_fail(f->argv[0], e);
    struct tc_account by;
    int year = 0, rc = EXIT_REFUSED;
    char why[256] = "";
    if (flow_acting(f, s, now, &by)) {
        e = tc_calendar_admin_load(s, &by, (const char *)json, len, now, &year, why, sizeof why);
        if (e != TC_OK)
            fprintf(stderr, PROG ": calendar load: %s: %s\n", f->argv[0],
                    why[0] ? why : tc_strerror(e));
        else
            printf("working-day calendar of %d loaded from %s\n", year, f->argv[0]), rc = 0;
    }
    free(json);
    return rc;
}

int cmd_calendar(int argc, char **argv)
{
    static const char *const verbs[] = {"show", "period", "load", NULL};
    struct flow f;
    struct tc_store *s;
    int rc = store_subcommand(argc, argv, "calendar", calendar_help, verbs, &f, &s, NULL);
    if (rc >= 0)
        return rc;
    const char *verb = argv[1];
    if (strcmp(verb, "show") == 0) {
        int years[64];
        size_t n = 0;
        rc = tc_store_calendar_years(s, years, 64, &n) == TC_OK ? 0 : EXIT_USAGE;
        printf("working-day calendar years:");
        for (size_t i = 0; i < n; i++)
            printf(" %d", years[i]);
        printf("%s\n", n ? "" : " none");
    } else {
        rc = strcmp(verb, "period") == 0 ? calendar_period(&f, s) : calendar_load(&f, s, tc_store_clock(s, (uint64_t)time(NULL)));
    }
    tc_store_close(s);
    return rc;
}

/* ---- the signer ----------------------------------------------------------------------------- */

static const char signer_help[] =
    "Usage: " PROG " signer status [--socket PATH]\n"
    "       " PROG " signer unlock --as CUSTODIAN --minutes M [--passphrase-file F]\n"
    "                               [--key-passphrase-file F] [--pin-file F]\n"
    "                               [--password-file F] [--socket PATH]\n"
    "       " PROG " signer lock [--socket PATH]\n"
    "       " PROG " signer publish --as CUSTODIAN [--password-file F] [--socket PATH]\n"
    "Talks to titlecert-signer on its Unix socket (default $TITLECERT_SIGNER_SOCKET or\n"
    "/run/titlecert/signer.sock).\n"
    "  status    locked or unlocked, by whom and until when\n"
    "  unlock    a key custodian opens the keys for M minutes (at most the signer's\n"
    "            --window-max): the store's passphrase (--passphrase-file), the key files' own\n"
    "            when they have one (--key-passphrase-file; else the store's opens them), a\n"
    "            token's PIN, and their password\n"
    "  lock      locks it at once (anyone may)\n"
    "  publish   signs and writes the publication: bundle, register, checkpoint, head\n"
    "Batches are signed with 'batch sign', 'revocation sign', 'conversion sign'.\n";

/* Adds a secret member read from file or a prompt; false after saying why. */
static bool add_secret(json_t *o, const char *key, const char *file, const char *prompt)
{
    size_t len = 0;
    char *v = secret(file, prompt, &len);
    if (!v)
        return false;
    json_object_set_new(o, key, json_stringn(v, len));
    tc_keys_passphrase_free(v, len);
    return true;
}

/* Prints the signer's answer; its exit status. */
static int print_answer(const char *op, const char *reply)
{
    json_error_t err;
    json_t *a = json_loads(reply, 0, &err);
    if (!a || !json_is_object(a)) {
        fprintf(stderr, PROG ": signer %s: an answer that is not JSON\n", op);
        json_decref(a);
        return EXIT_USAGE;
    }
    int rc = 0;
    if (!json_is_true(json_object_get(a, "ok"))) {
        fprintf(stderr, PROG ": signer %s: %s (%s)\n", op,
                json_string_value(json_object_get(a, "message")),
                json_string_value(json_object_get(a, "error")));
        json_t *refs = json_object_get(a, "refusals"), *r;
        size_t i;
        json_array_foreach(refs, i, r)
            fprintf(stderr, "  line %lld: (rule %s) %s\n",
                    (long long)json_integer_value(json_object_get(r, "line")),
                    json_string_value(json_object_get(r, "rule")),
                    json_string_value(json_object_get(r, "message")));
        rc = EXIT_REFUSED;
    } else {
        json_object_del(a, "ok");
        char *t = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        printf("signer %s: %s\n", op, t ? t : "");
        free(t);
    }
    json_decref(a);
    return rc;
}

int flow_signer(struct flow *f, const char *op, json_t *extra, bool as_account)
{
    const char *env = getenv("TITLECERT_SIGNER_SOCKET");
    const char *path = f->socket ? f->socket : env && *env ? env : "/run/titlecert/signer.sock";
    json_t *o = extra ? extra : json_object();
    json_object_set_new(o, "op", json_string(op));
    if (as_account) {
        char prompt[TC_ACCOUNT_NAME_MAX + 40];
        snprintf(prompt, sizeof prompt, "Password of account %s: ", f->as ? f->as : "");
        if (!f->as) {
            json_decref(o);
            return cli_usage(op, "--as CUSTODIAN is required");
        }
        json_object_set_new(o, "account", json_string(f->as));
        if (!add_secret(o, "password", f->password_file, prompt)) {
            json_decref(o);
            return EXIT_USAGE;
        }
    }
    char *req = json_dumps(o, JSON_COMPACT);
    json_decref(o); /* jansson's copies of secrets are freed here; req is wiped below */
    char *reply = NULL;
    enum tc_err e = req ? tc_signer_call(path, req, SIGNER_TIMEOUT_MS, &reply) : TC_ERR_NOMEM;
    if (req)
        sodium_memzero(req, strlen(req));
    free(req);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": signer %s: %s: %s%s\n", op, path, tc_strerror(e),
                e == TC_ERR_IO ? " (is titlecert-signer running there?)" : "");
        return EXIT_USAGE;
    }
    int rc = print_answer(op, reply);
    free(reply);
    return rc;
}

void flow_signer_sees(struct flow *f)
{
    const char *env = getenv("TITLECERT_SIGNER_SOCKET");
    const char *path = f->socket ? f->socket : env && *env ? env : "/run/titlecert/signer.sock";
    char *reply = NULL;
    if (tc_signer_call(path, "{\"op\":\"status\"}", 2000, &reply) != TC_OK)
        fprintf(stderr, PROG ": note: titlecert-signer (%s) was not reached: the 公示's period runs "
                         "from the day it first sees it in the register\n", path);
    free(reply);
}

static int signer_unlock(struct flow *f)
{
    char *end;
    long m = f->minutes ? strtol(f->minutes, &end, 10) : 0;
    if (!f->minutes || *end || m < 1 || m > TC_SIGNER_WINDOW_MAX)
        return cli_usage("signer unlock", "--minutes takes 1..480");
    json_t *o = json_object();
    json_object_set_new(o, "minutes", json_integer(m));
    if (!add_secret(o, "passphrase", f->o.pfile, "Passphrase of the store (its hash key): ") ||
        (f->key_passphrase_file && !add_secret(o, "key_passphrase", f->key_passphrase_file,
                                               "Passphrase of the key files: ")) ||
        (f->pin_file && !add_secret(o, "pin", f->pin_file, "Token PIN: "))) {
        json_decref(o);
        return EXIT_USAGE;
    }
    return flow_signer(f, "unlock", o, true);
}

int cmd_signer(int argc, char **argv)
{
    static const char *const verbs[] = {"status", "unlock", "lock", "publish", NULL};
    struct flow f;
    int rc = subcommand(argc, argv, "signer", signer_help, verbs, &f);
    if (rc >= 0)
        return rc;
    const char *verb = argv[1];
    if (strcmp(verb, "unlock") == 0)
        return signer_unlock(&f);
    /* status and lock are anyone's; publish is a custodian's, who proves it with their password */
    return flow_signer(&f, verb, NULL, strcmp(verb, "publish") == 0);
}
