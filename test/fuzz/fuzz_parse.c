/*
 * fuzz_parse: every strict text parser of the base layer (--since/--until times included),
 * and the signal parser, on one input (test layer).
 *
 * Flag values and timestamps come from users and from files on disk, so each parser must
 * survive any bytes: no crash, no over-read, and on success a value its own grammar
 * allows. Built with replay_main.c it replays test/fuzz/corpus/fuzz_parse/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/ids.h"
#include "base/kerr.h"
#include "runtime/proc.h"
#include "base/str.h"
#include "base/timearg.h"

/* Longer inputs add nothing a parser has not seen by then. */
#define FUZZ_INPUT_MAX 4096

static void check_msg(const struct kerr *err)
{
	/* Every failure leaves a NUL-terminated message inside the buffer. */
	if (strnlen(err->msg, KERR_MSG_MAX) >= KERR_MSG_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[FUZZ_INPUT_MAX + 1];
	struct kerr err;
	uint64_t u;
	int64_t ns;

	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	memcpy(s, data, size);
	s[size] = '\0';

	if (str_parse_size(s, &u, &err) < 0)
		check_msg(&err);
	else if (u > INT64_MAX)
		__builtin_trap();
	if (str_parse_duration_ms(s, &u, &err) < 0)
		check_msg(&err);
	if (str_parse_milli(s, 1000000, &u, &err) < 0)
		check_msg(&err);
	else if (u > 1000000)
		__builtin_trap();
	if (str_to_u64(s, UINT64_MAX, &u, &err) < 0)
		check_msg(&err);
	if (clock_parse_rfc3339(s, &ns, &err) < 0) {
		check_msg(&err);
	} else {
		/* A parsed time formats to a timestamp that parses back to the same instant. */
		char out[CLOCK_RFC3339NANO_LEN + 1];
		int64_t back;

		clock_format_rfc3339nano(ns, out);
		if (clock_parse_rfc3339(out, &back, &err) < 0 || back != ns)
			__builtin_trap();
	}
	if (ids_check_name(s, &err) < 0)
		check_msg(&err);
	else if (size == 0 || strlen(s) > IDS_NAME_MAX)
		__builtin_trap();
	int sig;
	if (proc_signal_parse(s, &sig, &err) < 0) {
		check_msg(&err);
	} else {
		/* A parsed signal is a real one, and its name parses back to it. */
		int back;
		const char *name = proc_signal_name(sig);

		if (sig < 1 || sig > 64) /* Linux: 1..64 */
			__builtin_trap();
		if (strcmp(name, "SIG?") != 0 &&
		    (proc_signal_parse(name, &back, &err) < 0 || back != sig))
			__builtin_trap();
	}
	/* --since/--until: a success is a time from 1970 on; a failure says which kind. */
	if (timearg_parse(s, (int64_t)1700000000 * 1000000000, &ns, &err) < 0) {
		check_msg(&err);
		if (err.code != EINVAL && err.code != ERANGE)
			__builtin_trap();
	} else if (ns < 0) {
		__builtin_trap();
	}
	char san[64];
	str_sanitize(san, sizeof(san), data, size);
	return 0;
}
