/*
 * batch.c - the workflow's batches on the command line (ISSUANCE.md "A batch's life"): results
 * prepared, publicised (公示) on the working-day calendar, objections recorded and resolved,
 * approved by a second person bound to the rows they saw, signed by the signer; revocations and
 * conversions proposed, approved and signed the same way. The library does the checking
 * (issuer.h, tc_wf_*); this file reads options, prints, and asks the signer to sign.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow.h"

static const char batch_help[] =
    "Usage: " PROG " batch prepare RESULTS.csv --title T --issuer-pub ISSUER.pub --root ROOT.pub\n"
    "                            --trust-list FILE [--replace B] --as CLERK --db ...\n"
    "       " PROG " batch publicise B --out DIR --as CLERK --db ...\n"
    "       " PROG " batch objection B --line N --objector NAME --contact C --received DATE\n"
    "                              --text TEXT --as CLERK --db ...\n"
    "       " PROG " batch resolve OBJECTION (--upheld | --dismissed) --outcome TEXT\n"
    "                            --as APPROVER --db ...\n"
    "       " PROG " batch approve B --decision REF --rows-hash HEX --as APPROVER --db ...\n"
    "       " PROG " batch reject B --as APPROVER --db ...\n"
    "       " PROG " batch sign B --as CUSTODIAN [--socket PATH]\n"
    "       " PROG " batch status [B [--rows] [--objections]] --db ...\n"
    "A batch of committee results, as departments run it (ISSUANCE.md):\n"
    "  prepare    a clerk checks the CSV against every rule (refusals by line, nothing stored\n"
    "             when there is one) and stores it as a draft; --replace B puts new rows in a\n"
    "             batch not signed yet, which voids its 公示 and approval\n"
    "  publicise  the 公示: files in DIR (HTML, CSV, JSON), a period of the profile's working\n"
    "             days from today on the calendar (春节, 调休 counted), its hash in the register\n"
    "  objection  an objection received within the period, against a line, from a named person\n"
    "  resolve    an approver upholds (the row leaves the batch) or dismisses it, in writing\n"
    "  approve    an approver who did not prepare it, once the 公示 is over with no objection\n"
    "             open, bound to the rows' hash 'status' shows (any change voids it)\n"
    "  reject     back to draft; the 公示 and any approval are void\n"
    "  sign       a key custodian asks titlecert-signer to sign it; the signer checks all of\n"
    "             this again from the store and the register first\n"
    "  status     the batches, or one with its period, objections, approval and rows\n"
    "Acting commands take --as NAME and the account's password (--password-file or a prompt);\n"
    "the store is opened with --db FILE --hash-key HASH.key and the passphrase options.\n";

static const char revocation_help[] =
    "Usage: " PROG " revocation propose ID... --reason fraud|error|other [--date DATE]\n"
    "                   [--blacklist [--blacklist-reason T] [--until DATE]] --title T\n"
    "                   --as CLERK --db ...\n"
    "       " PROG " revocation approve|reject B ... ; sign B ... ; status [B] ...  (as batch)\n"
    "Revocations (rule A2) are proposed by a clerk, approved by an approver who did not propose\n"
    "them (--decision REF --rows-hash HEX) and signed by the signer (a custodian's request).\n";

static const char conversion_help[] =
    "Usage: " PROG " conversion propose ID... --committee N [--at DATE] [--reevaluation]\n"
    "                   --title T --as CLERK --db ...\n"
    "       " PROG " conversion publicise|objection|resolve|approve|reject|sign|status ...\n"
    "                   (as for batch)\n"
    "Conversions of basic-level titles to province-wide ones (C1 换发; --reevaluation: C5 转评)\n"
    "are checked when proposed and again when signed, publicised (公示) like results, approved\n"
    "by an approver who did not propose them and signed by the signer; the approval's decision\n"
    "(文号) is the new certificates' reference.\n";

/* ---- printing -------------------------------------------------------------------------------- */

static void print_summary(void *ctx, const struct tc_wf_batch *b)
{
    const char *kind = ctx;
    if (kind && strcmp(kind, b->kind) != 0)
        return;
    char from[11] = "", to[11] = "";
    if (b->gongshi_from)
        tc_day_format(from, b->gongshi_from), tc_day_format(to, b->gongshi_to);
    printf("%-5lld %-8s %-11s %5zu rows  %s%s%s%s  %s\n", (long long)b->id, b->kind, b->state,
           b->rows, from, b->gongshi_from ? ".." : "", to, b->open_objections ? " objections" : "",
           b->title);
}

static void print_row(void *ctx, size_t line, bool dropped, const char *row)
{
    (void)ctx;
    json_error_t err;
    json_t *o = json_loads(row, 0, &err);
    json_object_del(o, "holder"); /* a keyed hash: of no use to a reader */
    json_object_del(o, "line");
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    printf("  line %-5zu %s%s\n", line, dropped ? "[dropped: objection upheld] " : "", t ? t : "?");
    free(t);
    json_decref(o);
}

static void print_objection(void *ctx, const struct tc_wf_objection *o)
{
    (void)ctx;
    char day[11];
    tc_day_format(day, o->received);
    printf("  objection %lld, line %zu, received %s from %s (%s), recorded by %s: %s\n"
           "    %s%s%s%s\n",
           (long long)o->id, o->line, day, o->objector, o->contact, o->recorded_by, o->state,
           o->text, o->resolved_by[0] ? "\n    outcome (" : "", o->resolved_by,
           o->resolved_by[0] ? "): " : "");
    if (o->resolved_by[0])
        printf("%s\n", o->outcome);
}

static void print_batch(struct tc_store *s, const struct tc_wf_batch *b, const struct flow *f)
{
    char hex[65], a[11], z[11];
    sodium_bin2hex(hex, sizeof hex, b->rows_hash, 32);
    printf("batch %lld (%s): %s\n  state: %s\n  prepared by %s from %s: %zu rows\n",
           (long long)b->id, b->kind, b->title, b->state, b->prepared_by_name, b->source, b->rows);
    printf("  rows hash: %s\n", hex);
    if (b->gongshi_from) {
        tc_day_format(a, b->gongshi_from), tc_day_format(z, b->gongshi_to);
        printf("  公示 period: %s to %s (%d working days)%s", a, z,
               tc_store_profile(s)->gongshi_working_days,
               b->working_days_left                  ? ""
               : strcmp(b->state, "publicised") == 0 ? ", over"
                                                     : "");
        if (b->working_days_left)
            printf(", %d working day%s left", b->working_days_left,
                   b->working_days_left == 1 ? "" : "s");
        printf("\n");
    }
    printf("  open objections: %d\n", b->open_objections);
    if (b->approved_by)
        printf("  approved by %s, decision %s\n", b->approved_by_name, b->decision);
    if (b->issue_batch)
        printf("  certificates: issue batch %lld ('render --batch %lld' writes their files)\n",
               (long long)b->issue_batch, (long long)b->issue_batch);
    if (strcmp(b->state, "approved") != 0 && strcmp(b->state, "signed") != 0 &&
        strcmp(b->state, "published") != 0)
        printf("  to approve what is shown here: --rows-hash %s\n", hex);
    if (f->objections)
        tc_wf_objections(s, b->id, print_objection, NULL);
    if (f->rows)
        tc_wf_rows(s, b->id, print_row, NULL);
}

/* ---- the steps ------------------------------------------------------------------------------- */

static int step_failed(const char *what, enum tc_err e, const char *why)
{
    fprintf(stderr, PROG ": %s: %s\n", what,
            why[0]                  ? why
            : e == TC_ERR_NOT_FOUND ? "没有这个批次或异议 / no such batch or objection"
                                    : tc_strerror(e));
    return e == TC_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
}

static int batch_prepare(struct flow *f, struct tc_store *s, uint64_t now)
{
    int64_t replace = 0, batch = 0;
    if (f->argc != 1 || !f->title || !f->issuer_pub ||
        (f->replace && !flow_number(f->replace, &replace)))
        return cli_usage("batch prepare", "give RESULTS.csv, --title and --issuer-pub");
    struct tc_pubkey issuer;
    enum tc_err e = tc_keys_pub_read(f->issuer_pub, &issuer);
    if (e != TC_OK)
        return cli_fail(f->issuer_pub, e);
    struct tc_trust_list *tl = cli_trust(&f->o, NULL, NULL);
    struct tc_account by;
    if (!tl || !flow_acting(f, s, now, &by)) {
        tc_trust_list_free(tl);
        return tl ? EXIT_REFUSED : EXIT_USAGE;
    }
    struct tc_refusals ref = {0};
    char why[512] = "";
    e = tc_wf_prepare(s, &by, f->argv[0], f->title, replace, tl, &issuer, now, &batch, &ref, why,
                      sizeof why);
    tc_trust_list_free(tl);
    int rc = 0;
    if (ref.total) {
        cli_print_refusals(&ref, f->argv[0]);
        fprintf(stderr, PROG ": %s: %zu 处拒绝；未存入任何数据 / %zu refusal(s); nothing stored\n",
                f->argv[0], ref.total, ref.total);
        rc = EXIT_REFUSED;
    } else if (e != TC_OK) {
        rc = step_failed(f->argv[0], e, why);
    } else {
        struct tc_wf_batch b;
        tc_wf_get(s, batch, now, &b);
        printf("batch %lld prepared: %zu rows, a draft (next: 'batch publicise %lld')\n",
               (long long)batch, b.rows, (long long)batch);
    }
    tc_refusals_free(&ref);
    return rc;
}

static int batch_publicise(struct flow *f, struct tc_store *s, uint64_t now, int64_t batch)
{
    if (!f->o.out)
        return cli_usage("batch publicise", "--out DIR is required (where the 公示 is written)");
    struct tc_account by;
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    char why[512] = "";
    int err = 0;
    enum tc_err e = tc_wf_publicise(s, &by, batch, f->o.out, now, &err, why, sizeof why);
    if (e != TC_OK && err)
        snprintf(why, sizeof why, "%s: %s", f->o.out, strerror(err));
    if (e != TC_OK)
        return step_failed("batch publicise", e, why);
    struct tc_wf_batch b;
    tc_wf_get(s, batch, now, &b);
    char a[11], z[11];
    tc_day_format(a, b.gongshi_from), tc_day_format(z, b.gongshi_to);
    flow_signer_sees(f);
    printf("公示 of batch %lld: %s 至 %s，%d 个工作日 / %s to %s, %d working days\n"
           "  %s/gongshi-%lld.html, .csv, .json\n",
           (long long)batch, a, z, tc_store_profile(s)->gongshi_working_days, a, z,
           tc_store_profile(s)->gongshi_working_days, f->o.out, (long long)batch);
    return 0;
}

static int batch_objection(struct flow *f, struct tc_store *s, uint64_t now, int64_t batch)
{
    int64_t line;
    int32_t received;
    if (!f->line || !flow_number(f->line, &line) || !f->objector || !f->contact || !f->text ||
        !f->received || !tc_day_parse(&received, f->received))
        return cli_usage("batch objection", "--line, --objector, --contact, --received "
                                            "(YYYY-MM-DD) and --text are required");
    struct tc_account by;
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    char why[512] = "";
    int64_t id = 0;
    enum tc_err e = tc_wf_object(s, &by, batch, (size_t)line, f->objector, f->contact, received,
                                 f->text, now, &id, why, sizeof why);
    if (e != TC_OK)
        return step_failed("batch objection", e, why);
    printf("objection %lld recorded against line %lld of batch %lld; an approver resolves it "
           "('batch resolve %lld')\n",
           (long long)id, (long long)line, (long long)batch, (long long)id);
    return 0;
}

static int batch_resolve(struct flow *f, struct tc_store *s, uint64_t now, int64_t objection)
{
    if (f->upheld == f->dismissed || !f->outcome)
        return cli_usage("batch resolve", "give --upheld or --dismissed, and --outcome TEXT");
    struct tc_account by;
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    char why[512] = "";
    enum tc_err e = tc_wf_resolve(s, &by, objection, f->upheld, f->outcome, now, why, sizeof why);
    if (e != TC_OK)
        return step_failed("batch resolve", e, why);
    printf("objection %lld %s%s\n", (long long)objection, f->upheld ? "upheld" : "dismissed",
           f->upheld ? ": its row left the batch, whose rows hash changed" : "");
    return 0;
}

/* approve or reject a batch of the group's kind */
static int decide(struct flow *f, struct tc_store *s, uint64_t now, int64_t batch, const char *kind,
                  bool approve)
{
    uint8_t expected[32];
    size_t got = 0;
    if (approve &&
        (!f->o.decision || !f->rows_hash || strlen(f->rows_hash) != 64 ||
         sodium_hex2bin(expected, 32, f->rows_hash, 64, NULL, &got, NULL) != 0 || got != 32))
        return cli_usage("approve", "--decision REF and --rows-hash HEX (64 hex digits, as "
                                    "'status' shows them) are required");
    struct tc_wf_batch b;
    if (tc_wf_get(s, batch, now, &b) != TC_OK || strcmp(b.kind, kind) != 0) {
        fprintf(stderr, PROG ": no %s batch %lld\n", kind, (long long)batch);
        return EXIT_USAGE;
    }
    struct tc_account by;
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    char why[512] = "";
    enum tc_err e =
        approve ? tc_wf_approve(s, &by, batch, f->o.decision, expected, now, why, sizeof why)
                : tc_wf_reject(s, &by, batch, now, why, sizeof why);
    if (e != TC_OK)
        return step_failed(approve ? "approve" : "reject", e, why);
    printf("batch %lld %s\n", (long long)batch,
           approve ? "approved; a key custodian has it signed ('sign')"
                   : "sent back to draft; its 公示 and approval are void");
    return 0;
}

static int status(struct flow *f, struct tc_store *s, uint64_t now, const char *kind)
{
    int64_t batch;
    if (f->argc == 0)
        return tc_wf_list(s, now, print_summary, (void *)kind) == TC_OK ? 0 : EXIT_USAGE;
    struct tc_wf_batch b;
    if (!flow_number(f->argv[0], &batch) || tc_wf_get(s, batch, now, &b) != TC_OK ||
        (kind && strcmp(b.kind, kind) != 0)) {
        fprintf(stderr, PROG ": no such batch: %s\n", f->argv[0]);
        return EXIT_USAGE;
    }
    print_batch(s, &b, f);
    return 0;
}

/* sign goes to the signer, which opens nothing for us: no store is opened here */
static int sign(struct flow *f, const char *kind)
{
    int64_t batch;
    if (f->argc != 1 || !flow_number(f->argv[0], &batch))
        return cli_usage("sign", "give the batch number");
    json_t *o = json_pack("{s:I}", "batch", (json_int_t)batch);
    return flow_signer(f, strcmp(kind, "revoke") == 0 ? "sign-revocation" : "sign-batch", o, true);
}

/* ---- the groups ------------------------------------------------------------------------------ */

/* What batch, revocation and conversion share: approve, reject, sign, status. */
static int common(struct flow *f, struct tc_store *s, uint64_t now, const char *verb,
                  const char *kind, int64_t n)
{
    if (strcmp(verb, "status") == 0)
        return status(f, s, now, kind);
    if (strcmp(verb, "approve") == 0 || strcmp(verb, "reject") == 0)
        return decide(f, s, now, n, kind, strcmp(verb, "approve") == 0);
    return -1;
}

static int group(int argc, char **argv, const char *name, const char *kind, const char *help,
                 int (*own)(struct flow *, struct tc_store *, uint64_t, const char *, int64_t))
{
    struct flow f;
    if (argc < 2)
        return cli_usage(name, "give a subcommand (--help lists them)");
    if (strcmp(argv[1], "--help") == 0) {
        fputs(help, stdout);
        return 0;
    }
    int rc = flow_options(argc - 1, argv + 1, name, help, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *verb = argv[1];
    if (strcmp(verb, "sign") == 0)
        return sign(&f, kind);
    int64_t n = 0;
    bool numbered = strcmp(verb, "status") && strcmp(verb, "prepare") && strcmp(verb, "propose");
    if (numbered && (f.argc != 1 || !flow_number(f.argv[0], &n)))
        return cli_usage(name, "give the batch (or objection) number");
    struct tc_store *s = flow_store(&f);
    if (!s)
        return EXIT_USAGE;
    uint64_t now = tc_store_clock(s, (uint64_t)time(NULL));
    rc = common(&f, s, now, verb, kind, n);
    if (rc < 0)
        rc = own(&f, s, now, verb, n);
    tc_store_close(s);
    return rc;
}

static int batch_own(struct flow *f, struct tc_store *s, uint64_t now, const char *verb, int64_t n)
{
    if (strcmp(verb, "prepare") == 0)
        return batch_prepare(f, s, now);
    if (strcmp(verb, "publicise") == 0)
        return batch_publicise(f, s, now, n);
    if (strcmp(verb, "objection") == 0)
        return batch_objection(f, s, now, n);
    if (strcmp(verb, "resolve") == 0)
        return batch_resolve(f, s, now, n);
    return cli_usage("batch", "the subcommands are prepare, publicise, objection, resolve, "
                              "approve, reject, sign, status");
}

int cmd_batch(int argc, char **argv)
{
    return group(argc, argv, "batch", "issue", batch_help, batch_own);
}

/* the certificate ids of a proposal: every argument */
static bool ids_of(const struct flow *f, uint64_t *ids)
{
    for (int i = 0; i < f->argc; i++)
        if (!cli_parse_id(f->argv[i], &ids[i]))
            return false;
    return f->argc > 0;
}

/* Proposes f->argc revocations r, or conversions c (the other NULL), as the acting account. */
static int propose(struct flow *f, struct tc_store *s, uint64_t now,
                   const struct tc_wf_revocation *r, const struct tc_wf_conversion *c)
{
    struct tc_account by;
    char why[512] = "";
    int64_t batch = 0;
    const char *what = r ? "revocation" : "conversion";
    if (!flow_acting(f, s, now, &by))
        return EXIT_REFUSED;
    enum tc_err e = r ? tc_wf_propose_revocations(s, &by, r, (size_t)f->argc, f->title, now,
                                                  &batch, why, sizeof why)
                      : tc_wf_propose_conversions(s, &by, c, (size_t)f->argc, f->title, now,
                                                  &batch, why, sizeof why);
    if (e != TC_OK)
        return step_failed(what, e, why);
    printf("%s batch %lld proposed, a draft; an approver approves it (--rows-hash from "
           "'status %lld')\n",
           what, (long long)batch, (long long)batch);
    return 0;
}

static int revocation_own(struct flow *f, struct tc_store *s, uint64_t now, const char *verb,
                          int64_t n)
{
    (void)n;
    if (strcmp(verb, "propose") != 0)
        return cli_usage("revocation", "the subcommands are propose, approve, reject, sign, "
                                       "status");
    uint64_t *ids = calloc((size_t)f->argc + 1, sizeof *ids);
    struct tc_wf_revocation *v = calloc((size_t)f->argc + 1, sizeof *v);
    int32_t day = tc_beijing_day(now), until = 0;
    int rc = EXIT_USAGE;
    if (!ids || !v || !ids_of(f, ids) || !f->o.reason || !f->title ||
        (f->o.date && !tc_day_parse(&day, f->o.date)) ||
        (f->o.until && !tc_day_parse(&until, f->o.until)) ||
        (f->o.bl_reason && strlen(f->o.bl_reason) > TC_REASON_MAX)) {
        rc = cli_usage("revocation propose", "give certificate ids, --reason, --title (dates "
                                             "YYYY-MM-DD)");
        goto out;
    }
    for (int i = 0; i < f->argc; i++) {
        v[i].id = ids[i], v[i].day = day, v[i].blacklist = f->o.blacklist, v[i].until = until;
        snprintf(v[i].reason, sizeof v[i].reason, "%s", f->o.reason);
        snprintf(v[i].bl_reason, sizeof v[i].bl_reason, "%s", f->o.bl_reason ? f->o.bl_reason : "");
    }
    rc = propose(f, s, now, v, NULL);
out:
    free(ids), free(v);
    return rc;
}

static int conversion_own(struct flow *f, struct tc_store *s, uint64_t now, const char *verb,
                          int64_t n)
{
    if (strcmp(verb, "publicise") == 0 || strcmp(verb, "objection") == 0 ||
        strcmp(verb, "resolve") == 0) /* a conversion batch is publicised like results */
        return batch_own(f, s, now, verb, n);
    if (strcmp(verb, "propose") != 0)
        return cli_usage("conversion", "the subcommands are propose, publicise, objection, "
                                       "resolve, approve, reject, sign, status");
    uint64_t *ids = calloc((size_t)f->argc + 1, sizeof *ids);
    struct tc_wf_conversion *v = calloc((size_t)f->argc + 1, sizeof *v);
    int32_t at = tc_beijing_day(now);
    char *end = NULL;
    long committee = f->committee ? strtol(f->committee, &end, 10) : 0;
    int rc = EXIT_USAGE;
    if (!ids || !v || !ids_of(f, ids) || !f->title || !f->committee || *end || committee < 1 ||
        committee > 65535 || (f->o.at && !tc_day_parse(&at, f->o.at))) {
        rc = cli_usage("conversion propose", "give certificate ids, --committee 1..65535 and "
                                             "--title (--at YYYY-MM-DD)");
        goto out;
    }
    for (int i = 0; i < f->argc; i++)
        v[i] = (struct tc_wf_conversion){ids[i], at, (uint16_t)committee, f->reevaluation};
    rc = propose(f, s, now, NULL, v);
out:
    free(ids), free(v);
    return rc;
}

int cmd_revocation(int argc, char **argv)
{
    return group(argc, argv, "revocation", "revoke", revocation_help, revocation_own);
}

int cmd_conversion(int argc, char **argv)
{
    return group(argc, argv, "conversion", "convert", conversion_help, conversion_own);
}
