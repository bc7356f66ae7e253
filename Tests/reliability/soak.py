#!/usr/bin/env python3
"""Soak: mixed load at a fixed rate through nginx for a long time (10 minutes
by default), sampling taskr's memory and open file descriptors.

    Tests/reliability/soak.py path/to/taskr [--seconds 600] [--rate 60]

Passes when no request got a 5xx or no answer, resident memory did not grow
(the last third of the run stays within 10 % + 2 MiB of the first sample
after warm-up: no leak), and the open file descriptors did not grow.
"""

import argparse
import itertools
import random
import sys
import threading
import time

from harness import Browser, Checks, Stack, sqlite, test_port

PASSWORD = "soak password"


class PacedLoad:
    """`users` virtual users share `rate` requests per second between them:
    each waits for its next slot before every request to nginx. A visit: sign up or
    log in, home a few times, connect or disconnect now and then, log out."""

    def __init__(self, stack, users, rate, seconds):
        self.stack = stack
        self.interval = users / rate
        self.seconds = seconds
        self.lock = threading.Lock()
        self.statuses = {}
        self.counter = itertools.count()
        self.accounts = []
        self.threads = [threading.Thread(target=self.visit, args=(n,), daemon=True) for n in range(users)]

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def join(self):
        for thread in self.threads:
            thread.join(120)

    def visit(self, number):
        rng = random.Random(number)
        next_slot = self.started + rng.uniform(0, self.interval)
        deadline = self.started + self.seconds

        def pace():
            nonlocal next_slot
            delay = next_slot - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_slot += self.interval

        while time.monotonic() < deadline:
            browser = Browser(self.stack, self.statuses, self.lock, pace)
            with self.lock:
                known = list(self.accounts)
            if known and rng.random() < 0.7:
                name = rng.choice(known)
                browser.login(name, PASSWORD)
            else:
                name = f"soak-{number}-{next(self.counter)}"
                if browser.signup(name, PASSWORD) == 303:
                    with self.lock:
                        self.accounts.append(name)
            for _ in range(rng.randint(2, 6)):
                browser.home()
            roll = rng.random()
            if roll < 0.15:
                browser.connect()
            elif roll < 0.25:
                browser.disconnect()
            browser.logout()
            browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--rate", type=float, default=60, help="requests per second through nginx")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--sample", type=float, default=10, help="seconds between memory samples")
    parser.add_argument("--port", type=int, default=test_port(350))
    args = parser.parse_args()
    checks = Checks()

    with Stack(args.taskr, args.port) as stack:
        load = PacedLoad(stack, args.users, args.rate, args.seconds)
        samples = []  # (seconds, RSS KiB, open fds)
        load.start()
        while time.monotonic() < load.started + args.seconds:
            time.sleep(args.sample)
            samples.append((round(time.monotonic() - load.started), stack.rss_kib(), stack.open_fds()))
            elapsed, rss, fds = samples[-1]
            answered = sum(load.statuses.values())
            print(f"{elapsed:5d}s  RSS {rss / 1024:6.1f} MiB  fds {fds:3d}  requests {answered}", flush=True)
        load.join()

        statuses = dict(sorted(load.statuses.items()))
        total = sum(statuses.values())
        print(f"{total} requests in {args.seconds}s ({total / args.seconds:.1f}/s): answers {statuses}", flush=True)
        server_errors = {s: n for s, n in statuses.items() if s >= 500 or s == 0}
        checks.check("no 5xx and no request left without an answer", not server_errors, str(server_errors))
        checks.check("the load kept its rate (at least 80 %)", total >= 0.8 * args.rate * args.seconds,
                     f"{total / args.seconds:.1f}/s of {args.rate}/s")

        # After a warm-up (caches, SQLite's page cache, the workers' buffers),
        # the first and the last third of the samples are compared. A sample
        # taken while a password is hashed carries Argon2id's 19 MiB, which
        # is freed afterwards: the floor (the lowest sample) is what a leak
        # would raise. File descriptors move with connections in flight: the
        # highest sample of each third is compared.
        warm = [s for s in samples if s[0] >= min(60, args.seconds / 4)]
        early = warm[:max(1, len(warm) // 3)]
        late = warm[-max(1, len(warm) // 3):]
        if len(warm) >= 3:
            early_floor = min(s[1] for s in early)
            late_floor = min(s[1] for s in late)
            limit = early_floor * 1.10 + 2048
            checks.check(f"RSS is flat: floor {early_floor / 1024:.1f} MiB in the first third after warm-up, "
                         f"{late_floor / 1024:.1f} MiB in the last (limit {limit / 1024:.1f})", late_floor <= limit)
            early_fds = max(s[2] for s in early)
            late_fds = max(s[2] for s in late)
            checks.check(f"open file descriptors are flat: at most {early_fds} in the first third, {late_fds} in the last",
                         late_fds <= early_fds + 2)
        else:
            checks.check("enough samples to judge memory", False, f"{len(samples)} samples")
        checks.check("the database passes integrity_check", sqlite(stack.database, "PRAGMA integrity_check") == "ok")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
