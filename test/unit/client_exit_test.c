/*
 * client_exit_test: the exit-code table (test layer, tests src/client/client_exit.c):
 * docker's codes per command and class, a container's own code passed through untouched,
 * ERROR's CODE read as a class, and no failure ever leaving with 0.
 */
#include "client/client.h"
#include "harness.h"

#define F(c) CLIENT_FAILED(c)

TEST(codes_pass_through)
{
	for (int rc = 0; rc <= 255; rc++) {
		ASSERT_EQ(client_exit_code("run", rc), rc);
		ASSERT_EQ(client_exit_code("stop", rc), rc);
		ASSERT_EQ(client_exit_code(NULL, rc), rc);
	}
}

TEST(run)
{
	ASSERT_EQ(client_exit_code("run", F(CLIENT_BAD_FLAG)), 125);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_BAD_ARGS)), 1);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_NOT_FOUND)), 125);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_REFUSED)), 125);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_CANNOT_EXEC)), 126);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_CMD_NOT_FOUND)), 127);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_DAEMON_GONE)), 125);
}

TEST(exec_and_create)
{
	ASSERT_EQ(client_exit_code("exec", F(CLIENT_BAD_FLAG)), 125);
	ASSERT_EQ(client_exit_code("exec", F(CLIENT_NOT_FOUND)), 1);
	ASSERT_EQ(client_exit_code("exec", F(CLIENT_REFUSED)), 1);
	ASSERT_EQ(client_exit_code("exec", F(CLIENT_CANNOT_EXEC)), 126);
	ASSERT_EQ(client_exit_code("exec", F(CLIENT_CMD_NOT_FOUND)), 127);
	ASSERT_EQ(client_exit_code("create", F(CLIENT_BAD_FLAG)), 125);
	ASSERT_EQ(client_exit_code("create", F(CLIENT_REFUSED)), 1);
	ASSERT_EQ(client_exit_code("create", F(CLIENT_CMD_NOT_FOUND)), 1);
}

TEST(every_other_command)
{
	static const char *const names[] = { "stop", "start",  "rm",	  "kill", "ps",
					     "logs", "events", "inspect", "cp",	  NULL };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ASSERT_EQ(client_exit_code(names[i], F(CLIENT_BAD_FLAG)), 125);
		for (int c = CLIENT_BAD_ARGS; c < CLIENT_NCLASSES; c++) {
			if (c == CLIENT_DAEMON_GONE && names[i] && !strcmp(names[i], "start"))
				continue;
			ASSERT_EQ(client_exit_code(names[i], F(c)), 1);
		}
	}
	/* Those that wait out a daemon restart say 125 when it never came back. */
	ASSERT_EQ(client_exit_code("start", F(CLIENT_DAEMON_GONE)), 125);
	ASSERT_EQ(client_exit_code("attach", F(CLIENT_DAEMON_GONE)), 125);
	ASSERT_EQ(client_exit_code("wait", F(CLIENT_DAEMON_GONE)), 125);
	ASSERT_EQ(client_exit_code("events", F(CLIENT_DAEMON_GONE)), 1);
}

TEST(never_zero)
{
	/* A result no class makes (a slip) still fails: as refused. */
	ASSERT_EQ(client_exit_code("run", F(0)), 125);
	ASSERT_EQ(client_exit_code("run", F(CLIENT_NCLASSES)), 125);
	ASSERT_EQ(client_exit_code("stop", 0x2ff), 1);
	ASSERT_EQ(client_exit_code("stop", -1), 1);
}

TEST(codes_on_the_wire)
{
	ASSERT_EQ(client_exit_class(WIRE_FAIL_NOT_FOUND), CLIENT_NOT_FOUND);
	ASSERT_EQ(client_exit_class(WIRE_FAIL_KETTLE), CLIENT_REFUSED);
	ASSERT_EQ(client_exit_class(WIRE_FAIL_CANNOT_EXEC), CLIENT_CANNOT_EXEC);
	ASSERT_EQ(client_exit_class(WIRE_FAIL_CMD_NOT_FOUND), CLIENT_CMD_NOT_FOUND);
	ASSERT_EQ(client_exit_class(0), CLIENT_REFUSED);
	ASSERT_EQ(client_exit_class(2), CLIENT_REFUSED);
	/* A class is numbered as run's exit code for it: older clients exit as they did. */
	ASSERT_EQ(client_exit_code("run", F(client_exit_class(WIRE_FAIL_KETTLE))), 125);
	ASSERT_EQ(client_exit_code("run", F(client_exit_class(WIRE_FAIL_CANNOT_EXEC))), 126);
	ASSERT_EQ(client_exit_code("run", F(client_exit_class(WIRE_FAIL_CMD_NOT_FOUND))), 127);
}

RUN_TESTS(T(codes_pass_through), T(run), T(exec_and_create), T(every_other_command), T(never_zero),
	  T(codes_on_the_wire))
