"""One domain error type, mapped centrally to HTTP answers and CLI messages.

Messages are for the user: translated (zh-hans by default), plain, and saying what to do.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses: bad state, bad input, rule of law not met."""

    http_status = 400

    def __init__(self, message: Any, *, code: str = "invalid", details: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists (same answer)."""

    http_status = 404

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        from django.utils.translation import gettext

        super().__init__(message or gettext("Not found."), code="not_found", **kwargs)


class PermissionDenied(DomainError):
    """The actor may see the object but may not do this to it."""

    http_status = 403

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        from django.utils.translation import gettext

        super().__init__(
            message or gettext("You are not allowed to do this."), code="forbidden", **kwargs
        )


class InvalidTransition(DomainError):
    """A workflow step that the transition table does not allow from the current status."""

    http_status = 409
