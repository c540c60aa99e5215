"""The contexts of the intake letters (受理通知书, 不予受理告知书, 补正通知书), issued through the
letters app (`integrations.issue_letter`); the kinds and their templates are registered by
`complaints.letters` (contracts.md). Each returns the Letter, or None without the letters app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenderwatch.complaints import checks, integrations
from tenderwatch.complaints.models import Clock, Deadline, Matter, RejectionGround

REMEDY = (
    "如不服本决定，可以自收到本告知书之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


def acceptance_letter(matter: Matter, shown: Sequence[Deadline], *, actor: Any) -> Any:
    conclusion = next(
        (d for d in shown if d.clock == Clock.CONCLUSION_PLAN and d.due_on is not None), None
    )
    user_phone = getattr(actor, "phone", "") or ""
    return integrations.issue_letter(
        kind="complaints.acceptance_notice",
        matter=matter,
        actor=actor,
        context={
            "received_on": integrations.day(matter.received_at),
            "accepted_on": integrations.day(matter.accepted_at),
            "conclusion_due": integrations.day(conclusion.due_on) if conclusion else "",
            "handling_department": str(matter.department) if matter.department else "",
            "contact_phone": user_phone,
        },
    )


def non_acceptance_letter(matter: Matter, *, actor: Any) -> Any:
    ground = RejectionGround(matter.rejection_ground)
    grounds = [{"ground": str(ground.label), "basis": checks.article_of(ground)}]
    if matter.rejection_reasoning.strip():
        grounds.append({"ground": matter.rejection_reasoning.strip(), "basis": ""})
    return integrations.issue_letter(
        kind="complaints.non_acceptance_notice",
        matter=matter,
        actor=actor,
        context={
            "received_on": integrations.day(matter.received_at),
            "grounds": grounds,
            "remedy": REMEDY,
        },
    )


def supplement_letter(matter: Matter, items: Sequence[str], due: Deadline, *, actor: Any) -> Any:
    return integrations.issue_letter(
        kind="complaints.supplement_request",
        matter=matter,
        actor=actor,
        context={"items": list(items), "supplement_due": integrations.day(due.due_on)},
    )
