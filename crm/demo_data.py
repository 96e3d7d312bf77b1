"""The demo CRM roster, shipped as ``crm/demo/prospects.json``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction

from apikeys.access import SYSTEM
from crm.models import Prospect
from crm.services import prospect_create, prospect_update
from salesagent.demo import DemoLoadReport

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "prospects.json"


def _demo_fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {key: value for key, value in row.items() if key != "external_id"}
    if fields.get("last_contacted_at"):
        stamp = fields["last_contacted_at"].replace("Z", "+00:00")
        fields["last_contacted_at"] = datetime.fromisoformat(stamp)
    return fields


@transaction.atomic
def load_demo_prospects(*, reset: bool = False, path: Path = DEMO_FILE) -> DemoLoadReport:
    """Create the demo prospects (of ``path``, default the demo's) that are missing; with ``reset``,
    also restore edited ones."""
    report = DemoLoadReport()
    for row in json.loads(path.read_text(encoding="utf-8")):
        external_id, fields = row["external_id"], _demo_fields(row)
        existing = Prospect.objects.select_for_update().filter(external_id=external_id).first()
        differs = existing is not None and any(getattr(existing, k) != v for k, v in fields.items())
        if existing is None:
            prospect_create(access=SYSTEM, external_id=external_id, **fields)
        elif differs and reset:
            prospect_update(access=SYSTEM, prospect=existing, **fields)
        report.record(external_id, created=existing is None, differs=differs, reset=reset)
    return report
