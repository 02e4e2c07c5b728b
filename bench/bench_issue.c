/*
 * bench_issue.c - issuance throughput against its own ceiling, measured in rounds that alternate
 * the two: each round signs raw Ed25519 signatures for a second and issues one batch of N
 * certificates (default 100,000) through the whole path (rule checks against the store, signing,
 * storing, audit events, one transaction), which goes first alternating from round to round, and
 * every ratio is of the two halves of one round. QR PNG rendering on 1 and 2 threads alternates
 * the same way. Printed: min / median / max over the rounds (at least 3) of each rate, of the
 * process CPU time per operation, and of the ratios; load from other processes on this shared
 * machine falls on both halves of a round alike instead of on a ceiling measured once.
 *
 * glibc's malloc returns the ~256 KiB each zlib stream allocates to the kernel after every image
 * and faults it back in for the next (the "trim trap"); the benchmark raises M_TRIM_THRESHOLD as
 * the issuer would, and says so.
 *
 * usage: bench_issue [--rows N] [--pngs N] [--rounds R]   (R >= 3, default 3)
 */
#include <malloc.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAX_ROUNDS 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One line: min / median / max of v[0..n), with `decimals` decimals. */
static void mmm(const char *what, const double *v, int n, int decimals)
{
    double w[MAX_ROUNDS];
    memcpy(w, v, (size_t)n * sizeof *w);
    qsort(w, (size_t)n, sizeof *w, cmp_double);
    double med = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
    printf("  %-44s", what);
    printf("%10.*f / %10.*f / %10.*f\n", decimals, w[0], decimals, med, decimals, w[n - 1]);
}

static const char pass[] = "benchmark passphrase";
static char dir[] = "/tmp/tc_bench_XXXXXX";
static char pngdir[] = "/dev/shm/tc_bench_png_XXXXXX"; /* memory-backed when the machine has it */

static void idno(char out[19], unsigned k)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int32_t d0;
    tc_day_index(&d0, 1960, 1, 1);
    int y, m, d;
    tc_day_split(d0 + (int32_t)(k % 14600), &y, &m, &d);
    snprintf(out, 19, "620102%04d%02d%02d%03u", y, m, d, (k / 14600) % 1000);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

struct render_job {
    uint8_t (*msgs)[TC_CERT_MAX_BYTES];
    size_t *lens;
    size_t from, to;
};

static void *render(void *p)
{
    struct render_job *j = p;
    for (size_t i = j->from; i < j->to; i++) {
        char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX + 1], path[256];
        struct tc_qr qr;
        tc_text_encode(text, sizeof text, j->msgs[i], j->lens[i]);
        tc_link_make(link, sizeof link, "https://zcyz.hrss.gansu.gov.cn", text);
        if (tc_qr_encode(&qr, link, TC_QR_M) != TC_OK)
            abort();
        snprintf(path, sizeof path, "%s/%zu.png", pngdir, i);
        if (tc_qr_write_png(&qr, path, 4) != TC_OK)
            abort();
        tc_qr_free(&qr);
    }
    return NULL;
}

static double png_rate(uint8_t (*msgs)[TC_CERT_MAX_BYTES], size_t *lens, size_t n, int threads)
{
    pthread_t t[2];
    struct render_job jobs[2];
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct render_job){msgs, lens, n * (size_t)i / (size_t)threads,
                                      n * (size_t)(i + 1) / (size_t)threads};
        pthread_create(&t[i], NULL, render, &jobs[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    return (double)n / (now_s() - t0);
}

/* The requests of round r: people no other round issues to. */
static void fill(struct tc_issue_request *reqs, size_t rows, int r)
{
    memset(reqs, 0, rows * sizeof *reqs);
    for (size_t i = 0; i < rows; i++) {
        struct tc_claims *c = &reqs[i].claims;
        idno(reqs[i].idno, (unsigned)((size_t)r * rows + i));
        snprintf(c->name, sizeof c->name, "测试%zu", i % 1000);
        tc_idno_mask(c->id_mask, reqs[i].idno);
        c->series = tc_series_id("WS-YL");
        memcpy(c->specialty, "内科学", sizeof "内科学");
        c->level = 3, c->track = 1, c->method = 1, c->eval_year = 2026;
        tc_day_parse(&c->obtained_day, "2026-10-20");
        tc_month_parse(&c->tenure_month, "2026-11");
        memcpy(c->employer, "12620102438000123H", 19);
        c->committee = 101;
        memcpy(reqs[i].approval, "bench", 6);
        reqs[i].line = i + 2;
    }
}

/* Raw Ed25519 signatures for about a second: per second, and CPU seconds per signature. */
static double raw_sign(struct tc_signer *iss, double *cpu_per)
{
    uint8_t sig[64], tbs[120];
    size_t sig_len, k = 0;
    memset(tbs, 0x5a, sizeof tbs);
    double t0 = now_s(), c0 = cpu_s();
    while (now_s() - t0 < 1.0)
        for (int i = 0; i < 256; i++, k++)
            tc_signer_sign(iss, tbs, sizeof tbs, sig, sizeof sig, &sig_len);
    *cpu_per = (cpu_s() - c0) / (double)k;
    return (double)k / (now_s() - t0);
}

int main(int argc, char **argv)
{
    size_t rows = 100000, pngs = 4000;
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--pngs") && i + 1 < argc)
            pngs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_issue [--rows N] [--pngs N] [--rounds R]\n");
            return 2;
        }
    }
    if (sodium_init() < 0 || !mkdtemp(dir) || rows < 1 || rows > 1000000 || pngs < 2 ||
        rounds < 3 || rounds > MAX_ROUNDS || rows * (size_t)rounds > 14000000)
        return 2;
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);

    char path[512], units[600];
    struct tc_pubkey pub;
    struct tc_signer *root = NULL, *iss = NULL;
    struct tc_secret *hk = NULL;
    snprintf(path, sizeof path, "%s/root.key", dir);
    tc_keys_secret_create(path, TC_KEY_ROOT, "root", TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    tc_keys_signer_open(&root, path, pass, strlen(pass), TC_KEY_ROOT);
    snprintf(path, sizeof path, "%s/iss.key", dir);
    tc_keys_secret_create(path, TC_KEY_ISSUER, "iss", TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    tc_keys_signer_open(&iss, path, pass, strlen(pass), TC_KEY_ISSUER);
    snprintf(path, sizeof path, "%s/hash.key", dir);
    tc_keys_secret_create(path, TC_KEY_HASH, "hash", TC_KDF_INTERACTIVE, pass, strlen(pass), &pub);
    tc_keys_secret_open(&hk, path, pass, strlen(pass));
    struct tc_store_keys *keys = NULL;
    tc_store_keys_derive(&keys, hk);

    uint64_t now = (uint64_t)time(NULL);
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    memcpy(en.pk, tc_signer_pub(iss)->pk, 32);
    memcpy(en.kid, tc_signer_pub(iss)->kid, 8);
    memcpy(en.name, "iss", 4);
    en.not_before = (int32_t)(now / 86400) - 5;
    en.not_after = en.not_before + 700;
    en.authz.tracks = 6, en.authz.levels = 0x3E, en.authz.region = 62, en.endorsed_at = now;
    uint8_t *end = NULL, *list = NULL;
    size_t end_len, list_len;
    tc_keys_endorse(&end, &end_len, &en, root);
    const uint8_t *ends[] = {end};
    tc_keys_trust_list_build(&list, &list_len, 1, now, ends, &end_len, 1, NULL, 0, root);
    struct tc_trust_list *tl = NULL;
    tc_trust_list_parse(list, list_len, tc_signer_pub(root)->pk, &tl);

    const char *profile_path = getenv("TC_PROFILE_GS");
    FILE *f = fopen(profile_path ? profile_path : "data/profiles/GS.json", "r");
    char profile[65536];
    size_t plen = f ? fread(profile, 1, sizeof profile - 1, f) : 0;
    if (f)
        fclose(f);
    const char *why;
    struct tc_store *s = NULL;
    snprintf(path, sizeof path, "%s/gs.db", dir);
    if (tc_store_init(path, profile, plen, keys, &why) != TC_OK ||
        tc_store_open(&s, path, keys) != TC_OK) {
        fprintf(stderr, "bench_issue: cannot create the store (run from the source tree or set "
                        "TC_PROFILE_GS)\n");
        return 2;
    }
    snprintf(units, sizeof units, "%s/units.csv", dir);
    f = fopen(units, "w");
    fputs("uscc,name,division,tier,valid_from\n12620102438000123H,中心,620102,county,2015-01-01\n", f);
    fclose(f);
    struct tc_refusals ref = {0};
    size_t n_units, warnings;
    tc_units_import(s, units, false, &ref, &n_units, &warnings);

    struct tc_issue_request *reqs = calloc(rows, sizeof *reqs);
    /* rounds: the ceiling and a batch, which goes first alternating; then PNGs on 1 and 2
     * threads, alternating too */
    double raw[MAX_ROUNDS], raw_cpu[MAX_ROUNDS], batch[MAX_ROUNDS], batch_cpu[MAX_ROUNDS],
        check[MAX_ROUNDS], ratio[MAX_ROUNDS], p1[MAX_ROUNDS], p2[MAX_ROUNDS], p1_cpu[MAX_ROUNDS],
        p2_cpu[MAX_ROUNDS], pratio[MAX_ROUNDS];
    if (pngs > rows)
        pngs = rows;
    uint8_t(*msgs)[TC_CERT_MAX_BYTES] = malloc(pngs * TC_CERT_MAX_BYTES);
    size_t *lens = malloc(pngs * sizeof *lens);
    if (!mkdtemp(pngdir))
        snprintf(pngdir, sizeof pngdir, "%s", dir);
    for (int r = 0; r < rounds; r++) {
        fill(reqs, rows, r);
        if (r % 2 == 0)
            raw[r] = raw_sign(iss, &raw_cpu[r]);
        double t0 = now_s(), c0 = cpu_s();
        enum tc_err e = tc_issue_check(s, reqs, rows, tl, tc_signer_pub(iss), now, &ref);
        double t1 = now_s();
        if (e == TC_OK)
            e = tc_issue_commit(s, reqs, rows, iss, now, "bench", NULL, NULL);
        double t2 = now_s(), c2 = cpu_s();
        if (e != TC_OK) {
            fprintf(stderr, "bench_issue: %s %s (%zu refusals)\n", tc_strerror(e),
                    tc_store_errmsg(s), ref.total);
            return 1;
        }
        if (r % 2 == 1)
            raw[r] = raw_sign(iss, &raw_cpu[r]);
        batch[r] = (double)rows / (t2 - t0), batch_cpu[r] = (c2 - c0) / (double)rows;
        check[r] = (double)rows / (t1 - t0);
        ratio[r] = batch[r] / raw[r];
        /* QR PNGs of this round's first certificates */
        for (size_t i = 0; i < pngs; i++) {
            struct tc_cert_row row;
            tc_cert_get(s, reqs[i].claims.id, &row);
            memcpy(msgs[i], row.payload, row.payload_len);
            lens[i] = row.payload_len;
        }
        for (int k = 0; k < 2; k++) {
            int threads = (r + k) % 2 ? 2 : 1;
            double c = cpu_s();
            double rate = png_rate(msgs, lens, pngs, threads);
            c = (cpu_s() - c) / (double)pngs;
            if (threads == 1)
                p1[r] = rate, p1_cpu[r] = c;
            else
                p2[r] = rate, p2_cpu[r] = c;
        }
        pratio[r] = p2[r] / p1[r];
        fprintf(stderr, "  round %d: raw sign %.0f/s | batch %.0f/s (ratio %.3f) | PNG %.0f/s 1 "
                        "thread, %.0f/s 2 threads\n",
                r + 1, raw[r], batch[r], ratio[r], p1[r], p2[r]);
    }
    for (int r = 0; r < rounds; r++) /* to microseconds */
        raw_cpu[r] *= 1e6, batch_cpu[r] *= 1e6, p1_cpu[r] *= 1e6, p2_cpu[r] *= 1e6;
    printf("titlecert issuance benchmark: %d rounds, each a batch of %zu certificates and a second "
           "of raw Ed25519 signatures (alternating which goes first), then %zu QR PNGs on 1 and 2 "
           "threads (alternating); ratios within a round\n",
           rounds, rows, pngs);
    printf("  %-44s%10s / %10s / %10s\n", "", "min", "median", "max");
    mmm("raw Ed25519 sign /s (1 thread)", raw, rounds, 0);
    mmm("raw sign, CPU us per signature", raw_cpu, rounds, 1);
    mmm("check (rules, store) /s", check, rounds, 0);
    mmm("whole batch, certificates /s", batch, rounds, 0);
    mmm("whole batch, CPU us per certificate", batch_cpu, rounds, 1);
    mmm("ratio batch / raw sign (goal >= 0.4)", ratio, rounds, 3);
    mmm("QR + PNG (4 px/module) /s, 1 thread", p1, rounds, 0);
    mmm("QR + PNG /s, 2 threads", p2, rounds, 0);
    mmm("QR + PNG, CPU us per image, 1 thread", p1_cpu, rounds, 1);
    mmm("QR + PNG, CPU us per image, 2 threads", p2_cpu, rounds, 1);
    mmm("ratio 2 threads / 1 thread", pratio, rounds, 2);
    printf("  PNGs into %s; glibc M_TRIM_THRESHOLD raised to 64 MiB\n", pngdir);
    tc_store_close(s);
    fflush(stdout);
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "du -sm %s/gs.db* | awk '{s+=$1} END {print \"  store on disk             \", s, "
             "\"MiB\"}'; rm -rf '%s' '%s'",
             dir, dir, pngdir);
    if (system(cmd) != 0)
        return 1;
    free(msgs), free(lens), free(reqs), free(end), free(list);
    tc_trust_list_free(tl);
    tc_store_keys_free(keys);
    tc_signer_close(root), tc_signer_close(iss), tc_keys_secret_close(hk);
    tc_refusals_free(&ref);
    return 0;
}
