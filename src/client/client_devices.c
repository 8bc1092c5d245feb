/*
 * client_devices: devices on the client's side (layer 3, client role).
 *
 * Each flag value is checked with the record's own parsers (record_dev.c) before anything
 * is sent, so a bad one costs one usage line and exit 125; it is kept as typed, and the
 * daemon resolves it against the host and the CDI specs at create time. `kettle info`
 * shows the CDI part only when the daemon found a spec (a device or a problem), so the
 * output of hosts without CDI is what it always was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/client_devices.h"

#define INFO_STR_MAX 4096 /* bytes of one string of the INFO reply printed */

static int push(char ***v, size_t *n, const char *val)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(*nv));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strdup(val);
	if (!nv[*n])
		return -1;
	nv[++*n] = NULL;
	return 0;
}

int client_devices_option(const struct cli_cmd *cmd, struct record *r,
			  enum client_devices_flag flag, const char *val)
{
	struct record_dev *d = &r->dev;
	struct record_dev_host *host;
	struct record_dev_rule rule;
	struct record_dev_gpus *gpus;
	struct kerr err;
	int rc = 0;

	switch (flag) {
	case CLIENT_DEVICES_DEVICE:
		host = malloc(sizeof(*host));
		if (!host)
			break;
		if (val[0] == '/')
			rc = record_dev_parse_host(val, host, &err);
		else if (!strchr(val, '='))
			rc = kerr_set(&err, 0,
				      "invalid --device `%s`, expected HOST[:CONTAINER]"
				      "[:PERMISSIONS] with an absolute HOST, or a CDI name "
				      "vendor.com/class=name",
				      val);
		else if (record_dev_check_cdi_name(val, NULL, &err) < 0)
			rc = kerr_wrap(&err, "invalid --device");
		free(host);
		if (rc < 0)
			return client_usage_error(cmd, "%s", err.msg);
		if (push(&d->devices, &d->ndevices, val) == 0)
			return 0;
		break;
	case CLIENT_DEVICES_CGROUP_RULE:
		if (record_dev_parse_rule(val, &rule, &err) < 0)
			return client_usage_error(cmd, "%s", err.msg);
		if (push(&d->cgroup_rules, &d->ncgroup_rules, val) == 0)
			return 0;
		break;
	case CLIENT_DEVICES_GPUS:
		gpus = malloc(sizeof(*gpus));
		if (!gpus)
			break;
		rc = record_dev_parse_gpus(val, gpus, &err);
		free(gpus);
		if (rc < 0)
			return client_usage_error(cmd, "%s", err.msg);
		if (push(&d->gpus, &d->ngpus, val) == 0)
			return 0;
		break;
	}
	fputs("kettle: out of memory\n", stderr);
	return CLIENT_EXIT_FAIL;
}

/* The string member key of object obj into out ("" when absent or not a string). */
static const char *member(const struct json_doc *d, int obj, const char *key, char *out, size_t cap)
{
	int v = json_obj_get(d, obj, key);
	struct kerr err;

	out[0] = '\0';
	if (v >= 0 && d->toks[v].type == JSON_STRING && json_get_str(d, v, out, cap, &err) < 0)
		out[0] = '\0';
	return out;
}

/* The array member key of the reply, or -1. */
static int array(const struct json_doc *d, const char *key)
{
	int v = json_obj_get(d, 0, key);

	return v >= 0 && d->toks[v].type == JSON_ARRAY ? v : -1;
}

void client_devices_info(const struct json_doc *d)
{
	int dirs = array(d, "CDISpecDirs"), devs = array(d, "DiscoveredDevices");
	int errs = array(d, "CDISpecErrors");
	char *a = malloc(INFO_STR_MAX), *b = malloc(INFO_STR_MAX);
	struct kerr err;
	int k;

	if (!a || !b || dirs < 0 || devs < 0 || errs < 0 ||
	    (d->toks[devs].size == 0 && d->toks[errs].size == 0))
		goto out_free;
	printf("CDI Spec Dirs:");
	k = dirs + 1;
	for (int i = 0; i < d->toks[dirs].size; i++, k = json_skip(d, k))
		if (d->toks[k].type == JSON_STRING &&
		    json_get_str(d, k, a, INFO_STR_MAX, &err) == 0)
			printf("%s %s", i ? "," : "", a);
	printf("\nCDI Devices: %d\n", d->toks[devs].size);
	k = devs + 1;
	for (int i = 0; i < d->toks[devs].size; i++, k = json_skip(d, k))
		if (d->toks[k].type == JSON_OBJECT)
			printf(" %s (%s)\n", member(d, k, "ID", a, INFO_STR_MAX),
			       member(d, k, "Spec", b, INFO_STR_MAX));
	if (d->toks[errs].size)
		printf("CDI Spec Errors: %d\n", d->toks[errs].size);
	k = errs + 1;
	for (int i = 0; i < d->toks[errs].size; i++, k = json_skip(d, k))
		if (d->toks[k].type == JSON_OBJECT)
			printf(" %s: %s\n", member(d, k, "Path", a, INFO_STR_MAX),
			       member(d, k, "Error", b, INFO_STR_MAX));
out_free:
	free(a);
	free(b);
}
