# Working with tasks through nginx against the stand-in: Done, Reopen, New
# task, Attio refusing for a missing scope, and Attio's signed webhook
# (TASKR_PUBLIC_URL is this site): a change made "in Attio" reaches the page
# within seconds, a forged delivery changes nothing. Needs lib.sh,
# accounts.sh and attio.sh.

FIRST_TASK=7f0c0000-0000-4000-8000-000000000001
THIRD_TASK=7f0c0000-0000-4000-8000-000000000003

# standin_post URL PATH FORM: a control call to the stand-in.
standin_post() { curl -sf -o /dev/null -X POST --data "$3" "$1$2"; }

# delivered_with STANDIN STATUS: the stand-in's last delivery got STATUS from taskr.
delivered_with() { curl -sf "$1/_standin/stats" | python3 -c "import json,sys; d=json.load(sys.stdin)['deliveries']; sys.exit(0 if d and d[-1][1] == $2 else 1)"; }

# connects BASE JAR: connecting Attio goes through now (303).
connects() { connect_through_standin "$1" "$2"; [ "$STATUS" = 303 ]; }

# task_checks BASE STANDIN JAR: JAR's user is logged in (and not connected yet).
task_checks() {
    local base=$1 standin=$2 jar=$3 csrf
    standin_post "$standin" /_standin/scopes "write=1&webhooks=1"
    # The slow-Attio checks before left the breaker open: its probe, after 10 s, connects.
    wait_for "Attio's quiet period to end" 20 connects "$base" "$jar"
    check "connecting with TASKR_PUBLIC_URL set registers a webhook at Attio" \
        bash -c "curl -sf '$standin/_standin/stats' | grep -q '/integrations/attio/webhook'"
    fetch "$base/" -b "$jar"
    csrf=$(csrf_of "$BODY")
    check "each open task has a Done button" body_has 'action="/tasks/complete"'
    check "the page has a New task form" body_has 'action="/tasks"'

    fetch "$base/tasks/complete" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "task_id=$FIRST_TASK" \
        --data-urlencode "show=all"
    check "Done answers 303 back to the same filter" header_is location "/?show=all"
    fetch "$base/?show=done" -b "$jar"
    check "the task is done at once" body_has "Call the customer about the renewal"
    check "a done task has a Reopen button" body_has 'action="/tasks/reopen"'
    fetch "$base/tasks/reopen" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "task_id=$FIRST_TASK"
    check "Reopen answers 303" status_is 303
    fetch "$base/" -b "$jar"
    check "the task is open again" body_has "Call the customer about the renewal"
    fetch "$base/tasks/complete" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "task_id=not-a-task-of-mine"
    check "a task id that is not in the list answers 404" status_is 404
    fetch "$base/tasks" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "content=Smoke task <b>new</b>" \
        --data-urlencode "deadline=2026-12-31" --data-urlencode "assign_to_me=1"
    check "New task answers 303" status_is 303
    fetch "$base/" -b "$jar"
    check "the new task shows at once, escaped, with its deadline and assignee" \
        body_has 'Smoke task &lt;b&gt;new&lt;/b&gt;</span> <small>due 2026-12-31 23:59 UTC</small> <small>for Ada Lovelace'
    fetch "$base/tasks" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "content=   "
    check "an empty task answers 400" status_is 400
    fetch "$base/tasks" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "content=x" --data-urlencode "deadline=2026-02-30"
    check "a deadline that is not a date answers 400" status_is 400

    # A change made in Attio: the stand-in delivers a signed event; the page shows it within seconds.
    standin_post "$standin" /_standin/change "task_id=$THIRD_TASK&content=Changed in Attio"
    wait_for "the webhook's change on the page" 5 home_has "$base" "$jar" "Changed in Attio"
    check "a change made in Attio reaches the page within 5 s (a signed webhook delivery)" body_has "Changed in Attio"
    check "taskr answered the delivery 200" delivered_with "$standin" 200
    # A forged one (wrong signature): 401, and the page does not change.
    standin_post "$standin" /_standin/signature "mode=wrong"
    standin_post "$standin" /_standin/change "task_id=$THIRD_TASK&content=Forged change"
    wait_for "the forged delivery's answer" 5 delivered_with "$standin" 401
    check "a delivery with a wrong signature answers 401" delivered_with "$standin" 401
    standin_post "$standin" /_standin/signature "mode=right"
    fetch "$base/" -b "$jar"
    check "the forged delivery changed nothing" bash -c "! grep -q 'Forged change' '$BODY'"
    fetch "$base/integrations/attio/webhook" -H "Content-Type: application/json" --data '{"webhook_id":"x","events":[]}'
    check "a delivery without a signature answers 401" status_is 401
    fetch "$base/integrations/attio/webhook" -H "Content-Type: application/json" --data '{"webhook_id":'
    check "a malformed delivery answers 400" status_is 400
    fetch "$base/integrations/attio/webhook" -H "Content-Type: text/plain" --data 'hello'
    check "a delivery that is not JSON answers 415" status_is 415

    # Without task:read-write: a clear 403, and the page still works.
    standin_post "$standin" /_standin/scopes "write=0"
    fetch "$base/tasks/complete" -b "$jar" --data-urlencode "_csrf=$csrf" --data-urlencode "task_id=$FIRST_TASK"
    check "without task:read-write, Done answers 403" status_is 403
    check "and the page names the scope to enable" body_has "task:read-write"
    fetch "$base/" -b "$jar"
    check "the read-only page still shows the tasks" body_has "Call the customer about the renewal"
    standin_post "$standin" /_standin/scopes "write=1"

    # Without webhook:read-write: no webhook, refresh by age, and the page says so.
    standin_post "$standin" /_standin/scopes "webhooks=0"
    connect_through_standin "$base" "$jar"
    fetch "$base/" -b "$jar"
    check "without webhook:read-write the page says changes arrive by refresh" body_has "did not grant Taskr the webhook:read-write scope"
    standin_post "$standin" /_standin/scopes "webhooks=1"
    fetch "$base/integrations/attio/disconnect" -b "$jar" --data-urlencode "_csrf=$csrf"
    check "disconnect answers 303" status_is 303
}
