/*
 * daemon_inspect: the INSPECT document in the shape of docker's Engine API (GET
 * /containers/{id}/json), built from the record and the status (role, layer 3; bottom band
 * of the daemon; called by daemon_query.c and daemon_list.c).
 *
 * Keys and their order are docker's (struct order; maps with sorted keys), and so are
 * its zero values: "0001-01-01T00:00:00Z" for a time that never came, null for an empty
 * list docker leaves nil (Binds, CapAdd, Entrypoint), [] and {} where docker makes them
 * (Args, Mounts, Labels, PortBindings), and omitted keys where docker omits them (Health
 * without a check, Tmpfs without one, Init without --init). What only kettle has is under
 * "Kettle". Each section is its own function so that later features (images, networks,
 * seccomp, devices) add their fields where docker has them. record.json stays kettle's
 * own; only this view is docker's. Reads the container's state.json (the shim's latest
 * word on health and dropped log bytes); never talks to a shim.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fd.h"
#include "base/json_w.h"
#include "base/str.h"
#include "daemon/daemon_inspect.h"
#include "daemon/daemon_devices.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_registry.h"
#include "net/bridge.h"
#include "runtime/spec.h"
#include "store/store.h"

/* What the sections share. */
struct view {
	struct daemon *d;		    /* borrowed */
	const struct daemon_ctr *c;	    /* borrowed */
	const struct status_health *health; /* state.json's when it has one, else c->st's */
	uint64_t log_dropped;		    /* the larger of state.json's and c->st's */
};

void daemon_inspect_time(int64_t ns, char out[CLOCK_RFC3339NANO_LEN + 1])
{
	if (ns <= 0) {
		str_copy(out, CLOCK_RFC3339NANO_LEN + 1, DAEMON_INSPECT_ZERO_TIME);
		return;
	}
	clock_format_rfc3339nano(ns, out);
	/* Go's RFC3339Nano drops the fraction's trailing zeros, and a fraction of zero. */
	char *dot = strchr(out, '.');
	if (!dot)
		return;
	size_t end = strlen(out) - 1; /* the 'Z' */
	size_t k = end;
	while (k > (size_t)(dot - out) + 1 && out[k - 1] == '0')
		k--;
	if (k == (size_t)(dot - out) + 1)
		k = (size_t)(dot - out);
	memmove(out + k, out + end, 2);
}

static void put_time(struct json_w *w, const char *key, int64_t ns)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	daemon_inspect_time(ns, stamp);
	json_w_key(w, key);
	json_w_str(w, stamp);
}

/* A list docker keeps as a nil slice when empty: null, else the strings. */
static void put_strv_or_null(struct json_w *w, const char *key, const struct record_strv *v)
{
	json_w_key(w, key);
	if (v->n == 0) {
		json_w_null(w);
		return;
	}
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

const char *daemon_inspect_image(const struct daemon_ctr *c)
{
	/* docker's Config.Image: the image as the user named it. */
	if (c->rec.image.ref)
		return c->rec.image.ref;
	if (c->rec.rootfs)
		return c->rec.rootfs;
	return c->rec.bundle ? c->rec.bundle : "";
}

const char *daemon_inspect_network(const struct daemon_ctr *c)
{
	switch (c->rec.network) {
	case RECORD_NET_NONE:
		return "none";
	case RECORD_NET_HOST:
		return "host";
	case RECORD_NET_BRIDGE:
	case RECORD_NET_DEFAULT:
		return "bridge";
	case RECORD_NET_NS:
	case RECORD_NET_CONTAINER:
		break;
	}
	return NULL;
}

const char *daemon_inspect_health(const struct status_health *h)
{
	return h->kind == STATUS_HEALTH_NONE ? "none" : status_health_name(h->kind);
}

/* ---- State ---- */

static void put_health(struct json_w *w, const struct view *v)
{
	const struct status_health *h = v->health;

	/* docker: Health exists once a check is configured, "starting" until a result. */
	if (!v->c->rec.health_cmd)
		return;
	json_w_key(w, "Health");
	json_w_obj_begin(w);
	json_w_key(w, "Status");
	json_w_str(w, h->kind == STATUS_HEALTH_NONE ? "starting" : status_health_name(h->kind));
	json_w_key(w, "FailingStreak");
	json_w_u64(w, h->failing_streak);
	json_w_key(w, "Log");
	if (h->nlog == 0) {
		json_w_null(w);
	} else {
		json_w_arr_begin(w);
		for (size_t i = 0; i < h->nlog && i < STATUS_HEALTH_LOG; i++) {
			const struct status_probe *p = &h->log[i];

			json_w_obj_begin(w);
			put_time(w, "Start", p->start_ns);
			put_time(w, "End", p->end_ns);
			json_w_key(w, "ExitCode");
			json_w_i64(w, p->exit_code);
			json_w_key(w, "Output");
			json_w_strn(w, p->output, strnlen(p->output, sizeof(p->output)));
			json_w_obj_end(w);
		}
		json_w_arr_end(w);
	}
	json_w_obj_end(w);
}

static void put_state(struct json_w *w, const struct view *v)
{
	const struct status *s = &v->c->st;
	bool live = daemon_ctr_running(v->c);
	bool up = live && (s->kind == STATUS_RUNNING || s->kind == STATUS_PAUSED);

	json_w_key(w, "State");
	json_w_obj_begin(w);
	json_w_key(w, "Status");
	json_w_str(w, status_kind_name(s->kind));
	/* docker: a container waiting to be restarted is still Running. */
	json_w_key(w, "Running");
	json_w_bool(w, live && (up || s->kind == STATUS_RESTARTING));
	json_w_key(w, "Paused");
	json_w_bool(w, live && s->kind == STATUS_PAUSED);
	json_w_key(w, "Restarting");
	json_w_bool(w, live && s->kind == STATUS_RESTARTING);
	json_w_key(w, "OOMKilled");
	json_w_bool(w, s->oom_killed);
	json_w_key(w, "Dead");
	json_w_bool(w, s->kind == STATUS_DEAD);
	json_w_key(w, "Pid");
	json_w_i64(w, up ? s->pid : 0);
	json_w_key(w, "ExitCode");
	json_w_i64(w, up ? 0 : s->exit_code);
	json_w_key(w, "Error");
	json_w_str(w, s->error);
	put_time(w, "StartedAt", s->started_ns);
	put_time(w, "FinishedAt", s->finished_ns);
	put_health(w, v);
	json_w_obj_end(w);
}

/* ---- HostConfig ---- */

/* --security-opt as docker lists it: the options given, null when none. */
static void put_security_opt(struct json_w *w, const struct record *r)
{
	/* The daemon records its default profile in every container: "builtin" is no option. */
	bool seccomp = r->seccomp && strcmp(r->seccomp, RECORD_SECCOMP_BUILTIN) != 0;

	json_w_key(w, "SecurityOpt");
	if (!seccomp && !r->no_new_privileges) {
		json_w_null(w);
		return;
	}
	json_w_arr_begin(w);
	if (seccomp) {
		char opt[PATH_MAX + sizeof("seccomp=")];

		snprintf(opt, sizeof(opt), "seccomp=%s", r->seccomp);
		json_w_str(w, opt);
	}
	if (r->no_new_privileges)
		json_w_str(w, "no-new-privileges");
	json_w_arr_end(w);
}

static void put_binds(struct json_w *w, const struct record *r)
{
	json_w_key(w, "Binds");
	if (r->nmounts == 0) {
		json_w_null(w);
		return;
	}
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->nmounts; i++) {
		const struct record_mount *m = &r->mounts[i];
		size_t n = strlen(m->source) + strlen(m->destination) + 5;
		_cleanup_free_ char *s = malloc(n);

		if (!s)
			continue; /* json_w_end reports the document as it is; never truncated */
		snprintf(s, n, "%s:%s%s", m->source, m->destination, m->readonly ? ":ro" : "");
		json_w_str(w, s);
	}
	json_w_arr_end(w);
}

static void put_log_config(struct json_w *w, const struct view *v)
{
	const struct record *r = &v->c->rec;
	char n[32];

	json_w_key(w, "LogConfig");
	json_w_obj_begin(w);
	/* podman's name for the CRI format kettle writes (docker has no such driver). */
	json_w_key(w, "Type");
	json_w_str(w, "k8s-file");
	json_w_key(w, "Config");
	json_w_obj_begin(w);
	snprintf(n, sizeof(n), "%u", r->log_max_files ? r->log_max_files : v->d->log_max_files);
	json_w_key(w, "max-file");
	json_w_str(w, n);
	snprintf(n, sizeof(n), "%llu",
		 (unsigned long long)(r->log_max_size ? r->log_max_size : v->d->log_max_size));
	json_w_key(w, "max-size");
	json_w_str(w, n);
	json_w_obj_end(w);
	json_w_obj_end(w);
}

static void put_network_mode(struct json_w *w, const struct record *r)
{
	json_w_key(w, "NetworkMode");
	if (r->network == RECORD_NET_NS) {
		size_t n = strlen(r->netns_path ? r->netns_path : "") + 4;
		_cleanup_free_ char *s = malloc(n);

		if (s) {
			snprintf(s, n, "ns:%s", r->netns_path ? r->netns_path : "");
			json_w_str(w, s);
		} else {
			json_w_str(w, "ns:");
		}
		return;
	}
	if (r->network == RECORD_NET_CONTAINER) {
		char s[sizeof("container:") + IDS_ID_LEN];

		snprintf(s, sizeof(s), "container:%s", r->net.container ? r->net.container : "");
		json_w_str(w, s);
		return;
	}
	json_w_str(w, r->network == RECORD_NET_HOST ? "host"
		      : r->network == RECORD_NET_BRIDGE || r->network == RECORD_NET_DEFAULT
			      ? "bridge"
			      : "none");
}

static void put_restart_policy(struct json_w *w, const struct record *r)
{
	char policy[RESTART_POLICY_LEN];

	restart_format(&r->restart, policy, sizeof(policy));
	policy[strcspn(policy, ":")] = '\0';
	json_w_key(w, "RestartPolicy");
	json_w_obj_begin(w);
	json_w_key(w, "Name");
	json_w_str(w, policy);
	json_w_key(w, "MaximumRetryCount");
	json_w_u64(w, r->restart.policy == RESTART_ON_FAILURE ? r->restart.max_retries : 0);
	json_w_obj_end(w);
}

static void put_host_config(struct json_w *w, const struct view *v)
{
	const struct record *r = &v->c->rec;

	json_w_key(w, "HostConfig");
	json_w_obj_begin(w);
	put_binds(w, r);
	put_log_config(w, v);
	put_network_mode(w, r);
	json_w_key(w, "PortBindings");
	daemon_net_ports_json(r, w);
	json_w_key(w, "PublishAllPorts");
	json_w_bool(w, r->net.publish_all);
	put_restart_policy(w, r);
	json_w_key(w, "AutoRemove");
	json_w_bool(w, r->auto_remove);
	put_strv_or_null(w, "CapAdd", &r->cap_add);
	put_strv_or_null(w, "CapDrop", &r->cap_drop);
	json_w_key(w, "Privileged");
	json_w_bool(w, r->privileged);
	json_w_key(w, "ReadonlyRootfs");
	json_w_bool(w, r->read_only);
	put_security_opt(w, r);
	daemon_devices_host_config(r, w);
	if (r->tmpfs.n) {
		json_w_key(w, "Tmpfs");
		json_w_obj_begin(w);
		/* A map in docker: sorted, each path once. */
		const char *prev = NULL;
		for (size_t done = 0; done < r->tmpfs.n; done++) {
			const char *next = NULL;

			for (size_t i = 0; i < r->tmpfs.n; i++)
				if ((!prev || strcmp(r->tmpfs.v[i], prev) > 0) &&
				    (!next || strcmp(r->tmpfs.v[i], next) < 0))
					next = r->tmpfs.v[i];
			if (!next)
				break;
			json_w_key(w, next);
			json_w_str(w, "");
			prev = next;
		}
		json_w_obj_end(w);
	}
	json_w_key(w, "Runtime");
	json_w_str(w, r->runtime ? r->runtime : v->d->runtime);
	json_w_key(w, "Memory");
	json_w_u64(w, r->memory_bytes);
	json_w_key(w, "NanoCpus");
	json_w_u64(w, r->cpus_milli * 1000000u);
	json_w_key(w, "PidsLimit");
	if (r->pids_limit > 0)
		json_w_i64(w, r->pids_limit);
	else
		json_w_null(w);
	if (r->init) {
		json_w_key(w, "Init");
		json_w_bool(w, true);
	}
	json_w_obj_end(w);
}

/* ---- Mounts ---- */

static void put_mounts(struct json_w *w, const struct record *r)
{
	json_w_key(w, "Mounts");
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->nmounts; i++) {
		const struct record_mount *m = &r->mounts[i];

		json_w_obj_begin(w);
		json_w_key(w, "Type");
		json_w_str(w, "bind");
		json_w_key(w, "Source");
		json_w_str(w, m->source);
		json_w_key(w, "Destination");
		json_w_str(w, m->destination);
		json_w_key(w, "Mode");
		json_w_str(w, m->readonly ? "ro" : "");
		json_w_key(w, "RW");
		json_w_bool(w, !m->readonly);
		json_w_key(w, "Propagation");
		json_w_str(w, "rprivate");
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
}

/* ---- Config ---- */

static bool has_path(const struct record_strv *env)
{
	for (size_t i = 0; i < env->n; i++)
		if (str_has_prefix(env->v[i], "PATH="))
			return true;
	return false;
}

/* Label a's key before b's (bytewise, a prefix first). */
static int key_cmp(const char *a, const char *b)
{
	size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
	int c = memcmp(a, b, ka < kb ? ka : kb);

	return c ? c : (ka > kb) - (ka < kb);
}

/* Labels as docker's map: sorted by key, the last of a repeated key wins. */
static void put_labels(struct json_w *w, const struct record_strv *labels)
{
	_cleanup_free_ size_t *idx = calloc(labels->n ? labels->n : 1, sizeof(*idx));
	char key[RECORD_STR_MAX + 1];

	json_w_key(w, "Labels");
	json_w_obj_begin(w);
	/* Insertion sort, stable: equal keys keep their order, so the last one given ends
	 * its run. At most RECORD_LIST_MAX labels. */
	for (size_t i = 0; idx && i < labels->n; i++) {
		size_t j = i;

		for (; j > 0 && key_cmp(labels->v[idx[j - 1]], labels->v[i]) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	for (size_t i = 0; idx && i < labels->n; i++) {
		const char *l = labels->v[idx[i]];
		size_t k = strcspn(l, "=");

		if (i + 1 < labels->n) {
			const char *n = labels->v[idx[i + 1]];

			if (strcspn(n, "=") == k && memcmp(n, l, k) == 0)
				continue;
		}
		str_copyn(key, sizeof(key), l, k);
		json_w_key(w, key);
		json_w_str(w, l[k] ? l + k + 1 : "");
	}
	json_w_obj_end(w);
}

static void put_healthcheck(struct json_w *w, const struct record *r)
{
	if (!r->health_cmd)
		return;
	json_w_key(w, "Healthcheck");
	json_w_obj_begin(w);
	json_w_key(w, "Test");
	json_w_arr_begin(w);
	json_w_str(w, "CMD-SHELL");
	json_w_str(w, r->health_cmd);
	json_w_arr_end(w);
	json_w_key(w, "Interval");
	json_w_u64(w, r->health_interval_ms * 1000000u);
	json_w_key(w, "Timeout");
	json_w_u64(w, r->health_timeout_ms * 1000000u);
	json_w_key(w, "StartPeriod");
	json_w_u64(w, r->health_start_period_ms * 1000000u);
	json_w_key(w, "Retries");
	json_w_u64(w, r->health_retries);
	json_w_obj_end(w);
}

static void put_config(struct json_w *w, const struct view *v)
{
	const struct record *r = &v->c->rec;
	char s[64];

	json_w_key(w, "Config");
	json_w_obj_begin(w);
	json_w_key(w, "Hostname");
	if (r->hostname) {
		json_w_str(w, r->hostname);
	} else {
		str_copyn(s, sizeof(s), r->id, IDS_SHORT_LEN);
		json_w_str(w, s);
	}
	json_w_key(w, "Domainname");
	json_w_str(w, "");
	json_w_key(w, "User");
	if (r->user_set)
		snprintf(s, sizeof(s), "%u:%u", r->uid, r->gid);
	else
		s[0] = '\0';
	json_w_str(w, s);
	json_w_key(w, "Tty");
	json_w_bool(w, r->tty);
	json_w_key(w, "OpenStdin");
	json_w_bool(w, r->stdin_open);
	json_w_key(w, "StdinOnce");
	json_w_bool(w, false);
	/* The environment the process gets: the default PATH first unless one is set. */
	json_w_key(w, "Env");
	json_w_arr_begin(w);
	if (r->rootfs && !has_path(&r->env))
		json_w_str(w, SPEC_DEFAULT_PATH);
	for (size_t i = 0; i < r->env.n; i++)
		json_w_str(w, r->env.v[i]);
	json_w_arr_end(w);
	put_strv_or_null(w, "Cmd", &r->args);
	put_healthcheck(w, r);
	json_w_key(w, "Image");
	json_w_str(w, daemon_inspect_image(v->c));
	json_w_key(w, "Volumes");
	json_w_null(w);
	json_w_key(w, "WorkingDir");
	json_w_str(w, r->workdir ? r->workdir : "");
	json_w_key(w, "Entrypoint");
	json_w_null(w);
	json_w_key(w, "OnBuild");
	json_w_null(w);
	put_labels(w, &r->labels);
	/* What `kettle stop` sends first. */
	json_w_key(w, "StopSignal");
	json_w_str(w, "SIGTERM");
	json_w_obj_end(w);
}

/* ---- NetworkSettings ---- */

static void put_endpoint(struct json_w *w, const struct daemon_net_addr *a)
{
	json_w_obj_begin(w);
	json_w_key(w, "NetworkID");
	json_w_str(w, "");
	json_w_key(w, "EndpointID");
	json_w_str(w, "");
	json_w_key(w, "Gateway");
	json_w_str(w, a->gw);
	json_w_key(w, "IPAddress");
	json_w_str(w, a->ip);
	json_w_key(w, "IPPrefixLen");
	json_w_u64(w, a->prefix);
	json_w_key(w, "MacAddress");
	json_w_str(w, a->mac);
	json_w_obj_end(w);
}

static void put_network_settings(struct json_w *w, const struct view *v)
{
	const struct record *r = &v->c->rec;
	const char *net = daemon_inspect_network(v->c);
	struct daemon_net_addr a;

	daemon_net_addr(v->d, v->c, &a);
	json_w_key(w, "NetworkSettings");
	json_w_obj_begin(w);
	json_w_key(w, "Bridge");
	json_w_str(w, a.bridge ? BRIDGE_NAME : "");
	json_w_key(w, "SandboxID");
	json_w_str(w, "");
	json_w_key(w, "SandboxKey");
	json_w_str(w, r->network == RECORD_NET_NS && r->netns_path ? r->netns_path : a.sandbox);
	json_w_key(w, "Ports");
	daemon_net_ports_json(r, w);
	json_w_key(w, "Gateway");
	json_w_str(w, a.gw);
	json_w_key(w, "IPAddress");
	json_w_str(w, a.ip);
	json_w_key(w, "IPPrefixLen");
	json_w_u64(w, a.prefix);
	json_w_key(w, "MacAddress");
	json_w_str(w, a.mac);
	json_w_key(w, "Networks");
	json_w_obj_begin(w);
	if (net) {
		json_w_key(w, net);
		put_endpoint(w, &a);
	}
	json_w_obj_end(w);
	json_w_obj_end(w);
}

/* ---- Kettle ---- */

static int put_kettle(struct json_w *w, const struct view *v, struct kerr *err)
{
	const struct record *r = &v->c->rec;
	const struct status *s = &v->c->st;
	char path[PATH_MAX];

	json_w_key(w, "Kettle");
	json_w_obj_begin(w);
	json_w_key(w, "Rootfs");
	if (r->rootfs)
		json_w_str(w, r->rootfs);
	else
		json_w_null(w);
	json_w_key(w, "Bundle");
	if (r->bundle) {
		json_w_str(w, r->bundle);
	} else {
		if (store_container_path(v->d->root, r->id, STORE_BUNDLE, path, sizeof(path), err) <
		    0)
			return -1;
		json_w_str(w, path);
	}
	json_w_key(w, "ShimPid");
	json_w_i64(w, daemon_ctr_shim_alive(v->c) ? v->c->shim_pid : 0);
	/* docker's State.ExitCode is 0 while it runs; the last exit stays known here. */
	json_w_key(w, "LastExitCode");
	json_w_i64(w, s->exit_code);
	json_w_key(w, "Reason");
	json_w_str(w, s->reason);
	json_w_key(w, "Signal");
	json_w_i64(w, s->signal);
	json_w_key(w, "StoppedByUser");
	json_w_bool(w, s->stopped_by_user);
	json_w_key(w, "RestartStreak");
	json_w_u64(w, s->restart_streak);
	put_time(w, "NextStart", s->kind == STATUS_RESTARTING ? s->next_start_ns : 0);
	json_w_key(w, "RestartDelayMs");
	json_w_u64(w, r->restart_delay_ms ? r->restart_delay_ms : v->d->restart_defaults.base_ms);
	json_w_key(w, "RestartMaxDelayMs");
	json_w_u64(w, r->restart_max_delay_ms ? r->restart_max_delay_ms
					      : v->d->restart_defaults.max_ms);
	json_w_key(w, "RestartResetMs");
	json_w_u64(w, r->restart_reset_ms ? r->restart_reset_ms : v->d->restart_defaults.reset_ms);
	json_w_key(w, "HealthOnFailure");
	json_w_str(w, record_health_action_name(r->health_on_failure));
	json_w_key(w, "Init");
	json_w_bool(w, r->init);
	json_w_key(w, "LogDroppedBytes");
	json_w_u64(w, v->log_dropped);
	daemon_devices_kettle(r, w); /* what each device request resolved to */
	/* The seccomp profile in force (issue 12): builtin, unconfined or the path; null
	 * for a --bundle, whose config.json decides. */
	const char *seccomp = record_seccomp_effective(r);
	json_w_key(w, "SeccompProfile");
	if (seccomp)
		json_w_str(w, seccomp);
	else
		json_w_null(w);
	json_w_obj_end(w);
	return 0;
}

int daemon_inspect_json(struct daemon *d, const struct daemon_ctr *c, struct buf *out,
			struct kerr *err)
{
	_cleanup_free_ struct status *fresh = malloc(sizeof(*fresh));
	_cleanup_close_ int dirfd = -1;
	struct view v = {
		.d = d, .c = c, .health = &c->st.health, .log_dropped = c->st.log_dropped
	};
	char path[PATH_MAX];
	struct json_w w;
	struct kerr ignored;

	if (!fresh)
		return kerr_set(err, ENOMEM, "inspect");
	/* Health results and dropped log bytes: the shim rewrites state.json after every
	 * check (no event unless the status changes) and at most once a second for drops,
	 * so its latest word is there, newer than what the daemon keeps. */
	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &ignored) == 0 &&
	    status_read(dirfd, STORE_STATE, fresh, &ignored) == 0) {
		if (fresh->health.kind != STATUS_HEALTH_NONE)
			v.health = &fresh->health;
		if (fresh->log_dropped > v.log_dropped)
			v.log_dropped = fresh->log_dropped;
	}
	if (store_container_path(d->root, c->rec.id, STORE_CTR_LOG, path, sizeof(path), err) < 0)
		return -1;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "Id");
	json_w_str(&w, c->rec.id);
	put_time(&w, "Created", c->rec.created_ns);
	json_w_key(&w, "Path");
	json_w_str(&w, c->rec.args.n ? c->rec.args.v[0] : "");
	json_w_key(&w, "Args");
	json_w_arr_begin(&w);
	for (size_t i = 1; i < c->rec.args.n; i++)
		json_w_str(&w, c->rec.args.v[i]);
	json_w_arr_end(&w);
	put_state(&w, &v);
	/* docker: the image's id ("" for a --rootfs or --bundle container, whose root
	 * Config.Image names). */
	json_w_key(&w, "Image");
	json_w_str(&w, c->rec.image.ref ? c->rec.image.id : "");
	json_w_key(&w, "LogPath");
	json_w_str(&w, path);
	json_w_key(&w, "Name");
	{
		char name[IDS_NAME_MAX + 2];

		snprintf(name, sizeof(name), "/%s", c->rec.name);
		json_w_str(&w, name);
	}
	json_w_key(&w, "RestartCount");
	json_w_u64(&w, c->st.restart_count);
	json_w_key(&w, "Platform");
	json_w_str(&w, "linux");
	put_host_config(&w, &v);
	put_mounts(&w, &c->rec);
	put_config(&w, &v);
	put_network_settings(&w, &v);
	if (put_kettle(&w, &v, err) < 0)
		return -1;
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}
