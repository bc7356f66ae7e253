#!/usr/bin/env python3
"""nginx's per-client key ($taskr_client, nginx/snippets/taskr-http.conf):
an IPv4 client by its address, an IPv6 client by its /64, whatever way nginx
writes the address. Runs a real nginx whose realip module takes the client
address from a test header, so every address form goes through nginx's own
parsing and formatting; checks each key against Python's ipaddress.

Usage: nginx_client_key_test.py
"""
import http.client
import ipaddress
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected(address):
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return str(ip)
    groups = ip.exploded.split(":")[:4]
    return ":".join(format(int(g, 16), "x") for g in groups) + "::/64"


def addresses():
    rng = random.Random(64)
    fixed = ["192.0.2.1", "203.0.113.250", "::1", "::", "2001:db8::1", "2001:db8:1:2::1", "2001:db8:1:2:3:4:5:6",
             "2001:0:0:1::", "1::2:3:4:5:6", "::2:3:4:5:6:7", "::3:4:5:6:7", "1:2:3::", "1:2::3:4", "fe80::1:2:3:4",
             "2001:db8:0:0:1:0:0:1", "0:0:0:0:1:0:0:0"]
    out = list(fixed)
    for _ in range(400):
        groups = [0 if rng.random() < 0.5 else rng.randrange(1, 0x10000) for _ in range(8)]
        out.append(str(ipaddress.IPv6Address(":".join(format(g, "x") for g in groups))))
    return out


def main():
    if not shutil.which("nginx"):
        print("nginx is not installed", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="taskr-nginx-key-")
    os.chmod(work, 0o755)
    port = free_port()
    user = "user root root;" if os.getuid() == 0 else ""
    with open(os.path.join(work, "nginx.conf"), "w") as conf:
        conf.write(f"""{user}
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    fastcgi_temp_path {work}/fastcgi;
    proxy_temp_path {work}/proxy;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {REPO}/nginx/snippets/taskr-http.conf;
    server {{
        listen 127.0.0.1:{port};
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Test-Client;
        location / {{ return 200 "$taskr_client"; }}
    }}
}}
""")
    nginx = subprocess.Popen(["nginx", "-p", work, "-c", os.path.join(work, "nginx.conf")])
    passed = failed = 0
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or nginx.poll() is not None:
                    print("nginx did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        keys = {}
        for address in addresses():
            conn.request("GET", "/", headers={"X-Test-Client": address})
            got = conn.getresponse().read().decode()
            want = expected(address)
            keys.setdefault(want, set()).add(got)
            if got == want:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {address}: nginx keyed it {got!r}, its /64 is {want!r}")
        # The point of it: every address of one /64 shares one key.
        same = ["2001:db8:5:6::1", "2001:db8:5:6::ffff:1", "2001:db8:5:6:1::", "2001:db8:5:6:a:b:c:d"]
        got = set()
        for address in same:
            conn.request("GET", "/", headers={"X-Test-Client": address})
            got.add(conn.getresponse().read().decode())
        if len(got) == 1:
            passed += 1
            print(f"PASS {len(same)} addresses of one /64 share the key {got.pop()}")
        else:
            failed += 1
            print(f"FAIL one /64 got several keys: {sorted(got)}")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"PASS {passed - 1} client addresses keyed as their address or /64" if failed == 0 else "")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
