/* Fixture for test/layers/run.sh: the top, dispatching to the roles. */
#include "daemon/daemon.h"
#include "shim/shim.h"

int main(int argc, char **argv)
{
	(void)argv;
	return argc > 1 ? shim_main() : daemon_main();
}
