/*
 * cosign.c - a publication's checkpoint co-signed by witnesses (issuer.h, tc_cosigning): the
 * export calls tc_register_cosign inside its transaction, after the checkpoint is signed and
 * before the bundle is, so that every file of the publication carries the same co-signed note
 * and a refusal leaves nothing: the transaction is rolled back, no version or checkpoint is kept,
 * and no file has been written (docs/DECISIONS.md, "Publishing with witnesses").
 *
 * Each witness is asked from the size it co-signed last, kept in the store's meta under
 * "witness_size <name>+<key id>" (a witness given a new key starts again from 0, and its 409
 * says where it is). The lines that come back are verified by the client against the witness's
 * key, appended, and the whole note counted against the set's quorum with the same function
 * verifiers use.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "issuer_internal.h"
#include "witness.h"

static void size_key(char *out, size_t size, const struct tc_cosigner *w)
{
    snprintf(out, size, "witness_size %s+%08" PRIx32, w->name, w->key_id);
}

/* The size each witness co-signed last, as this store knows it (0: none). */
static enum tc_err sizes_read(struct tc_store *s, const struct tc_cosigner_set *set,
                              struct tc_witness_reply *reply)
{
    for (size_t i = 0; i < set->n; i++) {
        char key[TC_REG_ORIGIN_MAX + 32];
        void *val = NULL;
        size_t len = 0;
        size_key(key, sizeof key, &set->w[i]);
        memset(&reply[i], 0, sizeof reply[i]);
        enum tc_err e = tc_store_meta_get(s, key, &val, &len);
        if (e == TC_OK) {
            char text[24];
            snprintf(text, sizeof text, "%.*s", (int)(len < 23 ? len : 23), (const char *)val);
            reply[i].old = strtoull(text, NULL, 10);
            free(val);
        } else if (e != TC_ERR_NOT_FOUND) {
            return e;
        }
    }
    return TC_OK;
}

/* The sizes the witnesses hold now, as their answers said (never one above the tree's: that
 * answer is an error, not a size to start from). */
static enum tc_err sizes_keep(struct tc_store *s, const struct tc_cosigner_set *set,
                              const struct tc_witness_reply *reply, uint64_t n)
{
    enum tc_err e = TC_OK;
    for (size_t i = 0; i < set->n && e == TC_OK; i++) {
        char key[TC_REG_ORIGIN_MAX + 32], text[24];
        if (reply[i].old > n || (reply[i].asked == 0))
            continue;
        size_key(key, sizeof key, &set->w[i]);
        int len = snprintf(text, sizeof text, "%" PRIu64, reply[i].old);
        e = tc_store_meta_set(s, key, text, (size_t)len);
    }
    return e;
}

/* The first witness that did not co-sign, for the one-sentence message. */
static const struct tc_witness_reply *first_failure(const struct tc_cosigner_set *set,
                                                    const struct tc_witness_reply *reply,
                                                    size_t *index)
{
    for (size_t i = 0; i < set->n; i++)
        if (reply[i].result != TC_OK) {
            *index = i;
            return &reply[i];
        }
    return NULL;
}

enum tc_err tc_register_cosign(struct tc_store *s, const struct tc_cosigning *w,
                               struct tc_reg_tree *t, char *note, size_t cap, size_t *len,
                               char *why, size_t why_size)
{
    const struct tc_cosigner_set *set = w->set;
    struct tc_witness_reply own[TC_COSIGNERS_MAX], *reply = w->reply ? w->reply : own;
    if (set->quorum < 1 || set->quorum > set->n)
        return TC_ERR_ARG;
    enum tc_err e = sizes_read(s, set, reply);
    if (e != TC_OK)
        return e;
    struct tc_reg_source src = tc_reg_tree_source(t);
    struct tc_witness_ask a = {note, *len, t->n, &src, 0};
    tc_witness_collect(set, &a, reply);
    char *out = malloc(cap);
    size_t out_len = 0;
    struct tc_cosig_tally tally;
    memset(&tally, 0, sizeof tally);
    if (!out)
        return TC_ERR_NOMEM;
    if ((e = sizes_keep(s, set, reply, t->n)) == TC_OK &&
        (e = tc_witness_cosigned_note(note, *len, reply, set->n, out, cap, &out_len)) == TC_OK &&
        (e = tc_cosigner_set_check(set, out, out_len, NULL, &tally)) == TC_OK) {
        memcpy(note, out, out_len + 1);
        *len = out_len;
    } else if (e == TC_ERR_REFUSED || e == TC_ERR_BAD_SIGNATURE) {
        size_t i = 0;
        char first[400] = "";
        const struct tc_witness_reply *f = first_failure(set, reply, &i);
        if (f)
            snprintf(first, sizeof first, " (%.128s: %.240s)", set->w[i].name, f->why);
        snprintf(why, why_size,
                 "the checkpoint of %" PRIu64 " entries was co-signed by %zu of %zu witnesses, "
                 "fewer than the quorum of %zu: nothing was published%s",
                 t->n, tally.count, set->n, set->quorum, first);
        tc_store_set_msg(s, "%s", why);
        e = TC_ERR_REFUSED;
    }
    free(out);
    return e;
}
