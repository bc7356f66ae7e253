#!/usr/bin/env python3
"""PostgreSQL failover (#26 item 5), as an operator would run it: a primary
and a synchronous streaming standby, `TASKR_DATABASE` naming both with
`target_session_attrs=read-write`, two taskr processes behind nginx, and
people using the site; the primary killed (SIGKILL) in the middle of it,
the standby promoted, then the old primary rebuilt as the new standby —
and again, `--rounds` times, the two servers swapping roles.

    Tests/reliability/failover_test.py path/to/taskr [--rounds N] [--port P]

Passes when taskr follows each new primary without a restart (writes back
within 5 s of the promotion, the same processes throughout), nothing but
200, 303 and 503 is answered, every acknowledged sign-up logs in
afterwards, and every person logged in before stays logged in. Prints the
outage of each round, and what a synchronous standby costs a commit
(pgbench, with `synchronous_commit` on and local).
"""

import argparse
import os
import re
import subprocess
import sys
import time

from harness import CLUSTER, POSTGRES_SECRET_KEY, Browser, Checks, Stack, alive, psql, test_port, wait_for
from upgrade_test import PASSWORD, Load

PGBENCH = sorted(p for p in (f"/usr/lib/postgresql/{v}/bin/pgbench" for v in os.listdir("/usr/lib/postgresql"))
                 if os.path.exists(p))[-1] if os.path.isdir("/usr/lib/postgresql") else "pgbench"


class Server:
    """One PostgreSQL server of the pair (Tests/postgres/cluster.sh)."""

    def __init__(self, dir, port):
        self.dir = dir
        self.port = port
        self.admin_uri = f"postgresql:///postgres?host={dir}/socket&port={port}&user=taskr_admin"

    def cluster(self, *args):
        subprocess.run([CLUSTER, args[0], self.dir, *map(str, args[1:])], check=True, stdout=subprocess.DEVNULL)

    def admin(self, sql):
        return psql(self.admin_uri, sql)

    def standby_of(self, primary, synchronous):
        """Rebuilt from scratch as a streaming standby of `primary`, which
        then waits for it at every commit (if `synchronous`)."""
        self.cluster("standby", self.port, primary.dir, primary.port)
        wait_for("the standby to stream", 30,
                 lambda: primary.admin("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1")
        if not synchronous:
            return
        primary.admin("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.admin("SELECT pg_reload_conf()")
        wait_for("the standby to be synchronous", 30,
                 lambda: primary.admin("SELECT sync_state FROM pg_stat_replication") == "sync")

    def promote(self):
        """The standby becomes the primary, and commits alone until a new
        standby is attached (else every commit would wait for none)."""
        self.cluster("promote")
        self.admin("ALTER SYSTEM RESET synchronous_standby_names")
        self.admin("SELECT pg_reload_conf()")


def commit_latency(primary, synchronous_commit):
    """pgbench: one-row INSERT commits, one client, milliseconds each."""
    script = os.path.join(primary.dir, "..", "commit.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO commit_probe VALUES (1);\n")
    result = subprocess.run([PGBENCH, "-n", "-c", "1", "-t", "500", "-f", script, primary.admin_uri],
                            env=dict(os.environ, PGOPTIONS=f"-c synchronous_commit={synchronous_commit}"),
                            capture_output=True, text=True, check=True)
    return float(re.search(r"latency average = ([\d.]+) ms", result.stdout).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=test_port(1000))
    # For comparison: the standby streams asynchronously (what an
    # acknowledged commit may then lose is what the checks look for).
    parser.add_argument("--asynchronous", action="store_true")
    args = parser.parse_args()
    checks = Checks()
    stack = Stack(args.taskr, args.port, processes=2, env={"TASKR_SECRET_KEY": POSTGRES_SECRET_KEY})
    primary = Server(os.path.join(stack.dir, "pg-a"), args.port + 4)
    standby = Server(os.path.join(stack.dir, "pg-b"), args.port + 5)
    try:
        primary.cluster("start", primary.port)
        standby.standby_of(primary, not args.asynchronous)
        stack.database = (f"postgresql:///taskr?host={primary.dir}/socket,{standby.dir}/socket"
                          f"&port={primary.port},{standby.port}&user=taskr&target_session_attrs=read-write")
        with stack:
            pids = list(stack.taskr_pids)
            load = Load(stack, readers=6, signups=3, prefix="fo")
            load.start()
            time.sleep(1.5)
            for number in range(1, args.rounds + 1):
                label = f"round {number}:"
                killed = time.monotonic()
                primary.cluster("kill")
                time.sleep(0.5)  # the operator, or the failover tool, decides
                standby.promote()
                promoted = time.monotonic()
                wait_for("a sign-up acknowledged by the new primary", 15, lambda: any(
                    what == "POST /signup" and status == 303 and came > promoted for what, status, _, came in list(load.answers)))
                back = min(came for what, status, _, came in list(load.answers)
                           if what == "POST /signup" and status == 303 and came > promoted)
                refused = sum(1 for _, status, _, came in list(load.answers) if status == 503 and came > killed)
                print(f"{label} primary killed; promoted {promoted - killed:.2f} s later; the first sign-up acknowledged "
                      f"{back - promoted:.2f} s after the promotion ({back - killed:.2f} s after the kill); {refused} answers 503",
                      flush=True)
                checks.check(f"{label} writes came back within 5 s of the promotion, without restarting taskr",
                             back - promoted < 5 and all(alive(pid) for pid in pids), f"{back - promoted:.2f} s")
                time.sleep(1.0)
                primary.standby_of(standby, not args.asynchronous)
                primary, standby = standby, primary
                time.sleep(1.0)
            load.finish()

            statuses = {}
            for _, status, _, _ in load.answers:
                statuses[status] = statuses.get(status, 0) + 1
            print(f"answers over {args.rounds} failovers: {dict(sorted(statuses.items()))}", flush=True)
            checks.check("only 200, 303 and 503 were answered", set(statuses) <= {200, 303, 503}, str(statuses))
            checks.check("the same two taskr processes served throughout (none restarted or died)", all(alive(p) for p in pids))
            cannot = sorted(name for name in load.acknowledged if Browser(stack).login(name, PASSWORD) != 303)
            checks.check(f"every acknowledged sign-up ({len(load.acknowledged)}) logs in after {args.rounds} failovers",
                         not cannot, str(cannot[:5]))
            lost = [n for n, b in enumerate(load.readers) if "logged in as" not in b.home()[2]]
            checks.check(f"every person logged in before ({len(load.readers)}) is still logged in", not lost, str(lost))

            if args.asynchronous:
                return checks.summary()
            primary.admin("CREATE TABLE commit_probe (n int)")
            synchronous, local = commit_latency(primary, "on"), commit_latency(primary, "local")
            print(f"a commit with the synchronous standby: {synchronous:.3f} ms; without waiting for it: {local:.3f} ms "
                  f"(pgbench, one client, over unix sockets on one machine)", flush=True)
    finally:
        for server in (primary, standby):
            subprocess.run([CLUSTER, "stop", server.dir], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
