/*
 * fuzz_cgroup: libFuzzer target for the text parsers of src/runtime/cgroup.c (test layer).
 *
 * The first byte picks the parser (mountinfo, /proc/<pid>/cgroup or net/dev), the rest is
 * its input. A failure must come with a message; a success must leave only clean paths
 * (absolute, no "..") for the readers to join. Nothing touches the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_path(const char *p)
{
	if (!p[0])
		return;
	CHECK(p[0] == '/');
	CHECK(strstr(p, "/../") == NULL);
	CHECK(strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgroup_mounts m;
	static struct cgroup_loc loc;
	struct kerr err;
	uint64_t rx, tx;

	if (size == 0)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	int r;

	switch (data[0] % 3) {
	case 0:
		r = cgroup_parse_mountinfo(text, len, &m, &err);
		if (r == 0)
			for (int c = 0; c < CGROUP_C_COUNT; c++)
				CHECK(m.v1[c][0] == '\0' || m.v1[c][0] == '/');
		break;
	case 1:
		r = cgroup_parse_proc(text, len, &loc, &err);
		if (r == 0) {
			check_path(loc.v2);
			for (int c = 0; c < CGROUP_C_COUNT; c++)
				check_path(loc.v1[c]);
		}
		break;
	default:
		r = cgroup_parse_net_dev(text, len, &rx, &tx, &err);
		break;
	}
	CHECK(r == 0 || err.msg[0] != '\0');
	return 0;
}
