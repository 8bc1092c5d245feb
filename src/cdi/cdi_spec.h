/*
 * cdi_spec: one CDI spec file's JSON, decoded (mechanism, src/cdi; pure).
 *
 * The Container Device Interface's JSON form (cncf-tags/container-device-interface
 * SPEC.md): cdiVersion, kind, annotations, devices[] (name, annotations, containerEdits) and
 * the spec-wide containerEdits. Strict: every key known and given once, every list and
 * string capped before it is copied, cdiVersion one of the released versions up to
 * CDI_SPEC_VERSION and at least what the fields used need, device names unique. The edits
 * are decoded by record_dev_json_edits into the record's own types, so a resolved device
 * is stored as it was read. YAML (what `nvidia-ctk cdi generate` writes by default) is
 * recognized and refused with the flag that makes JSON. Never logs, never reads files.
 */
#ifndef KETTLE_CDI_SPEC_H
#define KETTLE_CDI_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"
#include "store/record_dev.h"

#define CDI_SPEC_VERSION     "1.1.0"	     /* the newest cdiVersion read */
#define CDI_SPEC_MAX	     (1024u * 1024u) /* bytes of one spec file */
#define CDI_SPEC_DEVICES_MAX 1024	     /* devices of one spec */
#define CDI_ANNOTATIONS_MAX  256	     /* annotations of a spec or a device */

/* One device a spec defines. */
struct cdi_device {
	char *name;		       /* owned; the name after "kind=" */
	struct record_dev_edits edits; /* what requesting it adds (never empty) */
};

struct cdi_spec {
	char *version;		       /* owned; cdiVersion as written */
	char *kind;		       /* owned; "vendor/class" */
	struct cdi_device *devices;    /* owned array, at least one */
	size_t ndevices;	       /* entries of devices */
	struct record_dev_edits edits; /* added once when any of its devices is requested */
};

/* Decodes text (len bytes) into s (left empty on failure, with err naming the key). */
int cdi_spec_decode(struct cdi_spec *s, const char *text, size_t len, struct kerr *err);
void cdi_spec_done(struct cdi_spec *s);
/* The device named name, or NULL. */
const struct cdi_device *cdi_spec_device(const struct cdi_spec *s, const char *name);
/* True when text is YAML rather than JSON: it does not open with '{' or '[' and reads as
 * "key: value" lines (or a "---" document marker). */
bool cdi_spec_is_yaml(const char *text, size_t len);
/* The kind a document that failed to decode states (a JSON "kind" member, or a YAML
 * top-level "kind:" line), for naming which requests its failure concerns; false when it
 * states none that is valid. */
bool cdi_spec_kind_of(const char *text, size_t len, char *out, size_t cap);

#endif
