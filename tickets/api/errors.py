from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tickets.services import TicketError


def api_exception_handler(exc, context):
    """Domain refusals become 400, 403 or 409 with their message, in this one place."""
    if isinstance(exc, TicketError):
        return Response({"detail": str(exc)}, status=exc.status_code)
    return exception_handler(exc, context)


class SafeJSONParser(JSONParser):
    """JSON, with absurdly nested documents answered 400 instead of crashing the parser."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None
