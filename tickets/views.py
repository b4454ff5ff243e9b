"""Agent pages. Access: agents of a desk only; everyone else gets a 404."""

import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .models import Ticket
from .pagination import page_of
from .selectors import (
    AGENT_QUEUES,
    agent_queue,
    capped_count,
    ticket_field_rows,
    ticket_get_visible,
    ticket_roles,
    user_is_agent,
)
from .workflow import Role


def agent_required(view):
    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_is_agent(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@agent_required
def queue(request, queue="unassigned"):
    if queue not in AGENT_QUEUES:
        raise Http404
    tickets = agent_queue(queue=queue, user=request.user)
    page = page_of(tickets, number=request.GET.get("page"), size=50)
    queues = [
        (key, label, capped_count(agent_queue(queue=key, user=request.user))) for key, label in AGENT_QUEUES.items()
    ]
    return render(request, "agent/queue.html", {"page": page, "queue": queue, "queues": queues})


@agent_required
def ticket_detail(request, reference):
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    if Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise Http404
    activities = ticket.activities.select_related("actor").prefetch_related("attachments")
    return render(
        request,
        "agent/ticket_detail.html",
        {
            "ticket": ticket,
            "activities": activities,
            "participants": ticket.participants.select_related("user"),
            "field_rows": ticket_field_rows(ticket=ticket),
        },
    )
