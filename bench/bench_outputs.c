/*
 * bench_outputs.c - what a certificate's four output files (`import --out-dir`, `render`: payload
 * text, link, QR PNG, SVG) cost at the least, in two parts measured in alternating rounds:
 *   files   the four files written with the bytes of real ones (temporary name, rename; one
 *           syncfs a round, as a batch group does), no image made: the file system's part;
 *   images  the QR code encoded from a link (libqrencode, which tries its 8 mask patterns) and
 *           its PNG and SVG made in memory (tc_qr_png, tc_qr_svg), nothing written.
 * Each certificate's link is made from 173 random bytes, the size of a signed certificate, so the
 * QR version is the one issuance gets. CPU time of the process per certificate, min / median /
 * max over the rounds, one thread. Beside bench/bench_import.sh's CPU per certificate of the
 * import itself, this is the floor of `import --out-dir` / `import`: no batch writer can spend
 * less on a certificate's files than files + images here, divided by the threads that run.
 *
 * Each round writes into a directory of its own, all removed at the end.
 *
 * usage: bench_outputs [N [ROUNDS [DIR]]]   (defaults 5000, 3 and a new directory under /tmp)
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"

#define MAX_ROUNDS 50

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The link of certificate i of a round: a fresh random "signed message" in TC1 text. */
static void make_link(char link[TC_LINK_MAX + 1], char text[TC_TEXT_MAX + 1])
{
    uint8_t msg[173];
    randombytes_buf(msg, sizeof msg);
    if (tc_text_encode(text, TC_TEXT_MAX + 1, msg, sizeof msg) != TC_OK ||
        tc_link_make(link, TC_LINK_MAX + 1, "https://zcyz.hrss.gansu.gov.cn", text) != TC_OK)
        abort();
}

/* A new certificate's link, text and images, as a batch makes them. */
struct made {
    char link[TC_LINK_MAX + 1], text[TC_TEXT_MAX + 1];
    struct tc_qr qr;
    uint8_t *png, *svg;
    size_t png_len, svg_len;
};

static void make(struct made *m)
{
    make_link(m->link, m->text);
    if (tc_qr_encode(&m->qr, m->link, TC_QR_M) != TC_OK ||
        tc_qr_png(&m->qr, 4, &m->png, &m->png_len) || tc_qr_svg(&m->qr, &m->svg, &m->svg_len))
        abort();
}

static void unmake(struct made *m)
{
    free(m->png), free(m->svg);
    tc_qr_free(&m->qr);
}

static void images(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct made m;
        make(&m);
        unmake(&m);
    }
}

struct sample {
    const void *p[4];
    size_t len[4];
};

static void put(const char *dir, size_t i, int k, const void *p, size_t len)
{
    static const char *const ext[4] = {"txt", "link", "png", "svg"};
    char tmp[720], path[680];
    snprintf(path, sizeof path, "%s/%zu.%s", dir, i, ext[k]);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, p, len) != (ssize_t)len || close(fd) != 0 || rename(tmp, path) != 0)
        abort();
}

static void files(const char *dir, size_t n, const struct sample *s)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            put(dir, i, k, s->p[k], s->len[k]);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) != 0 || fsync(fd) != 0)
        abort();
    close(fd);
}

static void clear(const char *dir, size_t n)
{
    static const char *const ext[4] = {"txt", "link", "png", "svg"};
    char path[680];
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            snprintf(path, sizeof path, "%s/%zu.%s", dir, i, ext[k]);
            unlink(path);
        }
}

static void line(const char *name, double *v, size_t r)
{
    qsort(v, r, sizeof *v, cmp_double);
    printf("  %-40s %8.1f / %8.1f / %8.1f\n", name, v[0], v[r / 2], v[r - 1]);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000;
    size_t rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 3;
    if (n < 1 || n > 1000000 || rounds < 3 || rounds > MAX_ROUNDS || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_outputs [N (1..10^6) [ROUNDS (3..%d) [DIR]]]\n", MAX_ROUNDS);
        return 2;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tc_bench_outputs_XXXXXX", argc > 3 ? argv[3] : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_outputs: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    /* one real certificate's four files, whose bytes every certificate of the files part writes */
    struct made one;
    make(&one);
    struct sample s = {{one.text, one.link, one.png, one.svg},
                       {strlen(one.text), strlen(one.link), one.png_len, one.svg_len}};
    double f[MAX_ROUNDS], im[MAX_ROUNDS], sum[MAX_ROUNDS];
    for (size_t r = 0; r < rounds; r++) {
        for (int half = 0; half < 2; half++) {
            bool do_files = (half == 0) == (r % 2 == 0); /* the order alternates */
            char sub[600];
            snprintf(sub, sizeof sub, "%s/%zu", dir, r);
            if (do_files && mkdir(sub, 0700) != 0)
                return 1;
            double c0 = cpu_s();
            if (do_files)
                files(sub, n, &s);
            else
                images(n);
            double us = (cpu_s() - c0) / (double)n * 1e6;
            *(do_files ? &f[r] : &im[r]) = us;
        }
        sum[r] = f[r] + im[r];
        fprintf(stderr, "  round %zu: files %.1f us, images %.1f us a certificate (CPU)\n", r + 1,
                f[r], im[r]);
    }
    printf(
        "titlecert output files benchmark: %zu certificates a round, %zu rounds alternating\n"
        "(QR version %d, files of %zu + %zu + %zu + %zu bytes), CPU microseconds a certificate\n",
        n, rounds, one.qr.version, s.len[0], s.len[1], s.len[2], s.len[3]);
    printf("  %-40s %8s / %8s / %8s\n", "", "min", "median", "max");
    line("files (4 written, renamed, one sync)", f, rounds);
    line("images (QR encode, PNG, SVG in memory)", im, rounds);
    line("both, one thread", sum, rounds);
    unmake(&one);
    /* removed only now: ext4 makes new files slow beside inodes freed a moment ago, which would
     * charge one round's clean-up to the next */
    for (size_t r = 0; r < rounds; r++) {
        char sub[600];
        snprintf(sub, sizeof sub, "%s/%zu", dir, r);
        clear(sub, n);
        rmdir(sub);
    }
    rmdir(dir);
    return 0;
}
