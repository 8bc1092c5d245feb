/*
 * request_test: unit tests of the request table and checker (test layer, tests
 * src/ipc/request.c).
 *
 * Walks the table: for every request type, frames built with the wire encoders and
 * decoded back carry each field at its lowest and highest allowed value (pass), without
 * each required field, with each field of the wrong length or type, and with each limit
 * crossed by one (fail, with a message naming the field). Then the frames kettle's own
 * client and daemon send, unknown types and tags, and the strv kind.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipc/request.h"

/* What build() puts in a field. */
enum variant {
	V_MIN,	  /* lowest allowed value; a 1-byte string (0 bytes when max is 0) */
	V_MAX,	  /* highest allowed value; a string of max bytes */
	V_ABSENT, /* not encoded */
	V_BELOW,  /* min - 1 (only when min > 0) */
	V_ABOVE,  /* max + 1 (only where it fits the type and a frame) */
	V_WRONG,  /* wrong length for a number, a NUL inside a str, a bad strv */
};

static struct buf b;	    /* encoded frame; decoded frames point into it */
static struct wire_frame f; /* the frame build() decoded */

/* Encodes type with field k set to variant v and every other field at V_MIN (or absent
 * when others_absent and optional), then decodes it into f. Returns 0, -1 when the frame
 * cannot be encoded (too big), -2 when it does not decode back whole. */
static int build(uint16_t type, size_t k, enum variant v, bool others_absent)
{
	size_t n;
	const struct request_field *fl = request_fields(type, &n);
	struct wire_enc e;
	struct kerr err;
	size_t used;

	buf_done(&b);
	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, type, 7, 0);
	for (size_t i = 0; i < n; i++) {
		const struct request_field *fld = &fl[i];
		enum variant w = i == k ? v : V_MIN;
		size_t slen;

		if (i != k && others_absent && !fld->required)
			continue;
		if (w == V_ABSENT)
			continue;
		switch (fld->kind) {
		case REQUEST_U32:
		case REQUEST_U64: {
			uint64_t val = w == V_MIN     ? fld->min
				       : w == V_MAX   ? fld->max
				       : w == V_BELOW ? fld->min - 1
						      : fld->max + 1;
			if (w == V_WRONG) {
				/* 3 bytes for a u32, 4 for a u64 */
				wire_enc_bytes(&e, fld->tag, "\1\0\0\0",
					       fld->kind == REQUEST_U32 ? 3 : 4);
			} else if (fld->kind == REQUEST_U32) {
				wire_enc_u32(&e, fld->tag, (uint32_t)val);
			} else {
				wire_enc_u64(&e, fld->tag, val);
			}
			break;
		}
		case REQUEST_STR:
		case REQUEST_BYTES: {
			slen = w == V_MIN   ? (fld->max ? 1 : 0)
			       : w == V_MAX ? fld->max
					    : fld->max + 1;
			if (w == V_WRONG) {
				wire_enc_bytes(&e, fld->tag, "a\0b", 3);
				break;
			}
			char *s = malloc(slen + 1);
			if (!s)
				return -2;
			memset(s, 'x', slen);
			wire_enc_bytes(&e, fld->tag, s, slen);
			free(s);
			break;
		}
		default:
			break;
		}
	}
	if (wire_enc_end(&e, &err) < 0)
		return -1;
	if (wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err) != 1 || used != b.len)
		return -2;
	return 0;
}

#define BUILD(t, k, v, abs) ASSERT_EQ(build((t), (k), (v), (abs)), 0)

/* The check fails and the message names the field's tag. */
#define ASSERT_REFUSED(tag)                                                                        \
	do {                                                                                       \
		struct kerr rerr = { 0 };                                                          \
		ASSERT_EQ(request_check(&f, &rerr), -1);                                           \
		ASSERT(rerr.msg[0] != '\0');                                                       \
		ASSERT_CONTAINS(rerr.msg, wire_tag_name(tag));                                     \
	} while (0)

#define ASSERT_PASSES()                                                                            \
	do {                                                                                       \
		struct kerr perr = { 0 };                                                          \
		int prc = request_check(&f, &perr);                                                \
		if (prc != 0)                                                                      \
			HARNESS_FAIL("type %s refused: %s", wire_type_name(f.type), perr.msg);     \
	} while (0)

TEST(every_type_valid_frames_pass)
{
	size_t nt;
	const uint16_t *types = request_types(&nt);

	ASSERT_EQ(nt, 3 + 15 + 13 + 9);
	for (size_t t = 0; t < nt; t++) {
		size_t n;
		const struct request_field *fl = request_fields(types[t], &n);

		ASSERT(fl != NULL);
		/* every field at its lowest, then each at its highest, then required only */
		BUILD(types[t], SIZE_MAX, V_MIN, false);
		ASSERT_PASSES();
		BUILD(types[t], SIZE_MAX, V_MIN, true);
		ASSERT_PASSES();
		for (size_t k = 0; k < n; k++) {
			BUILD(types[t], k, V_MAX, false);
			ASSERT_PASSES();
		}
	}
}

TEST(every_required_field_missing_fails)
{
	size_t nt, required = 0;
	const uint16_t *types = request_types(&nt);

	for (size_t t = 0; t < nt; t++) {
		size_t n;
		const struct request_field *fl = request_fields(types[t], &n);

		for (size_t k = 0; k < n; k++) {
			BUILD(types[t], k, V_ABSENT, false);
			if (!fl[k].required) {
				ASSERT_PASSES();
				continue;
			}
			required++;
			ASSERT_REFUSED(fl[k].tag);
			struct kerr err;
			ASSERT_EQ(request_check(&f, &err), -1);
			ASSERT_CONTAINS(err.msg, "frame lacks required field");
		}
	}
	/* REF x 11, JSON x 4, NAME, DATA, ROWS, COLS, SIGNAL; images: REF x 4, NAME, JSON,
	   NFDS x 3 */
	ASSERT_EQ(required, 11 + 4 + 5 + 9);
}

TEST(every_field_of_the_wrong_type_fails)
{
	size_t nt;
	const uint16_t *types = request_types(&nt);

	for (size_t t = 0; t < nt; t++) {
		size_t n;
		const struct request_field *fl = request_fields(types[t], &n);

		for (size_t k = 0; k < n; k++) {
			if (fl[k].kind == REQUEST_BYTES)
				continue; /* bytes are anything */
			BUILD(types[t], k, V_WRONG, false);
			ASSERT_REFUSED(fl[k].tag);
		}
	}
}

TEST(every_limit_plus_or_minus_one)
{
	size_t nt, crossed = 0;
	const uint16_t *types = request_types(&nt);

	for (size_t t = 0; t < nt; t++) {
		size_t n;
		const struct request_field *fl = request_fields(types[t], &n);

		for (size_t k = 0; k < n; k++) {
			const struct request_field *fld = &fl[k];
			uint64_t top = fld->kind == REQUEST_U32 ? UINT32_MAX : UINT64_MAX;

			if (fld->kind == REQUEST_U32 || fld->kind == REQUEST_U64) {
				if (fld->min > 0) {
					BUILD(types[t], k, V_BELOW, false);
					ASSERT_REFUSED(fld->tag);
					crossed++;
				}
				if (fld->max < top) {
					BUILD(types[t], k, V_ABOVE, false);
					ASSERT_REFUSED(fld->tag);
					crossed++;
				}
				continue;
			}
			/* str and bytes: max + 1 bytes, where a frame can carry them */
			int rc = build(types[t], k, V_ABOVE, true);
			if (rc == -1) {
				ASSERT_EQ(fld->kind,
					  REQUEST_BYTES); /* STDIN DATA: the frame's cap */
				continue;
			}
			ASSERT_EQ(rc, 0);
			ASSERT_REFUSED(fld->tag);
			crossed++;
		}
	}
	ASSERT(crossed >= 30);
}

TEST(messages_say_what_was_wrong_and_what_is_allowed)
{
	struct kerr err;
	size_t n;
	const struct request_field *fl = request_fields(WIRE_T_KILL, &n);

	ASSERT_EQ(n, 2);
	ASSERT_EQ(fl[1].tag, WIRE_F_SIGNAL);
	BUILD(WIRE_T_KILL, 1, V_BELOW, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field SIGNAL (8) is 0; allowed: 1..64");
	BUILD(WIRE_T_KILL, 1, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field SIGNAL (8) is 65; allowed: 1..64");
	BUILD(WIRE_T_KILL, 0, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field REF (6): string of 256 bytes exceeds limit 255");
	BUILD(WIRE_T_KILL, 0, V_ABSENT, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "KILL frame lacks required field REF (6)");
	BUILD(WIRE_T_KILL, 1, V_WRONG, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field SIGNAL (8): u32 must be 4 bytes, got 3");

	fl = request_fields(WIRE_T_REMOVE, &n);
	ASSERT_EQ(fl[1].tag, WIRE_F_FORCE);
	BUILD(WIRE_T_REMOVE, 1, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field FORCE (10) is 2; allowed: 0 or 1");

	fl = request_fields(WIRE_T_STOP, &n);
	ASSERT_EQ(fl[1].tag, WIRE_F_TIMEOUT_MS);
	BUILD(WIRE_T_STOP, 1, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field TIMEOUT_MS (9) is 86400001; allowed: 0..86400000");

	fl = request_fields(WIRE_T_CREATE, &n);
	ASSERT_EQ(fl[0].tag, WIRE_F_JSON);
	BUILD(WIRE_T_CREATE, 0, V_WRONG, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(
		err.msg,
		"field JSON (7): string has a NUL byte at offset 1, strings may not contain NUL");
	BUILD(WIRE_T_CREATE, 0, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field JSON (7): string of 524289 bytes exceeds limit 524288");

	fl = request_fields(WIRE_T_SHIM_ATTACH, &n);
	ASSERT_EQ(fl[0].tag, WIRE_F_STREAMS);
	BUILD(WIRE_T_SHIM_ATTACH, 0, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg,
		     "field STREAMS (24) is 8; allowed: bits 1 stdout, 2 stderr, 4 stdin (0..7)");

	fl = request_fields(WIRE_T_RESIZE, &n);
	BUILD(WIRE_T_RESIZE, 1, V_ABOVE, false);
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "field COLS (23) is 4097; allowed: 1..4096");
}

/* A frame of type with the given fields, through the encoders (what kettle sends). */
#define KETTLE_SENDS(type, ...)                                                                    \
	do {                                                                                       \
		struct wire_enc e;                                                                 \
		struct kerr kerr_;                                                                 \
		size_t used;                                                                       \
		buf_done(&b);                                                                      \
		buf_init(&b, KETTLE_FRAME_MAX);                                                    \
		wire_enc_begin(&e, &b, (type), 1, 0);                                              \
		__VA_ARGS__;                                                                       \
		ASSERT_EQ(wire_enc_end(&e, &kerr_), 0);                                            \
		ASSERT_EQ(wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &kerr_), 1);     \
		ASSERT_PASSES();                                                                   \
	} while (0)

TEST(what_kettle_sends_passes)
{
	static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	/* client -> daemon (client_run, client_lifecycle, client_ops, client_events, ...) */
	KETTLE_SENDS(WIRE_T_CREATE, wire_enc_bytes(&e, WIRE_F_JSON, "{\"args\":[\"sh\"]}", 15);
		     wire_enc_u32(&e, WIRE_F_RUN, 1));
	KETTLE_SENDS(WIRE_T_START, wire_enc_str(&e, WIRE_F_REF, id));
	KETTLE_SENDS(WIRE_T_START, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u32(&e, WIRE_F_PREPARE, 1));
	KETTLE_SENDS(WIRE_T_STOP, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, 10000));
	KETTLE_SENDS(WIRE_T_STOP, wire_enc_str(&e, WIRE_F_REF, "web"));
	KETTLE_SENDS(WIRE_T_KILL, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u32(&e, WIRE_F_SIGNAL, 15));
	KETTLE_SENDS(WIRE_T_REMOVE, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u32(&e, WIRE_F_FORCE, 1));
	KETTLE_SENDS(WIRE_T_WAIT, wire_enc_str(&e, WIRE_F_REF, "w"));
	KETTLE_SENDS(WIRE_T_LIST, wire_enc_u32(&e, WIRE_F_ALL, 1));
	KETTLE_SENDS(WIRE_T_INSPECT, wire_enc_str(&e, WIRE_F_REF, "0123"));
	KETTLE_SENDS(WIRE_T_RESOLVE, wire_enc_str(&e, WIRE_F_REF, "web"));
	KETTLE_SENDS(WIRE_T_EVENTS, wire_enc_u64(&e, WIRE_F_SINCE, 1700000000000000000ull);
		     wire_enc_u64(&e, WIRE_F_UNTIL, 1800000000000000000ull);
		     wire_enc_str(&e, WIRE_F_FILTER, "container=web\nevent=exit"));
	KETTLE_SENDS(WIRE_T_INFO, (void)0);
	KETTLE_SENDS(WIRE_T_UPDATE, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_bytes(&e, WIRE_F_JSON, "{\"memory\":1048576}", 18));
	KETTLE_SENDS(WIRE_T_RENAME, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_str(&e, WIRE_F_NAME, "web2"));
	KETTLE_SENDS(WIRE_T_PAUSE, wire_enc_str(&e, WIRE_F_REF, "web"));
	KETTLE_SENDS(WIRE_T_UNPAUSE, wire_enc_str(&e, WIRE_F_REF, "web"));
	/* images (client_images.c, client_imgio.c) */
	KETTLE_SENDS(WIRE_T_IMAGE_LOAD, wire_enc_u32(&e, WIRE_F_NFDS, 2));
	KETTLE_SENDS(WIRE_T_IMAGE_IMPORT, wire_enc_u32(&e, WIRE_F_NFDS, 1);
		     wire_enc_str(&e, WIRE_F_REF, "me/app:1"); wire_enc_str(&e, WIRE_F_MSG, "hi"));
	KETTLE_SENDS(WIRE_T_IMAGE_SAVE,
		     wire_enc_str(&e, WIRE_F_JSON, "{\"images\":[\"busybox\"],\"format\":\"oci\"}");
		     wire_enc_u32(&e, WIRE_F_NFDS, 1));
	KETTLE_SENDS(WIRE_T_IMAGE_LIST, wire_enc_u32(&e, WIRE_F_ALL, 0));
	KETTLE_SENDS(WIRE_T_IMAGE_INSPECT, wire_enc_str(&e, WIRE_F_REF, "busybox"));
	KETTLE_SENDS(WIRE_T_IMAGE_TAG, wire_enc_str(&e, WIRE_F_REF, "busybox");
		     wire_enc_str(&e, WIRE_F_NAME, "me/box:v2"));
	KETTLE_SENDS(WIRE_T_IMAGE_REMOVE, wire_enc_str(&e, WIRE_F_REF, "busybox");
		     wire_enc_u32(&e, WIRE_F_FORCE, 1));
	KETTLE_SENDS(WIRE_T_IMAGE_PRUNE, wire_enc_u32(&e, WIRE_F_ALL, 1));
	KETTLE_SENDS(WIRE_T_IMAGE_HISTORY, wire_enc_str(&e, WIRE_F_REF, "sha256:0123"));
	/* daemon -> shim (daemon_shim.c encode_req) and client -> shim */
	KETTLE_SENDS(WIRE_T_EVENTS, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_STATE, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_START, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_KILL, wire_enc_u32(&e, WIRE_F_SIGNAL, 9);
		     wire_enc_u32(&e, WIRE_F_ALL, 0));
	KETTLE_SENDS(WIRE_T_SHIM_PIDS, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_WAIT, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_DELETE, wire_enc_u32(&e, WIRE_F_FORCE, 1));
	KETTLE_SENDS(WIRE_T_SHIM_SHUTDOWN, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_STOP, wire_enc_u32(&e, WIRE_F_SIGNAL, 15);
		     wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, 1));
	KETTLE_SENDS(WIRE_T_SHIM_ATTACH, wire_enc_u32(&e, WIRE_F_STREAMS, 7));
	KETTLE_SENDS(WIRE_T_SHIM_EXEC, wire_enc_bytes(&e, WIRE_F_JSON, "{\"args\":[\"ls\"]}", 15);
		     wire_enc_u32(&e, WIRE_F_NFDS, 3));
	KETTLE_SENDS(WIRE_T_SHIM_UPDATE,
		     wire_enc_str(&e, WIRE_F_JSON, "{\"resources\":{\"pids\":{\"limit\":-1}}}"));
	KETTLE_SENDS(WIRE_T_SHIM_PAUSE, (void)0);
	KETTLE_SENDS(WIRE_T_SHIM_RESUME, (void)0);
	/* in-stream: an empty STDIN is EOF */
	KETTLE_SENDS(WIRE_T_STDIN, wire_enc_bytes(&e, WIRE_F_DATA, "ls\n", 3));
	KETTLE_SENDS(WIRE_T_STDIN, wire_enc_bytes(&e, WIRE_F_DATA, "", 0));
	KETTLE_SENDS(WIRE_T_RESIZE, wire_enc_u32(&e, WIRE_F_ROWS, 24);
		     wire_enc_u32(&e, WIRE_F_COLS, 80));
	KETTLE_SENDS(WIRE_T_SIGNAL, wire_enc_u32(&e, WIRE_F_SIGNAL, 2));
}

TEST(unknown_and_unlisted_tags_are_skipped)
{
	/* A newer peer's tag, and a known tag START does not list: both ignored. */
	KETTLE_SENDS(WIRE_T_START, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_bytes(&e, 999, "\0\0", 2); wire_enc_bytes(&e, WIRE_F_NAME, "\0", 1));
	KETTLE_SENDS(WIRE_T_INFO, wire_enc_u32(&e, 65535, 1));
}

TEST(types_that_are_no_request)
{
	static const uint16_t others[] = { 0,	       WIRE_T_AUTH, WIRE_T_OK,	  WIRE_T_ERROR,
					   WIRE_T_END, WIRE_T_DATA, WIRE_T_EVENT, WIRE_T_STDIN_ACK,
					   11,	       31,	    47,		  63,
					   77,	       1000,	    65535 };
	struct kerr err;
	size_t n = 99;

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		ASSERT(request_fields(others[i], &n) == NULL);
		ASSERT_EQ(n, 0);
		ASSERT_EQ(request_servers(others[i]), 0);
		f = (struct wire_frame){ .type = others[i] };
		ASSERT_EQ(request_check(&f, &err), -1);
		ASSERT_CONTAINS(
			err.msg,
			"is not a request; requests are types 7..9, 32..46, 64..76 and 80..88");
	}
	f = (struct wire_frame){ .type = WIRE_T_OK };
	ASSERT_EQ(request_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "message type OK (2) is not a request; requests are types 7..9, "
			      "32..46, 64..76 and 80..88");
}

TEST(table_and_type_list_agree)
{
	size_t nt, at = 0, n;
	const uint16_t *types = request_types(&nt);

	for (uint32_t t = 0; t <= UINT16_MAX; t++) {
		bool listed = at < nt && types[at] == t;
		bool in_ranges = (t >= 7 && t <= 9) || (t >= 32 && t <= 46) ||
				 (t >= 64 && t <= 76) || (t >= 80 && t <= 88);

		ASSERT_EQ(request_fields((uint16_t)t, &n) != NULL, listed);
		ASSERT_EQ(listed, in_ranges);
		if (!listed)
			continue;
		at++;
		ASSERT(wire_type_known((uint16_t)t));
		unsigned by = request_servers((uint16_t)t);
		ASSERT(by != 0 && (by & ~(REQUEST_BY_DAEMON | REQUEST_BY_SHIM)) == 0);
		/* who serves what: the shim the SHIM_ and stream types, the daemon the rest */
		if (t == WIRE_T_EVENTS)
			ASSERT_EQ(by, REQUEST_BY_DAEMON | REQUEST_BY_SHIM);
		else if (t < 32 || (t >= 64 && t < 80))
			ASSERT_EQ(by, REQUEST_BY_SHIM);
		else
			ASSERT_EQ(by, REQUEST_BY_DAEMON);
		/* tags unique within a row, every kind known, limits sane */
		const struct request_field *fl = request_fields((uint16_t)t, &n);
		for (size_t i = 0; i < n; i++) {
			ASSERT(fl[i].kind >= REQUEST_U32 && fl[i].kind <= REQUEST_STRV);
			ASSERT(fl[i].min <= fl[i].max);
			ASSERT(strcmp(wire_tag_name(fl[i].tag), "unknown") != 0);
			for (size_t j = 0; j < i; j++)
				ASSERT_NE(fl[i].tag, fl[j].tag);
		}
	}
	ASSERT_EQ(at, nt);
}

TEST(strv_kind)
{
	static char *const two[] = { "a", "b" };
	static char *const three[] = { "a", "b", "c" };
	const struct request_field argv = {
		.tag = WIRE_F_ARGV, .kind = REQUEST_STRV, .required = true, .max = 2
	};
	struct kerr err;

	KETTLE_SENDS(WIRE_T_INFO, wire_enc_strv(&e, WIRE_F_ARGV, two, 2));
	ASSERT_EQ(request_check_field(&f, &argv, &err), 0);
	KETTLE_SENDS(WIRE_T_INFO, wire_enc_strv(&e, WIRE_F_ARGV, three, 3));
	ASSERT_EQ(request_check_field(&f, &argv, &err), -1);
	ASSERT_STREQ(err.msg, "field ARGV (16): 3 strings exceed limit 2");
	KETTLE_SENDS(WIRE_T_INFO, wire_enc_bytes(&e, WIRE_F_ARGV, "\1\0\0\0\5\0\0\0ab", 10));
	ASSERT_EQ(request_check_field(&f, &argv, &err), -1);
	ASSERT_CONTAINS(err.msg, "ARGV");
	KETTLE_SENDS(WIRE_T_INFO, (void)0);
	ASSERT_EQ(request_check_field(&f, &argv, &err), -1);
	ASSERT_STREQ(err.msg, "INFO frame lacks required field ARGV (16)");
}

TEST(bytes_limit_and_unknown_kind)
{
	const struct request_field data = {
		.tag = WIRE_F_DATA, .kind = REQUEST_BYTES, .required = true, .max = 2
	};
	const struct request_field odd = { .tag = WIRE_F_DATA, .kind = 99 };
	struct kerr err;

	KETTLE_SENDS(WIRE_T_STDIN, wire_enc_bytes(&e, WIRE_F_DATA, "abc", 3));
	ASSERT_EQ(request_check_field(&f, &data, &err), -1);
	ASSERT_STREQ(err.msg, "field DATA (14): 3 bytes exceed limit 2");
	ASSERT_EQ(request_check_field(&f, &odd, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown kind 99");
}

TEST(zz_cleanup)
{
	buf_done(&b);
}

/* stop -t -1 (issue 19): FOREVER, a flag, on STOP and on the SHIM_STOP it becomes. */
TEST(stop_forever)
{
	KETTLE_SENDS(WIRE_T_STOP, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u32(&e, WIRE_F_FOREVER, 1));
	KETTLE_SENDS(WIRE_T_SHIM_STOP, wire_enc_u32(&e, WIRE_F_SIGNAL, 15);
		     wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, 10000);
		     wire_enc_u32(&e, WIRE_F_FOREVER, 1));
	KETTLE_SENDS(WIRE_T_STOP, wire_enc_str(&e, WIRE_F_REF, "web");
		     wire_enc_u32(&e, WIRE_F_FOREVER, 0));
	ASSERT_STREQ(wire_tag_name(WIRE_F_FOREVER), "FOREVER");
}

RUN_TESTS(T(every_type_valid_frames_pass), T(every_required_field_missing_fails),
	  T(every_field_of_the_wrong_type_fails), T(every_limit_plus_or_minus_one),
	  T(messages_say_what_was_wrong_and_what_is_allowed), T(what_kettle_sends_passes),
	  T(unknown_and_unlisted_tags_are_skipped), T(types_that_are_no_request),
	  T(table_and_type_list_agree), T(stop_forever), T(strv_kind),
	  T(bytes_limit_and_unknown_kind), T(zz_cleanup))
