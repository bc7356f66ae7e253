#!/usr/bin/env bash
# The smoke tests of `make test`: a real nginx in front of a real taskr on
# loopback, in a temporary folder, started both ways operators start it
# (`taskr serve --socket` and `spawn-fcgi`), plus the production nginx
# configuration with a self-signed certificate. Everything started here is
# stopped on exit.
#
#   Tests/smoke/run-local.sh path/to/taskr
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
taskr=$(realpath "${1:?usage: run-local.sh path/to/taskr}")
# Below Linux's ephemeral range (32768–60999): no outgoing connection can be
# holding these ports when nginx binds them. TASKR_TEST_PORT_BASE moves
# every test's ports at once (the reliability tests read it too).
port_base=${TASKR_TEST_PORT_BASE:-28000}
port=${SMOKE_PORT:-$((port_base + 50))}
standin_port=${SMOKE_STANDIN_PORT:-$((port_base + 51))}
export SMOKE_HTTP_PORT=${SMOKE_HTTP_PORT:-$((port_base + 80))} SMOKE_HTTPS_PORT=${SMOKE_HTTPS_PORT:-$((port_base + 443))}
for taken in $port $standin_port $SMOKE_HTTP_PORT $SMOKE_HTTPS_PORT; do
    if ! python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $taken))" 2>/dev/null; then
        echo "port $taken on 127.0.0.1 is taken: set TASKR_TEST_PORT_BASE (now $port_base) to move every test's ports" >&2
        exit 1
    fi
done

SMOKE_TMP=$(mktemp -d)
# nginx's workers run as this user (see render-local.sh), but keep the folder traversable anyway.
chmod 755 "$SMOKE_TMP"
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib.sh
. "$repo/scripts/lib.sh"
# shellcheck source=smoke.sh
. "$here/smoke.sh"
# shellcheck source=accounts.sh
. "$here/accounts.sh"
# shellcheck source=attio.sh
. "$here/attio.sh"
# shellcheck source=tasks.sh
. "$here/tasks.sh"
# shellcheck source=account-page.sh
. "$here/account-page.sh"
# shellcheck source=admin.sh
. "$here/admin.sh"

pids=()
cleanup() {
    stop_processes "${pids[@]}"
    rm -rf "$SMOKE_TMP"
}
trap cleanup EXIT

# start_nginx DIR SOCKET: nginx on 127.0.0.1:$port in front of SOCKET.
start_nginx() {
    "$repo/nginx/render-local.sh" "$1" "$port" "$2"
    nginx -p "$1" -c "$1/nginx.conf" 2>"$1/nginx-error.log" &
    nginx_pid=$!
    pids+=("$nginx_pid")
    wait_for "nginx on port $port" 10 curl -sf "http://127.0.0.1:$port/healthz"
}

stop_nginx() {
    kill -QUIT "$nginx_pid" 2>/dev/null
    wait "$nginx_pid" 2>/dev/null
}

# taskr_logged DIR TEXT [N]: taskr's log in DIR has more than N (0) lines with TEXT.
taskr_logged() { [ "$(grep -cF -- "$2" "$1/taskr.log")" -gt "${3:-0}" ]; }

# holds_write_lock DB: whether another connection holds SQLite's write lock.
holds_write_lock() { ! sqlite3 -cmd '.timeout 0' "$1" 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null; }

# lock_database DB FIFO: holds the write lock until a line arrives on FIFO.
lock_database() {
    mkfifo "$2"
    # .timeout: wait out a write taskr may have in progress at this instant.
    { echo 'BEGIN IMMEDIATE;'; read -r _ < "$2"; echo 'ROLLBACK;'; } | sqlite3 -cmd '.timeout 5000' "$1" &
    locker_pid=$!
    pids+=("$locker_pid")
    wait_for "the database lock" 10 holds_write_lock "$1"
}

release_database() {
    echo release > "$1"
    wait "$locker_pid" 2>/dev/null
    rm -f "$1"
}

echo "== the Attio stand-in on 127.0.0.1:$standin_port"
start_standin "$standin_port" smoke-client smoke-client-secret "$SMOKE_TMP/standin.log"
pids+=("$STANDIN_PID")
standin=$STANDIN

echo "== taskr serve --socket, behind nginx"
a=$SMOKE_TMP/socket
mkdir -p "$a"
# Attio is the stand-in, reached only through the ATTIO_* variables.
(cd "$a" && export_standin_attio "$standin" "http://127.0.0.1:$port/integrations/attio/callback" \
    smoke-client smoke-client-secret && exec env TASKR_LOG_LEVEL=debug TASKR_PUBLIC_URL="http://127.0.0.1:$port" \
    "$taskr" serve --socket "$a/taskr.sock" --workers 4 --task-freshness 2 2>"$a/taskr.log") &
taskr_pid=$!
pids+=("$taskr_pid")
wait_for "taskr's socket" 20 taskr_logged "$a" "listening on unix:$a/taskr.sock"
start_nginx "$a" "$a/taskr.sock"

smoke_checks "http://127.0.0.1:$port"
account_checks "http://127.0.0.1:$port"
account_page_checks "http://127.0.0.1:$port"
attio_checks "http://127.0.0.1:$port" "$standin" "$a/taskr.sqlite3" "$a/taskr.log"
echo "== tasks: done, reopen, new task, webhooks"
tasks_jar=$SMOKE_TMP/tasks-jar
fetch "http://127.0.0.1:$port/signup" -c "$tasks_jar" -b "$tasks_jar"
fetch "http://127.0.0.1:$port/signup" -c "$tasks_jar" -b "$tasks_jar" --data-urlencode "username=tasks-$RANDOM$RANDOM" \
    --data-urlencode "password=correct horse battery" --data-urlencode "_csrf=$(csrf_of "$BODY")"
task_checks "http://127.0.0.1:$port" "$standin" "$tasks_jar"
echo "== administration commands, while taskr serves"
admin_checks "$taskr" "$a" "http://127.0.0.1:$port" "$standin"
# taskr writes its log from a thread of its own, in order: once a last
# request's line is there, every line before it is too.
fetch "http://127.0.0.1:$port/log-written-$$"
wait_for "taskr's log to catch up" 5 taskr_logged "$a" "GET /log-written-$$ 404"
check "no password, session id or hash in taskr's log" \
    bash -c "! grep -E 'correct horse|argon2id|taskr_session=' '$a/taskr.log'"
check "static files never reach taskr" bash -c "! grep -q 'GET /static/' '$a/taskr.log'"
check "taskr logs one line per request with status and duration" taskr_logged "$a" "GET /no-such-page 404"
check "the request with a bad query is in the log (as GET / 400)" taskr_logged "$a" "GET / 400"
check "the access log leaves out query strings" bash -c "! grep -q 'q=%zz' '$a/taskr.log'"

# SIGTERM while a request waits for the database: it still completes.
healthz_before=$(grep -cF "GET /healthz started" "$a/taskr.log")
lock_database "$a/taskr.sqlite3" "$a/lock"
# healthz checks the database at most once a second: past that, the next one checks.
sleep 1.1
curl -sS --max-time 30 -o "$a/slow-body" -w '%{http_code}' "http://127.0.0.1:$port/healthz" > "$a/slow-status" &
curl_pid=$!
wait_for "the slow request to reach taskr" 10 taskr_logged "$a" "GET /healthz started" "$healthz_before"
kill -TERM "$taskr_pid"
wait_for "taskr to take SIGTERM" 10 taskr_logged "$a" "received SIGTERM"
check "taskr is still draining while the request waits" kill -0 "$taskr_pid"
release_database "$a/lock"
wait "$curl_pid"
check "the request in flight at SIGTERM completes with 200" test "$(cat "$a/slow-status")" = 200
check "the request in flight at SIGTERM gets its body" test "$(cat "$a/slow-body")" = ok
wait "$taskr_pid"
check "taskr exits 0 after SIGTERM" test $? -eq 0
check "taskr removes its socket at exit" test ! -e "$a/taskr.sock"
fetch "http://127.0.0.1:$port/"
check "with taskr gone nginx answers 502 with Taskr's page" status_is 502
check "the 502 page says Taskr is unavailable" body_has "Taskr is unavailable"

# Sessions live in SQLite: the user logged in above still is after a
# restart, which rotates the key: the key file's becomes the previous one.
old_key=$(cat "$a/taskr.sqlite3.key")
old_key_id=$(key_of "$a")
new_key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
(cd "$a" && export_standin_attio "$standin" "http://127.0.0.1:$port/integrations/attio/callback" \
    smoke-client smoke-client-secret && TASKR_SECRET_KEY=$new_key TASKR_PREVIOUS_SECRET_KEYS=$old_key \
    exec "$taskr" serve --socket "$a/taskr.sock" 2>>"$a/taskr.log") &
taskr_pid=$!
pids+=("$taskr_pid")
wait_for "taskr to come back" 20 test -S "$a/taskr.sock"
fetch "http://127.0.0.1:$port/" -b "$SMOKE_TMP/jar"
check "a session survives a restart of taskr" body_has "logged in as <strong>"
echo "== key rotation: taskr reseal, while taskr serves"
rotation_checks "$a" "$new_key" "$old_key" "$old_key_id" "$SMOKE_TMP/slow-jar-1"
kill -TERM "$taskr_pid"
wait "$taskr_pid"
stop_nginx

echo "== spawn-fcgi + taskr serve, behind nginx"
b=$SMOKE_TMP/spawn
mkdir -p "$b"
# -n: spawn-fcgi execs taskr in its own process, keeping stderr (without it the log goes to /dev/null).
spawn-fcgi -n -d "$b" -s "$b/taskr.sock" -M 0600 -- "$taskr" serve --workers 4 2>"$b/taskr.log" &
taskr_pid=$!
pids+=("$taskr_pid")
wait_for "taskr under spawn-fcgi" 20 taskr_logged "$b" "listening on inherited socket (fd 0)"
start_nginx "$b" "$b/taskr.sock"

smoke_checks "http://127.0.0.1:$port"
account_checks "http://127.0.0.1:$port"
account_page_checks "http://127.0.0.1:$port"

# A database that stays locked past the busy timeout (5 s): healthz says 503.
lock_database "$b/taskr.sqlite3" "$b/lock"
sleep 1.1  # past the last check's second: this one checks
fetch "http://127.0.0.1:$port/healthz"
check "healthz answers 503 while the database does not answer" status_is 503
release_database "$b/lock"
sleep 1.1
fetch "http://127.0.0.1:$port/healthz"
check "healthz recovers once the database answers" status_is 200

echo "== production nginx configuration (TLS), in front of the same taskr"
. "$here/production-nginx.sh"
production_checks "$b/taskr.sock"

stop_nginx
kill -TERM "$taskr_pid"
wait "$taskr_pid"
check "taskr under spawn-fcgi exits 0 after SIGTERM" test $? -eq 0
production_after_taskr

smoke_summary
