/*
 * main.c - titlecert-verifier: offline verification of a certificate payload, link or QR image
 * against a root-signed trust list. Prints the verdict as JSON. Exit status: 0 valid, 1 any other
 * verdict, 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>

#include "server.h"
#include "titlecert_config.h"
#include "verifier.h"

#define PROG "titlecert-verifier"
#define EXIT_NOT_VALID TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE

static int fail(const char *what, enum tc_err e)
{
    return tc_cli_fail(PROG, what, e);
}

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

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
    "  --stale-ok              verify with a stale bundle anyway (the verdict notes it)\n\n"
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
            fail(image, e);
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
            fail("standard input", TC_ERR_SIZE_LIMIT);
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

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, 0, 'r'},  {"trust-list", required_argument, 0, 't'},
        {"image", required_argument, 0, 'i'}, {"bundle", required_argument, 0, 'b'},
        {"unit", required_argument, 0, 'u'},  {"at", required_argument, 0, 'a'},
        {"max-age", required_argument, 0, 'm'}, {"stale-ok", no_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    uint64_t max_age = 0;
    bool stale_ok = false;
    char *end;
    const char *root = NULL, *trust = NULL, *image = NULL, *bundle = NULL, *unit = NULL;
    const char *code, *msg;
    char uscc[TC_USCC_LEN + 1];
    int32_t at = tc_beijing_day((uint64_t)time(NULL));
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': root = optarg; break;
        case 't': trust = optarg; break;
        case 'i': image = optarg; break;
        case 'b': bundle = optarg; break;
        case 'u': /* the same checks as the HTTP API's */
            if (tc_unit_normalise(optarg, uscc, &msg))
                return usage_error("verify", "--unit takes an 18-character unified social credit code");
            unit = uscc;
            break;
        case 'a':
            if (tc_day_input(optarg, &at, &msg))
                return usage_error("verify", "--at takes a date YYYY-MM-DD");
            break;
        case 'm':
            max_age = strtoull(optarg, &end, 10);
            if (*end || !*optarg || max_age == 0)
                return usage_error("verify", "--max-age takes seconds, at least 1");
            break;
        case 'S': stale_ok = true; break;
        case 'h': fputs(verify_help, stdout); return 0;
        default: return usage_error("verify", "unknown option");
        }
    }
    if (!root || (!trust == !bundle))
        return usage_error("verify", "--root and one of --bundle or --trust-list are required");
    if (unit && !bundle)
        return usage_error("verify", "--unit needs --bundle (the unit directory is in it)");
    if ((image != NULL) == (optind < argc) || argc - optind > 1)
        return usage_error("verify", "give one PAYLOAD, LINK or '-', or --image FILE");

    struct tc_pubkey rpub;
    enum tc_err e = tc_keys_pub_read(root, &rpub);
    if (e != TC_OK)
        return fail(root, e);
    uint8_t *list = NULL;
    size_t list_len;
    struct tc_trust_list *tl = NULL;
    struct tc_bundle *b = NULL;
    const char *src = bundle ? bundle : trust;
    if ((e = tc_file_read(src, bundle ? TC_BUNDLE_MAX_BYTES : TC_TRUST_LIST_MAX_BYTES, &list,
                               &list_len)) != TC_OK)
        return fail(src, e);
    e = bundle ? tc_bundle_parse(list, list_len, rpub.pk, &b)
               : tc_trust_list_parse(list, list_len, rpub.pk, &tl);
    free(list);
    if (e != TC_OK)
        return fail(src, e);
    if (unit && (code = tc_unit_code_check(b, unit, &msg)) != NULL) {
        fprintf(stderr, PROG ": --unit %s: %s (%s)\n", unit, msg, code);
        tc_bundle_free(b);
        return EXIT_USAGE;
    }

    int rc = EXIT_USAGE;
    char *input = read_input(image, argc > optind ? argv[optind] : NULL);
    if (!input)
        goto out;
    uint8_t buf[TC_CERT_MAX_BYTES];
    struct tc_verdict v;
    bool stale = false;
    if (b) {
        uint64_t now = (uint64_t)time(NULL), limit = max_age ? max_age : b->profile.status_max_age;
        struct tc_verify_opts vo = {unit, at, now, limit};
        stale = now > b->issued_at + limit;
        if (stale)
            warn_stale(b, limit, stale_ok);
        tc_verify_text_with_bundle(b, input, strlen(input), buf, &vo, &v);
    } else {
        tc_verify_text(tl, input, strlen(input), (uint64_t)time(NULL), buf, &v);
    }
    json_t *j = tc_verdict_to_json(&v);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
    rc = v.kind == TC_VERDICT_VALID && (!stale || stale_ok) ? 0 : EXIT_NOT_VALID;
out:
    free(input);
    tc_trust_list_free(tl);
    tc_bundle_free(b);
    return rc;
}

static double poll_interval = 2;

static const char serve_help[] =
    "Usage: " PROG " serve (--bundle FILE | --source URL [--poll SECONDS]) --root ROOT.pub\n"
    "                        [--listen 127.0.0.1:8080] [--web DIR]\n"
    "                        [--state DIR] [--min-trust-list N] [--max-age SECONDS] [--stale-ok]\n"
    "                        [--register DIR] [--threads N] [--access-log FILE] [limits]\n"
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
    "request; a newer bundle is fetched, checked against the head and then as any bundle, and\n"
    "kept in the state directory (a restart with the source down serves it, never an older\n"
    "one). A head offering an older bundle is refused. Failures keep the bundle in use; they\n"
    "count in /metrics, and /healthz turns 503 only when the bundle passes its maximum age.\n"
    "The bundle is reloaded on SIGHUP and when its file changes; one that does not verify or is\n"
    "not newer is refused and the old one kept. The highest bundle and trust-list versions\n"
    "accepted are kept in --state DIR (default $STATE_DIRECTORY, else /var/lib/titlecert-verifier\n"
    "for root, else ~/.local/state/titlecert-verifier): an older bundle is refused across\n"
    "restarts, as is one embedding a trust list older than --min-trust-list. Past the bundle's\n"
    "maximum age (--max-age, default from its profile: 7 days) verification answers 503\n"
    "status_stale and /healthz 503; --stale-ok answers with a status_stale note instead.\n"
    "A certificate is valid only if the bundle's register index holds it (else invalid,\n"
    "not_registered). A newer bundle's register must be consistent with the one accepted: the\n"
    "bundle carries proofs from recent checkpoints; --register DIR (the publication directory\n"
    "titlecert-issuer publish writes) lets the verifier compute one from the tiles, and serve\n"
    "inclusion proofs.\n"
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

/* The checks a person can act on, made before the server starts: where the page files were
 * looked for, and whether the listening address is free (MHD only says that it failed). */
static int serve_preflight(const struct tc_server_config *cfg)
{
    static const char *const files[] = {"index.html", "app.js", "style.css"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", cfg->web_dir, files[i]);
        if (access(path, R_OK) != 0) {
            fprintf(stderr,
                    PROG ": serve: the page file %s: %s\n"
                         "  (install titlecert with 'meson install', or give --web DIR or "
                         "TITLECERT_WEB_DIR=DIR, DIR holding index.html, app.js and style.css)\n",
                    path, strerror(errno));
            return EXIT_USAGE;
        }
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return EXIT_USAGE;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, (const struct sockaddr *)&cfg->addr, sizeof cfg->addr);
    int err = errno;
    close(fd);
    if (rc != 0) {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &cfg->addr.sin_addr, addr, sizeof addr);
        fprintf(stderr, PROG ": serve: cannot listen on %s:%u: %s (choose another with --listen)\n",
                addr, ntohs(cfg->addr.sin_port), strerror(err));
        return EXIT_USAGE;
    }
    return 0;
}

/* serve's options into cfg; 0 to go on, -1 after --help, else the exit status */
static int serve_options(int argc, char **argv, struct tc_server_config *cfg_out, const char **root_out,
                         const char **log_out)
{
    static const struct option opts[] = {
        {"bundle", required_argument, 0, 'b'},  {"root", required_argument, 0, 'r'},
        {"listen", required_argument, 0, 'l'},  {"web", required_argument, 0, 'w'},
        {"max-age", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
        {"access-log", required_argument, 0, 'a'}, {"help", no_argument, 0, 'h'},
        {"state", required_argument, 0, 's'},   {"min-trust-list", required_argument, 0, 'M'},
        {"stale-ok", no_argument, 0, 'S'},     {"register", required_argument, 0, 'R'},
        {"connection-limit", required_argument, 0, 1}, {"per-address-limit", required_argument, 0, 2},
        {"idle-timeout", required_argument, 0, 3},     {"trusted-proxy", required_argument, 0, 4},
        {"image-threads", required_argument, 0, 5},    {"image-queue", required_argument, 0, 6},
        {"image-memory", required_argument, 0, 7},     {"image-timeout", required_argument, 0, 8},
        {"source", required_argument, 0, 9},           {"poll", required_argument, 0, 10},
        {0, 0, 0, 0}};
    unsigned char proxy_bin[sizeof(struct in6_addr)];
    static char state_buf[4096];
    struct tc_server_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_port = htons(8080);
    cfg.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *web_env = getenv("TITLECERT_WEB_DIR");
    cfg.web_dir = web_env && *web_env ? web_env : TITLECERT_DATADIR "/web";
    const char *root = NULL, *log_path = NULL;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': cfg.bundle_path = optarg; break;
        case 'r': root = optarg; break;
        case 'w': cfg.web_dir = optarg; break;
        case 'a': log_path = optarg; break;
        case 'l': {
            char host[64];
            const char *colon = strrchr(optarg, ':');
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (!colon || *end || port < 1 || port > 65535 || (size_t)(colon - optarg) >= sizeof host)
                return usage_error("serve", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
            memcpy(host, optarg, (size_t)(colon - optarg));
            host[colon - optarg] = '\0';
            if (inet_pton(AF_INET, host, &cfg.addr.sin_addr) != 1)
                return usage_error("serve", "--listen takes an IPv4 address");
            cfg.addr.sin_port = htons((uint16_t)port);
            break;
        }
        case 'm':
            cfg.max_age = strtoull(optarg, &end, 10);
            if (*end || !*optarg || cfg.max_age == 0)
                return usage_error("serve", "--max-age takes seconds, at least 1 (--stale-ok "
                                            "serves stale status with a warning)");
            break;
        case 1: case 2: case 3: case 5: case 6: case 7: case 8: {
            static const char *const names[] = {"", "--connection-limit", "--per-address-limit",
                                                "--idle-timeout", "", "--image-threads",
                                                "--image-queue", "--image-memory", "--image-timeout"};
            static const long max[] = {0, 100000, 100000, 3600, 0, 64, 10000, 65536, 60000};
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || v < 1 || v > max[c]) {
                char msg[96];
                snprintf(msg, sizeof msg, "%s takes a number from 1 to %ld", names[c], max[c]);
                return usage_error("serve", msg);
            }
            if (c == 1) cfg.connection_limit = (int)v;
            if (c == 2) cfg.per_ip_limit = (int)v;
            if (c == 3) cfg.timeout = (int)v;
            if (c == 5) cfg.image_threads = (int)v;
            if (c == 6) cfg.image_queue = (int)v;
            if (c == 7) cfg.image_memory = (uint64_t)v << 20;
            if (c == 8) cfg.image_timeout_ms = (unsigned)v;
            break;
        }
        case 4:
            if (inet_pton(AF_INET, optarg, proxy_bin) != 1 && inet_pton(AF_INET6, optarg, proxy_bin) != 1)
                return usage_error("serve", "--trusted-proxy takes an IPv4 or IPv6 address");
            cfg.trusted_proxy = optarg;
            break;
        case 's': cfg.state_dir = optarg; break;
        case 'S': cfg.stale_ok = true; break;
        case 'R': cfg.register_dir = optarg; break;
        case 9: cfg.source_url = optarg; break;
        case 10:
            poll_interval = strtod(optarg, &end);
            if (*end || !(poll_interval >= 0.2 && poll_interval <= 3600))
                return usage_error("serve", "--poll takes seconds between 0.2 and 3600");
            break;
        case 'M':
            cfg.min_trust_list = strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return usage_error("serve", "--min-trust-list takes a trust-list version");
            break;
        case 't':
            cfg.threads = (int)strtol(optarg, &end, 10);
            if (*end || cfg.threads < 1 || cfg.threads > 64)
                return usage_error("serve", "--threads takes 1..64");
            break;
        case 'h': fputs(serve_help, stdout); return -1;
        default: return usage_error("serve", "unknown option");
        }
    }
    if (!root || !cfg.bundle_path == !cfg.source_url)
        return usage_error("serve", "--root and one of --bundle FILE or --source URL are required");
    if (!cfg.state_dir && !(cfg.state_dir = tc_state_default_dir(state_buf, sizeof state_buf)))
        return usage_error("serve", "no state directory: give --state DIR");
    if (cfg.source_url) { /* the last bundle fetched is kept beside the state */
        static char cache[4200];
        snprintf(cache, sizeof cache, "%s/source.bundle", cfg.state_dir);
        cfg.bundle_path = cache;
    }
    *cfg_out = cfg, *root_out = root, *log_out = log_path;
    return 0;
}

/* Reloads on SIGHUP and when the bundle file changes, flushes the access log every second, and
 * returns on SIGINT or SIGTERM. */
static void serve_until_signal(struct tc_server *srv, sigset_t *set, struct tc_source *src,
                               const char *cache)
{
    for (;;) {
        struct timespec tick = {0, 250 * 1000 * 1000};
        if (src) {
            char msg[1024];
            uint8_t *delta;
            size_t dlen;
            int r = tc_source_poll(src, cache, tc_server_bundle_version(srv), false, msg, sizeof msg,
                                   &delta, &dlen);
            if (r == 2) {
                tc_server_source_note(srv, false, msg);
                if (tc_server_apply_delta(srv, delta, dlen) != TC_OK)
                    tc_source_no_delta(src);
                free(delta);
            } else if (r == 1) {
                tc_server_source_note(srv, false, msg);
                tc_server_reload(srv);
            } else if (r < 0) {
                tc_server_source_note(srv, r == -2, msg);
            }
        }
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig == SIGHUP)
            tc_server_reload(srv);
        else if (sig == SIGINT || sig == SIGTERM)
            break;
        else
            tc_server_poll_file(srv);
        tc_server_flush_log(srv);
    }
}

static int cmd_serve(int argc, char **argv)
{
    struct tc_server_config cfg;
    const char *root = NULL, *log_path = NULL;
    int rc = serve_options(argc, argv, &cfg, &root, &log_path);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct tc_pubkey rpub;
    enum tc_err e = tc_keys_pub_read(root, &rpub);
    if (e != TC_OK)
        return fail(root, e);
    memcpy(cfg.root_pk, rpub.pk, TC_PK_BYTES);
    if ((rc = serve_preflight(&cfg)) != 0)
        return rc;
    if (log_path && !(cfg.access_log = fopen(log_path, "a")))
        return fail(log_path, TC_ERR_IO);
    /* signals are taken by this thread only: block them before the server starts its threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct tc_server *srv = NULL;
    const char *why;
    struct tc_source *src = NULL;
    static struct tc_source_stats early; /* counts before the server exists */
    if (cfg.source_url) {
        if ((e = tc_source_new(&src, cfg.source_url, poll_interval, &early)) != TC_OK)
            return usage_error("serve", "--source takes an http:// or https:// URL");
        char msg[1024];
        /* the current publication first; the cached bundle when it cannot be had */
        int r = tc_source_poll(src, cfg.bundle_path, 0, true, msg, sizeof msg, NULL, NULL);
        if (r != 1) {
            if (access(cfg.bundle_path, R_OK) != 0) {
                fprintf(stderr, PROG ": serve: the publication at %s cannot be had (%s) and no "
                                "bundle is cached in %s\n", cfg.source_url, msg, cfg.state_dir);
                tc_source_free(src);
                return EXIT_USAGE;
            }
            fprintf(stderr, PROG ": serve: %s; serving the cached bundle until it can be fetched\n", msg);
        } else {
            fprintf(stderr, PROG ": serve: %s\n", msg);
        }
    }
    if ((e = tc_server_start(&srv, &cfg, &why)) != TC_OK) {
        fprintf(stderr, PROG ": serve: %s: %s\n", why ? why : "start", tc_strerror(e));
        tc_source_free(src);
        return EXIT_USAGE;
    }
    if (src) { /* from now on the server's counters */
        struct tc_source_stats *st = tc_server_source_stats(srv);
        atomic_store(&st->polls, atomic_load(&early.polls));
        atomic_store(&st->fetched, atomic_load(&early.fetched));
        atomic_store(&st->bytes, atomic_load(&early.bytes));
        atomic_store(&st->failures, atomic_load(&early.failures));
        tc_source_set_stats(src, st);
    }
    char addr[32];
    inet_ntop(AF_INET, &cfg.addr.sin_addr, addr, sizeof addr);
    fprintf(stderr, PROG ": serving bundle version %llu on http://%s:%u/ (state in %s)\n",
            (unsigned long long)tc_server_bundle_version(srv), addr, ntohs(cfg.addr.sin_port),
            cfg.state_dir);
    serve_until_signal(srv, &set, src, cfg.bundle_path);
    tc_source_free(src);
    tc_server_stop(srv);
    if (cfg.access_log)
        fclose(cfg.access_log);
    fprintf(stderr, PROG ": stopped\n");
    return 0;
}

static const struct tc_cli_command commands[] = {
    {"verify", cmd_verify, "verify a payload, link or QR image offline; print the verdict as JSON"},
    {"serve", cmd_serve, "serve the JSON API and the public verification page"},
};

int main(int argc, char **argv)
{
    return tc_cli_dispatch(PROG, "Verifies titlecert electronic title certificates.", commands,
                           sizeof commands / sizeof commands[0], argc, argv);
}
