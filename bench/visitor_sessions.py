#!/usr/bin/env python3
"""Prints N "cookie csrf" lines: fresh visitors (the `taskr_visitor` nonce
cookie, no session row: logged-out pages write nothing) with the CSRF token
of the log-in form, for the log-in benchmark (bench/login.lua).

    visitor_sessions.py http://127.0.0.1:29050 2000 > pairs.txt
"""
import http.client
import re
import sys
from urllib.parse import urlsplit

base, count = urlsplit(sys.argv[1]), int(sys.argv[2])
connection = http.client.HTTPConnection(base.hostname, base.port)
token = re.compile(r'name="_csrf" value="([^"]+)"')
for _ in range(count):
    connection.request("GET", "/login")
    response = connection.getresponse()
    body = response.read().decode()
    cookie = re.search(r"taskr_visitor=([^;]+)", response.getheader("Set-Cookie") or "")
    csrf = token.search(body)
    if response.status != 200 or not cookie or not csrf:
        sys.exit(f"GET /login answered {response.status} without a visitor cookie and token")
    print(cookie.group(1), csrf.group(1))
