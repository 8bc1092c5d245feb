/*
 * client_devices: devices on the client's side (layer 3, client role): the values of
 * `run`/`create`'s --device, --device-cgroup-rule and --gpus checked and added to the
 * create request, and the CDI lines of `kettle info`. Resolution is the daemon's.
 */
#ifndef KETTLE_CLIENT_DEVICES_H
#define KETTLE_CLIENT_DEVICES_H

#include "base/json.h"
#include "cli/cli.h"
#include "store/record.h"

enum client_devices_flag {
	CLIENT_DEVICES_DEVICE,	    /* --device HOST[:CONTAINER][:PERMISSIONS] or a CDI name */
	CLIENT_DEVICES_CGROUP_RULE, /* --device-cgroup-rule 'c 1:3 rwm' */
	CLIENT_DEVICES_GPUS,	    /* --gpus all|N|device=ID… */
};

/* Checks val and adds it to r's requests; 0, or 125 once the usage error is printed. */
int client_devices_option(const struct cli_cmd *cmd, struct record *r,
			  enum client_devices_flag flag, const char *val);
/* Prints INFO's CDI part (d: the reply's document) when it lists devices or problems. */
void client_devices_info(const struct json_doc *d);

#endif
