"""Legal checks at intake, each with its article, shown to the filer and to the clerk.

RULES.md §1.7 (CP-01 … CP-07) for complaints under 招标投标法; §1.7b (GP-01 … GP-05) for
government procurement complaints routed to 财政 ("question first"). A check has an outcome:

- `fail`: a statutory ground for non-acceptance (不予受理) seems to apply; the clerk proposes
  non-acceptance on that ground, or accepts with a written reason;
- `warn`: something to supplement (补正) or to look at;
- `info` / `ok`: noted.

The checks are a pure function of the matter and its attachments, evaluated when shown (so they
follow a reclassification or a supplement, in the reader's language); `summary()` is what is
stored on the record and in the audit entry at each step. "certainty" repeats RULES.md's column:
V checked against the statute, S against a secondary source, U unverified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch.complaints.models import (
    FilerKind,
    FilerRole,
    Kind,
    Matter,
    Purpose,
    RejectionGround,
    RuleSet,
    Subject,
)
from tenderwatch.core import timeutil
from tenderwatch.workdays import calendar
from tenderwatch.workdays.calendar import CalendarNotAvailable

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"

ART_60_1 = "招标投标法实施条例 第六十条第一款"
ART_60_2 = "招标投标法实施条例 第六十条第二款"
ART_61_1 = "招标投标法实施条例 第六十一条第一款"
MEASURES_7 = "工程建设项目招标投标活动投诉处理办法 第七条"
MEASURES_11 = "工程建设项目招标投标活动投诉处理办法 第十一条"
MEASURES_12 = "工程建设项目招标投标活动投诉处理办法 第十二条"
GP_LAW_52 = "政府采购法 第五十二条"
GP_LAW_55 = "政府采购法 第五十五条"
GP_94 = "政府采购质疑和投诉办法（财政部令第94号）"
PLAN_4_5_2 = "区实施方案 四（五）2"
AUTHORITY = "招标投标法实施条例 第四条；区权责清单"

# Each ground for non-acceptance with its article and how sure RULES.md is of it.
GROUNDS: dict[str, tuple[tuple[Any, ...], str]] = {
    RejectionGround.NO_STANDING: ((ART_60_1, MEASURES_12), "S"),
    RejectionGround.NOT_SPECIFIC: ((MEASURES_12,), "S"),
    RejectionGround.NO_IDENTITY: ((MEASURES_12,), "S"),
    RejectionGround.OUT_OF_TIME: ((ART_60_1, MEASURES_12), "V"),
    RejectionGround.NO_OBJECTION: ((ART_60_2,), "V"),
    RejectionGround.ALREADY_DECIDED: ((MEASURES_12,), "S"),
    RejectionGround.IN_REVIEW: ((MEASURES_12,), "S"),
    RejectionGround.FILED_ELSEWHERE_FIRST: ((ART_61_1,), "V"),
    RejectionGround.NOT_COMPETENT: ((MEASURES_11,), "S"),
    RejectionGround.SUPPLEMENT_MISSING: ((MEASURES_7, GP_94), "U"),
    RejectionGround.GP_NO_QUESTION: ((GP_LAW_55,), "U"),
    RejectionGround.GP_OUT_OF_TIME: ((GP_LAW_55,), "U"),
}

# The tenderer answers an objection within 3 days (条例 第二十二条、第五十四条); at the opening,
# on the spot (第四十四条).
OBJECTION_REPLY_DAYS: dict[str, int] = {
    Subject.PREQUALIFICATION_DOCUMENTS: 3,
    Subject.TENDER_DOCUMENTS: 3,
    Subject.EVALUATION_RESULT: 3,
    Subject.OPENING: 0,
}


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    article: str
    certainty: str
    outcome: str
    message: str
    ground: str = ""
    missing: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def article_of(ground: str) -> str:
    articles, _certainty = GROUNDS.get(ground, ((), "U"))
    return "；".join(str(a) for a in articles)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _purposes(matter: Matter, purposes: Iterable[str] | None) -> set[str]:
    if purposes is not None:
        return set(purposes)
    if matter.pk is None:
        return set()
    return set(matter.attachments.values_list("purpose", flat=True))


def _content(matter: Matter, purposes: set[str]) -> Check:
    """CP-05: what a complaint must contain (投诉办法 第七条); a tip-off, facts and a name."""
    given = matter.identity_given or {}
    missing: list[str] = []
    complaint = matter.kind == Kind.COMPLAINT
    if complaint:
        if not given.get("name"):
            missing.append(_("the complainant's name"))
        if not given.get("address"):
            missing.append(_("the complainant's address"))
        if not given.get("contact"):
            missing.append(_("a valid contact (telephone or e-mail)"))
    if not matter.respondent_name.strip():
        missing.append(_("the name of whom the filing is against"))
    if complaint and not (matter.respondent_address.strip() or matter.respondent_contact.strip()):
        missing.append(_("the respondent's address or contact"))
    if len(matter.facts.strip()) < 10:
        missing.append(_("the basic facts"))
    if complaint and not matter.requests.strip():
        missing.append(_("what is asked and the claims"))
    if complaint and not ({Purpose.EVIDENCE, Purpose.SUPPLEMENT} & purposes):
        missing.append(_("usable leads and supporting evidence"))
    if complaint and matter.objection_on and Purpose.OBJECTION not in purposes:
        if matter.rule_set == RuleSet.PROCUREMENT:
            missing.append(_("proof of the question (质疑) and of its answer"))
        elif matter.needs_objection_first:
            missing.append(_("proof of the objection (异议) and of its answer"))
    if complaint:
        if matter.filer_kind == FilerKind.ENTITY and Purpose.SIGNED_LETTER not in purposes:
            missing.append(
                _(
                    "the complaint signed by the legal representative or an authorised "
                    "representative and sealed"
                )
            )
        if matter.filer_kind == FilerKind.PERSON and not (
            matter.declaration and Purpose.IDENTITY_PROOF in purposes
        ):
            missing.append(_("the complainant's signature and a proof of identity"))
    title = _("Content of the filing")
    if matter.kind == Kind.TIP_OFF:
        article, certainty = str(PLAN_4_5_2), "U"
    elif matter.rule_set == RuleSet.PROCUREMENT:
        article, certainty = str(GP_94), "U"
    else:
        article, certainty = str(MEASURES_7), "S"
    if missing:
        return Check(
            "CP-05",
            title,
            article,
            certainty,
            WARN,
            _("Missing, to be supplemented (补正): %(items)s.") % {"items": "；".join(missing)},
            missing=tuple(missing),
        )
    return Check("CP-05", title, article, certainty, OK, _("The filing has the required content."))


def _fail(code: str, title: str, ground: str, message: str) -> Check:
    return Check(code, title, article_of(ground), GROUNDS[ground][1], FAIL, message, ground=ground)


def _standing(matter: Matter) -> Check | None:
    title = _("Standing to complain")
    if matter.filer_role == FilerRole.NONE:
        return _fail(
            "CP-06",
            title,
            RejectionGround.NO_STANDING,
            _(
                "Only a bidder or another interested party may complain; anyone may report the "
                "matter as a tip-off (举报) instead."
            ),
        )
    if not matter.filer_role:
        return Check(
            "CP-06",
            title,
            str(ART_60_1),
            "V",
            WARN,
            _("The filer's standing (bidder or interested party) is not stated."),
        )
    return Check(
        "CP-06", title, str(ART_60_1), "V", OK, _("The filer states a standing to complain.")
    )


def _identity(matter: Matter) -> Check | None:
    if matter.filer_kind != FilerKind.ANONYMOUS:
        return None
    if matter.kind == Kind.TIP_OFF:
        return Check(
            "TIP",
            _("Anonymous tip-off"),
            str(PLAN_4_5_2),
            "U",
            INFO,
            _("Anonymous: the informant follows the matter with the tracking code only."),
        )
    return _fail(
        "CP-06",
        _("Real name and contact"),
        RejectionGround.NO_IDENTITY,
        _("A complaint needs the complainant's real name, signature and a valid contact."),
    )


def _complaint_window(matter: Matter, received: dt.date) -> Check:
    """CP-01: 10 days from when the complainant knew or should have known; the time the
    tenderer took to answer a prior objection is not counted (条例 第六十条)."""
    title = _("Complaint period (10 days)")
    if matter.knew_on is None:
        return Check(
            "CP-01",
            title,
            str(ART_60_1),
            "V",
            WARN,
            _("The date on which the complainant knew or should have known is not stated."),
            missing=(_("the date on which the matter became known"),),
        )
    paused = 0
    if matter.objection_on and matter.needs_objection_first:
        answered = matter.objection_reply_on or received
        paused = max(0, (answered - max(matter.objection_on, matter.knew_on)).days)
    try:
        last_day = calendar.add_calendar_days(matter.knew_on, 10 + paused)
    except CalendarNotAvailable as exc:
        return Check("CP-01", title, str(ART_60_1), "V", WARN, str(exc.message))
    detail = _("known on %(known)s; the period ends on %(end)s") % {
        "known": _date(matter.knew_on),
        "end": _date(last_day),
    }
    if paused:
        detail += _(" (%(n)s days of the objection's answer not counted)") % {"n": paused}
    if received > last_day:
        return _fail(
            "CP-01",
            title,
            RejectionGround.OUT_OF_TIME,
            _("Received on %(received)s, after the period: %(detail)s.")
            % {"received": _date(received), "detail": detail},
        )
    return Check(
        "CP-01",
        title,
        str(ART_60_1),
        "V",
        OK,
        _("Received within the period: %(detail)s.") % {"detail": detail},
    )


def _objection_first(matter: Matter, received: dt.date) -> Check | None:
    if not matter.needs_objection_first:
        return None
    title = _("Objection to the tenderer first")
    if matter.objection_on is None:
        return _fail(
            "CP-01",
            title,
            RejectionGround.NO_OBJECTION,
            _(
                "A complaint about %(subject)s must first be raised as an objection (异议) with "
                "the tenderer."
            )
            % {"subject": matter.get_subject_display()},
        )
    days = OBJECTION_REPLY_DAYS.get(matter.subject, 3)
    if matter.objection_reply_on is None and days:
        try:
            reply_by = calendar.add_calendar_days(matter.objection_on, days)
        except CalendarNotAvailable as exc:
            return Check("CP-01", title, str(ART_60_2), "V", WARN, str(exc.message))
        if received <= reply_by:
            return Check(
                "CP-01",
                title,
                str(ART_60_2),
                "V",
                WARN,
                _(
                    "Objection made on %(on)s; the tenderer may answer until %(by)s, so the "
                    "complaint came before the answer was due."
                )
                % {"on": _date(matter.objection_on), "by": _date(reply_by)},
            )
    return Check(
        "CP-01",
        title,
        str(ART_60_2),
        "V",
        OK,
        _("Objection made on %(on)s; answered on %(reply)s.")
        % {"on": _date(matter.objection_on), "reply": _date(matter.objection_reply_on)},
    )


def _procurement(matter: Matter, received: dt.date) -> list[Check]:
    """GP-01, GP-03: question the purchaser first, complain within 15 working days after the
    answer or after the 7 working days the purchaser had to answer."""
    title = _("Question (质疑) to the purchaser first")
    if matter.objection_on is None:
        return [
            _fail(
                "GP-01",
                title,
                RejectionGround.GP_NO_QUESTION,
                _(
                    "In government procurement a supplier first puts a written question (质疑) "
                    "to the purchaser or its agency, and complains only about the answer."
                ),
            )
        ]
    out: list[Check] = []
    try:
        if matter.knew_on is not None:
            question_by = calendar.add_workdays(matter.knew_on, 7)
            if matter.objection_on > question_by:
                out.append(
                    Check(
                        "GP-01",
                        title,
                        str(GP_LAW_52),
                        "U",
                        WARN,
                        _(
                            "The question was put on %(on)s, after the 7 working days from "
                            "%(known)s (until %(by)s)."
                        )
                        % {
                            "on": _date(matter.objection_on),
                            "known": _date(matter.knew_on),
                            "by": _date(question_by),
                        },
                    )
                )
        answer_end = matter.objection_reply_on or calendar.add_workdays(matter.objection_on, 7)
        last_day = calendar.add_workdays(answer_end, 15)
    except CalendarNotAvailable as exc:
        return [*out, Check("GP-03", title, str(GP_LAW_55), "U", WARN, str(exc.message))]
    window = _("Complaint period (15 working days)")
    if received > last_day:
        out.append(
            _fail(
                "GP-03",
                window,
                RejectionGround.GP_OUT_OF_TIME,
                _("Received on %(received)s; the period ended on %(end)s.")
                % {"received": _date(received), "end": _date(last_day)},
            )
        )
    elif matter.objection_reply_on is None and received <= answer_end:
        out.append(
            Check(
                "GP-03",
                window,
                str(GP_LAW_55),
                "U",
                WARN,
                _("The purchaser may still answer the question until %(by)s.")
                % {"by": _date(answer_end)},
            )
        )
    else:
        out.append(
            Check(
                "GP-03",
                window,
                str(GP_LAW_55),
                "U",
                OK,
                _("Received within the period, which ends on %(end)s.") % {"end": _date(last_day)},
            )
        )
    return out


def _elsewhere(matter: Matter, received: dt.date) -> Check | None:
    """CP-02: the same matter filed with two competent bodies is handled by the first."""
    if not matter.filed_elsewhere:
        return None
    title = _("Same matter filed with another body")
    body = matter.elsewhere_body or _("another body")
    if matter.elsewhere_on is None:
        return Check(
            "CP-02",
            title,
            str(ART_61_1),
            "V",
            WARN,
            _("Filed also with %(body)s; the date is not stated, and decides who handles it.")
            % {"body": body},
        )
    if matter.elsewhere_on < received:
        return _fail(
            "CP-02",
            title,
            RejectionGround.FILED_ELSEWHERE_FIRST,
            _("Filed with %(body)s on %(on)s, before it reached us: the first receiver handles it.")
            % {"body": body, "on": _date(matter.elsewhere_on)},
        )
    return Check(
        "CP-02",
        title,
        str(ART_61_1),
        "V",
        INFO,
        _("Filed with %(body)s on %(on)s, not before us: this office handles it.")
        % {"body": body, "on": _date(matter.elsewhere_on)},
    )


def _history(matter: Matter) -> list[Check]:
    out: list[Check] = []
    complaint = matter.kind == Kind.COMPLAINT
    if matter.previously_decided:
        title = _("Decided before")
        if matter.has_new_evidence:
            out.append(
                Check(
                    "CP-06",
                    title,
                    str(MEASURES_12),
                    "S",
                    INFO,
                    _("Decided before; the filer brings new evidence."),
                )
            )
        elif complaint:
            out.append(
                _fail(
                    "CP-06",
                    title,
                    RejectionGround.ALREADY_DECIDED,
                    _("The matter was decided before and no new evidence is offered."),
                )
            )
        else:
            out.append(
                Check(
                    "CP-06",
                    title,
                    str(MEASURES_12),
                    "S",
                    WARN,
                    _("The matter was decided before and no new evidence is offered."),
                )
            )
    if matter.in_review_or_litigation and complaint:
        out.append(
            _fail(
                "CP-06",
                _("Administrative review or litigation"),
                RejectionGround.IN_REVIEW,
                _("The matter is already in administrative review or before a court."),
            )
        )
    return out


def _specific(matter: Matter, purposes: set[str]) -> Check | None:
    if len(matter.facts.strip()) >= 30 or purposes & {Purpose.EVIDENCE, Purpose.SUPPLEMENT}:
        return None
    return Check(
        "CP-06",
        _("Specific facts and leads"),
        str(MEASURES_12),
        "S",
        WARN,
        _("The facts are brief and no evidence is attached; ask for leads before deciding."),
    )


def _competence(matter: Matter) -> Check:
    title = _("Competent department")
    if matter.department_id is None:
        return Check(
            "REQ-04",
            title,
            str(AUTHORITY),
            "V",
            INFO,
            matter.competence_note
            or _("No single competent department: the office coordinates who handles it."),
        )
    return Check(
        "REQ-04",
        title,
        str(AUTHORITY),
        "V",
        INFO,
        matter.competence_note or str(matter.department),
    )


def _duplicate(matter: Matter) -> Check | None:
    if matter.linked_to_id is None:
        return None
    original = matter.linked_to
    return Check(
        "DUP",
        _("Duplicate of an open matter"),
        str(PLAN_4_5_2),
        "U",
        INFO,
        _(
            "Same filer, project and matter as %(number)s, which is still open: linked to it "
            "and not counted twice."
        )
        % {"number": original.number if original else "—"},
    )


def run(matter: Matter, *, purposes: Iterable[str] | None = None) -> list[Check]:
    """Every check that applies to `matter`, in the order a clerk reads them."""
    received = timeutil.china_date(matter.received_at)
    have = _purposes(matter, purposes)
    out: list[Check | None] = [_content(matter, have)]
    if matter.kind == Kind.COMPLAINT:
        out += [_standing(matter), _identity(matter)]
        if matter.rule_set == RuleSet.PROCUREMENT:
            out += _procurement(matter, received)
        else:
            out += [_complaint_window(matter, received), _objection_first(matter, received)]
    else:
        out.append(_identity(matter))
    out += [_elsewhere(matter, received), *_history(matter), _specific(matter, have)]
    out += [_competence(matter), _duplicate(matter)]
    return [c for c in out if c is not None]


def summary(checks: Iterable[Check]) -> list[dict[str, Any]]:
    """What is stored and audited: code, outcome, ground, missing items."""
    return [
        {"code": c.code, "outcome": c.outcome, "ground": c.ground, "missing": list(c.missing)}
        for c in checks
    ]


def failing(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if c.outcome == FAIL]


def missing_items(checks: Iterable[Check]) -> list[str]:
    out: list[str] = []
    for c in checks:
        out.extend(m for m in c.missing if m not in out)
    return out
