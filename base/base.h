/*
 * base.h - what every titlecert module shares and nothing else: the project's error enum and its
 * messages, the identifiers of the documents (GB 32100 unit codes, GB 11643 resident ID numbers,
 * GB/T 2260 region codes), text safety, the calendar (Beijing days and months), and the
 * command-line conventions of the programs (subcommand dispatch, "program: what: why" errors,
 * exit statuses). No module of the project is below it.
 */
#ifndef TC_BASE_H
#define TC_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors. One enum for the whole project, numbered in ranges:                                 */
/*   1xx usage, 2xx malformed input, 3xx cryptographic / trust, 4xx storage and I/O,           */
/*   5xx system, 6xx rule refusals (issuer), 7xx verification outcomes.                        */
/* ------------------------------------------------------------------------------------------ */
enum tc_err {
    TC_OK = 0,

    TC_ERR_ARG = 100,         /* a caller passed an impossible argument */
    TC_ERR_BUFFER = 101,      /* the output buffer is too small */

    TC_ERR_SIZE_LIMIT = 200,  /* input larger than the named limit for its kind */
    TC_ERR_PREFIX = 201,      /* text lacks the "TC1:" prefix or names another version */
    TC_ERR_DIGITS = 202,      /* the decimal body is not a valid encoding of bytes */
    TC_ERR_CBOR = 203,        /* not well-formed CBOR */
    TC_ERR_TRAILING = 204,    /* bytes left after the top-level item */
    TC_ERR_TYPE = 205,        /* an item has the wrong CBOR type */
    TC_ERR_DUP_KEY = 206,     /* a map key appears twice */
    TC_ERR_UNKNOWN_KEY = 207, /* a map key this version does not define */
    TC_ERR_MISSING_KEY = 208, /* a required key is absent */
    TC_ERR_NONCANONICAL = 209,/* well-formed, but not the deterministic encoding */
    TC_ERR_RANGE = 210,       /* a value is outside its allowed range */
    TC_ERR_TEXT = 211,        /* text is not valid UTF-8, or holds control/bidi characters */
    TC_ERR_TAG = 212,         /* missing or unexpected CBOR tag */
    TC_ERR_HEADER = 213,      /* COSE headers are not the ones this profile allows */
    TC_ERR_ALG = 214,         /* COSE algorithm other than EdDSA */
    TC_ERR_INCONSISTENT = 215,/* fields contradict each other (e.g. a scope on a province-wide title) */
    TC_ERR_CODE = 216,        /* a USCC, ID number, division code or date is not valid */
    TC_ERR_LINK = 217,        /* a link that does not carry a payload in its fragment */

    TC_ERR_BAD_SIGNATURE = 300,  /* the signature does not verify */
    TC_ERR_UNKNOWN_KEY_ID = 301, /* no trusted key has this key id */
    TC_ERR_KEY_REVOKED = 302,    /* the signing key is revoked (A2) */
    TC_ERR_KEY_OUT_OF_TERM = 303,/* outside the key's endorsed validity window (A1) */
    TC_ERR_NOT_AUTHORISED = 304, /* outside the key's authorised scope (A1) */
    TC_ERR_PASSPHRASE = 305,     /* wrong passphrase, or the key file was altered */
    TC_ERR_ENDORSEMENT = 306,    /* an endorsement is invalid (term over 3 years, bad signer...) */
    TC_ERR_TRUST_LIST = 307,     /* a trust list is older than the one held, or inconsistent */
    TC_ERR_ROLLBACK = 308,       /* a bundle is not newer than the one in use, or older than (or its
                                  * register not consistent with) what was accepted before */
    TC_ERR_FUTURE = 309,         /* signed data dated further ahead of this clock than the skew
                                  * allowed (TC_CLOCK_SKEW_SECONDS) */

    TC_ERR_IO = 400,          /* read/write failed; errno is preserved */
    TC_ERR_PERMS = 401,       /* a secret-key file is readable by group or others */
    TC_ERR_EXISTS = 402,      /* refusing to overwrite an existing file */
    TC_ERR_KEYFILE = 403,     /* not a titlecert secret-key file, or truncated */
    TC_ERR_NOT_FOUND = 404,   /* a named file or record does not exist */

    TC_ERR_REFUSED = 600,     /* a rule refused the request (the refusal names the rule) */
    TC_ERR_STORE = 601,       /* the store failed (SQLite's message is on the handle) */
    TC_ERR_SCHEMA = 602,      /* the store's schema is newer than this program */
    TC_ERR_SCHEMA_OLD = 603,  /* the store's schema is older: titlecert-issuer migrate upgrades it */

    TC_ERR_NOMEM = 500,
    TC_ERR_CRYPTO_INIT = 501, /* sodium_init failed */
    TC_ERR_QR = 502,          /* the QR encoder failed (data too large for any version) */
    TC_ERR_INTERNAL = 503,
    TC_ERR_TIMEOUT = 504,     /* work passed its time limit (an image that takes too long) */
    TC_ERR_BUSY = 505,        /* a bounded pool or budget is full: try again later */
};

/* A stable English sentence for an error code; never NULL. */
const char *tc_strerror(enum tc_err err);
/* The symbolic name, e.g. "TC_ERR_BAD_SIGNATURE"; never NULL. */
const char *tc_errname(enum tc_err err);

/* ------------------------------------------------------------------------------------------ */
/* Lengths of the identifiers                                                                  */
/* ------------------------------------------------------------------------------------------ */
#define TC_USCC_LEN 18
#define TC_IDNO_LEN 18
#define TC_ID_MASK_LEN 4          /* last 4 characters of the resident ID number */

/* ------------------------------------------------------------------------------------------ */
/* Codes, text and calendar helpers                                                            */
/* ------------------------------------------------------------------------------------------ */

/* GB 32100-2015: 18 characters from 0-9A-HJ-NP-RTUWXY with a mod-31 check character. */
bool tc_uscc_valid(const char *uscc);
/* Only the alphabet and length, not the check character (early pilot codes fail the check). */
bool tc_uscc_well_formed(const char *uscc);
/* GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character, with a real birth date. */
bool tc_idno_valid(const char *idno);
/* Writes the mask (the last 4 characters) of a valid ID number. */
enum tc_err tc_idno_mask(char mask[TC_ID_MASK_LEN + 1], const char *idno);
/* Renders a mask for display: "**************002X". out needs 19 bytes. */
void tc_idno_mask_display(char out[TC_IDNO_LEN + 1], const char *mask);

/* Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF) without C0/C1 controls,
 * DEL, bidirectional overrides/isolates, or the BOM. */
bool tc_text_safe(const uint8_t *s, size_t len);
/* Room for at least `need` elements of `size` bytes in *v (capacity *cap, doubled from 16 as
 * needed; *v realloc'd): TC_ERR_NOMEM when it cannot be had, *v and *cap then unchanged. */
enum tc_err tc_reserve(void **v, size_t *cap, size_t need, size_t size);
/* Appends one element of `size` bytes to *v (*n elements, capacity *cap, grown by tc_reserve) and
 * returns it, counted in *n but not cleared; NULL when out of memory, nothing then changed. */
void *tc_push(void **v, size_t *n, size_t *cap, size_t size);
/* An element of v (n elements of `size` bytes, sorted by a leading uint64_t id) whose id is `id`,
 * NULL when none is: where several have it, the one the halving meets first, as bsearch(3). */
const void *tc_find_id(const void *v, size_t n, size_t size, uint64_t id);
/* Splits a configuration line into words separated by spaces or tabs: the first `most` into
 * w[i * size] (a word too long for its size as ""), their count in *n. False for a word that is
 * not tc_text_safe. */
bool tc_text_words(const char *s, size_t len, char *w, size_t most, size_t size, size_t *n);
/* A configuration line "KEYWORD WORD..." of min to max words, split by tc_text_words into w (max
 * words of size bytes), their count in *n; *n is 0 for a blank or comment ("#...") line, which
 * the caller skips. TC_ERR_TEXT as tc_text_words refuses; TC_ERR_TYPE for another keyword or
 * another count of words. */
enum tc_err tc_text_directive(const char *s, size_t len, const char *keyword, size_t min,
                              size_t max, char *w, size_t size, size_t *n);
/* Calls fn with each line of a configuration text (without its newline; a last line need not
 * have one), counting them in *line, until fn returns other than TC_OK: that error, *line the
 * line's number. A line holding a NUL is TC_ERR_TEXT (it would end the words early and hide
 * what follows it). */
enum tc_err tc_text_lines(const char *text, size_t len,
                          enum tc_err (*fn)(void *ctx, const char *s, size_t len), void *ctx,
                          size_t *line);
/* The next line of [*p, end) without its newline, in *s and *n, *p moved past it; false (nothing
 * moved) when no newline is left: a record format whose every line ends in one. */
bool tc_line_next(const char **p, const char *end, const char **s, size_t *n);
/* s, a whole decimal number, into *v: digits only (leading zeros allowed), 0 to UINT64_MAX.
 * False, *v untouched, for an empty string, a sign, a space, any other character, or a value past
 * UINT64_MAX: what strtoull(3) would take as 0, skip, negate or clamp. */
bool tc_parse_u64(const char *s, uint64_t *v);
/* Decodes all of s[0..n), standard padded base64 (RFC 4648 section 4), into out (room for cap
 * bytes), the count in *len. False for a byte outside base64's alphabet (libsodium's decoder
 * alone reads some bytes above 0x7f as digits), bad padding, or more than cap bytes. */
bool tc_base64_decode(uint8_t *out, size_t cap, const char *s, size_t n, size_t *len);
/* tc_text_safe and no Unicode default-ignorable code point (zero-width spaces and joiners, soft
 * hyphen, variation selectors, tags ...): what holder names and specialties must be, so that two
 * names that look the same are the same bytes. */
bool tc_text_visible(const uint8_t *s, size_t len);

/* A region prefix (2, 4 or 6 significant digits of a GB/T 2260 code) is well formed. */
bool tc_region_valid(uint32_t region);
/* "62", "6229", "620102" -> 62, 6229, 620102; 0 when not a valid region prefix. */
uint32_t tc_region_parse(const char *s);
/* The 6-digit code of a region prefix (62 -> 620000) and its number of significant digits. */
uint32_t tc_region_code6(uint32_t region);
/* Whether a 6-digit division code lies inside a region prefix. */
bool tc_region_contains(uint32_t region, uint32_t code6);

/* Days since 1970-01-01 for a valid proleptic Gregorian date; false when the date is invalid. */
bool tc_day_index(int32_t *day, int year, int month, int mday);
void tc_day_split(int32_t day, int *year, int *month, int *mday);
/* "YYYY-MM-DD" (exactly) -> day index. */
bool tc_day_parse(int32_t *day, const char *s);
/* day index -> "YYYY-MM-DD"; out needs 11 bytes. */
void tc_day_format(char out[11], int32_t day);
/* The same calendar date `years` years on (29 February -> 1 March when the year has none). */
int32_t tc_day_add_years(int32_t day, int years);
/* The calendar day, in Beijing time (UTC+8), of a Unix time: certificates, terms and revocations
 * are dated the way the documents behind them are. */
int32_t tc_beijing_day(uint64_t unix_time);
/* How far what a machine signed may be dated ahead of a reader's clock before it is refused: a
 * certificate (issued_in_future) or a status bundle or delta (TC_ERR_FUTURE). Clocks of signing
 * machines and verifiers drift by seconds to minutes, never by ten. */
#define TC_CLOCK_SKEW_SECONDS 600u
/* Month index year*12 + month - 1; "YYYY-MM" parse and format (out needs 8 bytes). */
int32_t tc_month_index(int year, int month);
bool tc_month_parse(int32_t *month, const char *s);
void tc_month_format(char out[8], int32_t month);

/* ------------------------------------------------------------------------------------------ */
/* Files (file.c): every file titlecert writes goes through here                               */
/* ------------------------------------------------------------------------------------------ */
#define TC_FILE_REPLACE 1u /* replace an existing file; without it TC_ERR_EXISTS, never overwritten */
#define TC_FILE_NOSYNC 2u  /* no fsync of file or directory: only for files that can be made again
                            * from the store; the rename still keeps them whole */
#define TC_PATH_MAX 4096

/* A file being written: a temporary "<path>.tmp.XXXXXX" beside it, renamed into place by
 * tc_file_commit. */
struct tc_file {
    int fd;
    unsigned flags;
    char path[TC_PATH_MAX];
    char tmp[TC_PATH_MAX + 16];
};
/* Creates the temporary file with mode (set with fchmod: the umask cannot widen it). */
enum tc_err tc_file_begin(struct tc_file *f, const char *path, unsigned mode, unsigned flags);
/* Writes all of buf (EINTR retried); TC_ERR_IO with errno on failure (the caller aborts). */
enum tc_err tc_file_put(struct tc_file *f, const void *buf, size_t len);
/* fsync, close, rename (TC_FILE_REPLACE) or link (the name must still be free), fsync of the
 * directory. On failure the temporary file is removed and the target is as it was. */
enum tc_err tc_file_commit(struct tc_file *f);
/* Removes the temporary file; the target is untouched. errno is kept. */
void tc_file_abort(struct tc_file *f);
/* The three above in one call. */
enum tc_err tc_file_write(const char *path, const void *buf, size_t len, unsigned mode,
                          unsigned flags);
/* fsync of a directory (after renames made with TC_FILE_NOSYNC). */
enum tc_err tc_file_sync_dir(const char *dir);
/* The directory part of path into out: "." when it has none, "/" for a file in the root. */
void tc_path_dir(const char *path, char *out, size_t size);
/* syncfs(2) of the file system holding dir: one sync for a batch of TC_FILE_NOSYNC files. */
enum tc_err tc_file_sync_fs(const char *dir);
/* Reads fd into buf until its end or until cap bytes are read (EINTR retried), the count in
 * *got: *got == cap when the end may not have been reached. TC_ERR_IO with errno on failure. */
enum tc_err tc_fd_read(int fd, void *buf, size_t cap, size_t *got);
/* Reads a whole regular file of at most max bytes into a malloc'd buffer, with a NUL after the
 * last byte (not counted in *len). TC_ERR_NOT_FOUND, TC_ERR_SIZE_LIMIT, TC_ERR_IO (errno kept;
 * also a file that grew while read). */
enum tc_err tc_file_read(const char *path, size_t max, uint8_t **buf, size_t *len);

/* ------------------------------------------------------------------------------------------ */
/* Processes that hold secrets                                                                  */
/* ------------------------------------------------------------------------------------------ */
/* Core dumps off (RLIMIT_CORE 0) and the process not dumpable (PR_SET_DUMPABLE 0: no core file,
 * no ptrace by another user, /proc/PID/mem and environ root's only): for every program that
 * opens a secret key or a passphrase, called before it does. */
enum tc_err tc_proc_harden(void);

/* How many processors this process may run on (its CPU affinity, as taskset, a cgroup's cpuset
 * or systemd's CPUAffinity= set it; the online processors where that cannot be read), no more
 * than its cgroups' CPU quota allows (cpu.max: systemd's CPUQuota=, docker's --cpus), between 1
 * and most: the default number of threads of a batch the user waits for. */
int tc_cpus_usable(int most);
/* The processors a cgroup v2 cpu.max line allows ("QUOTA PERIOD", rounded up); 0 for "max
 * PERIOD" (no quota) or a line that does not read. */
long tc_cpus_of_quota(const char *cpu_max);

/* ------------------------------------------------------------------------------------------ */
/* Command-line programs                                                                       */
/* ------------------------------------------------------------------------------------------ */
#define TC_EXIT_OK 0
#define TC_EXIT_NOT_VALID 1 /* a verification failed or a rule refused */
#define TC_EXIT_USAGE 2     /* usage or I/O error */

/* What a parser returns when it printed a command's --help: the command exits 0. */
#define TC_CLI_HELP (-1)

/* A command: fn reads its own argv, or, in a program with a parser, run acts on the options the
 * parser read (the parser prints help for --help and says what is wrong with the options). */
struct tc_cli_command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *description;
    const char *help;       /* with run: what --help prints */
    int (*run)(void *opts); /* or the command on the options read into the program's opts */
};
/* A program: its commands and, for those with run, the parser they share. parse reads argv
 * (argv[0] the command) into opts: 0, TC_CLI_HELP, or the exit status of a usage error. */
struct tc_cli_program {
    const char *prog, *about;
    const struct tc_cli_command *cmds;
    size_t n;
    int (*parse)(int argc, char **argv, const struct tc_cli_command *cmd, void *opts);
    void *opts;
};
/* Initialises libsodium, then runs the command named by argv[1] or prints usage (--help). */
int tc_cli_dispatch(const struct tc_cli_program *p, int argc, char **argv);
/* The getopt_long val of an option whose value is stored as it is, at the offset of field in
 * the options structure: a word (required_argument) as a const char *, a flag (no_argument) as
 * a bool set true. */
#define TC_CLI_STORE 0x10000
#define TC_CLI_AT(type, field) (TC_CLI_STORE + (int)offsetof(type, field))
/* One command's options by getopt_long over table (optind starts again at 1): the option named
 * "help" prints help and returns TC_CLI_HELP; one not in table is the usage error "unknown
 * option"; one whose val is TC_CLI_AT(...) is stored there; any other goes to set(opts, its val,
 * its argument, cmd), which returns 0 or the exit status of a usage error it said (set may be
 * NULL when there is none). optind is left at the first operand. */
struct option;
int tc_cli_getopt(const char *prog, const char *cmd, const char *help, const struct option *table,
                  int argc, char **argv, void *opts,
                  int (*set)(void *opts, int opt, const char *arg, const char *cmd));
/* A whole number from 1 to max for option name (with its dashes) into *v; else the usage error
 * "NAME takes a number from 1 to MAX" and its exit status. */
int tc_cli_number(const char *prog, const char *cmd, const char *name, const char *arg, long max,
                  long *v);
/* --listen ADDRESS:PORT (IPv4) into addr (family, address, port); NULL, else what is wrong:
 * bad_form for a malformed one, or that the address is not IPv4. */
struct sockaddr_in;
const char *tc_cli_listen(const char *arg, struct sockaddr_in *addr, const char *bad_form);
/* tc_proc_harden for a program's main(): TC_EXIT_OK, or TC_EXIT_USAGE after
 * "who: cannot turn core dumps off" on stderr. */
int tc_cli_harden(const char *who);
/* "prog: what: why" on stderr; returns TC_EXIT_USAGE. */
int tc_cli_fail(const char *prog, const char *what, enum tc_err e);
/* "prog cmd: msg" and a --help hint on stderr; returns TC_EXIT_USAGE. */
int tc_cli_usage_error(const char *prog, const char *cmd, const char *msg);

#endif
