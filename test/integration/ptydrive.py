#!/usr/bin/env python3
# ptydrive.py: runs a command on a real pseudo-terminal and plays a script against it, so
# terminal sessions (run -it, exec -it, attach) are tested as a person would use them.
#
# Usage: ptydrive.py [--rows R] [--cols C] -- CMD [ARG...]   (the script comes on stdin)
# Script lines:
#   send TEXT       write TEXT to the terminal (Python escapes: \r, \x10, ...)
#   expect TEXT     wait (at most KT_PTY_TIMEOUT s, default 15) until TEXT has appeared in
#                   the output since the last expect; prints "saw TEXT"
#   resize R C      set the terminal size (the kernel sends SIGWINCH to the session)
#   signal N        send signal N to the command's process group
#   exit            wait for the command to end and print "exit N"
# On a timeout it prints "timeout waiting for TEXT" and the output seen, and exits 2.
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

TIMEOUT = float(os.environ.get("KT_PTY_TIMEOUT", "15"))


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    args = sys.argv[1:]
    rows, cols = 24, 80
    while args and args[0] != "--":
        if args[0] == "--rows":
            rows = int(args[1])
        elif args[0] == "--cols":
            cols = int(args[1])
        else:
            sys.exit("ptydrive: unknown option " + args[0])
        args = args[2:]
    cmd = args[1:]
    script = [l.rstrip("\n") for l in sys.stdin if l.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    set_size(fd, rows, cols)
    seen = b""
    status = None

    def pump(deadline):
        nonlocal seen
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not r:
            return False
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            return None
        seen += data
        return True

    for line in script:
        op, _, arg = line.partition(" ")
        if op == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif op == "expect":
            want = arg.encode().decode("unicode_escape").encode("latin-1")
            deadline = time.time() + TIMEOUT
            while want not in seen:
                r = pump(deadline)
                if r is False or r is None:
                    print("timeout waiting for %r; output: %r" % (want, seen[-2000:]))
                    sys.stdout.flush()
                    os.kill(pid, 9)
                    sys.exit(2)
            seen = seen[seen.index(want) + len(want):]
            print("saw " + arg)
        elif op == "signal":
            os.killpg(pid, int(arg))
        elif op == "resize":
            r, c = arg.split()
            set_size(fd, int(r), int(c))
        elif op == "exit":
            deadline = time.time() + TIMEOUT
            while time.time() < deadline:
                wpid, st = os.waitpid(pid, os.WNOHANG)
                if wpid:
                    status = st
                    break
                pump(min(deadline, time.time() + 0.05))
            if status is None:
                print("timeout waiting for the exit; output: %r" % seen[-2000:])
                os.kill(pid, 9)
                sys.exit(2)
            code = os.waitstatus_to_exitcode(status)
            print("exit %d" % code)
        else:
            sys.exit("ptydrive: unknown step " + op)
        sys.stdout.flush()


main()
