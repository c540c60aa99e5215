"""Staff actions on the stages after acceptance: one POST each, one service call each (thin, like
`views`); the matter page shows them (`stage_context`). Another department's matter is "not
found"; a refused action comes back as a message."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tenderwatch.complaints import archive, handling, investigation, routing
from tenderwatch.complaints import forms_stages as f
from tenderwatch.complaints.models import Matter, Status
from tenderwatch.complaints.recipients import eligible_officers
from tenderwatch.complaints.views import _act, service_action
from tenderwatch.core.errors import NotFound
from tenderwatch.org.scoping import can, scope_of


def stage_context(request: HttpRequest, matter: Matter) -> dict[str, Any]:
    """What the matter page needs for the stages."""
    user = request.user
    may_route = can(user, "complaints.intake", matter)
    may_handle = can(user, "complaints.handle", matter)
    request_ = handling.latest_decision_request(matter)
    may_sign = False
    if request_ is not None and matter.status == Status.DECISION_PENDING:
        from tenderwatch.approvals import access

        scope = scope_of(user)
        may_sign = access.may_act_now(scope, request_) and not access.separation_problem(
            scope.user_id, request_
        )
    proposal = routing.proposal(matter) if matter.status == Status.ACCEPTED else None
    return {
        "may_route": may_route,
        "may_handle": may_handle,
        "proposal": proposal,
        "transfers": list(matter.transfers.select_related("sent_by", "receipt_by")),
        "officers": list(matter.officers.select_related("user", "assigned_by")),
        "inquiries": list(matter.inquiries.select_related("recorded_by")),
        "info_requests": list(matter.info_requests.select_related("sent_by", "department")),
        "decision": getattr(matter, "decision", None) if hasattr(matter, "decision") else None,
        "decision_request": request_,
        "may_sign": may_sign,
        "services": list(matter.services.select_related("served_by")),
        "referrals": list(matter.referrals.select_related("target_department")),
        "archive_index": getattr(matter, "archive", None) if hasattr(matter, "archive") else None,
        "route_form": f.RouteForm(),
        "coordinate_form": f.CoordinateForm(),
        "transfer_form": f.TransferForm(),
        "receipt_form": f.TransferReceiptForm(),
        "officers_form": f.OfficersForm(eligible=eligible_officers(matter.department)),
        "inquiry_form": f.InquiryForm(),
        "evidence_form": f.EvidenceForm(),
        "info_request_form": f.InfoRequestForm(),
        "answer_form": f.AnswerForm(),
        "close_form": f.NoteForm(),
        "reopen_form": f.ReasonForm(),
        "draft_form": f.DraftForm(
            initial=(
                {
                    "outcome": matter.decision.outcome,
                    "facts": matter.decision.facts,
                    "decision_text": matter.decision.decision_text,
                    "legal_basis": matter.decision.legal_basis,
                    "remedy": matter.decision.remedy,
                }
                if hasattr(matter, "decision")
                else None
            )
        ),
        "submit_form": f.SubmitForm(),
        "sign_form": f.SignForm(
            initial={"level": request_.current_level.order}
            if request_ is not None and request_.current_level is not None
            else None
        ),
        "serve_form": f.ServeForm(initial={"served_to": matter.filer_mask}),
        "consent_form": f.ConsentForm(),
    }


def _run(
    request: HttpRequest, number: str, form_class: Any, success: str, call: Any
) -> HttpResponse:
    return _act(
        request,
        number,
        lambda m, form: call(m, form.cleaned_data if form else {}),
        success=success,
        form_class=form_class,
    )


# The form's fields are named after the service's arguments (views.service_action).
route = service_action(
    routing.matter_route, success=gettext_lazy("Routed."), form_class=f.RouteForm
)
coordinate = service_action(
    routing.matter_coordinate,
    success=gettext_lazy("The office's decision is recorded."),
    form_class=f.CoordinateForm,
)
transfer = service_action(
    routing.matter_transfer,
    success=gettext_lazy("Transferred; the letter is issued."),
    form_class=f.TransferForm,
)
inquiry = service_action(
    investigation.inquiry_record,
    success=gettext_lazy("The record is saved."),
    form_class=f.InquiryForm,
)
evidence = service_action(
    investigation.evidence_add,
    success=gettext_lazy("The evidence is stored with its hash."),
    form_class=f.EvidenceForm,
)
info_request = service_action(
    investigation.info_request_send,
    success=gettext_lazy("The request is sent."),
    form_class=f.InfoRequestForm,
)
close_investigation = service_action(
    investigation.investigation_close,
    success=gettext_lazy("The investigation is closed."),
    form_class=f.NoteForm,
)
reopen_investigation = service_action(
    investigation.investigation_reopen,
    success=gettext_lazy("Back to the investigation."),
    form_class=f.ReasonForm,
)
draft = service_action(
    handling.decision_draft,
    success=gettext_lazy("The draft decision is saved."),
    form_class=f.DraftForm,
)
submit = service_action(
    handling.decision_submit,
    success=gettext_lazy("The draft decision is on the approval route."),
    form_class=f.SubmitForm,
)
sign = service_action(
    handling.decision_sign, success=gettext_lazy("Signed."), form_class=f.SignForm
)
issue = service_action(handling.decision_issue, success=gettext_lazy("Done."))
consent = service_action(
    handling.consent_record,
    success=gettext_lazy("The consent is recorded."),
    form_class=f.ConsentForm,
)
archive_matter = service_action(
    archive.matter_archive, success=gettext_lazy("Archived with its case-file index.")
)


@login_required
@require_POST
def transfer_receipt(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    def call(m: Matter, d: dict[str, Any]) -> Any:
        t = m.transfers.filter(pk=pk).first()
        if t is None:
            raise NotFound()
        return routing.transfer_receipt(
            transfer=t,
            actor=request.user,
            received_on=d["received_on"],
            reference=d["reference"],
            note=d["note"],
            upload=d["upload"],
        )

    return _run(
        request,
        number,
        f.TransferReceiptForm,
        _("The receipt is recorded; the matter is closed for the office."),
        call,
    )


@login_required
@require_POST
def officers(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.OfficersForm,
        _("Officers assigned."),
        lambda m, d: investigation.officers_assign(
            matter=m, actor=request.user, users=list(d["users"])
        ),
    )


@login_required
@require_POST
def info_answer(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    def call(m: Matter, d: dict[str, Any]) -> Any:
        r = m.info_requests.filter(pk=pk).first()
        if r is None:
            raise NotFound()
        return investigation.info_request_answer(request=r, actor=request.user, answer=d["answer"])

    return _run(request, number, f.AnswerForm, _("The answer is recorded."), call)


@login_required
@require_POST
def serve(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.ServeForm,
        _("The service is recorded."),
        lambda m, d: handling.decision_serve(
            matter=m,
            actor=request.user,
            method=d["method"],
            served_on=d["served_on"],
            served_to=d["served_to"],
            proof_note=d["proof_note"],
            proof_upload=d["proof"],  # the form's field is "proof"
        ),
    )
