/*
 * filter: parse and apply docker's container filters (mechanism, rank 20: uses only base).
 *
 * The rules are docker daemon's (daemon/list.go): unknown keys and bad values are refused
 * before anything is listed; `name` is a regular expression matched anywhere in the name
 * (with or without docker's leading '/'), or equal to it; `id` a prefix; `status`,
 * `health` exact words; `exited` only matches a container that ran and is not running;
 * `label` filters must all hold; `publish`/`expose` take a port or range with an optional
 * protocol and never a host part. Patterns are POSIX extended expressions (musl's regcomp,
 * which does not backtrack, so a hostile pattern cannot blow up the daemon), docker's are
 * Go's RE2: the common syntax (^ $ . * + ? [] () |) means the same. The only file that
 * includes <regex.h>; its error codes become messages here.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "filter/filter.h"

static const char *const key_names[FILTER_NKEYS] = {
	[FILTER_ID] = "id",
	[FILTER_NAME] = "name",
	[FILTER_LABEL] = "label",
	[FILTER_STATUS] = "status",
	[FILTER_EXITED] = "exited",
	[FILTER_HEALTH] = "health",
	[FILTER_ANCESTOR] = "ancestor",
	[FILTER_BEFORE] = "before",
	[FILTER_SINCE] = "since",
	[FILTER_VOLUME] = "volume",
	[FILTER_NETWORK] = "network",
	[FILTER_PUBLISH] = "publish",
	[FILTER_EXPOSE] = "expose",
};

static const char *const states[] = { "created", "restarting", "running", "removing",
				      "paused",	 "exited",     "dead",	  NULL };
static const char *const healths[] = { "starting", "healthy", "unhealthy", "none", NULL };

const char *filter_key_name(enum filter_key key)
{
	return (unsigned)key < FILTER_NKEYS ? key_names[key] : "?";
}

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* "80", "80/tcp", "8000-8010/udp" (docker's nat.ParsePortRange with a protocol). */
static int parse_ports(struct filter_one *f, const char *key, struct kerr *err)
{
	char shown[4 * FILTER_VALUE_MAX + 4];
	char num[FILTER_VALUE_MAX + 1];
	const char *slash = strchr(f->value, '/');
	uint64_t lo, hi;
	struct kerr ignored;

	str_sanitize(shown, sizeof(shown), f->value, strlen(f->value));
	if (strchr(f->value, ':'))
		return kerr_set(err, 0, "filter for `%s` should not contain ':': `%s`", key, shown);
	str_copyn(num, sizeof(num), f->value,
		  slash ? (size_t)(slash - f->value) : strlen(f->value));
	str_copy(f->proto, sizeof(f->proto), "tcp");
	if (slash && (!str_copy(f->proto, sizeof(f->proto), slash + 1) || !f->proto[0]))
		return kerr_set(err, 0, "invalid filter `%s=%s`: bad protocol", key, shown);
	char *dash = strchr(num, '-');
	if (dash)
		*dash = '\0';
	if (str_to_u64(num, 65535, &lo, &ignored) < 0 ||
	    str_to_u64(dash ? dash + 1 : num, 65535, &hi, &ignored) < 0 || lo > hi)
		return kerr_set(err, 0,
				"invalid filter `%s=%s`: expected a port or a range of ports "
				"(1-65535), with an optional /tcp, /udp or /sctp",
				key, shown);
	f->port_lo = (uint16_t)lo;
	f->port_hi = (uint16_t)hi;
	return 0;
}

static int parse_one(struct filter_set *fs, const char *line, size_t len, struct kerr *err)
{
	char shown[4 * FILTER_VALUE_MAX + 40];
	const char *eq = memchr(line, '=', len);
	struct filter_one *f;

	str_sanitize(shown, sizeof(shown), line,
		     len < FILTER_VALUE_MAX + 16 ? len : FILTER_VALUE_MAX + 16);
	if (!eq || eq == line)
		return kerr_set(err, 0, "bad format of filter `%s` (expected name=value)", shown);
	if (fs->n == FILTER_MAX)
		return kerr_set(err, 0, "more than %d filters", FILTER_MAX);
	f = &fs->f[fs->n];
	*f = (struct filter_one){ .key = FILTER_NKEYS };
	for (int k = 0; k < FILTER_NKEYS; k++)
		if (strlen(key_names[k]) == (size_t)(eq - line) &&
		    memcmp(key_names[k], line, (size_t)(eq - line)) == 0)
			f->key = (enum filter_key)k;
	if (f->key == FILTER_NKEYS) {
		char key[4 * 32 + 4];

		str_sanitize(key, sizeof(key), line,
			     (size_t)(eq - line) < 32 ? (size_t)(eq - line) : 32);
		return kerr_set(err, 0,
				"invalid filter `%s`, expected one of ancestor, before, expose, "
				"exited, health, id, label, name, network, publish, since, status, "
				"volume",
				key);
	}
	size_t vlen = len - (size_t)(eq + 1 - line);
	if (vlen > FILTER_VALUE_MAX)
		return kerr_set(err, 0, "filter `%s`: value of %zu bytes exceeds limit %d", shown,
				vlen, FILTER_VALUE_MAX);
	memcpy(f->value, eq + 1, vlen);
	f->value[vlen] = '\0';
	if (memchr(f->value, '\0', vlen))
		return kerr_set(err, 0, "filter `%s`: value holds a NUL byte", shown);
	switch (f->key) {
	case FILTER_STATUS:
		if (!in_list(f->value, states))
			return kerr_set(err, 0,
					"invalid filter `%s`, expected status=created, restarting, "
					"running, removing, paused, exited or dead",
					shown);
		fs->all = true;
		break;
	case FILTER_HEALTH:
		if (!in_list(f->value, healths))
			return kerr_set(err, 0,
					"invalid filter `%s`, expected health=starting, healthy, "
					"unhealthy or none",
					shown);
		break;
	case FILTER_EXITED: {
		int64_t code;
		struct kerr ignored;

		if (str_to_i64(f->value, INT32_MIN, INT32_MAX, &code, &ignored) < 0)
			return kerr_set(err, 0, "invalid filter `%s`, expected an exit code",
					shown);
		f->code = (int)code;
		break;
	}
	case FILTER_PUBLISH:
	case FILTER_EXPOSE:
		if (parse_ports(f, key_names[f->key], err) < 0)
			return -1;
		break;
	case FILTER_NAME: {
		/* Bounded repetition is expanded into copies at compile time ((a{255}){255}
		 * is 65,025 of them), back references make matching backtrack, and stacked
		 * repetition operators (a+++…, which Go's regexp refuses too) take glibc's
		 * regcomp exponential time: each would let one request stall the daemon.
		 * Names never hold '{', '+', '*' or '?' anyway. */
		for (const char *c = f->value; *c; c++) {
			bool stacked = strchr("+*?", c[0]) && c[1] && strchr("+*?", c[1]);

			if (c[0] == '\\' && c[1]) {
				if (c[1] >= '1' && c[1] <= '9')
					stacked = true; /* reported below as a back reference */
				else
					c++; /* an escaped character is literal */
			}
			if (*c == '{' || stacked)
				return kerr_set(
					err, 0,
					"invalid filter `%s`: repetition counts ({n}), stacked "
					"repetition operators (++, *?) and back references "
					"(\\1) are not supported",
					shown);
		}
		regex_t *re = malloc(sizeof(*re));

		/* A pattern that does not compile still matches the name exactly, as docker
		 * skips a bad expression. */
		if (re && regcomp(re, f->value, REG_EXTENDED | REG_NOSUB) == 0)
			f->re = re;
		else
			free(re);
		break;
	}
	case FILTER_LABEL:
	case FILTER_BEFORE:
	case FILTER_SINCE:
	case FILTER_ID:
	case FILTER_ANCESTOR:
	case FILTER_VOLUME:
	case FILTER_NETWORK:
		if (!f->value[0])
			return kerr_set(err, 0, "filter `%s` needs a value", shown);
		break;
	case FILTER_NKEYS:
		break;
	}
	fs->n++;
	return 0;
}

int filter_parse(const char *text, struct filter_set *fs, struct kerr *err)
{
	*fs = (struct filter_set){ 0 };
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 0 && parse_one(fs, p, len, err) < 0) {
			filter_set_done(fs);
			return -1;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

void filter_set_done(struct filter_set *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->f[i].re) {
			regfree(fs->f[i].re);
			free(fs->f[i].re);
			fs->f[i].re = NULL;
		}
	}
	*fs = (struct filter_set){ 0 };
}

const char *filter_value(const struct filter_set *fs, enum filter_key key)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].key == key)
			return fs->f[i].value;
	return NULL;
}

/* ---- matching ---- */

static bool name_matches(const struct filter_one *f, const char *name)
{
	char slashed[FILTER_VALUE_MAX + 260];

	if (strcmp(f->value, name) == 0 || (f->value[0] == '/' && strcmp(f->value + 1, name) == 0))
		return true;
	if (!f->re)
		return false;
	snprintf(slashed, sizeof(slashed), "/%s", name);
	return regexec(f->re, name, 0, NULL, 0) == 0 || regexec(f->re, slashed, 0, NULL, 0) == 0;
}

static bool label_matches(const char *want, const struct filter_ctr *c)
{
	const char *eq = strchr(want, '=');
	size_t klen = eq ? (size_t)(eq - want) : strlen(want);

	/* The last label of a key wins, as the record's list becomes a map. */
	for (size_t i = c->nlabels; i-- > 0;) {
		const char *l = c->labels[i];
		const char *leq = strchr(l, '=');
		size_t lk = leq ? (size_t)(leq - l) : strlen(l);

		if (lk != klen || memcmp(l, want, klen) != 0)
			continue;
		return !eq || strcmp(eq + 1, leq ? leq + 1 : "") == 0;
	}
	return false;
}

static bool port_matches(const struct filter_one *f, const struct filter_port *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].port >= f->port_lo && p[i].port <= f->port_hi &&
		    strcmp(p[i].proto, f->proto) == 0)
			return true;
	return false;
}

/* (created, id) ordering, the order LIST sorts by. */
static int order(int64_t a_ns, const char *a_id, int64_t b_ns, const char *b_id)
{
	if (a_ns != b_ns)
		return a_ns < b_ns ? -1 : 1;
	return strcmp(a_id, b_id);
}

static bool one_matches(const struct filter_set *fs, const struct filter_one *f,
			const struct filter_ctr *c)
{
	switch (f->key) {
	case FILTER_ID:
		return str_has_prefix(c->id, f->value);
	case FILTER_NAME:
		return name_matches(f, c->name);
	case FILTER_LABEL:
		return label_matches(f->value, c);
	case FILTER_STATUS:
		return strcmp(f->value, c->state) == 0;
	case FILTER_EXITED:
		return !c->running && c->started && c->exit_code == f->code;
	case FILTER_HEALTH:
		return strcmp(f->value, c->health) == 0;
	case FILTER_ANCESTOR:
		return c->image && strcmp(f->value, c->image) == 0;
	case FILTER_BEFORE:
		return order(c->created_ns, c->id, fs->before_ns, fs->before_id) < 0;
	case FILTER_SINCE:
		return order(c->created_ns, c->id, fs->since_ns, fs->since_id) > 0;
	case FILTER_VOLUME:
		for (size_t i = 0; i < c->nmounts; i++)
			if (strcmp(c->mount_src[i], f->value) == 0 ||
			    strcmp(c->mount_dst[i], f->value) == 0)
				return true;
		return false;
	case FILTER_NETWORK:
		for (size_t i = 0; i < c->nnetworks; i++)
			if (strcmp(c->networks[i], f->value) == 0)
				return true;
		return false;
	case FILTER_PUBLISH:
		return port_matches(f, c->published, c->npublished);
	case FILTER_EXPOSE:
		return port_matches(f, c->exposed, c->nexposed);
	case FILTER_NKEYS:
		break;
	}
	return false;
}

bool filter_match(const struct filter_set *fs, const struct filter_ctr *c)
{
	for (int k = 0; k < FILTER_NKEYS; k++) {
		bool seen = false, any = false, every = true;

		for (size_t i = 0; i < fs->n; i++) {
			if (fs->f[i].key != (enum filter_key)k)
				continue;
			bool m = one_matches(fs, &fs->f[i], c);

			seen = true;
			any |= m;
			every &= m;
		}
		if (seen && !(k == FILTER_LABEL ? every : any))
			return false;
	}
	return true;
}
