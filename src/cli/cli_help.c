/*
 * cli_help: the help text generated from a command table (mechanism M1, pure): the usage
 * line, the description, and the options in two aligned columns; the usage line with
 * every option spelled out (a command's own synopsis, or what a misuse prints above its
 * message); and the command list.
 *
 * Text is wrapped at HELP_WIDTH. A word that starts with '-' stays on the line of the
 * word before it, so no wrapped line begins with a dash and reads as an option of its own.
 * Writes only to the FILE it is given.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define HELP_WIDTH 88 /* columns the text is wrapped to (what the hand-written help used) */
#define HELP_GAP   3  /* spaces between the longest option and its text */
#define HELP_COL_MAX                                                                               \
	28 /* the options' text column at most: a longer option is followed by
			 * two spaces, its continuation lines still start here */

/* Bytes of the next unit of text: a word and the words starting with '-' after it. */
static size_t unit(const char *s)
{
	size_t n = strcspn(s, " \n");

	while (s[n] == ' ' && s[n + 1] == '-')
		n += 1 + strcspn(s + n + 1, " \n");
	return n;
}

/* Writes text with the cursor at column at; continuation lines start at column col. */
static void wrap(FILE *out, const char *text, int col, int at)
{
	bool fresh = true;   /* nothing written on this line yet */
	bool indent = false; /* the line still needs its col spaces */

	while (*text) {
		if (*text == ' ') {
			text++;
			continue;
		}
		if (*text == '\n') {
			fputc('\n', out);
			text++;
			at = col;
			fresh = indent = true;
			continue;
		}
		size_t n = unit(text);
		if (!fresh && at + 1 + (int)n > HELP_WIDTH) {
			fputc('\n', out);
			at = col;
			fresh = indent = true;
		}
		if (indent)
			fprintf(out, "%*s", col, "");
		else if (!fresh)
			fputc(' ', out);
		at += (int)n + !fresh;
		fwrite(text, 1, n, out);
		text += n;
		fresh = indent = false;
	}
	fputc('\n', out);
}

/* "  -t, --time SECONDS", "      --rm" or "  -h VALUE": printed when out is not NULL;
 * its width either way. */
static int left(const struct cli_opt *o, FILE *out)
{
	const char *l, *v;
	int nl = (int)cli_opt_text(o, CLI_LONG, &l), nv = (int)cli_opt_text(o, CLI_VALUE, &v);
	const char *sep = !nl ? "" : o->short_name ? ", --" : "  --";
	char s[3] = { o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ', '\0' };

	if (out)
		fprintf(out, "  %s%s%.*s%s%.*s", s, sep, nl, l, nv ? " " : "", nv, v);
	return 4 + (int)strlen(sep) + nl + (nv ? 1 + nv : 0);
}

/* "Usage:", or "usage:" for a command only programs run (they quote it in their logs). */
static const char *usage_word(const struct cli_cmd *cmd)
{
	return cmd->flags & CLI_INTERNAL ? "usage:" : "Usage:";
}

/* The usage line with every option spelled out, "[--root DIR]", "[-d]", "--id ID"
 * (CLI_REQUIRED) in table order; wrapped at width (0: one line), continuation lines
 * starting under the first option. */
static void spell(const struct cli_cmd *cmd, int width, FILE *out)
{
	int at = fprintf(out, "%s kettle %s", usage_word(cmd), cmd->name);
	int col = at + 1;

	for (int i = 0; i < cmd->nopts; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		const char *l, *v;
		int nl = (int)cli_opt_text(o, CLI_LONG, &l),
		    nv = (int)cli_opt_text(o, CLI_VALUE, &v);
		bool optional = !(o->flags & CLI_REQUIRED);

		if (o->id == CLI_HELP || (o->flags & CLI_HIDDEN))
			continue;
		if (o->short_name) {
			l = &o->short_name;
			nl = 1;
		}
		/* brackets, dashes, name, value */
		int n = 2 * optional + (o->short_name ? 1 : 2) + nl + (nv ? 1 + nv : 0);
		if (width && at + 1 + n > width) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%s%s%.*s%s%.*s%s", optional ? "[" : "", o->short_name ? "-" : "--",
			nl, l, nv ? " " : "", nv, v, optional ? "]" : "");
		at += n;
	}
	fputc('\n', out);
}

void cli_misuse_write(FILE *out, const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	spell(cmd, 0, out);
	fprintf(out, "kettle %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

void cli_help_write(const struct cli_cmd *cmd, FILE *out)
{
	const struct cli_opt *o;
	int col = 0;

	if (cmd->synopsis)
		fprintf(out, "%s %s\n", usage_word(cmd), cmd->synopsis);
	else
		spell(cmd, HELP_WIDTH, out);
	if (cmd->description) {
		fputc('\n', out);
		wrap(out, cmd->description, 0, 0);
	}
	if (cmd->flags & CLI_OPTIONS_ELSEWHERE)
		return;
	for (int i = 0; (o = cli_opt_at(cmd, i)); i++) {
		int w = left(o, NULL) + HELP_GAP;

		if (!(o->flags & CLI_HIDDEN) && w > col)
			col = w;
	}
	if (col > HELP_COL_MAX)
		col = HELP_COL_MAX;
	fputs("\nOptions:\n", out);
	for (int i = 0; (o = cli_opt_at(cmd, i)); i++) {
		if (o->flags & CLI_HIDDEN)
			continue;
		int at = left(o, out);
		int pad = at + 2 > col ? 2 : col - at;

		const char *about;

		cli_opt_text(o, CLI_ABOUT, &about);
		fprintf(out, "%*s", pad, "");
		wrap(out, about, col, at + pad);
	}
}

void cli_help_list(const struct cli_entry *table, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i].cmd)
			fprintf(out, "  %-10s %s\n", table[i].name, table[i].cmd->summary);
	}
}
