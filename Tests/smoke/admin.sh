# The administration commands (taskr migrate, check, reseal, users …), run
# as an operator runs them: the real binary, in the site's folder, on the
# database a running taskr serves, with their output and exit codes checked
# against what the site shows through nginx and what SQLite holds. Needs
# lib.sh, accounts.sh, account-page.sh and attio.sh.

# admin DIR ARGS...: taskr ARGS in DIR, with the site's configuration
# (ADMIN_TASKR, ADMIN_STANDIN and ADMIN_BASE set by admin_checks); the
# output in $ADMIN_OUT, the exit status in $ADMIN_STATUS.
admin() {
    local dir=$1
    shift
    ADMIN_OUT=$SMOKE_TMP/admin-out
    (cd "$dir" && export_standin_attio "$ADMIN_STANDIN" "$ADMIN_BASE/integrations/attio/callback" \
        smoke-client smoke-client-secret && exec "$ADMIN_TASKR" "$@") >"$ADMIN_OUT" 2>"$SMOKE_TMP/admin-err"
    ADMIN_STATUS=$?
}

admin_status_is() { [ "$ADMIN_STATUS" = "$1" ] || { echo "    expected exit $1, got $ADMIN_STATUS: $(cat "$SMOKE_TMP/admin-err")" >&2; return 1; }; }
admin_says() { grep -qxF -- "$1" "$ADMIN_OUT" || { echo "    expected the line '$1' in: $(cat "$ADMIN_OUT")" >&2; return 1; }; }
admin_err_has() { grep -qF -- "$1" "$SMOKE_TMP/admin-err" || { echo "    expected '$1' on stderr" >&2; return 1; }; }
sql() { sqlite3 -cmd '.timeout 5000' "$1" "$2"; }

# admin_checks TASKR DIR BASE STANDIN: while taskr serves DIR's database behind BASE.
admin_checks() {
    ADMIN_TASKR=$1 ADMIN_BASE=${3%/} ADMIN_STANDIN=$4
    local dir=$2 base=${3%/} db=$2/taskr.sqlite3 jar=$SMOKE_TMP/admin-jar
    local name="admin-$RANDOM$RANDOM" password="admin horse $RANDOM"

    admin "$dir" migrate
    check "taskr migrate on a migrated database applies nothing and exits 0" admin_status_is 0
    check "taskr migrate prints the schema version" grep -q '^schema v[0-9]' "$ADMIN_OUT"
    admin "$dir" check
    check "taskr check exits 0 on a healthy site" admin_status_is 0
    check "taskr check counts the users SQLite holds" admin_says "users $(sql "$db" 'SELECT count(*) FROM users')"
    check "taskr check ends with ok" admin_says ok

    admin "$dir" users list
    check "taskr users list exits 0" admin_status_is 0
    check "taskr users list starts with a header line" test "$(head -n 1 "$ADMIN_OUT")" = "$(printf 'id\tusername\tcreated\tsessions\tattio_key')"
    check "taskr users list has one line per user" \
        test "$(($(wc -l < "$ADMIN_OUT") - 1))" = "$(sql "$db" 'SELECT count(*) FROM users')"
    admin "$dir" users list --json
    check "taskr users list --json lists the same names as SQLite" test \
        "$(python3 -c 'import json,sys; print("\n".join(sorted(u["username"] for u in json.load(open(sys.argv[1])))))' "$ADMIN_OUT")" = \
        "$(sql "$db" 'SELECT username FROM users' | LC_ALL=C sort)"

    # A name locked by wrong passwords through nginx, unlocked by the command.
    signup_as "$base" "$jar" "$name" "$password"
    local tries
    for tries in 1 2 3 4 5; do login_as "$base" "$SMOKE_TMP/admin-guess" "$name" "wrong $password"; done
    login_as "$base" "$SMOKE_TMP/admin-guess" "$name" "$password"
    check "after five wrong passwords the right one gets 429" status_is 429
    admin "$dir" users unlock "$name"
    check "taskr users unlock exits 0" admin_status_is 0
    check "taskr users unlock says what it cleared" admin_says "cleared 2 counter(s) for the account $name"
    login_as "$base" "$SMOKE_TMP/admin-guess" "$name" "$password"
    check "after taskr users unlock the right password logs in" status_is 303

    admin "$dir" users delete "$name"
    check "taskr users delete without --yes exits 64 and deletes nothing" admin_status_is 64
    check "the account is still there" test "$(sql "$db" "SELECT count(*) FROM users WHERE username = '$name'")" = 1
    admin "$dir" users delete "${name^^}" --yes
    check "taskr users delete --yes exits 0 (the name in any case)" admin_status_is 0
    check "taskr users delete says which user went" grep -q "^deleted user [0-9]* (${name^^})$" "$ADMIN_OUT"
    check "the deleted user's rows are gone" test "$(sql "$db" "SELECT count(*) FROM users WHERE username = '$name'")" = 0
    check "the deleted user's session no longer opens a page" logged_out "$base" "$jar"
    admin "$dir" users delete "$name" --yes
    check "taskr users delete of no such account exits 1" admin_status_is 1
    check "and says so" admin_err_has "no account is named $name"

    admin "$dir" check --json
    check "taskr check --json is JSON with the counts" \
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["problems"] == [] and r["users"] >= 1' "$ADMIN_OUT"
    (cd "$dir" && TASKR_SESSION_IDLE_MINUTES=soon "$ADMIN_TASKR" check) >/dev/null 2>"$SMOKE_TMP/admin-err"
    check "taskr check with a malformed variable exits 78" test $? = 78
    check "and names the variable" admin_err_has TASKR_SESSION_IDLE_MINUTES
    (cd "$dir" && TASKR_DATABASE=$dir/nothing-here.sqlite3 "$ADMIN_TASKR" check) >/dev/null 2>"$SMOKE_TMP/admin-err"
    check "taskr check without a database exits 1 and creates none" \
        bash -c "test $? = 1 && test ! -e '$dir/nothing-here.sqlite3'"
}

# key_of DIR: the id of the key that seals tokens now, as taskr check says it.
key_of() { admin "$1" check; sed -n 's/^current key //p' "$ADMIN_OUT"; }

# rotation_checks DIR NEW_KEY OLD_KEY OLD_KEY_ID JAR: taskr now runs with
# TASKR_SECRET_KEY=NEW_KEY and TASKR_PREVIOUS_SECRET_KEYS=OLD_KEY; JAR's
# user is connected to Attio with a token sealed under OLD_KEY.
rotation_checks() {
    local dir=$1 new=$2 old=$3 old_id=$4 jar=$5 db=$1/taskr.sqlite3 new_id
    local under_old
    under_old=$(sql "$db" "SELECT count(*) FROM attio_connections WHERE key_id = '$old_id'")
    check "tokens are sealed under the old key before the rotation" test "$under_old" -gt 0
    local copies_under_old
    copies_under_old=$(sql "$db" "SELECT count(*) FROM task_copies WHERE key_id = '$old_id'")
    check "task copies are sealed under the old key before the rotation" test "$copies_under_old" -gt 0
    TASKR_SECRET_KEY=$new admin "$dir" check
    check "taskr check with only the new key exits 1" admin_status_is 1
    check "and names the tokens no configured key opens" grep -q "^problem: $under_old Attio token(s) under key $old_id" "$ADMIN_OUT"

    TASKR_SECRET_KEY=$new TASKR_PREVIOUS_SECRET_KEYS=$old admin "$dir" reseal
    check "taskr reseal exits 0 while taskr serves" admin_status_is 0
    check "taskr reseal says how many it re-sealed from the old key" admin_says "resealed $under_old from key $old_id"
    check "taskr reseal re-seals the task copies too" admin_says "task copies: resealed $copies_under_old from key $old_id"
    new_id=$(TASKR_SECRET_KEY=$new key_of "$dir")
    check "no token is left under the old key" \
        test "$(sql "$db" "SELECT count(*) FROM attio_connections WHERE key_id <> '$new_id'")" = 0
    check "no task copy is left under the old key" \
        test "$(sql "$db" "SELECT count(*) FROM task_copies WHERE key_id <> '$new_id'")" = 0
    TASKR_SECRET_KEY=$new admin "$dir" check
    check "taskr check with only the new key is ok after the reseal" admin_status_is 0
    check "taskr check counts the tokens under the new key" admin_says "attio connections under key $new_id (current) $under_old"
    fetch "$ADMIN_BASE/" -b "$jar"
    check "the connected user still sees tasks after the reseal" body_has "Call the customer about the renewal"
    TASKR_SECRET_KEY=$new TASKR_PREVIOUS_SECRET_KEYS=$old admin "$dir" reseal
    check "a second reseal finds nothing to do" admin_says "resealed 0 in all; $under_old already under the current key"
}
