from django.urls import path

from . import views

app_name = "kb"

urlpatterns = [
    path("suggest/", views.article_suggest_json, name="suggest"),
    path("<slug:desk_slug>/<slug:slug>/", views.article_detail, name="article_detail"),
]
