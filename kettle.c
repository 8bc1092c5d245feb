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

#include "client/client.h"
#include "daemon/daemon.h"
#include "init/init.h"
#include "shim/shim.h"

struct command {
	const char *name;		    /* what a person types; sorted */
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;		    /* one line for `kettle --help`; NULL hides it */
};

static const struct command commands[] = {
	{ "attach", client_attach_main, "Attach to a running container's terminal or stdio" },
	{ "cp", client_cp_main, "Copy files between a container and the host" },
	{ "create", client_create_main, "Create a container without starting it" },
	{ "daemon", daemon_main, "Run the kettle daemon (one per state root)" },
	{ "events", client_events_main, "Stream container events (with recent history)" },
	{ "exec", client_exec_main, "Run a command in a running container" },
	{ "info", client_info_main, "Show the daemon, its runtime and containers by state" },
	{ "init", init_main, "Run a command under a minimal PID 1 (used by run --init)" },
	{ "inspect", client_inspect_main, "Show containers' details as JSON" },
	{ "kettled", daemon_main, NULL },
	{ "kill", client_kill_main, "Send a signal to containers" },
	{ "logs", client_logs_main, "Print a container's output from its log" },
	{ "pause", client_pause_main, "Freeze every process of containers" },
	{ "prune", client_prune_main, "Remove every stopped container" },
	{ "ps", client_ps_main, "List containers" },
	{ "rename", client_rename_main, "Rename a container" },
	{ "restart", client_restart_main, "Stop and start containers again" },
	{ "rm", client_rm_main, "Remove containers" },
	{ "run", client_run_main, "Create and start a container" },
	{ "shim", shim_main, NULL },
	{ "start", client_start_main, "Start created or stopped containers" },
	{ "stats", client_stats_main, "Show containers' CPU, memory, network, block I/O and pids" },
	{ "stop", client_stop_main, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "top", client_top_main, "List a container's processes" },
	{ "unpause", client_unpause_main, "Thaw paused containers" },
	{ "update", client_update_main, "Change containers' limits or restart policy" },
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

/* `kettle help COMMAND`: what `kettle COMMAND --help` prints. */
static int print_command_help(int argc, char **argv)
{
	const struct command *cmd = find_command(argv[0]);
	char help[] = "--help";
	char *args[] = { argv[0], help, NULL };

	if (argc > 1) {
		fprintf(stderr,
			"kettle help: one command at a time, got %d (usage: kettle help "
			"COMMAND)\n",
			argc);
		return 125;
	}
	if (!cmd) {
		fprintf(stderr, "kettle help: unknown command `%s` (see `kettle --help`)\n",
			argv[0]);
		return 125;
	}
	return cmd->main(2, args);
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
	if (strcmp(argv[1], "help") == 0 && argc > 2)
		return print_command_help(argc - 2, argv + 2);
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
