/*
 * client_version: `kettle version` and `kettle --version` (layer 3, client role).
 *
 * Prints the version of this binary; `kettle version` adds the version of the daemon of
 * the state root ($KETTLE_ROOT) when one answers (INFO), and says nothing of it otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "client/client.h"

static const struct cli_opt version_opts[] CLI_TABLE = {
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

const struct cli_cmd client_version_cmd CLI_TABLE = {
	.name = "version",
	.summary = "Print kettle's version",
	.synopsis = "kettle version",
	.description = "Print kettle's version, and the running daemon's when one answers.",
	.opts = version_opts,
	.nopts = CLI_COUNT(version_opts),
	.flags = CLI_INTERLEAVE,
};

int client_version_main(int argc, char **argv)
{
	struct client_args args;
	char daemon[64];
	int rc;

	if (argc == 1 && strcmp(argv[0], "--version") == 0) {
		printf("kettle %s\n", KETTLE_VERSION);
		return 0;
	}
	rc = client_parse(&client_version_cmd, argc, argv, NULL, NULL, &args);
	if (rc >= 0)
		return rc;
	printf("kettle %s\n", KETTLE_VERSION);
	if (client_daemon_version(daemon, sizeof(daemon)) == 0)
		printf("daemon %s\n", daemon);
	return 0;
}
