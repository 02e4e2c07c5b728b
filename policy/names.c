/*
 * names.c - the rules' vocabulary in words, for display: levels (T1), tracks (T2), how obtained
 * (T3) and tiers (S3).
 */
#include "policy.h"

const char *tc_level_name_zh(uint8_t level)
{
    static const char *n[] = {"?", "正高级", "副高级", "中级", "助理级", "员级"};
    return level >= 1 && level <= 5 ? n[level] : n[0];
}

const char *tc_track_name_zh(uint8_t track)
{
    return track == TC_TRACK_BASIC ? "基层职称" : track == TC_TRACK_PROVINCE ? "全省统一职称" : "?";
}

const char *tc_track_name_en(uint8_t track)
{
    return track == TC_TRACK_BASIC      ? "basic-level"
           : track == TC_TRACK_PROVINCE ? "province-wide"
                                        : "?";
}

const char *tc_method_name_zh(uint8_t method)
{
    static const char *n[] = {"?", "评审", "考核认定", "以考代评/考评结合", "破格", "直接认定", "换发", "转评"};
    return method >= 1 && method <= TC_METHOD_REEVALUATION ? n[method] : n[0];
}

const char *tc_tier_name_zh(uint8_t tier)
{
    static const char *n[] = {"?", "省级", "市级", "县级", "乡镇", "基层"};
    return tier >= 1 && tier <= TC_TIER_BASIC ? n[tier] : n[0];
}

const char *tc_level_name_en(uint8_t level)
{
    static const char *n[] = {"?", "full senior", "associate senior", "intermediate", "assistant",
                              "technician"};
    return level >= 1 && level <= 5 ? n[level] : n[0];
}

const char *tc_method_name_en(uint8_t method)
{
    static const char *n[] = {"?", "committee review", "assessment", "examination",
                              "exceptional promotion", "direct recognition",
                              "exchange (conversion)", "re-evaluation"};
    return method >= 1 && method <= TC_METHOD_REEVALUATION ? n[method] : n[0];
}
