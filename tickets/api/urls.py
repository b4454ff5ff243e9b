from django.urls import path, re_path

from accounts import api as accounts_api

from .views import agents, catalogue, common, people, requests
from .views.docs import CachedSchemaView

app_name = "api"

urlpatterns = [
    path("schema/", CachedSchemaView.as_view(), name="schema"),
    path("auth/token/", accounts_api.token_obtain, name="token_obtain"),
    path("desks/", catalogue.desk_list, name="desk_list"),
    path("desks/<str:key>/request-types/", catalogue.desk_request_types, name="desk_request_types"),
    path("request-types/<int:request_type_id>/", catalogue.request_type_detail, name="request_type_detail"),
    path("requests/", requests.requests, name="request_list"),
    path("requests/on-behalf/", agents.request_on_behalf, name="request_on_behalf"),
    path("requests/<reference:reference>/", requests.request_detail, name="request_detail"),
    path("requests/<reference:reference>/activities/", requests.request_activities, name="request_activities"),
    path("requests/<reference:reference>/comments/", requests.request_comment, name="request_comment"),
    path("requests/<reference:reference>/transitions/", requests.request_transition, name="request_transition"),
    path("requests/<reference:reference>/escalation-request/", requests.request_escalation, name="request_escalation"),
    path("requests/<reference:reference>/assignee/", agents.request_assign, name="request_assign"),
    path("requests/<reference:reference>/priority/", agents.request_priority, name="request_priority"),
    path("requests/<reference:reference>/tier/", agents.request_tier, name="request_tier"),
    path("requests/<reference:reference>/merge/", agents.request_merge, name="request_merge"),
    path("requests/<reference:reference>/work-items/", agents.request_work_item, name="request_work_item"),
    path("requests/<reference:reference>/related/", agents.request_related, name="request_related"),
    path("requests/<reference:reference>/request-type/", agents.request_type_change, name="request_type_change"),
    path("requests/<reference:reference>/reveal/", agents.request_reveal, name="request_reveal"),
    path("requests/<reference:reference>/participants/", people.request_participants, name="request_participants"),
    path(
        "requests/<reference:reference>/participants/<str:email>/",
        people.request_participant,
        name="request_participant",
    ),
    path("requests/<reference:reference>/notifications/", people.request_notifications, name="request_notifications"),
    path("requests/<reference:reference>/approval/", people.request_approval, name="request_approval"),
    path("attachments/", requests.attachment_upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", requests.attachment_download, name="attachment_download"),
    path("work-items/", agents.work_item_list, name="work_item_list"),
    path("work-items/<int:work_item_id>/status/", agents.work_item_status, name="work_item_status"),
    path("queues/", agents.queue_list, name="queue_list"),
    path("queues/<slug:key>/", agents.queue_requests, name="queue_requests"),
    path("search/", agents.search, name="search"),
    # Last: anything else under /api/v1/ answers the API's JSON 404 (excluded from the schema).
    re_path(r"^(?P<path>.*)$", common.not_found, name="not_found"),
]
