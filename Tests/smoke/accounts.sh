# The account cycle through nginx: sign-up → home → log-out → log-in, with
# the CSRF, fixation and replay checks that only a real browser-like client
# shows. Writes users, so it runs against local test sites only (run-local.sh
# sources it; smoke.sh stays read-only). Needs lib.sh.

# csrf_of FILE: the _csrf value of the form in an HTML file.
csrf_of() { sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$1" | head -n 1; }

# session_of JAR: the taskr_session value in a curl cookie jar.
session_of() { awk '$6 == "taskr_session" { print $7 }' "$1"; }

# host_of URL: the host part, as a cookie jar names it.
host_of() { local host=${1#*://}; echo "${host%%[:/]*}"; }

# account_checks BASE
account_checks() {
    local base=${1%/} jar=$SMOKE_TMP/jar other=$SMOKE_TMP/other-jar
    local user="smoke-$RANDOM$RANDOM" password="correct horse $RANDOM"
    rm -f "$jar" "$other"

    fetch "$base/signup" -c "$jar" -b "$jar"
    check "sign-up form answers 200" status_is 200
    check "sign-up form sets a visitor cookie with HttpOnly, SameSite=Lax, Path=/" \
        header_has set-cookie "taskr_visitor=.*; Path=/; HttpOnly; SameSite=Lax"
    check "sign-up form starts no session" header_absent_text set-cookie "taskr_session="
    local csrf pre_signup=planted-by-someone-else-aaaaaaaaaaaaaaaaaaaaa
    csrf=$(csrf_of "$BODY")
    # A session cookie planted by someone else must be replaced at sign-up.
    printf '%s\tFALSE\t/\tFALSE\t0\ttaskr_session\t%s\n' "$(host_of "$base")" "$pre_signup" >> "$jar"

    fetch "$base/signup" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password"
    check "sign-up without the CSRF field answers 403" status_is 403

    fetch "$base/signup" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password" \
        --data-urlencode "_csrf=$csrf" -H "Origin: https://evil.example"
    check "sign-up from a foreign Origin answers 403 even with the token" status_is 403

    fetch "$base/signup" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=short" \
        --data-urlencode "_csrf=$csrf"
    check "a short password answers 400" status_is 400
    check "the 400 page says what is wrong" body_has "at least 8 characters"

    fetch "$base/signup" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password" \
        --data-urlencode "_csrf=$csrf" -H "Origin: $base"
    check "sign-up answers 303" status_is 303
    check "sign-up redirects to /" header_is location /
    check "sign-up starts a new session id" test "$(session_of "$jar")" != "$pre_signup"

    fetch "$base/" -b "$jar"
    check "home welcomes the new user" body_has "Welcome to Taskr!"
    check "home says who is logged in" body_has "logged in as <strong>$user</strong>"
    check "home offers Connect Attio" body_has 'href="/integrations/attio/connect"'
    local logged_in_cookie home_csrf
    logged_in_cookie=$(session_of "$jar")
    home_csrf=$(csrf_of "$BODY")

    fetch "$base/signup" -b "$jar"
    check "the sign-up form sends a logged-in user home" status_is 303

    fetch "$base/logout" -c "$jar" -b "$jar" -X POST --data-urlencode "_csrf=$home_csrf"
    check "log-out answers 303" status_is 303
    check "log-out expires the cookie" header_has set-cookie "taskr_session=; Path=/; Max-Age=0"

    fetch "$base/" -b "taskr_session=$logged_in_cookie"
    check "the logged-out cookie, replayed, is logged out" body_has "You are not logged in"

    fetch "$base/login" -c "$jar" -b "$jar"
    csrf=$(csrf_of "$BODY")
    fetch "$base/login" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=wrong $password" \
        --data-urlencode "_csrf=$csrf"
    check "a wrong password answers 401" status_is 401
    check "the 401 page says wrong username or password" body_has "Wrong username or password."
    fetch "$base/login" -c "$other" -b "$other"
    fetch "$base/login" -c "$other" -b "$other" --data-urlencode "username=nobody-$user" --data-urlencode "password=x" \
        --data-urlencode "_csrf=$(csrf_of "$BODY")"
    check "an unknown user answers 401 too" status_is 401

    local pre_login=planted-by-someone-else-bbbbbbbbbbbbbbbbbbbbb
    printf '%s\tFALSE\t/\tFALSE\t0\ttaskr_session\t%s\n' "$(host_of "$base")" "$pre_login" >> "$jar"
    fetch "$base/login" -c "$jar" -b "$jar" --data-urlencode "username=$user" --data-urlencode "password=$password" \
        --data-urlencode "_csrf=$csrf"
    check "log-in answers 303 to /" header_is location /
    check "log-in starts a new session id" test "$(session_of "$jar")" != "$pre_login"
    fetch "$base/" -b "taskr_session=$pre_login"
    check "the planted session id does not work" body_has "You are not logged in"
    fetch "$base/" -b "$jar"
    check "home after log-in says who is logged in" body_has "logged in as <strong>$user</strong>"

    rm -f "$other"
    fetch "$base/signup" -c "$other" -b "$other"
    fetch "$base/signup" -c "$other" -b "$other" --data-urlencode "username=${user^^}" \
        --data-urlencode "password=$password" --data-urlencode "_csrf=$(csrf_of "$BODY")"
    check "a taken username (in any case) answers 409" status_is 409
    check "the 409 page says the username is taken" body_has "Username already taken"

    rm -f "$other"
    fetch "$base/signup" -c "$other" -b "$other"
    fetch "$base/signup" -c "$other" -b "$other" --data-urlencode "username=<script>alert(1)</script>$RANDOM" \
        --data-urlencode "password=$password" --data-urlencode "_csrf=$(csrf_of "$BODY")"
    fetch "$base/" -b "$other"
    check "a hostile username is shown escaped" body_has "&lt;script&gt;alert(1)&lt;/script&gt;"
    check "a hostile username never appears as markup" bash -c "! grep -q '<script>' '$BODY'"
}
