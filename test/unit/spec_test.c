/*
 * spec_test: unit tests of config.json generation and bundle checks (test layer, tests
 * src/runtime/spec.c).
 *
 * Generated configs are parsed back with json.h and their key fields asserted: args, env
 * defaults and overrides, capability sets for default/add/drop/ALL/privileged,
 * namespaces, cgroup limits, the rlimit against getrlimit's hard limit, mounts. Bundle
 * checks run on temporary directories: missing, malformed, incomplete, a directory, a
 * symlink, a FIFO and an oversized file named config.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "base/json.h"
#include "runtime/spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A generated config, parsed. */
struct gen {
	struct buf b;		    /* config.json bytes */
	struct json_doc doc;	    /* parsed view of b */
	struct json_tok toks[4096]; /* token storage */
};

static char *sv_args[] = { "sh", "-c", "echo hi", NULL };

/* A valid --rootfs record with borrowed strings (never record_done'd). */
static void base_record(struct record *r)
{
	record_init(r);
	memcpy(r->id, ID, sizeof(ID));
	strcpy(r->name, "n");
	r->created_ns = 1;
	r->rootfs = "/srv/rootfs";
	r->args = (struct record_strv){ .v = sv_args, .n = 3 };
}

static int generate(struct gen *g, const struct record *r, struct kerr *err)
{
	buf_init(&g->b, 1 << 20);
	if (spec_generate(r, "/kettle/" ID, NULL, &g->b, err) < 0)
		return -1;
	return json_parse(&g->doc, (const char *)g->b.data, g->b.len, g->toks, 4096, err);
}

/* Token at a dotted path like "process.args.0"; numbers index arrays. -1 when absent. */
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

/* True when the string array at path contains s. */
static bool has(const struct json_doc *d, const char *path, const char *s)
{
	int arr = at(d, path), k;

	if (arr < 0 || d->toks[arr].type != JSON_ARRAY)
		return false;
	k = arr + 1;
	for (int i = 0; i < d->toks[arr].size; i++) {
		if (json_str_eq(d, k, s))
			return true;
		k = json_skip(d, k);
	}
	return false;
}

/* CPUs of this host with a thermal_throttle directory (none in most VMs). */
static int thermal_dirs(void)
{
	char path[96];
	int n = 0;

	for (int cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/thermal_throttle", cpu);
		n += access(path, F_OK) == 0;
	}
	return n;
}

TEST(generate_defaults)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;
	static const char *const dests[] = { "/proc",	    "/dev", "/dev/pts",	     "/dev/shm",
					     "/dev/mqueue", "/sys", "/sys/fs/cgroup" };
	static const char *const ns[] = { "pid", "ipc", "uts", "mount", "network" };
	char p[64];

	base_record(&r);
	ASSERT_EQ(generate(g, &r, &err), 0);
	struct json_doc *d = &g->doc;
	ASSERT_STREQ(str_at(d, "ociVersion"), "1.0.2");
	ASSERT_EQ(d->toks[at(d, "process.terminal")].type, JSON_BOOL);
	ASSERT(d->text[d->toks[at(d, "process.terminal")].start] == 'f');
	ASSERT_EQ(num_at(d, "process.user.uid"), 0);
	ASSERT_EQ(num_at(d, "process.user.gid"), 0);
	ASSERT_EQ(size_at(d, "process.args"), 3);
	ASSERT_STREQ(str_at(d, "process.args.2"), "echo hi");
	ASSERT_EQ(size_at(d, "process.env"), 2);
	ASSERT_STREQ(str_at(d, "process.env.0"),
		     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ASSERT_STREQ(str_at(d, "process.env.1"), "HOME=/root");
	ASSERT_STREQ(str_at(d, "process.cwd"), "/");
	ASSERT(d->text[d->toks[at(d, "process.noNewPrivileges")].start] == 'f');
	ASSERT_EQ(num_at(d, "process.oomScoreAdj"), 0);
	ASSERT_EQ(at(d, "process.capabilities.inheritable"), -1);
	ASSERT_EQ(at(d, "process.capabilities.ambient"), -1);
	ASSERT_STREQ(str_at(d, "root.path"), "/srv/rootfs");
	ASSERT(d->text[d->toks[at(d, "root.readonly")].start] == 'f');
	ASSERT_STREQ(str_at(d, "hostname"), "0123456789ab");
	ASSERT_EQ(size_at(d, "mounts"), 7);
	for (int i = 0; i < 7; i++) {
		snprintf(p, sizeof(p), "mounts.%d.destination", i);
		ASSERT_STREQ(str_at(d, p), dests[i]);
	}
	ASSERT_STREQ(str_at(d, "mounts.1.type"), "tmpfs");
	ASSERT(has(d, "mounts.1.options", "size=65536k"));
	ASSERT(has(d, "mounts.2.options", "ptmxmode=0666"));
	ASSERT(has(d, "mounts.2.options", "gid=5"));
	ASSERT(has(d, "mounts.3.options", "mode=1777"));
	ASSERT_STREQ(str_at(d, "mounts.4.type"), "mqueue");
	ASSERT(has(d, "mounts.5.options", "ro"));
	ASSERT(has(d, "mounts.6.options", "ro"));
	ASSERT_EQ(size_at(d, "linux.namespaces"), 5);
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "linux.namespaces.%d.type", i);
		ASSERT_STREQ(str_at(d, p), ns[i]);
		snprintf(p, sizeof(p), "linux.namespaces.%d.path", i);
		ASSERT_EQ(at(d, p), -1);
	}
	ASSERT_STREQ(str_at(d, "linux.cgroupsPath"), "/kettle/" ID);
	/* Deny everything, then the standard character devices. */
	ASSERT(d->text[d->toks[at(d, "linux.resources.devices.0.allow")].start] == 'f');
	ASSERT_EQ(at(d, "linux.resources.devices.0.type"), -1);
	ASSERT_STREQ(str_at(d, "linux.resources.devices.0.access"), "rwm");
	ASSERT_EQ(size_at(d, "linux.resources.devices"), 10);
	ASSERT_EQ(num_at(d, "linux.resources.devices.1.major"), 1);
	ASSERT_EQ(num_at(d, "linux.resources.devices.1.minor"), 3);
	ASSERT_EQ(num_at(d, "linux.resources.devices.9.major"), 136);
	ASSERT_EQ(at(d, "linux.resources.devices.9.minor"), -1);
	ASSERT_EQ(at(d, "linux.resources.memory"), -1);
	ASSERT_EQ(at(d, "linux.resources.cpu"), -1);
	ASSERT_EQ(at(d, "linux.resources.pids"), -1);
	/* docker's 11, /proc/interrupts, and each CPU's thermal_throttle this host has. */
	ASSERT_EQ(size_at(d, "linux.maskedPaths"), 12 + thermal_dirs());
	ASSERT(has(d, "linux.maskedPaths", "/proc/interrupts"));
	ASSERT(has(d, "linux.maskedPaths", "/proc/kcore"));
	ASSERT(has(d, "linux.maskedPaths", "/sys/devices/virtual/powercap"));
	ASSERT_EQ(size_at(d, "linux.readonlyPaths"), 5);
	ASSERT(has(d, "linux.readonlyPaths", "/proc/sysrq-trigger"));
	/* Issue 12: every container gets the default filter (seccomp_config below). */
	ASSERT(at(d, "linux.seccomp") > 0);
	buf_done(&g->b);
	free(g);
}

TEST(generate_env_user_mounts)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;
	char *env[] = { "PATH=/bin", "A=1", "B=x", "A=2" };
	char *tmpfs[] = { "/tmp" };
	struct record_mount mounts[] = {
		{ .source = "/host/ro", .destination = "/ro", .readonly = true },
		{ .source = "/host/rw", .destination = "/rw", .readonly = false },
	};

	base_record(&r);
	r.env = (struct record_strv){ .v = env, .n = 4 };
	r.user_set = true;
	r.uid = 1000;
	r.gid = 100;
	r.workdir = "/work";
	r.read_only = true;
	r.hostname = "box";
	r.tmpfs = (struct record_strv){ .v = tmpfs, .n = 1 };
	r.mounts = mounts;
	r.nmounts = 2;
	ASSERT_EQ(generate(g, &r, &err), 0);
	struct json_doc *d = &g->doc;
	/* The record's PATH wins, A keeps its last value, HOME=/ for a non-root uid. */
	ASSERT_EQ(size_at(d, "process.env"), 4);
	ASSERT_STREQ(str_at(d, "process.env.0"), "PATH=/bin");
	ASSERT_STREQ(str_at(d, "process.env.1"), "B=x");
	ASSERT_STREQ(str_at(d, "process.env.2"), "A=2");
	ASSERT_STREQ(str_at(d, "process.env.3"), "HOME=/");
	ASSERT_EQ(num_at(d, "process.user.uid"), 1000);
	ASSERT_EQ(num_at(d, "process.user.gid"), 100);
	ASSERT_STREQ(str_at(d, "process.cwd"), "/work");
	ASSERT(d->text[d->toks[at(d, "root.readonly")].start] == 't');
	ASSERT_STREQ(str_at(d, "hostname"), "box");
	ASSERT_EQ(size_at(d, "mounts"), 10);
	ASSERT_STREQ(str_at(d, "mounts.7.destination"), "/tmp");
	ASSERT_STREQ(str_at(d, "mounts.7.type"), "tmpfs");
	ASSERT(has(d, "mounts.7.options", "noexec"));
	ASSERT(has(d, "mounts.7.options", "nodev"));
	ASSERT_STREQ(str_at(d, "mounts.8.destination"), "/ro");
	ASSERT_STREQ(str_at(d, "mounts.8.type"), "bind");
	ASSERT_STREQ(str_at(d, "mounts.8.source"), "/host/ro");
	ASSERT(has(d, "mounts.8.options", "rbind"));
	ASSERT(has(d, "mounts.8.options", "rprivate"));
	ASSERT(has(d, "mounts.8.options", "ro"));
	ASSERT(!has(d, "mounts.9.options", "ro"));
	buf_done(&g->b);

	/* HOME from the record is kept. */
	char *env2[] = { "HOME=/h" };
	r.env = (struct record_strv){ .v = env2, .n = 1 };
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT_EQ(size_at(&g->doc, "process.env"), 2);
	ASSERT_STREQ(str_at(&g->doc, "process.env.1"), "HOME=/h");
	buf_done(&g->b);
	free(g);
}

/* Number of capabilities in each set; all three sets must be equal. */
static int caps_of(struct record *r, struct gen *g, const char *must, const char *mustnot)
{
	struct kerr err;
	int n;

	if (generate(g, r, &err) < 0)
		return -100;
	n = size_at(&g->doc, "process.capabilities.bounding");
	if (n != size_at(&g->doc, "process.capabilities.effective") ||
	    n != size_at(&g->doc, "process.capabilities.permitted"))
		n = -101;
	if (must && !has(&g->doc, "process.capabilities.effective", must))
		n = -102;
	if (mustnot && has(&g->doc, "process.capabilities.permitted", mustnot))
		n = -103;
	buf_done(&g->b);
	return n;
}

/* Capabilities 0..40 in this process's bounding set. */
static int bounding_count(void)
{
	int n = 0;

	for (int i = 0; i <= 40; i++)
		n += prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1;
	return n;
}

TEST(capabilities)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	char *sys_admin[] = { "CAP_SYS_ADMIN" };
	char *mknod[] = { "CAP_MKNOD" };
	char *all[] = { "ALL" };
	char *net_raw[] = { "CAP_NET_RAW" };
	char *chown[] = { "CAP_CHOWN" };

	base_record(&r);
	ASSERT_EQ(caps_of(&r, g, "CAP_CHOWN", "CAP_SYS_ADMIN"), 14);
	r.cap_add = (struct record_strv){ .v = sys_admin, .n = 1 };
	ASSERT_EQ(caps_of(&r, g, "CAP_SYS_ADMIN", NULL), 15);
	r.cap_drop = (struct record_strv){ .v = mknod, .n = 1 };
	ASSERT_EQ(caps_of(&r, g, "CAP_SYS_ADMIN", "CAP_MKNOD"), 14);
	/* Adding a default again changes nothing; an add wins over a drop of the same. */
	r.cap_add = (struct record_strv){ .v = mknod, .n = 1 };
	ASSERT_EQ(caps_of(&r, g, "CAP_MKNOD", NULL), 14);
	/* --cap-add ALL --cap-drop NET_RAW: everything this host's bounding set allows. */
	int every = bounding_count();
	r.cap_add = (struct record_strv){ .v = all, .n = 1 };
	r.cap_drop = (struct record_strv){ .v = net_raw, .n = 1 };
	ASSERT_EQ(caps_of(&r, g, "CAP_SYS_ADMIN", "CAP_NET_RAW"), every - 1);
	/* --cap-drop ALL --cap-add CHOWN */
	r.cap_add = (struct record_strv){ .v = chown, .n = 1 };
	r.cap_drop = (struct record_strv){ .v = all, .n = 1 };
	ASSERT_EQ(caps_of(&r, g, "CAP_CHOWN", "CAP_KILL"), 1);
	r.cap_add.n = 0;
	ASSERT_EQ(caps_of(&r, g, NULL, "CAP_CHOWN"), 0);
	/* Privileged ignores drops: every capability the host allows. */
	r.privileged = true;
	ASSERT_EQ(caps_of(&r, g, "CAP_SYS_ADMIN", NULL), every);
	ASSERT(every > 30 && every <= 41);
	free(g);
}

TEST(privileged_config)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;

	base_record(&r);
	r.privileged = true;
	ASSERT_EQ(generate(g, &r, &err), 0);
	struct json_doc *d = &g->doc;
	ASSERT_EQ(at(d, "linux.maskedPaths"), -1);
	ASSERT_EQ(at(d, "linux.readonlyPaths"), -1);
	ASSERT_EQ(size_at(d, "linux.resources.devices"), 1);
	ASSERT(d->text[d->toks[at(d, "linux.resources.devices.0.allow")].start] == 't');
	ASSERT_EQ(at(d, "linux.resources.devices.0.major"), -1);
	ASSERT(!has(d, "mounts.5.options", "ro"));
	ASSERT(!has(d, "mounts.6.options", "ro"));
	buf_done(&g->b);
	free(g);
}

TEST(namespaces_by_network)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;

	base_record(&r);
	r.network = RECORD_NET_HOST;
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT_EQ(size_at(&g->doc, "linux.namespaces"), 4);
	for (int i = 0; i < 4; i++) {
		char p[64];

		snprintf(p, sizeof(p), "linux.namespaces.%d.type", i);
		ASSERT(strcmp(str_at(&g->doc, p), "network") != 0);
	}
	buf_done(&g->b);
	r.network = RECORD_NET_NS;
	r.netns_path = "/run/netns/blue";
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT_EQ(size_at(&g->doc, "linux.namespaces"), 5);
	ASSERT_STREQ(str_at(&g->doc, "linux.namespaces.4.type"), "network");
	ASSERT_STREQ(str_at(&g->doc, "linux.namespaces.4.path"), "/run/netns/blue");
	buf_done(&g->b);
	free(g);
}

TEST(cgroup_limits_and_rlimit)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;
	struct rlimit rl;

	base_record(&r);
	r.memory_bytes = 64u << 20;
	r.cpus_milli = 1500;
	r.pids_limit = 100;
	ASSERT_EQ(generate(g, &r, &err), 0);
	struct json_doc *d = &g->doc;
	ASSERT_EQ(num_at(d, "linux.resources.memory.limit"), 64LL << 20);
	ASSERT_EQ(num_at(d, "linux.resources.memory.swap"), 128LL << 20);
	ASSERT_EQ(num_at(d, "linux.resources.cpu.quota"), 150000);
	ASSERT_EQ(num_at(d, "linux.resources.cpu.period"), 100000);
	ASSERT_EQ(num_at(d, "linux.resources.pids.limit"), 100);

	/* The rlimit never exceeds the host's hard limit. */
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	long long want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576
				 ? 1048576
				 : (long long)rl.rlim_max;
	ASSERT_STREQ(str_at(d, "process.rlimits.0.type"), "RLIMIT_NOFILE");
	ASSERT_EQ(num_at(d, "process.rlimits.0.hard"), want);
	ASSERT_EQ(num_at(d, "process.rlimits.0.soft"), want);
	ASSERT(rl.rlim_max == RLIM_INFINITY ||
	       num_at(d, "process.rlimits.0.hard") <= (long long)rl.rlim_max);
	buf_done(&g->b);

	/* Lower the hard limit of this process: the generated limit follows it down. */
	struct rlimit low = { .rlim_cur = 512, .rlim_max = 600 };
	if (rl.rlim_max >= 600 && setrlimit(RLIMIT_NOFILE, &low) == 0) {
		ASSERT_EQ(generate(g, &r, &err), 0);
		ASSERT_EQ(num_at(&g->doc, "process.rlimits.0.hard"), 600);
		ASSERT_EQ(num_at(&g->doc, "process.rlimits.0.soft"), 600);
		buf_done(&g->b);
	}

	/* -1 is unlimited: no pids section. */
	r.pids_limit = -1;
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT_EQ(at(&g->doc, "linux.resources.pids"), -1);
	buf_done(&g->b);
	free(g);
}

TEST(generate_refuses_bad_records)
{
	struct record r;
	struct buf b;
	struct kerr err;

	buf_init(&b, 1 << 20);
	base_record(&r);
	r.rootfs = NULL;
	r.bundle = "/b";
	ASSERT_EQ(spec_generate(&r, NULL, NULL, &b, &err), -1);
	ASSERT_STREQ(err.msg, "generate config.json: the record has no --rootfs");
	base_record(&r);
	r.memory_bytes = 1;
	ASSERT_EQ(spec_generate(&r, NULL, NULL, &b, &err), -1);
	ASSERT_CONTAINS(err.msg, "generate config.json: --memory of 1 bytes is too small");
	ASSERT_EQ(b.len, 0);
	/* A full buffer is an error, not a truncated config. */
	buf_done(&b);
	buf_init(&b, 100);
	base_record(&r);
	ASSERT_EQ(spec_generate(&r, NULL, NULL, &b, &err), -1);
	ASSERT_CONTAINS(err.msg, "generate config.json");
	buf_done(&b);
	/* Without a cgroups path there is no cgroupsPath key. */
	struct gen *g = calloc(1, sizeof(*g));
	buf_init(&g->b, 1 << 20);
	ASSERT_EQ(spec_generate(&r, NULL, NULL, &g->b, &err), 0);
	ASSERT_EQ(json_parse(&g->doc, (const char *)g->b.data, g->b.len, g->toks, 4096, &err), 0);
	ASSERT_EQ(at(&g->doc, "linux.cgroupsPath"), -1);
	buf_done(&g->b);
	free(g);
}

/* ---- bundles ---- */

static char tmpdir[64];

static void mk_bundle(void)
{
	strcpy(tmpdir, "/tmp/spec_test.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
}

static void rm_bundle(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/config.json", tmpdir);
	unlink(p);
	rmdir(p);
	rmdir(tmpdir);
}

static void write_config(const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/config.json", tmpdir);
	unlink(p);
	f = fopen(p, "we");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static int check(const char *text, struct record_strv *args, struct kerr *err)
{
	write_config(text);
	return spec_check_bundle(tmpdir, args, err);
}

TEST(bundle_valid_and_args)
{
	struct kerr err;
	char *prev[] = { "keep" };
	struct record_strv args = { 0 };

	mk_bundle();
	ASSERT_EQ(check("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/bin/echo\",\"a "
			"b\",\"\\u00e9\"]},\"root\":{\"path\":\"rootfs\"}}",
			NULL, &err),
		  0);
	ASSERT_EQ(spec_check_bundle(tmpdir, &args, &err), 0);
	ASSERT_EQ(args.n, 3);
	ASSERT_STREQ(args.v[0], "/bin/echo");
	ASSERT_STREQ(args.v[1], "a b");
	ASSERT_STREQ(args.v[2], "\xc3\xa9");
	ASSERT(args.v[3] == NULL);
	for (size_t i = 0; i < args.n; i++)
		free(args.v[i]);
	free(args.v);

	/* Appends after what is there. */
	args.v = malloc(2 * sizeof(char *));
	args.v[0] = strdup(prev[0]);
	args.v[1] = NULL;
	args.n = 1;
	ASSERT_EQ(spec_check_bundle(tmpdir, &args, &err), 0);
	ASSERT_EQ(args.n, 4);
	ASSERT_STREQ(args.v[0], "keep");
	ASSERT_STREQ(args.v[1], "/bin/echo");
	for (size_t i = 0; i < args.n; i++)
		free(args.v[i]);
	free(args.v);
	rm_bundle();
}

struct bad_config {
	const char *text; /* config.json content */
	const char *msg;  /* expected substring */
};

TEST(bundle_rejections)
{
	static const struct bad_config cases[] = {
		{ "{\"ociVersion\":\"1.0.2\",", "config.json: invalid json" },
		{ "", "config.json: invalid json: empty document" },
		{ "[]", "config.json: the document is an array, expected an object" },
		{ "{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"}}",
		  "config.json: `ociVersion` is missing, expected a string" },
		{ "{\"ociVersion\":1,\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"}}",
		  "config.json: `ociVersion` is a number, expected a string" },
		{ "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"}}",
		  "config.json: `process` is missing, expected an object" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{},\"root\":{\"path\":\"r\"}}",
		  "config.json: process: `args` is missing, expected an array" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}",
		  "config.json: process: `args` is empty, expected the command to run" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"a\",2]},\"root\":{\"path\":"
		  "\"r\"}}",
		  "config.json: process: `args[1]` is a number, expected a string" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"a\"]}}",
		  "config.json: `root` is missing, expected an object" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"a\"]},\"root\":{}}",
		  "config.json: root: `path` is missing, expected a string" },
		{ "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"a\"]},\"root\":{\"path\":"
		  "null}}",
		  "config.json: root: `path` is null, expected a string" },
	};
	struct kerr err;
	char prefix[128];
	struct record_strv args = { 0 };

	mk_bundle();
	snprintf(prefix, sizeof(prefix), "bundle `%s`: config.json: ", tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (check(cases[i].text, &args, &err) != -1)
			HARNESS_FAIL("case %zu accepted", i);
		if (!strstr(err.msg, cases[i].msg) || strncmp(err.msg, prefix, strlen(prefix)))
			HARNESS_FAIL("case %zu: \"%s\" lacks \"%s%s\"", i, err.msg, prefix,
				     cases[i].msg);
		/* Nothing is handed out on failure. */
		ASSERT(args.n == 0 && args.v == NULL);
	}
	rm_bundle();
}

TEST(bundle_file_kinds)
{
	struct kerr err;
	char p[128], target[128];
	int fd;

	mk_bundle();
	snprintf(p, sizeof(p), "%s/config.json", tmpdir);

	ASSERT_EQ(spec_check_bundle(tmpdir, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "config.json: not found");

	ASSERT_EQ(mkdir(p, 0700), 0);
	ASSERT_EQ(spec_check_bundle(tmpdir, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "config.json: is a directory, expected a regular file");
	ASSERT_EQ(rmdir(p), 0);

	/* A symlink to a perfectly good config is still refused. */
	snprintf(target, sizeof(target), "%s/real.json", tmpdir);
	write_config("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"a\"]},\"root\":{\"path\""
		     ":\"r\"}}");
	ASSERT_EQ(rename(p, target), 0);
	ASSERT_EQ(symlink("real.json", p), 0);
	ASSERT_EQ(spec_check_bundle(tmpdir, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "config.json: is a symbolic link, expected a regular file");
	ASSERT_EQ(unlink(p), 0);
	ASSERT_EQ(unlink(target), 0);

	/* A FIFO must not block the check. */
	ASSERT_EQ(mkfifo(p, 0600), 0);
	ASSERT_EQ(spec_check_bundle(tmpdir, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "config.json: is not a regular file");
	ASSERT_EQ(unlink(p), 0);

	/* Too large: refused from its size, before reading. */
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	ASSERT_EQ(ftruncate(fd, SPEC_CONFIG_MAX + 1), 0);
	close(fd);
	ASSERT_EQ(spec_check_bundle(tmpdir, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "config.json: is 4194305 bytes, exceeds limit 4194304");
	ASSERT_EQ(unlink(p), 0);

	/* The bundle itself must be a directory. */
	write_config("{}");
	ASSERT_EQ(spec_check_bundle(p, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "open directory: Not a directory");
	rm_bundle();
	ASSERT_EQ(spec_check_bundle("/nonexistent/kettle-bundle", NULL, &err), -1);
	ASSERT_STREQ(err.msg, "bundle `/nonexistent/kettle-bundle`: open directory: No such file "
			      "or directory");
}

/* --init: the read-only copy is bound at /dev/init and runs the command after "--"; an exec
 * into the same container runs its own command, unwrapped. */
TEST(init_config)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;
	char *xargs[] = { "ls", NULL };
	struct spec_exec x = { .args = xargs, .nargs = 1 };
	struct buf b;

	base_record(&r);
	r.init = true;
	ASSERT_EQ(generate(g, &r, &err), 0);
	struct json_doc *d = &g->doc;
	ASSERT_EQ(size_at(d, "process.args"), 5);
	ASSERT_STREQ(str_at(d, "process.args.0"), "/dev/init");
	ASSERT_STREQ(str_at(d, "process.args.1"), "--");
	ASSERT_STREQ(str_at(d, "process.args.2"), "sh");
	ASSERT_STREQ(str_at(d, "process.args.4"), "echo hi");
	int n = size_at(d, "mounts");
	char path[64];
	snprintf(path, sizeof(path), "mounts.%d.destination", n - 1);
	ASSERT_STREQ(str_at(d, path), SPEC_INIT_PATH);
	snprintf(path, sizeof(path), "mounts.%d.source", n - 1);
	ASSERT_STREQ(str_at(d, path), "../init");
	snprintf(path, sizeof(path), "mounts.%d.options", n - 1);
	ASSERT(has(d, path, "ro"));
	ASSERT(!has(d, path, "noexec"));
	buf_done(&g->b);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(spec_exec_process(&r, &x, &b, &err), 0);
	ASSERT(memmem(b.data, b.len, "\"args\":[\"ls\"]", 13) != NULL);
	buf_done(&b);
	/* Without --init nothing of it appears. */
	r.init = false;
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT_STREQ(str_at(&g->doc, "process.args.0"), "sh");
	ASSERT(memmem(g->b.data, g->b.len, "/dev/init", 9) == NULL);
	buf_done(&g->b);
	free(g);
}

TEST(tty_sets_terminal)
{
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;

	base_record(&r);
	r.tty = true;
	ASSERT_EQ(generate(g, &r, &err), 0);
	ASSERT(g->doc.text[g->doc.toks[at(&g->doc, "process.terminal")].start] == 't');
	buf_done(&g->b);
	free(g);
}

static int exec_process(struct gen *g, const struct record *r, const struct spec_exec *x,
			struct kerr *err)
{
	buf_init(&g->b, 1 << 20);
	if (spec_exec_process(r, x, &g->b, err) < 0)
		return -1;
	return json_parse(&g->doc, (const char *)g->b.data, g->b.len, g->toks, 4096, err);
}

TEST(exec_process_merges_the_record)
{
	static char *args[] = { "ls", "-l" };
	static char *env[] = { "A=2", "NEW=x" };
	static char *renv[] = { "A=1", "KEEP=k" };
	struct record r;
	struct gen *g = calloc(1, sizeof(*g));
	struct kerr err;
	struct spec_exec x = { .args = args, .nargs = 2, .env = env, .nenv = 2, .tty = true };

	base_record(&r);
	r.env = (struct record_strv){ .v = renv, .n = 2 };
	r.workdir = "/work";
	r.user_set = true;
	r.uid = 5;
	r.gid = 6;
	ASSERT_EQ(exec_process(g, &r, &x, &err), 0);
	struct json_doc *d = &g->doc;
	/* The process object itself, not a config: runc exec --process reads it whole. */
	ASSERT_EQ(at(d, "process"), -1);
	ASSERT_STREQ(str_at(d, "args.0"), "ls");
	ASSERT_STREQ(str_at(d, "args.1"), "-l");
	ASSERT_EQ(size_at(d, "args"), 2);
	ASSERT(d->text[d->toks[at(d, "terminal")].start] == 't');
	ASSERT_STREQ(str_at(d, "cwd"), "/work");
	ASSERT_EQ(num_at(d, "user.uid"), 5);
	ASSERT_EQ(num_at(d, "user.gid"), 6);
	/* The exec's variables win over the record's; the record's others stay. */
	ASSERT(has(d, "env", "A=2") && !has(d, "env", "A=1"));
	ASSERT(has(d, "env", "KEEP=k") && has(d, "env", "NEW=x"));
	ASSERT(has(d, "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	ASSERT(has(d, "capabilities.bounding", "CAP_CHOWN"));
	ASSERT_EQ(num_at(d, "oomScoreAdj"), 0);
	buf_done(&g->b);

	/* Overrides of cwd and user. */
	x.cwd = "/tmp";
	x.user_set = true;
	x.uid = 0;
	x.gid = 0;
	x.tty = false;
	ASSERT_EQ(exec_process(g, &r, &x, &err), 0);
	ASSERT_STREQ(str_at(&g->doc, "cwd"), "/tmp");
	ASSERT_EQ(num_at(&g->doc, "user.uid"), 0);
	ASSERT(has(&g->doc, "env", "HOME=/root"));
	ASSERT(g->doc.text[g->doc.toks[at(&g->doc, "terminal")].start] == 'f');
	buf_done(&g->b);
	free(g);
}

TEST(exec_process_refusals)
{
	static char *args[] = { "ls" };
	static char *bad_env[] = { "NOEQUALS" };
	static char *empty_key[] = { "=v" };
	struct record r;
	struct kerr err;
	struct buf b;
	struct spec_exec x = { .args = args, .nargs = 0 };

	base_record(&r);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(spec_exec_process(&r, &x, &b, &err), -1);
	ASSERT_STREQ(err.msg, "exec: no command given");
	x.nargs = 1;
	x.env = bad_env;
	x.nenv = 1;
	ASSERT_EQ(spec_exec_process(&r, &x, &b, &err), -1);
	ASSERT_STREQ(err.msg, "exec: variable `NOEQUALS` is not KEY=VALUE");
	x.env = empty_key;
	ASSERT_EQ(spec_exec_process(&r, &x, &b, &err), -1);
	x.nenv = 0;
	x.cwd = "relative";
	ASSERT_EQ(spec_exec_process(&r, &x, &b, &err), -1);
	ASSERT_CONTAINS(err.msg, "is not absolute");
	buf_done(&b);
}

/* True when some linux.seccomp.syscalls entry names name. */
static bool filters(const struct json_doc *d, const char *name)
{
	char path[64];

	for (int i = 0; i < size_at(d, "linux.seccomp.syscalls"); i++) {
		snprintf(path, sizeof(path), "linux.seccomp.syscalls.%d.names", i);
		if (has(d, path, name))
			return true;
	}
	return false;
}

TEST(seccomp_config)
{
	static struct gen g;
	static char *admin[] = { "CAP_SYS_ADMIN", NULL };
	struct record r;
	struct kerr err;

	base_record(&r);
	ASSERT_EQ(generate(&g, &r, &err), 0);
	ASSERT_STREQ(str_at(&g.doc, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO");
	ASSERT_EQ(num_at(&g.doc, "linux.seccomp.defaultErrnoRet"), 1);
	ASSERT_STREQ(str_at(&g.doc, "linux.seccomp.architectures.0"), "SCMP_ARCH_X86_64");
	ASSERT_EQ(size_at(&g.doc, "linux.seccomp.architectures"), 3);
	ASSERT_EQ(at(&g.doc, "linux.seccomp.flags"), -1);
	ASSERT(filters(&g.doc, "read") && filters(&g.doc, "clone3") && !filters(&g.doc, "unshare"));
	ASSERT(g.doc.text[g.doc.toks[at(&g.doc, "process.noNewPrivileges")].start] == 'f');
	buf_done(&g.b);

	/* --cap-add SYS_ADMIN opens its group. */
	r.cap_add = (struct record_strv){ .v = admin, .n = 1 };
	ASSERT_EQ(generate(&g, &r, &err), 0);
	ASSERT(filters(&g.doc, "unshare") && filters(&g.doc, "mount"));
	buf_done(&g.b);
	r.cap_add = (struct record_strv){ 0 };

	/* no-new-privileges; unconfined and privileged: no section at all. */
	r.no_new_privileges = true;
	r.seccomp = RECORD_SECCOMP_UNCONFINED;
	ASSERT_EQ(generate(&g, &r, &err), 0);
	ASSERT(g.doc.text[g.doc.toks[at(&g.doc, "process.noNewPrivileges")].start] == 't');
	ASSERT_EQ(at(&g.doc, "linux.seccomp"), -1);
	buf_done(&g.b);
	r.seccomp = RECORD_SECCOMP_BUILTIN;
	r.privileged = true;
	ASSERT_EQ(generate(&g, &r, &err), 0);
	ASSERT_EQ(at(&g.doc, "linux.seccomp"), -1);
	buf_done(&g.b);

	/* A profile file the caller did not load is an error, not a silent default. */
	r.privileged = false;
	r.seccomp = "/etc/kettle/profile.json";
	buf_init(&g.b, 1 << 20);
	ASSERT_EQ(spec_generate(&r, NULL, NULL, &g.b, &err), -1);
	ASSERT_STREQ(err.msg, "generate config.json: seccomp profile `/etc/kettle/profile.json` "
			      "was not loaded");
	buf_done(&g.b);
}

RUN_TESTS(T(generate_defaults), T(generate_env_user_mounts), T(capabilities), T(privileged_config),
	  T(namespaces_by_network), T(cgroup_limits_and_rlimit), T(generate_refuses_bad_records),
	  T(bundle_valid_and_args), T(bundle_rejections), T(bundle_file_kinds), T(init_config),
	  T(tty_sets_terminal), T(exec_process_merges_the_record), T(exec_process_refusals),
	  T(seccomp_config))
