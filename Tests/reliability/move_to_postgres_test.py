#!/usr/bin/env python3
"""Moving up: README's "Moving up from SQLite", run as an operator would.
A SQLite site with users, sessions and an Attio connection is stopped,
`TASKR_COPY_TO=postgresql://… taskr copy-database` copies it into an empty
PostgreSQL database, and taskr starts again on PostgreSQL with the key the
SQLite site generated: the people are still logged in and see their tasks.
Then the administration commands on PostgreSQL: `check`, `migrate`,
`users list`; a second copy is refused; PostgreSQL without
TASKR_SECRET_KEY exits 78.

    Tests/reliability/move_to_postgres_test.py path/to/taskr [--port P]
"""

import argparse
import os
import re
import subprocess
import sys

from harness import Browser, Checks, PostgresCluster, Stack, test_port

PASSWORD = "moving up to postgres"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--port", type=int, default=test_port(650))
    args = parser.parse_args()
    checks = Checks()

    with Stack(args.taskr, args.port) as stack:
        cluster = PostgresCluster(os.path.join(stack.dir, "target"), args.port + 3)
        try:
            cluster.start()
            ada, bob = Browser(stack), Browser(stack)
            ada.signup("ada", PASSWORD)
            bob.signup("bob", PASSWORD)
            checks.check("the SQLite site: ada connected, tasks shown", ada.connect() == 303 and "Disconnect Attio" in ada.home()[2])

            stack.kill_taskr()  # 1. stop (SIGKILL is the hard case: the WAL is not checkpointed)
            env = stack.taskr_env()

            def taskr(*arguments, **overrides):
                run_env = dict(env, **overrides)
                return subprocess.run([stack.taskr, *arguments], env=run_env, cwd=stack.dir, capture_output=True, text=True)

            copied = taskr("copy-database", TASKR_COPY_TO=cluster.uri)  # 2. copy (the URI from the environment, never argv)
            print(copied.stdout, end="", flush=True)
            checks.check("copy-database exits 0 and counts what it copied",
                         copied.returncode == 0 and "users 2" in copied.stdout and "attio connections 1" in copied.stdout,
                         copied.stderr)
            argv = taskr("copy-database", "--to", cluster.uri)
            checks.check("a target on the command line (visible in ps) is refused, exit 64", argv.returncode == 64, argv.stderr)
            again = taskr("copy-database", TASKR_COPY_TO=cluster.uri)
            checks.check("a second copy into the same database is refused (exit 1), nothing changed",
                         again.returncode == 1 and "already holds data" in again.stderr and cluster.query("SELECT count(*) FROM users") == "2",
                         again.stderr)

            with open(stack.database + ".key") as f:
                key = f.read().strip()
            no_key = taskr("check", TASKR_DATABASE=cluster.uri)
            checks.check("PostgreSQL without TASKR_SECRET_KEY exits 78 naming it",
                         no_key.returncode == 78 and "TASKR_SECRET_KEY" in no_key.stderr, no_key.stderr)

            # 3. switch, 4. start.
            stack.extra_env.update(TASKR_DATABASE=cluster.uri, TASKR_SECRET_KEY=key)
            stack.database = cluster.uri
            stack.start_taskr()
            checks.check("on PostgreSQL ada is still logged in and sees her tasks (session and sealed token moved)",
                         "Disconnect Attio" in ada.home()[2])
            checks.check("bob is still logged in", "logged in as" in bob.home()[2])
            checks.check("bob logs in again on PostgreSQL", Browser(stack).login("bob", PASSWORD) == 303)
            checks.check("a new sign-up on PostgreSQL works", Browser(stack).signup("cy", PASSWORD) == 303)

            pg_env = {"TASKR_DATABASE": cluster.uri, "TASKR_SECRET_KEY": key}
            check = taskr("check", **pg_env)
            # The newest migration, as this build names it on SQLite; PostgreSQL
            # applies the same ones from v5 on (its first is SQLite's v1-v4 in one).
            newest = re.search(r"^schema (\S+) ", taskr("check").stdout, re.M)
            newest = newest.group(1) if newest else "?"
            schema = re.search(r"^schema (\S+) \((\d+) of (\d+) migrations applied\)", check.stdout, re.M)
            checks.check("taskr check on PostgreSQL exits 0 with the schema and counts",
                         check.returncode == 0 and schema is not None and schema.group(1) == newest
                         and schema.group(2) == schema.group(3)
                         and "users 3" in check.stdout and "(current) 1" in check.stdout, check.stdout + check.stderr)
            shown = taskr("check", TASKR_DATABASE=cluster.uri.replace("postgresql:///", "postgresql://taskr:pw-7q2x@/"),
                          TASKR_SECRET_KEY=key)
            checks.check("taskr check prints the URI as libpq reads it, without its password",
                         "user=taskr password=***" in shown.stdout and "pw-7q2x" not in shown.stdout + shown.stderr,
                         shown.stdout + shown.stderr)
            migrate = taskr("migrate", **pg_env)
            checks.check("taskr migrate on PostgreSQL applies nothing more", migrate.returncode == 0
                         and not any(line.startswith("applied ") for line in migrate.stdout.splitlines()) and f"schema {newest}" in migrate.stdout, migrate.stdout)
            users = taskr("users", "list", **pg_env)
            checks.check("taskr users list on PostgreSQL lists the three", users.returncode == 0
                         and [line.split("\t")[1] for line in users.stdout.splitlines()[1:]] == ["ada", "bob", "cy"], users.stdout)
            logs = stack.taskr_logs()
            checks.check("no password and no token in taskr's log", PASSWORD not in logs)
        finally:
            cluster.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
