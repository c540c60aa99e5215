from django.urls import path

from tenderwatch.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
