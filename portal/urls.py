from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<str:reference>/", views.request_detail, name="request_detail"),
    path("desks/<slug:slug>/", views.desk_detail, name="desk_detail"),
    path("desks/<slug:slug>/<slug:type_key>/", views.request_create, name="request_create"),
]
