#!/usr/bin/env python3
# peer.py — the hostile peer of hostile.test (issue 8): speaks, or mangles, kettle's wire
# protocol (docs/PROTOCOL.md) on the daemon's and shims' abstract sockets.
#
# Test code, not part of kettle: it never runs as a kettle role. Every subcommand prints
# what the server did, one line per frame received ("ERROR 125 <msg>", "OK 0", …) and how
# the connection ended ("closed", or "open" when the server kept it), so a .test compares
# the output exactly. Secrets are read from files (--token FILE), never taken from argv.
# Exit 0 means the tool ran; the verdict is in the output.
import os
import random
import select
import socket
import struct
import sys
import time

HDR = struct.Struct("<IIHH")
FIELD = struct.Struct("<HI")

TYPES = {
    "AUTH": 1, "OK": 2, "ERROR": 3, "END": 4, "DATA": 5, "EVENT": 6, "STDIN": 7,
    "RESIZE": 8, "SIGNAL": 9, "STDIN_ACK": 10,
    "CREATE": 32, "START": 33, "STOP": 34, "KILL": 35, "REMOVE": 36, "WAIT": 37,
    "LIST": 38, "INSPECT": 39, "RESOLVE": 40, "EVENTS": 41, "INFO": 42, "UPDATE": 43,
    "RENAME": 44, "PAUSE": 45, "UNPAUSE": 46,
    "SHIM_STATE": 64, "SHIM_START": 65, "SHIM_KILL": 66, "SHIM_PIDS": 67,
    "SHIM_WAIT": 68, "SHIM_DELETE": 69, "SHIM_SHUTDOWN": 70, "SHIM_STOP": 71,
    "SHIM_ATTACH": 72, "SHIM_EXEC": 73, "SHIM_UPDATE": 74, "SHIM_PAUSE": 75,
    "SHIM_RESUME": 76,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}

# The tag table of docs/PROTOCOL.md: name -> (tag, value type).
TAGS = {
    "TOKEN": (1, "bytes"), "MSG": (2, "str"), "CODE": (3, "u32"), "ID": (4, "str"),
    "NAME": (5, "str"), "REF": (6, "str"), "JSON": (7, "str"), "SIGNAL": (8, "u32"),
    "TIMEOUT_MS": (9, "u64"), "FORCE": (10, "u32"), "ALL": (11, "u32"),
    "EXIT_CODE": (12, "u32"), "STREAM": (13, "u32"), "DATA": (14, "bytes"),
    "NFDS": (15, "u32"), "ARGV": (16, "strv"), "ADDR": (17, "str"), "PID": (18, "u32"),
    "SINCE": (19, "u64"), "UNTIL": (20, "u64"), "FILTER": (21, "str"), "ROWS": (22, "u32"),
    "COLS": (23, "u32"), "STREAMS": (24, "u32"), "STATUS": (25, "str"),
    "PREPARE": (26, "u32"), "PRINTED": (27, "u32"), "TTY": (28, "u32"), "COUNT": (29, "u64"),
}
TAG_NAMES = {v[0]: k for k, v in TAGS.items()}


def frame(type_, reqid, fields=(), flags=0):
    """fields: (tag, bytes) pairs, kept in order (duplicates allowed: we are hostile)."""
    payload = b"".join(FIELD.pack(t, len(v)) + v for t, v in fields)
    return HDR.pack(len(payload), reqid, type_, flags) + payload


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def read_token(path):
    with open(path, "rb") as f:
        return f.read().strip()


def read_addr(path):
    """An address file (or a copy of one): first line is the name, second the pid."""
    with open(path) as f:
        return f.readline().strip()


def connect(name, rcvbuf=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect("\0" + name)
    return s


def send_quiet(s, data):
    """Sends what the server still takes; a server that hung up is no error here."""
    try:
        s.sendall(data)
    except OSError:
        pass


class Reader:
    """Frames from a socket, with a deadline; decodes only what it needs to print."""

    def __init__(self, s):
        self.s = s
        self.buf = b""
        self.eof = False

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.s], [], [], left)
        if not r:
            return False
        try:
            chunk = self.s.recv(1 << 20)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def frame(self, timeout):
        """(type, reqid, {tag: value}) or None at end of input or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= HDR.size:
                n, reqid, type_, _ = HDR.unpack_from(self.buf)
                if len(self.buf) >= HDR.size + n:
                    payload = self.buf[HDR.size:HDR.size + n]
                    self.buf = self.buf[HDR.size + n:]
                    fields, off = {}, 0
                    while off + FIELD.size <= len(payload):
                        tag, ln = FIELD.unpack_from(payload, off)
                        off += FIELD.size
                        fields[tag] = payload[off:off + ln]
                        off += ln
                    return type_, reqid, fields
            if not self._fill(deadline):
                return None


def describe(fr):
    type_, reqid, fields = fr
    name = TYPE_NAMES.get(type_, "type%d" % type_)
    out = "%s %d" % (name, reqid)
    if 3 in fields and len(fields[3]) == 4:
        out = "%s %d" % (name, struct.unpack("<I", fields[3])[0])
    if 2 in fields:
        out += " " + fields[2].decode("utf-8", "replace")
    return out


def report(s, timeout, stop_after_ok=False):
    """Prints every frame until the server closes (prints "closed") or timeout ("open")."""
    rd = Reader(s)
    while True:
        fr = rd.frame(timeout)
        if fr is None:
            print("closed" if rd.eof else "open")
            return
        print(describe(fr))
        if stop_after_ok and fr[0] == TYPES["OK"]:
            print("open")
            return


def auth_frame(token):
    return frame(TYPES["AUTH"], 0, [(TAGS["TOKEN"][0], token)])


def authed(name, token_file, rcvbuf=None):
    """A connection that passed authentication, or exits with the server's answer."""
    s = connect(name, rcvbuf)
    s.sendall(auth_frame(read_token(token_file)))
    fr = Reader(s).frame(5)
    if fr is None or fr[0] != TYPES["OK"]:
        print("authentication failed: %s" % (describe(fr) if fr else "no answer"))
        sys.exit(1)
    return s


# ---- subcommands ------------------------------------------------------------------------

def cmd_hello(args):
    """hello ADDRFILE (--token FILE | --wrong-token | --no-token | --no-auth TYPE):
    authenticates as told, then asks one request; prints everything that comes back."""
    name = read_addr(args[0])
    how = args[1]
    try:
        s = connect(name)
    except OSError as e:
        print("connect: %s" % e.strerror)
        return
    if how == "--token":
        send_quiet(s, auth_frame(read_token(args[2])))
    elif how == "--wrong-token":
        send_quiet(s, auth_frame(b"0" * 64))
    elif how == "--no-token":
        send_quiet(s, frame(TYPES["AUTH"], 0))
    elif how == "--no-auth":
        send_quiet(s, frame(TYPES[args[2]], 1))
    report(s, 5, stop_after_ok=True)


def cmd_garbage(args):
    """garbage ADDRFILE KIND [--token FILE]: random | len4g | half | big. With --token the
    bytes come after a successful authentication."""
    name = read_addr(args[0])
    kind = args[1]
    s = authed(name, args[3]) if len(args) > 3 and args[2] == "--token" else connect(name)
    if kind == "random":
        rnd = random.Random(8)  # fixed seed: the same bytes, the same answer, every run
        send_quiet(s, bytes(rnd.getrandbits(8) for _ in range(4096)))
    elif kind == "len4g":
        send_quiet(s, HDR.pack(0xFFFFFFFF, 1, TYPES["LIST"], 0) + b"x" * 64)
    elif kind == "big":
        send_quiet(s, frame(TYPES["CREATE"], 1, [(TAGS["JSON"][0], b" " * (1 << 20))]))
    elif kind == "half":
        whole = frame(TYPES["LIST"], 1, [(TAGS["ALL"][0], u32(1))])
        send_quiet(s, whole[: len(whole) // 2])
    report(s, 4)


def cmd_idle(args):
    """idle ADDRFILE N READYFILE: opens N connections that send nothing, creates READYFILE,
    and waits for the server to drop every one. Prints how many were dropped and whether
    that happened after the 2 s authentication deadline (and not much later)."""
    name, n, ready = read_addr(args[0]), int(args[1]), args[2]
    socks = []
    t0 = time.monotonic()
    for _ in range(n):
        socks.append(connect(name))
    open(ready, "w").close()
    live = {s.fileno(): s for s in socks}
    first = last = None
    deadline = t0 + 30
    poller = select.poll()
    for fd in live:
        poller.register(fd, select.POLLIN)
    while live and time.monotonic() < deadline:
        for fd, _ in poller.poll(500):
            s = live.get(fd)
            if s is None:
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue  # the one ERROR frame; the close follows
            now = time.monotonic() - t0
            first = now if first is None else first
            last = now
            poller.unregister(fd)
            del live[fd]
            s.close()
    dropped = n - len(live)
    print("%d of %d idle connections dropped" % (dropped, n))
    if dropped:
        # Opened over a few hundred ms: the first may go a little before 2 s after t0.
        early = first < 1.5
        late = last > 8
        print("dropped %s" % ("too early (%.2f s)" % first if early else
                              "too late (%.2f s)" % last if late else
                              "after the authentication deadline"))


def cmd_fds(args):
    """fds ADDRFILE N: sends one frame's first byte with N descriptors, unauthenticated."""
    name, n = read_addr(args[0]), int(args[1])
    s = connect(name)
    fds = [os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC) for _ in range(n)]
    whole = frame(TYPES["AUTH"], 0, [(TAGS["TOKEN"][0], b"0" * 64)], flags=1)
    try:
        socket.send_fds(s, [whole], fds)
    except OSError as e:
        print("send: %s" % e.strerror)
    for fd in fds:
        os.close(fd)
    report(s, 5)


def cmd_passfd(args):
    """passfd ADDRFILE --token FILE dir|opath: an authenticated SHIM_EXEC whose stdin is a
    directory (or an O_PATH handle): the receiver must refuse it and close every fd."""
    name, tok, kind = read_addr(args[0]), args[2], args[3]
    s = authed(name, tok)
    if kind == "dir":
        bad = os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    else:
        bad = os.open("/etc/passwd", os.O_PATH | os.O_CLOEXEC)
    req = frame(TYPES["SHIM_EXEC"], 5, [(TAGS["JSON"][0], b'{"args":["true"]}'),
                                        (TAGS["NFDS"][0], u32(3))], flags=1)
    socket.send_fds(s, [req], [bad, 1, 2])
    os.close(bad)
    report(s, 5)


def cmd_slow(args):
    """slow ADDRFILE --token FILE TYPE HOLDFILE: authenticates, opens a stream (SHIM_ATTACH
    or EVENTS) on a tiny receive buffer, reads nothing until HOLDFILE disappears (at most
    60 s), then drains: prints how the stream ended and the bytes it got."""
    name, tok, kind, hold = read_addr(args[0]), args[2], args[3], args[4]
    s = authed(name, tok, rcvbuf=4096)
    if kind == "attach":
        s.sendall(frame(TYPES["SHIM_ATTACH"], 7, [(TAGS["STREAMS"][0], u32(3))]))
    else:
        s.sendall(frame(TYPES["EVENTS"], 7, [(TAGS["SINCE"][0], u64(1))]))
    open(hold, "w").close()
    t_end = time.monotonic() + 60
    while os.path.exists(hold) and time.monotonic() < t_end:
        time.sleep(0.05)
    rd = Reader(s)
    got = 0
    while True:
        fr = rd.frame(5)
        if fr is None:
            print("stream %s after %s" % ("closed" if rd.eof else "still open",
                                          "some data" if got else "no data"))
            return
        if fr[0] == TYPES["END"]:
            print("%s after %s" % (describe(fr), "some data" if got else "no data"))
            return
        got += 1


# Request fields as the servers read them: (field, required, extra checks). u32 fields
# that are flags must be 0 or 1; SIGNAL 1..64; STREAMS bits 0..2. Every other field is
# given a harmless valid value, so a check that is missing would show as an OK.
DAEMON_REQS = {
    "CREATE": [("JSON", True)],
    "START": [("REF", True), ("PREPARE", False)],
    "STOP": [("REF", True), ("TIMEOUT_MS", False)],
    "KILL": [("REF", True), ("SIGNAL", False)],
    "REMOVE": [("REF", True), ("FORCE", False)],
    "WAIT": [("REF", True)],
    "LIST": [("ALL", False)],
    "INSPECT": [("REF", True)],
    "RESOLVE": [("REF", True)],
    "EVENTS": [("SINCE", False), ("UNTIL", False), ("FILTER", False)],
    "INFO": [],
    "UPDATE": [("REF", True), ("JSON", True)],
    "RENAME": [("REF", True), ("NAME", True)],
    "PAUSE": [("REF", True)],
    "UNPAUSE": [("REF", True)],
}
SHIM_REQS = {
    "SHIM_STATE": [],
    "SHIM_START": [],
    "SHIM_KILL": [("SIGNAL", False), ("ALL", False)],
    "SHIM_PIDS": [],
    "SHIM_WAIT": [],
    "SHIM_DELETE": [("FORCE", False)],
    "SHIM_SHUTDOWN": [],
    "SHIM_STOP": [("SIGNAL", False), ("TIMEOUT_MS", False)],
    "SHIM_ATTACH": [("STREAMS", False)],
    "SHIM_EXEC": [("JSON", True), ("NFDS", False)],
    "SHIM_UPDATE": [("JSON", True)],
    "SHIM_PAUSE": [],
    "SHIM_RESUME": [],
}
FLAGS = ("PREPARE", "FORCE", "ALL")


def valid_value(field, ref):
    """A well-formed value that does no harm if the request were served."""
    if field == "REF":
        return ref.encode()
    if field == "SIGNAL":
        return u32(28)  # SIGWINCH: ignored by default
    if field in FLAGS:
        return u32(0)
    if field == "STREAMS":
        return u32(3)
    if field == "NAME":
        return b"hostile-new-name"
    if field == "JSON":
        return b"{}"
    if field == "FILTER":
        return b"event=none"
    if field in ("SINCE", "UNTIL"):
        return u64(1)
    if field == "TIMEOUT_MS":
        return u64(1000)
    if field == "NFDS":
        return u32(0)
    return b""


def wrong_value(field):
    """A value of the wrong type for the field's tag."""
    kind = TAGS[field][1]
    if kind == "u32":
        return u32(1)[:3]
    if kind == "u64":
        return u32(1)
    return b"a\0b"  # str: a NUL byte inside


def oversized_value(field):
    """A value past the field's limit, or None when the type has none."""
    kind = TAGS[field][1]
    if field in FLAGS:
        return u32(2)
    if field == "SIGNAL":
        return u32(0xFFFFFFFF)
    if field == "STREAMS":
        return u32(0xFFFFFFFF)
    if field == "NFDS":
        return u32(9)
    if field == "TIMEOUT_MS":
        return u64(0xFFFFFFFFFFFFFFFF)
    if field == "JSON":
        return b"[" * 900000
    if kind == "str":
        return b"x" * 20000
    return None


def cases(table, ref):
    """(label, type, fields, expect_close) for every malformed variant of every request."""
    out = []
    for req, spec in sorted(table.items()):
        t = TYPES[req]
        base = [(f, valid_value(f, ref)) for f, _ in spec]
        for i, (field, required) in enumerate(spec):
            tag = TAGS[field][0]

            def with_value(v, _i=i, _tag=tag):
                return [(TAGS[f][0], val) for f, val in base[:_i]] + [(_tag, v)] + \
                       [(TAGS[f][0], val) for f, val in base[_i + 1:]]
            others = [(TAGS[f][0], val) for j, (f, val) in enumerate(base) if j != i]
            if required:
                out.append(("%s %s missing" % (req, field), t, others, False))
            out.append(("%s %s wrongly typed" % (req, field), t, with_value(wrong_value(field)),
                        False))
            big = oversized_value(field)
            if big is not None:
                out.append(("%s %s oversized" % (req, field), t, with_value(big), False))
            dup = with_value(valid_value(field, ref)) + [(tag, valid_value(field, ref))]
            out.append(("%s %s duplicated" % (req, field), t, dup, True))
        if any(f == "NFDS" for f, _ in spec):
            # NFDS pairs a frame with its descriptors (ipc.c): a bad one fails the frame.
            out = [(lb, ty, fl, cl or " NFDS " in lb) for lb, ty, fl, cl in out]
        # Every type, fields or not: a duplicated unknown tag fails the frame.
        out.append(("%s unknown tag duplicated" % req, t,
                    [(TAGS[f][0], v) for f, v in base] + [(999, b""), (999, b"")], True))
    return out


def cmd_fields(args):
    """fields ADDRFILE --token FILE daemon|shim REF LOGFILE: every request type with missing,
    duplicated, oversized and wrongly-typed fields. Each must get one ERROR (CODE 125, a
    message naming the field, or the frame's problem); a field error leaves the connection
    serving (the next probe is answered OK), a frame error closes it after the ERROR. Each
    case's answer goes to LOGFILE; stdout gets the tally and every case that failed."""
    name, tok, role, ref, log = read_addr(args[0]), args[2], args[3], args[4], args[5]
    table = DAEMON_REQS if role == "daemon" else SHIM_REQS
    probe = frame(TYPES["INFO" if role == "daemon" else "SHIM_STATE"], 999)
    bad = []
    s = rd = None
    with open(log, "w") as lf:
        for n, (label, t, fields, expect_close) in enumerate(cases(table, ref), 1):
            if s is None:
                s = authed(name, tok)
                rd = Reader(s)
            send_quiet(s, frame(t, n, fields))
            fr = rd.frame(10)
            what = describe(fr) if fr else ("closed" if rd.eof else "no answer")
            lf.write("%s: %s\n" % (label, what))
            field = label.split()[1]
            if fr is None or fr[0] != TYPES["ERROR"] or fr[1] not in (0, n):
                bad.append("%s: expected ERROR, got %s" % (label, what))
            elif struct.unpack("<I", fr[2].get(3, u32(0)))[0] != 125:
                bad.append("%s: expected CODE 125: %s" % (label, what))
            elif not expect_close and not mentions(fr[2].get(2, b""), field):
                bad.append("%s: the message does not name the field: %s" % (label, what))
            if expect_close:
                nxt = rd.frame(3)
                if nxt is not None or not rd.eof:
                    bad.append("%s: the connection stayed open after a frame error" % label)
                s.close()
                s = None
                continue
            send_quiet(s, probe)
            nxt = rd.frame(10)
            if nxt is None or nxt[0] != TYPES["OK"] or nxt[1] != 999:
                bad.append("%s: the connection stopped serving: %s" %
                           (label, describe(nxt) if nxt else "closed"))
                if s:
                    s.close()
                s = None
        total = n
    for b in bad:
        print(b)
    print("%s: %d malformed requests, %d answered with a clear ERROR" %
          (role, total, total - len(bad)))


def mentions(msg, field):
    m = msg.decode("utf-8", "replace").lower()
    words = {field.lower(), field.lower().replace("_", " ")}
    words |= {"timeout"} if field == "TIMEOUT_MS" else set()
    words |= {"stream"} if field == "STREAMS" else set()
    words |= {"record", "json", "document"} if field == "JSON" else set()
    return any(w in m for w in words)


def cmd_squat(args):
    """squat LOGFILE NAME... | squat LOGFILE --random N: binds abstract names and logs, per
    connection, "accepted" and every byte received (hex). Each accepted peer is first
    sent a forged OK{EXIT_CODE 42}. Runs until killed; prints "bound N" when listening."""
    log = args[0]
    names = args[1:]
    if names and names[0] == "--random":
        names = ["kettle/" + os.urandom(16).hex() for _ in range(int(names[1]))]
    listeners = []
    for nm in names:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind("\0" + nm)
        except OSError as e:
            print("bind @%s: %s" % (nm, e.strerror), flush=True)
            continue
        s.listen(64)
        listeners.append(s)
    print("bound %d" % len(listeners), flush=True)
    forged = frame(TYPES["OK"], 0, [(TAGS["EXIT_CODE"][0], u32(42))]) + \
        frame(TYPES["OK"], 1, [(TAGS["EXIT_CODE"][0], u32(42))])
    conns = []
    with open(log, "a", buffering=1) as lf:
        while True:
            r, _, _ = select.select(listeners + conns, [], [], 1)
            for s in r:
                if s in listeners:
                    c, _ = s.accept()
                    lf.write("accepted\n")
                    send_quiet(c, forged)
                    conns.append(c)
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    lf.write("received %s\n" % data.hex())
                else:
                    conns.remove(s)
                    s.close()


def cmd_create(args):
    """create ADDRFILE --token FILE JSONFILE: one CREATE carrying JSONFILE's bytes as the
    record request, as no kettle client would build it; prints the answer."""
    s = authed(read_addr(args[0]), args[2])
    with open(args[3], "rb") as f:
        body = f.read()
    send_quiet(s, frame(TYPES["CREATE"], 1, [(TAGS["JSON"][0], body)]))
    report(s, 5, stop_after_ok=True)


def main():
    cmds = {"hello": cmd_hello, "garbage": cmd_garbage, "idle": cmd_idle, "fds": cmd_fds,
            "passfd": cmd_passfd, "slow": cmd_slow, "fields": cmd_fields,
            "squat": cmd_squat, "create": cmd_create}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print("usage: peer.py %s ..." % "|".join(sorted(cmds)), file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
