/*
 * cgroup: finding a container's cgroups and reading its resource usage (mechanism M3).
 *
 * Works on all three layouts a host may have: v1 (one hierarchy per controller), hybrid
 * (v1 controllers plus v2's unified hierarchy, usually at /sys/fs/cgroup/unified) and v2.
 * Mount points come from mountinfo and a process's cgroups from /proc/<pid>/cgroup, both
 * parsed by pure functions here so tests feed them text and a fixture directory. Numbers
 * read from cgroup files are parsed strictly; a file that does not exist (a controller
 * that is not mounted or not enabled) reads as 0, never as an error. Never logs.
 */
#ifndef KETTLE_CGROUP_H
#define KETTLE_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"

#define CGROUP_FILE_MAX	      (256u * 1024u) /* bytes read from one cgroup or /proc file */
#define CGROUP_NET_IFACES_MAX 4096	     /* interfaces counted in one net/dev */

/* The v1 controllers kettle reads. */
enum cgroup_ctrl {
	CGROUP_C_MEMORY = 0, /* memory.usage_in_bytes, memory.limit_in_bytes, memory.stat */
	CGROUP_C_CPUACCT,    /* cpuacct.usage */
	CGROUP_C_PIDS,	     /* pids.current, pids.max */
	CGROUP_C_BLKIO,	     /* blkio.throttle.io_service_bytes */
	CGROUP_C_FREEZER,    /* freezer.state */
	CGROUP_C_COUNT,
};

enum cgroup_version {
	CGROUP_NONE = 0, /* no cgroup filesystem mounted */
	CGROUP_V1,	 /* v1 hierarchies only */
	CGROUP_HYBRID,	 /* v1 controllers and a v2 hierarchy side by side */
	CGROUP_V2,	 /* v2 only */
};

/* Where the hierarchies are mounted (from mountinfo). */
struct cgroup_mounts {
	char v1[CGROUP_C_COUNT][PATH_MAX]; /* each v1 controller's mount point, "" when none */
	char v2[PATH_MAX];		   /* the cgroup2 mount point, "" when none */
	bool any_v1;			   /* some v1 hierarchy (any controller) is mounted */
};

/* A process's cgroups (from /proc/<pid>/cgroup), relative to each hierarchy's root. */
struct cgroup_loc {
	char v1[CGROUP_C_COUNT][PATH_MAX]; /* path in each v1 controller's hierarchy, "" none */
	char v2[PATH_MAX];		   /* path in the v2 hierarchy ("0::PATH"), "" none */
};

/* One sample of a container's usage. Counters are cumulative since the cgroup began. */
struct cgroup_stats {
	enum cgroup_version source; /* which reader filled it: CGROUP_V1 or CGROUP_V2 */
	uint64_t cpu_ns;	    /* CPU time used by every task, ns */
	uint64_t mem_usage;	    /* bytes in use, inactive page cache excluded (as docker) */
	uint64_t mem_limit;	    /* bytes; 0 when unlimited */
	uint64_t pids;		    /* tasks now */
	uint64_t pids_limit;	    /* 0 when unlimited */
	uint64_t blk_read;	    /* bytes read from block devices */
	uint64_t blk_write;	    /* bytes written to block devices */
	uint64_t net_rx;	    /* bytes received on every interface but lo */
	uint64_t net_tx;	    /* bytes sent on every interface but lo */
	bool frozen;		    /* the freezer holds it (paused) */
};

/* Parses mountinfo text (proc(5)): cgroup mounts fill m, everything else is skipped. */
int cgroup_parse_mountinfo(const char *text, size_t len, struct cgroup_mounts *m, struct kerr *err);
/* Parses /proc/<pid>/cgroup text: "ID:CONTROLLERS:PATH" lines. */
int cgroup_parse_proc(const char *text, size_t len, struct cgroup_loc *loc, struct kerr *err);
enum cgroup_version cgroup_version_of(const struct cgroup_mounts *m);
/* "none", "v1", "hybrid", "v2". */
const char *cgroup_version_name(enum cgroup_version v);

/* Readers over a mounted tree (or a fixture that looks like one). */
int cgroup_read_v1(const struct cgroup_mounts *m, const struct cgroup_loc *loc,
		   struct cgroup_stats *s, struct kerr *err);
/* dir: the container's v2 cgroup directory. */
int cgroup_read_v2(const char *dir, struct cgroup_stats *s, struct kerr *err);
/* v1 when the process has a memory cgroup on a mounted v1 memory hierarchy, else v2. */
int cgroup_read(const struct cgroup_mounts *m, const struct cgroup_loc *loc, struct cgroup_stats *s,
		struct kerr *err);

/* The memory cgroup directory cgroup_read would read: the v1 memory hierarchy's when the
 * process has one there, else its v2 cgroup (*v2 set). ENOENT when it has neither. */
int cgroup_memory_dir(const struct cgroup_mounts *m, const struct cgroup_loc *loc, char *dir,
		      size_t cap, bool *v2, struct kerr *err);
/* The same for a live process; expect as for cgroup_stats_pid. */
int cgroup_memory_dir_pid(pid_t pid, const char *expect, char *dir, size_t cap, bool *v2,
			  struct kerr *err);
/* OOM kills the kernel has counted in a memory cgroup: "oom_kill" of v1's
 * memory.oom_control or v2's memory.events. 0 when the file or the key is absent
 * (kernels before 4.13); ENOENT when the directory itself is gone. */
int cgroup_oom_kills(const char *dir, bool v2, uint64_t *n, struct kerr *err);

/* Sums /proc/<pid>/net/dev text over every interface except lo. */
int cgroup_parse_net_dev(const char *text, size_t len, uint64_t *rx, uint64_t *tx,
			 struct kerr *err);

/* The host's layout, from /proc/self/mountinfo. */
int cgroup_host_mounts(struct cgroup_mounts *m, struct kerr *err);
/* Everything for one live process: its cgroups' usage, and with net its network
 * namespace's traffic. expect (or NULL): a string its cgroup path must contain, such as
 * the container id, so a recycled pid is never mistaken for the container (ESRCH then).
 * ENOENT keeps its code when the process is gone. */
int cgroup_stats_pid(pid_t pid, const char *expect, bool net, struct cgroup_stats *s,
		     struct kerr *err);

#endif
