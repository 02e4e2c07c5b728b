/*
 * file.c - the one way titlecert writes a file: a temporary file beside the target, written in
 * full, fsync'd, then renamed (or, when the target must not exist, linked) into place and the
 * directory fsync'd. A reader, or the program after a crash, sees the old file or the whole new
 * one, never a torn one; nothing is half-written.
 *
 * The mode is set with fchmod, so the umask cannot widen it. Files that can always be made again
 * from the store (QR images written in batches) may skip the fsyncs: the rename still keeps them
 * whole, and the caller syncs the directory once per batch (tc_file_sync_dir).
 *
 * Two settings of the process live here too: its hardening (tc_proc_harden) and how many
 * processors it may use (tc_cpus_usable).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

void tc_path_dir(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, size, ".");
    } else if (slash == path) {
        snprintf(out, size, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= size)
            n = size - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

/* fsync or syncfs (op) of the directory dir; errno kept. */
static enum tc_err sync_of_dir(const char *dir, int (*op)(int))
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return TC_ERR_IO;
    int rc = op(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0 ? TC_OK : TC_ERR_IO;
}

enum tc_err tc_file_sync_dir(const char *dir)
{
    return sync_of_dir(dir, fsync);
}

enum tc_err tc_file_sync_fs(const char *dir)
{
    return sync_of_dir(dir, syncfs);
}

enum tc_err tc_file_begin(struct tc_file *f, const char *path, unsigned mode, unsigned flags)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!(flags & TC_FILE_REPLACE) && access(path, F_OK) == 0)
        return TC_ERR_EXISTS;
    if ((size_t)snprintf(f->path, sizeof f->path, "%s", path) >= sizeof f->path ||
        (size_t)snprintf(f->tmp, sizeof f->tmp, "%s.tmp.XXXXXX", path) >= sizeof f->tmp)
        return TC_ERR_ARG;
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0)
        return TC_ERR_IO;
    f->flags = flags;
    if (fchmod(f->fd, (mode_t)mode) != 0) {
        tc_file_abort(f);
        return TC_ERR_IO;
    }
    return TC_OK;
}

enum tc_err tc_file_put(struct tc_file *f, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(f->fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return TC_ERR_IO;
        }
        off += (size_t)w;
    }
    return TC_OK;
}

void tc_file_abort(struct tc_file *f)
{
    int saved = errno;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->tmp[0])
        unlink(f->tmp);
    f->tmp[0] = '\0';
    errno = saved;
}

enum tc_err tc_file_commit(struct tc_file *f)
{
    bool sync = !(f->flags & TC_FILE_NOSYNC);
    if (sync && fsync(f->fd) != 0)
        goto fail;
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0)
        goto fail;
    if (!(f->flags & TC_FILE_REPLACE)) {
        /* link() fails when the name appeared meanwhile: no silent overwrite */
        if (link(f->tmp, f->path) != 0) {
            enum tc_err e = errno == EEXIST ? TC_ERR_EXISTS : TC_ERR_IO;
            tc_file_abort(f);
            return e;
        }
        unlink(f->tmp);
    } else if (rename(f->tmp, f->path) != 0) {
        goto fail;
    }
    f->tmp[0] = '\0';
    if (sync) {
        char dir[PATH_MAX];
        tc_path_dir(f->path, dir, sizeof dir);
        return tc_file_sync_dir(dir);
    }
    return TC_OK;
fail:
    tc_file_abort(f);
    return TC_ERR_IO;
}

enum tc_err tc_file_write(const char *path, const void *buf, size_t len, unsigned mode,
                          unsigned flags)
{
    struct tc_file f;
    enum tc_err e = tc_file_begin(&f, path, mode, flags);
    if (e != TC_OK)
        return e;
    if ((e = tc_file_put(&f, buf, len)) != TC_OK) {
        tc_file_abort(&f);
        return e;
    }
    return tc_file_commit(&f);
}

enum tc_err tc_fd_read(int fd, void *buf, size_t cap, size_t *got)
{
    uint8_t *p = buf;
    *got = 0;
    while (*got < cap) {
        ssize_t r = read(fd, p + *got, cap - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return TC_ERR_IO;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return TC_OK;
}

enum tc_err tc_file_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TC_ERR_NOT_FOUND : TC_ERR_IO;
    struct stat st;
    enum tc_err e = TC_ERR_IO;
    uint8_t *p = NULL;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        e = TC_ERR_SIZE_LIMIT;
        goto out;
    }
    size_t want = (size_t)st.st_size, got;
    if (!(p = malloc(want + 2))) {
        e = TC_ERR_NOMEM;
        goto out;
    }
    /* read to the end, not to the size stat gave: one byte more means the file grew meanwhile */
    if (tc_fd_read(fd, p, want + 1, &got) != TC_OK)
        goto out;
    if (got > want) {
        errno = EAGAIN;
        goto out;
    }
    p[got] = '\0'; /* text files can be used as strings */
    *buf = p, *len = got, p = NULL;
    e = TC_OK;
out:
    free(p);
    int saved = errno;
    close(fd);
    errno = saved;
    return e;
}

enum tc_err tc_proc_harden(void)
{
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return TC_ERR_INTERNAL;
    return TC_OK;
}

long tc_cpus_of_quota(const char *cpu_max)
{
    long long quota, period;
    char end;
    if (sscanf(cpu_max, "%lld %lld%c", &quota, &period, &end) < 2 || quota <= 0 || period <= 0)
        return 0; /* "max PERIOD": no quota */
    return (long)((quota + period - 1) / period);
}

/* The CPU quota of the process's cgroup and those above it (cgroup v2 cpu.max, "QUOTA PERIOD"
 * or "max PERIOD": systemd's CPUQuota=, docker's --cpus), in processors rounded up, the least
 * of them; 0 where there is none or none can be read. */
static long cgroup_cpus(void)
{
    char line[1024], path[1200];
    long least = 0;
    FILE *f = fopen("/proc/self/cgroup", "re");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, "0::/", 4) == 0;
    if (f)
        fclose(f);
    if (!found)
        return 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *end = line + strlen(line);; end = strrchr(line + 3, '/')) {
        *end = '\0'; /* this cgroup, then its parents */
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", line + 3);
        char text[64] = "";
        FILE *q = fopen(path, "re");
        long n = q && fgets(text, sizeof text, q) ? tc_cpus_of_quota(text) : 0;
        if (n > 0 && (least == 0 || n < least))
            least = n;
        if (q)
            fclose(q);
        if (end == line + 3)
            break;
    }
    return least;
}

int tc_cpus_usable(int most)
{
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                         : sysconf(_SC_NPROCESSORS_ONLN);
    long quota = cgroup_cpus();
    if (quota > 0 && quota < n)
        n = quota;
    return n < 1 ? 1 : n > most ? most : (int)n;
}
