/*
 * daemon_image: the image requests (role, layer 3; middle band of the daemon).
 *
 * Descriptors from a client are checked before anything is started: the count must be
 * NFDS, the data descriptor a regular file or a pipe opened for the right direction, the
 * progress descriptor a pipe (docs/PROTOCOL.md "Images"); any failure closes them all.
 * Removal follows docker's rules: a tag of an image with other tags is only untagged; an
 * image's last tag, or its id, removes the image, refused while a container uses it
 * unless forced (the container keeps its layers; the collection spares what any
 * container's record names). Answers carry JSON the client formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/log.h"
#include "base/str.h"
#include "daemon/daemon_image.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_imgwork.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "image/imgdoc.h"
#include "image/imgref.h"
#include "ipc/request.h"

#define JSON_REPLY_MAX (KETTLE_FRAME_MAX - 4096) /* a reply's JSON document */
#define TAGS_SHOWN     1024			 /* tags of one image in a reply */

static void fail(struct rpc_conn *conn, uint32_t reqid, uint32_t code, struct kerr *err)
{
	daemon_reply_fail(conn, reqid, code, err);
}

static void reply_json(struct rpc_conn *conn, uint32_t reqid, const char *id, struct buf *json)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, reqid, 0);
	if (id)
		wire_enc_str(&e, WIRE_F_ID, id);
	wire_enc_bytes(&e, WIRE_F_JSON, json->data, json->len);
	if (wire_enc_end(&e, &err) < 0) {
		kerr_wrap(&err, "reply");
		fail(conn, reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}

static void put_time(struct json_w *w, const char *key, int64_t ns)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	json_w_key(w, key);
	if (ns <= 0) {
		json_w_null(w);
		return;
	}
	clock_format_rfc3339nano(ns, stamp);
	json_w_str(w, stamp);
}

/* ---- descriptors ---- */

/* Takes the frame's descriptors: exactly NFDS of them, data first, progress second. */
static int take_fds(struct rpc_conn *conn, const struct wire_frame *f, bool writing, int fds[2],
		    struct kerr *err)
{
	int got[IPC_FDS_MAX];
	uint32_t want = 0;
	size_t n = ipc_conn_take_fds(rpc_conn_ipc(conn), got, IPC_FDS_MAX);
	struct stat st;
	int rc = 0;

	fds[0] = fds[1] = -1;
	if (wire_get_u32(f, WIRE_F_NFDS, true, &want, err) < 0)
		rc = -1;
	else if (n != want)
		rc = kerr_set(err, 0, "NFDS says %u descriptors, %zu arrived", want, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int fl = fcntl(got[i], F_GETFL);
		bool data = i == 0;

		if (fstat(got[i], &st) < 0 || fl < 0)
			rc = kerr_set(err, errno, "descriptor %zu", i + 1);
		else if (data && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
			rc = kerr_set(
				err, 0,
				"the %s must be a regular file or a pipe (a directory, device or "
				"socket is refused)",
				writing ? "output" : "input");
		else if (!data && !S_ISFIFO(st.st_mode))
			rc = kerr_set(err, 0, "the progress descriptor must be a pipe");
		else if ((data && !writing && (fl & O_ACCMODE) == O_WRONLY) ||
			 ((writing || !data) && (fl & O_ACCMODE) == O_RDONLY))
			rc = kerr_set(err, 0, "descriptor %zu is open for the wrong direction",
				      i + 1);
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			fd_close(got[i]);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fds[i] = got[i];
	return 0;
}

/* ---- load, import, save ---- */

static void api_load(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f,
		     bool import)
{
	char job[4096], tag[2 * IMGREF_MAX + 2] = "", msg[REQUEST_IMAGE_MSG_MAX + 1] = "";
	struct imgref r;
	struct kerr err;
	struct json_w w;
	struct buf b;
	int fds[2];

	if (take_fds(conn, f, false, fds, &err) < 0) {
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (import && (wire_get_str(f, WIRE_F_REF, false, tag, sizeof(tag), &err) < 0 ||
		       wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0))
		goto out_fail;
	if (tag[0]) {
		if (imgref_parse(tag, &r, &err) < 0)
			goto out_fail;
		if (!r.tag[0]) {
			kerr_set(&err, 0, "import: `%s` is a digest, expected REPOSITORY[:TAG]",
				 tag);
			goto out_fail;
		}
		str_copy(tag, sizeof(tag), r.full);
	}
	buf_init(&b, sizeof(job));
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "op");
	json_w_str(&w, import ? "import" : "load");
	json_w_key(&w, "max_layer_size");
	json_w_u64(&w, d->images->max_layer_size);
	json_w_key(&w, "progress");
	json_w_bool(&w, fds[1] >= 0);
	if (import) {
		json_w_key(&w, "tag");
		json_w_str(&w, tag);
		json_w_key(&w, "message");
		json_w_str(&w, msg[0] ? msg : "Imported from -");
	}
	json_w_obj_end(&w);
	int rc = json_w_end(&w, &err);
	if (rc == 0) {
		str_copyn(job, sizeof(job), (const char *)b.data, b.len);
		rc = daemon_imgwork_start(d, import ? DAEMON_IMGWORK_IMPORT : DAEMON_IMGWORK_LOAD,
					  rpc_conn_id(conn), f->reqid, job, fds[0], -1, fds[1],
					  &err);
	}
	buf_done(&b);
	fd_close(fds[0]);
	fd_close(fds[1]);
	if (rc < 0)
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	return;
out_fail:
	fd_close(fds[0]);
	fd_close(fds[1]);
	fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* Adds tag (may be "") to the save entry of im, creating it. */
static int save_add(const struct imgstore_image *im, const char *tag, const char ***tags,
		    size_t *ntags, const struct imgstore_image **ims, size_t *n, struct kerr *err)
{
	size_t i = 0;

	while (i < *n && ims[i] != im)
		i++;
	if (i == *n) {
		if (*n == REQUEST_IMAGE_SAVE_MAX)
			return kerr_set(err, 0, "save: more than %d images",
					REQUEST_IMAGE_SAVE_MAX);
		ims[(*n)++] = im;
		ntags[i] = 0;
	}
	if (!tag[0])
		return 0;
	for (size_t t = 0; t < ntags[i]; t++)
		if (strcmp(tags[i][t], tag) == 0)
			return 0;
	const char **nt = realloc(tags[i], (ntags[i] + 1) * sizeof(*nt));
	if (!nt)
		return kerr_set(err, ENOMEM, "save");
	tags[i] = nt;
	nt[ntags[i]++] = strdup(tag);
	return nt[ntags[i] - 1] ? 0 : kerr_set(err, ENOMEM, "save");
}

static void api_save(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	const struct imgstore_image **ims = calloc(REQUEST_IMAGE_SAVE_MAX, sizeof(*ims));
	const char ***tags = calloc(REQUEST_IMAGE_SAVE_MAX, sizeof(*tags));
	size_t *ntags = calloc(REQUEST_IMAGE_SAVE_MAX, sizeof(*ntags));
	struct json_tok *toks = calloc(REQUEST_IMAGE_SAVE_MAX + 16, sizeof(*toks));
	const uint8_t *text;
	size_t len, n = 0;
	uint32_t code = DAEMON_FAIL_CODE;
	char format[16] = "docker";
	struct json_doc doc;
	struct kerr err;
	struct buf b = { 0 };
	int fds[2] = { -1, -1 };
	int rc = -1, v;

	if (!ims || !tags || !ntags || !toks) {
		kerr_set(&err, ENOMEM, "save");
		goto out;
	}
	if (take_fds(conn, f, true, fds, &err) < 0 ||
	    wire_get_str_view(f, WIRE_F_JSON, true, REQUEST_IMAGE_JSON_MAX, &text, &len, &err) <
		    0 ||
	    json_parse(&doc, (const char *)text, len, toks, REQUEST_IMAGE_SAVE_MAX + 16, &err) < 0)
		goto out;
	if (doc.toks[0].type != JSON_OBJECT || (v = json_obj_get(&doc, 0, "images")) < 0 ||
	    doc.toks[v].type != JSON_ARRAY || doc.toks[v].size == 0) {
		kerr_set(&err, 0, "save: expected {\"images\": [IMAGE…], \"format\": …}");
		goto out;
	}
	int fv = json_obj_get(&doc, 0, "format");
	if (fv >= 0 && (json_get_str(&doc, fv, format, sizeof(format), &err) < 0 ||
			(strcmp(format, "docker") != 0 && strcmp(format, "oci") != 0))) {
		kerr_set(&err, 0, "save: unknown format, expected docker or oci");
		goto out;
	}
	for (int i = 0, k = v + 1; i < doc.toks[v].size; i++, k = json_skip(&doc, k)) {
		char ref[REQUEST_IMAGE_REF_MAX + 1], tag[2 * IMGREF_MAX + 2];
		const struct imgstore_image *im;

		if (json_get_str(&doc, k, ref, sizeof(ref), &err) < 0)
			goto out;
		im = daemon_images_resolve(d, ref, tag, sizeof(tag), &code, &err);
		if (!im || save_add(im, tag, tags, ntags, ims, &n, &err) < 0)
			goto out;
	}
	buf_init(&b, REQUEST_IMAGE_JSON_MAX + 4096);
	struct json_w w;
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "op");
	json_w_str(&w, "save");
	json_w_key(&w, "format");
	json_w_str(&w, format);
	json_w_key(&w, "progress");
	json_w_bool(&w, fds[1] >= 0);
	json_w_key(&w, "images");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_str(&w, ims[i]->id);
		json_w_key(&w, "tags");
		json_w_arr_begin(&w);
		for (size_t t = 0; t < ntags[i]; t++)
			json_w_str(&w, tags[i][t]);
		json_w_arr_end(&w);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0 || buf_append(&b, "", 1, &err) < 0)
		goto out;
	rc = daemon_imgwork_start(d, DAEMON_IMGWORK_SAVE, rpc_conn_id(conn), f->reqid,
				  (const char *)b.data, -1, fds[0], fds[1], &err);
out:
	if (rc < 0)
		fail(conn, f->reqid, code, &err);
	fd_close(fds[0]);
	fd_close(fds[1]);
	buf_done(&b);
	for (size_t i = 0; tags && ntags && i < n; i++) {
		for (size_t t = 0; t < ntags[i]; t++)
			free((char *)tags[i][t]);
		free(tags[i]);
	}
	free(ims);
	free(tags);
	free(ntags);
	free(toks);
}

/* ---- list, inspect, history ---- */

static size_t containers_of(struct daemon *d, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nctrs; i++)
		n += d->ctrs[i]->rec.image.ref && strcmp(d->ctrs[i]->rec.image.id, id) == 0;
	return n;
}

/* RepoDigests: repo@manifest for each repository the image is tagged in. */
static void put_digests(struct daemon *d, struct json_w *w, const struct imgstore_image *im,
			const char **tags, size_t ntags, bool familiar)
{
	json_w_arr_begin(w);
	for (size_t t = 0; !im->manifest_generated && t < ntags; t++) {
		char repo[2 * IMGREF_MAX + 2], shown[2 * IMGREF_MAX + 2], one[4 * IMGREF_MAX];
		bool dup = false;

		imgref_repo(tags[t], repo, sizeof(repo));
		for (size_t u = 0; u < t && !dup; u++) {
			char other[2 * IMGREF_MAX + 2];

			imgref_repo(tags[u], other, sizeof(other));
			dup = strcmp(other, repo) == 0;
		}
		if (dup)
			continue;
		if (familiar)
			imgref_familiar(repo, shown, sizeof(shown));
		else
			str_copy(shown, sizeof(shown), repo);
		snprintf(one, sizeof(one), "%s@%s", shown, im->manifest);
		json_w_str(w, one);
	}
	(void)d;
	json_w_arr_end(w);
}

static int by_created(const void *a, const void *b)
{
	const struct imgstore_image *x = *(const struct imgstore_image *const *)a;
	const struct imgstore_image *y = *(const struct imgstore_image *const *)b;

	if (x->created_ns != y->created_ns)
		return x->created_ns < y->created_ns ? 1 : -1;
	return strcmp(x->id, y->id);
}

static void api_list(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_images *im = d->images;
	const struct imgstore_image **order = calloc(im->n + 1, sizeof(*order));
	const char *tags[TAGS_SHOWN];
	struct json_w w;
	struct buf b;
	struct kerr err;

	if (!order) {
		kerr_set(&err, ENOMEM, "list images");
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	for (size_t i = 0; i < im->n; i++)
		order[i] = &im->v[i];
	qsort(order, im->n, sizeof(*order), by_created);
	buf_init(&b, JSON_REPLY_MAX);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	for (size_t i = 0; i < im->n; i++) {
		const struct imgstore_image *v = order[i];
		size_t nt = daemon_images_tags_of(d, v->id, tags, TAGS_SHOWN);

		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_str(&w, v->id);
		json_w_key(&w, "tags");
		json_w_arr_begin(&w);
		for (size_t t = 0; t < nt; t++)
			json_w_str(&w, tags[t]);
		json_w_arr_end(&w);
		json_w_key(&w, "digests");
		put_digests(d, &w, v, tags, nt, false);
		put_time(&w, "created", v->created_ns);
		json_w_key(&w, "size");
		json_w_u64(&w, v->size);
		json_w_key(&w, "containers");
		json_w_u64(&w, containers_of(d, v->id));
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	free(order);
	if (json_w_end(&w, &err) < 0) {
		kerr_wrap(&err, "list %zu images: more than one reply holds", im->n);
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		reply_json(conn, f->reqid, NULL, &b);
	}
	buf_done(&b);
}

/* Reads and parses image im's config; text keeps its bytes. */
static int read_config(struct daemon *d, const struct imgstore_image *im, struct buf *text,
		       struct imgdoc_config *cfg, struct kerr *err)
{
	buf_init(text, IMGDOC_JSON_MAX + 1);
	if (imgstore_blob_read(&d->images->st, im->id, IMGDOC_JSON_MAX, text, err) < 0 ||
	    imgdoc_config_parse((const char *)text->data, text->len, cfg, err) < 0) {
		buf_done(text);
		return kerr_wrap(err, "image %s", im->id);
	}
	return 0;
}

static void put_opt(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	json_w_str(w, s ? s : "");
}

static void api_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	char ref[REQUEST_IMAGE_REF_MAX + 1], tag[2 * IMGREF_MAX + 2];
	const char *tags[TAGS_SHOWN];
	uint32_t code = DAEMON_FAIL_CODE;
	struct imgdoc_config cfg;
	struct buf text, b;
	struct json_w w;
	struct kerr err;
	const struct imgstore_image *im;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0 ||
	    !(im = daemon_images_resolve(d, ref, tag, sizeof(tag), &code, &err)) ||
	    read_config(d, im, &text, &cfg, &err) < 0) {
		fail(conn, f->reqid, code, &err);
		return;
	}
	size_t nt = daemon_images_tags_of(d, im->id, tags, TAGS_SHOWN);
	buf_init(&b, JSON_REPLY_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "Id");
	json_w_str(&w, im->id);
	json_w_key(&w, "RepoTags");
	json_w_arr_begin(&w);
	for (size_t t = 0; t < nt; t++) {
		char shown[2 * IMGREF_MAX + 2];

		imgref_familiar(tags[t], shown, sizeof(shown));
		json_w_str(&w, shown);
	}
	json_w_arr_end(&w);
	json_w_key(&w, "RepoDigests");
	put_digests(d, &w, im, tags, nt, true);
	put_opt(&w, "Parent", "");
	put_opt(&w, "Comment",
		cfg.history && cfg.nhistory ? cfg.history[cfg.nhistory - 1].comment : "");
	put_opt(&w, "Created", cfg.created);
	put_opt(&w, "DockerVersion", "");
	put_opt(&w, "Author", cfg.author);
	json_w_key(&w, "Config");
	if (cfg.config_len)
		json_w_raw(&w, (const char *)text.data + cfg.config_off, cfg.config_len);
	else
		json_w_null(&w);
	put_opt(&w, "Architecture", cfg.architecture);
	put_opt(&w, "Os", cfg.os);
	json_w_key(&w, "Size");
	json_w_u64(&w, im->size);
	json_w_key(&w, "GraphDriver");
	json_w_obj_begin(&w);
	json_w_key(&w, "Data");
	json_w_null(&w);
	json_w_key(&w, "Name");
	json_w_str(&w, d->images->storage);
	json_w_obj_end(&w);
	json_w_key(&w, "RootFS");
	json_w_obj_begin(&w);
	json_w_key(&w, "Type");
	json_w_str(&w, "layers");
	json_w_key(&w, "Layers");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < cfg.diff_ids.n; i++)
		json_w_str(&w, cfg.diff_ids.v[i]);
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	json_w_key(&w, "Metadata");
	json_w_obj_begin(&w);
	put_time(&w, "LastTagTime", 0);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0)
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	else
		reply_json(conn, f->reqid, im->id, &b);
	buf_done(&b);
	buf_done(&text);
	imgdoc_config_done(&cfg);
}

static void api_history(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	char ref[REQUEST_IMAGE_REF_MAX + 1], tag[2 * IMGREF_MAX + 2];
	uint32_t code = DAEMON_FAIL_CODE;
	struct imgdoc_config cfg;
	struct buf text, b;
	struct json_w w;
	struct kerr err;
	const struct imgstore_image *im;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0 ||
	    !(im = daemon_images_resolve(d, ref, tag, sizeof(tag), &code, &err)) ||
	    read_config(d, im, &text, &cfg, &err) < 0) {
		fail(conn, f->reqid, code, &err);
		return;
	}
	buf_init(&b, JSON_REPLY_MAX);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	/* Newest first. Each entry with a layer of its own takes the next layer's size,
	   counted from the bottom; an image without history shows one row per layer. */
	size_t rows = cfg.nhistory ? cfg.nhistory : im->nlayers;
	size_t layer = 0;
	size_t *sizes = calloc(rows + 1, sizeof(*sizes));
	for (size_t i = 0; sizes && i < rows; i++) {
		bool empty = cfg.nhistory && cfg.history[i].empty_layer;

		if (!empty && layer < im->nlayers)
			sizes[i] = im->layers[layer++].size;
	}
	for (size_t k = rows; k-- > 0;) {
		const struct imgdoc_history *h = cfg.nhistory ? &cfg.history[k] : NULL;

		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_str(&w, k == rows - 1 ? im->id : "<missing>");
		put_opt(&w, "created", h && h->created ? h->created : cfg.created);
		put_opt(&w, "created_by", h ? h->created_by : "");
		json_w_key(&w, "size");
		json_w_u64(&w, sizes ? sizes[k] : 0);
		put_opt(&w, "comment", h ? h->comment : "");
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	free(sizes);
	if (json_w_end(&w, &err) < 0)
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	else
		reply_json(conn, f->reqid, im->id, &b);
	buf_done(&b);
	buf_done(&text);
	imgdoc_config_done(&cfg);
}

/* ---- tag, remove, prune ---- */

static void api_tag(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	char ref[REQUEST_IMAGE_REF_MAX + 1], target[REQUEST_IMAGE_REF_MAX + 1];
	char tag[2 * IMGREF_MAX + 2];
	uint32_t code = DAEMON_FAIL_CODE;
	const struct imgstore_image *im;
	struct imgref r;
	struct kerr err;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0 ||
	    wire_get_str(f, WIRE_F_NAME, true, target, sizeof(target), &err) < 0 ||
	    !(im = daemon_images_resolve(d, ref, tag, sizeof(tag), &code, &err)) ||
	    imgref_parse(target, &r, &err) < 0) {
		fail(conn, f->reqid, code, &err);
		return;
	}
	if (!r.tag[0] || r.digest[0]) {
		kerr_set(&err, 0, "refusing to create a tag with a digest reference");
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_images_tag(d, im->id, r.full, &err) < 0) {
		log_error("tag %s: %s", r.full, err.msg);
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	log_info("tagged %s as %s", im->id, r.full);
	daemon_reply_ok(rpc_conn_id(conn), f->reqid);
}

/* Chains of image im that no other image and no container uses (what its removal frees). */
static void freed_layers(struct daemon *d, const struct imgstore_image *im, struct json_w *w)
{
	for (size_t k = im->nlayers; k-- > 0;) {
		const char *chain = im->layers[k].chain;
		bool used = false;

		for (size_t i = 0; i < d->images->n && !used; i++) {
			if (&d->images->v[i] == im)
				continue;
			for (size_t m = 0; m < d->images->v[i].nlayers && !used; m++)
				used = strcmp(d->images->v[i].layers[m].chain, chain) == 0;
		}
		for (size_t i = 0; i < d->nctrs && !used; i++) {
			const struct record_image *ri = &d->ctrs[i]->rec.image;

			for (size_t m = 0; ri->ref && m < ri->layers.n && !used; m++)
				used = strcmp(ri->layers.v[m], chain) == 0;
		}
		if (!used)
			json_w_str(w, chain);
	}
}

/* Removes image im with all its tags, listing them in untagged and what goes in deleted. */
static int remove_image(struct daemon *d, const struct imgstore_image *im, struct json_w *untagged,
			struct json_w *deleted, struct kerr *err)
{
	const char *tags[TAGS_SHOWN];
	char id[IMGREF_DIGEST_LEN + 1];
	size_t nt = daemon_images_tags_of(d, im->id, tags, TAGS_SHOWN);

	for (size_t t = 0; t < nt; t++) {
		char shown[2 * IMGREF_MAX + 2];

		imgref_familiar(tags[t], shown, sizeof(shown));
		json_w_str(untagged, shown);
	}
	json_w_str(deleted, im->id);
	freed_layers(d, im, deleted);
	str_copy(id, sizeof(id), im->id);
	if (daemon_images_remove(d, id, err) < 0)
		return -1;
	log_info("removed image %s", id);
	return 0;
}

/* docker's refusal of an image some container uses. */
static int in_use(const struct imgstore_image *im, const struct daemon_ctr *c, const char *tag,
		  struct kerr *err)
{
	char shown[2 * IMGREF_MAX + 2], repo[2 * IMGREF_MAX + 2];
	bool running = daemon_ctr_running(c);

	if (tag[0]) {
		imgref_repo(tag, repo, sizeof(repo));
		imgref_familiar(repo, shown, sizeof(shown));
		return kerr_set(
			err, 0,
			"conflict: unable to remove repository reference \"%s\" (must force) "
			"- container %.12s is using its referenced image %.12s",
			shown, c->rec.id, imgref_hex(im->id));
	}
	return kerr_set(err, 0,
			"conflict: unable to delete %.12s (must be forced) - image is being used "
			"by %s container %.12s",
			imgref_hex(im->id), running ? "running" : "stopped", c->rec.id);
}

static void api_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	char ref[REQUEST_IMAGE_REF_MAX + 1], tag[2 * IMGREF_MAX + 2];
	uint32_t code = DAEMON_FAIL_CODE, force = 0;
	const char *tags[2];
	struct imgstore_image *im;
	struct json_w w, untagged, deleted;
	struct buf b, ub, db;
	struct kerr err;
	int rc = -1;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0 ||
	    wire_get_u32(f, WIRE_F_FORCE, false, &force, &err) < 0 ||
	    !(im = daemon_images_resolve(d, ref, tag, sizeof(tag), &code, &err))) {
		fail(conn, f->reqid, code, &err);
		return;
	}
	buf_init(&ub, JSON_REPLY_MAX / 2);
	buf_init(&db, JSON_REPLY_MAX / 2);
	json_w_init(&untagged, &ub);
	json_w_init(&deleted, &db);
	json_w_arr_begin(&untagged);
	json_w_arr_begin(&deleted);
	size_t nt = daemon_images_tags_of(d, im->id, tags, 2);
	struct daemon_ctr *user = daemon_images_user(d, im->id);
	if (tag[0] && nt > 1) {
		/* One of several tags: only the tag goes. */
		char shown[2 * IMGREF_MAX + 2];

		if (daemon_images_untag(d, tag, &err) < 0)
			goto out;
		imgref_familiar(tag, shown, sizeof(shown));
		json_w_str(&untagged, shown);
		log_info("untagged %s", tag);
	} else if (!tag[0] && nt > 1 && !force) {
		kerr_set(&err, 0,
			 "conflict: unable to delete %.12s (must be forced) - image is referenced "
			 "in multiple repositories",
			 imgref_hex(im->id));
		goto out;
	} else if (user && !force) {
		in_use(im, user, tag, &err);
		goto out;
	} else if (remove_image(d, im, &untagged, &deleted, &err) < 0) {
		goto out;
	}
	rc = 0;
out:
	json_w_arr_end(&untagged);
	json_w_arr_end(&deleted);
	if (rc == 0 && (json_w_end(&untagged, &err) < 0 || json_w_end(&deleted, &err) < 0))
		rc = -1;
	if (rc == 0) {
		buf_init(&b, JSON_REPLY_MAX);
		json_w_init(&w, &b);
		json_w_obj_begin(&w);
		json_w_key(&w, "untagged");
		json_w_raw(&w, (const char *)ub.data, ub.len);
		json_w_key(&w, "deleted");
		json_w_raw(&w, (const char *)db.data, db.len);
		json_w_obj_end(&w);
		if (json_w_end(&w, &err) == 0)
			reply_json(conn, f->reqid, NULL, &b);
		else
			rc = -1;
		buf_done(&b);
		daemon_images_gc(d);
	}
	if (rc < 0)
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	buf_done(&ub);
	buf_done(&db);
}

static void api_prune(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_images *ims = d->images;
	uint32_t all = 0;
	uint64_t reclaimed = 0;
	struct json_w w, untagged, deleted;
	struct buf b, ub, db;
	struct kerr err;
	const char *tags[1];
	int rc = 0;

	if (wire_get_u32(f, WIRE_F_ALL, false, &all, &err) < 0) {
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	buf_init(&ub, JSON_REPLY_MAX / 2);
	buf_init(&db, JSON_REPLY_MAX / 2);
	json_w_init(&untagged, &ub);
	json_w_init(&deleted, &db);
	json_w_arr_begin(&untagged);
	json_w_arr_begin(&deleted);
	for (size_t i = 0; rc == 0 && i < ims->n;) {
		struct imgstore_image *im = &ims->v[i];

		if ((!all && daemon_images_tags_of(d, im->id, tags, 1) > 0) ||
		    daemon_images_user(d, im->id)) {
			i++;
			continue;
		}
		reclaimed += im->size;
		rc = remove_image(d, im, &untagged, &deleted, &err); /* v[i] now holds another */
	}
	json_w_arr_end(&untagged);
	json_w_arr_end(&deleted);
	if (rc == 0 && json_w_end(&untagged, &err) == 0 && json_w_end(&deleted, &err) == 0) {
		buf_init(&b, JSON_REPLY_MAX);
		json_w_init(&w, &b);
		json_w_obj_begin(&w);
		json_w_key(&w, "untagged");
		json_w_raw(&w, (const char *)ub.data, ub.len);
		json_w_key(&w, "deleted");
		json_w_raw(&w, (const char *)db.data, db.len);
		json_w_key(&w, "reclaimed");
		json_w_u64(&w, reclaimed);
		json_w_obj_end(&w);
		if (json_w_end(&w, &err) == 0)
			reply_json(conn, f->reqid, NULL, &b);
		else
			rc = -1;
		buf_done(&b);
	} else {
		rc = -1;
	}
	if (rc < 0)
		fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	daemon_images_gc(d);
	buf_done(&ub);
	buf_done(&db);
}

void daemon_image_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	switch (f->type) {
	case WIRE_T_IMAGE_LOAD:
		api_load(d, conn, f, false);
		break;
	case WIRE_T_IMAGE_IMPORT:
		api_load(d, conn, f, true);
		break;
	case WIRE_T_IMAGE_SAVE:
		api_save(d, conn, f);
		break;
	case WIRE_T_IMAGE_LIST:
		api_list(d, conn, f);
		break;
	case WIRE_T_IMAGE_INSPECT:
		api_inspect(d, conn, f);
		break;
	case WIRE_T_IMAGE_TAG:
		api_tag(d, conn, f);
		break;
	case WIRE_T_IMAGE_REMOVE:
		api_remove(d, conn, f);
		break;
	case WIRE_T_IMAGE_PRUNE:
		api_prune(d, conn, f);
		break;
	default:
		api_history(d, conn, f);
		break;
	}
}
