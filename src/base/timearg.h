/*
 * timearg: the points in time a person types for --since and --until (base layer), one
 * parser for `kettle logs` and `kettle events`, taking what docker's CLI takes.
 *
 * Forms: Unix seconds with an optional fraction ("1700000000", "1700000000.25"); RFC 3339
 * ("2006-01-02T15:04:05Z", "…05.5+02:00"), where the fraction, the seconds, the minutes,
 * the time and the zone may each be left out ("2006-01-02T15:04", "2006-01-02"): without
 * a zone the time is local, as the TZ environment says; a duration before now ("10m",
 * "1h30m", "1.5h"; a bare number is Unix seconds, never a duration). Never logs.
 */
#ifndef KETTLE_TIMEARG_H
#define KETTLE_TIMEARG_H

#include <stdint.h>

#include "base/kerr.h"

/*
 * s as nanoseconds since the epoch (a duration counts back from now_ns). Returns 0, or -1
 * with err: code EINVAL when s is none of the forms, ERANGE when it is one but lies
 * before 1970 or past 2262 (int64 nanoseconds).
 */
int timearg_parse(const char *s, int64_t now_ns, int64_t *ns, struct kerr *err);

#endif
