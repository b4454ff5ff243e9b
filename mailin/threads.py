"""Threading: which request an inbound mail answers, from its In-Reply-To / References (our own
thread ids and messages, earlier mail of the request) and the reference in its subject."""

import re
from dataclasses import dataclass

from notifications.selectors import notification_headers_for
from tickets.emails import ticket_thread_parse
from tickets.models import Ticket
from tickets.selectors import REFERENCE_PATTERN

from .models import InboundMessage
from .parsing import MESSAGE_ID, ParsedMail

# The outgoing-mail contract: agents' alerts say "X-Helpdesk-Audience: agents".
_AGENTS_AUDIENCE = "agents"
# A request reference in a subject counts only right after the reply and forward prefixes (and
# tags such as "[EXTERNAL]" that mail gateways put first), where our own subjects have it:
# "Re: AW: [CSD-12] Printer [CSD-99]" answers CSD-12; the rest is the customer's summary.
_SUBJECT_PREFIX = r"(?:re|fwd?|fw|aw|wg|rv|sv|vs|tr|antw|enc|reenv|odp|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]"
_SUBJECT_REFERENCE = re.compile(rf"^(?:\s*(?:{_SUBJECT_PREFIX}|\[[^\]\d]*\]))*\s*\[([^\]]{{1,24}})\]", re.IGNORECASE)


def subject_reference(subject: str) -> str:
    """The request reference ("CSD-12") at the start of a subject, after any Re:/Fwd:/AW:/RV:
    prefixes, as our own subjects have it; "" when there is none there. The same notion of a
    reference as the portal's search (tickets.selectors.REFERENCE_PATTERN)."""
    found = _SUBJECT_REFERENCE.match(subject or "")
    match = REFERENCE_PATTERN.match(found.group(1)) if found else None
    return f"{match.group(1).upper()}-{int(match.group(2))}" if match else ""


def _sent_reference(headers: dict[str, str]) -> tuple[str, bool]:
    """(reference, for agents) of one of our messages, by the outgoing-mail contract: the
    reference header, else our thread id in References / In-Reply-To, else the subject."""
    for_agents = headers.get("x-helpdesk-audience", "").strip().lower() == _AGENTS_AUDIENCE
    reference = headers.get("x-helpdesk-reference", "").strip().upper()
    for value in (headers.get("references", ""), headers.get("in-reply-to", "")):
        for message_id in MESSAGE_ID.findall(value):
            ours = ticket_thread_parse(message_id)
            if ours is not None:
                reference = reference or ours[0]
                for_agents = for_agents or ours[1]
    return reference or subject_reference(headers.get("subject", "")), for_agents


@dataclass(frozen=True)
class Thread:
    ticket: Ticket | None
    # The mail answers an alert only the desk's agents got: never a public comment.
    for_agents: bool = False


def thread_ticket(*, parsed: ParsedMail) -> Thread:
    """The request this mail answers: by In-Reply-To / References (our thread id, one of our
    messages, or an earlier mail of the request; the nearest THREAD_IDS_MAX), then by the
    reference at the start of the subject. A few queries, however many ids the mail lists."""
    references: list[str] = []
    # Our agents' thread id anywhere in the chain keeps the answer internal; recognising it
    # takes no query, so no id is too far back.
    for_agents = any((ticket_thread_parse(message_id) or ("", False))[1] for message_id in parsed.all_thread_ids)
    thread_ids = parsed.thread_ids
    if thread_ids:
        sent = notification_headers_for(thread_ids)
        inbound: dict[str, tuple[str, bool]] = {}
        for message_id, reference, outcome in InboundMessage.objects.filter(
            message_id__in=thread_ids, ticket__isnull=False
        ).values_list("message_id", "ticket__reference", "outcome"):
            # An agent's earlier mail that became an internal note keeps its thread internal.
            noted = outcome == InboundMessage.Outcome.NOTED or inbound.get(message_id, ("", False))[1]
            inbound[message_id] = (inbound.get(message_id, (reference, False))[0], noted)
        for message_id in thread_ids:
            reference, agents = "", False
            ours = ticket_thread_parse(message_id)
            if ours is not None:
                reference, agents = ours
            elif message_id in sent:
                reference, agents = _sent_reference(sent[message_id])
            elif message_id in inbound:
                reference, agents = inbound[message_id]
            for_agents = for_agents or agents
            if reference:
                references.append(reference)
    in_subject = subject_reference(parsed.subject)
    if in_subject:
        references.append(in_subject)
    found = {t.reference: t for t in Ticket.objects.filter(reference__in=set(references)).select_related("desk")}
    for reference in references:
        ticket = found.get(reference)
        if ticket is not None:
            # A duplicate merged into another request: the conversation goes on there.
            for _hop in range(5):
                if ticket.merged_into_id is None:
                    break
                ticket = Ticket.objects.select_related("desk").get(pk=ticket.merged_into_id)
            return Thread(ticket, for_agents)
    return Thread(None, for_agents)
