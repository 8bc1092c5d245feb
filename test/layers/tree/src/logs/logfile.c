/* Fixture for test/layers/run.sh: logs uses only base. */
#include "base/kerr.h"
#include "logs/logfile.h"

int logfile_write(int n)
{
	return n > 4096 ? kerr_set(27) : n;
}
