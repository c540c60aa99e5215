from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class SessionExpiredNoticeMiddleware:
    """Tells a user whose session ran out why they see the log-in page again.

    The browser still sends the cookie of a session the server has dropped (idle for longer
    than SESSION_COOKIE_AGE): such a request arrives with a session cookie and an empty session.
    The notice travels as a message (cookie storage), as the session itself is gone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            and not request.user.is_authenticated
            and request.session.is_empty()
            and request.method == "GET"
        ):
            minutes = settings.SESSION_COOKIE_AGE // 60
            messages.warning(
                request,
                _(
                    "Your session ended after %(minutes)s minutes without activity. "
                    "Please log in again."
                )
                % {"minutes": minutes},
            )
        return self.get_response(request)
