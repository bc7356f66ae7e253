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
#   cluster.sh createdb DIR PORT NAME   another database, owned by taskr (bench)
#   cluster.sh standby DIR PORT PRIMARY_DIR PRIMARY_PORT
#                               DIR (emptied) becomes a streaming standby of
#                               the cluster in PRIMARY_DIR (pg_basebackup -R),
#                               started on PORT; prints its URI
#   cluster.sh promote DIR      the standby in DIR becomes a primary
#
# Private: the folder, the socket folder and the socket itself are 0700
# (`unix_socket_permissions`), so only the cluster's owner (and root) reach
# the socket, whose auth is trust. The URI names database `taskr` as role
# `taskr`, which is no superuser and owns only that database; the
# superuser, `taskr_admin`, is used by this script alone.
#
# TASKR_PG_LISTEN=ADDR[,ADDR…] and TASKR_PG_CLIENTS=CIDR also listen on TCP
# there (port PORT), trusting clients from CIDR only, and only as role
# taskr on database taskr (never the superuser): the several-host test's
# private veth addresses, never a public interface.
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
standby)
    primary_dir=${4:?cluster.sh standby DIR PORT PRIMARY_DIR PRIMARY_PORT}
    primary_port=${5:?cluster.sh standby DIR PORT PRIMARY_DIR PRIMARY_PORT}
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
    chmod 0700 "$dir" "$dir/socket"
    # -R: standby.signal and primary_conninfo; the primary's pg_hba.conf
    # (initdb --auth=trust) lets its own superuser replicate over the socket.
    as_owner "$bin/pg_basebackup" --host="$primary_dir/socket" --port="$primary_port" --username=taskr_admin \
        --pgdata="$dir/data" --wal-method=stream --checkpoint=fast --write-recovery-conf
    exec "$0" start "$dir" "${3:?cluster.sh standby DIR PORT PRIMARY_DIR PRIMARY_PORT}"
    ;;
promote)
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --wait --timeout=60 promote >/dev/null
    ;;
start)
    port=${3:?cluster.sh start DIR PORT}
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
    chmod 0700 "$dir" "$dir/socket"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" --pgdata="$dir/data" --username=taskr_admin --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        # Local socket connections only, by default; TCP below, if asked for.
        as_owner sed -i '/^host /d' "$dir/data/pg_hba.conf"
    fi
    listen=${TASKR_PG_LISTEN:-}
    if [ -n "$listen" ] && ! grep -q "^host taskr taskr ${TASKR_PG_CLIENTS:?TASKR_PG_CLIENTS is needed with TASKR_PG_LISTEN}" "$dir/data/pg_hba.conf"; then
        echo "host taskr taskr $TASKR_PG_CLIENTS trust" | as_owner tee -a "$dir/data/pg_hba.conf" >/dev/null
    fi
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
        -o "-c listen_addresses='$listen' -c unix_socket_directories='$dir/socket' -c unix_socket_permissions=0700 -p $port -c max_connections=300" \
        start >/dev/null
    admin() { as_owner "$bin/psql" -X -q -h "$dir/socket" -p "$port" -U taskr_admin -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
    if ! admin "SELECT 1 FROM pg_roles WHERE rolname = 'taskr'" | grep -q 1; then
        admin "CREATE ROLE taskr LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
    fi
    if ! admin "SELECT 1 FROM pg_database WHERE datname = 'taskr'" | grep -q 1; then
        admin "CREATE DATABASE taskr OWNER taskr"
        # Only taskr (and the superuser) may connect to it; no one may make
        # objects in the maintenance database.
        admin "REVOKE ALL ON DATABASE taskr FROM PUBLIC"
        admin "REVOKE CREATE ON SCHEMA public FROM PUBLIC" >/dev/null 2>&1 || true
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
createdb)
    port=${3:?cluster.sh createdb DIR PORT NAME}
    name=${4:?cluster.sh createdb DIR PORT NAME}
    as_owner "$bin/createdb" -h "$dir/socket" -p "$port" -U taskr_admin --owner=taskr "$name"
    ;;
*)
    echo "cluster.sh: unknown command $command" >&2
    exit 64
    ;;
esac
