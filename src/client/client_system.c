/*
 * client_system: `info` and `version` as docker's documents, for --format (layer 3,
 * client role).
 *
 * docker's system info and version JSON (the Engine API's GET /info and /version, in the
 * order of docker's Go structs), built from the daemon's INFO reply and from this host
 * (uname, /proc/meminfo, /etc/os-release, the CPU count): the client runs on the daemon's
 * host, as `stats` relies on too. What only kettle has is under "Kettle". Reads files but
 * never the state root.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "client/client.h"
#include "store/status.h"

#define OS_RELEASE_MAX (16u * 1024u) /* bytes of /etc/os-release read */

/* Go's GOARCH for uname's machine, as docker's Arch says it. */
static const char *go_arch(const char *machine)
{
	static const struct {
		const char *uname, *go;
	} map[] = {
		{ "x86_64", "amd64" },	  { "aarch64", "arm64" }, { "i686", "386" },
		{ "i386", "386" },	  { "armv7l", "arm" },	  { "armv6l", "arm" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },	  { "riscv64", "riscv64" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].uname, machine) == 0)
			return map[i].go;
	return machine;
}

/* PRETTY_NAME of /etc/os-release, unquoted, or "". */
static void os_name(char *out, size_t cap)
{
	char text[OS_RELEASE_MAX];
	size_t len;
	struct kerr ignored;

	out[0] = '\0';
	/* /etc/os-release is usually a symbolic link to the second. */
	if (fd_read_small_file(AT_FDCWD, "/etc/os-release", text, sizeof(text), &len, &ignored) <
		    0 &&
	    fd_read_small_file(AT_FDCWD, "/usr/lib/os-release", text, sizeof(text), &len,
			       &ignored) < 0)
		return;
	text[len < sizeof(text) ? len : sizeof(text) - 1] = '\0';
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (str_has_prefix(line, "PRETTY_NAME=")) {
			char *v = line + 12;
			size_t n = strlen(v);

			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v++;
				n -= 2;
			}
			str_copyn(out, cap, v, n);
			return;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static uint64_t mem_total(void)
{
	char buf[8192];
	size_t len;
	struct kerr ignored;
	unsigned long long kb = 0;

	if (fd_read_small_file(AT_FDCWD, "/proc/meminfo", buf, sizeof(buf) - 1, &len, &ignored) < 0)
		return 0;
	buf[len] = '\0';
	const char *p = strstr(buf, "MemTotal:");
	if (!p || sscanf(p + 9, "%llu", &kb) != 1)
		return 0;
	return (uint64_t)kb * 1024;
}

/* A number member of the daemon's INFO reply, 0 when absent. */
static uint64_t info_u64(const struct json_doc *d, const char *key)
{
	int k = json_obj_get(d, 0, key);
	uint64_t v = 0;
	struct kerr ignored;

	if (k < 0 || json_get_u64(d, k, &v, &ignored) < 0)
		return 0;
	return v;
}

static void info_str(const struct json_doc *d, const char *key, char *out, size_t cap)
{
	int k = json_obj_get(d, 0, key);
	struct kerr ignored;

	out[0] = '\0';
	if (k >= 0 && d->toks[k].type == JSON_STRING)
		json_get_str(d, k, out, cap, &ignored);
}

int client_system_info_json(const struct json_doc *d, const char *runtime_version, struct buf *out,
			    struct kerr *err)
{
	char version[256], root[4096], rt[4096], rtp[4096], cg[32], os[256], stamp[64];
	struct utsname u;
	struct json_w w;
	char host[256] = "";

	info_str(d, "version", version, sizeof(version));
	info_str(d, "root", root, sizeof(root));
	info_str(d, "runtime", rt, sizeof(rt));
	info_str(d, "runtime_path", rtp, sizeof(rtp));
	info_str(d, "cgroup_version", cg, sizeof(cg));
	os_name(os, sizeof(os));
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	uint64_t running = info_u64(d, status_kind_name(STATUS_RUNNING));
	uint64_t paused = info_u64(d, status_kind_name(STATUS_PAUSED));
	uint64_t restarting = info_u64(d, status_kind_name(STATUS_RESTARTING));
	uint64_t total = info_u64(d, "containers");
	/* docker counts a container waiting for its restart as running. */
	uint64_t up = running + restarting;
	clock_format_rfc3339nano(clock_wall_ns(), stamp);

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "ID");
	json_w_str(&w, "");
	json_w_key(&w, "Containers");
	json_w_u64(&w, total);
	json_w_key(&w, "ContainersRunning");
	json_w_u64(&w, up);
	json_w_key(&w, "ContainersPaused");
	json_w_u64(&w, paused);
	json_w_key(&w, "ContainersStopped");
	json_w_u64(&w, total > up + paused ? total - up - paused : 0);
	json_w_key(&w, "Images");
	json_w_u64(&w, 0);
	json_w_key(&w, "Driver");
	json_w_str(&w, "");
	json_w_key(&w, "SystemTime");
	json_w_str(&w, stamp);
	json_w_key(&w, "LoggingDriver");
	json_w_str(&w, "k8s-file");
	json_w_key(&w, "CgroupDriver");
	json_w_str(&w, "cgroupfs");
	/* docker says 1 for a hybrid host: its controllers are v1. */
	json_w_key(&w, "CgroupVersion");
	json_w_str(&w, strcmp(cg, "v2") == 0 ? "2" : strcmp(cg, "none") == 0 ? "" : "1");
	json_w_key(&w, "KernelVersion");
	json_w_str(&w, u.release);
	json_w_key(&w, "OperatingSystem");
	json_w_str(&w, os);
	json_w_key(&w, "OSType");
	json_w_str(&w, "linux");
	json_w_key(&w, "Architecture");
	json_w_str(&w, u.machine);
	json_w_key(&w, "NCPU");
	json_w_i64(&w, sysconf(_SC_NPROCESSORS_ONLN));
	json_w_key(&w, "MemTotal");
	json_w_u64(&w, mem_total());
	json_w_key(&w, "DockerRootDir");
	json_w_str(&w, root);
	json_w_key(&w, "Name");
	json_w_str(&w, host);
	json_w_key(&w, "Labels");
	json_w_arr_begin(&w);
	json_w_arr_end(&w);
	json_w_key(&w, "ServerVersion");
	json_w_str(&w, version);
	json_w_key(&w, "Runtimes");
	json_w_obj_begin(&w);
	json_w_key(&w, rt);
	json_w_obj_begin(&w);
	json_w_key(&w, "path");
	json_w_str(&w, rtp[0] ? rtp : rt);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	json_w_key(&w, "DefaultRuntime");
	json_w_str(&w, rt);
	/* Containers outlive the daemon: docker's live-restore, always on. */
	json_w_key(&w, "LiveRestoreEnabled");
	json_w_bool(&w, true);
	json_w_key(&w, "Kettle");
	json_w_obj_begin(&w);
	json_w_key(&w, "Pid");
	json_w_u64(&w, info_u64(d, "pid"));
	json_w_key(&w, "CgroupLayout");
	json_w_str(&w, cg);
	json_w_key(&w, "RuntimeVersion");
	json_w_str(&w, runtime_version);
	for (int k = 0; k <= STATUS_DEAD; k++) {
		char key[32];
		const char *name = status_kind_name((enum status_kind)k);

		/* "Created", "Running", … */
		str_copy(key, sizeof(key), name);
		key[0] = (char)(key[0] - 'a' + 'A');
		json_w_key(&w, key);
		json_w_u64(&w, info_u64(d, name));
	}
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

int client_system_version_json(const char *daemon_version, struct buf *out, struct kerr *err)
{
	struct utsname u;
	struct json_w w;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "Client");
	json_w_obj_begin(&w);
	json_w_key(&w, "Platform");
	json_w_obj_begin(&w);
	json_w_key(&w, "Name");
	json_w_str(&w, "kettle");
	json_w_obj_end(&w);
	json_w_key(&w, "Version");
	json_w_str(&w, KETTLE_VERSION);
	json_w_key(&w, "Os");
	json_w_str(&w, "linux");
	json_w_key(&w, "Arch");
	json_w_str(&w, go_arch(u.machine));
	json_w_obj_end(&w);
	json_w_key(&w, "Server");
	if (!daemon_version) {
		json_w_null(&w);
	} else {
		json_w_obj_begin(&w);
		json_w_key(&w, "Platform");
		json_w_obj_begin(&w);
		json_w_key(&w, "Name");
		json_w_str(&w, "kettle");
		json_w_obj_end(&w);
		json_w_key(&w, "Version");
		json_w_str(&w, daemon_version);
		json_w_key(&w, "Os");
		json_w_str(&w, "linux");
		json_w_key(&w, "Arch");
		json_w_str(&w, go_arch(u.machine));
		json_w_key(&w, "KernelVersion");
		json_w_str(&w, u.release);
		json_w_obj_end(&w);
	}
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}
