/*
 * record: a container record, what the user asked for (mechanism M3).
 *
 * The client turns flags into a create request (this struct as JSON, without id and
 * created); the daemon parses it strictly, validates every field, assigns id, name and
 * time, and keeps it as containers/<id>/record.json. The JSON carries "version":
 * RECORD_VERSION; unknown keys and wrong types are rejected with the key's name. Strings
 * are owned (malloc'd) and freed by record_done. Never logs. The struct and its names are
 * record.c, the checks record_validate.c, the JSON form record_json.c.
 */
#ifndef KETTLE_RECORD_H
#define KETTLE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store/ids.h"
#include "store/record_dev.h"
#include "base/kerr.h"
#include "store/restart.h"

#define RECORD_VERSION	1
#define RECORD_JSON_MAX (512u * 1024u) /* a record or request document (bytes) */
#define RECORD_LIST_MAX 1024	       /* entries in args, env, mounts, labels, caps, tmpfs */
#define RECORD_STR_MAX	4096	       /* one string value (bytes) */

#define RECORD_SHOWN_MAX    64 /* bytes of a user string quoted in a message */
#define RECORD_CAP_NAME_MAX 64 /* longest capability name we ever build, with "CAP_" */

enum record_network {
	RECORD_NET_NONE = 0,  /* a new network namespace with only loopback */
	RECORD_NET_HOST,      /* the host's network namespace */
	RECORD_NET_NS,	      /* join the namespace at netns_path */
	RECORD_NET_BRIDGE,    /* the daemon's bridge: own namespace, veth, leased address */
	RECORD_NET_CONTAINER, /* another container's namespace (net.container) */
	RECORD_NET_DEFAULT,   /* a request's "whatever the daemon's default is" */
};

/* Health checks (docker's --health-* flags): defaults for the zero values. */
#define RECORD_HEALTH_INTERVAL_MS  30000u	 /* docker: 30 s between checks */
#define RECORD_HEALTH_TIMEOUT_MS   30000u	 /* docker: 30 s before a check is killed */
#define RECORD_HEALTH_RETRIES	   3u		 /* docker: 3 failures make it unhealthy */
#define RECORD_HEALTH_DURATION_MAX (86400000ull) /* longest interval/timeout/period (1 day) */
#define RECORD_HEALTH_RETRIES_MAX  1000000u	 /* largest --health-retries */

/* podman's --health-on-failure: what the shim does once the container turns unhealthy. */
enum record_health_action {
	RECORD_HEALTH_NONE = 0, /* nothing: the status says unhealthy (docker's behaviour) */
	RECORD_HEALTH_KILL,	/* SIGKILL; the restart policy decides as after a crash */
	RECORD_HEALTH_RESTART,	/* SIGKILL, then started again through the backoff, any policy */
	RECORD_HEALTH_STOP,	/* stopped like `kettle stop`: no restart */
};
#define RECORD_HEALTH_ACTIONS ((int)RECORD_HEALTH_STOP + 1) /* values of the enum above */

/* Stopping (docker's --stop-signal, --stop-timeout): used by `kettle stop` and by the
 * shutdown of `kettle daemon` as PID 1. */
#define RECORD_STOP_SIGNAL_MAX	64		     /* highest signal number */
#define RECORD_STOP_TIMEOUT_MAX (24ll * 3600 * 1000) /* longest grace period, ms (a day) */

struct record_strv {
	char **v; /* owned array of owned strings */
	size_t n; /* entries */
};

struct record_mount {
	char *source;	   /* owned; absolute host path */
	char *destination; /* owned; absolute path in the container */
	bool readonly;	   /* ":ro" */
};

/* ---- networks (record_net.c): published ports, DNS, hosts ---- */

#define RECORD_PORTS_MAX 1024 /* published ports of one container */
#define RECORD_IP_MAX	 46   /* INET6_ADDRSTRLEN: an address as text, NUL included */

enum record_proto {
	RECORD_PROTO_TCP = 0,
	RECORD_PROTO_UDP,
};

/* -p [IP:]HOST:CONTAINER[/PROTO] */
struct record_port {
	char host_ip[RECORD_IP_MAX]; /* IPv4 the host side listens on; "" for every address */
	uint16_t host_port;	     /* 1..65535; 0 in a request: the daemon picks a free one */
	uint16_t ctr_port;	     /* 1..65535 */
	enum record_proto proto;     /* tcp or udp */
};

struct record_net {
	char *container;		/* owned; --network container:X: X's id (a request may
					 give a name or an id prefix), else NULL */
	struct record_port *ports;	/* owned array; -p, and -P's picks */
	size_t nports;			/* entries of ports */
	bool publish_all;		/* -P: every exposed port to a free host port */
	struct record_strv expose;	/* "PORT/PROTO": --expose, and the image's */
	struct record_strv dns;		/* --dns servers */
	struct record_strv dns_search;	/* --dns-search domains */
	struct record_strv dns_options; /* --dns-option options */
	struct record_strv add_hosts;	/* --add-host "NAME:IP" */
};

/*
 * A container made from an image (`kettle run IMAGE`): in a request, the reference and the
 * flags whose meaning needs the image (--entrypoint, -u, --no-healthcheck); in a record,
 * what the daemon resolved: the image id, its layers (the shim mounts them) and what of
 * the image config has no other field. record_image.c holds its JSON and checks.
 */
#define RECORD_IMAGE_ID_LEN 71 /* "sha256:" and 64 hex digits */
#define RECORD_STORAGE_MAX  15 /* bytes of a storage driver name */

struct record_image {
	char *ref;			  /* owned; the image as the user named it, NULL: none */
	char id[RECORD_IMAGE_ID_LEN + 1]; /* its id (daemon); "" in a request */
	struct record_strv layers;	  /* its layers' chain ids, bottom first (daemon) */
	char storage[RECORD_STORAGE_MAX + 1]; /* "overlay" or "vfs" (daemon); "" in a request */
	bool entrypoint_set;		      /* request: --entrypoint was given */
	struct record_strv entrypoint;	      /* request: --entrypoint ([] for "") */
	char *user;			      /* request: -u as typed, resolved in the image by
					         the daemon; NULL: none */
	bool no_healthcheck;		      /* request: --no-healthcheck */
	char *stop_signal;		      /* the image's StopSignal, or NULL (SIGTERM) */
	struct record_strv exposed_ports;     /* the image's ExposedPorts ("80/tcp") */
};

struct record {
	char id[IDS_ID_LEN + 1];       /* assigned by the daemon; "" in a request */
	char name[IDS_NAME_MAX + 1];   /* unique; generated when the request has none */
	int64_t created_ns;	       /* wall clock, ns since the epoch; 0 in a request */
	char *rootfs;		       /* owned; absolute host dir, or NULL when bundle is set */
	char *bundle;		       /* owned; absolute host dir holding config.json, or NULL */
	struct record_strv args;       /* command and arguments; empty only with a bundle */
	struct record_strv env;	       /* "KEY=VALUE" */
	char *workdir;		       /* owned; absolute container path, or NULL for "/" */
	bool user_set;		       /* -u was given */
	uint32_t uid;		       /* with user_set */
	uint32_t gid;		       /* with user_set */
	struct record_mount *mounts;   /* owned array; -v HOST:CTR[:ro] */
	size_t nmounts;		       /* entries of mounts */
	struct record_strv tmpfs;      /* container paths mounted as tmpfs */
	char *hostname;		       /* owned, or NULL (then the name's first 12 id chars) */
	enum record_network network;   /* --network */
	char *netns_path;	       /* owned; with RECORD_NET_NS */
	struct record_net net;	       /* ports, DNS and hosts (record_net.c) */
	uint64_t memory_bytes;	       /* --memory; 0 = no limit */
	uint64_t cpus_milli;	       /* --cpus in thousandths of a CPU; 0 = no limit */
	int64_t pids_limit;	       /* --pids-limit; 0 = no limit */
	bool read_only;		       /* --read-only root filesystem */
	bool privileged;	       /* --privileged */
	bool auto_remove;	       /* --rm */
	bool tty;		       /* -t: process.terminal, a pty through the console socket */
	bool stdin_open;	       /* -i: the container's stdin is a pipe the shim keeps open */
	bool init;		       /* --init: kettle's own init runs as PID 1 (--rootfs only) */
	struct record_strv cap_add;    /* canonical "CAP_X" or "ALL" */
	struct record_strv cap_drop;   /* canonical "CAP_X" or "ALL" */
	struct record_strv labels;     /* "KEY=VALUE" */
	char *runtime;		       /* owned; runtime binary path, or NULL for the daemon's */
	struct restart_spec restart;   /* --restart policy */
	uint64_t restart_delay_ms;     /* --restart-delay, ms; 0 = the daemon's default */
	uint64_t restart_max_delay_ms; /* --restart-max-delay, ms; 0 = the daemon's default */
	uint64_t restart_reset_ms;     /* --restart-reset, ms; 0 = the daemon's default */
	uint64_t log_max_size;	       /* --log-max-size, bytes per log file; 0 = the daemon's */
	uint32_t log_max_files;	       /* --log-max-files, ctr.log included; 0 = the daemon's */
	char *health_cmd;	       /* owned; --health-cmd, run as `/bin/sh -c`; NULL: none */
	uint64_t health_interval_ms;   /* --health-interval, ms; 0 = RECORD_HEALTH_INTERVAL_MS */
	uint64_t health_timeout_ms;    /* --health-timeout, ms; 0 = RECORD_HEALTH_TIMEOUT_MS */
	uint64_t health_start_period_ms; /* --health-start-period, ms; 0 = none */
	uint32_t health_retries;	 /* --health-retries; 0 = RECORD_HEALTH_RETRIES */
	enum record_health_action health_on_failure; /* --health-on-failure */

	/* --security-opt (issue 12). Records written before it have neither key: they load
	 * as the built-in profile without no-new-privileges. */
	char *seccomp;		/* owned; "builtin", "unconfined" or an absolute profile path
				 * (its copy is containers/<id>/seccomp.json); NULL: the daemon's
				 * default in a request, the built-in profile in a record */
	bool no_new_privileges; /* process.noNewPrivileges, for run and every exec */
	struct record_dev dev;	/* --device, --device-cgroup-rule, --gpus and what they resolved
				* to (record_dev.h) */
	/* --isolation host: no container at all, the command runs directly on the host
	 * through kettle's host runtime (runtime.h RUNTIME_HOST); rootfs is then "/". */
	bool isolation_host;
	int stop_signal;	   /* --stop-signal, 1..64; 0: SIGTERM */
	int64_t stop_timeout_ms;   /* --stop-timeout, ms before SIGKILL; -1: 10 s */
	struct record_image image; /* from an image; image.ref NULL: not */
};

void record_init(struct record *r);
void record_done(struct record *r);
/* Frees v's strings and array and empties it. */
void record_strv_free(struct record_strv *v);
/* Log-safe, length-bounded copy of s for a message, ending in "…" when cut; returns out. */
const char *record_shown(char out[4 * RECORD_SHOWN_MAX + 4], const char *s);

/* record_json.c. request: id, name and created may be absent. Validates every field
 * (record_validate). */
int record_json_decode(struct record *r, const char *text, size_t len, bool request,
		       struct kerr *err);
int record_json_encode(const struct record *r, struct buf *out, struct kerr *err);

/* record_validate.c. Checks all invariants above: exactly one of rootfs/bundle, absolute
 * paths without NUL or "..", env entries with '=', known capabilities, limits in range. */
int record_validate(const struct record *r, bool request, struct kerr *err);
/* --cpus against this host, as docker checks it: 0 (no limit), or 0.01 up to host_cpus
 * ("Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"). */
int record_check_cpus(uint64_t cpus_milli, long host_cpus, struct kerr *err);

/* record_net.c: the network block. */
void record_net_done(struct record_net *n);
const char *record_proto_name(enum record_proto p);
/* "tcp"/"udp" (case as given) into *p; false for anything else. */
bool record_proto_parse(const char *s, size_t n, enum record_proto *p);
/* Checks network, net.* and their combinations. */
int record_net_validate(const struct record *r, bool request, struct kerr *err);

/* record_image.c: the "image" key of the record's JSON, and its checks. */
struct json_doc;
struct json_w;
int record_image_decode(const struct json_doc *doc, int i, struct record_image *im,
			struct kerr *err);
void record_image_encode(struct json_w *w, const struct record_image *im);
int record_image_validate(const struct record *r, bool request, struct kerr *err);
void record_image_done(struct record_image *im);

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "all" -> "ALL". */
int record_canonical_cap(const char *in, char *out, size_t cap, struct kerr *err);
/* Docker's default capability set, NULL-terminated. */
extern const char *const record_default_caps[];
/* Every capability name runc knows, NULL-terminated. */
extern const char *const record_all_caps[];
/* "none", "kill", "restart", "stop" (podman's names) and back. */
const char *record_health_action_name(enum record_health_action a);
int record_health_action_parse(const char *s, enum record_health_action *a, struct kerr *err);
/* The seccomp profile a container runs with: "unconfined" when privileged, else its
 * `seccomp` ("builtin" when NULL); NULL for a --bundle (its config.json decides). */
const char *record_seccomp_effective(const struct record *r);
/* True when r's profile is a file of the user's, not "builtin" or "unconfined". */
bool record_seccomp_is_path(const struct record *r);
#define RECORD_SECCOMP_BUILTIN	  "builtin"
#define RECORD_SECCOMP_UNCONFINED "unconfined"
/* The command as ps shows it: args joined by spaces, quoted when needed, truncated. */
void record_command_line(const struct record *r, char *out, size_t cap);

#endif
