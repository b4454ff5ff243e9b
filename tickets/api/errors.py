from rest_framework.response import Response
from rest_framework.views import exception_handler

from tickets.services import TicketError


def api_exception_handler(exc, context):
    """Domain refusals become 400, 403 or 409 with their message, in this one place."""
    if isinstance(exc, TicketError):
        return Response({"detail": str(exc)}, status=exc.status_code)
    return exception_handler(exc, context)
