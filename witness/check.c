/*
 * check.c - add-checkpoint (C2SP tlog-witness) as two pure functions: tc_witness_open judges a
 * request body on its own, tc_witness_decide judges it against the state held for its log.
 *
 * The order of the checks is the spec's, so that a client hears the same status from this
 * witness as from any other: an unknown origin (404) before the signature (403), the signature
 * before the old size (400 above the checkpoint's, 409 when it is not the size held), the size
 * before the proof (422), and a checkpoint of the size held with another root last (409). What
 * the spec leaves open is refused as malformed (400): framing, a note or checkpoint that does not
 * parse, and checkpoints with extension lines or in a non-canonical spelling, since a witness
 * co-signs only what it has read and the extension lines are not something it can check.
 */
#include <sodium.h>
#include <string.h>

#include "internal.h"
#include "witness.h"

static enum tc_witness_status refuse(struct tc_witness_verdict *v, enum tc_witness_status status,
                                     const char *word, const char *why)
{
    v->status = status, v->word = word, v->why = why;
    return status;
}

#define MALFORMED(v, why) refuse(v, TC_WITNESS_MALFORMED, "malformed", why)

/* "old N", the proof lines and the empty line; sub->note is what follows. NULL, else why not. */
static const char *framing(const char *body, size_t len, struct tc_witness_submission *sub)
{
    const char *p = body, *end = body + len, *s;
    size_t n;
    if (!tc_line_next(&p, end, &s, &n) || n < 5 || memcmp(s, "old ", 4) != 0 ||
        !tc_witness_decimal(s + 4, n - 4, TC_COSIG_TIME_MAX, &sub->old_size))
        return "the body must start with the line \"old <size>\" (decimal, no leading zero)";
    for (;;) {
        if (!tc_line_next(&p, end, &s, &n))
            return "the proof lines must end with an empty line before the checkpoint";
        if (n == 0)
            break;
        size_t got;
        if (sub->proof_len == TC_WITNESS_PROOF_MAX)
            return "more than 63 consistency proof lines";
        if (n != 44 || !tc_base64_decode(sub->proof[sub->proof_len], TC_REG_HASH, s, n, &got) ||
            got != TC_REG_HASH)
            return "a consistency proof line is not the base64 of a 32-byte hash";
        sub->proof_len++;
    }
    sub->note = p, sub->note_len = (size_t)(end - p);
    return NULL;
}

/* The log's signature: at least one line of its keys verifies, and none of them fails (a known
 * key's bad signature is an attack or a broken log either way). The verified lines are kept, after
 * the text, in sub->kept. */
static bool log_signed(const struct tc_witness_log *log, const struct tc_note *n,
                       struct tc_witness_submission *sub)
{
    size_t kept = n->text_len;
    bool verified = false;
    memcpy(sub->kept, n->text, n->text_len);
    sub->kept[kept++] = '\n';
    for (size_t i = 0; i < n->n_sigs; i++) {
        const struct tc_note_sig *s = &n->sig[i];
        for (size_t k = 0; k < log->n_keys; k++) {
            size_t nl = strlen(log->key[k].name);
            if (s->name_len != nl || memcmp(s->name, log->key[k].name, nl) != 0 ||
                s->key_id != log->key[k].key_id)
                continue; /* another key: a witness's, or one this witness does not know */
            if (s->sig_len != 64 || crypto_sign_verify_detached(s->sig, (const uint8_t *)n->text,
                                                                n->text_len, log->key[k].pk) != 0)
                return false;
            /* the lines kept are a subset of the note's, so they fit where it did */
            memcpy(sub->kept + kept, s->line, s->line_len);
            kept += s->line_len;
            verified = true;
        }
    }
    sub->kept_len = kept;
    sub->kept[kept] = '\0';
    return verified;
}

enum tc_witness_status tc_witness_open(const struct tc_witness_config *cfg, const char *body,
                                       size_t len, struct tc_witness_submission *sub,
                                       struct tc_witness_verdict *v)
{
    memset(sub, 0, sizeof *sub);
    memset(v, 0, sizeof *v);
    const char *bad = len > TC_WITNESS_BODY_MAX ? "the body is too large" : framing(body, len, sub);
    if (bad)
        return MALFORMED(v, bad);
    const char *nl = memchr(sub->note, '\n', sub->note_len);
    if (!nl)
        return MALFORMED(v, "the checkpoint has no origin line");
    if (!tc_witness_config_find(cfg, sub->note, (size_t)(nl - sub->note), &sub->log))
        return refuse(v, TC_WITNESS_UNKNOWN_LOG, "unknown_log",
                      "this witness does not follow a log of that origin");
    struct tc_note n;
    if (tc_note_parse(sub->note, sub->note_len, &n) != TC_OK)
        return MALFORMED(v, "the checkpoint is not a well-formed signed note");
    if (!log_signed(&cfg->log[sub->log], &n, sub))
        return refuse(v, TC_WITNESS_BAD_SIGNATURE, "bad_signature",
                      "no signature of the log's keys verifies on the checkpoint");
    char again[TC_REG_NOTE_MAX];
    struct tc_checkpoint *c = &sub->checkpoint;
    size_t clen;
    if (tc_checkpoint_parse(n.text, n.text_len, c) != TC_OK ||
        (clen = tc_checkpoint_format(c, again, sizeof again)) != n.text_len ||
        memcmp(again, n.text, clen) != 0)
        return MALFORMED(v, "the note is not a checkpoint of origin, size and root lines alone");
    if (sub->old_size > c->size)
        return MALFORMED(v, "the old size is larger than the checkpoint's size");
    return refuse(v, TC_WITNESS_COSIGN, "cosigned", "co-signed");
}

enum tc_witness_status tc_witness_decide(const struct tc_witness_submission *sub,
                                         const struct tc_witness_state *held,
                                         struct tc_witness_state *next,
                                         struct tc_witness_verdict *v)
{
    const struct tc_checkpoint *c = &sub->checkpoint;
    memset(v, 0, sizeof *v);
    v->held = held->size;
    if (sub->old_size != held->size)
        return refuse(v, TC_WITNESS_CONFLICT, "conflict",
                      "the old size is not the size of the latest checkpoint co-signed");
    if (c->size == held->size) {
        if (sub->proof_len != 0)
            return refuse(v, TC_WITNESS_BAD_PROOF, "bad_proof",
                          "a proof between equal sizes must be empty");
        if (sodium_memcmp(c->root, held->root, TC_REG_HASH) != 0)
            return refuse(v, TC_WITNESS_CONFLICT, "conflict",
                          "a checkpoint of the size held with another root");
    } else if (!tc_reg_verify_consistency(held->size, c->size, held->root, c->root,
                                          (const uint8_t(*)[TC_REG_HASH])sub->proof,
                                          sub->proof_len)) {
        /* from size 0 the proof must be empty: tc_reg_verify_consistency says so */
        return refuse(v, TC_WITNESS_BAD_PROOF, "bad_proof",
                      "the consistency proof does not verify");
    }
    next->size = c->size;
    memcpy(next->root, c->root, TC_REG_HASH);
    next->time = held->time;
    memcpy(next->note, sub->kept, sub->kept_len + 1);
    next->note_len = sub->kept_len;
    return refuse(v, TC_WITNESS_COSIGN, "cosigned", "co-signed");
}
