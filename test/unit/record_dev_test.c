/*
 * record_dev_test: unit tests of a record's devices (test layer, tests src/store/record_dev.c
 * and record_dev_json.c).
 *
 * docker's --device, --device-cgroup-rule and --gpus syntaxes and CDI's name rules, each
 * rejection naming what was wrong; a record with devices round-trips byte for byte and a
 * record without any keeps its old bytes; resolved edits must be complete; the shared
 * containerEdits decoder in CDI mode (optional fields, version needs, netDevices and
 * intelRdt recognized) and in record mode (only what the writer writes).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/json_w.h"
#include "store/record.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A stored record with every devices key, in record_json_encode's order and form. */
static const char with_devices[] =
	"{\"version\":1,\"id\":\"" ID "\",\"name\":\"gpu-1\","
	"\"created\":\"2024-05-06T07:08:09.123456789Z\",\"rootfs\":\"/srv/rootfs\","
	"\"bundle\":null,\"args\":[\"sh\"],\"env\":[],\"workdir\":null,\"user\":null,"
	"\"mounts\":[],\"tmpfs\":[],\"hostname\":null,\"network\":\"none\",\"memory\":0,"
	"\"cpus\":0,\"pids_limit\":0,\"read_only\":false,\"privileged\":false,"
	"\"auto_remove\":false,\"tty\":false,\"stdin_open\":false,\"init\":false,"
	"\"cap_add\":[],\"cap_drop\":[],\"labels\":[],\"runtime\":null,\"restart\":\"no\","
	"\"restart_delay_ms\":0,\"restart_max_delay_ms\":0,\"restart_reset_ms\":0,"
	"\"log_max_size\":0,\"log_max_files\":0,\"health_cmd\":null,\"health_interval_ms\":0,"
	"\"health_timeout_ms\":0,\"health_start_period_ms\":0,\"health_retries\":0,"
	"\"health_on_failure\":\"none\","
	"\"seccomp\":null,\"no_new_privileges\":false,"
	"\"devices\":{\"requested\":[\"/dev/null:/dev/ro-null:r\",\"example.com/test=null0\"],"
	"\"cgroup_rules\":[\"c 1:5 rwm\"],\"gpus\":[\"all\"],\"resolved\":["
	"{\"request\":\"/dev/null:/dev/ro-null:r\",\"device\":\"/dev/null\",\"spec\":null,"
	"\"containerEdits\":{\"env\":[],\"deviceNodes\":[{\"path\":\"/dev/ro-null\","
	"\"hostPath\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":292,"
	"\"permissions\":\"r\",\"uid\":0,\"gid\":0}],\"mounts\":[],\"hooks\":[],"
	"\"additionalGids\":[]}},"
	"{\"request\":\"example.com/test=null0\",\"device\":\"example.com/test=null0\","
	"\"spec\":\"/etc/cdi/test.json\",\"containerEdits\":{\"env\":[\"K=v\"],"
	"\"deviceNodes\":[{\"path\":\"/dev/kt-null\",\"hostPath\":null,\"type\":\"p\","
	"\"major\":0,\"minor\":0,\"fileMode\":438,\"permissions\":\"none\",\"uid\":1,\"gid\":2}],"
	"\"mounts\":[{\"hostPath\":\"/srv/data\",\"containerPath\":\"/data\",\"type\":null,"
	"\"options\":[\"ro\",\"rbind\"]}],\"hooks\":[{\"hookName\":\"createRuntime\","
	"\"path\":\"/bin/hook\",\"args\":[\"hook\",\"x\"],\"env\":[\"A=1\"],\"timeout\":5}],"
	"\"additionalGids\":[44,0]}}]}}";

static int parse(struct record *r, const char *json, bool request, struct kerr *err)
{
	return record_json_decode(r, json, strlen(json), request, err);
}

/* A minimal valid request with a devices member `dev` (its value). */
static int parse_dev(struct record *r, const char *dev, struct kerr *err)
{
	char doc[8192];

	snprintf(doc, sizeof(doc),
		 "{\"version\":1,\"rootfs\":\"/r\",\"args\":[\"sh\"],\"devices\":%s}", dev);
	return parse(r, doc, true, err);
}

TEST(round_trip_with_devices)
{
	struct record r, r2;
	struct kerr err;
	struct buf b, b2;

	ASSERT_EQ(parse(&r, with_devices, false, &err), 0);
	ASSERT_EQ(r.dev.ndevices, 2);
	ASSERT_STREQ(r.dev.devices[1], "example.com/test=null0");
	ASSERT_EQ(r.dev.ngroups, 2);
	ASSERT_EQ(r.dev.groups[0].edits.nodes[0].type, 'c');
	ASSERT_STREQ(r.dev.groups[0].edits.nodes[0].access, "r");
	ASSERT_STREQ(r.dev.groups[1].edits.nodes[0].access, "");
	ASSERT_EQ(r.dev.groups[1].edits.hooks[0].stage, RECORD_DEV_CREATE_RUNTIME);
	ASSERT_EQ(r.dev.groups[1].edits.hooks[0].timeout, 5);
	ASSERT_EQ(r.dev.groups[1].edits.ngids, 2);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(b.len, strlen(with_devices));
	ASSERT_MEMEQ(b.data, with_devices, b.len);
	ASSERT_EQ(record_json_decode(&r2, (const char *)b.data, b.len, false, &err), 0);
	buf_init(&b2, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r2, &b2, &err), 0);
	ASSERT_EQ(b2.len, b.len);
	ASSERT_MEMEQ(b2.data, b.data, b.len);
	buf_done(&b);
	buf_done(&b2);
	record_done(&r2);
	record_done(&r);
	ASSERT(r.dev.ngroups == 0 && r.dev.devices == NULL);
}

TEST(no_devices_no_key)
{
	struct record r;
	struct kerr err;
	struct buf b;

	/* An empty section parses and is left out again: old records keep their bytes. */
	ASSERT_EQ(parse_dev(&r, "{\"requested\":[],\"resolved\":[]}", &err), 0);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT(strstr((const char *)b.data, "devices") == NULL);
	buf_done(&b);
	record_done(&r);
}

TEST(requests_checked)
{
	static const struct {
		const char *dev;  /* the devices member */
		const char *want; /* a part of the error */
	} bad[] = {
		{ "{\"requested\":[\"nope\"]}", "invalid --device `nope`, expected HOST" },
		{ "{\"requested\":[\"dev/null\"]}", "invalid --device `dev/null`, expected" },
		{ "{\"requested\":[\"/dev/null:x\"]}", "container path `x` is not an absolute" },
		{ "{\"requested\":[\"/dev/null:/x:rr\"]}", "permissions `rr` are not r, w" },
		{ "{\"requested\":[\"/a:/b:r:x\"]}", "expected HOST[:CONTAINER][:PERMISSIONS]" },
		{ "{\"requested\":[\"/../dev/null\"]}", "is not absolute (or has a `..`)" },
		{ "{\"requested\":[\"/dev/null:/\"]}",
		  "container path `/` is not an absolute path below" },
		{ "{\"requested\":[\"example.com=x\"]}", "CDI kind `example.com` has no `/`" },
		{ "{\"requested\":[\"1x.com/c=x\"]}", "invalid vendor" },
		{ "{\"requested\":[\"x.com/c-=x\"]}", "invalid class" },
		{ "{\"requested\":[\"x.com/c=-x\"]}", "CDI device name `-x` is invalid" },
		{ "{\"cgroup_rules\":[\"c 1:3\"]}", "invalid --device-cgroup-rule `c 1:3`" },
		{ "{\"cgroup_rules\":[\"x 1:3 r\"]}", "invalid --device-cgroup-rule" },
		{ "{\"cgroup_rules\":[\"c 1:3 rx\"]}", "invalid --device-cgroup-rule" },
		{ "{\"cgroup_rules\":[\"c  1:3 r\"]}", "invalid --device-cgroup-rule" },
		{ "{\"cgroup_rules\":[\"c 99999999999:3 r\"]}", "invalid --device-cgroup-rule" },
		{ "{\"gpus\":[\"\"]}", "invalid --gpus ``: the value is empty" },
		{ "{\"gpus\":[\"0\"]}", "invalid count `0`, expected all or 1..64" },
		{ "{\"gpus\":[\"device=0,1\"]}", "a count and a device list cannot be used" },
		{ "{\"gpus\":[\"driver=amd\"]}", "driver `amd` is not supported" },
		{ "{\"gpus\":[\"options=a=b\"]}", "driver options are not supported" },
		{ "{\"gpus\":[\"all,all\"]}", "the count is given twice" },
		{ "{\"gpus\":[\"\\\"device=0\"]}", "unterminated quote" },
		{ "{\"gpus\":[\"colour=red\"]}", "unknown key in `colour=red`" },
		{ "{\"bogus\":[]}", "unknown key `bogus` in `devices`" },
		{ "{\"requested\":[1]}",
		  "`devices.requested[0]`: expected a string, found a number" },
		{ "{\"requested\":[],\"requested\":[]}", "duplicate key `requested`" },
	};
	struct record r;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_dev(&r, bad[i].dev, &err) == 0)
			HARNESS_FAIL("accepted %s", bad[i].dev);
		ASSERT_CONTAINS(err.msg, bad[i].want);
	}
	/* Devices need --rootfs: a bundle's config.json is used as it is. */
	ASSERT_EQ(parse(&r,
			"{\"version\":1,\"bundle\":\"/b\",\"devices\":{\"requested\":"
			"[\"/dev/null\"]}}",
			true, &err),
		  -1);
	ASSERT_CONTAINS(err.msg, "need --rootfs");
}

TEST(host_syntax)
{
	struct record_dev_host h;
	struct kerr err;

	ASSERT_EQ(record_dev_parse_host("/dev/fuse", &h, &err), 0);
	ASSERT_STREQ(h.host, "/dev/fuse");
	ASSERT_STREQ(h.container, "/dev/fuse");
	ASSERT_STREQ(h.access, "rwm");
	/* HOST:X is HOST:PERMISSIONS when X is a mode (docker's rule), else HOST:CONTAINER. */
	ASSERT_EQ(record_dev_parse_host("/dev/fuse:mr", &h, &err), 0);
	ASSERT_STREQ(h.container, "/dev/fuse");
	ASSERT_STREQ(h.access, "rm");
	ASSERT_EQ(record_dev_parse_host("/dev/null:/dev/ro-null:r", &h, &err), 0);
	ASSERT_STREQ(h.container, "/dev/ro-null");
	ASSERT_STREQ(h.access, "r");
	ASSERT_EQ(record_dev_parse_host("/dev/null::w", &h, &err), 0);
	ASSERT_STREQ(h.container, "/dev/null");
	ASSERT_STREQ(h.access, "w");
	ASSERT_EQ(record_dev_parse_host("/dev/null:/rw", &h, &err), 0);
	ASSERT_STREQ(h.container, "/rw");
	ASSERT(record_dev_is_cdi_name("nvidia.com/gpu=GPU-1a2b:3"));
	ASSERT(record_dev_is_cdi_name("vendor.com/class.x=0"));
	ASSERT(!record_dev_is_cdi_name("/dev/null"));
	ASSERT(!record_dev_is_cdi_name("vendor.com/class=x/y"));
}

TEST(rules_and_gpus)
{
	struct record_dev_rule rule;
	struct record_dev_gpus g;
	struct kerr err;

	ASSERT_EQ(record_dev_parse_rule("c 1:3 mwr", &rule, &err), 0);
	ASSERT(rule.allow && rule.type == 'c' && rule.major == 1 && rule.minor == 3);
	ASSERT_STREQ(rule.access, "rwm");
	ASSERT_EQ(record_dev_parse_rule("a *:* m", &rule, &err), 0);
	ASSERT(rule.major == -1 && rule.minor == -1);
	ASSERT_EQ(record_dev_parse_gpus("all", &g, &err), 0);
	ASSERT_EQ(g.count, -1);
	ASSERT_EQ(record_dev_parse_gpus("2", &g, &err), 0);
	ASSERT_EQ(g.count, 2);
	ASSERT_EQ(record_dev_parse_gpus("capabilities=compute,utility", &g, &err), -1);
	ASSERT_EQ(record_dev_parse_gpus("\"capabilities=compute,utility\",count=all", &g, &err), 0);
	ASSERT_STREQ(g.capabilities, "compute,utility");
	ASSERT_EQ(g.count, -1);
	/* Neither a count nor devices: one GPU, as docker. */
	ASSERT_EQ(record_dev_parse_gpus("driver=nvidia", &g, &err), 0);
	ASSERT_EQ(g.count, 1);
	ASSERT(g.driver);
	ASSERT_EQ(record_dev_parse_gpus("\"device=0,GPU-9f\"", &g, &err), 0);
	ASSERT_EQ(g.count, 0);
	ASSERT_EQ(g.nids, 2);
	ASSERT_STREQ(g.ids[1], "GPU-9f");
	ASSERT_EQ(record_dev_parse_gpus("\"device=0,,1\"", &g, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid device list");
}

TEST(resolved_must_be_complete)
{
	static const struct {
		const char *edits; /* one resolved group's containerEdits */
		const char *want;  /* a part of the error */
	} bad[] = {
		{ "{\"deviceNodes\":[{\"path\":\"/dev/x\"}]}", "device node `/dev/x` has no type" },
		{ "{\"deviceNodes\":[{\"path\":\"/dev/x\",\"type\":\"c\"}]}",
		  "lacks its numbers, mode or owner" },
		{ "{\"deviceNodes\":[{\"path\":\"dev/x\",\"type\":\"c\"}]}",
		  "device node path `dev/x` is not an absolute path" },
		{ "{\"deviceNodes\":[{\"path\":\"/dev/x\",\"type\":\"q\"}]}",
		  "unknown device type `q`" },
		{ "{\"deviceNodes\":[{\"path\":\"/dev/x\",\"permissions\":\"rwx\"}]}",
		  "invalid permissions" },
		{ "{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\"}]}",
		  "mount `/b` has neither a type nor the bind or rbind option" },
		{ "{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b/../"
		  "..\",\"type\":\"tmpfs\"}]}",
		  "is not an absolute path without `..`" },
		{ "{\"hooks\":[{\"hookName\":\"prestop\",\"path\":\"/x\"}]}", "unknown hook" },
		{ "{\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"x\"}]}",
		  "hook path `x` is not an absolute path" },
		{ "{\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"/x\",\"timeout\":0}]}",
		  "is out of range, expected 1..86400" },
		{ "{\"env\":[\"=x\"]}", "expected KEY=VALUE" },
		{ "{\"additionalGids\":[-1]}", "out of range" },
		{ "{\"netDevices\":[]}", "unknown key `netDevices`" },
	};
	struct record r;
	struct kerr err;
	char dev[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(dev, sizeof(dev),
			 "{\"resolved\":[{\"request\":\"x.com/y=z\",\"device\":\"x.com/y=z\","
			 "\"containerEdits\":%s}]}",
			 bad[i].edits);
		if (parse_dev(&r, dev, &err) == 0)
			HARNESS_FAIL("accepted %s", bad[i].edits);
		ASSERT_CONTAINS(err.msg, bad[i].want);
	}
}

/* The decoder in CDI mode: optional fields, what each needs, what kettle refuses later. */
TEST(cdi_edits)
{
	static const char doc[] =
		"{\"env\":[\"A=1\"],\"deviceNodes\":[{\"path\":\"/dev/x\",\"hostPath\":\"/dev/y\","
		"\"type\":\"u\",\"fileMode\":8630,\"permissions\":\"\"}],"
		"\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"type\":\"bind\"}],"
		"\"additionalGids\":[5],\"netDevices\":[{\"hostInterfaceName\":\"eth1\","
		"\"name\":\"eth0\"}]}";
	struct json_tok toks[128];
	struct record_dev_edits e = { 0 };
	struct json_doc d;
	struct kerr err;
	int need = RECORD_DEV_CDI_030;

	ASSERT_EQ(json_parse(&d, doc, strlen(doc), toks, 128, &err), 0);
	ASSERT_EQ(record_dev_json_edits(&e, &d, 0, true, "containerEdits", &need, &err), 0);
	ASSERT_EQ(need, RECORD_DEV_CDI_110);
	ASSERT_STREQ(e.unsupported, "netDevices");
	ASSERT_EQ(e.nodes[0].type, 'c');
	ASSERT_EQ(e.nodes[0].major, -1);
	/* Go's os.FileMode keeps only its permission bits. */
	ASSERT_EQ(e.nodes[0].file_mode, 8630 & 0777);
	ASSERT_STREQ(e.nodes[0].access, "rwm");
	record_dev_edits_done(&e);
	/* In a record, netDevices is no key at all. */
	ASSERT_EQ(record_dev_json_edits(&e, &d, 0, false, "containerEdits", NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown key `netDevices` in `containerEdits`");
	record_dev_edits_done(&e);
}

RUN_TESTS(T(round_trip_with_devices), T(no_devices_no_key), T(requests_checked), T(host_syntax),
	  T(rules_and_gpus), T(resolved_must_be_complete), T(cdi_edits))
