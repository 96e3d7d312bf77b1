"""What loading one kind of demo data did: the shared report of every app's ``demo_data`` loader.

Demo loaders only create rows that are missing. A row that already exists is left alone, even when
it differs from the demo (staff may have edited it), unless the caller asks for a reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DemoLoadReport:
    """Keys of the demo rows a loader created, restored (reset) and left alone; ``edited`` lists the
    rows left alone whose current content differs from the demo's."""

    created: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)

    def record(self, key: str, *, created: bool, differs: bool, reset: bool) -> None:
        if created:
            self.created.append(key)
        elif differs and reset:
            self.restored.append(key)
        else:
            self.kept.append(key)
            if differs:
                self.edited.append(key)

    def summary(self, label: str) -> str:
        line = (
            f"{label}: {len(self.created)} created, {len(self.restored)} restored, "
            f"{len(self.kept)} left alone"
        )
        if self.edited:
            line += f" ({len(self.edited)} differ from the demo: {', '.join(self.edited)})"
        return line


# Further demo companies, one folder each (company.json, price_book.json, prospects.json, knowledge/,
# dataset.json): ``load_demo --company <folder>`` loads one into an empty database.
DEMO_COMPANIES_DIR = Path(__file__).resolve().parent.parent / "demo_companies"


def demo_companies() -> list[str]:
    """The folders of ``demo_companies/``: the companies ``load_demo --company`` can load."""
    return sorted(path.name for path in DEMO_COMPANIES_DIR.iterdir() if (path / "company.json").is_file())
