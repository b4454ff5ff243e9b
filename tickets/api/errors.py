"""The JSON API (Django REST framework): one view per operation, explicit input and output
serializers, the same services and the same visibility rule as the pages.

Every refusal has one shape: `{"detail": "…"}` (401, 403, 404, 405, 409, 413, 415, 429), or for
bad input (400) messages by field; documented once in tickets/api/schema.py."""

from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tickets.services import TicketError

# When a throttle cannot say how long to wait, still tell the client something to go by.
DEFAULT_RETRY_AFTER = "60"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain refusals become 400, 403 or 409 with their message, a body over the size limits
    413, in this one place; every 429 says when to try again."""
    if isinstance(exc, TicketError):
        return Response({"detail": str(exc)}, status=exc.status_code)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return Response({"detail": _("The request is too large.")}, status=413)
    response = exception_handler(exc, context)
    if response is not None and response.status_code == 429 and "Retry-After" not in response:
        response["Retry-After"] = DEFAULT_RETRY_AFTER
    return response


class SafeJSONParser(JSONParser):
    """JSON, with absurdly nested documents answered 400 instead of crashing the parser."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None
