#!/usr/bin/env python3
"""Crash safety: `kill -9` taskr in the middle of a burst of signups, logins
and connects, start it again, and prove that nothing it acknowledged is lost
and nothing half-written exists.

    Tests/reliability/crash_test.py path/to/taskr [--rounds N] [--port P] [--postgres]

Acknowledged means taskr answered 303 (the success answer of every one of
these forms). After each kill:
  - the database passes `PRAGMA integrity_check` and `foreign_key_check`
    (on PostgreSQL, which enforces its keys itself: no row points at a
    missing one);
  - every acknowledged signup can log in; every acknowledged login's session
    is still logged in; every acknowledged connect still shows its tasks;
  - every user row that exists, acknowledged or not, is whole: its password
    (the driver knows every password it tried) logs in, and its stored
    Attio token, if any, opens and shows tasks.
"""

import argparse
import itertools
import random
import signal
import sys
import threading
import time

from harness import Browser, Checks, Stack, test_port

PASSWORD = "crash-safe password"


class Burst:
    """Threads that each repeat: sign up a new user, log in with a second
    browser, connect Attio, log out the first browser. Every 303 is written
    down before the next step."""

    def __init__(self, stack, threads, prefix):
        self.stack = stack
        self.threads = threads
        self.prefix = prefix
        self.lock = threading.Lock()
        self.statuses = {}
        self.tried = set()            # every username a signup was sent for
        self.signed_up = set()        # 303 to the signup
        self.sessions = {}            # username -> logged-in Browser whose login got 303 (and was not logged out)
        self.connected = set()        # 303 to the callback
        self.stop = threading.Event()
        self.counter = itertools.count()
        self.workers = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(threads)]

    def start(self):
        for worker in self.workers:
            worker.start()

    def finish(self):
        self.stop.set()
        for worker in self.workers:
            worker.join(60)

    def acknowledged(self):
        with self.lock:
            return len(self.signed_up) + len(self.sessions) + len(self.connected)

    def run(self, number):
        rng = random.Random(number)
        while not self.stop.is_set():
            name = f"{self.prefix}-{number}-{next(self.counter)}"
            with self.lock:
                self.tried.add(name)
            first = Browser(self.stack, self.statuses, self.lock)
            if first.signup(name, PASSWORD) != 303:
                continue
            with self.lock:
                self.signed_up.add(name)
            second = Browser(self.stack, self.statuses, self.lock)
            if second.login(name, PASSWORD) == 303:
                with self.lock:
                    self.sessions[name] = second
            if rng.random() < 0.7 and second.connect() == 303:
                with self.lock:
                    self.connected.add(name)
            if first.logout() != 303:
                continue


def shows_tasks(stack, name):
    """Whether `name` logs in and home shows the Attio connection."""
    browser = Browser(stack)
    browser.login(name, PASSWORD)
    return "Disconnect Attio" in browser.home()[2]


def verify(stack, checks, bursts, round_number):
    """Everything every burst so far had acknowledged, after a restart."""
    label = f"round {round_number}:"
    if stack.postgres:
        orphans = stack.query(
            "SELECT (SELECT count(*) FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL)"
            " + (SELECT count(*) FROM attio_connections a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL)")
        checks.check(f"{label} no row points at a missing row (PostgreSQL, after kill -9 of taskr)", orphans == "0")
    else:
        checks.check(f"{label} the database passes integrity_check after kill -9",
                     stack.query("PRAGMA integrity_check") == "ok")
        checks.check(f"{label} no row points at a missing row (foreign_key_check)",
                     stack.query("PRAGMA foreign_key_check") == "")

    stack.start_taskr()
    signed_up = set().union(*(b.signed_up for b in bursts))
    sessions = {k: v for b in bursts for k, v in b.sessions.items()}
    connected = set().union(*(b.connected for b in bursts))
    tried = set().union(*(b.tried for b in bursts))

    lost_users = [n for n in signed_up if Browser(stack).login(n, PASSWORD) != 303]
    checks.check(f"{label} every acknowledged signup ({len(signed_up)}) can log in", not lost_users, f"lost: {lost_users[:5]}")

    lost_sessions = [n for n, b in sessions.items() if "logged in as" not in b.home()[2]]
    checks.check(f"{label} every acknowledged login ({len(sessions)}) is still logged in", not lost_sessions,
                 f"lost: {lost_sessions[:5]}")

    lost_connections = [n for n in connected if not shows_tasks(stack, n)]
    checks.check(f"{label} every acknowledged connect ({len(connected)}) still shows its tasks", not lost_connections,
                 f"lost: {lost_connections[:5]}")

    rows = stack.query("SELECT username FROM users").split()
    strangers = [n for n in rows if n not in tried]
    checks.check(f"{label} every user row is one the burst sent", not strangers, f"unknown: {strangers[:5]}")
    broken = [n for n in rows if n in tried and n not in signed_up and Browser(stack).login(n, PASSWORD) != 303]
    checks.check(f"{label} user rows whose 303 was cut off by the kill are whole (they log in)",
                 not broken, f"broken: {broken[:5]}")

    token_users = stack.query("SELECT u.username FROM attio_connections c JOIN users u ON u.id = c.user_id").split()
    unreadable = [n for n in token_users if not shows_tasks(stack, n)]
    checks.check(f"{label} every stored Attio token ({len(token_users)}) opens and shows tasks",
                 not unreadable, f"unreadable: {unreadable[:5]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--port", type=int, default=test_port(150))
    parser.add_argument("--postgres", action="store_true", help="on a throw-away PostgreSQL cluster instead of SQLite")
    args = parser.parse_args()
    checks = Checks()
    print(f"crash test on {'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)

    with Stack(args.taskr, args.port, postgres=args.postgres) as stack:
        bursts = []
        for round_number in range(1, args.rounds + 1):
            burst = Burst(stack, args.threads, f"r{round_number}")
            bursts.append(burst)
            burst.start()
            # In the middle: some work acknowledged, more in flight.
            deadline = time.monotonic() + 30
            target = 15 + 10 * round_number
            while burst.acknowledged() < target and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(random.uniform(0, 0.2))
            stack.kill_taskr(signal.SIGKILL)
            killed_at = burst.acknowledged()
            burst.finish()
            print(f"round {round_number}: kill -9 after {killed_at} acknowledged steps; "
                  f"answers {dict(sorted(burst.statuses.items()))}", flush=True)
            checks.check(f"round {round_number}: the kill came in the middle of the burst",
                         killed_at > 0 and burst.statuses.get(502, 0) + burst.statuses.get(0, 0) > 0)
            verify(stack, checks, bursts, round_number)

        logs = stack.taskr_logs()
        checks.check("no password reaches taskr's log", PASSWORD not in logs)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
