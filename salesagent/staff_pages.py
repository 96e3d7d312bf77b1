"""What every staff page outside the admin (staff home, playground, evaluation reports) passes to its
template so that it wears the admin's header: site name, user links and log-out."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


def staff_page_context(request: HttpRequest) -> dict[str, Any]:
    # The admin's app sidebar would squeeze these pages' wide tables; the header's staff links suffice.
    return {**admin.site.each_context(request), "is_nav_sidebar_enabled": False}
