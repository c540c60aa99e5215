from django.urls import path

from tenderwatch.workdays import views

app_name = "workdays"
urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("enter/", views.schedule_enter, name="enter"),
    path("<int:year>/", views.schedule_detail, name="detail"),
    path("<int:year>/replace/", views.schedule_enter, name="replace"),
]
