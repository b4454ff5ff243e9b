from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularSwaggerSplitView

from accounts.views import signin_door
from reports import api as reports_api
from tickets.api.views.docs import CachedSchemaView

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
    path("agent/reports/", include("reports.urls")),
    path("agent/", include("tickets.urls_agent")),
    path("configure/", include("configuration.urls")),
    # The satisfaction survey is the reports app's; the rest of the API is the tickets app's.
    path("api/v1/requests/<reference:reference>/rating/", reports_api.request_rating, name="api_request_rating"),
    path("api/v1/", include("tickets.api.urls")),
    # The API's schema and its docs, readable without signing in; Swagger UI's init script is
    # its own request (the split view), so the page needs no inline script under the CSP.
    path("api/schema/", CachedSchemaView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("help/", include("kb.urls")),
    path("", include("reports.urls_public")),
    path("", include("portal.urls")),
]

if settings.BENCH_CEILING:  # the benchmark's yardstick, never routed otherwise
    urlpatterns.insert(0, path("bench/ceiling/", views.bench_ceiling, name="bench_ceiling"))
