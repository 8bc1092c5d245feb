/*
 * record_test: unit tests of the container record (test layer, tests src/store/record.c,
 * record_validate.c and record_json.c: most checks go through the JSON decoder).
 *
 * A full record round-trips byte for byte; every rejection names the key or flag and what
 * was allowed; request and stored mode differ only in id, name and created; capability
 * names canonicalize; ps's command line quotes and truncates on character boundaries;
 * caps on document size, list length and string length hold.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store/record.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Every key, in record_json_encode's order and form: the encoder must reproduce it exactly. */
static const char full_json[] =
	"{\"version\":1,\"id\":\"" ID "\",\"name\":\"web-1\","
	"\"created\":\"2024-05-06T07:08:09.123456789Z\",\"rootfs\":\"/srv/rootfs\","
	"\"bundle\":null,\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\",\"\"],"
	"\"env\":[\"A=B\",\"EMPTY=\",\"U=\xc3\xa9\\u0001\"],\"workdir\":\"/work\","
	"\"user\":{\"uid\":1000,\"gid\":100},"
	"\"mounts\":[{\"source\":\"/host/a\",\"destination\":\"/a\",\"readonly\":true},"
	"{\"source\":\"/host/b\",\"destination\":\"/b\",\"readonly\":false}],"
	"\"tmpfs\":[\"/tmp\",\"/run\"],\"hostname\":\"box.example-1\","
	"\"network\":\"ns:/run/netns/x\",\"memory\":67108864,\"cpus\":1500,"
	"\"pids_limit\":-1,\"read_only\":true,\"privileged\":false,\"auto_remove\":true,"
	"\"tty\":true,\"stdin_open\":false,\"init\":true,"
	"\"cap_add\":[\"CAP_NET_ADMIN\",\"ALL\"],\"cap_drop\":[\"CAP_MKNOD\"],"
	"\"labels\":[\"k=v\",\"a=b=c\"],\"runtime\":\"/usr/sbin/runc\","
	"\"restart\":\"no\",\"restart_delay_ms\":50,\"restart_max_delay_ms\":400,"
	"\"restart_reset_ms\":0,\"log_max_size\":10485760,\"log_max_files\":5,"
	"\"health_cmd\":\"test ! -f /tmp/sick\",\"health_interval_ms\":100,"
	"\"health_timeout_ms\":200,\"health_start_period_ms\":50,\"health_retries\":2,"
	"\"health_on_failure\":\"stop\",\"seccomp\":\"/srv/seccomp.json\","
	"\"no_new_privileges\":true}";

static int parse(struct record *r, const char *json, bool request, struct kerr *err)
{
	return record_json_decode(r, json, strlen(json), request, err);
}

/* A minimal valid request with `extra` members appended. */
static int parse_req(struct record *r, const char *extra, struct kerr *err)
{
	char doc[8192];

	snprintf(doc, sizeof(doc), "{\"version\":1,\"rootfs\":\"/r\",\"args\":[\"sh\"]%s}", extra);
	return parse(r, doc, true, err);
}

TEST(full_round_trip)
{
	struct record r, r2;
	struct kerr err;
	struct buf b, b2;

	ASSERT_EQ(parse(&r, full_json, false, &err), 0);
	ASSERT_STREQ(r.id, ID);
	ASSERT_STREQ(r.name, "web-1");
	ASSERT_EQ(r.created_ns, 1714979289123456789LL);
	ASSERT_STREQ(r.rootfs, "/srv/rootfs");
	ASSERT(r.bundle == NULL);
	ASSERT_EQ(r.args.n, 4);
	ASSERT_STREQ(r.args.v[2], "echo \"hi\"\n");
	ASSERT_STREQ(r.args.v[3], "");
	ASSERT_STREQ(r.env.v[2], "U=\xc3\xa9\x01");
	ASSERT_STREQ(r.workdir, "/work");
	ASSERT(r.user_set);
	ASSERT_EQ(r.uid, 1000);
	ASSERT_EQ(r.gid, 100);
	ASSERT_EQ(r.nmounts, 2);
	ASSERT_STREQ(r.mounts[0].source, "/host/a");
	ASSERT_STREQ(r.mounts[0].destination, "/a");
	ASSERT(r.mounts[0].readonly);
	ASSERT(!r.mounts[1].readonly);
	ASSERT_EQ(r.tmpfs.n, 2);
	ASSERT_STREQ(r.hostname, "box.example-1");
	ASSERT_EQ(r.network, RECORD_NET_NS);
	ASSERT_STREQ(r.netns_path, "/run/netns/x");
	ASSERT_U64_EQ(r.memory_bytes, 64u << 20);
	ASSERT_U64_EQ(r.cpus_milli, 1500);
	ASSERT_EQ(r.pids_limit, -1);
	ASSERT(r.read_only && !r.privileged && r.auto_remove);
	ASSERT(r.tty && !r.stdin_open);
	ASSERT(r.init);
	ASSERT_EQ(r.cap_add.n, 2);
	ASSERT_STREQ(r.cap_drop.v[0], "CAP_MKNOD");
	ASSERT_STREQ(r.labels.v[1], "a=b=c");
	ASSERT_STREQ(r.runtime, "/usr/sbin/runc");
	ASSERT_EQ(r.restart.policy, RESTART_NO);
	ASSERT_U64_EQ(r.restart_delay_ms, 50);
	ASSERT_U64_EQ(r.log_max_size, 10u << 20);
	ASSERT_EQ(r.log_max_files, 5);
	ASSERT_U64_EQ(r.restart_max_delay_ms, 400);
	ASSERT_STREQ(r.health_cmd, "test ! -f /tmp/sick");
	ASSERT_U64_EQ(r.health_interval_ms, 100);
	ASSERT_U64_EQ(r.health_timeout_ms, 200);
	ASSERT_U64_EQ(r.health_start_period_ms, 50);
	ASSERT_EQ(r.health_retries, 2);
	ASSERT_EQ(r.health_on_failure, RECORD_HEALTH_STOP);
	ASSERT_STREQ(r.seccomp, "/srv/seccomp.json");
	ASSERT(r.no_new_privileges);
	ASSERT(record_seccomp_is_path(&r));
	ASSERT_STREQ(record_seccomp_effective(&r), "/srv/seccomp.json");

	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(b.len, strlen(full_json));
	ASSERT_MEMEQ(b.data, full_json, b.len);

	/* And once more through the parser: same bytes again. */
	ASSERT_EQ(record_json_decode(&r2, (const char *)b.data, b.len, false, &err), 0);
	buf_init(&b2, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r2, &b2, &err), 0);
	ASSERT_EQ(b2.len, b.len);
	ASSERT_MEMEQ(b2.data, b.data, b.len);
	buf_done(&b);
	buf_done(&b2);
	record_done(&r);
	record_done(&r2);
	/* record_done leaves an empty record that may be done again. */
	ASSERT(r.rootfs == NULL && r.args.n == 0 && r.nmounts == 0);
	record_done(&r);
}

TEST(request_defaults_and_nulls)
{
	struct record r;
	struct kerr err;
	struct buf b;
	static const char want[] =
		"{\"version\":1,\"id\":null,\"name\":null,\"created\":null,\"rootfs\":\"/r\","
		"\"bundle\":null,\"args\":[\"sh\"],\"env\":[],\"workdir\":null,\"user\":null,"
		"\"mounts\":[],\"tmpfs\":[],\"hostname\":null,\"network\":\"none\",\"memory\":0,"
		"\"cpus\":0,\"pids_limit\":0,\"read_only\":false,\"privileged\":false,"
		"\"auto_remove\":false,\"tty\":false,\"stdin_open\":false,\"init\":false,"
		"\"cap_add\":[],"
		"\"cap_drop\":[],\"labels\":[],"
		"\"runtime\":null,\"restart\":\"no\",\"restart_delay_ms\":0,"
		"\"restart_max_delay_ms\":0,\"restart_reset_ms\":0,\"log_max_size\":0,"
		"\"log_max_files\":0,\"health_cmd\":null,\"health_interval_ms\":0,"
		"\"health_timeout_ms\":0,\"health_start_period_ms\":0,\"health_retries\":0,"
		"\"health_on_failure\":\"none\",\"seccomp\":null,\"no_new_privileges\":false}";

	ASSERT_EQ(parse_req(&r, "", &err), 0);
	ASSERT_EQ(r.network, RECORD_NET_NONE);
	ASSERT(!r.user_set);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(b.len, strlen(want));
	ASSERT_MEMEQ(b.data, want, b.len);
	record_done(&r);
	/* The encoded request parses again as a request, not as a stored record. */
	ASSERT_EQ(record_json_decode(&r, (const char *)b.data, b.len, true, &err), 0);
	record_done(&r);
	ASSERT_EQ(record_json_decode(&r, (const char *)b.data, b.len, false, &err), -1);
	ASSERT_STREQ(err.msg, "container record has no id");
	buf_done(&b);
}

TEST(restart_policy_round_trip)
{
	struct record r, r2;
	struct kerr err;
	struct buf b;

	ASSERT_EQ(parse_req(&r, ",\"restart\":\"on-failure:3\",\"restart_delay_ms\":50", &err), 0);
	ASSERT_EQ(r.restart.policy, RESTART_ON_FAILURE);
	ASSERT_EQ(r.restart.max_retries, 3);
	ASSERT_U64_EQ(r.restart_delay_ms, 50);
	ASSERT_U64_EQ(r.restart_reset_ms, 0);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT_CONTAINS((const char *)b.data,
			"\"restart\":\"on-failure:3\",\"restart_delay_ms\":50,");
	ASSERT_EQ(record_json_decode(&r2, (const char *)b.data, b.len - 1, true, &err), 0);
	ASSERT_EQ(r2.restart.policy, RESTART_ON_FAILURE);
	ASSERT_EQ(r2.restart.max_retries, 3);
	record_done(&r2);
	/* A C-built record with max_retries on a policy that has none is refused. */
	r.restart.policy = RESTART_ALWAYS;
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "only allowed with on-failure");
	buf_done(&b);
	record_done(&r);
}

/* --stop-signal and --stop-timeout: written only when set, read back, limits checked. */
TEST(stop_fields_round_trip)
{
	struct record r, r2;
	struct kerr err;
	struct buf b;

	ASSERT_EQ(parse_req(&r, "", &err), 0);
	ASSERT_EQ(r.stop_signal, 0);
	ASSERT_EQ(r.stop_timeout_ms, -1);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT(!strstr((const char *)b.data, "stop_"));
	buf_done(&b);
	record_done(&r);

	ASSERT_EQ(parse_req(&r, ",\"stop_signal\":10,\"stop_timeout_ms\":0", &err), 0);
	ASSERT_EQ(r.stop_signal, 10);
	ASSERT_EQ(r.stop_timeout_ms, 0);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT_CONTAINS((const char *)b.data, "\"stop_signal\":10,\"stop_timeout_ms\":0}");
	ASSERT_EQ(record_json_decode(&r2, (const char *)b.data, b.len - 1, true, &err), 0);
	ASSERT_EQ(r2.stop_signal, 10);
	ASSERT_EQ(r2.stop_timeout_ms, 0);
	record_done(&r2);
	buf_done(&b);
	record_done(&r);

	ASSERT_EQ(parse_req(&r, ",\"stop_signal\":65", &err), -1);
	ASSERT_STREQ(err.msg, "key `stop_signal`: 65 is out of range, expected 0..64");
	ASSERT_EQ(parse_req(&r, ",\"stop_signal\":\"TERM\"", &err), -1);
	ASSERT_STREQ(err.msg, "key `stop_signal`: expected a number, found a string");
	ASSERT_EQ(parse_req(&r, ",\"stop_timeout_ms\":-2", &err), -1);
	ASSERT_STREQ(err.msg, "--stop-timeout of -2 ms is out of range, expected 0 to a day");
	ASSERT_EQ(parse_req(&r, ",\"stop_timeout_ms\":86400001", &err), -1);
	ASSERT_CONTAINS(err.msg, "--stop-timeout of 86400001 ms is out of range");
}

TEST(request_vs_stored)
{
	struct record r;
	struct kerr err;
	char doc[512];

	/* A request may carry a name; a stored record must have id, name and created. */
	ASSERT_EQ(parse_req(&r, ",\"name\":\"x\"", &err), 0);
	record_done(&r);
	snprintf(doc, sizeof(doc),
		 "{\"version\":1,\"id\":\"%s\",\"created\":\"2024-01-01T00:00:00Z\","
		 "\"rootfs\":\"/r\",\"args\":[\"sh\"]}",
		 ID);
	ASSERT_EQ(parse(&r, doc, true, &err), 0);
	record_done(&r);
	ASSERT_EQ(parse(&r, doc, false, &err), -1);
	ASSERT_CONTAINS(err.msg, "empty container name");
	snprintf(doc, sizeof(doc),
		 "{\"version\":1,\"id\":\"%s\",\"name\":\"n\",\"rootfs\":\"/r\",\"args\":[\"sh\"]}",
		 ID);
	ASSERT_EQ(parse(&r, doc, false, &err), -1);
	ASSERT_STREQ(err.msg, "container record has no creation time after 1970");
	snprintf(doc, sizeof(doc),
		 "{\"version\":1,\"id\":\"%s\",\"name\":\"n\",\"rootfs\":\"/r\",\"args\":[\"sh\"],"
		 "\"created\":\"2024-01-01T00:00:00+02:00\"}",
		 ID);
	ASSERT_EQ(parse(&r, doc, false, &err), 0);
	ASSERT_EQ(r.created_ns, 1704060000LL * 1000000000LL);
	record_done(&r);
	/* A request's id, when present, must still be an id. */
	ASSERT_EQ(parse_req(&r, ",\"id\":\"ABC\"", &err), -1);
	ASSERT_STREQ(err.msg, "container id `ABC` is not 64 lowercase hex characters");
	ASSERT_EQ(parse_req(&r, ",\"id\":\"" ID "0\"", &err), -1);
	ASSERT_CONTAINS(err.msg, "key `id`: `" ID "\xe2\x80\xa6` is not a container id");
	ASSERT_EQ(parse_req(&r, ",\"name\":\"-bad\"", &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid container name `-bad`");
}

/* One rejected document and a piece of the message it must produce. */
struct bad {
	const char *extra; /* members appended to the minimal request */
	const char *msg;   /* expected substring of err.msg */
};

TEST(rejections_with_messages)
{
	static const struct bad cases[] = {
		{ ",\"color\":1", "unknown key `color` in container record" },
		{ ",\"memory\":\"1g\"", "key `memory`: expected a number, found a string" },
		{ ",\"memory\":1.5", "key `memory`: json number `1.5`" },
		{ ",\"memory\":-1", "key `memory`: json number `-1` at byte" },
		{ ",\"memory\":1048576", "--memory of 1048576 bytes is too small: minimum memory "
					 "limit allowed is 6MB" },
		{ ",\"memory\":9223372036854775808", "--memory of 9223372036854775808 bytes "
						     "exceeds limit" },
		{ ",\"cpus\":1024001", "--cpus 1024.001 exceeds limit 1024" },
		{ ",\"pids_limit\":-2", "--pids-limit -2 is out of range" },
		{ ",\"restart\":\"sometimes\"", "key `restart`: unknown restart policy "
						"`sometimes`; allowed: no, on-failure[:MAX], "
						"always, unless-stopped" },
		{ ",\"restart\":3", "key `restart`: expected a string, found a number" },
		{ ",\"restart\":\"on-failure:-1\"", "key `restart`: restart policy "
						    "`on-failure:MAX`, MAX 0..1000000" },
		{ ",\"restart\":\"always\",\"auto_remove\":true",
		  "--restart and --rm cannot be used together" },
		{ ",\"restart_delay_ms\":86400001",
		  "--restart-delay of 86400001 ms exceeds the limit of 86400000 ms (1 day)" },
		{ ",\"restart_reset_ms\":-5", "key `restart_reset_ms`: json number `-5`" },
		{ ",\"log_max_size\":1023", "--log-max-size of 1023 bytes is out of range, "
					    "expected 1024..1099511627776" },
		{ ",\"log_max_size\":1099511627777", "--log-max-size of 1099511627777 bytes" },
		{ ",\"log_max_files\":101", "key `log_max_files`: 101 exceeds 100" },
		{ ",\"log_max_files\":-1", "key `log_max_files`: json number `-1`" },
		{ ",\"health_interval_ms\":5", "--health-* options need --health-cmd" },
		{ ",\"health_on_failure\":\"kill\"", "--health-* options need --health-cmd" },
		{ ",\"health_cmd\":\"\"", "--health-cmd is empty, expected a shell command" },
		{ ",\"health_cmd\":7", "key `health_cmd`: expected a string, found a number" },
		{ ",\"health_cmd\":\"true\",\"health_on_failure\":\"reboot\"",
		  "key `health_on_failure`: unknown action `reboot`, expected none, kill, restart "
		  "or stop" },
		{ ",\"health_cmd\":\"true\",\"health_timeout_ms\":86400001",
		  "--health-timeout of 86400001 ms exceeds the limit of 1 day (86400000 ms)" },
		{ ",\"health_cmd\":\"true\",\"health_retries\":1000001",
		  "--health-retries 1000001 exceeds the limit of 1000000" },
		{ ",\"health_cmd\":\"true\",\"health_retries\":-1",
		  "key `health_retries`: json number `-1`" },
		{ ",\"health_cmd\":\"true\",\"health_start_period_ms\":0", NULL },
		{ ",\"read_only\":1", "key `read_only`: expected a boolean, found a number" },
		{ ",\"env\":\"A=B\"", "key `env`: expected an array, found a string" },
		{ ",\"env\":[1]", "key `env[0]`: expected a string, found a number" },
		{ ",\"env\":[\"A=B\",\"NOEQ\"]",
		  "--env entry `NOEQ` has no `=`, expected KEY=VALUE" },
		{ ",\"env\":[\"=v\"]", "--env entry `=v` has an empty key" },
		{ ",\"labels\":[\"novalue\"]", "--label entry `novalue` has no `=`" },
		{ ",\"workdir\":\"rel\"", "--workdir `rel` is not an absolute path" },
		{ ",\"workdir\":\"/a/../b\"", "--workdir `/a/../b` has a `..` component" },
		{ ",\"workdir\":\"/a/..\"", "has a `..` component" },
		{ ",\"workdir\":\"/a/..b/c...\"", NULL },
		{ ",\"workdir\":7", "key `workdir`: expected a string, found a number" },
		{ ",\"user\":{\"uid\":1}", "key `user.gid` is missing" },
		{ ",\"user\":{\"uid\":1,\"gid\":2,\"name\":\"x\"}",
		  "unknown key `name` in `user`" },
		{ ",\"user\":{\"uid\":4294967295,\"gid\":0}", "key `user.uid`: 4294967295 is out "
							      "of range, expected 0..4294967294" },
		{ ",\"user\":[]", "key `user`: expected an object, found an array" },
		{ ",\"mounts\":[{\"source\":\"/h\"}]", "key `mounts[0].destination` is missing" },
		{ ",\"mounts\":[{\"source\":\"h\",\"destination\":\"/c\"}]",
		  "--volume source `h` is not an absolute path" },
		{ ",\"mounts\":[{\"source\":\"/h\",\"destination\":\"/c/../../etc\"}]",
		  "--volume destination `/c/../../etc` has a `..` component" },
		{ ",\"mounts\":[{\"source\":\"/h\",\"destination\":\"//\"}]",
		  "--volume destination `//` is the container's root" },
		{ ",\"mounts\":[{\"source\":\"/h\",\"destination\":\"/c\",\"ro\":true}]",
		  "unknown key `ro` in `mounts[0]`" },
		{ ",\"mounts\":[{\"source\":\"/h\",\"destination\":\"/c\",\"readonly\":\"yes\"}]",
		  "key `mounts[0].readonly`: expected a boolean, found a string" },
		{ ",\"mounts\":[{\"source\":\"/h\",\"destination\":\"/c\"}],\"tmpfs\":[\"/c/\"]",
		  "duplicate mount point `/c`" },
		{ ",\"tmpfs\":[\"tmp\"]", "--tmpfs `tmp` is not an absolute path" },
		{ ",\"tmpfs\":[\"/\"]", "--tmpfs `/` is the container's root" },
		{ ",\"hostname\":\"\"", "hostname `` is 0 bytes long, expected 1 to 64" },
		{ ",\"hostname\":\"a_b\"",
		  "invalid hostname `a_b`, only [a-zA-Z0-9.-] is allowed" },
		{ ",\"hostname\":"
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		  "is 65 bytes long, expected 1 to 64" },
		{ ",\"network\":\"bogus\"", "key `network`: unknown mode `bogus`, expected none, "
					    "host, bridge, container:NAME or ns:PATH" },
		{ ",\"network\":\"ns:\"", "--network ns: path `` is not an absolute path" },
		{ ",\"network\":null", "key `network`: expected a string, found null" },
		{ ",\"cap_add\":[\"net_admin\"]", "--cap-add: capability `net_admin` is not in "
						  "canonical form, expected `CAP_NET_ADMIN`" },
		{ ",\"cap_drop\":[\"CAP_FLY\"]", "--cap-drop: unknown capability `CAP_FLY`" },
		{ ",\"runtime\":\"runc\"", "--runtime `runc` is not an absolute path" },
		{ ",\"created\":\"yesterday\"", "key `created`: invalid timestamp `yesterday`" },
		{ ",\"bundle\":\"/b\"", "--rootfs and --bundle are mutually exclusive" },
	};
	struct record r;
	struct kerr err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_req(&r, cases[i].extra, &err);

		if (!cases[i].msg) {
			if (rc != 0)
				HARNESS_FAIL("case %zu `%s` failed: %s", i, cases[i].extra,
					     err.msg);
			record_done(&r);
			continue;
		}
		if (rc != -1)
			HARNESS_FAIL("case %zu `%s` was accepted", i, cases[i].extra);
		if (!strstr(err.msg, cases[i].msg))
			HARNESS_FAIL("case %zu `%s`: \"%s\" lacks \"%s\"", i, cases[i].extra,
				     err.msg, cases[i].msg);
		/* A failed parse leaves nothing behind. */
		ASSERT(r.rootfs == NULL && r.args.n == 0 && r.env.n == 0 && r.nmounts == 0);
	}
}

TEST(document_level_rejections)
{
	struct record r;
	struct kerr err;

	ASSERT_EQ(parse(&r, "{\"rootfs\":\"/r\",\"args\":[\"sh\"]}", true, &err), -1);
	ASSERT_STREQ(err.msg, "key `version` is missing, expected 1");
	ASSERT_EQ(parse(&r, "{\"version\":2,\"future\":1}", true, &err), -1);
	ASSERT_STREQ(err.msg, "key `version`: unsupported record version 2, expected 1");
	ASSERT_EQ(parse(&r, "{\"version\":\"1\"}", true, &err), -1);
	ASSERT_STREQ(err.msg, "key `version`: expected a number, found a string");
	ASSERT_EQ(parse(&r, "[1]", true, &err), -1);
	ASSERT_STREQ(err.msg, "container record: expected an object, found an array");
	ASSERT_EQ(parse(&r, "{\"version\":1,", true, &err), -1);
	ASSERT_CONTAINS(err.msg, "container record: invalid json");
	ASSERT_EQ(parse(&r, "{\"version\":1,\"version\":1}", true, &err), -1);
	ASSERT_CONTAINS(err.msg, "duplicate key `version`");
	ASSERT_EQ(parse(&r, "{\"version\":1}", true, &err), -1);
	ASSERT_STREQ(err.msg, "one of --rootfs or --bundle is required");
	ASSERT_EQ(parse(&r, "{\"version\":1,\"rootfs\":\"/r\"}", true, &err), -1);
	ASSERT_STREQ(err.msg, "no command given: kettle run --rootfs DIR needs a command");
	ASSERT_EQ(parse(&r, "{\"version\":1,\"rootfs\":\"r\",\"args\":[\"x\"]}", true, &err), -1);
	ASSERT_CONTAINS(err.msg, "--rootfs `r` is not an absolute path");
	/* A bundle needs no command: its config.json has one. */
	ASSERT_EQ(parse(&r, "{\"version\":1,\"bundle\":\"/b\"}", true, &err), 0);
	record_done(&r);
	/* --init rewrites the process of a generated config.json only. */
	ASSERT_EQ(parse(&r, "{\"version\":1,\"bundle\":\"/b\",\"init\":true}", true, &err), -1);
	ASSERT_STREQ(err.msg, "--init needs --rootfs (a --bundle's config.json is used as it is)");
	ASSERT_EQ(parse(&r, "{\"version\":1,\"bundle\":\"/b\",\"init\":1}", true, &err), -1);
	ASSERT_CONTAINS(err.msg, "init");
	/* Unknown keys are shown sanitized. */
	ASSERT_EQ(parse(&r, "{\"version\":1,\"a\\u0001\":0}", true, &err), -1);
	ASSERT_STREQ(err.msg, "unknown key `a\\\\u0001` in container record");
}

TEST(size_caps)
{
	struct record r;
	struct kerr err;
	size_t big = RECORD_JSON_MAX + 1;
	char *doc = malloc(big + 1);
	size_t n;

	ASSERT(doc != NULL);
	memset(doc, ' ', big);
	doc[big] = '\0';
	ASSERT_EQ(record_json_decode(&r, doc, big, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "container record of 524289 bytes exceeds limit 524288");

	/* RECORD_LIST_MAX + 1 args. */
	n = (size_t)snprintf(doc, big, "{\"version\":1,\"rootfs\":\"/r\",\"args\":[");
	for (int i = 0; i <= RECORD_LIST_MAX; i++)
		n += (size_t)snprintf(doc + n, big - n, "%s\"a\"", i ? "," : "");
	n += (size_t)snprintf(doc + n, big - n, "]}");
	ASSERT_EQ(record_json_decode(&r, doc, n, true, &err), -1);
	ASSERT_STREQ(err.msg, "key `args`: 1025 entries exceed limit 1024");

	/* Exactly RECORD_LIST_MAX is fine. */
	n = (size_t)snprintf(doc, big, "{\"version\":1,\"rootfs\":\"/r\",\"args\":[");
	for (int i = 0; i < RECORD_LIST_MAX; i++)
		n += (size_t)snprintf(doc + n, big - n, "%s\"a\"", i ? "," : "");
	n += (size_t)snprintf(doc + n, big - n, "]}");
	ASSERT_EQ(record_json_decode(&r, doc, n, true, &err), 0);
	ASSERT_EQ(r.args.n, RECORD_LIST_MAX);
	record_done(&r);

	/* A string one byte over RECORD_STR_MAX, and one at it. */
	for (int over = 0; over < 2; over++) {
		n = (size_t)snprintf(doc, big, "{\"version\":1,\"rootfs\":\"/r\",\"args\":[\"");
		memset(doc + n, 'x', RECORD_STR_MAX + over);
		n += RECORD_STR_MAX + over;
		n += (size_t)snprintf(doc + n, big - n, "\"]}");
		int rc = record_json_decode(&r, doc, n, true, &err);

		if (over) {
			ASSERT_EQ(rc, -1);
			ASSERT_STREQ(err.msg,
				     "key `args[0]`: string of 4097 bytes exceeds limit 4096");
		} else {
			ASSERT_EQ(rc, 0);
			record_done(&r);
		}
	}
	free(doc);
}

TEST(validate_c_built_records)
{
	struct record r;
	struct kerr err;
	char *args[] = { "true", NULL };
	char *caps[] = { "CAP_SYS_ADMIN", NULL };
	char *bad_caps[] = { "SYS_ADMIN", NULL };

	record_init(&r);
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_STREQ(err.msg, "one of --rootfs or --bundle is required");
	r.rootfs = "/r";
	r.args = (struct record_strv){ .v = args, .n = 1 };
	ASSERT_EQ(record_validate(&r, true, &err), 0);
	r.cap_add = (struct record_strv){ .v = caps, .n = 1 };
	ASSERT_EQ(record_validate(&r, true, &err), 0);
	r.cap_add = (struct record_strv){ .v = bad_caps, .n = 1 };
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected `CAP_SYS_ADMIN`");
	r.cap_add.n = 0;
	r.memory_bytes = 6u << 20;
	ASSERT_EQ(record_validate(&r, true, &err), 0);
	r.memory_bytes = (6u << 20) - 1;
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	r.memory_bytes = 0;
	r.pids_limit = -1;
	ASSERT_EQ(record_validate(&r, true, &err), 0);
	r.cpus_milli = 1024 * 1000;
	ASSERT_EQ(record_validate(&r, true, &err), 0);
	r.network = RECORD_NET_HOST;
	r.netns_path = "/x";
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "not ns:PATH");
	r.netns_path = NULL;
	r.network = (enum record_network)9;
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "--network mode 9 is unknown");
	r.network = RECORD_NET_NONE;
	r.user_set = true;
	r.uid = UINT32_MAX;
	ASSERT_EQ(record_validate(&r, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "--user 4294967295:0 is out of range");
	/* Stored mode needs the identity the daemon assigns. */
	r.user_set = false;
	ASSERT_EQ(record_validate(&r, false, &err), -1);
	ASSERT_STREQ(err.msg, "container record has no id");
	memcpy(r.id, ID, sizeof(ID));
	strcpy(r.name, "n");
	r.created_ns = 1;
	ASSERT_EQ(record_validate(&r, false, &err), 0);
	/* Nothing above was allocated by the record: do not record_done it. */
}

TEST(canonical_caps)
{
	static const char *const same[] = { "net_admin", "NET_ADMIN", "CAP_NET_ADMIN",
					    "cap_net_admin", "Cap_Net_Admin" };
	struct kerr err;
	char out[64];
	size_t n = 0, d = 0;

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		ASSERT_EQ(record_canonical_cap(same[i], out, sizeof(out), &err), 0);
		ASSERT_STREQ(out, "CAP_NET_ADMIN");
	}
	ASSERT_EQ(record_canonical_cap("all", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "ALL");
	ASSERT_EQ(record_canonical_cap("ALL", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "ALL");
	ASSERT_EQ(record_canonical_cap("cap_all", out, sizeof(out), &err), -1);
	ASSERT_EQ(record_canonical_cap("", out, sizeof(out), &err), -1);
	ASSERT_EQ(record_canonical_cap("CAP_", out, sizeof(out), &err), -1);
	ASSERT_EQ(record_canonical_cap("fly", out, sizeof(out), &err), -1);
	ASSERT_STREQ(err.msg, "unknown capability `fly`, expected a Linux capability such as "
			      "NET_ADMIN or CAP_NET_ADMIN, or ALL");
	ASSERT_EQ(record_canonical_cap("net_admin", out, 8, &err), -1);
	ASSERT_CONTAINS(err.msg, "does not fit a buffer of 8 bytes");
	/* Very long input is bounded in the message. */
	char longcap[300];
	memset(longcap, 'A', sizeof(longcap) - 1);
	longcap[sizeof(longcap) - 1] = '\0';
	ASSERT_EQ(record_canonical_cap(longcap, out, sizeof(out), &err), -1);
	ASSERT_CONTAINS(err.msg, "\xe2\x80\xa6`");

	while (record_all_caps[n])
		n++;
	ASSERT_EQ(n, 41);
	ASSERT_STREQ(record_all_caps[0], "CAP_CHOWN");
	ASSERT_STREQ(record_all_caps[21], "CAP_SYS_ADMIN");
	ASSERT_STREQ(record_all_caps[40], "CAP_CHECKPOINT_RESTORE");
	for (; record_default_caps[d]; d++) {
		/* Every default is a known, canonical name. */
		ASSERT_EQ(record_canonical_cap(record_default_caps[d], out, sizeof(out), &err), 0);
		ASSERT_STREQ(out, record_default_caps[d]);
	}
	ASSERT_EQ(d, 14);
}

static void command_line(const char *const *argv, size_t n, char *out, size_t cap)
{
	struct record r;

	record_init(&r);
	r.args = (struct record_strv){ .v = (char **)argv, .n = n };
	record_command_line(&r, out, cap);
}

TEST(command_line_quoting_and_truncation)
{
	static const char *const plain[] = { "sh", "-c", "true" };
	static const char *const quoted[] = { "echo",	    "a b",	   "",
					      "say \"hi\"", "back\\slash", "tab\there" };
	static const char *const utf8[] = { "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" };
	char out[256];

	command_line(plain, 3, out, sizeof(out));
	ASSERT_STREQ(out, "sh -c true");
	command_line(quoted, 6, out, sizeof(out));
	ASSERT_STREQ(out,
		     "echo \"a b\" \"\" \"say \\\"hi\\\"\" \"back\\\\slash\" \"tab\\x09here\"");
	command_line(plain, 0, out, sizeof(out));
	ASSERT_STREQ(out, "");
	/* 10 bytes fit in 11; 9+"…" would not: "sh -c " + "…". */
	command_line(plain, 3, out, 11);
	ASSERT_STREQ(out, "sh -c true");
	command_line(plain, 3, out, 10);
	ASSERT_STREQ(out, "sh -c \xe2\x80\xa6");
	ASSERT(strlen(out) < 10);
	/* Never half a UTF-8 character before the ellipsis: 8 bytes of é, cap 8. */
	command_line(utf8, 1, out, 8);
	ASSERT_STREQ(out, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	command_line(utf8, 1, out, 7);
	ASSERT_STREQ(out, "\xc3\xa9\xe2\x80\xa6");
	command_line(utf8, 1, out, 3);
	ASSERT_STREQ(out, "\xc3\xa9");
	command_line(utf8, 1, out, 1);
	ASSERT_STREQ(out, "");
}

RUN_TESTS(T(full_round_trip), T(request_defaults_and_nulls), T(restart_policy_round_trip),
	  T(stop_fields_round_trip), T(request_vs_stored), T(rejections_with_messages),
	  T(document_level_rejections), T(size_caps), T(validate_c_built_records),
	  T(canonical_caps), T(command_line_quoting_and_truncation))
