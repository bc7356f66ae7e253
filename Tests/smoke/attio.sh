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

# home_has BASE JAR TEXT: the home page, fetched now, contains TEXT.
home_has() { fetch "$1/" -b "$2"; grep -qF -- "$3" "$BODY"; }

# past_freshness: waits out the copy's freshness (taskr serve --task-freshness 2
# here): a clock threshold, not a guess at when something happens.
past_freshness() { sleep 2.2; }

# attio_checks BASE STANDIN DATABASE TASKR_LOG
attio_checks() {
    local base=${1%/} standin=$2 database=$3 log=$4 jar=$SMOKE_TMP/attio-jar
    rm -f "$jar"
    standin_mode "$standin" normal
    # No webhooks here (as a workspace without webhook:read-write): copies
    # refresh by age, which these checks wait out. tasks.sh has the webhook.
    curl -sf -o /dev/null -X POST --data "webhooks=0" "$standin/_standin/scopes"
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
    check "home shows open tasks by default" bash -c "! grep -q '<span class=\"badge\">done</span>' '$BODY'"
    check "home says how old the copy is" body_has "Updated "
    check "hostile task text is escaped" body_has "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"
    check "hostile task text never appears as markup" bash -c "! grep -q '<script>' '$BODY'"
    check "home offers Disconnect Attio" body_has 'action="/integrations/attio/disconnect"'
    local home_csrf
    home_csrf=$(csrf_of "$BODY")
    fetch "$base/?show=all" -b "$jar"
    check "?show=all marks completed tasks" body_has '<span class="badge">done</span>'
    fetch "$base/?show=someday" -b "$jar"
    check "an unknown show value answers 400" status_is 400
    fetch "$base/?page=0" -b "$jar"
    check "page 0 answers 400" status_is 400

    # Every task, 50 a page: a workspace of 120 tasks (80 open), paged from Attio.
    curl -sf -o /dev/null -X POST --data "count=120" "$standin/_standin/tasks"
    connect_through_standin "$base" "$jar"
    fetch "$base/" -b "$jar"
    check "120 tasks: the first page shows 50 of the 80 open ones" body_has "1–50 of 80 open tasks"
    check "120 tasks: the first page links to the next" body_has '<a href="/?page=2" rel="next">'
    check "120 tasks: 50 list items" test "$(grep -c '</li>$' "$BODY")" = 50
    fetch "$base/?page=2" -b "$jar"
    check "120 tasks: page 2 shows the other 30" body_has "51–80 of 80 open tasks"
    fetch "$base/?show=done&assignee=me" -b "$jar"
    check "120 tasks: done ones assigned to the member who connected" body_has "of 20 done tasks"
    curl -sf -o /dev/null -X POST --data "count=default" "$standin/_standin/tasks"

    local token
    token=$(curl -sf "$standin/_standin/stats" | sed -n 's/.*"last_token": "\([^"]*\)".*/\1/p')
    check "the stand-in issued a token" test -n "$token"
    check "the plaintext token is not in the database file or its WAL" \
        bash -c "! cat '$database' '$database-wal' 2>/dev/null | grep -aqF '$token'"
    check "the plaintext token is not in taskr's log" bash -c "! grep -qF '$token' '$log'"
    check "the client secret is not in taskr's log" bash -c "! grep -qF 'smoke-client-secret' '$log'"

    fetch "$used_callback" -b "$jar"
    check "replaying the callback (a used state) answers 403" status_is 403

    # Attio failing: pages keep the last copy and say why. Each case starts
    # from a fresh connection; taskr runs with --task-freshness 2, so two
    # seconds on the copy is stale, the next page makes it due, and the
    # refresher (never a page) meets the failure.
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    curl -sf -o /dev/null -X POST "$standin/_standin/revoke"
    past_freshness
    wait_for "the refresh that gets Attio's 401" 15 home_has "$base" "$jar" 'href="/integrations/attio/connect"'
    check "a revoked token: home answers 200" status_is 200
    check "a revoked token is dropped, with its copy: Connect Attio again" body_has 'href="/integrations/attio/connect"'
    check "a revoked token: no tasks are shown" bash -c "! grep -q 'Call the customer' '$BODY'"

    connect_through_standin "$base" "$jar"
    check "reconnecting works" header_is location /

    local mode words
    for mode in api_500 api_malformed; do
        standin_mode "$standin" normal
        connect_through_standin "$base" "$jar"
        standin_mode "$standin" "$mode"
        past_freshness
        wait_for "the refresh that meets $mode" 15 home_has "$base" "$jar" "Attio is not answering properly"
        check "$mode: home still answers 200" status_is 200
        check "$mode: home says the list may be out of date" body_has "so this list may be out of date"
        check "$mode: home keeps the last copy" body_has "Call the customer about the renewal"
        check "$mode: the token is kept" body_has 'action="/integrations/attio/disconnect"'
    done
    standin_mode "$standin" normal
    connect_through_standin "$base" "$jar"
    standin_mode "$standin" api_429
    past_freshness
    wait_for "the refresh that meets a 429" 15 home_has "$base" "$jar" "Attio asked Taskr to slow down"
    check "Attio 429: home keeps the last copy" body_has "Call the customer about the renewal"
    local before
    before=$(standin_count "$standin" /v2/tasks)
    past_freshness
    fetch "$base/" -b "$jar"
    fetch "$base/" -b "$jar"
    check "after a 429 Taskr does not call Attio again before Retry-After" count_is "$standin" /v2/tasks "$before"
    check "after a 429 the page still says so" body_has "Attio asked Taskr to slow down"
    standin_mode "$standin" normal

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

    # A slow Attio: no page waits on it. Four users' copies go stale while
    # Attio hangs: their pages, healthz and the log-in page answer at once
    # with what Taskr has; the refresher's calls get no answer (8 s), from
    # several users, which opens the breaker: for 10 s not even a token
    # exchange is tried.
    local slow_jars=() n
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
    past_freshness
    local started=$SECONDS
    for n in 1 2 3 4; do
        check "while Attio hangs, user $n's home page answers within 1 s" \
            curl -sf --max-time 1 -o "$SMOKE_TMP/slow-home-$n" -b "${slow_jars[n - 1]}" "$base/"
        check "while Attio hangs, user $n's page shows the last copy" grep -qF "Call the customer about the renewal" "$SMOKE_TMP/slow-home-$n"
    done
    check "while Attio hangs, healthz answers within 1 s" curl -sf --max-time 1 -o /dev/null "$base/healthz"
    check "while Attio hangs, the log-in page answers within 1 s" curl -sf --max-time 1 -o /dev/null "$base/login"
    wait_for "the refresher's unanswered calls to open the breaker" 30 grep -qF "not calling it for 10 s" "$log"
    check "the breaker opened on the refresher's evidence, in the background" test $((SECONDS - started)) -ge 7
    local exchanges
    exchanges=$(standin_count "$standin" /oauth/token)
    connect_through_standin "$base" "$jar"
    check "with the breaker open a new connection answers 503" status_is 503
    check "with the breaker open the token endpoint is not called" count_is "$standin" /oauth/token "$exchanges"
    standin_mode "$standin" normal
}
