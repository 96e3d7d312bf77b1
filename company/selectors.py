"""Reads of the company profile and terms, and the vocabulary a caller outside a turn reads them with."""

from __future__ import annotations

from functools import cache

from django.db import connection

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm
from company.vocabulary import Vocabulary, vocabulary_from_json
from knowledge.vocabulary import knowledge_priced_unit


@cache
def company_json_sql() -> str:
    """A scalar subquery: the profile and every term as one JSON document (text)."""
    profile, term = CompanyProfile._meta.db_table, CompanyTerm._meta.db_table
    return (
        "(SELECT json_build_object("
        f"'profile', (SELECT row_to_json(p) FROM {profile} p WHERE p.id = {PROFILE_ID}), "
        "'terms', coalesce((SELECT json_agg(json_build_object('kind', t.kind, 'name', t.name, "
        f"'aliases', t.aliases) ORDER BY t.kind, t.name, t.id) FROM {term} t), '[]'::json))::text)"
    )


def current_vocabulary() -> Vocabulary:
    """The company's vocabulary as stored now (one query), for callers that do not run a turn."""
    from pricing.selectors import active_price_vocabulary_sql

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {active_price_vocabulary_sql()}, {company_json_sql()}")
        price_json, company_json = cursor.fetchone()
    return vocabulary_from_json(price_json, company_json, knowledge_priced_unit())


def company_profile() -> CompanyProfile:
    """The profile row; an unsaved one with the defaults when staff have not written it yet."""
    return CompanyProfile.objects.filter(pk=PROFILE_ID).first() or CompanyProfile(pk=PROFILE_ID)
