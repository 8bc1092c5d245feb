/*
 * fuzz_cdi_spec: libFuzzer target for CDI spec files (test layer, fuzzes src/cdi/cdi_spec.c,
 * the containerEdits decoder of src/store/record_dev_json.c, src/cdi/cdi.c's lookups,
 * src/cdi/cdi_resolve.c and what a resolved device makes of config.json in
 * src/runtime/spec_dev.c).
 *
 * The input is one spec file. A failed decode carries a message and leaves the spec empty;
 * a decoded one has a valid kind that cdi_spec_kind_of reads back, one to
 * CDI_SPEC_DEVICES_MAX uniquely and validly named devices, each found again by name.
 * Every device is then resolved as a container's request, from a registry holding just
 * this spec (host nodes are stat'ed read-only): a resolution that succeeds validates, round
 * trips through record.json byte for byte and yields a config.json that parses. Any
 * violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cdi/cdi_resolve.h"
#include "runtime/spec.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct json_tok toks[JSON_TOKENS_MAX]; /* for parsing generated configs */

/* The record's JSON is a fixed point and its config.json parses. */
static void check_record(const struct record *r)
{
	struct record r2;
	struct kerr err;
	struct buf b1, b2, cfg;
	struct json_doc doc;

	buf_init(&b1, RECORD_JSON_MAX * 8);
	buf_init(&b2, RECORD_JSON_MAX * 8);
	CHECK(record_json_encode(r, &b1, &err) == 0);
	if (b1.len <= RECORD_JSON_MAX) {
		CHECK(record_json_decode(&r2, (const char *)b1.data, b1.len, false, &err) == 0);
		CHECK(record_json_encode(&r2, &b2, &err) == 0);
		CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
		record_done(&r2);
	}
	buf_init(&cfg, 16u * 1024u * 1024u);
	if (spec_generate(r, "/kettle/fuzz", NULL, &cfg, &err) == 0)
		CHECK(json_parse(&doc, (const char *)cfg.data, cfg.len, toks, JSON_TOKENS_MAX,
				 &err) == 0 ||
		      strstr(err.msg, "tokens") != NULL);
	buf_done(&cfg);
	buf_done(&b1);
	buf_done(&b2);
}

/* A stored record asking for qname, resolved against reg. */
static void resolve(const struct cdi_registry *reg, const char *qname)
{
	struct record r;
	struct kerr err;

	record_init(&r);
	memcpy(r.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 65);
	strcpy(r.name, "fuzz");
	r.created_ns = 1;
	r.rootfs = strdup("/rootfs");
	r.args.v = calloc(2, sizeof(char *));
	r.dev.devices = calloc(2, sizeof(char *));
	CHECK(r.rootfs && r.args.v && r.dev.devices);
	r.args.v[r.args.n++] = strdup("sh");
	r.dev.devices[r.dev.ndevices++] = strdup(qname);
	CHECK(r.args.v[0] && r.dev.devices[0]);
	if (cdi_resolve(reg, &r, &err) == 0) {
		CHECK(r.dev.ngroups > 0);
		CHECK(record_validate(&r, false, &err) == 0);
		check_record(&r);
	} else {
		CHECK(err.msg[0] != '\0' && r.dev.ngroups == 0);
	}
	record_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "/fuzz" };
	char kind[RECORD_DEV_NAME_MAX + 1], qname[2 * RECORD_DEV_NAME_MAX + 2];
	struct cdi_found found[4];
	struct cdi_registry reg;
	struct cdi_file file;
	struct cdi_spec s;
	struct kerr err;
	size_t n;

	cdi_spec_is_yaml((const char *)data, size);
	if (cdi_spec_kind_of((const char *)data, size, kind, sizeof(kind)))
		CHECK(record_dev_check_kind(kind, strlen(kind), &err) == 0);
	if (cdi_spec_decode(&s, (const char *)data, size, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		CHECK(s.kind == NULL && s.devices == NULL && s.ndevices == 0);
		return 0;
	}
	CHECK(record_dev_check_kind(s.kind, strlen(s.kind), &err) == 0);
	CHECK(cdi_spec_kind_of((const char *)data, size, kind, sizeof(kind)));
	CHECK(strcmp(kind, s.kind) == 0);
	CHECK(s.ndevices >= 1 && s.ndevices <= CDI_SPEC_DEVICES_MAX);
	for (size_t i = 0; i < s.ndevices; i++) {
		CHECK(record_dev_check_device_name(s.devices[i].name, &err) == 0);
		CHECK(cdi_spec_device(&s, s.devices[i].name) == &s.devices[i]);
	}
	/* A registry of this spec alone (cdi_done frees it). */
	file = (struct cdi_file){ .path = strdup("/fuzz/spec.json"),
				  .kind = strdup(s.kind),
				  .spec = s };
	reg = (struct cdi_registry){
		.dirs = dirs, .ndirs = 1, .files = malloc(sizeof(file)), .nfiles = 1
	};
	CHECK(file.path && file.kind && reg.files);
	reg.files[0] = file;
	for (size_t i = 0; i < s.ndevices && i < 8; i++) {
		snprintf(qname, sizeof(qname), "%s=%s", s.kind, s.devices[i].name);
		CHECK(cdi_find(&reg, qname, found, 4, &n, &err) == 0 && n == 1);
		CHECK(found[0].device == &reg.files[0].spec.devices[i]);
		CHECK(cdi_is_winner(&reg, &reg.files[0], found[0].device));
		resolve(&reg, qname);
	}
	snprintf(qname, sizeof(qname), "%s=all", s.kind);
	resolve(&reg, qname);
	cdi_done(&reg);
	return 0;
}
