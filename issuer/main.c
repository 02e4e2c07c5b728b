/*
 * main.c - titlecert-issuer: the store (init), the unit directory and records, issuance (issue,
 * import), conversion, revocation, certificates shown in readable Chinese, the audit check and
 * the status bundle; plus `sign`, which issues one certificate without a store.
 *
 * Secret keys are unlocked once per command and kept read-only while used. Every refusal names
 * its rule. Exit status: 0 done, 1 refused by a rule (or audit failed), 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "keys.h"
#include "register.h"
#include "titlecert_config.h"

#define PROG "titlecert-issuer"
#define EXIT_REFUSED TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE
#define CLAIMS_JSON_MAX (64u << 10)

static int fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

static const char sign_help[] =
    "Usage: " PROG " sign --key ISSUER.key --claims FILE.json --out-dir DIR --base-url URL\n"
    "                      [--root ROOT.pub --trust-list FILE] [--qr] [passphrase options]\n"
    "Issues one certificate. Writes DIR/<id>.txt (payload), DIR/<id>.link, DIR/<id>.png and\n"
    "DIR/<id>.svg (QR code), and prints the link.\n\n"
    "  --claims FILE.json      the claims (see docs/FORMAT.md); \"id_number\" is reduced to its\n"
    "                          mask and never stored; \"issued_at\" defaults to now\n"
    "  --base-url URL          where the public verification page is, e.g. https://zc.example.cn\n"
    "  --root, --trust-list    check the key's endorsement (term and scope, rule A1) first\n"
    "  --qr                    show the QR code on the terminal (default when it is one)\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the issuer key (default: prompt)\n\n"
    "Exit status: 0 issued, 1 refused by a rule, 2 usage or I/O error.\n";

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

static int write_text(const char *dir, uint64_t id, const char *ext, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%llu.%s", dir, (unsigned long long)id, ext);
    char line[TC_LINK_MAX + 2];
    size_t n = strlen(text);
    memcpy(line, text, n);
    line[n] = '\n';
    enum tc_err e = tc_file_write(path, (const uint8_t *)line, n + 1, 0644, TC_FILE_REPLACE);
    return e == TC_OK ? 0 : fail(path, e);
}

static int write_outputs(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                         size_t len, bool show, int *version);

/* Opens a secret-key file with its passphrase (environment, file or prompt); NULL after saying
 * why. The passphrase is zeroed and freed at once. */
static struct tc_signer *open_key_file(const char *key, const char *penv, const char *pfile)
{
    char *pass = NULL;
    size_t pass_len = 0;
    const char *why;
    char prompt[300];
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", key);
    enum tc_err e = tc_keys_passphrase(&pass, &pass_len, penv, pfile, prompt, false, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return NULL;
    }
    struct tc_signer *sk = NULL;
    e = tc_keys_signer_open(&sk, key, pass, pass_len, 0);
    tc_keys_passphrase_free(pass, pass_len);
    if (e != TC_OK) {
        fail(key, e);
        return NULL;
    }
    return sk;
}

/* The trust list in file trust, checked against the root public key in file root; 0, or 2 after
 * saying which file is wrong. */
static int read_trust_list(const char *root, const char *trust, struct tc_trust_list **tl)
{
    struct tc_pubkey rpub;
    uint8_t *list;
    size_t list_len;
    enum tc_err e;
    if ((e = tc_keys_pub_read(root, &rpub)) != TC_OK)
        return fail(root, e);
    if ((e = tc_file_read(trust, TC_TRUST_LIST_MAX_BYTES, &list, &list_len)) != TC_OK)
        return fail(trust, e);
    e = tc_trust_list_parse(list, list_len, rpub.pk, tl);
    free(list);
    return e == TC_OK ? 0 : fail(trust, e);
}

/* The claims of 'sign' from a JSON file, stamped with the time when they carry none and
 * checked; 0, or 2 after saying what is wrong (the claim named). */
static int read_claims(const char *claims_path, struct tc_claims *out)
{
    uint8_t *raw;
    size_t raw_len;
    enum tc_err e = tc_file_read(claims_path, CLAIMS_JSON_MAX, &raw, &raw_len);
    if (e != TC_OK) {
        fail(claims_path, e);
        return EXIT_USAGE;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (!j) {
        fprintf(stderr, PROG ": %s: line %d: %s\n", claims_path, jerr.line, jerr.text);
        return EXIT_USAGE;
    }
    const char *field = NULL;
    e = tc_claims_from_json(j, out, &field);
    json_decref(j);
    if (e == TC_OK && out->issued_at == 0) {
        out->issued_at = (uint64_t)time(NULL);
        e = tc_claims_check(out, &field);
    }
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: claim '%s': %s\n", claims_path, field ? field : "?",
                tc_strerror(e));
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, 0, 'k'},        {"claims", required_argument, 0, 'c'},
        {"out-dir", required_argument, 0, 'o'},    {"base-url", required_argument, 0, 'b'},
        {"root", required_argument, 0, 'r'},       {"trust-list", required_argument, 0, 't'},
        {"qr", no_argument, 0, 'q'},               {"passphrase-env", required_argument, 0, 'e'},
        {"passphrase-file", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *key = NULL, *claims_path = NULL, *dir = NULL, *base = NULL, *root = NULL,
               *trust = NULL, *penv = NULL, *pfile = NULL;
    bool show_qr = isatty(STDOUT_FILENO);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'c': claims_path = optarg; break;
        case 'o': dir = optarg; break;
        case 'b': base = optarg; break;
        case 'r': root = optarg; break;
        case 't': trust = optarg; break;
        case 'q': show_qr = true; break;
        case 'e': penv = optarg; break;
        case 'f': pfile = optarg; break;
        case 'h': fputs(sign_help, stdout); return 0;
        default: return usage_error("sign", "unknown option");
        }
    }
    if (!key || !claims_path || !dir || !base)
        return usage_error("sign", "--key, --claims, --out-dir and --base-url are required");
    if ((root == NULL) != (trust == NULL))
        return usage_error("sign", "--root and --trust-list go together");
    if (tc_base_url_check(base) != TC_OK)
        return usage_error("sign", "--base-url must be http(s)://host[:port][/path] without a "
                                   "trailing slash, query or fragment");

    /* Claims first: nothing is unlocked for input that cannot be signed. */
    struct tc_claims claims;
    if (read_claims(claims_path, &claims) != 0)
        return EXIT_USAGE;
    enum tc_err e;

    struct tc_trust_list *tl = NULL;
    if (trust && read_trust_list(root, trust, &tl) != 0)
        return EXIT_USAGE;

    struct tc_signer *sk = open_key_file(key, penv, pfile);
    if (!sk) {
        tc_trust_list_free(tl);
        return EXIT_USAGE;
    }
    int rc = EXIT_USAGE;
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t msg_len = 0;
    if (tc_signer_pub(sk)->kind != TC_KEY_ISSUER) {
        fprintf(stderr, PROG ": %s: not an issuer key\n", key);
        goto out;
    }
    if ((e = tc_keys_sign_cert(msg, sizeof msg, &msg_len, &claims, sk)) != TC_OK) {
        fail("sign", e);
        goto out;
    }
    if (tl) {
        struct tc_cert cert;
        if ((e = tc_cert_decode(msg, msg_len, &cert, NULL)) == TC_OK)
            e = tc_trust_check_cert(tl, &cert, NULL);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": sign: refused: %s\n", rule_of(e));
            rc = EXIT_REFUSED;
            goto out;
        }
    }
    /* the same files as import writes: payload, link, PNG and SVG */
    int version = 0;
    if ((rc = write_outputs(dir, base, claims.id, msg, msg_len, show_qr, &version)) == 0) {
        char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1];
        tc_text_encode(text, sizeof text, msg, msg_len);
        tc_link_make(link, sizeof link, base, text);
        const struct tc_title *t = tc_title_lookup(claims.series, claims.level, claims.title_variant);
        printf("issued certificate %llu: %s, %s %s (%s), QR version %d at ECC M\n",
               (unsigned long long)claims.id, claims.name, t ? t->series_name : "?",
               t ? t->title : "?", tc_track_name_zh(claims.track), version);
        printf("  link:    %s\n  files:   %s/%llu.{txt,link,png,svg}\n", link, dir,
               (unsigned long long)claims.id);
    }
out:
    tc_signer_close(sk);
    tc_trust_list_free(tl);
    return rc;
}

/* ---- options shared by the store commands ---------------------------------------------------- */

struct opts {
    const char *db, *hash_key, *key, *root, *trust, *out_dir, *base, *penv, *pfile, *out;
    const char *profile, *reason, *date, *until, *bl_reason, *decision, *at, *claims, *origin;
    const char *organiser, *image, *kid;
    long committee, days, threads;
    long long batch;
    bool strict_uscc, blacklist, dry_run, quiet, qr, read_only, reevaluation, pdf, force;
};

enum {
    O_DB = 1000, O_HASH, O_KEY, O_ROOT, O_TRUST, O_OUTDIR, O_BASE, O_PENV, O_PFILE, O_OUT,
    O_PROFILE, O_REASON, O_DATE, O_UNTIL, O_BLREASON, O_DECISION, O_AT, O_CLAIMS, O_COMMITTEE,
    O_STRICT, O_BLACKLIST, O_DRY, O_QUIET, O_QR, O_BATCH, O_REEVAL, O_ORIGIN, O_DAYS, O_PDF, O_THREADS, O_FORCE, O_ORGANISER, O_IMAGE, O_KID, O_HELP
};

static int parse_opts(int argc, char **argv, const char *cmd, const char *help, struct opts *o)
{
    static const struct option table[] = {
        {"db", required_argument, 0, O_DB},          {"hash-key", required_argument, 0, O_HASH},
        {"key", required_argument, 0, O_KEY},        {"root", required_argument, 0, O_ROOT},
        {"trust-list", required_argument, 0, O_TRUST}, {"out-dir", required_argument, 0, O_OUTDIR},
        {"base-url", required_argument, 0, O_BASE},  {"passphrase-env", required_argument, 0, O_PENV},
        {"passphrase-file", required_argument, 0, O_PFILE}, {"out", required_argument, 0, O_OUT},
        {"profile", required_argument, 0, O_PROFILE}, {"reason", required_argument, 0, O_REASON},
        {"date", required_argument, 0, O_DATE},      {"until", required_argument, 0, O_UNTIL},
        {"blacklist-reason", required_argument, 0, O_BLREASON},
        {"decision", required_argument, 0, O_DECISION}, {"at", required_argument, 0, O_AT},
        {"claims", required_argument, 0, O_CLAIMS},  {"committee", required_argument, 0, O_COMMITTEE},
        {"strict-uscc", no_argument, 0, O_STRICT},   {"blacklist", no_argument, 0, O_BLACKLIST},
        {"dry-run", no_argument, 0, O_DRY},          {"quiet", no_argument, 0, O_QUIET},
        {"qr", no_argument, 0, O_QR},                {"batch", required_argument, 0, O_BATCH},
        {"reevaluation", no_argument, 0, O_REEVAL}, {"origin", required_argument, 0, O_ORIGIN},
        {"days", required_argument, 0, O_DAYS},       {"pdf", no_argument, 0, O_PDF},
        {"threads", required_argument, 0, O_THREADS}, {"force", no_argument, 0, O_FORCE},
        {"organiser", required_argument, 0, O_ORGANISER}, {"image", required_argument, 0, O_IMAGE},
        {"kid", required_argument, 0, O_KID},
        {"help", no_argument, 0, O_HELP},            {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", table, NULL)) != -1) {
        switch (c) {
        case O_DB: o->db = optarg; break;
        case O_HASH: o->hash_key = optarg; break;
        case O_KEY: o->key = optarg; break;
        case O_ROOT: o->root = optarg; break;
        case O_TRUST: o->trust = optarg; break;
        case O_OUTDIR: o->out_dir = optarg; break;
        case O_BASE: o->base = optarg; break;
        case O_PENV: o->penv = optarg; break;
        case O_PFILE: o->pfile = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_PROFILE: o->profile = optarg; break;
        case O_REASON: o->reason = optarg; break;
        case O_DATE: o->date = optarg; break;
        case O_UNTIL: o->until = optarg; break;
        case O_BLREASON: o->bl_reason = optarg; break;
        case O_DECISION: o->decision = optarg; break;
        case O_AT: o->at = optarg; break;
        case O_CLAIMS: o->claims = optarg; break;
        case O_COMMITTEE:
            o->committee = strtol(optarg, &end, 10);
            if (*end || o->committee < 1 || o->committee > 65535)
                return usage_error(cmd, "--committee takes a number 1..65535");
            break;
        case O_STRICT: o->strict_uscc = true; break;
        case O_BLACKLIST: o->blacklist = true; break;
        case O_DRY: o->dry_run = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_QR: o->qr = true; break;
        case O_REEVAL: o->reevaluation = true; break;
        case O_ORIGIN: o->origin = optarg; break;
        case O_PDF: o->pdf = true; break;
        case O_FORCE: o->force = true; break;
        case O_ORGANISER: o->organiser = optarg; break;
        case O_IMAGE: o->image = optarg; break;
        case O_KID: o->kid = optarg; break;
        case O_THREADS:
            o->threads = strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 16)
                return usage_error(cmd, "--threads takes 1..16");
            break;
        case O_DAYS:
            o->days = strtol(optarg, &end, 10);
            if (*end || o->days < 1 || o->days > 60)
                return usage_error(cmd, "--days takes a number of working days 1..60");
            break;
        case O_BATCH:
            o->batch = strtoll(optarg, &end, 10);
            if (*end || o->batch < 1)
                return usage_error(cmd, "--batch takes a batch number (import prints it)");
            break;
        case O_HELP: fputs(help, stdout); return -1;
        default: return usage_error(cmd, "unknown option");
        }
    }
    if (!o->db)
        return usage_error(cmd, "--db is required");
    if (o->base && tc_base_url_check(o->base) != TC_OK)
        return usage_error(cmd, "--base-url must be http(s)://host[:port][/path] without a "
                                "trailing slash, query or fragment");
    return 0;
}

/* Asks for the passphrase of key file path, which must be of kind want, and opens it: a hash
 * key as *secret, a signing key as *signer. false after saying why. */
static bool unlock_key(const char *path, const struct opts *o, enum tc_key_kind want,
                       struct tc_secret **secret, struct tc_signer **signer)
{
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(path, &info);
    if (e != TC_OK) {
        fail(path, e);
        return false;
    }
    if (info.kind != want) {
        fprintf(stderr, PROG ": %s: is a %s key, not a %s key\n", path,
                tc_key_kind_name(info.kind), tc_key_kind_name((uint8_t)want));
        return false;
    }
    char prompt[300], *pass = NULL;
    size_t pass_len = 0;
    const char *why;
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
    if ((e = tc_keys_passphrase(&pass, &pass_len, o->penv, o->pfile, prompt, false, &why)) != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return false;
    }
    if (secret && (e = tc_keys_secret_open(secret, path, pass, pass_len)) == TC_OK)
        tc_keys_secret_lock(*secret);
    else if (signer)
        e = tc_keys_signer_open(signer, path, pass, pass_len, want);
    tc_keys_passphrase_free(pass, pass_len);
    if (e != TC_OK)
        fail(path, e);
    return e == TC_OK;
}

static struct tc_secret *unlock(const char *path, const struct opts *o, enum tc_key_kind want)
{
    struct tc_secret *k = NULL;
    return unlock_key(path, o, want, &k, NULL) ? k : NULL;
}

static struct tc_signer *unlock_signer(const char *path, const struct opts *o,
                                       enum tc_key_kind want)
{
    struct tc_signer *k = NULL;
    return unlock_key(path, o, want, NULL, &k) ? k : NULL;
}

/* Opens the store, with its keys when a hash key is given (needed for anything that writes). */
static struct tc_store *open_store(const struct opts *o, struct tc_secret **hk,
                                   struct tc_store_keys **keys, bool need_keys)
{
    *hk = NULL;
    *keys = NULL;
    if (need_keys && !o->hash_key) {
        fprintf(stderr, PROG ": --hash-key is required (it keys holder look-ups and the audit "
                        "chain)\n");
        return NULL;
    }
    if (o->hash_key) {
        if (!(*hk = unlock(o->hash_key, o, TC_KEY_HASH)))
            return NULL;
        if (tc_store_keys_derive(keys, *hk) != TC_OK) {
            tc_keys_secret_close(*hk);
            *hk = NULL;
            return NULL;
        }
    }
    struct tc_store *s = NULL;
    enum tc_err e = o->read_only ? tc_store_open_ro(&s, o->db, *keys) : tc_store_open(&s, o->db, *keys);
    if (e != TC_OK) {
        if (e == TC_ERR_PASSPHRASE)
            fprintf(stderr, PROG ": %s: this hash key is not the store's\n", o->db);
        else
            fail(o->db, e);
        tc_store_keys_free(*keys);
        tc_keys_secret_close(*hk);
        *keys = NULL;
        *hk = NULL;
    }
    return s;
}

static void close_store(struct tc_store *s, struct tc_secret *hk, struct tc_store_keys *keys)
{
    tc_store_close(s);
    tc_store_keys_free(keys);
    tc_keys_secret_close(hk);
}

static struct tc_trust_list *load_trust(const struct opts *o)
{
    struct tc_trust_list *tl = NULL;
    if (!o->root || !o->trust) {
        fprintf(stderr, PROG ": --root and --trust-list are required (rule A1 is checked "
                        "before signing)\n");
        return NULL;
    }
    return read_trust_list(o->root, o->trust, &tl) == 0 ? tl : NULL;
}

static void print_refusals(const struct tc_refusals *r, const char *file)
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

static int write_outputs(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                         size_t len, bool show, int *version);
static bool parse_id(const char *s, uint64_t *id);
static void print_c5(struct tc_store *s, uint64_t id, const struct tc_profile *pr);

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
    struct tc_trust_list *tl = load_trust(o);
    if (!tl)
        return EXIT_USAGE;
    struct tc_pdf_batch_opts po = {o->out_dir, o->base, o->threads ? (int)o->threads : 2, o->force,
                                   pdf_progress, NULL};
    struct tc_pdf_batch_result res;
    enum tc_err e = tc_pdf_batch(s, ids, n, tl, &po, &res);
    tc_trust_list_free(tl);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": e-certificates: %s (%zu written, %zu already complete)\n",
                res.why[0] ? res.why : tc_strerror(e), res.written, res.kept);
        fprintf(stderr, "  the rest, once fixed: " PROG " render --db %s --pdf --out-dir %s --base-url %s "
                        "--root ... --trust-list ... %s%lld\n", o->db, o->out_dir, o->base,
                batch > 0 ? "--batch " : "", batch > 0 ? (long long)batch : (long long)ids[0]);
        return e == TC_ERR_NOT_FOUND || e == TC_ERR_RANGE ? EXIT_REFUSED : EXIT_USAGE;
    }
    printf("  e-certificates: %s/<id>.pdf, %zu written%s%zu already complete kept (%.1f s, %.1f/s)\n",
           o->out_dir, res.written, res.kept ? ", " : ", ", res.kept, res.seconds,
           res.seconds > 0 ? (double)res.written / res.seconds : 0.0);
    return 0;
}

/* Writes the output files of certificates already in the store. On the first failure it stops
 * and says which certificates have their files, which do not, and the command that writes the
 * rest: the certificates themselves are issued and stay so. Returns 0 or EXIT_USAGE. */
static int render_ids(struct tc_store *s, const uint64_t *ids, size_t n, const struct opts *o,
                      int64_t batch, bool show_qr)
{
    int rc = 0;
    size_t done = 0;
    for (; done < n && rc == 0; done++) {
        struct tc_cert_row row;
        int version = 0;
        enum tc_err e = tc_cert_get(s, ids[done], &row);
        if (e != TC_OK) {
            rc = fail("read back", e);
            break;
        }
        rc = write_outputs(o->out_dir, o->base, row.id, row.payload, row.payload_len, show_qr,
                           &version);
        if (rc != 0)
            break;
        if (n == 1) {
            char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1];
            tc_text_encode(text, sizeof text, row.payload, row.payload_len);
            tc_link_make(link, sizeof link, o->base, text);
            printf("  QR version %d at ECC M\n  link:  %s\n  files: %s/%llu.{txt,link,png,svg}\n",
                   version, link, o->out_dir, (unsigned long long)row.id);
        } else if (isatty(STDERR_FILENO) && n > 1000 && done % 500 == 0) {
            fprintf(stderr, "\rwriting files %zu/%zu", done, n);
        }
    }
    if (rc == 0) {
        if (n > 1)
            printf("  files: %s/<id>.{txt,link,png,svg} for %zu certificates\n", o->out_dir, n);
        return o->pdf ? render_pdfs(s, ids, n, o, batch) : 0;
    }
    fprintf(stderr,
            PROG ": the certificates are issued and stored; the files of %zu of %zu were written "
                 "(%llu failed first)\n",
            done, n, (unsigned long long)ids[done < n ? done : n - 1]);
    if (batch > 0)
        fprintf(stderr, "  write them again with: " PROG " render --db %s --batch %lld --out-dir %s "
                        "--base-url %s\n", o->db, (long long)batch, o->out_dir, o->base);
    else
        fprintf(stderr, "  write them again with: " PROG " render --db %s --out-dir %s --base-url %s "
                        "%llu\n", o->db, o->out_dir, o->base, (unsigned long long)ids[0]);
    return EXIT_USAGE;
}

static const char render_help[] =
    "Usage: " PROG " render --db FILE --out-dir DIR --base-url URL (--batch B | CERT_ID...)\n"
    "                       [--pdf --root ROOT.pub --trust-list FILE [--threads N] [--force]]\n"
    "Writes the output files of certificates already issued, from the store: DIR/<id>.txt\n"
    "(payload), .link, .png and .svg (the QR code). For a batch whose files could not be written\n"
    "at import (a full disk, say), or to render again for another verification address. Reads\n"
    "the store only (a read-only copy works); files are written to a temporary name and renamed.\n"
    "  --pdf        also the holder's e-certificate, DIR/<id>.pdf (rule A4): one A4 page with\n"
    "               the title, scope, conversion path, QR code (as vectors) and the organiser's\n"
    "               seal (set with '" PROG " seal'); each certificate's signature is checked\n"
    "               against the trust list, whose endorsement names the committee\n"
    "  --threads N  PDF rendering threads (default 2), with a progress bar on a terminal\n"
    "  --force      render PDFs that are already complete again (else they are kept, so an\n"
    "               interrupted run resumes)\n";

static int cmd_render(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "render", render_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.out_dir || !o.base)
        return usage_error("render", "--out-dir and --base-url are required");
    if (o.pdf && (!o.root || !o.trust))
        return usage_error("render", "--pdf needs --root and --trust-list (the committee's name "
                                     "and the signature are checked before a certificate is rendered)");
    if (!o.batch == !(optind < argc))
        return usage_error("render", "give --batch B or certificate ids, not both");
    struct tc_store *s = NULL;
    enum tc_err e = tc_store_open_ro(&s, o.db, NULL);
    if (e != TC_OK)
        return fail(o.db, e);
    uint64_t *ids = NULL;
    size_t n = 0;
    if (o.batch) {
        if ((e = tc_batch_certs(s, o.batch, &ids, &n)) != TC_OK) {
            if (e == TC_ERR_NOT_FOUND)
                fprintf(stderr, PROG ": render: no batch %lld in %s\n", o.batch, o.db);
            else
                fail("render", e);
            tc_store_close(s);
            return EXIT_USAGE;
        }
    } else {
        n = (size_t)(argc - optind);
        ids = calloc(n, sizeof *ids);
        for (size_t i = 0; ids && i < n; i++)
            if (!parse_id(argv[optind + (int)i], &ids[i])) {
                free(ids);
                tc_store_close(s);
                return usage_error("render", "certificate ids are numbers");
            }
    }
    rc = ids ? render_ids(s, ids, n, &o, o.batch, false) : fail("render", TC_ERR_NOMEM);
    free(ids);
    tc_store_close(s);
    return rc;
}

static const char migrate_help[] =
    "Usage: " PROG " migrate --db FILE\n"
    "Upgrades a store written by an older titlecert-issuer to this program's schema. It first\n"
    "copies the store with SQLite's online backup API to FILE.schema<N>-<time>.bak (mode 0600),\n"
    "then upgrades it in one transaction per step. Other commands refuse an older store rather\n"
    "than upgrade it silently.\n";

static int cmd_migrate(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "migrate", migrate_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    char backup[4096];
    int from, to;
    enum tc_err e = tc_store_migrate(o.db, backup, sizeof backup, &from, &to);
    if (e != TC_OK)
        return fail(o.db, e);
    if (!backup[0])
        printf("%s: schema %d is current; nothing to do\n", o.db, from);
    else
        printf("%s: backed up to %s\n%s: schema %d -> %d\n", o.db, backup, o.db, from, to);
    return 0;
}

static int write_outputs(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                         size_t len, bool show, int *version)
{
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1], path[4096];
    struct tc_qr qr = {0};
    enum tc_err e;
    if ((e = tc_text_encode(text, sizeof text, msg, len)) != TC_OK ||
        (e = tc_link_make(link, sizeof link, base, text)) != TC_OK ||
        (e = tc_qr_encode(&qr, link, TC_QR_M)) != TC_OK)
        return fail("encode", e);
    int rc = 0;
    if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0)
        rc = fail(dir, TC_ERR_IO);
    if (rc == 0)
        rc = write_text(dir, id, "txt", text);
    if (rc == 0)
        rc = write_text(dir, id, "link", link);
    snprintf(path, sizeof path, "%s/%llu.png", dir, (unsigned long long)id);
    if (rc == 0 && (e = tc_qr_write_png(&qr, path, 4)) != TC_OK)
        rc = fail(path, e);
    snprintf(path, sizeof path, "%s/%llu.svg", dir, (unsigned long long)id);
    if (rc == 0 && (e = tc_qr_write_svg(&qr, path)) != TC_OK)
        rc = fail(path, e);
    if (rc == 0 && show) {
        char *t = tc_qr_to_terminal(&qr);
        if (t)
            fputs(t, stdout);
        free(t);
    }
    if (version)
        *version = qr.version;
    tc_qr_free(&qr);
    return rc;
}

/* ---- init ---------------------------------------------------------------------------------- */

static const char init_help[] =
    "Usage: " PROG " init --db FILE --profile GS|SD|JL|CQ|SX|FILE.json --hash-key HASH.key\n"
    "Creates a store for one province profile: a name looks in " TITLECERT_DATADIR "/profiles\n"
    "(or $TITLECERT_PROFILES), a FILE.json is read as given. The hash key (titlecert-keys\n"
    "hash-key-create) keys holder look-ups and the audit chain; it is bound to the store.\n";

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
        fail(path, e);
        return NULL;
    }
    buf[*len] = '\0';
    return (char *)buf;
}

static int cmd_init(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "init", init_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.profile || !o.hash_key)
        return usage_error("init", "--profile and --hash-key are required");
    size_t len;
    char *profile = read_profile(o.profile, &len);
    if (!profile)
        return EXIT_USAGE;
    struct tc_secret *hk = unlock(o.hash_key, &o, TC_KEY_HASH);
    struct tc_store_keys *keys = NULL;
    const char *why = NULL;
    enum tc_err e = TC_ERR_ARG;
    if (hk && (e = tc_store_keys_derive(&keys, hk)) == TC_OK)
        e = tc_store_init(o.db, profile, len, keys, &why);
    if (e == TC_OK) {
        struct tc_profile p;
        tc_profile_parse(&p, profile, len, &why);
        printf("store %s created for %s (%s), profile version %d\n", o.db, p.name, p.code,
               p.version);
    } else if (hk) {
        if (why && e != TC_ERR_EXISTS)
            fprintf(stderr, PROG ": %s: profile: %s: %s\n", o.profile, why, tc_strerror(e));
        else
            fail(o.db, e);
    }
    free(profile);
    tc_store_keys_free(keys);
    tc_keys_secret_close(hk);
    return e == TC_OK ? 0 : EXIT_USAGE;
}

/* ---- units and records --------------------------------------------------------------------- */

/* "units import ...", "records import ...": checks the verb, handles --help, parses the options.
 * Returns -1 when help was printed, a usage status, or 0 with *o filled. */
static int verb(int argc, char **argv, const char *group, const char *name, const char *help,
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
        return usage_error(group, msg);
    }
    return parse_opts(argc - 1, argv + 1, cmd, help, o);
}

static const char units_help[] =
    "Usage: " PROG " units import --db FILE --hash-key HASH.key [--strict-uscc] UNITS.csv\n"
    "Imports basic-level unit directory entries (docs/CSV.md): uscc, name, division, tier,\n"
    "basic_level (optional: yes/no), valid_from, valid_to (optional). All or nothing: every bad\n"
    "line is listed and nothing is written. A USCC failing its GB 32100 check character is kept\n"
    "with a warning (early pilot codes do fail it) unless --strict-uscc.\n";

static int cmd_units(int argc, char **argv)
{
    struct opts o;
    int rc = verb(argc, argv, "units", "import", units_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind + 1 != argc - 1)
        return usage_error("units import", "give one UNITS.csv");
    const char *file = argv[1 + optind];
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_refusals ref = {0};
    size_t n = 0, warnings = 0;
    enum tc_err e = tc_units_import(s, file, o.strict_uscc, &ref, &n, &warnings);
    print_refusals(&ref, file);
    if (e == TC_OK)
        printf("imported %zu units (%zu warnings)\n", n, warnings);
    else if (e == TC_ERR_REFUSED)
        fprintf(stderr, PROG ": %s: nothing imported\n", file);
    else
        fprintf(stderr, PROG ": %s: %s %s\n", file, tc_strerror(e), tc_store_errmsg(s));
    tc_refusals_free(&ref);
    close_store(s, hk, keys);
    return e == TC_OK ? 0 : e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
}

static const char records_help[] =
    "Usage: " PROG " records import --db FILE --hash-key HASH.key (employment|assessments|ce) FILE.csv\n"
    "Imports the records behind the conversion path (docs/CSV.md):\n"
    "  employment   id_number,name,unit,from,to      periods at a unit (to empty: still there)\n"
    "  assessments  id_number,name,year,result       annual assessment: 优秀/合格/基本合格/不合格\n"
    "  ce           id_number,name,year,hours        continuing-education hours (C2)\n"
    "All or nothing; ID numbers are hashed, never stored.\n";

static int cmd_records(int argc, char **argv)
{
    struct opts o;
    int rc = verb(argc, argv, "records", "import", records_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind + 2 != argc - 1)
        return usage_error("records import", "give a kind (employment, assessments, ce) and a file");
    const char *kind = argv[1 + optind], *file = argv[2 + optind];
    if (strcmp(kind, "employment") && strcmp(kind, "assessments") && strcmp(kind, "ce"))
        return usage_error("records import", "the kind is employment, assessments or ce");
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_refusals ref = {0};
    size_t n = 0;
    enum tc_err e = tc_records_import(s, kind, file, &ref, &n);
    print_refusals(&ref, file);
    if (e == TC_OK)
        printf("imported %zu %s records\n", n, kind);
    else if (e == TC_ERR_REFUSED)
        fprintf(stderr, PROG ": %s: nothing imported\n", file);
    else
        fprintf(stderr, PROG ": %s: %s %s\n", file, tc_strerror(e), tc_store_errmsg(s));
    tc_refusals_free(&ref);
    close_store(s, hk, keys);
    return e == TC_OK ? 0 : e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
}

/* ---- issue and import ---------------------------------------------------------------------- */

struct progress {
    bool tty;
    time_t last;
    const char *verb;
};

static void show_progress(void *ctx, size_t done, size_t total)
{
    struct progress *p = ctx;
    if (!p->tty)
        return;
    time_t now = time(NULL);
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

static const char import_help[] =
    "Usage: " PROG " import --db FILE --hash-key HASH.key --key ISSUER.key --root ROOT.pub\n"
    "                       --trust-list FILE [--out-dir DIR --base-url URL] [--dry-run] RESULTS.csv\n"
    "Issues a committee's results (docs/CSV.md). The whole file is checked first against the rules\n"
    "(T1, C4, S2/S3, D1, D2, A1, A2 blacklist) and the store; every refusal is listed with its line\n"
    "and rule, and nothing is issued unless there is none. Then all certificates are signed and\n"
    "stored in one transaction. --out-dir writes each certificate's payload, link, PNG and SVG;\n"
    "with --pdf also its e-certificate (as 'render --pdf': --threads, a seal for the key).\n";

static int issue_requests(const struct opts *o, struct tc_store *s, struct tc_issue_request *reqs,
                          size_t n, const char *source, bool show_qr)
{
    struct tc_trust_list *tl = load_trust(o);
    if (!tl)
        return EXIT_USAGE;
    int rc = EXIT_USAGE;
    struct tc_signer *sk = NULL;
    struct tc_refusals ref = {0};
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(o->key, &info);
    if (e != TC_OK) {
        fail(o->key, e);
        goto out;
    }
    uint64_t now = (uint64_t)time(NULL);
    e = tc_issue_check(s, reqs, n, tl, &info.pub, now, &ref);
    print_refusals(&ref, source);
    if (e == TC_ERR_REFUSED) {
        fprintf(stderr, PROG ": %s: %zu refusal%s; nothing issued\n", source, ref.total,
                ref.total == 1 ? "" : "s");
        rc = EXIT_REFUSED;
        goto out;
    }
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: %s %s\n", source, tc_strerror(e), tc_store_errmsg(s));
        goto out;
    }
    if (o->dry_run) {
        printf("%zu certificate%s would be issued (dry run)\n", n, n == 1 ? "" : "s");
        rc = 0;
        goto out;
    }
    if (!(sk = unlock_signer(o->key, o, TC_KEY_ISSUER)))
        goto out;
    struct progress pr = {isatty(STDERR_FILENO) && n > 1000, 0, "issuing"};
    e = tc_issue_commit(s, reqs, n, sk, now, source, show_progress, &pr);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: %s %s; nothing issued\n", source, tc_strerror(e),
                tc_store_errmsg(s));
        goto out;
    }
    rc = 0;
    int64_t batch = 0;
    tc_cert_batch_of(s, reqs[0].claims.id, &batch);
    printf("issued %zu certificate%s: %llu .. %llu (batch %lld)\n", n, n == 1 ? "" : "s",
           (unsigned long long)reqs[0].claims.id, (unsigned long long)reqs[n - 1].claims.id,
           (long long)batch);
    if (o->out_dir) {
        uint64_t *ids = malloc(n * sizeof *ids);
        if (!ids)
            return fail("outputs", TC_ERR_NOMEM);
        for (size_t i = 0; i < n; i++)
            ids[i] = reqs[i].claims.id;
        rc = render_ids(s, ids, n, o, batch, show_qr);
        free(ids);
    }
out:
    tc_refusals_free(&ref);
    tc_signer_close(sk);
    tc_trust_list_free(tl);
    return rc;
}

static int cmd_import(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "import", import_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind + 1 != argc)
        return usage_error("import", "give one RESULTS.csv");
    if (!o.key || (o.out_dir && !o.base))
        return usage_error("import", "--key is required, and --out-dir needs --base-url");
    const char *file = argv[optind];
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_refusals ref = {0};
    struct tc_issue_request *reqs = NULL;
    size_t n = 0;
    enum tc_err e = tc_issue_read_csv(s, file, &reqs, &n, &ref);
    if (e != TC_OK || ref.total) {
        print_refusals(&ref, file);
        if (e != TC_OK)
            fail(file, e);
        else
            fprintf(stderr, PROG ": %s: %zu line%s unreadable; nothing issued\n", file, ref.total,
                    ref.total == 1 ? "" : "s");
        rc = e != TC_OK ? EXIT_USAGE : EXIT_REFUSED;
    } else if (n == 0) {
        fprintf(stderr, PROG ": %s: no rows\n", file);
        rc = EXIT_USAGE;
    } else {
        rc = issue_requests(&o, s, reqs, n, file, false);
    }
    if (reqs)
        sodium_memzero(reqs, n * sizeof *reqs);
    free(reqs);
    tc_refusals_free(&ref);
    close_store(s, hk, keys);
    return rc;
}

static const char issue_help[] =
    "Usage: " PROG " issue --db FILE --hash-key HASH.key --key ISSUER.key --root ROOT.pub\n"
    "                      --trust-list FILE --claims FILE.json --out-dir DIR --base-url URL\n"
    "Issues one certificate from claims in JSON (as for 'sign', with \"id_number\" and an\n"
    "\"approval\" reference) under the same rules as 'import'; writes payload, link, PNG, SVG.\n";

static int cmd_issue(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "issue", issue_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.key || !o.claims || !o.out_dir || !o.base)
        return usage_error("issue", "--key, --claims, --out-dir and --base-url are required");
    uint8_t *raw;
    size_t raw_len;
    enum tc_err e = tc_file_read(o.claims, CLAIMS_JSON_MAX, &raw, &raw_len);
    if (e != TC_OK)
        return fail(o.claims, e);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (!j) {
        fprintf(stderr, PROG ": %s: line %d: %s\n", o.claims, jerr.line, jerr.text);
        return EXIT_USAGE;
    }
    struct tc_issue_request q;
    memset(&q, 0, sizeof q);
    const char *field = NULL;
    const char *idno = json_string_value(json_object_get(j, "id_number"));
    const char *approval = json_string_value(json_object_get(j, "approval"));
    e = tc_claims_from_json(j, &q.claims, &field);
    if (e == TC_OK && (!idno || strlen(idno) != TC_IDNO_LEN))
        e = TC_ERR_CODE, field = "id_number";
    if (e == TC_OK && (!approval || !*approval || strlen(approval) > TC_APPROVAL_MAX))
        e = TC_ERR_RANGE, field = "approval";
    if (e == TC_OK) {
        memcpy(q.idno, idno, TC_IDNO_LEN + 1);
        memcpy(q.approval, approval, strlen(approval) + 1);
        q.scope_given = json_object_get(j, "scope") != NULL;
        q.line = 0;
    }
    json_decref(j);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: claim '%s': %s\n", o.claims, field ? field : "?",
                tc_strerror(e));
        return EXIT_USAGE;
    }
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    rc = issue_requests(&o, s, &q, 1, o.claims, isatty(STDOUT_FILENO));
    sodium_memzero(&q, sizeof q);
    close_store(s, hk, keys);
    return rc;
}

/* ---- revoke, convert, show, audit, bundle --------------------------------------------------- */

static bool parse_id(const char *s, uint64_t *id)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v == 0)
        return false;
    *id = v;
    return true;
}

static const char revoke_help[] =
    "Usage: " PROG " revoke --db FILE --hash-key HASH.key --reason fraud|error|other [--date DATE]\n"
    "                       [--blacklist [--blacklist-reason TEXT] [--until DATE]] CERT_ID\n"
    "Revokes a certificate from DATE (default today; rule A2). The record stays. --blacklist adds\n"
    "the holder to the integrity blacklist: no new certificate until --until (default: open).\n";

static int cmd_revoke(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "revoke", revoke_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    uint64_t id;
    if (optind + 1 != argc || !parse_id(argv[optind], &id))
        return usage_error("revoke", "give one certificate id");
    if (!o.reason || (strcmp(o.reason, "fraud") && strcmp(o.reason, "error") &&
                      strcmp(o.reason, "other")))
        return usage_error("revoke", "--reason is fraud, error or other");
    int32_t day = tc_beijing_day((uint64_t)time(NULL)), until = 0;
    if (o.date && !tc_day_parse(&day, o.date))
        return usage_error("revoke", "--date takes YYYY-MM-DD");
    if (o.until && !tc_day_parse(&until, o.until))
        return usage_error("revoke", "--until takes YYYY-MM-DD");
    if (o.bl_reason && (strlen(o.bl_reason) > TC_REASON_MAX ||
                        !tc_text_safe((const uint8_t *)o.bl_reason, strlen(o.bl_reason))))
        return usage_error("revoke", "--blacklist-reason must be printable text of at most 240 bytes");
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    enum tc_err e = tc_revoke(s, id, o.reason, day, o.blacklist, o.bl_reason, until,
                              (uint64_t)time(NULL));
    if (e == TC_OK)
        printf("certificate %llu revoked (%s)%s\n", (unsigned long long)id, o.reason,
               o.blacklist ? "; holder blacklisted" : "");
    else if (e == TC_ERR_EXISTS)
        fprintf(stderr, PROG ": certificate %llu is already revoked\n", (unsigned long long)id);
    else if (e == TC_ERR_NOT_FOUND)
        fprintf(stderr, PROG ": no certificate %llu in %s\n", (unsigned long long)id, o.db);
    else
        fprintf(stderr, PROG ": revoke: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
    close_store(s, hk, keys);
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

static int cmd_convert(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "convert", convert_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    uint64_t id;
    if (optind + 1 != argc || !parse_id(argv[optind], &id))
        return usage_error("convert", "give one certificate id");
    int32_t at = tc_beijing_day((uint64_t)time(NULL));
    if (o.at && !tc_day_parse(&at, o.at))
        return usage_error("convert", "--at takes YYYY-MM-DD");
    if (o.decision && (!o.key || !o.committee))
        return usage_error("convert", "--decision needs --key and --committee");
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    struct tc_eligibility el;
    enum tc_err e = tc_convert_check(s, id, at, &el);
    struct tc_c5 c5 = {0};
    if (e == TC_OK && o.reevaluation)
        e = tc_basic_status(s, id, at, &c5);
    if (e != TC_OK) {
        rc = e == TC_ERR_NOT_FOUND ? (fprintf(stderr, PROG ": no certificate %llu\n",
                                              (unsigned long long)id),
                                      EXIT_USAGE)
                                   : fail("convert", e);
        goto out;
    }
    printf("certificate %llu: %d of %d months at basic-level units\n", (unsigned long long)id,
           el.months, el.months_required);
    for (size_t i = 0; i < el.n_shortfalls; i++)
        printf("  不满足: %s\n", el.shortfalls[i]);
    print_c5(s, id, tc_store_profile(s)); /* C5: the holder may have left basic level */
    if (o.reevaluation) {
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
    if (!o.decision)
        goto out;
    struct tc_trust_list *tl = load_trust(&o);
    struct tc_signer *sk = tl ? unlock_signer(o.key, &o, TC_KEY_ISSUER) : NULL;
    uint64_t new_id = 0;
    rc = EXIT_USAGE;
    if (sk) {
        const struct tc_endorsement *en = tc_trust_find(tl, tc_signer_pub(sk)->kid);
        if (!en || !(en->authz.tracks & TC_AUTHZ_TRACK(TC_TRACK_PROVINCE))) {
            fprintf(stderr, PROG ": convert: refused (rule A1): the key may not sign "
                            "province-wide titles\n");
            rc = EXIT_REFUSED;
        } else if ((e = (o.reevaluation ? tc_reevaluate_commit : tc_convert_commit)(
                        s, id, at, o.decision, (uint16_t)o.committee, sk, (uint64_t)time(NULL),
                        &new_id)) != TC_OK) {
            fprintf(stderr, PROG ": convert: %s %s\n", tc_strerror(e), tc_store_errmsg(s));
        } else {
            printf("issued province-wide certificate %llu; %llu is superseded\n",
                   (unsigned long long)new_id, (unsigned long long)id);
            rc = 0;
            if (o.out_dir && o.base)
                rc = render_ids(s, &new_id, 1, &o, 0, false);
        }
    }
    tc_signer_close(sk);
    tc_trust_list_free(tl);
out:
    close_store(s, hk, keys);
    return rc;
}

static const char show_help[] =
    "Usage: " PROG " show --db FILE [--qr --base-url URL] CERT_ID\n"
    "Prints a certificate in readable Chinese with its status and history; --qr adds its QR code\n"
    "(the link to the verification page at URL) on the terminal.\n";

/* C5: where the employment records show the holder has left basic-level units, what can be done */
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

/* A certificate's events from the audit log, oldest first (A3). */
static void print_history(struct tc_store *s, uint64_t id)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(tc_store_db(s),
                           "SELECT seq, datetime(at, 'unixepoch', '+8 hours'), kind, detail FROM "
                           "events WHERE cert = ? ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(q, 1, (int64_t)id);
    while (sqlite3_step(q) == SQLITE_ROW)
        printf("  #%lld %s %s %s\n", (long long)sqlite3_column_int64(q, 0),
               (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2),
               (const char *)sqlite3_column_text(q, 3));
    sqlite3_finalize(q);
}

/* The QR code its holder gets (the link to the page at base), on the terminal. */
static int print_qr(const struct tc_cert_row *row, const char *base)
{
    char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1];
    struct tc_qr qr;
    enum tc_err e;
    if (!base)
        return usage_error("show", "--qr needs --base-url");
    if ((e = tc_text_encode(text, sizeof text, row->payload, row->payload_len)) != TC_OK ||
        (e = tc_link_make(link, sizeof link, base, text)) != TC_OK ||
        (e = tc_qr_encode(&qr, link, TC_QR_M)) != TC_OK)
        return fail("qr", e);
    char *art = tc_qr_to_terminal(&qr);
    printf("二维码（QR version %d, ECC M）\n%s", qr.version, art ? art : "");
    free(art);
    tc_qr_free(&qr);
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "show", show_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    uint64_t id;
    if (optind + 1 != argc || !parse_id(argv[optind], &id))
        return usage_error("show", "give one certificate id");
    struct tc_store *s = NULL;
    enum tc_err e = tc_store_open_ro(&s, o.db, NULL); /* reading only: a read-only copy works */
    if (e != TC_OK)
        return fail(o.db, e);
    struct tc_cert_row row;
    struct tc_cert cert;
    if ((e = tc_cert_get(s, id, &row)) != TC_OK ||
        (e = tc_cert_decode(row.payload, row.payload_len, &cert, NULL)) != TC_OK) {
        if (e == TC_ERR_NOT_FOUND)
            fprintf(stderr, PROG ": no certificate %llu in %s\n", (unsigned long long)id, o.db);
        else
            fail("show", e);
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
    print_history(s, id);
    rc = o.qr ? print_qr(&row, o.base) : 0;
    tc_store_close(s);
    return rc;
}

static const char audit_help[] =
    "Usage: " PROG " audit verify --db FILE --hash-key HASH.key\n"
    "Checks the append-only audit chain (A3): every event's MAC and sequence. Exit 1 when an\n"
    "event was edited, deleted or inserted.\n";

static int cmd_audit(int argc, char **argv)
{
    struct opts o;
    int rc = verb(argc, argv, "audit", "verify", audit_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    o.read_only = true; /* a check reads: it works on a read-only copy of the store */
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    if (!s)
        return EXIT_USAGE;
    uint64_t count, bad;
    uint8_t head[32];
    char hex[65];
    enum tc_err e = tc_audit_verify(s, &count, &bad, head);
    if (e != TC_OK) {
        rc = fail("audit", e);
    } else if (bad) {
        printf("audit chain BROKEN at event %llu (%llu events read)\n", (unsigned long long)bad,
               (unsigned long long)count);
        rc = EXIT_REFUSED;
    } else {
        sodium_bin2hex(hex, sizeof hex, head, 32);
        printf("audit chain intact: %llu events, head %s\n", (unsigned long long)count, hex);
    }
    close_store(s, hk, keys);
    return rc;
}

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
    struct tc_secret *hk;
    struct tc_signer *sk;
    struct tc_store_keys *keys;
};

/* true when everything is open (else it said why); close with publication_close either way */
static bool publication_open(const struct opts *o, struct publication *p)
{
    memset(p, 0, sizeof *p);
    if (!(p->tl = load_trust(o)))
        return false;
    tc_file_read(o->trust, TC_TRUST_LIST_MAX_BYTES, &p->list, &p->list_len);
    if (!(p->s = open_store(o, &p->hk, &p->keys, true)))
        return false;
    return (p->sk = unlock_signer(o->key, o, TC_KEY_ISSUER)) != NULL;
}

static void publication_close(struct publication *p)
{
    tc_signer_close(p->sk);
    if (p->s)
        close_store(p->s, p->hk, p->keys);
    free(p->list);
    tc_trust_list_free(p->tl);
}

/* The export both commands share; prints why on failure. */
static bool export_bundle(const struct publication *p, const struct opts *o, const char *what,
                          struct tc_export *x)
{
    struct tc_store *s = p->s;
    enum tc_err e = tc_bundle_export(s, p->list, p->list_len, p->tl, p->sk, o->origin,
                                     (uint64_t)time(NULL), x);
    if (e == TC_ERR_NOT_AUTHORISED)
        fprintf(stderr, PROG ": %s: refused (rules A1, A3): the key is not endorsed, in term, for "
                        "status publication and register checkpoints (--tracks ...,status,register)\n",
                what);
    else if (e != TC_OK)
        fprintf(stderr, PROG ": %s: %s %s\n", what, tc_strerror(e), tc_store_errmsg(s));
    return e == TC_OK;
}

static int cmd_bundle(int argc, char **argv)
{
    struct opts o;
    int rc = verb(argc, argv, "bundle", "export", bundle_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.key || !o.out)
        return usage_error("bundle export", "--key and --out are required");
    struct publication pub;
    rc = EXIT_USAGE;
    struct tc_export x;
    memset(&x, 0, sizeof x);
    if (publication_open(&o, &pub) && export_bundle(&pub, &o, "bundle export", &x)) {
        enum tc_err e = tc_file_write(o.out, x.bundle, x.len, 0644, TC_FILE_REPLACE);
        if (e != TC_OK)
            fail(o.out, e);
        else {
            printf("status bundle version %llu: %zu bytes, register of %llu entries: %s\n",
                   (unsigned long long)x.version, x.len, (unsigned long long)x.register_size, o.out);
            rc = 0;
        }
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

static int cmd_seal(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "seal", seal_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    uint8_t kid[TC_KID_BYTES];
    size_t got = 0;
    if (!o.kid || strlen(o.kid) != 16 ||
        sodium_hex2bin(kid, sizeof kid, o.kid, 16, NULL, &got, NULL) != 0 || got != TC_KID_BYTES)
        return usage_error("seal", "--kid takes an issuer key id of 16 hex digits");
    if (!o.organiser || !o.image)
        return usage_error("seal", "--organiser and --image are required");
    uint8_t *img = NULL;
    size_t len = 0;
    enum tc_err e = tc_file_read(o.image, TC_PDF_SEAL_MAX, &img, &len);
    if (e != TC_OK)
        return fail(o.image, e);
    struct tc_secret *hk;
    struct tc_store_keys *keys;
    struct tc_store *s = open_store(&o, &hk, &keys, true);
    rc = EXIT_USAGE;
    if (s) {
        char why[256] = "";
        e = tc_seal_set(s, kid, o.organiser, img, len, (uint64_t)time(NULL), why, sizeof why);
        if (e != TC_OK)
            fprintf(stderr, PROG ": seal: %s: %s\n", o.image, why[0] ? why : tc_store_errmsg(s));
        else {
            printf("seal of %s set for issuer key %s (%zu bytes)\n", o.organiser, o.kid, len);
            rc = 0;
        }
        close_store(s, hk, keys);
    }
    free(img);
    return rc;
}

static const char publish_help[] =
    "Usage: " PROG " publish --db FILE --hash-key HASH.key --key PUBLICATION.key --root ROOT.pub\n"
    "                        --trust-list FILE --out DIR [--batch B [--days N]] [--origin O]\n"
    "Writes the province's static publication into DIR, for any web server, mirror or CDN to\n"
    "serve (rule A3, 公示 and 全程记录):\n"
    "  DIR/gongshi-B.html, .csv, .json  with --batch: the 公示 of batch B, review-passed and\n"
    "                                   assessment-recognised persons listed separately, with\n"
    "                                   the announcement period; the JSON's hash is logged\n"
    "  DIR/tile/...                     the register in the C2SP tlog-tiles layout\n"
    "  DIR/bundle.cbor                  the signed status bundle (as 'bundle export')\n"
    "  DIR/checkpoint                   the register's signed checkpoint\n"
    "  DIR/head                         what replicas poll (serve --source): the bundle's\n"
    "                                   version, SHA-256 and size, and the checkpoint; last\n"
    "  --days N     announcement period in working days (default 5)\n"
    "  --origin O   the register's name, fixed by the first export\n"
    "Existing full tiles are kept; each file is written to a temporary name and renamed.\n";

static int cmd_publish(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, "publish", publish_help, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!o.key || !o.out)
        return usage_error("publish", "--key and --out are required");
    if (o.days && !o.batch)
        return usage_error("publish", "--days goes with --batch");
    struct publication pub;
    struct tc_export x;
    memset(&x, 0, sizeof x);
    rc = EXIT_USAGE;
    int err = 0;
    enum tc_err e = TC_OK;
    bool opened = publication_open(&o, &pub);
    struct tc_store *s = pub.s;
    if (!opened)
        goto out;
    if (mkdir(o.out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, PROG ": publish: %s: %s\n", o.out, strerror(errno));
        goto out;
    }
    if (o.batch) {
        int days = o.days ? (int)o.days : 5;
        if ((e = tc_gongshi_publish(s, o.batch, o.out, days, (uint64_t)time(NULL), &err)) != TC_OK) {
            if (e == TC_ERR_NOT_FOUND)
                fprintf(stderr, PROG ": publish: batch %lld has no certificates\n", o.batch);
            else
                fprintf(stderr, PROG ": publish: 公示 of batch %lld: %s%s%s %s\n", o.batch,
                        tc_strerror(e), err ? ": " : "", err ? strerror(err) : "", tc_store_errmsg(s));
            goto out;
        }
        printf("公示 of batch %lld (%d working days): %s/gongshi-%lld.html, .csv, .json\n", o.batch,
               days, o.out, o.batch);
    }
    if (!export_bundle(&pub, &o, "publish", &x))
        goto out;
    uint64_t files = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/bundle.cbor", o.out);
    if ((e = tc_file_write(path, x.bundle, x.len, 0644, TC_FILE_REPLACE)) != TC_OK) {
        fail(path, e);
        goto out;
    }
    if ((e = tc_register_publish(s, o.out, x.checkpoint, x.tree, &files, &err)) != TC_OK) {
        fprintf(stderr, PROG ": publish: register files in %s: %s%s%s %s\n", o.out, tc_strerror(e),
                err ? ": " : "", err ? strerror(err) : "", tc_store_errmsg(s));
        goto out;
    }
    /* the head replicas poll (serve --source): version, hash and size of the bundle, and the
     * checkpoint; written last, so a replica that sees it finds everything it names */
    {
        struct tc_head h = {.version = x.version, .bytes = x.len, .checkpoint = x.checkpoint,
                            .checkpoint_len = strlen(x.checkpoint)};
        char head[TC_HEAD_MAX_BYTES + 1], hp[4096];
        size_t hl = 0;
        crypto_hash_sha256(h.sha256, x.bundle, x.len);
        if (x.delta) { /* the delta from the previous version, for replicas that hold it */
            char dp[4096];
            snprintf(dp, sizeof dp, "%s/delta-%llu.cbor", o.out, (unsigned long long)x.delta_from);
            if ((e = tc_file_write(dp, x.delta, x.delta_len, 0644, TC_FILE_REPLACE)) != TC_OK) {
                fail(dp, e);
                goto out;
            }
            h.has_delta = true, h.delta_from = x.delta_from, h.delta_bytes = x.delta_len;
            crypto_hash_sha256(h.delta_sha256, x.delta, x.delta_len);
        }
        snprintf(hp, sizeof hp, "%s/head", o.out);
        if ((e = tc_head_format(&h, head, sizeof head, &hl)) != TC_OK ||
            (e = tc_file_write(hp, (const uint8_t *)head, hl, 0644, TC_FILE_REPLACE)) != TC_OK) {
            fail(hp, e);
            goto out;
        }
    }
    printf("register: %llu entries, %llu files written: %s/tile, %s/checkpoint\n",
           (unsigned long long)x.register_size, (unsigned long long)files, o.out, o.out);
    printf("status bundle version %llu: %zu bytes: %s\n", (unsigned long long)x.version, x.len, path);
    if (x.delta)
        printf("delta from version %llu: %zu bytes: %s/delta-%llu.cbor\n",
               (unsigned long long)x.delta_from, x.delta_len, o.out, (unsigned long long)x.delta_from);
    rc = 0;
out:
    tc_export_free(&x);
    publication_close(&pub);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"init", cmd_init, "create a store for a province profile"},
    {"units", cmd_units, "units import: the basic-level unit directory (S2)"},
    {"records", cmd_records, "records import: employment, assessments, continuing education"},
    {"issue", cmd_issue, "issue one certificate from JSON under the rules"},
    {"import", cmd_import, "issue a committee's results CSV, all or nothing"},
    {"convert", cmd_convert, "check or perform a basic-level -> province-wide conversion (C1)"},
    {"revoke", cmd_revoke, "revoke a certificate, optionally blacklist its holder (A2)"},
    {"show", cmd_show, "a certificate in readable Chinese, with status and history"},
    {"audit", cmd_audit, "audit verify: check the append-only event chain (A3)"},
    {"bundle", cmd_bundle, "bundle export: the signed status bundle for verifiers"},
    {"publish", cmd_publish, "the static publication: 公示, register tiles, checkpoint, bundle (A3)"},
    {"seal", cmd_seal, "set the organiser's seal an issuer key's e-certificates bear (A4)"},
    {"render", cmd_render, "write the files (payload, link, QR PNG/SVG, --pdf e-certificate) again"},
    {"migrate", cmd_migrate, "upgrade an older store's schema, after a backup"},
    {"sign", cmd_sign, "sign one certificate from JSON without a store (payload, link, PNG, SVG)"},
};

int main(int argc, char **argv)
{
    return tc_cli_dispatch(PROG, "Issues titlecert electronic title certificates.", commands,
                           sizeof commands / sizeof commands[0], argc, argv);
}
