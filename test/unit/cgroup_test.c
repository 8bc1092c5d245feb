/*
 * cgroup_test: unit tests for src/runtime/cgroup.c (test layer).
 *
 * The parsers get text (real-looking and hostile); the v1 and v2 readers get a fixture
 * tree this file builds under a mkdtemp directory, laid out like /sys/fs/cgroup on a
 * hybrid host (one directory per v1 controller) and on a v2 host. Needs no root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "harness.h"

#define CG "/kettle/0123456789abcdef"

static const char hybrid_mountinfo[] =
	"24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static char base[64]; /* the fixture's mkdtemp directory */

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
}

static void setup_base(void)
{
	if (base[0])
		return;
	snprintf(base, sizeof(base), "/tmp/cgroup_test.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		exit(2);
	}
}

/* A v1 fixture: one mount per controller (cpu and cpuacct joined, as many hosts do). */
static void v1_fixture(struct cgroup_mounts *m, struct cgroup_loc *loc, const char *tag)
{
	static const char *const dirs[CGROUP_C_COUNT] = { "memory", "cpu,cpuacct", "pids", "blkio",
							  "freezer" };
	char dir[PATH_MAX];

	setup_base();
	memset(m, 0, sizeof(*m));
	memset(loc, 0, sizeof(*loc));
	m->any_v1 = true;
	for (int c = 0; c < CGROUP_C_COUNT; c++) {
		snprintf(m->v1[c], sizeof(m->v1[c]), "%s/%s/%s", base, tag, dirs[c]);
		snprintf(loc->v1[c], sizeof(loc->v1[c]), "%s", CG);
		snprintf(dir, sizeof(dir), "%s%s", m->v1[c], CG);
		mkdirs(dir);
	}
}

static void v1_dir(const struct cgroup_mounts *m, int c, char *dir)
{
	snprintf(dir, PATH_MAX, "%.4000s%s", m->v1[c], CG);
}

TEST(mountinfo_hybrid)
{
	struct cgroup_mounts m;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_mountinfo(hybrid_mountinfo, strlen(hybrid_mountinfo), &m, &err), 0);
	ASSERT_STREQ(m.v1[CGROUP_C_MEMORY], "/sys/fs/cgroup/memory");
	ASSERT_STREQ(m.v1[CGROUP_C_CPUACCT], "/sys/fs/cgroup/cpuacct");
	ASSERT_STREQ(m.v1[CGROUP_C_PIDS], "/sys/fs/cgroup/pids");
	ASSERT_STREQ(m.v1[CGROUP_C_BLKIO], "/sys/fs/cgroup/blkio");
	ASSERT_STREQ(m.v1[CGROUP_C_FREEZER], "/sys/fs/cgroup/freezer");
	ASSERT_STREQ(m.v2, "/sys/fs/cgroup/unified");
	ASSERT_EQ(cgroup_version_of(&m), CGROUP_HYBRID);
	ASSERT_STREQ(cgroup_version_name(cgroup_version_of(&m)), "hybrid");
}

TEST(mountinfo_v2_v1_none)
{
	static const char v2[] = "30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n";
	static const char v1[] =
		"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
	static const char none[] = "24 30 0:22 / /sys rw - sysfs sysfs rw\n";
	struct cgroup_mounts m;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_mountinfo(v2, strlen(v2), &m, &err), 0);
	ASSERT_EQ(cgroup_version_of(&m), CGROUP_V2);
	ASSERT_STREQ(m.v2, "/sys/fs/cgroup");
	ASSERT_STREQ(cgroup_version_name(CGROUP_V2), "v2");
	ASSERT_EQ(cgroup_parse_mountinfo(v1, strlen(v1), &m, &err), 0);
	ASSERT_EQ(cgroup_version_of(&m), CGROUP_V1);
	ASSERT_STREQ(m.v1[CGROUP_C_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct");
	ASSERT_STREQ(m.v1[CGROUP_C_MEMORY], "");
	ASSERT_EQ(cgroup_parse_mountinfo(none, strlen(none), &m, &err), 0);
	ASSERT_EQ(cgroup_version_of(&m), CGROUP_NONE);
	ASSERT_STREQ(cgroup_version_name(CGROUP_NONE), "none");
	ASSERT_EQ(cgroup_parse_mountinfo("", 0, &m, &err), 0);
	ASSERT_EQ(cgroup_version_of(&m), CGROUP_NONE);
}

TEST(mountinfo_escapes_and_subtrees)
{
	/* A mount point with a space; a bind of a subtree (root not "/") is not a hierarchy. */
	static const char text[] = "35 31 0:32 /sub /mnt/bound rw - cgroup cgroup rw,memory\n"
				   "36 31 0:32 / /cg\\040mem rw - cgroup cgroup rw,memory\n"
				   "41 31 0:38 /x /mnt/v2bind rw - cgroup2 cgroup2 rw\n";
	struct cgroup_mounts m;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_mountinfo(text, strlen(text), &m, &err), 0);
	ASSERT_STREQ(m.v1[CGROUP_C_MEMORY], "/cg mem");
	ASSERT_STREQ(m.v2, "");
}

TEST(mountinfo_hostile)
{
	static const char *const bad[] = {
		"35 31 0:32 / /sys/fs/cgroup/memory rw cgroup cgroup rw,memory\n", /* no "-" */
		"35 31 0:32 / /x rw - cgroup\n",				   /* short */
		"35 31 0:32 / rel rw - cgroup cgroup rw,memory\n",	/* relative mount point */
		"35 31 0:32 / /a\\000b rw - cgroup cgroup rw,memory\n", /* escaped NUL */
	};
	struct cgroup_mounts m;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(cgroup_parse_mountinfo(bad[i], strlen(bad[i]), &m, &err), -1);
	ASSERT_EQ(cgroup_parse_mountinfo(bad[0], strlen(bad[0]), &m, &err), -1);
	ASSERT_CONTAINS(err.msg, "mountinfo line 1");
}

TEST(proc_cgroup)
{
	static const char text[] = "12:pids:" CG "\n"
				   "9:name=systemd:/user.slice\n"
				   "4:memory:" CG "\n"
				   "2:cpu,cpuacct:" CG "\n"
				   "7:blkio:/\n"
				   "0::/kettle/v2path\n";
	struct cgroup_loc loc;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_proc(text, strlen(text), &loc, &err), 0);
	ASSERT_STREQ(loc.v1[CGROUP_C_PIDS], CG);
	ASSERT_STREQ(loc.v1[CGROUP_C_MEMORY], CG);
	ASSERT_STREQ(loc.v1[CGROUP_C_CPUACCT], CG);
	ASSERT_STREQ(loc.v1[CGROUP_C_BLKIO], "/");
	ASSERT_STREQ(loc.v1[CGROUP_C_FREEZER], "");
	ASSERT_STREQ(loc.v2, "/kettle/v2path");
}

TEST(proc_cgroup_hostile)
{
	static const char *const bad[] = {
		"4:memory\n",	       /* one colon */
		"4:memory:relative\n", /* not absolute */
		"4:memory:/a/../b\n",  /* climbs */
		"0::/./x\n",	       /* dot component */
		"4:memory:\n",	       /* empty path */
	};
	struct cgroup_loc loc;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(cgroup_parse_proc(bad[i], strlen(bad[i]), &loc, &err), -1);
	ASSERT_EQ(cgroup_parse_proc(bad[2], strlen(bad[2]), &loc, &err), -1);
	ASSERT_CONTAINS(err.msg, "clean absolute path");
	/* A path may hold ':' (only the first two separate fields). */
	ASSERT_EQ(cgroup_parse_proc("0::/a:b\n", 8, &loc, &err), 0);
	ASSERT_STREQ(loc.v2, "/a:b");
}

TEST(net_dev)
{
	static const char text[] =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
		"packets errs drop fifo colls carrier compressed\n"
		"    lo:     100       1    0    0    0     0          0         0      100       "
		"1    0    0    0     0       0          0\n"
		"  eth0:1500 10 0 0 0 0 0 0 700 5 0 0 0 0 0 0\n"
		"  eth1: 5 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0\n";
	uint64_t rx, tx;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_net_dev(text, strlen(text), &rx, &tx, &err), 0);
	ASSERT_U64_EQ(rx, 1505);
	ASSERT_U64_EQ(tx, 706);
	/* Only loopback (a --network none container). */
	ASSERT_EQ(
		cgroup_parse_net_dev(text, (size_t)(strstr(text, "  eth0") - text), &rx, &tx, &err),
		0);
	ASSERT_U64_EQ(rx, 0);
}

TEST(net_dev_hostile)
{
	static const char few[] = "h1\nh2\n  eth0: 1 2 3\n";
	static const char nocolon[] = "h1\nh2\n  eth0 1 2 3\n";
	static const char big[] =
		"h1\nh2\n  eth0: 99999999999999999999 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n";
	static const char neg[] = "h1\nh2\n  eth0: -1 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n";
	uint64_t rx, tx;
	struct kerr err;

	ASSERT_EQ(cgroup_parse_net_dev(few, strlen(few), &rx, &tx, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected 16");
	ASSERT_EQ(cgroup_parse_net_dev(nocolon, strlen(nocolon), &rx, &tx, &err), -1);
	ASSERT_EQ(cgroup_parse_net_dev(big, strlen(big), &rx, &tx, &err), -1);
	ASSERT_EQ(cgroup_parse_net_dev(neg, strlen(neg), &rx, &tx, &err), -1);
}

TEST(read_v1)
{
	struct cgroup_mounts m;
	struct cgroup_loc loc;
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v1_fixture(&m, &loc, "v1a");
	v1_dir(&m, CGROUP_C_MEMORY, dir);
	put(dir, "memory.usage_in_bytes", "10485760\n");
	put(dir, "memory.limit_in_bytes", "67108864\n");
	put(dir, "memory.stat", "cache 4096\ninactive_file 1\ntotal_inactive_file 2097152\n");
	v1_dir(&m, CGROUP_C_CPUACCT, dir);
	put(dir, "cpuacct.usage", "123456789\n");
	v1_dir(&m, CGROUP_C_PIDS, dir);
	put(dir, "pids.current", "3\n");
	put(dir, "pids.max", "max\n");
	v1_dir(&m, CGROUP_C_BLKIO, dir);
	put(dir, "blkio.throttle.io_service_bytes",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 1\n8:0 Total 12288\n"
	    "8:16 Read 1\n8:16 Write 2\nTotal 12291\n");
	v1_dir(&m, CGROUP_C_FREEZER, dir);
	put(dir, "freezer.state", "FROZEN\n");

	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), 0);
	ASSERT_EQ(s.source, CGROUP_V1);
	ASSERT_U64_EQ(s.mem_usage, 10485760 - 2097152);
	ASSERT_U64_EQ(s.mem_limit, 67108864);
	ASSERT_U64_EQ(s.cpu_ns, 123456789);
	ASSERT_U64_EQ(s.pids, 3);
	ASSERT_U64_EQ(s.pids_limit, 0);
	ASSERT_U64_EQ(s.blk_read, 4097);
	ASSERT_U64_EQ(s.blk_write, 8194);
	ASSERT(s.frozen);
	/* cgroup_read picks v1 when the memory controller is there. */
	ASSERT_EQ(cgroup_read(&m, &loc, &s, &err), 0);
	ASSERT_EQ(s.source, CGROUP_V1);
}

TEST(read_v1_unlimited_and_missing)
{
	struct cgroup_mounts m;
	struct cgroup_loc loc;
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v1_fixture(&m, &loc, "v1b");
	v1_dir(&m, CGROUP_C_MEMORY, dir);
	put(dir, "memory.usage_in_bytes", "4096\n");
	put(dir, "memory.limit_in_bytes", "9223372036854771712\n");
	/* No cpuacct mount, nothing in blkio, pids, freezer: all read as 0. */
	m.v1[CGROUP_C_CPUACCT][0] = '\0';
	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), 0);
	ASSERT_U64_EQ(s.mem_usage, 4096);
	ASSERT_U64_EQ(s.mem_limit, 0);
	ASSERT_U64_EQ(s.cpu_ns, 0);
	ASSERT_U64_EQ(s.pids, 0);
	ASSERT_U64_EQ(s.blk_read + s.blk_write, 0);
	ASSERT(!s.frozen);
}

TEST(read_v1_hostile)
{
	struct cgroup_mounts m;
	struct cgroup_loc loc;
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v1_fixture(&m, &loc, "v1c");
	v1_dir(&m, CGROUP_C_MEMORY, dir);
	put(dir, "memory.usage_in_bytes", "12abc\n");
	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "memory.usage_in_bytes");
	put(dir, "memory.usage_in_bytes", "1\n");
	v1_dir(&m, CGROUP_C_BLKIO, dir);
	put(dir, "blkio.throttle.io_service_bytes", "8:0 Read -5\n");
	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "blkio.throttle.io_service_bytes");
	/* The cgroup is gone: ENOENT, so callers can tell "exited" apart. */
	snprintf(loc.v1[CGROUP_C_MEMORY], PATH_MAX, "/kettle/gone");
	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	/* No memory cgroup at all. */
	loc.v1[CGROUP_C_MEMORY][0] = '\0';
	ASSERT_EQ(cgroup_read_v1(&m, &loc, &s, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
}

/* A v2 cgroup directory with every file kettle reads. */
static void v2_fixture(char *dir, const char *tag)
{
	setup_base();
	snprintf(dir, PATH_MAX, "%s/%s%s", base, tag, CG);
	mkdirs(dir);
	put(dir, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
	put(dir, "memory.current", "8388608\n");
	put(dir, "memory.max", "max\n");
	put(dir, "memory.stat", "anon 4096\nfile 8192\ninactive_file 1048576\nactive_file 0\n");
	put(dir, "pids.current", "2\n");
	put(dir, "pids.max", "100\n");
	put(dir, "io.stat",
	    "8:0 rbytes=4096 wbytes=1024 rios=1 wios=1 dbytes=0 dios=0\n"
	    "259:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n");
	put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
}

TEST(read_v2)
{
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v2_fixture(dir, "v2a");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), 0);
	ASSERT_EQ(s.source, CGROUP_V2);
	ASSERT_U64_EQ(s.cpu_ns, 2500000);
	ASSERT_U64_EQ(s.mem_usage, 8388608 - 1048576);
	ASSERT_U64_EQ(s.mem_limit, 0);
	ASSERT_U64_EQ(s.pids, 2);
	ASSERT_U64_EQ(s.pids_limit, 100);
	ASSERT_U64_EQ(s.blk_read, 4106);
	ASSERT_U64_EQ(s.blk_write, 1044);
	ASSERT(!s.frozen);
	put(dir, "memory.max", "67108864\n");
	put(dir, "cgroup.events", "populated 1\nfrozen 1\n");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), 0);
	ASSERT_U64_EQ(s.mem_limit, 67108864);
	ASSERT(s.frozen);
}

TEST(read_v2_controllers_disabled)
{
	/* A cgroup whose parent enables no controller has only cpu.stat (a hybrid host's
	 * unified hierarchy): everything else reads as 0. */
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	setup_base();
	snprintf(dir, PATH_MAX, "%s/v2b%s", base, CG);
	mkdirs(dir);
	put(dir, "cpu.stat", "usage_usec 7\n");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), 0);
	ASSERT_U64_EQ(s.cpu_ns, 7000);
	ASSERT_U64_EQ(s.mem_usage + s.mem_limit + s.pids + s.blk_read, 0);
}

TEST(read_v2_hostile)
{
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v2_fixture(dir, "v2c");
	put(dir, "io.stat", "8:0 rbytes=x wbytes=1\n");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "io.stat");
	put(dir, "io.stat", "");
	put(dir, "cpu.stat", "usage_usec 18446744073709551615\n");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "overflows");
	put(dir, "cpu.stat", "usage_usec 1\n");
	put(dir, "pids.current", "");
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "pids.current");
	/* A directory where a file should be is refused, not followed. */
	put(dir, "pids.current", "1\n");
	char sub[PATH_MAX];
	snprintf(sub, sizeof(sub), "%.4000s/memory.current", dir);
	unlink(sub);
	mkdir(sub, 0755);
	ASSERT_EQ(cgroup_read_v2(dir, &s, &err), -1);
	rmdir(sub);
	ASSERT_EQ(cgroup_read_v2("/nonexistent/kettle/cg", &s, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
}

TEST(read_picks_v2)
{
	struct cgroup_mounts m = { 0 };
	struct cgroup_loc loc = { 0 };
	struct cgroup_stats s;
	struct kerr err;
	char dir[PATH_MAX];

	v2_fixture(dir, "v2d");
	snprintf(m.v2, sizeof(m.v2), "%s/v2d", base);
	snprintf(loc.v2, sizeof(loc.v2), "%s", CG);
	ASSERT_EQ(cgroup_read(&m, &loc, &s, &err), 0);
	ASSERT_EQ(s.source, CGROUP_V2);
	ASSERT_U64_EQ(s.pids, 2);
	loc.v2[0] = '\0';
	ASSERT_EQ(cgroup_read(&m, &loc, &s, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
}

/* The memory cgroup as cgroup_read picks it, and its OOM kill counter on v1 and v2. */
TEST(oom_kills)
{
	struct cgroup_mounts m;
	struct cgroup_loc loc;
	struct kerr err;
	char dir[PATH_MAX], v1[PATH_MAX], v2dir[PATH_MAX];
	uint64_t n = 99;
	bool v2 = true;

	v1_fixture(&m, &loc, "oom1");
	v1_dir(&m, CGROUP_C_MEMORY, v1);
	ASSERT_EQ(cgroup_memory_dir(&m, &loc, dir, sizeof(dir), &v2, &err), 0);
	ASSERT_STREQ(dir, v1);
	ASSERT(!v2);
	/* Before 4.13 the key is not there: 0, not an error. */
	put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
	ASSERT_EQ(cgroup_oom_kills(dir, false, &n, &err), 0);
	ASSERT_U64_EQ(n, 0);
	put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 1\noom_kill 2\n");
	ASSERT_EQ(cgroup_oom_kills(dir, false, &n, &err), 0);
	ASSERT_U64_EQ(n, 2);
	put(dir, "memory.oom_control", "oom_kill x\n");
	ASSERT_EQ(cgroup_oom_kills(dir, false, &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "memory.oom_control");
	/* v2 when there is no v1 memory cgroup. */
	v2_fixture(v2dir, "oom2");
	put(v2dir, "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
	loc.v1[CGROUP_C_MEMORY][0] = '\0';
	snprintf(m.v2, sizeof(m.v2), "%s/oom2", base);
	snprintf(loc.v2, sizeof(loc.v2), "%s", CG);
	ASSERT_EQ(cgroup_memory_dir(&m, &loc, dir, sizeof(dir), &v2, &err), 0);
	ASSERT_STREQ(dir, v2dir);
	ASSERT(v2);
	ASSERT_EQ(cgroup_oom_kills(dir, true, &n, &err), 0);
	ASSERT_U64_EQ(n, 1);
	/* The cgroup is gone (deleted after the exit): ENOENT. */
	ASSERT_EQ(cgroup_oom_kills("/nonexistent/kettle/x", true, &n, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	loc.v2[0] = '\0';
	ASSERT_EQ(cgroup_memory_dir(&m, &loc, dir, sizeof(dir), &v2, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	/* A live process: our own, and a recycled pid refused. */
	if (cgroup_memory_dir_pid(getpid(), NULL, dir, sizeof(dir), &v2, &err) == 0)
		ASSERT_EQ(cgroup_oom_kills(dir, v2, &n, &err), 0);
	ASSERT_EQ(cgroup_memory_dir_pid(0, NULL, dir, sizeof(dir), &v2, &err), -1);
	ASSERT_EQ(cgroup_memory_dir_pid(getpid(), "/kettle/not-this-one", dir, sizeof(dir), &v2,
					&err),
		  -1);
}

TEST(live_self)
{
	struct cgroup_mounts m;
	struct cgroup_stats s;
	struct kerr err;

	ASSERT_EQ(cgroup_host_mounts(&m, &err), 0);
	ASSERT_EQ(cgroup_stats_pid(0, NULL, false, &s, &err), -1);
	ASSERT_EQ(cgroup_stats_pid(0x3ffffff0, NULL, false, &s, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	if (cgroup_version_of(&m) == CGROUP_NONE)
		return;
	/* Our own process: a cgroup that exists, some CPU used, our network namespace. */
	if (cgroup_stats_pid(getpid(), NULL, true, &s, &err) < 0)
		HARNESS_FAIL("cgroup_stats_pid(self): %s", err.msg);
	ASSERT(s.source == CGROUP_V1 || s.source == CGROUP_V2);
	/* A pid whose cgroup does not name the container is refused (recycled pid). */
	ASSERT_EQ(cgroup_stats_pid(getpid(), "/kettle/not-this-one", false, &s, &err), -1);
	ASSERT_EQ(err.code, ESRCH);
}

/* Last: removes the fixture tree. */
TEST(cleanup_fixture)
{
	char cmd[128];

	if (!base[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ASSERT_EQ(system(cmd), 0);
}

RUN_TESTS(T(mountinfo_hybrid), T(mountinfo_v2_v1_none), T(mountinfo_escapes_and_subtrees),
	  T(mountinfo_hostile), T(proc_cgroup), T(proc_cgroup_hostile), T(net_dev),
	  T(net_dev_hostile), T(read_v1), T(read_v1_unlimited_and_missing), T(read_v1_hostile),
	  T(read_v2), T(read_v2_controllers_disabled), T(read_v2_hostile), T(read_picks_v2),
	  T(oom_kills), T(live_self), T(cleanup_fixture))
