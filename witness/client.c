/*
 * client.c - the publisher's side of C2SP tlog-witness (witness.h): each witness of a set is
 * sent the signed checkpoint with the consistency proof from the size it co-signed last, on a
 * thread of its own, and its answer is judged:
 *   200  the answer's lines: the one of the witness's name and key id must verify over the
 *        checkpoint (tc_cosig_verify) before it is kept; lines of other keys are ignored;
 *   409  the witness holds another size (its text/x.tlog.size body): asked once more from there,
 *        unless that is the size just sent (it holds another tree of this size: a split view) or
 *        more than the checkpoint's (it saw a larger tree of this register);
 *   else a refusal (400, 403, 404, 422, 5xx), named with the first line of its body.
 * libcurl bounds every request (connection, overall time, answer size, no redirects), as the
 * verifier's source does; the publisher's own transaction waits for the slowest witness only.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "witness.h"

struct job {
    const struct tc_cosigner *w;
    const char *url;
    const struct tc_witness_ask *a;
    struct tc_witness_reply *r;
    pthread_mutex_t *tree_lock; /* the tree source is read by one thread at a time */
};

struct answer {
    char p[TC_WITNESS_ANSWER_MAX + 1];
    size_t len;
    bool over;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct answer *b = ctx;
    size_t k = size * n;
    if (k > TC_WITNESS_ANSWER_MAX - b->len) {
        b->over = true;
        return 0; /* aborts the transfer */
    }
    memcpy(b->p + b->len, data, k);
    b->len += k;
    b->p[b->len] = '\0';
    return k;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first line of an answer, printable ASCII only, at most 120 bytes: safe to log. */
static void first_line(const struct answer *b, char *out, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < b->len && b->p[i] != '\n' && k + 1 < size && k < 120; i++)
        out[k++] = b->p[i] >= 0x20 && b->p[i] < 0x7f ? b->p[i] : '?';
    out[k] = '\0';
}

/* The request body: "old <size>", the proof from it, a blank line, the checkpoint (malloc'd). */
static char *request_body(struct job *j, uint64_t old, size_t *len)
{
    uint8_t proof[TC_REG_PROOF_MAX][TC_REG_HASH];
    size_t n = 0;
    enum tc_err e = TC_OK;
    if (old > 0 && old < j->a->size) {
        pthread_mutex_lock(j->tree_lock);
        e = tc_reg_prove_consistency(j->a->tree, old, j->a->size, proof, &n);
        pthread_mutex_unlock(j->tree_lock);
    }
    size_t cap = TC_WITNESS_OLD_LINE_MAX + n * 45 + 1 + j->a->note_len + 1;
    char *b = e == TC_OK ? malloc(cap) : NULL;
    if (!b)
        return NULL;
    size_t k = (size_t)snprintf(b, cap, "old %" PRIu64 "\n", old);
    for (size_t i = 0; i < n; i++) {
        sodium_bin2base64(b + k, 45, proof[i], TC_REG_HASH, sodium_base64_VARIANT_ORIGINAL);
        k += 44;
        b[k++] = '\n';
    }
    b[k++] = '\n';
    memcpy(b + k, j->a->note, j->a->note_len);
    *len = k + j->a->note_len;
    return b;
}

/* POSTs body to the witness; the HTTP status, or 0 with why set when there was no answer. */
static long post(struct job *j, const char *body, size_t len, struct answer *ans)
{
    char url[TC_COSIGNER_URL_MAX + 32];
    size_t ul = strlen(j->url);
    snprintf(url, sizeof url, "%s%sadd-checkpoint", j->url, ul && j->url[ul - 1] == '/' ? "" : "/");
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(j->r->why, sizeof j->r->why, "%s", tc_strerror(TC_ERR_NOMEM));
        return 0;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, TC_WITNESS_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     j->a->request_ms ? j->a->request_ms : TC_WITNESS_REQUEST_MS);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "titlecert-publisher");
    long status = 0;
    j->r->asked++;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(j->r->why, sizeof j->r->why, "%.160s: %s", url,
                 ans->over ? "its answer is over 4 KiB" : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A 200 answer: the line of the witness's key that verifies over the checkpoint. */
static void cosigned(struct job *j, const struct answer *ans)
{
    struct tc_witness_reply *r = j->r;
    static const char dash[] = "\xe2\x80\x94 ";
    char note[TC_REG_NOTE_MAX + TC_COSIG_LINE_MAX];
    struct tc_note parsed;
    r->result = TC_ERR_BAD_SIGNATURE;
    snprintf(r->why, sizeof r->why,
             "it answered 200 without a co-signature of its key that "
             "verifies over the checkpoint");
    for (const char *p = ans->p, *end = ans->p + ans->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (nl && n < TC_COSIG_LINE_MAX && n > sizeof dash && memcmp(p, dash, 4) == 0 &&
            j->a->note_len + n <= TC_REG_NOTE_MAX) {
            memcpy(note, j->a->note, j->a->note_len);
            memcpy(note + j->a->note_len, p, n);
            if (tc_note_parse(note, j->a->note_len + n, &parsed) == TC_OK && parsed.n_sigs > 0 &&
                parsed.sig[parsed.n_sigs - 1].key_id == j->w->key_id &&
                tc_cosig_verify(&parsed, j->w, &r->time) == TC_OK) {
                memcpy(r->line, p, n);
                r->line[n] = '\0';
                r->line_len = n, r->result = TC_OK, r->old = j->a->size, r->why[0] = '\0';
                return;
            }
        }
        p += n;
    }
}

/* A 409 answer: the size the witness holds. True to ask again from it. */
static bool conflict(struct job *j, const struct answer *ans, uint64_t sent)
{
    struct tc_witness_reply *r = j->r;
    /* the size in decimal, with or without a newline; nothing else */
    char num[24];
    uint64_t held = 0;
    size_t n = ans->len && ans->p[ans->len - 1] == '\n' ? ans->len - 1 : ans->len;
    bool number = n < sizeof num && !memchr(ans->p, '\0', n);
    if (number) {
        memcpy(num, ans->p, n);
        num[n] = '\0';
        number = tc_parse_u64(num, &held);
    }
    r->result = TC_ERR_REFUSED;
    if (!number) {
        snprintf(r->why, sizeof r->why, "409 without the size it holds");
        return false;
    }
    r->old = held;
    if (held > j->a->size) {
        r->result = TC_ERR_INCONSISTENT;
        snprintf(r->why, sizeof r->why,
                 "409: it co-signed a tree of %" PRIu64 " entries of this "
                 "register, more than the %" PRIu64 " signed now (a store restored from an older "
                 "copy? a register never shrinks)",
                 held, j->a->size);
        return false;
    }
    if (held == sent) {
        snprintf(r->why, sizeof r->why,
                 "409: it co-signed another tree of %" PRIu64 " entries "
                 "of this register than the one signed now (a split view: it keeps both as "
                 "evidence)",
                 held);
        return false;
    }
    if (r->asked > 1) {
        snprintf(r->why, sizeof r->why,
                 "409 twice: it holds %" PRIu64 " entries now (another "
                 "publisher of this register?)",
                 held);
        return false;
    }
    return true;
}

/* Any other status: a refusal, with the first line of what it said. */
static void refused(struct job *j, long status, const struct answer *ans, uint64_t sent)
{
    char said[128];
    first_line(ans, said, sizeof said);
    const char *what = status == 404   ? "it does not witness this register (unknown origin)"
                       : status == 403 ? "it does not accept the register's signature (is the "
                                         "register's key in its configuration?)"
                       : status == 422 ? "the consistency proof does not verify: the register "
                                         "does not extend the tree it co-signed"
                       : status == 400 ? "it found the request malformed"
                                       : "it failed";
    j->r->result = TC_ERR_REFUSED;
    snprintf(j->r->why, sizeof j->r->why, "HTTP %ld from size %" PRIu64 ": %s%s%s", status, sent,
             what, said[0] ? ": " : "", said);
}

static void *ask(void *ctx)
{
    struct job *j = ctx;
    struct tc_witness_reply *r = j->r;
    double t0 = now_s();
    r->result = TC_ERR_IO, r->asked = 0, r->line_len = 0, r->line[0] = '\0', r->why[0] = '\0';
    bool again = true;
    while (again) {
        again = false;
        uint64_t sent = r->old;
        if (sent > j->a->size) {
            r->result = TC_ERR_INCONSISTENT;
            snprintf(r->why, sizeof r->why,
                     "it co-signed %" PRIu64 " entries before, more than "
                     "the %" PRIu64 " signed now",
                     sent, j->a->size);
            break;
        }
        size_t len;
        char *body = request_body(j, sent, &len);
        struct answer *ans = calloc(1, sizeof *ans);
        long status = body && ans ? post(j, body, len, ans) : 0;
        if (!body || !ans)
            snprintf(r->why, sizeof r->why, "%s", tc_strerror(TC_ERR_NOMEM));
        r->status = status;
        if (status == 200)
            cosigned(j, ans);
        else if (status == 409)
            again = conflict(j, ans, sent);
        else if (status)
            refused(j, status, ans, sent);
        free(body);
        free(ans);
    }
    r->seconds = now_s() - t0;
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ready;
static void curl_start(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == 0;
}

size_t tc_witness_collect(const struct tc_cosigner_set *set, const struct tc_witness_ask *a,
                          struct tc_witness_reply *reply)
{
    struct job job[TC_COSIGNERS_MAX];
    pthread_t thread[TC_COSIGNERS_MAX];
    bool started[TC_COSIGNERS_MAX] = {false};
    pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;
    size_t got = 0;
    pthread_once(&curl_once, curl_start);
    for (size_t i = 0; i < set->n; i++) {
        job[i] = (struct job){&set->w[i], set->url[i], a, &reply[i], &tree_lock};
        reply[i].result = TC_ERR_IO;
        snprintf(reply[i].why, sizeof reply[i].why, "%s",
                 !curl_ready ? "libcurl did not start" : "no URL for it in the witnesses file");
        if (curl_ready && set->url[i][0] &&
            !(started[i] = pthread_create(&thread[i], NULL, ask, &job[i]) == 0))
            ask(&job[i]); /* no thread to spare: asked here */
    }
    for (size_t i = 0; i < set->n; i++) {
        if (started[i])
            pthread_join(thread[i], NULL);
        got += reply[i].result == TC_OK;
    }
    pthread_mutex_destroy(&tree_lock);
    return got;
}

enum tc_err tc_witness_cosigned_note(const char *note, size_t note_len,
                                     const struct tc_witness_reply *reply, size_t n, char *out,
                                     size_t cap, size_t *len)
{
    size_t k = note_len;
    if (k >= cap)
        return TC_ERR_BUFFER;
    memmove(out, note, note_len);
    for (size_t i = 0; i < n; i++) {
        if (reply[i].result != TC_OK)
            continue;
        if (reply[i].line_len >= cap - k)
            return TC_ERR_BUFFER;
        memcpy(out + k, reply[i].line, reply[i].line_len);
        k += reply[i].line_len;
    }
    out[k] = '\0';
    *len = k;
    return TC_OK;
}

size_t tc_witness_explain(const struct tc_cosigner_set *set, const struct tc_witness_reply *reply,
                          const char *sep, char *out, size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    for (size_t i = 0; i < set->n; i++) {
        const struct tc_witness_reply *r = &reply[i];
        int n = r->result == TC_OK
                    ? snprintf(used < size ? out + used : NULL, used < size ? size - used : 0,
                               "%s%s: co-signed (%.3f s)", i ? sep : "", set->w[i].name, r->seconds)
                    : snprintf(used < size ? out + used : NULL, used < size ? size - used : 0,
                               "%s%s: not co-signed: %s", i ? sep : "", set->w[i].name, r->why);
        if (n > 0)
            used += (size_t)n;
    }
    return used;
}

const char *tc_witness_publisher_load(const char *path, long quorum, struct tc_cosigner_set *set,
                                      char *why, size_t size)
{
    size_t line = 0;
    const char *no;
    memset(set, 0, sizeof *set);
    enum tc_err e = tc_cosigner_set_load(path, set, &line);
    if (e != TC_OK) {
        if (line)
            snprintf(why, size, "%s, line %zu: %s", path, line, tc_cosigner_set_strerror(e));
        else
            snprintf(why, size, "%s: %s", path, tc_cosigner_set_strerror(e));
        return why;
    }
    for (size_t i = 0; i < set->n; i++)
        if (!set->url[i][0]) {
            snprintf(why, size,
                     "%s: witness %s has no URL: a publisher sends it the checkpoint "
                     "there ('witness NAME KEY URL')",
                     path, set->w[i].name);
            return why;
        }
    if ((no = tc_cosigner_set_quorum(set, quorum)) != NULL) {
        snprintf(why, size, "%s", no);
        return why;
    }
    return NULL;
}
