/* Case cycle: daemon_b.c calls back into daemon_a.c, which calls daemon_b.c. */
#include "daemon/daemon.h"
#include "runtime/spec.h"

int daemon_b_step(int n)
{
	return spec_build(n) + daemon_a_count();
}
