"""Create an API key for a user (creating the user if needed); prints only the key, which is not stored."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apikeys.access import ALL_SCOPES, DEFAULT_SCOPES
from apikeys.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for USERNAME (creating the user, without a password, if needed) and print it. "
        f"Default scopes: {' '.join(DEFAULT_SCOPES)}; --staff gives every scope and admin access."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            nargs="+",
            metavar="SCOPE",
            help=f"Scopes of the key (any of: {' '.join(sorted(ALL_SCOPES))}); commas also separate.",
        )
        parser.add_argument(
            "--staff", action="store_true", help="Every scope, and staff access to the admin for the user."
        )
        parser.add_argument("--expires-in-days", type=int, help="The key stops working after this many days.")
        parser.add_argument("--name", help="A name for the key (default: the username).")

    def handle(
        self,
        *args: object,
        username: str,
        scopes: list[str] | None,
        staff: bool,
        expires_in_days: int | None,
        name: str | None,
        **options: object,
    ) -> None:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        if staff:
            user.is_staff = True
        user.save()
        if staff:
            wanted = sorted(ALL_SCOPES)
        elif scopes:
            wanted = [scope for item in scopes for scope in item.split(",")]
        else:
            wanted = list(DEFAULT_SCOPES)
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be positive")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            _, secret = api_key_create(user=user, name=name or username, scopes=wanted, expires_at=expires_at)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(secret)
