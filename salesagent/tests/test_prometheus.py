"""A real Prometheus (Debian's package, which ``make test`` installs) scraping a real gunicorn of ours.

gunicorn runs ``gunicorn.conf.py`` with two worker processes in multiprocess mode; after turns through
the API, PromQL through Prometheus's HTTP API must count every turn (whichever worker answered it)
and put the latency quantile in the right bucket. The alert rules pass ``promtool check rules`` and
their unit tests, load into Prometheus, and every dashboard and alert expression is valid PromQL.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth import get_user_model

from apikeys.access import DEFAULT_SCOPES
from apikeys.services import api_key_create
from conversations.models import Conversation
from salesagent.metrics import TURN_LATENCY_BUCKETS
from testing.processes import (
    BASE_DIR,
    free_port,
    http_ok,
    run_committed,
    start_gunicorn,
    stop_process,
    wait_until,
)

ALERTS = BASE_DIR / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = BASE_DIR / "deploy" / "prometheus" / "alerts.test.yml"
DASHBOARD = BASE_DIR / "deploy" / "grafana" / "dashboards" / "salesagent.json"
WAIT_SECONDS = 90
MESSAGES = [
    "Can I pay in installments?",
    "How much is the Pro plan for 40 seats?",
    "Do you integrate with Salesforce?",
    "Is there a free trial?",
    "What is your refund policy?",
    "Can we get a demo next week?",
]


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; `make test` installs Debian's prometheus (Makefile: services)")
    return path


def _wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _query(prometheus: str, promql: str) -> dict[str, Any]:
    return _get_json(f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")


def _scalar(prometheus: str, promql: str) -> float | None:
    result = _query(prometheus, promql)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _bucket_bounds(value: float) -> tuple[float, float]:
    """The (lower, upper] bounds of the histogram bucket holding ``value``."""
    lower = 0.0
    for upper in TURN_LATENCY_BUCKETS:
        if value <= upper:
            return lower, upper
        lower = upper
    raise AssertionError(f"{value} s is beyond the last bucket")


@pytest.mark.services
def test_alert_rules_pass_promtool_check_and_their_unit_tests():
    promtool = _binary("promtool")

    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True)
    tested = subprocess.run(
        [promtool, "test", "rules", str(ALERT_TESTS)], capture_output=True, text=True, cwd=ALERT_TESTS.parent
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 9 rules found" in checked.stdout
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


@pytest.fixture
def api_token(db) -> Iterator[str]:
    """A committed API token (gunicorn is another process); it and the turns it made are deleted after.

    Committed rows instead of a transactional test: that would empty the tables afterwards, and the
    demo knowledge base takes minutes to embed again for the tests that follow.
    """

    def create() -> tuple[str, int]:
        user = get_user_model().objects.create_user(username="prometheus-test", password="unused")
        last = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return api_key_create(user=user, name="prometheus-test", scopes=DEFAULT_SCOPES)[1], last

    token, last_conversation = run_committed(create)
    try:
        yield token
    finally:

        def delete() -> None:
            Conversation.objects.filter(pk__gt=last_conversation).delete()
            get_user_model().objects.filter(username="prometheus-test").delete()

        run_committed(delete)


@pytest.fixture
def web_server(db, tmp_path) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py: two workers, multiprocess mode, the local brain, the test database."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(
        port=port,
        log=log,
        extra_env={
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc"),
            "AGENT_BRAIN": "local",
            "OPENAI_API_KEY": "",
            "OPEN_AI_KEY": "",
            "OPENAI_BASE_URL": "",
            "CELERY_BROKER_URL": "",
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/healthz"), "gunicorn", process, log)
        yield url
    finally:
        stop_process(process)


@pytest.fixture
def prometheus(web_server, tmp_path) -> Iterator[str]:
    """Prometheus on a free 127.0.0.1 port, scraping ``web_server`` every second, with our alert rules."""
    binary = _binary("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ALERTS)],
                "scrape_configs": [
                    {
                        "job_name": "salesagent-web",
                        "metrics_path": "/metrics",
                        "static_configs": [{"targets": [web_server.removeprefix("http://")]}],
                    }
                ],
            }
        )
    )
    log = tmp_path / "prometheus.log"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/-/ready"), "prometheus", process, log)
        yield url
    finally:
        stop_process(process)


def _post_turn(web_server: str, token: str, message: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{web_server}/api/process_message",
        # No prospect id: the turn then writes nothing to the CRM, only its conversation (deleted after).
        data=json.dumps({"current_prospect_message": message}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_prometheus_counts_turns_and_latency_and_loads_our_rules_and_dashboard(
    web_server, prometheus, api_token
):
    # Given Prometheus scraping our gunicorn
    _wait_for(lambda: _scalar(prometheus, 'up{job="salesagent-web"}') == 1, "the first scrape")

    # When turns go through the API (gunicorn hands them to either worker process)
    latencies = [_post_turn(web_server, api_token, message)["latency_ms"] / 1000 for message in MESSAGES]

    # Then Prometheus counts every one of them, across both workers' files
    _wait_for(
        lambda: _scalar(prometheus, "sum(salesagent_turns_total)") == len(MESSAGES), "the turns to be scraped"
    )
    assert _scalar(prometheus, 'sum(salesagent_turns_total{brain="local"})') == len(MESSAGES)
    assert _scalar(prometheus, "sum(salesagent_turn_latency_seconds_count)") == len(MESSAGES)

    # And the p95 latency lies in the bucket of the turn that is the 95th percentile (the response's
    # latency_ms is rounded to 0.01 ms, hence the small margin either side)
    quantile = "histogram_quantile(0.95, sum by (le) (salesagent_turn_latency_seconds_bucket))"
    p95 = _scalar(prometheus, quantile)
    assert p95 is not None
    at_rank = sorted(latencies)[math.ceil(0.95 * len(latencies)) - 1]
    lower, _ = _bucket_bounds(max(at_rank - 1e-5, 0.0))
    _, upper = _bucket_bounds(at_rank + 1e-5)
    assert lower <= p95 <= upper

    # And every alert rule has been evaluated without error on our real series
    def evaluated() -> list[dict[str, Any]]:
        groups = _get_json(f"{prometheus}/api/v1/rules")["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        done = rules and all(rule.get("lastEvaluation", "").startswith("2") for rule in rules)
        return rules if done else []

    rules = _wait_for(evaluated, "the alert rules to be evaluated")
    assert len(rules) == 9
    assert {rule["health"] for rule in rules} == {"ok"}, [rule.get("lastError") for rule in rules]

    # And Prometheus accepts every dashboard expression
    dashboard = json.loads(Path(DASHBOARD).read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert expressions
    for expr in expressions:
        assert _query(prometheus, expr)["status"] == "success", expr
