"""``{% staff_nav %}``: the links between staff pages, shown in the header of every admin-styled page."""

from __future__ import annotations

from typing import Any

from django import template

from home.links import STAFF_LINKS

register = template.Library()


@register.inclusion_tag("home/staff_nav.html", takes_context=True)
def staff_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    current = request.path if request is not None else ""
    links = [
        {"title": link.title, "path": link.path, "current": _is_current(link.path, current)}
        for link in STAFF_LINKS
    ]
    return {"links": links}


def _is_current(path: str, current: str) -> bool:
    # "/" would otherwise match every page.
    return current == path if path == "/" else current.startswith(path)
