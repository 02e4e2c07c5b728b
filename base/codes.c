/*
 * codes.c - identifiers, text safety (and the reading of configuration and record lines, and of
 * base64), regions and the calendar.
 *
 * The check-character routines follow the standards' own definitions (GB 32100-2015 for the
 * Unified Social Credit Code, GB 11643-1999 / ISO 7064 MOD 11-2 for the resident ID number); the
 * vectors in data/check_vectors.csv exercise them. Dates use a proleptic Gregorian day count so
 * that no time zone or libc locale can change a certificate's meaning.
 */
#include <sodium.h>
#include <string.h>

#include "base.h"

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

static int uscc_value(char ch)
{
    const char *p = ch ? strchr(uscc_alphabet, ch) : NULL;
    return p ? (int)(p - uscc_alphabet) : -1;
}

bool tc_uscc_well_formed(const char *uscc)
{
    if (!uscc || strlen(uscc) != TC_USCC_LEN)
        return false;
    for (size_t i = 0; i < TC_USCC_LEN; i++)
        if (uscc_value(uscc[i]) < 0)
            return false;
    return true;
}

bool tc_uscc_valid(const char *uscc)
{
    if (!tc_uscc_well_formed(uscc))
        return false;
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += uscc_value(uscc[i]) * uscc_weights[i];
    int check = 31 - sum % 31;
    if (check == 31)
        check = 0;
    return uscc_value(uscc[17]) == check;
}

bool tc_idno_valid(const char *idno)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    if (!idno || strlen(idno) != TC_IDNO_LEN)
        return false;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (idno[i] < '0' || idno[i] > '9')
            return false;
        sum += (idno[i] - '0') * w[i];
    }
    if (idno[17] != map[sum % 11])
        return false;
    int y = (idno[6] - '0') * 1000 + (idno[7] - '0') * 100 + (idno[8] - '0') * 10 + (idno[9] - '0');
    int m = (idno[10] - '0') * 10 + (idno[11] - '0');
    int d = (idno[12] - '0') * 10 + (idno[13] - '0');
    int32_t day;
    return y >= 1800 && tc_day_index(&day, y, m, d);
}

enum tc_err tc_idno_mask(char mask[TC_ID_MASK_LEN + 1], const char *idno)
{
    if (!tc_idno_valid(idno))
        return TC_ERR_CODE;
    memcpy(mask, idno + 14, 4);
    mask[4] = '\0';
    return TC_OK;
}

void tc_idno_mask_display(char out[TC_IDNO_LEN + 1], const char *mask)
{
    memset(out, '*', 14);
    memcpy(out + 14, mask, 4);
    out[18] = '\0';
}

/* Decodes one UTF-8 sequence at s (len > 0); returns its length or 0 when invalid. */
static size_t utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
    uint8_t b = s[0];
    size_t n;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        n = 2, v = b & 0x1Fu, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, v = b & 0x0Fu, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, v = b & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool tc_text_safe(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0)
            return false;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return false; /* C0, DEL, C1 controls */
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
            cp == 0x200F || cp == 0x061C || cp == 0xFEFF)
            return false; /* bidi overrides, isolates, marks; BOM */
        if (cp == 0x2028 || cp == 0x2029 || (cp >= 0xFFF9 && cp <= 0xFFFB))
            return false; /* line/paragraph separators, interlinear annotation */
        i += n;
    }
    return true;
}

/* Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15): characters a
 * renderer shows as nothing. In a name they make two different byte strings look the same. */
static bool default_ignorable(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},   {0x115F, 0x1160},
        {0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x200B, 0x200F},   {0x202A, 0x202E},
        {0x2060, 0x206F},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},
        {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFF8},   {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
        {0xE0000, 0xE0FFF},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

bool tc_text_visible(const uint8_t *s, size_t len)
{
    if (!tc_text_safe(s, len))
        return false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0 || default_ignorable(cp))
            return false;
        i += n;
    }
    return true;
}

bool tc_region_valid(uint32_t region)
{
    /* 2, 4 or 6 significant digits; the first digit of a province code is 1..8. */
    if (region >= 10 && region <= 99)
        return region / 10 >= 1 && region / 10 <= 8;
    if (region >= 1000 && region <= 9999)
        return region % 100 != 0 && tc_region_valid(region / 100);
    if (region >= 100000 && region <= 999999)
        return region % 100 != 0 && tc_region_valid(region / 100);
    return false;
}

uint32_t tc_region_parse(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint32_t v = 0;
    if (n != 2 && n != 4 && n != 6)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    return tc_region_valid(v) ? v : 0;
}

uint32_t tc_region_code6(uint32_t region)
{
    if (region < 100)
        return region * 10000;
    if (region < 10000)
        return region * 100;
    return region;
}

bool tc_region_contains(uint32_t region, uint32_t code6)
{
    if (region < 100)
        return code6 / 10000 == region;
    if (region < 10000)
        return code6 / 100 == region;
    return code6 == region;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days from civil, after H. Hinnant's algorithm (public domain description). */
bool tc_day_index(int32_t *day, int year, int month, int mday)
{
    if (year < 1800 || year > 9999 || month < 1 || month > 12 || mday < 1 ||
        mday > mdays(year, month))
        return false;
    int y = month <= 2 ? year - 1 : year;
    int era = y / 400;
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + mday - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *day = (int32_t)(era * 146097 + doe - 719468);
    return true;
}

void tc_day_split(int32_t day, int *year, int *month, int *mday)
{
    /* 64-bit throughout: any int32 day index splits without overflow */
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(m <= 2 ? y + 1 : y);
    *month = (int)m;
    *mday = (int)d;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool tc_day_parse(int32_t *day, const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return false;
    return tc_day_index(day, y, m, d);
}

static void put_digits(char *out, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void tc_day_format(char out[11], int32_t day)
{
    int y, m, d;
    tc_day_split(day, &y, &m, &d);
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

int32_t tc_day_add_years(int32_t day, int years)
{
    int y, m, d;
    int32_t out;
    tc_day_split(day, &y, &m, &d);
    if (!tc_day_index(&out, y + years, m, d))
        tc_day_index(&out, y + years, 3, 1);
    return out;
}

int32_t tc_beijing_day(uint64_t unix_time)
{
    return (int32_t)((unix_time + 8 * 3600) / 86400);
}

int32_t tc_month_index(int year, int month)
{
    return (int32_t)year * 12 + month - 1;
}

bool tc_month_parse(int32_t *month, const char *s)
{
    int y, m;
    if (!s || strlen(s) != 7 || s[4] != '-')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || y < 1800 || m < 1 || m > 12)
        return false;
    *month = tc_month_index(y, m);
    return true;
}

void tc_month_format(char out[8], int32_t month)
{
    put_digits(out, (int)(month / 12), 4);
    out[4] = '-';
    put_digits(out + 5, (int)(month % 12) + 1, 2);
    out[7] = '\0';
}

bool tc_text_words(const char *s, size_t len, char *w, size_t most, size_t size, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ' || s[i] == '\t') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t k = i - start;
        if (!tc_text_safe((const uint8_t *)s + start, k))
            return false;
        if (*n < most) {
            k = k < size ? k : 0;
            memcpy(w + *n * size, s + start, k);
            w[*n * size + k] = '\0';
        }
        (*n)++;
    }
    return true;
}

enum tc_err tc_text_directive(const char *s, size_t len, const char *keyword, size_t min,
                              size_t max, char *w, size_t size, size_t *n)
{
    if (!tc_text_words(s, len, w, max, size, n))
        return TC_ERR_TEXT;
    if (*n == 0 || w[0] == '#') {
        *n = 0;
        return TC_OK;
    }
    return *n < min || *n > max || strcmp(w, keyword) != 0 ? TC_ERR_TYPE : TC_OK;
}

enum tc_err tc_text_lines(const char *text, size_t len,
                          enum tc_err (*fn)(void *ctx, const char *s, size_t len), void *ctx,
                          size_t *line)
{
    enum tc_err e = TC_OK;
    const char *p = text, *end = text + len;
    *line = 0;
    while (p < end && e == TC_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        ++*line;
        e = memchr(p, '\0', (size_t)(stop - p)) ? TC_ERR_TEXT : fn(ctx, p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    return e;
}

bool tc_parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

bool tc_line_next(const char **p, const char *end, const char **s, size_t *n)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        return false;
    *s = *p, *n = (size_t)(nl - *p), *p = nl + 1;
    return true;
}

bool tc_base64_decode(uint8_t *out, size_t cap, const char *s, size_t n, size_t *len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    const char *end;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(alphabet, s[i]))
            return false;
    return sodium_base642bin(out, cap, s, n, NULL, len, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           end == s + n;
}
