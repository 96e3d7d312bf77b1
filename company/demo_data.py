"""The demo company's profile (``company/demo/company.json``): its unit, tools, competitors and features."""

from __future__ import annotations

import json
from pathlib import Path

from company.services import CompanyLoadReport, company_load, company_profile_fields
from company.vocabulary import Vocabulary, build_vocabulary

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "company.json"


def load_demo_company(*, reset: bool = False, path: Path = DEMO_FILE) -> CompanyLoadReport:
    """Create the profile and terms of the company file ``path`` (default: the demo's); with
    ``reset`` the file replaces what staff edited."""
    return company_load(json.loads(path.read_text(encoding="utf-8")), replace=reset)


def vocabulary_of_files(price_book_path: Path, company_path: Path = DEMO_FILE) -> Vocabulary:
    """The vocabulary a price-book file and a company file would give once loaded (no database)."""
    book = json.loads(price_book_path.read_text(encoding="utf-8"))
    company = json.loads(company_path.read_text(encoding="utf-8"))
    price = {"plans": book["plans"], "segments": book["segment_discounts"]}
    profile = company_profile_fields(company)
    return build_vocabulary(price, {"profile": profile, "terms": company.get("terms") or []})
