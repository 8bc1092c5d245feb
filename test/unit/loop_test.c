/*
 * loop_test: unit tests of the event loop (test layer, mechanism M2).
 *
 * Every test is driven by the loop itself: pipes and socketpairs for readiness, timers for
 * ordering and for stopping, raise()/kill() for signals. Nothing sleeps and hopes; the only
 * wall-time waits are timer delays of a few ms, and tests assert order, never duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness.h"
#include "ipc/loop.h"

/* ---- small helpers ---- */

static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("pipe2");
		exit(2);
	}
}

static void put_byte(int fd, char c)
{
	if (write(fd, &c, 1) != 1) {
		perror("write");
		exit(2);
	}
}

static void stop_cb(struct loop *l, void *data)
{
	int *fired = data;

	if (fired)
		(*fired)++;
	loop_stop(l);
}

struct fd_probe {
	int calls;	 /* callback invocations */
	uint32_t events; /* events of the last call */
	int fd;		 /* fd of the last call */
	char byte;	 /* last byte read */
	bool stop;	 /* call loop_stop() from the callback */
	int turn;	 /* value of *turns at the last call */
	int *turns;	 /* turn counter kept by a before-sleep hook, or NULL */
};

static void probe_cb(struct loop *l, int fd, uint32_t events, void *data)
{
	struct fd_probe *p = data;

	p->calls++;
	p->events = events;
	p->fd = fd;
	if (p->turns)
		p->turn = *p->turns;
	if (events & LOOP_READ && read(fd, &p->byte, 1) != 1)
		p->byte = 0;
	if (p->stop)
		loop_stop(l);
}

static void count_turns(struct loop *l, void *data)
{
	(void)l;
	(*(int *)data)++;
}

/* ---- descriptors ---- */

TEST(fd_read_write_hup)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct fd_probe r = { .stop = true }, w = { .stop = true };
	int p[2];

	ASSERT(l);
	make_pipe(p);
	put_byte(p[1], 'x');
	ASSERT_EQ(loop_add_fd(l, p[0], LOOP_READ, probe_cb, &r, &err), 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(r.calls, 1);
	ASSERT_EQ(r.events, LOOP_READ);
	ASSERT_EQ(r.fd, p[0]);
	ASSERT_EQ(r.byte, 'x');

	ASSERT_EQ(loop_add_fd(l, p[1], LOOP_WRITE, probe_cb, &w, &err), 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(w.calls, 1);
	ASSERT_EQ(w.events, LOOP_WRITE);
	ASSERT_EQ(r.calls, 1);

	/* The writer goes away: the reader sees a hangup even though it asked only for READ. */
	loop_del_fd(l, p[1]);
	close(p[1]);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(r.calls, 2);
	ASSERT_EQ(r.events, LOOP_HUP);
	ASSERT_EQ(w.calls, 1);
	loop_del_fd(l, p[0]);
	close(p[0]);
	ASSERT(loop_free(l) == NULL);
}

TEST(fd_mod_changes_interest)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct fd_probe s = { .stop = true };
	int sp[2], ticks = 0;

	ASSERT(l);
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp), 0);
	/* No interest yet: a writable socket is not reported; a timer ends the turn. */
	ASSERT_EQ(loop_add_fd(l, sp[0], 0, probe_cb, &s, &err), 0);
	ASSERT(loop_add_timer(l, 0, stop_cb, &ticks, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(ticks, 1);
	ASSERT_EQ(s.calls, 0);

	ASSERT_EQ(loop_mod_fd(l, sp[0], LOOP_WRITE, &err), 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(s.calls, 1);
	ASSERT_EQ(s.events, LOOP_WRITE);

	put_byte(sp[1], 'q');
	ASSERT_EQ(loop_mod_fd(l, sp[0], LOOP_READ, &err), 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(s.calls, 2);
	ASSERT_EQ(s.events, LOOP_READ);
	ASSERT_EQ(s.byte, 'q');

	/* The peer closes: READ (EOF is readable) together with HUP (RDHUP). */
	close(sp[1]);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(s.calls, 3);
	ASSERT_EQ(s.events, LOOP_READ | LOOP_HUP);
	loop_del_fd(l, sp[0]);
	close(sp[0]);
	loop_free(l);
}

static void never_cb(struct loop *l, int fd, uint32_t events, void *data)
{
	(void)l;
	(void)fd;
	(void)events;
	(*(int *)data)++;
}

TEST(fd_errors)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	int p[2], calls = 0, devnull;

	ASSERT(l);
	make_pipe(p);
	ASSERT_EQ(loop_add_fd(l, -1, LOOP_READ, never_cb, &calls, &err), -1);
	ASSERT_EQ(err.code, EBADF);
	ASSERT_CONTAINS(err.msg, "negative");

	ASSERT_EQ(loop_add_fd(l, p[0], 0x8, never_cb, &calls, &err), -1);
	ASSERT_EQ(err.code, EINVAL);
	ASSERT_CONTAINS(err.msg, "events 0x8 has unknown bits, allowed 0x7");

	ASSERT_EQ(loop_add_fd(l, p[0], LOOP_READ, NULL, &calls, &err), -1);
	ASSERT_EQ(err.code, EINVAL);

	ASSERT_EQ(loop_add_fd(l, p[0], LOOP_READ, never_cb, &calls, &err), 0);
	ASSERT_EQ(loop_add_fd(l, p[0], LOOP_READ, never_cb, &calls, &err), -1);
	ASSERT_EQ(err.code, EEXIST);
	ASSERT_CONTAINS(err.msg, "already registered");
	ASSERT_EQ(loop_mod_fd(l, p[0], 0x10, &err), -1);
	ASSERT_EQ(err.code, EINVAL);

	ASSERT_EQ(loop_mod_fd(l, p[1], LOOP_WRITE, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(loop_mod_fd(l, -5, LOOP_WRITE, &err), -1);
	ASSERT_EQ(loop_mod_fd(l, 1 << 20, LOOP_WRITE, &err), -1);
	ASSERT_EQ(err.code, ENOENT);

	/* /dev/null has no poll support: epoll refuses it, and nothing stays registered. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT(devnull >= 0);
	ASSERT_EQ(loop_add_fd(l, devnull, LOOP_READ, never_cb, &calls, &err), -1);
	ASSERT_EQ(err.code, EPERM);
	ASSERT_CONTAINS(err.msg, "add fd");
	ASSERT_EQ(loop_mod_fd(l, devnull, LOOP_READ, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	close(devnull);

	/* A closed descriptor: EBADF from epoll, and a later add of a live one succeeds. */
	ASSERT_EQ(loop_add_fd(l, devnull, LOOP_READ, never_cb, &calls, &err), -1);
	ASSERT_EQ(err.code, EBADF);

	/* Deleting what was never registered is a no-op. */
	loop_del_fd(l, -1);
	loop_del_fd(l, 1 << 20);
	loop_del_fd(l, p[1]);
	loop_del_fd(l, p[0]);
	loop_del_fd(l, p[0]);
	ASSERT_EQ(loop_add_fd(l, p[0], LOOP_READ, never_cb, &calls, &err), 0);
	loop_del_fd(l, p[0]);
	ASSERT_EQ(calls, 0);
	close(p[0]);
	close(p[1]);
	loop_free(l);
	ASSERT(loop_free(NULL) == NULL);
}

/* A callback closes another fd whose event is pending in the same batch, then reuses its number. */
struct stale {
	int a[2];	       /* first pipe, readable */
	int b[2];	       /* second pipe, readable */
	int first_calls;       /* calls of the original callbacks */
	int victim;	       /* fd number deleted, closed and reused */
	struct fd_probe fresh; /* probe of the reused number */
};

static void stale_first_cb(struct loop *l, int fd, uint32_t events, void *data)
{
	struct stale *s = data;
	struct kerr err = { 0 };
	int c[2];

	char byte;

	(void)events;
	if (read(fd, &byte, 1) != 1)
		exit(2);
	s->first_calls++;
	s->victim = fd == s->a[0] ? s->b[0] : s->a[0];
	loop_del_fd(l, s->victim);
	close(s->victim);
	/* An empty pipe's read end now answers to the victim's number. */
	make_pipe(c);
	if (c[0] != s->victim) {
		/* Usually pipe2 already reused the lowest free number; force it if not. */
		if (dup3(c[0], s->victim, O_CLOEXEC) != s->victim)
			exit(2);
		close(c[0]);
	}
	if (fd == s->a[0]) {
		close(s->b[1]);
		s->b[1] = c[1];
	} else {
		close(s->a[1]);
		s->a[1] = c[1];
	}
	if (loop_add_fd(l, s->victim, LOOP_READ, probe_cb, &s->fresh, &err) < 0)
		exit(2);
}

TEST(del_drops_pending_event_of_reused_fd)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct stale s = { .fresh = { .stop = true } };
	int ticks = 0, writer;

	ASSERT(l);
	make_pipe(s.a);
	make_pipe(s.b);
	put_byte(s.a[1], 'a');
	put_byte(s.b[1], 'b');
	ASSERT_EQ(loop_add_fd(l, s.a[0], LOOP_READ, stale_first_cb, &s, &err), 0);
	ASSERT_EQ(loop_add_fd(l, s.b[0], LOOP_READ, stale_first_cb, &s, &err), 0);
	/* Both pipes are ready before the first epoll_wait, so they share one batch. */
	ASSERT(loop_add_timer(l, 0, stop_cb, &ticks, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(ticks, 1);
	ASSERT_EQ(s.first_calls, 1);
	ASSERT_EQ(s.fresh.calls, 0);

	/* The new registration works once its own pipe has data. */
	writer = s.victim == s.a[0] ? s.a[1] : s.b[1];
	put_byte(writer, 'n');
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(s.fresh.calls, 1);
	ASSERT_EQ(s.fresh.fd, s.victim);
	ASSERT_EQ(s.fresh.byte, 'n');
	loop_del_fd(l, s.a[0]);
	loop_del_fd(l, s.b[0]);
	close(s.a[0]);
	close(s.a[1]);
	close(s.b[0]);
	close(s.b[1]);
	loop_free(l);
}

/* A callback deletes and re-adds a still-readable fd: the old batch entry is dropped. */
struct readd {
	int a[2];	    /* pipe whose callback re-registers b */
	int b[2];	    /* pipe re-registered mid-batch */
	int a_calls;	    /* calls of a's callback */
	int b_old_calls;    /* calls of b's first callback */
	struct fd_probe b2; /* probe of b's second registration */
	int turns;	    /* before-sleep hook count */
	int a_turn;	    /* turn in which a's callback ran */
};

static void readd_a_cb(struct loop *l, int fd, uint32_t events, void *data)
{
	struct readd *r = data;
	struct kerr err = { 0 };
	char c;

	(void)events;
	if (read(fd, &c, 1) != 1)
		exit(2);
	r->a_calls++;
	r->a_turn = r->turns;
	loop_del_fd(l, r->b[0]);
	if (loop_add_fd(l, r->b[0], LOOP_READ, probe_cb, &r->b2, &err) < 0)
		exit(2);
}

static void readd_b_cb(struct loop *l, int fd, uint32_t events, void *data)
{
	struct readd *r = data;
	struct kerr err = { 0 };

	char c;

	(void)events;
	if (read(fd, &c, 1) != 1)
		exit(2);
	r->b_old_calls++;
	/* b ran first in the batch: swap roles so the test still exercises the re-add. */
	loop_del_fd(l, r->a[0]);
	if (loop_add_fd(l, r->a[0], LOOP_READ, probe_cb, &r->b2, &err) < 0)
		exit(2);
	r->a_turn = r->turns;
}

TEST(readd_in_batch_waits_for_next_turn)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct readd r = { .b2 = { .stop = true } };

	ASSERT(l);
	r.b2.turns = &r.turns;
	make_pipe(r.a);
	make_pipe(r.b);
	put_byte(r.a[1], 'a');
	put_byte(r.b[1], 'b');
	loop_set_before_sleep(l, count_turns, &r.turns);
	ASSERT_EQ(loop_add_fd(l, r.a[0], LOOP_READ, readd_a_cb, &r, &err), 0);
	ASSERT_EQ(loop_add_fd(l, r.b[0], LOOP_READ, readd_b_cb, &r, &err), 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	/* Exactly one original callback ran; the re-registered fd fired one turn later. */
	ASSERT_EQ(r.a_calls + r.b_old_calls, 1);
	ASSERT_EQ(r.b2.calls, 1);
	ASSERT_EQ(r.b2.turn, r.a_turn + 1);
	ASSERT_EQ(r.b2.events, LOOP_READ);
	loop_del_fd(l, r.a[0]);
	loop_del_fd(l, r.b[0]);
	close(r.a[0]);
	close(r.a[1]);
	close(r.b[0]);
	close(r.b[1]);
	loop_free(l);
}

/* ---- timers ---- */

struct order {
	int seen[64];	  /* tags in firing order */
	int n;		  /* entries in seen */
	int stop_at;	  /* loop_stop() when n reaches this */
	uint64_t base;	  /* loop_now_ms() before the timers were added */
	int delay[64];	  /* delay of each tag, ms */
	bool early;	  /* a timer fired before its deadline */
	struct loop *l;	  /* the loop, for cancels */
	uint64_t ids[64]; /* timer id of each tag */
};

struct tag {
	struct order *o; /* shared record */
	int tag;	 /* this timer's index */
};

static void order_cb(struct loop *l, void *data)
{
	struct tag *t = data;
	struct order *o = t->o;

	if (loop_now_ms(l) < o->base + (uint64_t)o->delay[t->tag])
		o->early = true;
	o->seen[o->n++] = t->tag;
	if (o->n == o->stop_at)
		loop_stop(l);
}

static const int order_delays[] = { 30, 10, 20, 0, 10, 5 };

/* Adds from inside a callback, where the cached clock gives every timer the same base. */
static void order_setup_cb(struct loop *l, void *data)
{
	static struct tag tags[6];
	struct order *o = data;
	struct kerr err = { 0 };

	o->base = loop_now_ms(l);
	for (int i = 0; i < 6; i++) {
		tags[i] = (struct tag){ .o = o, .tag = i };
		o->delay[i] = order_delays[i];
		if (loop_add_timer(l, (uint64_t)order_delays[i], order_cb, &tags[i], &err) == 0)
			exit(2);
	}
}

TEST(timers_fire_in_deadline_order)
{
	static const int expect[] = { 3, 5, 1, 4, 2, 0 };
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct order o = { .stop_at = 6 };

	ASSERT(l);
	ASSERT(loop_add_timer(l, 0, order_setup_cb, &o, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(o.n, 6);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(o.seen[i], expect[i]);
	ASSERT(!o.early);
	loop_free(l);
}

TEST(timer_cancel_before_fire)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct order o = { .stop_at = 2 };
	struct tag tags[4];
	uint64_t a, b, d;

	ASSERT(l);
	for (int i = 0; i < 4; i++)
		tags[i] = (struct tag){ .o = &o, .tag = i };
	a = loop_add_timer(l, 5, order_cb, &tags[0], &err);
	b = loop_add_timer(l, 1, order_cb, &tags[1], &err);
	ASSERT(loop_add_timer(l, 10, order_cb, &tags[2], &err) > 0);
	ASSERT(a > 0 && b > 0 && a != b);
	loop_cancel_timer(l, a);
	loop_cancel_timer(l, a);
	loop_cancel_timer(l, 0);
	loop_cancel_timer(l, UINT64_MAX);
	loop_cancel_timer(l, 12345);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(o.n, 2);
	ASSERT_EQ(o.seen[0], 1);
	ASSERT_EQ(o.seen[1], 2);

	/* A new timer may reuse a fired timer's slot; the old id must not cancel it. */
	d = loop_add_timer(l, 0, order_cb, &tags[3], &err);
	ASSERT(d > 0 && d != a && d != b);
	loop_cancel_timer(l, b);
	loop_cancel_timer(l, a);
	o.stop_at = 3;
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(o.n, 3);
	ASSERT_EQ(o.seen[2], 3);
	ASSERT(loop_add_timer(l, 0, NULL, NULL, &err) == 0);
	ASSERT_EQ(err.code, EINVAL);
	loop_free(l);
}

/* Tag 0 cancels tag 1 (same deadline, due in the same pass), itself, and tag 2. */
static void canceller_cb(struct loop *l, void *data)
{
	struct tag *t = data;
	struct order *o = t->o;

	o->seen[o->n++] = t->tag;
	loop_cancel_timer(l, o->ids[1]);
	loop_cancel_timer(l, o->ids[0]);
	loop_cancel_timer(l, o->ids[2]);
}

static void cancel_setup_cb(struct loop *l, void *data)
{
	static struct tag tags[4];
	struct order *o = data;
	struct kerr err = { 0 };

	for (int i = 0; i < 4; i++)
		tags[i] = (struct tag){ .o = o, .tag = i };
	/* Added inside a callback: the cached clock gives tags 0 and 1 the same deadline. */
	o->ids[0] = loop_add_timer(l, 3, canceller_cb, &tags[0], &err);
	o->ids[1] = loop_add_timer(l, 3, order_cb, &tags[1], &err);
	o->ids[2] = loop_add_timer(l, 6, order_cb, &tags[2], &err);
	o->ids[3] = loop_add_timer(l, 9, order_cb, &tags[3], &err);
}

TEST(timer_cancel_from_timer)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct order o = { .stop_at = 2 };

	ASSERT(l);
	ASSERT(loop_add_timer(l, 0, cancel_setup_cb, &o, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(o.n, 2);
	ASSERT_EQ(o.seen[0], 0);
	ASSERT_EQ(o.seen[1], 3);
	loop_free(l);
}

/* A timer re-armed with delay 0 from its own callback runs once per turn, never in a spin. */
struct rearm {
	int turns;   /* before-sleep hook count */
	int fired;   /* timer callbacks */
	int turn[8]; /* turn of each firing */
	bool twice;  /* fired twice in one turn */
};

static void rearm_cb(struct loop *l, void *data)
{
	struct rearm *r = data;
	struct kerr err = { 0 };

	r->turn[r->fired] = r->turns;
	if (r->fired > 0 && r->turn[r->fired] == r->turn[r->fired - 1])
		r->twice = true;
	if (++r->fired == 5) {
		loop_stop(l);
		return;
	}
	if (loop_add_timer(l, 0, rearm_cb, r, &err) == 0)
		exit(2);
}

TEST(timer_zero_delay_rearm_runs_next_turn)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct rearm r = { 0 };

	ASSERT(l);
	loop_set_before_sleep(l, count_turns, &r.turns);
	ASSERT(loop_add_timer(l, 0, rearm_cb, &r, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(r.fired, 5);
	ASSERT(!r.twice);
	for (int i = 1; i < 5; i++)
		ASSERT_EQ(r.turn[i], r.turn[i - 1] + 1);
	loop_free(l);
}

/* 10,000 timers added and cancelled at random, some cancelled while others fire. */
#define STRESS_N	 10000
#define STRESS_MAX_DELAY 40

struct stress_item {
	struct stress *s; /* shared state */
	uint64_t id;	  /* timer id */
	int delay;	  /* ms */
	bool cancelled;	  /* loop_cancel_timer() was called while armed */
	bool fired;	  /* callback ran */
};

struct stress {
	struct stress_item items[STRESS_N]; /* all timers, by insertion index */
	int added;			    /* items used */
	int live;			    /* armed and not yet fired */
	uint64_t base;			    /* cached clock when the timers were added */
	int last;			    /* index of the previous firing, -1 before the first */
	bool bad_order;			    /* (delay, index) went backwards */
	bool bad_fire;			    /* a cancelled or fired timer ran, or ran early */
	uint32_t rng;			    /* xorshift state */
};

static uint32_t next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void stress_fire_cb(struct loop *l, void *data)
{
	struct stress_item *it = data;
	struct stress *s = it->s;
	int idx = (int)(it - s->items);

	if (it->cancelled || it->fired || loop_now_ms(l) < s->base + (uint64_t)it->delay)
		s->bad_fire = true;
	if (s->last >= 0) {
		struct stress_item *prev = &s->items[s->last];

		if (prev->delay > it->delay || (prev->delay == it->delay && s->last > idx))
			s->bad_order = true;
	}
	it->fired = true;
	s->last = idx;
	s->live--;
	/* Sometimes cancel a random still-armed timer, from inside the firing pass. */
	if (next_rand(&s->rng) % 4 == 0) {
		struct stress_item *v = &s->items[next_rand(&s->rng) % s->added];

		loop_cancel_timer(l, v->id);
		if (!v->fired && !v->cancelled) {
			v->cancelled = true;
			s->live--;
		}
	}
	if (s->live == 0)
		loop_stop(l);
}

static void stress_setup_cb(struct loop *l, void *data)
{
	struct stress *s = data;
	struct kerr err = { 0 };

	s->base = loop_now_ms(l);
	while (s->added < STRESS_N) {
		if (s->added > 0 && next_rand(&s->rng) % 3 == 0) {
			struct stress_item *v = &s->items[next_rand(&s->rng) % s->added];

			loop_cancel_timer(l, v->id);
			if (!v->cancelled) {
				v->cancelled = true;
				s->live--;
			}
			continue;
		}
		struct stress_item *it = &s->items[s->added++];

		it->s = s;
		it->delay = (int)(next_rand(&s->rng) % STRESS_MAX_DELAY);
		it->id = loop_add_timer(l, (uint64_t)it->delay, stress_fire_cb, it, &err);
		if (it->id == 0)
			exit(2);
		s->live++;
	}
}

TEST(timer_heap_stress)
{
	static struct stress s;
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	int fired = 0, cancelled = 0, guard_fired = 0;
	uint64_t guard;

	ASSERT(l);
	s = (struct stress){ .last = -1, .rng = 0x9e3779b9u };
	/* A lost timer would hang the run; the guard turns that into a failure. */
	guard = loop_add_timer(l, 10000, stop_cb, &guard_fired, &err);
	ASSERT(guard > 0);
	ASSERT(loop_add_timer(l, 0, stress_setup_cb, &s, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(guard_fired, 0);
	loop_cancel_timer(l, guard);
	ASSERT_EQ(s.added, STRESS_N);
	ASSERT_EQ(s.live, 0);
	ASSERT(!s.bad_order);
	ASSERT(!s.bad_fire);
	for (int i = 0; i < STRESS_N; i++) {
		/* Exactly one of fired / cancelled for every timer. */
		ASSERT(s.items[i].fired != s.items[i].cancelled);
		fired += s.items[i].fired;
		cancelled += s.items[i].cancelled;
	}
	ASSERT(fired > 1000);
	ASSERT(cancelled > 1000);
	/* Everything left was cancelled: a new zero-delay timer is the only one to fire. */
	ASSERT(loop_add_timer(l, 0, stop_cb, NULL, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT(!s.bad_fire);
	ASSERT_EQ(guard_fired, 0);
	loop_free(l);
}

/* ---- signals ---- */

struct sigrec {
	int n;		 /* signals seen */
	int signo[8];	 /* their numbers, in order */
	uint32_t pid[8]; /* their senders */
	int want;	 /* loop_stop() when n reaches this */
};

static void sig_cb(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct sigrec *r = data;

	if (r->n < 8) {
		r->signo[r->n] = (int)si->ssi_signo;
		r->pid[r->n] = si->ssi_pid;
	}
	if (++r->n == r->want)
		loop_stop(l);
}

static void send_signals_cb(struct loop *l, void *data)
{
	(void)l;
	(void)data;
	raise(SIGUSR1);
	kill(getpid(), SIGUSR2);
}

static bool is_blocked(int signo)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, signo) == 1;
}

TEST(signals_delivered_and_mask_restored)
{
	/* Twice, to show a freed loop leaves the process as it found it. */
	for (int round = 0; round < 2; round++) {
		struct kerr err = { 0 };
		struct loop *l = loop_new(&err);
		struct sigrec r = { .want = 2 };
		bool saw1 = false, saw2 = false;

		ASSERT(l);
		ASSERT(!is_blocked(SIGUSR1));
		ASSERT_EQ(loop_add_signal(l, SIGUSR1, sig_cb, &r, &err), 0);
		ASSERT(is_blocked(SIGUSR1));
		ASSERT_EQ(loop_add_signal(l, SIGUSR2, sig_cb, &r, &err), 0);
		ASSERT(loop_add_timer(l, 0, send_signals_cb, NULL, &err) > 0);
		ASSERT_EQ(loop_run(l, &err), 0);
		ASSERT_EQ(r.n, 2);
		for (int i = 0; i < 2; i++) {
			saw1 |= r.signo[i] == SIGUSR1;
			saw2 |= r.signo[i] == SIGUSR2;
			ASSERT_EQ(r.pid[i], (uint32_t)getpid());
		}
		ASSERT(saw1 && saw2);
		loop_free(l);
		ASSERT(!is_blocked(SIGUSR1));
		ASSERT(!is_blocked(SIGUSR2));
	}
}

static void send_usr2_cb(struct loop *l, void *data)
{
	(void)l;
	(void)data;
	kill(getpid(), SIGUSR2);
}

TEST(signal_errors_and_preblocked)
{
	struct kerr err = { 0 };
	struct loop *l;
	struct sigrec r = { .want = 1 };
	sigset_t one;

	/* A signal blocked before the loop stays blocked after it. */
	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	sigprocmask(SIG_BLOCK, &one, NULL);
	l = loop_new(&err);
	ASSERT(l);
	ASSERT_EQ(loop_add_signal(l, 0, sig_cb, &r, &err), -1);
	ASSERT_EQ(err.code, EINVAL);
	ASSERT_CONTAINS(err.msg, "except SIGKILL and SIGSTOP");
	ASSERT_EQ(loop_add_signal(l, NSIG, sig_cb, &r, &err), -1);
	ASSERT_EQ(loop_add_signal(l, -3, sig_cb, &r, &err), -1);
	ASSERT_EQ(loop_add_signal(l, SIGKILL, sig_cb, &r, &err), -1);
	ASSERT_EQ(loop_add_signal(l, SIGSTOP, sig_cb, &r, &err), -1);
	ASSERT_EQ(loop_add_signal(l, SIGUSR1, NULL, &r, &err), -1);
	ASSERT(!is_blocked(SIGUSR1));
	ASSERT_EQ(loop_add_signal(l, SIGUSR2, sig_cb, &r, &err), 0);
	ASSERT_EQ(loop_add_signal(l, SIGUSR2, sig_cb, &r, &err), -1);
	ASSERT_EQ(err.code, EEXIST);
	ASSERT(loop_add_timer(l, 0, send_usr2_cb, NULL, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(r.n, 1);
	ASSERT_EQ(r.signo[0], SIGUSR2);
	loop_free(l);
	ASSERT(is_blocked(SIGUSR2));
	sigprocmask(SIG_UNBLOCK, &one, NULL);
}

/* With no descriptor left, loop_new and loop_add_signal fail cleanly. */
TEST(fd_exhaustion)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct sigrec r = { .want = 1 };
	struct rlimit old, low;
	int lowest;

	ASSERT(l);
	lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT(lowest >= 0);
	close(lowest);
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	ASSERT(loop_new(&err) == NULL);
	ASSERT_EQ(err.code, EMFILE);
	ASSERT_CONTAINS(err.msg, "epoll_create1");
	ASSERT_EQ(loop_add_signal(l, SIGUSR1, sig_cb, &r, &err), -1);
	ASSERT_EQ(err.code, EMFILE);
	ASSERT_CONTAINS(err.msg, "signalfd");
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* The failed add left no trace: SIGUSR1 unblocked, and it can be added again. */
	ASSERT(!is_blocked(SIGUSR1));
	ASSERT_EQ(loop_add_signal(l, SIGUSR1, sig_cb, &r, &err), 0);
	loop_free(l);
	ASSERT(!is_blocked(SIGUSR1));
}

/* ---- turn structure ---- */

static void hook_stop_at_3(struct loop *l, void *data)
{
	int *n = data;

	if (++*n == 3)
		loop_stop(l);
}

static void tick_rearm_cb(struct loop *l, void *data)
{
	struct kerr err = { 0 };

	(*(int *)data)++;
	if (loop_add_timer(l, 0, tick_rearm_cb, data, &err) == 0)
		exit(2);
}

TEST(before_sleep_hook_runs_each_turn)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	int hooks = 0, ticks = 0;

	ASSERT(l);
	loop_set_before_sleep(l, hook_stop_at_3, &hooks);
	ASSERT(loop_add_timer(l, 0, tick_rearm_cb, &ticks, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	/* hook, timer; hook, timer; hook stops before the third sleep. */
	ASSERT_EQ(hooks, 3);
	ASSERT_EQ(ticks, 2);
	loop_set_before_sleep(l, NULL, NULL);
	loop_free(l);
}

/* loop_stop() ends the run after the callback; undispatched work waits for the next run. */
TEST(stop_from_callback_loses_nothing)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct fd_probe a = { .stop = true }, b = { .stop = true };
	int pa[2], pb[2], ticks = 0;

	ASSERT(l);
	make_pipe(pa);
	make_pipe(pb);
	put_byte(pa[1], 'a');
	put_byte(pb[1], 'b');
	ASSERT_EQ(loop_add_fd(l, pa[0], LOOP_READ, probe_cb, &a, &err), 0);
	ASSERT_EQ(loop_add_fd(l, pb[0], LOOP_READ, probe_cb, &b, &err), 0);
	ASSERT(loop_add_timer(l, 0, stop_cb, &ticks, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(a.calls + b.calls, 1);
	ASSERT_EQ(ticks, 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(a.calls, 1);
	ASSERT_EQ(b.calls, 1);
	ASSERT_EQ(ticks, 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT_EQ(ticks, 1);
	ASSERT_EQ(a.byte, 'a');
	ASSERT_EQ(b.byte, 'b');
	loop_del_fd(l, pa[0]);
	loop_del_fd(l, pb[0]);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	loop_free(l);
}

struct clock_probe {
	uint64_t first;	 /* loop_now_ms() at entry */
	uint64_t second; /* loop_now_ms() after the real clock moved on */
	int nested_rc;	 /* loop_run() called from inside a callback */
	int nested_code; /* its error code */
};

static void clock_cb(struct loop *l, void *data)
{
	struct clock_probe *c = data;
	struct kerr err = { 0 };

	c->first = loop_now_ms(l);
	/* Spin (bounded by the clock, a few ms) until the real clock is past the cached one. */
	while (clock_mono_ms() <= c->first + 1)
		;
	c->second = loop_now_ms(l);
	c->nested_rc = loop_run(l, &err);
	c->nested_code = err.code;
	loop_stop(l);
}

TEST(now_is_cached_per_turn_and_run_not_reentrant)
{
	struct kerr err = { 0 };
	struct loop *l = loop_new(&err);
	struct clock_probe c = { 0 };
	uint64_t before, after;

	ASSERT(l);
	before = loop_now_ms(l);
	ASSERT(loop_add_timer(l, 2, clock_cb, &c, &err) > 0);
	ASSERT_EQ(loop_run(l, &err), 0);
	ASSERT(c.first >= before + 2);
	ASSERT_U64_EQ(c.second, c.first);
	ASSERT_EQ(c.nested_rc, -1);
	ASSERT_EQ(c.nested_code, EBUSY);
	/* Outside loop_run() the clock is read afresh. */
	after = loop_now_ms(l);
	ASSERT(after > c.first);
	loop_free(l);
}

RUN_TESTS(T(fd_read_write_hup), T(fd_mod_changes_interest), T(fd_errors),
	  T(del_drops_pending_event_of_reused_fd), T(readd_in_batch_waits_for_next_turn),
	  T(timers_fire_in_deadline_order), T(timer_cancel_before_fire), T(timer_cancel_from_timer),
	  T(timer_zero_delay_rearm_runs_next_turn), T(timer_heap_stress),
	  T(signals_delivered_and_mask_restored), T(signal_errors_and_preblocked), T(fd_exhaustion),
	  T(before_sleep_hook_runs_each_turn), T(stop_from_callback_loses_nothing),
	  T(now_is_cached_per_turn_and_run_not_reentrant))
