/*
 * seccomp_profile: docker's seccomp profile JSON read into kettle's profile (mechanism,
 * rank 35), and the names of architectures, actions and operators.
 *
 * The parse is strict where docker's is lax: unknown keys, a bad action, operator,
 * argument index (>= 6), errno, architecture or syscall name fail with the rule named
 * (`syscalls[3] (socket)`), so a typo never silently weakens a filter. Seccomp `flags` and
 * notify listeners are refused: the runtime kettle drives (runc 1.1.5) refuses them too.
 * Every count is checked against its cap before anything is allocated; a failed parse
 * frees all it made. Never logs, never touches the filesystem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "seccomp/seccomp_profile.h"
#include "store/record.h"

#define SHOWN_MAX 48 /* bytes of a hostile string quoted in a message */

static const struct {
	const char *name;   /* libseccomp's and OCI's name */
	const char *goname; /* Go's GOARCH, what docker's "arches" filters name */
} arches[SECCOMP_ARCH_COUNT] = {
	[SECCOMP_ARCH_X86_64] = { "SCMP_ARCH_X86_64", "amd64" },
	[SECCOMP_ARCH_X86] = { "SCMP_ARCH_X86", "386" },
	[SECCOMP_ARCH_X32] = { "SCMP_ARCH_X32", "x32" },
	[SECCOMP_ARCH_AARCH64] = { "SCMP_ARCH_AARCH64", "arm64" },
	[SECCOMP_ARCH_ARM] = { "SCMP_ARCH_ARM", "arm" },
	[SECCOMP_ARCH_MIPS] = { "SCMP_ARCH_MIPS", "mips" },
	[SECCOMP_ARCH_MIPSEL] = { "SCMP_ARCH_MIPSEL", "mipsle" },
	[SECCOMP_ARCH_MIPS64] = { "SCMP_ARCH_MIPS64", "mips64" },
	[SECCOMP_ARCH_MIPSEL64] = { "SCMP_ARCH_MIPSEL64", "mips64le" },
	[SECCOMP_ARCH_MIPS64N32] = { "SCMP_ARCH_MIPS64N32", "mips64n32" },
	[SECCOMP_ARCH_MIPSEL64N32] = { "SCMP_ARCH_MIPSEL64N32", "mips64len32" },
	[SECCOMP_ARCH_PPC] = { "SCMP_ARCH_PPC", "ppc" },
	[SECCOMP_ARCH_PPC64] = { "SCMP_ARCH_PPC64", "ppc64" },
	[SECCOMP_ARCH_PPC64LE] = { "SCMP_ARCH_PPC64LE", "ppc64le" },
	[SECCOMP_ARCH_S390] = { "SCMP_ARCH_S390", "s390" },
	[SECCOMP_ARCH_S390X] = { "SCMP_ARCH_S390X", "s390x" },
	[SECCOMP_ARCH_PARISC] = { "SCMP_ARCH_PARISC", "parisc" },
	[SECCOMP_ARCH_PARISC64] = { "SCMP_ARCH_PARISC64", "parisc64" },
	[SECCOMP_ARCH_RISCV64] = { "SCMP_ARCH_RISCV64", "riscv64" },
	[SECCOMP_ARCH_LOONGARCH64] = { "SCMP_ARCH_LOONGARCH64", "loong64" },
};

static const char *const actions[SECCOMP_ACT_COUNT] = {
	[SECCOMP_ACT_KILL] = "SCMP_ACT_KILL",
	[SECCOMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[SECCOMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[SECCOMP_ACT_TRAP] = "SCMP_ACT_TRAP",
	[SECCOMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
	[SECCOMP_ACT_TRACE] = "SCMP_ACT_TRACE",
	[SECCOMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
	[SECCOMP_ACT_LOG] = "SCMP_ACT_LOG",
};

static const char *const ops[SECCOMP_OP_COUNT] = {
	[SECCOMP_OP_NE] = "SCMP_CMP_NE",
	[SECCOMP_OP_LT] = "SCMP_CMP_LT",
	[SECCOMP_OP_LE] = "SCMP_CMP_LE",
	[SECCOMP_OP_EQ] = "SCMP_CMP_EQ",
	[SECCOMP_OP_GE] = "SCMP_CMP_GE",
	[SECCOMP_OP_GT] = "SCMP_CMP_GT",
	[SECCOMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *seccomp_profile_arch_name(enum seccomp_arch a)
{
	return (unsigned)a < SECCOMP_ARCH_COUNT ? arches[a].name : "?";
}

const char *seccomp_profile_arch_goname(enum seccomp_arch a)
{
	return (unsigned)a < SECCOMP_ARCH_COUNT ? arches[a].goname : "?";
}

const char *seccomp_profile_action_name(enum seccomp_action a)
{
	return (unsigned)a < SECCOMP_ACT_COUNT ? actions[a] : "?";
}

const char *seccomp_profile_op_name(enum seccomp_op op)
{
	return (unsigned)op < SECCOMP_OP_COUNT ? ops[op] : "?";
}

/* Quoted, log-safe and bounded: a profile is hostile input. */
static const char *shown(char out[4 * SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s);

	str_sanitize(out, 4 * SHOWN_MAX + 1, s, n > SHOWN_MAX ? SHOWN_MAX : n);
	return out;
}

int seccomp_profile_arch_parse(const char *s, enum seccomp_arch *a, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	for (int i = 0; i < SECCOMP_ARCH_COUNT; i++)
		if (strcmp(s, arches[i].name) == 0) {
			*a = (enum seccomp_arch)i;
			return 0;
		}
	return kerr_set(
		err, 0,
		"unknown architecture `%s`, expected SCMP_ARCH_X86_64, SCMP_ARCH_X86, "
		"SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM or another SCMP_ARCH_ name "
		"libseccomp knows",
		shown(q, s));
}

int seccomp_profile_kernel_parse(const char *s, uint32_t *out, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	char major[8], minor[8];
	const char *dot = strchr(s, '.');
	uint64_t a, b;

	if (!dot || !str_copyn(major, sizeof(major), s, (size_t)(dot - s)) ||
	    !str_copy(minor, sizeof(minor), dot + 1) || str_to_u64(major, 0xffff, &a, err) < 0 ||
	    str_to_u64(minor, 0xffff, &b, err) < 0 || (a == 0 && b == 0))
		return kerr_set(err, 0, "kernel version `%s` is not MAJOR.MINOR (e.g. 4.8)",
				shown(q, s));
	*out = (uint32_t)(a << 16 | b);
	return 0;
}

/* ---- the parse ---- */

struct parse {
	const struct json_doc *doc; /* borrowed */
	struct kerr *err;	    /* where failures go */
	size_t names;		    /* syscall names so far, all rules */
};

static int want(const struct parse *p, int i, enum json_type t, const char *what)
{
	if (p->doc->toks[i].type == t)
		return 0;
	return kerr_set(p->err, 0, "%s is %s, expected %s", what,
			json_type_name(p->doc->toks[i].type), json_type_name(t));
}

/* A string token into a fixed buffer; too long fails naming what. */
static int get_token(const struct parse *p, int i, const char *what, char *out, size_t cap)
{
	if (want(p, i, JSON_STRING, what) < 0)
		return -1;
	if (json_get_str(p->doc, i, out, cap, p->err) < 0)
		return kerr_wrap(p->err, "%s (at most %zu bytes)", what, cap - 1);
	return 0;
}

/* Fails on any key of object obj not in keys[] (NULL-terminated). */
static int only_keys(const struct parse *p, int obj, const char *const *keys, const char *where)
{
	char q[4 * SHOWN_MAX + 4], raw[SHOWN_MAX + 1];
	int k = obj + 1;

	for (int m = 0; m < p->doc->toks[obj].size; m++) {
		bool known = false;

		for (size_t j = 0; keys[j] && !known; j++)
			known = json_str_eq(p->doc, k, keys[j]);
		if (!known) {
			const struct json_tok *t = &p->doc->toks[k];
			size_t n = (size_t)(t->end - t->start);

			str_copyn(raw, sizeof(raw), p->doc->text + t->start,
				  n < SHOWN_MAX ? n : SHOWN_MAX);
			return kerr_set(p->err, 0, "unknown key `%s` in %s", shown(q, raw), where);
		}
		k = json_skip(p->doc, k + 1);
	}
	return 0;
}

static int get_u64(const struct parse *p, int i, const char *what, uint64_t max, uint64_t *out)
{
	if (want(p, i, JSON_NUMBER, what) < 0)
		return -1;
	if (json_get_u64(p->doc, i, out, p->err) < 0)
		return kerr_wrap(p->err, "%s", what);
	if (*out > max)
		return kerr_set(p->err, 0, "%s is %llu, exceeds %llu", what,
				(unsigned long long)*out, (unsigned long long)max);
	return 0;
}

static int get_action(const struct parse *p, int i, const char *what, enum seccomp_action *out)
{
	char s[SECCOMP_TOKEN_MAX], q[4 * SHOWN_MAX + 4];

	if (get_token(p, i, what, s, sizeof(s)) < 0)
		return -1;
	for (int a = 0; a < SECCOMP_ACT_COUNT; a++)
		if (strcmp(s, actions[a]) == 0) {
			*out = (enum seccomp_action)a;
			return 0;
		}
	if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		return kerr_set(p->err, 0,
				"%s SCMP_ACT_NOTIFY is not supported (kettle runs no seccomp "
				"agent)",
				what);
	return kerr_set(
		p->err, 0,
		"%s `%s` is unknown, expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
		"SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, "
		"SCMP_ACT_TRACE or SCMP_ACT_LOG",
		what, shown(q, s));
}

/* An array of strings as an owned, NULL-terminated array of owned strings. */
static int get_strings(const struct parse *p, int i, const char *what, size_t max, size_t cap,
		       char ***out, size_t *n)
{
	const struct json_tok *t = &p->doc->toks[i];
	char ename[64];
	int k = i + 1;

	if (p->doc->toks[i].type == JSON_NULL) {
		*n = 0;
		return 0;
	}
	if (want(p, i, JSON_ARRAY, what) < 0)
		return -1;
	if ((size_t)t->size > max)
		return kerr_set(p->err, 0, "%s has %d entries, exceeds %zu", what, t->size, max);
	*out = calloc((size_t)t->size + 1, sizeof(**out));
	if (!*out)
		return kerr_set(p->err, ENOMEM, "%s", what);
	*n = 0;
	for (int e = 0; e < t->size; e++) {
		char buf[SECCOMP_NAME_MAX + 1];

		snprintf(ename, sizeof(ename), "%s[%d]", what, e);
		if (get_token(p, k, ename, buf, sizeof(buf) < cap ? sizeof(buf) : cap) < 0)
			return -1;
		(*out)[*n] = strdup(buf);
		if (!(*out)[*n])
			return kerr_set(p->err, ENOMEM, "%s", ename);
		(*n)++;
		k = json_skip(p->doc, k);
	}
	return 0;
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int cap_bit(const char *name)
{
	for (int i = 0; record_all_caps[i]; i++)
		if (strcmp(record_all_caps[i], name) == 0)
			return i;
	return -1;
}

/* includes / excludes: {caps, arches, minKernel}. */
static int get_cond(const struct parse *p, int i, const char *what, struct seccomp_cond *c)
{
	static const char *const keys[] = { "caps", "arches", "minKernel", NULL };
	char ename[64], ver[16];
	char **caps = NULL, **arch = NULL;
	size_t ncaps = 0, narch = 0;
	int v, rc = 0;

	if (want(p, i, JSON_OBJECT, what) < 0 || only_keys(p, i, keys, what) < 0)
		return -1;
	v = json_obj_get(p->doc, i, "caps");
	snprintf(ename, sizeof(ename), "%s.caps", what);
	if (v >= 0 &&
	    get_strings(p, v, ename, RECORD_LIST_MAX, SECCOMP_NAME_MAX + 1, &caps, &ncaps) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < ncaps; k++) {
		int b = cap_bit(caps[k]);

		/* docker compares names: one it does not know never matches. */
		if (b < 0)
			c->unknown_cap = true;
		else
			c->caps |= 1ull << b;
	}
	strings_free(caps, ncaps);
	v = json_obj_get(p->doc, i, "arches");
	snprintf(ename, sizeof(ename), "%s.arches", what);
	if (rc == 0 && v >= 0 &&
	    get_strings(p, v, ename, SECCOMP_ARCHES_MAX, SECCOMP_TOKEN_MAX, &arch, &narch) < 0)
		rc = -1;
	c->arches = (const char *const *)arch;
	c->narches = narch;
	v = json_obj_get(p->doc, i, "minKernel");
	snprintf(ename, sizeof(ename), "%s.minKernel", what);
	if (rc == 0 && v >= 0 && p->doc->toks[v].type != JSON_NULL &&
	    (get_token(p, v, ename, ver, sizeof(ver)) < 0 ||
	     seccomp_profile_kernel_parse(ver, &c->min_kernel, p->err) < 0))
		rc = kerr_wrap(p->err, "%s", ename);
	return rc;
}

static int get_args(const struct parse *p, int i, const char *rule, struct seccomp_rule *r)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
	const struct json_tok *t = &p->doc->toks[i];
	struct seccomp_arg *args;
	char what[96], s[SECCOMP_TOKEN_MAX], q[4 * SHOWN_MAX + 4];
	int k = i + 1;

	if (t->type == JSON_NULL)
		return 0;
	if (want(p, i, JSON_ARRAY, "`args`") < 0)
		return kerr_wrap(p->err, "%s", rule);
	if (t->size > SECCOMP_ARGS_MAX)
		return kerr_set(p->err, 0, "%s: %d argument conditions, exceeds %d", rule, t->size,
				SECCOMP_ARGS_MAX);
	if (t->size == 0)
		return 0;
	args = calloc((size_t)t->size, sizeof(*args));
	if (!args)
		return kerr_set(p->err, ENOMEM, "%s", rule);
	r->args = args;
	for (int e = 0; e < t->size; e++) {
		struct seccomp_arg *a = &args[e];
		uint64_t idx = 0;
		int v;

		snprintf(what, sizeof(what), "args[%d]", e);
		if (want(p, k, JSON_OBJECT, what) < 0 || only_keys(p, k, keys, what) < 0)
			return kerr_wrap(p->err, "%s", rule);
		r->nargs++;
		v = json_obj_get(p->doc, k, "index");
		if (v < 0)
			return kerr_set(p->err, 0, "%s: %s has no `index`", rule, what);
		if (want(p, v, JSON_NUMBER, "`index`") < 0 ||
		    json_get_u64(p->doc, v, &idx, p->err) < 0)
			return kerr_wrap(p->err, "%s: %s", rule, what);
		if (idx > SECCOMP_ARG_INDEX_MAX)
			return kerr_set(p->err, 0,
					"%s: %s: argument index %llu is out of range, expected "
					"0..%d",
					rule, what, (unsigned long long)idx, SECCOMP_ARG_INDEX_MAX);
		a->index = (uint32_t)idx;
		v = json_obj_get(p->doc, k, "value");
		if (v >= 0 && get_u64(p, v, "`value`", UINT64_MAX, &a->value) < 0)
			return kerr_wrap(p->err, "%s: %s", rule, what);
		v = json_obj_get(p->doc, k, "valueTwo");
		if (v >= 0 && get_u64(p, v, "`valueTwo`", UINT64_MAX, &a->value_two) < 0)
			return kerr_wrap(p->err, "%s: %s", rule, what);
		v = json_obj_get(p->doc, k, "op");
		if (v < 0)
			return kerr_set(p->err, 0, "%s: %s has no `op`", rule, what);
		if (get_token(p, v, "`op`", s, sizeof(s)) < 0)
			return kerr_wrap(p->err, "%s: %s", rule, what);
		a->op = SECCOMP_OP_COUNT;
		for (int o = 0; o < SECCOMP_OP_COUNT; o++)
			if (strcmp(s, ops[o]) == 0)
				a->op = (enum seccomp_op)o;
		if (a->op == SECCOMP_OP_COUNT)
			return kerr_set(p->err, 0,
					"%s: %s: unknown operator `%s`, expected SCMP_CMP_NE, "
					"SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, "
					"SCMP_CMP_GT or SCMP_CMP_MASKED_EQ",
					rule, what, shown(q, s));
		k = json_skip(p->doc, k);
	}
	return 0;
}

/* A syscall name: 1..SECCOMP_NAME_MAX bytes of [a-z0-9_]. */
static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SECCOMP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static void rule_done(struct seccomp_rule *r)
{
	strings_free((char **)r->names, r->nnames);
	free((void *)r->args);
	strings_free((char **)r->includes.arches, r->includes.narches);
	strings_free((char **)r->excludes.arches, r->excludes.narches);
	*r = (struct seccomp_rule){ 0 };
}

/* "name" (one, docker's older spelling) and "names" together make the rule's names. */
static int get_names(struct parse *p, int obj, const char *rule, struct seccomp_rule *r)
{
	char **v = NULL;
	size_t n = 0;
	char q[4 * SHOWN_MAX + 4];
	int names = json_obj_get(p->doc, obj, "names");
	int name = json_obj_get(p->doc, obj, "name");

	if (names >= 0 &&
	    get_strings(p, names, "`names`", SECCOMP_NAMES_MAX, SECCOMP_NAME_MAX + 1, &v, &n) < 0) {
		strings_free(v, n);
		return kerr_wrap(p->err, "%s", rule);
	}
	r->names = (const char *const *)v;
	r->nnames = n;
	if (name >= 0 && p->doc->toks[name].type != JSON_NULL) {
		char buf[SECCOMP_NAME_MAX + 1];
		char **nv = realloc(v, (n + 2) * sizeof(*nv));

		if (!nv)
			return kerr_set(p->err, ENOMEM, "%s", rule);
		r->names = (const char *const *)nv;
		nv[n] = NULL;
		if (get_token(p, name, "`name`", buf, sizeof(buf)) < 0)
			return kerr_wrap(p->err, "%s", rule);
		nv[n] = strdup(buf);
		if (!nv[n])
			return kerr_set(p->err, ENOMEM, "%s", rule);
		nv[++n] = NULL;
		r->nnames = n;
	}
	if (n == 0)
		return kerr_set(p->err, 0, "%s names no syscall (`names` or `name`)", rule);
	p->names += n;
	if (p->names > SECCOMP_NAMES_MAX)
		return kerr_set(p->err, 0, "the profile names more than %d syscalls",
				SECCOMP_NAMES_MAX);
	for (size_t i = 0; i < n; i++)
		if (!good_name(r->names[i]))
			return kerr_set(p->err, 0,
					"%s: `%s` is not a syscall name (lowercase letters, digits "
					"and _, at most %d bytes)",
					rule, shown(q, r->names[i]), SECCOMP_NAME_MAX);
	return 0;
}

/* One "syscalls" entry. rule is its label for messages, filled here once names are known. */
static int get_rule(struct parse *p, int obj, int e, struct seccomp_rule *r)
{
	static const char *const keys[] = { "name",    "names",	   "action",   "errnoRet", "args",
					    "comment", "includes", "excludes", NULL };
	char rule[64 + SECCOMP_NAME_MAX * 4], q[4 * SHOWN_MAX + 4];
	uint64_t er;
	int v;

	snprintf(rule, sizeof(rule), "syscalls[%d]", e);
	if (want(p, obj, JSON_OBJECT, rule) < 0 || only_keys(p, obj, keys, rule) < 0)
		return -1;
	if (get_names(p, obj, rule, r) < 0)
		return -1;
	/* From here on the rule is named by its first syscall too. */
	snprintf(rule, sizeof(rule), "syscalls[%d] (`%s`%s)", e, shown(q, r->names[0]),
		 r->nnames > 1 ? ", …" : "");
	v = json_obj_get(p->doc, obj, "action");
	if (v < 0)
		return kerr_set(p->err, 0, "%s has no `action`", rule);
	if (get_action(p, v, "action", &r->action) < 0)
		return kerr_wrap(p->err, "%s", rule);
	v = json_obj_get(p->doc, obj, "errnoRet");
	if (v >= 0 && p->doc->toks[v].type != JSON_NULL) {
		if (get_u64(p, v, "`errnoRet`", SECCOMP_ERRNO_MAX, &er) < 0)
			return kerr_wrap(p->err, "%s", rule);
		if (r->action != SECCOMP_ACT_ERRNO && r->action != SECCOMP_ACT_TRACE)
			return kerr_set(
				p->err, 0,
				"%s: `errnoRet` goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
				"not %s",
				rule, actions[r->action]);
		r->errno_set = true;
		r->errno_ret = (uint32_t)er;
	}
	v = json_obj_get(p->doc, obj, "args");
	if (v >= 0 && get_args(p, v, rule, r) < 0)
		return -1;
	v = json_obj_get(p->doc, obj, "includes");
	if (v >= 0 && get_cond(p, v, "`includes`", &r->includes) < 0)
		return kerr_wrap(p->err, "%s", rule);
	v = json_obj_get(p->doc, obj, "excludes");
	if (v >= 0 && get_cond(p, v, "`excludes`", &r->excludes) < 0)
		return kerr_wrap(p->err, "%s", rule);
	return 0;
}

static int get_arch_list(const struct parse *p, int i, const char *what, uint32_t *mask)
{
	char **v = NULL;
	size_t n = 0;
	int rc = 0;

	if (get_strings(p, i, what, SECCOMP_ARCHES_MAX, SECCOMP_TOKEN_MAX, &v, &n) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < n; k++) {
		enum seccomp_arch a;

		if (seccomp_profile_arch_parse(v[k], &a, p->err) < 0)
			rc = kerr_wrap(p->err, "%s[%zu]", what, k);
		else
			*mask |= 1u << a;
	}
	strings_free(v, n);
	return rc;
}

static int get_archmap(const struct parse *p, int i, struct seccomp_profile *prof)
{
	static const char *const keys[] = { "architecture", "subArchitectures", NULL };
	const struct json_tok *t = &p->doc->toks[i];
	struct seccomp_archmap *m;
	char what[48], s[SECCOMP_TOKEN_MAX];
	int k = i + 1;

	if (t->type == JSON_NULL)
		return 0;
	if (want(p, i, JSON_ARRAY, "`archMap`") < 0)
		return -1;
	if (t->size > SECCOMP_ARCHES_MAX)
		return kerr_set(p->err, 0, "`archMap` has %d entries, exceeds %d", t->size,
				SECCOMP_ARCHES_MAX);
	m = calloc((size_t)t->size + 1, sizeof(*m));
	if (!m)
		return kerr_set(p->err, ENOMEM, "archMap");
	prof->archmap = m;
	for (int e = 0; e < t->size; e++) {
		int v;

		snprintf(what, sizeof(what), "archMap[%d]", e);
		if (want(p, k, JSON_OBJECT, what) < 0 || only_keys(p, k, keys, what) < 0)
			return -1;
		v = json_obj_get(p->doc, k, "architecture");
		if (v < 0)
			return kerr_set(p->err, 0, "%s has no `architecture`", what);
		if (get_token(p, v, "`architecture`", s, sizeof(s)) < 0 ||
		    seccomp_profile_arch_parse(s, &m[e].arch, p->err) < 0)
			return kerr_wrap(p->err, "%s", what);
		prof->narchmap++;
		v = json_obj_get(p->doc, k, "subArchitectures");
		snprintf(what, sizeof(what), "archMap[%d].subArchitectures", e);
		if (v >= 0 && get_arch_list(p, v, what, &m[e].subs) < 0)
			return -1;
		k = json_skip(p->doc, k);
	}
	return 0;
}

static int parse_doc(struct parse *p, struct seccomp_profile *prof)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet",	 "architectures",
					    "archMap",	     "syscalls",	 "flags",
					    "listenerPath",  "listenerMetadata", NULL };
	const struct json_doc *d = p->doc;
	struct seccomp_rule *rules;
	uint64_t er;
	int v, k;

	if (want(p, 0, JSON_OBJECT, "the profile") < 0 || only_keys(p, 0, keys, "the profile") < 0)
		return -1;
	v = json_obj_get(d, 0, "defaultAction");
	if (v < 0)
		return kerr_set(p->err, 0, "`defaultAction` is missing");
	if (get_action(p, v, "defaultAction", &prof->default_action) < 0)
		return -1;
	v = json_obj_get(d, 0, "defaultErrnoRet");
	if (v >= 0 && d->toks[v].type != JSON_NULL) {
		if (get_u64(p, v, "`defaultErrnoRet`", SECCOMP_ERRNO_MAX, &er) < 0)
			return -1;
		if (prof->default_action != SECCOMP_ACT_ERRNO &&
		    prof->default_action != SECCOMP_ACT_TRACE)
			return kerr_set(p->err, 0,
					"`defaultErrnoRet` goes with SCMP_ACT_ERRNO or "
					"SCMP_ACT_TRACE, not %s",
					actions[prof->default_action]);
		prof->default_errno_set = true;
		prof->default_errno = (uint32_t)er;
	}
	/* runc 1.1.5 refuses every seccomp flag, and a listener needs a seccomp agent. */
	v = json_obj_get(d, 0, "flags");
	if (v >= 0 && d->toks[v].type != JSON_NULL &&
	    !(d->toks[v].type == JSON_ARRAY && d->toks[v].size == 0))
		return kerr_set(p->err, 0,
				"`flags` is not supported, expected none (the runtime refuses "
				"seccomp flags)");
	v = json_obj_get(d, 0, "listenerPath");
	if (v >= 0 && d->toks[v].type != JSON_NULL &&
	    !(d->toks[v].type == JSON_STRING && d->toks[v].end == d->toks[v].start))
		return kerr_set(p->err, 0,
				"`listenerPath` is not supported (kettle runs no seccomp agent)");
	v = json_obj_get(d, 0, "architectures");
	if (v >= 0 && get_arch_list(p, v, "architectures", &prof->arches) < 0)
		return -1;
	k = json_obj_get(d, 0, "archMap");
	if (k >= 0 && get_archmap(p, k, prof) < 0)
		return -1;
	/* docker refuses both at once: which one would win is not obvious. */
	if (prof->arches && prof->narchmap)
		return kerr_set(p->err, 0,
				"`architectures` and `archMap` are both given, expected "
				"one of them");
	v = json_obj_get(d, 0, "syscalls");
	if (v < 0 || d->toks[v].type == JSON_NULL)
		return 0;
	if (want(p, v, JSON_ARRAY, "`syscalls`") < 0)
		return -1;
	if (d->toks[v].size > SECCOMP_RULES_MAX)
		return kerr_set(p->err, 0, "`syscalls` has %d entries, exceeds %d", d->toks[v].size,
				SECCOMP_RULES_MAX);
	rules = calloc((size_t)d->toks[v].size + 1, sizeof(*rules));
	if (!rules)
		return kerr_set(p->err, ENOMEM, "syscalls");
	prof->rules = rules;
	k = v + 1;
	for (int e = 0; e < d->toks[v].size; e++) {
		prof->nrules++;
		if (get_rule(p, k, e, &rules[e]) < 0)
			return -1;
		k = json_skip(d, k);
	}
	return 0;
}

struct seccomp_profile *seccomp_profile_parse(const char *text, size_t len, struct kerr *err)
{
	struct seccomp_profile *prof;
	struct json_tok *toks;
	struct json_doc doc;
	struct parse p = { .doc = &doc, .err = err };
	size_t ntoks;
	int rc;

	if (len > SECCOMP_PROFILE_MAX) {
		kerr_set(err, 0, "profile of %zu bytes exceeds limit %u", len, SECCOMP_PROFILE_MAX);
		return NULL;
	}
	/* Every token but the first takes at least two bytes of text. */
	ntoks = len / 2 + 2 < JSON_TOKENS_MAX ? len / 2 + 2 : JSON_TOKENS_MAX;
	toks = calloc(ntoks, sizeof(*toks));
	prof = calloc(1, sizeof(*prof));
	if (!toks || !prof) {
		free(toks);
		free(prof);
		kerr_set(err, ENOMEM, "parse the profile");
		return NULL;
	}
	prof->owned = true;
	rc = json_parse(&doc, text, len, toks, (int)ntoks, err);
	if (rc == 0)
		rc = parse_doc(&p, prof);
	free(toks);
	if (rc < 0)
		return seccomp_profile_free(prof);
	return prof;
}

struct seccomp_profile *seccomp_profile_free(struct seccomp_profile *p)
{
	if (!p || !p->owned)
		return NULL;
	for (size_t i = 0; i < p->nrules; i++)
		rule_done((struct seccomp_rule *)&p->rules[i]);
	free((void *)p->rules);
	free((void *)p->archmap);
	free(p);
	return NULL;
}
