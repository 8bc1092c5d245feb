/*
 * filter_test: `ps --filter` parsing and matching (src/filter) (test layer).
 *
 * docker's semantics: values of one key are alternatives, different keys all hold, label
 * filters all hold; name is a regular expression (or the exact name), id a prefix; exited
 * needs a container that ran and stopped; before/since compare creation; bad keys and
 * values fail with a message naming them.
 */
#include <string.h>

#include "filter/filter.h"
#include "harness.h"

static const char *const labels[] = { "app=web", "tier=front", "app=api" };
static const char *const src[] = { "/srv/data" };
static const char *const dst[] = { "/data" };
static const char *const nets[] = { "none" };

/* A running web container created at t=100. */
static struct filter_ctr web(void)
{
	return (struct filter_ctr){
		.id = "3b2cbf074c99db4a0cad35966a9e24d7bc277f5565c17233386589029b7db273",
		.name = "web-1",
		.labels = labels,
		.nlabels = 3,
		.state = "running",
		.running = true,
		.started = true,
		.exit_code = 0,
		.health = "healthy",
		.image = "/srv/rootfs",
		.created_ns = 100,
		.mount_src = src,
		.mount_dst = dst,
		.nmounts = 1,
		.networks = nets,
		.nnetworks = 1,
	};
}

static bool matches(const char *text, const struct filter_ctr *c)
{
	struct filter_set fs;
	struct kerr err;

	if (filter_parse(text, &fs, &err) < 0) {
		fprintf(stderr, "  parse `%s`: %s\n", text, err.msg);
		return false;
	}
	bool m = filter_match(&fs, c);
	filter_set_done(&fs);
	return m;
}

TEST(keys_match)
{
	struct filter_ctr c = web();

	ASSERT(matches("", &c));
	ASSERT(matches("id=3b2c", &c));
	ASSERT(!matches("id=b2c", &c));
	ASSERT(matches("name=web", &c));
	ASSERT(matches("name=^web-[0-9]$", &c));
	ASSERT(matches("name=/web-1", &c));
	ASSERT(!matches("name=^eb", &c));
	ASSERT(matches("status=running", &c));
	ASSERT(!matches("status=exited", &c));
	ASSERT(matches("health=healthy", &c));
	ASSERT(matches("ancestor=/srv/rootfs", &c));
	ASSERT(matches("volume=/data", &c));
	ASSERT(matches("volume=/srv/data", &c));
	ASSERT(!matches("volume=/srv", &c));
	ASSERT(matches("network=none", &c));
	ASSERT(!matches("network=host", &c));
	ASSERT(!matches("publish=80", &c));
}

TEST(labels_all_hold)
{
	struct filter_ctr c = web();

	ASSERT(matches("label=tier", &c));
	/* A key given twice: its last value counts, as docker's map keeps it. */
	ASSERT(matches("label=app=api", &c));
	ASSERT(!matches("label=app=web", &c));
	ASSERT(matches("label=app\nlabel=tier=front", &c));
	ASSERT(!matches("label=app\nlabel=nope", &c));
}

TEST(same_key_or_different_keys_and)
{
	struct filter_ctr c = web();

	ASSERT(matches("status=exited\nstatus=running", &c));
	ASSERT(matches("status=running\nname=web", &c));
	ASSERT(!matches("status=running\nname=db", &c));
	ASSERT(matches("name=db\nname=web\nstatus=running", &c));
}

TEST(exited_needs_a_stopped_run)
{
	struct filter_ctr c = web();

	ASSERT(!matches("exited=0", &c));
	c.running = false;
	c.state = "exited";
	c.exit_code = 3;
	ASSERT(matches("exited=3", &c));
	ASSERT(matches("exited=0\nexited=3", &c));
	c.started = false;
	c.state = "created";
	c.exit_code = 0;
	ASSERT(!matches("exited=0", &c));
}

TEST(before_and_since)
{
	struct filter_ctr c = web();
	struct filter_set fs;
	struct kerr err;

	ASSERT_EQ(filter_parse("before=x", &fs, &err), 0);
	ASSERT_STREQ(filter_value(&fs, FILTER_BEFORE), "x");
	fs.before_ns = 200;
	strcpy(fs.before_id, "ffff");
	ASSERT(filter_match(&fs, &c));
	fs.before_ns = 100;
	strcpy(fs.before_id, c.id); /* the reference itself is not before itself */
	ASSERT(!filter_match(&fs, &c));
	filter_set_done(&fs);
	ASSERT_EQ(filter_parse("since=x", &fs, &err), 0);
	fs.since_ns = 50;
	strcpy(fs.since_id, "0");
	ASSERT(filter_match(&fs, &c));
	fs.since_ns = 100;
	strcpy(fs.since_id, c.id);
	ASSERT(!filter_match(&fs, &c));
	filter_set_done(&fs);
}

TEST(ports)
{
	static const struct filter_port pub[] = { { .port = 8080, .proto = "tcp" } };
	struct filter_ctr c = web();

	c.published = pub;
	c.npublished = 1;
	ASSERT(matches("publish=8080", &c));
	ASSERT(matches("publish=8000-8100/tcp", &c));
	ASSERT(!matches("publish=8080/udp", &c));
	ASSERT(!matches("expose=8080", &c));
}

TEST(bad_filters)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "bogus=1", "invalid filter `bogus`, expected one of ancestor, before, expose, "
			     "exited, health, id, label, name, network, publish, since, status, "
			     "volume" },
		{ "status=up", "invalid filter `status=up`, expected status=created, restarting, "
			       "running, removing, paused, exited or dead" },
		{ "health=ok", "invalid filter `health=ok`, expected health=starting, healthy, "
			       "unhealthy or none" },
		{ "exited=x", "invalid filter `exited=x`, expected an exit code" },
		{ "noequals", "bad format of filter `noequals` (expected name=value)" },
		{ "publish=1:80", "filter for `publish` should not contain ':': `1:80`" },
		{ "publish=99999", "invalid filter `publish=99999`: expected a port or a range of "
				   "ports (1-65535), with an optional /tcp, /udp or /sctp" },
		{ "label=", "filter `label=` needs a value" },
		{ "name=((a{255}){255}){255}",
		  "invalid filter `name=((a{255}){255}){255}`: repetition counts ({n}), stacked "
		  "repetition operators (++, *?) and back references (\\1) are not supported" },
		{ "name=(a)\\1", "invalid filter `name=(a)\\\\1`: repetition counts ({n}), stacked "
				 "repetition operators (++, *?) and back references (\\1) are not "
				 "supported" },
		{ "name=ao+++++", "invalid filter `name=ao+++++`: repetition counts ({n}), stacked "
				  "repetition operators (++, *?) and back references (\\1) are not "
				  "supported" },
	};
	struct filter_set fs;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(filter_parse(bad[i].text, &fs, &err), -1);
		ASSERT_STREQ(err.msg, bad[i].msg);
	}
	/* Seventeen filters are one too many. */
	char many[17 * 8 + 1] = "";
	for (int i = 0; i < 17; i++)
		strcat(many, "id=ab\n");
	ASSERT_EQ(filter_parse(many, &fs, &err), -1);
	ASSERT_STREQ(err.msg, "more than 16 filters");
	/* A status filter lists stopped containers too. */
	ASSERT_EQ(filter_parse("status=exited", &fs, &err), 0);
	ASSERT(fs.all);
	filter_set_done(&fs);
}

RUN_TESTS(T(keys_match), T(labels_all_hold), T(same_key_or_different_keys_and),
	  T(exited_needs_a_stopped_run), T(before_and_since), T(ports), T(bad_filters))
