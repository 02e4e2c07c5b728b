/*
 * cli.c - what the commands of titlecert-issuer share (cli.h): options, opening what a command
 * works on with the passphrases the options name, and printing refusals, progress and outputs.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

int cli_usage(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

bool cli_parse_id(const char *s, uint64_t *id)
{
    uint64_t v;
    if (!tc_parse_u64(s, &v) || v == 0)
        return false;
    *id = v;
    return true;
}

/* The store commands' options whose value is checked (codes for set); the others are stored as
 * they are (AT). */
enum { O_COMMITTEE = 1000, O_BATCH, O_DAYS, O_THREADS, O_DEMO, O_QUORUM, O_HELP };

/* --witness-quorum K: how many witnesses must co-sign, 1 to TC_COSIGNERS_MAX */
static bool quorum_arg(const char *arg, long *k)
{
    char *end;
    *k = strtol(arg, &end, 10);
    return !*end && *k >= 1 && *k <= TC_COSIGNERS_MAX;
}

/* the store commands' options, parsed by cli_options */
#define AT(field) TC_CLI_AT(struct opts, field)
static const struct option table[] = {
    {"db", required_argument, 0, AT(db)},         {"hash-key", required_argument, 0, AT(hash_key)},
    {"key", required_argument, 0, AT(key)},       {"root", required_argument, 0, AT(root)},
    {"trust-list", required_argument, 0, AT(trust)}, {"out-dir", required_argument, 0, AT(out_dir)},
    {"base-url", required_argument, 0, AT(base)},
    {"passphrase-env", required_argument, 0, AT(penv)},
    {"passphrase-file", required_argument, 0, AT(pfile)}, {"out", required_argument, 0, AT(out)},
    {"profile", required_argument, 0, AT(profile)}, {"reason", required_argument, 0, AT(reason)},
    {"date", required_argument, 0, AT(date)},     {"until", required_argument, 0, AT(until)},
    {"blacklist-reason", required_argument, 0, AT(bl_reason)},
    {"decision", required_argument, 0, AT(decision)}, {"at", required_argument, 0, AT(at)},
    {"claims", required_argument, 0, AT(claims)}, {"committee", required_argument, 0, O_COMMITTEE},
    {"strict-uscc", no_argument, 0, AT(strict_uscc)}, {"blacklist", no_argument, 0, AT(blacklist)},
    {"dry-run", no_argument, 0, AT(dry_run)},     {"quiet", no_argument, 0, AT(quiet)},
    {"qr", no_argument, 0, AT(qr)},               {"batch", required_argument, 0, O_BATCH},
    {"reevaluation", no_argument, 0, AT(reevaluation)},
    {"origin", required_argument, 0, AT(origin)}, {"days", required_argument, 0, O_DAYS},
    {"pdf", no_argument, 0, AT(pdf)},             {"threads", required_argument, 0, O_THREADS},
    {"force", no_argument, 0, AT(force)},
    {"organiser", required_argument, 0, AT(organiser)}, {"image", required_argument, 0, AT(image)},
    {"kid", required_argument, 0, AT(kid)},
    {"status-stamp", no_argument, 0, AT(status_stamp)}, {"workflow", no_argument, 0, AT(workflow)},
    {"demo", no_argument, 0, O_DEMO},     {"reseal-accounts", no_argument, 0, AT(reseal)},
    {"witnesses", required_argument, 0, AT(witnesses)},
    {"witness-quorum", required_argument, 0, O_QUORUM}, {"as", required_argument, 0, AT(as)},
    {"password-file", required_argument, 0, AT(password_file)}, {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0}};
#undef AT

/* One store command option into o; 0, else the exit status after saying why. */
static int set(void *opts, int c, const char *arg, const char *cmd)
{
    struct opts *o = opts;
    char *end;
    switch (c) {
    case O_COMMITTEE:
        o->committee = strtol(arg, &end, 10);
        if (*end || o->committee < 1 || o->committee > 65535)
            return cli_usage(cmd, "--committee takes a number 1..65535");
        break;
    case O_DEMO: o->demo = o->workflow = true; break;
    case O_THREADS:
        o->threads = strtol(arg, &end, 10);
        if (*end || o->threads < 1 || o->threads > 16)
            return cli_usage(cmd, "--threads takes 1..16");
        break;
    case O_DAYS:
        o->days = strtol(arg, &end, 10);
        if (*end || o->days < 1 || o->days > 60)
            return cli_usage(cmd, "--days takes a number of working days 1..60");
        break;
    case O_BATCH:
        o->batch = strtoll(arg, &end, 10);
        if (*end || o->batch < 1)
            return cli_usage(cmd, "--batch takes a batch number (import prints it)");
        break;
    default: /* O_QUORUM */
        if (!quorum_arg(arg, &o->witness_quorum))
            return cli_usage(cmd, "--witness-quorum takes how many must co-sign, 1 to 15");
        break;
    }
    return 0;
}

/* The store commands' options into *o: 0, TC_CLI_HELP after printing help, or a usage status. */
static int cli_options(int argc, char **argv, const char *cmd, const char *help, struct opts *o)
{
    memset(o, 0, sizeof *o);
    int rc = tc_cli_getopt(PROG, cmd, help, table, argc, argv, o, set);
    if (rc)
        return rc;
    o->argc = argc - optind, o->argv = argv + optind;
    if (!o->db)
        return cli_usage(cmd, "--db is required");
    if (o->base && tc_base_url_check(o->base) != TC_OK)
        return cli_usage(cmd, "--base-url must be http(s)://host[:port][/path] without a "
                                "trailing slash, query or fragment");
    return 0;
}

/* "units import ...", "records import ...": checks the verb, handles --help, parses the options.
 * Returns -1 when help was printed, a usage status, or 0 with *o filled. */
static int cli_verb(int argc, char **argv, const char *group, const char *name, const char *help,
                    struct opts *o)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s %s", group, name);
    if (argc < 2 || strcmp(argv[1], name) != 0) {
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        char msg[96];
        snprintf(msg, sizeof msg, "the subcommand is '%s'", cmd);
        return cli_usage(group, msg);
    }
    return cli_options(argc - 1, argv + 1, cmd, help, o);
}

int cli_parse(int argc, char **argv, const struct tc_cli_command *cmd, void *opts)
{
    /* the commands that name their one verb first: "units import", "audit verify" */
    static const char *const verbs[][2] = {
        {"units", "import"}, {"records", "import"}, {"audit", "verify"}, {"bundle", "export"}};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(cmd->name, verbs[i][0]) == 0)
            return cli_verb(argc, argv, cmd->name, verbs[i][1], cmd->help, opts);
    return cli_options(argc, argv, cmd->name, cmd->help, opts);
}

/* The passphrase of key file path, from the options' environment variable, file or a prompt
 * naming the file; NULL after saying why. Freed with tc_keys_passphrase_free. */
static char *passphrase(const char *path, const char *penv, const char *pfile, size_t *len)
{
    char prompt[300], *pass = NULL;
    const char *why;
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
    enum tc_err e = tc_keys_passphrase(&pass, len, penv, pfile, prompt, false, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return NULL;
    }
    return pass;
}

/* path must be a key file of kind want (said without asking for a passphrase) */
static bool key_kind(const char *path, enum tc_key_kind want)
{
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(path, &info);
    if (e != TC_OK) {
        cli_fail(path, e);
        return false;
    }
    if (want && info.kind != want) {
        fprintf(stderr, PROG ": %s: is a %s key, not a %s key\n", path,
                tc_key_kind_name(info.kind), tc_key_kind_name((uint8_t)want));
        return false;
    }
    return true;
}

/* The passphrase of --hash-key, once it is known to be a hash key; NULL after saying why. */
static char *hash_key_passphrase(const struct opts *o, size_t *len)
{
    return key_kind(o->hash_key, TC_KEY_HASH) ? passphrase(o->hash_key, o->penv, o->pfile, len)
                                              : NULL;
}

struct tc_signer *cli_signer(const char *path, const char *penv, const char *pfile,
                             enum tc_key_kind want)
{
    size_t len = 0;
    char *pass = key_kind(path, want) ? passphrase(path, penv, pfile, &len) : NULL;
    if (!pass)
        return NULL;
    struct tc_signer *s = NULL;
    enum tc_err e = tc_keys_signer_open(&s, path, pass, len, want);
    tc_keys_passphrase_free(pass, len);
    if (e != TC_OK)
        cli_fail(path, e);
    return s;
}

struct tc_store *cli_open_store(const struct opts *o, bool need_keys)
{
    struct tc_store *s = NULL;
    enum tc_err e;
    if (need_keys && !o->hash_key) {
        fprintf(stderr, PROG ": --hash-key is required (it keys holder look-ups and the audit "
                        "chain)\n");
        return NULL;
    }
    if (!o->hash_key) {
        e = o->read_only ? tc_store_open_ro(&s, o->db, NULL) : tc_store_open(&s, o->db, NULL);
        if (e != TC_OK)
            cli_fail(o->db, e);
        return s;
    }
    size_t len = 0;
    char *pass = hash_key_passphrase(o, &len);
    if (!pass)
        return NULL;
    const char *which;
    e = tc_store_open_keyed(&s, o->db, o->hash_key, pass, len, o->read_only, &which);
    tc_keys_passphrase_free(pass, len);
    if (e == TC_ERR_PASSPHRASE && which == o->db)
        fprintf(stderr, PROG ": %s: this hash key is not the store's\n", o->db);
    else if (e != TC_OK)
        cli_fail(which, e);
    if (s)
        cli_demo_banner(s);
    return s;
}

void cli_demo_banner(struct tc_store *s)
{
    if (!tc_store_demo(s))
        return;
    char day[11];
    tc_day_format(day, tc_beijing_day(tc_store_clock(s, (uint64_t)time(NULL))));
    fprintf(stderr, "【演示库 DEMO STORE】仅供演示，时钟可调：今天按 %s 计 / for demonstration "
                    "only; its clock is set: today counts as %s\n", day, day);
}

bool cli_single_operator(struct tc_store *s, const char *cmd, const char *instead)
{
    if (!tc_store_workflow(s))
        return true;
    fprintf(stderr, PROG " %s: 拒绝：这个证书库按审批流程工作（公示、审核、签名服务），任何人不能"
                    "独自执行“%s”；请用 %s\n"
                    PROG " %s: refused: this store works through the workflow (公示, approval, the "
                    "signer): nobody does '%s' alone here; use '%s'\n",
            cmd, cmd, instead, cmd, cmd, instead);
    return false;
}

struct tc_trust_list *cli_trust(const struct opts *o, uint8_t **raw, size_t *raw_len)
{
    struct tc_trust_list *tl = NULL;
    const char *which;
    if (!o->root || !o->trust) {
        fprintf(stderr, PROG ": --root and --trust-list are required (rule A1 is checked "
                        "before signing)\n");
        return NULL;
    }
    enum tc_err e = tc_trust_list_load(o->root, o->trust, &tl, raw, raw_len, &which);
    if (e != TC_OK)
        cli_fail(which, e);
    return tl;
}

void cli_print_refusals(const struct tc_refusals *r, const char *file)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tc_refusal *x = &r->v[i];
        /* a warning is the rule "warn", or a message that says it is one (rule C6) */
        bool bare = strcmp(x->rule, "warn") == 0;
        bool warn = bare || strncmp(x->msg, "warning: ", 9) == 0;
        const char *msg = warn && !bare ? x->msg + 9 : x->msg;
        fprintf(stderr, "%s%s%s", file ? file : "", file && x->line ? ":" : "", "");
        if (x->line)
            fprintf(stderr, "%zu", x->line);
        fprintf(stderr, "%s%s%s%s%s%s%s: %s\n", file || x->line ? ": " : "",
                warn ? "warning" : "refused", *x->rule && !bare ? " (rule " : "",
                bare ? "" : x->rule, *x->rule && !bare ? ")" : "", *x->field ? ", " : "",
                x->field, msg);
    }
    if (r->total > r->n)
        fprintf(stderr, "... and %zu more\n", r->total - r->n);
}

void cli_progress(void *ctx, size_t done, size_t total)
{
    struct cli_progress *p = ctx;
    if (!p->tty)
        return;
    long now = (long)time(NULL);
    if (done != total && now == p->last)
        return;
    p->last = now;
    int width = 30, filled = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r%s %zu/%zu [", p->verb ? p->verb : "issuing", done, total);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%%%s", (int)(100.0 * (double)done / (double)total),
            done == total ? "\n" : "");
}

static void pdf_progress(void *ctx, size_t done, size_t total, double secs)
{
    (void)ctx;
    if (!isatty(STDERR_FILENO) || total < 2)
        return;
    int width = 30, filled = total ? (int)((double)done / (double)total * width) : width;
    double rate = secs > 0 ? (double)done / secs : 0;
    fprintf(stderr, "\rPDF %zu/%zu [", done, total);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : ' ', stderr);
    fprintf(stderr, "] %.0f/s", rate);
    if (rate > 0 && done < total)
        fprintf(stderr, ", about %.0f s left  ", (double)(total - done) / rate);
    else
        fprintf(stderr, "                  \n");
    fflush(stderr);
}

/* The e-certificates (A4) of certificates in the store: DIR/<id>.pdf, on --threads threads. */
static int render_pdfs(struct tc_store *s, const uint64_t *ids, size_t n, const struct opts *o,
                       int64_t batch)
{
    struct tc_trust_list *tl = cli_trust(o, NULL, NULL);
    if (!tl)
        return EXIT_USAGE;
    struct tc_pdf_batch_opts po = {o->out_dir, o->base, (int)o->threads, o->force,
                                   pdf_progress, NULL, o->status_stamp};
    struct tc_pdf_batch_result res;
    enum tc_err e = tc_pdf_batch(s, ids, n, tl, &po, &res);
    tc_trust_list_free(tl);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": e-certificates: %s (%zu written, %zu already complete)\n",
                res.why[0] ? res.why : tc_strerror(e), res.written, res.kept);
        if (e != TC_ERR_REFUSED) /* a status refusal says what to do */
            fprintf(stderr,
                    "  the rest, once fixed: " PROG " render --db %s --pdf --out-dir %s "
                    "--base-url %s --root ... --trust-list ... %s%lld\n",
                    o->db, o->out_dir, o->base, batch > 0 ? "--batch " : "",
                    batch > 0 ? (long long)batch : (long long)ids[0]);
        return e == TC_ERR_NOT_FOUND || e == TC_ERR_RANGE || e == TC_ERR_REFUSED ? EXIT_REFUSED
                                                                                  : EXIT_USAGE;
    }
    if (res.threads) /* none ran when every file was already complete */
        printf("  e-certificates: %s/<id>.pdf, %zu written, %zu already complete kept (%.1f s, "
               "%.1f/s, %d thread%s)\n",
               o->out_dir, res.written, res.kept, res.seconds,
               res.seconds > 0 ? (double)res.written / res.seconds : 0.0, res.threads,
               res.threads == 1 ? "" : "s");
    else
        printf("  e-certificates: %s/<id>.pdf, 0 written, %zu already complete kept\n",
               o->out_dir, res.kept);
    return 0;
}

/* One certificate's link, QR version and files, and its QR code on the terminal when asked. */
static void print_one(struct tc_store *s, uint64_t id, const struct opts *o, bool show_qr)
{
    struct tc_cert_row row;
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1];
    struct tc_qr qr;
    if (tc_cert_get(s, id, &row) != TC_OK ||
        tc_text_encode(text, sizeof text, row.payload, row.payload_len) != TC_OK ||
        tc_link_make(link, sizeof link, o->base, text) != TC_OK ||
        tc_qr_encode(&qr, link, TC_QR_M) != TC_OK)
        return;
    if (show_qr) {
        char *t = tc_qr_to_terminal(&qr);
        if (t)
            fputs(t, stdout);
        free(t);
    }
    printf("  QR version %d at ECC M\n  link:  %s\n  files: %s/%llu.{txt,link,png,svg}\n",
           qr.version, link, o->out_dir, (unsigned long long)id);
    tc_qr_free(&qr);
}

int cli_render(struct tc_store *s, const uint64_t *ids, size_t n, const struct opts *o,
               int64_t batch, bool show_qr)
{
    struct cli_progress pr = {isatty(STDERR_FILENO) && n > 1000, 0, "writing files"};
    struct tc_render_opts ro = {o->out_dir, o->base, (int)o->threads, cli_progress, &pr};
    struct tc_render_result r;
    enum tc_err e = tc_render_files(s, ids, n, &ro, &r);
    if (e == TC_OK) {
        if (n == 1)
            print_one(s, ids[0], o, show_qr);
        else if (n > 1)
            printf("  files: %s/<id>.{txt,link,png,svg} for %zu certificates (%zu written, %zu "
                   "already complete kept) on %d thread%s\n",
                   o->out_dir, n, n - r.kept, r.kept, r.threads, r.threads == 1 ? "" : "s");
        return o->pdf ? render_pdfs(s, ids, n, o, batch) : 0;
    }
    cli_fail(r.files.failed, e);
    fprintf(stderr,
            PROG ": the certificates are issued and stored; the files of %zu of %zu were written "
                 "(%llu failed first; those written are complete and kept by the command below)\n",
            r.done, n, (unsigned long long)r.failed_id);
    if (batch > 0)
        fprintf(stderr, "  write them again with: " PROG " render --db %s --batch %lld --out-dir %s "
                        "--base-url %s\n", o->db, (long long)batch, o->out_dir, o->base);
    else
        fprintf(stderr, "  write them again with: " PROG " render --db %s --out-dir %s --base-url %s "
                        "%llu\n", o->db, o->out_dir, o->base, (unsigned long long)ids[0]);
    return EXIT_USAGE;
}

struct tc_store_keys *cli_store_keys(const struct opts *o)
{
    size_t len = 0;
    char *pass = hash_key_passphrase(o, &len);
    if (!pass)
        return NULL;
    struct tc_store_keys *keys = NULL;
    enum tc_err e = tc_store_keys_load(&keys, o->hash_key, pass, len);
    tc_keys_passphrase_free(pass, len);
    if (e != TC_OK)
        cli_fail(o->hash_key, e);
    return keys;
}
