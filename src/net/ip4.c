/*
 * ip4: IPv4 addresses and networks as text, both ways (mechanism, src/net; pure).
 *
 * The parser reads digits itself rather than through inet_pton, whose acceptance of
 * leading zeros differs between C libraries (and which some read as octal). Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/ip4.h"

bool ip4_parse_n(const char *s, size_t n, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned x = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			x = x * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || x > 255 || (digits > 1 && s[i - digits] == '0'))
			return false;
		v = v << 8 | x;
	}
	if (i != n)
		return false;
	*ip = htonl(v);
	return true;
}

bool ip4_parse(const char *s, uint32_t *ip)
{
	return ip4_parse_n(s, strlen(s), ip);
}

int ip4_parse_net(const char *s, struct rtnl_net4 *net, struct kerr *err)
{
	const char *slash = strchr(s, '/');
	uint32_t ip;
	unsigned p = 0;
	size_t k;

	if (!slash || !ip4_parse_n(s, (size_t)(slash - s), &ip))
		return kerr_set(err, EINVAL, "`%.40s` is not an IPv4 network, expected A.B.C.D/N",
				s);
	for (k = 1; slash[k] >= '0' && slash[k] <= '9' && k <= 3; k++)
		p = p * 10 + (unsigned)(slash[k] - '0');
	if (k == 1 || slash[k] != '\0' || p > 32 || (k > 2 && slash[1] == '0'))
		return kerr_set(err, EINVAL, "`%.40s` has a bad prefix length, expected 0..32", s);
	if (ntohl(ip) & ~rtnl_mask4((uint8_t)p))
		return kerr_set(err, EINVAL,
				"`%.40s` has host bits set, expected the network's first address",
				s);
	*net = (struct rtnl_net4){ .addr = ip, .prefix = (uint8_t)p };
	return 0;
}

const char *ip4_format(uint32_t ip, char out[IP4_TEXT_MAX])
{
	uint32_t h = ntohl(ip);

	snprintf(out, IP4_TEXT_MAX, "%u.%u.%u.%u", h >> 24, (h >> 16) & 255, (h >> 8) & 255,
		 h & 255);
	return out;
}

const char *ip4_format_net(struct rtnl_net4 net, char out[IP4_TEXT_MAX])
{
	uint32_t h = ntohl(net.addr);

	snprintf(out, IP4_TEXT_MAX, "%u.%u.%u.%u/%u", h >> 24, (h >> 16) & 255, (h >> 8) & 255,
		 h & 255, net.prefix);
	return out;
}

bool ip4_is_loopback(uint32_t ip)
{
	return (ntohl(ip) >> 24) == 127;
}
