#!/usr/bin/env python3
"""Upgrades nobody notices (#26 item 3): taskr restarted again and again
while people use it through nginx, with nginx keeping its FastCGI
connections (`fastcgi_keep_conn on`, `keepalive 64`), both ways Taskr is
run in production:

  - systemd socket activation, as nginx/systemd/taskr.socket and
    taskr.service set it up: the socket is held by this test as systemd
    holds it (taskr gets it as fd 3 with LISTEN_FDS=1 and LISTEN_PID), and
    a restart is what `systemctl restart taskr` does: SIGTERM, wait for the
    exit (TimeoutStopSec=40), start again on the same socket;
  - spawn-fcgi, restarted with scripts/spawn-fcgi-restart.sh (the new
    processes on a new socket, renamed over the old one, then SIGTERM to
    the old ones).

    Tests/reliability/upgrade_test.py path/to/taskr [--restarts N] [--way W] [--port P]

(`--way spawn-fcgi-stop-start` measures, for comparison, a plain SIGTERM
and a new spawn-fcgi on the same path; it fails the checks.)

The load: people logged in, each reloading the home page with their own
session over a kept connection to nginx, and people signing up one after
another. Passes when, for each way: every GET was answered 200 and still
logged in, every sign-up was answered 303 (none 502, none unanswered),
every acknowledged sign-up logs in afterwards, taskr saw each sign-up once
(nginx never sent one twice, and exactly as many people exist as were
acknowledged), and the slowest answer took under 2 s. Prints what the
clients saw: answers by status and the slowest, for each way.
"""

import argparse
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from harness import REPO, Browser, Checks, Stack, alive, test_port, wait_for

PASSWORD = "upgrade-safe password"
PROBE = os.path.join(REPO, "scripts/fastcgi-probe.py")


def ready(socket_path):
    """Whether a taskr process answers /healthz on the socket itself."""
    return subprocess.run([sys.executable, PROBE, socket_path], capture_output=True).returncode == 0


class SocketActivatedStack(Stack):
    """taskr as taskr.socket and taskr.service run it. The test holds the
    listening socket, as systemd does (Backlog=1024), so it outlives every
    taskr process; each gets it as fd 3."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.listening = None
        self.service = None

    def start_taskr(self):
        self.starts += 1
        if self.listening is None:
            if os.path.exists(self.socket):
                os.unlink(self.socket)
            self.listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listening.bind(self.socket)
            os.chmod(self.socket, 0o600)
            self.listening.listen(1024)
        # systemd sets LISTEN_PID to the service's own pid: the shell's, which exec keeps.
        self.service = subprocess.Popen(
            ["/bin/sh", "-c",
             'exec 3<&0 0</dev/null; w=$1; shift; '
             'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" serve --drain-timeout 30 --workers "$w" "$@" 2>>"taskr-$$.log"',
             self.taskr, str(self.workers), *self.serve_args],
            stdin=self.listening.fileno(), cwd=self.dir, env=self.taskr_env())
        self.taskr_pids = [self.service.pid]
        wait_for("taskr on the socket systemd would hold", 20, lambda: ready(self.socket))

    def restart(self):
        """`systemctl restart taskr`: stop (SIGTERM, SIGKILL after
        TimeoutStopSec=40), then start on the same socket."""
        self.service.send_signal(signal.SIGTERM)
        try:
            self.service.wait(40)
        except subprocess.TimeoutExpired:
            self.service.kill()
            self.service.wait()
        self.start_taskr()

    def stop(self):
        super().stop()
        if self.service:
            self.service.wait()
        if self.listening:
            self.listening.close()


class Load:
    """`readers` logged-in people reloading / and `signups` threads signing
    people up, through nginx, until finish(). Every answer is kept as
    (what, status, seconds, when it came: time.monotonic())."""

    def __init__(self, stack, readers, signups, prefix):
        self.stack = stack
        self.prefix = prefix
        self.lock = threading.Lock()
        self.answers = []
        self.logged_out = 0           # a reader's GET / answered 200 without their session
        self.posts = 0                # sign-up POSTs sent
        self.acknowledged = set()     # names whose sign-up was answered 303
        self.counter = itertools.count()
        self.stop = threading.Event()
        self.readers = []
        for n in range(readers):
            browser = Browser(stack)
            if browser.signup(f"{prefix}-reader-{n}", PASSWORD) != 303:
                raise RuntimeError("a reader could not sign up before the load began")
            self.acknowledged.add(f"{prefix}-reader-{n}")
            self.readers.append(browser)
        self.threads = [threading.Thread(target=self.read, args=(b,), daemon=True) for b in self.readers]
        self.threads += [threading.Thread(target=self.sign_up, daemon=True) for _ in range(signups)]

    def timed(self, what, browser, method, path, form=None):
        began = time.monotonic()
        status, headers, body = browser.request(method, path, form)
        came = time.monotonic()
        with self.lock:
            self.answers.append((what, status, came - began, came))
        return status, body

    def read(self, browser):
        while not self.stop.is_set():
            status, body = self.timed("GET /", browser, "GET", "/")
            if status == 200 and "logged in as" not in body:
                with self.lock:
                    self.logged_out += 1

    def sign_up(self):
        while not self.stop.is_set():
            name = f"{self.prefix}-{next(self.counter)}"
            browser = Browser(self.stack)
            status, body = self.timed("GET /signup", browser, "GET", "/signup")
            token = Browser.CSRF.search(body)
            if status != 200 or not token:
                continue
            with self.lock:
                self.posts += 1
            status, _ = self.timed("POST /signup", browser, "POST", "/signup",
                                   {"username": name, "password": PASSWORD, "_csrf": token.group(1)})
            if status == 303:
                with self.lock:
                    self.acknowledged.add(name)
            browser.close()

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        for browser in self.readers:
            browser.close()

    def summary(self, what):
        statuses, slowest = {}, 0.0
        for kind, status, seconds, _ in self.answers:
            if kind == what:
                statuses[status] = statuses.get(status, 0) + 1
                slowest = max(slowest, seconds)
        return statuses, slowest


def signup_posts_taskr_answered(stack):
    """How many sign-up POSTs taskr logged answering, over every process the test started."""
    return len(re.findall(r"\] POST /signup \d{3} ", stack.taskr_logs()))


def run_way(way, args, checks):
    prefix = {"systemd": "sd", "spawn-fcgi": "sf"}.get(way, "ss")
    kind = SocketActivatedStack if way == "systemd" else Stack
    with kind(args.taskr, args.port) as stack:
        load = Load(stack, args.readers, args.signups, prefix)
        posts_before = signup_posts_taskr_answered(stack)
        load.start()
        time.sleep(1.5)
        restarts, generations = [], [list(stack.taskr_pids)]
        for _ in range(args.restarts):
            began = time.monotonic()
            if way == "systemd":
                stack.restart()
            elif way == "spawn-fcgi":
                stack.upgrade_taskr()
            else:  # stop, then start: what the script saves an operator from
                stack.restart_taskr()
            restarts.append(time.monotonic() - began)
            generations.append(list(stack.taskr_pids))
            time.sleep(1.5)
        load.finish()

        print(f"{way}: {args.restarts} restarts ({', '.join(f'{s:.2f}' for s in restarts)} s each) under "
              f"{args.readers} readers and {args.signups} sign-up threads", flush=True)
        for what in ("GET /", "GET /signup", "POST /signup"):
            statuses, slowest = load.summary(what)
            print(f"    {what:13} answers {dict(sorted(statuses.items()))}, slowest {slowest * 1000:.0f} ms", flush=True)
        gets = {}
        for what in ("GET /", "GET /signup"):
            for status, n in load.summary(what)[0].items():
                gets[status] = gets.get(status, 0) + n
        posts, _ = load.summary("POST /signup")
        slowest = max(seconds for _, _, seconds, _ in load.answers)
        label = f"{way}:"
        pids = [pid for generation in generations for pid in generation]
        checks.check(f"{label} each of the {args.restarts} restarts replaced every taskr process under load",
                     len(set(pids)) == len(pids) and not any(alive(pid) for generation in generations[:-1] for pid in generation),
                     str(generations))
        checks.check(f"{label} every GET was answered 200 ({sum(gets.values())})", set(gets) == {200}, str(gets))
        checks.check(f"{label} every reader stayed logged in", load.logged_out == 0, f"{load.logged_out} answers without the session")
        checks.check(f"{label} every sign-up was answered 303 ({load.posts})", set(posts) == {303} and sum(posts.values()) == load.posts,
                     str(posts))
        checks.check(f"{label} the slowest answer took under 2 s", slowest < 2.0, f"{slowest:.2f} s")
        answered = signup_posts_taskr_answered(stack) - posts_before
        checks.check(f"{label} taskr answered each sign-up once (nginx sent none twice)", answered == load.posts,
                     f"taskr answered {answered}, clients sent {load.posts}")
        cannot = sorted(name for name in load.acknowledged if Browser(stack).login(name, PASSWORD) != 303)
        checks.check(f"{label} every acknowledged sign-up ({len(load.acknowledged)}) logs in afterwards", not cannot, str(cannot[:5]))
        people = int(stack.query(f"SELECT count(*) FROM users WHERE username LIKE '{prefix}-%'"))
        checks.check(f"{label} exactly the acknowledged people exist", people == len(load.acknowledged),
                     f"{people} users, {len(load.acknowledged)} acknowledged")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--signups", type=int, default=3)
    # spawn-fcgi-stop-start: SIGTERM, then spawn-fcgi again on the same
    # path, for comparison (it fails the checks: connections are refused
    # while no process listens, and those queued at the exit are reset).
    parser.add_argument("--way", choices=("systemd", "spawn-fcgi", "both", "spawn-fcgi-stop-start"), default="both")
    parser.add_argument("--port", type=int, default=test_port(950))
    args = parser.parse_args()
    checks = Checks()
    for way in ("systemd", "spawn-fcgi", "spawn-fcgi-stop-start"):
        if args.way == way or (args.way == "both" and way != "spawn-fcgi-stop-start"):
            run_way(way, args, checks)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
