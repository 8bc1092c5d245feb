/*
 * request: the table of every request's fields and the checker (mechanism M1, pure).
 *
 * One row per request type, listing exactly the fields that kettle's own client and
 * daemon send and the handlers read, with the handlers' limits (never looser: a frame
 * that passes here may still be refused by its handler, for reasons that need state, but
 * never for its shape). Values are read through wire.c's getters so that a malformed
 * field is reported in wire.c's words. Tags a row does not list are skipped (forward
 * compatibility, docs/PROTOCOL.md). Never allocates, logs or does I/O.
 */
#include <inttypes.h>

#include "store/ids.h"
#include "ipc/request.h"

#define U32(t, req, lo, hi)                                                                        \
	{                                                                                          \
		.tag = (t), .kind = REQUEST_U32, .required = (req), .min = (lo), .max = (hi)       \
	}
#define U64(t, req, lo, hi)                                                                        \
	{                                                                                          \
		.tag = (t), .kind = REQUEST_U64, .required = (req), .min = (lo), .max = (hi)       \
	}
#define STR(t, req, most)                                                                          \
	{                                                                                          \
		.tag = (t), .kind = REQUEST_STR, .required = (req), .max = (most)                  \
	}
#define BYTES(t, req, most)                                                                        \
	{                                                                                          \
		.tag = (t), .kind = REQUEST_BYTES, .required = (req), .max = (most)                \
	}
#define FLAG(t)	   U32((t), false, 0, 1)
#define REF	   STR(WIRE_F_REF, true, REQUEST_REF_MAX)
#define SIGNAL(r)  U32(WIRE_F_SIGNAL, (r), 1, REQUEST_SIGNAL_MAX)
#define TIMEOUT	   U64(WIRE_F_TIMEOUT_MS, false, 0, REQUEST_STOP_TIMEOUT_MAX_MS)
#define TTY_DIM(t) U32((t), true, 1, REQUEST_TTY_DIM_MAX)

/* The most bytes one field can hold: a frame with that field alone. */
#define FIELD_BYTES_MAX (KETTLE_FRAME_MAX - WIRE_HDR_LEN - 6)

static const struct request_field f_ref[] = { REF };
static const struct request_field f_create[] = {
	STR(WIRE_F_JSON, true, REQUEST_CREATE_JSON_MAX),
	FLAG(WIRE_F_RUN),
};
static const struct request_field f_start[] = { REF, FLAG(WIRE_F_PREPARE) };
static const struct request_field f_stop[] = { REF, TIMEOUT, FLAG(WIRE_F_FOREVER) };
static const struct request_field f_kill[] = { REF, SIGNAL(false) };
static const struct request_field f_remove[] = { REF, FLAG(WIRE_F_FORCE) };
static const struct request_field f_list[] = {
	FLAG(WIRE_F_ALL),
	STR(WIRE_F_FILTER, false, REQUEST_FILTER_MAX),
};
static const struct request_field f_events[] = {
	U64(WIRE_F_SINCE, false, 0, INT64_MAX),
	U64(WIRE_F_UNTIL, false, 0, INT64_MAX),
	STR(WIRE_F_FILTER, false, REQUEST_FILTER_MAX),
};
static const struct request_field f_update[] = {
	REF,
	STR(WIRE_F_JSON, true, REQUEST_UPDATE_JSON_MAX),
};
static const struct request_field f_rename[] = { REF, STR(WIRE_F_NAME, true, IDS_NAME_MAX) };
static const struct request_field f_shim_kill[] = { SIGNAL(false), FLAG(WIRE_F_ALL) };
static const struct request_field f_shim_delete[] = { FLAG(WIRE_F_FORCE) };
static const struct request_field f_shim_stop[] = { SIGNAL(false), TIMEOUT, FLAG(WIRE_F_FOREVER),
						    FLAG(WIRE_F_SHUTDOWN) };
static const struct request_field f_shim_attach[] = {
	{ .tag = WIRE_F_STREAMS,
	  .kind = REQUEST_U32,
	  .max = 7,
	  .allowed = "bits 1 stdout, 2 stderr, 4 stdin (0..7)" },
};
static const struct request_field f_shim_exec[] = {
	STR(WIRE_F_JSON, true, REQUEST_EXEC_JSON_MAX),
	U32(WIRE_F_NFDS, false, 0, REQUEST_EXEC_FDS_MAX),
};
static const struct request_field f_shim_update[] = {
	STR(WIRE_F_JSON, true, REQUEST_SHIM_UPDATE_JSON_MAX),
};
static const struct request_field f_stdin[] = { BYTES(WIRE_F_DATA, true, FIELD_BYTES_MAX) };
static const struct request_field f_resize[] = { TTY_DIM(WIRE_F_ROWS), TTY_DIM(WIRE_F_COLS) };
static const struct request_field f_signal[] = { SIGNAL(true) };
#define IMAGE_REF(req) STR(WIRE_F_REF, (req), REQUEST_IMAGE_REF_MAX)
#define IMAGE_FDS      U32(WIRE_F_NFDS, true, 1, REQUEST_IMAGE_FDS_MAX)
static const struct request_field f_image_ref[] = { IMAGE_REF(true) };
static const struct request_field f_image_load[] = { IMAGE_FDS };
static const struct request_field f_image_import[] = {
	IMAGE_FDS,
	IMAGE_REF(false),
	STR(WIRE_F_MSG, false, REQUEST_IMAGE_MSG_MAX),
};
static const struct request_field f_image_save[] = {
	STR(WIRE_F_JSON, true, REQUEST_IMAGE_JSON_MAX),
	IMAGE_FDS,
};
static const struct request_field f_image_tag[] = {
	IMAGE_REF(true),
	STR(WIRE_F_NAME, true, REQUEST_IMAGE_REF_MAX),
};
static const struct request_field f_image_remove[] = { IMAGE_REF(true), FLAG(WIRE_F_FORCE) };
/* Rows without fields point here, so that a known type never yields NULL. */
static const struct request_field f_none[1];

struct row {
	const struct request_field *fields; /* static; n entries */
	uint8_t n;			    /* entries of fields */
	uint8_t servers;		    /* REQUEST_BY_*; 0: no request */
};

#define D REQUEST_BY_DAEMON
#define S REQUEST_BY_SHIM
#define ROW(fl, by)                                                                                \
	{                                                                                          \
		.fields = (fl), .n = sizeof(fl) / sizeof((fl)[0]), .servers = (by)                 \
	}
#define NONE(by)                                                                                   \
	{                                                                                          \
		.fields = f_none, .n = 0, .servers = (by)                                          \
	}

static const struct row rows[] = {
	[WIRE_T_STDIN] = ROW(f_stdin, S),
	[WIRE_T_RESIZE] = ROW(f_resize, S),
	[WIRE_T_SIGNAL] = ROW(f_signal, S),
	[WIRE_T_CREATE] = ROW(f_create, D),
	[WIRE_T_START] = ROW(f_start, D),
	[WIRE_T_STOP] = ROW(f_stop, D),
	[WIRE_T_KILL] = ROW(f_kill, D),
	[WIRE_T_REMOVE] = ROW(f_remove, D),
	[WIRE_T_WAIT] = ROW(f_ref, D),
	[WIRE_T_LIST] = ROW(f_list, D),
	[WIRE_T_INSPECT] = ROW(f_ref, D),
	[WIRE_T_RESOLVE] = ROW(f_ref, D),
	/* The daemon subscribes to a shim's events with an EVENTS of no fields. */
	[WIRE_T_EVENTS] = ROW(f_events, D | S),
	[WIRE_T_INFO] = NONE(D),
	[WIRE_T_UPDATE] = ROW(f_update, D),
	[WIRE_T_RENAME] = ROW(f_rename, D),
	[WIRE_T_PAUSE] = ROW(f_ref, D),
	[WIRE_T_UNPAUSE] = ROW(f_ref, D),
	[WIRE_T_SHIM_STATE] = NONE(S),
	[WIRE_T_SHIM_START] = NONE(S),
	[WIRE_T_SHIM_KILL] = ROW(f_shim_kill, S),
	[WIRE_T_SHIM_PIDS] = NONE(S),
	[WIRE_T_SHIM_WAIT] = NONE(S),
	[WIRE_T_SHIM_DELETE] = ROW(f_shim_delete, S),
	[WIRE_T_SHIM_SHUTDOWN] = NONE(S),
	[WIRE_T_SHIM_STOP] = ROW(f_shim_stop, S),
	[WIRE_T_SHIM_ATTACH] = ROW(f_shim_attach, S),
	[WIRE_T_SHIM_EXEC] = ROW(f_shim_exec, S),
	[WIRE_T_SHIM_UPDATE] = ROW(f_shim_update, S),
	[WIRE_T_SHIM_PAUSE] = NONE(S),
	[WIRE_T_SHIM_RESUME] = NONE(S),
	[WIRE_T_IMAGE_LOAD] = ROW(f_image_load, D),
	[WIRE_T_IMAGE_IMPORT] = ROW(f_image_import, D),
	[WIRE_T_IMAGE_SAVE] = ROW(f_image_save, D),
	[WIRE_T_IMAGE_LIST] = ROW(f_list, D),
	[WIRE_T_IMAGE_INSPECT] = ROW(f_image_ref, D),
	[WIRE_T_IMAGE_TAG] = ROW(f_image_tag, D),
	[WIRE_T_IMAGE_REMOVE] = ROW(f_image_remove, D),
	[WIRE_T_IMAGE_PRUNE] = ROW(f_list, D),
	[WIRE_T_IMAGE_HISTORY] = ROW(f_image_ref, D),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const uint16_t types[] = {
	WIRE_T_STDIN,	      WIRE_T_RESIZE,	   WIRE_T_SIGNAL,      WIRE_T_CREATE,
	WIRE_T_START,	      WIRE_T_STOP,	   WIRE_T_KILL,	       WIRE_T_REMOVE,
	WIRE_T_WAIT,	      WIRE_T_LIST,	   WIRE_T_INSPECT,     WIRE_T_RESOLVE,
	WIRE_T_EVENTS,	      WIRE_T_INFO,	   WIRE_T_UPDATE,      WIRE_T_RENAME,
	WIRE_T_PAUSE,	      WIRE_T_UNPAUSE,	   WIRE_T_SHIM_STATE,  WIRE_T_SHIM_START,
	WIRE_T_SHIM_KILL,     WIRE_T_SHIM_PIDS,	   WIRE_T_SHIM_WAIT,   WIRE_T_SHIM_DELETE,
	WIRE_T_SHIM_SHUTDOWN, WIRE_T_SHIM_STOP,	   WIRE_T_SHIM_ATTACH, WIRE_T_SHIM_EXEC,
	WIRE_T_SHIM_UPDATE,   WIRE_T_SHIM_PAUSE,   WIRE_T_SHIM_RESUME, WIRE_T_IMAGE_LOAD,
	WIRE_T_IMAGE_IMPORT,  WIRE_T_IMAGE_SAVE,   WIRE_T_IMAGE_LIST,  WIRE_T_IMAGE_INSPECT,
	WIRE_T_IMAGE_TAG,     WIRE_T_IMAGE_REMOVE, WIRE_T_IMAGE_PRUNE, WIRE_T_IMAGE_HISTORY,
};

static const struct row *row_of(uint16_t type)
{
	return type < NROWS && rows[type].servers ? &rows[type] : NULL;
}

const struct request_field *request_fields(uint16_t type, size_t *n)
{
	const struct row *r = row_of(type);

	*n = r ? r->n : 0;
	return r ? r->fields : NULL;
}

unsigned request_servers(uint16_t type)
{
	const struct row *r = row_of(type);

	return r ? r->servers : 0;
}

const uint16_t *request_types(size_t *n)
{
	*n = sizeof(types) / sizeof(types[0]);
	return types;
}

static int out_of_range(uint16_t tag, uint64_t v, const struct request_field *fld, struct kerr *err)
{
	if (fld->allowed)
		return kerr_set(err, 0, "field %s (%" PRIu16 ") is %" PRIu64 "; allowed: %s",
				wire_tag_name(tag), tag, v, fld->allowed);
	if (fld->min == 0 && fld->max == 1)
		return kerr_set(err, 0, "field %s (%" PRIu16 ") is %" PRIu64 "; allowed: 0 or 1",
				wire_tag_name(tag), tag, v);
	return kerr_set(err, 0,
			"field %s (%" PRIu16 ") is %" PRIu64 "; allowed: %" PRIu64 "..%" PRIu64,
			wire_tag_name(tag), tag, v, fld->min, fld->max);
}

int request_check_field(const struct wire_frame *f, const struct request_field *fld,
			struct kerr *err)
{
	const uint16_t tag = fld->tag;
	const uint8_t *p;
	size_t len;
	uint32_t u32;
	uint64_t v;
	int r;

	switch (fld->kind) {
	case REQUEST_U32:
		r = wire_get_u32(f, tag, fld->required, &u32, err);
		v = u32;
		break;
	case REQUEST_U64:
		r = wire_get_u64(f, tag, fld->required, &v, err);
		break;
	case REQUEST_STR:
		r = wire_get_str_view(f, tag, fld->required, fld->max, &p, &len, err);
		return r < 0 ? -1 : 0;
	case REQUEST_BYTES:
		r = wire_get_bytes(f, tag, fld->required, &p, &len, err);
		if (r == 1 && len > fld->max)
			return kerr_set(err, 0,
					"field %s (%" PRIu16 "): %zu bytes exceed limit %" PRIu64,
					wire_tag_name(tag), tag, len, fld->max);
		return r < 0 ? -1 : 0;
	case REQUEST_STRV:
		/* wire_get_bytes only finds it (and names a required one that is absent). */
		r = wire_get_bytes(f, tag, fld->required, &p, &len, err);
		if (r == 1) {
			uint32_t count;

			if (wire_strv_count(wire_find(f, tag), &count, err) < 0)
				return -1;
			if (count > fld->max)
				return kerr_set(err, 0,
						"field %s (%" PRIu16 "): %" PRIu32
						" strings exceed limit %" PRIu64,
						wire_tag_name(tag), tag, count, fld->max);
		}
		return r < 0 ? -1 : 0;
	default:
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): unknown kind %u in the request table",
				wire_tag_name(tag), tag, fld->kind);
	}
	if (r < 0)
		return -1;
	if (r == 1 && (v < fld->min || v > fld->max))
		return out_of_range(tag, v, fld, err);
	return 0;
}

int request_check(const struct wire_frame *f, struct kerr *err)
{
	size_t n;
	const struct request_field *fl = request_fields(f->type, &n);

	if (!fl)
		return kerr_set(err, 0,
				"message type %s (%" PRIu16 ") is not a request; requests are "
				"types 7..9, 32..46, 64..76 and 80..88",
				wire_type_name(f->type), f->type);
	for (size_t i = 0; i < n; i++)
		if (request_check_field(f, &fl[i], err) < 0)
			return -1;
	return 0;
}
