/*
 * shim: the `kettle shim` role (layer 3), one per container: runs the runtime, is the
 * container's subreaper, holds its stdio, writes its log and exit status, and keeps it
 * supervised while the daemon is away. kettle.c's entry point only; the role's own
 * files share shim_state.h and one header per file.
 */
#ifndef KETTLE_SHIM_H
#define KETTLE_SHIM_H

int shim_main(int argc, char **argv);

#endif
