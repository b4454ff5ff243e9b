"""Who gets which e-mail about a request, and how it threads. Every ticket e-mail goes through
`ticket_email`: the recipient's language and profile choices, a link to the request, and the
headers that bring a reply back to the same request (References to the request's own root
Message-ID, its reference in the subject and a header, Reply-To the desk's mailbox)."""

import re
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.models import NotificationCategory, User
from notifications.links import absolute_url
from notifications.services import notification_create

from .models import Participant, Ticket
from .visibility import ticket_visible_to

C = NotificationCategory
# The profile category of each e-mail (None: always sent). The template has the kind's name.
CATEGORY = {
    "request_received": None,
    "public_reply": C.COMMENTS,
    "status_changed": C.STATUS,
    "waiting_for_customer": C.STATUS,
    "request_resolved": C.STATUS,
    "request_escalated": C.STATUS,
    "request_approved": C.STATUS,
    "request_declined": C.STATUS,
    "reminder": C.REMINDERS,
    "shared_with_you": C.SHARED,
    "approval_needed": C.APPROVALS,
    "escalation_requested": C.ESCALATIONS,
    "tier_escalation": C.ESCALATIONS,
    "sla_at_risk": C.SLA,
    "sla_breached": C.SLA,
    "work_item_done": C.WORK_ITEMS,
    "customer_activity": C.CUSTOMER_ACTIVITY,
}
AGENT_KINDS = {
    "escalation_requested", "tier_escalation", "sla_at_risk", "sla_breached", "work_item_done", "customer_activity",
}  # fmt: skip


def ticket_url(ticket: Ticket) -> str:
    return absolute_url(reverse("portal:request_detail", args=[ticket.reference]))


def ticket_agent_url(ticket: Ticket) -> str:
    return absolute_url(reverse("agent:ticket_detail", args=[ticket.reference]))


AGENTS_THREAD = "agents"


def ticket_thread_id(reference: str, *, agents: bool = False) -> str:
    """The request's root Message-ID: every e-mail about it refers to it, so any reply does.
    Agents' alerts have a thread of their own, so a reply to one never becomes public."""
    suffix = f".{AGENTS_THREAD}" if agents else ""
    return f"<ticket.{reference}{suffix}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


_THREAD_ID = re.compile(r"^<?ticket\.([A-Z][A-Z0-9]{0,9}-\d{1,9})(\.agents)?@([^>\s]+)>?$", re.IGNORECASE)


def ticket_thread_parse(message_id: str) -> tuple[str, bool] | None:
    """(reference, for agents) from one of our thread ids; None for any other Message-ID."""
    match = _THREAD_ID.match((message_id or "").strip())
    if match is None or match.group(3).lower() != settings.EMAIL_MESSAGE_ID_DOMAIN.lower():
        return None
    return match.group(1).upper(), bool(match.group(2))


def ticket_email(*, user: User, kind: str, ticket: Ticket, confidential: bool = False, **context: Any) -> bool:
    """Store one e-mail about this request for this person (sent after commit), unless they are
    inactive, turned this kind of e-mail off, or may not see the request (the visibility rule is
    checked here, so no caller can mail a request to someone outside it). Returns whether it
    was stored."""
    if not user.is_active or not user.wants_email(CATEGORY[kind]):
        return False
    if not ticket_visible_to(ticket=ticket, user=user):
        return False
    for_agent = kind in AGENT_KINDS
    desk = ticket.desk
    # Customers reply to the desk's mailbox, which threads the answer into the request.
    reply_to = "" if for_agent else desk.email_address
    with translation.override(user.language):
        desk_name = desk.display_name
    thread = ticket_thread_id(ticket.reference, agents=for_agent)
    headers = {"References": thread, "In-Reply-To": thread, "X-Helpdesk-Reference": ticket.reference}
    if for_agent:
        headers["X-Helpdesk-Audience"] = AGENTS_THREAD
    notification_create(
        kind=kind,
        to_email=user.email,
        language=user.language,
        template=kind,
        context={
            "reference": ticket.reference,
            "summary": ticket.summary,
            "desk": desk_name,
            "name": user.full_name,
            "url": ticket_agent_url(ticket) if for_agent else ticket_url(ticket),
            "can_reply": bool(reply_to),
            **context,
        },
        reply_to=reply_to,
        headers=headers,
        confidential=confidential,  # e.g. a "set your password" link: never shown in the admin
    )
    return True


def ticket_email_participants(*, ticket: Ticket, kind: str, exclude: User | None = None, **context: Any) -> int:
    """The same e-mail to everyone on the request who has its notifications on."""
    participants = Participant.objects.filter(ticket=ticket, notify=True, user__is_active=True).select_related("user")
    if exclude is not None:
        participants = participants.exclude(user=exclude)
    return sum(ticket_email(user=p.user, kind=kind, ticket=ticket, **context) for p in participants)


def agents_to_alert(ticket: Ticket) -> list[User]:
    """Who hears of an event on a request: the assignee, or the team when nobody is assigned."""
    if ticket.assignee is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(ticket.team.members.filter(is_active=True)) if ticket.team is not None else []


def ticket_email_agents(*, ticket: Ticket, event: str, actor: User | None, body: str = "") -> int:
    """Tell the assignee (or the team) that the customer's side moved: event is "comment" (a
    requester's or participant's comment, by page or by mail) or "approval". Each agent's own
    e-mail choices apply (ticket_email); the actor is never told of their own act."""
    agents = [agent for agent in agents_to_alert(ticket) if actor is None or agent.pk != actor.pk]
    author = actor.full_name if actor is not None else ""
    return sum(
        ticket_email(user=agent, kind="customer_activity", ticket=ticket, event=event, author=author, body=body)
        for agent in agents
    )
