"""The demo CRM roster, shipped as ``crm/demo/prospects.json``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from django.db import transaction

from crm.client import invalidate_prospect_cache
from crm.models import Prospect

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "prospects.json"


@transaction.atomic
def load_demo_prospects() -> tuple[int, int]:
    """Upsert the demo prospects by external id; returns (created, updated)."""
    created = updated = 0
    for row in json.loads(DEMO_FILE.read_text(encoding="utf-8")):
        fields = {key: value for key, value in row.items() if key != "external_id"}
        if fields.get("last_contacted_at"):
            fields["last_contacted_at"] = datetime.fromisoformat(
                fields["last_contacted_at"].replace("Z", "+00:00")
            )
        _, was_created = Prospect.objects.update_or_create(external_id=row["external_id"], defaults=fields)
        invalidate_prospect_cache(row["external_id"])
        created += was_created
        updated += not was_created
    return created, updated
