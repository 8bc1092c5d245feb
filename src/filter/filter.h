/*
 * filter: docker's `ps --filter` as data and as a predicate (mechanism, rank 20: uses only
 * base).
 *
 * filter_parse reads the FILTER field of a LIST request ("KEY=VALUE" lines), checks every
 * key and value as docker's daemon does and compiles the name patterns; filter_match tells
 * whether one container, described by the caller as a struct filter_ctr, passes. Docker's
 * semantics: values of one key are alternatives, different keys must all hold, except
 * `label`, whose values must all hold. The only includer of <regex.h> (its error codes
 * stay here). Never logs, never does I/O; the parsed set owns its compiled patterns.
 */
#ifndef KETTLE_FILTER_H
#define KETTLE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define FILTER_MAX	 16  /* filters in one request (the FILTER field's lines) */
#define FILTER_VALUE_MAX 128 /* bytes of one value */
#define FILTER_PORTS_MAX 64  /* port numbers one publish/expose value may span */

enum filter_key {
	FILTER_ID = 0,	 /* id prefix */
	FILTER_NAME,	 /* name: a POSIX extended regular expression, unanchored */
	FILTER_LABEL,	 /* KEY or KEY=VALUE; every label filter must hold */
	FILTER_STATUS,	 /* created, restarting, running, removing, paused, exited, dead */
	FILTER_EXITED,	 /* exit code of a container that ran and stopped */
	FILTER_HEALTH,	 /* starting, healthy, unhealthy, none */
	FILTER_ANCESTOR, /* the container's image (what ps shows as IMAGE) */
	FILTER_BEFORE,	 /* created before this container (the caller resolves it) */
	FILTER_SINCE,	 /* created after this container (the caller resolves it) */
	FILTER_VOLUME,	 /* a mount's source or destination */
	FILTER_NETWORK,	 /* a network the container is on */
	FILTER_PUBLISH,	 /* a published container port: 80, 80/tcp, 8000-8010/udp */
	FILTER_EXPOSE,	 /* an exposed container port, same forms */
	FILTER_NKEYS,	 /* count */
};

struct filter_port {
	uint16_t port; /* container port */
	char proto[8]; /* "tcp", "udp", "sctp" */
};

struct filter_one {
	enum filter_key key;		  /* what it tests */
	char value[FILTER_VALUE_MAX + 1]; /* the text after the first '=' */
	void *re;			  /* FILTER_NAME: compiled regex_t (owned), or NULL */
	int code;			  /* FILTER_EXITED: the exit code */
	uint16_t port_lo, port_hi;	  /* FILTER_PUBLISH, FILTER_EXPOSE: the range */
	char proto[8];			  /* FILTER_PUBLISH, FILTER_EXPOSE: "tcp" default */
};

struct filter_set {
	size_t n;			 /* used entries of f */
	struct filter_one f[FILTER_MAX]; /* in the order given */
	bool all;			 /* a status filter: stopped containers too (docker) */
	int64_t before_ns;		 /* FILTER_BEFORE resolved: created time, 0 unset */
	char before_id[65];		 /* ... and its id (ties are ordered by id) */
	int64_t since_ns;		 /* FILTER_SINCE resolved, 0 unset */
	char since_id[65];		 /* ... and its id */
};

/* One container as the filters see it. Everything is borrowed. */
struct filter_ctr {
	const char *id;			     /* full id */
	const char *name;		     /* without docker's leading '/' */
	const char *const *labels;	     /* "KEY=VALUE" */
	size_t nlabels;			     /* entries of labels */
	const char *state;		     /* docker's state word (filter STATUS) */
	bool running;			     /* running or paused */
	bool started;			     /* it has run at least once */
	int exit_code;			     /* last exit code */
	const char *health;		     /* "starting", "healthy", "unhealthy" or "none" */
	const char *image;		     /* as ps shows it, or "" */
	int64_t created_ns;		     /* creation time */
	const char *const *mount_src;	     /* mounts' host paths */
	const char *const *mount_dst;	     /* mounts' container paths */
	size_t nmounts;			     /* entries of both */
	const char *const *networks;	     /* network names */
	size_t nnetworks;		     /* entries of networks */
	const struct filter_port *published; /* ports published on the host */
	size_t npublished;		     /* entries of published */
	const struct filter_port *exposed;   /* ports exposed (published or not) */
	size_t nexposed;		     /* entries of exposed */
};

/* Newline-separated KEY=VALUE lines (empty ones skipped) into fs. A line without '=', an
 * unknown key, a bad value or too many filters fails with a message naming it; on failure
 * fs holds nothing to free. */
int filter_parse(const char *text, struct filter_set *fs, struct kerr *err);
/* Frees the compiled patterns; fs is empty afterwards. */
void filter_set_done(struct filter_set *fs);
/* The value of the first filter of key, or NULL (for the caller's before/since lookup). */
const char *filter_value(const struct filter_set *fs, enum filter_key key);
/* Whether c passes every filter of fs (before/since by the times the caller filled in). */
bool filter_match(const struct filter_set *fs, const struct filter_ctr *c);
/* "id", "name", ... */
const char *filter_key_name(enum filter_key key);

#endif
