/*
 * fuzz_status: libFuzzer target for the status JSON reader (test layer, fuzzes src/store/status.c).
 *
 * The input is handed to status_from_json as it is. Whatever parses must re-encode, the
 * encoding must parse back to an equal struct, and encoding that struct again must give
 * the same bytes; any mismatch aborts. Nothing touches the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/status.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static bool same(const struct status *a, const struct status *b)
{
	return a->kind == b->kind && a->pid == b->pid && a->shim_pid == b->shim_pid &&
	       a->started_ns == b->started_ns && a->finished_ns == b->finished_ns &&
	       a->exit_code == b->exit_code && a->signal == b->signal &&
	       a->oom_killed == b->oom_killed && a->restart_count == b->restart_count &&
	       a->next_start_ns == b->next_start_ns && a->stopped_by_user == b->stopped_by_user &&
	       strcmp(a->reason, b->reason) == 0 && strcmp(a->error, b->error) == 0 &&
	       a->log_dropped == b->log_dropped;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status a, b;
	struct buf one, two;
	struct kerr err;

	if (status_from_json(&a, (const char *)data, size, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return 0;
	}
	CHECK(memchr(a.reason, '\0', sizeof(a.reason)) && memchr(a.error, '\0', sizeof(a.error)));
	buf_init(&one, 1 << 16);
	buf_init(&two, 1 << 16);
	CHECK(status_to_json(&a, &one, &err) == 0);
	CHECK(status_from_json(&b, (const char *)one.data, one.len, &err) == 0);
	CHECK(same(&a, &b));
	CHECK(status_to_json(&b, &two, &err) == 0);
	CHECK(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
	buf_done(&one);
	buf_done(&two);
	return 0;
}
