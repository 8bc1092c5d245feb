/*
 * selfexe: a read-only copy of the running kettle binary (mechanism M3).
 *
 * `run --init` runs kettle's own init inside the container. Mounting the host's binary
 * there would let a process in the container that can write to /proc/1/exe overwrite
 * the binary every container and the daemon run (runc CVE-2019-5736); a private copy per
 * container, mode 0555 and bind-mounted read-only, has nothing to give away. Never logs.
 */
#ifndef KETTLE_SELFEXE_H
#define KETTLE_SELFEXE_H

#include "base/kerr.h"

#define SELFEXE_MAX (64u * 1024u * 1024u) /* largest binary copied (bytes) */

/* Copies /proc/self/exe to dirfd/name atomically: a temporary name in the same
 * directory, fchmod 0555, fsync, rename. An existing name is replaced. */
int selfexe_copy(int dirfd, const char *name, struct kerr *err);
/* The same from any readable binary (tests). */
int selfexe_copy_from(const char *src, int dirfd, const char *name, struct kerr *err);
/* 0 when the ELF file at path asks for no program interpreter (statically linked: it
 * runs in any rootfs); -1 with err naming the interpreter, or the file's defect. */
int selfexe_check_static(const char *path, struct kerr *err);

#endif
