/*
 * tmpl_parse: tokens into the tree tmpl_exec walks, with Go text/template's grammar and
 * its error messages (mechanism, rank 20; calls tmpl_lex.c, tmpl_func.c, tmpl_value.c and
 * the arena).
 *
 * Supported: text, actions, pipelines with declarations ($x := / $x = / $i, $e :=), if /
 * else if / else, range (with break and continue), with / else with, parenthesised
 * pipelines, field chains on dot, variables and parentheses, every literal. define,
 * template and block are refused by name. As Go does, the parser checks that every
 * function exists and every variable is declared, so those fail before any output.
 * Invariants: nesting is capped at TMPL_DEPTH_MAX (recursion depth), variables in scope at
 * TMPL_VARS_MAX; every node lives in the template's arena.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_string.h"
#include "tmpl/tmpl_int.h"

/* The parser's state. */
struct parser {
	const struct tmpl_tok *toks;	 /* arena: every token, the last EOF or ERROR */
	size_t n;			 /* entries of toks */
	size_t i;			 /* next token */
	struct tmpl *t;			 /* what is being built (its arena) */
	struct kerr *err;		 /* the first failure */
	bool failed;			 /* err is set: unwind */
	const char *vars[TMPL_VARS_MAX]; /* variables in scope ("$" first) */
	size_t nvars;			 /* entries of vars */
	int depth;			 /* nesting of blocks and parentheses */
	int range_depth;		 /* open ranges, for break and continue */
	int action_line;		 /* line of the open action's "{{", 0 outside */
};

__attribute__((format(printf, 3, 4))) static void errorf(struct parser *p, int line,
							 const char *fmt, ...)
{
	char msg[KERR_MSG_MAX / 2];
	va_list ap;

	if (p->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->failed = true;
	kerr_set(p->err, 0, "template: :%d: %s", line, msg);
}

/* The token at i; past the end, the last one (EOF or ERROR) again. */
static const struct tmpl_tok *tok_at(const struct parser *p, size_t i)
{
	return &p->toks[i < p->n ? i : p->n - 1];
}

static const struct tmpl_tok *next(struct parser *p)
{
	return tok_at(p, p->i++);
}

static const struct tmpl_tok *peek(const struct parser *p)
{
	return tok_at(p, p->i);
}

static void backup(struct parser *p, size_t k)
{
	p->i = p->i >= k ? p->i - k : 0;
}

static const struct tmpl_tok *next_nonspace(struct parser *p)
{
	const struct tmpl_tok *t;

	do
		t = next(p);
	while (t->kind == TMPL_T_SPACE);
	return t;
}

/* The next token that is not a blank, leaving it unread (the blanks are consumed). */
static const struct tmpl_tok *peek_nonspace(struct parser *p)
{
	while (peek(p)->kind == TMPL_T_SPACE)
		p->i++;
	return peek(p);
}

static bool is_keyword(enum tmpl_tok_kind k)
{
	return k >= TMPL_T_IF;
}

/* "unexpected X in CONTEXT", X as Go's item String() writes it; a lexical error is
 * reported as itself. */
static void unexpected(struct parser *p, const struct tmpl_tok *t, const char *context)
{
	struct buf q;
	struct kerr ignored;

	if (p->failed)
		return;
	if (t->kind == TMPL_T_ERROR) {
		if (p->action_line && p->action_line != t->line) {
			bool action = t->len >= 7 && memcmp(t->s + t->len - 7, " action", 7) == 0;

			errorf(p, t->line, "%.*s%s started at :%d", t->len, t->s,
			       action ? "" : " in action", p->action_line);
		} else {
			errorf(p, t->line, "%.*s", t->len, t->s);
		}
		return;
	}
	if (t->kind == TMPL_T_EOF) {
		errorf(p, t->line, "unexpected EOF in %s", context);
		return;
	}
	if (is_keyword(t->kind) && t->kind != TMPL_T_BOOL && t->kind != TMPL_T_NIL) {
		errorf(p, t->line, "unexpected <%.*s> in %s", t->len, t->s, context);
		return;
	}
	buf_init(&q, 256);
	/* Go: %.10q... for a token longer than 10 bytes. */
	size_t n = (size_t)t->len;
	if (n > 10) {
		size_t k = 0, runes = 0;

		while (k < n && runes < 10) {
			k++;
			while (k < n && ((unsigned char)t->s[k] & 0xc0) == 0x80)
				k++;
			runes++;
		}
		tmpl_val_quote(t->s, k, &q);
		buf_append_str(&q, "...", &ignored);
	} else {
		tmpl_val_quote(t->s, n, &q);
	}
	errorf(p, t->line, "unexpected %.*s in %s", (int)q.len, q.data ? (const char *)q.data : "",
	       context);
	buf_done(&q);
}

static struct tmpl_node *new_node(struct parser *p, enum tmpl_node_kind kind,
				  const struct tmpl_tok *at)
{
	struct tmpl_node *n;

	if (p->failed)
		return NULL;
	n = tmpl_arena_alloc(&p->t->arena, sizeof(*n), p->err);
	if (!n) {
		p->failed = true;
		return NULL;
	}
	n->kind = kind;
	n->pos = at->pos;
	n->line = at->line;
	return n;
}

/* Appends kid to n->kids (arrays grow by doubling inside the arena). */
static void add_kid(struct parser *p, struct tmpl_node *n, struct tmpl_node *kid)
{
	if (p->failed || !n || !kid)
		return;
	/* Capacity is the next power of two at or above nkids (none below 4). */
	size_t cap = 4;
	while (cap < n->nkids)
		cap *= 2;
	if (n->nkids == 0 || n->nkids == cap) {
		size_t want = n->nkids == 0 ? 4 : cap * 2;
		struct tmpl_node **k = tmpl_arena_alloc(&p->t->arena, want * sizeof(*k), p->err);

		if (!k) {
			p->failed = true;
			return;
		}
		if (n->nkids)
			memcpy(k, n->kids, n->nkids * sizeof(*k));
		n->kids = k;
	}
	n->kids[n->nkids++] = kid;
}

/* Appends a name to an arena array of strings (idents or decl). */
static bool add_name(struct parser *p, const char ***v, size_t *nv, const char *s, size_t len)
{
	char *copy = tmpl_arena_strndup(&p->t->arena, s, len, p->err);
	const char **grown =
		copy ? tmpl_arena_alloc(&p->t->arena, (*nv + 1) * sizeof(**v), p->err) : NULL;

	if (!grown) {
		p->failed = true;
		return false;
	}
	if (*nv)
		memcpy(grown, *v, *nv * sizeof(**v));
	grown[(*nv)++] = copy;
	*v = grown;
	return true;
}

/* Splits ".A.B" (or "$x.A") into names on n->idents. */
static bool add_path(struct parser *p, struct tmpl_node *n, const char *s, size_t len)
{
	size_t i = 0;

	if (len && s[0] == '.')
		i = 1;
	while (i <= len) {
		size_t j = i;

		while (j < len && s[j] != '.')
			j++;
		if (j > i && !add_name(p, &n->idents, &n->nidents, s + i, j - i))
			return false;
		i = j + 1;
	}
	return true;
}

/* ---- literals ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, unsigned r)
{
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xc0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xe0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		o[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	o[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

/* Go's strconv.Unquote of a "…", `…` or '…' literal into out (at least len bytes).
 * Returns the length, or -1 for invalid syntax. */
static long unquote(const char *s, size_t len, char *out)
{
	char q = s[0];
	size_t o = 0;

	if (len < 2 || s[len - 1] != q)
		return -1;
	if (q == '`') {
		for (size_t i = 1; i + 1 < len; i++)
			if (s[i] != '\r')
				out[o++] = s[i];
		return (long)o;
	}
	for (size_t i = 1; i + 1 < len;) {
		char c = s[i++];

		if (c == q)
			return -1;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		c = s[i++];
		unsigned r = 0;
		int digits = 0, base = 16;
		switch (c) {
		case 'a':
			out[o++] = '\a';
			continue;
		case 'b':
			out[o++] = '\b';
			continue;
		case 'f':
			out[o++] = '\f';
			continue;
		case 'n':
			out[o++] = '\n';
			continue;
		case 'r':
			out[o++] = '\r';
			continue;
		case 't':
			out[o++] = '\t';
			continue;
		case 'v':
			out[o++] = '\v';
			continue;
		case '\\':
			out[o++] = '\\';
			continue;
		case '"':
		case '\'':
			if (c != q)
				return -1;
			out[o++] = c;
			continue;
		case 'x':
			digits = 2;
			break;
		case 'u':
			digits = 4;
			break;
		case 'U':
			digits = 8;
			break;
		default:
			if (c < '0' || c > '7')
				return -1;
			i--;
			digits = 3;
			base = 8;
		}
		for (int d = 0; d < digits; d++) {
			int v = i + 1 < len ? hexval(s[i]) : -1;

			if (v < 0 || v >= base)
				return -1;
			r = r * (unsigned)base + (unsigned)v;
			i++;
		}
		if (c == 'x' || base == 8) {
			if (r > 255)
				return -1;
			out[o++] = (char)r;
		} else {
			if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
				return -1;
			o += put_utf8(out + o, r);
		}
	}
	return (long)o;
}

/* A number literal: Go's integer forms (0x, 0o, 0b, a leading 0 for octal, '_'), else a
 * float; a character constant is its code point. */
static struct tmpl_node *number(struct parser *p, const struct tmpl_tok *t)
{
	struct tmpl_node *n = new_node(p, TMPL_N_NUMBER, t);
	char text[128], *end;
	size_t k = 0;

	if (!n)
		return NULL;
	if ((size_t)t->len >= sizeof(text)) {
		errorf(p, t->line, "illegal number syntax: \"%.*s\"", 64, t->s);
		return NULL;
	}
	n->s = tmpl_arena_strndup(&p->t->arena, t->s, (size_t)t->len, p->err);
	n->n = (size_t)t->len;
	if (!n->s) {
		p->failed = true;
		return NULL;
	}
	if (t->kind == TMPL_T_CHAR) {
		char buf[16]; /* unquote writes at most len - 2 bytes: 10 */
		long m = (size_t)t->len <= 12 ? unquote(t->s, (size_t)t->len, buf) : -1;
		size_t cl = m > 0 ? json_string_utf8_len((const unsigned char *)buf, (size_t)m) : 0;

		if (m <= 0 || cl != (size_t)m) {
			errorf(p, t->line, "malformed character constant: %.*s", t->len, t->s);
			return NULL;
		}
		unsigned r = (unsigned char)buf[0];
		if (cl == 2)
			r = (r & 0x1fu) << 6 | ((unsigned char)buf[1] & 0x3fu);
		else if (cl == 3)
			r = (r & 0x0fu) << 12 | ((unsigned char)buf[1] & 0x3fu) << 6 |
			    ((unsigned char)buf[2] & 0x3fu);
		else if (cl == 4)
			r = (r & 0x07u) << 18 | ((unsigned char)buf[1] & 0x3fu) << 12 |
			    ((unsigned char)buf[2] & 0x3fu) << 6 | ((unsigned char)buf[3] & 0x3fu);
		n->is_int = true;
		n->ival = r;
		n->fval = r;
		return n;
	}
	for (int i = 0; i < t->len && k + 1 < sizeof(text); i++)
		if (t->s[i] != '_')
			text[k++] = t->s[i];
	text[k] = '\0';
	const char *d = text;
	bool neg = *d == '-';
	if (*d == '+' || *d == '-')
		d++;
	int base = 10;
	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
		base = 16, d += 2;
	else if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O'))
		base = 8, d += 2;
	else if (d[0] == '0' && (d[1] == 'b' || d[1] == 'B'))
		base = 2, d += 2;
	else if (d[0] == '0' && d[1] >= '0' && d[1] <= '9')
		base = 8, d += 1;
	if (*d && *d != '-' && *d != '+') {
		errno = 0;
		unsigned long long u = strtoull(d, &end, base);
		if (*end == '\0' && errno == 0 && u <= (unsigned long long)INT64_MAX + neg) {
			n->is_int = true;
			n->ival = neg ? (int64_t)(0 - u) : (int64_t)u;
			n->fval = (double)n->ival;
			return n;
		}
	}
	if (base != 2 && !strpbrk(text, "oOnNiI")) {
		errno = 0;
		double f = strtod(text, &end);
		if (*end == '\0' && k > 0 && errno == 0) {
			n->fval = f;
			return n;
		}
	}
	errorf(p, t->line, "illegal number syntax: \"%.*s\"", t->len < 64 ? t->len : 64, t->s);
	return NULL;
}

static struct tmpl_node *string_lit(struct parser *p, const struct tmpl_tok *t)
{
	struct tmpl_node *n = new_node(p, TMPL_N_STRING, t);
	char *out = n ? tmpl_arena_alloc(&p->t->arena, (size_t)t->len + 1, p->err) : NULL;

	if (!out) {
		p->failed = true;
		return NULL;
	}
	long m = unquote(t->s, (size_t)t->len, out);
	if (m < 0) {
		errorf(p, t->line, "invalid syntax");
		return NULL;
	}
	out[m] = '\0';
	n->s = out;
	n->n = (size_t)m;
	n->lit = t->s;
	n->nlit = (size_t)t->len;
	return n;
}

/* ---- pipelines ---- */

static struct tmpl_node *pipeline(struct parser *p, const char *context, enum tmpl_tok_kind end);

static bool var_in_scope(const struct parser *p, const char *name, size_t len)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strlen(p->vars[i]) == len && memcmp(p->vars[i], name, len) == 0)
			return true;
	return false;
}

static void push_var(struct parser *p, const char *name, int line)
{
	if (p->nvars == TMPL_VARS_MAX) {
		errorf(p, line, "more than %d variables in scope", TMPL_VARS_MAX);
		return;
	}
	p->vars[p->nvars++] = name;
}

static struct tmpl_node *term(struct parser *p)
{
	const struct tmpl_tok *t = next_nonspace(p);
	struct tmpl_node *n;

	switch (t->kind) {
	case TMPL_T_IDENT:
		if (!tmpl_func_find(t->s, (size_t)t->len)) {
			errorf(p, t->line, "function \"%.*s\" not defined",
			       t->len < 64 ? t->len : 64, t->s);
			return NULL;
		}
		n = new_node(p, TMPL_N_IDENT, t);
		if (n) {
			n->fn = tmpl_func_find(t->s, (size_t)t->len);
			n->s = t->s;
			n->n = (size_t)t->len;
		}
		return n;
	case TMPL_T_DOT:
		return new_node(p, TMPL_N_DOT, t);
	case TMPL_T_NIL:
		return new_node(p, TMPL_N_NIL, t);
	case TMPL_T_VAR: {
		size_t base = 0;

		while (base < (size_t)t->len && t->s[base] != '.')
			base++;
		if (!var_in_scope(p, t->s, base)) {
			errorf(p, t->line, "undefined variable \"%.*s\"", (int)base, t->s);
			return NULL;
		}
		n = new_node(p, TMPL_N_VAR, t);
		if (n && !add_name(p, &n->idents, &n->nidents, t->s, base))
			return NULL;
		return n;
	}
	case TMPL_T_FIELD:
		n = new_node(p, TMPL_N_FIELD, t);
		if (n && !add_path(p, n, t->s, (size_t)t->len))
			return NULL;
		return n;
	case TMPL_T_BOOL:
		n = new_node(p, TMPL_N_BOOL, t);
		if (n)
			n->bval = t->len == 4;
		return n;
	case TMPL_T_NUMBER:
	case TMPL_T_CHAR:
		return number(p, t);
	case TMPL_T_STRING:
	case TMPL_T_RAW:
		return string_lit(p, t);
	case TMPL_T_LPAREN:
		if (++p->depth > TMPL_DEPTH_MAX) {
			errorf(p, t->line, "parentheses nested deeper than %d", TMPL_DEPTH_MAX);
			return NULL;
		}
		n = pipeline(p, "parenthesized pipeline", TMPL_T_RPAREN);
		p->depth--;
		return n;
	default:
		backup(p, 1);
		return NULL;
	}
}

static struct tmpl_node *operand(struct parser *p)
{
	struct tmpl_node *n = term(p);

	if (!n || peek(p)->kind != TMPL_T_FIELD)
		return n;
	const struct tmpl_tok *first = peek(p);
	switch (n->kind) {
	case TMPL_N_FIELD:
	case TMPL_N_VAR:
		/* Go puts the further fields on the field or variable itself, at the position
		 * of the first of them. */
		n->pos = first->pos;
		n->line = first->line;
		while (peek(p)->kind == TMPL_T_FIELD && !p->failed) {
			const struct tmpl_tok *f = next(p);
			add_path(p, n, f->s, (size_t)f->len);
		}
		return p->failed ? NULL : n;
	case TMPL_N_BOOL:
	case TMPL_N_STRING:
	case TMPL_N_NUMBER:
	case TMPL_N_NIL:
	case TMPL_N_DOT: {
		struct buf s;

		buf_init(&s, 256);
		tmpl_node_string(n, &s);
		errorf(p, first->line, "unexpected . after term \"%.*s\"", (int)s.len,
		       s.data ? (const char *)s.data : "");
		buf_done(&s);
		return NULL;
	}
	default: {
		struct tmpl_node *c = new_node(p, TMPL_N_CHAIN, first);

		if (!c)
			return NULL;
		c->sub = n;
		while (peek(p)->kind == TMPL_T_FIELD && !p->failed) {
			const struct tmpl_tok *f = next(p);
			add_path(p, c, f->s, (size_t)f->len);
		}
		return p->failed ? NULL : c;
	}
	}
}

static struct tmpl_node *command(struct parser *p)
{
	struct tmpl_node *cmd = new_node(p, TMPL_N_CMD, peek_nonspace(p));

	while (cmd && !p->failed) {
		peek_nonspace(p);
		struct tmpl_node *o = operand(p);
		if (p->failed)
			return NULL;
		if (o)
			add_kid(p, cmd, o);
		const struct tmpl_tok *t = next(p);
		if (t->kind == TMPL_T_SPACE)
			continue;
		if (t->kind == TMPL_T_RIGHT || t->kind == TMPL_T_RPAREN) {
			backup(p, 1);
		} else if (t->kind != TMPL_T_PIPE) {
			unexpected(p, t, "operand");
			return NULL;
		}
		break;
	}
	if (cmd && !p->failed && cmd->nkids == 0) {
		errorf(p, cmd->line, "empty command");
		return NULL;
	}
	return p->failed ? NULL : cmd;
}

static bool starts_operand(enum tmpl_tok_kind k)
{
	switch (k) {
	case TMPL_T_BOOL:
	case TMPL_T_CHAR:
	case TMPL_T_DOT:
	case TMPL_T_FIELD:
	case TMPL_T_IDENT:
	case TMPL_T_NUMBER:
	case TMPL_T_NIL:
	case TMPL_T_RAW:
	case TMPL_T_STRING:
	case TMPL_T_VAR:
	case TMPL_T_LPAREN:
		return true;
	default:
		return false;
	}
}

/* "$x :=", "$x =", "$i, $e :=" (range): declarations before the commands. */
static bool declarations(struct parser *p, struct tmpl_node *pipe, const char *context)
{
	for (;;) {
		const struct tmpl_tok *v = peek_nonspace(p);

		if (v->kind != TMPL_T_VAR)
			return true;
		size_t at = p->i;
		next(p);
		const struct tmpl_tok *t = peek_nonspace(p);
		if (t->kind == TMPL_T_ASSIGN || t->kind == TMPL_T_DECLARE) {
			pipe->assign = t->kind == TMPL_T_ASSIGN;
			next_nonspace(p);
			if (!add_name(p, &pipe->decl, &pipe->ndecl, v->s, (size_t)v->len))
				return false;
			/* Go declares even an assigned name here; exec finds it undefined. */
			push_var(p, pipe->decl[pipe->ndecl - 1], v->line);
			return !p->failed;
		}
		if (t->kind == TMPL_T_COMMA) {
			next_nonspace(p);
			if (!add_name(p, &pipe->decl, &pipe->ndecl, v->s, (size_t)v->len))
				return false;
			push_var(p, pipe->decl[pipe->ndecl - 1], v->line);
			if (strcmp(context, "range") == 0 && pipe->ndecl < 2) {
				enum tmpl_tok_kind k = peek_nonspace(p)->kind;

				if (k == TMPL_T_VAR || k == TMPL_T_RIGHT || k == TMPL_T_RPAREN)
					continue;
				errorf(p, v->line, "range can only initialize variables");
				return false;
			}
			errorf(p, v->line, "too many declarations in %s", context);
			return false;
		}
		p->i = at; /* $x is an operand, not a declaration */
		return true;
	}
}

static struct tmpl_node *pipeline(struct parser *p, const char *context, enum tmpl_tok_kind end)
{
	struct tmpl_node *pipe = new_node(p, TMPL_N_PIPE, peek_nonspace(p));

	if (!pipe || !declarations(p, pipe, context))
		return NULL;
	for (;;) {
		const struct tmpl_tok *t = next_nonspace(p);

		if (t->kind == end) {
			if (pipe->nkids == 0) {
				errorf(p, t->line, "missing value for %s", context);
				return NULL;
			}
			for (size_t i = 1; i < pipe->nkids; i++) {
				enum tmpl_node_kind k = pipe->kids[i]->kids[0]->kind;

				if (k != TMPL_N_FIELD && k != TMPL_N_CHAIN && k != TMPL_N_IDENT &&
				    k != TMPL_N_VAR && k != TMPL_N_PIPE) {
					errorf(p, t->line,
					       "non executable command in pipeline stage %zu",
					       i + 1);
					return NULL;
				}
			}
			return pipe;
		}
		if (!starts_operand(t->kind)) {
			unexpected(p, t, context);
			return NULL;
		}
		backup(p, 1);
		struct tmpl_node *cmd = command(p);
		if (!cmd)
			return NULL;
		add_kid(p, pipe, cmd);
		if (p->failed)
			return NULL;
	}
}

/* ---- actions and blocks ---- */

/* What ended an item list: {{end}}, {{else}} (else_if: an "if" or "with" follows). */
enum list_end {
	END_NONE = 0, /* failed */
	END_END,      /* {{end}} */
	END_ELSE,     /* {{else}} */
};

static struct tmpl_node *text_or_action(struct parser *p, enum list_end *ended);

static struct tmpl_node *item_list(struct parser *p, enum list_end *ended,
				   const struct tmpl_tok **end_tok)
{
	struct tmpl_node *list = new_node(p, TMPL_N_LIST, peek_nonspace(p));

	*ended = END_NONE;
	while (list && !p->failed && peek_nonspace(p)->kind != TMPL_T_EOF) {
		enum list_end e = END_NONE;
		const struct tmpl_tok *at = peek_nonspace(p);
		struct tmpl_node *n = text_or_action(p, &e);

		if (p->failed)
			return NULL;
		if (e != END_NONE) {
			*ended = e;
			*end_tok = at;
			return list;
		}
		add_kid(p, list, n);
	}
	if (!p->failed)
		errorf(p, peek(p)->line, "unexpected EOF");
	return NULL;
}

/* if, range, with: the pipeline, the body, the else branch. */
static struct tmpl_node *control(struct parser *p, enum tmpl_node_kind kind, const char *context,
				 const struct tmpl_tok *kw)
{
	size_t saved = p->nvars;
	struct tmpl_node *n = new_node(p, kind, kw);
	enum list_end ended;
	const struct tmpl_tok *end_tok = NULL;

	if (!n)
		return NULL;
	if (++p->depth > TMPL_DEPTH_MAX) {
		errorf(p, kw->line, "blocks nested deeper than %d", TMPL_DEPTH_MAX);
		return NULL;
	}
	n->pipe = pipeline(p, context, TMPL_T_RIGHT);
	if (!n->pipe)
		return NULL;
	n->pos = n->pipe->pos;
	n->line = n->pipe->line;
	if (kind == TMPL_N_RANGE)
		p->range_depth++;
	n->list = item_list(p, &ended, &end_tok);
	if (kind == TMPL_N_RANGE)
		p->range_depth--;
	if (!n->list)
		return NULL;
	if (ended == END_ELSE) {
		const struct tmpl_tok *t = peek(p);

		if ((kind == TMPL_N_IF && t->kind == TMPL_T_IF) ||
		    (kind == TMPL_N_WITH && t->kind == TMPL_T_WITH)) {
			/* {{else if b}}…{{end}} is {{else}}{{if b}}…{{end}}{{end}}. */
			const struct tmpl_tok *kw2 = next(p);

			n->else_list = new_node(p, TMPL_N_LIST, kw2);
			add_kid(p, n->else_list,
				control(p, kind, kind == TMPL_N_IF ? "if" : "with", kw2));
		} else {
			n->else_list = item_list(p, &ended, &end_tok);
			if (n->else_list && ended != END_END)
				errorf(p, end_tok->line, "expected end; found {{else}}");
		}
	}
	p->depth--;
	p->nvars = saved;
	return p->failed ? NULL : n;
}

static struct tmpl_node *action(struct parser *p, enum list_end *ended)
{
	const struct tmpl_tok *t = next_nonspace(p);

	switch (t->kind) {
	case TMPL_T_IF:
		return control(p, TMPL_N_IF, "if", t);
	case TMPL_T_RANGE:
		return control(p, TMPL_N_RANGE, "range", t);
	case TMPL_T_WITH:
		return control(p, TMPL_N_WITH, "with", t);
	case TMPL_T_END: {
		const struct tmpl_tok *r = next_nonspace(p);

		if (r->kind != TMPL_T_RIGHT) {
			unexpected(p, r, "end");
			return NULL;
		}
		*ended = END_END;
		return NULL;
	}
	case TMPL_T_ELSE: {
		const struct tmpl_tok *r = peek_nonspace(p);

		if (r->kind != TMPL_T_IF && r->kind != TMPL_T_WITH) {
			r = next_nonspace(p);
			if (r->kind != TMPL_T_RIGHT) {
				unexpected(p, r, "else");
				return NULL;
			}
		}
		*ended = END_ELSE;
		return NULL;
	}
	case TMPL_T_BREAK:
	case TMPL_T_CONTINUE: {
		const char *word = t->kind == TMPL_T_BREAK ? "{{break}}" : "{{continue}}";
		const struct tmpl_tok *r = next_nonspace(p);

		if (r->kind != TMPL_T_RIGHT) {
			unexpected(p, r, word);
			return NULL;
		}
		if (p->range_depth == 0) {
			errorf(p, t->line, "%s outside {{range}}", word);
			return NULL;
		}
		return new_node(p, t->kind == TMPL_T_BREAK ? TMPL_N_BREAK : TMPL_N_CONTINUE, t);
	}
	case TMPL_T_DEFINE:
	case TMPL_T_TEMPLATE:
	case TMPL_T_BLOCK:
		errorf(p, t->line, "{{%.*s}} is not supported by kettle's templates", t->len, t->s);
		return NULL;
	default:
		break;
	}
	backup(p, 1);
	struct tmpl_node *n = new_node(p, TMPL_N_ACTION, peek(p));
	if (n)
		n->pipe = pipeline(p, "command", TMPL_T_RIGHT);
	return n && n->pipe ? n : NULL;
}

static struct tmpl_node *text_or_action(struct parser *p, enum list_end *ended)
{
	const struct tmpl_tok *t = next_nonspace(p);

	*ended = END_NONE;
	if (t->kind == TMPL_T_TEXT) {
		struct tmpl_node *n = new_node(p, TMPL_N_TEXT, t);

		if (n) {
			n->s = t->s;
			n->n = (size_t)t->len;
		}
		return n;
	}
	if (t->kind == TMPL_T_LEFT) {
		p->action_line = t->line;
		struct tmpl_node *n = action(p, ended);
		p->action_line = 0;
		return n;
	}
	unexpected(p, t, "input");
	return NULL;
}

int tmpl_parse(const char *text, size_t len, struct tmpl **out, struct kerr *err)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	struct parser p = { .err = err, .vars = { "$" }, .nvars = 1 };
	struct tmpl_tok *toks = NULL;
	size_t n = 0;

	*out = NULL;
	if (!t)
		return kerr_set(err, ENOMEM, "template");
	if (len > TMPL_TEXT_MAX) {
		free(t);
		return kerr_set(err, 0, "template of %zu bytes exceeds the limit of %u", len,
				TMPL_TEXT_MAX);
	}
	/* The tree's text and names are copies, so the caller's text may go. */
	tmpl_arena_init(&t->arena, TMPL_MEM_MAX);
	char *copy = tmpl_arena_strndup(&t->arena, text, len, err);
	if (!copy || tmpl_lex(copy, len, &t->arena, &toks, &n, err) < 0) {
		tmpl_free(t);
		return -1;
	}
	t->text = copy;
	t->len = len;
	p.toks = toks;
	p.n = n;
	p.t = t;
	t->root = new_node(&p, TMPL_N_LIST, &toks[0]);
	while (!p.failed && peek(&p)->kind != TMPL_T_EOF) {
		enum list_end e = END_NONE;
		const struct tmpl_tok *at = peek(&p);
		struct tmpl_node *node = text_or_action(&p, &e);

		if (e != END_NONE)
			errorf(&p, at->line, "unexpected %s",
			       e == END_END ? "{{end}}" : "{{else}}");
		else
			add_kid(&p, t->root, node);
	}
	if (p.failed) {
		tmpl_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

struct tmpl *tmpl_free(struct tmpl *t)
{
	if (t) {
		tmpl_arena_done(&t->arena);
		free(t);
	}
	return NULL;
}

/* ---- String(), for execution errors ---- */

static void put_path(const struct tmpl_node *n, size_t from, struct buf *out)
{
	struct kerr ignored;

	for (size_t i = from; i < n->nidents; i++) {
		buf_append_str(out, ".", &ignored);
		buf_append_str(out, n->idents[i], &ignored);
	}
}

void tmpl_node_string(const struct tmpl_node *n, struct buf *out)
{
	struct kerr ignored;

	if (!n || out->len > 4096)
		return;
	switch (n->kind) {
	case TMPL_N_FIELD:
		put_path(n, 0, out);
		return;
	case TMPL_N_VAR:
		buf_append_str(out, n->idents[0], &ignored);
		put_path(n, 1, out);
		return;
	case TMPL_N_CHAIN:
		if (n->sub->kind == TMPL_N_PIPE)
			buf_append_str(out, "(", &ignored);
		tmpl_node_string(n->sub, out);
		if (n->sub->kind == TMPL_N_PIPE)
			buf_append_str(out, ")", &ignored);
		put_path(n, 0, out);
		return;
	case TMPL_N_DOT:
		buf_append_str(out, ".", &ignored);
		return;
	case TMPL_N_NIL:
		buf_append_str(out, "nil", &ignored);
		return;
	case TMPL_N_BOOL:
		buf_append_str(out, n->bval ? "true" : "false", &ignored);
		return;
	case TMPL_N_NUMBER:
	case TMPL_N_IDENT:
		buf_append(out, n->s, n->n, &ignored);
		return;
	case TMPL_N_STRING:
		buf_append(out, n->lit, n->nlit, &ignored);
		return;
	case TMPL_N_CMD:
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				buf_append_str(out, " ", &ignored);
			if (n->kids[i]->kind == TMPL_N_PIPE)
				buf_append_str(out, "(", &ignored);
			tmpl_node_string(n->kids[i], out);
			if (n->kids[i]->kind == TMPL_N_PIPE)
				buf_append_str(out, ")", &ignored);
		}
		return;
	case TMPL_N_PIPE:
		for (size_t i = 0; i < n->ndecl; i++) {
			if (i)
				buf_append_str(out, ", ", &ignored);
			buf_append_str(out, n->decl[i], &ignored);
		}
		if (n->ndecl)
			buf_append_str(out, n->assign ? " = " : " := ", &ignored);
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				buf_append_str(out, " | ", &ignored);
			tmpl_node_string(n->kids[i], out);
		}
		return;
	case TMPL_N_ACTION:
		buf_append_str(out, "{{", &ignored);
		tmpl_node_string(n->pipe, out);
		buf_append_str(out, "}}", &ignored);
		return;
	case TMPL_N_TEXT:
		buf_append(out, n->s, n->n, &ignored);
		return;
	case TMPL_N_LIST:
		for (size_t i = 0; i < n->nkids; i++)
			tmpl_node_string(n->kids[i], out);
		return;
	case TMPL_N_IF:
	case TMPL_N_RANGE:
	case TMPL_N_WITH:
		buf_append_str(out,
			       n->kind == TMPL_N_IF	 ? "{{if "
			       : n->kind == TMPL_N_RANGE ? "{{range "
							 : "{{with ",
			       &ignored);
		tmpl_node_string(n->pipe, out);
		buf_append_str(out, "}}", &ignored);
		tmpl_node_string(n->list, out);
		if (n->else_list) {
			buf_append_str(out, "{{else}}", &ignored);
			tmpl_node_string(n->else_list, out);
		}
		buf_append_str(out, "{{end}}", &ignored);
		return;
	case TMPL_N_BREAK:
		buf_append_str(out, "{{break}}", &ignored);
		return;
	case TMPL_N_CONTINUE:
		buf_append_str(out, "{{continue}}", &ignored);
		return;
	}
}
