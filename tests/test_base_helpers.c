/*
 * test_base_helpers.c - the small shared helpers of base/: tc_push (growth by one element),
 * tc_find_id (search of an id-sorted array), tc_line_next (the lines of a record format, each
 * ending in a newline), tc_text_directive (a configuration line), tc_base64_decode (base64's
 * alphabet only), tc_parse_u64 (a whole decimal number, nothing strtoull would bend), and
 * tc_cpus_usable with the cgroup CPU quota it reads (tc_cpus_of_quota).
 */
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

struct rec {
    uint64_t id;
    uint32_t v;
};

static void test_push(void)
{
    struct rec *v = NULL;
    size_t n = 0, cap = 0;
    bool all = true;
    for (uint32_t i = 0; i < 1000; i++) {
        struct rec *r = tc_push((void **)&v, &n, &cap, sizeof *v);
        all &= r == &v[i] && n == i + 1 && cap >= n;
        if (r)
            r->id = 2 * i, r->v = i;
    }
    ok(all && n == 1000, "tc_push appends 1000 elements, each where the array holds it");
    bool kept = true;
    for (size_t i = 0; i < n; i++)
        kept &= v[i].id == 2 * i && v[i].v == i;
    ok(kept, "the elements survive the growth");

    /* tc_find_id: present, absent between, below and above, the first of equal ids */
    ok(tc_find_id(v, n, sizeof *v, 0) == &v[0], "id 0 is the first element");
    ok(tc_find_id(v, n, sizeof *v, 1998) == &v[999], "the last id is the last element");
    ok(tc_find_id(v, n, sizeof *v, 777) == NULL, "an id between two is absent");
    ok(tc_find_id(v, n, sizeof *v, 5000) == NULL, "an id above all is absent");
    ok(tc_find_id(v, 0, sizeof *v, 0) == NULL, "nothing is found in an empty array");
    v[11].id = v[12].id = v[13].id = v[10].id;
    const struct rec *eq = tc_find_id(v, n, sizeof *v, v[10].id);
    ok(eq >= &v[10] && eq <= &v[13], "of equal ids, one of them");
    free(v);
}

static void test_line_next(void)
{
    const char text[] = "one\n\nthree\nno newline";
    const char *p = text, *end = text + strlen(text), *s;
    size_t n;
    ok(tc_line_next(&p, end, &s, &n) && n == 3 && memcmp(s, "one", 3) == 0, "a first line");
    ok(tc_line_next(&p, end, &s, &n) && n == 0 && s == text + 4, "an empty line");
    ok(tc_line_next(&p, end, &s, &n) && n == 5 && memcmp(s, "three", 5) == 0, "a third line");
    const char *before = p;
    ok(!tc_line_next(&p, end, &s, &n) && p == before, "no line without its newline, p kept");
    p = end;
    ok(!tc_line_next(&p, end, &s, &n), "none at the end");
}

static void test_directive(void)
{
    char w[3][8];
    size_t n;
    const char *s;
    s = "  key a b";
    ok(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n) == TC_OK && n == 3 &&
           strcmp(w[1], "a") == 0 && strcmp(w[2], "b") == 0,
       "a line of its keyword and words");
    s = "\t# a comment";
    ok(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n) == TC_OK && n == 0,
       "a comment is skipped");
    ok(tc_text_directive("", 0, "key", 2, 3, &w[0][0], 8, &n) == TC_OK && n == 0,
       "a blank line is skipped");
    s = "other a b";
    is_err(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n), TC_ERR_TYPE,
           "another keyword");
    s = "key";
    is_err(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n), TC_ERR_TYPE,
           "too few words");
    s = "key a b c";
    is_err(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n), TC_ERR_TYPE,
           "too many words");
    s = "key a\x7f";
    is_err(tc_text_directive(s, strlen(s), "key", 2, 3, &w[0][0], 8, &n), TC_ERR_TEXT,
           "a control character");
}

static void test_base64(void)
{
    uint8_t out[8];
    size_t len;
    ok(tc_base64_decode(out, sizeof out, "AQID", 4, &len) && len == 3 && out[0] == 1 &&
           out[2] == 3,
       "base64 of 3 bytes");
    ok(tc_base64_decode(out, sizeof out, "AQ==", 4, &len) && len == 1 && out[0] == 1,
       "padded base64");
    ok(!tc_base64_decode(out, sizeof out, "AQ=", 3, &len), "short padding is refused");
    ok(!tc_base64_decode(out, sizeof out, "A\xc1ID", 4, &len),
       "a byte above 0x7f is not a digit (libsodium's decoder alone takes it)");
    ok(!tc_base64_decode(out, sizeof out, "AQ\0D", 4, &len), "a NUL is not a digit");
    ok(!tc_base64_decode(out, sizeof out, "AQ-D", 4, &len), "base64url's alphabet is not ours");
    ok(!tc_base64_decode(out, 2, "AQID", 4, &len), "more bytes than the room");
}

/* tc_parse_u64 against a reference written from its definition (digits only, the value in 128
 * bits compared with UINT64_MAX), on chosen edges and on random strings of digits, signs,
 * spaces and letters. */
static bool reference_u64(const char *s, uint64_t *v)
{
    unsigned __int128 x = 0;
    if (!*s)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        x = x * 10 + (unsigned)(*p - '0');
        if (x > UINT64_MAX)
            return false;
    }
    *v = (uint64_t)x;
    return true;
}

static void test_parse_u64(void)
{
    static const struct {
        const char *s;
        bool ok;
        uint64_t v;
    } edge[] = {
        {"0", true, 0},
        {"007", true, 7},
        {"18446744073709551615", true, UINT64_MAX},
        {"018446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"99999999999999999999", false, 0},
        {"184467440737095516150", false, 0},
        {"", false, 0},
        {"-1", false, 0},
        {"+1", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"1\n", false, 0},
        {"0x10", false, 0},
        {"1e3", false, 0},
        {"\xd9\xa1", false, 0}, /* ARABIC-INDIC DIGIT ONE */
    };
    bool all = true;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        uint64_t v = 42;
        bool got = tc_parse_u64(edge[i].s, &v);
        if (got != edge[i].ok || v != (edge[i].ok ? edge[i].v : 42)) {
            printf("# tc_parse_u64(\"%s\"): %d, %llu\n", edge[i].s, got, (unsigned long long)v);
            all = false;
        }
    }
    ok(all, "tc_parse_u64: 0 and UINT64_MAX taken, one past it, signs, spaces, hex and other "
            "digits refused, the value untouched on refusal");
    uint64_t v = 42;
    ok(!tc_parse_u64(NULL, &v) && v == 42, "tc_parse_u64: NULL is refused");

    static const char alphabet[] = "0123456789999999+- x";
    char s[24];
    size_t differ = 0, taken = 0;
    for (int n = 0; n < 200000; n++) {
        size_t len = randombytes_uniform(sizeof s - 1);
        for (size_t k = 0; k < len; k++)
            s[k] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
        s[len] = '\0';
        uint64_t a = 1, b = 1;
        bool ra = tc_parse_u64(s, &a), rb = reference_u64(s, &b);
        taken += ra;
        if (ra != rb || a != b) {
            if (differ++ < 5)
                printf("# \"%s\": %d %llu, reference %d %llu\n", s, ra, (unsigned long long)a, rb,
                     (unsigned long long)b);
        }
    }
    ok(differ == 0 && taken > 1000, "tc_parse_u64 agrees with the reference on 200,000 random "
                                    "strings (%zu of them numbers)", taken);
}

/* A batch's default threads: never more than the quota, the affinity or the cap. */
static void test_cpus(void)
{
    ok(tc_cpus_of_quota("max 100000\n") == 0, "cpu.max 'max 100000': no quota");
    ok(tc_cpus_of_quota("200000 100000\n") == 2, "'200000 100000' (CPUQuota=200%%): 2");
    ok(tc_cpus_of_quota("150000 100000") == 2, "'150000 100000': 1.5, rounded up to 2");
    ok(tc_cpus_of_quota("50000 100000") == 1, "'50000 100000': half a processor is 1");
    ok(tc_cpus_of_quota("") == 0 && tc_cpus_of_quota("garbage") == 0 &&
           tc_cpus_of_quota("-1 100000") == 0 && tc_cpus_of_quota("100000 0") == 0,
       "a line that does not read, or a quota or period of 0 or less: no quota");
    cpu_set_t set;
    CPU_ZERO(&set);
    int usable = tc_cpus_usable(1024), allowed = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        allowed = CPU_COUNT(&set);
    ok(usable >= 1 && usable <= allowed,
       "tc_cpus_usable: %d, at least 1 and no more than the affinity allows (%d)", usable,
       allowed);
    ok(tc_cpus_usable(1) == 1, "and no more than the cap");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_base64();
    test_push();
    test_line_next();
    test_directive();
    test_parse_u64();
    test_cpus();
    return tap_done();
}
