from django.urls import path, register_converter

from tenderwatch.complaints import views, views_public, views_stages


class NumberConverter:
    """A 受理编号: TS-2026-000123 (投诉) or JB-2026-000123 (举报)."""

    regex = r"[A-Z]{2}-\d{4}-\d{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "matter")

app_name = "complaints"
urlpatterns = [
    # staff
    path("", views.matter_list, name="list"),
    path("new/", views.matter_new, name="new"),
    path("report/", views.report, name="report"),
    path("<matter:number>/", views.matter_detail, name="detail"),
    path("<matter:number>/accept/", views.accept, name="accept"),
    path(
        "<matter:number>/supplement-request/", views.request_supplement, name="request_supplement"
    ),
    path("<matter:number>/supplement/", views.supplement, name="supplement"),
    path("<matter:number>/reject/", views.propose_rejection, name="reject"),
    path("<matter:number>/finalize/", views.finalize_rejection, name="finalize"),
    path("<matter:number>/withdrawal/", views.decide_withdrawal, name="withdrawal"),
    path("<matter:number>/classify/", views.reclassify, name="reclassify"),
    path("<matter:number>/stops/", views.stop_start, name="stop_start"),
    path("<matter:number>/stops/<int:pk>/end/", views.stop_end, name="stop_end"),
    path("<matter:number>/identity/", views.identity, name="identity"),
    path("<matter:number>/files/<int:pk>/", views.attachment_download, name="attachment"),
    path("export.xlsx", views.matter_export, name="export"),
    # after acceptance: routing and stages (views_stages)
    path("<matter:number>/route/", views_stages.route, name="route"),
    path("<matter:number>/coordinate/", views_stages.coordinate, name="coordinate"),
    path("<matter:number>/transfer/", views_stages.transfer, name="transfer"),
    path(
        "<matter:number>/transfer/<int:pk>/receipt/",
        views_stages.transfer_receipt,
        name="transfer_receipt",
    ),
    path("<matter:number>/officers/", views_stages.officers, name="officers"),
    path("<matter:number>/inquiries/", views_stages.inquiry, name="inquiry"),
    path("<matter:number>/evidence/", views_stages.evidence, name="evidence"),
    path("<matter:number>/requests/", views_stages.info_request, name="info_request"),
    path("<matter:number>/requests/<int:pk>/answer/", views_stages.info_answer, name="info_answer"),
    path("<matter:number>/investigation/close/", views_stages.close_investigation, name="close"),
    path("<matter:number>/investigation/reopen/", views_stages.reopen_investigation, name="reopen"),
    path("<matter:number>/decision/", views_stages.draft, name="draft"),
    path("<matter:number>/decision/submit/", views_stages.submit, name="submit"),
    path("<matter:number>/decision/sign/", views_stages.sign, name="sign"),
    path("<matter:number>/decision/issue/", views_stages.issue, name="issue"),
    path("<matter:number>/consent/", views_stages.consent, name="consent"),
    path("<matter:number>/service/", views_stages.serve, name="serve"),
    path("<matter:number>/archive/", views_stages.archive_matter, name="archive"),
    # public, without an account
    path("public/", views_public.home, name="public_home"),
    path("public/file/", views_public.file, name="public_file"),
    path("public/projects/", views_public.projects, name="public_projects"),
    path("public/receipt/", views_public.receipt, name="public_receipt"),
    path("public/receipt/download/", views_public.receipt_download, name="public_receipt_download"),
    path("public/track/", views_public.track, name="public_track"),
    path("public/track/status/", views_public.status, name="public_status"),
    path("public/track/supplement/", views_public.supplement, name="public_supplement"),
    path("public/track/withdraw/", views_public.withdraw, name="public_withdraw"),
    path("public/track/leave/", views_public.leave, name="public_leave"),
    path(
        "public/track/letters/<int:pk>/",
        views_public.notice_letter,
        name="public_letter",
    ),
]
