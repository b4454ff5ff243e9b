"""The tickets app's models, in two modules: the catalogue (tickets.models.catalogue) and the
requests with what hangs from them (tickets.models.tickets). Everything is importable from here."""

from .catalogue import (  # noqa: F401
    Holiday,
    Localized,
    RequestField,
    RequestType,
    RequestTypeGroup,
    ServiceDesk,
    SlaCalendar,
    Team,
    _weekdays_default,
)
from .tickets import (  # noqa: F401
    Activity,
    Attachment,
    CannedResponse,
    Channel,
    Participant,
    Priority,
    SavedQueue,
    SensitiveValue,
    Ticket,
    TicketSeen,
    WorkItem,
    attachment_path,
    ticket_seen_record,
)
