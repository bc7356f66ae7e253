#!/usr/bin/env bash
# Read-only smoke checks of a running Taskr site, through its web server.
#
#   Tests/smoke/smoke.sh                          # http://localhost:3050
#   Tests/smoke/smoke.sh https://taskr.example.com
#   CURL_OPTS=-k Tests/smoke/smoke.sh https://127.0.0.1:8443
#
# Prints PASS/FAIL per check and "N passed, M failed"; exits non-zero on any
# failure. Changes nothing on the site: every request is a GET, a HEAD, or a
# POST that the site must refuse before it reaches any data.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

smoke_checks() {
    local base=${1%/}

    fetch "$base/healthz"
    check "healthz answers 200 ok" status_is 200
    check "healthz body is ok" body_is ok

    fetch "$base/"
    check "home answers 200" status_is 200
    check "home is UTF-8 HTML" header_is content-type "text/html; charset=utf-8"
    check "home says you are not logged in" body_has "You are not logged in"
    check "home links to sign-up and log-in" body_has 'href="/signup"'
    check "home links to log-in" body_has 'href="/login"'
    check "home links the stylesheet" body_has 'href="/static/taskr.css"'
    check "home carries a Content-Security-Policy" header_has content-security-policy "default-src 'none'"
    check "home carries X-Content-Type-Options" header_is x-content-type-options nosniff
    check "home carries a Referrer-Policy" header_has referrer-policy "same-origin"
    check "home hides the nginx version" header_is server nginx

    fetch "$base/" --head
    check "HEAD / answers 200" status_is 200
    # On a raw socket: curl --head would not read a body even if one came.
    local insecure=""
    [[ " $CURL_OPTS " == *" -k "* ]] && insecure=--insecure
    check "HEAD / has no body (bytes after the header on the wire)" \
        test "$(python3 "$(dirname "${BASH_SOURCE[0]}")/head_body_bytes.py" "$base/" $insecure)" = 0

    fetch "$base/static/taskr.css"
    check "stylesheet answers 200" status_is 200
    check "stylesheet is text/css" header_has content-type "text/css"
    # nginx's static module sends validators and expiry; taskr sends neither.
    check "stylesheet is served from disk (ETag)" header_has etag '"'
    check "stylesheet is served from disk (Last-Modified)" header_has last-modified "GMT"
    check "stylesheet is cacheable" header_has cache-control "max-age=604800"
    check "stylesheet carries the security headers" header_is x-content-type-options nosniff

    fetch "$base/favicon.ico"
    check "favicon answers 200 as SVG" header_has content-type "image/svg+xml"

    fetch "$base/no-such-page"
    check "unknown page answers 404" status_is 404
    check "404 is an HTML page" header_is content-type "text/html; charset=utf-8"
    check "404 page says so" body_has "There is no page at this address."
    check "404 page carries the security headers" header_is x-content-type-options nosniff

    fetch "$base/healthz" -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data ''
    check "POST /healthz answers 405" status_is 405
    check "405 names the allowed methods" header_is allow "GET, HEAD"

    head -c 70000 /dev/zero | tr '\0' 'a' > "$SMOKE_TMP/big-body"
    fetch "$base/" -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$SMOKE_TMP/big-body"
    check "a 70 KB body answers 413" status_is 413
    # nginx refuses it before taskr reads it: nginx's error_page in Taskr's
    # style (taskr's own 413 page would be titled "413 Content Too Large").
    check "413 is nginx's page in Taskr's style" body_has "<title>Content Too Large – Taskr</title>"

    fetch "$base/signup"
    check "sign-up form answers 200" status_is 200
    check "sign-up form has username, password and _csrf" \
        bash -c "grep -q 'name=\"username\"' '$BODY' && grep -q 'name=\"password\"' '$BODY' && grep -q 'name=\"_csrf\"' '$BODY'"
    check "sign-up form's session cookie is HttpOnly and SameSite=Lax" header_has set-cookie "HttpOnly; SameSite=Lax"

    fetch "$base/login"
    check "log-in form answers 200" status_is 200
    check "log-in form has a _csrf field" body_has 'name="_csrf"'

    fetch "$base/logout"
    check "log-out page has a POST button" body_has '<form method="post" action="/logout">'

    fetch "$base/login" -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data 'username=smoke&password=not-a-password'
    check "a POST without a CSRF token answers 403" status_is 403

    fetch "$base/%FF"
    check "invalid UTF-8 in the path answers 400" status_is 400
    check "400 page says why" body_has "not valid UTF-8"

    fetch "$base/?q=%zz"
    check "malformed percent-encoding answers 400" status_is 400
    check "400 page names malformed percent-encoding" body_has "malformed percent-encoding"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    trap 'rm -rf "$SMOKE_TMP"' EXIT
    smoke_checks "${1:-http://localhost:3050}"
    smoke_summary
fi
