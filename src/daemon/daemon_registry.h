/*
 * daemon_registry: the daemon's index of containers and their pending requests (role,
 * layer 3; bottom band of the daemon). Calls only daemon_reply, daemon_runtime and
 * daemon_events.
 */
#ifndef KETTLE_DAEMON_REGISTRY_H
#define KETTLE_DAEMON_REGISTRY_H

#include "daemon/daemon_state.h"

/* Forgets every container (closing shim connections, leaving shims running). */
void daemon_registry_free(struct daemon *d);
/* Frees c, which is not (or no longer) in the registry: closes everything it holds;
 * pending requests get `why`, waiters the last exit code. */
void daemon_registry_ctr_free(struct daemon *d, struct daemon_ctr *c, const char *why);
/* A status under which the container may still run: running, paused, restarting or
 * removing. */
bool daemon_registry_kind_may_run(enum status_kind k);
/* A --rm container that has exited: its exit code is known and told, so to every client it
 * is already gone (LIST, INFO, names and references skip it) while its shim deletes it and
 * the directory is removed in the background. daemon_find_id still finds it: its id
 * names a directory that exists until then. */
bool daemon_ctr_hidden(const struct daemon_ctr *c);
/* Name, then full id, then unique id prefix (hidden containers are skipped). On failure
 * *code is the client exit code. */
struct daemon_ctr *daemon_resolve(struct daemon *d, const char *ref, uint32_t *code,
				  struct kerr *err);
struct daemon_ctr *daemon_find_name(struct daemon *d, const char *name);
struct daemon_ctr *daemon_find_id(struct daemon *d, const char *id);
/* A new entry (not yet in the registry) owning *rec's contents (rec is reset). */
struct daemon_ctr *daemon_ctr_new(struct daemon *d, struct record *rec);
int daemon_ctr_add(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* Drops c from the registry and frees it; pending requests get `why` (code 125). */
void daemon_ctr_forget(struct daemon *d, struct daemon_ctr *c, const char *why);
/* Forgets c and removes its directory. */
int daemon_ctr_remove(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
bool daemon_ctr_spawning(const struct daemon_ctr *c);
/* A shim that serves requests: not dead, not exiting after a failed create. */
bool daemon_ctr_shim_alive(const struct daemon_ctr *c);
/* Running, paused or restarting under a live shim. */
bool daemon_ctr_running(const struct daemon_ctr *c);
/* Exited or dead: its exit code is final. */
bool daemon_ctr_has_exited(const struct daemon_ctr *c);

struct daemon_pend *daemon_pend_add(struct daemon_ctr *c, enum daemon_pend_kind kind,
				    uint32_t shim_reqid, uint64_t client, uint32_t client_reqid,
				    struct kerr *err);
/* Unlinks p from c and frees it. */
void daemon_pend_drop(struct daemon_ctr *c, struct daemon_pend *p);

/* Reads state.json / exit.json into c->st (the newest word of the shim wins). */
void daemon_ctr_refresh(struct daemon *d, struct daemon_ctr *c);

#endif
