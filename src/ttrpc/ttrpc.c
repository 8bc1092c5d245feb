/*
 * ttrpc: TTRPC frame headers and the Request/Response messages (mechanism, pure).
 *
 * Header fields are big-endian (unlike kettle's own little-endian wire). A header is
 * checked before its data is read, so an oversized frame is known by its first ten bytes
 * and never buffered. Request metadata beyond TTRPC_MD_MAX pairs is skipped, not refused:
 * containerd sends one pair. Frames are built in place: the header's ten bytes are
 * reserved first and written once the data's length is known; a frame that fails is cut
 * off the buf again. No I/O, never logs.
 */
#include <errno.h>
#include <string.h>

#include "ttrpc/ttrpc.h"

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void ttrpc_hdr_get(const uint8_t p[TTRPC_HDR_LEN], struct ttrpc_hdr *h)
{
	h->len = get_be32(p);
	h->sid = get_be32(p + 4);
	h->type = p[8];
	h->flags = p[9];
}

void ttrpc_hdr_put(uint8_t p[TTRPC_HDR_LEN], const struct ttrpc_hdr *h)
{
	put_be32(p, h->len);
	put_be32(p + 4, h->sid);
	p[8] = h->type;
	p[9] = h->flags;
}

int ttrpc_hdr_check(const struct ttrpc_hdr *h, struct kerr *err)
{
	if (h->type < TTRPC_T_REQUEST || h->type > TTRPC_T_DATA)
		return kerr_set(err, EPROTO,
				"ttrpc: message type %u; allowed: 1 (request), "
				"2 (response), 3 (data)",
				h->type);
	if (h->len > TTRPC_MSG_MAX) {
		kerr_set(err, 0, "ttrpc: message length %u exceeds the maximum %u", h->len,
			 TTRPC_MSG_MAX);
		return kerr_set_code(err, EMSGSIZE);
	}
	if (h->type == TTRPC_T_REQUEST && !(h->sid & 1))
		return kerr_set(err, EPROTO,
				"ttrpc: request on stream %u; a client's streams are odd", h->sid);
	return 0;
}

int ttrpc_request_decode(const uint8_t *p, size_t n, struct ttrpc_request *r, struct kerr *err)
{
	struct pb_dec d, kv;
	struct pb_field f, g;
	int rc;

	*r = (struct ttrpc_request){ 0 };
	pb_dec_init(&d, p, n);
	while ((rc = pb_dec_next(&d, &f, err)) > 0) {
		switch (f.num) {
		case 1:
			rc = pb_get_bytes(&f, &r->service, err);
			break;
		case 2:
			rc = pb_get_bytes(&f, &r->method, err);
			break;
		case 3:
			rc = pb_get_bytes(&f, &r->payload, err);
			break;
		case 4:
			rc = pb_get_i64(&f, &r->timeout_ns, err);
			break;
		case 5:
			rc = pb_get_msg(&f, &kv, err);
			if (rc < 0 || r->nmd >= TTRPC_MD_MAX)
				break;
			struct ttrpc_kv *m = &r->md[r->nmd];
			*m = (struct ttrpc_kv){ 0 };
			while ((rc = pb_dec_next(&kv, &g, err)) > 0) {
				if (g.num == 1 && pb_get_bytes(&g, &m->key, err) < 0)
					return kerr_wrap(err, "ttrpc request metadata");
				if (g.num == 2 && pb_get_bytes(&g, &m->val, err) < 0)
					return kerr_wrap(err, "ttrpc request metadata");
			}
			if (rc == 0)
				r->nmd++;
			break;
		default:
			rc = 0; /* unknown fields are skipped */
			break;
		}
		if (rc < 0)
			return kerr_wrap(err, "ttrpc request");
	}
	if (rc < 0)
		return kerr_wrap(err, "ttrpc request");
	if (!r->service.n || !r->method.n)
		return kerr_set(err, EPROTO, "ttrpc request: no service or method");
	if (r->service.n > TTRPC_NAME_MAX || r->method.n > TTRPC_NAME_MAX)
		return kerr_set(err, EPROTO,
				"ttrpc request: service or method longer than %d bytes",
				TTRPC_NAME_MAX);
	return 0;
}

int ttrpc_response_decode(const uint8_t *p, size_t n, struct ttrpc_response *r, struct kerr *err)
{
	struct pb_dec d, st;
	struct pb_field f, g;
	int rc;

	*r = (struct ttrpc_response){ 0 };
	pb_dec_init(&d, p, n);
	while ((rc = pb_dec_next(&d, &f, err)) > 0) {
		if (f.num == 2) {
			if (pb_get_bytes(&f, &r->payload, err) < 0)
				return kerr_wrap(err, "ttrpc response");
			continue;
		}
		if (f.num != 1)
			continue;
		if (pb_get_msg(&f, &st, err) < 0)
			return kerr_wrap(err, "ttrpc response");
		while ((rc = pb_dec_next(&st, &g, err)) > 0) {
			if (g.num == 1 && pb_get_i32(&g, &r->code, err) < 0)
				return kerr_wrap(err, "ttrpc response status");
			if (g.num == 2 && pb_get_bytes(&g, &r->message, err) < 0)
				return kerr_wrap(err, "ttrpc response status");
		}
		if (rc < 0)
			return kerr_wrap(err, "ttrpc response status");
	}
	return rc < 0 ? kerr_wrap(err, "ttrpc response") : 0;
}

struct pb_bytes ttrpc_request_md(const struct ttrpc_request *r, const char *key)
{
	for (size_t i = 0; i < r->nmd; i++)
		if (pb_bytes_eq(r->md[i].key, key))
			return r->md[i].val;
	return (struct pb_bytes){ 0 };
}

void ttrpc_frame_begin(struct buf *b, size_t *mark)
{
	static const uint8_t zero[TTRPC_HDR_LEN];
	struct kerr ignored;

	*mark = b->len;
	/* A failed append leaves len short of mark + 10: ttrpc_frame_end then fails. */
	(void)buf_append(b, zero, sizeof(zero), &ignored);
}

int ttrpc_frame_end(struct buf *b, size_t mark, uint32_t sid, uint8_t type, struct pb_enc *e,
		    struct kerr *err)
{
	struct ttrpc_hdr h = { .sid = sid, .type = type };

	if (e && pb_enc_end(e, err) < 0) {
		b->len = mark < b->len ? mark : b->len;
		return kerr_wrap(err, "ttrpc frame");
	}
	if (b->len < mark + TTRPC_HDR_LEN) {
		b->len = mark < b->len ? mark : b->len;
		return kerr_set(err, ENOBUFS, "ttrpc frame: no room for its header");
	}
	size_t n = b->len - mark - TTRPC_HDR_LEN;
	if (n > TTRPC_MSG_MAX) {
		b->len = mark;
		return kerr_set(err, EMSGSIZE, "ttrpc frame: %zu data bytes exceed the maximum %u",
				n, TTRPC_MSG_MAX);
	}
	h.len = (uint32_t)n;
	ttrpc_hdr_put(b->data + mark, &h);
	return 0;
}

int ttrpc_put_error(struct buf *b, uint32_t sid, enum ttrpc_code code, const char *msg,
		    struct kerr *err)
{
	struct pb_enc e;
	size_t mark;

	ttrpc_frame_begin(b, &mark);
	pb_enc_init(&e, b);
	pb_enc_msg_begin(&e, 1);
	pb_enc_i64(&e, 1, code);
	pb_enc_str(&e, 2, msg);
	pb_enc_msg_end(&e);
	return ttrpc_frame_end(b, mark, sid, TTRPC_T_RESPONSE, &e, err);
}

const char *ttrpc_code_name(int32_t code)
{
	static const char *const names[] = {
		"OK",
		"Canceled",
		"Unknown",
		"InvalidArgument",
		"DeadlineExceeded",
		"NotFound",
		"AlreadyExists",
		"PermissionDenied",
		"ResourceExhausted",
		"FailedPrecondition",
		"Aborted",
		"OutOfRange",
		"Unimplemented",
		"Internal",
		"Unavailable",
	};

	if (code < 0 || code >= (int32_t)(sizeof(names) / sizeof(names[0])))
		return "Unknown";
	return names[code];
}
