/*
 * json_strict: typed, capped getters for strict decoders of outside documents (base layer).
 *
 * On top of json.h's tokens: a value of exactly one type, a string copied only after its
 * length was checked against a cap, a list checked against its entry cap before anything
 * is allocated, an object whose every key is known and given once. Each failure names the
 * value by its path in the document ("devices[0].containerEdits.env[1]"), says what was
 * found and what was allowed. Nothing logs; the only allocations are the copies handed out.
 */
#ifndef KETTLE_JSON_STRICT_H
#define KETTLE_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/json.h"
#include "base/kerr.h"

#define JSON_STRICT_KEYS_MAX 32	 /* known keys of one object (json_strict_keys) */
#define JSON_STRICT_PATH_MAX 256 /* bytes of a value's path in a message */

/* Token i is of type t; else "`what`: expected a string, found a number". */
int json_strict_want(const struct json_doc *d, int i, enum json_type t, const char *what,
		     struct kerr *err);
/* A malloc'd copy of the string token i (type checked), at most max bytes. */
int json_strict_str(const struct json_doc *d, int i, const char *what, size_t max, char **out,
		    struct kerr *err);
/* The same, or *out = NULL for a null token. */
int json_strict_opt_str(const struct json_doc *d, int i, const char *what, size_t max, char **out,
			struct kerr *err);
/*
 * An array of strings, appended to *v (a NULL-terminated owned array of owned strings with
 * *n entries, grown here): at most nmax entries in all, each at most max bytes. On failure
 * the entries appended so far stay in *v for the caller to free.
 */
int json_strict_strv(const struct json_doc *d, int i, const char *what, size_t nmax, size_t max,
		     char ***v, size_t *n, struct kerr *err);
/* An integer token in lo..hi. */
int json_strict_int(const struct json_doc *d, int i, const char *what, int64_t lo, int64_t hi,
		    int64_t *out, struct kerr *err);
int json_strict_bool(const struct json_doc *d, int i, const char *what, bool *out,
		     struct kerr *err);
/*
 * Object obj (type checked) has only keys from keys[] (NULL-terminated, at most
 * JSON_STRICT_KEYS_MAX), each at most once: "unknown key `x` in `where`", "key `x` is given
 * twice in `where`".
 */
int json_strict_keys(const struct json_doc *d, int obj, const char *const *keys, const char *where,
		     struct kerr *err);
/* "where.key" (or "key" when where is empty) into out, cut to fit. */
const char *json_strict_path(char out[JSON_STRICT_PATH_MAX], const char *where, const char *key);
/* "where[k]" into out, cut to fit. */
const char *json_strict_index(char out[JSON_STRICT_PATH_MAX], const char *where, int k);

#endif
