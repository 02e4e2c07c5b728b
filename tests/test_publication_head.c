/*
 * test_publication_head.c - the publication head (publication/head.c): what the issuer writes is
 * read back the same; every deviation from that one form is refused (a table of malformed heads
 * and a truncation ladder), because a replica reads it from a server it does not trust.
 */
#include <string.h>

#include "publication.h"
#include "tap.h"

static const char note[] = "titlecert.invalid/register/GS\n12\nAAAA\n\n\xe2\x80\x94 "
                           "titlecert.invalid/register/GS AAAA\n";

static size_t make(char *out, size_t size, bool delta)
{
    struct tc_head h = {.version = 42, .bytes = 123456, .checkpoint = note,
                        .checkpoint_len = sizeof note - 1};
    memset(h.sha256, 0xab, 32);
    if (delta) {
        h.has_delta = true, h.delta_from = 41, h.delta_bytes = 857;
        memset(h.delta_sha256, 0x01, 32);
    }
    size_t len = 0;
    return tc_head_format(&h, out, size, &len) == TC_OK ? len : 0;
}

static void round_trip(void)
{
    for (int d = 0; d < 2; d++) {
        char buf[TC_HEAD_MAX_BYTES + 1];
        size_t len = make(buf, sizeof buf, d);
        struct tc_head h;
        ok(len > 0, "a head %s is written", d ? "with a delta line" : "without a delta");
        is_err(tc_head_parse(buf, len, &h), TC_OK, "and read back");
        uint8_t want[32];
        memset(want, 0xab, 32);
        ok(h.version == 42 && h.bytes == 123456 && memcmp(h.sha256, want, 32) == 0 &&
               h.has_delta == (d == 1) && (!d || (h.delta_from == 41 && h.delta_bytes == 857)),
           "with the same version, hash, size and delta");
        ok(h.checkpoint_len == sizeof note - 1 && memcmp(h.checkpoint, note, h.checkpoint_len) == 0,
           "and the checkpoint after the blank line");
    }
}

static void malformed(void)
{
    char good[TC_HEAD_MAX_BYTES + 1];
    size_t len = make(good, sizeof good, true);
    struct {
        const char *what, *from, *to;
    } cases[] = {
        {"another magic line", "titlecert-head 1", "titlecert-head 2"},
        {"a leading zero", "version 42", "version 042"},
        {"a sign", "version 42", "version +42"},
        {"a space before the number", "version 42", "version  42"},
        {"a tab", "version 42", "version\t42"},
        {"upper-case hex", "sha256 abab", "sha256 ABab"},
        {"a short hash", "sha256 abab", "sha256 ab\nx"},
        {"a CR before the newline", "bytes 123456\n", "bytes 123456\r\n"},
        {"a number past 19 digits", "bytes 123456", "bytes 12345678901234567890"},
        {"a delta line without its size", " 857\n", "\n"},
        {"lines out of order", "version 42\nsha256", "sha256"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char bad[TC_HEAD_MAX_BYTES + 64];
        const char *at = strstr(good, cases[i].from);
        if (!at) {
            ok(0, "case %s: pattern present", cases[i].what);
            continue;
        }
        size_t pre = (size_t)(at - good), fl = strlen(cases[i].from), tl = strlen(cases[i].to);
        memcpy(bad, good, pre);
        memcpy(bad + pre, cases[i].to, tl);
        memcpy(bad + pre + tl, at + fl, len - pre - fl);
        struct tc_head h;
        is_err(tc_head_parse(bad, len - fl + tl, &h), TC_ERR_TYPE, "refused: %s", cases[i].what);
    }
    /* every truncation before the checkpoint begins is refused */
    const char *blank = strstr(good, "\n\n");
    size_t cut_ok = 0, cuts = blank ? (size_t)(blank - good) + 2 : 0;
    for (size_t k = 0; k < cuts; k++) {
        struct tc_head h;
        cut_ok += tc_head_parse(good, k, &h) != TC_OK;
    }
    ok(cuts > 0 && cut_ok == cuts, "every truncation of the lines before the checkpoint is refused");
    struct tc_head h;
    is_err(tc_head_parse(good, TC_HEAD_MAX_BYTES + 1, &h), TC_ERR_SIZE_LIMIT,
           "more than TC_HEAD_MAX_BYTES is refused before it is read");
}

int main(void)
{
    round_trip();
    malformed();
    return tap_done();
}
