/*
 * hostspec: an OCI process spec read for a host process (mechanism M3).
 *
 * Tokens are sized from the text (one per '{', '[', ',', ':' and a few more, capped at
 * JSON_TOKENS_MAX), so a large config.json costs what it needs and no more. Only the
 * process's keys are read; a missing "process" or "args", a non-absolute cwd, an rlimit
 * of an unknown name or with soft above hard, and over-long lists are refused with the
 * key's name. The executable is looked up as runc does before it waits on its start (so a
 * typo fails `create`, not the start), with runc's error text. Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/str.h"
#include "runtime/hostspec.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define STR_MAX	     (64u * 1024u) /* one arg or env entry (bytes) */

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int hostspec_rlimit(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (strcmp(name, rlimit_names[i].name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

void hostspec_done(struct hostspec *s)
{
	for (size_t i = 0; s->args && i < s->nargs; i++)
		free(s->args[i]);
	for (size_t i = 0; s->env && i < s->nenv; i++)
		free(s->env[i]);
	free(s->args);
	free(s->env);
	s->args = s->env = NULL;
	s->nargs = s->nenv = 0;
}

/* The strings of array token arr into a NULL-terminated owned vector. */
static int get_strv(const struct json_doc *doc, int arr, const char *key, char ***out, size_t *n,
		    struct kerr *err)
{
	const struct json_tok *t = &doc->toks[arr];

	if (t->type != JSON_ARRAY)
		return kerr_set(err, EINVAL, "process.%s is %s, expected an array of strings", key,
				json_type_name(t->type));
	if (t->size > HOSTSPEC_LIST_MAX)
		return kerr_set(err, E2BIG, "process.%s has %d entries; at most %d", key, t->size,
				HOSTSPEC_LIST_MAX);
	*out = calloc((size_t)t->size + 1, sizeof(char *));
	if (!*out)
		return kerr_set(err, ENOMEM, "process.%s", key);
	for (int k = 0, i = arr + 1; k < t->size; k++, i = json_skip(doc, i)) {
		const struct json_tok *e = &doc->toks[i];
		size_t cap = (size_t)(e->end - e->start) + 1;

		if (e->type != JSON_STRING)
			return kerr_set(err, EINVAL, "process.%s[%d] is %s, expected a string", key,
					k, json_type_name(e->type));
		if (cap > STR_MAX)
			return kerr_set(err, E2BIG, "process.%s[%d] is longer than %u bytes", key,
					k, STR_MAX);
		(*out)[k] = malloc(cap);
		if (!(*out)[k])
			return kerr_set(err, ENOMEM, "process.%s", key);
		*n = (size_t)k + 1;
		if (json_get_str(doc, i, (*out)[k], cap, err) < 0)
			return kerr_wrap(err, "process.%s[%d]", key, k);
	}
	return 0;
}

static int get_u32(const struct json_doc *doc, int obj, const char *key, uint32_t *v,
		   struct kerr *err)
{
	int i = json_obj_get(doc, obj, key);
	uint64_t x;

	if (i < 0)
		return 0;
	if (json_get_u64(doc, i, &x, err) < 0 || x > UINT32_MAX)
		return kerr_set(err, EINVAL, "`%s` is not a 32-bit unsigned number", key);
	*v = (uint32_t)x;
	return 1;
}

static int get_user(struct hostspec *s, const struct json_doc *doc, int u, struct kerr *err)
{
	uint32_t uid = 0, gid = 0;

	if (doc->toks[u].type != JSON_OBJECT)
		return kerr_set(err, EINVAL, "process.user is not an object");
	if (get_u32(doc, u, "uid", &uid, err) < 0 || get_u32(doc, u, "gid", &gid, err) < 0)
		return kerr_wrap(err, "process.user");
	s->user_set = true;
	s->uid = uid;
	s->gid = gid;
	int g = json_obj_get(doc, u, "additionalGids");
	if (g < 0)
		return 0;
	if (doc->toks[g].type != JSON_ARRAY || doc->toks[g].size > HOSTSPEC_GROUPS_MAX)
		return kerr_set(err, EINVAL, "process.user.additionalGids: an array of at most %d",
				HOSTSPEC_GROUPS_MAX);
	for (int k = 0, i = g + 1; k < doc->toks[g].size; k++, i = json_skip(doc, i)) {
		uint64_t x;

		if (json_get_u64(doc, i, &x, err) < 0 || x > UINT32_MAX)
			return kerr_set(err, EINVAL, "process.user.additionalGids[%d]", k);
		s->groups[s->ngroups++] = (gid_t)x;
	}
	return 0;
}

static int get_rlimits(struct hostspec *s, const struct json_doc *doc, int arr, struct kerr *err)
{
	const struct json_tok *t = &doc->toks[arr];

	if (t->type != JSON_ARRAY || t->size > HOSTSPEC_RLIMITS_MAX)
		return kerr_set(err, EINVAL, "process.rlimits: an array of at most %d",
				HOSTSPEC_RLIMITS_MAX);
	for (int k = 0, i = arr + 1; k < t->size; k++, i = json_skip(doc, i)) {
		char name[32];
		uint64_t soft, hard;
		int ty = json_obj_get(doc, i, "type"), so = json_obj_get(doc, i, "soft"),
		    ha = json_obj_get(doc, i, "hard");

		if (doc->toks[i].type != JSON_OBJECT || ty < 0 || so < 0 || ha < 0 ||
		    json_get_str(doc, ty, name, sizeof(name), err) < 0 ||
		    json_get_u64(doc, so, &soft, err) < 0 || json_get_u64(doc, ha, &hard, err) < 0)
			return kerr_set(err, EINVAL,
					"process.rlimits[%d]: expected {type, soft, hard}", k);
		int res = hostspec_rlimit(name);
		if (res < 0)
			return kerr_set(err, EINVAL, "process.rlimits[%d]: unknown type `%s`", k,
					name);
		if (soft > hard)
			return kerr_set(err, EINVAL,
					"process.rlimits[%d]: soft %llu exceeds hard %llu", k,
					(unsigned long long)soft, (unsigned long long)hard);
		s->rlimits[s->nrlimits++] =
			(struct proc_rlimit){ .resource = res, .soft = soft, .hard = hard };
	}
	return 0;
}

static int get_process(struct hostspec *s, const struct json_doc *doc, int p, struct kerr *err)
{
	int i;

	if (doc->toks[p].type != JSON_OBJECT)
		return kerr_set(err, EINVAL, "process is not an object");
	i = json_obj_get(doc, p, "args");
	if (i < 0)
		return kerr_set(err, EINVAL, "process.args is missing");
	if (get_strv(doc, i, "args", &s->args, &s->nargs, err) < 0)
		return -1;
	if (s->nargs == 0 || !s->args[0][0])
		return kerr_set(err, EINVAL, "process.args is empty");
	i = json_obj_get(doc, p, "env");
	if (i >= 0 && get_strv(doc, i, "env", &s->env, &s->nenv, err) < 0)
		return -1;
	if (!s->env && !(s->env = calloc(1, sizeof(char *))))
		return kerr_set(err, ENOMEM, "process.env");
	i = json_obj_get(doc, p, "cwd");
	if (i < 0 || json_get_str(doc, i, s->cwd, sizeof(s->cwd), err) < 0 || s->cwd[0] != '/')
		return kerr_set(err, EINVAL, "process.cwd must be an absolute path");
	i = json_obj_get(doc, p, "user");
	if (i >= 0 && get_user(s, doc, i, err) < 0)
		return -1;
	i = json_obj_get(doc, p, "rlimits");
	if (i >= 0 && get_rlimits(s, doc, i, err) < 0)
		return -1;
	i = json_obj_get(doc, p, "terminal");
	if (i >= 0 && json_get_bool(doc, i, &s->terminal, err) < 0)
		return kerr_wrap(err, "process.terminal");
	i = json_obj_get(doc, p, "noNewPrivileges");
	if (i >= 0 && json_get_bool(doc, i, &s->no_new_privs, err) < 0)
		return kerr_wrap(err, "process.noNewPrivileges");
	i = json_obj_get(doc, p, "consoleSize");
	if (i >= 0 && doc->toks[i].type == JSON_OBJECT &&
	    (get_u32(doc, i, "height", &s->rows, err) < 0 ||
	     get_u32(doc, i, "width", &s->cols, err) < 0))
		return kerr_wrap(err, "process.consoleSize");
	return 0;
}

int hostspec_parse(struct hostspec *s, const char *text, size_t len, bool config, struct kerr *err)
{
	struct json_doc doc;
	size_t ntok = 8;

	memset(s, 0, sizeof(*s));
	if (len > HOSTSPEC_JSON_MAX)
		return kerr_set(err, EFBIG, "process spec of %zu bytes; at most %u", len,
				HOSTSPEC_JSON_MAX);
	for (size_t i = 0; i < len; i++)
		ntok += text[i] == '{' || text[i] == '[' || text[i] == ',' || text[i] == ':';
	if (ntok > JSON_TOKENS_MAX)
		ntok = JSON_TOKENS_MAX;
	_cleanup_free_ struct json_tok *toks = calloc(ntok, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "process spec");
	if (json_parse(&doc, text, len, toks, (int)ntok, err) < 0)
		return kerr_wrap(err, "process spec");
	if (toks[0].type != JSON_OBJECT)
		return kerr_set(err, EINVAL, "process spec is not a JSON object");
	int p = config ? json_obj_get(&doc, 0, "process") : 0;
	if (p < 0)
		return kerr_set(err, EINVAL, "config.json has no process");
	if (get_process(s, &doc, p, err) < 0) {
		hostspec_done(s);
		return -1;
	}
	return 0;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int hostspec_lookup(const struct hostspec *s, char out[PATH_MAX], struct kerr *err)
{
	const char *name = s->args[0];
	const char *path = DEFAULT_PATH;

	if (strchr(name, '/')) {
		int n = name[0] == '/' ? snprintf(out, PATH_MAX, "%s", name)
				       : snprintf(out, PATH_MAX, "%s/%s", s->cwd, name);
		if (n < 0 || n >= PATH_MAX)
			return kerr_set(err, ENAMETOOLONG, "exec: \"%s\": name too long", name);
		if (access(out, F_OK) < 0)
			return kerr_set(err, 0, "exec: \"%s\": stat %s: no such file or directory",
					name, out);
		if (!executable(out))
			return kerr_set(err, 0, "exec: \"%s\": permission denied", name);
		return 0;
	}
	for (size_t i = 0; i < s->nenv; i++)
		if (str_has_prefix(s->env[i], "PATH="))
			path = s->env[i] + 5;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = snprintf(out, PATH_MAX, "%.*s/%s", (int)(end - path), path, name);

		if (n > 0 && n < PATH_MAX && executable(out))
			return 0;
		path = *end ? end + 1 : end;
	}
	return kerr_set(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}
