/*
 * str: bounded strings and strict parsing of numbers, sizes and durations (base layer).
 *
 * Every parser rejects empty input, signs where none is allowed, trailing garbage and
 * overflow, and says what was wrong and what was allowed. Nothing allocates.
 */
#ifndef KETTLE_STR_H
#define KETTLE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

/* Copies with truncation; always NUL-terminates (cap > 0). True when it all fit. */
bool str_copy(char *dst, size_t cap, const char *src);
bool str_copyn(char *dst, size_t cap, const char *src, size_t n);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/* Decimal integers only: "0".."max", no sign, no spaces. */
int str_to_u64(const char *s, uint64_t max, uint64_t *out, struct kerr *err);
/* Optional leading '-'; min..max. */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out, struct kerr *err);
/* Byte sizes like docker: "1024", "512k", "64m", "1g", "1.5g" (b/k/m/g/t, either case,
 * binary multiples). */
int str_parse_size(const char *s, uint64_t *bytes, struct kerr *err);
/* Durations like Go: "1m30s", "50ms", "2h", "1.5s"; a bare number means seconds. */
int str_parse_duration_ms(const char *s, uint64_t *ms, struct kerr *err);
/* Decimal with up to three fractional digits, in thousandths: "1.5" -> 1500. */
int str_parse_milli(const char *s, uint64_t max_milli, uint64_t *out, struct kerr *err);

/* Writes a log-safe rendering of n bytes (non-printables as \xNN), truncated to cap. */
size_t str_sanitize(char *dst, size_t cap, const void *src, size_t n);

#endif
