/*
 * proc: processes: spawn with an exec-error pipe, detach, pidfds, reaping, signal names
 * (mechanism M2).
 *
 * After fork the child makes only async-signal-safe calls until execve, reports an exec
 * failure through an O_CLOEXEC pipe and ends with _exit(127). Nothing here waits
 * without WNOHANG. Never logs.
 */
#ifndef KETTLE_PROC_H
#define KETTLE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"

/* One resource limit (setrlimit(2)). */
struct proc_rlimit {
	int resource;  /* RLIMIT_* */
	uint64_t soft; /* rlim_cur */
	uint64_t hard; /* rlim_max */
};

/*
 * What a process run directly on the host (kettle's host runtime) takes on before execve,
 * in this order: the terminal on stdio[0] as its controlling one (ctty; needs new_session
 * or detach), resource limits, supplementary groups, gid and uid (set_user), no_new_privs,
 * then the gate. With a gate (a FIFO path), the child opens it for writing, which waits
 * until someone opens it for reading, writes one byte and only then execs; proc_spawn
 * returns as soon as the child waits there (its pid known), not at the exec.
 */
struct proc_host {
	bool ctty;			   /* make stdio[0], a terminal, the controlling one */
	const struct proc_rlimit *rlimits; /* borrowed; nrlimits entries */
	size_t nrlimits;		   /* entries of rlimits */
	bool set_user;			   /* apply groups, gid and uid */
	uid_t uid;			   /* with set_user */
	gid_t gid;			   /* with set_user */
	const gid_t *groups;		   /* borrowed; supplementary groups, with set_user */
	size_t ngroups;			   /* entries of groups */
	bool no_new_privs;		   /* prctl(PR_SET_NO_NEW_PRIVS) */
	const char *gate;		   /* a FIFO to pass before exec, or NULL */
};

struct proc_spawn {
	const char *path;  /* executable to execve */
	char *const *argv; /* NULL-terminated; borrowed */
	char *const *envp; /* NULL-terminated; NULL means a minimal PATH-only env */
	int stdio[3];	   /* fds for 0,1,2; -1 means /dev/null */
	int keep_fd;	   /* one extra fd handed over as fd 3, or -1 */
	bool new_session;  /* setsid() in the child */
	bool detach;	   /* double fork: the process is not our child (implies setsid);
				  its pid is learned through the exec-error pipe protocol */
	const char *cwd;   /* chdir in the child, or NULL */
	int oom_score_adj; /* written to /proc/self/oom_score_adj unless 0 */
	pid_t die_with;	   /* nonzero (the caller's pid, not with detach): the child is SIGKILLed
			      when the caller dies (PR_SET_PDEATHSIG), or exits at once when it
			      already has */
	const struct proc_host *host; /* borrowed; a host process's setup, or NULL */
};

/* Starts the process. Returns its pid once it has exec'd; an exec failure is reported
 * as -1 with the child's errno ("exec `path`: No such file or directory"). */
int proc_spawn(const struct proc_spawn *spec, pid_t *pid, struct kerr *err);
/*
 * The unlinker: a child process that removes files in dirfd for its caller, so that the
 * caller pays for one write per file, not for freeing its blocks and cached pages (which
 * for a 10 MB log file takes a millisecond or more). It holds only its pipe and a copy of
 * dirfd, is named "kettle-unlink" (comm), and ends once *wfd is closed and what was sent is
 * removed; the caller reaps it. *wfd is non-blocking.
 */
#define PROC_UNLINK_NAME_MAX 256 /* bytes of one name, NUL included (below PIPE_BUF) */
int proc_unlinker_start(int dirfd, pid_t *pid, int *wfd, struct kerr *err);
/* Hands name (relative to the unlinker's directory) over; never blocks. -1 with EAGAIN when
 * it is far behind, EPIPE when it is gone: the caller then removes the file itself. */
int proc_unlinker_send(int wfd, const char *name, struct kerr *err);
/* waitpid(-1, WNOHANG): 1 with pid and status when a child was reaped, 0 when none. */
int proc_reap_any(pid_t *pid, int *status);
/* Shell-style exit code: the exit status, or 128+signal. */
int proc_exit_code(int status);
/* pidfd_open(2) (CLOEXEC by kernel design). */
int proc_pidfd_open(pid_t pid, int *fd, struct kerr *err);
int proc_pidfd_signal(int pidfd, int sig, struct kerr *err);
/* "TERM", "SIGTERM", "term", "15" -> 15. */
int proc_signal_parse(const char *s, int *sig, struct kerr *err);
/* 15 -> "SIGTERM"; unknown -> "SIG?" */
const char *proc_signal_name(int sig);
/* The process's start time in clock ticks (field 22 of /proc/<pid>/stat): with the pid it
 * names one process for its whole life. A missing process is ESRCH. */
int proc_start_ticks(pid_t pid, unsigned long long *ticks, struct kerr *err);

#endif
