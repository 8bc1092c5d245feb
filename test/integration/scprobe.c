/*
 * scprobe: what a container's seccomp filter lets through, by raw syscalls (test helper for
 * seccomp.test, built static with musl-gcc). One line per call: "<call> <outcome>", the
 * outcome "ok" or the errno's name (EPERM, ENOSYS, …). socket(AF_VSOCK | 1 << 32) checks
 * that the filter compares the whole argument: the kernel truncates the family to an int.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EPERM:
		return "EPERM";
	case ENOSYS:
		return "ENOSYS";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case EFAULT:
		return "EFAULT";
	case EINVAL:
		return "EINVAL";
	default:
		return strerror(e);
	}
}
static void report(const char *what, long rc)
{
	printf("%s %s\n", what, name(rc < 0 ? errno : 0));
}
static void *thr(void *a)
{
	return a;
}
int main(void)
{
	struct {
		unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack,
			stack_size, tls;
	} args = { .exit_signal = SIGCHLD };
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	report("clone3", r);
	r = syscall(SYS_socket, 40L, (long)SOCK_STREAM, 0L);
	report("socket(AF_VSOCK)", r);
	if (r >= 0)
		close((int)r);
	r = syscall(SYS_socket, 38L, (long)SOCK_SEQPACKET, 0L);
	report("socket(AF_ALG)", r);
	if (r >= 0)
		close((int)r);
	r = syscall(SYS_socket, 0x100000028L, (long)SOCK_STREAM, 0L);
	report("socket(AF_VSOCK|1<<32)", r);
	if (r >= 0)
		close((int)r);
	r = syscall(SYS_socket, 1L, (long)SOCK_STREAM, 0L);
	report("socket(AF_UNIX)", r);
	if (r >= 0)
		close((int)r);
	r = syscall(SYS_io_uring_setup, 1L, NULL);
	report("io_uring_setup", r);
	r = syscall(SYS_keyctl, 0L, 0L, 0L, 0L, 0L);
	report("keyctl", r);
	r = syscall(SYS_unshare, (long)CLONE_NEWUTS);
	report("unshare(CLONE_NEWUTS)", r);
	r = syscall(SYS_clone, (long)(CLONE_NEWUTS | SIGCHLD), 0L, 0L, 0L, 0L);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	report("clone(CLONE_NEWUTS)", r);
	r = personality(0xffffffff);
	report("personality(query)", r);
	r = syscall(SYS_personality, (long)PER_BSD);
	report("personality(PER_BSD)", r);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	report("fork", p);
	pthread_t t;
	int e = pthread_create(&t, NULL, thr, NULL);
	if (!e)
		pthread_join(t, NULL);
	errno = e;
	report("pthread_create", e ? -1 : 0);
	return 0;
}
