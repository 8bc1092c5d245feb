/*
 * status: a container's runtime status, its JSON form and its two files (mechanism M3).
 *
 * The JSON is one flat object with a "version" (STATUS_VERSION) and the keys written by
 * status_to_json; parsing is strict: unknown or duplicate keys, a wrong type, a value out
 * of range or another version are errors, "version" and "status" are required, and absent
 * optional keys keep status_init's values. Timestamps are RFC3339Nano strings, null for 0.
 * Invariant: whatever status_to_json writes, status_from_json reads back to an equal struct
 * (text that is not valid UTF-8 is made valid first, so it never grows). Never logs.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "store/status.h"
#include "store/store.h"
#include "base/str.h"

/* Tokens of the largest valid status: 17 keys and values, the object, and the health
 * object with its full log (7 + 1 + 5 * 9), with slack. */
#define STATUS_TOKENS	 128
/* Mode of state.json and exit.json: the shim and daemon run as the same user. */
#define STATUS_FILE_MODE 0600

static const char *const kind_names[] = {
	[STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
	[STATUS_PAUSED] = "paused",   [STATUS_RESTARTING] = "restarting",
	[STATUS_EXITED] = "exited",   [STATUS_REMOVING] = "removing",
	[STATUS_DEAD] = "dead",
};

#define KIND_COUNT ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

void status_init(struct status *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = STATUS_CREATED;
}

const char *status_kind_name(enum status_kind k)
{
	if ((int)k < 0 || (int)k >= KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

int status_kind_parse(const char *s, enum status_kind *k, struct kerr *err)
{
	char shown[68];

	for (int i = 0; i < KIND_COUNT; i++) {
		if (s && strcmp(s, kind_names[i]) == 0) {
			*k = (enum status_kind)i;
			return 0;
		}
	}
	str_sanitize(shown, sizeof(shown), s ? s : "", s ? strlen(s) : 0);
	return kerr_set(err, EINVAL,
			"unknown status `%s`, expected one of created, running, paused, "
			"restarting, exited, removing, dead",
			shown);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Writes s as a JSON string with every byte that is not valid UTF-8 replaced by '?'. The
 * writer would turn such a byte into U+FFFD (3 bytes), and a full-size reason or error
 * could then no longer be read back into its field.
 */
static void put_text(struct json_w *w, const char *s, size_t cap)
{
	char clean[STATUS_HEALTH_OUT_MAX + 1 > STATUS_ERROR_MAX ? STATUS_HEALTH_OUT_MAX + 1
								: STATUS_ERROR_MAX];
	size_t n = strnlen(s, cap - 1);
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);

		if (l == 0) {
			clean[i++] = '?';
			continue;
		}
		memcpy(clean + i, s + i, l);
		i += l;
	}
	json_w_strn(w, clean, n);
}

static void put_time(struct json_w *w, const char *key, int64_t ns)
{
	char ts[CLOCK_RFC3339NANO_LEN + 1];

	json_w_key(w, key);
	if (ns == 0) {
		json_w_null(w);
		return;
	}
	clock_format_rfc3339nano(ns, ts);
	json_w_str(w, ts);
}

/* docker's State.Health. */
void status_health_json(struct json_w *w, const struct status_health *h)
{
	if (h->kind == STATUS_HEALTH_NONE) {
		json_w_null(w);
		return;
	}
	json_w_obj_begin(w);
	json_w_key(w, "status");
	json_w_str(w, status_health_name(h->kind));
	json_w_key(w, "failing_streak");
	json_w_u64(w, h->failing_streak);
	json_w_key(w, "log");
	json_w_arr_begin(w);
	for (size_t i = 0; i < h->nlog && i < STATUS_HEALTH_LOG; i++) {
		const struct status_probe *p = &h->log[i];

		json_w_obj_begin(w);
		put_time(w, "start", p->start_ns);
		put_time(w, "end", p->end_ns);
		json_w_key(w, "exit_code");
		json_w_i64(w, p->exit_code);
		json_w_key(w, "output");
		put_text(w, p->output, sizeof(p->output));
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_obj_end(w);
}

int status_to_json(const struct status *s, struct buf *out, struct kerr *err)
{
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, STATUS_VERSION);
	json_w_key(&w, "status");
	json_w_str(&w, status_kind_name(s->kind));
	json_w_key(&w, "pid");
	json_w_i64(&w, s->pid);
	json_w_key(&w, "shim_pid");
	json_w_i64(&w, s->shim_pid);
	put_time(&w, "started_at", s->started_ns);
	put_time(&w, "finished_at", s->finished_ns);
	json_w_key(&w, "exit_code");
	json_w_i64(&w, s->exit_code);
	json_w_key(&w, "signal");
	json_w_i64(&w, s->signal);
	json_w_key(&w, "oom_killed");
	json_w_bool(&w, s->oom_killed);
	json_w_key(&w, "restart_count");
	json_w_u64(&w, s->restart_count);
	json_w_key(&w, "restart_streak");
	json_w_u64(&w, s->restart_streak);
	put_time(&w, "next_start", s->next_start_ns);
	json_w_key(&w, "stopped_by_user");
	json_w_bool(&w, s->stopped_by_user);
	json_w_key(&w, "reason");
	put_text(&w, s->reason, sizeof(s->reason));
	json_w_key(&w, "error");
	put_text(&w, s->error, sizeof(s->error));
	json_w_key(&w, "log_dropped_bytes");
	json_w_u64(&w, s->log_dropped);
	json_w_key(&w, "health");
	status_health_json(&w, &s->health);
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "encode status");
	return 0;
}

/* An integer value of key in lo..hi. */
static int get_int(const struct json_doc *d, int v, const char *key, int64_t lo, int64_t hi,
		   int64_t *out, struct kerr *err)
{
	if (json_get_i64(d, v, out, err) < 0)
		return kerr_wrap(err, "key `%s`", key);
	if (*out < lo || *out > hi)
		return kerr_set(err, ERANGE, "key `%s`: %lld is out of range, expected %lld..%lld",
				key, (long long)*out, (long long)lo, (long long)hi);
	return 0;
}

/* A timestamp: RFC3339 string, or null for "never" (0). */
static int get_time(const struct json_doc *d, int v, const char *key, int64_t *ns, struct kerr *err)
{
	char ts[64];

	if (d->toks[v].type == JSON_NULL) {
		*ns = 0;
		return 0;
	}
	if (json_get_str(d, v, ts, sizeof(ts), err) < 0 || clock_parse_rfc3339(ts, ns, err) < 0)
		return kerr_wrap(err, "key `%s`", key);
	return 0;
}

static int get_bool(const struct json_doc *d, int v, const char *key, bool *out, struct kerr *err)
{
	if (json_get_bool(d, v, out, err) < 0)
		return kerr_wrap(err, "key `%s`", key);
	return 0;
}

static int get_text(const struct json_doc *d, int v, const char *key, char *out, size_t cap,
		    struct kerr *err)
{
	if (json_get_str(d, v, out, cap, err) < 0)
		return kerr_wrap(err, "key `%s`", key);
	return 0;
}

enum status_key {
	K_VERSION,
	K_STATUS,
	K_PID,
	K_SHIM_PID,
	K_STARTED_AT,
	K_FINISHED_AT,
	K_EXIT_CODE,
	K_SIGNAL,
	K_OOM_KILLED,
	K_RESTART_COUNT,
	K_RESTART_STREAK,
	K_NEXT_START,
	K_STOPPED_BY_USER,
	K_REASON,
	K_ERROR,
	K_LOG_DROPPED,
	K_HEALTH,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_VERSION] = "version",
	[K_STATUS] = "status",
	[K_PID] = "pid",
	[K_SHIM_PID] = "shim_pid",
	[K_STARTED_AT] = "started_at",
	[K_FINISHED_AT] = "finished_at",
	[K_EXIT_CODE] = "exit_code",
	[K_SIGNAL] = "signal",
	[K_OOM_KILLED] = "oom_killed",
	[K_RESTART_COUNT] = "restart_count",
	[K_RESTART_STREAK] = "restart_streak",
	[K_NEXT_START] = "next_start",
	[K_STOPPED_BY_USER] = "stopped_by_user",
	[K_REASON] = "reason",
	[K_ERROR] = "error",
	[K_LOG_DROPPED] = "log_dropped_bytes",
	[K_HEALTH] = "health",
};

static const char *const health_names[] = {
	[STATUS_HEALTH_NONE] = "none",
	[STATUS_HEALTH_STARTING] = "starting",
	[STATUS_HEALTH_HEALTHY] = "healthy",
	[STATUS_HEALTH_UNHEALTHY] = "unhealthy",
};

#define HEALTH_COUNT ((int)(sizeof(health_names) / sizeof(health_names[0])))

const char *status_health_name(enum status_health_kind k)
{
	if ((int)k < 0 || (int)k >= HEALTH_COUNT)
		return "unknown";
	return health_names[k];
}

/* One log entry: exactly start, end, exit_code and output, each at most once. */
static int get_probe(const struct json_doc *d, int v, struct status_probe *p, struct kerr *err)
{
	static const char *const keys[] = { "start", "end", "exit_code", "output" };
	bool seen[4] = { false };
	int k = v + 1;
	int64_t n;

	if (d->toks[v].type != JSON_OBJECT)
		return kerr_set(err, EINVAL, "an entry of `log` is not an object");
	for (int m = 0; m < d->toks[v].size; m++) {
		int which = -1;

		for (int i = 0; i < 4 && which < 0; i++)
			if (json_str_eq(d, k, keys[i]))
				which = i;
		if (which < 0 || seen[which])
			return kerr_set(err, EINVAL,
					"a `log` entry has an unknown or repeated key, expected "
					"start, end, exit_code, output");
		seen[which] = true;
		if ((which == 0 && get_time(d, k + 1, "start", &p->start_ns, err) < 0) ||
		    (which == 1 && get_time(d, k + 1, "end", &p->end_ns, err) < 0) ||
		    (which == 3 &&
		     get_text(d, k + 1, "output", p->output, sizeof(p->output), err) < 0))
			return -1;
		if (which == 2) {
			if (get_int(d, k + 1, "exit_code", -1, 255, &n, err) < 0)
				return -1;
			p->exit_code = (int)n;
		}
		k = json_skip(d, k + 1);
	}
	return 0;
}

/* null, or {"status", "failing_streak", "log"} as put_health writes it. */
static int get_health(const struct json_doc *d, int v, struct status_health *h, struct kerr *err)
{
	char kind[16];
	int64_t n;
	int t;

	memset(h, 0, sizeof(*h));
	if (d->toks[v].type == JSON_NULL)
		return 0;
	if (d->toks[v].type != JSON_OBJECT)
		return kerr_set(err, EINVAL, "key `health` is neither null nor an object");
	for (int m = 0, k = v + 1; m < d->toks[v].size; m++, k = json_skip(d, k + 1))
		if (!json_str_eq(d, k, "status") && !json_str_eq(d, k, "failing_streak") &&
		    !json_str_eq(d, k, "log"))
			return kerr_set(err, EINVAL,
					"key `health` has an unknown key, expected status, "
					"failing_streak, log");
	t = json_obj_get(d, v, "status");
	if (t < 0 || json_get_str(d, t, kind, sizeof(kind), err) < 0)
		return kerr_set(err, EINVAL, "key `health`: `status` missing or not a string");
	for (int i = STATUS_HEALTH_STARTING; i < HEALTH_COUNT; i++)
		if (strcmp(kind, health_names[i]) == 0)
			h->kind = (enum status_health_kind)i;
	if (h->kind == STATUS_HEALTH_NONE)
		return kerr_set(err, EINVAL,
				"key `health`: unknown status, expected starting, healthy or "
				"unhealthy");
	t = json_obj_get(d, v, "failing_streak");
	if (t >= 0) {
		if (get_int(d, t, "failing_streak", 0, UINT_MAX, &n, err) < 0)
			return kerr_wrap(err, "key `health`");
		h->failing_streak = (unsigned)n;
	}
	t = json_obj_get(d, v, "log");
	if (t < 0)
		return 0;
	if (d->toks[t].type != JSON_ARRAY || d->toks[t].size > STATUS_HEALTH_LOG)
		return kerr_set(err, EINVAL, "key `health`: `log` is not an array of at most %d",
				STATUS_HEALTH_LOG);
	for (int i = 0, e = t + 1; i < d->toks[t].size; i++, e = json_skip(d, e)) {
		if (get_probe(d, e, &h->log[i], err) < 0)
			return kerr_wrap(err, "key `health`");
		h->nlog++;
	}
	return 0;
}

void status_health_reset(struct status_health *h)
{
	h->kind = STATUS_HEALTH_STARTING;
	h->failing_streak = 0;
}

bool status_health_add(struct status_health *h, const struct status_probe *p, bool in_start_period,
		       unsigned retries)
{
	enum status_health_kind was = h->kind;

	if (h->nlog == STATUS_HEALTH_LOG) {
		memmove(&h->log[0], &h->log[1], (STATUS_HEALTH_LOG - 1) * sizeof(h->log[0]));
		h->nlog--;
	}
	h->log[h->nlog++] = *p;
	if (p->exit_code == 0) {
		h->failing_streak = 0;
		h->kind = STATUS_HEALTH_HEALTHY;
	} else if (!(h->kind == STATUS_HEALTH_STARTING && in_start_period)) {
		/* docker: failures in the start period do not count until a first success. */
		h->failing_streak++;
		if (h->failing_streak >= retries)
			h->kind = STATUS_HEALTH_UNHEALTHY;
	}
	return h->kind != was;
}

/* Reads value token v of key k into s. */
static int get_field(const struct json_doc *d, int v, enum status_key k, struct status *s,
		     struct kerr *err)
{
	const char *key = key_names[k];
	char kind[16];
	int64_t n;

	switch (k) {
	case K_VERSION:
		if (get_int(d, v, key, INT64_MIN, INT64_MAX, &n, err) < 0)
			return -1;
		if (n != STATUS_VERSION)
			return kerr_set(err, EINVAL, "status version %lld, expected %d",
					(long long)n, STATUS_VERSION);
		return 0;
	case K_STATUS:
		if (json_get_str(d, v, kind, sizeof(kind), err) < 0)
			return kerr_wrap(err, "key `%s`", key);
		return status_kind_parse(kind, &s->kind, err);
	case K_PID:
		if (get_int(d, v, key, 0, INT_MAX, &n, err) < 0)
			return -1;
		s->pid = (pid_t)n;
		return 0;
	case K_SHIM_PID:
		if (get_int(d, v, key, 0, INT_MAX, &n, err) < 0)
			return -1;
		s->shim_pid = (pid_t)n;
		return 0;
	case K_STARTED_AT:
		return get_time(d, v, key, &s->started_ns, err);
	case K_FINISHED_AT:
		return get_time(d, v, key, &s->finished_ns, err);
	case K_EXIT_CODE:
		if (get_int(d, v, key, 0, 255, &n, err) < 0)
			return -1;
		s->exit_code = (int)n;
		return 0;
	case K_SIGNAL:
		if (get_int(d, v, key, 0, 64, &n, err) < 0)
			return -1;
		s->signal = (int)n;
		return 0;
	case K_OOM_KILLED:
		return get_bool(d, v, key, &s->oom_killed, err);
	case K_RESTART_COUNT:
		if (get_int(d, v, key, 0, UINT_MAX, &n, err) < 0)
			return -1;
		s->restart_count = (unsigned)n;
		return 0;
	case K_RESTART_STREAK:
		if (get_int(d, v, key, 0, UINT_MAX, &n, err) < 0)
			return -1;
		s->restart_streak = (unsigned)n;
		return 0;
	case K_NEXT_START:
		return get_time(d, v, key, &s->next_start_ns, err);
	case K_STOPPED_BY_USER:
		return get_bool(d, v, key, &s->stopped_by_user, err);
	case K_REASON:
		return get_text(d, v, key, s->reason, sizeof(s->reason), err);
	case K_ERROR:
		return get_text(d, v, key, s->error, sizeof(s->error), err);
	case K_LOG_DROPPED:
		if (json_get_u64(d, v, &s->log_dropped, err) < 0)
			return kerr_wrap(err, "key `%s`", key);
		return 0;
	case K_HEALTH:
		return get_health(d, v, &s->health, err);
	case K_COUNT:
		break;
	}
	return kerr_set(err, EINVAL, "key `%s` has no reader", key);
}

static int unknown_key(const struct json_doc *d, int k, struct kerr *err)
{
	const struct json_tok *t = &d->toks[k];
	char shown[68];

	str_sanitize(shown, sizeof(shown), d->text + t->start, (size_t)(t->end - t->start));
	return kerr_set(err, EINVAL,
			"unknown key `%s`, expected version, status, pid, shim_pid, started_at, "
			"finished_at, exit_code, signal, oom_killed, restart_count, "
			"restart_streak, next_start, stopped_by_user, reason, error, "
			"log_dropped_bytes, health",
			shown);
}

int status_from_json(struct status *s, const char *text, size_t len, struct kerr *err)
{
	struct json_tok toks[STATUS_TOKENS];
	struct json_doc d;
	struct status tmp;
	bool seen[K_COUNT] = { false };
	int k;

	status_init(&tmp);
	if (json_parse(&d, text, len, toks, STATUS_TOKENS, err) < 0)
		return kerr_wrap(err, "parse status");
	if (d.toks[0].type != JSON_OBJECT)
		return kerr_set(err, EINVAL,
				"parse status: the document is not an object, "
				"expected {\"version\":%d,…}",
				STATUS_VERSION);
	k = 1;
	for (int m = 0; m < d.toks[0].size; m++) {
		int which = -1;

		for (int i = 0; i < K_COUNT && which < 0; i++)
			if (json_str_eq(&d, k, key_names[i]))
				which = i;
		if (which < 0) {
			unknown_key(&d, k, err);
			return kerr_wrap(err, "parse status");
		}
		seen[which] = true;
		if (get_field(&d, k + 1, (enum status_key)which, &tmp, err) < 0)
			return kerr_wrap(err, "parse status");
		k = json_skip(&d, k + 1);
	}
	if (!seen[K_VERSION])
		return kerr_set(err, EINVAL, "parse status: key `version` missing, expected %d",
				STATUS_VERSION);
	if (!seen[K_STATUS])
		return kerr_set(err, EINVAL, "parse status: key `status` missing");
	*s = tmp;
	return 0;
}

static void buf_donep(struct buf *b)
{
	buf_done(b);
}

int status_write(int dirfd, const char *name, const struct status *s, bool durable,
		 struct kerr *err)
{
	/* Equivalent to buf_init(&b, STATUS_JSON_MAX), in the declaration (rule 9). */
	_cleanup_(buf_donep) struct buf b = { .max = STATUS_JSON_MAX };

	if (status_to_json(s, &b, err) < 0)
		return kerr_wrap(err, "write `%s`", name);
	if (buf_append(&b, "\n", 1, err) < 0)
		return kerr_wrap(err, "write `%s`", name);
	return store_write_atomic(dirfd, name, b.data, b.len, STATUS_FILE_MODE, durable, err);
}

int status_read(int dirfd, const char *name, struct status *s, struct kerr *err)
{
	_cleanup_(buf_donep) struct buf b = { .max = STATUS_JSON_MAX + 1 };

	if (store_read_file(dirfd, name, STATUS_JSON_MAX, &b, err) < 0)
		return -1;
	if (status_from_json(s, (const char *)b.data, b.len, err) < 0)
		return kerr_wrap(err, "read `%s`", name);
	return 0;
}
