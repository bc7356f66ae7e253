# /account through nginx: the sessions list, password change, log out the
# other sessions, delete the account. Writes users, so it runs against
# local test sites only (run-local.sh sources it). Needs lib.sh and
# accounts.sh (csrf_of, session_of).

# submit_as FORM BASE JAR NAME PASSWORD [USER_AGENT]: fills the /signup or
# /login form with a new JAR, as a browser with USER_AGENT; $STATUS tells.
submit_as() {
    local form=$1 base=$2 jar=$3 name=$4 password=$5 agent=${6:-curl/smoke}
    rm -f "$jar"
    fetch "$base/$form" -c "$jar" -b "$jar" -A "$agent"
    fetch "$base/$form" -c "$jar" -b "$jar" -A "$agent" --data-urlencode "username=$name" \
        --data-urlencode "password=$password" --data-urlencode "_csrf=$(csrf_of "$BODY")"
}
signup_as() { submit_as signup "$@"; }
login_as() { submit_as login "$@"; }

# account_status BASE JAR: the status of /account for JAR's session.
account_status() { curl -sS -o /dev/null -w '%{http_code}' -b "$2" "$1/account"; }
# logged_in / logged_out BASE JAR: whether JAR's session still opens /account.
logged_in() { [ "$(account_status "$@")" = 200 ]; }
logged_out() { [ "$(account_status "$@")" = 303 ]; }

# account_page_checks BASE
account_page_checks() {
    local base=${1%/} first=$SMOKE_TMP/account-first second=$SMOKE_TMP/account-second
    local user="account-$RANDOM$RANDOM" password="first horse $RANDOM" new_password="second horse $RANDOM"
    local firefox="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    fetch "$base/account"
    check "/account sends a logged-out visitor to /login" header_is location /login

    signup_as "$base" "$first" "$user" "$password" "$firefox"
    check "sign-up for the account page answers 303" status_is 303
    login_as "$base" "$second" "$user" "$password" "curl/8.5.0"
    check "a second session logs in" status_is 303

    fetch "$base/" -b "$first"
    check "home links to /account" body_has '<a href="/account">Your account</a>'
    fetch "$base/account" -b "$first"
    check "/account answers 200" status_is 200
    check "/account is not cached" header_is cache-control no-store
    check "/account names the user" body_has "logged in as <strong>$user</strong>"
    check "/account lists this session's browser" body_has "Firefox on Linux"
    check "/account lists the other session's client" body_has ">curl<"
    check "/account marks this session" body_has '<li class="current"><span class="text">Firefox on Linux</span> <span class="badge">this session</span>'
    local csrf
    csrf=$(csrf_of "$BODY")

    fetch "$base/account/password" -b "$first" -c "$first" --data-urlencode "current_password=wrong $password" \
        --data-urlencode "new_password=$new_password" --data-urlencode "_csrf=$csrf"
    check "a wrong current password answers 401" status_is 401
    check "the 401 says the current password is wrong" body_has "That is not your current password."
    fetch "$base/account/password" -b "$first" -c "$first" --data-urlencode "current_password=$password" \
        --data-urlencode "new_password=password1" --data-urlencode "_csrf=$csrf"
    check "a common new password answers 400" status_is 400
    check "the 400 says it is too common" body_has "This password is too common"

    local before
    before=$(session_of "$first")
    fetch "$base/account/password" -b "$first" -c "$first" --data-urlencode "current_password=$password" \
        --data-urlencode "new_password=$new_password" --data-urlencode "_csrf=$csrf"
    check "a password change answers 303 to /account" header_is location "/account?done=password"
    check "a password change gives this session a new id" test "$(session_of "$first")" != "$before"
    check "a password change ends the other session" logged_out "$base" "$second"
    fetch "$base/account?done=password" -b "$first"
    check "the account page says the password changed" body_has "Your password was changed."
    login_as "$base" "$second" "$user" "$password"
    check "the old password no longer logs in" status_is 401
    login_as "$base" "$second" "$user" "$new_password"
    check "the new password logs in" status_is 303

    fetch "$base/account" -b "$first"
    fetch "$base/account/sessions/revoke" -b "$first" -c "$first" --data-urlencode "_csrf=$(csrf_of "$BODY")"
    check "log out my other sessions answers 303" header_is location "/account?done=sessions"
    check "the other session is logged out" logged_out "$base" "$second"
    check "this session stays logged in" logged_in "$base" "$first"

    fetch "$base/account" -b "$first"
    csrf=$(csrf_of "$BODY")
    fetch "$base/account/delete" -b "$first" -c "$first" --data-urlencode "password=$password" --data-urlencode "_csrf=$csrf"
    check "deleting with a wrong password answers 401" status_is 401
    fetch "$base/account/delete" -b "$first" -c "$first" --data-urlencode "password=$new_password" --data-urlencode "_csrf=$csrf"
    check "deleting the account answers 303 to /" header_is location /
    check "deleting the account expires the cookie" header_has set-cookie "taskr_session=;.*Max-Age=0"
    login_as "$base" "$second" "$user" "$new_password"
    check "a deleted account cannot log in" status_is 401
    signup_as "$base" "$second" "$user" "$password"
    check "the deleted account's name can sign up again" status_is 303
}
