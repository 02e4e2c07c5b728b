/*
 * engine.c - turns a payload into a verdict with reasons (see verifier.h). Each tc_err the
 * lower layers can return maps to exactly one reason code; anything that is not authentic and
 * acceptable is `invalid`.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "verifier.h"

const char *tc_verdict_name(enum tc_verdict_kind k)
{
    static const char *const names[] = {"valid", "not_valid_here", "superseded", "revoked",
                                        "invalid"};
    return (unsigned)k <= TC_VERDICT_INVALID ? names[k] : "invalid";
}

static const struct tc_reason R_MALFORMED = {
    "malformed", "", "证书数据格式错误或不完整，无法识别", "the certificate data is malformed or incomplete"};
static const struct tc_reason R_BAD_SIGNATURE = {
    "bad_signature", "", "电子签名验证失败，证书内容可能被篡改", "the signature does not verify: the certificate may have been altered"};
static const struct tc_reason R_UNKNOWN_ISSUER = {
    "unknown_issuer", "A1", "签发机构的密钥不在省人社厅发布的信任列表中", "the signing key is not in the trust list published by the provincial HR department"};
static const struct tc_reason R_KEY_REVOKED = {
    "issuer_key_revoked", "A2", "签发密钥已被撤销，撤销之日起签发的证书无效", "the signing key was revoked; certificates it signed from that day on are invalid"};
static const struct tc_reason R_OUT_OF_TERM = {
    "issuer_key_out_of_term", "A1", "证书签发时签发机构不在核准的有效期内（评委会每3年核准一次）", "the certificate was issued outside the signing key's approved term (committees are approved for 3 years)"};
static const struct tc_reason R_NOT_AUTHORISED = {
    "issuer_not_authorised", "A1", "签发机构无权签发此类职称（职称类型、系列、级别或地区超出授权范围）", "the issuer is not authorised for this title (track, series, level or region outside its scope)"};
static const struct tc_reason R_SCOPE_UNCHECKED = {
    "scope_not_checked", "S1", "未指定用人单位：基层职称仅在基层单位有效，请输入单位后核验", "no unit given: a basic-level title is valid only at basic-level units; give a unit to check"};

static const struct tc_reason R_REVOKED = {
    "revoked", "A2", "证书已被撤销，撤销后的证书不再有效", "the certificate has been revoked"};
static const struct tc_reason R_SUPERSEDED = {
    "superseded", "C1", "该基层职称已换发为全省统一职称证书，请查验新证书", "this basic-level title was exchanged for a province-wide certificate; check the new one"};
static const struct tc_reason R_UNIT_UNKNOWN = {
    "unit_unknown", "S2", "该单位不在基层单位目录中，无法确认为基层单位", "the unit is not in the basic-level unit directory on that day"};
static const struct tc_reason R_NOT_BASIC = {
    "unit_not_basic_level", "S1", "该单位不是基层单位。基层职称仅限在基层单位聘用，在该单位不适用", "this unit is not a basic-level unit: a basic-level title is valid only at basic-level units"};
static const struct tc_reason R_OUTSIDE = {
    "unit_outside_region", "S3", "该单位不在证书限定的地区范围内", "the unit lies outside the region the certificate is limited to"};
static const struct tc_reason R_TIER = {
    "unit_tier_not_allowed", "S3", "该单位层级超出证书限定的使用范围（如限乡镇基层单位使用）", "the unit's tier is above what the certificate allows (e.g. township units only)"};
static const struct tc_reason R_NOT_EMPLOYER = {
    "unit_not_the_employer", "S3", "该证书限于本单位内部使用，在其他单位无效", "the certificate is valid only inside the unit that employs its holder"};
static const struct tc_reason R_FUTURE = {
    "issued_in_future", "A1", "证书的签发时间晚于当前时间，证书不可信", "the certificate says it was issued later than now: it cannot be trusted"};
static const struct tc_reason R_NOT_YET = {
    "not_yet_obtained", "", "所查日期早于取得该职称的日期，当日尚未取得该职称", "on the day asked the title had not yet been obtained"};
static const struct tc_reason R_REVOKED_LATER = {
    "revoked_later", "A2", "注意：该证书此后已被撤销", "note: the certificate was revoked after the day asked"};
static const struct tc_reason R_SUPERSEDED_LATER = {
    "superseded_later", "C1", "注意：该证书此后已换发为全省统一职称证书", "note: the certificate was exchanged for a province-wide one after the day asked"};
static const struct tc_reason R_STALE = {
    "status_stale", "A2", "状态数据已超过有效期，撤销信息可能不是最新的", "the status data is older than allowed: revocations may be missing"};

static void add(struct tc_verdict *v, const struct tc_reason *r)
{
    if (v->n_reasons < TC_VERDICT_MAX_REASONS)
        v->reasons[v->n_reasons++] = *r;
}

static void invalid(struct tc_verdict *v, enum tc_err e, const char *field)
{
    v->kind = TC_VERDICT_INVALID;
    v->err = e;
    v->err_field = field;
    switch (e) {
    case TC_ERR_BAD_SIGNATURE: add(v, &R_BAD_SIGNATURE); break;
    case TC_ERR_UNKNOWN_KEY_ID: add(v, &R_UNKNOWN_ISSUER); break;
    case TC_ERR_KEY_REVOKED: add(v, &R_KEY_REVOKED); break;
    case TC_ERR_KEY_OUT_OF_TERM: add(v, &R_OUT_OF_TERM); break;
    case TC_ERR_NOT_AUTHORISED: add(v, &R_NOT_AUTHORISED); break;
    default: add(v, &R_MALFORMED); break;
    }
}

/* Signature, trust and date; a valid basic-level title is marked scope_unchecked, and its reason
 * is added by the caller once it knows whether a unit was checked. */
static void verify_trust(const struct tc_trust_list *tl, const uint8_t *bytes, size_t len,
                         uint64_t now, struct tc_verdict *v)
{
    memset(v, 0, sizeof *v);
    const char *field = NULL;
    enum tc_err e = tc_cert_decode(bytes, len, &v->cert, &field);
    if (e != TC_OK) {
        invalid(v, e, field);
        return;
    }
    v->decoded = true;
    e = tc_trust_check_cert(tl, &v->cert, &v->endorsement);
    if (e != TC_OK) {
        invalid(v, e, NULL);
        return;
    }
    /* a certificate from the future: the signer's clock, or a signer choosing its own date */
    if (v->cert.claims.issued_at > now + TC_CLOCK_SKEW_SECONDS) {
        v->kind = TC_VERDICT_INVALID;
        add(v, &R_FUTURE);
        return;
    }
    v->kind = TC_VERDICT_VALID;
    v->scope_unchecked = v->cert.claims.track == TC_TRACK_BASIC;
}

/* scope_not_checked, last of the reasons, when the verdict is marked so */
static void note_scope_unchecked(struct tc_verdict *v)
{
    if (v->scope_unchecked)
        add(v, &R_SCOPE_UNCHECKED);
}

void tc_verify_bytes(const struct tc_trust_list *tl, const uint8_t *bytes, size_t len, uint64_t now,
                     struct tc_verdict *v)
{
    verify_trust(tl, bytes, len, now, v);
    note_scope_unchecked(v);
}

/* The payload text or link into buf; false (and v invalid, "payload") when it is neither. */
static bool decode_text(const char *input, size_t len, uint8_t *buf, size_t *n,
                        struct tc_verdict *v)
{
    enum tc_err e = tc_text_decode_any(buf, TC_CERT_MAX_BYTES, n, input, len);
    if (e == TC_OK)
        return true;
    memset(v, 0, sizeof *v);
    invalid(v, e, "payload");
    return false;
}

void tc_verify_text(const struct tc_trust_list *tl, const char *input, size_t len, uint64_t now,
                    uint8_t *buf, struct tc_verdict *v)
{
    size_t n = 0;
    if (decode_text(input, len, buf, &n, v))
        tc_verify_bytes(tl, buf, n, now, v);
}

/* S3/S4 in words, the wording of tc_scope_words */
static json_t *scope_text(const struct tc_claims *c, const struct tc_profile *p)
{
    char zh[256], en[256];
    if (c->track != TC_TRACK_BASIC)
        return json_pack("{s:s,s:s}", "zh", "全省范围有效，适用于任何单位", "en",
                         "valid at any unit in the province");
    tc_scope_words(&c->scope, p ? p->name : NULL, p ? p->name_en : NULL, zh, sizeof zh, en, sizeof en);
    return json_pack("{s:s,s:s}", "zh", zh, "en", en);
}

json_t *tc_verdict_to_json(const struct tc_verdict *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "verdict", json_string(tc_verdict_name(v->kind)));
    json_t *rs = json_array();
    for (size_t i = 0; i < v->n_reasons; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "code", json_string(v->reasons[i].code));
        if (*v->reasons[i].rule)
            json_object_set_new(r, "rule", json_string(v->reasons[i].rule));
        json_object_set_new(r, "zh", json_string(v->reasons[i].zh));
        json_object_set_new(r, "en", json_string(v->reasons[i].en));
        json_array_append_new(rs, r);
    }
    json_object_set_new(o, "reasons", rs);
    if (v->kind == TC_VERDICT_INVALID && v->err != TC_OK) {
        json_t *d = json_object();
        json_object_set_new(d, "error", json_string(tc_errname(v->err)));
        json_object_set_new(d, "message", json_string(tc_strerror(v->err)));
        if (v->err_field)
            json_object_set_new(d, "field", json_string(v->err_field));
        json_object_set_new(o, "detail", d);
    }
    char day[11];
    if (v->kind == TC_VERDICT_REVOKED) {
        tc_day_format(day, v->status_day);
        json_object_set_new(o, "revoked", json_pack("{s:s,s:s}", "reason", v->revoked_reason,
                                                    "since", day));
    }
    if (v->kind == TC_VERDICT_SUPERSEDED) {
        tc_day_format(day, v->status_day);
        json_t *sv = json_pack("{s:s}", "verdict",
                               v->successor_verdict ? v->successor_verdict : "unknown");
        if (v->successor_verdict && strcmp(v->successor_verdict, "unknown") != 0)
            json_object_set_new(sv, "track", json_string("province"));
        if (v->successor_verdict && (strcmp(v->successor_verdict, "revoked") == 0 ||
                                     strcmp(v->successor_verdict, "superseded") == 0)) {
            char since[11];
            tc_day_format(since, v->successor_since);
            json_object_set_new(sv, "since", json_string(since));
        }
        if (v->successor_verdict && strcmp(v->successor_verdict, "revoked") == 0)
            json_object_set_new(sv, "reason", json_string(v->successor_reason));
        if (v->successor_verdict && strcmp(v->successor_verdict, "superseded") == 0)
            json_object_set_new(sv, "successor", json_integer((json_int_t)v->successor_successor));
        json_object_set_new(o, "superseded",
                            json_pack("{s:I,s:s,s:s,s:o}", "successor", (json_int_t)v->successor,
                                      "since", day, "successor_status",
                                      v->successor_status ? v->successor_status : "unknown",
                                      "successor_verdict", sv));
    }
    if (v->unit_checked) {
        tc_day_format(day, v->at);
        json_t *u = json_object();
        json_object_set_new(u, "at", json_string(day));
        json_object_set_new(u, "known", json_boolean(v->unit != NULL));
        if (v->unit_name)
            json_object_set_new(u, "name", json_string(v->unit_name));
        if (v->unit) {
            char div[8];
            snprintf(div, sizeof div, "%06u", v->unit->division);
            json_object_set_new(u, "uscc", json_string(v->unit->uscc));
            json_object_set_new(u, "division", json_string(div));
            json_object_set_new(u, "tier", json_string(tc_tier_name_zh(v->unit->tier)));
        }
        json_object_set_new(o, "unit", u);
    }
    /* what did not verify is not displayed as if genuine: no claims, no issuer name */
    bool genuine = v->decoded && v->kind != TC_VERDICT_INVALID;
    if (genuine)
        json_object_set_new(o, "scope_text", scope_text(&v->cert.claims, v->profile));
    if (genuine)
        json_object_set_new(o, "certificate", tc_claims_to_json(&v->cert.claims));
    if (v->decoded) {
        char kid[TC_KID_BYTES * 2 + 1];
        sodium_bin2hex(kid, sizeof kid, v->cert.kid, TC_KID_BYTES);
        json_t *iss = json_object();
        json_object_set_new(iss, "key_id", json_string(kid));
        if (genuine && v->endorsement) {
            char d1[11], d2[11];
            tc_day_format(d1, v->endorsement->not_before);
            tc_day_format(d2, v->endorsement->not_after);
            json_object_set_new(iss, "name", json_string(v->endorsement->name));
            json_object_set_new(iss, "term_from", json_string(d1));
            json_object_set_new(iss, "term_to", json_string(d2));
        }
        json_object_set_new(o, "issuer", iss);
    }
    if (v->registered) /* A3: 已登记, register entry N of a tree of size n */
        json_object_set_new(o, "register", json_pack("{s:I,s:I}", "entry", (json_int_t)v->reg_entry,
                                                     "tree_size", (json_int_t)v->reg_size));
    return o;
}

/* S1-S4: whether the certificate is valid at unit u; adds the reasons it is not. */
static void check_scope(const struct tc_bundle *b, const struct tc_claims *c,
                        const struct tc_bundle_unit *u, struct tc_verdict *v)
{
    if (c->track == TC_TRACK_PROVINCE)
        return; /* S4: valid at any unit */
    if (!u) {
        add(v, &R_UNIT_UNKNOWN);
        v->kind = TC_VERDICT_NOT_VALID_HERE;
        return;
    }
    unsigned fails = tc_scope_check(&b->profile, &c->scope, u->division, u->tier, u->flag, u->uscc);
    if (fails & TC_SCOPE_NOT_BASIC) /* S1, S2 */
        add(v, &R_NOT_BASIC);
    if (fails & TC_SCOPE_OUTSIDE) /* S3 */
        add(v, &R_OUTSIDE);
    if (fails & TC_SCOPE_TIER)
        add(v, &R_TIER);
    if (fails & TC_SCOPE_NOT_EMPLOYER)
        add(v, &R_NOT_EMPLOYER);
    if (fails)
        v->kind = TC_VERDICT_NOT_VALID_HERE;
}

/* not_registered, saying when this verifier's register was last updated when the certificate
 * claims to be newer than that (a genuine certificate the next publication will list) */
static void not_registered(const struct tc_bundle *b, struct tc_verdict *v)
{
    char when[32];
    time_t t = (time_t)b->issued_at + 8 * 3600; /* Beijing time */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    if (v->cert.claims.issued_at > b->issued_at) {
        snprintf(v->reg_zh, sizeof v->reg_zh, "该证书未在公共登记册中登记。本核验服务的登记册最后更新于"
                 "%s（北京时间），晚于此时签发的证书尚未列入，请稍后再查", when);
        snprintf(v->reg_en, sizeof v->reg_en, "the certificate is not in the public register: the "
                 "register here was last updated at %s (Beijing time), and a certificate issued "
                 "since is not in it yet; check again later", when);
    } else {
        snprintf(v->reg_zh, sizeof v->reg_zh, "该证书未在省级公共登记册中登记（或与登记内容不符），"
                 "不是省人社部门登记发放的证书");
        snprintf(v->reg_en, sizeof v->reg_en, "the certificate is not in the province's public "
                 "register (or differs from what was registered): it was not issued through the "
                 "province");
    }
    struct tc_reason r = {"not_registered", "A3", v->reg_zh, v->reg_en};
    v->kind = TC_VERDICT_INVALID;
    add(v, &r);
}

/* The successor's standing, as far as the bundle knows it on day at, and so its own verdict:
 * the successor of a conversion (C1) or a 转评 (C5) is a province-wide title, valid at any unit
 * while in force (S4), so no claim of it beyond its status is needed. A successor the bundle
 * does not register is "unknown", never valid. */
static void successor_of(const struct tc_bundle *b, const struct tc_bundle_superseded *sp,
                         int32_t at, struct tc_verdict *v)
{
    const struct tc_bundle_revoked *srv = tc_bundle_revoked(b, sp->successor);
    const struct tc_bundle_superseded *ssp = tc_bundle_superseded(b, sp->successor);
    v->successor_status = srv && at >= srv->day   ? "revoked"
                          : ssp && at >= ssp->day ? "superseded"
                                                  : "in_force";
    if (!tc_bundle_registered(b, sp->successor)) {
        v->successor_verdict = "unknown";
    } else if (srv && at >= srv->day) {
        v->successor_verdict = "revoked";
        v->successor_since = srv->day;
        memcpy(v->successor_reason, srv->reason, sizeof v->successor_reason);
        v->successor_reason[sizeof v->successor_reason - 1] = '\0';
    } else if (ssp && at >= ssp->day) {
        v->successor_verdict = "superseded";
        v->successor_since = ssp->day;
        v->successor_successor = ssp->successor;
    } else {
        v->successor_verdict = "valid";
    }
}

void tc_verify_with_bundle(const struct tc_bundle *b, const uint8_t *bytes, size_t len,
                           const struct tc_verify_opts *o, struct tc_verdict *v)
{
    verify_trust(b->tl, bytes, len, o->now, v);
    v->at = o->at;
    v->province_name = b->profile.name;
    v->profile = &b->profile;
    /* a basic-level title's scope stays unchecked only where the verdict stays valid without a
     * unit; the reason is added at that point, after the others */
    bool basic = v->scope_unchecked;
    v->scope_unchecked = false;
    if (o->max_age && o->now > b->issued_at + o->max_age)
        add(v, &R_STALE);
    if (v->kind == TC_VERDICT_INVALID)
        return;
    const struct tc_claims *c = &v->cert.claims;
    /* A3: valid only if the province registered it, under its id, with these very bytes. A key
     * that was stolen, or used after its term with an issued_at written before it, can sign,
     * but cannot register: the register records when each issuance was logged. */
    const struct tc_bundle_registered *reg = tc_bundle_registered(b, c->id);
    uint8_t h[32];
    crypto_hash_sha256(h, bytes, len);
    if (!reg || memcmp(reg->hash, h, TC_BUNDLE_INDEX_HASH) != 0) {
        not_registered(b, v);
        return;
    }
    v->registered = true;
    v->reg_entry = reg->leaf;
    v->reg_size = b->checkpoint.size;
    /* the dated facts, at the day asked: revocation (A2) and supersession (C1) from their days
     * on; before the day obtained the title did not exist yet */
    const struct tc_bundle_revoked *rv = tc_bundle_revoked(b, c->id);
    if (rv && o->at >= rv->day) { /* A2 */
        v->kind = TC_VERDICT_REVOKED;
        v->status_day = rv->day;
        memcpy(v->revoked_reason, rv->reason, sizeof v->revoked_reason);
        add(v, &R_REVOKED);
        return;
    }
    const struct tc_bundle_superseded *sp = tc_bundle_superseded(b, c->id);
    if (sp && o->at >= sp->day) { /* C1 */
        v->kind = TC_VERDICT_SUPERSEDED;
        v->successor = sp->successor;
        v->status_day = sp->day;
        successor_of(b, sp, o->at, v);
        add(v, &R_SUPERSEDED);
        return;
    }
    if (rv)
        add(v, &R_REVOKED_LATER);
    else if (sp)
        add(v, &R_SUPERSEDED_LATER);
    if (o->at < c->obtained_day) {
        v->kind = TC_VERDICT_NOT_VALID_HERE;
        add(v, &R_NOT_YET);
        return;
    }
    if (!o->unit) {
        v->scope_unchecked = basic;
        note_scope_unchecked(v);
        return;
    }
    v->unit_checked = true;
    v->unit = tc_bundle_unit_at(b, o->unit, o->at);
    const struct tc_bundle_unit *named = v->unit ? v->unit : tc_bundle_unit_latest(b, o->unit);
    v->unit_name = named ? b->names + named->name_off : NULL;
    check_scope(b, c, v->unit, v);
}

void tc_verify_text_with_bundle(const struct tc_bundle *b, const char *input, size_t len,
                                uint8_t *buf, const struct tc_verify_opts *o, struct tc_verdict *v)
{
    size_t n = 0;
    if (decode_text(input, len, buf, &n, v))
        tc_verify_with_bundle(b, buf, n, o, v);
    else
        v->at = o->at;
}
