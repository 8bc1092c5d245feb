/* Fixture for test/layers/run.sh: a mechanism header (logs, rank 20). */
#ifndef FIXTURE_LOGFILE_H
#define FIXTURE_LOGFILE_H

int logfile_write(int n);

#endif
