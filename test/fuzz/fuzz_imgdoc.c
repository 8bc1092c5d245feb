/*
 * fuzz_imgdoc: libFuzzer target for the image documents (test layer, fuzzes
 * src/image/imgdoc.c and the store's image records, src/image/imgstore.c).
 *
 * The first byte picks the decoder: 0 an OCI index or manifest (docker's manifest list and
 * v2 manifest), 1 docker-archive's manifest.json, 2 an image config, 3 an image record
 * (images/meta, a worker's report); the rest is the document. What decodes must hold to
 * the caps (lists, strings NUL-terminated), every digest must be sha256:[0-9a-f]{64}
 * before anyone can build a path from it, the config's raw "config" bytes must lie inside
 * the input, and a record must encode and decode back to the same bytes. Nothing touches
 * the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "image/imgdoc.h"
#include "image/imgref.h"
#include "image/imgstore.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_desc(const struct imgdoc_desc *d)
{
	CHECK(imgref_is_digest(d->digest));
	CHECK(memchr(d->media_type, '\0', sizeof(d->media_type)));
}

static void manifest(const char *text, size_t len)
{
	struct imgdoc_manifest m;
	struct kerr err;

	if (imgdoc_manifest_parse(text, len, "fuzz", &m, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(m.nmanifests <= IMGDOC_MANIFESTS_MAX && m.nlayers <= IMGDOC_LAYERS_MAX);
	if (m.is_index) {
		for (size_t i = 0; i < m.nmanifests; i++)
			check_desc(&m.manifests[i]);
	} else {
		check_desc(&m.config);
		for (size_t i = 0; i < m.nlayers; i++)
			check_desc(&m.layers[i]);
	}
	imgdoc_manifest_done(&m);
}

static void dmanifest(const char *text, size_t len)
{
	struct imgdoc_dmanifest m;
	struct kerr err;

	if (imgdoc_dmanifest_parse(text, len, &m, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(m.n <= IMGDOC_MANIFESTS_MAX);
	for (size_t i = 0; i < m.n; i++) {
		CHECK(m.e[i].config && m.e[i].layers.n <= IMGDOC_LAYERS_MAX);
		CHECK(m.e[i].tags.n <= IMGDOC_TAGS_MAX);
	}
	imgdoc_dmanifest_done(&m);
}

static void config(const char *text, size_t len)
{
	struct imgdoc_config c;
	struct kerr err;

	if (imgdoc_config_parse(text, len, &c, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(c.diff_ids.n <= IMGDOC_LAYERS_MAX && c.nhistory <= IMGDOC_HISTORY_MAX);
	for (size_t i = 0; i < c.diff_ids.n; i++)
		CHECK(imgref_is_digest(c.diff_ids.v[i]));
	for (size_t i = 0; i < c.env.n; i++)
		CHECK(strchr(c.env.v[i], '=') && c.env.v[i][0] != '=');
	CHECK(c.config_off + c.config_len <= len);
	if (c.config_len)
		CHECK(text[c.config_off] == '{' && text[c.config_off + c.config_len - 1] == '}');
	imgdoc_config_done(&c);
}

static void record(const char *text, size_t len)
{
	struct imgstore_image im, again;
	struct buf a, b;
	struct kerr err;

	if (imgstore_meta_decode(text, len, &im, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(imgref_is_digest(im.id) && imgref_is_digest(im.manifest));
	for (size_t i = 0; i < im.nlayers; i++)
		CHECK(imgref_is_digest(im.layers[i].chain) && imgref_is_digest(im.layers[i].blob));
	buf_init(&a, IMGSTORE_META_MAX);
	buf_init(&b, IMGSTORE_META_MAX);
	CHECK(imgstore_meta_encode(&im, true, &a, &err) == 0);
	CHECK(imgstore_meta_decode((const char *)a.data, a.len, &again, &err) == 0);
	CHECK(imgstore_meta_encode(&again, true, &b, &err) == 0);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	imgstore_image_done(&again);
	imgstore_image_done(&im);
	buf_done(&a);
	buf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	switch (data[0] % 4) {
	case 0:
		manifest(text, len);
		break;
	case 1:
		dmanifest(text, len);
		break;
	case 2:
		config(text, len);
		break;
	default:
		record(text, len);
		break;
	}
	return 0;
}
