#!/usr/bin/env python3
"""A log-in racing a password change keeps no session, through nginx.

Log-ins with the current password run in a loop from six clients while the
owner changes the password on /account. A log-in that checked the old
password before the change committed, and would have saved its session
after it, must get no session (401), because a session is saved only while
the password hash it was checked against is still the user's (one
statement). Afterwards every cookie a log-in with the old password earned
is dead, on its next request, and the owner's session lives. Three rounds,
on SQLite and (with --postgres) on PostgreSQL. (Three: the failures the old
password earns after each change add up on the one client address, which
the address-wide lock counts, and `taskr users unlock` clears the name only.)

The invariant holds however the requests interleave: the test cannot fail
on a correct build, and fails on one that keeps racing sessions whenever a
log-in's check straddles the change (most rounds: a check is an Argon2 run).

    Tests/reliability/login_race_test.py path/to/taskr [--postgres] [--port P]
"""

import argparse
import subprocess
import sys
import threading
import time

from harness import Browser, Checks, Stack, test_port

NAME = "racing-owner"
PASSWORDS = [f"password number {n} of the owner" for n in range(4)]


def change_password(owner, old, new):
    """The owner's change, tried again while Taskr answers 503 for capacity
    (the log-ins keep its password queue busy; a refusal for capacity
    changes nothing and counts against no one), as a person would."""
    for _ in range(50):
        status = owner.post_form("/account/password", {"current_password": old, "new_password": new}, "/account")
        if status != 503:
            return status
        time.sleep(0.1)
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("taskr")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--port", type=int, default=test_port(700))
    args = parser.parse_args()
    checks = Checks()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    with Stack(args.taskr, args.port, workers=8, postgres=args.postgres) as stack:
        owner = Browser(stack)
        checks.check(f"{engine}: the owner signs up", owner.signup(NAME, PASSWORDS[0]) == 303)
        for round_number in range(1, len(PASSWORDS)):
            old, new = PASSWORDS[round_number - 1], PASSWORDS[round_number]
            stop = threading.Event()
            lock = threading.Lock()
            earned, statuses = [], {}

            def log_in_loop():
                while not stop.is_set():
                    browser = Browser(stack)
                    status = browser.login(NAME, old)
                    # Its kept-alive connection closed: nginx allows 20 at once
                    # per client (limit_conn), and the owner is the same client.
                    browser.close()
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1
                        if status == 303:
                            earned.append(browser)

            threads = [threading.Thread(target=log_in_loop, daemon=True) for _ in range(6)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            changed = change_password(owner, old, new)
            stop.set()
            for thread in threads:
                thread.join(30)
            alive = [browser for browser in earned if "logged in as" in browser.home()[2]]
            print(f"{engine} round {round_number}: log-ins with the old password {dict(sorted(statuses.items()))}, "
                  f"{len(earned)} earned a session, {len(alive)} still alive", flush=True)
            checks.check(f"{engine} round {round_number}: the password change succeeded (303)", changed == 303, str(changed))
            checks.check(f"{engine} round {round_number}: log-ins ran while it did (some with the old password succeeded)",
                         statuses.get(303, 0) > 0, str(statuses))
            checks.check(f"{engine} round {round_number}: log-ins answered 303, 401, 429 or 503 only",
                         set(statuses) <= {303, 401, 429, 503}, str(statuses))
            checks.check(f"{engine} round {round_number}: no session earned with the old password outlives the change",
                         not alive, f"{len(alive)} alive")
            checks.check(f"{engine} round {round_number}: the owner's own session lives on",
                         "logged in as" in owner.home()[2])
            # The old password's failures after the change are counted, as
            # they should be; the operator clears the name between rounds.
            subprocess.run([stack.taskr, "users", "unlock", NAME], env=stack.taskr_env(), cwd=stack.dir,
                           check=True, capture_output=True)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
