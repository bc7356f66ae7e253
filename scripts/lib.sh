# What every script that starts Taskr's pieces shares (make run, make demo,
# the smoke tests, the benchmarks): the Attio stand-in, the ATTIO_* block
# that points taskr at it, and nginx's user line. Sourced, not run.

# nginx_user_line: "user NAME GROUP;" when running as root, else nothing.
# nginx's workers run as www-data when the master is root, and could not
# reach a socket in a private folder: run them as the caller instead.
nginx_user_line() {
    if [ "$(id -u)" -eq 0 ]; then echo "user $(id -un) $(id -gn);"; fi
}

# start_standin PORT CLIENT_ID CLIENT_SECRET [LOG]: the local Attio
# stand-in on 127.0.0.1:PORT, in the background; waits until it answers.
# Sets STANDIN_PID and STANDIN (its base URL).
start_standin() {
    local port=$1 client_id=$2 client_secret=$3 log=${4:-/dev/null} tries
    local repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    python3 "$repo/Tests/standin/attio_standin.py" --port "$port" \
        --client-id "$client_id" --client-secret "$client_secret" 2>"$log" &
    STANDIN_PID=$!
    STANDIN=http://127.0.0.1:$port
    for tries in $(seq 100); do
        curl -sf -o /dev/null "$STANDIN/_standin/stats" && return 0
        kill -0 "$STANDIN_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the Attio stand-in on port $port did not start (after ${tries:-0} tries)" >&2
    return 1
}

# export_standin_attio STANDIN_URL REDIRECT_URI CLIENT_ID CLIENT_SECRET:
# exports the ATTIO_* variables that make taskr reach the stand-in instead
# of Attio (the only way it is reached: SPEC's configuration variables).
export_standin_attio() {
    export ATTIO_CLIENT_ID=$3 ATTIO_CLIENT_SECRET=$4 ATTIO_REDIRECT_URI=$2
    export ATTIO_AUTHORIZE_URL=$1/authorize ATTIO_TOKEN_URL=$1/oauth/token
    export ATTIO_REVOKE_URL=$1/oauth/revoke ATTIO_API_URL=$1
}
