/*
 * fdlog: record the descriptors a program is started with, then become it (test tooling).
 *
 * `fdlog LOG PROGRAM [ARG...]` appends one line to LOG — the ARGs, `|`, then each open
 * descriptor as "N:TARGET" (its /proc/self/fd link, the listing's own fd left out) — and
 * execs PROGRAM with the descriptors untouched. leaks.test puts it in front of runc (through
 * a `--runtime` script) to prove the shim hands the runtime nothing but what it needs: a
 * descriptor the runtime inherits can reach the container (runc CVE-2024-21626).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[8192], path[300], target[PATH_MAX];
	size_t len = 0;
	struct dirent *e;
	DIR *d;
	int fd;

	if (argc < 3) {
		fputs("usage: fdlog LOG PROGRAM [ARG...]\n", stderr);
		return 125;
	}
	for (int i = 3; i < argc && len < sizeof(line) / 2; i++)
		len += (size_t)snprintf(line + len, sizeof(line) / 2 - len, "%s ", argv[i]);
	len += (size_t)snprintf(line + len, sizeof(line) - len, "|");
	d = opendir("/proc/self/fd");
	if (d == NULL) {
		perror("fdlog: /proc/self/fd");
		return 125;
	}
	while ((e = readdir(d)) != NULL && len < sizeof(line) - PATH_MAX - 32) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s:%s", e->d_name,
					target);
	}
	closedir(d);
	line[len++] = '\n';
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
		perror("fdlog: write the log");
		return 125;
	}
	close(fd);
	execvp(argv[2], argv + 2);
	perror("fdlog: exec");
	return 127;
}
