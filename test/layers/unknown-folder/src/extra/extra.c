/* Case unknown-folder: a folder the rank table does not know. */
#include "base/kerr.h"

int extra_run(void)
{
	return kerr_set(1);
}
