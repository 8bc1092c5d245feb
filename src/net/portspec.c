/*
 * portspec: docker's -p and --expose values as text (mechanism, src/net; pure).
 *
 * The text is split from the right: an optional "/proto", then the last colon separates
 * the container port, the one before it the host port, and what is left is the address.
 * Every part is checked on its own and named in the error. Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "net/ip4.h"
#include "net/portspec.h"

#define SHOWN 64

/* A port number of s[0..n); zero_ok allows an empty part (0: choose one). */
static bool port_num(const char *s, size_t n, bool zero_ok, uint16_t *out)
{
	unsigned v = 0;

	if (n == 0) {
		*out = 0;
		return zero_ok;
	}
	if (n > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int bad(const char *what, const char *s, const char *why, struct kerr *err)
{
	char q[4 * SHOWN + 4];

	str_sanitize(q, sizeof(q), s, strnlen(s, SHOWN));
	return kerr_set(err, EINVAL, "%s `%s`: %s", what, q, why);
}

/* Splits off "/proto"; *n is the length before it. */
static int proto_of(const char *s, size_t *n, enum record_proto *proto, const char *what,
		    struct kerr *err)
{
	const char *slash = strchr(s, '/');

	*proto = RECORD_PROTO_TCP;
	*n = strlen(s);
	if (!slash)
		return 0;
	if (!record_proto_parse(slash + 1, strlen(slash + 1), proto))
		return bad(what, s, "the protocol is not tcp or udp", err);
	*n = (size_t)(slash - s);
	return 0;
}

int portspec_parse(const char *s, struct record_port *p, struct kerr *err)
{
	size_t n;
	const char *last, *prev = NULL;

	*p = (struct record_port){ 0 };
	if (proto_of(s, &n, &p->proto, "-p", err) < 0)
		return -1;
	if (memchr(s, '-', n))
		return bad("-p", s, "port ranges are not supported, publish each port", err);
	last = memrchr(s, ':', n);
	if (!last) {
		if (!port_num(s, n, false, &p->ctr_port))
			return bad("-p", s, "expected [IP:]HOST:CONTAINER[/tcp|/udp] or CONTAINER",
				   err);
		return 0;
	}
	if (!port_num(last + 1, n - (size_t)(last + 1 - s), false, &p->ctr_port))
		return bad("-p", s, "the container port is not a number in 1..65535", err);
	if (last > s)
		prev = memrchr(s, ':', (size_t)(last - s));
	const char *hp = prev ? prev + 1 : s;
	if (!port_num(hp, (size_t)(last - hp), prev != NULL, &p->host_port))
		return bad("-p", s, "the host port is not a number in 1..65535", err);
	if (prev) {
		uint32_t ip;
		size_t iplen = (size_t)(prev - s);

		if (iplen >= sizeof(p->host_ip) || !ip4_parse_n(s, iplen, &ip))
			return bad("-p", s, "the host address is not an IPv4 address", err);
		memcpy(p->host_ip, s, iplen);
		p->host_ip[iplen] = '\0';
		/* 0.0.0.0 is every address, as it is for docker. */
		if (ip == 0)
			p->host_ip[0] = '\0';
	}
	return 0;
}

int portspec_parse_expose(const char *s, struct record_port *p, struct kerr *err)
{
	size_t n;

	*p = (struct record_port){ 0 };
	if (proto_of(s, &n, &p->proto, "--expose", err) < 0)
		return -1;
	if (!port_num(s, n, false, &p->ctr_port))
		return bad("--expose", s, "expected PORT[/tcp|/udp]", err);
	return 0;
}

void portspec_format(const struct record_port *p, char out[PORTSPEC_TEXT_MAX])
{
	snprintf(out, PORTSPEC_TEXT_MAX, "%u/%s -> %s:%u", p->ctr_port, record_proto_name(p->proto),
		 p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port);
}
