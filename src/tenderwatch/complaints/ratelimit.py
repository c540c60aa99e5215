"""A cap on public filings per client address: at most N stored filings within a window.

`TW_COMPLAINTS_FILING_RATE` is "N/window", the window a unit (s, m, h, d) with an optional count:
"10/h" (the default), "30/15m", "100/d". Each value is parsed once; a malformed value is a
configuration error (ImproperlyConfigured), not a silently missing limit.

The count lives in the database, in the table of the tracking throttle (`TrackingThrottle`, keys
"filing:ip:<address>", which the tracking throttle's "ip:"/"number:" keys never meet), so every
web process shares it and a district install needs nothing more. The window is fixed: it opens
at the first filing from an address and lasts the window; within it, filing N+1 is refused
(HTTP 429 on the form, which is shown again with what the filer typed; nothing is stored).

Only stored filings count: the slot is taken before filing and given back when the filing is
refused or fails. A retry of a filing that is already stored (same submission token) is never
refused, so a filer whose connection broke still gets the code of what they filed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from tenderwatch.complaints import crypto
from tenderwatch.complaints.models import Matter, TrackingThrottle
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError

log = logging.getLogger("tenderwatch.complaints")

DEFAULT_RATE = "10/h"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    window: dt.timedelta


@functools.lru_cache(maxsize=16)
def parse(value: str) -> Rate:
    """ "10/h" → Rate(10, 1 hour); "30/15m" → Rate(30, 15 minutes)."""
    match = _PATTERN.match(value or "")
    if match is None or int(match.group(1)) < 1 or match.group(2) in {"0", "00"}:
        raise ImproperlyConfigured(
            f"TW_COMPLAINTS_FILING_RATE must read like '10/h' or '30/15m' (got {value!r})"
        )
    count, multiple, unit = match.groups()
    seconds = int(multiple or 1) * _UNITS[unit]
    if seconds < 1:
        raise ImproperlyConfigured(f"TW_COMPLAINTS_FILING_RATE has an empty window: {value!r}")
    return Rate(int(count), dt.timedelta(seconds=seconds))


def rate() -> Rate:
    return parse(getattr(settings, "TW_COMPLAINTS_FILING_RATE", DEFAULT_RATE))


class FilingRateLimited(DomainError):
    """Too many filings from one address within the window."""

    http_status = 429

    def __init__(self, *, limit: Rate, until: dt.datetime, now: dt.datetime) -> None:
        wait = max(1, math.ceil((until - now).total_seconds() / 60))
        window = max(1, math.ceil(limit.window.total_seconds() / 60))
        super().__init__(
            _(
                "Too many filings from your network address: at most %(limit)s within "
                "%(window)s minutes. Try again in %(wait)s minutes; what you entered is kept "
                "below."
            )
            % {"limit": limit.limit, "window": window, "wait": wait},
            code="rate_limited",
            details={"until": until},
        )
        self.until = until


def key_for(client_ip: str | None) -> str:
    return f"filing:ip:{(client_ip or 'unknown')[:64]}"


def _row(key: str, now: dt.datetime) -> TrackingThrottle:
    row = TrackingThrottle.objects.select_for_update().filter(key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return TrackingThrottle.objects.create(key=key, failures=0, window_started_at=now)
    except IntegrityError:  # created meanwhile by another request
        return TrackingThrottle.objects.select_for_update().get(key=key)


def take(client_ip: str | None, *, now: dt.datetime | None = None) -> str:
    """Count one filing against the address; its key. FilingRateLimited when over the rate."""
    now = now or timeutil.now()
    limit = rate()
    key = key_for(client_ip)
    with transaction.atomic():
        row = _row(key, now)
        if now - row.window_started_at >= limit.window:
            row.failures = 0
            row.window_started_at = now
        if row.failures >= limit.limit:
            until = row.window_started_at + limit.window
            log.info("filing refused: %s over %s filings until %s", key, limit.limit, until)
            raise FilingRateLimited(limit=limit, until=until, now=now)
        row.failures += 1
        row.save(update_fields=["failures", "window_started_at"])
    return key


def give_back(key: str) -> None:
    """Return a slot whose filing was not stored."""
    TrackingThrottle.objects.filter(key=key, failures__gt=0).update(failures=F("failures") - 1)


def already_filed(token: str) -> bool:
    return Matter.objects.filter(submission_key=crypto.submission_key(token or "")).exists()


@contextlib.contextmanager
def filing_slot(
    client_ip: str | None, token: str, *, now: dt.datetime | None = None
) -> Iterator[None]:
    """Around the filing: take a slot (or raise FilingRateLimited); give it back on failure."""
    if already_filed(token):
        yield
        return
    key = take(client_ip, now=now)
    try:
        yield
    except BaseException:
        give_back(key)
        raise
