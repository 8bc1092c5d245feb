/*
 * daemon_boot: runs the containers file of `kettle daemon --boot --containers FILE` (role,
 * layer 3; bottom band of the daemon). Each line (split by src/boot/bootfile.c, never by a
 * shell) becomes `kettle run -d LINE`: kettle's own client, in a child of the daemon
 * (/proc/self/exe, KETTLE_ROOT naming our root), so a line means exactly what it means
 * typed at a prompt and the daemon holds no second parser of run's flags. Lines run one
 * after the other, in the file's order, each once the one before has returned (a detached
 * run returns once its container started). Invariants: never blocks (the child's output
 * is read in the loop, its exit comes through SIGCHLD's reaper in daemon.c, a deadline
 * kills a client that hangs); a bad line or a failed run is logged once with its line
 * number and skipped, the next line runs. `--load DIR` comes first: each regular file of
 * DIR, in name order, becomes `kettle load -q -i FILE` the same way (the image code's
 * own client, so an archive is checked exactly as a user's load is), so the containers
 * file can name the images. Calls no other daemon file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "boot/bootfile.h"
#include "daemon/daemon_boot.h"
#include "runtime/proc.h"

#define BOOT_OUT_MAX	 1024  /* bytes of a client's output kept for the log */
#define BOOT_PREFIX_ARGS 3     /* "kettle", "run", "-d" */
#define BOOT_RUN_SLACK	 30000 /* ms a client may take beyond a shim's readiness deadline */
#define BOOT_PATH_ENV	 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BOOT_LOADS_MAX	 4096	 /* archives --load takes from its directory */
#define BOOT_LOAD_MS	 1800000 /* ms one archive's load may take (many GB on a slow disk) */

struct daemon_boot {
	char path[PATH_MAX];	    /* the file, as given (for messages) */
	char *text;		    /* owned; the file's bytes */
	struct bootfile cur;	    /* the cursor over text */
	struct bootfile_line *line; /* owned; the words of the line being run */
	char *argv[BOOTFILE_ARGS_MAX + BOOT_PREFIX_ARGS + 1]; /* the client's, into line */
	char root_env[PATH_MAX + 16];			      /* "KETTLE_ROOT=<root>" */
	pid_t pid;					      /* the running client, 0 when none */
	unsigned lineno;				      /* its line in the file */
	int outfd;		/* read end of its stdout and stderr, -1 when closed */
	char out[BOOT_OUT_MAX]; /* what it printed, the first BOOT_OUT_MAX bytes */
	size_t outlen;		/* bytes in out */
	uint64_t timer;		/* its deadline, 0 when none */
	unsigned started;	/* lines whose run succeeded */
	unsigned failed;	/* lines refused or whose run failed */
	bool stopped;		/* shutdown: no further line runs */
	bool has_file;		/* --containers was given */
	char dir[PATH_MAX];	/* --load's directory, as given (for messages) */
	char **loads;		/* owned; --load's archives (full paths), in name order */
	size_t nloads;		/* entries of loads */
	size_t iload;		/* the next one to load; the running one is iload - 1 */
	bool loading;		/* the running client is a load */
	unsigned loaded;	/* archives loaded */
	unsigned load_failed;	/* archives whose load failed */
};

static void next_line(struct daemon *d);

static void read_output(struct daemon *d, struct daemon_boot *b)
{
	char chunk[512];

	while (b->outfd >= 0) {
		ssize_t n = read(b->outfd, chunk, sizeof(chunk));

		if (n > 0) {
			size_t room = sizeof(b->out) - b->outlen;
			size_t k = (size_t)n < room ? (size_t)n : room;

			memcpy(b->out + b->outlen, chunk, k);
			b->outlen += k;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		/* EOF, or an error that ends it all the same. */
		loop_del_fd(d->loop, b->outfd);
		b->outfd = fd_close(b->outfd);
	}
}

static void on_output(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;

	(void)l;
	(void)fd;
	(void)events;
	if (d->jobs)
		read_output(d, d->jobs);
}

static void on_deadline(struct loop *l, void *data)
{
	struct daemon *d = data;
	struct daemon_boot *b = d->jobs;

	(void)l;
	if (!b)
		return;
	b->timer = 0;
	if (b->pid > 0 && b->loading) {
		log_error("--load `%s`: `kettle load` still running after %d ms: killing it",
			  b->loads[b->iload - 1], BOOT_LOAD_MS);
		(void)kill(b->pid, SIGKILL);
	} else if (b->pid > 0) {
		log_error("%s line %u: `kettle run` still running after %llu ms: killing it",
			  b->path, b->lineno,
			  (unsigned long long)(d->runtime_timeout_ms + DAEMON_READY_TIMEOUT_MS +
					       BOOT_RUN_SLACK));
		/* Our own unreaped child: its pid cannot have been reused. */
		(void)kill(b->pid, SIGKILL);
	}
}

/* Spawns the client: `kettle load -q -i ARCHIVE` while loading, else `kettle run -d` with
 * the words in b->line. */
static int spawn(struct daemon *d, struct daemon_boot *b, struct kerr *err)
{
	static char run[] = "run", detach[] = "-d", self[] = "kettle", load[] = "load",
		    quiet[] = "-q", input[] = "-i";
	char *envp[] = { b->root_env, BOOT_PATH_ENV, NULL };
	int p[2];

	b->argv[0] = self;
	if (b->loading) {
		b->argv[1] = load;
		b->argv[2] = quiet;
		b->argv[3] = input;
		b->argv[4] = b->loads[b->iload - 1];
		b->argv[5] = NULL;
	} else {
		b->argv[1] = run;
		b->argv[2] = detach;
		for (size_t i = 0; i <= b->line->argc; i++)
			b->argv[BOOT_PREFIX_ARGS + i] = b->line->argv[i];
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create the output pipe of `kettle %s`", b->argv[1]);
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = b->argv,
		.envp = envp,
		.stdio = { -1, wfd, wfd },
		.keep_fd = -1,
		.cwd = "/", /* a relative path in a line means the same with or without -d */
		.die_with = getpid(),
	};
	if (fd_set_nonblock(rfd, true, err) < 0)
		return -1;
	if (proc_spawn(&sp, &b->pid, err) < 0) {
		b->pid = 0;
		return -1;
	}
	wfd = fd_close(wfd);
	if (loop_add_fd(d->loop, rfd, LOOP_READ, on_output, d, err) < 0) {
		/* Its output is lost, not its run: the exit still comes. */
		log_warn("%s line %u: %s, not logging its output", b->path, b->lineno, err->msg);
	} else {
		b->outfd = take_fd(&rfd);
	}
	b->outlen = 0;
	b->timer = loop_add_timer(d->loop,
				  b->loading ? BOOT_LOAD_MS
					     : d->runtime_timeout_ms + DAEMON_READY_TIMEOUT_MS +
						       BOOT_RUN_SLACK,
				  on_deadline, d, err);
	if (!b->timer)
		log_warn("%s line %u: %s, no deadline", b->path, b->lineno, err->msg);
	return 0;
}

/* Runs --load's archives, then lines, until one is running or none is left. */
static void next_line(struct daemon *d)
{
	struct daemon_boot *b = d->jobs;
	struct kerr err;
	int r;

	while (!b->stopped && b->iload < b->nloads) {
		b->iload++;
		b->loading = true;
		if (spawn(d, b, &err) == 0)
			return;
		log_error("--load `%s`: %s, skipping it", b->loads[b->iload - 1], err.msg);
		b->load_failed++;
	}
	if (b->loading) {
		b->loading = false;
		if (!b->stopped)
			log_info("--load `%s`: done, %u archives loaded, %u failed", b->dir,
				 b->loaded, b->load_failed);
	}
	if (!b->has_file)
		return;
	while (!b->stopped && (r = bootfile_next(&b->cur, b->line, &err)) != 0) {
		if (r < 0) {
			log_error("%s: %s, skipping it", b->path, err.msg);
			b->failed++;
			continue;
		}
		b->lineno = b->line->lineno;
		if (spawn(d, b, &err) == 0)
			return;
		log_error("%s line %u: %s, skipping it", b->path, b->lineno, err.msg);
		b->failed++;
	}
	if (!b->stopped)
		log_info("%s: done, %u lines started a container, %u failed", b->path, b->started,
			 b->failed);
}

static int read_file(struct daemon_boot *b, size_t *len, struct kerr *err)
{
	struct stat st;
	size_t got = 0;
	_cleanup_close_ int fd = open(b->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return kerr_set(err, errno, "--containers `%s`", b->path);
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "--containers `%s`: stat", b->path);
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "--containers `%s`: not a regular file", b->path);
	if ((uint64_t)st.st_size > BOOTFILE_MAX)
		return kerr_set(err, 0, "--containers `%s`: %lld bytes exceed the limit of %u",
				b->path, (long long)st.st_size, BOOTFILE_MAX);
	/* One byte more than allowed notices a file that grew since the fstat. */
	b->text = malloc(BOOTFILE_MAX + 1);
	if (!b->text)
		return kerr_set(err, ENOMEM, "--containers `%s`", b->path);
	if (fd_read_full(fd, b->text, BOOTFILE_MAX + 1, &got, err) < 0)
		return kerr_wrap(err, "--containers `%s`", b->path);
	if (got > BOOTFILE_MAX)
		return kerr_set(err, 0, "--containers `%s`: more than %u bytes", b->path,
				BOOTFILE_MAX);
	*len = got;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --load DIR: the full paths of DIR's regular files (symlinks to one count), in name
 * order; dot files are skipped. */
static int list_archives(struct daemon_boot *b, const char *dir, struct kerr *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!dp) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return kerr_set(err, saved, "--load `%s`", dir);
	}
	while ((e = readdir(dp)) != NULL) {
		char full[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, e->d_name) >= (int)sizeof(full) ||
		    stat(full, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (b->nloads == BOOT_LOADS_MAX) {
			closedir(dp);
			return kerr_set(err, 0, "--load `%s`: more than %d archives", dir,
					BOOT_LOADS_MAX);
		}
		char **v = realloc(b->loads, (b->nloads + 1) * sizeof(*v));
		if (!v || !(v[b->nloads] = strdup(full))) {
			if (v)
				b->loads = v;
			closedir(dp);
			return kerr_set(err, ENOMEM, "--load `%s`", dir);
		}
		b->loads = v;
		b->nloads++;
	}
	closedir(dp);
	if (b->nloads)
		qsort(b->loads, b->nloads, sizeof(*b->loads), by_name);
	return 0;
}

int daemon_boot_start(struct daemon *d, const char *path, const char *load_dir, struct kerr *err)
{
	struct daemon_boot *b = calloc(1, sizeof(*b));
	size_t len = 0;

	if (!b)
		return kerr_set(err, ENOMEM, "--boot");
	d->jobs = b;
	b->outfd = -1;
	snprintf(b->root_env, sizeof(b->root_env), "KETTLE_ROOT=%s", d->root);
	if (load_dir) {
		str_copy(b->dir, sizeof(b->dir), load_dir);
		if (list_archives(b, load_dir, err) < 0) {
			daemon_boot_free(d);
			return -1;
		}
	}
	if (path) {
		b->has_file = true;
		str_copy(b->path, sizeof(b->path), path);
		b->line = malloc(sizeof(*b->line));
		if (!b->line) {
			daemon_boot_free(d);
			return kerr_set(err, ENOMEM, "--containers `%s`", path);
		}
		if (read_file(b, &len, err) < 0) {
			daemon_boot_free(d);
			return -1;
		}
		bootfile_init(&b->cur, b->text, len);
	}
	next_line(d);
	return 0;
}

/* The log line of a finished client: what it printed, on one line and log-safe. */
static void log_result(struct daemon_boot *b, int code)
{
	char shown[4 * BOOT_OUT_MAX + 1];
	size_t n = b->outlen;

	while (n > 0 && (b->out[n - 1] == '\n' || b->out[n - 1] == ' '))
		n--;
	str_sanitize(shown, sizeof(shown), b->out, n);
	if (b->loading) {
		const char *archive = b->loads[b->iload - 1];

		if (code == 0) {
			b->loaded++;
			log_info("--load `%s`: loaded %s", archive, n ? shown : "(no output)");
		} else {
			b->load_failed++;
			log_error("--load `%s`: `kettle load` exited %d: %s", archive, code,
				  n ? shown : "(no output)");
		}
		return;
	}
	if (code == 0) {
		b->started++;
		log_info("%s line %u: started container %.12s", b->path, b->lineno, shown);
	} else {
		b->failed++;
		log_error("%s line %u: `kettle run` exited %d: %s", b->path, b->lineno, code,
			  n ? shown : "(no output)");
	}
}

bool daemon_boot_reaped(struct daemon *d, pid_t pid, int status)
{
	struct daemon_boot *b = d->jobs;

	if (!b || b->pid <= 0 || pid != b->pid)
		return false;
	b->pid = 0;
	if (b->timer) {
		loop_cancel_timer(d->loop, b->timer);
		b->timer = 0;
	}
	/* It has exited: what it wrote is all in the pipe now (it forks nothing that keeps
	 * the write end). */
	read_output(d, b);
	if (b->outfd >= 0) {
		loop_del_fd(d->loop, b->outfd);
		b->outfd = fd_close(b->outfd);
	}
	if (!b->stopped)
		log_result(b, proc_exit_code(status));
	next_line(d);
	return true;
}

void daemon_boot_stop(struct daemon *d)
{
	struct daemon_boot *b = d->jobs;

	if (!b || b->stopped)
		return;
	b->stopped = true;
	if (b->pid > 0) {
		log_info("%s line %u: shutting down, killing its `kettle run`", b->path, b->lineno);
		(void)kill(b->pid, SIGKILL); /* reaped by SIGCHLD's reaper as usual */
	}
}

void daemon_boot_free(struct daemon *d)
{
	struct daemon_boot *b = d->jobs;

	if (!b)
		return;
	if (b->pid > 0)
		(void)kill(b->pid, SIGKILL);
	if (b->timer)
		loop_cancel_timer(d->loop, b->timer);
	if (b->outfd >= 0) {
		loop_del_fd(d->loop, b->outfd);
		fd_close(b->outfd);
	}
	for (size_t i = 0; i < b->nloads; i++)
		free(b->loads[i]);
	free(b->loads);
	free(b->text);
	free(b->line);
	free(b);
	d->jobs = NULL;
}
