"""The warning workflow as a table: which action moves a warning from which status to which.

    new ──assign──► assigned ──verify──► verifying ──confirm──► confirmed ──close──► closed
                     ▲    │                 │  │                                   ▲
                     └────┘ reassign        │  └──dismiss──► dismissed ──close──────┘
                     ◄──────── reassign ────┘

- assign: to the competent department by the authority list (谁主管谁监管), automatically when
  the warning is raised; to the office where the list names none or several departments.
- reassign: the office, with a reason (协调处理争议).
- confirm: with an action (order to correct, suspend the tendering, refer for rectification,
  refer for a case); dismiss: with a reason and its category.
- Some decisions need approval first (`NEEDS_APPROVAL`): the approval route `APPROVAL_ROUTE`
  (approvals module, routes as data in the district configuration).

Merging a duplicate finding and escalating an overdue warning leave the status as it is; they
are recorded in the history too (`HISTORY_ONLY`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.core.errors import InvalidTransition
from tenderwatch.screening.findings import Severity
from tenderwatch.screening.models import ConfirmAction, WarningStatus

S = WarningStatus

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "raise": (("",), S.NEW),
    "assign": ((S.NEW,), S.ASSIGNED),
    "reassign": ((S.ASSIGNED, S.VERIFYING), S.ASSIGNED),
    "verify": ((S.ASSIGNED,), S.VERIFYING),
    "confirm": ((S.VERIFYING,), S.CONFIRMED),
    "dismiss": ((S.VERIFYING,), S.DISMISSED),
    "close": ((S.CONFIRMED, S.DISMISSED), S.CLOSED),
}

# Actions recorded in the history that do not change the status.
HISTORY_ONLY = ("merge", "escalate", "submit_for_approval", "refer", "instruct")

ACTION_LABELS = {
    "raise": gettext_lazy("Raised"),
    "assign": gettext_lazy("Assigned"),
    "reassign": gettext_lazy("Reassigned"),
    "verify": gettext_lazy("Verification started"),
    "confirm": gettext_lazy("Confirmed"),
    "dismiss": gettext_lazy("Dismissed"),
    "close": gettext_lazy("Closed"),
    "merge": gettext_lazy("Found again (merged)"),
    "escalate": gettext_lazy("Escalated to the office head"),
    "submit_for_approval": gettext_lazy("Decision submitted for approval"),
    "refer": gettext_lazy("Referred"),
    "instruct": gettext_lazy("Instruction sent to the trading platform"),
}

APPROVAL_ROUTE = "warning_decision"


def needs_approval(*, outcome: str, action: str = "", severity: str = "") -> bool:
    """Decisions that are approved before they take effect (REQ-15): suspending the tendering
    (招标投标法实施条例 第六十二条, a step that stops a procedure), and dismissing a warning of
    high severity (so a serious finding is never set aside by one officer alone)."""
    if outcome == "confirm":
        return action == ConfirmAction.SUSPEND
    if outcome == "dismiss":
        return severity == Severity.HIGH
    return False


def allowed(action: str, status: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return status in sources


def target(action: str, status: str) -> str:
    """The status `action` leads to from `status`, or InvalidTransition."""
    if action not in TRANSITIONS:
        raise InvalidTransition(_("Unknown action “%(action)s”.") % {"action": action})
    sources, to = TRANSITIONS[action]
    if status not in sources:
        labels = dict(WarningStatus.choices)
        raise InvalidTransition(
            _("“%(action)s” is not possible for a warning whose status is “%(status)s”.")
            % {"status": labels.get(status, status), "action": ACTION_LABELS.get(action, action)},
            code="invalid_transition",
        )
    return to


def actions_from(status: str) -> list[str]:
    """The actions the table allows from `status` (for the page's buttons)."""
    return [a for a, (sources, _to) in TRANSITIONS.items() if status in sources]


def table() -> list[tuple[str, list[str], str]]:
    """(action label, from-status labels, to-status label), printable in docs and the UI."""
    labels = dict(WarningStatus.choices)
    return [
        (
            str(ACTION_LABELS[action]),
            [str(labels.get(s, "—")) if s else "—" for s in sources],
            str(labels[to]),
        )
        for action, (sources, to) in TRANSITIONS.items()
    ]
