#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster (cluster.sh) up, its
# URI in TASKR_TEST_POSTGRES, and stops and removes the cluster afterwards,
# whatever the command's outcome (whose exit status it returns).
#   with-cluster.sh swift test --skip-build
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=$(( ${TASKR_TEST_PORT_BASE:-28000} + 540 ))
dir=$(mktemp -d /tmp/taskr-pg.XXXXXX)
cleanup() { "$here/cluster.sh" stop "$dir"; rm -rf "$dir"; }
trap cleanup EXIT
TASKR_TEST_POSTGRES=$("$here/cluster.sh" start "$dir" "$port")
export TASKR_TEST_POSTGRES
echo "with-cluster.sh: PostgreSQL on $dir/socket (port $port)"
"$@"
