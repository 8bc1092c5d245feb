/*
 * kettle.c: main() and the command table, nothing else (top layer).
 *
 * The command comes from the basename of argv[0] (after stripping a leading '-' and a
 * "kettle-" prefix, so a link named kettle-shim runs `shim` and `kettled` the daemon),
 * else from argv[1]. The table (cli.h's struct cli_entry) is const and sorted by name;
 * `kettle --help` lists it and the hidden `kettle __complete` completes against it.
 * Exit 125 is kettle's own failure (unknown command); 126/127 stay reserved for the
 * container command's exec failures, as docker does. What a client command returns goes
 * through client_exit_code on the way out: its failures leave with the code the client's
 * table gives them for that command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "client/client.h"
#include "client/client_images.h"
#include "client/client_runnet.h"
#include "daemon/daemon.h"
#include "daemon/daemon_imgjob.h"
#include "hostrt/hostrt.h"
#include "init/init.h"
#include "shim/shim.h"
#include "shimv2/shimv2.h"

static int complete_main(int argc, char **argv);

/* Sorted by name. A command's summary, help and completion come from its table; a row
 * without one is hidden from the list. */
static const struct cli_entry commands[] CLI_TABLE = {
	{ "__complete", complete_main, NULL },
	{ "attach", client_attach_main, &client_attach_cmd },
	{ "containerd-shim-kettle-host-v2", shimv2_host_main, NULL },
	{ "containerd-shim-kettle-v2", shimv2_main, NULL },
	{ "cp", client_cp_main, &client_cp_cmd },
	{ "create", client_create_main, &client_create_cmd },
	{ "daemon", daemon_main, &daemon_cmd },
	{ "events", client_events_main, &client_events_cmd },
	{ "exec", client_exec_main, &client_exec_cmd },
	{ "history", client_history_main, &client_history_cmd },
	{ "host-runtime", hostrt_main, NULL },
	{ "image", client_image_main, &client_image_cmd },
	{ "image-worker", daemon_imgjob_main, NULL },
	{ "images", client_images_main, &client_images_cmd },
	{ "import", client_import_main, &client_import_cmd },
	{ "info", client_info_main, &client_info_cmd },
	{ "init", init_main, &init_cmd },
	{ "inspect", client_inspect_main, &client_inspect_cmd },
	{ "kettled", daemon_main, NULL },
	{ "kill", client_kill_main, &client_kill_cmd },
	{ "load", client_load_main, &client_load_cmd },
	{ "logs", client_logs_main, &client_logs_cmd },
	{ "pause", client_pause_main, &client_pause_cmd },
	{ "port", client_port_main, &client_port_cmd },
	{ "prune", client_prune_main, &client_prune_cmd },
	{ "ps", client_ps_main, &client_ps_cmd },
	{ "rename", client_rename_main, &client_rename_cmd },
	{ "restart", client_restart_main, &client_restart_cmd },
	{ "rm", client_rm_main, &client_rm_cmd },
	{ "rmi", client_rmi_main, &client_rmi_cmd },
	{ "run", client_run_main, &client_run_cmd },
	{ "save", client_save_main, &client_save_cmd },
	{ "shim", shim_main, NULL },
	{ "start", client_start_main, &client_start_cmd },
	{ "stats", client_stats_main, &client_stats_cmd },
	{ "stop", client_stop_main, &client_stop_cmd },
	{ "tag", client_tag_main, &client_tag_cmd },
	{ "top", client_top_main, &client_top_cmd },
	{ "unpause", client_unpause_main, &client_unpause_cmd },
	{ "update", client_update_main, &client_update_cmd },
	{ "version", client_version_main, &client_version_cmd },
	{ "wait", client_wait_main, &client_wait_cmd },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int print_help(void)
{
	printf("Usage: kettle COMMAND [OPTIONS] [ARG...]\n"
	       "\n"
	       "A container manager in one static binary: a daemon, one shim per container,\n"
	       "and these commands. Run `kettle COMMAND --help` for a command's options.\n"
	       "\n"
	       "Commands:\n");
	cli_help_list(commands, NCOMMANDS, stdout);
	printf("\nOptions:\n"
	       "  --help     Print this list\n"
	       "  --version  Print the version\n");
	return 0;
}

/* `kettle __complete CWORD WORD...`: what scripts/kettle.bash-completion offers. */
static int complete_main(int argc, char **argv)
{
	if (argc > 2)
		cli_complete_write(commands, NCOMMANDS, (int)strtoul(argv[1], NULL, 10), argv + 2,
				   argc - 2, stdout);
	return 0;
}

/* `kettle help COMMAND`: what `kettle COMMAND --help` prints. */
static int print_command_help(int argc, char **argv)
{
	const struct cli_entry *cmd = cli_find(commands, NCOMMANDS, argv[0]);
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
	return client_exit_code(cmd->name, cmd->main(2, args));
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
	const struct cli_entry *cmd = cli_find(commands, NCOMMANDS, name);

	if (cmd)
		return client_exit_code(cmd->name, cmd->main(argc, argv));
	if (argc < 2)
		return print_help();
	if (strcmp(argv[1], "help") == 0 && argc > 2)
		return print_command_help(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return print_help();
	if (strcmp(argv[1], "--version") == 0)
		return client_exit_code("version", client_version_main(1, argv + 1));
	cmd = cli_find(commands, NCOMMANDS, argv[1]);
	if (!cmd) {
		fprintf(stderr, "kettle: unknown command `%s` (see `kettle --help`)\n", argv[1]);
		return 125;
	}
	return client_exit_code(cmd->name, cmd->main(argc - 1, argv + 1));
}
