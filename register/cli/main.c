/*
 * main.c - titlecert-register: checks a province's public register (A3) from its static
 * publication, for employers, auditors, mirrors and the HR department itself. It trusts only
 * the root public key: the checkpoint must be signed by a key the root's trust list endorses for
 * register checkpoints, and every tile read is checked against that checkpoint's root.
 *
 *   verify       the checkpoint's signature, and that the tiles give its root
 *   vkey         the register keys as signed-note verifier keys (for other tools)
 *   prove ID     a certificate's issue entry and its inclusion proof
 *   consistency  an RFC 9162 consistency proof between two checkpoints
 *   audit        a status bundle against the register: index, revocations, supersessions
 *   monitor      every entry under a key id: what was issued in a key's name
 *
 * Links cert/, the public half of keys/, register/ and the verifier's bundle reader; no code
 * that can read a secret key. Exit status: 0 checked, 1 a check failed, 2 usage or I/O error.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"
#include "titlecert_config.h"
#include "publication.h"

#define PROG "titlecert-register"
#define EXIT_FAILED TC_EXIT_NOT_VALID
#define EXIT_USAGE TC_EXIT_USAGE

struct opts {
    const char *root, *trust, *dir, *bundle, *kid;
    struct tc_cosigner_set *witnesses; /* NULL: no co-signature is required */
    uint64_t since;
    bool json;
    int argc;
    char **argv; /* the operands */
};

/* what every command works from: the root, the trust list, the checkpoint and the tiles */
struct ctx {
    struct tc_pubkey root;
    struct tc_trust_list *tl;
    struct tc_bundle *bundle; /* when the trust list came from a bundle, or audit */
    size_t bundle_len;
    char *note;
    size_t note_len;
    struct tc_checkpoint cp;
    const struct tc_endorsement *key;
    struct tc_tile_reader *tiles;
};

static int usage_error(const char *cmd, const char *msg)
{
    return tc_cli_usage_error(PROG, cmd, msg);
}

/* --witness VKEY or --witnesses FILE into set; 0, else the exit status after saying why. */
static int witness_arg(const char *cmd, int c, const char *arg, struct tc_cosigner_set *set)
{
    char msg[400];
    size_t line = 0;
    enum tc_err e = c == 'W' ? tc_cosigner_set_add(set, arg, NULL)
                             : tc_cosigner_set_load(arg, set, &line);
    if (e == TC_OK)
        return 0;
    if (line)
        snprintf(msg, sizeof msg, "--witnesses %s, line %zu: %s", arg, line,
                 tc_cosigner_set_strerror(e));
    else
        snprintf(msg, sizeof msg, "%s %s: %s", c == 'W' ? "--witness" : "--witnesses", arg,
                 tc_cosigner_set_strerror(e));
    return usage_error(cmd, msg);
}

/* A checkpoint's co-signatures against the witnesses given: true when none are required or
 * their quorum co-signed (said on standard output as 'witnesses: ...'), else false after saying
 * why on standard error. */
static bool witnessed(const struct opts *o, const char *cmd, const char *what, const char *note,
                      size_t len)
{
    struct tc_cosig_tally t;
    char why[1024];
    if (!o->witnesses)
        return true;
    enum tc_err e = tc_cosigner_set_check(o->witnesses, note, len, NULL, &t);
    tc_cosig_tally_explain(o->witnesses, &t, why, sizeof why);
    if (e == TC_OK) {
        if (!o->json)
            printf("witnesses: %s\n", why);
        return true;
    }
    fprintf(stderr, PROG ": %s: %s: refused: the witnesses' quorum is not met: %s\n", cmd, what,
            why);
    return false;
}

/* The witness set the options build (static: o->witnesses points into it) and its quorum. */
static struct tc_cosigner_set witness_set;
static long witness_quorum;

/* One option whose value is checked into o; 0, else the exit status after saying why. */
static int set(void *opts, int c, const char *arg, const char *cmd)
{
    struct opts *o = opts;
    char *end;
    switch (c) {
    case 's':
        if (!tc_parse_u64(arg, &o->since))
            return usage_error(cmd, "--since takes a register entry number");
        break;
    case 'Q':
        witness_quorum = strtol(arg, &end, 10);
        if (*end || !*arg || witness_quorum < 1 || witness_quorum > TC_COSIGNERS_MAX)
            return usage_error(cmd, "--witness-quorum takes 1 to 15");
        break;
    default: return witness_arg(cmd, c, arg, &witness_set); /* 'W' or 'F' */
    }
    return 0;
}

/* Every command's options; 0 to run it, TC_CLI_HELP after --help, else the exit status. */
static int parse(int argc, char **argv, const struct tc_cli_command *cmd, void *opts)
{
#define AT(field) TC_CLI_AT(struct opts, field)
    static const struct option table[] = {
        {"root", required_argument, 0, AT(root)}, {"trust-list", required_argument, 0, AT(trust)},
        {"dir", required_argument, 0, AT(dir)},   {"bundle", required_argument, 0, AT(bundle)},
        {"kid", required_argument, 0, AT(kid)},   {"since", required_argument, 0, 's'},
        {"json", no_argument, 0, AT(json)},       {"help", no_argument, 0, 'h'},
        {"witness", required_argument, 0, 'W'}, {"witnesses", required_argument, 0, 'F'},
        {"witness-quorum", required_argument, 0, 'Q'},
        {0, 0, 0, 0}};
#undef AT
    struct opts *o = opts;
    memset(o, 0, sizeof *o);
    memset(&witness_set, 0, sizeof witness_set);
    witness_quorum = 0;
    int rc = tc_cli_getopt(PROG, cmd->name, cmd->help, table, argc, argv, o, set);
    if (rc)
        return rc;
    const char *no = tc_cosigner_set_quorum(&witness_set, witness_quorum);
    if (no)
        return usage_error(cmd->name, no);
    o->witnesses = witness_set.n ? &witness_set : NULL;
    o->argc = argc - optind;
    o->argv = argv + optind;
    if (!o->root)
        return usage_error(cmd->name, "--root ROOT.pub is required");
    if (!o->dir)
        return usage_error(cmd->name, "--dir DIR (the publication directory) is required");
    return 0;
}

static void ctx_free(struct ctx *x)
{
    tc_trust_list_free(x->bundle ? NULL : x->tl);
    tc_bundle_free(x->bundle);
    free(x->note);
    tc_tile_reader_close(x->tiles);
    memset(x, 0, sizeof *x); /* closed: a second ctx_free does nothing */
}

static enum tc_err read_text(const char *path, char **out, size_t *len)
{
    uint8_t *buf;
    enum tc_err e = tc_file_read(path, TC_REG_NOTE_MAX, &buf, len);
    if (e != TC_OK)
        return e;
    char *t = realloc(buf, *len + 1);
    if (!t) {
        free(buf);
        return TC_ERR_NOMEM;
    }
    t[*len] = '\0';
    *out = t;
    return TC_OK;
}

/* The root, the trust list (--trust-list, else the one DIR/bundle.cbor carries), the checkpoint
 * (DIR/checkpoint, or checkpoint_path) verified with it, and a tile reader for its size. */
static int open_ctx(const struct opts *o, const char *cmd, const char *checkpoint_path,
                    struct ctx *x)
{
    memset(x, 0, sizeof *x);
    char path[4096];
    enum tc_err e;
    if ((e = tc_keys_pub_read(o->root, &x->root)) != TC_OK)
        return tc_cli_fail(PROG, o->root, e);
    if (o->trust) {
        uint8_t *buf;
        size_t len;
        if ((e = tc_file_read(o->trust, TC_TRUST_LIST_MAX_BYTES, &buf, &len)) == TC_OK) {
            e = tc_trust_list_parse(buf, len, x->root.pk, &x->tl);
            free(buf);
        }
        if (e != TC_OK)
            return tc_cli_fail(PROG, o->trust, e);
    } else {
        snprintf(path, sizeof path, "%s", o->bundle ? o->bundle : "");
        if (!o->bundle)
            snprintf(path, sizeof path, "%s/bundle.cbor", o->dir);
        char chunk[4400];
        e = tc_bundle_read_file(path, x->root.pk, 0, &x->bundle, &x->bundle_len, chunk,
                                sizeof chunk);
        if (e != TC_OK && chunk[0]) {
            fprintf(stderr, PROG ": %s: %s: %s: %s\n", cmd, path, chunk, tc_chunk_why(e));
            return TC_EXIT_USAGE;
        }
        if (e != TC_OK) {
            fprintf(stderr, PROG ": %s: %s: %s (the trust list is read from the bundle; or give "
                            "--trust-list FILE)\n", cmd, path, tc_strerror(e));
            return EXIT_USAGE;
        }
        x->tl = x->bundle->tl;
    }
    if (checkpoint_path)
        snprintf(path, sizeof path, "%s", checkpoint_path);
    else
        snprintf(path, sizeof path, "%s/checkpoint", o->dir);
    if ((e = read_text(path, &x->note, &x->note_len)) != TC_OK)
        return tc_cli_fail(PROG, path, e);
    if ((e = tc_checkpoint_open(x->tl, x->note, x->note_len, INT32_MIN, &x->cp, &x->key)) != TC_OK) {
        fprintf(stderr, PROG ": %s: %s: %s\n", cmd, path,
                e == TC_ERR_BAD_SIGNATURE
                    ? "no key the trust list endorses for register checkpoints signed it"
                    : "not a signed checkpoint (C2SP tlog-checkpoint in a signed note)");
        return EXIT_FAILED;
    }
    if (!witnessed(o, cmd, path, x->note, x->note_len))
        return EXIT_FAILED;
    if ((e = tc_tile_reader_open(o->dir, x->cp.size, &x->tiles)) != TC_OK)
        return tc_cli_fail(PROG, o->dir, e);
    return 0;
}

/* open_ctx, and on failure what it opened closed: 0, else the exit status after saying why. */
static int setup(const struct opts *o, const char *cmd, const char *checkpoint_path, struct ctx *x)
{
    int rc = open_ctx(o, cmd, checkpoint_path, x);
    if (rc)
        ctx_free(x);
    return rc;
}

/* the tiles give the checkpoint's root */
static bool tiles_match(struct ctx *x, const char *cmd)
{
    struct tc_reg_source src = tc_tile_reader_source(x->tiles);
    uint8_t root[TC_REG_HASH];
    enum tc_err e = tc_reg_root(&src, x->cp.size, root);
    if (e != TC_OK) {
        fprintf(stderr, PROG ": %s: the tiles for %" PRIu64 " entries: %s: %s\n", cmd, x->cp.size,
                tc_tile_reader_last(x->tiles), tc_strerror(e));
        return false;
    }
    if (sodium_memcmp(root, x->cp.root, TC_REG_HASH) != 0) {
        fprintf(stderr, PROG ": %s: the tiles in %s do not give the checkpoint's root: they were "
                        "altered or belong to another register\n", cmd, tc_tile_reader_last(x->tiles));
        return false;
    }
    return true;
}

/* the entry bundles give the checkpoint's root: every leaf is read, hashed and the tree rebuilt,
 * so no entry can be altered without this failing (the hash tiles are checked separately) */
static bool entries_match(struct ctx *x, const char *cmd)
{
    struct tc_reg_tree t;
    tc_reg_tree_init(&t);
    bool ok = true;
    for (uint64_t i = 0; ok && i < x->cp.size; i++) {
        const uint8_t *leaf;
        size_t len;
        uint8_t h[TC_REG_HASH];
        enum tc_err e = tc_tile_reader_leaf(x->tiles, i, &leaf, &len);
        if (e != TC_OK) {
            fprintf(stderr, PROG ": %s: register entry %" PRIu64 ": %s: %s\n", cmd, i,
                    tc_tile_reader_last(x->tiles), tc_strerror(e));
            ok = false;
            break;
        }
        tc_reg_leaf_hash(h, leaf, len);
        ok = tc_reg_tree_append(&t, h) == TC_OK;
    }
    uint8_t root[TC_REG_HASH];
    struct tc_reg_source src = tc_reg_tree_source(&t);
    if (ok && (tc_reg_root(&src, t.n, root) != TC_OK ||
               sodium_memcmp(root, x->cp.root, TC_REG_HASH) != 0)) {
        fprintf(stderr, PROG ": %s: the entry bundles (tile/entries) do not give the checkpoint's "
                        "root: an entry was altered, added or removed\n", cmd);
        ok = false;
    }
    tc_reg_tree_free(&t);
    return ok;
}

static void print_hash(const char *label, const uint8_t h[TC_REG_HASH])
{
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, h, TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
    printf("%s%s\n", label, b64);
}

static void print_proof(const uint8_t (*proof)[TC_REG_HASH], size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char label[32];
        snprintf(label, sizeof label, "  proof[%zu] ", i);
        print_hash(label, proof[i]);
    }
}

/* ---- verify ---------------------------------------------------------------------------------- */

static const char verify_help[] =
    "Usage: " PROG " verify --root ROOT.pub --dir DIR [--trust-list FILE] [CHECKPOINT]\n"
    "                          [(--witness V ... | --witnesses FILE) --witness-quorum K]\n"
    "Verifies the register's checkpoint (DIR/checkpoint, or the file given) against the trust\n"
    "list the root signed (--trust-list, else the one in DIR/bundle.cbor): a C2SP signed note by\n"
    "a key endorsed for register checkpoints. Then recomputes its root twice, from the hash\n"
    "tiles and from every entry, so that no published file differs from what was signed.\n"
    "With --witness NAME+HEX+KEY (repeatable) or --witnesses FILE (lines 'witness NAME KEY\n"
    "[URL]') and --witness-quorum K, the checkpoint must also carry valid co-signatures (C2SP\n"
    "tlog-cosignature) from K of those witnesses, and a forged line of one of them fails.\n";

static int cmd_verify(void *opts)
{
    struct opts *o = opts;
    struct ctx x;
    int rc = setup(o, "verify", o->argc ? o->argv[0] : NULL, &x);
    if (rc != 0)
        return rc;
    char kid[TC_KID_BYTES * 2 + 1];
    sodium_bin2hex(kid, sizeof kid, x.key->kid, TC_KID_BYTES);
    printf("checkpoint: %s, %" PRIu64 " entries, signed by %s (key %s)\n", x.cp.origin, x.cp.size,
           x.key->name, kid);
    print_hash("root: ", x.cp.root);
    rc = tiles_match(&x, "verify") && entries_match(&x, "verify") ? 0 : EXIT_FAILED;
    if (!rc)
        printf("tiles: the hash tiles and the %" PRIu64 " entries give this root (%s)\n", x.cp.size,
               o->dir);
    ctx_free(&x);
    return rc;
}

/* ---- vkey ------------------------------------------------------------------------------------ */

static const char vkey_help[] =
    "Usage: " PROG " vkey --root ROOT.pub --dir DIR [--trust-list FILE]\n"
    "Prints the register keys of the trust list as signed-note verifier keys\n"
    "(name+hash+base64), the form other transparency tools (Go's golang.org/x/mod/sumdb/note,\n"
    "witnesses) take. The name is the register's origin, from DIR/checkpoint.\n";

static int cmd_vkey(void *opts)
{
    struct opts *o = opts;
    struct ctx x;
    int rc = setup(o, "vkey", NULL, &x);
    if (rc == 0) {
        char vk[256];
        tc_note_vkey(vk, sizeof vk, x.cp.origin, x.key->pk);
        printf("%s\n", vk);
    }
    ctx_free(&x);
    return rc;
}

/* ---- prove ----------------------------------------------------------------------------------- */

static const char prove_help[] =
    "Usage: " PROG " prove --root ROOT.pub --dir DIR ID\n"
    "Finds certificate ID's issue entry in the register (the bundle's index names it, the entry\n"
    "itself is read from the tiles), computes its RFC 9162 inclusion proof in DIR/checkpoint and\n"
    "verifies it. Prints the entry, the certificate hash it records and the proof.\n";

static int cmd_prove(void *opts)
{
    struct opts *o = opts;
    if (o->argc != 1)
        return usage_error("prove", "give one certificate id");
    uint64_t id;
    if (!tc_parse_u64(o->argv[0], &id))
        return usage_error("prove", "the id is a certificate number");
    if (o->trust)
        return usage_error("prove", "prove reads the index from DIR/bundle.cbor (no --trust-list)");
    struct ctx x;
    int rc = setup(o, "prove", NULL, &x);
    if (rc != 0)
        return rc;
    rc = EXIT_FAILED;
    const struct tc_bundle_registered *reg = tc_bundle_registered(x.bundle, id);
    const uint8_t *leaf;
    size_t len, plen;
    struct tc_reg_leaf l;
    uint8_t lh[TC_REG_HASH], proof[TC_REG_PROOF_MAX][TC_REG_HASH];
    struct tc_reg_source src = tc_tile_reader_source(x.tiles);
    if (!reg) {
        printf("certificate %" PRIu64 ": not in the register's index (not_registered)\n", id);
    } else if (reg->leaf >= x.cp.size || tc_tile_reader_leaf(x.tiles, reg->leaf, &leaf, &len) != TC_OK ||
               tc_reg_leaf_decode(leaf, len, &l) != TC_OK || l.kind != TC_REG_ISSUE || l.id != id) {
        printf("certificate %" PRIu64 ": the index names entry %" PRIu64 ", which is not its issue "
               "entry in the tiles\n", id, reg->leaf);
    } else {
        tc_reg_leaf_hash(lh, leaf, len);
        if (tc_reg_prove_inclusion(&src, reg->leaf, x.cp.size, proof, &plen) != TC_OK ||
            !tc_reg_verify_inclusion(reg->leaf, x.cp.size, lh, (const uint8_t(*)[TC_REG_HASH])proof,
                                     plen, x.cp.root)) {
            printf("certificate %" PRIu64 ": the inclusion proof of entry %" PRIu64 " does not "
                   "verify: the tiles do not match the checkpoint\n", id, reg->leaf);
        } else {
            char kid[17], d[11], hex[65];
            sodium_bin2hex(kid, sizeof kid, l.kid, 8);
            sodium_bin2hex(hex, sizeof hex, l.hash, 32);
            tc_day_format(d, l.day);
            printf("certificate %" PRIu64 ": register entry %" PRIu64 " of %" PRIu64 " (%s)\n", id,
                   reg->leaf, x.cp.size, x.cp.origin);
            printf("  issued under key %s, recorded %s, batch %" PRIu64 "\n", kid, d, l.other);
            printf("  certificate SHA-256 %s\n", hex);
            print_hash("  leaf hash ", lh);
            print_proof((const uint8_t(*)[TC_REG_HASH])proof, plen);
            printf("inclusion proof verified against the signed checkpoint\n");
            rc = 0;
        }
    }
    ctx_free(&x);
    return rc;
}

/* ---- consistency ----------------------------------------------------------------------------- */

static const char consistency_help[] =
    "Usage: " PROG " consistency --root ROOT.pub --dir DIR OLD NEW\n"
    "Verifies two checkpoint files (signed notes) and proves NEW extends OLD (RFC 9162\n"
    "consistency proof computed from the tiles in DIR, which must reach NEW's size): the\n"
    "register was only appended to between them. A failure means a rewritten register.\n";

static int cmd_consistency(void *opts)
{
    struct opts *o = opts;
    if (o->argc != 2)
        return usage_error("consistency", "give two checkpoint files, OLD and NEW");
    struct ctx x, y;
    int rc = setup(o, "consistency", o->argv[1], &y);
    if (rc != 0)
        return rc;
    if ((rc = setup(o, "consistency", o->argv[0], &x)) != 0) {
        ctx_free(&y);
        return rc;
    }
    rc = EXIT_FAILED;
    uint8_t proof[TC_REG_PROOF_MAX][TC_REG_HASH];
    size_t plen = 0;
    struct tc_reg_source src = tc_tile_reader_source(y.tiles);
    if (strcmp(x.cp.origin, y.cp.origin) != 0) {
        printf("the checkpoints are of different registers (%s, %s)\n", x.cp.origin, y.cp.origin);
    } else if (x.cp.size > y.cp.size) {
        printf("OLD has %" PRIu64 " entries, more than NEW's %" PRIu64 "\n", x.cp.size, y.cp.size);
    } else if (!tiles_match(&y, "consistency")) {
        ;
    } else if ((x.cp.size && tc_reg_prove_consistency(&src, x.cp.size, y.cp.size, proof, &plen) != TC_OK) ||
               !tc_reg_verify_consistency(x.cp.size, y.cp.size, x.cp.root, y.cp.root,
                                          (const uint8_t(*)[TC_REG_HASH])proof, plen)) {
        printf("NOT consistent: the register of %" PRIu64 " entries is not a prefix of the one of "
               "%" PRIu64 " (it was rewritten)\n", x.cp.size, y.cp.size);
    } else {
        print_proof((const uint8_t(*)[TC_REG_HASH])proof, plen);
        printf("consistent: %" PRIu64 " -> %" PRIu64 " entries, only appended to\n", x.cp.size,
               y.cp.size);
        rc = 0;
    }
    ctx_free(&x);
    ctx_free(&y);
    return rc;
}

/* ---- audit ----------------------------------------------------------------------------------- */

static const char audit_help[] =
    "Usage: " PROG " audit --root ROOT.pub --dir DIR [--bundle FILE]\n"
    "                         [(--witness V ... | --witnesses FILE) --witness-quorum K]\n"
    "Checks a status bundle (default DIR/bundle.cbor) against the register up to the bundle's\n"
    "checkpoint: every certificate in its index has its issue entry there with the same hash,\n"
    "every issued certificate is in the index, and its revocations and supersessions are exactly\n"
    "the register's. Without --bundle, also every DIR/delta-N.cbor (signed by a publication key,\n"
    "its entries and checkpoint the register's, and the one that leads to the bundle naming its\n"
    "hash and signature) and DIR/head (naming the bundle, its checkpoint and an existing delta).\n"
    "Names what differs. Exit 1 when anything does.\n"
    "With --witness NAME+HEX+KEY (repeatable) or --witnesses FILE (lines 'witness NAME KEY\n"
    "[URL]') and --witness-quorum K, DIR/checkpoint and the bundle's checkpoint must also carry\n"
    "valid co-signatures (C2SP tlog-cosignature) from K of those witnesses, and a forged line of\n"
    "one of them fails.\n";

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

/* The status the register's entries up to x's checkpoint give; false after saying why. */
static bool register_status(struct ctx *x, struct tc_reg_status *st)
{
    for (uint64_t i = 0; i < x->cp.size; i++) {
        const uint8_t *leaf;
        size_t len;
        struct tc_reg_leaf l;
        if (tc_tile_reader_leaf(x->tiles, i, &leaf, &len) != TC_OK ||
            tc_reg_leaf_decode(leaf, len, &l) != TC_OK) {
            printf("register entry %" PRIu64 ": unreadable in %s\n", i,
                   tc_tile_reader_last(x->tiles));
            return false;
        }
        if (tc_reg_status_add(st, i, &l) != TC_OK) {
            printf("register entry %" PRIu64 ": out of memory\n", i);
            return false;
        }
    }
    return true;
}

/* One delta of the publication: signed with a key the bundle's trust list endorses, its entries
 * exactly the register's, its frontier the register's before them, its checkpoint's root the
 * register's at its size, and, when it leads to the bundle published, that bundle's hash and
 * signature. What a replica derives from it is then what the register says. */
static size_t audit_delta(struct ctx *x, const char *name, const uint8_t *buf, size_t len,
                          const uint8_t bundle_sum[32])
{
    struct tc_delta d;
    const struct tc_bundle *b = x->bundle;
    struct tc_reg_source src = tc_tile_reader_source(x->tiles);
    struct tc_reg_frontier f;
    uint8_t root[TC_REG_HASH];
    enum tc_err e = tc_delta_open(buf, len, b->tl, 0, &d);
    size_t bad = 0;
    if (e != TC_OK) {
        printf("%s: %s\n", name,
               e == TC_ERR_INCONSISTENT ? "its frontier, entries and checkpoint do not fit together"
               : e == TC_ERR_BAD_SIGNATURE || e == TC_ERR_NOT_AUTHORISED
                   ? "not signed by a publication key of the trust list"
                   : "not a delta");
        return 1;
    }
    uint64_t m = d.frontier.size, n = d.checkpoint.size, from = 0;
    sscanf(name, "delta-%" SCNu64, &from);
    if (from != d.from_version)
        printf("%s: it is the delta from version %" PRIu64 "\n", name, d.from_version), bad++;
    if (n > x->cp.size || d.version > b->version) {
        printf("%s: it leads past the bundle published (version %" PRIu64 ", %" PRIu64 " entries)\n",
               name, d.version, n), bad++;
    } else {
        if (tc_reg_frontier_of(&src, m, &f) != TC_OK || f.len != d.frontier.len ||
            memcmp(f.hash, d.frontier.hash, f.len * TC_REG_HASH) != 0)
            printf("%s: its frontier is not the register's at %" PRIu64 " entries\n", name, m), bad++;
        for (uint64_t i = m; i < n; i++) {
            const uint8_t *leaf;
            size_t ll;
            if (tc_tile_reader_leaf(x->tiles, i, &leaf, &ll) != TC_OK || ll != d.leaf_len[i - m] ||
                memcmp(leaf, d.leaf[i - m], ll) != 0) {
                printf("%s: register entry %" PRIu64 " differs from the register's\n", name, i);
                bad++;
                break;
            }
        }
        if (tc_reg_root(&src, n, root) != TC_OK || memcmp(root, d.checkpoint.root, TC_REG_HASH))
            printf("%s: its checkpoint is not the register's at %" PRIu64 " entries\n", name, n), bad++;
        if (d.version == b->version &&
            (memcmp(d.to_sha256, bundle_sum, 32) != 0 || memcmp(d.bundle_sig, b->sig, TC_SIG_BYTES)))
            printf("%s: it names a bundle other than the one published as version %" PRIu64 "\n",
                   name, b->version), bad++;
    }
    tc_delta_close(&d);
    return bad;
}

/* Every delta-N.cbor in dir. */
static size_t audit_deltas(struct ctx *x, const char *dir, const uint8_t bundle_sum[32],
                           size_t *count)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t bad = 0;
    while (dp && (de = readdir(dp)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (strncmp(de->d_name, "delta-", 6) != 0 || nl < 11 ||
            strcmp(de->d_name + nl - 5, ".cbor") != 0)
            continue;
        char path[4096];
        uint8_t *buf = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (tc_file_read(path, TC_DELTA_MAX_BYTES, &buf, &len) != TC_OK) {
            printf("%s: unreadable\n", de->d_name), bad++;
            continue;
        }
        bad += audit_delta(x, de->d_name, buf, len, bundle_sum);
        (*count)++;
        free(buf);
    }
    if (dp)
        closedir(dp);
    return bad;
}

/* The head replicas poll: it names the bundle published, its checkpoint, and a delta there is. */
static size_t audit_head(struct ctx *x, const char *dir, const uint8_t bundle_sum[32],
                         size_t bundle_len)
{
    char path[4096];
    uint8_t *buf = NULL, sum[32];
    size_t len = 0, bad = 0;
    struct tc_head h;
    snprintf(path, sizeof path, "%s/head", dir);
    if (tc_file_read(path, TC_HEAD_MAX_BYTES, &buf, &len) == TC_ERR_NOT_FOUND)
        return 0; /* a bundle exported alone has no head */
    if (!buf || tc_head_parse((const char *)buf, len, &h) != TC_OK) {
        free(buf);
        printf("head: not a titlecert head\n");
        return 1;
    }
    if (h.version != x->bundle->version || memcmp(h.sha256, bundle_sum, 32) != 0 ||
        h.bytes != bundle_len)
        printf("head: it names version %" PRIu64 " and another hash or size than bundle.cbor\n",
               h.version), bad++;
    if (h.checkpoint_len != x->bundle->note_len ||
        memcmp(h.checkpoint, x->bundle->note, h.checkpoint_len) != 0)
        printf("head: its checkpoint is not the bundle's\n"), bad++;
    if (h.has_delta) {
        uint8_t *d = NULL;
        size_t dl = 0;
        snprintf(path, sizeof path, "%s/delta-%" PRIu64 ".cbor", dir, h.delta_from);
        if (tc_file_read(path, TC_DELTA_MAX_BYTES, &d, &dl) != TC_OK || dl != h.delta_bytes ||
            (crypto_hash_sha256(sum, d, dl), memcmp(sum, h.delta_sha256, 32) != 0))
            printf("head: the delta it names (delta-%" PRIu64 ".cbor) is missing or another\n",
                   h.delta_from), bad++;
        free(d);
    }
    free(buf);
    return bad;
}

static int cmd_audit(void *opts)
{
    struct opts *o = opts;
    if (o->trust)
        return usage_error("audit", "audit reads the trust list from the bundle (no --trust-list)");
    struct ctx x;
    int rc = setup(o, "audit", NULL, &x);
    if (rc != 0)
        return rc;
    /* the bundle's own checkpoint is the one audited: its signature was checked when it loaded,
     * its co-signatures are checked here (o->bundle may be another file than DIR/checkpoint) */
    const struct tc_bundle *b = x.bundle;
    if (strcmp(b->note, x.note) != 0 &&
        !witnessed(o, "audit", o->bundle ? o->bundle : "bundle.cbor", b->note, b->note_len)) {
        ctx_free(&x);
        return EXIT_FAILED;
    }
    memcpy(&x.cp, &b->checkpoint, sizeof x.cp);
    tc_tile_reader_close(x.tiles);
    x.tiles = NULL;
    rc = EXIT_FAILED;
    struct tc_reg_status st;
    tc_reg_status_init(&st);
    struct tc_reg_report rep = {print_line, NULL, 0};
    if (tc_tile_reader_open(o->dir, x.cp.size, &x.tiles) == TC_OK && tiles_match(&x, "audit") &&
        entries_match(&x, "audit") && register_status(&x, &st)) {
        size_t bad = tc_reg_status_finish(&st, NULL, &rep), deltas = 0;
        bad += tc_reg_status_compare(&st, b, &rep);
        if (!o->bundle) /* a publication directory: its deltas and head too */
            bad += audit_deltas(&x, o->dir, b->file_sha256, &deltas) +
                   audit_head(&x, o->dir, b->file_sha256, x.bundle_len);
        if (bad) {
            printf("audit FAILED: %zu difference(s) between bundle version %" PRIu64 " and the "
                   "register of %" PRIu64 " entries\n", bad, b->version, x.cp.size);
        } else {
            printf("audit passed: bundle version %" PRIu64 " agrees with the register of %" PRIu64
                   " entries (%zu certificates, %zu revoked, %zu superseded; %zu deltas and the "
                   "head checked)\n", b->version, x.cp.size, st.n_index, b->n_revoked,
                   b->n_superseded, deltas);
            rc = 0;
        }
    }
    tc_reg_status_free(&st);
    ctx_free(&x);
    return rc;
}

/* ---- monitor --------------------------------------------------------------------------------- */

static const char monitor_help[] =
    "Usage: " PROG " monitor --root ROOT.pub --dir DIR --kid HEX [--since N] [--json]\n"
    "                           [(--witness V ... | --witnesses FILE) --witness-quorum K]\n"
    "Lists every certificate the register records as issued under key id HEX (16 hex digits, as\n"
    "titlecert-keys show prints it), from entry N on (default 0), with the day it was recorded\n"
    "and its hash, and every revocation or supersession of those certificates. An HR department\n"
    "compares it with its own records: an entry it did not make means its key is used by\n"
    "someone else. Ends with the entry to continue from (--since) next time.\n"
    "With --witness NAME+HEX+KEY (repeatable) or --witnesses FILE (lines 'witness NAME KEY\n"
    "[URL]') and --witness-quorum K, DIR/checkpoint must also carry valid co-signatures (C2SP\n"
    "tlog-cosignature) from K of those witnesses, and a forged line of one of them fails.\n";

static int id_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmd_monitor(void *opts)
{
    struct opts *o = opts;
    uint8_t kid[8];
    size_t got = 0;
    if (!o->kid || strlen(o->kid) != 16 ||
        sodium_hex2bin(kid, sizeof kid, o->kid, 16, NULL, &got, NULL) != 0 || got != 8)
        return usage_error("monitor", "--kid takes a key id of 16 hex digits");
    struct ctx x;
    int rc = setup(o, "monitor", NULL, &x);
    if (rc != 0)
        return rc;
    rc = EXIT_FAILED;
    if (!tiles_match(&x, "monitor") || !entries_match(&x, "monitor"))
        goto out;
    uint64_t *mine = NULL, issued = 0, events = 0;
    size_t nmine = 0, cap = 0;
    if (!o->json)
        printf("register %s, %" PRIu64 " entries; key %s\n", x.cp.origin, x.cp.size, o->kid);
    /* pass 1: the certificates issued under the key (those before --since too: their later
     * revocations and supersessions are listed) */
    for (int pass = 1; pass <= 2; pass++) {
        for (uint64_t i = pass == 1 ? 0 : o->since; i < x.cp.size; i++) {
            const uint8_t *leaf;
            size_t len;
            struct tc_reg_leaf l;
            if (tc_tile_reader_leaf(x.tiles, i, &leaf, &len) != TC_OK ||
                tc_reg_leaf_decode(leaf, len, &l) != TC_OK) {
                fprintf(stderr, PROG ": monitor: register entry %" PRIu64 ": unreadable in %s\n", i,
                        tc_tile_reader_last(x.tiles));
                free(mine);
                goto out;
            }
            bool under = l.kind == TC_REG_ISSUE && memcmp(l.kid, kid, 8) == 0;
            if (pass == 1) {
                if (!under)
                    continue;
                if (nmine == cap) {
                    cap = cap ? cap * 2 : 256;
                    uint64_t *g = realloc(mine, cap * sizeof *g);
                    if (!g) {
                        free(mine);
                        goto out;
                    }
                    mine = g;
                }
                mine[nmine++] = l.id;
                continue;
            }
            if (!under && !((l.kind == TC_REG_REVOKE || l.kind == TC_REG_SUPERSEDE) &&
                            nmine && bsearch(&l.id, mine, nmine, sizeof *mine, id_cmp)))
                continue;
            char d[11], hex[65];
            tc_day_format(d, l.day);
            events++;
            if (l.kind == TC_REG_ISSUE) {
                issued++;
                sodium_bin2hex(hex, sizeof hex, l.hash, 32);
                if (o->json)
                    printf("{\"entry\":%" PRIu64 ",\"event\":\"issue\",\"certificate\":%" PRIu64
                           ",\"day\":\"%s\",\"batch\":%" PRIu64 ",\"sha256\":\"%s\"}\n", i, l.id, d,
                           l.other, hex);
                else
                    printf("  entry %-8" PRIu64 " %s  issue      certificate %" PRIu64 "  batch %" PRIu64
                           "  sha256 %.16s\n", i, d, l.id, l.other, hex);
            } else if (o->json) {
                printf("{\"entry\":%" PRIu64 ",\"event\":\"%s\",\"certificate\":%" PRIu64
                       ",\"day\":\"%s\"}\n", i, tc_reg_kind_name(l.kind), l.id, d);
            } else {
                printf("  entry %-8" PRIu64 " %s  %-10s certificate %" PRIu64 "\n", i, d,
                       tc_reg_kind_name(l.kind), l.id);
            }
        }
        if (pass == 1)
            if (nmine)
                qsort(mine, nmine, sizeof *mine, id_cmp);
    }
    free(mine);
    if (!o->json)
        printf("%" PRIu64 " certificates issued under key %s (%" PRIu64 " events) from entry %" PRIu64
               "; next time: --since %" PRIu64 "\n", issued, o->kid, events, o->since, x.cp.size);
    rc = 0;
out:
    ctx_free(&x);
    return rc;
}

static const struct tc_cli_command commands[] = {
    {"verify", NULL, "verify the checkpoint and that the tiles give its root", verify_help,
     cmd_verify},
    {"vkey", NULL, "print the register key as a signed-note verifier key", vkey_help, cmd_vkey},
    {"prove", NULL, "a certificate's register entry and inclusion proof", prove_help, cmd_prove},
    {"consistency", NULL, "prove a newer checkpoint extends an older one", consistency_help,
     cmd_consistency},
    {"audit", NULL, "check a status bundle against the register", audit_help, cmd_audit},
    {"monitor", NULL, "every entry under a key id, for the key's holder to compare", monitor_help,
     cmd_monitor},
};

int main(int argc, char **argv)
{
    static struct opts opts;
    static const struct tc_cli_program program = {
        PROG, "Checks a titlecert public register (公示, 全程记录) from its static publication.",
        commands, sizeof commands / sizeof commands[0], parse, &opts};
    if (sodium_init() < 0)
        return EXIT_USAGE;
    return tc_cli_dispatch(&program, argc, argv);
}
