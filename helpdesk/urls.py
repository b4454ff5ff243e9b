from django.contrib import admin
from django.urls import include, path, register_converter

from accounts.views import signin_door

from . import views
from .converters import ReferenceConverter

register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("start/", views.landing, name="landing"),
    # The admin's sign-in shares the sign-in limit and answers 429 like the portal's.
    path("admin/login/", signin_door(admin.site.login)),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("agent/", include("tickets.urls_agent")),
    path("configure/", include("configuration.urls")),
    path("api/v1/", include("tickets.api.urls")),
    path("help/", include("kb.urls")),
    path("", include("portal.urls")),
]
