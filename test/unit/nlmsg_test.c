/* nlmsg_test: the netlink codec both ways: building, nesting, overflow, and a reader that
 * refuses every malformed length instead of reading past the end. */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include "harness.h"
#include "net/nlmsg.h"

TEST(build_and_read_back)
{
	uint8_t area[256];
	struct nlmsg_b b;
	struct nlmsg_iter it;
	struct nlmsg_msg m;
	struct nlmsg_attr tb[8], inner[8];
	struct kerr err;
	uint32_t hdr = 0xa5a5a5a5u, v;
	char s[16];

	nlmsg_b_init(&b, area, sizeof(area));
	nlmsg_begin(&b, 42, NLM_F_REQUEST, 7);
	nlmsg_put(&b, &hdr, sizeof(hdr));
	nlmsg_attr_u32(&b, 1, 1234);
	nlmsg_attr_str(&b, 2, "kettle0");
	nlmsg_nest_begin(&b, 3);
	nlmsg_attr_u8(&b, 1, 9);
	nlmsg_nest_end(&b);
	nlmsg_end(&b);
	ASSERT_EQ(nlmsg_b_check(&b, &err), 0);
	ASSERT_EQ(b.len % 4, 0u);

	nlmsg_iter_init(&it, area, b.len);
	ASSERT_EQ(nlmsg_next(&it, &m, &err), 1);
	ASSERT_EQ(m.type, 42);
	ASSERT_EQ(m.seq, 7u);
	ASSERT_EQ(nlmsg_parse_msg(&m, sizeof(hdr), tb, 8, &err), 0);
	ASSERT(nlmsg_get_u32(&tb[1], &v));
	ASSERT_EQ(v, 1234u);
	ASSERT(nlmsg_get_str(&tb[2], s, sizeof(s)));
	ASSERT_STREQ(s, "kettle0");
	ASSERT(!nlmsg_get_str(&tb[2], s, 4)); /* too long for the buffer */
	ASSERT_EQ(nlmsg_parse(tb[3].data, tb[3].len, inner, 8, &err), 0);
	uint8_t u8;
	ASSERT(nlmsg_get_u8(&inner[1], &u8));
	ASSERT_EQ(u8, 9);
	ASSERT(!nlmsg_has(&tb[4]));
	ASSERT_EQ(nlmsg_next(&it, &m, &err), 0);
}

TEST(overflow_and_unbalanced)
{
	uint8_t area[24];
	struct nlmsg_b b;
	struct kerr err;

	nlmsg_b_init(&b, area, sizeof(area));
	nlmsg_begin(&b, 1, 0, 1);
	nlmsg_attr_str(&b, 1, "far too long for twenty-four bytes");
	nlmsg_end(&b);
	ASSERT_EQ(nlmsg_b_check(&b, &err), -1);
	ASSERT_EQ(err.code, ENOBUFS);

	uint8_t big[128];
	nlmsg_b_init(&b, big, sizeof(big));
	nlmsg_begin(&b, 1, 0, 1);
	nlmsg_nest_begin(&b, 1);
	nlmsg_end(&b); /* a nest still open */
	ASSERT_EQ(nlmsg_b_check(&b, &err), -1);
	nlmsg_b_init(&b, big, sizeof(big));
	nlmsg_begin(&b, 1, 0, 1);
	ASSERT_EQ(nlmsg_b_check(&b, &err), -1);
	ASSERT_CONTAINS(err.msg, "unfinished");
}

TEST(reader_refuses_bad_lengths)
{
	struct nlmsghdr h = { .nlmsg_len = 100, .nlmsg_type = NLMSG_DONE };
	struct nlmsg_iter it;
	struct nlmsg_msg m;
	struct kerr err;
	uint8_t buf[64] = { 0 };

	memcpy(buf, &h, sizeof(h));
	nlmsg_iter_init(&it, buf, sizeof(buf));
	ASSERT_EQ(nlmsg_next(&it, &m, &err), -1); /* longer than the datagram */
	h.nlmsg_len = 4;
	memcpy(buf, &h, sizeof(h));
	nlmsg_iter_init(&it, buf, sizeof(buf));
	ASSERT_EQ(nlmsg_next(&it, &m, &err), -1); /* shorter than its header */
	nlmsg_iter_init(&it, buf, 7);
	ASSERT_EQ(nlmsg_next(&it, &m, &err), -1); /* stray bytes */

	/* An attribute claiming more than is there. */
	struct nlattr a = { .nla_len = 40, .nla_type = 1 };
	struct nlmsg_attr tb[4];
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(nlmsg_parse(buf, 8, tb, 4, &err), -1);
	a.nla_len = 2; /* shorter than its header */
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(nlmsg_parse(buf, 8, tb, 4, &err), -1);
	/* Types past the table are skipped, not stored. */
	a.nla_len = 8;
	a.nla_type = 9;
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(nlmsg_parse(buf, 8, tb, 4, &err), 0);
}

TEST(error_replies)
{
	uint8_t buf[64] = { 0 };
	struct nlmsghdr h = { .nlmsg_len = sizeof(h) + sizeof(struct nlmsgerr),
			      .nlmsg_type = NLMSG_ERROR };
	struct nlmsgerr e = { .error = -EEXIST, .msg = { .nlmsg_seq = 77 } };
	struct nlmsg_iter it;
	struct nlmsg_msg m;
	struct kerr err;
	uint32_t seq;
	int code;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e, sizeof(e));
	nlmsg_iter_init(&it, buf, h.nlmsg_len);
	ASSERT_EQ(nlmsg_next(&it, &m, &err), 1);
	ASSERT_EQ(nlmsg_error(&m, &code, &seq, &err), 0);
	ASSERT_EQ(code, EEXIST);
	ASSERT_EQ(seq, 77u);
	e.error = 5; /* not an errno */
	memcpy(buf + sizeof(h), &e, sizeof(e));
	ASSERT_EQ(nlmsg_error(&m, &code, &seq, &err), -1);
	m.len = 3;
	ASSERT_EQ(nlmsg_error(&m, &code, &seq, &err), -1);
}

RUN_TESTS(T(build_and_read_back), T(overflow_and_unbalanced), T(reader_refuses_bad_lengths),
	  T(error_replies))
