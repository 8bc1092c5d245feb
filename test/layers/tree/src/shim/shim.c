/* Fixture for test/layers/run.sh: another role, using mechanisms. */
#include "ipc/wire.h"
#include "logs/logfile.h"
#include "shim/shim.h"

int shim_main(void)
{
	return logfile_write(wire_len(0));
}
