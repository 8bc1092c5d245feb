/*
 * shimv2_metrics: a container's cgroup usage as containerd's metrics types (role layer,
 * mechanism band).
 *
 * `ctr task metrics` and the CRI plugin decode StatsResponse.stats by its type URL:
 * "io.containerd.cgroups.v1.Metrics" on v1 (and hybrid) hosts, "io.containerd.cgroups.v2.
 * Metrics" on v2, each with containerd's field numbers (github.com/containerd/cgroups
 * stats/v1 and cgroup2/stats metrics.proto). cgroup.c's sample fills what kettle reads
 * (pids, CPU time, memory in use and its limit, block I/O); memory "usage" is the working
 * set (inactive page cache excluded, as docker and the kubelet count it), so the
 * inactive-file fields are 0 and the kubelet's subtraction changes nothing. An unlimited
 * value is reported as the runtime does: the largest page-aligned int64 on v1, the largest
 * uint64 on v2. Pure encoding; calls nothing else of the role.
 */
#include "shimv2/shimv2_metrics.h"

#define V1_UNLIMITED 9223372036854771712ull /* v1's "no limit": LONG_MAX rounded to a page */
#define V2_UNLIMITED UINT64_MAX		    /* v2's "max" */

static void encode_v1(struct pb_enc *e, const struct cgroup_stats *s)
{
	pb_enc_msg_begin(e, 2); /* pids */
	pb_enc_u64(e, 1, s->pids);
	pb_enc_u64(e, 2, s->pids_limit);
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 3); /* cpu */
	pb_enc_msg_begin(e, 1); /* usage */
	pb_enc_u64(e, 1, s->cpu_ns);
	pb_enc_msg_end(e);
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 4);		/* memory */
	pb_enc_u64(e, 2, s->mem_usage); /* rss */
	pb_enc_u64(e, 16, s->mem_limit ? s->mem_limit : V1_UNLIMITED);
	pb_enc_u64(e, 19, s->mem_usage); /* total_rss */
	pb_enc_msg_begin(e, 33);	 /* usage */
	pb_enc_u64(e, 1, s->mem_limit ? s->mem_limit : V1_UNLIMITED);
	pb_enc_u64(e, 2, s->mem_usage);
	pb_enc_msg_end(e);
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 5); /* blkio: io_service_bytes_recursive */
	if (s->blk_read) {
		pb_enc_msg_begin(e, 1);
		pb_enc_str(e, 1, "Read");
		pb_enc_u64(e, 5, s->blk_read);
		pb_enc_msg_end(e);
	}
	if (s->blk_write) {
		pb_enc_msg_begin(e, 1);
		pb_enc_str(e, 1, "Write");
		pb_enc_u64(e, 5, s->blk_write);
		pb_enc_msg_end(e);
	}
	pb_enc_msg_end(e);
}

static void encode_v2(struct pb_enc *e, const struct cgroup_stats *s)
{
	pb_enc_msg_begin(e, 1); /* pids */
	pb_enc_u64(e, 1, s->pids);
	pb_enc_u64(e, 2, s->pids_limit);
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 2);		    /* cpu */
	pb_enc_u64(e, 1, s->cpu_ns / 1000); /* usage_usec */
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 4);		 /* memory */
	pb_enc_u64(e, 1, s->mem_usage);	 /* anon */
	pb_enc_u64(e, 32, s->mem_usage); /* usage */
	pb_enc_u64(e, 33, s->mem_limit ? s->mem_limit : V2_UNLIMITED);
	pb_enc_msg_end(e);
	pb_enc_msg_begin(e, 6); /* io */
	if (s->blk_read || s->blk_write) {
		pb_enc_msg_begin(e, 1);
		pb_enc_u64(e, 3, s->blk_read);
		pb_enc_u64(e, 4, s->blk_write);
		pb_enc_msg_end(e);
	}
	pb_enc_msg_end(e);
}

void shimv2_metrics_encode(struct pb_enc *e, uint32_t num, const struct cgroup_stats *s)
{
	bool v2 = s->source == CGROUP_V2;

	pb_enc_any_begin(e, num,
			 v2 ? "io.containerd.cgroups.v2.Metrics"
			    : "io.containerd.cgroups.v1.Metrics");
	if (v2)
		encode_v2(e, s);
	else
		encode_v1(e, s);
	pb_enc_any_end(e);
}
