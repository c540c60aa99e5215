from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.response import TemplateResponse
from django.utils import translation

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied

log = logging.getLogger("tenderwatch.web")


def client_ip_of(request: HttpRequest) -> str | None:
    # Behind the office's reverse proxy, the proxy sets X-Forwarded-For; only its first hop is
    # the client. Deployments without a proxy must not trust the header (TW_TRUST_PROXY).
    from django.conf import settings

    if getattr(settings, "TW_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Binds a request id and the client address for the audit trail; echoes the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else None
        channel = "api" if request.path.startswith("/api/") else "web"
        with context.bind(
            channel=channel, client_ip=client_ip_of(request), request_id=request_id
        ) as ctx:
            request.request_id = ctx.request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class LanguageMiddleware(LocaleMiddleware):
    """zh-hans unless the user chose another language (Django's set_language cookie).

    The browser's Accept-Language is not consulted: the office works in Chinese whatever
    language the workstation's browser was installed in; English is a deliberate choice.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            with contextlib.suppress(LookupError):  # an unknown code: keep the default
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DomainErrorMiddleware:
    """Turns a DomainError that escapes a view into a page (or JSON under /api/).

    NotFound answers with the 404 page and PermissionDenied with the 403 page, so an object the
    user may not know about looks like one that does not exist; any other DomainError shows its
    message on web/error.html with the error's HTTP status.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        status = exception.http_status
        message = str(exception.message)
        log.info(
            "domain error %s (%s) on %s %s", exception.code, status, request.method, request.path
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": exception.code}, status=status)
        if isinstance(exception, NotFound):
            template = "404.html"
        elif isinstance(exception, PermissionDenied):
            template = "403.html"
        else:
            template = "web/error.html"
        response = TemplateResponse(
            request,
            template,
            {"message": message, "code": exception.code, "status": status, "exception": message},
            status=status,
        )
        return response.render()
