from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("audit/", include("tenderwatch.audit.urls")),
    path("org/", include("tenderwatch.org.urls")),
    path("workdays/", include("tenderwatch.workdays.urls")),
    path("approvals/", include("tenderwatch.approvals.urls")),
    path("ledger/", include("tenderwatch.ledger.urls")),
    path("screening/", include("tenderwatch.screening.urls")),
    path("complaints/", include("tenderwatch.complaints.urls")),
    path("notifications/", include("tenderwatch.notifications.urls")),
    path("letters/", include("tenderwatch.letters.urls")),
    path("api/", include("tenderwatch.ledger.api_urls")),
    path("", include("tenderwatch.web.urls")),
]
