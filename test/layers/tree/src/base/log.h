/* Fixture for test/layers/run.sh: the roles' logger (declared only; no role calls it here). */
#ifndef FIXTURE_LOG_H
#define FIXTURE_LOG_H

void log_error(const char *fmt, ...);

#endif
