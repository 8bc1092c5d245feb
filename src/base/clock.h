/*
 * clock: monotonic milliseconds and wall-clock RFC3339Nano (base layer).
 *
 * Timestamps on disk and on the wire are UTC nanoseconds since the epoch; the textual
 * form is always 30 bytes: "2006-01-02T15:04:05.000000000Z".
 */
#ifndef KETTLE_CLOCK_H
#define KETTLE_CLOCK_H

#include <stdint.h>

#include "base/kerr.h"

#define CLOCK_RFC3339NANO_LEN 30

uint64_t clock_mono_ms(void);
int64_t clock_wall_ns(void);
/* out must hold CLOCK_RFC3339NANO_LEN + 1 bytes. */
void clock_format_rfc3339nano(int64_t ns, char *out);
/* Accepts "2006-01-02T15:04:05Z", optional fraction (1..9 digits), "Z" or "+hh:mm". */
int clock_parse_rfc3339(const char *s, int64_t *ns, struct kerr *err);
/* "3 minutes", "About an hour", "2 days" as docker's ps prints durations. */
void clock_human_duration(int64_t ns, char *out, unsigned cap);

#endif
