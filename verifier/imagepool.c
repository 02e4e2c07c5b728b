/*
 * imagepool.c - uploaded images are decoded on threads of their own, a few at a time, so that a
 * hostile image can hold at most one of them, for at most its time limit, while verify, health
 * and page requests keep the HTTP threads. A full queue is refused at once (TC_ERR_BUSY), never
 * waited on. Each job's result is handed to its done callback on the worker thread (the server
 * resumes the suspended connection there).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

struct tc_image_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct tc_image_job *head, *tail;
    size_t queued, capacity;
    size_t nthreads;
    bool stopping;
    uint64_t timeout_ns;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    struct tc_image_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        struct tc_image_job *j = p->head;
        if (j) {
            p->head = j->next;
            if (!p->head)
                p->tail = NULL;
            p->queued--;
        }
        bool stop = p->stopping;
        pthread_mutex_unlock(&p->lock);
        if (!j)
            break;
        if (stop) { /* shutting down: answer the job without decoding it */
            j->err = TC_ERR_BUSY;
        } else {
            /* the time limit counts from the start of the decoding, not the wait in the queue */
            const struct tc_image_limits lim = {TC_IMAGE_MAX_PIXELS, TC_IMAGE_MAX_SCANS,
                                                tc_monotonic_ns() + p->timeout_ns};
            j->err = tc_image_decode_qr_limited(j->data, j->len, &lim, &j->text);
        }
        j->done(j);
    }
    return NULL;
}

enum tc_err tc_image_pool_start(struct tc_image_pool **out, size_t threads, size_t capacity,
                                uint64_t timeout_ns)
{
    struct tc_image_pool *p = calloc(1, sizeof *p);
    if (!p)
        return TC_ERR_NOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->capacity = capacity, p->timeout_ns = timeout_ns;
    p->threads = calloc(threads, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return TC_ERR_NOMEM;
    }
    for (; p->nthreads < threads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0)
            break;
    *out = p;
    if (p->nthreads == 0) {
        tc_image_pool_stop(p);
        *out = NULL;
        return TC_ERR_NOMEM;
    }
    return TC_OK;
}

enum tc_err tc_image_pool_submit(struct tc_image_pool *p, struct tc_image_job *j)
{
    pthread_mutex_lock(&p->lock);
    /* capacity bounds the jobs waiting; the threads bound those being decoded */
    if (p->stopping || p->queued >= p->capacity) {
        pthread_mutex_unlock(&p->lock);
        return TC_ERR_BUSY;
    }
    j->next = NULL;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return TC_OK;
}

void tc_image_pool_stop(struct tc_image_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
