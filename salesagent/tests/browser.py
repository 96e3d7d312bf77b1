"""Browser-test fixtures: the project's pages in headless Chromium (Debian's chromium, driven by Playwright).

Registered for the whole suite by conftest.py (``pytest_plugins``). A browser test looks like::

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_the_queue(staff_page, live_server, screenshot, csp_violations):
        staff_page.goto(f"{live_server.url}/admin/")      # signed in as staff, standing on the staff home
        staff_page.get_by_role("link", name="Playground").click()
        screenshot("playground")                           # var/screenshots/<test name>--playground.png
        assert csp_violations() == []

Fixtures:

- ``chromium_executable`` (session): ``CHROMIUM_PATH`` or /usr/bin/chromium. Missing, the test fails
  (it is not skipped): ``make services`` installs Debian's ``chromium``.
- ``browser_context``: a fresh Chromium for this test (new user-data dir, so no cookies or cache carry
  over), closed afterwards. Nothing is downloaded: Playwright's driver ships in its wheel and the browser
  is the system's (never ``playwright install``); the flags keep Chromium off the network.
- ``page``: a page of that browser whose ``base_url`` is the live server. When the test ends, the page
  as it was is saved to var/screenshots/<test name>.png (also when the test failed).
- ``screenshot``: ``screenshot(label)`` saves the page now, to var/screenshots/<test name>--<label>.png.
- ``console_messages``: what the page logged; ``csp_violations()``: the Content-Security-Policy
  violations among them so far.
- ``staff_password`` and ``staff_user``: a staff user (not a superuser; every model permission) with a
  known password. ``staff_page``: ``page`` signed in as that user through the admin login form, on ``/``.
- ``admin_login(page, base_url, username, password, next_path)``: that login, for other users.

Database: ``live_server`` needs committed data, so these tests are transactional and Django empties every
table when each ends; conftest.py then puts the demo data back (``pytest_runtest_teardown``), so later
tests still find it. Data a browser test creates for itself is committed and visible to the server.
Playwright's synchronous API runs an event loop in this thread, so the ``page`` fixture sets
DJANGO_ALLOW_ASYNC_UNSAFE for the test: ORM calls in the test body are ordinary synchronous calls.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, sync_playwright

DEFAULT_CHROMIUM = "/usr/bin/chromium"
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "screenshots"
# Headless, and nothing that phones home: no QUIC, no first-run, component or sync traffic.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# A turn on a cold process loads the embedding model: the first answer may take a while on 2 cores.
PAGE_TIMEOUT_MS = 60_000
STAFF_USERNAME = "browser-staff"

Screenshot = Callable[[str], Path]


def screenshot_path(test_name: str, label: str = "") -> Path:
    """var/screenshots/<test name>[--<label>].png, with characters unsafe in file names replaced."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name) + (f"--{label}" if label else "")
    return SCREENSHOT_DIR / f"{stem}.png"


def admin_login(page: Page, *, base_url: str, username: str, password: str, next_path: str = "/") -> None:
    """Sign in through the admin login form, as a person would, and wait for ``next_path``."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {path}: `make services` installs Debian's chromium "
            "(apt-get install chromium), or set CHROMIUM_PATH",
            pytrace=False,
        )
    return path


@pytest.fixture
def browser_context(chromium_executable, monkeypatch) -> Iterator[BrowserContext]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user_data_dir = tempfile.mkdtemp(prefix="salesagent-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                user_data_dir,
                executable_path=chromium_executable,
                headless=True,
                args=list(CHROMIUM_ARGS),
                viewport={"width": 1280, "height": 900},
            )
            try:
                context.set_default_timeout(PAGE_TIMEOUT_MS)
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(user_data_dir, ignore_errors=True)


@pytest.fixture
def console_messages() -> list[ConsoleMessage]:
    """What the page logged to its console (errors, CSP violations), in order."""
    return []


@pytest.fixture
def page(browser_context, live_server, console_messages, request) -> Iterator[Page]:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    # Playwright needs a Python function here, not a builtin method such as list.append.
    page.on("console", lambda message: console_messages.append(message))
    try:
        yield page
    finally:
        if not page.is_closed():
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=screenshot_path(request.node.name), full_page=True)


@pytest.fixture
def screenshot(page, request) -> Screenshot:
    def take(label: str) -> Path:
        path = screenshot_path(request.node.name, label)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def csp_violations(console_messages) -> Callable[[], list[str]]:
    """``csp_violations()``: the Content-Security-Policy violations Chromium reported so far."""

    def violations() -> list[str]:
        return [message.text for message in console_messages if "Content Security Policy" in message.text]

    return violations


@pytest.fixture
def staff_password() -> str:
    return "browser-staff-password-1"


@pytest.fixture
def staff_user(django_user_model, staff_password):
    """A staff member (not a superuser) with every model permission, as a sales-ops user would have."""
    user = django_user_model.objects.create_user(
        username=STAFF_USERNAME, password=staff_password, is_staff=True
    )
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def staff_page(page, live_server, staff_user, staff_password) -> Page:
    admin_login(page, base_url=live_server.url, username=staff_user.username, password=staff_password)
    return page
