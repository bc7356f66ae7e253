#!/usr/bin/env bash
# Renders nginx/local.conf.in into RUN_DIR/nginx.conf (with the snippets it
# includes beside it), for an nginx on 127.0.0.1:PORT in front of taskr at
# SOCKET, and an internal server for Prometheus on 127.0.0.1:METRICS_PORT
# (default PORT + 3).  Usage: nginx/render-local.sh RUN_DIR PORT SOCKET [METRICS_PORT]
set -euo pipefail
run_dir=$(realpath "$1")
port=$2
socket=$3
metrics_port=${4:-$((port + 3))}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$run_dir/snippets" "$run_dir/nginx-tmp"
cp "$here"/snippets/*.conf "$run_dir/snippets/"

. "$here/../scripts/lib.sh"
user_line=$(nginx_user_line)
# Listen on ::1 too when the machine has IPv6 loopback (browsers try it first for localhost).
listen6=""
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
    listen6="        listen [::1]:$port;"
fi

sed -e "s|@USER@|$user_line|" \
    -e "s|@RUN@|$run_dir|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@METRICSPORT@|$metrics_port|g" \
    -e "s|@SOCKET@|$socket|g" \
    -e "s|@ROOT@|$here/www|g" \
    -e "s|@LISTEN6@|$listen6|" \
    "$here/local.conf.in" > "$run_dir/nginx.conf"
