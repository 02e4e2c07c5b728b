/*
 * parse.c - the console's readers of what a client sends besides the JSON itself (jansson's):
 * a path's id and action, a text member, a list of revocations. Pure functions, fuzzed
 * (tests/fuzz/fuzz_console.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *cs_text(json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    const char *t = json_string_value(v);
    if (!t || json_string_length(v) != strlen(t) || strlen(t) > max ||
        !tc_text_safe((const uint8_t *)t, strlen(t)))
        return NULL;
    return t;
}

bool cs_id_action(const char *p, int64_t *id, const char **action)
{
    size_t n = strcspn(p, "/");
    char digits[21];
    uint64_t v;
    if (n == 0 || n >= sizeof digits)
        return false;
    memcpy(digits, p, n);
    digits[n] = '\0';
    if (!tc_parse_u64(digits, &v) || v < 1 || v > INT64_MAX)
        return false;
    *id = (int64_t)v;
    *action = p[n] ? p + n + 1 : "";
    return true;
}

bool cs_revocation_items(json_t *b, struct tc_wf_revocation **v, size_t *n, int32_t today)
{
    json_t *ids = json_object_get(b, "ids"), *x;
    const char *reason = cs_text(b, "reason", 8), *day = cs_text(b, "day", 10);
    const char *until = cs_text(b, "until", 10), *bl = cs_text(b, "blacklist_reason", 240);
    int32_t d = today, u = 0;
    size_t i;
    *n = json_array_size(ids);
    if (!json_is_array(ids) || *n == 0 || *n > 10000 || !reason ||
        (day && !tc_day_parse(&d, day)) || (until && !tc_day_parse(&u, until)) ||
        !(*v = calloc(*n, sizeof **v)))
        return false;
    json_array_foreach(ids, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) < 1)
            return false;
        (*v)[i].id = (uint64_t)json_integer_value(x), (*v)[i].day = d, (*v)[i].until = u;
        (*v)[i].blacklist = json_is_true(json_object_get(b, "blacklist"));
        snprintf((*v)[i].reason, sizeof(*v)[i].reason, "%s", reason);
        snprintf((*v)[i].bl_reason, sizeof(*v)[i].bl_reason, "%s", bl ? bl : "");
    }
    return true;
}
