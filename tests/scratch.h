/*
 * scratch.h - a scratch directory for one test program: paths in it, small files written into
 * it, secret keys created in it (with the fast interactive KDF), and its removal at the end.
 */
#ifndef TC_SCRATCH_H
#define TC_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static char scratch_dir[] = "/tmp/tc_test_XXXXXX";
static const char scratch_pass[] = "scratch test passphrase";

static inline bool scratch_init(void)
{
    return mkdtemp(scratch_dir) != NULL;
}

/* "<scratch>/<name>"; the last eight results stay valid. */
static inline const char *path_in(const char *name)
{
    static char buf[8][512];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", scratch_dir, name);
    return buf[slot];
}

static inline void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_in(name), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Creates and opens a secret key named `name` (also its display name). */
static inline struct tc_secret *make_key(const char *name, enum tc_key_kind kind)
{
    struct tc_pubkey pub;
    struct tc_secret *s = NULL;
    tc_keys_secret_create(path_in(name), kind, name, TC_KDF_INTERACTIVE, scratch_pass,
                          strlen(scratch_pass), &pub);
    tc_keys_secret_open(&s, path_in(name), scratch_pass, strlen(scratch_pass));
    return s;
}

/* Creates a signing key named `name` and opens it as a signer handle (the file backend). */
static inline struct tc_signer *make_signer(const char *name, enum tc_key_kind kind)
{
    struct tc_pubkey pub;
    struct tc_signer *s = NULL;
    tc_keys_secret_create(path_in(name), kind, name, TC_KDF_INTERACTIVE, scratch_pass,
                          strlen(scratch_pass), &pub);
    tc_keys_signer_open(&s, path_in(name), scratch_pass, strlen(scratch_pass), kind);
    return s;
}

static inline void scratch_remove(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", scratch_dir);
}

#endif
