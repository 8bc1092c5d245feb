/*
 * peer.c: hostile.test's attacker inside a container (test code, not part of kettle).
 *
 * The busybox rootfs has no python and busybox nc cannot reach abstract sockets, so
 * hostile.test builds this with `musl-gcc -static` and bind-mounts it read-only into a
 * `--network host` container, which shares the host's abstract socket namespace (the
 * CVE-2020-15257 setting). Two modes, output on stdout (the container's log):
 *   peer hello NAME TOKENFILE  connect to @NAME, send AUTH with the token read from
 *                              TOKENFILE, print every frame back ("ERROR <code> <msg>",
 *                              "OK <reqid>") and "closed" or "open" (3 s without a word)
 *   peer squat NAME            bind @NAME as soon as it is free (retrying every 20 ms),
 *                              print "bound"; send each peer a forged
 *                              OK{EXIT_CODE 42}, print "accepted" and the byte count it
 *                              sent ("received N"); runs until killed
 * Frames follow docs/PROTOCOL.md (little-endian header {len, reqid, type, flags}).
 */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define T_AUTH	 1
#define T_OK	 2
#define T_ERROR	 3
#define F_TOKEN	 1
#define F_MSG	 2
#define F_CODE	 3
#define F_EXIT	 12
#define HDR	 12
#define MAX_NAME 100
#define IDLE_MS	 3000

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static socklen_t addr(struct sockaddr_un *sa, const char *name)
{
	size_t n = strnlen(name, MAX_NAME);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* One frame with one field into out; returns its length. */
static size_t frame1(uint8_t *out, uint16_t type, uint16_t tag, const void *val, uint32_t len)
{
	put32(out, 6 + len);
	put32(out + 4, 0);
	put16(out + 8, type);
	put16(out + 10, 0);
	put16(out + 12, tag);
	put32(out + 14, len);
	memcpy(out + 18, val, len);
	return 18 + len;
}

static void print_frame(const uint8_t *p, uint32_t len, uint32_t reqid, uint16_t type)
{
	uint32_t code = reqid;
	const uint8_t *msg = NULL;
	uint32_t msglen = 0;

	for (uint32_t off = 0; off + 6 <= len;) {
		uint16_t tag = p[off] | p[off + 1] << 8;
		uint32_t n = get32(p + off + 2);

		off += 6;
		if (n > len - off)
			break;
		if (tag == F_CODE && n == 4)
			code = get32(p + off);
		if (tag == F_MSG) {
			msg = p + off;
			msglen = n;
		}
		off += n;
	}
	printf("%s %u%s%.*s\n",
	       type == T_OK	 ? "OK"
	       : type == T_ERROR ? "ERROR"
				 : "FRAME",
	       code, msg ? " " : "", (int)msglen, msg ? (const char *)msg : "");
}

static int hello(const char *name, const char *tokfile)
{
	struct sockaddr_un sa;
	uint8_t buf[4096];
	char tok[128];
	size_t have = 0;
	FILE *f = fopen(tokfile, "re");

	if (!f || !fgets(tok, sizeof(tok), f)) {
		printf("read token: failed\n");
		return 1;
	}
	fclose(f);
	tok[strcspn(tok, "\n")] = '\0';
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = addr(&sa, name);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, len) < 0) {
		printf("connect: failed\n");
		return 1;
	}
	size_t n = frame1(buf, T_AUTH, F_TOKEN, tok, (uint32_t)strlen(tok));
	/* The server may have refused us already: its ERROR is still there to read. */
	(void)!send(s, buf, n, MSG_NOSIGNAL);
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };

		if (poll(&p, 1, IDLE_MS) <= 0) {
			printf("open\n");
			return 0;
		}
		ssize_t r = read(s, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			printf("closed\n");
			return 0;
		}
		have += (size_t)r;
		while (have >= HDR && have >= HDR + get32(buf)) {
			uint32_t flen = get32(buf);

			print_frame(buf + HDR, flen, get32(buf + 4), buf[8] | buf[9] << 8);
			memmove(buf, buf + HDR + flen, have - HDR - flen);
			have -= HDR + flen;
		}
		if (have == sizeof(buf))
			have = 0;
		fflush(stdout);
	}
}

static int squat(const char *name)
{
	struct sockaddr_un sa;
	uint8_t forged[32], buf[4096];
	uint32_t code = 42;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = addr(&sa, name);

	/* The name may still be in use: retry until its owner is gone (killed by the test). */
	while (s >= 0 && bind(s, (struct sockaddr *)&sa, len) < 0)
		poll(NULL, 0, 20);
	if (s < 0 || listen(s, 16) < 0) {
		printf("bind: failed\n");
		return 1;
	}
	printf("bound\n");
	fflush(stdout);
	uint8_t v[4];
	put32(v, code);
	size_t n = frame1(forged, T_OK, F_EXIT, v, 4);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		size_t total = 0;
		ssize_t r;

		if (c < 0)
			continue;
		printf("accepted\n");
		fflush(stdout);
		(void)!send(c, forged, n, MSG_NOSIGNAL);
		struct pollfd p = { .fd = c, .events = POLLIN };
		while (poll(&p, 1, IDLE_MS) > 0 && (r = read(c, buf, sizeof(buf))) > 0)
			total += (size_t)r;
		printf("received %zu\n", total);
		fflush(stdout);
		close(c);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "hello") == 0)
		return hello(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "squat") == 0)
		return squat(argv[2]);
	fprintf(stderr, "usage: peer hello NAME TOKENFILE | peer squat NAME\n");
	return 2;
}
