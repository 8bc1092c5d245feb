/*
 * client_runnet: the network flags of `kettle run` and `kettle create` (layer 3, client
 * role).
 *
 * -p is parsed by portspec (src/net), everything else is kept as given for
 * record_validate, which holds the rules every client and the daemon share. A bad value
 * costs one line and exit 125, before anything is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/client_runnet.h"
#include "net/portspec.h"

bool client_runnet_is(int id)
{
	return id >= CLIENT_OPT_PUBLISH && id < CLIENT_OPT_RUNNET_END;
}

static int add_port(const struct cli_cmd *cmd, struct record *r, const char *val)
{
	struct record_port p;
	struct kerr err;

	if (portspec_parse(val, &p, &err) < 0)
		return client_usage_error(cmd, "%s", err.msg);
	if (r->net.nports >= RECORD_PORTS_MAX)
		return client_usage_error(cmd, "-p: more than %d published ports",
					  RECORD_PORTS_MAX);
	struct record_port *v = realloc(r->net.ports, (r->net.nports + 1) * sizeof(*v));
	if (!v)
		return client_runflags_out_of_memory();
	r->net.ports = v;
	r->net.ports[r->net.nports++] = p;
	return 0;
}

int client_runnet_option(const struct cli_cmd *cmd, struct record *r, int id, const char *val)
{
	switch (id) {
	case CLIENT_OPT_PUBLISH:
		return add_port(cmd, r, val);
	case CLIENT_OPT_PUBLISH_ALL:
		r->net.publish_all = true;
		return 0;
	case CLIENT_OPT_EXPOSE:
		return client_runflags_strv_push(&r->net.expose, strdup(val));
	case CLIENT_OPT_DNS:
		return client_runflags_strv_push(&r->net.dns, strdup(val));
	case CLIENT_OPT_DNS_SEARCH:
		return client_runflags_strv_push(&r->net.dns_search, strdup(val));
	case CLIENT_OPT_DNS_OPTION:
		return client_runflags_strv_push(&r->net.dns_options, strdup(val));
	default: /* CLIENT_OPT_ADD_HOST */
		return client_runflags_strv_push(&r->net.add_hosts, strdup(val));
	}
}
