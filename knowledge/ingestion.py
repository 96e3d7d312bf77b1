"""Reading knowledge documents from files: Markdown (with optional front matter), plain text and HTML.

Every reader returns a :class:`ParsedDocument` whose body is Markdown, so chunking keeps HTML
headings as heading paths. A file that cannot be used raises :class:`UnreadableDocument` with a
message for the person running the import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import frontmatter
import yaml
from django.utils.text import slugify

from knowledge.languages import LANGUAGES

H1_RE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES
MAX_FILE_BYTES = 2_000_000


class UnreadableDocument(ValueError):
    """A file that cannot become a knowledge document (unsupported, undecodable, empty, too large)."""


@dataclass(frozen=True)
class ParsedDocument:
    slug: str
    title: str
    body: str
    category: str = ""
    tags: list[str] = field(default_factory=list)
    # Empty when the file does not say (plain text, HTML, Markdown without the key).
    language: str = ""
    # The slug of the original document this file translates, if any.
    translation_of: str = ""


def parse_markdown_document(text: str, *, slug: str) -> ParsedDocument:
    """Split optional YAML front matter (title, category, tags, language, translation_of) from the
    Markdown body; front matter that is not YAML, or an unknown language code, is
    :class:`UnreadableDocument`."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "it could not be read"
        raise UnreadableDocument(
            f"the front matter is not valid YAML ({problem}); quote a value that holds a colon"
        ) from exc
    meta = {str(key).lower(): value for key, value in post.metadata.items()}
    body = post.content.strip()
    title = _meta_text(meta, "title") or _first_heading(body) or _title_from_slug(slug)
    tags = meta.get("tags") or []
    # "tags: a, b" is one YAML string, "tags: [a, b]" a list: both are the same tags.
    tag_items = tags if isinstance(tags, list) else str(tags).strip("[]").split(",")
    language = _meta_text(meta, "language").lower()
    if language and language not in LANGUAGES:
        raise UnreadableDocument(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return ParsedDocument(
        slug=slug,
        title=title,
        body=body,
        category=_meta_text(meta, "category").lower(),
        tags=[str(tag).strip().strip("'\"").lower() for tag in tag_items if str(tag).strip()],
        language=language,
        translation_of=slugify(_meta_text(meta, "translation_of")),
    )


def _meta_text(meta: dict[str, object], key: str) -> str:
    value = meta.get(key)
    return "" if value is None else str(value).strip()


def _first_heading(body: str) -> str:
    match = H1_RE.search(body)
    return match.group(1) if match else ""


def _title_from_slug(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").capitalize()


def parse_text_document(text: str, *, slug: str) -> ParsedDocument:
    """Plain text: paragraphs kept as they are; the title comes from the file name."""
    return ParsedDocument(slug=slug, title=_title_from_slug(slug), body=text.strip())


class _HTMLToMarkdown(HTMLParser):
    """Headings, paragraphs and list items of an HTML page as Markdown; scripts and styles dropped."""

    BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote", "pre"}
    SKIPPED = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.title = ""
        self._in_title = False
        self._skip_depth = 0

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            is_item = self.prefix == "- "
            # List items stay on consecutive lines (one block); anything else is its own paragraph.
            if not is_item and self.lines and self.lines[-1].startswith("- "):
                self.lines.append("")
            self.lines.append(f"{self.prefix}{text}")
            if not is_item:
                self.lines.append("")
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIPPED:
            self._skip_depth += 1
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._flush()
            self.prefix = "- "
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            self.current.append(data)

    def markdown(self) -> str:
        self._flush()
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip()


def parse_html_document(html: str, *, slug: str) -> ParsedDocument:
    """An HTML page as Markdown; the title is the page's <title>, else its first heading."""
    parser = _HTMLToMarkdown()
    parser.feed(html)
    parser.close()
    body = parser.markdown()
    title = re.sub(r"\s+", " ", parser.title).strip() or _first_heading(body) or _title_from_slug(slug)
    return ParsedDocument(slug=slug, title=title, body=body)


def read_document_file(path: Path) -> ParsedDocument:
    """Parse one Markdown, text or HTML file; its slug is the file name without extension."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'!r}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableDocument(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise UnreadableDocument(f"cannot read the file: {exc.strerror or exc}") from exc
    slug = slugify(path.stem)
    if not slug:
        raise UnreadableDocument("the file name gives no usable slug")
    if suffix in MARKDOWN_SUFFIXES:
        parsed = parse_markdown_document(text, slug=slug)
    elif suffix in HTML_SUFFIXES:
        parsed = parse_html_document(text, slug=slug)
    else:
        parsed = parse_text_document(text, slug=slug)
    if not parsed.body.strip():
        raise UnreadableDocument("the file has no text")
    return parsed


def iter_document_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The given files, and the supported files inside the given folders (recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            yield path
