/*
 * fuzz_archive: libFuzzer target for image archives (test layer, fuzzes the tar index of
 * src/image/archive.c and the gzip decoding of src/image/gz.c and imgsrc.c).
 *
 * The input is written to a memfd and indexed as a tar, then looked up by every member's
 * name (links followed inside the archive) and read; then decoded as a layer blob (gzip or
 * plain) through the digest taps. Every member found must lie inside the file, links must
 * never lead out of the archive, reads must return exactly the member's bytes, and the
 * taps must count what passed. The only I/O is the memfd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/buf.h"
#include "image/archive.h"
#include "image/imgsrc.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void index_it(int fd, size_t size)
{
	struct archive a;
	struct kerr err;

	if (archive_index(&a, fd, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		const struct archive_member *m = archive_find(&a, a.m[i].name, &err);
		struct buf b;

		CHECK(a.m[i].off <= size && a.m[i].size <= size - a.m[i].off);
		if (!m) {
			CHECK(err.msg[0] != '\0');
			continue;
		}
		CHECK(m->kind == '0' && m->off + m->size <= size);
		buf_init(&b, 1u << 20);
		if (archive_read(&a, m, 1u << 16, &b, &err) == 0)
			CHECK(b.len == m->size);
		buf_done(&b);
	}
	archive_done(&a);
}

static void decode_it(int fd, size_t size)
{
	struct copy_src file_src, dec_src, tap_src;
	struct imgsrc_file f;
	struct imgsrc_dec dec;
	struct imgsrc_tap tap;
	struct kerr err;

	imgsrc_file(&file_src, &f, fd, 0, size);
	if (imgsrc_dec(&dec_src, &dec, &file_src, "fuzz", &err) < 0)
		return;
	imgsrc_tap(&tap_src, &tap, &dec_src, 1u << 24, "too big");
	if (imgsrc_drain(&tap_src, &err) < 0)
		CHECK(err.msg[0] != '\0');
	else if (dec.fmt == GZ_NONE)
		CHECK(tap.count == size);
	imgsrc_dec_done(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		index_it(fd, size);
		decode_it(fd, size);
	}
	close(fd);
	return 0;
}
