"""Forms of the stages after acceptance: routing, transfer, investigation, decision, approval,
service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenderwatch.complaints.forms import DATE, MultipleFileField
from tenderwatch.complaints.models import Addressee, Outcome, Routing, ServiceMethod
from tenderwatch.org.models import Department, DepartmentKind, User

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 3})


def _departments(*kinds: str) -> Any:
    return Department.objects.filter(active=True, kind__in=kinds).order_by("sort_order", "code")


class RouteForm(forms.Form):
    routing = forms.ChoiceField(
        label=gettext_lazy("Routing"),
        choices=[(Routing.ASSIGN, Routing.ASSIGN.label), (Routing.SELF, Routing.SELF.label)],
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department (empty: as the authority list proposes)"),
        queryset=_departments(DepartmentKind.SUPERVISORY, DepartmentKind.MEMBER),
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (needed when not the proposed department)"),
        widget=TEXT,
        required=False,
    )


class CoordinateForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department decided by the office"),
        queryset=_departments(DepartmentKind.SUPERVISORY, DepartmentKind.MEMBER),
    )
    reason = forms.CharField(label=pgettext_lazy("coordination", "Reason"), widget=TEXT)


class TransferForm(forms.Form):
    body = forms.ModelChoiceField(
        label=gettext_lazy("Receiving body"),
        queryset=_departments(DepartmentKind.EXTERNAL, DepartmentKind.MEMBER),
        required=False,
    )
    body_name = forms.CharField(
        label=gettext_lazy("Or its name, if not listed"), max_length=120, required=False
    )
    reason = forms.CharField(label=pgettext_lazy("transfer", "Reason"), widget=TEXT)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=300)
    enclosures = forms.CharField(
        label=gettext_lazy("Enclosures (one a line)"), widget=TEXT, required=False
    )

    def clean_enclosures(self) -> list[str]:
        return [x.strip() for x in self.cleaned_data["enclosures"].splitlines() if x.strip()]


class TransferReceiptForm(forms.Form):
    received_on = forms.DateField(label=gettext_lazy("Received by the body on"), widget=DATE)
    reference = forms.CharField(
        label=gettext_lazy("Their reference"), max_length=100, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), widget=TEXT, required=False)
    upload = forms.FileField(label=gettext_lazy("Receipt (file)"), required=False)


class OfficersForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Officers"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, eligible: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if eligible is not None:
            field = self.fields["users"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = User.objects.filter(pk__in=[u.pk for u in eligible])


class InquiryForm(forms.Form):
    person = forms.CharField(
        label=gettext_lazy("Person questioned or place checked"), max_length=200
    )
    held_at = forms.DateTimeField(
        label=gettext_lazy("Held at"),
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    text = forms.CharField(label=gettext_lazy("Record"), widget=forms.Textarea(attrs={"rows": 5}))


class EvidenceForm(forms.Form):
    uploads = MultipleFileField(label=gettext_lazy("Evidence files"))
    description = forms.CharField(label=gettext_lazy("Description of the evidence"), max_length=300)


class InfoRequestForm(forms.Form):
    addressee = forms.ChoiceField(label=gettext_lazy("To"), choices=Addressee.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.filter(active=True).order_by("sort_order", "code"),
        required=False,
    )
    addressee_name = forms.CharField(
        label=gettext_lazy("Addressee (name)"), max_length=200, required=False
    )
    items = forms.CharField(label=gettext_lazy("What is asked"), widget=TEXT)
    workdays = forms.IntegerField(
        label=gettext_lazy("Working days to answer"), min_value=1, max_value=30, initial=5
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Answer received"), widget=TEXT)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), widget=TEXT, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=TEXT)


class DraftForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    facts = forms.CharField(label=gettext_lazy("Facts found"), widget=TEXT)
    decision_text = forms.CharField(label=gettext_lazy("Decision"), widget=TEXT)
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis (empty: the usual article for the outcome)"),
        widget=TEXT,
        required=False,
    )
    remedy = forms.CharField(
        label=gettext_lazy("Remedy (empty: review or litigation)"), widget=TEXT, required=False
    )


class SubmitForm(forms.Form):
    opinion = forms.CharField(
        label=gettext_lazy("Opinion of the handler"), widget=TEXT, required=False
    )
    major = forms.BooleanField(label=gettext_lazy("Complex or major matter"), required=False)


class SignForm(forms.Form):
    level = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=gettext_lazy("Your decision"),
        choices=[
            ("approve", gettext_lazy("Approve")),
            ("return", gettext_lazy("Return for revision")),
            ("reject", gettext_lazy("Reject")),
        ],
    )
    opinion = forms.CharField(label=gettext_lazy("Opinion"), widget=TEXT, required=False)


class ServeForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Method of service"), choices=ServiceMethod.choices
    )
    served_on = forms.DateField(label=gettext_lazy("Served on"), widget=DATE)
    served_to = forms.CharField(label=gettext_lazy("Served to"), max_length=200)
    proof_note = forms.CharField(label=gettext_lazy("Proof"), widget=TEXT, required=False)
    proof = forms.FileField(label=gettext_lazy("Proof (file)"), required=False)


class ConsentForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("How the filer consented"), max_length=200)
