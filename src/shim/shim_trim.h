/*
 * shim_trim: idle memory (role layer, mechanism band). Included by shim.c only (its
 * before-sleep hook); see shim_trim.c.
 */
#ifndef KETTLE_SHIM_TRIM_H
#define KETTLE_SHIM_TRIM_H

#include "shim/shim_state.h"

/* From the loop's before-sleep hook: after SHIM_TRIM_MS without an event, the pages the
 * idle shim does not use (read-only segments, the read buffer, deep stack) are dropped. */
void shim_trim_before_sleep(struct shim *sh);

#endif
