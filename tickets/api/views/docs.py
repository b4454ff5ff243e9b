"""The API's own description: the OpenAPI schema, served to anyone (integrators read it before
they have an account)."""

from typing import Any

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class CachedSchemaView(SpectacularAPIView):
    """The schema, built once per language and address in each process: it is public, the same
    for every caller, and changes only with the code; building it costs ~130 ms, which anyone
    could otherwise spend for us 300 times a minute."""

    _built: dict[tuple[str | None, str | None, str], Any] = {}

    def _get_schema_response(self, request: Request) -> Response:
        key = (translation.get_language(), request.version, request.path)
        if key not in self._built:
            self._built[key] = super()._get_schema_response(request).data
        return Response(data=self._built[key], headers={"Content-Disposition": "inline; filename=helpdesk-api.json"})
