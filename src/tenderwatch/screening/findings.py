"""What every check returns: a finding, with the facts that prove it and its legal basis.

The statutory rules (`screening.rules`), the collusion screens (`screening.collusion`) and later
checks (credit, documents) all return `Finding`s; `screening.services` turns them into warnings
(预警), merging a finding into the open warning that has the same fingerprint. Findings are
plain, immutable values: checks stay pure functions of the ledger state, testable without a
database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    INFO = "info", _("For information")


@dataclass(frozen=True)
class LegalBasis:
    """One provision: `law` as users cite it (《招标投标法》), `article` in Chinese (第二十四条)."""

    law: str
    article: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.law}{self.article}"


@dataclass(frozen=True)
class Fact:
    """One fact a finding rests on: a Chinese label, its value, and where it comes from
    (`ref`: "event:<pk>", "bid:<pk>", "lot:<pk>", "document:<sha256>", "entity:<pk>", …; the
    collusion screens name a bid by its external id, "bid:<external id>", as the platform and
    the generator's labels do)."""

    label: str
    value: Any
    ref: str = ""


@dataclass(frozen=True)
class Finding:
    """A rule or screen fired. `key` identifies the facts (not their wording): the same facts
    found again give the same fingerprint and are merged into one warning."""

    rule_id: str
    project_id: int
    explanation: str
    legal_basis: tuple[LegalBasis, ...]
    facts: tuple[Fact, ...]
    severity: str = Severity.MEDIUM
    lot_id: int | None = None
    event_id: int | None = None
    entity_ids: tuple[int, ...] = ()
    key: str = ""
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def fingerprint(self) -> str:
        raw = json.dumps(
            [self.rule_id, self.project_id, self.lot_id, self.key or sorted(self.entity_ids)],
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def facts_json(self) -> list[dict[str, Any]]:
        return [{"label": f.label, "value": plain(f.value), "ref": f.ref} for f in self.facts]


def plain(value: Any) -> Any:
    """A fact's value as JSON: dates and datetimes in ISO form, decimals as strings."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
