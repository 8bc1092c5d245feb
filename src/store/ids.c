/*
 * ids: container id and name rules, random ids, generated names (base layer).
 *
 * Invariants: an id is exactly IDS_ID_LEN lowercase hex characters; a name is
 * 1..IDS_NAME_MAX bytes of docker's [a-zA-Z0-9][a-zA-Z0-9_.-]*. Randomness comes only
 * from getrandom(2), never from a seeded PRNG, because names of sockets and ids must
 * not be guessable. Generated names are a pure function of the id. Never logs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "store/ids.h"
#include "base/str.h"

static const char hex_digits[] = "0123456789abcdef";

/* Our own word lists for generated names; any pair reads as "adjective_noun". */
static const char *const adjectives[] = {
	"amber",  "bold",   "brave",   "calm",	 "clever", "cosy",   "crisp",  "curious", "daring",
	"eager",  "fancy",  "fond",    "gentle", "glad",   "golden", "happy",  "hardy",	  "humble",
	"jolly",  "keen",   "kind",    "lively", "lucky",  "mellow", "merry",  "misty",	  "modest",
	"nimble", "noble",  "patient", "plucky", "polite", "proud",  "quiet",  "rapid",	  "rosy",
	"rustic", "serene", "sharp",   "shy",	 "silent", "snug",   "steady", "sunny",	  "swift",
	"tender", "tidy",   "vivid",   "warm",	 "witty",  "zesty",
};

static const char *const nouns[] = {
	"acorn",   "badger",  "beacon",	 "birch",   "bramble", "brook",	 "canyon",  "cedar",
	"comet",   "coral",   "cricket", "dune",    "ember",   "falcon", "fern",    "finch",
	"fjord",   "glacier", "harbor",	 "hazel",   "heron",   "island", "juniper", "kestrel",
	"lantern", "lark",    "maple",	 "meadow",  "nebula",  "oak",	 "otter",   "pebble",
	"pine",	   "quartz",  "raven",	 "reef",    "river",   "robin",	 "saffron", "sparrow",
	"spruce",  "summit",  "teapot",	 "thistle", "thrush",  "tundra", "valley",  "walrus",
	"willow",  "wren",    "yarrow",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool ids_is_id(const char *s)
{
	size_t i;

	for (i = 0; i < IDS_ID_LEN; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return s[i] == '\0';
}

bool ids_is_id_prefix(const char *s)
{
	size_t i;

	for (i = 0; i < IDS_ID_LEN && s[i] != '\0'; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return i > 0 && s[i] == '\0';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int ids_check_name(const char *name, struct kerr *err)
{
	/* Room for a sanitized prefix of the name in the message. */
	char shown[64 + 1];
	size_t n = strnlen(name, IDS_NAME_MAX + 1);

	if (n == 0)
		return kerr_set(err, 0, "empty container name, allowed [a-zA-Z0-9][a-zA-Z0-9_.-]*");
	str_sanitize(shown, sizeof(shown), name, n);
	if (n > IDS_NAME_MAX)
		return kerr_set(err, 0, "container name `%s…` is longer than %d bytes, the limit",
				shown, IDS_NAME_MAX);
	bool ok = is_alnum(name[0]);
	for (size_t i = 1; ok && i < n; i++)
		ok = is_alnum(name[i]) || name[i] == '_' || name[i] == '.' || name[i] == '-';
	if (!ok)
		return kerr_set(err, 0,
				"invalid container name `%s`, only [a-zA-Z0-9][a-zA-Z0-9_.-]* is "
				"allowed",
				shown);
	return 0;
}

int ids_random_bytes(void *buf, size_t n, struct kerr *err)
{
	size_t off = 0;

	while (off < n) {
		/* Flags 0: block until the pool is initialised, then never fail short of EINTR. */
		ssize_t r = getrandom((char *)buf + off, n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return kerr_set(err, errno, "getrandom %zu bytes", n - off);
		}
		off += (size_t)r;
	}
	return 0;
}

int ids_random_hex(char *out, size_t nbytes, struct kerr *err)
{
	uint8_t chunk[64];
	size_t done = 0;

	while (done < nbytes) {
		size_t n = nbytes - done < sizeof(chunk) ? nbytes - done : sizeof(chunk);

		if (ids_random_bytes(chunk, n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			out[2 * (done + i)] = hex_digits[chunk[i] >> 4];
			out[2 * (done + i) + 1] = hex_digits[chunk[i] & 15];
		}
		done += n;
	}
	out[2 * nbytes] = '\0';
	return 0;
}

int ids_new_id(char out[IDS_ID_LEN + 1], struct kerr *err)
{
	/*
	 * Like docker, draw again while the short form is all digits, so "kettle stop 123456789012"
	 * can never be read as a number by anything (odds ~ (10/16)^12 = 0.4% per draw).
	 */
	for (;;) {
		if (ids_random_hex(out, IDS_ID_LEN / 2, err) < 0)
			return -1;
		if (strspn(out, "0123456789") < IDS_SHORT_LEN)
			return 0;
	}
}

/* The value of the hex digit c, or 0 for anything else (names of odd ids still work). */
static unsigned hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	return 0;
}

/* Reads up to 4 hex digits of id from off, stopping at its end. */
static unsigned hex16(const char *id, size_t off)
{
	unsigned v = 0;
	size_t len = strnlen(id, off + 4);

	for (size_t i = off; i < off + 4; i++)
		v = v << 4 | (i < len ? hex_value(id[i]) : 0);
	return v;
}

void ids_name_from_id(const char *id, char out[IDS_NAME_MAX + 1])
{
	const char *adj = adjectives[hex16(id, 0) % COUNT(adjectives)];
	const char *noun = nouns[hex16(id, 4) % COUNT(nouns)];

	snprintf(out, IDS_NAME_MAX + 1, "%s_%s", adj, noun);
}
