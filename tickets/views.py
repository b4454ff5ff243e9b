"""Agent pages. Access: agents of a desk only; everyone else gets a 404."""

import csv

from django.contrib import messages
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import workflow
from .agent_access import agent_required
from .counts import agent_queue_counts
from .forms import (
    AgentReplyForm,
    AssignForm,
    PriorityForm,
    ReferenceForm,
    RequestTypeChangeForm,
    TierForm,
    TransitionForm,
    UnshareForm,
    WorkItemLinkForm,
    parse_reference,
    safe_next_url,
)
from .merging import merge_people_without_access, ticket_link_related, ticket_merge
from .models import Ticket, WorkItem
from .participants import participant_removable_by, participant_remove
from .presence import presence_touch
from .selectors import (
    AGENT_QUEUES,
    SEARCH_RELATED_AGENT,
    activities_visible,
    agent_desks,
    agent_queue_page,
    agent_ticket_search,
    agent_tier,
    agent_visibility_q,
    desk_agents,
    queue_export_rows,
    saved_queue_get_for_agent,
    saved_queues_for_agent,
    sensitive_fields_present,
    ticket_field_rows,
    ticket_get_visible,
    ticket_roles,
)
from .services import (
    TicketError,
    sensitive_values_reveal,
    ticket_assign,
    ticket_change_type,
    ticket_comment,
    ticket_escalate_tier,
    ticket_mark_seen,
    ticket_set_priority,
    ticket_transition,
)
from .sla_clock import clocks_attach
from .views_queue import queue_rows, queue_table_context
from .work_items import (
    CLOSED,
    work_item_get_for_agent,
    work_item_link,
    work_item_link_or_create,
    work_item_may_change,
    work_item_set_status,
    work_item_tickets_visible,
    work_items_for_agent,
)

# Transitions agents make from their page; the customer's own actions stay in the portal.
AGENT_ACTIONS = ("start_progress", "stop_progress", "ask_customer", "resolve", "cancel", "reopen", "close")


def _queue_context(request, queue):
    """What every queue page shows: the desk filter, the named and saved queues with capped counts."""
    desks = list(agent_desks(user=request.user))
    desk = next((d for d in desks if d.slug == request.GET.get("desk")), None)
    saved_queues = saved_queues_for_agent(user=request.user)
    counts = agent_queue_counts(user=request.user, desk=desk, saved=saved_queues)
    queues = [
        (reverse("agent:queue", args=[key]), key, label, counts["named"][key]) for key, label in AGENT_QUEUES.items()
    ]
    saved = [
        (reverse("agent:saved_queue", args=[item.slug]), item, item.display_name, counts["saved"][item.pk])
        for item in saved_queues
    ]
    return {"desks": desks, "desk": desk, "queues": queues, "saved_queues": saved, "queue": queue}


def _queue_page(request, queue, title, export_url):
    context = _queue_context(request, queue)
    desk = context["desk"]
    table = queue_table_context(request, queue=queue, desk=desk)
    tickets, next_cursor = agent_queue_page(
        queue=queue, user=request.user, desk=desk, after=request.GET.get("after", ""), sort=table["sort_param"]
    )
    now = timezone.now()
    clocks_attach(tickets, now=now)
    context.update(
        {
            **table,
            "title": title,
            "tickets": tickets,
            "rows": queue_rows(tickets, columns=table["columns"], now=now),
            "next_cursor": next_cursor,
            "export_url": export_url + (f"?desk={desk.slug}" if desk else ""),
            "now": now,
            "bulk_actions": [(a, workflow.TRANSITIONS[a].label) for a in ("start_progress", "resolve", "close")],
            "work_items": work_items_for_agent(user=request.user)
            .exclude(status__in=CLOSED)
            .order_by("-created_at")[:50],
        }
    )
    return render(request, "agent/queue.html", context)


def _named_queue(queue):
    if queue not in AGENT_QUEUES:
        raise Http404
    return queue


def _saved_queue(request, slug):
    saved = saved_queue_get_for_agent(user=request.user, slug=slug)
    if saved is None:
        raise Http404
    return saved


@agent_required
def queue(request, queue="unassigned"):
    queue = _named_queue(queue)
    return _queue_page(request, queue, AGENT_QUEUES[queue], reverse("agent:queue_export", args=[queue]))


@agent_required
def saved_queue(request, slug):
    saved = _saved_queue(request, slug)
    return _queue_page(request, saved, saved.display_name, reverse("agent:saved_queue_export", args=[saved.slug]))


@agent_required
def queue_export(request, queue):
    return _export(request, _named_queue(queue), filename=queue)


@agent_required
def saved_queue_export(request, slug):
    return _export(request, _saved_queue(request, slug), filename=slug)


def _export(request, queue, *, filename):
    """The whole queue as CSV, streamed page by page; sensitive values are not in these columns."""
    desks = agent_desks(user=request.user)
    desk = desks.filter(slug=request.GET.get("desk") or "").first()
    rows = queue_export_rows(queue=queue, user=request.user, desk=desk)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


@agent_required
def search(request):
    """Requests of the agent's desks by reference, text or requester's e-mail address."""
    query = request.GET.get("q", "")[:200]
    # The page shows the requester of each result, nothing else beyond the ticket's own columns.
    results = agent_ticket_search(user=request.user, query=query, related=SEARCH_RELATED_AGENT) if query.strip() else []
    return render(request, "agent/search.html", {"query": query, "results": results, "now": timezone.now()})


@agent_required
@require_POST
def bulk(request):
    """Apply one action to the ticked requests, each through its own service, each logged."""
    references = request.POST.getlist("tickets")[:200]
    action = request.POST.get("action", "")
    done, refused = 0, []
    work_item = None
    if action == "work_item":
        work_item = work_item_get_for_agent(user=request.user, work_item_id=request.POST.get("work_item"))
    for reference in references:
        try:
            ticket = _agent_ticket(request, reference)
        except Http404:
            refused.append(reference)
            continue
        try:
            if action == "assign_me":
                ticket_assign(ticket=ticket, actor=request.user, assignee=request.user)
            elif action in ("start_progress", "resolve", "close"):
                ticket_transition(ticket=ticket, action=action, actor=request.user)
            elif action == "work_item" and work_item is not None:
                work_item_link(ticket=ticket, actor=request.user, work_item=work_item)
            else:
                refused.append(reference)
                continue
        except TicketError:
            refused.append(reference)
            continue
        done += 1
    if done:
        messages.success(request, _("%(count)d request(s) updated.") % {"count": done})
    if refused:
        messages.error(request, _("Not possible for: %(refs)s") % {"refs": ", ".join(refused[:20])})
    return redirect(safe_next_url(request.POST.get("next"), request=request, default=reverse("agent:home")))


def _agent_ticket(request, reference) -> Ticket:
    reference = parse_reference(reference)  # ticked boxes and typed references are user input
    if reference is None:
        raise Http404
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise Http404
    return ticket


def _render(request, ticket, *, status=200, revealed=None, merge_into=None, **forms):
    user = request.user
    now = timezone.now()
    clocks_attach([ticket], now=now)
    agents = desk_agents(desk_id=ticket.desk_id)
    participants = list(ticket.participants.select_related("user"))
    for participant in participants:
        participant.removable = participant_removable_by(ticket=ticket, actor=user, participant=participant)
    context = {
        "ticket": ticket,
        "activities": activities_visible(ticket=ticket, user=user)
        .select_related("actor")
        .prefetch_related("attachments"),
        "participants": participants,
        "field_rows": ticket_field_rows(ticket=ticket),
        "sensitive_labels": sensitive_fields_present(ticket=ticket),
        "revealed": revealed,
        "can_reveal": agent_tier(ticket=ticket, user=user) >= 2,
        "actions": [
            t
            for t in workflow.available_transitions(status=ticket.status, roles={workflow.Role.AGENT})
            if t.action in AGENT_ACTIONS
        ],
        "reply_form": forms.get("reply_form")
        or AgentReplyForm(user=user, desk_id=ticket.desk_id, initial={"version": ticket.version}),
        "merge_form": forms.get("merge_form") or ReferenceForm(initial={"version": ticket.version}, prefix="merge"),
        "merge_into": merge_into,
        "link_form": forms.get("link_form") or ReferenceForm(prefix="link"),
        "type_form": forms.get("type_form")
        or RequestTypeChangeForm(
            desk_id=ticket.desk_id, initial={"request_type": ticket.request_type_id, "version": ticket.version}
        ),
        # Only the related requests this agent may see (a link may cross desks).
        "related": ticket.related.filter(agent_visibility_q(user=user)),
        "assign_form": forms.get("assign_form")
        or AssignForm(agents=agents, initial={"assignee": ticket.assignee_id, "version": ticket.version}),
        "priority_form": forms.get("priority_form")
        or PriorityForm(initial={"priority": ticket.priority, "version": ticket.version}),
        "tier_form": forms.get("tier_form") or TierForm(initial={"version": ticket.version}),
        "work_item_form": forms.get("work_item_form") or WorkItemLinkForm(work_items=_open_work_items(user)),
        "linked_work_items": ticket.work_items.all(),
        "now": now,
        "others_here": presence_touch(ticket_id=ticket.pk, user=user),
    }
    return render(request, "agent/ticket_detail.html", context, status=status)


@agent_required
def ticket_detail(request, reference):
    ticket = _agent_ticket(request, reference)
    ticket_mark_seen(ticket=ticket, user=request.user)
    return _render(request, ticket)


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
    form = AgentReplyForm(request.POST, request.FILES, user=request.user, desk_id=ticket.desk_id)
    if not form.is_valid():
        form.keep_uploads()
        return _render(request, ticket, status=400, reply_form=form)
    if request.POST.get("insert"):
        return _render(request, ticket, reply_form=_with_canned_text(form, ticket=ticket, agent=request.user))
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


def _with_canned_text(form, *, ticket, agent):
    """The reply form again, its text followed by the chosen canned response (nothing sent yet)."""
    canned = form.cleaned_data.get("canned")
    body = form.cleaned_data.get("body") or ""
    if canned is not None:
        text = canned.render(ticket=ticket, agent=agent, language=ticket.requester.language)
        body = f"{body}\n\n{text}" if body else text
    form.keep_uploads()
    fresh = AgentReplyForm(
        user=agent,
        desk_id=ticket.desk_id,
        initial={"body": body, "version": form.cleaned_data.get("version"), "internal": form.cleaned_data["internal"]},
    )
    fresh.staged = form.staged
    return fresh


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


@agent_required
@require_POST
def ticket_agent_work_item(request, reference):
    ticket = _agent_ticket(request, reference)
    form = WorkItemLinkForm(request.POST, work_items=_open_work_items(request.user))
    if not form.is_valid():
        return _render(request, ticket, status=400, work_item_form=form)
    data = form.cleaned_data
    try:
        work_item = work_item_link_or_create(
            ticket=ticket,
            actor=request.user,
            work_item=data["work_item"],
            title=data["title"],
            kind=data["kind"],
            external_url=data["external_url"],
        )
    except TicketError as error:
        return _refused(request, ticket, error, work_item_form=form)
    return _done(request, ticket, _("Linked to the work item “%(title)s”.") % {"title": work_item.title})


def _open_work_items(user):
    return work_items_for_agent(user=user).exclude(status__in=CLOSED).order_by("-created_at")


@agent_required
def work_items(request):
    """The work items of the agent's desks, each with the references the agent may see."""
    items = list(work_items_for_agent(user=request.user).order_by("status", "-created_at")[:200])
    for item in items:
        item.visible_tickets = work_item_tickets_visible(work_item=item, user=request.user)
        item.hidden_count = item.tickets.count() - len(item.visible_tickets)
        item.changeable = work_item_may_change(work_item=item, user=request.user)
    return render(request, "agent/work_items.html", {"work_items": items, "statuses": WorkItem.Status.choices})


@agent_required
@require_POST
def work_item_status(request, work_item_id):
    work_item = work_item_get_for_agent(user=request.user, work_item_id=work_item_id)
    if work_item is None:
        raise Http404
    try:
        work_item_set_status(work_item=work_item, actor=request.user, status=request.POST.get("status", ""))
    except TicketError as error:
        messages.error(request, str(error))
        return redirect("agent:work_items")
    messages.success(request, _("Work item updated."))
    return redirect("agent:work_items")


@agent_required
@require_POST
def ticket_presence(request, reference):
    """Heartbeat from an open request page: who else is viewing or replying."""
    ticket = _agent_ticket(request, reference)
    state = "replying" if request.POST.get("state") == "replying" else "viewing"
    others = presence_touch(ticket_id=ticket.pk, user=request.user, state=state)
    return JsonResponse(
        {"others": others, "version": Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk)}
    )


def _other_ticket(request, reference) -> Ticket | None:
    try:
        return _agent_ticket(request, reference.strip())
    except Http404:
        return None


@agent_required
@require_POST
def ticket_agent_merge(request, reference):
    """Merge this duplicate into another request. When some of its people cannot see the other
    request, the page asks first whether to share it with them (nobody gains access silently)."""
    ticket = _agent_ticket(request, reference)
    form = ReferenceForm(request.POST, prefix="merge")
    into = _other_ticket(request, form.data.get("merge-reference", "")) if form.is_valid() else None
    if form.is_valid() and into is None:
        form.add_error("reference", _("No request of your desks has this reference."))
    if not form.is_valid():
        return _render(request, ticket, status=400, merge_form=form)
    without_access = merge_people_without_access(ticket=ticket, into=into)
    if without_access and not request.POST.get("merge-confirm"):
        context = {"ticket": ticket, "into": into, "without_access": without_access, "form": form}
        return render(request, "agent/merge_confirm.html", context)
    chosen = {value for value in request.POST.getlist("merge-share") if value.isdecimal()}
    share_with = [user for user in without_access if str(user.pk) in chosen]
    try:
        ticket_merge(
            ticket=ticket, into=into, actor=request.user, share_with=share_with,
            expected_version=form.cleaned_data.get("version"),
        )  # fmt: skip
    except TicketError as error:
        return _refused(request, ticket, error, merge_form=form)
    messages.success(request, _("Merged into %(reference)s.") % {"reference": into.reference})
    return redirect("agent:ticket_detail", reference=into.reference)


@agent_required
@require_POST
def ticket_agent_unshare(request, reference):
    """Stop sharing the request with one of its people (logged)."""
    ticket = _agent_ticket(request, reference)
    form = UnshareForm(request.POST, participants=ticket.participants.all())
    if not form.is_valid():
        return _render(request, ticket, status=400)
    user = form.cleaned_data["participant"].user
    try:
        participant_remove(ticket=ticket, actor=request.user, user=user)
    except TicketError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("%(name)s no longer sees this request.") % {"name": user})


@agent_required
@require_POST
def ticket_agent_link(request, reference):
    ticket = _agent_ticket(request, reference)
    form = ReferenceForm(request.POST, prefix="link")
    other = _other_ticket(request, form.data.get("link-reference", "")) if form.is_valid() else None
    if form.is_valid() and other is None:
        form.add_error("reference", _("No request of your desks has this reference."))
    if not form.is_valid():
        return _render(request, ticket, status=400, link_form=form)
    try:
        ticket_link_related(ticket=ticket, other=other, actor=request.user)
    except TicketError as error:
        return _refused(request, ticket, error, link_form=form)
    return _done(request, ticket, _("Linked to %(reference)s.") % {"reference": other.reference})


@agent_required
@require_POST
def ticket_agent_type(request, reference):
    ticket = _agent_ticket(request, reference)
    form = RequestTypeChangeForm(request.POST, desk_id=ticket.desk_id)
    if not form.is_valid():
        return _render(request, ticket, status=400, type_form=form)
    try:
        ticket_change_type(
            ticket=ticket,
            actor=request.user,
            request_type=form.cleaned_data["request_type"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, type_form=form)
    return _done(request, ticket, _("Request type changed."))
