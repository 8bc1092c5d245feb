/*
 * client_port: `kettle port CONTAINER [PORT[/PROTO]]` (layer 3, client role): the
 * container's published ports, as docker port prints them, read from INSPECT's
 * NetworkSettings.Ports, so the host ports the daemon chose for -p CONTAINER and -P are
 * shown too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fd.h"
#include "base/json.h"
#include "client/client.h"
#include "client/client_runnet.h"
#include "net/portspec.h"

const struct cli_cmd client_port_cmd CLI_TABLE = {
	.name = "port",
	.summary = "List a container's published ports",
	.synopsis = "kettle port CONTAINER [PORT[/PROTO]]",
	.description = "List the container's published ports, one `PORT/PROTO -> IP:HOSTPORT` "
		       "line each; with PORT, only that port's host addresses.",
	.pos = { .min = 1, .max = 2, .first = CLI_CONTAINER, .rest = CLI_STRING },
};

/* One binding of NetworkSettings.Ports, {"HostIp": …, "HostPort": "8080"}, for the
 * container port key ("80/tcp"), appended to rec's ports. */
static int add_binding(const struct json_doc *d, int key, int obj, struct record *rec,
		       struct kerr *err)
{
	char k[16], ip[RECORD_IP_MAX], hp[8];
	int ipt = json_obj_get(d, obj, "HostIp"), hpt = json_obj_get(d, obj, "HostPort");
	struct record_port port = { 0 };
	char *end;

	if (json_get_str(d, key, k, sizeof(k), err) < 0 || ipt < 0 || hpt < 0 ||
	    json_get_str(d, ipt, ip, sizeof(ip), err) < 0 ||
	    json_get_str(d, hpt, hp, sizeof(hp), err) < 0)
		return kerr_set(err, EPROTO, "a port binding of inspect's NetworkSettings.Ports");
	unsigned long cp = strtoul(k, &end, 10), hport = strtoul(hp, NULL, 10);
	if (*end != '/' || cp == 0 || cp > 65535 || hport > 65535 ||
	    !record_proto_parse(end + 1, strlen(end + 1), &port.proto))
		return kerr_set(err, EPROTO, "port key `%s` of inspect's NetworkSettings.Ports", k);
	port.ctr_port = (uint16_t)cp;
	port.host_port = (uint16_t)hport;
	if (strcmp(ip, "0.0.0.0") != 0)
		snprintf(port.host_ip, sizeof(port.host_ip), "%s", ip);
	struct record_port *v =
		realloc(rec->net.ports, (rec->net.nports + 1) * sizeof(*rec->net.ports));
	if (!v)
		return kerr_set(err, ENOMEM, "port bindings");
	rec->net.ports = v;
	v[rec->net.nports++] = port;
	return 0;
}

/* The container's published ports, from INSPECT's NetworkSettings.Ports (docker's shape:
 * the host ports the daemon chose for -p CONTAINER and -P are there too). */
static int fetch(struct client *cl, const char *ref, struct record *rec, struct kerr *err)
{
	struct wire_frame f;
	struct wire_enc e;
	struct json_doc d;
	const uint8_t *p;
	size_t len;

	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_INSPECT);
	wire_enc_str(&e, WIRE_F_REF, ref);
	if (wire_enc_end(&e, err) < 0)
		return CLIENT_EXIT_FAIL;
	int rc = client_request(cl, reqid, &f, err);
	if (rc != 0)
		return rc;
	if (wire_get_bytes(&f, WIRE_F_JSON, true, &p, &len, err) < 0)
		return CLIENT_EXIT_FAIL;
	size_t ntoks = len / 2 + 2 < JSON_TOKENS_MAX ? len / 2 + 2 : JSON_TOKENS_MAX;
	_cleanup_free_ struct json_tok *toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "inspect reply"), CLIENT_EXIT_FAIL;
	int ns = -1, ports = -1;
	if (json_parse(&d, (const char *)p, len, toks, (int)ntoks, err) < 0 ||
	    d.toks[0].type != JSON_OBJECT || (ns = json_obj_get(&d, 0, "NetworkSettings")) < 0 ||
	    d.toks[ns].type != JSON_OBJECT || (ports = json_obj_get(&d, ns, "Ports")) < 0 ||
	    d.toks[ports].type != JSON_OBJECT) {
		if (ports < 0 || d.ntoks == 0)
			kerr_set(err, EPROTO, "inspect reply has no NetworkSettings.Ports");
		return kerr_wrap(err, "port"), CLIENT_EXIT_FAIL;
	}
	int k = ports + 1;
	for (int m = 0; m < d.toks[ports].size; m++) {
		int v = k + 1;

		if (d.toks[v].type == JSON_ARRAY) {
			int b = v + 1;

			for (int n = 0; n < d.toks[v].size; n++) {
				if (d.toks[b].type != JSON_OBJECT ||
				    add_binding(&d, k, b, rec, err) < 0)
					return kerr_wrap(err, "port"), CLIENT_EXIT_FAIL;
				b = json_skip(&d, b);
			}
		}
		k = json_skip(&d, v);
	}
	return 0;
}

int client_port_main(int argc, char **argv)
{
	struct client_args args;
	struct record_port want = { 0 };
	struct record rec;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_port_cmd, argc, argv, NULL, NULL, &args);

	if (rc >= 0)
		return rc;
	if (args.n == 2 && portspec_parse_expose(args.v[1], &want, &err) < 0)
		return client_usage_error(&client_port_cmd, "%s", err.msg);
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	record_init(&rec);
	rc = fetch(&cl, args.v[0], &rec, &err);
	client_close(&cl);
	if (rc != 0) {
		record_done(&rec);
		return client_fail(rc, &err);
	}
	size_t shown = 0;
	for (size_t i = 0; i < rec.net.nports; i++) {
		const struct record_port *p = &rec.net.ports[i];
		char line[PORTSPEC_TEXT_MAX];

		if (args.n == 2 && (p->ctr_port != want.ctr_port || p->proto != want.proto))
			continue;
		if (args.n == 2)
			printf("%s:%u\n", p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port);
		else
			printf("%s\n", (portspec_format(p, line), line));
		shown++;
	}
	if (args.n == 2 && shown == 0) {
		fprintf(stderr, "kettle: no public port `%u/%s` published for `%s`\n",
			want.ctr_port, record_proto_name(want.proto), args.v[0]);
		rc = 1;
	}
	record_done(&rec);
	return rc;
}
