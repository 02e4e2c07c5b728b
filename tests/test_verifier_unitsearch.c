/*
 * test_verifier_unitsearch.c - finding a unit as an HR officer types it (verifier/unitsearch.c):
 * pinyin initials from the GB 2312 order and the second readings of place names, queries that are
 * too long, too short or not text, each kind of match and its rank, the bound on an answer, and
 * names that are long or not UTF-8.
 */
#include <string.h>

#include "tap.h"
#include "unitsearch.h"

/* the sample directory (data/samples/gs-units.csv) and a few more names */
static const struct {
    const char *uscc, *name;
} units[] = {
    {"12620102438000123H", "兰州市城关区社区卫生服务中心（示例）"},
    {"12620000438000456W", "甘肃省人民医院（示例）"},
    {"12622901438000777Q", "临夏州人民医院（示例）"},
    {"126201234380010119", "榆中县高崖镇卫生院（示例）"},
    {"126201034380005550", "兰州市第一人民医院（示例）"},
    {"12620121438000888F", "永登县人民医院（示例，并入市级医疗集团）"},
    {"12500000450000001X", "重庆市人民医院"},
    {"12350200400000001Y", "厦门市第一医院"},
    {"91620100MA7123456X", "兰州ABC科技有限公司"},
};
#define N_UNITS (sizeof units / sizeof units[0])

static unsigned score(const char *q, size_t i, enum tc_unitsearch_how *how)
{
    struct tc_unitsearch_query query;
    if (tc_unitsearch_query_parse(&query, q, strlen(q)) != TC_OK)
        return 0;
    return tc_unitsearch_score(&query, units[i].name, units[i].uscc, how);
}

/* which units match q (bit i for units[i]), and by what for the first */
static unsigned matches(const char *q)
{
    unsigned set = 0;
    for (size_t i = 0; i < N_UNITS; i++)
        if (score(q, i, NULL))
            set |= 1u << i;
    return set;
}

static void test_initials(void)
{
    static const struct {
        const char *name, *want;
    } v[] = {
        {"甘肃省人民医院", "gssrmyy"},
        {"兰州市城关区社区卫生服务中心（示例）", "lzscgqsqwsfwzxsl"},
        {"临夏州人民医院", "lxzrmyy"},
        {"榆中县高崖镇卫生院", "yzxgyzwsy"},
        {"重庆市人民医院", "zqsrmyy"}, /* the GB 2312 reading first; 重庆 matches by c too */
        {"兰州ABC科技有限公司", "lzabckjyxgs"},
        {"Ｘ光室", "xgs"}, /* full-width letters fold */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[64];
        size_t n = tc_unitsearch_initials(v[i].name, out, sizeof out);
        ok(strcmp(out, v[i].want) == 0 && n == strlen(v[i].want), "initials of \"%s\": %s (want %s)",
           v[i].name, out, v[i].want);
    }
    char small[4];
    ok(tc_unitsearch_initials("甘肃省人民医院", small, sizeof small) == 3 && strcmp(small, "gss") == 0,
       "initials stop at the buffer's size");
}

static void test_query(void)
{
    struct tc_unitsearch_query q;
    char long_q[TC_UNITSEARCH_QUERY_MAX + 2];
    memset(long_q, 'a', sizeof long_q - 1);
    long_q[sizeof long_q - 1] = '\0';
    is_err(tc_unitsearch_query_parse(&q, long_q, strlen(long_q)), TC_ERR_SIZE_LIMIT, "65 bytes: too long");
    is_err(tc_unitsearch_query_parse(&q, long_q, TC_UNITSEARCH_QUERY_MAX), TC_OK, "64 bytes: read");
    is_err(tc_unitsearch_query_parse(&q, "a", 1), TC_ERR_ARG, "one letter: too short");
    is_err(tc_unitsearch_query_parse(&q, " a\xe3\x80\x80", 5), TC_ERR_ARG, "one letter and spaces: too short");
    is_err(tc_unitsearch_query_parse(&q, "省", 3), TC_OK, "one hanzi: read");
    is_err(tc_unitsearch_query_parse(&q, "a\x01", 2), TC_ERR_TEXT, "a control character: refused");
    is_err(tc_unitsearch_query_parse(&q, "\xe5\x8c", 2), TC_ERR_TEXT, "a cut UTF-8 sequence: refused");
    is_err(tc_unitsearch_query_parse(&q, "ＲＭ ＹＹ", 13), TC_OK, "full-width letters");
    ok(q.n == 4 && q.letters && q.code && q.cp[0] == 'r', "full-width letters fold, the space goes");
    is_err(tc_unitsearch_query_parse(&q, "1262", 4), TC_OK, "digits");
    ok(q.code && !q.letters, "digits may be a code, not initials");
}

static void test_kinds(void)
{
    enum tc_unitsearch_how how;
    ok(matches("省医院") == 1u << 1, "省医院 finds 甘肃省人民医院 only (characters in order)");
    ok(score("省医院", 1, &how) && how == TC_UNITSEARCH_PARTS, "... as characters in order");
    ok(matches("人民医院") == (1u << 1 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 6), "人民医院: five names");
    ok(score("人民医院", 2, &how) && how == TC_UNITSEARCH_NAME, "... as a piece of the name");
    ok(matches("rmyy") == (1u << 1 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 6), "rmyy: the same five");
    ok(score("rmyy", 2, &how) && how == TC_UNITSEARCH_INITIALS, "... as a run of initials");
    ok(score("RMYY", 2, NULL) == score("rmyy", 2, NULL), "initials in either case");
    ok(matches("gsrmyy") == 1u << 1, "gsrmyy (甘肃人民医院, 省 left out) finds 甘肃省人民医院");
    ok(score("gsrmyy", 1, &how) && how == TC_UNITSEARCH_INITIALS_IN_ORDER, "... as initials in order");
    ok(matches("sqws") == 1u << 0, "sqws: 社区卫生");
    ok(matches("cqsrmyy") == 1u << 6 && matches("zqsrmyy") == 1u << 6, "重庆 by c (chong) and by z");
    ok(matches("xmsd") == 1u << 7 && matches("smsd") == 1u << 7, "厦门 by x and by s");
    ok(matches("abc") == 1u << 8, "Latin letters in a name count as initials");
    ok(matches("1262") == 0x3Fu, "1262: the six units whose code starts so");
    ok(score("1262", 0, &how) && how == TC_UNITSEARCH_CODE, "... by the code");
    ok(score("12620000438000456w", 1, &how) == TC_UNITSEARCH_CODE * 100u + 99 &&
           how == TC_UNITSEARCH_CODE, "a whole code, in lower case: the highest score");
    ok(matches("91620100") == 1u << 8, "a private employer by its code");
    ok(matches("不存在的单位") == 0 && matches("xyzq") == 0, "nothing for what no unit has");
    ok(matches("示例") == 0x3Fu, "示例 in the six sample names");
    /* ranks: code > name > initials > characters in order > initials in order */
    ok(score("1262", 0, NULL) > score("人民医院", 1, NULL) && score("人民医院", 1, NULL) > score("rmyy", 1, NULL) &&
           score("rmyy", 1, NULL) > score("省医院", 1, NULL) && score("省医院", 1, NULL) > score("gsrmyy", 1, NULL),
       "the kinds of match rank as unitsearch.h says");
    ok(score("临夏", 2, NULL) > score("人民医院", 2, NULL), "a match at the start of the name ranks higher");
}

static void test_top(void)
{
    struct tc_unitsearch_top t;
    tc_unitsearch_top_init(&t);
    static const char *names[25] = {"b", "a", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
                                    "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y"};
    for (size_t i = 0; i < 25; i++)
        tc_unitsearch_top_add(&t, i, i == 24 ? 500u : 300u, names[i]);
    tc_unitsearch_top_add(&t, 99, 0, "zero");
    ok(t.n == TC_UNITSEARCH_RESULTS_MAX && t.total == 25, "at most 20 kept, 25 counted, a 0 ignored");
    ok(t.e[0].index == 24 && t.e[1].index == 1 && t.e[2].index == 0 && t.e[3].index == 2,
       "by score, then by name");
    ok(t.e[19].index == 18, "the last kept is the 19th name in order");
    /* the same name twice: by index */
    tc_unitsearch_top_init(&t);
    tc_unitsearch_top_add(&t, 7, 300, "同名");
    tc_unitsearch_top_add(&t, 3, 300, "同名");
    ok(t.n == 2 && t.e[0].index == 3 && t.e[1].index == 7, "the same score and name: by index");
    /* a directory scan, as the server would make it */
    struct tc_unitsearch_query q;
    tc_unitsearch_query_parse(&q, "医院", strlen("医院"));
    tc_unitsearch_top_init(&t);
    for (size_t i = 0; i < N_UNITS; i++)
        tc_unitsearch_top_add(&t, i, tc_unitsearch_score(&q, units[i].name, units[i].uscc, NULL), units[i].name);
    ok(t.n == 6 && t.total == 6, "医院: six units");
}

static void test_hostile(void)
{
    struct tc_unitsearch_query q;
    tc_unitsearch_query_parse(&q, "医院", strlen("医院"));
    ok(tc_unitsearch_score(&q, "\xff\xfe\xe5\x8c\xbb\xe9\x99\xa2\xc0", "", NULL) > 0,
       "a name with bytes that are not UTF-8 is read around them");
    ok(tc_unitsearch_score(&q, "\xed\xa0\x80\xf5\x80\x80\x80", "", NULL) == 0, "surrogates and bytes past U+10FFFF match nothing");
    char longname[3 * 400 + 1];
    for (size_t i = 0; i < 400; i++)
        memcpy(longname + 3 * i, "卫", 3);
    longname[3 * 400] = '\0';
    memcpy(longname + 3 * 300, "医院", 6); /* past the code points looked at */
    ok(tc_unitsearch_score(&q, longname, "", NULL) == 0, "a name is looked at up to its 128th code point");
    ok(tc_unitsearch_score(&q, NULL, NULL, NULL) == 0, "no name and no code: no match");
    char out[8];
    ok(tc_unitsearch_initials(longname, out, sizeof out) == 7, "initials of a long name stop at the buffer");
}

int main(void)
{
    test_initials();
    test_query();
    test_kinds();
    test_top();
    test_hostile();
    return tap_done();
}
