/* Fixture for test/layers/run.sh: ipc uses store. */
#include "ipc/wire.h"
#include "store/ids.h"

int wire_len(int n)
{
	return ids_check(n) < 0 ? -1 : n + 12;
}
