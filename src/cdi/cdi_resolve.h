/*
 * cdi_resolve: a record's device requests turned into the edits they stand for (mechanism,
 * src/cdi). Run by the daemon at create time.
 *
 * `--device HOST[:CONTAINER][:PERMISSIONS]` becomes one node made from the host's own
 * (stat: type, numbers, mode, owner) with exactly those cgroup permissions; a CDI name
 * becomes its spec's shared edits (once per spec) followed by the device's, with every
 * device node completed from the host as CDI says (a node that names its type and numbers
 * need not exist on the host); `--gpus` is docker's flag mapped onto nvidia.com/gpu CDI
 * devices. The result goes into r->dev.groups, in request order, and the whole record is
 * validated again. Errors name the request, the device and the spec file. Never logs.
 */
#ifndef KETTLE_CDI_RESOLVE_H
#define KETTLE_CDI_RESOLVE_H

#include "base/kerr.h"
#include "cdi/cdi.h"
#include "store/record.h"

#define CDI_GPU_KIND "nvidia.com/gpu" /* what --gpus asks for */

/* True when r asks for anything cdi_resolve needs the spec directories for. */
bool cdi_resolve_needs_specs(const struct record *r);
/* Fills r->dev.groups (empty before) from r->dev's requests; reg may be empty when
 * cdi_resolve_needs_specs said no. On failure the groups are left empty. */
int cdi_resolve(const struct cdi_registry *reg, struct record *r, struct kerr *err);
/* nd (path set; type, numbers, mode and owner as far as given) completed from the host node
 * at host_path, or at nd->path when host_path is NULL. Exported for the unit tests. */
int cdi_resolve_node(struct record_dev_node *nd, uint32_t uid, uint32_t gid, struct kerr *err);

#endif
