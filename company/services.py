"""Writes of the company profile and terms: from the admin, and from a company file (``load_company``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm
from conversations.intents import reader_retrain_later


@dataclass
class CompanyLoadReport:
    profile: str = ""  # "created", "updated", "left alone"
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"company profile {self.profile}; terms: {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.kept)} left alone"
        )


def company_profile_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The profile's fields a company file gives (its ``unit`` holds English under ``en``)."""
    units = dict(data.get("unit") or {})
    singular, plural = units.pop("en", ["", ""])
    return {
        "name": data.get("name", ""),
        "pitch_categories": list(data.get("pitch_categories") or []),
        "unit_singular": singular,
        "unit_plural": plural,
        "unit_translations": units,
    }


@transaction.atomic
def company_load(data: dict[str, Any], *, replace: bool = False) -> CompanyLoadReport:
    """Create the profile and terms a company file describes.

    Without ``replace`` what staff already wrote is kept: an existing profile is left as it is and
    an existing term keeps its aliases (new aliases are added). With ``replace`` the file wins.
    """
    report = CompanyLoadReport()
    fields = company_profile_fields(data)
    profile = CompanyProfile.objects.select_for_update().filter(pk=PROFILE_ID).first()
    if profile is None:
        profile = CompanyProfile(pk=PROFILE_ID, **fields)
        profile.full_clean()
        profile.save()
        report.profile = "created"
    elif replace:
        for key, value in fields.items():
            setattr(profile, key, value)
        profile.full_clean()
        profile.save()
        report.profile = "updated"
    else:
        report.profile = "left alone"
    stored: dict[tuple[str, str], CompanyTerm] = {
        (term.kind, term.name.lower()): term for term in CompanyTerm.objects.select_for_update()
    }
    for row in data.get("terms") or []:
        aliases = [alias.strip() for alias in row.get("aliases") or [] if alias.strip()]
        label = f"{row['kind']} {row['name']}"
        term = stored.get((row["kind"], row["name"].lower()))
        if term is None:
            created = CompanyTerm(kind=row["kind"], name=row["name"], aliases=aliases)
            created.full_clean()
            created.save()
            report.created.append(label)
            continue
        merged = aliases if replace else list(dict.fromkeys([*term.aliases, *aliases]))
        if merged != term.aliases:
            term.aliases = merged
            term.save(update_fields=["aliases"])
            report.updated.append(label)
        else:
            report.kept.append(label)
    return report


@transaction.atomic
def company_term_save(term: CompanyTerm) -> CompanyTerm:
    """Save a term staff entered; the reader learns the company's names, so it retrains after commit."""
    term.save()
    reader_retrain_later()
    return term


@transaction.atomic
def company_term_delete(term: CompanyTerm) -> None:
    term.delete()
    reader_retrain_later()
