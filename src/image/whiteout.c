/*
 * whiteout: the OCI whiteout rules and the layer extraction hook (mechanism, image folder).
 *
 * whiteout_classify looks at the last component only: a `.wh.` prefix anywhere else is an
 * ordinary name. The hook answers copy_extract: COPY_WHITEOUT with the target leaf,
 * COPY_OPAQUE, COPY_SKIP for aufs metadata, COPY_EXTRACT for the rest, counting the bytes
 * and members of what is created. No I/O here: copy_extract.c does the making.
 */
#include <errno.h>
#include <string.h>

#include "base/str.h"
#include "copy/copy_tar.h"
#include "image/whiteout.h"

int whiteout_classify(const char *clean, enum whiteout_kind *kind, char *target, size_t cap,
		      struct kerr *err)
{
	const char *slash = strrchr(clean, '/');
	const char *base = slash ? slash + 1 : clean;
	char shown[128];

	*kind = WHITEOUT_NONE;
	if (cap)
		target[0] = '\0';
	if (strncmp(base, WHITEOUT_PREFIX, 4) != 0)
		return 0;
	if (strcmp(base, WHITEOUT_OPQ_NAME) == 0) {
		*kind = WHITEOUT_OPAQUE;
		return 0;
	}
	if (strncmp(base, WHITEOUT_META_PREFIX, 8) == 0) {
		*kind = WHITEOUT_META;
		return 0;
	}
	const char *t = base + 4;
	str_sanitize(shown, sizeof(shown), clean, strlen(clean));
	if (!t[0])
		return kerr_set(err, 0, "whiteout `%s` names nothing (a bare `.wh.`)", shown);
	if (strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return kerr_set(err, 0, "whiteout `%s` names `%s`, which cannot be deleted", shown,
				t);
	if (!str_copy(target, cap, t))
		return kerr_set(err, 0, "whiteout `%s`: name too long", shown);
	*kind = WHITEOUT_FILE;
	return 0;
}

static int hook_member(void *data, const struct copy_hdr *h, const char *clean, char *target,
		       size_t cap, struct kerr *err)
{
	struct whiteout_stats *st = data;
	enum whiteout_kind kind;

	if (whiteout_classify(clean, &kind, target, cap, err) < 0)
		return -1;
	switch (kind) {
	case WHITEOUT_FILE:
	case WHITEOUT_OPAQUE:
		/* A whiteout is an empty regular file (or a hard link to one, as some tools
		   write them); anything else under such a name is a forgery. */
		if (h->kind != COPY_FILE && h->kind != COPY_HARDLINK)
			return kerr_set(err, 0, "whiteout `%.200s` is not a regular file (type %c)",
					clean, (char)h->kind);
		st->whiteouts++;
		return kind == WHITEOUT_FILE ? COPY_WHITEOUT : COPY_OPAQUE;
	case WHITEOUT_META:
		return COPY_SKIP;
	default:
		st->files++;
		if (h->kind == COPY_FILE)
			st->bytes += h->size;
		return COPY_EXTRACT;
	}
}

void whiteout_hook(struct copy_hook *hook, struct whiteout_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	hook->member = hook_member;
	hook->data = stats;
}
