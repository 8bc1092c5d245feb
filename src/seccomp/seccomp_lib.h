/*
 * seccomp_lib: the libseccomp wrapper (mechanism, rank 35), the only file that includes
 * <seccomp.h> (scripts/check-layers.sh checks it). libseccomp's -errno returns become a
 * kerr here and nowhere else (STYLE 7). A filter is only ever built to check it, never
 * loaded: runc loads the one in config.json.
 */
#ifndef KETTLE_SECCOMP_LIB_H
#define KETTLE_SECCOMP_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"
#include "seccomp/seccomp_filter.h"

/* The architecture this binary runs on, or SECCOMP_ARCH_COUNT when libseccomp has none. */
enum seccomp_arch seccomp_lib_native(void);
/* True when libseccomp's table knows name as a syscall of arch. */
bool seccomp_lib_resolves(enum seccomp_arch arch, const char *name);
/* libseccomp's version, "2.5.4". */
void seccomp_lib_version(char *out, size_t cap);
/* Builds f with libseccomp the way runc 1.1.5 does (seccomp_init, arch_add, rule_add_array;
 * several conditions on one argument as separate rules) and releases it without loading.
 * A refusal fails naming the rule and the syscall. */
int seccomp_lib_check(const struct seccomp_filter *f, struct kerr *err);

#endif
