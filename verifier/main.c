/*
 * main.c - titlecert-verifier: offline verification of a certificate payload, link or QR image
 * against a root-signed trust list, and the verification service (serve). It parses arguments and
 * prints; verifying is the engine's (verifier.h) and serving the service library's (service.h).
 * Exit status: 0 valid, 1 any other verdict, 2 usage or I/O error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service.h"
#include "titlecert_config.h"
#include "verifier.h"

#define PROG "titlecert-verifier"

static const char verify_help[] =
    "Usage: " PROG " verify --root ROOT.pub (--bundle FILE | --trust-list FILE) [--unit USCC]\n"
    "                         [--at YYYY-MM-DD] (PAYLOAD | LINK | --image FILE | -)\n"
    "Verifies a certificate offline and prints the verdict as JSON: format, signature, issuer key\n"
    "endorsed, in term and authorised (A1); with a status bundle also revoked (A2), superseded (C1)\n"
    "and, given a unit, whether the title is valid at that unit on that day (S1-S4).\n\n"
    "  PAYLOAD | LINK          TC1:... or https://.../v#TC1:... ('-' reads it from standard input)\n"
    "  --image FILE            a PNG holding the certificate's QR code\n"
    "  --root ROOT.pub         the provincial root public key everything must chain to\n"
    "  --bundle FILE           the signed status bundle (titlecert-issuer bundle export)\n"
    "  --trust-list FILE       only a trust list: signature and key checks, no status or scope\n"
    "  --unit USCC             the employing unit to check the scope at\n"
    "  --at YYYY-MM-DD         the day to check (default: today, Beijing time)\n"
    "  --max-age SECONDS       how old the bundle may be (default: its profile's, 7 days);\n"
    "                          an older one is stale: a warning and exit 1\n"
    "  --stale-ok              verify with a stale bundle anyway (the verdict notes it)\n"
    "  --witness NAME+HEX+KEY  a witness whose co-signature counts (repeatable; its verifier\n"
    "                          key as titlecert-witness vkey prints it)\n"
    "  --witnesses FILE        witnesses from a file, lines 'witness NAME KEY [URL]'\n"
    "  --witness-quorum K      how many of them must have co-signed the bundle's register\n"
    "                          checkpoint; with fewer (or a forged line) the bundle is refused\n"
    "                          (exit 2)\n\n"
    "Verdicts: valid, not_valid_here, superseded, revoked, invalid.\n"
    "Exit status: 0 valid, 1 any other verdict, 2 usage or I/O error.\n";

/* The certificate text to verify: decoded from an image, read from standard input ("-"), or the
 * argument itself; NULL (after saying why) when it cannot be had. */
static char *read_input(const char *image, const char *arg)
{
    char *input = NULL;
    if (image) {
        uint8_t *img = NULL;
        size_t img_len;
        enum tc_err e = tc_file_read(image, TC_IMAGE_MAX_BYTES, &img, &img_len);
        if (e != TC_OK) {
            tc_cli_fail(PROG, image, e);
            return NULL;
        }
        e = tc_image_decode_qr(img, img_len, &input);
        free(img);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": %s: %s\n", image,
                    e == TC_ERR_NOT_FOUND ? "no QR code found in the image"
                    : e == TC_ERR_TYPE    ? "not a PNG or JPEG image"
                                          : tc_strerror(e));
            return NULL;
        }
        return input;
    }
    if (strcmp(arg, "-") == 0) {
        input = calloc(1, TC_LINK_MAX + 2);
        size_t n = input ? fread(input, 1, TC_LINK_MAX + 1, stdin) : 0;
        if (!input || n > TC_LINK_MAX) {
            free(input);
            tc_cli_fail(PROG, "standard input", TC_ERR_SIZE_LIMIT);
            return NULL;
        }
        return input;
    }
    return strdup(arg);
}

/* Says that the bundle is older than its maximum age, and what follows from it. */
static void warn_stale(const struct tc_bundle *b, uint64_t limit, bool stale_ok)
{
    char when[32];
    time_t t = (time_t)b->issued_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(stderr, PROG ": warning: the status bundle (version %llu, of %s) is older than "
            "%llu seconds: revocations since may be missing%s\n",
            (unsigned long long)b->version, when, (unsigned long long)limit,
            stale_ok ? " (--stale-ok)" : "; the verdict is not relied on (exit 1)");
}

/* --witness, --witnesses and --witness-quorum, shared by verify and serve */
static struct tc_cosigner_set witness_set;
static long witness_quorum;

/* One of the witness options; 0, else the exit status after saying why. */
static int witness_arg(const char *cmd, int c, const char *arg)
{
    char msg[400], *end;
    size_t line = 0;
    enum tc_err e = TC_OK;
    if (c == 'W') {
        e = tc_cosigner_set_add(&witness_set, arg, NULL);
    } else if (c == 'F') {
        e = tc_cosigner_set_load(arg, &witness_set, &line);
    } else {
        witness_quorum = strtol(arg, &end, 10);
        if (*end || !*arg || witness_quorum < 1 || witness_quorum > TC_COSIGNERS_MAX)
            return tc_cli_usage_error(PROG, cmd, "--witness-quorum takes 1 to 15");
        return 0;
    }
    if (e == TC_OK)
        return 0;
    if (c == 'W')
        snprintf(msg, sizeof msg, "--witness %s: %s", arg, tc_cosigner_set_strerror(e));
    else if (line)
        snprintf(msg, sizeof msg, "--witnesses %s, line %zu: %s", arg, line,
                 tc_cosigner_set_strerror(e));
    else
        snprintf(msg, sizeof msg, "--witnesses %s: %s", arg, tc_cosigner_set_strerror(e));
    return tc_cli_usage_error(PROG, cmd, msg);
}

/* The quorum, once all options are read; 0, else the exit status. */
static int witness_done(const char *cmd)
{
    const char *no = tc_cosigner_set_quorum(&witness_set, witness_quorum);
    return no ? tc_cli_usage_error(PROG, cmd, no) : 0;
}

/* "SECONDS" of --max-age: at least 1 */
static bool seconds_arg(const char *arg, uint64_t *out)
{
    return tc_parse_u64(arg, out) && *out > 0;
}

struct verify_args {
    const char *root, *trust, *image, *bundle, *unit, *payload;
    char uscc[TC_USCC_LEN + 1];
    int32_t at;
    uint64_t max_age;
    bool stale_ok;
};

/* One of verify's options into a (a struct verify_args); 0, else the exit status. */
static int verify_arg(void *args, int c, const char *arg, const char *cmd)
{
    struct verify_args *a = args;
    const char *msg;
    switch (c) {
    case 'u': /* the same checks as the HTTP API's */
        if (tc_unit_normalise(arg, a->uscc, &msg))
            return tc_cli_usage_error(PROG, cmd, "--unit takes an 18-character unified "
                                                 "social credit code");
        a->unit = a->uscc;
        break;
    case 'a':
        if (tc_day_input(arg, &a->at, &msg))
            return tc_cli_usage_error(PROG, cmd, "--at takes a date YYYY-MM-DD");
        break;
    case 'm':
        if (!seconds_arg(arg, &a->max_age))
            return tc_cli_usage_error(PROG, cmd, "--max-age takes seconds, at least 1");
        break;
    default: return witness_arg(cmd, c, arg); /* 'W', 'F', 'Q' */
    }
    return 0;
}

/* verify's options into a; 0 to go on, TC_CLI_HELP after --help, else the exit status */
static int verify_options(int argc, char **argv, struct verify_args *a)
{
#define AT(field) TC_CLI_AT(struct verify_args, field)
    static const struct option opts[] = {
        {"root", required_argument, 0, AT(root)},   {"trust-list", required_argument, 0, AT(trust)},
        {"image", required_argument, 0, AT(image)}, {"bundle", required_argument, 0, AT(bundle)},
        {"unit", required_argument, 0, 'u'},  {"at", required_argument, 0, 'a'},
        {"max-age", required_argument, 0, 'm'}, {"stale-ok", no_argument, 0, AT(stale_ok)},
        {"witness", required_argument, 0, 'W'}, {"witnesses", required_argument, 0, 'F'},
        {"witness-quorum", required_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
#undef AT
    memset(a, 0, sizeof *a);
    a->at = tc_beijing_day((uint64_t)time(NULL));
    int rc = tc_cli_getopt(PROG, "verify", verify_help, opts, argc, argv, a, verify_arg);
    if (rc)
        return rc;
    if (!a->root || (!a->trust == !a->bundle))
        return tc_cli_usage_error(PROG, "verify",
                                  "--root and one of --bundle or --trust-list are required");
    if (a->unit && !a->bundle)
        return tc_cli_usage_error(PROG, "verify",
                                  "--unit needs --bundle (the unit directory is in it)");
    if ((rc = witness_done("verify")) != 0)
        return rc;
    if (witness_set.n && !a->bundle)
        return tc_cli_usage_error(PROG, "verify", "the witnesses need --bundle (its checkpoint "
                                                  "carries their co-signatures)");
    if ((a->image != NULL) == (optind < argc) || argc - optind > 1)
        return tc_cli_usage_error(PROG, "verify", "give one PAYLOAD, LINK or '-', or --image FILE");
    a->payload = argc > optind ? argv[optind] : NULL;
    return 0;
}

/* The bundle's checkpoint co-signed by the quorum of the witnesses given; 0, else the exit
 * status after saying why. */
static int witnessed(const char *src, const struct tc_bundle *b)
{
    struct tc_cosig_tally t;
    char why[1024];
    if (tc_cosigner_set_check(&witness_set, b->note, b->note_len, NULL, &t) == TC_OK)
        return 0;
    tc_cosig_tally_explain(&witness_set, &t, why, sizeof why);
    fprintf(stderr, PROG ": %s: refused: its register checkpoint lacks the witnesses' quorum: %s\n",
            src, why);
    return TC_EXIT_USAGE;
}

/* The bundle (or trust list) named, checked against the root; 0, else the exit status after
 * saying why. */
static int verify_trust(const struct verify_args *a, struct tc_trust_list **tl,
                        struct tc_bundle **b)
{
    struct tc_pubkey rpub;
    uint8_t *list = NULL;
    size_t list_len;
    const char *src = a->bundle ? a->bundle : a->trust, *code, *msg;
    int rc;
    enum tc_err e = tc_keys_pub_read(a->root, &rpub);
    if (e != TC_OK)
        return tc_cli_fail(PROG, a->root, e);
    /* a bundle by this machine's clock: a publication key revoked by now signs nothing, whatever
     * day its bundle claims; its index's chunk files beside it */
    char chunk[4400];
    if (a->bundle) {
        e = tc_bundle_read_file(src, rpub.pk, (uint64_t)time(NULL), b, &list_len, chunk,
                                sizeof chunk);
        if (e != TC_OK && chunk[0]) {
            fprintf(stderr, PROG ": %s: %s: %s\n", src, chunk, tc_chunk_why(e));
            return TC_EXIT_USAGE;
        }
    } else if ((e = tc_file_read(src, TC_TRUST_LIST_MAX_BYTES, &list, &list_len)) == TC_OK) {
        e = tc_trust_list_parse(list, list_len, rpub.pk, tl);
        free(list);
    }
    if (e != TC_OK)
        return tc_cli_fail(PROG, src, e);
    if (witness_set.n && (rc = witnessed(src, *b)) != 0)
        return rc;
    if (a->unit && (code = tc_unit_code_check(*b, a->unit, &msg)) != NULL) {
        fprintf(stderr, PROG ": --unit %s: %s (%s)\n", a->unit, msg, code);
        return TC_EXIT_USAGE;
    }
    return 0;
}

/* Verifies input, prints the verdict as JSON; the exit status. */
static int print_verdict(const struct verify_args *a, const struct tc_trust_list *tl,
                         const struct tc_bundle *b, const char *input)
{
    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_verdict v;
    bool stale = false;
    uint64_t now = (uint64_t)time(NULL);
    if (b) {
        uint64_t limit = a->max_age ? a->max_age : b->profile.status_max_age;
        struct tc_verify_opts vo = {a->unit, a->at, now, limit};
        stale = now > b->issued_at + limit;
        if (stale)
            warn_stale(b, limit, a->stale_ok);
        tc_verify_text_with_bundle(b, input, strlen(input), buf, &vo, &v);
    } else {
        tc_verify_text(tl, input, strlen(input), now, buf, &v);
    }
    json_t *j = tc_verdict_to_json(&v);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
    return v.kind == TC_VERDICT_VALID && (!stale || a->stale_ok) ? 0 : TC_EXIT_NOT_VALID;
}

static int cmd_verify(int argc, char **argv)
{
    struct verify_args a;
    struct tc_trust_list *tl = NULL;
    struct tc_bundle *b = NULL;
    char *input = NULL;
    int rc = verify_options(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = verify_trust(&a, &tl, &b)) != 0)
        goto out;
    input = read_input(a.image, a.payload);
    rc = input ? print_verdict(&a, tl, b, input) : TC_EXIT_USAGE;
out:
    free(input);
    tc_trust_list_free(tl);
    tc_bundle_free(b);
    return rc;
}

static const char serve_help[] =
    "Usage: " PROG " serve (--bundle FILE | --source URL [--poll SECONDS]) --root ROOT.pub\n"
    "                        [--listen 127.0.0.1:8080] [--web DIR]\n"
    "                        [--state DIR] [--min-trust-list N] [--max-age SECONDS] [--stale-ok]\n"
    "                        [--register DIR] [--threads N] [--access-log FILE] [limits]\n"
    "                        [(--witness NAME+HEX+KEY ... | --witnesses FILE) --witness-quorum K]\n"
    "Serves the JSON API and the public verification page:\n"
    "  POST /api/v1/verify        {\"payload\": \"TC1:...\", \"unit\": \"USCC\", \"at\": \"YYYY-MM-DD\"}\n"
    "  POST /api/v1/verify-image  a PNG or JPEG holding the QR code (?unit=&at= optional)\n"
    "  GET  /api/v1/units/USCC    a unit of the directory; /api/v1/units?q=NAME searches\n"
    "  GET  /api/v1/register/checkpoint   the register's signed checkpoint (rule A3)\n"
    "  GET  /api/v1/register/proof/ID     a certificate's register entry and inclusion proof\n"
    "                                     (needs --register)\n"
    "  GET  /healthz  /metrics    health (503 when stale) and Prometheus metrics\n"
    "  GET  /  /v                 the page (a QR link opens /v#TC1:...)\n"
    "--source URL follows a publication (titlecert-issuer publish's directory on any static\n"
    "web server or CDN): URL/head is polled every --poll seconds (default 2) with a conditional\n"
    "request; a newer bundle (or a delta) is fetched, checked against the head and then as any\n"
    "bundle, and only then kept in the state directory, which always holds the bundle in use: a\n"
    "restart serves it at once (with the source down, up to its maximum age) and polls. A head\n"
    "offering an older bundle is refused. Every transfer is bounded (a source that drips is\n"
    "abandoned) and runs on its own thread: SIGTERM stops the server at once. Failures keep the\n"
    "bundle in use; they count in /metrics, and /healthz turns 503 only when the bundle passes\n"
    "its maximum age. SIGHUP polls the source now.\n"
    "--bundle FILE is reloaded on SIGHUP and when the file changes; a bundle that does not\n"
    "verify or is not newer is refused and the old one kept. A publication key revoked by the\n"
    "verifier's clock signs no bundle, whatever day the bundle claims. The highest bundle and\n"
    "trust-list versions and the latest issued_at accepted are kept in --state DIR (default\n"
    "$STATE_DIRECTORY, else /var/lib/titlecert-verifier for root, else\n"
    "~/.local/state/titlecert-verifier): an older or earlier-dated bundle is refused across\n"
    "restarts, as is one embedding a trust list older than --min-trust-list. Past the bundle's\n"
    "maximum age (--max-age, default from its profile: 7 days) verification answers 503\n"
    "status_stale and /healthz 503; --stale-ok answers with a status_stale note instead.\n"
    "A certificate is valid only if the bundle's register index holds it (else invalid,\n"
    "not_registered). A newer bundle's register must be consistent with the one accepted: the\n"
    "bundle carries proofs from recent checkpoints; --register DIR (the publication directory\n"
    "titlecert-issuer publish writes) lets the verifier compute one from the tiles, and serve\n"
    "inclusion proofs.\n"
    "With witnesses (--witness, repeatable, or --witnesses FILE, and --witness-quorum K), every\n"
    "bundle's register checkpoint (a file, a download, a delta's result, the cache at start)\n"
    "must carry valid co-signatures (C2SP tlog-cosignature) from K distinct witnesses, none\n"
    "older than the one accepted from the same witness (kept in the state); else it is refused,\n"
    "said on the log and counted in titlecert_witness_refused_total, and the bundle in use kept.\n"
    "A fresh verifier with witnesses does not start on an unwitnessed bundle.\n"
    "Listens on 127.0.0.1 unless told otherwise.\n"
    "Limits (defaults in brackets):\n"
    "  --connection-limit N     connections in all [1024]\n"
    "  --per-address-limit N    connections and requests in progress per client address [64]\n"
    "  --idle-timeout SECONDS   close idle connections [15]\n"
    "  --trusted-proxy ADDR     the front proxy's address: its X-Real-IP (or last\n"
    "                           X-Forwarded-For) is the client address for the limits\n"
    "  --image-threads N        threads decoding uploaded images [2]\n"
    "  --image-queue N          images waiting for them; more are answered 503 busy [8]\n"
    "  --image-memory MIB       image bodies held at once [64]\n"
    "  --image-timeout MS       time limit per image [2000]\n"
    "The page is read from --web DIR, else $TITLECERT_WEB_DIR, else " TITLECERT_DATADIR "/web.\n";

/* serve's options: the service's configuration and what serve opens itself */
struct serve_args {
    struct tc_service_config cfg;
    const char *root, *log_path;
};

/* The numbered limits (getopt values 1..8 but 4) into cfg; 0, else the exit status. */
static int limit_arg(int c, const char *arg, struct tc_service_config *cfg)
{
    static const char *const names[] = {"", "--connection-limit", "--per-address-limit",
                                        "--idle-timeout", "", "--image-threads",
                                        "--image-queue", "--image-memory", "--image-timeout"};
    static const long max[] = {0, 100000, 100000, 3600, 0, 64, 10000, 65536, 60000};
    long v;
    int rc = tc_cli_number(PROG, "serve", names[c], arg, max[c], &v);
    if (rc)
        return rc;
    switch (c) {
    case 1: cfg->connection_limit = (int)v; break;
    case 2: cfg->per_ip_limit = (int)v; break;
    case 3: cfg->timeout = (int)v; break;
    case 5: cfg->image_threads = (int)v; break;
    case 6: cfg->image_queue = (int)v; break;
    case 7: cfg->image_memory = (uint64_t)v << 20; break;
    default: cfg->image_timeout_ms = (unsigned)v; break;
    }
    return 0;
}

/* One of serve's options into sa (a struct serve_args); 0, else the exit status. */
static int serve_arg(void *sa, int c, const char *arg, const char *cmd)
{
    struct tc_service_config *cfg = &((struct serve_args *)sa)->cfg;
    unsigned char bin[sizeof(struct in6_addr)];
    char *end;
    const char *bad;
    if (c >= 1 && c <= 8 && c != 4)
        return limit_arg(c, arg, cfg);
    switch (c) {
    case 'l':
        if ((bad = tc_cli_listen(arg, &cfg->addr, "--listen takes ADDRESS:PORT, e.g. "
                                                  "127.0.0.1:8080")) != NULL)
            return tc_cli_usage_error(PROG, cmd, bad);
        break;
    case 'm':
        if (!seconds_arg(arg, &cfg->max_age))
            return tc_cli_usage_error(PROG, cmd, "--max-age takes seconds, at least 1 "
                                      "(--stale-ok serves stale status with a warning)");
        break;
    case 4:
        if (inet_pton(AF_INET, arg, bin) != 1 && inet_pton(AF_INET6, arg, bin) != 1)
            return tc_cli_usage_error(PROG, cmd, "--trusted-proxy takes an IPv4 or IPv6 address");
        cfg->trusted_proxy = arg;
        break;
    case 10:
        cfg->poll_interval = strtod(arg, &end);
        if (*end || !(cfg->poll_interval >= 0.2 && cfg->poll_interval <= 3600))
            return tc_cli_usage_error(PROG, cmd, "--poll takes seconds between 0.2 and 3600");
        break;
    case 'M':
        if (!tc_parse_u64(arg, &cfg->min_trust_list))
            return tc_cli_usage_error(PROG, cmd, "--min-trust-list takes a trust-list version");
        break;
    case 't':
        cfg->threads = (int)strtol(arg, &end, 10);
        if (*end || cfg->threads < 1 || cfg->threads > 64)
            return tc_cli_usage_error(PROG, cmd, "--threads takes 1..64");
        break;
    default: return witness_arg(cmd, c, arg); /* 'W', 'F', 'Q' */
    }
    return 0;
}

/* serve's options into a; 0 to go on, TC_CLI_HELP after --help, else the exit status */
static int serve_options(int argc, char **argv, struct serve_args *a)
{
#define AT(field) TC_CLI_AT(struct serve_args, field)
    static const struct option opts[] = {
        {"bundle", required_argument, 0, AT(cfg.bundle_path)},
        {"root", required_argument, 0, AT(root)},
        {"listen", required_argument, 0, 'l'},  {"web", required_argument, 0, AT(cfg.web_dir)},
        {"max-age", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
        {"access-log", required_argument, 0, AT(log_path)}, {"help", no_argument, 0, 'h'},
        {"state", required_argument, 0, AT(cfg.state_dir)},
        {"min-trust-list", required_argument, 0, 'M'},
        {"stale-ok", no_argument, 0, AT(cfg.stale_ok)},
        {"register", required_argument, 0, AT(cfg.register_dir)},
        {"connection-limit", required_argument, 0, 1}, {"per-address-limit", required_argument, 0, 2},
        {"idle-timeout", required_argument, 0, 3},     {"trusted-proxy", required_argument, 0, 4},
        {"image-threads", required_argument, 0, 5},    {"image-queue", required_argument, 0, 6},
        {"image-memory", required_argument, 0, 7},     {"image-timeout", required_argument, 0, 8},
        {"source", required_argument, 0, AT(cfg.source_url)}, {"poll", required_argument, 0, 10},
        {"witness", required_argument, 0, 'W'},       {"witnesses", required_argument, 0, 'F'},
        {"witness-quorum", required_argument, 0, 'Q'}, {0, 0, 0, 0}};
#undef AT
    static char state_buf[4096], cache[4200];
    struct tc_service_config *cfg = &a->cfg;
    memset(a, 0, sizeof *a);
    cfg->addr.sin_family = AF_INET;
    cfg->addr.sin_port = htons(8080);
    cfg->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg->poll_interval = 2;
    const char *web_env = getenv("TITLECERT_WEB_DIR");
    cfg->web_dir = web_env && *web_env ? web_env : TITLECERT_DATADIR "/web";
    int rc = tc_cli_getopt(PROG, "serve", serve_help, opts, argc, argv, a, serve_arg);
    if (rc)
        return rc;
    if (!a->root || !cfg->bundle_path == !cfg->source_url)
        return tc_cli_usage_error(PROG, "serve",
                                  "--root and one of --bundle FILE or --source URL are required");
    if ((rc = witness_done("serve")) != 0)
        return rc;
    cfg->witnesses = witness_set.n ? &witness_set : NULL;
    if (!cfg->state_dir && !(cfg->state_dir = tc_state_default_dir(state_buf, sizeof state_buf)))
        return tc_cli_usage_error(PROG, "serve", "no state directory: give --state DIR");
    if (cfg->source_url) { /* the bundle in use is cached beside the state */
        snprintf(cache, sizeof cache, "%s/source.bundle", cfg->state_dir);
        cfg->bundle_path = cache;
    }
    return 0;
}

/* What the service has to say, on standard error */
static void say(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, PROG ": %s\n", msg);
}

static int cmd_serve(int argc, char **argv)
{
    struct serve_args a;
    struct tc_service_config *cfg = &a.cfg;
    struct tc_service *svc = NULL;
    struct tc_pubkey rpub;
    char why[2048];
    int rc = serve_options(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    enum tc_err e = tc_keys_pub_read(a.root, &rpub);
    if (e != TC_OK)
        return tc_cli_fail(PROG, a.root, e);
    memcpy(cfg->root_pk, rpub.pk, TC_PK_BYTES);
    if (tc_service_preflight(cfg, why, sizeof why)) {
        fprintf(stderr, PROG ": serve: %s\n", why);
        return TC_EXIT_USAGE;
    }
    if (a.log_path && !(cfg->access_log = fopen(a.log_path, "a")))
        return tc_cli_fail(PROG, a.log_path, TC_ERR_IO);
    cfg->log = say;
    if (cfg->source_url && !tc_source_url_ok(cfg->source_url)) {
        rc = tc_cli_usage_error(PROG, "serve", "--source takes an http:// or https:// URL");
    } else if (tc_service_start(&svc, cfg, why, sizeof why) != TC_OK) {
        fprintf(stderr, PROG ": serve: %s\n", why);
        rc = TC_EXIT_USAGE;
    } else {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &cfg->addr.sin_addr, addr, sizeof addr);
        fprintf(stderr, PROG ": serving bundle version %llu on http://%s:%u/ (state in %s)\n",
                (unsigned long long)tc_service_bundle_version(svc), addr,
                ntohs(cfg->addr.sin_port), cfg->state_dir);
        if (cfg->witnesses)
            fprintf(stderr, PROG ": every register checkpoint needs co-signatures of %zu of the "
                            "%zu witnesses given\n", cfg->witnesses->quorum, cfg->witnesses->n);
        tc_service_run(svc);
        tc_service_stop(svc);
        fprintf(stderr, PROG ": stopped\n");
    }
    if (cfg->access_log)
        fclose(cfg->access_log);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"verify", cmd_verify, "verify a payload, link or QR image offline; print the verdict as JSON",
     NULL, NULL},
    {"serve", cmd_serve, "serve the JSON API and the public verification page", NULL, NULL},
};

int main(int argc, char **argv)
{
    static const struct tc_cli_program program = {
        PROG, "Verifies titlecert electronic title certificates.", commands,
        sizeof commands / sizeof commands[0], NULL, NULL};
    return tc_cli_dispatch(&program, argc, argv);
}
