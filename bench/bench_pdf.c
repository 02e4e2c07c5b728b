/*
 * bench_pdf.c - e-certificates (A4) per second and CPU per PDF, against a baseline measured in
 * the same run: the same page's text (the same strings, font and sizes, one pango layout each,
 * no fitting) and its QR code (encoded, drawn as a 1-bit image mask), with no seal, frame or
 * metadata. That is the least any page carrying this content costs; the e-certificate adds the
 * layout's fitting, the frame, the metadata and the seal. The baseline runs twice: at the
 * e-certificate's zlib level (the ratio with the goal: what the page adds, compression alike)
 * and at zlib's default, which cairo uses when nothing else is said (what a plain cairo program
 * would cost).
 *
 * The workloads - the two baselines, the e-certificate with the demo's SVG seal and with a 512
 * px PNG seal (made at start-up from the same SVG, as a province would upload one) - run on one
 * thread, one PDF of each in turn, each PDF timed alone (wall and thread CPU time); a round is
 * `count` PDFs of each, every ratio is taken within a round and printed as min / median / max
 * over the rounds, so load from other processes falls on all the workloads of a round alike.
 * Then 2 threads against 1, alternating runs; then, with --levels, the e-certificate at each
 * zlib level, interleaved the same way. Files go to /dev/shm and are removed as they are
 * measured. Every PDF draws the next of 1,000 certificates, each name different, so an engine
 * can reuse from page to page only what a batch's pages share (the seal's compressed streams,
 * issuer/pdfdeflate.c), never a repeated page's; the input reused a PDF is printed. The harness
 * also builds against trees from before the zlib level setting (the before/after table in
 * docs/DECISIONS.md was made so): there everything runs at zlib's default.
 *
 * usage: bench_pdf [--count N] [--rounds R] [--levels]
 *        (default 100 PDFs a workload a round, 5 rounds; run from the source tree or set
 *        TC_DATA_DIR)
 */
#include <cairo-pdf.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tests/fixtures.h"
#include "issuer.h"

#define BASE_URL "https://zcyz.rst.gansu.gov.cn"
#define MAX_ROUNDS 50
#define PNG_SEAL_PX 512

static const char FONT[] = "AR PL UMing CN, Noto Serif CJK SC, serif";

enum work { BASELINE, BASELINE_ZLIB, SVG_SEAL, PNG_SEAL, NWORK };
static const char *const work_name[NWORK] = {"baseline", "baseline, zlib default",
                                             "e-certificate, SVG seal", "e-certificate, PNG seal"};

#ifdef TC_PDF_DEFLATE_LEVEL
#define ECERT_LEVEL TC_PDF_DEFLATE_LEVEL
#define AUTO_LEVEL TC_PDF_DEFLATE_AUTO
static const bool have_levels = true;
#else
/* a tree from before the level setting (the before/after table runs this harness on it):
 * everything at zlib's default */
#define ECERT_LEVEL (-1)
#define AUTO_LEVEL (-1)
static const bool have_levels = false;
static int tc_pdf_deflate_level(int level)
{
    return level;
}
#endif
/* the zlib level each workload runs at: the baseline at the e-certificate's and at zlib's
 * default (which cairo uses when nothing else is said) */
static const int work_level[NWORK] = {ECERT_LEVEL, -1, AUTO_LEVEL, AUTO_LEVEL};

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static struct tc_profile profile;
static struct buf seal_svg, seal_png;
static size_t count = 100;
/* the certificates drawn, NCERTS of them, each PDF the next (cert_next): no page repeats the
 * one a few pages before, so what an engine keeps from page to page (pdfdeflate.c) is only
 * what every certificate of a batch shares, the seal, never a repeated certificate's text */
#define NCERTS 1000
static struct tc_claims *claims;
static char (*links)[TC_LINK_MAX + 1];
static atomic_size_t cert_next;
static char dir[64];

/* one per thread, kept across rounds: font maps load once, and the engine's seal stays warm */
struct worker {
    struct tc_pdf_engine *g;
    PangoFontMap *fm;
    PangoContext *pc;
    int t;
};
static struct worker workers[2];

struct run {
    enum work w;
    int level;
    atomic_size_t next;
    long *sizes; /* bytes of each file, or NULL */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show(cairo_t *cr, PangoLayout *l, PangoFontDescription *fd, const char *s, double x,
                 double y, double w, double size)
{
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    pango_layout_set_text(l, s, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
}

/* The page's texts as the e-certificate words them (issuer/pdf.c), at its sizes, stacked. */
static void baseline_text(cairo_t *cr, PangoContext *pc, const struct tc_claims *c)
{
    PangoLayout *l = pango_layout_new(pc);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    const struct tc_title *t = tc_title_lookup(c->series, c->level, c->title_variant);
    char v[12][160], day[11], m1[8], m2[8], zh[256], en[256], line[640];
    static const char *const label[12] = {"姓　　名",     "身份证号",   "系　　列", "专　　业",
                                          "职称（级别）", "类　　别",   "取得方式", "取得日期",
                                          "工作单位",     "评审委员会", "证书编号", "发证日期"};
    snprintf(v[0], sizeof v[0], "%s", c->name);
    snprintf(v[1], sizeof v[1], "**************%s", c->id_mask);
    snprintf(v[2], sizeof v[2], "%s", t ? t->series_name : "");
    snprintf(v[3], sizeof v[3], "%s", c->specialty);
    snprintf(v[4], sizeof v[4], "%s（%s）", t ? t->title : "", tc_level_name_zh(c->level));
    snprintf(v[5], sizeof v[5], "%s", tc_track_name_zh(c->track));
    snprintf(v[6], sizeof v[6], "%s，评审年度 %u", tc_method_name_zh(c->method), c->eval_year);
    tc_day_format(day, c->obtained_day);
    tc_month_format(m1, c->tenure_month);
    snprintf(v[7], sizeof v[7], "%s，任职起始 %s", day, m1);
    snprintf(v[8], sizeof v[8], "临夏州人民医院");
    snprintf(v[9], sizeof v[9], "甘肃省卫生系列高级职称评审委员会（备案号 %u）", c->committee);
    snprintf(v[10], sizeof v[10], "%llu", (unsigned long long)c->id);
    tc_day_format(day, tc_beijing_day(c->issued_at));
    snprintf(v[11], sizeof v[11], "%s", day);
    show(cr, l, fd, "专业技术职务任职资格电子证书", 54, 60, 487, 24);
    snprintf(line, sizeof line, "%s统一监制", profile.operator_zh);
    show(cr, l, fd, line, 54, 98, 487, 10.5);
    for (int i = 0; i < 12; i++) {
        show(cr, l, fd, label[i], 54, 130 + 22 * i, 92, 11);
        show(cr, l, fd, v[i], 154, 130 + 22 * i, 387, i == 0 ? 16 : 12);
    }
    tc_scope_words(&c->scope, profile.name, profile.name_en, zh, sizeof zh, en, sizeof en);
    snprintf(line, sizeof line, "%s有效", zh);
    show(cr, l, fd, line, 64, 410, 467, 17);
    tc_month_format(m2, c->conv.earliest_month);
    snprintf(line, sizeof line,
             "定向评价、定向使用：离开基层单位后不再有效。最早 %s 可申请换发全省统一职称：基层单位"
             "累计聘满 %u 个月，每年继续教育 %u 学时，年度考核合格，经全省统一评审委员会评审。",
             m2, c->conv.months_required, c->conv.ce_hours);
    show(cr, l, fd, line, 64, 440, 467, 10.5);
    show(cr, l, fd, BASE_URL "/v", 54, 732, 190, 8);
    snprintf(line, sizeof line, "证书编号 %llu", (unsigned long long)c->id);
    show(cr, l, fd, line, 54, 744, 190, 9);
    show(cr, l, fd, "甘肃省卫生健康委员会", 321, 630, 220, 13);
    int yy, mm, dd;
    tc_day_split(tc_beijing_day(c->issued_at), &yy, &mm, &dd);
    snprintf(line, sizeof line, "%d年%d月%d日", yy, mm, dd);
    show(cr, l, fd, line, 321, 652, 220, 12);
    snprintf(line, sizeof line,
             "核验方式：用手机相机扫描二维码，或访问 %s/ 上传二维码图片，查看本证书的真伪、"
             "状态及在所在单位是否适用。电子证书与纸质证书具有同等效力。",
             BASE_URL);
    show(cr, l, fd, line, 54, 762, 487, 8.5);
    pango_font_description_free(fd);
    g_object_unref(l);
}

/* The QR code at its place and size, as a 1-bit image mask (the cheapest form cairo writes). */
static void baseline_qr(cairo_t *cr, const char *link)
{
    struct tc_qr qr;
    if (tc_qr_encode(&qr, link, TC_QR_M) != TC_OK)
        exit(1);
    int n = qr.width + 8;
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A1, n, n);
    uint32_t *d = (uint32_t *)cairo_image_surface_get_data(m);
    int words = cairo_image_surface_get_stride(m) / 4;
    for (int r = 0; r < qr.width; r++)
        for (int c = 0; c < qr.width; c++)
            if (qr.data[r * qr.width + c] & 1)
                d[(r + 4) * words + (c + 4) / 32] |= 1u << ((c + 4) % 32);
    cairo_surface_mark_dirty(m);
    cairo_save(cr);
    cairo_translate(cr, 54, 575);
    cairo_scale(cr, 150.0 / n, 150.0 / n);
    cairo_pattern_t *p = cairo_pattern_create_for_surface(m);
    cairo_pattern_set_filter(p, CAIRO_FILTER_NEAREST);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_mask(cr, p);
    cairo_pattern_destroy(p);
    cairo_restore(cr);
    cairo_surface_destroy(m);
    tc_qr_free(&qr);
}

static void baseline_one(struct worker *w, const char *path, size_t i)
{
    cairo_surface_t *s = cairo_pdf_surface_create(path, 595.28, 841.89);
    cairo_t *cr = cairo_create(s);
    pango_cairo_update_context(cr, w->pc);
    baseline_text(cr, w->pc, &claims[i]);
    baseline_qr(cr, links[i]);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        exit(1);
    cairo_surface_destroy(s);
}

static void ecert_one(struct worker *w, const char *path, size_t i, const struct buf *seal,
                      bool svg)
{
    char why[640];
    struct tc_pdf_cert in = {&claims[i],
                             links[i],
                             BASE_URL,
                             &profile,
                             "甘肃省卫生系列高级职称评审委员会",
                             "甘肃省卫生健康委员会",
                             seal->p,
                             seal->len,
                             svg,
                             "临夏州人民医院",
                             NULL,
                             TC_PDF_VALID,
                             0,
                             0};
    if (tc_pdf_write(w->g, &in, path, NULL, why, sizeof why) != TC_OK) {
        fprintf(stderr, "bench_pdf: %s\n", why);
        exit(1);
    }
}

struct thread_arg {
    struct run *r;
    struct worker *w;
};

/* per workload: input bytes of streams the engine handed out compressed from an earlier page
 * (the seal's; pdfdeflate.c), and PDFs written */
static _Atomic uint64_t reused[NWORK], written[NWORK];

/* one PDF of workload w at zlib level `level` (AUTO_LEVEL: the e-certificate's own choice) to
 * path; its size into *size */
static void one_pdf(struct worker *wk, enum work w, int level, size_t i, long *size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%d-%zu.pdf", dir, wk->t, i);
    tc_pdf_deflate_level(level);
    uint64_t was = tc_pdf_engine_reused(wk->g);
    size_t c = atomic_fetch_add(&cert_next, 1) % NCERTS;
    if (w == BASELINE || w == BASELINE_ZLIB)
        baseline_one(wk, path, c);
    else
        ecert_one(wk, path, c, w == SVG_SEAL ? &seal_svg : &seal_png, w == SVG_SEAL);
    atomic_fetch_add(&reused[w], tc_pdf_engine_reused(wk->g) - was);
    atomic_fetch_add(&written[w], 1);
    tc_pdf_deflate_level(AUTO_LEVEL);
    struct stat st;
    if (size && stat(path, &st) == 0)
        *size = (long)st.st_size;
    unlink(path);
}

static void *work(void *p)
{
    const struct thread_arg *a = p;
    for (;;) {
        size_t i = atomic_fetch_add(&a->r->next, 1);
        if (i >= count)
            break;
        one_pdf(a->w, a->r->w, a->r->level, i, a->r->sizes ? &a->r->sizes[i] : NULL);
    }
    return NULL;
}

struct sample {
    double per_s;  /* PDFs per second of wall time */
    double cpu_ms; /* process CPU per PDF */
};

static struct sample run_at(enum work w, int level, int threads, long *sizes)
{
    pthread_t th[2];
    struct thread_arg a[2];
    struct run r = {.w = w, .level = level, .sizes = sizes};
    atomic_store(&r.next, 0);
    double t0 = wall_now(), c0 = cpu_now();
    for (int t = 0; t < threads; t++) {
        a[t].r = &r, a[t].w = &workers[t];
        if (pthread_create(&th[t], NULL, work, &a[t]) != 0)
            exit(1);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    struct sample s = {(double)count / (wall_now() - t0), (cpu_now() - c0) * 1e3 / (double)count};
    return s;
}

static struct sample run(enum work w, int threads, long *sizes)
{
    return run_at(w, work_level[w], threads, sizes);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct mmm {
    double min, median, max;
};

static struct mmm stats(const double *v, size_t n)
{
    double s[MAX_ROUNDS * 200];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    struct mmm m = {s[0], n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, s[n - 1]};
    return m;
}

static struct mmm size_stats(const long *sizes)
{
    double kb[MAX_ROUNDS * 200];
    size_t n = count < MAX_ROUNDS * 200 ? count : MAX_ROUNDS * 200;
    for (size_t i = 0; i < n; i++)
        kb[i] = (double)sizes[i] / 1024;
    return stats(kb, n);
}

/* what is measured: a workload at a zlib level */
struct variant {
    enum work w;
    int level;
};
#define MAX_VARIANTS 16

/* per variant and round: PDFs per second of wall time, CPU ms per PDF; sizes of the files */
struct tally {
    double per_s[MAX_VARIANTS][MAX_ROUNDS], cpu[MAX_VARIANTS][MAX_ROUNDS];
    long *sizes[MAX_VARIANTS];
};

/* Rounds of `count` PDFs of every variant on this thread, one PDF of each in turn (the order
 * rotating), each timed alone: load from other processes falls on all the variants of a round
 * alike. A round's PDF/s is 1 / its median wall time per PDF, so that a PDF descheduled
 * halfway does not stand for the others; CPU per PDF is the mean of thread CPU time, which a
 * wait does not inflate. */
static void interleave(const struct variant *v, int nv, int rounds, struct tally *t)
{
    double *wall = calloc((size_t)nv * count, sizeof *wall);
    if (!wall)
        exit(1);
    for (int j = 0; j < nv; j++)
        t->sizes[j] = calloc(count, sizeof(long));
    for (int r = 0; r < rounds; r++) {
        double cpu[MAX_VARIANTS] = {0};
        for (size_t i = 0; i < count; i++)
            for (int k = 0; k < nv; k++) {
                int j = (int)((k + i + (size_t)r) % (size_t)nv);
                double w0 = wall_now(), c0 = thread_cpu_now();
                one_pdf(&workers[0], v[j].w, v[j].level, i, &t->sizes[j][i]);
                wall[(size_t)j * count + i] = wall_now() - w0;
                cpu[j] += thread_cpu_now() - c0;
            }
        for (int j = 0; j < nv; j++) {
            t->per_s[j][r] = 1 / stats(&wall[(size_t)j * count], count).median;
            t->cpu[j][r] = cpu[j] * 1e3 / (double)count;
        }
    }
    free(wall);
}

static void print_ratios(const char *what, int w, int base, int rounds, const struct tally *t)
{
    double by_rate[MAX_ROUNDS], by_cpu[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++)
        by_rate[r] = t->per_s[w][r] / t->per_s[base][r], by_cpu[r] = t->cpu[base][r] / t->cpu[w][r];
    struct mmm q = stats(by_rate, (size_t)rounds), c = stats(by_cpu, (size_t)rounds);
    printf("  %-48s %4.2f / %4.2f / %4.2f   %4.2f / %4.2f / %4.2f\n", what, q.min, q.median, q.max,
           c.min, c.median, c.max);
}

/* 1 thread, the workloads interleaved PDF by PDF */
static void workloads(int rounds)
{
    static struct tally t;
    struct variant v[NWORK];
    for (int w = 0; w < NWORK; w++)
        v[w].w = (enum work)w, v[w].level = work_level[w];
    interleave(v, NWORK, rounds, &t);
    printf("  1 thread, min / median / max  PDF/s                    CPU ms per PDF         "
           "KB per file\n");
    for (int w = 0; w < NWORK; w++) {
        struct mmm p = stats(t.per_s[w], (size_t)rounds), c = stats(t.cpu[w], (size_t)rounds);
        struct mmm k = size_stats(t.sizes[w]);
        printf("  %-28s %6.1f / %6.1f / %6.1f   %5.2f / %5.2f / %5.2f     %4.1f / %4.1f / %4.1f\n",
               work_name[w], p.min, p.median, p.max, c.min, c.median, c.max, k.min, k.median,
               k.max);
    }
    printf("  ratio to the same round's baseline, min / median / max:   by PDF/s             by "
           "CPU per PDF\n");
    print_ratios("SVG seal (goal >= 0.8)", SVG_SEAL, BASELINE, rounds, &t);
    print_ratios("PNG seal (goal >= 0.8)", PNG_SEAL, BASELINE, rounds, &t);
    print_ratios("SVG seal, to the baseline at zlib's default", SVG_SEAL, BASELINE_ZLIB, rounds,
                 &t);
    print_ratios("PNG seal, to the baseline at zlib's default", PNG_SEAL, BASELINE_ZLIB, rounds,
                 &t);
    printf("  largest file: SVG seal %.1f KB, PNG seal %.1f KB (goal <= 80 KB)\n",
           size_stats(t.sizes[SVG_SEAL]).max, size_stats(t.sizes[PNG_SEAL]).max);
    printf("  stream input compressed once and handed out again, a PDF: SVG seal %.1f KB, PNG "
           "seal %.1f KB\n",
           written[SVG_SEAL] ? (double)reused[SVG_SEAL] / 1e3 / (double)written[SVG_SEAL] : 0.0,
           written[PNG_SEAL] ? (double)reused[PNG_SEAL] / 1e3 / (double)written[PNG_SEAL] : 0.0);
    for (int w = 0; w < NWORK; w++)
        free(t.sizes[w]);
}

/* the e-certificate (SVG seal) on 2 threads against 1, alternating */
static void scaling(int rounds)
{
    double up[MAX_ROUNDS], one[MAX_ROUNDS], two[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        struct sample a, b;
        if (r % 2) {
            b = run(SVG_SEAL, 2, NULL);
            a = run(SVG_SEAL, 1, NULL);
        } else {
            a = run(SVG_SEAL, 1, NULL);
            b = run(SVG_SEAL, 2, NULL);
        }
        one[r] = a.per_s, two[r] = b.per_s, up[r] = b.per_s / a.per_s;
    }
    struct mmm o = stats(one, (size_t)rounds), t = stats(two, (size_t)rounds);
    struct mmm u = stats(up, (size_t)rounds);
    printf("  2 threads against 1 (SVG seal; the cores are shared with whatever else runs):\n"
           "  %6.1f / %6.1f / %6.1f PDF/s on 1 thread, %6.1f / %6.1f / %6.1f on 2: "
           "x%.2f / x%.2f / x%.2f (goal >= 1.9)\n",
           o.min, o.median, o.max, t.min, t.median, t.max, u.min, u.median, u.max);
}

/* the e-certificate at each zlib level, with either seal, interleaved PDF by PDF */
static void levels(int rounds)
{
    static const int level[] = {1, 2, 3, 4, 5, 6, 9};
    enum { NL = sizeof level / sizeof level[0] };
    static struct tally t;
    struct variant v[2 * NL];
    for (int l = 0; l < NL; l++)
        v[2 * l] = (struct variant){SVG_SEAL, level[l]},
              v[2 * l + 1] = (struct variant){PNG_SEAL, level[l]};
    interleave(v, 2 * NL, rounds, &t);
    printf("  zlib level (e-certificate, 1 thread): CPU ms per PDF min / median / max, KB median "
           "and largest\n");
    for (int l = 0; l < NL; l++) {
        struct mmm a = stats(t.cpu[2 * l], (size_t)rounds);
        struct mmm b = stats(t.cpu[2 * l + 1], (size_t)rounds);
        struct mmm ka = size_stats(t.sizes[2 * l]), kb = size_stats(t.sizes[2 * l + 1]);
        printf("  level %d%-9s SVG seal %5.2f / %5.2f / %5.2f ms %4.1f %4.1f KB   PNG seal %5.2f / "
               "%5.2f / %5.2f ms %4.1f %4.1f KB\n",
               level[l], level[l] == ECERT_LEVEL ? " (chosen)" : "", a.min, a.median, a.max,
               ka.median, ka.max, b.min, b.median, b.max, kb.median, kb.max);
        free(t.sizes[2 * l]);
        free(t.sizes[2 * l + 1]);
    }
}

static cairo_status_t png_append(void *closure, const unsigned char *data, unsigned int length)
{
    struct buf *b = closure;
    if (b->cap - b->len < length) {
        size_t cap = (b->len + length) * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return CAIRO_STATUS_NO_MEMORY;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, length);
    b->len += length;
    return CAIRO_STATUS_SUCCESS;
}

/* the demo's SVG seal rasterised at 512 px with its transparency, as a province would upload */
static bool make_png_seal(void)
{
    GError *err = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(seal_svg.p, seal_svg.len, &err);
    if (!h) {
        g_clear_error(&err);
        return false;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, PNG_SEAL_PX, PNG_SEAL_PX);
    cairo_t *cr = cairo_create(s);
    RsvgRectangle vp = {0, 0, PNG_SEAL_PX, PNG_SEAL_PX};
    bool ok = rsvg_handle_render_document(h, cr, &vp, &err);
    g_clear_error(&err);
    cairo_destroy(cr);
    ok = ok && cairo_surface_write_to_png_stream(s, png_append, &seal_png) == CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(s);
    g_object_unref(h);
    return ok;
}

static bool load_inputs(void)
{
    const char *data = getenv("TC_DATA_DIR") ? getenv("TC_DATA_DIR") : "data";
    char path[1024], json[65536];
    snprintf(path, sizeof path, "%s/profiles/GS.json", data);
    FILE *f = fopen(path, "r");
    size_t jlen = f ? fread(json, 1, sizeof json, f) : 0;
    if (f)
        fclose(f);
    const char *why;
    snprintf(path, sizeof path, "%s/samples/demo-seal.svg", data);
    return tc_profile_parse(&profile, json, jlen, &why) == TC_OK &&
           tc_file_read(path, TC_PDF_SEAL_MAX, &seal_svg.p, &seal_svg.len) == TC_OK &&
           make_png_seal();
}

/* certificates as issued: signed, their own links, names and specialties varying */
static bool make_certificates(void)
{
    static const char *const names[] = {"马明", "欧阳娜娜", "阿卜杜热合曼·买买提", "王芳",
                                        "李四海"};
    static const char surnames[] = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
    static const char given[] = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建"
                                "文辉力志永春梅琳燕海宁";
    static const char *const specs[] = {"外科学", "内科学", "中西医结合临床医学心血管内科",
                                        "护理学"};
    claims = calloc(NCERTS, sizeof *claims);
    links = calloc(NCERTS, sizeof *links);
    if (!claims || !links)
        return false;
    struct fx_key key;
    fx_key(&key, 3);
    for (size_t i = 0; i < NCERTS; i++) {
        fx_basic(&claims[i]);
        claims[i].id = 260000000 + i;
        /* every name a different one, as in a real batch: the font subset cairo embeds (and
         * compresses) differs from page to page, and no page's streams repeat but the seal's */
        if (i % 5 == 0)
            snprintf(claims[i].name, sizeof claims[i].name, "%s", names[(i / 5) % 5]);
        else
            snprintf(claims[i].name, sizeof claims[i].name, "%.3s%.3s%.3s", surnames + 3 * (i % 20),
                     given + 3 * ((i / 20) % 40), given + 3 * ((i / 800 + i) % 40));
        snprintf(claims[i].specialty, sizeof claims[i].specialty, "%s", specs[i % 4]);
        uint8_t msg[TC_CERT_MAX_BYTES];
        size_t len;
        char text[TC_TEXT_MAX + 1];
        if (fx_cert_sign(msg, sizeof msg, &len, &claims[i], key.kid, key.sk) != TC_OK ||
            tc_text_encode(text, sizeof text, msg, len) != TC_OK ||
            tc_link_make(links[i], sizeof links[i], BASE_URL, text) != TC_OK)
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    int rounds = 5;
    bool want_levels = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--levels"))
            want_levels = true;
        else {
            fprintf(stderr, "usage: bench_pdf [--count N] [--rounds R] [--levels]\n");
            return 2;
        }
    }
    if (count < 10 || count > MAX_ROUNDS * 200 || rounds < 3 || rounds > MAX_ROUNDS) {
        fprintf(stderr,
                "bench_pdf: --count must be 10..%d and --rounds 3..%d (min/median/max "
                "needs at least 3 rounds)\n",
                MAX_ROUNDS * 200, MAX_ROUNDS);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    if (!load_inputs()) {
        fprintf(stderr, "bench_pdf: run from the source tree or set TC_DATA_DIR\n");
        return 2;
    }
    if (!make_certificates())
        return 1;
    snprintf(dir, sizeof dir, "/dev/shm/tc_bench_pdf_%ld", (long)getpid());
    mkdir(dir, 0700);
    for (int t = 0; t < 2; t++) {
        workers[t].t = t;
        workers[t].g = tc_pdf_engine_new();
        workers[t].fm = pango_cairo_font_map_new();
        workers[t].pc = pango_font_map_create_context(workers[t].fm);
    }
    /* one PDF of each workload per worker first: fonts load and the seal is recorded outside
     * the measured rounds */
    size_t n = count;
    count = 1;
    for (int w = 0; w < NWORK; w++)
        run((enum work)w, 2, NULL);
    count = n;
    printf("titlecert e-certificate benchmark: %d rounds of %zu PDFs a workload, A4, font %s;\n"
           "  the PNG seal is %d px (%zu bytes); glibc malloc at its defaults, as the issuer "
           "runs\n",
           rounds, count, FONT, PNG_SEAL_PX, seal_png.len);
    workloads(rounds);
    scaling(rounds);
    if (want_levels && have_levels)
        levels(rounds);
    else if (want_levels)
        printf("  --levels: this build has no zlib level setting\n");
    rmdir(dir);
    for (int t = 0; t < 2; t++) {
        g_object_unref(workers[t].pc);
        g_object_unref(workers[t].fm);
        tc_pdf_engine_free(workers[t].g);
    }
    free(claims);
    free(links);
    free(seal_svg.p);
    free(seal_png.p);
    return 0;
}
