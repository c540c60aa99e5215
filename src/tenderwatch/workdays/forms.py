from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DAYS_HELP = _(
    "One line per holiday range or adjusted workday, as in the notice. A holiday: "
    "“2027-01-01..2027-01-03 元旦” (or a single day “2027-04-05 清明节”). An adjusted workday "
    "(调休上班): “2027-02-06 上班 春节”. Lines starting with # are ignored."
)


class ScheduleForm(forms.Form):
    """A year's notice, as the clerk types it from the State Council's text."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    notice_title = forms.CharField(label=_("Notice title"), max_length=200)
    notice_ref = forms.CharField(
        label=_("Notice reference (文号)"),
        max_length=60,
        required=False,
        help_text=_("e.g. 国办发明电〔2025〕7号. Leave blank if you do not have it for sure."),
    )
    published_on = forms.DateField(
        label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    source_url = forms.URLField(
        label=_("Source address"), max_length=300, required=False, assume_scheme="https"
    )
    days = forms.CharField(
        label=_("Holidays and adjusted workdays"),
        widget=forms.Textarea(attrs={"rows": 14, "cols": 60, "spellcheck": "false"}),
        help_text=DAYS_HELP,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required when you replace a schedule that exists."),
    )
    digest = forms.CharField(widget=forms.HiddenInput, required=False)

    def content_digest(self, *, replaces_version: int) -> str:
        """A fingerprint of what was previewed, and of the version it replaces: saving needs
        the same content over the same version (else the clerk sees a fresh preview)."""
        data: dict[str, Any] = {
            k: str(self.cleaned_data.get(k) or "") for k in self.fields if k != "digest"
        }
        data["replaces_version"] = replaces_version
        data["days"] = data["days"].replace("\r\n", "\n").strip()
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()
