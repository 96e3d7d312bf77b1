"""Nothing of the demo company is wired into the code: its plans, tools, competitors and name are data.

A demo name in non-test code means a second company would get the demo's behaviour (a plan regex that
knows only the demo's plans, a tool list without its tools), so the names are read from the demo's own
files and searched for, as whole words, in every source file that is not test or demo data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from company.demo_data import DEMO_FILE as COMPANY_FILE
from pricing.demo_data import DEMO_FILE as PRICE_BOOK_FILE

ROOT = Path(__file__).resolve().parents[2]
SOURCE_SUFFIXES = {".py", ".html", ".json", ".js", ".txt", ".yaml", ".yml", ".md"}
# Test code, demo data and datasets may name the demo; migrations record history.
SKIPPED_PARTS = {
    "tests",
    "testing",
    "demo",
    "demo_companies",
    "datasets",
    "migrations",
    "taxonomy",
    "docs",
    "var",
    ".venv",
    "node_modules",
    ".git",
    "static",
    "__pycache__",
}
# Names the product itself uses, not only tools the demo integrates with: HubSpot is a CRM it writes to
# (crm/backends/hubspot.py), PostgreSQL its own database.
ALLOWED = {("HubSpot", "crm"), ("HubSpot", "salesagent"), ("HubSpot", "deploy")}
PRODUCT_NAMES = {"PostgreSQL"}


def demo_names() -> set[str]:
    company = json.loads(COMPANY_FILE.read_text(encoding="utf-8"))
    book = json.loads(PRICE_BOOK_FILE.read_text(encoding="utf-8"))
    names = {company["name"].split()[0]}
    names |= {plan["name"] for plan in book["plans"]}
    names |= {term["name"] for term in company["terms"] if term["kind"] in ("integration", "competitor")}
    return names - PRODUCT_NAMES


def source_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if path.suffix in SOURCE_SUFFIXES
        and path.is_file()
        # Files at the top (README.md, CHANGELOG.md) describe the demo; the code lives in folders.
        and len(path.relative_to(ROOT).parts) > 1
        and not SKIPPED_PARTS & set(path.relative_to(ROOT).parts[:-1])
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    ]


def test_no_demo_plan_tool_or_competitor_name_in_non_test_code():
    names = demo_names()
    assert {"Basic", "Premium", "Salesforce", "Tableau", "Orbit"} <= names  # the demo's files are read
    pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(name) for name in sorted(names))})(?![\w-])")
    found = []
    for path in source_files():
        top = path.relative_to(ROOT).parts[0]
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for match in pattern.finditer(line):
                if (match.group(0), top) not in ALLOWED:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, "demo names in non-test code:\n" + "\n".join(found)
    assert len(source_files()) > 100  # the walk really covers the code
