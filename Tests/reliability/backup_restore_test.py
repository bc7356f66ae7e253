#!/usr/bin/env python3
"""The restore drill (SPEC `taskr backup`, #26 item 2), through nginx on
SQLite: sign-ups, log-ins and Attio connections running; `taskr backup --to`
taken in the middle of the load while `serve` writes; `serve` stopped, the
backup put in place of the database file, `serve` started again.

    Tests/reliability/backup_restore_test.py path/to/taskr [--port P]

Passes when the backup is 0600 and says where the key is, the load went on
while it was taken, every user acknowledged before the backup began logs in
afterwards, every Attio connection acknowledged before it still opens (the
key file beside the database opens the tokens), nobody signed up after the
backup finished exists, and `taskr check` finds nothing wrong.
"""

import argparse
import os
import signal
import stat
import subprocess
import sys
import time

from crash_test import PASSWORD, Burst, shows_tasks
from harness import Browser, Checks, Stack, test_port


def taskr(stack, *args):
    return subprocess.run([stack.taskr, *args], env=stack.taskr_env(), cwd=stack.dir, capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--port", type=int, default=test_port(800))
    args = parser.parse_args()
    checks = Checks()
    with Stack(args.taskr, args.port) as stack:
        backup = os.path.join(stack.dir, "backups", "taskr-backup.sqlite3")
        os.makedirs(os.path.dirname(backup))
        burst = Burst(stack, args.threads, "bk")
        burst.start()
        deadline = time.monotonic() + 60
        while (len(burst.connected) < 5 or len(burst.signed_up) < 20) and time.monotonic() < deadline:
            time.sleep(0.05)
        with burst.lock:
            before = set(burst.signed_up)
            connected_before = set(burst.connected)
        began = time.monotonic()
        result = taskr(stack, "backup", "--to", backup)
        took = time.monotonic() - began
        # Only names whose sign-up was first sent after the backup returned
        # are certainly not in it.
        with burst.lock:
            tried_before_end = set(burst.tried)
        wait_until = time.monotonic() + 30
        # Wait for what is checked: ten sign-ups first sent after the backup
        # (those in flight at its end do not count, whenever they are answered).
        while len(set(burst.signed_up) - tried_before_end) < 10 and time.monotonic() < wait_until:
            time.sleep(0.05)
        burst.finish()
        later = set(burst.signed_up) - tried_before_end
        print(f"backup in {took:.2f} s with {len(before)} users and {len(connected_before)} connections acknowledged "
              f"before it; {len(later)} sign-ups after it; load answers {dict(sorted(burst.statuses.items()))}", flush=True)
        print(result.stdout.strip(), flush=True)
        checks.check("taskr backup exits 0", result.returncode == 0, result.stderr)
        checks.check("it names the key file to keep beside the backup",
                     f"key: {stack.database}.key" in result.stdout, result.stdout)
        mode = stat.S_IMODE(os.stat(backup).st_mode) if os.path.exists(backup) else None
        checks.check("the backup is mode 0600", mode == 0o600, oct(mode or 0))
        checks.check("no temporary file is left beside it", os.listdir(os.path.dirname(backup)) == ["taskr-backup.sqlite3"],
                     str(os.listdir(os.path.dirname(backup))))
        checks.check("the load went on while and after the backup ran (sign-ups acknowledged after it)", len(later) >= 10,
                     str(len(later)))
        failed = {status: n for status, n in burst.statuses.items() if status >= 500 or status == 0}
        checks.check("no request failed during the backup (no 5xx, none unanswered)", not failed, str(burst.statuses))

        stack.kill_taskr(signal.SIGTERM)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(stack.database + suffix):
                os.unlink(stack.database + suffix)
        os.replace(backup, stack.database)
        stack.start_taskr()

        cannot = sorted(name for name in before if Browser(stack).login(name, PASSWORD) != 303)
        checks.check(f"every user acknowledged before the backup ({len(before)}) logs in after the restore",
                     not cannot and before, str(cannot[:5]))
        dead = sorted(name for name in connected_before if not shows_tasks(stack, name))
        checks.check(f"every Attio connection acknowledged before the backup ({len(connected_before)}) opens",
                     not dead and connected_before, str(dead[:5]))
        present = set(stack.query("SELECT username FROM users WHERE username LIKE 'bk-%'").split())
        checks.check("nobody signed up after the backup is in the restored database", not (later & present),
                     str(sorted(later & present)[:5]))
        check = taskr(stack, "check")
        checks.check("taskr check is clean on the restored database", check.returncode == 0 and check.stdout.strip().endswith("ok"),
                     check.stdout + check.stderr)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
