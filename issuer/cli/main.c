/*
 * main.c - titlecert-issuer: the store (init), the unit directory and records, issuance (issue,
 * import), conversion, revocation, certificates shown in readable Chinese, the audit check, the
 * status bundle and the publication; plus `sign`, which issues one certificate without a store.
 * Each command parses its options, calls the issuer library and prints; what they share is in
 * cli.c.
 *
 * Secret keys are unlocked once per command and kept read-only while used. Every refusal names
 * its rule. Exit status: 0 done, 1 refused by a rule (or audit failed), 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "flow.h"
#include "signer.h"
#include "titlecert_config.h"
#include "witness.h"

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

/* A JSON file of claims or a request, read whole; NULL after saying why. */
static char *read_json(const char *path, size_t *len)
{
    uint8_t *raw = NULL;
    enum tc_err e = tc_file_read(path, TC_CLAIMS_JSON_MAX, &raw, len);
    if (e != TC_OK)
        cli_fail(path, e);
    return (char *)raw;
}

/* Says what is wrong with a JSON file: where it is not JSON, or which claim. */
static int json_refused(const char *path, enum tc_err e, const char *field, int line)
{
    if (!field && line)
        fprintf(stderr, PROG ": %s: line %d: not valid JSON\n", path, line);
    else
        fprintf(stderr, PROG ": %s: claim '%s': %s\n", path, field ? field : "?", tc_strerror(e));
    return EXIT_USAGE;
}

/* ---- sign ---------------------------------------------------------------------------------- */

static const char sign_help[] =
    "Usage: " PROG " sign --key ISSUER.key --claims FILE.json --out-dir DIR --base-url URL\n"
    "                      [--root ROOT.pub --trust-list FILE] [--qr] [passphrase options]\n"
    "       " PROG " sign --pkcs11-module SO --token LABEL --key-label LABEL ... [PIN options]\n"
    "Issues one certificate. Writes DIR/<id>.txt (payload), DIR/<id>.link, DIR/<id>.png and\n"
    "DIR/<id>.svg (QR code), and prints the link.\n\n"
    "  --claims FILE.json      the claims (see docs/FORMAT.md); \"id_number\" is reduced to its\n"
    "                          mask and never stored; \"issued_at\" defaults to now\n"
    "  --base-url URL          where the public verification page is, e.g. https://zc.example.cn\n"
    "  --root, --trust-list    check the key's endorsement (term and scope, rule A1) first\n"
    "  --qr                    show the QR code on the terminal (default when it is one)\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the issuer key (default: prompt)\n"
    "  --pkcs11-module SO      sign with an Ed25519 key on a PKCS#11 token instead of --key:\n"
    "  --token, --key-label    the token's label and the key's (see titlecert-keys token-pub)\n"
    "  --pin-env VAR, --pin-file FILE   the token's user PIN (default: prompt)\n\n"
    "Exit status: 0 issued, 1 refused by a rule, 2 usage or I/O error.\n";

struct sign_opts {
    const char *key, *claims, *dir, *base, *root, *trust, *penv, *pfile;
    const char *module, *token, *key_label, *pin_env, *pin_file; /* a key on a token */
    bool show_qr;
};

static int sign_options(int argc, char **argv, struct sign_opts *o)
{
#define AT(field) TC_CLI_AT(struct sign_opts, field)
    static const struct option opts[] = {
        {"key", required_argument, 0, AT(key)},     {"claims", required_argument, 0, AT(claims)},
        {"out-dir", required_argument, 0, AT(dir)}, {"base-url", required_argument, 0, AT(base)},
        {"root", required_argument, 0, AT(root)},   {"trust-list", required_argument, 0, AT(trust)},
        {"qr", no_argument, 0, AT(show_qr)},
        {"passphrase-env", required_argument, 0, AT(penv)},
        {"passphrase-file", required_argument, 0, AT(pfile)}, {"help", no_argument, 0, 'h'},
        {"pkcs11-module", required_argument, 0, AT(module)},
        {"token", required_argument, 0, AT(token)},
        {"key-label", required_argument, 0, AT(key_label)},
        {"pin-env", required_argument, 0, AT(pin_env)},
        {"pin-file", required_argument, 0, AT(pin_file)}, {0, 0, 0, 0}};
#undef AT
    memset(o, 0, sizeof *o);
    o->show_qr = isatty(STDOUT_FILENO);
    int rc = tc_cli_getopt(PROG, "sign", sign_help, opts, argc, argv, o, NULL);
    if (rc)
        return rc;
    if (!o->claims || !o->dir || !o->base)
        return cli_usage("sign", "--claims, --out-dir and --base-url are required");
    if ((o->key != NULL) == (o->module != NULL))
        return cli_usage("sign", "give --key, or --pkcs11-module with --token and --key-label");
    if (o->module && (!o->token || !o->key_label))
        return cli_usage("sign", "--pkcs11-module needs --token and --key-label");
    if ((o->root == NULL) != (o->trust == NULL))
        return cli_usage("sign", "--root and --trust-list go together");
    if (tc_base_url_check(o->base) != TC_OK)
        return cli_usage("sign", "--base-url must be http(s)://host[:port][/path] without a "
                                 "trailing slash, query or fragment");
    return 0;
}

/* The issuer key on a token, its PIN from --pin-env, --pin-file or a prompt; NULL after saying
 * why. It signs as an issuer key named by its label. */
static struct tc_signer *token_signer(const struct sign_opts *o)
{
    struct tc_pkcs11_key where = {.module = o->module, .token = o->token,
                                  .key_label = o->key_label, .kind = TC_KEY_ISSUER,
                                  .name = o->key_label};
    struct tc_signer *s;
    char why[TC_PKCS11_TOKEN_LABEL_MAX + TC_PKCS11_DETAIL_MAX + 80];
    if (tc_keys_pkcs11_open_pin(&s, &where, o->pin_env, o->pin_file, why, sizeof why) != TC_OK)
        fprintf(stderr, PROG ": %s\n", why);
    return s;
}

/* Signs claims with the key and, with a trust list, checks the key may (A1, A2). */
static int sign_checked(const struct sign_opts *o, const struct tc_claims *claims,
                        const struct tc_trust_list *tl, uint8_t *msg, size_t *msg_len)
{
    struct tc_signer *sk = o->module ? token_signer(o) : cli_signer(o->key, o->penv, o->pfile, 0);
    int rc = EXIT_USAGE;
    enum tc_err e;
    if (!sk)
        return EXIT_USAGE;
    if (tc_signer_pub(sk)->kind != TC_KEY_ISSUER) {
        fprintf(stderr, PROG ": %s: not an issuer key\n", o->key ? o->key : o->key_label);
    } else if ((e = tc_keys_sign_cert(msg, TC_CERT_MAX_BYTES, msg_len, claims, sk)) != TC_OK) {
        cli_fail("sign", e);
    } else {
        struct tc_cert cert;
        e = TC_OK;
        if (tl && (e = tc_cert_decode(msg, *msg_len, &cert, NULL)) == TC_OK)
            e = tc_trust_check_cert(tl, &cert, NULL);
        if (e != TC_OK)
            fprintf(stderr, PROG ": sign: refused: %s\n", rule_of(e));
        rc = e == TC_OK ? 0 : EXIT_REFUSED;
    }
    tc_signer_close(sk);
    return rc;
}

static int cmd_sign(int argc, char **argv)
{
    struct sign_opts o;
    int rc = sign_options(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    /* Claims first: nothing is unlocked for input that cannot be signed. */
    struct tc_claims claims;
    size_t len;
    char *json = read_json(o.claims, &len);
    if (!json)
        return EXIT_USAGE;
    const char *field;
    int line;
    enum tc_err e = tc_claims_parse_json(json, len, (uint64_t)time(NULL), &claims, &field, &line);
    free(json);
    if (e != TC_OK)
        return json_refused(o.claims, e, field, line);
    struct tc_trust_list *tl = NULL;
    const char *which;
    if (o.trust && (e = tc_trust_list_load(o.root, o.trust, &tl, NULL, NULL, &which)) != TC_OK)
        return cli_fail(which, e);
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t msg_len = 0;
    struct tc_cert_files files;
    if ((rc = sign_checked(&o, &claims, tl, msg, &msg_len)) == 0 &&
        (e = tc_cert_files_write(o.dir, o.base, claims.id, msg, msg_len, &files)) != TC_OK)
        rc = cli_fail(files.failed, e);
    tc_trust_list_free(tl);
    if (rc != 0)
        return rc;
    const struct tc_title *t = tc_title_lookup(claims.series, claims.level, claims.title_variant);
    if (o.show_qr) {
        struct tc_qr qr;
        char *art = tc_qr_encode(&qr, files.link, TC_QR_M) == TC_OK ? tc_qr_to_terminal(&qr) : NULL;
        if (art)
            fputs(art, stdout), tc_qr_free(&qr);
        free(art);
    }
    printf("issued certificate %llu: %s, %s %s (%s), QR version %d at ECC M\n",
           (unsigned long long)claims.id, claims.name, t ? t->series_name : "?",
           t ? t->title : "?", tc_track_name_zh(claims.track), files.qr_version);
    printf("  link:    %s\n  files:   %s/%llu.{txt,link,png,svg}\n", files.link, o.dir,
           (unsigned long long)claims.id);
    return 0;
}

/* ---- render, migrate, init ----------------------------------------------------------------- */

static const char render_help[] =
    "Usage: " PROG " render --db FILE --out-dir DIR --base-url URL (--batch B | CERT_ID...)\n"
    "                       [--threads N] [--pdf --root ROOT.pub --trust-list FILE [--force]\n"
    "                        [--status-stamp]]\n"
    "Writes the output files of certificates already issued, from the store: DIR/<id>.txt\n"
    "(payload), .link, .png and .svg (the QR code). For a batch whose files could not be written\n"
    "at import (a full disk, say), or to render again for another verification address. Reads\n"
    "the store only (a read-only copy works); files are written to a temporary name and renamed.\n"
    "  --pdf        also the holder's e-certificate, DIR/<id>.pdf (rule A4): one A4 page with\n"
    "               the title, scope, conversion path, QR code (an image, sharp at any size)\n"
    "               and the organiser's seal (set with '" PROG " seal'); each certificate's\n"
    "               signature is checked against the trust list, whose endorsement names the\n"
    "               committee\n"
    "  --threads N  threads making the files and PDFs (default: one for each processor this\n"
    "               process may use, at most 16), with a progress bar on a terminal\n"
    "  --force      render PDFs that are already complete again (else they are kept, so an\n"
    "               interrupted run resumes)\n"
    "  --status-stamp  render revoked and superseded certificates too, with 已撤销 REVOKED or\n"
    "               已换发 SUPERSEDED (and the successor) stamped across the page; without it\n"
    "               they are refused, naming them, and nothing is rendered\n";

static int cmd_render(void *opts)
{
    struct opts *o = opts;
    if (!o->out_dir || !o->base)
        return cli_usage("render", "--out-dir and --base-url are required");
    if (o->pdf && (!o->root || !o->trust))
        return cli_usage("render", "--pdf needs --root and --trust-list (the committee's name "
                                     "and the signature are checked before a certificate is rendered)");
    if (!o->batch == !(o->argc > 0))
        return cli_usage("render", "give --batch B or certificate ids, not both");
    struct tc_store *s = NULL;
    enum tc_err e = tc_store_open_ro(&s, o->db, NULL);
    if (e != TC_OK)
        return cli_fail(o->db, e);
    uint64_t *ids = NULL;
    size_t n = 0;
    if (o->batch) {
        if ((e = tc_batch_certs(s, o->batch, &ids, &n)) != TC_OK) {
            if (e == TC_ERR_NOT_FOUND)
                fprintf(stderr, PROG ": render: no batch %lld in %s\n", o->batch, o->db);
            else
                cli_fail("render", e);
            tc_store_close(s);
            return EXIT_USAGE;
        }
    } else {
        n = (size_t)o->argc;
        ids = calloc(n, sizeof *ids);
        for (size_t i = 0; ids && i < n; i++)
            if (!cli_parse_id(o->argv[i], &ids[i])) {
                free(ids);
                tc_store_close(s);
                return cli_usage("render", "certificate ids are numbers");
            }
    }
    int rc = ids ? cli_render(s, ids, n, o, o->batch, false) : cli_fail("render", TC_ERR_NOMEM);
    free(ids);
    tc_store_close(s);
    return rc;
}

static const char migrate_help[] =
    "Usage: " PROG " migrate --db FILE [--hash-key HASH.key [--reseal-accounts]] [--workflow]\n"
    "Upgrades a store written by an older titlecert-issuer to this program's schema. It first\n"
    "copies the store with SQLite's online backup API to FILE.schema<N>-<time>.bak (mode 0600),\n"
    "then upgrades it in one transaction per step. Other commands refuse an older store rather\n"
    "than upgrade it silently.\n"
    "  --hash-key   the store's hash key: needed by a store with accounts on its way to schema\n"
    "               11, which seals each account's record (password hash, second factor, lock,\n"
    "               roles) as it stands, so that one written into the file later is refused.\n"
    "               Check the accounts ('account list') before, and upgrade from a copy you\n"
    "               trust. Needed by --workflow too. A store whose records were sealed before\n"
    "               (its version set back by hand) is refused: restore a backup.\n"
    "  --reseal-accounts  seal them again all the same, as they stand: only once every\n"
    "               account's password, second factor and roles are checked.\n"
    "  --workflow   then sets the store to issue through the workflow (公示, approval, the\n"
    "               signer; see 'init --workflow') from now on, keeping its certificates,\n"
    "               register and audit chain. One way: nothing turns it back.\n";

/* migrate --workflow: the one-way switch of a single-operator store */
static int enable_workflow(const struct opts *o)
{
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    enum tc_err e = tc_store_workflow_enable(s, (uint64_t)time(NULL));
    if (e == TC_ERR_EXISTS)
        printf("%s: already issues through the workflow\n", o->db);
    else if (e != TC_OK)
        fprintf(stderr, PROG ": %s: %s %s\n", o->db, tc_strerror(e), tc_store_errmsg(s));
    else
        printf("%s: issues through the workflow from now on (公示, approval, titlecert-signer); "
               "the first two admins: 'account add NAME --roles admin'\n", o->db);
    tc_store_close(s);
    return e == TC_OK || e == TC_ERR_EXISTS ? 0 : EXIT_USAGE;
}

static int cmd_migrate(void *opts)
{
    struct opts *o = opts;
    char backup[4096];
    int from, to;
    char why[1600] = "";
    struct tc_store_keys *keys = o->hash_key ? cli_store_keys(o) : NULL;
    if (o->hash_key && !keys)
        return EXIT_USAGE;
    enum tc_err e =
        tc_store_migrate(o->db, keys, o->reseal, backup, sizeof backup, &from, &to, why, sizeof why);
    tc_store_keys_free(keys);
    if (e != TC_OK && why[0]) {
        fprintf(stderr, PROG ": %s: %s\n", o->db, why);
        return EXIT_USAGE;
    }
    if (e != TC_OK)
        return cli_fail(o->db, e);
    if (!backup[0])
        printf("%s: schema %d is current; nothing to do\n", o->db, from);
    else
        printf("%s: backed up to %s\n%s: schema %d -> %d\n", o->db, backup, o->db, from, to);
    if (why[0]) /* what the upgrade did that needs someone: codes withdrawn (schema 10) */
        printf("%s: %s\n", o->db, why);
    return o->workflow ? enable_workflow(o) : 0;
}

static const char init_help[] =
    "Usage: " PROG " init --db FILE --profile GS|SD|JL|CQ|SX|FILE.json --hash-key HASH.key\n"
    "                     [--workflow | --demo]\n"
    "Creates a store for one province profile: a name looks in " TITLECERT_DATADIR "/profiles\n"
    "(or $TITLECERT_PROFILES), a FILE.json is read as given. The hash key (titlecert-keys\n"
    "hash-key-create) keys holder look-ups and the audit chain; it is bound to the store.\n"
    "  --workflow   issuance as departments run it (ISSUANCE.md): results are publicised (公示),\n"
    "               approved by a second person and signed by titlecert-signer; import, issue,\n"
    "               revoke, convert, bundle export and publish are refused in this store.\n"
    "               Fixed at creation. The first two admins: 'account add NAME --roles admin'\n"
    "  --demo       a workflow store for demonstrations, whose clock TITLECERT_DEMO_CLOCK\n"
    "               (days, -400..400) may move so a 公示 can be shown passing; it says it is a\n"
    "               demo store on every command. Never use one for real certificates.\n"
    "Without either: a single-operator store (import signs at once), as before.\n";

static char *read_profile(const char *name, size_t *len)
{
    char path[4096];
    uint8_t *buf;
    if (strlen(name) == 2) {
        const char *dir = getenv("TITLECERT_PROFILES");
        /* installed profiles, or TITLECERT_PROFILES (a build-tree program run from the source) */
        snprintf(path, sizeof path, "%s/%s.json", dir && *dir ? dir : TITLECERT_DATADIR "/profiles",
                 name);
    } else {
        snprintf(path, sizeof path, "%s", name);
    }
    enum tc_err e = tc_file_read(path, TC_PROFILE_MAX_BYTES, &buf, len);
    if (e != TC_OK) {
        cli_fail(path, e);
        return NULL;
    }
    buf[*len] = '\0';
    return (char *)buf;
}

/* The working-day years a new store holds (the 公示 periods are counted on them). */
static void print_calendar_years(const char *db)
{
    struct tc_store *s = NULL;
    int years[64];
    size_t n = 0;
    if (tc_store_open_ro(&s, db, NULL) != TC_OK ||
        tc_store_calendar_years(s, years, 64, &n) != TC_OK) {
        tc_store_close(s);
        return;
    }
    tc_store_close(s);
    printf("working-day calendar:");
    for (size_t i = 0; i < n; i++)
        printf(" %d", years[i]);
    if (!n)
        printf(" none found in %s: an admin loads each year ('calendar load YEAR.json') before "
               "a 公示 can be counted", tc_calendar_dir());
    printf("\n");
}

static int cmd_init(void *opts)
{
    struct opts *o = opts;
    if (!o->profile || !o->hash_key)
        return cli_usage("init", "--profile and --hash-key are required");
    size_t len;
    char *profile = read_profile(o->profile, &len);
    if (!profile)
        return EXIT_USAGE;
    struct tc_store_keys *keys = cli_store_keys(o);
    const char *why = NULL;
    enum tc_err e = TC_ERR_ARG;
    if (keys)
        e = tc_store_init_mode(o->db, profile, len, keys,
                               (o->workflow ? TC_STORE_WORKFLOW : 0) |
                                   (o->demo ? TC_STORE_DEMO : 0),
                               &why);
    if (e == TC_OK) {
        struct tc_profile p;
        tc_profile_parse(&p, profile, len, &why);
        printf("store %s created for %s (%s), profile version %d%s\n", o->db, p.name, p.code,
               p.version, o->demo       ? "; a DEMO workflow store (演示库)"
                          : o->workflow ? "; issuance through the workflow (公示, approval, signer)"
                                       : "");
        print_calendar_years(o->db);
    } else if (keys) {
        if (why && e != TC_ERR_EXISTS)
            fprintf(stderr, PROG ": %s: profile: %s: %s\n", o->profile, why, tc_strerror(e));
        else
            cli_fail(o->db, e);
    }
    free(profile);
    tc_store_keys_free(keys);
    return e == TC_OK ? 0 : EXIT_USAGE;
}

/* ---- units and records --------------------------------------------------------------------- */

static const char units_help[] =
    "Usage: " PROG " units import --db FILE --hash-key HASH.key [--strict-uscc] [--as ADMIN] UNITS.csv\n"
    "Imports basic-level unit directory entries (docs/CSV.md): uscc, name, division, tier,\n"
    "basic_level (optional: yes/no), valid_from, valid_to (optional). All or nothing: every bad\n"
    "line is listed and nothing is written. A USCC failing its GB 32100 check character is kept\n"
    "with a warning (early pilot codes do fail it) unless --strict-uscc. In a store set up for the\n"
    "workflow, once it has an admin, an admin imports it: --as ADMIN, the password from\n"
    "--password-file or a prompt (the directory decides where basic-level titles are valid).\n";

static const char records_help[] =
    "Usage: " PROG " records import --db FILE --hash-key HASH.key [--as CLERK] (employment|assessments|ce) FILE.csv\n"
    "Imports the records behind the conversion path (docs/CSV.md):\n"
    "  employment   id_number,name,unit,from,to      periods at a unit (to empty: still there)\n"
    "  assessments  id_number,name,year,result       annual assessment: 优秀/合格/基本合格/不合格\n"
    "  ce           id_number,name,year,hours        continuing-education hours (C2)\n"
    "All or nothing; ID numbers are hashed, never stored. In a store set up for the workflow,\n"
    "once it has an admin, a clerk imports them: --as CLERK (--password-file or a prompt).\n";

/* units import and records import: the same all-or-nothing import, its refusals by line */
static int import_records(struct opts *o, const char *kind, const char *file)
{
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_refusals ref = {0};
    size_t n = 0, warnings = 0;
    struct tc_account a, *by = NULL;
    if (o->as) { /* in a workflow store: the account that imports, with its password */
        struct flow f = {.o = *o, .as = o->as, .password_file = o->password_file};
        if (!flow_acting(&f, s, (uint64_t)time(NULL), &a)) {
            tc_store_close(s);
            return EXIT_REFUSED;
        }
        by = &a;
    }
    enum tc_err e = kind ? tc_records_import_as(s, by, kind, file, &ref, &n)
                         : tc_units_import_as(s, by, file, o->strict_uscc, &ref, &n, &warnings);
    cli_print_refusals(&ref, file);
    if (e == TC_OK && kind)
        printf("imported %zu %s records\n", n, kind);
    else if (e == TC_OK)
        printf("imported %zu units (%zu warnings)\n", n, warnings);
    else if (e == TC_ERR_REFUSED && *tc_store_errmsg(s))
        fprintf(stderr, PROG ": %s: %s; 未导入任何记录 / nothing imported\n", file,
                tc_store_errmsg(s));
    else if (e == TC_ERR_REFUSED)
        fprintf(stderr, PROG ": %s: 未导入任何记录 / nothing imported\n", file);
    else
        fprintf(stderr, PROG ": %s: %s %s\n", file, tc_strerror(e), tc_store_errmsg(s));
    tc_refusals_free(&ref);
    tc_store_close(s);
    return e == TC_OK ? 0 : e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
}

static int cmd_units(void *opts)
{
    struct opts *o = opts;
    if (o->argc != 1)
        return cli_usage("units import", "give one UNITS.csv");
    return import_records(o, NULL, o->argv[0]);
}

static int cmd_records(void *opts)
{
    struct opts *o = opts;
    if (o->argc != 2)
        return cli_usage("records import", "give a kind (employment, assessments, ce) and a file");
    const char *kind = o->argv[0], *file = o->argv[1];
    if (strcmp(kind, "employment") && strcmp(kind, "assessments") && strcmp(kind, "ce"))
        return cli_usage("records import", "the kind is employment, assessments or ce");
    return import_records(o, kind, file);
}

/* ---- issue and import ---------------------------------------------------------------------- */

static const char import_help[] =
    "Usage: " PROG " import --db FILE --hash-key HASH.key --key ISSUER.key --root ROOT.pub\n"
    "                       --trust-list FILE [--out-dir DIR --base-url URL [--threads N]]\n"
    "                       [--dry-run] RESULTS.csv\n"
    "Issues a committee's results (docs/CSV.md; UTF-8, as Excel's \"CSV UTF-8\" saves it). The\n"
    "whole file is checked first: every field, then every row that reads against the rules (T1,\n"
    "C4, S2/S3, D1, D2, A1, A2 blacklist) and the store; every refusal is listed in line order\n"
    "with its field or rule, and nothing is issued unless there is none. Then all certificates\n"
    "are signed and stored in one transaction. --out-dir writes each certificate's payload,\n"
    "link, PNG and SVG, on --threads N threads (default: one for each processor this process\n"
    "may use, at most 16); with --pdf also its e-certificate (as 'render --pdf': a seal for the\n"
    "key).\n";

/* "N refusals on M lines; nothing issued" */
static void print_refused(const struct tc_refusals *ref, const char *source)
{
    size_t lines = 0;
    for (size_t i = 0; i < ref->n; i++) /* sorted by line */
        lines += i == 0 || ref->v[i].line != ref->v[i - 1].line;
    fprintf(stderr, PROG ": %s: %zu 处拒绝，涉及 %zu 行%s；未签发任何证书 / %zu refusal%s on %zu "
            "line%s%s; nothing issued\n", source, ref->total, lines,
            ref->total > ref->n ? "（只列出前面的）" : "", ref->total, ref->total == 1 ? "" : "s",
            lines, lines == 1 ? "" : "s", ref->total > ref->n ? " (the first ones listed)" : "");
}

/* Checks requests against the rules, then (unless a dry run) unlocks the key and issues them in
 * one transaction, then writes their files. ref holds the refusals of the rows of the file
 * that did not read (their rows are not in reqs): they are listed with the rule refusals of the
 * others, in line order, and keep anything from being issued. */
static int issue_requests(const struct opts *o, struct tc_store *s, struct tc_issue_request *reqs,
                          size_t n, const char *source, bool show_qr, struct tc_refusals *ref)
{
    struct tc_trust_list *tl = cli_trust(o, NULL, NULL);
    struct tc_signer *sk = NULL;
    struct tc_keyfile_info info;
    uint64_t now = (uint64_t)time(NULL);
    int rc = EXIT_USAGE;
    enum tc_err e = tl ? tc_keys_secret_info(o->key, &info) : TC_ERR_ARG;
    if (tl && e != TC_OK)
        cli_fail(o->key, e);
    bool checked = e == TC_OK;
    if (checked && (e = tc_issue_check(s, reqs, n, tl, &info.pub, now, ref)) == TC_OK && ref->total)
        e = TC_ERR_REFUSED;
    tc_refusals_sort(ref);
    cli_print_refusals(ref, source);
    if (checked) {
        if (e == TC_ERR_REFUSED)
            print_refused(ref, source), rc = EXIT_REFUSED;
        else if (e != TC_OK)
            fprintf(stderr, PROG ": %s: %s %s\n", source, tc_strerror(e), tc_store_errmsg(s));
        else if (o->dry_run)
            printf("%zu certificate%s would be issued (dry run)\n", n, n == 1 ? "" : "s"), rc = 0;
        else if ((sk = cli_signer(o->key, o->penv, o->pfile, TC_KEY_ISSUER)) != NULL)
            rc = -1; /* go on */
    }
    if (rc == -1) {
        struct cli_progress pr = {isatty(STDERR_FILENO) && n > 1000, 0, "issuing"};
        if ((e = tc_issue_commit(s, reqs, n, sk, now, source, cli_progress, &pr)) != TC_OK) {
            fprintf(stderr, PROG ": %s: %s %s; nothing issued\n", source, tc_strerror(e),
                    tc_store_errmsg(s));
            rc = EXIT_USAGE;
        } else {
            rc = 0;
        }
    }
    tc_signer_close(sk);
    tc_trust_list_free(tl);
    if (rc != 0 || o->dry_run)
        return rc;
    int64_t batch = 0;
    tc_cert_batch_of(s, reqs[0].claims.id, &batch);
    printf("issued %zu certificate%s: %llu .. %llu (batch %lld)\n", n, n == 1 ? "" : "s",
           (unsigned long long)reqs[0].claims.id, (unsigned long long)reqs[n - 1].claims.id,
           (long long)batch);
    if (!o->out_dir)
        return 0;
    uint64_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return cli_fail("outputs", TC_ERR_NOMEM);
    for (size_t i = 0; i < n; i++)
        ids[i] = reqs[i].claims.id;
    rc = cli_render(s, ids, n, o, batch, show_qr);
    free(ids);
    return rc;
}

static int cmd_import(void *opts)
{
    struct opts *o = opts;
    if (o->argc != 1)
        return cli_usage("import", "give one RESULTS.csv");
    if (!o->key || (o->out_dir && !o->base))
        return cli_usage("import", "--key is required, and --out-dir needs --base-url");
    const char *file = o->argv[0];
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    if (!cli_single_operator(s, "import", PROG " batch prepare")) {
        tc_store_close(s);
        return EXIT_REFUSED;
    }
    struct tc_refusals ref = {0};
    struct tc_issue_request *reqs = NULL;
    size_t n = 0;
    /* one pass: the rows that read are checked against the rules, so the file's refusals, of
     * fields and of rules, are listed together */
    enum tc_err e = tc_issue_read_csv(s, file, &reqs, &n, &ref);
    int rc;
    if (e != TC_OK || n == 0) {
        tc_refusals_sort(&ref);
        cli_print_refusals(&ref, file);
        if (e != TC_OK)
            cli_fail(file, e);
        else if (ref.total)
            print_refused(&ref, file);
        else
            fprintf(stderr, PROG ": %s: no rows\n", file);
        rc = e == TC_OK && ref.total ? EXIT_REFUSED : EXIT_USAGE;
    } else {
        rc = issue_requests(o, s, reqs, n, file, false, &ref);
    }
    if (reqs)
        sodium_memzero(reqs, n * sizeof *reqs);
    free(reqs);
    tc_refusals_free(&ref);
    tc_store_close(s);
    return rc;
}

static const char issue_help[] =
    "Usage: " PROG " issue --db FILE --hash-key HASH.key --key ISSUER.key --root ROOT.pub\n"
    "                      --trust-list FILE --claims FILE.json --out-dir DIR --base-url URL\n"
    "Issues one certificate from claims in JSON (as for 'sign', with \"id_number\" and an\n"
    "\"approval\" reference) under the same rules as 'import'; writes payload, link, PNG, SVG.\n";

static int cmd_issue(void *opts)
{
    struct opts *o = opts;
    if (!o->key || !o->claims || !o->out_dir || !o->base)
        return cli_usage("issue", "--key, --claims, --out-dir and --base-url are required");
    size_t len;
    char *json = read_json(o->claims, &len);
    if (!json)
        return EXIT_USAGE;
    struct tc_issue_request q;
    const char *field;
    int line;
    enum tc_err e = tc_issue_request_from_json(json, len, &q, &field, &line);
    sodium_memzero(json, len);
    free(json);
    if (e != TC_OK)
        return json_refused(o->claims, e, field, line);
    struct tc_store *s = cli_open_store(o, true);
    struct tc_refusals ref = {0};
    int rc;
    if (s && !cli_single_operator(s, "issue", PROG " batch prepare"))
        rc = EXIT_REFUSED;
    else
        rc = s ? issue_requests(o, s, &q, 1, o->claims, isatty(STDOUT_FILENO), &ref) : EXIT_USAGE;
    tc_refusals_free(&ref);
    sodium_memzero(&q, sizeof q);
    tc_store_close(s);
    return rc;
}

/* ---- revoke, convert, show, audit ---------------------------------------------------------- */

static const char revoke_help[] =
    "Usage: " PROG " revoke --db FILE --hash-key HASH.key --reason fraud|error|other [--date DATE]\n"
    "                       [--blacklist [--blacklist-reason TEXT] [--until DATE]] CERT_ID\n"
    "Revokes a certificate from DATE (default today; rule A2). The record stays. --blacklist adds\n"
    "the holder to the integrity blacklist: no new certificate until --until (default: open).\n";

static int cmd_revoke(void *opts)
{
    struct opts *o = opts;
    uint64_t id;
    if (o->argc != 1 || !cli_parse_id(o->argv[0], &id))
        return cli_usage("revoke", "give one certificate id");
    if (!o->reason || (strcmp(o->reason, "fraud") && strcmp(o->reason, "error") &&
                      strcmp(o->reason, "other")))
        return cli_usage("revoke", "--reason is fraud, error or other");
    int32_t day = tc_beijing_day((uint64_t)time(NULL)), until = 0;
    if (o->date && !tc_day_parse(&day, o->date))
        return cli_usage("revoke", "--date takes YYYY-MM-DD");
    if (o->until && !tc_day_parse(&until, o->until))
        return cli_usage("revoke", "--until takes YYYY-MM-DD");
    if (o->bl_reason && (strlen(o->bl_reason) > TC_REASON_MAX ||
                        !tc_text_safe((const uint8_t *)o->bl_reason, strlen(o->bl_reason))))
        return cli_usage("revoke", "--blacklist-reason must be printable text of at most 240 bytes");
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    if (!cli_single_operator(s, "revoke", PROG " revocation propose")) {
        tc_store_close(s);
        return EXIT_REFUSED;
    }
    enum tc_err e = tc_revoke(s, id, o->reason, day, o->blacklist, o->bl_reason, until,
                              (uint64_t)time(NULL));
    if (e == TC_OK)
        printf("certificate %llu revoked (%s)%s\n", (unsigned long long)id, o->reason,
               o->blacklist ? "; holder blacklisted" : "");
    else if (e == TC_ERR_EXISTS)
        fprintf(stderr, PROG ": certificate %llu is already revoked\n", (unsigned long long)id);
    else if (e == TC_ERR_NOT_FOUND)
        fprintf(stderr, PROG ": no certificate %llu in %s\n", (unsigned long long)id, o->db);
    else
        fprintf(stderr, PROG ": revoke: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
    tc_store_close(s);
    return e == TC_OK ? 0 : EXIT_USAGE;
}

static const char convert_help[] =
    "Usage: " PROG " convert --db FILE --hash-key HASH.key [--at DATE] CERT_ID\n"
    "       " PROG " convert ... --decision REF --committee N --key ISSUER.key --root ROOT.pub\n"
    "                        --trust-list FILE [--out-dir DIR --base-url URL] CERT_ID\n"
    "Reports whether a basic-level certificate can be exchanged for a province-wide one (C1):\n"
    "cumulative months at basic-level units, assessments, continuing education (C2); every\n"
    "shortfall in words. With the unified committee's decision it issues the province-wide\n"
    "certificate of the same level, tenure carried over (C3), and marks the old one superseded.\n"
    "--reevaluation (转评, C5): for a holder the employment records show at a unit that is not\n"
    "basic-level, the same-level province-wide title by re-evaluation instead, without the\n"
    "five-year conditions; also recorded as superseding the basic-level certificate.\n";

static void print_c5(struct tc_store *s, uint64_t id, const struct tc_profile *pr)
{
    struct tc_c5 st;
    char d[11];
    if (tc_basic_status(s, id, tc_beijing_day((uint64_t)time(NULL)), &st) != TC_OK ||
        st.state != TC_C5_LEFT)
        return;
    tc_day_format(d, st.since);
    printf("离开基层  据聘用记录，持证人自 %s 起在%s（非基层单位）工作，基层职称在该单位不适用（S1）。\n"
           "          可申请转评为同级别的全省统一职称（C5），或重新申报全省统一职称%s。\n",
           d, st.unit_name,
           pr->basic_title_achievement ? "，基层职称可作为一项量化业绩（GS §3(二)）" : "");
}

static int cmd_convert(void *opts)
{
    struct opts *o = opts;
    int rc = 0;
    uint64_t id;
    if (o->argc != 1 || !cli_parse_id(o->argv[0], &id))
        return cli_usage("convert", "give one certificate id");
    int32_t at = tc_beijing_day((uint64_t)time(NULL));
    if (o->at && !tc_day_parse(&at, o->at))
        return cli_usage("convert", "--at takes YYYY-MM-DD");
    if (o->decision && (!o->key || !o->committee))
        return cli_usage("convert", "--decision needs --key and --committee");
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_eligibility el;
    enum tc_err e = tc_convert_check(s, id, at, &el);
    struct tc_c5 c5 = {0};
    if (e == TC_OK && o->reevaluation)
        e = tc_basic_status(s, id, at, &c5);
    if (e != TC_OK) {
        rc = e == TC_ERR_NOT_FOUND ? (fprintf(stderr, PROG ": no certificate %llu\n",
                                              (unsigned long long)id),
                                      EXIT_USAGE)
                                   : cli_fail("convert", e);
        goto out;
    }
    printf("certificate %llu: %d of %d months at basic-level units\n", (unsigned long long)id,
           el.months, el.months_required);
    for (size_t i = 0; i < el.n_shortfalls; i++)
        printf("  不满足: %s\n", el.shortfalls[i]);
    print_c5(s, id, tc_store_profile(s)); /* C5: the holder may have left basic level */
    if (o->reevaluation) {
        if (c5.state != TC_C5_LEFT) {
            printf("not eligible for re-evaluation (转评, C5): the employment records do not show "
                   "the holder at a unit outside basic level\n");
            rc = EXIT_REFUSED;
            goto out;
        }
        printf("eligible for re-evaluation (转评) to a province-wide title of the same level (C5)\n");
    } else if (!el.eligible) {
        printf("not eligible for conversion (C1)\n");
        rc = EXIT_REFUSED;
        goto out;
    } else {
        printf("eligible for conversion to a province-wide title of the same level (C1)\n");
    }
    rc = 0;
    if (!o->decision)
        goto out;
    if (!cli_single_operator(s, "convert", PROG " conversion propose")) {
        rc = EXIT_REFUSED;
        goto out;
    }
    struct tc_trust_list *tl = cli_trust(o, NULL, NULL);
    struct tc_signer *sk = tl ? cli_signer(o->key, o->penv, o->pfile, TC_KEY_ISSUER) : NULL;
    uint64_t new_id = 0;
    rc = EXIT_USAGE;
    if (sk) {
        const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(sk)->kid);
        if (!en || !(en->authz.tracks & TC_AUTHZ_TRACK(TC_TRACK_PROVINCE))) {
            fprintf(stderr, PROG ": convert: refused (rule A1): the key may not sign "
                            "province-wide titles\n");
            rc = EXIT_REFUSED;
        } else if ((e = (o->reevaluation ? tc_reevaluate_commit : tc_convert_commit)(
                        s, id, at, o->decision, (uint16_t)o->committee, sk, (uint64_t)time(NULL),
                        &new_id)) != TC_OK) {
            fprintf(stderr, PROG ": convert: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
        } else {
            printf("issued province-wide certificate %llu; %llu is superseded\n",
                   (unsigned long long)new_id, (unsigned long long)id);
            rc = 0;
            if (o->out_dir && o->base)
                rc = cli_render(s, &new_id, 1, o, 0, false);
        }
    }
    tc_signer_close(sk);
    tc_trust_list_free(tl);
out:
    tc_store_close(s);
    return rc;
}

static const char show_help[] =
    "Usage: " PROG " show --db FILE [--qr --base-url URL] CERT_ID\n"
    "Prints a certificate in readable Chinese with its status and history; --qr adds its QR code\n"
    "(the link to the verification page at URL) on the terminal.\n";

/* A certificate's events from the audit log, oldest first (A3). */
static void print_event(void *ctx, int64_t seq, const char *when, const char *kind,
                        const char *detail)
{
    (void)ctx;
    printf("  #%lld %s %s %s\n", (long long)seq, when, kind, detail);
}

static int print_qr(const struct tc_cert_row *row, const char *base)
{
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1];
    struct tc_qr qr;
    enum tc_err e;
    if (!base)
        return cli_usage("show", "--qr needs --base-url");
    if ((e = tc_text_encode(text, sizeof text, row->payload, row->payload_len)) != TC_OK ||
        (e = tc_link_make(link, sizeof link, base, text)) != TC_OK ||
        (e = tc_qr_encode(&qr, link, TC_QR_M)) != TC_OK)
        return cli_fail("qr", e);
    char *art = tc_qr_to_terminal(&qr);
    printf("二维码（QR version %d, ECC M）\n%s", qr.version, art ? art : "");
    free(art);
    tc_qr_free(&qr);
    return 0;
}

static int cmd_show(void *opts)
{
    struct opts *o = opts;
    uint64_t id;
    if (o->argc != 1 || !cli_parse_id(o->argv[0], &id))
        return cli_usage("show", "give one certificate id");
    struct tc_store *s = NULL;
    enum tc_err e = tc_store_open_ro(&s, o->db, NULL); /* reading only: a read-only copy works */
    if (e != TC_OK)
        return cli_fail(o->db, e);
    struct tc_cert_row row;
    struct tc_cert cert;
    if ((e = tc_cert_get(s, id, &row)) != TC_OK ||
        (e = tc_cert_decode(row.payload, row.payload_len, &cert, NULL)) != TC_OK) {
        if (e == TC_ERR_NOT_FOUND)
            fprintf(stderr, PROG ": no certificate %llu in %s\n", (unsigned long long)id, o->db);
        else
            cli_fail("show", e);
        tc_store_close(s);
        return EXIT_USAGE;
    }
    const struct tc_claims *c = &cert.claims;
    const struct tc_title *t = tc_title_lookup(c->series, c->level, c->title_variant);
    char d1[11], m1[8], mask[TC_IDNO_LEN + 1], kid[TC_KID_BYTES * 2 + 1];
    tc_idno_mask_display(mask, c->id_mask);
    printf("证书编号  %llu\n", (unsigned long long)c->id);
    if (!strcmp(row.status, "valid"))
        printf("状态      有效\n");
    else if (!strcmp(row.status, "revoked")) {
        tc_day_format(d1, row.status_day);
        printf("状态      已撤销（%s，%s起）\n", row.reason, d1);
    } else {
        tc_day_format(d1, row.status_day);
        printf("状态      已换发（%s），新证书 %llu\n", d1, (unsigned long long)row.successor);
    }
    printf("持证人    %s（身份证号 %s）\n", c->name, mask);
    printf("职称      %s %s（%s），专业：%s\n", t ? t->series_name : "?", t ? t->title : "?",
           tc_level_name_zh(c->level), c->specialty);
    tc_day_format(d1, c->obtained_day);
    tc_month_format(m1, c->tenure_month);
    printf("类别      %s，取得方式：%s，评审年度 %u，取得日期 %s，任职起始 %s\n",
           tc_track_name_zh(c->track), tc_method_name_zh(c->method), c->eval_year, d1, m1);
    if (c->track == TC_TRACK_BASIC) {
        const struct tc_profile *pr = tc_store_profile(s);
        char zh[256], en[256];
        tc_scope_words(&c->scope, pr->name, pr->name_en, zh, sizeof zh, en, sizeof en);
        printf("适用范围  %s\n", zh);
        if (row.commitment_end) { /* C6 */
            tc_day_format(d1, row.commitment_end);
            printf("服务承诺  须在取得职称的乡镇单位服务至 %s（不少于5年，SD §5(二)，C6）\n", d1);
        }
        print_c5(s, c->id, pr);
        tc_month_format(m1, c->conv.earliest_month);
        printf("转换路径  最早 %s 可申请换发全省统一职称：基层单位累计聘满 %u 个月，每年继续教育 "
               "%u 学时%s%s\n",
               m1, c->conv.months_required, c->conv.ce_hours,
               c->conv.flags & TC_CONV_NEEDS_ASSESSMENTS ? "，年度考核合格" : "",
               c->conv.flags & TC_CONV_NEEDS_COMMITTEE ? "，经全省统一评审委员会评审" : "");
    } else if (c->conv.kind == TC_CONV_FROM) {
        tc_month_format(m1, c->conv.carried_tenure_month);
        printf("%s    基层职称证书 %llu，任职年限自 %s 连续计算\n",
               c->method == TC_METHOD_REEVALUATION ? "转评自" : "换发自",
               (unsigned long long)c->conv.predecessor, m1);
    } else {
        printf("适用范围  全省范围有效\n");
    }
    if (row.achievement)
        printf("量化业绩  基层职称证书 %llu 计为一项量化业绩（GS §3(二)，C5）\n",
               (unsigned long long)row.achievement);
    sodium_bin2hex(kid, sizeof kid, cert.kid, TC_KID_BYTES);
    printf("用人单位  %s\n评委会    %u，签发密钥 %s\n历史\n", c->employer, c->committee, kid);
    tc_cert_events(s, id, print_event, NULL);
    int rc = o->qr ? print_qr(&row, o->base) : 0;
    tc_store_close(s);
    return rc;
}

static const char audit_help[] =
    "Usage: " PROG " audit verify --db FILE --hash-key HASH.key\n"
    "Checks the append-only audit chain (A3): every event's MAC and sequence. Exit 1 when an\n"
    "event was edited, deleted or inserted.\n";

static int cmd_audit(void *opts)
{
    struct opts *o = opts;
    o->read_only = true; /* a check reads: it works on a read-only copy of the store */
    struct tc_store *s = cli_open_store(o, true);
    if (!s)
        return EXIT_USAGE;
    uint64_t count, bad;
    uint8_t head[32];
    char hex[65];
    int rc = 0;
    enum tc_err e = tc_audit_verify(s, &count, &bad, head);
    if (e != TC_OK) {
        rc = cli_fail("audit", e);
    } else if (bad) {
        printf("audit chain BROKEN at event %llu (%llu events read)\n", (unsigned long long)bad,
               (unsigned long long)count);
        rc = EXIT_REFUSED;
    } else {
        sodium_bin2hex(hex, sizeof hex, head, 32);
        printf("audit chain intact: %llu events, head %s\n", (unsigned long long)count, hex);
    }
    tc_store_close(s);
    return rc;
}

/* ---- the status bundle, the publication, the seal ------------------------------------------ */

static const char bundle_help[] =
    "Usage: " PROG " bundle export --db FILE --hash-key HASH.key --key PUBLICATION.key\n"
    "                              --root ROOT.pub --trust-list FILE --out FILE [--origin O]\n"
    "Signs the status bundle verifiers load: trust list, revoked and superseded certificates,\n"
    "unit directory, profile, title table, a version one higher than the last, the audit head,\n"
    "and the public register (rule A3): a signed checkpoint, the index of registered\n"
    "certificates and consistency proofs from earlier checkpoints. PUBLICATION.key must be\n"
    "endorsed with --tracks ...,status,register. 'publish' also writes the register's files.\n"
    "  --origin O   the register's name, fixed by the first export (default\n"
    "               titlecert.invalid/register/<profile code>)\n";

/* What bundle export and publish both open: the trust list (parsed and its bytes), the store
 * with its keys, and the publication key. */
struct publication {
    struct tc_trust_list *tl;
    uint8_t *list;
    size_t list_len;
    struct tc_store *s;
    struct tc_signer *sk;
};

/* 0 when everything is open, else the exit status after saying why; close with
 * publication_close either way. A store set up for the workflow publishes only through the
 * signer. */
static int publication_open(const struct opts *o, const char *cmd, struct publication *p)
{
    memset(p, 0, sizeof *p);
    if (!(p->tl = cli_trust(o, &p->list, &p->list_len)) || !(p->s = cli_open_store(o, true)))
        return EXIT_USAGE;
    if (!cli_single_operator(p->s, cmd, PROG " signer publish"))
        return EXIT_REFUSED;
    return (p->sk = cli_signer(o->key, o->penv, o->pfile, TC_KEY_ISSUER)) ? 0 : EXIT_USAGE;
}

static void publication_close(struct publication *p)
{
    tc_signer_close(p->sk);
    tc_store_close(p->s);
    free(p->list);
    tc_trust_list_free(p->tl);
}

/* Says why an export was refused; the exit status. */
static int export_refused(struct tc_store *s, const char *what, enum tc_err e)
{
    if (e == TC_ERR_INCONSISTENT) { /* the store disagrees with its register (A3) */
        fprintf(stderr, PROG ": %s: refused (rule A3): %s; nothing was signed\n", what,
                tc_store_errmsg(s));
        return EXIT_REFUSED;
    }
    if (e == TC_ERR_NOT_AUTHORISED)
        fprintf(stderr, PROG ": %s: refused (rules A1, A3): the key is not endorsed, in term, for "
                        "status publication and register checkpoints (--tracks ...,status,register)\n",
                what);
    else
        fprintf(stderr, PROG ": %s: %s %s\n", what, tc_strerror(e), tc_store_errmsg(s));
    return EXIT_USAGE;
}

/* The export's chunk files into the directory of the bundle file out. */
static enum tc_err write_chunks(const struct tc_export *x, const char *out, char *failed,
                                size_t size)
{
    char dir[4096];
    tc_path_dir(out, dir, sizeof dir);
    return tc_export_write_chunks(x, dir, failed, size);
}

static int cmd_bundle(void *opts)
{
    struct opts *o = opts;
    char failed[4200] = "";
    if (!o->key || !o->out)
        return cli_usage("bundle export", "--key and --out are required");
    struct publication pub;
    struct tc_export x;
    memset(&x, 0, sizeof x);
    enum tc_err e;
    int rc = publication_open(o, "bundle export", &pub);
    if (rc != 0) {
        ;
    } else if ((e = tc_bundle_export(pub.s, pub.list, pub.list_len, pub.tl, pub.sk, o->origin,
                                     (uint64_t)time(NULL), &x)) != TC_OK) {
        rc = export_refused(pub.s, "bundle export", e);
    } else if ((e = write_chunks(&x, o->out, failed, sizeof failed)) != TC_OK) {
        rc = cli_fail(failed, e);
    } else if ((e = tc_file_write(o->out, x.bundle, x.len, 0644, TC_FILE_REPLACE)) != TC_OK) {
        rc = cli_fail(o->out, e);
    } else {
        printf("status bundle version %llu: %zu bytes, register of %llu entries: %s\n",
               (unsigned long long)x.version, x.len, (unsigned long long)x.register_size, o->out);
        if (x.chunks.n)
            printf("its index in %zu chunk files beside it (%zu written)\n", x.chunks.n,
                   x.chunks.n - x.chunks.first_new);
        rc = 0;
    }
    tc_export_free(&x);
    publication_close(&pub);
    return rc;
}

static const char seal_help[] =
    "Usage: " PROG " seal --db FILE --hash-key HASH.key --kid HEX --organiser NAME --image FILE\n"
    "Sets the seal of the organiser (评审委员会组建单位 or HR department, rule A4) that the\n"
    "e-certificates signed by issuer key HEX (16 hex digits, as 'titlecert-keys show' prints it)\n"
    "bear over its name: a PNG with transparency (64 to 4096 pixels a side) or an SVG, at most\n"
    "1 MiB. The image comes from the organiser; setting it is an audited event.\n";

static int cmd_seal(void *opts)
{
    struct opts *o = opts;
    uint8_t kid[TC_KID_BYTES];
    size_t got = 0;
    if (!o->kid || strlen(o->kid) != 16 ||
        sodium_hex2bin(kid, sizeof kid, o->kid, 16, NULL, &got, NULL) != 0 || got != TC_KID_BYTES)
        return cli_usage("seal", "--kid takes an issuer key id of 16 hex digits");
    if (!o->organiser || !o->image)
        return cli_usage("seal", "--organiser and --image are required");
    uint8_t *img = NULL;
    size_t len = 0;
    enum tc_err e = tc_file_read(o->image, TC_PDF_SEAL_MAX, &img, &len);
    if (e != TC_OK)
        return cli_fail(o->image, e);
    struct tc_store *s = cli_open_store(o, true);
    int rc = EXIT_USAGE;
    if (s) {
        char why[256] = "";
        e = tc_seal_set(s, kid, o->organiser, img, len, (uint64_t)time(NULL), why, sizeof why);
        if (e != TC_OK)
            fprintf(stderr, PROG ": seal: %s: %s\n", o->image, why[0] ? why : tc_store_errmsg(s));
        else {
            printf("seal of %s set for issuer key %s (%zu bytes)\n", o->organiser, o->kid, len);
            rc = 0;
        }
        tc_store_close(s);
    }
    free(img);
    return rc;
}

static const char publish_help[] =
    "Usage: " PROG " publish --db FILE --hash-key HASH.key --key PUBLICATION.key --root ROOT.pub\n"
    "                        --trust-list FILE --out DIR [--batch B [--days N]] [--origin O]\n"
    "                        [--witnesses FILE --witness-quorum K]\n"
    "Writes the province's static publication into DIR, for any web server, mirror or CDN to\n"
    "serve (rule A3, 公示 and 全程记录):\n"
    "  DIR/gongshi-B.html, .csv, .json  with --batch: the 公示 of batch B, review-passed and\n"
    "                                   assessment-recognised persons listed separately, with\n"
    "                                   the announcement period; the JSON's hash is logged\n"
    "  DIR/tile/...                     the register in the C2SP tlog-tiles layout\n"
    "  DIR/bundle.cbor                  the signed status bundle (as 'bundle export')\n"
    "  DIR/index-SHA256.cbor            its index's complete chunks of 65,536 certificates,\n"
    "                                   each written once, when it is complete (kept: every\n"
    "                                   later bundle names them too)\n"
    "  DIR/checkpoint                   the register's signed checkpoint\n"
    "  DIR/head                         what replicas poll (serve --source): the bundle's\n"
    "                                   version, SHA-256 and size, and the checkpoint; last\n"
    "  --days N     announcement period in working days (default 5)\n"
    "  --origin O   the register's name, fixed by the first export\n"
    "  --witnesses FILE      witnesses that co-sign the checkpoint (C2SP tlog-witness), one line\n"
    "                        'witness NAME VERIFIER-KEY URL' each; the checkpoint is sent to each\n"
    "                        (URL/add-checkpoint, with the consistency proof from the size it\n"
    "                        co-signed last) after it is signed and before anything is written,\n"
    "                        and their verified lines are part of the checkpoint published\n"
    "  --witness-quorum K    how many of them must co-sign; with fewer, nothing is published\n"
    "                        and the refusal names each witness and why (exit 1)\n"
    "Existing full tiles are kept; each file is written to a temporary name and renamed.\n";

/* What each witness did, one line each (nothing without witnesses). */
static void publish_witnesses(const struct tc_cosigner_set *set, const struct tc_witness_reply *r,
                              FILE *to)
{
    char text[TC_COSIGNERS_MAX * 400];
    if (!set->n)
        return;
    tc_witness_explain(set, r, "\n  ", text, sizeof text);
    fprintf(to, "witnesses (quorum %zu):\n  %s\n", set->quorum, text);
}

static int publish_failed(struct tc_store *s, const struct opts *o, enum tc_err e,
                          const struct tc_publish_result *r)
{
    if (e == TC_ERR_REFUSED && strcmp(r->failed, "the status bundle") == 0) {
        fprintf(stderr, PROG ": publish: refused: %s\n", tc_store_errmsg(s));
        return EXIT_REFUSED;
    }
    if (e == TC_ERR_NOT_FOUND && o->batch && strncmp(r->failed, "the 公示", 9) == 0)
        fprintf(stderr, PROG ": publish: batch %lld has no certificates\n", o->batch);
    else if (strcmp(r->failed, "the status bundle") == 0)
        return export_refused(s, "publish", e);
    else
        fprintf(stderr, PROG ": publish: %s: %s%s%s %s\n", r->failed, tc_strerror(e),
                r->err ? ": " : "", r->err ? strerror(r->err) : "", tc_store_errmsg(s));
    return EXIT_USAGE;
}

static int cmd_publish(void *opts)
{
    struct opts *o = opts;
    if (!o->key || !o->out)
        return cli_usage("publish", "--key and --out are required");
    if (o->days && !o->batch)
        return cli_usage("publish", "--days goes with --batch");
    static struct tc_cosigner_set set;
    struct tc_witness_reply replies[TC_COSIGNERS_MAX];
    char why[600];
    memset(replies, 0, sizeof replies);
    if (o->witnesses && tc_witness_publisher_load(o->witnesses, o->witness_quorum, &set, why,
                                                 sizeof why))
        return cli_usage("publish", why);
    if (!o->witnesses && o->witness_quorum)
        return cli_usage("publish", "--witness-quorum goes with --witnesses FILE");
    struct publication pub;
    struct tc_publish_result r;
    memset(&r, 0, sizeof r);
    int rc = publication_open(o, "publish", &pub);
    if (rc == 0) {
        struct tc_publish_opts po = {o->out,    pub.list, pub.list_len, pub.tl,
                                     pub.sk,   o->origin, o->batch,      o->days ? (int)o->days : 5,
                                     (uint64_t)time(NULL), &set, replies, NULL, NULL};
        enum tc_err e = tc_publish(pub.s, &po, &r);
        rc = e != TC_OK ? publish_failed(pub.s, o, e, &r) : 0;
        if (e == TC_OK || e == TC_ERR_REFUSED)
            publish_witnesses(&set, replies, e == TC_OK ? stdout : stderr);
    }
    publication_close(&pub);
    if (rc == 0) {
        if (o->batch)
            printf("公示 of batch %lld (%d working days): %s/gongshi-%lld.html, .csv, .json\n",
                   o->batch, o->days ? (int)o->days : 5, o->out, o->batch);
        printf("register: %llu entries, %llu files written: %s/tile, %s/checkpoint\n",
               (unsigned long long)r.x.register_size, (unsigned long long)r.files, o->out, o->out);
        printf("status bundle version %llu: %zu bytes: %s/bundle.cbor\n",
               (unsigned long long)r.x.version, r.x.len, o->out);
        if (r.x.chunks.n)
            printf("its index: %zu chunk files of 65,536 certificates, %zu written now: "
                   "%s/index-*.cbor\n",
                   r.x.chunks.n, r.x.chunks.n - r.x.chunks.first_new, o->out);
        if (r.x.delta)
            printf("delta from version %llu: %zu bytes: %s/delta-%llu.cbor\n",
                   (unsigned long long)r.x.delta_from, r.x.delta_len, o->out,
                   (unsigned long long)r.x.delta_from);
    }
    tc_export_free(&r.x);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"init", NULL, "create a store for a province profile", init_help, cmd_init},
    {"units", NULL, "units import: the basic-level unit directory (S2)", units_help, cmd_units},
    {"records", NULL, "records import: employment, assessments, continuing education",
     records_help, cmd_records},
    {"issue", NULL, "issue one certificate from JSON under the rules", issue_help, cmd_issue},
    {"import", NULL, "issue a committee's results CSV, all or nothing", import_help, cmd_import},
    {"convert", NULL, "check or perform a basic-level -> province-wide conversion (C1)",
     convert_help, cmd_convert},
    {"revoke", NULL, "revoke a certificate, optionally blacklist its holder (A2)",
     revoke_help, cmd_revoke},
    {"show", NULL, "a certificate in readable Chinese, with status and history",
     show_help, cmd_show},
    {"audit", NULL, "audit verify: check the append-only event chain (A3)", audit_help, cmd_audit},
    {"bundle", NULL, "bundle export: the signed status bundle for verifiers",
     bundle_help, cmd_bundle},
    {"publish", NULL, "the static publication: 公示, register tiles, checkpoint, bundle (A3)",
     publish_help, cmd_publish},
    {"seal", NULL, "set the organiser's seal an issuer key's e-certificates bear (A4)",
     seal_help, cmd_seal},
    {"render", NULL, "write the files (payload, link, QR PNG/SVG, --pdf e-certificate) again",
     render_help, cmd_render},
    {"migrate", NULL, "upgrade an older store's schema, after a backup", migrate_help, cmd_migrate},
    {"sign", cmd_sign,
     "sign one certificate from JSON without a store (payload, link, PNG, SVG)", NULL, NULL},
    {"account", cmd_account,
     "workflow: accounts and roles (add, enrol, list, roles, confirm, disable)", NULL, NULL},
    {"batch", cmd_batch,
     "workflow: results prepared, publicised (公示), objections, approved, signed", NULL, NULL},
    {"revocation", cmd_revocation,
     "workflow: revocations proposed, approved, signed (A2)", NULL, NULL},
    {"conversion", cmd_conversion,
     "workflow: conversions proposed, approved, signed (C1, C5)", NULL, NULL},
    {"signer", cmd_signer,
     "workflow: titlecert-signer's status, unlock, lock, publish", NULL, NULL},
    {"calendar", cmd_calendar,
     "workflow: the working-day calendar (show, period, load)", NULL, NULL},
};

int main(int argc, char **argv)
{
    /* 17.10: this program opens secret keys and passphrases: no core dump may hold them */
    if (tc_cli_harden(argv[0]))
        return TC_EXIT_USAGE;
    tc_signer_json_hygiene(); /* passwords pass through JSON on their way to the signer */
    static struct opts opts;
    static const struct tc_cli_program program = {
        PROG, "Issues titlecert electronic title certificates.", commands,
        sizeof commands / sizeof commands[0], cli_parse, &opts};
    return tc_cli_dispatch(&program, argc, argv);
}
