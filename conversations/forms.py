"""The staff playground's form."""

from __future__ import annotations

from django import forms
from django.conf import settings

from crm.models import Prospect


class PlaygroundForm(forms.Form):
    message = forms.CharField(
        max_length=settings.MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Can I pay in installments?"}),
    )
    prospect = forms.ModelChoiceField(
        queryset=Prospect.objects.order_by("external_id"),
        required=False,
        empty_label="(unknown prospect)",
        to_field_name="external_id",
    )
    conversation_id = forms.IntegerField(
        required=False, min_value=1, help_text="Continue a stored conversation (its history is used)."
    )
