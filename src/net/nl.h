/*
 * nl: a netlink socket and its request/reply exchange (mechanism, src/net).
 *
 * One socket per protocol (NETLINK_ROUTE, NETLINK_NETFILTER) and network namespace, opened
 * CLOEXEC and non-blocking. nl_call sends the messages a builder made and reads replies
 * until every message that asked for an ack (NLM_F_ACK) got one and a dump reached
 * NLMSG_DONE, or NL_TIMEOUT_MS passed: the kernel answers at once, so the bound only turns
 * a wedged kernel path into an error instead of a hung daemon. Replies to other sequence
 * numbers are skipped. The first error reply becomes the kerr (its errno kept). Never logs.
 */
#ifndef KETTLE_NL_H
#define KETTLE_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "net/nlmsg.h"

#define NL_TIMEOUT_MS 2000	   /* one exchange with the kernel, at most */
#define NL_RX_MAX     (64u * 1024) /* one datagram read (dumps come in pieces of a page) */
#define NL_TX_MAX     (64u * 1024) /* one request built (a whole nf_tables batch) */

struct nl {
	int fd;	      /* owned; -1 when closed */
	int proto;    /* NETLINK_ROUTE or NETLINK_NETFILTER */
	uint32_t seq; /* last sequence number handed out */
	uint8_t *rx;  /* owned; NL_RX_MAX bytes */
	uint8_t *tx;  /* owned; NL_TX_MAX bytes, the builder's area */
};

/* Called for each reply message of a dump or a GET (not for acks or DONE). */
typedef int (*nl_msg_fn)(const struct nlmsg_msg *m, void *data, struct kerr *err);

/* Opens a socket of proto in our own network namespace. */
int nl_open(struct nl *nl, int proto, struct kerr *err);
/* Takes fd, a netlink socket of proto made elsewhere (another namespace: netns.c). */
int nl_adopt(struct nl *nl, int fd, int proto, struct kerr *err);
void nl_close(struct nl *nl);
/* A fresh sequence number. */
uint32_t nl_seq(struct nl *nl);
/* A builder over nl's tx area. */
void nl_builder(struct nl *nl, struct nlmsg_b *b);
/*
 * Sends b's messages, then waits for an ack of every sequence number in first..last that
 * asked for one (acks = how many did), and for NLMSG_DONE when dump. fn (may be NULL) sees
 * every other reply with a sequence number in that range.
 */
int nl_call(struct nl *nl, const struct nlmsg_b *b, uint32_t first, uint32_t last, unsigned acks,
	    bool dump, nl_msg_fn fn, void *data, struct kerr *err);

#endif
