"""Browsing the audit trail (REQ-21, 监督留痕): filter, page, open an entry, verify the chain.

The trail grows to millions of rows, so the list filters only on indexed columns (seq,
occurred_at, action, actor_id, object_type + object_id), never counts the whole table, and pages
by keyset on `seq` ("older" / "newer" links) instead of page numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tenderwatch.audit import services
from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.timeutil import CHINA, end_of_china_day
from tenderwatch.org.scoping import can, ensure_allowed

PAGE_SIZE = 50

# What the shell's own actions mean, for the list; other actions show their code.
ACTION_LABELS: dict[str, Any] = {
    "auth.login": pgettext_lazy("audit action", "Logged in"),
    "auth.logout": pgettext_lazy("audit action", "Logged out"),
    "auth.login_failed": pgettext_lazy("audit action", "Failed log-in"),
    "auth.locked_out": pgettext_lazy("audit action", "Account locked"),
    "audit.verified": pgettext_lazy("audit action", "Audit chain verified"),
}


class TrailFilter(forms.Form):
    actor = forms.CharField(label=gettext_lazy("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=pgettext_lazy("audit field", "Action"), required=False, max_length=100
    )
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=gettext_lazy("From (China date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To (China date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


def _actor_filter(name: str) -> Q:
    """Entries by the account with this user name or full name (by the indexed actor id);
    for system actors ("system:cli") and removed accounts, by the stored name."""
    user_model = get_user_model()
    ids = list(
        user_model._default_manager.filter(
            Q(**{user_model.USERNAME_FIELD: name}) | Q(full_name=name)
        ).values_list("pk", flat=True)[:20]
    )
    return Q(actor_id__in=ids) if ids else Q(actor_name=name)


def filtered_entries(data: dict[str, Any]) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if data.get("actor"):
        qs = qs.filter(_actor_filter(data["actor"].strip()))
    action = (data.get("action") or "").strip()
    if action.endswith("*"):
        qs = qs.filter(action__startswith=action.rstrip("*"))
    elif action:
        qs = qs.filter(action=action)
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"].strip())
    if data.get("object_id"):
        qs = qs.filter(object_id=data["object_id"].strip())
    # Dates are China dates: a day runs from 00:00 to 24:00 Asia/Shanghai.
    if data.get("date_from"):
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(data["date_from"], dt.time.min, CHINA))
    if data.get("date_to"):
        qs = qs.filter(occurred_at__lt=end_of_china_day(data["date_to"]))
    return qs


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else None


@dataclass
class Page:
    rows: list[AuditEntry]
    older: int | None  # `before=` for the next (older) page
    newer: int | None  # `after=` for the previous (newer) page


def keyset_page(qs: QuerySet[AuditEntry], *, before: int | None, after: int | None) -> Page:
    """One page, newest first, by `seq`: never an OFFSET, never a COUNT."""
    if after is not None:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[: PAGE_SIZE + 1])
        more_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        more_older = bool(rows) and qs.filter(seq__lt=rows[-1].seq).exists()
    else:
        base = qs.filter(seq__lt=before) if before is not None else qs
        rows = list(base.order_by("-seq")[: PAGE_SIZE + 1])
        more_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        more_newer = bool(rows) and before is not None and qs.filter(seq__gt=rows[0].seq).exists()
    return Page(
        rows=rows,
        older=rows[-1].seq if rows and more_older else None,
        newer=rows[0].seq if rows and more_newer else None,
    )


def _query_without_paging(request: HttpRequest) -> str:
    params = request.GET.copy()
    for key in ("before", "after"):
        params.pop(key, None)
    return params.urlencode()


@login_required
def trail_list(request: HttpRequest) -> HttpResponse:
    ensure_allowed(request.user, "audit.view")
    form = TrailFilter(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = (
        keyset_page(
            filtered_entries(data),
            before=_int_param(request, "before"),
            after=_int_param(request, "after"),
        )
        if not form.errors
        else Page(rows=[], older=None, newer=None)
    )
    for entry in page.rows:
        entry.action_label = ACTION_LABELS.get(entry.action, "")  # type: ignore[attr-defined]
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_paging(request),
            "filtered": bool(data and any(data.values())),
            "can_verify": can(request.user, "audit.verify"),
        },
    )


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    return str(value)


def field_diff(before: Any, after: Any) -> list[dict[str, Any]]:
    """Rows of (field, before, after, changed) for the entry's before/after snapshots."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before is None and after is None:
            return []
        return [
            {
                "field": "",
                "before": _shown(before),
                "after": _shown(after),
                "changed": before != after,
            }
        ]
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    rows = []
    for key in sorted(set(old) | set(new)):
        rows.append(
            {
                "field": key,
                "before": _shown(old.get(key)) if key in old else "",
                "after": _shown(new.get(key)) if key in new else "",
                "changed": (key in old) != (key in new) or old.get(key) != new.get(key),
                "only_before": key in old and key not in new,
                "only_after": key in new and key not in old,
            }
        )
    return rows


@login_required
def entry_detail(request: HttpRequest, seq: int) -> HttpResponse:
    ensure_allowed(request.user, "audit.view")
    entry = AuditEntry.objects.filter(seq=seq).first()
    if entry is None:
        raise Http404
    diff = field_diff(entry.before, entry.after)
    return render(
        request,
        "audit/detail.html",
        {
            "entry": entry,
            "action_label": ACTION_LABELS.get(entry.action, ""),
            "diff": diff,
            "changed_only": [row for row in diff if row["changed"]],
            "has_before": entry.before is not None,
            "has_after": entry.after is not None,
            "previous_seq": seq - 1 if seq > 1 else None,
            "next_seq": seq + 1 if AuditEntry.objects.filter(seq=seq + 1).exists() else None,
            "can_verify": can(request.user, "audit.verify"),
        },
    )


# -- verification ----------------------------------------------------------------------------

_REASONS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^sequence gap: expected #(?P<expected>\d+), found #(?P<found>\d+)$"),
        gettext_lazy("sequence gap: entry #%(expected)s expected, #%(found)s found"),
    ),
    (
        re.compile(r"^previous-hash link does not match the entry before it$"),
        gettext_lazy("its link to the previous entry does not match the entry before it"),
    ),
    (
        re.compile(r"^content does not match its hash \(the entry was altered\)$"),
        gettext_lazy("its content does not match its hash: the entry was altered"),
    ),
    (
        re.compile(r"^chain head does not match the newest entry"),
        gettext_lazy(
            "the chain head does not match the newest entry: entries were removed or added"
        ),
    ),
    (
        re.compile(
            r"^hash differs from the anchor written at (?P<at>.*): the chain was rewritten$"
        ),
        gettext_lazy("its hash differs from the anchor written at %(at)s: the chain was rewritten"),
    ),
    (
        re.compile(r"^anchored at (?P<at>.*) but missing from the database$"),
        gettext_lazy("anchored at %(at)s but missing from the database"),
    ),
]


def explain(reason: str) -> str:
    """The verifier's reason, in the user's language."""
    for pattern, message in _REASONS:
        match = pattern.match(reason)
        if match:
            return str(message) % match.groupdict() if match.groupdict() else str(message)
    return reason


def _verification_summary(report: services.VerifyReport) -> dict[str, Any]:
    broken = report.first_broken
    return {
        "ok": report.ok,
        "entries": report.entries,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_broken_seq": broken.seq if broken else None,
        "first_broken_reason": broken.reason if broken else "",
        "anchors_checked": report.anchors_checked,
        "anchor_problems": len(report.anchor_problems),
    }


@login_required
@require_POST
def verify_chain(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain and its anchors now, and record that a verification was run."""
    ensure_allowed(request.user, "audit.verify")
    report = services.verify()  # reads only; takes no lock, so writers are not held up
    summary = _verification_summary(report)
    with transaction.atomic():
        entry = services.record(
            actor=request.user,
            action="audit.verified",
            object_type="audit.chain",
            object_id=report.head_seq,
            object_repr=f"head #{report.head_seq}",
            after=summary,
            note="web",
        )
    broken = report.first_broken
    return render(
        request,
        "audit/verify.html",
        {
            "report": report,
            "entry": entry,
            "broken": broken,
            "broken_reason": explain(broken.reason) if broken else "",
            "anchor_problems": [
                {"seq": p.seq, "reason": explain(p.reason)} for p in report.anchor_problems[:50]
            ],
            "more_anchor_problems": max(0, len(report.anchor_problems) - 50),
        },
    )
