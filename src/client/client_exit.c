/*
 * client_exit: the one table of kettle's exit codes (layer 3, client role): per command,
 * the code each class of failure exits with, as docker's CLI does: a malformed command
 * line 125 everywhere; anything else 1, except `run` (125 for every failure before the
 * container runs, 126/127 for a command that cannot be executed or is not found) and
 * `exec` (126/127 for a command that could not be started); `create` exits 1 for what the
 * daemon refused, as `docker create` does. A container's own exit code never reaches the
 * table. kettle's own class: a daemon that went away during `run`, `start -a`, `attach`
 * or `wait` and stayed away past --reconnect-timeout exits 125.
 */
#include <stddef.h>
#include <string.h>

#include "client/client.h"

/* One command's row: the exit code of each class, in enum client_class order (the
 * _Static_assert below keeps the columns and the enum together). */
struct exit_row {
	const char *command;		   /* "run"; NULL: every command not listed */
	uint8_t code[CLIENT_NCLASSES - 1]; /* [class - 1] */
};

_Static_assert(CLIENT_BAD_FLAG == 1 && CLIENT_BAD_ARGS == 2 && CLIENT_NOT_FOUND == 3 &&
		       CLIENT_REFUSED == 4 && CLIENT_CANNOT_EXEC == 5 &&
		       CLIENT_CMD_NOT_FOUND == 6 && CLIENT_DAEMON_GONE == 7 && CLIENT_NCLASSES == 8,
	       "the table's columns follow enum client_class");

/* Columns: bad flag, bad args, not found, refused, cannot execute (126), command not
 * found (127), daemon gone. */
static const struct exit_row rows[] = {
	{ "run", { 125, 1, 125, 125, 126, 127, 125 } },
	{ "create", { 125, 1, 1, 1, 1, 1, 1 } },
	{ "exec", { 125, 1, 1, 1, 126, 127, 1 } },
	{ "start", { 125, 1, 1, 1, 1, 1, 125 } },
	{ "attach", { 125, 1, 1, 1, 1, 1, 125 } },
	{ "wait", { 125, 1, 1, 1, 1, 1, 125 } },
	{ NULL, { 125, 1, 1, 1, 1, 1, 1 } },
};

enum client_class client_exit_class(uint32_t code)
{
	switch (code) {
	case WIRE_FAIL_NOT_FOUND:
		return CLIENT_NOT_FOUND;
	case WIRE_FAIL_CANNOT_EXEC:
		return CLIENT_CANNOT_EXEC;
	case WIRE_FAIL_CMD_NOT_FOUND:
		return CLIENT_CMD_NOT_FOUND;
	default:
		return CLIENT_REFUSED;
	}
}

int client_exit_code(const char *command, int rc)
{
	const struct exit_row *r = rows;
	int class = rc & 0xff;

	if (rc >= 0 && rc <= 255)
		return rc;
	if (rc < 0 || (rc & ~0xff) != CLIENT_FAILED(0) || class == 0 || class >= CLIENT_NCLASSES)
		class = CLIENT_REFUSED; /* a slip of ours: still a failure, never 0 */
	while (r->command && (!command || strcmp(r->command, command) != 0))
		r++;
	return r->code[class - 1];
}
