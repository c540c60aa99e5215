from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TemplateUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Word template (.docx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document"
            }
        ),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("For instance: new contact phone number; wording of the remedy paragraph."),
    )


class TemplateRevertForm(forms.Form):
    version = forms.IntegerField(min_value=0)
    note = forms.CharField(max_length=300, required=False)
