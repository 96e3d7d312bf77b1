"""Test fixtures that put a second company in the test database in place of the demo.

``brightdesk`` loads ``demo_companies/brightdesk`` inside the test's transaction: its documents
(indexed there and then), price book (made active), profile, prospects, and the default intents with
company-neutral examples; the demo's documents are deactivated. The transaction is rolled back after
the test, so the next test sees the demo again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from company.demo_data import load_demo_company
from conversations.demo_data import load_taxonomy_intents
from crm.demo_data import load_demo_prospects
from knowledge.demo_data import load_demo_documents
from knowledge.index_version import bump_search_version
from knowledge.models import Document
from pricing.demo_data import load_demo_price_book
from pricing.models import PriceBook
from pricing.services import price_book_activate
from salesagent.demo import DEMO_COMPANIES_DIR

BRIGHTDESK_DIR = DEMO_COMPANIES_DIR / "brightdesk"


def load_company_folder(folder: Path) -> None:
    """Replace the demo company with the one in ``folder`` (call inside a transaction that executes
    on-commit callbacks, so its documents are indexed)."""
    Document.objects.update(is_active=False)
    load_demo_documents(reset=True, directory=folder / "knowledge")
    load_demo_price_book(path=folder / "price_book.json")
    name = json.loads((folder / "price_book.json").read_text(encoding="utf-8"))["name"]
    book = PriceBook.objects.get(name=name)
    price_book_activate(price_book=book)
    load_demo_company(reset=True, path=folder / "company.json")
    load_demo_prospects(path=folder / "prospects.json")
    load_taxonomy_intents(reset=True)


@pytest.fixture
def brightdesk(db, django_capture_on_commit_callbacks) -> Iterator[Path]:
    """The second demo company in place of the demo, for this test only."""
    with django_capture_on_commit_callbacks(execute=True):
        load_company_folder(BRIGHTDESK_DIR)
    bump_search_version()
    yield BRIGHTDESK_DIR
    # Search results cached while this company was loaded must not answer the next test.
    bump_search_version()
