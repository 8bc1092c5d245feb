/*
 * record_net: a container record's network block: its JSON both ways, its checks, its
 * memory (mechanism M3).
 *
 * Same rules as the rest of the record (record_json.c): strict types, unknown keys refused,
 * every list capped before it is copied, a failed decode leaves nothing half-filled for the
 * caller to trust (record_json_decode frees the record). The checks keep everything that
 * later lands in a generated file (/etc/hosts, resolv.conf) or a firewall rule to a
 * narrow alphabet: no blank, no newline, no NUL can reach those files. Calls only base,
 * json and ids; nothing of record.c, so the record's files form no cycle. Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "store/ids.h"
#include "store/record_net.h"

#define SEARCH_MAX 253 /* a DNS name */
#define OPTION_MAX 255 /* one resolver option */
#define SHOWN	   64  /* bytes of a value quoted in a message */

static void strv_free(struct record_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct record_strv){ 0 };
}

void record_net_done(struct record_net *n)
{
	free(n->container);
	free(n->ports);
	strv_free(&n->expose);
	strv_free(&n->dns);
	strv_free(&n->dns_search);
	strv_free(&n->dns_options);
	strv_free(&n->add_hosts);
	*n = (struct record_net){ 0 };
}

const char *record_proto_name(enum record_proto p)
{
	return p == RECORD_PROTO_UDP ? "udp" : "tcp";
}

bool record_proto_parse(const char *s, size_t n, enum record_proto *p)
{
	if (n == 3 && strncasecmp(s, "tcp", 3) == 0)
		*p = RECORD_PROTO_TCP;
	else if (n == 3 && strncasecmp(s, "udp", 3) == 0)
		*p = RECORD_PROTO_UDP;
	else
		return false;
	return true;
}

/* ---- JSON in ---- */

static int want(const struct json_doc *d, int i, enum json_type t, const char *key,
		struct kerr *err)
{
	if (d->toks[i].type == t)
		return 0;
	return kerr_set(err, 0, "key `%s`: expected %s, found %s", key, json_type_name(t),
			json_type_name(d->toks[i].type));
}

/* A fresh copy of string token i, at most RECORD_STR_MAX bytes. */
static int dup_str(const struct json_doc *d, int i, const char *key, char **out, struct kerr *err)
{
	size_t raw = (size_t)(d->toks[i].end - d->toks[i].start);
	char *s;

	if (want(d, i, JSON_STRING, key, err) < 0)
		return -1;
	if (raw > RECORD_STR_MAX * 6u + 6)
		return kerr_set(err, 0, "key `%s`: string exceeds limit %u", key, RECORD_STR_MAX);
	s = malloc(raw + 1);
	if (!s)
		return kerr_set(err, ENOMEM, "key `%s`", key);
	if (json_get_str(d, i, s, raw + 1, err) < 0) {
		free(s);
		return kerr_wrap(err, "key `%s`", key);
	}
	size_t n = strlen(s);
	if (n > RECORD_STR_MAX) {
		free(s);
		return kerr_set(err, 0, "key `%s`: string of %zu bytes exceeds limit %u", key, n,
				RECORD_STR_MAX);
	}
	*out = s;
	return 0;
}

static int get_strv(const struct json_doc *d, int i, const char *key, struct record_strv *out,
		    struct kerr *err)
{
	char ekey[64];
	int k = i + 1;

	if (want(d, i, JSON_ARRAY, key, err) < 0)
		return -1;
	if (d->toks[i].size > RECORD_LIST_MAX)
		return kerr_set(err, 0, "key `%s`: %d entries exceed limit %d", key,
				d->toks[i].size, RECORD_LIST_MAX);
	strv_free(out);
	out->v = calloc((size_t)d->toks[i].size + 1, sizeof(*out->v));
	if (!out->v)
		return kerr_set(err, ENOMEM, "key `%s`", key);
	for (int e = 0; e < d->toks[i].size; e++) {
		snprintf(ekey, sizeof(ekey), "%s[%d]", key, e);
		if (dup_str(d, k, ekey, &out->v[e], err) < 0)
			return -1;
		out->n++;
		k = json_skip(d, k);
	}
	return 0;
}

static int f_network(const struct json_doc *d, int v, struct record *r, struct kerr *err)
{
	char *s = NULL, q[4 * SHOWN + 4];

	if (dup_str(d, v, "network", &s, err) < 0)
		return -1;
	free(r->netns_path);
	free(r->net.container);
	r->netns_path = r->net.container = NULL;
	if (strcmp(s, "none") == 0) {
		r->network = RECORD_NET_NONE;
	} else if (strcmp(s, "host") == 0) {
		r->network = RECORD_NET_HOST;
	} else if (strcmp(s, "bridge") == 0) {
		r->network = RECORD_NET_BRIDGE;
	} else if (strcmp(s, "default") == 0) {
		r->network = RECORD_NET_DEFAULT;
	} else if (str_has_prefix(s, "ns:")) {
		r->network = RECORD_NET_NS;
		r->netns_path = strdup(s + 3);
	} else if (str_has_prefix(s, "container:")) {
		r->network = RECORD_NET_CONTAINER;
		r->net.container = strdup(s + 10);
	} else {
		str_sanitize(q, sizeof(q), s, strnlen(s, SHOWN));
		free(s);
		return kerr_set(err, 0,
				"key `network`: unknown mode `%s`, expected none, host, bridge, "
				"container:NAME or ns:PATH",
				q);
	}
	bool oom = (r->network == RECORD_NET_NS && !r->netns_path) ||
		   (r->network == RECORD_NET_CONTAINER && !r->net.container);
	free(s);
	return oom ? kerr_set(err, ENOMEM, "key `network`") : 0;
}

static int get_port_num(const struct json_doc *d, int obj, const char *name, int e, bool zero_ok,
			uint16_t *out, struct kerr *err)
{
	char key[64];
	uint64_t n;
	int v = json_obj_get(d, obj, name);

	snprintf(key, sizeof(key), "ports[%d].%s", e, name);
	if (v < 0)
		return kerr_set(err, 0, "key `%s` is missing", key);
	if (want(d, v, JSON_NUMBER, key, err) < 0)
		return -1;
	if (json_get_u64(d, v, &n, err) < 0)
		return kerr_wrap(err, "key `%s`", key);
	if (n > 65535 || (n == 0 && !zero_ok))
		return kerr_set(err, 0, "key `%s`: %llu is out of range, expected %d..65535", key,
				(unsigned long long)n, zero_ok ? 0 : 1);
	*out = (uint16_t)n;
	return 0;
}

static int f_ports(const struct json_doc *d, int i, struct record *r, struct kerr *err)
{
	static const char *const keys[] = { "host_ip", "host_port", "container_port", "proto",
					    NULL };
	char key[64];
	int k = i + 1;

	if (want(d, i, JSON_ARRAY, "ports", err) < 0)
		return -1;
	if (d->toks[i].size > RECORD_PORTS_MAX)
		return kerr_set(err, 0, "key `ports`: %d entries exceed limit %d", d->toks[i].size,
				RECORD_PORTS_MAX);
	free(r->net.ports);
	r->net.nports = 0;
	r->net.ports = calloc((size_t)d->toks[i].size + 1, sizeof(*r->net.ports));
	if (!r->net.ports)
		return kerr_set(err, ENOMEM, "key `ports`");
	for (int e = 0; e < d->toks[i].size; e++) {
		struct record_port *p = &r->net.ports[e];

		snprintf(key, sizeof(key), "ports[%d]", e);
		if (want(d, k, JSON_OBJECT, key, err) < 0)
			return -1;
		/* Unknown members first: a typo must not pass as a default. */
		int m = k + 1;
		for (int j = 0; j < d->toks[k].size; j++) {
			bool known = false;

			for (size_t x = 0; keys[x] && !known; x++)
				known = json_str_eq(d, m, keys[x]);
			if (!known)
				return kerr_set(err, 0, "unknown key in `ports[%d]`", e);
			m = json_skip(d, m + 1);
		}
		int v = json_obj_get(d, k, "host_ip");
		snprintf(key, sizeof(key), "ports[%d].host_ip", e);
		if (v >= 0 && (want(d, v, JSON_STRING, key, err) < 0 ||
			       json_get_str(d, v, p->host_ip, sizeof(p->host_ip), err) < 0))
			return kerr_wrap(err, "key `%s`", key);
		if (get_port_num(d, k, "host_port", e, true, &p->host_port, err) < 0 ||
		    get_port_num(d, k, "container_port", e, false, &p->ctr_port, err) < 0)
			return -1;
		v = json_obj_get(d, k, "proto");
		snprintf(key, sizeof(key), "ports[%d].proto", e);
		if (v >= 0) {
			char proto[8];

			if (want(d, v, JSON_STRING, key, err) < 0 ||
			    json_get_str(d, v, proto, sizeof(proto), err) < 0 ||
			    !record_proto_parse(proto, strlen(proto), &p->proto))
				return kerr_set(err, 0, "key `%s`: expected \"tcp\" or \"udp\"",
						key);
		}
		r->net.nports++;
		k = json_skip(d, k);
	}
	return 0;
}

int record_net_json_member(const struct json_doc *d, int k, int v, struct record *r,
			   struct kerr *err)
{
	struct record_net *n = &r->net;
	int rc;

	if (json_str_eq(d, k, "network"))
		rc = f_network(d, v, r, err);
	else if (json_str_eq(d, k, "ports"))
		rc = f_ports(d, v, r, err);
	else if (json_str_eq(d, k, "publish_all"))
		rc = want(d, v, JSON_BOOL, "publish_all", err) < 0
			     ? -1
			     : json_get_bool(d, v, &n->publish_all, err);
	else if (json_str_eq(d, k, "expose"))
		rc = get_strv(d, v, "expose", &n->expose, err);
	else if (json_str_eq(d, k, "dns"))
		rc = get_strv(d, v, "dns", &n->dns, err);
	else if (json_str_eq(d, k, "dns_search"))
		rc = get_strv(d, v, "dns_search", &n->dns_search, err);
	else if (json_str_eq(d, k, "dns_options"))
		rc = get_strv(d, v, "dns_options", &n->dns_options, err);
	else if (json_str_eq(d, k, "add_hosts"))
		rc = get_strv(d, v, "add_hosts", &n->add_hosts, err);
	else
		return 0;
	return rc < 0 ? -1 : 1;
}

/* ---- JSON out ---- */

int record_net_json_mode(struct json_w *w, const struct record *r, struct kerr *err)
{
	static const char *const names[] = {
		[RECORD_NET_NONE] = "none",
		[RECORD_NET_HOST] = "host",
		[RECORD_NET_BRIDGE] = "bridge",
		[RECORD_NET_DEFAULT] = "default",
	};
	const char *prefix = NULL, *rest = NULL;

	json_w_key(w, "network");
	if (r->network == RECORD_NET_NS) {
		prefix = "ns:";
		rest = r->netns_path ? r->netns_path : "";
	} else if (r->network == RECORD_NET_CONTAINER) {
		prefix = "container:";
		rest = r->net.container ? r->net.container : "";
	} else {
		json_w_str(w, (size_t)r->network < sizeof(names) / sizeof(names[0]) &&
					      names[r->network]
				      ? names[r->network]
				      : "none");
		return 0;
	}
	size_t a = strlen(prefix), b = strlen(rest);
	char *s = malloc(a + b + 1);
	if (!s)
		return kerr_set(err, ENOMEM, "container record: network");
	memcpy(s, prefix, a);
	memcpy(s + a, rest, b + 1);
	json_w_strn(w, s, a + b);
	free(s);
	return 0;
}

static void w_strv(struct json_w *w, const char *key, const struct record_strv *v)
{
	if (v->n == 0)
		return;
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

void record_net_json_block(struct json_w *w, const struct record *r)
{
	const struct record_net *n = &r->net;

	if (n->nports) {
		json_w_key(w, "ports");
		json_w_arr_begin(w);
		for (size_t i = 0; i < n->nports; i++) {
			json_w_obj_begin(w);
			json_w_key(w, "host_ip");
			json_w_str(w, n->ports[i].host_ip);
			json_w_key(w, "host_port");
			json_w_u64(w, n->ports[i].host_port);
			json_w_key(w, "container_port");
			json_w_u64(w, n->ports[i].ctr_port);
			json_w_key(w, "proto");
			json_w_str(w, record_proto_name(n->ports[i].proto));
			json_w_obj_end(w);
		}
		json_w_arr_end(w);
	}
	if (n->publish_all) {
		json_w_key(w, "publish_all");
		json_w_bool(w, true);
	}
	w_strv(w, "expose", &n->expose);
	w_strv(w, "dns", &n->dns);
	w_strv(w, "dns_search", &n->dns_search);
	w_strv(w, "dns_options", &n->dns_options);
	w_strv(w, "add_hosts", &n->add_hosts);
}

/* ---- checks ---- */

static const char *shown(char out[4 * SHOWN + 4], const char *s)
{
	str_sanitize(out, 4 * SHOWN + 4, s, strnlen(s, SHOWN));
	return out;
}

static bool ip_ok(const char *s, bool v6_ok)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || (v6_ok && inet_pton(AF_INET6, s, a) == 1);
}

static bool name_char(char c, bool underscore)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || (underscore && c == '_');
}

static bool dns_name_ok(const char *s, size_t n, bool underscore)
{
	if (n == 0 || n > SEARCH_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], underscore))
			return false;
	return true;
}

static int check_ports(const struct record *r, bool request, struct kerr *err)
{
	const struct record_net *n = &r->net;
	char q[4 * SHOWN + 4];

	if (n->nports > RECORD_PORTS_MAX)
		return kerr_set(err, 0, "%zu published ports exceed limit %d", n->nports,
				RECORD_PORTS_MAX);
	for (size_t i = 0; i < n->nports; i++) {
		const struct record_port *p = &n->ports[i];

		if (p->ctr_port == 0)
			return kerr_set(err, 0,
					"-p: container port 0 is out of range, expected "
					"1..65535");
		if (p->host_port == 0 && !request)
			return kerr_set(err, 0,
					"-p: the host port of container port %u was never "
					"chosen",
					p->ctr_port);
		if (p->proto != RECORD_PROTO_TCP && p->proto != RECORD_PROTO_UDP)
			return kerr_set(err, 0, "-p: protocol %d is unknown, expected tcp or udp",
					(int)p->proto);
		if (p->host_ip[0] && !ip_ok(p->host_ip, false))
			return kerr_set(err, 0, "-p: host address `%s` is not an IPv4 address",
					shown(q, p->host_ip));
		for (size_t j = 0; j < i && p->host_port; j++) {
			const struct record_port *o = &n->ports[j];

			if (o->host_port == p->host_port && o->proto == p->proto &&
			    (!o->host_ip[0] || !p->host_ip[0] ||
			     strcmp(o->host_ip, p->host_ip) == 0))
				return kerr_set(err, 0, "-p: host port %u/%s is published twice",
						p->host_port, record_proto_name(p->proto));
		}
	}
	for (size_t i = 0; i < n->expose.n; i++) {
		const char *e = n->expose.v[i];
		size_t digits = strspn(e, "0123456789");
		enum record_proto pr;
		uint64_t port = 0;
		struct kerr ignored;
		char num[8];

		if (digits == 0 || digits > 5 || !str_copyn(num, sizeof(num), e, digits) ||
		    str_to_u64(num, 65535, &port, &ignored) < 0 || port == 0 ||
		    (e[digits] &&
		     (e[digits] != '/' ||
		      !record_proto_parse(e + digits + 1, strlen(e + digits + 1), &pr))))
			return kerr_set(err, 0, "--expose `%s` is not PORT[/tcp|/udp]",
					shown(q, e));
	}
	return 0;
}

static int check_dns(const struct record_net *n, struct kerr *err)
{
	char q[4 * SHOWN + 4];

	for (size_t i = 0; i < n->dns.n; i++)
		if (!ip_ok(n->dns.v[i], true))
			return kerr_set(err, 0, "--dns `%s` is not an IP address",
					shown(q, n->dns.v[i]));
	for (size_t i = 0; i < n->dns_search.n; i++) {
		const char *s = n->dns_search.v[i];

		if (!dns_name_ok(s, strlen(s), true))
			return kerr_set(err, 0,
					"--dns-search `%s` is not a domain name ([A-Za-z0-9._-], 1 "
					"to %d bytes)",
					shown(q, s), SEARCH_MAX);
	}
	for (size_t i = 0; i < n->dns_options.n; i++) {
		const char *s = n->dns_options.v[i];
		size_t len = strlen(s);
		bool ok = len > 0 && len <= OPTION_MAX;

		for (size_t j = 0; ok && j < len; j++)
			ok = (unsigned char)s[j] > ' ' && (unsigned char)s[j] < 0x7f;
		if (!ok)
			return kerr_set(
				err, 0,
				"--dns-option `%s` is not one option (printable, no blanks, "
				"1 to %d bytes)",
				shown(q, s), OPTION_MAX);
	}
	for (size_t i = 0; i < n->add_hosts.n; i++) {
		const char *s = n->add_hosts.v[i];
		const char *colon = strchr(s, ':');

		if (!colon || !dns_name_ok(s, (size_t)(colon - s), false) ||
		    !ip_ok(colon + 1, true))
			return kerr_set(err, 0, "--add-host `%s` is not NAME:IP", shown(q, s));
	}
	return 0;
}

int record_net_validate(const struct record *r, bool request, struct kerr *err)
{
	const struct record_net *n = &r->net;
	bool bridge = r->network == RECORD_NET_BRIDGE || r->network == RECORD_NET_DEFAULT;
	char q[4 * SHOWN + 4];

	if (r->network == RECORD_NET_DEFAULT && !request)
		return kerr_set(err, 0, "--network default was never resolved to a network");
	if (r->network == RECORD_NET_CONTAINER) {
		const char *c = n->container;
		struct kerr ignored;

		if (!c || !c[0])
			return kerr_set(err, 0,
					"--network container: needs a container, expected "
					"container:NAME");
		if (request ? ids_check_name(c, &ignored) < 0 && !ids_is_id_prefix(c)
			    : !ids_is_id(c))
			return kerr_set(err, 0,
					"--network container:`%s` does not name a container",
					shown(q, c));
	} else if (n->container) {
		return kerr_set(err, 0, "--network has a container but is not container:NAME");
	}
	if ((n->nports || n->publish_all) && !bridge)
		return kerr_set(err, 0,
				"publishing ports (-p, -P) needs --network bridge: there is no "
				"address of the container's own to forward them to otherwise");
	if ((n->dns.n || n->dns_search.n || n->dns_options.n || n->add_hosts.n) && !bridge)
		return kerr_set(err, 0,
				"--dns, --dns-search, --dns-option and --add-host need --network "
				"bridge: kettle writes /etc/resolv.conf and /etc/hosts only there");
	if (n->expose.n > RECORD_LIST_MAX || n->dns.n > RECORD_LIST_MAX ||
	    n->dns_search.n > RECORD_LIST_MAX || n->dns_options.n > RECORD_LIST_MAX ||
	    n->add_hosts.n > RECORD_LIST_MAX)
		return kerr_set(err, 0, "a network list exceeds %d entries", RECORD_LIST_MAX);
	if (check_ports(r, request, err) < 0)
		return -1;
	return check_dns(n, err);
}
