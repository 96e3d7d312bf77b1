"""What every turn reads of the tables staff edit, in one round trip.

Staff edits to intents (their policies and examples) and to the price book show on the next turn in
every process, so each turn reads them; one statement reads the intents' version, the active price
book's digest and the company's vocabulary (``company/vocabulary.py``), where four queries did (and
four more for a quote). The version
decides whether a process's cached intent index and policies are current, the digest whether its
copy of the price book is (``pricing/selectors.py``). The version's ``policies`` part is a digest of
every active intent's id, name and policy, so any edit, rename, activation or deactivation changes
it whatever the clocks of the processes that made it; the stored examples are versioned by their
count and latest id (examples are added and deleted, never updated in place).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from django.db import connection

from company.selectors import company_json_sql
from company.vocabulary import Vocabulary, vocabulary_from_json
from conversations.models import INTENT_POLICY_FIELDS, Intent, IntentExample, ReaderModel
from knowledge.embeddings import embedding_model_name
from knowledge.vocabulary import knowledge_priced_unit
from pricing.selectors import active_price_book_digest_sql, active_price_vocabulary_sql


class IntentsVersion(NamedTuple):
    """Changes whenever an active intent's policy or name, or the stored examples, change."""

    policies: str  # the digest of the active intents' ids, names and policies
    examples: int
    latest_example: int | None
    model: str  # the embedding model the examples are read for
    reader: int | None = None  # the active trained reader's version (None: none is trained yet)


@dataclass(frozen=True)
class ReferenceData:
    """The intents' version, the active price book's digest and the company's vocabulary (plans and
    segments of that book, the company profile and terms), as one turn read them."""

    intents_version: IntentsVersion
    vocabulary: Vocabulary
    price_book_digest: str | None  # None: no price book is active


@cache
def policies_digest_sql() -> str:
    """A scalar subquery: the digest of every active intent's id, name and policy fields."""
    column_of = {field.name: str(field.column) for field in Intent._meta.concrete_fields}
    columns = ", ".join(
        connection.ops.quote_name(column_of[name]) for name in ("id", "name", *INTENT_POLICY_FIELDS)
    )
    return (
        f"(SELECT md5(coalesce(string_agg(row({columns})::text, ',' ORDER BY id), '')) "
        f"FROM {Intent._meta.db_table} WHERE is_active)"
    )


def _examples_version_sql() -> str:
    return (
        f"(SELECT count(*) AS count, max(id) AS latest, "
        f"(SELECT max(version) FROM {ReaderModel._meta.db_table} WHERE is_active) AS reader "
        f"FROM {IntentExample._meta.db_table}) examples"
    )


@cache
def _reference_data_sql() -> str:
    return (
        f"SELECT {active_price_vocabulary_sql()}, {company_json_sql()}, {active_price_book_digest_sql()}, "
        f"{policies_digest_sql()}, examples.count, examples.latest, examples.reader "
        f"FROM {_examples_version_sql()}"
    )


def _version(digest: str, examples: int, latest: int | None, reader: int | None) -> IntentsVersion:
    return IntentsVersion(
        policies=digest, examples=examples, latest_example=latest, model=embedding_model_name(), reader=reader
    )


def intents_version() -> IntentsVersion:
    """The intents' version alone (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {policies_digest_sql()}, examples.count, examples.latest, examples.reader "
            f"FROM {_examples_version_sql()}"
        )
        return _version(*cursor.fetchone())


def reference_data() -> ReferenceData:
    """The intents' version, the price book's digest and the company's vocabulary (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_reference_data_sql())
        price_json, company_json, price_book_digest, digest, examples, latest, reader = cursor.fetchone()
    return ReferenceData(
        intents_version=_version(digest, examples, latest, reader),
        vocabulary=vocabulary_from_json(price_json, company_json, knowledge_priced_unit()),
        price_book_digest=price_book_digest,
    )
