"""The staff home page at ``/``."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apikeys.access import Access
from home.selectors import staff_home_panels
from salesagent.staff_pages import staff_page_context


def landing(request: HttpRequest) -> HttpResponse:
    # Not staff_member_required: a signed-in user who is not staff gets a 403, not a login form again.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    if not request.user.is_staff:
        raise PermissionDenied("The staff home is for staff users.")
    panels = staff_home_panels(access=Access.for_user(request.user), now=timezone.now())
    context = {**staff_page_context(request), "title": "Staff home", "panels": panels}
    return render(request, "home/landing.html", context)
