#!/usr/bin/env python3
"""Asks a taskr process for a page over FastCGI itself, without nginx:
exit 0 when it answers 200, 1 otherwise (and says what it got).

    scripts/fastcgi-probe.py SOCKET [PATH]      (PATH defaults to /healthz)

SOCKET is a unix socket path or HOST:PORT. scripts/spawn-fcgi-restart.sh
uses it to see that a new taskr is ready before nginx's traffic goes to it.
Python's standard library only.
"""

import socket
import struct
import sys

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1


def record(kind, content, request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def ask(address, path, timeout=5):
    if ":" in address and not address.startswith("/"):
        host, port = address.rsplit(":", 1)
        connection = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    else:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        connection.connect(address)
    params = b"".join(pair(n.encode(), v.encode()) for n, v in {
        "REQUEST_METHOD": "GET", "REQUEST_URI": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
    }.items())
    with connection:
        connection.sendall(record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)) + record(PARAMS, params)
                           + record(PARAMS, b"") + record(STDIN, b""))
        received, stdout = b"", b""
        while True:
            while len(received) < 8:
                chunk = connection.recv(65536)
                if not chunk:
                    raise ConnectionError("the connection closed before the end of the request")
                received += chunk
            _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", received[:8])
            while len(received) < 8 + length + padding:
                chunk = connection.recv(65536)
                if not chunk:
                    raise ConnectionError("the connection closed mid-record")
                received += chunk
            content, received = received[8:8 + length], received[8 + length + padding:]
            if kind == STDOUT:
                stdout += content
            elif kind == END_REQUEST:
                break
    head = stdout.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n"):
        if line.lower().startswith("status:"):
            return int(line.split()[1])
    return 200  # CGI: no Status header means 200


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    path = sys.argv[2] if len(sys.argv) == 3 else "/healthz"
    try:
        status = ask(sys.argv[1], path)
    except OSError as error:
        print(f"{sys.argv[1]}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{sys.argv[1]}: {path} answered {status}", file=sys.stderr)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
