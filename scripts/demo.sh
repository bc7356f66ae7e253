#!/usr/bin/env bash
# `make demo`: Taskr on http://localhost:3050 connected to the local Attio
# stand-in on 127.0.0.1:3051 instead of Attio, so the whole flow (sign up,
# Connect Attio, consent, tasks, disconnect) can be clicked through without
# Attio credentials. The demo keeps its own database, run/demo.sqlite3.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
mkdir -p "$repo/run"

start_standin "${STANDIN_PORT:-3051}" demo-client demo-secret
standin=$STANDIN
trap 'kill "$STANDIN_PID" 2>/dev/null || true' EXIT
echo "Attio stand-in on $standin. Switch its behaviour with, e.g.:"
echo "  curl -X POST --data mode=api_429 $standin/_standin/mode   (normal, deny, token_error, api_401, api_429, api_500, api_slow, api_malformed)"

export_standin_attio "$standin" http://localhost:3050/integrations/attio/callback demo-client demo-secret
TASKR_DATABASE="$repo/run/demo.sqlite3" "$repo/scripts/run.sh"
