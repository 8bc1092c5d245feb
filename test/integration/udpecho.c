/*
 * udpecho: the UDP peer of network.test (test helper, built static).
 *   udpecho serve PORT             answers every datagram with "echo:" + its bytes
 *   udpecho ask IP PORT TEXT       sends TEXT, prints the answer; exit 1 after 2 s without
 * busybox has no UDP netcat, and a published UDP port needs something real on both ends.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[2048];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "serve") == 0) {
		sa.sin_port = htons((unsigned short)atoi(argv[2]));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 2;
		for (;;) {
			struct sockaddr_in from;
			socklen_t len = sizeof(from);
			ssize_t n = recvfrom(fd, buf + 5, sizeof(buf) - 5, 0, (struct sockaddr *)&from,
					     &len);

			if (n < 0)
				continue;
			memcpy(buf, "echo:", 5);
			(void)sendto(fd, buf, (size_t)n + 5, 0, (struct sockaddr *)&from, len);
		}
	}
	if (argc == 5 && strcmp(argv[1], "ask") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		sa.sin_port = htons((unsigned short)atoi(argv[3]));
		if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
			return 2;
		if (sendto(fd, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 1;
		if (poll(&p, 1, 2000) != 1)
			return 1;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return 1;
		buf[n] = '\0';
		printf("%s\n", buf);
		return 0;
	}
	fprintf(stderr, "usage: udpecho serve PORT | udpecho ask IP PORT TEXT\n");
	return 2;
}
