/* Case mechanism-logs: a mechanism logs instead of filling a kerr. */
#include "base/kerr.h"
#include "base/log.h"
#include "store/ids.h"

int ids_check(int n)
{
	if (n < 0)
		log_error("negative"); /* log_warn( in a comment is fine */
	return n < 0 ? kerr_set(22) : 0;
}
