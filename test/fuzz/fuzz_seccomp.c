/*
 * fuzz_seccomp: libFuzzer target for seccomp profiles in docker's JSON format (test layer,
 * fuzzes src/seccomp/seccomp_profile.c, seccomp_filter.c, seccomp_spec.c and the libseccomp
 * build in seccomp_lib.c).
 *
 * The input is a profile. A refused one must say why; an accepted one is selected for two
 * capability sets on x86_64 and aarch64: every kept name must be one of the profile's and
 * known on one of the filter's architectures, no dropped name kept, every kept rule's action
 * other than the default, the config.json section must parse, and libseccomp's build must
 * either succeed or fail with a message. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_w.h"
#include "seccomp/seccomp_filter.h"
#include "seccomp/seccomp_lib.h"
#include "seccomp/seccomp_profile.h"
#include "seccomp/seccomp_spec.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct json_tok toks[JSON_TOKENS_MAX]; /* for parsing generated sections */

static bool in_profile(const struct seccomp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->nrules; i++)
		for (size_t k = 0; k < p->rules[i].nnames; k++)
			if (p->rules[i].names[k] == name)
				return true;
	return false;
}

static void check_filter(const struct seccomp_profile *p, uint64_t caps, enum seccomp_arch arch)
{
	struct seccomp_filter f;
	struct json_doc doc;
	struct json_w w;
	struct kerr err;
	struct buf b;

	CHECK(seccomp_filter_make(&f, p, caps, arch, 6 << 16 | 1, &err) == 0);
	CHECK(f.arches & (1u << arch));
	for (size_t i = 0; i < f.nrules; i++) {
		CHECK(f.rules[i].nnames > 0 && f.rules[i].index < p->nrules);
		CHECK(f.rules[i].rule == &p->rules[f.rules[i].index]);
		for (size_t k = 0; k < f.rules[i].nnames; k++) {
			const char *n = f.rules[i].names[k];
			bool known = false;

			CHECK(in_profile(p, n));
			for (int a = 0; a < SECCOMP_ARCH_COUNT; a++)
				known |= (f.arches & (1u << a)) &&
					 seccomp_lib_resolves((enum seccomp_arch)a, n);
			CHECK(known);
			for (size_t d = 0; d < f.ndropped; d++)
				CHECK(strcmp(f.dropped[d], n) != 0);
		}
	}
	buf_init(&b, 8u * 1024u * 1024u);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	seccomp_spec_write(&w, &f);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) == 0) {
		CHECK(json_parse(&doc, (const char *)b.data, b.len, toks, JSON_TOKENS_MAX, &err) ==
			      0 ||
		      err.msg[0]);
		CHECK(json_obj_get(&doc, 1, "flags") < 0);
	}
	buf_done(&b);
	if (arch == seccomp_lib_native() && seccomp_lib_check(&f, &err) < 0)
		CHECK(err.msg[0] != '\0');
	seccomp_filter_done(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kerr err = { 0 };
	struct seccomp_profile *p = seccomp_profile_parse((const char *)data, size, &err);

	if (!p) {
		CHECK(err.msg[0] != '\0');
		return 0;
	}
	CHECK(p->owned);
	check_filter(p, 0, SECCOMP_ARCH_X86_64);
	check_filter(p, ~0ull, SECCOMP_ARCH_X86_64);
	check_filter(p, 1ull << 21, SECCOMP_ARCH_AARCH64);
	CHECK(seccomp_profile_free(p) == NULL);
	return 0;
}
