/*
 * tmpl_exec: runs a parsed template over a JSON document, as Go's text/template executes
 * one over docker's values (mechanism, rank 20; calls tmpl_func.c, tmpl_value.c, the
 * arena and tmpl_node_string of tmpl_parse.c).
 *
 * Dot starts at the document's root and so does $; fields look up object keys (a struct's
 * missing key is an error, a map's is "<no value>", per the schema), with the root's
 * methods (`.Label "k"`) asked first as Go asks methods before fields. Pipelines pass each
 * command's value as the next one's last argument; if, with and range test Go's truth;
 * range walks arrays, maps in key order, []string and integers. Invariants: every value
 * lives in this execution's arena (freed at the end); the evaluation steps, the arena
 * and the output are capped, so a hostile template over a hostile document ends with an
 * error instead of exhausting the machine. Errors carry Go's location and context.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl_int.h"

#define ARGS_MAX 64 /* arguments of one function call */

/* A variable in scope. */
struct var {
	const char *name;    /* "$x"; arena or the template's */
	struct tmpl_val val; /* its value */
};

/* One execution. */
struct state {
	const struct tmpl *t;		    /* borrowed template */
	const struct tmpl_data *data;	    /* borrowed */
	struct tmpl_env env;		    /* the arena, schema, header mode */
	struct buf out;			    /* what is written (unbounded; capped by check_out) */
	struct kerr *err;		    /* the first failure */
	bool failed;			    /* err is set: unwind */
	const struct tmpl_node *at;	    /* node the next error is about */
	struct var vars[TMPL_VARS_MAX + 2]; /* in scope, "$" first */
	size_t nvars;			    /* entries of vars */
	uint64_t steps;			    /* nodes evaluated */
	int jump;			    /* 1 after {{break}}, 2 after {{continue}} */
};

/* "template: :LINE:COL: executing \"\" at <CONTEXT>: MSG", Go's ExecError. */
__attribute__((format(printf, 2, 3))) static void errorf(struct state *s, const char *fmt, ...)
{
	char msg[KERR_MSG_MAX / 2];
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!s->at) {
		kerr_set(s->err, 0, "template: : %s", msg);
		return;
	}
	int pos = s->at->pos, col = pos;
	for (int i = pos - 1; i >= 0; i--) {
		if (s->t->text[i] == '\n') {
			col = pos - (i + 1);
			break;
		}
	}
	struct buf ctx;
	buf_init(&ctx, 4096);
	tmpl_node_string(s->at, &ctx);
	kerr_set(s->err, 0, "template: :%d:%d: executing \"\" at <%.*s>: %s", s->at->line, col,
		 ctx.len > 200 ? 200 : (int)ctx.len, ctx.data ? (const char *)ctx.data : "", msg);
	buf_done(&ctx);
}

static bool step(struct state *s)
{
	if (s->failed)
		return false;
	if (++s->steps > TMPL_STEPS_MAX) {
		s->at = NULL;
		errorf(s, "execution exceeds %u steps", TMPL_STEPS_MAX);
		return false;
	}
	return true;
}

static bool check_out(struct state *s)
{
	if (s->out.len > TMPL_OUT_MAX) {
		s->at = NULL;
		errorf(s, "output exceeds %u bytes", TMPL_OUT_MAX);
		return false;
	}
	return !s->failed;
}

static bool arena_failed(struct state *s, struct kerr *err)
{
	if (!s->failed) {
		s->failed = true;
		*s->err = *err;
	}
	return false;
}

/* ---- variables ---- */

static void push_var(struct state *s, const char *name, const struct tmpl_val *v)
{
	if (s->nvars == sizeof(s->vars) / sizeof(s->vars[0])) {
		errorf(s, "more than %d variables", TMPL_VARS_MAX);
		return;
	}
	s->vars[s->nvars++] = (struct var){ .name = name, .val = *v };
}

static struct var *find_var(struct state *s, const char *name)
{
	for (size_t i = s->nvars; i-- > 0;)
		if (strcmp(s->vars[i].name, name) == 0)
			return &s->vars[i];
	return NULL;
}

/* ---- evaluation ---- */

static const struct tmpl_val missing = { .kind = TMPL_V_NONE };

static bool eval_pipeline(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *pipe,
			  struct tmpl_val *out);
static bool eval_arg(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *n,
		     struct tmpl_val *out);

/* Go's "can't give argument to non-function". */
static bool not_a_function(struct state *s, const struct tmpl_node *cmd, bool has_final)
{
	if (cmd->nkids > 1 || has_final) {
		struct buf b;

		buf_init(&b, 4096);
		tmpl_node_string(cmd->kids[0], &b);
		errorf(s, "can't give argument to non-function %.*s", (int)b.len,
		       b.data ? (const char *)b.data : "");
		buf_done(&b);
		return false;
	}
	return true;
}

/* The root's method name with args (nodes after the field in cmd) and the final value. */
static int call_method(struct state *s, const struct tmpl_val *dot, const char *name,
		       const struct tmpl_node *cmd, bool has_final, const struct tmpl_val *final,
		       struct tmpl_val *out)
{
	const char *argv[ARGS_MAX];
	size_t argc = 0;
	struct kerr err;
	const char *result = NULL;

	if (!s->data->method)
		return 0;
	for (size_t i = 1; cmd && i < cmd->nkids && argc < ARGS_MAX; i++) {
		struct tmpl_val v;

		if (!eval_arg(s, dot, cmd->kids[i], &v))
			return -1;
		if (v.kind != TMPL_V_STR) {
			s->at = cmd->kids[i];
			errorf(s, "wrong type for value; expected string; got %s",
			       tmpl_val_type(&s->env, &v));
			return -1;
		}
		argv[argc++] = v.s;
	}
	if (has_final && argc < ARGS_MAX) {
		if (final->kind != TMPL_V_STR) {
			errorf(s, "wrong type for value; expected string; got %s",
			       tmpl_val_type(&s->env, final));
			return -1;
		}
		argv[argc++] = final->s;
	}
	int rc = s->data->method(s->data->ctx, name, argc, argv, &result, &err);
	if (rc < 0) {
		errorf(s, "error calling %s: %s", name, err.msg);
		return -1;
	}
	if (rc == 0)
		return 0;
	*out = (struct tmpl_val){ .kind = TMPL_V_STR, .s = result, .n = strlen(result) };
	return 1;
}

/*
 * Field name of receiver. cmd and has_final matter only for the last field of a chain
 * (arguments make it a method call). Returns false on an error.
 */
static bool eval_field(struct state *s, const struct tmpl_val *dot, const char *name,
		       const struct tmpl_val *recv, const struct tmpl_node *cmd, bool has_final,
		       const struct tmpl_val *final, struct tmpl_val *out)
{
	bool has_args = (cmd && cmd->nkids > 1) || has_final;
	struct kerr err;

	if (recv->kind == TMPL_V_NODE && recv->tok == 0 && recv->doc == s->data->doc) {
		int rc = call_method(s, dot, name, cmd, has_final, final, out);

		if (rc != 0)
			return rc > 0;
	}
	switch (recv->kind) {
	case TMPL_V_NONE:
		/* A field of a map's missing key: no value either (Go's default). */
		*out = missing;
		return true;
	case TMPL_V_NIL:
		errorf(s, "nil pointer evaluating interface {}.%s", name);
		return false;
	case TMPL_V_NODE:
		if (recv->doc->toks[recv->tok].type == JSON_OBJECT)
			break;
		/* fallthrough */
	default:
		errorf(s, "can't evaluate field %s in type %s", name, tmpl_val_type(&s->env, recv));
		return false;
	}
	const struct json_doc *d = recv->doc;
	bool map = tmpl_val_is_map(&s->env, d, recv->tok);
	if (has_args) {
		errorf(s, "%s is not a method but has arguments", name);
		return false;
	}
	int v = json_obj_get(d, recv->tok, name);
	if (v < 0) {
		if (map) {
			*out = missing;
			return true;
		}
		if (tmpl_val_is_optional(&s->env, d, recv->tok, name)) {
			*out = (struct tmpl_val){ .kind = TMPL_V_NIL };
			return true;
		}
		errorf(s, "map has no entry for key \"%s\"", name);
		return false;
	}
	if (tmpl_val_of_tok(&s->env, d, v, out, &err) < 0)
		return arena_failed(s, &err);
	return true;
}

/* recv.idents[from].idents[from+1]…; the last field gets cmd's arguments. */
static bool eval_chain(struct state *s, const struct tmpl_val *dot, const struct tmpl_val *recv,
		       const struct tmpl_node *n, size_t from, const struct tmpl_node *cmd,
		       bool has_final, const struct tmpl_val *final, struct tmpl_val *out)
{
	struct tmpl_val cur = *recv;

	s->at = n;
	for (size_t i = from; i < n->nidents; i++) {
		bool last = i + 1 == n->nidents;
		struct tmpl_val next;

		if (!eval_field(s, dot, n->idents[i], &cur, last ? cmd : NULL, last && has_final,
				final, &next))
			return false;
		cur = next;
	}
	*out = cur;
	return true;
}

static bool eval_var(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *n,
		     const struct tmpl_node *cmd, bool has_final, const struct tmpl_val *final,
		     struct tmpl_val *out)
{
	struct var *v = find_var(s, n->idents[0]);

	s->at = n;
	if (!v) {
		errorf(s, "undefined variable: %s", n->idents[0]);
		return false;
	}
	if (n->nidents == 1) {
		if (cmd && !not_a_function(s, cmd, has_final))
			return false;
		*out = v->val;
		return true;
	}
	struct tmpl_val recv = v->val;
	return eval_chain(s, dot, &recv, n, 1, cmd, has_final, final, out);
}

static const char *type_name(char t)
{
	return t == 's' ? "string" : t == 'i' ? "int" : t == 'l' ? "[]string" : "interface {}";
}

/* Go's validateType for the argument types of tmpl_func. */
static bool check_type(struct state *s, char type, struct tmpl_val *v)
{
	switch (type) {
	case 's':
		if (v->kind == TMPL_V_STR)
			return true;
		break;
	case 'i':
		if (v->kind == TMPL_V_INT)
			return true;
		break;
	case 'l':
		if (v->kind == TMPL_V_STRS || v->kind == TMPL_V_NIL)
			return true;
		if (v->kind == TMPL_V_NODE && v->doc->toks[v->tok].type == JSON_ARRAY) {
			const struct json_doc *d = v->doc;
			bool all = true;

			for (int m = 0, k = v->tok + 1; m < d->toks[v->tok].size && all;
			     m++, k = json_skip(d, k))
				all = d->toks[k].type == JSON_STRING;
			if (all)
				return true;
		}
		break;
	default:
		/* A map's missing key passed on is nil, as Go's reflect.Zero of interface{}. */
		if (v->kind == TMPL_V_NONE)
			*v = (struct tmpl_val){ .kind = TMPL_V_NIL };
		return true;
	}
	if (v->kind == TMPL_V_NONE)
		errorf(s, "invalid value; expected %s", type_name(type));
	else
		errorf(s, "wrong type for value; expected %s; got %s", type_name(type),
		       tmpl_val_type(&s->env, v));
	return false;
}

/* A call of fn with args (cmd's words after the name, or none) and the final value. */
static bool eval_call(struct state *s, const struct tmpl_val *dot, const struct tmpl_func *fn,
		      const struct tmpl_node *ident, const struct tmpl_node *cmd, bool has_final,
		      const struct tmpl_val *final, struct tmpl_val *out)
{
	size_t nargs = cmd && cmd->kind == TMPL_N_CMD ? cmd->nkids - 1 : 0;
	size_t fixed = strlen(fn->types), total = nargs + has_final;
	struct tmpl_val args[ARGS_MAX];
	struct kerr err;

	s->at = ident;
	if (fn->rest ? total < fixed : total != fixed) {
		errorf(s, "wrong number of args for %s: want %s%zu got %zu", fn->name,
		       fn->rest ? "at least " : "", fixed, nargs);
		return false;
	}
	if (total > ARGS_MAX) {
		errorf(s, "more than %d arguments for %s", ARGS_MAX, fn->name);
		return false;
	}
	bool header = s->env.header && fn->header_id;
	for (size_t i = 0; i < total; i++) {
		char type = i < fixed ? fn->types[i] : fn->rest;

		if (i < nargs) {
			if (!eval_arg(s, dot, cmd->kids[i + 1], &args[i]))
				return false;
			s->at = cmd->kids[i + 1];
		} else {
			args[i] = *final;
			s->at = ident;
		}
		if (!header && !check_type(s, type, &args[i]))
			return false;
		/* and, or: Go stops at the first argument that decides. */
		if (fn->lazy && i + 1 < total && tmpl_val_truth(&args[i]) == (fn->name[0] == 'o')) {
			*out = args[i];
			return true;
		}
	}
	if (header) {
		*out = args[0];
		return true;
	}
	if (fn->fn(&s->env, args, total, out, &err) < 0) {
		s->at = cmd ? cmd : ident;
		errorf(s, "error calling %s: %s", fn->name, err.msg);
		return false;
	}
	return true;
}

/* An argument (not the first word of a command). */
static bool eval_arg(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *n,
		     struct tmpl_val *out)
{
	if (!step(s))
		return false;
	s->at = n;
	switch (n->kind) {
	case TMPL_N_DOT:
		*out = *dot;
		return true;
	case TMPL_N_NIL:
		*out = (struct tmpl_val){ .kind = TMPL_V_NIL };
		return true;
	case TMPL_N_FIELD:
		return eval_chain(s, dot, dot, n, 0, NULL, false, &missing, out);
	case TMPL_N_VAR:
		return eval_var(s, dot, n, NULL, false, &missing, out);
	case TMPL_N_PIPE:
		return eval_pipeline(s, dot, n, out);
	case TMPL_N_IDENT:
		return eval_call(s, dot, n->fn, n, NULL, false, &missing, out);
	case TMPL_N_CHAIN: {
		struct tmpl_val recv;

		if (n->sub->kind == TMPL_N_NIL) {
			errorf(s, "indirection through explicit nil");
			return false;
		}
		if (!eval_arg(s, dot, n->sub, &recv))
			return false;
		return eval_chain(s, dot, &recv, n, 0, NULL, false, &missing, out);
	}
	case TMPL_N_BOOL:
		*out = (struct tmpl_val){ .kind = TMPL_V_BOOL, .b = n->bval };
		return true;
	case TMPL_N_NUMBER:
		if (n->is_int)
			*out = (struct tmpl_val){ .kind = TMPL_V_INT, .i = n->ival, .f = n->fval };
		else
			*out = (struct tmpl_val){ .kind = TMPL_V_FLOAT, .f = n->fval };
		return true;
	case TMPL_N_STRING:
		*out = (struct tmpl_val){ .kind = TMPL_V_STR, .s = n->s, .n = n->n };
		return true;
	default:
		errorf(s, "can't handle node in an argument");
		return false;
	}
}

static bool eval_command(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *cmd,
			 bool has_final, const struct tmpl_val *final, struct tmpl_val *out)
{
	const struct tmpl_node *first = cmd->kids[0];

	if (!step(s))
		return false;
	s->at = first;
	switch (first->kind) {
	case TMPL_N_FIELD:
		return eval_chain(s, dot, dot, first, 0, cmd, has_final, final, out);
	case TMPL_N_CHAIN: {
		struct tmpl_val recv;

		if (first->sub->kind == TMPL_N_NIL) {
			errorf(s, "indirection through explicit nil");
			return false;
		}
		if (!eval_arg(s, dot, first->sub, &recv))
			return false;
		return eval_chain(s, dot, &recv, first, 0, cmd, has_final, final, out);
	}
	case TMPL_N_IDENT:
		return eval_call(s, dot, first->fn, first, cmd, has_final, final, out);
	case TMPL_N_VAR:
		return eval_var(s, dot, first, cmd, has_final, final, out);
	case TMPL_N_PIPE:
		if (!not_a_function(s, cmd, has_final))
			return false;
		return eval_pipeline(s, dot, first, out);
	case TMPL_N_NIL:
		errorf(s, "nil is not a command");
		return false;
	default:
		if (!not_a_function(s, cmd, has_final))
			return false;
		return eval_arg(s, dot, first, out);
	}
}

static bool eval_pipeline(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *pipe,
			  struct tmpl_val *out)
{
	struct tmpl_val v = missing;

	s->at = pipe;
	for (size_t i = 0; i < pipe->nkids; i++) {
		struct tmpl_val next;

		if (!eval_command(s, dot, pipe->kids[i], i > 0, &v, &next))
			return false;
		v = next;
	}
	for (size_t i = 0; i < pipe->ndecl; i++) {
		if (pipe->assign) {
			struct var *var = find_var(s, pipe->decl[i]);

			if (!var) {
				s->at = pipe;
				errorf(s, "undefined variable: %s", pipe->decl[i]);
				return false;
			}
			var->val = v;
		} else {
			push_var(s, pipe->decl[i], &v);
		}
	}
	*out = v;
	return !s->failed;
}

/* ---- statements ---- */

static bool walk(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *n);

static bool range_one(struct state *s, const struct tmpl_node *r, const struct tmpl_val *key,
		      const struct tmpl_val *elem)
{
	size_t mark = s->nvars;

	/* The pipeline's variables: the last takes the element, a first of two the index
	 * or key. Declared ones are the newest in scope; assigned ones are found by name. */
	size_t nd = r->pipe->ndecl;
	for (size_t i = 0; i < nd; i++) {
		const struct tmpl_val *v = i + 1 == nd ? elem : key;
		struct var *var = r->pipe->assign  ? find_var(s, r->pipe->decl[i])
				  : s->nvars >= nd ? &s->vars[s->nvars - nd + i]
						   : NULL;

		if (var)
			var->val = *v;
	}
	bool ok = walk(s, elem, r->list);
	s->nvars = mark;
	if (s->jump == 2)
		s->jump = 0;
	return ok;
}

static bool walk_range(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *r)
{
	struct tmpl_val v;
	struct kerr err;
	bool any = false;
	size_t mark = s->nvars;

	s->at = r;
	if (!eval_pipeline(s, dot, r->pipe, &v))
		return false;
	switch (v.kind) {
	case TMPL_V_NONE:
	case TMPL_V_NIL:
		break;
	case TMPL_V_INT:
		for (int64_t i = 0; i < v.i && !s->failed && s->jump != 1; i++) {
			struct tmpl_val x = { .kind = TMPL_V_INT, .i = i, .f = (double)i };

			any = true;
			if (!range_one(s, r, &x, &x))
				return false;
		}
		break;
	case TMPL_V_STRS:
		for (size_t i = 0; i < v.n && !s->failed && s->jump != 1; i++) {
			struct tmpl_val k = { .kind = TMPL_V_INT, .i = (int64_t)i, .f = (double)i };
			struct tmpl_val x = { .kind = TMPL_V_STR,
					      .s = v.v[i],
					      .n = strlen(v.v[i]) };

			any = true;
			if (!range_one(s, r, &k, &x))
				return false;
		}
		break;
	case TMPL_V_NODE: {
		const struct json_doc *d = v.doc;
		const struct json_tok *t = &d->toks[v.tok];

		if (t->type == JSON_ARRAY) {
			for (int m = 0, k = v.tok + 1; m < t->size && !s->failed && s->jump != 1;
			     m++, k = json_skip(d, k)) {
				struct tmpl_val key = { .kind = TMPL_V_INT, .i = m, .f = m }, x;

				any = true;
				if (tmpl_val_of_tok(&s->env, d, k, &x, &err) < 0)
					return arena_failed(s, &err);
				if (!range_one(s, r, &key, &x))
					return false;
			}
			break;
		}
		if (!tmpl_val_is_map(&s->env, d, v.tok))
			goto cannot;
		int *idx = NULL;
		int n = tmpl_val_sorted_members(&s->env, d, v.tok, &idx);
		if (n < 0) {
			kerr_set(&err, 0, "template: memory use exceeds the limit of %zu bytes",
				 s->env.arena->max);
			return arena_failed(s, &err);
		}
		for (int m = 0; m < n && !s->failed && s->jump != 1; m++) {
			struct tmpl_val key, x;

			any = true;
			if (tmpl_val_of_tok(&s->env, d, idx[m] - 1, &key, &err) < 0 ||
			    tmpl_val_of_tok(&s->env, d, idx[m], &x, &err) < 0)
				return arena_failed(s, &err);
			if (!range_one(s, r, &key, &x))
				return false;
		}
		break;
	}
	default:
	cannot : {
		struct buf b;

		buf_init(&b, SIZE_MAX);
		tmpl_val_print(&s->env, &v, &b);
		s->at = r;
		errorf(s, "range can't iterate over %.*s", b.len > 100 ? 100 : (int)b.len,
		       b.data ? (const char *)b.data : "");
		buf_done(&b);
		return false;
	}
	}
	s->jump = 0;
	bool ok = !s->failed;
	if (ok && !any && r->else_list)
		ok = walk(s, dot, r->else_list);
	s->nvars = mark;
	return ok;
}

static bool walk(struct state *s, const struct tmpl_val *dot, const struct tmpl_node *n)
{
	struct tmpl_val v;
	size_t mark;

	if (!step(s))
		return false;
	switch (n->kind) {
	case TMPL_N_LIST:
		for (size_t i = 0; i < n->nkids && !s->jump; i++)
			if (!walk(s, dot, n->kids[i]))
				return false;
		return true;
	case TMPL_N_TEXT:
		if (buf_append(&s->out, n->s, n->n, &(struct kerr){ 0 }) < 0) {
			s->at = NULL;
			errorf(s, "out of memory");
			return false;
		}
		return check_out(s);
	case TMPL_N_ACTION:
		if (!eval_pipeline(s, dot, n->pipe, &v))
			return false;
		if (n->pipe->ndecl == 0)
			tmpl_val_print(&s->env, &v, &s->out);
		return check_out(s);
	case TMPL_N_IF:
	case TMPL_N_WITH:
		mark = s->nvars;
		s->at = n;
		if (!eval_pipeline(s, dot, n->pipe, &v))
			return false;
		if (tmpl_val_truth(&v)) {
			if (!walk(s, n->kind == TMPL_N_WITH ? &v : dot, n->list))
				return false;
		} else if (n->else_list && !walk(s, dot, n->else_list)) {
			return false;
		}
		s->nvars = mark;
		return true;
	case TMPL_N_RANGE:
		return walk_range(s, dot, n);
	case TMPL_N_BREAK:
		s->jump = 1;
		return true;
	case TMPL_N_CONTINUE:
		s->jump = 2;
		return true;
	default:
		s->at = n;
		errorf(s, "unknown node");
		return false;
	}
}

int tmpl_exec(const struct tmpl *t, const struct tmpl_data *d, struct buf *out, struct kerr *err)
{
	struct tmpl_arena arena;
	struct state *s = calloc(1, sizeof(*s));
	struct tmpl_val root;
	int rc = 0;

	if (!s)
		return kerr_set(err, ENOMEM, "template");
	tmpl_arena_init(&arena, TMPL_MEM_MAX);
	s->t = t;
	s->data = d;
	s->env = (struct tmpl_env){ .arena = &arena, .schema = d->schema, .header = d->header };
	s->err = err;
	buf_init(&s->out, SIZE_MAX);
	if (tmpl_val_of_tok(&s->env, d->doc, 0, &root, err) < 0) {
		rc = -1;
	} else {
		push_var(s, "$", &root);
		if (!walk(s, &root, t->root))
			rc = -1;
	}
	/* What was written before a failure goes out too, as Go's Execute leaves it. */
	if (s->out.len &&
	    buf_append(out, s->out.data, s->out.len, rc < 0 ? &(struct kerr){ 0 } : err) < 0 &&
	    rc == 0)
		rc = -1;
	buf_done(&s->out);
	tmpl_arena_done(&arena);
	free(s);
	return rc;
}
