"""Recomputing stored deadlines when the calendar changes.

Deadlines are computed once, stored on their records and indexed (DESIGN.md, "Workflows and
approvals"). When a year's schedule is entered or replaced, every app that stores deadlines
recomputes those of its open records in the changed years. Each app registers one function in
its `AppConfig.ready()`:

    from tenderwatch.workdays.deadlines import register_recompute

    def recompute_complaint_deadlines(years: set[int]) -> int:
        # open complaints whose clock runs through any of `years`, and those whose deadline
        # could not be computed yet (CalendarNotAvailable) and now can
        ...
        return count

    register_recompute(recompute_complaint_deadlines)

A function receives the set of changed years and returns how many records it recomputed. It
runs after the schedule's transaction has committed, with the new calendar, in the process that
saved the schedule (a change comes about once a year; an app whose recomputation outgrows a
request should hand it to a sweeper command or a worker); it opens its own transactions.
One function failing does not stop the others: the failure is logged and shown in the
`workdays.deadlines.recomputed` audit entry.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

log = logging.getLogger("tenderwatch.workdays")

RecomputeFn = Callable[[set[int]], int]

_REGISTRY: dict[str, RecomputeFn] = {}


def _name_of(fn: RecomputeFn) -> str:
    return f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}"


def register_recompute(fn: RecomputeFn, *, name: str | None = None) -> RecomputeFn:
    """Register `fn(years) -> count`; usable as a decorator. Registering again is harmless."""
    key = name or _name_of(fn)
    existing = _REGISTRY.get(key)
    if existing is not None and existing is not fn:
        raise RuntimeError(f"another recompute function is registered as {key!r}")
    _REGISTRY[key] = fn
    return fn


def unregister_recompute(fn: RecomputeFn, *, name: str | None = None) -> None:
    _REGISTRY.pop(name or _name_of(fn), None)


def registered() -> dict[str, RecomputeFn]:
    return dict(_REGISTRY)


@contextlib.contextmanager
def recompute_registered(fn: RecomputeFn, *, name: str | None = None) -> Iterator[RecomputeFn]:
    """Register `fn` for the duration of a block (tests)."""
    register_recompute(fn, name=name)
    try:
        yield fn
    finally:
        unregister_recompute(fn, name=name)


def recompute_all(years: set[int]) -> dict[str, int | str]:
    """Run every registered function; the count per function, or its error."""
    results: dict[str, int | str] = {}
    for key, fn in sorted(_REGISTRY.items()):
        try:
            results[key] = int(fn(set(years)))
        except Exception as exc:  # one app's failure must not hide the others' work
            log.exception("recomputing deadlines failed in %s", key)
            results[key] = f"error: {type(exc).__name__}: {exc}"
    return results
