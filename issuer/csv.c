/*
 * csv.c - CSV input through libcsv (RFC 4180 quoting), with the limits every input here has:
 * file size, row count, field length, safe UTF-8 text. The header row names the columns, so
 * files may order them freely; unknown columns are refused rather than silently ignored.
 *
 * Files come from HR offices, saved by Excel, so what Excel does is handled here once for every
 * kind of file: the UTF-8 byte-order mark of "CSV UTF-8" is dropped; a file in GBK (Excel's
 * plain "CSV" on a Chinese system) or UTF-16 ("Unicode text") is recognised and refused whole
 * with what to do instead, rather than as a refusal per field; header cells are trimmed and may
 * be the columns' Chinese names; rows whose every cell is empty (formatting Excel saves below
 * the data) are skipped. The cell readers below (dates, months, ID numbers) accept the forms
 * Excel writes and say so when Excel has turned a cell into a number.
 *
 * "Line" in refusals is the record number counting the header as line 1: the text line, unless
 * quoted fields hold line breaks. Refusal sentences are Chinese first: "中文 / English".
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"

#define MAX_COLUMNS 32

struct reader {
    const char *const *columns;
    size_t ncolumns;
    int map[MAX_COLUMNS];    /* file column -> wanted column, -1 to ignore */
    size_t file_columns;
    bool header_done, header_bad;
    char *fields[MAX_COLUMNS];
    size_t nfields;
    bool row_bad;
    size_t line;
    size_t rows;
    tc_csv_row_fn row;
    void *ctx;
    struct tc_refusals *ref;
};

/* ---- what Excel writes ----------------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, surrogates or values above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                                                          : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
        if (k == 9 || n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += k + 1;
    }
    return true;
}

/* Whether bytes that are not UTF-8 read as GB18030 (so as GBK, its subset): every byte above
 * 0x7F starts a two-byte character (lead 0x81-0xFE, trail 0x40-0x7E or 0x80-0xFE) or a
 * four-byte one, and there is at least one two-byte character (Chinese text has them). A test
 * of the structure, not of meaning: it only chooses which refusal a file that is not UTF-8
 * gets. */
static bool gb18030_like(const uint8_t *s, size_t n)
{
    size_t pairs = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c == 0x80 || c == 0xFF || n - i < 2)
            return false;
        uint8_t d = s[i + 1];
        if ((d >= 0x40 && d <= 0x7E) || (d >= 0x80 && d <= 0xFE)) {
            pairs++, i += 2;
        } else if (d >= 0x30 && d <= 0x39 && n - i >= 4 && s[i + 2] >= 0x81 && s[i + 2] <= 0xFE &&
                   s[i + 3] >= 0x30 && s[i + 3] <= 0x39) {
            i += 4;
        } else {
            return false;
        }
    }
    return pairs > 0;
}

/* UTF-16 (Excel's "Unicode text"): its byte-order mark, or without one, ASCII text's NUL in
 * every other byte (a quarter of the first 512 bytes or more, all on one side). */
static bool utf16_like(const uint8_t *s, size_t n)
{
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF)))
        return true;
    size_t m = n < 512 ? n : 512, nul[2] = {0, 0};
    for (size_t i = 0; i < m; i++)
        if (!s[i])
            nul[i % 2]++;
    return m >= 4 && (nul[0] == 0 || nul[1] == 0) && 4 * (nul[0] + nul[1]) >= m;
}

#define SAVE_AS "请在 Excel 中“另存为” → “CSV UTF-8（逗号分隔）”后再上传"

/* The refusal of a whole file in another encoding, or NULL for one to read. */
static const char *foreign_encoding(const uint8_t *s, size_t n)
{
    if (utf16_like(s, n))
        return "文件是 UTF-16 编码（Excel 的“Unicode 文本”），不是 UTF-8：" SAVE_AS
               " / the file is UTF-16 (Excel's 'Unicode text'), not UTF-8: save it as 'CSV UTF-8 "
               "(comma delimited)'";
    if (!utf8_valid(s, n) && gb18030_like(s, n))
        return "文件不是 UTF-8 编码（看起来是 GBK）：" SAVE_AS
               " / the file is not UTF-8 (it looks like GBK): save it as 'CSV UTF-8 (comma "
               "delimited)'";
    return NULL;
}

/* Drops spaces (ASCII, no-break, ideographic) and byte-order marks around a header cell in
 * place: Excel keeps what was typed, and a BOM can come from files joined together. */
static size_t trim_header(char *f, size_t len)
{
    static const char *const pad[] = {" ", "\t", "\xc2\xa0", "\xe3\x80\x80", "\xef\xbb\xbf"};
    size_t a = 0, b = len;
    for (bool more = true; more;) {
        more = false;
        for (size_t k = 0; k < sizeof pad / sizeof pad[0]; k++) {
            size_t pl = strlen(pad[k]);
            if (b - a >= pl && memcmp(f + a, pad[k], pl) == 0)
                a += pl, more = true;
            if (b - a >= pl && memcmp(f + b - pl, pad[k], pl) == 0)
                b -= pl, more = true;
        }
    }
    memmove(f, f + a, b - a);
    return b - a;
}

/* ---- reading --------------------------------------------------------------------------------- */

static void on_field(void *data, size_t len, void *p)
{
    struct reader *r = p;
    size_t line = r->line + 1; /* the record this field belongs to, counted at its end */
    if (r->nfields == MAX_COLUMNS) {
        if (!r->row_bad)
            tc_refusals_add(r->ref, line, "", "", "超过 %d 列 / more than %d columns", MAX_COLUMNS,
                            MAX_COLUMNS);
        r->row_bad = true;
        return;
    }
    char *f = len <= TC_CSV_MAX_FIELD ? malloc(len + 1) : NULL; /* a huge field is not copied */
    if (f && len)
        memcpy(f, data, len);
    if (f && !r->header_done)
        len = trim_header(f, len);
    if (f)
        f[len] = '\0';
    if (!f || len > TC_CSV_MAX_FIELD || !tc_text_safe((const uint8_t *)f, len)) {
        size_t col = r->nfields + 1;
        if (!r->row_bad && len > TC_CSV_MAX_FIELD)
            tc_refusals_add(r->ref, line, "", "", "第 %zu 列超过 %d 字节 / column %zu: longer "
                            "than %d bytes", col, TC_CSV_MAX_FIELD, col, TC_CSV_MAX_FIELD);
        else if (!r->row_bad && !f)
            tc_refusals_add(r->ref, line, "", "", "内存不足 / out of memory");
        else if (!r->row_bad)
            tc_refusals_add(r->ref, line, "", "", "第 %zu 列不是有效的 UTF-8 文本（或含控制字符）"
                            " / column %zu: not valid UTF-8 text (or control characters)", col,
                            col);
        r->row_bad = true;
        free(f);
        f = NULL;
    }
    r->fields[r->nfields++] = f;
}

static void clear_fields(struct reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i]);
    r->nfields = 0;
    r->row_bad = false;
}

static bool column_optional(const char *c)
{
    return c[strlen(c) - 1] == '?';
}

/* A column is named "english|中文|中文..." (a trailing '?': optional); a header cell names it
 * by its English name in any ASCII case or by one of its Chinese names. */
static bool column_is(const char *want, const char *have)
{
    size_t hl = strlen(have);
    for (const char *p = want;; p++) {
        size_t n = strcspn(p, "|?");
        if (n == hl && (p == want ? strncasecmp(p, have, n) == 0 : memcmp(p, have, n) == 0))
            return true;
        p += n;
        if (*p != '|')
            return false;
    }
}

/* The English name of a column (its part up to '|' or '?'), and its first Chinese name. */
static void column_names(const char *c, char *en, size_t en_size, char *zh, size_t zh_size)
{
    size_t n = strcspn(c, "|?");
    snprintf(en, en_size, "%.*s", (int)n, c);
    const char *z = c[n] == '|' ? c + n + 1 : c + n;
    snprintf(zh, zh_size, "%.*s", (int)strcspn(z, "|?"), z);
}

static void header(struct reader *r)
{
    bool seen[MAX_COLUMNS] = {false};
    char en[40], zh[64], shown[TC_CSV_SHOWN];
    r->file_columns = r->nfields;
    for (size_t i = 0; i < r->nfields; i++) {
        r->map[i] = -1;
        for (size_t c = 0; r->fields[i] && c < r->ncolumns; c++)
            if (column_is(r->columns[c], r->fields[i])) {
                column_names(r->columns[c], en, sizeof en, zh, sizeof zh);
                if (seen[c]) {
                    tc_refusals_add(r->ref, 1, "", en, "表头中的列“%s”重复 / column repeated in "
                                    "the header: %s", tc_csv_shown(shown, r->fields[i]),
                                    shown);
                    r->header_bad = true;
                }
                r->map[i] = (int)c;
                seen[c] = true;
            }
        if (r->map[i] < 0 && r->fields[i]) {
            tc_csv_shown(shown, r->fields[i]);
            tc_refusals_add(r->ref, 1, "", "", "表头中的“%s”不是这种文件的列（见 docs/CSV.md） / "
                            "'%s' in the header is not a column of this file (docs/CSV.md)",
                            shown, shown);
            r->header_bad = true;
        }
        r->header_bad |= !r->fields[i]; /* refused in on_field */
    }
    for (size_t c = 0; c < r->ncolumns; c++)
        if (!seen[c] && !column_optional(r->columns[c])) {
            column_names(r->columns[c], en, sizeof en, zh, sizeof zh);
            tc_refusals_add(r->ref, 1, "", en, "表头缺少必需的列“%s”（%s） / required column "
                            "missing from the header: %s", zh, en, en);
            r->header_bad = true;
        }
}

/* A row Excel saved because its cells were formatted, with nothing in them. */
static bool row_empty(const struct reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (!r->fields[i] || r->fields[i][0])
            return false;
    return true;
}

static void on_row(int c, void *p)
{
    (void)c;
    struct reader *r = p;
    r->line++;
    if (!r->header_done) {
        header(r);
        r->header_done = true;
        clear_fields(r);
        return;
    }
    if (row_empty(r)) {
        clear_fields(r);
        return;
    }
    if (++r->rows > TC_CSV_MAX_ROWS) {
        if (r->rows == TC_CSV_MAX_ROWS + 1)
            tc_refusals_add(r->ref, r->line, "", "", "超过 %d 行 / more than %d rows",
                            TC_CSV_MAX_ROWS, TC_CSV_MAX_ROWS);
        clear_fields(r);
        return;
    }
    if (!r->row_bad && !r->header_bad) {
        if (r->nfields != r->file_columns) {
            tc_refusals_add(r->ref, r->line, "", "", "本行有 %zu 列，表头有 %zu 列 / %zu columns "
                            "where the header has %zu", r->nfields, r->file_columns, r->nfields,
                            r->file_columns);
        } else {
            const char *ordered[MAX_COLUMNS];
            for (size_t i = 0; i < r->ncolumns; i++)
                ordered[i] = "";
            for (size_t i = 0; i < r->nfields; i++)
                if (r->map[i] >= 0)
                    ordered[r->map[i]] = r->fields[i] ? r->fields[i] : "";
            r->row(r->ctx, r->line, ordered);
        }
    }
    clear_fields(r);
}

enum tc_err tc_csv_read_mem(const char *data, size_t len, const char *const *columns,
                            size_t ncolumns, tc_csv_row_fn row, void *ctx,
                            struct tc_refusals *refusals)
{
    if (len > TC_CSV_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    if (ncolumns > MAX_COLUMNS)
        return TC_ERR_ARG;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) /* "CSV UTF-8" starts with a BOM */
        data += 3, len -= 3;
    const char *foreign = foreign_encoding((const uint8_t *)data, len);
    if (foreign) {
        tc_refusals_add(refusals, 0, "", "", "%s", foreign);
        return TC_OK;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return TC_ERR_NOMEM;
    struct reader r;
    memset(&r, 0, sizeof r);
    r.columns = columns;
    r.ncolumns = ncolumns;
    r.row = row;
    r.ctx = ctx;
    r.ref = refusals;
    size_t done = csv_parse(&p, data, len, on_field, on_row, &r);
    if (done != len || csv_fini(&p, on_field, on_row, &r) != 0)
        tc_refusals_add(refusals, r.line + 1, "", "", "CSV 格式错误（多半是引号不成对） / CSV "
                        "syntax: %s", csv_strerror(csv_error(&p)));
    clear_fields(&r);
    csv_free(&p);
    if (!r.header_done)
        tc_refusals_add(refusals, 1, "", "", "文件是空的，没有表头行 / empty file: no header row");
    return TC_OK;
}

enum tc_err tc_csv_read(const char *path, const char *const *columns, size_t ncolumns,
                        tc_csv_row_fn row, void *ctx, struct tc_refusals *refusals)
{
    uint8_t *buf;
    size_t len;
    enum tc_err e = tc_file_read(path, TC_CSV_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return e;
    e = tc_csv_read_mem((const char *)buf, len, columns, ncolumns, row, ctx, refusals);
    free(buf);
    return e;
}

/* ---- refusals in line order ------------------------------------------------------------------ */

static int cmp_line(const void *a, const void *b)
{
    const struct tc_refusal *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

void tc_refusals_sort(struct tc_refusals *r)
{
    /* stable: a line's refusals keep their order (its fields, then its rules) */
    size_t n = r->n;
    struct tc_refusal *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return;
    for (size_t w = 1; w < n; w *= 2) /* bottom-up merge sort */
        for (size_t lo = 0; lo < n - w; lo += 2 * w) {
            size_t mid = lo + w, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = 0;
            while (i < mid || j < hi)
                tmp[k++] = j == hi || (i < mid && cmp_line(&r->v[i], &r->v[j]) <= 0) ? r->v[i++]
                                                                                     : r->v[j++];
            memcpy(&r->v[lo], tmp, k * sizeof *tmp);
        }
    free(tmp);
}

/* ---- cells ----------------------------------------------------------------------------------- */

const char *tc_csv_shown(char out[TC_CSV_SHOWN], const char *cell)
{
    size_t n = strlen(cell), max = TC_CSV_SHOWN - 4; /* room for "…" */
    if (n < TC_CSV_SHOWN) {
        memcpy(out, cell, n + 1);
        return out;
    }
    while (max > 0 && ((uint8_t)cell[max] & 0xC0) == 0x80) /* not inside a character */
        max--;
    memcpy(out, cell, max);
    memcpy(out + max, "\xe2\x80\xa6", 4);
    return out;
}

/* digits at *p, at least min and at most max of them */
static bool number(const char **p, int min, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && **p >= '0' && **p <= '9')
        *v = *v * 10 + (*(*p)++ - '0'), n++;
    return n >= min && !(**p >= '0' && **p <= '9');
}

static bool literal(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* The forms of a date: YYYY a M b D c, M and D of min..2 digits; a month stops after b. */
struct form {
    const char *a, *b, *c;
    int min;
};
static const struct form day_forms[] = {{"-", "-", "", 2}, {"/", "/", "", 1}, {"年", "月", "日", 1}};
static const struct form month_forms[] = {{"-", "", "", 2}, {"/", "", "", 1}, {"年", "月", "", 1}};

static bool form_parse(const char *s, const struct form *f, bool day, int *y, int *m, int *d)
{
    const char *p = s;
    *d = 1;
    if (!number(&p, 4, 4, y) || !literal(&p, f->a) || !number(&p, f->min, 2, m) ||
        !literal(&p, f->b))
        return false;
    if (day && (!number(&p, f->min, 2, d) || !literal(&p, f->c)))
        return false;
    return *p == '\0';
}

/* Whether any of the forms matches; y, m, d its parts (d 1 for a month). */
static bool any_form(const char *s, bool day, int *y, int *m, int *d)
{
    const struct form *f = day ? day_forms : month_forms;
    for (size_t i = 0; i < 3; i++)
        if (form_parse(s, &f[i], day, y, m, d))
            return true;
    return false;
}

/* What Excel writes for a date in a cell formatted as a number: its serial number (days since
 * 1900: five digits from 1927 to 2173), perhaps with a fraction of a day. */
static bool excel_serial(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n != 5)
        return false;
    if (s[n] == '.' && s[n + 1])
        n += 1 + strspn(s + n + 1, "0123456789");
    return s[n] == '\0';
}

static bool cell_date(int32_t *out, const char *cell, bool day, char *why, size_t why_size)
{
    int y, m, d;
    char shown[TC_CSV_SHOWN];
    tc_csv_shown(shown, cell);
    if (any_form(cell, day, &y, &m, &d)) {
        int32_t v;
        if (tc_day_index(&v, y, m, d)) {
            *out = day ? v : tc_month_index(y, m);
            return true;
        }
        snprintf(why, why_size, "“%s”不是日历上有的%s / '%s' is not a calendar %s", shown,
                 day ? "日期" : "月份", shown, day ? "day" : "month");
    } else if (excel_serial(cell)) {
        snprintf(why, why_size,
                 "单元格是数字（%s），不是%s：Excel 把这一列设成了数字格式；请把该列设为“文本”"
                 "后按 %s 重新输入 / the cell holds the number %s, not a %s: the column is "
                 "formatted as a number in Excel; format it as Text and enter %s again",
                 shown, day ? "日期" : "月份", day ? "2026-10-20" : "2026-11", shown,
                 day ? "date" : "month", day ? "2026-10-20" : "2026-11");
    } else if (!day && any_form(cell, true, &y, &m, &d)) {
        snprintf(why, why_size, "“%s”是日期，这一列要月份，如 2026-11 或 2026年11月 / '%s' is a "
                 "day; this column takes a month, e.g. 2026-11", shown, shown);
    } else {
        snprintf(why, why_size, "“%s”不是%s，请写 %s / '%s' is not a %s: write %s", shown,
                 day ? "日期" : "月份",
                 day ? "2026-10-20、2026/10/20 或 2026年10月20日" : "2026-11、2026/11 或 2026年11月",
                 shown, day ? "date" : "month",
                 day ? "2026-10-20, 2026/10/20 or 2026年10月20日" : "2026-11, 2026/11 or 2026年11月");
    }
    return false;
}

bool tc_csv_day(int32_t *day, const char *cell, char *why, size_t why_size)
{
    return cell_date(day, cell, true, why, why_size);
}

bool tc_csv_month(int32_t *month, const char *cell, char *why, size_t why_size)
{
    return cell_date(month, cell, false, why, why_size);
}

/* A number as Excel writes one it has taken over: 6.20102E+17, 620102199001011000 (15
 * significant digits, the rest zeros) or with decimals. */
static bool excel_mangled(const char *s)
{
    size_t n = strspn(s, "0123456789"), digits = n;
    bool frac = false, expo = false;
    if (n == 0)
        return false;
    if (s[n] == '.' && s[n + 1] >= '0' && s[n + 1] <= '9')
        frac = true, n += 1 + strspn(s + n + 1, "0123456789");
    if ((s[n] == 'E' || s[n] == 'e') && (s[n + 1] == '+' || (s[n + 1] >= '0' && s[n + 1] <= '9'))) {
        n += 1 + (s[n + 1] == '+');
        size_t e = strspn(s + n, "0123456789");
        expo = e > 0, n += e;
    }
    if (s[n] != '\0')
        return false;
    return expo || frac || (digits >= 15 && strcmp(s + digits - 3, "000") == 0);
}

bool tc_csv_idno(const char *cell, char *why, size_t why_size)
{
    char shown[TC_CSV_SHOWN];
    if (tc_idno_valid(cell))
        return true;
    if (excel_mangled(cell))
        snprintf(why, why_size,
                 "身份证号被 Excel 改成了数字（%s）：请把该列设为“文本”后重新输入 / Excel turned "
                 "the ID number into a number (%s): format the column as Text and enter the "
                 "numbers again",
                 tc_csv_shown(shown, cell), shown);
    else
        snprintf(why, why_size, "不是有效的身份证号码（GB 11643 校验位或出生日期不对） / not a "
                 "valid resident ID number (GB 11643 check or birth date)");
    return false;
}
