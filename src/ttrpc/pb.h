/*
 * pb: kettle's own protobuf codec (mechanism, pure): varints, length-delimited fields,
 * nested messages, google.protobuf.Any, Timestamp and Empty, as the proto3 wire format
 * defines them (protobuf.dev/programming-guides/encoding).
 *
 * The decoder is a zero-copy cursor over one message: each field comes out with its
 * number, wire type and value (a varint, a fixed 32/64-bit word, or a slice of the input),
 * and the caller's schema decides what it means; unknown fields are the caller's to skip.
 * Malformed input (a truncated varint or slice, a varint longer than 10 bytes, field number
 * 0, a group or reserved wire type) fails with a kerr naming the byte offset. The encoder
 * appends to a capped buf with sticky errors (like json_w), writes canonical minimal
 * varints, and sizes nested messages after the fact. No I/O, never logs.
 */
#ifndef KETTLE_PB_H
#define KETTLE_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"

#define PB_DEPTH_MAX   16		/* nested messages open at once in the encoder */
#define PB_FIELD_MAX   536870911u	/* largest field number (2^29 - 1) */
#define PB_VARINT_MAX  10		/* bytes of the longest varint (a 64-bit value) */
#define PB_GO_ZERO_SEC (-62135596800LL) /* Go's zero time.Time as Timestamp seconds */

enum pb_wire {
	PB_VARINT = 0, /* int32, int64, uint32, uint64, bool, enum */
	PB_I64 = 1,    /* fixed64, sfixed64, double: 8 bytes little-endian */
	PB_LEN = 2,    /* string, bytes, embedded message, packed repeated */
	PB_I32 = 5,    /* fixed32, sfixed32, float: 4 bytes little-endian */
};

/* A slice of an input buffer: not NUL-terminated, borrowed. */
struct pb_bytes {
	const uint8_t *p; /* borrowed; NULL when n is 0 */
	size_t n;	  /* bytes */
};

struct pb_dec {
	const uint8_t *p; /* borrowed: the message */
	size_t len;	  /* bytes of the message */
	size_t off;	  /* next field starts here */
};

struct pb_field {
	uint32_t num;	   /* field number, 1..PB_FIELD_MAX */
	enum pb_wire wire; /* its wire type */
	uint64_t v;	   /* PB_VARINT, PB_I64, PB_I32: the value */
	struct pb_bytes b; /* PB_LEN: the bytes, pointing into the input */
	size_t off;	   /* byte offset of the field's key in the message (messages) */
};

void pb_dec_init(struct pb_dec *d, const void *p, size_t len);
/* The next field: 1 with *f, 0 at the end of the message, -1 with err when malformed. */
int pb_dec_next(struct pb_dec *d, struct pb_field *f, struct kerr *err);

/* Typed readers of one field; each checks the wire type and fails naming the field. */
int pb_get_u64(const struct pb_field *f, uint64_t *v, struct kerr *err);
/* uint32 and enum values above UINT32_MAX are refused, not truncated. */
int pb_get_u32(const struct pb_field *f, uint32_t *v, struct kerr *err);
/* int64 (two's complement in a 10-byte varint when negative). */
int pb_get_i64(const struct pb_field *f, int64_t *v, struct kerr *err);
/* int32: the varint must hold a value in INT32_MIN..INT32_MAX. */
int pb_get_i32(const struct pb_field *f, int32_t *v, struct kerr *err);
int pb_get_bool(const struct pb_field *f, bool *v, struct kerr *err);
/* A length-delimited field's bytes (string, bytes or message). */
int pb_get_bytes(const struct pb_field *f, struct pb_bytes *b, struct kerr *err);
/* A string copied NUL-terminated into out; NUL bytes inside and values that do not fit
 * cap are refused (strings reach paths and argv). */
int pb_get_str(const struct pb_field *f, char *out, size_t cap, struct kerr *err);
/* An embedded message: *sub decodes it. */
int pb_get_msg(const struct pb_field *f, struct pb_dec *sub, struct kerr *err);
/* google.protobuf.Timestamp {1 seconds, 2 nanos}: ns since the epoch (nanos 0..999999999;
 * seconds that overflow int64 ns are refused). */
int pb_get_timestamp(const struct pb_field *f, int64_t *ns, struct kerr *err);
/* google.protobuf.Any {1 type_url, 2 value}: both slices (empty when absent). */
int pb_get_any(const struct pb_field *f, struct pb_bytes *type_url, struct pb_bytes *value,
	       struct kerr *err);
/* True when b holds exactly the NUL-free string s. */
bool pb_bytes_eq(struct pb_bytes b, const char *s);

struct pb_enc {
	struct buf *b;		   /* borrowed: output, appended to */
	size_t open[PB_DEPTH_MAX]; /* offsets of the open messages' length bytes */
	int depth;		   /* messages open */
	bool failed;		   /* sticky */
	struct kerr err;	   /* the first failure */
};

void pb_enc_init(struct pb_enc *e, struct buf *b);
/* Scalars are omitted when zero, false or empty: proto3's default values are not sent. */
void pb_enc_u64(struct pb_enc *e, uint32_t num, uint64_t v);
void pb_enc_i64(struct pb_enc *e, uint32_t num, int64_t v);
void pb_enc_bool(struct pb_enc *e, uint32_t num, bool v);
void pb_enc_str(struct pb_enc *e, uint32_t num, const char *s);
void pb_enc_bytes(struct pb_enc *e, uint32_t num, const void *p, size_t n);
/* An embedded message, always sent (even empty: a message's presence is meaningful).
 * Everything encoded until the matching pb_enc_msg_end is its content. */
void pb_enc_msg_begin(struct pb_enc *e, uint32_t num);
void pb_enc_msg_end(struct pb_enc *e);
/* Timestamp {seconds, nanos} as an embedded message. */
void pb_enc_timestamp(struct pb_enc *e, uint32_t num, int64_t sec, int32_t nanos);
/* The same from ns since the epoch. */
void pb_enc_timestamp_ns(struct pb_enc *e, uint32_t num, int64_t ns);
/* Any {type_url, value}: begins the message and its value; pb_enc_any_end closes both. */
void pb_enc_any_begin(struct pb_enc *e, uint32_t num, const char *type_url);
void pb_enc_any_end(struct pb_enc *e);
/* 0 when everything was written and every message closed; else -1 with the first error
 * (the buf then holds a partial message the caller must drop). */
int pb_enc_end(struct pb_enc *e, struct kerr *err);

/* The raw varint of v into out (PB_VARINT_MAX bytes); returns its length. */
size_t pb_varint_put(uint8_t *out, uint64_t v);

#endif
