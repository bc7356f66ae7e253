#!/usr/bin/env bash
# Restarts (or upgrades) taskr under spawn-fcgi without refusing a request,
# with nginx sending traffic and keeping its FastCGI connections all along:
#
#   scripts/spawn-fcgi-restart.sh SOCKET PIDFILE [spawn-fcgi options] -- taskr serve [options]
#
# 1. spawn-fcgi starts the new taskr on SOCKET.next (with the options given;
#    -s and -P are this script's);
# 2. once it answers /healthz there (scripts/fastcgi-probe.py), SOCKET.next
#    is renamed over SOCKET: rename(2) is atomic, so every connect() nginx
#    makes finds a listener, the new one from then on. A new taskr that does
#    not become ready in 30 s is stopped, and the old one keeps serving;
# 3. the processes PIDFILE named get SIGTERM: each answers what it had
#    accepted, what still waits in its (now nameless) socket's queue and
#    the next request on each connection nginx kept, closes those, and
#    exits (docs/operating.md, "Upgrading");
# 4. PIDFILE names the new processes. Exit 0 once the old ones are gone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
socket=${1:?usage: spawn-fcgi-restart.sh SOCKET PIDFILE [spawn-fcgi options] -- taskr serve [options]}
pid_file=${2:?usage: spawn-fcgi-restart.sh SOCKET PIDFILE [spawn-fcgi options] -- taskr serve [options]}
shift 2
next=$socket.next
new_pids=$pid_file.next
old_pids=$(cat "$pid_file")

rm -f "$next" "$new_pids"
spawn-fcgi -s "$next" -P "$new_pids" "$@" >/dev/null
ready=no
for _ in $(seq 300); do
    if python3 "$here/fastcgi-probe.py" "$next" 2>/dev/null; then
        ready=yes
        break
    fi
    sleep 0.1
done
if [ "$ready" != yes ]; then
    echo "the new taskr did not answer /healthz on $next in 30 s; stopping it, the old one keeps serving" >&2
    kill -TERM $(cat "$new_pids") 2>/dev/null || true
    rm -f "$next" "$new_pids"
    exit 1
fi
mv -f "$next" "$socket"
mv -f "$new_pids" "$pid_file"
# shellcheck disable=SC2086 # one pid per word
kill -TERM $old_pids 2>/dev/null || true
# Running, and not a zombie its new parent has yet to reap.
running() { [ -r "/proc/$1/stat" ] && ! grep -q ') Z' "/proc/$1/stat"; }
for _ in $(seq 450); do
    alive=no
    for pid in $old_pids; do
        if running "$pid"; then alive=yes; fi
    done
    [ "$alive" = no ] && exit 0
    sleep 0.1
done
echo "old taskr still running after 45 s: $old_pids" >&2
exit 1
