from django.urls import path
from django.views.generic import RedirectView

from tenderwatch.letters import views

app_name = "letters"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="letters:templates"), name="index"),
    path("templates/", views.templates, name="templates"),
    path("templates/<str:kind>/", views.template_detail, name="template_detail"),
    path("templates/<str:kind>/download/", views.template_download, name="template_download"),
    path(
        "templates/<str:kind>/v<int:version>/download/",
        views.template_version_download,
        name="template_version_download",
    ),
    path("templates/<str:kind>/upload/", views.template_upload, name="template_upload"),
    path("templates/<str:kind>/revert/", views.template_revert, name="template_revert"),
    path("<int:pk>/download/", views.letter_download, name="letter_download"),
    path("<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
]
