/*
 * fuzz_whiteout: libFuzzer target for the image names (test layer, fuzzes the whiteout
 * rules of src/image/whiteout.c and the references of src/image/imgref.c).
 *
 * The input, NUL-terminated, is a layer member's name (cleaned first, as the extractor
 * cleans it) and a reference. A whiteout's target must be one name: never empty, `.`, `..`
 * or containing `/`, and only `.wh.` names may be whiteouts. A reference that parses must
 * be normalized: parsing its full form again gives the same full form, and so does its
 * familiar form; the repository is a prefix of the full form; a chain id of two digests
 * is a digest. Nothing touches the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_tar.h"
#include "image/imgref.h"
#include "image/whiteout.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void whiteout(const char *name)
{
	static char clean[COPY_NAME_MAX + 1], target[COPY_NAME_MAX + 1];
	enum whiteout_kind kind;
	struct kerr err;

	if (copy_tar_clean_name(name, clean, sizeof(clean), &err) < 0 || !clean[0])
		return;
	if (whiteout_classify(clean, &kind, target, sizeof(target), &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	const char *base = strrchr(clean, '/');
	base = base ? base + 1 : clean;
	if (kind != WHITEOUT_NONE)
		CHECK(strncmp(base, WHITEOUT_PREFIX, 4) == 0);
	if (kind == WHITEOUT_FILE) {
		CHECK(target[0] && !strchr(target, '/'));
		CHECK(strcmp(target, ".") != 0 && strcmp(target, "..") != 0);
		CHECK(strcmp(base + 4, target) == 0);
	}
}

static void reference(const char *s)
{
	struct imgref r, again;
	struct kerr err;
	char familiar[2 * IMGREF_MAX + 2], repo[2 * IMGREF_MAX + 2];

	if (imgref_parse(s, &r, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(r.tag[0] || r.digest[0]);
	CHECK(!r.digest[0] || imgref_is_digest(r.digest));
	CHECK(imgref_parse(r.full, &again, &err) == 0 && strcmp(again.full, r.full) == 0);
	imgref_familiar(r.full, familiar, sizeof(familiar));
	CHECK(imgref_parse(familiar, &again, &err) == 0 && strcmp(again.full, r.full) == 0);
	imgref_repo(r.full, repo, sizeof(repo));
	CHECK(strcmp(repo, r.name) == 0);
	if (r.digest[0]) {
		char chain[IMGREF_DIGEST_LEN + 1];

		CHECK(imgref_chain_id(r.digest, r.digest, chain, &err) == 0);
		CHECK(imgref_is_digest(chain));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	whiteout(s);
	reference(s);
	free(s);
	return 0;
}
