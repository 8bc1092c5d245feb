/*
 * imgref: image references and digests as docker reads them (mechanism, image folder; pure).
 *
 * A reference is NAME[:TAG][@sha256:HEX]; NAME is [DOMAIN/]PATH with docker's grammar
 * (lowercase path components joined by `.`, `_`, `__` or dashes; a first component with a
 * `.` or `:`, or `localhost`, is a registry domain), at most 255 bytes. Normalisation is
 * docker's: `busybox` is `docker.io/library/busybox:latest`, `me/app` is
 * `docker.io/me/app:latest`; the familiar form drops `docker.io/` and `library/` again.
 * A digest must match sha256:[0-9a-f]{64} before it names anything, a file above all.
 * No I/O, no allocation.
 */
#ifndef KETTLE_IMGREF_H
#define KETTLE_IMGREF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"

#define IMGREF_MAX	   255 /* bytes of a reference as typed, and of a normalized name:tag */
#define IMGREF_TAG_MAX	   128 /* bytes of a tag */
#define IMGREF_DIGEST_LEN  71  /* "sha256:" and 64 hex characters */
#define IMGREF_HEX_LEN	   64  /* hex characters of a sha256 digest */
#define IMGREF_SHORT_LEN   12  /* hex characters of a short image id */
#define IMGREF_DOMAIN	   "docker.io"
#define IMGREF_DEFAULT_TAG "latest"

struct imgref {
	char name[IMGREF_MAX + 1];	    /* normalized repository: docker.io/library/x */
	char tag[IMGREF_TAG_MAX + 1];	    /* the tag; "latest" when neither tag nor digest */
	char digest[IMGREF_DIGEST_LEN + 1]; /* "sha256:…" when given, else "" */
	char full[2 * IMGREF_MAX + 2];	    /* name:tag (or name@digest without a tag) */
};

/*
 * Parses and normalizes s. Errors say what was wrong and what was allowed
 * ("invalid reference format: repository name must be lowercase"). A bare 64-hex string is
 * refused as docker refuses it (it can only be an image id).
 */
int imgref_parse(const char *s, struct imgref *r, struct kerr *err);
/* name:tag as docker shows it: `docker.io/library/busybox:latest` -> `busybox:latest`. */
void imgref_familiar(const char *full, char *out, size_t cap);
/* The repository of a normalized name:tag or name@digest (everything before the tag). */
void imgref_repo(const char *full, char *out, size_t cap);

/* sha256:[0-9a-f]{64}. */
bool imgref_is_digest(const char *s);
/* [0-9a-f]{64}. */
bool imgref_is_hex64(const char *s);
/* What may name an image by id: sha256:HEXPREFIX or HEXPREFIX, 1..64 lowercase hex. The
 * prefix (without "sha256:") goes to hex. */
bool imgref_id_prefix(const char *s, const char **hex);
/* The digest's hex part (after "sha256:"); s must pass imgref_is_digest. */
const char *imgref_hex(const char *digest);

/* OCI chain ids: chain(0) = diff_id(0); chain(n) = sha256(chain(n-1) + " " + diff_id(n)).
 * parent is NULL for the first layer. Both inputs must be digests. */
int imgref_chain_id(const char *parent, const char *diff_id, char out[IMGREF_DIGEST_LEN + 1],
		    struct kerr *err);

#endif
