/*
 * seccomp_spec: config.json's `linux.seccomp` from a filter (mechanism, rank 35), in the OCI
 * runtime spec's shape (config-linux.md, "Seccomp"). Never writes `flags` (runc 1.1.5
 * refuses any) nor a listener. Never logs.
 */
#ifndef KETTLE_SECCOMP_SPEC_H
#define KETTLE_SECCOMP_SPEC_H

#include "base/json_w.h"
#include "seccomp/seccomp_filter.h"

/* Writes "seccomp": {...} as the next member of the object w is in. */
void seccomp_spec_write(struct json_w *w, const struct seccomp_filter *f);

#endif
