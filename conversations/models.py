"""Conversations with prospects, and what the agent concluded and proposed for each turn."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Intent(models.Model):
    """A label the classifier can give a prospect message; staff edit examples in the admin."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    primary_action = models.CharField(max_length=64)
    examples = models.JSONField(default=list, blank=True, help_text="Example utterances, one string each.")
    knowledge_categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Knowledge-base categories where answers to this intent usually live; "
        "search ranks them higher without excluding others.",
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    topic = models.CharField(max_length=200, blank=True)
    prospect = models.ForeignKey(
        "crm.Prospect", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    external_prospect_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Conversation {self.pk}" + (
            f" with {self.external_prospect_id}" if self.external_prospect_id else ""
        )


class Message(models.Model):
    class Sender(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    content = models.TextField()
    timestamp = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["conversation", "timestamp"], name="message_conversation_ts")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.content[:60]}"


class AnalysisResult(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="analyses")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="analyses")
    intent = models.CharField(max_length=64, db_index=True)
    sentiment = models.CharField(max_length=10)
    entities = models.JSONField(default=list)
    key_points = models.JSONField(default=list)
    priority = models.CharField(max_length=10)
    action_required = models.BooleanField(default=True)
    confidence = models.FloatField()
    brain = models.CharField(max_length=20)
    model_name = models.CharField(max_length=100, blank=True)
    latency_ms = models.FloatField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    prompt_version = models.CharField(max_length=40, blank=True)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.intent} ({self.confidence:.2f})"


class ActionableOutput(models.Model):
    analysis = models.OneToOneField(AnalysisResult, on_delete=models.CASCADE, related_name="output")
    response_text = models.TextField()
    action_type = models.CharField(max_length=64)
    next_steps = models.JSONField(default=list)
    tool_usage_log = models.JSONField(default=list)
    knowledge_citations = models.JSONField(default=list)
    crm_snapshot = models.JSONField(null=True, blank=True)
    reasoning_trace = models.TextField(blank=True)
    degraded = models.BooleanField(default=False)
    unsupported_claims = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.action_type


class TurnRequest(models.Model):
    """A turn request sent with an ``Idempotency-Key``: a retry gets the stored response back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="turn_requests"
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="turn_requests",
        help_text="The stored inbound message; a retry after a crash answers it instead of storing it again.",
    )
    response = models.JSONField(null=True, blank=True, help_text="Set once the turn has been answered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="turn_request_user_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({'answered' if self.response is not None else 'in progress'})"
