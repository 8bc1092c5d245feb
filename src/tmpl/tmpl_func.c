/*
 * tmpl_func: the functions a template may call: Go text/template's builtins (and, or, not,
 * len, index, slice, eq, ne, lt, le, gt, ge, print, printf, println, html, urlquery) and
 * docker's (json, split, join, title, lower, upper, pad, truncate) (mechanism, rank 20;
 * called by tmpl_parse.c and tmpl_exec.c, calls tmpl_value.c and the arena).
 *
 * Each function gets values already checked against its argument types (tmpl_exec.c) and
 * returns one value; a failure is the bare reason ("index out of range: 5"), which exec
 * wraps as Go does ("error calling index: ..."). Results live in the execution's arena,
 * whose cap bounds what pad and printf can make. Go's fmt verbs: v s q d x X o O b c U e E
 * f F g G t and %%, with flags, width and precision; a mismatch prints %!d(string=x) as Go.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/json_string.h"
#include "tmpl/tmpl_int.h"

#define FMT_NUM_MAX 512 /* bytes of one formatted number (width and precision capped) */

static int str_result(const struct tmpl_env *e, struct buf *b, struct tmpl_val *res,
		      struct kerr *err)
{
	char *s = tmpl_arena_strndup(e->arena, b->data ? (const char *)b->data : "", b->len, err);
	size_t n = b->len;

	buf_done(b);
	if (!s)
		return -1;
	*res = (struct tmpl_val){ .kind = TMPL_V_STR, .s = s, .n = n };
	return 0;
}

static void put(struct buf *b, const void *p, size_t n)
{
	struct kerr ignored;

	(void)buf_append(b, p, n, &ignored);
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* ---- and, or, not ---- */

static int f_not(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		 struct kerr *err)
{
	(void)e, (void)n, (void)err;
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL, .b = !tmpl_val_truth(&a[0]) };
	return 0;
}

/* and and or are evaluated lazily by exec; these only serve a call with every argument. */
static int f_and(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		 struct kerr *err)
{
	(void)e, (void)err;
	for (size_t i = 0; i + 1 < n; i++)
		if (!tmpl_val_truth(&a[i])) {
			*res = a[i];
			return 0;
		}
	*res = a[n - 1];
	return 0;
}

static int f_or(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e, (void)err;
	for (size_t i = 0; i + 1 < n; i++)
		if (tmpl_val_truth(&a[i])) {
			*res = a[i];
			return 0;
		}
	*res = a[n - 1];
	return 0;
}

/* ---- len, index, slice ---- */

static int f_len(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		 struct kerr *err)
{
	int64_t len;

	(void)n;
	switch (a[0].kind) {
	case TMPL_V_STR:
	case TMPL_V_STRS:
		len = (int64_t)a[0].n;
		break;
	case TMPL_V_NODE:
		len = a[0].doc->toks[a[0].tok].size;
		break;
	case TMPL_V_NIL:
		len = 0;
		break;
	case TMPL_V_NONE:
		return kerr_set(err, 0, "len of nil pointer");
	default:
		return kerr_set(err, 0, "len of type %s", tmpl_val_type(e, &a[0]));
	}
	*res = (struct tmpl_val){ .kind = TMPL_V_INT, .i = len, .f = (double)len };
	return 0;
}

/* An index argument of a sequence of len entries. */
static int index_arg(const struct tmpl_env *e, const struct tmpl_val *x, int64_t len, bool slice,
		     int64_t *out, struct kerr *err)
{
	if (x->kind == TMPL_V_NIL || x->kind == TMPL_V_NONE)
		return kerr_set(err, 0, "cannot index slice/array with nil");
	if (x->kind != TMPL_V_INT)
		return kerr_set(err, 0, "cannot index slice/array with type %s",
				tmpl_val_type(e, x));
	if (x->i < 0 || (slice ? x->i > len : x->i >= len))
		return kerr_set(err, 0, "index out of range: %" PRId64, x->i);
	*out = x->i;
	return 0;
}

static int f_index(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	struct tmpl_val item = a[0];

	if (item.kind == TMPL_V_NIL || item.kind == TMPL_V_NONE)
		return kerr_set(err, 0, "index of untyped nil");
	for (size_t i = 1; i < n; i++) {
		const struct tmpl_val *x = &a[i];
		int64_t k;

		switch (item.kind) {
		case TMPL_V_STR:
			if (index_arg(e, x, (int64_t)item.n, false, &k, err) < 0)
				return -1;
			item = (struct tmpl_val){ .kind = TMPL_V_INT,
						  .i = (unsigned char)item.s[k],
						  .f = (unsigned char)item.s[k] };
			break;
		case TMPL_V_STRS:
			if (index_arg(e, x, (int64_t)item.n, false, &k, err) < 0)
				return -1;
			item = (struct tmpl_val){ .kind = TMPL_V_STR,
						  .s = item.v[k],
						  .n = strlen(item.v[k]) };
			break;
		case TMPL_V_NODE: {
			const struct json_doc *d = item.doc;
			const struct json_tok *t = &d->toks[item.tok];

			if (t->type == JSON_ARRAY) {
				if (index_arg(e, x, t->size, false, &k, err) < 0)
					return -1;
				int tok = item.tok + 1;
				for (int64_t m = 0; m < k; m++)
					tok = json_skip(d, tok);
				if (tmpl_val_of_tok(e, d, tok, &item, err) < 0)
					return -1;
				break;
			}
			if (x->kind != TMPL_V_STR)
				return kerr_set(err, 0, "value has type %s; should be string",
						tmpl_val_type(e, x));
			int v = json_obj_get(d, item.tok, x->s);
			/* A missing key gives the element type's zero value: for docker's
			 * map[string]string (labels, options) that is "". */
			if (v < 0 || strlen(x->s) != x->n)
				item = (struct tmpl_val){ .kind = TMPL_V_STR, .s = "", .n = 0 };
			else if (tmpl_val_of_tok(e, d, v, &item, err) < 0)
				return -1;
			break;
		}
		case TMPL_V_NIL:
		case TMPL_V_NONE:
			return kerr_set(err, 0, "index of nil pointer");
		default:
			return kerr_set(err, 0, "can't index item of type %s",
					tmpl_val_type(e, &item));
		}
	}
	*res = item;
	return 0;
}

static int f_slice(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	int64_t idx[2] = { 0, 0 };
	const struct tmpl_val *item = &a[0];
	int64_t len;

	if (item->kind == TMPL_V_NIL || item->kind == TMPL_V_NONE)
		return kerr_set(err, 0, "slice of untyped nil");
	if (n - 1 > 2)
		return kerr_set(err, 0, "too many slice indexes: %zu", n - 1);
	if (item->kind == TMPL_V_STR || item->kind == TMPL_V_STRS)
		len = (int64_t)item->n;
	else if (item->kind == TMPL_V_NODE && item->doc->toks[item->tok].type == JSON_ARRAY)
		len = item->doc->toks[item->tok].size;
	else
		return kerr_set(err, 0, "can't slice item of type %s", tmpl_val_type(e, item));
	idx[1] = len;
	for (size_t i = 1; i < n; i++)
		if (index_arg(e, &a[i], len, true, &idx[i - 1], err) < 0)
			return -1;
	if (idx[0] > idx[1])
		return kerr_set(err, 0, "invalid slice index: %" PRId64 " > %" PRId64, idx[0],
				idx[1]);
	if (item->kind == TMPL_V_STR) {
		*res = (struct tmpl_val){ .kind = TMPL_V_STR,
					  .s = item->s + idx[0],
					  .n = (size_t)(idx[1] - idx[0]) };
		char *s = tmpl_arena_strndup(e->arena, res->s, res->n, err);
		if (!s)
			return -1;
		res->s = s;
		return 0;
	}
	/* A slice of a document array is a []string when its elements are strings. */
	size_t m = (size_t)(idx[1] - idx[0]);
	const char **v = tmpl_arena_alloc(e->arena, (m + 1) * sizeof(*v), err);
	if (!v)
		return -1;
	for (size_t i = 0; i < m; i++) {
		if (item->kind == TMPL_V_STRS) {
			v[i] = item->v[idx[0] + (int64_t)i];
			continue;
		}
		int tok = item->tok + 1;
		for (int64_t k = 0; k < idx[0] + (int64_t)i; k++)
			tok = json_skip(item->doc, tok);
		struct tmpl_val x;
		if (tmpl_val_of_tok(e, item->doc, tok, &x, err) < 0)
			return -1;
		if (x.kind != TMPL_V_STR)
			return kerr_set(err, 0, "can't slice item of type []interface {}");
		v[i] = x.s;
	}
	*res = (struct tmpl_val){ .kind = TMPL_V_STRS, .v = v, .n = m };
	return 0;
}

/* ---- comparisons ---- */

enum basic {
	B_INVALID,
	B_BOOL,
	B_INT,
	B_FLOAT,
	B_STRING,
	B_OTHER
};

static enum basic basic_kind(const struct tmpl_val *v)
{
	switch (v->kind) {
	case TMPL_V_BOOL:
		return B_BOOL;
	case TMPL_V_INT:
		return B_INT;
	case TMPL_V_FLOAT:
		return B_FLOAT;
	case TMPL_V_STR:
		return B_STRING;
	case TMPL_V_NIL:
	case TMPL_V_NONE:
		return B_INVALID;
	default:
		return B_OTHER;
	}
}

static int cmp_str(const struct tmpl_val *a, const struct tmpl_val *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->s, b->s, n);

	return c ? c : (a->n < b->n ? -1 : a->n > b->n);
}

/* Equality as Go's eq: 1 equal, 0 not, -1 with err. */
static int equal(const struct tmpl_val *a, const struct tmpl_val *b, struct kerr *err)
{
	enum basic ka = basic_kind(a), kb = basic_kind(b);

	if (ka == B_INVALID || kb == B_INVALID)
		return ka == kb;
	if (ka != kb)
		return kerr_set(err, 0, "incompatible types for comparison");
	switch (ka) {
	case B_BOOL:
		return a->b == b->b;
	case B_INT:
		return a->i == b->i;
	case B_FLOAT:
		return a->f == b->f;
	case B_STRING:
		return cmp_str(a, b) == 0;
	default:
		return kerr_set(err, 0, "non-comparable type");
	}
}

static int f_eq(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e;
	if (n < 2)
		return kerr_set(err, 0, "missing argument for comparison");
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL };
	for (size_t i = 1; i < n; i++) {
		int r = equal(&a[0], &a[i], err);

		if (r < 0)
			return -1;
		if (r) {
			res->b = true;
			break;
		}
	}
	return 0;
}

static int f_ne(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e, (void)n;
	int r = equal(&a[0], &a[1], err);

	if (r < 0)
		return -1;
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL, .b = !r };
	return 0;
}

/* a < b as Go's lt: -1 with err, else 0/1. */
static int less(const struct tmpl_val *a, const struct tmpl_val *b, struct kerr *err)
{
	enum basic ka = basic_kind(a), kb = basic_kind(b);

	if (ka == B_BOOL || ka == B_INVALID || ka == B_OTHER || kb == B_BOOL || kb == B_INVALID ||
	    kb == B_OTHER)
		return kerr_set(err, 0, "invalid type for comparison");
	if (ka != kb)
		return kerr_set(err, 0, "incompatible types for comparison");
	if (ka == B_INT)
		return a->i < b->i;
	if (ka == B_FLOAT)
		return a->f < b->f;
	return cmp_str(a, b) < 0;
}

static int compare(const struct tmpl_val *a, bool want_less, bool or_equal, struct tmpl_val *res,
		   struct kerr *err)
{
	int lt = less(&a[0], &a[1], err), eq = 0;

	if (lt < 0)
		return -1;
	if (or_equal && !lt && (eq = equal(&a[0], &a[1], err)) < 0)
		return -1;
	bool le = lt || eq;
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL,
				  .b = want_less ? (or_equal ? le : lt) : (or_equal ? !lt : !le) };
	return 0;
}

static int f_lt(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e, (void)n;
	return compare(a, true, false, res, err);
}

static int f_le(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e, (void)n;
	return compare(a, true, true, res, err);
}

static int f_gt(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	/* gt is "not le" */
	(void)e, (void)n;
	int lt = less(&a[0], &a[1], err), eq = 0;

	if (lt < 0 || (!lt && (eq = equal(&a[0], &a[1], err)) < 0))
		return -1;
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL, .b = !(lt || eq) };
	return 0;
}

static int f_ge(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		struct kerr *err)
{
	(void)e, (void)n;
	int lt = less(&a[0], &a[1], err);

	if (lt < 0)
		return -1;
	*res = (struct tmpl_val){ .kind = TMPL_V_BOOL, .b = !lt };
	return 0;
}

/* ---- print, println, printf ---- */

static bool is_string(const struct tmpl_val *v)
{
	return v->kind == TMPL_V_STR;
}

/* fmt.Sprint (spaces between operands when neither is a string) or Sprintln. */
static void sprint(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, bool ln,
		   struct buf *b)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (ln || (!is_string(&a[i - 1]) && !is_string(&a[i]))))
			puts_(b, " ");
		tmpl_val_print(e, &a[i], b);
	}
	if (ln)
		puts_(b, "\n");
}

static int f_print(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	sprint(e, a, n, false, &b);
	return str_result(e, &b, res, err);
}

static int f_println(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		     struct tmpl_val *res, struct kerr *err)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	sprint(e, a, n, true, &b);
	return str_result(e, &b, res, err);
}

/* One directive's flags, width and precision. */
struct spec {
	bool minus, plus, sharp, space, zero; /* flags */
	int width;			      /* -1: none */
	int prec;			      /* -1: none */
	char verb;			      /* the verb character */
};

static size_t runes(const char *s, size_t n)
{
	size_t r = 0;

	for (size_t i = 0; i < n; i++)
		r += ((unsigned char)s[i] & 0xc0) != 0x80;
	return r;
}

/* Writes s padded to the width (in runes), left or right, with spaces or zeros. */
static void pad_out(const struct spec *sp, const char *s, size_t n, struct buf *b, bool zero_ok)
{
	size_t w = runes(s, n);
	size_t fill = sp->width > 0 && (size_t)sp->width > w ? (size_t)sp->width - w : 0;

	if (sp->minus) {
		put(b, s, n);
		for (size_t i = 0; i < fill; i++)
			puts_(b, " ");
		return;
	}
	if (zero_ok && sp->zero && fill && n && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
		put(b, s, 1);
		s++, n--;
	}
	for (size_t i = 0; i < fill; i++)
		puts_(b, zero_ok && sp->zero ? "0" : " ");
	put(b, s, n);
}

static void fmt_value(const struct tmpl_env *e, const struct spec *sp, const struct tmpl_val *v,
		      struct buf *b, int depth);

static void bad_verb(const struct tmpl_env *e, const struct spec *sp, const struct tmpl_val *v,
		     struct buf *b)
{
	char head[8];

	snprintf(head, sizeof(head), "%%!%c(", sp->verb);
	puts_(b, head);
	if (v->kind == TMPL_V_NIL || v->kind == TMPL_V_NONE) {
		puts_(b, "<nil>");
	} else {
		puts_(b, tmpl_val_type(e, v));
		puts_(b, "=");
		tmpl_val_print(e, v, b);
	}
	puts_(b, ")");
}

static void fmt_int(const struct spec *sp, int64_t i, struct buf *b)
{
	char digits[80], out[FMT_NUM_MAX];
	uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	const char *set = sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = 10;
	size_t n = 0, o = 0;
	const char *prefix = "";

	switch (sp->verb) {
	case 'x':
	case 'X':
		base = 16;
		if (sp->sharp)
			prefix = sp->verb == 'x' ? "0x" : "0X";
		break;
	case 'o':
	case 'O':
		base = 8;
		if (sp->verb == 'O')
			prefix = "0o";
		else if (sp->sharp)
			prefix = "0";
		break;
	case 'b':
		base = 2;
		if (sp->sharp)
			prefix = "0b";
		break;
	default:
		break;
	}
	do {
		digits[n++] = set[u % base];
		u /= base;
	} while (u && n < sizeof(digits));
	int prec = sp->prec > FMT_NUM_MAX / 2 ? FMT_NUM_MAX / 2 : sp->prec;
	/* Go: precision 0 and value 0 print no digits. */
	if (prec == 0 && i == 0)
		n = 0;
	if (i < 0)
		out[o++] = '-';
	else if (sp->plus)
		out[o++] = '+';
	else if (sp->space)
		out[o++] = ' ';
	for (const char *p = prefix; *p; p++)
		out[o++] = *p;
	for (int z = (int)n; z < prec; z++)
		out[o++] = '0';
	while (n > 0)
		out[o++] = digits[--n];
	struct spec s2 = *sp;
	if (sp->prec >= 0)
		s2.zero = false; /* Go ignores 0 when a precision is given */
	pad_out(&s2, out, o, b, true);
}

static void fmt_float(const struct spec *sp, double f, struct buf *b)
{
	char out[FMT_NUM_MAX], fmt[16];
	int prec = sp->prec > 100 ? 100 : sp->prec;
	char verb = sp->verb == 'v' ? 'g' : sp->verb;
	struct buf tmp;
	size_t o = 0;

	if (isinf(f) || isnan(f)) {
		const char *s = isnan(f) ? "NaN" : f > 0 ? (sp->plus ? "+Inf" : "Inf") : "-Inf";
		struct spec s2 = *sp;

		s2.zero = false;
		pad_out(&s2, s, strlen(s), b, false);
		return;
	}
	if ((verb == 'g' || verb == 'G') && prec < 0) {
		buf_init(&tmp, sizeof(out) - 2);
		if (f >= 0 && sp->plus)
			puts_(&tmp, "+");
		else if (f >= 0 && sp->space)
			puts_(&tmp, " ");
		tmpl_val_float(f, &tmp);
		o = tmp.len < sizeof(out) - 1 ? tmp.len : sizeof(out) - 1;
		memcpy(out, tmp.data, o);
		buf_done(&tmp);
		if (verb == 'G')
			for (size_t i = 0; i < o; i++)
				if (out[i] == 'e')
					out[i] = 'E';
	} else {
		snprintf(fmt, sizeof(fmt), "%%%s%s%s.%d%c", sp->plus ? "+" : "",
			 sp->space ? " " : "", sp->sharp ? "#" : "", prec < 0 ? 6 : prec,
			 verb == 'F' ? 'f' : verb);
		int m = snprintf(out, sizeof(out), fmt, f);
		o = m < 0 ? 0 : (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1;
	}
	pad_out(sp, out, o, b, true);
}

static void fmt_string(const struct spec *sp, const char *s, size_t n, struct buf *b)
{
	struct buf tmp;

	if (sp->prec >= 0) {
		/* Precision: at most prec runes. */
		size_t k = 0;
		for (int r = 0; k < n && r < sp->prec; r++) {
			k++;
			while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
				k++;
		}
		n = k;
	}
	buf_init(&tmp, SIZE_MAX);
	switch (sp->verb) {
	case 'q':
		tmpl_val_quote(s, n, &tmp);
		break;
	case 'x':
	case 'X': {
		const char *set = sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
		for (size_t i = 0; i < n; i++) {
			char h[2] = { set[(unsigned char)s[i] >> 4],
				      set[(unsigned char)s[i] & 15] };
			put(&tmp, h, 2);
		}
		break;
	}
	default:
		put(&tmp, s, n);
	}
	pad_out(sp, tmp.data ? (const char *)tmp.data : "", tmp.len, b, false);
	buf_done(&tmp);
}

static void fmt_node(const struct tmpl_env *e, const struct spec *sp, const struct tmpl_val *v,
		     struct buf *b, int depth)
{
	const struct json_doc *d = v->doc;
	const struct json_tok *t = &d->toks[v->tok];
	struct tmpl_val x;
	struct kerr ignored;

	if (depth > JSON_DEPTH_MAX)
		return;
	if (t->type == JSON_ARRAY) {
		puts_(b, "[");
		for (int m = 0, k = v->tok + 1; m < t->size; m++, k = json_skip(d, k)) {
			if (m)
				puts_(b, " ");
			if (tmpl_val_of_tok(e, d, k, &x, &ignored) == 0)
				fmt_value(e, sp, &x, b, depth + 1);
		}
		puts_(b, "]");
		return;
	}
	if (!tmpl_val_is_map(e, d, v->tok)) {
		puts_(b, "{");
		for (int m = 0, k = v->tok + 1; m < t->size; m++, k = json_skip(d, k + 1)) {
			if (m)
				puts_(b, " ");
			if (tmpl_val_of_tok(e, d, k + 1, &x, &ignored) == 0)
				fmt_value(e, sp, &x, b, depth + 1);
		}
		puts_(b, "}");
		return;
	}
	int *idx = NULL;
	int n = tmpl_val_sorted_members(e, d, v->tok, &idx);
	puts_(b, "map[");
	for (int m = 0; m < n; m++) {
		if (m)
			puts_(b, " ");
		if (tmpl_val_of_tok(e, d, idx[m] - 1, &x, &ignored) == 0)
			fmt_value(e, sp, &x, b, depth + 1);
		puts_(b, ":");
		if (tmpl_val_of_tok(e, d, idx[m], &x, &ignored) == 0)
			fmt_value(e, sp, &x, b, depth + 1);
	}
	puts_(b, "]");
}

static void fmt_value(const struct tmpl_env *e, const struct spec *sp, const struct tmpl_val *v,
		      struct buf *b, int depth)
{
	char c = sp->verb;

	switch (v->kind) {
	case TMPL_V_NONE:
	case TMPL_V_NIL:
		if (c == 'v') {
			pad_out(sp, "<nil>", 5, b, false);
			return;
		}
		bad_verb(e, sp, v, b);
		return;
	case TMPL_V_BOOL:
		if (c == 'v' || c == 't') {
			const char *s = v->b ? "true" : "false";
			pad_out(sp, s, strlen(s), b, false);
			return;
		}
		bad_verb(e, sp, v, b);
		return;
	case TMPL_V_INT:
		if (strchr("vdxXoObcqU", c)) {
			if (c == 'c' || c == 'q' || c == 'U') {
				char r[16] = "", o[32];
				size_t rl = 0;
				unsigned u =
					v->i >= 0 && v->i <= 0x10ffff ? (unsigned)v->i : 0xfffd;

				if (u < 0x80) {
					r[0] = (char)u;
					rl = 1;
				} else if (u < 0x800) {
					r[0] = (char)(0xc0 | (u >> 6));
					r[1] = (char)(0x80 | (u & 0x3f));
					rl = 2;
				} else if (u < 0x10000) {
					r[0] = (char)(0xe0 | (u >> 12));
					r[1] = (char)(0x80 | ((u >> 6) & 0x3f));
					r[2] = (char)(0x80 | (u & 0x3f));
					rl = 3;
				} else {
					r[0] = (char)(0xf0 | (u >> 18));
					r[1] = (char)(0x80 | ((u >> 12) & 0x3f));
					r[2] = (char)(0x80 | ((u >> 6) & 0x3f));
					r[3] = (char)(0x80 | (u & 0x3f));
					rl = 4;
				}
				if (c == 'c')
					pad_out(sp, r, rl, b, false);
				else if (c == 'U') {
					snprintf(o, sizeof(o), "U+%04X", u);
					pad_out(sp, o, strlen(o), b, false);
				} else {
					snprintf(o, sizeof(o), "'%.*s'", (int)rl, r);
					if (u == '\'' || u == '\\')
						snprintf(o, sizeof(o), "'\\%c'", (char)u);
					pad_out(sp, o, strlen(o), b, false);
				}
				return;
			}
			if (c == 'v' && v->s && !sp->plus && sp->width < 0) {
				put(b, v->s, v->n);
				return;
			}
			fmt_int(sp, v->i, b);
			return;
		}
		bad_verb(e, sp, v, b);
		return;
	case TMPL_V_FLOAT:
		if (strchr("veEfFgG", c)) {
			if (c == 'v' && v->s && strspn(v->s, "0123456789") == v->n) {
				pad_out(sp, v->s, v->n, b, false);
				return;
			}
			fmt_float(sp, v->f, b);
			return;
		}
		bad_verb(e, sp, v, b);
		return;
	case TMPL_V_STR:
		if (strchr("vsqxX", c)) {
			fmt_string(sp, v->s, v->n, b);
			return;
		}
		bad_verb(e, sp, v, b);
		return;
	case TMPL_V_STRS:
		puts_(b, "[");
		for (size_t i = 0; i < v->n; i++) {
			struct tmpl_val x = { .kind = TMPL_V_STR,
					      .s = v->v[i],
					      .n = strlen(v->v[i]) };

			if (i)
				puts_(b, " ");
			fmt_value(e, sp, &x, b, depth + 1);
		}
		puts_(b, "]");
		return;
	case TMPL_V_NODE:
		fmt_node(e, sp, v, b, depth);
		return;
	}
}

static int f_printf(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		    struct tmpl_val *res, struct kerr *err)
{
	const char *f = a[0].s;
	size_t flen = a[0].n, argi = 1;
	struct buf b;

	buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < flen;) {
		if (f[i] != '%') {
			size_t j = i;

			while (j < flen && f[j] != '%')
				j++;
			put(&b, f + i, j - i);
			i = j;
			continue;
		}
		i++;
		struct spec sp = { .width = -1, .prec = -1 };
		for (; i < flen; i++) {
			if (f[i] == '-')
				sp.minus = true;
			else if (f[i] == '+')
				sp.plus = true;
			else if (f[i] == '#')
				sp.sharp = true;
			else if (f[i] == ' ')
				sp.space = true;
			else if (f[i] == '0')
				sp.zero = !sp.minus;
			else
				break;
		}
		if (i < flen && f[i] == '*') {
			i++;
			if (argi < n && a[argi].kind == TMPL_V_INT) {
				int64_t w = a[argi++].i;
				sp.width = w < 0 ? (int)(w < -1000 ? 1000 : -w)
						 : (int)(w > 1000 ? 1000 : w);
				sp.minus |= w < 0;
			} else {
				puts_(&b, "%!(BADWIDTH)");
				argi += argi < n;
			}
		} else {
			while (i < flen && f[i] >= '0' && f[i] <= '9') {
				sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i] - '0');
				if (sp.width > 1000)
					sp.width = 1000;
				i++;
			}
		}
		if (i < flen && f[i] == '.') {
			i++;
			sp.prec = 0;
			if (i < flen && f[i] == '*') {
				i++;
				if (argi < n && a[argi].kind == TMPL_V_INT && a[argi].i >= 0)
					sp.prec = a[argi++].i > 1000 ? 1000 : (int)a[argi - 1].i;
				else {
					puts_(&b, "%!(BADPREC)");
					argi += argi < n;
				}
			}
			while (i < flen && f[i] >= '0' && f[i] <= '9') {
				sp.prec = sp.prec * 10 + (f[i] - '0');
				if (sp.prec > 1000)
					sp.prec = 1000;
				i++;
			}
		}
		if (i >= flen) {
			puts_(&b, "%!(NOVERB)");
			break;
		}
		/* The verb: one UTF-8 character. */
		size_t vl = json_string_utf8_len((const unsigned char *)f + i, flen - i);
		if (vl == 0)
			vl = 1;
		char verb = f[i];
		i += vl;
		if (verb == '%') {
			puts_(&b, "%");
			continue;
		}
		if (argi >= n) {
			puts_(&b, "%!");
			put(&b, f + i - vl, vl);
			puts_(&b, "(MISSING)");
			continue;
		}
		sp.verb = vl == 1 && strchr("vsqdxXoObcUeEfFgGt", verb) ? verb : '?';
		if (sp.verb == '?') {
			puts_(&b, "%!");
			put(&b, f + i - vl, vl);
			puts_(&b, "(");
			puts_(&b, tmpl_val_type(e, &a[argi]));
			puts_(&b, "=");
			tmpl_val_print(e, &a[argi], &b);
			puts_(&b, ")");
			argi++;
			continue;
		}
		fmt_value(e, &sp, &a[argi++], &b, 0);
		if (b.len > TMPL_OUT_MAX) {
			buf_done(&b);
			return kerr_set(err, 0, "output exceeds %u bytes", TMPL_OUT_MAX);
		}
	}
	if (argi < n) {
		puts_(&b, "%!(EXTRA ");
		for (size_t k = argi; k < n; k++) {
			if (k > argi)
				puts_(&b, ", ");
			if (a[k].kind == TMPL_V_NIL || a[k].kind == TMPL_V_NONE) {
				puts_(&b, "<nil>");
				continue;
			}
			puts_(&b, tmpl_val_type(e, &a[k]));
			puts_(&b, "=");
			tmpl_val_print(e, &a[k], &b);
		}
		puts_(&b, ")");
	}
	return str_result(e, &b, res, err);
}

/* ---- html, urlquery ---- */

/* The text of the arguments: a lone string as it is, else fmt.Sprint of them all. */
static void args_text(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct buf *b)
{
	if (n == 1 && a[0].kind == TMPL_V_STR)
		put(b, a[0].s, a[0].n);
	else
		sprint(e, a, n, false, b);
}

static int f_html(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		  struct tmpl_val *res, struct kerr *err)
{
	struct buf in, b;

	buf_init(&in, SIZE_MAX);
	buf_init(&b, SIZE_MAX);
	args_text(e, a, n, &in);
	for (size_t i = 0; i < in.len; i++) {
		switch (in.data[i]) {
		case '"':
			puts_(&b, "&#34;");
			break;
		case '\'':
			puts_(&b, "&#39;");
			break;
		case '&':
			puts_(&b, "&amp;");
			break;
		case '<':
			puts_(&b, "&lt;");
			break;
		case '>':
			puts_(&b, "&gt;");
			break;
		case '\0':
			puts_(&b, "\xef\xbf\xbd");
			break;
		default:
			put(&b, &in.data[i], 1);
		}
	}
	buf_done(&in);
	return str_result(e, &b, res, err);
}

static int f_urlquery(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		      struct tmpl_val *res, struct kerr *err)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf in, b;

	buf_init(&in, SIZE_MAX);
	buf_init(&b, SIZE_MAX);
	args_text(e, a, n, &in);
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = in.data[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			put(&b, &c, 1);
		} else if (c == ' ') {
			puts_(&b, "+");
		} else {
			char h[3] = { '%', hex[c >> 4], hex[c & 15] };
			put(&b, h, 3);
		}
	}
	buf_done(&in);
	return str_result(e, &b, res, err);
}

/* ---- docker's functions ---- */

static int f_json(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		  struct tmpl_val *res, struct kerr *err)
{
	struct buf b;

	(void)n;
	buf_init(&b, SIZE_MAX);
	tmpl_val_json(e, &a[0], &b);
	return str_result(e, &b, res, err);
}

static int f_split(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	const char *s = a[0].s, *sep = a[1].s;
	size_t len = a[0].n, slen = a[1].n, parts = 1;

	(void)n;
	/* Count first: a separator of "" splits between UTF-8 characters. */
	if (slen == 0) {
		parts = 0;
		for (size_t i = 0; i < len; parts++) {
			size_t l = json_string_utf8_len((const unsigned char *)s + i, len - i);
			i += l ? l : 1;
		}
	} else {
		for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), sep, slen));
		     p += slen)
			parts++;
	}
	const char **v = tmpl_arena_alloc(e->arena, (parts + 1) * sizeof(*v), err);
	if (!v)
		return -1;
	size_t k = 0, i = 0;
	while (k < parts) {
		size_t j;

		if (slen == 0) {
			size_t l = json_string_utf8_len((const unsigned char *)s + i, len - i);
			j = i + (l ? l : 1);
		} else {
			const char *p = k + 1 < parts ? memmem(s + i, len - i, sep, slen) : NULL;
			j = p ? (size_t)(p - s) : len;
		}
		if (!(v[k++] = tmpl_arena_strndup(e->arena, s + i, j - i, err)))
			return -1;
		i = slen ? j + slen : j;
	}
	*res = (struct tmpl_val){ .kind = TMPL_V_STRS, .v = v, .n = parts };
	return 0;
}

static int f_join(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		  struct tmpl_val *res, struct kerr *err)
{
	struct buf b;
	struct tmpl_val x;

	(void)n;
	buf_init(&b, SIZE_MAX);
	if (a[0].kind == TMPL_V_STRS) {
		for (size_t i = 0; i < a[0].n; i++) {
			if (i)
				put(&b, a[1].s, a[1].n);
			puts_(&b, a[0].v[i]);
		}
	} else if (a[0].kind == TMPL_V_NODE) {
		const struct json_doc *d = a[0].doc;

		for (int m = 0, k = a[0].tok + 1; m < d->toks[a[0].tok].size;
		     m++, k = json_skip(d, k)) {
			if (tmpl_val_of_tok(e, d, k, &x, err) < 0) {
				buf_done(&b);
				return -1;
			}
			if (m)
				put(&b, a[1].s, a[1].n);
			put(&b, x.s, x.n);
		}
	}
	return str_result(e, &b, res, err);
}

/* Go's strings.Map of a case function over UTF-8 (invalid bytes become U+FFFD). */
static int map_case(const struct tmpl_env *e, const struct tmpl_val *in, int mode,
		    struct tmpl_val *res, struct kerr *err)
{
	const unsigned char *s = (const unsigned char *)in->s;
	bool word_start = true;
	struct buf b;

	buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < in->n;) {
		size_t l = json_string_utf8_len(s + i, in->n - i);
		unsigned r;

		if (l == 0) {
			puts_(&b, "\xef\xbf\xbd");
			i++;
			word_start = false;
			continue;
		}
		r = l == 1   ? s[i]
		    : l == 2 ? (s[i] & 0x1fu) << 6 | (s[i + 1] & 0x3fu)
		    : l == 3 ? (s[i] & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu)
			     : (s[i] & 0x07u) << 18 | (s[i + 1] & 0x3fu) << 12 |
				       (s[i + 2] & 0x3fu) << 6 | (s[i + 3] & 0x3fu);
		unsigned out = r;
		if (mode == 0)
			out = (unsigned)towlower((wint_t)r);
		else if (mode == 1)
			out = (unsigned)towupper((wint_t)r);
		else {
			/* title: strings.Title's word starts: after anything but a letter, a
			 * digit or '_' (ASCII), or after Unicode spaces. */
			bool sep = r < 0x80 ? !((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
						(r >= '0' && r <= '9') || r == '_')
					    : iswspace((wint_t)r) != 0;
			if (word_start && !sep)
				out = (unsigned)towupper((wint_t)r);
			word_start = sep;
		}
		char enc[4];
		size_t el;
		if (out < 0x80) {
			enc[0] = (char)out;
			el = 1;
		} else if (out < 0x800) {
			enc[0] = (char)(0xc0 | (out >> 6));
			enc[1] = (char)(0x80 | (out & 0x3f));
			el = 2;
		} else if (out < 0x10000) {
			enc[0] = (char)(0xe0 | (out >> 12));
			enc[1] = (char)(0x80 | ((out >> 6) & 0x3f));
			enc[2] = (char)(0x80 | (out & 0x3f));
			el = 3;
		} else {
			enc[0] = (char)(0xf0 | (out >> 18));
			enc[1] = (char)(0x80 | ((out >> 12) & 0x3f));
			enc[2] = (char)(0x80 | ((out >> 6) & 0x3f));
			enc[3] = (char)(0x80 | (out & 0x3f));
			el = 4;
		}
		put(&b, enc, el);
		i += l;
	}
	return str_result(e, &b, res, err);
}

static int f_lower(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	(void)n;
	return map_case(e, &a[0], 0, res, err);
}

static int f_upper(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	(void)n;
	return map_case(e, &a[0], 1, res, err);
}

static int f_title(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		   struct tmpl_val *res, struct kerr *err)
{
	(void)n;
	return map_case(e, &a[0], 2, res, err);
}

static int f_pad(const struct tmpl_env *e, const struct tmpl_val *a, size_t n, struct tmpl_val *res,
		 struct kerr *err)
{
	struct buf b;

	(void)n;
	if (a[0].n == 0) {
		*res = a[0];
		return 0;
	}
	if (a[1].i < 0 || a[2].i < 0)
		return kerr_set(err, 0, "strings: negative Repeat count");
	if (a[1].i > TMPL_OUT_MAX || a[2].i > TMPL_OUT_MAX)
		return kerr_set(err, 0, "padding exceeds %u bytes", TMPL_OUT_MAX);
	buf_init(&b, SIZE_MAX);
	for (int64_t i = 0; i < a[1].i; i++)
		puts_(&b, " ");
	put(&b, a[0].s, a[0].n);
	for (int64_t i = 0; i < a[2].i; i++)
		puts_(&b, " ");
	return str_result(e, &b, res, err);
}

static int f_truncate(const struct tmpl_env *e, const struct tmpl_val *a, size_t n,
		      struct tmpl_val *res, struct kerr *err)
{
	(void)e, (void)n;
	if ((int64_t)a[0].n < a[1].i) {
		*res = a[0];
		return 0;
	}
	if (a[1].i < 0)
		return kerr_set(err, 0, "runtime error: slice bounds out of range [:%" PRId64 "]",
				a[1].i);
	*res = a[0];
	res->n = (size_t)a[1].i;
	char *s = tmpl_arena_strndup(e->arena, a[0].s, res->n, err);
	if (!s)
		return -1;
	res->s = s;
	return 0;
}

/* Sorted by name for tmpl_func_find's binary search. */
static const struct tmpl_func funcs[] = {
	{ .name = "and", .types = "a", .rest = 'a', .lazy = true, .fn = f_and },
	{ .name = "eq", .types = "a", .rest = 'a', .fn = f_eq },
	{ .name = "ge", .types = "aa", .fn = f_ge },
	{ .name = "gt", .types = "aa", .fn = f_gt },
	{ .name = "html", .types = "", .rest = 'a', .fn = f_html },
	{ .name = "index", .types = "a", .rest = 'a', .fn = f_index },
	{ .name = "join", .types = "ls", .header_id = true, .fn = f_join },
	{ .name = "json", .types = "a", .header_id = true, .fn = f_json },
	{ .name = "le", .types = "aa", .fn = f_le },
	{ .name = "len", .types = "a", .fn = f_len },
	{ .name = "lower", .types = "s", .header_id = true, .fn = f_lower },
	{ .name = "lt", .types = "aa", .fn = f_lt },
	{ .name = "ne", .types = "aa", .fn = f_ne },
	{ .name = "not", .types = "a", .fn = f_not },
	{ .name = "or", .types = "a", .rest = 'a', .lazy = true, .fn = f_or },
	{ .name = "pad", .types = "sii", .fn = f_pad },
	{ .name = "print", .types = "", .rest = 'a', .fn = f_print },
	{ .name = "printf", .types = "s", .rest = 'a', .fn = f_printf },
	{ .name = "println", .types = "", .rest = 'a', .fn = f_println },
	{ .name = "slice", .types = "a", .rest = 'a', .fn = f_slice },
	{ .name = "split", .types = "ss", .header_id = true, .fn = f_split },
	{ .name = "title", .types = "s", .header_id = true, .fn = f_title },
	{ .name = "truncate", .types = "si", .header_id = true, .fn = f_truncate },
	{ .name = "upper", .types = "s", .header_id = true, .fn = f_upper },
	{ .name = "urlquery", .types = "", .rest = 'a', .fn = f_urlquery },
};

const struct tmpl_func *tmpl_func_find(const char *name, size_t n)
{
	size_t lo = 0, hi = sizeof(funcs) / sizeof(funcs[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		size_t ml = strlen(funcs[mid].name);
		int c = strncmp(funcs[mid].name, name, n < ml ? n : ml);

		if (c == 0)
			c = ml < n ? -1 : ml > n;
		if (c == 0)
			return &funcs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
