/*
 * fuzz_runclog: libFuzzer target for reading runc's JSON log (test layer, fuzzes
 * runtime_log_last_error and runtime_error_exit_code in src/runtime/runtime.c).
 *
 * The runtime's log is written by another program and, for `runc exec`, partly by
 * whatever the container prints while runc starts: any bytes may be in it. Whatever the
 * input, the message found fits its buffer, is the same on every call, does not depend on
 * the buffer being larger than the message, and maps to 125, 126 or 127.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define SMALL_CAP 16   /* a buffer too small for most messages */
#define LARGE_CAP 1024 /* the shim's size */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly size bytes, so ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	char large[LARGE_CAP], small[SMALL_CAP], again[LARGE_CAP];

	if (!text)
		return 0;
	memcpy(text, data, size);
	memset(large, 'x', sizeof(large));
	runtime_log_last_error(text, size, large, sizeof(large));
	CHECK(memchr(large, '\0', sizeof(large)) != NULL);
	/* Deterministic: the same input gives the same message. */
	runtime_log_last_error(text, size, again, sizeof(again));
	CHECK(strcmp(large, again) == 0);
	/* A message that fits the small buffer is found the same there. */
	runtime_log_last_error(text, size, small, sizeof(small));
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	if (strlen(large) < SMALL_CAP && strlen(small) > 0)
		CHECK(strcmp(large, small) == 0);
	int code = runtime_error_exit_code(large);
	CHECK(code == 125 || code == 126 || code == 127);
	if (code != 125)
		CHECK(strstr(large, "exec: ") != NULL);
	free(text);
	return 0;
}
