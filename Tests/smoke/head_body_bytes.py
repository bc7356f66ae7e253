#!/usr/bin/env python3
"""Prints how many bytes follow the header of a raw `HEAD` answer.

curl --head never reads a body, so it cannot tell whether a server sent
one; this sends the request over a plain socket (TLS for https) with
`Connection: close` and counts every byte after the blank line until the
server closes. Usage: head_body_bytes.py URL [--insecure]
"""
import socket
import ssl
import sys
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    port = url.port or (443 if url.scheme == "https" else 80)
    raw = socket.create_connection((url.hostname, port), timeout=10)
    if url.scheme == "https":
        context = ssl.create_default_context()
        if "--insecure" in sys.argv:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        raw = context.wrap_socket(raw, server_hostname=url.hostname)
    host = url.netloc
    raw.sendall(f"HEAD {url.path or '/'} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        data += chunk
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator or not head.startswith(b"HTTP/1.1 200"):
        print(f"no 200 answer: {head[:80]!r}", file=sys.stderr)
        return 1
    print(len(rest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
