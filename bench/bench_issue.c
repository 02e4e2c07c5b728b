/*
 * bench_issue.c - issuance throughput against its own ceiling, measured in the same run:
 * raw Ed25519 signatures per second next to certificates per second for one batch of N
 * (default 100,000) through the whole path (rule checks against the store, signing, storing,
 * audit events, one transaction), and QR PNG rendering per second on 1 and 2 threads.
 *
 * glibc's malloc returns the ~256 KiB each zlib stream allocates to the kernel after every image
 * and faults it back in for the next (the "trim trap"); the benchmark raises M_TRIM_THRESHOLD as
 * the issuer would, and says so.
 *
 * usage: bench_issue [--rows N] [--pngs N]
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

int main(int argc, char **argv)
{
    size_t rows = 100000, pngs = 4000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--pngs") && i + 1 < argc)
            pngs = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_issue [--rows N] [--pngs N]\n");
            return 2;
        }
    }
    if (sodium_init() < 0 || !mkdtemp(dir) || rows < 1 || rows > 1000000 || pngs < 2)
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
    for (size_t i = 0; i < rows; i++) {
        struct tc_claims *c = &reqs[i].claims;
        idno(reqs[i].idno, (unsigned)i);
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

    /* the ceiling, in the same run */
    uint8_t sig[64], tbs[120];
    size_t sig_len;
    memset(tbs, 0x5a, sizeof tbs);
    size_t k = 0;
    double t0 = now_s();
    while (now_s() - t0 < 1.0)
        for (int i = 0; i < 256; i++, k++)
            tc_signer_sign(iss, tbs, sizeof tbs, sig, sizeof sig, &sig_len);
    double raw = (double)k / (now_s() - t0);

    t0 = now_s();
    enum tc_err e = tc_issue_check(s, reqs, rows, tl, tc_signer_pub(iss), now, &ref);
    double t1 = now_s();
    if (e == TC_OK)
        e = tc_issue_commit(s, reqs, rows, iss, now, "bench", NULL, NULL);
    double t2 = now_s();
    if (e != TC_OK) {
        fprintf(stderr, "bench_issue: %s %s (%zu refusals)\n", tc_strerror(e), tc_store_errmsg(s),
                ref.total);
        return 1;
    }
    double rate = (double)rows / (t2 - t0);
    printf("titlecert issuance benchmark: one batch of %zu certificates\n", rows);
    printf("  raw Ed25519 sign          %10.0f /s (1 thread)\n", raw);
    printf("  check (rules, store)      %10.0f /s\n", (double)rows / (t1 - t0));
    printf("  sign + store + audit + register %4.0f /s\n", (double)rows / (t2 - t1));
    printf("  whole batch               %10.0f /s   ratio %.3f of raw sign (goal >= 0.4, with the "
           "register)\n", rate,
           rate / raw);

    /* QR PNGs of the first certificates, 1 and 2 threads */
    if (pngs > rows)
        pngs = rows;
    uint8_t(*msgs)[TC_CERT_MAX_BYTES] = malloc(pngs * TC_CERT_MAX_BYTES);
    size_t *lens = malloc(pngs * sizeof *lens);
    for (size_t i = 0; i < pngs; i++) {
        struct tc_cert_row row;
        tc_cert_get(s, reqs[i].claims.id, &row);
        memcpy(msgs[i], row.payload, row.payload_len);
        lens[i] = row.payload_len;
    }
    if (!mkdtemp(pngdir))
        snprintf(pngdir, sizeof pngdir, "%s", dir);
    double one = png_rate(msgs, lens, pngs, 1), two = png_rate(msgs, lens, pngs, 2);
    printf("  QR + PNG (4 px/module)    %10.0f /s on 1 thread, %.0f /s on 2 threads (x%.2f)\n"
           "                            into %s; glibc M_TRIM_THRESHOLD raised to 64 MiB\n",
           one, two, two / one, pngdir);
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
