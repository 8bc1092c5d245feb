/*
 * client_run: `kettle run` and `kettle create` (layer 3, client role): the option table
 * and usage, docker's flags gathered into a container record request (each flag's value
 * is checked and converted by client_runflags.c), sent as CREATE; then, for run, START
 * and either the id (-d) or the container's output relayed until it exits
 * (client_session_attach); for create, the id.
 *
 * Invariants: every flag value is checked, and the whole request with record_validate,
 * before anything is sent, so a bad value costs one line and exit 125 and leaves nothing
 * behind. The argument list stops at the first non-option ("+"), so the container's own
 * flags are never taken for kettle's.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "client/client.h"
#include "logs/logfile.h"
#include "store/record.h"
#include "base/str.h"

struct run_args {
	bool run;	   /* `run` (else `create`) */
	bool help;	   /* --help was printed */
	bool detach;	   /* -d */
	const char *keys;  /* --detach-keys, or NULL for ctrl-p,ctrl-q */
	const char *user;  /* -u as given; resolved once the rootfs is known */
	bool no_health;	   /* --no-healthcheck */
	struct record rec; /* the create request being built; owned */
};

/* ---- the option table ---- */

enum {
	OPT_RM = 256,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_TMPFS,
	OPT_NETWORK,
	OPT_CPUS,
	OPT_PIDS_LIMIT,
	OPT_READ_ONLY,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_RUNTIME,
	OPT_ROOTFS,
	OPT_BUNDLE,
	OPT_HELP,
	OPT_RESTART,
	OPT_RESTART_DELAY,
	OPT_RESTART_MAX_DELAY,
	OPT_RESTART_RESET,
	OPT_DETACH_KEYS,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILES,
	OPT_INIT,
	OPT_HEALTH_CMD,
	OPT_HEALTH_INTERVAL,
	OPT_HEALTH_TIMEOUT,
	OPT_HEALTH_RETRIES,
	OPT_HEALTH_START_PERIOD,
	OPT_HEALTH_ON_FAILURE,
	OPT_NO_HEALTHCHECK,
};

static const struct option run_opts[] = {
	{ "detach", no_argument, NULL, 'd' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
	{ "rm", no_argument, NULL, OPT_RM },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "hostname", required_argument, NULL, 'h' },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "label", required_argument, NULL, 'l' },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "restart-delay", required_argument, NULL, OPT_RESTART_DELAY },
	{ "restart-max-delay", required_argument, NULL, OPT_RESTART_MAX_DELAY },
	{ "restart-reset", required_argument, NULL, OPT_RESTART_RESET },
	{ "log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
	{ "log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "health-cmd", required_argument, NULL, OPT_HEALTH_CMD },
	{ "health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL },
	{ "health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT },
	{ "health-retries", required_argument, NULL, OPT_HEALTH_RETRIES },
	{ "health-start-period", required_argument, NULL, OPT_HEALTH_START_PERIOD },
	{ "health-on-failure", required_argument, NULL, OPT_HEALTH_ON_FAILURE },
	{ "no-healthcheck", no_argument, NULL, OPT_NO_HEALTHCHECK },
	{ NULL, 0, NULL, 0 },
};

/* The --health-* options; 1 when c is none of them. */
static int health_option(const char *usage, struct run_args *a, int c, const char *val)
{
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t n;

	switch (c) {
	case OPT_HEALTH_CMD:
		free(r->health_cmd);
		r->health_cmd = strdup(val);
		return r->health_cmd ? 0 : client_runflags_out_of_memory();
	case OPT_HEALTH_INTERVAL:
		return client_runflags_health_duration(usage, "--health-interval", val,
						       &r->health_interval_ms);
	case OPT_HEALTH_TIMEOUT:
		return client_runflags_health_duration(usage, "--health-timeout", val,
						       &r->health_timeout_ms);
	case OPT_HEALTH_START_PERIOD:
		return client_runflags_health_duration(usage, "--health-start-period", val,
						       &r->health_start_period_ms);
	case OPT_HEALTH_RETRIES:
		if (str_to_u64(val, RECORD_HEALTH_RETRIES_MAX, &n, &err) < 0)
			return client_usage_error(usage,
						  "--health-retries `%s` is out of range, expected "
						  "0..%u (0: the default, 3)",
						  val, RECORD_HEALTH_RETRIES_MAX);
		r->health_retries = (uint32_t)n;
		return 0;
	case OPT_HEALTH_ON_FAILURE:
		if (record_health_action_parse(val, &r->health_on_failure, &err) < 0)
			return client_usage_error(usage, "--health-on-failure: %s", err.msg);
		return 0;
	case OPT_NO_HEALTHCHECK:
		a->no_health = true;
		return 0;
	default:
		return 1;
	}
}

/* One option; returns 0 or the exit code after printing. */
static int run_option(const char *usage, struct run_args *a, int c, char *val, int argc,
		      char **argv)
{
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t u;
	int64_t i;

	switch (c) {
	case 'd':
		if (!a->run)
			return client_usage_error(usage, "-d/--detach is for `kettle run`; `kettle "
							 "create` never starts the container");
		a->detach = true;
		return 0;
	case 'i':
		r->stdin_open = true;
		return 0;
	case 't':
		r->tty = true;
		return 0;
	case OPT_DETACH_KEYS:
		a->keys = val;
		return 0;
	case OPT_RM:
		r->auto_remove = true;
		return 0;
	case OPT_NAME:
		if (ids_check_name(val, &err) < 0)
			return client_usage_error(usage, "--name: %s", err.msg);
		str_copy(r->name, sizeof(r->name), val);
		return 0;
	case 'e':
		return client_runflags_add_env(usage, r, val, "--env");
	case OPT_ENV_FILE:
		return client_runflags_add_env_file(usage, r, val);
	case 'w':
		if (val[0] != '/')
			return client_usage_error(usage,
						  "--workdir `%s` is not an absolute path, "
						  "expected one starting with /",
						  val);
		free(r->workdir);
		r->workdir = strdup(val);
		return r->workdir ? 0 : client_runflags_out_of_memory();
	case 'u':
		a->user = val;
		return 0;
	case 'v':
		return client_runflags_add_volume(usage, r, val);
	case OPT_TMPFS:
		if (val[0] != '/' || strchr(val, ':'))
			return client_usage_error(usage,
						  "invalid --tmpfs `%s`, expected an absolute "
						  "container path (mount options are not "
						  "supported)",
						  val);
		return client_runflags_strv_push(&r->tmpfs, strdup(val));
	case 'h':
		free(r->hostname);
		r->hostname = strdup(val);
		return r->hostname ? 0 : client_runflags_out_of_memory();
	case OPT_NETWORK:
		return client_runflags_set_network(usage, r, val);
	case 'm':
		if (str_parse_size(val, &u, &err) < 0)
			return client_usage_error(usage, "--memory: %s", err.msg);
		r->memory_bytes = u;
		return 0;
	case OPT_CPUS: {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
		if (str_parse_milli(val, (uint64_t)n * 1000, &u, &err) < 0)
			return client_usage_error(usage, "--cpus: %s", err.msg);
		if (u == 0)
			return client_usage_error(usage,
						  "--cpus `%s` is zero, expected 0.001 to %ld "
						  "(the CPUs available)",
						  val, n);
		r->cpus_milli = u;
		return 0;
	}
	case OPT_PIDS_LIMIT:
		if (str_to_i64(val, -1, INT64_MAX, &i, &err) < 0)
			return client_usage_error(
				usage, "--pids-limit: %s (-1 and 0 mean unlimited)", err.msg);
		r->pids_limit = i;
		return 0;
	case OPT_READ_ONLY:
		r->read_only = true;
		return 0;
	case OPT_INIT:
		r->init = true;
		return 0;
	case OPT_CAP_ADD:
		return client_runflags_add_cap(usage, &r->cap_add, "--cap-add", val);
	case OPT_CAP_DROP:
		return client_runflags_add_cap(usage, &r->cap_drop, "--cap-drop", val);
	case OPT_PRIVILEGED:
		r->privileged = true;
		return 0;
	case 'l':
		if (val[0] == '\0' || val[0] == '=')
			return client_usage_error(usage, "invalid --label `%s`, expected KEY=VALUE",
						  val);
		return client_runflags_strv_push(
			&r->labels,
			strchr(val, '=') ? strdup(val) : client_runflags_concat3(val, "=", ""));
	case OPT_RUNTIME:
		return client_runflags_set_runtime(usage, r, val);
	case OPT_ROOTFS:
		return client_runflags_abs_flag(usage, "--rootfs", val, &r->rootfs);
	case OPT_BUNDLE:
		return client_runflags_abs_flag(usage, "--bundle", val, &r->bundle);
	case OPT_HELP:
		fputs(usage, stdout);
		a->help = true;
		return 0;
	case OPT_RESTART:
		if (restart_parse(val, &r->restart, &err) < 0)
			return client_usage_error(usage, "--restart: %s", err.msg);
		return 0;
	case OPT_RESTART_DELAY:
		return client_runflags_restart_duration(usage, "--restart-delay", val,
							&r->restart_delay_ms);
	case OPT_RESTART_MAX_DELAY:
		return client_runflags_restart_duration(usage, "--restart-max-delay", val,
							&r->restart_max_delay_ms);
	case OPT_RESTART_RESET:
		return client_runflags_restart_duration(usage, "--restart-reset", val,
							&r->restart_reset_ms);
	case OPT_LOG_MAX_SIZE:
		if (str_parse_size(val, &r->log_max_size, &err) < 0)
			return client_usage_error(usage, "--log-max-size: %s", err.msg);
		if (r->log_max_size < LOGFILE_MIN_SIZE || r->log_max_size > LOGFILE_MAX_SIZE)
			return client_usage_error(usage,
						  "--log-max-size `%s` is out of range, expected "
						  "1k to 1t",
						  val);
		return 0;
	case OPT_LOG_MAX_FILES: {
		uint64_t n;

		if (str_to_u64(val, LOGFILE_MAX_FILES, &n, &err) < 0 || n == 0)
			return client_usage_error(usage,
						  "--log-max-files `%s` is out of range, expected "
						  "1..%u",
						  val, LOGFILE_MAX_FILES);
		r->log_max_files = (uint32_t)n;
		return 0;
	}
	default: {
		int rc = health_option(usage, a, c, val);

		return rc != 1 ? rc : client_option_error(usage, c, argc, argv);
	}
	}
}

static int parse_run_args(int argc, char **argv, const char *usage, struct run_args *a)
{
	struct kerr err;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:dite:w:u:v:h:m:l:", run_opts, NULL)) != -1) {
		int rc = run_option(usage, a, c, optarg, argc, argv);
		if (rc != 0 || a->help)
			return rc;
	}
	struct record *r = &a->rec;
	if (!r->rootfs && !r->bundle)
		return client_usage_error(usage, "one of --rootfs DIR or --bundle DIR is required");
	if (r->rootfs && r->bundle)
		return client_usage_error(usage, "--rootfs and --bundle cannot be used together");
	if (r->rootfs && optind >= argc)
		return client_usage_error(usage, "a command is required with --rootfs");
	for (int k = optind; k < argc; k++)
		if (client_runflags_strv_push(&r->args, strdup(argv[k])) != 0)
			return CLIENT_EXIT_FAIL;
	if (a->user && client_runflags_resolve_user(usage, &a->rec, a->user) != 0)
		return CLIENT_EXIT_FAIL;
	if (a->no_health &&
	    (r->health_cmd || r->health_interval_ms || r->health_timeout_ms ||
	     r->health_start_period_ms || r->health_retries || r->health_on_failure))
		return client_usage_error(usage, "--no-healthcheck conflicts with --health-* "
						 "options");
	if (a->keys) {
		uint8_t keys[CLIENT_DETACH_KEYS_MAX];
		size_t n;

		if (client_detach_keys_parse(a->keys, keys, &n, &err) < 0)
			return client_usage_error(usage, "--detach-keys: %s", err.msg);
	}
	if (a->run && !a->detach && r->tty && r->stdin_open && !isatty(STDIN_FILENO))
		return client_usage_error(usage,
					  "the input device is not a TTY: -t with -i needs a "
					  "terminal on stdin (use -i alone for pipes)");
	if (record_validate(r, true, &err) < 0)
		return client_usage_error(usage, "%s", err.msg);
	return 0;
}

/* CREATE; on success id and name are filled. Failures are printed; 126/127 pass on.
 * run: RUN 1, the container is started at once by one `runc run` and held until our START
 * (docs/PROTOCOL.md), which we send only once attached. */
static int send_create(struct client *cl, const struct record *r, bool run, char id[IDS_ID_LEN + 1],
		       char name[IDS_NAME_MAX + 1])
{
	struct wire_frame reply;
	struct wire_enc e;
	struct buf json;
	struct kerr err;

	buf_init(&json, RECORD_JSON_MAX);
	if (record_json_encode(r, &json, &err) < 0) {
		buf_done(&json);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_CREATE);
	wire_enc_bytes(&e, WIRE_F_JSON, json.data, json.len);
	if (run)
		wire_enc_u32(&e, WIRE_F_RUN, 1);
	buf_done(&json);
	if (client_end(&e) != 0)
		return CLIENT_EXIT_FAIL;
	int rc = client_call(cl, reqid, &reply);
	if (rc != 0)
		return rc;
	if (wire_get_str(&reply, WIRE_F_ID, true, id, IDS_ID_LEN + 1, &err) < 0 ||
	    wire_get_str(&reply, WIRE_F_NAME, false, name, IDS_NAME_MAX + 1, &err) < 0) {
		kerr_wrap(&err, "reply to CREATE");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

static int start_detached(struct client *cl, const char *id)
{
	struct wire_frame reply;
	struct wire_enc e;
	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_START);

	wire_enc_str(&e, WIRE_F_REF, id);
	if (client_end(&e) != 0)
		return CLIENT_EXIT_FAIL;
	return client_call(cl, reqid, &reply);
}

/* run in the foreground: the session of client_attach.c relays its output (and with -i
 * our stdin, with -t through a terminal), forwards signals, and returns its exit code. */
static int run_session(struct client *cl, const struct run_args *a, const char *id)
{
	struct client_session o = {
		.id = id,
		.start = true,
		.want_stdin = a->rec.stdin_open,
	};
	struct kerr err;

	if (client_detach_keys_parse(a->keys ? a->keys : "ctrl-p,ctrl-q", o.detach, &o.ndetach,
				     &err) < 0) {
		kerr_wrap(&err, "--detach-keys");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	fflush(stdout);
	return client_session_attach(cl, &o);
}

static int run_or_create(int argc, char **argv, const char *usage, bool run)
{
	struct run_args a = { .run = run };
	struct client cl;
	char id[IDS_ID_LEN + 1] = "", name[IDS_NAME_MAX + 1] = "";
	int rc;

	record_init(&a.rec);
	rc = parse_run_args(argc, argv, usage, &a);
	if (rc != 0 || a.help) {
		record_done(&a.rec);
		return rc;
	}
	rc = client_open(&cl);
	if (rc != 0) {
		record_done(&a.rec);
		return rc;
	}
	rc = send_create(&cl, &a.rec, run, id, name);
	if (rc == 0) {
		if (!run) {
			printf("%s\n", id);
		} else if (a.detach) {
			rc = start_detached(&cl, id);
			if (rc == 0)
				printf("%s\n", id);
		} else {
			rc = run_session(&cl, &a, id);
		}
	}
	record_done(&a.rec);
	client_close(&cl);
	return rc;
}

static const char run_usage[] =
	"Usage: kettle run [OPTIONS] (--rootfs DIR | --bundle DIR) [--] [COMMAND [ARG...]]\n"
	"\n"
	"Create and start a container. Without -d, its stdout and stderr are relayed as they\n"
	"arrive, SIGINT/SIGTERM/SIGHUP are forwarded to it, and kettle exits with its exit\n"
	"code; with -d the full id is printed.\n"
	"\n"
	"Options:\n"
	"  -d, --detach            Run in the background and print the container's id\n"
	"  -i, --interactive       Keep stdin open (and relay ours when in the foreground)\n"
	"  -t, --tty               Allocate a terminal; ours goes raw while attached\n"
	"      --detach-keys KEYS  Detach sequence with -t (default ctrl-p,ctrl-q)\n"
	"      --rm                Remove the container when it exits\n"
	"      --name NAME         Name the container (unique; generated when absent)\n"
	"  -e, --env KEY=VALUE     Set a variable (KEY alone: take it from this environment)\n"
	"      --env-file FILE     Read variables from FILE, one KEY=VALUE per line\n"
	"  -w, --workdir DIR       Working directory inside the container (absolute)\n"
	"  -u, --user UID[:GID]    User and group, numeric or names from the rootfs\n"
	"  -v, --volume HOST:CTR[:ro|rw]  Bind mount a host path\n"
	"      --tmpfs PATH        Mount a tmpfs at PATH\n"
	"  -h, --hostname NAME     Container host name\n"
	"      --network MODE      none (default), host or ns:PATH\n"
	"  -m, --memory SIZE       Memory limit (e.g. 64m, 1g)\n"
	"      --cpus N            CPU limit (e.g. 1.5)\n"
	"      --pids-limit N      Process limit (-1 or 0: unlimited)\n"
	"      --read-only         Mount the root filesystem read-only\n"
	"      --init              Run kettle's init as PID 1: it reaps zombies and forwards\n"
	"                          signals to the command (a read-only copy at /dev/init)\n"
	"      --cap-add CAP       Add a capability (or ALL)\n"
	"      --cap-drop CAP      Drop a capability (or ALL)\n"
	"      --privileged        All capabilities, no masked paths, all devices\n"
	"  -l, --label KEY=VALUE   Set a label\n"
	"      --runtime PATH      OCI runtime binary (default: the daemon's)\n"
	"      --rootfs DIR        Root filesystem; kettle writes the bundle's config.json\n"
	"      --bundle DIR        OCI bundle whose config.json is used as it is\n"
	"      --restart POLICY    no (default), on-failure[:MAX], always or unless-stopped\n"
	"                          (docker's meanings; the shim restarts it even while the\n"
	"                          daemon is down; stop, kill and rm end supervision)\n"
	"      --restart-delay D   Crash-loop backoff: the first restart is at once, the\n"
	"                          next after D (default 10s), doubling each time...\n"
	"      --restart-max-delay D  ...up to D (default 5m)...\n"
	"      --restart-reset D   ...until a run lasts D (default 10m): the kubelet's\n"
	"                          sequence, not docker's 100ms/1m/10s, so a container that\n"
	"                          crashes after 11s is not restarted every 100ms forever.\n"
	"                          Durations like 50ms, 10s, 5m; defaults set by the daemon\n"
	"      --log-max-size SIZE Rotate ctr.log at SIZE (default 10m, set by the daemon)\n"
	"      --log-max-files N   Log files kept, the current one included (default 3)\n"
	"      --health-cmd CMD    Health check, run in the container as `/bin/sh -c CMD` by\n"
	"                          the shim (so it goes on while the daemon is down); exit 0\n"
	"                          means healthy\n"
	"      --health-interval D Time between checks (default 30s)\n"
	"      --health-timeout D  A check running longer is killed and fails (default 30s)\n"
	"      --health-retries N  Failures in a row that make it unhealthy (default 3)\n"
	"      --health-start-period D  Failures in this time after a start do not count\n"
	"                          until a check passed (default 0s)\n"
	"      --health-on-failure ACTION  Once unhealthy: none (default), kill, restart\n"
	"                          (through the restart backoff, whatever the policy) or stop\n"
	"      --no-healthcheck    No health check (conflicts with --health-*)\n"
	"      --help              Print this help\n";

int client_run_main(int argc, char **argv)
{
	return run_or_create(argc, argv, run_usage, true);
}

static const char create_usage[] =
	"Usage: kettle create [OPTIONS] (--rootfs DIR | --bundle DIR) [--] [COMMAND [ARG...]]\n"
	"\n"
	"Create a container without starting it and print its full id. The options are\n"
	"those of `kettle run` except -d (see `kettle run --help`).\n";

int client_create_main(int argc, char **argv)
{
	return run_or_create(argc, argv, create_usage, false);
}
