/*
 * kettle.c: main() and the command table, nothing else (top layer).
 *
 * The command comes from the basename of argv[0] (after stripping a leading '-' and a
 * "kettle-" prefix, so a link named kettle-shim runs `shim` and `kettled` the daemon),
 * else from argv[1]. The table is const and sorted by name; `kettle --help` prints it.
 * Exit 125 is kettle's own failure (unknown command); 126/127 stay reserved for the
 * container command's exec failures, as docker does.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "daemon.h"
#include "shim.h"

struct command {
	const char *name;		    /* what a person types; sorted */
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;		    /* one line for `kettle --help`; NULL hides it */
};

static const struct command commands[] = {
	{ "create", client_create_main, "Create a container without starting it" },
	{ "daemon", daemon_main, "Run the kettle daemon (one per state root)" },
	{ "inspect", client_inspect_main, "Show containers' details as JSON" },
	{ "kettled", daemon_main, NULL },
	{ "kill", client_kill_main, "Send a signal to containers" },
	{ "ps", client_ps_main, "List containers" },
	{ "rm", client_rm_main, "Remove containers" },
	{ "run", client_run_main, "Create and start a container" },
	{ "shim", shim_main, NULL },
	{ "start", client_start_main, "Start created or stopped containers" },
	{ "stop", client_stop_main, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "version", client_version_main, "Print kettle's version" },
	{ "wait", client_wait_main, "Wait for containers to exit and print their exit codes" },
};

static const struct command *find_command(const char *name)
{
	size_t lo = 0, hi = sizeof(commands) / sizeof(commands[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, commands[mid].name);
		if (c == 0)
			return &commands[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int print_help(void)
{
	printf("Usage: kettle COMMAND [OPTIONS] [ARG...]\n"
	       "\n"
	       "A container manager in one static binary: a daemon, one shim per container,\n"
	       "and these commands. Run `kettle COMMAND --help` for a command's options.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].summary)
			printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	}
	printf("\nOptions:\n"
	       "  --help     Print this list\n"
	       "  --version  Print the version\n");
	return 0;
}

/* "kettle-shim" -> "shim", "-kettled" -> "kettled", "/usr/bin/kettle" -> "kettle". */
static const char *command_from_argv0(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	if (base[0] == '-')
		base++;
	if (strncmp(base, "kettle-", 7) == 0)
		base += 7;
	return base;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? command_from_argv0(argv[0]) : "kettle";
	const struct command *cmd = find_command(name);

	if (cmd)
		return cmd->main(argc, argv);
	if (argc < 2)
		return print_help();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return print_help();
	if (strcmp(argv[1], "--version") == 0)
		return client_version_main(1, argv + 1);
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "kettle: unknown command `%s` (see `kettle --help`)\n", argv[1]);
		return 125;
	}
	return cmd->main(argc - 1, argv + 1);
}
