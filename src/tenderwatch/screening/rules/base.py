"""What a rule is (`RuleSpec`, `ParamSpec`), the laws it cites, and the small helpers every check
shares: wording of dates and amounts, and the constructor of its findings.

A rule's parameters are the numbers the office may change (with history, `RuleSetting`); each
has its default from RULES.md, its unit and, for periods, its day type (calendar or working
days, RULES.md D3/D4). Where RULES.md marks a number U or S, the description says that the
number is a configurable default to be checked against the official text.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language, gettext

from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity

if TYPE_CHECKING:
    from tenderwatch.screening.rules.state import LotState, ProjectState

_BY_LANGUAGE: dict[str | None, dict[Any, str]] = {}
_local = threading.local()


def _(message: str) -> str:
    """`gettext`; inside `wording()` remembered for the batch's language (a province batch words
    tens of thousands of findings, each a handful of lookups)."""
    cache: dict[Any, str] | None = getattr(_local, "cache", None)
    if cache is None:
        return gettext(message)
    found = cache.get(message)
    if found is None:
        found = cache[message] = gettext(message)
    return found


def label_of(choices: Any, value: str) -> str:
    """The translated label of a `TextChoices` value (remembered like `_`)."""
    cache: dict[Any, str] | None = getattr(_local, "cache", None)
    key = (choices, value)
    if cache is not None and key in cache:
        return cache[key]
    try:
        text = str(choices(value).label)
    except ValueError:
        text = value
    if cache is not None:
        cache[key] = text
    return text


@contextmanager
def wording() -> Iterator[None]:
    """Word findings in the active language, looking each sentence up once."""
    previous = getattr(_local, "cache", None)
    _local.cache = _BY_LANGUAGE.setdefault(get_language(), {})
    try:
        yield
    finally:
        _local.cache = previous


EVENT = "event"
SWEEP = "sweep"
SUPERVISION = "supervision"  # org.models.MatterType.SUPERVISION

CALENDAR = "calendar"
WORKING = "working"

# The laws, as users cite them.
LAW = "《招标投标法》"
REGS = "《招标投标法实施条例》"
MUST16 = "《必须招标的工程项目规定》"
WORKS30 = "《工程建设项目施工招标投标办法》"
EVAL12 = "《评标委员会和评标方法暂行规定》"
CIVIL = "《民法典》"
FAIR = "《招标投标领域公平竞争审查规则》"

ART_203 = LegalBasis(
    CIVIL, "第二百零三条", "期间最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"
)


@dataclass(frozen=True)
class ParamSpec:
    """A parameter the office may change. `default` fixes the type (int, Decimal, bool, str);
    `unit` is how the page shows it ("日", "工作日", "%", "元", "个", "分钟", ""); `day_type`
    says whether a number of days counts calendar or working days."""

    default: Any
    unit: str
    label: Any  # a lazy Chinese label
    day_type: str = ""
    help: Any = ""
    # Raises ValueError with a Chinese message when an office value is not acceptable (the
    # default's type is checked by the catalogue; this checks the meaning, e.g. a table).
    validate: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: Any  # lazy Chinese
    legal_basis: tuple[LegalBasis, ...]
    check: Callable[[ProjectState, Mapping[str, Any]], list[Finding]]
    applies: Callable[[ProjectState], bool] = lambda state: True
    params: Mapping[str, ParamSpec] = field(default_factory=dict)
    severity: str = Severity.MEDIUM
    timing: str = EVENT
    matter: str = SUPERVISION
    description: Any = ""
    # RULES.md's ✔ column for the rule's numbers: V (word for word), S (secondary), U.
    certainty: str = "V"
    # What the rule looks at: "project" (a ProjectState) or "approved_project" (a row of the
    # approved-project list with no project in the ledger: `must.check_not_entered`).
    subject: str = "project"

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def basis_text(self) -> str:
        return basis_text(self.legal_basis)


@functools.lru_cache(maxsize=256)
def _basis_text(bases: tuple[LegalBasis, ...]) -> str:
    return "、".join(f"{b.law}{b.article}" for b in bases)


def basis_text(bases: Iterable[LegalBasis]) -> str:
    """The provisions as cited: 《招标投标法》第二十四条, several joined with "、"."""
    return _basis_text(tuple(bases))


# -- wording --------------------------------------------------------------------------------------


def day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "—"


def when(value: dt.datetime | None) -> str:
    """A moment in China time to the minute: 2026-03-18 09:30."""
    if value is None:
        return "—"
    local = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return f"{local:%Y-%m-%d %H:%M}"


def yuan(amount: Decimal | None) -> str:
    """An amount as documents write it: 805,000.00元."""
    if amount is None:
        return "—"
    return _("%(amount)s yuan") % {"amount": f"{amount:,.2f}"}


def percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}%"


def number(value: Decimal | int) -> str:
    """A parameter as the office typed it: 2, 2.5, 800000 (no trailing zeros)."""
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return text
    return str(value)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cap_amount(base: Decimal, cap_percent: Decimal) -> Decimal:
    """`cap_percent`% of `base`, to the whole yuan (half up): securities are fixed in whole yuan,
    so 10% of 1,234,567.89元 allows 123,457元."""
    return (base * cap_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def param_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "是")
    return bool(value)


# -- findings -------------------------------------------------------------------------------------


def make_finding(
    rule_id: str,
    state: ProjectState,
    *,
    explanation: str,
    basis: tuple[LegalBasis, ...],
    facts: Iterable[Fact],
    key: str,
    severity: str,
    lot_id: int | None = None,
    event_id: int | None = None,
    entity_ids: Iterable[int] = (),
    data: Mapping[str, Any] | None = None,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        project_id=state.project_id,
        explanation=explanation,
        legal_basis=basis,
        facts=tuple(facts),
        severity=severity,
        lot_id=lot_id,
        event_id=event_id,
        entity_ids=tuple(sorted(set(entity_ids))),
        key=key,
        data=dict(data or {}),
    )


def lot_fact(state: ProjectState, lot_id: int | None) -> list[Fact]:
    """The lot a finding concerns, as its first fact (none for a project-wide finding)."""
    if lot_id is None:
        return []
    lot = state.lot(lot_id)
    if lot is None:
        return []
    return [Fact(_("Lot"), f"{lot.label} {lot.name}".strip(), f"lot:{lot.id}")]


def lot_finding(
    rule_id: str,
    state: ProjectState,
    lot: LotState,
    *,
    text: str,
    basis: tuple[LegalBasis, ...],
    facts: Iterable[Fact],
    severity: str,
    event_id: int | None,
    entity_ids: Iterable[int] = (),
    part: str = "",
) -> Finding:
    """A finding on `lot`: the lot is its first fact and its key, `lot:<external id>` (with
    `:<part>` where a rule finds several things on one lot)."""
    return make_finding(
        rule_id,
        state,
        explanation=text,
        basis=basis,
        facts=[*lot_fact(state, lot.id), *facts],
        key=f"lot:{lot.external_id}:{part}" if part else f"lot:{lot.external_id}",
        severity=severity,
        lot_id=lot.id,
        event_id=event_id,
        entity_ids=entity_ids,
    )


def rolled_note(rolled: bool | None, nominal: dt.date, final: dt.date) -> str:
    """The clause that explains a roll-forward under 民法典 第二百零三条, or that the calendar
    could not tell (a year without an official holiday schedule)."""
    if rolled:
        return _(
            ", its last day %(nominal)s being a statutory rest day, rolled forward to %(final)s "
            "under 《民法典》第二百零三条"
        ) % {"nominal": day(nominal), "final": day(final)}
    if rolled is None:
        return _(
            ", whether its last day %(nominal)s is a statutory rest day could not be checked (no "
            "holiday schedule for that year), so it was not rolled forward"
        ) % {"nominal": day(nominal)}
    return ""
