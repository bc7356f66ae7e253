#!/usr/bin/env bash
# `make bench`: taskr against a C libfcgi baseline and Hummingbird 2, through the same nginx, in
# the same run, on loopback. Rounds are interleaved (baseline, taskr,
# baseline, taskr …) so drift of a shared machine hits both; the table shows
# medians, and ratios to the baseline are what the targets mean.
#
#   bench/run.sh [path/to/taskr]     BENCH_ROUNDS=3 BENCH_SECONDS=10
#   BENCH_HOLD=FILE bench/run.sh     set up, write "pid cookie cookie" to FILE, and
#                                    wait (to profile by hand)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
taskr=$(realpath "${1:-$repo/.build/release/taskr}")
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-10}
port=29050 hello_port=29060 sqlite_port=29070 standin_port=29051 pg_port=29080 libpq_port=29090 keep_port=29100
hello_keep_port=29110 sqlite_keep_port=29120 hb_hello_port=29130 hb_sqlite_port=29140
base=http://127.0.0.1:$port
standin=http://127.0.0.1:$standin_port
wrk_load=(-t2 -c32 "-d${seconds}s" --latency)

tmp=$(mktemp -d)
chmod 755 "$tmp"
SMOKE_TMP=$tmp
# shellcheck source=../Tests/smoke/lib.sh
. "$repo/Tests/smoke/lib.sh"  # wait_for, stop_processes
# shellcheck source=../scripts/lib.sh
. "$repo/scripts/lib.sh"  # start_standin, export_standin_attio, nginx_user_line
pids=()
cleanup() {
    stop_processes "${pids[@]}"
    stop_postgres 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "bench: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 130" INT TERM
fail() { echo "bench: $*" >&2; exit 1; }

echo "== setting up in $tmp"
# The Hummingbird 2 anchor (bench/hummingbird-anchor, its own package; the first
# build takes minutes), with the Swift runtime linked in as taskr's is.
echo "== building the Hummingbird 2 anchor"
swift build -c release --static-swift-stdlib --package-path "$here/hummingbird-anchor" --product hummingbird-anchor \
    >"$tmp/hummingbird-build.log" 2>&1 || { tail -20 "$tmp/hummingbird-build.log" >&2; fail "cannot build the Hummingbird anchor"; }
hummingbird=$(swift build -c release --package-path "$here/hummingbird-anchor" --show-bin-path)/hummingbird-anchor
cc -O2 -Wall -I"$(pg_config --includedir)" -o "$tmp/baseline" "$here/baseline.c" -lfcgi -lsqlite3 -lpq -lpthread \
    || fail "cannot build the baseline"

# PostgreSQL on its unix socket (a throw-away cluster, as the tests use):
# database taskr for taskr, database baseline for the C baseline.
pg_uri=$("$repo/Tests/postgres/cluster.sh" start "$tmp/pg" 29081) || fail "cannot start PostgreSQL"
stop_postgres() { "$repo/Tests/postgres/cluster.sh" stop "$tmp/pg"; }
"$repo/Tests/postgres/cluster.sh" createdb "$tmp/pg" 29081 baseline || fail "cannot create the baseline database"
baseline_uri=${pg_uri/\/taskr\?/\/baseline?}

start_standin "$standin_port" bench-client bench-secret || fail "no Attio stand-in"
pids+=("$STANDIN_PID")

(cd "$tmp" && export_standin_attio "$standin" "$base/integrations/attio/callback" bench-client bench-secret \
    && exec env TASKR_DATABASE="$tmp/taskr.sqlite3" \
    "$taskr" serve --socket "$tmp/taskr.sock" --socket-mode 0666 2>"$tmp/taskr.log") &
taskr_pid=$!
pids+=("$taskr_pid")
wait_for "taskr" 20 test -S "$tmp/taskr.sock" || fail "taskr did not start"
hwm_start=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$taskr_pid/status")  # before any sign-up hashes a password

# The same taskr on PostgreSQL, its own process and socket.
(cd "$tmp" && export_standin_attio "$standin" "$base/integrations/attio/callback" bench-client bench-secret \
    && exec env TASKR_DATABASE="$pg_uri" TASKR_SECRET_KEY="$(printf '5b%.0s' $(seq 32))" \
    "$taskr" serve --socket "$tmp/taskr-pg.sock" --socket-mode 0666 2>"$tmp/taskr-pg.log") &
pids+=("$!")
wait_for "taskr on PostgreSQL" 20 test -S "$tmp/taskr-pg.sock" || fail "taskr on PostgreSQL did not start"

mkdir -p "$tmp/snippets" "$tmp/nginx-tmp"
cp "$repo"/nginx/snippets/*.conf "$tmp/snippets/"
# The baselines (libfcgi's accept loop) cannot keep connections without
# pinning a thread each: every row compares one connection per request,
# except the kept-connection rows (taskr_keep).
sed -i 's/^fastcgi_keep_conn on;/fastcgi_keep_conn off;/' "$tmp/snippets/taskr-fastcgi.conf"
sed 's/fastcgi_pass taskr;/fastcgi_pass taskr_pg;/' "$repo/nginx/snippets/taskr-locations.conf" >"$tmp/snippets/taskr-locations-pg.conf"
sed 's/^fastcgi_keep_conn off;/fastcgi_keep_conn on;/' "$tmp/snippets/taskr-fastcgi.conf" >"$tmp/snippets/taskr-fastcgi-keep.conf"
sed -e 's/fastcgi_pass taskr;/fastcgi_pass taskr_keep;/' -e 's|snippets/taskr-fastcgi.conf|snippets/taskr-fastcgi-keep.conf|' \
    "$repo/nginx/snippets/taskr-locations.conf" >"$tmp/snippets/taskr-locations-keep.conf"
user_line=$(nginx_user_line)
sed -e "s|@USER@|$user_line|" -e "s|@RUN@|$tmp|g" -e "s|@ROOT@|$repo/nginx/www|" \
    -e "s|@PORT@|$port|" -e "s|@HELLOPORT@|$hello_port|" -e "s|@SQLITEPORT@|$sqlite_port|" \
    -e "s|@SOCKET@|$tmp/taskr.sock|" -e "s|@HELLOSOCKET@|$tmp/hello.sock|" -e "s|@SQLITESOCKET@|$tmp/sqlite.sock|" \
    -e "s|@HELLOKEEPPORT@|$hello_keep_port|" -e "s|@SQLITEKEEPPORT@|$sqlite_keep_port|" -e "s|@HBHELLOPORT@|$hb_hello_port|" \
    -e "s|@HBSQLITEPORT@|$hb_sqlite_port|" -e "s|@HELLOKEEPSOCKET@|$tmp/hello-keep.sock|" -e "s|@SQLITEKEEPSOCKET@|$tmp/sqlite-keep.sock|" \
    -e "s|@HBHELLOSOCKET@|$tmp/hb-hello.sock|" -e "s|@HBSQLITESOCKET@|$tmp/hb-sqlite.sock|" \
    -e "s|@KEEPPORT@|$keep_port|" -e "s|@PGPORT@|$pg_port|" -e "s|@LIBPQPORT@|$libpq_port|" -e "s|@PGSOCKET@|$tmp/taskr-pg.sock|" -e "s|@LIBPQSOCKET@|$tmp/libpq.sock|" \
    "$here/nginx.conf.in" > "$tmp/nginx.conf"
nginx -p "$tmp" -c "$tmp/nginx.conf" &
pids+=("$!")
wait_for "nginx" 10 curl -sf "$base/healthz" || fail "nginx did not start"

# Two users: one logged in, one logged in and connected to the stand-in.
signup() { # JAR USERNAME [BASE]
    local csrf site=${3:-$base}
    csrf=$(curl -s -c "$1" -b "$1" "$site/signup" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
    curl -s -o /dev/null -c "$1" -b "$1" "$site/signup" --data-urlencode "username=$2" \
        --data-urlencode "password=bench password" --data-urlencode "_csrf=$csrf"
    awk '$6 == "taskr_session" { print $7 }' "$1"
}
session_in=$(signup "$tmp/in.jar" bench-user)
session_connected=$(signup "$tmp/connected.jar" bench-connected)
session_pg=$(signup "$tmp/pg.jar" bench-user "http://127.0.0.1:$pg_port")
curl -s -H "Cookie: taskr_session=$session_pg" "http://127.0.0.1:$pg_port/" | grep -q "logged in as" || fail "no logged-in page on PostgreSQL"
# The connected user's workspace has 120 tasks (80 open): the page shows 50 of them.
curl -sf -o /dev/null -X POST --data count=120 "$standin/_standin/tasks" || fail "the stand-in takes no task count"
authorize=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$tmp/connected.jar" "$base/integrations/attio/connect")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$authorize")
curl -s -o /dev/null -b "$tmp/connected.jar" "$callback"
connected_tasks=$(curl -s -b "$tmp/connected.jar" "$base/" | grep -c '</li>$')
[ "$connected_tasks" = 50 ] || fail "the connected user's page shows $connected_tasks tasks, not 50"
home_out_bytes=$(curl -s "$base/" | wc -c)
home_in_bytes=$(curl -s -H "Cookie: taskr_session=$session_in" "$base/" | wc -c)

# The baselines: a fixed page of the logged-out home's size; a primary-key
# read on a sessions table like taskr's, then a page of the logged-in home's size.
sqlite3 "$tmp/baseline.sqlite3" "PRAGMA journal_mode=WAL;
    CREATE TABLE sessions (id_hash BLOB PRIMARY KEY, user_id INTEGER, csrf_token TEXT NOT NULL,
                           created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL);
    INSERT INTO sessions VALUES (zeroblob(32), 1, 'token', 0, 0);
    UPDATE sessions SET id_hash = X'$(printf '42%.0s' $(seq 32))';" >/dev/null
"$tmp/baseline" hello "$tmp/hello.sock" 4 "$home_out_bytes" &
pids+=("$!")
"$tmp/baseline" sqlite "$tmp/sqlite.sock" 4 "$home_in_bytes" "$tmp/baseline.sqlite3" &
pids+=("$!")
psql -X -q "$baseline_uri" -c "CREATE TABLE sessions (id_hash bytea PRIMARY KEY, user_id bigint, csrf_token text NOT NULL,
        created_at bigint NOT NULL, last_seen_at bigint NOT NULL);
    INSERT INTO sessions VALUES (decode(repeat('42', 32), 'hex'), 1, 'token', 0, 0);" || fail "cannot fill the baseline database"
"$tmp/baseline" postgres "$tmp/libpq.sock" 4 "$home_in_bytes" "$baseline_uri" &
pids+=("$!")
# The peers over kept connections: C with 32 threads (each kept connection
# pins one), Hummingbird 2 over HTTP.
"$tmp/baseline" hello "$tmp/hello-keep.sock" 32 "$home_out_bytes" &
pids+=("$!")
"$tmp/baseline" sqlite "$tmp/sqlite-keep.sock" 32 "$home_in_bytes" "$tmp/baseline.sqlite3" &
pids+=("$!")
"$hummingbird" hello "$tmp/hb-hello.sock" "$home_out_bytes" 2>"$tmp/hb-hello.log" &
pids+=("$!")
"$hummingbird" sqlite "$tmp/hb-sqlite.sock" "$home_in_bytes" "$tmp/baseline.sqlite3" 2>"$tmp/hb-sqlite.log" &
hb_sqlite_pid=$!
pids+=("$hb_sqlite_pid")
wait_for "the baselines" 10 curl -sf "http://127.0.0.1:$hello_port/" || fail "the baseline does not answer"
for peer in $hello_keep_port $sqlite_keep_port $hb_hello_port $hb_sqlite_port; do
    wait_for "the peer on $peer" 20 curl -sf -o /dev/null "http://127.0.0.1:$peer/" || fail "the peer on port $peer does not answer"
done
[ "$(curl -s "http://127.0.0.1:$hb_sqlite_port/" | wc -c)" = "$home_in_bytes" ] || fail "the Hummingbird page is not the logged-in home's size"
curl -sf -o /dev/null "http://127.0.0.1:$sqlite_port/" || fail "the SQLite baseline does not answer"
wait_for "the libpq baseline" 10 curl -sf -o /dev/null "http://127.0.0.1:$libpq_port/" || fail "the libpq baseline does not answer"

if [ -n "${BENCH_HOLD:-}" ]; then
    # For profiling by hand: everything is up; Ctrl-C (or SIGTERM) tears it down.
    echo "taskr pid $taskr_pid on $base; logged-in cookie: taskr_session=$session_in; connected: taskr_session=$session_connected"
    echo "$taskr_pid $session_in $session_connected" > "${BENCH_HOLD}"
    while :; do sleep 1; done
fi

# measure NAME URL [wrk options...]: one wrk run; appends "rps p50 p99 errors" to $tmp/NAME.
measure() {
    local name=$1 url=$2
    shift 2
    # The URL before any "--": what follows that goes to the wrk script.
    wrk "${wrk_load[@]}" "$url" "$@" > "$tmp/wrk.out" 2>&1
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx or 3xx responses/ { errors += $NF }
        /Socket errors/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors }
    ' "$tmp/wrk.out" >> "$tmp/$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_median() { awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }
column_max() { awk -v c="$2" 'BEGIN { m = 0 } { if ($c > m) m = $c } END { print m }' "$tmp/$1"; }
rss_kib() { awk -v f="$1" '$1 == f":" { print $2 }' "/proc/$taskr_pid/status"; }
requests_served() { grep -c ' GET \| POST ' "$tmp/taskr.log"; }

cookie_in="Cookie: taskr_session=$session_in"
cookie_connected="Cookie: taskr_session=$session_connected"
for round in $(seq "$rounds"); do
    echo "== round $round of $rounds"
    measure hello-healthz "http://127.0.0.1:$hello_port/healthz"
    measure taskr-healthz "$base/healthz"
    measure hello-home "http://127.0.0.1:$hello_port/"
    measure taskr-home "$base/"
    measure sqlite-home-in "http://127.0.0.1:$sqlite_port/" -H "$cookie_in"
    measure taskr-home-in "$base/" -H "$cookie_in"
    measure taskr-home-connected "$base/" -H "$cookie_connected"
    measure taskr-keep-home "http://127.0.0.1:$keep_port/"
    measure taskr-keep-home-in "http://127.0.0.1:$keep_port/" -H "$cookie_in"
    measure libpq-home-in "http://127.0.0.1:$libpq_port/"
    measure taskr-pg-home-in "http://127.0.0.1:$pg_port/" -H "Cookie: taskr_session=$session_pg"
    measure hb-hello "http://127.0.0.1:$hb_hello_port/"
    measure taskr-keep-healthz "http://127.0.0.1:$keep_port/healthz"
    measure hb-sqlite "http://127.0.0.1:$hb_sqlite_port/"
    measure c-keep-hello "http://127.0.0.1:$hello_keep_port/"
    measure c-keep-sqlite "http://127.0.0.1:$sqlite_keep_port/"
    measure taskr-keep-home-connected "http://127.0.0.1:$keep_port/" -H "$cookie_connected"
    [ "$round" -eq 1 ] && rss_after_first=$(rss_kib VmRSS) && anon_after_first=$(rss_kib RssAnon) \
        && served_after_first=$(requests_served)
done
rss_after_last=$(rss_kib VmRSS)
pss_kib() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
pss_taskr=$(pss_kib "$taskr_pid")
pss_hummingbird=$(pss_kib "$hb_sqlite_pid")
rss_hummingbird=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$hb_sqlite_pid/status")
# Which file or heap holds the resident memory: summed per mapping name
# ("[anon]" for anonymous mappings without one: thread stacks, malloc arenas).
awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "") ? "[anon]" : $6 } /^Rss:/ { rss[name] += $2 }
     END { for (n in rss) if (rss[n] >= 100) printf "  %7d %s\n", rss[n], n }' "/proc/$taskr_pid/smaps" | sort -rn > "$tmp/smaps-at-rest"
anon_after_last=$(rss_kib RssAnon)
file_after_last=$(rss_kib RssFile)
served_after_last=$(requests_served)
hwm_home=$(rss_kib VmHWM)

echo "== log-in: 64 concurrent, each a real log-in"
python3 "$here/visitor_sessions.py" "$base" 4000 > "$tmp/pairs" || fail "cannot make visitor sessions"
wrk_load=(-t2 -c64 "-d${seconds}s" --latency)
measure taskr-login "$base/login" -s "$here/login.lua" -- "$tmp/pairs" bench-user "bench%20password" 2
hwm_login=$(rss_kib VmHWM)
rss_after_login=$(rss_kib VmRSS)

echo "== a hanging Attio: every call 20 s, 64 connections on the connected home page"
curl -sf -o /dev/null -X POST --data mode=api_slow "$standin/_standin/mode"
wrk -t1 -c64 -d"$((seconds + 10))s" -H "$cookie_connected" "$base/" > "$tmp/hammer.out" 2>&1 &
hammer=$!
sleep 2  # let the hammer park what it can on Attio first
wrk_load=(-t1 -c4 "-d${seconds}s" --latency)
measure hanging-healthz "$base/healthz"
measure hanging-login "$base/login"
wait "$hammer"
curl -sf -o /dev/null -X POST --data mode=normal "$standin/_standin/mode"
hammer_rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$tmp/hammer.out")

# The table.
row() { # LABEL TASKR BASELINE TARGET_RATIO [P99_FACTOR]: the target is req/s ≥ TARGET_RATIO % of the
    # baseline's, p99 ≤ P99_FACTOR (1.2) × the baseline's p99, and no error (non-2xx/3xx or socket error).
    local rps p50 p99 errors base_rps base_p99 ratio verdict="" factor=${5:-1.2}
    rps=$(column_median "$2" 1); p50=$(column_median "$2" 2); p99=$(column_median "$2" 3); errors=$(column_max "$2" 4)
    if [ -n "$3" ]; then
        base_rps=$(column_median "$3" 1); base_p99=$(column_median "$3" 3)
        ratio=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    else
        base_rps="–"; base_p99="–"; ratio="–"
    fi
    if [ -n "$4" ]; then
        verdict=$(awk -v a="$rps" -v b="$base_rps" -v t="$4" -v p="$p99" -v bp="$base_p99" -v e="$errors" -v f="$factor" \
            'BEGIN { ok = (100 * a / b >= t) && (p <= f * bp) && (e == 0); print ok ? "met" : "MISSED" }')
        verdict="$verdict (≥ $4 %, p99 ≤ $factor × $base_p99 ms, 0 errors)"
    fi
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$1" "$rps" "$base_rps" "$ratio" "$p50" "$p99" "$base_p99" "$errors" "$verdict"
}
echo
echo "taskr $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c32 -d${seconds}s, nginx worker_processes 1, medians of $rounds interleaved rounds"
echo
echo "| scenario | taskr req/s | baseline req/s | ratio | p50 ms | p99 ms | baseline p99 ms | errors | target |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row "GET /healthz (vs hello)" taskr-healthz hello-healthz 95
row "GET / logged out (vs hello)" taskr-home hello-home 95
row "GET / logged in, not connected (vs SQLite read)" taskr-home-in sqlite-home-in 90
row "GET / logged in, connected: 50 tasks from the copy (vs not connected)" taskr-home-connected taskr-home-in 85
row "GET / logged out, kept FastCGI connections (vs hello, which cannot keep them)" taskr-keep-home hello-home ""
row "GET / logged in, kept FastCGI connections (vs SQLite read, which cannot keep them)" taskr-keep-home-in sqlite-home-in ""
row "GET / logged in on PostgreSQL (vs libpq read)" taskr-pg-home-in libpq-home-in 85
row "GET / logged in: PostgreSQL (vs the same on SQLite)" taskr-pg-home-in taskr-home-in 67
row "POST /login, 64 concurrent (log-ins/s; errors = 503s past the password queue, by design)" taskr-login "" ""
echo
echo "Against the peers, as shipped: kept connections (nginx's keepalive snippet for every upstream), the same ~1 KB pages"
echo
echo "| scenario | taskr req/s | peer req/s | ratio | p50 ms | p99 ms | peer p99 ms | errors | target |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row "GET /healthz (vs Hummingbird 2 hello)" taskr-keep-healthz hb-hello 100 1.0
row "GET / logged out (vs Hummingbird 2 hello)" taskr-keep-home hb-hello 100 1.0
row "GET / logged in, not connected (vs Hummingbird 2 + SQLite read)" taskr-keep-home-in hb-sqlite 100 1.0
row "GET / logged in, not connected (vs C libfcgi + SQLite read, 32 threads)" taskr-keep-home-in c-keep-sqlite 80 ""
row "GET / logged in, connected: 50 tasks from the copy (vs not connected)" taskr-keep-home-connected taskr-keep-home-in 85 ""
row "Hummingbird 2 hello (vs C libfcgi hello, 32 threads)" hb-hello c-keep-hello "" ""
row "Hummingbird 2 + SQLite read (vs C libfcgi + SQLite read, 32 threads)" hb-sqlite c-keep-sqlite "" ""
echo
pss_verdict=$(awk -v a="$pss_taskr" -v b="$pss_hummingbird" 'BEGIN { print (a <= b) ? "met" : "MISSED" }')
echo "PSS at rest: taskr $((pss_taskr / 1024)) MiB ($pss_taskr KiB), Hummingbird 2 + SQLite $((pss_hummingbird / 1024)) MiB ($pss_hummingbird KiB; RSS $((rss_hummingbird / 1024)) MiB); target taskr ≤ Hummingbird: $pss_verdict"
rss_verdict=$(awk -v b="$rss_after_last" 'BEGIN { print (b <= 24576) ? "met" : "MISSED" }')
anon_verdict=$(awk -v a="$anon_after_first" -v b="$anon_after_last" 'BEGIN { print (b <= a * 1.05 + 256) ? "met" : "MISSED" }')
echo "taskr RSS: $((rss_after_first / 1024)) MiB after round 1 ($served_after_first requests), $((rss_after_last / 1024)) MiB after round $rounds ($served_after_last requests): $((file_after_last / 1024)) MiB of it mapped files, $((anon_after_first / 1024)) → $((anon_after_last / 1024)) MiB anonymous ($anon_after_first → $anon_after_last KiB); peak $((hwm_start / 1024)) MiB at start-up, $((hwm_home / 1024)) MiB after the set-up's two sign-ups (Argon2id); after the log-ins $((rss_after_login / 1024)) MiB, peak $((hwm_login / 1024)) MiB (Argon2id's 19 MiB per log-in)."
echo "Target RSS at rest ≤ 24 MiB: $rss_verdict; anonymous memory flat from round 1 to round $rounds: $anon_verdict"
echo "Resident at rest, by mapping (/proc/PID/smaps after round $rounds, KiB):"
cat "$tmp/smaps-at-rest"
hang_verdict=$(awk -v a="$(column_median hanging-healthz 3)" -v b="$(column_median hanging-login 3)" \
    -v e1="$(column_max hanging-healthz 4)" -v e2="$(column_max hanging-login 4)" \
    'BEGIN { print (a < 50 && b < 50 && e1 == 0 && e2 == 0) ? "met" : "MISSED" }')
echo "hanging Attio ($hammer_rps req/s on the connected home meanwhile): /healthz p99 $(column_median hanging-healthz 3) ms, GET /login p99 $(column_median hanging-login 3) ms, errors $(column_max hanging-healthz 4)+$(column_max hanging-login 4); target < 50 ms: $hang_verdict"
