/*
 * wire: the frame codec of kettle's RPC (mechanism M1, pure). The format is written
 * down in docs/PROTOCOL.md; keep the two in step.
 *
 * A frame is a 12-byte little-endian header {u32 payload length, u32 request id,
 * u16 type, u16 flags} and a payload of tagged fields {u16 tag, u32 length, bytes}.
 * Decoding is zero-copy and allocation-free: a decoded frame points into the caller's
 * bytes and is valid as long as they are. Lengths are never trusted: every one is
 * checked against what is there and against the caps below before use. Unknown tags
 * are skipped; duplicate tags, malformed fields and unknown types fail the frame.
 * No I/O here: transports live in ipc_conn.c.
 */
#ifndef KETTLE_WIRE_H
#define KETTLE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"

#define WIRE_HDR_LEN	    12
#define KETTLE_FRAME_MAX    (1024u * 1024u) /* whole frame, header included (bytes) */
#define WIRE_AUTH_FRAME_MAX 256		    /* cap before authentication (bytes) */
#define WIRE_FIELDS_MAX	    32		    /* fields per frame */
#define WIRE_STRV_MAX	    4096	    /* strings in one string-vector field */

/* flags */
#define WIRE_FLAG_FDS 0x0001 /* descriptors travel with this frame (SCM_RIGHTS) */

/* Message types. Replies and stream items carry the request id they answer. */
enum wire_type {
	WIRE_T_AUTH = 1,   /* first frame of every connection: TOKEN */
	WIRE_T_OK = 2,	   /* success reply, with result fields */
	WIRE_T_ERROR = 3,  /* failure reply: MSG, CODE (the failure's class, enum wire_fail) */
	WIRE_T_END = 4,	   /* end of a stream: optional EXIT_CODE, MSG */
	WIRE_T_DATA = 5,   /* stream item: STREAM, DATA */
	WIRE_T_EVENT = 6,  /* stream item or unsolicited notice: JSON */
	WIRE_T_STDIN = 7,  /* client -> server stdin bytes: DATA (empty DATA = EOF) */
	WIRE_T_RESIZE = 8, /* terminal size: ROWS, COLS */
	WIRE_T_SIGNAL = 9, /* forward a signal to a stream's process: SIGNAL */

	/* server -> client, in a stream */
	WIRE_T_STDIN_ACK = 10, /* COUNT bytes of the stream's STDIN reached the process */

	/* client -> daemon */
	WIRE_T_CREATE = 32,  /* JSON (record request) -> OK: ID, NAME */
	WIRE_T_START = 33,   /* REF -> OK */
	WIRE_T_STOP = 34,    /* REF, TIMEOUT_MS -> OK */
	WIRE_T_KILL = 35,    /* REF, SIGNAL -> OK */
	WIRE_T_REMOVE = 36,  /* REF, FORCE -> OK */
	WIRE_T_WAIT = 37,    /* REF -> OK: EXIT_CODE (answered when the container exits) */
	WIRE_T_LIST = 38,    /* ALL -> OK: JSON array */
	WIRE_T_INSPECT = 39, /* REF -> OK: JSON object */
	WIRE_T_RESOLVE = 40, /* REF -> OK: ID, ADDR (shim address for streams), JSON state */
	WIRE_T_EVENTS = 41,  /* SINCE, UNTIL, FILTER -> EVENT* ... END */
	WIRE_T_INFO = 42,    /* -> OK: JSON */
	WIRE_T_UPDATE = 43,  /* REF, JSON -> OK */
	WIRE_T_RENAME = 44,  /* REF, NAME -> OK */
	WIRE_T_PAUSE = 45,   /* REF -> OK */
	WIRE_T_UNPAUSE = 46, /* REF -> OK */

	/* daemon or client -> shim */
	WIRE_T_SHIM_STATE = 64,	   /* -> OK: JSON state */
	WIRE_T_SHIM_START = 65,	   /* -> OK once runc start returned */
	WIRE_T_SHIM_KILL = 66,	   /* SIGNAL, ALL -> OK */
	WIRE_T_SHIM_PIDS = 67,	   /* -> OK: JSON array of host pids */
	WIRE_T_SHIM_WAIT = 68,	   /* -> OK: EXIT_CODE once the container exits */
	WIRE_T_SHIM_DELETE = 69,   /* FORCE -> OK; the shim exits afterwards */
	WIRE_T_SHIM_SHUTDOWN = 70, /* -> OK; the shim exits, leaving nothing running */
	WIRE_T_SHIM_STOP = 71,	   /* SIGNAL, TIMEOUT_MS, FOREVER, SHUTDOWN -> OK once exited */
	WIRE_T_SHIM_ATTACH = 72,   /* STREAMS -> DATA* ... END(EXIT_CODE) */
	WIRE_T_SHIM_EXEC = 73,	   /* JSON (process), fds -> OK: PID; later END(EXIT_CODE) */
	WIRE_T_SHIM_UPDATE = 74,   /* JSON -> OK */
	WIRE_T_SHIM_PAUSE = 75,	   /* -> OK */
	WIRE_T_SHIM_RESUME = 76,   /* -> OK */
	/* client -> daemon: images (docs/PROTOCOL.md, "Images") */
	WIRE_T_IMAGE_LOAD = 80,	   /* NFDS, fds (archive[, progress]) -> OK: JSON */
	WIRE_T_IMAGE_IMPORT = 81,  /* NFDS, fds (tar[, progress]), REF, MSG -> OK: ID, JSON */
	WIRE_T_IMAGE_SAVE = 82,	   /* JSON, NFDS, fds (output[, progress]) -> OK */
	WIRE_T_IMAGE_LIST = 83,	   /* ALL -> OK: JSON array */
	WIRE_T_IMAGE_INSPECT = 84, /* REF -> OK: JSON */
	WIRE_T_IMAGE_TAG = 85,	   /* REF, NAME -> OK */
	WIRE_T_IMAGE_REMOVE = 86,  /* REF, FORCE -> OK: JSON */
	WIRE_T_IMAGE_PRUNE = 87,   /* ALL -> OK: JSON */
	WIRE_T_IMAGE_HISTORY = 88, /* REF -> OK: JSON array */
};

/* Field tags. Types: str (UTF-8, no NUL), u32/u64 (little-endian, exact length),
 * bytes (anything), strv (u32 count, then count x {u32 len, bytes}). */
enum wire_tag {
	WIRE_F_TOKEN = 1,      /* bytes: auth secret */
	WIRE_F_MSG = 2,	       /* str: human-readable message */
	WIRE_F_CODE = 3,       /* u32: ERROR's failure class (enum wire_fail) */
	WIRE_F_ID = 4,	       /* str: full container id */
	WIRE_F_NAME = 5,       /* str: container name */
	WIRE_F_REF = 6,	       /* str: name, id or unique id prefix */
	WIRE_F_JSON = 7,       /* str: a JSON document */
	WIRE_F_SIGNAL = 8,     /* u32: signal number */
	WIRE_F_TIMEOUT_MS = 9, /* u64: milliseconds */
	WIRE_F_FORCE = 10,     /* u32: 0 or 1 */
	WIRE_F_ALL = 11,       /* u32: 0 or 1 */
	WIRE_F_EXIT_CODE = 12, /* u32: exit code (0..255) */
	WIRE_F_STREAM = 13,    /* u32: 1 stdout, 2 stderr */
	WIRE_F_DATA = 14,      /* bytes */
	WIRE_F_NFDS = 15,      /* u32: descriptors attached to this frame */
	WIRE_F_ARGV = 16,      /* strv */
	WIRE_F_ADDR = 17,      /* str: abstract socket name, without the leading NUL */
	WIRE_F_PID = 18,       /* u32 */
	WIRE_F_SINCE = 19,     /* u64: ns since the epoch */
	WIRE_F_UNTIL = 20,     /* u64: ns since the epoch */
	WIRE_F_FILTER = 21,    /* str */
	WIRE_F_ROWS = 22,      /* u32 */
	WIRE_F_COLS = 23,      /* u32 */
	WIRE_F_STREAMS = 24,   /* u32: bit 0 stdout, bit 1 stderr, bit 2 stdin */
	WIRE_F_STATUS = 25,    /* str */
	WIRE_F_PREPARE = 26,   /* u32: START only sets the container up (a shim, runc create)
				  and answers OK{ID,NAME}; a second START runs it */
	WIRE_F_PRINTED = 27,   /* u32: 1 when MSG already reached the client's own stderr
				  (runc wrote it to the fds an exec handed over) */
	WIRE_F_TTY = 28,       /* u32: 1 when the container has a terminal (SHIM_STATE) */
	WIRE_F_COUNT = 29,     /* u64: a byte count (STDIN_ACK) */
	WIRE_F_RUN = 30,       /* u32: CREATE for `kettle run`: runc run --detach, the running
				  container held as created until START (docs/PROTOCOL.md) */
	WIRE_F_FOREVER = 31,   /* u32: STOP, SHIM_STOP: 1 when the grace period has no end
				  (stop -t -1: SIGKILL never comes; TIMEOUT_MS unused) */
	WIRE_F_SHUTDOWN = 32,  /* u32: SHIM_STOP of the host's shutdown: supervision ends for
				  this boot only (not a stop by a person) */
};

/*
 * ERROR's CODE: what kind of failure it reports. Each class is numbered as the exit code
 * `kettle run` gives it (docker's), so an older client, which took CODE for its exit
 * code, still exits as it did; what every command exits with for each class is the
 * client's table (src/client/client_exit.c).
 */
enum wire_fail {
	WIRE_FAIL_NOT_FOUND = 1,       /* no such container */
	WIRE_FAIL_KETTLE = 125,	       /* kettle refused the request or failed to do it */
	WIRE_FAIL_CANNOT_EXEC = 126,   /* the container command cannot be executed (or, for
					* an exec, could not be started) */
	WIRE_FAIL_CMD_NOT_FOUND = 127, /* the container command was not found */
};

struct wire_field {
	uint16_t tag;	    /* enum wire_tag, or unknown (kept, callers ignore it) */
	uint32_t len;	    /* bytes at val */
	const uint8_t *val; /* borrowed: points into the decoded bytes */
};

struct wire_frame {
	uint32_t len;				   /* payload bytes (header excluded) */
	uint32_t reqid;				   /* request id this frame carries */
	uint16_t type;				   /* enum wire_type */
	uint16_t flags;				   /* WIRE_FLAG_* */
	uint16_t nfields;			   /* used entries of fields[] */
	struct wire_field fields[WIRE_FIELDS_MAX]; /* in arrival order, tags unique */
};

/*
 * Decodes one frame from the front of p[0..n). max_frame caps the whole frame (header
 * included; KETTLE_FRAME_MAX or WIRE_AUTH_FRAME_MAX). Returns 1 and sets *used when a
 * whole frame was decoded, 0 when more bytes are needed (nothing is wrong yet), -1 with
 * err on a malformed or oversized frame: the connection must then be closed.
 */
int wire_decode(const uint8_t *p, size_t n, size_t max_frame, struct wire_frame *f, size_t *used,
		struct kerr *err);

/* True for every enum wire_type value. */
bool wire_type_known(uint16_t type);
/* "CREATE", "SHIM_STATE", ... or "unknown". */
const char *wire_type_name(uint16_t type);
/* "TOKEN", "EXIT_CODE", ... or "unknown" (for messages). */
const char *wire_tag_name(uint16_t tag);

/* Typed getters. Return 1 when present and well-formed, 0 when absent (only when
 * !required), -1 with err naming the tag when malformed or required and absent. */
const struct wire_field *wire_find(const struct wire_frame *f, uint16_t tag);
int wire_get_u32(const struct wire_frame *f, uint16_t tag, bool required, uint32_t *out,
		 struct kerr *err);
int wire_get_u64(const struct wire_frame *f, uint16_t tag, bool required, uint64_t *out,
		 struct kerr *err);
/* Copies into dst (NUL-terminated); rejects embedded NULs and values that do not fit. */
int wire_get_str(const struct wire_frame *f, uint16_t tag, bool required, char *dst, size_t cap,
		 struct kerr *err);
int wire_get_bytes(const struct wire_frame *f, uint16_t tag, bool required, const uint8_t **p,
		   size_t *len, struct kerr *err);
/* wire_get_str without the copy, for long strings (JSON documents): the same checks and
 * messages, with max bytes allowed; lends the value (borrowed, not NUL-terminated). */
int wire_get_str_view(const struct wire_frame *f, uint16_t tag, bool required, size_t max,
		      const uint8_t **p, size_t *len, struct kerr *err);

/* Iterates a strv field: call with *off = 0; returns 1 and the next item, 0 at the end,
 * -1 when malformed. Items are borrowed (not NUL-terminated). The first call (and
 * wire_strv_count, which returns 0 or -1) checks the whole field: count within
 * WIRE_STRV_MAX, items tiling it exactly, no NUL inside an item. */
int wire_strv_count(const struct wire_field *fld, uint32_t *count, struct kerr *err);
int wire_strv_next(const struct wire_field *fld, size_t *off, const uint8_t **item, size_t *len,
		   struct kerr *err);

/* Encoder: appends one frame to a buf (whose max caps it). Errors are sticky and
 * reported once by wire_enc_end. */
struct wire_enc {
	struct buf *b;	 /* borrowed: frame is appended here */
	size_t start;	 /* offset of this frame's header in b */
	bool failed;	 /* sticky: a put failed */
	struct kerr err; /* first failure */
};

void wire_enc_begin(struct wire_enc *e, struct buf *b, uint16_t type, uint32_t reqid,
		    uint16_t flags);
void wire_enc_u32(struct wire_enc *e, uint16_t tag, uint32_t v);
void wire_enc_u64(struct wire_enc *e, uint16_t tag, uint64_t v);
void wire_enc_str(struct wire_enc *e, uint16_t tag, const char *s);
void wire_enc_bytes(struct wire_enc *e, uint16_t tag, const void *p, size_t n);
void wire_enc_strv(struct wire_enc *e, uint16_t tag, char *const *v, size_t n);
/* Patches the header length. Returns 0, or -1 (and drops the partial frame from b). */
int wire_enc_end(struct wire_enc *e, struct kerr *err);

#endif
