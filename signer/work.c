/*
 * work.c - what an unlocked signer does for a custodian: sign an approved batch (tc_wf_sign reads
 * it again from the store and checks everything its approval needed, then the rules, then issues
 * or revokes in one transaction), and publish (tc_publish: bundle, delta, register tiles,
 * checkpoint, head), after which the signed batches are published. The answer says what was done,
 * never a signature.
 */
#include "service.h"
#include "witness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define REFUSALS_SHOWN 20

/* The refusals of the rules, as the answer carries them (the first REFUSALS_SHOWN). */
static json_t *refusal_list(const struct tc_refusals *ref)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < ref->n && i < REFUSALS_SHOWN; i++)
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)ref->v[i].line,
                                           "rule", ref->v[i].rule, "field", ref->v[i].field,
                                           "message", ref->v[i].msg));
    return a;
}

/* Unlocked, and the account a custodian: NULL, else the refusal. */
static json_t *ready(struct ctx *x)
{
    if (!x->h->unlocked) {
        const char *m =
            "签名服务已锁定：须由密钥保管员解锁 / the signer is locked: a key custodian "
            "unlocks it";
        sv_record(x, NULL, m);
        return sv_refused("locked", m);
    }
    json_t *no = sv_custodian(x);
    return no ? no : sv_anchor(x);
}

/* The 公示's period counted from the later of the day its entry names and the day the signer
 * first saw it in the register (its own record): no other clock can date a 公示 back. */
static json_t *seen_long_enough(struct ctx *x, const struct tc_wf_batch *b, uint64_t now)
{
    uint64_t at = 0;
    char why[300] = "", a[11], z[11];
    if (b->gongshi_idx < 0 || !sv_state_seen_at(x->st, (uint64_t)b->gongshi_idx, &at)) {
        const char *m = "签名服务尚未在登记簿中见到此公示 / the signer has not seen this 公示 in the "
                        "register";
        sv_record(x, "batch", m);
        return sv_refused("refused", m);
    }
    int32_t first = tc_beijing_day(at), last = 0;
    if (first < b->gongshi_from)
        first = b->gongshi_from;
    if (tc_store_period(x->h->s, first, tc_store_profile(x->h->s)->gongshi_working_days, &last,
                        why, sizeof why) == TC_OK &&
        tc_beijing_day(now) > last)
        return NULL;
    tc_day_format(a, first), tc_day_format(z, last);
    if (!why[0])
        snprintf(why, sizeof why, "公示期自签名服务见到之日（%s）起计算，至 %s 才结束 / counted from "
                                  "the day the signer saw it (%s), the 公示 period runs to %s",
                 a, z, a, z);
    sv_record(x, "batch", why);
    return sv_refused("refused", why);
}

json_t *sv_sign(struct ctx *x)
{
    json_t *no = ready(x);
    if (no)
        return no;
    struct held *h = x->h;
    bool revocation = x->r->op == TC_SIGNER_SIGN_REVOCATION;
    char object[48], why[512] = "";
    snprintf(object, sizeof object, "batch %lld", (long long)x->r->batch);
    uint64_t now = sv_clock(x->cfg, h->s, x->now);
    struct tc_wf_batch b;
    enum tc_err e = tc_wf_get(h->s, x->r->batch, now, &b);
    if (e == TC_OK && strcmp(b.kind, "revoke") != 0 && (no = seen_long_enough(x, &b, now)))
        return no;
    bool revoke_kind = e == TC_OK && strcmp(b.kind, "revoke") == 0;
    if (e == TC_OK && revocation != revoke_kind) {
        snprintf(why, sizeof why, "%s",
                 revocation ? "这不是撤销批次 / this is not a revocation batch"
                            : "这是撤销批次：请用 sign-revocation / a revocation batch: it is "
                              "signed with sign-revocation");
        e = TC_ERR_REFUSED;
    }
    struct tc_refusals ref = {0};
    size_t n = 0;
    uint64_t from = 0, to = 0;
    if (e == TC_OK) { /* where it begins, kept before it commits: a stop between the commit and
                         * the record below is recovered from the signing's audit event */
        x->st->pending = tc_register_size_now(h->s), x->st->has_pending = true;
        if (sv_state_save(x->cfg->state_path, x->st) != TC_OK) {
            const char *m = "签名服务的记录无法写入 / the signer's record cannot be written";
            sv_record(x, object, m);
            return sv_refused("state", m);
        }
        e = tc_wf_sign_range(h->s, &x->by, x->r->batch, h->issuer, h->tl, now, &ref, &n, &from,
                             &to, why, sizeof why);
        x->st->has_pending = false;
    }
    if (e == TC_OK)
        sv_state_own(x->st, from, to); /* the entries it wrote itself, for the next publication */
    sv_anchor_update(x); /* saves the state, the pending mark cleared */
    if (e == TC_OK) {
        h->last_use = x->now;
        char outcome[96];
        snprintf(outcome, sizeof outcome, "已签 %zu 项 / signed %zu", n, n);
        sv_record(x, object, outcome);
        tc_refusals_free(&ref);
        return json_pack("{s:b,s:I,s:s,s:I}", "ok", 1, "batch", (json_int_t)x->r->batch, "kind",
                         b.kind, "signed", (json_int_t)n);
    }
    if (!why[0])
        snprintf(why, sizeof why, "%s %s",
                 e == TC_ERR_NOT_FOUND ? "没有这个批次 / no such batch" : tc_strerror(e),
                 e == TC_ERR_NOT_FOUND ? "" : tc_store_errmsg(h->s));
    sv_record(x, object, why);
    json_t *o = sv_refused(e == TC_ERR_NOT_FOUND ? "not_found" : "refused", why);
    if (ref.n)
        json_object_set_new(o, "refusals", refusal_list(&ref));
    tc_refusals_free(&ref);
    return o;
}

json_t *sv_publish(struct ctx *x)
{
    json_t *no = ready(x);
    if (no)
        return no;
    struct held *h = x->h;
    /* the publication is dated by the real clock, a demo store's too: it is what the world and
     * the witnesses read and count its age by; the batches it publishes are marked by the
     * store's clock, as the rest of their life is */
    uint64_t now = sv_clock(x->cfg, h->s, x->now);
    char vwhy[400] = "";
    uint64_t from = x->st->published > x->st->base ? x->st->published : x->st->base;
    /* what this publication adds: only entries the signer wrote, or the audit chain vouches for */
    if (tc_register_vouch(h->s, from, tc_register_size_now(h->s), x->st->own, x->st->n_own, vwhy,
                          sizeof vwhy) != TC_OK) {
        sv_record(x, "publication", vwhy);
        return sv_refused("unvouched", vwhy);
    }
    struct tc_witness_reply replies[TC_COSIGNERS_MAX];
    /* again inside the export's transaction: nothing added or changed since the check above */
    struct tc_publish_vouch v = {from, x->st->own, x->st->n_own};
    struct tc_publish_opts o = {x->cfg->publish_dir,
                                h->trust,
                                h->trust_len,
                                h->tl,
                                h->publication,
                                x->cfg->origin,
                                0,
                                0,
                                x->now,
                                x->cfg->witnesses,
                                replies,
                                x->st->has_checkpoint ? &x->st->checkpoint : NULL,
                                &v};
    struct tc_publish_result r;
    memset(&r, 0, sizeof r);
    memset(replies, 0, sizeof replies);
    enum tc_err e = tc_publish(h->s, &o, &r);
    if (e == TC_OK)
        e = tc_wf_published(h->s, now);
    if (r.x.checkpoint) {
        /* the export committed its checkpoint and version: they are what the next publication
         * starts from, even when writing a file or marking the batches failed afterwards (the
         * next one writes the files again); else the signer would refuse every publication
         * after it, and the way out, trusting the store again, is what an attacker wants */
        x->st->published = r.x.register_size;
        x->st->checkpoint = (struct tc_publish_anchor){r.x.register_size, r.x.version, {0}};
        memcpy(x->st->checkpoint.root, r.x.root, 32);
        x->st->has_checkpoint = true;
        sv_anchor_update(x);
    }
    char outcome[TC_PATH_MAX + 160 + TC_COSIGNERS_MAX * 400];
    if (e != TC_OK) {
        bool witnessed = e == TC_ERR_REFUSED && x->cfg->witnesses;
        int n = snprintf(outcome, sizeof outcome, "发布未成 / not published: %s: %s%s%s %s",
                         r.failed[0] ? r.failed : "-", tc_strerror(e), r.err ? ": " : "",
                         r.err ? strerror(r.err) : "",
                         e == TC_ERR_INCONSISTENT || witnessed ? tc_store_errmsg(h->s) : "");
        if (witnessed && n > 0 && (size_t)n + 2 < sizeof outcome) { /* each witness and why */
            memcpy(outcome + n, ": ", 3);
            tc_witness_explain(x->cfg->witnesses, replies, "; ", outcome + n + 2,
                               sizeof outcome - (size_t)n - 2);
        }
        sv_record(x, "publication", outcome);
        tc_export_free(&r.x);
        return sv_refused(e == TC_ERR_INCONSISTENT ? "inconsistent"
                          : witnessed              ? "witnesses"
                                                   : "publish",
                          outcome);
    }
    h->last_use = x->now;
    snprintf(outcome, sizeof outcome,
             "状态包第 %llu 版，登记簿 %llu 条 / bundle version %llu, "
             "register of %llu",
             (unsigned long long)r.x.version, (unsigned long long)r.x.register_size,
             (unsigned long long)r.x.version, (unsigned long long)r.x.register_size);
    sv_record(x, "publication", outcome);
    json_t *a = json_pack("{s:b,s:I,s:I,s:I,s:I}", "ok", 1, "version", (json_int_t)r.x.version,
                          "register_size", (json_int_t)r.x.register_size, "bytes",
                          (json_int_t)r.x.len, "files", (json_int_t)r.files);
    if (r.x.delta)
        json_object_set_new(a, "delta_from", json_integer((json_int_t)r.x.delta_from));
    if (x->cfg->witnesses) { /* who co-signed the checkpoint published */
        json_t *by = json_array();
        for (size_t i = 0; by && i < x->cfg->witnesses->n; i++)
            if (replies[i].result == TC_OK)
                json_array_append_new(by, json_string(x->cfg->witnesses->w[i].name));
        json_object_set_new(a, "cosigned_by", by);
    }
    tc_export_free(&r.x);
    return a;
}
