/*
 * test_store_bind.c - the store's statement calls (tc_store_query, tc_store_run, tc_store_bind):
 * each binding letter stores what it names (integers at both ends of int64_t, text up to its NUL
 * or of a given length, 32-byte hashes, blobs of a length, NULL pointers as SQL NULL), a type
 * string that does not fit the statement is refused before anything runs, and a statement
 * prepared once takes new values after a reset.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "keys.h"
#include "scratch.h"
#include "tap.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    char *buf = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

/* The row of t with id: each column's type and its bytes, as SQLite returns them. */
struct got {
    int type[3];
    int64_t i;
    char text[64];
    uint8_t blob[64];
    int len[3];
};

static bool row(struct tc_store *s, int64_t id, struct got *g)
{
    sqlite3_stmt *q;
    memset(g, 0, sizeof *g);
    if (tc_store_query(s, &q, "SELECT a, b, c FROM t WHERE id = ?", "i", id) != TC_OK)
        return false;
    bool found = sqlite3_step(q) == SQLITE_ROW;
    for (int c = 0; found && c < 3; c++) {
        g->type[c] = sqlite3_column_type(q, c);
        g->len[c] = sqlite3_column_bytes(q, c);
        if (g->type[c] == SQLITE_INTEGER)
            g->i = sqlite3_column_int64(q, c);
        else if (g->type[c] == SQLITE_TEXT && g->len[c] < (int)sizeof g->text)
            memcpy(g->text, sqlite3_column_text(q, c), (size_t)g->len[c]);
        else if (g->type[c] == SQLITE_BLOB && g->len[c] > 0 && g->len[c] <= (int)sizeof g->blob)
            memcpy(g->blob, sqlite3_column_blob(q, c), (size_t)g->len[c]);
    }
    sqlite3_finalize(q);
    return found;
}

static void test_letters(struct tc_store *s)
{
    uint8_t h[32], kid[8];
    struct got g;
    for (int i = 0; i < 32; i++)
        h[i] = (uint8_t)(0xA0 + i);
    memcpy(kid, "\x01\x02\x03\x00\x05\x06\x07\x08", 8);
    is_err(tc_store_run(s, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, ?)", "iith", (int64_t)1,
                        INT64_MIN, "plain", h),
           TC_OK, "'i', 't' and 'h' in one statement");
    ok(row(s, 1, &g) && g.type[0] == SQLITE_INTEGER && g.i == INT64_MIN,
       "'i' reads a whole int64_t (INT64_MIN)");
    ok(g.type[1] == SQLITE_TEXT && strcmp(g.text, "plain") == 0, "'t' is text up to its NUL");
    ok(g.type[2] == SQLITE_BLOB && g.len[2] == 32 && memcmp(g.blob, h, 32) == 0,
       "'h' is a blob of the 32 bytes");

    const char partial[] = "abcdef";
    is_err(tc_store_run(s, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, ?)", "iisb", (int64_t)2,
                        INT64_MAX, partial, (size_t)3, kid, sizeof kid),
           TC_OK, "'s' and 'b' take a length after the pointer");
    ok(row(s, 2, &g) && g.i == INT64_MAX, "'i' reads INT64_MAX whole too");
    ok(g.type[1] == SQLITE_TEXT && g.len[1] == 3 && strcmp(g.text, "abc") == 0,
       "'s' is text of the length given, not up to the NUL");
    ok(g.type[2] == SQLITE_BLOB && g.len[2] == 8 && memcmp(g.blob, kid, 8) == 0,
       "'b' is a blob of the length given, zero bytes included");

    is_err(tc_store_run(s, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, ?)", "itsb", (int64_t)3,
                        (const char *)NULL, (const char *)NULL, (size_t)0, (const void *)NULL,
                        (size_t)0),
           TC_OK, "NULL pointers for 't', 's' and 'b'");
    ok(row(s, 3, &g) && g.type[0] == SQLITE_NULL && g.type[1] == SQLITE_NULL &&
           g.type[2] == SQLITE_NULL,
       "NULL pointers bind SQL NULL");
    is_err(tc_store_run(s, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, ?)", "ihbb", (int64_t)4,
                        (const uint8_t *)NULL, "", (size_t)0, kid, (size_t)0),
           TC_OK, "a 'b' of length 0 with a pointer");
    ok(row(s, 4, &g) && g.type[0] == SQLITE_NULL && g.type[1] == SQLITE_BLOB && g.len[1] == 0 &&
           g.type[2] == SQLITE_BLOB && g.len[2] == 0,
       "is an empty blob, not NULL ('h' NULL is NULL)");
}

static void test_misfits(struct tc_store *s)
{
    sqlite3_stmt *q = (sqlite3_stmt *)&q; /* not NULL: a refusal must clear it */
    is_err(tc_store_query(s, &q, "SELECT a FROM t WHERE id = ? AND a = ?", "i", (int64_t)1),
           TC_ERR_INTERNAL, "one value for a statement of two parameters is refused");
    ok(q == NULL, "and the statement is finalized, not handed back");
    ok(strstr(tc_store_errmsg(s), "1 values for 2 parameters") != NULL, "the message says so: %s",
       tc_store_errmsg(s));
    is_err(tc_store_run(s, "DELETE FROM t WHERE id = ?", "ii", (int64_t)1, (int64_t)2),
           TC_ERR_INTERNAL, "two values for one parameter are refused");
    is_err(tc_store_run(s, "DELETE FROM t WHERE id = ?", "x", (int64_t)1), TC_ERR_INTERNAL,
           "an unknown letter is refused");
    struct got g;
    ok(row(s, 1, &g), "and the statement did not run (row 1 is still there)");
    is_err(tc_store_run(s, "DELETE FROM t WHERE nosuchcolumn = ?", "i", (int64_t)1), TC_ERR_STORE,
           "SQL that does not compile is the store's error, as before");
    is_err(tc_store_run(s, "SELECT count(*) FROM t", ""), TC_ERR_STORE,
           "a run whose statement returns rows is not done (tc_store_step_done)");
}

static void test_rebind(struct tc_store *s)
{
    sqlite3_stmt *q = NULL;
    enum tc_err e = tc_store_prepare(s, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, NULL)", &q);
    for (int64_t id = 10; e == TC_OK && id < 13; id++) {
        char text[8];
        snprintf(text, sizeof text, "row%d", (int)id);
        if ((e = tc_store_bind(s, q, "iit", id, id * 100, text)) == TC_OK)
            e = tc_store_step_done(s, q);
    }
    is_err(e, TC_OK, "one statement bound anew for three rows");
    struct got g;
    ok(row(s, 12, &g) && g.i == 1200 && strcmp(g.text, "row12") == 0,
       "each row has its own values");
    is_err(tc_store_bind(s, q, "ii", (int64_t)1, (int64_t)2), TC_ERR_INTERNAL,
           "tc_store_bind checks the type string too");
    sqlite3_finalize(q);
}

int main(void)
{
    if (sodium_init() < 0 || !scratch_init())
        return 2;
    struct tc_secret *hashk = make_key("hash.key", TC_KEY_HASH);
    struct tc_store_keys *keys = NULL;
    struct tc_store *s = NULL;
    size_t len = 0;
    char *profile = slurp(getenv("TC_PROFILE_GS"), &len);
    const char *why = NULL;
    enum tc_err e = hashk && profile ? tc_store_keys_derive(&keys, hashk) : TC_ERR_IO;
    if (e == TC_OK && (e = tc_store_init(path_in("bind.db"), profile, len, keys, &why)) == TC_OK)
        e = tc_store_open(&s, path_in("bind.db"), keys);
    /* a table of this connection only: the store's own tables stay as they are */
    if (e == TC_OK)
        e = tc_store_exec(s, "CREATE TEMP TABLE t(id INTEGER PRIMARY KEY, a, b, c)");
    is_err(e, TC_OK, "a store with a scratch table");
    if (e == TC_OK) {
        test_letters(s);
        test_misfits(s);
        test_rebind(s);
    }
    tc_store_close(s);
    tc_store_keys_free(keys);
    tc_keys_secret_close(hashk);
    free(profile);
    scratch_remove();
    return tap_done();
}
