"""The selling company as the agent speaks of it: what it sells a unit of, the tools it integrates
with, its competitors, and the knowledge it keeps out of replies to unhappy prospects.

Plans, prices and discounts live in the price book (``pricing``); everything else the agent must know
about the company, rather than about sales in general, lives here, edited in the admin.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

PROFILE_ID = 1


def _word_list(help_text: str) -> ArrayField:
    return ArrayField(models.CharField(max_length=80), default=list, blank=True, help_text=help_text)


class CompanyProfile(models.Model):
    """One row (id 1): read by entities, quotes, drafts and the model prompt."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=PROFILE_ID, editable=False)
    name = models.CharField(max_length=100, blank=True, help_text="The company's name, as replies write it.")
    unit_singular = models.CharField(
        max_length=40,
        blank=True,
        help_text="What a plan's price is per, in English: seat, agent, user. Blank: what the knowledge "
        "base prices per ('$39 per agent per month'), else seat.",
    )
    unit_plural = models.CharField(
        max_length=40,
        blank=True,
        help_text="Its plural: seats, agents, users (blank: the singular with an s).",
    )
    unit_translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='The unit in other languages, singular and plural: {"es": ["agente", "agentes"]}. '
        "A language without one uses the reply phrasebook's word for users.",
    )
    pitch_categories = _word_list(
        "Knowledge categories that are a sales pitch (demos, meetings), comma-separated: not offered "
        "to a prospect who complains or is angry."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=PROFILE_ID), name="company_profile_single_row")]

    def __str__(self) -> str:
        return self.name or "Company profile"

    def clean(self) -> None:
        translations = self.unit_translations
        if not isinstance(translations, dict) or any(
            not isinstance(words, list) or len(words) != 2 or not all(isinstance(w, str) and w for w in words)
            for words in translations.values()
        ):
            raise ValidationError(
                {
                    "unit_translations": "Give each language its singular and plural: "
                    '{"es": ["agente", "agentes"]}.'
                }
            )


class CompanyTerm(models.Model):
    """A name the agent recognises in messages (by the name or an alias): a tool the product integrates
    with, a competitor, a feature of the product, or another product prospects ask about. A question
    about a tool, competitor or other product the knowledge base never mentions gets a holding reply."""

    class Kind(models.TextChoices):
        INTEGRATION = "integration", "Integration or tool"
        COMPETITOR = "competitor", "Competitor"
        FEATURE = "feature", "Product feature or topic"
        OTHER = "other", "Other product prospects name"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=80, help_text="As replies write it, e.g. Zendesk.")
    aliases = _word_list("Other spellings prospects use, comma-separated, e.g. ms teams, msteams.")

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint("kind", Lower("name"), name="unique_company_term_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"
