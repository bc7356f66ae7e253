#!/usr/bin/env bash
# The systemd units in nginx/systemd: valid, and hardened (systemd's own
# exposure score, offline: no running systemd needed). Prints PASS/FAIL
# lines and a closing "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

if ! command -v systemd-analyze >/dev/null; then
    fail "systemd-analyze is installed (Debian's systemd package)"
    smoke_summary
    exit 1
fi
dir=$SMOKE_TMP/systemd
mkdir -p "$dir"
# The unit names a binary and an environment file of a real install; stand-ins here.
sed -e "s|/opt/taskr/bin/taskr|/bin/true|" -e "s|/etc/taskr/taskr.env|-/etc/taskr/taskr.env|" \
    "$repo/nginx/systemd/taskr.service" > "$dir/taskr.service"
cp "$repo/nginx/systemd/taskr.socket" "$dir/taskr.socket"
check "taskr.service and taskr.socket pass systemd-analyze verify" \
    systemd-analyze verify "$dir/taskr.service" "$dir/taskr.socket"
systemd-analyze security --offline=true "$dir/taskr.service" > "$dir/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for taskr.service: \([0-9.]*\).*/\1/p' "$dir/security")
echo "    systemd's exposure score for taskr.service: ${score:-unknown} (0 is best, 10 worst)"
check "taskr.service's exposure score is at most 2.0" \
    bash -c "systemd-analyze security --offline=true --threshold=20 '$dir/taskr.service' >/dev/null 2>&1"
check "secrets come from an EnvironmentFile outside the writable folder" \
    grep -qx "EnvironmentFile=/etc/taskr/taskr.env" "$repo/nginx/systemd/taskr.service"
smoke_summary
