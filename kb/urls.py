from django.urls import path

from . import views

app_name = "kb"

urlpatterns = [
    path("", views.help_index, name="index"),
    path("suggest/", views.article_suggest_json, name="suggest"),
    path("<slug:desk_slug>/", views.help_desk, name="desk"),
    path("<slug:desk_slug>/<slug:slug>/", views.article_detail, name="article_detail"),
    path("<slug:desk_slug>/<slug:slug>/feedback/", views.article_feedback, name="article_feedback"),
]
