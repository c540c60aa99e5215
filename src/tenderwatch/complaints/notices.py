"""The texts of what the filer is told (回执, 补正通知, 受理通知, 不予受理告知书, …).

One constructor per notice; each returns (title, body) as plain text in the active language
(templates escape and break lines). A notice states the article it rests on where there is one
(投诉办法 第十一条: non-acceptance is notified in writing with its reasons).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from tenderwatch.complaints import checks
from tenderwatch.complaints.models import Deadline, Kind, Matter, RejectionGround
from tenderwatch.core import timeutil


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(timeutil.CHINA).strftime("%Y-%m-%d %H:%M")


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def _kind(matter: Matter) -> str:
    return _("complaint") if matter.kind == Kind.COMPLAINT else _("tip-off")


def receipt(matter: Matter, deadlines: Sequence[Deadline]) -> tuple[str, str]:
    lines = [
        _("Your %(kind)s was received on %(at)s and registered as %(number)s.")
        % {"kind": _kind(matter), "at": _when(matter.received_at), "number": matter.number},
        _("Keep the filing number and the tracking code: with both you can follow it online."),
    ]
    for d in deadlines:
        if d.due_on:
            lines.append(
                _("%(clock)s: by %(day)s 24:00 (%(basis)s).")
                % {"clock": d.get_clock_display(), "day": _day(d.due_on), "basis": d.legal_basis}
            )
    return _("Receipt of %(number)s") % {"number": matter.number}, "\n".join(lines)


def linked(matter: Matter) -> tuple[str, str]:
    return (
        _("Joined to your earlier filing"),
        _(
            "This filing concerns the same project and matter as an earlier filing of yours that "
            "is still being handled. It has been joined to it and is handled with it; what you "
            "sent now is part of the file."
        ),
    )


def supplement_request(matter: Matter, items: Sequence[str], due: Deadline) -> tuple[str, str]:
    body = [
        _("Your %(kind)s %(number)s lacks the following; please supplement it (补正):")
        % {"kind": _kind(matter), "number": matter.number},
        *[f"{i}. {item}" for i, item in enumerate(items, start=1)],
        _(
            "Supplement online on the tracking page, by %(day)s 24:00 (%(n)s working days). The "
            "time until you supplement is not counted in the review period (%(basis)s). A filing "
            "not supplemented in time may not be accepted."
        )
        % {"day": _day(due.due_on), "n": due.length, "basis": due.legal_basis},
    ]
    return _("Request to supplement %(number)s") % {"number": matter.number}, "\n".join(body)


def supplement_received(matter: Matter, at: dt.datetime) -> tuple[str, str]:
    return (
        _("Supplement received"),
        _("Your supplement was received on %(at)s; the review continues.") % {"at": _when(at)},
    )


def acceptance(matter: Matter, deadlines: Sequence[Deadline]) -> tuple[str, str]:
    lines = [
        _("Your %(kind)s %(number)s was accepted (受理) on %(at)s.")
        % {"kind": _kind(matter), "number": matter.number, "at": _when(matter.accepted_at)}
    ]
    for d in deadlines:
        if d.due_on:
            lines.append(
                _("%(clock)s: by %(day)s 24:00 (%(basis)s).")
                % {"clock": d.get_clock_display(), "day": _day(d.due_on), "basis": d.legal_basis}
            )
    lines.append(_("You will find the outcome on the tracking page."))
    return _("Notice of acceptance of %(number)s") % {"number": matter.number}, "\n".join(lines)


def non_acceptance(matter: Matter) -> tuple[str, str]:
    ground = RejectionGround(matter.rejection_ground)
    lines = [
        _("Your %(kind)s %(number)s, received on %(at)s, is not accepted (不予受理).")
        % {"kind": _kind(matter), "number": matter.number, "at": _when(matter.received_at)},
        _("Ground: %(ground)s (%(article)s).")
        % {"ground": ground.label, "article": checks.article_of(ground)},
    ]
    if matter.rejection_reasoning.strip():
        lines.append(_("Reasons: %(text)s") % {"text": matter.rejection_reasoning.strip()})
    if ground == RejectionGround.FILED_ELSEWHERE_FIRST:
        lines.append(
            _("The body that received the matter first handles it (%(article)s).")
            % {"article": checks.ART_61_1}
        )
    if ground == RejectionGround.NOT_COMPETENT:
        lines.append(_("You may file it with the competent authority."))
    if ground == RejectionGround.NO_STANDING:
        lines.append(_("Anyone may report the matter as a tip-off (举报)."))
    return (
        _("Notice of non-acceptance of %(number)s") % {"number": matter.number},
        "\n".join(lines),
    )


def withdrawal(matter: Matter) -> tuple[str, str]:
    lines = [
        _("Your %(kind)s %(number)s was withdrawn on %(at)s.")
        % {"kind": _kind(matter), "number": matter.number, "at": _when(matter.withdrawn_at)}
    ]
    if matter.kind == Kind.COMPLAINT:
        # 投诉办法 第十九条 (CP-12): no new complaint on the same facts and grounds.
        lines.append(
            _(
                "A complaint withdrawn with permission cannot be filed again on the same facts "
                "and grounds (工程建设项目招标投标活动投诉处理办法 第十九条)."
            )
        )
    return _("Withdrawal of %(number)s") % {"number": matter.number}, "\n".join(lines)


def withdrawal_refused(matter: Matter, reason: str) -> tuple[str, str]:
    return (
        _("Withdrawal of %(number)s not allowed") % {"number": matter.number},
        _("Your request to withdraw was not allowed: %(reason)s") % {"reason": reason},
    )
