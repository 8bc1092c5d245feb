/*
 * daemon_events: the daemon's event stream, a bounded history and its subscribers (role,
 * layer 3; bottom band of the daemon). Every band publishes; daemon_api.c routes EVENTS
 * here. Calls no other daemon file.
 */
#ifndef KETTLE_DAEMON_EVENTS_H
#define KETTLE_DAEMON_EVENTS_H

#include "daemon/daemon_state.h"

#define DAEMON_EVENTS_HISTORY 1024 /* events kept for --since */
#define DAEMON_EVENTS_SUBS    256  /* `kettle events` streams at once */

int daemon_events_init(struct daemon *d, struct kerr *err);
/* Records one event of c (ns: when; 0 = now) and sends it to matching subscribers.
 * attrs: extra JSON members without braces (`"exit_code":3,"reason":"exited"`), or NULL. */
void daemon_events_publish(struct daemon *d, const struct daemon_ctr *c, const char *type,
			   int64_t ns, const char *attrs);
/* An EVENTS request: history since SINCE, then live events until UNTIL. */
void daemon_events_subscribe(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* END to every subscriber; frees everything. */
void daemon_events_free(struct daemon *d);

#endif
