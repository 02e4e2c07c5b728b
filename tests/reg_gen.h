/*
 * reg_gen.h - registers for the publication test (test_register_append) and benchmark
 * (bench/bench_publish), generated through the issuer's library: a GS store whose certificates (173-byte payloads, not signed one by one), issue
 * entries and audit events are written as issuance writes them, with a revocation (its entry,
 * its event, the row's status) every 20 certificates and a supersession every 50. What a publication checks holds: every
 * entry's hash is its leaf's, the audit chain's MACs hold, and the certificates table says what
 * the register says.
 */
#ifndef TC_TESTS_REG_GEN_H
#define TC_TESTS_REG_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "issuer.h"

/* The keys every generated store shares: a root, a publication key endorsed for status and
 * register checkpoints, the trust list, the store's hash keys. */
struct reg_gen_keys {
    struct tc_signer *root, *pub_key;
    struct tc_store_keys *store_keys;
    uint8_t *list;
    size_t list_len;
    struct tc_trust_list *tl;
    char profile[65536];
    size_t profile_len;
};
/* Makes the keys in dir (key files with a fixed passphrase) and reads the GS profile
 * (TC_PROFILE_GS, else data/profiles/GS.json). */
enum tc_err reg_gen_keys(struct reg_gen_keys *k, const char *dir);
void reg_gen_keys_free(struct reg_gen_keys *k);
/* Creates and opens a store at path. */
enum tc_err reg_gen_store(const struct reg_gen_keys *k, const char *path, struct tc_store **s);
/* Appends n register entries (certificates, revocations, supersessions). */
enum tc_err reg_gen_append(struct tc_store *s, size_t n);
/* The same, its certificates numbered from first_id (0: after the highest), which may be below
 * ids already issued: an id out of order, as a migrated or merged store may hold. */
enum tc_err reg_gen_append_from(struct tc_store *s, size_t n, uint64_t first_id);

#endif
