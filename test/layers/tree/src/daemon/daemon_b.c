/* Fixture for test/layers/run.sh: the bottom of the role, calls only mechanisms. */
#include "daemon/daemon.h"
#include "runtime/spec.h"

int daemon_b_step(int n)
{
	return spec_build(n);
}
