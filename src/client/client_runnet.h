/*
 * client_runnet: the network flags of `kettle run` and `kettle create` (layer 3, client
 * role): -p/--publish, -P/--publish-all, --expose, --dns, --dns-search, --dns-option and
 * --add-host, as rows of run's table (CLIENT_RUNNET_OPTS) and their handler. Values are
 * checked here and again, with the rest of the request, by record_validate.
 */
#ifndef KETTLE_CLIENT_RUNNET_H
#define KETTLE_CLIENT_RUNNET_H

#include "cli/cli.h"
#include "store/record.h"

/* Option ids of their own range, so run's enum can grow without meeting them. */
enum {
	CLIENT_OPT_PUBLISH = 512,
	CLIENT_OPT_PUBLISH_ALL,
	CLIENT_OPT_EXPOSE,
	CLIENT_OPT_DNS,
	CLIENT_OPT_DNS_SEARCH,
	CLIENT_OPT_DNS_OPTION,
	CLIENT_OPT_ADD_HOST,
	CLIENT_OPT_RUNNET_END,
};

#define CLIENT_RUNNET_OPTS                                                                         \
	CLI_OPT(CLIENT_OPT_PUBLISH, 'p', CLI_STRING, CLI_REPEAT, "publish",                        \
		"[IP:][HOST:]CTR[/PROTO]",                                                         \
		"Publish a container port on the host (bridge network; HOST left out: a free "     \
		"one, see `kettle port`)"),                                                        \
		CLI_OPT(CLIENT_OPT_PUBLISH_ALL, 'P', CLI_FLAG, 0, "publish-all", "",               \
			"Publish every exposed port (--expose, the image's) on a free host port"), \
		CLI_OPT(CLIENT_OPT_EXPOSE, 0, CLI_STRING, CLI_REPEAT, "expose", "PORT[/PROTO]",    \
			"Expose a port (published by -P)"),                                        \
		CLI_OPT(CLIENT_OPT_DNS, 0, CLI_STRING, CLI_REPEAT, "dns", "IP",                    \
			"Nameserver for the container's /etc/resolv.conf"),                        \
		CLI_OPT(CLIENT_OPT_DNS_SEARCH, 0, CLI_STRING, CLI_REPEAT, "dns-search", "DOMAIN",  \
			"Search domain for /etc/resolv.conf"),                                     \
		CLI_OPT(CLIENT_OPT_DNS_OPTION, 0, CLI_STRING, CLI_REPEAT, "dns-option", "OPT",     \
			"Resolver option for /etc/resolv.conf"),                                   \
		CLI_OPT(CLIENT_OPT_ADD_HOST, 0, CLI_STRING, CLI_REPEAT, "add-host", "NAME:IP",     \
			"Add a line to the container's /etc/hosts")

/* `kettle port` (client_port.c). */
extern const struct cli_cmd client_port_cmd;
int client_port_main(int argc, char **argv);

/* True for the ids above. */
bool client_runnet_is(int id);
/* One of the options above into r; 0 or the exit code after printing. */
int client_runnet_option(const struct cli_cmd *cmd, struct record *r, int id, const char *val);

#endif
