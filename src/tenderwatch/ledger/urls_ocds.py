"""URLs of the OCDS pages, added to the ledger's namespace (`ledger:ocds_import`,
`ledger:ocds_export`) by `ledger/urls.py`."""

from django.urls import path

from tenderwatch.ledger import views_ocds

urlpatterns = [
    path("ocds/import/", views_ocds.ocds_import, name="ocds_import"),
    path("projects/export/ocds/", views_ocds.ocds_export, name="ocds_export"),
]
