"""Forms of the warnings pages: inbox filters, assignment, decisions, rule settings."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenderwatch.org.models import Department, DepartmentKind
from tenderwatch.screening import catalogue, selectors
from tenderwatch.screening.findings import Severity
from tenderwatch.screening.models import ConfirmAction, DismissalCategory, Warning, WarningStatus

ANY = ("", _("Any"))


def handling_departments() -> Any:
    """Departments that handle warnings: the office and the supervisory departments."""
    return Department.objects.filter(
        active=True, kind__in=(DepartmentKind.OFFICE, DepartmentKind.SUPERVISORY)
    ).order_by("sort_order", "code")


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[ANY, ("open", _("Open (not closed or dismissed)")), *WarningStatus.choices],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[ANY, *Severity.choices]
    )
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    department = forms.ModelChoiceField(
        label=_("Assigned to"), required=False, queryset=Department.objects.none()
    )
    overdue = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[ANY, ("yes", _("Overdue")), ("no", _("Not overdue"))],
    )
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)
    date_from = forms.DateField(
        label=_("Raised from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Raised to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Project or text"), required=False, max_length=100)
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("", _("Newest first")),
            ("severity", _("Highest risk first")),
            ("due", _("Deadline soonest first")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.fields["rule"]
        assert isinstance(rule, forms.ChoiceField)
        rules = catalogue.specs()
        used = set(selectors.rule_counts())
        choices = [(rid, f"{rid} {spec.title}") for rid, spec in rules.items()]
        choices += [(rid, rid) for rid in sorted(used - set(rules))]
        rule.choices = [ANY, *choices]
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = handling_departments()

    def filters(self) -> selectors.Filters:
        """The valid filters; a field with an error is shown with its message and left out."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        department = d.get("department")
        return selectors.Filters(
            status=d.get("status", ""),
            severity=d.get("severity", ""),
            rule_id=d.get("rule", ""),
            department=department.pk if department else None,
            overdue={"yes": True, "no": False}.get(d.get("overdue", "")),
            escalated=bool(d.get("escalated")),
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            q=(d.get("q") or "").strip(),
            order=d.get("order", ""),
        )


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Assign to"), queryset=Department.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the warning is already assigned."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = handling_departments()


class BulkAssignForm(AssignForm):
    warnings = forms.ModelMultipleChoiceField(
        label=_("Warnings"), queryset=Warning.objects.all(), widget=forms.MultipleHiddenInput
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm the warning")), ("dismiss", _("Dismiss the warning"))],
        widget=forms.RadioSelect,
    )
    action = forms.ChoiceField(
        label=_("Action, when confirmed"), required=False, choices=[ANY, *ConfirmAction.choices]
    )
    category = forms.ChoiceField(
        label=_("Kind of reason, when dismissed"),
        required=False,
        choices=[ANY, *DismissalCategory.choices],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "confirm" and not data.get("action"):
            self.add_error("action", _("Choose what is to be done about the warning."))
        if data.get("outcome") == "dismiss" and not data.get("category"):
            self.add_error("category", _("Choose the kind of reason for the dismissal."))
        return data


class RuleSettingForm(forms.Form):
    """One field per parameter of the rule, typed by its default; the switch; the reason."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, rule: catalogue.RuleInForce, **kwargs: Any) -> None:
        initial = {"enabled": rule.enabled, **{f"p_{k}": v for k, v in rule.params.items()}}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.rule = rule
        for name, param in (getattr(rule.spec, "params", {}) or {}).items():
            default = getattr(param, "default", param)
            label = getattr(param, "label", "") or name
            unit = getattr(param, "unit", "") or ""
            help_text = _("Default: %(value)s%(unit)s") % {"value": default, "unit": unit}
            field: forms.Field
            if isinstance(default, dict | list | tuple):
                field = forms.CharField(
                    label=label,
                    widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
                    help_text=_("A table in JSON."),
                )
                self.initial[f"p_{name}"] = json.dumps(
                    catalogue.to_json(rule.params.get(name, default)), ensure_ascii=False, indent=1
                )
            elif isinstance(default, bool):
                field = forms.BooleanField(label=label, required=False, help_text=help_text)
            elif isinstance(default, int):
                field = forms.IntegerField(label=label, min_value=0, help_text=help_text)
            elif isinstance(default, float):
                field = forms.FloatField(label=label, min_value=0, help_text=help_text)
            else:
                field = forms.CharField(label=label, max_length=100, help_text=help_text)
            self.fields[f"p_{name}"] = field
        self.order_fields(
            [f"p_{n}" for n in (getattr(rule.spec, "params", {}) or {})] + ["enabled", "reason"]
        )

    def params(self) -> dict[str, Any]:
        return {key[2:]: value for key, value in self.cleaned_data.items() if key.startswith("p_")}


MAX_MODEL_BYTES = 2_000_000


class ModelDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    methods = forms.MultipleChoiceField(
        label=_("Procurement methods"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any method."),
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    file = forms.FileField(
        label=_("Text file (.txt, UTF-8 or GBK)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,text/plain"}),
    )
    text = forms.CharField(
        label=_("Or paste the text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Numbered clauses one a line; blanks to fill in as {…} or 【…】."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from tenderwatch.ledger.models import Category, ProcurementMethod
        from tenderwatch.org.models import Industry

        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        methods = self.fields["methods"]
        industry = self.fields["industry"]
        assert isinstance(category, forms.ChoiceField)
        assert isinstance(methods, forms.MultipleChoiceField)
        assert isinstance(industry, forms.ChoiceField)
        category.choices = [ANY, *Category.choices]
        methods.choices = ProcurementMethod.choices
        industry.choices = [ANY, *Industry.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        text = (data.get("text") or "").strip()
        if upload is not None:
            if upload.size > MAX_MODEL_BYTES:
                self.add_error("file", _("The file is larger than 2 MB."))
                return data
            raw = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                self.add_error("file", _("The file is not text in UTF-8 or GBK."))
                return data
        if not text.strip():
            self.add_error("text", _("Upload a text file or paste the text."))
        data["text"] = text
        return data


class SwitchForm(forms.Form):
    active = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000)
