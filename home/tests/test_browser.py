"""The staff pages in headless Chromium: sign in, the staff home's figures, the header links, the playground.

Fixtures (``staff_page``, ``screenshot``, ``csp_violations``, ...) come from salesagent/tests/browser.py,
whose docstring says how to write another browser test. Screenshots land in var/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apikeys.access import Access
from conversations.models import Conversation
from conversations.services import turn_process
from evaluation.models import EvalRun
from knowledge.models import Document
from salesagent.tests.demo_database import DEMO_SNAPSHOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_land_on_the_staff_home_and_move_between_staff_pages(
    staff_page, live_server, screenshot, csp_violations
):
    # given: an evaluation run (committed: the live server reads it)
    run = EvalRun.objects.create(
        dataset_name="browser-dataset",
        dataset_hash="b" * 64,
        brain="local",
        case_count=3,
        metrics={"intent_accuracy": 0.6667, "action_accuracy": 1.0, "latency_p50_ms": 12.5},
        started_at=timezone.now(),
    )
    indexed = Document.objects.filter(index_status=Document.IndexStatus.INDEXED).count()
    page = staff_page
    # when: signed in through the admin login form, the browser was sent on to /
    page.reload()
    # then: the staff home shows the run's figures and the index status
    assert page.url == f"{live_server.url}/"
    expect(page.locator("h1")).to_have_text("Staff home")
    evaluation = page.locator("#panel-evaluation")
    row = evaluation.locator('tr[data-dataset="browser-dataset"]')
    expect(row.locator('td[data-metric="Intent accuracy"]')).to_have_text("0.6667")
    expect(row.locator('td[data-metric="Key-fact recall"]')).to_have_text("n/a")
    expect(page.locator('#panel-knowledge-index tr[data-status="indexed"] td')).to_have_text(str(indexed))
    expect(page.locator('#panel-activity tr[data-figure="turns"] td')).to_have_text("0")
    # the stylesheets apply under the CSP: the admin's (panel captions) and ours (the panel grid)
    assert evaluation.locator("h2").evaluate("h => getComputedStyle(h).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.locator(".staff-panels").evaluate("e => getComputedStyle(e).display") == "grid"
    screenshot("landing")

    # when: the run's link opens its report, whose breadcrumbs lead back
    row.get_by_role("link", name=f"#{run.pk}").click()
    # then
    expect(page.locator("h1")).to_have_text(f"Evaluation run #{run.pk}: browser-dataset")
    page.locator(".breadcrumbs").get_by_role("link", name="Staff home").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # when: the header's link goes to the admin, and the admin's header comes back
    page.locator("#staff-nav").get_by_role("link", name="Admin").click()
    # then
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator("#content h1")).to_have_text("Staff administration")
    expect(page.locator("#site-name")).to_have_text("Sales agent")
    page.locator("#staff-nav").get_by_role("link", name="Staff home").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # when: the API docs link opens Swagger UI, which renders the schema (its start-up script is a file)
    page.locator("#panel-links").get_by_role("link", name="API docs").click()
    # then
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Sales agent API")
    assert csp_violations() == []


def test_the_playground_answers_and_keeps_the_message(staff_page, live_server, screenshot, csp_violations):
    # given
    page = staff_page
    message = "Which credit cards do you accept?"
    page.locator("#staff-nav").get_by_role("link", name="Playground").click()
    expect(page).to_have_url(f"{live_server.url}/playground/")
    # when
    page.fill("#id_message", message)
    page.select_option("#id_prospect", "prospect_005")
    page.get_by_role("button", name="Ask the agent").click()
    # then: the answer is shown, the form still holds the message, and the turn is stored
    expect(page.get_by_role("heading", name="Suggested reply")).to_be_visible()
    expect(page.locator("#id_message")).to_have_value(message)
    expect(page.locator("#id_prospect")).to_have_value("prospect_005")
    expect(page.locator("body")).to_contain_text("payment_question")
    conversation = Conversation.objects.get(external_prospect_id="prospect_005")
    assert conversation.messages.get().content == message
    expect(page.locator("#id_conversation_id")).to_have_value(str(conversation.pk))
    screenshot("playground")

    # when: back to the staff home, today's figures count the turn
    page.locator(".breadcrumbs").get_by_role("link", name="Staff home").click()
    # then
    expect(page.locator('#panel-activity tr[data-figure="turns"] td')).to_have_text("1")
    assert csp_violations() == []


def test_anonymous_visitors_sign_in_first_and_come_back_to_the_staff_home(
    page, live_server, staff_user, staff_password
):
    # when: a visitor opens / without a session
    page.goto(f"{live_server.url}/")
    # then: the admin login form, which sends them back to / once signed in
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/$"))
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", staff_password)
    page.click("#login-form [type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("Staff home")


# Runs after the browser tests above (pytest-django runs transactional tests last, in file order): proof
# that the tables the browser tests' teardown flushed hold the demo data again for every later test.
def test_the_demo_data_is_back_after_the_browser_tests(django_user_model, request):
    # given: the browser tests above ran and their teardown emptied every table
    snapshot = request.config.stash[DEMO_SNAPSHOT]
    # then: every table holds exactly the rows it held when the demo was loaded
    assert snapshot.changed_tables() == []
    # and the agent answers from the demo's CRM, intents and knowledge base
    staff = django_user_model.objects.create_user(username="after-browser", password=None, is_staff=True)
    stored = turn_process(
        access=Access.for_user(staff), message="Which credit cards do you accept?", prospect_id="prospect_005"
    )
    assert stored.analysis.intent == "payment_question"
    assert "Visa" in stored.output.response_text
