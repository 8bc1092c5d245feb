/*
 * request: the one table of the fields of every request a kettle server accepts, and the
 * checker that holds a decoded frame to it (mechanism M1, pure).
 *
 * The table is indexed by wire type: the client -> daemon requests (CREATE..UNPAUSE),
 * the daemon or client -> shim requests (SHIM_STATE..SHIM_RESUME, EVENTS) and the
 * in-stream client messages (STDIN, RESIZE, SIGNAL). Each field has a tag, a kind, whether
 * it is required, and its limits; the limits are the handlers' own (static asserts in the
 * role files keep them equal), never looser. Tags a type does not list are skipped, as
 * wire.h promises for forward compatibility. The rules are in docs/PROTOCOL.md
 * ("Request fields"). No I/O, no allocation; the messages are wire.c's wherever a getter
 * already says what was wrong.
 */
#ifndef KETTLE_REQUEST_H
#define KETTLE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "ipc/wire.h"

/* Limits the handlers apply; each is asserted equal to the handler's own constant. */
#define REQUEST_REF_MAX		     255		   /* REF bytes (daemon REF_MAX - 1) */
#define REQUEST_SIGNAL_MAX	     64			   /* highest signal number */
#define REQUEST_STOP_TIMEOUT_MAX_MS  (24ull * 3600 * 1000) /* STOP, SHIM_STOP grace (ms) */
#define REQUEST_CREATE_JSON_MAX	     (512u * 1024u)	   /* CREATE record (RECORD_JSON_MAX) */
#define REQUEST_UPDATE_JSON_MAX	     (16u * 1024u)	   /* UPDATE document (daemon_ops.c) */
#define REQUEST_SHIM_UPDATE_JSON_MAX (64u * 1024u)	   /* SHIM_UPDATE document (shim_ops.c) */
#define REQUEST_EXEC_JSON_MAX	     (512u * 1024u)	   /* SHIM_EXEC document (client_exec.c) */
#define REQUEST_FILTER_MAX	     2303		   /* FILTER bytes (daemon_events.c) */
#define REQUEST_TTY_DIM_MAX	     4096		   /* ROWS, COLS (SHIM_TTY_DIM_MAX) */
#define REQUEST_EXEC_FDS_MAX	     3			   /* SHIM_EXEC NFDS: 0, 2 or 3 */
#define REQUEST_IMAGE_REF_MAX	     511	    /* an image reference or tag (daemon_image.c) */
#define REQUEST_IMAGE_FDS_MAX	     2		    /* IMAGE_LOAD/IMPORT/SAVE: data[, progress] */
#define REQUEST_IMAGE_MSG_MAX	     1024	    /* IMAGE_IMPORT's message */
#define REQUEST_IMAGE_JSON_MAX	     (256u * 1024u) /* IMAGE_SAVE: {"images", "format"} */
#define REQUEST_IMAGE_SAVE_MAX	     512	    /* images one IMAGE_SAVE names */

enum request_kind {
	REQUEST_U32 = 1, /* exactly 4 bytes; min..max */
	REQUEST_U64,	 /* exactly 8 bytes; min..max */
	REQUEST_STR,	 /* no NUL byte; at most max bytes */
	REQUEST_BYTES,	 /* anything; at most max bytes */
	REQUEST_STRV,	 /* a well-formed strv; at most max items */
};

/* Who serves a request type (request_servers). */
#define REQUEST_BY_DAEMON 0x1u /* the daemon's dispatch (daemon_api_frame) */
#define REQUEST_BY_SHIM	  0x2u /* the shim's dispatch (shim.c on_frame) */

struct request_field {
	uint16_t tag;	     /* enum wire_tag */
	uint8_t kind;	     /* enum request_kind */
	bool required;	     /* absent fails the request */
	uint64_t min;	     /* u32/u64: lowest value allowed; 0 for the other kinds */
	uint64_t max;	     /* u32/u64: highest value; str/bytes: most bytes; strv: most items */
	const char *allowed; /* static; what a message says is allowed, or NULL for min..max */
};

/*
 * Checks f against its type's row: every listed field present when required, of its kind
 * and within its limits. Returns 0, or -1 with err naming the field and what is allowed
 * (a type that is no request fails too). Unlisted tags are not looked at.
 */
int request_check(const struct wire_frame *f, struct kerr *err);

/* Checks one field of f against fld (request_check's step; tests use it directly). */
int request_check_field(const struct wire_frame *f, const struct request_field *fld,
			struct kerr *err);

/* The fields of a request type, *n of them; NULL (and *n = 0) when type is no request. A
 * request without fields gives a non-NULL pointer and *n = 0. */
const struct request_field *request_fields(uint16_t type, size_t *n);

/* REQUEST_BY_* bits of the servers that accept type; 0 when it is no request. */
unsigned request_servers(uint16_t type);

/* Every request type in the table, in ascending order; *n of them. */
const uint16_t *request_types(size_t *n);

#endif
