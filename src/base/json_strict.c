/*
 * json_strict: typed, capped getters for strict decoders of outside documents (base layer).
 *
 * Each getter checks the token's type first, then its size against the caller's cap, and
 * only then allocates (a string's raw length bounds its unescaped one, so the copy never
 * needs a second pass). Key names and values quoted in messages go through str_sanitize
 * and are cut to SHOWN_MAX bytes. Nothing here logs, prints or touches the filesystem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_strict.h"
#include "base/str.h"

#define SHOWN_MAX 64 /* bytes of a document's key quoted in a message */

int json_strict_want(const struct json_doc *d, int i, enum json_type t, const char *what,
		     struct kerr *err)
{
	if (d->toks[i].type == t)
		return 0;
	return kerr_set(err, 0, "`%s`: expected %s, found %s", what, json_type_name(t),
			json_type_name(d->toks[i].type));
}

int json_strict_str(const struct json_doc *d, int i, const char *what, size_t max, char **out,
		    struct kerr *err)
{
	const struct json_tok *t = &d->toks[i];
	size_t raw, n;
	char *s;

	if (json_strict_want(d, i, JSON_STRING, what, err) < 0)
		return -1;
	/* Unescaping never lengthens a string: the raw length bounds the copy. */
	raw = (size_t)(t->end - t->start);
	s = malloc(raw + 1);
	if (!s)
		return kerr_set(err, ENOMEM, "`%s`", what);
	if (json_get_str(d, i, s, raw + 1, err) < 0) {
		free(s);
		return kerr_wrap(err, "`%s`", what);
	}
	n = strlen(s);
	if (n > max) {
		free(s);
		return kerr_set(err, 0, "`%s`: string of %zu bytes exceeds limit %zu", what, n,
				max);
	}
	*out = s;
	return 0;
}

int json_strict_opt_str(const struct json_doc *d, int i, const char *what, size_t max, char **out,
			struct kerr *err)
{
	*out = NULL;
	if (d->toks[i].type == JSON_NULL)
		return 0;
	return json_strict_str(d, i, what, max, out, err);
}

int json_strict_strv(const struct json_doc *d, int i, const char *what, size_t nmax, size_t max,
		     char ***v, size_t *n, struct kerr *err)
{
	char path[JSON_STRICT_PATH_MAX];
	size_t size;
	char **nv;
	int k;

	if (json_strict_want(d, i, JSON_ARRAY, what, err) < 0)
		return -1;
	size = (size_t)d->toks[i].size;
	if (size > nmax || *n + size > nmax)
		return kerr_set(err, 0, "`%s`: %zu entries exceed limit %zu", what, *n + size,
				nmax);
	nv = realloc(*v, (*n + size + 1) * sizeof(*nv));
	if (!nv)
		return kerr_set(err, ENOMEM, "`%s`", what);
	*v = nv;
	nv[*n] = NULL;
	k = i + 1;
	for (size_t e = 0; e < size; e++) {
		if (json_strict_str(d, k, json_strict_index(path, what, (int)e), max, &nv[*n],
				    err) < 0)
			return -1;
		nv[++*n] = NULL;
		k = json_skip(d, k);
	}
	return 0;
}

int json_strict_int(const struct json_doc *d, int i, const char *what, int64_t lo, int64_t hi,
		    int64_t *out, struct kerr *err)
{
	int64_t v;

	if (json_strict_want(d, i, JSON_NUMBER, what, err) < 0)
		return -1;
	if (json_get_i64(d, i, &v, err) < 0)
		return kerr_wrap(err, "`%s`", what);
	if (v < lo || v > hi)
		return kerr_set(err, 0, "`%s`: %lld is out of range, expected %lld..%lld", what,
				(long long)v, (long long)lo, (long long)hi);
	*out = v;
	return 0;
}

int json_strict_bool(const struct json_doc *d, int i, const char *what, bool *out, struct kerr *err)
{
	if (json_strict_want(d, i, JSON_BOOL, what, err) < 0)
		return -1;
	return json_get_bool(d, i, out, err);
}

int json_strict_keys(const struct json_doc *d, int obj, const char *const *keys, const char *where,
		     struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	uint32_t seen = 0;
	int k = obj + 1;

	if (json_strict_want(d, obj, JSON_OBJECT, where, err) < 0)
		return -1;
	for (int m = 0; m < d->toks[obj].size; m++) {
		const struct json_tok *t = &d->toks[k];
		size_t j;

		for (j = 0; keys[j] && j < JSON_STRICT_KEYS_MAX; j++)
			if (json_str_eq(d, k, keys[j]))
				break;
		if (!keys[j] || j == JSON_STRICT_KEYS_MAX) {
			size_t n = (size_t)(t->end - t->start);
			size_t w = str_sanitize(q, 4 * SHOWN_MAX + 1, d->text + t->start,
						n > SHOWN_MAX ? SHOWN_MAX : n);

			if (n > SHOWN_MAX)
				memcpy(q + w, "\xe2\x80\xa6", 4);
			return kerr_set(err, 0, "unknown key `%s` in `%s`", q, where);
		}
		if (seen & (1u << j))
			return kerr_set(err, 0, "key `%s` is given twice in `%s`", keys[j], where);
		seen |= 1u << j;
		k = json_skip(d, k + 1);
	}
	return 0;
}

const char *json_strict_path(char out[JSON_STRICT_PATH_MAX], const char *where, const char *key)
{
	snprintf(out, JSON_STRICT_PATH_MAX, "%s%s%s", where, where[0] ? "." : "", key);
	return out;
}

const char *json_strict_index(char out[JSON_STRICT_PATH_MAX], const char *where, int k)
{
	snprintf(out, JSON_STRICT_PATH_MAX, "%s[%d]", where, k);
	return out;
}
