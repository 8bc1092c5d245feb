/*
 * hostfiles: a bridge container's /etc/hosts, /etc/resolv.conf and /etc/hostname (mechanism,
 * src/net).
 *
 * The host's resolv.conf is read through a size cap and parsed line by line; only the
 * `nameserver`, `search`, `domain` and `options` lines are carried over (comments and
 * unknown keywords are dropped), each word checked for characters that could break the
 * file. Loopback nameservers are dropped because 127.0.0.1 inside the container is the
 * container itself. The files are written by atomic replace, not fsynced: they are
 * derived from the record and the lease and written again at every attach. Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "base/fd.h"
#include "net/hostfiles.h"
#include "net/ip4.h"
#include "store/store.h"

#define MAX_SERVERS 3 /* MAXNS of resolv.conf(5): the resolver reads no more */
#define WORD_MAX    256

static const char *const default_servers[] = { "8.8.8.8", "8.8.4.4" }; /* docker's */

int hostfiles_hosts(const char *hostname, uint32_t ip, char *const *extra, size_t nextra,
		    struct buf *out, struct kerr *err)
{
	char t[IP4_TEXT_MAX];

	if (buf_append_str(out,
			   "127.0.0.1\tlocalhost\n"
			   "::1\tlocalhost ip6-localhost ip6-loopback\n"
			   "fe00::0\tip6-localnet\n"
			   "ff00::0\tip6-mcastprefix\n"
			   "ff02::1\tip6-allnodes\n"
			   "ff02::2\tip6-allrouters\n",
			   err) < 0)
		return -1;
	if (ip && buf_printf(out, err, "%s\t%s\n", ip4_format(ip, t), hostname) < 0)
		return -1;
	for (size_t i = 0; i < nextra; i++) {
		/* "NAME:IP"; the address may be IPv6 and hold colons itself. */
		const char *colon = strchr(extra[i], ':');

		if (!colon)
			return kerr_set(err, EINVAL, "--add-host `%.80s` is not NAME:IP", extra[i]);
		if (buf_printf(out, err, "%s\t%.*s\n", colon + 1, (int)(colon - extra[i]),
			       extra[i]) < 0)
			return -1;
	}
	return 0;
}

/* The words of one line, at most max of them, each at most WORD_MAX-1 bytes. */
static size_t split(const char *line, size_t n, char words[][WORD_MAX], size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n || line[i] == '#' || line[i] == ';')
			break;
		size_t start = i;
		while (i < n && line[i] != ' ' && line[i] != '\t')
			i++;
		size_t len = i - start;
		if (len >= WORD_MAX)
			len = WORD_MAX - 1;
		memcpy(words[k], line + start, len);
		words[k][len] = '\0';
		k++;
	}
	return k;
}

/* Printable, no blanks: safe to write back as one word. */
static bool word_ok(const char *w)
{
	for (; *w; w++)
		if ((unsigned char)*w <= ' ' || (unsigned char)*w >= 0x7f)
			return false;
	return true;
}

static bool loopback_server(const char *w)
{
	uint32_t ip;
	unsigned char a6[16];

	if (ip4_parse(w, &ip))
		return ip4_is_loopback(ip);
	if (inet_pton(AF_INET6, w, a6) == 1)
		return memcmp(a6, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return false;
}

static bool server_ok(const char *w)
{
	uint32_t ip;
	unsigned char a6[16];

	return ip4_parse(w, &ip) || inet_pton(AF_INET6, w, a6) == 1;
}

/* Calls fn(words, n) for each non-empty line. */
static int each_line(const char *text, size_t len,
		     int (*fn)(char words[][WORD_MAX], size_t n, void *data), void *data)
{
	char words[8][WORD_MAX]; /* one line at a time */
	size_t off = 0;

	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n))
			continue;
		size_t k = split(line, n, words, 8);
		if (k > 0 && fn(words, k, data) < 0)
			return -1;
	}
	return 0;
}

struct stub_count {
	unsigned stub;	/* nameserver lines naming the stub */
	unsigned other; /* other nameserver lines */
};

static int count_stub(char words[][WORD_MAX], size_t n, void *data)
{
	struct stub_count *c = data;

	if (n >= 2 && strcmp(words[0], "nameserver") == 0) {
		if (strcmp(words[1], HOSTFILES_STUB) == 0)
			c->stub++;
		else
			c->other++;
	}
	return 0;
}

int hostfiles_only_stub(const char *text, size_t len)
{
	struct stub_count c = { 0 };

	each_line(text, len, count_stub, &c);
	return c.stub > 0 && c.other == 0;
}

struct resolv_ctx {
	const struct hostfiles_dns *dns; /* the user's */
	struct buf *search;		 /* the host's search/domain lines */
	struct buf *servers;		 /* the host's usable nameserver lines */
	struct buf *options;		 /* the host's options lines */
	unsigned nservers;		 /* lines in servers */
	struct kerr *err;		 /* failures */
};

static int take_line(char words[][WORD_MAX], size_t n, void *data)
{
	struct resolv_ctx *c = data;
	struct buf *to = NULL;

	if (strcmp(words[0], "nameserver") == 0 && n >= 2) {
		if (!server_ok(words[1]) || loopback_server(words[1]) || c->nservers >= MAX_SERVERS)
			return 0;
		c->nservers++;
		return buf_printf(c->servers, c->err, "nameserver %s\n", words[1]);
	}
	if (strcmp(words[0], "search") == 0 || strcmp(words[0], "domain") == 0)
		to = c->search;
	else if (strcmp(words[0], "options") == 0)
		to = c->options;
	if (!to || n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!word_ok(words[i]))
			return 0;
	for (size_t i = 0; i < n; i++)
		if (buf_printf(to, c->err, "%s%s", i ? " " : "", words[i]) < 0)
			return -1;
	return buf_append_str(to, "\n", c->err);
}

static int put_list(struct buf *out, const char *key, char *const *v, size_t n, struct kerr *err)
{
	if (buf_append_str(out, key, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_printf(out, err, " %s", v[i]) < 0)
			return -1;
	return buf_append_str(out, "\n", err);
}

int hostfiles_resolv(const char *host, size_t len, const struct hostfiles_dns *dns, struct buf *out,
		     struct kerr *err)
{
	struct buf search, servers, options;
	struct resolv_ctx c = {
		.dns = dns, .search = &search, .servers = &servers, .options = &options, .err = err
	};
	int rc;

	buf_init(&search, HOSTFILES_RESOLV_MAX);
	buf_init(&servers, HOSTFILES_RESOLV_MAX);
	buf_init(&options, HOSTFILES_RESOLV_MAX);
	rc = each_line(host, len, take_line, &c);
	if (rc == 0 && dns->nsearch)
		rc = put_list(out, "search", dns->search, dns->nsearch, err);
	else if (rc == 0 && search.len)
		rc = buf_append(out, search.data, search.len, err);
	for (size_t i = 0; rc == 0 && i < dns->nservers; i++)
		rc = buf_printf(out, err, "nameserver %s\n", dns->servers[i]);
	if (rc == 0 && !dns->nservers && servers.len)
		rc = buf_append(out, servers.data, servers.len, err);
	for (size_t i = 0; rc == 0 && !dns->nservers && !servers.len && i < 2; i++)
		rc = buf_printf(out, err, "nameserver %s\n", default_servers[i]);
	if (rc == 0 && dns->noptions)
		rc = put_list(out, "options", dns->options, dns->noptions, err);
	else if (rc == 0 && options.len)
		rc = buf_append(out, options.data, options.len, err);
	buf_done(&search);
	buf_done(&servers);
	buf_done(&options);
	return rc;
}

static int read_path(const char *path, struct buf *out, struct kerr *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t got = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : kerr_set(err, errno, "open `%s`", path);
	buf_clear(out);
	if (buf_reserve(out, HOSTFILES_RESOLV_MAX + 1, err) < 0)
		return -1;
	/* One byte more than the cap notices a file that is too large. */
	if (fd_read_full(fd, out->data, HOSTFILES_RESOLV_MAX + 1, &got, err) < 0)
		return kerr_wrap(err, "read `%s`", path);
	if (got > HOSTFILES_RESOLV_MAX)
		return kerr_set(err, EFBIG, "read `%s`: larger than %u bytes", path,
				HOSTFILES_RESOLV_MAX);
	out->len = got;
	return 1;
}

int hostfiles_read_host(struct buf *out, struct kerr *err)
{
	int r = read_path(HOSTFILES_HOST_RESOLV, out, err);

	if (r < 0)
		return -1;
	if (r == 1 && hostfiles_only_stub((const char *)out->data, out->len)) {
		struct buf up;

		buf_init(&up, HOSTFILES_RESOLV_MAX + 1);
		r = read_path(HOSTFILES_RESOLVED, &up, err);
		if (r == 1) {
			buf_clear(out);
			r = buf_append(out, up.data, up.len, err) < 0 ? -1 : 1;
		}
		buf_done(&up);
		if (r < 0)
			return -1;
	}
	return 0;
}

int hostfiles_write(int dirfd, const char *hostname, uint32_t ip, char *const *extra, size_t nextra,
		    const struct hostfiles_dns *dns, struct kerr *err)
{
	struct buf host, b;
	int rc;

	buf_init(&host, HOSTFILES_RESOLV_MAX + 1);
	buf_init(&b, 4 * HOSTFILES_RESOLV_MAX);
	rc = hostfiles_read_host(&host, err);
	if (rc == 0)
		rc = hostfiles_resolv((const char *)host.data, host.len, dns, &b, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, HOSTFILES_RESOLV, b.data, b.len, 0644, false, err);
	buf_clear(&b);
	if (rc == 0)
		rc = hostfiles_hosts(hostname, ip, extra, nextra, &b, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, HOSTFILES_HOSTS, b.data, b.len, 0644, false, err);
	buf_clear(&b);
	if (rc == 0)
		rc = buf_printf(&b, err, "%s\n", hostname);
	if (rc == 0)
		rc = store_write_atomic(dirfd, HOSTFILES_HOSTNAME, b.data, b.len, 0644, false, err);
	buf_done(&b);
	buf_done(&host);
	return rc < 0 ? kerr_wrap(err, "write the container's hosts, resolv.conf and hostname") : 0;
}
