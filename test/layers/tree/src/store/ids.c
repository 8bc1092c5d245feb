/* Fixture for test/layers/run.sh: store uses base. */
#include "base/kerr.h"
#include "store/ids.h"

int ids_check(int n)
{
	return n < 0 ? kerr_set(22) : 0;
}
