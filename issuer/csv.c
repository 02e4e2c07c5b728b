/*
 * csv.c - CSV input through libcsv (RFC 4180 quoting), with the limits every input here has:
 * file size, row count, field length, safe UTF-8 text. The header row names the columns, so
 * files may order them freely; unknown columns are refused rather than silently ignored.
 *
 * "Line" in refusals is the record number counting the header as line 1: the text line, unless
 * quoted fields hold line breaks.
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer.h"

#define MAX_COLUMNS 32

struct reader {
    const char *const *columns;
    size_t ncolumns;
    int map[MAX_COLUMNS];    /* file column -> wanted column, -1 to ignore */
    size_t file_columns;
    bool header_done, header_bad;
    char *fields[MAX_COLUMNS];
    size_t nfields;
    bool row_bad;
    size_t line;
    size_t rows;
    tc_csv_row_fn row;
    void *ctx;
    struct tc_refusals *ref;
};

static void on_field(void *data, size_t len, void *p)
{
    struct reader *r = p;
    if (r->nfields == MAX_COLUMNS) {
        if (!r->row_bad)
            tc_refusals_add(r->ref, r->line, "", "", "more than %d columns", MAX_COLUMNS);
        r->row_bad = true;
        return;
    }
    if (len > TC_CSV_MAX_FIELD || !tc_text_safe(data ? data : (void *)"", len)) {
        if (!r->row_bad)
            tc_refusals_add(r->ref, r->line, "", "", "column %zu: %s", r->nfields + 1,
                            len > TC_CSV_MAX_FIELD ? "longer than 512 bytes"
                                                   : "not valid UTF-8 text (or control characters)");
        r->row_bad = true;
        r->fields[r->nfields++] = NULL;
        return;
    }
    char *f = malloc(len + 1);
    if (f && len)
        memcpy(f, data, len);
    if (f)
        f[len] = '\0';
    r->fields[r->nfields++] = f;
}

static void clear_fields(struct reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i]);
    r->nfields = 0;
    r->row_bad = false;
}

static bool column_optional(const char *c)
{
    return c[strlen(c) - 1] == '?';
}

static bool column_is(const char *want, const char *have)
{
    size_t n = strlen(want) - (column_optional(want) ? 1 : 0);
    return strlen(have) == n && strncmp(want, have, n) == 0;
}

static void header(struct reader *r)
{
    bool seen[MAX_COLUMNS] = {false};
    r->file_columns = r->nfields;
    for (size_t i = 0; i < r->nfields; i++) {
        r->map[i] = -1;
        for (size_t c = 0; r->fields[i] && c < r->ncolumns; c++)
            if (column_is(r->columns[c], r->fields[i])) {
                if (seen[c]) {
                    tc_refusals_add(r->ref, 1, "", r->fields[i], "column repeated in the header");
                    r->header_bad = true;
                }
                r->map[i] = (int)c;
                seen[c] = true;
            }
        if (r->map[i] < 0) {
            tc_refusals_add(r->ref, 1, "", r->fields[i] ? r->fields[i] : "",
                            "unknown column in the header");
            r->header_bad = true;
        }
    }
    for (size_t c = 0; c < r->ncolumns; c++)
        if (!seen[c] && !column_optional(r->columns[c])) {
            tc_refusals_add(r->ref, 1, "", r->columns[c], "required column missing from the header");
            r->header_bad = true;
        }
}

static void on_row(int c, void *p)
{
    (void)c;
    struct reader *r = p;
    r->line++;
    if (!r->header_done) {
        if (r->line == 1 && r->nfields > 0 && r->fields[0] &&
            strncmp(r->fields[0], "\xef\xbb\xbf", 3) == 0) /* a UTF-8 BOM */
            memmove(r->fields[0], r->fields[0] + 3, strlen(r->fields[0]) - 2);
        header(r);
        r->header_done = true;
        clear_fields(r);
        return;
    }
    if (++r->rows > TC_CSV_MAX_ROWS) {
        if (r->rows == TC_CSV_MAX_ROWS + 1)
            tc_refusals_add(r->ref, r->line, "", "", "more than %d rows", TC_CSV_MAX_ROWS);
        clear_fields(r);
        return;
    }
    if (!r->row_bad && !r->header_bad) {
        if (r->nfields != r->file_columns) {
            tc_refusals_add(r->ref, r->line, "", "", "%zu columns where the header has %zu",
                            r->nfields, r->file_columns);
        } else {
            const char *ordered[MAX_COLUMNS];
            for (size_t i = 0; i < r->ncolumns; i++)
                ordered[i] = "";
            for (size_t i = 0; i < r->nfields; i++)
                if (r->map[i] >= 0)
                    ordered[r->map[i]] = r->fields[i] ? r->fields[i] : "";
            r->row(r->ctx, r->line, ordered);
        }
    }
    clear_fields(r);
}

enum tc_err tc_csv_read_mem(const char *data, size_t len, const char *const *columns,
                            size_t ncolumns, tc_csv_row_fn row, void *ctx,
                            struct tc_refusals *refusals)
{
    if (len > TC_CSV_MAX_BYTES)
        return TC_ERR_SIZE_LIMIT;
    if (ncolumns > MAX_COLUMNS)
        return TC_ERR_ARG;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return TC_ERR_NOMEM;
    struct reader r;
    memset(&r, 0, sizeof r);
    r.columns = columns;
    r.ncolumns = ncolumns;
    r.row = row;
    r.ctx = ctx;
    r.ref = refusals;
    enum tc_err e = TC_OK;
    size_t done = csv_parse(&p, data, len, on_field, on_row, &r);
    if (done != len || csv_fini(&p, on_field, on_row, &r) != 0) {
        tc_refusals_add(refusals, r.line + 1, "", "", "CSV syntax: %s",
                        csv_strerror(csv_error(&p)));
    }
    clear_fields(&r);
    csv_free(&p);
    if (!r.header_done)
        tc_refusals_add(refusals, 1, "", "", "empty file: no header row");
    return e;
}

enum tc_err tc_csv_read(const char *path, const char *const *columns, size_t ncolumns,
                        tc_csv_row_fn row, void *ctx, struct tc_refusals *refusals)
{
    uint8_t *buf;
    size_t len;
    enum tc_err e = tc_file_read(path, TC_CSV_MAX_BYTES, &buf, &len);
    if (e != TC_OK)
        return e;
    e = tc_csv_read_mem((const char *)buf, len, columns, ncolumns, row, ctx, refusals);
    free(buf);
    return e;
}
