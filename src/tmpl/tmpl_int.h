/*
 * tmpl_int: what the files of src/tmpl share and nothing else includes (mechanism, rank 20).
 *
 * The arena every node and value lives in (tmpl_arena.c), the lexer's tokens
 * (tmpl_lex.c), the tree the parser builds (tmpl_parse.c), the values execution computes
 * with (tmpl_exec.c), the function table (tmpl_func.c) and the printing rules
 * (tmpl_value.c). Calls go one way: parse -> lex, func; exec -> func, value; func -> value;
 * everything -> arena.
 */
#ifndef KETTLE_TMPL_INT_H
#define KETTLE_TMPL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/kerr.h"
#include "tmpl/tmpl.h"

/* ---- tmpl_arena.c ---- */

/* Bump allocation from malloc'd blocks, all freed at once; capped at max bytes. */
struct tmpl_arena {
	struct tmpl_blk *head; /* owned; newest block first */
	size_t used;	       /* bytes handed out and lost to block ends */
	size_t max;	       /* cap on used */
};

void tmpl_arena_init(struct tmpl_arena *a, size_t max);
/* n bytes, 8-aligned, zeroed; NULL with err past the cap or out of memory. */
void *tmpl_arena_alloc(struct tmpl_arena *a, size_t n, struct kerr *err);
/* A NUL-terminated copy of s[0..n). */
char *tmpl_arena_strndup(struct tmpl_arena *a, const char *s, size_t n, struct kerr *err);
void tmpl_arena_done(struct tmpl_arena *a);

/* ---- tmpl_lex.c ---- */

enum tmpl_tok_kind {
	TMPL_T_EOF = 0,	 /* end of the text */
	TMPL_T_ERROR,	 /* a lexical error: s is Go's message; always the last token */
	TMPL_T_TEXT,	 /* text outside actions (trim markers applied) */
	TMPL_T_LEFT,	 /* {{ */
	TMPL_T_RIGHT,	 /* }} */
	TMPL_T_SPACE,	 /* blanks inside an action */
	TMPL_T_FIELD,	 /* .Name */
	TMPL_T_DOT,	 /* . */
	TMPL_T_VAR,	 /* $ or $name */
	TMPL_T_IDENT,	 /* a function name */
	TMPL_T_STRING,	 /* "quoted", escapes still in */
	TMPL_T_RAW,	 /* `raw` */
	TMPL_T_CHAR,	 /* 'c' */
	TMPL_T_NUMBER,	 /* 12, 0x1f, 1.5e3 */
	TMPL_T_BOOL,	 /* true, false */
	TMPL_T_NIL,	 /* nil */
	TMPL_T_PIPE,	 /* | */
	TMPL_T_LPAREN,	 /* ( */
	TMPL_T_RPAREN,	 /* ) */
	TMPL_T_DECLARE,	 /* := */
	TMPL_T_ASSIGN,	 /* = */
	TMPL_T_COMMA,	 /* , */
	TMPL_T_OTHER,	 /* any other printable character inside an action */
	TMPL_T_IF,	 /* keywords */
	TMPL_T_ELSE,	 /* else */
	TMPL_T_END,	 /* end */
	TMPL_T_RANGE,	 /* range */
	TMPL_T_WITH,	 /* with */
	TMPL_T_BREAK,	 /* break */
	TMPL_T_CONTINUE, /* continue */
	TMPL_T_DEFINE,	 /* define, template, block: refused by the parser */
	TMPL_T_TEMPLATE, /* template */
	TMPL_T_BLOCK,	 /* block */
};

struct tmpl_tok {
	enum tmpl_tok_kind kind; /* what it is */
	int pos;		 /* byte offset in the template */
	int line;		 /* 1-based line of pos */
	const char *s;		 /* borrowed: its bytes in the template */
	int len;		 /* bytes at s */
};

/* Every token of text into an arena array, ending with TMPL_T_EOF or, at a lexical
 * error, TMPL_T_ERROR (Go reports it only when the parser reaches it). Fails only when the
 * arena does. */
int tmpl_lex(const char *text, size_t len, struct tmpl_arena *a, struct tmpl_tok **toks, size_t *n,
	     struct kerr *err);

/* ---- tmpl_parse.c: the tree ---- */

enum tmpl_node_kind {
	TMPL_N_LIST = 0, /* kids in order */
	TMPL_N_TEXT,	 /* s, n */
	TMPL_N_ACTION,	 /* pipe: printed unless it declares */
	TMPL_N_IF,	 /* pipe, list, else_list */
	TMPL_N_RANGE,	 /* pipe, list, else_list */
	TMPL_N_WITH,	 /* pipe, list, else_list */
	TMPL_N_BREAK,	 /* {{break}} */
	TMPL_N_CONTINUE, /* {{continue}} */
	TMPL_N_PIPE,	 /* decl[ndecl] (assign or declare), kids: the commands */
	TMPL_N_CMD,	 /* kids: its words */
	TMPL_N_FIELD,	 /* idents: .A.B */
	TMPL_N_VAR,	 /* idents[0] "$x", then fields */
	TMPL_N_DOT,	 /* . */
	TMPL_N_STRING,	 /* s, n: the unquoted bytes */
	TMPL_N_NUMBER,	 /* is_int: ival, else fval; s, n: the literal */
	TMPL_N_BOOL,	 /* bval */
	TMPL_N_NIL,	 /* nil */
	TMPL_N_IDENT,	 /* a function: fn; s: its name */
	TMPL_N_CHAIN,	 /* sub (a parenthesised pipe), then idents */
};

struct tmpl_func;

struct tmpl_node {
	enum tmpl_node_kind kind;    /* what it is */
	int pos;		     /* byte offset of its first token */
	int line;		     /* its line */
	struct tmpl_node **kids;     /* arena; LIST items, PIPE commands, CMD words */
	size_t nkids;		     /* entries of kids */
	struct tmpl_node *pipe;	     /* IF, RANGE, WITH, ACTION: the pipeline */
	struct tmpl_node *list;	     /* IF, RANGE, WITH: the body */
	struct tmpl_node *else_list; /* IF, RANGE, WITH: the else branch, or NULL */
	struct tmpl_node *sub;	     /* CHAIN: the parenthesised pipeline */
	const char **idents;	     /* arena; FIELD, VAR, CHAIN names (no dots) */
	size_t nidents;		     /* entries of idents */
	const char **decl;	     /* arena; PIPE: declared variables ("$x") */
	size_t ndecl;		     /* entries of decl */
	bool assign;		     /* PIPE: "=" rather than ":=" */
	const char *s;		     /* arena: TEXT, STRING bytes; NUMBER literal; IDENT name */
	size_t n;		     /* bytes at s */
	const char *lit;	     /* STRING: the literal as written (quotes and escapes) */
	size_t nlit;		     /* bytes at lit */
	bool bval;		     /* BOOL */
	bool is_int;		     /* NUMBER: an integer (ival), else a float (fval) */
	int64_t ival;		     /* NUMBER */
	double fval;		     /* NUMBER */
	const struct tmpl_func *fn;  /* IDENT */
};

struct tmpl {
	struct tmpl_arena arena; /* owns the text copy and every node */
	const char *text;	 /* arena: the template, for error positions */
	size_t len;		 /* bytes of text */
	struct tmpl_node *root;	 /* a LIST */
};

/* The node as Go's String() writes it, for "executing at <...>" (bounded). */
void tmpl_node_string(const struct tmpl_node *n, struct buf *out);

/* ---- values (tmpl_exec.c computes them, tmpl_func.c and tmpl_value.c use them) ---- */

enum tmpl_val_kind {
	TMPL_V_NONE = 0, /* no value: a map's missing key; prints "<no value>" */
	TMPL_V_NIL,	 /* JSON null, nil */
	TMPL_V_BOOL,	 /* b */
	TMPL_V_INT,	 /* i (s, n: the document's literal when it came from there) */
	TMPL_V_FLOAT,	 /* f (s, n: the literal, as for INT) */
	TMPL_V_STR,	 /* s, n (NUL-terminated too) */
	TMPL_V_NODE,	 /* an object or array of doc at tok */
	TMPL_V_STRS,	 /* v[n]: a []string made by split */
};

struct tmpl_val {
	enum tmpl_val_kind kind;    /* what it is */
	bool b;			    /* BOOL */
	int64_t i;		    /* INT */
	double f;		    /* FLOAT */
	const char *s;		    /* STR bytes; INT, FLOAT literal or NULL */
	size_t n;		    /* bytes at s; STRS: entries of v */
	const char *const *v;	    /* STRS: NUL-terminated strings */
	const struct json_doc *doc; /* NODE */
	int tok;		    /* NODE */
};

/* What functions and printing need of the running execution. */
struct tmpl_env {
	struct tmpl_arena *arena;	  /* values live here */
	const struct tmpl_schema *schema; /* or NULL */
	bool header;			  /* docker's header functions */
};

/* ---- tmpl_value.c ---- */

/* The value of document token tok (a scalar becomes BOOL, INT, FLOAT, STR or NIL). */
int tmpl_val_of_tok(const struct tmpl_env *e, const struct json_doc *d, int tok, struct tmpl_val *v,
		    struct kerr *err);
/* Go's truth: false, 0, "", nil, no value and empty arrays, maps and []string are false. */
bool tmpl_val_truth(const struct tmpl_val *v);
/* The Go type docker's value would have, for messages: "string", "int", "bool", ... */
const char *tmpl_val_type(const struct tmpl_env *e, const struct tmpl_val *v);
/* fmt.Print of the value (what an action prints). Printing into a buffer that cannot grow
 * drops bytes silently: exec prints into unbounded buffers and checks its own cap. */
void tmpl_val_print(const struct tmpl_env *e, const struct tmpl_val *v, struct buf *out);
/* docker's json function: the value as compact Go JSON. */
void tmpl_val_json(const struct tmpl_env *e, const struct tmpl_val *v, struct buf *out);
/* Value token indexes of the object at tok's members, sorted by key as Go sorts map keys,
 * into *idx (arena). Returns the count, or -1 when the arena is full. */
int tmpl_val_sorted_members(const struct tmpl_env *e, const struct json_doc *d, int tok, int **idx);
/* Path of document token tok as tmpl_schema writes it ("Config.Labels"). */
void tmpl_val_path(const struct json_doc *d, int tok, struct buf *out);
/* Whether the object at tok is a Go map by the schema (no schema: yes). */
bool tmpl_val_is_map(const struct tmpl_env *e, const struct json_doc *d, int tok);
/* Whether key of the object at tok may be absent (tmpl_schema.optional). */
bool tmpl_val_is_optional(const struct tmpl_env *e, const struct json_doc *d, int tok,
			  const char *key);
/* Go's strconv.Quote of s[0..n). */
void tmpl_val_quote(const char *s, size_t n, struct buf *out);
/* Go's %v of a float64 (strconv.FormatFloat(f, 'g', -1, 64)). */
void tmpl_val_float(double f, struct buf *out);

/* ---- tmpl_func.c ---- */

/* A function a template may call. Argument types, as exec checks them before the call
 * (Go's evalArg): 'a' anything, 's' a string, 'i' an integer, 'l' a []string (an array of
 * strings, or nil). */
struct tmpl_func {
	const char *name;  /* as written in a template */
	const char *types; /* one letter per fixed argument */
	char rest;	   /* type of each further argument, or 0: no more */
	bool header_id;	   /* docker's header functions return their first argument */
	bool lazy;	   /* and, or: exec evaluates the arguments itself, left to right */
	/* Computes *res from n arguments; a failure fills err with the bare reason, which
	 * exec reports as "error calling NAME: ...". */
	int (*fn)(const struct tmpl_env *e, const struct tmpl_val *args, size_t n,
		  struct tmpl_val *res, struct kerr *err);
};

/* The function called name (n bytes), or NULL. */
const struct tmpl_func *tmpl_func_find(const char *name, size_t n);

#endif
