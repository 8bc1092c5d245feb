/* Case role-uses-role: the shim includes and calls the daemon. */
#include "daemon/daemon.h"
#include "ipc/wire.h"
#include "logs/logfile.h"
#include "shim/shim.h"

int shim_main(void)
{
	return logfile_write(wire_len(0)) + daemon_main();
}
