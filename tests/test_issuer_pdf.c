/*
 * test_issuer_pdf.c - the e-certificate's layout (rule A4): long and unusual content lays out
 * inside its boxes without overflow or clipping: 4-character and compound names (欧阳娜娜,
 * 阿卜杜热合曼·买买提), the longest specialty the format allows, every title of the table, a
 * converted certificate, every scope wording; text is shrunk or wrapped, never cut, and what
 * cannot fit is refused naming the field. Seal images are checked. Checks the extents pango
 * reports for every text against its box.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "issuer.h"
#include "tap.h"

#define OK(c, ...) tap_ok((c) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define IS(g, w, ...) tap_is_err((int)(g), (int)(w), __FILE__, __LINE__, __VA_ARGS__)

static struct tc_profile profile;
static uint8_t *seal;
static size_t seal_len;
static char dir[] = "/tmp/tc_pdf_XXXXXX";
static struct tc_pdf_engine *engine;

/* every text inside its box (0.5 pt of slack for antialiasing), at a legible size */
static bool inside(const struct tc_pdf_report *r, char *bad, size_t size)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tc_pdf_box *b = &r->box[i];
        bool ok = b->ix >= b->x - 0.5 && b->iy >= b->y - 0.5 && b->ix + b->iw <= b->x + b->w + 0.5 &&
                  b->iy + b->ih <= b->y + b->h + 0.5 && (b->size == 0 || b->size >= 7.0);
        /* no two boxes of the page overlap, but the seal, which lies over the organiser */
        for (size_t k = 0; ok && k < i; k++) {
            const struct tc_pdf_box *o = &r->box[k];
            if (!strcmp(b->field, "seal") || !strcmp(o->field, "seal") || !strcmp(b->field, "label") ||
                !strcmp(o->field, "label"))
                continue;
            bool apart = b->ix >= o->ix + o->iw || o->ix >= b->ix + b->iw || b->iy >= o->iy + o->ih ||
                         o->iy >= b->iy + b->ih;
            if (!apart) {
                snprintf(bad, size, "%s overlaps %s", b->field, o->field);
                return false;
            }
        }
        if (!ok) {
            snprintf(bad, size, "%s: ink %.1f,%.1f %.1fx%.1f outside box %.1f,%.1f %.1fx%.1f (%.1f pt)",
                     b->field, b->ix, b->iy, b->iw, b->ih, b->x, b->y, b->w, b->h, b->size);
            return false;
        }
    }
    return true;
}

static const struct tc_pdf_box *box(const struct tc_pdf_report *r, const char *field)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->box[i].field, field))
            return &r->box[i];
    return NULL;
}

static enum tc_err render(const struct tc_claims *c, const char *committee, struct tc_pdf_report *r,
                          char *why, size_t why_size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/c.pdf", dir);
    struct tc_pdf_cert in = {c,
                             "http://127.0.0.1:8080/v#TC1:12345678901234567",
                             "http://127.0.0.1:8080",
                             &profile,
                             committee,
                             "甘肃省卫生健康委员会",
                             seal,
                             seal_len,
                             true,
                             "临夏回族自治州人民医院（示例）",
                             NULL};
    return tc_pdf_write(engine, &in, path, r, why, why_size);
}

int main(void)
{
    char path[1024], why[640], bad[256];
    if (!mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/profiles/GS.json", getenv("TC_DATA_DIR"));
    FILE *f = fopen(path, "r");
    char json[65536];
    size_t jlen = f ? fread(json, 1, sizeof json, f) : 0;
    if (f)
        fclose(f);
    const char *w;
    if (tc_profile_parse(&profile, json, jlen, &w) != TC_OK)
        return 2;
    snprintf(path, sizeof path, "%s/samples/demo-seal.svg", getenv("TC_DATA_DIR"));
    if (tc_file_read(path, TC_PDF_SEAL_MAX, &seal, &seal_len) != TC_OK)
        return 2;
    engine = tc_pdf_engine_new();
    struct tc_pdf_report rep;
    struct tc_claims c;

    fx_basic(&c);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK, "a basic-level certificate renders");
    OK(inside(&rep, bad, sizeof bad), "every text is inside its box (%s)", rep.n ? bad : "no boxes");
    OK(box(&rep, "scope") && box(&rep, "conversion_path") && box(&rep, "qr") && box(&rep, "seal"),
       "it has the scope, the conversion path, the QR code and the seal");
    OK(box(&rep, "scope")->size >= 14, "the scope is prominent (%.1f pt)", box(&rep, "scope")->size);

    const char *names[] = {"欧阳娜娜", "阿卜杜热合曼·买买提", "司马相如", "王"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        fx_basic(&c);
        snprintf(c.name, sizeof c.name, "%s", names[i]);
        enum tc_err e = render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why);
        OK(e == TC_OK && inside(&rep, bad, sizeof bad) && box(&rep, "name")->lines == 1,
           "the name %s lays out inside its box, on one line (%s)", names[i], e == TC_OK ? "" : why);
    }
    /* the longest specialty the format allows: 60 bytes, 20 CJK characters */
    fx_basic(&c);
    snprintf(c.specialty, sizeof c.specialty, "%s", "中西医结合临床医学心血管内科介入治疗方向");
    OK(strlen(c.specialty) <= TC_SPECIALTY_MAX, "a specialty of %zu bytes (the limit is %d)",
       strlen(c.specialty), TC_SPECIALTY_MAX);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK, "it renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "specialty")->size >= 10, "inside its box at %.1f pt (%s)",
       box(&rep, "specialty")->size, bad);
    /* a committee name long enough to wrap: wrapped, not cut */
    IS(render(&c, "甘肃省卫生健康委员会卫生系列高级专业技术职务任职资格评审委员会（中西医结合与康复医学专业组）",
              &rep, why, sizeof why), TC_OK, "a long committee name renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "committee")->lines >= 2, "wrapped onto %d lines inside its box",
       box(&rep, "committee")->lines);

    /* every title of the table, at every level */
    size_t nt, fails = 0, rendered = 0;
    const struct tc_title *tt = tc_title_table(&nt);
    for (size_t i = 0; i < nt; i++) {
        fx_basic(&c);
        c.series = tt[i].series, c.level = tt[i].level, c.title_variant = tt[i].variant;
        if (render(&c, "甘肃省职称评审委员会", &rep, why, sizeof why) != TC_OK || !inside(&rep, bad, sizeof bad)) {
            if (!fails)
                printf("# %s %s: %s %s\n", tt[i].series_code, tt[i].title, why, bad);
            fails++;
        }
        rendered++;
    }
    OK(fails == 0 && rendered == nt, "all %zu titles of the table lay out inside their boxes (%zu did not)", nt, fails);

    /* every scope wording, and a single-unit scope */
    uint8_t tiers[] = {TC_TIER_PROVINCE, TC_TIER_PREFECTURE, TC_TIER_COUNTY, TC_TIER_TOWNSHIP, TC_TIER_BASIC};
    fails = 0;
    for (size_t i = 0; i < sizeof tiers; i++) {
        fx_basic(&c);
        c.scope.tier = tiers[i];
        c.scope.region = 622901;
        if (render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why) != TC_OK || !inside(&rep, bad, sizeof bad))
            fails++;
    }
    fx_basic(&c);
    c.scope.has_unit = true;
    memcpy(c.scope.unit, "12622901438000777Q", 19);
    if (render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why) != TC_OK || !inside(&rep, bad, sizeof bad))
        fails++;
    OK(fails == 0, "every scope tier and a single-unit scope lay out inside their boxes");

    fx_converted(&c);
    IS(render(&c, "甘肃省卫生系列高级职称评审委员会", &rep, why, sizeof why), TC_OK, "a converted certificate renders");
    OK(inside(&rep, bad, sizeof bad) && box(&rep, "predecessor") && !box(&rep, "conversion_path"),
       "with its predecessor and carried tenure, without a conversion path");

    /* what cannot fit is refused, naming the field; nothing is left behind */
    fx_basic(&c);
    char huge[4096] = "";
    for (int i = 0; i < 60; i++)
        strcat(huge, "甘肃省卫生系列高级职称评审委员会");
    IS(render(&c, huge, &rep, why, sizeof why), TC_ERR_RANGE, "a committee name that cannot fit is refused");
    OK(strstr(why, "committee") != NULL, "naming the field (%.60s...)", why);
    snprintf(path, sizeof path, "%s/c.pdf", dir);
    OK(access(path, F_OK) != 0, "and no file is left");

    /* seals */
    bool svg;
    IS(tc_pdf_seal_check(seal, seal_len, &svg, why, sizeof why), TC_OK, "the demo's SVG seal is accepted");
    OK(svg, "as an SVG");
    static const uint8_t rgb_png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
        0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
        0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
        0x44, 0xae, 0x42, 0x60, 0x82};
    IS(tc_pdf_seal_check(rgb_png, sizeof rgb_png, &svg, why, sizeof why), TC_ERR_TYPE,
       "a PNG without transparency is refused (%s)", why);
    IS(tc_pdf_seal_check((const uint8_t *)"not an image at all", 19, &svg, why, sizeof why), TC_ERR_TYPE,
       "bytes that are no image are refused");
    tc_pdf_engine_free(engine);
    free(seal);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    if (system(path) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
