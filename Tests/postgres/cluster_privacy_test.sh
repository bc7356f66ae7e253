#!/usr/bin/env bash
# The tests' throw-away PostgreSQL cluster is private (cluster.sh): its
# folders and socket are 0700, another local user cannot connect, and the
# role Taskr connects as is no superuser (so `COPY … TO PROGRAM`, which ran
# a command as `postgres` for any local user before, is refused).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/taskr-pg-private.XXXXXX)
port=$(( ${TASKR_TEST_PORT_BASE:-28000} + 560 ))
trap '"$here/cluster.sh" stop "$dir"; rm -rf "$dir"' EXIT
uri=$("$here/cluster.sh" start "$dir" "$port")
passed=0 failed=0
check() { # NAME COMMAND…
    local name=$1; shift
    if "$@"; then echo "PASS $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
mode() { stat -c %a "$1"; }
socket=$(ls -A "$dir/socket" | grep '^\.s\.PGSQL\.[0-9]*$')
check "the cluster's folder is 0700" test "$(mode "$dir")" = 700
check "the socket's folder is 0700" test "$(mode "$dir/socket")" = 700
check "the socket is 0700" test "$(mode "$dir/socket/$socket")" = 700
check "Taskr's role connects" test "$(psql -X -tA "$uri" -c 'SELECT current_user')" = taskr
check "Taskr's role is no superuser" test "$(psql -X -tA "$uri" -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = f
check "Taskr's role owns its database" test "$(psql -X -tA "$uri" -c 'SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()')" = taskr
check "COPY … TO PROGRAM is refused to Taskr's role" bash -c "! psql -X -q '$uri' -c \"COPY (SELECT 1) TO PROGRAM 'true'\" 2>/dev/null"
if [ "$(id -u)" = 0 ]; then
    check "another local user (nobody) cannot connect" bash -c "! runuser -u nobody -- psql -X -tA '$uri' -c 'SELECT 1' >/dev/null 2>&1"
    check "... not even as the superuser" bash -c "! runuser -u nobody -- psql -X -tA -h '$dir/socket' -p $port -U taskr_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
