/*
 * spec_dev: the parts of config.json a record's devices add (mechanism M3, src/runtime;
 * used by spec.c only): linux.devices, the cgroup device rules, the OCI hooks, the
 * process's additional groups and environment. Each writer puts nothing when the record
 * has no devices, so config.json is unchanged for every other container. Never logs.
 */
#ifndef KETTLE_SPEC_DEV_H
#define KETTLE_SPEC_DEV_H

#include <stddef.h>

#include "base/json_w.h"
#include "store/record.h"

/* "devices":[…] into the open linux object, when there are nodes. */
void spec_dev_nodes(struct json_w *w, const struct record *r);
/* The rules after the defaults, into the open resources.devices array: each
 * --device-cgroup-rule, then for each node exactly its permissions. */
void spec_dev_rules(struct json_w *w, const struct record *r);
/* "hooks":{…} into the open top-level object, when there are hooks. */
void spec_dev_hooks(struct json_w *w, const struct record *r);
/* "additionalGids":[…] into the open process.user object, when there are any. */
void spec_dev_gids(struct json_w *w, const struct record *r);
/* The devices' environment, in order, appended to v (cap entries); returns the new count. */
size_t spec_dev_env(const struct record *r, const char **v, size_t n, size_t cap);

#endif
