/*
 * main.c - titlecert-keys: the root ceremony and issuer-key administration (rule A1).
 *
 * A table of subcommands with their help; one parser reads a command's own table of options
 * through tc_cli_getopt (which prints the help) before the command runs. Exit status: 0 success,
 * 1 a verification failed (show --root on a bad file), 2 usage or I/O error. Errors read
 * "titlecert-keys: <what>: <why>" and never contain a secret.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"

#define PROG "titlecert-keys"
#define EXIT_VERIFY TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE

struct pass_opts {
    const char *env;
    const char *file;
};

static int fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

static void hex(char *out, const uint8_t *in, size_t n)
{
    sodium_bin2hex(out, n * 2 + 1, in, n);
}

static bool parse_kdf(const char *s, enum tc_kdf_level *k)
{
    if (strcmp(s, "interactive") == 0)
        *k = TC_KDF_INTERACTIVE;
    else if (strcmp(s, "moderate") == 0)
        *k = TC_KDF_MODERATE;
    else if (strcmp(s, "sensitive") == 0)
        *k = TC_KDF_SENSITIVE;
    else
        return false;
    return true;
}

/* Gets a passphrase per the options; prints the reason on failure. */
static char *get_pass(const struct pass_opts *po, const char *prompt, bool confirm, size_t *len)
{
    char *pass;
    const char *why;
    enum tc_err e = tc_keys_passphrase(&pass, len, po->env, po->file, prompt, confirm, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return NULL;
    }
    return pass;
}

static struct tc_signer *open_signer(const char *path, const struct pass_opts *po,
                                     enum tc_key_kind want)
{
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(path, &info);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: %s\n", path, tc_strerror(e));
        return NULL;
    }
    if (info.kind != want) {
        fprintf(stderr, PROG ": %s: is a %s key, not a %s key\n", path, tc_key_kind_name(info.kind),
                tc_key_kind_name((uint8_t)want));
        return NULL;
    }
    char prompt[256];
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
    size_t len;
    char *pass = get_pass(po, prompt, false, &len);
    if (!pass)
        return NULL;
    struct tc_signer *s = NULL;
    e = tc_keys_signer_open(&s, path, pass, len, want);
    tc_keys_passphrase_free(pass, len);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: %s\n", path, tc_strerror(e));
        return NULL;
    }
    return s;
}

static int write_or_fail(const char *path, const uint8_t *buf, size_t len)
{
    enum tc_err e = tc_file_write(path, buf, len, 0644, 0);
    if (e != TC_OK)
        return fail(path, e);
    return 0;
}

/* ---- options ----------------------------------------------------------------------------- */

/* The options of every command; each command's table names those it takes, most of them stored
 * here as they are (AT), the others checked by check. */
struct kopts {
    const char *out, *name, *root, *issuer, *from, *to, *region, *kid, *date, *reason;
    struct pass_opts po; /* the passphrase (token-pub: the PIN) of the key the command opens */
    enum tc_kdf_level kdf;
    struct tc_endorsement en; /* endorse: its scope from --tracks, --series, --levels */
    uint64_t version, issued_at;
    struct tc_pkcs11_key where; /* token-pub: the key on a token */
    uint8_t id[TC_PKCS11_ID_MAX];
    bool slot;   /* token-pub: --slot was given */
    char **args; /* the operands after the options */
    int nargs;
};
#define AT(field) TC_CLI_AT(struct kopts, field)

/* The options whose values check reads before they are stored. */
enum {
    OPT_KDF = 1,
    OPT_TRACKS,
    OPT_SERIES,
    OPT_LEVELS,
    OPT_VERSION,
    OPT_ISSUED_AT,
    OPT_SLOT,
    OPT_KEY_ID,
    OPT_KIND
};

/* ---- create ------------------------------------------------------------------------------ */

/* The help of the command that creates a key of the kind what names ("a root"); pub says what
 * it writes besides the secret-key file. */
#define CREATE_HELP(cmd, what, pub)                                                                \
    "Usage: " PROG " " cmd " --out PREFIX --name NAME [options]\n"                                 \
    "Creates " what " key: PREFIX.key (secret, encrypted, mode 0600)" pub ".\n\n"                  \
    "  --out PREFIX            where to write (existing files are never replaced)\n"               \
    "  --name NAME             who holds the key, e.g. 甘肃省人力资源和社会保障厅\n"  \
    "  --kdf LEVEL             Argon2id cost: interactive, moderate (default), sensitive\n"        \
    "  --passphrase-env VAR    read the passphrase from environment variable VAR\n"                \
    "  --passphrase-file FILE  read it from the first line of FILE (mode 0600)\n"                  \
    "                          (default: ask twice on the terminal, without echo)\n"

static const char root_create_help[] =
    CREATE_HELP("root-create", "a root", " and PREFIX.pub (public)");
static const char issuer_create_help[] =
    CREATE_HELP("issuer-create", "an issuer", " and PREFIX.pub (public)");
static const char hash_create_help[] = CREATE_HELP("hash-key-create", "a hash", "");

static const struct option create_options[] = {
    {"out", required_argument, 0, AT(out)},
    {"name", required_argument, 0, AT(name)},
    {"kdf", required_argument, 0, OPT_KDF},
    {"passphrase-env", required_argument, 0, AT(po.env)},
    {"passphrase-file", required_argument, 0, AT(po.file)},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int create(const struct kopts *o, const char *cmd, enum tc_key_kind kind)
{
    if (!o->out || !o->name)
        return usage_error(cmd, "--out and --name are required");
    if (o->nargs != 0)
        return usage_error(cmd, "unexpected argument");
    char key_path[4096], pub_path[4096];
    if ((size_t)snprintf(key_path, sizeof key_path, "%s.key", o->out) >= sizeof key_path ||
        (size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", o->out) >= sizeof pub_path)
        return usage_error(cmd, "--out is too long");
    /* both files are new: a .pub in the way would fail after the .key was written */
    if (kind != TC_KEY_HASH && access(pub_path, F_OK) == 0)
        return fail(pub_path, TC_ERR_EXISTS);
    size_t len;
    char *pass = get_pass(&o->po, "New passphrase: ", true, &len);
    if (!pass)
        return EXIT_USAGE;
    if (len < TC_PASSPHRASE_MIN) {
        tc_keys_passphrase_free(pass, len);
        fprintf(stderr, PROG ": passphrase: shorter than %d characters\n", TC_PASSPHRASE_MIN);
        return EXIT_USAGE;
    }
    struct tc_pubkey pub;
    enum tc_err e = tc_keys_secret_create(key_path, kind, o->name, o->kdf, pass, len, &pub);
    tc_keys_passphrase_free(pass, len);
    if (e != TC_OK)
        return fail(key_path, e);
    if (kind != TC_KEY_HASH) {
        if ((e = tc_keys_pub_write(pub_path, &pub)) != TC_OK)
            return fail(pub_path, e);
        char kid[TC_KID_BYTES * 2 + 1];
        hex(kid, pub.kid, TC_KID_BYTES);
        printf("%s key %s\n  secret: %s\n  public: %s\n", tc_key_kind_name((uint8_t)kind), kid,
               key_path, pub_path);
    } else {
        printf("hash key\n  secret: %s\n", key_path);
    }
    return 0;
}

static int cmd_root_create(void *opts)
{
    return create(opts, "root-create", TC_KEY_ROOT);
}

static int cmd_issuer_create(void *opts)
{
    return create(opts, "issuer-create", TC_KEY_ISSUER);
}

static int cmd_hash_create(void *opts)
{
    return create(opts, "hash-key-create", TC_KEY_HASH);
}

/* ---- endorse ----------------------------------------------------------------------------- */

static bool parse_tracks(const char *s, uint8_t *tracks)
{
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n + 1);
    *tracks = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "basic") == 0)
            *tracks |= (uint8_t)TC_AUTHZ_TRACK(TC_TRACK_BASIC);
        else if (strcmp(t, "province") == 0)
            *tracks |= (uint8_t)TC_AUTHZ_TRACK(TC_TRACK_PROVINCE);
        else if (strcmp(t, "status") == 0)
            *tracks |= (uint8_t)TC_AUTHZ_STATUS;
        else if (strcmp(t, "register") == 0)
            *tracks |= (uint8_t)TC_AUTHZ_REGISTER;
        else
            return false;
    }
    return *tracks != 0;
}

static bool parse_levels(const char *s, uint8_t *levels)
{
    *levels = 0;
    for (const char *p = s; *p;) {
        if (*p < '1' || *p > '5')
            return false;
        int a = *p - '0', b = a;
        p++;
        if (*p == '-') {
            if (p[1] < '1' || p[1] > '5')
                return false;
            b = p[1] - '0';
            p += 2;
        }
        if (b < a)
            return false;
        for (int l = a; l <= b; l++)
            *levels |= (uint8_t)TC_AUTHZ_LEVEL(l);
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    return *levels != 0;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static bool parse_series(const char *s, struct tc_authz *a)
{
    a->nseries = 0;
    if (strcmp(s, "all") == 0)
        return true;
    char buf[512];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n + 1);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint16_t id = tc_series_id(t);
        if (id == 0 || a->nseries == TC_AUTHZ_MAX_SERIES)
            return false;
        a->series[a->nseries++] = id;
    }
    qsort(a->series, a->nseries, sizeof a->series[0], cmp_u16);
    for (size_t i = 1; i < a->nseries; i++)
        if (a->series[i] == a->series[i - 1])
            return false;
    return a->nseries > 0;
}

static const char endorse_help[] =
    "Usage: " PROG " endorse --root ROOT.key --issuer ISSUER.pub --from DATE --to DATE\n"
    "                        --region PREFIX [--tracks T] [--series S] [--levels L] --out FILE\n"
    "Endorses an issuer key for a term of at most 3 years and an authorised scope (rule A1).\n\n"
    "  --from, --to DATE       first and last day of the term, YYYY-MM-DD (Beijing time)\n"
    "  --region PREFIX         GB/T 2260 prefix the key may issue for: 62, 6229, 620102\n"
    "  --tracks T              basic, province, status (may sign status bundles), register\n"
    "                          (may sign register checkpoints), comma-separated (default\n"
    "                          basic,province)\n"
    "  --series S              all (default) or series codes, e.g. WS-YL,WS-HL\n"
    "  --levels L              levels 1 正高级 .. 5 员级, e.g. 1-5 (default), 2,3\n"
    "  --out FILE              the signed endorsement\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the root key\n";

static const struct option endorse_options[] = {
    {"root", required_argument, 0, AT(root)},
    {"issuer", required_argument, 0, AT(issuer)},
    {"from", required_argument, 0, AT(from)},
    {"to", required_argument, 0, AT(to)},
    {"region", required_argument, 0, AT(region)},
    {"tracks", required_argument, 0, OPT_TRACKS},
    {"series", required_argument, 0, OPT_SERIES},
    {"levels", required_argument, 0, OPT_LEVELS},
    {"out", required_argument, 0, AT(out)},
    {"passphrase-env", required_argument, 0, AT(po.env)},
    {"passphrase-file", required_argument, 0, AT(po.file)},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int cmd_endorse(void *opts)
{
    struct kopts *o = opts;
    if (!o->root || !o->issuer || !o->from || !o->to || !o->out || !o->region)
        return usage_error("endorse",
                           "--root, --issuer, --from, --to, --region and --out are required");
    /* an unquoted list ("--tracks basic status") would otherwise be signed cut short */
    if (o->nargs != 0)
        return usage_error("endorse", "unexpected argument (quote a value with spaces, or join a "
                                      "list with commas)");
    if (!tc_day_parse(&o->en.not_before, o->from) || !tc_day_parse(&o->en.not_after, o->to))
        return usage_error("endorse", "--from and --to take dates YYYY-MM-DD");
    if (!(o->en.authz.region = tc_region_parse(o->region)))
        return usage_error("endorse", "--region takes a 2, 4 or 6 digit division code prefix");
    struct tc_pubkey pub;
    enum tc_err e = tc_keys_pub_read(o->issuer, &pub);
    if (e != TC_OK)
        return fail(o->issuer, e);
    if (pub.kind != TC_KEY_ISSUER) {
        fprintf(stderr, PROG ": %s: not an issuer public key\n", o->issuer);
        return EXIT_USAGE;
    }
    memcpy(o->en.pk, pub.pk, TC_PK_BYTES);
    memcpy(o->en.kid, pub.kid, TC_KID_BYTES);
    memcpy(o->en.name, pub.name, sizeof o->en.name);
    o->en.endorsed_at = (uint64_t)time(NULL);
    if ((e = tc_keys_endorsement_check(&o->en)) != TC_OK) {
        if (e == TC_ERR_ENDORSEMENT)
            fprintf(stderr, PROG ": endorse: the term is longer than 3 years (rule A1)\n");
        else
            fprintf(stderr, PROG ": endorse: %s\n", tc_strerror(e));
        return EXIT_USAGE;
    }
    struct tc_signer *rk = open_signer(o->root, &o->po, TC_KEY_ROOT);
    if (!rk)
        return EXIT_USAGE;
    uint8_t *buf = NULL;
    size_t len = 0;
    e = tc_keys_endorse(&buf, &len, &o->en, rk);
    tc_signer_close(rk);
    if (e != TC_OK)
        return fail("endorse", e);
    int rc = write_or_fail(o->out, buf, len);
    free(buf);
    if (rc == 0) {
        char kid[TC_KID_BYTES * 2 + 1];
        hex(kid, o->en.kid, TC_KID_BYTES);
        printf("endorsed %s (%s) from %s to %s: %s\n", kid, o->en.name, o->from, o->to, o->out);
    }
    return rc;
}

/* ---- revoke ------------------------------------------------------------------------------ */

static const char revoke_help[] =
    "Usage: " PROG " revoke --root ROOT.key --kid HEX --date DATE --reason TEXT --out FILE\n"
    "Revokes an issuer key: certificates it signed on or after DATE are invalid (rule A2).\n\n"
    "  --kid HEX               the key id (16 hex digits; see 'show ISSUER.pub')\n"
    "  --date DATE             first day the key's signatures are void, YYYY-MM-DD\n"
    "  --reason TEXT           why, e.g. 密钥泄露 / key compromised\n"
    "  --out FILE              the signed revocation, for trust-list\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the root key\n";

static const struct option revoke_options[] = {
    {"root", required_argument, 0, AT(root)},
    {"kid", required_argument, 0, AT(kid)},
    {"date", required_argument, 0, AT(date)},
    {"reason", required_argument, 0, AT(reason)},
    {"out", required_argument, 0, AT(out)},
    {"passphrase-env", required_argument, 0, AT(po.env)},
    {"passphrase-file", required_argument, 0, AT(po.file)},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int cmd_revoke(void *opts)
{
    struct kopts *o = opts;
    if (!o->root || !o->kid || !o->date || !o->reason || !o->out)
        return usage_error("revoke", "--root, --kid, --date, --reason and --out are required");
    /* an unquoted reason ("--reason key compromised") would otherwise be signed as its first word */
    if (o->nargs != 0)
        return usage_error("revoke", "unexpected argument (quote a reason with spaces)");
    struct tc_revocation r;
    memset(&r, 0, sizeof r);
    size_t bin_len = 0;
    if (strlen(o->kid) != TC_KID_BYTES * 2 ||
        sodium_hex2bin(r.kid, sizeof r.kid, o->kid, strlen(o->kid), NULL, &bin_len, NULL) != 0 ||
        bin_len != TC_KID_BYTES)
        return usage_error("revoke", "--kid takes 16 hex digits");
    if (!tc_day_parse(&r.day, o->date))
        return usage_error("revoke", "--date takes a date YYYY-MM-DD");
    if (strlen(o->reason) == 0 || strlen(o->reason) > TC_REASON_MAX ||
        !tc_text_safe((const uint8_t *)o->reason, strlen(o->reason)))
        return usage_error("revoke", "--reason must be 1..240 bytes of printable UTF-8");
    memcpy(r.reason, o->reason, strlen(o->reason) + 1);
    r.revoked_at = (uint64_t)time(NULL);
    struct tc_signer *rk = open_signer(o->root, &o->po, TC_KEY_ROOT);
    if (!rk)
        return EXIT_USAGE;
    uint8_t *buf = NULL;
    size_t len = 0;
    enum tc_err e = tc_keys_revoke(&buf, &len, &r, rk);
    tc_signer_close(rk);
    if (e != TC_OK)
        return fail("revoke", e);
    int rc = write_or_fail(o->out, buf, len);
    free(buf);
    if (rc == 0)
        printf("revoked %s from %s: %s\n", o->kid, o->date, o->out);
    return rc;
}

/* ---- trust-list -------------------------------------------------------------------------- */

static const char trust_help[] =
    "Usage: " PROG " trust-list --root ROOT.key --version N --out FILE [FILE...]\n"
    "Signs a trust list holding the given endorsements and revocations (each checked against the\n"
    "root key). Verifiers refuse a list whose version is not higher than the one they hold.\n\n"
    "  --version N             the list's version, a positive integer up to 4294967295\n"
    "  --issued-at SECONDS     issue time (default: now)\n"
    "  --out FILE              the signed trust list\n"
    "  --passphrase-env VAR, --passphrase-file FILE   for the root key\n";

/* The endorsement and revocation files of a trust list, each checked against the root. */
struct members {
    uint8_t **bufs;
    size_t *lens;
    const uint8_t **ends;
    size_t *end_lens, ne;
    struct tc_revocation *revs;
    size_t nr, nfiles;
};

static void members_free(struct members *m)
{
    for (size_t i = 0; m->bufs && i < m->nfiles; i++)
        free(m->bufs[i]);
    free(m->bufs);
    free(m->lens);
    free(m->ends);
    free(m->end_lens);
    free(m->revs);
}

/* 0, or EXIT_USAGE after naming the file that is neither */
static int read_members(char **paths, size_t n, const uint8_t root_pk[TC_PK_BYTES],
                        struct members *m)
{
    memset(m, 0, sizeof *m);
    m->nfiles = n;
    m->bufs = calloc(n + 1, sizeof *m->bufs);
    m->lens = calloc(n + 1, sizeof *m->lens);
    m->ends = calloc(n + 1, sizeof *m->ends);
    m->end_lens = calloc(n + 1, sizeof *m->end_lens);
    m->revs = calloc(n + 1, sizeof *m->revs);
    if (!m->bufs || !m->lens || !m->ends || !m->end_lens || !m->revs)
        return fail("trust-list", TC_ERR_NOMEM);
    for (size_t i = 0; i < n; i++) {
        enum tc_err e = tc_file_read(paths[i], TC_ENDORSEMENT_MAX_BYTES, &m->bufs[i], &m->lens[i]);
        if (e != TC_OK)
            return fail(paths[i], e);
        struct tc_endorsement en;
        enum tc_err e1 = tc_keys_endorsement_parse(m->bufs[i], m->lens[i], root_pk, &en);
        if (e1 == TC_OK) {
            m->ends[m->ne] = m->bufs[i];
            m->end_lens[m->ne++] = m->lens[i];
        } else if (tc_keys_revocation_parse(m->bufs[i], m->lens[i], root_pk, &m->revs[m->nr]) ==
                   TC_OK) {
            m->nr++;
        } else {
            fprintf(stderr, PROG ": %s: not an endorsement or revocation signed by this root: %s\n",
                    paths[i], tc_strerror(e1));
            return EXIT_USAGE;
        }
    }
    return 0;
}

static const struct option trust_options[] = {
    {"root", required_argument, 0, AT(root)},
    {"version", required_argument, 0, OPT_VERSION},
    {"issued-at", required_argument, 0, OPT_ISSUED_AT},
    {"out", required_argument, 0, AT(out)},
    {"passphrase-env", required_argument, 0, AT(po.env)},
    {"passphrase-file", required_argument, 0, AT(po.file)},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int cmd_trust_list(void *opts)
{
    struct kopts *o = opts;
    if (!o->root || !o->out || o->version == 0)
        return usage_error("trust-list", "--root, --version and --out are required");
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(o->root, &info);
    if (e != TC_OK)
        return fail(o->root, e);
    struct members m;
    struct tc_signer *rk = NULL;
    uint8_t *list = NULL;
    size_t list_len = 0;
    int rc = read_members(o->args, (size_t)o->nargs, info.pub.pk, &m);
    if (rc == 0 && !(rk = open_signer(o->root, &o->po, TC_KEY_ROOT)))
        rc = EXIT_USAGE;
    if (rc == 0 && (e = tc_keys_trust_list_build(&list, &list_len, o->version, o->issued_at, m.ends,
                                                 m.end_lens, m.ne, m.revs, m.nr, rk)) != TC_OK) {
        if (e == TC_ERR_TRUST_LIST)
            fprintf(stderr, PROG ": trust-list: a key is endorsed or revoked twice\n");
        else
            fail("trust-list", e);
        rc = EXIT_USAGE;
    }
    if (rc == 0 && (rc = write_or_fail(o->out, list, list_len)) == 0)
        printf("trust list version %llu: %zu endorsements, %zu revocations: %s\n",
               (unsigned long long)o->version, m.ne, m.nr, o->out);
    tc_signer_close(rk);
    members_free(&m);
    free(list);
    return rc;
}

/* ---- show -------------------------------------------------------------------------------- */

static void print_authz(const struct tc_authz *a)
{
    printf("  tracks:     %s%s%s%s\n", a->tracks & TC_AUTHZ_TRACK(TC_TRACK_BASIC) ? "basic " : "",
           a->tracks & TC_AUTHZ_TRACK(TC_TRACK_PROVINCE) ? "province " : "",
           a->tracks & TC_AUTHZ_STATUS ? "status " : "",
           a->tracks & TC_AUTHZ_REGISTER ? "register" : "");
    printf("  levels:    ");
    for (uint8_t l = 1; l <= 5; l++)
        if (a->levels & TC_AUTHZ_LEVEL(l))
            printf(" %u(%s)", l, tc_level_name_zh(l));
    printf("\n  series:    ");
    if (a->nseries == 0)
        printf(" all");
    for (size_t i = 0; i < a->nseries; i++) {
        size_t n;
        const struct tc_title *t = tc_title_table(&n);
        for (size_t j = 0; j < n; j++)
            if (t[j].series == a->series[i]) {
                printf(" %s(%s)", t[j].series_code, t[j].series_name);
                break;
            }
    }
    printf("\n  region:     %u\n", a->region);
}

static void print_endorsement(const struct tc_endorsement *en, const char *indent)
{
    char kid[TC_KID_BYTES * 2 + 1], d1[11], d2[11];
    hex(kid, en->kid, TC_KID_BYTES);
    tc_day_format(d1, en->not_before);
    tc_day_format(d2, en->not_after);
    printf("%sissuer key %s: %s\n%s  term:       %s .. %s\n", indent, kid, en->name, indent, d1,
           d2);
    print_authz(&en->authz);
}

static const char show_help[] =
    "Usage: " PROG " show FILE [--root ROOT.pub]\n"
    "Describes a secret-key, public-key, endorsement, revocation or trust-list file. Signed files\n"
    "are verified against --root; without it their contents are not shown. Exit status 1 when a\n"
    "signature does not verify.\n";

static const struct option show_options[] = {
    {"root", required_argument, 0, AT(root)}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

static int cmd_show(void *opts)
{
    struct kopts *o = opts;
    if (o->nargs != 1)
        return usage_error("show", "give exactly one FILE");
    const char *path = o->args[0];
    int rc = 0;
    char kid[TC_KID_BYTES * 2 + 1];

    uint8_t *buf;
    size_t len;
    enum tc_err e = tc_file_read(path, TC_TRUST_LIST_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return fail(path, e);
    if (len >= 4 && memcmp(buf, "TCSK", 4) == 0) {
        free(buf);
        struct tc_keyfile_info info;
        if ((e = tc_keys_secret_info(path, &info)) != TC_OK)
            return fail(path, e);
        printf("secret %s key (encrypted)\n  name:       %s\n", tc_key_kind_name(info.kind),
               info.name);
        if (info.kind != TC_KEY_HASH) {
            hex(kid, info.pub.kid, TC_KID_BYTES);
            printf("  key id:     %s\n", kid);
        }
        printf("  argon2id:   opslimit %llu, memlimit %zu MiB\n", info.opslimit,
               info.memlimit >> 20);
        return 0;
    }
    struct tc_pubkey pub;
    if (tc_keys_pub_decode(buf, len, &pub) == TC_OK) {
        hex(kid, pub.kid, TC_KID_BYTES);
        char pk[TC_PK_BYTES * 2 + 1];
        hex(pk, pub.pk, TC_PK_BYTES);
        printf("public %s key %s\n  name:       %s\n  public key: %s\n", tc_key_kind_name(pub.kind),
               kid, pub.name, pk);
        goto out;
    }
    if (!o->root) {
        fprintf(stderr, PROG ": %s: signed file; give --root ROOT.pub to verify and show it\n",
                path);
        rc = EXIT_USAGE;
        goto out;
    }
    struct tc_pubkey rpub;
    if ((e = tc_keys_pub_read(o->root, &rpub)) != TC_OK) {
        rc = fail(o->root, e);
        goto out;
    }
    struct tc_endorsement en;
    struct tc_revocation rv;
    struct tc_trust_list *tl = NULL;
    enum tc_err e1, e2, e3;
    if ((e1 = tc_keys_endorsement_parse(buf, len, rpub.pk, &en)) == TC_OK) {
        printf("endorsement (signature verified)\n");
        print_endorsement(&en, "");
    } else if ((e2 = tc_keys_revocation_parse(buf, len, rpub.pk, &rv)) == TC_OK) {
        char d[11];
        hex(kid, rv.kid, TC_KID_BYTES);
        tc_day_format(d, rv.day);
        printf("revocation (signature verified)\n  key id:     %s\n  from:       %s\n  reason:     "
               "%s\n",
               kid, d, rv.reason);
    } else if ((e3 = tc_trust_list_parse(buf, len, rpub.pk, &tl)) == TC_OK) {
        printf("trust list version %llu, issued at %llu (signature verified)\n",
               (unsigned long long)tl->version, (unsigned long long)tl->issued_at);
        for (size_t i = 0; i < tl->n_endorsements; i++)
            print_endorsement(&tl->endorsements[i], "");
        for (size_t i = 0; i < tl->n_revocations; i++) {
            char d[11];
            hex(kid, tl->revocations[i].kid, TC_KID_BYTES);
            tc_day_format(d, tl->revocations[i].day);
            printf("revoked key %s from %s: %s\n", kid, d, tl->revocations[i].reason);
        }
        tc_trust_list_free(tl);
    } else {
        enum tc_err worst =
            e1 == TC_ERR_BAD_SIGNATURE || e2 == TC_ERR_BAD_SIGNATURE || e3 == TC_ERR_BAD_SIGNATURE
                ? TC_ERR_BAD_SIGNATURE
                : e3;
        fprintf(stderr, PROG ": %s: %s\n", path, tc_strerror(worst));
        rc = worst == TC_ERR_BAD_SIGNATURE || worst == TC_ERR_UNKNOWN_KEY_ID ? EXIT_VERIFY
                                                                             : EXIT_USAGE;
    }
out:
    free(buf);
    return rc;
}

/* ---- token-pub --------------------------------------------------------------------------- */

static const char token_pub_help[] =
    "Usage: " PROG " token-pub --module SO (--token LABEL | --slot N)\n"
    "                          (--key LABEL | --key-id HEX) --name NAME --kind issuer|root\n"
    "                          --out FILE.pub [--pin-env VAR | --pin-file FILE]\n"
    "Exports the public half of an Ed25519 key on a PKCS#11 token as a public-key file, for the\n"
    "root to endorse (issuer) or for verifiers to pin (root). The key is made with the token's\n"
    "own tools; titlecert never generates token keys. The token signs a self-test message that\n"
    "must verify before anything is written.\n\n"
    "  --module SO             the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so\n"
    "  --token LABEL           the token's label (or --slot N, its slot id)\n"
    "  --key LABEL             the private key's label (CKA_LABEL)\n"
    "  --key-id HEX            its id (CKA_ID), instead of or as well as the label\n"
    "  --name NAME             who holds the key, as in the endorsement\n"
    "  --kind issuer|root      what the key signs as\n"
    "  --out FILE.pub          the public-key file (never replaces one)\n"
    "  --pin-env VAR           read the user PIN from environment variable VAR\n"
    "  --pin-file FILE         read it from the first line of FILE (mode 0600)\n"
    "                          (default: ask on the terminal, without echo)\n";

static bool parse_slot(const char *s, unsigned long *slot)
{
    uint64_t v; /* a CK_SLOT_ID, no wider than unsigned long */
    if (!tc_parse_u64(s, &v) || v > ULONG_MAX)
        return false;
    *slot = (unsigned long)v;
    return true;
}

static bool parse_key_id(const char *s, struct kopts *o)
{
    size_t n = strlen(s), bin = 0;
    if (n == 0 || n % 2 || n > TC_PKCS11_ID_MAX * 2 ||
        sodium_hex2bin(o->id, sizeof o->id, s, n, NULL, &bin, NULL) != 0 || bin != n / 2)
        return false;
    o->where.id = o->id;
    o->where.id_len = bin;
    return true;
}

static const struct option token_pub_options[] = {
    {"module", required_argument, 0, AT(where.module)},
    {"token", required_argument, 0, AT(where.token)},
    {"slot", required_argument, 0, OPT_SLOT},
    {"key", required_argument, 0, AT(where.key_label)},
    {"key-id", required_argument, 0, OPT_KEY_ID},
    {"name", required_argument, 0, AT(where.name)},
    {"kind", required_argument, 0, OPT_KIND},
    {"out", required_argument, 0, AT(out)},
    {"pin-env", required_argument, 0, AT(po.env)},
    {"pin-file", required_argument, 0, AT(po.file)},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int cmd_token_pub(void *opts)
{
    struct kopts *o = opts;
    if (!o->where.module || !o->where.name || !o->where.kind || !o->out)
        return usage_error("token-pub", "--module, --name, --kind and --out are required");
    if ((o->where.token != NULL) == o->slot)
        return usage_error("token-pub", "give --token or --slot");
    if (!o->where.key_label && !o->where.id_len)
        return usage_error("token-pub", "give --key or --key-id");
    if (o->nargs != 0)
        return usage_error("token-pub", "unexpected argument");
    char what[TC_PKCS11_TOKEN_LABEL_MAX + 32], prompt[TC_PKCS11_TOKEN_LABEL_MAX + 64];
    if (o->where.token)
        snprintf(what, sizeof what, "token %s", o->where.token);
    else
        snprintf(what, sizeof what, "token in slot %lu", o->where.slot);
    snprintf(prompt, sizeof prompt, "User PIN for %s: ", what);
    size_t len;
    char *pin = get_pass(&o->po, prompt, false, &len);
    if (!pin)
        return EXIT_USAGE;
    struct tc_signer *s = NULL;
    struct tc_pkcs11_diag diag;
    enum tc_err e = tc_keys_pkcs11_open(&s, &diag, &o->where, pin, len);
    tc_keys_passphrase_free(pin, len);
    if (e != TC_OK) {
        char why[TC_PKCS11_DETAIL_MAX + 64];
        tc_keys_pkcs11_why(why, sizeof why, e, &diag);
        fprintf(stderr, PROG ": %s: %s\n", what, why);
        return EXIT_USAGE;
    }
    struct tc_pubkey pub = *tc_signer_pub(s);
    tc_signer_close(s);
    if ((e = tc_keys_pub_write(o->out, &pub)) != TC_OK)
        return fail(o->out, e);
    char kid[TC_KID_BYTES * 2 + 1];
    hex(kid, pub.kid, TC_KID_BYTES);
    printf("%s key %s on %s (Ed25519, self-test signature verified)\n  public: %s\n",
           tc_key_kind_name(pub.kind), kid, what, o->out);
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

/* One option whose value is checked (OPT_*) into o; 0, else the exit status after saying why. */
static int check(void *opts, int c, const char *arg, const char *cmd)
{
    struct kopts *o = opts;
    switch (c) {
    case OPT_KDF:
        if (!parse_kdf(arg, &o->kdf))
            return usage_error(cmd, "--kdf takes interactive, moderate or sensitive");
        break;
    case OPT_TRACKS:
        if (!parse_tracks(arg, &o->en.authz.tracks))
            return usage_error(cmd, "--tracks takes basic, province, status and/or "
                                    "register, comma-separated");
        break;
    case OPT_SERIES:
        if (!parse_series(arg, &o->en.authz))
            return usage_error(cmd, "--series takes all or known series codes, no repeats");
        break;
    case OPT_LEVELS:
        if (!parse_levels(arg, &o->en.authz.levels))
            return usage_error(cmd, "--levels takes levels 1..5, e.g. 1-5 or 2,3");
        break;
    case OPT_VERSION:
        /* a version counts lists (1, 2, 3 ...): one near 2^64, a slip of the keyboard, would
         * leave no version for any later list */
        if (!tc_parse_u64(arg, &o->version) || o->version == 0 || o->version > UINT32_MAX)
            return usage_error(cmd, "--version takes a positive integer up to 4294967295");
        break;
    case OPT_ISSUED_AT:
        if (!tc_parse_u64(arg, &o->issued_at) || o->issued_at == 0)
            return usage_error(cmd, "--issued-at takes seconds since 1970");
        break;
    case OPT_SLOT:
        if (!(o->slot = parse_slot(arg, &o->where.slot)))
            return usage_error(cmd, "--slot takes a slot id (a number)");
        break;
    case OPT_KEY_ID:
        if (!parse_key_id(arg, o))
            return usage_error(cmd, "--key-id takes 1..64 bytes in hex");
        break;
    default: /* OPT_KIND */
        if (strcmp(arg, "issuer") && strcmp(arg, "root"))
            return usage_error(cmd, "--kind takes issuer or root");
        o->where.kind = *arg == 'i' ? TC_KEY_ISSUER : TC_KEY_ROOT;
        break;
    }
    return 0;
}

/* The command's options from its table into o, the defaults first, and the operands after them
 * in o->args: 0, TC_CLI_HELP after its help, else the exit status of a usage error. */
static int parse(int argc, char **argv, const struct tc_cli_command *cmd, void *opts)
{
    /* a table for each command, not one for all: getopt_long takes any unambiguous prefix of an
     * option's name, and which prefixes are unambiguous depends on the options there are */
    static const struct {
        const char *cmd;
        const struct option *table;
    } tables[] = {{"root-create", create_options},
                  {"issuer-create", create_options},
                  {"hash-key-create", create_options},
                  {"endorse", endorse_options},
                  {"revoke", revoke_options},
                  {"trust-list", trust_options},
                  {"show", show_options},
                  {"token-pub", token_pub_options}};
    const struct option *table = NULL;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strcmp(cmd->name, tables[i].cmd) == 0)
            table = tables[i].table;
    struct kopts *o = opts;
    memset(o, 0, sizeof *o);
    o->kdf = TC_KDF_MODERATE;
    o->en.authz.tracks =
        (uint8_t)(TC_AUTHZ_TRACK(TC_TRACK_BASIC) | TC_AUTHZ_TRACK(TC_TRACK_PROVINCE));
    o->en.authz.levels = 0x3E;
    o->issued_at = (uint64_t)time(NULL);
    int rc = tc_cli_getopt(PROG, cmd->name, cmd->help, table, argc, argv, o, check);
    o->args = argv + optind;
    o->nargs = argc - optind;
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"root-create", NULL, "create the root key (provincial HR department)", root_create_help,
     cmd_root_create},
    {"issuer-create", NULL, "create an issuer key (committee or HR office)", issuer_create_help,
     cmd_issuer_create},
    {"hash-key-create", NULL, "create the secret for keyed hashing of ID numbers", hash_create_help,
     cmd_hash_create},
    {"endorse", NULL, "endorse an issuer key for a term and scope (A1)", endorse_help, cmd_endorse},
    {"revoke", NULL, "revoke an issuer key from a date (A2)", revoke_help, cmd_revoke},
    {"trust-list", NULL, "sign a trust list of endorsements and revocations", trust_help,
     cmd_trust_list},
    {"show", NULL, "describe (and verify) any of these files", show_help, cmd_show},
    {"token-pub", NULL, "export the public key of an Ed25519 key on a PKCS#11 token",
     token_pub_help, cmd_token_pub},
};

int main(int argc, char **argv)
{
    /* 17.10: this program opens secret keys and passphrases: no core dump may hold them */
    if (tc_cli_harden(argv[0]))
        return TC_EXIT_USAGE;
    static const char about[] =
        "The titlecert key hierarchy: a root key endorses issuer keys; a signed trust list\n"
        "publishes the endorsements and revocations verifiers accept.";
    static struct kopts opts;
    static const struct tc_cli_program program = {
        PROG, about, commands, sizeof commands / sizeof commands[0], parse, &opts};
    return tc_cli_dispatch(&program, argc, argv);
}
