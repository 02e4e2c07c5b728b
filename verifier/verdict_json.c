/*
 * verdict_json.c - the verdict written as JSON straight into a buffer (tc_verdict_write_json):
 * the reply of every verification on the request path. It writes the members tc_verdict_to_json
 * (engine.c) builds as a jansson tree, in the same order and with the same bytes; that tree stays
 * the reference, for the command line and for the tests and the server's self-check, which
 * compare the two on every verdict they make (TITLECERT_CHECK_JSON). A change to one is a
 * change to the other.
 *
 * The certificate's claims are written as tc_claims_to_json (cert/json.c) writes them, with the
 * same words for tracks, methods and tiers: a member jansson leaves out (a NULL word for a code
 * outside the table) is left out here too.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "verifier.h"

static const char *const track_words[] = {NULL, "basic", "province"};
static const char *const method_words[] = {NULL,          "review", "assessment", "exam",
                                           "exceptional", "direct", "conversion", "reevaluation"};
static const char *const tier_words[] = {NULL,     "province", "prefecture",
                                         "county", "township", "basic"};

static void kday(struct tc_jsonw *w, const char *key, int32_t d)
{
    char s[11];
    tc_day_format(s, d);
    tc_jsonw_kstring(w, key, s);
}

static void kmonth(struct tc_jsonw *w, const char *key, int32_t m)
{
    char s[8];
    tc_month_format(s, m);
    tc_jsonw_kstring(w, key, s);
}

static void write_conversion(struct tc_jsonw *w, const struct tc_conversion *cv)
{
    if (cv->kind == TC_CONV_PATH) {
        tc_jsonw_kobject(w, "conversion");
        kmonth(w, "earliest", cv->earliest_month);
        tc_jsonw_kint(w, "months_required", cv->months_required);
        tc_jsonw_kint(w, "ce_hours_per_year", cv->ce_hours);
        tc_jsonw_kbool(w, "needs_assessments", cv->flags & TC_CONV_NEEDS_ASSESSMENTS);
        tc_jsonw_kbool(w, "needs_committee", cv->flags & TC_CONV_NEEDS_COMMITTEE);
        tc_jsonw_end(w);
    } else if (cv->kind == TC_CONV_FROM) {
        tc_jsonw_kobject(w, "conversion");
        tc_jsonw_kint(w, "predecessor", (long long)cv->predecessor);
        kmonth(w, "carried_tenure_start", cv->carried_tenure_month);
        tc_jsonw_end(w);
    }
}

/* "certificate": as tc_claims_to_json */
static void write_claims(struct tc_jsonw *w, const struct tc_claims *c)
{
    char buf[TC_IDNO_LEN + 1];
    tc_jsonw_kobject(w, "certificate");
    tc_jsonw_kint(w, "id", (long long)c->id);
    tc_jsonw_kstring(w, "name", c->name);
    tc_jsonw_kstring(w, "id_mask", c->id_mask);
    tc_idno_mask_display(buf, c->id_mask);
    tc_jsonw_kstring(w, "id_number_masked", buf);
    const struct tc_title *t = tc_title_lookup(c->series, c->level, c->title_variant);
    tc_jsonw_kstring(w, "series", t ? t->series_code : "?");
    tc_jsonw_kstring(w, "series_name", t ? t->series_name : "?");
    tc_jsonw_kstring(w, "series_name_en", t ? t->series_en : "?");
    tc_jsonw_kstring(w, "specialty", c->specialty);
    tc_jsonw_kint(w, "level", c->level);
    tc_jsonw_kstring(w, "level_name", tc_level_name_zh(c->level));
    tc_jsonw_kstring(w, "level_name_en", tc_level_name_en(c->level));
    if (c->title_variant)
        tc_jsonw_kint(w, "title_variant", c->title_variant);
    tc_jsonw_kstring(w, "title", t ? t->title : "?");
    tc_jsonw_kstring(w, "title_en", t ? t->title_en : "?");
    tc_jsonw_kstring(w, "track", c->track <= 2 ? track_words[c->track] : "?");
    tc_jsonw_kstring(w, "track_name", tc_track_name_zh(c->track));
    tc_jsonw_kstring(w, "track_name_en", tc_track_name_en(c->track));
    tc_jsonw_kstring(w, "method",
                     c->method <= TC_METHOD_REEVALUATION ? method_words[c->method] : "?");
    tc_jsonw_kstring(w, "method_name", tc_method_name_zh(c->method));
    tc_jsonw_kstring(w, "method_name_en", tc_method_name_en(c->method));
    tc_jsonw_kint(w, "eval_year", c->eval_year);
    kday(w, "obtained", c->obtained_day);
    kmonth(w, "tenure_start", c->tenure_month);
    if (c->track == TC_TRACK_BASIC) {
        char region[7];
        snprintf(region, sizeof region, "%u", c->scope.region);
        tc_jsonw_kobject(w, "scope");
        tc_jsonw_kstring(w, "region", region);
        tc_jsonw_kstring(w, "tier",
                         c->scope.tier <= TC_TIER_BASIC ? tier_words[c->scope.tier] : "?");
        if (c->scope.has_unit)
            tc_jsonw_kstring(w, "unit", c->scope.unit);
        tc_jsonw_end(w);
    }
    tc_jsonw_kstring(w, "employer", c->employer);
    write_conversion(w, &c->conv);
    tc_jsonw_kint(w, "committee", c->committee);
    tc_jsonw_kint(w, "issued_at", (long long)c->issued_at);
    tc_jsonw_end(w);
}

/* "reasons", and "detail" for an invalid payload */
static void write_reasons(struct tc_jsonw *w, const struct tc_verdict *v)
{
    tc_jsonw_karray(w, "reasons");
    for (size_t i = 0; i < v->n_reasons; i++) {
        const struct tc_reason *r = &v->reasons[i];
        tc_jsonw_object(w);
        tc_jsonw_kstring(w, "code", r->code);
        if (*r->rule)
            tc_jsonw_kstring(w, "rule", r->rule);
        tc_jsonw_kstring(w, "zh", r->zh);
        tc_jsonw_kstring(w, "en", r->en);
        tc_jsonw_end(w);
    }
    tc_jsonw_end(w);
    if (v->kind == TC_VERDICT_INVALID && v->err != TC_OK) {
        tc_jsonw_kobject(w, "detail");
        tc_jsonw_kstring(w, "error", tc_errname(v->err));
        tc_jsonw_kstring(w, "message", tc_strerror(v->err));
        tc_jsonw_kstring(w, "field", v->err_field);
        tc_jsonw_end(w);
    }
}

/* "revoked" or "superseded", with the successor's own verdict */
static void write_status(struct tc_jsonw *w, const struct tc_verdict *v)
{
    if (v->kind == TC_VERDICT_REVOKED) {
        tc_jsonw_kobject(w, "revoked");
        tc_jsonw_kstring(w, "reason", v->revoked_reason);
        kday(w, "since", v->status_day);
        tc_jsonw_end(w);
    }
    if (v->kind != TC_VERDICT_SUPERSEDED)
        return;
    const char *sv = v->successor_verdict ? v->successor_verdict : "unknown";
    tc_jsonw_kobject(w, "superseded");
    tc_jsonw_kint(w, "successor", (long long)v->successor);
    kday(w, "since", v->status_day);
    tc_jsonw_kstring(w, "successor_status", v->successor_status ? v->successor_status : "unknown");
    tc_jsonw_kobject(w, "successor_verdict");
    tc_jsonw_kstring(w, "verdict", sv);
    if (strcmp(sv, "unknown") != 0)
        tc_jsonw_kstring(w, "track", "province");
    if (strcmp(sv, "revoked") == 0 || strcmp(sv, "superseded") == 0)
        kday(w, "since", v->successor_since);
    if (strcmp(sv, "revoked") == 0)
        tc_jsonw_kstring(w, "reason", v->successor_reason);
    if (strcmp(sv, "superseded") == 0)
        tc_jsonw_kint(w, "successor", (long long)v->successor_successor);
    tc_jsonw_end(w);
    tc_jsonw_end(w);
}

static void write_unit(struct tc_jsonw *w, const struct tc_verdict *v)
{
    tc_jsonw_kobject(w, "unit");
    kday(w, "at", v->at);
    tc_jsonw_kbool(w, "known", v->unit != NULL);
    tc_jsonw_kstring(w, "name", v->unit_name);
    if (v->unit) {
        char div[8];
        snprintf(div, sizeof div, "%06u", v->unit->division);
        tc_jsonw_kstring(w, "uscc", v->unit->uscc);
        tc_jsonw_kstring(w, "division", div);
        tc_jsonw_kstring(w, "tier", tc_tier_name_zh(v->unit->tier));
    }
    tc_jsonw_end(w);
}

/* "scope_text": S3/S4 in words, as the engine's scope_text */
static void write_scope_text(struct tc_jsonw *w, const struct tc_verdict *v)
{
    const struct tc_claims *c = &v->cert.claims;
    const struct tc_profile *p = v->profile;
    tc_jsonw_kobject(w, "scope_text");
    if (c->track != TC_TRACK_BASIC) {
        tc_jsonw_kstring(w, "zh", "全省范围有效，适用于任何单位");
        tc_jsonw_kstring(w, "en", "valid at any unit in the province");
    } else {
        char zh[256], en[256];
        tc_scope_words(&c->scope, p ? p->name : NULL, p ? p->name_en : NULL, zh, sizeof zh, en,
                       sizeof en);
        tc_jsonw_kstring(w, "zh", zh);
        tc_jsonw_kstring(w, "en", en);
    }
    tc_jsonw_end(w);
}

static void write_issuer(struct tc_jsonw *w, const struct tc_verdict *v, bool genuine)
{
    char kid[TC_KID_BYTES * 2 + 1];
    sodium_bin2hex(kid, sizeof kid, v->cert.kid, TC_KID_BYTES);
    tc_jsonw_kobject(w, "issuer");
    tc_jsonw_kstring(w, "key_id", kid);
    if (genuine && v->endorsement) {
        tc_jsonw_kstring(w, "name", v->endorsement->name);
        kday(w, "term_from", v->endorsement->not_before);
        kday(w, "term_to", v->endorsement->not_after);
    }
    tc_jsonw_end(w);
}

void tc_verdict_write_json(struct tc_jsonw *w, const struct tc_verdict *v)
{
    tc_jsonw_kstring(w, "verdict", tc_verdict_name(v->kind));
    write_reasons(w, v);
    write_status(w, v);
    if (v->unit_checked)
        write_unit(w, v);
    /* what did not verify is not displayed as if genuine: no claims, no issuer name */
    bool genuine = v->decoded && v->kind != TC_VERDICT_INVALID;
    if (genuine) {
        write_scope_text(w, v);
        write_claims(w, &v->cert.claims);
    }
    if (v->decoded)
        write_issuer(w, v, genuine);
    if (v->registered) { /* A3 */
        tc_jsonw_kobject(w, "register");
        tc_jsonw_kint(w, "entry", (long long)v->reg_entry);
        tc_jsonw_kint(w, "tree_size", (long long)v->reg_size);
        tc_jsonw_end(w);
    }
}
