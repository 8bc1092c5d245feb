/*
 * reqbody: the bodies requests carry, parsed and encoded (mechanism M1, pure).
 *
 * Moved out of daemon_ops.c, shim_ops.c, shim_exec.c and daemon_events.c so unit tests and
 * a fuzz target reach them; their messages are unchanged, since integration tests compare
 * them. Every size is checked against its REQBODY_* cap before anything is allocated; JSON
 * strings are unescaped by json.h, which refuses \u0000, so no parsed string hides a NUL.
 * Never logs, prints or exits (STYLE rule 6).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "ipc/reqbody.h"
#include "base/str.h"

/* ---- UPDATE ---- */

static int get_u64_key(const struct json_doc *doc, int v, const char *key, uint64_t *out,
		       struct kerr *err)
{
	if (doc->toks[v].type != JSON_NUMBER || json_get_u64(doc, v, out, err) < 0)
		return kerr_set(err, 0, "update: `%s` is not a number of 0 or more", key);
	return 0;
}

int reqbody_parse_update(const char *text, size_t len, struct reqbody_update *u, struct kerr *err)
{
	struct json_tok toks[REQBODY_UPDATE_TOKENS];
	struct json_doc doc;
	char policy[RESTART_POLICY_LEN];

	*u = (struct reqbody_update){ 0 };
	if (len > REQBODY_UPDATE_JSON_MAX)
		return kerr_set(err, 0, "update document of %zu bytes exceeds the limit of %u", len,
				REQBODY_UPDATE_JSON_MAX);
	if (json_parse(&doc, text, len, toks, REQBODY_UPDATE_TOKENS, err) < 0)
		return kerr_wrap(err, "update document");
	if (doc.toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "update document is not an object");
	for (int i = 1, n = 0; n < doc.toks[0].size; n++) {
		int v = i + 1;

		if (json_str_eq(&doc, i, "memory")) {
			if (get_u64_key(&doc, v, "memory", &u->memory_bytes, err) < 0)
				return -1;
			u->has_memory = true;
		} else if (json_str_eq(&doc, i, "cpus")) {
			if (get_u64_key(&doc, v, "cpus", &u->cpus_milli, err) < 0)
				return -1;
			u->has_cpus = true;
		} else if (json_str_eq(&doc, i, "pids_limit")) {
			if (doc.toks[v].type != JSON_NUMBER ||
			    json_get_i64(&doc, v, &u->pids_limit, err) < 0)
				return kerr_set(err, 0, "update: `pids_limit` is not a number");
			u->has_pids = true;
		} else if (json_str_eq(&doc, i, "restart")) {
			if (doc.toks[v].type != JSON_STRING ||
			    json_get_str(&doc, v, policy, sizeof(policy), err) < 0 ||
			    restart_parse(policy, &u->restart, err) < 0)
				return kerr_wrap(err, "update: `restart`");
			u->has_restart = true;
		} else {
			return kerr_set(err, 0,
					"update: unknown key (allowed: `memory`, `cpus`, "
					"`pids_limit`, `restart`)");
		}
		i = json_skip(&doc, v);
	}
	if (!u->has_memory && !u->has_cpus && !u->has_pids && !u->has_restart)
		return kerr_set(err, 0,
				"nothing to update: give at least one of --memory, "
				"--cpus, --pids-limit or --restart");
	return 0;
}

/* The CPU quota per period is cpus_milli / 1000 periods; the period is a multiple of 1000
 * microseconds, so the product is exact. */
#define QUOTA_PER_MILLI (REQBODY_CPU_PERIOD_US / 1000u)
#define CPUS_MILLI_ENC	((uint64_t)INT64_MAX / QUOTA_PER_MILLI) /* largest encodable */

int reqbody_encode_shim_update(const struct reqbody_update *u, struct buf *out, struct kerr *err)
{
	struct json_w w;
	char policy[RESTART_POLICY_LEN];

	if (u->has_memory && u->memory_bytes > INT64_MAX)
		return kerr_set(err, 0, "update: memory of %llu bytes exceeds limit %lld",
				(unsigned long long)u->memory_bytes, (long long)INT64_MAX);
	if (u->has_cpus && u->cpus_milli > CPUS_MILLI_ENC)
		return kerr_set(err, 0, "update: %llu thousandths of a CPU exceed limit %llu",
				(unsigned long long)u->cpus_milli,
				(unsigned long long)CPUS_MILLI_ENC);
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	if (u->has_memory || u->has_cpus || u->has_pids) {
		json_w_key(&w, "resources");
		json_w_obj_begin(&w);
		if (u->has_memory) {
			json_w_key(&w, "memory");
			json_w_obj_begin(&w);
			json_w_key(&w, "limit");
			json_w_i64(&w, u->memory_bytes ? (int64_t)u->memory_bytes : -1);
			json_w_obj_end(&w);
		}
		if (u->has_cpus) {
			json_w_key(&w, "cpu");
			json_w_obj_begin(&w);
			json_w_key(&w, "quota");
			json_w_i64(&w,
				   u->cpus_milli ? (int64_t)(u->cpus_milli * QUOTA_PER_MILLI) : -1);
			json_w_key(&w, "period");
			json_w_u64(&w, REQBODY_CPU_PERIOD_US);
			json_w_obj_end(&w);
		}
		if (u->has_pids) {
			json_w_key(&w, "pids");
			json_w_obj_begin(&w);
			json_w_key(&w, "limit");
			json_w_i64(&w, u->pids_limit > 0 ? u->pids_limit : -1);
			json_w_obj_end(&w);
		}
		json_w_obj_end(&w);
	}
	if (u->has_restart) {
		restart_format(&u->restart, policy, sizeof(policy));
		json_w_key(&w, "restart");
		json_w_str(&w, policy);
	}
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

static int echo_i64(const struct json_doc *doc, int obj, const char *key, int64_t *out,
		    struct kerr *err)
{
	int v = obj >= 0 ? json_obj_get(doc, obj, key) : -1;

	if (v < 0 || doc->toks[v].type != JSON_NUMBER || json_get_i64(doc, v, out, err) < 0)
		return kerr_set(err, 0, "the shim's update echo lacks a numeric `%s`", key);
	return 0;
}

int reqbody_parse_update_echo(const uint8_t *text, size_t len, struct reqbody_update *u,
			      struct kerr *err)
{
	struct json_tok toks[REQBODY_UPDATE_TOKENS];
	struct json_doc doc;
	char policy[RESTART_POLICY_LEN];
	int64_t v, period;

	*u = (struct reqbody_update){ 0 };
	if (len > REQBODY_UPDATE_JSON_MAX ||
	    json_parse(&doc, (const char *)text, len, toks, REQBODY_UPDATE_TOKENS, err) < 0 ||
	    doc.toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "the shim's update echo is not a document kettle wrote");
	int res = json_obj_get(&doc, 0, "resources");
	int mem = res >= 0 ? json_obj_get(&doc, res, "memory") : -1;
	int cpu = res >= 0 ? json_obj_get(&doc, res, "cpu") : -1;
	int pids = res >= 0 ? json_obj_get(&doc, res, "pids") : -1;
	int rst = json_obj_get(&doc, 0, "restart");
	if (mem >= 0) {
		if (echo_i64(&doc, mem, "limit", &v, err) < 0)
			return -1;
		u->has_memory = true;
		u->memory_bytes = v > 0 ? (uint64_t)v : 0;
	}
	if (cpu >= 0) {
		if (echo_i64(&doc, cpu, "quota", &v, err) < 0 ||
		    echo_i64(&doc, cpu, "period", &period, err) < 0)
			return -1;
		if (period <= 0)
			return kerr_set(err, 0, "the shim's update echo has cpu period %lld",
					(long long)period);
		/* Exact (128-bit) and refused past what reqbody_encode_shim_update writes,
		 * so a hostile echo never wraps into some other limit. */
		unsigned __int128 milli =
			v > 0 ? (unsigned __int128)v * 1000u / (uint64_t)period : 0;
		if (milli > CPUS_MILLI_ENC)
			return kerr_set(err, 0, "the shim's update echo has cpu quota %lld",
					(long long)v);
		u->has_cpus = true;
		u->cpus_milli = (uint64_t)milli;
	}
	if (pids >= 0) {
		if (echo_i64(&doc, pids, "limit", &v, err) < 0)
			return -1;
		u->has_pids = true;
		u->pids_limit = v > 0 ? v : 0;
	}
	if (rst >= 0) {
		if (json_get_str(&doc, rst, policy, sizeof(policy), err) < 0 ||
		    restart_parse(policy, &u->restart, err) < 0)
			return kerr_wrap(err, "the shim's update echo");
		u->has_restart = true;
	}
	return 0;
}

/* ---- SHIM_UPDATE ---- */

int reqbody_parse_shim_update(const char *text, size_t len, struct reqbody_shim_update *u,
			      struct kerr *err)
{
	struct json_tok toks[REQBODY_SHIM_UPDATE_TOKENS];
	struct json_doc d;
	char policy[RESTART_POLICY_LEN];

	*u = (struct reqbody_shim_update){ .res_start = -1, .res_end = -1 };
	if (len > REQBODY_SHIM_UPDATE_JSON_MAX)
		return kerr_set(err, 0, "update document of %zu bytes exceeds the limit of %u", len,
				REQBODY_SHIM_UPDATE_JSON_MAX);
	if (json_parse(&d, text, len, toks, REQBODY_SHIM_UPDATE_TOKENS, err) < 0)
		return kerr_wrap(err, "update document");
	if (d.toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "update document is not an object");
	for (int i = 1, n = 0; n < d.toks[0].size; n++) {
		int v = i + 1;

		if (json_str_eq(&d, i, "resources")) {
			if (d.toks[v].type != JSON_OBJECT)
				return kerr_set(err, 0, "update: `resources` is not an object");
			u->res_start = d.toks[v].start;
			u->res_end = d.toks[v].end;
		} else if (json_str_eq(&d, i, "restart")) {
			if (d.toks[v].type != JSON_STRING ||
			    json_get_str(&d, v, policy, sizeof(policy), err) < 0 ||
			    restart_parse(policy, &u->restart, err) < 0)
				return kerr_wrap(err, "update: `restart`");
			u->has_restart = true;
		} else {
			return kerr_set(err, 0,
					"update: unknown key (allowed: `resources`, `restart`)");
		}
		i = json_skip(&d, v);
	}
	return 0;
}

/* ---- SHIM_EXEC ---- */

static char *dup_str(const struct json_doc *d, int i, struct kerr *err)
{
	size_t raw = (size_t)(d->toks[i].end - d->toks[i].start);
	char *s = malloc(raw + 1);

	if (!s) {
		kerr_set(err, ENOMEM, "exec request");
		return NULL;
	}
	if (json_get_str(d, i, s, raw + 1, err) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int get_strv(const struct json_doc *d, int i, const char *key, struct reqbody_strv *v,
		    struct kerr *err)
{
	if (d->toks[i].type != JSON_ARRAY)
		return kerr_set(err, 0, "exec request: `%s` is not an array of strings", key);
	if (d->toks[i].size > REQBODY_LIST_MAX)
		return kerr_set(err, 0, "exec request: `%s` has %d entries, limit %d", key,
				d->toks[i].size, REQBODY_LIST_MAX);
	v->v = calloc((size_t)d->toks[i].size + 1, sizeof(char *));
	if (!v->v)
		return kerr_set(err, ENOMEM, "exec request");
	for (int k = 0, e = i + 1; k < d->toks[i].size; k++, e = json_skip(d, e)) {
		if (d->toks[e].type != JSON_STRING)
			return kerr_set(err, 0, "exec request: `%s[%d]` is not a string", key, k);
		v->v[v->n] = dup_str(d, e, err);
		if (!v->v[v->n])
			return kerr_wrap(err, "`%s[%d]`", key, k);
		v->n++;
	}
	return 0;
}

/* reqbody_parse_exec's body; on failure q may hold part of the request. */
static int parse_exec(const char *text, size_t len, struct reqbody_exec *q, struct kerr *err)
{
	struct json_doc d;
	_cleanup_free_ struct json_tok *toks = calloc(REQBODY_EXEC_TOKENS, sizeof(*toks));
	int i;

	if (!toks)
		return kerr_set(err, ENOMEM, "exec request");
	if (json_parse(&d, text, len, toks, REQBODY_EXEC_TOKENS, err) < 0)
		return kerr_wrap(err, "exec request");
	if (toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "exec request is not a JSON object");
	if ((i = json_obj_get(&d, 0, "args")) < 0 || get_strv(&d, i, "args", &q->args, err) < 0)
		return i < 0 ? kerr_set(err, 0, "exec request has no `args`") : -1;
	if (q->args.n == 0)
		return kerr_set(err, 0, "exec request: `args` is empty, expected a command");
	if ((i = json_obj_get(&d, 0, "env")) >= 0 && get_strv(&d, i, "env", &q->env, err) < 0)
		return -1;
	if ((i = json_obj_get(&d, 0, "cwd")) >= 0 && toks[i].type != JSON_NULL) {
		if (toks[i].type != JSON_STRING || !(q->cwd = dup_str(&d, i, err)))
			return kerr_set(err, 0, "exec request: `cwd` is not a string");
	}
	if ((i = json_obj_get(&d, 0, "tty")) >= 0 && json_get_bool(&d, i, &q->tty, err) < 0)
		return kerr_wrap(err, "exec request: `tty`");
	if ((i = json_obj_get(&d, 0, "user")) >= 0 && toks[i].type != JSON_NULL) {
		int u = json_obj_get(&d, i, "uid"), g = json_obj_get(&d, i, "gid");
		uint64_t uid, gid = 0;

		if (toks[i].type != JSON_OBJECT || u < 0 || json_get_u64(&d, u, &uid, err) < 0 ||
		    (g >= 0 && json_get_u64(&d, g, &gid, err) < 0) || uid >= UINT32_MAX ||
		    gid >= UINT32_MAX)
			return kerr_set(err, 0,
					"exec request: `user` is not {\"uid\": N, \"gid\": N}");
		q->user_set = true;
		q->uid = (uint32_t)uid;
		q->gid = (uint32_t)gid;
	}
	return 0;
}

int reqbody_parse_exec(const char *text, size_t len, struct reqbody_exec *q, struct kerr *err)
{
	*q = (struct reqbody_exec){ 0 };
	if (parse_exec(text, len, q, err) < 0) {
		reqbody_exec_done(q);
		return -1;
	}
	return 0;
}

static void strv_write(struct json_w *w, const struct reqbody_strv *v)
{
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

int reqbody_encode_exec(const struct reqbody_exec *q, struct buf *out, struct kerr *err)
{
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "args");
	strv_write(&w, &q->args);
	json_w_key(&w, "env");
	strv_write(&w, &q->env);
	json_w_key(&w, "cwd");
	if (q->cwd)
		json_w_str(&w, q->cwd);
	else
		json_w_null(&w);
	json_w_key(&w, "user");
	if (q->user_set) {
		json_w_obj_begin(&w);
		json_w_key(&w, "uid");
		json_w_u64(&w, q->uid);
		json_w_key(&w, "gid");
		json_w_u64(&w, q->gid);
		json_w_obj_end(&w);
	} else {
		json_w_null(&w);
	}
	json_w_key(&w, "tty");
	json_w_bool(&w, q->tty);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

static void strv_done(struct reqbody_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
}

void reqbody_exec_done(struct reqbody_exec *q)
{
	strv_done(&q->args);
	strv_done(&q->env);
	free(q->cwd);
	*q = (struct reqbody_exec){ 0 };
}

/* ---- EVENTS' FILTER ---- */

int reqbody_parse_filters(const char *text, struct reqbody_filters *out, struct kerr *err)
{
	const char *p = text;

	out->n = 0;
	while (*p) {
		size_t len = strcspn(p, "\n");
		char one[REQBODY_FILTER_VALUE_MAX + 32];
		char shown[64];

		if (len == 0) {
			p++;
			continue;
		}
		if (out->n == REQBODY_FILTERS_MAX)
			return kerr_set(err, 0, "more than %d filters", REQBODY_FILTERS_MAX);
		str_sanitize(shown, sizeof(shown), p, len);
		if (len >= sizeof(one))
			return kerr_set(err, 0, "filter `%s` is too long", shown);
		memcpy(one, p, len);
		one[len] = '\0';
		p += len;
		char *eq = strchr(one, '=');
		struct reqbody_filter *f = &out->f[out->n];
		if (!eq || eq[1] == '\0')
			return kerr_set(err, 0, "filter `%s` is not KEY=VALUE", shown);
		*eq = '\0';
		if (strcmp(one, "container") == 0)
			f->key = REQBODY_FILTER_CONTAINER;
		else if (strcmp(one, "event") == 0 || strcmp(one, "type") == 0)
			f->key = REQBODY_FILTER_EVENT;
		else
			return kerr_set(err, 0,
					"unknown filter `%s`; allowed: container=NAME|ID, "
					"event=TYPE",
					shown);
		if (!str_copy(f->value, sizeof(f->value), eq + 1))
			return kerr_set(err, 0, "filter `%s` is too long", shown);
		out->n++;
	}
	return 0;
}
