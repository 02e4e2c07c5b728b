/*
 * test_register_cosig.c - witnesses' co-signatures (C2SP tlog-cosignature) and the note parser
 * under them (C2SP signed-note).
 *
 * External vectors: the examples of c2sp.org/tlog-cosignature (the checkpoint of
 * example.com/behind-the-sofa at size 20852163 with a cosignature/v1 line of
 * witness.example.com/w1, and the signed message of that checkpoint at time 1679315147). The
 * spec publishes no witness public key, so the example is checked for its layout (key id
 * 8d66cf3f, the timestamp, the message byte for byte) and as a line that must not verify for a
 * key that claims its name and key id. Signatures are checked with our own keys, and the key id
 * is computed here independently of the code under test.
 * Tables: malformed verifier keys, malformed signature lines, and every single-bit change of a
 * co-signature line, of its timestamp and of the text it signs.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"
#include "tap.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)
#define DASH "\xe2\x80\x94"

static const char spec_body[] = "example.com/behind-the-sofa\n"
                                "20852163\n"
                                "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
static const char spec_note[] =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n" DASH " example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n" DASH " witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/"
    "zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBI"
    "fZ+qnA==\n";

/* A witness with a fixed key, and its secret half for the tests to sign with. */
struct witness {
    struct tc_cosigner c;
    uint8_t sk[64];
};

static void witness_make(struct witness *w, const char *name, uint8_t seed_byte)
{
    uint8_t seed[32], pk[32];
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(pk, w->sk, seed);
    if (tc_cosigner_init(&w->c, name, TC_COSIG_ED25519, pk, 32) != TC_OK)
        abort();
}

/* w's co-signature line over text at time t (the caller's signer in the service) */
static size_t cosign(const struct witness *w, uint64_t t, const char *text, size_t len, char *line)
{
    uint8_t msg[TC_COSIG_MSG_MAX], sig[64];
    size_t mlen, llen = 0;
    if (tc_cosig_message(&w->c, t, text, len, msg, sizeof msg, &mlen) != TC_OK)
        return 0;
    crypto_sign_detached(sig, NULL, msg, mlen, w->sk);
    if (tc_cosig_line(&w->c, t, sig, sizeof sig, line, TC_COSIG_LINE_MAX, &llen) != TC_OK)
        return 0;
    return llen;
}

/* note = text, blank line, then the lines given */
static size_t note_of(char *out, size_t cap, const char *text, const char *l1, const char *l2)
{
    int n = snprintf(out, cap, "%s\n%s%s", text, l1, l2 ? l2 : "");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static enum tc_err verify_in(const char *note, size_t len, const struct tc_cosigner *c, uint64_t *t)
{
    struct tc_note n;
    enum tc_err e = tc_note_parse(note, len, &n);
    return e != TC_OK ? e : tc_cosig_verify(&n, c, t);
}

static void test_spec_examples(void)
{
    uint8_t msg[TC_COSIG_MSG_MAX];
    size_t len;
    struct witness w;
    witness_make(&w, "witness.example.com/w1", 1);
    IS(tc_cosig_message(&w.c, 1679315147, spec_body, strlen(spec_body), msg, sizeof msg, &len),
       TC_OK, "the cosignature/v1 message of the spec's checkpoint");
    static const char want[] = "cosignature/v1\ntime 1679315147\n"
                               "example.com/behind-the-sofa\n20852163\n"
                               "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    OK(len == strlen(want) && memcmp(msg, want, len) == 0,
       "is the spec's example message byte for byte");

    struct tc_note n;
    IS(tc_note_parse(spec_note, strlen(spec_note), &n), TC_OK,
       "the spec's co-signed checkpoint parses");
    OK(n.n_sigs == 2 && n.text_len == strlen(spec_body) &&
           memcmp(n.text, spec_body, n.text_len) == 0,
       "into the checkpoint text and two signature lines");
    const struct tc_note_sig *s = &n.sig[1];
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t << 8 | s->sig[i];
    OK(s->name_len == 22 && memcmp(s->name, "witness.example.com/w1", 22) == 0 &&
           s->key_id == 0x8d66cf3fu && s->sig_len == 72 && t == 1679315147,
       "the witness line: key id 8d66cf3f, an 8-byte timestamp 1679315147 and 64 signature bytes");
    OK(n.sig[0].key_id == 0x033de0aeu && n.sig[0].sig_len == 64,
       "the log line: key id 033de0ae and a 64-byte Ed25519 signature");
    IS(tc_cosig_verify(&n, &w.c, &t), TC_ERR_NOT_FOUND,
       "a witness of that name with another key (another key id) finds no line of its own");
    struct tc_cosigner impostor = w.c;
    impostor.key_id = 0x8d66cf3fu; /* claims the example's name and key id, not its key */
    IS(tc_cosig_verify(&n, &impostor, &t), TC_ERR_BAD_SIGNATURE,
       "a key with the example's name and key id but not its key: the line does not verify");
    size_t count = 9;
    IS(tc_cosig_verify_note(spec_note, strlen(spec_note), &impostor, 1, 1, &count),
       TC_ERR_BAD_SIGNATURE, "and the quorum count refuses the note rather than skipping it");
}

/* Key ids and verifier keys: SHA-256(name || 0x0A || 0x04 || pk)[:4], computed here. */
static void test_keys(void)
{
    struct witness w;
    witness_make(&w, "witness.example.cn/w1", 7);
    uint8_t buf[64], d[32];
    size_t n = strlen(w.c.name);
    memcpy(buf, w.c.name, n);
    buf[n] = 0x0a, buf[n + 1] = 0x04;
    memcpy(buf + n + 2, w.c.pk, 32);
    crypto_hash_sha256(d, buf, n + 34);
    uint32_t id = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    OK(w.c.key_id == id, "the cosignature/v1 key id is SHA-256(name || 0x0A || 0x04 || key)[:4]");
    OK(w.c.key_id != tc_note_key_id(w.c.name, w.c.pk),
       "and not the same key's Ed25519 note key id (type 0x01)");
    char vkey[TC_COSIG_VKEY_MAX], again[TC_COSIG_VKEY_MAX];
    struct tc_cosigner back;
    OK(tc_cosigner_vkey(&w.c, vkey, sizeof vkey) > 0, "the verifier key formats: %s", vkey);
    char want[TC_COSIG_VKEY_MAX], b64[64];
    uint8_t k[33] = {0x04};
    memcpy(k + 1, w.c.pk, 32);
    sodium_bin2base64(b64, sizeof b64, k, 33, sodium_base64_VARIANT_ORIGINAL);
    snprintf(want, sizeof want, "%s+%08x+%s", w.c.name, (unsigned)id, b64);
    OK(strcmp(vkey, want) == 0, "as name+hex8+base64(0x04 || key)");
    IS(tc_cosigner_parse(&back, vkey), TC_OK, "and parses back");
    tc_cosigner_vkey(&back, again, sizeof again);
    OK(strcmp(again, vkey) == 0 && back.key_id == id && memcmp(back.pk, w.c.pk, 32) == 0 &&
           back.type == tc_cosig_type_of(TC_COSIG_ED25519),
       "to the same name, key, key id and type");
    OK(tc_cosig_type_of(0x04) && !tc_cosig_type_of(0x01) && !tc_cosig_type_of(0x06),
       "the table has cosignature/v1 (0x04) alone: not a log key (0x01), no ML-DSA-44 (0x06) yet");
    OK(strcmp(tc_cosig_type_of(0x04)->name, "cosignature/v1") == 0 &&
           tc_cosig_type_of(0x04)->pk_len == 32 && tc_cosig_type_of(0x04)->sig_len == 64,
       "its row: name, 32-byte keys, 64-byte signatures");
    IS(tc_cosigner_init(&back, "has space", 0x04, w.c.pk, 32), TC_ERR_CODE, "a name with a space");
    IS(tc_cosigner_init(&back, "a+b", 0x04, w.c.pk, 32), TC_ERR_CODE, "a name with a plus sign");
    IS(tc_cosigner_init(&back, "", 0x04, w.c.pk, 32), TC_ERR_CODE, "an empty name");
    IS(tc_cosigner_init(&back, "w", 0x06, w.c.pk, 32), TC_ERR_ALG, "a type the table lacks");
    IS(tc_cosigner_init(&back, "w", 0x04, w.c.pk, 31), TC_ERR_ARG, "a key of the wrong length");
}

static void test_bad_vkeys(void)
{
    struct witness w;
    char good[TC_COSIG_VKEY_MAX], v[TC_COSIG_VKEY_MAX * 2];
    /* a key whose key id has a letter, so that upper case changes it */
    for (uint8_t seed = 3;; seed++) {
        witness_make(&w, "w.example/1", seed);
        tc_cosigner_vkey(&w.c, good, sizeof good);
        if (strpbrk(strchr(good, '+'), "abcdef") < strrchr(good, '+'))
            break;
    }
    const char *plus2 = strrchr(good, '+'), *plus1 = strchr(good, '+');
    struct tc_cosigner c;
    struct {
        const char *what;
        enum tc_err want;
        int kind; /* 0: literal, 1: hex digit changed, 2: upper-case hex, 3: a log key (0x01) */
        const char *text;
    } rows[] = {
        {"empty", TC_ERR_CODE, 0, ""},
        {"no plus signs", TC_ERR_CODE, 0, "w.example/1"},
        {"one plus sign", TC_ERR_CODE, 0, "w.example/1+00000000"},
        {"a short key id", TC_ERR_CODE, 0, "w+0000000+BA=="},
        {"a key id that is not hex", TC_ERR_CODE, 0, "w+0000000g+BAAA"},
        {"an empty name", TC_ERR_CODE, 0, "+00000000+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"no key", TC_ERR_CODE, 0, "w+00000000+"},
        {"not base64", TC_ERR_CODE, 0, "w+00000000+!!!!"},
        {"a 31-byte key", TC_ERR_CODE, 0,
         "w+00000000+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="},
        {"an unknown type", TC_ERR_ALG, 0,
         "w+00000000+BwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"a wrong key id", TC_ERR_CODE, 1, NULL},
        {"an upper-case key id", TC_ERR_CODE, 2, NULL},
        {"a log's Ed25519 key (type 0x01)", TC_ERR_ALG, 3, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(v, sizeof v, "%s", rows[i].text ? rows[i].text : good);
        if (rows[i].kind == 1)
            v[plus1 - good + 1] = v[plus1 - good + 1] == '0' ? '1' : '0';
        if (rows[i].kind == 2)
            for (char *h = v + (plus1 - good) + 1; h < v + (plus2 - good); h++)
                *h = *h >= 'a' ? (char)(*h - 32) : *h;
        if (rows[i].kind == 3)
            tc_note_vkey(v, sizeof v, w.c.name, w.c.pk);
        IS(tc_cosigner_parse(&c, v), rows[i].want, "verifier key refused: %s", rows[i].what);
    }
    snprintf(v, sizeof v, "%s=", good);
    IS(tc_cosigner_parse(&c, v), TC_ERR_CODE, "verifier key refused: a trailing byte");
}

/* A co-signature made and checked; its timestamp; limits on times and buffers. */
static void test_roundtrip(void)
{
    struct witness w;
    witness_make(&w, "witness.example.cn/w1", 9);
    char line[TC_COSIG_LINE_MAX], note[TC_REG_NOTE_MAX];
    size_t llen = cosign(&w, 1767225600, spec_body, strlen(spec_body), line);
    OK(llen > 0 && llen < TC_COSIG_LINE_MAX && line[llen - 1] == '\n' &&
           strncmp(line, DASH " witness.example.cn/w1 ", 26) == 0,
       "a co-signature line: em dash, name, base64, newline (%zu bytes)", llen);
    size_t n = note_of(note, sizeof note, spec_body, line, NULL);
    uint64_t t = 0;
    IS(verify_in(note, n, &w.c, &t), TC_OK, "it verifies on the checkpoint it co-signs");
    OK(t == 1767225600, "with its timestamp");
    char other[256];
    snprintf(other, sizeof other, "%s", spec_body);
    other[30] = '3'; /* another size */
    n = note_of(note, sizeof note, other, line, NULL);
    IS(verify_in(note, n, &w.c, &t), TC_ERR_BAD_SIGNATURE, "not on another checkpoint");
    uint8_t sig[64] = {0};
    size_t len;
    IS(tc_cosig_line(&w.c, TC_COSIG_TIME_MAX + 1, sig, 64, line, sizeof line, &len), TC_ERR_RANGE,
       "a timestamp above 2^63 - 1 is not formatted");
    IS(tc_cosig_message(&w.c, TC_COSIG_TIME_MAX + 1, "x\n", 2, (uint8_t *)note, sizeof note, &len),
       TC_ERR_RANGE, "nor signed");
    IS(tc_cosig_line(&w.c, 5, sig, 63, line, sizeof line, &len), TC_ERR_ARG,
       "a signature of the wrong length is not formatted");
    IS(tc_cosig_line(&w.c, 5, sig, 64, line, 40, &len), TC_ERR_BUFFER, "a line that does not fit");
    IS(tc_cosig_message(&w.c, 5, spec_body, strlen(spec_body), (uint8_t *)note, 40, &len),
       TC_ERR_BUFFER, "a message that does not fit");
    /* the largest timestamp the spec allows, and zero, round-trip */
    llen = cosign(&w, TC_COSIG_TIME_MAX, spec_body, strlen(spec_body), line);
    n = note_of(note, sizeof note, spec_body, line, NULL);
    OK(llen && verify_in(note, n, &w.c, &t) == TC_OK && t == TC_COSIG_TIME_MAX,
       "timestamp 2^63 - 1 round-trips");
    llen = cosign(&w, 0, spec_body, strlen(spec_body), line);
    n = note_of(note, sizeof note, spec_body, line, NULL);
    OK(llen && verify_in(note, n, &w.c, &t) == TC_OK && t == 0, "timestamp 0 round-trips");
}

/* A line whose bytes are given: key id, timestamp, signature (for hand-made forgeries). */
static void raw_line(char *out, size_t cap, const char *name, const uint8_t *blob, size_t len)
{
    char b64[256];
    sodium_bin2base64(b64, sizeof b64, blob, len, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, DASH " %s %s\n", name, b64);
}

/* Every single-bit change of the line's bytes, and of the text, is refused. */
static void test_altered(void)
{
    struct witness w;
    witness_make(&w, "witness.example.cn/w1", 11);
    char line[TC_COSIG_LINE_MAX], alt[1024], note[TC_REG_NOTE_MAX];
    size_t llen = cosign(&w, 1767225600, spec_body, strlen(spec_body), line);
    struct tc_note n;
    size_t nlen = note_of(note, sizeof note, spec_body, line, NULL);
    if (!llen || tc_note_parse(note, nlen, &n) != TC_OK)
        abort();
    uint8_t blob[76] = {(uint8_t)(w.c.key_id >> 24), (uint8_t)(w.c.key_id >> 16),
                        (uint8_t)(w.c.key_id >> 8), (uint8_t)w.c.key_id};
    memcpy(blob + 4, n.sig[0].sig, 72);
    int accepted = 0, ignored = 0, refused = 0;
    for (size_t bit = 0; bit < sizeof blob * 8; bit++) {
        uint8_t b[76];
        memcpy(b, blob, sizeof b);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        raw_line(alt, sizeof alt, w.c.name, b, sizeof b);
        nlen = note_of(note, sizeof note, spec_body, alt, NULL);
        enum tc_err e = verify_in(note, nlen, &w.c, NULL);
        accepted += e == TC_OK;
        ignored += e == TC_ERR_NOT_FOUND && bit < 32; /* a changed key id: not its line */
        refused += e == TC_ERR_BAD_SIGNATURE && bit >= 32;
    }
    OK(accepted == 0 && ignored == 32 && refused == 76 * 8 - 32,
       "each of the 608 one-bit changes of the line: a changed key id is another key's line (%d), "
       "a changed timestamp or signature is refused (%d), none accepted (%d)",
       ignored, refused, accepted);
    accepted = 0;
    for (size_t i = 0; i < strlen(spec_body) - 1; i++) {
        char text[128];
        snprintf(text, sizeof text, "%s", spec_body);
        text[i] ^= 0x01;
        nlen = note_of(note, sizeof note, text, line, NULL);
        enum tc_err e = verify_in(note, nlen, &w.c, NULL);
        accepted += e != TC_ERR_BAD_SIGNATURE && e != TC_ERR_TEXT;
    }
    OK(accepted == 0, "a one-bit change of any byte of the checkpoint text is refused");
    raw_line(alt, sizeof alt, w.c.name, blob, 4 + 8 + 63);
    nlen = note_of(note, sizeof note, spec_body, alt, NULL);
    IS(verify_in(note, nlen, &w.c, NULL), TC_ERR_BAD_SIGNATURE, "a line one byte short is refused");
    raw_line(alt, sizeof alt, w.c.name, blob, 4 + 64);
    nlen = note_of(note, sizeof note, spec_body, alt, NULL);
    IS(verify_in(note, nlen, &w.c, NULL), TC_ERR_BAD_SIGNATURE,
       "a line without its timestamp (a plain Ed25519 note signature) is refused");
    uint8_t late[76];
    memcpy(late, blob, sizeof late);
    late[4] |= 0x80; /* 2^63 and above */
    raw_line(alt, sizeof alt, w.c.name, late, sizeof late);
    nlen = note_of(note, sizeof note, spec_body, alt, NULL);
    IS(verify_in(note, nlen, &w.c, NULL), TC_ERR_BAD_SIGNATURE,
       "a timestamp above 2^63 - 1 is refused");
    snprintf(alt, sizeof alt, "%s", line);
    alt[4] = 'W'; /* "Witness..." */
    nlen = note_of(note, sizeof note, spec_body, alt, NULL);
    IS(verify_in(note, nlen, &w.c, NULL), TC_ERR_NOT_FOUND, "another name is another key's line");
}

/* Quorums: who counts, once each; forged lines; other keys' lines. */
static void test_quorum(void)
{
    struct witness a, b, c, d;
    witness_make(&a, "a.example/w", 21);
    witness_make(&b, "b.example/w", 22);
    witness_make(&c, "c.example/w", 23);
    witness_make(&d, "d.example/w", 24);
    char la[TC_COSIG_LINE_MAX], lb[TC_COSIG_LINE_MAX], la2[TC_COSIG_LINE_MAX], lines[4096];
    char note[TC_REG_NOTE_MAX];
    cosign(&a, 100, spec_body, strlen(spec_body), la);
    cosign(&b, 200, spec_body, strlen(spec_body), lb);
    cosign(&a, 300, spec_body, strlen(spec_body), la2);
    struct tc_cosigner w[5] = {a.c, b.c, c.c, a.c, d.c};
    size_t count, n;
    snprintf(lines, sizeof lines, "%s%s", la, lb);
    n = note_of(note, sizeof note, spec_body, lines, NULL);
    IS(tc_cosig_verify_note(note, n, w, 3, 2, &count), TC_OK, "two of three witnesses: quorum 2");
    OK(count == 2, "count 2");
    IS(tc_cosig_verify_note(note, n, w, 3, 3, &count), TC_ERR_REFUSED, "quorum 3 is not met");
    OK(count == 2, "and says how many did verify (2)");
    IS(tc_cosig_verify_note(note, n, w, 4, 3, &count), TC_ERR_REFUSED,
       "a witness listed twice counts once");
    OK(count == 2, "(2, not 3)");
    IS(tc_cosig_verify_note(note, n, w, 0, 0, &count), TC_OK, "quorum 0 of nobody holds");
    snprintf(lines, sizeof lines, "%s%s%s", la, la2, lb);
    n = note_of(note, sizeof note, spec_body, lines, NULL);
    IS(tc_cosig_verify_note(note, n, w, 3, 3, &count), TC_ERR_REFUSED,
       "two lines of one witness (two timestamps) count once");
    OK(count == 2, "(2)");
    struct tc_note parsed;
    uint64_t t = 0;
    tc_note_parse(note, n, &parsed);
    OK(tc_cosig_verify(&parsed, &a.c, &t) == TC_OK && t == 300,
       "and the witness's time is the latest of its lines (300)");
    /* d's line forged with a's signature bytes under d's name and key id */
    struct tc_note pa;
    n = note_of(note, sizeof note, spec_body, la, NULL);
    tc_note_parse(note, n, &pa);
    uint8_t blob[76] = {(uint8_t)(d.c.key_id >> 24), (uint8_t)(d.c.key_id >> 16),
                        (uint8_t)(d.c.key_id >> 8), (uint8_t)d.c.key_id};
    memcpy(blob + 4, pa.sig[0].sig, 72);
    char forged[1024];
    raw_line(forged, sizeof forged, d.c.name, blob, sizeof blob);
    snprintf(lines, sizeof lines, "%s%s%s", la, lb, forged);
    n = note_of(note, sizeof note, spec_body, lines, NULL);
    IS(tc_cosig_verify_note(note, n, w, 3, 2, &count), TC_OK,
       "a forged line of a witness not listed is ignored");
    IS(tc_cosig_verify_note(note, n, w, 5, 2, &count), TC_ERR_BAD_SIGNATURE,
       "a forged line of a listed witness refuses the note, even with the quorum met");
    IS(tc_cosig_verify_note("not a note", 10, w, 3, 1, &count), TC_ERR_TEXT,
       "a malformed note is an error, not a count");
}

/* The witnesses file publishers and readers share (witnesses.c): what it accepts, what it
 * refuses and on which line. */
static void test_set_file(void)
{
    struct witness a, b;
    witness_make(&a, "a.example/w", 21);
    witness_make(&b, "b.example/w", 22);
    char va[TC_COSIG_VKEY_MAX], vb[TC_COSIG_VKEY_MAX], text[2048];
    tc_cosigner_vkey(&a.c, va, sizeof va);
    tc_cosigner_vkey(&b.c, vb, sizeof vb);
    struct tc_cosigner_set set;
    size_t line;
    memset(&set, 0, sizeof set);
    int n = snprintf(text, sizeof text, "# witnesses\n\nwitness a.example/w %s http://127.0.0.1:1/\n"
                                        "  witness\tb.example/w %s  \n", va, vb);
    IS(tc_cosigner_set_parse(text, (size_t)n, &set, &line), TC_OK, "a witnesses file parses");
    OK(set.n == 2 && strcmp(set.url[0], "http://127.0.0.1:1/") == 0 && set.url[1][0] == '\0' &&
           set.w[1].key_id == b.c.key_id && set.quorum == 0,
       "two witnesses, the first with its URL, the second without; no quorum set");
    /* each text: pre, a's verifier key, post (the key is left out for the last three) */
    static const struct {
        const char *what, *pre, *post;
        enum tc_err want;
        size_t line;
    } bad[] = {
        {"a name that is not the key's", "witness b.example/w ", "\n", TC_ERR_INCONSISTENT, 1},
        {"one witness twice", "witness a.example/w ", "\nwitness a.example/w @\n", TC_ERR_DUP_KEY,
         2},
        {"a URL that is not http(s)", "#\nwitness a.example/w ", " ftp://x/\n", TC_ERR_LINK, 2},
        {"a fifth word", "witness a.example/w ", " http://x/ y\n", TC_ERR_TYPE, 1},
        {"a line that is not a witness line", "log a.example/w ", "\n", TC_ERR_TYPE, 1},
        {"a control character", "witness a.example/w ", "\r\n", TC_ERR_TEXT, 1},
        {"a log's key (type 0x01)",
         "witness a.example/w "
         "a.example/w+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
         NULL, TC_ERR_ALG, 1},
        {"no witness at all", "# none yet\n\n", NULL, TC_ERR_MISSING_KEY, 0},
        {"an empty file", "", NULL, TC_ERR_MISSING_KEY, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&set, 0, sizeof set);
        n = snprintf(text, sizeof text, "%s%s", bad[i].pre, bad[i].post ? va : "");
        for (const char *p = bad[i].post; p && *p && n > 0 && (size_t)n < sizeof text; p++)
            n += *p == '@' ? snprintf(text + n, sizeof text - (size_t)n, "%s", va)
                           : snprintf(text + n, sizeof text - (size_t)n, "%c", *p);
        enum tc_err e = tc_cosigner_set_parse(text, (size_t)n, &set, &line);
        IS(e, bad[i].want, "refused: %s", bad[i].what);
        OK(line == bad[i].line, "on line %zu (%zu)", bad[i].line, line);
    }
    memset(&set, 0, sizeof set);
    IS(tc_cosigner_set_add(&set, va, NULL), TC_OK, "--witness adds a witness");
    IS(tc_cosigner_set_add(&set, va, NULL), TC_ERR_DUP_KEY, "not twice");
    struct witness a2;
    witness_make(&a2, "a2.example/w", 21); /* the same key under another name */
    tc_cosigner_vkey(&a2.c, vb, sizeof vb);
    IS(tc_cosigner_set_add(&set, vb, NULL), TC_ERR_DUP_KEY,
       "nor its key under another name (one witness would count twice)");
}

/* A note's co-signatures counted against a set: quorum, forged lines, times older than
 * accepted. */
static void test_set_check(void)
{
    struct witness a, b, c;
    witness_make(&a, "a.example/w", 21);
    witness_make(&b, "b.example/w", 22);
    witness_make(&c, "c.example/w", 23);
    struct tc_cosigner_set set;
    memset(&set, 0, sizeof set);
    char vk[TC_COSIG_VKEY_MAX], la[TC_COSIG_LINE_MAX], lb[TC_COSIG_LINE_MAX], lines[2048];
    char note[TC_REG_NOTE_MAX], why[1024];
    const struct witness *all[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        tc_cosigner_vkey(&all[i]->c, vk, sizeof vk);
        tc_cosigner_set_add(&set, vk, NULL);
    }
    cosign(&a, 100, spec_body, strlen(spec_body), la);
    cosign(&b, 200, spec_body, strlen(spec_body), lb);
    snprintf(lines, sizeof lines, "%s%s", la, lb);
    size_t n = note_of(note, sizeof note, spec_body, lines, NULL);
    struct tc_cosig_tally t;
    set.quorum = 2;
    IS(tc_cosigner_set_check(&set, note, n, NULL, &t), TC_OK, "two of three: quorum 2 met");
    OK(t.count == 2 && t.time[0] == 100 && t.time[1] == 200 && t.result[2] == TC_ERR_NOT_FOUND,
       "with each witness's time, the third without a line");
    set.quorum = 3;
    IS(tc_cosigner_set_check(&set, note, n, NULL, &t), TC_ERR_REFUSED, "quorum 3 is not met");
    tc_cosig_tally_explain(&set, &t, why, sizeof why);
    OK(strstr(why, "2 of 3 witnesses co-signed (quorum 3)") &&
           strstr(why, "c.example/w no co-signature"),
       "the explanation names who did not co-sign: %s", why);
    uint64_t floor[TC_COSIGNERS_MAX] = {100, 201, 0};
    set.quorum = 2;
    IS(tc_cosigner_set_check(&set, note, n, floor, &t), TC_ERR_REFUSED,
       "a co-signature older than the one accepted from its witness does not count");
    OK(t.count == 1 && t.result[1] == TC_ERR_ROLLBACK, "(b's 200 < 201; a's 100 = 100 counts)");
    /* b's line with a flipped signature bit: a forged line of a listed witness */
    size_t k = strlen(lb) - 6;
    lb[k] = lb[k] == 'A' ? 'B' : 'A';
    snprintf(lines, sizeof lines, "%s%s", la, lb);
    n = note_of(note, sizeof note, spec_body, lines, NULL);
    set.quorum = 1;
    IS(tc_cosigner_set_check(&set, note, n, NULL, &t), TC_ERR_BAD_SIGNATURE,
       "a forged line of a witness of the set refuses the note, with the quorum met by another");
}

/* Signature lines tc_note_parse refuses (the layout cosig.c and tc_note_open share). */
static void test_malformed_lines(void)
{
    static const struct {
        const char *what, *lines;
        enum tc_err want;
    } rows[] = {
        {"no em dash", "- w AAAAAAA=\n", TC_ERR_TYPE},
        {"no space after the dash", DASH "w AAAAAAA=\n", TC_ERR_TYPE},
        {"no signature", DASH " w\n", TC_ERR_TYPE},
        {"an empty name", DASH "  AAAAAAA=\n", TC_ERR_TYPE},
        {"two spaces before the signature", DASH " w  AAAAAAA=\n", TC_ERR_TYPE},
        {"a plus sign in the name", DASH " w+x AAAAAAA=\n", TC_ERR_TYPE},
        {"a trailing space", DASH " w AAAAAAA= \n", TC_ERR_TYPE},
        {"unpadded base64", DASH " w AAAAAAA\n", TC_ERR_TYPE},
        {"URL-safe base64", DASH " w AAAAA_-=\n", TC_ERR_TYPE},
        {"four bytes: a key id without signature", DASH " w AAAAAA==\n", TC_ERR_TYPE},
        {"a carriage return", DASH " w AAAAAAA=\r\n", TC_ERR_TEXT},
        {"a tab", DASH "\tw AAAAAAA=\n", TC_ERR_TEXT},
        {"no final newline", DASH " w AAAAAAA=", TC_ERR_TEXT},
        {"invalid UTF-8", DASH " w\xc3\x28 AAAAAAA=\n", TC_ERR_TEXT},
    };
    char note[2048];
    struct tc_note n;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int len = snprintf(note, sizeof note, "%s\n%s", spec_body, rows[i].lines);
        IS(tc_note_parse(note, (size_t)len, &n), rows[i].want, "signature line refused: %s",
           rows[i].what);
    }
    /* the text ends at the last blank line (the spec): a line before it is text, not signature */
    int at0 =
        snprintf(note, sizeof note, "%s\n" DASH " w AAAAAAA=\n\n" DASH " w AAAAAAA=\n", spec_body);
    OK(tc_note_parse(note, (size_t)at0, &n) == TC_OK && n.n_sigs == 1 &&
           n.text_len == strlen(spec_body) + 1 + 15,
       "an empty line among the lines: what is before the last one is text");
    /* 133 bytes of signature: one more than a line may carry */
    uint8_t big[4 + TC_NOTE_SIG_MAX + 1] = {0};
    char line[1024];
    raw_line(line, sizeof line, "w", big, sizeof big);
    int len = snprintf(note, sizeof note, "%s\n%s", spec_body, line);
    IS(tc_note_parse(note, (size_t)len, &n), TC_ERR_TYPE, "a signature longer than 132 bytes");
    raw_line(line, sizeof line, "w", big, sizeof big - 1);
    len = snprintf(note, sizeof note, "%s\n%s", spec_body, line);
    OK(tc_note_parse(note, (size_t)len, &n) == TC_OK && n.sig[0].sig_len == TC_NOTE_SIG_MAX,
       "one of 132 bytes parses");
    char many[4096];
    size_t at = (size_t)snprintf(many, sizeof many, "%s\n", spec_body);
    for (int i = 0; i < TC_REG_NOTE_SIGS + 1; i++)
        at += (size_t)snprintf(many + at, sizeof many - at, DASH " w%d AAAAAAA=\n", i);
    IS(tc_note_parse(many, at, &n), TC_ERR_SIZE_LIMIT, "17 signature lines");
    at = (size_t)snprintf(many, sizeof many, "%s\n", spec_body);
    for (int i = 0; i < TC_REG_NOTE_SIGS; i++)
        at += (size_t)snprintf(many + at, sizeof many - at, DASH " w%d AAAAAAA=\n", i);
    OK(tc_note_parse(many, at, &n) == TC_OK && n.n_sigs == 16, "16 signature lines parse");
    /* a truncation ladder of a co-signed note: every prefix is refused or ends at a line */
    struct witness w;
    witness_make(&w, "witness.example.cn/w1", 5);
    char cl[TC_COSIG_LINE_MAX];
    cosign(&w, 42, spec_body, strlen(spec_body), cl);
    size_t full = note_of(note, sizeof note, spec_body, cl, NULL);
    int wrong = 0;
    for (size_t k = 0; k < full; k++)
        wrong += verify_in(note, k, &w.c, NULL) == TC_OK;
    OK(wrong == 0, "no prefix of a co-signed note verifies (%zu prefixes)", full);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_spec_examples();
    test_keys();
    test_bad_vkeys();
    test_roundtrip();
    test_altered();
    test_quorum();
    test_malformed_lines();
    test_set_file();
    test_set_check();
    return tap_done();
}
