/*
 * bench_publish.c - `publish` (tc_publish: the export's checks of the store against its
 * register, the status bundle and its delta, the register's tiles and checkpoint, the head) after
 * ADD new register entries, on registers of 10^6 and 3·10^6 entries, against a baseline measured
 * in the same rounds: the same publication of ADD new entries on a register of ADD entries. The
 * baseline is what a publication costs when the register's size does not count (signing, the
 * files, their syncs, and the new entries themselves), so the ratio of a large register's
 * publication to it is what the register's size adds: 1 for a publication that costs what was
 * added, growing with the register for one that reads it all.
 *
 * The registers are generated through the library (tests/reg_gen.h): certificates with 173-byte
 * payloads, their issue entries and audit events, and one revocation every 20 certificates, as
 * issuance writes them but without signing each. Each is published once in full (all its tiles,
 * timed but not part of the ratios). Then each round appends ADD entries to every register (not
 * timed) and publishes each, the order of the three rotating from round to round, so load from
 * other processes falls on all of them alike; wall and process CPU time are taken per
 * publication and every ratio within a round, printed as min / median / max over the rounds.
 * The files go to DIR (default a new directory under /tmp; the disk's syncs are part of a
 * publication) and are removed at the end.
 *
 * After each publication a replica held in memory (the bundle read after the first one, with
 * its chunk files) takes the new bundle by its delta (tc_bundle_apply_delta: what a verifier
 * following the publication does at each poll), timed apart and reported the same way.
 *
 * The harness builds against trees from before incremental publication too (the before/after
 * table of docs/DECISIONS.md "Re-publishing and batch outputs" was made so): it uses only
 * tc_publish and the store's library.
 *
 * usage: bench_publish [--sizes N,M] [--add K] [--rounds R] [--dir DIR]
 *        (defaults 1000000,3000000, 10000, 5; run from the source tree or set TC_PROFILE_GS)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tests/reg_gen.h"
#include "publication.h"

#define MAX_ROUNDS 50
#define NWORK 3

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct work {
    char name[48];
    size_t size;            /* entries generated before the first publication */
    struct tc_store *s;
    char db[600], pub[600];
    double wall[MAX_ROUNDS], cpu[MAX_ROUNDS];
    uint64_t files[MAX_ROUNDS];
    struct tc_bundle *replica;            /* what a replica holds: the last bundle */
    double rwall[MAX_ROUNDS], rcpu[MAX_ROUNDS]; /* its delta applied */
};

static struct reg_gen_keys keys;
static uint64_t clock_now;

/* The replica takes the publication's delta; wall and CPU seconds. */
static int replica_apply(struct work *w, const struct tc_export *x, double *wall, double *cpu)
{
    struct tc_bundle *next = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!x->delta) {
        fprintf(stderr, "bench_publish: %s: the publication wrote no delta\n", w->name);
        return -1;
    }
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
    enum tc_err e = tc_bundle_apply_delta(w->replica, x->delta, x->delta_len,
                                          tc_signer_pub(keys.root)->pk, clock_now, &next, &bytes,
                                          &len, NULL);
    *wall = now_s(CLOCK_MONOTONIC) - t0, *cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    free(bytes);
    if (e != TC_OK) {
        fprintf(stderr, "bench_publish: %s: the delta does not apply: %s\n", w->name,
                tc_strerror(e));
        return -1;
    }
    tc_bundle_free(w->replica);
    w->replica = next;
    return 0;
}

/* One publication of w into its directory; wall and CPU seconds. With rw (and w's replica),
 * the replica then takes its delta (rw, rc: its wall and CPU seconds). */
static int publish(struct work *w, double *wall, double *cpu, uint64_t *files, double *rw,
                   double *rc)
{
    struct tc_publish_opts o = {.dir = w->pub, .trust = keys.list, .trust_len = keys.list_len,
                                .tl = keys.tl, .key = keys.pub_key, .days = 5,
                                .now = ++clock_now};
    struct tc_publish_result r;
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
    enum tc_err e = tc_publish(w->s, &o, &r);
    *wall = now_s(CLOCK_MONOTONIC) - t0, *cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *files = r.files;
    if (e != TC_OK)
        fprintf(stderr, "bench_publish: %s: publish: %s: %s %s\n", w->name, r.failed,
                tc_strerror(e), tc_store_errmsg(w->s));
    int ok = e == TC_OK ? 0 : -1;
    if (ok == 0 && rw)
        ok = replica_apply(w, &r.x, rw, rc);
    tc_export_free(&r.x);
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* min, median, max of v[0..n-1] */
static void stats(const double *v, size_t n, double out[3])
{
    double s[MAX_ROUNDS];
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    out[0] = s[0], out[2] = s[n - 1];
    out[1] = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* a row of min / median / max with `decimals` places */
static void line3(const char *name, const double *v, size_t n, int decimals)
{
    double m[3];
    stats(v, n, m);
    printf("  %-44s%10.*f / %8.*f / %8.*f\n", name, decimals, m[0], decimals, m[1], decimals,
           m[2]);
}

static int parse_sizes(const char *arg, size_t *a, size_t *b)
{
    char *end;
    *a = strtoul(arg, &end, 10);
    if (*end != ',')
        return -1;
    *b = strtoul(end + 1, &end, 10);
    return *end || *a < 1 || *b < 1 ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_publish [--sizes N,M] [--add K] [--rounds R] [--dir DIR]\n");
}

static int setup(struct work *w, const char *dir, size_t add)
{
    snprintf(w->db, sizeof w->db, "%s/%zu.db", dir, w->size);
    snprintf(w->pub, sizeof w->pub, "%s/pub-%zu", dir, w->size);
    double t0 = now_s(CLOCK_MONOTONIC);
    if (reg_gen_store(&keys, w->db, &w->s) != TC_OK || reg_gen_append(w->s, w->size) != TC_OK)
        return -1;
    double t1 = now_s(CLOCK_MONOTONIC), wall, cpu;
    uint64_t files;
    char path[700];
    snprintf(path, sizeof path, "%s/bundle.cbor", w->pub);
    size_t len;
    if (publish(w, &wall, &cpu, &files, NULL, NULL) != 0 ||
        tc_bundle_read_file(path, tc_signer_pub(keys.root)->pk, clock_now, &w->replica, &len,
                            NULL, 0) != TC_OK)
        return -1;
    fprintf(stderr, "  %-28s generated in %.1f s; first publication (every file) %.2f s, %llu "
                    "files\n", w->name, t1 - t0, wall, (unsigned long long)files);
    (void)add;
    return 0;
}

int main(int argc, char **argv)
{
    size_t sizes[2] = {1000000, 3000000}, add = 10000, rounds = 5;
    const char *dir_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            if (parse_sizes(argv[++i], &sizes[0], &sizes[1]) != 0)
                return usage(), 2;
        } else if (!strcmp(argv[i], "--add") && i + 1 < argc) {
            add = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            dir_arg = argv[++i];
        } else {
            return usage(), 2;
        }
    }
    if (rounds < 3 || rounds > MAX_ROUNDS || add < 1) {
        fprintf(stderr, "bench_publish: 3..%d rounds, and --add at least 1\n", MAX_ROUNDS);
        return 2;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tc_bench_publish_XXXXXX", dir_arg ? dir_arg : "/tmp");
    if (!mkdtemp(dir) || reg_gen_keys(&keys, dir) != TC_OK) {
        fprintf(stderr, "bench_publish: cannot set up in %s: %s\n", dir, strerror(errno));
        return 2;
    }
    clock_now = (uint64_t)time(NULL);
    struct work w[NWORK];
    memset(w, 0, sizeof w);
    size_t wsize[NWORK] = {add, sizes[0], sizes[1]};
    int rc = 0;
    fprintf(stderr, "bench_publish: generating registers in %s\n", dir);
    for (int k = 0; k < NWORK && rc == 0; k++) {
        w[k].size = wsize[k];
        snprintf(w[k].name, sizeof w[k].name, "%s%zu + %zu new", k == 0 ? "baseline: " : "",
                 wsize[k], add);
        rc = setup(&w[k], dir, add);
    }
    for (size_t r = 0; r < rounds && rc == 0; r++) {
        for (int j = 0; j < NWORK && rc == 0; j++) {
            struct work *x = &w[(r + (size_t)j) % NWORK];
            if (reg_gen_append(x->s, add) != TC_OK)
                rc = -1;
            else
                rc = publish(x, &x->wall[r], &x->cpu[r], &x->files[r], &x->rwall[r],
                             &x->rcpu[r]);
        }
        if (rc == 0)
            fprintf(stderr, "  round %zu: %.3f s | %.3f s | %.3f s\n", r + 1, w[0].wall[r],
                        w[1].wall[r], w[2].wall[r]);
    }
    if (rc == 0) {
        printf("titlecert publish benchmark: %zu new register entries a publication, %zu rounds "
               "alternating the three registers\n", add, rounds);
        printf("  %-44s%10s / %8s / %8s\n", "per publication", "min", "median", "max");
        for (int k = 0; k < NWORK; k++) {
            char name[128];
            double rate[MAX_ROUNDS];
            snprintf(name, sizeof name, "%.40s, wall s", w[k].name);
            line3(name, w[k].wall, rounds, 3);
            snprintf(name, sizeof name, "%.40s, CPU s", w[k].name);
            line3(name, w[k].cpu, rounds, 3);
            for (size_t r = 0; r < rounds; r++)
                rate[r] = (double)add / w[k].wall[r];
            snprintf(name, sizeof name, "%.40s, new entries/s", w[k].name);
            line3(name, rate, rounds, 0);
            printf("  %-44s%10llu\n", "  register files written (last round)",
                   (unsigned long long)w[k].files[rounds - 1]);
        }
        for (int k = 0; k < NWORK; k++) {
            char name[128];
            snprintf(name, sizeof name, "replica, %.30s, wall s", w[k].name);
            line3(name, w[k].rwall, rounds, 3);
            snprintf(name, sizeof name, "replica, %.30s, CPU s", w[k].name);
            line3(name, w[k].rcpu, rounds, 3);
        }
        printf("  ratio to the same round's baseline (min / median / max):\n");
        for (int k = 1; k < NWORK; k++) {
            double rw[MAX_ROUNDS], rcpu[MAX_ROUNDS];
            char name[128];
            for (size_t r = 0; r < rounds; r++)
                rw[r] = w[k].wall[r] / w[0].wall[r], rcpu[r] = w[k].cpu[r] / w[0].cpu[r];
            snprintf(name, sizeof name, "%zu, by wall time", w[k].size);
            line3(name, rw, rounds, 2);
            snprintf(name, sizeof name, "%zu, by CPU time", w[k].size);
            line3(name, rcpu, rounds, 2);
        }
        for (int k = 1; k < NWORK; k++) {
            double rw[MAX_ROUNDS];
            char name[128];
            for (size_t r = 0; r < rounds; r++)
                rw[r] = w[k].rwall[r] / w[0].rwall[r];
            snprintf(name, sizeof name, "replica's delta, %zu, by wall time", w[k].size);
            line3(name, rw, rounds, 2);
        }
    }
    for (int k = 0; k < NWORK; k++)
        tc_store_close(w[k].s), tc_bundle_free(w[k].replica);
    reg_gen_keys_free(&keys);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}
