"""/api/…: the feed API, one version per mount (`api.py`)."""

from django.urls import path

from tenderwatch.ledger.api import api, docs_asset

urlpatterns = [
    path("v1/docs/assets/<str:name>", docs_asset, name="api-docs-asset"),
    path("v1/", api.urls),
]
