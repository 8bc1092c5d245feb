/*
 * ids: container id and name rules, random ids and generated names (base layer).
 *
 * An id is 64 lowercase hex characters (shown as 12); a name matches docker's
 * [a-zA-Z0-9][a-zA-Z0-9_.-]* and is at most IDS_NAME_MAX bytes. Random bytes come
 * from getrandom(2) only.
 */
#ifndef KETTLE_IDS_H
#define KETTLE_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"

#define IDS_ID_LEN    64
#define IDS_SHORT_LEN 12
#define IDS_NAME_MAX  128

bool ids_is_id(const char *s);
/* True when s is a non-empty lowercase-hex string of at most IDS_ID_LEN chars. */
bool ids_is_id_prefix(const char *s);
int ids_check_name(const char *name, struct kerr *err);
int ids_random_bytes(void *buf, size_t n, struct kerr *err);
/* out receives 2*nbytes hex chars and a NUL. */
int ids_random_hex(char *out, size_t nbytes, struct kerr *err);
int ids_new_id(char out[IDS_ID_LEN + 1], struct kerr *err);
/* A docker-style "adjective_noun" name derived from the id's first bytes. */
void ids_name_from_id(const char *id, char out[IDS_NAME_MAX + 1]);

#endif
