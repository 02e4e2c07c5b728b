/* issuer_internal.h - helpers shared by the issuer's source files (not part of issuer.h). */
#ifndef TC_ISSUER_INTERNAL_H
#define TC_ISSUER_INTERNAL_H

#include <sqlite3.h>

#include "issuer.h"

enum tc_err tc_store_exec(struct tc_store *s, const char *sql);
enum tc_err tc_store_prepare(struct tc_store *s, const char *sql, sqlite3_stmt **st);
enum tc_err tc_store_step_done(struct tc_store *s, sqlite3_stmt *st);
enum tc_err tc_store_meta_set(struct tc_store *s, const char *key, const void *val, size_t len);
/* Appends an audit event inside the caller's transaction; *cache holds a prepared statement the
 * caller finalizes. */
enum tc_err tc_store_event(struct tc_store *s, sqlite3_stmt **cache, int64_t at, const char *kind,
                           uint64_t cert, const char *detail);
/* After a rollback: the chain head as the database has it. */
void tc_store_reload_head(struct tc_store *s);
/* The store's cached statement for tc_units_find. */
sqlite3_stmt **tc_store_unit_find_stmt(struct tc_store *s);
void tc_store_head(const struct tc_store *s, int64_t *seq, uint8_t head[32]);

/* Holder row id for an ID hash, creating the holder when create is set. 0 when absent. */
enum tc_err tc_holder_id(struct tc_store *s, const uint8_t hash[32], const char *mask,
                         const char *name, bool create, int64_t *id);

#endif
