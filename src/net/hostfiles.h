/*
 * hostfiles: a bridge container's /etc/hosts, /etc/resolv.conf and /etc/hostname (mechanism,
 * src/net).
 *
 * Written into the container's directory and bind-mounted over the rootfs's own, as docker
 * does. resolv.conf starts from the host's: nameservers on loopback (unreachable from the
 * container's namespace) are dropped, and when the host's only nameserver is
 * systemd-resolved's stub 127.0.0.53, its upstream file /run/systemd/resolve/resolv.conf is
 * read instead; --dns, --dns-search and --dns-option replace the matching lines; with no
 * nameserver left, docker's public defaults are used. The text functions are pure (fuzzed:
 * fuzz_netparse); the values were checked by record_validate (no blanks, no newlines).
 * Never logs.
 */
#ifndef KETTLE_HOSTFILES_H
#define KETTLE_HOSTFILES_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"

#define HOSTFILES_HOSTS	      "hosts"
#define HOSTFILES_RESOLV      "resolv.conf"
#define HOSTFILES_HOSTNAME    "hostname"
#define HOSTFILES_HOST_RESOLV "/etc/resolv.conf"
#define HOSTFILES_RESOLVED    "/run/systemd/resolve/resolv.conf"
#define HOSTFILES_RESOLV_MAX  (64u * 1024) /* bytes of a host resolv.conf read */
#define HOSTFILES_STUB	      "127.0.0.53" /* systemd-resolved's stub listener */

/* What the user asked for on top of the host's resolver settings. */
struct hostfiles_dns {
	char *const *servers; /* borrowed; --dns */
	size_t nservers;      /* entries of servers */
	char *const *search;  /* borrowed; --dns-search */
	size_t nsearch;	      /* entries of search */
	char *const *options; /* borrowed; --dns-option */
	size_t noptions;      /* entries of options */
};

/* /etc/hosts: localhost, the container's address (ip 0: none) as hostname, then the
 * "NAME:IP" entries of --add-host. */
int hostfiles_hosts(const char *hostname, uint32_t ip, char *const *extra, size_t nextra,
		    struct buf *out, struct kerr *err);
/* The container's resolv.conf from the host's text. */
int hostfiles_resolv(const char *host, size_t len, const struct hostfiles_dns *dns, struct buf *out,
		     struct kerr *err);
/* 1 when every nameserver of text is the systemd-resolved stub (and there is one). */
int hostfiles_only_stub(const char *text, size_t len);
/* Reads the host's resolver file (the upstream one behind a stub) into out; a host
 * without one gives an empty text. */
int hostfiles_read_host(struct buf *out, struct kerr *err);
/* Writes hosts, resolv.conf and hostname into dirfd. */
int hostfiles_write(int dirfd, const char *hostname, uint32_t ip, char *const *extra, size_t nextra,
		    const struct hostfiles_dns *dns, struct kerr *err);

#endif
