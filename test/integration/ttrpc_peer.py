#!/usr/bin/env python3
# ttrpc_peer.py — the hostile peer of shimv2.test: speaks, or mangles, TTRPC (containerd's
# wire: 10-byte big-endian header {length, stream id, type, flags}, protobuf bodies) on a
# shim v2's socket file.
#
# Test code, not part of kettle. `ttrpc_peer.py SOCKET ID CASE` runs one case against the
# task ID and prints what the shim did, one line per response ("stream 3: status 8",
# "stream 3: ok") and how the connection ended ("closed", or "open" when the shim kept it),
# so the .test compares the output exactly. Exit 0 means the tool ran; the verdict is in
# the output.
import os
import socket
import struct
import sys

HDR = struct.Struct(">IIBB")
T_REQUEST, T_RESPONSE, T_DATA = 1, 2, 3
SERVICE = b"containerd.task.v2.Task"


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, data):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def request(method, payload, service=SERVICE):
    return field(1, service) + field(2, method) + field(3, payload)


def frame(stream, body, typ=T_REQUEST, flags=0, length=None):
    return HDR.pack(len(body) if length is None else length, stream, typ, flags) + body


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def status_of(body):
    """The code of Response.status (field 1, google.rpc.Status {1 code}); 0 when absent."""
    i = 0
    while i < len(body):
        key, i = read_varint(body, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            _, i = read_varint(body, i)
            continue
        if wt != 2:
            return -1
        n, i = read_varint(body, i)
        val = body[i:i + n]
        i += n
        if num == 1:
            j = 0
            while j < len(val):
                k, j = read_varint(val, j)
                if k >> 3 == 1 and k & 7 == 0:
                    return read_varint(val, j)[0]
                if k & 7 == 2:
                    m, j = read_varint(val, j)
                    j += m
                else:
                    _, j = read_varint(val, j)
    return 0


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def responses(s, count, timeout=10.0):
    """Prints up to count responses, then whether the shim kept the connection."""
    s.settimeout(timeout)
    try:
        for _ in range(count):
            hdr = recv_exact(s, HDR.size)
            if hdr is None:
                print("closed")
                return
            n, stream, typ, _ = HDR.unpack(hdr)
            body = recv_exact(s, n)
            if body is None or typ != T_RESPONSE:
                print("closed" if body is None else "type %d" % typ)
                return
            code = status_of(body)
            print("stream %d: %s" % (stream, "ok" if code == 0 else "status %d" % code))
        s.settimeout(0.3)
        print("closed" if s.recv(1) == b"" else "more")
    except socket.timeout:
        print("open")
    except (ConnectionResetError, BrokenPipeError):
        print("closed")


def main():
    path, task, case = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    state = frame(101, request(b"State", field(1, task)))
    if case == "oversized":
        # 5 MiB announced and sent: answered ResourceExhausted, skipped, then served.
        s.sendall(frame(1, b"", length=5 << 20))
        s.sendall(b"\0" * (5 << 20))
        s.sendall(state)
        responses(s, 2)
    elif case == "malformed":
        # A Request that is not protobuf, then a State whose payload is not one.
        s.sendall(frame(3, b"\xff\xff\xff"))
        s.sendall(frame(5, request(b"State", b"\x0a\xff\x01")))
        s.sendall(frame(7, request(b"Nope", b"")))
        s.sendall(state)
        responses(s, 4)
    elif case == "order":
        # Wait is parked while State (sent after it) is answered.
        s.sendall(frame(1, request(b"Wait", field(1, task))))
        s.sendall(state)
        responses(s, 1)
    elif case == "data":
        # Data on a stream nobody opened is ignored; the next request is served.
        s.sendall(frame(9, b"abc", typ=T_DATA))
        s.sendall(state)
        responses(s, 1)
    elif case == "response":
        # A client that sends a response is cut off.
        s.sendall(frame(11, b"", typ=T_RESPONSE))
        responses(s, 1)
    elif case == "badtype":
        s.sendall(frame(13, b"", typ=9))
        responses(s, 1)
    elif case == "truncated":
        # Half a frame, then the peer leaves.
        s.sendall(frame(15, request(b"State", field(1, task)))[:12])
        s.shutdown(socket.SHUT_WR)
        responses(s, 1)
    elif case == "garbage":
        s.sendall(os.urandom(1 << 16))
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        try:
            while s.recv(65536):
                pass
        except (socket.timeout, ConnectionResetError):
            pass
        print("done")
    else:
        print("unknown case %s" % case, file=sys.stderr)
        sys.exit(2)


main()
