"""URLs of the spreadsheet pages, added to the ledger's namespace (`ledger:sheet_import`,
`ledger:sheet_template`, `ledger:sheet_export`) by `ledger/urls.py`."""

from django.urls import path

from tenderwatch.ledger import views_tabular

urlpatterns = [
    path("sheets/import/", views_tabular.sheet_import, name="sheet_import"),
    path(
        "sheets/templates/<str:kind>.<str:fmt>",
        views_tabular.sheet_template,
        name="sheet_template",
    ),
    path("projects/export/xlsx/", views_tabular.sheet_export, name="sheet_export"),
]
