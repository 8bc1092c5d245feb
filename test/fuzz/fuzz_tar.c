/*
 * fuzz_tar: libFuzzer target for the tar header decoder (test layer, fuzzes src/copy/copy_tar.c).
 *
 * The first 512 bytes of the input are a header block (zero-padded when shorter); the
 * rest is handed to copy_tar_pax_parse as a pax extended header whose records then apply
 * to the block. Whatever decodes must respect the caps (NUL-terminated names, size under
 * COPY_SIZE_MAX, mode in 07777), and its name must clean to a relative name without
 * `..`; any violation aborts. Nothing touches the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_tar.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct copy_ext ext;
	static struct copy_hdr h;
	static char clean[COPY_NAME_MAX + 1];
	uint8_t blk[512] = { 0 };
	struct kerr err;
	char type = 0;

	memcpy(blk, data, size < sizeof(blk) ? size : sizeof(blk));
	memset(&ext, 0, sizeof(ext));
	if (size > sizeof(blk) && copy_tar_pax_parse((const char *)data + sizeof(blk),
						     size - sizeof(blk), &ext, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return 0;
	}
	CHECK(!ext.has_path || memchr(ext.path, '\0', sizeof(ext.path)));
	int r = copy_tar_hdr_parse(blk, &ext, &h, &type, &err);
	if (r < 0) {
		CHECK(err.msg[0] != '\0');
		return 0;
	}
	if (r == 0)
		return 0;
	CHECK(memchr(h.name, '\0', sizeof(h.name)) && memchr(h.linkname, '\0', sizeof(h.linkname)));
	CHECK(h.size <= COPY_SIZE_MAX && h.mode <= 07777);
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
		return 0;
	CHECK(h.name[0] != '\0');
	if (copy_tar_clean_name(h.name, clean, sizeof(clean), &err) == 0) {
		CHECK(clean[0] != '/');
		CHECK(strcmp(clean, "..") != 0 && strncmp(clean, "../", 3) != 0 &&
		      !strstr(clean, "/../") && !strstr(clean, "//"));
	}
	return 0;
}
