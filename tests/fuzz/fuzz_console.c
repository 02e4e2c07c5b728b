/*
 * fuzz_console.c - libFuzzer target for the console's readers of client text (console/parse.c):
 * a path's id and action, text members and revocation lists read from a JSON body. Properties:
 * an accepted id is positive and its action the rest of the path after one '/', an accepted text
 * is within its limit and printable, an accepted revocation list has one dated item per id, each
 * id positive and its reason within its field; nothing reads past its input.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    int64_t id = 0;
    const char *action = NULL;
    if (cs_id_action(in, &id, &action) &&
        (id < 1 || !action ||
         (*action && (action <= in || action > in + size || action[-1] != '/'))))
        abort();
    json_error_t err;
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (o && json_is_object(o)) {
        const char *t = cs_text(o, "title", 120);
        if (t && (strlen(t) > 120 || !tc_text_safe((const uint8_t *)t, strlen(t))))
            abort();
        struct tc_wf_revocation *v = NULL;
        size_t n = 0;
        if (cs_revocation_items(o, &v, &n, 20000)) {
            if (n != json_array_size(json_object_get(o, "ids")))
                abort();
            for (size_t i = 0; i < n; i++)
                if (v[i].id < 1 || !v[i].day || strlen(v[i].reason) >= sizeof v[i].reason)
                    abort();
        }
        free(v);
    }
    json_decref(o);
    free(in);
    return 0;
}
