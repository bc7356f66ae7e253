#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: initdb in a folder of its
# own, listening on a unix socket only (no TCP port), run as an
# unprivileged user (PostgreSQL refuses to run as root; CI runs as root, so
# the server runs as `postgres`, the user Debian's package creates).
#
#   cluster.sh start DIR PORT   initdb (first time) and start; prints the URI
#   cluster.sh stop DIR         stop it (fast: open connections are cut)
#   cluster.sh kill DIR         SIGKILL the server (a crash)
#   cluster.sh uri DIR PORT     the URI again
#
# The URI names database `taskr` as role `taskr` (trust auth on the socket,
# which only this folder's owner and root can reach).
#
# TASKR_PG_LISTEN=ADDR[,ADDR…] and TASKR_PG_CLIENTS=CIDR also listen on TCP
# there (port PORT), trusting clients from CIDR only: the several-host
# test's private veth addresses, never a public interface.
set -euo pipefail

command=${1:?usage: cluster.sh start|stop|kill|uri DIR [PORT]}
dir=${2:?usage: cluster.sh start|stop|kill|uri DIR [PORT]}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "cluster.sh: PostgreSQL's server is not installed (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

uri() { echo "postgresql:///taskr?host=$dir/socket&port=$1&user=taskr"; }

case "$command" in
start)
    port=${3:?cluster.sh start DIR PORT}
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
    chmod 0755 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" --pgdata="$dir/data" --username=taskr --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    listen=${TASKR_PG_LISTEN:-}
    if [ -n "$listen" ] && ! grep -q "^host all all ${TASKR_PG_CLIENTS:?TASKR_PG_CLIENTS is needed with TASKR_PG_LISTEN}" "$dir/data/pg_hba.conf"; then
        echo "host all all $TASKR_PG_CLIENTS trust" | as_owner tee -a "$dir/data/pg_hba.conf" >/dev/null
    fi
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
        -o "-c listen_addresses='$listen' -c unix_socket_directories='$dir/socket' -p $port -c max_connections=300" start >/dev/null
    if ! as_owner "$bin/psql" -h "$dir/socket" -p "$port" -U taskr -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'taskr'" | grep -q 1; then
        as_owner "$bin/createdb" -h "$dir/socket" -p "$port" -U taskr taskr
    fi
    uri "$port"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null || true
    ;;
kill)
    [ -f "$dir/data/postmaster.pid" ] && kill -KILL "$(head -1 "$dir/data/postmaster.pid")" || true
    ;;
uri)
    uri "${3:?cluster.sh uri DIR PORT}"
    ;;
*)
    echo "cluster.sh: unknown command $command" >&2
    exit 64
    ;;
esac
