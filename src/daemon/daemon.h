/*
 * daemon: the `kettle daemon` role's entry point and option table (role, layer 3; top of
 * the daemon), what kettle.c needs. The role's own files share daemon_state.h and one
 * header per file; daemon_state.h says how they are banded. No other role includes these
 * headers.
 */
#ifndef KETTLE_DAEMON_H
#define KETTLE_DAEMON_H

struct cli_cmd;

/* Its flags, help and completion (cli.h); kettle.c lists it. */
extern const struct cli_cmd daemon_cmd;

int daemon_main(int argc, char **argv);

#endif
