/* Case upward-call: logs (rank 20) calls store (rank 30) through its own prototype, so no
 * include gives it away. */
#include "base/kerr.h"
#include "logs/logfile.h"

int ids_check(int n);

int logfile_write(int n)
{
	return n > 4096 ? kerr_set(27) : ids_check(n);
}
