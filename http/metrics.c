/*
 * metrics.c - a registry of counters, gauges and histograms rendered in the Prometheus text
 * format (see http.h). Families are registered before serving starts and are never removed;
 * values are atomics that request threads update without a lock. Rendering walks the families in
 * the order they were registered, so a service controls the order of its /metrics page.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "http.h"

enum kind { COUNTER, GAUGE, HISTOGRAM };

struct tc_metric {
    struct tc_metric *next;
    enum kind kind;
    const char *name, *help, *label;
    const char *const *values;
    size_t n; /* counter: label values (1 without a label); histogram: bounds */
    double bounds[TC_METRIC_MAX_BUCKETS];
    atomic_ullong v[TC_METRIC_MAX_BUCKETS + 1]; /* counter values, or histogram buckets */
    atomic_ullong count, sum_us;                /* histogram */
    atomic_llong gauge;
};

struct tc_metrics {
    struct tc_metric *head, *tail;
    void (*collect)(void *ctx);
    void *ctx;
};

enum tc_err tc_metrics_new(struct tc_metrics **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TC_OK : TC_ERR_NOMEM;
}

void tc_metrics_free(struct tc_metrics *m)
{
    if (!m)
        return;
    while (m->head) {
        struct tc_metric *x = m->head;
        m->head = x->next;
        free(x);
    }
    free(m);
}

static struct tc_metric *add_family(struct tc_metrics *m, enum kind kind, const char *name,
                                    const char *help)
{
    struct tc_metric *x = m ? calloc(1, sizeof *x) : NULL;
    if (!x)
        return NULL;
    x->kind = kind, x->name = name, x->help = help, x->n = 1;
    if (m->tail)
        m->tail->next = x;
    else
        m->head = x;
    m->tail = x;
    return x;
}

struct tc_metric *tc_metrics_counter(struct tc_metrics *m, const char *name, const char *help,
                                     const char *label, const char *const *values, size_t n)
{
    if (label && (n == 0 || n > TC_METRIC_MAX_VALUES))
        return NULL;
    struct tc_metric *x = add_family(m, COUNTER, name, help);
    if (x && label)
        x->label = label, x->values = values, x->n = n;
    return x;
}

struct tc_metric *tc_metrics_gauge(struct tc_metrics *m, const char *name, const char *help)
{
    return add_family(m, GAUGE, name, help);
}

struct tc_metric *tc_metrics_histogram(struct tc_metrics *m, const char *name, const char *help,
                                       const double *bounds, size_t n)
{
    if (n == 0 || n > TC_METRIC_MAX_BUCKETS)
        return NULL;
    struct tc_metric *x = add_family(m, HISTOGRAM, name, help);
    if (x) {
        x->n = n;
        for (size_t i = 0; i < n; i++)
            x->bounds[i] = bounds[i];
    }
    return x;
}

void tc_metrics_on_collect(struct tc_metrics *m, void (*collect)(void *ctx), void *ctx)
{
    m->collect = collect;
    m->ctx = ctx;
}

void tc_metric_add(struct tc_metric *c, size_t i, uint64_t n)
{
    if (c && c->kind == COUNTER && i < c->n)
        atomic_fetch_add(&c->v[i], n);
}

void tc_metric_set_total(struct tc_metric *c, size_t i, uint64_t total)
{
    if (c && c->kind == COUNTER && i < c->n)
        atomic_store(&c->v[i], total);
}

void tc_metric_set(struct tc_metric *g, int64_t value)
{
    if (g && g->kind == GAUGE)
        atomic_store(&g->gauge, value);
}

void tc_metric_observe(struct tc_metric *h, double seconds)
{
    if (!h || h->kind != HISTOGRAM)
        return;
    size_t i = 0;
    while (i < h->n && seconds > h->bounds[i])
        i++;
    atomic_fetch_add(&h->v[i], 1);
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_us, (unsigned long long)(seconds * 1e6));
}

/* ---- rendering ----------------------------------------------------------------------------- */

struct text {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !t->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
        } else if (t->p && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = t->cap ? t->cap : 4096;
            while (cap < t->len + (size_t)n + 1)
                cap *= 2;
            char *grown = realloc(t->p, cap);
            if (!grown)
                t->failed = true;
            else
                t->p = grown, t->cap = cap;
        }
    }
}

static void render_one(struct text *t, struct tc_metric *x)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    put(t, "# HELP %s %s\n# TYPE %s %s\n", x->name, x->help, x->name, types[x->kind]);
    if (x->kind == GAUGE) {
        put(t, "%s %" PRId64 "\n", x->name, (int64_t)atomic_load(&x->gauge));
    } else if (x->kind == COUNTER && !x->label) {
        put(t, "%s %llu\n", x->name, (unsigned long long)atomic_load(&x->v[0]));
    } else if (x->kind == COUNTER) {
        for (size_t i = 0; i < x->n; i++)
            put(t, "%s{%s=\"%s\"} %llu\n", x->name, x->label, x->values[i],
                (unsigned long long)atomic_load(&x->v[i]));
    } else {
        unsigned long long cum = 0;
        for (size_t i = 0; i < x->n; i++) {
            cum += atomic_load(&x->v[i]);
            put(t, "%s_bucket{le=\"%g\"} %llu\n", x->name, x->bounds[i], cum);
        }
        cum += atomic_load(&x->v[x->n]);
        put(t, "%s_bucket{le=\"+Inf\"} %llu\n", x->name, cum);
        put(t, "%s_sum %.6f\n%s_count %llu\n", x->name, (double)atomic_load(&x->sum_us) / 1e6,
            x->name, (unsigned long long)atomic_load(&x->count));
    }
}

enum tc_err tc_metrics_render(struct tc_metrics *m, char **out, size_t *len)
{
    struct text t = {0};
    *out = NULL;
    *len = 0;
    if (!m)
        return TC_ERR_ARG;
    if (m->collect)
        m->collect(m->ctx);
    for (struct tc_metric *x = m->head; x; x = x->next)
        render_one(&t, x);
    put(&t, "%s", ""); /* an empty registry still gives a (terminated) buffer */
    if (t.failed) {
        free(t.p);
        return TC_ERR_NOMEM;
    }
    *out = t.p, *len = t.len;
    return TC_OK;
}
