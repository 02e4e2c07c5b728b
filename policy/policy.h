/*
 * policy.h - the rules as data and the one small module that applies them, shared by the issuer
 * and the verifier (RULES.md): the vocabulary of titles (levels, tracks, how obtained: T1-T3),
 * where a title is valid (tiers and scopes: S1-S4), the series x level -> title table (T1), and
 * the province profiles (what a basic-level unit is, default scopes, conversion years and hours,
 * key terms, maximum status age, C5 and C6). Where provinces differ, the difference is a profile,
 * not code.
 */
#ifndef TC_POLICY_H
#define TC_POLICY_H

#include "base.h"

/* ------------------------------------------------------------------------------------------ */
/* Vocabulary                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* T1: levels, numbered as in data/title_levels.csv. */
enum tc_level {
    TC_LEVEL_ZHENGGAO = 1, /* 正高级 */
    TC_LEVEL_FUGAO = 2,    /* 副高级 */
    TC_LEVEL_ZHONGJI = 3,  /* 中级 */
    TC_LEVEL_ZHULI = 4,    /* 助理级 */
    TC_LEVEL_YUAN = 5,     /* 员级 */
};

/* T2: the two tracks. */
enum tc_track {
    TC_TRACK_BASIC = 1,    /* 基层职称: valid only at basic-level units (S1) */
    TC_TRACK_PROVINCE = 2, /* 全省统一职称: valid at any unit (S4) */
};

/* T3: how the title was obtained. */
enum tc_method {
    TC_METHOD_REVIEW = 1,      /* 评审 */
    TC_METHOD_ASSESSMENT = 2,  /* 考核认定 */
    TC_METHOD_EXAM = 3,        /* 以考代评 / 考评结合 */
    TC_METHOD_EXCEPTIONAL = 4, /* 破格 */
    TC_METHOD_DIRECT = 5,      /* 直接认定 */
    TC_METHOD_CONVERSION = 6,  /* 换发: basic-level title exchanged under C1 */
    TC_METHOD_REEVALUATION = 7,/* 转评: re-evaluated to the same-level general title on leaving
                                  basic level (C5, CQ §4(十二)); names its predecessor as 换发 does */
};

/* S3: administrative tiers. A scope's tier is the highest tier at which the certificate is
 * valid: TC_TIER_COUNTY admits county and township units, TC_TIER_TOWNSHIP township units only.
 * TC_TIER_BASIC, in a scope only, admits exactly the units the province's profile calls
 * basic-level (GS §3(二) 全省基层范围有效: county level and below, and the 临夏/甘南 prefecture
 * units), whatever their tier. */
enum tc_tier {
    TC_TIER_PROVINCE = 1,
    TC_TIER_PREFECTURE = 2,
    TC_TIER_COUNTY = 3,
    TC_TIER_TOWNSHIP = 4,
    TC_TIER_BASIC = 5,
};

/* S3: where a basic-level certificate is valid. Present on basic-level certificates only.
 * region is a GB/T 2260 division code prefix written with its significant digits only:
 * 62 (甘肃省), 6229 (临夏州), 620102 (城关区). */
struct tc_scope {
    uint32_t region;
    uint8_t tier;               /* enum tc_tier */
    bool has_unit;              /* JL §2.6: one employing unit only */
    char unit[TC_USCC_LEN + 1]; /* that unit's USCC when has_unit */
};

/* C1 conversion-path requirement flags (struct tc_conversion.flags). */
#define TC_CONV_NEEDS_ASSESSMENTS 0x01u /* annual assessments passed (考核合格) */
#define TC_CONV_NEEDS_COMMITTEE 0x02u   /* review by the province's unified committee */
#define TC_CONV_FLAGS_ALL 0x03u

/* ------------------------------------------------------------------------------------------ */
/* T1: series x level -> title (data/title_levels.csv, compiled in)                            */
/* ------------------------------------------------------------------------------------------ */
struct tc_title {
    uint16_t series;       /* stable numeric series id (data/series_ids.csv) */
    const char *series_code;  /* e.g. "WS-YL" */
    const char *series_name;  /* e.g. "卫生(医疗)" */
    uint8_t level;
    uint8_t variant;
    const char *level_name;   /* e.g. "副高级" */
    const char *title;        /* e.g. "副主任医师" */
    const char *series_en;    /* e.g. "Health (medicine)" (data/titles_en.csv, a translation) */
    const char *title_en;     /* e.g. "Associate Chief Physician" */
};
/* The title for (series, level, variant), or NULL when the table has none. */
const struct tc_title *tc_title_lookup(uint16_t series, uint8_t level, uint8_t variant);
/* The series id for a series code ("WS-YL"), or 0 when unknown. */
uint16_t tc_series_id(const char *series_code);
/* The whole table, for listings and the status bundle. */
const struct tc_title *tc_title_table(size_t *count);

/* Names for display. */
const char *tc_level_name_zh(uint8_t level);
const char *tc_track_name_zh(uint8_t track);
const char *tc_track_name_en(uint8_t track);
const char *tc_method_name_zh(uint8_t method);
const char *tc_level_name_en(uint8_t level);
const char *tc_method_name_en(uint8_t method);
const char *tc_tier_name_zh(uint8_t tier);

/* ------------------------------------------------------------------------------------------ */
/* Province policy profiles (data/profiles/XX.json): S2, S3, C1, C2, D2, A1 as data            */
/* ------------------------------------------------------------------------------------------ */
#define TC_PROFILE_MAX_BYTES (64u << 10)
#define TC_PROFILE_MAX_REGIONS 64
#define TC_PROFILE_MAX_ALSO 8

struct tc_profile_extra {
    uint32_t region; /* region prefix */
    uint8_t max_tier;
};

struct tc_profile {
    char code[8];             /* "GS" */
    int version;
    uint32_t province;        /* 2-digit region prefix, e.g. 62 */
    char name[64];
    char name_en[64];         /* English name ("Gansu Province"); optional, default the code */
    char operator_zh[96];     /* who runs verification: the provincial HR department (optional) */
    char operator_en[160];
    /* how the public reaches the operator about verification: phone, address or web page of the
     * provincial HR department (optional; shown on the verification page and the 公示) */
    char contact_zh[160];
    char contact_en[200];
    char certificate_title[96]; /* A4: the e-certificate's title, "" for 专业技术职务任职资格电子证书 */
    char certificate_font[96];  /* its font family list (fontconfig names), "" for Noto Serif CJK SC */
    bool directory_rule;      /* S2: only units flagged in the directory are basic-level (SD) */
    uint8_t max_tier;         /* S2 tier rule: units at this tier and below ... */
    uint32_t regions[TC_PROFILE_MAX_REGIONS]; /* ... inside these region prefixes */
    size_t nregions;
    struct tc_profile_extra also[TC_PROFILE_MAX_ALSO]; /* plus these (GS: 甘南, 临夏 prefecture units) */
    size_t nalso;
    uint8_t default_tier;     /* S3: default scope of a basic-level certificate */
    bool default_region_county; /* default scope region: the employer's county, else the province */
    uint16_t conv_months;     /* C1: cumulative months at basic-level units */
    uint16_t ce_hours;        /* C2: continuing-education hours per year */
    uint8_t conv_flags;       /* C1: TC_CONV_* requirements */
    int exclusivity_years;    /* D2 */
    int max_key_term_years;   /* A1 */
    uint32_t status_max_age;  /* seconds a status bundle stays fresh (status_max_age_days, default 7) */
    bool basic_title_achievement; /* C5: a basic-level title counts as one quantified achievement
                                     of a province-wide application (GS §3(二)) */
    int commitment_years;     /* C6: years a holder who obtained a basic-level title at a township
                                 unit must serve there (SD §5(二): 5); 0 when the province has none */
    int gongshi_working_days; /* A3: how long results are publicised (公示), working days; 5 */
};

/* Parses and validates a profile; on failure *why names the member at fault. */
enum tc_err tc_profile_parse(struct tc_profile *p, const char *json, size_t len, const char **why);

/* S2: whether a unit is basic-level under the profile. code6 is the unit's county-level (or
 * prefecture/province) GB/T 2260 code, tier its tier, flag the directory's explicit basic-level
 * flag (-1 when the directory says nothing). The directory flag, when given, decides. */
bool tc_profile_unit_basic(const struct tc_profile *p, uint32_t code6, uint8_t tier, int flag);

/* S1-S3: whether a basic-level scope admits a unit (division code, tier, directory flag, USCC)
 * under the profile. Returns 0 when it does, else the TC_SCOPE_* conditions it fails. The issuer
 * (for the employer, on the day obtained) and the verifier (for the unit asked about) both ask
 * this one function. */
#define TC_SCOPE_NOT_BASIC 0x01u    /* S1/S2: not a basic-level unit under the profile */
#define TC_SCOPE_OUTSIDE 0x02u      /* S3: outside the scope's region */
#define TC_SCOPE_TIER 0x04u         /* S3: above the scope's tier */
#define TC_SCOPE_NOT_EMPLOYER 0x08u /* S3: a single-unit scope, another unit */
unsigned tc_scope_check(const struct tc_profile *p, const struct tc_scope *s, uint32_t division,
                        uint8_t tier, int flag, const char *uscc);

/* S3 in words, one wording everywhere (page, verifier JSON, issuer show, PDF): zh
 * "限甘肃省基层单位使用", "限甘肃省行政区划6229县级及以下基层单位使用", en "basic-level units of Gansu
 * only", ... province_zh/en name the province (NULL: the region code is used). */
void tc_scope_words(const struct tc_scope *s, const char *province_zh, const char *province_en,
                    char *zh, size_t zh_size, char *en, size_t en_size);

/* ------------------------------------------------------------------------------------------ */
/* The working-day calendar (data/calendar/<year>.json): how long a 公示 lasts                  */
/* ------------------------------------------------------------------------------------------ */
/*
 * A 公示 lasts the profile's gongshi_working_days *working days* (ISSUANCE.md). Which days those
 * are is decided every year by the State Council's notice on public holiday arrangements
 * (《国务院办公厅关于YYYY年部分节假日安排的通知》), so it is data: one file per year, each naming its
 * notice. This module reads the files strictly and answers from the years it holds, and only
 * from them.
 *
 * Working day. A day is a working day when it is a listed 调休 workday, or a Monday to Friday
 * outside every listed holiday. Every other day is a rest day.
 *
 * Known days. A day is known when the calendar holds the file of its year. Nothing about an
 * unknown day is guessed: every call that needs one returns TC_ERR_RANGE and writes its year to
 * *missing_year (when missing_year is not NULL), so the caller can say "the working-day calendar
 * has no year 2027". On success *missing_year is 0.
 *
 * The period rule. A 公示 starts on the day it is published. That day is the period's first day
 * when it is a working day; otherwise the first day is the next working day. The last day is the
 * n-th working day counting the first as the 1st. So the period [first, last] holds exactly n
 * working days, starts and ends on one, and the working days from the publication day to the last
 * day are n. Only the days from the publication day to the last day need to be known.
 *
 * A calendar is not shared between threads while it is changed; read-only calls may run
 * concurrently.
 */
#define TC_CALENDAR_MAX_BYTES (16u << 10) /* a year file */
#define TC_CALENDAR_MIN_YEAR 2000
#define TC_CALENDAR_MAX_YEAR 2199
#define TC_CALENDAR_MAX_HOLIDAYS 16      /* holiday ranges in a year (7 since 2014) */
#define TC_CALENDAR_MAX_WORKDAYS 16      /* 调休 workdays in a year */
#define TC_CALENDAR_MAX_RANGE 10         /* days in one holiday range (春节 2020, extended: 10) */
#define TC_CALENDAR_MAX_PERIOD 366       /* working days one period may last */
#define TC_CALENDAR_NAME_MAX 48          /* bytes of a holiday's name with its NUL */
#define TC_CALENDAR_TEXT_MAX 512         /* bytes of the notice's words for one holiday, with NUL */
#define TC_CALENDAR_WHY_MAX 192          /* a reason written by the parsers fits in this */

struct tc_calendar_holiday {
    char name[TC_CALENDAR_NAME_MAX]; /* "春节", "国庆节、中秋节" */
    int32_t from, to;                /* day indexes (tc_day_index), both inclusive */
    char text[TC_CALENDAR_TEXT_MAX]; /* the notice's item in its own words; "" when not given */
};

struct tc_calendar_workday {
    int32_t day;     /* a Saturday or Sunday that is a working day */
    uint8_t holiday; /* index in holidays[] of the holiday it makes up for */
};

/* One year file, parsed and checked. */
struct tc_calendar_year {
    int year;
    char title[192];   /* the notice's title, "国务院办公厅关于2026年部分节假日安排的通知" */
    char number[64];   /* its 文号, "国办发明电〔2025〕7号" */
    int32_t published; /* the day it was published */
    char url[256];     /* its official text, https://www.gov.cn/... */
    struct tc_calendar_holiday holidays[TC_CALENDAR_MAX_HOLIDAYS]; /* in date order */
    size_t nholidays;
    struct tc_calendar_workday workdays[TC_CALENDAR_MAX_WORKDAYS]; /* in date order */
    size_t nworkdays;
};

/* Parses one year file (data/calendar/README.md has the format) from a buffer of len bytes (no
 * NUL needed). Strict: duplicate or unknown members, trailing bytes, more than
 * TC_CALENDAR_MAX_BYTES, a day that is not a real YYYY-MM-DD date or lies outside the year,
 * holidays out of order or overlapping or longer than TC_CALENDAR_MAX_RANGE days, a workday that
 * is not a Saturday or Sunday, falls in a holiday or names no holiday of the file, and unsafe
 * text are refused. On failure why (why_size bytes, TC_CALENDAR_WHY_MAX is enough) names the
 * member at fault and the reason, e.g. "workdays[1].day: 2026-02-17 is not a Saturday or Sunday";
 * it never repeats text from the input other than a valid date. Errors: TC_ERR_SIZE_LIMIT,
 * TC_ERR_TYPE (not JSON, or a member of the wrong type), TC_ERR_DUP_KEY, TC_ERR_TRAILING,
 * TC_ERR_UNKNOWN_KEY, TC_ERR_MISSING_KEY, TC_ERR_CODE (not a date), TC_ERR_RANGE (outside the
 * year, a range too long, too many entries), TC_ERR_INCONSISTENT (order, overlap, weekday,
 * title without the year), TC_ERR_TEXT. */
enum tc_err tc_calendar_year_parse(struct tc_calendar_year *y, const char *json, size_t len,
                                   char *why, size_t why_size);

/* A calendar: the years it holds, none at first. Owned by the caller: tc_calendar_free. */
struct tc_calendar;
enum tc_err tc_calendar_new(struct tc_calendar **cal); /* TC_ERR_NOMEM */
void tc_calendar_free(struct tc_calendar *cal);        /* NULL is allowed */

/* What tc_calendar_add and the loaders do with a year the calendar already holds: without either
 * flag they refuse with TC_ERR_EXISTS and change nothing. */
#define TC_CALENDAR_REPLACE 1u /* the new file replaces the one held (a corrected notice) */
#define TC_CALENDAR_KEEP 2u    /* the one held stays, the new file is skipped (REPLACE wins) */

/* Adds a copy of a parsed year. TC_ERR_EXISTS (see the flags), TC_ERR_NOMEM, TC_ERR_ARG (a year
 * that tc_calendar_year_parse would refuse: only parsed years belong here). */
enum tc_err tc_calendar_add(struct tc_calendar *cal, const struct tc_calendar_year *y,
                            unsigned flags);
/* tc_calendar_year_parse, then tc_calendar_add: what an administrator loading a new year's file
 * does. *year (may be NULL) receives the file's year once it is parsed. */
enum tc_err tc_calendar_load(struct tc_calendar *cal, const char *json, size_t len,
                             unsigned flags, int *year, char *why, size_t why_size);
/* Loads every file named <year>.json (four digits) in dir; other names are ignored. A file whose
 * year member differs from its name is refused (TC_ERR_INCONSISTENT). All or nothing: on any
 * failure the calendar is as it was and why starts with the file's name ("2026.json: ...").
 * TC_ERR_NOT_FOUND when dir does not exist, TC_ERR_IO, and the errors above. */
enum tc_err tc_calendar_load_dir(struct tc_calendar *cal, const char *dir, unsigned flags,
                                 char *why, size_t why_size);
/* The directory of the shipped year files: $TITLECERT_CALENDAR when set and not empty (a program
 * run from the build tree is pointed at data/calendar by it), else TITLECERT_DATADIR/calendar. */
const char *tc_calendar_dir(void);

/* The year held for `year`, or NULL. Valid until that year is replaced or the calendar freed. */
const struct tc_calendar_year *tc_calendar_get(const struct tc_calendar *cal, int year);
/* Writes up to max held years in increasing order; returns how many the calendar holds. */
size_t tc_calendar_years(const struct tc_calendar *cal, int *years, size_t max);

/* Whether a known day is a working day. TC_ERR_RANGE when its year is not held. */
enum tc_err tc_calendar_working(const struct tc_calendar *cal, int32_t day, bool *working,
                                int *missing_year);
/* The period of a 公示 published on `published` that lasts n working days (1 to
 * TC_CALENDAR_MAX_PERIOD, else TC_ERR_ARG): its first and last day, by the rule above.
 * TC_ERR_RANGE (with the year) when a day up to the last is not known. */
enum tc_err tc_calendar_period(const struct tc_calendar *cal, int32_t published, unsigned n,
                               int32_t *first, int32_t *last, int *missing_year);
/* The working days from `from` to `to`, both included; 0 when from > to. TC_ERR_RANGE when a
 * day between them is not known. */
enum tc_err tc_calendar_count(const struct tc_calendar *cal, int32_t from, int32_t to,
                              unsigned *count, int *missing_year);
/* The working days of the period [first, last] that remain on `today`, today included: all n
 * before the period, 0 after its last day. Only days from max(today, first) to last need to be
 * known. */
enum tc_err tc_calendar_left(const struct tc_calendar *cal, int32_t first, int32_t last,
                             int32_t today, unsigned *left, int *missing_year);

#endif
