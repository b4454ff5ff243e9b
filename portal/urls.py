from django.urls import path

from . import attachments, joining, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("join/", joining.join_organization, name="join"),
    path("approvals/", joining.approvals, name="approvals"),
    path("approvals/join/<int:join_request_id>/", joining.join_request_answer, name="join_request_answer"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<reference:reference>/", views.request_detail, name="request_detail"),
    path("requests/<reference:reference>/comment/", views.request_comment, name="request_comment"),
    path("requests/<reference:reference>/transition/", views.request_transition, name="request_transition"),
    path("requests/<reference:reference>/escalate/", views.request_escalate, name="request_escalate"),
    path("requests/<reference:reference>/share/", views.request_share, name="request_share"),
    path("requests/<reference:reference>/notifications/", views.request_notifications, name="request_notifications"),
    path("requests/<reference:reference>/unshare/", views.request_unshare, name="request_unshare"),
    path("attachments/", attachments.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", attachments.attachment_download, name="attachment_download"),
    path("desks/<slug:slug>/", views.desk_detail, name="desk_detail"),
    path("desks/<slug:slug>/<slug:type_key>/", views.request_create, name="request_create"),
]
