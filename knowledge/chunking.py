"""Markdown-aware chunking: sections under their heading path, split to a token budget with overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# Roughly one token per word piece; MiniLM truncates at 256 word pieces, so stay well under it.
DEFAULT_MAX_TOKENS = 180
DEFAULT_OVERLAP_TOKENS = 30


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int
    heading_path: str
    text: str

    @property
    def embedding_text(self) -> str:
        """What gets embedded: the heading path gives a short section its context."""
        return f"{self.heading_path}\n{self.text}" if self.heading_path else self.text


def estimate_tokens(text: str) -> int:
    """Cheap token estimate (words plus punctuation runs), close to WordPiece counts for English."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def _split_units(text: str) -> list[str]:
    """Paragraphs and list items, further split into sentences, as the smallest pieces we keep whole."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if all(re.match(r"^([-*+]|\d+[.)])\s+", line) for line in lines):
            units.extend(lines)
        else:
            units.extend(s.strip() for s in SENTENCE_SPLIT_RE.split(" ".join(lines)) if s.strip())
    return units


def _pack(units: list[str], max_tokens: int, overlap_tokens: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for unit in units:
        unit_tokens = estimate_tokens(unit)
        if current and current_tokens + unit_tokens > max_tokens:
            pieces.append("\n".join(current))
            # Carry the tail of the previous piece over so a fact split across the boundary survives.
            carried: list[str] = []
            carried_tokens = 0
            for previous in reversed(current):
                carried_tokens += estimate_tokens(previous)
                if carried_tokens > overlap_tokens:
                    break
                carried.insert(0, previous)
            current = carried
            current_tokens = sum(estimate_tokens(u) for u in current)
        current.append(unit)
        current_tokens += unit_tokens
    if current:
        pieces.append("\n".join(current))
    return pieces


def _sections(markdown: str) -> list[tuple[list[str], str]]:
    """(heading path, body) for each run of text under the same headings."""
    sections: list[tuple[list[str], str]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(([title for _, title in stack], text))
        body.clear()

    in_code = False
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING_RE.match(line)
        if match:
            flush()
            level = len(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, match.group(2)))
        else:
            body.append(line)
    flush()
    return sections


def chunk_markdown(
    markdown: str,
    *,
    title: str = "",
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
) -> list[ChunkDraft]:
    """Split a markdown document into chunks that keep their heading path.

    The document title leads every heading path (unless the body's H1 already says it), so a chunk
    read alone still says which document and section it comes from.
    """
    drafts: list[ChunkDraft] = []
    for headings, text in _sections(markdown):
        path = list(headings)
        if title and (not path or path[0].strip().lower() != title.strip().lower()):
            path.insert(0, title)
        heading_path = " > ".join(path)
        for piece in _pack(_split_units(text), max_tokens, overlap_tokens):
            drafts.append(ChunkDraft(ordinal=len(drafts), heading_path=heading_path, text=piece))
    return drafts
