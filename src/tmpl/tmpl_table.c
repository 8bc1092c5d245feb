/*
 * tmpl_table: docker's --format conventions around the template engine: the `table` and
 * `json` keywords, the \t and \n escapes, and the column layout of Go's text/tabwriter as
 * docker configures it (mechanism, rank 20; calls nothing else in src/tmpl).
 *
 * The layout is tabwriter's: a cell is text ended by a tab; the cells of one column that
 * sit on consecutive lines form a block as wide as its widest cell plus the padding (3),
 * at least the minimum width (10); widths count UTF-8 characters; a line's last cell is
 * not padded. Computed column by column without recursion, so a line of many tabs costs
 * time proportional to its length, never stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl_int.h"

#define TAB_MINWIDTH 10 /* docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TAB_PADDING  3	/* spaces after the widest cell of a block */

bool tmpl_is_table(const char *format)
{
	return strncmp(format, "table", 5) == 0;
}

char *tmpl_docker_format(const char *format, struct kerr *err)
{
	const char *f = format;
	size_t n;

	if (tmpl_is_table(f))
		f += 5;
	else if (strcmp(f, "json") == 0)
		f = "{{json .}}";
	while (*f == ' ')
		f++;
	n = strlen(f);
	while (n > 0 && f[n - 1] == ' ')
		n--;
	char *out = malloc(n + 1);
	if (!out) {
		kerr_set(err, ENOMEM, "format");
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i] == '\\' && i + 1 < n && (f[i + 1] == 't' || f[i + 1] == 'n')) {
			out[o++] = f[i + 1] == 't' ? '\t' : '\n';
			i++;
		} else {
			out[o++] = f[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* One cell: its bytes and its width in characters. */
struct cell {
	const char *s; /* borrowed from the text */
	size_t n;      /* bytes */
	size_t w;      /* characters */
	size_t pad;    /* width of its block (tab-terminated cells), 0 for a last cell */
};

/* One line: cells[first .. first + ncells) of the shared cell array. */
struct line {
	size_t first;  /* index of its first cell */
	size_t ncells; /* cells, the last not tab-terminated */
	bool newline;  /* the line ended with '\n' (the text's last line may not) */
};

static size_t width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

int tmpl_tabwrite(const char *text, size_t len, struct buf *out, struct kerr *err)
{
	size_t nlines = 1, ncells = 1;

	for (size_t i = 0; i < len; i++) {
		nlines += text[i] == '\n';
		ncells += text[i] == '\n' || text[i] == '\t';
	}
	struct line *lines = calloc(nlines, sizeof(*lines));
	struct cell *cells = calloc(ncells, sizeof(*cells));
	if (!lines || !cells) {
		free(lines);
		free(cells);
		return kerr_set(err, ENOMEM, "table of %zu lines", nlines);
	}
	size_t l = 0, c = 0, start = 0;
	lines[0].first = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n' && text[i] != '\t')
			continue;
		cells[c] = (struct cell){ .s = text + start, .n = i - start };
		cells[c].w = width(cells[c].s, cells[c].n);
		c++;
		lines[l].ncells++;
		start = i + 1;
		if (i < len && text[i] == '\n') {
			lines[l].newline = true;
			lines[++l].first = c;
		}
	}
	nlines = l + 1;
	/* A text ending in '\n' has an empty last line of one empty cell: nothing to write. */
	if (nlines > 1 && lines[nlines - 1].ncells == 1 && cells[lines[nlines - 1].first].n == 0)
		nlines--;
	/* Column by column: runs of consecutive lines that have a tab-terminated cell there
	 * share one width. */
	for (size_t col = 0;; col++) {
		bool any = false;

		for (size_t a = 0; a < nlines;) {
			if (lines[a].ncells <= col + 1) {
				a++;
				continue;
			}
			size_t b = a, w = TAB_MINWIDTH;
			for (; b < nlines && lines[b].ncells > col + 1; b++)
				if (cells[lines[b].first + col].w + TAB_PADDING > w)
					w = cells[lines[b].first + col].w + TAB_PADDING;
			for (size_t k = a; k < b; k++)
				cells[lines[k].first + col].pad = w;
			any = true;
			a = b;
		}
		if (!any)
			break;
	}
	int rc = 0;
	for (size_t k = 0; k < nlines && rc == 0; k++) {
		for (size_t j = 0; j < lines[k].ncells && rc == 0; j++) {
			const struct cell *x = &cells[lines[k].first + j];

			rc = buf_append(out, x->s, x->n, err);
			for (size_t p = x->w; rc == 0 && p < x->pad; p++)
				rc = buf_append(out, " ", 1, err);
		}
		if (rc == 0 && lines[k].newline)
			rc = buf_append(out, "\n", 1, err);
	}
	free(lines);
	free(cells);
	return rc;
}
