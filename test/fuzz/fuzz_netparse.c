/*
 * fuzz_netparse: the text parsers of src/net on any input (test layer): the lease file
 * (from disk), the host's resolv.conf (from disk), -p and --expose values and
 * --bridge-subnet (from users). The first byte picks the parser.
 *
 * Beyond "no crash, no over-read": a lease file that parses formats to text that parses
 * to the same text (a fixed point), a generated resolv.conf has no line a resolver would
 * misread (every line is one of three keywords followed by words), and a parsed port has
 * a container port. Built with replay_main.c it replays test/fuzz/corpus/fuzz_netparse/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/hostfiles.h"
#include "net/ip4.h"
#include "net/lease.h"
#include "net/portspec.h"

#define FUZZ_INPUT_MAX 65536

static void lease_case(const char *s, size_t n)
{
	struct lease_set set, again;
	struct kerr err;
	struct buf a, b;

	if (lease_parse(s, n, &set, &err) < 0)
		return;
	buf_init(&a, LEASE_FILE_MAX);
	buf_init(&b, LEASE_FILE_MAX);
	if (lease_format(&set, &a, &err) < 0)
		__builtin_trap();
	if (lease_parse((const char *)a.data, a.len, &again, &err) < 0)
		__builtin_trap();
	if (lease_format(&again, &b, &err) < 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		__builtin_trap();
	lease_set_done(&set);
	lease_set_done(&again);
	buf_done(&a);
	buf_done(&b);
}

static void resolv_case(const char *s, size_t n)
{
	struct hostfiles_dns none = { 0 };
	struct kerr err;
	struct buf out;

	(void)hostfiles_only_stub(s, n);
	buf_init(&out, 4 * HOSTFILES_RESOLV_MAX);
	if (hostfiles_resolv(s, n, &none, &out, &err) == 0) {
		size_t off = 0;

		while (off < out.len) {
			const char *line = (const char *)out.data + off;
			const char *nl = memchr(line, '\n', out.len - off);

			if (!nl)
				__builtin_trap(); /* every line ends */
			if (strncmp(line, "nameserver ", 11) != 0 &&
			    strncmp(line, "search ", 7) != 0 && strncmp(line, "domain ", 7) != 0 &&
			    strncmp(line, "options ", 8) != 0)
				__builtin_trap();
			for (const char *c = line; c < nl; c++)
				if ((unsigned char)*c < ' ' || *c == 0x7f)
					__builtin_trap();
			off = (size_t)(nl - (const char *)out.data) + 1;
		}
	}
	buf_done(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_port p;
	struct rtnl_net4 net;
	struct kerr err;

	if (size == 0)
		return 0;
	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	char *s = malloc(size);
	if (!s)
		return 0;
	/* The rest after the selector, NUL-terminated where a C string is expected. */
	size_t n = size - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	switch (data[0] % 5) {
	case 0:
		lease_case(s, n);
		break;
	case 1:
		resolv_case(s, n);
		break;
	case 2:
		if (portspec_parse(s, &p, &err) == 0 && p.ctr_port == 0)
			__builtin_trap();
		break;
	case 3:
		if (portspec_parse_expose(s, &p, &err) == 0 && (p.ctr_port == 0 || p.host_port))
			__builtin_trap();
		break;
	default:
		if (ip4_parse_net(s, &net, &err) == 0 && net.prefix > 32)
			__builtin_trap();
		break;
	}
	free(s);
	return 0;
}
