from django.urls import path
from django.views.generic import RedirectView

from tenderwatch.screening import views

app_name = "screening"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="screening:inbox"), name="index"),
    path("warnings/", views.inbox, name="inbox"),
    path("warnings/assign/", views.bulk_assign, name="bulk_assign"),
    path("warnings/export.xlsx", views.export, name="export"),
    path("warnings/<int:pk>/", views.detail, name="warning_detail"),
    path("warnings/<int:pk>/verify/", views.verify, name="verify"),
    path("warnings/<int:pk>/assign/", views.assign, name="assign"),
    path("warnings/<int:pk>/decide/", views.decide, name="decide"),
    path("warnings/<int:pk>/carry-out/", views.carry_out, name="carry_out"),
    path("warnings/<int:pk>/close/", views.close, name="close"),
    path("rules/", views.rules, name="rules"),
    path("model-documents/", views.model_documents, name="model_documents"),
    path("model-documents/upload/", views.model_document_upload, name="model_document_upload"),
    path(
        "model-documents/<int:pk>/switch/",
        views.model_document_switch,
        name="model_document_switch",
    ),
    path("rules/<str:rule_id>/", views.rule_update, name="rule_update"),
]
