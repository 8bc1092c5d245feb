/*
 * nlmsg: netlink messages as bytes, both ways (mechanism, src/net; pure: no I/O).
 *
 * The builder writes one or more messages (header, family header, attributes, nested
 * attributes) into a caller's fixed area; running out of room sets a flag that
 * nlmsg_b_check reports, so call sites stay linear. The reader walks a datagram the kernel
 * sent: every length is checked against what is left before it is used, and a malformed
 * message or attribute is an error, never a read past the end (fuzzed: fuzz_nlmsg).
 * Attribute layout and alignment: netlink(7), rtnetlink(7), linux/netlink.h. Never logs.
 */
#ifndef KETTLE_NLMSG_H
#define KETTLE_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define NLMSG_NEST_MAX 8 /* nesting depth of attributes the builder keeps open */

struct nlmsg_b {
	uint8_t *p;		     /* borrowed; the output area */
	size_t cap;		     /* bytes at p */
	size_t len;		     /* bytes written, always 4-aligned between calls */
	size_t msg;		     /* offset of the open message's header */
	bool open;		     /* a message is open (nlmsg_begin without nlmsg_end) */
	size_t nest[NLMSG_NEST_MAX]; /* offsets of the open nested attributes */
	int depth;		     /* entries of nest in use */
	bool overflow;		     /* something did not fit: the output is unusable */
};

void nlmsg_b_init(struct nlmsg_b *b, void *p, size_t cap);
/* Opens a message: struct nlmsghdr with type, flags and seq (pid 0: the kernel's). */
void nlmsg_begin(struct nlmsg_b *b, uint16_t type, uint16_t flags, uint32_t seq);
/* Appends the family header (ifinfomsg, nfgenmsg, …), padded to 4 bytes. */
void nlmsg_put(struct nlmsg_b *b, const void *hdr, size_t n);
void nlmsg_attr(struct nlmsg_b *b, uint16_t type, const void *data, size_t n);
void nlmsg_attr_u8(struct nlmsg_b *b, uint16_t type, uint8_t v);
void nlmsg_attr_u16(struct nlmsg_b *b, uint16_t type, uint16_t v);
void nlmsg_attr_u32(struct nlmsg_b *b, uint16_t type, uint32_t v);
/* v in network byte order (nf_tables' numbers). */
void nlmsg_attr_be32(struct nlmsg_b *b, uint16_t type, uint32_t v);
void nlmsg_attr_be64(struct nlmsg_b *b, uint16_t type, uint64_t v);
/* s with its NUL. */
void nlmsg_attr_str(struct nlmsg_b *b, uint16_t type, const char *s);
/* Opens a nested attribute (NLA_F_NESTED set); closed by nlmsg_nest_end. */
void nlmsg_nest_begin(struct nlmsg_b *b, uint16_t type);
void nlmsg_nest_end(struct nlmsg_b *b);
/* Closes the message: its length is written into its header. */
void nlmsg_end(struct nlmsg_b *b);
/* 0 when every message is complete and fitted; else the error names the problem. */
int nlmsg_b_check(const struct nlmsg_b *b, struct kerr *err);

/* One message of a datagram. */
struct nlmsg_msg {
	uint16_t type;		/* nlmsg_type */
	uint16_t flags;		/* nlmsg_flags */
	uint32_t seq;		/* nlmsg_seq */
	uint32_t pid;		/* nlmsg_pid */
	const uint8_t *payload; /* borrowed; after the header */
	size_t len;		/* bytes of payload */
};

struct nlmsg_iter {
	const uint8_t *p; /* borrowed; the datagram */
	size_t len;	  /* its bytes */
	size_t off;	  /* next message's offset */
};

void nlmsg_iter_init(struct nlmsg_iter *it, const void *p, size_t len);
/* 1 with the next message, 0 at the end, -1 when the rest is malformed. */
int nlmsg_next(struct nlmsg_iter *it, struct nlmsg_msg *m, struct kerr *err);
/* NLMSG_ERROR: *code is 0 for an ack, else the positive errno; *seq the request's. */
int nlmsg_error(const struct nlmsg_msg *m, int *code, uint32_t *seq, struct kerr *err);

/* One attribute. */
struct nlmsg_attr {
	uint16_t type;	     /* without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
	const uint8_t *data; /* borrowed */
	size_t len;	     /* bytes of data */
};

/* Fills tb[type] (0 < type < max) with the attributes of p[0..len) and clears the others;
 * a later duplicate wins. -1 when an attribute's length is malformed. */
int nlmsg_parse(const void *p, size_t len, struct nlmsg_attr *tb, size_t max, struct kerr *err);
/* The attributes after a family header of hdr bytes in m's payload. */
int nlmsg_parse_msg(const struct nlmsg_msg *m, size_t hdr, struct nlmsg_attr *tb, size_t max,
		    struct kerr *err);
bool nlmsg_has(const struct nlmsg_attr *a);
bool nlmsg_get_u8(const struct nlmsg_attr *a, uint8_t *v);
bool nlmsg_get_u32(const struct nlmsg_attr *a, uint32_t *v);
/* A NUL-terminated string attribute of at most cap-1 bytes into out. */
bool nlmsg_get_str(const struct nlmsg_attr *a, char *out, size_t cap);

#endif
