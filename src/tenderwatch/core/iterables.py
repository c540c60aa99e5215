"""Helpers over sequences."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST = 900  # values per SQL IN (…) list: under SQLite's historic limit of 999 parameters


def chunks(values: Sequence[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """`values` in consecutive lists of at most `size`, in order."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
