"""Slowing down guesses of tracking codes: per client address and per filing number.

Kept in the database (`TrackingThrottle`), which every web process shares and which a district
install always has (Redis is optional). After `MAX_FAILURES` wrong codes within `WINDOW`, the key
is blocked for `BLOCK`, doubled at each further lock-out (up to `MAX_BLOCK`); while blocked even
the right code is refused, so guessing cannot go faster than the blocks allow. A success clears
the client's counter but not the number's, so spreading guesses over addresses does not help.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from tenderwatch.complaints.models import TrackingThrottle
from tenderwatch.core import timeutil

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
BLOCK = dt.timedelta(minutes=5)
MAX_BLOCK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Blocked:
    until: dt.datetime

    def minutes_left(self, now: dt.datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds() / 60))


def keys_for(*, client_ip: str | None, number: str) -> list[str]:
    keys = [f"number:{number.strip().upper()[:40]}"]
    if client_ip:
        keys.insert(0, f"ip:{client_ip[:64]}")
    return keys


def blocked(keys: list[str], *, now: dt.datetime | None = None) -> Blocked | None:
    now = now or timeutil.now()
    until = (
        TrackingThrottle.objects.filter(key__in=keys, blocked_until__gt=now)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return Blocked(until) if until else None


def _row(key: str, now: dt.datetime) -> TrackingThrottle:
    row = TrackingThrottle.objects.select_for_update().filter(key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return TrackingThrottle.objects.create(key=key, failures=0, window_started_at=now)
    except IntegrityError:
        return TrackingThrottle.objects.select_for_update().get(key=key)


@transaction.atomic
def record_failure(keys: list[str], *, now: dt.datetime | None = None) -> Blocked | None:
    """Count a wrong code against every key; the block it triggers, if any."""
    now = now or timeutil.now()
    result: Blocked | None = None
    for key in keys:
        row = _row(key, now)
        if now - row.window_started_at > WINDOW:
            row.failures = 0
            row.window_started_at = now
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            block = min(BLOCK * (2**row.lockouts), MAX_BLOCK)
            row.blocked_until = now + block
            row.lockouts += 1
            row.failures = 0
            row.window_started_at = now
            if result is None or row.blocked_until > result.until:
                result = Blocked(row.blocked_until)
        row.save()
    return result


def record_success(*, client_ip: str | None) -> None:
    if client_ip:
        TrackingThrottle.objects.filter(key=f"ip:{client_ip[:64]}", blocked_until=None).delete()
