/* Fixture for test/layers/run.sh: the role's entry point, on top of daemon_a.c. */
#include "daemon/daemon.h"

int daemon_main(void)
{
	return daemon_a_run(1);
}
