/*
 * client_version: `kettle version` and `kettle --version` (layer 3, client role).
 *
 * Prints the version of this binary; `kettle version` adds the version of the daemon of
 * the state root ($KETTLE_ROOT) when one answers (INFO), and says nothing of it otherwise.
 * --format runs over docker's version document ({"Client": …, "Server": … or null}).
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "client/client.h"

enum {
	VERSION_FORMAT = 256,
};

static const struct cli_opt version_opts[] CLI_TABLE = {
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
	CLI_OPT(VERSION_FORMAT, 'f', CLI_STRING, 0, "format", "FORMAT",
		"json (docker's version document), or a Go template ('{{.Server.Version}}')"),
};

const struct cli_cmd client_version_cmd CLI_TABLE = {
	.name = "version",
	.summary = "Print kettle's version",
	.synopsis = "kettle version [-f FORMAT]",
	.description = "Print kettle's version, and the running daemon's when one answers.",
	.opts = version_opts,
	.nopts = CLI_COUNT(version_opts),
	.flags = CLI_INTERLEAVE,
};

static int version_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	(void)cmd, (void)id;
	*(const char **)ctx = val;
	return 0;
}

static int formatted(const char *format)
{
	static const char *const none[] = { NULL };
	static const char *const optional[] = { "Server.KernelVersion", NULL };
	static const struct tmpl_schema schema = { .maps = none, .optional = optional };
	struct client_format fmt;
	struct buf doc, out;
	struct kerr err;
	char daemon[64];
	int rc = client_format_init(&fmt, format, true);

	if (rc != 0)
		return rc;
	bool have = client_daemon_version(daemon, sizeof(daemon)) == 0;
	buf_init(&doc, SIZE_MAX);
	buf_init(&out, SIZE_MAX);
	if (client_system_version_json(have ? daemon : NULL, &doc, &err) < 0) {
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	} else if (fmt.kind == CLIENT_FORMAT_TEMPLATE) {
		if (client_format_exec(&fmt, (const char *)doc.data, doc.len, &schema, NULL, NULL,
				       &out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rc = CLIENT_EXIT_FAIL;
		}
	} else if (client_format_json((const char *)doc.data, doc.len, &out, &err) < 0) {
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (rc == 0 && out.len) /* an empty buffer has no data pointer */
		fwrite(out.data, 1, out.len, stdout);
	buf_done(&doc);
	buf_done(&out);
	client_format_done(&fmt);
	return rc;
}

int client_version_main(int argc, char **argv)
{
	struct client_args args;
	const char *format = NULL;
	char daemon[64];
	int rc;

	if (argc == 1 && strcmp(argv[0], "--version") == 0) {
		printf("kettle %s\n", KETTLE_VERSION);
		return 0;
	}
	rc = client_parse(&client_version_cmd, argc, argv, version_option, &format, &args);
	if (rc >= 0)
		return rc;
	if (format && strcmp(format, "table") != 0)
		return formatted(format);
	printf("kettle %s\n", KETTLE_VERSION);
	if (client_daemon_version(daemon, sizeof(daemon)) == 0)
		printf("daemon %s\n", daemon);
	return 0;
}
