"""Production security settings: no start without SECRET_KEY, `check --deploy` clean, headers on our
pages, and admin logins locked out after repeated wrong passwords."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from testing.processes import database_env_for_tests

BASE_DIR = settings.BASE_DIR


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "WARM_UP": "false", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    # SECRET_KEY set but empty: .env (which holds the development key) does not override it.
    result = _manage("check", SECRET_KEY="", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_check_deploy_is_clean_with_debug_off_and_a_secret_key():
    # Against the test database, which holds the demo data: the company set-up checks (intents, a
    # price book, knowledge) pass there whatever the developer's own database holds.
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{
            **database_env_for_tests(),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "SECURE_HTTPS": "true",
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_our_pages_carry_a_content_security_policy_and_deny_framing(client):
    response = client.get("/admin/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_admin_login_locks_out_after_repeated_wrong_passwords(client, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    django_user_model.objects.create_user(username="boss", password="right-password", is_staff=True)

    wrong = [
        client.post("/admin/login/", {"username": "boss", "password": f"guess-{i}"}).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    right = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "right-password"})

    assert wrong[0] == 200  # the form again, with an error
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_https_redirect_spares_probes_and_the_metrics_scrape(client, settings):
    # Given HTTPS-only settings (production) and requests arriving over plain HTTP
    settings.SECURE_SSL_REDIRECT = True
    settings.WARM_UP = False

    # When pages, probes and Prometheus's scrape are requested
    page = client.get("/api/docs/")
    probes = {path: client.get(path) for path in ("/healthz", "/readyz", "/metrics")}

    # Then pages go to HTTPS; in-cluster probes and scrapes are answered over HTTP
    assert page.status_code == 301
    assert page["Location"].startswith("https://")
    assert {path: response.status_code for path, response in probes.items()} == {
        "/healthz": 200,
        "/readyz": 200,
        "/metrics": 200,
    }
