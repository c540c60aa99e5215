from django.urls import path
from django.views.generic import RedirectView

from tenderwatch.org import views

app_name = "org"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="org:departments"), name="index"),
    path("departments/", views.departments, name="departments"),
    path("group/", views.leading_group, name="leading_group"),
    path("group/<int:pk>/edit/", views.group_member_edit, name="group_member_edit"),
    path("authority/", views.authority, name="authority"),
    path("authority/add/", views.authority_add, name="authority_add"),
    path("authority/<int:pk>/edit/", views.authority_edit, name="authority_edit"),
    path("coordination/<int:pk>/", views.coordination_detail, name="coordination_detail"),
    path("officers/", views.officers, name="officers"),
    path("officers/export.xlsx", views.officers_export, name="officers_export"),
    path("officers/template.xlsx", views.officers_template, name="officers_template"),
    path("officers/import/", views.officers_import, name="officers_import"),
]
