"""Links between staff pages: the admin header, the playground and evaluation pages, the run banner."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from home.links import CREATE_STAFF_LOGIN, STAFF_LINKS

pytestmark = pytest.mark.django_db

STAFF_PATHS = ("/", "/admin/", "/playground/", "/api/docs/", "/evaluation/")


def _staff_nav(page: str) -> str:
    start = page.index('<nav id="staff-nav"')
    return page[start : page.index("</nav>", start)]


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/knowledge/document/", "/playground/", "/evaluation/", "/"],
)
def test_every_staff_page_has_the_staff_links_in_its_header(admin_client, path):
    # when
    page = admin_client.get(path).content.decode()
    # then
    nav = _staff_nav(page)
    for link_path in STAFF_PATHS:
        assert f'href="{link_path}"' in nav
    assert 'aria-current="page"' in nav


def test_the_login_page_shows_no_staff_links(client):
    # when
    page = client.get("/admin/login/").content.decode()
    # then
    assert 'id="staff-nav"' not in page


def test_the_playground_and_evaluation_pages_lead_back_to_the_staff_home(admin_client):
    for path in ("/playground/", "/evaluation/"):
        # when
        page = admin_client.get(path).content.decode()
        # then: the breadcrumbs start at the staff home, and the user links (log out) are there
        assert '<div class="breadcrumbs"><a href="/">Staff home</a>' in page
        assert 'id="logout-form"' in page


def test_the_banner_lists_every_staff_url_and_how_to_create_a_staff_login():
    # given
    out = StringIO()
    # when
    call_command("staff_urls", base_url="http://127.0.0.1:9000", stdout=out)
    banner = out.getvalue()
    # then
    for path in STAFF_PATHS:
        assert f"http://127.0.0.1:9000{path}\n" in banner
    assert f"No staff login yet; create one with: {CREATE_STAFF_LOGIN}" in banner
    assert [link.path for link in STAFF_LINKS] == list(STAFF_PATHS)


def test_the_banner_counts_existing_staff_logins(django_user_model):
    # given
    django_user_model.objects.create_user(username="ops", password=None, is_staff=True)
    django_user_model.objects.create_user(username="rep", password=None)
    out = StringIO()
    # when
    call_command("staff_urls", stdout=out)
    # then
    assert f"1 staff login(s) exist; create another with: {CREATE_STAFF_LOGIN}" in out.getvalue()
    assert "http://127.0.0.1:8000/playground/" in out.getvalue()


def test_make_run_prints_the_banner_for_its_address():
    # when: make shows what `run` would execute (-n runs nothing)
    make = shutil.which("make")
    assert make is not None, "make is not installed"
    shown = subprocess.run(
        [make, "-n", "run", "HOST=0.0.0.0", "PORT=9001"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # then
    assert "manage.py staff_urls --base-url http://0.0.0.0:9001" in shown
    assert shown.index("staff_urls") < shown.index("runserver 0.0.0.0:9001")


def test_the_playground_keeps_the_message_on_the_result_page(admin_client):
    # when
    response = admin_client.post(
        "/playground/", {"message": "Do you offer a discount for nonprofits?", "prospect": "prospect_005"}
    )
    page = response.content.decode()
    # then: the answer is there, and the form still holds the message, the prospect and the conversation
    form = response.context["form"]
    assert response.context["turn"] is not None
    assert 'id="id_message">\nDo you offer a discount for nonprofits?</textarea>' in page
    assert form["prospect"].value() == "prospect_005"
    assert form["conversation_id"].value() == response.context["turn"]["conversation_id"]
