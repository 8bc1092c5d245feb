/*
 * cdi_spec: one CDI spec file's JSON, decoded (mechanism, src/cdi; pure).
 *
 * The walk checks the shape first (keys, types, caps), then the meaning: kind and device
 * names by CDI's character rules, names unique, device edits not empty (a device that adds
 * nothing is a mistake in the spec, as CDI's reference implementation says), and the
 * version: a released one, no newer than CDI_SPEC_VERSION, and no older than what the
 * fields used need (SPEC.md's "minimum required version"). Invariants: a failed decode
 * leaves the spec empty; every message names the key by its path in the document.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_strict.h"
#include "base/str.h"
#include "cdi/cdi_spec.h"
#include "store/record.h"

/* Released CDI versions and the field level each admits (enum record_dev_cdi_version). */
static const struct {
	const char *name;		   /* cdiVersion */
	enum record_dev_cdi_version level; /* the newest fields it may use */
} versions[] = {
	{ "0.1.0", RECORD_DEV_CDI_030 }, { "0.2.0", RECORD_DEV_CDI_030 },
	{ "0.3.0", RECORD_DEV_CDI_030 }, { "0.4.0", RECORD_DEV_CDI_040 },
	{ "0.5.0", RECORD_DEV_CDI_050 }, { "0.6.0", RECORD_DEV_CDI_060 },
	{ "0.7.0", RECORD_DEV_CDI_070 }, { "0.8.0", RECORD_DEV_CDI_080 },
	{ "1.0.0", RECORD_DEV_CDI_100 }, { "1.1.0", RECORD_DEV_CDI_110 },
};
#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

void cdi_spec_done(struct cdi_spec *s)
{
	free(s->version);
	free(s->kind);
	for (size_t i = 0; s->devices && i < s->ndevices; i++) {
		free(s->devices[i].name);
		record_dev_edits_done(&s->devices[i].edits);
	}
	free(s->devices);
	record_dev_edits_done(&s->edits);
	*s = (struct cdi_spec){ 0 };
}

const struct cdi_device *cdi_spec_device(const struct cdi_spec *s, const char *name)
{
	for (size_t i = 0; i < s->ndevices; i++)
		if (strcmp(s->devices[i].name, name) == 0)
			return &s->devices[i];
	return NULL;
}

static bool edits_empty(const struct record_dev_edits *e)
{
	return !e->nenv && !e->nnodes && !e->nmounts && !e->nhooks && !e->ngids && !e->unsupported;
}

/* An annotations object: string values only, capped. */
static int annotations(const struct json_doc *d, int i, const char *what, struct kerr *err)
{
	char p[JSON_STRICT_PATH_MAX];
	int k = i + 1;

	if (json_strict_want(d, i, JSON_OBJECT, what, err) < 0)
		return -1;
	if (d->toks[i].size > CDI_ANNOTATIONS_MAX)
		return kerr_set(err, 0, "`%s`: %d entries exceed limit %d", what, d->toks[i].size,
				CDI_ANNOTATIONS_MAX);
	for (int m = 0; m < d->toks[i].size; m++, k = json_skip(d, k + 1))
		if (json_strict_want(d, k + 1, JSON_STRING, json_strict_path(p, what, "value"),
				     err) < 0)
			return -1;
	return 0;
}

static int device(const struct json_doc *d, int i, const char *where, struct cdi_device *dev,
		  int *need, struct kerr *err)
{
	static const char *const keys[] = { "name", "annotations", "containerEdits", NULL };
	char p[JSON_STRICT_PATH_MAX];
	int v;

	if (json_strict_keys(d, i, keys, where, err) < 0)
		return -1;
	v = json_obj_get(d, i, "name");
	if (v < 0)
		return kerr_set(err, 0, "`%s.name` is missing", where);
	if (json_strict_str(d, v, json_strict_path(p, where, "name"), RECORD_DEV_NAME_MAX,
			    &dev->name, err) < 0)
		return -1;
	if (record_dev_check_device_name(dev->name, err) < 0)
		return kerr_wrap(err, "`%s`", p);
	if (dev->name[0] >= '0' && dev->name[0] <= '9' && *need < RECORD_DEV_CDI_050)
		*need = RECORD_DEV_CDI_050;
	v = json_obj_get(d, i, "annotations");
	if (v >= 0) {
		if (*need < RECORD_DEV_CDI_060)
			*need = RECORD_DEV_CDI_060;
		if (annotations(d, v, json_strict_path(p, where, "annotations"), err) < 0)
			return -1;
	}
	v = json_obj_get(d, i, "containerEdits");
	if (v >= 0 &&
	    record_dev_json_edits(&dev->edits, d, v, true,
				  json_strict_path(p, where, "containerEdits"), need, err) < 0)
		return -1;
	if (edits_empty(&dev->edits))
		return kerr_set(err, 0,
				"`%s`: device `%s` has no containerEdits, expected at least one",
				where, dev->name);
	return 0;
}

static int walk(struct cdi_spec *s, const struct json_doc *d, struct kerr *err)
{
	static const char *const keys[] = { "cdiVersion", "kind",	    "annotations",
					    "devices",	  "containerEdits", NULL };
	char p[JSON_STRICT_PATH_MAX];
	int need = RECORD_DEV_CDI_030, v, k;
	size_t ver;

	if (json_strict_keys(d, 0, keys, "the spec", err) < 0)
		return -1;
	v = json_obj_get(d, 0, "cdiVersion");
	if (v < 0)
		return kerr_set(
			err, 0,
			"`cdiVersion` is missing, expected one of 0.1.0 to " CDI_SPEC_VERSION);
	if (json_strict_str(d, v, "cdiVersion", 32, &s->version, err) < 0)
		return -1;
	for (ver = 0; ver < NVERSIONS; ver++)
		if (strcmp(versions[ver].name, s->version) == 0)
			break;
	if (ver == NVERSIONS) {
		char q[4 * RECORD_SHOWN_MAX + 4];

		return kerr_set(err, 0,
				"`cdiVersion`: `%s` is not a CDI version kettle reads, expected "
				"a released one up to " CDI_SPEC_VERSION,
				record_shown(q, s->version));
	}
	v = json_obj_get(d, 0, "kind");
	if (v < 0)
		return kerr_set(err, 0, "`kind` is missing, expected vendor.com/class");
	if (json_strict_str(d, v, "kind", RECORD_DEV_NAME_MAX, &s->kind, err) < 0)
		return -1;
	if (record_dev_check_kind(s->kind, strlen(s->kind), err) < 0)
		return kerr_wrap(err, "`kind`");
	if (strchr(strchr(s->kind, '/'), '.'))
		need = RECORD_DEV_CDI_060;
	v = json_obj_get(d, 0, "annotations");
	if (v >= 0) {
		need = need < RECORD_DEV_CDI_060 ? RECORD_DEV_CDI_060 : need;
		if (annotations(d, v, "annotations", err) < 0)
			return -1;
	}
	v = json_obj_get(d, 0, "containerEdits");
	if (v >= 0 &&
	    record_dev_json_edits(&s->edits, d, v, true, "containerEdits", &need, err) < 0)
		return -1;
	v = json_obj_get(d, 0, "devices");
	if (v < 0)
		return kerr_set(err, 0, "`devices` is missing, expected at least one device");
	if (json_strict_want(d, v, JSON_ARRAY, "devices", err) < 0)
		return -1;
	if (d->toks[v].size == 0 || d->toks[v].size > CDI_SPEC_DEVICES_MAX)
		return kerr_set(err, 0, "`devices` has %d entries, expected 1 to %d",
				d->toks[v].size, CDI_SPEC_DEVICES_MAX);
	s->devices = calloc((size_t)d->toks[v].size, sizeof(*s->devices));
	if (!s->devices)
		return kerr_set(err, ENOMEM, "`devices`");
	k = v + 1;
	for (int n = 0; n < d->toks[v].size; n++, k = json_skip(d, k)) {
		struct cdi_device *dev = &s->devices[s->ndevices++];

		if (device(d, k, json_strict_index(p, "devices", n), dev, &need, err) < 0)
			return -1;
		for (int o = 0; o < n; o++)
			if (strcmp(s->devices[o].name, dev->name) == 0)
				return kerr_set(err, 0, "`devices`: device `%s` is defined twice",
						dev->name);
	}
	if ((int)versions[ver].level < need) {
		for (ver = 0; ver < NVERSIONS && (int)versions[ver].level < need; ver++)
			;
		return kerr_set(err, 0,
				"`cdiVersion`: %s is too old for the fields used, which need %s",
				s->version, versions[ver].name);
	}
	return 0;
}

int cdi_spec_decode(struct cdi_spec *s, const char *text, size_t len, struct kerr *err)
{
	struct json_doc doc;
	size_t ntoks;
	int rc;

	*s = (struct cdi_spec){ 0 };
	if (len > CDI_SPEC_MAX)
		return kerr_set(err, 0, "spec of %zu bytes exceeds limit %u", len, CDI_SPEC_MAX);
	if (cdi_spec_is_yaml(text, len))
		return kerr_set(err, 0,
				"the spec is YAML, which kettle does not read: generate it as "
				"JSON (nvidia-ctk cdi generate --format=json)");
	/* Every token but the first takes at least two bytes of text ("1," or "[]"). */
	ntoks = len / 2 + 2 < JSON_TOKENS_MAX ? len / 2 + 2 : JSON_TOKENS_MAX;
	struct json_tok *toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "%zu json tokens", ntoks);
	rc = json_parse(&doc, text, len, toks, (int)ntoks, err);
	if (rc == 0 && doc.toks[0].type != JSON_OBJECT)
		rc = kerr_set(err, 0, "the spec is %s, expected an object",
			      json_type_name(doc.toks[0].type));
	if (rc == 0)
		rc = walk(s, &doc, err);
	free(toks);
	if (rc < 0)
		cdi_spec_done(s);
	return rc;
}

/* ---- documents that do not decode ---- */

static size_t skip_space(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	return i;
}

bool cdi_spec_is_yaml(const char *text, size_t len)
{
	size_t i = skip_space(text, len, 0);
	size_t eol;

	if (i == len || text[i] == '{' || text[i] == '[')
		return false;
	if (len - i >= 3 && memcmp(text + i, "---", 3) == 0)
		return true;
	/* Comment lines, then "key:" at the start of the first line that says something. */
	while (i < len && text[i] == '#') {
		const char *nl = memchr(text + i, '\n', len - i);

		if (!nl)
			return true;
		i = skip_space(text, len, (size_t)(nl - text) + 1);
	}
	const char *nl = i < len ? memchr(text + i, '\n', len - i) : NULL;
	eol = nl ? (size_t)(nl - text) : len;
	for (size_t j = i; j < eol; j++) {
		char c = text[j];

		if (c == ':')
			return j > i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '"' || c == '\''))
			return false;
	}
	return false;
}

/* A YAML top-level "kind: value" line (the value unquoted), or false. */
static bool yaml_kind(const char *text, size_t len, char *out, size_t cap)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - text) : len;

		if (eol - i > 5 && memcmp(text + i, "kind:", 5) == 0) {
			size_t a = i + 5, b = eol;

			while (a < b && (text[a] == ' ' || text[a] == '\t'))
				a++;
			while (b > a &&
			       (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
				b--;
			if (b - a >= 2 && (text[a] == '"' || text[a] == '\'') &&
			    text[b - 1] == text[a]) {
				a++;
				b--;
			}
			return str_copyn(out, cap, text + a, b - a);
		}
		i = eol + 1;
	}
	return false;
}

bool cdi_spec_kind_of(const char *text, size_t len, char *out, size_t cap)
{
	struct kerr err;
	bool ok = false;

	if (len > CDI_SPEC_MAX || cap == 0)
		return false;
	out[0] = '\0';
	if (cdi_spec_is_yaml(text, len)) {
		ok = yaml_kind(text, len, out, cap);
	} else {
		size_t ntoks = len / 2 + 2 < JSON_TOKENS_MAX ? len / 2 + 2 : JSON_TOKENS_MAX;
		struct json_tok *toks = calloc(ntoks, sizeof(*toks));
		struct json_doc doc;
		int v;

		if (toks && json_parse(&doc, text, len, toks, (int)ntoks, &err) == 0 &&
		    doc.toks[0].type == JSON_OBJECT && (v = json_obj_get(&doc, 0, "kind")) >= 0 &&
		    doc.toks[v].type == JSON_STRING)
			ok = json_get_str(&doc, v, out, cap, &err) == 0;
		free(toks);
	}
	if (ok && record_dev_check_kind(out, strlen(out), &err) == 0)
		return true;
	out[0] = '\0';
	return false;
}
