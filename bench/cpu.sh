#!/usr/bin/env bash
# Where a request's CPU time goes, through nginx: the CPU microseconds per
# request of the process that answers (taskr, or a peer), of nginx's worker
# and of wrk, from /proc/PID/stat before and after one wrk run (8 s,
# -t2 -c32). With SYSCALLS=1, also the system calls per request of the
# answering process (perf trace's summary: counted, not sampled).
# For a stack that `BENCH_HOLD=FILE bench/run.sh` holds up. Needs GNU time
# (Debian: time) and, for SYSCALLS=1, perf (Debian: linux-perf).
#
#   bench/cpu.sh NAME PID URL [wrk options...]
#   e.g. bench/cpu.sh taskr "$(cut -d' ' -f1 hold)" http://127.0.0.1:29100/ -H "Cookie: taskr_session=…"
set -euo pipefail
name=$1 pid=$2 url=$3
shift 3
nginx_worker=$(pgrep -f "nginx: worker" | head -1)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
app_before=$(ticks "$pid") nginx_before=$(ticks "$nginx_worker")
out=$({ /usr/bin/time -f "WRKCPU %U %S" wrk -t2 -c32 -d8s --latency "$url" "$@"; } 2>&1)
app_after=$(ticks "$pid") nginx_after=$(ticks "$nginx_worker")
requests=$(awk '/requests in/ { print $1 }' <<<"$out")
awk -v n="$name" -v r="$requests" -v hz="$hz" -v a=$((app_after - app_before)) -v g=$((nginx_after - nginx_before)) \
    -v rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" -v w="$(awk '/WRKCPU/ { print $2 + $3 }' <<<"$out")" 'BEGIN {
    us = 1e6 / hz / r
    printf "%-24s %7.0f req/s   CPU per request: answering %5.1f us, nginx %5.1f us, wrk %5.1f us\n", n, rps, a * us, g * us, w * hz * us }'
if [ "${SYSCALLS:-}" = 1 ]; then
    # perf trace's summary names the calls, one table per thread: summed here.
    out=$(perf trace -s -p "$pid" -- wrk -t2 -c32 -d4s "$url" "$@" 2>&1)
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    echo "  system calls per request ($requests requests, perf trace on):"
    awk -v r="$requests" '$1 == "syscall" { table = 1; next } table && NF >= 3 && $2 ~ /^[0-9]+$/ { c[$1] += $2 }
        NF == 0 { table = 0 }
        END { for (k in c) if (c[k] / r >= 0.01) printf "    %-16s %5.2f\n", k, c[k] / r }' <<<"$out" | sort -k2 -nr
fi
