/*
 * profile.c - province policy profiles: where provinces differ (what a basic-level unit is, the
 * default scope of a basic-level certificate, conversion years and hours, exclusivity years, key
 * terms), the difference is this data, not code (RULES.md). Profiles are JSON files in
 * data/profiles/, validated here on load; the status bundle carries them signed.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

/* a tier name; "basic" (the profile's own basic level) only where a scope is meant */
static int tier_of(const char *s, bool scope)
{
    static const char *const t[] = {NULL, "province", "prefecture", "county", "township", "basic"};
    for (int i = 1; s && i <= (scope ? TC_TIER_BASIC : TC_TIER_TOWNSHIP); i++)
        if (strcmp(s, t[i]) == 0)
            return i;
    return 0;
}

#define BAD(what)                                                                                  \
    do {                                                                                           \
        *why = (what);                                                                             \
        e = TC_ERR_RANGE;                                                                          \
        goto out;                                                                                  \
    } while (0)

/* S2: what a basic-level unit is in this province: the directory's word (SD), or units at a
 * tier and below inside regions, plus named exceptions (GS: the 临夏 and 甘南 prefecture units) */
static enum tc_err parse_basic_level(struct tc_profile *p, json_t *bl, const char **why)
{
    enum tc_err e = TC_OK;
    const char *rule = json_string_value(json_object_get(bl, "rule"));
    if (!rule || (strcmp(rule, "tier") != 0 && strcmp(rule, "directory") != 0))
        BAD("basic_level.rule");
    p->directory_rule = strcmp(rule, "directory") == 0;
    if (!p->directory_rule) {
        p->max_tier = (uint8_t)tier_of(json_string_value(json_object_get(bl, "max_tier")), false);
        if (!p->max_tier)
            BAD("basic_level.max_tier");
        json_t *regs = json_object_get(bl, "regions");
        size_t i;
        json_t *r;
        if (!json_is_array(regs) || json_array_size(regs) == 0 ||
            json_array_size(regs) > TC_PROFILE_MAX_REGIONS)
            BAD("basic_level.regions");
        json_array_foreach(regs, i, r)
        {
            uint32_t reg = tc_region_parse(json_string_value(r));
            if (!reg || !tc_region_contains(p->province, tc_region_code6(reg)))
                BAD("basic_level.regions");
            p->regions[p->nregions++] = reg;
        }
        json_t *also = json_object_get(bl, "also");
        if (also && (!json_is_array(also) || json_array_size(also) > TC_PROFILE_MAX_ALSO))
            BAD("basic_level.also");
        json_array_foreach(also, i, r)
        {
            uint32_t reg = tc_region_parse(json_string_value(json_object_get(r, "region")));
            int t = tier_of(json_string_value(json_object_get(r, "max_tier")), false);
            if (!reg || !t || !tc_region_contains(p->province, tc_region_code6(reg)))
                BAD("basic_level.also");
            p->also[p->nalso].region = reg;
            p->also[p->nalso++].max_tier = (uint8_t)t;
        }
    }
out:
    return e;
}

/* An optional text member: absent leaves dst "" (or def), present it must be safe text that fits
 * (and not empty when nonempty is set). false when it is there but not so. */
static bool opt_text(json_t *o, const char *key, char *dst, size_t size, const char *def,
                     bool nonempty)
{
    json_t *v = json_object_get(o, key);
    const char *t = json_string_value(v);
    snprintf(dst, size, "%s", def ? def : "");
    if (!v)
        return true;
    if (!t || strlen(t) >= size || (nonempty && !*t) || !tc_text_safe((const uint8_t *)t, strlen(t)))
        return false;
    snprintf(dst, size, "%s", t);
    return true;
}

/* An optional {"zh": ..., "en": ...} member (the operator, its contact): when present, both are
 * strings that opt_text takes; absent, zh and en are left as they are. */
static bool opt_pair(json_t *o, const char *key, char *zh, size_t zh_size, char *en,
                     size_t en_size)
{
    json_t *v = json_object_get(o, key);
    return !v || (json_is_string(json_object_get(v, "zh")) &&
                  json_is_string(json_object_get(v, "en")) &&
                  opt_text(v, "zh", zh, zh_size, NULL, false) &&
                  opt_text(v, "en", en, en_size, NULL, false));
}

/* An integer member in [lo, hi]; absent gives def when def >= lo, else it is missing. */
static bool int_in(json_t *o, const char *key, long long lo, long long hi, long long def,
                   long long *out)
{
    json_t *v = json_object_get(o, key);
    if (!v && def >= lo) {
        *out = def;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return false;
    *out = json_integer_value(v);
    return true;
}

/* Who the profile is of: code, version, province, names, operator and its contact, the
 * e-certificate's words. */
static enum tc_err parse_identity(struct tc_profile *p, json_t *o, const char **why)
{
    enum tc_err e = TC_OK;
    long long v;
    const char *code = json_string_value(json_object_get(o, "profile"));
    if (!code || strlen(code) < 2 || strlen(code) >= sizeof p->code)
        BAD("profile");
    memcpy(p->code, code, strlen(code) + 1);
    if (!int_in(o, "version", 1, 1000000, 0, &v))
        BAD("version");
    p->version = (int)v;
    p->province = tc_region_parse(json_string_value(json_object_get(o, "province")));
    if (p->province == 0 || p->province >= 100)
        BAD("province");
    if (!json_is_string(json_object_get(o, "name")) ||
        !opt_text(o, "name", p->name, sizeof p->name, NULL, false))
        BAD("name");
    if (!opt_text(o, "name_en", p->name_en, sizeof p->name_en, p->code, false))
        BAD("name_en");
    if (!opt_pair(o, "operator", p->operator_zh, sizeof p->operator_zh, p->operator_en,
                  sizeof p->operator_en))
        BAD("operator");
    if (!opt_pair(o, "contact", p->contact_zh, sizeof p->contact_zh, p->contact_en,
                  sizeof p->contact_en))
        BAD("contact");
    /* A4: the e-certificate's own wording and font, when the province names them */
    if (!opt_text(o, "certificate_title", p->certificate_title, sizeof p->certificate_title, NULL,
                  true))
        BAD("certificate_title");
    if (!opt_text(o, "certificate_font", p->certificate_font, sizeof p->certificate_font, NULL,
                  true))
        BAD("certificate_font");
out:
    return e;
}

/* The rules' numbers: default scope, conversion (C1, C2), exclusivity (D2), key terms (A1), how
 * long a status bundle may be relied on, the township service commitment (C6), C5 achievement. */
static enum tc_err parse_rules(struct tc_profile *p, json_t *o, const char **why)
{
    enum tc_err e = TC_OK;
    long long v, h;
    json_t *ds = json_object_get(o, "default_scope");
    const char *dreg = json_string_value(json_object_get(ds, "region"));
    if (!dreg || (strcmp(dreg, "province") != 0 && strcmp(dreg, "county") != 0))
        BAD("default_scope.region");
    p->default_region_county = strcmp(dreg, "county") == 0;
    p->default_tier = (uint8_t)tier_of(json_string_value(json_object_get(ds, "tier")), true);
    if (!p->default_tier)
        BAD("default_scope.tier");
    json_t *cv = json_object_get(o, "conversion");
    if (!int_in(cv, "months", 1, 600, 0, &v))
        BAD("conversion.months");
    if (!int_in(cv, "ce_hours_per_year", 0, 1000, -1, &h))
        BAD("conversion.ce_hours_per_year");
    p->conv_months = (uint16_t)v;
    p->ce_hours = (uint16_t)h;
    p->conv_flags = (uint8_t)(
        (json_is_true(json_object_get(cv, "needs_assessments")) ? TC_CONV_NEEDS_ASSESSMENTS : 0) |
        (json_is_true(json_object_get(cv, "needs_committee")) ? TC_CONV_NEEDS_COMMITTEE : 0));
    if (!int_in(o, "exclusivity_years", 0, 20, -1, &v))
        BAD("exclusivity_years");
    p->exclusivity_years = (int)v;
    if (!int_in(o, "max_key_term_years", 1, 3, 0, &v))
        BAD("max_key_term_years"); /* A1: never more than 3 */
    p->max_key_term_years = (int)v;
    /* how long verifiers may rely on a status bundle: past it they fail closed (status_stale) */
    if (!int_in(o, "status_max_age_days", 1, 90, 7, &v))
        BAD("status_max_age_days");
    p->status_max_age = (uint32_t)v * 86400u;
    /* C6: a service commitment for titles obtained at township units, where the province has one */
    json_t *sc = json_object_get(o, "service_commitment");
    if (sc && !int_in(sc, "years", 1, 20, 0, &v))
        BAD("service_commitment.years");
    p->commitment_years = sc ? (int)v : 0;
    p->basic_title_achievement =
        json_is_true(json_object_get(json_object_get(o, "leaving_basic"), "counts_as_achievement"));
    /* national practice: results are publicised for at least 5 working days */
    if (!int_in(o, "gongshi_working_days", 5, 30, 5, &v))
        BAD("gongshi_working_days");
    p->gongshi_working_days = (int)v;
out:
    return e;
}

enum tc_err tc_profile_parse(struct tc_profile *p, const char *json, size_t len, const char **why)
{
    memset(p, 0, sizeof *p);
    *why = NULL;
    if (len > TC_PROFILE_MAX_BYTES) {
        *why = "size";
        return TC_ERR_SIZE_LIMIT;
    }
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o || !json_is_object(o)) {
        *why = "not a JSON object";
        json_decref(o);
        return TC_ERR_TYPE;
    }
    enum tc_err e;
    if ((e = parse_identity(p, o, why)) == TC_OK &&
        (e = parse_basic_level(p, json_object_get(o, "basic_level"), why)) == TC_OK)
        e = parse_rules(p, o, why);
    json_decref(o);
    return e;
}

bool tc_profile_unit_basic(const struct tc_profile *p, uint32_t code6, uint8_t tier, int flag)
{
    if (!tc_region_contains(p->province, code6))
        return false;
    if (flag >= 0) /* the directory decides where it says something (S2: directories change) */
        return flag == 1;
    if (p->directory_rule)
        return false;
    for (size_t i = 0; i < p->nregions; i++)
        if (tier >= p->max_tier && tc_region_contains(p->regions[i], code6))
            return true;
    for (size_t i = 0; i < p->nalso; i++)
        if (tier >= p->also[i].max_tier && tc_region_contains(p->also[i].region, code6))
            return true;
    return false;
}

unsigned tc_scope_check(const struct tc_profile *p, const struct tc_scope *s, uint32_t division,
                        uint8_t tier, int flag, const char *uscc)
{
    unsigned fails = 0;
    if (!tc_profile_unit_basic(p, division, tier, flag)) /* S1, S2 */
        fails |= TC_SCOPE_NOT_BASIC;
    if (!tc_region_contains(s->region, division)) /* S3 */
        fails |= TC_SCOPE_OUTSIDE;
    /* S3: a tier bound; TC_TIER_BASIC leaves it to the profile's definition checked above */
    if (s->tier != TC_TIER_BASIC && tier < s->tier)
        fails |= TC_SCOPE_TIER;
    if (s->has_unit && (!uscc || strcmp(s->unit, uscc) != 0))
        fails |= TC_SCOPE_NOT_EMPLOYER;
    return fails;
}

void tc_scope_words(const struct tc_scope *s, const char *province_zh, const char *province_en,
                    char *zh, size_t zh_size, char *en, size_t en_size)
{
    static const char *const tier_zh[] = {"", "省级及以下", "市（州）级及以下", "县级及以下", "乡镇", ""};
    static const char *const tier_en[] = {"", ", province level and below", ", prefecture level and below",
                                          ", county level and below", ", township units", ""};
    uint8_t t = s->tier <= TC_TIER_BASIC ? s->tier : 0;
    char where_zh[96], where_en[96];
    if (s->region < 100) {
        snprintf(where_zh, sizeof where_zh, "%s", province_zh ? province_zh : "");
        snprintf(where_en, sizeof where_en, "%s", province_en ? province_en : "");
    } else {
        /* a smaller region: the province and the division code */
        snprintf(where_zh, sizeof where_zh, "%s行政区划%u", province_zh ? province_zh : "", s->region);
        snprintf(where_en, sizeof where_en, "%s%sdivision %u", province_en ? province_en : "",
                 province_en ? ", " : "", s->region);
    }
    if (!where_en[0])
        snprintf(where_en, sizeof where_en, "division %u", s->region);
    if (s->has_unit) {
        snprintf(zh, zh_size, "限%s%s基层单位使用，且仅限用人单位（%s）内部使用", where_zh, tier_zh[t], s->unit);
        snprintf(en, en_size, "basic-level units of %s%s only, and only inside the employing unit (%s)",
                 where_en, tier_en[t], s->unit);
    } else {
        snprintf(zh, zh_size, "限%s%s基层单位使用", where_zh, tier_zh[t]);
        snprintf(en, en_size, "basic-level units of %s%s only", where_en, tier_en[t]);
    }
}
