/*
 * nlmsg: netlink messages as bytes, both ways (mechanism, src/net; pure).
 *
 * Builder: every append checks the room first and only sets `overflow` when it lacks, so a
 * message is either whole or reported unusable by nlmsg_b_check. Reader: a header's
 * nlmsg_len and an attribute's nla_len are checked against what remains (and against their
 * own minimum) before anything is read through them; alignment padding past the end of the
 * datagram is tolerated as the kernel does. No I/O, no allocation, never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include "net/nlmsg.h"

#define ALIGN4(n) (((n) + 3u) & ~(size_t)3u)

void nlmsg_b_init(struct nlmsg_b *b, void *p, size_t cap)
{
	*b = (struct nlmsg_b){ .p = p, .cap = cap };
}

/* Room for n more bytes (padded) or the overflow flag; zeroes the padded area. */
static uint8_t *grab(struct nlmsg_b *b, size_t n)
{
	size_t padded = ALIGN4(n);

	if (b->overflow || padded < n || b->cap - b->len < padded) {
		b->overflow = true;
		return NULL;
	}
	uint8_t *at = b->p + b->len;
	memset(at, 0, padded);
	b->len += padded;
	return at;
}

void nlmsg_begin(struct nlmsg_b *b, uint16_t type, uint16_t flags, uint32_t seq)
{
	if (b->open)
		b->overflow = true; /* a caller bug; reported by nlmsg_b_check */
	size_t at = b->len;
	struct nlmsghdr *h = (struct nlmsghdr *)grab(b, sizeof(*h));

	if (!h)
		return;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	b->msg = at;
	b->open = true;
	b->depth = 0;
}

void nlmsg_put(struct nlmsg_b *b, const void *hdr, size_t n)
{
	uint8_t *at = grab(b, n);

	if (at)
		memcpy(at, hdr, n);
}

void nlmsg_attr(struct nlmsg_b *b, uint16_t type, const void *data, size_t n)
{
	if (n > UINT16_MAX - NLA_HDRLEN) {
		b->overflow = true;
		return;
	}
	uint8_t *at = grab(b, NLA_HDRLEN + n);
	if (!at)
		return;
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };
	memcpy(at, &a, sizeof(a));
	if (n)
		memcpy(at + NLA_HDRLEN, data, n);
}

void nlmsg_attr_u8(struct nlmsg_b *b, uint16_t type, uint8_t v)
{
	nlmsg_attr(b, type, &v, sizeof(v));
}

void nlmsg_attr_u16(struct nlmsg_b *b, uint16_t type, uint16_t v)
{
	nlmsg_attr(b, type, &v, sizeof(v));
}

void nlmsg_attr_u32(struct nlmsg_b *b, uint16_t type, uint32_t v)
{
	nlmsg_attr(b, type, &v, sizeof(v));
}

void nlmsg_attr_be32(struct nlmsg_b *b, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	nlmsg_attr(b, type, &be, sizeof(be));
}

void nlmsg_attr_be64(struct nlmsg_b *b, uint16_t type, uint64_t v)
{
	uint32_t be[2] = { htonl((uint32_t)(v >> 32)), htonl((uint32_t)v) };

	nlmsg_attr(b, type, be, sizeof(be));
}

void nlmsg_attr_str(struct nlmsg_b *b, uint16_t type, const char *s)
{
	nlmsg_attr(b, type, s, strlen(s) + 1);
}

void nlmsg_nest_begin(struct nlmsg_b *b, uint16_t type)
{
	if (b->depth >= NLMSG_NEST_MAX) {
		b->overflow = true;
		return;
	}
	size_t at = b->len;
	nlmsg_attr(b, type | NLA_F_NESTED, NULL, 0);
	if (!b->overflow)
		b->nest[b->depth++] = at;
}

void nlmsg_nest_end(struct nlmsg_b *b)
{
	if (b->overflow)
		return;
	if (b->depth == 0) {
		b->overflow = true;
		return;
	}
	size_t at = b->nest[--b->depth];
	size_t n = b->len - at;
	if (n > UINT16_MAX) {
		b->overflow = true;
		return;
	}
	uint16_t len16 = (uint16_t)n;
	memcpy(b->p + at + offsetof(struct nlattr, nla_len), &len16, sizeof(len16));
}

void nlmsg_end(struct nlmsg_b *b)
{
	if (b->overflow)
		return;
	if (!b->open || b->depth != 0) {
		b->overflow = true;
		return;
	}
	uint32_t n = (uint32_t)(b->len - b->msg);
	memcpy(b->p + b->msg + offsetof(struct nlmsghdr, nlmsg_len), &n, sizeof(n));
	b->open = false;
}

int nlmsg_b_check(const struct nlmsg_b *b, struct kerr *err)
{
	if (b->overflow)
		return kerr_set(err, ENOBUFS,
				"netlink request does not fit its %zu-byte buffer, or is malformed",
				b->cap);
	if (b->open)
		return kerr_set(err, EINVAL, "netlink request has an unfinished message");
	return 0;
}

/* ---- reading ---- */

void nlmsg_iter_init(struct nlmsg_iter *it, const void *p, size_t len)
{
	*it = (struct nlmsg_iter){ .p = p, .len = len };
}

int nlmsg_next(struct nlmsg_iter *it, struct nlmsg_msg *m, struct kerr *err)
{
	struct nlmsghdr h;
	size_t left = it->len - it->off;

	if (left == 0)
		return 0;
	if (left < sizeof(h))
		return kerr_set(err, EPROTO,
				"netlink reply: %zu stray bytes after the last message", left);
	memcpy(&h, it->p + it->off, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > left)
		return kerr_set(err, EPROTO, "netlink reply: message length %u is outside %zu..%zu",
				h.nlmsg_len, sizeof(h), left);
	*m = (struct nlmsg_msg){
		.type = h.nlmsg_type,
		.flags = h.nlmsg_flags,
		.seq = h.nlmsg_seq,
		.pid = h.nlmsg_pid,
		.payload = it->p + it->off + sizeof(h),
		.len = h.nlmsg_len - sizeof(h),
	};
	/* The last message's padding may be missing from the datagram. */
	size_t step = ALIGN4((size_t)h.nlmsg_len);
	it->off += step < left ? step : left;
	return 1;
}

int nlmsg_error(const struct nlmsg_msg *m, int *code, uint32_t *seq, struct kerr *err)
{
	struct nlmsgerr e;

	/* The kernel may cut the echoed request to its header (NETLINK_CAP_ACK), never less. */
	if (m->type != NLMSG_ERROR || m->len < sizeof(e.error) + sizeof(struct nlmsghdr))
		return kerr_set(err, EPROTO,
				"netlink reply: error message of %zu bytes, expected %zu", m->len,
				sizeof(e.error) + sizeof(struct nlmsghdr));
	memcpy(&e, m->payload, sizeof(e.error) + sizeof(struct nlmsghdr));
	if (e.error > 0 || e.error < -4095)
		return kerr_set(err, EPROTO, "netlink reply: error code %d is not an errno",
				e.error);
	*code = -e.error;
	*seq = e.msg.nlmsg_seq;
	return 0;
}

int nlmsg_parse(const void *p, size_t len, struct nlmsg_attr *tb, size_t max, struct kerr *err)
{
	const uint8_t *b = p;
	size_t off = 0;

	for (size_t i = 0; i < max; i++)
		tb[i] = (struct nlmsg_attr){ 0 };
	while (len - off >= NLA_HDRLEN) {
		struct nlattr a;

		memcpy(&a, b + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off)
			return kerr_set(err, EPROTO,
					"netlink reply: attribute length %u is outside %d..%zu",
					a.nla_len, NLA_HDRLEN, len - off);
		uint16_t type = a.nla_type & NLA_TYPE_MASK;
		if (type > 0 && type < max)
			tb[type] = (struct nlmsg_attr){
				.type = type,
				.data = b + off + NLA_HDRLEN,
				.len = a.nla_len - NLA_HDRLEN,
			};
		size_t step = ALIGN4((size_t)a.nla_len);
		off += step < len - off ? step : len - off;
	}
	/* Fewer than a header's bytes left: only padding may remain. */
	return 0;
}

int nlmsg_parse_msg(const struct nlmsg_msg *m, size_t hdr, struct nlmsg_attr *tb, size_t max,
		    struct kerr *err)
{
	size_t skip = ALIGN4(hdr);

	if (m->len < hdr)
		return kerr_set(err, EPROTO, "netlink reply: message of %zu bytes, expected %zu",
				m->len, hdr);
	if (skip > m->len)
		skip = m->len;
	return nlmsg_parse(m->payload + skip, m->len - skip, tb, max, err);
}

bool nlmsg_has(const struct nlmsg_attr *a)
{
	return a->data != NULL;
}

bool nlmsg_get_u8(const struct nlmsg_attr *a, uint8_t *v)
{
	if (!a->data || a->len < 1)
		return false;
	*v = a->data[0];
	return true;
}

bool nlmsg_get_u32(const struct nlmsg_attr *a, uint32_t *v)
{
	if (!a->data || a->len < sizeof(*v))
		return false;
	memcpy(v, a->data, sizeof(*v));
	return true;
}

bool nlmsg_get_str(const struct nlmsg_attr *a, char *out, size_t cap)
{
	if (!a->data || cap == 0)
		return false;
	size_t n = strnlen((const char *)a->data, a->len);
	if (n == a->len || n >= cap)
		return false; /* no NUL inside, or too long */
	memcpy(out, a->data, n + 1);
	return true;
}
