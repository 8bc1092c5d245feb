/*
 * ttrpc: containerd's TTRPC framing and its Request/Response messages (mechanism, pure).
 *
 * A frame is a 10-byte big-endian header {u32 data length, u32 stream id, u8 type, u8
 * flags} and then the data (github.com/containerd/ttrpc PROTOCOL.md); data is at most
 * TTRPC_MSG_MAX (4 MiB), the limit ttrpc itself enforces. A Request {1 service, 2 method,
 * 3 payload, 4 timeout_nano, 5 metadata {key, value}} opens a unary stream (odd ids from
 * the client) and one Response {1 status {code, message}, 2 payload} ends it. Decoding is
 * zero-copy into the frame's bytes; encoding writes whole frames into a buf, the header
 * last, so a frame is either complete in the buf or absent. docs/PROTOCOL.md describes
 * the wire as kettle speaks it. No I/O, never logs.
 */
#ifndef KETTLE_TTRPC_H
#define KETTLE_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "ttrpc/pb.h"

#define TTRPC_HDR_LEN  10
#define TTRPC_MSG_MAX  (4u << 20) /* data bytes of one frame (ttrpc's messageLengthMax) */
#define TTRPC_MD_MAX   16	  /* metadata pairs kept from one request */
#define TTRPC_NAME_MAX 256	  /* bytes of a service or method name */

enum ttrpc_type {
	TTRPC_T_REQUEST = 1,  /* opens a stream */
	TTRPC_T_RESPONSE = 2, /* ends it */
	TTRPC_T_DATA = 3, /* stream data: only for streaming methods, which kettle has none of */
};

/* gRPC status codes (google.rpc.Code), as containerd maps them to errdefs. */
enum ttrpc_code {
	TTRPC_OK = 0,
	TTRPC_CANCELLED = 1,
	TTRPC_UNKNOWN = 2,
	TTRPC_INVALID_ARGUMENT = 3,
	TTRPC_DEADLINE_EXCEEDED = 4,
	TTRPC_NOT_FOUND = 5,
	TTRPC_ALREADY_EXISTS = 6,
	TTRPC_PERMISSION_DENIED = 7,
	TTRPC_RESOURCE_EXHAUSTED = 8,
	TTRPC_FAILED_PRECONDITION = 9,
	TTRPC_ABORTED = 10,
	TTRPC_OUT_OF_RANGE = 11,
	TTRPC_UNIMPLEMENTED = 12,
	TTRPC_INTERNAL = 13,
	TTRPC_UNAVAILABLE = 14,
};

struct ttrpc_hdr {
	uint32_t len;  /* data bytes after the header */
	uint32_t sid;  /* stream id */
	uint8_t type;  /* enum ttrpc_type */
	uint8_t flags; /* per type; 0 for unary requests and every response */
};

struct ttrpc_kv {
	struct pb_bytes key; /* borrowed from the frame */
	struct pb_bytes val; /* borrowed from the frame */
};

/* A decoded Request: every slice points into the frame it came from. */
struct ttrpc_request {
	struct pb_bytes service;	  /* "containerd.task.v2.Task" */
	struct pb_bytes method;		  /* "Create" */
	struct pb_bytes payload;	  /* the method's request message */
	int64_t timeout_ns;		  /* the caller's deadline, 0 when none */
	struct ttrpc_kv md[TTRPC_MD_MAX]; /* metadata, the first TTRPC_MD_MAX pairs */
	size_t nmd;			  /* entries of md */
};

/* A decoded Response. */
struct ttrpc_response {
	int32_t code;		 /* status code, TTRPC_OK when there is no status */
	struct pb_bytes message; /* status message, borrowed */
	struct pb_bytes payload; /* the method's response message, borrowed */
};

void ttrpc_hdr_get(const uint8_t p[TTRPC_HDR_LEN], struct ttrpc_hdr *h);
void ttrpc_hdr_put(uint8_t p[TTRPC_HDR_LEN], const struct ttrpc_hdr *h);
/* Checks a header before its data is read: type 1..3, length at most TTRPC_MSG_MAX (EMSGSIZE
 * when over, so the caller can answer and skip it), a request's stream id odd. */
int ttrpc_hdr_check(const struct ttrpc_hdr *h, struct kerr *err);

int ttrpc_request_decode(const uint8_t *p, size_t n, struct ttrpc_request *r, struct kerr *err);
int ttrpc_response_decode(const uint8_t *p, size_t n, struct ttrpc_response *r, struct kerr *err);
/* The value of metadata key, or an empty slice. */
struct pb_bytes ttrpc_request_md(const struct ttrpc_request *r, const char *key);

/* Frame building: begin reserves the header in b and returns its offset in *mark; the
 * caller encodes the data with a pb_enc on b; end writes the header, or, when the data
 * failed or exceeds TTRPC_MSG_MAX, drops everything since begin and fails. */
void ttrpc_frame_begin(struct buf *b, size_t *mark);
int ttrpc_frame_end(struct buf *b, size_t mark, uint32_t sid, uint8_t type, struct pb_enc *e,
		    struct kerr *err);

/* A Response frame with an error status and no payload. */
int ttrpc_put_error(struct buf *b, uint32_t sid, enum ttrpc_code code, const char *msg,
		    struct kerr *err);
/* "NotFound", "Unimplemented", …: the status code's name for messages. */
const char *ttrpc_code_name(int32_t code);

#endif
