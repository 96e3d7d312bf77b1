"""Print the staff pages' URLs and how to create a staff login (the banner of ``make run``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from home.links import run_banner


class Command(BaseCommand):
    help = "Print the URLs of the staff pages and how to create a staff login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the server listens.")

    def handle(self, *args: Any, **options: Any) -> None:
        staff_logins = get_user_model().objects.filter(is_staff=True, is_active=True).count()
        self.stdout.write(run_banner(base_url=options["base_url"], staff_logins=staff_logins))
