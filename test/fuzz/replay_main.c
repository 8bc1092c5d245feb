/*
 * replay_main: a plain main() for every fuzz target (test layer).
 *
 * Built without libFuzzer, a target replays each file of the corpus directories given on
 * the command line, so `make test` runs the committed corpus under ASan/UBSan. Prints
 * "replay <dir>: N passed, 0 failed"; a crash is the failure.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	uint8_t *data = malloc(st.st_size ? (size_t)st.st_size : 1);
	size_t got = 0;
	while (data && got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!data)
		return -1;
	/* A copy of exactly `got` bytes, so ASan sees any over-read past the input. */
	uint8_t *exact = malloc(got ? got : 1);
	if (!exact) {
		free(data);
		return -1;
	}
	for (size_t i = 0; i < got; i++)
		exact[i] = data[i];
	free(data);
	LLVMFuzzerTestOneInput(exact, got);
	free(exact);
	return 1;
}

int main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		int dirfd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			fprintf(stderr, "replay: cannot open corpus `%s`\n", argv[i]);
			return 1;
		}
		DIR *d = fdopendir(dirfd);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			int r = replay_file(dirfd, de->d_name);
			if (r < 0)
				return 1;
			total += r;
		}
		if (d)
			closedir(d);
	}
	printf("replay %s: %d passed, 0 failed\n", argc > 1 ? argv[1] : "(none)", total);
	return 0;
}
