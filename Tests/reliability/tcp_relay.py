#!/usr/bin/env python3
"""Relays TCP connections from LISTEN_HOST:PORT to TARGET_HOST:PORT, both
ways, until killed. The several-host test runs one inside each host's
network namespace (its 127.0.0.1 → the test machine's side of the veth) and
one on the test machine (the veth addresses → the Attio stand-in on
127.0.0.1), so every host reaches Attio at http://127.0.0.1:PORT, the only
plain-HTTP address Taskr accepts, while the stand-in stays on loopback.

    tcp_relay.py LISTEN_HOST PORT TARGET_HOST [TARGET_PORT]
"""

import socket
import sys
import threading


def pump(source, sink):
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen_host, port, target_host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    target_port = int(sys.argv[4]) if len(sys.argv) > 4 else port
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((listen_host, port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        try:
            upstream = socket.create_connection((target_host, target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    main()
