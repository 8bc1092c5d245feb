/*
 * harness: the unit-test harness (test layer).
 *
 * Each test file defines TEST(name) functions and lists them in RUN_TESTS(...). A failed
 * assertion prints file:line, both expressions and both values, and ends that test; the
 * binary then prints "unit <file>: N passed, N failed" and exits non-zero on any failure.
 * scripts/run-tests.sh adds the per-binary counts into the one summary line.
 */
#ifndef KETTLE_TEST_HARNESS_H
#define KETTLE_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_failed_here;

#define TEST(name) static void test_##name(void)

#define HARNESS_FAIL(...)                                                                          \
	do {                                                                                       \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                  \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		harness_failed_here = 1;                                                           \
		return;                                                                            \
	} while (0)

#define ASSERT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			HARNESS_FAIL("ASSERT(%s) failed", #cond);                                  \
	} while (0)

#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long harness_a = (long long)(a), harness_b = (long long)(b);                  \
		if (harness_a != harness_b)                                                        \
			HARNESS_FAIL("ASSERT_EQ(%s, %s): %lld != %lld", #a, #b, harness_a,         \
				     harness_b);                                                   \
	} while (0)

#define ASSERT_NE(a, b)                                                                            \
	do {                                                                                       \
		long long harness_a = (long long)(a), harness_b = (long long)(b);                  \
		if (harness_a == harness_b)                                                        \
			HARNESS_FAIL("ASSERT_NE(%s, %s): both %lld", #a, #b, harness_a);           \
	} while (0)

#define ASSERT_U64_EQ(a, b)                                                                        \
	do {                                                                                       \
		uint64_t harness_a = (uint64_t)(a), harness_b = (uint64_t)(b);                     \
		if (harness_a != harness_b)                                                        \
			HARNESS_FAIL("ASSERT_U64_EQ(%s, %s): %" PRIu64 " != %" PRIu64, #a, #b,     \
				     harness_a, harness_b);                                        \
	} while (0)

#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *harness_a = (a), *harness_b = (b);                                     \
		if (!harness_a || !harness_b || strcmp(harness_a, harness_b) != 0)                 \
			HARNESS_FAIL("ASSERT_STREQ(%s, %s): \"%s\" != \"%s\"", #a, #b,             \
				     harness_a ? harness_a : "(null)",                             \
				     harness_b ? harness_b : "(null)");                            \
	} while (0)

/* Substring check, for error messages. */
#define ASSERT_CONTAINS(hay, needle)                                                               \
	do {                                                                                       \
		const char *harness_h = (hay), *harness_n = (needle);                              \
		if (!harness_h || !strstr(harness_h, harness_n))                                   \
			HARNESS_FAIL("ASSERT_CONTAINS(%s, %s): \"%s\" lacks \"%s\"", #hay,         \
				     #needle, harness_h ? harness_h : "(null)", harness_n);        \
	} while (0)

#define ASSERT_MEMEQ(a, b, n)                                                                      \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0)                                                    \
			HARNESS_FAIL("ASSERT_MEMEQ(%s, %s, %s): bytes differ", #a, #b, #n);        \
	} while (0)

struct harness_case {
	const char *name;
	void (*fn)(void);
};

#define T(name)                                                                                    \
	{                                                                                          \
#name, test_##name                                                                 \
	}

#define RUN_TESTS(...)                                                                             \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct harness_case cases[] = { __VA_ARGS__ };                        \
		int passed = 0, failed = 0;                                                        \
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {                    \
			harness_failed_here = 0;                                                   \
			cases[i].fn();                                                             \
			if (harness_failed_here) {                                                 \
				fprintf(stderr, "FAIL %s: %s\n", __FILE__, cases[i].name);         \
				failed++;                                                          \
			} else {                                                                   \
				passed++;                                                          \
			}                                                                          \
		}                                                                                  \
		printf("unit %s: %d passed, %d failed\n", __FILE__, passed, failed);               \
		return failed ? 1 : 0;                                                             \
	}

#endif
