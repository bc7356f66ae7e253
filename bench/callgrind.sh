#!/usr/bin/env bash
# Instructions per page, counted (not timed): taskr serve with one worker
# under callgrind, nginx in front (the local config, kept FastCGI
# connections), one signed-up user; 50 pages of warm-up, then PAGES (500)
# logged-in home pages with instrumentation on. Prints instructions per page
# and the top inclusive entries. Repeatable for the same binary and inputs,
# whatever else the machine is doing.
#   bench/callgrind.sh path/to/taskr [PAGES]
set -euo pipefail
taskr=$(realpath "$1")
pages=${2:-500}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
port=${CALLGRIND_PORT:-29310}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# valgrind 3.19 cannot read the toolchain's DWARF: a copy without it, beside
# the original so its resources are found.
stripped="$taskr.callgrind"
strip --strip-debug -o "$stripped" "$taskr"
(cd "$tmp" && exec env TASKR_DATABASE="$tmp/taskr.sqlite3" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$tmp/callgrind.out" "$stripped" serve --socket "$tmp/taskr.sock" --socket-mode 0666 --workers 1 \
    2>"$tmp/taskr.log") &
pids+=("$!")
for _ in $(seq 600); do [ -S "$tmp/taskr.sock" ] && break; sleep 0.1; done
"$repo/nginx/render-local.sh" "$tmp" "$port" "$tmp/taskr.sock"
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" &
pids+=("$!")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
jar="$tmp/jar"
csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/signup" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
curl -s -o /dev/null -c "$jar" -b "$jar" "http://127.0.0.1:$port/signup" --data-urlencode "username=profiled" \
    --data-urlencode "password=profiled password" --data-urlencode "_csrf=$csrf"
get() { # COUNT: that many logged-in home pages over one client connection
    local urls=()
    for _ in $(seq "$1"); do urls+=(-o /dev/null "http://127.0.0.1:$port/"); done
    curl -s -b "$jar" "${urls[@]}"
}
get 50
curl -s -b "$jar" "http://127.0.0.1:$port/" | grep -q "logged in as" || { echo "callgrind: not logged in" >&2; exit 1; }
callgrind_control -i on "${pids[0]}" >/dev/null 2>&1 || callgrind_control -i on >/dev/null
get "$pages"
callgrind_control -i off >/dev/null
callgrind_control -d >/dev/null
sleep 1
out=$(ls "$tmp"/callgrind.out* | sort | tail -1)
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
# CALLGRIND_KEEP=FILE: the profile itself, for callgrind_annotate --tree=caller and the like.
[ -n "${CALLGRIND_KEEP:-}" ] && cp "$out" "$CALLGRIND_KEEP"
echo "instructions per logged-in page: $((total / pages)) ($total over $pages pages, $(basename "$taskr"))"
if [ -n "${CALLGRIND_FLAT:-}" ]; then callgrind_annotate "$out" 2>/dev/null | sed -n "/^Ir/,\$p" | head -"${CALLGRIND_LINES:-40}"; else callgrind_annotate --inclusive=yes "$out" 2>/dev/null | sed -n "/^Ir/,\$p" | head -25; fi
rm -f "$stripped"
