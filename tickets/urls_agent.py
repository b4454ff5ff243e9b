from django.urls import path

from . import intake_views, views, views_queue

app_name = "agent"

urlpatterns = [
    path("", views.queue, name="home"),
    path("queues/columns/", views_queue.queue_columns, name="queue_columns"),
    path("queues/<slug:queue>/", views.queue, name="queue"),
    path("queues/<slug:queue>/export.csv", views.queue_export, name="queue_export"),
    path("saved/<slug:slug>/", views.saved_queue, name="saved_queue"),
    path("saved/<slug:slug>/export.csv", views.saved_queue_export, name="saved_queue_export"),
    path("search/", views.search, name="search"),
    path("bulk/", views.bulk, name="bulk"),
    path("new/", intake_views.ticket_create_on_behalf, name="ticket_create"),
    path("new/organizations/", intake_views.organization_lookup, name="organization_lookup"),
    path("work-items/", views.work_items, name="work_items"),
    path("work-items/<int:work_item_id>/status/", views.work_item_status, name="work_item_status"),
    path("tickets/<reference:reference>/work-item/", views.ticket_agent_work_item, name="ticket_work_item"),
    path("tickets/<reference:reference>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<reference:reference>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<reference:reference>/transition/", views.ticket_agent_transition, name="ticket_transition"),
    path("tickets/<reference:reference>/assign/", views.ticket_agent_assign, name="ticket_assign"),
    path("tickets/<reference:reference>/priority/", views.ticket_agent_priority, name="ticket_priority"),
    path("tickets/<reference:reference>/tier/", views.ticket_agent_tier, name="ticket_tier"),
    path("tickets/<reference:reference>/reveal/", views.ticket_agent_reveal, name="ticket_reveal"),
    path("tickets/<reference:reference>/presence/", views.ticket_presence, name="ticket_presence"),
    path("tickets/<reference:reference>/merge/", views.ticket_agent_merge, name="ticket_merge"),
    path("tickets/<reference:reference>/unshare/", views.ticket_agent_unshare, name="ticket_unshare"),
    path("tickets/<reference:reference>/link/", views.ticket_agent_link, name="ticket_link"),
    path("tickets/<reference:reference>/type/", views.ticket_agent_type, name="ticket_type"),
]
