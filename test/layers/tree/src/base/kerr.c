/* Fixture for test/layers/run.sh: base, calls nothing. */
#include "base/kerr.h"

int kerr_set(int code)
{
	return -code;
}
