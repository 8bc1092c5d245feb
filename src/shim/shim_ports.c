/*
 * shim_ports: the host side of a container's published ports (role layer, mechanism band
 * of the shim).
 *
 * The traffic itself never passes through these sockets: the kernel's DNAT (src/net/nft.c)
 * forwards it before local delivery. The sockets are bound, never listened on or read, so
 * the port stays reserved: a host process or another container asking for it gets
 * EADDRINUSE, and a connection that slipped past the DNAT is refused instead of hanging
 * in a backlog nobody accepts from. No SO_REUSEADDR: it would let others share the port.
 * Every socket is CLOEXEC, so neither runc nor the container inherits one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "base/fd.h"
#include "shim/shim_ports.h"

static int bind_one(const struct record_port *p, int *out, struct kerr *err)
{
	const char *addr = p->host_ip[0] ? p->host_ip : "0.0.0.0";
	const char *proto = record_proto_name(p->proto);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	int type = p->proto == RECORD_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return kerr_set(err, EINVAL, "publish %s:%u/%s: not an IPv4 address", addr,
				p->host_port, proto);
	_cleanup_close_ int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return kerr_set(err, errno, "publish %s:%u/%s: socket", addr, p->host_port, proto);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EADDRINUSE) {
			/* Worded in full: the errno stays for callers, not as strerror text. */
			kerr_set(err, 0,
				 "publish %s:%u/%s: address already in use (another process or "
				 "container holds port %u)",
				 addr, p->host_port, proto, p->host_port);
			return kerr_set_code(err, EADDRINUSE);
		}
		return kerr_set(err, errno, "publish %s:%u/%s: bind", addr, p->host_port, proto);
	}
	*out = take_fd(&fd);
	return 0;
}

int shim_ports_bind(struct shim *sh, struct kerr *err)
{
	const struct record_net *n = &sh->rec.net;

	if (n->nports == 0)
		return 0;
	sh->port_fds = calloc(n->nports, sizeof(*sh->port_fds));
	if (!sh->port_fds)
		return kerr_set(err, ENOMEM, "published ports");
	for (size_t i = 0; i < n->nports; i++) {
		if (bind_one(&n->ports[i], &sh->port_fds[i], err) < 0)
			return -1;
		sh->nport_fds++;
	}
	return 0;
}

void shim_ports_done(struct shim *sh)
{
	for (size_t i = 0; i < sh->nport_fds; i++)
		fd_close(sh->port_fds[i]);
	free(sh->port_fds);
	sh->port_fds = NULL;
	sh->nport_fds = 0;
}
