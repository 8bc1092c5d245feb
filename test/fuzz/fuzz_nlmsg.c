/*
 * fuzz_nlmsg: the netlink reply reader on any datagram (test layer).
 *
 * Replies come from the kernel, but a reader that trusts a length is one bug away from
 * reading past its buffer; so every message is walked as nl.c and rtnl.c walk replies:
 * the header, an error reply, the attributes after every family header size kettle uses,
 * and each attribute again as a nested list. No crash, no over-read, and whatever is
 * returned lies inside the input. Built with replay_main.c it replays
 * test/fuzz/corpus/fuzz_nlmsg/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/nlmsg.h"

#define FUZZ_INPUT_MAX 65536
#define TB_MAX	       64

static const uint8_t *lo, *hi; /* the input's bounds */

static void inside(const struct nlmsg_attr *a)
{
	if (a->data && (a->data < lo || a->data + a->len > hi))
		__builtin_trap();
}

static void walk(const void *p, size_t len, int depth)
{
	struct nlmsg_attr tb[TB_MAX];
	struct kerr err;
	char s[32];
	uint32_t u;
	uint8_t b;

	if (nlmsg_parse(p, len, tb, TB_MAX, &err) < 0)
		return;
	for (int i = 0; i < TB_MAX; i++) {
		inside(&tb[i]);
		(void)nlmsg_get_str(&tb[i], s, sizeof(s));
		(void)nlmsg_get_u32(&tb[i], &u);
		(void)nlmsg_get_u8(&tb[i], &b);
		if (depth < 3 && nlmsg_has(&tb[i]))
			walk(tb[i].data, tb[i].len, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Family headers: none, nfgenmsg/rtgenmsg, ifaddrmsg, rtmsg/ifinfomsg. */
	static const size_t hdrs[] = { 0, 4, 8, 12, 16 };
	struct nlmsg_iter it;
	struct nlmsg_msg m;
	struct kerr err;
	int more;

	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	lo = copy;
	hi = copy + size;
	nlmsg_iter_init(&it, copy, size);
	while ((more = nlmsg_next(&it, &m, &err)) == 1) {
		int code;
		uint32_t seq;
		struct nlmsg_attr tb[TB_MAX];

		if (m.payload < lo || m.payload + m.len > hi)
			__builtin_trap();
		if (nlmsg_error(&m, &code, &seq, &err) == 0 && (code < 0 || code > 4095))
			__builtin_trap();
		for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++)
			if (nlmsg_parse_msg(&m, hdrs[h], tb, TB_MAX, &err) == 0)
				for (int i = 0; i < TB_MAX; i++) {
					inside(&tb[i]);
					if (nlmsg_has(&tb[i]))
						walk(tb[i].data, tb[i].len, 1);
				}
	}
	if (more < 0 && strnlen(err.msg, KERR_MSG_MAX) >= KERR_MSG_MAX)
		__builtin_trap();
	free(copy);
	return 0;
}
