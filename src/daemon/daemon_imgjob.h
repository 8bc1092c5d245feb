/*
 * daemon_imgjob: `kettle-image-worker`, the process that runs one image job for the daemon
 * (role, layer 3; the entry point of its own process, called only by kettle.c).
 */
#ifndef KETTLE_DAEMON_IMGJOB_H
#define KETTLE_DAEMON_IMGJOB_H

/* argv: kettle-image-worker --root ROOT --job JSON. fd 0 the input, 1 the output, 2 the
 * progress pipe, 3 the report pipe (daemon_imgwork.c). Exits 0 once the report is
 * written (whatever it says), 1 when it could not even be written, 125 on misuse. */
int daemon_imgjob_main(int argc, char **argv);

#endif
