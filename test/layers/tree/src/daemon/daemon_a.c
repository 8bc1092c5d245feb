/* Fixture for test/layers/run.sh: calls daemon_b.c and ipc. */
#include "daemon/daemon.h"
#include "ipc/wire.h"

static int runs;

int daemon_a_count(void)
{
	return runs;
}

int daemon_a_run(int n)
{
	runs++;
	return daemon_b_step(n) + wire_len(n);
}
