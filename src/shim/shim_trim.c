/*
 * shim_trim: an idle shim gives back the memory it will not touch for a while (role
 * layer, mechanism band; calls nothing else of the role). What an idle shim holds is what
 * kettle costs per container (issue 3: idle VmRSS). After SHIM_TRIM_MS without an event
 * the pages the idle loop never uses are dropped with madvise(MADV_DONTNEED): the
 * binary's read-only segments (page-cache pages counted in each process's VmRSS), the
 * output read buffer, the deep part of the stack; the next touch maps one back. Invariant:
 * only pages that hold nothing live are dropped (read-only PT_LOAD segments, never written
 * in a static binary; the read buffer between reads; the stack below the caller's frame).
 * Best effort: a failure costs memory, never correctness, and is logged at debug only.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "shim/shim_trim.h"

#define PAGE		 4096u
#define STACK_KEEP	 4096u	       /* stack kept below the trimming frame (bytes) */
#define MAPS_READ_MAX	 (16u * 1024u) /* /proc/self/maps read at most: a shim has ~20 lines */
#define STACK_MAPS_LABEL "[stack]"
#define RO_SEGMENTS_MAX	 8 /* read-only PT_LOAD segments handled */

/* The executable's read-only segments, collected before any is dropped. */
struct ro_segments {
	uintptr_t lo[RO_SEGMENTS_MAX]; /* start of each */
	uintptr_t hi[RO_SEGMENTS_MAX]; /* end of each */
	size_t n;		       /* entries used */
};

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)(PAGE - 1);
}

static uintptr_t page_up(uintptr_t a)
{
	return page_down(a + PAGE - 1);
}

/* Drops the whole pages inside [lo, hi). Quiet: it runs after the log line, and any
 * code touched after the last drop is mapped again. */
static void drop(uintptr_t lo, uintptr_t hi)
{
	lo = page_up(lo);
	hi = page_down(hi);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Every read-only PT_LOAD segment of the executable (text and rodata). Start rounded up
 * and end down: a page shared with a writable segment is never touched. */
static int find_ro_segments(struct dl_phdr_info *info, size_t size, void *data)
{
	struct ro_segments *ro = data;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum && ro->n < RO_SEGMENTS_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		ro->lo[ro->n] = lo;
		ro->hi[ro->n++] = lo + ph->p_memsz;
	}
	return 1; /* the executable only: a static binary has nothing else */
}

/* The stack mapping's lower end, from /proc/self/maps; 0 when not found. */
static uintptr_t stack_low(void)
{
	static char text[MAPS_READ_MAX];
	_cleanup_close_ int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	struct kerr err;

	if (fd < 0 || fd_read_full(fd, text, sizeof(text) - 1, &len, &err) < 0)
		return 0;
	text[len] = '\0';
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		unsigned long lo, hi;

		if (nl)
			*nl = '\0';
		if (strstr(line, STACK_MAPS_LABEL) && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			return (uintptr_t)lo;
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* noinline: its frame is the lowest live one while the pages below it go. */
static __attribute__((noinline)) void drop_stack_below_here(uintptr_t lo)
{
	volatile char here = 0;
	uintptr_t top = (uintptr_t)&here;

	if (lo && top >= lo + STACK_KEEP)
		drop(lo, top - STACK_KEEP);
}

static void trim_now(struct shim *sh)
{
	struct ro_segments ro = { .n = 0 };

	dl_iterate_phdr(find_ro_segments, &ro);
	log_debug("idle for %d ms: releasing %zu read-only segments, the read buffer and the "
		  "stack's unused depth",
		  SHIM_TRIM_MS, ro.n);
	drop_stack_below_here(stack_low());
	if (sh->io.rbuf)
		drop((uintptr_t)sh->io.rbuf, (uintptr_t)sh->io.rbuf + SHIM_READ_BUF);
	/* Text last: from here to epoll_wait, only a few pages run. */
	for (size_t i = 0; i < ro.n; i++)
		drop(ro.lo[i], ro.hi[i]);
}

/* Idle for SHIM_TRIM_MS: the trim itself waits for the end of this turn's before-sleep
 * hook, so that as little code as possible runs between it and epoll_wait (every page
 * touched there comes back at once, with the kernel's fault-around, 64 KiB at a time). */
static void on_trim_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->trim_timer = 0;
	/* Something happened while waiting: before_sleep arms a fresh wait. */
	sh->trim_due = sh->turns == sh->trim_armed_turn;
}

void shim_trim_before_sleep(struct shim *sh)
{
	struct kerr err;

	sh->turns++;
	if (sh->trim_due) {
		sh->trim_due = false;
		sh->trim_done_turn = sh->turns;
		trim_now(sh);
		return;
	}
	/* The turn right after a trim is the trim's own: nothing new to give back. */
	if (sh->trim_timer || sh->exiting || sh->turns == sh->trim_done_turn)
		return;
	sh->trim_timer = loop_add_timer(sh->loop, SHIM_TRIM_MS, on_trim_timer, sh, &err);
	sh->trim_armed_turn = sh->turns;
	if (!sh->trim_timer)
		log_debug("%s: no idle trim, ignoring", err.msg);
}
