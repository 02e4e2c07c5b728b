/*
 * outputs.c - the files a certificate is handed out as: DIR/<id>.txt (the payload text), .link
 * (the verification link), .png (the QR code, 4 pixels a module) and .svg, written by import,
 * issue, convert and render. Each file is written whole (a temporary name, then renamed), so a
 * reader never sees half of one; the files can always be written again from the store.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer.h"

static enum tc_err write_line(const char *dir, uint64_t id, const char *ext, const char *text,
                              char *path, size_t size)
{
    char line[TC_LINK_MAX + 2];
    size_t n = strlen(text);
    snprintf(path, size, "%s/%llu.%s", dir, (unsigned long long)id, ext);
    memcpy(line, text, n);
    line[n] = '\n';
    return tc_file_write(path, line, n + 1, 0644, TC_FILE_REPLACE | TC_FILE_NOSYNC);
}

enum tc_err tc_cert_files_write(const char *dir, const char *base, uint64_t id, const uint8_t *msg,
                                size_t len, struct tc_cert_files *out)
{
    char text[TC_TEXT_MAX + 1];
    struct tc_qr qr = {0};
    memset(out, 0, sizeof *out);
    enum tc_err e;
    if ((e = tc_text_encode(text, sizeof text, msg, len)) != TC_OK ||
        (e = tc_link_make(out->link, sizeof out->link, base, text)) != TC_OK ||
        (e = tc_qr_encode(&qr, out->link, TC_QR_M)) != TC_OK) {
        snprintf(out->failed, sizeof out->failed, "encoding certificate %llu",
                 (unsigned long long)id);
        return e;
    }
    out->qr_version = qr.version;
    snprintf(out->failed, sizeof out->failed, "%s", dir);
    if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0)
        e = TC_ERR_IO;
    if (e == TC_OK)
        e = write_line(dir, id, "txt", text, out->failed, sizeof out->failed);
    if (e == TC_OK)
        e = write_line(dir, id, "link", out->link, out->failed, sizeof out->failed);
    if (e == TC_OK) {
        snprintf(out->failed, sizeof out->failed, "%s/%llu.png", dir, (unsigned long long)id);
        e = tc_qr_write_png(&qr, out->failed, 4);
    }
    if (e == TC_OK) {
        snprintf(out->failed, sizeof out->failed, "%s/%llu.svg", dir, (unsigned long long)id);
        e = tc_qr_write_svg(&qr, out->failed);
    }
    if (e == TC_OK)
        out->failed[0] = '\0';
    int saved = errno;
    tc_qr_free(&qr);
    errno = saved;
    return e;
}

enum tc_err tc_render_files(struct tc_store *s, const uint64_t *ids, size_t n, const char *dir,
                            const char *base, tc_progress_fn progress, void *ctx,
                            struct tc_render_result *r)
{
    memset(r, 0, sizeof *r);
    enum tc_err e = TC_OK;
    for (; r->done < n; r->done++) {
        struct tc_cert_row row;
        if ((e = tc_cert_get(s, ids[r->done], &row)) != TC_OK) {
            snprintf(r->files.failed, sizeof r->files.failed, "certificate %llu in the store",
                     (unsigned long long)ids[r->done]);
            break;
        }
        if ((e = tc_cert_files_write(dir, base, row.id, row.payload, row.payload_len,
                                     &r->files)) != TC_OK)
            break;
        if (progress && (r->done % 500 == 0 || r->done + 1 == n))
            progress(ctx, r->done + 1, n);
    }
    if (e != TC_OK)
        r->failed_id = ids[r->done];
    /* the files were written without a sync each: one for the directory, now */
    else if (n && tc_file_sync_dir(dir) != TC_OK)
        e = TC_ERR_IO, snprintf(r->files.failed, sizeof r->files.failed, "%s", dir);
    return e;
}
