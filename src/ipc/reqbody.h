/*
 * reqbody: the bodies requests carry, parsed and encoded (mechanism M1, pure).
 *
 * UPDATE's JSON from the client, SHIM_UPDATE's document (what the daemon sends the shim
 * and the shim echoes back), SHIM_EXEC's process JSON and EVENTS' FILTER text. Each
 * parser is strict, checks its caps before it allocates and fills a kerr with a message
 * the roles pass on as they are (integration tests compare them exactly); where an encoder
 * exists, parse(encode(x)) gives x back, which test/fuzz/fuzz_reqbody.c checks. No I/O,
 * no logging; only the exec request allocates (its strings), freed by reqbody_exec_done.
 */
#ifndef KETTLE_REQBODY_H
#define KETTLE_REQBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "store/restart.h"

#define REQBODY_UPDATE_JSON_MAX	     (16u * 1024u) /* an UPDATE document, request or echo */
#define REQBODY_UPDATE_TOKENS	     64		   /* tokens of an UPDATE document */
#define REQBODY_SHIM_UPDATE_JSON_MAX (64u * 1024u) /* a SHIM_UPDATE document (bytes) */
#define REQBODY_SHIM_UPDATE_TOKENS   256	   /* tokens of a SHIM_UPDATE document */
#define REQBODY_CPU_PERIOD_US	     100000u	   /* CFS period used for --cpus, as docker */
/* Entries of an exec request's args and env: RECORD_LIST_MAX (record.h), kept equal by a
 * static assertion in shim_exec.c (this layer cannot include record.h). */
#define REQBODY_LIST_MAX	     1024
#define REQBODY_EXEC_TOKENS	     (2 * REQBODY_LIST_MAX + 64) /* tokens of an exec request */
#define REQBODY_FILTERS_MAX	     16				 /* key=value filters of EVENTS */
#define REQBODY_FILTER_VALUE_MAX     128			 /* bytes of a filter's value */
/* The FILTER field, NUL included: the daemon reads it into a buffer this big. */
#define REQBODY_FILTER_TEXT_MAX	     (REQBODY_FILTERS_MAX * (REQBODY_FILTER_VALUE_MAX + 16))

/* ---- UPDATE ---- */

/* What an UPDATE asks to change; unset fields stay as they are. */
struct reqbody_update {
	bool has_memory;	     /* "memory" given */
	uint64_t memory_bytes;	     /* bytes; 0: no limit */
	bool has_cpus;		     /* "cpus" given */
	uint64_t cpus_milli;	     /* thousandths of a CPU; 0: no limit */
	bool has_pids;		     /* "pids_limit" given */
	int64_t pids_limit;	     /* tasks; <= 0: no limit */
	bool has_restart;	     /* "restart" given */
	struct restart_spec restart; /* with has_restart */
};

/* The client's document {"memory": N, "cpus": MILLI, "pids_limit": N, "restart": P}: at
 * least one key, no other key. */
int reqbody_parse_update(const char *text, size_t len, struct reqbody_update *u, struct kerr *err);
/* Appends SHIM_UPDATE's document (no NUL): {"resources": OCI LinuxResources for what
 * changed, "restart": policy}. Fails on values the OCI numbers cannot carry (memory above
 * INT64_MAX, a CPU quota that overflows), which record_validate refuses first anyway. */
int reqbody_encode_shim_update(const struct reqbody_update *u, struct buf *out, struct kerr *err);
/* The shim's echo of reqbody_encode_shim_update's document, back into an update. */
int reqbody_parse_update_echo(const uint8_t *text, size_t len, struct reqbody_update *u,
			      struct kerr *err);

/* ---- SHIM_UPDATE ---- */

/* What a SHIM_UPDATE document holds, as offsets into its text. */
struct reqbody_shim_update {
	int res_start;		     /* byte offset of the resources object, -1 when absent */
	int res_end;		     /* just past it, -1 when absent */
	bool has_restart;	     /* "restart" given */
	struct restart_spec restart; /* with has_restart */
};

/* {"resources": {...}, "restart": P}, either key optional, no other key, at most
 * REQBODY_SHIM_UPDATE_JSON_MAX bytes. */
int reqbody_parse_shim_update(const char *text, size_t len, struct reqbody_shim_update *u,
			      struct kerr *err);

/* ---- SHIM_EXEC ---- */

struct reqbody_strv {
	char **v; /* array of n strings plus NULL; owned when parsed, else the caller's */
	size_t n; /* entries, at most REQBODY_LIST_MAX */
};

/* The process an exec asks for. Parsed: everything owned, freed by reqbody_exec_done.
 * Given to the encoder: everything borrowed. */
struct reqbody_exec {
	struct reqbody_strv args; /* command and arguments; at least one when parsed */
	struct reqbody_strv env;  /* "KEY=VALUE" entries */
	char *cwd;		  /* working directory, or NULL for the container's */
	bool user_set;		  /* "user" present */
	uint32_t uid;		  /* with user_set; below UINT32_MAX */
	uint32_t gid;		  /* with user_set; below UINT32_MAX */
	bool tty;		  /* "tty": allocate a terminal */
};

/* {"args": [...], "env": [...], "cwd": S|null, "user": {"uid": N, "gid": N}|null,
 * "tty": B}: args required and non-empty, the rest optional, other keys ignored. On
 * failure q holds nothing (no reqbody_exec_done needed, though it is harmless). */
int reqbody_parse_exec(const char *text, size_t len, struct reqbody_exec *q, struct kerr *err);
/* Appends the document reqbody_parse_exec reads (every key written). */
int reqbody_encode_exec(const struct reqbody_exec *q, struct buf *out, struct kerr *err);
/* Frees a parsed request's contents and zeroes it; accepts a zeroed one. */
void reqbody_exec_done(struct reqbody_exec *q);

/* ---- EVENTS' FILTER ---- */

enum reqbody_filter_key {
	REQBODY_FILTER_CONTAINER, /* name, full id or id prefix */
	REQBODY_FILTER_EVENT,	  /* event type ("event" or its alias "type") */
};

struct reqbody_filter {
	enum reqbody_filter_key key;		  /* what it matches */
	char value[REQBODY_FILTER_VALUE_MAX + 1]; /* against this; non-empty, no newline */
};

struct reqbody_filters {
	size_t n;				      /* used entries of f */
	struct reqbody_filter f[REQBODY_FILTERS_MAX]; /* in the order given */
};

/* Newline-separated KEY=VALUE lines (empty lines skipped) into out. text is a C string
 * of fewer than REQBODY_FILTER_TEXT_MAX bytes (the caller's field cap). On failure out
 * holds the filters parsed so far and is not to be used. */
int reqbody_parse_filters(const char *text, struct reqbody_filters *out, struct kerr *err);

#endif
