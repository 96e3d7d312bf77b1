from __future__ import annotations

from rest_framework import serializers

from crm.models import Interaction, Prospect
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
