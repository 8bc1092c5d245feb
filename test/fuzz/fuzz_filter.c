/*
 * fuzz_filter: libFuzzer target for LIST's FILTER field (test layer, fuzzes src/filter).
 *
 * The input, cut at its first NUL as the daemon reads a str field, is parsed as the
 * daemon parses it. A failure leaves a non-empty NUL-terminated message and nothing
 * allocated (the leak check runs in the fuzzer and in the ASan replay). A success holds
 * at most FILTER_MAX filters whose values fit their buffer, and is applied to two fixed
 * containers twice with the same answer (patterns included). Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const char *const labels[] = { "app=web", "tier", "app=api" };
static const char *const src[] = { "/srv" };
static const char *const dst[] = { "/data" };
static const char *const nets[] = { "none" };
static const struct filter_port ports[] = { { .port = 80, .proto = "tcp" } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct filter_set fs;
	struct kerr err;

	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	if (filter_parse(text, &fs, &err) < 0) {
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0]);
		CHECK(fs.n == 0);
		free(text);
		return 0;
	}
	CHECK(fs.n <= FILTER_MAX);
	for (size_t i = 0; i < fs.n; i++) {
		CHECK(fs.f[i].key < FILTER_NKEYS);
		CHECK(strlen(fs.f[i].value) <= FILTER_VALUE_MAX);
		if (fs.f[i].key == FILTER_PUBLISH || fs.f[i].key == FILTER_EXPOSE)
			CHECK(fs.f[i].port_lo <= fs.f[i].port_hi);
	}
	struct filter_ctr running = {
		.id = "3b2cbf074c99db4a0cad35966a9e24d7bc277f5565c17233386589029b7db273",
		.name = "web",
		.labels = labels,
		.nlabels = 3,
		.state = "running",
		.running = true,
		.started = true,
		.health = "none",
		.image = "/srv/rootfs",
		.created_ns = 10,
		.mount_src = src,
		.mount_dst = dst,
		.nmounts = 1,
		.networks = nets,
		.nnetworks = 1,
		.published = ports,
		.npublished = 1,
		.exposed = ports,
		.nexposed = 1,
	};
	struct filter_ctr exited = running;
	exited.name = "old";
	exited.state = "exited";
	exited.running = false;
	exited.exit_code = 137;
	exited.nlabels = 0;
	for (int k = 0; k < 2; k++) {
		const struct filter_ctr *c = k ? &exited : &running;

		CHECK(filter_match(&fs, c) == filter_match(&fs, c));
	}
	filter_set_done(&fs);
	CHECK(fs.n == 0);
	free(text);
	return 0;
}
