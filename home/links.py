"""The staff pages and where they live: one list for the landing page, the admin header and the banner
``make run`` prints, so the three never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

CREATE_STAFF_LOGIN = ".venv/bin/python manage.py createsuperuser"


@dataclass(frozen=True)
class StaffLink:
    title: str
    url_name: str
    description: str

    @property
    def path(self) -> str:
        return reverse(self.url_name)


STAFF_HOME = StaffLink("Staff home", "home:landing", "evaluation figures, index status and today's traffic")
STAFF_LINKS: tuple[StaffLink, ...] = (
    STAFF_HOME,
    StaffLink("Admin", "admin:index", "conversations, knowledge documents, prospects, intents, API keys"),
    StaffLink("Playground", "conversations:playground", "send a message as a prospect and see the turn"),
    StaffLink("API docs", "api-docs", "Swagger UI for the REST API (signed in, every scope)"),
    StaffLink("Evaluation", "evaluation:run-list", "run_eval reports, newest first"),
)


def run_banner(*, base_url: str, staff_logins: int) -> str:
    """What ``make run`` prints before serving: every staff page's URL, and how to get a staff login."""
    base = base_url.rstrip("/")
    width = max(len(link.title) for link in STAFF_LINKS)
    lines = ["Staff pages (sign in with a staff login):"]
    lines += [f"  {link.title:<{width}}  {base}{link.path}" for link in STAFF_LINKS]
    if staff_logins:
        lines.append(f"{staff_logins} staff login(s) exist; create another with: {CREATE_STAFF_LOGIN}")
    else:
        lines.append(f"No staff login yet; create one with: {CREATE_STAFF_LOGIN}")
    return "\n".join(lines)
