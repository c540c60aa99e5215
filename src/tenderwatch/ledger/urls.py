from django.urls import path
from django.views.generic import RedirectView

from tenderwatch.ledger import urls_ocds, urls_tabular, views

app_name = "ledger"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ledger:project_list"), name="index"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("entities/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("documents/<str:sha256>/", views.document_detail, name="document_detail"),
    path("approved/", views.approved_list, name="approved_list"),
    path("approved/import/", views.approved_import, name="approved_import"),
    path("approved/template.xlsx", views.approved_template, name="approved_template"),
]

# File import and export pages live in their own modules.
urlpatterns += urls_ocds.urlpatterns + urls_tabular.urlpatterns
