from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenderwatch.org.models import Department, Industry, MatterType, OfficerStatus, Specialty

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class Form(forms.Form):
    """Labels sit above their fields: no trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DatesOrderedMixin(Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("“To” is before “from”."))
        return data


class AuthorityRuleForm(DatesOrderedMixin):
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    matter_type = forms.ChoiceField(
        label=_("Matter type"),
        choices=[("", _("Any matter")), *MatterType.choices],
        required=False,
    )
    department = forms.ModelChoiceField(
        label=_("Competent department"), queryset=Department.objects.filter(active=True)
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 4, "cols": 70})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DATE)
    active = forms.BooleanField(label=_("In force"), required=False, initial=True)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=300,
        help_text=_("Kept in the audit trail."),
    )


class GroupMemberForm(DatesOrderedMixin):
    person_name = forms.CharField(label=_("Person"), max_length=60, required=False)
    person_title = forms.CharField(label=_("Person's title"), max_length=100, required=False)
    valid_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    valid_to = forms.DateField(label=_("To"), required=False, widget=DATE)


class CompetenceQueryForm(Form):
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    matter_type = forms.ChoiceField(
        label=_("Matter type"),
        choices=[("", _("Any matter")), *MatterType.choices],
        required=False,
    )


class OfficerFilterForm(Form):
    q = forms.CharField(label=_("Name or certificate"), required=False, max_length=60)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("All"),
    )
    specialty = forms.ChoiceField(
        label=_("Specialty"), choices=[("", _("All")), *Specialty.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *OfficerStatus.choices], required=False
    )
    dispatchable = forms.ChoiceField(
        label=_("Dispatchable"),
        choices=[("", _("All")), ("yes", _("Dispatchable")), ("no", _("Not dispatchable"))],
        required=False,
    )
    on = forms.DateField(label=_("On"), required=False, widget=DATE)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.officers_filtered`."""
        data = self.cleaned_data if self.is_valid() else {}
        dispatchable = {"yes": True, "no": False}.get(data.get("dispatchable") or "")
        return {
            "department": data.get("department"),
            "specialty": data.get("specialty") or "",
            "status": data.get("status") or "",
            "dispatchable": dispatchable,
            "on": data.get("on"),
            "search": (data.get("q") or "").strip(),
        }


class RosterImportForm(Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
