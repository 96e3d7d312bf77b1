"""The local CRM: prospects and the interactions the agent has had with them."""

from __future__ import annotations

from django.db import models


class Prospect(models.Model):
    class Stage(models.TextChoices):
        LEAD = "lead", "Lead"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        CUSTOMER = "customer", "Customer"
        LOST = "lost", "Lost"

    external_id = models.CharField(
        max_length=64, unique=True, help_text="Id used by API clients, e.g. prospect_001."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    company = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    lead_score = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LEAD)
    technologies = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company or self.external_id})"


class Interaction(models.Model):
    class Kind(models.TextChoices):
        INBOUND_MESSAGE = "inbound_message", "Inbound message"
        AGENT_REPLY = "agent_reply", "Agent reply"
        NOTE = "note", "Note"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="interactions")
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.INBOUND_MESSAGE)
    summary = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.prospect.external_id}"
