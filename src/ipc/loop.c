/*
 * loop: the one event loop of each process (mechanism layer, STYLE rule 13).
 *
 * One turn: before-sleep hook, one epoll_wait whose timeout comes from the earliest timer,
 * then fd and signal events from that batch, then every timer that was due when the turn
 * began. Invariants: an epoll event carries (generation << 32 | fd) and is dispatched only
 * while that exact registration is live, so loop_del_fd() from any callback drops pending
 * events even if the fd number is reused at once; timers live in a slab addressed by their
 * id plus a min-heap of (deadline, insertion seq) that stores slots back, so insert and
 * cancel are O(log n); loop_stop() takes effect after the running callback, and whatever was
 * not dispatched stays queued (level-triggered fds, the signalfd, the heap) for the next
 * loop_run(). Nothing allocates per turn. Never logs, never exits.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/kerr.h"
#include "ipc/loop.h"

/* Events fetched per epoll_wait; the rest stay ready (level-triggered) for the next turn. */
#define LOOP_BATCH	64
/* epoll data tag of the signalfd: never a valid (gen << 32 | fd) because fd < 2^31. */
#define LOOP_SIGNAL_TAG UINT64_MAX
/* Slab index meaning "none" in the free list. */
#define LOOP_NO_SLOT	UINT32_MAX
/* First capacity of the fd table and of the timer slab. */
#define LOOP_MIN_CAP	16u

struct loop_fd {
	loop_fd_fn fn;	 /* callback; NULL when this fd number is not registered */
	void *data;	 /* caller's pointer, not owned */
	uint32_t events; /* LOOP_READ|LOOP_WRITE as registered (LOOP_HUP is implicit) */
	uint32_t gen;	 /* bumped on every loop_add_fd of this number; tags its epoll events */
};

struct loop_timer {
	uint64_t id;	   /* (gen << 32 | slot + 1) while armed, 0 when the slot is free */
	uint32_t gen;	   /* bumped each time the slot is freed, so old ids never match */
	uint32_t heap_pos; /* index in l->heap while armed; next free slot while free */
	loop_timer_fn fn;  /* callback */
	void *data;	   /* caller's pointer, not owned */
};

struct loop_heap_entry {
	uint64_t deadline; /* ms, monotonic (clock_mono_ms) */
	uint64_t seq;	   /* insertion order: breaks deadline ties first-in first-out */
	uint32_t slot;	   /* index in l->timers */
};

struct loop_sig {
	loop_signal_fn fn; /* handler; NULL when the signal is not in l->sigset */
	void *data;	   /* caller's pointer, not owned */
};

struct loop {
	int epfd;		      /* owned; epoll_create1(EPOLL_CLOEXEC) */
	int sfd;		      /* owned; the one signalfd, -1 until a signal is added */
	bool stop;		      /* set by loop_stop(); checked after every callback */
	bool running;		      /* inside loop_run(); the cached clock is trusted */
	uint64_t now;		      /* ms, monotonic; refreshed when each turn wakes */
	struct loop_fd *fds;	      /* owned; indexed by fd number, nfds entries */
	size_t nfds;		      /* entries in fds */
	struct loop_timer *timers;    /* owned; slab of timer_cap entries */
	struct loop_heap_entry *heap; /* owned; min-heap of timer_cap entries */
	uint32_t timer_cap;	      /* entries in timers and heap */
	uint32_t heap_len;	      /* armed timers (entries used in heap) */
	uint32_t free_slot;	      /* head of the free slab list, LOOP_NO_SLOT if none */
	uint64_t next_seq;	      /* seq of the next timer added */
	sigset_t sigset;	      /* signals read through sfd */
	sigset_t unblock;	      /* signals this loop blocked; unblocked by loop_free */
	struct loop_sig sigs[NSIG];   /* handlers by signal number */
	loop_hook_fn hook;	      /* before-sleep hook, or NULL */
	void *hook_data;	      /* caller's pointer, not owned */
	struct epoll_event batch[LOOP_BATCH]; /* the current epoll_wait result */
};

struct loop *loop_new(struct kerr *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l) {
		kerr_set(err, ENOMEM, "allocate event loop");
		return NULL;
	}
	l->sfd = -1;
	l->free_slot = LOOP_NO_SLOT;
	l->next_seq = 1;
	sigemptyset(&l->sigset);
	sigemptyset(&l->unblock);
	l->now = clock_mono_ms();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		kerr_set(err, errno, "epoll_create1");
		free(l);
		return NULL;
	}
	return l;
}

struct loop *loop_free(struct loop *l)
{
	if (!l)
		return NULL;
	fd_close(l->sfd);
	fd_close(l->epfd);
	/*
	 * Give back only what this loop took: a signal that was already blocked stays blocked.
	 * A signal still pending is then delivered with its normal disposition, as it would
	 * have been without the loop.
	 */
	sigprocmask(SIG_UNBLOCK, &l->unblock, NULL);
	free(l->fds);
	free(l->timers);
	free(l->heap);
	free(l);
	return NULL;
}

/* ---- descriptors ---- */

static uint32_t to_epoll(uint32_t events)
{
	uint32_t ev = 0;

	/* RDHUP only with READ: a writer to a half-closed socket must not spin on it. */
	if (events & LOOP_READ)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

static uint32_t from_epoll(uint32_t ev)
{
	uint32_t events = 0;

	if (ev & EPOLLIN)
		events |= LOOP_READ;
	if (ev & EPOLLOUT)
		events |= LOOP_WRITE;
	if (ev & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		events |= LOOP_HUP;
	return events;
}

static int check_events(uint32_t events, struct kerr *err)
{
	const uint32_t allowed = LOOP_READ | LOOP_WRITE | LOOP_HUP;

	if (events & ~allowed)
		return kerr_set(err, EINVAL, "events 0x%x has unknown bits, allowed 0x%x", events,
				allowed);
	return 0;
}

static int grow_fds(struct loop *l, int fd, struct kerr *err)
{
	size_t want = (size_t)fd + 1, cap = l->nfds ? l->nfds : LOOP_MIN_CAP;
	struct loop_fd *p;

	if (want <= l->nfds)
		return 0;
	while (cap < want)
		cap *= 2;
	p = realloc(l->fds, cap * sizeof(*p));
	if (!p)
		return kerr_set(err, ENOMEM, "grow fd table to %zu entries", cap);
	memset(p + l->nfds, 0, (cap - l->nfds) * sizeof(*p));
	l->fds = p;
	l->nfds = cap;
	return 0;
}

static struct loop_fd *lookup_fd(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].fn)
		return NULL;
	return &l->fds[fd];
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *data,
		struct kerr *err)
{
	struct epoll_event ev = { 0 };
	struct loop_fd *e;

	if (fd < 0)
		return kerr_set(err, EBADF, "add fd %d to loop: negative descriptor", fd);
	if (!fn)
		return kerr_set(err, EINVAL, "add fd %d to loop: no callback", fd);
	if (check_events(events, err) < 0)
		return kerr_wrap(err, "add fd %d to loop", fd);
	if (lookup_fd(l, fd))
		return kerr_set(err, EEXIST, "add fd %d to loop: already registered", fd);
	if (grow_fds(l, fd, err) < 0)
		return kerr_wrap(err, "add fd %d to loop", fd);
	e = &l->fds[fd];
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)(e->gen + 1) << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return kerr_set(err, errno, "add fd %d to epoll", fd);
	e->gen++;
	e->fn = fn;
	e->data = data;
	e->events = events & (LOOP_READ | LOOP_WRITE);
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events, struct kerr *err)
{
	struct loop_fd *e = lookup_fd(l, fd);
	struct epoll_event ev = { 0 };

	if (!e)
		return kerr_set(err, ENOENT, "modify fd %d in loop: not registered", fd);
	if (check_events(events, err) < 0)
		return kerr_wrap(err, "modify fd %d in loop", fd);
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)e->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return kerr_set(err, errno, "modify fd %d in epoll", fd);
	e->events = events & (LOOP_READ | LOOP_WRITE);
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd *e = lookup_fd(l, fd);

	if (!e)
		return;
	/*
	 * Errors are ignored: if the caller closed fd already, the kernel dropped it from the
	 * interest list (when no duplicate was open). Clearing fn is what drops the events
	 * still pending in this batch; gen stays, so a re-add gets a new tag.
	 */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	e->fn = NULL;
	e->data = NULL;
	e->events = 0;
}

/* ---- timers: a slab addressed by id, and a min-heap that points back into it ---- */

static bool heap_less(const struct loop_heap_entry *a, const struct loop_heap_entry *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_place(struct loop *l, uint32_t pos, struct loop_heap_entry e)
{
	l->heap[pos] = e;
	l->timers[e.slot].heap_pos = pos;
}

static void heap_up(struct loop *l, uint32_t pos)
{
	struct loop_heap_entry e = l->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!heap_less(&e, &l->heap[parent]))
			break;
		heap_place(l, pos, l->heap[parent]);
		pos = parent;
	}
	heap_place(l, pos, e);
}

static void heap_down(struct loop *l, uint32_t pos)
{
	struct loop_heap_entry e = l->heap[pos];

	for (;;) {
		uint32_t child = 2 * pos + 1;

		if (child >= l->heap_len)
			break;
		if (child + 1 < l->heap_len && heap_less(&l->heap[child + 1], &l->heap[child]))
			child++;
		if (!heap_less(&l->heap[child], &e))
			break;
		heap_place(l, pos, l->heap[child]);
		pos = child;
	}
	heap_place(l, pos, e);
}

/* Removes the heap entry at pos and frees its slab slot. */
static void timer_remove(struct loop *l, uint32_t pos)
{
	uint32_t slot = l->heap[pos].slot;
	struct loop_timer *t = &l->timers[slot];

	l->heap_len--;
	if (pos != l->heap_len) {
		heap_place(l, pos, l->heap[l->heap_len]);
		if (pos > 0 && heap_less(&l->heap[pos], &l->heap[(pos - 1) / 2]))
			heap_up(l, pos);
		else
			heap_down(l, pos);
	}
	t->id = 0;
	t->gen++;
	t->fn = NULL;
	t->data = NULL;
	t->heap_pos = l->free_slot;
	l->free_slot = slot;
}

static int grow_timers(struct loop *l, struct kerr *err)
{
	uint32_t cap = l->timer_cap ? l->timer_cap * 2 : LOOP_MIN_CAP;
	struct loop_timer *t;
	struct loop_heap_entry *h;

	/* Ids keep the slot in 32 bits, and LOOP_NO_SLOT is reserved. */
	if (l->timer_cap >= UINT32_MAX / 2)
		return kerr_set(err, ENOSPC, "too many timers, limit %u", UINT32_MAX / 2);
	t = realloc(l->timers, (size_t)cap * sizeof(*t));
	if (!t)
		return kerr_set(err, ENOMEM, "grow timer table to %u entries", cap);
	l->timers = t;
	h = realloc(l->heap, (size_t)cap * sizeof(*h));
	if (!h)
		return kerr_set(err, ENOMEM, "grow timer heap to %u entries", cap);
	l->heap = h;
	/* Thread the new slots onto the free list, lowest first. */
	for (uint32_t i = cap; i-- > l->timer_cap;) {
		t[i] = (struct loop_timer){ .heap_pos = l->free_slot };
		l->free_slot = i;
	}
	l->timer_cap = cap;
	return 0;
}

/* Outside loop_run() nothing refreshes the clock, so read it afresh. */
static uint64_t current_ms(struct loop *l)
{
	if (!l->running)
		l->now = clock_mono_ms();
	return l->now;
}

uint64_t loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn, void *data,
			struct kerr *err)
{
	uint64_t now = current_ms(l);
	struct loop_timer *t;
	uint32_t slot;

	if (!fn) {
		kerr_set(err, EINVAL, "add timer: no callback");
		return 0;
	}
	if (l->free_slot == LOOP_NO_SLOT && grow_timers(l, err) < 0) {
		kerr_wrap(err, "add timer");
		return 0;
	}
	slot = l->free_slot;
	t = &l->timers[slot];
	l->free_slot = t->heap_pos;
	t->id = (uint64_t)t->gen << 32 | ((uint64_t)slot + 1);
	t->fn = fn;
	t->data = data;
	l->heap_len++;
	heap_place(l, l->heap_len - 1,
		   (struct loop_heap_entry){
			   /* Saturate: a huge delay means "never", not a wrapped past deadline. */
			   .deadline = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms,
			   .seq = l->next_seq++,
			   .slot = slot,
		   });
	heap_up(l, l->heap_len - 1);
	return t->id;
}

void loop_cancel_timer(struct loop *l, uint64_t id)
{
	uint64_t slot = (id & UINT32_MAX) - 1;

	if (id == 0 || slot >= l->timer_cap || l->timers[slot].id != id)
		return;
	timer_remove(l, l->timers[slot].heap_pos);
}

/*
 * Fires every timer due at l->now that existed when this phase began (seq < limit): a timer
 * armed from a timer callback with delay 0 waits for the next turn instead of spinning here.
 * New timers have deadline >= l->now, so they sort after every older due one.
 */
static void run_timers(struct loop *l)
{
	uint64_t limit = l->next_seq;

	while (!l->stop && l->heap_len > 0) {
		struct loop_heap_entry top = l->heap[0];
		struct loop_timer *t = &l->timers[top.slot];
		loop_timer_fn fn = t->fn;
		void *data = t->data;

		if (top.deadline > l->now || top.seq >= limit)
			break;
		/* Free the slot first: the callback may re-arm, and cancelling its own id is a no-op. */
		timer_remove(l, 0);
		fn(l, data);
	}
}

/* epoll_wait timeout in ms: -1 with no timers, 0 when the earliest is due. */
static int next_timeout(struct loop *l)
{
	uint64_t now, deadline;

	if (l->heap_len == 0)
		return -1;
	deadline = l->heap[0].deadline;
	/* A fresh reading: the hook and callbacks of this turn took time. */
	now = clock_mono_ms();
	if (deadline <= now)
		return 0;
	return deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
}

/* ---- signals ---- */

int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *data, struct kerr *err)
{
	sigset_t one, old, want = l->sigset;
	bool blocked_here;
	int sfd;

	if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
		return kerr_set(err, EINVAL,
				"add signal %d: not a catchable signal, allowed 1..%d except "
				"SIGKILL and SIGSTOP",
				signo, NSIG - 1);
	if (!fn)
		return kerr_set(err, EINVAL, "add signal %d: no callback", signo);
	if (l->sigs[signo].fn)
		return kerr_set(err, EEXIST, "add signal %d: already has a handler", signo);
	/* Block first, so a signal arriving now stays pending for the signalfd. */
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, &old) < 0)
		return kerr_set(err, errno, "add signal %d: block it", signo);
	blocked_here = !sigismember(&old, signo);
	sigaddset(&want, signo);
	/* With an existing fd, signalfd(2) replaces its mask in place. */
	sfd = signalfd(l->sfd, &want, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		kerr_set(err, errno, "add signal %d: signalfd", signo);
		goto out_unblock;
	}
	if (l->sfd < 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LOOP_SIGNAL_TAG };

		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, sfd, &ev) < 0) {
			kerr_set(err, errno, "add signal %d: add signalfd to epoll", signo);
			fd_close(sfd);
			goto out_unblock;
		}
		l->sfd = sfd;
	}
	l->sigset = want;
	if (blocked_here)
		sigaddset(&l->unblock, signo);
	l->sigs[signo] = (struct loop_sig){ .fn = fn, .data = data };
	return 0;

out_unblock:
	if (blocked_here)
		sigprocmask(SIG_UNBLOCK, &one, NULL);
	return -1;
}

/*
 * Reads one siginfo at a time, so a loop_stop() from a handler leaves the rest queued in the
 * signalfd for the next loop_run(). EAGAIN ends the batch; any other error is left for the
 * next wakeup (the fd stays readable), as a failed read here cannot be reported.
 */
static void run_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (!l->stop) {
		ssize_t n = read(l->sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return;
		if (si.ssi_signo > 0 && si.ssi_signo < NSIG && l->sigs[si.ssi_signo].fn)
			l->sigs[si.ssi_signo].fn(l, &si, l->sigs[si.ssi_signo].data);
	}
}

/* ---- the loop ---- */

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *data)
{
	l->hook = fn;
	l->hook_data = data;
}

/*
 * Dispatches batch entries in order. Each entry is checked just before its callback, after
 * every earlier callback ran: the registration must still be live with the same generation.
 */
static void run_batch(struct loop *l, int n)
{
	for (int i = 0; i < n && !l->stop; i++) {
		uint64_t tag = l->batch[i].data.u64;
		int fd = (int)(uint32_t)tag;
		struct loop_fd *e;
		uint32_t events;

		if (tag == LOOP_SIGNAL_TAG) {
			if (l->sfd >= 0)
				run_signals(l);
			continue;
		}
		e = lookup_fd(l, fd);
		if (!e || e->gen != (uint32_t)(tag >> 32))
			continue;
		/* Mask by the current registration: an earlier callback may have changed it. */
		events = from_epoll(l->batch[i].events) & (e->events | LOOP_HUP);
		if (events)
			e->fn(l, fd, events, e->data);
	}
}

int loop_run(struct loop *l, struct kerr *err)
{
	if (l->running)
		return kerr_set(err, EBUSY, "run loop: already running");
	l->running = true;
	l->stop = false;
	l->now = clock_mono_ms();
	for (;;) {
		int n;

		if (l->hook)
			l->hook(l, l->hook_data);
		if (l->stop)
			break;
		n = epoll_wait(l->epfd, l->batch, LOOP_BATCH, next_timeout(l));
		if (n < 0 && errno != EINTR) {
			kerr_set(err, errno, "epoll_wait");
			l->running = false;
			return -1;
		}
		l->now = clock_mono_ms();
		run_batch(l, n < 0 ? 0 : n);
		run_timers(l);
		if (l->stop)
			break;
	}
	l->running = false;
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

uint64_t loop_now_ms(struct loop *l)
{
	return current_ms(l);
}
