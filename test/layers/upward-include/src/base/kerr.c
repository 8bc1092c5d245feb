/* Case upward-include: base includes a store header. */
#include "base/kerr.h"
#include "store/ids.h"

int kerr_set(int code)
{
	return -code;
}
