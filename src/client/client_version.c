/*
 * client_version: `kettle version` and `kettle --version` (layer 3, client role).
 *
 * Prints the version of this binary; `kettle version` adds the version of the daemon of
 * the state root ($KETTLE_ROOT) when one answers (INFO), and says nothing of it otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"

static const char usage[] = "Usage: kettle version\n"
			    "\n"
			    "Print kettle's version, and the running daemon's when one answers.\n"
			    "\n"
			    "Options:\n"
			    "      --help   Print this help\n";

int client_version_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char daemon[64];
	int c;

	if (argc == 1 && strcmp(argv[0], "--version") == 0) {
		printf("kettle %s\n", KETTLE_VERSION);
		return 0;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return client_option_error(usage, c, argc, argv);
		}
	}
	if (optind < argc)
		return client_usage_error(usage, "unexpected argument `%s`", argv[optind]);
	printf("kettle %s\n", KETTLE_VERSION);
	if (client_daemon_version(daemon, sizeof(daemon)) == 0)
		printf("daemon %s\n", daemon);
	return 0;
}
