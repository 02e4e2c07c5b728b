/*
 * fuzz_csv.c - libFuzzer target for the issuer's CSV readers: the unit directory, the three
 * record files and committee results, through the real import functions on a scratch store (the
 * first byte picks the reader). The store is created once, with a fixed hash key, in a temporary
 * directory; synchronous writes are off because durability is not what is tested here.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tc_store *store;
static char csv_path[512];

static int setup(void)
{
    static char dir[] = "/tmp/tc_fuzz_csv_XXXXXX";
    static const char pass[] = "fuzz passphrase";
    if (sodium_init() < 0 || !mkdtemp(dir))
        return -1;
    char path[512];
    struct tc_pubkey pub;
    struct tc_secret *hk = NULL;
    struct tc_store_keys *keys = NULL;
    snprintf(path, sizeof path, "%s/hash.key", dir);
    if (tc_keys_secret_create(path, TC_KEY_HASH, "fuzz", TC_KDF_INTERACTIVE, pass, strlen(pass),
                              &pub) != TC_OK ||
        tc_keys_secret_open(&hk, path, pass, strlen(pass)) != TC_OK ||
        tc_store_keys_derive(&keys, hk) != TC_OK)
        return -1;
    static const char profile[] =
        "{\"profile\":\"FZ\",\"version\":1,\"province\":\"62\",\"name\":\"fuzz\","
        "\"basic_level\":{\"rule\":\"tier\",\"max_tier\":\"county\",\"regions\":[\"62\"]},"
        "\"default_scope\":{\"region\":\"province\",\"tier\":\"county\"},"
        "\"conversion\":{\"months\":60,\"ce_hours_per_year\":90},"
        "\"exclusivity_years\":5,\"max_key_term_years\":3}";
    const char *why;
    snprintf(path, sizeof path, "%s/fuzz.db", dir);
    if (tc_store_init(path, profile, strlen(profile), keys, &why) != TC_OK ||
        tc_store_open(&store, path, keys) != TC_OK)
        return -1;
    sqlite3_exec(tc_store_db(store), "PRAGMA synchronous=OFF", NULL, NULL, NULL);
    snprintf(csv_path, sizeof csv_path, "%s/input.csv", dir);
    return 0; /* keys stay alive with the store for the whole run */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (setup() != 0)
            abort();
        ready = 1;
    }
    if (size < 1 || size > 65536)
        return 0;
    FILE *f = fopen(csv_path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    struct tc_refusals ref = {0};
    size_t n = 0, w = 0;
    static const char *const kinds[] = {"employment", "assessments", "ce"};
    switch (data[0] % 5) {
    case 0:
        tc_units_import(store, csv_path, data[0] & 0x80, &ref, &n, &w);
        break;
    case 1:
    case 2:
    case 3:
        tc_records_import(store, kinds[data[0] % 5 - 1], csv_path, &ref, &n);
        break;
    default: {
        struct tc_issue_request *reqs = NULL;
        tc_issue_read_csv(store, csv_path, &reqs, &n, &ref);
        free(reqs);
        break;
    }
    }
    tc_refusals_free(&ref);
    return 0;
}
