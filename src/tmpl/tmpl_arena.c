/*
 * tmpl_arena: the bump allocator a template's nodes and an execution's values live in
 * (mechanism, rank 20; the bottom of src/tmpl).
 *
 * Blocks come from malloc and are only freed all together, so nothing in a tree or a
 * value needs its own destructor. Invariant: `used` never passes `max`, checked before the
 * memory is taken, so a hostile template or document fails with a message instead of
 * exhausting memory. Calls nothing in src/tmpl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl_int.h"

#define BLK_MIN (16u * 1024u) /* bytes of a block, unless one allocation needs more */

struct tmpl_blk {
	struct tmpl_blk *next; /* older block */
	size_t cap;	       /* bytes in data */
	size_t off;	       /* bytes of data handed out */
	_Alignas(8) unsigned char data[];
};

void tmpl_arena_init(struct tmpl_arena *a, size_t max)
{
	*a = (struct tmpl_arena){ .max = max };
}

void *tmpl_arena_alloc(struct tmpl_arena *a, size_t n, struct kerr *err)
{
	struct tmpl_blk *b = a->head;

	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (n > a->max || a->used > a->max - n) {
		kerr_set(err, 0, "template: memory use exceeds the limit of %zu bytes", a->max);
		return NULL;
	}
	if (!b || b->cap - b->off < n) {
		size_t cap = n > BLK_MIN ? n : BLK_MIN;

		b = malloc(sizeof(*b) + cap);
		if (!b) {
			kerr_set(err, ENOMEM, "template");
			return NULL;
		}
		b->next = a->head;
		b->cap = cap;
		b->off = 0;
		a->head = b;
	}
	void *p = b->data + b->off;
	b->off += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *tmpl_arena_strndup(struct tmpl_arena *a, const char *s, size_t n, struct kerr *err)
{
	char *p = n + 1 > n ? tmpl_arena_alloc(a, n + 1, err) : NULL;

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void tmpl_arena_done(struct tmpl_arena *a)
{
	while (a->head) {
		struct tmpl_blk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	a->used = 0;
}
