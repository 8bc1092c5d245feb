/*
 * rxchg: swap pairs of paths atomically, over and over (test tooling, run inside a container).
 *
 * `rxchg COUNT A B [A B]...` calls renameat2(A, B, RENAME_EXCHANGE) for each pair in turn,
 * COUNT rounds (0: until killed), so each name flips between two objects with no moment
 * where it is missing: the sharpest form of the symlink-exchange race against `kettle cp`
 * (docker CVE-2018-15664). busybox has no renameat2, so leaks.test builds this statically
 * and bind-mounts it into the container. Exits 1 on the first failed swap, else prints the
 * rounds done.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
	long n, i;

	if (argc < 4 || (argc - 2) % 2 != 0) {
		fputs("usage: rxchg COUNT A B [A B]...\n", stderr);
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	for (i = 0; n == 0 || i < n; i++) {
		for (int p = 2; p < argc; p += 2) {
			if (syscall(SYS_renameat2, AT_FDCWD, argv[p], AT_FDCWD, argv[p + 1],
				    RENAME_EXCHANGE) < 0) {
				perror("rxchg: renameat2");
				return 1;
			}
		}
	}
	printf("%ld\n", i);
	return 0;
}
