/*
 * cdi_spec_test: unit tests of the CDI spec decoder (test layer, tests src/cdi/cdi_spec.c).
 *
 * A spec using every field kettle applies decodes into the record's edit types; each
 * rejection names the key by its path: unknown and repeated keys, wrong types, caps, kinds
 * and names against CDI's rules, versions (unknown, newer than kettle reads, older than the
 * fields need), duplicate and empty devices. YAML is told from JSON, and a broken
 * document's kind is still read when it states one.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "cdi/cdi_spec.h"

static const char full[] =
	"{\"cdiVersion\":\"0.7.0\",\"kind\":\"example.com/test\","
	"\"annotations\":{\"a\":\"b\"},"
	"\"containerEdits\":{\"env\":[\"SHARED=1\"]},"
	"\"devices\":[{\"name\":\"null0\",\"annotations\":{},\"containerEdits\":{"
	"\"deviceNodes\":[{\"path\":\"/dev/kt-null\",\"hostPath\":\"/dev/null\"}],"
	"\"env\":[\"KT=1\"],\"mounts\":[{\"hostPath\":\"/srv\",\"containerPath\":\"/srv\","
	"\"options\":[\"ro\",\"rbind\"]}],\"hooks\":[{\"hookName\":\"createRuntime\","
	"\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":3}],\"additionalGids\":[7]}},"
	"{\"name\":\"1\",\"containerEdits\":{\"env\":[\"ONE=1\"]}}]}";

static int decode(struct cdi_spec *s, const char *text, struct kerr *err)
{
	return cdi_spec_decode(s, text, strlen(text), err);
}

TEST(full_spec)
{
	struct cdi_spec s;
	struct kerr err;
	const struct cdi_device *d;

	ASSERT_EQ(decode(&s, full, &err), 0);
	ASSERT_STREQ(s.kind, "example.com/test");
	ASSERT_STREQ(s.version, "0.7.0");
	ASSERT_EQ(s.ndevices, 2);
	ASSERT_STREQ(s.edits.env[0], "SHARED=1");
	d = cdi_spec_device(&s, "null0");
	ASSERT(d != NULL);
	ASSERT_STREQ(d->edits.nodes[0].host_path, "/dev/null");
	ASSERT_EQ(d->edits.nodes[0].type, 0);
	ASSERT_EQ(d->edits.nhooks, 1);
	ASSERT_EQ(d->edits.hooks[0].timeout, 3);
	ASSERT_EQ(d->edits.gids[0], 7);
	ASSERT(cdi_spec_device(&s, "nope") == NULL);
	cdi_spec_done(&s);
	ASSERT(s.kind == NULL && s.ndevices == 0);
	cdi_spec_done(&s);
}

TEST(rejections)
{
	static const struct {
		const char *doc;  /* a spec */
		const char *want; /* a part of the error */
	} bad[] = {
		{ "[]", "the spec is an array, expected an object" },
		{ "{\"kind\":\"a.com/b\",\"devices\":[]}", "`cdiVersion` is missing" },
		{ "{\"cdiVersion\":\"0.9.0\",\"kind\":\"a.com/b\",\"devices\":[]}",
		  "`0.9.0` is not a CDI version kettle reads" },
		{ "{\"cdiVersion\":\"2.0.0\",\"kind\":\"a.com/b\",\"devices\":[]}",
		  "up to " CDI_SPEC_VERSION },
		{ "{\"cdiVersion\":\"0.3.0\",\"devices\":[]}", "`kind` is missing" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"ab\",\"devices\":[]}",
		  "`kind`: CDI kind `ab` has no `/`" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\"}", "`devices` is missing" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[]}",
		  "`devices` has 0 entries, expected 1 to" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\"}]}",
		  "device `x` has no containerEdits" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"env\":[\"A=1\"]}},{\"name\":\"x\",\"containerEdits\":{"
		  "\"env\":[\"A=1\"]}}]}",
		  "device `x` is defined twice" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"bogus\":1,\"devices\":[]}",
		  "unknown key `bogus` in `the spec`" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/x\",\"mode\":1}]}}]}",
		  "unknown key `mode` in `devices[0].containerEdits.deviceNodes[0]`" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"env\":\"A=1\"}}]}",
		  "`devices[0].containerEdits.env`: expected an array, found a string" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/x\",\"hostPath\":\"/y\"}]}}]}",
		  "`cdiVersion`: 0.3.0 is too old for the fields used, which need 0.5.0" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"additionalGids\":[1]}}]}",
		  "which need 0.7.0" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"0\","
		  "\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		  "which need 0.5.0" },
		{ "{\"cdiVersion\":\"0.5.0\",\"kind\":\"a.com/b.c\",\"devices\":[{\"name\":\"x\","
		  "\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		  "which need 0.6.0" },
		{ "{\"cdiVersion\":\"0.3.0\",\"kind\":\"a.com/b\",\"devices\":[{\"name\":\"x y\","
		  "\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
		  "`devices[0].name`: CDI device name `x y` is invalid" },
		{ "{\"cdiVersion\":\"0.6.0\",\"kind\":\"a.com/b\",\"annotations\":{\"a\":1},"
		  "\"devices\":[]}",
		  "`annotations.value`: expected a string, found a number" },
		{ "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\n",
		  "the spec is YAML, which kettle does not read: generate it as JSON "
		  "(nvidia-ctk cdi generate --format=json)" },
		{ "{\"cdiVersion\":", "invalid json" },
	};
	struct cdi_spec s;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(&s, bad[i].doc, &err) == 0)
			HARNESS_FAIL("accepted %s", bad[i].doc);
		ASSERT_CONTAINS(err.msg, bad[i].want);
		ASSERT(s.kind == NULL && s.devices == NULL);
	}
}

TEST(yaml_and_kind)
{
	char kind[128];

	ASSERT(cdi_spec_is_yaml("---\ncdiVersion: 0.5.0\n", 21));
	ASSERT(cdi_spec_is_yaml("# generated\ncdiVersion: 0.5.0\n", 30));
	ASSERT(!cdi_spec_is_yaml("  {\"a\":1}", 9));
	ASSERT(!cdi_spec_is_yaml("garbage", 7));
	ASSERT(!cdi_spec_is_yaml("", 0));
	ASSERT(cdi_spec_kind_of("cdiVersion: 0.5.0\nkind: \"nvidia.com/gpu\"\r\n", 42, kind,
				sizeof(kind)));
	ASSERT_STREQ(kind, "nvidia.com/gpu");
	ASSERT(cdi_spec_kind_of("{\"kind\":\"a.com/b\",\"bogus\":1}", 28, kind, sizeof(kind)));
	ASSERT_STREQ(kind, "a.com/b");
	ASSERT(!cdi_spec_kind_of("{\"kind\":\"no slash\"}", 19, kind, sizeof(kind)));
	ASSERT_STREQ(kind, "");
	ASSERT(!cdi_spec_kind_of("{\"kind\":", 8, kind, sizeof(kind)));
}

RUN_TESTS(T(full_spec), T(rejections), T(yaml_and_kind))
