/*
 * hostrt: `kettle host-runtime` (role layer), the runc-compatible runtime of host
 * processes behind runtime.h's RUNTIME_HOST. kettle.c's entry point only.
 */
#ifndef KETTLE_HOSTRT_H
#define KETTLE_HOSTRT_H

int hostrt_main(int argc, char **argv);

#endif
