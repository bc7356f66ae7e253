#!/usr/bin/env bash
# `make run`: nginx on http://localhost:3050 in front of spawn-fcgi +
# `taskr serve`, in the foreground. Ctrl-C stops both.
#
# taskr runs in the repository folder, so it reads ./.env and keeps its
# database in ./taskr.sqlite3 unless TASKR_DATABASE says otherwise. nginx's
# rendered configuration, socket and logs live in ./run/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
taskr=${TASKR_BIN:-$repo/.build/release/taskr}
port=${PORT:-3050}
run_dir=$repo/run
socket=$run_dir/taskr.sock
mkdir -p "$run_dir"

"$repo/nginx/render-local.sh" "$run_dir" "$port" "$socket"
nginx -q -t -p "$run_dir" -c "$run_dir/nginx.conf"

# -n: spawn-fcgi execs taskr in place, so taskr's log reaches this terminal.
# spawn-fcgi refuses a socket another taskr is using, and replaces a stale one.
(cd "$repo" && exec spawn-fcgi -n -s "$socket" -M 0600 -- "$taskr" serve) &
taskr_pid=$!
for _ in $(seq 100); do
    [ -S "$socket" ] && break
    kill -0 "$taskr_pid" 2>/dev/null || { echo "taskr did not start" >&2; exit 1; }
    sleep 0.1
done

nginx -p "$run_dir" -c "$run_dir/nginx.conf" &
nginx_pid=$!

stop() {
    trap - INT TERM EXIT
    kill -TERM "$taskr_pid" 2>/dev/null || true
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$taskr_pid" "$nginx_pid" 2>/dev/null || true
    # spawn-fcgi made the socket, so taskr leaves it; nothing listens on it now.
    rm -f "$socket"
    echo "Taskr stopped."
}
trap stop INT TERM EXIT

echo "Taskr is running on http://localhost:$port (nginx access log: run/nginx-access.log). Ctrl-C stops it."
# Whichever stops first (or Ctrl-C) stops the other.
wait -n "$taskr_pid" "$nginx_pid" || true
