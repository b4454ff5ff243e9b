from django.urls import path

from . import views, views_other

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:key>.csv", views.dashboard_csv, name="csv"),
    path("other/", views_other.other_trend, name="other"),
    path("other/<slug:key>.csv", views_other.other_csv, name="other_csv"),
    path("other/phrase/", views_other.other_phrase, name="other_phrase"),
    path("other/draft/", views_other.other_draft, name="other_draft"),
    path("other/move/", views_other.other_move, name="other_move"),
]
