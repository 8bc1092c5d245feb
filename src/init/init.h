/*
 * init: the `kettle init` role (layer 3), a tiny PID 1 that `run --init` puts in front of
 * a container's command. It reaps every zombie and forwards signals to the command; it
 * shares nothing with the other roles and includes none of their headers.
 */
#ifndef KETTLE_INIT_H
#define KETTLE_INIT_H

struct cli_cmd;

/* Its help and completion (cli.h); kettle.c lists it. */
extern const struct cli_cmd init_cmd;

int init_main(int argc, char **argv);

#endif
