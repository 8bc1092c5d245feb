/*
 * shimv2: kettle as a containerd shim v2 (role layer): another face of the shim role,
 * chosen by argv[0]. kettle.c's entry points only; the role's own files share
 * shimv2_state.h and one header per file.
 */
#ifndef KETTLE_SHIMV2_H
#define KETTLE_SHIMV2_H

/* containerd-shim-kettle-v2: tasks on runc. */
int shimv2_main(int argc, char **argv);
/* containerd-shim-kettle-host-v2: tasks run directly on the host (kettle's host runtime). */
int shimv2_host_main(int argc, char **argv);

#endif
