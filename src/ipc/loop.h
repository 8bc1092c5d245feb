/*
 * loop: the one event loop of each process (mechanism M2).
 *
 * epoll for descriptors, a binary min-heap of timers (one deadline per turn), signals
 * through one signalfd, and a hook that runs before each sleep (flush batched writes).
 * Invariants: callbacks never block; loop_del_fd() may be called from any callback,
 * including for an fd whose events are still pending in this turn, and those events are
 * dropped (never delivered to a stale or reused fd). Never logs.
 */
#ifndef KETTLE_LOOP_H
#define KETTLE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kerr.h"

#define LOOP_READ  0x1u
#define LOOP_WRITE 0x2u
#define LOOP_HUP   0x4u /* peer hung up or error; always reported */

struct loop;
struct signalfd_siginfo;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *data);
typedef void (*loop_timer_fn)(struct loop *l, void *data);
typedef void (*loop_signal_fn)(struct loop *l, const struct signalfd_siginfo *si, void *data);
typedef void (*loop_hook_fn)(struct loop *l, void *data);

struct loop *loop_new(struct kerr *err);
/* Closes the epoll and signal fds (not the registered fds). Returns NULL. */
struct loop *loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *data,
		struct kerr *err);
int loop_mod_fd(struct loop *l, int fd, uint32_t events, struct kerr *err);
/* Unregisters before the caller closes fd; pending events for fd are dropped. */
void loop_del_fd(struct loop *l, int fd);

/* Returns a timer id > 0, or 0 with err. One-shot; re-arm from the callback. */
uint64_t loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn, void *data,
			struct kerr *err);
/* Cancelling an id that already fired or was cancelled is a no-op. */
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Blocks signo for the process and delivers it through the loop's signalfd. */
int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *data, struct kerr *err);

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *data);

/* Runs until loop_stop(); returns 0, or -1 if epoll itself failed. */
int loop_run(struct loop *l, struct kerr *err);
void loop_stop(struct loop *l);
/* Monotonic ms, cached once per turn. */
uint64_t loop_now_ms(struct loop *l);

#endif
