/*
 * client_events: `kettle events` (layer 3, client role): the daemon's event stream, one
 * line per event as it happens.
 *
 * Sends EVENTS{SINCE, UNTIL, FILTER} and prints every EVENT frame until END: docker's
 * line (`<RFC3339Nano> container <type> <id12> (name=x, key=value, …)`), the JSON
 * document itself (--format json), or a Go template run over the event as docker's
 * message ({status, id, Type, Action, Actor {ID, Attributes}, scope, time, timeNano}).
 * Times are RFC 3339, Unix seconds, or a duration
 * before now ("10m"). Each line is flushed as it is written, so a pipe sees it at once.
 * Exits 0 at END once --until is reached; a stream that ends otherwise (the daemon
 * stopped, was killed, or dropped a reader that fell behind) ends with a message and a
 * failure, so a script can tell a lost daemon from a normal end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "client/client.h"
#include "base/clock.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/json_w.h"
#include "ipc/reqbody.h"
#include "base/str.h"
#include "base/timearg.h"

#define FILTERS_MAX    REQBODY_FILTERS_MAX /* --filter flags */
/* bytes of one --filter: a key, '=' and a value of at most REQBODY_FILTER_VALUE_MAX */
#define FILTER_MAX     (REQBODY_FILTER_VALUE_MAX + 15)
#define EVENT_TOKENS   128	    /* tokens of one event document */
#define VALUE_MAX      1024	    /* bytes of one attribute value printed */
#define TIME_TEXT_MAX  64	    /* bytes of a --since/--until value */
#define UNTIL_SLACK_NS 1000000000LL /* an END this close to --until is the until's */

/* Whatever the flags allow fits the daemon's FILTER field. */
_Static_assert(FILTERS_MAX *(FILTER_MAX + 1) <= REQBODY_FILTER_TEXT_MAX, "FILTER too long");

enum events_format {
	EVENTS_TEXT = 0, /* docker's line */
	EVENTS_JSON,	 /* the document, one per line */
	EVENTS_TEMPLATE, /* a Go template over docker's message */
};

struct events_args {
	int64_t since;				     /* ns; 0 = only new events */
	int64_t until;				     /* ns; 0 = until the daemon stops */
	char filter[FILTERS_MAX * (FILTER_MAX + 1)]; /* "k=v\nk=v" */
	size_t nfilters;			     /* --filter flags seen */
	enum events_format format;		     /* --format */
	const char *template;			     /* --format's template, or NULL */
	int64_t now;				     /* ns: what durations count back from */
};

enum {
	EVENTS_SINCE = 256,
	EVENTS_UNTIL,
	EVENTS_FILTER,
	EVENTS_FORMAT,
};

static const struct cli_opt events_opts[] CLI_TABLE = {
	CLI_OPT(EVENTS_SINCE, 0, CLI_STRING, 0, "since", "TIME",
		"Events from TIME: RFC 3339, Unix seconds, or a duration before now (10m)"),
	CLI_OPT(EVENTS_UNTIL, 0, CLI_STRING, 0, "until", "TIME",
		"Stop at TIME (same forms); in the past: history only"),
	CLI_OPT(EVENTS_FILTER, 0, CLI_STRING, CLI_REPEAT, "filter", "K=V",
		"container=NAME|ID or event=TYPE; repeat to widen a key, different keys must all "
		"match"),
	CLI_OPT(EVENTS_FORMAT, 0, CLI_STRING, 0, "format", "FORMAT",
		"text (default), json (kettle's document per line), or a Go template over "
		"docker's message ('{{.Action}} {{.Actor.Attributes.name}}')"),
};

const struct cli_cmd client_events_cmd CLI_TABLE = {
	.name = "events",
	.summary = "Stream container events (with recent history)",
	.synopsis = "kettle events [--since TIME] [--until TIME] [--filter KEY=VALUE] "
		    "[--format FORMAT]",
	.description = "Stream container events as they happen: create, start, exit (with its "
		       "code and reason), restart (attempt and delay), stop, kill, die (shim "
		       "lost) and destroy. The daemon keeps the last 1024, so --since shows "
		       "recent ones first.",
	.opts = events_opts,
	.nopts = CLI_COUNT(events_opts),
	.flags = CLI_INTERLEAVE,
};

/* RFC 3339, Unix seconds ("1700000000" or with a fraction), or a duration before now:
 * timearg.c, the parser `kettle logs` shares. */
static int parse_time(const char *flag, const char *s, int64_t now, int64_t *ns)
{
	struct kerr err;

	if (timearg_parse(s, now, ns, &err) == 0)
		return 0;
	if (err.code == ERANGE)
		return client_usage_error(&client_events_cmd, "%s %s", flag, err.msg);
	return client_usage_error(&client_events_cmd,
				  "%s `%s`: expected an RFC 3339 time, Unix seconds or a "
				  "duration like 10m",
				  flag, s);
}

static int events_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct events_args *a = ctx;
	int rc;

	switch (id) {
	case EVENTS_SINCE:
		rc = parse_time("--since", val, a->now, &a->since);
		if (rc != 0)
			return rc;
		if (a->since <= 0)
			a->since = 1;
		return 0;
	case EVENTS_UNTIL:
		rc = parse_time("--until", val, a->now, &a->until);
		if (rc != 0)
			return rc;
		if (a->until <= 0)
			a->until = 1;
		return 0;
	case EVENTS_FILTER: {
		const char *eq = strchr(val, '=');
		size_t len = strlen(val), used = strlen(a->filter);

		if (!eq || eq == val || eq[1] == '\0' || strchr(val, '\n'))
			return client_usage_error(cmd, "invalid --filter `%s`, expected KEY=VALUE",
						  val);
		if (a->nfilters == FILTERS_MAX || len > FILTER_MAX)
			return client_usage_error(cmd, "--filter: at most %d filters of %d bytes",
						  FILTERS_MAX, FILTER_MAX);
		if (used)
			a->filter[used++] = '\n';
		memcpy(a->filter + used, val, len + 1);
		a->nfilters++;
		return 0;
	}
	default:
		if (strcmp(val, "text") == 0) {
			a->format = EVENTS_TEXT;
		} else if (strcmp(val, "json") == 0) {
			a->format = EVENTS_JSON;
		} else {
			a->format = EVENTS_TEMPLATE;
			a->template = val;
		}
		return 0;
	}
}

/* Appends one "key=value" of member k to out (strings unescaped, numbers as sent). */
static void put_attr(const struct json_doc *d, int k, struct buf *out)
{
	char key[64], val[VALUE_MAX], safe[VALUE_MAX];
	const struct json_tok *v = &d->toks[k + 1];
	struct kerr err;

	if (json_get_str(d, k, key, sizeof(key), &err) < 0)
		return;
	if (v->type == JSON_STRING) {
		if (json_get_str(d, k + 1, val, sizeof(val), &err) < 0)
			return;
	} else {
		size_t n = (size_t)(v->end - v->start);

		str_copyn(val, sizeof(val), d->text + v->start, n);
	}
	str_sanitize(safe, sizeof(safe), val, strlen(val));
	if (out->len > 0)
		(void)buf_append_str(out, ", ", &err);
	(void)buf_append_str(out, key, &err);
	(void)buf_append_str(out, "=", &err);
	(void)buf_append_str(out, safe, &err);
}

/* docker's line: `<time> container <type> <id12> (name=x, k=v, …)`. */
static int print_text(const char *json, size_t len)
{
	struct json_tok toks[EVENT_TOKENS];
	struct json_doc d;
	char stamp[TIME_TEXT_MAX] = "", type[32] = "", id[IDS_ID_LEN + 1] = "";
	struct kerr err;
	struct buf attrs;
	int t;

	if (json_parse(&d, json, len, toks, EVENT_TOKENS, &err) < 0 ||
	    toks[0].type != JSON_OBJECT) {
		fprintf(stderr, "kettle: malformed event from the daemon, skipped\n");
		return 0;
	}
	if ((t = json_obj_get(&d, 0, "time")) >= 0)
		(void)json_get_str(&d, t, stamp, sizeof(stamp), &err);
	if ((t = json_obj_get(&d, 0, "type")) >= 0)
		(void)json_get_str(&d, t, type, sizeof(type), &err);
	if ((t = json_obj_get(&d, 0, "id")) >= 0)
		(void)json_get_str(&d, t, id, sizeof(id), &err);
	buf_init(&attrs, 16u * 1024u);
	int k = 1, name_key = -1;
	for (int m = 0; m < toks[0].size; m++) {
		if (json_str_eq(&d, k, "name"))
			name_key = k;
		k = json_skip(&d, k + 1);
	}
	if (name_key >= 0)
		put_attr(&d, name_key, &attrs);
	k = 1;
	for (int m = 0; m < toks[0].size; m++) {
		if (!json_str_eq(&d, k, "time") && !json_str_eq(&d, k, "type") &&
		    !json_str_eq(&d, k, "id") && !json_str_eq(&d, k, "name"))
			put_attr(&d, k, &attrs);
		k = json_skip(&d, k + 1);
	}
	printf("%s container %s %.*s (%.*s)\n", stamp, type, IDS_SHORT_LEN, id, (int)attrs.len,
	       attrs.len ? (const char *)attrs.data : "");
	buf_done(&attrs);
	return 0;
}

/* docker's events.Message for a kettle event document: the template's data. */
static int docker_message(const char *json, size_t len, struct buf *out, struct kerr *err)
{
	struct json_tok toks[EVENT_TOKENS];
	struct json_doc d;
	char stamp[TIME_TEXT_MAX] = "", type[64] = "", id[IDS_ID_LEN + 1] = "";
	char key[64], val[VALUE_MAX];
	int64_t ns = 0;
	struct json_w w;
	int t;

	if (json_parse(&d, json, len, toks, EVENT_TOKENS, err) < 0 || toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "malformed event from the daemon");
	if ((t = json_obj_get(&d, 0, "time")) >= 0)
		(void)json_get_str(&d, t, stamp, sizeof(stamp), err);
	if ((t = json_obj_get(&d, 0, "type")) >= 0)
		(void)json_get_str(&d, t, type, sizeof(type), err);
	if ((t = json_obj_get(&d, 0, "id")) >= 0)
		(void)json_get_str(&d, t, id, sizeof(id), err);
	if (clock_parse_rfc3339(stamp, &ns, err) < 0)
		ns = 0;
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "status");
	json_w_str(&w, type);
	json_w_key(&w, "id");
	json_w_str(&w, id);
	json_w_key(&w, "Type");
	json_w_str(&w, "container");
	json_w_key(&w, "Action");
	json_w_str(&w, type);
	json_w_key(&w, "Actor");
	json_w_obj_begin(&w);
	json_w_key(&w, "ID");
	json_w_str(&w, id);
	/* Every other member, as docker's map of strings, sorted by key. */
	json_w_key(&w, "Attributes");
	json_w_obj_begin(&w);
	char prev[64] = "";
	for (;;) {
		int best = -1;
		char best_key[64] = "";

		for (int m = 0, k = 1; m < toks[0].size; m++, k = json_skip(&d, k + 1)) {
			if (json_get_str(&d, k, key, sizeof(key), err) < 0 ||
			    strcmp(key, "time") == 0 || strcmp(key, "type") == 0 ||
			    strcmp(key, "id") == 0 || strcmp(key, prev) <= 0)
				continue;
			if (best < 0 || strcmp(key, best_key) < 0) {
				best = k;
				str_copy(best_key, sizeof(best_key), key);
			}
		}
		if (best < 0)
			break;
		const struct json_tok *v = &d.toks[best + 1];
		if (v->type == JSON_STRING) {
			if (json_get_str(&d, best + 1, val, sizeof(val), err) < 0)
				val[0] = '\0';
		} else {
			str_copyn(val, sizeof(val), d.text + v->start, (size_t)(v->end - v->start));
		}
		json_w_key(&w, best_key);
		json_w_str(&w, val);
		str_copy(prev, sizeof(prev), best_key);
	}
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	json_w_key(&w, "scope");
	json_w_str(&w, "local");
	json_w_key(&w, "time");
	json_w_i64(&w, ns / 1000000000);
	json_w_key(&w, "timeNano");
	json_w_i64(&w, ns);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

static int print_template(struct client_format *fmt, const char *json, size_t len)
{
	static const char *const maps[] = { "Actor.Attributes", NULL };
	static const struct tmpl_schema schema = { .maps = maps };
	struct buf doc, out;
	struct kerr err;
	int rc = 0;

	buf_init(&doc, SIZE_MAX);
	buf_init(&out, SIZE_MAX);
	if (docker_message(json, len, &doc, &err) < 0) {
		fprintf(stderr, "kettle: %s, skipped\n", err.msg);
	} else if (client_format_exec(fmt, (const char *)doc.data, doc.len, &schema, NULL, NULL,
				      &out, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		rc = CLIENT_EXIT_FAIL;
	} else {
		if (out.len) /* an empty buffer has no data pointer */
			fwrite(out.data, 1, out.len, stdout);
	}
	buf_done(&doc);
	buf_done(&out);
	return rc;
}

int client_events_main(int argc, char **argv)
{
	struct events_args a = { .now = clock_wall_ns() };
	struct client_args args;
	struct wire_frame f;
	struct wire_enc e;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_events_cmd, argc, argv, events_option, &a, &args);

	if (rc >= 0)
		return rc;
	if (a.since && a.until && a.until < a.since)
		return client_usage_error(&client_events_cmd, "--until is before --since");
	struct client_format fmt = { 0 };
	if (a.format == EVENTS_TEMPLATE && (rc = client_format_init(&fmt, a.template, true)) != 0)
		return rc;
	rc = client_open(&cl);
	if (rc != 0) {
		client_format_done(&fmt);
		return rc;
	}
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_EVENTS);
	if (a.since)
		wire_enc_u64(&e, WIRE_F_SINCE, (uint64_t)a.since);
	if (a.until)
		wire_enc_u64(&e, WIRE_F_UNTIL, (uint64_t)a.until);
	if (a.filter[0])
		wire_enc_str(&e, WIRE_F_FILTER, a.filter);
	rc = client_end(&e);
	while (rc == 0) {
		const uint8_t *json;
		size_t len;

		if (ipc_conn_wait_frame(&cl.conn, &f, -1, &err) < 0) {
			if (err.code == 0 && cl.conn.eof)
				kerr_set(&err, 0,
					 "lost the kettle daemon at %s: the event stream ended",
					 cl.root);
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
			break;
		}
		if (f.reqid != reqid)
			continue;
		if (f.type == WIRE_T_END) {
			char msg[256] = "";

			if (wire_get_str(&f, WIRE_F_MSG, false, msg, sizeof(msg), &err) == 1 &&
			    msg[0]) {
				kerr_set(&err, 0, "%s", msg);
				rc = client_fail(CLIENT_EXIT_FAIL, &err);
			} else if (!a.until || clock_wall_ns() + UNTIL_SLACK_NS < a.until) {
				/* Only --until ends a stream well (a daemon of this version says
				 * why it ends one otherwise; an older one did not). */
				kerr_set(&err, 0, "the kettle daemon at %s ended the event stream",
					 cl.root);
				rc = client_fail(CLIENT_EXIT_FAIL, &err);
			}
			break;
		}
		if (f.type == WIRE_T_ERROR) {
			rc = client_frame_error(&f, &err);
			client_fail(rc, &err);
			break;
		}
		if (f.type != WIRE_T_EVENT ||
		    wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0)
			continue;
		if (a.format == EVENTS_JSON)
			printf("%.*s\n", (int)len, (const char *)json);
		else if (a.format == EVENTS_TEMPLATE && fmt.kind == CLIENT_FORMAT_TEMPLATE)
			rc = print_template(&fmt, (const char *)json, len);
		else
			print_text((const char *)json, len);
		if (fflush(stdout) != 0)
			break; /* the reader went away: nothing left to do */
	}
	client_close(&cl);
	client_format_done(&fmt);
	return rc;
}
