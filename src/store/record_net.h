/*
 * record_net: the network block of a container record as JSON (mechanism M3; for
 * record_json.c only, which owns the record's JSON form).
 *
 * Keys: "network" ("none", "host", "bridge", "default" in a request, "container:X",
 * "ns:PATH"), then "ports", "publish_all", "expose", "dns", "dns_search", "dns_options",
 * "add_hosts", which are written only when they hold something, so a record without them
 * reads and writes exactly as before they existed. Never logs.
 */
#ifndef KETTLE_RECORD_NET_H
#define KETTLE_RECORD_NET_H

#include "base/json.h"
#include "base/json_w.h"
#include "store/record.h"

/* Member k (key) / v (value) of the record object: 1 when it is a network key and was
 * read into r, 0 when it is not one, -1 on a bad value. */
int record_net_json_member(const struct json_doc *d, int k, int v, struct record *r,
			   struct kerr *err);
/* The "network" key and its value. */
int record_net_json_mode(struct json_w *w, const struct record *r, struct kerr *err);
/* The other keys, those that hold something. */
void record_net_json_block(struct json_w *w, const struct record *r);

#endif
