"""Reading knowledge documents from files: Markdown with optional front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
H1_RE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ParsedDocument:
    slug: str
    title: str
    body: str
    category: str = ""
    tags: list[str] = field(default_factory=list)


def parse_markdown_document(text: str, *, slug: str) -> ParsedDocument:
    """Split optional ``key: value`` front matter (title, category, tags) from the Markdown body."""
    meta: dict[str, str] = {}
    match = FRONT_MATTER_RE.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
        text = text[match.end() :]
    body = text.strip()
    title = meta.get("title") or _first_heading(body) or slug.replace("-", " ").capitalize()
    tags_text = meta.get("tags", "").strip("[]")
    tags = [tag.strip().strip("'\"").lower() for tag in tags_text.split(",") if tag.strip()]
    return ParsedDocument(
        slug=slug, title=title, body=body, category=meta.get("category", "").lower(), tags=tags
    )


def _first_heading(body: str) -> str:
    match = H1_RE.search(body)
    return match.group(1) if match else ""


def read_markdown_file(path: Path) -> ParsedDocument:
    """Parse a Markdown file; its slug is the file name without extension."""
    return parse_markdown_document(path.read_text(encoding="utf-8"), slug=path.stem)
