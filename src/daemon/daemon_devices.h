/*
 * daemon_devices: a container's devices in the daemon (role, layer 3; bottom band of the
 * daemon, called by daemon_create.c, daemon_ops.c and daemon_query.c): resolving a create
 * request's --device, --gpus and CDI names against the host and the CDI spec directories,
 * and the devices' sections of INFO and INSPECT. Calls no other daemon file. Reads the
 * CDI directories (small local files) on each request that needs them, so a spec written
 * after the daemon started is seen at once.
 */
#ifndef KETTLE_DAEMON_DEVICES_H
#define KETTLE_DAEMON_DEVICES_H

#include "base/json_w.h"
#include "daemon/daemon_state.h"

/* Fills rec->dev.groups from its requests (a request may carry none resolved already). */
int daemon_devices_resolve(struct daemon *d, struct record *rec, struct kerr *err);
/* INFO's "CDISpecDirs", "DiscoveredDevices" and "CDISpecErrors", into the open object. */
void daemon_devices_info(struct daemon *d, struct json_w *w);
/* INSPECT's HostConfig members in docker's shape: "Devices", "DeviceCgroupRules",
 * "DeviceRequests", into the open object. */
void daemon_devices_host_config(const struct record *r, struct json_w *w);
/* INSPECT's Kettle member "Devices": each request and what it resolved to. */
void daemon_devices_kettle(const struct record *r, struct json_w *w);

#endif
