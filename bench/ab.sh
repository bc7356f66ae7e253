#!/usr/bin/env bash
# Two taskr builds side by side in one run: each behind its own nginx (the
# local config, as shipped: kept FastCGI connections), one signed-up user
# each, then wrk (-t2 -c32, AB_SECONDS each) on the logged-in home page,
# interleaved A, B, A, B… for AB_ROUNDS rounds; prints every round and the
# medians, and B's median as a ratio of A's. For a change that must not
# slow the page (make bench compares against baselines, not builds).
#   bench/ab.sh path/to/taskr-A path/to/taskr-B      AB_ROUNDS=5 AB_SECONDS=5
set -euo pipefail
rounds=${AB_ROUNDS:-5}
seconds=${AB_SECONDS:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
start() { # NAME BINARY PORT: taskr and its nginx; the session cookie into $tmp/NAME/cookie
    local dir="$tmp/$1"
    mkdir -p "$dir" && chmod 755 "$dir"
    (cd "$dir" && exec env TASKR_DATABASE="$dir/taskr.sqlite3" "$2" serve --socket "$dir/taskr.sock" --socket-mode 0666 >/dev/null 2>"$dir/taskr.log") &
    pids+=("$!")
    for _ in $(seq 100); do [ -S "$dir/taskr.sock" ] && break; sleep 0.1; done
    "$repo/nginx/render-local.sh" "$dir" "$3" "$dir/taskr.sock" >/dev/null
    # No access log, no limit_req or limit_conn (their 429s would be measured instead of taskr).
    sed -i 's/access_log [^;]*;/access_log off;/' "$dir/nginx.conf"
    sed -i '/^[[:space:]]*limit_\(req\|conn\) /d' "$dir/nginx.conf" "$dir"/snippets/*.conf
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" >/dev/null 2>&1 &
    pids+=("$!")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/healthz" >/dev/null && break; sleep 0.1; done
    local jar="$dir/jar" csrf
    csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$3/signup" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
    curl -s -o /dev/null -c "$jar" -b "$jar" "http://127.0.0.1:$3/signup" --data-urlencode "username=ab" \
        --data-urlencode "password=ab password" --data-urlencode "_csrf=$csrf"
    awk '$6 == "taskr_session" { print $7 }' "$jar" >"$dir/cookie"
}
port_a=${AB_PORT:-29320}
port_b=$((port_a + 1))
start a "$(realpath "$1")" "$port_a"
start b "$(realpath "$2")" "$port_b"
cookie_a=$(cat "$tmp/a/cookie")
cookie_b=$(cat "$tmp/b/cookie")
for side in a b; do
    port=$([ $side = a ] && echo "$port_a" || echo "$port_b")
    cookie=$([ $side = a ] && echo "$cookie_a" || echo "$cookie_b")
    curl -s -H "Cookie: taskr_session=$cookie" "http://127.0.0.1:$port/" | grep -q "logged in as" || { echo "ab: $side not logged in" >&2; exit 1; }
done
run() { # PORT COOKIE: requests/s (every answer must be a 2xx)
    local out
    out=$(wrk -t2 -c32 -d"${seconds}s" -H "Cookie: taskr_session=$2" "http://127.0.0.1:$1/")
    if grep -q "Non-2xx" <<<"$out"; then echo "ab: answers other than 2xx: $out" >&2; exit 1; fi
    awk '/Requests\/sec/ { print int($2) }' <<<"$out"
}
a=() b=()
for round in $(seq "$rounds"); do
    a+=("$(run "$port_a" "$cookie_a")")
    b+=("$(run "$port_b" "$cookie_b")")
    echo "round $round: A ${a[-1]} req/s, B ${b[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(median "${a[@]}")
mb=$(median "${b[@]}")
echo "logged-in home, kept connections: A $ma req/s ($1), B $mb req/s ($2), B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }')"
