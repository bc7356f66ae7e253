# Helpers for the curl smoke tests: one PASS/FAIL line per check, a count,
# and a closing "N passed, M failed" line. Sourced, not run.

SMOKE_PASSED=${SMOKE_PASSED:-0}
SMOKE_FAILED=${SMOKE_FAILED:-0}
SMOKE_TMP=${SMOKE_TMP:-$(mktemp -d)}
# Extra curl options, e.g. CURL_OPTS=-k against a self-signed certificate.
CURL_OPTS=${CURL_OPTS:-}

pass() { echo "PASS $1"; SMOKE_PASSED=$((SMOKE_PASSED + 1)); }
fail() { echo "FAIL $1${2:+ — $2}"; SMOKE_FAILED=$((SMOKE_FAILED + 1)); }

# check NAME COMMAND...: PASS when COMMAND succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# fetch URL [curl args...]: one request; sets $STATUS, and the files
# $HEADERS (lower-cased names) and $BODY.
HEADERS=$SMOKE_TMP/headers
BODY=$SMOKE_TMP/body
fetch() {
    local url=$1
    shift
    # shellcheck disable=SC2086
    STATUS=$(curl -sS $CURL_OPTS --max-time 30 -o "$BODY" -D "$SMOKE_TMP/raw-headers" -w '%{http_code}' "$@" "$url") || STATUS=000
    tr -d '\r' < "$SMOKE_TMP/raw-headers" | sed 's/^\([^:]*\):/\L\1:/' > "$HEADERS"
}

status_is() { [ "$STATUS" = "$1" ] || { echo "    expected status $1, got $STATUS" >&2; return 1; }; }
# header_is NAME VALUE / header_has NAME TEXT / header_absent NAME
header_is() { grep -qix "$1: $2" "$HEADERS" || { echo "    expected header '$1: $2'" >&2; return 1; }; }
header_has() { grep -qi "^$1: .*$2" "$HEADERS" || { echo "    expected header $1 containing '$2'" >&2; return 1; }; }
header_absent() { ! grep -qi "^$1:" "$HEADERS"; }
header_absent_text() { ! grep -qi "^$1: .*$2" "$HEADERS" || { echo "    expected no header $1 containing '$2'" >&2; return 1; }; }
body_has() { grep -qF -- "$1" "$BODY" || { echo "    expected the body to contain '$1'" >&2; return 1; }; }
body_is() { [ "$(cat "$BODY")" = "$1" ] || { echo "    expected the body '$1'" >&2; return 1; }; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds; fails after SECONDS.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    local tries=$((seconds * 10))
    while ! "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            echo "timed out after ${seconds}s waiting for $what" >&2
            return 1
        fi
        sleep 0.1
    done
}

# stop_processes PID...: TERM, a moment to exit, then KILL for what is left.
# TERM first: an nginx master killed outright would leave its workers behind.
stop_processes() {
    local pid alive
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 20); do
        alive=0
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for pid in "$@"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
}

smoke_summary() {
    echo "$SMOKE_PASSED passed, $SMOKE_FAILED failed"
    [ "$SMOKE_FAILED" -eq 0 ]
}
