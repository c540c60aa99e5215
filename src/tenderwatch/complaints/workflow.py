"""The transition table of a matter, printable as is: intake (receipt → acceptance) and, after
acceptance, routing (自办 / 分办 / 转办), investigation, handling, decision approval, service and
archive.

Each row: from status, to status, the step that makes it, and who takes it. `transition()`
refuses any other change and appends the status history (append-only).

The public stage is what a filer sees on the tracking page: internal steps (a non-acceptance
waiting for approval) show as the review they belong to, so nothing internal leaks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.complaints.models import Matter, Status, StatusChange
from tenderwatch.core.errors import InvalidTransition

S = Status

# (from, to): (step, who)
TRANSITIONS: dict[tuple[str, str], tuple[Any, Any]] = {
    (S.RECEIVED, S.AWAITING_SUPPLEMENT): (
        gettext_lazy("request a supplement (补正)"),
        gettext_lazy("office staff"),
    ),
    (S.AWAITING_SUPPLEMENT, S.RECEIVED): (
        gettext_lazy("supplement received"),
        gettext_lazy("filer, or office staff for a letter"),
    ),
    (S.RECEIVED, S.ACCEPTED): (gettext_lazy("accept (受理)"), gettext_lazy("office staff")),
    (S.RECEIVED, S.REJECTION_PENDING): (
        gettext_lazy("propose non-acceptance, on the approval route"),
        gettext_lazy("office staff"),
    ),
    (S.AWAITING_SUPPLEMENT, S.REJECTION_PENDING): (
        gettext_lazy("propose non-acceptance (not supplemented)"),
        gettext_lazy("office staff"),
    ),
    (S.REJECTION_PENDING, S.NOT_ACCEPTED): (
        gettext_lazy("issue the notice of non-acceptance once approved"),
        gettext_lazy("office staff"),
    ),
    (S.REJECTION_PENDING, S.RECEIVED): (
        gettext_lazy("non-acceptance refused by the approver: review again"),
        gettext_lazy("office staff"),
    ),
    (S.RECEIVED, S.WITHDRAWN): (gettext_lazy("withdraw"), gettext_lazy("filer")),
    (S.AWAITING_SUPPLEMENT, S.WITHDRAWN): (gettext_lazy("withdraw"), gettext_lazy("filer")),
    (S.REJECTION_PENDING, S.WITHDRAWN): (gettext_lazy("withdraw"), gettext_lazy("filer")),
    (S.ACCEPTED, S.WITHDRAWN): (
        gettext_lazy("withdrawal allowed (CP-12)"),
        gettext_lazy("office staff, on the filer's request"),
    ),
    (S.COORDINATION, S.WITHDRAWN): (
        gettext_lazy("withdrawal allowed (CP-12)"),
        gettext_lazy("office staff, on the filer's request"),
    ),
    (S.INVESTIGATION, S.WITHDRAWN): (
        gettext_lazy("withdrawal allowed (CP-12)"),
        gettext_lazy("office staff, on the filer's request"),
    ),
    (S.HANDLING, S.WITHDRAWN): (
        gettext_lazy("withdrawal allowed (CP-12)"),
        gettext_lazy("office staff, on the filer's request"),
    ),
    # -- after acceptance: routing ------------------------------------------------------------
    (S.ACCEPTED, S.INVESTIGATION): (
        gettext_lazy("route: handled by the office (自办) or assigned to a department (分办)"),
        gettext_lazy("office staff"),
    ),
    (S.ACCEPTED, S.COORDINATION): (
        gettext_lazy("route: no or several competent departments, the office coordinates"),
        gettext_lazy("office staff"),
    ),
    (S.COORDINATION, S.INVESTIGATION): (
        gettext_lazy("coordination decided: assigned to the department decided"),
        gettext_lazy("office staff"),
    ),
    (S.ACCEPTED, S.TRANSFER_PENDING): (
        gettext_lazy("transfer to another body (转办) with a transfer letter"),
        gettext_lazy("office staff"),
    ),
    (S.COORDINATION, S.TRANSFER_PENDING): (
        gettext_lazy("transfer to another body (转办) with a transfer letter"),
        gettext_lazy("office staff"),
    ),
    (S.TRANSFER_PENDING, S.TRANSFERRED): (
        gettext_lazy("record the receiving body's receipt: closed for the office"),
        gettext_lazy("office staff"),
    ),
    # -- stages --------------------------------------------------------------------------------
    (S.INVESTIGATION, S.HANDLING): (
        gettext_lazy("close the investigation (two officers at least)"),
        gettext_lazy("handling department"),
    ),
    (S.HANDLING, S.INVESTIGATION): (
        gettext_lazy("investigate further"),
        gettext_lazy("handling department"),
    ),
    (S.HANDLING, S.DECISION_PENDING): (
        gettext_lazy("submit the draft decision on the approval route (承办 → 审核 → 审批)"),
        gettext_lazy("handling department"),
    ),
    (S.DECISION_PENDING, S.HANDLING): (
        gettext_lazy("draft decision rejected or withdrawn on the route: revise it"),
        gettext_lazy("handling department"),
    ),
    (S.DECISION_PENDING, S.DECIDED): (
        gettext_lazy("issue the decision once approved at its last level"),
        gettext_lazy("handling department"),
    ),
    (S.DECIDED, S.SERVED): (
        gettext_lazy("record the service (送达) with its proof"),
        gettext_lazy("handling department"),
    ),
    (S.SERVED, S.ARCHIVED): (
        gettext_lazy("archive with the case-file index"),
        gettext_lazy("handling department or office staff"),
    ),
    (S.TRANSFERRED, S.ARCHIVED): (
        gettext_lazy("archive with the case-file index"),
        gettext_lazy("office staff"),
    ),
}
# A duplicate of an open matter is created linked (并件); it never enters the queue.
INITIAL = (S.RECEIVED, S.LINKED)

PUBLIC_STAGE: dict[str, Any] = {
    S.RECEIVED: gettext_lazy("Received, under review"),
    S.AWAITING_SUPPLEMENT: gettext_lazy("Waiting for your supplement (补正)"),
    S.REJECTION_PENDING: gettext_lazy("Received, under review"),
    S.ACCEPTED: gettext_lazy("Accepted (已受理)"),
    S.NOT_ACCEPTED: gettext_lazy("Not accepted (不予受理)"),
    S.WITHDRAWN: gettext_lazy("Withdrawn"),
    S.LINKED: gettext_lazy("Joined to an earlier filing of yours"),
    S.COORDINATION: gettext_lazy("Accepted; being handled (已受理，正在办理)"),
    S.INVESTIGATION: gettext_lazy("Accepted; being handled (已受理，正在办理)"),
    S.HANDLING: gettext_lazy("Accepted; being handled (已受理，正在办理)"),
    S.DECISION_PENDING: gettext_lazy("Accepted; being handled (已受理，正在办理)"),
    S.DECIDED: gettext_lazy("Accepted; being handled (已受理，正在办理)"),
    S.SERVED: gettext_lazy("Concluded: decision served (已办结)"),
    S.TRANSFER_PENDING: gettext_lazy("Transferred to the competent body (已转办)"),
    S.TRANSFERRED: gettext_lazy("Transferred to the competent body (已转办)"),
    S.ARCHIVED: gettext_lazy("Concluded (已办结)"),
}


def allowed(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in TRANSITIONS


def transition(
    matter: Matter, *, to: str, actor: Any, at: dt.datetime, note: str = ""
) -> StatusChange:
    """Move `matter` to `to` (the caller saves the matter) and append the history row."""
    if not allowed(matter.status, to):
        raise InvalidTransition(
            _("This matter is “%(status)s”; it cannot become “%(to)s”.")
            % {"status": matter.get_status_display(), "to": Status(to).label}
        )
    change = StatusChange.objects.create(
        matter=matter,
        from_status=matter.status,
        to_status=to,
        at=at,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        note=note,
    )
    matter.status = to
    matter.status_changed_at = at
    return change


def record_initial(matter: Matter, *, actor: Any, at: dt.datetime, note: str = "") -> None:
    assert matter.status in INITIAL
    StatusChange.objects.create(
        matter=matter,
        from_status="",
        to_status=matter.status,
        at=at,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        note=note,
    )


def public_stage(matter: Matter) -> str:
    return str(PUBLIC_STAGE.get(matter.status, ""))


def table() -> list[dict[str, str]]:
    """The table for the docs and the UI."""
    labels = dict(Status.choices)
    return [
        {
            "from": str(labels[a]),
            "to": str(labels[b]),
            "step": str(step),
            "who": str(who),
        }
        for (a, b), (step, who) in TRANSITIONS.items()
    ]
