# The production nginx configuration (nginx/taskr-production.conf), run for
# real: its paths and ports swapped for a temporary folder, loopback ports and
# a self-signed certificate. Sourced by run-local.sh, which provides lib.sh,
# $repo, $pids and a running taskr.

# has_security_headers: the last response carries every header of
# taskr-security-headers.conf, and HSTS.
has_security_headers() {
    header_is strict-transport-security "max-age=63072000" &&
        header_has content-security-policy "default-src 'none'; .*frame-ancestors 'none'" &&
        header_is x-content-type-options nosniff &&
        header_has referrer-policy "\(same-origin\|no-referrer\)" &&
        header_is x-frame-options DENY &&
        header_is cross-origin-opener-policy same-origin &&
        header_has permissions-policy "camera=()"
}

# headers_on STATUS WHAT URL [curl args...]: the answer has STATUS and every security header.
headers_on() {
    local status=$1 what=$2 url=$3
    shift 3
    # shellcheck disable=SC2086
    fetch "$url" $tls "$@"
    check "security headers on $what ($status)" status_and_headers "$status"
}

status_and_headers() {
    status_is "$1" && has_security_headers
}

# production_checks SOCKET: checks the TLS site in front of taskr at SOCKET.
# Leaves the production nginx running (production_after_taskr checks it
# once taskr is gone).
production_checks() {
    local socket=$1
    local dir=$SMOKE_TMP/production
    local http_port=${SMOKE_HTTP_PORT:-28080} https_port=${SMOKE_HTTPS_PORT:-28443}
    local host=taskr.example.com
    mkdir -p "$dir/snippets" "$dir/tmp"
    cp "$repo"/nginx/snippets/*.conf "$dir/snippets/"

    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$host" \
        -addext "subjectAltName=DNS:$host" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null

    sed -e "s|/etc/letsencrypt/live/$host/fullchain.pem|$dir/cert.pem|" \
        -e "s|/etc/letsencrypt/live/$host/privkey.pem|$dir/key.pem|" \
        -e "s|/srv/taskr/nginx/www|$repo/nginx/www|" \
        -e "s|unix:/run/taskr/taskr.sock|unix:$socket|" \
        -e "s|/var/log/nginx/taskr.access.log|$dir/access.log|" \
        -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
        -e "s|listen 80 default_server;|listen 127.0.0.1:$http_port default_server;|" \
        -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
        -e "s|listen 443 ssl http2 default_server;|listen 127.0.0.1:$https_port ssl http2 default_server;|" \
        -e '/listen \[::\]/d' \
        "$repo/nginx/taskr-production.conf" > "$dir/taskr-production.conf"

    local user_line
    user_line=$(nginx_user_line)
    cat > "$dir/nginx.conf" <<CONF
$user_line
daemon off;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/taskr-production.conf;
}
CONF
    check "the production configuration passes nginx -t" nginx -q -t -p "$dir" -c "$dir/nginx.conf"
    nginx -p "$dir" -c "$dir/nginx.conf" 2>"$dir/nginx-error.log" &
    production_nginx=$!
    pids+=("$production_nginx")

    tls="--cacert $dir/cert.pem --resolve $host:$https_port:127.0.0.1 --resolve $host:$http_port:127.0.0.1"
    site="https://$host:$https_port"
    wait_for "the production nginx" 10 curl -sf $tls "$site/healthz"

    fetch "http://$host:$http_port/login?next=%2F" $tls
    check "plain HTTP redirects permanently" status_is 301
    check "the redirect keeps path and query on https" header_is location "https://$host/login?next=%2F"

    fetch "$site/healthz" $tls
    check "HTTPS healthz answers 200 ok through the production config" body_is ok

    # Any other name: no answer at all (444), and over TLS not even a certificate.
    check "an unknown Host over HTTP gets no answer" \
        bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' http://127.0.0.1:$http_port/)\" = 000 ]"
    check "an unknown name over HTTPS gets no TLS handshake" \
        bash -c "! curl -s -k -o /dev/null --resolve other.example:$https_port:127.0.0.1 https://other.example:$https_port/healthz"
    check "an unknown Host inside the TLS name gets no page" \
        bash -c "code=\$(curl -s $tls -o /dev/null -w '%{http_code}' -H 'Host: evil.example' '$site/'); echo \"    got \$code\" >&2; [ \$code = 000 ] || [ \$code = 421 ]"
    # What the configuration promises but a short test cannot wait for.
    nginx -T -p "$dir" -c "$dir/nginx.conf" 2>/dev/null > "$dir/nginx-T"
    check "the Proxy request header never reaches taskr as HTTP_PROXY" grep -q 'fastcgi_param  *HTTP_PROXY  *"";' "$dir/nginx-T"
    check "slow clients are dropped after 10 s" grep -q 'client_header_timeout 10s;' "$dir/nginx-T"
    check "connections per client are limited" grep -q 'limit_conn taskr_conn 20;' "$dir/nginx-T"
    check "pages and log-out are rate-limited per client" bash -c "[ \$(grep -c 'limit_req zone=taskr_pages' '$dir/nginx-T') -ge 2 ]"

    fetch "$site/" $tls
    check "HTTPS home answers 200" status_is 200
    check "HTTPS responses carry HSTS" header_is strict-transport-security "max-age=63072000"
    check "HTTPS responses carry the CSP" header_has content-security-policy "frame-ancestors 'none'"
    check "HTTPS responses carry X-Frame-Options" header_is x-frame-options DENY

    check "pages get Referrer-Policy same-origin" header_is referrer-policy same-origin
    fetch "$site/integrations/attio/callback?code=secret-code&state=x" $tls
    check "the OAuth callback gets only Referrer-Policy no-referrer" \
        bash -c "[ \"\$(grep -ci '^referrer-policy:' '$HEADERS')\" = 1 ] && grep -qix 'referrer-policy: no-referrer' '$HEADERS'"
    # A check of its own: were the line never written, the next check would pass on an empty log.
    check "the callback is in the access log" \
        wait_for "the callback in the access log" 5 grep -q "GET /integrations/attio/callback " "$dir/access.log"
    check "the access log leaves the callback's code out" bash -c "! grep -q secret-code '$dir/access.log'"

    fetch "$site/no-such-page" $tls
    check "error pages carry HSTS too" header_is strict-transport-security "max-age=63072000"
    check "error pages carry the CSP too" header_has content-security-policy "default-src 'none'"

    head -c 70000 /dev/zero | tr '\0' 'a' > "$SMOKE_TMP/big-body"
    fetch "$site/signup" $tls -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$SMOKE_TMP/big-body"
    check "nginx refuses bodies over 64 KiB with 413" status_is 413
    check "nginx's 413 page carries HSTS" header_is strict-transport-security "max-age=63072000"

    local tls_jar=$SMOKE_TMP/tls-jar
    rm -f "$tls_jar"
    fetch "$site/signup" $tls -c "$tls_jar" -b "$tls_jar"
    check "over HTTPS the visitor cookie is Secure" header_has set-cookie "taskr_visitor=.*; Path=/; Secure; HttpOnly; SameSite=Lax"
    fetch "$site/signup" $tls -c "$tls_jar" -b "$tls_jar" --data-urlencode "username=tls-$RANDOM$RANDOM" \
        --data-urlencode "password=correct horse tls" --data-urlencode "_csrf=$(csrf_of "$BODY")"
    check "over HTTPS sign-up answers 303" status_is 303
    check "over HTTPS the session cookie is Secure" header_has set-cookie "taskr_session=.*; Path=/; Secure; HttpOnly; SameSite=Lax"

    fetch "$site/static/taskr.css" $tls
    check "static files are cached for a week" header_has cache-control "max-age=604800"
    check "static files carry the security headers" header_is x-content-type-options nosniff

    # shellcheck disable=SC2086
    # Debian's curl refuses TLS 1.1 by itself; openssl s_client at security
    # level 0 still speaks it, so a refusal here is nginx's.
    local s_client="openssl s_client -connect 127.0.0.1:$https_port -servername $host -cipher DEFAULT:@SECLEVEL=0"
    check "TLS 1.1 is refused (by a client that still speaks it)" bash -c "! echo | $s_client -tls1_1 >/dev/null 2>&1"
    check "the same client is served over TLS 1.2" bash -c "echo | $s_client -tls1_2 >/dev/null 2>&1"
    # shellcheck disable=SC2086
    check "TLS 1.2 is accepted" curl -sf $tls --tlsv1.2 --tls-max 1.2 -o /dev/null "$site/healthz"

    # Every kind of answer, from taskr and from nginx, carries the headers.
    headers_on 200 "a page" "$site/"
    headers_on 200 "a static file" "$site/static/taskr.css"
    headers_on 200 "the favicon" "$site/favicon.ico"
    headers_on 303 "a redirect" "$site/integrations/attio/connect"
    headers_on 400 "malformed percent-encoding" "$site/%zz"
    headers_on 403 "a POST without _csrf" "$site/login" -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
        -H "Origin: https://$host" --data 'username=a&password=b'
    headers_on 404 "an unknown page" "$site/no-such-page"
    headers_on 404 "an unknown static file" "$site/static/no-such.css"
    headers_on 405 "a wrong method" "$site/healthz" -X POST -H "Origin: https://$host" --data ''
    headers_on 413 "nginx's too-large page" "$site/signup" -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "@$SMOKE_TMP/big-body"
    headers_on 415 "a wrong content type" "$site/login" -X POST -H 'Content-Type: text/plain' -H "Origin: https://$host" --data 'x'
    fetch "$site/login" $tls -c "$dir/jar"
    local csrf
    csrf=$(sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$BODY" | head -n 1)
    headers_on 401 "a wrong password" "$site/login" -b "$dir/jar" -X POST -H "Origin: https://$host" \
        --data "username=nobody&password=wrong-password&_csrf=$csrf"

    # limit_req on /login: 10 a minute with bursts of 10, so the 12th at once is refused.
    local statuses=""
    for _ in $(seq 12); do
        # shellcheck disable=SC2086
        statuses="$statuses $(curl -s $tls -o "$BODY" -w '%{http_code}' "$site/login")"
    done
    check "a burst of log-in requests is rate-limited with 429" bash -c "[[ '$statuses' == *429 ]]"
    check "the 429 page is Taskr's" body_has "Too many attempts"
    check "security headers on nginx's rate-limit page (429)" has_security_headers
}

# production_after_taskr: with taskr stopped, nginx's 502 page still carries
# the headers; then stops the production nginx.
production_after_taskr() {
    headers_on 502 "nginx's page when taskr is down" "$site/"
    check "the 502 page is Taskr's" body_has "Taskr is unavailable"
    kill -QUIT "$production_nginx" 2>/dev/null
    wait "$production_nginx" 2>/dev/null
}
