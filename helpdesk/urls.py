from django.contrib import admin
from django.urls import include, path, register_converter

from . import views
from .converters import ReferenceConverter

register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("agent/", include("tickets.urls_agent")),
    path("api/v1/", include("tickets.api.urls")),
    path("help/", include("kb.urls")),
    path("", include("portal.urls")),
]
