/*
 * record_dev: the devices of a container record (mechanism M3): what was asked for
 * (`--device`, `--device-cgroup-rule`, `--gpus`) and what each request resolved to, as
 * container edits in CDI's own vocabulary (env, device nodes, mounts, hooks, additional
 * gids). The client fills the requests; the daemon resolves them at create time (host nodes
 * stat'ed, CDI specs read) and stores the result, so config.json is always derived from the
 * record alone. record_dev.c holds the struct's lifecycle, the flag syntaxes and the checks,
 * record_dev_json.c the JSON form, whose container-edits decoder the CDI spec reader shares.
 * Strings are owned and freed by record_dev_done. Never logs, never touches the filesystem.
 */
#ifndef KETTLE_RECORD_DEV_H
#define KETTLE_RECORD_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/json.h"
#include "base/json_w.h"
#include "base/kerr.h"

struct record;
struct record_strv;

#define RECORD_DEV_NAME_MAX	    512 /* bytes of a CDI device name "vendor/class=name" */
/*
 * What all of a record's resolved groups may add together. They bound record.json's
 * tokens well below JSON_TOKENS_MAX (about 20,000 for the devices at these limits), so a
 * record the daemon writes always parses again; its size is checked after resolution.
 */
#define RECORD_DEV_GROUPS_MAX	    256	 /* resolved groups */
#define RECORD_DEV_ENV_MAX	    1024 /* environment variables */
#define RECORD_DEV_NODES_MAX	    256	 /* device nodes */
#define RECORD_DEV_MOUNTS_MAX	    512	 /* mounts */
#define RECORD_DEV_HOOKS_MAX	    128	 /* hooks */
#define RECORD_DEV_GIDS_MAX	    256	 /* additional groups */
#define RECORD_DEV_STRS_MAX	    4096 /* mount options, hook arguments and hook variables */
#define RECORD_DEV_GPU_MAX	    64	 /* GPUs one --gpus may name */
#define RECORD_DEV_NUM_MAX	    ((int64_t)UINT32_MAX) /* largest major, minor, uid, gid */
#define RECORD_DEV_HOOK_TIMEOUT_MAX 86400 /* seconds: a CDI hook's longest timeout */

/* CDI spec versions, oldest first: record_dev_json_edits says which one the fields it read
 * need (SPEC.md's table of what each version added). */
enum record_dev_cdi_version {
	RECORD_DEV_CDI_030 = 0, /* 0.3.0, the oldest still read */
	RECORD_DEV_CDI_040,	/* mounts[].type */
	RECORD_DEV_CDI_050,	/* deviceNodes[].hostPath; device names may start with a digit */
	RECORD_DEV_CDI_060,	/* annotations; dots in a kind's class */
	RECORD_DEV_CDI_070,	/* additionalGids, intelRdt */
	RECORD_DEV_CDI_080,	/* (no new field) */
	RECORD_DEV_CDI_100,	/* (no new field) */
	RECORD_DEV_CDI_110,	/* netDevices; intelRdt.schemata and .enableMonitoring */
};
#define RECORD_DEV_CDI_VERSIONS ((int)RECORD_DEV_CDI_110 + 1)

/* The OCI hook a CDI hook runs as (config.json's hooks.<name>). */
enum record_dev_stage {
	RECORD_DEV_PRESTART = 0,     /* "prestart" (deprecated by OCI, still run by runc) */
	RECORD_DEV_CREATE_RUNTIME,   /* "createRuntime": runtime namespace, after create */
	RECORD_DEV_CREATE_CONTAINER, /* "createContainer": container namespace, before pivot */
	RECORD_DEV_START_CONTAINER,  /* "startContainer": in the container, before the process */
	RECORD_DEV_POSTSTART,	     /* "poststart": after the process started */
	RECORD_DEV_POSTSTOP,	     /* "poststop": after the container was deleted */
};
#define RECORD_DEV_STAGES ((int)RECORD_DEV_POSTSTOP + 1)

/* A device node created in the container, and its cgroup permissions. */
struct record_dev_node {
	char *path;	   /* owned; absolute path in the container */
	char *host_path;   /* owned; host node it is made from, or NULL (fully specified) */
	char type;	   /* 'c', 'b' or 'p'; 0 = not given (CDI input only) */
	int64_t major;	   /* device major; -1 = not given */
	int64_t minor;	   /* device minor; -1 = not given */
	int64_t file_mode; /* permission bits 0..07777; -1 = not given */
	int64_t uid;	   /* owner in the container; -1 = not given */
	int64_t gid;	   /* group in the container; -1 = not given */
	char access[4];	   /* cgroup permissions, exactly these: "rwm" subset in that
			    * order; "" = none ("none" in JSON) */
};

/* A mount (CDI mounts). */
struct record_dev_mount {
	char *host_path;      /* owned; absolute host path (the mount's source) */
	char *container_path; /* owned; absolute path in the container */
	char *type;	      /* owned; file system type, or NULL (then bind when the
				  * options say bind or rbind) */
	char **options;	      /* owned, NULL-terminated; mount options */
	size_t noptions;      /* entries of options */
};

/* An OCI hook (CDI hooks). They run as root on the host: see docs/SECURITY.md. */
struct record_dev_hook {
	enum record_dev_stage stage; /* which of config.json's hook lists */
	char *path;		     /* owned; absolute path of the program */
	char **args;		     /* owned, NULL-terminated; argv, argv[0] included */
	size_t nargs;		     /* entries of args */
	char **env;		     /* owned, NULL-terminated; "KEY=VALUE" */
	size_t nenv;		     /* entries of env */
	int64_t timeout;	     /* seconds, 1..RECORD_DEV_HOOK_TIMEOUT_MAX; 0 = none */
};

/* Edits to a container's config.json: CDI's containerEdits, the subset kettle applies. */
struct record_dev_edits {
	char **env;			 /* owned, NULL-terminated; "KEY=VALUE", appended */
	size_t nenv;			 /* entries of env */
	struct record_dev_node *nodes;	 /* owned array */
	size_t nnodes;			 /* entries of nodes */
	struct record_dev_mount *mounts; /* owned array */
	size_t nmounts;			 /* entries of mounts */
	struct record_dev_hook *hooks;	 /* owned array */
	size_t nhooks;			 /* entries of hooks */
	uint32_t *gids;			 /* owned array; additional groups of the process */
	size_t ngids;			 /* entries of gids */
	const char *unsupported;	 /* static; a CDI edit kettle cannot apply
					  * ("netDevices", "intelRdt"), or NULL */
};

/* What one request resolved to (one --device, one CDI device, or a CDI spec's shared edits). */
struct record_dev_group {
	char *request;		       /* owned; as asked: a --device value, "--gpus VALUE" */
	char *device;		       /* owned; the host node, the CDI device "kind=name",
					* or the kind alone for its spec's shared edits */
	char *spec;		       /* owned; the CDI spec file, or NULL for a host node */
	struct record_dev_edits edits; /* what it adds to config.json */
};

struct record_dev {
	char **devices;			 /* owned, NULL-terminated; --device values as given */
	size_t ndevices;		 /* entries of devices */
	char **cgroup_rules;		 /* owned, NULL-terminated; --device-cgroup-rule values */
	size_t ncgroup_rules;		 /* entries of cgroup_rules */
	char **gpus;			 /* owned, NULL-terminated; --gpus values */
	size_t ngpus;			 /* entries of gpus */
	struct record_dev_group *groups; /* owned; resolved by the daemon at create, in order */
	size_t ngroups;			 /* entries of groups */
};

/* A cgroup device rule (OCI linux.resources.devices[]). */
struct record_dev_rule {
	bool allow;	/* allow, else deny */
	char type;	/* 'a', 'c' or 'b' */
	int64_t major;	/* -1 = any */
	int64_t minor;	/* -1 = any */
	char access[4]; /* "rwm" subset in that order */
};

#define RECORD_DEV_PATH_MAX 4096 /* bytes of a --device path (RECORD_STR_MAX) */

/* A --device value HOST[:CONTAINER][:PERMISSIONS] taken apart. */
struct record_dev_host {
	char host[RECORD_DEV_PATH_MAX + 1];	 /* absolute host path */
	char container[RECORD_DEV_PATH_MAX + 1]; /* absolute container path (the host path
						    when not given) */
	char access[4];				 /* cgroup permissions (default "rwm") */
};

/* A --gpus value (docker's CSV: all, N, count=, device=, capabilities=, driver=). */
struct record_dev_gpus {
	int64_t count;			  /* GPUs wanted: -1 = all; 0 with ids */
	char ids[RECORD_DEV_GPU_MAX][64]; /* device=ID,ID… */
	size_t nids;			  /* entries of ids */
	char capabilities[256];		  /* capabilities= as given ("" when absent) */
	bool driver;			  /* driver=nvidia was given */
};

void record_dev_init(struct record_dev *d);
/* Frees everything; leaves d as record_dev_init does. Accepts a half-built one. */
void record_dev_done(struct record_dev *d);
void record_dev_edits_done(struct record_dev_edits *e);
void record_dev_group_done(struct record_dev_group *g);
/* True when nothing was asked for and nothing resolved (the JSON section is left out). */
bool record_dev_empty(const struct record_dev *d);
/* "createRuntime", … and back (false for an unknown name). */
const char *record_dev_stage_name(enum record_dev_stage s);
bool record_dev_stage_parse(const char *name, enum record_dev_stage *s);

/* True when s is a CDI device name "vendor/class=name" (CDI's character rules). */
bool record_dev_is_cdi_name(const char *s);
/* The same, with the reason it is not; kind_len gets the length of "vendor/class". */
int record_dev_check_cdi_name(const char *s, size_t *kind_len, struct kerr *err);
/* CDI's rules for a kind "vendor/class" of n bytes and a device name alone. */
int record_dev_check_kind(const char *s, size_t n, struct kerr *err);
int record_dev_check_device_name(const char *s, struct kerr *err);
/* docker's --device HOST[:CONTAINER][:PERMISSIONS] (absolute paths; PERMISSIONS r, w, m). */
int record_dev_parse_host(const char *s, struct record_dev_host *out, struct kerr *err);
/* docker's --device-cgroup-rule "TYPE MAJOR:MINOR ACCESS" ('a', 'b' or 'c'; a number or '*'). */
int record_dev_parse_rule(const char *s, struct record_dev_rule *out, struct kerr *err);
/* docker's --gpus value. */
int record_dev_parse_gpus(const char *s, struct record_dev_gpus *out, struct kerr *err);
/* "rwm" subsets: true and the canonical order ("mr" -> "rm") in out; "" is not one. */
bool record_dev_parse_access(const char *s, char out[4]);

/* Every invariant: request syntaxes, and complete resolved edits (absolute paths without
 * "..", known types, numbers in range). r is the whole record: devices need --rootfs. */
int record_dev_validate(const struct record *r, struct kerr *err);

/* record_dev_json.c. The "devices" member of a record: its value token i. */
int record_dev_json_decode(struct record_dev *d, const struct json_doc *doc, int i,
			   struct kerr *err);
/* Writes "devices":{…} into the open object of w. */
void record_dev_json_encode(struct json_w *w, const struct record_dev *d);
/*
 * One containerEdits object (token i) into e (empty before). cdi: a CDI spec's (optional
 * fields may be absent; netDevices and intelRdt are recognized and named in e->unsupported;
 * *need is raised to the enum record_dev_cdi_version the fields used require); else a
 * record's, where only what record_dev_json_write_edits writes is allowed (need may be
 * NULL). where names the object in messages. On failure e holds what was read so far.
 */
int record_dev_json_edits(struct record_dev_edits *e, const struct json_doc *doc, int i, bool cdi,
			  const char *where, int *need, struct kerr *err);
/* Writes one containerEdits object (every key present) as the value of the pending key. */
void record_dev_json_write_edits(struct json_w *w, const struct record_dev_edits *e);

#endif
