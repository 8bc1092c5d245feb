/*
 * bootfile: splits the containers file of `kettle daemon --boot` into `kettle run` words
 * (mechanism, rank 20; pure).
 *
 * A hand-written scanner over one logical line at a time: the quoting of a POSIX shell
 * and nothing of its expansions (bootfile.h lists what is refused). Invariants: every
 * byte is looked at once, bounds are checked before each store (the words never exceed
 * BOOTFILE_LINE_MAX, the words per line BOOTFILE_ARGS_MAX, the entries BOOTFILE_LINES_MAX);
 * a refused line is skipped up to its real end (continuations included), so one mistake
 * costs one container, never the meaning of the next line. Never allocates or logs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "boot/bootfile.h"

enum quote {
	Q_NONE,	  /* outside quotes */
	Q_SINGLE, /* inside '…': every byte literal up to the next ' */
	Q_DOUBLE, /* inside "…": \ escapes only " \ $ ` and a newline */
};

/* The scanner's state while it reads one entry. */
struct scan {
	struct bootfile *bf;	   /* the cursor; off and line move as bytes are read */
	struct bootfile_line *out; /* the words */
	size_t used;		   /* bytes of out->buf in use */
	size_t word;		   /* where the word being read starts in out->buf */
	bool in_word;		   /* a word has started (even an empty '' one) */
	size_t line_start;	   /* offset of the current physical line, for columns */
	struct kerr *err;	   /* the refusal, when there is one */
};

void bootfile_init(struct bootfile *bf, const char *text, size_t len)
{
	*bf = (struct bootfile){ .text = text, .len = len, .line = 1 };
}

/* Refuses the entry at byte pos with a message naming its line and column. */
static int refuse(struct scan *s, size_t pos, const char *what)
{
	return kerr_set(s->err, 0, "line %u, column %zu: %s", s->bf->line, pos - s->line_start + 1,
			what);
}

/* A character a shell would act on where it stands: names it and what to do instead. */
static int refuse_char(struct scan *s, size_t pos, char c, const char *why)
{
	char msg[160];

	if (c == '`')
		snprintf(msg, sizeof(msg), "a backquote %s: quote it with '…'", why);
	else
		snprintf(msg, sizeof(msg), "`%c` %s: quote it with '…'", c, why);
	return refuse(s, pos, msg);
}

static int refuse_control(struct scan *s, size_t pos, unsigned char c)
{
	char msg[96];

	if (c == '\0')
		return refuse(s, pos, "a NUL byte");
	if (c == '\r')
		return refuse(s, pos, "a carriage return (DOS line endings?)");
	snprintf(msg, sizeof(msg), "a control character (0x%02x)", c);
	return refuse(s, pos, msg);
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int put(struct scan *s, size_t pos, char c)
{
	/* One byte for this word's NUL always stays free. */
	if (s->used + 1 >= BOOTFILE_LINE_MAX) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the line's words exceed %u bytes", BOOTFILE_LINE_MAX);
		return refuse(s, pos, msg);
	}
	s->out->buf[s->used++] = c;
	s->in_word = true;
	return 0;
}

static int end_word(struct scan *s, size_t pos)
{
	if (!s->in_word)
		return 0;
	if (s->out->argc == BOOTFILE_ARGS_MAX) {
		char msg[64];

		snprintf(msg, sizeof(msg), "more than %d words", BOOTFILE_ARGS_MAX);
		return refuse(s, pos, msg);
	}
	s->out->buf[s->used++] = '\0';
	s->out->argv[s->out->argc++] = s->out->buf + s->word;
	s->word = s->used;
	s->in_word = false;
	return 0;
}

/* A newline at pos is read: the next physical line starts. */
static void newline(struct scan *s, size_t pos)
{
	s->bf->line++;
	s->line_start = pos + 1;
}

/* After a refusal: past the end of the entry's last physical line (a backslash before a
 * newline continues it, as it would have). */
static void skip_entry(struct bootfile *bf, size_t pos)
{
	while (pos < bf->len) {
		char c = bf->text[pos++];

		if (c == '\\' && pos < bf->len && bf->text[pos] == '\n') {
			pos++;
			bf->line++;
			continue;
		}
		if (c == '\n') {
			bf->line++;
			break;
		}
	}
	bf->off = pos;
}

/* One byte outside quotes. Returns 1 when the entry ended at it, 0 to go on, -1 refused;
 * *pos is moved past what was read. */
static int unquoted(struct scan *s, size_t *pos, enum quote *q)
{
	const char *t = s->bf->text;
	size_t p = *pos;
	unsigned char c = (unsigned char)t[p];

	*pos = p + 1;
	switch (c) {
	case ' ':
	case '\t':
		return end_word(s, p);
	case '\n':
		if (end_word(s, p) < 0)
			return -1;
		newline(s, p);
		return s->out->argc > 0 ? 1 : 0;
	case '#':
		if (s->in_word)
			return put(s, p, (char)c);
		/* A comment, up to (not including) the newline. */
		while (*pos < s->bf->len && t[*pos] != '\n')
			(*pos)++;
		return 0;
	case '\\':
		if (p + 1 >= s->bf->len)
			return refuse(s, p, "a backslash at the end of the file");
		if (t[p + 1] == '\n') {
			newline(s, p + 1);
			*pos = p + 2;
			return 0;
		}
		if (is_control((unsigned char)t[p + 1]))
			return refuse_control(s, p + 1, (unsigned char)t[p + 1]);
		*pos = p + 2;
		return put(s, p, t[p + 1]);
	case '\'':
		*q = Q_SINGLE;
		s->in_word = true;
		return 0;
	case '"':
		*q = Q_DOUBLE;
		s->in_word = true;
		return 0;
	case '$':
	case '`':
		return refuse_char(s, p, (char)c, "would be expanded by a shell");
	case '|':
	case '&':
	case ';':
	case '<':
	case '>':
	case '(':
	case ')':
		return refuse_char(s, p, (char)c, "is a shell operator");
	case '*':
	case '?':
	case '[':
		return refuse_char(s, p, (char)c, "would be a pattern to a shell");
	case '~':
		if (!s->in_word)
			return refuse_char(s, p, (char)c,
					   "at the start of a word would be expanded by a shell");
		return put(s, p, (char)c);
	default:
		if (is_control(c))
			return refuse_control(s, p, c);
		return put(s, p, (char)c);
	}
}

/* One byte inside quotes: 0 to go on, -1 refused; *pos is moved past what was read. */
static int quoted(struct scan *s, size_t *pos, enum quote *q)
{
	const char *t = s->bf->text;
	size_t p = *pos;
	unsigned char c = (unsigned char)t[p];

	*pos = p + 1;
	if (c == '\n') {
		refuse(s, p,
		       *q == Q_SINGLE ? "a single quote is not closed on its line"
				      : "a double quote is not closed on its line");
		newline(s, p);
		return -1;
	}
	if (is_control(c))
		return refuse_control(s, p, c);
	if (*q == Q_SINGLE) {
		if (c == '\'') {
			*q = Q_NONE;
			return 0;
		}
		return put(s, p, (char)c);
	}
	switch (c) {
	case '"':
		*q = Q_NONE;
		return 0;
	case '$':
	case '`':
		return refuse_char(s, p, (char)c, "would be expanded by a shell inside \"…\"");
	case '\\':
		if (p + 1 >= s->bf->len)
			return 0; /* the quote is reported unclosed at the end */
		if (t[p + 1] == '\n') {
			newline(s, p + 1);
			*pos = p + 2;
			return 0;
		}
		/* Checked first: strchr would find a NUL byte in its own set. */
		if (is_control((unsigned char)t[p + 1]))
			return refuse_control(s, p + 1, (unsigned char)t[p + 1]);
		if (strchr("\"\\$`", t[p + 1])) {
			*pos = p + 2;
			return put(s, p, t[p + 1]);
		}
		return put(s, p, '\\'); /* as in sh: kept before any other character */
	default:
		return put(s, p, (char)c);
	}
}

/* Counts an entry, returned (rc 1) or refused (rc -1), against BOOTFILE_LINES_MAX. */
static int count_entry(struct bootfile *bf, const struct bootfile_line *out, int rc,
		       struct kerr *err)
{
	if (bf->entries >= BOOTFILE_LINES_MAX) {
		bf->off = bf->len; /* everything after is refused with it */
		return kerr_set(err, 0, "line %u: more than %d containers", out->lineno,
				BOOTFILE_LINES_MAX);
	}
	bf->entries++;
	return rc;
}

int bootfile_next(struct bootfile *bf, struct bootfile_line *out, struct kerr *err)
{
	struct scan s = { .bf = bf, .out = out, .err = err };
	enum quote q = Q_NONE;
	size_t pos = bf->off;
	int r = 0;

	/* Columns count from the start of the physical line the cursor is in. */
	s.line_start = pos;
	while (s.line_start > 0 && bf->text[s.line_start - 1] != '\n')
		s.line_start--;
	out->argc = 0;
	out->argv[0] = NULL;
	out->lineno = bf->line;
	while (pos < bf->len) {
		size_t at = pos;

		if (q == Q_NONE && !s.in_word && out->argc == 0)
			out->lineno = bf->line; /* blank and comment lines do not count */
		r = q == Q_NONE ? unquoted(&s, &pos, &q) : quoted(&s, &pos, &q);
		if (r < 0) {
			/* A newline that ended a refused line is read and counted already. */
			if (bf->text[at] == '\n')
				bf->off = pos;
			else
				skip_entry(bf, at);
			return count_entry(bf, out, -1, err);
		}
		if (r == 1)
			break;
	}
	if (r == 0) {
		/* The end of the text ends the entry. */
		if (q != Q_NONE)
			r = refuse(&s, pos,
				   q == Q_SINGLE
					   ? "a single quote is not closed at the end of the file"
					   : "a double quote is not closed at the end of the file");
		else
			r = end_word(&s, pos);
		if (r < 0) {
			bf->off = bf->len;
			return count_entry(bf, out, -1, err);
		}
	}
	bf->off = pos;
	if (out->argc == 0)
		return 0;
	out->argv[out->argc] = NULL;
	return count_entry(bf, out, 1, err);
}
