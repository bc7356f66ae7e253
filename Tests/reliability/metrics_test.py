#!/usr/bin/env python3
"""`GET /metrics` through nginx (#26): Prometheus' text format, read back by
Prometheus' own Python parser (`prometheus_client`, from PyPI, in the test
venv), counters that move with real requests, bounded labels, and the
public server answering 404.

    .build/browser-venv/bin/python Tests/reliability/metrics_test.py path/to/taskr [--port P]
"""

import argparse
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from harness import Browser, Checks, Stack, http_get, test_port

PASSWORD = "metrics for the operator"


def scrape(stack):
    status, headers, body = http_get(f"http://127.0.0.1:{stack.port + 3}/metrics")
    return status, headers, {family.name: family for family in text_string_to_metric_families(body)}


def value(families, name, **labels):
    """The sample `name` whose labels include `labels` (0 when there is none)."""
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("taskr")
    parser.add_argument("--port", type=int, default=test_port(900))
    args = parser.parse_args()
    checks = Checks()
    with Stack(args.taskr, args.port) as stack:
        status, headers, before = scrape(stack)
        checks.check("the internal server answers /metrics in Prometheus' text format 0.0.4",
                     status == 200 and headers.get("content-type", "").startswith("text/plain; version=0.0.4"), str(headers))
        browser = Browser(stack)
        assert browser.signup("metrics-ada", PASSWORD) == 303
        assert browser.connect() == 303
        for _ in range(5):
            browser.home()
        browser.request("GET", "/no-such-page-4711")
        browser.request("GET", "/another-unknown-path")
        status, _, after = scrape(stack)
        checks.check("the text parses with prometheus_client's parser", status == 200 and len(after) >= 6, str(sorted(after)))
        home = value(after, "taskr_requests_total", route="/", method="GET", status="200") - \
            value(before, "taskr_requests_total", route="/", method="GET", status="200")
        checks.check("taskr_requests_total counts the home pages by route pattern and status", home >= 5, str(home))
        checks.check("a sign-up is counted as POST /signup 303",
                     value(after, "taskr_requests_total", route="/signup", method="POST", status="303") >= 1)
        unmatched = value(after, "taskr_requests_total", route="unmatched", status="404")
        checks.check("unknown paths are one label, `unmatched`, never the path", unmatched >= 2 and not any(
            "no-such-page" in str(s.labels) or "another-unknown" in str(s.labels) for f in after.values() for s in f.samples))
        checks.check("the request duration is a histogram by route",
                     after.get("taskr_request_duration_seconds") is not None
                     and after["taskr_request_duration_seconds"].type == "histogram"
                     and value(after, "taskr_request_duration_seconds_count", route="/") >= 5)
        checks.check("Attio calls are counted by endpoint and outcome (the callback's exchange, the first copy)",
                     value(after, "taskr_attio_calls_total", endpoint="token", outcome="ok") >= 1
                     and value(after, "taskr_attio_calls_total", endpoint="tasks.list", outcome="ok") >= 1)
        checks.check("background refreshes are counted by outcome", value(after, "taskr_refreshes_total", outcome="ok") >= 1)
        checks.check("the Argon2 queue and the oldest due copy's age are gauges",
                     after.get("taskr_password_queue_waiting") is not None and after.get("taskr_oldest_due_copy_age_seconds") is not None)
        labels = {k for f in after.values() for s in f.samples for k in s.labels}
        checks.check("labels are bounded: route, method, status, endpoint, outcome, queue (and le)",
                     labels <= {"route", "method", "status", "endpoint", "outcome", "queue", "le"}, str(sorted(labels)))
        began = time.monotonic()
        text = http_get(f"http://127.0.0.1:{stack.port + 3}/metrics")[2]
        took = time.monotonic() - began
        series = sum(len(f.samples) for f in after.values())
        print(f"a scrape after this test's requests: {len(text.encode())} bytes, {len(after)} metrics, "
              f"{series} samples, answered in {took * 1000:.1f} ms through nginx", flush=True)
        checks.check("no user, session or address in the exposition",
                     "metrics-ada" not in text and "127.0.0.1" not in text and (browser.cookie or "x") not in text)
        public = browser.request("GET", "/metrics")[0]
        checks.check("/metrics through the public server answers 404", public == 404, str(public))
        checks.check("the internal server serves nothing else", http_get(f"http://127.0.0.1:{stack.port + 3}/")[0] == 404)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
