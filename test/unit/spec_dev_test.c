/*
 * spec_dev_test: unit tests of what a record's devices add to config.json (test layer,
 * tests src/runtime/spec_dev.c and its callers in src/runtime/spec.c).
 *
 * From a record with resolved devices: linux.devices, the cgroup rules after the defaults
 * (each --device-cgroup-rule, then each node's exact permissions as deny + allow), the
 * hooks by stage, the additional groups (0 and repeats dropped), the environment (the
 * devices' after the record's, an exec's last, a key once with its last value), and every
 * user mount ordered by depth. Without devices nothing changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/json.h"
#include "runtime/spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char rec_json[] =
	"{\"version\":1,\"id\":\"" ID "\",\"name\":\"n\",\"created\":\"2024-05-06T07:08:09Z\","
	"\"rootfs\":\"/srv/rootfs\",\"args\":[\"sh\"],\"env\":[\"A=rec\",\"B=rec\"],"
	"\"mounts\":[{\"source\":\"/h/deep\",\"destination\":\"/a/b/c\",\"readonly\":false},"
	"{\"source\":\"/h/top\",\"destination\":\"/a\",\"readonly\":true}],"
	"\"tmpfs\":[\"/a/b\"],"
	"\"devices\":{\"requested\":[\"/dev/null:/dev/ro-null:r\"],"
	"\"cgroup_rules\":[\"c 10:* rw\"],\"resolved\":["
	"{\"request\":\"/dev/null:/dev/ro-null:r\",\"device\":\"/dev/null\",\"spec\":null,"
	"\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/ro-null\","
	"\"hostPath\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":292,"
	"\"permissions\":\"r\",\"uid\":0,\"gid\":0}]}},"
	"{\"request\":\"x.com/y=z\",\"device\":\"x.com/y=z\",\"spec\":\"/etc/cdi/y.json\","
	"\"containerEdits\":{\"env\":[\"B=dev\",\"C=dev\"],"
	"\"deviceNodes\":[{\"path\":\"/dev/fifo\",\"type\":\"p\",\"major\":0,\"minor\":0,"
	"\"fileMode\":384,\"permissions\":\"rwm\",\"uid\":1,\"gid\":2}],"
	"\"mounts\":[{\"hostPath\":\"/h/lib\",\"containerPath\":\"/a/b/c/d/lib\","
	"\"options\":[\"ro\",\"bind\"]},{\"hostPath\":\"/h/root\",\"containerPath\":\"/x\","
	"\"type\":\"tmpfs\",\"options\":[]}],"
	"\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"/bin/stop\"},"
	"{\"hookName\":\"createRuntime\",\"path\":\"/bin/hook\",\"args\":[\"hook\",\"1\"],"
	"\"env\":[\"H=1\"],\"timeout\":5},{\"hookName\":\"createRuntime\",\"path\":\"/bin/two\"}],"
	"\"additionalGids\":[44,0,44,45]}}]}}";

struct gen {
	struct buf b;		    /* the JSON written */
	struct json_doc doc;	    /* parsed view of b */
	struct json_tok toks[4096]; /* token storage */
};

/* Token at a dotted path like "linux.devices.0.path"; numbers index arrays. */
static int at(const struct json_doc *d, const char *path)
{
	int cur = 0;
	char seg[64];

	while (*path && cur >= 0) {
		size_t n = strcspn(path, ".");

		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		path += n + (path[n] == '.');
		if (d->toks[cur].type == JSON_ARRAY) {
			int idx = atoi(seg), k = cur + 1;

			if (idx >= d->toks[cur].size)
				return -1;
			for (int i = 0; i < idx; i++)
				k = json_skip(d, k);
			cur = k;
		} else {
			cur = json_obj_get(d, cur, seg);
		}
	}
	return cur;
}

static const char *str_at(const struct json_doc *d, const char *path)
{
	static char out[4096];
	struct kerr err;
	int i = at(d, path);

	if (i < 0 || json_get_str(d, i, out, sizeof(out), &err) < 0)
		return NULL;
	return out;
}

static long long num_at(const struct json_doc *d, const char *path)
{
	struct kerr err;
	int64_t v;
	int i = at(d, path);

	if (i < 0 || json_get_i64(d, i, &v, &err) < 0)
		return -999999;
	return v;
}

static int size_at(const struct json_doc *d, const char *path)
{
	int i = at(d, path);

	return i < 0 ? -1 : d->toks[i].size;
}

static int load(struct record *r, struct gen *g, struct kerr *err)
{
	if (record_json_decode(r, rec_json, strlen(rec_json), false, err) < 0)
		return -1;
	buf_init(&g->b, 1 << 20);
	if (spec_generate(r, "/kettle/" ID, NULL, &g->b, err) < 0)
		return -1;
	return json_parse(&g->doc, (const char *)g->b.data, g->b.len, g->toks, 4096, err);
}

TEST(nodes_rules_hooks)
{
	static struct gen g;
	const struct json_doc *d = &g.doc;
	struct record r;
	struct kerr err;
	bool allow = true;
	char p[64];
	int n;

	ASSERT_EQ(load(&r, &g, &err), 0);
	ASSERT_EQ(size_at(d, "linux.devices"), 2);
	ASSERT_STREQ(str_at(d, "linux.devices.0.path"), "/dev/ro-null");
	ASSERT_STREQ(str_at(d, "linux.devices.0.type"), "c");
	ASSERT_EQ(num_at(d, "linux.devices.0.major"), 1);
	ASSERT_EQ(num_at(d, "linux.devices.0.fileMode"), 0444);
	/* A FIFO has no numbers. */
	ASSERT_STREQ(str_at(d, "linux.devices.1.type"), "p");
	ASSERT_EQ(at(d, "linux.devices.1.major"), -1);
	ASSERT_EQ(num_at(d, "linux.devices.1.uid"), 1);
	/* The defaults, then the rule as given, then r on 1:3 exactly: deny wm, allow r. */
	n = size_at(d, "linux.resources.devices");
	ASSERT(n > 3);
	snprintf(p, sizeof(p), "linux.resources.devices.%d.access", n - 3);
	ASSERT_STREQ(str_at(d, p), "rw");
	snprintf(p, sizeof(p), "linux.resources.devices.%d.minor", n - 3);
	ASSERT_EQ(at(d, p), -1);
	snprintf(p, sizeof(p), "linux.resources.devices.%d.allow", n - 2);
	ASSERT_EQ(json_get_bool(d, at(d, p), &allow, &err), 0);
	ASSERT(!allow);
	snprintf(p, sizeof(p), "linux.resources.devices.%d.access", n - 2);
	ASSERT_STREQ(str_at(d, p), "wm");
	snprintf(p, sizeof(p), "linux.resources.devices.%d.access", n - 1);
	ASSERT_STREQ(str_at(d, p), "r");
	snprintf(p, sizeof(p), "linux.resources.devices.%d.minor", n - 1);
	ASSERT_EQ(num_at(d, p), 3);
	/* Hooks by stage, in their order. */
	ASSERT_EQ(size_at(d, "hooks"), 2);
	ASSERT_EQ(size_at(d, "hooks.createRuntime"), 2);
	ASSERT_STREQ(str_at(d, "hooks.createRuntime.0.path"), "/bin/hook");
	ASSERT_STREQ(str_at(d, "hooks.createRuntime.0.args.1"), "1");
	ASSERT_STREQ(str_at(d, "hooks.createRuntime.0.env.0"), "H=1");
	ASSERT_EQ(num_at(d, "hooks.createRuntime.0.timeout"), 5);
	ASSERT_EQ(at(d, "hooks.createRuntime.1.args"), -1);
	ASSERT_STREQ(str_at(d, "hooks.poststop.0.path"), "/bin/stop");
	/* Groups: 0 and repeats dropped. */
	ASSERT_EQ(size_at(d, "process.user.additionalGids"), 2);
	ASSERT_EQ(num_at(d, "process.user.additionalGids.1"), 45);
	buf_done(&g.b);
	record_done(&r);
}

TEST(env_and_mounts)
{
	static struct gen g;
	const struct json_doc *d = &g.doc;
	struct record r;
	struct kerr err;
	int base;

	ASSERT_EQ(load(&r, &g, &err), 0);
	/* PATH, A, then B once with the device's value, C, HOME. */
	ASSERT_EQ(size_at(d, "process.env"), 5);
	ASSERT_STREQ(str_at(d, "process.env.1"), "A=rec");
	ASSERT_STREQ(str_at(d, "process.env.2"), "B=dev");
	ASSERT_STREQ(str_at(d, "process.env.3"), "C=dev");
	/* After the 7 system mounts, by depth: /a, /x, /a/b, /a/b/c, /a/b/c/d/lib. */
	base = 7;
	ASSERT_EQ(size_at(d, "mounts"), base + 5);
	ASSERT_STREQ(str_at(d, "mounts.7.destination"), "/a");
	ASSERT_STREQ(str_at(d, "mounts.8.destination"), "/x");
	ASSERT_STREQ(str_at(d, "mounts.8.type"), "tmpfs");
	ASSERT_STREQ(str_at(d, "mounts.9.destination"), "/a/b");
	ASSERT_STREQ(str_at(d, "mounts.10.destination"), "/a/b/c");
	ASSERT_STREQ(str_at(d, "mounts.11.destination"), "/a/b/c/d/lib");
	ASSERT_STREQ(str_at(d, "mounts.11.type"), "bind");
	ASSERT_STREQ(str_at(d, "mounts.11.source"), "/h/lib");
	ASSERT_STREQ(str_at(d, "mounts.11.options.1"), "bind");
	buf_done(&g.b);
	record_done(&r);
}

TEST(exec_env_last)
{
	static struct gen g;
	char *args[] = { "env", NULL };
	char *env[] = { "C=exec", NULL };
	struct spec_exec x = { .args = args, .nargs = 1, .env = env, .nenv = 1 };
	struct record r;
	struct kerr err;

	ASSERT_EQ(record_json_decode(&r, rec_json, strlen(rec_json), false, &err), 0);
	buf_init(&g.b, 1 << 20);
	ASSERT_EQ(spec_exec_process(&r, &x, &g.b, &err), 0);
	ASSERT_EQ(json_parse(&g.doc, (const char *)g.b.data, g.b.len, g.toks, 4096, &err), 0);
	ASSERT_STREQ(str_at(&g.doc, "env.3"), "C=exec");
	ASSERT_EQ(size_at(&g.doc, "user.additionalGids"), 2);
	buf_done(&g.b);
	record_done(&r);
}

RUN_TESTS(T(nodes_rules_hooks), T(env_and_mounts), T(exec_env_last))
