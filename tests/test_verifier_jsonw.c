/*
 * test_verifier_jsonw.c - the JSON writer (verifier/jsonw.c): every control character, '"' and
 * '\' escaped as jansson escapes them, U+2028 and U+2029 escaped, a table of malformed UTF-8
 * refused, nesting and key misuse refused, the cap, growth from a small first buffer, and
 * random documents compared byte for byte with jansson's compact dump.
 */
#include <jansson.h>
#include <string.h>

#include "jsonw.h"
#include "tap.h"

/* ["s"] written by the writer into out; the error */
static enum tc_err one(const char *s, size_t n, char *out, size_t size)
{
    char local[16];
    struct tc_jsonw w;
    const char *doc;
    size_t len;
    tc_jsonw_init(&w, local, sizeof local, 4096);
    tc_jsonw_array(&w);
    tc_jsonw_string_n(&w, s, n);
    tc_jsonw_end(&w);
    enum tc_err e = tc_jsonw_finish(&w, &doc, &len);
    snprintf(out, size, "%s", e == TC_OK ? doc : "");
    tc_jsonw_free(&w);
    return e;
}

static void escapes(void)
{
    char out[64], *ref;
    int same = 0;
    for (int c = 0; c < 0x80; c++) { /* every ASCII character as jansson writes it */
        char s[2] = {(char)c, 0};
        json_t *a = json_pack("[s#]", s, (size_t)1);
        ref = json_dumps(a, JSON_COMPACT);
        same += one(s, 1, out, sizeof out) == TC_OK && strcmp(out, ref) == 0;
        free(ref);
        json_decref(a);
    }
    ok(same == 0x80,
       "each of the 128 ASCII characters (controls, '\"', '\\\\' and the rest) is "
       "written as jansson writes it (%d)",
       same);
    one("\x1f\x7f", 2, out, sizeof out);
    ok(strcmp(out, "[\"\\u001F\x7f\"]") == 0, "a control character is \\u00XX, DEL is itself: %s",
       out);
    one("a\xe2\x80\xa8"
        "b\xe2\x80\xa9",
        8, out, sizeof out);
    ok(strcmp(out, "[\"a\\u2028b\\u2029\"]") == 0, "U+2028 and U+2029 are escaped: %s", out);
    json_t *back = json_loads(out, 0, NULL);
    ok(back && strcmp(json_string_value(json_array_get(back, 0)), "a\xe2\x80\xa8"
                                                                  "b\xe2\x80\xa9") == 0,
       "and jansson reads them back as the characters");
    json_decref(back);
    one("王芳 \xf0\x9f\x98\x80", 11, out, sizeof out);
    ok(strcmp(out, "[\"王芳 \xf0\x9f\x98\x80\"]") == 0, "other UTF-8 is copied as it is");
    one("a\0b", 3, out, sizeof out);
    ok(strcmp(out, "[\"a\\u0000b\"]") == 0, "a NUL inside a string is \\u0000");
}

static void malformed(void)
{
    static const struct {
        const char *s;
        size_t n;
        const char *what;
    } bad[] = {
        {"\x80", 1, "a lone continuation byte"},
        {"\xc0\x80", 2, "overlong NUL (C0 80)"},
        {"\xc1\xbf", 2, "overlong two-byte form"},
        {"\xe0\x80\xaf", 3, "overlong three-byte '/'"},
        {"\xf0\x80\x80\xaf", 4, "overlong four-byte '/'"},
        {"\xed\xa0\x80", 3, "a high surrogate (U+D800)"},
        {"\xed\xbf\xbf", 3, "a low surrogate (U+DFFF)"},
        {"\xf4\x90\x80\x80", 4, "past U+10FFFF"},
        {"\xf5\x80\x80\x80", 4, "F5"},
        {"\xff", 1, "FF"},
        {"\xe7\x8e", 2, "a cut three-byte sequence"},
        {"\xe7\x8e"
         "a",
         3, "a sequence broken by ASCII"},
        {"ok\xf0\x9f\x98", 5, "a cut four-byte sequence at the end"},
    };
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64];
        enum tc_err e = one(bad[i].s, bad[i].n, out, sizeof out);
        json_t *j = json_stringn(bad[i].s, bad[i].n);
        if (e == TC_ERR_TEXT && !j && !tc_jsonw_utf8_ok(bad[i].s, bad[i].n))
            refused++;
        else
            printf("# not refused: %s\n", bad[i].what);
        json_decref(j);
    }
    ok(refused == (int)(sizeof bad / sizeof bad[0]),
       "malformed UTF-8 is refused (TC_ERR_TEXT), as jansson refuses it (%d of %zu)", refused,
       sizeof bad / sizeof bad[0]);
}

static void misuse(void)
{
    struct tc_jsonw w;
    const char *doc;
    size_t len;
    char buf[64];
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_object(&w);
    tc_jsonw_string(&w, "x");
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "a value without a key in an object");
    tc_jsonw_free(&w);
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_array(&w);
    tc_jsonw_key(&w, "k");
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "a key in an array");
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_object(&w);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "an object left open");
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_object(&w);
    tc_jsonw_key(&w, "k");
    tc_jsonw_end(&w);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "a key without its value");
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_object(&w);
    tc_jsonw_end(&w);
    tc_jsonw_object(&w);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "a second document");
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    for (int i = 0; i < TC_JSONW_MAX_DEPTH + 1; i++)
        tc_jsonw_array(&w);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "deeper than TC_JSONW_MAX_DEPTH");
    tc_jsonw_init(&w, buf, sizeof buf, 1024);
    tc_jsonw_object(&w);
    tc_jsonw_kstring(&w, "absent", NULL);
    tc_jsonw_kstring(&w, "present", "");
    tc_jsonw_end(&w);
    ok(tc_jsonw_finish(&w, &doc, &len) == TC_OK && strcmp(doc, "{\"present\":\"\"}") == 0,
       "a member with a NULL string is left out, as jansson leaves it out");
    tc_jsonw_string(&w, NULL);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_ARG, "a NULL value is refused");
}

static void cap_and_growth(void)
{
    struct tc_jsonw w;
    const char *doc;
    size_t len;
    char buf[8], big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tc_jsonw_init(&w, buf, sizeof buf, 1u << 16);
    tc_jsonw_array(&w);
    for (int i = 0; i < 10; i++)
        tc_jsonw_string(&w, big);
    tc_jsonw_end(&w);
    enum tc_err e = tc_jsonw_finish(&w, &doc, &len);
    ok(e == TC_OK && len == 10 * 3001 + 9 + 2 && w.heap && doc[len] == '\0',
       "from an 8-byte first buffer the writer grows on the heap (%zu bytes)", len);
    tc_jsonw_free(&w);
    tc_jsonw_init(&w, buf, sizeof buf, 4096);
    tc_jsonw_array(&w);
    tc_jsonw_string(&w, big);
    tc_jsonw_string(&w, big);
    tc_jsonw_end(&w);
    is_err(tc_jsonw_finish(&w, &doc, &len), TC_ERR_SIZE_LIMIT, "never past its cap");
    tc_jsonw_free(&w);
    tc_jsonw_init(&w, NULL, 0, 64);
    tc_jsonw_object(&w);
    tc_jsonw_kint(&w, "n", -9223372036854775807LL - 1);
    tc_jsonw_kbool(&w, "t", true);
    tc_jsonw_end(&w);
    e = tc_jsonw_finish(&w, &doc, &len);
    ok(e == TC_OK && strcmp(doc, "{\"n\":-9223372036854775808,\"t\":true}") == 0,
       "integers and booleans, with no first buffer: %s", doc ? doc : "");
    tc_jsonw_free(&w);
}

/* random nested documents of random UTF-8 text, written both ways */
static void random_documents(void)
{
    static const char *const words[] = {"a",  "\"",   "\\",   "\n",    "\t\x01",
                                        "王", "芳",   "é",    "/",     "\xf0\x9f\x98\x80",
                                        "",   "0931", "\x7f", "\r\b\f"};
    const size_t nw = sizeof words / sizeof words[0];
    uint32_t x = 12345;
    int same = 0;
    for (int d = 0; d < 300; d++) {
        char local[32];
        struct tc_jsonw w;
        tc_jsonw_init(&w, local, sizeof local, 1u << 16);
        json_t *root = json_object(), *cur = root;
        tc_jsonw_object(&w);
        int n = 1 + (int)(x % 12), open = 0;
        for (int i = 0; i < n; i++) {
            char key[32], val[64] = "";
            x = x * 1103515245u + 12345u;
            snprintf(key, sizeof key, "k%d%s", i, words[x % nw]);
            for (int k = 0; k < (int)(x >> 8) % 5; k++)
                strcat(val, words[(x >> (k * 3)) % nw]);
            if ((x >> 20) % 4 == 0 && open < 3) { /* a nested object */
                json_t *o = json_object();
                json_object_set_new(cur, key, o);
                cur = o, open++;
                tc_jsonw_kobject(&w, key);
            } else if ((x >> 20) % 4 == 1) {
                json_object_set_new(cur, key, json_integer((json_int_t)x - 2000000000));
                tc_jsonw_kint(&w, key, (long long)x - 2000000000);
            } else {
                json_object_set_new(cur, key, json_string(val));
                tc_jsonw_kstring(&w, key, val);
            }
        }
        while (open--)
            tc_jsonw_end(&w);
        tc_jsonw_end(&w);
        const char *doc;
        size_t len;
        char *ref = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        same += tc_jsonw_finish(&w, &doc, &len) == TC_OK && ref && strcmp(ref, doc) == 0;
        free(ref);
        json_decref(root);
        tc_jsonw_free(&w);
    }
    ok(same == 300, "300 random nested documents are byte for byte jansson's compact dump (%d)",
       same);
}

int main(void)
{
    escapes();
    malformed();
    misuse();
    cap_and_growth();
    random_documents();
    return tap_done();
}
