"""Serializers of the CRM API: prospects with their interactions, and proposed CRM changes."""

from __future__ import annotations

from rest_framework import serializers

from crm.models import Interaction, Proposal, ProposalAuditEntry, Prospect
from salesagent.api_fields import StrictCharField, StrictModelSerializer


class InteractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interaction
        fields = ["id", "kind", "summary", "conversation", "created_at"]


class ProspectSerializer(StrictModelSerializer):
    """A prospect in the local CRM."""

    technologies = serializers.ListField(
        child=StrictCharField(max_length=100), required=False, max_length=100
    )
    lead_score = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text="0-100")

    class Meta:
        model = Prospect
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "company",
            "industry",
            "employees",
            "lead_score",
            "stage",
            "technologies",
            "notes",
            "last_contacted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_lead_score(self, value: int) -> int:
        if not 0 <= value <= 100:
            raise serializers.ValidationError("Lead score must be between 0 and 100.")
        return value

    def validate_technologies(self, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise serializers.ValidationError("Expected a list of strings.")
        return value


class ProspectDetailSerializer(ProspectSerializer):
    interactions = InteractionSerializer(many=True, read_only=True)

    class Meta(ProspectSerializer.Meta):
        fields = [*ProspectSerializer.Meta.fields, "interactions"]


class ProposalAuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ProposalAuditEntry
        fields = ["event", "actor", "backend", "before", "after", "remote_ids", "detail", "created_at"]


class ProposalSerializer(serializers.ModelSerializer):
    """A CRM change proposed by a turn's next step, and its decision."""

    analysis_id = serializers.IntegerField(read_only=True, help_text="The turn (analysis) that proposed it.")
    content = serializers.DictField(
        read_only=True,
        help_text="By action: CREATE_LEAD and UPDATE_CRM and MARK_NOT_INTERESTED have 'fields' and 'note'; "
        "SCHEDULE_FOLLOW_UP has 'title', 'body' and 'due_at'.",
    )
    remote_ids = serializers.DictField(
        read_only=True, help_text="Ids of the contact, note or task applying created."
    )

    class Meta:
        model = Proposal
        fields = [
            "id",
            "conversation",
            "analysis_id",
            "action",
            "prospect_id",
            "content",
            "reason",
            "state",
            "decided_by_label",
            "decided_at",
            "reject_reason",
            "backend",
            "remote_ids",
            "attempts",
            "error",
            "applied_at",
            "created_at",
        ]
        read_only_fields = fields


class ProposalDetailSerializer(ProposalSerializer):
    audit_entries = ProposalAuditEntrySerializer(many=True, read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "audit_entries"]
        read_only_fields = fields


class ProposalRejectSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text="Why the change should not be made.")
