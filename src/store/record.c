/*
 * record: the container record, what the user asked for (mechanism M3).
 *
 * The struct's lifecycle (init, done), the capability names and their canonical forms, the
 * health-check action names, ps's COMMAND column, and the two helpers the other record
 * files share (record_shown, record_strv_free). Validation is record_validate.c; the JSON
 * form and its version are record_json.c. Invariants: record_done leaves the record in its
 * record_init state and accepts a half-built one; nothing here logs, prints or touches the
 * filesystem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/record.h"
#include "base/str.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* In kernel order (linux/capability.h): CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40. */
const char *const record_all_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
	NULL,
};

/* docker's default set (moby oci/caps/defaults.go), in its order. */
const char *const record_default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

/* Log-safe, length-bounded copy of a user string for a message (ends in "…" when cut). */
const char *record_shown(char out[4 * RECORD_SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s);
	size_t w = str_sanitize(out, 4 * RECORD_SHOWN_MAX + 1, s,
				n > RECORD_SHOWN_MAX ? RECORD_SHOWN_MAX : n);

	if (n > RECORD_SHOWN_MAX)
		memcpy(out + w, ELLIPSIS, sizeof(ELLIPSIS));
	return out;
}

void record_init(struct record *r)
{
	*r = (struct record){ .network = RECORD_NET_NONE, .stop_timeout_ms = -1 };
}

void record_strv_free(struct record_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct record_strv){ 0 };
}

void record_done(struct record *r)
{
	free(r->rootfs);
	free(r->bundle);
	record_strv_free(&r->args);
	record_strv_free(&r->env);
	free(r->workdir);
	for (size_t i = 0; i < r->nmounts; i++) {
		free(r->mounts[i].source);
		free(r->mounts[i].destination);
	}
	free(r->mounts);
	record_strv_free(&r->tmpfs);
	free(r->hostname);
	free(r->netns_path);
	record_dev_done(&r->dev);
	record_net_done(&r->net);
	record_strv_free(&r->cap_add);
	record_strv_free(&r->cap_drop);
	record_strv_free(&r->labels);
	free(r->runtime);
	free(r->health_cmd);
	free(r->seccomp);
	record_image_done(&r->image);
	record_init(r);
}

/* ---- capabilities ---- */

/* The entry of record_all_caps named in (any case, "CAP_" optional), or NULL. */
static const char *find_cap(const char *in)
{
	char name[RECORD_CAP_NAME_MAX + 1] = "CAP_";
	const char *p = in;
	size_t n;

	if (strncasecmp(p, "cap_", 4) == 0)
		p += 4;
	n = strlen(p);
	if (n == 0 || n > RECORD_CAP_NAME_MAX - 4)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		name[4 + i] = c;
	}
	name[4 + n] = '\0';
	for (size_t i = 0; record_all_caps[i]; i++)
		if (strcmp(record_all_caps[i], name) == 0)
			return record_all_caps[i];
	return NULL;
}

int record_canonical_cap(const char *in, char *out, size_t cap, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	const char *canon = strcasecmp(in, "all") == 0 ? "ALL" : find_cap(in);

	if (!canon)
		return kerr_set(err, 0,
				"unknown capability `%s`, expected a Linux capability such as "
				"NET_ADMIN or CAP_NET_ADMIN, or ALL",
				record_shown(q, in));
	if (!str_copy(out, cap, canon))
		return kerr_set(err, 0, "capability `%s` does not fit a buffer of %zu bytes", canon,
				cap);
	return 0;
}

/* ---- health checks ---- */

static const char *const health_actions[] = {
	[RECORD_HEALTH_NONE] = "none",
	[RECORD_HEALTH_KILL] = "kill",
	[RECORD_HEALTH_RESTART] = "restart",
	[RECORD_HEALTH_STOP] = "stop",
};

#define HEALTH_ACTIONS ((int)(sizeof(health_actions) / sizeof(health_actions[0])))
_Static_assert(HEALTH_ACTIONS == RECORD_HEALTH_ACTIONS, "a name for every health action");

const char *record_health_action_name(enum record_health_action a)
{
	if ((int)a < 0 || (int)a >= HEALTH_ACTIONS)
		return "unknown";
	return health_actions[a];
}

int record_health_action_parse(const char *s, enum record_health_action *a, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	for (int i = 0; i < HEALTH_ACTIONS; i++)
		if (strcmp(s, health_actions[i]) == 0) {
			*a = (enum record_health_action)i;
			return 0;
		}
	return kerr_set(err, 0, "unknown action `%s`, expected none, kill, restart or stop",
			record_shown(q, s));
}

/* ---- ps's COMMAND column ---- */

/* Output cursor for record_command_line: writes while it fits, remembers that it cut. */
struct line {
	char *out;  /* borrowed: destination */
	size_t cap; /* bytes of out, NUL included */
	size_t len; /* bytes written */
	bool cut;   /* something did not fit */
};

/* Appends one unit (a character or an escape) whole, or marks the line cut. */
static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->cut || n > l->cap - 1 - l->len) {
		l->cut = true;
		return;
	}
	memcpy(l->out + l->len, s, n);
	l->len += n;
}

static bool needs_quotes(const char *a)
{
	if (!*a)
		return true;
	for (const unsigned char *c = (const unsigned char *)a; *c; c++)
		if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\'' || *c == '\\')
			return true;
	return false;
}

static void line_arg(struct line *l, const char *a)
{
	static const char hex[] = "0123456789abcdef";
	bool q = needs_quotes(a);

	if (q)
		line_put(l, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)a; *c && !l->cut; c++) {
		char esc[4] = { '\\', (char)*c };

		if (*c == '"' || *c == '\\') {
			line_put(l, esc, 2);
		} else if (*c < ' ' || *c == 0x7f) {
			esc[1] = 'x';
			esc[2] = hex[*c >> 4];
			esc[3] = hex[*c & 15];
			line_put(l, esc, 4);
		} else {
			/* A UTF-8 character goes in whole or not at all. */
			size_t n = 1;

			while (*c >= 0x80 && n < 4 && (c[n] & 0xc0) == 0x80)
				n++;
			line_put(l, (const char *)c, n);
			c += n - 1;
		}
	}
	if (q)
		line_put(l, "\"", 1);
}

void record_command_line(const struct record *r, char *out, size_t cap)
{
	const size_t ell = sizeof(ELLIPSIS) - 1;
	struct line l = { .out = out, .cap = cap };

	if (cap == 0)
		return;
	for (size_t i = 0; i < r->args.n && !l.cut; i++) {
		if (i > 0)
			line_put(&l, " ", 1);
		line_arg(&l, r->args.v[i]);
	}
	if (l.cut && cap > ell) {
		/* Make room for "…" and never leave half a UTF-8 character before it. */
		if (l.len > cap - 1 - ell) {
			l.len = cap - 1 - ell;
			while (l.len > 0 && ((unsigned char)out[l.len] & 0xc0) == 0x80)
				l.len--;
		}
		memcpy(out + l.len, ELLIPSIS, ell);
		l.len += ell;
	}
	out[l.len] = '\0';
}

/* ---- --security-opt ---- */

const char *record_seccomp_effective(const struct record *r)
{
	/* A --bundle's own config.json says, kettle does not. */
	if (r->bundle)
		return NULL;
	/* docker: a privileged container runs without a filter, whatever was asked. */
	if (r->privileged)
		return RECORD_SECCOMP_UNCONFINED;
	return r->seccomp ? r->seccomp : RECORD_SECCOMP_BUILTIN;
}

bool record_seccomp_is_path(const struct record *r)
{
	return r->seccomp && strcmp(r->seccomp, RECORD_SECCOMP_BUILTIN) != 0 &&
	       strcmp(r->seccomp, RECORD_SECCOMP_UNCONFINED) != 0;
}
