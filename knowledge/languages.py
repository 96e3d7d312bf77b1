"""Languages: which ones we detect, which Postgres text-search configuration each uses, and detection.

Detection uses py3langid (a maintained, offline fork of langid.py whose model ships in the wheel),
restricted to the languages prospects write to us in. Short or ambiguous texts ("ok", "SSO?") carry
too little evidence, so they take the language of the conversation so far, or English.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

DEFAULT_LANGUAGE = "en"
# ISO 639-1 code -> (English name, Postgres text-search configuration). Italian and Dutch are
# detected so that such messages are recognised as non-English (and flagged) rather than misread as
# Spanish or German; the demo knowledge base is written in the first five.
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "english"),
    "es": ("Spanish", "spanish"),
    "pt": ("Portuguese", "portuguese"),
    "fr": ("French", "french"),
    "de": ("German", "german"),
    "it": ("Italian", "italian"),
    "nl": ("Dutch", "dutch"),
}
LANGUAGE_CHOICES = [(code, name) for code, (name, _) in LANGUAGES.items()]
# Below this normalised probability, or with fewer words, a text's own detection is not trusted.
MIN_CONFIDENCE = 0.75
MIN_WORDS = 3


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    confidence: float
    # "detected" (the text's own), "context" (inherited from the conversation) or "default".
    method: str


_identifier: LanguageIdentifier | None = None
_identifier_lock = threading.Lock()


def _language_identifier() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def text_search_config(language: str) -> str:
    """The Postgres text-search configuration for a language code (``simple`` when unknown)."""
    return LANGUAGES.get(language, ("", "simple"))[1]


def language_name(language: str) -> str:
    return LANGUAGES.get(language, (language, ""))[0]


def classify_language(text: str) -> tuple[str, float]:
    """The most likely language of ``text`` and its normalised probability, with no fallback."""
    code, probability = _language_identifier().classify(text)
    return str(code), float(probability)


def detect_language(text: str, *, context: Sequence[str] = ()) -> DetectedLanguage:
    """The language ``text`` is written in.

    ``context`` holds the same writer's earlier messages, oldest first: a text too short or too
    ambiguous to judge on its own takes the language they were written in.
    """
    code, confidence = classify_language(text)
    if confidence >= MIN_CONFIDENCE and len(text.split()) >= MIN_WORDS:
        return DetectedLanguage(code, round(confidence, 3), "detected")
    earlier = " ".join(item for item in context if item.strip())
    if earlier:
        earlier_code, earlier_confidence = classify_language(f"{earlier} {text}")
        if earlier_confidence >= MIN_CONFIDENCE:
            return DetectedLanguage(earlier_code, round(earlier_confidence, 3), "context")
    return DetectedLanguage(DEFAULT_LANGUAGE, round(confidence, 3), "default")
