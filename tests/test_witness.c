/*
 * test_witness.c - the witness's library (witness/): its configuration, its state files, and
 * add-checkpoint as pure functions (tc_witness_open, tc_witness_decide), judged as C2SP
 * tlog-witness says.
 *
 * Property: the consistency-proof shapes the register's own property test proves, offered to a
 * witness holding the smaller size: every pair of sizes 0 <= m <= n <= 160 of a random 1,024-leaf
 * tree, and every size to the sizes around 256, 512 and 1,024 and to 1,000. Each is co-signed;
 * the same proof with one bit changed, or claimed from another old size, is refused (422, 409). A
 * random walk of requests (right and wrong old sizes, sizes going back, the split tree) never
 * co-signs two roots for one size. The split view: a log with trees a and b that agree on their
 * first 7 leaves offers both; whichever the witness co-signs first, the other is refused from then
 * on (409 at the size held, 422 beyond it). Tables: malformed configurations (with the line named),
 * request bodies, state files, and the order of the refusals (404 before 403 before 400 before 409
 * before 422).
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "witness.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)
#define ORIGIN "titlecert.invalid/register/witness-test"
#define N 1024    /* leaves of the test trees */
#define PAIRS 160 /* every pair of sizes up to this is offered */

/* A log: a random tree (and its twin "b", equal on the first 7 leaves), a key, and the roots
 * of every size. */
static struct tc_reg_tree tree_a, tree_b;
static uint8_t roots_a[N + 1][32], roots_b[N + 1][32];
static uint8_t log_pk[32], log_sk[64], other_pk[32], other_sk[64];
static struct tc_witness_config cfg;
static char vkey[256];

static void setup_log(void)
{
    crypto_sign_keypair(log_pk, log_sk);
    crypto_sign_keypair(other_pk, other_sk);
    tc_reg_tree_init(&tree_a);
    tc_reg_tree_init(&tree_b);
    for (int i = 0; i < N; i++) {
        uint8_t leaf[16], h[32], hb[32];
        randombytes_buf(leaf, sizeof leaf);
        tc_reg_leaf_hash(h, leaf, sizeof leaf);
        leaf[0] ^= 0xff;
        tc_reg_leaf_hash(hb, leaf, sizeof leaf);
        tc_reg_tree_append(&tree_a, h);
        tc_reg_tree_append(&tree_b, i < 7 ? h : hb);
    }
    struct tc_reg_source sa = tc_reg_tree_source(&tree_a), sb = tc_reg_tree_source(&tree_b);
    for (uint64_t n = 0; n <= N; n++) {
        tc_reg_root(&sa, n, roots_a[n]);
        tc_reg_root(&sb, n, roots_b[n]);
    }
    tc_note_vkey(vkey, sizeof vkey, ORIGIN, log_pk);
    char text[1024];
    size_t line;
    int len = snprintf(text, sizeof text, "# the test log\nlog %s %s\n", ORIGIN, vkey);
    if (tc_witness_config_parse(text, (size_t)len, &cfg, &line) != TC_OK)
        abort();
}

/* An add-checkpoint body: old, the proof old -> n of tree t, the checkpoint of size n signed
 * with sk under the log's key name. extra: text after the checkpoint's root line. */
static size_t body_of(char *out, size_t cap, char t, uint64_t old, uint64_t from, uint64_t n,
                      const uint8_t *sk, const char *extra)
{
    struct tc_reg_tree *tr = t == 'a' ? &tree_a : &tree_b;
    struct tc_reg_source s = tc_reg_tree_source(tr);
    uint8_t proof[TC_REG_PROOF_MAX][32], sig[64];
    size_t plen = 0, at;
    if (from > 0 && from < n)
        tc_reg_prove_consistency(&s, from, n, proof, &plen);
    at = (size_t)snprintf(out, cap, "old %llu\n", (unsigned long long)old);
    for (size_t i = 0; i < plen; i++) {
        sodium_bin2base64(out + at, cap - at, proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
        at += 44;
        out[at++] = '\n';
    }
    out[at++] = '\n';
    struct tc_checkpoint c = {.size = n};
    snprintf(c.origin, sizeof c.origin, ORIGIN);
    memcpy(c.root, t == 'a' ? roots_a[n] : roots_b[n], 32);
    char text[512];
    size_t tlen = tc_checkpoint_format(&c, text, sizeof text);
    if (extra)
        tlen += (size_t)snprintf(text + tlen, sizeof text - tlen, "%s", extra);
    crypto_sign_detached(sig, NULL, (const uint8_t *)text, tlen, sk ? sk : log_sk);
    return at + tc_note_format(text, tlen, ORIGIN, log_pk, sig, out + at, cap - at);
}

/* open + decide against held; *next the state to keep */
static enum tc_witness_status add(const char *body, size_t len, const struct tc_witness_state *held,
                                  struct tc_witness_state *next, struct tc_witness_verdict *v)
{
    static struct tc_witness_submission sub;
    enum tc_witness_status st = tc_witness_open(&cfg, body, len, &sub, v);
    return st != TC_WITNESS_COSIGN ? st : tc_witness_decide(&sub, held, next, v);
}

static void held_at(struct tc_witness_state *s, char t, uint64_t m)
{
    static char body[16384];
    struct tc_witness_state init;
    struct tc_witness_verdict v;
    tc_witness_state_init(&init);
    size_t len = body_of(body, sizeof body, t, 0, 0, m, NULL, NULL);
    if (add(body, len, &init, s, &v) != TC_WITNESS_COSIGN)
        abort();
}

/* tmpl with each "KEY" replaced by key */
static int subst(char *out, size_t cap, const char *tmpl, const char *key)
{
    size_t at = 0, k = strlen(key);
    for (const char *p = tmpl; *p && at + k + 1 < cap;) {
        if (strncmp(p, "KEY", 3) == 0) {
            memcpy(out + at, key, k);
            at += k, p += 3;
        } else {
            out[at++] = *p++;
        }
    }
    out[at] = '\0';
    return (int)at;
}

static void test_config(void)
{
    OK(cfg.n == 1 && strcmp(cfg.log[0].origin, ORIGIN) == 0 && cfg.log[0].n_keys == 1 &&
           memcmp(cfg.log[0].key[0].pk, log_pk, 32) == 0,
       "a configuration of one log: its origin and key");
    char vk2[256], text[2048];
    tc_note_vkey(vk2, sizeof vk2, ORIGIN, other_pk);
    struct tc_witness_config c2;
    size_t line, idx;
    int len = snprintf(text, sizeof text, "log %s %s\n\tlog\t%s   %s\nlog other.example/log %s",
                       ORIGIN, vkey, ORIGIN, vk2, vk2);
    IS(tc_witness_config_parse(text, (size_t)len, &c2, &line), TC_OK,
       "two keys for a log (a rotation), tabs, a last line without newline");
    OK(c2.n == 2 && c2.log[0].n_keys == 2 &&
           tc_witness_config_find(&c2, "other.example/log", 17, &idx) && idx == 1 &&
           !tc_witness_config_find(&c2, "other.example/lo", 16, &idx),
       "two logs, found by origin, not by a prefix of one");
    tc_witness_config_free(&c2);
    struct {
        const char *what, *fmt;
        enum tc_err want;
        size_t line;
    } rows[] = {
        {"nothing", "", TC_ERR_MISSING_KEY, 0},
        {"comments only", "# x\n\n", TC_ERR_MISSING_KEY, 0},
        {"another word", "\nwitness " ORIGIN " KEY\n", TC_ERR_TYPE, 2},
        {"a missing key", "log " ORIGIN "\n", TC_ERR_TYPE, 1},
        {"a fourth word", "log " ORIGIN " KEY extra\n", TC_ERR_TYPE, 1},
        {"a trailing comment", "log " ORIGIN " KEY # c\n", TC_ERR_TYPE, 1},
        {"an origin with a plus sign", "log a+b KEY\n", TC_ERR_TYPE, 1},
        {"a key that is not one", "log " ORIGIN " x+12345678+AAAA\n", TC_ERR_CODE, 1},
        {"a witness key (type 0x04)",
         "log " ORIGIN " w+00000000+BOpKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs\n", TC_ERR_CODE,
         1},
        {"a key given twice", "log " ORIGIN " KEY\nlog " ORIGIN " KEY\n", TC_ERR_DUP_KEY, 2},
        {"a carriage return", "log " ORIGIN " KEY\r\n", TC_ERR_TEXT, 1},
        {"a control character", "# \x01\n", TC_ERR_TEXT, 1},
        {"invalid UTF-8", "# \xff\n", TC_ERR_TEXT, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        len = subst(text, sizeof text, rows[i].fmt, vkey);
        enum tc_err e = tc_witness_config_parse(text, (size_t)len, &c2, &line);
        IS(e, rows[i].want, "configuration refused: %s", rows[i].what);
        OK(line == rows[i].line, "naming line %zu (%zu)", rows[i].line, line);
    }
    IS(tc_witness_config_parse("log a\0b x\n", 10, &c2, &line), TC_ERR_TEXT, "a NUL byte");
    char *many = malloc(TC_WITNESS_CONFIG_MAX + 2);
    size_t at = 0;
    for (int i = 0; i <= TC_WITNESS_LOG_KEYS; i++) {
        uint8_t pk[32], sk[64];
        crypto_sign_keypair(pk, sk);
        tc_note_vkey(vk2, sizeof vk2, ORIGIN, pk);
        at += (size_t)snprintf(many + at, 1024, "log %s %s\n", ORIGIN, vk2);
    }
    IS(tc_witness_config_parse(many, at, &c2, &line), TC_ERR_SIZE_LIMIT, "a fifth key of a log");
    memset(many, '#', TC_WITNESS_CONFIG_MAX + 1);
    IS(tc_witness_config_parse(many, TC_WITNESS_CONFIG_MAX + 1, &c2, &line), TC_ERR_SIZE_LIMIT,
       "a file over 64 KiB");
    at = 0;
    for (int i = 0; i <= TC_WITNESS_LOGS_MAX; i++)
        at += (size_t)snprintf(many + at, 1024, "log l%d.example %s\n", i, vkey);
    IS(tc_witness_config_parse(many, at, &c2, &line), TC_ERR_SIZE_LIMIT, "a 257th log");
    OK(line == TC_WITNESS_LOGS_MAX + 1, "on line 257");
    free(many);
}

/* Bodies refused before any state is looked at. */
static void test_open(void)
{
    static char body[16384], bad[16384];
    struct tc_witness_submission *sub = malloc(sizeof *sub);
    struct tc_witness_verdict v;
    size_t len = body_of(body, sizeof body, 'a', 5, 5, 9, NULL, NULL);
    IS(tc_witness_open(&cfg, body, len, sub, &v), TC_WITNESS_COSIGN, "a good request opens");
    OK(sub->old_size == 5 && sub->proof_len > 0 && sub->checkpoint.size == 9 && sub->log == 0 &&
           memcmp(sub->checkpoint.root, roots_a[9], 32) == 0,
       "old size, proof, checkpoint and log read");
    const char *proof_at = strchr(body, '\n') + 1;
    size_t head = (size_t)(proof_at - body);
    struct {
        const char *what, *prefix;
        int keep_proof;
    } frames[] = {
        {"no old line", "", 1},
        {"old with a leading zero", "old 05\n", 1},
        {"old with a sign", "old +5\n", 1},
        {"old with two spaces", "old  5\n", 1},
        {"old with a trailing space", "old 5 \n", 1},
        {"old in upper case", "OLD 5\n", 1},
        {"old above 2^63 - 1", "old 9223372036854775808\n", 1},
        {"a proof line that is not base64", "old 5\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=\n",
         0},
        {"a proof line of 31 bytes", "old 5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", 0},
        {"a proof line with a space", "old 5\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 0},
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        int n = snprintf(bad, sizeof bad, "%s%.*s", frames[i].prefix,
                         (int)(len - (frames[i].keep_proof ? head : 0)),
                         frames[i].keep_proof ? proof_at : body + head);
        IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_MALFORMED, "400 for %s",
           frames[i].what);
    }
    int n = snprintf(bad, sizeof bad, "old 5\n");
    for (int i = 0; i < 64; i++)
        n += snprintf(bad + n, sizeof bad - (size_t)n,
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    n += snprintf(bad + n, sizeof bad - (size_t)n, "%s", strstr(body, "\n\n") + 1);
    IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_MALFORMED,
       "400 for 64 proof lines");
    OK(strstr(v.why, "63") != NULL, "saying that 63 is the most");
    IS(tc_witness_open(&cfg, body, (size_t)(strstr(body, "\n\n") - body) + 1, sub, &v),
       TC_WITNESS_MALFORMED, "400 without the empty line and the checkpoint");
    IS(tc_witness_open(&cfg, body, TC_WITNESS_BODY_MAX + 1, sub, &v), TC_WITNESS_MALFORMED,
       "400 for a body over the limit");
    /* truncation ladder: no prefix of a body is co-signed */
    int opened = 0;
    for (size_t k = 0; k < len; k++)
        opened += tc_witness_open(&cfg, body, k, sub, &v) == TC_WITNESS_COSIGN;
    OK(opened == 0, "no prefix of the body opens (%zu prefixes)", len);
    free(sub);
}

/* The spec's order: unknown origin, then signature, then checkpoint, then old size. */
static void test_refusal_order(void)
{
    static char body[16384], bad[16384];
    struct tc_witness_submission *sub = malloc(sizeof *sub);
    struct tc_witness_verdict v;
    size_t len = body_of(body, sizeof body, 'a', 12, 5, 9, other_sk, NULL);
    /* another origin, a forged signature and old > size at once: 404 first */
    char *o = strstr(body, ORIGIN "\n");
    int n = snprintf(bad, sizeof bad, "%.*sother.example/log%s", (int)(o - body), body,
                     o + strlen(ORIGIN));
    IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_UNKNOWN_LOG,
       "404 for an unknown origin, before the signature and the sizes");
    OK(strcmp(v.word, "unknown_log") == 0, "word unknown_log");
    IS(tc_witness_open(&cfg, body, len, sub, &v), TC_WITNESS_BAD_SIGNATURE,
       "403 for a signature by another key under the log's name, before old > size");
    len = body_of(body, sizeof body, 'a', 12, 5, 9, NULL, NULL);
    IS(tc_witness_open(&cfg, body, len, sub, &v), TC_WITNESS_MALFORMED,
       "400 for an old size above the checkpoint's");
    len = body_of(body, sizeof body, 'a', 5, 5, 9, NULL, "extension line\n");
    IS(tc_witness_open(&cfg, body, len, sub, &v), TC_WITNESS_MALFORMED,
       "400 for a checkpoint with an extension line (co-signed only what is checked)");
    /* unsigned: the log's line removed */
    len = body_of(body, sizeof body, 'a', 5, 5, 9, NULL, NULL);
    char *dash = strstr(body, "\xe2\x80\x94");
    n = snprintf(bad, sizeof bad, "%.*s\xe2\x80\x94 witness.example/w AAAAAAA=\n",
                 (int)(dash - body), body);
    IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_BAD_SIGNATURE,
       "403 when only other keys' lines are there");
    /* the log's good line and a bad line of the same key: refused */
    char *eol = strchr(dash, '\n');
    n = snprintf(bad, sizeof bad, "%.*s%.*sAAAA\n", (int)(eol + 1 - body), body,
                 (int)(eol - dash - 4), dash);
    IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_BAD_SIGNATURE,
       "403 when a second line of the log's key does not verify, though the first does");
    /* what is kept: the text and the log's line, not a witness's line */
    n = snprintf(bad, sizeof bad, "%.*s\xe2\x80\x94 witness.example/w AAAAAAA=\n", (int)len, body);
    IS(tc_witness_open(&cfg, bad, (size_t)n, sub, &v), TC_WITNESS_COSIGN,
       "other keys' lines are ignored");
    OK(sub->kept_len == (size_t)(eol + 1 - (strstr(body, "\n\n") + 2)) &&
           memcmp(sub->kept, strstr(body, "\n\n") + 2, sub->kept_len) == 0,
       "and not kept: the state keeps the checkpoint and the log's verified line only");
    free(sub);
}

struct shapes {
    uint64_t pairs, cosigned, flipped, flipped_refused, wrong, wrong_old;
};

/* Held m, offered n with the proof m -> n: co-signed; with one bit of the proof changed, or
 * claimed from another old size: refused. */
static void offer(const struct tc_witness_state *held, uint64_t m, uint64_t n, struct shapes *c)
{
    static char body[16384];
    static struct tc_witness_state next;
    struct tc_witness_verdict v;
    c->pairs++;
    size_t len = body_of(body, sizeof body, 'a', m, m, n, NULL, NULL);
    if (add(body, len, held, &next, &v) == TC_WITNESS_COSIGN && next.size == n &&
        memcmp(next.root, roots_a[n], 32) == 0)
        c->cosigned++;
    char *p = strchr(body, '\n') + 1;
    if (*p != '\n') { /* a proof: change one bit of one of its hashes */
        c->flipped++;
        p[(m * 7 + n) % 40] ^= 0x01;
        c->flipped_refused += add(body, len, held, &next, &v) != TC_WITNESS_COSIGN;
    }
    if (n > 0 && (m * 31 + n) % 5 == 0) { /* claimed from another old size */
        c->wrong++;
        len = body_of(body, sizeof body, 'a', m ? m - 1 : 1, m, n, NULL, NULL);
        enum tc_witness_status st = add(body, len, held, &next, &v);
        c->wrong_old += st == TC_WITNESS_CONFLICT || (st == TC_WITNESS_MALFORMED && m == n);
    }
}

/* Every shape: every pair 0 <= m <= n <= PAIRS, and every m up to sizes of the whole tree around
 * powers of two (where proofs change shape) and at its end. */
static void test_every_shape(void)
{
    static struct tc_witness_state held;
    static const uint64_t ends[] = {255, 256, 257, 511, 512, 513, 1000, N - 1, N};
    struct shapes c = {0};
    for (uint64_t m = 0; m <= PAIRS; m++) {
        held_at(&held, 'a', m);
        for (uint64_t n = m; n <= PAIRS; n++)
            offer(&held, m, n, &c);
    }
    OK(c.cosigned == c.pairs, "every pair of sizes 0 <= m <= n <= %d: co-signed, %llu of %llu",
       PAIRS, (unsigned long long)c.cosigned, (unsigned long long)c.pairs);
    uint64_t first = c.pairs;
    for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++)
        for (uint64_t m = 0; m <= ends[k]; m += 1 + (m > PAIRS) * 2) {
            held_at(&held, 'a', m);
            offer(&held, m, ends[k], &c);
        }
    OK(c.cosigned == c.pairs,
       "from every size (every third past %d) to 255, 256, 257, 511, 512, "
       "513, 1000, 1023 and 1024: co-signed, %llu of %llu",
       PAIRS, (unsigned long long)(c.cosigned - first), (unsigned long long)(c.pairs - first));
    OK(c.flipped_refused == c.flipped,
       "a one-bit change of the proof is refused in all %llu (%llu)", (unsigned long long)c.flipped,
       (unsigned long long)c.flipped_refused);
    OK(c.wrong_old == c.wrong, "another old size is refused in all %llu (%llu)",
       (unsigned long long)c.wrong, (unsigned long long)c.wrong_old);
}

static void test_decide_cases(void)
{
    static char body[16384];
    static struct tc_witness_state held, next, init;
    struct tc_witness_verdict v;
    tc_witness_state_init(&init);
    held_at(&held, 'a', 10);
    size_t len = body_of(body, sizeof body, 'a', 5, 5, 12, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_CONFLICT, "409 for an old size not held");
    OK(v.held == 10, "with the size held, 10");
    len = body_of(body, sizeof body, 'a', 0, 0, 12, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_CONFLICT,
       "409 for old 0 (how a client learns the size)");
    OK(v.held == 10, "size 10 again");
    len = body_of(body, sizeof body, 'a', 10, 10, 10, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_COSIGN,
       "the checkpoint held, again: co-signed");
    len = body_of(body, sizeof body, 'a', 10, 5, 10, NULL, NULL); /* a proof 5 -> 10, old 10 */
    IS(add(body, len, &held, &next, &v), TC_WITNESS_BAD_PROOF,
       "422 for a proof between equal sizes (it must be empty)");
    len = body_of(body, sizeof body, 'a', 0, 7, 12, NULL, NULL);
    IS(add(body, len, &init, &next, &v), TC_WITNESS_BAD_PROOF, "422 for a proof from size 0");
    len = body_of(body, sizeof body, 'a', 0, 0, 0, NULL, NULL);
    IS(add(body, len, &init, &next, &v), TC_WITNESS_COSIGN,
       "the empty tree, never co-signed: co-signed");
    len = body_of(body, sizeof body, 'b', 0, 0, 0, NULL, NULL);
    memcpy(roots_b[0], "0123456789abcdef0123456789abcdef", 32); /* an empty tree with a root */
    len = body_of(body, sizeof body, 'b', 0, 0, 0, NULL, NULL);
    IS(add(body, len, &init, &next, &v), TC_WITNESS_CONFLICT,
       "409 for size 0 with another root than the empty tree's");
    crypto_hash_sha256(roots_b[0], (const uint8_t *)"", 0);
    held_at(&held, 'a', 10);
    held.time = 1234;
    len = body_of(body, sizeof body, 'a', 10, 10, 20, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_COSIGN, "10 -> 20 co-signed");
    OK(next.time == 1234 && next.size == 20 &&
           strncmp(next.note, ORIGIN "\n20\n", strlen(ORIGIN) + 4) == 0,
       "the next state: size 20, its checkpoint, the time left to the caller");
}

/* A log showing trees a and b, agreeing on 7 leaves. */
static void test_split_view(void)
{
    static char body[16384];
    static struct tc_witness_state held, next;
    struct tc_witness_verdict v;
    held_at(&held, 'a', 10);
    size_t len = body_of(body, sizeof body, 'b', 10, 10, 10, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_CONFLICT,
       "split view: tree b at the size held (10), after a: 409");
    len = body_of(body, sizeof body, 'b', 10, 10, 14, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_BAD_PROOF,
       "tree b beyond it (proof from b's 10): 422");
    len = body_of(body, sizeof body, 'b', 10, 7, 14, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_BAD_PROOF,
       "b with a proof from the last size they share (7), claimed from 10: 422");
    held_at(&held, 'a', 5);
    len = body_of(body, sizeof body, 'b', 5, 5, 14, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_COSIGN,
       "held at 5, where a and b still agree, b's 14 extends it and is co-signed");
    held = next;
    len = body_of(body, sizeof body, 'a', 14, 14, 20, NULL, NULL);
    IS(add(body, len, &held, &next, &v), TC_WITNESS_BAD_PROOF, "and then a's 20 is refused: 422");
    /* a random walk over both trees: never two roots for one size */
    static uint8_t seen[N + 1][32];
    static bool has[N + 1];
    memset(has, 0, sizeof has);
    tc_witness_state_init(&held);
    uint64_t cosigned = 0, split = 0, back = 0, steps = 4000;
    for (uint64_t i = 0; i < steps; i++) {
        uint32_t r = randombytes_random();
        char t = r & 1 ? 'a' : 'b';
        /* mostly forward from the size held (else little would be co-signed), sometimes back */
        uint64_t n = r & 8 ? randombytes_uniform(N + 1)
                           : held.size + randombytes_uniform((uint32_t)(N + 1 - held.size));
        uint64_t old = r & 2 ? held.size : randombytes_uniform(N + 1);
        uint64_t from = r & 4 ? old : held.size;
        len = body_of(body, sizeof body, t, old, from > n ? n : from, n, NULL, NULL);
        if (add(body, len, &held, &next, &v) != TC_WITNESS_COSIGN)
            continue;
        cosigned++;
        back += next.size < held.size;
        if (has[next.size] && memcmp(seen[next.size], next.root, 32) != 0)
            split++;
        memcpy(seen[next.size], next.root, 32);
        has[next.size] = true;
        held = next;
    }
    OK(cosigned > 50 && split == 0 && back == 0,
       "a random walk of %llu requests over both trees: %llu co-signed, sizes never went back "
       "(%llu), never two roots for one size (%llu)",
       (unsigned long long)steps, (unsigned long long)cosigned, (unsigned long long)back,
       (unsigned long long)split);
}

static void test_state(const char *dir)
{
    static struct tc_witness_state s, back, init;
    static char text[TC_WITNESS_STATE_MAX], bad[TC_WITNESS_STATE_MAX];
    tc_witness_state_init(&init);
    uint8_t empty[32];
    crypto_hash_sha256(empty, (const uint8_t *)"", 0);
    OK(init.size == 0 && memcmp(init.root, empty, 32) == 0 && init.note_len == 0,
       "never co-signed: size 0, the empty tree's root, no checkpoint");
    OK(tc_witness_state_format(&init, text, sizeof text) == 0, "which has no file");
    held_at(&s, 'a', 33);
    s.time = 1767225600;
    size_t len = tc_witness_state_format(&s, text, sizeof text);
    OK(len > 0 && strncmp(text, TC_WITNESS_STATE_MAGIC "\ntime 1767225600\n\n" ORIGIN "\n33\n",
                          strlen(TC_WITNESS_STATE_MAGIC) + 18 + strlen(ORIGIN) + 4) == 0,
       "a state file: magic, time, blank line, the checkpoint");
    IS(tc_witness_state_parse(text, len, ORIGIN, &back), TC_OK, "parses back");
    OK(back.size == 33 && memcmp(back.root, roots_a[33], 32) == 0 && back.time == s.time &&
           back.note_len == s.note_len && memcmp(back.note, s.note, s.note_len) == 0,
       "to the same size, root, time and checkpoint");
    IS(tc_witness_state_parse(text, len, "other.example/log", &back), TC_ERR_INCONSISTENT,
       "a state of another origin is refused");
    struct {
        const char *what, *from, *to;
    } edits[] = {
        {"another magic", "state 1", "state 2"},
        {"a time with a leading zero", "time 1", "time 01"},
        {"no blank line", "600\n\n", "600\n"},
        {"a size with a leading zero", "\n33\n", "\n033\n"},
        {"an extension line", "=\n\n", "=\nextension\n\n"},
        {"no signature line", "\xe2\x80\x94", ""},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *at = strstr(text, edits[i].from);
        size_t n = (size_t)snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - text), text,
                                    edits[i].to, at + strlen(edits[i].from));
        if (!*edits[i].to && edits[i].from[0] == '\xe2') /* drop the whole line */
            n = (size_t)(at - text);
        OK(tc_witness_state_parse(bad, n, ORIGIN, &back) != TC_OK, "state refused: %s",
           edits[i].what);
    }
    int parsed = 0;
    for (size_t k = 0; k < len; k++)
        parsed += tc_witness_state_parse(text, k, ORIGIN, &back) == TC_OK;
    OK(parsed == 0, "no prefix of a state file parses (%zu)", len);

    IS(tc_witness_state_load(dir, ORIGIN, &back), TC_OK, "a log without a file loads");
    OK(back.size == 0 && back.note_len == 0, "as never co-signed");
    IS(tc_witness_state_save(dir, ORIGIN, &s), TC_OK, "a state is saved");
    char path[TC_PATH_MAX];
    struct stat st;
    tc_witness_state_path(path, sizeof path, dir, ORIGIN);
    OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && strstr(path, "/log-") != NULL,
       "as log-<hex>.state, mode 0600");
    IS(tc_witness_state_load(dir, ORIGIN, &back), TC_OK, "and loads");
    OK(back.size == 33 && back.time == s.time, "with its size and time");
    IS(tc_witness_state_save(dir, ORIGIN, &init), TC_ERR_ARG,
       "the never-co-signed state is not saved");
    FILE *f = fopen(path, "w");
    fputs("titlecert-witness state 1\ntime 1\n\n", f);
    fclose(f);
    OK(tc_witness_state_load(dir, ORIGIN, &back) != TC_OK,
       "a damaged file is an error, not a reset");
    int fd1, fd2;
    IS(tc_witness_state_lock(dir, &fd1), TC_OK, "the state directory locks");
    IS(tc_witness_state_lock(dir, &fd2), TC_ERR_BUSY, "and a second lock on it is refused");
    close(fd1);
    IS(tc_witness_state_lock(dir, &fd2), TC_OK, "until the first is released");
    close(fd2);
}

/* Removes the files of a scratch directory, then the directory. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[TC_PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (de->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    char dir[] = "/tmp/tc_witness_XXXXXX";
    if (sodium_init() < 0 || !mkdtemp(dir))
        return 1;
    setup_log();
    test_config();
    test_open();
    test_refusal_order();
    test_decide_cases();
    test_every_shape();
    test_split_view();
    test_state(dir);
    remove_dir(dir);
    tc_witness_config_free(&cfg);
    tc_reg_tree_free(&tree_a);
    tc_reg_tree_free(&tree_b);
    return tap_done();
}
