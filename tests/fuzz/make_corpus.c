/*
 * make_corpus.c - writes the seed corpora in tests/fuzz/corpus/ from fixed keys, so they can be
 * regenerated exactly: build/tests/fuzz/make_corpus tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fixtures.h"
#include "keys.h"

static void put(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: make_corpus DIR (writes DIR/payload and DIR/trustlist)\n");
        return 2;
    }
    char pd[4096], td[4096];
    snprintf(pd, sizeof pd, "%s/payload", argv[1]);
    snprintf(td, sizeof td, "%s/trustlist", argv[1]);
    struct fx_key issuer, root;
    fx_key(&issuer, 1);
    fx_key(&root, 7);

    struct tc_claims variants[4];
    fx_basic(&variants[0]);
    fx_converted(&variants[1]);
    fx_basic(&variants[2]);
    variants[2].scope.region = 500101;
    variants[2].scope.tier = TC_TIER_TOWNSHIP;
    fx_basic(&variants[3]);
    variants[3].scope.has_unit = true;
    memcpy(variants[3].scope.unit, "12220101438000222T", 19);
    for (int i = 0; i < 4; i++) {
        uint8_t m[TC_CERT_MAX_BYTES], cl[TC_CLAIMS_MAX_BYTES];
        size_t n, cn;
        char text[TC_TEXT_MAX + 1], link[TC_LINK_MAX], name[64];
        fx_cert_sign(m, sizeof m, &n, &variants[i], issuer.kid, issuer.sk);
        tc_claims_encode(&variants[i], cl, sizeof cl, &cn);
        tc_text_encode(text, sizeof text, m, n);
        tc_link_make(link, sizeof link, "https://zcyz.hrss.gansu.gov.cn", text);
        snprintf(name, sizeof name, "text-%d", i);
        put(pd, name, 0, text, strlen(text));
        snprintf(name, sizeof name, "link-%d", i);
        put(pd, name, 0, link, strlen(link));
        snprintf(name, sizeof name, "cose-%d", i);
        put(pd, name, 1, m, n);
        snprintf(name, sizeof name, "claims-%d", i);
        put(pd, name, 2, cl, cn);
    }

    /* an endorsement, a revocation and a trust list, signed by the fixed root */
    struct tc_endorsement en;
    memset(&en, 0, sizeof en);
    memcpy(en.pk, issuer.pk, TC_PK_BYTES);
    memcpy(en.kid, issuer.kid, TC_KID_BYTES);
    memcpy(en.name, "甘肃省卫生高级评委会", sizeof "甘肃省卫生高级评委会");
    tc_day_parse(&en.not_before, "2026-01-01");
    tc_day_parse(&en.not_after, "2028-12-31");
    en.authz.tracks = 6;
    en.authz.levels = 0x3E;
    en.authz.region = 62;
    en.endorsed_at = 1767225600;
    struct tc_revocation rv;
    memset(&rv, 0, sizeof rv);
    memcpy(rv.kid, issuer.kid, TC_KID_BYTES);
    tc_day_parse(&rv.day, "2027-06-01");
    memcpy(rv.reason, "密钥泄露", sizeof "密钥泄露");
    rv.revoked_at = 1780000000;

    uint8_t *payload = NULL, *msg = malloc(4096);
    size_t plen, mlen;
    struct tc_cw w;
    uint8_t ebuf[1024];
    /* endorsement payload, by the same writer the parser re-encodes with */
    tc_cw_init(&w, ebuf, sizeof ebuf);
    tc_cw_map(&w, 8);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, 1);
    tc_cw_uint(&w, 1), tc_cw_bytes(&w, en.pk, 32);
    tc_cw_uint(&w, 2), tc_cw_bytes(&w, en.kid, 8);
    tc_cw_uint(&w, 3), tc_cw_text(&w, en.name);
    tc_cw_uint(&w, 4), tc_cw_int(&w, en.not_before);
    tc_cw_uint(&w, 5), tc_cw_int(&w, en.not_after);
    tc_cw_uint(&w, 6), tc_cw_array(&w, 4), tc_cw_uint(&w, 6), tc_cw_uint(&w, 0x3E),
        tc_cw_array(&w, 0), tc_cw_uint(&w, 62);
    tc_cw_uint(&w, 7), tc_cw_uint(&w, en.endorsed_at);
    put(td, "endorsement-payload", 2, ebuf, w.len);
    uint8_t signed_end[1024];
    size_t signed_end_len;
    fx_cose_sign1(signed_end, sizeof signed_end, &signed_end_len, ebuf, w.len,
                       TC_AAD_ENDORSEMENT, root.kid, root.sk);
    struct tc_endorsement check;
    if (tc_keys_endorsement_parse(signed_end, signed_end_len, root.pk, &check) != TC_OK) {
        fprintf(stderr, "make_corpus: the endorsement seed does not parse\n");
        return 1;
    }
    uint8_t rbuf[512];
    tc_cw_init(&w, rbuf, sizeof rbuf);
    tc_cw_map(&w, 5);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, 2);
    tc_cw_uint(&w, 1), tc_cw_bytes(&w, rv.kid, 8);
    tc_cw_uint(&w, 2), tc_cw_int(&w, rv.day);
    tc_cw_uint(&w, 3), tc_cw_text(&w, rv.reason);
    tc_cw_uint(&w, 4), tc_cw_uint(&w, rv.revoked_at);
    put(td, "revocation-payload", 3, rbuf, w.len);

    uint8_t lbuf[2048];
    tc_cw_init(&w, lbuf, sizeof lbuf);
    tc_cw_map(&w, 5);
    tc_cw_uint(&w, 0), tc_cw_uint(&w, 3);
    tc_cw_uint(&w, 1), tc_cw_uint(&w, 1);
    tc_cw_uint(&w, 2), tc_cw_uint(&w, 1780000000);
    tc_cw_uint(&w, 3), tc_cw_array(&w, 1), tc_cw_bytes(&w, signed_end, signed_end_len);
    tc_cw_uint(&w, 4), tc_cw_array(&w, 1), tc_cw_array(&w, 4), tc_cw_bytes(&w, rv.kid, 8),
        tc_cw_int(&w, rv.day), tc_cw_text(&w, rv.reason), tc_cw_uint(&w, rv.revoked_at);
    plen = w.len;
    payload = lbuf;
    put(td, "list-payload", 1, payload, plen);
    fx_cose_sign1(msg, 4096, &mlen, payload, plen, TC_AAD_TRUST_LIST, root.kid, root.sk);
    struct tc_trust_list *tl = NULL;
    if (tc_trust_list_parse(msg, mlen, root.pk, &tl) != TC_OK) {
        fprintf(stderr, "make_corpus: the trust-list seed does not parse\n");
        return 1;
    }
    tc_trust_list_free(tl);
    put(td, "list-signed", 0, msg, mlen);
    free(msg);
    printf("corpus written to %s and %s\n", pd, td);
    return 0;
}
