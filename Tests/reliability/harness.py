"""The reliability tests' shared parts: the stack (Attio stand-in, taskr under
spawn-fcgi, nginx), a browser that speaks to it like a person's, and checks
that print one PASS/FAIL line each.

Python's standard library only, like the stand-in. Everything listens on
127.0.0.1 and everything started is stopped, also when a test fails.
"""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT_ID = "reliability-client"
CLIENT_SECRET = "reliability-client-secret-0123456789"


# SIGTERM (a CI time-out, `kill`) ends a test like Ctrl-C does: as an
# exception, so every `with Stack(...)` stops the servers it started.
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def test_port(offset):
    """A test's port: TASKR_TEST_PORT_BASE (28000, below Linux's ephemeral
    range, so no outgoing connection holds it) plus the test's own offset.
    Move every suite at once by setting the base."""
    return int(os.environ.get("TASKR_TEST_PORT_BASE", "28000")) + offset


def require_free_port(port):
    """Fails at once, naming the way out, when something listens on `port`."""
    import socket
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            sys.exit(f"port {port} on 127.0.0.1 is taken ({error.strerror}): "
                     f"set TASKR_TEST_PORT_BASE (now {os.environ.get('TASKR_TEST_PORT_BASE', '28000')}) to move every test's ports")


class Checks:
    """PASS/FAIL lines and a summary, like the smoke tests'."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f" — {detail}" if detail else ""), flush=True)
        return ok

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def finish_run_folder(folder, exc_type):
    """Removes a run folder after a passing run; keeps it (and says where)
    after a failure or with KEEP_RELIABILITY_DIR set."""
    if exc_type is None and not os.environ.get("KEEP_RELIABILITY_DIR"):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"(run folder kept: {folder})", flush=True)


def standin_command(port):
    """The Attio stand-in on 127.0.0.1:`port`, for the tests' client id and secret."""
    return [sys.executable, os.path.join(REPO, "Tests/standin/attio_standin.py"),
            "--port", str(port), "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]


def wait_for(what, seconds, probe):
    """Polls `probe` every 0.1 s until it returns true; raises after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {seconds}s waiting for {what}")


def sqlite(database, sql):
    """Runs `sql` with the sqlite3 shell (a separate process, like an operator's)."""
    result = subprocess.run(["sqlite3", "-cmd", ".timeout 10000", database, sql],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def psql(uri, sql):
    """Runs `sql` with psql against `uri`: unaligned, tab-separated, no headers."""
    result = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", uri, "-c", sql],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


# Every host of a PostgreSQL site holds the same key (SPEC); the tests' one.
POSTGRES_SECRET_KEY = "7a" * 32
CLUSTER = os.path.join(REPO, "Tests/postgres/cluster.sh")


class PostgresCluster:
    """A throw-away PostgreSQL cluster (Tests/postgres/cluster.sh) in `dir`,
    on a unix socket there (and TCP on `listen`, if given); `uri` once started."""

    def __init__(self, dir, port, listen=None, clients=None):
        self.dir = dir
        self.port = port
        self.env = dict(os.environ)
        if listen:
            self.env.update(TASKR_PG_LISTEN=listen, TASKR_PG_CLIENTS=clients)
        self.uri = None

    def start(self):
        result = subprocess.run([CLUSTER, "start", self.dir, str(self.port)], env=self.env,
                                capture_output=True, text=True, check=True)
        self.uri = result.stdout.strip()
        return self.uri

    def stop(self):
        subprocess.run([CLUSTER, "stop", self.dir], check=False, stdout=subprocess.DEVNULL)

    def query(self, sql):
        return psql(self.uri, sql)


class Stack:
    """The Attio stand-in, `processes` taskr processes under spawn-fcgi on one
    socket and one database, and nginx in front, in a temporary folder.
    `port` (and `port + 1` for the stand-in) should be below Linux's
    ephemeral range (32768–60999), where no outgoing connection can hold it."""

    def __init__(self, taskr, port, processes=1, workers=4, env=None, postgres=False, serve_args=()):
        self.taskr = os.path.realpath(taskr)
        self.port = port
        self.standin_port = port + 1
        self.processes = processes
        self.workers = workers
        self.dir = tempfile.mkdtemp(prefix="taskr-reliability-")
        os.chmod(self.dir, 0o755)  # nginx's workers reach the socket
        self.socket = os.path.join(self.dir, "taskr.sock")
        self.database = os.path.join(self.dir, "taskr.sqlite3")
        self.base = f"http://127.0.0.1:{port}"
        self.standin = f"http://127.0.0.1:{self.standin_port}"
        self.extra_env = env or {}
        # More `taskr serve` options, e.g. ("--task-freshness", "2").
        self.serve_args = list(serve_args)
        self.standin_process = None
        self.nginx_process = None
        self.taskr_pids = []
        self.starts = 0
        # postgres=True: the database is a throw-away PostgreSQL cluster in
        # the run folder, and self.database its URI.
        self.postgres = PostgresCluster(os.path.join(self.dir, "pg"), port + 2) if postgres else None

    def query(self, sql):
        """`sql` against the stack's database, SQLite or PostgreSQL, as an operator's shell would."""
        return self.postgres.query(sql) if self.postgres else sqlite(self.database, sql)

    def __enter__(self):
        require_free_port(self.port)
        require_free_port(self.standin_port)
        require_free_port(self.port + 3)  # nginx's internal server for /metrics
        try:
            if self.postgres:
                self.database = self.postgres.start()
            self.start_standin()
            self.start_taskr()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        finish_run_folder(self.dir, exc[0])

    # -- processes -------------------------------------------------------

    def start_standin(self):
        self.standin_process = subprocess.Popen(
            standin_command(self.standin_port),
            stderr=open(os.path.join(self.dir, "standin.log"), "ab"))
        wait_for("the Attio stand-in", 10, lambda: http_get(self.standin + "/_standin/stats")[0] == 200)

    def taskr_env(self):
        env = dict(os.environ)
        env.update({
            "TASKR_DATABASE": self.database,
            "ATTIO_CLIENT_ID": CLIENT_ID,
            "ATTIO_CLIENT_SECRET": CLIENT_SECRET,
            "ATTIO_REDIRECT_URI": f"{self.base}/integrations/attio/callback",
            "ATTIO_AUTHORIZE_URL": f"{self.standin}/authorize",
            "ATTIO_TOKEN_URL": f"{self.standin}/oauth/token",
            "ATTIO_REVOKE_URL": f"{self.standin}/oauth/revoke",
            "ATTIO_API_URL": self.standin,
        })
        if self.postgres:
            env["TASKR_SECRET_KEY"] = POSTGRES_SECRET_KEY
        for name, value in self.extra_env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def start_taskr(self):
        """`spawn-fcgi -F N`: N processes accept on one socket. Each logs to
        its own file (taskr-PID.log): spawn-fcgi would send stderr to
        /dev/null, so a shell redirects it and then execs taskr."""
        self.starts += 1
        if os.path.exists(self.socket):
            os.unlink(self.socket)  # left by a kill -9
        subprocess.run(["spawn-fcgi", "-s", self.socket, "-P", self.pid_file, *self.spawn_fcgi_args()],
                       env=self.taskr_env(), check=True, stdout=subprocess.DEVNULL)
        self.read_pid_file()
        wait_for("taskr on its socket", 20, lambda: fastcgi_socket_answers(self.socket))

    def spawn_fcgi_args(self):
        """spawn-fcgi's options after -s and -P, and the command: a shell that
        sends stderr to taskr-PID.log and execs `taskr serve`."""
        return ["-M", "0600", "-F", str(self.processes), "-d", self.dir, "--", "/bin/sh", "-c",
                'w=$1; shift; exec "$0" serve --workers "$w" "$@" 2>>"taskr-$$.log"', self.taskr, str(self.workers),
                *self.serve_args]

    @property
    def pid_file(self):
        return os.path.join(self.dir, "taskr.pids")

    def read_pid_file(self):
        with open(self.pid_file) as f:
            self.taskr_pids = [int(line) for line in f.read().split()]

    def upgrade_taskr(self):
        """A restart as an operator upgrades a spawn-fcgi site, with nginx
        sending traffic: scripts/spawn-fcgi-restart.sh (new processes on a
        new socket, renamed over the old one, then SIGTERM to the old)."""
        self.starts += 1
        subprocess.run([os.path.join(REPO, "scripts/spawn-fcgi-restart.sh"), self.socket, self.pid_file,
                        *self.spawn_fcgi_args()], env=self.taskr_env(), check=True)
        self.read_pid_file()

    def restart_taskr(self, **env):
        """Stops taskr (SIGTERM) and starts it again with `env` changed
        (a value of None removes the variable)."""
        self.kill_taskr(signal.SIGTERM)
        self.extra_env.update(env)
        self.start_taskr()

    def kill_taskr(self, sig=signal.SIGKILL):
        for pid in self.taskr_pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        wait_for("taskr to exit", 30, lambda: not any(alive(pid) for pid in self.taskr_pids))

    def start_nginx(self):
        subprocess.run([os.path.join(REPO, "nginx/render-local.sh"), self.dir, str(self.port), self.socket], check=True)
        self.nginx_process = subprocess.Popen(
            ["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf")],
            stderr=open(os.path.join(self.dir, "nginx-error.log"), "ab"))
        wait_for("nginx", 10, lambda: http_get(self.base + "/healthz")[0] == 200)

    def stop(self):
        if self.taskr_pids:
            try:
                self.kill_taskr(signal.SIGTERM)
            except RuntimeError:
                self.kill_taskr(signal.SIGKILL)
        for process in (self.nginx_process, self.standin_process):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.postgres:
            self.postgres.stop()

    # -- what the processes left -----------------------------------------

    def taskr_logs(self):
        """Every taskr process's log, concatenated, once it has caught up.

        taskr writes its lines from a thread of its own, each within a few
        milliseconds (LogLineWriter.gathering); this waits until no log
        file has grown for 100 ms, so a check reads every line logged
        before it was called."""
        self.wait_for_quiet_logs()
        text = ""
        for name in sorted(os.listdir(self.dir)):
            if name.startswith("taskr-") and name.endswith(".log"):
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()
        return text

    def wait_for_quiet_logs(self, quiet=0.1, timeout=10):
        def sizes():
            return {name: os.path.getsize(os.path.join(self.dir, name)) for name in os.listdir(self.dir)
                    if name.startswith("taskr-") and name.endswith(".log")}
        deadline = time.monotonic() + timeout
        before = sizes()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = sizes()
            if now == before:
                return
            before = now

    def requests_per_process(self):
        """How many requests each taskr process logged, by pid."""
        self.wait_for_quiet_logs()
        counts = {}
        for name in os.listdir(self.dir):
            match = re.fullmatch(r"taskr-(\d+)\.log", name)
            if match:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    counts[int(match.group(1))] = sum(1 for line in f if re.search(r" \d{3} [\d.]+ms", line))
        return counts

    def rss_kib(self):
        return sum(proc_status(pid, "VmRSS") for pid in self.taskr_pids)

    def open_fds(self):
        return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in self.taskr_pids)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fastcgi_socket_answers(path):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def http_post(url, fields, timeout=10):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path, body=urllib.parse.urlencode(fields),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def http_get(url, timeout=10):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode("utf-8", "replace")
    except OSError:
        return 0, {}, ""
    finally:
        connection.close()


class Browser:
    """One person's browser: keeps the `taskr_session` cookie (and the
    `taskr_visitor` one that logged-out forms' tokens are bound to), reads `_csrf`
    from forms, does not follow redirects. Every answer is counted in
    `statuses` (a shared dict: status → count; 0 = no answer)."""

    CSRF = re.compile(r'name="_csrf" value="([^"]+)"')

    def __init__(self, stack, statuses=None, lock=None, pace=None, source=None):
        self.stack = stack
        self.pace = pace  # called before every request (the soak's fixed rate)
        self.source = source  # a 127.x.y.z address of its own: nginx keys its limits by it
        self.secrets = set()  # every cookie, _csrf, OAuth state and code this browser saw
        self.cookie = None
        self.visitor = None
        self.statuses = statuses if statuses is not None else {}
        self.lock = lock or threading.Lock()
        self.connection = None

    def request(self, method, path, form=None):
        """One request; returns (status, headers, body). Status 0: no answer.
        nginx's limit_req (429) is waited out and retried: it is nginx doing
        its job, not a failure."""
        for attempt in range(50):
            if self.pace:
                self.pace()
            status, headers, body = self._send(method, path, form)
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 429 and "retry-after" not in headers:  # nginx's, not taskr's throttle
                time.sleep(0.05 * (attempt + 1))
                continue
            return status, headers, body
        return status, headers, body

    def _send(self, method, path, form):
        headers = {"Host": f"127.0.0.1:{self.stack.port}"}
        body = None
        cookies = [f"taskr_session={self.cookie}"] if self.cookie else []
        cookies += [f"taskr_visitor={self.visitor}"] if self.visitor else []
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.stack.base
        for _ in range(2):  # once more on a fresh connection if a kept-alive one was closed
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(
                        "127.0.0.1", self.stack.port, timeout=30, source_address=(self.source, 0) if self.source else None)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                answer_headers = {}
                for name, value in response.getheaders():
                    name = name.lower()
                    if name == "set-cookie" and value.startswith("taskr_session="):
                        cookie = value.split(";", 1)[0].split("=", 1)[1]
                        self.cookie = None if ("Max-Age=0" in value or not cookie) else cookie
                        if self.cookie:
                            self.secrets.add(self.cookie)
                    if name == "set-cookie" and value.startswith("taskr_visitor="):
                        self.visitor = value.split(";", 1)[0].split("=", 1)[1] or None
                    answer_headers[name] = value
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, answer_headers, text
            except (http.client.HTTPException, OSError):
                self.close()
        return 0, {}, ""

    def close(self):
        if self.connection:
            self.connection.close()
            self.connection = None

    def csrf(self, path):
        status, _, body = self.request("GET", path)
        match = self.CSRF.search(body)
        if match:
            self.secrets.add(match.group(1))
        return match.group(1) if status == 200 and match else None

    def post_form(self, path, fields, form_page):
        token = self.csrf(form_page)
        if token is None:
            return 0
        return self.request("POST", path, dict(fields, _csrf=token))[0]

    def signup(self, username, password):
        return self.post_form("/signup", {"username": username, "password": password}, "/signup")

    def login(self, username, password):
        return self.post_form("/login", {"username": username, "password": password}, "/login")

    def logout(self):
        return self.post_form("/logout", {}, "/logout")

    def home(self):
        return self.request("GET", "/")

    def connect(self):
        """connect → the stand-in's authorize page → the callback; returns
        the callback's status (0 if a step before it failed)."""
        status, headers, _ = self.request("GET", "/integrations/attio/connect")
        if status not in (302, 303) or "location" not in headers:
            return 0
        status, headers, _ = http_get(headers["location"])
        if status not in (302, 303):
            return 0
        callback = urllib.parse.urlsplit(headers["location"])
        for name, value in urllib.parse.parse_qsl(callback.query):
            if name in ("code", "state"):
                self.secrets.add(value)
        return self.request("GET", f"{callback.path}?{callback.query}")[0]

    def disconnect(self):
        return self.post_form("/integrations/attio/disconnect", {}, "/")
