/*
 * json.c - claims <-> JSON (jansson), for people and programs: the issuer reads claims to sign
 * from JSON, the verifier reports what it verified as JSON.
 *
 * Codes travel as the words a reader knows: series codes ("WS-YL"), track and method names,
 * dates "YYYY-MM-DD" and months "YYYY-MM". On input the full resident ID number may be given
 * ("id_number"): it is validated (GB 11643) and reduced to its mask here, and never kept.
 * Output adds display names (series name, level name, title) that input ignores.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cert.h"

static const char *const track_words[] = {NULL, "basic", "province"};
static const char *const method_words[] = {NULL,          "review", "assessment", "exam",
                                           "exceptional", "direct", "conversion", "reevaluation"};
static const char *const tier_words[] = {NULL, "province", "prefecture", "county", "township", "basic"};

static int word_index(const char *const *words, size_t n, const char *w)
{
    for (size_t i = 1; w && i < n; i++)
        if (strcmp(words[i], w) == 0)
            return (int)i;
    return 0;
}

static void set_month(json_t *o, const char *key, int32_t m)
{
    char s[8];
    tc_month_format(s, m);
    json_object_set_new(o, key, json_string(s));
}

static void set_day(json_t *o, const char *key, int32_t d)
{
    char s[11];
    tc_day_format(s, d);
    json_object_set_new(o, key, json_string(s));
}

static void region_string(char out[7], uint32_t region)
{
    snprintf(out, 7, "%u", region);
}

json_t *tc_claims_to_json(const struct tc_claims *c)
{
    json_t *o = json_object();
    char buf[TC_IDNO_LEN + 1];
    json_object_set_new(o, "id", json_integer((json_int_t)c->id));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "id_mask", json_string(c->id_mask));
    tc_idno_mask_display(buf, c->id_mask);
    json_object_set_new(o, "id_number_masked", json_string(buf));
    const struct tc_title *t = tc_title_lookup(c->series, c->level, c->title_variant);
    json_object_set_new(o, "series", json_string(t ? t->series_code : "?"));
    json_object_set_new(o, "series_name", json_string(t ? t->series_name : "?"));
    json_object_set_new(o, "series_name_en", json_string(t ? t->series_en : "?"));
    json_object_set_new(o, "specialty", json_string(c->specialty));
    json_object_set_new(o, "level", json_integer(c->level));
    json_object_set_new(o, "level_name", json_string(tc_level_name_zh(c->level)));
    json_object_set_new(o, "level_name_en", json_string(tc_level_name_en(c->level)));
    if (c->title_variant)
        json_object_set_new(o, "title_variant", json_integer(c->title_variant));
    json_object_set_new(o, "title", json_string(t ? t->title : "?"));
    json_object_set_new(o, "title_en", json_string(t ? t->title_en : "?"));
    json_object_set_new(o, "track", json_string(c->track <= 2 ? track_words[c->track] : "?"));
    json_object_set_new(o, "track_name", json_string(tc_track_name_zh(c->track)));
    json_object_set_new(o, "track_name_en", json_string(tc_track_name_en(c->track)));
    json_object_set_new(o, "method", json_string(c->method <= TC_METHOD_REEVALUATION ? method_words[c->method] : "?"));
    json_object_set_new(o, "method_name", json_string(tc_method_name_zh(c->method)));
    json_object_set_new(o, "method_name_en", json_string(tc_method_name_en(c->method)));
    json_object_set_new(o, "eval_year", json_integer(c->eval_year));
    set_day(o, "obtained", c->obtained_day);
    set_month(o, "tenure_start", c->tenure_month);
    if (c->track == TC_TRACK_BASIC) {
        json_t *s = json_object();
        char region[7];
        region_string(region, c->scope.region);
        json_object_set_new(s, "region", json_string(region));
        json_object_set_new(s, "tier", json_string(c->scope.tier <= TC_TIER_BASIC ? tier_words[c->scope.tier] : "?"));
        if (c->scope.has_unit)
            json_object_set_new(s, "unit", json_string(c->scope.unit));
        json_object_set_new(o, "scope", s);
    }
    json_object_set_new(o, "employer", json_string(c->employer));
    if (c->conv.kind == TC_CONV_PATH) {
        json_t *v = json_object();
        set_month(v, "earliest", c->conv.earliest_month);
        json_object_set_new(v, "months_required", json_integer(c->conv.months_required));
        json_object_set_new(v, "ce_hours_per_year", json_integer(c->conv.ce_hours));
        json_object_set_new(v, "needs_assessments",
                            json_boolean(c->conv.flags & TC_CONV_NEEDS_ASSESSMENTS));
        json_object_set_new(v, "needs_committee", json_boolean(c->conv.flags & TC_CONV_NEEDS_COMMITTEE));
        json_object_set_new(o, "conversion", v);
    } else if (c->conv.kind == TC_CONV_FROM) {
        json_t *v = json_object();
        json_object_set_new(v, "predecessor", json_integer((json_int_t)c->conv.predecessor));
        set_month(v, "carried_tenure_start", c->conv.carried_tenure_month);
        json_object_set_new(o, "conversion", v);
    }
    json_object_set_new(o, "committee", json_integer(c->committee));
    json_object_set_new(o, "issued_at", json_integer((json_int_t)c->issued_at));
    return o;
}

/* Reading: each helper records the first problem in *bad. */
struct jin {
    json_t *o;
    const char *bad;
};

static json_int_t get_int(struct jin *j, json_t *o, const char *key, json_int_t lo, json_int_t hi,
                          bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required && !j->bad)
            j->bad = key;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        if (!j->bad)
            j->bad = key;
        return 0;
    }
    return json_integer_value(v);
}

static const char *get_str(struct jin *j, json_t *o, const char *key, bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_string(v)) {
        if ((v || required) && !j->bad)
            j->bad = key;
        return NULL;
    }
    return json_string_value(v);
}

static void copy_text(struct jin *j, char *out, size_t max, const char *s, const char *key)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (n == 0 || n > max || !tc_text_safe((const uint8_t *)s, n)) {
        if (!j->bad)
            j->bad = key;
        return;
    }
    memcpy(out, s, n + 1);
}

static void get_month(struct jin *j, json_t *o, const char *key, int32_t *m, bool required)
{
    const char *s = get_str(j, o, key, required);
    if (s && !tc_month_parse(m, s) && !j->bad)
        j->bad = key;
}

enum tc_err tc_claims_from_json(json_t *o, struct tc_claims *c, const char **field)
{
    struct jin j = {o, NULL};
    memset(c, 0, sizeof *c);
    if (!json_is_object(o)) {
        *field = "(top level)";
        return TC_ERR_TYPE;
    }
    c->id = (uint64_t)get_int(&j, o, "id", 1, INT64_MAX, true);
    copy_text(&j, c->name, TC_NAME_MAX, get_str(&j, o, "name", true), "name");
    const char *idno = get_str(&j, o, "id_number", false);
    const char *mask = get_str(&j, o, "id_mask", false);
    if (idno) {
        if (tc_idno_mask(c->id_mask, idno) != TC_OK && !j.bad)
            j.bad = "id_number";
    } else if (mask && strlen(mask) == TC_ID_MASK_LEN) {
        memcpy(c->id_mask, mask, TC_ID_MASK_LEN + 1);
    } else if (!j.bad) {
        j.bad = "id_number";
    }
    const char *series = get_str(&j, o, "series", true);
    c->series = series ? tc_series_id(series) : 0;
    if (series && c->series == 0 && !j.bad)
        j.bad = "series";
    copy_text(&j, c->specialty, TC_SPECIALTY_MAX, get_str(&j, o, "specialty", true), "specialty");
    c->level = (uint8_t)get_int(&j, o, "level", 1, 5, true);
    c->title_variant = (uint8_t)get_int(&j, o, "title_variant", 0, 9, false);
    c->track = (uint8_t)word_index(track_words, 3, get_str(&j, o, "track", true));
    if (!c->track && !j.bad)
        j.bad = "track";
    c->method = (uint8_t)word_index(method_words, 8, get_str(&j, o, "method", true));
    if (!c->method && !j.bad)
        j.bad = "method";
    c->eval_year = (uint16_t)get_int(&j, o, "eval_year", 1950, 2200, true);
    const char *obtained = get_str(&j, o, "obtained", true);
    if (obtained && !tc_day_parse(&c->obtained_day, obtained) && !j.bad)
        j.bad = "obtained";
    get_month(&j, o, "tenure_start", &c->tenure_month, true);
    const char *emp = get_str(&j, o, "employer", true);
    if (emp && strlen(emp) == TC_USCC_LEN)
        memcpy(c->employer, emp, TC_USCC_LEN + 1);
    else if (!j.bad)
        j.bad = "employer";
    c->committee = (uint16_t)get_int(&j, o, "committee", 1, 0xFFFF, true);
    c->issued_at = (uint64_t)get_int(&j, o, "issued_at", 1, 0xFFFFFFFF, false);

    json_t *scope = json_object_get(o, "scope");
    if (scope) {
        c->scope.region = tc_region_parse(get_str(&j, scope, "region", true));
        if (!c->scope.region && !j.bad)
            j.bad = "scope.region";
        c->scope.tier = (uint8_t)word_index(tier_words, 6, get_str(&j, scope, "tier", true));
        if (!c->scope.tier && !j.bad)
            j.bad = "scope.tier";
        const char *unit = get_str(&j, scope, "unit", false);
        if (unit && strlen(unit) == TC_USCC_LEN) {
            c->scope.has_unit = true;
            memcpy(c->scope.unit, unit, TC_USCC_LEN + 1);
        } else if (unit && !j.bad) {
            j.bad = "scope.unit";
        }
    }
    json_t *conv = json_object_get(o, "conversion");
    if (conv && json_object_get(conv, "predecessor")) {
        c->conv.kind = TC_CONV_FROM;
        c->conv.predecessor = (uint64_t)get_int(&j, conv, "predecessor", 1, INT64_MAX, true);
        get_month(&j, conv, "carried_tenure_start", &c->conv.carried_tenure_month, true);
    } else if (conv) {
        c->conv.kind = TC_CONV_PATH;
        get_month(&j, conv, "earliest", &c->conv.earliest_month, true);
        c->conv.months_required = (uint16_t)get_int(&j, conv, "months_required", 1, 600, true);
        c->conv.ce_hours = (uint16_t)get_int(&j, conv, "ce_hours_per_year", 0, 1000, true);
        json_t *a = json_object_get(conv, "needs_assessments");
        json_t *b = json_object_get(conv, "needs_committee");
        c->conv.flags = (uint8_t)((json_is_true(a) ? TC_CONV_NEEDS_ASSESSMENTS : 0) |
                                  (json_is_true(b) ? TC_CONV_NEEDS_COMMITTEE : 0));
    }
    if (j.bad) {
        *field = j.bad;
        return TC_ERR_RANGE;
    }
    if (!c->issued_at)
        return TC_OK; /* the caller stamps the time, then checks */
    return tc_claims_check(c, field);
}

enum tc_err tc_claims_json_load(const char *text, size_t len, json_t **o, int *line)
{
    *o = NULL, *line = 0;
    if (len > TC_CLAIMS_JSON_MAX)
        return TC_ERR_SIZE_LIMIT;
    json_error_t jerr;
    if (!(*o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr))) {
        *line = jerr.line;
        return TC_ERR_TEXT;
    }
    return TC_OK;
}

enum tc_err tc_claims_parse_json(const char *text, size_t len, uint64_t now, struct tc_claims *c,
                                 const char **field, int *line)
{
    json_t *j;
    *field = NULL;
    enum tc_err e = tc_claims_json_load(text, len, &j, line);
    if (e != TC_OK)
        return e;
    e = tc_claims_from_json(j, c, field);
    json_decref(j);
    if (e == TC_OK && c->issued_at == 0) {
        c->issued_at = now;
        e = tc_claims_check(c, field);
    }
    return e;
}
