/*
 * lease: which container has which address of the bridge's subnet (mechanism, src/net).
 *
 * The parser is strict (the header line first, one known line per row, every id a
 * container id, every address valid, no id or address twice, at most LEASE_MAX rows) and a
 * damaged file is an error rather than an empty set: forgetting leases would hand their
 * addresses out again. Changes hold the lock file's flock for one read-modify-replace;
 * readers need no lock because the file is only ever replaced whole. Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "net/ip4.h"
#include "net/lease.h"
#include "store/store.h"

#define HEADER "kettle-leases 1"

void lease_set_done(struct lease_set *s)
{
	free(s->v);
	*s = (struct lease_set){ 0 };
}

static int add(struct lease_set *s, const char *id, uint32_t ip, struct kerr *err)
{
	if (s->n >= LEASE_MAX)
		return kerr_set(err, ENOSPC, "leases: more than %d", LEASE_MAX);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].id, id) == 0)
			return kerr_set(err, EINVAL, "leases: container %.12s is listed twice", id);
		if (s->v[i].ip == ip) {
			char t[IP4_TEXT_MAX];

			return kerr_set(err, EINVAL, "leases: address %s is listed twice",
					ip4_format(ip, t));
		}
	}
	/* Doubling: a file of n rows costs O(n) copies in all. */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct lease_ent *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return kerr_set(err, ENOMEM, "leases");
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n].id, id, IDS_ID_LEN + 1);
	s->v[s->n].ip = ip;
	s->n++;
	return 0;
}

int lease_parse(const char *text, size_t len, struct lease_set *s, struct kerr *err)
{
	size_t off = 0, lineno = 0;

	*s = (struct lease_set){ 0 };
	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + (nl ? 1 : 0);
		lineno++;
		if (!nl) {
			kerr_set(err, EINVAL, "leases line %zu: no newline at its end", lineno);
			goto out_fail;
		}
		if (lineno == 1) {
			if (n != strlen(HEADER) || memcmp(line, HEADER, n) != 0) {
				kerr_set(err, EINVAL, "leases: first line is not `" HEADER "`");
				goto out_fail;
			}
			continue;
		}
		char row[96];
		if (n >= sizeof(row) || memchr(line, '\0', n)) {
			kerr_set(err, EINVAL, "leases line %zu: malformed", lineno);
			goto out_fail;
		}
		memcpy(row, line, n);
		row[n] = '\0';
		char *sp = strchr(row, ' ');
		if (!sp) {
			kerr_set(err, EINVAL, "leases line %zu: expected two words", lineno);
			goto out_fail;
		}
		*sp = '\0';
		if (strcmp(row, "subnet") == 0) {
			if (s->has_subnet || ip4_parse_net(sp + 1, &s->subnet, err) < 0) {
				if (s->has_subnet)
					kerr_set(err, EINVAL, "leases line %zu: a second subnet",
						 lineno);
				kerr_wrap(err, "leases line %zu", lineno);
				goto out_fail;
			}
			s->has_subnet = true;
			continue;
		}
		uint32_t ip;
		if (!ids_is_id(row) || !ip4_parse(sp + 1, &ip)) {
			kerr_set(err, EINVAL,
				 "leases line %zu: expected `<container id> <address>`", lineno);
			goto out_fail;
		}
		if (add(s, row, ip, err) < 0)
			goto out_fail;
	}
	if (lineno == 0) {
		kerr_set(err, EINVAL, "leases: empty, expected `" HEADER "` first");
		goto out_fail;
	}
	return 0;
out_fail:
	lease_set_done(s);
	return -1;
}

int lease_format(const struct lease_set *s, struct buf *out, struct kerr *err)
{
	char t[IP4_TEXT_MAX];

	if (buf_append_str(out, HEADER "\n", err) < 0)
		return -1;
	if (s->has_subnet && buf_printf(out, err, "subnet %s\n", ip4_format_net(s->subnet, t)) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if (buf_printf(out, err, "%s %s\n", s->v[i].id, ip4_format(s->v[i].ip, t)) < 0)
			return -1;
	return 0;
}

int lease_pick(const struct lease_set *s, struct rtnl_net4 subnet, uint32_t *ip, struct kerr *err)
{
	uint32_t base = ntohl(subnet.addr) & rtnl_mask4(subnet.prefix);
	uint64_t size = subnet.prefix >= 32 ? 1 : 1ull << (32 - subnet.prefix);

	/* .0 is the network, .1 the bridge (the gateway), the last the broadcast. */
	for (uint64_t k = 2; k + 1 < size; k++) {
		uint32_t cand = htonl(base + (uint32_t)k);
		bool used = false;

		for (size_t i = 0; i < s->n && !used; i++)
			used = s->v[i].ip == cand;
		if (!used) {
			*ip = cand;
			return 0;
		}
		if (k > LEASE_MAX + 2)
			break;
	}
	char t[IP4_TEXT_MAX];
	return kerr_set(err, ENOSPC, "no free address left in %s (%zu leases)",
			ip4_format_net(subnet, t), s->n);
}

/* ---- the file ---- */

static int open_dir(int rootfd, bool create, int *dirfd, struct kerr *err)
{
	if (create && mkdirat(rootfd, LEASE_DIR, 0700) < 0 && errno != EEXIST)
		return kerr_set(err, errno, "create `" LEASE_DIR "`");
	int fd = openat(rootfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kerr_set(err, errno, "open `" LEASE_DIR "`");
	*dirfd = fd;
	return 0;
}

/* The set in dirfd's file (an empty one when there is no file). */
static int load(int dirfd, struct lease_set *s, struct kerr *err)
{
	struct buf b;

	buf_init(&b, LEASE_FILE_MAX + 1);
	int rc = store_read_file(dirfd, LEASE_FILE, LEASE_FILE_MAX, &b, err);
	if (rc < 0 && err->code == ENOENT) {
		buf_done(&b);
		*s = (struct lease_set){ 0 };
		return 0;
	}
	if (rc == 0)
		rc = lease_parse((const char *)b.data, b.len, s, err);
	buf_done(&b);
	return rc < 0 ? kerr_wrap(err, "read `" LEASE_DIR "/" LEASE_FILE "`") : 0;
}

static int save(int dirfd, const struct lease_set *s, struct kerr *err)
{
	struct buf b;

	buf_init(&b, LEASE_FILE_MAX);
	int rc = lease_format(s, &b, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, LEASE_FILE, b.data, b.len, 0600, true, err);
	buf_done(&b);
	return rc < 0 ? kerr_wrap(err, "write `" LEASE_DIR "/" LEASE_FILE "`") : 0;
}

/* Locked read-modify-replace: fn changes s and says whether to save. */
static int locked(int rootfd,
		  int (*fn)(struct lease_set *s, void *data, bool *dirty, struct kerr *err),
		  void *data, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;
	struct lease_set s;
	bool dirty = false;

	if (open_dir(rootfd, true, &dirfd, err) < 0)
		return -1;
	_cleanup_close_ int lock =
		openat(dirfd, LEASE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return kerr_set(err, errno, "open `" LEASE_DIR "/" LEASE_LOCK "`");
	/* Held only by kettle processes of this root for one read and one write. */
	if (flock(lock, LOCK_EX) < 0)
		return kerr_set(err, errno, "lock `" LEASE_DIR "/" LEASE_LOCK "`");
	if (load(dirfd, &s, err) < 0)
		return -1;
	int rc = fn(&s, data, &dirty, err);
	if (rc == 0 && dirty)
		rc = save(dirfd, &s, err);
	lease_set_done(&s);
	return rc;
}

struct take_args {
	const char *id;		 /* the container */
	struct rtnl_net4 subnet; /* where a new address comes from */
	uint32_t ip;		 /* out */
};

static int do_take(struct lease_set *s, void *data, bool *dirty, struct kerr *err)
{
	struct take_args *a = data;

	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].id, a->id) == 0 &&
		    rtnl_net4_overlap(a->subnet,
				      (struct rtnl_net4){ .addr = s->v[i].ip, .prefix = 32 })) {
			a->ip = s->v[i].ip;
			return 0;
		}
		if (strcmp(s->v[i].id, a->id) == 0) {
			/* From an earlier subnet: give it back and take one of this one. */
			s->v[i] = s->v[--s->n];
			break;
		}
	}
	if (lease_pick(s, a->subnet, &a->ip, err) < 0 || add(s, a->id, a->ip, err) < 0)
		return -1;
	s->subnet = a->subnet;
	s->has_subnet = true;
	*dirty = true;
	return 0;
}

int lease_take(int rootfd, const char *id, struct rtnl_net4 subnet, uint32_t *ip, struct kerr *err)
{
	struct take_args a = { .id = id, .subnet = subnet };

	if (!ids_is_id(id))
		return kerr_set(err, EINVAL, "lease: `%.70s` is not a container id", id);
	if (locked(rootfd, do_take, &a, err) < 0)
		return kerr_wrap(err, "lease an address for %.12s", id);
	*ip = a.ip;
	return 0;
}

int lease_get(int rootfd, const char *id, uint32_t *ip, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;
	struct lease_set s;
	int found = 0;

	int fd = openat(rootfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(err, errno, "open `" LEASE_DIR "`");
	dirfd = fd;
	if (load(dirfd, &s, err) < 0)
		return -1;
	for (size_t i = 0; i < s.n && !found; i++)
		if (strcmp(s.v[i].id, id) == 0) {
			*ip = s.v[i].ip;
			found = 1;
		}
	lease_set_done(&s);
	return found;
}

int lease_subnet(int rootfd, struct rtnl_net4 *net, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;
	struct lease_set s;
	int fd = openat(rootfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(err, errno, "open `" LEASE_DIR "`");
	dirfd = fd;
	if (load(dirfd, &s, err) < 0)
		return -1;
	int has = s.has_subnet ? 1 : 0;
	if (has)
		*net = s.subnet;
	lease_set_done(&s);
	return has;
}

static int do_free(struct lease_set *s, void *data, bool *dirty, struct kerr *err)
{
	const char *id = data;

	(void)err;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].id, id) == 0) {
			s->v[i] = s->v[--s->n];
			*dirty = true;
			break;
		}
	}
	return 0;
}

int lease_free(int rootfd, const char *id, struct kerr *err)
{
	if (locked(rootfd, do_free, (void *)id, err) < 0)
		return kerr_wrap(err, "free the address of %.12s", id);
	return 0;
}

struct gc_args {
	bool (*keep)(const char *id, void *data); /* the caller's */
	void *data;				  /* its data */
	size_t freed;				  /* out */
};

static int do_gc(struct lease_set *s, void *data, bool *dirty, struct kerr *err)
{
	struct gc_args *a = data;

	(void)err;
	for (size_t i = 0; i < s->n;) {
		if (a->keep(s->v[i].id, a->data)) {
			i++;
			continue;
		}
		s->v[i] = s->v[--s->n];
		a->freed++;
		*dirty = true;
	}
	return 0;
}

int lease_gc(int rootfd, bool (*keep)(const char *id, void *data), void *data, size_t *freed,
	     struct kerr *err)
{
	struct gc_args a = { .keep = keep, .data = data };
	struct stat sb;

	*freed = 0;
	if (fstatat(rootfd, LEASE_DIR, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return 0; /* no bridge container ever: nothing to free, nothing to create */
	if (locked(rootfd, do_gc, &a, err) < 0)
		return kerr_wrap(err, "free stale leases");
	*freed = a.freed;
	return 0;
}
