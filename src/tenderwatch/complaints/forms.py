"""Forms of the public filing page, the clerk's entry page and the review actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenderwatch.complaints import checks, files
from tenderwatch.complaints.identity import Identity
from tenderwatch.complaints.models import (
    Channel,
    FilerKind,
    FilerRole,
    Kind,
    Purpose,
    RejectionGround,
    StopReason,
    Subject,
)
from tenderwatch.complaints.services import STAFF_CHANNELS, Filing
from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger.models import Lot, Project
from tenderwatch.org.models import Industry

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _industry_choices() -> list[tuple[str, Any]]:
    return [("", gettext_lazy("Not known")), *Industry.choices]


class FilingForm(forms.Form):
    """The public form: a complaint or a tip-off, without an account."""

    token = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("What do you file?"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        initial=Kind.COMPLAINT,
    )
    filer_kind = forms.ChoiceField(
        label=gettext_lazy("You file as"),
        choices=FilerKind.choices,
        widget=forms.RadioSelect,
        initial=FilerKind.PERSON,
        help_text=gettext_lazy("Only a tip-off may be anonymous."),
    )
    name = forms.CharField(
        label=gettext_lazy("Name (person or organisation)"), max_length=120, required=False
    )
    id_number = forms.CharField(
        label=gettext_lazy("ID card number, or unified social credit code"),
        max_length=30,
        required=False,
    )
    contact_person = forms.CharField(
        label=gettext_lazy("Contact person (for an organisation)"), max_length=60, required=False
    )
    phone = forms.CharField(label=gettext_lazy("Telephone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=120, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    filer_role = forms.ChoiceField(
        label=gettext_lazy("Your part in the tender (complaints)"),
        choices=[("", "—"), *FilerRole.choices],
        required=False,
    )
    respondent_name = forms.CharField(
        label=gettext_lazy("Against whom (name)"), max_length=200, required=False
    )
    respondent_address = forms.CharField(
        label=gettext_lazy("Their address"), max_length=300, required=False
    )
    respondent_contact = forms.CharField(
        label=gettext_lazy("Their telephone or other contact"), max_length=100, required=False
    )
    project_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    project_text = forms.CharField(
        label=gettext_lazy("Project (name or code, if not found in the search)"),
        max_length=300,
        required=False,
    )
    industry = forms.ChoiceField(
        label=gettext_lazy("Kind of project"), choices=_industry_choices, required=False
    )
    subject = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=Subject.choices)
    knew_on = forms.DateField(
        label=gettext_lazy("When did you learn of it (or should have)?"),
        required=False,
        widget=DATE,
    )
    objection_on = forms.DateField(
        label=gettext_lazy(
            "Date of your objection (异议) to the tenderer — for government procurement, of your "
            "question (质疑) to the purchaser"
        ),
        required=False,
        widget=DATE,
    )
    objection_reply_on = forms.DateField(
        label=gettext_lazy("Date of their answer"), required=False, widget=DATE
    )
    filed_elsewhere = forms.BooleanField(
        label=gettext_lazy("I have filed the same matter with another body"), required=False
    )
    elsewhere_body = forms.CharField(
        label=gettext_lazy("Which body"), max_length=120, required=False
    )
    elsewhere_on = forms.DateField(label=gettext_lazy("On"), required=False, widget=DATE)
    previously_decided = forms.BooleanField(
        label=gettext_lazy("The matter has been decided before"), required=False
    )
    has_new_evidence = forms.BooleanField(
        label=gettext_lazy("I bring new evidence"), required=False
    )
    in_review_or_litigation = forms.BooleanField(
        label=gettext_lazy("The matter is in administrative review or before a court"),
        required=False,
    )
    facts = forms.CharField(
        label=pgettext_lazy("filing", "Facts"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
    )
    grounds = forms.CharField(
        label=gettext_lazy("Grounds (rules you think were broken)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        required=False,
    )
    requests = forms.CharField(
        label=gettext_lazy("What do you ask for?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        required=False,
    )
    evidence = MultipleFileField(label=gettext_lazy("Evidence files"), required=False)
    objection_file = forms.FileField(
        label=gettext_lazy("Your objection and its answer"), required=False
    )
    signed_letter = forms.FileField(
        label=gettext_lazy(
            "Complaint signed by the legal representative and sealed (organisations)"
        ),
        required=False,
    )
    identity_proof = forms.FileField(
        label=gettext_lazy("Copy of your ID card (persons)"), required=False
    )
    declaration = forms.BooleanField(
        label=gettext_lazy(
            "I declare that the facts are true and the materials genuine, and I sign this filing."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("evidence", "objection_file", "signed_letter", "identity_proof"):
            self.fields[name].widget.attrs["accept"] = (
                ".pdf,.jpg,.jpeg,.png,.gif,.doc,.docx,.xls,.xlsx"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, filer_kind = data.get("kind"), data.get("filer_kind")
        if kind == Kind.COMPLAINT:
            if filer_kind == FilerKind.ANONYMOUS:
                self.add_error(
                    "filer_kind",
                    _("A complaint cannot be anonymous; an anonymous report is a tip-off."),
                )
            if not data.get("name"):
                self.add_error("name", _("A complaint needs the complainant's real name."))
            if not (data.get("phone") or data.get("email")):
                self.add_error("phone", _("Give a telephone number or an e-mail address."))
            if not data.get("declaration"):
                self.add_error(
                    "declaration", _("A complaint must be signed: tick the declaration.")
                )
        elif filer_kind != FilerKind.ANONYMOUS and not data.get("name"):
            self.add_error("name", _("Give your name, or choose to file anonymously."))
        if not (data.get("project_choice") or data.get("project_text")):
            self.add_error("project_text", _("Name the project, or pick it from the search."))
        count = len(data.get("evidence") or []) + sum(
            1 for n in ("objection_file", "signed_letter", "identity_proof") if data.get(n)
        )
        if count > files.max_files():
            self.add_error(
                "evidence",
                _("At most %(n)s files can be attached to one filing.") % {"n": files.max_files()},
            )
        for day_field in ("knew_on", "objection_on", "objection_reply_on", "elsewhere_on"):
            day = data.get(day_field)
            if day is not None and day > dt.datetime.now(CHINA).date():
                self.add_error(day_field, _("This date lies in the future."))
        return data

    def chosen(self) -> tuple[Project | None, Lot | None]:
        """The project (and lot) picked in the search: "p:<id>" or "l:<id>"."""
        value = (self.cleaned_data.get("project_choice") or "").strip()
        prefix, _sep, raw = value.partition(":")
        if not raw.isdigit():
            return None, None
        if prefix == "l":
            lot = Lot.objects.select_related("project").filter(pk=int(raw)).first()
            return (lot.project, lot) if lot else (None, None)
        if prefix == "p":
            return Project.objects.filter(pk=int(raw)).first(), None
        return None, None

    def filing(self, **extra: Any) -> Filing:
        data = self.cleaned_data
        project, lot = self.chosen()
        uploads: list[tuple[str, Any]] = [(Purpose.EVIDENCE, f) for f in data.get("evidence") or []]
        for name, purpose in (
            ("objection_file", Purpose.OBJECTION),
            ("signed_letter", Purpose.SIGNED_LETTER),
            ("identity_proof", Purpose.IDENTITY_PROOF),
        ):
            if data.get(name):
                uploads.append((purpose, data[name]))
        identity = Identity(
            name=data.get("name", ""),
            id_number=data.get("id_number", ""),
            contact_person=data.get("contact_person", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            address=data.get("address", ""),
        )
        return Filing(
            kind=data["kind"],
            subject=data["subject"],
            facts=data["facts"],
            filer_kind=data["filer_kind"],
            filer_role=data.get("filer_role", ""),
            identity=identity,
            respondent_name=data.get("respondent_name", ""),
            respondent_address=data.get("respondent_address", ""),
            respondent_contact=data.get("respondent_contact", ""),
            project=project,
            lot=lot,
            project_text=data.get("project_text", ""),
            industry=data.get("industry", ""),
            knew_on=data.get("knew_on"),
            objection_on=data.get("objection_on"),
            objection_reply_on=data.get("objection_reply_on"),
            filed_elsewhere=bool(data.get("filed_elsewhere")),
            elsewhere_body=data.get("elsewhere_body", ""),
            elsewhere_on=data.get("elsewhere_on"),
            previously_decided=bool(data.get("previously_decided")),
            has_new_evidence=bool(data.get("has_new_evidence")),
            in_review_or_litigation=bool(data.get("in_review_or_litigation")),
            grounds=data.get("grounds", ""),
            requests=data.get("requests", ""),
            declaration=bool(data.get("declaration")),
            files=uploads,
            **extra,
        )


class StaffFilingForm(FilingForm):
    """The clerk enters a letter, a visit, a call or a matter assigned from above (交办件).
    What the law requires of the filer is checked at review, not refused at entry."""

    channel = forms.ChoiceField(
        label=gettext_lazy("How it reached the office"),
        choices=[c for c in Channel.choices if c[0] in STAFF_CHANNELS],
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("Received at (China time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    assigned_source = forms.CharField(
        label=gettext_lazy("Assigned by (交办单位)"), max_length=120, required=False
    )
    assigned_ref = forms.CharField(
        label=gettext_lazy("Assignment reference"), max_length=60, required=False
    )
    assigned_due = forms.DateField(
        label=gettext_lazy("Answer due to the assigning body"), required=False, widget=DATE
    )

    field_order = ["channel", "received_at", "assigned_source", "assigned_ref", "assigned_due"]

    def clean(self) -> dict[str, Any]:
        data = forms.Form.clean(self) or {}
        if data.get("channel") == Channel.ASSIGNED and not data.get("assigned_source"):
            self.add_error("assigned_source", _("Name the body that assigned the matter."))
        if data.get("filer_kind") != FilerKind.ANONYMOUS and not data.get("name"):
            self.add_error("name", _("Give the filer's name, or record the filing as anonymous."))
        if not (data.get("project_choice") or data.get("project_text")):
            self.add_error("project_text", _("Name the project, or pick it from the search."))
        received = data.get("received_at")
        if received is not None and received.tzinfo is None:
            data["received_at"] = received.replace(tzinfo=CHINA)
        return data

    def filing(self, **extra: Any) -> Filing:
        data = self.cleaned_data
        return super().filing(
            channel=data["channel"],
            received_at=data["received_at"],
            assigned_source=data.get("assigned_source", ""),
            assigned_ref=data.get("assigned_ref", ""),
            assigned_due=data.get("assigned_due"),
            **extra,
        )


class TrackForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Filing number (受理编号)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "TS-2026-000123"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Tracking code (查询码)"),
        max_length=40,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class SupplementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your supplement"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
    )
    knew_on = forms.DateField(
        label=gettext_lazy("When did you learn of it (if asked)?"), required=False, widget=DATE
    )
    uploads = MultipleFileField(label=gettext_lazy("Files"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you withdraw?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    override = forms.CharField(
        label=gettext_lazy("Reason to accept despite the failed checks"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class SupplementRequestForm(forms.Form):
    items = forms.CharField(
        label=gettext_lazy("What the filer must supplement (one item a line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def item_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]


def _ground_choices() -> list[tuple[str, str]]:
    return [
        (value, f"{label}（{checks.article_of(value)}）")
        for value, label in RejectionGround.choices
    ]


class RejectForm(forms.Form):
    ground = forms.ChoiceField(label=gettext_lazy("Statutory ground"), choices=_ground_choices)
    reasoning = forms.CharField(
        label=gettext_lazy("Reasons (the filer reads them in the notice)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class WithdrawalDecisionForm(forms.Form):
    allow = forms.TypedChoiceField(
        label=pgettext_lazy("withdrawal", "Decision"),
        choices=[("1", gettext_lazy("Allow the withdrawal")), ("0", gettext_lazy("Refuse it"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class StopForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[c for c in StopReason.choices if c[0] != StopReason.SUPPLEMENT],
    )
    note = forms.CharField(label=gettext_lazy("What is done, by whom"), max_length=500)


class StopEndForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Result"), max_length=500, required=False)


class ReclassifyForm(forms.Form):
    project = forms.ModelChoiceField(
        label=gettext_lazy("Project"),
        queryset=Project.objects.none(),
        required=False,
        widget=forms.NumberInput,
        help_text=gettext_lazy("The ledger number of the project; empty when not in the ledger."),
    )
    project_text = forms.CharField(
        label=gettext_lazy("Project (as named)"), max_length=300, required=False
    )
    industry = forms.ChoiceField(
        label=gettext_lazy("Industry"), choices=_industry_choices, required=False
    )
    subject = forms.ChoiceField(label=gettext_lazy("What it is about"), choices=Subject.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.all()  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need to see the identity? (recorded)"), max_length=300
    )


class ReportForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("Received from"), widget=DATE)
    date_to = forms.DateField(label=pgettext_lazy("date range", "to"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data
