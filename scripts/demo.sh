#!/usr/bin/env bash
# `make demo`: Taskr on http://localhost:3050 connected to the local Attio
# stand-in on 127.0.0.1:3051 instead of Attio, so the whole flow (sign up,
# Connect Attio, consent, tasks, disconnect) can be clicked through without
# Attio credentials. The demo keeps its own database, run/demo.sqlite3.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
standin_port=${STANDIN_PORT:-3051}
standin=http://127.0.0.1:$standin_port
mkdir -p "$repo/run"

python3 "$repo/Tests/standin/attio_standin.py" --port "$standin_port" \
    --client-id demo-client --client-secret demo-secret &
standin_pid=$!
trap 'kill "$standin_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf -o /dev/null "$standin/_standin/stats" && break
    sleep 0.1
done
echo "Attio stand-in on $standin. Switch its behaviour with, e.g.:"
echo "  curl -X POST --data mode=api_429 $standin/_standin/mode   (normal, deny, token_error, api_401, api_429, api_500, api_slow, api_malformed)"

TASKR_DATABASE="$repo/run/demo.sqlite3" \
ATTIO_CLIENT_ID=demo-client ATTIO_CLIENT_SECRET=demo-secret \
ATTIO_REDIRECT_URI=http://localhost:3050/integrations/attio/callback \
ATTIO_AUTHORIZE_URL="$standin/authorize" ATTIO_TOKEN_URL="$standin/oauth/token" \
ATTIO_REVOKE_URL="$standin/oauth/revoke" ATTIO_API_URL="$standin" \
    "$repo/scripts/run.sh"
