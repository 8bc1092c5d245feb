/*
 * tmpl_value: values as Go prints them: fmt's %v, encoding/json as docker's {{json}} and
 * `docker inspect` write it, strconv.Quote, and the schema that tells maps from structs
 * (mechanism, rank 20; called by tmpl_exec.c and tmpl_func.c, calls only the arena).
 *
 * Go's rules kept here: a map prints as map[k:v] with its keys sorted, a struct as {v1 v2}
 * in field order, a slice as [a b], nil as <nil>; float64 with the shortest digits that
 * read back exactly; JSON strings with \", \\, \n, \r, \t, \b, \f, other controls as
 * \u00XX, U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd, and <, > and & left alone
 * (docker turns Go's HTML escaping off). Printing never fails: an output buffer that is
 * full simply stops growing and exec notices its cap.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_string.h"
#include "base/str.h"
#include "tmpl/tmpl_int.h"

#define PATH_MAX_BYTES 512 /* a schema path compared (longer ones match nothing) */

static void put(struct buf *out, const void *p, size_t n)
{
	struct kerr ignored;

	(void)buf_append(out, p, n, &ignored);
}

static void puts_(struct buf *out, const char *s)
{
	put(out, s, strlen(s));
}

/* ---- document tokens ---- */

static bool is_integer_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return false;
	return true;
}

int tmpl_val_of_tok(const struct tmpl_env *e, const struct json_doc *d, int tok, struct tmpl_val *v,
		    struct kerr *err)
{
	const struct json_tok *t = &d->toks[tok];
	size_t raw = (size_t)(t->end - t->start);

	*v = (struct tmpl_val){ .kind = TMPL_V_NIL };
	switch (t->type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		*v = (struct tmpl_val){ .kind = TMPL_V_NODE, .doc = d, .tok = tok };
		return 0;
	case JSON_NULL:
		return 0;
	case JSON_BOOL:
		v->kind = TMPL_V_BOOL;
		v->b = d->text[t->start] == 't';
		return 0;
	case JSON_NUMBER: {
		char num[64];
		const char *text = d->text + t->start;

		v->s = text;
		v->n = raw;
		if (raw < sizeof(num)) {
			memcpy(num, text, raw);
			num[raw] = '\0';
		} else {
			str_copyn(num, sizeof(num), text, sizeof(num) - 1);
		}
		if (is_integer_text(text, raw) &&
		    json_get_i64(d, tok, &v->i, &(struct kerr){ 0 }) == 0) {
			v->kind = TMPL_V_INT;
			v->f = (double)v->i;
			return 0;
		}
		v->kind = TMPL_V_FLOAT;
		v->f = strtod(num, NULL);
		return 0;
	}
	case JSON_STRING: {
		/* Unescaping never lengthens a string. */
		char *s = tmpl_arena_alloc(e->arena, raw + 1, err);

		if (!s || json_get_str(d, tok, s, raw + 1, err) < 0)
			return -1;
		v->kind = TMPL_V_STR;
		v->s = s;
		v->n = strlen(s);
		return 0;
	}
	}
	return 0;
}

/* ---- the schema ---- */

void tmpl_val_path(const struct json_doc *d, int tok, struct buf *out)
{
	int chain[JSON_DEPTH_MAX + 2];
	int n = 0;

	/* Walk up to the root, then write the keys top-down. */
	for (int t = tok; t > 0 && n < (int)(sizeof(chain) / sizeof(chain[0]));
	     t = d->toks[t].parent)
		chain[n++] = t;
	for (int i = n - 1; i >= 0; i--) {
		int t = chain[i], parent = d->toks[t].parent;

		if (parent < 0)
			continue;
		if (out->len)
			puts_(out, ".");
		if (d->toks[parent].type == JSON_ARRAY) {
			puts_(out, "[]");
		} else if (t > 0 && d->toks[t - 1].parent == parent &&
			   d->toks[t - 1].type == JSON_STRING) {
			/* The key is the token just before the value (jsmn's order). Keys with a
			 * dot or escapes cannot be told apart in a path; they are written raw. */
			const struct json_tok *k = &d->toks[t - 1];
			put(out, d->text + k->start, (size_t)(k->end - k->start));
		}
	}
}

static bool path_in(const struct json_doc *d, int tok, const char *key, const char *const *list)
{
	char text[PATH_MAX_BYTES];
	struct buf b;
	bool found = false;

	if (!list)
		return false;
	buf_init(&b, sizeof(text) - 1);
	tmpl_val_path(d, tok, &b);
	if (key) {
		if (b.len)
			puts_(&b, ".");
		puts_(&b, key);
	}
	size_t n = b.len < sizeof(text) - 1 ? b.len : sizeof(text) - 1;
	if (n)
		memcpy(text, b.data, n);
	text[n] = '\0';
	buf_done(&b);
	for (size_t i = 0; list[i] && !found; i++)
		found = strcmp(list[i], text) == 0;
	return found;
}

bool tmpl_val_is_map(const struct tmpl_env *e, const struct json_doc *d, int tok)
{
	if (!e->schema)
		return true;
	return path_in(d, tok, NULL, e->schema->maps);
}

bool tmpl_val_is_optional(const struct tmpl_env *e, const struct json_doc *d, int tok,
			  const char *key)
{
	return e->schema && path_in(d, tok, key, e->schema->optional);
}

/* ---- truth and types ---- */

bool tmpl_val_truth(const struct tmpl_val *v)
{
	switch (v->kind) {
	case TMPL_V_NONE:
	case TMPL_V_NIL:
		return false;
	case TMPL_V_BOOL:
		return v->b;
	case TMPL_V_INT:
		return v->i != 0;
	case TMPL_V_FLOAT:
		return v->f != 0;
	case TMPL_V_STR:
		return v->n > 0;
	case TMPL_V_STRS:
		return v->n > 0;
	case TMPL_V_NODE:
		return v->doc->toks[v->tok].size > 0;
	}
	return false;
}

const char *tmpl_val_type(const struct tmpl_env *e, const struct tmpl_val *v)
{
	switch (v->kind) {
	case TMPL_V_NONE:
		return "<invalid>";
	case TMPL_V_NIL:
		return "<nil>";
	case TMPL_V_BOOL:
		return "bool";
	case TMPL_V_INT:
		return "int";
	case TMPL_V_FLOAT:
		return "float64";
	case TMPL_V_STR:
		return "string";
	case TMPL_V_STRS:
		return "[]string";
	case TMPL_V_NODE:
		if (v->doc->toks[v->tok].type == JSON_ARRAY)
			return "[]interface {}";
		return tmpl_val_is_map(e, v->doc, v->tok) ? "map[string]interface {}" : "struct";
	}
	return "<invalid>";
}

/* ---- numbers ---- */

void tmpl_val_float(double f, struct buf *out)
{
	char s[48];

	if (isnan(f)) {
		puts_(out, "NaN");
		return;
	}
	if (isinf(f)) {
		puts_(out, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The shortest %g that reads back exactly, as strconv's 'g' with precision -1. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, f);
		if (strtod(s, NULL) == f)
			break;
	}
	/* Go's %g switches to an exponent at 21 digits, C's at the precision: redo large
	 * integral values and small ones the way Go does (exponent < -4 || >= 21). */
	/* The decimal exponent, from %e (no libm: kettle links none). */
	char e[48];
	snprintf(e, sizeof(e), "%.16e", f);
	int exp = atoi(strchr(e, 'e') + 1);
	if (strchr(s, 'e') && exp >= -4 && exp < 21) {
		for (int prec = 0; prec <= 20; prec++) {
			snprintf(s, sizeof(s), "%.*f", prec, f);
			if (strtod(s, NULL) == f)
				break;
		}
	}
	puts_(out, s);
}

/* ---- fmt's %v ---- */

static void print_tok(const struct tmpl_env *e, const struct json_doc *d, int tok, struct buf *out,
		      int depth);

/* Keys of the object at tok sorted bytewise (Go sorts map keys for printing and range):
 * value token indexes into *idx (arena). Returns the count, or -1 out of memory. */
static int sorted_members(const struct tmpl_env *e, const struct json_doc *d, int tok, int **idx)
{
	int n = d->toks[tok].size;
	struct kerr ignored;
	int *v = tmpl_arena_alloc(e->arena, (size_t)(n ? n : 1) * sizeof(*v), &ignored);

	if (!v)
		return -1;
	for (int m = 0, k = tok + 1; m < n; m++, k = json_skip(d, k + 1))
		v[m] = k + 1;
	/* Insertion sort on the raw key text; keys with escapes sort by their escaped form,
	 * which only reorders keys no docker document has. */
	for (int i = 1; i < n; i++) {
		int x = v[i], j = i - 1;
		const struct json_tok *kx = &d->toks[x - 1];

		while (j >= 0) {
			const struct json_tok *kj = &d->toks[v[j] - 1];
			size_t lx = (size_t)(kx->end - kx->start),
			       lj = (size_t)(kj->end - kj->start);
			int c = memcmp(d->text + kj->start, d->text + kx->start, lx < lj ? lx : lj);

			if (c < 0 || (c == 0 && lj <= lx))
				break;
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
	*idx = v;
	return n;
}

int tmpl_val_sorted_members(const struct tmpl_env *e, const struct json_doc *d, int tok, int **idx)
{
	return sorted_members(e, d, tok, idx);
}

static void print_scalar_tok(const struct tmpl_env *e, const struct json_doc *d, int tok,
			     struct buf *out)
{
	struct tmpl_val v;
	struct kerr ignored;

	if (tmpl_val_of_tok(e, d, tok, &v, &ignored) == 0)
		tmpl_val_print(e, &v, out);
}

static void print_tok(const struct tmpl_env *e, const struct json_doc *d, int tok, struct buf *out,
		      int depth)
{
	const struct json_tok *t = &d->toks[tok];

	if (depth > JSON_DEPTH_MAX)
		return;
	if (t->type == JSON_ARRAY) {
		puts_(out, "[");
		for (int m = 0, k = tok + 1; m < t->size; m++, k = json_skip(d, k)) {
			if (m)
				puts_(out, " ");
			print_tok(e, d, k, out, depth + 1);
		}
		puts_(out, "]");
		return;
	}
	if (t->type != JSON_OBJECT) {
		print_scalar_tok(e, d, tok, out);
		return;
	}
	if (!tmpl_val_is_map(e, d, tok)) {
		puts_(out, "{");
		for (int m = 0, k = tok + 1; m < t->size; m++, k = json_skip(d, k + 1)) {
			if (m)
				puts_(out, " ");
			print_tok(e, d, k + 1, out, depth + 1);
		}
		puts_(out, "}");
		return;
	}
	int *idx = NULL;
	int n = sorted_members(e, d, tok, &idx);
	puts_(out, "map[");
	for (int m = 0; m < n; m++) {
		if (m)
			puts_(out, " ");
		print_scalar_tok(e, d, idx[m] - 1, out);
		puts_(out, ":");
		print_tok(e, d, idx[m], out, depth + 1);
	}
	puts_(out, "]");
}

void tmpl_val_print(const struct tmpl_env *e, const struct tmpl_val *v, struct buf *out)
{
	char num[32];

	switch (v->kind) {
	case TMPL_V_NONE:
		puts_(out, "<no value>");
		return;
	case TMPL_V_NIL:
		puts_(out, "<nil>");
		return;
	case TMPL_V_BOOL:
		puts_(out, v->b ? "true" : "false");
		return;
	case TMPL_V_INT:
		if (v->s) {
			put(out, v->s, v->n);
			return;
		}
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		puts_(out, num);
		return;
	case TMPL_V_FLOAT:
		/* A document integer too big for int64 is a uint64 in docker's types. */
		if (v->s && strspn(v->s, "0123456789") == v->n) {
			put(out, v->s, v->n);
			return;
		}
		tmpl_val_float(v->f, out);
		return;
	case TMPL_V_STR:
		put(out, v->s, v->n);
		return;
	case TMPL_V_STRS:
		puts_(out, "[");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				puts_(out, " ");
			puts_(out, v->v[i]);
		}
		puts_(out, "]");
		return;
	case TMPL_V_NODE:
		print_tok(e, v->doc, v->tok, out, 0);
		return;
	}
}

/* ---- encoding/json ---- */

static void json_string(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	puts_(out, "\"");
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		char esc[8];
		size_t elen = 2, slen = 1;

		if (c >= 0x80) {
			slen = json_string_utf8_len(u + i, n - i);
			/* U+2028 and U+2029: valid JSON, but Go escapes them for JavaScript. */
			if (slen == 3 && c == 0xe2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
				memcpy(esc, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
				elen = 6;
			} else if (slen > 0) {
				i += slen;
				continue;
			} else {
				slen = 1;
				memcpy(esc, "\\ufffd", 6);
				elen = 6;
			}
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			esc[0] = '\\';
			esc[1] = c == '\n'   ? 'n'
				 : c == '\r' ? 'r'
				 : c == '\t' ? 't'
				 : c == '\b' ? 'b'
					     : 'f';
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		} else {
			i++;
			continue;
		}
		put(out, s + run, i - run);
		put(out, esc, elen);
		i += slen;
		run = i;
	}
	put(out, s + run, n - run);
	puts_(out, "\"");
}

/* The writers below build into an unbounded buffer of their own (their input bounds it)
 * and append it whole, so a caller's full buffer never receives half a document. */
static int append_whole(struct buf *tmp, struct buf *out, struct kerr *err)
{
	int rc = buf_append(out, tmp->data, tmp->len, err);

	buf_done(tmp);
	return rc < 0 ? kerr_wrap(err, "json") : 0;
}

int tmpl_json_string(const char *s, size_t n, struct buf *out, struct kerr *err)
{
	struct buf tmp;

	buf_init(&tmp, SIZE_MAX);
	json_string(s, n, &tmp);
	return append_whole(&tmp, out, err);
}

static void json_str_tok(const struct json_doc *d, int tok, struct buf *out)
{
	const struct json_tok *t = &d->toks[tok];
	size_t raw = (size_t)(t->end - t->start);
	char small[256];
	char *s = raw < sizeof(small) ? small : malloc(raw + 1);
	struct kerr ignored;

	if (s && json_get_str(d, tok, s, raw + 1, &ignored) == 0)
		json_string(s, strlen(s), out);
	if (s != small)
		free(s);
}

/* One value at tok: compact (indent NULL) or indented at depth; returns the next token. */
static int json_tok(const struct json_doc *d, int tok, const char *indent, int depth,
		    struct buf *out)
{
	const struct json_tok *t = &d->toks[tok];
	bool obj = t->type == JSON_OBJECT;

	if (t->type == JSON_STRING) {
		json_str_tok(d, tok, out);
		return tok + 1;
	}
	if (!obj && t->type != JSON_ARRAY) {
		put(out, d->text + t->start, (size_t)(t->end - t->start));
		return tok + 1;
	}
	puts_(out, obj ? "{" : "[");
	int k = tok + 1;
	for (int m = 0; m < t->size; m++) {
		if (m)
			puts_(out, ",");
		if (indent) {
			puts_(out, "\n");
			for (int i = 0; i <= depth; i++)
				puts_(out, indent);
		}
		if (obj) {
			json_str_tok(d, k, out);
			puts_(out, indent ? ": " : ":");
			k++;
		}
		k = json_tok(d, k, indent, depth + 1, out);
	}
	if (indent && t->size > 0) {
		puts_(out, "\n");
		for (int i = 0; i < depth; i++)
			puts_(out, indent);
	}
	puts_(out, obj ? "}" : "]");
	return k;
}

int tmpl_json_compact(const struct json_doc *d, int tok, struct buf *out, struct kerr *err)
{
	struct buf tmp;

	buf_init(&tmp, SIZE_MAX);
	json_tok(d, tok, NULL, 0, &tmp);
	return append_whole(&tmp, out, err);
}

int tmpl_json_indent(const struct json_doc *d, int tok, int depth, const char *indent,
		     struct buf *out, struct kerr *err)
{
	struct buf tmp;

	buf_init(&tmp, SIZE_MAX);
	json_tok(d, tok, indent, depth, &tmp);
	return append_whole(&tmp, out, err);
}

void tmpl_val_json(const struct tmpl_env *e, const struct tmpl_val *v, struct buf *out)
{
	char num[32];

	(void)e;
	switch (v->kind) {
	case TMPL_V_NONE:
	case TMPL_V_NIL:
		puts_(out, "null");
		return;
	case TMPL_V_BOOL:
		puts_(out, v->b ? "true" : "false");
		return;
	case TMPL_V_INT:
		if (v->s) {
			put(out, v->s, v->n);
		} else {
			snprintf(num, sizeof(num), "%" PRId64, v->i);
			puts_(out, num);
		}
		return;
	case TMPL_V_FLOAT:
		if (v->s) {
			put(out, v->s, v->n);
			return;
		}
		/* Go refuses NaN and infinities; docker's json then prints nothing. */
		if (isnan(v->f) || isinf(v->f))
			return;
		if (v->f > -1e21 && v->f < 1e21 && v->f == (double)(long long)v->f) {
			snprintf(num, sizeof(num), "%.0f", v->f);
			puts_(out, num);
			return;
		}
		tmpl_val_float(v->f, out);
		return;
	case TMPL_V_STR:
		json_string(v->s, v->n, out);
		return;
	case TMPL_V_STRS:
		puts_(out, "[");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				puts_(out, ",");
			json_string(v->v[i], strlen(v->v[i]), out);
		}
		puts_(out, "]");
		return;
	case TMPL_V_NODE:
		json_tok(v->doc, v->tok, NULL, 0, out);
		return;
	}
}

/* ---- strconv.Quote ---- */

void tmpl_val_quote(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	puts_(out, "\"");
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		char esc[12];

		if (c >= 0x80) {
			size_t l = json_string_utf8_len(u + i, n - i);

			if (l > 0) {
				/* Printable beyond ASCII passes; C1 controls and the line and
				 * paragraph separators are escaped, as Go's IsPrint decides. */
				unsigned r = l == 2 ? (c & 0x1fu) << 6 | (u[i + 1] & 0x3fu) : 0x100;

				if (l == 3 && c == 0xe2 && u[i + 1] == 0x80 &&
				    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
					r = u[i + 2] == 0xa8 ? 0x2028 : 0x2029;
				if ((l == 2 && r < 0xa0) || r == 0x2028 || r == 0x2029) {
					snprintf(esc, sizeof(esc), "\\u%04x", r);
					puts_(out, esc);
				} else {
					put(out, s + i, l);
				}
				i += l;
				continue;
			}
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			put(out, esc, 4);
			i++;
			continue;
		}
		const char *e = NULL;
		switch (c) {
		case '\a':
			e = "\\a";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		case '\v':
			e = "\\v";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '"':
			e = "\\\"";
			break;
		default:
			break;
		}
		if (e) {
			puts_(out, e);
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			put(out, esc, 4);
		} else {
			put(out, s + i, 1);
		}
		i++;
	}
	puts_(out, "\"");
}
