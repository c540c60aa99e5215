"""The unread badge in the site navigation:

{% load notifications_nav %}{% notifications_nav_item %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tenderwatch.notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_nav_item.html", takes_context=True)
def notifications_nav_item(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    url = reverse("notifications:inbox")
    return {
        "show": True,
        "url": url,
        "unread": unread_count(user),
        "active": request is not None and request.path.startswith(url),
    }
