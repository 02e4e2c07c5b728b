/*
 * main.c - titlecert-witness: a C2SP tlog-witness for a province's register (or any C2SP log).
 *
 *   serve    co-sign checkpoints of the configured logs over HTTP (POST /add-checkpoint)
 *   vkey     the witness's verifier key (name+hex8+base64(0x04 || key)) for the logs' users
 *   status   the checkpoint held for each log
 *
 * It parses arguments and prints; the witnessing is the library's (witness.h). The witness key
 * is a titlecert key file or an Ed25519 key on a PKCS#11 token, used through a signer handle.
 * Exit status: 0 done, 1 a state that does not read, 2 usage or I/O error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "http.h"
#include "keys.h"
#include "titlecert_config.h"
#include "witness.h"

#define PROG "titlecert-witness"

struct opts {
    const char *config, *state, *key, *penv, *pfile, *pub, *name, *listen, *access_log;
    const char *module, *token, *key_label, *pin_env, *pin_file, *proxy;
    int threads, connection_limit, per_address_limit, timeout;
};

static int usage(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

/* A numbered option (1..4) into o; 0, else the exit status after saying why. */
static int set(void *opts, int c, const char *arg, const char *cmd)
{
    static const char *const names[] = {"", "--threads", "--connection-limit",
                                         "--per-address-limit", "--idle-timeout"};
    static const long max[] = {0, 64, 100000, 100000, 3600};
    struct opts *o = opts;
    int *dest[] = {NULL, &o->threads, &o->connection_limit, &o->per_address_limit, &o->timeout};
    long v;
    int rc = tc_cli_number(PROG, cmd, names[c], arg, max[c], &v);
    if (rc == 0)
        *dest[c] = (int)v;
    return rc;
}

/* Every command's options into o; 0 to go on, TC_CLI_HELP after --help, else the exit status. */
static int parse(int argc, char **argv, const struct tc_cli_command *cmd, void *opts)
{
#define AT(field) TC_CLI_AT(struct opts, field)
    static const struct option table[] = {{"config", required_argument, 0, AT(config)},
                                          {"state", required_argument, 0, AT(state)},
                                          {"key", required_argument, 0, AT(key)},
                                          {"passphrase-env", required_argument, 0, AT(penv)},
                                          {"passphrase-file", required_argument, 0, AT(pfile)},
                                          {"pub", required_argument, 0, AT(pub)},
                                          {"name", required_argument, 0, AT(name)},
                                          {"listen", required_argument, 0, AT(listen)},
                                          {"access-log", required_argument, 0, AT(access_log)},
                                          {"pkcs11-module", required_argument, 0, AT(module)},
                                          {"token", required_argument, 0, AT(token)},
                                          {"key-label", required_argument, 0, AT(key_label)},
                                          {"pin-env", required_argument, 0, AT(pin_env)},
                                          {"pin-file", required_argument, 0, AT(pin_file)},
                                          {"trusted-proxy", required_argument, 0, AT(proxy)},
                                          {"threads", required_argument, 0, 1},
                                          {"connection-limit", required_argument, 0, 2},
                                          {"per-address-limit", required_argument, 0, 3},
                                          {"idle-timeout", required_argument, 0, 4},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
#undef AT
    memset(opts, 0, sizeof(struct opts));
    int rc = tc_cli_getopt(PROG, cmd->name, cmd->help, table, argc, argv, opts, set);
    if (rc == 0 && optind < argc)
        rc = usage(cmd->name, "no arguments are taken besides the options");
    return rc;
}

/* The configuration named by --config; false after saying why. */
static bool load_config(const char *path, struct tc_witness_config *cfg)
{
    size_t line;
    enum tc_err e = tc_witness_config_load(path, cfg, &line);
    if (e == TC_OK)
        return true;
    if (line)
        fprintf(stderr, PROG ": %s: line %zu: %s\n", path, line,
                e == TC_ERR_TYPE ? "not \"log <origin> <verifier key>\" (or the origin is not one)"
                : e == TC_ERR_CODE    ? "the verifier key is not name+hex8+base64(0x01 || key)"
                : e == TC_ERR_DUP_KEY ? "this key is already given for the log"
                                      : tc_strerror(e));
    else
        fprintf(stderr, PROG ": %s: %s\n", path,
                e == TC_ERR_MISSING_KEY ? "no log is configured" : tc_strerror(e));
    return false;
}

/* ---- keys ------------------------------------------------------------------------------------ */

/* The witness key from a key file: an issuer-kind key (titlecert-keys issuer-create), asked for
 * before the passphrase is; a root key never signs online. */
static struct tc_signer *file_signer(const struct opts *o)
{
    char prompt[TC_PATH_MAX + 32], *pass = NULL;
    const char *why;
    size_t len = 0;
    struct tc_keyfile_info info;
    enum tc_err e = tc_keys_secret_info(o->key, &info);
    if (e != TC_OK) {
        tc_cli_fail(PROG, o->key, e);
        return NULL;
    }
    if (info.kind != TC_KEY_ISSUER) {
        fprintf(stderr,
                PROG ": %s: is a %s key; a witness key is made with titlecert-keys "
                     "issuer-create\n",
                o->key, tc_key_kind_name(info.kind));
        return NULL;
    }
    snprintf(prompt, sizeof prompt, "Passphrase for %s: ", o->key);
    e = tc_keys_passphrase(&pass, &len, o->penv, o->pfile, prompt, false, &why);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": passphrase: %s\n", *why ? why : tc_strerror(e));
        return NULL;
    }
    struct tc_signer *s = NULL;
    e = tc_keys_signer_open(&s, o->key, pass, len, TC_KEY_ISSUER);
    tc_keys_passphrase_free(pass, len);
    if (e != TC_OK)
        tc_cli_fail(PROG, o->key, e);
    return s;
}

/* The witness key on a token, its PIN from --pin-env, --pin-file or a prompt. */
static struct tc_signer *token_signer(const struct opts *o)
{
    struct tc_pkcs11_key where = {.module = o->module,
                                  .token = o->token,
                                  .key_label = o->key_label,
                                  .kind = TC_KEY_ISSUER,
                                  .name = o->name ? o->name : o->key_label};
    struct tc_signer *s;
    char why[TC_PKCS11_TOKEN_LABEL_MAX + TC_PKCS11_DETAIL_MAX + 80];
    if (tc_keys_pkcs11_open_pin(&s, &where, o->pin_env, o->pin_file, why, sizeof why) != TC_OK)
        fprintf(stderr, PROG ": %s\n", why);
    return s;
}

/* ---- serve ----------------------------------------------------------------------------------- */

static const char serve_help[] =
    "Usage: " PROG " serve --config FILE --state DIR --key WITNESS.key [--name NAME]\n"
    "                       [--passphrase-env VAR | --passphrase-file FILE]\n"
    "       " PROG " serve --config FILE --state DIR --pkcs11-module SO --token LABEL\n"
    "                       --key-label LABEL [--name NAME] [--pin-env VAR | --pin-file FILE]\n"
    "                       [--listen 127.0.0.1:8090] [--access-log FILE] [limits]\n"
    "Witnesses the logs of the configuration (C2SP tlog-witness): POST /add-checkpoint with\n"
    "\"old <size>\", the consistency proof lines, an empty line and the log's signed\n"
    "checkpoint is answered with the witness's co-signature line (C2SP tlog-cosignature,\n"
    "cosignature/v1, Ed25519) when the checkpoint is signed by the log and extends the last one\n"
    "co-signed; else 400 malformed, 403 bad log signature, 404 unknown log, 409 with the size\n"
    "held (text/x.tlog.size), 422 bad proof. GET /healthz and /metrics as usual.\n\n"
    "  --config FILE        lines \"log <origin> <verifier key>\" (titlecert-register vkey)\n"
    "  --state DIR          one file per log, written (fsync, rename) before each co-signature\n"
    "  --key FILE           the witness key: a titlecert-keys issuer-create key file\n"
    "  --pkcs11-module SO   or an Ed25519 key on a token: --token and --key-label name it\n"
    "  --name NAME          the witness's key name in its lines (default: the key's name);\n"
    "                       a schema-less URL such as witness.example.cn/w1\n"
    "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8090)\n"
    "  --access-log FILE    one line per request: route, status, result, checkpoint size\n"
    "Limits: --threads N [2], --connection-limit N [1024], --per-address-limit N [64],\n"
    "        --idle-timeout SECONDS [15], --trusted-proxy ADDR (its X-Real-IP counts)\n";

/* The options that serve needs: 0, else the exit status. */
static int serve_check(const struct opts *o)
{
    if (!o->config || !o->state)
        return usage("serve", "--config and --state are required");
    if ((o->key != NULL) == (o->module != NULL))
        return usage("serve", "give --key, or --pkcs11-module with --token and --key-label");
    if (o->module && (!o->token || !o->key_label))
        return usage("serve", "--pkcs11-module needs --token and --key-label");
    return 0;
}

static void log_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, PROG ": %s\n", msg);
}

/* Runs the service with the key opened; the exit status. */
static int serve_with(const struct opts *o, struct tc_witness_service_config *cfg)
{
    struct tc_witness_service *svc = NULL;
    char why[TC_PATH_MAX + 256];
    const char *name = cfg->name;
    if (!tc_note_name_ok(name, strlen(name))) {
        fprintf(stderr,
                PROG ": serve: the key name \"%s\" has a space or a plus sign: give "
                     "--name NAME (a schema-less URL such as witness.example.cn/w1)\n",
                name);
        return TC_EXIT_USAGE;
    }
    if (o->access_log && !(cfg->access_log = fopen(o->access_log, "a")))
        return tc_cli_fail(PROG, o->access_log, TC_ERR_IO);
    int rc = 0;
    if (tc_witness_service_start(&svc, cfg, why, sizeof why) != TC_OK) {
        fprintf(stderr, PROG ": serve: %s\n", why);
        rc = TC_EXIT_USAGE;
    } else {
        char addr[INET_ADDRSTRLEN];
        struct tc_cosigner self;
        char vkey[TC_COSIG_VKEY_MAX];
        tc_cosigner_init(&self, name, TC_COSIG_ED25519, tc_signer_pub(cfg->signer)->pk,
                         TC_PK_BYTES);
        tc_cosigner_vkey(&self, vkey, sizeof vkey);
        inet_ntop(AF_INET, &cfg->addr.sin_addr, addr, sizeof addr);
        fprintf(stderr, PROG ": witnessing %zu log(s) as %s on http://%s:%u/ (state in %s)\n",
                cfg->logs->n, vkey, addr, tc_witness_service_port(svc), cfg->state_dir);
        tc_witness_service_run(svc);
        tc_witness_service_stop(svc);
        fprintf(stderr, PROG ": stopped\n");
    }
    if (cfg->access_log)
        fclose(cfg->access_log);
    return rc;
}

static int cmd_serve(void *opts)
{
    struct opts *o = opts;
    struct tc_witness_config logs = {0};
    struct tc_signer *signer = NULL;
    int rc = serve_check(o);
    if (rc)
        return rc;
    struct tc_witness_service_config cfg = {.state_dir = o->state,
                                            .threads = o->threads,
                                            .connection_limit = o->connection_limit,
                                            .per_address_limit = o->per_address_limit,
                                            .timeout = o->timeout,
                                            .trusted_proxy = o->proxy,
                                            .log = log_stderr};
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg.addr.sin_port = htons(8090);
    const char *bad = o->listen ? tc_cli_listen(o->listen, &cfg.addr,
                                                "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8090")
                                : NULL;
    if (bad)
        return usage("serve", bad);
    /* before any thread (a token's module may start some): signals reach only the service */
    tc_http_block_signals();
    if (tc_proc_harden() != TC_OK)
        return tc_cli_fail(PROG, "core dumps off", TC_ERR_IO);
    if (!load_config(o->config, &logs))
        return TC_EXIT_USAGE;
    /* the state directory, if it is not there yet (systemd's StateDirectory= makes it) */
    if (mkdir(o->state, 0700) != 0 && errno != EEXIST) {
        tc_witness_config_free(&logs);
        return tc_cli_fail(PROG, o->state, TC_ERR_IO);
    }
    signer = o->module ? token_signer(o) : file_signer(o);
    if (signer) {
        cfg.logs = &logs;
        cfg.signer = signer;
        cfg.name = o->name ? o->name : tc_signer_pub(signer)->name;
        rc = serve_with(o, &cfg);
    } else {
        rc = TC_EXIT_USAGE;
    }
    tc_signer_close(signer);
    tc_witness_config_free(&logs);
    return rc;
}

/* ---- vkey ------------------------------------------------------------------------------------ */

static const char vkey_help[] =
    "Usage: " PROG " vkey (--pub WITNESS.pub | --key WITNESS.key) [--name NAME]\n"
    "Prints the witness's verifier key, name+hex8+base64(0x04 || key): what a log's users\n"
    "(and titlecert's publish and verifiers) are configured with to check its co-signatures.\n"
    "No passphrase is asked: the public half is read. For a key on a token, export the public\n"
    "half first (titlecert-keys token-pub). NAME is the same as serve's --name.\n";

static int cmd_vkey(void *opts)
{
    struct opts *o = opts;
    if ((o->pub != NULL) == (o->key != NULL))
        return usage("vkey", "give --pub or --key");
    struct tc_pubkey pub;
    struct tc_keyfile_info info;
    enum tc_err e = o->pub ? tc_keys_pub_read(o->pub, &pub) : tc_keys_secret_info(o->key, &info);
    if (e != TC_OK)
        return tc_cli_fail(PROG, o->pub ? o->pub : o->key, e);
    const struct tc_pubkey *k = o->pub ? &pub : &info.pub;
    struct tc_cosigner self;
    char vkey[TC_COSIG_VKEY_MAX];
    if (tc_cosigner_init(&self, o->name ? o->name : k->name, TC_COSIG_ED25519, k->pk,
                         TC_PK_BYTES) != TC_OK)
        return usage("vkey", "the key name has a space or a plus sign: give --name NAME");
    tc_cosigner_vkey(&self, vkey, sizeof vkey);
    printf("%s\n", vkey);
    return 0;
}

/* ---- status ---------------------------------------------------------------------------------- */

static const char status_help[] =
    "Usage: " PROG " status --config FILE --state DIR\n"
    "Prints, for each log of the configuration, the checkpoint last co-signed: origin, size,\n"
    "root (base64) and the time of the co-signature (UTC), or \"none\". Reads the state files\n"
    "only (it may run beside the service). Exit status 1 when a state file does not read.\n";

static int cmd_status(void *opts)
{
    struct opts *o = opts;
    struct tc_witness_config logs;
    int rc = 0;
    if (!o->config || !o->state)
        return usage("status", "--config and --state are required");
    if (!load_config(o->config, &logs))
        return TC_EXIT_USAGE;
    struct tc_witness_state *st = malloc(sizeof *st);
    for (size_t i = 0; st && i < logs.n; i++) {
        enum tc_err e = tc_witness_state_load(o->state, logs.log[i].origin, st);
        char root[64], when[32] = "none";
        sodium_bin2base64(root, sizeof root, st->root, TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": %s: %s\n", logs.log[i].origin, tc_strerror(e));
            rc = TC_EXIT_NOT_VALID;
            continue;
        }
        if (st->note_len) {
            time_t t = (time_t)st->time;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        printf("%s %llu %s %s\n", logs.log[i].origin, (unsigned long long)st->size,
               st->note_len ? root : "-", when);
    }
    if (!st)
        rc = tc_cli_fail(PROG, "status", TC_ERR_NOMEM);
    free(st);
    tc_witness_config_free(&logs);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"serve", NULL, "co-sign the configured logs' checkpoints (C2SP tlog-witness)", serve_help,
     cmd_serve},
    {"vkey", NULL, "print the witness's verifier key for the logs' users", vkey_help, cmd_vkey},
    {"status", NULL, "print the checkpoint last co-signed for each log", status_help, cmd_status},
};

int main(int argc, char **argv)
{
    static struct opts opts;
    static const struct tc_cli_program program = {
        PROG,
        "Witnesses transparency logs: co-signs checkpoints that extend the last one it co-signed.",
        commands, sizeof commands / sizeof commands[0], parse, &opts};
    return tc_cli_dispatch(&program, argc, argv);
}
