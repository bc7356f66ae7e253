#!/usr/bin/env python3
"""Bursts are served, floods shed, through nginx (SPEC "Under load", #21):
two `taskr serve` processes (spawn-fcgi -F 2) of W workers each on one
socket, every client from an address of its own (127.1.x.y: nginx keys
limit_req and limit_conn by client, so these are different people).

    Tests/reliability/burst_test.py path/to/taskr [--workers W] [--port P]

1. A burst: 2 x W sign-ups per process (4 x W in all) posted at the same
   moment all get 303, each within a few seconds.
2. A flood: 64 log-ins with random names kept in flight for a few seconds;
   meanwhile `/` and `/healthz` answer at once, and an owner typing the right
   password gets in (303, after any number of 503s, never 429).
"""

import argparse
import sys
import threading
import time
import uuid

from harness import Browser, Checks, Stack, test_port

PASSWORD = "a burst of people"


def address(block, number):
    return f"127.{block}.{number // 250}.{number % 250 + 1}"


def burst(stack, checks, workers, processes):
    count = 2 * workers * processes
    browsers = [Browser(stack, source=address(1, n)) for n in range(count)]
    tokens = [b.csrf("/signup") for b in browsers]
    checks.check(f"{count} sign-up forms fetched", all(tokens), str(tokens.count(None)))
    start = threading.Barrier(count)
    results = [None] * count

    def post(n):
        start.wait()
        began = time.monotonic()
        status = browsers[n].request(
            "POST", "/signup", {"username": f"burst-{n}", "password": PASSWORD, "_csrf": tokens[n]})[0]
        results[n] = (status, time.monotonic() - began)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    statuses = {}
    for status, _ in filter(None, results):
        statuses[status] = statuses.get(status, 0) + 1
    slowest = max((seconds for _, seconds in filter(None, results)), default=0)
    print(f"burst of {count} sign-ups ({2 * workers} per process of {workers} workers): answers {statuses}, "
          f"slowest {slowest:.2f} s", flush=True)
    checks.check(f"all {count} simultaneous sign-ups got 303", statuses == {303: count}, str(statuses))
    checks.check("each within a few seconds (< 5 s)", slowest < 5, f"{slowest:.2f} s")
    rows = stack.query("SELECT count(*) FROM users WHERE username LIKE 'burst-%'")
    checks.check(f"{count} accounts exist", rows.strip() == str(count), rows)


def flood(stack, checks, seconds=6, flooders=64):
    owner = Browser(stack, source=address(3, 1))
    checks.check("the owner signs up", owner.signup("flood-owner", PASSWORD) == 303)
    checks.check("and logs out", owner.logout() == 303)
    stop = time.monotonic() + seconds
    answered = []
    lock = threading.Lock()

    def flood_one(n):
        browser = Browser(stack, source=address(2, n))
        while time.monotonic() < stop:
            token = browser.csrf("/login")
            status = browser.request(
                "POST", "/login", {"username": f"nobody-{uuid.uuid4().hex[:12]}", "password": "wrong guess",
                                   "_csrf": token or ""})[0]
            with lock:
                answered.append((time.monotonic(), status))

    threads = [threading.Thread(target=flood_one, args=(n,), daemon=True) for n in range(flooders)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # not a wait for a result: the flood is kept up until `stop`, and checked below
    probes = []
    for _ in range(10):
        for path in ("/", "/healthz"):
            began = time.monotonic()
            status = Browser(stack, source=address(4, 1)).request("GET", path)[0]
            probes.append((path, status, time.monotonic() - began, began))
        time.sleep(0.2)
    owner_statuses = []
    while time.monotonic() < stop + 10:
        status = owner.login("flood-owner", PASSWORD)
        owner_statuses.append(status)
        if status != 503:
            break
        time.sleep(0.2)
    owner_done = time.monotonic()
    for thread in threads:
        thread.join(30)

    with lock:
        flood_statuses = {}
        for _, status in answered:
            flood_statuses[status] = flood_statuses.get(status, 0) + 1
        during = [t for t, _ in answered if probes[0][3] <= t <= probes[-1][3]]
    slowest = max(p[2] for p in probes)
    print(f"{flooders} log-ins with random names in flight for {seconds} s: answers {flood_statuses}; "
          f"{len(probes)} probes of / and /healthz, slowest {slowest * 1000:.0f} ms; owner {owner_statuses}", flush=True)
    checks.check("the flood was in flight while the probes ran (answers between the first and the last probe)",
                 len(during) >= flooders, str(len(during)))
    checks.check("the flood's log-ins were answered (401, 429 or 503), never a 5xx other than 503",
                 set(flood_statuses) <= {401, 429, 503} and flood_statuses, str(flood_statuses))
    checks.check("/ and /healthz answered 200 during the flood", all(p[1] == 200 for p in probes),
                 str([p[:2] for p in probes if p[1] != 200]))
    checks.check("each at once (< 0.5 s)", slowest < 0.5, f"{slowest:.3f} s")
    checks.check("the owner's right password got in during or just after the flood (303), never 429",
                 owner_statuses and owner_statuses[-1] == 303 and 429 not in owner_statuses, str(owner_statuses))
    checks.check("the owner got in within 10 s of the flood's end", owner_done < stop + 10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--port", type=int, default=test_port(750))
    args = parser.parse_args()
    checks = Checks()
    with Stack(args.taskr, args.port, processes=2, workers=args.workers) as stack:
        checks.check("two taskr processes", len(stack.taskr_pids) == 2)
        burst(stack, checks, args.workers, 2)
        flood(stack, checks)
        served = stack.requests_per_process()
        print(f"requests per process: {served}", flush=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
