/*
 * daemon_registry_test: name/id/prefix resolution and the pending-request bookkeeping of
 * the daemon's registry, on an in-memory registry without a loop, shims or disk.
 */
#include <string.h>

#include "daemon/daemon_registry.h"
#include "harness.h"

static struct daemon_ctr *add(struct daemon *d, const char *id, const char *name)
{
	struct record rec;
	struct kerr err;

	record_init(&rec);
	strcpy(rec.id, id);
	strcpy(rec.name, name);
	struct daemon_ctr *c = daemon_ctr_new(d, &rec);
	if (c && daemon_ctr_add(d, c, &err) < 0)
		return NULL;
	return c;
}

static const char id_a[] = "ab12000000000000000000000000000000000000000000000000000000000001";
static const char id_b[] = "ab34000000000000000000000000000000000000000000000000000000000002";
static const char id_c[] = "cd00000000000000000000000000000000000000000000000000000000000003";

static void setup(struct daemon *d)
{
	*d = (struct daemon){ .rootfd = -1, .lockfd = -1 };
	add(d, id_a, "web");
	add(d, id_b, "db");
	add(d, id_c, "ab"); /* a name that is also a prefix of two ids */
}

TEST(resolve_by_name_id_and_prefix)
{
	struct daemon d;
	struct kerr err;
	uint32_t code = 0;

	setup(&d);
	struct daemon_ctr *c = daemon_resolve(&d, "web", &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.id, id_a);
	c = daemon_resolve(&d, id_b, &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.name, "db");
	c = daemon_resolve(&d, "ab3", &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.name, "db");
	c = daemon_resolve(&d, "c", &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.name, "ab");
	/* The exact name wins over the prefix it also is. */
	c = daemon_resolve(&d, "ab", &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.id, id_c);
	daemon_registry_free(&d);
}

TEST(resolve_errors)
{
	struct daemon d;
	struct kerr err;
	uint32_t code = 0;

	setup(&d);
	ASSERT(daemon_resolve(&d, "a", &code, &err) == NULL);
	ASSERT_EQ(code, DAEMON_FAIL_CODE);
	ASSERT_CONTAINS(err.msg, "ambiguous container prefix `a` matches 2 containers");
	ASSERT_CONTAINS(err.msg, "ab1200000000, ab3400000000");
	ASSERT(daemon_resolve(&d, "nosuch", &code, &err) == NULL);
	ASSERT_EQ(code, DAEMON_NOT_FOUND_CODE);
	ASSERT_STREQ(err.msg, "no such container: `nosuch`");
	ASSERT(daemon_resolve(&d, "ef", &code, &err) == NULL);
	ASSERT_EQ(code, DAEMON_NOT_FOUND_CODE);
	ASSERT(daemon_resolve(&d, "", &code, &err) == NULL);
	ASSERT_EQ(code, DAEMON_FAIL_CODE);
	/* Hostile bytes are quoted sanitized. */
	ASSERT(daemon_resolve(&d, "x\x1b[2Jy", &code, &err) == NULL);
	ASSERT(strchr(err.msg, '\x1b') == NULL);
	daemon_registry_free(&d);
}

TEST(forget_keeps_order_and_lookups)
{
	struct daemon d;
	struct kerr err;
	uint32_t code = 0;

	setup(&d);
	daemon_ctr_forget(&d, daemon_find_name(&d, "db"), "gone");
	ASSERT_EQ(d.nctrs, 2);
	ASSERT_STREQ(d.ctrs[0]->rec.name, "web");
	ASSERT_STREQ(d.ctrs[1]->rec.name, "ab");
	ASSERT(daemon_find_id(&d, id_b) == NULL);
	/* "a" is no longer ambiguous. */
	struct daemon_ctr *c = daemon_resolve(&d, "a", &code, &err);
	ASSERT(c != NULL);
	ASSERT_STREQ(c->rec.name, "web");
	daemon_registry_free(&d);
	ASSERT_EQ(d.nctrs, 0);
}

TEST(pending_list_is_capped_and_ordered)
{
	struct daemon d;
	struct kerr err;

	setup(&d);
	struct daemon_ctr *c = daemon_find_name(&d, "web");
	for (int i = 0; i < DAEMON_WAITERS_MAX; i++)
		ASSERT(daemon_pend_add(c, DAEMON_PEND_WAIT, 0, 0, (uint32_t)i, &err) != NULL);
	ASSERT(daemon_pend_add(c, DAEMON_PEND_WAIT, 0, 0, 0, &err) == NULL);
	ASSERT_CONTAINS(err.msg, "limit 1024");
	ASSERT_EQ(c->pend->client_reqid, 0);
	ASSERT_EQ(c->pend->next->client_reqid, 1);
	daemon_pend_drop(c, c->pend->next);
	ASSERT_EQ(c->npend, DAEMON_WAITERS_MAX - 1);
	ASSERT_EQ(c->pend->next->client_reqid, 2);
	/* Forgetting a container with waiters (no clients connected) frees them all. */
	daemon_registry_free(&d);
}

TEST(running_needs_a_live_shim)
{
	struct daemon d;

	setup(&d);
	struct daemon_ctr *c = daemon_find_name(&d, "web");
	c->st.kind = STATUS_RUNNING;
	ASSERT(!daemon_ctr_running(c)); /* no shim: not running, whatever the file said */
	c->shim_pid = 1234;
	ASSERT(daemon_ctr_running(c));
	c->shim_exiting = true;
	ASSERT(!daemon_ctr_shim_alive(c));
	ASSERT(!daemon_ctr_running(c));
	c->shim_pid = 0;
	daemon_registry_free(&d);
}

RUN_TESTS(T(resolve_by_name_id_and_prefix), T(resolve_errors), T(forget_keeps_order_and_lookups),
	  T(pending_list_is_capped_and_ordered), T(running_needs_a_live_shim))
