from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tenderwatch.core import context


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
