"""Domain errors answer as they say: the API's exception handler knows no app's errors."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from apikeys.access import ScopeDenied
from conversations.idempotency import TurnInProgress
from salesagent.errors import DomainError
from salesagent.exceptions import api_exception_handler

APPS = {"apikeys", "company", "conversations", "crm", "evaluation", "home", "knowledge", "pricing", "reviews"}


class ShelfEmpty(DomainError):
    status_code = 410
    code = "shelf_empty"
    message = "Nothing left on this shelf."

    def extra(self) -> dict[str, int]:
        return {"restock_in_days": 3}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "259200"}


def test_a_new_domain_error_is_answered_with_its_own_status_body_and_headers():
    response = api_exception_handler(ShelfEmpty("internal wording"), {})

    assert response is not None
    assert response.status_code == 410
    assert response.data == {
        "detail": "Nothing left on this shelf.",
        "code": "shelf_empty",
        "restock_in_days": 3,
    }
    assert response["Retry-After"] == "259200"


def test_the_apps_errors_carry_what_clients_see():
    denied = api_exception_handler(ScopeDenied("turns:write"), {})
    busy = api_exception_handler(TurnInProgress("key-1", retry_after=2), {})

    assert denied is not None
    assert (denied.status_code, denied.data["code"], denied.data["required_scope"]) == (
        403,
        "scope_denied",
        "turns:write",
    )
    assert busy is not None
    assert (busy.status_code, busy.data["code"], busy["Retry-After"]) == (409, "turn_in_progress", "2")


def test_the_exception_handler_imports_no_app():
    source = Path(settings.BASE_DIR, "salesagent", "exceptions.py").read_text(encoding="utf-8")
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert imported & APPS == set()
