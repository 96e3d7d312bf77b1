"""Project-wide test fixtures: demo data in the test database, API clients, and real background services.

``fake_openai`` is a scripted OpenAI-compatible server on 127.0.0.1 and ``model_settings`` points the
app's model brain at it. ``redis_url`` starts a private Redis server on a free loopback port and
``celery_worker`` a real Celery worker process consuming from it against the test database, for the
tests that must prove work really goes through the broker. Browser tests (headless Chromium against
``live_server``) get their fixtures from salesagent/tests/browser.py, registered below.

The demo data is loaded once per session (per pytest-xdist worker, each with its own test database).
A transactional test (``transaction=True``, ``live_server``) ends with Django flushing every table,
so after each one the demo data is put back as it was loaded (``pytest_runtest_teardown`` below):
tests that run later see the same database as the first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from apikeys.access import ALL_SCOPES, Scope
from apikeys.models import ApiKey
from apikeys.services import api_key_create
from company.demo_data import vocabulary_of_files
from company.vocabulary import Vocabulary
from conversations.agent import model_client
from pricing.demo_data import DEMO_FILE as PRICE_BOOK_DEMO_FILE
from salesagent.celery import app as celery_app
from salesagent.demo import DEMO_COMPANIES_DIR
from salesagent.embedded_db import ensure_configured_server
from salesagent.tests.demo_database import DEMO_SNAPSHOT, DemoSnapshot
from testing.fake_openai import FakeOpenAI
from testing.processes import free_port, start_celery_worker, stop_process, wait_for_worker, wait_until

pytest_plugins = ["salesagent.tests.browser", "salesagent.tests.companies"]


# Fixtures that start a server `make services` installs: a test using one is marked `services`, so
# `make test-fast` (no Redis, Celery worker, Prometheus or browser) can leave it out.
SERVICE_FIXTURES = frozenset({"redis_url", "celery_broker", "celery_worker", "prometheus"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


# The reader trains on 3 cross-validation folds in tests (5 by default): what a test checks of training
# does not depend on the fold count, and each training takes ~40 % less time. Set in the environment
# too, for the worker processes the tests start.
TEST_READER_CV_FOLDS = "3"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("READER_CV_FOLDS", TEST_READER_CV_FOLDS)
    settings.READER_CV_FOLDS = int(os.environ["READER_CV_FOLDS"])


def pytest_sessionstart(session: pytest.Session) -> None:
    # Settings start nothing; the test session starts the embedded database (when DATABASE_URL is unset)
    # before pytest-django creates the test database in it.
    ensure_configured_server()


@pytest.fixture(scope="session")
def demo_vocabulary() -> Vocabulary:
    """The demo company's vocabulary (plans, segments, terms, unit) from its files, without the database."""
    return vocabulary_of_files(PRICE_BOOK_DEMO_FILE)


@pytest.fixture(scope="session")
def brightdesk_vocabulary() -> Vocabulary:
    """The second demo company's vocabulary (demo_companies/brightdesk): plans that are ordinary words
    (Starter, Growth, Scale, Unlimited), priced per agent, a startup discount, helpdesk tools."""
    folder = DEMO_COMPANIES_DIR / "brightdesk"
    return vocabulary_of_files(folder / "price_book.json", folder / "company.json")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """Load (and restore) the demo knowledge base, prospects and intents once per test session."""
    with django_db_blocker.unblock():
        call_command("load_demo", "--reset", verbosity=0)
    request.config.stash[DEMO_SNAPSHOT] = DemoSnapshot.take(django_db_blocker)


def _flushes_the_database(item: pytest.Item) -> bool:
    """Whether pytest-django runs ``item`` as a TransactionTestCase, whose teardown flushes every table."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or any(marker.args[:1])
    ):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # A hook, not a fixture: it must run after pytest-django's own teardown has flushed the tables.
    try:
        return (yield)
    finally:
        snapshot = item.config.stash.get(DEMO_SNAPSHOT, None)
        # After the session's last test nothing needs the data back.
        if snapshot is not None and nextitem is not None and _flushes_the_database(item):
            snapshot.restore()


# What the shared `api_client` may do: everything but writing the knowledge base and the CRM, as an
# inbox or CRM plug-in key would (the scope matrix in apikeys/tests covers every other combination).
API_CLIENT_SCOPES = (
    Scope.TURNS_WRITE,
    Scope.CONVERSATIONS_READ,
    Scope.KNOWLEDGE_READ,
    Scope.CRM_READ,
    Scope.EVALUATION_READ,
)


def key_client(api_key_secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_secret}")
    return client


@pytest.fixture
def api_user(django_user_model):
    return django_user_model.objects.create_user(username="api-user", password=None)


@pytest.fixture
def api_key_and_secret(api_user) -> tuple[ApiKey, str]:
    return api_key_create(user=api_user, name="tests", scopes=API_CLIENT_SCOPES)


@pytest.fixture
def api_client(api_key_and_secret) -> APIClient:
    """A non-staff client whose key has every scope except knowledge:write and crm:write."""
    return key_client(api_key_and_secret[1])


@pytest.fixture
def staff_api_client(django_user_model) -> APIClient:
    """A staff user's client whose key has every scope."""
    staff = django_user_model.objects.create_user(username="staff-user", password=None, is_staff=True)
    return key_client(api_key_create(user=staff, name="staff tests", scopes=ALL_SCOPES)[1])


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private Redis server for this test session (``make test`` installs redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; `make test` installs it (see Makefile: services)")
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = workdir / "redis.log"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def ready() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(ready, "redis-server", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _reset_broker_connections() -> None:
    # Celery caches its connection and producer pools for the first broker URL it saw; a test that
    # switches brokers must drop them, or publishing goes to the old (default) broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_broker(redis_url) -> Iterator[str]:
    """Route this test's tasks through the real broker instead of running them inline."""
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = redis_url
    celery_app.conf.task_always_eager = False
    _reset_broker_connections()
    redis.Redis.from_url(redis_url).flushdb()
    try:
        yield redis_url
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
        _reset_broker_connections()


@pytest.fixture
def celery_worker(celery_broker, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker process consuming from ``celery_broker`` against the test database."""
    log = tmp_path / "worker.log"
    process = start_celery_worker(celery_broker, log)
    try:
        wait_for_worker(process, log)
        yield process
    finally:
        stop_process(process)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A scripted Chat Completions server on a free 127.0.0.1 port."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def model_settings(settings, fake_openai, monkeypatch):
    """The app configured for the model brain against ``fake_openai``, with a clean breaker."""
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "gpt-test"
    settings.AGENT_BRAIN = "openai"
    settings.OPENAI_TIMEOUT_SECONDS = 5.0
    settings.OPENAI_MAX_RETRIES = 1
    settings.OPENAI_MAX_TOOL_ROUNDS = 3
    settings.MODEL_BREAKER_FAILURES = 3
    settings.MODEL_BREAKER_COOLDOWN_SECONDS = 60
    # Real backoff would only slow the suite down; its shape has its own unit test.
    monkeypatch.setattr(model_client, "BACKOFF_BASE_SECONDS", 0.01)
    cache.clear()
    yield settings
    cache.clear()
