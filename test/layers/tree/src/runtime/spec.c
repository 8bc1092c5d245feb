/* Fixture for test/layers/run.sh: runtime uses store. */
#include "runtime/spec.h"
#include "store/ids.h"

int spec_build(int n)
{
	return ids_check(n);
}
