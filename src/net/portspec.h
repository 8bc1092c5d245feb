/*
 * portspec: docker's -p and --expose values as text (mechanism, src/net; pure).
 *
 * -p CONTAINER, -p HOST:CONTAINER, -p IP:HOST:CONTAINER and -p IP::CONTAINER, each with
 * an optional /tcp or /udp (tcp by default); a host port left out is 0, for the daemon to
 * choose. --expose PORT[/PROTO]. Port ranges are not accepted. Fuzzed (fuzz_netparse).
 * Never logs.
 */
#ifndef KETTLE_PORTSPEC_H
#define KETTLE_PORTSPEC_H

#include <stddef.h>

#include "base/kerr.h"
#include "store/record.h"

#define PORTSPEC_TEXT_MAX 80 /* a port as text: "255.255.255.255:65535->65535/udp" and more */

int portspec_parse(const char *s, struct record_port *p, struct kerr *err);
/* "PORT[/PROTO]" into a port to publish on a free host port. */
int portspec_parse_expose(const char *s, struct record_port *p, struct kerr *err);
/* docker port's line: "80/tcp -> 0.0.0.0:8080". */
void portspec_format(const struct record_port *p, char out[PORTSPEC_TEXT_MAX]);

#endif
