/*
 * tmpl_lex: a template's text into tokens, with Go text/template's lexical rules
 * (mechanism, rank 20; called by tmpl_parse.c, calls only the arena).
 *
 * Text runs to the next "{{"; "{{- " and " -}}" trim the blanks next to them; a comment
 * is a slash-star comment right inside the delimiters. Inside an action: blanks, fields
 * (.A), dot, variables ($x), identifiers and keywords, double-quoted, raw (backquoted) and
 * character literals, numbers, | ( ) := = and single characters.
 * Invariants: tokens point into the caller's text (no copies); a lexical error becomes the
 * last token with Go's wording, so the parser reports it only if it gets that far, as Go's
 * does; positions are byte offsets and 1-based lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json_string.h"
#include "tmpl/tmpl_int.h"

#define LEFT  "{{"
#define RIGHT "}}"

/* The scanner's state. */
struct lex {
	const char *text;      /* borrowed template */
	int len;	       /* bytes of text */
	int pos;	       /* next byte to read */
	int start;	       /* start of the token being scanned */
	int lpos;	       /* line_at's memo: lines counted up to here... */
	int lline;	       /* ... and the line at lpos */
	int paren;	       /* open parentheses in the action */
	struct tmpl_arena *a;  /* where the token array lives */
	struct tmpl_tok *toks; /* arena array */
	size_t n;	       /* tokens emitted */
	size_t cap;	       /* room in toks */
	struct kerr *err;      /* arena failures */
	bool failed;	       /* the arena failed */
};

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Letters, digits and '_'; every byte of a multi-byte UTF-8 sequence counts as a letter,
 * as Go's unicode.IsLetter does for the scripts people write names in. */
static bool is_alnum(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static int peek(const struct lex *l, int off)
{
	return l->pos + off < l->len ? (unsigned char)l->text[l->pos + off] : -1;
}

static bool at(const struct lex *l, int p, const char *s)
{
	size_t n = strlen(s);

	return p >= 0 && (size_t)(l->len - p) >= n && memcmp(l->text + p, s, n) == 0;
}

/* Tokens come in order, so the count goes forward from the last one. */
static int line_at(struct lex *l, int p)
{
	if (p < l->lpos) {
		l->lpos = 0;
		l->lline = 1;
	}
	for (; l->lpos < p && l->lpos < l->len; l->lpos++)
		l->lline += l->text[l->lpos] == '\n';
	return l->lline;
}

static void emit_at(struct lex *l, enum tmpl_tok_kind kind, int start, int end)
{
	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct tmpl_tok *t = tmpl_arena_alloc(l->a, cap * sizeof(*t), l->err);

		if (!t) {
			l->failed = true;
			return;
		}
		if (l->n)
			memcpy(t, l->toks, l->n * sizeof(*t));
		l->toks = t;
		l->cap = cap;
	}
	l->toks[l->n++] = (struct tmpl_tok){
		.kind = kind,
		.pos = start,
		.line = line_at(l, start),
		.s = l->text + start,
		.len = end - start,
	};
}

static void emit(struct lex *l, enum tmpl_tok_kind kind)
{
	emit_at(l, kind, l->start, l->pos);
	l->start = l->pos;
}

/* Ends the stream with an error token carrying Go's message; its line is where the
 * scanner stands, as Go's lexer reports it. */
__attribute__((format(printf, 2, 3))) static void fail(struct lex *l, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (l->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *copy = tmpl_arena_strndup(l->a, msg, strlen(msg), l->err);
	emit_at(l, TMPL_T_ERROR, l->pos, l->pos);
	if (!copy)
		l->failed = true;
	if (!l->failed) {
		l->toks[l->n - 1].s = copy;
		l->toks[l->n - 1].len = (int)strlen(copy);
	}
}

/* Go's %#U of the character at p: "U+0023 '#'" (UTF-8 decoded; no quote when it is not
 * printable). */
static void rune_name(const struct lex *l, int p, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)l->text + p;
	size_t left = p < l->len ? (size_t)(l->len - p) : 0;
	size_t n = left ? json_string_utf8_len(u, left) : 0;
	unsigned r = left ? u[0] : 0;

	if (n == 2)
		r = (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
	else if (n == 3)
		r = (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
	else if (n == 4)
		r = (u[0] & 0x07u) << 18 | (u[1] & 0x3fu) << 12 | (u[2] & 0x3fu) << 6 |
		    (u[3] & 0x3fu);
	else if (r >= 0x80)
		r = 0xfffd;
	if ((r >= 0x20 && r < 0x7f) || (r >= 0xa0 && n > 1))
		snprintf(out, cap, "U+%04X '%.*s'", r, (int)(n ? n : 1), (const char *)u);
	else
		snprintf(out, cap, "U+%04X", r);
}

/* " -}}" or "}}" at the scanner: 2 or 4 bytes to the end of the delimiter, 0 when not. */
static int right_delim(const struct lex *l)
{
	if (is_space(peek(l, 0)) && peek(l, 1) == '-' && at(l, l->pos + 2, RIGHT))
		return 4;
	return at(l, l->pos, RIGHT) ? 2 : 0;
}

/* After a delimiter with a trim marker: skips the blanks that follow. */
static void trim_after(struct lex *l)
{
	while (l->pos < l->len && is_space(peek(l, 0)))
		l->pos++;
	l->start = l->pos;
}

/* What may follow a field, variable or identifier. */
static bool at_terminator(const struct lex *l)
{
	int c = peek(l, 0);

	return c < 0 || is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' ||
	       c == '(' || at(l, l->pos, RIGHT);
}

static const struct {
	const char *word;
	enum tmpl_tok_kind kind;
} keywords[] = {
	{ "if", TMPL_T_IF },
	{ "else", TMPL_T_ELSE },
	{ "end", TMPL_T_END },
	{ "range", TMPL_T_RANGE },
	{ "with", TMPL_T_WITH },
	{ "break", TMPL_T_BREAK },
	{ "continue", TMPL_T_CONTINUE },
	{ "define", TMPL_T_DEFINE },
	{ "template", TMPL_T_TEMPLATE },
	{ "block", TMPL_T_BLOCK },
	{ "true", TMPL_T_BOOL },
	{ "false", TMPL_T_BOOL },
	{ "nil", TMPL_T_NIL },
};

static bool lex_word(struct lex *l)
{
	while (is_alnum(peek(l, 0)))
		l->pos++;
	if (!at_terminator(l)) {
		char r[32];

		rune_name(l, l->pos, r, sizeof(r));
		fail(l, "bad character %s", r);
		return false;
	}
	size_t n = (size_t)(l->pos - l->start);
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strlen(keywords[i].word) == n &&
		    memcmp(keywords[i].word, l->text + l->start, n) == 0) {
			emit(l, keywords[i].kind);
			return true;
		}
	}
	emit(l, TMPL_T_IDENT);
	return true;
}

/* ".Name" or "$name" (the sigil already read); "." or "$" alone when nothing follows. */
static bool lex_field_or_var(struct lex *l, bool var)
{
	if (at_terminator(l)) {
		emit(l, var ? TMPL_T_VAR : TMPL_T_DOT);
		return true;
	}
	while (is_alnum(peek(l, 0)))
		l->pos++;
	if (!at_terminator(l)) {
		char r[32];

		rune_name(l, l->pos, r, sizeof(r));
		fail(l, "bad character %s", r);
		return false;
	}
	emit(l, var ? TMPL_T_VAR : TMPL_T_FIELD);
	return true;
}

static void take_run(struct lex *l, const char *set)
{
	while (peek(l, 0) > 0 && strchr(set, peek(l, 0)))
		l->pos++;
}

static bool take(struct lex *l, const char *set)
{
	if (peek(l, 0) > 0 && strchr(set, peek(l, 0))) {
		l->pos++;
		return true;
	}
	return false;
}

/* Go's number syntax: sign, 0x/0o/0b prefixes, '_' separators, fraction, exponent. */
static bool lex_number(struct lex *l)
{
	const char *digits = "0123456789_";

	take(l, "+-");
	if (take(l, "0")) {
		if (take(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (take(l, "oO"))
			digits = "01234567_";
		else if (take(l, "bB"))
			digits = "01_";
	}
	take_run(l, digits);
	if (take(l, "."))
		take_run(l, digits);
	if (strlen(digits) == 11 && take(l, "eE")) {
		take(l, "+-");
		take_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && take(l, "pP")) {
		take(l, "+-");
		take_run(l, "0123456789_");
	}
	if (is_alnum(peek(l, 0))) {
		l->pos++;
		fail(l, "bad number syntax: \"%.*s\"",
		     l->pos - l->start < 64 ? l->pos - l->start : 64, l->text + l->start);
		return false;
	}
	emit(l, TMPL_T_NUMBER);
	return true;
}

/* A quoted literal ending at `quote`; backslash escapes (not in raw strings). */
static bool lex_quoted(struct lex *l, int quote, enum tmpl_tok_kind kind, const char *unterminated)
{
	for (;;) {
		int c = peek(l, 0);

		if (c < 0 || (c == '\n' && quote != '`')) {
			fail(l, "%s", unterminated);
			return false;
		}
		l->pos++;
		if (c == '\\' && quote != '`') {
			c = peek(l, 0);
			if (c < 0 || c == '\n') {
				fail(l, "%s", unterminated);
				return false;
			}
			l->pos++;
			continue;
		}
		if (c == quote)
			break;
	}
	emit(l, kind);
	return true;
}

/* Inside an action, up to and including its right delimiter. Returns false at an error. */
static bool lex_action(struct lex *l)
{
	for (;;) {
		int rd = right_delim(l);

		if (rd) {
			if (l->paren > 0) {
				fail(l, "unclosed left paren");
				return false;
			}
			if (rd == 4) {
				l->pos += 2;
				l->start = l->pos;
			}
			l->pos += 2;
			emit(l, TMPL_T_RIGHT);
			if (rd == 4)
				trim_after(l);
			return true;
		}
		int c = peek(l, 0);
		if (c < 0) {
			fail(l, "unclosed action");
			return false;
		}
		if (is_space(c)) {
			while (is_space(peek(l, 0)) && !(right_delim(l) == 4))
				l->pos++;
			if (l->pos > l->start)
				emit(l, TMPL_T_SPACE);
			continue;
		}
		l->pos++;
		bool ok = true;
		switch (c) {
		case '=':
			emit(l, TMPL_T_ASSIGN);
			break;
		case ':':
			if (peek(l, 0) != '=') {
				fail(l, "expected :=");
				return false;
			}
			l->pos++;
			emit(l, TMPL_T_DECLARE);
			break;
		case '|':
			emit(l, TMPL_T_PIPE);
			break;
		case '"':
			ok = lex_quoted(l, '"', TMPL_T_STRING, "unterminated quoted string");
			break;
		case '`':
			ok = lex_quoted(l, '`', TMPL_T_RAW, "unterminated raw quoted string");
			break;
		case '\'':
			ok = lex_quoted(l, '\'', TMPL_T_CHAR, "unterminated character constant");
			break;
		case '$':
			ok = lex_field_or_var(l, true);
			break;
		case '(':
			emit(l, TMPL_T_LPAREN);
			l->paren++;
			break;
		case ')':
			if (--l->paren < 0) {
				fail(l, "unexpected right paren");
				return false;
			}
			emit(l, TMPL_T_RPAREN);
			break;
		case ',':
			emit(l, TMPL_T_COMMA);
			break;
		case '.':
			if (peek(l, 0) < '0' || peek(l, 0) > '9') {
				ok = lex_field_or_var(l, false);
				break;
			}
			l->pos--;
			ok = lex_number(l);
			break;
		default:
			if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
				l->pos--;
				ok = lex_number(l);
			} else if (is_alnum(c)) {
				ok = lex_word(l);
			} else if (c > 0x20 && c < 0x7f) {
				emit(l, TMPL_T_OTHER);
			} else {
				char r[32];

				rune_name(l, l->pos - 1, r, sizeof(r));
				fail(l, "unrecognized character in action: %s", r);
				return false;
			}
		}
		if (!ok)
			return false;
	}
}

int tmpl_lex(const char *text, size_t len, struct tmpl_arena *a, struct tmpl_tok **toks, size_t *n,
	     struct kerr *err)
{
	struct lex l = { .text = text, .len = (int)len, .a = a, .err = err, .lline = 1 };

	for (;;) {
		const char *p = l.len > l.pos
					? memmem(text + l.pos, (size_t)(l.len - l.pos), LEFT, 2)
					: NULL;
		int left = p ? (int)(p - text) : l.len;
		bool trim = left + 3 < l.len && text[left + 2] == '-' && is_space(text[left + 3]);
		int end = left;

		if (trim)
			while (end > l.start && is_space(text[end - 1]))
				end--;
		if (end > l.start)
			emit_at(&l, TMPL_T_TEXT, l.start, end);
		if (!p) {
			l.pos = l.start = l.len;
			emit(&l, TMPL_T_EOF);
			break;
		}
		l.pos = left + 2 + (trim ? 2 : 0);
		if (at(&l, l.pos, "/*")) {
			const char *close =
				memmem(text + l.pos + 2, (size_t)(l.len - l.pos - 2), "*/", 2);

			if (!close) {
				l.pos = left;
				fail(&l, "unclosed comment");
				break;
			}
			l.pos = (int)(close - text) + 2;
			int rd = right_delim(&l);
			if (!rd) {
				fail(&l, "comment ends before closing delimiter");
				break;
			}
			l.pos += rd;
			l.start = l.pos;
			if (rd == 4)
				trim_after(&l);
			continue;
		}
		emit_at(&l, TMPL_T_LEFT, left, l.pos);
		l.start = l.pos;
		l.paren = 0;
		if (!lex_action(&l))
			break;
	}
	if (l.failed)
		return -1;
	*toks = l.toks;
	*n = l.n;
	return 0;
}
