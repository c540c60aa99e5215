"""`views.service_action`: a staff POST view that hands the form's cleaned data to one service as
its arguments, says so in the user's language, and turns a refusal into a message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from tenderwatch.complaints.models import Matter
from tenderwatch.complaints.testing import complaint_filing
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.complaints.views import service_action
from tenderwatch.core.errors import DomainError

pytestmark = pytest.mark.usefixtures("district")


class NoteForm(forms.Form):
    note = forms.CharField()


def _matter(file: Any) -> Matter:
    filing = complaint_filing(
        knew_on=dt.date(2026, 6, 3),
        objection_on=dt.date(2026, 6, 3),
        objection_reply_on=dt.date(2026, 6, 5),
    )
    with time_machine.travel(china(2026, 6, 8, 10, 0), tick=False):
        return file(filing).matter


def _post(view: Any, user: Any, matter: Matter, data: dict[str, str]) -> tuple[Any, list[str]]:
    request = RequestFactory().post(f"/complaints/{matter.number}/x/", data)
    request.user = user
    request.session = {}  # type: ignore[assignment]
    storage = FallbackStorage(request)
    request._messages = storage  # type: ignore[attr-defined]
    with translation.override("zh-hans"):
        response = view(request, matter.number)
    return response, [str(m) for m in storage]


def test_the_form_fields_become_the_service_arguments(personas: Any, file: Any) -> None:
    matter = _matter(file)
    calls: list[dict[str, Any]] = []
    view = service_action(
        lambda **kwargs: calls.append(kwargs), success=gettext_lazy("Routed."), form_class=NoteForm
    )
    response, said = _post(view, personas.office_clerk, matter, {"note": "核实"})
    assert response.status_code == 302 and response.url == matter.get_absolute_url()
    assert calls == [{"matter": matter, "actor": personas.office_clerk, "note": "核实"}]
    assert said == ["已分流。"]  # translated when the request is answered

    # An invalid form calls nothing and says what is wrong.
    response, said = _post(view, personas.office_clerk, matter, {})
    assert response.status_code == 302 and len(calls) == 1 and said


def test_without_a_form_and_refused(personas: Any, file: Any) -> None:
    matter = _matter(file)

    def refuse(*, matter: Matter, actor: Any) -> None:
        raise DomainError("不可办理。")

    view = service_action(refuse, success=gettext_lazy("Done."))
    response, said = _post(view, personas.office_clerk, matter, {})
    assert response.status_code == 302 and said == ["不可办理。"]


def test_every_service_action_form_names_only_its_service_arguments() -> None:
    """A form field the service does not take would fail only when that button is pressed."""
    import inspect

    from tenderwatch.complaints import views, views_stages

    actions = {
        name: view
        for module in (views, views_stages)
        for name, view in vars(module).items()
        if callable(view) and hasattr(view, "service")
    }
    assert len(actions) >= 19
    for name, view in actions.items():
        parameters = inspect.signature(view.service).parameters
        assert {"matter", "actor"} <= set(parameters), name
        fields = set(view.form_class.base_fields) if view.form_class else set()
        assert fields <= set(parameters), (name, fields - set(parameters))
        required = {
            p.name
            for p in parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind is p.KEYWORD_ONLY
            and p.name not in ("matter", "actor")
        }
        assert required <= fields, (name, required - fields)
