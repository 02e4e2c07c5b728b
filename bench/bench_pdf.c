/*
 * bench_pdf.c - e-certificates (A4) per second on 1 and 2 threads for a batch of certificates,
 * against a baseline measured in the same run: cairo and pango writing a one-page PDF with the
 * same font and one line of text (with the same per-thread font map). Prints the ratio to the
 * baseline (goal >= 0.5), the speed-up on 2 threads (goal >= 1.9x) and the median file size
 * (goal <= 80 KB). Files go to /dev/shm and are removed as they are measured.
 *
 * usage: bench_pdf [--count N]   (default 10000; run from the source tree or set TC_DATA_DIR)
 */
#include <cairo-pdf.h>
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct tc_profile profile;
static uint8_t *seal;
static size_t seal_len;
static size_t count = 10000;
static struct tc_claims *claims;
static char (*links)[TC_LINK_MAX + 1];
static long *sizes;
static atomic_size_t next;
static char dir[64];

static const char FONT[] = "AR PL UMing CN, Noto Serif CJK SC, serif";

static void baseline_one(PangoContext *pc, const char *path, size_t i)
{
    cairo_surface_t *s = cairo_pdf_surface_create(path, 595.28, 841.89);
    cairo_t *cr = cairo_create(s);
    pango_cairo_update_context(cr, pc);
    PangoLayout *l = pango_layout_new(pc);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_font_description_set_absolute_size(fd, 12 * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    char text[96];
    snprintf(text, sizeof text, "专业技术职务任职资格电子证书 %zu", 260000000 + i);
    pango_layout_set_text(l, text, -1);
    cairo_move_to(cr, 54, 54);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
}

struct arg {
    bool baseline;
    int t;
};

static void *work(void *p)
{
    const struct arg *a = p;
    struct tc_pdf_engine *g = tc_pdf_engine_new();
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *pc = pango_font_map_create_context(fm);
    char path[128], why[640];
    for (;;) {
        size_t i = atomic_fetch_add(&next, 1);
        if (i >= count)
            break;
        snprintf(path, sizeof path, "%s/%d-%zu.pdf", dir, a->t, i);
        if (a->baseline) {
            baseline_one(pc, path, i);
        } else {
            struct tc_pdf_cert in = {&claims[i], links[i], "https://zcyz.rst.gansu.gov.cn", &profile,
                                     "甘肃省卫生系列高级职称评审委员会", "甘肃省卫生健康委员会",
                                     seal, seal_len, true, "临夏州人民医院", NULL};
            if (tc_pdf_write(g, &in, path, NULL, why, sizeof why) != TC_OK) {
                fprintf(stderr, "bench_pdf: %s\n", why);
                exit(1);
            }
        }
        struct stat st;
        if (!a->baseline && stat(path, &st) == 0)
            sizes[i] = (long)st.st_size;
        unlink(path);
    }
    g_object_unref(pc);
    g_object_unref(fm);
    tc_pdf_engine_free(g);
    return NULL;
}

static double run(bool baseline, int threads)
{
    pthread_t th[2];
    struct arg a[2];
    atomic_store(&next, 0);
    double t0 = now();
    for (int t = 0; t < threads; t++) {
        a[t].baseline = baseline, a[t].t = t;
        pthread_create(&th[t], NULL, work, &a[t]);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    return (double)count / (now() - t0);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_pdf [--count N]\n");
            return 2;
        }
    }
    if (sodium_init() < 0 || count < 10)
        return 2;
    const char *data = getenv("TC_DATA_DIR") ? getenv("TC_DATA_DIR") : "data";
    char path[1024], json[65536];
    snprintf(path, sizeof path, "%s/profiles/GS.json", data);
    FILE *f = fopen(path, "r");
    size_t jlen = f ? fread(json, 1, sizeof json, f) : 0;
    if (f)
        fclose(f);
    const char *why;
    snprintf(path, sizeof path, "%s/samples/demo-seal.svg", data);
    if (tc_profile_parse(&profile, json, jlen, &why) != TC_OK ||
        tc_file_read(path, TC_PDF_SEAL_MAX, &seal, &seal_len) != TC_OK) {
        fprintf(stderr, "bench_pdf: run from the source tree or set TC_DATA_DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "/dev/shm/tc_bench_pdf_%ld", (long)getpid());
    mkdir(dir, 0700);
    /* certificates as issued: signed, their own links, names and specialties varying */
    static const char *const names[] = {"马明", "欧阳娜娜", "阿卜杜热合曼·买买提", "王芳", "李四海"};
    static const char *const specs[] = {"外科学", "内科学", "中西医结合临床医学心血管内科", "护理学"};
    claims = calloc(count, sizeof *claims);
    links = calloc(count, sizeof *links);
    sizes = calloc(count, sizeof *sizes);
    struct fx_key key;
    fx_key(&key, 3);
    for (size_t i = 0; i < count; i++) {
        fx_basic(&claims[i]);
        claims[i].id = 260000000 + i;
        snprintf(claims[i].name, sizeof claims[i].name, "%s", names[i % 5]);
        snprintf(claims[i].specialty, sizeof claims[i].specialty, "%s", specs[i % 4]);
        uint8_t msg[TC_CERT_MAX_BYTES];
        size_t len;
        char text[TC_TEXT_MAX + 1];
        if (fx_cert_sign(msg, sizeof msg, &len, &claims[i], key.kid, key.sk) != TC_OK ||
            tc_text_encode(text, sizeof text, msg, len) != TC_OK ||
            tc_link_make(links[i], sizeof links[i], "https://zcyz.rst.gansu.gov.cn", text) != TC_OK)
            return 1;
    }
    double base = run(true, 1), one = run(false, 1);
    double two = run(false, 2), base2 = run(true, 2);
    qsort(sizes, count, sizeof *sizes, cmp_long);
    printf("titlecert e-certificate benchmark: %zu certificates, A4, font %s\n", count, FONT);
    printf("  baseline (one line, same font)  %8.1f PDF/s on 1 thread, %.1f on 2\n", base, base2);
    printf("  e-certificate                   %8.1f PDF/s on 1 thread   ratio %.2f of baseline (goal >= 0.5)\n",
           one, one / base);
    printf("  e-certificate                   %8.1f PDF/s on 2 threads  x%.2f (goal >= 1.9)\n", two,
           two / one);
    printf("  file size: median %.1f KB, smallest %.1f KB, largest %.1f KB (goal: median <= 80 KB)\n",
           (double)sizes[count / 2] / 1024, (double)sizes[0] / 1024, (double)sizes[count - 1] / 1024);
    rmdir(dir);
    free(claims);
    free(links);
    free(sizes);
    free(seal);
    return 0;
}
