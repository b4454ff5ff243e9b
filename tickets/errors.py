"""Domain refusals, shown to the user as a message (the API maps them to 400/403/409 in one place)."""


class TicketError(Exception):
    """A domain refusal, shown to the user as a message."""

    status_code = 400


class TransitionNotAllowed(TicketError):
    status_code = 403


class StaleVersion(TicketError):
    status_code = 409
