/*
 * qrmask.c - the choice of a QR symbol's mask pattern (ISO/IEC 18004 §7.8): libqrencode's
 * choice, made in a third of its time (a version-10 link's symbol in 165 µs instead of 490).
 *
 * libqrencode places the data, then applies each of the 8 mask patterns and scores the result a
 * module at a time: runs of 5 or more alike in a row or column (N1: 3, and 1 for each module
 * more), 2x2 blocks alike (N2: 3 each), a dark 1:1:3:1:1 run pattern with 4 light modules on one
 * side (N3: 40), and the dark share's distance from half (N4: 10 for each 5 %). That is most of
 * what a certificate's images cost (docs/DECISIONS.md "The QR code's mask chosen on bit sets").
 * Here libqrencode makes the symbol with mask 0 (QRcode_encodeMask), the data modules are
 * unmasked, and the 8 candidates are scored on rows and columns held as bit sets, where a run is
 * found a word at a time and a 2x2 block is a popcount. The score is libqrencode's to the integer,
 * its rounding of the dark share and its reading of the N3 rule included, and the first of equal
 * scores wins as there, so the symbol is the one QRcode_encodeInput makes, to the byte:
 * tests/test_cert_qr.c compares the two on every version and level.
 *
 * QRcode_encodeMask is not in libqrencode's header, and only a build of libqrencode with its
 * tests exports it (Debian's does). So it is looked up when first needed, not linked: a library
 * without it (or one whose fixed-mask symbol no longer matches its own choice on a known input,
 * checked then) leaves every symbol to QRcode_encodeInput, and no program fails to load.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qr_internal.h"

#define FORMAT_BITS 15

/* The 15-bit format information of error-correction level and mask: BCH(15,5), then XOR 0x5412
 * (ISO/IEC 18004 §7.9, annex C). */
static unsigned format_word(QRecLevel level, int mask)
{
    static const unsigned ec_bits[] = {1, 0, 3, 2}; /* L, M, Q, H */
    unsigned data = ec_bits[level & 3] << 3 | (unsigned)mask, rem = data << 10;
    for (int i = 14; i >= 10; i--)
        if (rem >> i & 1)
            rem ^= 0x537u << (i - 10);
    return ((data << 10) | rem) ^ 0x5412u;
}

/* Where bit i of the format information goes: two modules, (x0, y0) and (x1, y1). */
static void format_place(int width, int i, int *x0, int *y0, int *x1, int *y1)
{
    if (i < 8) {
        *x0 = width - 1 - i, *y0 = 8;
        *x1 = 8, *y1 = i < 6 ? i : i + 1;
    } else {
        i -= 8;
        *x0 = 8, *y0 = width - 7 + i;
        *x1 = i == 0 ? 7 : 6 - i, *y1 = 8;
    }
}

int tc_qr_mask_of(const QRcode *code)
{
    if (!code || code->width < 21 || code->width > 177)
        return -1;
    unsigned word = 0;
    for (int i = 0; i < FORMAT_BITS; i++) {
        int x0, y0, x1, y1;
        format_place(code->width, i, &x0, &y0, &x1, &y1);
        word |= (unsigned)(code->data[y0 * code->width + x0] & 1) << i;
    }
    for (int level = 0; level < 4; level++)
        for (int m = 0; m < 8; m++)
            if (format_word((QRecLevel)level, m) == word)
                return m;
    return -1;
}

#define WORDS 3   /* 177 modules a side at the most (version 40) */
#define PERIOD 12 /* every mask pattern repeats after 12 modules across and down */

struct line {
    uint64_t w[WORDS];
};

static bool bit(const struct line *l, int i)
{
    return (l->w[i >> 6] >> (i & 63)) & 1;
}

static void put(struct line *l, int i, bool v)
{
    uint64_t b = UINT64_C(1) << (i & 63);
    l->w[i >> 6] = v ? l->w[i >> 6] | b : l->w[i >> 6] & ~b;
}

/* bit i of the result is bit i + k of l (0 < k < 64) */
static struct line shr(const struct line *l, int k)
{
    struct line r;
    for (int j = 0; j < WORDS; j++)
        r.w[j] = l->w[j] >> k | (j + 1 < WORDS ? l->w[j + 1] << (64 - k) : 0);
    return r;
}

/* bits 0..n-1 */
static struct line first(int n)
{
    struct line r;
    for (int k = 0; k < WORDS; k++) {
        int m = n - 64 * k;
        r.w[k] = m >= 64 ? UINT64_MAX : m <= 0 ? 0 : (UINT64_C(1) << m) - 1;
    }
    return r;
}

/* Whether mask pattern m inverts the module in column x, row y (ISO/IEC 18004 table 10). */
static bool inverts(int m, int x, int y)
{
    switch (m) {
    case 0:
        return (x + y) % 2 == 0;
    case 1:
        return y % 2 == 0;
    case 2:
        return x % 3 == 0;
    case 3:
        return (x + y) % 3 == 0;
    case 4:
        return (y / 2 + x / 3) % 2 == 0;
    case 5:
        return (x * y) % 2 + (x * y) % 3 == 0;
    case 6:
        return ((x * y) % 2 + (x * y) % 3) % 2 == 0;
    default:
        return ((x * y) % 3 + (x + y) % 2) % 2 == 0;
    }
}

/* The patterns of one width, rows and columns, by position modulo PERIOD: made once a thread
 * for the width in use (a batch makes symbols of one version). */
struct patterns {
    int width;
    struct line row[8][PERIOD], col[8][PERIOD];
};

static const struct patterns *patterns_for(int width)
{
    static _Thread_local struct patterns p;
    if (p.width == width)
        return &p;
    memset(&p, 0, sizeof p);
    for (int m = 0; m < 8; m++)
        for (int r = 0; r < PERIOD; r++)
            for (int i = 0; i < width; i++) {
                put(&p.row[m][r], i, inverts(m, i, r));
                put(&p.col[m][r], i, inverts(m, r, i));
            }
    p.width = width;
    return &p;
}

/* N3 of one row or column, from its runs, as libqrencode counts it: the runs alternate light
 * and dark with a light one first (of length -1 when the line starts dark), so the dark ones are
 * at odd positions; a dark run of 3f between runs of f, f and f, f, with a run of 4f or more
 * beyond either end (or the third run of the line, or the line's end, there). */
static int score_finder_like(const int *run, int n)
{
    int s = 0;
    for (int i = 3; i < n - 2; i += 2) {
        if (run[i] % 3 != 0)
            continue;
        int f = run[i] / 3;
        if (run[i - 2] == f && run[i - 1] == f && run[i + 1] == f && run[i + 2] == f &&
            (i == 3 || run[i - 3] >= 4 * f || i + 4 >= n || run[i + 3] >= 4 * f))
            s += 40;
    }
    return s;
}

/* N1 and N3 of one row or column (its bits past width are 0). N1, 3 + (L - 5) for a run of
 * L >= 5, is the number of 5-module windows of one colour plus 2 for each run that has one. N3
 * needs runs of f, f, 3f, f, f: with f = 1 the modules 010111010 (the line's ends count as
 * light), with f >= 2 both 00 then six dark and six dark then 00; a line with neither (most) has
 * no N3 and its runs are not listed. */
static inline __attribute__((always_inline)) int score_line(const struct line *l, int width)
{
    struct line s1 = shr(l, 1), s2 = shr(l, 2), s3 = shr(l, 3), s4 = shr(l, 4), s5 = shr(l, 5),
                s6 = shr(l, 6), s7 = shr(l, 7), valid = first(width - 1);
    int score = 0;
    uint64_t carry = 0, one = 0, open = 0, close = 0;
    for (int k = 0; k < WORDS; k++) {
        uint64_t before = l->w[k] << 1 | (k ? l->w[k - 1] >> 63 : 0); /* module i - 1 */
        uint64_t six = s2.w[k] & s3.w[k] & s4.w[k] & s5.w[k] & s6.w[k] & s7.w[k];
        one |= ~before & l->w[k] & ~s1.w[k] & s2.w[k] & s3.w[k] & s4.w[k] & ~s5.w[k] & s6.w[k] &
               ~s7.w[k];
        open |= ~l->w[k] & ~s1.w[k] & six;                                   /* 00111111 */
        close |= l->w[k] & s1.w[k] & s2.w[k] & s3.w[k] & s4.w[k] & s5.w[k] & /* 11111100 */
                 ~s6.w[k] & ~s7.w[k];
    }
    bool finder_like = one || (open && close);
    /* windows of 5 alike: 4 "same as the next" in a row */
    struct line same, w5;
    for (int k = 0; k < WORDS; k++)
        same.w[k] = ~(l->w[k] ^ s1.w[k]) & valid.w[k];
    struct line t1 = shr(&same, 1), t2 = shr(&same, 2), t3 = shr(&same, 3);
    for (int k = 0; k < WORDS; k++) {
        w5.w[k] = same.w[k] & t1.w[k] & t2.w[k] & t3.w[k];
        uint64_t starts = w5.w[k] & ~(w5.w[k] << 1 | carry); /* a window with none just before */
        carry = w5.w[k] >> 63;
        score += __builtin_popcountll(w5.w[k]) + 2 * __builtin_popcountll(starts);
    }
    if (!finder_like)
        return score;
    int run[178], n = 0, start = 0;
    if (bit(l, 0))
        run[n++] = -1;
    for (int k = 0; k < WORDS; k++) {
        uint64_t d = (l->w[k] ^ s1.w[k]) & valid.w[k]; /* a run ends at module i */
        while (d) {
            int i = 64 * k + __builtin_ctzll(d);
            run[n++] = i - start + 1;
            start = i + 1;
            d &= d - 1;
        }
    }
    run[n++] = width - start;
    return score + score_finder_like(run, n);
}

/* N2: 3 for each 2x2 block of one colour. */
static inline __attribute__((always_inline)) int score_blocks(const struct line *rows, int width)
{
    struct line valid = first(width - 1);
    int s = 0;
    for (int y = 0; y + 1 < width; y++) {
        struct line a = rows[y], b = rows[y + 1], as = shr(&a, 1), v, vs;
        for (int k = 0; k < WORDS; k++)
            v.w[k] = ~(a.w[k] ^ b.w[k]);
        vs = shr(&v, 1);
        for (int k = 0; k < WORDS; k++)
            s += 3 * __builtin_popcountll(v.w[k] & vs.w[k] & ~(a.w[k] ^ as.w[k]) & valid.w[k]);
    }
    return s;
}

struct symbol {
    int width;
    struct line raw_row[177], data_row[177], raw_col[177], data_col[177];
};

/* One candidate's lines: the raw modules, the data ones inverted where mask m says, the format
 * information of level and m written over. */
static void candidate(const struct symbol *sy, const struct patterns *p, int m, unsigned fmt,
                      struct line *rows, struct line *cols)
{
    int w = sy->width;
    for (int i = 0; i < w; i++)
        for (int k = 0; k < WORDS; k++) {
            rows[i].w[k] =
                sy->raw_row[i].w[k] ^ (p->row[m][i % PERIOD].w[k] & sy->data_row[i].w[k]);
            cols[i].w[k] =
                sy->raw_col[i].w[k] ^ (p->col[m][i % PERIOD].w[k] & sy->data_col[i].w[k]);
        }
    for (int i = 0; i < FORMAT_BITS; i++) {
        int x0, y0, x1, y1;
        bool v = fmt >> i & 1;
        format_place(w, i, &x0, &y0, &x1, &y1);
        put(&rows[y0], x0, v), put(&cols[x0], y0, v);
        put(&rows[y1], x1, v), put(&cols[x1], y1, v);
    }
}

/* made twice, with the POPCNT instruction and without, the one the processor has chosen at load */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("popcnt", "default")))
#endif
#endif
static int
mask_score(const struct symbol *sy, const struct line *rows, const struct line *cols)
{
    int w = sy->width, dark = 0, s;
    for (int i = 0; i < w; i++)
        for (int k = 0; k < WORDS; k++)
            dark += __builtin_popcountll(rows[i].w[k]);
    int all = w * w, share = (200 * dark + all) / all / 2; /* percent, rounded */
    s = abs(share - 50) / 5 * 10 + score_blocks(rows, w);
    for (int i = 0; i < w; i++)
        s += score_line(&rows[i], w) + score_line(&cols[i], w);
    return s;
}

/* libqrencode's symbol with a given mask, when it exports one */
typedef QRcode *encode_mask_fn(QRinput *input, int mask);
static encode_mask_fn *encode_mask;
static pthread_once_t looked_up = PTHREAD_ONCE_INIT;

static QRcode *fast(QRinput *in)
{
    QRcode *code = encode_mask(in, 0);
    struct symbol *sy = code ? calloc(1, sizeof *sy) : NULL;
    struct line *rows = sy ? malloc(2 * 177 * sizeof *rows) : NULL;
    if (!rows) {
        free(sy);
        if (code)
            QRcode_free(code), errno = ENOMEM;
        return NULL;
    }
    int w = code->width, best = 0, best_score = 0;
    QRecLevel level = QRinput_getErrorCorrectionLevel(in);
    struct line *cols = rows + 177;
    sy->width = w;
    /* the modules before masking: the data modules (bit 7 clear) of mask 0's symbol inverted
     * back where mask 0 inverted them */
    const struct patterns *p = patterns_for(w);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            uint64_t b = code->data[y * w + x], data = !(b & 0x80), v = b & 1;
            sy->raw_row[y].w[x >> 6] |= v << (x & 63), sy->raw_col[x].w[y >> 6] |= v << (y & 63);
            sy->data_row[y].w[x >> 6] |= data << (x & 63);
            sy->data_col[x].w[y >> 6] |= data << (y & 63);
        }
    for (int i = 0; i < w; i++)
        for (int k = 0; k < WORDS; k++) {
            sy->raw_row[i].w[k] ^= p->row[0][i % PERIOD].w[k] & sy->data_row[i].w[k];
            sy->raw_col[i].w[k] ^= p->col[0][i % PERIOD].w[k] & sy->data_col[i].w[k];
        }
    for (int m = 0; m < 8; m++) {
        candidate(sy, p, m, format_word(level, m), rows, cols);
        int s = mask_score(sy, rows, cols);
        if (m == 0 || s < best_score)
            best = m, best_score = s;
    }
    /* mask 0's symbol turned into the best one: its data modules, then its format information */
    for (int y = 0; y < w && best; y++)
        for (int k = 0; k < WORDS; k++) {
            uint64_t flip =
                (p->row[0][y % PERIOD].w[k] ^ p->row[best][y % PERIOD].w[k]) & sy->data_row[y].w[k];
            for (; flip; flip &= flip - 1)
                code->data[y * w + 64 * k + __builtin_ctzll(flip)] ^= 1;
        }
    unsigned fmt = format_word(level, best);
    for (int i = 0; i < FORMAT_BITS; i++) {
        int x0, y0, x1, y1;
        format_place(w, i, &x0, &y0, &x1, &y1);
        uint8_t v = (uint8_t)(fmt >> i & 1);
        code->data[y0 * w + x0] = (uint8_t)((code->data[y0 * w + x0] & ~1u) | v);
        code->data[y1 * w + x1] = (uint8_t)((code->data[y1 * w + x1] & ~1u) | v);
    }
    free(rows);
    free(sy);
    return code;
}

/* A known input at two levels, each made both ways: the same bytes, or the fast way is not used. */
static bool agrees(void)
{
    static const char digits[] = "31415926535897932384626433832795028841971693993751058209749445"
                                 "92307816406286208998628034825342117067982148086513282306647093";
    bool same = true;
    for (int level = QR_ECLEVEL_M; level <= QR_ECLEVEL_H && same; level += 2) {
        QRinput *in[2] = {QRinput_new2(0, (QRecLevel)level), QRinput_new2(0, (QRecLevel)level)};
        QRcode *code[2] = {NULL, NULL};
        for (int k = 0; k < 2; k++)
            if (in[k] &&
                QRinput_append(in[k], QR_MODE_AN, 20,
                               (const unsigned char *)"HTTPS://EXAMPLE.CN/V") == 0 &&
                QRinput_append(in[k], QR_MODE_8, 5, (const unsigned char *)"#TC1:") == 0 &&
                QRinput_append(in[k], QR_MODE_NUM, (int)strlen(digits),
                               (const unsigned char *)digits) == 0)
                code[k] = k ? fast(in[k]) : QRcode_encodeInput(in[k]);
        same = code[0] && code[1] && code[0]->width == code[1]->width &&
               memcmp(code[0]->data, code[1]->data,
                      (size_t)code[0]->width * (size_t)code[0]->width) == 0;
        for (int k = 0; k < 2; k++)
            QRcode_free(code[k]), QRinput_free(in[k]);
    }
    return same;
}

static void look_up(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "QRcode_encodeMask");
    memcpy(&encode_mask, &sym, sizeof sym); /* POSIX: a function's address from dlsym */
    if (encode_mask && !agrees())
        encode_mask = NULL;
}

bool tc_qr_mask_fast(void)
{
    pthread_once(&looked_up, look_up);
    return encode_mask != NULL;
}

QRcode *tc_qr_encode_input(QRinput *in)
{
    return tc_qr_mask_fast() ? fast(in) : QRcode_encodeInput(in);
}
