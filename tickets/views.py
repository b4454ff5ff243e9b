"""Agent pages. Access: agents of a desk only; everyone else gets a 404."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import workflow
from .forms import AgentReplyForm, AssignForm, PriorityForm, TierForm, TransitionForm
from .models import Ticket
from .pagination import page_of
from .selectors import (
    AGENT_QUEUES,
    agent_queue,
    agent_tier,
    capped_count,
    desk_agents,
    sensitive_fields_present,
    ticket_field_rows,
    ticket_get_visible,
    ticket_roles,
    user_is_agent,
)
from .services import (
    TicketError,
    sensitive_values_reveal,
    ticket_assign,
    ticket_comment,
    ticket_escalate_tier,
    ticket_set_priority,
    ticket_transition,
)

# Transitions agents make from their page; the customer's own actions stay in the portal.
AGENT_ACTIONS = ("start_progress", "stop_progress", "ask_customer", "resolve", "cancel", "reopen", "close")


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


def _agent_ticket(request, reference) -> Ticket:
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise Http404
    return ticket


def _render(request, ticket, *, status=200, revealed=None, **forms):
    user = request.user
    agents = desk_agents(desk_id=ticket.desk_id)
    context = {
        "ticket": ticket,
        "activities": ticket.activities.select_related("actor").prefetch_related("attachments"),
        "participants": ticket.participants.select_related("user"),
        "field_rows": ticket_field_rows(ticket=ticket),
        "sensitive_labels": sensitive_fields_present(ticket=ticket),
        "revealed": revealed,
        "can_reveal": agent_tier(ticket=ticket, user=user) >= 2,
        "actions": [
            t
            for t in workflow.available_transitions(status=ticket.status, roles={workflow.Role.AGENT})
            if t.action in AGENT_ACTIONS
        ],
        "reply_form": forms.get("reply_form") or AgentReplyForm(user=user, initial={"version": ticket.version}),
        "assign_form": forms.get("assign_form")
        or AssignForm(agents=agents, initial={"assignee": ticket.assignee_id, "version": ticket.version}),
        "priority_form": forms.get("priority_form")
        or PriorityForm(initial={"priority": ticket.priority, "version": ticket.version}),
        "tier_form": forms.get("tier_form") or TierForm(initial={"version": ticket.version}),
    }
    return render(request, "agent/ticket_detail.html", context, status=status)


@agent_required
def ticket_detail(request, reference):
    return _render(request, _agent_ticket(request, reference))


def _done(request, ticket, message):
    messages.success(request, message)
    return redirect("agent:ticket_detail", reference=ticket.reference)


def _refused(request, ticket, error, **forms):
    messages.error(request, str(error))
    ticket.refresh_from_db()
    return _render(request, ticket, status=error.status_code, **forms)


@agent_required
@require_POST
def ticket_reply(request, reference):
    ticket = _agent_ticket(request, reference)
    form = AgentReplyForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        form.keep_uploads()
        return _render(request, ticket, status=400, reply_form=form)
    internal = form.cleaned_data["internal"]
    try:
        ticket_comment(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            uploads=form.attachments("attachments"),
            internal=internal,
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        form.keep_uploads()
        return _refused(request, ticket, error, reply_form=form)
    return _done(request, ticket, _("Internal note added.") if internal else _("Reply sent to the customer."))


@agent_required
@require_POST
def ticket_agent_transition(request, reference):
    ticket = _agent_ticket(request, reference)
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] not in AGENT_ACTIONS:
        return _render(request, ticket, status=400)
    try:
        ticket = ticket_transition(
            ticket=ticket,
            action=form.cleaned_data["action"],
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("The request is now: %(status)s.") % {"status": ticket.get_status_display()})


@agent_required
@require_POST
def ticket_agent_assign(request, reference):
    ticket = _agent_ticket(request, reference)
    agents = desk_agents(desk_id=ticket.desk_id)
    data = request.POST.copy()
    if "assign_to_me" in data:
        data["assignee"] = str(request.user.pk)
    form = AssignForm(data, agents=agents)
    if not form.is_valid():
        return _render(request, ticket, status=400, assign_form=form)
    try:
        ticket = ticket_assign(
            ticket=ticket,
            actor=request.user,
            assignee=form.cleaned_data["assignee"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, assign_form=form)
    name = ticket.assignee or _("nobody")
    return _done(request, ticket, _("Assigned to %(name)s.") % {"name": name})


@agent_required
@require_POST
def ticket_agent_priority(request, reference):
    ticket = _agent_ticket(request, reference)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _render(request, ticket, status=400, priority_form=form)
    try:
        ticket = ticket_set_priority(
            ticket=ticket,
            actor=request.user,
            priority=int(form.cleaned_data["priority"]),
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, priority_form=form)
    return _done(request, ticket, _("Priority changed."))


@agent_required
@require_POST
def ticket_agent_tier(request, reference):
    ticket = _agent_ticket(request, reference)
    form = TierForm(request.POST)
    if not form.is_valid():
        return _render(request, ticket, status=400, tier_form=form)
    to_tier = 2 if ticket.tier == 1 else 1
    try:
        ticket = ticket_escalate_tier(
            ticket=ticket,
            actor=request.user,
            to_tier=to_tier,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, tier_form=form)
    return _done(request, ticket, _("Moved to %(tier)s.") % {"tier": ticket.get_tier_display()})


@agent_required
@require_POST
def ticket_agent_reveal(request, reference):
    ticket = _agent_ticket(request, reference)
    try:
        revealed = sensitive_values_reveal(ticket=ticket, actor=request.user)
    except TicketError as error:
        return _refused(request, ticket, error)
    response = _render(request, ticket, revealed=revealed)
    response["Cache-Control"] = "no-store"
    return response
