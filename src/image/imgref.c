/*
 * imgref: image references and digests (mechanism, image folder; pure).
 *
 * Written from the grammar of docker's reference package (distribution/reference):
 * reference := name [":" tag] ["@" digest]; name := [domain "/"] path-component
 * ("/" path-component)*; path-component := [a-z0-9]+ (separator [a-z0-9]+)*;
 * separator := "." | "_" | "__" | "-"+; tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * domain := host[":" port] with host components of letters, digits and inner dashes.
 * Only sha256 digests exist here. No I/O, no allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "image/imgref.h"
#include "image/sha256.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool imgref_is_hex64(const char *s)
{
	size_t i = 0;

	while (i < IMGREF_HEX_LEN && is_hex(s[i]))
		i++;
	return i == IMGREF_HEX_LEN && s[i] == '\0';
}

bool imgref_is_digest(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && imgref_is_hex64(s + 7);
}

const char *imgref_hex(const char *digest)
{
	return digest + 7;
}

bool imgref_id_prefix(const char *s, const char **hex)
{
	const char *h = strncmp(s, "sha256:", 7) == 0 ? s + 7 : s;
	size_t n = 0;

	while (h[n] && is_hex(h[n]))
		n++;
	if (n == 0 || n > IMGREF_HEX_LEN || h[n] != '\0')
		return false;
	*hex = h;
	return true;
}

/* One path component: [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static bool path_component_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(p[0]) || !is_lower_alnum(p[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(p[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_lower_alnum(p[j]))
			j++;
		size_t k = j - i;
		bool dashes = true;
		for (size_t m = i; m < j; m++)
			dashes = dashes && p[m] == '-';
		if (!(dashes || (k == 1 && (p[i] == '.' || p[i] == '_')) ||
		      (k == 2 && p[i] == '_' && p[i + 1] == '_')))
			return false;
		i = j;
	}
	return true;
}

/* host[:port]: components of letters, digits and inner dashes joined by dots. */
static bool domain_ok(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t hn = colon ? (size_t)(colon - p) : n;

	if (colon) {
		size_t pn = n - hn - 1;
		if (pn == 0 || pn > 5)
			return false;
		for (size_t i = hn + 1; i < n; i++)
			if (p[i] < '0' || p[i] > '9')
				return false;
	}
	if (hn == 0)
		return false;
	for (size_t i = 0; i < hn;) {
		size_t j = i;
		while (j < hn && p[j] != '.')
			j++;
		if (j == i || !is_alnum(p[i]) || !is_alnum(p[j - 1]))
			return false;
		for (size_t m = i; m < j; m++)
			if (!is_alnum(p[m]) && p[m] != '-')
				return false;
		i = j + 1;
		if (j < hn && i == hn)
			return false; /* a trailing dot */
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > IMGREF_TAG_MAX || !(is_alnum(t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(is_alnum(t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static int bad(struct kerr *err, const char *s, const char *why)
{
	char shown[96];

	str_sanitize(shown, sizeof(shown), s, strlen(s));
	return kerr_set(err, 0, "invalid reference format `%s`: %s", shown, why);
}

int imgref_parse(const char *s, struct imgref *r, struct kerr *err)
{
	char buf[IMGREF_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (!s[0])
		return bad(err, s, "empty");
	if (!str_copy(buf, sizeof(buf), s))
		return bad(err, s, "longer than 255 bytes");
	if (imgref_is_hex64(buf))
		return bad(err, s,
			   "a 64-character hexadecimal string is an image id, not a repository "
			   "name");
	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		if (!imgref_is_digest(at + 1))
			return bad(err, s,
				   "the digest must be sha256: and 64 lowercase hex digits");
		str_copy(r->digest, sizeof(r->digest), at + 1);
	}
	/* A tag is after the last ':' that follows the last '/' (a port comes before). */
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(slash ? slash : buf, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1))
			return bad(err, s,
				   "a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with . or -");
		str_copy(r->tag, sizeof(r->tag), colon + 1);
	}
	/* The domain: a first component with '.' or ':', or localhost. */
	const char *path = buf;
	char domain[IMGREF_MAX + 1] = IMGREF_DOMAIN;
	char *first = strchr(buf, '/');
	if (first) {
		size_t n = (size_t)(first - buf);
		if (memchr(buf, '.', n) || memchr(buf, ':', n) ||
		    (n == 9 && memcmp(buf, "localhost", 9) == 0)) {
			if (!domain_ok(buf, n))
				return bad(err, s, "the registry host is not a valid host[:port]");
			str_copyn(domain, sizeof(domain), buf, n);
			path = first + 1;
		}
	}
	if (strcmp(domain, "index.docker.io") == 0)
		str_copy(domain, sizeof(domain), IMGREF_DOMAIN);
	for (const char *p = path;;) {
		const char *e = strchrnul(p, '/');
		for (const char *q = p; q < e; q++)
			if (*q >= 'A' && *q <= 'Z')
				return bad(err, s, "repository name must be lowercase");
		if (!path_component_ok(p, (size_t)(e - p)))
			return bad(err, s,
				   "a name component is [a-z0-9]+ joined by `.`, `_`, `__` or "
				   "dashes");
		if (!*e)
			break;
		p = e + 1;
	}
	bool library = strcmp(domain, IMGREF_DOMAIN) == 0 && !strchr(path, '/');
	int n = snprintf(r->name, sizeof(r->name), "%s/%s%s", domain, library ? "library/" : "",
			 path);
	if (n < 0 || (size_t)n >= sizeof(r->name))
		return bad(err, s, "the repository name is longer than 255 bytes");
	if (!r->tag[0] && !r->digest[0])
		str_copy(r->tag, sizeof(r->tag), IMGREF_DEFAULT_TAG);
	if (r->tag[0])
		snprintf(r->full, sizeof(r->full), "%s:%s", r->name, r->tag);
	else
		snprintf(r->full, sizeof(r->full), "%s@%s", r->name, r->digest);
	/* The normalized form is parsed again (tags in the store's records): it must fit too. */
	if (strlen(r->full) > IMGREF_MAX)
		return bad(err, s, "the normalized reference is longer than 255 bytes");
	return 0;
}

void imgref_familiar(const char *full, char *out, size_t cap)
{
	const char *p = full;

	if (str_has_prefix(p, IMGREF_DOMAIN "/")) {
		const char *rest = full + sizeof(IMGREF_DOMAIN);
		size_t n = strcspn(rest, "/");

		/* The domain stays when the name's first component would read as one
		 * (docker.io/a.b/c is not a.b/c): the familiar form must parse back to full. */
		if (rest[n] == '/' && (memchr(rest, '.', n) || memchr(rest, ':', n) ||
				       (n == 9 && memcmp(rest, "localhost", 9) == 0))) {
			str_copy(out, cap, full);
			return;
		}
		p = rest;
		if (str_has_prefix(p, "library/") && !strchr(p + 8, '/'))
			p += 8;
	}
	str_copy(out, cap, p);
}

void imgref_repo(const char *full, char *out, size_t cap)
{
	const char *slash = strrchr(full, '/');
	const char *at = strchr(full, '@');
	const char *colon = strrchr(slash ? slash : full, ':');
	const char *end = at ? at : colon ? colon : full + strlen(full);

	str_copyn(out, cap, full, (size_t)(end - full));
}

int imgref_chain_id(const char *parent, const char *diff_id, char out[IMGREF_DIGEST_LEN + 1],
		    struct kerr *err)
{
	char buf[2 * IMGREF_DIGEST_LEN + 2];
	char hex[SHA256_HEX_LEN + 1];

	if (!imgref_is_digest(diff_id) || (parent && !imgref_is_digest(parent)))
		return kerr_set(err, 0, "chain id: `%.80s` is not a sha256 digest", diff_id);
	if (!parent) {
		str_copy(out, IMGREF_DIGEST_LEN + 1, diff_id);
		return 0;
	}
	int n = snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
	sha256_hex_of(buf, (size_t)n, hex);
	snprintf(out, IMGREF_DIGEST_LEN + 1, "sha256:%s", hex);
	return 0;
}
