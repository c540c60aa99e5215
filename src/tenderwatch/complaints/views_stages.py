"""Staff actions on the stages after acceptance: one POST each, one service call each (thin, like
`views`); the matter page shows them (`stage_context`). Another department's matter is "not
found"; a refused action comes back as a message."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenderwatch.complaints import archive, handling, investigation, routing
from tenderwatch.complaints import forms_stages as f
from tenderwatch.complaints.models import Matter, Status
from tenderwatch.complaints.recipients import eligible_officers
from tenderwatch.complaints.views import _act
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


@login_required
@require_POST
def route(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.RouteForm,
        _("Routed."),
        lambda m, d: routing.matter_route(
            matter=m,
            actor=request.user,
            routing=d["routing"],
            department=d["department"],
            reason=d["reason"],
        ),
    )


@login_required
@require_POST
def coordinate(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.CoordinateForm,
        _("The office's decision is recorded."),
        lambda m, d: routing.matter_coordinate(
            matter=m, actor=request.user, department=d["department"], reason=d["reason"]
        ),
    )


@login_required
@require_POST
def transfer(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.TransferForm,
        _("Transferred; the letter is issued."),
        lambda m, d: routing.matter_transfer(
            matter=m,
            actor=request.user,
            body=d["body"],
            body_name=d["body_name"],
            reason=d["reason"],
            legal_basis=d["legal_basis"],
            enclosures=d["enclosures"],
        ),
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
def inquiry(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.InquiryForm,
        _("The record is saved."),
        lambda m, d: investigation.inquiry_record(
            matter=m,
            actor=request.user,
            person=d["person"],
            held_at=d["held_at"],
            place=d["place"],
            text=d["text"],
        ),
    )


@login_required
@require_POST
def evidence(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.EvidenceForm,
        _("The evidence is stored with its hash."),
        lambda m, d: investigation.evidence_add(
            matter=m, actor=request.user, uploads=d["uploads"], description=d["description"]
        ),
    )


@login_required
@require_POST
def info_request(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.InfoRequestForm,
        _("The request is sent."),
        lambda m, d: investigation.info_request_send(
            matter=m,
            actor=request.user,
            addressee=d["addressee"],
            department=d["department"],
            addressee_name=d["addressee_name"],
            items=d["items"],
            workdays=d["workdays"],
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
def close_investigation(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.NoteForm,
        _("The investigation is closed."),
        lambda m, d: investigation.investigation_close(
            matter=m, actor=request.user, note=d["note"]
        ),
    )


@login_required
@require_POST
def reopen_investigation(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.ReasonForm,
        _("Back to the investigation."),
        lambda m, d: investigation.investigation_reopen(
            matter=m, actor=request.user, reason=d["reason"]
        ),
    )


@login_required
@require_POST
def draft(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.DraftForm,
        _("The draft decision is saved."),
        lambda m, d: handling.decision_draft(matter=m, actor=request.user, **d),
    )


@login_required
@require_POST
def submit(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.SubmitForm,
        _("The draft decision is on the approval route."),
        lambda m, d: handling.decision_submit(
            matter=m, actor=request.user, opinion=d["opinion"], major=d["major"]
        ),
    )


@login_required
@require_POST
def sign(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.SignForm,
        _("Signed."),
        lambda m, d: handling.decision_sign(
            matter=m,
            actor=request.user,
            level=d["level"],
            decision=d["decision"],
            opinion=d["opinion"],
        ),
    )


@login_required
@require_POST
def issue(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        None,
        _("Done."),
        lambda m, d: handling.decision_issue(matter=m, actor=request.user),
    )


@login_required
@require_POST
def consent(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        f.ConsentForm,
        _("The consent is recorded."),
        lambda m, d: handling.consent_record(matter=m, actor=request.user, note=d["note"]),
    )


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
            proof_upload=d["proof"],
        ),
    )


@login_required
@require_POST
def archive_matter(request: HttpRequest, number: str) -> HttpResponse:
    return _run(
        request,
        number,
        None,
        _("Archived with its case-file index."),
        lambda m, d: archive.matter_archive(matter=m, actor=request.user),
    )
