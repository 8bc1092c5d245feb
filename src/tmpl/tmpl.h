/*
 * tmpl: the subset of Go's text/template that docker users write in --format, over JSON
 * (mechanism, rank 20: uses only base).
 *
 * tmpl_parse turns a template into a tree (tmpl_lex.c, tmpl_parse.c); tmpl_exec runs it
 * over a parsed JSON document (tmpl_exec.c, with the functions of tmpl_func.c); values are
 * printed and re-serialised as Go prints them (tmpl_value.c); tmpl_table.c is docker's
 * `table` layout (Go's tabwriter). Errors read as Go's ("template: :1: function \"foo\" not
 * defined", "template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"");
 * the role adds docker's "template parsing error: " and exits. Every input is hostile: the
 * text, the nesting, the work and the output all have caps. Never logs, prints or exits.
 */
#ifndef KETTLE_TMPL_H
#define KETTLE_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/kerr.h"

#define TMPL_TEXT_MAX  (64u * 1024u)	     /* bytes of a template */
#define TMPL_DEPTH_MAX 64		     /* nesting of blocks and parentheses */
#define TMPL_VARS_MAX  256		     /* variables in scope at once */
#define TMPL_OUT_MAX   (32u * 1024u * 1024u) /* bytes one execution may write */
#define TMPL_MEM_MAX   (64u * 1024u * 1024u) /* bytes of values one execution may make */
#define TMPL_STEPS_MAX 20000000u	     /* nodes one execution may evaluate */

/* A parsed template (opaque; tmpl_parse.c). */
struct tmpl;

/*
 * What the document's objects are, as docker's Go types would tell: an object at one of
 * `maps` is a Go map (a missing key gives "<no value>", it prints as map[k:v]); any other
 * object is a struct (a missing key is an error, it prints as {v1 v2}). A key at one of
 * `optional` is a struct field that docker's JSON may leave out (omitempty): missing, it
 * is nil instead of an error. Paths are keys joined by '.', "" for the root, "[]" for an
 * array's elements ("Mounts.[]"); both lists end with NULL. NULL lists: none.
 */
struct tmpl_schema {
	const char *const *maps;     /* borrowed */
	const char *const *optional; /* borrowed */
};

/*
 * A method of the document's root, as `.Label "k"` calls ContainerContext.Label in docker:
 * returns 1 with *result (a NUL-terminated string owned by ctx, valid for the execution),
 * 0 when there is no method of that name (then the field is looked up), or -1 with err.
 */
typedef int (*tmpl_method_fn)(void *ctx, const char *name, size_t nargs, const char *const *args,
			      const char **result, struct kerr *err);

/* What a template runs on. */
struct tmpl_data {
	const struct json_doc *doc;	  /* borrowed; toks[0] is dot and $ */
	const struct tmpl_schema *schema; /* borrowed, or NULL: every object a map */
	tmpl_method_fn method;		  /* or NULL */
	void *ctx;			  /* the method's */
	bool header;			  /* docker's HeaderFunctions: json, split, join, title,
					   * lower, upper and truncate return their first argument */
};

/* Parses text (len bytes, at most TMPL_TEXT_MAX) into *out; NULL on failure with err
 * in Go's words ("template: :LINE: MSG"). */
int tmpl_parse(const char *text, size_t len, struct tmpl **out, struct kerr *err);
/* Frees a template; accepts NULL; returns NULL. */
struct tmpl *tmpl_free(struct tmpl *t);
/* Runs t over d, appending to out (out's own cap applies, and TMPL_OUT_MAX). On failure
 * out holds what was written before it and err says where ("template: :1:9: executing \"\"
 * at <.A>: ..."). */
int tmpl_exec(const struct tmpl *t, const struct tmpl_data *d, struct buf *out, struct kerr *err);

/* ---- tmpl_value.c: JSON as Go's encoding/json writes it ---- */

/* The value at token tok, compact, as docker's {{json}}: keys in document order, no HTML
 * escaping, \u2028 and \u2029 escaped, invalid UTF-8 as \ufffd. */
int tmpl_json_compact(const struct json_doc *d, int tok, struct buf *out, struct kerr *err);
/* The same, indented as json.Indent(dst, src, "", indent) (what docker inspect prints);
 * depth is the level the value starts at. */
int tmpl_json_indent(const struct json_doc *d, int tok, int depth, const char *indent,
		     struct buf *out, struct kerr *err);
/* Appends s (n bytes) as a Go JSON string, quotes included. */
int tmpl_json_string(const char *s, size_t n, struct buf *out, struct kerr *err);

/* ---- tmpl_table.c: docker's --format conventions ---- */

/* "table" or "table ...": the rows go through tmpl_tabwrite, a header first. */
bool tmpl_is_table(const char *format);
/*
 * docker's preFormat for ps, stats and the like: drops a leading "table", trims spaces at
 * both ends, and turns the two-character sequences \t and \n into a tab and a newline.
 * Returns a malloc'd string, or NULL with err.
 */
char *tmpl_docker_format(const char *format, struct kerr *err);
/*
 * Go's text/tabwriter as docker's formatter sets it up (minwidth 10, tabwidth 1, padding
 * 3, padchar ' ', no flags): cells end at tabs, each column block as wide as its widest
 * cell plus 3 (at least 10), widths counted in UTF-8 characters, a line's last cell not
 * padded. Appends the laid-out text to out.
 */
int tmpl_tabwrite(const char *text, size_t len, struct buf *out, struct kerr *err);

#endif
