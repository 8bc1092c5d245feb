/*
 * record_image: the record's "image" block, as JSON and checked (mechanism, store folder).
 *
 * {"ref": "busybox", "id": "sha256:…", "layers": ["sha256:…", …], "storage": "overlay",
 *  "entrypoint": null | [..], "user": null | "name:group", "no_healthcheck": false,
 *  "stop_signal": null | "SIGQUIT", "exposed_ports": ["80/tcp", …]}, or null for a
 * container that has no image. Decoding is as strict as record_json.c's (known keys only,
 * one type each, lists and strings capped); the ids are checked here without the image
 * folder (which ranks above the store): sha256: and 64 lowercase hex digits. A request
 * carries ref and the request-only keys; a record also id, layers and storage. Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "store/record.h"

#define LAYERS_MAX 256 /* layers of one image (the image folder's IMGDOC_LAYERS_MAX) */
#define REF_MAX	   255 /* bytes of an image reference */

static bool is_digest(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != RECORD_IMAGE_ID_LEN)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* record.c's record_strv_free, which record.c's record_done reaches through here: its own
 * copy keeps the two files from calling each other. */
static void strv_free(struct record_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct record_strv){ 0 };
}

void record_image_done(struct record_image *im)
{
	free(im->ref);
	strv_free(&im->layers);
	strv_free(&im->entrypoint);
	free(im->user);
	free(im->stop_signal);
	strv_free(&im->exposed_ports);
	*im = (struct record_image){ 0 };
}

static int want(const struct json_doc *d, int i, enum json_type t, const char *key,
		struct kerr *err)
{
	if (d->toks[i].type == t)
		return 0;
	return kerr_set(err, 0, "key `image.%s`: expected %s, found %s", key, json_type_name(t),
			json_type_name(d->toks[i].type));
}

static int dup_str(const struct json_doc *d, int i, const char *key, size_t max, char **out,
		   struct kerr *err)
{
	const struct json_tok *t = &d->toks[i];
	size_t raw = (size_t)(t->end - t->start);
	char *s;

	if (want(d, i, JSON_STRING, key, err) < 0)
		return -1;
	s = malloc(raw + 1);
	if (!s)
		return kerr_set(err, ENOMEM, "key `image.%s`", key);
	if (json_get_str(d, i, s, raw + 1, err) < 0) {
		free(s);
		return kerr_wrap(err, "key `image.%s`", key);
	}
	if (strlen(s) > max) {
		kerr_set(err, 0, "key `image.%s`: string of %zu bytes exceeds limit %zu", key,
			 strlen(s), max);
		free(s);
		return -1;
	}
	free(*out);
	*out = s;
	return 0;
}

static int get_strv(const struct json_doc *d, int i, const char *key, size_t cap,
		    struct record_strv *v, struct kerr *err)
{
	const struct json_tok *t = &d->toks[i];

	if (want(d, i, JSON_ARRAY, key, err) < 0)
		return -1;
	if ((size_t)t->size > cap)
		return kerr_set(err, 0, "key `image.%s`: %d entries exceed limit %zu", key, t->size,
				cap);
	strv_free(v);
	v->v = calloc((size_t)t->size + 1, sizeof(*v->v));
	if (!v->v)
		return kerr_set(err, ENOMEM, "key `image.%s`", key);
	int k = i + 1;
	for (int e = 0; e < t->size; e++, v->n++) {
		if (dup_str(d, k, key, RECORD_STR_MAX, &v->v[e], err) < 0)
			return -1;
		k = json_skip(d, k);
	}
	return 0;
}

static int get_bool(const struct json_doc *d, int i, const char *key, bool *out, struct kerr *err)
{
	if (want(d, i, JSON_BOOL, key, err) < 0)
		return -1;
	return json_get_bool(d, i, out, err);
}

static int get_fixed(const struct json_doc *d, int i, const char *key, char *out, size_t cap,
		     struct kerr *err)
{
	if (want(d, i, JSON_STRING, key, err) < 0)
		return -1;
	if (json_get_str(d, i, out, cap, err) < 0)
		return kerr_wrap(err, "key `image.%s`", key);
	return 0;
}

static int member(const struct json_doc *d, int k, int v, struct record_image *im, struct kerr *err)
{
	bool null = d->toks[v].type == JSON_NULL;

	if (json_str_eq(d, k, "ref"))
		return null ? 0 : dup_str(d, v, "ref", REF_MAX, &im->ref, err);
	if (json_str_eq(d, k, "id"))
		return null ? 0 : get_fixed(d, v, "id", im->id, sizeof(im->id), err);
	if (json_str_eq(d, k, "layers"))
		return get_strv(d, v, "layers", LAYERS_MAX, &im->layers, err);
	if (json_str_eq(d, k, "storage"))
		return null ? 0 : get_fixed(d, v, "storage", im->storage, sizeof(im->storage), err);
	if (json_str_eq(d, k, "entrypoint")) {
		im->entrypoint_set = !null;
		return null ? 0
			    : get_strv(d, v, "entrypoint", RECORD_LIST_MAX, &im->entrypoint, err);
	}
	if (json_str_eq(d, k, "user"))
		return null ? 0 : dup_str(d, v, "user", RECORD_STR_MAX, &im->user, err);
	if (json_str_eq(d, k, "no_healthcheck"))
		return get_bool(d, v, "no_healthcheck", &im->no_healthcheck, err);
	if (json_str_eq(d, k, "stop_signal"))
		return null ? 0 : dup_str(d, v, "stop_signal", 32, &im->stop_signal, err);
	if (json_str_eq(d, k, "exposed_ports"))
		return get_strv(d, v, "exposed_ports", RECORD_LIST_MAX, &im->exposed_ports, err);
	char q[4 * RECORD_SHOWN_MAX + 4];
	size_t n = (size_t)(d->toks[k].end - d->toks[k].start);

	str_sanitize(q, sizeof(q), d->text + d->toks[k].start,
		     n < RECORD_SHOWN_MAX ? n : RECORD_SHOWN_MAX);
	return kerr_set(err, 0, "unknown key `%s` in `image`", q);
}

int record_image_decode(const struct json_doc *d, int i, struct record_image *im, struct kerr *err)
{
	record_image_done(im);
	if (d->toks[i].type == JSON_NULL)
		return 0;
	if (d->toks[i].type != JSON_OBJECT)
		return kerr_set(err, 0, "key `image`: expected an object or null, found %s",
				json_type_name(d->toks[i].type));
	int k = i + 1;
	for (int m = 0; m < d->toks[i].size; m++) {
		if (member(d, k, k + 1, im, err) < 0)
			return -1;
		k = json_skip(d, k + 1);
	}
	if (!im->ref)
		return kerr_set(err, 0, "key `image.ref` is missing");
	return 0;
}

static void w_strv(struct json_w *w, const char *key, const struct record_strv *v)
{
	if (key)
		json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

static void w_opt(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	if (s && s[0])
		json_w_str(w, s);
	else
		json_w_null(w);
}

void record_image_encode(struct json_w *w, const struct record_image *im)
{
	/* Absent for a container without an image: its record keeps the bytes it had. */
	if (!im->ref)
		return;
	json_w_key(w, "image");
	json_w_obj_begin(w);
	w_opt(w, "ref", im->ref);
	w_opt(w, "id", im->id);
	w_strv(w, "layers", &im->layers);
	w_opt(w, "storage", im->storage);
	json_w_key(w, "entrypoint");
	if (im->entrypoint_set)
		w_strv(w, NULL, &im->entrypoint); /* the key is written */
	else
		json_w_null(w);
	w_opt(w, "user", im->user);
	json_w_key(w, "no_healthcheck");
	json_w_bool(w, im->no_healthcheck);
	w_opt(w, "stop_signal", im->stop_signal);
	w_strv(w, "exposed_ports", &im->exposed_ports);
	json_w_obj_end(w);
}

int record_image_validate(const struct record *r, bool request, struct kerr *err)
{
	const struct record_image *im = &r->image;

	if (!im->ref)
		return 0;
	if (!im->ref[0])
		return kerr_set(err, 0, "the image reference is empty");
	if (!im->id[0]) {
		/* A request: the daemon resolves the image and fills the rest. */
		if (!request)
			return kerr_set(err, 0, "key `image.id` is missing");
		if (r->rootfs || r->bundle)
			return kerr_set(err, 0,
					"an image cannot be combined with --rootfs or --bundle");
		if (im->layers.n || im->storage[0])
			return kerr_set(err, 0,
					"a request cannot name the image's layers or storage");
		return 0;
	}
	if (!is_digest(im->id))
		return kerr_set(err, 0, "key `image.id`: expected sha256: and 64 hex digits");
	if (im->layers.n == 0)
		return kerr_set(err, 0, "key `image.layers` is empty");
	for (size_t i = 0; i < im->layers.n; i++)
		if (!is_digest(im->layers.v[i]))
			return kerr_set(err, 0, "key `image.layers[%zu]` is not a sha256 digest",
					i);
	if (strcmp(im->storage, "overlay") != 0 && strcmp(im->storage, "vfs") != 0)
		return kerr_set(err, 0, "key `image.storage` is `%s`, expected overlay or vfs",
				im->storage);
	if (!r->rootfs || r->bundle)
		return kerr_set(err, 0, "a container of an image has a rootfs (its mount point)");
	return 0;
}
