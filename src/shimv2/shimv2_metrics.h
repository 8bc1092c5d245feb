/*
 * shimv2_metrics: Stats as containerd's cgroup metrics (role layer, mechanism band).
 * Included by shimv2_task.c; see shimv2_metrics.c.
 */
#ifndef KETTLE_SHIMV2_METRICS_H
#define KETTLE_SHIMV2_METRICS_H

#include "runtime/cgroup.h"
#include "ttrpc/pb.h"

/* StatsResponse.stats: an Any of io.containerd.cgroups.v1.Metrics or .v2.Metrics,
 * after the reader that filled s. */
void shimv2_metrics_encode(struct pb_enc *e, uint32_t num, const struct cgroup_stats *s);

#endif
