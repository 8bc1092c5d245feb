/*
 * daemon: the `kettle daemon` role's entry point (role, layer 3; top of the daemon), the one
 * declaration kettle.c needs. The role's own files share daemon_state.h and one header per
 * file; daemon_state.h says how they are banded. No other role includes these headers.
 */
#ifndef KETTLE_DAEMON_H
#define KETTLE_DAEMON_H

int daemon_main(int argc, char **argv);

#endif
