"""What every page of the shell shows: navigation, who is logged in, the idle timeout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from tenderwatch.org.models import Role
from tenderwatch.web import homes, nav
from tenderwatch.web.views import lockout_minutes


def _nav_links(request: HttpRequest, user: Any) -> list[dict[str, Any]]:
    links = []
    for item in nav.items_for(user):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # an app registered an entry whose page is not routed (yet)
        links.append({"label": item.label, "url": url, "active": request.path.startswith(url)})
    return links


def shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {
        "site_title": settings.SITE_TITLE,
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "helpdesk": getattr(settings, "TW_HELPDESK", ""),
        # The log-in and lock-out pages tell the rule (django-axes settings).
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": lockout_minutes(),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav_links"] = _nav_links(request, user)
        labels = dict(Role.choices)
        context["user_roles"] = "、".join(str(labels[r]) for r in homes.roles_of(user))
        context["user_department"] = user.department
    return context
