/*
 * log: the process log of the long-lived roles (base layer, called only from roles).
 *
 * One line per message: "<rfc3339nano> <prog>[<pid>] <level>: <msg>", written with one
 * write(2) so lines from several processes never interleave. Messages are sanitized.
 */
#ifndef KETTLE_LOG_H
#define KETTLE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_setup(const char *prog, enum log_level level, int fd);
bool log_parse_level(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
