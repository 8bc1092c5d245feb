/*
 * spec: the OCI runtime spec (config.json) of a container (mechanism M3).
 *
 * spec_generate turns a validated --rootfs record into an OCI 1.0.2 config.json shaped
 * like docker's defaults (runtime-spec config.md and config-linux.md; moby's
 * oci/defaults.go for the values); spec_check_bundle is the strict gate in front of a
 * user's own --bundle. Invariants: all output goes through json_w, so every string is
 * escaped; no rlimit ever exceeds the host's hard limit (runc would fail the create);
 * a bundle's config.json is opened without following a symlink, without blocking on a
 * FIFO, and read only up to SPEC_CONFIG_MAX. Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <stdio.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "runtime/spec.h"
#include "runtime/spec_dev.h"
#include "base/str.h"
#include "seccomp/seccomp_default.h"
#include "seccomp/seccomp_filter.h"
#include "seccomp/seccomp_lib.h"
#include "seccomp/seccomp_spec.h"

#define OCI_VERSION   "1.0.2"
#define DEFAULT_PATH  SPEC_DEFAULT_PATH
#define NOFILE_MAX    1048576 /* docker's RLIMIT_NOFILE for containers */
#define CPU_PERIOD_US 100000  /* CFS period docker uses for --cpus (us) */
#define SHOWN_MAX     200     /* bytes of a bundle path quoted in a message */

/* Shared by every non-privileged container (moby oci/defaults.go). */
static const char *const masked_paths[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* Character devices a container may use: the nodes runc creates plus the terminals. */
static const struct {
	const char *what; /* device, for the reader of this table */
	int major;	  /* device major number */
	int minor;	  /* device minor number; -1 = any */
} allowed_devices[] = {
	{ "null", 1, 3 },    { "zero", 1, 5 },	  { "full", 1, 7 },
	{ "random", 1, 8 },  { "urandom", 1, 9 }, { "tty", 5, 0 },
	{ "console", 5, 1 }, { "ptmx", 5, 2 },	  { "pts/*", 136, -1 },
};

#define NCAPS 41 /* entries of record_all_caps */
_Static_assert(NCAPS <= 64, "capability set must fit a uint64_t");

static int cap_index(const char *name)
{
	for (int i = 0; record_all_caps[i]; i++)
		if (strcmp(record_all_caps[i], name) == 0)
			return i;
	return -1;
}

/* Bits of names (indices into record_all_caps); "ALL" sets *all instead. */
static uint64_t cap_bits(const char *const *names, size_t n, bool *all)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++) {
		int k = cap_index(names[i]);

		if (strcmp(names[i], "ALL") == 0)
			*all = true;
		else if (k >= 0)
			bits |= 1ull << k;
	}
	return bits;
}

/*
 * "Every capability": those in this process's bounding set. runc cannot grant a container
 * a capability its own bounding set lacks ("unable to apply caps: operation not
 * permitted"), and PR_CAPBSET_READ fails with EINVAL for one the kernel does not know, so
 * --privileged works on older kernels and in restricted hosts alike. The daemon, the shim
 * and runc descend from one another, so they share this set.
 */
static uint64_t every_cap(void)
{
	uint64_t every = 0;

	for (int i = 0; i < NCAPS; i++)
		if (prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1)
			every |= 1ull << i;
	return every;
}

/*
 * The container's capability set, as docker computes it (moby oci/caps TweakCapabilities):
 * privileged gets everything; --cap-add ALL gets everything but the drops; --cap-drop ALL
 * gets only the adds; otherwise the default set minus the drops plus the adds (an add
 * wins over a drop of the same capability). Explicit names are passed on as asked, so a
 * capability the host cannot grant fails the create with runc's message.
 */
static uint64_t cap_set(const struct record *r)
{
	uint64_t every = r->privileged || r->cap_add.n > 0 ? every_cap() : 0;
	bool add_all = false, drop_all = false, unused = false;
	uint64_t add = cap_bits((const char *const *)r->cap_add.v, r->cap_add.n, &add_all);
	uint64_t drop = cap_bits((const char *const *)r->cap_drop.v, r->cap_drop.n, &drop_all);
	size_t ndefault = 0;

	while (record_default_caps[ndefault])
		ndefault++;
	uint64_t base = cap_bits(record_default_caps, ndefault, &unused);

	if (r->privileged)
		return every;
	if (add_all)
		return every & ~drop;
	if (drop_all)
		return add;
	return (base & ~drop) | add;
}

static void w_caps(struct json_w *w, const char *key, uint64_t set)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (int i = 0; i < NCAPS; i++)
		if (set & (1ull << i))
			json_w_str(w, record_all_caps[i]);
	json_w_arr_end(w);
}

static void w_list(struct json_w *w, const char *key, const char *const *v)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (; *v; v++)
		json_w_str(w, *v);
	json_w_arr_end(w);
}

static void w_mount(struct json_w *w, const char *dest, const char *type, const char *source,
		    const char *const *opts)
{
	json_w_obj_begin(w);
	json_w_key(w, "destination");
	json_w_str(w, dest);
	json_w_key(w, "type");
	json_w_str(w, type);
	json_w_key(w, "source");
	json_w_str(w, source);
	if (opts)
		w_list(w, "options", opts);
	json_w_obj_end(w);
}

/* Length of the key of "KEY=VALUE" (the whole string when it has no '='). */
static size_t env_key_len(const char *e)
{
	return strcspn(e, "=");
}

static bool env_same_key(const char *a, const char *b)
{
	size_t n = env_key_len(a);

	return n == env_key_len(b) && memcmp(a, b, n) == 0;
}

static bool env_has(const char *const *env, size_t n, const char *key_eq)
{
	for (size_t i = 0; i < n; i++)
		if (env_same_key(env[i], key_eq))
			return true;
	return false;
}

/*
 * PATH first unless set, then the record's entries, the devices' (CDI appends them) and
 * an exec's own (extra), a key given twice keeping its last value, as docker does; then
 * HOME unless set: /root for uid 0, else / (kettle does not read the container's
 * /etc/passwd).
 */
static void w_env(struct json_w *w, const struct record *r, char *const *extra, size_t nextra,
		  uint32_t uid)
{
	/* Borrowed pointers; each list is at most RECORD_LIST_MAX (record_validate, exec). */
	const char *all[3 * RECORD_LIST_MAX];
	size_t n = 0;

	for (size_t i = 0; i < r->env.n && n < RECORD_LIST_MAX; i++)
		all[n++] = r->env.v[i];
	n = spec_dev_env(r, all, n, 2 * RECORD_LIST_MAX);
	for (size_t i = 0; i < nextra && i < RECORD_LIST_MAX; i++)
		all[n++] = extra[i];
	json_w_key(w, "env");
	json_w_arr_begin(w);
	if (!env_has(all, n, "PATH="))
		json_w_str(w, DEFAULT_PATH);
	for (size_t i = 0; i < n; i++) {
		bool later = false;

		for (size_t j = i + 1; j < n && !later; j++)
			later = env_same_key(all[i], all[j]);
		if (!later)
			json_w_str(w, all[i]);
	}
	if (!env_has(all, n, "HOME="))
		json_w_str(w, uid == 0 ? "HOME=/root" : "HOME=/");
	json_w_arr_end(w);
}

/*
 * min(NOFILE_MAX, the host's hard limit): raising a hard limit needs CAP_SYS_RESOURCE in
 * the initial namespace, which a rootless or constrained runc lacks, and then the create
 * fails. Should getrlimit(2) ever fail, 1024 (the kernel's default) is safe everywhere.
 */
static uint64_t nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_max == RLIM_INFINITY)
		return NOFILE_MAX;
	return rl.rlim_max < NOFILE_MAX ? (uint64_t)rl.rlim_max : NOFILE_MAX;
}

/* The process object: config.json's "process", or an exec's whole process.json (extra:
 * the exec's own variables, applied last). */
static void w_process_obj(struct json_w *w, const struct record *r, char *const *extra,
			  size_t nextra)
{
	uint32_t uid = r->user_set ? r->uid : 0, gid = r->user_set ? r->gid : 0;
	uint64_t caps = cap_set(r);
	uint64_t nofile = nofile_limit();

	json_w_obj_begin(w);
	json_w_key(w, "terminal");
	json_w_bool(w, r->tty);
	json_w_key(w, "user");
	json_w_obj_begin(w);
	json_w_key(w, "uid");
	json_w_u64(w, uid);
	json_w_key(w, "gid");
	json_w_u64(w, gid);
	spec_dev_gids(w, r);
	json_w_obj_end(w);
	json_w_key(w, "args");
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->args.n; i++)
		json_w_str(w, r->args.v[i]);
	json_w_arr_end(w);
	w_env(w, r, extra, nextra, uid);
	json_w_key(w, "cwd");
	json_w_str(w, r->workdir ? r->workdir : "/");
	/*
	 * Inheritable and ambient stay absent (empty), as docker does since 20.10: with them
	 * set, a non-root process could exec into the full set (CVE-2022-24769).
	 */
	json_w_key(w, "capabilities");
	json_w_obj_begin(w);
	w_caps(w, "bounding", caps);
	w_caps(w, "effective", caps);
	w_caps(w, "permitted", caps);
	json_w_obj_end(w);
	json_w_key(w, "rlimits");
	json_w_arr_begin(w);
	json_w_obj_begin(w);
	json_w_key(w, "type");
	json_w_str(w, "RLIMIT_NOFILE");
	json_w_key(w, "hard");
	json_w_u64(w, nofile);
	json_w_key(w, "soft");
	json_w_u64(w, nofile);
	json_w_obj_end(w);
	json_w_arr_end(w);
	json_w_key(w, "noNewPrivileges");
	json_w_bool(w, r->no_new_privileges);
	/*
	 * Explicit 0: the container would otherwise inherit the oom_score_adj of whoever runs
	 * runc, and the shim sets -999 on itself so the OOM killer spares it.
	 */
	json_w_key(w, "oomScoreAdj");
	json_w_i64(w, 0);
	json_w_obj_end(w);
}

static void w_process(struct json_w *w, const struct record *r)
{
	/* --init: [SPEC_INIT_PATH, "--", args...], in config.json only (an exec runs its own
	 * command). Borrowed pointers; args.n <= RECORD_LIST_MAX (record_validate). */
	char *argv[RECORD_LIST_MAX + 2];
	struct record t = *r;

	if (r->init && r->args.n <= RECORD_LIST_MAX) {
		argv[0] = (char *)SPEC_INIT_PATH;
		argv[1] = (char *)"--";
		for (size_t i = 0; i < r->args.n; i++)
			argv[i + 2] = r->args.v[i];
		t.args = (struct record_strv){ .v = argv, .n = r->args.n + 2 };
	}
	json_w_key(w, "process");
	w_process_obj(w, &t, NULL, 0);
}

/* A mount the user asked for, by where it is in the record (8 bytes: there may be
 * 3 * RECORD_LIST_MAX of them on the stack). */
struct user_mount {
	uint16_t depth; /* components of its container path */
	uint8_t kind;	/* 0 --tmpfs, 1 -v, 2 a device's */
	uint16_t group; /* kind 2: index in r->dev.groups */
	uint16_t index; /* index in its list */
};

static size_t path_depth(const char *p)
{
	size_t n = 0;

	for (p += strspn(p, "/"); *p; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/");

		n += !(len == 1 && p[0] == '.');
		p += len;
	}
	return n;
}

/*
 * --tmpfs, -v and the devices' mounts, after the system ones, ordered by depth (a stable
 * sort, so equal depths keep that order): a mount on /a/b given before one on /a would be
 * hidden by it, as docker and CDI order them. Each list has at most RECORD_LIST_MAX
 * entries (record_validate, record_dev_validate), so the indices fit 16 bits.
 */
static void w_user_mounts(struct json_w *w, const struct record *r)
{
	/* docker's --tmpfs defaults. */
	static const char *const tmpfs_opts[] = { "rw", "noexec", "nosuid", "nodev", NULL };
	static const char *const bind_rw[] = { "rbind", "rprivate", NULL };
	static const char *const bind_ro[] = { "rbind", "rprivate", "ro", NULL };
	struct user_mount m[3 * RECORD_LIST_MAX];
	size_t n = 0;

	for (size_t i = 0; i < r->tmpfs.n && i < RECORD_LIST_MAX; i++)
		m[n++] = (struct user_mount){ path_depth(r->tmpfs.v[i]), 0, 0, i };
	for (size_t i = 0; i < r->nmounts && i < RECORD_LIST_MAX; i++)
		m[n++] = (struct user_mount){ path_depth(r->mounts[i].destination), 1, 0, i };
	for (size_t g = 0, k = 0; g < r->dev.ngroups && g <= UINT16_MAX; g++)
		for (size_t i = 0; i < r->dev.groups[g].edits.nmounts && k < RECORD_LIST_MAX;
		     i++, k++)
			m[n++] = (struct user_mount){
				path_depth(r->dev.groups[g].edits.mounts[i].container_path), 2, g, i
			};
	/* Insertion sort: stable, and short lists in practice. */
	for (size_t i = 1; i < n; i++) {
		struct user_mount t = m[i];
		size_t j = i;

		for (; j > 0 && m[j - 1].depth > t.depth; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		const struct record_dev_mount *dm;
		const struct record_mount *v;

		if (m[i].kind == 0) {
			w_mount(w, r->tmpfs.v[m[i].index], "tmpfs", "tmpfs", tmpfs_opts);
		} else if (m[i].kind == 1) {
			v = &r->mounts[m[i].index];
			w_mount(w, v->destination, "bind", v->source,
				v->readonly ? bind_ro : bind_rw);
		} else {
			/* No type: a bind mount (record_dev_validate checked the options say
			 * so); CDI's spec calls the type a dummy then. */
			dm = &r->dev.groups[m[i].group].edits.mounts[m[i].index];
			w_mount(w, dm->container_path, dm->type ? dm->type : "bind", dm->host_path,
				(const char *const *)dm->options);
		}
	}
}

static void w_mounts(struct json_w *w, const struct record *r)
{
	static const char *const proc_opts[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k",
						NULL };
	static const char *const pts_opts[] = {
		"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL
	};
	static const char *const shm_opts[] = { "nosuid",    "noexec",	    "nodev",
						"mode=1777", "size=65536k", NULL };
	static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys_ro[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cgroup_ro[] = {
		"nosuid", "noexec", "nodev", "relatime", "ro", NULL
	};
	/* docker --privileged: /sys and /sys/fs/cgroup stay writable. */
	static const char *const sys_rw[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const cgroup_rw[] = { "nosuid", "noexec", "nodev", "relatime", NULL };
	static const char *const init_ro[] = { "bind", "rprivate", "ro", "nosuid", "nodev", NULL };

	json_w_key(w, "mounts");
	json_w_arr_begin(w);
	w_mount(w, "/proc", "proc", "proc", proc_opts);
	w_mount(w, "/dev", "tmpfs", "tmpfs", dev_opts);
	w_mount(w, "/dev/pts", "devpts", "devpts", pts_opts);
	w_mount(w, "/dev/shm", "tmpfs", "shm", shm_opts);
	w_mount(w, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts);
	w_mount(w, "/sys", "sysfs", "sysfs", r->privileged ? sys_rw : sys_ro);
	w_mount(w, "/sys/fs/cgroup", "cgroup", "cgroup", r->privileged ? cgroup_rw : cgroup_ro);
	w_user_mounts(w, r);
	/* --init: the per-container copy, read-only (runc CVE-2019-5736), after /dev. */
	if (r->init)
		w_mount(w, SPEC_INIT_PATH, "bind", SPEC_INIT_SOURCE, init_ro);
	json_w_arr_end(w);
}

static void w_namespace(struct json_w *w, const char *type, const char *path)
{
	json_w_obj_begin(w);
	json_w_key(w, "type");
	json_w_str(w, type);
	if (path) {
		json_w_key(w, "path");
		json_w_str(w, path);
	}
	json_w_obj_end(w);
}

static void w_device(struct json_w *w, bool allow, const char *type, int major, int minor)
{
	json_w_obj_begin(w);
	json_w_key(w, "allow");
	json_w_bool(w, allow);
	if (type) {
		json_w_key(w, "type");
		json_w_str(w, type);
	}
	/* An absent major or minor is a wildcard (config-linux.md, "Device allowlist"). */
	if (major >= 0) {
		json_w_key(w, "major");
		json_w_i64(w, major);
	}
	if (minor >= 0) {
		json_w_key(w, "minor");
		json_w_i64(w, minor);
	}
	json_w_key(w, "access");
	json_w_str(w, "rwm");
	json_w_obj_end(w);
}

static void w_resources(struct json_w *w, const struct record *r)
{
	json_w_key(w, "resources");
	json_w_obj_begin(w);
	json_w_key(w, "devices");
	json_w_arr_begin(w);
	if (r->privileged) {
		w_device(w, true, NULL, -1, -1);
	} else {
		w_device(w, false, NULL, -1, -1);
		for (size_t i = 0; i < sizeof(allowed_devices) / sizeof(allowed_devices[0]); i++)
			w_device(w, true, "c", allowed_devices[i].major, allowed_devices[i].minor);
	}
	spec_dev_rules(w, r);
	json_w_arr_end(w);
	if (r->memory_bytes > 0) {
		/*
		 * OCI's swap is memory+swap, like docker's --memory-swap; docker's default when
		 * only --memory is given is twice the memory (as much swap as memory).
		 * record_validate keeps memory <= INT64_MAX; saturate the doubling.
		 */
		uint64_t swap = r->memory_bytes > (uint64_t)INT64_MAX / 2 ? (uint64_t)INT64_MAX
									  : 2 * r->memory_bytes;

		json_w_key(w, "memory");
		json_w_obj_begin(w);
		json_w_key(w, "limit");
		json_w_u64(w, r->memory_bytes);
		json_w_key(w, "swap");
		json_w_u64(w, swap);
		json_w_obj_end(w);
	}
	if (r->cpus_milli > 0) {
		/* --cpus 1.5 = 150000us of CPU time per 100000us period. */
		json_w_key(w, "cpu");
		json_w_obj_begin(w);
		json_w_key(w, "quota");
		json_w_i64(w, (int64_t)(r->cpus_milli * (CPU_PERIOD_US / 1000)));
		json_w_key(w, "period");
		json_w_u64(w, CPU_PERIOD_US);
		json_w_obj_end(w);
	}
	if (r->pids_limit > 0) {
		/* -1 and 0 both mean unlimited: no pids section at all. */
		json_w_key(w, "pids");
		json_w_obj_begin(w);
		json_w_key(w, "limit");
		json_w_i64(w, r->pids_limit);
		json_w_obj_end(w);
	}
	json_w_obj_end(w);
}

/*
 * docker masks every CPU's thermal_throttle directory too (its counters are the host's).
 * The container's /sys is a fresh sysfs of the same devices, so the host's list is its
 * list; runc needs each path to exist, so only those that do are named, in CPU order.
 */
static void w_thermal_throttle(struct json_w *w)
{
	static const char cpu_dir[] = "/sys/devices/system/cpu";
	char path[sizeof(cpu_dir) + 64];
	int dfd = open(cpu_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	unsigned long have[4096 / (8 * sizeof(unsigned long))] = { 0 };
	const unsigned ncpu = 8 * sizeof(have);

	if (!d) {
		fd_close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		char *end;
		unsigned long n;

		if (strncmp(e->d_name, "cpu", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9')
			continue;
		n = strtoul(e->d_name + 3, &end, 10);
		if (*end || n >= ncpu)
			continue;
		snprintf(path, sizeof(path), "%s/cpu%lu/thermal_throttle", cpu_dir, n);
		if (access(path, F_OK) == 0)
			have[n / (8 * sizeof(long))] |= 1ul << (n % (8 * sizeof(long)));
	}
	closedir(d);
	for (unsigned n = 0; n < ncpu; n++)
		if (have[n / (8 * sizeof(long))] & (1ul << (n % (8 * sizeof(long))))) {
			snprintf(path, sizeof(path), "%s/cpu%u/thermal_throttle", cpu_dir, n);
			json_w_str(w, path);
		}
}

int spec_seccomp_filter(const struct record *r, const struct seccomp_profile *profile,
			struct seccomp_filter *f, struct kerr *err)
{
	*f = (struct seccomp_filter){ 0 };
	/* None at all when privileged or unconfined, as docker does. */
	if (strcmp(record_seccomp_effective(r), RECORD_SECCOMP_UNCONFINED) == 0)
		return 0;
	if (!record_seccomp_is_path(r))
		profile = seccomp_default_profile();
	else if (!profile)
		return kerr_set(err, 0, "seccomp profile `%s` was not loaded", r->seccomp);
	/* The bounding set decides the capability-gated rules, as in docker. */
	return seccomp_filter_make(f, profile, cap_set(r), seccomp_lib_native(),
				   seccomp_filter_kernel_now(), err);
}

/* linux.seccomp: the container's profile made concrete (src/seccomp). */
static int w_seccomp(struct json_w *w, const struct record *r,
		     const struct seccomp_profile *profile, struct kerr *err)
{
	struct seccomp_filter f;
	int rc = spec_seccomp_filter(r, profile, &f, err);

	if (rc == 0 && f.profile)
		seccomp_spec_write(w, &f);
	seccomp_filter_done(&f);
	return rc;
}

static int w_linux(struct json_w *w, const struct record *r, const char *cgroups_path,
		   const struct seccomp_profile *profile, struct kerr *err)
{
	json_w_key(w, "linux");
	json_w_obj_begin(w);
	json_w_key(w, "namespaces");
	json_w_arr_begin(w);
	w_namespace(w, "pid", NULL);
	w_namespace(w, "ipc", NULL);
	w_namespace(w, "uts", NULL);
	w_namespace(w, "mount", NULL);
	if (r->network == RECORD_NET_NONE)
		w_namespace(w, "network", NULL);
	else if (r->network == RECORD_NET_NS)
		w_namespace(w, "network", r->netns_path);
	json_w_arr_end(w);
	spec_dev_nodes(w, r);
	if (cgroups_path) {
		json_w_key(w, "cgroupsPath");
		json_w_str(w, cgroups_path);
	}
	w_resources(w, r);
	if (!r->privileged) {
		json_w_key(w, "maskedPaths");
		json_w_arr_begin(w);
		for (size_t i = 0; masked_paths[i]; i++)
			json_w_str(w, masked_paths[i]);
		w_thermal_throttle(w);
		json_w_arr_end(w);
		w_list(w, "readonlyPaths", readonly_paths);
	}
	if (w_seccomp(w, r, profile, err) < 0)
		return -1;
	json_w_obj_end(w);
	return 0;
}

int spec_generate(const struct record *r, const char *cgroups_path,
		  const struct seccomp_profile *profile, struct buf *out, struct kerr *err)
{
	struct json_w w;

	if (!r->rootfs)
		return kerr_set(err, 0, "generate config.json: the record has no --rootfs");
	if (record_validate(r, true, err) < 0)
		return kerr_wrap(err, "generate config.json");
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_str(&w, OCI_VERSION);
	w_process(&w, r);
	json_w_key(&w, "root");
	json_w_obj_begin(&w);
	json_w_key(&w, "path");
	json_w_str(&w, r->rootfs);
	json_w_key(&w, "readonly");
	json_w_bool(&w, r->read_only);
	json_w_obj_end(&w);
	if (r->hostname || r->id[0]) {
		json_w_key(&w, "hostname");
		if (r->hostname)
			json_w_str(&w, r->hostname);
		else
			json_w_strn(&w, r->id, strnlen(r->id, IDS_SHORT_LEN));
	}
	w_mounts(&w, r);
	spec_dev_hooks(&w, r);
	if (w_linux(&w, r, cgroups_path, profile, err) < 0)
		return kerr_wrap(err, "generate config.json");
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "generate config.json");
	return 0;
}

/* ---- --bundle ---- */

/* Value of key in obj, which must exist and be of type t. */
static int need(const struct json_doc *d, int obj, const char *key, enum json_type t,
		struct kerr *err)
{
	int v = json_obj_get(d, obj, key);

	if (v < 0)
		return kerr_set(err, 0, "`%s` is missing, expected %s", key, json_type_name(t));
	if (d->toks[v].type != t)
		return kerr_set(err, 0, "`%s` is %s, expected %s", key,
				json_type_name(d->toks[v].type), json_type_name(t));
	return v;
}

/* Checks the parsed document; fills args (fresh, owned) when asked. */
static int check_doc(const struct json_doc *d, struct record_strv *args, struct kerr *err)
{
	int proc, argv, root, k;

	if (d->toks[0].type != JSON_OBJECT)
		return kerr_set(err, 0, "the document is %s, expected an object",
				json_type_name(d->toks[0].type));
	if (need(d, 0, "ociVersion", JSON_STRING, err) < 0)
		return -1;
	root = need(d, 0, "root", JSON_OBJECT, err);
	if (root < 0)
		return -1;
	if (need(d, root, "path", JSON_STRING, err) < 0)
		return kerr_wrap(err, "root");
	proc = need(d, 0, "process", JSON_OBJECT, err);
	if (proc < 0)
		return -1;
	argv = need(d, proc, "args", JSON_ARRAY, err);
	if (argv < 0)
		return kerr_wrap(err, "process");
	if (d->toks[argv].size == 0)
		return kerr_set(err, 0, "process: `args` is empty, expected the command to run");
	if (args && d->toks[argv].size > RECORD_LIST_MAX)
		return kerr_set(err, 0, "process: `args` has %d entries, exceeds limit %d",
				d->toks[argv].size, RECORD_LIST_MAX);
	if (args) {
		args->v = calloc((size_t)d->toks[argv].size + 1, sizeof(*args->v));
		if (!args->v)
			return kerr_set(err, ENOMEM, "process: args");
	}
	k = argv + 1;
	for (int e = 0; e < d->toks[argv].size; e++) {
		const struct json_tok *t = &d->toks[k];
		size_t raw = (size_t)(t->end - t->start);

		if (t->type != JSON_STRING)
			return kerr_set(err, 0, "process: `args[%d]` is %s, expected a string", e,
					json_type_name(t->type));
		if (args) {
			char *s = malloc(raw + 1);

			if (!s)
				return kerr_set(err, ENOMEM, "process: args");
			args->v[args->n++] = s;
			if (json_get_str(d, k, s, raw + 1, err) < 0)
				return kerr_wrap(err, "process: `args[%d]`", e);
			if (strlen(s) > RECORD_STR_MAX)
				return kerr_set(err, 0,
						"process: `args[%d]` of %zu bytes exceeds limit %u",
						e, strlen(s), RECORD_STR_MAX);
		}
		k = json_skip(d, k);
	}
	return 0;
}

static void strv_clear(struct record_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct record_strv){ 0 };
}

/* Appends src's strings to dst (taking them); src is left empty. */
static int strv_move(struct record_strv *dst, struct record_strv *src, struct kerr *err)
{
	char **v = realloc(dst->v, (dst->n + src->n + 1) * sizeof(*v));

	if (!v)
		return kerr_set(err, ENOMEM, "append process args");
	memcpy(v + dst->n, src->v, src->n * sizeof(*v));
	dst->v = v;
	dst->n += src->n;
	dst->v[dst->n] = NULL;
	free(src->v);
	*src = (struct record_strv){ 0 };
	return 0;
}

/* Opens, checks and reads config.json; *text is owned by the caller. */
static int read_config(int dirfd, char **text, size_t *len, struct kerr *err)
{
	/* O_NONBLOCK: a FIFO named config.json must not hang the daemon in open(2). */
	_cleanup_close_ int fd = openat(dirfd, SPEC_CONFIG,
					O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got;

	if (fd < 0 && errno == ENOENT)
		return kerr_set(err, 0, "not found, expected the bundle's OCI config file");
	if (fd < 0 && errno == ELOOP)
		return kerr_set(err, 0, "is a symbolic link, expected a regular file");
	if (fd < 0)
		return kerr_set(err, errno, "open");
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "fstat");
	if (S_ISDIR(st.st_mode))
		return kerr_set(err, 0, "is a directory, expected a regular file");
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "is not a regular file, expected one");
	if ((uint64_t)st.st_size > SPEC_CONFIG_MAX)
		return kerr_set(err, 0, "is %lld bytes, exceeds limit %u", (long long)st.st_size,
				SPEC_CONFIG_MAX);
	/* One byte more than allowed, to notice a file that grew since fstat. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return kerr_set(err, ENOMEM, "read");
	if (fd_read_full(fd, buf, (size_t)st.st_size + 1, &got, err) < 0)
		return kerr_wrap(err, "read");
	if (got > (size_t)st.st_size)
		return kerr_set(err, 0, "changed while it was read, expected a stable file");
	*len = got;
	*text = take_ptr(&buf);
	return 0;
}

int spec_check_bundle(const char *bundle, struct record_strv *args, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	size_t n = strlen(bundle);
	_cleanup_free_ char *text = NULL;
	struct record_strv got = { 0 };
	struct json_doc doc;
	size_t len = 0, ntoks;
	int rc;

	str_sanitize(q, sizeof(q), bundle, n > SHOWN_MAX ? SHOWN_MAX : n);
	_cleanup_close_ int dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return kerr_set(err, errno, "bundle `%s`: open directory", q);
	if (read_config(dirfd, &text, &len, err) < 0)
		return kerr_wrap(err, "bundle `%s`: " SPEC_CONFIG, q);
	/* Every token but the first takes at least two bytes of text. */
	ntoks = len / 2 + 2 < JSON_TOKENS_MAX ? len / 2 + 2 : JSON_TOKENS_MAX;
	_cleanup_free_ struct json_tok *toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "bundle `%s`: " SPEC_CONFIG ": parse", q);
	rc = json_parse(&doc, text, len, toks, (int)ntoks, err);
	if (rc == 0)
		rc = check_doc(&doc, args ? &got : NULL, err);
	if (rc == 0 && args)
		rc = strv_move(args, &got, err);
	strv_clear(&got);
	if (rc < 0)
		return kerr_wrap(err, "bundle `%s`: " SPEC_CONFIG, q);
	return 0;
}

int spec_exec_process(const struct record *r, const struct spec_exec *x, struct buf *out,
		      struct kerr *err)
{
	struct record t = *r;
	struct json_w w;

	if (x->nargs == 0)
		return kerr_set(err, 0, "exec: no command given");
	if (x->nenv > RECORD_LIST_MAX || x->nargs > RECORD_LIST_MAX)
		return kerr_set(err, 0, "exec: more than %d arguments or variables",
				RECORD_LIST_MAX);
	/* Borrowed pointers only: t is never done, the record keeps its strings. The
	 * exec's variables apply last, after the record's and the devices' (w_env). */
	for (size_t i = 0; i < x->nenv; i++)
		if (!strchr(x->env[i], '=') || x->env[i][0] == '=')
			return kerr_set(err, 0, "exec: variable `%s` is not KEY=VALUE", x->env[i]);
	t.args = (struct record_strv){ .v = (char **)x->args, .n = x->nargs };
	if (x->cwd) {
		if (x->cwd[0] != '/')
			return kerr_set(err, 0,
					"exec: working directory `%s` is not absolute, expected "
					"one starting with /",
					x->cwd);
		t.workdir = (char *)x->cwd;
	}
	if (x->user_set) {
		t.user_set = true;
		t.uid = x->uid;
		t.gid = x->gid;
	}
	t.tty = x->tty;
	json_w_init(&w, out);
	w_process_obj(&w, &t, x->env, x->nenv);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "exec process");
	return 0;
}
