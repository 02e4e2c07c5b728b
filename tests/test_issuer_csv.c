/*
 * test_issuer_csv.c - CSV uploads as HR offices save them from Excel (docs/CSV.md), through the
 * real readers of every kind of file (results, units, employment, assessments, ce):
 *  - a UTF-8 byte-order mark ("CSV UTF-8") is accepted by every kind;
 *  - GBK and GB18030 (Excel's plain "CSV" on a Chinese system; made here with iconv) and
 *    UTF-16 ("Unicode text") are refused whole, with one sentence saying how to save the file;
 *  - every date and month form, good and bad, from a table; an Excel serial number is said to
 *    be a cell formatted as a number;
 *  - Chinese column names, trimmed header cells, and Chinese values; a header that is neither
 *    is refused naming it;
 *  - an ID number Excel turned into a number (6.20102E+17) is refused showing the cell;
 *  - one pass: a file with three rows bad in different ways and rows the rules refuse gives
 *    every refusal at once, none for a bad row's rules and none caused by a bad row;
 *  - 10^5 rows read within the limits.
 */
#include <errno.h>
#include <iconv.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "keys.h"
#include "scratch.h"
#include "tap.h"

static struct tc_signer *root, *issuer;
static struct tc_secret *hashk;
static struct tc_store_keys *keys;
static struct tc_trust_list *tl;
static struct tc_store *store;
static const uint64_t now = 1796097600; /* 2026-12-01 12:00 in Beijing */

static char *slurp(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    return tc_file_read(path, 1u << 20, &b, len) == TC_OK ? (char *)b : NULL;
}

static void write_bytes(const char *name, const void *p, size_t n)
{
    FILE *f = fopen(path_in(name), "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

static const char *sample(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/samples/%s", getenv("TC_DATA_DIR"), name);
    return path;
}

static void setup(void)
{
    root = make_signer("root.key", TC_KEY_ROOT);
    issuer = make_signer("issuer.key", TC_KEY_ISSUER);
    hashk = make_key("hash.key", TC_KEY_HASH);
    tc_store_keys_derive(&keys, hashk);
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    const struct tc_pubkey *p = tc_signer_pub(issuer);
    memcpy(en.pk, p->pk, TC_PK_BYTES);
    memcpy(en.kid, p->kid, TC_KID_BYTES);
    memcpy(en.name, p->name, strlen(p->name) + 1);
    en.not_before = tc_beijing_day(now) - 10;
    en.not_after = en.not_before + 700;
    en.authz.tracks = TC_AUTHZ_TRACK(1) | TC_AUTHZ_TRACK(2);
    en.authz.levels = 0x3E;
    en.authz.region = 62;
    en.endorsed_at = now;
    uint8_t *e1 = NULL, *list = NULL;
    size_t l1 = 0, list_len = 0;
    tc_keys_endorse(&e1, &l1, &en, root);
    const uint8_t *ends[] = {e1};
    tc_keys_trust_list_build(&list, &list_len, 1, now, ends, &l1, 1, NULL, 0, root);
    tc_trust_list_parse(list, list_len, tc_signer_pub(root)->pk, &tl);
    free(e1);
    free(list);
    size_t n = 0;
    char *gs = slurp(getenv("TC_PROFILE_GS"), &n);
    const char *why;
    if (gs && tc_store_init(path_in("gs.db"), gs, n, keys, &why) == TC_OK)
        tc_store_open(&store, path_in("gs.db"), keys);
    free(gs);
}

static void dump(const struct tc_refusals *r)
{
    for (size_t i = 0; i < r->n; i++)
        printf("#   line %zu rule '%s' %s: %s\n", r->v[i].line, r->v[i].rule, r->v[i].field,
               r->v[i].msg);
}

/* how many refusals of a line (-1: any) have rule and field (NULL: any) and msg holding text */
static size_t count(const struct tc_refusals *r, size_t line, const char *rule, const char *field,
                    const char *text)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        k += (line == (size_t)-1 || r->v[i].line == line) &&
             (!rule || strcmp(r->v[i].rule, rule) == 0) &&
             (!field || strcmp(r->v[i].field, field) == 0) &&
             (!text || strstr(r->v[i].msg, text) != NULL);
    return k;
}

/* ---- the five kinds of file ----------------------------------------------------------------- */

enum kind { K_UNITS, K_EMPLOYMENT, K_ASSESSMENTS, K_CE, K_RESULTS, K_N };
static const char *const kind_name[K_N] = {"units", "employment", "assessments", "ce", "results"};
static const char *const kind_sample[K_N] = {"gs-units.csv", "gs-employment.csv",
                                             "gs-assessments.csv", "gs-ce.csv", "gs-results.csv"};

/* Reads a file as its kind's import does: *rows the rows taken (imported, or requests read). */
static enum tc_err read_kind(enum kind k, const char *path, struct tc_refusals *r, size_t *rows)
{
    size_t warnings;
    memset(r, 0, sizeof *r);
    *rows = 0;
    if (k == K_UNITS)
        return tc_units_import(store, path, false, r, rows, &warnings);
    if (k != K_RESULTS)
        return tc_records_import(store, kind_name[k], path, r, rows);
    struct tc_issue_request *reqs = NULL;
    enum tc_err e = tc_issue_read_csv(store, path, &reqs, rows, r);
    free(reqs);
    return e;
}

/* text converted to another encoding with iconv, as Excel would save it */
static char *convert(const char *text, size_t len, const char *to, size_t *out_len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = len * 4 + 16, left = cap;
    char *out = malloc(cap), *o = out, *in = (char *)text;
    size_t in_left = len;
    bool ok = out && iconv(cd, &in, &in_left, &o, &left) != (size_t)-1;
    iconv_close(cd);
    if (!ok) {
        free(out);
        return NULL;
    }
    *out_len = cap - left;
    return out;
}

static void test_encodings(void)
{
    struct tc_refusals r;
    size_t rows, len, n;
    for (int k = 0; k < K_N; k++) {
        char *text = slurp(sample(kind_sample[k]), &len);
        char *bom = malloc(len + 3);
        if (!text || !bom) {
            ok(0, "%s: the sample reads", kind_name[k]);
            free(text), free(bom);
            continue;
        }
        memcpy(bom, "\xef\xbb\xbf", 3);
        memcpy(bom + 3, text, len);
        write_bytes("bom.csv", bom, len + 3);
        enum tc_err e = read_kind((enum kind)k, path_in("bom.csv"), &r, &rows);
        ok(e == TC_OK && r.total == 0 && rows > 0,
           "%s: a file saved as 'CSV UTF-8' (with a byte-order mark) reads, %zu rows",
           kind_name[k], rows);
        if (r.total)
            dump(&r);
        tc_refusals_free(&r);
        static const char *const enc[] = {"GBK", "GB18030", "UTF-16", "UTF-16LE"};
        for (size_t i = 0; i < 4; i++) {
            if (k != K_RESULTS && i != 0 && i != 2)
                continue; /* every kind in GBK and UTF-16; the results in all four */
            char *other = convert(text, len, enc[i], &n);
            if (!other) {
                ok(0, "iconv converts to %s", enc[i]);
                continue;
            }
            write_bytes("other.csv", other, n);
            e = read_kind((enum kind)k, path_in("other.csv"), &r, &rows);
            bool utf16 = i >= 2;
            ok((e == TC_OK || e == TC_ERR_REFUSED) && r.total == 1 && rows == 0 &&
                   r.v[0].line == 0 &&
                   strstr(r.v[0].msg, utf16 ? "UTF-16" : "看起来是 GBK") &&
                   strstr(r.v[0].msg, "另存为” → “CSV UTF-8（逗号分隔）”") &&
                   strstr(r.v[0].msg, "save it as 'CSV UTF-8 (comma delimited)'"),
               "%s in %s%s is refused whole, once, saying to save it as CSV UTF-8",
               kind_name[k], enc[i], i == 3 ? " without a byte-order mark" : "");
            if (r.total != 1)
                dump(&r);
            tc_refusals_free(&r);
            free(other);
        }
        free(text), free(bom);
    }
    /* a UTF-8 file with one stray byte is not GBK: that line's cell is refused */
    write_file("stray.csv", "id_number,name,year,hours\n620102198503121534,王\xff,2024,90\n");
    read_kind(K_CE, path_in("stray.csv"), &r, &rows);
    ok(r.total == 1 && r.v[0].line == 2 && strstr(r.v[0].msg, "column 2: not valid UTF-8"),
       "a stray byte in a UTF-8 file is refused on its line and column");
    tc_refusals_free(&r);
    char big[1024] = "id_number,name,year,hours\n620102198503121534,";
    memset(big + strlen(big), 'x', 600);
    strcat(big, ",2024,90\n");
    write_file("long.csv", big);
    read_kind(K_CE, path_in("long.csv"), &r, &rows);
    ok(r.total == 1 && r.v[0].line == 2 && strstr(r.v[0].msg, "column 2: longer than 512 bytes"),
       "a cell longer than 512 bytes is refused on its line and column");
    tc_refusals_free(&r);
}

/* ---- dates and months ----------------------------------------------------------------------- */

struct date_case {
    const char *cell;
    bool day;     /* a day, else a month */
    const char *want; /* YYYY-MM-DD / YYYY-MM, or NULL for refused */
    const char *why;  /* what the refusal says */
};

static const struct date_case dates[] = {
    {"2026-10-20", true, "2026-10-20", NULL},
    {"2026/10/20", true, "2026-10-20", NULL},
    {"2026/1/5", true, "2026-01-05", NULL},
    {"2026/01/05", true, "2026-01-05", NULL},
    {"2026/10/5", true, "2026-10-05", NULL},
    {"2026年10月20日", true, "2026-10-20", NULL},
    {"2026年1月5日", true, "2026-01-05", NULL},
    {"2024-02-29", true, "2024-02-29", NULL},
    {"2024/2/29", true, "2024-02-29", NULL},
    {"2026-02-29", true, NULL, "不是日历上有的日期"},
    {"2026/2/30", true, NULL, "is not a calendar day"},
    {"2026年13月1日", true, NULL, "is not a calendar day"},
    {"2026-00-10", true, NULL, "is not a calendar day"},
    {"2026-1-5", true, NULL, "write 2026-10-20, 2026/10/20 or 2026年10月20日"},
    {"2026.10.20", true, NULL, "is not a date"},
    {"20261020", true, NULL, "is not a date"},
    {"26/10/20", true, NULL, "is not a date"},
    {"10/20/2026", true, NULL, "is not a date"},
    {"2026/10/20 0:00", true, NULL, "is not a date"},
    {" 2026-10-20", true, NULL, "is not a date"},
    {"2026年10月20", true, NULL, "is not a date"},
    {"2026/10/020", true, NULL, "is not a date"},
    {"２０２６-10-20", true, NULL, "is not a date"},
    {"2026-10", true, NULL, "is not a date"},
    {"", true, NULL, "is not a date"},
    {"46315", true, NULL, "formatted as a number"},
    {"46315.5", true, NULL, "单元格是数字（46315.5），不是日期"},
    {"2026-11", false, "2026-11", NULL},
    {"2026/11", false, "2026-11", NULL},
    {"2026/1", false, "2026-01", NULL},
    {"2026/01", false, "2026-01", NULL},
    {"2026年11月", false, "2026-11", NULL},
    {"2026年1月", false, "2026-01", NULL},
    {"2026-1", false, NULL, "write 2026-11, 2026/11 or 2026年11月"},
    {"2026-13", false, NULL, "is not a calendar month"},
    {"2026/0", false, NULL, "is not a calendar month"},
    {"2026.11", false, NULL, "is not a month"},
    {"2026年11", false, NULL, "is not a month"},
    {"Nov-26", false, NULL, "is not a month"},
    {"", false, NULL, "is not a month"},
    {"2026/11/1", false, NULL, "is a day; this column takes a month"},
    {"2026-11-01", false, NULL, "这一列要月份"},
    {"46327", false, NULL, "the column is formatted as a number in Excel"},
};

static void test_dates(void)
{
    size_t fails = 0;
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        const struct date_case *t = &dates[i];
        int32_t v = -1;
        char why[400] = "", got[11] = "";
        bool read = t->day ? tc_csv_day(&v, t->cell, why, sizeof why)
                           : tc_csv_month(&v, t->cell, why, sizeof why);
        if (read && t->day)
            tc_day_format(got, v);
        else if (read)
            tc_month_format(got, v);
        bool pass = t->want ? read && strcmp(got, t->want) == 0
                            : !read && strstr(why, t->why) && strstr(why, " / ");
        ok(pass, "%s '%s': %s", t->day ? "day" : "month", t->cell,
           t->want ? t->want : why);
        fails += !pass;
    }
    ok(fails == 0, "every date and month form of the table (%zu cases)",
       sizeof dates / sizeof dates[0]);
}

/* ---- ID numbers ------------------------------------------------------------------------------ */

static void test_idno(void)
{
    char why[400];
    ok(tc_csv_idno("620102198503121534", why, sizeof why), "a valid ID number reads");
    ok(tc_csv_idno("11010519491231002X", why, sizeof why), "one ending in X");
    static const char *const mangled[] = {"6.20102E+17", "6.20102199001011E+17", "6.2E17",
                                          "620102199001011000", "620102199001011000.00"};
    for (size_t i = 0; i < sizeof mangled / sizeof mangled[0]; i++) {
        char want[200];
        snprintf(want, sizeof want, "身份证号被 Excel 改成了数字（%s）：请把该列设为“文本”后重新输入",
                 mangled[i]);
        ok(!tc_csv_idno(mangled[i], why, sizeof why) && strstr(why, want) &&
               strstr(why, "format the column as Text"),
           "%s, a number Excel made of an ID number, is refused showing the cell", mangled[i]);
    }
    ok(!tc_csv_idno("620102198503121535", why, sizeof why) && strstr(why, "GB 11643") &&
           !strstr(why, "620102"),
       "a wrong check character is refused without echoing the number");
    ok(!tc_csv_idno("", why, sizeof why) && strstr(why, "not a valid resident ID number"),
       "an empty cell is refused");
}

/* ---- headers and values ---------------------------------------------------------------------- */

#define GOOD_ROW "620102198503121534,王芳,WS-YL,内科学,副高级,basic,review,2020,2020-06-15,2020-07," \
                 "12620102438000123H,101,甘卫高评〔2020〕12号"

static void test_headers(void)
{
    struct tc_refusals r = {0};
    struct tc_issue_request *q = NULL;
    size_t n = 0;
    /* Chinese names, in another order, with the spaces and BOM a spreadsheet leaves */
    write_file("zh.csv", "\xef\xbb\xbf 身份证号码 ,姓名,系列,专业,级别,类别,取得方式,评审年度,取得日期,"
                         "任职起始\xe3\x80\x80,工作单位,评审委员会,批准文号\r\n" GOOD_ROW "\r\n");
    is_err(tc_issue_read_csv(store, path_in("zh.csv"), &q, &n, &r), TC_OK, "results read");
    ok(n == 1 && r.total == 0 && q && strcmp(q[0].claims.name, "王芳") == 0 &&
           q[0].claims.level == 2,
       "Chinese column names, trimmed, in any order, with CRLF line ends");
    dump(&r);
    tc_refusals_free(&r);
    free(q);
    write_file("alias.csv", "身份证号,Name,系列,专业,职称级别,职称类别,取得方式,评审年度,取得时间,"
                            "聘任时间,用人单位,评委会备案号,文号\n" GOOD_ROW "\n");
    tc_issue_read_csv(store, path_in("alias.csv"), &q, &n, &r);
    ok(n == 1 && r.total == 0, "other Chinese names, and an English one in another case");
    tc_refusals_free(&r);
    free(q);
    write_file("unknown.csv", "身份证号码,姓 名,系列,专业,级别,类别,取得方式,评审年度,取得日期,"
                              "任职起始,工作单位,评审委员会,批准文号,备注\n" GOOD_ROW ",x\n");
    tc_issue_read_csv(store, path_in("unknown.csv"), &q, &n, &r);
    ok(n == 0 && count(&r, 1, "", NULL, "“姓 名”") == 1 && count(&r, 1, "", NULL, "'备注'") == 1 &&
           count(&r, 1, "", "name", "required column missing from the header: name") == 1 &&
           count(&r, 1, "", "name", "缺少必需的列“姓名”") == 1,
       "a header that is neither name is refused naming it, and the column it left out");
    dump(&r);
    tc_refusals_free(&r);
    free(q);
    write_file("twice.csv", "身份证号码,姓名,name,系列,专业,级别,类别,取得方式,评审年度,取得日期,"
                            "任职起始,工作单位,评审委员会,批准文号\n");
    tc_issue_read_csv(store, path_in("twice.csv"), &q, &n, &r);
    ok(count(&r, 1, "", "name", "column repeated in the header: name") == 1,
       "a column named twice, once in each language, is refused");
    tc_refusals_free(&r);
    free(q);

    static const char *const zh_files[][2] = {
        {"units", "统一社会信用代码,单位名称,行政区划代码,层级,是否基层单位,生效日期,失效日期\n"
                  "12620102438000123H,城关区社区卫生服务中心,620102,县级,是,2015/1/1,\n"},
        {"employment", "身份证号码,姓名,工作单位,起始日期,截止日期\n"
                       "620102198503121534,王芳,12620102438000123H,2020年7月1日,\n"},
        {"assessments", "身份证号,姓名,年度,考核结果\n620102198503121534,王芳,2020,合格\n"},
        {"ce", "身份证号码,姓名,年度,学时\n620102198503121534,王芳,2020,96\n"}};
    for (int k = 0; k < 4; k++) {
        write_file("zh-kind.csv", zh_files[k][1]);
        size_t rows;
        enum tc_err e = read_kind((enum kind)k, path_in("zh-kind.csv"), &r, &rows);
        ok(e == TC_OK && rows == 1 && r.total == 0, "%s: Chinese column names and dates read",
           zh_files[k][0]);
        dump(&r);
        tc_refusals_free(&r);
    }
}

static void test_values(void)
{
    struct tc_refusals r = {0};
    struct tc_issue_request *q = NULL;
    size_t n = 0;
    write_file("values.csv",
               "姓名,身份证号码,系列,专业,级别,类别,取得方式,评审年度,取得日期,任职起始,工作单位,"
               "评审委员会,批准文号\n"
               "王芳,620102198503121534,卫生（医疗）,内科学,员级(士级),全省统一职称,考核认定,2026,"
               "2026年10月20日,2026年11月,12620000438000456W,101,甘卫高评〔2026〕3号\n"
               "王芳,620102198503121534,卫生(护理),护理学,助理级（师级）,基层职称,考评结合,2026,"
               "2026/10/20,2026/11,12620102438000123H,101,甘卫高评〔2026〕3号\n");
    tc_issue_read_csv(store, path_in("values.csv"), &q, &n, &r);
    ok(n == 2 && r.total == 0 && q[0].claims.series == tc_series_id("WS-YL") &&
           q[0].claims.level == 5 && q[0].claims.track == TC_TRACK_PROVINCE &&
           q[0].claims.method == TC_METHOD_ASSESSMENT &&
           q[1].claims.series == tc_series_id("WS-HL") &&
           q[1].claims.level == 4 && q[1].claims.track == TC_TRACK_BASIC &&
           q[1].claims.method == TC_METHOD_EXAM,
       "series, level, track and method in Chinese, as the title table and the documents name "
       "them");
    int32_t d;
    tc_day_parse(&d, "2026-10-20");
    ok(n == 2 && q[0].claims.obtained_day == d && q[1].claims.obtained_day == d &&
           q[0].claims.tenure_month == tc_month_index(2026, 11),
       "and the dates in Chinese and with slashes");
    dump(&r);
    tc_refusals_free(&r);
    free(q);
}

/* ---- one pass -------------------------------------------------------------------------------- */

/* A number cell is digits only: a sign, or a space kept inside quotes, is refused naming the cell,
 * where strtol would have read it; leading zeros are a number, and spaces around an unquoted cell
 * are libcsv's to trim, as for every cell. */
static void test_number_cells(void)
{
#define H "name,id_number,series,specialty,level,track,method,eval_year,obtained,tenure_start," \
          "employer,committee,approval\n"
#define ROW(year, committee)                                                                     \
    "王芳,620102198503121534,WS-YL,内科学,中级,basic,review," year ",2026-10-20,2026-11,"         \
    "12620102438000123H," committee ",甘卫高评〔2026〕3号\n"
    write_file("numbers.csv", H ROW("+2026", "101") ROW("2026", "\" 101\"") ROW("\"2026 \"", "101")
                                  ROW("2026", "-1") ROW("02026", "0101") ROW(" 2026", "101 "));
    struct tc_issue_request *q = NULL;
    struct tc_refusals r = {0};
    size_t n = 0;
    is_err(tc_issue_read_csv(store, path_in("numbers.csv"), &q, &n, &r), TC_OK,
           "number cells: the file reads");
    ok(count(&r, 2, "", "eval_year", "'+2026' is not a year") == 1, "line 2: '+2026' is refused");
    ok(count(&r, 3, "", "committee", "' 101'") == 1, "line 3: ' 101' is refused");
    ok(count(&r, 4, "", "eval_year", "'2026 '") == 1, "line 4: '2026 ' is refused");
    ok(count(&r, 5, "", "committee", "'-1'") == 1, "line 5: '-1' is refused");
    ok(n == 2 && q[0].claims.eval_year == 2026 && q[0].claims.committee == 101 &&
           count(&r, 6, NULL, NULL, NULL) == 0,
       "line 6: '02026' and '0101' are 2026 and 101");
    ok(n == 2 && q[1].claims.eval_year == 2026 && q[1].claims.committee == 101 &&
           count(&r, 7, NULL, NULL, NULL) == 0,
       "line 7: ' 2026' and '101 ' unquoted are trimmed and read");
    dump(&r);
    tc_refusals_free(&r);
    free(q);
#undef ROW
#undef H
}

static void test_one_pass(void)
{
    write_file("units.csv", "uscc,name,division,tier,basic_level,valid_from,valid_to\n"
                            "12620102438000123H,城关区社区卫生服务中心,620102,county,,2015-01-01,\n"
                            "12620000438000456W,甘肃省人民医院,620102,province,,2010-01-01,\n");
    size_t rows;
    struct tc_refusals r = {0};
    read_kind(K_UNITS, path_in("units.csv"), &r, &rows);
    tc_refusals_free(&r);
#define H "name,id_number,series,specialty,level,track,method,eval_year,obtained,tenure_start," \
          "employer,committee,approval\n"
#define APP ",101,甘卫高评〔2026〕3号\n"
    write_file("mixed.csv",
               H
               /* 2: good */
               "王芳,620102198503121534,WS-YL,内科学,中级,basic,review,2026,2026-10-20,2026-11,"
               "12620102438000123H" APP
               /* 3: a bad date (of the same person's other track: no D1 follows from it) */
               "王芳,620102198503121534,WS-YL,内科学,中级,province,review,2026,2026-10-32,"
               "2026-11,12620000438000456W" APP
               /* 4: an ID number Excel made a number, and a bad level */
               "马明,6.22921E+17,WS-YL,外科学,特级,basic,review,2026,2026-10-20,2026-11,"
               "12620102438000123H" APP
               /* 5: a column missing */
               "赵丽,620123199205050025,WS-HL,护理学,中级,basic,exam,2026,2026-10-20,2026-11" APP
               /* 6: T1: 会计 has no 员级 */
               "李四,620102198807070035,KJ,会计,员级,province,review,2026,2026-10-15,2026-11,"
               "12620000438000456W" APP
               /* 7: S2: a basic-level title at the provincial hospital */
               "钱二,622921199001010024,WS-HL,护理学,中级,basic,review,2026,2026-10-15,2026-11,"
               "12620000438000456W" APP
               /* 8, 9: D1 within the file, on the later line */
               "孙三,620102198001010017,WS-YX,药学,中级,basic,review,2026,2026-10-15,2026-11,"
               "12620102438000123H" APP
               "孙三,620102198001010017,WS-YX,药学,副高级,province,review,2026,2026-10-15,2026-11,"
               "12620000438000456W" APP
               /* 10: good */
               "周四,620102198002020014,WS-YX,药学,中级,province,review,2026,2026-10-15,2026-11,"
               "12620000438000456W" APP);
    struct tc_issue_request *q = NULL;
    size_t n = 0;
    is_err(tc_issue_read_csv(store, path_in("mixed.csv"), &q, &n, &r), TC_OK,
           "a file with bad rows reads: TC_OK, the good rows and the refusals");
    ok(n == 6, "the six rows that read are returned (%zu)", n);
    ok(count(&r, 3, "", "obtained", "2026-10-32") == 1 && count(&r, 3, NULL, NULL, NULL) == 1,
       "line 3: the date, once");
    ok(count(&r, 4, "", "id_number", "6.22921E+17") == 1 &&
           count(&r, 4, "", "level", "'特级' is not a level") == 1 &&
           count(&r, 4, NULL, NULL, NULL) == 2,
       "line 4: the ID number Excel turned into a number, shown, and the level");
    ok(count(&r, 5, "", NULL, "12 columns where the header has 13") == 1,
       "line 5: the missing column");
    size_t fields = r.total;
    enum tc_err e = tc_issue_check(store, q, n, tl, tc_signer_pub(issuer), now, &r);
    is_err(e, TC_ERR_REFUSED, "the rows that read are checked against the rules");
    tc_refusals_sort(&r);
    ok(count(&r, 6, "T1", "level", NULL) == 1 && count(&r, 7, "S2", "employer", NULL) == 1 &&
           count(&r, 9, "D1", "track", "本批第 8 行") == 1,
       "and the rules refuse lines 6 (T1), 7 (S2) and 9 (D1 with line 8) in the same pass");
    ok(count(&r, 2, NULL, NULL, NULL) == 0 && count(&r, 10, NULL, NULL, NULL) == 0 &&
           count(&r, 8, NULL, NULL, NULL) == 0,
       "no refusal for the good lines 2, 8 and 10: no D1 on line 2 from the unreadable line 3");
    ok(count(&r, 3, "D1", NULL, NULL) == 0 && count(&r, 3, NULL, NULL, NULL) == 1 &&
           count(&r, 4, NULL, NULL, NULL) == 2,
       "no rule is checked on a row that did not read (no cascade)");
    size_t rules = count(&r, 6, NULL, NULL, NULL) + count(&r, 7, NULL, NULL, NULL) +
                   count(&r, 9, NULL, NULL, NULL);
    ok(r.total == fields + rules && fields == 4,
       "%zu refusals in all: 4 of fields, %zu of rules on lines 6, 7 and 9 only", r.total, rules);
    bool sorted = true, bilingual = true;
    for (size_t i = 0; i < r.n; i++) {
        sorted &= i == 0 || r.v[i - 1].line <= r.v[i].line;
        const char *sep = strstr(r.v[i].msg, " / "), *p = r.v[i].msg;
        while (sep && p < sep && (uint8_t)*p < 0x80)
            p++;
        bilingual &= sep && p < sep; /* Chinese before the " / " */
    }
    ok(sorted, "sorted, they read in line order");
    ok(bilingual, "every refusal is Chinese first, then English");
    dump(&r);
    tc_refusals_free(&r);
    free(q);
#undef H
#undef APP
}

/* ---- size ------------------------------------------------------------------------------------ */

/* a valid ID number: region 620102, a birth day from day, sequence seq */
static void make_idno(char out[TC_IDNO_LEN + 1], int32_t day, int seq)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int y, m, d, sum = 0;
    tc_day_split(day, &y, &m, &d);
    snprintf(out, TC_IDNO_LEN + 1, "620102%04d%02d%02d%03d", y, m, d, seq % 1000);
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static void test_size(void)
{
    const size_t rows = 100000;
    FILE *f = fopen(path_in("big.csv"), "w");
    if (!f) {
        ok(0, "a file of 10^5 rows is written");
        return;
    }
    fputs("\xef\xbb\xbf姓名,身份证号码,系列,专业,级别,类别,取得方式,评审年度,取得日期,任职起始,"
          "工作单位,评审委员会,批准文号\r\n", f);
    int32_t base;
    tc_day_parse(&base, "1970-01-01");
    for (size_t i = 0; i < rows; i++) {
        char id[TC_IDNO_LEN + 1];
        make_idno(id, base + (int32_t)(i / 1000), (int)(i % 1000));
        fprintf(f, "职工%zu,%s,WS-HL,护理学,中级,全省统一职称,以考代评,2026,2026/10/15,2026年11月,"
                   "12620000438000456W,101,甘卫高评〔2026〕4号\r\n", i, id);
    }
    fclose(f);
    struct stat st;
    stat(path_in("big.csv"), &st);
    struct tc_refusals r = {0};
    struct tc_issue_request *q = NULL;
    size_t n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum tc_err e = tc_issue_read_csv(store, path_in("big.csv"), &q, &n, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ok(e == TC_OK && n == rows && r.total == 0,
       "10^5 rows (%.1f MB, within the %u MiB and %d row limits) read in %.2f s",
       (double)st.st_size / 1e6, TC_CSV_MAX_BYTES >> 20, TC_CSV_MAX_ROWS, s);
    dump(&r);
    tc_refusals_free(&r);
    free(q);
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init())
        return 2;
    setup();
    ok(store != NULL, "a GS store");
    if (store) {
        test_dates();
        test_idno();
        test_encodings();
        test_headers();
        test_values();
        test_one_pass();
        test_number_cells();
        test_size();
    }
    tc_store_close(store);
    tc_store_keys_free(keys);
    tc_signer_close(root);
    tc_signer_close(issuer);
    tc_keys_secret_close(hashk);
    tc_trust_list_free(tl);
    scratch_remove();
    return tap_done();
}
