/*
 * record.c - the signer's own record of the store at work (state.c keeps it on disk):
 *   - the 公示 entries of the register, noted when the signer first sees them (it scans every
 *     second, and on every request): a 公示's period runs from the later of the day its entry
 *     names and the day the signer saw it, so no clock but the signer's can date one back;
 *   - the audit chain's head after each of its operations, which the chain must still hold;
 *   - the register entries it appended itself (work.c), against which a publication is checked.
 */
#include <stdio.h>
#include <string.h>

#include "service.h"

uint64_t sv_clock(const struct tc_signer_config *cfg, struct tc_store *s, uint64_t now)
{
    return cfg->demo && s ? tc_store_clock(s, now) : now;
}

struct scan {
    struct sv_state *st;
    uint64_t at;
    bool changed;
};

static void seen(void *ctx, uint64_t idx)
{
    struct scan *x = ctx;
    uint64_t before = x->st->n_seen;
    sv_state_seen(x->st, idx, x->at);
    x->changed |= x->st->n_seen != before;
}

void sv_scan(const struct tc_signer_config *cfg, struct sv_state *st, struct tc_store *s,
             uint64_t now)
{
    struct tc_store *ro = NULL;
    if (!s && tc_store_open_ro(&ro, cfg->db, NULL) != TC_OK)
        return;
    struct tc_store *use = s ? s : ro;
    struct scan x = {st, sv_clock(cfg, use, now), false};
    uint64_t next = st->scanned;
    if (tc_register_publications(use, st->scanned, seen, &x, &next) == TC_OK &&
        (x.changed || next != st->scanned)) {
        st->scanned = next;
        if (sv_state_save(cfg->state_path, st) != TC_OK)
            sv_log(cfg, "%s: the state could not be written", cfg->state_path);
    }
    tc_store_close(ro);
}

json_t *sv_anchor(struct ctx *x)
{
    struct sv_state *st = x->st;
    struct tc_store *s = x->h->s;
    if (!st->has_base) { /* first use: what is there now is trusted, and said so */
        st->has_base = true;
        st->base = tc_register_size_now(s);
        st->published = st->base;
        tc_audit_head(s, &st->audit_seq, st->audit_mac);
        sv_log(x->cfg, "first use of %s: trusting its register's %llu entries and its audit "
                       "chain up to event %lld",
               x->cfg->db, (unsigned long long)st->base, (long long)st->audit_seq);
        if (sv_state_save(x->cfg->state_path, st) != TC_OK)
            return sv_refused("state", "签名服务的记录无法写入 / the signer's record cannot be "
                                       "written");
        return NULL;
    }
    if (tc_audit_holds(s, st->audit_seq, st->audit_mac)) {
        struct tc_range r;
        if (st->has_pending) { /* stopped during a signing: what did it commit? */
            st->has_pending = false;
            if (tc_wf_signed_range(s, st->pending, &r)) {
                sv_state_own(st, r.from, r.to);
                sv_log(x->cfg, "a signing stopped before its record: its audit event says it "
                               "appended register entries %llu to %llu",
                       (unsigned long long)r.from, (unsigned long long)r.to);
            }
            sv_state_save(x->cfg->state_path, st);
        }
        return NULL;
    }
    const char *m = "审计日志已不含签名服务上次记下的事件：日志被截断或改动，拒绝操作 / the audit "
                    "log no longer holds the event the signer last recorded: it was cut or "
                    "altered, nothing is done";
    sv_record(x, "audit", m);
    return sv_refused("audit_chain", m);
}

void sv_anchor_update(struct ctx *x)
{
    tc_audit_head(x->h->s, &x->st->audit_seq, x->st->audit_mac);
    if (sv_state_save(x->cfg->state_path, x->st) != TC_OK)
        sv_log(x->cfg, "%s: the state could not be written", x->cfg->state_path);
}
