/*
 * imgdoc: decoders of the image's JSON documents (mechanism, image folder; pure).
 *
 * One parse per document into a token array sized from the text (capped at
 * JSON_TOKENS_MAX), then a walk that copies what kettle uses into owned fields. The
 * walk is tolerant of keys it does not know and strict about the ones it does: type,
 * length and, for digests, the sha256:[0-9a-f]{64} form. Errors name the key path
 * (`layers[2].digest`). A failed parse leaves the struct freed (its *_done state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "image/imgdoc.h"

#define KEY_MAX 96 /* bytes of a key path in a message */

/* A parse in progress. */
struct walk {
	struct json_doc doc;   /* the tokens */
	struct json_tok *toks; /* owned token array */
	const char *what;      /* "index.json", "manifest.json", "image config": for messages */
	struct kerr *err;      /* where failures go */
};

static int walk_begin(struct walk *w, const char *what, const char *text, size_t len,
		      struct kerr *err)
{
	size_t ntoks = len / 2 + 2;

	w->what = what;
	w->err = err;
	w->toks = NULL;
	if (len > IMGDOC_JSON_MAX)
		return kerr_set(err, 0, "%s of %zu bytes exceeds the limit of %u bytes", what, len,
				IMGDOC_JSON_MAX);
	if (ntoks > JSON_TOKENS_MAX)
		ntoks = JSON_TOKENS_MAX;
	w->toks = calloc(ntoks, sizeof(*w->toks));
	if (!w->toks)
		return kerr_set(err, ENOMEM, "%s: %zu json tokens", what, ntoks);
	if (json_parse(&w->doc, text, len, w->toks, (int)ntoks, err) < 0)
		return kerr_wrap(err, "%s", what);
	return 0;
}

static void walk_end(struct walk *w)
{
	free(w->toks);
	w->toks = NULL;
}

static enum json_type type_of(const struct walk *w, int i)
{
	return w->doc.toks[i].type;
}

static int want(const struct walk *w, int i, enum json_type t, const char *key)
{
	if (type_of(w, i) == t)
		return 0;
	return kerr_set(w->err, 0, "%s: key `%s`: expected %s, found %s", w->what, key,
			json_type_name(t), json_type_name(type_of(w, i)));
}

/* Value of key in object obj; -1 when absent or null. */
static int get(const struct walk *w, int obj, const char *key)
{
	int v = json_obj_get(&w->doc, obj, key);

	return v >= 0 && type_of(w, v) == JSON_NULL ? -1 : v;
}

/* A fresh copy of string token i. */
static int dup_str(const struct walk *w, int i, const char *key, char **out)
{
	const struct json_tok *t = &w->doc.toks[i];
	size_t raw = (size_t)(t->end - t->start);
	char *s;

	if (want(w, i, JSON_STRING, key) < 0)
		return -1;
	s = malloc(raw + 1);
	if (!s)
		return kerr_set(w->err, ENOMEM, "%s: key `%s`", w->what, key);
	if (json_get_str(&w->doc, i, s, raw + 1, w->err) < 0) {
		free(s);
		return kerr_wrap(w->err, "%s: key `%s`", w->what, key);
	}
	free(*out);
	*out = s;
	return 0;
}

/* An optional string key of obj into *out (left NULL when absent). */
static int opt_str(const struct walk *w, int obj, const char *key, char **out)
{
	int v = get(w, obj, key);

	return v < 0 ? 0 : dup_str(w, v, key, out);
}

/* An optional string key into a fixed buffer. */
static int opt_fixed(const struct walk *w, int obj, const char *key, char *out, size_t cap)
{
	int v = get(w, obj, key);

	out[0] = '\0';
	if (v < 0)
		return 0;
	if (want(w, v, JSON_STRING, key) < 0)
		return -1;
	if (json_get_str(&w->doc, v, out, cap, w->err) < 0)
		return kerr_wrap(w->err, "%s: key `%s`", w->what, key);
	return 0;
}

static int check_digest(const struct walk *w, const char *d, const char *key)
{
	char shown[80];

	if (imgref_is_digest(d))
		return 0;
	str_sanitize(shown, sizeof(shown), d, strlen(d));
	return kerr_set(w->err, 0,
			"%s: key `%s`: `%s` is not a digest, expected sha256: and 64 lowercase hex "
			"digits",
			w->what, key, shown);
}

/* Array of strings at token i into v (cap items). */
static int strv_at(const struct walk *w, int i, const char *key, size_t cap, struct record_strv *v)
{
	const struct json_tok *t = &w->doc.toks[i];
	char ekey[KEY_MAX];

	if (want(w, i, JSON_ARRAY, key) < 0)
		return -1;
	if ((size_t)t->size > cap)
		return kerr_set(w->err, 0, "%s: key `%s`: %d entries exceed the limit of %zu",
				w->what, key, t->size, cap);
	record_strv_free(v);
	v->v = calloc((size_t)t->size + 1, sizeof(*v->v));
	if (!v->v)
		return kerr_set(w->err, ENOMEM, "%s: key `%s`", w->what, key);
	int k = i + 1;
	for (int e = 0; e < t->size; e++) {
		snprintf(ekey, sizeof(ekey), "%s[%d]", key, e);
		if (dup_str(w, k, ekey, &v->v[e]) < 0)
			return -1;
		v->n++;
		k = json_skip(&w->doc, k);
	}
	return 0;
}

/* An object's keys (with_values: "K=V" from string values) into v. */
static int keys_at(const struct walk *w, int i, const char *key, bool with_values,
		   struct record_strv *v)
{
	const struct json_tok *t = &w->doc.toks[i];
	char ekey[KEY_MAX];

	if (want(w, i, JSON_OBJECT, key) < 0)
		return -1;
	if ((size_t)t->size > IMGDOC_LIST_MAX)
		return kerr_set(w->err, 0, "%s: key `%s`: %d entries exceed the limit of %d",
				w->what, key, t->size, IMGDOC_LIST_MAX);
	record_strv_free(v);
	v->v = calloc((size_t)t->size + 1, sizeof(*v->v));
	if (!v->v)
		return kerr_set(w->err, ENOMEM, "%s: key `%s`", w->what, key);
	int k = i + 1;
	for (int e = 0; e < t->size; e++) {
		char *name = NULL, *val = NULL;

		snprintf(ekey, sizeof(ekey), "%s key %d", key, e);
		if (dup_str(w, k, ekey, &name) < 0)
			return -1;
		if (with_values) {
			snprintf(ekey, sizeof(ekey), "%s.%.40s", key, name);
			if (dup_str(w, k + 1, ekey, &val) < 0) {
				free(name);
				return -1;
			}
			size_t a = strlen(name), b = strlen(val);
			char *kv = malloc(a + b + 2);
			if (kv) {
				memcpy(kv, name, a);
				kv[a] = '=';
				memcpy(kv + a + 1, val, b + 1);
			}
			free(name);
			free(val);
			name = kv;
			if (!name)
				return kerr_set(w->err, ENOMEM, "%s: key `%s`", w->what, key);
		}
		v->v[v->n++] = name;
		k = json_skip(&w->doc, k + 1);
	}
	return 0;
}

static int opt_strv(const struct walk *w, int obj, const char *key, size_t cap,
		    struct record_strv *v, bool *set)
{
	int i = get(w, obj, key);

	if (set)
		*set = i >= 0;
	return i < 0 ? 0 : strv_at(w, i, key, cap, v);
}

static int opt_u64(const struct walk *w, int obj, const char *key, uint64_t *out)
{
	int v = get(w, obj, key);

	if (v < 0)
		return 0;
	if (want(w, v, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_u64(&w->doc, v, out, w->err) < 0)
		return kerr_wrap(w->err, "%s: key `%s`", w->what, key);
	return 0;
}

/* ---- descriptors, manifests and indexes ---- */

static void desc_done(struct imgdoc_desc *d)
{
	free(d->ref_name);
	free(d->image_name);
	d->ref_name = d->image_name = NULL;
}

static int desc_at(const struct walk *w, int i, const char *key, struct imgdoc_desc *d)
{
	char k[KEY_MAX];
	int v;

	memset(d, 0, sizeof(*d));
	if (want(w, i, JSON_OBJECT, key) < 0)
		return -1;
	snprintf(k, sizeof(k), "%s.mediaType", key);
	if (opt_fixed(w, i, "mediaType", d->media_type, sizeof(d->media_type)) < 0)
		return kerr_wrap(w->err, "%s", k);
	snprintf(k, sizeof(k), "%s.digest", key);
	v = get(w, i, "digest");
	if (v < 0)
		return kerr_set(w->err, 0, "%s: key `%s` is missing", w->what, k);
	if (want(w, v, JSON_STRING, k) < 0)
		return -1;
	char digest[IMGREF_DIGEST_LEN + 2];
	if (json_get_str(&w->doc, v, digest, sizeof(digest), w->err) < 0)
		return kerr_set(w->err, 0,
				"%s: key `%s` is not a digest, expected sha256: and 64 lowercase "
				"hex digits",
				w->what, k);
	if (check_digest(w, digest, k) < 0)
		return -1;
	str_copy(d->digest, sizeof(d->digest), digest);
	snprintf(k, sizeof(k), "%s.size", key);
	v = get(w, i, "size");
	if (v < 0)
		return kerr_set(w->err, 0, "%s: key `%s` is missing", w->what, k);
	if (want(w, v, JSON_NUMBER, k) < 0 || json_get_u64(&w->doc, v, &d->size, w->err) < 0)
		return kerr_wrap(w->err, "%s", k);
	int a = get(w, i, "annotations");
	if (a >= 0) {
		snprintf(k, sizeof(k), "%s.annotations", key);
		if (want(w, a, JSON_OBJECT, k) < 0)
			return -1;
		if (opt_str(w, a, IMGDOC_ANNOT_REF, &d->ref_name) < 0 ||
		    opt_str(w, a, IMGDOC_ANNOT_CTRD_NAME, &d->image_name) < 0)
			return -1;
	}
	int p = get(w, i, "platform");
	if (p >= 0) {
		snprintf(k, sizeof(k), "%s.platform", key);
		if (want(w, p, JSON_OBJECT, k) < 0 ||
		    opt_fixed(w, p, "os", d->os, sizeof(d->os)) < 0 ||
		    opt_fixed(w, p, "architecture", d->arch, sizeof(d->arch)) < 0)
			return -1;
	}
	return 0;
}

static int descs_at(const struct walk *w, int i, const char *key, size_t cap,
		    struct imgdoc_desc **out, size_t *n)
{
	const struct json_tok *t = &w->doc.toks[i];
	char ekey[KEY_MAX];

	if (want(w, i, JSON_ARRAY, key) < 0)
		return -1;
	if ((size_t)t->size > cap)
		return kerr_set(w->err, 0, "%s: key `%s`: %d entries exceed the limit of %zu",
				w->what, key, t->size, cap);
	*out = calloc((size_t)t->size + 1, sizeof(**out));
	if (!*out)
		return kerr_set(w->err, ENOMEM, "%s: key `%s`", w->what, key);
	int k = i + 1;
	for (int e = 0; e < t->size; e++) {
		snprintf(ekey, sizeof(ekey), "%s[%d]", key, e);
		if (desc_at(w, k, ekey, &(*out)[e]) < 0) {
			desc_done(&(*out)[e]);
			return -1;
		}
		(*n)++;
		k = json_skip(&w->doc, k);
	}
	return 0;
}

void imgdoc_manifest_done(struct imgdoc_manifest *m)
{
	for (size_t i = 0; i < m->nlayers; i++)
		desc_done(&m->layers[i]);
	for (size_t i = 0; i < m->nmanifests; i++)
		desc_done(&m->manifests[i]);
	desc_done(&m->config);
	free(m->layers);
	free(m->manifests);
	memset(m, 0, sizeof(*m));
}

static int manifest_walk(struct walk *w, struct imgdoc_manifest *m)
{
	int v;
	uint64_t version = 0;

	if (want(w, 0, JSON_OBJECT, "(the document)") < 0)
		return -1;
	if (opt_u64(w, 0, "schemaVersion", &version) < 0)
		return -1;
	if (version != 2)
		return kerr_set(w->err, 0, "%s: schemaVersion is %llu, expected 2", w->what,
				(unsigned long long)version);
	if (opt_fixed(w, 0, "mediaType", m->media_type, sizeof(m->media_type)) < 0)
		return -1;
	v = get(w, 0, "manifests");
	if (v >= 0 || strcmp(m->media_type, IMGDOC_MT_OCI_INDEX) == 0 ||
	    strcmp(m->media_type, IMGDOC_MT_DOCKER_LIST) == 0) {
		m->is_index = true;
		if (v < 0)
			return kerr_set(w->err, 0, "%s: key `manifests` is missing", w->what);
		return descs_at(w, v, "manifests", IMGDOC_MANIFESTS_MAX, &m->manifests,
				&m->nmanifests);
	}
	v = get(w, 0, "config");
	if (v < 0)
		return kerr_set(w->err, 0, "%s: key `config` is missing", w->what);
	if (desc_at(w, v, "config", &m->config) < 0)
		return -1;
	v = get(w, 0, "layers");
	if (v < 0)
		return kerr_set(w->err, 0, "%s: key `layers` is missing", w->what);
	return descs_at(w, v, "layers", IMGDOC_LAYERS_MAX, &m->layers, &m->nlayers);
}

int imgdoc_manifest_parse(const char *text, size_t len, const char *what, struct imgdoc_manifest *m,
			  struct kerr *err)
{
	struct walk w;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = walk_begin(&w, what, text, len, err);
	if (rc == 0)
		rc = manifest_walk(&w, m);
	walk_end(&w);
	if (rc < 0)
		imgdoc_manifest_done(m);
	return rc;
}

bool imgdoc_is_layer_type(const char *mt)
{
	static const char *const ok[] = {
		"",
		IMGDOC_MT_OCI_LAYER,
		IMGDOC_MT_OCI_LAYER_GZ,
		IMGDOC_MT_DOCKER_LAYER,
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

/* ---- docker-archive's manifest.json ---- */

void imgdoc_dmanifest_done(struct imgdoc_dmanifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].config);
		record_strv_free(&m->e[i].tags);
		record_strv_free(&m->e[i].layers);
	}
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static int dmanifest_walk(struct walk *w, struct imgdoc_dmanifest *m)
{
	const struct json_tok *t = &w->doc.toks[0];
	char key[KEY_MAX];

	if (want(w, 0, JSON_ARRAY, "(the document)") < 0)
		return -1;
	if ((size_t)t->size > IMGDOC_MANIFESTS_MAX)
		return kerr_set(w->err, 0, "%s: %d entries exceed the limit of %d", w->what,
				t->size, IMGDOC_MANIFESTS_MAX);
	m->e = calloc((size_t)t->size + 1, sizeof(*m->e));
	if (!m->e)
		return kerr_set(w->err, ENOMEM, "%s", w->what);
	int k = 1;
	for (int i = 0; i < t->size; i++) {
		struct imgdoc_dentry *e = &m->e[i];

		m->n++; /* counted before it is filled, so a half-filled entry is freed too */
		snprintf(key, sizeof(key), "[%d]", i);
		if (want(w, k, JSON_OBJECT, key) < 0)
			return -1;
		snprintf(key, sizeof(key), "[%d].Config", i);
		int v = get(w, k, "Config");
		if (v < 0)
			return kerr_set(w->err, 0, "%s: key `%s` is missing", w->what, key);
		if (dup_str(w, v, key, &e->config) < 0)
			return -1;
		snprintf(key, sizeof(key), "[%d].RepoTags", i);
		v = get(w, k, "RepoTags");
		if (v >= 0 && strv_at(w, v, key, IMGDOC_TAGS_MAX, &e->tags) < 0)
			return -1;
		snprintf(key, sizeof(key), "[%d].Layers", i);
		v = get(w, k, "Layers");
		if (v < 0)
			return kerr_set(w->err, 0, "%s: key `%s` is missing", w->what, key);
		if (strv_at(w, v, key, IMGDOC_LAYERS_MAX, &e->layers) < 0)
			return -1;
		k = json_skip(&w->doc, k);
	}
	return 0;
}

int imgdoc_dmanifest_parse(const char *text, size_t len, struct imgdoc_dmanifest *m,
			   struct kerr *err)
{
	struct walk w;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = walk_begin(&w, "manifest.json", text, len, err);
	if (rc == 0)
		rc = dmanifest_walk(&w, m);
	walk_end(&w);
	if (rc < 0)
		imgdoc_dmanifest_done(m);
	return rc;
}

/* ---- the image config ---- */

void imgdoc_config_done(struct imgdoc_config *c)
{
	free(c->architecture);
	free(c->os);
	free(c->created);
	free(c->author);
	free(c->user);
	free(c->workdir);
	free(c->stop_signal);
	record_strv_free(&c->env);
	record_strv_free(&c->entrypoint);
	record_strv_free(&c->cmd);
	record_strv_free(&c->labels);
	record_strv_free(&c->exposed_ports);
	record_strv_free(&c->volumes);
	record_strv_free(&c->health.test);
	record_strv_free(&c->diff_ids);
	for (size_t i = 0; i < c->nhistory; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].comment);
		free(c->history[i].author);
	}
	free(c->history);
	memset(c, 0, sizeof(*c));
}

static int health_at(const struct walk *w, int i, struct imgdoc_health *h)
{
	uint64_t retries = 0;

	if (want(w, i, JSON_OBJECT, "config.Healthcheck") < 0)
		return -1;
	h->set = true;
	if (opt_strv(w, i, "Test", IMGDOC_LIST_MAX, &h->test, NULL) < 0 ||
	    opt_u64(w, i, "Interval", &h->interval_ns) < 0 ||
	    opt_u64(w, i, "Timeout", &h->timeout_ns) < 0 ||
	    opt_u64(w, i, "StartPeriod", &h->start_period_ns) < 0 ||
	    opt_u64(w, i, "Retries", &retries) < 0)
		return kerr_wrap(w->err, "config.Healthcheck");
	h->retries = retries > UINT32_MAX ? UINT32_MAX : (uint32_t)retries;
	return 0;
}

static int config_obj(const struct walk *w, int i, struct imgdoc_config *c)
{
	int v;

	if (want(w, i, JSON_OBJECT, "config") < 0)
		return -1;
	c->config_off = (size_t)w->doc.toks[i].start;
	c->config_len = (size_t)(w->doc.toks[i].end - w->doc.toks[i].start);
	if (opt_str(w, i, "User", &c->user) < 0 || opt_str(w, i, "WorkingDir", &c->workdir) < 0 ||
	    opt_str(w, i, "StopSignal", &c->stop_signal) < 0 ||
	    opt_strv(w, i, "Env", IMGDOC_LIST_MAX, &c->env, NULL) < 0 ||
	    opt_strv(w, i, "Entrypoint", IMGDOC_LIST_MAX, &c->entrypoint, &c->entrypoint_set) < 0 ||
	    opt_strv(w, i, "Cmd", IMGDOC_LIST_MAX, &c->cmd, &c->cmd_set) < 0)
		return -1;
	for (size_t k = 0; k < c->env.n; k++)
		if (!strchr(c->env.v[k], '=') || c->env.v[k][0] == '=')
			return kerr_set(w->err, 0, "%s: config.Env[%zu] is not KEY=VALUE", w->what,
					k);
	v = get(w, i, "Labels");
	if (v >= 0 && keys_at(w, v, "config.Labels", true, &c->labels) < 0)
		return -1;
	v = get(w, i, "ExposedPorts");
	if (v >= 0 && keys_at(w, v, "config.ExposedPorts", false, &c->exposed_ports) < 0)
		return -1;
	v = get(w, i, "Volumes");
	if (v >= 0 && keys_at(w, v, "config.Volumes", false, &c->volumes) < 0)
		return -1;
	v = get(w, i, "Healthcheck");
	if (v >= 0 && health_at(w, v, &c->health) < 0)
		return -1;
	return 0;
}

static int history_at(const struct walk *w, int i, struct imgdoc_config *c)
{
	const struct json_tok *t = &w->doc.toks[i];
	char key[KEY_MAX];

	if (want(w, i, JSON_ARRAY, "history") < 0)
		return -1;
	if ((size_t)t->size > IMGDOC_HISTORY_MAX)
		return kerr_set(w->err, 0, "%s: key `history`: %d entries exceed the limit of %d",
				w->what, t->size, IMGDOC_HISTORY_MAX);
	c->history = calloc((size_t)t->size + 1, sizeof(*c->history));
	if (!c->history)
		return kerr_set(w->err, ENOMEM, "%s: history", w->what);
	int k = i + 1;
	for (int e = 0; e < t->size; e++) {
		struct imgdoc_history *h = &c->history[e];

		/* Counted before it is filled: an entry that fails half-way still has its
		 * strings freed by imgdoc_config_done. */
		c->nhistory++;
		snprintf(key, sizeof(key), "history[%d]", e);
		if (want(w, k, JSON_OBJECT, key) < 0)
			return -1;
		if (opt_str(w, k, "created", &h->created) < 0 ||
		    opt_str(w, k, "created_by", &h->created_by) < 0 ||
		    opt_str(w, k, "comment", &h->comment) < 0 ||
		    opt_str(w, k, "author", &h->author) < 0)
			return kerr_wrap(w->err, "%s", key);
		int v = get(w, k, "empty_layer");
		if (v >= 0 && (want(w, v, JSON_BOOL, key) < 0 ||
			       json_get_bool(&w->doc, v, &h->empty_layer, w->err) < 0))
			return -1;
		k = json_skip(&w->doc, k);
	}
	return 0;
}

static int config_walk(struct walk *w, struct imgdoc_config *c)
{
	int v;

	if (want(w, 0, JSON_OBJECT, "(the document)") < 0)
		return -1;
	if (opt_str(w, 0, "architecture", &c->architecture) < 0 ||
	    opt_str(w, 0, "os", &c->os) < 0 || opt_str(w, 0, "created", &c->created) < 0 ||
	    opt_str(w, 0, "author", &c->author) < 0)
		return -1;
	v = get(w, 0, "config");
	if (v >= 0 && config_obj(w, v, c) < 0)
		return -1;
	v = get(w, 0, "rootfs");
	if (v < 0)
		return kerr_set(w->err, 0, "%s: key `rootfs` is missing", w->what);
	if (want(w, v, JSON_OBJECT, "rootfs") < 0)
		return -1;
	int d = get(w, v, "diff_ids");
	if (d < 0)
		return kerr_set(w->err, 0, "%s: key `rootfs.diff_ids` is missing", w->what);
	if (strv_at(w, d, "rootfs.diff_ids", IMGDOC_LAYERS_MAX, &c->diff_ids) < 0)
		return -1;
	for (size_t k = 0; k < c->diff_ids.n; k++) {
		char key[KEY_MAX];

		snprintf(key, sizeof(key), "rootfs.diff_ids[%zu]", k);
		if (check_digest(w, c->diff_ids.v[k], key) < 0)
			return -1;
	}
	v = get(w, 0, "history");
	if (v >= 0 && history_at(w, v, c) < 0)
		return -1;
	return 0;
}

int imgdoc_config_parse(const char *text, size_t len, struct imgdoc_config *c, struct kerr *err)
{
	struct walk w;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = walk_begin(&w, "image config", text, len, err);
	if (rc == 0)
		rc = config_walk(&w, c);
	walk_end(&w);
	if (rc < 0)
		imgdoc_config_done(c);
	return rc;
}
