#!/usr/bin/env bash
# The floor check must be able to fail: on a copy of the repository, a
# planted `import CLibPQ` in TaskrCore, a planted `import SQLite` outside
# Storage/ and a target missing from README's table each make it exit 1
# naming the file; the untouched copy passes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fresh() { rm -rf "$tmp/repo"; mkdir "$tmp/repo"; cp -R "$repo/Package.swift" "$repo/README.md" "$repo/Sources" "$repo/Tests" "$tmp/repo/"; }
expect() { # NAME WANT-EXIT WANT-TEXT
    local out code=0
    out=$(python3 "$repo/scripts/check-floors.py" "$tmp/repo" 2>&1) || code=$?
    if [ "$code" = "$2" ] && grep -qF -- "$3" <<<"$out"; then echo "PASS $1"; else echo "FAIL $1 (exit $code): $out"; failures=$((failures + 1)); fi
}
fresh
expect "the repository as it is holds every floor" 0 "every floor holds"
printf 'internal import CLibPQ\n' >"$tmp/repo/Sources/TaskrCore/Planted.swift"
expect "a C import in TaskrCore fails" 1 "Sources/TaskrCore/Planted.swift: import CLibPQ: TaskrCore imports a C module"
fresh
printf 'import SQLite\n' >"$tmp/repo/Sources/TaskrCore/Routes/Planted.swift"
expect "a database wrapper imported outside Storage/ fails" 1 "Sources/TaskrCore/Routes/Planted.swift: import SQLite outside Sources/TaskrCore/Storage/"
fresh
printf 'import CSQLite\n' >"$tmp/repo/Sources/Postgres/Planted.swift"
expect "a C module imported by another wrapper fails" 1 "Sources/Postgres/Planted.swift: import CSQLite: CSQLite is imported outside its wrapper"
fresh
sed -i 's/| `ThreadLocal` |/| `Threads` |/' "$tmp/repo/README.md"
expect "a target missing from README's table fails" 1 'does not name `ThreadLocal`'
echo "$((5 - failures)) passed, $failures failed"
[ "$failures" = 0 ]
