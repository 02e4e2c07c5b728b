/*
 * ecerts.c - GET /api/batches/{id}/ecerts.zip[?unit=USCC]: the e-certificates of a signed batch
 * (rule A4), one PDF per certificate as `titlecert-issuer render --pdf` writes them (a revoked
 * or superseded one stamped with its status), in one zip, for all of the batch or one employer.
 * Rendered into a private temporary directory that is removed afterwards.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "cert.h"
#include "internal.h"

/* The batch's certificates, or those of one employer. */
static enum tc_err ids_of(struct console *c, int64_t batch, const char *unit, uint64_t **ids,
                          size_t *n)
{
    enum tc_err e = tc_batch_certs(c->s, batch, ids, n);
    if (e != TC_OK || !unit)
        return e;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        struct tc_cert_row row;
        struct tc_cert cert;
        if (tc_cert_get(c->s, (*ids)[i], &row) == TC_OK &&
            tc_cert_decode(row.payload, row.payload_len, &cert, NULL) == TC_OK &&
            strcmp(cert.claims.employer, unit) == 0)
            (*ids)[k++] = (*ids)[i];
    }
    *n = k;
    return k ? TC_OK : TC_ERR_NOT_FOUND;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[600];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* The PDFs of dir into a zip in memory (malloc'd). */
static enum tc_err zip_dir(const char *dir, const uint64_t *ids, size_t n, uint8_t **out,
                           size_t *len)
{
    char zpath[600], name[32], path[600];
    snprintf(zpath, sizeof zpath, "%s/ecerts.zip", dir);
    int err = 0;
    zip_t *z = zip_open(zpath, ZIP_CREATE | ZIP_EXCL, &err);
    if (!z)
        return TC_ERR_IO;
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%llu.pdf", (unsigned long long)ids[i]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        zip_source_t *src = zip_source_file(z, path, 0, -1);
        if (!src || zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(src);
            zip_discard(z);
            return TC_ERR_IO;
        }
    }
    if (zip_close(z) != 0) {
        zip_discard(z);
        return TC_ERR_IO;
    }
    return tc_file_read(zpath, 1u << 30, out, len);
}

void cs_ecerts(struct console *c, struct tc_http_req *r, const struct who *w, int64_t id)
{
    struct tc_wf_batch b;
    const char *unit = tc_http_query(r, "unit");
    uint64_t *ids = NULL;
    size_t n = 0;
    if (unit && (strlen(unit) != 18 || !tc_text_safe((const uint8_t *)unit, 18))) {
        cs_error(r, 400, "bad_unit", "单位代码为 18 位 / a unit's code has 18 characters");
        return;
    }
    if (tc_wf_get(c->s, id, w->now, &b) != TC_OK || !b.issue_batch ||
        ids_of(c, b.issue_batch, unit, &ids, &n) != TC_OK) {
        free(ids);
        cs_error(r, 404, "not_found", "此批次尚无证书（或此单位无人）/ no certificates here yet");
        return;
    }
    char dir[] = "/tmp/tc-ecerts-XXXXXX";
    struct tc_pdf_batch_opts o = {dir, c->cfg.base_url, 2, false, NULL, NULL, true};
    struct tc_pdf_batch_result res;
    uint8_t *zip = NULL;
    size_t len = 0;
    enum tc_err e = mkdtemp(dir) ? tc_pdf_batch(c->s, ids, n, c->tl, &o, &res) : TC_ERR_IO;
    if (e == TC_OK)
        e = zip_dir(dir, ids, n, &zip, &len);
    remove_dir(dir);
    char what[48];
    snprintf(what, sizeof what, "batch %lld%s%s", (long long)id, unit ? " unit " : "",
             unit ? unit : "");
    cs_audit(c, r, w, "console_download_ecerts", what, e == TC_OK ? "ok" : tc_strerror(e));
    if (e == TC_OK) {
        tc_http_add_header(r, "Content-Disposition", "attachment; filename=\"ecerts.zip\"");
        tc_http_reply(r, 200, "application/zip", zip, len);
    } else {
        cs_error(r, 500, "render", e == TC_ERR_IO ? "电子证书无法生成 / the e-certificates could "
                                                    "not be made"
                                                  : res.why);
    }
    free(zip);
    free(ids);
}
