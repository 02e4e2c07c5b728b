/*
 * page.c - a service's page (see http.h): its files read once at start and kept in memory, and
 * which of them a route answers with. Every service that has a page (the verifier's public page,
 * the HR console's front end) serves it the same way, so the layer owns it and a service only
 * lists its files and routes its paths to tc_http_serve_page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct page_file {
    const char *name, *type;
    uint8_t *body;
    size_t len;
};

struct tc_http_pages {
    size_t n;
    struct page_file f[];
};

/* The Content-Type a page file is served with, from its name's ending; NULL for another. */
static const char *type_of(const char *name)
{
    static const struct {
        const char *ending, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ending) == 0)
            return types[i].type;
    return NULL;
}

enum tc_err tc_http_pages_read(struct tc_http_pages **out, const char *dir,
                               const char *const *names, size_t n, size_t max, char *path,
                               size_t size)
{
    *out = NULL;
    struct tc_http_pages *p = calloc(1, sizeof *p + n * sizeof p->f[0]);
    if (!p)
        return TC_ERR_NOMEM;
    enum tc_err e = TC_OK;
    for (size_t i = 0; i < n && e == TC_OK; i++) {
        char where[4096];
        struct page_file *f = &p->f[i];
        snprintf(where, sizeof where, "%s/%s", dir, names[i]);
        if (path)
            snprintf(path, size, "%s", where);
        f->name = names[i];
        f->type = type_of(names[i]);
        e = f->type ? tc_file_read(where, max, &f->body, &f->len) : TC_ERR_ARG;
        p->n += e == TC_OK;
    }
    if (e != TC_OK) {
        int err = errno; /* the caller may say why the file could not be read */
        tc_http_pages_free(p);
        errno = err;
        return e;
    }
    *out = p;
    return TC_OK;
}

void tc_http_pages_free(struct tc_http_pages *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->f[i].body);
    free(p);
}

bool tc_http_pages_file(const struct tc_http_pages *p, const char *pattern, const char **type,
                        const void **body, size_t *len)
{
    if (!p || p->n == 0)
        return false;
    const char *slash = strrchr(pattern, '/');
    const char *name = slash ? slash + 1 : pattern;
    const struct page_file *f = NULL;
    for (size_t i = 0; i < p->n && !f; i++)
        if (strcmp(p->f[i].name, name) == 0)
            f = &p->f[i];
    /* a path that names no file ("/", "/v") is the page itself; one that names a file the
     * service does not have ("/app.mjs") is not served the page in its place */
    if (!f && !strchr(name, '.'))
        f = &p->f[0];
    if (!f)
        return false;
    *type = f->type, *body = f->body, *len = f->len;
    return true;
}
