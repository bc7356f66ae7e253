# The Attio flow through nginx against the local stand-in
# (Tests/standin/attio_standin.py): connect, callback, tasks, every failure
# mode, disconnect, and the plaintext token nowhere on disk. Writes users and
# tokens, so it runs against local test sites only. Needs lib.sh and
# accounts.sh.

# standin_mode URL MODE: switches the stand-in's behaviour.
standin_mode() { curl -sf -o /dev/null -X POST --data "mode=$2" "$1/_standin/mode"; }
# standin_count URL PATH: how often the stand-in served PATH.
# A stand-in that does not answer gives "unreachable", which no count check
# accepts (a path it never served is a real 0).
standin_count() {
    local stats
    stats=$(curl -sf "$1/_standin/stats") || { echo unreachable; return; }
    echo "$stats" | sed -n "s|.*\"$2\": \\([0-9]*\\).*|\\1|p" | grep . || echo 0
}

# count_is URL PATH N: the stand-in answers and served PATH exactly N times,
# N a count it gave before (two "unreachable"s never compare equal here).
count_is() { [[ "$3" =~ ^[0-9]+$ ]] && [ "$(standin_count "$1" "$2")" = "$3" ]; }

# standin_count_above URL PATH N: the stand-in served PATH more than N times.
standin_count_above() { [ "$(standin_count "$1" "$2")" -gt "$3" ]; }

# connect_through_standin BASE JAR: follows connect → stand-in authorize → callback;
# leaves the callback's answer in $STATUS/$HEADERS/$BODY and its URL in $CALLBACK_URL.
connect_through_standin() {
    local base=$1 jar=$2 authorize
    fetch "$base/integrations/attio/connect" -b "$jar" -c "$jar"
    authorize=$(sed -n 's/^location: //p' "$HEADERS")
    fetch "$authorize"
    CALLBACK_URL=$(sed -n 's/^location: //p' "$HEADERS")
    fetch "$CALLBACK_URL" -b "$jar" -c "$jar"
}

# attio_checks BASE STANDIN DATABASE TASKR_LOG
attio_checks() {
    local base=${1%/} standin=$2 database=$3 log=$4 jar=$SMOKE_TMP/attio-jar
    rm -f "$jar"
    standin_mode "$standin" normal
    fetch "$base/signup" -c "$jar" -b "$jar"
    fetch "$base/signup" -c "$jar" -b "$jar" --data-urlencode "username=attio-$RANDOM$RANDOM" \
        --data-urlencode "password=correct horse battery" --data-urlencode "_csrf=$(csrf_of "$BODY")"

    fetch "$base/" -b "$jar"
    check "a new user is offered Connect Attio" body_has 'href="/integrations/attio/connect"'

    fetch "$base/integrations/attio/connect" -b "$jar" -c "$jar"
    check "connect redirects to the authorize URL" header_has location "$standin/authorize?"
    check "the authorize URL asks for a code" header_has location "response_type=code"
    check "the authorize URL names the client" header_has location "client_id=smoke-client"
    check "the authorize URL carries the percent-encoded redirect URI" \
        header_has location "redirect_uri=http%3A%2F%2F127.0.0.1%3A[0-9]*%2Fintegrations%2Fattio%2Fcallback"
    check "the authorize URL carries a 256-bit state" header_has location "state=[A-Za-z0-9_-]\{43\}"

    connect_through_standin "$base" "$jar"
    check "the callback stores the token and redirects home" header_is location /
    check "the callback answers with Referrer-Policy no-referrer" header_is referrer-policy no-referrer
    local used_callback=$CALLBACK_URL

    fetch "$base/" -b "$jar"
    check "home shows the workspace name" body_has "Your Attio tasks in Stand-in Workspace"
    check "home lists the tasks" body_has "Call the customer about the renewal"
    check "home shows deadlines" body_has "due 2026-12-01 15:30 UTC"
    check "home shows assignees by name" body_has "for Ada Lovelace"
    check "home marks completed tasks" body_has '<span class="badge">done</span>'
    check "hostile task text is escaped" body_has "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"
    check "hostile task text never appears as markup" bash -c "! grep -q '<script>' '$BODY'"
    check "home offers Disconnect Attio" body_has 'action="/integrations/attio/disconnect"'
    local home_csrf
    home_csrf=$(csrf_of "$BODY")

    local token
    token=$(curl -sf "$standin/_standin/stats" | sed -n 's/.*"last_token": "\([^"]*\)".*/\1/p')
    check "the stand-in issued a token" test -n "$token"
    check "the plaintext token is not in the database file or its WAL" \
        bash -c "! cat '$database' '$database-wal' 2>/dev/null | grep -aqF '$token'"
    check "the plaintext token is not in taskr's log" bash -c "! grep -qF '$token' '$log'"
    check "the client secret is not in taskr's log" bash -c "! grep -qF 'smoke-client-secret' '$log'"

    fetch "$used_callback" -b "$jar"
    check "replaying the callback (a used state) answers 403" status_is 403

    # Revoked at Attio: a 401 drops the token and offers Connect again. (A fresh
    # connection first: a reload within 10 s reuses the tasks without asking Attio.)
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    curl -sf -o /dev/null -X POST "$standin/_standin/revoke"
    fetch "$base/" -b "$jar"
    check "a revoked token: home answers 200" status_is 200
    check "a revoked token: home asks to connect again" body_has "Please connect Attio again"
    check "a revoked token is dropped" body_has 'href="/integrations/attio/connect"'

    connect_through_standin "$base" "$jar"
    check "reconnecting works" header_is location /

    # Attio failing: the page still renders, the token stays. Each starts from
    # a fresh connection, so no tasks from a moment ago stand in for Attio.
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    standin_mode "$standin" api_500
    fetch "$base/" -b "$jar"
    check "Attio 500: home still answers 200" status_is 200
    check "Attio 500: home says Attio is not answering" body_has "Attio is not answering properly"
    check "Attio 500: the token is kept" body_has 'action="/integrations/attio/disconnect"'
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    standin_mode "$standin" api_malformed
    fetch "$base/" -b "$jar"
    check "malformed JSON: home still answers 200 with a notice" body_has "Attio is not answering properly"
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    standin_mode "$standin" api_429
    fetch "$base/" -b "$jar"
    check "Attio 429: home says Attio asked to slow down" body_has "Attio asked Taskr to slow down"
    local before
    before=$(standin_count "$standin" /v2/tasks)
    fetch "$base/" -b "$jar"
    check "after a 429 Taskr does not call Attio again before Retry-After" count_is "$standin" /v2/tasks "$before"
    check "after a 429 the page still says so" body_has "Attio asked Taskr to slow down"

    # Disconnect.
    fetch "$base/" -b "$jar"
    home_csrf=$(csrf_of "$BODY")
    local revokes
    revokes=$(standin_count "$standin" /oauth/revoke)
    fetch "$base/integrations/attio/disconnect" -b "$jar" -X POST
    check "disconnect without the CSRF token answers 403" status_is 403
    fetch "$base/integrations/attio/disconnect" -b "$jar" --data-urlencode "_csrf=$home_csrf"
    check "disconnect answers 303 to /" header_is location /
    check "disconnect revokes the token at Attio" test "$(standin_count "$standin" /oauth/revoke)" -gt "$revokes"
    fetch "$base/" -b "$jar"
    check "after disconnect home offers Connect Attio" body_has 'href="/integrations/attio/connect"'

    # Consent denied, and a failing token endpoint: nothing stored.
    standin_mode "$standin" deny
    connect_through_standin "$base" "$jar"
    check "denied consent answers 200" status_is 200
    check "denied consent says the connection was cancelled" body_has "Connection cancelled"
    standin_mode "$standin" token_error
    connect_through_standin "$base" "$jar"
    check "a failing token endpoint answers 502" status_is 502
    check "the 502 page is taskr's, saying nothing was saved" body_has "Attio did not complete the connection"
    fetch "$base/" -b "$jar"
    check "after those, nothing is connected" body_has 'href="/integrations/attio/connect"'
    standin_mode "$standin" normal

    # A slow Attio: at most half of taskr's 4 workers wait on it (the gate
    # of the real worker pool); the other pages answer at once, and so do
    # healthz and the log-in page.
    local slow_jars=() n
    standin_mode "$standin" normal
    for n in 1 2 3 4; do
        local slow_jar="$SMOKE_TMP/slow-jar-$n"
        rm -f "$slow_jar"
        fetch "$base/signup" -c "$slow_jar" -b "$slow_jar"
        fetch "$base/signup" -c "$slow_jar" -b "$slow_jar" \
            --data-urlencode "username=slow-$n-$RANDOM$RANDOM" --data-urlencode "password=correct horse battery" \
            --data-urlencode "_csrf=$(csrf_of "$BODY")"
        connect_through_standin "$base" "$slow_jar"
        slow_jars+=("$slow_jar")
    done
    standin_mode "$standin" api_slow
    local started=$SECONDS calls slow_pids=()
    calls=$(standin_count "$standin" /v2/tasks)
    for n in 1 2 3 4; do
        curl -s -o "$SMOKE_TMP/slow-home-$n" -w '%{http_code}' -b "${slow_jars[n - 1]}" "$base/" > "$SMOKE_TMP/slow-status-$n" &
        slow_pids+=("$!")
    done
    wait_for "two slow home pages to reach Attio" 5 standin_count_above "$standin" /v2/tasks $((calls + 1))
    check "while Attio is slow, healthz answers within 2 s" curl -sf --max-time 2 -o /dev/null "$base/healthz"
    check "while Attio is slow, the log-in page answers within 2 s" curl -sf --max-time 2 -o /dev/null "$base/login"
    wait "${slow_pids[@]}"
    check "a slow Attio: every home page answers 200" \
        test "$(cat "$SMOKE_TMP"/slow-status-[1-4])" = "$(printf '200%.0s' 1 2 3 4)"
    check "a slow Attio: the home pages answer within 15 s" test $((SECONDS - started)) -le 15
    check "at most half of the 4 workers waited on Attio: it got exactly 2 calls" \
        test "$(standin_count "$standin" /v2/tasks)" = $((calls + 2))
    check "the two that waited say Attio is not answering" \
        test "$(grep -l "Attio is not answering properly" "$SMOKE_TMP"/slow-home-[1-4] | wc -l)" = 2
    check "the two that did not wait say Attio is slow" \
        test "$(grep -l "Attio is slow to answer right now" "$SMOKE_TMP"/slow-home-[1-4] | wc -l)" = 2

    # Two calls without an answer, from two users, are no evidence against
    # Attio: another user's callback still has its single-use code
    # exchanged (an answer: the count of calls in a row starts again; its
    # /v2/self, unanswered, makes one).
    local exchanges
    exchanges=$(standin_count "$standin" /oauth/token)
    connect_through_standin "$base" "$jar"
    check "after two users' calls got no answer, a new connection still goes through" status_is 303
    check "that connection's code was exchanged" test "$(standin_count "$standin" /oauth/token)" = $((exchanges + 1))
    # Two more silent calls, from the slow users again: three in a row from
    # different users open the breaker, and for 10 s not even the token
    # exchange is tried.
    slow_pids=()
    for n in 1 2 3 4; do
        curl -s -o /dev/null -b "${slow_jars[n - 1]}" "$base/" &
        slow_pids+=("$!")
    done
    wait "${slow_pids[@]}"
    exchanges=$(standin_count "$standin" /oauth/token)
    connect_through_standin "$base" "$jar"
    check "with the breaker open a new connection answers 503" status_is 503
    check "with the breaker open the token endpoint is not called" count_is "$standin" /oauth/token "$exchanges"
    standin_mode "$standin" normal
}
