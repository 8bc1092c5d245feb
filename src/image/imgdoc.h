/*
 * imgdoc: the JSON documents of an image, decoded (mechanism, image folder; pure).
 *
 * The OCI image index and manifest (and docker's v2 manifest and manifest list, the same
 * shapes), docker-archive's manifest.json, and the image config. Every document comes
 * from a file someone handed us: its size is capped before parsing (IMGDOC_JSON_MAX), its
 * tokens and nesting by json.c, every list by the caps below, and every digest is checked
 * against sha256:[0-9a-f]{64} (imgref_is_digest) before anyone may turn it into a path.
 * Unknown keys are ignored (forward compatibility, as docker and the OCI spec ask); a
 * known key of the wrong type fails, naming it. Strings are owned and freed by the
 * *_done functions, which accept a half-built struct. No I/O.
 */
#ifndef KETTLE_IMGDOC_H
#define KETTLE_IMGDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "image/imgref.h"
#include "store/record.h"

#define IMGDOC_JSON_MAX	     (4u * 1024u * 1024u) /* bytes of one document */
#define IMGDOC_MANIFESTS_MAX 1024		  /* entries of an index or manifest.json */
#define IMGDOC_LAYERS_MAX    256		  /* layers of one image */
#define IMGDOC_TAGS_MAX	     1024		  /* RepoTags of one manifest.json entry */
#define IMGDOC_HISTORY_MAX   4096		  /* history entries of a config */
#define IMGDOC_LIST_MAX	     4096		  /* Env, Cmd, Labels… entries of a config */
#define IMGDOC_MEDIA_MAX     255		  /* bytes of a mediaType */
#define IMGDOC_PATH_MAX	     4096		  /* bytes of a path in manifest.json */

/* Media types kettle reads. */
#define IMGDOC_MT_OCI_INDEX	  "application/vnd.oci.image.index.v1+json"
#define IMGDOC_MT_OCI_MANIFEST	  "application/vnd.oci.image.manifest.v1+json"
#define IMGDOC_MT_OCI_CONFIG	  "application/vnd.oci.image.config.v1+json"
#define IMGDOC_MT_OCI_LAYER	  "application/vnd.oci.image.layer.v1.tar"
#define IMGDOC_MT_OCI_LAYER_GZ	  "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMGDOC_MT_DOCKER_LIST	  "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMGDOC_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMGDOC_MT_DOCKER_CONFIG	  "application/vnd.docker.container.image.v1+json"
#define IMGDOC_MT_DOCKER_LAYER	  "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define IMGDOC_ANNOT_REF	  "org.opencontainers.image.ref.name"
#define IMGDOC_ANNOT_CTRD_NAME	  "io.containerd.image.name"

/* A descriptor: what a blob is, its digest and its size. */
struct imgdoc_desc {
	char media_type[IMGDOC_MEDIA_MAX + 1]; /* "" when absent */
	char digest[IMGREF_DIGEST_LEN + 1];    /* checked: sha256:[0-9a-f]{64} */
	uint64_t size;			       /* bytes of the blob */
	char *ref_name;			       /* owned; an index entry's tag annotation, or NULL */
	char *image_name;		       /* owned; containerd's full image name, or NULL */
	char os[32];			       /* platform.os, "" when absent */
	char arch[32];			       /* platform.architecture, "" when absent */
};

/* An image index (or docker manifest list), or a manifest: which one is in is_index. */
struct imgdoc_manifest {
	bool is_index;			       /* an index: entries in manifests */
	char media_type[IMGDOC_MEDIA_MAX + 1]; /* the document's own, "" when absent */
	struct imgdoc_desc config;	       /* a manifest's config */
	struct imgdoc_desc *layers;	       /* owned; a manifest's layers, bottom first */
	size_t nlayers;			       /* entries of layers */
	struct imgdoc_desc *manifests;	       /* owned; an index's entries */
	size_t nmanifests;		       /* entries of manifests */
};

/* One entry of docker-archive's manifest.json. */
struct imgdoc_dentry {
	char *config;		   /* owned; the config's path in the archive */
	struct record_strv tags;   /* RepoTags as written (normalized by the loader) */
	struct record_strv layers; /* paths of the layer tars, bottom first */
};

struct imgdoc_dmanifest {
	struct imgdoc_dentry *e; /* owned */
	size_t n;		 /* entries of e */
};

struct imgdoc_history {
	char *created;	  /* owned RFC 3339 text, or NULL */
	char *created_by; /* owned, or NULL */
	char *comment;	  /* owned, or NULL */
	char *author;	  /* owned, or NULL */
	bool empty_layer; /* no layer of its own */
};

/* docker's Healthcheck: Test and durations in ns (0 = the default). */
struct imgdoc_health {
	bool set;		  /* the key was present */
	struct record_strv test;  /* ["CMD", …], ["CMD-SHELL", cmd], ["NONE"] or [] (inherit) */
	uint64_t interval_ns;	  /* Interval */
	uint64_t timeout_ns;	  /* Timeout */
	uint64_t start_period_ns; /* StartPeriod */
	uint32_t retries;	  /* Retries */
};

/* The image config (OCI image-spec config.md; docker's image JSON, the same keys). */
struct imgdoc_config {
	char *architecture;		  /* owned, or NULL */
	char *os;			  /* owned, or NULL */
	char *created;			  /* owned RFC 3339 text, or NULL */
	char *author;			  /* owned, or NULL */
	char *user;			  /* owned config.User, or NULL */
	char *workdir;			  /* owned config.WorkingDir, or NULL */
	char *stop_signal;		  /* owned config.StopSignal, or NULL */
	struct record_strv env;		  /* config.Env "K=V" */
	struct record_strv entrypoint;	  /* config.Entrypoint */
	struct record_strv cmd;		  /* config.Cmd */
	bool entrypoint_set;		  /* Entrypoint present and not null */
	bool cmd_set;			  /* Cmd present and not null */
	struct record_strv labels;	  /* config.Labels as "K=V" */
	struct record_strv exposed_ports; /* config.ExposedPorts keys ("80/tcp") */
	struct record_strv volumes;	  /* config.Volumes keys */
	struct imgdoc_health health;	  /* config.Healthcheck */
	struct record_strv diff_ids;	  /* rootfs.diff_ids, checked digests */
	struct imgdoc_history *history;	  /* owned */
	size_t nhistory;		  /* entries of history */
	size_t config_off;		  /* the "config" object's bytes in the text */
	size_t config_len;		  /* 0 when absent or null */
};

/* what names the document in messages ("index.json", "manifest sha256:…"). */
int imgdoc_manifest_parse(const char *text, size_t len, const char *what, struct imgdoc_manifest *m,
			  struct kerr *err);
void imgdoc_manifest_done(struct imgdoc_manifest *m);

int imgdoc_dmanifest_parse(const char *text, size_t len, struct imgdoc_dmanifest *m,
			   struct kerr *err);
void imgdoc_dmanifest_done(struct imgdoc_dmanifest *m);

int imgdoc_config_parse(const char *text, size_t len, struct imgdoc_config *c, struct kerr *err);
void imgdoc_config_done(struct imgdoc_config *c);

/* True for the layer media types kettle unpacks (tar, tar+gzip, docker's gzip, and the
 * non-distributable variants); "" (docker-archive) counts as one. */
bool imgdoc_is_layer_type(const char *mt);

#endif
