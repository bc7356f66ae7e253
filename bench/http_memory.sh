#!/usr/bin/env bash
# What an outbound HTTP client keeps per request: Taskr's libcurl client
# against the toolchain's URLSession (the baseline), in the same run, each
# sending REQUESTS GETs to nginx on loopback for a JSON body the size of
# Attio's task list. Fails when the libcurl client grows by more than
# 20 bytes a request.
#
#   bench/http_memory.sh [path/to/http-memory-probe]    HTTP_MEMORY_REQUESTS=30000
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
probe=$(realpath "${1:-$repo/.build/release/http-memory-probe}")
requests=${HTTP_MEMORY_REQUESTS:-30000}
# Below the ephemeral range, moved with every other test port (TASKR_TEST_PORT_BASE).
port=$(( ${TASKR_TEST_PORT_BASE:-28000} + 580 ))
limit_bytes_per_request=20

tmp=$(mktemp -d)
chmod 755 "$tmp"
SMOKE_TMP=$tmp
# shellcheck source=../Tests/smoke/lib.sh
. "$repo/Tests/smoke/lib.sh"  # wait_for, stop_processes
# shellcheck source=../scripts/lib.sh
. "$repo/scripts/lib.sh"  # start_standin, export_standin_attio, nginx_user_line
pids=()
cleanup() { stop_processes "${pids[@]}"; rm -rf "$tmp"; }
trap cleanup EXIT
trap "exit 130" INT TERM
die() { echo "http_memory: $*" >&2; exit 1; }

mkdir -p "$tmp/www/v2" "$tmp/nginx-tmp"
python3 - "$tmp/www/v2/tasks" <<'PY'
import json, sys
tasks = [{"id": {"task_id": f"t{n}"}, "content_plaintext": f"Task number {n}", "is_completed": False,
          "deadline_at": None, "assignees": []} for n in range(10)]
open(sys.argv[1], "w").write(json.dumps({"data": tasks}))
PY
user_line=$(nginx_user_line)
cat > "$tmp/nginx.conf" <<CONF
$user_line
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $tmp/nginx-tmp; proxy_temp_path $tmp/nginx-tmp; fastcgi_temp_path $tmp/nginx-tmp;
    uwsgi_temp_path $tmp/nginx-tmp; scgi_temp_path $tmp/nginx-tmp;
    server {
        listen 127.0.0.1:$port;
        root $tmp/www;
        default_type application/json;
        keepalive_requests 1000000;
    }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" &
pids+=("$!")
url=http://127.0.0.1:$port/v2/tasks
wait_for "nginx" 10 curl -sf "$url" || die "nginx did not start"

echo "== $requests requests per client to $url ($(wc -c < "$tmp/www/v2/tasks") bytes each)"
printf '%-24s %12s %14s %12s\n' client "RssAnon +KiB" "bytes/request" "seconds"
status=0
for client in curl urlsession; do
    started=$(date +%s%N)
    "$probe" "$client" "$url" "$requests" > "$tmp/$client.out" || die "the $client probe failed: $(cat "$tmp/$client.out")"
    elapsed_ms=$((($(date +%s%N) - started) / 1000000))
    growth=$(sed -n 's/^growth_kib=\([-0-9]*\).*/\1/p' "$tmp/$client.out")
    # No figure is a failure, not a 0: an empty growth would pass any limit.
    [[ "$growth" =~ ^-?[0-9]+$ ]] || die "the $client probe printed no growth_kib: $(cat "$tmp/$client.out")"
    per_request=$((growth * 1024 / requests))
    name=$([ "$client" = curl ] && echo "taskr (libcurl)" || echo "baseline (URLSession)")
    printf '%-24s %12s %14s %9d.%02d\n' "$name" "$growth" "$per_request" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 10))
    if [ "$client" = curl ] && [ "$per_request" -gt "$limit_bytes_per_request" ]; then
        echo "http_memory: the libcurl client kept $per_request bytes a request (limit $limit_bytes_per_request)" >&2
        status=1
    fi
done
exit $status
