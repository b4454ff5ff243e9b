from django.urls import path

from . import views

app_name = "agent"

urlpatterns = [
    path("", views.queue, name="home"),
    path("queues/<slug:queue>/", views.queue, name="queue"),
    path("tickets/<reference:reference>/", views.ticket_detail, name="ticket_detail"),
]
