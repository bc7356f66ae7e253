#!/usr/bin/env bash
# Renders nginx/several-hosts.conf.in into RUN_DIR/nginx.conf: nginx on
# 127.0.0.1:PORT over an upstream of every HOST:PORT given, and, for tests
# and demos that must say "through host N", a door on PORT+N that reaches
# host N alone.   Usage: nginx/render-several-hosts.sh RUN_DIR PORT HOST:PORT…
set -euo pipefail
run_dir=$(realpath "$1")
port=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$run_dir/snippets" "$run_dir/nginx-tmp"
cp "$here"/snippets/*.conf "$run_dir/snippets/"
. "$here/../scripts/lib.sh"

servers=""
doors=""
n=0
for host in "$@"; do
    n=$((n + 1))
    servers+="        server $host max_fails=1 fail_timeout=5s;\n"
    # The door's own copy of the locations, passing to this host's upstream.
    sed "s/fastcgi_pass taskr;/fastcgi_pass taskr_host$n;/" "$here/snippets/taskr-locations.conf" >"$run_dir/snippets/taskr-locations-host$n.conf"
    doors+="\n    upstream taskr_host$n {\n        server $host;\n    }\n"
    doors+="    server {\n        listen 127.0.0.1:$((port + n));\n        server_name localhost;\n        root $here/www;\n"
    doors+="        include snippets/taskr-security-headers.conf;\n        include snippets/taskr-locations-host$n.conf;\n    }\n"
done

sed -e "s|@USER@|$(nginx_user_line)|" \
    -e "s|@RUN@|$run_dir|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@ROOT@|$here/www|g" \
    -e "s|@SERVERS@|$servers|" \
    -e "s|@DOORS@|$doors|" \
    "$here/several-hosts.conf.in" >"$run_dir/nginx.conf"
