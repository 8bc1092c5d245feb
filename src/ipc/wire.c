/*
 * wire: the frame codec of kettle's RPC (mechanism M1, pure). docs/PROTOCOL.md is the
 * written form of what this file implements; change both together.
 *
 * Invariants: decoding never allocates and never reads a byte it has not bounds-checked
 * against both the input and the caps; a header announcing more than max_frame fails from
 * the header alone, before anyone waits for (or buffers) the rest. The encoder never
 * produces a frame the decoder would reject (size, field count, duplicate tags, type),
 * and on failure leaves the buf exactly as it found it. No I/O, no logging.
 */
#include <inttypes.h>
#include <string.h>

#include "ipc/wire.h"

#define FIELD_HDR_LEN 6 /* u16 tag + u32 length */

/* Names of message types, indexed by value; NULL where no type is defined. */
static const char *const type_names[] = {
	[WIRE_T_AUTH] = "AUTH",
	[WIRE_T_OK] = "OK",
	[WIRE_T_ERROR] = "ERROR",
	[WIRE_T_END] = "END",
	[WIRE_T_DATA] = "DATA",
	[WIRE_T_EVENT] = "EVENT",
	[WIRE_T_STDIN] = "STDIN",
	[WIRE_T_RESIZE] = "RESIZE",
	[WIRE_T_SIGNAL] = "SIGNAL",
	[WIRE_T_STDIN_ACK] = "STDIN_ACK",
	[WIRE_T_CREATE] = "CREATE",
	[WIRE_T_START] = "START",
	[WIRE_T_STOP] = "STOP",
	[WIRE_T_KILL] = "KILL",
	[WIRE_T_REMOVE] = "REMOVE",
	[WIRE_T_WAIT] = "WAIT",
	[WIRE_T_LIST] = "LIST",
	[WIRE_T_INSPECT] = "INSPECT",
	[WIRE_T_RESOLVE] = "RESOLVE",
	[WIRE_T_EVENTS] = "EVENTS",
	[WIRE_T_INFO] = "INFO",
	[WIRE_T_UPDATE] = "UPDATE",
	[WIRE_T_RENAME] = "RENAME",
	[WIRE_T_PAUSE] = "PAUSE",
	[WIRE_T_UNPAUSE] = "UNPAUSE",
	[WIRE_T_SHIM_STATE] = "SHIM_STATE",
	[WIRE_T_SHIM_START] = "SHIM_START",
	[WIRE_T_SHIM_KILL] = "SHIM_KILL",
	[WIRE_T_SHIM_PIDS] = "SHIM_PIDS",
	[WIRE_T_SHIM_WAIT] = "SHIM_WAIT",
	[WIRE_T_SHIM_DELETE] = "SHIM_DELETE",
	[WIRE_T_SHIM_SHUTDOWN] = "SHIM_SHUTDOWN",
	[WIRE_T_SHIM_STOP] = "SHIM_STOP",
	[WIRE_T_SHIM_ATTACH] = "SHIM_ATTACH",
	[WIRE_T_SHIM_EXEC] = "SHIM_EXEC",
	[WIRE_T_SHIM_UPDATE] = "SHIM_UPDATE",
	[WIRE_T_SHIM_PAUSE] = "SHIM_PAUSE",
	[WIRE_T_SHIM_RESUME] = "SHIM_RESUME",
	[WIRE_T_IMAGE_LOAD] = "IMAGE_LOAD",
	[WIRE_T_IMAGE_IMPORT] = "IMAGE_IMPORT",
	[WIRE_T_IMAGE_SAVE] = "IMAGE_SAVE",
	[WIRE_T_IMAGE_LIST] = "IMAGE_LIST",
	[WIRE_T_IMAGE_INSPECT] = "IMAGE_INSPECT",
	[WIRE_T_IMAGE_TAG] = "IMAGE_TAG",
	[WIRE_T_IMAGE_REMOVE] = "IMAGE_REMOVE",
	[WIRE_T_IMAGE_PRUNE] = "IMAGE_PRUNE",
	[WIRE_T_IMAGE_HISTORY] = "IMAGE_HISTORY",
};

/* Names of field tags, indexed by value; NULL where no tag is defined. */
static const char *const tag_names[] = {
	[WIRE_F_TOKEN] = "TOKEN",
	[WIRE_F_MSG] = "MSG",
	[WIRE_F_CODE] = "CODE",
	[WIRE_F_ID] = "ID",
	[WIRE_F_NAME] = "NAME",
	[WIRE_F_REF] = "REF",
	[WIRE_F_JSON] = "JSON",
	[WIRE_F_SIGNAL] = "SIGNAL",
	[WIRE_F_TIMEOUT_MS] = "TIMEOUT_MS",
	[WIRE_F_FORCE] = "FORCE",
	[WIRE_F_ALL] = "ALL",
	[WIRE_F_EXIT_CODE] = "EXIT_CODE",
	[WIRE_F_STREAM] = "STREAM",
	[WIRE_F_DATA] = "DATA",
	[WIRE_F_NFDS] = "NFDS",
	[WIRE_F_ARGV] = "ARGV",
	[WIRE_F_ADDR] = "ADDR",
	[WIRE_F_PID] = "PID",
	[WIRE_F_SINCE] = "SINCE",
	[WIRE_F_UNTIL] = "UNTIL",
	[WIRE_F_FILTER] = "FILTER",
	[WIRE_F_ROWS] = "ROWS",
	[WIRE_F_COLS] = "COLS",
	[WIRE_F_STREAMS] = "STREAMS",
	[WIRE_F_STATUS] = "STATUS",
	[WIRE_F_PREPARE] = "PREPARE",
	[WIRE_F_PRINTED] = "PRINTED",
	[WIRE_F_TTY] = "TTY",
	[WIRE_F_COUNT] = "COUNT",
	[WIRE_F_RUN] = "RUN",
	[WIRE_F_FOREVER] = "FOREVER",
	[WIRE_F_SHUTDOWN] = "SHUTDOWN",
};

bool wire_type_known(uint16_t type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type];
}

const char *wire_type_name(uint16_t type)
{
	return wire_type_known(type) ? type_names[type] : "unknown";
}

const char *wire_tag_name(uint16_t tag)
{
	if (tag < sizeof(tag_names) / sizeof(tag_names[0]) && tag_names[tag])
		return tag_names[tag];
	return "unknown";
}

int wire_decode(const uint8_t *p, size_t n, size_t max_frame, struct wire_frame *f, size_t *used,
		struct kerr *err)
{
	if (n < WIRE_HDR_LEN)
		return 0;

	uint32_t len = buf_get_le32(p);
	/* The cap covers the header too; decided before waiting for a single payload byte,
	 * so a hostile length never makes anyone buffer toward it. */
	if ((uint64_t)len + WIRE_HDR_LEN > max_frame) {
		if (len > max_frame)
			return kerr_set(err, 0, "frame length %" PRIu32 " exceeds limit %zu", len,
					max_frame);
		return kerr_set(err, 0,
				"frame length %" PRIu32 " plus %d-byte header exceeds limit %zu",
				len, WIRE_HDR_LEN, max_frame);
	}

	uint16_t type = buf_get_le16(p + 8);
	if (!wire_type_known(type))
		return kerr_set(err, 0, "unknown message type %" PRIu16, type);

	if (n - WIRE_HDR_LEN < len)
		return 0;

	f->len = len;
	f->reqid = buf_get_le32(p + 4);
	f->type = type;
	f->flags = buf_get_le16(p + 10);
	f->nfields = 0;

	const uint8_t *q = p + WIRE_HDR_LEN;
	size_t left = len;
	while (left > 0) {
		if (left < FIELD_HDR_LEN)
			return kerr_set(err, 0,
					"truncated field header: %zu bytes left in payload, "
					"%d needed",
					left, FIELD_HDR_LEN);
		uint16_t tag = buf_get_le16(q);
		uint32_t flen = buf_get_le32(q + 2);
		q += FIELD_HDR_LEN;
		left -= FIELD_HDR_LEN;
		if (flen > left)
			return kerr_set(err, 0,
					"field tag %" PRIu16 " length %" PRIu32
					" runs past payload (%zu bytes left of %" PRIu32 ")",
					tag, flen, left, len);
		if (f->nfields == WIRE_FIELDS_MAX)
			return kerr_set(err, 0, "frame has more than %d fields", WIRE_FIELDS_MAX);
		for (uint16_t i = 0; i < f->nfields; i++) {
			if (f->fields[i].tag == tag)
				return kerr_set(err, 0, "duplicate field tag %" PRIu16, tag);
		}
		f->fields[f->nfields++] = (struct wire_field){ .tag = tag, .len = flen, .val = q };
		q += flen;
		left -= flen;
	}
	*used = WIRE_HDR_LEN + (size_t)len;
	return 1;
}

const struct wire_field *wire_find(const struct wire_frame *f, uint16_t tag)
{
	for (uint16_t i = 0; i < f->nfields && i < WIRE_FIELDS_MAX; i++) {
		if (f->fields[i].tag == tag)
			return &f->fields[i];
	}
	return NULL;
}

/* Common start of every getter: 1 with *fld, 0 when absent and optional, -1 otherwise. */
static int get_field(const struct wire_frame *f, uint16_t tag, bool required,
		     const struct wire_field **fld, struct kerr *err)
{
	*fld = wire_find(f, tag);
	if (*fld)
		return 1;
	if (required)
		return kerr_set(err, 0, "%s frame lacks required field %s (%" PRIu16 ")",
				wire_type_name(f->type), wire_tag_name(tag), tag);
	return 0;
}

int wire_get_u32(const struct wire_frame *f, uint16_t tag, bool required, uint32_t *out,
		 struct kerr *err)
{
	const struct wire_field *fld;
	int r = get_field(f, tag, required, &fld, err);
	if (r <= 0)
		return r;
	if (fld->len != 4)
		return kerr_set(err, 0, "field %s (%" PRIu16 "): u32 must be 4 bytes, got %" PRIu32,
				wire_tag_name(tag), tag, fld->len);
	*out = buf_get_le32(fld->val);
	return 1;
}

int wire_get_u64(const struct wire_frame *f, uint16_t tag, bool required, uint64_t *out,
		 struct kerr *err)
{
	const struct wire_field *fld;
	int r = get_field(f, tag, required, &fld, err);
	if (r <= 0)
		return r;
	if (fld->len != 8)
		return kerr_set(err, 0, "field %s (%" PRIu16 "): u64 must be 8 bytes, got %" PRIu32,
				wire_tag_name(tag), tag, fld->len);
	*out = buf_get_le64(fld->val);
	return 1;
}

/* A str field's value: no NUL byte and shorter than cap (room for a terminator). */
static int check_str(const struct wire_field *fld, uint16_t tag, size_t cap, struct kerr *err)
{
	const uint8_t *nul = fld->len ? memchr(fld->val, 0, fld->len) : NULL;
	if (nul)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): string has a NUL byte at offset %zu, "
				"strings may not contain NUL",
				wire_tag_name(tag), tag, (size_t)(nul - fld->val));
	if (cap == 0 || fld->len > cap - 1)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): string of %" PRIu32
				" bytes exceeds limit %zu",
				wire_tag_name(tag), tag, fld->len, cap ? cap - 1 : 0);
	return 0;
}

int wire_get_str(const struct wire_frame *f, uint16_t tag, bool required, char *dst, size_t cap,
		 struct kerr *err)
{
	const struct wire_field *fld;
	int r = get_field(f, tag, required, &fld, err);
	if (r <= 0)
		return r;
	if (check_str(fld, tag, cap, err) < 0)
		return -1;
	if (fld->len)
		memcpy(dst, fld->val, fld->len);
	dst[fld->len] = '\0';
	return 1;
}

int wire_get_str_view(const struct wire_frame *f, uint16_t tag, bool required, size_t max,
		      const uint8_t **p, size_t *len, struct kerr *err)
{
	const struct wire_field *fld;
	int r = get_field(f, tag, required, &fld, err);
	if (r <= 0)
		return r;
	if (check_str(fld, tag, max == SIZE_MAX ? SIZE_MAX : max + 1, err) < 0)
		return -1;
	*p = fld->val;
	*len = fld->len;
	return 1;
}

int wire_get_bytes(const struct wire_frame *f, uint16_t tag, bool required, const uint8_t **p,
		   size_t *len, struct kerr *err)
{
	const struct wire_field *fld;
	int r = get_field(f, tag, required, &fld, err);
	if (r <= 0)
		return r;
	*p = fld->val;
	*len = fld->len;
	return 1;
}

/* Walks a whole strv field: the count is within WIRE_STRV_MAX, every item fits, no item
 * holds a NUL, and the items tile the field exactly. */
static int strv_check(const struct wire_field *fld, uint32_t *count, struct kerr *err)
{
	if (fld->len < 4)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): string vector of %" PRIu32
				" bytes lacks its 4-byte count",
				wire_tag_name(fld->tag), fld->tag, fld->len);
	uint32_t cnt = buf_get_le32(fld->val);
	if (cnt > WIRE_STRV_MAX)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): string vector count %" PRIu32
				" exceeds limit %d",
				wire_tag_name(fld->tag), fld->tag, cnt, WIRE_STRV_MAX);
	size_t off = 4;
	for (uint32_t i = 0; i < cnt; i++) {
		if (fld->len - off < 4)
			return kerr_set(err, 0,
					"field %s (%" PRIu16 "): string vector item %" PRIu32
					" of %" PRIu32 " lacks its length (%zu bytes left)",
					wire_tag_name(fld->tag), fld->tag, i, cnt,
					(size_t)(fld->len - off));
		uint32_t ilen = buf_get_le32(fld->val + off);
		off += 4;
		if (ilen > fld->len - off)
			return kerr_set(err, 0,
					"field %s (%" PRIu16 "): string vector item %" PRIu32
					" length %" PRIu32 " runs past the field (%zu bytes left)",
					wire_tag_name(fld->tag), fld->tag, i, ilen,
					(size_t)(fld->len - off));
		if (ilen && memchr(fld->val + off, 0, ilen))
			return kerr_set(err, 0,
					"field %s (%" PRIu16 "): string vector item %" PRIu32
					" has a NUL byte, strings may not contain NUL",
					wire_tag_name(fld->tag), fld->tag, i);
		off += ilen;
	}
	if (off != fld->len)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): %zu trailing bytes after %" PRIu32
				" string vector items",
				wire_tag_name(fld->tag), fld->tag, (size_t)(fld->len - off), cnt);
	*count = cnt;
	return 0;
}

int wire_strv_count(const struct wire_field *fld, uint32_t *count, struct kerr *err)
{
	return strv_check(fld, count, err);
}

int wire_strv_next(const struct wire_field *fld, size_t *off, const uint8_t **item, size_t *len,
		   struct kerr *err)
{
	if (*off == 0) {
		/* Validate the whole field once, so a bad tail fails before any item is used. */
		uint32_t cnt;
		if (strv_check(fld, &cnt, err) < 0)
			return -1;
		*off = 4;
	}
	if (*off == fld->len)
		return 0;
	if (*off > fld->len || fld->len - *off < 4)
		return kerr_set(err, 0,
				"field %s (%" PRIu16
				"): string vector offset %zu is not at an item",
				wire_tag_name(fld->tag), fld->tag, *off);
	uint32_t ilen = buf_get_le32(fld->val + *off);
	if (ilen > fld->len - *off - 4)
		return kerr_set(err, 0,
				"field %s (%" PRIu16 "): string vector item length %" PRIu32
				" runs past the field",
				wire_tag_name(fld->tag), fld->tag, ilen);
	*item = fld->val + *off + 4;
	*len = ilen;
	*off += 4 + (size_t)ilen;
	return 1;
}

/* Encoder */

void wire_enc_begin(struct wire_enc *e, struct buf *b, uint16_t type, uint32_t reqid,
		    uint16_t flags)
{
	*e = (struct wire_enc){ .b = b, .start = b->len, .failed = false };
	kerr_clear(&e->err);
	if (!wire_type_known(type)) {
		kerr_set(&e->err, 0, "encode frame: unknown message type %" PRIu16, type);
		e->failed = true;
		return;
	}
	uint8_t hdr[WIRE_HDR_LEN];
	buf_put_le32(hdr, 0); /* patched by wire_enc_end */
	buf_put_le32(hdr + 4, reqid);
	buf_put_le16(hdr + 8, type);
	buf_put_le16(hdr + 10, flags);
	if (buf_append(b, hdr, sizeof(hdr), &e->err) < 0) {
		kerr_wrap(&e->err, "encode %s frame", wire_type_name(type));
		e->failed = true;
	}
}

/* Marks the encoder failed after e->err was set; the context names the frame. */
static bool enc_fail(struct wire_enc *e)
{
	kerr_wrap(&e->err, "encode %s frame",
		  wire_type_name(buf_get_le16(e->b->data + e->start + 8)));
	e->failed = true;
	return false;
}

/* Checks that one more field of n payload bytes keeps the frame decodable, and makes
 * room for it. The frame written so far is our own output, so walking it is safe. */
static bool enc_room(struct wire_enc *e, uint16_t tag, size_t n)
{
	if (e->failed)
		return false;
	const uint8_t *frame = e->b->data + e->start;
	size_t have = e->b->len - e->start;
	size_t nfields = 0;
	for (size_t off = WIRE_HDR_LEN; off < have; nfields++) {
		if (buf_get_le16(frame + off) == tag) {
			kerr_set(&e->err, 0, "duplicate field tag %" PRIu16, tag);
			return enc_fail(e);
		}
		off += FIELD_HDR_LEN + buf_get_le32(frame + off + 2);
	}
	if (nfields >= WIRE_FIELDS_MAX) {
		kerr_set(&e->err, 0, "frame has more than %d fields", WIRE_FIELDS_MAX);
		return enc_fail(e);
	}
	if (n > KETTLE_FRAME_MAX || have + FIELD_HDR_LEN + n > KETTLE_FRAME_MAX) {
		kerr_set(&e->err, 0,
			 "field %s (%" PRIu16 "): frame would exceed limit %u bytes (%zu bytes so "
			 "far, field of %zu)",
			 wire_tag_name(tag), tag, KETTLE_FRAME_MAX, have, n);
		return enc_fail(e);
	}
	if (buf_reserve(e->b, FIELD_HDR_LEN + n, &e->err) < 0)
		return enc_fail(e);
	return true;
}

/* Appends a field header; room was reserved by enc_room, so appends cannot fail. */
static void enc_field_hdr(struct wire_enc *e, uint16_t tag, size_t n)
{
	uint8_t fh[FIELD_HDR_LEN];
	buf_put_le16(fh, tag);
	buf_put_le32(fh + 2, (uint32_t)n);
	buf_append(e->b, fh, sizeof(fh), &e->err);
}

void wire_enc_bytes(struct wire_enc *e, uint16_t tag, const void *p, size_t n)
{
	if (!enc_room(e, tag, n))
		return;
	enc_field_hdr(e, tag, n);
	if (n)
		buf_append(e->b, p, n, &e->err);
}

void wire_enc_u32(struct wire_enc *e, uint16_t tag, uint32_t v)
{
	uint8_t raw[4];
	buf_put_le32(raw, v);
	wire_enc_bytes(e, tag, raw, sizeof(raw));
}

void wire_enc_u64(struct wire_enc *e, uint16_t tag, uint64_t v)
{
	uint8_t raw[8];
	buf_put_le64(raw, v);
	wire_enc_bytes(e, tag, raw, sizeof(raw));
}

void wire_enc_str(struct wire_enc *e, uint16_t tag, const char *s)
{
	if (e->failed)
		return;
	if (!s) {
		kerr_set(&e->err, 0, "field %s (%" PRIu16 "): NULL string", wire_tag_name(tag),
			 tag);
		enc_fail(e);
		return;
	}
	wire_enc_bytes(e, tag, s, strlen(s));
}

void wire_enc_strv(struct wire_enc *e, uint16_t tag, char *const *v, size_t n)
{
	if (e->failed)
		return;
	if (n > WIRE_STRV_MAX) {
		kerr_set(&e->err, 0,
			 "field %s (%" PRIu16 "): string vector of %zu items exceeds limit %d",
			 wire_tag_name(tag), tag, n, WIRE_STRV_MAX);
		enc_fail(e);
		return;
	}
	size_t total = 4;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]) {
			kerr_set(&e->err, 0,
				 "field %s (%" PRIu16 "): string vector item %zu is NULL",
				 wire_tag_name(tag), tag, i);
			enc_fail(e);
			return;
		}
		/* Stop adding once past the cap, so total cannot wrap; enc_room reports it. */
		if (total <= KETTLE_FRAME_MAX)
			total += 4 + strlen(v[i]);
	}
	if (!enc_room(e, tag, total))
		return;
	enc_field_hdr(e, tag, total);
	uint8_t raw[4];
	buf_put_le32(raw, (uint32_t)n);
	buf_append(e->b, raw, sizeof(raw), &e->err);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]);
		buf_put_le32(raw, (uint32_t)len);
		buf_append(e->b, raw, sizeof(raw), &e->err);
		if (len)
			buf_append(e->b, v[i], len, &e->err);
	}
}

int wire_enc_end(struct wire_enc *e, struct kerr *err)
{
	if (e->failed) {
		/* Drop whatever part of the frame made it in: the buf is as we found it. */
		if (e->b->len > e->start)
			e->b->len = e->start;
		*err = e->err;
		return -1;
	}
	buf_put_le32(e->b->data + e->start, (uint32_t)(e->b->len - e->start - WIRE_HDR_LEN));
	return 0;
}
