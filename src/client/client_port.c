/*
 * client_port: `kettle port CONTAINER [PORT[/PROTO]]` (layer 3, client role): the
 * container's published ports, as docker port prints them, read from its record (INSPECT's
 * "config"), so the host ports the daemon chose for -p CONTAINER and -P are shown too.
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

/* The container's record, from INSPECT's "config". */
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
	int cfg = -1;
	if (json_parse(&d, (const char *)p, len, toks, (int)ntoks, err) < 0 ||
	    d.toks[0].type != JSON_OBJECT || (cfg = json_obj_get(&d, 0, "config")) < 0 ||
	    d.toks[cfg].type != JSON_OBJECT) {
		if (cfg < 0 || d.ntoks == 0)
			kerr_set(err, EPROTO, "inspect reply has no container record");
		return kerr_wrap(err, "port"), CLIENT_EXIT_FAIL;
	}
	const struct json_tok *t = &d.toks[cfg];
	if (record_json_decode(rec, (const char *)p + t->start, (size_t)(t->end - t->start), false,
			       err) < 0)
		return kerr_wrap(err, "port: the container's record"), CLIENT_EXIT_FAIL;
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
