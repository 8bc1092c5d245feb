/*
 * nl: a netlink socket and its request/reply exchange (mechanism, src/net).
 *
 * The socket is non-blocking; each wait is a poll(2) bounded by what is left of
 * NL_TIMEOUT_MS, so nothing here can hang its caller. A datagram cut short (MSG_TRUNC) is an
 * error, never parsed. Acks are counted per sequence number of the request, so a reply
 * left over from an earlier, timed-out request is never taken for this one's. Never logs.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/fd.h"
#include "net/nl.h"

#define RCVBUF_BYTES (1u << 20) /* a whole dump of a busy host's routes stays queued */

static int setup(struct nl *nl, int fd, int proto, struct kerr *err)
{
	int one = 1, size = RCVBUF_BYTES;

	*nl = (struct nl){ .fd = fd, .proto = proto };
	/* The error reply carries only the header of our request, not all of it (a batch). */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Extended acks would add the kernel's text; not worth the parsing here. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return kerr_set(err, errno, "bind a netlink socket");
	nl->rx = malloc(NL_RX_MAX);
	nl->tx = malloc(NL_TX_MAX);
	if (!nl->rx || !nl->tx)
		return kerr_set(err, ENOMEM, "netlink buffers");
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	nl->seq = (uint32_t)ts.tv_nsec; /* any start; only matching matters */
	return 0;
}

int nl_open(struct nl *nl, int proto, struct kerr *err)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);

	if (fd < 0) {
		*nl = (struct nl){ .fd = -1 };
		return kerr_set(err, errno, "open a netlink socket (protocol %d)", proto);
	}
	if (setup(nl, fd, proto, err) < 0) {
		nl_close(nl);
		return -1;
	}
	return 0;
}

int nl_adopt(struct nl *nl, int fd, int proto, struct kerr *err)
{
	if (fd_set_nonblock(fd, true, err) < 0) {
		fd_close(fd);
		*nl = (struct nl){ .fd = -1 };
		return -1;
	}
	if (setup(nl, fd, proto, err) < 0) {
		nl_close(nl);
		return -1;
	}
	return 0;
}

void nl_close(struct nl *nl)
{
	nl->fd = fd_close(nl->fd);
	free(nl->rx);
	free(nl->tx);
	nl->rx = nl->tx = NULL;
}

uint32_t nl_seq(struct nl *nl)
{
	return ++nl->seq;
}

void nl_builder(struct nl *nl, struct nlmsg_b *b)
{
	nlmsg_b_init(b, nl->tx, NL_TX_MAX);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool in_range(uint32_t seq, uint32_t first, uint32_t last)
{
	return seq - first <= last - first; /* wraps like the counter */
}

int nl_call(struct nl *nl, const struct nlmsg_b *b, uint32_t first, uint32_t last, unsigned acks,
	    bool dump, nl_msg_fn fn, void *data, struct kerr *err)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	int64_t deadline = now_ms() + NL_TIMEOUT_MS;
	unsigned got_acks = 0;
	bool done = !dump, failed = false;

	if (nlmsg_b_check(b, err) < 0)
		return -1;
	ssize_t n = sendto(nl->fd, b->p, b->len, 0, (struct sockaddr *)&to, sizeof(to));
	if (n < 0)
		return kerr_set(err, errno, "send a netlink request");
	if ((size_t)n != b->len)
		return kerr_set(err, EMSGSIZE, "netlink request of %zu bytes sent as %zd", b->len,
				n);
	while (got_acks < acks || !done) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };

		if (left <= 0)
			return kerr_set(err, ETIMEDOUT,
					"the kernel did not answer a netlink request within %d ms",
					NL_TIMEOUT_MS);
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kerr_set(err, errno, "wait for a netlink reply");
		if (r == 0)
			continue;
		ssize_t got = recv(nl->fd, nl->rx, NL_RX_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0)
			return kerr_set(err, errno, "read a netlink reply");
		if ((size_t)got > NL_RX_MAX)
			return kerr_set(err, EMSGSIZE, "netlink reply of %zd bytes exceeds %u", got,
					NL_RX_MAX);
		struct nlmsg_iter it;
		struct nlmsg_msg m;
		int more;
		nlmsg_iter_init(&it, nl->rx, (size_t)got);
		while ((more = nlmsg_next(&it, &m, err)) == 1) {
			if (!in_range(m.seq, first, last))
				continue; /* a straggler of an earlier request */
			if (m.type == NLMSG_DONE) {
				done = true;
			} else if (m.type == NLMSG_ERROR) {
				int code;
				uint32_t seq;

				if (nlmsg_error(&m, &code, &seq, err) < 0)
					return -1;
				if (code == 0) {
					got_acks++;
					continue;
				}
				/* A failed dump ends with this error instead of DONE. */
				if (!failed)
					kerr_set(err, code, "netlink request refused");
				failed = true;
				got_acks++;
				done = true;
			} else if (fn && !failed && fn(&m, data, err) < 0) {
				failed = true;
			}
		}
		if (more < 0)
			return -1;
	}
	return failed ? -1 : 0;
}
