/*
 * outputs.c - the files a certificate is handed out as: DIR/<id>.txt (the payload text), .link
 * (the verification link), .png (the QR code, 4 pixels a module) and .svg, written by import,
 * issue, convert and render. The files can always be written again from the store.
 *
 * Every file goes to a temporary name beside its own and reaches the disk before it is renamed
 * into place, so a file under its final name is whole, even after a crash. One certificate
 * alone (tc_cert_files_write) syncs each file. A batch (tc_render_files) is made on worker
 * threads in groups of up to TC_RENDER_GROUP certificates: the group's temporary files are
 * written, the file system is synced once, they are renamed, and the directory is synced once at
 * the end. A certificate whose four files are already there, complete and for the same link, is
 * kept: an interrupted batch resumes by being run again, as the e-certificates do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer.h"
#include "issuer_internal.h"

#define TC_RENDER_GROUP 4096

static const char *const ext[4] = {"txt", "link", "png", "svg"};

#define NAME_MAX_ (TC_PATH_MAX + 64) /* a file's final name in DIR */
#define TMP_MAX_ (NAME_MAX_ + 32)      /* and its temporary one */

/* The temporary name of a file of certificate id, and its final name. */
static void names(const char *dir, uint64_t id, int k, char tmp[TMP_MAX_], char path[NAME_MAX_])
{
    snprintf(path, NAME_MAX_, "%s/%llu.%s", dir, (unsigned long long)id, ext[k]);
    snprintf(tmp, TMP_MAX_, "%s/%llu.%s.tmp%ld", dir, (unsigned long long)id, ext[k],
             (long)getpid());
}

/* Writes a temporary file whole (mode 0644 whatever the umask), fsync'd when sync. */
static enum tc_err write_temp(const char *tmp, const void *p, size_t len, bool sync)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return TC_ERR_IO;
    struct tc_file f = {.fd = fd};
    enum tc_err e = fchmod(fd, 0644) == 0 ? tc_file_put(&f, p, len) : TC_ERR_IO;
    if (e == TC_OK && sync && fsync(fd) != 0)
        e = TC_ERR_IO;
    int saved = errno;
    if (close(fd) != 0 && e == TC_OK)
        e = TC_ERR_IO, saved = errno;
    if (e != TC_OK)
        unlink(tmp);
    errno = saved;
    return e;
}

/* Whether path holds exactly n bytes ending with tail (t bytes), or with want (n bytes) whole. */
static bool file_is(const char *path, const void *want, size_t n, const void *tail, size_t t)
{
    uint8_t buf[(TC_TEXT_MAX > TC_LINK_MAX ? TC_TEXT_MAX : TC_LINK_MAX) + 2];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    bool ok = false;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (want)
            ok = (size_t)st.st_size == n && n <= sizeof buf && pread(fd, buf, n, 0) == (ssize_t)n &&
                 memcmp(buf, want, n) == 0;
        else
            ok = (size_t)st.st_size > t && pread(fd, buf, t, st.st_size - (off_t)t) == (ssize_t)t &&
                 memcmp(buf, tail, t) == 0;
    }
    close(fd);
    return ok;
}

/* The four files of certificate id are there, complete, for this text and link. */
static bool complete(const char *dir, uint64_t id, const char *text, const char *link)
{
    static const uint8_t iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    char path[NAME_MAX_], line[TC_LINK_MAX + 2];
    size_t n = strlen(text);
    memcpy(line, text, n), line[n] = '\n';
    snprintf(path, sizeof path, "%s/%llu.txt", dir, (unsigned long long)id);
    if (!file_is(path, line, n + 1, NULL, 0))
        return false;
    n = strlen(link);
    memcpy(line, link, n), line[n] = '\n';
    snprintf(path, sizeof path, "%s/%llu.link", dir, (unsigned long long)id);
    if (!file_is(path, line, n + 1, NULL, 0))
        return false;
    snprintf(path, sizeof path, "%s/%llu.png", dir, (unsigned long long)id);
    if (!file_is(path, NULL, 0, iend, sizeof iend))
        return false;
    snprintf(path, sizeof path, "%s/%llu.svg", dir, (unsigned long long)id);
    return file_is(path, NULL, 0, "</svg>\n", 7);
}

/* A certificate's four files, made in memory and written to their temporary names; *kept when
 * keep and they are already complete. out->failed names what failed. */
static enum tc_err make(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                        size_t len, bool keep, bool sync, bool *kept, struct tc_cert_files *out)
{
    char text[TC_TEXT_MAX + 2], link[TC_LINK_MAX + 2], tmp[TMP_MAX_], path[NAME_MAX_];
    struct tc_qr qr = {0};
    uint8_t *img[2] = {NULL, NULL};
    size_t img_len[2] = {0, 0};
    enum tc_err e;
    *kept = false;
    if ((e = tc_text_encode(text, sizeof text - 1, msg, len)) != TC_OK ||
        (e = tc_link_make(out->link, sizeof out->link, base, text)) != TC_OK) {
        snprintf(out->failed, sizeof out->failed, "encoding certificate %llu",
                 (unsigned long long)id);
        return e;
    }
    if (keep && complete(dir, id, text, out->link)) {
        *kept = true;
        return TC_OK;
    }
    if ((e = tc_qr_encode(&qr, out->link, TC_QR_M)) != TC_OK ||
        (e = tc_qr_png(&qr, 4, &img[0], &img_len[0])) != TC_OK ||
        (e = tc_qr_svg(&qr, &img[1], &img_len[1])) != TC_OK)
        snprintf(out->failed, sizeof out->failed, "encoding certificate %llu",
                 (unsigned long long)id);
    out->qr_version = qr.version;
    tc_qr_free(&qr);
    size_t n = strlen(text), l = strlen(out->link);
    memcpy(link, out->link, l);
    text[n] = '\n', link[l] = '\n';
    const void *data[4] = {text, link, img[0], img[1]};
    size_t data_len[4] = {n + 1, l + 1, img_len[0], img_len[1]};
    for (int k = 0; e == TC_OK && k < 4; k++) {
        names(dir, id, k, tmp, path);
        if ((e = write_temp(tmp, data[k], data_len[k], sync)) != TC_OK)
            snprintf(out->failed, sizeof out->failed, "%s", path);
    }
    int saved = errno;
    free(img[0]), free(img[1]);
    errno = saved;
    return e;
}

/* Renames a certificate's temporary files into place: the images first, the link last, so that
 * a run stopped halfway leaves a .txt or .link of the old text beside new images, never new ones
 * beside old images (complete() compares the text and link, not the images). */
static enum tc_err settle(const char *dir, uint64_t id, struct tc_cert_files *out)
{
    static const int order[4] = {2, 3, 0, 1};
    char tmp[TMP_MAX_], path[NAME_MAX_];
    for (int j = 0; j < 4; j++) {
        int k = order[j];
        names(dir, id, k, tmp, path);
        if (rename(tmp, path) != 0) {
            snprintf(out->failed, sizeof out->failed, "%s", path);
            return TC_ERR_IO;
        }
    }
    return TC_OK;
}

/* Removes a certificate's temporary files (errno kept). */
static void drop(const char *dir, uint64_t id)
{
    char tmp[TMP_MAX_], path[NAME_MAX_];
    int saved = errno;
    for (int k = 0; k < 4; k++) {
        names(dir, id, k, tmp, path);
        unlink(tmp);
    }
    errno = saved;
}

static enum tc_err make_dir(const char *dir, struct tc_cert_files *out)
{
    if (mkdir(dir, 0755) == 0 || (errno == EEXIST && access(dir, W_OK) == 0))
        return TC_OK;
    snprintf(out->failed, sizeof out->failed, "%s", dir);
    return TC_ERR_IO;
}

enum tc_err tc_cert_files_write(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                                size_t len, struct tc_cert_files *out)
{
    bool kept;
    memset(out, 0, sizeof *out);
    enum tc_err e = make_dir(dir, out);
    if (e == TC_OK && (e = make(dir, base, id, msg, len, false, true, &kept, out)) != TC_OK)
        drop(dir, id);
    if (e == TC_OK)
        e = settle(dir, id, out);
    if (e == TC_OK && tc_file_sync_dir(dir) != TC_OK)
        e = TC_ERR_IO, snprintf(out->failed, sizeof out->failed, "%s", dir);
    if (e == TC_OK)
        out->failed[0] = '\0';
    return e;
}

/* ---- a batch, on worker threads --------------------------------------------------------------- */

struct item {
    uint64_t id;
    uint8_t msg[TC_CERT_MAX_BYTES];
    size_t len;
    bool kept, made;
};

struct run {
    const char *dir, *base;
    struct item *items;
    size_t n;
    atomic_size_t next;
    bool renaming; /* the second phase: the files made are renamed into place */
    pthread_mutex_t lock;
    enum tc_err err;
    int err_no;
    uint64_t failed_id;
    struct tc_cert_files files; /* what failed */
    int most_started;           /* the most workers one phase started (0: this thread alone) */
};

static bool stopped(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    bool stop = r->err != TC_OK;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

static void fail(struct run *r, enum tc_err e, uint64_t id, const struct tc_cert_files *f)
{
    int saved = errno;
    pthread_mutex_lock(&r->lock);
    if (r->err == TC_OK) {
        r->err = e, r->err_no = saved, r->failed_id = id;
        r->files = *f;
    }
    pthread_mutex_unlock(&r->lock);
}

static void *worker(void *arg)
{
    struct run *r = arg;
    struct tc_cert_files f;
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n || stopped(r))
            break;
        struct item *it = &r->items[i];
        enum tc_err e = TC_OK;
        memset(&f, 0, sizeof f);
        if (!r->renaming) {
            e = make(r->dir, r->base, it->id, it->msg, it->len, true, false, &it->kept, &f);
            it->made = e == TC_OK && !it->kept;
            if (e != TC_OK)
                drop(r->dir, it->id);
        } else if (it->made) {
            e = settle(r->dir, it->id, &f);
        }
        if (e != TC_OK) {
            fail(r, e, it->id, &f);
            break;
        }
    }
    return NULL;
}

int tc_batch_threads(int asked, size_t n)
{
    int threads = asked > 0 ? asked : tc_cpus_usable(TC_BATCH_THREADS_MAX);
    if (threads > TC_BATCH_THREADS_MAX)
        threads = TC_BATCH_THREADS_MAX;
    return (size_t)threads > n ? (n ? (int)n : 1) : threads;
}

/* One phase over the group's items on `threads` workers (this thread alone if none start). */
static enum tc_err phase(struct run *r, int threads)
{
    pthread_t th[TC_BATCH_THREADS_MAX];
    int started = 0;
    atomic_store(&r->next, 0);
    while (started < threads && pthread_create(&th[started], NULL, worker, r) == 0)
        started++;
    if (started > r->most_started)
        r->most_started = started;
    if (!started)
        worker(r);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return r->err;
}

/* The payloads of a group, read on this thread (the store's handle is not shared). */
static enum tc_err read_group(struct tc_store *s, const uint64_t *ids, size_t n, struct run *r,
                              struct tc_render_result *res)
{
    enum tc_err e = TC_OK;
    for (size_t i = 0; i < n && e == TC_OK; i++) {
        struct tc_cert_row row;
        struct item *it = &r->items[i];
        if ((e = tc_cert_get(s, ids[i], &row)) != TC_OK) {
            res->failed_id = ids[i];
            snprintf(res->files.failed, sizeof res->files.failed, "certificate %llu in the store",
                     (unsigned long long)ids[i]);
            break;
        }
        it->id = row.id, it->len = row.payload_len, it->kept = it->made = false;
        memcpy(it->msg, row.payload, row.payload_len);
    }
    r->n = e == TC_OK ? n : 0;
    return e;
}

/* One group: its files made, the file system synced once, the files renamed into place. */
static enum tc_err render_group(struct tc_store *s, const uint64_t *ids, size_t n, struct run *r,
                                int threads, struct tc_render_result *res)
{
    enum tc_err e = read_group(s, ids, n, r, res);
    r->renaming = false;
    if (e == TC_OK)
        e = phase(r, threads);
    size_t made = 0;
    for (size_t i = 0; i < r->n; i++)
        made += r->items[i].made;
    /* the files reach the disk before any takes its name */
    if (e == TC_OK && made && tc_file_sync_fs(r->dir) != TC_OK) {
        e = r->err = TC_ERR_IO, r->err_no = errno;
        snprintf(r->files.failed, sizeof r->files.failed, "%s", r->dir);
    }
    if (e != TC_OK) {
        for (size_t i = 0; i < r->n; i++)
            if (r->items[i].made)
                drop(r->dir, r->items[i].id);
        return e;
    }
    r->renaming = true;
    if ((e = phase(r, threads)) == TC_OK) {
        res->done += r->n;
        res->kept += r->n - made;
    }
    return e;
}

/* Whether the process that named a temporary file .tmp<pid> is gone (or is this one). */
static bool left_behind(const char *pid)
{
    char *end;
    errno = 0;
    long p = strtol(pid, &end, 10);
    if (errno || end == pid || *end || p <= 0 || p > INT32_MAX)
        return false;
    return (pid_t)p == getpid() || (kill((pid_t)p, 0) != 0 && errno == ESRCH);
}

/* removes temporary files a killed run left behind: <id>.<txt|link|png|svg>.tmp<pid>, the
 * process gone (a run writing into the same directory keeps its own) */
static void clean_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[TC_PATH_MAX + 300];
    if (!d)
        return;
    while ((de = readdir(d))) {
        const char *dot = strchr(de->d_name, '.'), *t = dot ? strstr(dot, ".tmp") : NULL;
        bool ours = dot && t && dot > de->d_name &&
                    strspn(de->d_name, "0123456789") == (size_t)(dot - de->d_name);
        for (int k = 0; ours && k < 4; k++)
            if ((size_t)(t - dot - 1) == strlen(ext[k]) && !strncmp(dot + 1, ext[k], strlen(ext[k])))
                break;
            else if (k == 3)
                ours = false;
        if (ours && left_behind(t + 4)) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

enum tc_err tc_render_files(struct tc_store *s, const uint64_t *ids, size_t n,
                            const struct tc_render_opts *o, struct tc_render_result *res)
{
    memset(res, 0, sizeof *res);
    struct run r;
    memset(&r, 0, sizeof r);
    r.dir = o->dir, r.base = o->base;
    int threads = tc_batch_threads(o->threads, n);
    size_t group = n < TC_RENDER_GROUP ? n : TC_RENDER_GROUP;
    enum tc_err e = make_dir(o->dir, &res->files);
    if (e == TC_OK && !(r.items = malloc((group ? group : 1) * sizeof *r.items)))
        e = TC_ERR_NOMEM;
    if (e == TC_OK)
        clean_temporaries(o->dir);
    pthread_mutex_init(&r.lock, NULL);
    for (size_t at = 0; e == TC_OK && at < n; at += group) {
        size_t k = n - at < group ? n - at : group;
        if ((e = render_group(s, ids + at, k, &r, threads, res)) == TC_OK && o->progress)
            o->progress(o->ctx, res->done, n);
    }
    pthread_mutex_destroy(&r.lock);
    free(r.items);
    res->threads = r.most_started ? r.most_started : 1; /* 1: this thread, when none started */
    if (e != TC_OK && r.err != TC_OK) {
        res->failed_id = r.failed_id, res->files = r.files, res->err = r.err_no;
    } else if (e == TC_OK && n && tc_file_sync_dir(o->dir) != TC_OK) {
        e = TC_ERR_IO, res->err = errno;
        snprintf(res->files.failed, sizeof res->files.failed, "%s", o->dir);
    } else if (e != TC_OK) {
        res->err = errno;
    }
    errno = res->err;
    return e;
}
