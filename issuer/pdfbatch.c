/*
 * pdfbatch.c - renders the e-certificates (A4) of many certificates on worker threads: the store
 * is read first, on the caller's thread (certificates, each signing key's endorsed name, the
 * organiser's seal, the employer's name), then N threads, each with its own font map, write
 * DIR/<id>.pdf. Every file is written to a temporary name and renamed; a file that is already
 * complete is kept (an interrupted run resumes), unless asked to render again.
 *
 * A revoked or superseded certificate is not rendered as if it were valid: the batch is refused,
 * naming it, unless asked to stamp its status across the page; then its file is always written
 * again (one kept from before the revocation would not carry it).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"

struct seal {
    uint8_t kid[TC_KID_BYTES];
    char organiser[192];
    uint8_t *img;
    size_t len;
    bool svg;
};

struct job {
    struct tc_claims c;
    char link[TC_LINK_MAX + 1];
    char employer[192];
    const char *committee;
    const struct seal *seal;
    int status; /* enum tc_pdf_status */
    int32_t status_day;
    uint64_t successor;
};

struct run {
    struct job *jobs;
    size_t n;
    const char *dir, *base;
    const struct tc_profile *profile;
    atomic_size_t next, done;
    pthread_mutex_t lock;
    enum tc_err err;
    uint64_t failed_id;
    char why[4700];
};

static void *worker(void *arg)
{
    struct run *r = arg;
    struct tc_pdf_engine *g = tc_pdf_engine_new();
    char path[4096], tmp[4200], why[4700];
    if (!g) { /* the batch stops, saying so, instead of waiting for jobs no one takes */
        pthread_mutex_lock(&r->lock);
        if (r->err == TC_OK) {
            r->err = TC_ERR_NOMEM;
            snprintf(r->why, sizeof r->why, "no memory for a PDF engine (fewer --threads?)");
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n)
            break;
        pthread_mutex_lock(&r->lock);
        bool stop = r->err != TC_OK;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            break;
        const struct job *j = &r->jobs[i];
        struct tc_pdf_cert in = {&j->c,        j->link,
                                 r->base,      r->profile,
                                 j->committee, j->seal->organiser,
                                 j->seal->img, j->seal->len,
                                 j->seal->svg, j->employer[0] ? j->employer : NULL,
                                 NULL,         j->status,
                                 j->status_day, j->successor};
        snprintf(path, sizeof path, "%s/%llu.pdf", r->dir, (unsigned long long)j->c.id);
        snprintf(tmp, sizeof tmp, "%s.tmp%ld-%zu", path, (long)getpid(), i);
        enum tc_err e = tc_pdf_write(g, &in, tmp, NULL, why, sizeof why);
        if (e == TC_OK && rename(tmp, path) != 0) {
            snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
            unlink(tmp);
            e = TC_ERR_IO;
        }
        if (e != TC_OK) {
            pthread_mutex_lock(&r->lock);
            if (r->err == TC_OK) {
                r->err = e;
                r->failed_id = j->c.id;
                snprintf(r->why, sizeof r->why, "%s", why);
            }
            pthread_mutex_unlock(&r->lock);
            break;
        }
        atomic_fetch_add(&r->done, 1);
    }
    tc_pdf_engine_free(g);
    return NULL;
}

/* removes temporary files a killed run left behind (names end in .pdf.tmp<pid>-<n>) */
static void clean_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    if (!d)
        return;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".pdf.tmp")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the seals of the keys met so far: few (one per committee key), looked up by key id */
struct seals {
    struct seal *v;
    size_t n;
};

/* The seal of key kid (loaded from the store the first time it is met) in *out. */
static enum tc_err seal_for(struct tc_store *s, struct seals *ss, const uint8_t kid[TC_KID_BYTES],
                            const char *committee, struct tc_pdf_batch_result *res,
                            const struct seal **out)
{
    size_t k = 0;
    while (k < ss->n && memcmp(ss->v[k].kid, kid, TC_KID_BYTES) != 0)
        k++;
    if (k < ss->n) {
        *out = &ss->v[k];
        return TC_OK;
    }
    struct seal *g = realloc(ss->v, (ss->n + 1) * sizeof *ss->v);
    if (!g)
        return TC_ERR_NOMEM;
    ss->v = g;
    memset(&ss->v[k], 0, sizeof ss->v[k]);
    memcpy(ss->v[k].kid, kid, TC_KID_BYTES);
    ss->n++;
    enum tc_err e = tc_seal_get(s, kid, ss->v[k].organiser, sizeof ss->v[k].organiser,
                                &ss->v[k].img, &ss->v[k].len, &ss->v[k].svg);
    if (e == TC_ERR_NOT_FOUND) {
        char hex[TC_KID_BYTES * 2 + 1];
        sodium_bin2hex(hex, sizeof hex, kid, TC_KID_BYTES);
        snprintf(res->why, sizeof res->why,
                 "no seal for key %s (%s): an e-certificate is sealed by the organiser (A4); set "
                 "one with: titlecert-issuer seal --kid %s --organiser NAME --image "
                 "SEAL.png|.svg",
                 hex, committee, hex);
    }
    *out = &ss->v[k];
    return e;
}

/* The status of a certificate's row in job j; TC_ERR_REFUSED (and why, unless one is said
 * already) for a revoked or superseded one without status_stamp. */
static enum tc_err job_status(const struct tc_cert_row *row, bool status_stamp, struct job *j,
                              struct tc_pdf_batch_result *res)
{
    bool revoked = strcmp(row->status, "revoked") == 0;
    if (!revoked && strcmp(row->status, "superseded") != 0)
        return TC_OK;
    j->status = revoked ? TC_PDF_REVOKED : TC_PDF_SUPERSEDED;
    j->status_day = row->status_day, j->successor = row->successor;
    if (status_stamp)
        return TC_OK;
    char day[11];
    unsigned long long id = row->id, next = row->successor;
    tc_day_format(day, row->status_day);
    if (res->why[0])
        ;
    else if (revoked)
        snprintf(res->why, sizeof res->why,
                 "证书 %llu 已于 %s 撤销，不出电子证书 / certificate %llu was revoked on %s (%s): "
                 "not rendered as if valid; --status-stamp renders it with 已撤销 REVOKED across "
                 "the page", id, day, id, day, row->reason);
    else
        snprintf(res->why, sizeof res->why,
                 "证书 %llu 已于 %s 换发为证书 %llu，不出电子证书 / certificate %llu was superseded "
                 "by %llu on %s: render %llu instead; --status-stamp renders it with 已换发 "
                 "SUPERSEDED across the page", id, day, next, id, next, day, next);
    return TC_ERR_REFUSED;
}

/* Reads certificate id into job j: decoded, its signature checked against the trust list (what
 * is rendered is what verifies; the committee's name is the key's endorsement), its link, the
 * employer's name (unit, a prepared statement) and its key's seal. *kept when its file is
 * complete and kept instead. */
static enum tc_err read_job(struct tc_store *s, uint64_t id, const struct tc_trust_list *tl,
                            const struct tc_pdf_batch_opts *o, sqlite3_stmt *unit,
                            struct seals *ss, struct job *j, bool *kept,
                            struct tc_pdf_batch_result *res)
{
    struct tc_cert_row row;
    struct tc_cert cert;
    enum tc_err e;
    char path[4096];
    *kept = false;
    if ((e = tc_cert_get(s, id, &row)) == TC_OK &&
        (e = job_status(&row, o->status_stamp, j, res)) == TC_ERR_REFUSED)
        return e;
    snprintf(path, sizeof path, "%s/%llu.pdf", o->dir, (unsigned long long)id);
    if (e == TC_OK && !o->force && j->status == TC_PDF_VALID && tc_pdf_complete(path)) {
        *kept = true;
        return TC_OK;
    }
    if (e != TC_OK || (e = tc_cert_decode(row.payload, row.payload_len, &cert, NULL)) != TC_OK) {
        snprintf(res->why, sizeof res->why, "certificate %llu: %s", (unsigned long long)id,
                 tc_strerror(e));
        return e;
    }
    const struct tc_endorsement *en = tc_trust_find(tl, cert.kid);
    if (!en || tc_cert_verify_sig(&cert, en->pk) != TC_OK) {
        snprintf(res->why, sizeof res->why,
                 "certificate %llu: its key is not in the trust list, or its signature does not "
                 "verify",
                 (unsigned long long)id);
        return TC_ERR_UNKNOWN_KEY_ID;
    }
    j->c = cert.claims;
    j->committee = en->name;
    char text[TC_TEXT_MAX + 1];
    if ((e = tc_text_encode(text, sizeof text, row.payload, row.payload_len)) != TC_OK ||
        (e = tc_link_make(j->link, sizeof j->link, o->base, text)) != TC_OK)
        return e;
    sqlite3_bind_text(unit, 1, cert.claims.employer, -1, SQLITE_STATIC);
    if (sqlite3_step(unit) == SQLITE_ROW)
        snprintf(j->employer, sizeof j->employer, "%s", (const char *)sqlite3_column_text(unit, 0));
    sqlite3_reset(unit);
    return seal_for(s, ss, cert.kid, en->name, res, &j->seal);
}

/* The jobs: every certificate of ids whose file is not already complete (unless force). A
 * revoked or superseded certificate refuses the batch, after the others are looked at, so the
 * refusal can say how many there are. */
static enum tc_err read_jobs(struct tc_store *s, const uint64_t *ids, size_t n,
                             const struct tc_trust_list *tl, const struct tc_pdf_batch_opts *o,
                             struct run *r, struct seals *ss, struct tc_pdf_batch_result *res)
{
    sqlite3_stmt *unit = NULL;
    size_t refused = 0;
    enum tc_err e = tc_store_prepare(
        s, "SELECT name FROM units WHERE uscc = ? ORDER BY valid_from DESC LIMIT 1", &unit);
    for (size_t i = 0; e == TC_OK && i < n; i++) {
        bool kept;
        memset(&r->jobs[r->n], 0, sizeof r->jobs[r->n]);
        e = read_job(s, ids[i], tl, o, unit, ss, &r->jobs[r->n], &kept, res);
        if (e == TC_ERR_REFUSED && !refused++)
            res->failed_id = ids[i];
        if (e == TC_ERR_REFUSED)
            e = TC_OK; /* the others are looked at, for the count */
        else if (e == TC_OK && kept)
            res->kept++;
        else if (e == TC_OK)
            r->n++;
        else if (res->why[0])
            res->failed_id = ids[i];
    }
    sqlite3_finalize(unit);
    if (e == TC_OK && refused) {
        size_t len = strlen(res->why);
        if (refused > 1)
            snprintf(res->why + len, sizeof res->why - len,
                     " (以及另外 %zu 张已撤销或已换发的证书 / and %zu more revoked or superseded)",
                     refused - 1, refused - 1);
        res->kept = 0;
        e = TC_ERR_REFUSED;
    }
    return e;
}

/* Runs the workers over r's jobs and reports progress from this thread until they are done or
 * one fails. */
static enum tc_err render_jobs(struct run *r, const struct tc_pdf_batch_opts *o,
                               struct tc_pdf_batch_result *res)
{
    enum tc_err e = TC_OK;
    clean_temporaries(o->dir);
    pthread_mutex_init(&r->lock, NULL);
    int threads = tc_batch_threads(o->threads, r->n); /* no more engines than certificates */
    pthread_t th[TC_BATCH_THREADS_MAX];
    int started = 0;
    double t0 = seconds(), last = 0;
    for (; started < threads; started++)
        if (pthread_create(&th[started], NULL, worker, r) != 0)
            break;
    res->threads = started;
    if (!started)
        e = TC_ERR_NOMEM;
    while (started && atomic_load(&r->done) < r->n) {
        pthread_mutex_lock(&r->lock);
        bool stop = r->err != TC_OK;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        double t = seconds();
        if (o->progress && t - last >= 0.2) {
            o->progress(o->progress_ctx, atomic_load(&r->done), r->n, t - t0);
            last = t;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (o->progress)
        o->progress(o->progress_ctx, atomic_load(&r->done), r->n, seconds() - t0);
    res->seconds = seconds() - t0;
    pthread_mutex_destroy(&r->lock);
    if (r->err != TC_OK) {
        e = r->err;
        res->failed_id = r->failed_id;
        if (r->failed_id)
            snprintf(res->why, sizeof res->why, "certificate %llu: %.600s",
                     (unsigned long long)r->failed_id, r->why);
        else
            snprintf(res->why, sizeof res->why, "%.600s", r->why);
    }
    return e;
}

enum tc_err tc_pdf_batch(struct tc_store *s, const uint64_t *ids, size_t n,
                         const struct tc_trust_list *tl, const struct tc_pdf_batch_opts *o,
                         struct tc_pdf_batch_result *res)
{
    memset(res, 0, sizeof *res);
    struct run r;
    memset(&r, 0, sizeof r);
    r.dir = o->dir, r.base = o->base, r.profile = tc_store_profile(s);
    r.jobs = calloc(n ? n : 1, sizeof *r.jobs);
    struct seals ss = {NULL, 0};
    enum tc_err e = r.jobs ? TC_OK : TC_ERR_NOMEM;
    if (e == TC_OK && mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(res->why, sizeof res->why, "%.500s: %s", o->dir, strerror(errno));
        e = TC_ERR_IO;
    }
    if (e == TC_OK)
        e = read_jobs(s, ids, n, tl, o, &r, &ss, res);
    if (e == TC_OK && r.n)
        e = render_jobs(&r, o, res);
    res->written = atomic_load(&r.done);
    for (size_t k = 0; k < ss.n; k++)
        free(ss.v[k].img);
    free(ss.v);
    free(r.jobs);
    return e;
}
