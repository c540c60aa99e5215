"""The shell's pages: log-in, log-out, and the home page of each role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.org.models import Role
from tenderwatch.web import homes


def lockout_minutes() -> int:
    """How long a lock-out lasts (AXES_COOLOFF_TIME: hours, or a timedelta)."""
    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, dt.timedelta):
        return round(cooloff.total_seconds() / 60)
    return round(float(cooloff or 0) * 60)


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=gettext_lazy("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": gettext_lazy(
            "The user name or password is wrong. Both are case-sensitive. After %(limit)s "
            "failed attempts the account is locked for %(minutes)s minutes."
        ),
        "inactive": gettext_lazy(
            "This account is disabled. Ask the system administrator of the office."
        ),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT, "minutes": lockout_minutes()},
        )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Log-out by POST only (a link could be followed by a prefetcher or a forged page)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.info(request, _("You have logged out."))
        return response


def _render_home(request: HttpRequest, role: str, roles: list[str]) -> HttpResponse:
    labels = dict(Role.choices)
    context = {
        "role": role,
        "role_label": labels.get(role, role),
        "heading": homes.HEADINGS[role],
        "other_roles": [(r, labels.get(r, r)) for r in roles if r != role],
        **homes.BUILDERS[role](request.user),
        "home_panels": homes.panels_for(role, request.user),
    }
    return render(request, f"web/home/{role}.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home of the user's first role (see homes.ROLE_PRIORITY)."""
    roles = homes.roles_of(request.user)
    if not roles:
        return render(request, "web/home/no_role.html", status=200)
    return _render_home(request, roles[0], roles)


@login_required
def role_home(request: HttpRequest, role: str) -> HttpResponse:
    """The home of another of the user's roles (only roles the user holds)."""
    roles = homes.roles_of(request.user)
    if role not in roles:
        raise Http404
    return _render_home(request, role, roles)
