#!/usr/bin/env bash
# `make demo-cluster`: the several-host setup on one machine, to click
# through: a PostgreSQL cluster (run/demo-cluster/pg, unix socket only),
# three taskr processes standing in for three hosts (FastCGI over TCP on
# 127.0.0.1:9101-9103), one nginx upstream over them on
# http://localhost:3050 (and http://localhost:3051-3053 to reach host 1-3
# alone), and the Attio stand-in on 127.0.0.1:3059. Ctrl-C stops it all;
# the database is kept for the next run (rm -rf run/demo-cluster to start over).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
run="$repo/run/demo-cluster"
mkdir -p "$run"
chmod 0755 "$run"
taskr="$repo/.build/release/taskr"
pids=()

stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$repo/Tests/postgres/cluster.sh" stop "$run/pg"
}
trap stop EXIT

uri=$("$repo/Tests/postgres/cluster.sh" start "$run/pg" 5499)
echo "PostgreSQL: $uri"

start_standin "${STANDIN_PORT:-3059}" demo-client demo-secret "$run/standin.log"
pids+=("$STANDIN_PID")
export_standin_attio "$STANDIN" http://localhost:3050/integrations/attio/callback demo-client demo-secret
echo "Attio stand-in on $STANDIN (curl -X POST --data mode=api_429 $STANDIN/_standin/mode to switch its behaviour)"

# Every host holds the same key (SPEC): one is made once for the demo.
[ -f "$run/secret-key" ] || (umask 077 && openssl rand -hex 32 >"$run/secret-key")
export TASKR_DATABASE="$uri" TASKR_SECRET_KEY="$(cat "$run/secret-key")" FCGI_WEB_SERVER_ADDRS=127.0.0.1
for n in 1 2 3; do
    "$taskr" serve --bind "127.0.0.1:910$n" --workers 4 2>"$run/host-$n.log" &
    pids+=($!)
done

"$repo/nginx/render-several-hosts.sh" "$run" 3050 127.0.0.1:9101 127.0.0.1:9102 127.0.0.1:9103
nginx -p "$run" -c "$run/nginx.conf" 2>"$run/nginx-error.log" &
pids+=($!)
for n in 1 2 3; do
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:305$n/healthz" && break; sleep 0.1; done
done
echo
echo "Taskr on three hosts: http://localhost:3050 (any host), http://localhost:3051-3053 (host 1-3 alone)."
echo "Sign up on :3051, log in on :3052, connect Attio on :3053; logs in $run. Ctrl-C stops everything."
wait -n "${pids[@]}"
