/*
 * shimv2_events: task events for containerd's event service (role layer, bottom band).
 * Included by the files that publish (proc, task) and by the top (serve); see
 * shimv2_events.c.
 */
#ifndef KETTLE_SHIMV2_EVENTS_H
#define KETTLE_SHIMV2_EVENTS_H

#include "base/buf.h"
#include "shimv2/shimv2_state.h"
#include "ttrpc/pb.h"

/* One event being encoded: shimv2_events_begin positions e inside the event message. */
struct shimv2_event_enc {
	struct buf b;	 /* the Request's bytes */
	struct pb_enc e; /* encodes the event (TaskCreate, TaskExit, ...) */
};

/* addr: TTRPC_ADDRESS, containerd's TTRPC socket ("" or NULL: events go nowhere). */
void shimv2_events_init(struct shimv2 *sv, const char *addr);
/* Starts the Forward request of one event: topic "/tasks/exit", type "containerd.events.
 * TaskExit". */
void shimv2_events_begin(struct shimv2 *sv, struct shimv2_event_enc *x, const char *topic,
			 const char *type_url);
/* Queues it (in order: events are sent one at a time, each after the previous was
 * answered) and starts sending. */
void shimv2_events_end(struct shimv2 *sv, struct shimv2_event_enc *x);
/* True when nothing is left to send. */
bool shimv2_events_idle(const struct shimv2 *sv);
/* Closes the connection and frees the queue; for the final teardown. */
void shimv2_events_done(struct shimv2 *sv);

#endif
