#!/usr/bin/env python3
"""Security review, end to end through nginx and the real binary:

  - files: the database, its WAL and shared-memory files, and the generated
    key file are created 0600;
  - secrets never reach a log, at any log level: at debug, info, warning and
    error, one visitor goes through every route and every Attio failure, and
    then no password, session id, CSRF token, OAuth state or code, access
    token, client secret or secret key appears in taskr's or nginx's logs,
    and no access token in the database files;
  - TASKR_SECRET_KEY rotation: a token sealed under key A still opens after
    the key becomes B with A in TASKR_PREVIOUS_SECRET_KEYS, is re-sealed under
    B on first use, then opens with B alone; with a key that never sealed it,
    the user is asked to connect again, nothing crashes, and the token is kept.

    Tests/reliability/security_test.py path/to/taskr [--port P]
"""

import argparse
import os
import re
import secrets
import stat
import sys
import time

from harness import CLIENT_SECRET, Browser, Checks, Stack, http_get, http_post, sqlite, test_port, wait_for

PASSWORD = "a secret password"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def standin_mode(stack, name):
    status, _ = http_post(stack.standin + "/_standin/mode", {"mode": name})
    assert status == 200, f"stand-in mode {name}: {status}"


def last_token(stack):
    import json
    return json.loads(http_get(stack.standin + "/_standin/stats")[2])["last_token"]


FRESHNESS = 2  # taskr serve --task-freshness, in this test


def refreshed_into(browser, text, stale=True):
    """Waits out the copy's freshness (a clock threshold), shows the page so
    the copy falls due, and polls the page until the refresher's result,
    `text`, is on it."""
    if stale:
        time.sleep(FRESHNESS + 0.2)
    wait_for(repr(text), 20, lambda: text in browser.home()[2])


def every_route(stack, name, slow=None):
    """One visitor through every route and every Attio failure. Returns the
    secrets it saw (password, cookies, _csrf tokens, states, codes, tokens).
    `slow`: also an Attio that hangs, at the end ("api": the tasks call
    times out; "token": the token exchange times out, 502). Each starts
    call without an answer (the breaker opens on three in a row from
    different users)."""
    browser = Browser(stack)
    # The name too: it is typed into a failed log-in below, and people type
    # passwords into that field.
    seen = {PASSWORD, CLIENT_SECRET, name}
    assert browser.signup(name, PASSWORD) == 303
    browser.logout()
    assert browser.login(name, "wrong " + PASSWORD) == 401
    assert browser.login(name, PASSWORD) == 303
    browser.request("POST", "/logout", {"_csrf": "forged"})           # 403
    browser.request("GET", "/%zz?code=abc%zz")                       # 400
    for failure in ("token_error", "deny"):                           # 502, cancelled
        standin_mode(stack, failure)
        browser.connect()
    standin_mode(stack, "normal")
    assert browser.connect() == 303
    seen.add(last_token(stack))
    # Each failure met by a background refresh: the copy goes stale
    # (--task-freshness 2), the next page makes it due, the refresher calls.
    for failure in ("api_500", "api_malformed"):
        standin_mode(stack, failure)
        refreshed_into(browser, "Attio is not answering properly")
    standin_mode(stack, "api_401")
    refreshed_into(browser, 'href="/integrations/attio/connect"')  # the 401 reached Attio and dropped the token
    standin_mode(stack, "normal")
    assert browser.connect() == 303
    seen.add(last_token(stack))
    standin_mode(stack, "api_429")
    refreshed_into(browser, "Attio asked Taskr to slow down")
    standin_mode(stack, "normal")
    assert browser.connect() == 303  # a new connection forgets the pause
    seen.add(last_token(stack))
    assert "Disconnect Attio" in browser.home()[2]
    if slow == "api":
        assert browser.connect() == 303
        seen.add(last_token(stack))
        standin_mode(stack, "api_slow")
        time.sleep(FRESHNESS + 0.2)
        status, _, page = browser.home()
        assert status == 200 and "Call the customer about the renewal" in page, status  # never waits on Attio
        refreshed_into(browser, "Attio is not answering right now", stale=False)
    if slow == "token":
        standin_mode(stack, "token_slow")
        assert browser.connect() == 502  # the exchange timed out: nothing stored
    standin_mode(stack, "normal")
    browser.disconnect()
    browser.logout()
    return seen | browser.secrets


def logs_of(stack):
    text = stack.taskr_logs()
    for name in ("nginx-access.log", "nginx-error.log", "standin.log"):
        path = os.path.join(stack.dir, name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                text += f.read()
    return text


def database_bytes(stack):
    data = b""
    for suffix in ("", "-wal"):
        path = stack.database + suffix
        if os.path.exists(path):
            with open(path, "rb") as f:
                data += f.read()
    return data


def files_and_logs(args, checks):
    # No TASKR_SECRET_KEY: taskr generates the key file.
    with Stack(args.taskr, args.port, env={"TASKR_SECRET_KEY": None}, serve_args=("--task-freshness", str(FRESHNESS))) as stack:
        key_file = stack.database + ".key"
        for path in (stack.database, stack.database + "-wal", stack.database + "-shm", key_file):
            checks.check(f"{os.path.basename(path)} is created 0600", os.path.exists(path) and mode(path) == 0o600,
                         f"{oct(mode(path)) if os.path.exists(path) else 'missing'}")
        with open(key_file) as f:
            key = f.read().strip()

        for level, slow in (("debug", "api"), ("info", "token"), ("warning", None), ("error", None)):
            stack.restart_taskr(TASKR_LOG_LEVEL=level)
            seen = every_route(stack, f"user-{level}", slow) | {key}
            logs = logs_of(stack)
            leaked = sorted(s for s in seen if s and s in logs)
            checks.check(f"at log level {level}: none of the {len(seen)} secrets a visitor saw is in a log",
                         not leaked, f"leaked: {[s[:6] + '…' for s in leaked]}")
            checks.check(f"at log level {level}: no access token in the database or its WAL",
                         not any(t.encode() in database_bytes(stack) for t in seen if t.startswith("standin-")),
                         "a plaintext token is stored")
            checks.check(f"at log level {level}: no task text in the database, its WAL or a log",
                         b"Call the customer" not in database_bytes(stack) and "Call the customer" not in logs)
        checks.check("the debug level did log more (the grep had something to read)",
                     " started" in stack.taskr_logs())


def key_rotation(args, checks):
    key_a, key_b, key_c = (secrets.token_hex(32) for _ in range(3))
    with Stack(args.taskr, args.port, env={"TASKR_SECRET_KEY": key_a}, serve_args=("--task-freshness", str(FRESHNESS))) as stack:
        browser = Browser(stack)
        assert browser.signup("rotating", PASSWORD) == 303
        assert browser.connect() == 303
        sealed_a = sqlite(stack.database, "SELECT key_id || ':' || hex(sealed_token) FROM attio_connections")
        token_hex = last_token(stack).encode().hex().upper()
        checks.check("under key A the token is stored sealed (a key id, then nonce, ciphertext and tag)",
                     re.fullmatch(r"[0-9a-f]{16}:[0-9A-F]{96,}", sealed_a) is not None and token_hex not in sealed_a)

        stack.restart_taskr(TASKR_SECRET_KEY=key_b, TASKR_PREVIOUS_SECRET_KEYS=f"{secrets.token_hex(32)},{key_a}")
        page = browser.home()[2]
        checks.check("after rotating to B (A in TASKR_PREVIOUS_SECRET_KEYS) the tasks still show",
                     "Call the customer about the renewal" in page)
        time.sleep(FRESHNESS + 0.2)
        browser.home()  # the copy falls due; its refresh opens the token under A and re-seals it under B
        wait_for("the refresh to re-seal the token", 20, lambda: sqlite(
            stack.database, "SELECT key_id FROM attio_connections") != sealed_a.split(":")[0])
        sealed_b = sqlite(stack.database, "SELECT key_id || ':' || hex(sealed_token) FROM attio_connections")
        checks.check("the token was re-sealed under B on its first use", sealed_b != sealed_a)
        wait_for("the new copy under B", 20, lambda: sqlite(
            stack.database, "SELECT key_id FROM task_copies") == sealed_b.split(":")[0])

        stack.restart_taskr(TASKR_PREVIOUS_SECRET_KEYS=None)
        checks.check("with B alone (A retired) the re-sealed token still opens",
                     "Call the customer about the renewal" in browser.home()[2])

        stack.restart_taskr(TASKR_SECRET_KEY=key_c)
        status, _, page = browser.home()
        checks.check("with a key that never sealed it, home answers 200 and asks to connect again",
                     status == 200 and "connect Attio again" in page)
        checks.check("a token under a key this process does not hold is kept (a key change may be rolling out)",
                     sqlite(stack.database, "SELECT count(*) FROM attio_connections") == "1")
        logs = stack.taskr_logs()
        checks.check("no key reaches the log", not any(k in logs for k in (key_a, key_b, key_c)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--port", type=int, default=test_port(450))
    args = parser.parse_args()
    checks = Checks()
    files_and_logs(args, checks)
    key_rotation(args, checks)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
