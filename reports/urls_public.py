"""The survey's doors outside /agent/: the e-mail's links and the request page's form."""

from django.urls import path

from . import views_csat

urlpatterns = [
    path("satisfaction/<reference:reference>/<str:token>/", views_csat.csat_answer, name="csat_answer"),
    path("requests/<reference:reference>/rate/", views_csat.request_rate, name="csat_rate"),
]
