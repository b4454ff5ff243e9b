from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("auth/token/", accounts_api.token_obtain, name="token_obtain"),
    path("requests/", views.requests, name="request_list"),
    path("requests/<reference:reference>/", views.request_detail, name="request_detail"),
    path("requests/<reference:reference>/activities/", views.request_activities, name="request_activities"),
    path("requests/<reference:reference>/comments/", views.request_comment, name="request_comment"),
    path("requests/<reference:reference>/transitions/", views.request_transition, name="request_transition"),
    path("requests/<reference:reference>/escalation-request/", views.request_escalation, name="request_escalation"),
    path("requests/<reference:reference>/assignee/", views.request_assign, name="request_assign"),
    path("requests/<reference:reference>/priority/", views.request_priority, name="request_priority"),
    path("requests/<reference:reference>/tier/", views.request_tier, name="request_tier"),
    path("requests/<reference:reference>/merge/", views.request_merge, name="request_merge"),
    path("requests/<reference:reference>/work-items/", views.request_work_item, name="request_work_item"),
    path("requests/<reference:reference>/reveal/", views.request_reveal, name="request_reveal"),
    path("requests/<reference:reference>/participants/", views.request_participants, name="request_participants"),
    path(
        "requests/<reference:reference>/participants/<str:email>/",
        views.request_participant,
        name="request_participant",
    ),
    path("attachments/", views.attachment_upload, name="attachment_upload"),
    path("queues/", views.queue_list, name="queue_list"),
    path("queues/<slug:key>/", views.queue_requests, name="queue_requests"),
    path("search/", views.search, name="search"),
]
