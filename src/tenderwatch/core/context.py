"""Who is acting, from where, in which request: carried in context variables.

The web middleware fills them per request; management commands and the feed API set them
explicitly. The audit trail reads them, so services need not pass the request around.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None = None
    channel: str = "web"  # web, api, cli, system


_current: ContextVar[RequestContext | None] = ContextVar("tw_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id=new_request_id(), channel="system")
    return ctx


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(
    *, channel: str, client_ip: str | None = None, request_id: str | None = None
) -> Iterator[RequestContext]:
    ctx = RequestContext(
        request_id=request_id or new_request_id(), client_ip=client_ip, channel=channel
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
