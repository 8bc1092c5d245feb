/*
 * record_json: the container record as JSON, both ways, and its version (mechanism M3).
 *
 * Strict JSON in (every key known, every value of its one type, every list and string
 * capped before it is copied, "version" checked first), full validation, and JSON out with
 * every key present (null where absent), so record_json_encode(record_json_decode(x)) is a
 * fixed point: encoding a parsed record and parsing it again gives the same record and the
 * same bytes. The format is documented in the lead's design notes and mirrored by
 * record_json_encode below. Invariants: a failed decode leaves the record empty
 * (record_init state); nothing here logs, prints or touches the filesystem.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/json_w.h"
#include "logs/logfile.h"
#include "store/record.h"
#include "store/record_net.h"
#include "base/str.h"

/* ---- JSON in ---- */

/* Everything a field parser needs. */
struct parse {
	const struct json_doc *doc; /* borrowed: the parsed document */
	struct record *r;	    /* borrowed: filled in place */
	struct kerr *err;	    /* where failures go */
};

static bool is_type(const struct parse *p, int i, enum json_type t)
{
	return p->doc->toks[i].type == t;
}

static int want(const struct parse *p, int i, enum json_type t, const char *key)
{
	if (is_type(p, i, t))
		return 0;
	return kerr_set(p->err, 0, "key `%s`: expected %s, found %s", key, json_type_name(t),
			json_type_name(p->doc->toks[i].type));
}

/* A fresh copy of the string token i (type already checked), at most RECORD_STR_MAX. */
static int dup_str(const struct parse *p, int i, const char *key, char **out)
{
	const struct json_tok *t = &p->doc->toks[i];
	/* Unescaping never lengthens a string, so the raw length bounds the copy. */
	size_t raw = (size_t)(t->end - t->start);
	char *s = malloc(raw + 1);
	size_t n;

	if (!s)
		return kerr_set(p->err, ENOMEM, "key `%s`", key);
	if (json_get_str(p->doc, i, s, raw + 1, p->err) < 0) {
		free(s);
		return kerr_wrap(p->err, "key `%s`", key);
	}
	n = strlen(s);
	if (n > RECORD_STR_MAX) {
		free(s);
		return kerr_set(p->err, 0, "key `%s`: string of %zu bytes exceeds limit %u", key, n,
				RECORD_STR_MAX);
	}
	*out = s;
	return 0;
}

/* A string or null (NULL). */
static int get_opt_str(const struct parse *p, int i, const char *key, char **out)
{
	if (is_type(p, i, JSON_NULL))
		return 0;
	if (want(p, i, JSON_STRING, key) < 0)
		return -1;
	return dup_str(p, i, key, out);
}

/* A string or null into a fixed buffer of cap bytes; too long fails through `toolong`. */
static int get_fixed(const struct parse *p, int i, const char *key, char *out, size_t cap,
		     int (*toolong)(const char *s, struct kerr *err))
{
	char *s = NULL;
	int rc = 0;

	if (get_opt_str(p, i, key, &s) < 0)
		return -1;
	if (!s) {
		out[0] = '\0';
		return 0;
	}
	if (!str_copy(out, cap, s)) {
		out[0] = '\0';
		rc = toolong(s, p->err);
	}
	free(s);
	return rc;
}

static int id_too_long(const char *s, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	return kerr_set(
		err, 0,
		"key `id`: `%s` is not a container id, expected 64 lowercase hex characters",
		record_shown(q, s));
}

static int name_too_long(const char *s, struct kerr *err)
{
	if (ids_check_name(s, err) == 0)
		kerr_set(err, 0, "container name is longer than %d bytes", IDS_NAME_MAX);
	return kerr_wrap(err, "key `name`");
}

static int get_strv(const struct parse *p, int i, const char *key, struct record_strv *out)
{
	const struct json_tok *t;
	char ekey[64];
	int k;

	if (want(p, i, JSON_ARRAY, key) < 0)
		return -1;
	t = &p->doc->toks[i];
	if (t->size > RECORD_LIST_MAX)
		return kerr_set(p->err, 0, "key `%s`: %d entries exceed limit %d", key, t->size,
				RECORD_LIST_MAX);
	record_strv_free(out);
	out->v = calloc((size_t)t->size + 1, sizeof(*out->v));
	if (!out->v)
		return kerr_set(p->err, ENOMEM, "key `%s`", key);
	k = i + 1;
	for (int e = 0; e < t->size; e++) {
		snprintf(ekey, sizeof(ekey), "%s[%d]", key, e);
		if (want(p, k, JSON_STRING, ekey) < 0 || dup_str(p, k, ekey, &out->v[e]) < 0)
			return -1;
		out->n++;
		k = json_skip(p->doc, k);
	}
	return 0;
}

/* Fails on any key of object obj that is not in keys[] (NULL-terminated). */
static int only_keys(const struct parse *p, int obj, const char *const *keys, const char *where)
{
	int k = obj + 1;
	char q[4 * RECORD_SHOWN_MAX + 4];
	char name[4 * RECORD_SHOWN_MAX + 4];

	for (int m = 0; m < p->doc->toks[obj].size; m++) {
		bool known = false;

		for (size_t j = 0; keys[j] && !known; j++)
			known = json_str_eq(p->doc, k, keys[j]);
		if (!known) {
			const struct json_tok *t = &p->doc->toks[k];
			size_t n = (size_t)(t->end - t->start);

			/* The raw (escaped) key text is enough to name it. */
			str_copyn(name, sizeof(name), p->doc->text + t->start,
				  n < RECORD_SHOWN_MAX ? n : RECORD_SHOWN_MAX);
			return kerr_set(p->err, 0, "unknown key `%s` in %s", record_shown(q, name),
					where);
		}
		k = json_skip(p->doc, k + 1);
	}
	return 0;
}

static int get_u32(const struct parse *p, int i, const char *key, uint32_t *out)
{
	uint64_t v;

	if (want(p, i, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_u64(p->doc, i, &v, p->err) < 0)
		return kerr_wrap(p->err, "key `%s`", key);
	if (v >= UINT32_MAX)
		return kerr_set(p->err, 0, "key `%s`: %llu is out of range, expected 0..%u", key,
				(unsigned long long)v, UINT32_MAX - 1);
	*out = (uint32_t)v;
	return 0;
}

static int f_user(const struct parse *p, int i)
{
	static const char *const keys[] = { "uid", "gid", NULL };
	int v;

	if (is_type(p, i, JSON_NULL)) {
		p->r->user_set = false;
		return 0;
	}
	if (want(p, i, JSON_OBJECT, "user") < 0 || only_keys(p, i, keys, "`user`") < 0)
		return -1;
	v = json_obj_get(p->doc, i, "uid");
	if (v < 0)
		return kerr_set(p->err, 0, "key `user.uid` is missing");
	if (get_u32(p, v, "user.uid", &p->r->uid) < 0)
		return -1;
	v = json_obj_get(p->doc, i, "gid");
	if (v < 0)
		return kerr_set(p->err, 0, "key `user.gid` is missing");
	if (get_u32(p, v, "user.gid", &p->r->gid) < 0)
		return -1;
	p->r->user_set = true;
	return 0;
}

static int f_mounts(const struct parse *p, int i)
{
	static const char *const keys[] = { "source", "destination", "readonly", NULL };
	struct record *r = p->r;
	const struct json_tok *t;
	char ekey[64], where[64];
	int k, v;

	if (want(p, i, JSON_ARRAY, "mounts") < 0)
		return -1;
	t = &p->doc->toks[i];
	if (t->size > RECORD_LIST_MAX)
		return kerr_set(p->err, 0, "key `mounts`: %d entries exceed limit %d", t->size,
				RECORD_LIST_MAX);
	r->mounts = calloc((size_t)t->size + 1, sizeof(*r->mounts));
	if (!r->mounts)
		return kerr_set(p->err, ENOMEM, "key `mounts`");
	k = i + 1;
	for (int e = 0; e < t->size; e++) {
		struct record_mount *m = &r->mounts[e];

		snprintf(where, sizeof(where), "`mounts[%d]`", e);
		snprintf(ekey, sizeof(ekey), "mounts[%d]", e);
		if (want(p, k, JSON_OBJECT, ekey) < 0 || only_keys(p, k, keys, where) < 0)
			return -1;
		r->nmounts++;
		snprintf(ekey, sizeof(ekey), "mounts[%d].source", e);
		v = json_obj_get(p->doc, k, "source");
		if (v < 0)
			return kerr_set(p->err, 0, "key `%s` is missing", ekey);
		if (want(p, v, JSON_STRING, ekey) < 0 || dup_str(p, v, ekey, &m->source) < 0)
			return -1;
		snprintf(ekey, sizeof(ekey), "mounts[%d].destination", e);
		v = json_obj_get(p->doc, k, "destination");
		if (v < 0)
			return kerr_set(p->err, 0, "key `%s` is missing", ekey);
		if (want(p, v, JSON_STRING, ekey) < 0 || dup_str(p, v, ekey, &m->destination) < 0)
			return -1;
		snprintf(ekey, sizeof(ekey), "mounts[%d].readonly", e);
		v = json_obj_get(p->doc, k, "readonly");
		if (v >= 0 && (want(p, v, JSON_BOOL, ekey) < 0 ||
			       json_get_bool(p->doc, v, &m->readonly, p->err) < 0))
			return -1;
		k = json_skip(p->doc, k);
	}
	return 0;
}

/* "isolation": "default" or "host". */
static int f_isolation(const struct parse *p, int v)
{
	char *s = NULL;
	int rc = 0;

	if (get_opt_str(p, v, "isolation", &s) < 0)
		return -1;
	if (!s || strcmp(s, "default") == 0)
		p->r->isolation_host = false;
	else if (strcmp(s, "host") == 0)
		p->r->isolation_host = true;
	else
		rc = kerr_set(p->err, 0, "`isolation` is `%.32s`, expected `default` or `host`", s);
	free(s);
	return rc;
}

static int f_restart(const struct parse *p, int i)
{
	char text[RESTART_POLICY_LEN + 1];

	if (want(p, i, JSON_STRING, "restart") < 0)
		return -1;
	if (json_get_str(p->doc, i, text, sizeof(text), p->err) < 0 ||
	    restart_parse(text, &p->r->restart, p->err) < 0)
		return kerr_wrap(p->err, "key `restart`");
	return 0;
}

static int f_health_on_failure(const struct parse *p, int i)
{
	char text[16];

	if (want(p, i, JSON_STRING, "health_on_failure") < 0)
		return -1;
	if (json_get_str(p->doc, i, text, sizeof(text), p->err) < 0 ||
	    record_health_action_parse(text, &p->r->health_on_failure, p->err) < 0)
		return kerr_wrap(p->err, "key `health_on_failure`");
	return 0;
}

static int f_created(const struct parse *p, int i)
{
	char *s = NULL;
	int rc;

	if (get_opt_str(p, i, "created", &s) < 0)
		return -1;
	if (!s) {
		p->r->created_ns = 0;
		return 0;
	}
	rc = clock_parse_rfc3339(s, &p->r->created_ns, p->err);
	free(s);
	return rc < 0 ? kerr_wrap(p->err, "key `created`") : 0;
}

/* "stop_signal" (0..64) and "stop_timeout_ms" (-1..a day): checked by record_validate. */
static int f_stop(const struct parse *p, int k, int v)
{
	bool sig = json_str_eq(p->doc, k, "stop_signal");
	const char *key = sig ? "stop_signal" : "stop_timeout_ms";
	int64_t n;

	if (want(p, v, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_i64(p->doc, v, &n, p->err) < 0)
		return kerr_wrap(p->err, "key `%s`", key);
	if (sig) {
		if (n < 0 || n > RECORD_STOP_SIGNAL_MAX)
			return kerr_set(p->err, 0,
					"key `stop_signal`: %lld is out of range, "
					"expected 0..%d",
					(long long)n, RECORD_STOP_SIGNAL_MAX);
		p->r->stop_signal = (int)n;
		return 0;
	}
	p->r->stop_timeout_ms = n;
	return 0;
}

static int get_u64_key(const struct parse *p, int i, const char *key, uint64_t *out)
{
	if (want(p, i, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_u64(p->doc, i, out, p->err) < 0)
		return kerr_wrap(p->err, "key `%s`", key);
	return 0;
}

static int get_bool_key(const struct parse *p, int i, const char *key, bool *out)
{
	if (want(p, i, JSON_BOOL, key) < 0)
		return -1;
	return json_get_bool(p->doc, i, out, p->err);
}

/* Dispatches one top-level member; unknown keys fail. */
static int parse_member(const struct parse *p, int k, int v)
{
	struct record *r = p->r;
	char q[4 * RECORD_SHOWN_MAX + 4];
	char name[4 * RECORD_SHOWN_MAX + 4];
	const struct json_doc *d = p->doc;

	if (json_str_eq(d, k, "version"))
		return 0; /* checked before the walk */
	if (json_str_eq(d, k, "id"))
		return get_fixed(p, v, "id", r->id, sizeof(r->id), id_too_long);
	if (json_str_eq(d, k, "name"))
		return get_fixed(p, v, "name", r->name, sizeof(r->name), name_too_long);
	if (json_str_eq(d, k, "created"))
		return f_created(p, v);
	if (json_str_eq(d, k, "rootfs"))
		return get_opt_str(p, v, "rootfs", &r->rootfs);
	if (json_str_eq(d, k, "bundle"))
		return get_opt_str(p, v, "bundle", &r->bundle);
	if (json_str_eq(d, k, "args"))
		return get_strv(p, v, "args", &r->args);
	if (json_str_eq(d, k, "env"))
		return get_strv(p, v, "env", &r->env);
	if (json_str_eq(d, k, "workdir"))
		return get_opt_str(p, v, "workdir", &r->workdir);
	if (json_str_eq(d, k, "user"))
		return f_user(p, v);
	if (json_str_eq(d, k, "mounts"))
		return f_mounts(p, v);
	if (json_str_eq(d, k, "tmpfs"))
		return get_strv(p, v, "tmpfs", &r->tmpfs);
	if (json_str_eq(d, k, "hostname"))
		return get_opt_str(p, v, "hostname", &r->hostname);
	/* "network" and the rest of the network block (record_net.c). */
	int net = record_net_json_member(d, k, v, r, p->err);
	if (net != 0)
		return net < 0 ? -1 : 0;
	if (json_str_eq(d, k, "memory"))
		return get_u64_key(p, v, "memory", &r->memory_bytes);
	if (json_str_eq(d, k, "cpus"))
		return get_u64_key(p, v, "cpus", &r->cpus_milli);
	if (json_str_eq(d, k, "pids_limit")) {
		if (want(p, v, JSON_NUMBER, "pids_limit") < 0)
			return -1;
		if (json_get_i64(d, v, &r->pids_limit, p->err) < 0)
			return kerr_wrap(p->err, "key `pids_limit`");
		return 0;
	}
	if (json_str_eq(d, k, "read_only"))
		return get_bool_key(p, v, "read_only", &r->read_only);
	if (json_str_eq(d, k, "privileged"))
		return get_bool_key(p, v, "privileged", &r->privileged);
	if (json_str_eq(d, k, "auto_remove"))
		return get_bool_key(p, v, "auto_remove", &r->auto_remove);
	if (json_str_eq(d, k, "tty"))
		return get_bool_key(p, v, "tty", &r->tty);
	if (json_str_eq(d, k, "stdin_open"))
		return get_bool_key(p, v, "stdin_open", &r->stdin_open);
	if (json_str_eq(d, k, "init"))
		return get_bool_key(p, v, "init", &r->init);
	if (json_str_eq(d, k, "cap_add"))
		return get_strv(p, v, "cap_add", &r->cap_add);
	if (json_str_eq(d, k, "cap_drop"))
		return get_strv(p, v, "cap_drop", &r->cap_drop);
	if (json_str_eq(d, k, "labels"))
		return get_strv(p, v, "labels", &r->labels);
	if (json_str_eq(d, k, "runtime"))
		return get_opt_str(p, v, "runtime", &r->runtime);
	if (json_str_eq(d, k, "isolation"))
		return f_isolation(p, v);
	if (json_str_eq(d, k, "restart"))
		return f_restart(p, v);
	if (json_str_eq(d, k, "restart_delay_ms"))
		return get_u64_key(p, v, "restart_delay_ms", &r->restart_delay_ms);
	if (json_str_eq(d, k, "restart_max_delay_ms"))
		return get_u64_key(p, v, "restart_max_delay_ms", &r->restart_max_delay_ms);
	if (json_str_eq(d, k, "restart_reset_ms"))
		return get_u64_key(p, v, "restart_reset_ms", &r->restart_reset_ms);
	if (json_str_eq(d, k, "log_max_size"))
		return get_u64_key(p, v, "log_max_size", &r->log_max_size);
	if (json_str_eq(d, k, "log_max_files")) {
		uint64_t files;

		if (get_u64_key(p, v, "log_max_files", &files) < 0)
			return -1;
		if (files > LOGFILE_MAX_FILES)
			return kerr_set(p->err, 0, "key `log_max_files`: %llu exceeds %u",
					(unsigned long long)files, LOGFILE_MAX_FILES);
		r->log_max_files = (uint32_t)files;
		return 0;
	}

	if (json_str_eq(d, k, "health_cmd")) {
		free(r->health_cmd);
		r->health_cmd = NULL;
		return get_opt_str(p, v, "health_cmd", &r->health_cmd);
	}
	if (json_str_eq(d, k, "health_interval_ms"))
		return get_u64_key(p, v, "health_interval_ms", &r->health_interval_ms);
	if (json_str_eq(d, k, "health_timeout_ms"))
		return get_u64_key(p, v, "health_timeout_ms", &r->health_timeout_ms);
	if (json_str_eq(d, k, "health_start_period_ms"))
		return get_u64_key(p, v, "health_start_period_ms", &r->health_start_period_ms);
	if (json_str_eq(d, k, "health_retries"))
		return get_u32(p, v, "health_retries", &r->health_retries);
	if (json_str_eq(d, k, "health_on_failure"))
		return f_health_on_failure(p, v);
	/* --security-opt: absent in records written before it (issue 12). */
	if (json_str_eq(d, k, "seccomp")) {
		free(r->seccomp);
		r->seccomp = NULL;
		return get_opt_str(p, v, "seccomp", &r->seccomp);
	}
	if (json_str_eq(d, k, "no_new_privileges"))
		return get_bool_key(p, v, "no_new_privileges", &r->no_new_privileges);
	if (json_str_eq(d, k, "devices"))
		return record_dev_json_decode(&r->dev, d, v, p->err);
	if (json_str_eq(d, k, "stop_signal") || json_str_eq(d, k, "stop_timeout_ms"))
		return f_stop(p, k, v);
	if (json_str_eq(d, k, "image"))
		return record_image_decode(d, v, &r->image, p->err);

	size_t n = (size_t)(d->toks[k].end - d->toks[k].start);

	str_copyn(name, sizeof(name), d->text + d->toks[k].start,
		  n < RECORD_SHOWN_MAX ? n : RECORD_SHOWN_MAX);
	return kerr_set(p->err, 0, "unknown key `%s` in container record", record_shown(q, name));
}

static int parse_doc(struct parse *p)
{
	const struct json_doc *d = p->doc;
	int64_t version;
	int v, k;

	if (d->toks[0].type != JSON_OBJECT)
		return kerr_set(p->err, 0, "container record: expected an object, found %s",
				json_type_name(d->toks[0].type));
	/* The version first: a newer format gets one clear message, not unknown-key noise. */
	v = json_obj_get(d, 0, "version");
	if (v < 0)
		return kerr_set(p->err, 0, "key `version` is missing, expected %d", RECORD_VERSION);
	if (want(p, v, JSON_NUMBER, "version") < 0)
		return -1;
	if (json_get_i64(d, v, &version, p->err) < 0)
		return kerr_wrap(p->err, "key `version`");
	if (version != RECORD_VERSION)
		return kerr_set(p->err, 0,
				"key `version`: unsupported record version %lld, expected %d",
				(long long)version, RECORD_VERSION);
	k = 1;
	for (int m = 0; m < d->toks[0].size; m++) {
		if (parse_member(p, k, k + 1) < 0)
			return -1;
		k = json_skip(d, k + 1);
	}
	return 0;
}

int record_json_decode(struct record *r, const char *text, size_t len, bool request,
		       struct kerr *err)
{
	struct json_doc doc;
	struct parse p = { .doc = &doc, .r = r, .err = err };
	size_t ntoks;
	struct json_tok *toks;
	int rc;

	record_init(r);
	if (len > RECORD_JSON_MAX)
		return kerr_set(err, 0, "container record of %zu bytes exceeds limit %u", len,
				RECORD_JSON_MAX);
	/* Every token but the first takes at least two bytes of text ("1," or "[]"). */
	ntoks = len / 2 + 2;
	if (ntoks > JSON_TOKENS_MAX)
		ntoks = JSON_TOKENS_MAX;
	toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "container record: %zu json tokens", ntoks);
	rc = json_parse(&doc, text, len, toks, (int)ntoks, err);
	if (rc < 0)
		kerr_wrap(err, "container record");
	else
		rc = parse_doc(&p);
	if (rc == 0)
		rc = record_validate(r, request, err);
	free(toks);
	if (rc < 0)
		record_done(r);
	return rc;
}

/* ---- JSON out ---- */

static void w_opt_str(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	if (s)
		json_w_str(w, s);
	else
		json_w_null(w);
}

static void w_strv(struct json_w *w, const char *key, const struct record_strv *v)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

int record_json_encode(const struct record *r, struct buf *out, struct kerr *err)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];
	char policy[RESTART_POLICY_LEN];
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, RECORD_VERSION);
	w_opt_str(&w, "id", r->id[0] ? r->id : NULL);
	w_opt_str(&w, "name", r->name[0] ? r->name : NULL);
	json_w_key(&w, "created");
	if (r->created_ns != 0) {
		clock_format_rfc3339nano(r->created_ns, stamp);
		json_w_str(&w, stamp);
	} else {
		json_w_null(&w);
	}
	w_opt_str(&w, "rootfs", r->rootfs);
	w_opt_str(&w, "bundle", r->bundle);
	w_strv(&w, "args", &r->args);
	w_strv(&w, "env", &r->env);
	w_opt_str(&w, "workdir", r->workdir);
	json_w_key(&w, "user");
	if (r->user_set) {
		json_w_obj_begin(&w);
		json_w_key(&w, "uid");
		json_w_u64(&w, r->uid);
		json_w_key(&w, "gid");
		json_w_u64(&w, r->gid);
		json_w_obj_end(&w);
	} else {
		json_w_null(&w);
	}
	json_w_key(&w, "mounts");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < r->nmounts; i++) {
		json_w_obj_begin(&w);
		w_opt_str(&w, "source", r->mounts[i].source);
		w_opt_str(&w, "destination", r->mounts[i].destination);
		json_w_key(&w, "readonly");
		json_w_bool(&w, r->mounts[i].readonly);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	w_strv(&w, "tmpfs", &r->tmpfs);
	w_opt_str(&w, "hostname", r->hostname);
	if (record_net_json_mode(&w, r, err) < 0)
		return -1;
	json_w_key(&w, "memory");
	json_w_u64(&w, r->memory_bytes);
	json_w_key(&w, "cpus");
	json_w_u64(&w, r->cpus_milli);
	json_w_key(&w, "pids_limit");
	json_w_i64(&w, r->pids_limit);
	json_w_key(&w, "read_only");
	json_w_bool(&w, r->read_only);
	json_w_key(&w, "privileged");
	json_w_bool(&w, r->privileged);
	json_w_key(&w, "auto_remove");
	json_w_bool(&w, r->auto_remove);
	json_w_key(&w, "tty");
	json_w_bool(&w, r->tty);
	json_w_key(&w, "stdin_open");
	json_w_bool(&w, r->stdin_open);
	json_w_key(&w, "init");
	json_w_bool(&w, r->init);
	w_strv(&w, "cap_add", &r->cap_add);
	w_strv(&w, "cap_drop", &r->cap_drop);
	w_strv(&w, "labels", &r->labels);
	w_opt_str(&w, "runtime", r->runtime);
	if (r->isolation_host) { /* absent means "default": records before it stay as they were */
		json_w_key(&w, "isolation");
		json_w_str(&w, "host");
	}
	restart_format(&r->restart, policy, sizeof(policy));
	json_w_key(&w, "restart");
	json_w_str(&w, policy);
	json_w_key(&w, "restart_delay_ms");
	json_w_u64(&w, r->restart_delay_ms);
	json_w_key(&w, "restart_max_delay_ms");
	json_w_u64(&w, r->restart_max_delay_ms);
	json_w_key(&w, "restart_reset_ms");
	json_w_u64(&w, r->restart_reset_ms);
	json_w_key(&w, "log_max_size");
	json_w_u64(&w, r->log_max_size);
	json_w_key(&w, "log_max_files");
	json_w_u64(&w, r->log_max_files);
	w_opt_str(&w, "health_cmd", r->health_cmd);
	json_w_key(&w, "health_interval_ms");
	json_w_u64(&w, r->health_interval_ms);
	json_w_key(&w, "health_timeout_ms");
	json_w_u64(&w, r->health_timeout_ms);
	json_w_key(&w, "health_start_period_ms");
	json_w_u64(&w, r->health_start_period_ms);
	json_w_key(&w, "health_retries");
	json_w_u64(&w, r->health_retries);
	json_w_key(&w, "health_on_failure");
	json_w_str(&w, record_health_action_name(r->health_on_failure));
	w_opt_str(&w, "seccomp", r->seccomp);
	json_w_key(&w, "no_new_privileges");
	json_w_bool(&w, r->no_new_privileges);
	/* Only when there are any: records without devices keep their bytes. */
	if (!record_dev_empty(&r->dev))
		record_dev_json_encode(&w, &r->dev);
	/* Written only when set: a record without them reads back with the defaults. */
	if (r->stop_signal > 0) {
		json_w_key(&w, "stop_signal");
		json_w_i64(&w, r->stop_signal);
	}
	if (r->stop_timeout_ms >= 0) {
		json_w_key(&w, "stop_timeout_ms");
		json_w_i64(&w, r->stop_timeout_ms);
	}
	record_net_json_block(&w, r);
	record_image_encode(&w, &r->image);
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "container record");
	return 0;
}
