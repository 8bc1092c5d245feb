/*
 * whiteout: the OCI layer's whiteout rules, and the extraction hook that applies them
 * (mechanism, image folder).
 *
 * In a layer tar, `DIR/.wh.NAME` deletes NAME of the layers below and `DIR/.wh..wh..opq`
 * hides everything DIR held below (OCI image-spec layer.md, "Whiteouts"); other
 * `.wh..wh.` names are aufs bookkeeping and are skipped. kettle stores a layer in the
 * form overlayfs reads: NAME as a 0/0 character device and DIR with
 * trusted.overlay.opaque=y. Hostile names are refused, not guessed at: a bare `.wh.`,
 * a whiteout of `.` or `..`, a whiteout that is not a regular file's header. The rules
 * are pure (whiteout_classify, fuzzed); the hook adds the layer's size accounting.
 */
#ifndef KETTLE_WHITEOUT_H
#define KETTLE_WHITEOUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "copy/copy.h"

#define WHITEOUT_PREFIX	     ".wh."
#define WHITEOUT_OPQ_NAME    ".wh..wh..opq"
#define WHITEOUT_META_PREFIX ".wh..wh."

enum whiteout_kind {
	WHITEOUT_NONE = 0, /* an ordinary member */
	WHITEOUT_FILE,	   /* deletes target in the member's directory */
	WHITEOUT_OPAQUE,   /* the member's directory is opaque */
	WHITEOUT_META,	   /* aufs metadata (.wh..wh.plnk, …): skipped */
};

/*
 * Classifies a clean member name (copy_tar_clean_name's form, not ""). For
 * WHITEOUT_FILE the name it deletes goes to target (cap bytes). Fails on a bare `.wh.`
 * and on a whiteout of `.` or `..`.
 */
int whiteout_classify(const char *clean, enum whiteout_kind *kind, char *target, size_t cap,
		      struct kerr *err);

/* What a layer's extraction counted (whiteout_hook's data). */
struct whiteout_stats {
	uint64_t bytes;	    /* bytes of regular files written */
	uint64_t files;	    /* members created */
	uint64_t whiteouts; /* whiteouts and opaque markers made */
};

/* A copy_hook over stats: whiteouts and opaque markers in overlayfs form, the rest as is. */
void whiteout_hook(struct copy_hook *hook, struct whiteout_stats *stats);

#endif
