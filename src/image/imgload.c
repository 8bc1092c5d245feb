/*
 * imgload: the load and import jobs (mechanism, image folder).
 *
 * One image at a time: its config (read, digest checked, parsed), then each layer in
 * order (chain ids from the diff_ids; a layer already in the store is not unpacked
 * again, a blob already there not stored again), then config and manifest blobs. Layers
 * wait in images/tmp until all of the image's layers are unpacked, one syncfs makes them
 * durable, and they are renamed into place; the image is then complete on disk and
 * returned. Paths in the archive are built from checked digests only
 * ("blobs/sha256/<hex>") or taken from manifest.json and looked up in the archive's
 * index, never on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json_w.h"
#include "base/str.h"
#include "image/archive.h"
#include "image/imgdoc.h"
#include "image/imgload.h"
#include "image/imgref.h"
#include "image/imgsrc.h"
#include "image/layer.h"
#include "image/sha256.h"

#define WHAT_MAX 160 /* bytes of a blob's description in messages */

/* One image to load, from either format. */
struct source {
	const struct archive_member *config;	   /* the config document */
	char config_digest[IMGREF_DIGEST_LEN + 1]; /* expected, or "" */
	uint64_t config_size;			   /* expected, or UINT64_MAX */
	const struct archive_member **layers;	   /* owned array, nlayers entries */
	const struct imgdoc_desc *descs;	   /* OCI: the manifest's layers, else NULL */
	char (*expect)[IMGREF_DIGEST_LEN + 1];	   /* docker: a blob path's digest, or "" */
	size_t nlayers;				   /* entries of layers */
	const char *manifest;			   /* OCI: the manifest's bytes, else NULL */
	size_t manifest_len;			   /* bytes of manifest */
	const char *manifest_digest;		   /* OCI: its digest */
	const char *manifest_type;		   /* OCI: its media type */
	struct record_strv tags;		   /* normalized tags */
};

/* A layer blob verified and not yet stored: it is, once the whole image is verified. */
struct blob_todo {
	char digest[IMGREF_DIGEST_LEN + 1]; /* what it hashed to */
	uint64_t off;			    /* its bytes in the archive */
	uint64_t size;			    /* its length */
};

/* A load in progress. */
struct job {
	const struct imgstore *st;    /* borrowed */
	struct archive ar;	      /* the archive's index */
	const struct imgload_opts *o; /* borrowed */
	struct imgload_result *res;   /* borrowed: what was loaded */
	struct kerr *err;	      /* failures */
	char (*pending)[64];	      /* tmp names of unpacked layers awaiting commit */
	char (*pending_chain)[IMGREF_DIGEST_LEN + 1]; /* their chain ids */
	size_t npending;			      /* entries of both */
	struct blob_todo *blobs;		      /* verified blobs to store at the commit */
	size_t nblobs;				      /* entries of blobs */
};

/* Progress of the layer being read. */
struct prog {
	const struct imgload_opts *o;  /* borrowed */
	char id[IMGREF_SHORT_LEN + 1]; /* the layer's short id */
	uint64_t total;		       /* blob bytes */
	const char *action;	       /* "Loading layer" */
};

static void on_progress(void *data, uint64_t bytes)
{
	struct prog *p = data;

	p->o->progress(p->o->pdata, p->action, p->id, bytes, p->total);
}

void imgload_result_done(struct imgload_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		imgstore_image_done(&r->images[i]);
	free(r->images);
	r->images = NULL;
	r->n = 0;
}

const char *imgload_host_arch(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (strncmp(u.machine, "armv7", 5) == 0)
		return "arm";
	if (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0)
		return "386";
	return strcmp(u.machine, "ppc64le") == 0   ? "ppc64le"
	       : strcmp(u.machine, "s390x") == 0   ? "s390x"
	       : strcmp(u.machine, "riscv64") == 0 ? "riscv64"
						   : "amd64";
}

static void source_done(struct source *s)
{
	free(s->layers);
	free(s->expect);
	record_strv_free(&s->tags);
	memset(s, 0, sizeof(*s));
}

static int push_tag(struct record_strv *v, const char *tag, struct kerr *err)
{
	struct imgref r;

	if (imgref_parse(tag, &r, err) < 0)
		return -1;
	if (!r.tag[0])
		return kerr_set(err, 0, "tag `%.200s` names a digest, not a tag", tag);
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], r.full) == 0)
			return 0;
	char **nv = realloc(v->v, (v->n + 2) * sizeof(*nv));
	if (!nv)
		return kerr_set(err, ENOMEM, "tags");
	v->v = nv;
	v->v[v->n] = strdup(r.full);
	if (!v->v[v->n])
		return kerr_set(err, ENOMEM, "tags");
	v->v[++v->n] = NULL;
	return 0;
}

/* "blobs/sha256/<hex>" for a checked digest. */
static void blob_path(const char *digest, char out[96])
{
	snprintf(out, 96, "blobs/sha256/%s", imgref_hex(digest));
}

/* A blob path's digest ("blobs/sha256/<hex>", "<hex>.json" or "<hex>/…"), or "". */
static void digest_of_path(const char *path, bool json_name, char out[IMGREF_DIGEST_LEN + 1])
{
	const char *base = strrchr(path, '/');
	char hex[SHA256_HEX_LEN + 1];

	out[0] = '\0';
	base = base ? base + 1 : path;
	if (str_has_prefix(path, "blobs/sha256/") && imgref_is_hex64(base)) {
		snprintf(out, IMGREF_DIGEST_LEN + 1, "sha256:%s", base);
		return;
	}
	if (json_name && strlen(base) == SHA256_HEX_LEN + 5 && str_has_suffix(base, ".json")) {
		str_copyn(hex, sizeof(hex), base, SHA256_HEX_LEN);
		if (imgref_is_hex64(hex))
			snprintf(out, IMGREF_DIGEST_LEN + 1, "sha256:%s", hex);
	}
}

/* Reads a document member, checking its digest and size when they are known. */
static int read_doc(struct job *j, const struct archive_member *m, const char *what,
		    const char *digest, uint64_t size, struct buf *out,
		    char got[IMGREF_DIGEST_LEN + 1])
{
	char hex[SHA256_HEX_LEN + 1];

	if (archive_read(&j->ar, m, IMGDOC_JSON_MAX, out, j->err) < 0)
		return kerr_wrap(j->err, "%s", what);
	sha256_hex_of(out->data, out->len, hex);
	snprintf(got, IMGREF_DIGEST_LEN + 1, "sha256:%s", hex);
	if (digest && digest[0] && strcmp(digest, got) != 0)
		return kerr_set(j->err, 0, "%s: digest mismatch: its sha256 should be %s, got %s",
				what, digest, got);
	if (size != UINT64_MAX && size != out->len)
		return kerr_set(j->err, 0,
				"%s: size mismatch: the descriptor says %" PRIu64
				" bytes, the blob has %zu",
				what, size, out->len);
	return 0;
}

/* The layer's diff/ in its temporary directory, 0755 whatever the worker's umask: it is
 * the root of every container of the image. */
static int make_diff(int dirfd, const char *tmpname, int *difffd, struct kerr *err)
{
	if (mkdirat(dirfd, IMGSTORE_DIFF, 0755) < 0 ||
	    (*difffd = openat(dirfd, IMGSTORE_DIFF, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fchmod(*difffd, 0755) < 0)
		return kerr_set(err, errno, "create images/tmp/%s/diff", tmpname);
	return 0;
}

/* Unpacks (or verifies) one layer; fills l. */
static int load_layer(struct job *j, const struct source *s, size_t i, const char *diff_id,
		      const char *parent, struct imgstore_layer *l)
{
	const struct archive_member *m = s->layers[i];
	const struct imgdoc_desc *d = s->descs ? &s->descs[i] : NULL;
	const char *want_blob = d ? d->digest : s->expect[i][0] ? s->expect[i] : NULL;
	char what[WHAT_MAX];
	struct imgsrc_file f;
	struct copy_src src;
	struct layer_out out;
	struct prog p = { .o = j->o, .total = m->size, .action = "Loading layer" };
	_cleanup_close_ int dirfd = -1, difffd = -1;
	char tmpname[64] = "";

	if (imgref_chain_id(parent, diff_id, l->chain, j->err) < 0)
		return -1;
	str_copy(l->diff_id, sizeof(l->diff_id), diff_id);
	if (d && !imgdoc_is_layer_type(d->media_type))
		return kerr_set(
			j->err, 0,
			"layer %zu (%s) has media type `%.100s`, which is not a layer kettle "
			"can unpack",
			i + 1, d->digest, d->media_type);
	snprintf(what, sizeof(what), "layer %zu (%s)", i + 1, want_blob ? want_blob : m->name);
	bool need_layer = !imgstore_layer_has(j->st, l->chain);
	/* A docker-archive's layer is usually its uncompressed tar: its blob is its diff_id. */
	const char *known = want_blob ? want_blob : diff_id;
	bool need_blob = !imgstore_blob_has(j->st, known);
	if (!need_layer && !need_blob) {
		str_copy(l->blob, sizeof(l->blob), known);
		l->blob_size = d ? d->size : m->size;
		str_copy(l->media_type, sizeof(l->media_type),
			 d && d->media_type[0] ? d->media_type : IMGDOC_MT_OCI_LAYER);
		imgstore_layer_sizes(j->st, l->chain, l);
		return 0;
	}
	str_copyn(p.id, sizeof(p.id), imgref_hex(diff_id), IMGREF_SHORT_LEN);
	if (need_layer) {
		if (imgstore_tmp_dir(j->st, "layer", tmpname, sizeof(tmpname), &dirfd, j->err) < 0)
			return -1;
		if (make_diff(dirfd, tmpname, &difffd, j->err) < 0)
			goto out_remove;
	}
	imgsrc_file(&src, &f, j->ar.fd, m->off, m->size);
	struct layer_in in = {
		.blob = &src,
		.what = what,
		.blob_digest = want_blob,
		.blob_size = d ? d->size : UINT64_MAX,
		.diff_id = diff_id,
		.max_size = j->o->max_layer_size,
		.devices = j->o->devices,
		.progress = j->o->progress ? on_progress : NULL,
		.pdata = &p,
	};
	if (layer_unpack(need_layer ? difffd : -1, &in, &out, j->err) < 0)
		goto out_remove;
	str_copy(l->blob, sizeof(l->blob), out.blob_digest);
	l->blob_size = out.blob_size;
	if (d && d->media_type[0])
		str_copy(l->media_type, sizeof(l->media_type), d->media_type);
	else
		str_copy(l->media_type, sizeof(l->media_type),
			 out.format == GZ_GZIP ? IMGDOC_MT_OCI_LAYER_GZ : IMGDOC_MT_OCI_LAYER);
	if (need_layer) {
		l->size = out.stats.bytes;
		l->tar_size = out.tar_size;
	} else {
		imgstore_layer_sizes(j->st, l->chain, l);
	}
	if (!imgstore_blob_has(j->st, l->blob)) {
		struct blob_todo *b = &j->blobs[j->nblobs++];

		str_copy(b->digest, sizeof(b->digest), l->blob);
		b->off = m->off;
		b->size = m->size;
	}
	if (!need_layer)
		return 0;
	if (imgstore_layer_json(dirfd, l, parent, j->err) < 0)
		goto out_remove;
	str_copy(j->pending[j->npending], 64, tmpname);
	str_copy(j->pending_chain[j->npending], IMGREF_DIGEST_LEN + 1, l->chain);
	j->npending++;
	return 0;
out_remove:
	if (tmpname[0]) {
		struct kerr ignored;

		(void)imgstore_remove(j->st->tmp, tmpname, &ignored);
	}
	return -1;
}

/* The image is verified: its blobs are stored, one syncfs makes its unpacked layers
 * durable, then they are renamed into place. */
static int commit_layers(struct job *j)
{
	for (size_t i = 0; i < j->nblobs; i++)
		if (imgstore_blob_put_fd(j->st, j->blobs[i].digest, j->ar.fd, j->blobs[i].off,
					 j->blobs[i].size, j->err) < 0)
			return -1;
	j->nblobs = 0;
	if (j->npending && syncfs(j->st->layers) < 0)
		return kerr_set(j->err, errno, "sync the image store");
	for (size_t i = 0; i < j->npending; i++) {
		if (imgstore_layer_commit(j->st, j->pending[i], j->pending_chain[i], j->err) < 0)
			return -1;
		j->pending[i][0] = '\0';
	}
	j->npending = 0;
	return 0;
}

static void drop_pending(struct job *j)
{
	struct kerr ignored;

	for (size_t i = 0; i < j->npending; i++)
		if (j->pending[i][0])
			(void)imgstore_remove(j->st->tmp, j->pending[i], &ignored);
	j->npending = 0;
}

/* The OCI manifest kettle writes for an image that came without one. */
static int make_manifest(const struct imgstore_image *im, const char *config_type, struct buf *out,
			 struct kerr *err)
{
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "schemaVersion");
	json_w_i64(&w, 2);
	json_w_key(&w, "mediaType");
	json_w_str(&w, IMGDOC_MT_OCI_MANIFEST);
	json_w_key(&w, "config");
	json_w_obj_begin(&w);
	json_w_key(&w, "mediaType");
	json_w_str(&w, config_type);
	json_w_key(&w, "digest");
	json_w_str(&w, im->id);
	json_w_key(&w, "size");
	json_w_u64(&w, im->config_size);
	json_w_obj_end(&w);
	json_w_key(&w, "layers");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < im->nlayers; i++) {
		json_w_obj_begin(&w);
		json_w_key(&w, "mediaType");
		json_w_str(&w, im->layers[i].media_type);
		json_w_key(&w, "digest");
		json_w_str(&w, im->layers[i].blob);
		json_w_key(&w, "size");
		json_w_u64(&w, im->layers[i].blob_size);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

static int store_manifest(struct job *j, const struct source *s, struct imgstore_image *im)
{
	char hex[SHA256_HEX_LEN + 1];
	struct buf b;
	int rc;

	if (s->manifest) {
		str_copy(im->manifest, sizeof(im->manifest), s->manifest_digest);
		str_copy(im->manifest_type, sizeof(im->manifest_type),
			 s->manifest_type[0] ? s->manifest_type : IMGDOC_MT_OCI_MANIFEST);
		im->manifest_size = s->manifest_len;
		return imgstore_blob_put_mem(j->st, im->manifest, s->manifest, s->manifest_len,
					     j->err);
	}
	buf_init(&b, IMGDOC_JSON_MAX);
	rc = make_manifest(im, IMGDOC_MT_OCI_CONFIG, &b, j->err);
	if (rc == 0) {
		sha256_hex_of(b.data, b.len, hex);
		snprintf(im->manifest, sizeof(im->manifest), "sha256:%s", hex);
		str_copy(im->manifest_type, sizeof(im->manifest_type), IMGDOC_MT_OCI_MANIFEST);
		im->manifest_size = b.len;
		im->manifest_generated = true;
		rc = imgstore_blob_put_mem(j->st, im->manifest, b.data, b.len, j->err);
	}
	buf_done(&b);
	return rc;
}

static int add_result(struct job *j, struct imgstore_image *im)
{
	for (size_t i = 0; i < j->res->n; i++) {
		struct imgstore_image *o = &j->res->images[i];

		if (strcmp(o->id, im->id) != 0)
			continue;
		/* The same image twice (two manifest entries): one result, all the tags. */
		for (size_t t = 0; t < im->tags.n; t++)
			if (push_tag(&o->tags, im->tags.v[t], j->err) < 0)
				return -1;
		imgstore_image_done(im);
		return 0;
	}
	struct imgstore_image *n = realloc(j->res->images, (j->res->n + 1) * sizeof(*n));
	if (!n)
		return kerr_set(j->err, ENOMEM, "load");
	j->res->images = n;
	n[j->res->n++] = *im;
	memset(im, 0, sizeof(*im));
	return 0;
}

static int load_image(struct job *j, struct source *s)
{
	struct imgstore_image im;
	struct imgdoc_config cfg;
	struct buf text;
	char what[WHAT_MAX];
	int rc = -1;

	memset(&im, 0, sizeof(im));
	memset(&cfg, 0, sizeof(cfg));
	buf_init(&text, IMGDOC_JSON_MAX + 1);
	snprintf(what, sizeof(what), "image config %s",
		 s->config_digest[0] ? s->config_digest : s->config->name);
	if (read_doc(j, s->config, what, s->config_digest, s->config_size, &text, im.id) < 0 ||
	    imgdoc_config_parse((const char *)text.data, text.len, &cfg, j->err) < 0)
		goto out;
	im.config_size = text.len;
	if (cfg.diff_ids.n != s->nlayers) {
		kerr_set(j->err, 0, "%s lists %zu layers (rootfs.diff_ids), the manifest %zu", what,
			 cfg.diff_ids.n, s->nlayers);
		goto out;
	}
	if (cfg.os && strcmp(cfg.os, "linux") != 0) {
		kerr_set(j->err, 0, "%s is an image for `%.40s`, not linux", what, cfg.os);
		goto out;
	}
	im.layers = calloc(s->nlayers + 1, sizeof(*im.layers));
	j->pending = calloc(s->nlayers + 1, sizeof(*j->pending));
	j->pending_chain = calloc(s->nlayers + 1, sizeof(*j->pending_chain));
	j->blobs = calloc(s->nlayers + 1, sizeof(*j->blobs));
	j->nblobs = 0;
	if (!im.layers || !j->pending || !j->pending_chain || !j->blobs) {
		kerr_set(j->err, ENOMEM, "load");
		goto out;
	}
	for (size_t i = 0; i < s->nlayers; i++, im.nlayers++) {
		if (load_layer(j, s, i, cfg.diff_ids.v[i], i ? im.layers[i - 1].chain : NULL,
			       &im.layers[i]) < 0)
			goto out;
		im.size += im.layers[i].size;
	}
	if (commit_layers(j) < 0 ||
	    imgstore_blob_put_mem(j->st, im.id, text.data, text.len, j->err) < 0 ||
	    store_manifest(j, s, &im) < 0)
		goto out;
	if (cfg.created && clock_parse_rfc3339(cfg.created, &im.created_ns, j->err) < 0)
		im.created_ns = 0;
	im.loaded_ns = clock_wall_ns();
	im.tags = s->tags;
	memset(&s->tags, 0, sizeof(s->tags));
	rc = add_result(j, &im);
out:
	drop_pending(j);
	free(j->pending);
	free(j->pending_chain);
	free(j->blobs);
	j->pending = NULL;
	j->pending_chain = NULL;
	j->blobs = NULL;
	imgstore_image_done(&im);
	imgdoc_config_done(&cfg);
	buf_done(&text);
	return rc;
}

/* ---- docker's archive ---- */

static int load_docker(struct job *j)
{
	const struct archive_member *m = archive_find(&j->ar, "manifest.json", j->err);
	struct imgdoc_dmanifest dm;
	struct buf text;
	char got[IMGREF_DIGEST_LEN + 1];
	int rc = -1;

	if (!m)
		return -1;
	buf_init(&text, IMGDOC_JSON_MAX + 1);
	if (read_doc(j, m, "manifest.json", NULL, UINT64_MAX, &text, got) < 0 ||
	    imgdoc_dmanifest_parse((const char *)text.data, text.len, &dm, j->err) < 0) {
		buf_done(&text);
		return -1;
	}
	if (dm.n == 0)
		kerr_set(j->err, 0, "manifest.json lists no image");
	for (size_t i = 0; i < dm.n; i++) {
		struct imgdoc_dentry *e = &dm.e[i];
		struct source s = { .config_size = UINT64_MAX, .nlayers = e->layers.n };

		s.config = archive_find(&j->ar, e->config, j->err);
		s.layers = calloc(e->layers.n + 1, sizeof(*s.layers));
		s.expect = calloc(e->layers.n + 1, sizeof(*s.expect));
		rc = s.config && s.layers && s.expect ? 0 : -1;
		if (rc == 0)
			digest_of_path(e->config, true, s.config_digest);
		else if (s.config)
			kerr_set(j->err, ENOMEM, "load");
		for (size_t k = 0; rc == 0 && k < e->layers.n; k++) {
			s.layers[k] = archive_find(&j->ar, e->layers.v[k], j->err);
			digest_of_path(e->layers.v[k], false, s.expect[k]);
			rc = s.layers[k] ? 0 : -1;
		}
		for (size_t k = 0; rc == 0 && k < e->tags.n; k++)
			rc = push_tag(&s.tags, e->tags.v[k], j->err);
		if (rc == 0)
			rc = load_image(j, &s);
		source_done(&s);
		if (rc < 0) {
			kerr_wrap(j->err, "manifest.json entry %zu", i + 1);
			break;
		}
	}
	size_t n = dm.n;
	imgdoc_dmanifest_done(&dm);
	buf_done(&text);
	return n ? rc : -1;
}

/* ---- the OCI image layout ---- */

/* A manifest descriptor of the index, followed into one nested index at most. */
static int oci_manifest(struct job *j, const struct imgdoc_desc *d, int depth, struct buf *text,
			struct imgdoc_manifest *man, char digest[IMGREF_DIGEST_LEN + 1],
			char mtype[256])
{
	char path[96], what[WHAT_MAX];
	const struct archive_member *m;

	blob_path(d->digest, path);
	snprintf(what, sizeof(what), "manifest %s", d->digest);
	m = archive_find(&j->ar, path, j->err);
	if (!m)
		return kerr_wrap(j->err, "%s", what);
	text->len = 0;
	if (read_doc(j, m, what, d->digest, d->size, text, digest) < 0 ||
	    imgdoc_manifest_parse((const char *)text->data, text->len, what, man, j->err) < 0)
		return -1;
	str_copy(mtype, 256, man->media_type[0] ? man->media_type : d->media_type);
	if (!man->is_index)
		return 0;
	if (depth > 0)
		return kerr_set(j->err, 0, "%s: an index inside an index inside an index", what);
	/* A multi-platform index: this machine's linux image. */
	const char *arch = imgload_host_arch();
	struct imgdoc_desc pick;
	bool found = false;
	for (size_t i = 0; i < man->nmanifests && !found; i++) {
		const struct imgdoc_desc *e = &man->manifests[i];
		if ((!e->os[0] || strcmp(e->os, "linux") == 0) &&
		    (!e->arch[0] || strcmp(e->arch, arch) == 0)) {
			pick = *e;
			pick.ref_name = pick.image_name = NULL;
			found = true;
		}
	}
	imgdoc_manifest_done(man);
	if (!found)
		return kerr_set(j->err, 0, "%s lists no linux/%s image", what, arch);
	return oci_manifest(j, &pick, depth + 1, text, man, digest, mtype);
}

/* The tag of an index entry: containerd's full name, else a ref.name that is one. */
static int oci_tag(const struct imgdoc_desc *d, struct record_strv *tags, struct kerr *err)
{
	const char *name = d->image_name;
	struct imgref r;
	struct kerr ignored;

	if (!name && d->ref_name && (strchr(d->ref_name, '/') || strchr(d->ref_name, ':')) &&
	    imgref_parse(d->ref_name, &r, &ignored) == 0)
		name = d->ref_name;
	return name ? push_tag(tags, name, err) : 0;
}

static int load_oci(struct job *j)
{
	const struct archive_member *m = archive_find(&j->ar, "index.json", j->err);
	struct imgdoc_manifest idx, man;
	struct buf text, mtext;
	char got[IMGREF_DIGEST_LEN + 1], mtype[256];
	const struct archive_member *lay = archive_find(&j->ar, "oci-layout", j->err);
	int rc = -1;

	if (!m || !lay)
		return -1;
	buf_init(&text, IMGDOC_JSON_MAX + 1);
	buf_init(&mtext, IMGDOC_JSON_MAX + 1);
	if (read_doc(j, lay, "oci-layout", NULL, UINT64_MAX, &text, got) < 0)
		goto out;
	if (!strstr((const char *)text.data, "\"imageLayoutVersion\"") ||
	    !strstr((const char *)text.data, "\"1.")) {
		kerr_set(j->err, 0, "oci-layout: not an image layout of version 1.x");
		goto out;
	}
	text.len = 0;
	if (read_doc(j, m, "index.json", NULL, UINT64_MAX, &text, got) < 0 ||
	    imgdoc_manifest_parse((const char *)text.data, text.len, "index.json", &idx, j->err) <
		    0)
		goto out;
	if (!idx.is_index) {
		kerr_set(j->err, 0, "index.json is not an image index");
		imgdoc_manifest_done(&idx);
		goto out;
	}
	if (idx.nmanifests == 0)
		kerr_set(j->err, 0, "index.json lists no image");
	const char *arch = imgload_host_arch();
	size_t loaded = 0;
	rc = idx.nmanifests ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < idx.nmanifests; i++) {
		const struct imgdoc_desc *d = &idx.manifests[i];
		struct source s = { .config_size = UINT64_MAX };
		char digest[IMGREF_DIGEST_LEN + 1], path[96];

		/* Entries for other platforms are someone else's. */
		if ((d->os[0] && strcmp(d->os, "linux") != 0) ||
		    (d->arch[0] && strcmp(d->arch, arch) != 0))
			continue;
		memset(&man, 0, sizeof(man));
		rc = oci_manifest(j, d, 0, &mtext, &man, digest, mtype);
		if (rc == 0) {
			blob_path(man.config.digest, path);
			s.config = archive_find(&j->ar, path, j->err);
			rc = s.config ? 0 : -1;
			str_copy(s.config_digest, sizeof(s.config_digest), man.config.digest);
			s.config_size = man.config.size;
		}
		s.nlayers = man.nlayers;
		s.descs = man.layers;
		s.layers = calloc(man.nlayers + 1, sizeof(*s.layers));
		if (rc == 0 && !s.layers)
			rc = kerr_set(j->err, ENOMEM, "load");
		for (size_t k = 0; rc == 0 && k < man.nlayers; k++) {
			blob_path(man.layers[k].digest, path);
			s.layers[k] = archive_find(&j->ar, path, j->err);
			rc = s.layers[k] ? 0 : -1;
		}
		s.manifest = (const char *)mtext.data;
		s.manifest_len = mtext.len;
		s.manifest_digest = digest;
		s.manifest_type = mtype;
		if (rc == 0)
			rc = oci_tag(d, &s.tags, j->err);
		if (rc == 0)
			rc = load_image(j, &s);
		if (rc == 0)
			loaded++;
		s.descs = NULL;
		source_done(&s);
		imgdoc_manifest_done(&man);
		if (rc < 0)
			kerr_wrap(j->err, "index.json entry %zu", i + 1);
	}
	if (rc == 0 && loaded == 0)
		rc = kerr_set(j->err, 0, "index.json lists no linux/%s image", arch);
	imgdoc_manifest_done(&idx);
out:
	buf_done(&text);
	buf_done(&mtext);
	return rc;
}

int imgload_archive(const struct imgstore *st, int fd, const struct imgload_opts *o,
		    struct imgload_result *res, struct kerr *err)
{
	struct job j = { .st = st, .o = o, .res = res, .err = err };
	int rc;

	memset(res, 0, sizeof(*res));
	if (archive_index(&j.ar, fd, err) < 0)
		return kerr_wrap(err, "load");
	if (archive_has(&j.ar, "manifest.json"))
		rc = load_docker(&j);
	else if (archive_has(&j.ar, "index.json"))
		rc = load_oci(&j);
	else
		rc = kerr_set(
			err, 0,
			"not an image archive: it has neither manifest.json (docker save) nor "
			"index.json and oci-layout (an OCI image layout) at its top");
	archive_done(&j.ar);
	if (rc < 0) {
		imgload_result_done(res);
		return kerr_wrap(err, "load");
	}
	return 0;
}

/* ---- staging and import ---- */

int imgload_stage(const struct imgstore *st, int infd, bool gunzip, int *out, struct kerr *err)
{
	struct copy_src in, dec_src;
	struct imgsrc_dec dec;
	_cleanup_close_ int fd = openat(st->tmp, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	_cleanup_free_ uint8_t *buf = malloc(ARCHIVE_STAGE_BUF);
	const struct copy_src *src = &in;
	int rc = 0;

	if (fd < 0)
		return kerr_set(err, errno, "stage the input in images/tmp");
	if (!buf)
		return kerr_set(err, ENOMEM, "stage the input");
	imgsrc_stream(&in, &infd);
	if (gunzip) {
		if (imgsrc_dec(&dec_src, &dec, &in, "the input", err) < 0)
			return -1;
		src = &dec_src;
	}
	for (;;) {
		long n = src->read(src->data, buf, ARCHIVE_STAGE_BUF, err);
		if (n < 0)
			rc = -1;
		if (n <= 0)
			break;
		if (fd_write_full(fd, buf, (size_t)n, err) < 0) {
			rc = kerr_wrap(err, "stage the input in images/tmp");
			break;
		}
	}
	if (gunzip)
		imgsrc_dec_done(&dec);
	if (rc < 0)
		return -1;
	*out = take_fd(&fd);
	return 0;
}

/* The config of an imported image (docker import's shape). */
static int import_config(const char *diff_id, const char *message, struct buf *out,
			 struct kerr *err)
{
	char now[CLOCK_RFC3339NANO_LEN + 1];
	struct json_w w;

	clock_format_rfc3339nano(clock_wall_ns(), now);
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "architecture");
	json_w_str(&w, imgload_host_arch());
	json_w_key(&w, "comment");
	json_w_str(&w, message);
	json_w_key(&w, "config");
	json_w_obj_begin(&w);
	json_w_obj_end(&w);
	json_w_key(&w, "created");
	json_w_str(&w, now);
	json_w_key(&w, "history");
	json_w_arr_begin(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "created");
	json_w_str(&w, now);
	json_w_key(&w, "comment");
	json_w_str(&w, message);
	json_w_obj_end(&w);
	json_w_arr_end(&w);
	json_w_key(&w, "os");
	json_w_str(&w, "linux");
	json_w_key(&w, "rootfs");
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, "layers");
	json_w_key(&w, "diff_ids");
	json_w_arr_begin(&w);
	json_w_str(&w, diff_id);
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

int imgload_import(const struct imgstore *st, int fd, const char *tag, const char *message,
		   const struct imgload_opts *o, struct imgload_result *res, struct kerr *err)
{
	struct job j = { .st = st, .o = o, .res = res, .err = err };
	struct stat s;
	struct imgsrc_file f;
	struct copy_src src;
	struct layer_out out;
	struct imgstore_image im;
	struct prog p = { .o = o, .action = "Importing" };
	char tmpname[64] = "", hex[SHA256_HEX_LEN + 1];
	_cleanup_close_ int dirfd = -1, difffd = -1;
	struct buf cfg;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&im, 0, sizeof(im));
	buf_init(&cfg, IMGDOC_JSON_MAX);
	if (fstat(fd, &s) < 0)
		return kerr_set(err, errno, "import: stat the input");
	p.total = (uint64_t)s.st_size;
	str_copy(p.id, sizeof(p.id), "");
	if (imgstore_tmp_dir(st, "layer", tmpname, sizeof(tmpname), &dirfd, err) < 0)
		goto out;
	if (make_diff(dirfd, tmpname, &difffd, err) < 0)
		goto out;
	imgsrc_file(&src, &f, fd, 0, (uint64_t)s.st_size);
	struct layer_in in = {
		.blob = &src,
		.what = "the imported tar",
		.blob_size = UINT64_MAX,
		.max_size = o->max_layer_size,
		.devices = o->devices,
		.progress = o->progress ? on_progress : NULL,
		.pdata = &p,
	};
	im.layers = calloc(1, sizeof(*im.layers));
	if (!im.layers) {
		kerr_set(err, ENOMEM, "import");
		goto out;
	}
	struct imgstore_layer *l = &im.layers[0];
	if (layer_unpack(difffd, &in, &out, err) < 0)
		goto out;
	im.nlayers = 1;
	str_copy(l->diff_id, sizeof(l->diff_id), out.diff_id);
	str_copy(l->chain, sizeof(l->chain), out.diff_id);
	str_copy(l->blob, sizeof(l->blob), out.blob_digest);
	l->blob_size = out.blob_size;
	l->size = out.stats.bytes;
	l->tar_size = out.tar_size;
	str_copy(l->media_type, sizeof(l->media_type),
		 out.format == GZ_GZIP ? IMGDOC_MT_OCI_LAYER_GZ : IMGDOC_MT_OCI_LAYER);
	im.size = l->size;
	if (imgstore_blob_put_fd(st, l->blob, fd, 0, (uint64_t)s.st_size, err) < 0 ||
	    imgstore_layer_json(dirfd, l, NULL, err) < 0)
		goto out;
	if (syncfs(st->layers) < 0) {
		kerr_set(err, errno, "sync the image store");
		goto out;
	}
	if (imgstore_layer_commit(st, tmpname, l->chain, err) < 0)
		goto out;
	tmpname[0] = '\0';
	if (import_config(l->diff_id, message, &cfg, err) < 0)
		goto out;
	sha256_hex_of(cfg.data, cfg.len, hex);
	snprintf(im.id, sizeof(im.id), "sha256:%s", hex);
	im.config_size = cfg.len;
	struct source none = { 0 };
	if (imgstore_blob_put_mem(st, im.id, cfg.data, cfg.len, err) < 0 ||
	    store_manifest(&j, &none, &im) < 0)
		goto out;
	im.created_ns = im.loaded_ns = clock_wall_ns();
	if (tag && push_tag(&im.tags, tag, err) < 0)
		goto out;
	rc = add_result(&j, &im);
out:
	if (tmpname[0]) {
		struct kerr ignored;

		(void)imgstore_remove(st->tmp, tmpname, &ignored);
	}
	imgstore_image_done(&im);
	buf_done(&cfg);
	if (rc < 0)
		return kerr_wrap(err, "import");
	return 0;
}
