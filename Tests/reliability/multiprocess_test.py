#!/usr/bin/env python3
"""Several processes, one database: `spawn-fcgi -F N` taskr processes on one
socket and one SQLite file, started together on a new file (no key set, so
they also race to create the key file), under a mixed read/write load
through nginx: signup, login, logout, home, connect, disconnect.

    Tests/reliability/multiprocess_test.py path/to/taskr [--processes N] [--seconds S] [--postgres]

With --postgres the processes share a throw-away PostgreSQL cluster (and
the one TASKR_SECRET_KEY every host of such a site holds) instead.

Passes when no request got a 5xx or no answer, no SQLITE_BUSY ("database is
locked") reached a log, every process served requests, and what the load
acknowledged is in the database exactly once.
"""

import argparse
import itertools
import random
import sys
import threading
import time

from harness import Browser, Checks, Stack, test_port

PASSWORD = "several processes"


class MixedLoad:
    """Virtual users, each repeating a visit: sign up, look at home, log out,
    log in, look at home a few times, connect Attio (and sometimes
    disconnect), log out."""

    def __init__(self, stack, users, seconds):
        self.stack = stack
        self.seconds = seconds
        self.lock = threading.Lock()
        self.statuses = {}
        self.unexpected = []
        self.signed_up = []
        self.connected = set()
        self.counter = itertools.count()
        self.threads = [threading.Thread(target=self.visit, args=(n,), daemon=True) for n in range(users)]

    def run(self):
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join(self.seconds + 120)

    def expect(self, step, status, wanted):
        if status != wanted:
            with self.lock:
                self.unexpected.append(f"{step}: {status}")
        return status == wanted

    def visit(self, number):
        rng = random.Random(number)
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            name = f"mp-{number}-{next(self.counter)}"
            browser = Browser(self.stack, self.statuses, self.lock)
            if not self.expect("signup", browser.signup(name, PASSWORD), 303):
                continue
            with self.lock:
                self.signed_up.append(name)
            self.expect("home", browser.home()[0], 200)
            self.expect("logout", browser.logout(), 303)
            if not self.expect("login", browser.login(name, PASSWORD), 303):
                continue
            for _ in range(rng.randint(1, 4)):
                self.expect("home", browser.home()[0], 200)
            if self.expect("connect", browser.connect(), 303):
                # Any process opens the token another one sealed.
                status, _, page = browser.home()
                self.expect("home (connected)", status if "Disconnect Attio" in page else f"{status} without tasks", 200)
                if rng.random() < 0.3:
                    self.expect("disconnect", browser.disconnect(), 303)
                else:
                    with self.lock:
                        self.connected.add(name)
            self.expect("logout", browser.logout(), 303)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=test_port(250))
    parser.add_argument("--postgres", action="store_true", help="on a throw-away PostgreSQL cluster instead of SQLite")
    args = parser.parse_args()
    checks = Checks()
    print(f"several processes on {'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)

    with Stack(args.taskr, args.port, processes=args.processes, workers=args.workers, postgres=args.postgres) as stack:
        checks.check(f"spawn-fcgi -F {args.processes} started {args.processes} taskr processes on a new database",
                     len(stack.taskr_pids) == args.processes)
        load = MixedLoad(stack, args.users, args.seconds)
        load.run()
        statuses = dict(sorted(load.statuses.items()))
        print(f"{args.users} users for {args.seconds}s through nginx: answers {statuses}", flush=True)

        server_errors = {s: n for s, n in statuses.items() if s >= 500 or s == 0}
        checks.check("no 5xx and no request left without an answer", not server_errors, str(server_errors))
        checks.check("every step got the answer it expects", not load.unexpected, str(load.unexpected[:10]))
        logs = stack.taskr_logs()
        checks.check("no SQLITE_BUSY in any process's log",
                     "database is locked" not in logs and "SQLITE_BUSY" not in logs and "SQLite error 5" not in logs)
        checks.check("no process logged an error", " error " not in logs.lower().replace("error_", ""),
                     next((line for line in logs.splitlines() if " error " in line.lower()), ""))
        served = stack.requests_per_process()
        print(f"requests per process: {served}", flush=True)
        checks.check("every process served requests",
                     len(served) == args.processes and all(n > 0 for n in served.values()), str(served))
        # Vacuous without connections: the load must have connected someone.
        checks.check("the load connected Attio for some users", len(load.connected) > 0)
        key_ids = stack.query("SELECT count(DISTINCT key_id) FROM attio_connections")
        checks.check("every process sealed tokens under the one key", key_ids == "1", key_ids)

        usernames = stack.query("SELECT username FROM users").split()
        checks.check(f"every acknowledged signup ({len(load.signed_up)}) is stored exactly once",
                     sorted(usernames) == sorted(load.signed_up),
                     f"{len(usernames)} rows for {len(load.signed_up)} signups")
        connected = set(stack.query(
                               "SELECT u.username FROM attio_connections c JOIN users u ON u.id = c.user_id").split())
        checks.check(f"every user left connected ({len(load.connected)}) has a stored token", load.connected <= connected)
        if not stack.postgres:
            checks.check("the database passes integrity_check", stack.query("PRAGMA integrity_check") == "ok")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
