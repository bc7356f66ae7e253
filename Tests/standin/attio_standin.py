#!/usr/bin/env python3
"""A local stand-in for Attio, for Taskr's tests and `make demo`.

It speaks the documented shapes of Attio's OAuth endpoints (authorize with
automatic consent, token, revoke) and of the REST calls Taskr makes
(GET /v2/tasks, /v2/self, /v2/workspace_members, POST and PATCH /v2/tasks,
POST and DELETE /v2/webhooks, signed deliveries), with switchable failures.
It listens on loopback only and keeps everything in memory.

    attio_standin.py --port 3051 --client-id demo-client --client-secret demo-secret

GET /v2/tasks pages as Attio does (limit, offset; no total: a short page is
the last), and /v2/self names the member who connected.

Control endpoints, for tests (not part of Attio):
    POST /_standin/mode     body "mode=NAME": normal, deny, token_error, token_slow,
                            api_401, api_429, api_500, api_slow, api_malformed;
                            with "&token=T" for that access token only
    POST /_standin/tasks    body "count=N": N generated tasks for every token (or
                            "&token=T": for that token only); "count=default" the four
    POST /_standin/latency  body "ms=N": every /v2 answer waits N ms first
    POST /_standin/scopes   body "write=0&webhooks=0" (with "&token=T" for one token): refuse
                            task writes / webhook registration with 403, as a workspace
                            that did not grant task:read-write / webhook:read-write
    POST /_standin/change   body "task_id=ID&is_completed=1" (or "&content=TEXT"; "&token=T"
                            for one token's workspace): change a task "in Attio", and
                            deliver task.updated to the webhooks registered for it
    POST /_standin/signature  body "mode=wrong" or "mode=right": how deliveries are signed
    POST /_standin/revoke   revoke every token (as if the user removed the app in Attio)
    GET  /_standin/stats    JSON: request counts per path, tokens issued and revoked,
                            and per token the times of its task-list refreshes
                            (GET /v2/tasks at offset 0)
"""

import argparse
import copy
import email.utils
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import urllib.request
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

MODES = {"normal", "deny", "token_error", "token_slow", "api_401", "api_429",
         "api_500", "api_slow", "api_malformed"}
SLOW_SECONDS = 20

WORKSPACE_ID = "3d9a3d2f-0000-4000-8000-000000000001"
MEMBERS = [
    {"id": {"workspace_id": WORKSPACE_ID, "workspace_member_id": "5b2d0c8e-0000-4000-8000-0000000000a1"},
     "first_name": "Ada", "last_name": "Lovelace", "avatar_url": None,
     "email_address": "ada@example.com", "access_level": "admin", "created_at": "2024-01-01T09:00:00.000000000Z"},
    {"id": {"workspace_id": WORKSPACE_ID, "workspace_member_id": "5b2d0c8e-0000-4000-8000-0000000000a2"},
     "first_name": "Grace", "last_name": "Hopper", "avatar_url": None,
     "email_address": "grace@example.com", "access_level": "member", "created_at": "2024-01-02T09:00:00.000000000Z"},
]


def task(number, text, deadline, done, assignees):
    return {
        "id": {"workspace_id": WORKSPACE_ID, "task_id": f"7f0c0000-0000-4000-8000-{number:012d}"},
        "content_plaintext": text,
        "format": "plaintext",
        "deadline_at": deadline,
        "is_completed": done,
        "linked_records": [],
        "assignees": [{"referenced_actor_type": "workspace-member",
                       "referenced_actor_id": MEMBERS[i]["id"]["workspace_member_id"]} for i in assignees],
        "created_by_actor": {"type": "workspace-member", "id": MEMBERS[0]["id"]["workspace_member_id"]},
        "created_at": f"2026-11-01T{10 + number // 3600 % 10:02d}:{number // 60 % 60:02d}:{number % 60:02d}.{number:09d}Z",
    }


def generated_tasks(count):
    """`count` tasks: every third done, deadlines on the open ones, every
    other one assigned to the first member (who connects)."""
    return [task(n, f"Task number {n}", None if n % 3 == 0 else f"2027-01-{1 + n % 28:02d}T09:00:00.000000000Z",
                 n % 3 == 0, [0] if n % 2 == 0 else []) for n in range(1, count + 1)]


TASKS = [
    task(1, "Call the customer about the renewal", "2026-12-01T15:30:00.000000000Z", False, [0]),
    task(2, "Send the signed contract", "2026-12-24", True, [1]),
    task(3, '<script>alert("pwned")</script> & <b>bold</b>', None, False, [0, 1]),
    # A Prepend character fused to "<" (one Swift Character): escaped per
    # byte, it stays text; escaped per Character it would be a live tag.
    task(4, '\u0d4e<img src=x onerror=alert("fused")> stays text', None, False, []),
]


class State:
    def __init__(self, client_id, client_secret):
        self.lock = threading.Lock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.mode = "normal"
        self.codes = {}        # code -> redirect_uri
        self.tokens = {}       # token -> active?
        self.counts = {}
        self.last_token = None
        self.token_modes = {}  # token -> mode, over self.mode
        self.default_tasks = TASKS
        self.token_tasks = {}  # token -> tasks
        self.latency = 0.0
        self.refreshes = {}    # token -> [time of each GET /v2/tasks at offset 0]
        self.no_write = set()  # tokens refused task writes (no task:read-write)
        self.no_webhooks = set()  # tokens refused webhooks (no webhook:read-write)
        self.default_write = self.default_webhooks = True
        self.webhooks = {}     # webhook id -> {"token", "target_url", "secret"}
        self.wrong_signature = False
        self.deliveries = []   # (webhook id, status Taskr answered)


class Handler(BaseHTTPRequestHandler):
    server_version = "AttioStandIn/1"
    protocol_version = "HTTP/1.1"
    state = None  # set in main

    # -- plumbing ------------------------------------------------------------

    def log_message(self, fmt, *args):
        # Path only: queries and bodies carry codes and tokens.
        sys.stderr.write("attio-standin: %s %s\n" % (self.command, urlsplit(self.path).path))

    def send_json(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, type_, code, message, headers=None):
        self.send_json(status, {"status_code": status, "type": type_, "code": code, "message": message}, headers)

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    def count(self, path):
        with self.state.lock:
            self.state.counts[path] = self.state.counts.get(path, 0) + 1

    # -- routes --------------------------------------------------------------

    def do_GET(self):
        url = urlsplit(self.path)
        self.count(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/authorize":
            return self.authorize(query)
        if url.path == "/_standin/stats":
            with self.state.lock:
                return self.send_json(200, {"counts": self.state.counts, "mode": self.state.mode,
                                            "tokens_issued": len(self.state.tokens),
                                            "tokens_revoked": sum(1 for a in self.state.tokens.values() if not a),
                                            "last_token": self.state.last_token,
                                            "task_list_refreshes": self.state.refreshes,
                                            "webhooks": {i: w["target_url"] for i, w in self.state.webhooks.items()},
                                            "deliveries": self.state.deliveries,
                                            "latency_ms": int(self.state.latency * 1000)})
        if url.path in ("/v2/tasks", "/v2/self", "/v2/workspace_members"):
            return self.api(url.path, query)
        self.error(404, "invalid_request_error", "not_found", "No such endpoint.")

    def do_POST(self):
        url = urlsplit(self.path)
        self.count(url.path)
        if url.path == "/oauth/token":
            return self.token(self.form())
        if url.path == "/oauth/revoke":
            token = self.form().get("token", "")
            with self.state.lock:
                if token in self.state.tokens:
                    self.state.tokens[token] = False
            return self.send_json(200, {})
        if url.path == "/_standin/mode":
            form = self.form()
            mode = form.get("mode", "")
            if mode not in MODES:
                return self.error(400, "invalid_request_error", "bad_mode", f"mode must be one of {sorted(MODES)}")
            with self.state.lock:
                if "token" in form:
                    self.state.token_modes[form["token"]] = mode
                else:
                    self.state.mode = mode
                    self.state.token_modes = {}
            return self.send_json(200, {"mode": mode})
        if url.path == "/_standin/tasks":
            form = self.form()
            count = form.get("count", "")
            if count != "default" and not count.isdigit():
                return self.error(400, "invalid_request_error", "bad_count", "count must be a number or default")
            tasks = TASKS if count == "default" else generated_tasks(int(count))
            with self.state.lock:
                if "token" in form:
                    self.state.token_tasks[form["token"]] = tasks
                else:
                    self.state.default_tasks = tasks
                    self.state.token_tasks = {}
            return self.send_json(200, {"count": len(tasks)})
        if url.path == "/_standin/latency":
            ms = self.form().get("ms", "")
            if not ms.isdigit():
                return self.error(400, "invalid_request_error", "bad_latency", "ms must be a number")
            with self.state.lock:
                self.state.latency = int(ms) / 1000
            return self.send_json(200, {"ms": int(ms)})
        if url.path == "/_standin/scopes":
            form = self.form()
            with self.state.lock:
                for scope, refused in (("write", self.state.no_write), ("webhooks", self.state.no_webhooks)):
                    if scope not in form:
                        continue
                    granted = form[scope] == "1"
                    if "token" in form:
                        (refused.discard if granted else refused.add)(form["token"])
                    else:
                        refused.clear()
                        setattr(self.state, "default_" + scope, granted)
            return self.send_json(200, {})
        if url.path == "/_standin/change":
            return self.change(self.form())
        if url.path == "/_standin/signature":
            with self.state.lock:
                self.state.wrong_signature = self.form().get("mode") == "wrong"
            return self.send_json(200, {})
        if url.path in ("/v2/tasks", "/v2/webhooks"):
            return self.api_write("POST", url.path, self.json_body())
        if url.path == "/_standin/revoke":
            with self.state.lock:
                for token in self.state.tokens:
                    self.state.tokens[token] = False
            return self.send_json(200, {})
        self.error(404, "invalid_request_error", "not_found", "No such endpoint.")

    def do_PATCH(self):
        url = urlsplit(self.path)
        self.count(url.path)
        if url.path.startswith("/v2/tasks/"):
            return self.api_write("PATCH", url.path, self.json_body())
        self.error(404, "invalid_request_error", "not_found", "No such endpoint.")

    def do_DELETE(self):
        url = urlsplit(self.path)
        self.count(url.path)
        if url.path.startswith("/v2/webhooks/"):
            return self.api_write("DELETE", url.path, None)
        self.error(404, "invalid_request_error", "not_found", "No such endpoint.")

    def json_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def tasks_of(self, token):
        """The token's own task list (a copy of the default one at its first change). Under the lock."""
        if token not in self.state.token_tasks:
            self.state.token_tasks[token] = copy.deepcopy(self.state.default_tasks)
        return self.state.token_tasks[token]

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else ""

    def answered_by_mode(self, token):
        """The latency and the switched failures every /v2 call meets, for
        `token`: True when one of them answered the call."""
        with self.state.lock:
            mode = self.state.token_modes.get(token, self.state.mode)
            active = self.state.tokens.get(token, False)
            latency = self.state.latency
        if latency:
            time.sleep(latency)
        if mode == "api_slow":
            time.sleep(SLOW_SECONDS)
        if not active or mode == "api_401":
            self.error(401, "auth_error", "invalid_token", "The access token is invalid or was revoked.")
        elif mode == "api_429":
            retry = email.utils.formatdate(time.time() + 30, usegmt=True)
            self.error(429, "rate_limit_error", "rate_limit_exceeded", "Slow down.", {"Retry-After": retry})
        elif mode == "api_500":
            self.error(500, "api_error", "internal_error", "Something broke (stand-in).")
        else:
            return False
        return True

    def api_write(self, method, path, body):
        token = self.bearer()
        with self.state.lock:
            may_write = token not in self.state.no_write and self.state.default_write
            may_hook = token not in self.state.no_webhooks and self.state.default_webhooks
        if self.answered_by_mode(token):
            return
        if path.startswith("/v2/webhooks"):
            if not may_hook:
                return self.error(403, "auth_error", "insufficient_scope", "This token lacks webhook:read-write.")
            return self.webhook_write(method, path, body, token)
        if not may_write:
            return self.error(403, "auth_error", "insufficient_scope", "This token lacks task:read-write.")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return self.error(400, "validation_type", "invalid_body", "The body must be {\"data\": {...}}.")
        if method == "POST":
            if not isinstance(data.get("content"), str) or data.get("format") != "plaintext":
                return self.error(400, "validation_type", "invalid_body", "content and format plaintext are required.")
            with self.state.lock:
                tasks = self.tasks_of(token)
                number = 100000 + len(tasks)
                made = task(number, data["content"], data.get("deadline_at"), False, [])
                made["assignees"] = [a for a in data.get("assignees", []) if isinstance(a, dict)]
                made["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
                tasks.append(made)
            self.deliver(token, "task.created", made["id"]["task_id"])
            return self.send_json(200, {"data": made})
        task_id = path.rsplit("/", 1)[1]
        with self.state.lock:
            found = next((t for t in self.tasks_of(token) if t["id"]["task_id"] == task_id), None)
            if found is not None and isinstance(data.get("is_completed"), bool):
                found["is_completed"] = data["is_completed"]
        if found is None:
            return self.error(404, "invalid_request_error", "not_found", "No such task.")
        self.deliver(token, "task.updated", task_id)
        return self.send_json(200, {"data": found})

    def webhook_write(self, method, path, body, token):
        if method == "DELETE":
            with self.state.lock:
                gone = self.state.webhooks.pop(path.rsplit("/", 1)[1], None)
            return self.send_json(200, {}) if gone else self.error(404, "invalid_request_error", "not_found", "No such webhook.")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("target_url"), str):
            return self.error(400, "validation_type", "invalid_body", "target_url is required.")
        webhook_id, secret = str(uuid.uuid4()), secrets.token_hex(32)
        with self.state.lock:
            self.state.webhooks[webhook_id] = {"token": token, "target_url": data["target_url"], "secret": secret}
        return self.send_json(200, {"data": {"target_url": data["target_url"], "subscriptions": data.get("subscriptions", []),
                                             "id": {"workspace_id": WORKSPACE_ID, "webhook_id": webhook_id},
                                             "status": "active", "created_at": "2026-12-01T10:00:00.000000000Z",
                                             "secret": secret}})

    def change(self, form):
        """A task changed "in Attio": every matching token's list, and its webhooks told."""
        task_id = form.get("task_id", "")
        changed = []
        with self.state.lock:
            tokens = [form["token"]] if "token" in form else [t for t, a in self.state.tokens.items() if a]
            for token in tokens:
                for item in self.tasks_of(token):
                    if item["id"]["task_id"] == task_id:
                        if "is_completed" in form:
                            item["is_completed"] = form["is_completed"] == "1"
                        if "content" in form:
                            item["content_plaintext"] = form["content"]
                        changed.append(token)
        for token in changed:
            self.deliver(token, "task.updated", task_id)
        return self.send_json(200, {"changed": len(changed)})

    def deliver(self, token, event_type, task_id):
        """Posts a signed delivery to each webhook of `token`, in the background, as Attio does."""
        with self.state.lock:
            hooks = [(i, dict(w)) for i, w in self.state.webhooks.items() if w["token"] == token]
            wrong = self.state.wrong_signature
        for webhook_id, hook in hooks:
            body = json.dumps({"webhook_id": webhook_id, "events": [{
                "event_type": event_type, "id": {"workspace_id": WORKSPACE_ID, "task_id": task_id},
                "actor": {"type": "workspace-member", "id": MEMBERS[0]["id"]["workspace_member_id"]}}]}).encode()
            key = ("wrong-" if wrong else "") + hook["secret"]
            signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
            threading.Thread(target=self.post_delivery, args=(webhook_id, hook["target_url"], body, signature), daemon=True).start()

    def post_delivery(self, webhook_id, target, body, signature):
        request = urllib.request.Request(target, data=body, method="POST", headers={
            "Content-Type": "application/json", "Attio-Signature": signature, "Idempotency-Key": str(uuid.uuid4())})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        with self.state.lock:
            self.state.deliveries.append([webhook_id, status])

    def authorize(self, query):
        redirect_uri = query.get("redirect_uri", "")
        if query.get("response_type") != "code" or query.get("client_id") != self.state.client_id or not redirect_uri:
            return self.error(400, "invalid_request_error", "invalid_authorize_request",
                              "response_type=code, the registered client_id and a redirect_uri are required.")
        params = {"state": query.get("state", "")}
        with self.state.lock:
            if self.state.mode == "deny":
                params["error"] = "access_denied"
            else:
                code = secrets.token_urlsafe(24)
                self.state.codes[code] = redirect_uri
                params["code"] = code
        parts = urlsplit(redirect_uri)
        query_string = "&".join(filter(None, [parts.query, urlencode(params)]))
        self.send_response(302)
        self.send_header("Location", urlunsplit((parts.scheme, parts.netloc, parts.path, query_string, "")))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def token(self, form):
        with self.state.lock:
            mode = self.state.mode
        if mode == "token_slow":
            time.sleep(SLOW_SECONDS)
        if mode == "token_error":
            return self.error(500, "api_error", "internal_error", "The token endpoint failed (stand-in).")
        if form.get("client_id") != self.state.client_id or form.get("client_secret") != self.state.client_secret:
            return self.send_json(401, {"error": "invalid_client"})
        with self.state.lock:
            redirect_uri = self.state.codes.pop(form.get("code", ""), None)
            if form.get("grant_type") != "authorization_code" or redirect_uri is None \
                    or redirect_uri != form.get("redirect_uri"):
                return self.send_json(400, {"error": "invalid_grant"})
            token = "standin-" + secrets.token_urlsafe(32)
            self.state.tokens[token] = True
            self.state.last_token = token
        self.send_json(200, {"access_token": token, "token_type": "Bearer"})

    def api(self, path, query):
        token = self.bearer()
        with self.state.lock:
            mode = self.state.token_modes.get(token, self.state.mode)
            tasks = list(self.state.token_tasks.get(token, self.state.default_tasks))
            if path == "/v2/tasks" and query.get("offset", "0") == "0" and self.state.tokens.get(token, False):
                self.state.refreshes.setdefault(token, []).append(time.time())
        if self.answered_by_mode(token):
            return
        if mode == "api_malformed":
            return self.send_json(200, b'{"data": [ {"content_plaintext": ')
        if path == "/v2/tasks":
            try:
                limit, offset = int(query.get("limit", "500")), int(query.get("offset", "0"))
            except ValueError:
                return self.error(400, "validation_type", "invalid_query", "limit and offset must be integers")
            if not 1 <= limit <= 500 or offset < 0:
                return self.error(400, "validation_type", "invalid_query", "limit is 1 to 500, offset at least 0")
            return self.send_json(200, {"data": tasks[offset:offset + limit]})
        if path == "/v2/self":
            return self.send_json(200, {"active": True, "scope": "task:read object_configuration:read "
                                        "record_permission:read user_management:read",
                                        "client_id": self.state.client_id, "token_type": "Bearer",
                                        "workspace_id": WORKSPACE_ID, "workspace_name": "Stand-in Workspace",
                                        "workspace_slug": "stand-in", "workspace_logo_url": None,
                                        "authorized_by_workspace_member_id": MEMBERS[0]["id"]["workspace_member_id"]})
        return self.send_json(200, {"data": MEMBERS})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3051)
    parser.add_argument("--client-id", default="demo-client")
    parser.add_argument("--client-secret", default="demo-secret")
    args = parser.parse_args()
    if not (args.host.startswith("127.") or args.host in ("::1", "localhost")):
        parser.error("the stand-in listens on loopback only")
    Handler.state = State(args.client_id, args.client_secret)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    sys.stderr.write(f"attio-standin: listening on http://{args.host}:{args.port}\n")
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
