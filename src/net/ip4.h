/*
 * ip4: IPv4 addresses and networks as text, both ways (mechanism, src/net; pure).
 *
 * Strict: four decimal parts 0..255 without leading zeros or signs, a prefix 0..32; no
 * hostnames, no shorthand ("10.1"), nothing after the number. Addresses are in network
 * byte order. Never logs.
 */
#ifndef KETTLE_IP4_H
#define KETTLE_IP4_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kerr.h"
#include "net/rtnl.h"

#define IP4_TEXT_MAX 20 /* "255.255.255.255/255" with its NUL (a prefix byte, any value) */

/* s (exactly n bytes, not NUL-terminated) as an address. */
bool ip4_parse_n(const char *s, size_t n, uint32_t *ip);
bool ip4_parse(const char *s, uint32_t *ip);
/* "a.b.c.d/p"; the address must be the network's (no host bits). */
int ip4_parse_net(const char *s, struct rtnl_net4 *net, struct kerr *err);
/* Writes "a.b.c.d" into out (IP4_TEXT_MAX bytes); returns out. */
const char *ip4_format(uint32_t ip, char out[IP4_TEXT_MAX]);
/* Writes "a.b.c.d/p". */
const char *ip4_format_net(struct rtnl_net4 net, char out[IP4_TEXT_MAX]);
/* 127.0.0.0/8 */
bool ip4_is_loopback(uint32_t ip);

#endif
